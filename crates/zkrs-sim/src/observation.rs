//! [`Observation`]: facts a node reports while it runs, for the invariant checker and the
//! scenario tests (which sync mode a learner got, who established which epoch, ...).

use bytes::Bytes;
use zkrs_zab::learner::SyncMode;

/// One fact about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// A txn was applied to the node's tree: `prev_zxid` is the tree's zxid before, `digest`
    /// the tree digest after. `in_broadcast`: applied by an established leader on commit, or
    /// by a learner after UPTODATE (committed for sure); otherwise a learner applied it during
    /// synchronization, before its leader's epoch is established.
    Applied {
        sid: u64,
        in_broadcast: bool,
        zxid: i64,
        prev_zxid: i64,
        txn: Bytes,
        digest: i64,
    },
    /// The tree was replaced by the leader's snapshot at `zxid`.
    SnapshotLoaded { sid: u64, zxid: i64, digest: i64 },
    /// The database was (re)loaded from disk: the snapshot's zxid, the txns replayed after it
    /// (zxid, bytes), the resulting tree zxid and digest.
    Loaded {
        sid: u64,
        snap_zxid: i64,
        replayed: Vec<(i64, Bytes)>,
        zxid: i64,
        digest: i64,
    },
    /// A learner is told to cut its log after `zxid`; `cut` are the durable txns removed;
    /// `leader_epoch` is the epoch of the leader syncing it.
    Truncating {
        sid: u64,
        leader_epoch: i64,
        zxid: i64,
        cut: Vec<(i64, Bytes)>,
    },
    /// A leader started serving: epoch established (a quorum acknowledged NEWLEADER). Its
    /// history is the database it loaded (`Loaded` before it).
    LeaderEstablished {
        sid: u64,
        epoch: i64,
        last_zxid: i64,
        digest: i64,
    },
    /// A learner received UPTODATE and serves.
    LearnerServing {
        sid: u64,
        leader: u64,
        epoch: i64,
        sync_mode: Option<SyncMode>,
    },
    /// A learner was told how it is synchronized (DIFF/TRUNC/SNAP with the packet's zxid).
    SyncStarted {
        sid: u64,
        leader: u64,
        mode: SyncMode,
        zxid: i64,
    },
    /// An epoch file write completed (durable): the node's durable epochs now.
    EpochsDurable {
        sid: u64,
        accepted_epoch: i64,
        current_epoch: i64,
    },
    /// A role ended.
    RoleEnded { sid: u64, reason: String },
    /// A leader proposal was refused by the engine (for rollover scenarios).
    ProposeRefused { sid: u64, reason: String },
    /// Something the node could not do with its storage (a violation, unless the scenario
    /// injects disk faults: `Checker::expect_storage_failures`).
    StorageFailed { sid: u64, what: String },
    /// A known bug was hit and tolerated (`SimConfig::tolerate_known_bugs`).
    KnownBug { sid: u64, what: String },
    /// The node could not restart from its disk (I7).
    RestartFailed { sid: u64, what: String },
    /// A configuration was proposed (`activated` false: the last seen one, `.next`) or
    /// activated; `members` is its membership text without the version line.
    ConfigSeen {
        sid: u64,
        activated: bool,
        version: i64,
        members: String,
    },
    /// After a reconfig the member took its new role without an election, following (or
    /// being) `leader`.
    ReconfigRole { sid: u64, leader: u64 },
    /// A leader dropped a learner connection (`ZabOutput::CloseLearner`), and why.
    LearnerClosed {
        sid: u64,
        link: crate::effect::LinkId,
        reason: String,
    },
}
