//! [`Leader`]: the leader side of the learner protocol (`Leader.java` and the protocol half of
//! `LearnerHandler.java`), as a value you step.
//!
//! Phases (Zab 1.0):
//!
//! 1. **Discovery.** Learners send FOLLOWERINFO/OBSERVERINFO with their acceptedEpoch. Once a
//!    quorum of participants (the leader included) has connected, the new epoch is
//!    `max(acceptedEpoch) + 1`; the leader persists it as its acceptedEpoch and only then sends
//!    LEADERINFO. Learners answer ACKEPOCH with their last logged zxid and currentEpoch.
//! 2. **Synchronization.** Once a quorum has acknowledged the epoch, each learner is brought up
//!    to date by DIFF (proposals from the committed log), TRUNC (it has a txn the leader does
//!    not) or SNAP (the whole tree), chosen as `LearnerHandler.syncFollower` chooses, then
//!    NEWLEADER. The leader persists currentEpoch; once a quorum (itself included) has
//!    acknowledged NEWLEADER it starts serving and sends UPTODATE.
//! 3. **Broadcast.** A txn the core prepared is proposed (PROPOSAL to followers, appended to the
//!    leader's own log), committed in zxid order once a quorum has ACKed it (ACK after fsync,
//!    the leader's own ACK when its log is durable), then COMMIT to followers and INFORM to
//!    observers. PINGs go out every half tick; a leader that has not heard from a quorum within
//!    syncLimit steps down.
//!
//! Learners joining during broadcast go through the same discovery and sync with the fixed
//! epoch. Every failure ends in `ZabOutput::Shutdown` (the leader steps down and the server
//! goes back to LOOKING) or `ZabOutput::CloseLearner` (one learner is dropped).

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use zkrs_config::QuorumVerifier;
use zkrs_jute::{OpCode, PacketType, QuorumPacket, Zxid};

use crate::committed_log::{CommittedLog, CommittedProposal};
use crate::learner_handler::{HandlerState, LearnerHandler, SyncMode};
use crate::packet;
use crate::zab_config::{ZabConfig, PROTOCOL_VERSION};
use crate::zab_output::{EpochKind, HandlerId, ZabOutput};

/// The most learner connections a leader keeps at once (authenticated or not): twice the
/// members of the configuration plus a few, so a flapping learner cannot exhaust it.
const EXTRA_LEARNER_CONNECTIONS: usize = 8;

/// The most proposals outstanding (proposed, not committed) at once; `propose` refuses more,
/// so a quorum that stops acknowledging cannot grow the leader's memory without bound.
pub const MAX_OUTSTANDING_PROPOSALS: usize = 100_000;

/// Where the leader is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaderPhase {
    Discovery,
    Synchronization,
    Broadcast,
    /// Stepped down; only the shutdown outputs remain to be polled.
    Ended,
}

/// The leader's durable state when it starts leading.
#[derive(Debug, Clone)]
pub struct LeaderStart {
    pub accepted_epoch: i64,
    pub current_epoch: i64,
    /// The last zxid of its database (everything in the txn log and snapshot, applied): its
    /// whole history becomes committed once a quorum acknowledges NEWLEADER.
    pub last_zxid: Zxid,
    /// The last txns of that history, for DIFF syncs.
    pub committed_log: CommittedLog,
}

/// Who asked for a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SyncTarget {
    /// A learner forwarded its client's `sync` (answered with a SYNC packet).
    Learner(HandlerId),
    /// A client of the leader itself (answered with `ZabOutput::SyncAnswered`).
    Local,
}

/// A sync not answered yet.
#[derive(Debug, Clone, Copy)]
struct PendingSync {
    /// Answered once this is committed (the last proposal when the sync arrived).
    zxid: Zxid,
    /// ... and once a quorum has been heard from in this ping round or a later one.
    round: u64,
    target: SyncTarget,
}

/// A proposal waiting for its quorum.
#[derive(Debug, Clone)]
struct Outstanding {
    txn: Bytes,
    /// Every learner (and the leader) that acknowledged it; each configuration counts only
    /// its own voters.
    acks: BTreeSet<u64>,
    /// The configurations whose quorums it needs: the current one, and the proposed one while
    /// a reconfig is pending (`Proposal.qvAcksetPairs`).
    quorums: Arc<Vec<QuorumVerifier>>,
    /// For a reconfig txn: the configuration it activates.
    reconfig: Option<QuorumVerifier>,
}

/// Why `propose` refused a txn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProposeError {
    #[error("not leading in broadcast")]
    NotServing,
    #[error("zxid {got} does not follow the last proposed {last}")]
    NotContiguous { got: Zxid, last: Zxid },
    #[error("zxid lower 32 bits have rolled over, forcing re-election")]
    Rollover,
    #[error("too many outstanding proposals")]
    TooManyOutstanding,
    #[error("reconfig txn without a readable configuration: {0}")]
    BadReconfig(String),
}

/// The sans-IO leader.
#[derive(Debug)]
pub struct Leader {
    config: ZabConfig,
    phase: LeaderPhase,
    /// `leaderStateSummary`: (currentEpoch, last zxid) when leading started.
    start_current_epoch: i64,
    start_last_zxid: Zxid,
    accepted_epoch: i64,
    current_epoch: i64,
    /// The epoch being established (`epoch` in `getEpochToPropose`).
    epoch: i64,
    epoch_fixed: bool,
    accepted_epoch_persisted: bool,
    current_epoch_persisted: bool,
    connecting_followers: BTreeSet<u64>,
    electing_followers: BTreeSet<u64>,
    electing_done: bool,
    newleader_acks: BTreeSet<u64>,
    serving: bool,
    handlers: BTreeMap<HandlerId, LearnerHandler>,
    outstanding: BTreeMap<Zxid, Outstanding>,
    last_proposed: Zxid,
    last_committed: Zxid,
    /// The leader's own txn log is durable up to here.
    logged: Zxid,
    committed_log: CommittedLog,
    /// Forwarded syncs waiting for a commit: answered once this zxid is committed.
    /// Syncs waiting to be answered: everything proposed before them committed, and a
    /// quorum heard from in a ping round started after them.
    pending_syncs: VecDeque<PendingSync>,
    /// The ping round last started (one per sync, besides the regular pings).
    sync_round: u64,
    /// Discovery and synchronization must be done by then (`initLimit`).
    establish_deadline_ms: u64,
    next_ping_ms: u64,
    /// `ProposalStats`: the last, smallest and largest proposal (txn bytes); -1 before any.
    proposal_sizes: (i64, i64, i64),
    /// The configurations a proposal made now must satisfy: the current one (in
    /// `config.verifier`) and the pending one (`config.last_seen_verifier`) if newer.
    quorums: Arc<Vec<QuorumVerifier>>,
    /// Cleared once this leader activates a configuration that designates another leader:
    /// it commits nothing more (`allowedToCommit`) and steps down when its followers leave.
    allowed_to_commit: bool,
    outputs: VecDeque<ZabOutput>,
}

