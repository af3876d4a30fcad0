//! [`Learner`]: the follower and observer side of the learner protocol as a sans-IO state
//! machine (`Learner.registerWithLeader`, `Learner.syncWithLeader`, `Follower.processPacket`,
//! `Observer.processPacket`).
//!
//! The shell opens the connection, decodes `QuorumPacket`s (and, after `SNAP`, the snapshot
//! stream), carries out the [`ZabOutput`]s in the order they are polled, and reports every
//! persistence step back (`handle_logged`, `handle_epoch_persisted`, ...). The learner sends
//! nothing that depends on durable state before that report arrives.
//!
//! # Phases
//!
//! 1. **Connecting**: [`ZabOutput::ConnectToLeader`], then `handle_connected`.
//! 2. **Discovery**: `FOLLOWERINFO`/`OBSERVERINFO(acceptedEpoch << 32, LearnerInfo)` →
//!    `LEADERINFO(newEpoch << 32)`. A higher epoch is made durable (`PersistEpoch{Accepted}`)
//!    before `ACKEPOCH(lastLoggedZxid, currentEpoch)`; an equal one is answered with `-1`; a lower
//!    one ends the learner.
//! 3. **Synchronization**: `DIFF`, `TRUNC` (→ `Truncate`) or `SNAP` (the shell loads the stream),
//!    then `PROPOSAL`/`COMMIT` pairs (committed txns are applied at once), then `NEWLEADER`. At
//!    `NEWLEADER`, in this order, each step waiting for the previous one's report
//!    (ZOOKEEPER-3911/4643/4646/4785, Java 3.9.4's order):
//!    `TakeSnapshot` (SNAP/TRUNC only) → `LogTxn` for every txn committed so far →
//!    `PersistEpoch{Current}` → `ACK(newEpoch << 32)`. Proposals still uncommitted stay pending:
//!    a `COMMIT` for them may arrive before `UPTODATE` (ZOOKEEPER-4394) and is applied; they are
//!    logged, and a follower ACKs them, only after `UPTODATE`, so no proposal ACK ever precedes
//!    the `NEWLEADER` ACK (ZOOKEEPER-4685). Unlike Java, the txns applied during a SNAP/TRUNC
//!    sync are logged too (Java leaves them to the snapshot), so the log stays contiguous.
//!    `PING`s are not answered before `UPTODATE` (Java's sync loop drops them).
//! 4. **Broadcast** (after `UPTODATE`: `StartServing`, then `ACK(newEpoch << 32)`, sent by
//!    followers and observers alike): a follower logs each `PROPOSAL`, ACKs it once the log
//!    reports it durable, and applies it on the matching `COMMIT`; an observer logs and applies
//!    each `INFORM` and ignores `PROPOSAL`/`COMMIT`.
//!
//! While a persistence report is awaited the learner holds the packets it is given and
//! processes them once the report arrives, and its read timeout is paused: a Java learner does
//! not read its socket while it writes to disk.
//!
//! # Safety rules beyond Java
//!
//! - Proposals (and INFORMs) must be contiguous: the next counter of the same epoch, or counter
//!   1 of a later epoch no later than the leader's (ZOOKEEPER-4925, rule 7). Java 3.9.4 rejects
//!   same-epoch gaps only inside the sync stream and only warns in broadcast; zkrs ends the
//!   learner and never applies across a gap, in every phase and for the first txn too. The only
//!   exception is the first proposal after a `SNAP`, which may repeat txns already in the fuzzy
//!   snapshot (zxid ≤ the SNAP zxid); those are replayed, as Java does.
//! - A `COMMIT` must name the oldest pending proposal; anything else ends the learner.
//! - [`Learner::last_logged_zxid`] (what a later vote or ACKEPOCH may advertise) moves only on
//!   persistence reports: `handle_logged`, `handle_truncated`, `handle_snapshot_taken`. Neither
//!   a `DIFF`/`TRUNC` header nor a loaded-but-unsaved `SNAP` moves it (ZOOKEEPER-2355/3642).
//!
//! # After `Shutdown`
//!
//! Committed txns are applied before they are durable (during synchronization, and on `COMMIT`
//! in broadcast), so after a [`ZabOutput::Shutdown`] the in-memory tree may be ahead of the disk,
//! or hold an unsaved `SNAP`. The shell must rebuild the tree from its snapshot and txn log
//! before it votes or syncs again (ZOOKEEPER-2845/3642/5094).
//!
//! # Reconfiguration (`reconfigEnabled`)
//!
//! A reconfig PROPOSAL (txn type 16), and NEWLEADER's configuration, become the last seen
//! configuration ([`ZabOutput::LastSeenConfig`]). `COMMITANDACTIVATE` (follower) and
//! `INFORMANDACTIVATE` (observer) commit the reconfig txn and activate its configuration
//! ([`ZabOutput::ActivateConfig`] before the `Apply`); `UPTODATE` activates NEWLEADER's. As
//! Java's `processReconfig`, a newer configuration that changes this member's learner type
//! (observer, or participant: voting or not) or its leader (the designated one, or the
//! leader's entry) ends the learner after the txn is applied ("changes proposed in
//! reconfig"), and the member elects again. Without `reconfigEnabled` the packets are plain
//! COMMIT/INFORM and nothing is activated.
//!
//! # Not supported
//!
//! Pre-Zab-1.0 leaders (`NEWLEADER` without `LEADERINFO`).

use std::collections::VecDeque;

use bytes::Bytes;
use zkrs_config::QuorumVerifier;
use zkrs_jute::{Id, Jute, JuteReader, LearnerInfo, PacketType, QuorumPacket, TxnHeader, Zxid};

use crate::packet;
use crate::zab_config::{ZabConfig, PROTOCOL_VERSION};
use crate::zab_output::{EpochKind, ZabOutput};

/// What the learner knows when it starts following (or observing) an elected leader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LearnerStart {
    /// The elected leader's server id.
    pub leader_sid: u64,
    /// Observe (`OBSERVERINFO`, `INFORM`, no proposal ACKs) instead of follow.
    pub observer: bool,
    /// The durable `acceptedEpoch`.
    pub accepted_epoch: i64,
    /// The durable `currentEpoch`.
    pub current_epoch: i64,
    /// The last zxid in the durable txn log or snapshot. The data tree must be exactly at this
    /// zxid when the learner starts.
    pub last_logged_zxid: Zxid,
}

