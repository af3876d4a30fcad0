//! [`ZabOutput`]: what the leader and learner state machines ask the shell to do.
//!
//! Outputs must be carried out in the order they are polled. Those that touch the disk report
//! back through an input (`handle_logged`, `handle_epoch_persisted`, ...): the state machines
//! send nothing that depends on durable state before that input arrives (persist-before-ack).

use bytes::Bytes;
use zkrs_config::QuorumVerifier;
use zkrs_jute::{Id, QuorumPacket, Zxid};

/// Identifies one learner connection on the leader; chosen by the shell, never reused.
pub type HandlerId = u64;

/// Which epoch file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EpochKind {
    /// `acceptedEpoch`.
    Accepted,
    /// `currentEpoch`.
    Current,
}

/// One action for the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZabOutput {
    // ---- Leader side -------------------------------------------------------------------------
    /// Write this packet to the learner connection `handler` (after everything queued before).
    SendToLearner {
        handler: HandlerId,
        packet: QuorumPacket,
    },
    /// Write `SNAP(zxid)` and then the snapshot stream (sessions, data tree, signature) of the
    /// tree as applied up to `zxid` to `handler`. Every `Commit` polled before this output has
    /// been applied when the shell takes the tree, so the tree is exactly at `zxid`.
    SendSnapshot { handler: HandlerId, zxid: Zxid },
    /// Read the leader's on-disk txn log for a DIFF (`getProposalsFromTxnLog`): the logged
    /// proposals from `from` (which must be the first) up to `up_to`, within the
    /// `snapshotSizeFactor` limit; answer with `Leader::handle_txn_log_read` (`None` when the
    /// log cannot serve it). Blocking work: never on the task that answers pings.
    ReadTxnLog {
        handler: HandlerId,
        from: Zxid,
        up_to: Zxid,
    },
    /// Close the learner connection (a protocol error, a timeout, or the leader stepping down).
    CloseLearner { handler: HandlerId, reason: String },
    /// The core's txns up to and including `zxid` are committed by a quorum: apply them and
    /// release their replies.
    Commit { zxid: Zxid },
    /// A learner forwarded a client request (`REQUEST`): prepare it as the leader's own
    /// (connection-free prep) and hand the txn back through `Leader::propose`.
    LearnerRequest {
        sid: u64,
        session_id: i64,
        cxid: i32,
        op: i32,
        request: Bytes,
        authinfo: Vec<Id>,
    },
    /// Session touches a learner reported in its PING reply (`sessionId`, `timeout`).
    TouchSessions { sessions: Vec<(i64, i32)> },
    /// A learner asks whether a session it is reconnecting is valid; answer with
    /// `Leader::revalidate_answer`.
    Revalidate {
        handler: HandlerId,
        sid: u64,
        session_id: i64,
        timeout_ms: i32,
    },

    // ---- Learner side ------------------------------------------------------------------------
    /// Open the connection to the leader `sid` (its quorum address, resolved again now), then
    /// call `Learner::handle_connected` (or `handle_disconnected` on failure).
    ConnectToLeader { sid: u64 },
    /// Write this packet to the leader.
    SendToLeader { packet: QuorumPacket },
    /// Answer the leader's PING: send `PING(zxid)` whose data is the session touches the core
    /// collected since the last one.
    AnswerPing { zxid: Zxid },
    /// Apply this committed txn (txn-log entry bytes) to the data tree.
    Apply { zxid: Zxid, txn: Bytes },
    /// TRUNC: cut the txn log after `zxid` (and drop snapshots newer than it), reload the
    /// database from disk, then call `Learner::handle_truncated`.
    Truncate { zxid: Zxid },
    /// Take a snapshot of the applied tree and make it durable, then call
    /// `Learner::handle_snapshot_taken` (after a SNAP or TRUNC sync, at NEWLEADER).
    TakeSnapshot { zxid: Zxid },
    /// The leader answered a REVALIDATE.
    RevalidateAnswer { session_id: i64, valid: bool },
    /// The oldest pending `sync` of this member's clients may be answered: on a learner the
    /// leader sent SYNC; on the leader, `Leader::sync_local`'s conditions hold.
    SyncAnswered,

    // ---- Both --------------------------------------------------------------------------------
    /// A configuration was proposed (a reconfig PROPOSAL, or NEWLEADER announcing the
    /// leader's last seen one): remember it as the last seen configuration
    /// (`setLastSeenQuorumVerifier`: `<config>.dynamic.next`, election connections to its new
    /// members). Only with `reconfigEnabled`.
    LastSeenConfig { verifier: QuorumVerifier },
    /// Activate this configuration (`QuorumPeer.processReconfig`): if its version is newer
    /// than the member's, write `<config>.dynamic.<version>`, point zoo.cfg at it, drop
    /// `.dynamic.next`, and use the new membership for elections and connections; in any
    /// case write it into `/zookeeper/config` (`initConfigInZKDatabase`). The engine has
    /// already switched to it. `designated_leader` is the COMMITANDACTIVATE's (or the new
    /// leader's own choice). Only with `reconfigEnabled`. Polled before the `Apply`/`Commit`
    /// of the reconfig txn itself.
    ActivateConfig {
        verifier: QuorumVerifier,
        designated_leader: Option<u64>,
    },
    /// Append this txn (txn-log entry bytes) to the txn log; report with `handle_logged` once
    /// it is durable (group commit may report several at once).
    LogTxn { zxid: Zxid, txn: Bytes },
    /// Write the epoch file durably (tmp + fsync + rename), then call
    /// `handle_epoch_persisted`.
    PersistEpoch { kind: EpochKind, epoch: i64 },
    /// Clients may be served from now on (leader: a quorum acknowledged NEWLEADER; learner:
    /// UPTODATE arrived).
    StartServing,
    /// The role is over (leader without a quorum, learner cut off from its leader, a protocol
    /// error): stop serving and go back to LOOKING.
    Shutdown { reason: String },
}
