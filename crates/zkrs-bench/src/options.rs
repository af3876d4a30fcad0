//! [`RunOptions`]: everything one `zkrs-bench run` needs, and the [`Workload`] it runs.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// What each request of a run does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Workload {
    /// create a new persistent znode of `--size` bytes (a fresh parent per run).
    Create,
    /// getData of a random key among `--keys` (populated first).
    Get,
    /// setData of `--size` bytes on a random key among `--keys`.
    Set,
    /// delete a key (the run first creates as many keys as it will delete).
    Delete,
    /// `--read-pct` % getData, the rest setData, on random keys among `--keys`.
    Mixed,
    /// one multi of `--multi-ops` setData ops on consecutive keys.
    Multi,
    /// a watch fires: session s sets a watch (getData), session s+1 sets the znode; the latency
    /// is from the setData being sent to the notification reaching session s.
    Watch,
}

impl Workload {
    /// The name used on the command line and in the JSON lines.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Create => "create",
            Workload::Get => "get",
            Workload::Set => "set",
            Workload::Delete => "delete",
            Workload::Mixed => "mixed",
            Workload::Multi => "multi",
            Workload::Watch => "watch",
        }
    }

    /// True when the run reads or writes a shared, pre-populated key space.
    pub fn uses_shared_keys(self) -> bool {
        matches!(
            self,
            Workload::Get | Workload::Set | Workload::Mixed | Workload::Multi
        )
    }
}

/// Which client engine sends the requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ClientKind {
    /// The built-in pipelined engine with hand-written encodings (multi and watch still use
    /// zookeeper-client).
    Raw,
    /// The crates.io zookeeper-client crate for every request (the cross-check).
    ZookeeperClient,
}

/// How a run reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// The human-readable block only.
    Human,
    /// One JSON line only.
    Json,
    /// The block, then the JSON line.
    Both,
}

/// The options of one run.
#[derive(Debug, Clone, Args)]
pub struct RunOptions {
    /// Connect string (host:port[,host:port...]).
    #[arg(long, default_value = "127.0.0.1:2181")]
    pub server: String,
    /// The workload.
    #[arg(long, value_enum, default_value_t = Workload::Get)]
    pub workload: Workload,
    /// Independent sessions (one TCP connection each).
    #[arg(long, default_value_t = 1)]
    pub sessions: usize,
    /// Requests in flight per session (1 = sequential request/response).
    #[arg(long, default_value_t = 1)]
    pub window: usize,
    /// Measured requests, over all sessions.
    #[arg(long, default_value_t = 10_000)]
    pub requests: u64,
    /// Warm-up requests before the measured phase (not recorded).
    #[arg(long, default_value_t = 0)]
    pub warmup: u64,
    /// Stop issuing requests after this many seconds of the measured phase (the report then
    /// covers the requests that completed).
    #[arg(long, default_value_t = 300.0)]
    pub max_seconds: f64,
    /// znode data size in bytes (create, set, populate).
    #[arg(long, default_value_t = 100)]
    pub size: usize,
    /// Key-space size for get, set, mixed and multi (created first if missing).
    #[arg(long, default_value_t = 10_000)]
    pub keys: u64,
    /// Percentage of reads for the mixed workload.
    #[arg(long, default_value_t = 90)]
    pub read_pct: u8,
    /// setData ops per multi for the multi workload.
    #[arg(long, default_value_t = 4)]
    pub multi_ops: usize,
    /// Root znode under which the run works (created if missing).
    #[arg(long, default_value = "/zkrs-bench")]
    pub root: String,
    /// The client engine: `raw` (cheap on CPU; the multi and watch workloads fall back to
    /// zookeeper-client) or `zookeeper-client`.
    #[arg(long, value_enum, default_value_t = ClientKind::Raw)]
    pub client: ClientKind,
    /// Session timeout requested from the server, in milliseconds.
    #[arg(long, default_value_t = 30_000)]
    pub session_timeout_ms: u64,
    /// Seed of the per-session random key choice.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Free-form label copied into the report (e.g. the server's name).
    #[arg(long, default_value = "")]
    pub label: String,
    /// What to print.
    #[arg(long, value_enum, default_value_t = OutputFormat::Both)]
    pub output: OutputFormat,
    /// Also append the JSON line to this file.
    #[arg(long)]
    pub json_file: Option<PathBuf>,
}

impl RunOptions {
    /// Checks the combinations clap cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        anyhow::ensure!(self.sessions >= 1, "--sessions must be at least 1");
        anyhow::ensure!(self.window >= 1, "--window must be at least 1");
        anyhow::ensure!(self.requests >= 1, "--requests must be at least 1");
        anyhow::ensure!(self.read_pct <= 100, "--read-pct must be 0..=100");
        anyhow::ensure!(self.keys >= 1, "--keys must be at least 1");
        anyhow::ensure!(self.multi_ops >= 1, "--multi-ops must be at least 1");
        anyhow::ensure!(
            self.max_seconds > 0.0 && self.max_seconds.is_finite(),
            "--max-seconds must be positive"
        );
        anyhow::ensure!(
            self.root.starts_with('/') && self.root.len() > 1 && !self.root.ends_with('/'),
            "--root must be an absolute znode path other than /"
        );
        Ok(())
    }
}
