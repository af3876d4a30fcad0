//! [`CATALOGUE`]: every family ZooKeeper 3.8.0 with `PrometheusMetricsProvider` exports, except
//! the `jvm_*` collectors, in the order a 3.8.0 leader printed them
//! (`tests/observability/captures-3.8.0/ensemble-leader/leader/metrics.txt`). Java's order is
//! the hash order of simpleclient's registry and differs between the captures (roles, runs);
//! zkrs keeps this one fixed. No scraper depends on it.
//!
//! `jvm_pause_time_ms` is ZooKeeper's own summary (`ServerMetrics.JVM_PAUSE_TIME`, fed by
//! `JvmPauseMonitor`, off by default), not a JVM collector, so it is here.

use crate::family::{Family, Kind, ADVANCED, BASIC};
use crate::role::{Role, Roles};

/// Every family, in exposition order.
pub const CATALOGUE: &[Family] = &[
    Family::counter("sessionless_connections_expired", None),
    Family::counter("learner_commit_received_count", None),
    Family::gauge("max_latency", None),
    Family::gauge("packets_received", None),
    Family::summary("node_changed_watch_count", BASIC, None),
    Family::summary("write_per_namespace", BASIC, Some("key")),
    Family::summary(
        "time_waiting_empty_pool_in_commit_processor_read_ms",
        BASIC,
        None,
    ),
    Family::summary("election_time", BASIC, None),
    Family::summary("proposal_process_time", BASIC, None),
    Family::summary("startup_txns_load_time", BASIC, None),
    Family::counter("dead_watchers_queued", None),
    Family::counter("ensemble_auth_skip", None),
    Family::summary("sync_processor_queue_size", BASIC, None),
    Family::gauge("synced_non_voting_followers", None).only(Roles::LEADER),
    Family::summary("jvm_pause_time_ms", ADVANCED, None),
    Family::gauge("leader_uptime", None).only(Roles::LEADER),
    Family::counter("response_packet_cache_misses", None),
    Family::counter("response_packet_get_children_cache_hits", None),
    Family::summary(
        "concurrent_request_processing_in_commit_processor",
        BASIC,
        None,
    ),
    Family::gauge("uptime", None),
    Family::gauge("approximate_data_size", None),
    Family::gauge("auth_failed_count", None),
    Family::summary("fsynctime", BASIC, None),
    Family::summary("pending_session_queue_size", BASIC, None),
    Family::summary("read_final_proc_time_ms", ADVANCED, None),
    Family::counter("digest_mismatches_count", None),
    Family::gauge("max_proposal_size", None).only(Roles::LEADER),
    Family::summary("prep_processor_queue_size", BASIC, None),
    Family::gauge("open_file_descriptor_count", None),
    Family::summary("snapshottime", BASIC, None),
    Family::gauge("watch_count", None),
    Family::summary("local_write_committed_time_ms", ADVANCED, None),
    Family::gauge("pending_syncs", None).only(Roles::LEADER),
    Family::summary("startup_txns_loaded", BASIC, None),
    Family::summary("proposal_latency", ADVANCED, None),
    Family::gauge("min_client_response_size", None),
    Family::summary("updatelatency", ADVANCED, None),
    Family::summary("session_queues_drained", BASIC, None),
    Family::counter("add_dead_watcher_stall_time", None),
    Family::summary("learner_request_processor_queue_size", BASIC, None),
    Family::counter("dead_watchers_cleared", None),
    Family::counter("request_commit_queued", None),
    Family::counter("insecure_admin_count", None),
    Family::counter("stale_sessions_expired", None),
    Family::gauge("learners", None).only(Roles::LEADER),
    Family::gauge("outstanding_requests", None),
    Family::counter("stale_replies", None),
    Family::summary("inflight_diff_count", BASIC, None),
    Family::summary("om_commit_process_time_ms", ADVANCED, None),
    Family::summary("read_commit_proc_issued", BASIC, None),
    Family::counter("large_requests_rejected", None),
    Family::counter("outstanding_changes_queued", None),
    Family::counter("response_packet_cache_hits", None),
    Family::counter("quota_exceeded_error_per_namespace", Some("key")),
    Family::counter("tls_handshake_exceeded", None),
    Family::counter("cnxn_closed_without_zk_server_running", None),
    Family::gauge("max_client_response_size", None),
    Family::summary("read_commit_proc_req_queued", BASIC, None),
    Family::summary("sync_process_time", BASIC, None),
    Family::summary("node_children_watch_count", BASIC, None),
    Family::summary("connection_token_deficit", BASIC, None),
    Family::summary("commit_process_time", BASIC, None),
    Family::gauge("znode_count", None),
    Family::counter("stale_requests_dropped", None),
    Family::gauge("quota_count_limit_per_namespace", Some("key")),
    Family::summary("node_deleted_watch_count", BASIC, None),
    Family::summary("learner_handler_qp_size", BASIC, Some("key")),
    Family::summary("prep_processor_queue_time_ms", ADVANCED, None),
    Family::counter("connection_drop_count", None),
    Family::counter("unrecoverable_error_count", None),
    Family::summary("server_write_committed_time_ms", ADVANCED, None),
    Family::counter("looking_count", None),
    Family::counter("unsuccessful_handshake", None),
    Family::gauge("num_alive_connections", None),
    Family::gauge("quota_bytes_usage_per_namespace", Some("key")),
    Family::summary("node_created_watch_count", BASIC, None),
    Family::summary("netty_queued_buffer_capacity", BASIC, None),
    Family::summary("startup_snap_load_time", BASIC, None),
    Family::summary("learner_handler_qp_time_ms", ADVANCED, Some("key")),
    Family::counter("request_throttle_wait_count", None),
    Family::gauge("quota_bytes_limit_per_namespace", Some("key")),
    Family::counter("ensemble_auth_success", None),
    Family::counter("response_packet_get_children_cache_misses", None),
    Family::counter("ensemble_auth_fail", None),
    Family::counter("watch_bytes", None),
    Family::summary("write_commit_proc_issued", BASIC, None),
    Family::summary("quorum_ack_latency", ADVANCED, None),
    Family::gauge("synced_followers", None).only(Roles::LEADER),
    Family::counter("prep_processor_request_queued", None),
    Family::summary("write_commitproc_time_ms", ADVANCED, None),
    Family::gauge("avg_latency", None),
    Family::gauge("packets_sent", None),
    Family::gauge("min_proposal_size", None).only(Roles::LEADER),
    Family::counter("requests_not_forwarded_to_commit_processor", None),
    Family::summary("sync_processor_queue_time_ms", ADVANCED, None),
    Family::counter("response_bytes", None),
    Family::summary("commit_propagation_latency", ADVANCED, None),
    Family::summary("write_batch_time_in_commit_processor", BASIC, None),
    Family::summary("write_commit_proc_req_queued", BASIC, None),
    Family::counter("commit_count", None),
    Family::gauge("quota_count_usage_per_namespace", Some("key")),
    Family::gauge("ephemerals_count", None),
    Family::counter("bytes_received_count", None),
    Family::counter("outstanding_changes_removed", None),
    Family::counter("connection_revalidate_count", None),
    Family::summary("socket_closing_time", BASIC, None),
    Family::counter("skip_learner_request_to_next_processor_count", None),
    Family::summary("inflight_snap_count", BASIC, None),
    Family::summary("sync_processor_batch_size", BASIC, None),
    Family::gauge("non_mtls_remote_conn_count", None),
    Family::counter("diff_count", None),
    Family::counter("proposal_count", None),
    Family::gauge("outstanding_tls_handshake", None),
    Family::counter("sync_processor_request_queued", None),
    Family::summary("dbinittime", BASIC, None),
    Family::counter("snap_count", None),
    Family::counter("learner_proposal_received_count", None),
    Family::summary("close_session_prep_time", ADVANCED, None),
    Family::summary("sync_processor_queue_and_flush_time_ms", ADVANCED, None),
    Family::gauge("quorum_size", None).only(Roles::QUORUM),
    Family::gauge("synced_observers", None).only(Roles::VOTERS),
    Family::summary("observer_sync_time", BASIC, None),
    Family::summary("sync_processor_queue_flush_time_ms", ADVANCED, None),
    Family::summary("read_per_namespace", BASIC, Some("key")),
    Family::summary("leader_unavailable_time", BASIC, None),
    Family::counter("revalidate_count", None),
    Family::summary("prep_process_time", BASIC, None),
    Family::gauge("global_sessions", None),
    Family::summary("dead_watchers_cleaner_latency", ADVANCED, None),
    Family::gauge("non_mtls_local_conn_count", None),
    Family::summary("reads_issued_from_session_queue", BASIC, None),
    Family::gauge("connection_drop_probability", None),
    Family::process(
        "process_cpu_seconds_total",
        Kind::Counter,
        "Total user and system CPU time spent in seconds.",
    ),
    Family::process(
        "process_start_time_seconds",
        Kind::Gauge,
        "Start time of the process since unix epoch in seconds.",
    ),
    Family::process(
        "process_open_fds",
        Kind::Gauge,
        "Number of open file descriptors.",
    ),
    Family::process(
        "process_max_fds",
        Kind::Gauge,
        "Maximum number of open file descriptors.",
    ),
    Family::process(
        "process_virtual_memory_bytes",
        Kind::Gauge,
        "Virtual memory size in bytes.",
    ),
    Family::process(
        "process_resident_memory_bytes",
        Kind::Gauge,
        "Resident memory size in bytes.",
    ),
    Family::summary("propagation_latency", ADVANCED, None),
    Family::summary("request_throttle_queue_time_ms", ADVANCED, None),
    Family::gauge("last_client_response_size", None),
    Family::summary("ack_latency", ADVANCED, Some("key")),
    Family::summary("follower_sync_time", BASIC, None),
    Family::gauge("local_sessions", None),
    Family::summary("proposal_ack_creation_latency", ADVANCED, None),
    Family::counter("connection_rejected", None),
    Family::gauge("max_file_descriptor_count", None),
    Family::summary("read_commitproc_time_ms", ADVANCED, None),
    Family::summary("write_final_proc_time_ms", ADVANCED, None),
    Family::summary("unavailable_time", BASIC, None),
    Family::summary("commit_commit_proc_req_queued", BASIC, None),
    Family::summary("readlatency", ADVANCED, None),
    Family::counter("quit_leading_due_to_disloyal_voter", None),
    Family::summary("om_proposal_process_time_ms", ADVANCED, None),
    Family::summary("requests_in_session_queue", BASIC, None),
    Family::counter("stale_requests", None),
    Family::gauge("last_proposal_size", None).only(Roles::LEADER),
    Family::summary("reads_after_write_in_session_queue", BASIC, None),
    Family::gauge("min_latency", None),
    Family::counter("connection_request_count", None),
    Family::counter("throttled_ops", None),
];

