//! `zkrs`: the server binary and its data-directory tools.
//!
//! `zkrs server conf/zoo.cfg` runs a server in the foreground, as
//! `java org.apache.zookeeper.server.quorum.QuorumPeerMain conf/zoo.cfg` does. It logs to
//! stderr, as text in the shape of ZooKeeper's console pattern or as JSON, at the level
//! `RUST_LOG`, `ZKRS_LOG_LEVEL`, `zkrs.log.level` or `ZOO_LOG4J_PROP` sets (default INFO;
//! `logging`, `docs/logging.md`), and stops gracefully on SIGTERM or SIGINT.
//!
//! A configuration with `server.N` lines (or `standaloneEnabled=false`) makes it a quorum
//! member: FastLeaderElection on the election port, then leader, follower or observer. With
//! `zkrs.autoMembership=true` (crate `zkrs-membership`) it adds itself to a live ensemble once
//! synced, and on SIGUSR2 removes itself, then stops; `zkrs leave <zoo.cfg>` removes a running
//! member.
//!
//! The binary is also ZooKeeper's command-line tools, busybox style: through a link named
//! `zkCli.sh` (crate `zkrs-cli`), `zkServer.sh`, `docker-entrypoint.sh`, `start-zookeeper`,
//! `zookeeper-ready`, `zookeeper-metrics`, `zkGenConfig.sh`, `zkOk.sh` or `zkMetrics.sh` (crate
//! `zkrs-ops`), or as `zkrs <name> args...`, it runs that tool.
//!
//! Exit codes: 0 after a graceful stop; 2 for an invalid configuration (a missing `myid` in
//! quorum mode included), as ZooKeeper exits 2 on an invalid invocation; 1 when the server cannot start (a data directory that is refused included) or
//! fails (a txn log I/O error stops it).
//!
//! The tools read ZooKeeper's files (written by zkrs or by Apache ZooKeeper):
//! `zkrs txnlog-dump <log>` (`TxnLogToolkit`), `zkrs snapshot-dump <snapshot>`
//! (`SnapshotFormatter`), `zkrs datadir-check <zoo.cfg|dataDir>`, `zkrs purge <dataDir>
//! [<dataLogDir>] -n <count>` (`PurgeTxnLog`).
//!
//! # Layout
//!
//! - `main`: the command line (clap), signal handling, and the zoo.cfg → `ServerConfig` step
//!   before `zkrs_server::run`. zoo.cfg is read before logging starts (it may set the level
//!   and format); a zoo.cfg that cannot be read is reported with logging from the environment.
//! - `logging`: the level and format, and the two line formats.
//! - `txnlog_dump`, `snapshot_dump`, `datadir_check`, `purge`: one tool each.
//! - `format`: the text forms the tools share (times, op names, Jute CSV bodies, ACLs, stats).

#![forbid(unsafe_code)]

/// jemalloc, not the system allocator: when the snapshot thread drops a view it frees the nodes
/// the live tree replaced meanwhile, which the core task allocated. glibc takes the core task's
/// arena lock for each of those frees (and later consolidates them in one long pass); jemalloc
/// returns them through per-thread caches in batches. Measured on 200k znodes during snapshots:
/// set p999 3.4 ms against 5.3 ms (medians of 6 rounds), RSS 97 against 99 MiB
/// (docs/performance.md, item 9).
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod datadir_check;
mod format;
mod logging;
mod purge;
mod snapshot_dump;
mod txnlog_dump;

use zkrs_config::ZooCfg;
use zkrs_membership::{AutoMembership, MembershipAgent};
use zkrs_server::version::ZOOKEEPER_VERSION;
use zkrs_server::ServerConfig;

/// `zkrs --version`: the zkrs version and the ZooKeeper release it emulates.
const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (Apache ZooKeeper 3.8.0 compatible)"
);

/// Exit status for an invalid invocation or configuration (ZooKeeper's `INVALID_INVOCATION`).
const EXIT_INVALID_CONFIG: u8 = 2;
/// Exit status when the server fails (ZooKeeper's `UNEXPECTED_ERROR`).
const EXIT_SERVER_FAILED: u8 = 1;