impl Leader {
    /// Starts leading (`Leader.lead`): the leader is the first of the connecting followers.
    pub fn new(config: ZabConfig, start: LeaderStart, now_ms: u64) -> Leader {
        let my_id = config.my_id;
        let mut leader = Leader {
            establish_deadline_ms: now_ms.saturating_add(config.init_limit_ms()),
            next_ping_ms: now_ms.saturating_add(config.tick_time_ms / 2),
            phase: LeaderPhase::Discovery,
            start_current_epoch: start.current_epoch,
            start_last_zxid: start.last_zxid,
            accepted_epoch: start.accepted_epoch,
            current_epoch: start.current_epoch,
            epoch: -1,
            epoch_fixed: false,
            accepted_epoch_persisted: false,
            current_epoch_persisted: false,
            connecting_followers: BTreeSet::new(),
            electing_followers: BTreeSet::new(),
            electing_done: false,
            newleader_acks: BTreeSet::new(),
            serving: false,
            handlers: BTreeMap::new(),
            outstanding: BTreeMap::new(),
            last_proposed: start.last_zxid,
            last_committed: start.last_zxid,
            logged: start.last_zxid,
            committed_log: start.committed_log,
            pending_syncs: VecDeque::new(),
            sync_round: 0,
            proposal_sizes: (-1, -1, -1),
            quorums: Arc::new(Vec::new()),
            allowed_to_commit: true,
            outputs: VecDeque::new(),
            config,
        };
        if !leader.config.reconfig_enabled {
            leader.config.last_seen_verifier = None;
        }
        leader.rebuild_quorums();
        let accepted = leader.accepted_epoch;
        leader.epoch_to_propose(my_id, accepted);
        leader
    }

    // ------------------------------------------------------------------------------------------
    // Accessors.

    pub fn phase(&self) -> LeaderPhase {
        self.phase
    }

    /// The servers that acknowledged NEWLEADER (this leader included): the supporters
    /// `Leader.lead` names once it has a quorum of them.
    pub fn newleader_acks(&self) -> &BTreeSet<u64> {
        &self.newleader_acks
    }

    /// The epoch being established (valid once fixed).
    pub fn epoch(&self) -> i64 {
        self.epoch
    }

    /// Whether the epoch is fixed (a quorum connected).
    pub fn epoch_fixed(&self) -> bool {
        self.epoch_fixed
    }

    pub fn is_serving(&self) -> bool {
        self.serving
    }

    pub fn accepted_epoch(&self) -> i64 {
        self.accepted_epoch
    }

    pub fn current_epoch(&self) -> i64 {
        self.current_epoch
    }

    pub fn last_proposed(&self) -> Zxid {
        self.last_proposed
    }

    pub fn last_committed(&self) -> Zxid {
        self.last_committed
    }

    /// The zxid of NEWLEADER: `epoch << 32`.
    pub fn new_leader_zxid(&self) -> Zxid {
        Zxid::new(self.epoch, 0)
    }

    /// The learner connections.
    pub fn handlers(&self) -> impl Iterator<Item = &LearnerHandler> {
        self.handlers.values()
    }

    /// Followers (not observers, voting or not) that are in broadcast and heard from in time
    /// (`zk_synced_followers`; the non-voting ones are also counted by
    /// [`Leader::synced_non_voting_followers`], as in ZooKeeper).
    pub fn synced_followers(&self, now_ms: u64) -> usize {
        self.handlers
            .values()
            .filter(|h| !h.observer && h.state == HandlerState::Broadcast && h.synced(now_ms))
            .count()
    }

    /// Followers (not observers) outside the voting membership, in broadcast and heard from
    /// in time: joiners and removed members (`zk_synced_non_voting_followers`).
    pub fn synced_non_voting_followers(&self, now_ms: u64) -> usize {
        self.handlers
            .values()
            .filter(|h| {
                !h.participant
                    && !h.observer
                    && h.state == HandlerState::Broadcast
                    && h.synced(now_ms)
            })
            .count()
    }

    /// The last, smallest and largest proposal sizes in bytes (`Proposal sizes
    /// last/min/max` in `srvr`), -1 before the first proposal.
    pub fn proposal_sizes(&self) -> (i64, i64, i64) {
        self.proposal_sizes
    }

    /// Observers in broadcast heard from in time (`zk_synced_observers`).
    pub fn synced_observers(&self, now_ms: u64) -> usize {
        self.handlers
            .values()
            .filter(|h| h.observer && h.state == HandlerState::Broadcast && h.synced(now_ms))
            .count()
    }

    /// Learner connections past their LearnerInfo (`zk_learners`).
    pub fn learners(&self) -> usize {
        self.handlers.values().filter(|h| h.sid.is_some()).count()
    }

    /// Forwarded syncs not answered yet (`zk_pending_syncs`).
    pub fn pending_syncs(&self) -> usize {
        self.pending_syncs.len()
    }

    /// Proposals not committed yet.
    pub fn outstanding_proposals(&self) -> usize {
        self.outstanding.len()
    }

    /// The committed proposals kept for DIFF.
    pub fn committed_log(&self) -> &CommittedLog {
        &self.committed_log
    }

    // ------------------------------------------------------------------------------------------
    // Inputs.

    /// A learner connected to the quorum port.
    pub fn handle_learner_connected(&mut self, handler: HandlerId, now_ms: u64) {
        if self.phase == LeaderPhase::Ended {
            self.outputs.push_back(ZabOutput::CloseLearner {
                handler,
                reason: "the leader is shutting down".into(),
            });
            return;
        }
        let limit = self.config.verifier.servers().len() * 2 + EXTRA_LEARNER_CONNECTIONS;
        if self.handlers.len() >= limit {
            self.outputs.push_back(ZabOutput::CloseLearner {
                handler,
                reason: format!("too many learner connections ({limit})"),
            });
            return;
        }
        let deadline = now_ms
            .saturating_add(self.config.init_limit_ms())
            .saturating_add(self.config.sync_limit_ms());
        self.handlers
            .insert(handler, LearnerHandler::new(handler, deadline));
    }

