//! `mntr`: `zk_<key>\t<value>` lines — `version` and `server_state` first, then every metric of
//! ZooKeeper 3.8.0's default metrics provider, in the order a 3.8.0 standalone server printed
//! them (`captures/fourlw_out.txt`).
//!
//! The shell fills in what it can measure (packets, bytes, latency, connections, outstanding
//! requests, response sizes, rejected and expired connections, file descriptors, uptime) and the
//! data-tree gauges come from the core. A quorum member adds `zk_peer_state` (third) and the
//! quorum gauges (`quorum_size`, `synced_observers`; on the leader `learners`,
//! `synced_followers`, `pending_syncs`, `leader_uptime`, proposal sizes). Metrics of machinery
//! zkrs does not have (JVM pauses, commit-processor queues, TLS, the response cache) are
//! reported as 0. The
//! `*_per_namespace` summaries, which ZooKeeper only creates once a namespace sees traffic, are
//! not reported.

use crate::java_fmt;
use crate::summary::Summary;
use crate::version::FULL_VERSION;

use super::{metric_values, FourLetterContext};

/// A metric's value, printed as `MonitorCommand.print` does.
#[derive(Debug, Clone, PartialEq)]
pub enum MetricValue {
    Long(i64),
    Double(f64),
    Text(String),
}

impl MetricValue {
    fn render(&self) -> String {
        match self {
            MetricValue::Long(v) => v.to_string(),
            MetricValue::Double(v) => java_fmt::double(*v),
            MetricValue::Text(s) => s.clone(),
        }
    }
}

/// Gauges and counters, in the 3.8.0 order (after `version` and `server_state`).
const FLAT_KEYS: &[&str] = &[
    "ephemerals_count",
    "num_alive_connections",
    "avg_latency",
    "outstanding_requests",
    "znode_count",
    "global_sessions",
    "non_mtls_remote_conn_count",
    "last_client_response_size",
    "packets_sent",
    "packets_received",
    "max_client_response_size",
    "connection_drop_probability",
    "watch_count",
    "auth_failed_count",
    "min_latency",
    "max_file_descriptor_count",
    "approximate_data_size",
    "open_file_descriptor_count",
    "local_sessions",
    "uptime",
    "max_latency",
    "outstanding_tls_handshake",
    "min_client_response_size",
    "non_mtls_local_conn_count",
    "proposal_count",
    "watch_bytes",
    "outstanding_changes_removed",
    "throttled_ops",
    "stale_requests_dropped",
    "large_requests_rejected",
    "insecure_admin_count",
    "connection_rejected",
    "cnxn_closed_without_zk_server_running",
    "sessionless_connections_expired",
    "looking_count",
    "dead_watchers_queued",
    "stale_requests",
    "connection_drop_count",
    "learner_proposal_received_count",
    "digest_mismatches_count",
    "dead_watchers_cleared",
    "response_packet_cache_hits",
    "bytes_received_count",
    "add_dead_watcher_stall_time",
    "request_throttle_wait_count",
    "requests_not_forwarded_to_commit_processor",
    "response_packet_cache_misses",
    "ensemble_auth_success",
    "prep_processor_request_queued",
    "learner_commit_received_count",
    "stale_replies",
    "connection_request_count",
    "response_bytes",
    "ensemble_auth_fail",
    "diff_count",
    "response_packet_get_children_cache_misses",
    "connection_revalidate_count",
    "quit_leading_due_to_disloyal_voter",
    "snap_count",
    "unrecoverable_error_count",
    "unsuccessful_handshake",
    "commit_count",
    "stale_sessions_expired",
    "response_packet_get_children_cache_hits",
    "sync_processor_request_queued",
    "outstanding_changes_queued",
    "request_commit_queued",
    "ensemble_auth_skip",
    "skip_learner_request_to_next_processor_count",
    "tls_handshake_exceeded",
    "revalidate_count",
];

/// The labelled gauges (`GaugeSet`s), printed as `<namespace>_<name>`.
const QUOTA_GAUGE_SETS: &[&str] = &[
    "quota_bytes_limit_per_namespace",
    "quota_count_usage_per_namespace",
    "quota_count_limit_per_namespace",
    "quota_bytes_usage_per_namespace",
];

