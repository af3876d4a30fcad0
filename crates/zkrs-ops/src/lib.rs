//! The commands ZooKeeper's images and packages put beside the server, built into the `zkrs`
//! binary (reached through links of these names, or as `zkrs <name> ...`).
//!
//! # Layout
//!
//! - `lib`: [`Applet`], the commands by name, and [`run`].

use std::ffi::OsString;
use std::process::ExitCode;

/// A command of ZooKeeper's packaging that the `zkrs` binary answers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applet {
    /// `zkServer.sh` (apache/zookeeper `bin/zkServer.sh`).
    ZkServer,
    /// `/docker-entrypoint.sh` of the official image.
    DockerEntrypoint,
    /// `start-zookeeper` of the Kubernetes tutorial image.
    StartZookeeper,
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
    pub const ALL: [(&'static str, Applet); 8] = [
        ("zkServer.sh", Applet::ZkServer),
        ("docker-entrypoint.sh", Applet::DockerEntrypoint),
        ("start-zookeeper", Applet::StartZookeeper),
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
}

/// Runs `applet` with `args` (without the program name); returns its exit status.
pub fn run(applet: Applet, args: Vec<OsString>) -> ExitCode {
    let _ = args;
    eprintln!("{applet:?}: not yet available in this build");
    ExitCode::from(1)
}
