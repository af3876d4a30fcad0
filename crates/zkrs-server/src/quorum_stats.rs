//! [`QuorumStats`]: what a quorum member measures of its elections, syncs and broadcasts
//! (ZooKeeper's `ServerMetrics` for `looking_count`, `election_time`, `proposal_count`,
//! `quorum_ack_latency`, ...), counted by the driver from the ZAB engines' outputs.

use std::collections::{BTreeMap, VecDeque};

use crate::summary::Summary;

/// What a quorum member measures of its elections, syncs and broadcasts (`ServerMetrics`).
#[derive(Debug, Clone)]
pub struct QuorumStats {
    /// `looking_count`: elections entered.
    pub looking_count: u64,
    /// `election_time`: ms from entering LOOKING to the election's decision.
    pub election_time: Summary,
    /// `unavailable_time`: ms from entering LOOKING to serving again.
    pub unavailable_time: Summary,
    /// `leader_unavailable_time`: the same, recorded by a member that became the leader.
    pub leader_unavailable_time: Summary,
    /// `follower_sync_time` / `observer_sync_time`: ms from the decision to UPTODATE.
    pub follower_sync_time: Summary,
    pub observer_sync_time: Summary,
    /// `proposal_count` (leader): proposals made.
    pub proposal_count: u64,
    /// `commit_count` (leader): proposals committed.
    pub commit_count: u64,
    /// `learner_proposal_received_count` (follower): PROPOSALs logged in broadcast.
    pub learner_proposal_received_count: u64,
    /// `learner_commit_received_count` (follower, observer): COMMITs/INFORMs applied in broadcast.
    pub learner_commit_received_count: u64,
    /// `request_commit_queued`: committed txns applied in broadcast (any role).
    pub request_commit_queued: u64,
    /// `diff_count` / `snap_count` (leader): learners synced by DIFF (or TRUNC) and by SNAP.
    pub diff_count: u64,
    pub snap_count: u64,
    /// `inflight_diff_count` / `inflight_snap_count` (leader): learners syncing as each
    /// DIFF/TRUNC or SNAP starts.
    pub inflight_diff_count: Summary,
    /// `revalidate_count` (leader): REVALIDATE packets from learners.
    pub revalidate_count: u64,
    pub inflight_snap_count: Summary,
    /// `quorum_ack_latency` (leader): ms from logging a proposal to its commit.
    pub quorum_ack_latency: Summary,
    /// `propagation_latency`: ms from a txn's creation (its header time) to its apply here.
    pub propagation_latency: Summary,
    /// When the member last entered LOOKING (monotonic ms), until it serves.
    pub looking_since_ms: Option<u64>,
    /// When the election was decided (monotonic ms), until the member serves.
    pub decided_at_ms: Option<u64>,
    /// `proposal_latency` (follower): ms from a proposal's creation (txn time) to its receipt.
    pub proposal_latency: Summary,
    /// `proposal_ack_creation_latency` (follower): ms from receipt to durable (the ACK).
    pub proposal_ack_creation_latency: Summary,
    /// `commit_propagation_latency` (follower, observer): ms from receipt to the COMMIT/INFORM.
    pub commit_propagation_latency: Summary,
    /// A follower's proposals in broadcast: (zxid, monotonic ms received, acked), oldest first.
    pub received: VecDeque<(i64, u64, bool)>,
    /// `learner_handler_qp_size{key=<sid>}` (leader): packets queued for a learner, sampled as
    /// each packet is queued.
    pub learner_handler_qp_size: BTreeMap<u64, Summary>,
    /// The leader's proposals awaiting commit: (zxid, monotonic ms logged, the txn's wall-clock
    /// time), oldest first.
    pub proposed_at: VecDeque<(i64, u64, i64)>,
}

/// Proposals whose log time is kept for `quorum_ack_latency`.
const PROPOSED_AT_MAX: usize = 100_000;

