//! [`Persister`]: where `Output::Persist` goes — the seam the txn log plugs into.
//!
//! The core emits `Output::Persist { entry }` for every txn and promises not to emit any reply
//! that depends on it until `ServerCore::handle_committed(zxid)` says it is durable
//! (persist-before-ack). The driver hands every such entry to [`Persister::append`] while it
//! drains one batch of outputs, then asks [`Persister::flush`] once for the batch and passes the
//! returned zxid to `handle_committed`. That is group commit's shape: with the txn log (next
//! issue) `append` serialises into the log and `flush` becomes one fsync for the whole batch,
//! moved off the core task with its completion fed back as an event.
//!
//! Today there is no txn log: [`Persister::flush`] reports the batch durable at once.

use zkrs_jute::TxnEntry;

/// Collects the txns of one output batch and reports when they are durable.
#[derive(Debug, Default)]
pub struct Persister {
    /// The highest zxid appended since the last flush.
    unflushed_zxid: Option<i64>,
}

impl Persister {
    /// A persister with nothing pending.
    pub fn new() -> Persister {
        Persister::default()
    }

    /// Queues one txn for the log.
    pub fn append(&mut self, entry: TxnEntry) {
        let zxid = entry.header.zxid;
        debug_assert!(
            self.unflushed_zxid.is_none_or(|z| z < zxid),
            "txns must reach the persister in zxid order"
        );
        self.unflushed_zxid = Some(self.unflushed_zxid.map_or(zxid, |z| z.max(zxid)));
    }

    /// Makes every appended txn durable and returns the highest zxid now durable, if any was
    /// appended since the last call. (No log yet: nothing to write.)
    pub fn flush(&mut self) -> Option<i64> {
        self.unflushed_zxid.take()
    }
}