/// The families a server in `role` exports, in order. `serving`: whether its
/// `ZooKeeperServer` runs (a quorum member without a quorum has no server gauges);
/// `process`: whether the `process_*` families are on (`metricsProvider.exportJvmInfo`).
pub fn families_for(
    role: Role,
    serving: bool,
    process: bool,
) -> impl Iterator<Item = &'static Family> {
    CATALOGUE.iter().filter(move |f| {
        f.exists_on(role, serving) && (process || matches!(f.origin, crate::Origin::ZooKeeper))
    })
}

/// The family named `name`.
pub fn find(name: &str) -> Option<&'static Family> {
    CATALOGUE.iter().find(|f| f.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(role: Role, kind: Option<Kind>) -> usize {
        families_for(role, true, false)
            .filter(|f| !matches!(kind, Some(k) if f.kind != k))
            .count()
    }

    #[test]
    fn counts_match_the_3_8_0_captures() {
        // README of the captures: 145 own families standalone (48 counters, 28 gauges, 69
        // summaries); follower +2, observer +1, leader +10.
        assert_eq!(count(Role::Standalone, None), 145);
        assert_eq!(count(Role::Standalone, Some(Kind::Counter)), 48);
        assert_eq!(count(Role::Standalone, Some(Kind::Gauge)), 28);
        assert_eq!(count(Role::Standalone, Some(Kind::Summary)), 69);
        assert_eq!(count(Role::Follower, None), 147);
        assert_eq!(count(Role::Observer, None), 146);
        assert_eq!(count(Role::Leader, None), 155);
        assert_eq!(families_for(Role::Leader, true, true).count(), 161);
    }

    #[test]
    fn not_serving_drops_the_server_gauges_only() {
        let looking: Vec<_> = families_for(Role::Follower, false, true).collect();
        assert!(looking
            .iter()
            .all(|f| f.kind != Kind::Gauge || f.name.starts_with("process_")));
        assert!(looking.iter().any(|f| f.name == "readlatency"));
        assert!(looking.iter().any(|f| f.name == "process_open_fds"));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<_> = CATALOGUE.iter().map(|f| f.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CATALOGUE.len());
    }
}
