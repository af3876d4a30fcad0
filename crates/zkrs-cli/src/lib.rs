//! `zkCli.sh`: ZooKeeper 3.8's command-line shell (`ZooKeeperMain`), in Rust, so the container
//! image needs no Java. Reached as `zkrs zkCli.sh ...` or through a `zkCli.sh` link to the
//! binary.
//!
//! # Layout
//!
//! - `lib`: [`main`], the entry point the `zkrs` binary calls.

use std::ffi::OsString;
use std::process::ExitCode;

/// Runs the shell with `args` (without the program name); returns its exit status.
pub fn main(args: Vec<OsString>) -> ExitCode {
    let _ = args;
    eprintln!("zkCli.sh: not yet available in this build");
    ExitCode::from(1)
}
