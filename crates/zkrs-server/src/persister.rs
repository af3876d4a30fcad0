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

/// Batches queued to the sync thread before the driver keeps them locally.
pub const SYNC_QUEUE_BATCHES: usize = 4;

/// The core task's handle on the txn log thread.
#[derive(Debug)]
pub struct Persister {
    pending: Vec<TxnEntry>,
    /// The highest zxid appended (to check the order).
    last_zxid: Option<i64>,
    batches: Option<mpsc::Sender<Vec<TxnEntry>>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Persister {
    /// A persister feeding `batches`, whose consumer is `thread`.
    pub fn new(
        batches: mpsc::Sender<Vec<TxnEntry>>,
        thread: std::thread::JoinHandle<()>,
    ) -> Persister {
        Persister {
            pending: Vec::new(),
            last_zxid: None,
            batches: Some(batches),
            thread: Some(thread),
        }
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

    /// Hands the pending txns to the sync thread if its queue has room; never waits.
    pub fn submit(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let Some(tx) = self.batches.as_ref() else {
            return;
        };
        let batch = std::mem::take(&mut self.pending);
        match tx.try_send(batch) {
            Ok(()) => {}
            // Full: the thread is busy; they go with the next batch. Closed: the thread has
            // failed and its `Failed` event is on the way; nothing is ever acknowledged.
            Err(TrySendError::Full(batch) | TrySendError::Closed(batch)) => self.pending = batch,
        }
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
