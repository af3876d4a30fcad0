//! The membership a `reconfig` request asks for, computed as the leader's
//! `PrepRequestProcessor` computes it, and the text of the files a member writes when a
//! configuration is proposed or activated (`QuorumPeerConfig.writeDynamicConfig`,
//! `editStaticConfig`).
//!
//! - Incremental (`-add`/`-remove`, a majority quorum only): start from the last seen
//!   membership, drop every `leaving` id, then add or replace every `joining` server
//!   (`server.N=host:quorumPort:electionPort[:role];[clientHost:]clientPort`, the client part
//!   required). As in ZooKeeper 3.8.0, a joiner whose addresses another member already uses is
//!   accepted (its `checkAddressDuplicate` does not refuse it).
//! - Non-incremental (`-members`): the whole list, commas read as line breaks, parsed as a
//!   dynamic config file.
//!
//! Errors are [`ReconfigError`]s: `BadArguments` (ZooKeeper's -8 with its message) or
//! `Marshalling` where ZooKeeper's `Long.parseLong` throws outside its checks (-5).

use std::collections::BTreeMap;

use crate::java;
use crate::properties::Properties;
use crate::quorum_server::QuorumServer;
use crate::quorum_verifier::{parse_quorum, QuorumKind, QuorumVerifier};

/// Why a reconfig request's membership is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReconfigError {
    /// `KeeperException.BadArgumentsException` (-8).
    #[error("bad arguments: {0}")]
    BadArguments(String),
    /// A server id that is not a number (ZooKeeper's NumberFormatException, answered with
    /// MARSHALLINGERROR, -5).
    #[error("not a server id: {0}")]
    Marshalling(String),
}

/// `StringUtils.split(s, sep)`: split, trim each part, drop the empty ones.
fn split_trimmed(s: &str, sep: char) -> Vec<&str> {
    s.split(sep)
        .map(java::trim)
        .filter(|p| !p.is_empty())
        .collect()
}

/// `Long.parseLong` of a server id (negative ids are refused as zkrs refuses them in zoo.cfg).
fn parse_sid(s: &str) -> Result<u64, ReconfigError> {
    java::parse_long(s)
        .and_then(|v| u64::try_from(v).ok())
        .ok_or_else(|| ReconfigError::Marshalling(s.to_owned()))
}

impl QuorumVerifier {
    /// The membership of an incremental reconfig applied to `self` (the last seen
    /// configuration), with version 0 (the caller sets the txn's zxid).
    pub fn incremental(
        &self,
        joining: Option<&str>,
        leaving: Option<&str>,
        multi_address_enabled: bool,
    ) -> Result<QuorumVerifier, ReconfigError> {
        if self.kind() == &QuorumKind::Hierarchical {
            return Err(ReconfigError::BadArguments(
                "Incremental reconfiguration requested but last configuration seen has a \
                 non-majority quorum system"
                    .into(),
            ));
        }
        let mut next: BTreeMap<u64, QuorumServer> = self.servers().clone();
        for leaving in leaving.map(|s| split_trimmed(s, ',')).unwrap_or_default() {
            next.remove(&parse_sid(leaving)?);
        }
        for joiner in joining.map(|s| split_trimmed(s, ',')).unwrap_or_default() {
            let parts = split_trimmed(joiner, '=');
            let [key, spec] = parts.as_slice() else {
                return Err(ReconfigError::BadArguments(
                    "Wrong format of server string".into(),
                ));
            };
            let sid = parse_sid(key.rsplit('.').next().unwrap_or(key))?;
            let server = QuorumServer::parse(sid, spec, multi_address_enabled)
                .map_err(|_| ReconfigError::BadArguments("Reconfiguration failed".into()))?;
            if server.client_addr.is_none() {
                return Err(ReconfigError::BadArguments(
                    "Wrong format of server string - each server should have 3 ports specified"
                        .into(),
                ));
            }
            next.insert(sid, server);
        }
        Ok(QuorumVerifier::majority(next, 0))
    }

    /// The membership of a non-incremental reconfig (`newMembers`, commas or line breaks
    /// between the `server.N`, `group.N`, `weight.N` lines), with version 0.
    pub fn non_incremental(
        new_members: &str,
        oracle_path: Option<&str>,
        multi_address_enabled: bool,
    ) -> Result<QuorumVerifier, ReconfigError> {
        let text = new_members.replace(',', "\n");
        let bad = |e: crate::ConfigError| ReconfigError::BadArguments(e.to_string());
        let props = Properties::parse(&text, "newMembers").map_err(bad)?;
        for p in props.iter() {
            let dynamic = p.key.starts_with("server.")
                || p.key.starts_with("group")
                || p.key.starts_with("weight")
                || p.key.starts_with("version");
            if !dynamic {
                return Err(ReconfigError::BadArguments(format!(
                    "Unrecognised parameter: {}",
                    p.key
                )));
            }
        }
        let mut qv = parse_quorum(
            &props,
            "newMembers",
            Some(0),
            oracle_path,
            multi_address_enabled,
        )
        .map_err(bad)?
        .verifier;
        qv.set_version(0);
        Ok(qv)
    }

    /// The text of a dynamic config file (`writeDynamicConfig`): the `server.N` (and
    /// `group`/`weight`) lines sorted as strings and joined by `\n` with no final line break;
    /// with `keep_version` (the `.next` file) the `version=` line too.
    pub fn dynamic_file_text(&self, keep_version: bool) -> String {
        let text = self.to_config_string();
        let mut lines: Vec<&str> = text
            .lines()
            .filter(|l| keep_version || !l.starts_with("version"))
            .collect();
        lines.sort_unstable();
        lines.join("\n")
    }
}

