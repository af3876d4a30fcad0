//! [`StorageOptions`]: the settings of [`crate::FileTxnSnapLog`], named after ZooKeeper's
//! system properties.

use zkrs_datatree::TreeConfig;

use crate::compression::SnapshotCompression;
use crate::txn_log::TxnLogOptions;
use crate::txn_log_reader::LogReadOptions;

/// Everything that changes how the data directories are opened, recovered and written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageOptions {
    /// `zookeeper.datadir.autocreate` (default true): create missing `version-2` directories.
    pub datadir_autocreate: bool,
    /// `zookeeper.db.autocreate` (default true): with no snapshot and no txn log, start from an
    /// empty database (and write `snapshot.0`). Off, such a server starts with
    /// lastProcessedZxid -1 (it takes no part in votes) unless the `initialize` marker exists.
    pub db_autocreate: bool,
    /// `zookeeper.snapshot.trust.empty` (default false): accept txn logs without any snapshot
    /// (3.4 upgrades).
    pub snapshot_trust_empty: bool,
    /// `zookeeper.snapshot.compression.method`: the wrapper of new snapshots.
    pub snapshot_compression: SnapshotCompression,
    /// `zookeeper.digest.enabled` (default true): write the digest section in snapshots.
    pub snapshot_digest: bool,
    /// `zookeeper.serializeLastProcessedZxid.enabled`: write the 3.9 section. Default **false**
    /// (3.8 compatibility; see [`crate::SnapshotWriteOptions`]).
    pub snapshot_last_processed_zxid: bool,
    /// How trees are loaded (`extendedTypesEnabled`, `digest.enabled`).
    pub tree_config: TreeConfig,
    /// Record limits and `closeSessionTxn.enabled` for reading logs.
    pub log_read: LogReadOptions,
    /// Preallocation, size limit and dbid for writing logs.
    pub txn_log: TxnLogOptions,
    /// Cut a torn tail away during recovery (default true). Off, it is only reported (for
    /// inspection tools) and [`crate::FileTxnSnapLog::append`] is refused: intact txns written
    /// after the damage would make the next start see corruption in the middle of the log.
    pub repair_torn_tail: bool,
    /// How many of the newest snapshots recovery tries before giving up (ZooKeeper: 100).
    pub max_snapshots_tried: usize,
}

impl Default for StorageOptions {
    fn default() -> Self {
        StorageOptions {
            datadir_autocreate: true,
            db_autocreate: true,
            snapshot_trust_empty: false,
            snapshot_compression: SnapshotCompression::None,
            snapshot_digest: true,
            snapshot_last_processed_zxid: false,
            tree_config: TreeConfig::default(),
            log_read: LogReadOptions::default(),
            txn_log: TxnLogOptions::default(),
            repair_torn_tail: true,
            max_snapshots_tried: 100,
        }
    }
}
