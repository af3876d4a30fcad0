//! The value behind each metric name: what `mntr`, the AdminServer's `monitor` and the
//! Prometheus exposition report. One function per shape (flat gauges and counters, summaries,
//! labelled families); every renderer looks values up here by ZooKeeper's metric name.

use std::sync::atomic::Ordering;

use crate::summary::Summary;

use super::mntr::{long, MetricValue};
use super::FourLetterContext;

/// The summary named `name` (ZooKeeper's `ServerMetrics` name), `None` for one zkrs never
/// records (reported as an empty summary).
pub fn summary<'a>(ctx: &FourLetterContext<'a>, name: &str) -> Option<&'a Summary> {
    let s = ctx.stats;
    let t = ctx.core.tree_metrics();
    Some(match name {
        "node_created_watch_count" => &t.node_created_watch_count,
        "node_deleted_watch_count" => &t.node_deleted_watch_count,
        "node_changed_watch_count" => &t.node_changed_watch_count,
        "node_children_watch_count" => &t.node_children_watch_count,
        "readlatency" => &s.read_latency,
        "updatelatency" => &s.update_latency,
        "fsynctime" => &s.fsync_time,
        "sync_processor_batch_size" => &s.sync_batch_size,
        "snapshottime" => &s.snapshot_time,
        "startup_txns_loaded" => &s.startup_txns_loaded,
        "startup_txns_load_time" => &s.startup_txns_load_time,
        "startup_snap_load_time" => &s.startup_snap_load_time,
        "dbinittime" => &s.db_init_time,
        "election_time" => &s.quorum.election_time,
        "unavailable_time" => &s.quorum.unavailable_time,
        "leader_unavailable_time" => &s.quorum.leader_unavailable_time,
        "follower_sync_time" => &s.quorum.follower_sync_time,
        "observer_sync_time" => &s.quorum.observer_sync_time,
        "quorum_ack_latency" => &s.quorum.quorum_ack_latency,
        "propagation_latency" => &s.quorum.propagation_latency,
        "proposal_latency" => &s.quorum.proposal_latency,
        "inflight_diff_count" => &s.quorum.inflight_diff_count,
        "inflight_snap_count" => &s.quorum.inflight_snap_count,
        "proposal_ack_creation_latency" => &s.quorum.proposal_ack_creation_latency,
        "commit_propagation_latency" => &s.quorum.commit_propagation_latency,
        "sync_processor_queue_size" => &s.sync_queue_size,
        "sync_processor_queue_and_flush_time_ms" => &s.sync_queue_and_flush_time,
        "sync_processor_queue_flush_time_ms" => &s.sync_flush_time,
        "sync_processor_queue_time_ms" => &s.sync_queue_time,
        _ => return None,
    })
}

/// The members of a labelled gauge or counter family (`quota_*_per_namespace`), as (label,
/// value),
/// sorted by label.
pub fn labelled_gauges(ctx: &FourLetterContext<'_>, name: &str) -> Vec<(String, MetricValue)> {
    let pick: fn(&zkrs_datatree::tree_metrics::QuotaUsage) -> i64 = match name {
        "quota_count_limit_per_namespace" => |q| q.count_limit,
        "quota_bytes_limit_per_namespace" => |q| q.bytes_limit,
        "quota_count_usage_per_namespace" => |q| q.count_usage,
        "quota_bytes_usage_per_namespace" => |q| q.bytes_usage,
        // A counter set, listed with the labelled gauges.
        "quota_exceeded_error_per_namespace" => {
            return ctx
                .core
                .quota_exceeded_counts()
                .iter()
                .map(|(ns, n)| (ns.clone(), long(*n)))
                .collect();
        }
        _ => return Vec::new(),
    };
    ctx.core
        .quota_usage()
        .iter()
        .map(|(ns, q)| (ns.clone(), MetricValue::Long(pick(q))))
        .collect()
}