/// Where the learner is in the protocol (`QuorumPeer.ZabState`, plus the two ends).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LearnerPhase {
    /// Waiting for the connection to the leader.
    Connecting,
    /// FOLLOWERINFO/OBSERVERINFO, LEADERINFO, ACKEPOCH.
    Discovery,
    /// DIFF/TRUNC/SNAP up to UPTODATE.
    Synchronization,
    /// Serving clients and following the leader's broadcast.
    Broadcast,
    /// Shut down; the shell goes back to leader election.
    Ended,
}

/// How the leader synchronizes this learner (`QuorumPeer.SyncMode`): the type the leader's
/// `LearnerHandler` uses too.
pub use crate::learner_handler::SyncMode;

/// The most packets kept while a persistence report is awaited. The leader sends without
/// bound while a learner's disk is slow; past this the learner gives up and resyncs rather
/// than buffer without limit (the link's own queue is bounded too).
pub const MAX_BUFFERED_PACKETS: usize = 100_000;

/// Where the learner is in its own sequence of steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Connecting,
    AwaitLeaderInfo,
    AwaitSyncMode,
    /// Between DIFF/TRUNC/SNAP and NEWLEADER.
    Syncing,
    /// NEWLEADER received (its ACK sent once the NEWLEADER steps are done), UPTODATE not yet.
    AwaitUpToDate,
    Broadcast,
    Ended,
}

/// The completion input the learner is waiting for before it reads more packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    AcceptedEpoch(i64),
    SnapshotLoaded(Zxid),
    Truncated(Zxid),
    SnapshotTaken(Zxid),
    Logged(Zxid),
    CurrentEpoch(i64),
}

/// A txn received from the leader: its zxid and txn-log entry bytes.
#[derive(Debug, Clone)]
struct Txn {
    zxid: Zxid,
    txn: Bytes,
    /// `last_queued` before this txn (to roll back when an observer drops it).
    prev: Option<Zxid>,
}

/// The follower or observer state machine; see the module documentation.
#[derive(Debug)]
pub struct Learner {
    config: ZabConfig,
    leader_sid: u64,
    observer: bool,
    stage: Stage,
    /// The persistence report the learner waits for; packets are buffered meanwhile, as a Java
    /// learner does not read its socket while it writes to disk.
    wait: Option<Wait>,
    buffered: VecDeque<QuorumPacket>,
    accepted_epoch: i64,
    current_epoch: i64,
    /// The epoch of LEADERINFO.
    new_epoch: Option<i64>,
    leader_protocol_version: Option<i32>,
    last_logged_zxid: Zxid,
    last_committed_zxid: Zxid,
    /// The highest zxid handed to `LogTxn` (or otherwise made durable); `handle_logged` never
    /// advances `last_logged_zxid` beyond it.
    log_requested_zxid: Zxid,
    sync_mode: Option<SyncMode>,
    /// The zxid of the SNAP, once the shell loaded it.
    snap_zxid: Option<Zxid>,
    /// The last proposal/INFORM received (`lastQueued`); `None` right after a SNAP.
    last_queued: Option<Zxid>,
    /// Txns received before UPTODATE and not yet logged, in order (`packetsNotLogged`); the
    /// first `sync_committed` of them are committed (and applied).
    sync_txns: VecDeque<Txn>,
    sync_committed: usize,
    /// Follower, after UPTODATE: proposals not yet committed (`pendingTxns`).
    uncommitted: VecDeque<Txn>,
    /// Follower, after UPTODATE: logged-but-not-durable proposals to ACK in order.
    unacked: VecDeque<Zxid>,
    /// NEWLEADER's data: the leader's `lastSeenQuorumVerifier` text.
    new_leader_config: Option<Bytes>,
    /// That configuration, parsed (with `reconfigEnabled`): activated at UPTODATE.
    new_leader_qv: Option<QuorumVerifier>,
    /// Whether the NEWLEADER ACK was sent (the read limit is syncLimit from then on).
    new_leader_acked: bool,
    /// When the connection attempt started (Connecting) or the last packet or completion
    /// arrived (afterwards).
    last_heard_ms: u64,
    outputs: VecDeque<ZabOutput>,
    shutdown_reason: Option<String>,
}

/// Why a learner ends after activating a configuration (Java's exception message).
const CHANGES_IN_RECONFIG: &str = "changes proposed in reconfig";

/// Whether `z` may follow `last` in a primary-order stream: the next counter of the same
/// epoch, or the first txn (counter 1) of a later epoch.
fn follows(last: Zxid, z: Zxid) -> bool {
    let same_epoch_next = z.epoch() == last.epoch() && last.raw().checked_add(1) == Some(z.raw());
    let new_epoch_first = z.epoch() > last.epoch() && z.counter() == 1;
    same_epoch_next || new_epoch_first
}

/// A packet type's name as ZooKeeper logs it, or its number.
fn type_name(ty: i32) -> String {
    let name = match PacketType::from_i32(ty) {
        Some(PacketType::Request) => "REQUEST",
        Some(PacketType::Proposal) => "PROPOSAL",
        Some(PacketType::Ack) => "ACK",
        Some(PacketType::Commit) => "COMMIT",
        Some(PacketType::Ping) => "PING",
        Some(PacketType::Revalidate) => "REVALIDATE",
        Some(PacketType::Sync) => "SYNC",
        Some(PacketType::Inform) => "INFORM",
        Some(PacketType::CommitAndActivate) => "COMMITANDACTIVATE",
        Some(PacketType::NewLeader) => "NEWLEADER",
        Some(PacketType::FollowerInfo) => "FOLLOWERINFO",
        Some(PacketType::UpToDate) => "UPTODATE",
        Some(PacketType::Diff) => "DIFF",
        Some(PacketType::Trunc) => "TRUNC",
        Some(PacketType::Snap) => "SNAP",
        Some(PacketType::ObserverInfo) => "OBSERVERINFO",
        Some(PacketType::LeaderInfo) => "LEADERINFO",
        Some(PacketType::AckEpoch) => "ACKEPOCH",
        Some(PacketType::InformAndActivate) => "INFORMANDACTIVATE",
        None => return format!("unknown type {ty}"),
    };
    name.to_owned()
}

