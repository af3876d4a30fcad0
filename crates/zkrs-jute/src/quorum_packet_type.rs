//! `Leader.java` packet type constants for `QuorumPacket.type` on the learner port.

/// The type of a [`crate::QuorumPacket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
pub enum PacketType {
    /// Learner forwards a client write: `sessionId, cxid, type` + request bytes.
    Request = 1,
    /// Leader proposes a txn (txn-log entry bytes).
    Proposal = 2,
    /// Follower has logged a proposal (or NEWLEADER/UPTODATE).
    Ack = 3,
    /// Leader commits a zxid.
    Commit = 4,
    /// Liveness both ways; the learner's reply carries session touches.
    Ping = 5,
    /// Session revalidation on reconnect through a learner.
    Revalidate = 6,
    /// Answer to a forwarded sync.
    Sync = 7,
    /// Committed txn sent to observers.
    Inform = 8,
    /// Reconfig commit carrying the designated leader.
    CommitAndActivate = 9,
    /// End of synchronization; carries the quorum verifier text.
    NewLeader = 10,
    /// First packet from a follower: LearnerInfo.
    FollowerInfo = 11,
    /// Learner may start serving.
    UpToDate = 12,
    /// Sync by replaying proposals.
    Diff = 13,
    /// Sync by truncating the learner's log.
    Trunc = 14,
    /// Sync by a full snapshot stream.
    Snap = 15,
    /// First packet from an observer: LearnerInfo.
    ObserverInfo = 16,
    /// Leader's new epoch proposal.
    LeaderInfo = 17,
    /// Learner accepts the new epoch.
    AckEpoch = 18,
    /// Reconfig inform for observers.
    InformAndActivate = 19,
}

impl PacketType {
    /// The type for a wire value.
    pub fn from_i32(v: i32) -> Option<PacketType> {
        use PacketType::*;
        Some(match v {
            1 => Request,
            2 => Proposal,
            3 => Ack,
            4 => Commit,
            5 => Ping,
            6 => Revalidate,
            7 => Sync,
            8 => Inform,
            9 => CommitAndActivate,
            10 => NewLeader,
            11 => FollowerInfo,
            12 => UpToDate,
            13 => Diff,
            14 => Trunc,
            15 => Snap,
            16 => ObserverInfo,
            17 => LeaderInfo,
            18 => AckEpoch,
            19 => InformAndActivate,
            _ => return None,
        })
    }
}
