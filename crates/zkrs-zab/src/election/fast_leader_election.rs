//! [`FastLeaderElection`]: ZooKeeper's leader election (`FastLeaderElection.java`) as a sans-IO
//! state machine.
//!
//! One instance lives for the whole life of a server, across election rounds, because it owns
//! `logicalclock`. It merges what Java splits over three threads:
//!
//! - the `WorkerReceiver` part of [`FastLeaderElection::handle_notification`]: answering
//!   non-voters and lagging or LOOKING peers right away, whatever our state;
//! - the `lookForLeader` loop: the LOOKING round with its `recvset`, `outofelection`,
//!   `finalizeWait` and notification timeout;
//! - the `WorkerSender`: [`ElectionOutput::Send`] values the shell encodes
//!   ([`Notification::encode`]) and hands to its connection manager.
//!
//! Time is a caller-supplied millisecond clock (`now_ms`); [`FastLeaderElection::poll_timeout`]
//! says when [`FastLeaderElection::handle_tick`] has work. Our own notifications are not
//! emitted: Java's connection manager loops a message to oneself straight back into the
//! receive queue, and this machine does the same internally.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use bytes::Bytes;
use zkrs_config::QuorumVerifier;
use zkrs_jute::Zxid;

use super::notification::{Notification, CURRENT_VERSION};
use super::vote::{total_order_predicate, ServerState, Vote};

/// Default `fastleader.minNotificationInterval` (equal to `finalizeWait`).
pub const DEFAULT_MIN_NOTIFICATION_INTERVAL_MS: u64 = 200;
/// Default `fastleader.maxNotificationInterval`.
pub const DEFAULT_MAX_NOTIFICATION_INTERVAL_MS: u64 = 60_000;
/// `FastLeaderElection.finalizeWait`.
pub const DEFAULT_FINALIZE_WAIT_MS: u64 = 200;

/// Notifications kept while LOOKING but before [`FastLeaderElection::start_round`]; older
/// ones are dropped beyond this (Java's queue is unbounded).
const MAX_QUEUED_NOTIFICATIONS: usize = 1024;

/// The election parameters of one server.
#[derive(Debug, Clone)]
pub struct ElectionConfig {
    /// This server's id (`myid`).
    pub my_id: u64,
    /// The current membership. Whether this server votes comes from its `server.N` entry
    /// here.
    pub verifier: QuorumVerifier,
    /// The learner type (`LearnerType.OBSERVER`): a decided non-leader observes instead of
    /// following. [`ElectionConfig::new`] takes it from our entry (a server absent from the
    /// membership is a non-voting participant, as in Java).
    pub observer: bool,
    /// `reconfigEnabled`: a LOOKING server adopts a newer configuration carried by a
    /// notification ([`ElectionOutput::ConfigAdopted`]) and starts its round again.
    pub reconfig_enabled: bool,
    /// First notification timeout of a round (`fastleader.minNotificationInterval`, 200).
    pub min_notification_interval_ms: u64,
    /// Cap of the doubling notification timeout (`fastleader.maxNotificationInterval`, 60000).
    pub max_notification_interval_ms: u64,
    /// Quiet time required after a quorum agrees before deciding (`finalizeWait`, 200).
    pub finalize_wait_ms: u64,
}

impl ElectionConfig {
    /// A config with ZooKeeper's default timings.
    pub fn new(my_id: u64, verifier: QuorumVerifier) -> ElectionConfig {
        let observer = verifier
            .servers()
            .get(&my_id)
            .is_some_and(|s| !s.is_participant());
        ElectionConfig {
            my_id,
            observer,
            reconfig_enabled: false,
            verifier,
            min_notification_interval_ms: DEFAULT_MIN_NOTIFICATION_INTERVAL_MS,
            max_notification_interval_ms: DEFAULT_MAX_NOTIFICATION_INTERVAL_MS,
            finalize_wait_ms: DEFAULT_FINALIZE_WAIT_MS,
        }
    }
}