impl Learner {
    /// A learner about to connect to `start.leader_sid`; emits
    /// [`ZabOutput::ConnectToLeader`].
    pub fn new(config: ZabConfig, start: LearnerStart, now_ms: u64) -> Learner {
        let mut learner = Learner {
            config,
            leader_sid: start.leader_sid,
            observer: start.observer,
            stage: Stage::Connecting,
            wait: None,
            buffered: VecDeque::new(),
            accepted_epoch: start.accepted_epoch,
            current_epoch: start.current_epoch,
            new_epoch: None,
            leader_protocol_version: None,
            last_logged_zxid: start.last_logged_zxid,
            last_committed_zxid: start.last_logged_zxid,
            log_requested_zxid: start.last_logged_zxid,
            sync_mode: None,
            snap_zxid: None,
            last_queued: None,
            sync_txns: VecDeque::new(),
            sync_committed: 0,
            uncommitted: VecDeque::new(),
            unacked: VecDeque::new(),
            new_leader_config: None,
            new_leader_qv: None,
            new_leader_acked: false,
            last_heard_ms: now_ms,
            outputs: VecDeque::new(),
            shutdown_reason: None,
        };
        if start.accepted_epoch < start.current_epoch {
            // QuorumPeer.loadDataBase refuses to start in this state.
            learner.shut_down(format!(
                "The accepted epoch, {} is less than the current epoch, {}",
                start.accepted_epoch, start.current_epoch
            ));
        } else {
            learner.emit(ZabOutput::ConnectToLeader {
                sid: start.leader_sid,
            });
        }
        learner
    }

    // ---- Inputs ------------------------------------------------------------------------------

    /// The connection to the leader is open: sends FOLLOWERINFO (or OBSERVERINFO) with
    /// `zxid = acceptedEpoch << 32` and `LearnerInfo{myid, 0x10000, configVersion}`.
    pub fn handle_connected(&mut self, now_ms: u64) {
        if self.stage != Stage::Connecting {
            return;
        }
        let info = LearnerInfo {
            serverid: i64::try_from(self.config.my_id).unwrap_or(i64::MAX),
            protocol_version: PROTOCOL_VERSION,
            config_version: self.config.verifier.version(),
        };
        let ty = if self.observer {
            PacketType::ObserverInfo
        } else {
            PacketType::FollowerInfo
        };
        self.send(packet::learner_info(ty, self.accepted_epoch, &info));
        self.stage = Stage::AwaitLeaderInfo;
        self.last_heard_ms = now_ms;
    }

    /// The connection failed or was closed: the learner ends.
    pub fn handle_disconnected(&mut self, _now_ms: u64) {
        if self.stage == Stage::Connecting {
            self.shut_down(format!("could not connect to leader {}", self.leader_sid));
        } else {
            self.shut_down(format!("connection to leader {} lost", self.leader_sid));
        }
    }

    /// One packet from the leader. While a persistence report is awaited the packet is kept
    /// and processed once the report arrives.
    pub fn handle_packet(&mut self, packet: QuorumPacket, now_ms: u64) {
        if self.stage == Stage::Ended {
            return;
        }
        self.last_heard_ms = now_ms;
        if self.wait.is_some() {
            if self.buffered.len() >= MAX_BUFFERED_PACKETS {
                self.shut_down(format!(
                    "more than {MAX_BUFFERED_PACKETS} packets arrived while the disk was busy"
                ));
                return;
            }
            self.buffered.push_back(packet);
            return;
        }
        if let Err(reason) = self.process(packet) {
            self.shut_down(reason);
        }
    }

    /// After a SNAP, the shell read the snapshot stream and replaced the tree; the tree is at
    /// `zxid` (the SNAP packet's zxid). Nothing is durable yet.
    pub fn handle_snapshot_loaded(&mut self, zxid: Zxid, now_ms: u64) {
        if self.stage == Stage::Ended {
            return;
        }
        match self.wait {
            Some(Wait::SnapshotLoaded(expected)) if expected == zxid => {
                self.last_committed_zxid = zxid;
                self.snap_zxid = Some(zxid);
                self.last_queued = None;
                self.wait = None;
                self.resume(now_ms);
            }
            Some(Wait::SnapshotLoaded(expected)) => self.shut_down(format!(
                "snapshot loaded at {zxid}, but the leader's SNAP was at {expected}"
            )),
            _ => self.shut_down(format!("unexpected snapshot-loaded report at {zxid}")),
        }
    }

    /// The txn log was cut after `zxid` (snapshots newer than it dropped) and the tree reloaded
    /// at `zxid`, as asked by [`ZabOutput::Truncate`].
    pub fn handle_truncated(&mut self, zxid: Zxid, now_ms: u64) {
        if self.stage == Stage::Ended {
            return;
        }
        match self.wait {
            Some(Wait::Truncated(expected)) if expected == zxid => {
                self.last_logged_zxid = zxid;
                self.log_requested_zxid = zxid;
                self.last_committed_zxid = zxid;
                self.last_queued = Some(zxid);
                self.wait = None;
                self.resume(now_ms);
            }
            Some(Wait::Truncated(expected)) => self.shut_down(format!(
                "Not able to truncate the log to {expected} (truncated to {zxid})"
            )),
            _ => self.shut_down(format!("unexpected truncated report at {zxid}")),
        }
    }

    /// The snapshot asked by [`ZabOutput::TakeSnapshot`] is durable.
    pub fn handle_snapshot_taken(&mut self, zxid: Zxid, now_ms: u64) {
        if self.stage == Stage::Ended {
            return;
        }
        match self.wait {
            Some(Wait::SnapshotTaken(expected)) if expected == zxid => {
                // The durable state is now this snapshot (the leader's epoch is newer than
                // anything left in the log after it).
                self.last_logged_zxid = zxid;
                self.log_requested_zxid = self.log_requested_zxid.max(zxid);
                self.wait = None;
                self.new_leader_log_step();
                self.resume(now_ms);
            }
            _ => self.shut_down(format!("unexpected snapshot-taken report at {zxid}")),
        }
    }

