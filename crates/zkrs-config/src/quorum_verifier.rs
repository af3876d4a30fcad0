//! [`QuorumVerifier`]: the ensemble membership (`server.N`, `group.N`, `weight.N`, `version`)
//! and its text form, as ZooKeeper stores it in `/zookeeper/config`, the dynamic config file,
//! election notifications and NEWLEADER.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::error::{ConfigError, ErrorKind};
use crate::java;
use crate::location::Location;
use crate::properties::{Properties, Property};
use crate::quorum_server::QuorumServer;

/// Which quorum rule the membership uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuorumKind {
    /// Plain majority of the participants (`QuorumMaj`).
    Majority,
    /// Weighted groups (`QuorumHierarchical`): a majority of groups, each by a majority of its
    /// weight. Chosen when any key starts with `group` or `weight`.
    Hierarchical,
    /// Majority, plus an oracle file that breaks ties in a two-participant ensemble
    /// (`QuorumOracleMaj`, 3.8+). Chosen when `oraclePath` is set; groups are then ignored.
    Oracle {
        /// The oracle file path.
        path: String,
    },
}

/// The membership of the ensemble.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuorumVerifier {
    kind: QuorumKind,
    version: i64,
    servers: BTreeMap<u64, QuorumServer>,
    /// Hierarchical only: group id → member ids (ascending).
    groups: BTreeMap<i64, BTreeSet<u64>>,
    /// Hierarchical only: server id → weight.
    weights: BTreeMap<u64, i64>,
}

/// Membership parsed from properties, with the lines the servers were defined on.
pub(crate) struct ParsedQuorum {
    pub(crate) verifier: QuorumVerifier,
    pub(crate) server_locations: BTreeMap<u64, Location>,
}

/// Whether `key` belongs to the dynamic part of the configuration.
pub(crate) fn is_dynamic_key(key: &str) -> bool {
    key.starts_with("server.") || key.starts_with("group") || key.starts_with("weight")
}

/// The text after the first `.` of `key`, or the whole key (`key.substring(indexOf('.') + 1)`).
fn after_first_dot(key: &str) -> &str {
    key.split_once('.').map_or(key, |(_, rest)| rest)
}

/// Parses a server id: `Long.parseLong`, and zkrs also requires it to be non-negative.
pub(crate) fn parse_server_id(s: &str) -> Option<u64> {
    java::parse_long(java::trim(s)).and_then(|v| u64::try_from(v).ok())
}

impl QuorumVerifier {
    /// A majority verifier over `servers`.
    pub fn majority(servers: BTreeMap<u64, QuorumServer>, version: i64) -> QuorumVerifier {
        QuorumVerifier {
            kind: QuorumKind::Majority,
            version,
            servers,
            groups: BTreeMap::new(),
            weights: BTreeMap::new(),
        }
    }

    /// Parses the text form (what [`QuorumVerifier::to_config_string`] writes, or a dynamic
    /// config file with a `version` line), like `QuorumPeer.configFromString`: only
    /// `server.N`, `group.N`, `weight.N` and `version` are allowed. `source` names the text in
    /// errors.
    pub fn parse(
        text: &str,
        source: &str,
        multi_address_enabled: bool,
    ) -> Result<QuorumVerifier, ConfigError> {
        let props = Properties::parse(text, source)?;
        for p in props.iter() {
            if !is_dynamic_key(&p.key) && p.key != "version" {
                return Err(ConfigError::new(
                    Location::key(source, p.line, &p.key),
                    ErrorKind::UnrecognisedDynamicKey,
                ));
            }
        }
        Ok(parse_quorum(&props, source, None, None, multi_address_enabled)?.verifier)
    }

    /// The quorum rule.
    pub fn kind(&self) -> &QuorumKind {
        &self.kind
    }

    /// The config version (`version=<hex>`; from the dynamic file's name when there is one).
    pub fn version(&self) -> i64 {
        self.version
    }

    /// Sets the config version.
    pub fn set_version(&mut self, version: i64) {
        self.version = version;
    }