#[derive(Debug, Parser)]
#[command(name = "zkrs", version = VERSION, about = "A ZooKeeper-compatible server in Rust")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a server in the foreground from a zoo.cfg, like `QuorumPeerMain zoo.cfg`.
    Server {
        /// Path of the zoo.cfg file.
        config: PathBuf,
    },
    /// Remove a running quorum member from its ensemble (`reconfig -remove <myid>`, retried
    /// until it is out or 120 s pass), before it is stopped for good. A zkrs extension; with
    /// `zkrs.autoMembership` the member never adds itself back.
    Leave {
        /// The member's zoo.cfg.
        config: PathBuf,
    },
    /// Print every txn of a txn log file, one per line (like ZooKeeper's TxnLogToolkit).
    #[command(name = "txnlog-dump")]
    TxnlogDump {
        /// A `log.<zxid>` file.
        log: PathBuf,
        /// Read closeSession txns without a CloseSessionTxn body
        /// (`zookeeper.closeSessionTxn.enabled=false`).
        #[arg(long)]
        no_close_session_txn: bool,
    },
    /// Print a snapshot: znodes with stat, ACL and data length, sessions, digest (like
    /// ZooKeeper's SnapshotFormatter). Verifies every seal.
    #[command(name = "snapshot-dump")]
    SnapshotDump {
        /// A `snapshot.<zxid>[.gz|.snappy]` file.
        snapshot: PathBuf,
        /// Also print each znode's data (as UTF-8, lossy).
        #[arg(short, long)]
        data: bool,
        /// Classify ephemeral owners with the TTL encoding (`extendedTypesEnabled=true`).
        #[arg(long)]
        extended_types: bool,
    },
    /// Verify every txn log checksum and snapshot seal of a data directory; exit 1 on
    /// corruption.
    #[command(name = "datadir-check")]
    DatadirCheck {
        /// A zoo.cfg (its dataDir and dataLogDir) or a dataDir.
        target: PathBuf,
    },
    /// Delete old snapshots and txn logs, keeping the newest <count> snapshots (like
    /// ZooKeeper's PurgeTxnLog).
    Purge {
        /// The dataDir (snapshots).
        data_dir: PathBuf,
        /// The dataLogDir (txn logs), if different.
        data_log_dir: Option<PathBuf>,
        /// How many snapshots to keep (at least 3).
        #[arg(short = 'n', long = "count")]
        count: usize,
    },
}

fn main() -> ExitCode {
    if let Some(code) = applet_main() {
        return code;
    }
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Server { .. }) {
        logging::install_from_env();
    }
    let tool = match cli.command {
        Command::Server { config } => return server(&config),
        Command::Leave { config } => return leave(&config),
        Command::TxnlogDump {
            log,
            no_close_session_txn,
        } => txnlog_dump::run(
            &log,
            !no_close_session_txn,
            zkrs_storage::DEFAULT_MAX_RECORD_LEN,
        ),
        Command::SnapshotDump {
            snapshot,
            data,
            extended_types,
        } => snapshot_dump::run(&snapshot, data, extended_types),
        Command::DatadirCheck { target } => datadir_check::run(&target),
        Command::Purge {
            data_dir,
            data_log_dir,
            count,
        } => purge::run(&data_dir, data_log_dir.as_deref(), count),
    };
    match tool {
        Ok(code) => code,
        Err(e) => {
            eprintln!("zkrs: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The binary is also ZooKeeper's command-line tools (busybox style): reached through a link
/// named `zkCli.sh`, `zkServer.sh`, ... (the image's `bin/`), or as `zkrs <name> args...`, it
/// runs that tool. `None` when neither names one.
fn applet_main() -> Option<ExitCode> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let file_name = |arg: &std::ffi::OsString| {
        Path::new(arg)
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
    };
    let (name, rest) = match args.first().and_then(file_name) {
        Some(n) if is_applet(&n) => (n, args.split_off(1)),
        _ => match args.get(1).and_then(|a| a.to_str()).map(str::to_owned) {
            Some(n) if is_applet(&n) => (n, args.split_off(2)),
            _ => return None,
        },
    };
    if name == "zkCli.sh" {
        return Some(zkrs_cli::main(rest));
    }
    // The tools print their own output; `zkServer.sh start-foreground` runs `zkrs server`.
    let applet = zkrs_ops::Applet::by_name(&name)?;
    Some(zkrs_ops::run(applet, rest))
}

/// Whether `name` is one of the tools the binary answers to (see [`applet_main`]).
fn is_applet(name: &str) -> bool {
    name == "zkCli.sh" || zkrs_ops::Applet::by_name(name).is_some()
}

/// Reads zoo.cfg (with `myid`) and starts logging as it and the environment say. A zoo.cfg
/// that cannot be read is returned as the error after logging started from the environment
/// alone; a bad `ZKRS_LOG_*` value ends the start-up (exit 2).
fn load_and_start_logging(path: &Path) -> Result<ZooCfg, ExitCode> {
    let loaded = ZooCfg::load(path);
    let Ok(cfg) = &loaded else {
        logging::install_from_env();
        tracing::info!("Reading configuration from: {}", path.display());
        return loaded.map_err(invalid_config);
    };
    let env = |k: &str| std::env::var(k).ok();
    let settings = match logging::resolve(&cfg.log, &env) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("zkrs: invalid configuration: {e}");
            return Err(ExitCode::from(EXIT_INVALID_CONFIG));
        }
    };
    // ZooKeeper's `[myid:N]` comes from the quorum peer; a standalone server shows `[myid:]`.
    let myid = cfg.is_distributed().then(|| cfg.server_id()).flatten();
    logging::install(&settings, myid);
    tracing::info!("Reading configuration from: {}", path.display());
    tracing::debug!(
        "log level {} (from {:?}), format {}",
        settings.filter,
        settings.source,
        settings.format
    );
    log_environment();
    loaded.map_err(invalid_config)
}

