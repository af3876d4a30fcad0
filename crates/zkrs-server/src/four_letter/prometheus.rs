//! The metrics of `PrometheusMetricsProvider`: every ZooKeeper family of the member's role
//! with its values (from [`metric_values`]), for the `/metrics` exposition and for `mntr`
//! (which then prints one line per exposition sample, as the provider's `dump()` does).
//!
//! - Role: standalone (also a quorum member in read-only mode, a plain `ZooKeeperServer`),
//!   follower, observer or leader; a quorum member that does not serve (LOOKING, syncing) has
//!   no server gauges (`unregisterMetrics`), counters and summaries stay.
//! - Quorum gauges (`quorum_size`, `synced_observers`, the leader's) come from the member's
//!   [`QuorumInfo`](super::QuorumInfo).
//! - Summaries: the quantiles of [`Summary::percentile`] (`NaN` while empty), count, sum.
//! - `process_*` (instead of the JVM's collectors) unless `metricsProvider.exportJvmInfo` is
//!   `false`; read from `/proc/self` ([`ProcessStats`]).

use zkrs_metrics::{
    families_for, mntr_samples, write_text, Family, FamilySamples, Kind, Origin, Role, Samples,
    SummaryValue,
};

use crate::process_stats::ProcessStats;
use crate::summary::Summary;

use super::mntr::MetricValue;
use super::{metric_values, FourLetterContext};

/// The role whose families the member exports.
pub fn role(ctx: &FourLetterContext<'_>) -> Role {
    match ctx.quorum.filter(|_| !ctx.core.is_read_only()) {
        None => Role::Standalone,
        Some(q) if q.leader.is_some() => Role::Leader,
        Some(q) if q.peer_type == 1 => Role::Observer,
        Some(_) => Role::Follower,
    }
}

/// Whether the member's `ZooKeeperServer` runs (its gauges are registered).
pub fn serving(ctx: &FourLetterContext<'_>) -> bool {
    ctx.quorum.is_none() || ctx.core.is_serving() || ctx.core.is_read_only()
}

/// Whether the `process_*` families are exported: `metricsProvider.exportJvmInfo`, read as
/// ZooKeeper does (`Boolean.parseBoolean(getProperty("exportJvmInfo", "true"))`: absent or
/// `true` in any case is on, anything else off).
pub fn exports_process(ctx: &FourLetterContext<'_>) -> bool {
    match ctx.config.metrics_provider.get("exportJvmInfo") {
        None => true,
        Some(v) => v.trim().eq_ignore_ascii_case("true"),
    }
}

/// Every family of the member with its values, in exposition order; only those named in
/// `names` when it is not empty (`?name[]=`).
pub fn families(ctx: &FourLetterContext<'_>, names: &[String]) -> Vec<FamilySamples> {
    let process = exports_process(ctx).then(ProcessStats::read);
    families_for(role(ctx), serving(ctx), process.is_some())
        .filter(|f| names.is_empty() || names.iter().any(|n| n == f.name))
        .filter_map(|family| {
            let samples = match family.origin {
                Origin::Process { .. } => match process.and_then(|p| p.value(family.name)) {
                    Some(v) => Samples::Value(v),
                    // No procfs: simpleclient omits what it cannot read; so do we.
                    None => return None,
                },
                Origin::ZooKeeper => samples(ctx, family),
            };
            Some(FamilySamples { family, samples })
        })
        .collect()
}

/// The text exposition (format 0.0.4).
pub fn exposition(ctx: &FourLetterContext<'_>, names: &[String]) -> String {
    write_text(&families(ctx, names))
}

/// The provider's `dump()`: (sample name with labels, value), every value a double.
pub fn dump(ctx: &FourLetterContext<'_>) -> Vec<(String, MetricValue)> {
    mntr_samples(&families(ctx, &[]))
        .into_iter()
        .map(|(k, v)| (k, MetricValue::Double(v)))
        .collect()
}

fn samples(ctx: &FourLetterContext<'_>, family: &Family) -> Samples {
    match (family.kind, family.label.is_some()) {
        (Kind::Summary, false) => {
            Samples::Summary(match metric_values::summary(ctx, family.name) {
                Some(s) => summary_value(family, s),
                None => SummaryValue::empty(family.quantiles.len()),
            })
        }
        (Kind::Summary, true) => {
            let mut children: Vec<(String, SummaryValue)> =
                metric_values::labelled_summaries(ctx, family.name)
                    .into_iter()
                    .map(|(k, s)| (k, summary_value(family, s)))
                    .collect();
            children.sort_by(|a, b| a.0.cmp(&b.0));
            Samples::LabelledSummaries(children)
        }
        (_, true) => {
            let mut children: Vec<(String, f64)> = metric_values::labelled_gauges(ctx, family.name)
                .into_iter()
                .map(|(k, v)| (k, as_f64(&v)))
                .collect();
            children.sort_by(|a, b| a.0.cmp(&b.0));
            Samples::Labelled(children)
        }
        (_, false) => Samples::Value(
            quorum_gauge(ctx, family.name)
                .unwrap_or_else(|| as_f64(&metric_values::flat_value(ctx, family.name))),
        ),
    }
}

/// The gauges of a quorum member (`QuorumZooKeeperServer`, `LeaderZooKeeperServer`).
fn quorum_gauge(ctx: &FourLetterContext<'_>, name: &str) -> Option<f64> {
    let q = ctx.quorum?;
    let leader = q.leader.as_ref();
    let v = match name {
        "quorum_size" => q.quorum_size as f64,
        "synced_observers" => leader.map_or(0, |l| l.synced_observers) as f64,
        "learners" => leader?.learners as f64,
        "synced_followers" => leader?.synced_followers as f64,
        "synced_non_voting_followers" => leader?.synced_non_voting_followers as f64,
        "pending_syncs" => leader?.pending_syncs as f64,
        "leader_uptime" => leader?.leader_uptime_ms as f64,
        "last_proposal_size" => leader?.proposal_sizes.0 as f64,
        "min_proposal_size" => leader?.proposal_sizes.1 as f64,
        "max_proposal_size" => leader?.proposal_sizes.2 as f64,
        _ => return None,
    };
    Some(v)
}

fn summary_value(family: &Family, s: &Summary) -> SummaryValue {
    if s.count() == 0 {
        return SummaryValue::empty(family.quantiles.len());
    }
    SummaryValue {
        quantiles: s
            .percentiles(family.quantiles)
            .into_iter()
            .map(|v| v as f64)
            .collect(),
        count: s.count() as f64,
        sum: s.sum() as f64,
    }
}

/// A gauge's value as a double; a value that is not a number is 0 (simpleclient exports a
/// null gauge as 0.0).
fn as_f64(v: &MetricValue) -> f64 {
    match v {
        MetricValue::Long(n) => *n as f64,
        MetricValue::Double(d) => *d,
        MetricValue::Text(t) => t.trim().parse().unwrap_or(0.0),
    }
}
