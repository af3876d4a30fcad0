//! [`WireStats`]: the `mntr` metrics only the shell can measure, because they are about bytes
//! and timing on the wire (the core keeps `srvr`'s packet and latency counters itself).

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
        }
    }
}

impl WireStats {
    /// `srst` (`ServerMetrics.resetAll()`).
    pub fn reset(&mut self) {
        *self = WireStats::default();
    }
}
