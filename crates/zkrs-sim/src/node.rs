//! [`Node`]: one simulated ensemble member. It wires a [`FastLeaderElection`], a role engine
//! ([`Leader`] or [`Learner`]) and a [`ServerCore`] the way `zkrs-server`'s driver
//! (`driver.rs`, `driver/quorum.rs`) does, synchronously: every output is carried out at once,
//! and what a real member does on another thread or on the disk (fsync, epoch files,
//! snapshots, connections) becomes an [`Effect`] whose completion the simulation delivers
//! later as an input.
//!
//! Storage is the real [`FileTxnSnapLog`] over a [`MemFs`] per node: appends are buffered in
//! the log writer until an fsync completes, so a crash ([`Node::crash`]) loses them, and
//! [`MemFs::crash`] drops whatever was written but not synced. Reloads (role end, TRUNC,
//! restart) go through `FileTxnSnapLog::restore`, as `Database::load` does.

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::Path;

use bytes::Bytes;
use zkrs_config::QuorumVerifier;
use zkrs_datatree::DataTree;
use zkrs_jute::{ConnectRequest, PacketType, QuorumPacket, Request, RequestDecodeError};
use zkrs_jute::{RequestHeader, TxnEntry, Zxid};
use zkrs_session::{Clock, ConnId, CoreConfig, CoreRole, Output, QuorumView, ServerCore};
use zkrs_storage::{FileTxnSnapLog, MemFs, StorageOptions, TxnLogOptions};
use zkrs_zab::election::fast_leader_election::{
    ElectionConfig, ElectionOutput, FastLeaderElection,
};
use zkrs_zab::election::notification::Notification;
use zkrs_zab::election::vote::ServerState;
use zkrs_zab::learner::{Learner, LearnerStart, SyncMode};
use zkrs_zab::{CommittedLog, EpochKind, Leader, LeaderStart, ZabConfig, ZabOutput};

use crate::effect::{Effect, LinkId};
use crate::observation::Observation;

/// The wall clock of logical time 0 (ms since the Unix epoch): txn times are this + now.
pub const WALL_BASE_MS: i64 = 1_800_000_000_000;

/// Where a node's data directory lives inside its [`MemFs`].
const DATA_DIR: &str = "/data";

/// What a node is doing in the quorum.
#[derive(Debug)]
pub enum Role {
    Looking,
    Leading(Box<Leader>),
    Following(Box<Learner>),
    Observing(Box<Learner>),
}

/// Reload work a node does between events (the driver's `PendingReload`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingReload {
    Election,
    Truncate(Zxid),
    SnapTruncate(Zxid),
}

/// The world a node acts on during one input.
pub struct NodeCtx<'a> {
    pub now_ms: u64,
    pub effects: &'a mut Vec<Effect>,
    pub observations: &'a mut Vec<Observation>,
}

impl NodeCtx<'_> {
    fn clock(&self) -> Clock {
        Clock {
            mono_ms: self.now_ms,
            wall_ms: WALL_BASE_MS + self.now_ms as i64,
        }
    }
}

/// One ensemble member.
#[derive(Debug)]
pub struct Node {
    pub sid: u64,
    /// Whether the process runs.
    pub up: bool,
    /// Bumped by every crash and restart: completions of an earlier life are ignored.
    pub incarnation: u64,
    fs: MemFs,
    storage: Option<FileTxnSnapLog<MemFs>>,
    core: ServerCore,
    fle: FastLeaderElection,
    role: Role,
    zab: ZabConfig,
    core_config: CoreConfig,
    verifier: QuorumVerifier,
    /// The epochs as durable (updated when a write completes, as the driver does).
    accepted_epoch: i64,
    current_epoch: i64,
    committed_log: CommittedLog,
    /// Leader: proposals not committed yet, by zxid (their txn bytes, for the checker).
    proposals: BTreeMap<i64, Bytes>,
    /// Learner: the connection to the leader, once asked for.
    leader_link: Option<LinkId>,
    /// Leader: its learner connections.
    learner_links: BTreeSet<LinkId>,
    /// Bumped when the txn log writer is replaced (reload): older fsyncs report nothing.
    log_generation: u64,
    fsync_pending: bool,
    pending_reload: Option<PendingReload>,
    /// Client connections open on this node.
    conns: BTreeSet<ConnId>,
    /// Scenario hook (catalogue 31): the counter the next established leader starts its
    /// zxids at (`setZxid(epoch << 32 | counter)`), as `zookeeper.testingonly.initialZxid`.
    pub initial_counter: Option<u32>,
    /// Tolerate the known bugs of the wiring instead of stopping (see `SimConfig`).
    pub tolerate_known_bugs: bool,
    /// Bumped at every role change: names the role an epoch or snapshot write belongs to.
    role_generation: u64,
    /// `snapshotSizeFactor` for DIFFs from the on-disk log (negative: disabled).
    pub snapshot_size_factor: f64,
    /// `QuorumPeer.reconfigFlag`: an activated configuration changed this member's learner
    /// type or designated another leader; the next `quorum_start` takes the new role without
    /// an election (`updateServerState`).
    reconfig_flag: bool,
    /// The leader a reconfig designated, for that role change.
    designated_leader: Option<u64>,
    /// The configuration files as durable (`zoo.cfg.dynamic.<version>` and `.next`): a
    /// restart starts from them. Written at once (the driver writes them on its quorum
    /// storage thread, through a synced temporary file and a rename).
    durable_verifier: QuorumVerifier,
    durable_next: Option<QuorumVerifier>,
}

fn storage_options(core: &CoreConfig) -> StorageOptions {
    StorageOptions {
        txn_log: TxnLogOptions {
            pre_alloc_size: 0,
            ..TxnLogOptions::default()
        },
        tree_config: zkrs_datatree::TreeConfig {
            extended_types_enabled: core.extended_types_enabled,
            digest_enabled: core.digest_enabled,
            ..zkrs_datatree::TreeConfig::default()
        },
        ..StorageOptions::default()
    }
}