    /// The txn log is durable up to `zxid` (group commit may cover several txns at once).
    pub fn handle_logged(&mut self, zxid: Zxid, now_ms: u64) {
        if self.stage == Stage::Ended {
            return;
        }
        let durable = zxid.min(self.log_requested_zxid);
        if durable > self.last_logged_zxid {
            self.last_logged_zxid = durable;
        }
        while let Some(&z) = self.unacked.front() {
            if z > zxid {
                break;
            }
            self.unacked.pop_front();
            self.send(packet::bare(PacketType::Ack, z));
        }
        if let Some(Wait::Logged(target)) = self.wait {
            if zxid >= target {
                self.wait = None;
                self.new_leader_epoch_step();
                self.resume(now_ms);
            }
        }
    }

    /// The epoch file asked by [`ZabOutput::PersistEpoch`] is durable.
    pub fn handle_epoch_persisted(&mut self, kind: EpochKind, epoch: i64, now_ms: u64) {
        if self.stage == Stage::Ended {
            return;
        }
        match (self.wait, kind) {
            (Some(Wait::AcceptedEpoch(e)), EpochKind::Accepted) if e == epoch => {
                self.accepted_epoch = epoch;
                self.wait = None;
                // Java writes `(int) currentEpoch`.
                self.send_ack_epoch(self.current_epoch as i32);
                self.resume(now_ms);
            }
            (Some(Wait::CurrentEpoch(e)), EpochKind::Current) if e == epoch => {
                self.current_epoch = epoch;
                self.wait = None;
                self.new_leader_acked = true;
                self.send(packet::bare(PacketType::Ack, Zxid::new(epoch, 0)));
                self.resume(now_ms);
            }
            _ => self.shut_down(format!(
                "unexpected epoch-persisted report ({kind:?} epoch {epoch})"
            )),
        }
    }

    /// A persistence step failed (the disk is full, an fsync failed): the learner ends without
    /// sending what depended on it (ZOOKEEPER-2307).
    pub fn handle_persistence_failed(&mut self, what: &str, _now_ms: u64) {
        self.shut_down(format!("persistence failed: {what}"));
    }

    /// Checks the read timeout: `initLimit * tickTime` until the NEWLEADER ACK is sent (and for
    /// the connection attempt), `syncLimit * tickTime` afterwards.
    pub fn handle_tick(&mut self, now_ms: u64) {
        let Some(deadline) = self.poll_timeout() else {
            return;
        };
        if now_ms < deadline {
            return;
        }
        let reason = if self.stage == Stage::Connecting {
            format!(
                "could not connect to leader {} within initLimit ({} ms)",
                self.leader_sid,
                self.config.init_limit_ms()
            )
        } else {
            let (limit_ms, name) = self.read_limit();
            format!(
                "no packet from leader {} for {} ms ({name} is {limit_ms} ms)",
                self.leader_sid,
                now_ms.saturating_sub(self.last_heard_ms)
            )
        };
        self.shut_down(reason);
    }

    /// Forwards a client write (or sync, createSession, closeSession) to the leader as
    /// `REQUEST(-1, sessionId cxid type request, authinfo)`. Returns `false` (and sends nothing)
    /// unless the learner is serving.
    pub fn forward_request(
        &mut self,
        session_id: i64,
        cxid: i32,
        op: i32,
        request: Bytes,
        authinfo: Vec<Id>,
    ) -> bool {
        if !self.is_serving() {
            return false;
        }
        self.send(QuorumPacket {
            r#type: PacketType::Request as i32,
            zxid: -1,
            data: Some(packet::request_data(session_id, cxid, op, &request)),
            authinfo: Some(authinfo),
        });
        true
    }

    /// Asks the leader whether a reconnecting session is still valid (`REVALIDATE`). Returns
    /// `false` (and sends nothing) unless the learner is serving.
    pub fn revalidate(&mut self, session_id: i64, timeout_ms: i32) -> bool {
        if !self.is_serving() {
            return false;
        }
        self.send(packet::with_data(
            PacketType::Revalidate,
            Zxid(-1),
            packet::revalidate_request(session_id, timeout_ms),
        ));
        true
    }

    // ---- Outputs and queries -----------------------------------------------------------------

    /// The next action for the shell.
    pub fn poll_output(&mut self) -> Option<ZabOutput> {
        self.outputs.pop_front()
    }

    /// When `handle_tick` should be called next (ms), or `None` while the learner waits for a
    /// persistence report or has ended.
    pub fn poll_timeout(&self) -> Option<u64> {
        if self.stage == Stage::Ended || self.wait.is_some() {
            return None;
        }
        let (limit_ms, _) = self.read_limit();
        Some(self.last_heard_ms.saturating_add(limit_ms))
    }

    /// The protocol phase.
    pub fn phase(&self) -> LearnerPhase {
        match self.stage {
            Stage::Connecting => LearnerPhase::Connecting,
            Stage::AwaitLeaderInfo => LearnerPhase::Discovery,
            Stage::AwaitSyncMode if self.wait.is_some() => LearnerPhase::Discovery,
            Stage::AwaitSyncMode | Stage::Syncing | Stage::AwaitUpToDate => {
                LearnerPhase::Synchronization
            }
            Stage::Broadcast => LearnerPhase::Broadcast,
            Stage::Ended => LearnerPhase::Ended,
        }
    }

    /// Whether clients may be served (UPTODATE arrived and the learner has not ended).
    pub fn is_serving(&self) -> bool {
        self.stage == Stage::Broadcast
    }

    /// Whether this learner is an observer.
    pub fn is_observer(&self) -> bool {
        self.observer
    }

    /// The durable `acceptedEpoch`.
    pub fn accepted_epoch(&self) -> i64 {
        self.accepted_epoch
    }

    /// The durable `currentEpoch`.
    pub fn current_epoch(&self) -> i64 {
        self.current_epoch
    }

    /// The leader's epoch (from LEADERINFO), once known.
    pub fn new_epoch(&self) -> Option<i64> {
        self.new_epoch
    }

    /// The protocol version the leader sent in LEADERINFO.
    pub fn leader_protocol_version(&self) -> Option<i32> {
        self.leader_protocol_version
    }

    /// The last durable zxid (txn log or snapshot): what a vote or ACKEPOCH may advertise.
    pub fn last_logged_zxid(&self) -> Zxid {
        self.last_logged_zxid
    }

    /// The last zxid applied to the tree (the SNAP zxid after a snapshot, the TRUNC zxid after
    /// a truncation, else the last `Apply`).
    pub fn last_committed_zxid(&self) -> Zxid {
        self.last_committed_zxid
    }

