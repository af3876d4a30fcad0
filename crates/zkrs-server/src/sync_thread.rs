//! [`SyncThread`]: the blocking thread that owns the txn log (`SyncRequestProcessor`).
//!
//! The core task hands it batches of txns through a bounded channel and never waits for it.
//! The thread takes everything that is queued (up to [`MAX_BATCH_TXNS`] txns), appends it to
//! the log, and makes it durable with **one** `commit` (one fsync) — group commit — then reports
//! "durable up to zxid" back to the core task as a [`StorageEvent::Durable`]. While it fsyncs,
//! the core task keeps accepting requests and queues the next batch.
//!
//! After each append it applies ZooKeeper's snapshot rule: more than
//! `snapCount/2 + rand(snapCount/2)` txns, or more than `limit/2 + rand(limit/2)` bytes of log
//! (`snapSizeLimitInKb`), since the last roll → roll the log and ask the core task for a
//! snapshot ([`StorageEvent::SnapshotDue`]).
//!
//! Any storage error is final: the thread reports [`StorageEvent::Failed`] and stops, and the
//! core task stops acknowledging writes and shuts the server down (ZooKeeper exits too). A
//! panic is reported the same way.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use zkrs_jute::TxnEntry;
use zkrs_storage::{FileTxnSnapLog, OsFs, StorageError};

use crate::storage_config::StorageConfig;
use crate::storage_event::StorageEvent;

/// `zookeeper.maxBatchSize`'s default: the most txns one fsync waits for before syncing.
pub const MAX_BATCH_TXNS: usize = 1000;

/// The thread's state.
pub struct SyncThread {
    storage: FileTxnSnapLog<OsFs>,
    force_sync: bool,
    fsync_warning: Duration,
    trigger: SnapshotTrigger,
    batches: mpsc::Receiver<Vec<TxnEntry>>,
    events: mpsc::Sender<StorageEvent>,
}

impl std::fmt::Debug for SyncThread {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SyncThread")
            .field("storage", &self.storage)
            .field("force_sync", &self.force_sync)
            .finish_non_exhaustive()
    }
}

/// Reports a panic of the thread as a failure, so the core task never waits forever.
struct PanicGuard(mpsc::Sender<StorageEvent>);

impl Drop for PanicGuard {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let _ = self.0.blocking_send(StorageEvent::Failed {
                error: "the txn log thread panicked".to_owned(),
            });
        }
    }
}

impl SyncThread {
    /// A thread over opened, restored storage.
    pub fn new(
        storage: FileTxnSnapLog<OsFs>,
        config: &StorageConfig,
        batches: mpsc::Receiver<Vec<TxnEntry>>,
        events: mpsc::Sender<StorageEvent>,
    ) -> SyncThread {
        let size_base = storage.txn_log().total_log_size();
        SyncThread {
            storage,
            force_sync: config.force_sync,
            fsync_warning: Duration::from_millis(config.fsync_warning_threshold_ms),
            trigger: SnapshotTrigger::new(
                config.snap_count,
                config.snap_size_limit_bytes,
                size_base,
            ),
            batches,
            events,
        }
    }

