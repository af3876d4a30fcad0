//! [`ConfigError`]: why a configuration was rejected, and where.

use crate::location::Location;

/// A configuration that ZooKeeper (or zkrs) refuses to start with.
///
/// Always names the file, and the line and key when the problem is tied to one; displays as
/// `conf/zoo.cfg:7: key 'tickTime': invalid integer 'abc'`. Boxed, so that `Result`s stay small.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {}", .inner.location, .inner.kind)]
pub struct ConfigError {
    inner: Box<Inner>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Inner {
    location: Location,
    kind: ErrorKind,
}

impl ConfigError {
    /// An error of `kind` at `location`.
    pub fn new(location: Location, kind: ErrorKind) -> ConfigError {
        ConfigError {
            inner: Box::new(Inner { location, kind }),
        }
    }

    /// Where the problem is.
    pub fn location(&self) -> &Location {
        &self.inner.location
    }

    /// The file the problem is in.
    pub fn file(&self) -> &str {
        &self.inner.location.file
    }

    /// The line the offending key was set on, if any.
    pub fn line(&self) -> Option<usize> {
        self.inner.location.line
    }

    /// The offending key, if any.
    pub fn key(&self) -> Option<&str> {
        self.inner.location.key.as_deref()
    }

    /// What the problem is.
    pub fn kind(&self) -> &ErrorKind {
        &self.inner.kind
    }
}

/// What is wrong. The messages follow ZooKeeper's `ConfigException` texts where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    #[error("cannot read '{path}': {message}")]
    Io {
        /// The file that could not be read.
        path: String,
        /// The kind of I/O failure.
        io_kind: std::io::ErrorKind,
        /// The operating system's message.
        message: String,
    },
    /// A `\u` escape not followed by four hex digits (`Properties.load` rejects the file).
    #[error("malformed \\uxxxx escape")]
    MalformedEscape,
    /// `Integer.parseInt` failed.
    #[error("invalid integer '{value}'")]
    InvalidInteger {
        /// The value as written.
        value: String,
    },
    /// `Long.parseLong` failed.
    #[error("invalid long integer '{value}'")]
    InvalidLong {
        /// The value as written.
        value: String,
    },
    /// `Long.parseLong(value, 16)` failed (the config `version`).
    #[error("invalid hexadecimal number '{value}'")]
    InvalidHex {
        /// The value as written.
        value: String,
    },
    /// A boolean key ZooKeeper checks strictly is neither `true` nor `false`.
    #[error("invalid boolean '{value}': choose 'true' or 'false'")]
    InvalidBoolean {
        /// The value as written.
        value: String,
    },
    /// A port that is not an integer from 0 to 65535.
    #[error("invalid port '{value}': expected an integer from 0 to 65535")]
    InvalidPort {
        /// The port as written.
        value: String,
    },
    /// A required key is absent.
    #[error("required key is not set")]
    MissingKey,
    /// `initLimit` or `syncLimit` is absent or 0 in quorum mode.
    #[error("must be set (non-zero) in quorum mode")]
    RequiredInQuorumMode,
    /// A key whose value must not be empty is empty.
    #[error("value must not be empty")]
    EmptyValue,
    /// `tickTime` is 0 (ZooKeeper: "tickTime is not set") or negative.
    #[error("tickTime must be positive, got {value}")]
    TickTimeNotPositive {
        /// The configured tick time.
        value: i32,
    },
    /// `minSessionTimeout` is larger than `maxSessionTimeout` (after defaults are applied).
    #[error("minSessionTimeout ({min}) must not be larger than maxSessionTimeout ({max})")]
    SessionTimeoutRange {
        /// The effective minimum.
        min: i32,
        /// The effective maximum.
        max: i32,
    },
    /// `clientPortAddress` without `clientPort` (or the secure pair).
    #[error("is set but '{port_key}' is not set")]
    AddressWithoutPort {
        /// The port key that is missing.
        port_key: &'static str,
    },
    /// `electionAlg` other than 3 (3.6+ reject the deprecated algorithms).
    #[error("invalid electionAlg '{value}': only 3 is supported")]
    UnsupportedElectionAlg {
        /// The configured algorithm.
        value: i32,
    },
    /// `peerType` other than `participant` / `observer`.
    #[error("unrecognised peer type '{value}': expected 'participant' or 'observer'")]
    UnknownPeerType {
        /// The value as written.
        value: String,
    },
    /// The role part of a `server.N` address is not `participant` / `observer`.
    #[error("unrecognised server role '{value}': expected 'participant' or 'observer'")]
    UnknownServerRole {
        /// The role as written.
        value: String,
    },
    /// The `|`-separated addresses of one server name different roles.
    #[error("multiple addresses of one server must have the same role")]
    MixedServerRoles,
    /// A `server.N` value that does not have the documented shape.
    #[error(
        "'{value}' does not have the form host:quorumPort:electionPort[:participant|:observer]\
         [|host:quorumPort:electionPort...][;[clientHost:]clientPort]"
    )]
    ServerFormat {
        /// The value as written.
        value: String,
    },
    /// A `[`-bracketed IPv6 host that is not closed properly.
    #[error("'{value}': {reason}")]
    BadIpv6Bracket {
        /// The address as written.
        value: String,
        /// What is wrong with the brackets.
        reason: &'static str,
    },
    /// An address with an empty host.
    #[error("empty host in '{value}'")]
    EmptyHost {
        /// The address as written.
        value: String,
    },
    /// A `server.N` whose quorum and election ports are equal.
    #[error("quorum port and election port must differ (both are {port})")]
    SamePorts {
        /// The shared port.
        port: u16,
    },
    /// `|`-separated addresses while `multiAddress.enabled` is not true.
    #[error("multiple addresses were given but multiAddress.enabled is not true")]
    MultiAddressDisabled,
    /// The `N` of `server.N` / `weight.N` (or a `group.N` member, or `myid`) is not a
    /// non-negative integer.
    #[error("invalid server id '{value}': expected a non-negative integer")]
    InvalidServerId {
        /// The id as written.
        value: String,
    },
    /// Two `server.N` keys name the same id (e.g. `server.1` and `server.01`).
    #[error("server id {id} is already defined at {first}")]
    DuplicateServerId {
        /// The id.
        id: u64,
        /// Where it was first defined.
        first: Location,
    },
    /// The `N` of `group.N` is not an integer.
    #[error("invalid group id '{value}'")]
    InvalidGroupId {
        /// The id as written.
        value: String,
    },
    /// Two `group.N` keys name the same id.
    #[error("group id {id} is already defined at {first}")]
    DuplicateGroupId {
        /// The id.
        id: i64,
        /// Where it was first defined.
        first: Location,
    },
    /// A server listed in two groups.
    #[error("server {id} is in more than one group")]
    ServerInMultipleGroups {
        /// The server id.
        id: u64,
    },
    /// A participant that no `group.N` lists (hierarchical quorums).
    #[error("participant server {id} is not in any group")]
    ServerNotInGroup {
        /// The server id.
        id: u64,
    },
    /// A group member with no `weight.N` that is not a participant (ZooKeeper fails on it).
    #[error("server {id} is in a group but has no weight (only participants default to 1)")]
    NoWeight {
        /// The server id.
        id: u64,
    },
    /// `server.N`, `group.N` or `weight.N` in the static file while `dynamicConfigFile` is set.
    #[error("must be in the separate dynamic config file (dynamicConfigFile is set)")]
    DynamicKeyInStaticFile,
    /// A `version` key inside the dynamic config file.
    #[error("the dynamic config file must not contain 'version' (it comes from the file name)")]
    VersionInDynamicFile,
    /// A key other than `server.N`, `group.N`, `weight.N` in the dynamic config file.
    #[error("unrecognised parameter in a dynamic config file (only server.N, group.N, weight.N)")]
    UnrecognisedDynamicKey,
    /// A `quorum.auth.*RequireSasl` flag set while the flag it depends on is off.
    #[error("cannot be enabled while '{needed}' is disabled")]
    SaslRequires {
        /// The key that must be enabled first.
        needed: &'static str,
    },
    /// `standaloneEnabled=false` with no participant.
    #[error("standaloneEnabled=false needs at least one participant server")]
    NoParticipants,
    /// Observers but no participant.
    #[error("observers without participants is an invalid configuration")]
    ObserversWithoutParticipants,
    /// Observers with a single participant while standaloneEnabled is true.
    #[error("observers without a quorum (one participant, standaloneEnabled=true) is invalid")]
    ObserversWithoutQuorum,
    /// Quorum mode without `dataDir/myid`.
    #[error("myid file is missing (required in quorum mode)")]
    MissingMyId,
    /// An empty `myid` file.
    #[error("myid file is empty")]
    EmptyMyId,
    /// This server's id is not in the server list (quorum mode).
    #[error("my id {id} is not in the server list")]
    MyIdNotInServers {
        /// The server id from `myid`.
        id: u64,
    },
    /// The static client address disagrees with this server's `;client` part.
    #[error(
        "client address for this server ({configured}) differs from the client address \
         of its server.N line ({from_server})"
    )]
    ClientAddressConflict {
        /// The static `clientPortAddress:clientPort`.
        configured: String,
        /// The `;client` part of this server's line.
        from_server: String,
    },
    /// `extendedTypesEnabled=true` with a server id above 254 (TTL nodes embed the id).
    #[error("extendedTypesEnabled is true but server id {id} is larger than 254")]
    ServerIdTooLarge {
        /// The server id.
        id: u64,
    },
    /// `zkrs.log.level` is not one of the five levels.
    #[error("invalid log level '{value}': expected one of TRACE, DEBUG, INFO, WARN, ERROR")]
    InvalidLogLevel {
        /// The value as written.
        value: String,
    },
    /// `zkrs.log.format` is neither `text` nor `json`.
    #[error("invalid log format '{value}': expected 'text' or 'json'")]
    InvalidLogFormat {
        /// The value as written.
        value: String,
    },
    /// `secureClientPort` with an `ssl.authProvider` scheme that has no `authProvider.<scheme>`.
    #[error("no auth provider configured for the SSL authentication scheme '{scheme}'")]
    NoAuthProvider {
        /// The scheme named by `ssl.authProvider`.
        scheme: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_key() {
        let e = ConfigError::new(
            Location::key("conf/zoo.cfg", 7, "tickTime"),
            ErrorKind::InvalidInteger {
                value: "abc".into(),
            },
        );
        assert_eq!(
            e.to_string(),
            "conf/zoo.cfg:7: key 'tickTime': invalid integer 'abc'"
        );
        assert_eq!(e.file(), "conf/zoo.cfg");
        assert_eq!(e.line(), Some(7));
        assert_eq!(e.key(), Some("tickTime"));
    }

    #[test]
    fn duplicate_server_names_first_location() {
        let e = ConfigError::new(
            Location::key("zoo.cfg", 9, "server.01"),
            ErrorKind::DuplicateServerId {
                id: 1,
                first: Location::key("zoo.cfg", 8, "server.1"),
            },
        );
        assert_eq!(
            e.to_string(),
            "zoo.cfg:9: key 'server.01': server id 1 is already defined at zoo.cfg:8: key 'server.1'"
        );
    }
}