    /// Every member, participants and observers, by id.
    pub fn servers(&self) -> &BTreeMap<u64, QuorumServer> {
        &self.servers
    }

    pub(crate) fn servers_mut(&mut self) -> &mut BTreeMap<u64, QuorumServer> {
        &mut self.servers
    }

    /// The participants (voting members), by ascending id.
    pub fn voting_members(&self) -> impl Iterator<Item = &QuorumServer> {
        self.servers.values().filter(|s| s.is_participant())
    }

    /// The observers, by ascending id.
    pub fn observing_members(&self) -> impl Iterator<Item = &QuorumServer> {
        self.servers.values().filter(|s| !s.is_participant())
    }

    /// The number of participants.
    pub fn voting_count(&self) -> usize {
        self.voting_members().count()
    }

    /// Hierarchical quorums: group id → member ids. Empty for other kinds.
    pub fn groups(&self) -> &BTreeMap<i64, BTreeSet<u64>> {
        &self.groups
    }

    /// Hierarchical quorums: the explicit and defaulted weights. Empty for other kinds.
    pub fn weights(&self) -> &BTreeMap<u64, i64> {
        &self.weights
    }

    /// The weight of a server: its `weight.N` in a hierarchical quorum (participants default
    /// to 1), otherwise 1.
    pub fn weight(&self, id: u64) -> i64 {
        match self.kind {
            QuorumKind::Hierarchical => self.weights.get(&id).copied().unwrap_or(0),
            _ => 1,
        }
    }

    /// Whether the acknowledging servers `acks` form a quorum (`containsQuorum`).
    ///
    /// Majority: more than half of the participants (ids that are not participants do not
    /// count). Hierarchical: more than half of the non-zero-weight groups, each with more than
    /// half of its weight. The oracle of [`QuorumKind::Oracle`] is a runtime file and is not
    /// consulted here; it behaves as a majority.
    pub fn contains_quorum(&self, acks: &BTreeSet<u64>) -> bool {
        match self.kind {
            QuorumKind::Hierarchical => self.hierarchical_quorum(acks),
            _ => {
                let votes = self
                    .voting_members()
                    .filter(|s| acks.contains(&s.id))
                    .count();
                votes > self.voting_count() / 2
            }
        }
    }

    fn hierarchical_quorum(&self, acks: &BTreeSet<u64>) -> bool {
        if acks.is_empty() {
            return false;
        }
        let mut group_weight: BTreeMap<i64, i64> = BTreeMap::new();
        let mut acked_weight: BTreeMap<i64, i64> = BTreeMap::new();
        for (&gid, members) in &self.groups {
            for &sid in members {
                let w = self.weight(sid);
                *group_weight.entry(gid).or_default() += w;
                if acks.contains(&sid) {
                    *acked_weight.entry(gid).or_default() += w;
                }
            }
        }
        let live_groups = group_weight.values().filter(|&&w| w != 0).count();
        let majority_groups = acked_weight
            .iter()
            .filter(|(gid, &w)| w > group_weight.get(gid).copied().unwrap_or(0) / 2)
            .count();
        majority_groups > live_groups / 2
    }

    /// The text ZooKeeper writes for this membership (`QuorumMaj.toString` /
    /// `QuorumHierarchical.toString`): one `server.N=...` line per member by ascending id, each
    /// followed by `\n`; for hierarchical quorums the `group.N` and `weight.N` lines; then
    /// `version=<hex>` without a trailing newline.
    pub fn to_config_string(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for QuorumVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (id, server) in &self.servers {
            writeln!(f, "server.{id}={server}")?;
        }
        if self.kind == QuorumKind::Hierarchical {
            for (gid, members) in &self.groups {
                let list: Vec<String> = members.iter().map(u64::to_string).collect();
                writeln!(f, "group.{gid}={}", list.join(":"))?;
            }
            for (sid, w) in &self.weights {
                writeln!(f, "weight.{sid}={w}")?;
            }
        }
        write!(f, "version={}", java::to_hex_string(self.version))
    }
}

