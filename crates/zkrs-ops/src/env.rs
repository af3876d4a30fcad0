//! [`Env`]: the variables a script sees, as a map the applets read and change before they
//! start the server with it.

use std::collections::BTreeMap;
use std::ffi::OsString;

/// A snapshot of environment variables (names and values as UTF-8; others are kept as they
/// are for the server but read as absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<OsString, OsString>,
}

impl Env {
    /// The process environment.
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os().collect(),
        }
    }

    /// An environment with exactly `pairs` (tests).
    #[cfg(test)]
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Env {
        Env {
            vars: pairs
                .iter()
                .map(|(k, v)| (OsString::from(k), OsString::from(v)))
                .collect(),
        }
    }

    /// The value of `key`, if set (possibly empty) and UTF-8.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars.get(&OsString::from(key)).and_then(|v| v.to_str())
    }

    /// `${KEY-default}`: the value when set (even empty), else `default`.
    pub fn or(&self, key: &str, default: &str) -> String {
        self.get(key).unwrap_or(default).to_owned()
    }

    /// `${KEY:-default}`: the value when set and not empty, else `default`.
    pub fn nonempty_or(&self, key: &str, default: &str) -> String {
        match self.get(key) {
            Some(v) if !v.is_empty() => v.to_owned(),
            _ => default.to_owned(),
        }
    }

    /// Whether `key` is set to a non-empty value (`[ -n "$KEY" ]`).
    pub fn is_nonempty(&self, key: &str) -> bool {
        self.get(key).is_some_and(|v| !v.is_empty())
    }

    /// Sets `key` to `value`.
    pub fn set(&mut self, key: &str, value: &str) {
        self.vars.insert(OsString::from(key), OsString::from(value));
    }

    /// Every variable, for a child process (`Command::env_clear().envs(..)`).
    pub fn iter(&self) -> impl Iterator<Item = (&OsString, &OsString)> {
        self.vars.iter()
    }

    /// Applies the plain assignments of a sourced shell file (`zookeeper-env.sh`, `java.env`):
    /// lines `[export ]NAME=value` where the value is a bare word, `"..."` or `'...'`. Other
    /// lines (commands, conditionals) are skipped: there is no shell to run them. `$VAR` in a
    /// value is expanded from the variables set so far when the value is bare or double-quoted.
    pub fn source_assignments(&mut self, text: &str) {
        for line in text.lines() {
            let line = line.trim();
            let line = line.strip_prefix("export ").map(str::trim).unwrap_or(line);
            let Some((name, value)) = line.split_once('=') else {
                continue;
            };
            let valid_name = !name.is_empty()
                && !name.starts_with(|c: char| c.is_ascii_digit())
                && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !valid_name {
                continue;
            }
            let Some(value) = self.shell_value(value) else {
                continue;
            };
            self.set(name, &value);
        }
    }

    /// The value of one assignment's right-hand side, or `None` when it is not a plain word.
    fn shell_value(&self, raw: &str) -> Option<String> {
        if let Some(rest) = raw.strip_prefix('\'') {
            let (inner, tail) = rest.split_once('\'')?;
            return Self::only_comment(tail).then(|| inner.to_owned());
        }
        if let Some(rest) = raw.strip_prefix('"') {
            let end = rest.rfind('"')?;
            let (inner, tail) = (&rest[..end], &rest[end + 1..]);
            return Self::only_comment(tail).then(|| self.expand(&inner.replace("\\\"", "\"")));
        }
        let word = raw.split('#').next().unwrap_or("").trim_end();
        if word.contains(char::is_whitespace) {
            return None;
        }
        Some(self.expand(word))
    }

    fn only_comment(tail: &str) -> bool {
        let t = tail.trim();
        t.is_empty() || t.starts_with('#')
    }

    /// `$NAME` and `${NAME}` replaced by their values (empty when unset).
    fn expand(&self, s: &str) -> String {
        let mut out = String::new();
        let mut rest = s;
        while let Some(i) = rest.find('$') {
            out.push_str(&rest[..i]);
            let after = &rest[i + 1..];
            let (name, next) = if let Some(braced) = after.strip_prefix('{') {
                match braced.find('}') {
                    Some(e) => (&braced[..e], &braced[e + 1..]),
                    None => ("", after),
                }
            } else {
                let e = after
                    .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                    .unwrap_or(after.len());
                (&after[..e], &after[e..])
            };
            if name.is_empty() {
                out.push('$');
            } else {
                out.push_str(self.get(name).unwrap_or(""));
            }
            rest = next;
        }
        out.push_str(rest);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::Env;

    #[test]
    fn defaults_follow_shell_rules() {
        let e = Env::from_pairs(&[("A", ""), ("B", "x")]);
        assert_eq!(e.or("A", "d"), "");
        assert_eq!(e.nonempty_or("A", "d"), "d");
        assert_eq!(e.or("C", "d"), "d");
        assert_eq!(e.nonempty_or("B", "d"), "x");
        assert!(!e.is_nonempty("A"));
    }

    #[test]
    fn sources_plain_assignments() {
        let mut e = Env::from_pairs(&[("BASE", "/opt")]);
        e.source_assignments(
            "# comment\nZOO_LOG_DIR=/var/log/zookeeper\nJVMFLAGS=\"-Xmx2G -Xms2G\"\n\
             export ZOOPIDFILE='/run/zk.pid'\nX=$BASE/x # trailing\nif [ -x y ]; then\nY=a b\n",
        );
        assert_eq!(e.get("ZOO_LOG_DIR"), Some("/var/log/zookeeper"));
        assert_eq!(e.get("JVMFLAGS"), Some("-Xmx2G -Xms2G"));
        assert_eq!(e.get("ZOOPIDFILE"), Some("/run/zk.pid"));
        assert_eq!(e.get("X"), Some("/opt/x"));
        assert_eq!(e.get("Y"), None);
    }
}
