//! [`Persister`]: where `Output::Persist` goes — the core task's end of the txn log.
//!
//! The core emits `Output::Persist { entry }` for every txn and promises not to emit any reply
//! that depends on it until `ServerCore::handle_committed(zxid)` says it is durable
//! (persist-before-ack). The driver hands every such entry to [`Persister::append`] while it
//! drains the core's outputs and calls [`Persister::submit`] once per drain. `submit` passes
//! the pending txns to the [`crate::sync_thread::SyncThread`] through a bounded channel without
//! ever waiting: when the channel is full (the thread is still fsyncing), the txns stay pending
//! here and the next `submit` sends them as one larger batch. The thread answers with
//! [`crate::storage_event::StorageEvent::Durable`], on which the driver calls
//! `handle_committed`.
//!
//! The number of txns pending here is bounded by what the core accepts:
//! `globalOutstandingLimit` stops reading from clients while many requests are in flight.

use std::time::Duration;

use tokio::sync::mpsc::{self, error::TrySendError};
use zkrs_jute::TxnEntry;

use crate::storage_event::StorageEvent;
use crate::sync_thread::SharedTxnLog;

/// Batches queued to the sync thread before the driver keeps them locally.
pub const SYNC_QUEUE_BATCHES: usize = 4;

/// The slowest last fsync after which the core task still commits a lone batch itself. An
/// inline commit holds up every other client for one fsync, so only a disk that syncs in well
/// under a millisecond qualifies; a slower one always goes through the thread, as ZooKeeper
/// does.
pub const INLINE_COMMIT_MAX_FSYNC: Duration = Duration::from_micros(250);

/// The most txns an inline commit takes (a lone client's write, or a multi's).
pub const INLINE_COMMIT_MAX_TXNS: usize = 8;

