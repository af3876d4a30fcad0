//! [`Restored`] and [`RecoveryReport`]: what recovery rebuilt and everything it noticed.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

use zkrs_datatree::{DataTree, ZxidDigest};
use zkrs_jute::TxnEntry;

use crate::torn_tail::TornTail;

/// The database rebuilt from disk.
#[derive(Debug)]
pub struct Restored {
    /// The tree; `last_processed_zxid()` is the zxid to continue from (-1: an untrusted empty
    /// database, see [`RecoveryReport::untrusted_empty`]).
    pub tree: DataTree,
    /// The live sessions and their timeouts (`sessionsWithTimeouts`): from the snapshot, plus
    /// createSession and minus closeSession txns replayed.
    pub sessions: BTreeMap<i64, i32>,
    /// The last txns replayed, in log order, as many as
    /// `FileTxnSnapLog::set_keep_recent_txns` asked for (none by default).
    pub recent_txns: VecDeque<TxnEntry>,
    /// What happened.
    pub report: RecoveryReport,
}

/// What recovery did and found. Nothing here stopped it; errors are returned instead.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The snapshot loaded and its zxid.
    pub snapshot: Option<(PathBuf, i64)>,
    /// Snapshot files passed over (newest first): failing the validity check or unreadable, and
    /// why. A fall-back to an older snapshot shows here.
    pub skipped_snapshots: Vec<(PathBuf, String)>,
    /// Txns applied from the logs.
    pub txns_replayed: u64,
    /// The zxid of the first and last txn applied.
    pub replayed_range: Option<(i64, i64)>,
    /// Txns whose zxid was below the one before (ZooKeeper logs an error and goes on).
    pub out_of_order_zxids: u64,
    /// The torn tail found at the end of the logs.
    pub torn_tail: Option<TornTail>,
    /// Whether it was cut away (`StorageOptions::repair_torn_tail`).
    pub torn_tail_repaired: bool,
    /// The snapshot's digest section could be compared with the tree (`Some(true)`: equal).
    pub snapshot_digest_matched: Option<bool>,
    /// The snapshot's digest names a zxid that the logs did not reach (ZooKeeper warns).
    pub snapshot_digest_uncovered: Option<i64>,
    /// Zxids of replayed txns whose TxnDigest differs from the tree after applying them
    /// (ZooKeeper logs and counts `digest_mismatches_count`).
    pub digest_mismatches: Vec<i64>,
    /// The `initialize` marker was found (and deleted).
    pub initialize_marker_found: bool,
    /// No snapshot and no log: an empty database was trusted and `snapshot.0` written.
    pub initialized_empty: Option<PathBuf>,
    /// No snapshot and no log, and an empty database was not trusted: lastProcessedZxid is -1.
    pub untrusted_empty: bool,
    /// Files in the data directories that are not ZooKeeper's (ignored).
    pub ignored_files: Vec<PathBuf>,
    /// The `(zxid, digest)` to write in the next snapshot's digest section when it is taken
    /// before any new txn: the last replayed txn's, or the snapshot's own when nothing was
    /// replayed and it describes the snapshot's zxid.
    pub zxid_digest: Option<ZxidDigest>,
}
