//! [`StorageEvent`]: what the storage threads (the txn log's sync thread, snapshot threads) tell
//! the core task.

use std::path::PathBuf;
use std::time::Duration;

/// A message from a storage thread to the core task.
#[derive(Debug)]
pub enum StorageEvent {
    /// Every txn up to `zxid` is written (and fsynced, with `forceSync`): the core may apply
    /// them and release their replies.
    Durable {
        zxid: i64,
        /// Txns in this group commit.
        txns: usize,
        /// Time spent in fsync (`None` with `forceSync=no`).
        fsync: Option<Duration>,
        /// The fsync took longer than `fsync.warningthresholdms`.
        fsync_slow: bool,
    },
    /// The log was rolled because `snapCount` (or `snapSizeLimitInKb`) was reached: take a
    /// snapshot. Sent after the `Durable` of the batch that reached it.
    SnapshotDue,
    /// The txn log failed (disk full, EIO, ...). Nothing after the last `Durable` may be
    /// acknowledged; the server must stop.
    Failed { error: String },
    /// A background snapshot was written.
    SnapshotDone {
        path: PathBuf,
        zxid: i64,
        elapsed: Duration,
    },
    /// A background snapshot could not be written: the server stops, as ZooKeeper does.
    SnapshotFailed { zxid: i64, error: String },
}
