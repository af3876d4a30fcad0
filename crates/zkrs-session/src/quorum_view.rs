//! [`QuorumView`]: what the leader's prep stage needs to know about the ensemble to check a
//! `reconfig` (`LeaderZooKeeperServer`'s view of its `QuorumPeer` and `Leader`).

use std::collections::BTreeSet;

use zkrs_config::QuorumVerifier;

/// The leader's view of the ensemble, set by the shell while it leads and serves
/// ([`crate::ServerCore::set_quorum_view`]); absent on other members and in standalone mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumView {
    /// The configuration in use (`QuorumPeer.getQuorumVerifier()`).
    pub verifier: QuorumVerifier,
    /// The version of the last seen configuration (`getLastSeenQuorumVerifier()`): above
    /// `verifier`'s while a reconfig is in progress.
    pub last_seen_version: i64,
    /// The leader and the followers past their sync heard from in time
    /// (`Leader.isQuorumSynced`): a new configuration needs a quorum of its voters among them.
    pub synced: BTreeSet<u64>,
    /// `standaloneEnabled`: a new configuration then needs at least 2 voters (otherwise 1).
    pub standalone_enabled: bool,
    /// `multiAddress.enabled`, for the joining servers' addresses.
    pub multi_address_enabled: bool,
    /// `oraclePath`, for a non-incremental membership.
    pub oracle_path: Option<String>,
}
