//! [`QuorumServer`]: one `server.N` line, parsed like `QuorumServer.initializeWithAddressString`.
//!
//! ```text
//! server.N = host:quorumPort:electionPort[:participant|:observer]
//!            [|host2:quorumPort2:electionPort2[:role]...]
//!            [;[clientHost:]clientPort]
//! ```
//!
//! IPv6 hosts are written in brackets (`[::1]:2888:3888`). `|` (several addresses per server)
//! needs `multiAddress.enabled=true`. A client part with only a port binds `0.0.0.0`.

use std::fmt;

use crate::error::ErrorKind;
use crate::host_port::{parse_port, split_host_and_port, HostPort, WILDCARD_HOST};
use crate::java;
use crate::learner_type::LearnerType;

/// One quorum/election address pair of a server.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ServerAddress {
    /// The host as written (IPv6 without brackets).
    pub host: String,
    /// The port learners connect to the leader on (e.g. 2888).
    pub quorum_port: u16,
    /// The leader-election port (e.g. 3888).
    pub election_port: u16,
}

impl ServerAddress {
    /// `host:quorumPort`.
    pub fn quorum_addr(&self) -> HostPort {
        HostPort::new(self.host.clone(), self.quorum_port)
    }

    /// `host:electionPort`.
    pub fn election_addr(&self) -> HostPort {
        HostPort::new(self.host.clone(), self.election_port)
    }
}

/// A member of the ensemble.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumServer {
    /// The server id (`N` of `server.N`, matched against `myid`).
    pub id: u64,
    /// The addresses, in the order written; never empty.
    pub addresses: Vec<ServerAddress>,
    /// The role; participant unless the line says `:observer`.
    pub learner_type: LearnerType,
    /// The client address: from the `;client` part, or, for this server only, the static
    /// `clientPortAddress`/`clientPort` once the server id is known.
    pub client_addr: Option<HostPort>,
    /// Whether `client_addr` came from the static `clientPort` (then it is not serialized).
    pub client_addr_from_static: bool,
}

impl QuorumServer {
    /// Parses the value of `server.<id>`. `value` should already be trimmed.
    ///
    /// Errors: [`ErrorKind::ServerFormat`], [`ErrorKind::BadIpv6Bracket`],
    /// [`ErrorKind::EmptyHost`], [`ErrorKind::InvalidPort`], [`ErrorKind::SamePorts`],
    /// [`ErrorKind::UnknownServerRole`], [`ErrorKind::MixedServerRoles`],
    /// [`ErrorKind::MultiAddressDisabled`].
    pub fn parse(
        id: u64,
        value: &str,
        multi_address_enabled: bool,
    ) -> Result<QuorumServer, ErrorKind> {
        let format_error = || ErrorKind::ServerFormat {
            value: value.to_owned(),
        };
        let server_client = java::split(value, ';');
        if server_client.is_empty() || server_client.len() > 2 {
            return Err(format_error());
        }

        let client_addr = match server_client.get(1) {
            Some(client) => {
                let parts = split_host_and_port(java::trim(client))?;
                let (host, port) = match parts.as_slice() {
                    [port] => (WILDCARD_HOST, port),
                    [host, port] => (host.as_str(), port),
                    _ => return Err(format_error()),
                };
                let host = java::trim(host);
                if host.is_empty() {
                    return Err(ErrorKind::EmptyHost {
                        value: (*client).to_owned(),
                    });
                }
                Some(HostPort::new(host, parse_port(java::trim(port))?))
            }
            None => None,
        };

        let server_parts = java::split(server_client[0], '|');
        if server_parts.len() > 1 && !multi_address_enabled {
            return Err(ErrorKind::MultiAddressDisabled);
        }
        if server_parts.is_empty() {
            return Err(format_error());
        }

        let mut addresses = Vec::with_capacity(server_parts.len());
        let mut role: Option<LearnerType> = None;
        for part in server_parts {
            let part = java::trim(part);
            let fields = split_host_and_port(part)?;
            if fields.len() < 3 || fields.len() > 4 {
                return Err(format_error());
            }
            let host = java::trim(&fields[0]);
            if host.is_empty() {
                return Err(ErrorKind::EmptyHost {
                    value: part.to_owned(),
                });
            }
            let quorum_port = parse_port(java::trim(&fields[1]))?;
            let election_port = parse_port(java::trim(&fields[2]))?;
            if quorum_port == election_port {
                return Err(ErrorKind::SamePorts { port: quorum_port });
            }
            if let Some(written) = fields.get(3) {
                let this =
                    LearnerType::parse(written).ok_or_else(|| ErrorKind::UnknownServerRole {
                        value: written.clone(),
                    })?;
                if role.is_some_and(|r| r != this) {
                    return Err(ErrorKind::MixedServerRoles);
                }
                role = Some(this);
            }
            addresses.push(ServerAddress {
                host: host.to_owned(),
                quorum_port,
                election_port,
            });
        }

        Ok(QuorumServer {
            id,
            addresses,
            learner_type: role.unwrap_or_default(),
            client_addr,
            client_addr_from_static: false,
        })
    }

