//! `zkrs`: the server binary.
//!
//! `zkrs server conf/zoo.cfg` runs a server in the foreground, as
//! `java org.apache.zookeeper.server.quorum.QuorumPeerMain conf/zoo.cfg` does. It logs to
//! stderr (`RUST_LOG` filters, default `info`) and stops gracefully on SIGTERM or SIGINT.
//!
//! Exit codes: 0 after a graceful stop; 2 for an invalid configuration or a quorum
//! configuration (quorum mode is not implemented yet), as ZooKeeper exits 2 on an invalid
//! invocation; 1 when the server cannot start or fails.
//!
//! # Layout
//!
//! Everything is in this file: the command line (clap), logging setup, signal handling, and
//! the zoo.cfg → `ServerConfig` step before `zkrs_server::run`.

#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use zkrs_config::ZooCfg;
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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    match cli.command {
        Command::Server { config } => server(&config),
    }
}

/// Logs to stderr; `RUST_LOG` overrides the default `info`.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .init();
}

fn server(path: &Path) -> ExitCode {
    debug_assert!(VERSION.contains(ZOOKEEPER_VERSION));
    let cfg = match ZooCfg::load(path) {
        Ok(cfg) => cfg,
        Err(e) => {
            tracing::error!("invalid configuration: {e}");
            eprintln!("zkrs: invalid configuration: {e}");
            return ExitCode::from(EXIT_INVALID_CONFIG);
        }
    };
    for warning in cfg.warnings() {
        tracing::warn!("{warning}");
    }
    if cfg.is_distributed() {
        let msg = format!(
            "{}: this configuration describes a quorum (server.N lines or \
             standaloneEnabled=false); quorum mode is not implemented yet. Remove the \
             server.N lines to run a standalone server.",
            path.display()
        );
        tracing::error!("{msg}");
        eprintln!("zkrs: {msg}");
        return ExitCode::from(EXIT_INVALID_CONFIG);
    }
    let config = match ServerConfig::from_zoo_cfg(&cfg) {
        Ok(config) => config,
        Err(e) => {
            tracing::error!("invalid configuration: {e}");
            eprintln!("zkrs: invalid configuration: {e}");
            return ExitCode::from(EXIT_INVALID_CONFIG);
        }
    };
    match serve(config) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("zkrs: {e:#}");
            ExitCode::from(EXIT_SERVER_FAILED)
        }
    }
}

fn serve(config: ServerConfig) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("zkrs")
        .build()?;
    runtime.block_on(async move {
        // Install the signal handlers before binding, so a signal during startup is a
        // graceful stop rather than the default kill.
        let shutdown = shutdown_signal()?;
        zkrs_server::run(config, shutdown).await?;
        Ok(())
    })
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate())?;
        let mut int = signal(SignalKind::interrupt())?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => tracing::info!("received SIGTERM"),
                _ = int.recv() => tracing::info!("received SIGINT"),
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("received Ctrl-C");
        })
    }
}
