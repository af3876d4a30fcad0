//! [`ConfigWarning`]: what ZooKeeper would log as a warning while reading the configuration,
//! returned as data so that the binary decides how to log it.

use crate::location::Location;

/// A problem that does not stop the server. Displays like [`crate::ConfigError`]:
/// `zoo.cfg:3: key 'dataDir': 'data' is relative; ...`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct ConfigWarning {
    /// Where the problem is.
    pub location: Location,
    /// What the problem is.
    pub kind: WarningKind,
}

impl ConfigWarning {
    pub(crate) fn new(location: Location, kind: WarningKind) -> ConfigWarning {
        ConfigWarning { location, kind }
    }
}

/// What the warning is about.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WarningKind {
    /// `dataDir` / `dataLogDir` / `dynamicConfigFile` is a relative path (`VerifyingFileFactory`).
    #[error(
        "'{path}' is relative and is resolved against the working directory; \
         prepend ./ to indicate that you're sure"
    )]
    RelativePath {
        /// The path as written.
        path: String,
    },
    /// `autopurge.snapRetainCount` below 3 was raised to 3.
    #[error("{value} is less than the minimum 3; using 3")]
    SnapRetainCountTooSmall {
        /// The configured value.
        value: i32,
    },
    /// The same key appears twice; the later value wins (`Properties.load`).
    #[error("also set on line {first_line}; the later value wins")]
    DuplicateKey {
        /// The earlier line.
        first_line: usize,
    },
    /// `peerType` disagrees with this server's role in the server list, which wins.
    #[error("peerType '{configured}' does not match the role '{from_servers}' in the server list; using the server list")]
    PeerTypeOverridden {
        /// The configured `peerType`.
        configured: crate::LearnerType,
        /// The role from this server's `server.N` line.
        from_servers: crate::LearnerType,
    },
    /// A single participant with standaloneEnabled=true: the server runs standalone.
    #[error("only one participant server is listed; the server list is ignored and the server runs standalone")]
    SingleParticipant,
    /// Two participants: no failure is tolerated.
    #[error("{participants} participants tolerate no server failure; you need at least 3 servers")]
    NoFailureTolerated {
        /// The number of participants.
        participants: usize,
    },
    /// An even number of participants.
    #[error("{participants} participants is non-optimal; consider an odd number of servers")]
    EvenParticipants {
        /// The number of participants.
        participants: usize,
    },
    /// A key no ZooKeeper version reads; it is kept as a system property anyway.
    #[error(
        "not a known ZooKeeper setting; kept as system property '{property}'{}",
        suggestion.as_ref().map(|s| format!(" (did you mean '{s}'?)")).unwrap_or_default()
    )]
    UnknownKey {
        /// The system property name it is kept as (`zookeeper.<key>`).
        property: String,
        /// A known key with a similar spelling.
        suggestion: Option<String>,
    },
    /// A JVM-only property (no `zookeeper.` prefix) that ZooKeeper ignores in zoo.cfg; zkrs
    /// has no JVM flags and honours it.
    #[error("ZooKeeper ignores this key in zoo.cfg (it reads the JVM property '-D{property}'); zkrs honours it")]
    JvmOnlyProperty {
        /// The JVM property name.
        property: &'static str,
    },
    /// A system-property value ZooKeeper silently replaces by its default (or reads leniently).
    #[error("'{value}' is not {expected}; ZooKeeper uses {used}")]
    InvalidPropertyValue {
        /// The value as written.
        value: String,
        /// What the key expects.
        expected: &'static str,
        /// The value ZooKeeper ends up using.
        used: String,
    },
    /// `metricsProvider.className` names a class zkrs does not implement.
    #[error(
        "metrics provider '{class_name}' is not built into zkrs; the default provider is used"
    )]
    UnknownMetricsProvider {
        /// The configured class.
        class_name: String,
    },
    /// `version` in the static file while a dynamic config file is used.
    #[error("ignored: the config version comes from the dynamic config file name")]
    StaticVersionIgnored,
    /// `<config>.dynamic.next` exists but could not be read (ZooKeeper ignores it too).
    #[error("cannot read the pending dynamic config: {message}")]
    DynamicNextUnreadable {
        /// The operating system's message.
        message: String,
    },
    /// The file starts with a UTF-8 byte order mark, which zkrs skips.
    #[error("UTF-8 byte order mark skipped (ZooKeeper would read it as part of the first key)")]
    ByteOrderMark,
    /// The file is not valid UTF-8 and was read as ISO-8859-1, as `Properties.load` does.
    #[error("file is not valid UTF-8; read as ISO-8859-1")]
    NotUtf8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_display_with_suggestion() {
        let w = ConfigWarning::new(
            Location::key("zoo.cfg", 12, "autopurge.purgeInteval"),
            WarningKind::UnknownKey {
                property: "zookeeper.autopurge.purgeInteval".into(),
                suggestion: Some("autopurge.purgeInterval".into()),
            },
        );
        assert_eq!(
            w.to_string(),
            "zoo.cfg:12: key 'autopurge.purgeInteval': not a known ZooKeeper setting; kept as \
             system property 'zookeeper.autopurge.purgeInteval' (did you mean \
             'autopurge.purgeInterval'?)"
        );
    }
}
