//! [`ServerPid`]: the process a pid file names (`kill -0`, `kill`, and waiting for it to go).

use std::time::{Duration, Instant};

use rustix::process::{kill_process, test_kill_process, Pid, Signal};

/// A process id read from a pid file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerPid(Pid);

impl ServerPid {
    /// The pid in a pid file's text (`kill $(cat file)` takes its first word).
    pub fn parse(text: &str) -> Option<ServerPid> {
        let raw: i32 = text.split_whitespace().next()?.parse().ok()?;
        (raw > 0)
            .then(|| Pid::from_raw(raw).map(ServerPid))
            .flatten()
    }

    /// The raw id.
    pub fn raw(self) -> i32 {
        self.0.as_raw_nonzero().get()
    }

    /// `kill -0 <pid>`: whether the process exists (and may be signalled). A zombie nobody
    /// reaps counts as gone.
    pub fn is_running(self) -> bool {
        test_kill_process(self.0).is_ok() && !self.is_zombie()
    }

    fn is_zombie(self) -> bool {
        let stat =
            std::fs::read_to_string(format!("/proc/{}/stat", self.raw())).unwrap_or_default();
        // `pid (comm) S ...`: the state follows the last `)`.
        stat.rsplit_once(')')
            .map(|(_, rest)| rest.trim_start().starts_with('Z'))
            .unwrap_or(false)
    }

    /// `kill <pid>` (SIGTERM).
    pub fn terminate(self) -> std::io::Result<()> {
        kill_process(self.0, Signal::TERM).map_err(std::io::Error::from)
    }

    /// Waits until the process is gone or `limit` passes; whether it is gone.
    pub fn wait_gone(self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while self.is_running() {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::ServerPid;

    #[test]
    fn parses_pid_files() {
        assert_eq!(ServerPid::parse("1234").map(ServerPid::raw), Some(1234));
        assert_eq!(ServerPid::parse("1234\n").map(ServerPid::raw), Some(1234));
        assert_eq!(ServerPid::parse(""), None);
        assert_eq!(ServerPid::parse("-1"), None);
        assert_eq!(ServerPid::parse("abc"), None);
        assert!(ServerPid::parse(&std::process::id().to_string()).is_some_and(|p| p.is_running()));
    }
}
