//! `zkCli.sh`: ZooKeeper 3.8's command-line shell (`ZooKeeperMain`), in Rust, so the container
//! image needs no Java. Reached as `zkrs zkCli.sh ...` or through a `zkCli.sh` link to the
//! binary. Commands, options, output and exit codes follow 3.8.0's `ZooKeeperMain` and its `cli`
//! package; the connection follows `ClientCnxn` (session kept across the servers of the
//! connect string, ping every timeout/3).
//!
//! # Layout
//!
//! - `lib`: [`main`], the entry point the `zkrs` binary calls.
//! - `launch`: [`launch::LaunchOptions`], the `zkCli.sh` command line.
//! - `shell`: [`shell::Shell`], `ZooKeeperMain` (prompt, history, redo, connect, quit, ...).
//! - `tokenize`: splitting an input line into arguments as Java does.
//! - `getopt`: [`getopt::OptSpec`], the commons-cli `DefaultParser` subset the commands use.
//! - `commands`: the `CliCommand`s (`node`, `acl`, `quota`, `config`, `watch`).
//! - `api`: the `ZooKeeper` methods the commands call.
//! - `client`: [`client::Client`], the session and its connection thread.
//! - `hosts`: [`hosts::ConnectString`], hosts and chroot.
//! - `watches`: [`watches::WatchRegistry`], the client-side watch tables.
//! - `error`: [`error::CliError`] and [`error::KeeperError`] with Java's messages.
//! - `path`: `PathUtils.validatePath`.
//! - `javautil`: `Properties.load`, `ConcurrentHashMap`/`HashMap` iteration order, `parseLong`.
//! - `quorum_config`: `QuorumServer`, `parseDynamicConfig(...).toString()`, `getClientConfigStr`.
//! - `stat_printer`: `StatPrinter`.
//! - `stats_track`: [`stats_track::StatsTrack`], the quota node format.

pub mod api;
pub mod client;
pub mod commands;
pub mod error;
pub mod getopt;
pub mod hosts;
pub mod javautil;
pub mod launch;
pub mod path;
pub mod quorum_config;
pub mod shell;
pub mod stat_printer;
pub mod stats_track;
pub mod tokenize;
pub mod watches;

use std::ffi::OsString;
use std::process::ExitCode;

use shell::{Exit, Shell};

/// Runs the shell with `args` (without the program name); returns its exit status.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let code = match Shell::new(&args) {
        Ok(shell) => shell.run(),
        Err(Exit::Code(c)) => c,
    };
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // Like System.exit: the connection thread is not waited for (the session is left to expire
    // unless `quit` or `close` closed it).
    std::process::exit(i32::from(code))
}
