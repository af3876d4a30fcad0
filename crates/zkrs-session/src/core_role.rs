//! [`CoreRole`]: the part a server plays, standalone or in a quorum, and the changes of state
//! that come with quorum membership (role changes, serving or not, a state replaced by the
//! leader's).

use bytes::Bytes;
use zkrs_datatree::DataTree;

use crate::clock::Clock;
use crate::config::CoreConfig;
use crate::core::{ConnId, ServerCore, WATCH_MODEL};
use crate::learner_front::LearnerFront;
use crate::learner_requests::LearnerSyncs;
use crate::session_tracker::SessionTracker;

/// What a [`crate::ServerCore`] is: a standalone server, or the leader, a follower or an observer
/// of a quorum. The role decides where writes are prepared and which sessions it expires:
///
/// - `Standalone` and `Leader` prepare writes themselves (`PrepRequestProcessor`), expire
///   sessions and reap containers. A leader also prepares the requests learners forward
///   (`handle_learner_request`) and owns every session (`LeaderSessionTracker`).
/// - `Follower` and `Observer` are learners: writes, syncs and session creation and closing are
///   forwarded to the leader ([`crate::Output::Forward`]), a reconnect is revalidated with it
///   ([`crate::Output::Revalidate`]), the txns it commits are applied with
///   `handle_committed_txn`, and sessions are only touched and reported
///   (`LearnerSessionTracker`). The core treats the two alike; they differ in the ZAB engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CoreRole {
    #[default]
    Standalone,
    Leader,
    Follower,
    Observer,
}

impl CoreRole {
    /// A follower or an observer: writes go to the leader.
    pub fn is_learner(self) -> bool {
        matches!(self, CoreRole::Follower | CoreRole::Observer)
    }

    /// The name `srvr` and mntr print (`ZooKeeperServer.getState`).
    pub fn state_name(self) -> &'static str {
        match self {
            CoreRole::Standalone => "standalone",
            CoreRole::Leader => "leader",
            CoreRole::Follower => "follower",
            CoreRole::Observer => "observer",
        }
    }
}

/// A session tracker for `role`, tracking afresh from `now` the given live sessions (restored
/// from a snapshot, or received from the leader). A learner does not expire sessions, so it
/// only records them; the leader answers SESSIONEXPIRED for a session it does not know
/// (`LeaderSessionTracker`).
pub(crate) fn new_session_tracker(
    config: &CoreConfig,
    role: CoreRole,
    sessions: impl IntoIterator<Item = (i64, i32)>,
    now: Clock,
) -> SessionTracker {
    let mut tracker = SessionTracker::new(config.tick_time_ms, config.server_id, now.mono_ms);
    tracker.set_unknown_is_expired(role == CoreRole::Leader);
    tracker
        .set_local_sessions_enabled(role != CoreRole::Standalone && config.local_sessions_enabled);
    for (id, timeout) in sessions {
        if role.is_learner() {
            tracker.add_global_session(id, timeout);
        } else {
            tracker.track_session(id, timeout, now.mono_ms);
            tracker.commit_session(id, timeout);
        }
    }
    tracker
}

/// `ZKDatabase.initConfigInZKDatabase(qv)`: `/zookeeper/config` gets the member's own
/// configuration `text` (`QuorumVerifier.toString()`, as zkrs-config's `to_config_string`
/// writes it) through `setData(path, text, version -1, zxid = the config's version, now)`:
/// Stat version -1, mzxid the `version=` value (hex, 0 for a static config), mtime now; no
/// lastProcessedZxid change, and no digest change (the `/zookeeper/` subtree is not digested).
/// `QuorumPeerMain` does it before the peer serves; a learner does it again after loading a
/// SNAP from its leader when reconfig is disabled (`Learner.syncWithLeader`).
pub(crate) fn init_quorum_config_node(tree: &mut DataTree, text: &str, now: Clock) {
    let version = text
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("version="))
        .and_then(|v| i64::from_str_radix(v.trim(), 16).ok())
        .unwrap_or(0);
    tree.init_config_node(Bytes::from(text.to_owned()), version, now.wall_ms);
}

impl ServerCore {
    /// The role this core plays.
    pub fn role(&self) -> CoreRole {
        self.role
    }

    /// This core in `role` (see [`ServerCore::set_role`]).
    pub fn with_role(mut self, role: CoreRole, now: Clock) -> Self {
        self.set_role(role, now);
        self
    }