impl Default for QuorumStats {
    fn default() -> Self {
        QuorumStats {
            looking_count: 0,
            election_time: Summary::basic(),
            unavailable_time: Summary::basic(),
            leader_unavailable_time: Summary::basic(),
            follower_sync_time: Summary::basic(),
            observer_sync_time: Summary::basic(),
            proposal_count: 0,
            commit_count: 0,
            learner_proposal_received_count: 0,
            learner_commit_received_count: 0,
            request_commit_queued: 0,
            diff_count: 0,
            snap_count: 0,
            inflight_diff_count: Summary::basic(),
            revalidate_count: 0,
            inflight_snap_count: Summary::basic(),
            quorum_ack_latency: Summary::advanced(),
            propagation_latency: Summary::advanced(),
            looking_since_ms: None,
            decided_at_ms: None,
            proposed_at: VecDeque::new(),
            learner_handler_qp_size: BTreeMap::new(),
            proposal_latency: Summary::advanced(),
            proposal_ack_creation_latency: Summary::advanced(),
            commit_propagation_latency: Summary::advanced(),
            received: VecDeque::new(),
        }
    }
}

impl QuorumStats {
    /// The member enters LOOKING.
    pub fn looking(&mut self, now_ms: u64) {
        self.looking_count += 1;
        self.looking_since_ms.get_or_insert(now_ms);
        self.decided_at_ms = None;
        self.proposed_at.clear();
        self.received.clear();
    }

    /// The election decided this member's role.
    pub fn decided(&mut self, now_ms: u64) {
        if let Some(since) = self.looking_since_ms {
            self.election_time.add(now_ms.saturating_sub(since));
        }
        self.decided_at_ms = Some(now_ms);
    }

    /// The member serves clients in `role` (`leader`, `follower`, `observer`).
    pub fn serving(&mut self, role: &str, now_ms: u64) {
        if let Some(at) = self.decided_at_ms.take() {
            let sync = now_ms.saturating_sub(at);
            match role {
                "follower" => self.follower_sync_time.add(sync),
                "observer" => self.observer_sync_time.add(sync),
                _ => {}
            }
        }
        if let Some(since) = self.looking_since_ms.take() {
            let t = now_ms.saturating_sub(since);
            self.unavailable_time.add(t);
            if role == "leader" {
                self.leader_unavailable_time.add(t);
            }
        }
    }

    /// The leader queues a packet for learner `sid` behind `queued` others.
    pub fn learner_queued(&mut self, sid: u64, queued: usize) {
        // Bounded by the learners the leader accepts.
        self.learner_handler_qp_size
            .entry(sid)
            .or_insert_with(Summary::basic)
            .add(queued as u64);
    }

    /// The leader logs its proposal `zxid`.
    pub fn proposed(&mut self, zxid: i64, txn_time_ms: i64, now_ms: u64) {
        self.proposal_count += 1;
        if self.proposed_at.len() == PROPOSED_AT_MAX {
            self.proposed_at.pop_front();
        }
        self.proposed_at.push_back((zxid, now_ms, txn_time_ms));
    }

    /// The leader commits `zxid` (`now` is monotonic and wall-clock ms).
    pub fn committed(&mut self, zxid: i64, now_mono_ms: u64, now_wall_ms: i64) {
        self.commit_count += 1;
        self.request_commit_queued += 1;
        while let Some(&(z, at, txn_time)) = self.proposed_at.front() {
            if z > zxid {
                break;
            }
            self.proposed_at.pop_front();
            if z == zxid {
                self.quorum_ack_latency.add(now_mono_ms.saturating_sub(at));
                self.propagation_latency
                    .add(wall_delta(txn_time, now_wall_ms));
            }
        }
    }

