//! The quorum half of the core task: the [`QuorumState`] a member keeps (its election, its role
//! engine, its links) and the `Driver` methods that step the sans-IO ZAB engines
//! (`zkrs_zab`) and carry out their outputs (`QuorumPeer.run` in Java).
//!
//! - LOOKING: FastLeaderElection over the `QuorumCnxManager`.
//! - LEADING: a [`Leader`]; learners connect to the quorum port ([`QuorumLink`]s).
//! - FOLLOWING / OBSERVING: a [`Learner`] connected to the leader's quorum port.
//!
//! When a role ends the member stops serving, closes its client connections, waits for its
//! txn log to be durable, reloads its database from disk (so its vote and its ACKEPOCH
//! advertise only durable state) and starts a new election round.

use std::collections::{BTreeMap, VecDeque};
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use zkrs_jute::{PacketType, TxnEntry, Zxid};
use zkrs_session::CoreRole;
use zkrs_zab::election::fast_leader_election::{ElectionOutput, FastLeaderElection};
use zkrs_zab::election::notification::Notification;
use zkrs_zab::election::vote::ServerState;
use zkrs_zab::learner::{Learner, LearnerStart};
use zkrs_zab::learner_handler::HandlerState;
use zkrs_zab::{CommittedLog, EpochKind, HandlerId, Leader, LeaderStart, ZabConfig, ZabOutput};

use super::Driver;
use crate::quorum_cnx_manager::{QcmHandle, QcmReceiver};
use crate::quorum_link::{connect_any, LinkSide, LinkWrite, PeerEvent, QuorumLink};

/// Events queued from quorum links and storage helpers to the core task.
pub const PEER_EVENT_QUEUE_CAPACITY: usize = 4096;

/// The largest quorum packet accepted (`jute.maxbuffer` plus room for the header).
pub const MAX_QUORUM_PACKET_LEN: usize = 64 * 1024 * 1024;

/// The role engine of a member.
#[derive(Debug)]
pub enum Role {
    Looking,
    Leading(Box<Leader>),
    Following(Box<Learner>),
    Observing(Box<Learner>),
}

/// Work the core task must do between events (it awaits, so it is not done while stepping).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PendingReload {
    /// The role ended: reload from disk and start an election.
    Election,
    /// TRUNC: cut the log after this zxid, reload, and tell the learner.
    Truncate(Zxid),
    /// After a SNAP sync, at NEWLEADER: cut the log after the snapshot's zxid (keeping the
    /// tree received from the leader), then take the snapshot.
    SnapTruncate(Zxid),
}

/// What a quorum member keeps besides the core.
#[derive(Debug)]
pub struct QuorumState {
    pub zab: ZabConfig,
    pub fle: FastLeaderElection,
    pub qcm: QcmHandle,
    pub qcm_rx: QcmReceiver,
    pub role: Role,
    pub accepted_epoch: i64,
    pub current_epoch: i64,
    /// Quorum addresses of every member, resolved on each connect.
    pub quorum_addrs: BTreeMap<u64, Vec<(String, u16)>>,
    pub peer_tx: mpsc::Sender<PeerEvent>,
    pub peer_rx: mpsc::Receiver<PeerEvent>,
    pub learner_writers: BTreeMap<HandlerId, mpsc::Sender<LinkWrite>>,
    /// Each learner connection's remote address and accept time (wall ms), for the
    /// AdminServer's `observers`; pruned to the live connections at every accept.
    pub learner_links: BTreeMap<HandlerId, (std::net::SocketAddr, i64)>,
    pub leader_writer: Option<mpsc::Sender<LinkWrite>>,
    /// Entries proposed by the leader and not yet handed to the txn log.
    pub proposed: VecDeque<TxnEntry>,
    pub pending_reload: Option<PendingReload>,
    pub shutdown: watch::Receiver<bool>,
    /// When this member last started serving (leader uptime).
    pub serving_since_ms: Option<u64>,
    /// The election or link channels ended during shutdown: stop polling them.
    pub channels_closed: bool,
    pub cnx_timeout_ms: u64,
    /// Epoch-file writes and learner snapshots, run in order on one thread (so an older
    /// epoch never overwrites a newer one), each tagged with the role that asked.
    pub storage_jobs: QuorumStorageWorker,
    pub storage_rx: mpsc::Receiver<(u64, QuorumStorageEvent)>,
    /// Incremented at every role change: a completion asked for by an ended role is not
    /// handed to the next role's engine.
    pub role_generation: u64,
    /// The last txns of the database as loaded from disk: the committed log a new leader
    /// DIFF-syncs from (`ZKDatabase.committedLog`).
    pub committed_log: CommittedLog,
    /// The txn log thread's report queue, for the thread started after a reload.
    pub storage_events_tx: mpsc::Sender<crate::storage_event::StorageEvent>,
    /// What the quorum port does with learners (set from the role after every step).
    pub learner_gate: watch::Sender<LearnerGate>,
    /// Config files and the settings a reconfig is checked with.
    pub reconfig: super::reconfig::ReconfigSettings,
    /// `QuorumPeer.reconfigFlag`: an activated configuration changed this member's role or
    /// designated another leader; when the role ends the member takes the new one without
    /// an election.
    pub reconfig_flag: bool,
    /// The leader a reconfig designated (`updateVote`), for that role change.
    pub designated_leader: Option<u64>,
    /// When the current election round started (`QuorumPeer.start_fle`), for
    /// `LEADER ELECTION TOOK`.
    pub election_started_ms: Option<u64>,
    /// The `Peer state changed:` state last logged (`getDetailedPeerState`).
    pub logged_peer_state: Option<PeerState>,
}

