//! ZooKeeper's `AvgMinMaxCounter`: [`zkrs_datatree::Summary`], shared with the tree's own metrics.

pub use zkrs_datatree::Summary;
