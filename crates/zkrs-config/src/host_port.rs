//! [`HostPort`]: a host as written plus a port, ZooKeeper's unresolved `InetSocketAddress`.

use std::fmt;
use std::net::IpAddr;

use crate::error::ErrorKind;
use crate::java;

/// A host (name or IP literal, as written, IPv6 without brackets) and a port.
///
/// ZooKeeper keeps the host string it was given (`InetSocketAddress.getHostString`) and zkrs
/// does the same: nothing is resolved while parsing. Displays as `host:port`, with brackets
/// around hosts that contain `:` (`[::1]:2181`), like `QuorumServer.delimitedHostString`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostPort {
    /// The host as written (without IPv6 brackets).
    pub host: String,
    /// The port.
    pub port: u16,
}

/// The host ZooKeeper binds when only a port is given (`new InetSocketAddress(port)`).
pub const WILDCARD_HOST: &str = "0.0.0.0";

impl HostPort {
    /// A host and a port.
    pub fn new(host: impl Into<String>, port: u16) -> HostPort {
        HostPort {
            host: host.into(),
            port,
        }
    }

    /// The wildcard address `0.0.0.0:port`.
    pub fn wildcard(port: u16) -> HostPort {
        HostPort::new(WILDCARD_HOST, port)
    }

    /// The host, in brackets if it contains `:`.
    pub fn delimited_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// Whether the host is an IP literal for "any address" (`0.0.0.0` or `::`).
    pub fn is_wildcard(&self) -> bool {
        self.ip().is_some_and(|ip| ip.is_unspecified())
    }

    /// The host as an IP address, if it is an IP literal (an IPv6 zone suffix is ignored).
    pub fn ip(&self) -> Option<IpAddr> {
        let literal = self.host.split('%').next().unwrap_or(&self.host);
        literal.parse().ok()
    }

    /// Whether two addresses are the same without DNS: equal ports and either equal IP
    /// literals or hosts equal ignoring ASCII case.
    pub fn same_address(&self, other: &HostPort) -> bool {
        if self.port != other.port {
            return false;
        }
        match (self.ip(), other.ip()) {
            (Some(a), Some(b)) => a == b,
            _ => self.host.eq_ignore_ascii_case(&other.host),
        }
    }
}

impl fmt::Display for HostPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.delimited_host(), self.port)
    }
}

/// Splits `host:port[:more]` like `ConfigUtils.getHostAndPort`: a leading `[` starts an IPv6
/// literal that must be closed by `]` and followed by `:port`; otherwise the text is split on
/// `:` (Java `split`, so trailing empty parts vanish).
///
/// zkrs requires the character after `]` to be `:`; Java skips it whatever it is.
pub(crate) fn split_host_and_port(s: &str) -> Result<Vec<String>, ErrorKind> {
    let Some(rest) = s.strip_prefix('[') else {
        return Ok(java::split(s, ':').into_iter().map(str::to_owned).collect());
    };
    let bad = |reason| ErrorKind::BadIpv6Bracket {
        value: s.to_owned(),
        reason,
    };
    let Some(close) = rest.find(']') else {
        return Err(bad("starts with '[' but has no matching ']'"));
    };
    let host = &rest[..close];
    let after = &rest[close + 1..];
    if host.is_empty() {
        return Err(bad("empty IPv6 address between '[' and ']'"));
    }
    if host.contains('[') {
        return Err(bad("nested '[' in an IPv6 address"));
    }
    match after.strip_prefix(':') {
        None if after.is_empty() => Ok(vec![host.to_owned()]),
        None => Err(bad("expected ':' after ']'")),
        Some("") => Err(bad("doesn't have a port after colon")),
        Some(ports) => {
            let mut parts = vec![host.to_owned()];
            parts.extend(java::split(ports, ':').into_iter().map(str::to_owned));
            Ok(parts)
        }
    }
}

/// Parses a port like ZooKeeper: `Integer.parseInt`, then `InetSocketAddress`'s 0..=65535.
pub(crate) fn parse_port(s: &str) -> Result<u16, ErrorKind> {
    java::parse_int(s)
        .and_then(|p| u16::try_from(p).ok())
        .ok_or_else(|| ErrorKind::InvalidPort {
            value: s.to_owned(),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_brackets_ipv6() {
        assert_eq!(HostPort::new("::1", 2181).to_string(), "[::1]:2181");
        assert_eq!(
            HostPort::new("fe80::1%eth0", 1).to_string(),
            "[fe80::1%eth0]:1"
        );
        assert_eq!(HostPort::new("zk1", 2181).to_string(), "zk1:2181");
        assert_eq!(HostPort::wildcard(2181).to_string(), "0.0.0.0:2181");
    }

    #[test]
    fn wildcard_and_same_address() {
        assert!(HostPort::wildcard(1).is_wildcard());
        assert!(HostPort::new("::", 1).is_wildcard());
        assert!(!HostPort::new("localhost", 1).is_wildcard());
        assert!(HostPort::new("::1", 5).same_address(&HostPort::new("0:0:0:0:0:0:0:1", 5)));
        assert!(HostPort::new("ZK1", 5).same_address(&HostPort::new("zk1", 5)));
        assert!(!HostPort::new("zk1", 5).same_address(&HostPort::new("zk1", 6)));
    }

    #[test]
    fn split_forms() {
        let ok = |s: &str| split_host_and_port(s).unwrap_or_else(|e| panic!("{s}: {e}"));
        assert_eq!(ok("h:1:2"), vec!["h", "1", "2"]);
        assert_eq!(ok("h:1:2:"), vec!["h", "1", "2"]);
        assert_eq!(ok("2181"), vec!["2181"]);
        assert_eq!(ok("[::1]:2888:3888"), vec!["::1", "2888", "3888"]);
        assert_eq!(
            ok("[::1]:2888:3888:observer"),
            vec!["::1", "2888", "3888", "observer"]
        );
        assert_eq!(ok("[::1]"), vec!["::1"]);
        assert_eq!(ok(""), vec![""]);
        for bad in ["[::1", "[::1]:", "[::1]x2888:3888", "[]:1:2", "[[::1]:1:2"] {
            assert!(
                matches!(
                    split_host_and_port(bad),
                    Err(ErrorKind::BadIpv6Bracket { .. })
                ),
                "{bad}"
            );
        }
    }

    #[test]
    fn ports() {
        assert_eq!(parse_port("2181"), Ok(2181));
        assert_eq!(parse_port("0"), Ok(0));
        assert_eq!(parse_port("65535"), Ok(65535));
        for bad in ["65536", "-1", "", "21 81", "0x10", "port"] {
            assert!(
                matches!(parse_port(bad), Err(ErrorKind::InvalidPort { .. })),
                "{bad}"
            );
        }
    }
}