/// ZooKeeper's `Server environment:` lines (`Environment.logEnv`), those that mean something
/// without a JVM.
fn log_environment() {
    let read = |p: &str| {
        std::fs::read_to_string(p)
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "<NA>".to_owned())
    };
    let var = |k: &str| std::env::var(k).unwrap_or_else(|_| "<NA>".to_owned());
    let dir = std::env::current_dir()
        .map(|d| d.display().to_string())
        .unwrap_or_else(|_| "<NA>".to_owned());
    let entries = [
        (
            "zookeeper.version",
            zkrs_server::version::FULL_VERSION.to_owned(),
        ),
        ("host.name", read("/proc/sys/kernel/hostname")),
        ("os.name", std::env::consts::OS.to_owned()),
        ("os.arch", std::env::consts::ARCH.to_owned()),
        ("os.version", read("/proc/sys/kernel/osrelease")),
        ("user.name", var("USER")),
        ("user.home", var("HOME")),
        ("user.dir", dir),
    ];
    for (k, v) in entries {
        tracing::info!("Server environment:{k}={v}");
    }
}

fn invalid_config(e: impl std::fmt::Display) -> ExitCode {
    tracing::error!("invalid configuration: {e}");
    eprintln!("zkrs: invalid configuration: {e}");
    ExitCode::from(EXIT_INVALID_CONFIG)
}

fn server(path: &Path) -> ExitCode {
    debug_assert!(VERSION.contains(ZOOKEEPER_VERSION));
    let mut cfg = match load_and_start_logging(path) {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    let auto = match AutoMembership::from_zoo_cfg(&cfg) {
        Ok(auto) => auto.map(MembershipAgent::new),
        Err(e) => return invalid_config(e),
    };
    if let Some(agent) = &auto {
        if cfg.dynamic_config_file.is_none() {
            match bootstrap_membership(path, agent) {
                Ok(true) => match ZooCfg::load(path) {
                    Ok(c) => cfg = c,
                    Err(e) => return invalid_config(e),
                },
                Ok(false) => {}
                Err(e) => {
                    tracing::error!("{e:#}");
                    eprintln!("zkrs: {e:#}");
                    return ExitCode::from(EXIT_SERVER_FAILED);
                }
            }
        }
    }
    for warning in cfg.warnings() {
        tracing::warn!("{warning}");
    }
    let config = match ServerConfig::from_zoo_cfg(&cfg) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!("invalid configuration: {e}");
            eprintln!("zkrs: invalid configuration: {e}");
            return ExitCode::from(EXIT_INVALID_CONFIG);
        }
    };
    match serve(config, auto) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // Server errors name their cause in their own message; `{e:#}` would repeat it.
            tracing::error!("{e}");
            eprintln!("zkrs: {e}");
            ExitCode::from(EXIT_SERVER_FAILED)
        }
    }
}

/// A fresh self-managing member (`zkrs.autoMembership`, no dynamic config yet): reads the
/// live ensemble's configuration, writes it plus its own line as `<zoo.cfg>.dynamic.0` and
/// points zoo.cfg at it. Returns whether it did.
fn bootstrap_membership(path: &Path, agent: &MembershipAgent) -> anyhow::Result<bool> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let Some(text) = runtime.block_on(agent.bootstrap_config()) else {
        return Ok(false);
    };
    let dynamic = zkrs_membership::agent::bootstrap_path(path);
    std::fs::write(&dynamic, &text)?;
    let old = std::fs::read_to_string(path)?;
    let full = std::fs::canonicalize(&dynamic)?;
    let edited = zkrs_config::edit_static_config(&old, &full.to_string_lossy(), true);
    let tmp = path.with_extension("cfg.tmp");
    std::fs::write(&tmp, edited)?;
    std::fs::rename(&tmp, path)?;
    tracing::info!(
        "membership: joining the ensemble of {}; first configuration in {}",
        agent.settings().ensemble.join(","),
        dynamic.display()
    );
    Ok(true)
}

