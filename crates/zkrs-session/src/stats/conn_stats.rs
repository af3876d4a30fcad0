//! Per-connection statistics (`ServerCnxn`: `cons`, `crst`, the `connections` admin command).

use crate::stats::Latency;

/// One connection's counters.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnStats {
    pub packets_received: u64,
    pub packets_sent: u64,
    /// `lop`: the last operation's name as `FinalRequestProcessor` records it (`NA` before any).
    pub last_op: &'static str,
    /// `lcxid`: the last non-negative xid answered, or -1.
    pub last_cxid: i64,
    /// `lzxid`: the zxid in the last reply header, or -1.
    pub last_zxid: i64,
    /// `lresp`: monotonic ms of the last reply (0 before any).
    pub last_response_time: u64,
    /// `llat`.
    pub last_latency: i64,
    pub latency: Latency,
}

impl Default for ConnStats {
    fn default() -> Self {
        ConnStats {
            packets_received: 0,
            packets_sent: 0,
            last_op: "NA",
            last_cxid: -1,
            last_zxid: -1,
            last_response_time: 0,
            last_latency: 0,
            latency: Latency::default(),
        }
    }
}

impl ConnStats {
    /// `updateStatsForResponse(cxid, zxid, op, start, end)`.
    pub fn update_for_response(
        &mut self,
        cxid: i32,
        zxid: i64,
        op: &'static str,
        start: u64,
        end: u64,
    ) {
        if cxid >= 0 {
            self.last_cxid = i64::from(cxid);
        }
        self.last_zxid = zxid;
        self.last_op = op;
        self.last_response_time = end;
        let elapsed = end as i64 - start as i64;
        self.last_latency = elapsed;
        self.latency.add(elapsed);
    }

    /// `resetStats()` (`crst`).
    pub fn reset(&mut self) {
        *self = ConnStats::default();
    }
}