/// What the election asks the shell to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElectionOutput {
    /// Send this notification to server `to` (any server id in the config, observers
    /// included). Never addressed to ourselves.
    Send {
        /// Recipient server id.
        to: u64,
        /// The payload to encode.
        notification: Notification,
    },
    /// The round ended: the peer becomes LEADING, FOLLOWING or OBSERVING for `vote.leader`.
    /// The machine already answers LOOKING peers with this state and vote; the shell updates
    /// them with [`FastLeaderElection::set_serving`] (for instance the peer epoch once synced).
    Decided {
        /// LEADING if we lead, else FOLLOWING (participant) or OBSERVING (observer).
        state: ServerState,
        /// The final vote; `election_epoch` is the round it was decided in.
        vote: Vote,
    },
    /// While LEADING, voter `sid` reported that it is LOOKING (`Leader.reportLookingSid`). A
    /// leader still waiting for its epoch quorum may use this to give up early.
    LookingPeerReported {
        /// The looking voter.
        sid: u64,
    },
    /// While LOOKING, a notification carried a configuration newer than ours (with
    /// `reconfigEnabled`): the machine uses it from now on (its voters, our learner type) and
    /// has started its round again; the shell activates it too (`processReconfig` without a
    /// designated leader: files, connections, `/zookeeper/config`).
    ConfigAdopted {
        /// The adopted membership.
        verifier: QuorumVerifier,
    },
}

/// The state of one `lookForLeader` call.
#[derive(Debug, Clone)]
struct Round {
    /// LOOKING votes of this round, plus FOLLOWING/LEADING votes carrying our `logicalclock`.
    recvset: BTreeMap<u64, Vote>,
    /// FOLLOWING/LEADING votes of any round: how a late peer learns of an established leader.
    outofelection: BTreeMap<u64, Vote>,
    /// Current notification timeout (`notTimeout`), doubling up to the maximum.
    not_timeout_ms: u64,
    /// When the notification timeout fires if nothing arrives before.
    not_deadline_ms: u64,
    /// Set while a quorum agrees with our proposal and we wait `finalizeWait` for a better
    /// vote: the decision time.
    finalize_deadline_ms: Option<u64>,
}

/// FastLeaderElection for one server. See the module documentation.
#[derive(Debug, Clone)]
pub struct FastLeaderElection {
    my_id: u64,
    verifier: QuorumVerifier,
    observer: bool,
    reconfig_enabled: bool,
    /// `QuorumPeer.lastSeenQuorumVerifier`: a proposed next config.
    last_seen_verifier: Option<QuorumVerifier>,
    /// The config text sent in every notification (`verifier.to_config_string()`).
    config_bytes: Bytes,
    min_notification_interval_ms: u64,
    max_notification_interval_ms: u64,
    finalize_wait_ms: u64,
    /// The election round counter.
    logicalclock: i64,
    proposed_leader: i64,
    proposed_zxid: Zxid,
    proposed_epoch: i64,
    /// Our last logged zxid and current epoch as given to `start_round`.
    last_logged_zxid: Zxid,
    current_epoch: i64,
    /// `QuorumPeer.getPeerState()`.
    peer_state: ServerState,
    /// `QuorumPeer.getCurrentVote()`: the last decided (or served) vote; `None` before the
    /// first round.
    peer_vote: Option<Vote>,
    /// `Some` while `lookForLeader` runs.
    round: Option<Round>,
    /// `recvqueue` while LOOKING outside a round: notifications wait for `start_round`.
    recvqueue: VecDeque<(u64, Notification)>,
    /// Notifications we sent to ourselves, delivered after the current event.
    loopback: VecDeque<Notification>,
    outputs: VecDeque<ElectionOutput>,
}

