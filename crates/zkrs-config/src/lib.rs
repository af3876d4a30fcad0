//! A typed, validated parser of ZooKeeper's `zoo.cfg`.
//!
//! It reads a configuration the way ZooKeeper 3.5–3.9 does (`QuorumPeerConfig.parse` /
//! `parseProperties`, on top of `java.util.Properties.load`): the same syntax, the same
//! defaults, the same errors, and every key ZooKeeper does not parse itself kept as the
//! `zookeeper.<key>` system property it would become, with typed accessors that read each one
//! like ZooKeeper does. Errors name the file, line and key
//! (`conf/zoo.cfg:7: key 'tickTime': invalid integer 'abc'`); warnings are returned as data.
//! Where zkrs deliberately differs from ZooKeeper, the item's documentation says so, and
//! `CONFIG.md` lists every key.
//!
//! ```
//! let cfg = zkrs_config::ZooCfg::parse_str(
//!     "tickTime=2000\ndataDir=/var/lib/zookeeper\nclientPort=2181\n\
//!      initLimit=5\nsyncLimit=2\n\
//!      server.1=zk1:2888:3888\nserver.2=zk2:2888:3888\nserver.3=zk3:2888:3888\n",
//!     "zoo.cfg",
//! )?;
//! assert!(cfg.is_distributed());
//! assert_eq!(cfg.max_session_timeout, 40000);
//! assert_eq!(cfg.servers()[&2].hostname(), "zk2");
//! # Ok::<(), zkrs_config::ConfigError>(())
//! ```
//!
//! # Layout
//!
//! - `zoo_cfg`: [`ZooCfg`], the parsed configuration and its entry points (`parse_file`,
//!   `parse_str`, `load`, `set_server_id`).
//! - `parser`: the parse itself (key dispatch, post-loop checks, dynamic config files).
//! - `properties`: [`Properties`], `java.util.Properties.load` semantics plus ZooKeeper's trim.
//! - `java`: `Integer.parseInt`, `Integer.decode`, `Boolean.parseBoolean`, `String.trim`,
//!   `String.split` as Java applies them.
//! - `quorum_server`: [`QuorumServer`] and [`ServerAddress`], one `server.N` line.
//! - `quorum_verifier`: [`QuorumVerifier`] and [`QuorumKind`], the membership, its quorum rule
//!   and its `/zookeeper/config` text form.
//! - `reconfig`: the membership a `reconfig` asks for ([`ReconfigError`]) and the text of the
//!   dynamic and static config files a member rewrites ([`edit_static_config`]).
//! - `host_port`: [`HostPort`], an unresolved host and port.
//! - `learner_type`: [`LearnerType`], participant or observer.
//! - `system_properties`: [`SystemProperties`], the `zookeeper.*` keys and their typed
//!   accessors.
//! - `four_letter_whitelist`: [`FourLetterWhitelist`] (`4lw.commands.whitelist`).
//! - `admin_server`: [`AdminServerConfig`] (`admin.*`).
//! - `snapshot_compression`: [`SnapshotCompression`] (`snapshot.compression.method`).
//! - `quorum_auth`, `jvm_pause`, `metrics_provider`, `multi_address`: the grouped settings
//!   [`QuorumAuthConfig`], [`JvmPauseConfig`], [`MetricsProviderConfig`],
//!   [`MultiAddressConfig`].
//! - `log_config`: [`LogConfig`], [`LogLevel`], [`LogFormat`] (`zkrs.log.level`,
//!   `zkrs.log.format`).
//! - `myid`: [`read_myid`], the server id file.
//! - `known_keys`: the keys ZooKeeper reads, to flag misspellings.
//! - `error`, `warning`, `location`: [`ConfigError`], [`ConfigWarning`] and the [`Location`]
//!   both name.

#![forbid(unsafe_code)]

mod admin_server;
mod error;
mod four_letter_whitelist;
mod host_port;
mod java;
mod jvm_pause;
mod known_keys;
mod learner_type;
mod location;
mod log_config;
mod metrics_provider;
mod multi_address;
mod myid;
mod parser;
mod properties;
mod quorum_auth;
mod quorum_server;
mod quorum_verifier;
mod reconfig;
mod snapshot_compression;
mod system_properties;
mod warning;
mod zoo_cfg;

pub use admin_server::AdminServerConfig;
pub use error::{ConfigError, ErrorKind};
pub use four_letter_whitelist::FourLetterWhitelist;
pub use host_port::{HostPort, WILDCARD_HOST};
pub use jvm_pause::JvmPauseConfig;
pub use learner_type::LearnerType;
pub use location::Location;
pub use log_config::{LogConfig, LogFormat, LogLevel, LOG_FORMAT_KEY, LOG_LEVEL_KEY};
pub use metrics_provider::{
    MetricsProviderConfig, DEFAULT_METRICS_PROVIDER, NULL_METRICS_PROVIDER,
    PROMETHEUS_METRICS_PROVIDER,
};
pub use multi_address::MultiAddressConfig;
pub use myid::{myid_path, read_myid};
pub use properties::{Duplicate, Properties, Property};
pub use quorum_auth::QuorumAuthConfig;
pub use quorum_server::{QuorumServer, ServerAddress};
pub use quorum_verifier::{QuorumKind, QuorumVerifier};
pub use reconfig::{edit_static_config, ReconfigError};
pub use snapshot_compression::SnapshotCompression;
pub use system_properties::{SystemProperties, PREFIX as SYSTEM_PROPERTY_PREFIX};
pub use warning::{ConfigWarning, WarningKind};
pub use zoo_cfg::ZooCfg;
