//! [`Notice`]: session events the core reports for the driver to log.
//!
//! ZooKeeper logs these where they happen (`ZooKeeperServer.expire`, `finishSessionInit`);
//! the sans-IO core does no I/O, so it queues them and the driver logs them
//! ([`crate::ServerCore::poll_notice`]). The queue holds at most [`NOTICE_LIMIT`]; notices
//! past that are dropped, so a core nobody polls (the simulator) stays bounded.

use crate::core::ConnId;

/// How many notices wait at most.
pub const NOTICE_LIMIT: usize = 1024;

/// One thing worth a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Notice {
    /// The session tracker expired a session (`Expiring session 0x…, timeout of …ms
    /// exceeded`; on a learner only its local sessions).
    SessionExpired { session_id: i64, timeout_ms: i32 },
    /// A connection's session is established (`Established session 0x… with negotiated
    /// timeout … for client …`; DEBUG in ZooKeeper).
    SessionEstablished {
        conn: ConnId,
        session_id: i64,
        timeout_ms: i32,
    },
    /// A reconnect named a session that is gone or a wrong password (`Invalid session 0x…
    /// for client …, probably expired`).
    SessionInvalid { conn: ConnId, session_id: i64 },
}