    /// The learner connection is gone.
    pub fn handle_learner_disconnected(&mut self, handler: HandlerId) {
        if let Some(h) = self.handlers.remove(&handler) {
            self.forget_new_leader_ack(h.sid);
        }
        self.pending_syncs
            .retain(|p| p.target != SyncTarget::Learner(handler));
    }

    /// Before the leader serves, the NEWLEADER ACK of a learner that is gone no longer counts
    /// (the TLA+ spec's `RemoveLearner` drops it from `ackldRecv`). Kept, a leader whose own
    /// currentEpoch write is slow could start serving long after its followers timed out and
    /// established a newer epoch without it (found by zkrs-sim, seeds 4854 and 9347).
    fn forget_new_leader_ack(&mut self, sid: Option<u64>) {
        let Some(sid) = sid else {
            return;
        };
        if self.serving || self.handlers.values().any(|h| h.sid == Some(sid)) {
            return;
        }
        self.newleader_acks.remove(&sid);
    }

    /// A packet from a learner.
    pub fn handle_learner_packet(&mut self, handler: HandlerId, p: QuorumPacket, now_ms: u64) {
        if self.phase == LeaderPhase::Ended {
            return;
        }
        let Some(h) = self.handlers.get_mut(&handler) else {
            return;
        };
        let ty = PacketType::from_i32(p.r#type);
        // Any packet counts as the learner being alive (`tickOfNextAckDeadline`).
        if h.state != HandlerState::AwaitingInfo {
            h.ack_deadline_ms = now_ms.saturating_add(self.config.sync_limit_ms());
            h.heard_round = self.sync_round;
        }
        match (h.state, ty) {
            (
                HandlerState::AwaitingInfo,
                Some(t @ (PacketType::FollowerInfo | PacketType::ObserverInfo)),
            ) => self.on_learner_info(handler, t, &p, now_ms),
            (HandlerState::AwaitingInfo, _) => self.close(
                handler,
                format!(
                    "first packet {} is not FOLLOWERINFO or OBSERVERINFO",
                    p.r#type
                ),
            ),
            (HandlerState::AwaitingAckEpoch, Some(PacketType::AckEpoch)) => {
                self.on_ack_epoch(handler, &p, now_ms)
            }
            (HandlerState::AwaitingNewLeaderAck, Some(PacketType::Ack)) => {
                // ZOOKEEPER-4685: match the NEWLEADER ACK by zxid; a proposal ACK that an
                // older follower sends first is not it (those proposals are committed).
                if Zxid(p.zxid) == self.new_leader_zxid() {
                    self.on_new_leader_ack(handler, now_ms);
                }
            }
            (HandlerState::AwaitingStartup | HandlerState::Broadcast, Some(PacketType::Ack)) => {
                self.on_ack(handler, Zxid(p.zxid));
            }
            (
                HandlerState::AwaitingNewLeaderAck
                | HandlerState::AwaitingStartup
                | HandlerState::Broadcast,
                Some(PacketType::Ping),
            ) => {
                let sessions = packet::read_session_touches(p.data.as_ref());
                if !sessions.is_empty() {
                    self.outputs
                        .push_back(ZabOutput::TouchSessions { sessions });
                }
            }
            (HandlerState::Broadcast, Some(PacketType::Request)) => self.on_request(handler, p),
            (HandlerState::Broadcast, Some(PacketType::Revalidate)) => {
                match packet::read_revalidate_request(p.data.as_ref()) {
                    Some((session_id, timeout_ms)) => {
                        let sid = self
                            .handlers
                            .get(&handler)
                            .and_then(|h| h.sid)
                            .unwrap_or_default();
                        self.outputs.push_back(ZabOutput::Revalidate {
                            handler,
                            sid,
                            session_id,
                            timeout_ms,
                        })
                    }
                    None => self.close(handler, "malformed REVALIDATE".into()),
                }
            }
            (state, _) => self.close(
                handler,
                format!("unexpected packet type {} in state {state:?}", p.r#type),
            ),
        }
        if !self.pending_syncs.is_empty() {
            self.answer_syncs();
        }
    }

    /// The leader's own txn log is durable up to `zxid`: its ACK for those proposals.
    pub fn handle_logged(&mut self, zxid: Zxid) {
        if zxid > self.logged {
            self.logged = zxid;
        }
        let me = self.config.my_id;
        for (_, o) in self.outstanding.range_mut(..=zxid) {
            o.acks.insert(me);
        }
        self.try_to_commit();
    }

    /// An epoch file is durable.
    pub fn handle_epoch_persisted(&mut self, kind: EpochKind, epoch: i64, now_ms: u64) {
        if self.phase == LeaderPhase::Ended || epoch != self.epoch {
            return;
        }
        match kind {
            EpochKind::Accepted => {
                self.accepted_epoch = epoch;
                self.accepted_epoch_persisted = true;
                let waiting: Vec<HandlerId> = self
                    .handlers
                    .values()
                    .filter(|h| h.state == HandlerState::AwaitingEpoch)
                    .map(|h| h.id)
                    .collect();
                for id in waiting {
                    self.send_leader_info(id);
                }
                self.check_epoch_acked(now_ms);
            }
            EpochKind::Current => {
                self.current_epoch = epoch;
                self.current_epoch_persisted = true;
                let me = self.config.my_id;
                self.newleader_acks.insert(me);
                self.maybe_start_serving(now_ms);
            }
        }
    }

    /// Time passes: pings, the establishment deadline, learners' deadlines.
    pub fn handle_tick(&mut self, now_ms: u64) {
        if self.phase == LeaderPhase::Ended {
            return;
        }
        if !self.serving && now_ms >= self.establish_deadline_ms {
            let what = if !self.epoch_fixed {
                "Timeout while waiting for epoch from quorum"
            } else if !self.electing_done {
                "Timeout while waiting for epoch to be acked by quorum"
            } else {
                "Timeout while waiting for NEWLEADER to be acked by quorum"
            };
            self.shutdown(what.to_string());
            return;
        }
        // Learners not heard from in time are dropped (the socket read timeout of
        // LearnerHandler).
        let late: Vec<HandlerId> = self
            .handlers
            .values()
            .filter(|h| !h.synced(now_ms))
            .map(|h| h.id)
            .collect();
        for id in late {
            self.close(id, "no packet from the learner within the limit".into());
        }
        if now_ms >= self.next_ping_ms {
            self.next_ping_ms = now_ms.saturating_add((self.config.tick_time_ms / 2).max(1));
            if self.serving {
                let mut synced: BTreeSet<u64> = BTreeSet::new();
                synced.insert(self.config.my_id);
                for h in self.handlers.values() {
                    if h.forwarding && h.synced(now_ms) {
                        if let Some(sid) = h.sid {
                            synced.insert(sid);
                        }
                    }
                }
                // A quorum of the current configuration and of a pending one (ZOOKEEPER-1699:
                // a leader that lost its proposed configuration's quorum steps down).
                if !self.has_all_quorums(&synced) {
                    self.shutdown(format!(
                        "Not sufficient followers synced, only synced with sids: [ {} ]",
                        synced
                            .iter()
                            .map(u64::to_string)
                            .collect::<Vec<_>>()
                            .join(",")
                    ));
                    return;
                }
            }
            let ping = packet::bare(PacketType::Ping, self.last_proposed);
            let ids: Vec<HandlerId> = self
                .handlers
                .values()
                .filter(|h| h.forwarding)
                .map(|h| h.id)
                .collect();
            for id in ids {
                self.send(id, ping.clone());
            }
        }
    }

    /// Proposes a txn the core prepared (`Leader.propose`). `txn` is the txn-log entry bytes.
    pub fn propose(&mut self, zxid: Zxid, txn: Bytes) -> Result<(), ProposeError> {
        if self.phase != LeaderPhase::Broadcast || !self.serving {
            return Err(ProposeError::NotServing);
        }
        if zxid.counter() == 0xffff_ffff {
            self.shutdown("zxid lower 32 bits have rolled over, forcing re-election".into());
            return Err(ProposeError::Rollover);
        }
        if zxid.raw() != self.last_proposed.raw() + 1 {
            return Err(ProposeError::NotContiguous {
                got: zxid,
                last: self.last_proposed,
            });
        }
        if self.outstanding.len() >= MAX_OUTSTANDING_PROPOSALS {
            return Err(ProposeError::TooManyOutstanding);
        }
        let reconfig = match packet::reconfig_verifier(&txn) {
            Some(Ok(qv)) if self.config.reconfig_enabled => Some(qv),
            Some(Ok(_)) | None => None,
            Some(Err(e)) => return Err(ProposeError::BadReconfig(e)),
        };
        if let Some(qv) = &reconfig {
            // `setLastSeenQuorumVerifier`: from now on proposals need its quorum as well.
            self.config.last_seen_verifier = Some(qv.clone());
            self.rebuild_quorums();
            self.outputs.push_back(ZabOutput::LastSeenConfig {
                verifier: qv.clone(),
            });
        }
        self.last_proposed = zxid;
        let size = i64::try_from(txn.len()).unwrap_or(i64::MAX);
        let (_, min, max) = self.proposal_sizes;
        self.proposal_sizes = (
            size,
            if min < 0 { size } else { min.min(size) },
            max.max(size),
        );
        self.outstanding.insert(
            zxid,
            Outstanding {
                txn: txn.clone(),
                acks: BTreeSet::new(),
                quorums: self.quorums.clone(),
                reconfig,
            },
        );
        let proposal = packet::with_data(PacketType::Proposal, zxid, txn.clone());
        let followers: Vec<HandlerId> = self
            .handlers
            .values()
            .filter(|h| h.forwarding && !h.observer)
            .map(|h| h.id)
            .collect();
        for id in followers {
            self.send(id, proposal.clone());
        }
        self.outputs.push_back(ZabOutput::LogTxn { zxid, txn });
        Ok(())
    }

    /// The core's answer to a REVALIDATE.
    pub fn revalidate_answer(&mut self, handler: HandlerId, session_id: i64, valid: bool) {
        let p = packet::with_data(
            PacketType::Revalidate,
            Zxid(-1),
            packet::revalidate_answer(session_id, valid),
        );
        self.send(handler, p);
    }

    /// Steps down (the server is shutting down or another role takes over).
    pub fn shutdown(&mut self, reason: String) {
        if self.phase == LeaderPhase::Ended {
            return;
        }
        self.phase = LeaderPhase::Ended;
        self.serving = false;
        let ids: Vec<HandlerId> = self.handlers.keys().copied().collect();
        for id in ids {
            self.outputs.push_back(ZabOutput::CloseLearner {
                handler: id,
                reason: "the leader is shutting down".into(),
            });
        }
        self.handlers.clear();
        self.outputs.push_back(ZabOutput::Shutdown { reason });
    }

    /// The next action for the shell.
    pub fn poll_output(&mut self) -> Option<ZabOutput> {
        self.outputs.pop_front()
    }

    /// The next time `handle_tick` has work.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.phase == LeaderPhase::Ended {
            return None;
        }
        let mut t = self.next_ping_ms;
        if !self.serving {
            t = t.min(self.establish_deadline_ms);
        }
        if let Some(d) = self.handlers.values().map(|h| h.ack_deadline_ms).min() {
            t = t.min(d.saturating_add(1));
        }
        Some(t)
    }

