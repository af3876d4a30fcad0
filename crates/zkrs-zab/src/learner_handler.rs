//! [`LearnerHandler`]: what the leader keeps about one learner connection
//! (`LearnerHandler.java`, as a struct: the shell owns the socket, the [`crate::leader::Leader`]
//! steps the protocol).

use zkrs_jute::Zxid;

use crate::zab_output::HandlerId;

/// Where the conversation with one learner is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HandlerState {
    /// Connected; waiting for FOLLOWERINFO / OBSERVERINFO.
    AwaitingInfo,
    /// LearnerInfo received; waiting for the new epoch to be fixed and persisted.
    AwaitingEpoch,
    /// LEADERINFO sent; waiting for ACKEPOCH.
    AwaitingAckEpoch,
    /// ACKEPOCH received; waiting for a quorum of them before the sync starts.
    AwaitingEpochQuorum,
    /// Behind the committed log: waiting for the shell's read of the on-disk txn log.
    AwaitingTxnLog,
    /// DIFF/TRUNC/SNAP and NEWLEADER sent; waiting for the ACK of NEWLEADER.
    AwaitingNewLeaderAck,
    /// NEWLEADER acknowledged; waiting for the leader to start serving (then UPTODATE).
    AwaitingStartup,
    /// UPTODATE sent: the learner takes part in broadcast.
    Broadcast,
}

/// How a learner was brought up to date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// DIFF: the proposals after the learner's last zxid.
    Diff,
    /// TRUNC (and maybe proposals): the learner has txns the leader does not.
    Trunc,
    /// SNAP: the whole tree.
    Snap,
}

/// One learner as the leader sees it.
#[derive(Debug, Clone)]
pub struct LearnerHandler {
    /// The shell's connection id.
    pub id: HandlerId,
    /// The learner's server id, once its LearnerInfo arrived.
    pub sid: Option<u64>,
    /// Whether it syncs as an observer (OBSERVERINFO, or an observer in `server.N`).
    pub observer: bool,
    /// Whether it counts in quorums (a participant of the current config).
    pub participant: bool,
    pub state: HandlerState,
    /// The epoch in its FOLLOWERINFO (`acceptedEpoch`).
    pub last_accepted_epoch: i64,
    /// Its ACKEPOCH: last logged zxid and currentEpoch (-1: it had accepted this epoch).
    pub peer_last_zxid: Zxid,
    pub peer_current_epoch: i64,
    /// How it was synced (for logs, `mntr` and tests).
    pub sync_mode: Option<SyncMode>,
    /// It receives PROPOSAL/COMMIT (follower) or INFORM (observer) from now on.
    pub forwarding: bool,
    /// It must be heard from by this time (ms): `initLimit + syncLimit` ticks after it
    /// connected, then `syncLimit` ticks after each packet (`tickOfNextAckDeadline`).
    pub ack_deadline_ms: u64,
    /// The leader's sync round current when it last heard from this learner.
    pub heard_round: u64,
}

impl LearnerHandler {
    /// A connection that has sent nothing yet.
    pub fn new(id: HandlerId, ack_deadline_ms: u64) -> LearnerHandler {
        LearnerHandler {
            id,
            sid: None,
            observer: false,
            participant: false,
            state: HandlerState::AwaitingInfo,
            last_accepted_epoch: 0,
            peer_last_zxid: Zxid::ZERO,
            peer_current_epoch: 0,
            sync_mode: None,
            forwarding: false,
            ack_deadline_ms,
            heard_round: 0,
        }
    }

    /// `LearnerHandler.synced()`: heard from recently enough to count as in sync.
    pub fn synced(&self, now_ms: u64) -> bool {
        now_ms <= self.ack_deadline_ms
    }
}
