//! [`CoreView`]: the read-only questions the four-letter words ask the sans-IO core, in one
//! place, mapped onto `ServerCore`'s introspection accessors (`zkrs_session::introspect`).

use zkrs_session::{ConnId, ConnectionInfo, ServerCore};

/// `wchs`/`wchc`/`wchp`: the data watches (ZooKeeper 3.8 reports no child watches there), with
/// watchers already mapped to their session ids.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Watches {
    /// Watchers (connections) with a data-watch table entry.
    pub connections: usize,
    /// Paths with at least one data watch.
    pub paths: usize,
    /// Watcher/path pairs.
    pub total: usize,
    /// Session id → watched paths.
    pub by_session: Vec<(i64, Vec<String>)>,
    /// Path → watching session ids.
    pub by_path: Vec<(String, Vec<i64>)>,
}

/// `srvr`'s server-wide counters, as the core keeps them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CoreCounters {
    pub packets_received: u64,
    pub packets_sent: u64,
    pub min_latency_ms: i64,
    pub avg_latency_ms: f64,
    pub max_latency_ms: i64,
}

/// Borrowed view of the core for rendering.
#[derive(Debug, Clone, Copy)]
pub struct CoreView<'a> {
    core: &'a ServerCore,
}

impl<'a> CoreView<'a> {
    pub fn new(core: &'a ServerCore) -> CoreView<'a> {
        CoreView { core }
    }

    /// `Zxid:` / the zxid of the last applied txn.
    /// The role `srvr` prints after `Mode:` and `mntr` as `zk_server_state`.
    pub fn mode(&self) -> &'static str {
        if self.core.is_read_only() {
            return "read-only";
        }
        self.core.role().state_name()
    }

    /// Read-only mode is running (`isro`: `ro`).
    pub fn is_read_only(&self) -> bool {
        self.core.is_read_only()
    }

    /// Clients are served (a quorum member has a quorum; always true standalone).
    pub fn is_serving(&self) -> bool {
        self.core.is_serving()
    }

    pub fn last_processed_zxid(&self) -> i64 {
        self.core.last_processed_zxid()
    }

    /// `DataTree.getNodeCount()`: znodes + 1 (the root is stored under "" and "/").
    pub fn node_count(&self) -> u64 {
        self.core.tree().node_count() as u64
    }

    /// `DataTree.getWatchCount()`: data + child watches.
    pub fn watch_count(&self) -> u64 {
        self.core.tree().watch_count() as u64
    }

    /// `DataTree.getEphemeralsCount()`.
    pub fn ephemerals_count(&self) -> u64 {
        self.core.tree().ephemeral_count() as u64
    }

    /// `approximate_data_size`.
    pub fn approximate_data_size(&self) -> i64 {
        self.core.tree().approximate_data_size()
    }

    /// `global_sessions`.
    pub fn session_count(&self) -> u64 {
        self.core.global_sessions() as u64
    }

    /// `local_sessions`.
    pub fn local_session_count(&self) -> u64 {
        self.core.local_sessions() as u64
    }

    /// `Outstanding:`: requests the core has received and not answered.
    pub fn outstanding_requests(&self) -> u64 {
        self.core.outstanding_requests() as u64
    }

    /// `Connections:`: connections the core considers open.
    pub fn num_alive_connections(&self) -> u64 {
        self.core.num_alive_connections() as u64
    }

    /// The core's `ServerMetrics` counters.
    pub fn server_stats(&self) -> &'a zkrs_session::stats::ServerStats {
        self.core.server_stats()
    }

    /// `quota_exceeded_error_per_namespace`, by namespace.
    pub fn quota_exceeded_counts(&self) -> &'a std::collections::BTreeMap<String, u64> {
        self.core.quota_exceeded_counts()
    }

    /// (`outstanding_changes_queued`, `outstanding_changes_removed`).
    pub fn outstanding_change_counts(&self) -> (u64, u64) {
        self.core.outstanding_change_counts()
    }

    /// The tree's per-namespace and watch-trigger metrics.
    pub fn tree_metrics(&self) -> &'a zkrs_datatree::TreeMetrics {
        self.core.tree().metrics()
    }

    /// The `quota_*_per_namespace` gauges, by namespace (walks `/zookeeper/quota`).
    pub fn quota_usage(
        &self,
    ) -> std::collections::BTreeMap<String, zkrs_datatree::tree_metrics::QuotaUsage> {
        zkrs_datatree::tree_metrics::quota_usage(self.core.tree())
    }

    /// `srvr`'s packet and latency counters.
    pub fn counters(&self) -> CoreCounters {
        let s = self.core.server_stats();
        CoreCounters {
            packets_received: s.packets_received,
            packets_sent: s.packets_sent,
            min_latency_ms: s.latency.min(),
            avg_latency_ms: s.latency.avg(),
            max_latency_ms: s.latency.max(),
        }
    }

    /// One connection's `cons` fields (`None` once the core is closing it).
    pub fn connection(&self, conn: ConnId) -> Option<ConnectionInfo> {
        self.core.connection_info(conn)
    }

    /// The data watches, by session and by path.
    pub fn watches(&self) -> Watches {
        let summary = self.core.tree().watch_summary();
        let session_of = |watcher: u64| self.core.session_of(watcher);
        Watches {
            connections: summary.num_connections,
            paths: summary.num_paths,
            total: summary.total_watches,
            by_session: summary
                .by_watcher
                .into_iter()
                .map(|(w, paths)| (session_of(w), paths))
                .collect(),
            by_path: summary
                .by_path
                .into_iter()
                .map(|(path, ws)| (path, ws.into_iter().map(session_of).collect()))
                .collect(),
        }
    }

    /// `dump`: session expiry buckets (monotonic ms → session ids), empty buckets included.
    pub fn session_expiry_buckets(&self) -> Vec<(u64, Vec<i64>)> {
        self.core.session_expiry_buckets()
    }

    /// The committed (global) sessions and their timeouts.
    pub fn global_sessions_with_timeouts(&self) -> Vec<(i64, i32)> {
        self.core.committed_sessions()
    }

    /// `dump`: ephemeral paths by owning session.
    pub fn ephemerals(&self) -> Vec<(i64, Vec<String>)> {
        self.core.ephemerals_by_session()
    }

    /// `hash`: the digest log, `(zxid, digest)`.
    pub fn digest_log(&self) -> Vec<(i64, i64)> {
        self.core
            .digest_log()
            .into_iter()
            .map(|d| (d.zxid, d.digest))
            .collect()
    }
}