    // ------------------------------------------------------------------------------------------
    // Discovery.

    /// `getEpochToPropose`: a participant's acceptedEpoch can raise the epoch until a quorum
    /// has connected; then the epoch is fixed and persisted.
    fn epoch_to_propose(&mut self, sid: u64, last_accepted_epoch: i64) {
        if self.epoch_fixed {
            return;
        }
        if last_accepted_epoch >= self.epoch {
            self.epoch = last_accepted_epoch + 1;
        }
        if self.config.is_participant(sid) {
            self.connecting_followers.insert(sid);
        }
        if self.connecting_followers.contains(&self.config.my_id)
            && self
                .config
                .verifier
                .contains_quorum(&self.connecting_followers)
        {
            self.epoch_fixed = true;
            self.phase = LeaderPhase::Synchronization;
            self.outputs.push_back(ZabOutput::PersistEpoch {
                kind: EpochKind::Accepted,
                epoch: self.epoch,
            });
            self.version_initial_config();
        }
    }

    fn on_learner_info(
        &mut self,
        handler: HandlerId,
        ty: PacketType,
        p: &QuorumPacket,
        now_ms: u64,
    ) {
        let Some(info) = p.data.as_deref().and_then(packet::read_learner_info) else {
            self.close(handler, "malformed LearnerInfo".into());
            return;
        };
        let Ok(sid) = u64::try_from(info.serverid) else {
            self.close(handler, format!("invalid learner sid {}", info.serverid));
            return;
        };
        if info.config_version > self.config.verifier.version() {
            self.close(
                handler,
                format!(
                    "Follower is ahead of the leader (has a later activated configuration \
                     0x{:x})",
                    info.config_version
                ),
            );
            return;
        }
        if sid == self.config.my_id {
            self.close(handler, format!("learner claims my own sid {sid}"));
            return;
        }
        if info.protocol_version < PROTOCOL_VERSION {
            self.close(
                handler,
                format!(
                    "learner {sid} speaks protocol 0x{:x}, older than Zab 1.0",
                    info.protocol_version
                ),
            );
            return;
        }
        // Votes come from the server list, not from what the learner says (ZOOKEEPER-2959);
        // a server missing from it follows without a vote (a joiner, or a removed member),
        // and whether it gets PROPOSALs or INFORMs is what it asked for (`LearnerType`).
        let participant = self.config.is_participant(sid);
        // A second connection from the same sid replaces the first.
        let old: Vec<HandlerId> = self
            .handlers
            .values()
            .filter(|h| h.id != handler && h.sid == Some(sid))
            .map(|h| h.id)
            .collect();
        for id in old {
            self.close(id, format!("learner {sid} connected again"));
        }
        let last_accepted_epoch = Zxid(p.zxid).epoch();
        if let Some(h) = self.handlers.get_mut(&handler) {
            h.sid = Some(sid);
            h.participant = participant;
            h.observer = ty == PacketType::ObserverInfo;
            h.last_accepted_epoch = last_accepted_epoch;
            h.state = HandlerState::AwaitingEpoch;
            h.ack_deadline_ms = now_ms.saturating_add(self.config.init_limit_ms());
        }
        self.epoch_to_propose(sid, last_accepted_epoch);
        if self.accepted_epoch_persisted {
            self.send_leader_info(handler);
        }
    }

