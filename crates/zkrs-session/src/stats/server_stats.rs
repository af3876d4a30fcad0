//! Server-wide counters (`ServerStats`: `srvr`, `stat`, `srst`, mntr).

use crate::stats::Latency;

/// Packets and request latency since start or the last `srst`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ServerStats {
    pub packets_received: u64,
    pub packets_sent: u64,
    pub latency: Latency,
    /// `prep_processor_request_queued`: requests that entered the pipeline (all but auth).
    pub prep_requests_queued: u64,
    /// `connection_revalidate_count`: connects that resume an existing session.
    pub connection_revalidates: u64,
    /// `stale_sessions_expired`: sessions the tracker expired for their timeout.
    pub stale_sessions_expired: u64,
}

impl ServerStats {
    /// `ServerStats.reset()`: latency and packet counters.
    pub fn reset(&mut self) {
        self.packets_received = 0;
        self.packets_sent = 0;
        self.latency.reset();
        self.prep_requests_queued = 0;
        self.connection_revalidates = 0;
        self.stale_sessions_expired = 0;
    }
}
