//! ZooKeeper's `DataTree` as a pure, deterministic value.
//!
//! The tree holds the znodes and everything ZooKeeper keeps beside them: stats, the ephemeral,
//! container and TTL indexes, the reference-counted ACL cache, the data and child watch tables
//! (standard, persistent and persistent-recursive), quota usage, and the incremental digest. It
//! does no I/O and reads no clock: every change comes from a committed txn through
//! [`DataTree::process_txn`], with the txn's zxid and time. Watches that fire are queued and taken
//! with [`DataTree::take_watch_events`]. Iteration orders that ZooKeeper leaves to `HashSet`s
//! (children, watchers of one event) are sorted here.
//!
//! The semantics follow ZooKeeper 3.9.5 `DataTree.java` and its helpers, error code for error
//! code; each item says which Java method it mirrors and where it knowingly differs. The watch
//! tables follow 3.9 by default, or 3.8's `WatcherModeManager` rules with [`WatchModel::Single`].
//!
//! # Layout
//!
//! - `data_tree`: [`DataTree`] (nodes, reads, `processTxn`, watches, snapshot loading),
//!   [`TreeConfig`], [`SnapshotNode`], the pre-order iterator.
//! - `data_node`: [`DataNode`], one znode, and `copyStat` ([`DataNode::client_stat`]).
//! - `node_map`: [`node_map::NodeMap`], the znode table, sharded and copy-on-write.
//! - `child_set`: [`child_set::ChildSet`], a node's sorted child names in copy-on-write chunks.
//! - `snapshot_view`: [`SnapshotView`], an O(1) frozen copy of the nodes for a snapshot thread.
//! - `txn_result`: [`ProcessTxnResult`].
//! - `acl_cache`: [`AclCache`] (`ReferenceCountedACLCache`).
//! - `watch_manager`: [`WatchManager`], one watch table (`WatchManager` with `WatchStats`, or
//!   3.8's one mode per watcher and path).
//! - `watch_model`: [`WatchModel`], the 3.8 or 3.9 watch-table rules.
//! - `watch_event`: [`WatchEvent`], one notification for one connection.
//! - `watch_summary`: [`WatchSummary`] for `wchs`/`wchc`/`wchp`/mntr.
//! - `digest`: the per-node CRC32 digest (`DigestCalculator` v2).
//! - `quota`: `StatsTrack`, the quota path set (`PathTrie`) and `Quotas` paths.
//! - `path`: path validation (`PathUtils`) and the special nodes.
//! - `ephemeral_type`: [`EphemeralType`] and the TTL owner encoding.
//! - `tree_metrics`: [`TreeMetrics`], bytes per namespace and watchers per trigger;
//!   `summary`: [`Summary`], ZooKeeper's avg/min/max(/percentile) counter they use.

#![forbid(unsafe_code)]

pub mod acl_cache;
pub mod child_set;
pub mod data_node;
pub mod data_tree;
pub mod digest;
pub mod ephemeral_type;
pub mod node_map;
pub mod path;
pub mod quota;
pub mod snapshot_view;
pub mod summary;
pub mod tree_metrics;
pub mod txn_result;
pub mod watch_event;
pub mod watch_manager;
pub mod watch_model;
pub mod watch_summary;

/// The identity of a watching connection (the server's connection id). Events name it; the server
/// maps it to its connection and session.
pub type WatcherId = u64;

pub use acl_cache::AclCache;
pub use data_node::DataNode;
pub use data_tree::{DataTree, PreorderIter, SnapshotError, SnapshotNode, TreeConfig, ZxidDigest};
pub use ephemeral_type::EphemeralType;
pub use snapshot_view::SnapshotView;
pub use summary::Summary;
pub use tree_metrics::TreeMetrics;
pub use txn_result::ProcessTxnResult;
pub use watch_event::WatchEvent;
pub use watch_manager::{WatchManager, WatchStats, WatcherMode};
pub use watch_model::WatchModel;
pub use watch_summary::WatchSummary;
