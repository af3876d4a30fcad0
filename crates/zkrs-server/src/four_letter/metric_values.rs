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
    Some(match name {
        "readlatency" => &s.read_latency,
        "updatelatency" => &s.update_latency,
        "fsynctime" => &s.fsync_time,
        "sync_processor_batch_size" => &s.sync_batch_size,
        "snapshottime" => &s.snapshot_time,
        "startup_txns_loaded" => &s.startup_txns_loaded,
        "startup_txns_load_time" => &s.startup_txns_load_time,
        "startup_snap_load_time" => &s.startup_snap_load_time,
        "dbinittime" => &s.db_init_time,
        _ => return None,
    })
}

#[allow(dead_code)] // used by the Prometheus exposition (in progress)
/// The members of a labelled gauge family (`quota_*_per_namespace`), as (label, value).
pub fn labelled_gauges(_ctx: &FourLetterContext<'_>, _name: &str) -> Vec<(String, MetricValue)> {
    Vec::new()
}

#[allow(dead_code)] // used by the Prometheus exposition (in progress)
/// The members of a labelled summary family (`write_per_namespace`, `read_per_namespace`,
/// `learner_handler_qp_size`, ...), as (label, summary).
pub fn labelled_summaries<'a>(
    _ctx: &FourLetterContext<'a>,
    _name: &str,
) -> Vec<(String, &'a Summary)> {
    Vec::new()
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
        "snap_count" => long(s.snapshots),
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
