//! [`Vote`], [`ServerState`] and FastLeaderElection's total order on votes
//! (`QuorumPeer.ServerState`, `Vote.java`, `FastLeaderElection.totalOrderPredicate`).
//!
//! A vote names a proposed leader by its server id, that leader's last logged zxid and its
//! epoch (`peerEpoch`, the leader's `currentEpoch`), plus the election round it was cast in
//! (`electionEpoch`, the sender's `logicalclock`). The leader id is kept as the raw signed
//! long of the wire: an observer's initial vote is `Long.MIN_VALUE`, which is no server id.

use std::fmt;

use zkrs_jute::Zxid;

/// The state a peer reports in its notifications (`QuorumPeer.ServerState`); the wire value is
/// the Java enum ordinal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ServerState {
    /// Ordinal 0: running leader election.
    Looking,
    /// Ordinal 1: a participant following an elected leader.
    Following,
    /// Ordinal 2: the elected leader.
    Leading,
    /// Ordinal 3: an observer following a leader.
    Observing,
}

impl ServerState {
    /// The wire value (`ServerState.ordinal()`).
    pub const fn ordinal(self) -> i32 {
        match self {
            ServerState::Looking => 0,
            ServerState::Following => 1,
            ServerState::Leading => 2,
            ServerState::Observing => 3,
        }
    }

    /// The state with wire value `ordinal`, or `None` for a value Java does not know (Java's
    /// `WorkerReceiver` drops such a notification).
    pub const fn from_ordinal(ordinal: i32) -> Option<ServerState> {
        match ordinal {
            0 => Some(ServerState::Looking),
            1 => Some(ServerState::Following),
            2 => Some(ServerState::Leading),
            3 => Some(ServerState::Observing),
            _ => None,
        }
    }

    /// The Java enum constant name (`LOOKING`, ...), as ZooKeeper logs and reports it.
    pub const fn as_str(self) -> &'static str {
        match self {
            ServerState::Looking => "LOOKING",
            ServerState::Following => "FOLLOWING",
            ServerState::Leading => "LEADING",
            ServerState::Observing => "OBSERVING",
        }
    }
}

impl fmt::Display for ServerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A vote: proposed leader, its zxid and epoch, the round, and the state of the voter.
///
/// `PartialEq` is plain field equality. Java's `Vote.equals`, used when FastLeaderElection
/// counts agreeing votes, is [`Vote::agrees_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vote {
    /// The notification format version the vote came with (0 for votes built locally, as in
    /// Java); it matters only to [`Vote::agrees_with`] for out-of-election votes.
    pub version: i32,
    /// The proposed leader's server id (raw: `i64::MIN` in an observer's initial vote).
    pub leader: i64,
    /// The proposed leader's last logged zxid.
    pub zxid: Zxid,
    /// The round (`logicalclock`) in which the vote was cast; -1 when unknown.
    pub election_epoch: i64,
    /// The proposed leader's epoch (`currentEpoch`).
    pub peer_epoch: i64,
    /// The state of the server that cast or reported the vote.
    pub state: ServerState,
}

impl Vote {
    /// A LOOKING vote of format version 0 (Java's four-argument `Vote` constructor).
    pub const fn new(leader: i64, zxid: Zxid, election_epoch: i64, peer_epoch: i64) -> Vote {
        Vote {
            version: 0,
            leader,
            zxid,
            election_epoch,
            peer_epoch,
            state: ServerState::Looking,
        }
    }

    /// The same vote reported with `state`.
    pub const fn with_state(mut self, state: ServerState) -> Vote {
        self.state = state;
        self
    }

    /// The same vote with notification format `version`.
    pub const fn with_version(mut self, version: i32) -> Vote {
        self.version = version;
        self
    }

    /// The same vote with another `peer_epoch` (`QuorumPeer.updateElectionVote`: a follower or
    /// leader reports the epoch it actually serves in once synchronised, ZOOKEEPER-1732).
    pub const fn with_peer_epoch(mut self, peer_epoch: i64) -> Vote {
        self.peer_epoch = peer_epoch;
        self
    }

    /// The proposed leader as a server id, or `None` for a negative (non-server) value.
    pub fn leader_sid(&self) -> Option<u64> {
        u64::try_from(self.leader).ok()
    }