/// `zkrs leave <zoo.cfg>`.
fn leave(path: &Path) -> ExitCode {
    let cfg = match ZooCfg::load(path) {
        Ok(cfg) => cfg,
        Err(e) => return invalid_config(e),
    };
    let agent = match AutoMembership::settings_of(&cfg) {
        Ok(s) => MembershipAgent::new(s),
        Err(e) => return invalid_config(e),
    };
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("zkrs: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(agent.leave(LEAVE_DEADLINE)) {
        Ok(()) => {
            println!("server.{} left the ensemble", agent.settings().my_id);
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("zkrs: leave: {e}");
            ExitCode::FAILURE
        }
    }
}

/// How long a leave keeps trying.
const LEAVE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(120);

fn serve(config: ServerConfig, auto: Option<MembershipAgent>) -> anyhow::Result<()> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    // TOKIO_WORKER_THREADS, when set, is left to tokio.
    if std::env::var_os("TOKIO_WORKER_THREADS").is_none() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        builder.worker_threads(io_worker_threads(cores));
    }
    let runtime = builder.enable_all().thread_name("zkrs").build()?;
    runtime.block_on(async move {
        // Install the signal handlers before binding, so a signal during startup is a
        // graceful stop rather than the default kill.
        let shutdown = shutdown_signal(auto.clone())?;
        if let Some(agent) = auto {
            tokio::spawn(async move { agent.run_join().await });
        }
        zkrs_server::run(config, shutdown).await?;
        Ok(())
    })
}

/// How many runtime threads serve the sockets and the core task on a machine with `cores`:
/// ZooKeeper's default number of selector threads (`NIOServerCnxnFactory`,
/// `zookeeper.nio.numSelectorThreads` = max(1, floor(sqrt(cores / 2)))). The tokio default of one
/// per core is worse: all requests go through the one core task, so more threads add
/// cross-thread wake-ups and compete with the txn log and snapshot threads. Measured on 2 cores,
/// mixed 90% reads at 32 x 8, alternated: 1 thread 246–287k ops/s and 3.5–4.4 µs of server CPU
/// per op, 2 threads 222–269k ops/s and 4.2–5.3 µs (docs/performance.md, item 11).
fn io_worker_threads(cores: usize) -> usize {
    ((cores as f64) / 2.0).sqrt().floor().max(1.0) as usize
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C); with a membership agent also on SIGUSR2 once the
/// member has left the ensemble (a scale-down: it removes itself, then stops; if it cannot
/// leave it keeps running).
fn shutdown_signal(
    agent: Option<MembershipAgent>,
) -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        let mut usr2 = signal(SignalKind::user_defined2())?;
        Ok(async move {
            loop {
                tokio::select! {
                    _ = term.recv() => { tracing::info!("received SIGTERM"); return; }
                    _ = int.recv() => { tracing::info!("received SIGINT"); return; }
                    _ = usr2.recv() => {
                        let Some(agent) = agent.as_ref() else {
                            tracing::info!("received SIGUSR2 (no zkrs.autoMembership): ignored");
                            continue;
                        };
                        tracing::info!("received SIGUSR2: leaving the ensemble, then stopping");
                        match agent.leave(LEAVE_DEADLINE).await {
                            Ok(()) => return,
                            Err(e) => tracing::error!("could not leave the ensemble, not stopping: {e}"),
                        }
                    }
                }
            }
        })
    }
    #[cfg(not(unix))]
    {
        drop(agent);
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("received Ctrl-C");
        })
    }
}

#[cfg(test)]
mod tests {
    use super::io_worker_threads;

    /// ZooKeeper's `numSelectorThreads` default: max(1, floor(sqrt(cores / 2))).
    #[test]
    fn io_threads_follow_zookeepers_selector_thread_default() {
        let got: Vec<usize> = [1, 2, 3, 4, 8, 16, 32, 64, 128]
            .into_iter()
            .map(io_worker_threads)
            .collect();
        assert_eq!(got, [1, 1, 1, 1, 2, 2, 4, 5, 8]);
    }
}