impl FastLeaderElection {
    /// A machine in state LOOKING, before its first round (`logicalclock` 0).
    pub fn new(config: ElectionConfig) -> FastLeaderElection {
        let config_bytes = Bytes::from(config.verifier.to_config_string());
        FastLeaderElection {
            my_id: config.my_id,
            verifier: config.verifier,
            observer: config.observer,
            reconfig_enabled: config.reconfig_enabled,
            last_seen_verifier: None,
            config_bytes,
            min_notification_interval_ms: config.min_notification_interval_ms.max(1),
            max_notification_interval_ms: config
                .max_notification_interval_ms
                .max(config.min_notification_interval_ms),
            finalize_wait_ms: config.finalize_wait_ms,
            logicalclock: 0,
            proposed_leader: -1,
            proposed_zxid: Zxid(-1),
            proposed_epoch: 0,
            last_logged_zxid: Zxid(-1),
            current_epoch: -1,
            peer_state: ServerState::Looking,
            peer_vote: None,
            round: None,
            recvqueue: VecDeque::new(),
            loopback: VecDeque::new(),
            outputs: VecDeque::new(),
        }
    }

    /// Starts a round (`lookForLeader`): `logicalclock + 1`, our own vote as the proposal
    /// (`(my_id, last_logged_zxid, current_epoch)` for a participant, `(MIN, MIN, MIN)` for an
    /// observer), broadcast to every voting member (ourselves included, counted directly).
    ///
    /// `last_logged_zxid` of -1 marks an untrusted empty database: the round then ignores
    /// every LOOKING vote and can only join an established leader.
    pub fn start_round(&mut self, last_logged_zxid: Zxid, current_epoch: i64, now_ms: u64) {
        self.last_logged_zxid = last_logged_zxid;
        self.current_epoch = current_epoch;
        if self.peer_vote.is_none() {
            // QuorumPeer.startLeaderElection's initial currentVote.
            self.peer_vote = Some(Vote::new(
                sid_as_i64(self.my_id),
                last_logged_zxid,
                -1,
                current_epoch,
            ));
        }
        self.peer_state = ServerState::Looking;
        self.loopback.clear();
        self.logicalclock = self.logicalclock.saturating_add(1);
        self.update_proposal(self.init_id(), self.init_zxid(), self.init_epoch());
        self.round = Some(Round {
            recvset: BTreeMap::new(),
            outofelection: BTreeMap::new(),
            not_timeout_ms: self.min_notification_interval_ms,
            not_deadline_ms: now_ms.saturating_add(self.min_notification_interval_ms),
            finalize_deadline_ms: None,
        });
        self.send_notifications();
        while self.round.is_some() {
            let Some((from_sid, n)) = self.recvqueue.pop_front() else {
                break;
            };
            self.process(from_sid, n, now_ms);
        }
        self.recvqueue.clear();
        self.drain_loopback(now_ms);
    }

    /// A notification from server `from_sid` (the id of the election connection, not
    /// anything in the payload).
    pub fn handle_notification(&mut self, from_sid: u64, n: Notification, now_ms: u64) {
        self.receive(from_sid, n, now_ms);
        self.drain_loopback(now_ms);
    }

    /// Fires what is due at `now_ms`: the decision at the end of `finalizeWait`, or the
    /// notification timeout (re-broadcast, then double the timeout up to the maximum).
    pub fn handle_tick(&mut self, now_ms: u64) {
        let Some(round) = self.round.as_mut() else {
            return;
        };
        if let Some(deadline_ms) = round.finalize_deadline_ms {
            if now_ms >= deadline_ms {
                let vote = self.proposal();
                self.decide(vote);
            }
        } else if now_ms >= round.not_deadline_ms {
            // Java re-sends only if the connection manager delivered something, and otherwise
            // reconnects; connections are the shell's business, so this always re-sends.
            round.not_timeout_ms = round
                .not_timeout_ms
                .saturating_mul(2)
                .min(self.max_notification_interval_ms);
            round.not_deadline_ms = now_ms.saturating_add(round.not_timeout_ms);
            self.send_notifications();
        }
        self.drain_loopback(now_ms);
    }

