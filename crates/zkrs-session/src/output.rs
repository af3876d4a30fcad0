//! What the core asks the driver to do.

use bytes::Bytes;
use zkrs_jute::{Id, TxnEntry};

use crate::core::ConnId;

/// One action for the driver. Outputs for one connection must be carried out in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write a complete frame (length prefix included) to the connection.
    Send { conn: ConnId, frame: Bytes },
    /// Close the connection once everything sent before has been written.
    Close { conn: ConnId },
    /// Make this txn durable (append to the txn log and fsync), then call
    /// `ServerCore::handle_committed` with its zxid. No reply that depends on it is emitted
    /// before that call: persist-before-ack. On a leader this is the txn to propose; call
    /// `handle_committed` once a quorum has acknowledged it.
    Persist { entry: TxnEntry },
    /// Learners only: send the leader a `REQUEST` packet (`Learner.request`): data
    /// `long session_id; int cxid; int op` followed by `request`, the request record after the
    /// `RequestHeader` (re-encoded from the decoded request; empty when the body did not
    /// decode, which the leader's prep turns into the same MARSHALLINGERROR txn), authinfo
    /// `auth`, the client connection's identities. `auth` is empty only for the createSession
    /// of a new connection, which a Java learner sends with a null authinfo (-1). The client's
    /// reply waits for `handle_committed_txn` (or, for a sync,
    /// `handle_sync_answered`).
    Forward {
        session_id: i64,
        cxid: i32,
        op: i32,
        request: Bytes,
        auth: Vec<Id>,
    },
    /// Learners only: send the leader a `REVALIDATE` packet (`long session_id; int timeout`);
    /// its answer goes to `ServerCore::handle_revalidate_answer`.
    Revalidate { session_id: i64, timeout_ms: i32 },
    /// Leader only: send a `SYNC` packet (zxid 0, no data) to learner `sid`, answering the
    /// oldest `sync` it forwarded. Emitted once every txn proposed before that sync has been
    /// committed (`handle_committed`), so the learner sees those COMMITs first.
    LearnerSync { sid: u64 },
}