    /// Starts the thread (`SyncThread:0`, as ZooKeeper names it).
    pub fn spawn(self) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new()
            .name("SyncThread:0".to_owned())
            .spawn(move || self.run())
    }

    fn run(mut self) {
        let _guard = PanicGuard(self.events.clone());
        while let Some(first) = self.batches.blocking_recv() {
            match self.group_commit(first) {
                Ok(events) => {
                    for e in events {
                        // The core task is gone only at shutdown; keep syncing what is queued.
                        let _ = self.events.blocking_send(e);
                    }
                }
                Err(e) => {
                    tracing::error!(
                        "Severe unrecoverable error writing the txn log in {}: {e}; \
                         no further writes are acknowledged and the server stops",
                        self.storage.log_dir().display()
                    );
                    let _ = self.events.blocking_send(StorageEvent::Failed {
                        error: e.to_string(),
                    });
                    return;
                }
            }
        }
        // Every sender is gone (shutdown): everything received was committed above.
        if let Err(e) = self.storage.close() {
            tracing::warn!("closing the txn log: {e}");
        }
        tracing::debug!("SyncThread exited");
    }

    /// Appends `first` and whatever else is queued, then commits once.
    fn group_commit(&mut self, first: Vec<TxnEntry>) -> Result<Vec<StorageEvent>, StorageError> {
        let mut txns = 0usize;
        let mut last_zxid = None;
        let mut snapshot_due = false;
        let mut batch = first;
        loop {
            for entry in &batch {
                self.storage.append(entry)?;
                txns += 1;
                last_zxid = Some(entry.header.zxid);
                self.trigger.count_txn();
                if self
                    .trigger
                    .should_snapshot(self.storage.txn_log().total_log_size())
                {
                    self.storage.roll_log()?;
                    self.trigger.reset(self.storage.txn_log().total_log_size());
                    snapshot_due = true;
                }
            }
            if txns >= MAX_BATCH_TXNS {
                break;
            }
            match self.batches.try_recv() {
                Ok(next) => batch = next,
                Err(_) => break,
            }
        }
        let outcome = self.storage.commit(self.force_sync)?;
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
        if let Some(zxid) = last_zxid {
            events.push(StorageEvent::Durable {
                zxid,
                txns,
                fsync: outcome.fsync,
                fsync_slow,
            });
        }
        if snapshot_due {
            events.push(StorageEvent::SnapshotDue);
        }
        Ok(events)
    }
}

/// `SyncRequestProcessor.shouldSnapshot` with its randomized thresholds.
#[derive(Debug, Clone)]
pub struct SnapshotTrigger {
    snap_count: u32,
    snap_size_bytes: Option<u64>,
    rand_roll: u64,
    rand_size: u64,
    log_count: u64,
    size_base: u64,
    rng: u64,
}

impl SnapshotTrigger {
    /// A trigger; `size_base` = the log writer's total size now.
    pub fn new(snap_count: u32, snap_size_bytes: Option<u64>, size_base: u64) -> SnapshotTrigger {
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0)
            ^ u64::from(std::process::id()).rotate_left(32);
        let mut t = SnapshotTrigger {
            snap_count: snap_count.max(2),
            snap_size_bytes,
            rand_roll: 0,
            rand_size: 0,
            log_count: 0,
            size_base,
            rng: seed,
        };
        t.reset(size_base);
        t
    }

    /// One more txn in the log.
    pub fn count_txn(&mut self) {
        self.log_count += 1;
    }

    /// `logCount > snapCount/2 + randRoll || logSize > snapSize/2 + randSize`.
    pub fn should_snapshot(&self, total_log_size: u64) -> bool {
        let half = u64::from(self.snap_count / 2);
        if self.log_count > half + self.rand_roll {
            return true;
        }
        match self.snap_size_bytes {
            Some(limit) if limit > 0 => {
                total_log_size.saturating_sub(self.size_base) > limit / 2 + self.rand_size
            }
            _ => false,
        }
    }

    /// `resetSnapshotStats` after a roll: new random thresholds, counters from zero.
    pub fn reset(&mut self, total_log_size: u64) {
        let half = u64::from(self.snap_count / 2).max(1);
        self.rand_roll = self.next_random() % half;
        self.rand_size = match self.snap_size_bytes {
            Some(limit) if limit >= 2 => self.next_random() % (limit / 2),
            _ => 0,
        };
        self.log_count = 0;
        self.size_base = total_log_size;
    }

    /// splitmix64: enough randomness to keep servers of an ensemble from snapshotting together.
    fn next_random(&mut self) -> u64 {
        self.rng = self.rng.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snapshots_between_half_and_all_of_snap_count() {
        for _ in 0..200 {
            let mut t = SnapshotTrigger::new(100, None, 0);
            let mut n = 0;
            while !t.should_snapshot(0) {
                t.count_txn();
                n += 1;
                assert!(n <= 100, "never more than snapCount txns");
            }
            assert!(n > 50, "more than snapCount/2 txns: {n}");
        }
    }

    #[test]
    fn size_rule_counts_from_the_last_roll() {
        let mut t = SnapshotTrigger::new(1_000_000, Some(1000), 5000);
        assert!(!t.should_snapshot(5000));
        assert!(t.should_snapshot(6001));
        t.reset(6001);
        assert!(!t.should_snapshot(6001));
    }
}