    /// The next output, oldest first.
    pub fn poll_output(&mut self) -> Option<ElectionOutput> {
        self.outputs.pop_front()
    }

    /// The `now_ms` at which [`FastLeaderElection::handle_tick`] has work, if any.
    pub fn poll_timeout(&self) -> Option<u64> {
        let round = self.round.as_ref()?;
        Some(round.finalize_deadline_ms.unwrap_or(round.not_deadline_ms))
    }

    /// Sets our state and the vote we report to LOOKING peers, and ends any round. Used after
    /// a decision (e.g. `updateElectionVote` with the epoch actually served, or a role the
    /// shell chose). With [`ServerState::Looking`] the machine waits for `start_round`, keeping
    /// what arrives meanwhile.
    pub fn set_serving(&mut self, state: ServerState, vote: Vote) {
        self.round = None;
        self.recvqueue.clear();
        self.loopback.clear();
        self.peer_state = state;
        self.peer_vote = Some(vote);
    }

    /// Replaces the membership (a reconfig). Takes effect for the next message handled.
    pub fn set_verifier(&mut self, verifier: QuorumVerifier) {
        self.config_bytes = Bytes::from(verifier.to_config_string());
        if self
            .last_seen_verifier
            .as_ref()
            .is_some_and(|l| l.version() <= verifier.version())
        {
            self.last_seen_verifier = None;
        }
        self.verifier = verifier;
    }

    /// Sets the learner type (`updateLearnerType` after a reconfig).
    pub fn set_observer(&mut self, observer: bool) {
        self.observer = observer;
    }

    /// Whether a decided non-leader observes.
    pub fn is_observer(&self) -> bool {
        self.observer
    }

    /// Sets the last seen (proposed, not yet committed) membership. While its version is
    /// above the current one, its voters are voters too, and a decision needs a quorum of it
    /// as well (`getCurrentAndNextConfigVoters`, `getVoteTracker`).
    pub fn set_last_seen_verifier(&mut self, verifier: Option<QuorumVerifier>) {
        self.last_seen_verifier = verifier;
    }

    /// The membership in use.
    pub fn verifier(&self) -> &QuorumVerifier {
        &self.verifier
    }

    /// The election round counter.
    pub fn logical_clock(&self) -> i64 {
        self.logicalclock
    }

    /// `QuorumPeer.getCurrentVote()`: the vote we report while serving and answer non-voters
    /// with: the last decided (or [`FastLeaderElection::set_serving`]) vote, our initial vote
    /// during the first round, and `(my_id, -1, -1, -1)` before it. During a round it is not
    /// the proposal; see [`FastLeaderElection::proposal`].
    pub fn current_vote(&self) -> Vote {
        self.peer_vote
            .unwrap_or(Vote::new(sid_as_i64(self.my_id), Zxid(-1), -1, -1))
    }

    /// The current proposal (`proposedLeader`, `proposedZxid`, `proposedEpoch`) with
    /// `logicalclock` as its round.
    pub fn proposal(&self) -> Vote {
        Vote::new(
            self.proposed_leader,
            self.proposed_zxid,
            self.logicalclock,
            self.proposed_epoch,
        )
    }

    /// Our state (`QuorumPeer.getPeerState()`).
    pub fn state(&self) -> ServerState {
        self.peer_state
    }

    /// Whether we are LOOKING.
    pub fn is_looking(&self) -> bool {
        self.peer_state == ServerState::Looking
    }

    /// Whether a round is running (LOOKING and `start_round` called).
    pub fn in_round(&self) -> bool {
        self.round.is_some()
    }

