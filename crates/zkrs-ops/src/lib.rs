//! The commands ZooKeeper's images and packages put beside the server, built into the `zkrs`
//! binary (reached through links of these names, or as `zkrs <name> ...`), so that an image
//! needs neither Java nor a shell:
//!
//! - `zkServer.sh` (ZooKeeper 3.8 `bin/zkServer.sh` with `bin/zkEnv.sh`): `start`,
//!   `start-foreground`, `stop`, `restart`, `status`, `version`, `print-cmd`, with the same
//!   output lines, exit codes, config-dir and client-port lookup; the server is
//!   `zkrs server <zoo.cfg>` (exec'd by `start-foreground`, so it is PID 1 in a container).
//! - `docker-entrypoint.sh` (the official image's): zoo.cfg and myid from `ZOO_*`, the
//!   root-to-uid-1000 step, then its arguments.
//! - `start-zookeeper`, `zookeeper-ready`, `zookeeper-metrics` (the Kubernetes tutorial image);
//!   zkrs extensions: `start-zookeeper --self_managing=<client addresses>` (a reconfigurable
//!   ensemble whose pods above `--servers` join and leave by themselves) and its preStop
//!   companion `stop-zookeeper`.
//! - `zkGenConfig.sh`, `zkOk.sh`, `zkMetrics.sh` (the incubator chart's `k8szk` image).
//!
//! Each follows its original's behaviour and text (learnt from the scripts, not copied);
//! docs/operator-commands.md lists where they differ.
//!
//! # Layout
//!
//! - `lib`: [`Applet`], the commands by name, and [`run`].
//! - `zk_server`: `zkServer.sh` (`ZkServer`: the settings `zkEnv.sh` resolves, and each
//!   command); `client_port`: where `status` asks (`ClientPort`); `cfg_grep`: zoo.cfg read with
//!   the script's `grep`/`sed` semantics (`CfgGrep`); `process`: the pid file's process
//!   (`ServerPid`); `four_letter`: a four-letter-word exchange (`FourLetterWord`).
//! - `entrypoint`: `docker-entrypoint.sh` (`DockerEntrypoint`).
//! - `start_zookeeper`: `start-zookeeper` (`StartZookeeper`); `gen_config`: `zkGenConfig.sh`
//!   (`ZkGenConfig`); `probe`: the four probe scripts (`Probe`).
//! - `env`: the variables the scripts read (`Env`); `host`: hostname, domain, users
//!   (`Host`); `invocation`: `$0`, `PATH` and `exec` (`Invocation`).

use std::ffi::OsString;
use std::process::ExitCode;

mod cfg_grep;
mod client_port;
mod entrypoint;
mod env;
mod four_letter;
mod gen_config;
mod host;
mod invocation;
mod probe;
mod process;
mod start_zookeeper;
mod zk_server;

use env::Env;
use invocation::Invocation;
use probe::Probe;

/// A command of ZooKeeper's packaging that the `zkrs` binary answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applet {
    /// `zkServer.sh` (apache/zookeeper `bin/zkServer.sh`).
    ZkServer,
    /// `/docker-entrypoint.sh` of the official image.
    DockerEntrypoint,
    /// `start-zookeeper` of the Kubernetes tutorial image.
    StartZookeeper,
    /// `stop-zookeeper` (zkrs extension): the preStop hook of a `--self_managing` pod.
    StopZookeeper,
    /// `zookeeper-ready <port>` of the Kubernetes tutorial image.
    ZookeeperReady,
    /// `zookeeper-metrics <port>` of the Kubernetes tutorial image.
    ZookeeperMetrics,
    /// `zkGenConfig.sh` of the incubator chart's image (k8szk).
    ZkGenConfig,
    /// `zkOk.sh` of the incubator chart's image.
    ZkOk,
    /// `zkMetrics.sh` of the incubator chart's image.
    ZkMetrics,
}

impl Applet {
    /// Every applet with the file name it is reached by.
    pub const ALL: [(&'static str, Applet); 9] = [
        ("zkServer.sh", Applet::ZkServer),
        ("docker-entrypoint.sh", Applet::DockerEntrypoint),
        ("start-zookeeper", Applet::StartZookeeper),
        ("stop-zookeeper", Applet::StopZookeeper),
        ("zookeeper-ready", Applet::ZookeeperReady),
        ("zookeeper-metrics", Applet::ZookeeperMetrics),
        ("zkGenConfig.sh", Applet::ZkGenConfig),
        ("zkOk.sh", Applet::ZkOk),
        ("zkMetrics.sh", Applet::ZkMetrics),
    ];

    /// The applet reached by the file name `name`.
    pub fn by_name(name: &str) -> Option<Applet> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, a)| *a)
    }

    /// The file name the applet is reached by.
    pub fn name(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(_, a)| *a == self)
            .map(|(n, _)| *n)
            .unwrap_or("zkrs")
    }
}

/// Runs `applet` with `args` (without the program name); returns its exit status.
pub fn run(applet: Applet, args: Vec<OsString>) -> ExitCode {
    let env = Env::from_process();
    match applet {
        Applet::ZkServer => {
            let inv = Invocation::current(applet.name(), &env);
            zk_server::main(&inv, args, env)
        }
        Applet::DockerEntrypoint => {
            let argv0 = std::env::args_os().next().unwrap_or_default();
            entrypoint::main(&argv0, args, env)
        }
        Applet::StartZookeeper => start_zookeeper::main(args, env),
        Applet::StopZookeeper => start_zookeeper::stop_main(args, env),
        Applet::ZkGenConfig => gen_config::main(args, env),
        Applet::ZookeeperReady => Probe::Ready.run(&args, &env),
        Applet::ZookeeperMetrics => Probe::Metrics.run(&args, &env),
        Applet::ZkOk => Probe::ZkOk.run(&args, &env),
        Applet::ZkMetrics => Probe::ZkMetrics.run(&args, &env),
    }
}
