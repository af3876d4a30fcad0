//! Read-only views of the server for the four-letter words, mntr and the AdminServer, and the
//! two counter resets (`srst`, `crst`).

use std::net::SocketAddr;

use zkrs_datatree::{DataTree, WatchSummary};

use crate::connection::ConnState;
use crate::core::{ConnId, ServerCore, ZxidDigest};
use crate::java::hash::{long_hash, string_hash};
use crate::java::{ConcurrentHashSet, JavaHashSet};
use crate::stats::{ConnStats, ServerStats};

/// One client connection, as `cons` / the `connections` command show it.
#[derive(Debug, Clone, PartialEq)]
pub struct ConnectionInfo {
    pub conn: ConnId,
    pub remote: SocketAddr,
    /// 0 before a session is attached.
    pub session_id: i64,
    /// The negotiated timeout (0 before the ConnectRequest).
    pub session_timeout_ms: i32,
    /// True once the ConnectResponse was sent for a valid session.
    pub established: bool,
    /// Requests read and not yet answered (`queued=`); requests held until the session is
    /// established are not counted (ZooKeeper has not read them yet).
    pub outstanding_requests: usize,
    /// Wall-clock ms when the connect request arrived (`est=`).
    pub established_wall_ms: i64,
    pub stats: ConnStats,
}

/// One session, for `dump` and the `dump` admin command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfoView {
    pub session_id: i64,
    pub timeout_ms: i32,
    /// Monotonic ms of the expiry bucket the session is in.
    pub expires_at_mono: Option<u64>,
    pub closing: bool,
}

impl ServerCore {
    /// The data tree (node count, data size, ephemerals count, watch count, ACL cache…).
    pub fn tree(&self) -> &DataTree {
        &self.tree
    }

    /// Server-wide counters (`srvr`: latency, received, sent).
    /// `quota_exceeded_error_per_namespace`, by namespace.
    pub fn quota_exceeded_counts(&self) -> &std::collections::BTreeMap<String, u64> {
        &self.outstanding.quota_exceeded
    }

    /// (`outstanding_changes_queued`, `outstanding_changes_removed`).
    pub fn outstanding_change_counts(&self) -> (u64, u64) {
        (
            self.outstanding.queued_total,
            self.outstanding.removed_total,
        )
    }

    pub fn server_stats(&self) -> &ServerStats {
        &self.stats
    }

    /// `srst`: resets latency and packet counters.
    pub fn reset_server_stats(&mut self) {
        self.stats.reset();
        // 3.6+ `srst` also resets every `ServerMetrics` metric, the tree's included.
        self.tree.reset_metrics();
        self.outstanding.queued_total = 0;
        self.outstanding.removed_total = 0;
        self.outstanding.quota_exceeded.clear();
    }

    /// `crst`: resets every connection's counters.
    pub fn reset_connection_stats(&mut self) {
        for c in self.connections.values_mut() {
            c.stats.reset();
        }
    }

    /// A four-letter word arrived on a connection (ZooKeeper counts it as a packet received).
    pub fn note_four_letter_word(&mut self) {
        self.stats.packets_received += 1;
    }

    /// Requests received and not yet answered, over all connections (`Outstanding:`).
    pub fn outstanding_requests(&self) -> usize {
        self.connections
            .values()
            .filter(|c| !c.closing)
            .map(|c| c.queue.len())
            .sum()
    }

    /// Open connections (`Connections:` / `zk_num_alive_connections`).
    pub fn num_alive_connections(&self) -> usize {
        self.connections.values().filter(|c| !c.closing).count()
    }

    /// Every open connection, by connection id.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        self.connections
            .keys()
            .filter_map(|&id| self.connection_info(id))
            .collect()
    }

    /// One open connection.
    pub fn connection_info(&self, conn: ConnId) -> Option<ConnectionInfo> {
        let c = self.connections.get(&conn)?;
        if c.closing {
            return None;
        }
        Some(ConnectionInfo {
            conn,
            remote: c.remote,
            session_id: c.session_id,
            session_timeout_ms: c.timeout_ms,
            established: c.state == ConnState::Established,
            outstanding_requests: c.queue.len(),
            established_wall_ms: c.established_wall_ms,
            stats: c.stats.clone(),
        })
    }

    /// The session a connection belongs to (0 if none): wchc prints watchers by session.
    pub fn session_of(&self, conn: ConnId) -> i64 {
        self.connections.get(&conn).map_or(0, |c| c.session_id)
    }

    /// Live sessions (`global_sessions` is its length), by id.
    pub fn sessions(&self) -> Vec<SessionInfoView> {
        self.sessions
            .sessions()
            .map(|(id, s)| SessionInfoView {
                session_id: id,
                timeout_ms: s.timeout_ms,
                expires_at_mono: self.sessions.expiry_of(id),
                closing: s.closing,
            })
            .collect()
    }

    /// `zk_global_sessions`.
    pub fn global_sessions(&self) -> usize {
        self.sessions.global_len()
    }

    /// `zk_local_sessions`.
    pub fn local_sessions(&self) -> usize {
        self.sessions.local_len()
    }

    /// The session expiry buckets (`dump`: "Session Sets (N)/(M)"), by monotonic time, empty
    /// buckets included.
    pub fn session_expiry_buckets(&self) -> Vec<(u64, Vec<i64>)> {
        self.sessions.expiry_buckets()
    }

    /// Sessions whose createSession has been applied, with their timeouts (what a snapshot
    /// stores).
    pub fn committed_sessions(&self) -> Vec<(i64, i32)> {
        self.sessions.committed_sessions().collect()
    }

    /// `dump`'s "Sessions with Ephemerals": per session its ephemeral paths, both in the JVM's
    /// iteration order (a `ConcurrentHashMap<Long, …>` of `HashSet` copies).
    pub fn ephemerals_by_session(&self) -> Vec<(i64, Vec<String>)> {
        let mut outer = ConcurrentHashSet::new();
        for (sid, _) in self.tree.sessions_with_ephemerals() {
            outer.insert(sid, long_hash(sid));
        }
        outer
            .iter()
            .map(|&sid| {
                let paths = self.tree.ephemerals(sid);
                let mut by_czxid: Vec<(i64, String)> = paths
                    .into_iter()
                    .map(|p| (self.tree.node(&p).map_or(0, |n| n.stat.czxid), p))
                    .collect();
                by_czxid.sort();
                let ordered: Vec<String> = by_czxid.into_iter().map(|(_, p)| p).collect();
                let set = JavaHashSet::from_collection(ordered.iter(), |p: &String| string_hash(p));
                (sid, set.iter().cloned().collect())
            })
            .collect()
    }

    /// The watch reports (`wchs`, `wchc`, `wchp`); watchers are connection ids (see
    /// [`ServerCore::session_of`]).
    pub fn watch_summary(&self) -> WatchSummary {
        self.tree.watch_summary()
    }

    /// The digest history for `hash`: one entry per zxid divisible by 128, at most 1024.
    pub fn digest_log(&self) -> Vec<ZxidDigest> {
        self.digest_log.iter().copied().collect()
    }

    /// Monotonic ms when the core was created (`uptime`).
    pub fn started_at_mono(&self) -> u64 {
        self.start_mono
    }

    /// Txns handed out as `Output::Persist` and not applied yet.
    pub fn pending_txns(&self) -> usize {
        self.in_flight.len()
    }
}