/// Builds the membership from `props` (the whole static file in backward-compatible mode, or
/// the dynamic file), like the `QuorumMaj` / `QuorumHierarchical` / `QuorumOracleMaj`
/// constructors. Keys other than `server.`, `group*`, `weight*` and `version` are ignored.
pub(crate) fn parse_quorum(
    props: &Properties,
    file: &str,
    version: Option<i64>,
    oracle_path: Option<&str>,
    multi_address_enabled: bool,
) -> Result<ParsedQuorum, ConfigError> {
    let at = |p: &Property| Location::key(file, p.line, &p.key);
    let hierarchical = props
        .iter()
        .any(|p| p.key.starts_with("group") || p.key.starts_with("weight"));
    let kind = match oracle_path {
        Some(path) => QuorumKind::Oracle {
            path: path.to_owned(),
        },
        None if hierarchical => QuorumKind::Hierarchical,
        None => QuorumKind::Majority,
    };

    let mut servers = BTreeMap::new();
    let mut server_locations: BTreeMap<u64, Location> = BTreeMap::new();
    let mut group_of: BTreeMap<u64, i64> = BTreeMap::new();
    let mut groups: BTreeMap<i64, BTreeSet<u64>> = BTreeMap::new();
    let mut group_locations: BTreeMap<i64, Location> = BTreeMap::new();
    let mut weights: BTreeMap<u64, i64> = BTreeMap::new();
    let mut parsed_version = version.unwrap_or(0);

    for p in props.iter() {
        if p.key.starts_with("server.") {
            let raw_id = after_first_dot(&p.key);
            let id = parse_server_id(raw_id).ok_or_else(|| {
                ConfigError::new(
                    at(p),
                    ErrorKind::InvalidServerId {
                        value: raw_id.to_owned(),
                    },
                )
            })?;
            if let Some(first) = server_locations.get(&id) {
                return Err(ConfigError::new(
                    at(p),
                    ErrorKind::DuplicateServerId {
                        id,
                        first: first.clone(),
                    },
                ));
            }
            let server = QuorumServer::parse(id, &p.value, multi_address_enabled)
                .map_err(|kind| ConfigError::new(at(p), kind))?;
            servers.insert(id, server);
            server_locations.insert(id, at(p));
        } else if p.key == "version" && version.is_none() {
            parsed_version = java::parse_hex_long(&p.value).ok_or_else(|| {
                ConfigError::new(
                    at(p),
                    ErrorKind::InvalidHex {
                        value: p.value.clone(),
                    },
                )
            })?;
        } else if kind == QuorumKind::Hierarchical && p.key.starts_with("group") {
            let raw_gid = after_first_dot(&p.key);
            let gid = java::parse_long(raw_gid).ok_or_else(|| {
                ConfigError::new(
                    at(p),
                    ErrorKind::InvalidGroupId {
                        value: raw_gid.to_owned(),
                    },
                )
            })?;
            if let Some(first) = group_locations.get(&gid) {
                return Err(ConfigError::new(
                    at(p),
                    ErrorKind::DuplicateGroupId {
                        id: gid,
                        first: first.clone(),
                    },
                ));
            }
            group_locations.insert(gid, at(p));
            let members = groups.entry(gid).or_default();
            for member in java::split(&p.value, ':') {
                let sid = parse_server_id(member).ok_or_else(|| {
                    ConfigError::new(
                        at(p),
                        ErrorKind::InvalidServerId {
                            value: member.to_owned(),
                        },
                    )
                })?;
                if group_of.insert(sid, gid).is_some() {
                    return Err(ConfigError::new(
                        at(p),
                        ErrorKind::ServerInMultipleGroups { id: sid },
                    ));
                }
                members.insert(sid);
            }
        } else if kind == QuorumKind::Hierarchical && p.key.starts_with("weight") {
            let raw_sid = after_first_dot(&p.key);
            let sid = parse_server_id(raw_sid).ok_or_else(|| {
                ConfigError::new(
                    at(p),
                    ErrorKind::InvalidServerId {
                        value: raw_sid.to_owned(),
                    },
                )
            })?;
            let w = java::parse_long(&p.value).ok_or_else(|| {
                ConfigError::new(
                    at(p),
                    ErrorKind::InvalidLong {
                        value: p.value.clone(),
                    },
                )
            })?;
            weights.insert(sid, w);
        }
    }

    if kind == QuorumKind::Hierarchical {
        for server in servers.values().filter(|s| s.is_participant()) {
            let location = || {
                server_locations
                    .get(&server.id)
                    .cloned()
                    .unwrap_or_else(|| Location::file(file))
            };
            if !group_of.contains_key(&server.id) {
                return Err(ConfigError::new(
                    location(),
                    ErrorKind::ServerNotInGroup { id: server.id },
                ));
            }
            weights.entry(server.id).or_insert(1);
        }
        for (&sid, gid) in &group_of {
            if !weights.contains_key(&sid) {
                let location = group_locations
                    .get(gid)
                    .cloned()
                    .unwrap_or_else(|| Location::file(file));
                return Err(ConfigError::new(location, ErrorKind::NoWeight { id: sid }));
            }
        }
    } else {
        groups.clear();
        weights.clear();
    }

    Ok(ParsedQuorum {
        verifier: QuorumVerifier {
            kind,
            version: parsed_version,
            servers,
            groups,
            weights,
        },
        server_locations,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qv(text: &str) -> QuorumVerifier {
        QuorumVerifier::parse(text, "qv", true).unwrap_or_else(|e| panic!("{e}"))
    }

    fn set(ids: &[u64]) -> BTreeSet<u64> {
        ids.iter().copied().collect()
    }

    #[test]
    fn serializes_like_zookeeper() {
        // The observed 3.8.0 form of /zookeeper/config.
        let text = "server.1=127.0.0.1:42888:43888:participant;127.0.0.1:42181\n\
                    server.2=127.0.0.1:42889:43889:participant;127.0.0.1:42182\n\
                    version=0";
        let q = qv(text);
        assert_eq!(q.to_config_string(), text);
        assert_eq!(q.kind(), &QuorumKind::Majority);
        assert_eq!(q.voting_count(), 2);
    }

    #[test]
    fn serialization_normalizes() {
        let q = qv("server.3=c:1:2:observer\nserver.1=a:1:2;2181\nversion=100000000");
        assert_eq!(
            q.to_string(),
            "server.1=a:1:2:participant;0.0.0.0:2181\nserver.3=c:1:2:observer\nversion=100000000"
        );
        assert_eq!(q.version(), 0x1_0000_0000);
        let q = qv("server.1=a:1:2\nversion=-1");
        assert!(q.to_string().ends_with("\nversion=ffffffffffffffff"));
        // No servers at all.
        assert_eq!(qv("").to_string(), "version=0");
    }

    #[test]
    fn round_trip() {
        let q = qv("server.1=[::1]:1:2|b:3:4;[::1]:2181\nserver.2=x:5:6:observer\nversion=1f");
        assert_eq!(qv(&q.to_string()), q);
    }

    #[test]
    fn majority() {
        let q = qv("server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2:observer");
        assert!(!q.contains_quorum(&set(&[1])));
        assert!(q.contains_quorum(&set(&[1, 3])));
        // Observers do not count.
        assert!(!q.contains_quorum(&set(&[1, 4])));
        assert_eq!(
            q.observing_members().map(|s| s.id).collect::<Vec<_>>(),
            vec![4]
        );
    }

    #[test]
    fn hierarchical() {
        let text = "server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2\n\
                    server.5=e:1:2\nserver.6=f:1:2\n\
                    group.1=1:2:3\ngroup.2=4:5:6\nweight.1=2\nweight.4=0";
        let q = qv(text);
        assert_eq!(q.kind(), &QuorumKind::Hierarchical);
        assert_eq!(q.weight(1), 2);
        assert_eq!(q.weight(2), 1);
        assert_eq!(
            q.to_string(),
            "server.1=a:1:2:participant\nserver.2=b:1:2:participant\n\
             server.3=c:1:2:participant\nserver.4=d:1:2:participant\n\
             server.5=e:1:2:participant\nserver.6=f:1:2:participant\n\
             group.1=1:2:3\ngroup.2=4:5:6\n\
             weight.1=2\nweight.2=1\nweight.3=1\nweight.4=0\nweight.5=1\nweight.6=1\nversion=0"
        );
        // Group 1 weighs 4: server 1 alone (2) is not a majority; 1+2 (3) is. Group 2 weighs 2.
        // Two groups: a quorum needs both.
        assert!(!q.contains_quorum(&set(&[1, 2])));
        assert!(!q.contains_quorum(&set(&[1, 2, 5])));
        assert!(q.contains_quorum(&set(&[1, 2, 5, 6])));
        assert!(!q.contains_quorum(&set(&[])));
        assert_eq!(qv(&q.to_string()), q);
    }

    #[test]
    fn hierarchical_errors() {
        let err = |t: &str| {
            QuorumVerifier::parse(t, "qv", true)
                .expect_err(t)
                .kind()
                .clone()
        };
        assert_eq!(
            err("server.1=a:1:2\nserver.2=b:1:2\ngroup.1=1"),
            ErrorKind::ServerNotInGroup { id: 2 }
        );
        assert_eq!(
            err("server.1=a:1:2\ngroup.1=1\ngroup.2=1"),
            ErrorKind::ServerInMultipleGroups { id: 1 }
        );
        assert_eq!(
            err("server.1=a:1:2\ngroup.1=1:9"),
            ErrorKind::NoWeight { id: 9 }
        );
        assert!(matches!(
            err("server.1=a:1:2\ngroupx=1"),
            ErrorKind::InvalidGroupId { .. }
        ));
        assert!(matches!(
            err("server.1=a:1:2\ngroup.1=1:x"),
            ErrorKind::InvalidServerId { .. }
        ));
        assert!(matches!(
            err("server.1=a:1:2\ngroup.1=1\nweight.1=heavy"),
            ErrorKind::InvalidLong { .. }
        ));
        assert!(matches!(
            err("server.1=a:1:2\ngroup.1=1\ngroup.01=1"),
            ErrorKind::DuplicateGroupId { id: 1, .. }
        ));
        // An observer may stay outside the groups.
        assert!(QuorumVerifier::parse(
            "server.1=a:1:2\nserver.2=b:1:2:observer\ngroup.1=1",
            "q",
            false
        )
        .is_ok());
    }

    #[test]
    fn server_id_errors() {
        let err = |t: &str| QuorumVerifier::parse(t, "qv", true).expect_err(t);
        let e = err("server.1=a:1:2\nserver.01=b:1:2");
        assert_eq!(e.line(), Some(2));
        assert!(
            matches!(e.kind(), ErrorKind::DuplicateServerId { id: 1, first } if first.line == Some(1))
        );
        for bad in [
            "server.x=a:1:2",
            "server.-1=a:1:2",
            "server.=a:1:2",
            "server.1.2=a:1:2",
        ] {
            assert!(
                matches!(err(bad).kind(), ErrorKind::InvalidServerId { .. }),
                "{bad}"
            );
        }
        assert!(matches!(
            err("version=xyz").kind(),
            ErrorKind::InvalidHex { .. }
        ));
        assert!(matches!(
            err("tickTime=1").kind(),
            ErrorKind::UnrecognisedDynamicKey
        ));
    }

    #[test]
    fn oracle_is_majority_text() {
        let props = Properties::parse("server.1=a:1:2\nserver.2=b:1:2\ngroup.1=1:2", "f")
            .unwrap_or_else(|e| panic!("{e}"));
        let parsed = parse_quorum(&props, "f", None, Some("/oracle"), false)
            .unwrap_or_else(|e| panic!("{e}"));
        let q = parsed.verifier;
        assert_eq!(
            q.kind(),
            &QuorumKind::Oracle {
                path: "/oracle".into()
            }
        );
        assert_eq!(
            q.to_string(),
            "server.1=a:1:2:participant\nserver.2=b:1:2:participant\nversion=0"
        );
        assert!(q.contains_quorum(&set(&[1, 2])));
        assert_eq!(
            parsed.server_locations.get(&2).and_then(|l| l.line),
            Some(2)
        );
    }
}