/// `QuorumPeerConfig.editStaticConfig`: the static file without its membership (`server.`,
/// `group`, `weight`, `peerType` and `dynamicConfigFile` keys, and `clientPort` /
/// `clientPortAddress` when the member's client address lives in the dynamic file), followed
/// by `dynamicConfigFile=<dynamic_path>`. ZooKeeper rewrites the file from its parsed
/// properties (losing comments, in hash order); zkrs keeps every other line as written.
pub fn edit_static_config(text: &str, dynamic_path: &str, erase_client_address: bool) -> String {
    let mut out = String::with_capacity(text.len() + dynamic_path.len() + 20);
    for line in text.lines() {
        let key = java::trim(line)
            .split(['=', ':', ' ', '\t'])
            .next()
            .unwrap_or("");
        let comment = key.starts_with('#') || key.starts_with('!');
        let dropped = !comment
            && (key.starts_with("server.")
                || key.starts_with("group")
                || key.starts_with("weight")
                || key.starts_with("dynamicConfigFile")
                || key.starts_with("peerType")
                || (erase_client_address && key.starts_with("clientPort")));
        if !dropped {
            out.push_str(line);
            out.push('\n');
        }
    }
    out.push_str("dynamicConfigFile=");
    out.push_str(dynamic_path);
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn qv(text: &str) -> QuorumVerifier {
        QuorumVerifier::parse(text, "qv", false).unwrap_or_else(|e| panic!("{e}"))
    }

    const THREE: &str = "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n\
                         server.2=127.0.0.2:2888:3888:participant;0.0.0.0:2181\n\
                         server.3=127.0.0.3:2888:3888:participant;0.0.0.0:2181\n\
                         version=100000000";

    #[test]
    fn incremental_add_and_remove() {
        let q = qv(THREE);
        let next = q
            .incremental(
                Some(
                    "server.4=127.0.0.4:2888:3888;2181, server.5=127.0.0.5:2888:3888:observer;2181",
                ),
                Some("2"),
                false,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        let ids: Vec<u64> = next.servers().keys().copied().collect();
        assert_eq!(ids, vec![1, 3, 4, 5]);
        assert_eq!(next.voting_count(), 3);
        assert_eq!(next.version(), 0);
        // Replacing a member's role.
        let next = q
            .incremental(
                Some("server.3=127.0.0.3:2888:3888:observer;2181"),
                None,
                false,
            )
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.voting_count(), 2);
    }

    #[test]
    fn incremental_errors() {
        let q = qv(THREE);
        let err = |j: Option<&str>, l: Option<&str>| q.incremental(j, l, false).err();
        assert_eq!(
            err(Some("server.4=127.0.0.4:2888:3888"), None),
            Some(ReconfigError::BadArguments(
                "Wrong format of server string - each server should have 3 ports specified".into()
            ))
        );
        assert_eq!(
            err(Some("server.4"), None),
            Some(ReconfigError::BadArguments(
                "Wrong format of server string".into()
            ))
        );
        // Measured on 3.8.0: another member's addresses are accepted.
        assert_eq!(err(Some("server.4=127.0.0.1:2888:3888;2181"), None), None);
        assert!(matches!(
            err(Some("server.x=127.0.0.9:1:2;3"), None),
            Some(ReconfigError::Marshalling(_))
        ));
        assert!(matches!(
            err(None, Some("two")),
            Some(ReconfigError::Marshalling(_))
        ));
        assert!(matches!(
            err(Some("server.4=nonsense;2181"), None),
            Some(ReconfigError::BadArguments(_))
        ));
    }

    #[test]
    fn non_incremental() {
        let next = QuorumVerifier::non_incremental(
            "server.1=127.0.0.1:2888:3888;2181,server.2=127.0.0.2:2888:3888;2181",
            None,
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(next.voting_count(), 2);
        assert!(matches!(
            QuorumVerifier::non_incremental("tickTime=2", None, false),
            Err(ReconfigError::BadArguments(_))
        ));
    }

    #[test]
    fn dynamic_file_text_sorts_and_drops_the_version() {
        let mut q = qv(THREE);
        q.servers_mut().insert(
            10,
            QuorumServer::parse(10, "127.0.0.10:2888:3888;2181", false)
                .unwrap_or_else(|e| panic!("{e:?}")),
        );
        let text = q.dynamic_file_text(false);
        // As Java's `Collections.sort` of the lines: `server.10=` before `server.1=`.
        assert!(text.starts_with("server.10=127.0.0.10"));
        assert!(text
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("server.1=")));
        assert!(!text.contains("version"));
        assert!(!text.ends_with('\n'));
        assert!(q.dynamic_file_text(true).ends_with("version=100000000"));
    }

    #[test]
    fn static_config_edit() {
        let text = "# comment\ntickTime=2000\nclientPort=2181\nserver.1=a:1:2\n\
                    dynamicConfigFile=/old\ngroup.1=1\nweight.1=1\npeerType=observer\n";
        assert_eq!(
            edit_static_config(text, "/conf/zoo.cfg.dynamic.100000000", false),
            "# comment\ntickTime=2000\nclientPort=2181\n\
             dynamicConfigFile=/conf/zoo.cfg.dynamic.100000000\n"
        );
        assert_eq!(
            edit_static_config(text, "/d", true),
            "# comment\ntickTime=2000\ndynamicConfigFile=/d\n"
        );
    }
}
