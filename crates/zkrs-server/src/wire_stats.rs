//! [`WireStats`]: the `mntr` metrics only the shell can measure, because they are about bytes
//! and timing on the wire or about the disk (the core keeps `srvr`'s packet and latency
//! counters itself).

use crate::database::StartupStats;
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
    /// `snap_count`: snapshots started.
    pub snapshots: u64,
    /// `startup_txns_loaded`.
    pub startup_txns_loaded: Summary,
    /// `startup_txns_load_time` (ms; zkrs measures snapshot load and replay together).
    pub startup_txns_load_time: Summary,
    /// `startup_snap_load_time` (ms).
    pub startup_snap_load_time: Summary,
    /// `dbinittime` (ms).
    pub db_init_time: Summary,
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
            snapshots: 0,
            startup_txns_loaded: Summary::basic(),
            startup_txns_load_time: Summary::basic(),
            startup_snap_load_time: Summary::basic(),
            db_init_time: Summary::basic(),
        }
    }
}

impl WireStats {
    /// `srst` (`ServerMetrics.resetAll()`).
    pub fn reset(&mut self) {
        *self = WireStats::default();
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