/// The core task's handle on the txn log thread.
#[derive(Debug)]
pub struct Persister {
    pending: Vec<TxnEntry>,
    /// The highest zxid appended (to check the order).
    last_zxid: Option<i64>,
    /// The highest zxid handed to the thread or committed inline, and the highest reported
    /// durable: the thread is idle when they are equal.
    submitted_zxid: Option<i64>,
    durable_zxid: Option<i64>,
    /// The last fsync's duration (`None` before the first, or with `forceSync=no`).
    last_fsync: Option<Duration>,
    /// The log, for inline commits (`None`: never commit inline).
    log: Option<SharedTxnLog>,
    batches: Option<mpsc::Sender<Vec<TxnEntry>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Persister {
    /// A persister feeding `batches`, whose consumer is `thread`, committing lone batches
    /// itself through `log` when it is given.
    pub fn new(
        batches: mpsc::Sender<Vec<TxnEntry>>,
        thread: std::thread::JoinHandle<()>,
        log: Option<SharedTxnLog>,
    ) -> Persister {
        Persister {
            pending: Vec::new(),
            last_zxid: None,
            submitted_zxid: None,
            durable_zxid: None,
            last_fsync: None,
            log,
            batches: Some(batches),
            thread: Some(thread),
        }
    }

    /// A persister with no log behind it (a placeholder while a quorum member reloads its
    /// database); appends stay pending and are never acknowledged.
    pub fn detached() -> Persister {
        Persister {
            pending: Vec::new(),
            last_zxid: None,
            submitted_zxid: None,
            durable_zxid: None,
            last_fsync: None,
            log: None,
            batches: None,
            thread: None,
        }
    }

    /// Txns queued here and not yet handed to the txn log thread.
    pub fn queued(&self) -> usize {
        self.pending.len()
    }

    /// Queues one txn for the log.
    pub fn append(&mut self, entry: TxnEntry) {
        let zxid = entry.header.zxid;
        debug_assert!(
            self.last_zxid.is_none_or(|z| z < zxid),
            "txns must reach the persister in zxid order"
        );
        self.last_zxid = Some(zxid);
        self.pending.push(entry);
    }

    /// Records a `Durable` report (from the thread or an inline commit).
    pub fn note_durable(&mut self, zxid: i64, fsync: Option<Duration>) {
        self.durable_zxid = Some(zxid);
        self.last_fsync = fsync;
    }

    /// Hands the pending txns on; never waits for the thread.
    ///
    /// `requests_in_server` is the number of client requests read and not yet answered
    /// (`usize::MAX` when client events are queued for the core task). When it is no more
    /// than the pending txns — nobody but their own clients is waiting — and nothing is in
    /// flight to the thread, the batch is small and the last fsync was fast, the core task
    /// commits the batch itself and returns the thread's would-be reports (`Durable`, maybe
    /// `SnapshotDue`, or `Failed`) for the driver to handle as if they came from the thread: a
    /// lone write then skips the two thread hand-offs (core → thread → core), 30–40 µs of its
    /// ~120 µs on the benchmark machine. A busy server never commits inline, so the core task
    /// goes on serving others during every fsync. Otherwise the batch goes to the thread if
    /// its queue has room, and the returned list is empty.
    pub fn submit(&mut self, requests_in_server: usize) -> Vec<StorageEvent> {
        if self.pending.is_empty() {
            return Vec::new();
        }
        if requests_in_server <= self.pending.len() && self.may_commit_inline() {
            if let Some(events) = self.commit_inline() {
                return events;
            }
        }
        let Some(tx) = self.batches.as_ref() else {
            return Vec::new();
        };
        let batch = std::mem::take(&mut self.pending);
        let last = batch.last().map(|e| e.header.zxid);
        match tx.try_send(batch) {
            Ok(()) => self.submitted_zxid = last,
            // Full: the thread is busy; they go with the next batch. Closed: the thread has
            // failed and its `Failed` event is on the way; nothing is ever acknowledged.
            Err(TrySendError::Full(batch) | TrySendError::Closed(batch)) => self.pending = batch,
        }
        Vec::new()
    }

    fn may_commit_inline(&self) -> bool {
        let in_flight = match (self.submitted_zxid, self.durable_zxid) {
            (None, _) => false,
            (Some(submitted), durable) => durable.is_none_or(|d| d < submitted),
        };
        self.log.is_some()
            && !in_flight
            && self.pending.len() <= INLINE_COMMIT_MAX_TXNS
            && self.last_fsync.is_none_or(|d| d <= INLINE_COMMIT_MAX_FSYNC)
    }

    /// Commits the pending batch on this task if the thread is not holding the log.
    fn commit_inline(&mut self) -> Option<Vec<StorageEvent>> {
        let log = self.log.as_ref()?;
        let mut log = log.try_lock().ok()?;
        if log.failed() || log.uncommitted_txns() > 0 {
            return None;
        }
        let batch = std::mem::take(&mut self.pending);
        self.submitted_zxid = batch.last().map(|e| e.header.zxid);
        let committed = log.append(&batch).and_then(|()| log.commit());
        let events = match committed {
            Ok(events) => events,
            Err(e) => {
                tracing::error!(
                    "Severe unrecoverable error writing the txn log in {}: {e}; no further \
                     writes are acknowledged and the server stops",
                    log.log_dir().display()
                );
                vec![StorageEvent::Failed {
                    error: e.to_string(),
                }]
            }
        };
        Some(events)
    }

    /// Graceful stop: hands over what is pending (nothing of it was acknowledged, but it is
    /// written like ZooKeeper's final flush), closes the queue and waits up to `grace` for the
    /// thread to commit and exit.
    pub async fn shutdown(mut self, grace: Duration) {
        let Some(tx) = self.batches.take() else {
            return;
        };
        let pending = std::mem::take(&mut self.pending);
        let thread = self.thread.take();
        let work = async move {
            if !pending.is_empty() {
                let _ = tx.send(pending).await;
            }
            drop(tx);
            if let Some(thread) = thread {
                let _ = tokio::task::spawn_blocking(move || thread.join()).await;
            }
        };
        if tokio::time::timeout(grace, work).await.is_err() {
            tracing::warn!("the txn log thread did not finish within {grace:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::{Arc, Mutex};

    use zkrs_jute::records::txn::{CreateSessionTxn, TxnHeader};
    use zkrs_jute::{OpCode, TxnBody};
    use zkrs_storage::{FileTxnSnapLog, OsFs, StorageOptions};

    use super::*;
    use crate::storage_config::StorageConfig;
    use crate::txn_log_writer::TxnLogWriter;

    fn open_log(dir: &Path) -> FileTxnSnapLog<OsFs> {
        FileTxnSnapLog::open(OsFs, dir, dir, StorageOptions::default()).expect("open")
    }

    fn persister(dir: &Path) -> (Persister, mpsc::Receiver<Vec<TxnEntry>>) {
        let mut storage = open_log(dir);
        storage.restore().expect("restore");
        let log = Arc::new(Mutex::new(TxnLogWriter::new(
            storage,
            &StorageConfig::default(),
        )));
        let (tx, rx) = mpsc::channel(SYNC_QUEUE_BATCHES);
        (Persister::new(tx, std::thread::spawn(|| {}), Some(log)), rx)
    }

    fn create_session(zxid: i64) -> TxnEntry {
        TxnEntry {
            header: TxnHeader {
                client_id: 0x100 + zxid,
                cxid: 0,
                zxid,
                time: 1_700_000_000_000,
                r#type: OpCode::CreateSession.code(),
            },
            body: TxnBody::CreateSession(CreateSessionTxn { time_out: 30_000 }),
            digest: None,
        }
    }

    fn durable_zxid(events: &[StorageEvent]) -> Option<i64> {
        match events {
            [StorageEvent::Durable { zxid, txns: 1, .. }] => Some(*zxid),
            _ => None,
        }
    }

    #[test]
    fn a_lone_write_on_an_idle_server_is_committed_on_the_core_task() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut p, mut rx) = persister(dir.path());
        p.append(create_session(1));
        let events = p.submit(1);
        assert_eq!(durable_zxid(&events), Some(1), "{events:?}");
        assert!(rx.try_recv().is_err(), "nothing went to the thread");
        // Durable means on disk: a fresh restore replays it.
        let restored = open_log(dir.path()).restore().expect("restore");
        assert_eq!(restored.tree.last_processed_zxid(), 1);
        assert!(restored.sessions.contains_key(&0x101));
    }

    #[test]
    fn with_other_requests_in_the_server_the_thread_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut p, mut rx) = persister(dir.path());
        p.append(create_session(1));
        // Two requests in the server, one txn pending: someone else is waiting.
        assert!(p.submit(2).is_empty());
        assert_eq!(rx.try_recv().expect("batch").len(), 1);
        // Client events queued for the core task.
        p.append(create_session(2));
        assert!(p.submit(usize::MAX).is_empty());
        assert_eq!(rx.try_recv().expect("batch")[0].header.zxid, 2);
    }