    /// The `WorkerReceiver` part: answer right away where Java does, then hand LOOKING-time
    /// notifications to the round.
    fn receive(&mut self, from_sid: u64, n: Notification, now_ms: u64) {
        if self.adopt_config(&n, now_ms) {
            // Java shuts the election down and starts a new one; the message is dropped.
            return;
        }
        if !self.valid_voter(from_sid) {
            // Observers and unknown servers get our current vote at once and never count.
            if let Some(current) = self.peer_vote {
                let reply = Notification::from_vote(
                    self.peer_state,
                    &current,
                    self.logicalclock,
                    Some(self.config_bytes.clone()),
                );
                self.send(from_sid, reply);
            }
            return;
        }
        if self.peer_state == ServerState::Looking {
            if n.state == ServerState::Looking && n.election_epoch < self.logicalclock {
                // A looking peer lagging behind: tell it our round and proposal.
                let reply = Notification::from_vote(
                    ServerState::Looking,
                    &self.proposal(),
                    self.logicalclock,
                    Some(self.config_bytes.clone()),
                );
                self.send(from_sid, reply);
            }
            if self.round.is_some() {
                self.process(from_sid, n, now_ms);
            } else {
                if self.recvqueue.len() >= MAX_QUEUED_NOTIFICATIONS {
                    self.recvqueue.pop_front();
                }
                self.recvqueue.push_back((from_sid, n));
            }
        } else if n.state == ServerState::Looking {
            if self.peer_state == ServerState::Leading {
                self.outputs
                    .push_back(ElectionOutput::LookingPeerReported { sid: from_sid });
            }
            if let Some(current) = self.peer_vote {
                // The vote's own round, not logicalclock.
                let reply = Notification::from_vote(
                    self.peer_state,
                    &current,
                    current.election_epoch,
                    Some(self.config_bytes.clone()),
                );
                self.send(from_sid, reply);
            }
        }
    }

    /// `WorkerReceiver`: a LOOKING server adopts a newer configuration from any sender
    /// (`processReconfig(rqv, null, null, false)`) and restarts its election. Returns whether
    /// it did.
    fn adopt_config(&mut self, n: &Notification, now_ms: u64) -> bool {
        if !self.reconfig_enabled || self.peer_state != ServerState::Looking {
            return false;
        }
        let Some(text) = n.config.as_ref() else {
            return false;
        };
        let Ok(text) = std::str::from_utf8(text) else {
            return false;
        };
        // Cheap check before parsing: the version line is last.
        let version = text
            .rsplit('\n')
            .next()
            .and_then(|l| l.strip_prefix("version="))
            .and_then(|v| i64::from_str_radix(v.trim(), 16).ok());
        if version.is_none_or(|v| v <= self.verifier.version()) {
            return false;
        }
        let Ok(qv) = QuorumVerifier::parse(text, "notification", true) else {
            return false;
        };
        if qv.version() <= self.verifier.version() {
            return false;
        }
        let equal = qv.servers() == self.verifier.servers();
        self.set_verifier(qv.clone());
        // updateLearnerType: observer in it, else participant (voting or not).
        self.observer = qv
            .servers()
            .get(&self.my_id)
            .is_some_and(|s| !s.is_participant());
        self.outputs
            .push_back(ElectionOutput::ConfigAdopted { verifier: qv });
        if equal {
            // Java restarts only if the configuration differs (`!rqv.equals(curQV)`).
            return false;
        }
        if self.round.is_some() {
            let (zxid, epoch) = (self.last_logged_zxid, self.current_epoch);
            self.start_round(zxid, epoch, now_ms);
        }
        true
    }

    /// One iteration of the `lookForLeader` loop for a received notification.
    fn process(&mut self, from_sid: u64, n: Notification, now_ms: u64) {
        let proposal = self.proposal();
        let better = self.better(&n.vote(), &proposal);
        let Some(round) = self.round.as_mut() else {
            return;
        };
        round.not_deadline_ms = now_ms.saturating_add(round.not_timeout_ms);
        if round.finalize_deadline_ms.is_some() {
            if !better {
                // finalizeWait: anything not better than our proposal is consumed unseen,
                // and the quiet period starts again.
                round.finalize_deadline_ms = Some(now_ms.saturating_add(self.finalize_wait_ms));
                return;
            }
            // A better vote: back to the round, which handles it.
            round.finalize_deadline_ms = None;
        }
        if !self.valid_voter(from_sid) || !self.valid_voter_id(n.leader) {
            return;
        }
        match n.state {
            ServerState::Looking => self.process_looking(from_sid, &n, now_ms),
            ServerState::Observing => {}
            ServerState::Following | ServerState::Leading => {
                self.process_serving(from_sid, &n);
            }
        }
    }

