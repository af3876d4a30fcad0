//! [`WireStats`]: the `mntr` metrics only the shell can measure, because they are about bytes
//! and timing on the wire or about the disk (the core keeps `srvr`'s packet and latency
//! counters itself).

use crate::database::StartupStats;
use crate::quorum_stats::QuorumStats;
use crate::summary::Summary;

/// `BufferStats`: last/min/max of a size, -1 until the first sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BufferStats {
    pub last: i64,
    pub min: i64,
    pub max: i64,
}

impl Default for BufferStats {
    fn default() -> Self {
        BufferStats {
            last: -1,
            min: -1,
            max: -1,
        }
    }
}

impl BufferStats {
    /// Records one size.
    pub fn add(&mut self, size: i64) {
        self.last = size;
        self.min = if self.min == -1 {
            size
        } else {
            self.min.min(size)
        };
        self.max = self.max.max(size);
    }
}

/// Wire-level statistics, owned by the core task; reset by `srst`.
#[derive(Debug, Clone)]
pub struct WireStats {
    /// `readlatency`: receipt-to-reply latency (ms) of requests that write nothing.
    pub read_latency: Summary,
    /// `updatelatency`: the same for requests that may write (and session creation).
    pub update_latency: Summary,
    /// `bytes_received_count`.
    pub bytes_received: u64,
    /// `response_bytes`.
    pub response_bytes: u64,
    /// `last/min/max_client_response_size`: reply sizes without the length prefix.
    pub client_response_size: BufferStats,
    /// `sessionless_connections_expired`: connections closed for inactivity.
    pub connections_expired: u64,
    /// `auth_failed_count`: auth replies with AUTHFAILED.
    pub auth_failed: u64,
    /// `fsynctime`: ms per txn log fsync (one per group commit; none with `forceSync=no`).
    pub fsync_time: Summary,
    /// `sync_processor_batch_size`: txns per group commit.
    pub sync_batch_size: Summary,
    /// Fsyncs slower than `fsync.warningthresholdms` (ZooKeeper's `fsyncThresholdExceedCount`).
    pub fsync_threshold_exceeded: u64,
    /// `snapshottime`: ms to write a background snapshot.
    pub snapshot_time: Summary,
    /// `startup_txns_loaded`.
    pub startup_txns_loaded: Summary,
    /// `startup_txns_load_time` (ms; zkrs measures snapshot load and replay together).
    pub startup_txns_load_time: Summary,
    /// `startup_snap_load_time` (ms).
    pub startup_snap_load_time: Summary,
    /// `dbinittime` (ms).
    pub db_init_time: Summary,
    /// `watch_bytes`: bytes of watch notifications sent (without the length prefix).
    pub watch_bytes: u64,
    /// `sync_processor_request_queued`: txns handed to the txn log.
    pub sync_requests_queued: u64,
    /// `sync_processor_queue_size`: txns already waiting as each one is queued.
    pub sync_queue_size: Summary,
    /// `sync_processor_queue_and_flush_time_ms`: ms from queueing a txn to it being durable.
    pub sync_queue_and_flush_time: Summary,
    /// `sync_processor_queue_flush_time_ms`: the fsync of each txn's group commit.
    pub sync_flush_time: Summary,
    /// `sync_processor_queue_time_ms`: the rest (waiting and writing).
    pub sync_queue_time: Summary,
    /// Txns queued for the log and not yet durable: (zxid, monotonic ms queued).
    pub logging: std::collections::VecDeque<(i64, u64)>,
    /// The quorum member's counters (zero on a standalone server).
    pub quorum: QuorumStats,
}

impl Default for WireStats {
    fn default() -> Self {
        WireStats {
            read_latency: Summary::advanced(),
            update_latency: Summary::advanced(),
            bytes_received: 0,
            response_bytes: 0,
            client_response_size: BufferStats::default(),
            connections_expired: 0,
            auth_failed: 0,
            fsync_time: Summary::basic(),
            sync_batch_size: Summary::basic(),
            fsync_threshold_exceeded: 0,
            snapshot_time: Summary::basic(),
            startup_txns_loaded: Summary::basic(),
            startup_txns_load_time: Summary::basic(),
            startup_snap_load_time: Summary::basic(),
            db_init_time: Summary::basic(),
            watch_bytes: 0,
            sync_requests_queued: 0,
            sync_queue_size: Summary::basic(),
            sync_queue_and_flush_time: Summary::advanced(),
            sync_flush_time: Summary::advanced(),
            sync_queue_time: Summary::advanced(),
            logging: std::collections::VecDeque::new(),
            quorum: QuorumStats::default(),
        }
    }
}

/// Txns whose queueing time is kept for the sync-processor latencies.
const LOGGING_MAX: usize = 100_000;

impl WireStats {
    /// A txn is handed to the txn log behind `already_queued` others.
    pub fn txn_queued(&mut self, zxid: i64, already_queued: usize, now_ms: u64) {
        self.sync_requests_queued += 1;
        self.sync_queue_size.add(already_queued as u64);
        if self.logging.len() == LOGGING_MAX {
            self.logging.pop_front();
        }
        self.logging.push_back((zxid, now_ms));
    }

    /// Every txn up to `zxid` is durable; its group commit's fsync took `fsync_ms`.
    pub fn txns_durable(&mut self, zxid: i64, fsync_ms: u64, now_ms: u64) {
        while let Some(&(z, at)) = self.logging.front() {
            if z > zxid {
                break;
            }
            self.logging.pop_front();
            let total = now_ms.saturating_sub(at);
            self.sync_queue_and_flush_time.add(total);
            self.sync_flush_time.add(fsync_ms);
            self.sync_queue_time.add(total.saturating_sub(fsync_ms));
        }
    }

    /// `srst` (`ServerMetrics.resetAll()`).
    pub fn reset(&mut self) {
        // The election and serving clocks are state, not statistics.
        let looking_since_ms = self.quorum.looking_since_ms;
        let decided_at_ms = self.quorum.decided_at_ms;
        let logging = std::mem::take(&mut self.logging);
        let received = std::mem::take(&mut self.quorum.received);
        let proposed_at = std::mem::take(&mut self.quorum.proposed_at);
        *self = WireStats::default();
        self.quorum.looking_since_ms = looking_since_ms;
        self.quorum.decided_at_ms = decided_at_ms;
        self.logging = logging;
        self.quorum.received = received;
        self.quorum.proposed_at = proposed_at;
    }

    /// The start-up metrics, recorded once.
    pub fn record_startup(&mut self, s: &StartupStats) {
        let load_ms = s.load_time.as_millis() as u64;
        self.startup_txns_loaded.add(s.txns_loaded);
        self.startup_txns_load_time.add(load_ms);
        self.startup_snap_load_time.add(load_ms);
        self.db_init_time
            .add(load_ms + s.snapshot_time.as_millis() as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sync_processor_times_per_txn() {
        let mut w = WireStats::default();
        w.txn_queued(1, 0, 100);
        w.txn_queued(2, 1, 101);
        w.txns_durable(2, 4, 110);
        assert_eq!(w.sync_requests_queued, 2);
        assert_eq!(w.sync_queue_size.sum(), 1);
        assert_eq!(w.sync_queue_and_flush_time.sum(), 10 + 9);
        assert_eq!(w.sync_flush_time.sum(), 8);
        assert_eq!(w.sync_queue_time.sum(), 6 + 5);
        // srst keeps what is in flight.
        w.txn_queued(3, 0, 120);
        w.reset();
        w.txns_durable(3, 1, 125);
        assert_eq!(w.sync_queue_and_flush_time.count(), 1);
    }
}