impl Node {
    /// A member with an empty data directory, not started yet (call [`Node::restart`]).
    pub fn new(sid: u64, zab: ZabConfig, core_config: CoreConfig) -> Node {
        let verifier = zab.verifier.clone();
        let durable_next = zab.last_seen_verifier.clone();
        let now = Clock {
            mono_ms: 0,
            wall_ms: WALL_BASE_MS,
        };
        Node {
            sid,
            up: false,
            incarnation: 0,
            fs: MemFs::new(),
            storage: None,
            core: ServerCore::new(core_config.clone(), now),
            fle: FastLeaderElection::new(ElectionConfig::new(sid, verifier.clone())),
            role: Role::Looking,
            durable_verifier: verifier.clone(),
            durable_next,
            reconfig_flag: false,
            designated_leader: None,
            committed_log: CommittedLog::new(zab.commit_log_count),
            zab,
            core_config,
            verifier,
            accepted_epoch: 0,
            current_epoch: 0,
            proposals: BTreeMap::new(),
            leader_link: None,
            learner_links: BTreeSet::new(),
            log_generation: 0,
            fsync_pending: false,
            pending_reload: None,
            conns: BTreeSet::new(),
            initial_counter: None,
            tolerate_known_bugs: false,
            role_generation: 0,
            snapshot_size_factor: zkrs_storage::DEFAULT_SNAPSHOT_SIZE_FACTOR,
        }
    }

    // ------------------------------------------------------------------------------------------
    // Accessors for the simulation, the checker and tests.

    pub fn core(&self) -> &ServerCore {
        &self.core
    }

    /// The node's filesystem (a handle on the same `MemFs`): scenario tests inject disk
    /// faults into it and read what is durable.
    pub fn fs(&self) -> &MemFs {
        &self.fs
    }

    /// The ZAB settings the node's next role engine starts with (scenario tests: one
    /// member's syncLimit).
    pub fn zab_config_mut(&mut self) -> &mut ZabConfig {
        &mut self.zab
    }

    pub fn role(&self) -> &Role {
        &self.role
    }

    pub fn fle(&self) -> &FastLeaderElection {
        &self.fle
    }

    /// The durable epochs as the node knows them.
    pub fn epochs(&self) -> (i64, i64) {
        (self.accepted_epoch, self.current_epoch)
    }

    /// The tree's last applied zxid.
    pub fn last_zxid(&self) -> i64 {
        self.core.last_processed_zxid()
    }

    /// The tree digest.
    pub fn digest(&self) -> i64 {
        self.core.tree().digest()
    }

    /// Whether the node leads an established epoch.
    pub fn is_serving_leader(&self) -> bool {
        matches!(&self.role, Role::Leading(l) if l.is_serving())
    }

    /// Whether the role engine serves clients (leader established, learner after UPTODATE).
    pub fn role_serving(&self) -> bool {
        match &self.role {
            Role::Looking => false,
            Role::Leading(l) => l.is_serving(),
            Role::Following(l) | Role::Observing(l) => l.is_serving(),
        }
    }

    /// A short description of the role for traces.
    pub fn role_name(&self) -> String {
        match &self.role {
            Role::Looking => "looking".into(),
            Role::Leading(l) => format!("leading(e{} {:?})", l.epoch(), l.phase()),
            Role::Following(l) => format!("following({} {:?})", l.leader_sid(), l.phase()),
            Role::Observing(l) => format!("observing({} {:?})", l.leader_sid(), l.phase()),
        }
    }

    /// The learner connection this node uses, if any.
    pub fn leader_link(&self) -> Option<LinkId> {
        self.leader_link
    }

    /// Client connections open here.
    pub fn client_conns(&self) -> &BTreeSet<ConnId> {
        &self.conns
    }