    /// A follower receives proposal `zxid` created at `txn_time_ms` while serving.
    pub fn proposal_received(&mut self, zxid: i64, txn_time_ms: i64, now: (u64, i64)) {
        self.learner_proposal_received_count += 1;
        self.proposal_latency.add(wall_delta(txn_time_ms, now.1));
        if self.received.len() == PROPOSED_AT_MAX {
            self.received.pop_front();
        }
        self.received.push_back((zxid, now.0, false));
    }

    /// A learner's txns up to `zxid` are durable (it ACKs them).
    pub fn learner_logged(&mut self, zxid: i64, now_ms: u64) {
        for (z, at, acked) in self.received.iter_mut() {
            if *z > zxid {
                break;
            }
            if !*acked {
                *acked = true;
                self.proposal_ack_creation_latency
                    .add(now_ms.saturating_sub(*at));
            }
        }
    }

    /// A learner applies committed txn `zxid`, created at `txn_time_ms`, while serving; `now`
    /// is (monotonic, wall-clock) ms.
    pub fn applied(&mut self, zxid: i64, txn_time_ms: i64, now: (u64, i64)) {
        self.learner_commit_received_count += 1;
        self.request_commit_queued += 1;
        self.propagation_latency.add(wall_delta(txn_time_ms, now.1));
        let mut received_at = None;
        while let Some(&(z, at, _)) = self.received.front() {
            if z > zxid {
                break;
            }
            self.received.pop_front();
            if z == zxid {
                received_at = Some(at);
            }
        }
        // An observer's INFORM carries the txn: no wait between receipt and commit.
        self.commit_propagation_latency
            .add(received_at.map_or(0, |at| now.0.saturating_sub(at)));
    }
}

/// Wall-clock ms from `from` to `to`, 0 if the clocks disagree.
fn wall_delta(from: i64, to: i64) -> u64 {
    u64::try_from(to.saturating_sub(from)).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_election_and_a_sync_are_timed() {
        let mut q = QuorumStats::default();
        q.looking(1_000);
        q.decided(1_250);
        q.serving("follower", 1_400);
        assert_eq!(q.looking_count, 1);
        assert_eq!((q.election_time.count(), q.election_time.sum()), (1, 250));
        assert_eq!(q.follower_sync_time.sum(), 150);
        assert_eq!(q.unavailable_time.sum(), 400);
        assert_eq!(q.leader_unavailable_time.count(), 0);
        // A second election, won.
        q.looking(2_000);
        q.decided(2_010);
        q.serving("leader", 2_030);
        assert_eq!(q.leader_unavailable_time.sum(), 30);
        assert_eq!(q.observer_sync_time.count(), 0);
    }

    #[test]
    fn leader_and_follower_latencies() {
        let mut q = QuorumStats::default();
        q.proposed(0x1_0000_0001, 5_000, 100);
        q.proposed(0x1_0000_0002, 5_001, 101);
        q.committed(0x1_0000_0002, 110, 5_020);
        assert_eq!((q.proposal_count, q.commit_count), (2, 1));
        assert_eq!(q.quorum_ack_latency.sum(), 9);
        assert_eq!(q.propagation_latency.sum(), 19);
        assert!(q.proposed_at.is_empty());

        let mut f = QuorumStats::default();
        f.proposal_received(7, 9_990, (500, 10_000));
        f.learner_logged(7, 503);
        f.learner_logged(7, 600);
        f.applied(7, 9_990, (510, 10_020));
        assert_eq!(f.proposal_latency.sum(), 10);
        assert_eq!(f.proposal_ack_creation_latency.sum(), 3);
        assert_eq!(f.proposal_ack_creation_latency.count(), 1);
        assert_eq!(f.commit_propagation_latency.sum(), 10);
        assert_eq!(f.propagation_latency.sum(), 30);
        assert_eq!(f.learner_commit_received_count, 1);
        // An observer's INFORM: nothing was received before.
        f.applied(8, 10_020, (520, 10_030));
        assert_eq!(f.commit_propagation_latency.count(), 2);
    }
}