    /// A LOOKING vote from a voter.
    fn process_looking(&mut self, from_sid: u64, n: &Notification, now_ms: u64) {
        if self.init_zxid() == Zxid(-1) {
            // Untrusted empty database: LOOKING votes do not count for us.
            return;
        }
        if n.zxid == Zxid(-1) {
            // An untrusted empty database never gets our support.
            return;
        }
        let received = n.vote();
        if n.election_epoch > self.logicalclock {
            self.logicalclock = n.election_epoch;
            if let Some(round) = self.round.as_mut() {
                round.recvset.clear();
            }
            let own = Vote::new(self.init_id(), self.init_zxid(), -1, self.init_epoch());
            if self.better(&received, &own) {
                self.update_proposal(n.leader, n.zxid, n.peer_epoch);
            } else {
                self.update_proposal(own.leader, own.zxid, own.peer_epoch);
            }
            self.send_notifications();
        } else if n.election_epoch < self.logicalclock {
            return;
        } else if self.better(&received, &self.proposal()) {
            self.update_proposal(n.leader, n.zxid, n.peer_epoch);
            self.send_notifications();
        }
        let proposal = self.proposal();
        let Some(round) = self.round.as_mut() else {
            return;
        };
        round.recvset.insert(
            from_sid,
            Vote::new(n.leader, n.zxid, n.election_epoch, n.peer_epoch),
        );
        if self.has_all_quorums(&self.round_votes(true), &proposal) {
            if let Some(round) = self.round.as_mut() {
                round.finalize_deadline_ms = Some(now_ms.saturating_add(self.finalize_wait_ms));
            }
        }
    }

    /// A FOLLOWING or LEADING vote from a voter (`receivedFollowingNotification`).
    fn process_serving(&mut self, from_sid: u64, n: &Notification) {
        let reported = n.vote();
        let end_vote = Vote::new(n.leader, n.zxid, n.election_epoch, n.peer_epoch);
        if n.election_epoch == self.logicalclock {
            if let Some(round) = self.round.as_mut() {
                round.recvset.insert(
                    from_sid,
                    Vote {
                        version: 0,
                        ..reported
                    },
                );
            }
            let recvset = self.round_votes(true);
            if self.has_all_quorums(&recvset, &reported)
                && self.check_leader(&recvset, n.leader, n.election_epoch)
            {
                self.decide(end_vote);
                return;
            }
        }
        // Votes of every round, this one included (ZOOKEEPER-1732): joining an established
        // ensemble needs a quorum following the same leader, and that leader leading.
        if let Some(round) = self.round.as_mut() {
            round.outofelection.insert(from_sid, reported);
        }
        let outofelection = self.round_votes(false);
        if self.has_all_quorums(&outofelection, &reported)
            && self.check_leader(&outofelection, n.leader, n.election_epoch)
        {
            self.logicalclock = n.election_epoch;
            self.decide(end_vote);
        }
    }

    /// Ends the round with `vote.leader` as leader (`setPeerState`, `leaveInstance`).
    fn decide(&mut self, vote: Vote) {
        let state = if vote.leader == sid_as_i64(self.my_id) {
            ServerState::Leading
        } else if !self.observer {
            ServerState::Following
        } else {
            ServerState::Observing
        };
        self.round = None;
        self.recvqueue.clear();
        self.loopback.clear();
        self.peer_state = state;
        self.peer_vote = Some(vote);
        self.outputs
            .push_back(ElectionOutput::Decided { state, vote });
    }