/// Summaries in the 3.8.0 order; `true` marks ADVANCED ones (with percentiles).
const SUMMARIES: &[(&str, bool)] = &[
    ("socket_closing_time", false),
    ("proposal_process_time", false),
    ("leader_unavailable_time", false),
    ("node_created_watch_count", false),
    ("session_queues_drained", false),
    ("write_commit_proc_req_queued", false),
    ("connection_token_deficit", false),
    ("read_commit_proc_req_queued", false),
    ("node_deleted_watch_count", false),
    ("startup_txns_load_time", false),
    ("sync_processor_queue_size", false),
    ("follower_sync_time", false),
    ("prep_processor_queue_size", false),
    ("fsynctime", false),
    ("inflight_snap_count", false),
    ("reads_issued_from_session_queue", false),
    ("learner_request_processor_queue_size", false),
    ("snapshottime", false),
    ("unavailable_time", false),
    ("startup_txns_loaded", false),
    ("reads_after_write_in_session_queue", false),
    ("requests_in_session_queue", false),
    ("write_commit_proc_issued", false),
    ("prep_process_time", false),
    ("pending_session_queue_size", false),
    ("time_waiting_empty_pool_in_commit_processor_read_ms", false),
    ("commit_process_time", false),
    ("dbinittime", false),
    ("inflight_diff_count", false),
    ("netty_queued_buffer_capacity", false),
    ("election_time", false),
    ("commit_commit_proc_req_queued", false),
    ("sync_processor_batch_size", false),
    ("node_children_watch_count", false),
    ("write_batch_time_in_commit_processor", false),
    ("read_commit_proc_issued", false),
    ("concurrent_request_processing_in_commit_processor", false),
    ("observer_sync_time", false),
    ("node_changed_watch_count", false),
    ("sync_process_time", false),
    ("startup_snap_load_time", false),
    ("prep_processor_queue_time_ms", true),
    ("jvm_pause_time_ms", true),
    ("close_session_prep_time", true),
    ("read_commitproc_time_ms", true),
    ("updatelatency", true),
    ("local_write_committed_time_ms", true),
    ("request_throttle_queue_time_ms", true),
    ("readlatency", true),
    ("quorum_ack_latency", true),
    ("om_commit_process_time_ms", true),
    ("read_final_proc_time_ms", true),
    ("commit_propagation_latency", true),
    ("dead_watchers_cleaner_latency", true),
    ("write_final_proc_time_ms", true),
    ("proposal_ack_creation_latency", true),
    ("proposal_latency", true),
    ("om_proposal_process_time_ms", true),
    ("sync_processor_queue_and_flush_time_ms", true),
    ("propagation_latency", true),
    ("server_write_committed_time_ms", true),
    ("sync_processor_queue_time_ms", true),
    ("sync_processor_queue_flush_time_ms", true),
    ("write_commitproc_time_ms", true),
];

