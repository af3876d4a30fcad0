//! [`QuorumView`]: what the AdminServer's quorum commands (`leader`, `observers`,
//! `voting_view`, `zabstate`) read of a quorum member, gathered by the core task.

use zkrs_config::{HostPort, QuorumServer};

/// A quorum member's role and membership, as the quorum commands show them.
#[derive(Debug, Clone, Default)]
pub struct QuorumView {
    pub my_id: u64,
    /// Serving as the leader (`LeaderZooKeeperServer`).
    pub is_leader: bool,
    /// The leader's sid (`QuorumPeer.getLeaderId`); -1 while unknown.
    pub leader_id: i64,
    /// The leader's quorum host (`getLeaderAddress`), empty while unknown.
    pub leader_ip: String,
    /// This member's first quorum and election address as configured.
    pub quorum_address: Option<HostPort>,
    pub election_address: Option<HostPort>,
    /// `clientPortAddress:clientPort`.
    pub client_address: String,
    /// A voting member with the addresses it runs with.
    pub voting: bool,
    /// `QuorumPeer.ZabState` lower case: `election`, `discovery`, `synchronization`,
    /// `broadcast`.
    pub zab_state: String,
    /// The voting members of the current configuration (`getVotingView`).
    pub voting_view: Vec<QuorumServer>,
    /// Only on the leader: the observers it syncs (`getObservingLearnersInfo`).
    pub observers: Vec<ObserverView>,
}

/// One observer connection of the leader (`LearnerHandler.getLearnerHandlerInfo`).
#[derive(Debug, Clone, Default)]
pub struct ObserverView {
    /// `/host:port` of the link, empty if unknown.
    pub remote_socket_address: String,
    pub sid: u64,
    pub established_ms: i64,
    pub queued_packets: i64,
    pub queued_packets_size: i64,
    pub packets_received: i64,
    pub packets_sent: i64,
    pub requests: i64,
    pub last_zxid: i64,
}
