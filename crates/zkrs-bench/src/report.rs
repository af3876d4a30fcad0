//! [`Report`]: the result of one run, as a human-readable block and as one JSON line.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use crate::json::JsonLine;
use crate::options::RunOptions;
use crate::recorder::Recorder;

/// Throughput and latency of the measured phase of one run.
#[derive(Debug, Clone)]
pub struct Report {
    pub label: String,
    pub server: String,
    pub workload: &'static str,
    /// The engine that ran the phases (`raw` or `zookeeper-client`).
    pub client: &'static str,
    pub sessions: usize,
    pub window: usize,
    pub size: usize,
    pub keys: u64,
    pub read_pct: u8,
    pub multi_ops: usize,
    /// Measured requests asked for.
    pub requested: u64,
    /// Measured requests that completed (successfully or not).
    pub completed: u64,
    pub errors: BTreeMap<String, u64>,
    /// Wall time of the measured phase.
    pub elapsed: Duration,
    /// Time spent creating keys before the run (not measured).
    pub populate: Duration,
    pub warmup: u64,
    /// Whether `--max-seconds` cut the measured phase short.
    pub truncated: bool,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub p999_us: u64,
    pub max_us: u64,
    pub min_us: u64,
    pub mean_us: f64,
}

impl Report {
    /// Builds the report of a finished measured phase.
    pub fn new(
        opts: &RunOptions,
        client: &'static str,
        rec: &Recorder,
        elapsed: Duration,
        populate: Duration,
        truncated: bool,
    ) -> Report {
        let h = &rec.histogram;
        let empty = h.is_empty();
        let q = |q: f64| if empty { 0 } else { h.value_at_quantile(q) };
        let requested = opts.requests;
        let completed = h.len() + rec.error_count();
        Report {
            label: opts.label.clone(),
            server: opts.server.clone(),
            workload: opts.workload.name(),
            client,
            sessions: opts.sessions,
            window: opts.window,
            size: opts.size,
            keys: opts.keys,
            read_pct: opts.read_pct,
            multi_ops: opts.multi_ops,
            requested,
            completed,
            errors: rec.errors.clone(),
            elapsed,
            populate,
            warmup: opts.warmup,
            truncated,
            p50_us: q(0.5),
            p90_us: q(0.9),
            p99_us: q(0.99),
            p999_us: q(0.999),
            max_us: if empty { 0 } else { h.max() },
            min_us: if empty { 0 } else { h.min() },
            mean_us: if empty { 0.0 } else { h.mean() },
        }
    }

    /// Completed requests per second of the measured phase.
    pub fn ops_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.completed as f64 / s
        } else {
            0.0
        }
    }

    /// Total failed requests.
    pub fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    /// The human-readable block.
    pub fn to_human(&self) -> String {
        let mut s = String::new();
        let label = if self.label.is_empty() {
            String::new()
        } else {
            format!(" [{}]", self.label)
        };
        let _ = writeln!(
            s,
            "zkrs-bench{label} {} on {}: {} sessions x {} in flight, {} B data ({} client)",
            self.workload, self.server, self.sessions, self.window, self.size, self.client
        );
        let _ = writeln!(
            s,
            "  requests   {} completed of {} ({} errors) in {:.3} s{}",
            self.completed,
            self.requested,
            self.error_count(),
            self.elapsed.as_secs_f64(),
            if self.truncated {
                " (cut by --max-seconds)"
            } else {
                ""
            }
        );
        let _ = writeln!(s, "  throughput {:.0} ops/s", self.ops_per_sec());
        let _ = writeln!(
            s,
            "  latency    p50 {} µs  p90 {} µs  p99 {} µs  p999 {} µs  max {} µs  (mean {:.0} µs, min {} µs)",
            self.p50_us, self.p90_us, self.p99_us, self.p999_us, self.max_us, self.mean_us, self.min_us
        );
        if self.populate > Duration::ZERO {
            let _ = writeln!(
                s,
                "  populate   {:.3} s (not measured)",
                self.populate.as_secs_f64()
            );
        }
        for (k, v) in &self.errors {
            let _ = writeln!(s, "  error      {v} x {k}");
        }
        s
    }

    /// One JSON object on one line.
    pub fn to_json_line(&self) -> String {
        let mut errors = JsonLine::new();
        for (k, v) in &self.errors {
            errors = errors.int(k, *v);
        }
        JsonLine::new()
            .str("tool", "zkrs-bench")
            .str("label", &self.label)
            .str("server", &self.server)
            .str("workload", self.workload)
            .str("client", self.client)
            .int("sessions", self.sessions as u64)
            .int("window", self.window as u64)
            .int("size", self.size as u64)
            .int("keys", self.keys)
            .int("read_pct", self.read_pct)
            .int("multi_ops", self.multi_ops as u64)
            .int("warmup", self.warmup)
            .int("requested", self.requested)
            .int("completed", self.completed)
            .int("errors", self.error_count())
            .float("elapsed_s", self.elapsed.as_secs_f64())
            .float("populate_s", self.populate.as_secs_f64())
            .str("truncated", if self.truncated { "yes" } else { "no" })
            .float("ops_per_s", self.ops_per_sec())
            .int("p50_us", self.p50_us)
            .int("p90_us", self.p90_us)
            .int("p99_us", self.p99_us)
            .int("p999_us", self.p999_us)
            .int("max_us", self.max_us)
            .int("min_us", self.min_us)
            .float("mean_us", self.mean_us)
            .raw("error_kinds", &errors.finish())
            .finish()
    }
}
