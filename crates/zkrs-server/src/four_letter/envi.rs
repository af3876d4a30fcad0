//! `envi`: `Environment.list()`.
//!
//! `zookeeper.version` comes first (kazoo's `server_version()` parses the digits before the
//! first `-`). The `java.*` keys have zkrs values, since there is no JVM:
//!
//! | key | zkrs value |
//! |---|---|
//! | `java.version` | `zkrs-<version> (Rust, no JVM)` |
//! | `java.vendor` | `zkrs` |
//! | `java.home` | directory of the running executable |
//! | `java.class.path` | path of the running executable |
//! | `java.library.path` | `<NA>` |
//! | `java.io.tmpdir` | the temp directory (`TMPDIR` or `/tmp`) |
//! | `java.compiler` | `<NA>` |
//!
//! `os.memory.*` describe the process and machine instead of a heap: `free` is the machine's
//! `MemAvailable`, `max` its `MemTotal`, `total` the process's resident size (`VmRSS`), all in
//! MB, from `/proc`.

use std::fmt::Write;

use crate::version::{FULL_VERSION, ZKRS_VERSION};

const NA: &str = "<NA>";

/// The whole reply.
pub fn envi() -> String {
    let mut out = String::from("Environment:\n");
    for (key, value) in environment() {
        let _ = writeln!(out, "{key}={value}");
    }
    out
}

/// The `key=value` entries in ZooKeeper's order.
pub fn environment() -> Vec<(&'static str, String)> {
    let exe = std::env::current_exe().ok();
    let exe_dir = exe
        .as_ref()
        .and_then(|p| p.parent().map(|d| d.display().to_string()));
    vec![
        ("zookeeper.version", FULL_VERSION.to_string()),
        ("host.name", host_name()),
        (
            "java.version",
            format!("zkrs-{ZKRS_VERSION} (Rust, no JVM)"),
        ),
        ("java.vendor", "zkrs".to_string()),
        ("java.home", exe_dir.unwrap_or_else(|| NA.to_string())),
        (
            "java.class.path",
            exe.map_or_else(|| NA.to_string(), |p| p.display().to_string()),
        ),
        ("java.library.path", NA.to_string()),
        ("java.io.tmpdir", std::env::temp_dir().display().to_string()),
        ("java.compiler", NA.to_string()),
        ("os.name", os_name()),
        ("os.arch", os_arch().to_string()),
        ("os.version", os_version()),
        ("user.name", user_name()),
        (
            "user.home",
            std::env::var("HOME").unwrap_or_else(|_| NA.to_string()),
        ),
        (
            "user.dir",
            std::env::current_dir().map_or_else(|_| NA.to_string(), |p| p.display().to_string()),
        ),
        ("os.memory.free", mb(meminfo_kb("MemAvailable:"))),
        ("os.memory.max", mb(meminfo_kb("MemTotal:"))),
        ("os.memory.total", mb(status_kb("VmRSS:"))),
    ]
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn host_name() -> String {
    read_trimmed("/proc/sys/kernel/hostname")
        .or_else(|| read_trimmed("/etc/hostname"))
        .or_else(|| std::env::var("HOSTNAME").ok())
        .unwrap_or_else(|| NA.to_string())
}

/// Java's `os.name`: `Linux`, `Mac OS X`, ...
fn os_name() -> String {
    match std::env::consts::OS {
        "linux" => "Linux".to_string(),
        "macos" => "Mac OS X".to_string(),
        "windows" => "Windows".to_string(),
        "freebsd" => "FreeBSD".to_string(),
        other => other.to_string(),
    }
}

/// Java's `os.arch`: `amd64` for x86_64.
fn os_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "x86" => "x86",
        other => other,
    }
}

fn os_version() -> String {
    read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| NA.to_string())
}

fn user_name() -> String {
    if let Ok(user) = std::env::var("USER") {
        if !user.is_empty() {
            return user;
        }
    }
    // Look the real uid up in /etc/passwd.
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|rest| rest.split_whitespace().next().map(str::to_string))
        });
    let passwd = std::fs::read_to_string("/etc/passwd").unwrap_or_default();
    uid.and_then(|uid| {
        passwd.lines().find_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let _password = fields.next()?;
            (fields.next()? == uid).then(|| name.to_string())
        })
    })
    .unwrap_or_else(|| NA.to_string())
}

fn kb_field(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn meminfo_kb(key: &str) -> Option<u64> {
    kb_field(&std::fs::read_to_string("/proc/meminfo").ok()?, key)
}

fn status_kb(key: &str) -> Option<u64> {
    kb_field(&std::fs::read_to_string("/proc/self/status").ok()?, key)
}

fn mb(kb: Option<u64>) -> String {
    kb.map_or_else(|| NA.to_string(), |kb| format!("{}MB", kb / 1024))
}

#[cfg(test)]
mod tests {
    #[test]
    fn version_line_first() {
        let text = super::envi();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("Environment:"));
        let version = lines.next().unwrap_or_default();
        assert!(version.starts_with("zookeeper.version=3.8.0-"), "{version}");
        assert!(text.contains("\nos.name="));
        assert!(text.ends_with('\n'));
    }
}