    /// The next time an engine or the core has timed work.
    pub fn next_deadline_ms(&self) -> Option<u64> {
        if !self.up {
            return None;
        }
        let role = match &self.role {
            Role::Looking => None,
            Role::Leading(l) => l.poll_timeout(),
            Role::Following(l) | Role::Observing(l) => l.poll_timeout(),
        };
        [self.fle.poll_timeout(), role, self.core.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    // ------------------------------------------------------------------------------------------
    // Life cycle.

    /// Power loss: the process stops; data not fsynced is lost.
    pub fn crash(&mut self, ctx: &mut NodeCtx<'_>) {
        if !self.up {
            return;
        }
        self.up = false;
        self.incarnation += 1;
        self.storage = None;
        self.fs.crash();
        for conn in std::mem::take(&mut self.conns) {
            ctx.effects.push(Effect::ClientClose { conn });
        }
        if let Some(link) = self.leader_link.take() {
            ctx.effects.push(Effect::LinkClose { link });
        }
        for link in std::mem::take(&mut self.learner_links) {
            ctx.effects.push(Effect::LinkClose { link });
        }
        self.role = Role::Looking;
        self.proposals.clear();
        self.pending_reload = None;
        self.fsync_pending = false;
        self.reconfig_flag = false;
        self.designated_leader = None;
    }

    /// Starts the process from its durable state (`Database::load`, `QuorumPeer.start`).
    pub fn restart(&mut self, ctx: &mut NodeCtx<'_>) {
        if self.up {
            return;
        }
        self.up = true;
        self.incarnation += 1;
        self.log_generation += 1;
        self.role_generation += 1;
        self.reconfig_flag = false;
        self.designated_leader = None;
        if self.zab.reconfig_enabled {
            // The configuration files (`zoo.cfg.dynamic.<version>`, `.next`).
            self.verifier = self.durable_verifier.clone();
            self.zab.verifier = self.durable_verifier.clone();
            self.zab.last_seen_verifier = self
                .durable_next
                .clone()
                .filter(|n| n.version() > self.durable_verifier.version());
            self.zab.observer = self
                .verifier
                .servers()
                .get(&self.sid)
                .is_some_and(|s| !s.is_participant());
            self.core_config.quorum_config = self.verifier.to_config_string();
        }
        let mut election = ElectionConfig::new(self.sid, self.verifier.clone());
        election.observer = self.zab.observer;
        election.reconfig_enabled = self.zab.reconfig_enabled;
        self.fle = FastLeaderElection::new(election);
        self.fle
            .set_last_seen_verifier(self.zab.last_seen_verifier.clone());
        self.role = Role::Looking;
        if !self.load(ctx, None, true) {
            self.up = false;
            return;
        }
        self.quorum_start(ctx);
        self.pump(ctx);
    }

    /// Opens the storage, optionally truncates, restores the tree and builds a new core.
    /// Returns false (after reporting) if the data directory cannot be used.
    fn load(&mut self, ctx: &mut NodeCtx<'_>, truncate: Option<Zxid>, restart: bool) -> bool {
        let now = ctx.clock();
        if let Some(mut old) = self.storage.take() {
            // The driver waits for the txn log thread before reloading: what was appended is
            // made durable.
            if let Err(e) = old.commit(true) {
                self.storage_failed(ctx, format!("commit before reload: {e}"));
                return false;
            }
            let _ = old.close();
        }
        self.log_generation += 1;
        self.fsync_pending = false;
        let opts = storage_options(&self.core_config);
        let dir = Path::new(DATA_DIR);
        let mut storage = match FileTxnSnapLog::open(self.fs.clone(), dir, dir, opts) {
            Ok(s) => s,
            Err(e) => {
                self.storage_failed(ctx, format!("open: {e}"));
                return false;
            }
        };
        if let Some(z) = truncate {
            let cut = self.durable_txns_after(&storage, z.raw());
            ctx.observations.push(Observation::Truncating {
                sid: self.sid,
                leader_epoch: self.leader_epoch(),
                zxid: z.raw(),
                cut,
            });
            if let Err(e) = self.truncate_storage(&mut storage, z.raw()) {
                self.storage_failed(ctx, format!("truncate to {z}: {e}"));
                return false;
            }
        }
        storage.set_keep_recent_txns(usize::MAX);
        let restored = match storage.restore() {
            Ok(r) => r,
            Err(e) => {
                let what = format!("restore: {e}");
                if restart {
                    ctx.observations.push(Observation::RestartFailed {
                        sid: self.sid,
                        what,
                    });
                } else {
                    self.storage_failed(ctx, what);
                }
                return false;
            }
        };
        if restart {
            let last = restored.tree.last_processed_zxid();
            let epochs = storage.load_epochs(last);
            match epochs {
                Ok(epochs) => {
                    self.accepted_epoch = epochs.accepted;
                    self.current_epoch = epochs.current;
                }
                Err(e) => {
                    ctx.observations.push(Observation::RestartFailed {
                        sid: self.sid,
                        what: format!("epochs: {e}"),
                    });
                    return false;
                }
            }
        }
        let snap_zxid = restored
            .report
            .snapshot
            .as_ref()
            .map_or(0, |(_, zxid)| *zxid);
        let replayed: Vec<(i64, Bytes)> = restored
            .recent_txns
            .iter()
            .map(|e| (e.header.zxid, Bytes::from(e.encode())))
            .collect();
        let mut log = CommittedLog::new(self.zab.commit_log_count);
        for (z, b) in replayed
            .iter()
            .skip(replayed.len().saturating_sub(self.zab.commit_log_count))
        {
            log.add(Zxid(*z), b.clone());
        }
        self.committed_log = log;
        let tree = restored.tree;
        ctx.observations.push(Observation::Loaded {
            sid: self.sid,
            snap_zxid,
            replayed,
            zxid: tree.last_processed_zxid(),
            digest: tree.digest(),
        });
        let sessions: Vec<(i64, i32)> = restored.sessions.into_iter().collect();
        let role = self.core.role();
        for conn in std::mem::take(&mut self.conns) {
            ctx.effects.push(Effect::ClientClose { conn });
        }
        let mut core = ServerCore::from_state(self.core_config.clone(), tree, sessions, now);
        core.set_role(if restart { CoreRole::Standalone } else { role }, now);
        core.set_serving(false);
        self.core = core;
        self.storage = Some(storage);
        true
    }

    /// The durable txns above `zxid` (what a TRUNC to `zxid` removes).
    fn durable_txns_after(&self, storage: &FileTxnSnapLog<MemFs>, zxid: i64) -> Vec<(i64, Bytes)> {
        let Ok(reader) = storage.read_txns(zxid.saturating_add(1)) else {
            return Vec::new();
        };
        reader
            .filter_map(Result::ok)
            .filter(|t| t.entry.header.zxid > zxid)
            .map(|t| (t.entry.header.zxid, t.bytes))
            .collect()
    }

    /// `database::truncate`: the log after `zxid`, and every snapshot newer than it. A member
    /// with no txn log file at all (one that never logged a txn) has nothing to cut.
    fn truncate_storage(
        &self,
        storage: &mut FileTxnSnapLog<MemFs>,
        zxid: i64,
    ) -> Result<(), String> {
        use zkrs_storage::Fs as _;
        match storage.truncate_log(zxid) {
            Ok(_) => {}
            Err(zkrs_storage::StorageError::NoLogFiles { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
        let fs = &self.fs;
        for snap in storage.snapshots().list().map_err(|e| e.to_string())? {
            if snap.zxid > zxid {
                fs.remove_file(&snap.path).map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    fn storage_failed(&mut self, ctx: &mut NodeCtx<'_>, what: String) {
        ctx.observations.push(Observation::StorageFailed {
            sid: self.sid,
            what,
        });
        // The driver stops the server on a txn log failure.
        self.crash(ctx);
    }

    /// An epoch-file, learner-snapshot or `updatingEpoch` write failed: the driver leaves the
    /// role (`QuorumStorageEvent::EpochFailed` / `SnapshotFailed`: `end_role`); it does not
    /// stop, and the in-memory epochs stay as they were.
    fn quorum_storage_failed(&mut self, ctx: &mut NodeCtx<'_>, what: String) {
        ctx.observations.push(Observation::StorageFailed {
            sid: self.sid,
            what: what.clone(),
        });
        self.end_role(format!("storage failure: {what}"), ctx);
    }

    /// The first election round after a (re)load (`quorum_start`).
    fn quorum_start(&mut self, ctx: &mut NodeCtx<'_>) {
        let last = Zxid(self.core.last_processed_zxid());
        self.core.set_serving(false);
        self.role = Role::Looking;
        if std::mem::take(&mut self.reconfig_flag) {
            // `updateServerState` after a reconfig: straight to the new role.
            let leader = self
                .designated_leader
                .take()
                .or_else(|| u64::try_from(self.fle.current_vote().leader).ok())
                .unwrap_or(self.sid);
            let state = if leader == self.sid {
                ServerState::Leading
            } else if self.zab.observer {
                ServerState::Observing
            } else {
                ServerState::Following
            };
            ctx.observations.push(Observation::ReconfigRole {
                sid: self.sid,
                leader,
            });
            let leader_id = i64::try_from(leader).unwrap_or(i64::MAX);
            self.fle.set_serving(
                state,
                zkrs_zab::election::vote::Vote::new(leader_id, last, -1, -1),
            );
            self.become_role(state, leader_id, ctx);
            return;
        }
        self.designated_leader = None;
        self.fle.start_round(last, self.current_epoch, ctx.now_ms);
    }

    // ------------------------------------------------------------------------------------------
    // Inputs.

    /// An election notification from `from`.
    pub fn on_election(&mut self, from: u64, bytes: &[u8], ctx: &mut NodeCtx<'_>) {
        if let Ok(n) = Notification::decode(bytes) {
            self.fle.handle_notification(from, n, ctx.now_ms);
        }
        self.pump(ctx);
    }

    /// A learner's connection arrived on the quorum port. Returns whether it is kept (only a
    /// leader keeps it).
    pub fn on_learner_accepted(&mut self, link: LinkId, ctx: &mut NodeCtx<'_>) -> bool {
        let kept = match &mut self.role {
            Role::Leading(l) => {
                self.learner_links.insert(link);
                l.handle_learner_connected(link, ctx.now_ms);
                true
            }
            _ => false,
        };
        self.pump(ctx);
        kept
    }

    /// Whether `link` is this member's current connection to its leader.
    pub fn wants_leader_link(&self, link: LinkId) -> bool {
        self.leader_link == Some(link)
    }

    /// The connection to the leader is open. Returns whether it is still wanted.
    pub fn on_leader_connected(&mut self, link: LinkId, ctx: &mut NodeCtx<'_>) -> bool {
        let wanted = self.leader_link == Some(link);
        if wanted {
            if let Role::Following(l) | Role::Observing(l) = &mut self.role {
                l.handle_connected(ctx.now_ms);
            }
        }
        self.pump(ctx);
        wanted
    }

    /// A decoded packet on a learner connection.
    pub fn on_packet(&mut self, link: LinkId, packet: QuorumPacket, ctx: &mut NodeCtx<'_>) {
        if self.learner_links.contains(&link) {
            if let Role::Leading(l) = &mut self.role {
                l.handle_learner_packet(link, packet, ctx.now_ms);
            }
        } else if self.leader_link == Some(link) {
            if let Role::Following(l) | Role::Observing(l) = &mut self.role {
                let mode = match PacketType::from_i32(packet.r#type) {
                    Some(PacketType::Diff) => Some(SyncMode::Diff),
                    Some(PacketType::Trunc) => Some(SyncMode::Trunc),
                    Some(PacketType::Snap) => Some(SyncMode::Snap),
                    _ => None,
                };
                if let Some(mode) = mode {
                    ctx.observations.push(Observation::SyncStarted {
                        sid: self.sid,
                        leader: l.leader_sid(),
                        mode,
                        zxid: packet.zxid,
                    });
                }
                if packet.r#type == PacketType::NewLeader as i32 {
                    // The driver's `updatingEpoch` marker, before anything of the new epoch is
                    // persisted (QuorumPeer.loadDataBase recovers with it).
                    if let Some(storage) = self.storage.as_ref() {
                        if let Err(e) = storage.mark_updating_epoch() {
                            self.quorum_storage_failed(ctx, format!("updatingEpoch: {e}"));
                            self.pump(ctx);
                            return;
                        }
                    }
                }
                l.handle_packet(packet, ctx.now_ms);
            }
        }
        self.pump(ctx);
    }

    /// The snapshot stream after a SNAP was read completely.
    pub fn on_snapshot(
        &mut self,
        link: LinkId,
        zxid: Zxid,
        tree: DataTree,
        sessions: Vec<(i64, i32)>,
        ctx: &mut NodeCtx<'_>,
    ) {
        if self.leader_link != Some(link) {
            return;
        }
        if matches!(self.role, Role::Following(_) | Role::Observing(_)) {
            self.core.replace_state(tree, sessions, ctx.clock());
            ctx.observations.push(Observation::SnapshotLoaded {
                sid: self.sid,
                zxid: zxid.raw(),
                digest: self.core.tree().digest(),
            });
            if let Role::Following(l) | Role::Observing(l) = &mut self.role {
                l.handle_snapshot_loaded(zxid, ctx.now_ms);
            }
        }
        self.pump(ctx);
    }

    /// A learner connection is gone (closed by the peer, reset, or could not be opened).
    pub fn on_link_closed(&mut self, link: LinkId, ctx: &mut NodeCtx<'_>) {
        if self.learner_links.remove(&link) {
            if let Role::Leading(l) = &mut self.role {
                l.handle_learner_disconnected(link);
            }
        } else if self.leader_link == Some(link) {
            self.leader_link = None;
            if let Role::Following(l) | Role::Observing(l) = &mut self.role {
                l.handle_disconnected(ctx.now_ms);
            }
        }
        self.pump(ctx);
    }

    /// An fsync of the txn log completed.
    pub fn on_fsync(&mut self, log_generation: u64, ctx: &mut NodeCtx<'_>) {
        if log_generation != self.log_generation || !self.fsync_pending {
            return;
        }
        self.fsync_pending = false;
        let Some(storage) = self.storage.as_mut() else {
            return;
        };
        let outcome = match storage.commit(true) {
            Ok(o) => o,
            Err(e) => {
                self.storage_failed(ctx, format!("fsync: {e}"));
                return;
            }
        };
        if let Some(z) = outcome.last_zxid {
            let z = Zxid(z);
            match &mut self.role {
                Role::Leading(l) => l.handle_logged(z),
                Role::Following(l) | Role::Observing(l) => l.handle_logged(z, ctx.now_ms),
                Role::Looking => {}
            }
        }
        self.pump(ctx);
    }

    /// An epoch file write completed (it is durable now).
    pub fn on_epoch_written(
        &mut self,
        kind: EpochKind,
        epoch: i64,
        role_generation: u64,
        ctx: &mut NodeCtx<'_>,
    ) {
        let Some(storage) = self.storage.as_ref() else {
            return;
        };
        let r = match kind {
            EpochKind::Accepted => storage.write_accepted_epoch(epoch),
            EpochKind::Current => storage
                .write_current_epoch(epoch)
                .and_then(|()| zkrs_storage::clear_updating_epoch(&self.fs, storage.snap_dir())),
        };
        if let Err(e) = r {
            self.quorum_storage_failed(ctx, format!("epoch file: {e}"));
            self.pump(ctx);
            return;
        }
        match kind {
            EpochKind::Accepted => self.accepted_epoch = epoch,
            EpochKind::Current => self.current_epoch = epoch,
        }
        ctx.observations.push(Observation::EpochsDurable {
            sid: self.sid,
            accepted_epoch: self.accepted_epoch,
            current_epoch: self.current_epoch,
        });
        // A completion asked for by an ended role is not handed to the next role's engine
        // (the driver tags its storage jobs with the role generation).
        if role_generation != self.role_generation {
            self.pump(ctx);
            return;
        }
        match &mut self.role {
            Role::Leading(l) => l.handle_epoch_persisted(kind, epoch, ctx.now_ms),
            Role::Following(l) | Role::Observing(l) => {
                l.handle_epoch_persisted(kind, epoch, ctx.now_ms)
            }
            Role::Looking => {}
        }
        self.pump(ctx);
    }

    /// A snapshot write completed: the file is written (and durable) now.
    pub fn on_snapshot_written(
        &mut self,
        role_generation: u64,
        zxid: i64,
        tree: &DataTree,
        sessions: Vec<(i64, i32)>,
        ctx: &mut NodeCtx<'_>,
    ) {
        let Some(storage) = self.storage.as_ref() else {
            return;
        };
        if let Err(e) = storage.save_snapshot(tree, sessions, None) {
            self.quorum_storage_failed(ctx, format!("snapshot: {e}"));
            self.pump(ctx);
            return;
        }
        // A completion asked for by an ended role is not handed to the next role's engine
        // (the driver tags its storage jobs with the role generation).
        if role_generation != self.role_generation {
            self.pump(ctx);
            return;
        }
        if let Role::Following(l) | Role::Observing(l) = &mut self.role {
            l.handle_snapshot_taken(Zxid(zxid), ctx.now_ms);
        }
        self.pump(ctx);
    }

    /// Timers: the election, the role engine and the core.
    pub fn on_timer(&mut self, ctx: &mut NodeCtx<'_>) {
        let now = ctx.clock();
        self.core.handle_tick(now);
        self.fle.handle_tick(ctx.now_ms);
        match &mut self.role {
            Role::Looking => {}
            Role::Leading(l) => l.handle_tick(ctx.now_ms),
            Role::Following(l) | Role::Observing(l) => l.handle_tick(ctx.now_ms),
        }
        self.pump(ctx);
    }

    // ---- Clients -----------------------------------------------------------------------------

    /// A client connection is accepted and its ConnectRequest read.
    pub fn client_connect(&mut self, conn: ConnId, req: ConnectRequest, ctx: &mut NodeCtx<'_>) {
        let remote: SocketAddr = SocketAddr::from(([10, 0, 0, self.sid as u8], 40_000));
        self.conns.insert(conn);
        self.core.handle_connection_opened(conn, remote);
        self.core.handle_connect(conn, req, ctx.clock());
        self.pump(ctx);
    }

    /// A request frame of a client, decoded as the frame decoder does.
    pub fn client_request(
        &mut self,
        conn: ConnId,
        header: RequestHeader,
        request: Result<Request, RequestDecodeError>,
        ctx: &mut NodeCtx<'_>,
    ) {
        self.core.handle_request(conn, header, request, ctx.clock());
        self.pump(ctx);
    }

    /// The client closed its connection.
    pub fn client_closed(&mut self, conn: ConnId, ctx: &mut NodeCtx<'_>) {
        if self.conns.remove(&conn) {
            self.core.handle_connection_closed(conn);
        }
        self.pump(ctx);
    }

    // ------------------------------------------------------------------------------------------
    // Carrying out outputs (`drain_outputs`, `pump_quorum`, `carry_out`).

    /// Carries out every output until none is left, reloads included.
    pub fn pump(&mut self, ctx: &mut NodeCtx<'_>) {
        if !self.up {
            return;
        }
        loop {
            let mut progressed = false;
            while let Some(out) = self.core.poll_output() {
                progressed = true;
                self.carry_out_core(out, ctx);
            }
            while let Some(out) = self.fle.poll_output() {
                progressed = true;
                match out {
                    ElectionOutput::Send { to, notification } => {
                        ctx.effects.push(Effect::SendElection {
                            to,
                            bytes: Bytes::from(notification.encode()),
                        });
                    }
                    ElectionOutput::Decided { state, vote } => {
                        self.become_role(state, vote.leader, ctx)
                    }
                    ElectionOutput::LookingPeerReported { .. } => {}
                    ElectionOutput::ConfigAdopted { verifier } => {
                        self.activate_config(verifier, None, ctx)
                    }
                }
            }
            loop {
                let out = match &mut self.role {
                    Role::Leading(l) => l.poll_output(),
                    Role::Following(l) | Role::Observing(l) => l.poll_output(),
                    Role::Looking => None,
                };
                let Some(out) = out else { break };
                progressed = true;
                self.carry_out(out, ctx);
                if !self.up {
                    return;
                }
            }
            if let Some(reload) = self.pending_reload.take() {
                progressed = true;
                self.reload(reload, ctx);
                if !self.up {
                    return;
                }
            }
            if !progressed {
                break;
            }
        }
        self.refresh_quorum_view(ctx.now_ms);
    }

    fn carry_out_core(&mut self, out: Output, ctx: &mut NodeCtx<'_>) {
        match out {
            Output::Send { conn, frame } => ctx.effects.push(Effect::ClientFrame { conn, frame }),
            Output::Close { conn } => {
                if self.conns.remove(&conn) {
                    self.core.handle_connection_closed(conn);
                    ctx.effects.push(Effect::ClientClose { conn });
                }
            }
            Output::Persist { entry } => self.route_persist(entry, ctx),
            Output::Forward {
                session_id,
                cxid,
                op,
                request,
                auth,
            } => {
                match &mut self.role {
                    Role::Following(l) | Role::Observing(l) => {
                        let _ = l.forward_request(session_id, cxid, op, request, auth);
                    }
                    // The leader's own client's sync (the driver's `sync_local`).
                    Role::Leading(l) if op == zkrs_jute::OpCode::Sync.code() => l.sync_local(),
                    _ => {}
                }
            }
            Output::Revalidate {
                session_id,
                timeout_ms,
            } => {
                if let Role::Following(l) | Role::Observing(l) = &mut self.role {
                    let _ = l.revalidate(session_id, timeout_ms);
                }
            }
            Output::LearnerSync { .. } => {}
        }
    }

    /// A txn the core prepared: proposed to the ensemble (`route_persist`).
    fn route_persist(&mut self, entry: TxnEntry, ctx: &mut NodeCtx<'_>) {
        let Role::Leading(l) = &mut self.role else {
            return;
        };
        let zxid = Zxid(entry.header.zxid);
        let bytes = Bytes::from(entry.encode());
        self.proposals.insert(zxid.raw(), bytes.clone());
        if let Err(e) = l.propose(zxid, bytes) {
            let reason = format!("cannot propose {zxid}: {e}");
            ctx.observations.push(Observation::ProposeRefused {
                sid: self.sid,
                reason: reason.clone(),
            });
            self.end_role(reason, ctx);
        }
    }

    fn become_role(&mut self, state: ServerState, leader: i64, ctx: &mut NodeCtx<'_>) {
        self.role_generation += 1;
        let now = ctx.clock();
        let last = Zxid(self.core.last_processed_zxid());
        let leader_sid = u64::try_from(leader).unwrap_or_default();
        match state {
            ServerState::Leading => {
                self.core.set_role(CoreRole::Leader, now);
                self.role = Role::Leading(Box::new(Leader::new(
                    self.zab.clone(),
                    LeaderStart {
                        accepted_epoch: self.accepted_epoch,
                        current_epoch: self.current_epoch,
                        last_zxid: last,
                        committed_log: self.committed_log.clone(),
                    },
                    ctx.now_ms,
                )));
            }
            ServerState::Following | ServerState::Observing => {
                let observer = state == ServerState::Observing;
                self.core.set_role(
                    if observer {
                        CoreRole::Observer
                    } else {
                        CoreRole::Follower
                    },
                    now,
                );
                let learner = Box::new(Learner::new(
                    self.zab.clone(),
                    LearnerStart {
                        leader_sid,
                        observer,
                        accepted_epoch: self.accepted_epoch,
                        current_epoch: self.current_epoch,
                        last_logged_zxid: last,
                    },
                    ctx.now_ms,
                ));
                self.role = if observer {
                    Role::Observing(learner)
                } else {
                    Role::Following(learner)
                };
            }
            ServerState::Looking => {}
        }
        // set_role closed every client connection.
        self.flush_closed_conns(ctx);
    }

    /// Client connections the core no longer has (closed by a role change) are reported.
    fn flush_closed_conns(&mut self, ctx: &mut NodeCtx<'_>) {
        while let Some(out) = self.core.poll_output() {
            self.carry_out_core(out, ctx);
        }
    }

    /// `ZabOutput::ReadTxnLog`, as the driver's `read_txn_log_for_diff` does it.
    fn read_txns_for_diff(
        &self,
        from: Zxid,
        up_to: Zxid,
    ) -> Option<Vec<zkrs_zab::CommittedProposal>> {
        let storage = self.storage.as_ref()?;
        match zkrs_storage::read_txns_for_diff(
            &self.fs,
            storage.snap_dir(),
            storage.log_dir(),
            from.raw(),
            up_to.raw(),
            self.snapshot_size_factor,
            storage.options().log_read,
        ) {
            Ok(zkrs_storage::DiffLog::Txns(txns)) => Some(
                txns.into_iter()
                    .map(|t| zkrs_zab::CommittedProposal {
                        zxid: Zxid(t.zxid()),
                        txn: t.bytes,
                    })
                    .collect(),
            ),
            Ok(zkrs_storage::DiffLog::Unavailable(_)) | Err(_) => None,
        }
    }

    /// `setLastSeenQuorumVerifier(qv, true)`: a proposed configuration (the driver's
    /// `see_config`; `.next` written).
    fn see_config(&mut self, qv: QuorumVerifier, ctx: &mut NodeCtx<'_>) {
        if !self.zab.reconfig_enabled || qv.version() <= self.zab.verifier.version() {
            return;
        }
        if self
            .zab
            .last_seen_verifier
            .as_ref()
            .is_some_and(|l| l.version() == qv.version())
        {
            return;
        }
        ctx.observations.push(Observation::ConfigSeen {
            sid: self.sid,
            activated: false,
            version: qv.version(),
            members: members_text(&qv),
        });
        self.zab.last_seen_verifier = Some(qv.clone());
        self.fle.set_last_seen_verifier(Some(qv.clone()));
        self.durable_next = Some(qv);
    }

    /// `processReconfig` (the driver's `activate_config`): switch to `qv` if it is newer than
    /// the configuration in use, and write the one in use into `/zookeeper/config`. A newer
    /// configuration with other members that changes this member's learner type, or whose
    /// `designated` leader is not the one it follows, sets the reconfig flag; without a
    /// designated leader the flag is cleared.
    fn activate_config(
        &mut self,
        qv: QuorumVerifier,
        designated: Option<u64>,
        ctx: &mut NodeCtx<'_>,
    ) {
        if !self.zab.reconfig_enabled {
            return;
        }
        let prev_observer = self.zab.observer;
        let changed_members = qv.servers() != self.zab.verifier.servers();
        if qv.version() > self.zab.verifier.version() {
            ctx.observations.push(Observation::ConfigSeen {
                sid: self.sid,
                activated: true,
                version: qv.version(),
                members: members_text(&qv),
            });
            self.zab.verifier = qv.clone();
            self.verifier = qv.clone();
            if self
                .zab
                .last_seen_verifier
                .as_ref()
                .is_some_and(|l| l.version() <= qv.version())
            {
                self.zab.last_seen_verifier = None;
            }
            self.fle.set_verifier(qv.clone());
            self.fle
                .set_last_seen_verifier(self.zab.last_seen_verifier.clone());
            let observer = qv
                .servers()
                .get(&self.sid)
                .is_some_and(|s| !s.is_participant());
            self.zab.observer = observer;
            self.fle.set_observer(observer);
            if changed_members {
                match designated {
                    Some(d) => {
                        let following = u64::try_from(self.fle.current_vote().leader).ok();
                        if following != Some(d) {
                            self.designated_leader = Some(d);
                            self.reconfig_flag = true;
                        }
                        if observer != prev_observer {
                            self.reconfig_flag = true;
                        }
                    }
                    None => self.reconfig_flag = false,
                }
            }
            // The config files: `.dynamic.<version>`, `.next` dropped when activated.
            self.durable_verifier = qv;
            if self.zab.last_seen_verifier.is_none() {
                self.durable_next = None;
            }
        }
        let text = self.zab.verifier.to_config_string();
        self.core_config.quorum_config.clone_from(&text);
        self.core.activate_quorum_config(text, ctx.clock());
    }

    /// `refresh_quorum_view`: the core's [`QuorumView`] (what `reconfig` is checked against)
    /// follows a serving leader; it is cleared otherwise.
    fn refresh_quorum_view(&mut self, now_ms: u64) {
        let leader = match &self.role {
            Role::Leading(l) if l.is_serving() && self.zab.reconfig_enabled => l,
            _ => {
                if self.core.quorum_view().is_some() {
                    self.core.set_quorum_view(None);
                }
                return;
            }
        };
        let synced = leader.synced_follower_sids(now_ms);
        let version = leader.verifier().version();
        let last_seen_version = leader.pending_verifier().map_or(version, |p| p.version());
        let unchanged = self.core.quorum_view().is_some_and(|v| {
            v.verifier.version() == version
                && v.last_seen_version == last_seen_version
                && v.synced == synced
        });
        if unchanged {
            return;
        }
        let view = QuorumView {
            verifier: leader.verifier().clone(),
            last_seen_version,
            synced,
            standalone_enabled: true,
            multi_address_enabled: false,
            oracle_path: None,
        };
        self.core.set_quorum_view(Some(view));
    }

    /// The configuration files as durable: the activated one (`zoo.cfg.dynamic.<version>`)
    /// and the proposed one (`.next`), if any.
    pub fn config_files(&self) -> (&QuorumVerifier, Option<&QuorumVerifier>) {
        (&self.durable_verifier, self.durable_next.as_ref())
    }

    /// The configuration in use and the last seen one, if newer.
    pub fn configs(&self) -> (&QuorumVerifier, Option<&QuorumVerifier>) {
        (&self.zab.verifier, self.zab.pending_verifier())
    }

    fn carry_out(&mut self, out: ZabOutput, ctx: &mut NodeCtx<'_>) {
        let now = ctx.clock();
        match out {
            ZabOutput::SendToLearner { handler, packet } => {
                if self.learner_links.contains(&handler) {
                    ctx.effects.push(Effect::LinkSend {
                        link: handler,
                        bytes: encode_packet(&packet),
                    });
                }
            }
            ZabOutput::SendSnapshot { handler, zxid } => {
                if self.learner_links.contains(&handler) {
                    let mut out = bytes::BytesMut::new();
                    zkrs_jute::encode_quorum_packet(
                        &zkrs_zab::packet::bare(PacketType::Snap, zxid),
                        &mut out,
                    );
                    let view = self.core.tree().view();
                    let sessions = self.core.committed_sessions();
                    let mut stream = Vec::new();
                    zkrs_storage::write_snap_stream(
                        &view,
                        sessions.iter().copied(),
                        &zkrs_storage::SnapshotOrder::default(),
                        &mut stream,
                    );
                    out.extend_from_slice(&stream);
                    ctx.effects.push(Effect::LinkSend {
                        link: handler,
                        bytes: out.freeze(),
                    });
                }
            }
            ZabOutput::ReadTxnLog {
                handler,
                from,
                up_to,
            } => {
                // The driver reads off the core task; here the read is immediate (the engine
                // tests cover a committed log that moves on meanwhile).
                let txns = self.read_txns_for_diff(from, up_to);
                if let Role::Leading(l) = &mut self.role {
                    l.handle_txn_log_read(handler, txns, now.mono_ms);
                }
            }
            ZabOutput::CloseLearner { handler, reason } => {
                if self.learner_links.remove(&handler) {
                    ctx.effects.push(Effect::LinkClose { link: handler });
                }
                ctx.observations.push(Observation::LearnerClosed {
                    sid: self.sid,
                    link: handler,
                    reason,
                });
            }
            ZabOutput::Commit { zxid } => {
                let prev = self.core.last_processed_zxid();
                self.core.handle_committed(zxid.raw(), now);
                let txn = self.proposals.remove(&zxid.raw()).unwrap_or_default();
                // Older entries cannot be outstanding any more.
                self.proposals = self.proposals.split_off(&zxid.raw());
                ctx.observations.push(Observation::Applied {
                    sid: self.sid,
                    in_broadcast: true,
                    zxid: zxid.raw(),
                    prev_zxid: prev,
                    txn,
                    digest: self.core.tree().digest(),
                });
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
                if let Role::Leading(l) = &mut self.role {
                    l.revalidate_answer(handler, session_id, valid);
                }
            }
            ZabOutput::ConnectToLeader { sid } => {
                // The link id is assigned by the world; `on_connect_started` records it.
                ctx.effects.push(Effect::Connect { leader: sid });
            }
            ZabOutput::SendToLeader { packet } => {
                if let Some(link) = self.leader_link {
                    ctx.effects.push(Effect::LinkSend {
                        link,
                        bytes: encode_packet(&packet),
                    });
                }
            }
            ZabOutput::AnswerPing { zxid } => {
                let touches = self.core.take_session_touches();
                let p = zkrs_zab::packet::with_data(
                    PacketType::Ping,
                    zxid,
                    zkrs_zab::packet::session_touches(&touches),
                );
                if let Some(link) = self.leader_link {
                    ctx.effects.push(Effect::LinkSend {
                        link,
                        bytes: encode_packet(&p),
                    });
                }
            }
            ZabOutput::Apply { zxid, txn } => match TxnEntry::decode(&txn) {
                Ok(entry) => {
                    let prev = self.core.last_processed_zxid();
                    self.core.handle_committed_txn(entry, now);
                    ctx.observations.push(Observation::Applied {
                        sid: self.sid,
                        in_broadcast: self.role_serving(),
                        zxid: zxid.raw(),
                        prev_zxid: prev,
                        txn,
                        digest: self.core.tree().digest(),
                    });
                }
                Err(e) => self.end_role(format!("undecodable txn {zxid}: {e}"), ctx),
            },
            ZabOutput::Truncate { zxid } => {
                self.pending_reload = Some(PendingReload::Truncate(zxid));
            }
            ZabOutput::TakeSnapshot { zxid } => {
                let after_snap = matches!(
                    &self.role,
                    Role::Following(l) | Role::Observing(l)
                        if l.sync_mode() == Some(SyncMode::Snap)
                );
                if after_snap {
                    self.pending_reload = Some(PendingReload::SnapTruncate(zxid));
                } else {
                    self.take_snapshot(zxid, ctx);
                }
            }
            ZabOutput::RevalidateAnswer { session_id, valid } => {
                self.core.handle_revalidate_answer(session_id, valid, now)
            }
            ZabOutput::SyncAnswered => self.core.handle_sync_answered(now),
            ZabOutput::LogTxn { zxid, txn } => {
                if TxnEntry::decode(&txn).is_err() {
                    self.end_role(format!("undecodable txn {zxid}"), ctx);
                    return;
                }
                let Some(storage) = self.storage.as_mut() else {
                    return;
                };
                if let Err(e) = storage.append_raw(&txn) {
                    self.storage_failed(ctx, format!("append {zxid}: {e}"));
                    return;
                }
                if !self.fsync_pending {
                    self.fsync_pending = true;
                    ctx.effects.push(Effect::Fsync {
                        log_generation: self.log_generation,
                    });
                }
            }
            ZabOutput::PersistEpoch { kind, epoch } => {
                ctx.effects.push(Effect::WriteEpoch {
                    kind,
                    epoch,
                    role_generation: self.role_generation,
                });
            }
            ZabOutput::StartServing => {
                let (vote_state, epoch) = match &self.role {
                    Role::Leading(l) => {
                        let counter = self.initial_counter.take().unwrap_or(0);
                        self.core.set_zxid(Zxid::new(l.epoch(), counter).raw());
                        ctx.observations.push(Observation::LeaderEstablished {
                            sid: self.sid,
                            epoch: l.epoch(),
                            last_zxid: self.core.last_processed_zxid(),
                            digest: self.core.tree().digest(),
                        });
                        (ServerState::Leading, l.epoch())
                    }
                    Role::Observing(l) | Role::Following(l) => {
                        let epoch = l.new_epoch().unwrap_or(self.current_epoch);
                        ctx.observations.push(Observation::LearnerServing {
                            sid: self.sid,
                            leader: l.leader_sid(),
                            epoch,
                            sync_mode: l.sync_mode(),
                        });
                        let state = if l.is_observer() {
                            ServerState::Observing
                        } else {
                            ServerState::Following
                        };
                        (state, epoch)
                    }
                    Role::Looking => (ServerState::Looking, self.current_epoch),
                };
                let vote = self.fle.current_vote().with_peer_epoch(epoch);
                self.fle.set_serving(vote_state, vote);
                self.core.set_serving(true);
            }
            ZabOutput::LastSeenConfig { verifier } => self.see_config(verifier, ctx),
            ZabOutput::ActivateConfig {
                verifier,
                designated_leader,
            } => self.activate_config(verifier, designated_leader, ctx),
            ZabOutput::Shutdown { reason } => self.end_role(reason, ctx),
        }
    }

    /// A learner's snapshot at NEWLEADER (`spawn_learner_snapshot`): the tree now, written
    /// when the effect completes.
    fn take_snapshot(&mut self, zxid: Zxid, ctx: &mut NodeCtx<'_>) {
        let tree = self.core.tree().clone();
        let sessions = self.core.committed_sessions();
        ctx.effects.push(Effect::WriteSnapshot {
            role_generation: self.role_generation,
            zxid: zxid.raw(),
            tree: Box::new(tree),
            sessions,
        });
    }

    /// The role is over (`end_role`).
    fn end_role(&mut self, reason: String, ctx: &mut NodeCtx<'_>) {
        self.role_generation += 1;
        ctx.observations.push(Observation::RoleEnded {
            sid: self.sid,
            reason: reason.clone(),
        });
        self.core.set_serving(false);
        self.core.close_all_connections();
        self.flush_closed_conns(ctx);
        if let Role::Leading(l) = &mut self.role {
            l.shutdown(reason);
        }
        for link in std::mem::take(&mut self.learner_links) {
            ctx.effects.push(Effect::LinkClose { link });
        }
        if let Some(link) = self.leader_link.take() {
            ctx.effects.push(Effect::LinkClose { link });
        }
        self.proposals.clear();
        self.role = Role::Looking;
        self.pending_reload = Some(PendingReload::Election);
    }

    /// `quorum_reload`.
    fn reload(&mut self, reload: PendingReload, ctx: &mut NodeCtx<'_>) {
        match reload {
            PendingReload::SnapTruncate(z) => {
                // The tree is the leader's snapshot: only the log is cut, then the snapshot is
                // written and the learner told.
                if let Some(mut old) = self.storage.take() {
                    if let Err(e) = old.commit(true) {
                        self.storage_failed(ctx, format!("commit before truncate: {e}"));
                        return;
                    }
                    let _ = old.close();
                }
                self.log_generation += 1;
                self.fsync_pending = false;
                let opts = storage_options(&self.core_config);
                let dir = Path::new(DATA_DIR);
                let mut storage = match FileTxnSnapLog::open(self.fs.clone(), dir, dir, opts) {
                    Ok(s) => s,
                    Err(e) => {
                        self.storage_failed(ctx, format!("open: {e}"));
                        return;
                    }
                };
                let cut = self.durable_txns_after(&storage, z.raw());
                ctx.observations.push(Observation::Truncating {
                    sid: self.sid,
                    leader_epoch: self.leader_epoch(),
                    zxid: z.raw(),
                    cut,
                });
                if let Err(e) = self.truncate_storage(&mut storage, z.raw()) {
                    self.storage_failed(ctx, format!("truncate to {z}: {e}"));
                    return;
                }
                self.storage = Some(storage);
                self.take_snapshot(z, ctx);
            }
            PendingReload::Election => {
                if self.load(ctx, None, false) {
                    self.quorum_start(ctx);
                }
            }
            PendingReload::Truncate(z) => {
                if self.load(ctx, Some(z), false) {
                    // The driver reports the zxid the reload reached (below `z` if the txns up
                    // to `z` were only in a snapshot the cut removed); the learner then refuses.
                    let reported = Zxid(self.core.last_processed_zxid());
                    if let Role::Following(l) | Role::Observing(l) = &mut self.role {
                        l.handle_truncated(reported, ctx.now_ms);
                    }
                }
            }
        }
    }

    /// The epoch of the leader a learner syncs with (LEADERINFO), or -1.
    fn leader_epoch(&self) -> i64 {
        match &self.role {
            Role::Following(l) | Role::Observing(l) => l.new_epoch().unwrap_or(-1),
            _ => -1,
        }
    }

    /// Records the link the world opened for a `Connect` effect.
    pub fn on_connect_started(&mut self, link: LinkId) {
        if matches!(self.role, Role::Following(_) | Role::Observing(_)) {
            self.leader_link = Some(link);
        }
    }

    /// The sessions of the last committed state (for final checks).
    pub fn tree(&self) -> &DataTree {
        self.core.tree()
    }

    /// A second handle on this node's data directory, opened as the node opens it (scenario
    /// tests: list snapshots, plant files, read the durable epochs).
    pub fn open_storage(&self) -> Result<FileTxnSnapLog<MemFs>, String> {
        let opts = storage_options(&self.core_config);
        let dir = Path::new(DATA_DIR);
        FileTxnSnapLog::open(self.fs.clone(), dir, dir, opts).map_err(|e| e.to_string())
    }
}

/// One quorum packet as it goes on the wire.
pub fn encode_packet(p: &QuorumPacket) -> Bytes {
    let mut out = bytes::BytesMut::new();
    zkrs_jute::encode_quorum_packet(p, &mut out);
    out.freeze()
}

/// The membership of `qv` as text, without its version line (the checker compares these).
pub fn members_text(qv: &QuorumVerifier) -> String {
    qv.to_config_string()
        .lines()
        .filter(|l| !l.starts_with("version="))
        .collect::<Vec<_>>()
        .join("\n")
}
