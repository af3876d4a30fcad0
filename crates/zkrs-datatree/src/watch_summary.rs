//! [`WatchSummary`]: what the `wchs`, `wchc`, `wchp` four-letter words and `mntr` report.

use std::collections::BTreeMap;

use crate::WatcherId;

/// A snapshot of the watch tables.
///
/// As in ZooKeeper, the reports (`getWatchesSummary`, `dumpWatches`) cover the **data** watch table
/// only (getData/exists/persistent/recursive watches); child watches appear only in
/// [`WatchSummary::watch_count`] (`DataTree.getWatchCount`, mntr `zk_watch_count`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WatchSummary {
    /// `wchs` "N connections watching": watchers in the data table. A watcher whose last one-shot
    /// watch fired is still counted (ZooKeeper keeps its empty path map).
    pub num_connections: usize,
    /// `wchs` "watching N paths": paths in the data table.
    pub num_paths: usize,
    /// `wchs` "Total watches:N": (watcher, path) pairs in the data table.
    pub total_watches: usize,
    /// mntr `zk_watch_count`: data + child table sizes (watchers per path, summed).
    pub watch_count: usize,
    /// `wchc`: watcher → its data-watch paths (sorted). Map the watcher id to a session id to print.
    pub by_watcher: BTreeMap<WatcherId, Vec<String>>,
    /// `wchp`: path → watchers in the data table (sorted).
    pub by_path: BTreeMap<String, Vec<WatcherId>>,
}
