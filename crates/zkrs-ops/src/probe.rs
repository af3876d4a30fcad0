//! [`Probe`]: the images' `echo <word> | nc <host> <port>` scripts: `zookeeper-ready <port>`
//! and `zkOk.sh` (`ruok` must answer `imok`), `zookeeper-metrics <port>` and `zkMetrics.sh`
//! (print the `mntr` answer).

use std::ffi::OsString;
use std::io::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use crate::env::Env;
use crate::four_letter::FourLetterWord;

/// The bound on one probe's exchange (nc has none; Kubernetes kills a probe after its
/// `timeoutSeconds`, 5 in the charts).
const PROBE_TIMEOUT: Duration = Duration::from_secs(10);

/// Which script.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// `zookeeper-ready <port>`: `ruok` to 127.0.0.1.
    Ready,
    /// `zookeeper-metrics <port>`: `mntr` to localhost.
    Metrics,
    /// `zkOk.sh`: `ruok` to 127.0.0.1:`$ZK_CLIENT_PORT` (default 2181).
    ZkOk,
    /// `zkMetrics.sh`: `mntr` to localhost:`$ZK_CLIENT_PORT`.
    ZkMetrics,
}

impl Probe {
    /// The script's name.
    pub fn name(self) -> &'static str {
        match self {
            Probe::Ready => "zookeeper-ready",
            Probe::Metrics => "zookeeper-metrics",
            Probe::ZkOk => "zkOk.sh",
            Probe::ZkMetrics => "zkMetrics.sh",
        }
    }

    /// Runs the probe.
    pub fn run(self, args: &[OsString], env: &Env) -> ExitCode {
        let port_text = match self {
            Probe::Ready | Probe::Metrics => args
                .first()
                .map(|a| a.to_string_lossy().into_owned())
                .unwrap_or_default(),
            Probe::ZkOk | Probe::ZkMetrics => env.nonempty_or("ZK_CLIENT_PORT", "2181"),
        };
        let Ok(port) = port_text.trim().parse::<u16>() else {
            eprintln!(
                "{}: invalid port '{port_text}' (usage: {} <port>)",
                self.name(),
                self.name()
            );
            return ExitCode::from(1);
        };
        let (host, word) = match self {
            Probe::Ready | Probe::ZkOk => ("127.0.0.1", "ruok\n"),
            Probe::Metrics | Probe::ZkMetrics => ("localhost", "mntr\n"),
        };
        let answer = FourLetterWord {
            host: host.to_owned(),
            port,
            request: word.as_bytes().to_vec(),
            timeout: PROBE_TIMEOUT,
        }
        .nc();
        match (self, answer) {
            (Probe::Ready | Probe::ZkOk, Some(a)) if a.trim_end_matches('\n') == "imok" => {
                ExitCode::SUCCESS
            }
            (Probe::Ready | Probe::ZkOk, _) => ExitCode::from(1),
            (Probe::Metrics | Probe::ZkMetrics, Some(a)) => {
                let mut out = std::io::stdout();
                let _ = out.write_all(a.as_bytes()).and_then(|()| out.flush());
                ExitCode::SUCCESS
            }
            (Probe::Metrics | Probe::ZkMetrics, None) => ExitCode::from(1),
        }
    }
}
