//! [`ProcessStats`]: the values of the `process_*` families, read from `/proc/self` the way
//! simpleclient_hotspot's `ProcessCollector` reads them for a JVM.
//!
//! - `process_cpu_seconds_total`: `utime + stime` of `/proc/self/stat`, in clock ticks of
//!   1/100 s (`USER_HZ` on Linux; the JVM reports `getProcessCpuTime`);
//! - `process_start_time_seconds`: `btime` of `/proc/stat` + `starttime` of `/proc/self/stat`
//!   (the JVM reports `RuntimeMXBean.getStartTime`);
//! - `process_open_fds`: the entries of `/proc/self/fd`; `process_max_fds`: the soft
//!   `Max open files` of `/proc/self/limits`;
//! - `process_virtual_memory_bytes`, `process_resident_memory_bytes`: `VmSize`, `VmRSS` of
//!   `/proc/self/status` (as simpleclient reads them).
//!
//! A value that cannot be read (no procfs) is `None` and its family has no sample.

/// Clock ticks per second of `/proc/<pid>/stat` times.
const USER_HZ: f64 = 100.0;

/// The process figures; `None` where `/proc` does not tell.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ProcessStats {
    pub cpu_seconds_total: Option<f64>,
    pub start_time_seconds: Option<f64>,
    pub open_fds: Option<f64>,
    pub max_fds: Option<f64>,
    pub virtual_memory_bytes: Option<f64>,
    pub resident_memory_bytes: Option<f64>,
}

impl ProcessStats {
    /// Reads the current values.
    pub fn read() -> ProcessStats {
        let stat = std::fs::read_to_string("/proc/self/stat").ok();
        let fields = stat.as_deref().map(stat_fields).unwrap_or_default();
        let field = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
        let cpu = match (field(11), field(12)) {
            (Some(u), Some(s)) => Some((u + s) / USER_HZ),
            _ => None,
        };
        let btime = std::fs::read_to_string("/proc/stat").ok().and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("btime "))
                .and_then(|v| v.trim().parse::<f64>().ok())
        });
        let start = match (btime, field(19)) {
            (Some(b), Some(ticks)) => Some(b + ticks / USER_HZ),
            _ => None,
        };
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        ProcessStats {
            cpu_seconds_total: cpu,
            start_time_seconds: start,
            open_fds: std::fs::read_dir("/proc/self/fd")
                .ok()
                .map(|d| d.count() as f64),
            max_fds: std::fs::read_to_string("/proc/self/limits")
                .ok()
                .and_then(|t| max_open_files(&t)),
            virtual_memory_bytes: status_kb(&status, "VmSize:").map(|kb| kb * 1024.0),
            resident_memory_bytes: status_kb(&status, "VmRSS:").map(|kb| kb * 1024.0),
        }
    }

    /// The value of the `process_*` family `name`.
    pub fn value(&self, name: &str) -> Option<f64> {
        match name {
            "process_cpu_seconds_total" => self.cpu_seconds_total,
            "process_start_time_seconds" => self.start_time_seconds,
            "process_open_fds" => self.open_fds,
            "process_max_fds" => self.max_fds,
            "process_virtual_memory_bytes" => self.virtual_memory_bytes,
            "process_resident_memory_bytes" => self.resident_memory_bytes,
            _ => None,
        }
    }
}

/// The fields of `/proc/<pid>/stat` after the command name (`(comm)` may hold spaces), so
/// index 0 is field 3 (`state`).
fn stat_fields(stat: &str) -> Vec<String> {
    stat.rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// `VmRSS:    12345 kB` → 12345.
fn status_kb(status: &str, key: &str) -> Option<f64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

/// The soft limit of `Max open files` (`None` when unlimited).
fn max_open_files(limits: &str) -> Option<f64> {
    limits
        .lines()
        .find_map(|l| l.strip_prefix("Max open files"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|soft| soft.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_proc_text() {
        let stat = "1234 (a b) S 1 1234 1234 0 -1 4194560 100 0 0 0 150 50 0 0 20 0 4 0 5000 1 2";
        let f = stat_fields(stat);
        assert_eq!(f[0], "S");
        assert_eq!(f[11], "150");
        assert_eq!(f[12], "50");
        assert_eq!(f[19], "5000");
        assert_eq!(
            status_kb("Name:\tx\nVmRSS:\t  2048 kB\n", "VmRSS:"),
            Some(2048.0)
        );
        let limits = "Limit Soft Limit Hard Limit Units\nMax open files            1024                 524288               files\n";
        assert_eq!(max_open_files(limits), Some(1024.0));
    }

    #[test]
    fn reads_this_process() {
        let p = ProcessStats::read();
        if std::path::Path::new("/proc/self/stat").exists() {
            assert!(p.open_fds.is_some_and(|n| n > 0.0));
            assert!(p.resident_memory_bytes.is_some_and(|n| n > 0.0));
            assert!(p.start_time_seconds.is_some_and(|t| t > 1.0e9));
            assert!(p.cpu_seconds_total.is_some());
        }
    }
}