    /// `checkLeader`: a leader other than us must have reported LEADING itself; if it is us,
    /// the votes must be of our current round.
    fn check_leader(&self, votes: &BTreeMap<u64, Vote>, leader: i64, election_epoch: i64) -> bool {
        if leader != sid_as_i64(self.my_id) {
            u64::try_from(leader)
                .ok()
                .and_then(|sid| votes.get(&sid))
                .is_some_and(|v| v.state == ServerState::Leading)
        } else {
            self.logicalclock == election_epoch
        }
    }

    /// `getVoteTracker(...).hasAllQuorums()`: the voters whose vote agrees with `vote` form a
    /// quorum of the current config and, if newer, of the last seen one.
    fn has_all_quorums(&self, votes: &BTreeMap<u64, Vote>, vote: &Vote) -> bool {
        let agreeing: BTreeSet<u64> = votes
            .iter()
            .filter(|(_, v)| vote.agrees_with(v))
            .map(|(&sid, _)| sid)
            .collect();
        self.trackers()
            .all(|qv| qv.contains_quorum(&voters_of(qv, &agreeing)))
    }

    /// The verifiers a decision must satisfy.
    fn trackers(&self) -> impl Iterator<Item = &QuorumVerifier> {
        let next = self
            .last_seen_verifier
            .as_ref()
            .filter(|next| next.version() > self.verifier.version());
        std::iter::once(&self.verifier).chain(next)
    }

    /// A copy of the round's `recvset` (or `outofelection`), so quorum checks can borrow self.
    fn round_votes(&self, recvset: bool) -> BTreeMap<u64, Vote> {
        match &self.round {
            Some(round) if recvset => round.recvset.clone(),
            Some(round) => round.outofelection.clone(),
            None => BTreeMap::new(),
        }
    }

    /// `totalOrderPredicate` with the new leader's weight from the current config.
    fn better(&self, new: &Vote, cur: &Vote) -> bool {
        let weight = u64::try_from(new.leader)
            .map(|sid| self.verifier.weight(sid))
            .unwrap_or(0);
        total_order_predicate(new, cur, weight)
    }

    fn update_proposal(&mut self, leader: i64, zxid: Zxid, epoch: i64) {
        self.proposed_leader = leader;
        self.proposed_zxid = zxid;
        self.proposed_epoch = epoch;
    }

    /// Broadcasts our proposal to every voter of the current and next config.
    fn send_notifications(&mut self) {
        let proposal = self.proposal();
        for sid in self.voters() {
            let n = Notification {
                state: ServerState::Looking,
                leader: proposal.leader,
                zxid: proposal.zxid,
                election_epoch: self.logicalclock,
                peer_epoch: proposal.peer_epoch,
                version: CURRENT_VERSION,
                config: Some(self.config_bytes.clone()),
            };
            self.send(sid, n);
        }
    }

    fn send(&mut self, to: u64, notification: Notification) {
        if to == self.my_id {
            self.loopback.push_back(notification);
        } else {
            self.outputs
                .push_back(ElectionOutput::Send { to, notification });
        }
    }

    /// Delivers what we sent ourselves, in order, until nothing is left. Each pass either
    /// strictly improves the proposal or sends nothing more, so this ends.
    fn drain_loopback(&mut self, now_ms: u64) {
        while let Some(n) = self.loopback.pop_front() {
            self.receive(self.my_id, n, now_ms);
        }
    }

    /// `getCurrentAndNextConfigVoters`.
    fn voters(&self) -> BTreeSet<u64> {
        let mut ids: BTreeSet<u64> = self.verifier.voting_members().map(|s| s.id).collect();
        if let Some(next) = &self.last_seen_verifier {
            ids.extend(next.voting_members().map(|s| s.id));
        }
        ids
    }

