//! [`TxnLogWriter`]: the txn log with its group-commit bookkeeping and snapshot trigger
//! (`SyncRequestProcessor`'s state), shared by the [`crate::sync_thread::SyncThread`] and the
//! core task behind one mutex.
//!
//! The thread does the commits while the server is busy: the core task goes on serving
//! requests during the fsync. When the server is idle (nothing queued from clients, nothing
//! in flight to the thread, and the last fsync was fast), the core task commits a batch
//! itself ([`crate::persister::Persister::submit`]), which saves the two thread hand-offs
//! (core → thread → core) of a lone write. Either way a batch is committed under the lock,
//! in zxid order, and only `Durable` releases replies (persist-before-ack).

use std::time::Duration;

use zkrs_jute::TxnEntry;
use zkrs_storage::{FileTxnSnapLog, OsFs, StorageError};

use crate::storage_config::StorageConfig;
use crate::storage_event::StorageEvent;
use crate::sync_thread::SnapshotTrigger;

/// The txn log and what one group commit needs to know.
pub struct TxnLogWriter {
    storage: FileTxnSnapLog<OsFs>,
    force_sync: bool,
    fsync_warning: Duration,
    trigger: SnapshotTrigger,
    /// Appended since the last commit.
    txns: usize,
    last_zxid: Option<i64>,
    snapshot_due: bool,
    /// A storage error happened: nothing more may be written or acknowledged.
    failed: bool,
}

impl std::fmt::Debug for TxnLogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TxnLogWriter")
            .field("storage", &self.storage)
            .field("force_sync", &self.force_sync)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

impl TxnLogWriter {
    /// A writer over opened, restored storage.
    pub fn new(storage: FileTxnSnapLog<OsFs>, config: &StorageConfig) -> TxnLogWriter {
        let size_base = storage.txn_log().total_log_size();
        TxnLogWriter {
            storage,
            force_sync: config.force_sync,
            fsync_warning: Duration::from_millis(config.fsync_warning_threshold_ms),
            trigger: SnapshotTrigger::new(
                config.snap_count,
                config.snap_size_limit_bytes,
                size_base,
            ),
            txns: 0,
            last_zxid: None,
            snapshot_due: false,
            failed: false,
        }
    }

    /// Whether an earlier append or commit failed.
    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Txns appended since the last commit.
    pub fn uncommitted_txns(&self) -> usize {
        self.txns
    }

    /// Appends a batch (not yet durable), applying ZooKeeper's snapshot rule after each txn.
    pub fn append(&mut self, batch: &[TxnEntry]) -> Result<(), StorageError> {
        self.check()?;
        let result = self.append_inner(batch);
        self.failed |= result.is_err();
        result
    }

    fn append_inner(&mut self, batch: &[TxnEntry]) -> Result<(), StorageError> {
        for entry in batch {
            let new_file = self.storage.txn_log().current_file().is_none();
            self.storage.append(entry)?;
            if new_file {
                // `FileTxnLog.append`'s wording, which operators grep for.
                tracing::info!(
                    "Creating new log file: {}",
                    zkrs_storage::names::log_name(entry.header.zxid)
                );
            }
            self.txns += 1;
            self.last_zxid = Some(entry.header.zxid);
            self.trigger.count_txn();
            if self
                .trigger
                .should_snapshot(self.storage.txn_log().total_log_size())
            {
                self.storage.roll_log()?;
                self.trigger.reset(self.storage.txn_log().total_log_size());
                self.snapshot_due = true;
            }
        }
        Ok(())
    }

    /// Makes everything appended durable with one fsync (group commit) and says so:
    /// `Durable` (if anything was appended), then `SnapshotDue` if a roll asked for one.
    pub fn commit(&mut self) -> Result<Vec<StorageEvent>, StorageError> {
        self.check()?;
        let outcome = match self.storage.commit(self.force_sync) {
            Ok(outcome) => outcome,
            Err(e) => {
                self.failed = true;
                return Err(e);
            }
        };
        if outcome.rolled {
            // txnLogSizeLimitInKb: a new file, not a snapshot.
            tracing::info!("txn log reached txnLogSizeLimitInKb; rolled");
        }
        let fsync_slow = outcome.fsync.is_some_and(|d| d > self.fsync_warning);
        if let (true, Some(d)) = (fsync_slow, outcome.fsync) {
            tracing::warn!(
                "fsync-ing the write ahead log in SyncThread:0 took {}ms which will adversely \
                 effect operation latency. File size is {} bytes. See the ZooKeeper \
                 troubleshooting guide",
                d.as_millis(),
                self.storage.txn_log().current_log_size()
            );
        }
        let mut events = Vec::with_capacity(2);
        if let Some(zxid) = self.last_zxid.take() {
            events.push(StorageEvent::Durable {
                zxid,
                txns: std::mem::take(&mut self.txns),
                fsync: outcome.fsync,
                fsync_slow,
            });
        }
        if std::mem::take(&mut self.snapshot_due) {
            events.push(StorageEvent::SnapshotDue);
        }
        Ok(events)
    }

    /// Writes what is buffered, without fsync (`close()` at shutdown; after a commit nothing
    /// is). The file itself is closed when the writer is dropped.
    pub fn close(&mut self) -> Result<(), StorageError> {
        if self.failed {
            return Ok(());
        }
        self.storage.commit(false).map(drop)
    }

    /// The log directory (for messages).
    pub fn log_dir(&self) -> &std::path::Path {
        self.storage.log_dir()
    }

    fn check(&self) -> Result<(), StorageError> {
        if self.failed {
            return Err(StorageError::Io {
                op: "append to",
                path: self.storage.log_dir().to_path_buf(),
                source: std::io::Error::other("the txn log failed earlier"),
            });
        }
        Ok(())
    }
}