/// Every `(key, value)` pair, in output order, without the `zk_` prefix (the AdminServer's
/// `monitor` command maps the same list to JSON).
///
/// With `PrometheusMetricsProvider` configured: `version`, `server_state`, `peer_state` (quorum
/// members), then one pair per sample of the `/metrics` exposition, keyed by the sample name
/// with its labels (`readlatency{quantile="0.5"}`), every value a double (the provider's
/// `dump()`). Otherwise the default provider's keys.
pub fn metrics(ctx: &FourLetterContext<'_>) -> Vec<(String, MetricValue)> {
    if ctx.config.metrics_provider.is_prometheus() {
        let mut out = header(ctx);
        out.extend(super::prometheus::dump(ctx));
        return out;
    }
    let mut out = header(ctx);
    // A read-only member's server is not a `QuorumZooKeeperServer`: no quorum keys.
    let quorum_server = ctx.quorum.filter(|_| !ctx.core.is_read_only());
    for key in FLAT_KEYS {
        out.push((key.to_string(), metric_values::flat_value(ctx, key)));
        if *key == "non_mtls_local_conn_count" {
            // Gauge sets: `<key>_<name>` (3.8.0's place for them).
            for name in QUOTA_GAUGE_SETS {
                for (ns, v) in metric_values::labelled_gauges(ctx, name) {
                    out.push((format!("{ns}_{name}"), v));
                }
            }
        }
    }
    if let Some(q) = quorum_server {
        // The quorum gauges of a 3.8.0 member (their place in Java's output is a hash order).
        let long = |v: usize| MetricValue::Long(i64::try_from(v).unwrap_or(i64::MAX));
        out.push(("quorum_size".to_string(), long(q.quorum_size)));
        let synced_observers = q.leader.as_ref().map_or(0, |l| l.synced_observers);
        out.push(("synced_observers".to_string(), long(synced_observers)));
        if let Some(l) = &q.leader {
            out.push(("learners".to_string(), long(l.learners)));
            out.push(("synced_followers".to_string(), long(l.synced_followers)));
            out.push((
                "synced_non_voting_followers".to_string(),
                long(l.synced_non_voting_followers),
            ));
            out.push(("pending_syncs".to_string(), long(l.pending_syncs)));
            out.push((
                "leader_uptime".to_string(),
                MetricValue::Long(i64::try_from(l.leader_uptime_ms).unwrap_or(i64::MAX)),
            ));
            let (last, min, max) = l.proposal_sizes;
            out.push(("last_proposal_size".to_string(), MetricValue::Long(last)));
            out.push(("min_proposal_size".to_string(), MetricValue::Long(min)));
            out.push(("max_proposal_size".to_string(), MetricValue::Long(max)));
        }
    }
    let zero_basic = Summary::basic();
    let zero_advanced = Summary::advanced();
    for (name, advanced) in SUMMARIES {
        let summary = match metric_values::summary(ctx, name) {
            Some(s) => s,
            None if *advanced => &zero_advanced,
            None => &zero_basic,
        };
        push_summary(&mut out, name, summary);
    }
    // Summary sets: `avg_<key>_<name>` and the rest, after the plain summaries.
    for name in [
        "read_per_namespace",
        "write_per_namespace",
        "learner_handler_qp_size",
    ] {
        for (ns, summary) in metric_values::labelled_summaries(ctx, name) {
            push_summary(&mut out, &format!("{ns}_{name}"), summary);
        }
    }
    out
}

/// `version`, `server_state`, and `peer_state` (third, as in 3.8.0's output) on a quorum
/// member, then `observer_master_id` on an observer; a read-only member's server is not a
/// `QuorumZooKeeperServer`.
fn header(ctx: &FourLetterContext<'_>) -> Vec<(String, MetricValue)> {
    let mut out = vec![
        (
            "version".to_string(),
            MetricValue::Text(FULL_VERSION.to_string()),
        ),
        (
            "server_state".to_string(),
            MetricValue::Text(ctx.core.mode().to_string()),
        ),
    ];
    if let Some(q) = ctx.quorum.filter(|_| !ctx.core.is_read_only()) {
        out.push((
            "peer_state".to_string(),
            MetricValue::Text(q.peer_state.clone()),
        ));
        // `ObserverZooKeeperServer.dumpMonitorValues`.
        if let Some(id) = q.observer_master_id {
            out.push(("observer_master_id".to_string(), long(id)));
        }
    }
    out
}

/// The `mntr` text.
pub fn mntr(ctx: &FourLetterContext<'_>) -> String {
    let mut text = String::new();
    for (key, value) in metrics(ctx) {
        text.push_str("zk_");
        text.push_str(&key);
        text.push('\t');
        text.push_str(&value.render());
        text.push('\n');
    }
    text
}

fn push_summary(out: &mut Vec<(String, MetricValue)>, name: &str, s: &Summary) {
    out.push((format!("avg_{name}"), MetricValue::Double(s.avg())));
    out.push((format!("min_{name}"), long(s.min())));
    out.push((format!("max_{name}"), long(s.max())));
    out.push((format!("cnt_{name}"), long(s.count())));
    out.push((format!("sum_{name}"), long(s.sum())));
    if s.is_advanced() {
        for (label, q) in [("p50", 0.5), ("p95", 0.95), ("p99", 0.99), ("p999", 0.999)] {
            out.push((format!("{label}_{name}"), long(s.percentile(q))));
        }
    }
}

pub(crate) fn long(v: u64) -> MetricValue {
    MetricValue::Long(i64::try_from(v).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_count_matches_the_capture_without_namespaces() {
        // The 3.8.0 capture has 540 keys, 55 of them from 11 `*_per_namespace` summaries.
        let basic = SUMMARIES.iter().filter(|(_, adv)| !adv).count();
        let advanced = SUMMARIES.len() - basic;
        assert_eq!(2 + FLAT_KEYS.len() + basic * 5 + advanced * 9, 485);
    }
}