/// Completions of the blocking work a quorum member asks for.
#[derive(Debug)]
pub enum QuorumStorageEvent {
    EpochPersisted {
        kind: EpochKind,
        epoch: i64,
    },
    EpochFailed {
        error: String,
    },
    SnapshotTaken {
        zxid: Zxid,
    },
    SnapshotFailed {
        error: String,
    },
    /// The on-disk txns a leader asked for to DIFF-sync `handler` (`None`: SNAP instead).
    TxnLogRead {
        handler: HandlerId,
        txns: Option<Vec<zkrs_zab::CommittedProposal>>,
    },
    /// A config file was written (`error`: it could not be; ZooKeeper logs it and goes on).
    ConfigWritten {
        what: String,
        error: Option<String>,
    },
}

/// A blocking job of the quorum storage worker.
type StorageJob = Box<dyn FnOnce() -> QuorumStorageEvent + Send>;

/// One thread that runs epoch-file writes and learner snapshots in the order they were asked
/// for and reports each completion with the role generation that asked.
#[derive(Clone)]
pub struct QuorumStorageWorker {
    jobs: std::sync::mpsc::Sender<(u64, StorageJob)>,
    done: mpsc::Sender<(u64, QuorumStorageEvent)>,
}

impl std::fmt::Debug for QuorumStorageWorker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("QuorumStorageWorker")
    }
}

impl QuorumStorageWorker {
    /// Starts the thread; completions go to `done`.
    pub fn start(done: mpsc::Sender<(u64, QuorumStorageEvent)>) -> std::io::Result<Self> {
        let (jobs, rx) = std::sync::mpsc::channel::<(u64, StorageJob)>();
        let worker = QuorumStorageWorker {
            jobs,
            done: done.clone(),
        };
        std::thread::Builder::new()
            .name("zkrs-quorum-storage".into())
            .spawn(move || {
                while let Ok((generation, job)) = rx.recv() {
                    if done.blocking_send((generation, job())).is_err() {
                        return;
                    }
                }
            })?;
        Ok(worker)
    }

    pub(super) fn run(&self, generation: u64, job: StorageJob) {
        let _ = self.jobs.send((generation, job));
    }

    /// Runs a read that needs no ordering with the writes (a leader's txn log read for a
    /// DIFF) on its own thread, so a long read never delays an epoch write.
    fn run_apart(&self, generation: u64, job: StorageJob) {
        let done = self.done.clone();
        let spawned = std::thread::Builder::new()
            .name("zkrs-diff-read".into())
            .spawn(move || {
                let _ = done.blocking_send((generation, job()));
            });
        if let Err(e) = spawned {
            tracing::warn!("cannot start a txn log read: {e}");
        }
    }
}

/// What the quorum port does with a learner's connection, by the member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnerGate {
    /// Looking: connections wait in the listen backlog (the learner's FOLLOWERINFO with them)
    /// until the election ends here. A Java member has no quorum port open then and its
    /// learners retry the connect; either way a learner that decided faster than its leader
    /// is not turned away.
    Hold,
    /// Leading: accepted and handed to the leader.
    Accept,
    /// Following or observing: accepted and closed, so a learner that expected this member
    /// to lead learns it at once and elects again.
    Refuse,
}