    #[test]
    fn nothing_is_committed_inline_while_a_batch_is_in_flight_to_the_thread() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut p, mut rx) = persister(dir.path());
        p.append(create_session(1));
        assert!(p.submit(2).is_empty());
        // zxid 1 is with the thread, not yet durable: zxid 2 must follow it, not overtake it.
        p.append(create_session(2));
        assert!(p.submit(1).is_empty());
        assert_eq!(rx.try_recv().expect("batch")[0].header.zxid, 1);
        assert_eq!(rx.try_recv().expect("batch")[0].header.zxid, 2);
        // Once the thread reports both durable, the next lone write is inline again.
        p.note_durable(2, Some(Duration::from_micros(50)));
        p.append(create_session(3));
        assert_eq!(durable_zxid(&p.submit(1)), Some(3));
    }

    #[test]
    fn after_a_slow_fsync_the_thread_commits() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (mut p, mut rx) = persister(dir.path());
        p.note_durable(0, Some(INLINE_COMMIT_MAX_FSYNC * 4));
        p.append(create_session(1));
        assert!(p.submit(1).is_empty());
        assert_eq!(rx.try_recv().expect("batch").len(), 1);
        // The same lone write after a fast fsync is committed inline.
        p.note_durable(1, Some(INLINE_COMMIT_MAX_FSYNC / 4));
        p.append(create_session(2));
        assert_eq!(durable_zxid(&p.submit(1)), Some(2));
    }
}