    /// Java's `Vote.equals`: whether two votes count as the same when tallying.
    ///
    /// - If either vote is LOOKING: same leader, zxid, election epoch and peer epoch.
    /// - Otherwise (both report a serving state) zxid and election epoch are not compared,
    ///   because followers may report stale ones (ZOOKEEPER-1805): same leader and peer epoch,
    ///   or only the same leader when exactly one of the two has format version > 0 (a mixed
    ///   ensemble around ZOOKEEPER-1732).
    pub fn agrees_with(&self, other: &Vote) -> bool {
        if self.state == ServerState::Looking || other.state == ServerState::Looking {
            self.leader == other.leader
                && self.zxid == other.zxid
                && self.election_epoch == other.election_epoch
                && self.peer_epoch == other.peer_epoch
        } else if (self.version > 0) ^ (other.version > 0) {
            self.leader == other.leader
        } else {
            self.leader == other.leader && self.peer_epoch == other.peer_epoch
        }
    }
}

impl fmt::Display for Vote {
    /// `(leader, zxid hex, peerEpoch hex)` like Java's `Vote.toString`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "({}, {:x}, {:x})",
            self.leader,
            self.zxid.raw(),
            self.peer_epoch
        )
    }
}

/// `FastLeaderElection.totalOrderPredicate`: whether `new` beats `cur`.
///
/// A proposed leader of weight 0 (`new_leader_weight`, from the quorum verifier) never wins.
/// Otherwise votes are ordered by `(peer_epoch, zxid, leader)`, compared as signed longs; the
/// election epochs and states are ignored. Ties are not wins.
pub fn total_order_predicate(new: &Vote, cur: &Vote, new_leader_weight: i64) -> bool {
    if new_leader_weight == 0 {
        return false;
    }
    (new.peer_epoch, new.zxid.raw(), new.leader) > (cur.peer_epoch, cur.zxid.raw(), cur.leader)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(leader: i64, zxid: i64, peer_epoch: i64) -> Vote {
        Vote::new(leader, Zxid(zxid), 1, peer_epoch)
    }

    #[test]
    fn ordinals_round_trip() {
        for o in 0..4 {
            let s = ServerState::from_ordinal(o).expect("known ordinal");
            assert_eq!(s.ordinal(), o);
        }
        assert_eq!(ServerState::from_ordinal(4), None);
        assert_eq!(ServerState::from_ordinal(-1), None);
        assert_eq!(ServerState::Observing.to_string(), "OBSERVING");
    }

    #[test]
    fn epoch_then_zxid_then_id() {
        // A higher epoch wins over a higher zxid and a higher id (ZOOKEEPER-1419).
        assert!(total_order_predicate(
            &v(1, 5, 2),
            &v(3, 0x1_0000_0009, 1),
            1
        ));
        assert!(!total_order_predicate(
            &v(3, 0x1_0000_0009, 1),
            &v(1, 5, 2),
            1
        ));
        assert!(total_order_predicate(&v(1, 6, 1), &v(3, 5, 1), 1));
        assert!(total_order_predicate(&v(3, 5, 1), &v(1, 5, 1), 1));
        assert!(!total_order_predicate(&v(3, 5, 1), &v(3, 5, 1), 1));
        // Weight zero never wins.
        assert!(!total_order_predicate(&v(9, 9, 9), &v(1, 1, 1), 0));
        // An observer's initial vote loses to any real vote and never beats another one.
        let obs = Vote::new(i64::MIN, Zxid(i64::MIN), 1, i64::MIN);
        assert!(total_order_predicate(&v(1, 0, 0), &obs, 1));
        assert!(!total_order_predicate(&obs, &obs, 1));
    }

    #[test]
    fn agreement_like_java_equals() {
        let looking = v(2, 5, 1);
        assert!(looking.agrees_with(&looking));
        assert!(!looking.agrees_with(&Vote {
            election_epoch: 2,
            ..looking
        }));
        let following = looking.with_state(ServerState::Following);
        // One LOOKING side: every field but state and version counts.
        assert!(looking.agrees_with(&following));
        assert!(!looking.agrees_with(&Vote {
            zxid: Zxid(6),
            ..following
        }));
        // Both serving: zxid and electionEpoch are ignored, peerEpoch counts...
        let leading = Vote {
            zxid: Zxid(9),
            election_epoch: 7,
            ..looking
        }
        .with_state(ServerState::Leading);
        assert!(following.agrees_with(&leading));
        assert!(!following.agrees_with(&leading.with_peer_epoch(2)));
        // ...unless exactly one of them has a format version above 0.
        assert!(following.agrees_with(&leading.with_peer_epoch(2).with_version(2)));
        assert!(!following
            .with_version(2)
            .agrees_with(&leading.with_peer_epoch(2).with_version(2)));
    }
}
