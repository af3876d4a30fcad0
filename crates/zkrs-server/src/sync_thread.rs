//! [`SyncThread`]: the blocking thread that commits the txn log (`SyncRequestProcessor`).
//!
//! The core task hands it batches of txns through a bounded channel and never waits for it.
//! The thread takes everything that is queued (up to [`MAX_BATCH_TXNS`] txns), appends it to
//! the log, and makes it durable with **one** `commit` (one fsync) — group commit — then reports
//! "durable up to zxid" back to the core task as a [`StorageEvent::Durable`]. While it fsyncs,
//! the core task keeps accepting requests and queues the next batch.
//!
//! The log itself is a [`TxnLogWriter`] behind a mutex, which the core task also uses to commit
//! a lone write without the hand-offs when the server is otherwise idle (see
//! [`crate::persister::Persister::submit`]).
//!
//! After each append the writer applies ZooKeeper's snapshot rule: more than
//! `snapCount/2 + rand(snapCount/2)` txns, or more than `limit/2 + rand(limit/2)` bytes of log
//! (`snapSizeLimitInKb`), since the last roll → roll the log and ask the core task for a
//! snapshot ([`StorageEvent::SnapshotDue`]).
//!
//! Any storage error is final: the thread reports [`StorageEvent::Failed`] and stops, and the
//! core task stops acknowledging writes and shuts the server down (ZooKeeper exits too). A
//! panic is reported the same way.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use zkrs_jute::TxnEntry;
use zkrs_storage::StorageError;

use crate::storage_event::StorageEvent;
use crate::txn_log_writer::TxnLogWriter;

/// `zookeeper.maxBatchSize`'s default: the most txns one fsync waits for before syncing.
pub const MAX_BATCH_TXNS: usize = 1000;

/// The log, shared by the thread and the core task's inline commits.
pub type SharedTxnLog = Arc<Mutex<TxnLogWriter>>;

/// Locks the shared log. A panic while it was held (which the panicking side reports as a
/// failure) leaves the writer usable for nothing but its `failed` flag, which is set then.
pub fn lock_log(log: &SharedTxnLog) -> MutexGuard<'_, TxnLogWriter> {
    log.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The thread's state.
#[derive(Debug)]
pub struct SyncThread {
    log: SharedTxnLog,
    batches: mpsc::Receiver<Vec<TxnEntry>>,
    events: mpsc::Sender<StorageEvent>,
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
    /// A thread committing what arrives on `batches` to `log`.
    pub fn new(
        log: SharedTxnLog,
        batches: mpsc::Receiver<Vec<TxnEntry>>,
        events: mpsc::Sender<StorageEvent>,
    ) -> SyncThread {
        SyncThread {
            log,
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
            let committed = {
                let mut log = lock_log(&self.log);
                group_commit(&mut self.batches, &mut log, first)
            };
            match committed {
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
                        lock_log(&self.log).log_dir().display()
                    );
                    let _ = self.events.blocking_send(StorageEvent::Failed {
                        error: e.to_string(),
                    });
                    return;
                }
            }
        }
        // Every sender is gone (shutdown): everything received was committed above.
        if let Err(e) = lock_log(&self.log).close() {
            tracing::warn!("closing the txn log: {e}");
        }
        tracing::debug!("SyncThread exited");
    }
}

/// Appends `first` and whatever else is queued on `batches`, then commits once.
fn group_commit(
    batches: &mut mpsc::Receiver<Vec<TxnEntry>>,
    log: &mut TxnLogWriter,
    first: Vec<TxnEntry>,
) -> Result<Vec<StorageEvent>, StorageError> {
    let mut batch = first;
    loop {
        log.append(&batch)?;
        if log.uncommitted_txns() >= MAX_BATCH_TXNS {
            break;
        }
        match batches.try_recv() {
            Ok(next) => batch = next,
            Err(_) => break,
        }
    }
    log.commit()
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
