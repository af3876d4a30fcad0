//! `zkrs-bench`: a load generator for ZooKeeper-compatible servers, in the spirit of ClickHouse's
//! keeper-bench and zk-smoketest's zk-latencies.
//!
//! N independent sessions, W requests in flight per session, one workload per run (create, get,
//! set, delete, mixed R% reads, multi, watches firing), znode data of S bytes. Every run prints
//! throughput and latency percentiles (p50/p99/p999/max) as a human-readable block and as one
//! JSON line, so the same binary drives Apache ZooKeeper and zkrs side by side
//! (`benches/compare.sh`).
//!
//! Two client engines (`--client`), neither sharing protocol code with the zkrs server, so the
//! numbers cannot hide a codec bug on both ends: `raw` (the default), a lean pipelined engine
//! with the few ZooKeeper encodings it needs written by hand in this crate, so the load
//! generator spends little CPU per request; and the crates.io `zookeeper-client` crate
//! (kezhuw), the cross-check, which also runs the multi and watch workloads and the set-up
//! (parent znode, `wait-ready`). Latencies go into `hdrhistogram` histograms (1 µs
//! resolution, 3 significant digits).
//!
//! # Layout
//!
//! - `main.rs`: the command line (clap) and the tokio runtime (`--threads`, one by default).
//! - `options`: [`options::RunOptions`], the options of one run, and [`options::Workload`].
//! - `keys`: [`keys::KeySpace`], znode paths and the per-session random numbers.
//! - `recorder`: [`recorder::Recorder`], latencies and error counts of one session.
//! - `report`: [`report::Report`], the result of a run, rendered as text and as a JSON line.
//! - `json`: [`json::JsonLine`], the tiny JSON object writer behind the JSON lines.
//! - `runner`: connects the sessions, populates keys, runs warm-up and measured phases.
//! - `raw`: the raw engine: one connection per session, batched writes, FIFO reply matching.
//! - `wire`: the hand-written ZooKeeper encodings (connect, getData, setData, create, delete,
//!   ping, closeSession) and the reply-header parser the raw engine uses.
//! - `flw`: four-letter words over a raw TCP socket (`srvr` for node counts and readiness).
//! - `wait_ready`: the start-up probe (`srvr` answered, then a session established).

#![forbid(unsafe_code)]

mod flw;
mod json;
mod keys;
mod options;
mod raw;
mod recorder;
mod report;
mod runner;
mod wait_ready;
mod wire;

use std::io::Write;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};

use crate::options::{OutputFormat, RunOptions};

#[derive(Debug, Parser)]
#[command(
    name = "zkrs-bench",
    version,
    about = "Load generator for ZooKeeper-compatible servers (zkrs, Apache ZooKeeper)",
    long_about = "Load generator for ZooKeeper-compatible servers (zkrs, Apache ZooKeeper).\n\n\
        Examples:\n  \
        zkrs-bench run --server 127.0.0.1:2181 --workload get --sessions 4 --window 64 --requests 100000\n  \
        zkrs-bench run --workload mixed --read-pct 90 --sessions 32 --window 8 --size 100\n  \
        zkrs-bench run --workload create --requests 200000 --size 100 --output json\n  \
        zkrs-bench wait-ready --server 127.0.0.1:2181 --timeout 60\n  \
        zkrs-bench flw --server 127.0.0.1:2181 srvr"
)]
struct Cli {
    /// Threads driving the sessions. 1 (the default) runs every session on one thread with
    /// tokio's current-thread runtime: on a small machine shared with the server, a second
    /// thread mostly adds cross-thread wake-ups and takes CPU the server under test needs.
    /// N > 1 uses the multi-thread runtime with N workers.
    #[arg(long, global = true, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    threads: u16,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run one workload and report throughput and latency percentiles.
    Run(RunOptions),
    /// Wait until a server answers `srvr` and accepts a session; print the times as JSON.
    WaitReady {
        /// host:port of the server.
        #[arg(long, default_value = "127.0.0.1:2181")]
        server: String,
        /// Give up after this many seconds (exit status 1).
        #[arg(long, default_value_t = 60.0)]
        timeout: f64,
        /// Unix time in nanoseconds when the server was started (`date +%s%N`); the JSON then
        /// also carries the milliseconds from that instant.
        #[arg(long)]
        since_ns: Option<u128>,
    },
    /// Send a four-letter word (srvr, mntr, ruok, ...) and print the answer.
    Flw {
        /// host:port of the server.
        #[arg(long, default_value = "127.0.0.1:2181")]
        server: String,
        /// Timeout in seconds for the whole exchange.
        #[arg(long, default_value_t = 10.0)]
        timeout: f64,
        /// The four-letter word.
        word: String,
    },
}

/// The runtime `--threads` asks for: current-thread for 1, multi-thread with N workers otherwise.
fn build_runtime(threads: u16) -> anyhow::Result<tokio::runtime::Runtime> {
    let mut builder = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut b = tokio::runtime::Builder::new_multi_thread();
        b.worker_threads(usize::from(threads));
        b
    };
    builder
        .enable_all()
        .build()
        .context("building the tokio runtime")
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = build_runtime(cli.threads)?;
    match cli.command {
        Command::Run(opts) => {
            let format = opts.output;
            let json_file = opts.json_file.clone();
            let report = runtime.block_on(runner::run(opts))?;
            if matches!(format, OutputFormat::Human | OutputFormat::Both) {
                print!("{}", report.to_human());
            }
            let line = report.to_json_line();
            if matches!(format, OutputFormat::Json | OutputFormat::Both) {
                println!("{line}");
            }
            if let Some(path) = json_file {
                let mut f = std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .with_context(|| format!("opening {}", path.display()))?;
                writeln!(f, "{line}").with_context(|| format!("writing {}", path.display()))?;
            }
            if report.completed == 0 {
                anyhow::bail!("no request completed");
            }
            Ok(())
        }
        Command::WaitReady {
            server,
            timeout,
            since_ns,
        } => {
            let ready = runtime.block_on(wait_ready::wait_ready(
                &server,
                Duration::from_secs_f64(timeout),
            ))?;
            println!("{}", ready.to_json_line(since_ns));
            Ok(())
        }
        Command::Flw {
            server,
            timeout,
            word,
        } => {
            let answer = runtime.block_on(flw::four_letter(
                &server,
                &word,
                Duration::from_secs_f64(timeout),
            ))?;
            print!("{answer}");
            Ok(())
        }
    }
}