    /// The leader's server id.
    pub fn leader_sid(&self) -> u64 {
        self.leader_sid
    }

    /// How the leader is synchronizing (or synchronized) this learner.
    pub fn sync_mode(&self) -> Option<SyncMode> {
        self.sync_mode
    }

    /// NEWLEADER's data (the leader's last seen quorum verifier text), once received.
    pub fn new_leader_config(&self) -> Option<&Bytes> {
        self.new_leader_config.as_ref()
    }

    /// Why the learner ended, once it has.
    pub fn shutdown_reason(&self) -> Option<&str> {
        self.shutdown_reason.as_deref()
    }

    // ---- Internals ---------------------------------------------------------------------------

    fn emit(&mut self, output: ZabOutput) {
        self.outputs.push_back(output);
    }

    fn send(&mut self, packet: QuorumPacket) {
        self.emit(ZabOutput::SendToLeader { packet });
    }

    fn shut_down(&mut self, reason: String) {
        if self.stage == Stage::Ended {
            return;
        }
        self.stage = Stage::Ended;
        self.wait = None;
        self.buffered.clear();
        self.sync_txns.clear();
        self.sync_committed = 0;
        self.uncommitted.clear();
        self.unacked.clear();
        self.shutdown_reason = Some(reason.clone());
        self.emit(ZabOutput::Shutdown { reason });
    }

    /// The current read limit and its name.
    fn read_limit(&self) -> (u64, &'static str) {
        if self.new_leader_acked {
            (self.config.sync_limit_ms(), "syncLimit")
        } else {
            (self.config.init_limit_ms(), "initLimit")
        }
    }

    /// A completion arrived (and `wait` was updated): reading resumes, starting with the
    /// buffered packets, unless a new wait began.
    fn resume(&mut self, now_ms: u64) {
        self.last_heard_ms = now_ms;
        self.drain_buffered();
    }

    fn drain_buffered(&mut self) {
        while self.wait.is_none() && self.stage != Stage::Ended {
            let Some(p) = self.buffered.pop_front() else {
                break;
            };
            if let Err(reason) = self.process(p) {
                self.shut_down(reason);
            }
        }
    }