/// The members of a labelled summary family (`write_per_namespace`, `read_per_namespace`,
/// `learner_handler_qp_size`, ...), as (label, summary), sorted by label.
pub fn labelled_summaries<'a>(
    ctx: &FourLetterContext<'a>,
    name: &str,
) -> Vec<(String, &'a Summary)> {
    let t = ctx.core.tree_metrics();
    let map = match name {
        "write_per_namespace" => &t.write_per_namespace,
        "read_per_namespace" => &t.read_per_namespace,
        "learner_handler_qp_size" => {
            return ctx
                .stats
                .quorum
                .learner_handler_qp_size
                .iter()
                .map(|(sid, s)| (sid.to_string(), s))
                .collect();
        }
        _ => return Vec::new(),
    };
    let mut out: Vec<(String, &'a Summary)> = map.iter().map(|(k, v)| (k.to_owned(), v)).collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// A gauge's or counter's value.
pub fn flat_value(ctx: &FourLetterContext<'_>, key: &str) -> MetricValue {
    let s = ctx.stats;
    let c = ctx.core.counters();
    match key {
        "ephemerals_count" => long(ctx.core.ephemerals_count()),
        "num_alive_connections" => long(ctx.core.num_alive_connections()),
        "avg_latency" => MetricValue::Double(c.avg_latency_ms),
        "min_latency" => MetricValue::Long(c.min_latency_ms),
        "max_latency" => MetricValue::Long(c.max_latency_ms),
        "outstanding_requests" => long(ctx.core.outstanding_requests()),
        "znode_count" => long(ctx.core.node_count()),
        "global_sessions" => long(ctx.core.session_count()),
        "local_sessions" => long(ctx.core.local_session_count()),
        "watch_count" => long(ctx.core.watch_count()),
        "approximate_data_size" => MetricValue::Long(ctx.core.approximate_data_size()),
        "last_client_response_size" => MetricValue::Long(s.client_response_size.last),
        "min_client_response_size" => MetricValue::Long(s.client_response_size.min),
        "max_client_response_size" => MetricValue::Long(s.client_response_size.max),
        "packets_sent" => long(c.packets_sent),
        "packets_received" => long(c.packets_received),
        "connection_drop_probability" => MetricValue::Double(0.0),
        "auth_failed_count" => long(s.auth_failed),
        "max_file_descriptor_count" => long(max_file_descriptors()),
        "open_file_descriptor_count" => long(open_file_descriptors()),
        "uptime" => long(ctx.uptime_ms),
        "connection_rejected" => long(ctx.limits.rejected.load(Ordering::Relaxed)),
        "connection_request_count" => long(ctx.limits.accepted.load(Ordering::Relaxed)),
        "sessionless_connections_expired" => long(s.connections_expired),
        "bytes_received_count" => long(s.bytes_received),
        "response_bytes" => long(s.response_bytes),
        "watch_bytes" => long(s.watch_bytes),
        "prep_processor_request_queued" => long(ctx.core.server_stats().prep_requests_queued),
        "connection_revalidate_count" => long(ctx.core.server_stats().connection_revalidates),
        "stale_sessions_expired" => long(ctx.core.server_stats().stale_sessions_expired),
        "revalidate_count" => long(s.quorum.revalidate_count),
        "outstanding_changes_queued" => long(ctx.core.outstanding_change_counts().0),
        "outstanding_changes_removed" => long(ctx.core.outstanding_change_counts().1),
        "sync_processor_request_queued" => long(s.sync_requests_queued),
        "looking_count" => long(s.quorum.looking_count),
        "proposal_count" => long(s.quorum.proposal_count),
        "commit_count" => long(s.quorum.commit_count),
        "learner_proposal_received_count" => long(s.quorum.learner_proposal_received_count),
        "learner_commit_received_count" => long(s.quorum.learner_commit_received_count),
        "request_commit_queued" => long(s.quorum.request_commit_queued),
        "diff_count" => long(s.quorum.diff_count),
        "snap_count" => long(s.quorum.snap_count),
        _ => MetricValue::Long(0),
    }
}

/// Entries of `/proc/self/fd` (0 where there is no procfs).
fn open_file_descriptors() -> u64 {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count() as u64)
}

/// The soft `Max open files` limit from `/proc/self/limits` (0 if unknown or unlimited).
fn max_file_descriptors() -> u64 {
    std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("Max open files"))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|soft| soft.parse().ok())
        })
        .unwrap_or(0)
}