/// Accepts learners on the quorum port for as long as the member runs, as `gate` says; the
/// core task also closes those that arrive while it is not leading.
pub async fn accept_learners(
    listener: TcpListener,
    events: mpsc::Sender<PeerEvent>,
    mut shutdown: watch::Receiver<bool>,
    mut gate: watch::Receiver<LearnerGate>,
    first_handler: HandlerId,
) {
    let mut next = first_handler;
    loop {
        while *gate.borrow_and_update() == LearnerGate::Hold {
            tokio::select! {
                r = gate.changed() => if r.is_err() { return },
                _ = shutdown.changed() => return,
            }
        }
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => return,
            r = gate.changed() => {
                if r.is_err() {
                    return;
                }
                continue;
            }
        };
        match accepted {
            Ok((_, remote)) if *gate.borrow() == LearnerGate::Refuse => {
                tracing::info!("closing learner connection from {remote}: not leading");
            }
            Ok((stream, remote)) => {
                next += 1;
                let handler = next;
                let writer = QuorumLink::start(
                    stream,
                    LinkSide::Leader(handler),
                    MAX_QUORUM_PACKET_LEN,
                    events.clone(),
                    shutdown.clone(),
                );
                if events
                    .send(PeerEvent::LearnerAccepted {
                        handler,
                        remote,
                        writer,
                    })
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => {
                tracing::warn!("accepting a learner: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

impl Driver {
    /// The first election round, at start-up.
    pub(super) fn quorum_start(&mut self) {
        let now_ms = self.clock.now().mono_ms;
        let last = Zxid(self.core.last_processed_zxid());
        self.core.set_serving(false);
        self.stats.quorum.looking(now_ms);
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        q.role = Role::Looking;
        self.log_peer_state();
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        if std::mem::take(&mut q.reconfig_flag) {
            // `updateServerState` after a reconfig: straight to the new role.
            let leader = q
                .designated_leader
                .take()
                .or_else(|| u64::try_from(q.fle.current_vote().leader).ok())
                .unwrap_or(q.zab.my_id);
            let state = if leader == q.zab.my_id {
                ServerState::Leading
            } else if q.zab.observer {
                ServerState::Observing
            } else {
                ServerState::Following
            };
            tracing::info!("after the reconfig: {state:?}, leader {leader}, no election");
            let leader_id = i64::try_from(leader).unwrap_or(i64::MAX);
            q.fle.set_serving(
                state,
                zkrs_zab::election::vote::Vote::new(leader_id, last, -1, -1),
            );
            self.become_role(state, leader_id);
            return;
        }
        q.designated_leader = None;
        // `QuorumPeer.run` and `FastLeaderElection.lookForLeader`'s wording.
        tracing::info!("LOOKING");
        q.election_started_ms = Some(now_ms);
        q.fle.start_round(last, q.current_epoch, now_ms);
        tracing::info!(
            "New election. My id = {}, proposed zxid=0x{:x}",
            q.zab.my_id,
            q.fle.current_vote().zxid.raw()
        );
        self.arm_read_only(now_ms);
    }

    /// The earliest deadline of the election or role engine.
    pub(super) fn quorum_timeout(&self) -> Option<u64> {
        let q = self.quorum.as_ref()?;
        let role = match &q.role {
            Role::Looking => None,
            Role::Leading(l) => l.poll_timeout(),
            Role::Following(l) | Role::Observing(l) => l.poll_timeout(),
        };
        match (q.fle.poll_timeout(), role) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    pub(super) fn quorum_tick(&mut self, now_ms: u64) {
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        q.fle.handle_tick(now_ms);
        match &mut q.role {
            Role::Looking => {}
            Role::Leading(l) => l.handle_tick(now_ms),
            Role::Following(l) | Role::Observing(l) => l.handle_tick(now_ms),
        }
    }

    /// An election notification from `from`.
    pub(super) fn handle_election_message(&mut self, from: u64, payload: Bytes) {
        let now_ms = self.clock.now().mono_ms;
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        match Notification::decode(&payload) {
            Ok(n) => {
                // FastLeaderElection's WorkerReceiver logs each voter's notification at INFO.
                let voter = q
                    .zab
                    .verifier
                    .servers()
                    .get(&from)
                    .is_some_and(|s| s.is_participant());
                if voter {
                    tracing::info!(
                        "Notification: my state:{}; n.sid:{from}, n.state:{}, n.leader:{}, \
                         n.round:0x{:x}, n.peerEpoch:0x{:x}, n.zxid:0x{:x}, message format \
                         version:0x{:x}, n.config version:0x{:x}",
                        q.fle.state(),
                        n.state,
                        n.leader,
                        n.election_epoch,
                        n.peer_epoch,
                        n.zxid.raw(),
                        n.version,
                        config_version(n.config.as_deref())
                    );
                }
                q.fle.handle_notification(from, n, now_ms)
            }
            Err(e) => tracing::warn!("dropping a malformed notification from sid {from}: {e}"),
        }
    }

    /// A quorum blocking job finished.
    pub(super) fn handle_quorum_storage_event(&mut self, generation: u64, ev: QuorumStorageEvent) {
        let now_ms = self.clock.now().mono_ms;
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        // The files are written whoever asked; the engines hear only of their own requests.
        let current = generation == q.role_generation;
        match ev {
            QuorumStorageEvent::EpochPersisted { kind, epoch } => {
                match kind {
                    EpochKind::Accepted => q.accepted_epoch = epoch,
                    EpochKind::Current => q.current_epoch = epoch,
                }
                if !current {
                    return;
                }
                match &mut q.role {
                    Role::Leading(l) => l.handle_epoch_persisted(kind, epoch, now_ms),
                    Role::Following(l) | Role::Observing(l) => {
                        l.handle_epoch_persisted(kind, epoch, now_ms)
                    }
                    Role::Looking => {}
                }
            }
            QuorumStorageEvent::SnapshotTaken { zxid } => {
                if !current {
                    return;
                }
                if let Role::Following(l) | Role::Observing(l) = &mut q.role {
                    l.handle_snapshot_taken(zxid, now_ms);
                }
            }
            QuorumStorageEvent::TxnLogRead { handler, txns } => {
                if !current {
                    return;
                }
                if let Role::Leading(l) = &mut q.role {
                    l.handle_txn_log_read(handler, txns, now_ms);
                }
            }
            QuorumStorageEvent::ConfigWritten { what, error } => match error {
                None => tracing::debug!("wrote {what}"),
                Some(e) => tracing::error!("writing {what}: {e}"),
            },
            QuorumStorageEvent::EpochFailed { error }
            | QuorumStorageEvent::SnapshotFailed { error } => {
                tracing::error!("quorum storage failure: {error}; leaving the role");
                self.end_role(format!("storage failure: {error}"));
            }
        }
    }

    /// A report of a quorum link.
    pub(super) fn handle_peer_event(&mut self, ev: PeerEvent) {
        let now_ms = self.clock.now().mono_ms;
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        match ev {
            PeerEvent::LearnerAccepted {
                handler,
                remote,
                writer,
            } => match &mut q.role {
                Role::Leading(l) => {
                    tracing::info!("learner connection {handler} from {remote}");
                    q.learner_writers.insert(handler, writer);
                    let writers = &q.learner_writers;
                    q.learner_links.retain(|h, _| writers.contains_key(h));
                    let wall_ms = std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
                    q.learner_links.insert(handler, (remote, wall_ms));
                    l.handle_learner_connected(handler, now_ms);
                }
                // Not leading: the connection is dropped (its writer queue with it).
                _ => drop(writer),
            },
            PeerEvent::Packet { side, packet } => match (side, &mut q.role) {
                (LinkSide::Leader(h), Role::Leading(l)) => {
                    if packet.r#type == PacketType::Revalidate as i32 {
                        self.stats.quorum.revalidate_count += 1;
                    }
                    l.handle_learner_packet(h, packet, now_ms)
                }
                (LinkSide::Learner(sid), Role::Following(l) | Role::Observing(l))
                    if l.leader_sid() == sid =>
                {
                    // Java's `Learner.syncWithLeader` wording, which operators grep for.
                    let z = packet.zxid;
                    match PacketType::from_i32(packet.r#type) {
                        Some(PacketType::Diff) => {
                            tracing::info!("Getting a diff from the leader 0x{z:x}")
                        }
                        Some(PacketType::Snap) => {
                            tracing::info!("Getting a snapshot from leader 0x{z:x}")
                        }
                        Some(PacketType::Trunc) => {
                            tracing::warn!("Truncating log to get in sync with the leader 0x{z:x}")
                        }
                        Some(PacketType::NewLeader) => {
                            // `Learner.syncWithLeader`: the marker lets a restart after the
                            // NEWLEADER snapshot or txns and before currentEpoch set
                            // currentEpoch from the data (QuorumPeer.loadDataBase). Written
                            // before the engine persists anything of the new epoch.
                            let dir = self.config.snap_dir();
                            if let Err(e) =
                                zkrs_storage::mark_updating_epoch(&zkrs_storage::OsFs, &dir)
                            {
                                tracing::error!("creating updatingEpoch: {e}");
                                self.end_role(format!("storage failure: {e}"));
                                return;
                            }
                        }
                        _ => {}
                    }
                    l.handle_packet(packet, now_ms)
                }
                _ => {}
            },
            PeerEvent::LeaderSnapshot {
                sid,
                zxid,
                tree,
                sessions,
            } => {
                let ok = matches!(&q.role, Role::Following(l) | Role::Observing(l) if l.leader_sid() == sid);
                if ok {
                    let tree = *tree;
                    let now = self.clock.now();
                    self.core.replace_state(tree, sessions, now);
                    if let Some(q) = self.quorum.as_mut() {
                        if let Role::Following(l) | Role::Observing(l) = &mut q.role {
                            l.handle_snapshot_loaded(zxid, now_ms);
                        }
                    }
                }
            }
            PeerEvent::Closed { side, reason } => match (side, &mut q.role) {
                (LinkSide::Leader(h), Role::Leading(l)) => {
                    tracing::info!("learner connection {h} closed: {reason}");
                    q.learner_writers.remove(&h);
                    l.handle_learner_disconnected(h);
                }
                (LinkSide::Learner(sid), Role::Following(l) | Role::Observing(l))
                    if l.leader_sid() == sid =>
                {
                    tracing::warn!("connection to leader {sid} closed: {reason}");
                    q.leader_writer = None;
                    l.handle_disconnected(now_ms);
                }
                _ => {}
            },
            PeerEvent::LeaderConnected { sid, writer } => match &mut q.role {
                Role::Following(l) | Role::Observing(l) if l.leader_sid() == sid => {
                    q.leader_writer = Some(writer);
                    l.handle_connected(now_ms);
                }
                _ => drop(writer),
            },
        }
    }

    /// Steps every quorum engine's outputs until none is left. Returns whether anything ran.
    pub(super) fn pump_quorum(&mut self) -> bool {
        let mut any = false;
        loop {
            let mut progressed = false;
            // Election.
            while let Some(out) = self.quorum.as_mut().and_then(|q| q.fle.poll_output()) {
                progressed = true;
                match out {
                    ElectionOutput::Send { to, notification } => {
                        if let Some(q) = self.quorum.as_ref() {
                            q.qcm.send(to, Bytes::from(notification.encode()));
                        }
                    }
                    ElectionOutput::Decided { state, vote } => self.become_role(state, vote.leader),
                    ElectionOutput::LookingPeerReported { sid } => {
                        tracing::debug!("server {sid} is looking while we serve");
                    }
                    ElectionOutput::ConfigAdopted { verifier } => {
                        tracing::info!(
                            "an election peer has configuration 0x{:x}: adopting it",
                            verifier.version()
                        );
                        self.activate_config(verifier, None);
                    }
                }
            }
            // Role.
            loop {
                let out = match self.quorum.as_mut().map(|q| &mut q.role) {
                    Some(Role::Leading(l)) => l.poll_output(),
                    Some(Role::Following(l) | Role::Observing(l)) => l.poll_output(),
                    _ => None,
                };
                let Some(out) = out else { break };
                progressed = true;
                self.carry_out(out);
            }
            if !progressed {
                break;
            }
            any = true;
        }
        self.refresh_quorum_view();
        self.log_peer_state();
        if let Some(q) = self.quorum.as_ref() {
            let gate = match q.role {
                Role::Leading(_) => LearnerGate::Accept,
                Role::Looking => LearnerGate::Hold,
                Role::Following(_) | Role::Observing(_) => LearnerGate::Refuse,
            };
            q.learner_gate.send_if_modified(|g| {
                let changed = *g != gate;
                *g = gate;
                changed
            });
        }
        any
    }

    /// `Peer state changed: <state>[ - <zab phase>][ - <sync mode>]` whenever that text
    /// changes (`QuorumPeer.setPeerState`, `setZabState`, `setSyncMode`).
    fn log_peer_state(&mut self) {
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        let state = PeerState::of(&q.role);
        if q.logged_peer_state != Some(state) {
            tracing::info!("Peer state changed: {state}");
            q.logged_peer_state = Some(state);
        }
    }

    fn become_role(&mut self, state: ServerState, leader: i64) {
        let now_ms = self.clock.now().mono_ms;
        let last = Zxid(self.core.last_processed_zxid());
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        let leader_sid = u64::try_from(leader).unwrap_or_default();
        q.role_generation += 1;
        self.stats.quorum.decided(now_ms);
        tracing::debug!(
            "election decided: {state:?}, leader {leader_sid} (logical clock {})",
            q.fle.logical_clock()
        );
        // `QuorumPeer.run` names the role; Leader.lead and Follower.followLeader time the
        // election (an observer does not, in 3.8). After a reconfig there was none: 0.
        let took = q
            .election_started_ms
            .take()
            .map_or(0, |t| now_ms.saturating_sub(t));
        match state {
            ServerState::Leading => {
                tracing::info!("LEADING");
                tracing::info!("LEADING - LEADER ELECTION TOOK - {took} MS");
            }
            ServerState::Following => {
                tracing::info!("FOLLOWING");
                tracing::info!("FOLLOWING - LEADER ELECTION TOOK - {took} MS");
            }
            ServerState::Observing => tracing::info!("OBSERVING"),
            ServerState::Looking => {}
        }
        match state {
            ServerState::Leading => {
                self.core.set_role(CoreRole::Leader, self.clock.now());
                q.role = Role::Leading(Box::new(Leader::new(
                    q.zab.clone(),
                    LeaderStart {
                        accepted_epoch: q.accepted_epoch,
                        current_epoch: q.current_epoch,
                        last_zxid: last,
                        committed_log: q.committed_log.clone(),
                    },
                    now_ms,
                )));
            }
            ServerState::Following | ServerState::Observing => {
                let observer = state == ServerState::Observing;
                let now = self.clock.now();
                self.core.set_role(
                    if observer {
                        CoreRole::Observer
                    } else {
                        CoreRole::Follower
                    },
                    now,
                );
                let learner = Box::new(Learner::new(
                    q.zab.clone(),
                    LearnerStart {
                        leader_sid,
                        observer,
                        accepted_epoch: q.accepted_epoch,
                        current_epoch: q.current_epoch,
                        last_logged_zxid: last,
                    },
                    now_ms,
                ));
                q.role = if observer {
                    Role::Observing(learner)
                } else {
                    Role::Following(learner)
                };
            }
            ServerState::Looking => {}
        }
    }

    fn carry_out(&mut self, out: ZabOutput) {
        let now = self.clock.now();
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        match out {
            ZabOutput::SendToLearner { handler, packet } => {
                let ty = PacketType::from_i32(packet.r#type);
                if matches!(ty, Some(PacketType::Diff | PacketType::Trunc)) {
                    self.stats.quorum.diff_count += 1;
                    self.stats
                        .quorum
                        .inflight_diff_count
                        .add(syncs_in_progress(&q.role));
                    // LearnerHandler's wording, which operators (and the tests) grep for.
                    let sid = learner_sid(&q.role, handler);
                    let name = if ty == Some(PacketType::Diff) {
                        "DIFF"
                    } else {
                        "TRUNC"
                    };
                    tracing::info!(
                        "Sending {name} zxid=0x{:x} for peer sid: {sid}",
                        packet.zxid
                    );
                }
                if let Some(w) = q.learner_writers.get(&handler) {
                    // `learner_handler_qp_size`: the learner's queue as each packet joins it.
                    let queued = w.max_capacity() - w.capacity();
                    self.stats
                        .quorum
                        .learner_queued(learner_sid(&q.role, handler), queued);
                    if w.try_send(LinkWrite::Packet(packet)).is_err() {
                        tracing::warn!("learner {handler} does not keep up; dropping it");
                        q.learner_writers.remove(&handler);
                        if let Role::Leading(l) = &mut q.role {
                            l.handle_learner_disconnected(handler);
                        }
                    }
                }
            }
            ZabOutput::SendSnapshot { handler, zxid } => {
                self.stats.quorum.snap_count += 1;
                self.stats
                    .quorum
                    .inflight_snap_count
                    .add(syncs_in_progress(&q.role));
                let peer = match &q.role {
                    Role::Leading(l) => l
                        .handlers()
                        .find(|h| h.id == handler)
                        .map_or(Zxid(-1), |h| h.peer_last_zxid),
                    _ => Zxid(-1),
                };
                tracing::info!(
                    "Sending snapshot last zxid of peer is {peer}, send zxid of db as {zxid}, \
                     peer sid: {}",
                    learner_sid(&q.role, handler)
                );
                let view = self.core.tree().view();
                let sessions = self.core.committed_sessions();
                if let Some(w) = q.learner_writers.get(&handler) {
                    let _ = w.try_send(LinkWrite::Snapshot {
                        zxid,
                        view,
                        sessions,
                    });
                }
            }
            ZabOutput::ReadTxnLog {
                handler,
                from,
                up_to,
            } => {
                let sid = learner_sid(&q.role, handler);
                let snap_dir = self.snapshotter.dir();
                let log_dir = crate::database::data_log_dir(&self.config)
                    .join(zkrs_storage::names::VERSION_DIR);
                let factor = self
                    .config
                    .quorum
                    .as_ref()
                    .map_or(zkrs_storage::DEFAULT_SNAPSHOT_SIZE_FACTOR, |s| {
                        s.snapshot_size_factor
                    });
                let read_opts = self
                    .config
                    .storage
                    .storage_options(&self.config.core)
                    .log_read;
                q.storage_jobs.run_apart(
                    q.role_generation,
                    Box::new(move || {
                        let txns = match zkrs_storage::read_txns_for_diff(
                            &zkrs_storage::OsFs,
                            &snap_dir,
                            &log_dir,
                            from.raw(),
                            up_to.raw(),
                            factor,
                            read_opts,
                        ) {
                            Ok(zkrs_storage::DiffLog::Txns(txns)) => {
                                tracing::info!(
                                    "Using txnlog and committedLog for peer sid: {sid}: {} txns \
                                     from the txn log, 0x{:x}..0x{:x}",
                                    txns.len(),
                                    from.raw(),
                                    up_to.raw()
                                );
                                Some(
                                    txns.into_iter()
                                        .map(|t| zkrs_zab::CommittedProposal {
                                            zxid: Zxid(t.zxid()),
                                            txn: t.bytes,
                                        })
                                        .collect(),
                                )
                            }
                            Ok(zkrs_storage::DiffLog::Unavailable(reason)) => {
                                tracing::info!(
                                    "no DIFF from the txn log for peer sid: {sid}: {reason}"
                                );
                                None
                            }
                            Err(e) => {
                                tracing::warn!("reading the txn log for a DIFF to sid {sid}: {e}");
                                None
                            }
                        };
                        QuorumStorageEvent::TxnLogRead { handler, txns }
                    }),
                );
            }
            ZabOutput::CloseLearner { handler, reason } => {
                tracing::info!("closing learner connection {handler}: {reason}");
                // Dropping the writer ends the writer task, which shuts the socket down.
                q.learner_writers.remove(&handler);
            }
            ZabOutput::Commit { zxid } => {
                self.stats
                    .quorum
                    .committed(zxid.raw(), now.mono_ms, now.wall_ms);
                self.core.handle_committed(zxid.raw(), now)
            }
            ZabOutput::LearnerRequest {
                sid,
                session_id,
                cxid,
                op,
                request,
                authinfo,
            } => self
                .core
                .handle_learner_request(sid, session_id, cxid, op, request, authinfo, now),
            ZabOutput::TouchSessions { sessions } => {
                self.core.handle_session_touches(&sessions, now)
            }
            ZabOutput::Revalidate {
                handler,
                sid,
                session_id,
                timeout_ms,
            } => {
                let valid = self
                    .core
                    .revalidate_session(sid, session_id, timeout_ms, now);
                if let Some(Role::Leading(l)) = self.quorum.as_mut().map(|q| &mut q.role) {
                    l.revalidate_answer(handler, session_id, valid);
                }
            }
            ZabOutput::ConnectToLeader { sid } => {
                let addrs = q.quorum_addrs.get(&sid).cloned().unwrap_or_default();
                let events = q.peer_tx.clone();
                let shutdown = q.shutdown.clone();
                let timeout = Duration::from_millis(q.cnx_timeout_ms.max(1));
                let limit = q.zab.init_limit_ms().max(1);
                tokio::spawn(async move {
                    // Learner.connectToLeader: up to 5 tries within initLimit.
                    let deadline = tokio::time::Instant::now() + Duration::from_millis(limit);
                    let mut tries = 0;
                    loop {
                        tries += 1;
                        match connect_any(&addrs, timeout).await {
                            Ok(stream) => {
                                let writer = QuorumLink::start(
                                    stream,
                                    LinkSide::Learner(sid),
                                    MAX_QUORUM_PACKET_LEN,
                                    events.clone(),
                                    shutdown,
                                );
                                let _ = events
                                    .send(PeerEvent::LeaderConnected { sid, writer })
                                    .await;
                                return;
                            }
                            Err(e) => {
                                if tries >= 5 || tokio::time::Instant::now() >= deadline {
                                    let _ = events
                                        .send(PeerEvent::Closed {
                                            side: LinkSide::Learner(sid),
                                            reason: format!("connecting to the leader: {e}"),
                                        })
                                        .await;
                                    return;
                                }
                                // `leaderConnectDelayDuringRetryMs` (100).
                                tokio::time::sleep(Duration::from_millis(100)).await;
                            }
                        }
                    }
                });
            }
            ZabOutput::SendToLeader { packet } => {
                if let Some(w) = q.leader_writer.as_ref() {
                    let _ = w.try_send(LinkWrite::Packet(packet));
                }
            }
            ZabOutput::AnswerPing { zxid } => {
                let touches = self.core.take_session_touches();
                let p = zkrs_zab::packet::with_data(
                    PacketType::Ping,
                    zxid,
                    zkrs_zab::packet::session_touches(&touches),
                );
                if let Some(w) = self.quorum.as_ref().and_then(|q| q.leader_writer.as_ref()) {
                    let _ = w.try_send(LinkWrite::Packet(p));
                }
            }
            ZabOutput::Apply { zxid, txn } => match TxnEntry::decode(&txn) {
                Ok(entry) => {
                    if self.core.is_serving() {
                        self.stats.quorum.applied(
                            entry.header.zxid,
                            entry.header.time,
                            (now.mono_ms, now.wall_ms),
                        );
                    }
                    self.core.handle_committed_txn(entry, now)
                }
                Err(e) => {
                    tracing::error!("committed txn {zxid} does not decode: {e}");
                    self.end_role(format!("undecodable txn {zxid}"));
                }
            },
            ZabOutput::Truncate { zxid } => {
                q.pending_reload = Some(PendingReload::Truncate(zxid));
            }
            ZabOutput::TakeSnapshot { zxid } => {
                let after_snap = matches!(
                    &q.role,
                    Role::Following(l) | Role::Observing(l)
                        if l.sync_mode() == Some(zkrs_zab::learner::SyncMode::Snap)
                );
                if after_snap {
                    // The local log may hold txns past the leader's snapshot that the leader
                    // never committed; replayed after a restart they would come back. They go
                    // before the snapshot is written (the harness's TRUNC-by-SNAP test).
                    q.pending_reload = Some(PendingReload::SnapTruncate(zxid));
                    return;
                }
                self.spawn_learner_snapshot(zxid);
            }
            ZabOutput::RevalidateAnswer { session_id, valid } => {
                self.core.handle_revalidate_answer(session_id, valid, now)
            }
            ZabOutput::SyncAnswered => self.core.handle_sync_answered(now),
            ZabOutput::LogTxn { zxid, txn } => {
                let entry = match q.proposed.front() {
                    Some(e) if e.header.zxid == zxid.raw() => q.proposed.pop_front(),
                    _ => TxnEntry::decode(&txn).ok(),
                };
                match (&q.role, &entry) {
                    (Role::Leading(_), Some(e)) => {
                        self.stats
                            .quorum
                            .proposed(e.header.zxid, e.header.time, now.mono_ms)
                    }
                    (Role::Following(_), Some(e)) if self.core.is_serving() => {
                        self.stats.quorum.proposal_received(
                            e.header.zxid,
                            e.header.time,
                            (now.mono_ms, now.wall_ms),
                        )
                    }
                    _ => {}
                }
                match entry {
                    Some(e) => {
                        let queued = self.persister.queued();
                        self.stats.txn_queued(e.header.zxid, queued, now.mono_ms);
                        self.persister.append(e)
                    }
                    None => {
                        tracing::error!("txn {zxid} to log does not decode");
                        self.end_role(format!("undecodable txn {zxid}"));
                    }
                }
            }
            ZabOutput::PersistEpoch { kind, epoch } => {
                let dir = self.snapshotter.dir();
                let generation = q.role_generation;
                q.storage_jobs.run(
                    generation,
                    Box::new(move || {
                        let name = match kind {
                            EpochKind::Accepted => "acceptedEpoch",
                            EpochKind::Current => "currentEpoch",
                        };
                        let mut r = zkrs_storage::epoch_file::write_epoch(
                            &zkrs_storage::OsFs,
                            &dir.join(name),
                            epoch,
                        );
                        if r.is_ok() && kind == EpochKind::Current {
                            r = zkrs_storage::clear_updating_epoch(&zkrs_storage::OsFs, &dir);
                        }
                        match r {
                            Ok(()) => QuorumStorageEvent::EpochPersisted { kind, epoch },
                            Err(e) => QuorumStorageEvent::EpochFailed {
                                error: e.to_string(),
                            },
                        }
                    }),
                );
            }
            ZabOutput::StartServing => {
                let (mode, vote_state) = match &q.role {
                    Role::Leading(l) => {
                        // The epoch's txns are `epoch << 32 | n`.
                        self.core.set_zxid(Zxid::new(l.epoch(), 0).raw());
                        let sids: Vec<String> =
                            l.newleader_acks().iter().map(u64::to_string).collect();
                        tracing::info!(
                            "Have quorum of supporters, sids: [[{}]]; starting up and setting \
                             last processed zxid: 0x{:x}",
                            sids.join(", "),
                            Zxid::new(l.epoch(), 0).raw()
                        );
                        ("leader", ServerState::Leading)
                    }
                    Role::Observing(_) => ("observer", ServerState::Observing),
                    _ => ("follower", ServerState::Following),
                };
                tracing::info!("serving clients as {mode}");
                self.stats.quorum.serving(mode, now.mono_ms);
                // `updateElectionVote`: LOOKING peers are told the epoch now established
                // (ZOOKEEPER-1732), or a restarted peer with a newer currentEpoch cannot join.
                let epoch = match &q.role {
                    Role::Leading(l) => l.epoch(),
                    Role::Following(l) | Role::Observing(l) => {
                        l.new_epoch().unwrap_or(q.current_epoch)
                    }
                    Role::Looking => q.current_epoch,
                };
                let vote = q.fle.current_vote().with_peer_epoch(epoch);
                q.fle.set_serving(vote_state, vote);
                q.serving_since_ms = Some(now.mono_ms);
                self.core.set_serving(true);
            }
            ZabOutput::LastSeenConfig { verifier } => self.see_config(verifier),
            ZabOutput::ActivateConfig {
                verifier,
                designated_leader,
            } => {
                if let Some(d) = designated_leader.filter(|d| *d != q.zab.my_id) {
                    tracing::info!("reconfig designates leader {d}");
                }
                self.activate_config(verifier, designated_leader);
            }
            ZabOutput::Shutdown { reason } => self.end_role(reason),
        }
    }

    /// What the four-letter words print about this member's quorum role.
    pub(super) fn quorum_info(&self, now_ms: u64) -> Option<crate::four_letter::QuorumInfo> {
        let q = self.quorum.as_ref()?;
        let me = q.zab.verifier.servers().get(&q.zab.my_id);
        let first = me.and_then(|s| s.addresses.first());
        let (state, phase) = match &q.role {
            Role::Looking => ("looking", "election".to_string()),
            Role::Leading(l) => ("leading", format!("{:?}", l.phase()).to_lowercase()),
            Role::Following(l) => ("following", learner_phase_name(l.phase()).to_string()),
            Role::Observing(l) => ("observing", learner_phase_name(l.phase()).to_string()),
        };
        let leader = match &q.role {
            Role::Leading(l) => Some(crate::four_letter::LeaderInfo {
                learners: l.learners(),
                synced_followers: l.synced_followers(now_ms),
                synced_non_voting_followers: l.synced_non_voting_followers(now_ms),
                synced_observers: l.synced_observers(now_ms),
                pending_syncs: l.pending_syncs(),
                leader_uptime_ms: q.serving_since_ms.map_or(0, |t| now_ms.saturating_sub(t)),
                proposal_sizes: l.proposal_sizes(),
                established_zxid: l.is_serving().then(|| Zxid::new(l.epoch(), 0).raw()),
            }),
            _ => None,
        };
        Some(crate::four_letter::QuorumInfo {
            peer_state: format!("{state} - {phase}"),
            quorum_size: q.zab.verifier.voting_count(),
            server_id: q.zab.my_id,
            init_limit: q.zab.init_limit_ticks,
            sync_limit: q.zab.sync_limit_ticks,
            election_port: first.map_or(0, |a| a.election_port),
            quorum_port: first.map_or(0, |a| a.quorum_port),
            peer_type: u8::from(me.is_some_and(|s| !s.is_participant())),
            membership: q.zab.verifier.to_config_string(),
            leader,
            observer_master_id: match &q.role {
                Role::Observing(l) => Some(l.leader_sid()),
                _ => None,
            },
        })
    }

    /// Writes a snapshot of the applied tree (a learner at NEWLEADER after SNAP or TRUNC) on a
    /// blocking thread; `SnapshotTaken` reports it durable.
    pub(super) fn spawn_learner_snapshot(&mut self, zxid: Zxid) {
        let Some(q) = self.quorum.as_ref() else {
            return;
        };
        let view = self.core.tree().view();
        let sessions = self.core.committed_sessions();
        let dir = self.snapshotter.dir();
        let generation = q.role_generation;
        let compression = self
            .config
            .storage
            .storage_options(&self.config.core)
            .snapshot_compression;
        q.storage_jobs.run(
            generation,
            Box::new(move || {
                let snap = zkrs_storage::FileSnap::new(zkrs_storage::OsFs, dir);
                match snap.write(
                    &view,
                    sessions.iter().copied(),
                    compression,
                    &zkrs_storage::SnapshotWriteOptions::default(),
                ) {
                    Ok(_) => QuorumStorageEvent::SnapshotTaken { zxid },
                    Err(e) => QuorumStorageEvent::SnapshotFailed {
                        error: e.to_string(),
                    },
                }
            }),
        );
    }

    /// The role is over: stop serving now; the reload and the next election run from the
    /// serve loop.
    pub(super) fn end_role(&mut self, reason: String) {
        tracing::warn!("leaving the role: {reason}");
        self.core.set_serving(false);
        self.stats.quorum.looking(self.clock.now().mono_ms);
        self.core.close_all_connections();
        if let Some(q) = self.quorum.as_mut() {
            if let Role::Leading(l) = &mut q.role {
                l.shutdown(reason);
            }
            q.learner_writers.clear();
            q.learner_links.clear();
            q.leader_writer = None;
            q.proposed.clear();
            q.role = Role::Looking;
            q.role_generation += 1;
            q.serving_since_ms = None;
            q.pending_reload = Some(PendingReload::Election);
        }
    }
}

/// `QuorumPeer.getDetailedPeerState`'s parts: state, ZAB phase (`None`: election) and sync
/// mode, as the names it prints. Compared after every step, so it allocates nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerState {
    state: &'static str,
    phase: Option<&'static str>,
    sync: Option<&'static str>,
}

impl PeerState {
    /// The member's state in `role`. The sync mode shows while a learner synchronizes
    /// (ZooKeeper sets it back to none at NEWLEADER).
    fn of(role: &Role) -> PeerState {
        use zkrs_zab::leader::LeaderPhase;
        use zkrs_zab::learner::{LearnerPhase, SyncMode};
        const LOOKING: PeerState = PeerState {
            state: "looking",
            phase: None,
            sync: None,
        };
        match role {
            Role::Looking => LOOKING,
            Role::Leading(l) => {
                let phase = match l.phase() {
                    LeaderPhase::Discovery => "discovery",
                    LeaderPhase::Synchronization => "synchronization",
                    LeaderPhase::Broadcast => "broadcast",
                    // Stepping down: the role ends with this step.
                    LeaderPhase::Ended => return LOOKING,
                };
                PeerState {
                    state: "leading",
                    phase: Some(phase),
                    sync: None,
                }
            }
            Role::Following(l) | Role::Observing(l) => {
                if l.phase() == LearnerPhase::Ended {
                    return LOOKING;
                }
                let sync = if l.phase() == LearnerPhase::Synchronization {
                    l.sync_mode().map(|m| match m {
                        SyncMode::Diff => "diff",
                        SyncMode::Snap => "snap",
                        SyncMode::Trunc => "trunc",
                    })
                } else {
                    None
                };
                PeerState {
                    state: if matches!(role, Role::Observing(_)) {
                        "observing"
                    } else {
                        "following"
                    },
                    phase: Some(learner_phase_name(l.phase())),
                    sync,
                }
            }
        }
    }
}

impl std::fmt::Display for PeerState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.state)?;
        for part in [self.phase, self.sync].into_iter().flatten() {
            write!(f, " - {part}")?;
        }
        Ok(())
    }
}

/// The `version=` of a notification's configuration text (0 without one), as
/// `n.config version` shows it.
fn config_version(config: Option<&[u8]>) -> i64 {
    let Some(text) = config.and_then(|c| std::str::from_utf8(c).ok()) else {
        return 0;
    };
    text.lines()
        .find_map(|l| l.trim().strip_prefix("version="))
        .and_then(|v| i64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0)
}

/// The server id of the learner on connection `handler` (0 if unknown), for logs.
/// `LearnerSyncThrottler.getSyncInProgress`: learners between their DIFF/TRUNC/SNAP and
/// UPTODATE (at least the one starting now).
fn syncs_in_progress(role: &Role) -> u64 {
    let Role::Leading(l) = role else {
        return 0;
    };
    let n = l
        .handlers()
        .filter(|h| {
            matches!(
                h.state,
                HandlerState::AwaitingTxnLog
                    | HandlerState::AwaitingNewLeaderAck
                    | HandlerState::AwaitingStartup
            )
        })
        .count();
    n.max(1) as u64
}

fn learner_sid(role: &Role, handler: HandlerId) -> u64 {
    match role {
        Role::Leading(l) => l
            .handlers()
            .find(|h| h.id == handler)
            .and_then(|h| h.sid)
            .unwrap_or(0),
        _ => 0,
    }
}

/// `QuorumPeer.ZabState` names (a learner still connecting is in discovery).
fn learner_phase_name(p: zkrs_zab::learner::LearnerPhase) -> &'static str {
    use zkrs_zab::learner::LearnerPhase;
    match p {
        LearnerPhase::Connecting | LearnerPhase::Discovery => "discovery",
        LearnerPhase::Synchronization => "synchronization",
        LearnerPhase::Broadcast => "broadcast",
        LearnerPhase::Ended => "election",
    }
}
