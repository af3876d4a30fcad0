//! Time as an input.

/// The two clocks ZooKeeper reads: monotonic milliseconds (`Time.currentElapsedTime`, session
/// expiry and session-id seeding) and wall-clock milliseconds (`Time.currentWallTime`, the
/// `time` of a TxnHeader and so node ctime/mtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Clock {
    pub mono_ms: u64,
    pub wall_ms: i64,
}