    fn send_leader_info(&mut self, handler: HandlerId) {
        let p = packet::with_data(
            PacketType::LeaderInfo,
            self.new_leader_zxid(),
            packet::int_data(PROTOCOL_VERSION),
        );
        if let Some(h) = self.handlers.get_mut(&handler) {
            h.state = HandlerState::AwaitingAckEpoch;
        }
        self.send(handler, p);
    }

    fn on_ack_epoch(&mut self, handler: HandlerId, p: &QuorumPacket, now_ms: u64) {
        let Some(current_epoch) = packet::read_int(p.data.as_ref()) else {
            self.close(handler, "malformed ACKEPOCH".into());
            return;
        };
        let peer_last_zxid = Zxid(p.zxid);
        let current_epoch = i64::from(current_epoch);
        let Some(h) = self.handlers.get_mut(&handler) else {
            return;
        };
        h.peer_last_zxid = peer_last_zxid;
        h.peer_current_epoch = current_epoch;
        h.state = HandlerState::AwaitingEpochQuorum;
        let (sid, participant) = (h.sid.unwrap_or_default(), h.participant);
        if current_epoch != -1 && !self.electing_done {
            // `StateSummary.isMoreRecentThan`, checked until a quorum has acknowledged the
            // epoch (`waitForEpochAck`): a learner ahead of the leader means the election
            // chose wrong; it is refused (catalogue scenario 11). A learner that joins later
            // with an uncommitted tail gets TRUNC instead (`testHighestZxidJoinLate`).
            let ahead = current_epoch > self.start_current_epoch
                || (current_epoch == self.start_current_epoch
                    && peer_last_zxid > self.start_last_zxid);
            if ahead {
                self.close(
                    handler,
                    format!(
                        "Follower is ahead of the leader, leader summary: {} (current epoch), {} (last zxid)",
                        self.start_current_epoch, self.start_last_zxid
                    ),
                );
                return;
            }
            if participant {
                self.electing_followers.insert(sid);
            }
        }
        if !self.electing_done {
            self.check_epoch_acked(now_ms);
        } else {
            self.sync_learner(handler, now_ms);
        }
    }

