//! [`ZabConfig`]: the settings the learner protocol needs, validated by the caller.

use zkrs_config::QuorumVerifier;

/// `Leader.commitLogCount` default (`zookeeper.commitLogCount`): proposals kept in memory for
/// DIFF syncs.
pub const DEFAULT_COMMIT_LOG_COUNT: usize = 500;

/// The protocol version zkrs speaks in LearnerInfo and LEADERINFO (`0x10000`, Zab 1.0).
pub const PROTOCOL_VERSION: i32 = 0x10000;

/// What the leader and learner state machines need to know about this server and the
/// ensemble.
#[derive(Debug, Clone)]
pub struct ZabConfig {
    /// This server's id (`myid`).
    pub my_id: u64,
    /// `tickTime` in ms.
    pub tick_time_ms: u64,
    /// `initLimit` in ticks: discovery and sync must finish within this.
    pub init_limit_ticks: u64,
    /// `syncLimit` in ticks: a synced peer must be heard from within this.
    pub sync_limit_ticks: u64,
    /// The ensemble (participants and observers, the quorum rule, the config version).
    pub verifier: QuorumVerifier,
    /// How many committed proposals the leader keeps for DIFF (`commitLogCount`).
    pub commit_log_count: usize,
    /// `isTxnLogSyncEnabled` (`snapshotSizeFactor >= 0`): a learner behind the committed log
    /// may be DIFF-synced from the leader's on-disk txn log (`ZabOutput::ReadTxnLog`).
    pub txn_log_sync_enabled: bool,
    /// `reconfigEnabled`: configurations are proposed, announced and activated
    /// (`ZabOutput::LastSeenConfig`, `ZabOutput::ActivateConfig`); without it a member ignores
    /// them as Java's `processReconfig` does, and keeps its static membership.
    pub reconfig_enabled: bool,
    /// `QuorumPeer.lastSeenQuorumVerifier` when it is newer than `verifier`: a proposed
    /// configuration not activated yet (`<config>.dynamic.next`).
    pub last_seen_verifier: Option<QuorumVerifier>,
    /// This member's learner type (`LearnerType.OBSERVER`): from its entry in the
    /// membership, or `peerType=observer` when it is not a member. A server missing from the
    /// membership is otherwise a non-voting participant.
    pub observer: bool,
}

impl ZabConfig {
    /// `initLimit * tickTime`.
    pub fn init_limit_ms(&self) -> u64 {
        self.init_limit_ticks.saturating_mul(self.tick_time_ms)
    }

    /// `syncLimit * tickTime`.
    pub fn sync_limit_ms(&self) -> u64 {
        self.sync_limit_ticks.saturating_mul(self.tick_time_ms)
    }

    /// The last seen configuration if it is newer than the current one.
    pub fn pending_verifier(&self) -> Option<&QuorumVerifier> {
        self.last_seen_verifier
            .as_ref()
            .filter(|qv| qv.version() > self.verifier.version())
    }

    /// Whether `sid` is a voting member of the current configuration.
    pub fn is_participant(&self, sid: u64) -> bool {
        self.verifier
            .servers()
            .get(&sid)
            .is_some_and(|s| s.is_participant())
    }
}