    /// Whether the server votes.
    pub fn is_participant(&self) -> bool {
        self.learner_type == LearnerType::Participant
    }

    /// The host of the last address (`QuorumServer.hostname`).
    pub fn hostname(&self) -> &str {
        self.addresses.last().map_or("", |a| a.host.as_str())
    }

    /// The quorum addresses (`host:quorumPort`), in the order written.
    pub fn quorum_addrs(&self) -> Vec<HostPort> {
        self.addresses
            .iter()
            .map(ServerAddress::quorum_addr)
            .collect()
    }

    /// The election addresses (`host:electionPort`), in the order written.
    pub fn election_addrs(&self) -> Vec<HostPort> {
        self.addresses
            .iter()
            .map(ServerAddress::election_addr)
            .collect()
    }

    /// The client address to serialize: absent if unknown or taken from the static config.
    pub fn serialized_client_addr(&self) -> Option<&HostPort> {
        self.client_addr
            .as_ref()
            .filter(|_| !self.client_addr_from_static)
    }
}

/// The value part of a `server.N` line as ZooKeeper writes it (`QuorumServer.toString`):
/// addresses sorted by host and joined with `|`, the role always spelled out, and the client
/// address unless it came from the static `clientPort`.
impl fmt::Display for QuorumServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sorted: Vec<&ServerAddress> = self.addresses.iter().collect();
        sorted.sort_by(|a, b| a.host.cmp(&b.host));
        for (i, a) in sorted.iter().enumerate() {
            if i > 0 {
                f.write_str("|")?;
            }
            let host = HostPort::new(a.host.clone(), a.quorum_port).delimited_host();
            write!(f, "{host}:{}:{}", a.quorum_port, a.election_port)?;
        }
        write!(f, ":{}", self.learner_type)?;
        if let Some(client) = self.serialized_client_addr() {
            write!(f, ";{client}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(value: &str) -> QuorumServer {
        QuorumServer::parse(1, value, true).unwrap_or_else(|e| panic!("{value}: {e}"))
    }

    fn err(value: &str) -> ErrorKind {
        QuorumServer::parse(1, value, true).expect_err(value)
    }

    #[test]
    fn plain_form() {
        let s = parse("zk1.example.com:2888:3888");
        assert_eq!(
            s.addresses,
            vec![ServerAddress {
                host: "zk1.example.com".into(),
                quorum_port: 2888,
                election_port: 3888
            }]
        );
        assert_eq!(s.learner_type, LearnerType::Participant);
        assert_eq!(s.client_addr, None);
        assert_eq!(s.hostname(), "zk1.example.com");
        assert_eq!(s.to_string(), "zk1.example.com:2888:3888:participant");
    }

    #[test]
    fn roles_any_case() {
        assert_eq!(parse("h:1:2:observer").learner_type, LearnerType::Observer);
        assert_eq!(parse("h:1:2:OBSERVER").learner_type, LearnerType::Observer);
        assert_eq!(
            parse("h:1:2:participant").learner_type,
            LearnerType::Participant
        );
        assert_eq!(parse("h:1:2:observer").to_string(), "h:1:2:observer");
        assert!(
            matches!(err("h:1:2:voter"), ErrorKind::UnknownServerRole { value } if value == "voter")
        );
    }

    #[test]
    fn client_part() {
        let s = parse("h:2888:3888;2181");
        assert_eq!(s.client_addr, Some(HostPort::wildcard(2181)));
        assert_eq!(s.to_string(), "h:2888:3888:participant;0.0.0.0:2181");
        let s = parse("h:2888:3888:observer;127.0.0.1:2182");
        assert_eq!(s.client_addr, Some(HostPort::new("127.0.0.1", 2182)));
        assert_eq!(s.to_string(), "h:2888:3888:observer;127.0.0.1:2182");
        let s = parse("h:2888:3888;[::1]:2181");
        assert_eq!(s.client_addr, Some(HostPort::new("::1", 2181)));
        assert_eq!(s.to_string(), "h:2888:3888:participant;[::1]:2181");
        // A trailing ';' is dropped by Java's split.
        assert_eq!(parse("h:1:2;").client_addr, None);
        assert!(matches!(err("h:1:2;a:b:c"), ErrorKind::ServerFormat { .. }));
        assert!(matches!(
            err("h:1:2;2181;2182"),
            ErrorKind::ServerFormat { .. }
        ));
        assert!(matches!(err("h:1:2;port"), ErrorKind::InvalidPort { .. }));
        assert!(matches!(err("h:1:2;:2181"), ErrorKind::EmptyHost { .. }));
    }

    #[test]
    fn ipv6() {
        let s = parse("[2001:db8::1]:2888:3888:participant;[2001:db8::1]:2181");
        assert_eq!(s.addresses[0].host, "2001:db8::1");
        assert_eq!(
            s.to_string(),
            "[2001:db8::1]:2888:3888:participant;[2001:db8::1]:2181"
        );
        assert!(matches!(
            err("[::1:2888:3888"),
            ErrorKind::BadIpv6Bracket { .. }
        ));
        assert!(matches!(err("[::1]:"), ErrorKind::BadIpv6Bracket { .. }));
        // Unbracketed IPv6 has too many colons.
        assert!(matches!(
            err("::1:2888:3888"),
            ErrorKind::ServerFormat { .. }
        ));
    }

    #[test]
    fn multi_address() {
        let s = parse("zk1b:2888:3888|zk1a:2889:3889:observer;2181");
        assert_eq!(s.addresses.len(), 2);
        assert_eq!(s.learner_type, LearnerType::Observer);
        assert_eq!(s.hostname(), "zk1a");
        // Sorted by host when serialized; the role is written once at the end.
        assert_eq!(
            s.to_string(),
            "zk1a:2889:3889|zk1b:2888:3888:observer;0.0.0.0:2181"
        );
        assert!(matches!(
            err("a:1:2:observer|b:1:2:participant"),
            ErrorKind::MixedServerRoles
        ));
        assert_eq!(
            QuorumServer::parse(1, "a:1:2|b:1:2", false),
            Err(ErrorKind::MultiAddressDisabled)
        );
        assert!(matches!(
            err("a:1:2||b:1:2"),
            ErrorKind::ServerFormat { .. }
        ));
    }

    #[test]
    fn bad_shapes_and_ports() {
        for v in ["", "h", "h:1", "h:1:2:observer:x", ";2181", "|", ";"] {
            assert!(matches!(err(v), ErrorKind::ServerFormat { .. }), "{v:?}");
        }
        assert!(
            matches!(err("h:99999:3888"), ErrorKind::InvalidPort { value } if value == "99999")
        );
        assert!(matches!(err("h:2888:x"), ErrorKind::InvalidPort { .. }));
        assert!(matches!(err("h:-1:3888"), ErrorKind::InvalidPort { .. }));
        assert_eq!(err("h:2888:2888"), ErrorKind::SamePorts { port: 2888 });
        assert!(matches!(err(":2888:3888"), ErrorKind::EmptyHost { .. }));
    }

    #[test]
    fn inner_whitespace_is_tolerated() {
        // ZooKeeper passes the untrimmed value to Integer.parseInt and fails on "3888 ";
        // zkrs trims every part.
        let s = parse("h : 2888 : 3888 : observer ; 2181");
        assert_eq!(s.addresses[0].quorum_port, 2888);
        assert_eq!(s.client_addr, Some(HostPort::wildcard(2181)));
    }
}