    fn process(&mut self, p: QuorumPacket) -> Result<(), String> {
        let Some(ty) = PacketType::from_i32(p.r#type) else {
            return Err(format!(
                "unknown packet type {} from leader {}",
                p.r#type, self.leader_sid
            ));
        };
        match self.stage {
            Stage::Connecting => Err(format!(
                "{} before the connection to leader {} was established",
                type_name(p.r#type),
                self.leader_sid
            )),
            Stage::AwaitLeaderInfo => self.on_first_packet(ty, p),
            Stage::AwaitSyncMode => self.on_sync_mode(ty, p),
            Stage::Syncing | Stage::AwaitUpToDate => self.on_sync_packet(ty, p),
            Stage::Broadcast if self.observer => self.on_observer_packet(ty, p),
            Stage::Broadcast => self.on_follower_packet(ty, p),
            Stage::Ended => Ok(()),
        }
    }

    fn unexpected(&self, p: &QuorumPacket, during: &str) -> String {
        format!(
            "unexpected {} (zxid {}) from leader {} {during}",
            type_name(p.r#type),
            Zxid(p.zxid),
            self.leader_sid
        )
    }

    /// The leader's epoch; only called once LEADERINFO has set it.
    fn leader_epoch(&self) -> i64 {
        self.new_epoch.unwrap_or(self.accepted_epoch)
    }

    // ---- Discovery ---------------------------------------------------------------------------

    fn on_first_packet(&mut self, ty: PacketType, p: QuorumPacket) -> Result<(), String> {
        match ty {
            PacketType::LeaderInfo => {
                let version = packet::read_int(p.data.as_ref()).ok_or_else(|| {
                    format!(
                        "LEADERINFO from leader {} without a protocol version",
                        self.leader_sid
                    )
                })?;
                self.leader_protocol_version = Some(version);
                let new_epoch = Zxid(p.zxid).epoch();
                if new_epoch > self.accepted_epoch {
                    self.new_epoch = Some(new_epoch);
                    self.stage = Stage::AwaitSyncMode;
                    self.wait = Some(Wait::AcceptedEpoch(new_epoch));
                    self.emit(ZabOutput::PersistEpoch {
                        kind: EpochKind::Accepted,
                        epoch: new_epoch,
                    });
                    Ok(())
                } else if new_epoch == self.accepted_epoch {
                    // This epoch was already acknowledged once: -1 tells the leader this
                    // ACKEPOCH does not count, while still reporting our last zxid.
                    self.new_epoch = Some(new_epoch);
                    self.send_ack_epoch(-1);
                    Ok(())
                } else {
                    Err(format!(
                        "Leaders epoch, {new_epoch} is less than accepted epoch, {}",
                        self.accepted_epoch
                    ))
                }
            }
            PacketType::NewLeader => Err(format!(
                "leader {} speaks the pre-Zab-1.0 protocol (NEWLEADER without LEADERINFO), \
                 which zkrs does not support",
                self.leader_sid
            )),
            _ => Err(format!(
                "expected LEADERINFO from leader {}, got {}",
                self.leader_sid,
                type_name(p.r#type)
            )),
        }
    }

    fn send_ack_epoch(&mut self, epoch_data: i32) {
        self.send(packet::with_data(
            PacketType::AckEpoch,
            self.last_logged_zxid,
            packet::int_data(epoch_data),
        ));
        self.stage = Stage::AwaitSyncMode;
    }

    // ---- Synchronization ---------------------------------------------------------------------

    fn on_sync_mode(&mut self, ty: PacketType, p: QuorumPacket) -> Result<(), String> {
        let zxid = Zxid(p.zxid);
        match ty {
            PacketType::Diff => {
                // The header is the leader's last committed zxid, not ours: it moves nothing
                // (ZOOKEEPER-2355). Proposals continue from the tree.
                self.sync_mode = Some(SyncMode::Diff);
                self.last_queued = Some(self.last_committed_zxid);
                self.stage = Stage::Syncing;
                Ok(())
            }
            PacketType::Trunc => {
                if zxid.raw() < 0 || zxid > self.last_logged_zxid {
                    return Err(format!(
                        "TRUNC to {zxid} from leader {}, but the last logged zxid is {}",
                        self.leader_sid, self.last_logged_zxid
                    ));
                }
                self.sync_mode = Some(SyncMode::Trunc);
                self.stage = Stage::Syncing;
                self.wait = Some(Wait::Truncated(zxid));
                self.emit(ZabOutput::Truncate { zxid });
                Ok(())
            }
            PacketType::Snap => {
                self.sync_mode = Some(SyncMode::Snap);
                self.stage = Stage::Syncing;
                self.wait = Some(Wait::SnapshotLoaded(zxid));
                Ok(())
            }
            _ => Err(format!(
                "expected DIFF, TRUNC or SNAP from leader {}, got {}",
                self.leader_sid,
                type_name(p.r#type)
            )),
        }
    }

    /// The zxid and txn bytes of a PROPOSAL/INFORM; the header's zxid must be the packet's.
    fn txn_of(&self, p: &QuorumPacket) -> Result<Txn, String> {
        let name = type_name(p.r#type);
        let Some(data) = p.data.clone() else {
            return Err(format!(
                "{name} {} from leader {} has no txn",
                Zxid(p.zxid),
                self.leader_sid
            ));
        };
        let header = TxnHeader::read_from(&mut JuteReader::new(&data)).map_err(|e| {
            format!(
                "{name} {} from leader {} has an unreadable txn header: {e}",
                Zxid(p.zxid),
                self.leader_sid
            )
        })?;
        if header.zxid != p.zxid {
            return Err(format!(
                "{name} {} from leader {} carries a txn with zxid {}",
                Zxid(p.zxid),
                self.leader_sid,
                Zxid(header.zxid)
            ));
        }
        Ok(Txn {
            zxid: Zxid(header.zxid),
            txn: data,
            prev: self.last_queued,
        })
    }

    /// Checks that a proposal/INFORM continues the stream (rule 7), and records it as queued.
    fn queue_next(&mut self, z: Zxid) -> Result<(), String> {
        let leader_epoch = self.leader_epoch();
        if z.epoch() > leader_epoch {
            return Err(format!(
                "txn {z} from leader {} is from an epoch after the leader's ({leader_epoch})",
                self.leader_sid
            ));
        }
        if self.stage == Stage::Broadcast && z.epoch() != leader_epoch {
            return Err(format!(
                "txn {z} from leader {} in broadcast is not of its epoch {leader_epoch}",
                self.leader_sid
            ));
        }
        let ok = match (self.last_queued, self.snap_zxid) {
            (Some(last), _) => follows(last, z),
            // First txn after a SNAP: it may repeat txns in the fuzzy snapshot.
            (None, Some(snap)) => z <= snap || follows(snap, z),
            (None, None) => false,
        };
        if !ok {
            let last = self.last_queued.or(self.snap_zxid).unwrap_or_default();
            return Err(format!(
                "txn {z} from leader {} does not follow {last}: refusing a non-contiguous \
                 proposal stream",
                self.leader_sid
            ));
        }
        self.last_queued = Some(z);
        Ok(())
    }

    fn apply(&mut self, t: Txn) {
        self.last_committed_zxid = self.last_committed_zxid.max(t.zxid);
        self.emit(ZabOutput::Apply {
            zxid: t.zxid,
            txn: t.txn,
        });
    }

    fn log(&mut self, t: Txn) {
        self.log_requested_zxid = self.log_requested_zxid.max(t.zxid);
        self.emit(ZabOutput::LogTxn {
            zxid: t.zxid,
            txn: t.txn,
        });
    }

    fn on_sync_packet(&mut self, ty: PacketType, p: QuorumPacket) -> Result<(), String> {
        match ty {
            PacketType::Proposal => {
                let t = self.txn_of(&p)?;
                self.queue_next(t.zxid)?;
                self.note_proposed_config(&t)?;
                self.sync_txns.push_back(t);
                Ok(())
            }
            PacketType::Commit | PacketType::CommitAndActivate => {
                let z = Zxid(p.zxid);
                match self.sync_txns.get(self.sync_committed) {
                    Some(t) if t.zxid == z => {
                        let t = t.clone();
                        self.sync_committed += 1;
                        let major = if ty == PacketType::CommitAndActivate {
                            self.activate_committed(&t, &p)?
                        } else {
                            false
                        };
                        self.apply(t);
                        if major {
                            return Err(CHANGES_IN_RECONFIG.into());
                        }
                        Ok(())
                    }
                    Some(t) => Err(format!(
                        "COMMIT {z} from leader {}, but the next pending proposal is {}",
                        self.leader_sid, t.zxid
                    )),
                    None => Err(format!(
                        "COMMIT {z} from leader {} without a pending proposal",
                        self.leader_sid
                    )),
                }
            }
            PacketType::Inform | PacketType::InformAndActivate if self.observer => {
                let (designated, p) = self.unwrap_inform(ty, p)?;
                let t = self.txn_of(&p)?;
                if self.sync_committed != self.sync_txns.len() {
                    return Err(format!(
                        "INFORM {} from leader {} while proposal {} is uncommitted",
                        t.zxid,
                        self.leader_sid,
                        self.sync_txns
                            .get(self.sync_committed)
                            .map(|u| u.zxid)
                            .unwrap_or_default()
                    ));
                }
                self.queue_next(t.zxid)?;
                self.sync_txns.push_back(t.clone());
                self.sync_committed += 1;
                let major = match designated {
                    Some(d) => self.activate_txn(&t, d)?,
                    None => false,
                };
                self.apply(t);
                if major {
                    return Err(CHANGES_IN_RECONFIG.into());
                }
                Ok(())
            }
            PacketType::NewLeader if self.stage == Stage::Syncing => self.on_new_leader(p),
            PacketType::UpToDate if self.stage == Stage::AwaitUpToDate => self.on_up_to_date(),
            PacketType::UpToDate => Err(format!(
                "UPTODATE before NEWLEADER from leader {} (pre-Zab-1.0 leaders are not \
                 supported)",
                self.leader_sid
            )),
            // The leader pings once its sender runs; Java does not answer until synced.
            PacketType::Ping => Ok(()),
            _ => Err(self.unexpected(&p, "during synchronization")),
        }
    }

    /// A PROPOSAL of a reconfig txn: its configuration is the last seen one
    /// (`setLastSeenQuorumVerifier`).
    fn note_proposed_config(&mut self, t: &Txn) -> Result<(), String> {
        if !self.config.reconfig_enabled {
            return Ok(());
        }
        match packet::reconfig_verifier(&t.txn) {
            None => Ok(()),
            Some(Ok(qv)) => {
                self.see_config(qv);
                Ok(())
            }
            Some(Err(e)) => Err(format!(
                "PROPOSAL {} from leader {}: {e}",
                t.zxid, self.leader_sid
            )),
        }
    }

    /// Records `qv` as the last seen configuration if it is not already.
    fn see_config(&mut self, qv: QuorumVerifier) {
        let known = self
            .config
            .last_seen_verifier
            .as_ref()
            .unwrap_or(&self.config.verifier)
            .version();
        if qv.version() == known {
            return;
        }
        self.config.last_seen_verifier = Some(qv.clone());
        self.emit(ZabOutput::LastSeenConfig { verifier: qv });
    }

    /// COMMITANDACTIVATE of the pending txn `t`: activates its configuration with the
    /// packet's designated leader. Returns whether the role must end.
    fn activate_committed(&mut self, t: &Txn, p: &QuorumPacket) -> Result<bool, String> {
        let designated = packet::read_designated_leader(p.data.as_ref()).ok_or_else(|| {
            format!(
                "COMMITANDACTIVATE {} from leader {} without a designated leader",
                Zxid(p.zxid),
                self.leader_sid
            )
        })?;
        self.activate_txn(t, designated)
    }

    /// Activates the configuration of reconfig txn `t` (see `activate`).
    fn activate_txn(&mut self, t: &Txn, designated: u64) -> Result<bool, String> {
        if !self.config.reconfig_enabled {
            return Ok(false);
        }
        match packet::reconfig_verifier(&t.txn) {
            Some(Ok(qv)) => Ok(self.activate(qv, Some(designated))),
            Some(Err(e)) => Err(format!(
                "activating {} from leader {}: {e}",
                t.zxid, self.leader_sid
            )),
            None => Err(format!(
                "leader {} activates {}, which is not a reconfig txn",
                self.leader_sid, t.zxid
            )),
        }
    }

    /// INFORMANDACTIVATE's data is `long designatedLeader` then the txn: returns the
    /// designated leader and the packet as a plain INFORM.
    fn unwrap_inform(
        &self,
        ty: PacketType,
        p: QuorumPacket,
    ) -> Result<(Option<u64>, QuorumPacket), String> {
        if ty != PacketType::InformAndActivate {
            return Ok((None, p));
        }
        let bad = || {
            format!(
                "malformed INFORMANDACTIVATE {} from leader {}",
                Zxid(p.zxid),
                self.leader_sid
            )
        };
        let designated = packet::read_designated_leader(p.data.as_ref()).ok_or_else(bad)?;
        let txn = p.data.as_ref().and_then(|d| d.get(8..)).ok_or_else(bad)?;
        let txn = Bytes::copy_from_slice(txn);
        Ok((
            Some(designated),
            packet::with_data(PacketType::Inform, Zxid(p.zxid), txn),
        ))
    }

    /// `QuorumPeer.processReconfig`: switch to `qv` if it is newer, and tell the shell
    /// (which writes the files and `/zookeeper/config`). Returns whether the role must end: a
    /// newer configuration with other members that changes this member's learner type
    /// (`updateLearnerType`) or its leader (the designated one; without one, the leader's
    /// entry gone or moved).
    fn activate(&mut self, qv: QuorumVerifier, designated: Option<u64>) -> bool {
        let prev = self.config.verifier.clone();
        let newer = qv.version() > prev.version();
        if newer {
            self.config.verifier = qv.clone();
        }
        if self
            .config
            .last_seen_verifier
            .as_ref()
            .is_some_and(|l| l.version() <= qv.version())
        {
            self.config.last_seen_verifier = None;
        }
        self.emit(ZabOutput::ActivateConfig {
            verifier: qv.clone(),
            designated_leader: designated,
        });
        if !newer || prev.servers() == qv.servers() {
            return false;
        }
        let me = self.config.my_id;
        let observer = qv.servers().get(&me).is_some_and(|s| !s.is_participant());
        let role_change = observer != self.observer;
        self.config.observer = observer;
        let leader_change = match designated {
            Some(d) => d != self.leader_sid,
            None => {
                let entry = |v: &QuorumVerifier| {
                    v.servers()
                        .get(&self.leader_sid)
                        .filter(|s| s.is_participant())
                        .map(|s| s.quorum_addrs())
                };
                let before = entry(&prev);
                before.is_none() || before != entry(&qv)
            }
        };
        role_change || leader_change
    }

    fn on_new_leader(&mut self, p: QuorumPacket) -> Result<(), String> {
        let expected = Zxid::new(self.leader_epoch(), 0);
        if Zxid(p.zxid) != expected {
            return Err(format!(
                "NEWLEADER {} from leader {}, but LEADERINFO announced {expected}",
                Zxid(p.zxid),
                self.leader_sid
            ));
        }
        self.new_leader_config = p.data.filter(|d| d.len() > 1);
        if self.config.reconfig_enabled {
            if let Some(text) = &self.new_leader_config {
                // Java logs an unreadable one and goes on without it.
                let parsed = std::str::from_utf8(text)
                    .ok()
                    .and_then(|t| QuorumVerifier::parse(t, "NEWLEADER", true).ok());
                if let Some(qv) = parsed {
                    self.see_config(qv.clone());
                    self.new_leader_qv = Some(qv);
                }
            }
        }
        self.stage = Stage::AwaitUpToDate;
        if matches!(self.sync_mode, Some(SyncMode::Snap | SyncMode::Trunc)) {
            let zxid = self.last_committed_zxid;
            self.wait = Some(Wait::SnapshotTaken(zxid));
            self.emit(ZabOutput::TakeSnapshot { zxid });
        } else {
            self.new_leader_log_step();
        }
        Ok(())
    }

    /// NEWLEADER, second step: make every txn committed so far durable.
    fn new_leader_log_step(&mut self) {
        let count = self.sync_committed.min(self.sync_txns.len());
        let committed: Vec<Txn> = self.sync_txns.drain(..count).collect();
        self.sync_committed = 0;
        match committed.last().map(|t| t.zxid) {
            Some(last) => {
                for t in committed {
                    self.log(t);
                }
                self.wait = Some(Wait::Logged(last));
            }
            None => self.new_leader_epoch_step(),
        }
    }

    /// NEWLEADER, third step: `currentEpoch`; the ACK follows its report.
    fn new_leader_epoch_step(&mut self) {
        let epoch = self.leader_epoch();
        self.wait = Some(Wait::CurrentEpoch(epoch));
        self.emit(ZabOutput::PersistEpoch {
            kind: EpochKind::Current,
            epoch,
        });
    }

    fn on_up_to_date(&mut self) -> Result<(), String> {
        if let Some(qv) = self.new_leader_qv.take() {
            if self.activate(qv, None) {
                return Err(CHANGES_IN_RECONFIG.into());
            }
        }
        self.stage = Stage::Broadcast;
        self.emit(ZabOutput::StartServing);
        self.send(packet::bare(
            PacketType::Ack,
            Zxid::new(self.leader_epoch(), 0),
        ));
        // The txns that came after NEWLEADER's persistence: log them now; a follower ACKs each
        // once durable and keeps the uncommitted ones for their COMMIT.
        let committed = self.sync_committed;
        self.sync_committed = 0;
        let txns: Vec<Txn> = self.sync_txns.drain(..).collect();
        let mut dropped = false;
        for (i, t) in txns.into_iter().enumerate() {
            let is_committed = i < committed;
            if self.observer {
                // An observer only keeps committed txns (Java drops the others with a warning);
                // their INFORMs may follow, so the stream continues before the first dropped.
                if is_committed {
                    self.log(t);
                } else if !dropped {
                    dropped = true;
                    self.last_queued = t.prev;
                }
            } else {
                if !is_committed {
                    self.uncommitted.push_back(t.clone());
                }
                self.unacked.push_back(t.zxid);
                self.log(t);
            }
        }
        Ok(())
    }

    // ---- Broadcast ---------------------------------------------------------------------------

    fn on_follower_packet(&mut self, ty: PacketType, p: QuorumPacket) -> Result<(), String> {
        match ty {
            PacketType::Proposal => {
                let t = self.txn_of(&p)?;
                self.queue_next(t.zxid)?;
                self.note_proposed_config(&t)?;
                self.unacked.push_back(t.zxid);
                self.uncommitted.push_back(t.clone());
                self.log(t);
                Ok(())
            }
            PacketType::Commit | PacketType::CommitAndActivate => {
                let z = Zxid(p.zxid);
                match self.uncommitted.front() {
                    Some(t) if t.zxid == z => {
                        let Some(t) = self.uncommitted.pop_front() else {
                            return Ok(());
                        };
                        // Follower.processPacket: processReconfig, then the commit.
                        let major = if ty == PacketType::CommitAndActivate {
                            self.activate_committed(&t, &p)?
                        } else {
                            false
                        };
                        self.apply(t);
                        if major {
                            return Err(CHANGES_IN_RECONFIG.into());
                        }
                        Ok(())
                    }
                    Some(t) => Err(format!(
                        "Committing zxid {z} but next pending txn {} (leader {})",
                        t.zxid, self.leader_sid
                    )),
                    None => Err(format!(
                        "COMMIT {z} from leader {} without a pending proposal",
                        self.leader_sid
                    )),
                }
            }
            PacketType::Inform | PacketType::InformAndActivate => {
                Err(self.unexpected(&p, "by a follower"))
            }
            _ => self.on_common_packet(&p),
        }
    }

    fn on_observer_packet(&mut self, ty: PacketType, p: QuorumPacket) -> Result<(), String> {
        match ty {
            PacketType::Inform | PacketType::InformAndActivate => {
                let (designated, p) = self.unwrap_inform(ty, p)?;
                let t = self.txn_of(&p)?;
                self.queue_next(t.zxid)?;
                self.log(t.clone());
                self.apply(t.clone());
                // Observer.processPacket: the commit, then processReconfig.
                if let Some(d) = designated {
                    if self.activate_txn(&t, d)? {
                        return Err(CHANGES_IN_RECONFIG.into());
                    }
                }
                Ok(())
            }
            // Observers ignore these (Observer.processPacket).
            PacketType::Proposal | PacketType::Commit | PacketType::CommitAndActivate => Ok(()),
            _ => self.on_common_packet(&p),
        }
    }

    /// Packets a follower and an observer handle alike in broadcast.
    fn on_common_packet(&mut self, p: &QuorumPacket) -> Result<(), String> {
        match PacketType::from_i32(p.r#type) {
            Some(PacketType::Ping) => {
                self.emit(ZabOutput::AnswerPing { zxid: Zxid(p.zxid) });
                Ok(())
            }
            Some(PacketType::Revalidate) => {
                let (session_id, valid) = packet::read_revalidate_answer(p.data.as_ref())
                    .ok_or_else(|| {
                        format!(
                            "malformed REVALIDATE answer from leader {}",
                            self.leader_sid
                        )
                    })?;
                self.emit(ZabOutput::RevalidateAnswer { session_id, valid });
                Ok(())
            }
            Some(PacketType::Sync) => {
                self.emit(ZabOutput::SyncAnswered);
                Ok(())
            }
            // Java logs "Received an UPTODATE message after ... started" and carries on.
            Some(PacketType::UpToDate) => Ok(()),
            _ => Err(self.unexpected(p, "in broadcast")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguity() {
        assert!(follows(Zxid::new(1, 5), Zxid::new(1, 6)));
        assert!(follows(Zxid::new(1, 5), Zxid::new(2, 1)));
        assert!(follows(Zxid::new(1, 0), Zxid::new(1, 1)));
        assert!(follows(Zxid::ZERO, Zxid::new(1, 1)));
        assert!(!follows(Zxid::new(1, 5), Zxid::new(1, 7)));
        assert!(!follows(Zxid::new(1, 5), Zxid::new(1, 5)));
        assert!(!follows(Zxid::new(1, 5), Zxid::new(2, 2)));
        assert!(!follows(Zxid::new(2, 5), Zxid::new(1, 6)));
        assert!(!follows(Zxid(i64::MAX), Zxid(i64::MIN)));
    }

    #[test]
    fn names() {
        assert_eq!(type_name(10), "NEWLEADER");
        assert_eq!(type_name(99), "unknown type 99");
    }
}