    /// `waitForEpochAck`: once a quorum (the leader included, its acceptedEpoch durable) has
    /// acknowledged the epoch, currentEpoch is set and the waiting learners are synced. A
    /// single voter (`standaloneEnabled=false`) is its own quorum.
    fn check_epoch_acked(&mut self, now_ms: u64) {
        if self.electing_done || !self.accepted_epoch_persisted {
            return;
        }
        let me = self.config.my_id;
        self.electing_followers.insert(me);
        if !self
            .config
            .verifier
            .contains_quorum(&self.electing_followers)
        {
            return;
        }
        self.electing_done = true;
        // Leader.lead: the epoch is acknowledged by a quorum; currentEpoch is set.
        self.outputs.push_back(ZabOutput::PersistEpoch {
            kind: EpochKind::Current,
            epoch: self.epoch,
        });
        let ready: Vec<HandlerId> = self
            .handlers
            .values()
            .filter(|h| h.state == HandlerState::AwaitingEpochQuorum)
            .map(|h| h.id)
            .collect();
        for id in ready {
            self.sync_learner(id, now_ms);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Synchronization.

    /// `LearnerHandler.syncFollower` + `startForwarding` + NEWLEADER, in one step: nothing
    /// can be committed in between because the leader is one value.
    fn sync_learner(&mut self, handler: HandlerId, now_ms: u64) {
        let Some(h) = self.handlers.get_mut(&handler) else {
            return;
        };
        let peer = h.peer_last_zxid;
        if self.config.txn_log_sync_enabled {
            if let Some(up_to) = Self::txn_log_range(&self.committed_log, self.last_committed, peer)
            {
                // `peerLastZxid < minCommittedLog && txnLogSyncEnabled`: the on-disk log may
                // hold what the learner lacks; the shell reads it off this task.
                h.state = HandlerState::AwaitingTxnLog;
                self.outputs.push_back(ZabOutput::ReadTxnLog {
                    handler,
                    from: peer,
                    up_to,
                });
                return;
            }
        }
        self.finish_sync(handler, None, now_ms);
    }

    /// When a learner at `peer` is behind the committed log (or the log is empty), the last
    /// zxid to read from the on-disk log: `minCommittedLog`, or the last committed zxid.
    fn txn_log_range(log: &CommittedLog, last: Zxid, peer: Zxid) -> Option<Zxid> {
        if peer >= last {
            return None;
        }
        match log.min_zxid() {
            None => Some(last),
            Some(min) if peer >= min => None,
            // A new-epoch peer right before the log needs nothing from the disk.
            Some(min) if peer.counter() == 0 && Zxid::new(peer.epoch(), 1) >= min => None,
            Some(min) => Some(min),
        }
    }

    /// The shell's answer to `ZabOutput::ReadTxnLog`: the logged proposals from the learner's
    /// zxid on (`None`: the log cannot serve this DIFF). The sync then goes on in one step,
    /// from the disk's txns followed by the committed log as it is now; a gap between the two
    /// (the committed log moved on while the disk was read, or the log ends early) means SNAP
    /// (ZOOKEEPER-2418), never a discontinuous stream.
    pub fn handle_txn_log_read(
        &mut self,
        handler: HandlerId,
        txns: Option<Vec<CommittedProposal>>,
        now_ms: u64,
    ) {
        let waiting = self
            .handlers
            .get(&handler)
            .is_some_and(|h| h.state == HandlerState::AwaitingTxnLog);
        if !waiting || self.phase == LeaderPhase::Ended {
            return;
        }
        self.finish_sync(handler, txns, now_ms);
    }

    fn finish_sync(
        &mut self,
        handler: HandlerId,
        disk: Option<Vec<CommittedProposal>>,
        now_ms: u64,
    ) {
        let Some(h) = self.handlers.get(&handler) else {
            return;
        };
        let peer = h.peer_last_zxid;
        let observer = h.observer;
        let mut queue: Vec<QuorumPacket> = Vec::new();
        let mode = match disk {
            None => self.choose_sync(&self.committed_log, peer, &mut queue),
            Some(disk) => {
                let min = self.committed_log.min_zxid();
                let mut joined = CommittedLog::new(usize::MAX);
                for p in disk {
                    if min.is_none_or(|m| p.zxid < m) {
                        joined.add(p.zxid, p.txn);
                    }
                }
                for p in self.committed_log.iter() {
                    joined.add(p.zxid, p.txn.clone());
                }
                self.choose_sync(&joined, peer, &mut queue)
            }
        };
        match mode {
            SyncMode::Snap => {
                self.outputs.push_back(ZabOutput::SendSnapshot {
                    handler,
                    zxid: self.last_committed,
                });
            }
            SyncMode::Diff | SyncMode::Trunc => {}
        }
        for p in queue {
            self.send(handler, p);
        }
        // Outstanding proposals go to followers only; observers get INFORM at commit.
        if !observer {
            let pending: Vec<QuorumPacket> = self
                .outstanding
                .iter()
                .map(|(z, o)| packet::with_data(PacketType::Proposal, *z, o.txn.clone()))
                .collect();
            for p in pending {
                self.send(handler, p);
            }
        }
        // While establishing, `lastSeenQuorumVerifier`: a new leader completes a pending
        // reconfig (ZOOKEEPER-1324). Once serving, the committed configuration: a learner
        // activates NEWLEADER's configuration at UPTODATE, and a pending one (whose PROPOSAL
        // it gets with the outstanding proposals) must not be activated before its commit.
        // Java announces the last seen one here too; activated early on a learner it can
        // spread by election gossip to a member the leader then refuses as "ahead", and a
        // proposal waiting for that member's vote never commits (found by zkrs-sim, seed 2604
        // with --reconfig --spares 2).
        let announced = if self.serving {
            &self.config.verifier
        } else {
            self.config
                .pending_verifier()
                .unwrap_or(&self.config.verifier)
        };
        let config = Bytes::from(announced.to_config_string().into_bytes());
        let nl = packet::with_data(PacketType::NewLeader, self.new_leader_zxid(), config);
        self.send(handler, nl);
        if let Some(h) = self.handlers.get_mut(&handler) {
            h.sync_mode = Some(mode);
            h.forwarding = true;
            h.state = HandlerState::AwaitingNewLeaderAck;
            h.ack_deadline_ms = now_ms.saturating_add(self.config.init_limit_ms());
        }
    }

    /// Chooses DIFF, TRUNC or SNAP for a learner whose last logged zxid is `peer` and queues
    /// the packets that go before NEWLEADER (`LearnerHandler.syncFollower` /
    /// `queueCommittedProposals`).
    fn choose_sync(
        &self,
        log: &CommittedLog,
        peer: Zxid,
        queue: &mut Vec<QuorumPacket>,
    ) -> SyncMode {
        let last = self.last_committed;
        // A peer at the very start of an epoch (`epoch << 32`) has nothing to lose.
        let peer_new_epoch = peer.counter() == 0;
        if peer == last {
            queue.push(packet::bare(PacketType::Diff, peer));
            return SyncMode::Diff;
        }
        let (Some(min), Some(max)) = (log.min_zxid(), log.max_zxid()) else {
            return SyncMode::Snap;
        };
        if max != last {
            // The committed log must end at what is committed; otherwise send the tree.
            return SyncMode::Snap;
        }
        if peer > max {
            if peer_new_epoch {
                // Nothing of epoch(peer) was ever logged by it; a SNAP is the safe answer.
                return SyncMode::Snap;
            }
            // The learner has txns the leader does not: cut them.
            queue.push(packet::bare(PacketType::Trunc, max));
            return SyncMode::Trunc;
        }
        if peer < min && !(peer_new_epoch && Zxid::new(peer.epoch(), 1) >= min) {
            return SyncMode::Snap;
        }
        // min <= peer <= max (or a new-epoch peer right before min): DIFF from the log,
        // with TRUNC first if the peer holds a txn the leader does not.
        let mut prev: Option<Zxid> = None;
        let mut header_sent = false;
        let mut mode = SyncMode::Diff;
        for p in log.iter() {
            if p.zxid <= peer {
                prev = Some(p.zxid);
                continue;
            }
            if !header_sent {
                header_sent = true;
                match prev {
                    Some(pz) if pz == peer => queue.push(packet::bare(PacketType::Diff, last)),
                    _ if peer_new_epoch => queue.push(packet::bare(PacketType::Diff, last)),
                    Some(pz) => {
                        // The peer has a txn in the leader's range that the leader does not.
                        // Never TRUNC across an epoch boundary (catalogue rule 8): the
                        // first txn the peer lacks must be of the peer's epoch.
                        if p.zxid.epoch() != peer.epoch() {
                            queue.clear();
                            return SyncMode::Snap;
                        }
                        queue.push(packet::bare(PacketType::Trunc, pz));
                        mode = SyncMode::Trunc;
                    }
                    None => {
                        queue.clear();
                        return SyncMode::Snap;
                    }
                }
            }
            queue.push(packet::with_data(
                PacketType::Proposal,
                p.zxid,
                p.txn.clone(),
            ));
            queue.push(packet::bare(PacketType::Commit, p.zxid));
        }
        if !header_sent {
            queue.push(packet::bare(PacketType::Diff, last));
        }
        mode
    }

    fn on_new_leader_ack(&mut self, handler: HandlerId, now_ms: u64) {
        let Some(h) = self.handlers.get_mut(&handler) else {
            return;
        };
        h.state = HandlerState::AwaitingStartup;
        let sid = h.sid.unwrap_or_default();
        if self.serving {
            self.send_up_to_date(handler);
            return;
        }
        // Every configuration counts its own voters (`newLeaderProposal.addAck`).
        self.newleader_acks.insert(sid);
        self.maybe_start_serving(now_ms);
    }

    /// `waitForNewLeaderAck` + `startZkServer`: a quorum (the leader included, once its
    /// currentEpoch is durable) acknowledged NEWLEADER.
    fn maybe_start_serving(&mut self, now_ms: u64) {
        if self.serving
            || !self.current_epoch_persisted
            || !self.has_all_quorums(&self.newleader_acks)
        {
            return;
        }
        self.serving = true;
        self.phase = LeaderPhase::Broadcast;
        // The whole initial history is committed now; the epoch's first txn is
        // `epoch << 32 | 1`.
        self.last_proposed = self.new_leader_zxid();
        self.next_ping_ms = now_ms;
        if self.config.reconfig_enabled {
            // `startZkServer` (ZOOKEEPER-1324): the configuration NEWLEADER announced is
            // activated, and another leader is designated if this one is not a voter of it.
            let qv = self
                .config
                .pending_verifier()
                .unwrap_or(&self.config.verifier)
                .clone();
            let acks = self.newleader_acks.clone();
            let designated = self.designated_leader(&qv, &acks, self.new_leader_zxid());
            self.activate(qv, designated);
        }
        self.outputs.push_back(ZabOutput::StartServing);
        let ready: Vec<HandlerId> = self
            .handlers
            .values()
            .filter(|h| h.state == HandlerState::AwaitingStartup)
            .map(|h| h.id)
            .collect();
        for id in ready {
            self.send_up_to_date(id);
        }
    }

    fn send_up_to_date(&mut self, handler: HandlerId) {
        if let Some(h) = self.handlers.get_mut(&handler) {
            h.state = HandlerState::Broadcast;
        }
        self.send(handler, packet::bare(PacketType::UpToDate, Zxid(-1)));
    }

    // ------------------------------------------------------------------------------------------
    // Broadcast.

    fn on_ack(&mut self, handler: HandlerId, zxid: Zxid) {
        // `processAck`: the ACKs of NEWLEADER and UPTODATE (counter 0) are not proposals.
        if zxid.counter() == 0 || zxid <= self.last_committed {
            return;
        }
        let Some(h) = self.handlers.get(&handler) else {
            return;
        };
        if h.observer {
            return;
        }
        let sid = h.sid.unwrap_or_default();
        match self.outstanding.get_mut(&zxid) {
            Some(o) => {
                o.acks.insert(sid);
            }
            None => {
                // An ACK for a zxid never proposed: the learner is confused.
                self.close(handler, format!("ACK for unknown proposal {zxid}"));
                return;
            }
        }
        self.try_to_commit();
    }

    /// `tryToCommit`, strictly in zxid order.
    fn try_to_commit(&mut self) {
        while let Some((&zxid, o)) = self.outstanding.iter().next() {
            if !self.allowed_to_commit || !o.quorums.iter().all(|qv| qv.contains_quorum(&o.acks)) {
                break;
            }
            let Some(o) = self.outstanding.remove(&zxid) else {
                break;
            };
            self.last_committed = zxid;
            self.committed_log.add(zxid, o.txn.clone());
            if let Some(qv) = o.reconfig {
                self.commit_reconfig(zxid, qv, &o.acks, o.txn);
                continue;
            }
            self.outputs.push_back(ZabOutput::Commit { zxid });
            let commit = packet::bare(PacketType::Commit, zxid);
            let inform = packet::with_data(PacketType::Inform, zxid, o.txn);
            let targets: Vec<(HandlerId, bool)> = self
                .handlers
                .values()
                .filter(|h| h.forwarding)
                .map(|h| (h.id, h.observer))
                .collect();
            for (id, observer) in targets {
                self.send(
                    id,
                    if observer {
                        inform.clone()
                    } else {
                        commit.clone()
                    },
                );
            }
        }
        self.answer_syncs();
    }

    /// `Leader.processSync`, and more: ZooKeeper answers a sync once everything proposed
    /// before it is committed, but a leader that has lost its quorum without knowing it yet
    /// would then serve stale reads (ZOOKEEPER-1675). Here a sync also waits for a quorum to be
    /// heard from after it arrived (a ping round started now), which a deposed leader cannot
    /// get: `sync` + read is linearizable.
    fn start_sync(&mut self, target: SyncTarget) {
        self.sync_round += 1;
        // The last real proposal (`last_proposed` is `epoch << 32` before the first).
        let zxid = self
            .outstanding
            .keys()
            .next_back()
            .copied()
            .unwrap_or(self.last_committed);
        self.pending_syncs.push_back(PendingSync {
            zxid,
            round: self.sync_round,
            target,
        });
        let ping = packet::bare(PacketType::Ping, self.last_proposed);
        let ids: Vec<HandlerId> = self
            .handlers
            .values()
            .filter(|h| h.forwarding && !h.observer)
            .map(|h| h.id)
            .collect();
        for id in ids {
            self.send(id, ping.clone());
        }
        self.answer_syncs();
    }

    /// A sync from a client of the leader itself.
    pub fn sync_local(&mut self) {
        if self.phase == LeaderPhase::Ended {
            return;
        }
        self.start_sync(SyncTarget::Local);
    }

    /// Answers the syncs whose conditions hold, in order.
    fn answer_syncs(&mut self) {
        while let Some(p) = self.pending_syncs.front().copied() {
            if p.zxid > self.last_committed {
                break;
            }
            let mut heard: BTreeSet<u64> = BTreeSet::new();
            heard.insert(self.config.my_id);
            for h in self.handlers.values() {
                if h.forwarding && h.heard_round >= p.round {
                    if let Some(sid) = h.sid {
                        heard.insert(sid);
                    }
                }
            }
            if !self.has_all_quorums(&heard) {
                break;
            }
            self.pending_syncs.pop_front();
            match p.target {
                SyncTarget::Learner(h) => self.send(h, packet::bare(PacketType::Sync, Zxid(0))),
                SyncTarget::Local => self.outputs.push_back(ZabOutput::SyncAnswered),
            }
        }
    }

    fn on_request(&mut self, handler: HandlerId, p: QuorumPacket) {
        let Some((session_id, cxid, op, request)) = packet::read_request(p.data.as_ref()) else {
            self.close(handler, "malformed REQUEST".into());
            return;
        };
        if op == OpCode::Sync.code() {
            self.start_sync(SyncTarget::Learner(handler));
            return;
        }
        let sid = self
            .handlers
            .get(&handler)
            .and_then(|h| h.sid)
            .unwrap_or_default();
        self.outputs.push_back(ZabOutput::LearnerRequest {
            sid,
            session_id,
            cxid,
            op,
            request,
            authinfo: p.authinfo.unwrap_or_default(),
        });
    }

    // ------------------------------------------------------------------------------------------
    // Reconfiguration.

    /// The configurations counted now: the current one, and the pending one if newer.
    fn rebuild_quorums(&mut self) {
        let mut qvs = vec![self.config.verifier.clone()];
        if let Some(next) = self.config.pending_verifier() {
            qvs.push(next.clone());
        }
        self.quorums = Arc::new(qvs);
        for h in self.handlers.values_mut() {
            h.participant = h.sid.is_some_and(|sid| {
                self.config
                    .verifier
                    .servers()
                    .get(&sid)
                    .is_some_and(|s| s.is_participant())
            });
        }
    }

    /// Whether `sids` hold a quorum of every configuration counted now (`hasAllQuorums`).
    fn has_all_quorums(&self, sids: &BTreeSet<u64>) -> bool {
        self.quorums.iter().all(|qv| qv.contains_quorum(sids))
    }

    /// ZOOKEEPER-1783: an initial configuration (version 0) gets the new epoch's first zxid
    /// as its version once established, announced by NEWLEADER as the last seen one, so it
    /// takes precedence over the partial configuration of a server that joins later.
    fn version_initial_config(&mut self) {
        if !self.config.reconfig_enabled
            || self.config.verifier.version() != 0
            || self.config.pending_verifier().is_some()
        {
            return;
        }
        let mut qv = self.config.verifier.clone();
        qv.set_version(self.new_leader_zxid().raw());
        self.config.last_seen_verifier = Some(qv.clone());
        self.rebuild_quorums();
        self.outputs
            .push_back(ZabOutput::LastSeenConfig { verifier: qv });
    }

    /// `getDesignatedLeader`: this leader if it is a voter of `qv` at the same quorum address;
    /// otherwise the voter of `qv` that acknowledged `zxid` (`acks`) and, of those, the one
    /// that acknowledged the most of the proposals after it.
    fn designated_leader(&self, qv: &QuorumVerifier, acks: &BTreeSet<u64>, zxid: Zxid) -> u64 {
        let me = self.config.my_id;
        let mine = |v: &QuorumVerifier| {
            v.servers()
                .get(&me)
                .filter(|s| s.is_participant())
                .map(|s| s.quorum_addrs())
        };
        if let Some(addrs) = mine(qv) {
            if Some(&addrs) == mine(&self.config.verifier).as_ref() {
                return me;
            }
        }
        let mut candidates: BTreeSet<u64> = qv
            .voting_members()
            .map(|s| s.id)
            .filter(|sid| *sid != me && acks.contains(sid))
            .collect();
        let Some(mut best) = candidates.first().copied() else {
            return me;
        };
        for (_, o) in self.outstanding.range(Zxid(zxid.raw().saturating_add(1))..) {
            candidates.retain(|sid| o.acks.contains(sid));
            match candidates.first() {
                None => return best,
                Some(&c) => best = c,
            }
            if candidates.len() == 1 {
                return best;
            }
        }
        best
    }

    /// Switches to `qv` (`processReconfig` on the leader) and asks the shell to do the same.
    /// Designating another leader stops this one committing.
    fn activate(&mut self, qv: QuorumVerifier, designated: u64) {
        if self
            .config
            .last_seen_verifier
            .as_ref()
            .is_some_and(|p| p.version() <= qv.version())
        {
            self.config.last_seen_verifier = None;
        }
        if qv.version() >= self.config.verifier.version() {
            self.config.verifier = qv.clone();
        }
        self.rebuild_quorums();
        if designated != self.config.my_id {
            self.allowed_to_commit = false;
        }
        self.outputs.push_back(ZabOutput::ActivateConfig {
            verifier: qv,
            designated_leader: Some(designated),
        });
    }

    /// `tryToCommit` of a reconfig: activate it here, then COMMITANDACTIVATE to followers
    /// and INFORMANDACTIVATE to observers, naming the designated leader; then apply it.
    fn commit_reconfig(
        &mut self,
        zxid: Zxid,
        qv: QuorumVerifier,
        acks: &BTreeSet<u64>,
        txn: Bytes,
    ) {
        let designated = self.designated_leader(&qv, acks, zxid);
        self.activate(qv, designated);
        let commit = packet::with_data(
            PacketType::CommitAndActivate,
            zxid,
            packet::designated_leader_data(designated),
        );
        let inform = packet::with_data(
            PacketType::InformAndActivate,
            zxid,
            packet::inform_and_activate_data(designated, &txn),
        );
        let targets: Vec<(HandlerId, bool)> = self
            .handlers
            .values()
            .filter(|h| h.forwarding)
            .map(|h| (h.id, h.observer))
            .collect();
        for (id, observer) in targets {
            let p = if observer {
                inform.clone()
            } else {
                commit.clone()
            };
            self.send(id, p);
        }
        self.outputs.push_back(ZabOutput::Commit { zxid });
    }

    /// The configuration in use.
    pub fn verifier(&self) -> &QuorumVerifier {
        &self.config.verifier
    }

    /// A proposed configuration not activated yet.
    pub fn pending_verifier(&self) -> Option<&QuorumVerifier> {
        self.config.pending_verifier()
    }

    /// `isQuorumSynced`'s members: this leader and every follower (not observer) past its
    /// sync that is heard from in time. A new configuration is accepted only if these hold a
    /// quorum of it.
    pub fn synced_follower_sids(&self, now_ms: u64) -> BTreeSet<u64> {
        let mut sids: BTreeSet<u64> = self
            .handlers
            .values()
            .filter(|h| h.forwarding && !h.observer && h.synced(now_ms))
            .filter_map(|h| h.sid)
            .collect();
        sids.insert(self.config.my_id);
        sids
    }

    /// False once this leader activated a configuration that designates another leader.
    pub fn allowed_to_commit(&self) -> bool {
        self.allowed_to_commit
    }

    // ------------------------------------------------------------------------------------------
    // Helpers.

    fn send(&mut self, handler: HandlerId, packet: QuorumPacket) {
        self.outputs
            .push_back(ZabOutput::SendToLearner { handler, packet });
    }

    fn close(&mut self, handler: HandlerId, reason: String) {
        if let Some(h) = self.handlers.remove(&handler) {
            self.forget_new_leader_ack(h.sid);
            self.pending_syncs
                .retain(|p| p.target != SyncTarget::Learner(handler));
            self.outputs
                .push_back(ZabOutput::CloseLearner { handler, reason });
        }
    }
}