    /// Takes up `role`, as a Java peer starts a new `ZooKeeperServer` over the same database:
    /// every client connection is closed, txns prepared and not committed are dropped (the
    /// quorum decides their fate; they come back through `handle_committed_txn` or the sync
    /// with the new leader), learner and leader bookkeeping starts empty, and the committed
    /// sessions are tracked afresh from `now` with new session ids drawn from `now`. The tree
    /// is kept. Serving is not changed (see [`ServerCore::set_serving`]), except that read-only
    /// mode stops (or is disarmed) and with it its serving.
    pub fn set_role(&mut self, role: CoreRole, now: Clock) {
        // A role ends read-only mode (`ReadOnlyZooKeeperServer.shutdown`), or its grace period.
        self.stop_read_only();
        self.close_all_connections();
        self.role = role;
        self.drop_pending();
        let committed = self.sessions.committed_sessions().collect::<Vec<_>>();
        self.sessions = new_session_tracker(&self.config, role, committed, now);
    }

    /// Whether clients are served. While not serving, a ConnectRequest closes its connection
    /// (a Java peer whose `ZooKeeperServer` is not running) and requests are dropped.
    pub fn set_serving(&mut self, serving: bool) {
        self.serving = serving;
    }

    /// See [`ServerCore::set_serving`].
    pub fn is_serving(&self) -> bool {
        self.serving
    }

    /// `setZxid`: the last zxid handed out; the next write gets `zxid + 1`. A new leader sets
    /// `makeZxid(epoch, 0)` before it proposes anything.
    pub fn set_zxid(&mut self, zxid: i64) {
        self.hzxid = zxid;
    }

    /// Replaces the tree and the sessions (after a SNAP from the leader, or reloading the
    /// database after a TRUNC), keeping nothing of the old state: every client connection is
    /// closed, pending txns, forwarded requests and syncs are dropped, the digest history
    /// restarts, and the sessions are tracked afresh from `now`. A quorum member with reconfig
    /// disabled then writes its own configuration into `/zookeeper/config` again, over the
    /// leader's (`Learner.syncWithLeader` after `deserializeSnapshot`).
    pub fn replace_state(
        &mut self,
        mut tree: DataTree,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        now: Clock,
    ) {
        self.close_all_connections();
        if tree.config().watch_model != WATCH_MODEL {
            tree.set_watch_model(WATCH_MODEL);
        }
        if !self.config.quorum_config.is_empty() && !self.config.reconfig_enabled {
            init_quorum_config_node(&mut tree, &self.config.quorum_config, now);
        }
        self.tree = tree;
        self.drop_pending();
        self.digest_log.clear();
        self.sessions = new_session_tracker(&self.config, self.role, sessions, now);
    }

    /// The leader's view of the ensemble that a `reconfig` is checked against (`None` when
    /// not a serving leader: reconfig then answers UNIMPLEMENTED as a standalone server does).
    pub fn set_quorum_view(&mut self, view: Option<crate::quorum_view::QuorumView>) {
        self.quorum_view = view;
    }

    /// The view set by [`ServerCore::set_quorum_view`].
    pub fn quorum_view(&self) -> Option<&crate::quorum_view::QuorumView> {
        self.quorum_view.as_ref()
    }

    /// `processReconfig`'s `initConfigInZKDatabase`: the member's configuration becomes
    /// `text` (`QuorumVerifier.toString()`) and is written into `/zookeeper/config` (Stat
    /// version -1, mzxid its version, mtime now).
    pub fn activate_quorum_config(&mut self, text: String, now: Clock) {
        init_quorum_config_node(&mut self.tree, &text, now);
        self.config.quorum_config = text;
    }

    /// Closes every client connection (`closeAllConnections`, on a role change). Sessions live
    /// on; their clients reconnect.
    pub fn close_all_connections(&mut self) {
        let conns: Vec<ConnId> = self.connections.keys().copied().collect();
        for conn in conns {
            self.close_conn(conn);
        }
    }

    /// Forgets everything prepared, forwarded or awaited that has not been applied.
    fn drop_pending(&mut self) {
        self.in_flight.clear();
        self.outstanding.clear();
        self.hzxid = self.tree.last_processed_zxid();
        self.learner = LearnerFront::default();
        self.learner_syncs = LearnerSyncs::default();
    }
}
