//! [`ConnectString`]: `ConnectStringParser` (hosts, default port 2181, optional chroot) and the
//! shuffled round-robin order of `StaticHostProvider`.

use std::time::{SystemTime, UNIX_EPOCH};

use crate::path::validate_path;

/// A parsed connect string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectString {
    /// `(host, port)` in the (shuffled) order they are tried.
    pub hosts: Vec<(String, u16)>,
    /// The chroot, `None` for `/` or none.
    pub chroot: Option<String>,
}

/// A small xorshift generator seeded from the clock and pid (shuffle and back-off only).
pub fn random_u64() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mut x = nanos ^ (u64::from(std::process::id()) << 32) ^ 0x9e37_79b9_7f4a_7c15;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    x
}

impl ConnectString {
    /// Parses `host[:port][,host[:port]...][/chroot]`; the error is Java's exception text.
    pub fn parse(s: &str) -> Result<ConnectString, String> {
        let (addrs, chroot) = match s.find('/') {
            Some(off) => {
                let c = &s[off..];
                let chroot = if c.len() == 1 {
                    None
                } else {
                    validate_path(c)?;
                    Some(c.to_string())
                };
                (&s[..off], chroot)
            }
            None => (s, None),
        };
        let mut hosts = Vec::new();
        for h in addrs.split(',').map(str::trim).filter(|h| !h.is_empty()) {
            let (host, port) = if let Some(rest) = h.strip_prefix('[') {
                // [v6]:port
                let end = rest.find(']').ok_or_else(|| format!("Invalid host {h}"))?;
                let host = &rest[..end];
                let port = match rest[end + 1..].strip_prefix(':') {
                    Some(p) => parse_port(p)?,
                    None => 2181,
                };
                (host.to_string(), port)
            } else {
                match h.rfind(':') {
                    Some(i) if i + 1 < h.len() => (h[..i].to_string(), parse_port(&h[i + 1..])?),
                    Some(i) => (h[..i].to_string(), 2181),
                    None => (h.to_string(), 2181),
                }
            };
            hosts.push((host, port));
        }
        if hosts.is_empty() {
            return Err("A HostProvider may not be empty!".to_string());
        }
        // StaticHostProvider shuffles the list once.
        for i in (1..hosts.len()).rev() {
            let j = (random_u64() % (i as u64 + 1)) as usize;
            hosts.swap(i, j);
        }
        Ok(ConnectString { hosts, chroot })
    }

    /// The server path of a client path.
    pub fn prepend(&self, path: &str) -> String {
        match &self.chroot {
            None => path.to_string(),
            Some(c) if path == "/" => c.clone(),
            Some(c) => format!("{c}{path}"),
        }
    }

    /// The client path of a server path (event paths, created names).
    pub fn strip(&self, server_path: &str) -> String {
        match &self.chroot {
            None => server_path.to_string(),
            Some(c) if server_path == c => "/".to_string(),
            Some(c) if server_path.len() > c.len() && server_path.starts_with(c.as_str()) => {
                server_path[c.len()..].to_string()
            }
            Some(_) => server_path.to_string(),
        }
    }
}

fn parse_port(p: &str) -> Result<u16, String> {
    p.trim()
        .parse::<u16>()
        .map_err(|_| format!("For input string: \"{}\"", p.trim()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_hosts_and_chroot() {
        let c = ConnectString::parse("a:1,b,[::1]:3/app/x").unwrap();
        let mut hosts = c.hosts.clone();
        hosts.sort();
        assert_eq!(
            hosts,
            vec![
                ("::1".to_string(), 3),
                ("a".to_string(), 1),
                ("b".to_string(), 2181)
            ]
        );
        assert_eq!(c.chroot.as_deref(), Some("/app/x"));
        assert_eq!(c.prepend("/"), "/app/x");
        assert_eq!(c.prepend("/y"), "/app/x/y");
        assert_eq!(c.strip("/app/x"), "/");
        assert_eq!(c.strip("/app/x/y"), "/y");
        assert_eq!(ConnectString::parse("h:1/").unwrap().chroot, None);
        assert!(ConnectString::parse("h:1/a/").is_err());
    }
}