    fn valid_voter(&self, sid: u64) -> bool {
        is_voter(&self.verifier, sid)
            || self
                .last_seen_verifier
                .as_ref()
                .is_some_and(|next| is_voter(next, sid))
    }

    fn valid_voter_id(&self, id: i64) -> bool {
        u64::try_from(id).is_ok_and(|sid| self.valid_voter(sid))
    }

    /// Our role in the config: `LearnerType.PARTICIPANT` iff our entry is a participant.
    fn is_participant(&self) -> bool {
        is_voter(&self.verifier, self.my_id)
    }

    /// `getInitId`.
    fn init_id(&self) -> i64 {
        if self.is_participant() {
            sid_as_i64(self.my_id)
        } else {
            i64::MIN
        }
    }

    /// `getInitLastLoggedZxid`.
    fn init_zxid(&self) -> Zxid {
        if self.is_participant() {
            self.last_logged_zxid
        } else {
            Zxid(i64::MIN)
        }
    }

    /// `getPeerEpoch`.
    fn init_epoch(&self) -> i64 {
        if self.is_participant() {
            self.current_epoch
        } else {
            i64::MIN
        }
    }
}

/// Whether `sid` is a participant of `qv` (`getVotingMembers().containsKey`).
fn is_voter(qv: &QuorumVerifier, sid: u64) -> bool {
    qv.servers().get(&sid).is_some_and(|s| s.is_participant())
}

/// `SyncedLearnerTracker.addAck`: only the voters of `qv` are counted for it.
fn voters_of(qv: &QuorumVerifier, sids: &BTreeSet<u64>) -> BTreeSet<u64> {
    sids.iter()
        .copied()
        .filter(|&sid| is_voter(qv, sid))
        .collect()
}

/// A server id as the signed long of the wire (ids above `i64::MAX` do not occur in ZooKeeper).
fn sid_as_i64(sid: u64) -> i64 {
    i64::try_from(sid).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier(text: &str) -> QuorumVerifier {
        QuorumVerifier::parse(text, "test", false).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn a_single_voter_elects_itself_after_finalize_wait() {
        let q = verifier("server.7=127.0.0.1:2007:3007\nserver.8=127.0.0.1:2008:3008:observer");
        let mut fle = FastLeaderElection::new(ElectionConfig::new(7, q));
        fle.start_round(Zxid::new(2, 3), 2, 1_000);
        // Our own vote is looped back, never sent.
        assert_eq!(fle.poll_output(), None);
        assert_eq!(fle.poll_timeout(), Some(1_200));
        fle.handle_tick(1_199);
        assert_eq!(fle.poll_output(), None);
        fle.handle_tick(1_200);
        let vote = Vote::new(7, Zxid::new(2, 3), 1, 2);
        assert_eq!(
            fle.poll_output(),
            Some(ElectionOutput::Decided {
                state: ServerState::Leading,
                vote
            })
        );
        assert_eq!(
            (fle.state(), fle.current_vote()),
            (ServerState::Leading, vote)
        );
        assert!(!fle.in_round());
    }

    #[test]
    fn observer_initial_vote_and_check_leader() {
        let q = verifier("server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2:observer");
        let mut fle = FastLeaderElection::new(ElectionConfig::new(3, q));
        fle.start_round(Zxid::new(1, 1), 1, 0);
        let p = fle.proposal();
        assert_eq!(
            (p.leader, p.zxid, p.peer_epoch),
            (i64::MIN, Zxid(i64::MIN), i64::MIN)
        );
        let mut votes = BTreeMap::new();
        votes.insert(
            1,
            Vote::new(2, Zxid(0), 1, 1).with_state(ServerState::Following),
        );
        assert!(!fle.check_leader(&votes, 2, 1));
        votes.insert(
            2,
            Vote::new(2, Zxid(0), 1, 1).with_state(ServerState::Leading),
        );
        assert!(fle.check_leader(&votes, 2, 1));
        assert!(!fle.check_leader(&votes, i64::MIN, 1));
    }
}
