//! [`WatchModel`]: which ZooKeeper line's watch-table rules the tree follows.

/// How the watch tables keep the modes of one watcher on one path, and where `addWatch` puts a
/// watch. The two lines differ observably when a connection mixes one-shot and persistent watches
/// on the same path, and in `checkWatches`/`removeWatches`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum WatchModel {
    /// ZooKeeper 3.6–3.8 (`WatcherModeManager`): **one** mode per (watcher, path) in each table,
    /// and the last registration wins — a getData/exists/getChildren watch on a path turns that
    /// table's persistent or recursive watch of the same connection back into a one-shot one, and
    /// addWatch replaces a one-shot watch. `addWatch` and `setWatches2` put PERSISTENT **and**
    /// PERSISTENT_RECURSIVE watches in both tables (a recursive watch never fires
    /// NodeChildrenChanged). `containsWatcher(path)` is true when *any* connection watches the
    /// path in that table; `removeWatcher(path, w)` drops the caller's watch whatever its mode.
    Single,
    /// ZooKeeper 3.9+ (`WatchStats`, ZOOKEEPER-4466): the modes of one (watcher, path) combine,
    /// a one-shot watch fires once beside a persistent one, and PERSISTENT_RECURSIVE watches live
    /// in the data table only; checkWatches/removeWatches look at the caller's own modes.
    #[default]
    Combined,
}
