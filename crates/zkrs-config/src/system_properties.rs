//! [`SystemProperties`]: the zoo.cfg keys ZooKeeper does not parse itself.
//!
//! `QuorumPeerConfig.parseProperties` ends with `System.setProperty("zookeeper." + key, value)`
//! for every key it does not know, and the server reads those properties wherever it needs them
//! (`Integer.getInteger`, `Boolean.parseBoolean`, string compares). This type keeps them under
//! the same names and offers typed accessors that read each one exactly as ZooKeeper does,
//! including its silent fallbacks to defaults; [`SystemProperties::validate`] reports those
//! fallbacks as warnings.

use std::collections::BTreeMap;

use crate::admin_server::AdminServerConfig;
use crate::four_letter_whitelist::FourLetterWhitelist;
use crate::java;
use crate::location::Location;
use crate::snapshot_compression::SnapshotCompression;
use crate::warning::{ConfigWarning, WarningKind};

/// The prefix ZooKeeper puts in front of every unknown zoo.cfg key.
pub const PREFIX: &str = "zookeeper.";

// Keys (zoo.cfg form) and ZooKeeper's defaults, shared by the accessors and `validate`.
const SNAP_COUNT: (&str, i32) = ("snapCount", 100_000);
const SNAP_SIZE_LIMIT_KB: (&str, i64) = ("snapSizeLimitInKb", 4_194_304);
const TXN_LOG_SIZE_LIMIT_KB: (&str, i64) = ("txnLogSizeLimitInKb", -1);
const PRE_ALLOC_SIZE_KB: (&str, i64) = ("preAllocSize", 65_536);
const GLOBAL_OUTSTANDING_LIMIT: (&str, i32) = ("globalOutstandingLimit", 1000);
const MAX_CNXNS: (&str, i32) = ("maxCnxns", 0);
const COMMIT_LOG_COUNT: (&str, i32) = ("commitLogCount", 500);
const SNAPSHOT_SIZE_FACTOR: (&str, f64) = ("snapshotSizeFactor", 0.33);
const FSYNC_WARNING_MS: (&str, i64) = ("fsync.warningthresholdms", 1000);
const FORCE_SYNC: (&str, &str) = ("forceSync", "yes");
const SKIP_ACL: (&str, &str) = ("skipACL", "no");
const LEADER_SERVES: (&str, &str) = ("leaderServes", "yes");
const EXTENDED_TYPES: (&str, bool) = ("extendedTypesEnabled", false);
const EMULATE_353_TTL: (&str, bool) = ("emulate353TTLNodes", false);
const DIGEST_ENABLED: (&str, bool) = ("digest.enabled", true);
const CLOSE_SESSION_TXN: (&str, bool) = ("closeSessionTxn.enabled", true);
const SERIALIZE_LAST_ZXID: (&str, bool) = ("serializeLastProcessedZxid.enabled", true);
const SNAPSHOT_TRUST_EMPTY: (&str, bool) = ("snapshot.trust.empty", false);
const DB_AUTOCREATE: (&str, bool) = ("db.autocreate", true);
const DATADIR_AUTOCREATE: (&str, bool) = ("datadir.autocreate", true);
const ENFORCE_QUOTA: (&str, bool) = ("enforceQuota", false);
const DIGEST_AUTH_ENABLED: (&str, bool) = ("DigestAuthenticationProvider.enabled", true);
const READ_ONLY_MODE: (&str, bool) = ("readonlymode.enabled", false);
const ADMIN_PORT_UNIFICATION: (&str, bool) = ("admin.portUnification", false);
const ADMIN_FORCE_HTTPS: (&str, bool) = ("admin.forceHttps", false);
const ADMIN_NEED_CLIENT_AUTH: (&str, bool) = ("admin.needClientAuth", false);
const ADMIN_SNAPSHOT_ENABLED: (&str, bool) = ("admin.snapshot.enabled", true);
const ADMIN_RESTORE_ENABLED: (&str, bool) = ("admin.restore.enabled", true);
const ADMIN_PORT: (&str, i32) = ("admin.serverPort", 8080);
const ADMIN_IDLE_TIMEOUT: (&str, i32) = ("admin.idleTimeout", 30000);
const ADMIN_HTTP_VERSION: (&str, i32) = ("admin.httpVersion", 11);
const ADMIN_RATE_LIMITER: (&str, i32) = ("admin.rateLimiterIntervalInMS", 300_000);
const JUTE_MAXBUFFER: &str = "jute.maxbuffer";
const WHITELIST: &str = "4lw.commands.whitelist";
const SNAPSHOT_COMPRESSION: &str = "snapshot.compression.method";
const ADMIN_ENABLE: &str = "admin.enableServer";

const LENIENT_BOOLEANS: &[(&str, bool)] = &[
    EXTENDED_TYPES,
    EMULATE_353_TTL,
    DIGEST_ENABLED,
    CLOSE_SESSION_TXN,
    SERIALIZE_LAST_ZXID,
    SNAPSHOT_TRUST_EMPTY,
    DB_AUTOCREATE,
    DATADIR_AUTOCREATE,
    ENFORCE_QUOTA,
    DIGEST_AUTH_ENABLED,
    READ_ONLY_MODE,
    ADMIN_PORT_UNIFICATION,
    ADMIN_FORCE_HTTPS,
    ADMIN_NEED_CLIENT_AUTH,
    ADMIN_SNAPSHOT_ENABLED,
    ADMIN_RESTORE_ENABLED,
];
const DECODED_INTS: &[(&str, i32)] = &[
    SNAP_COUNT,
    GLOBAL_OUTSTANDING_LIMIT,
    MAX_CNXNS,
    ADMIN_PORT,
    ADMIN_IDLE_TIMEOUT,
    ADMIN_HTTP_VERSION,
];
const DECODED_LONGS: &[(&str, i64)] =
    &[SNAP_SIZE_LIMIT_KB, TXN_LOG_SIZE_LIMIT_KB, FSYNC_WARNING_MS];

/// The `zookeeper.*` system properties set from zoo.cfg.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemProperties {
    /// Full property name (`zookeeper.snapCount`) → value.
    map: BTreeMap<String, String>,
    /// zoo.cfg key → the line it was set on.
    lines: BTreeMap<String, usize>,
}

impl SystemProperties {
    /// No properties.
    pub fn new() -> SystemProperties {
        SystemProperties::default()
    }

    /// All properties by full name (`zookeeper.<key>`), as ZooKeeper's `System.getProperties()`
    /// would hold them.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.map
    }

    /// The value of zoo.cfg key `key` (without the `zookeeper.` prefix).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(&format!("{PREFIX}{key}")).map(String::as_str)
    }

    /// The value of the full property name `name` (e.g. `zookeeper.snapCount`).
    pub fn get_property(&self, name: &str) -> Option<&str> {
        self.map.get(name).map(String::as_str)
    }

    /// The line zoo.cfg key `key` was set on.
    pub fn line(&self, key: &str) -> Option<usize> {
        self.lines.get(key).copied()
    }

    /// Sets zoo.cfg key `key` (e.g. from a command-line override).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        self.map.insert(format!("{PREFIX}{key}"), value.into());
    }

    pub(crate) fn set_at(&mut self, key: &str, value: &str, line: usize) {
        self.set(key, value);
        self.lines.insert(key.to_owned(), line);
    }

    /// The number of properties.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// `Integer.getInteger("zookeeper." + key, default)`: `Integer.decode` (so `0x10`, `#10`
    /// and octal `010` work) and the default when absent or invalid.
    pub fn get_int(&self, key: &str, default: i32) -> i32 {
        self.get(key).and_then(java::decode_int).unwrap_or(default)
    }

    /// `Long.getLong("zookeeper." + key, default)`.
    pub fn get_long(&self, key: &str, default: i64) -> i64 {
        self.get(key).and_then(java::decode_long).unwrap_or(default)
    }

    /// `Boolean.parseBoolean(System.getProperty("zookeeper." + key, default))`: when set, only
    /// `true` in any case is true.
    pub fn get_bool(&self, key: &str, default: bool) -> bool {
        self.get(key).map_or(default, java::parse_boolean_lenient)
    }

    fn get_bool_of(&self, (key, default): (&str, bool)) -> bool {
        self.get_bool(key, default)
    }

    /// `snapCount` (100000): transactions between snapshots; below 2 becomes 2.
    pub fn snap_count(&self) -> i32 {
        self.get_int(SNAP_COUNT.0, SNAP_COUNT.1).max(2)
    }

    /// `snapSizeLimitInKb` (4194304 = 4 GB): also snapshot when the log grows past it;
    /// non-positive disables the limit.
    pub fn snap_size_limit_in_kb(&self) -> i64 {
        self.get_long(SNAP_SIZE_LIMIT_KB.0, SNAP_SIZE_LIMIT_KB.1)
    }

    /// `txnLogSizeLimitInKb` (-1): roll the txn log past this size; only positive values count.
    pub fn txn_log_size_limit_in_kb(&self) -> i64 {
        self.get_long(TXN_LOG_SIZE_LIMIT_KB.0, TXN_LOG_SIZE_LIMIT_KB.1)
    }

    /// `preAllocSize` in KB (65536 = 64 MB): txn log preallocation. Read with
    /// `Long.parseLong` (no hex), the default when invalid.
    pub fn pre_alloc_size_kb(&self) -> i64 {
        self.get(PRE_ALLOC_SIZE_KB.0)
            .and_then(java::parse_long)
            .unwrap_or(PRE_ALLOC_SIZE_KB.1)
    }

    /// [`SystemProperties::pre_alloc_size_kb`] in bytes (wrapping like Java's `* 1024`).
    pub fn pre_alloc_size_bytes(&self) -> i64 {
        self.pre_alloc_size_kb().wrapping_mul(1024)
    }

    /// `globalOutstandingLimit` (1000): outstanding requests before throttling clients.
    pub fn global_outstanding_limit(&self) -> i32 {
        self.get_int(GLOBAL_OUTSTANDING_LIMIT.0, GLOBAL_OUTSTANDING_LIMIT.1)
    }

    /// `maxCnxns` (0 = unlimited): total client connections; negative becomes 0.
    pub fn max_cnxns(&self) -> i32 {
        self.get_int(MAX_CNXNS.0, MAX_CNXNS.1).max(0)
    }

    /// `commitLogCount` (500): committed proposals kept in memory for DIFF syncs. Read with
    /// `Integer.parseInt`; invalid or below 500 gives 500.
    pub fn commit_log_count(&self) -> i32 {
        self.get(COMMIT_LOG_COUNT.0)
            .and_then(java::parse_int)
            .unwrap_or(COMMIT_LOG_COUNT.1)
            .max(COMMIT_LOG_COUNT.1)
    }

    /// `snapshotSizeFactor` (0.33): a leader DIFF-syncs a learner behind its committed log from
    /// the txn log files when they are at most this fraction of the newest snapshot's size;
    /// negative disables it. Read with `Double.parseDouble`; invalid gives 0.33.
    pub fn snapshot_size_factor(&self) -> f64 {
        self.get(SNAPSHOT_SIZE_FACTOR.0)
            .and_then(java_parse_double)
            .unwrap_or(SNAPSHOT_SIZE_FACTOR.1)
    }

    /// `forceSync` (yes): fsync the txn log; only the exact value `no` disables it.
    pub fn force_sync(&self) -> bool {
        self.get(FORCE_SYNC.0) != Some("no")
    }

    /// `fsync.warningthresholdms` (1000): warn about fsyncs slower than this.
    pub fn fsync_warning_threshold_ms(&self) -> i64 {
        self.get_long(FSYNC_WARNING_MS.0, FSYNC_WARNING_MS.1)
    }

    /// `skipACL` (no): skip every ACL check; only the exact value `yes` enables it.
    pub fn skip_acl(&self) -> bool {
        self.get(SKIP_ACL.0) == Some("yes")
    }

    /// `leaderServes` (yes): the leader accepts client connections; only the exact value `no`
    /// disables it.
    pub fn leader_serves(&self) -> bool {
        self.get(LEADER_SERVES.0) != Some("no")
    }

    /// `extendedTypesEnabled` (false): TTL nodes; server ids must then be at most 254.
    pub fn extended_types_enabled(&self) -> bool {
        self.get_bool_of(EXTENDED_TYPES)
    }

    /// `emulate353TTLNodes` (false): also accept 3.5.3's TTL ephemeral-owner encoding.
    pub fn emulate_353_ttl_nodes(&self) -> bool {
        self.get_bool_of(EMULATE_353_TTL)
    }

    /// `digest.enabled` (true, 3.6+): keep the data tree digest.
    pub fn digest_enabled(&self) -> bool {
        self.get_bool_of(DIGEST_ENABLED)
    }

    /// `closeSessionTxn.enabled` (true, 3.6+): closeSession txns list the session's ephemerals.
    pub fn close_session_txn_enabled(&self) -> bool {
        self.get_bool_of(CLOSE_SESSION_TXN)
    }

    /// `serializeLastProcessedZxid.enabled` (true, 3.9+): snapshots end with the last zxid.
    pub fn serialize_last_processed_zxid_enabled(&self) -> bool {
        self.get_bool_of(SERIALIZE_LAST_ZXID)
    }

    /// `snapshot.compression.method` (empty = uncompressed); unknown values give uncompressed.
    pub fn snapshot_compression(&self) -> SnapshotCompression {
        self.get(SNAPSHOT_COMPRESSION)
            .and_then(SnapshotCompression::parse)
            .unwrap_or_default()
    }

    /// `snapshot.trust.empty` (false): start without a snapshot even if txn logs exist.
    pub fn snapshot_trust_empty(&self) -> bool {
        self.get_bool_of(SNAPSHOT_TRUST_EMPTY)
    }

    /// `db.autocreate` (true): create an empty database when there is none.
    pub fn db_autocreate(&self) -> bool {
        self.get_bool_of(DB_AUTOCREATE)
    }

    /// `datadir.autocreate` (true): create missing data directories.
    pub fn datadir_autocreate(&self) -> bool {
        self.get_bool_of(DATADIR_AUTOCREATE)
    }

    /// `enforceQuota` (false, 3.7+): reject writes over a hard quota.
    pub fn enforce_quota(&self) -> bool {
        self.get_bool_of(ENFORCE_QUOTA)
    }

    /// `DigestAuthenticationProvider.superDigest`: `super:<base64 sha1>`, if set.
    pub fn super_digest(&self) -> Option<&str> {
        self.get("DigestAuthenticationProvider.superDigest")
    }

    /// `DigestAuthenticationProvider.enabled` (true).
    pub fn digest_auth_enabled(&self) -> bool {
        self.get_bool_of(DIGEST_AUTH_ENABLED)
    }

    /// `authProvider.<n>=<class>` entries, as `<n>` → class.
    pub fn auth_providers(&self) -> BTreeMap<&str, &str> {
        let prefix = format!("{PREFIX}authProvider.");
        self.map
            .iter()
            .filter_map(|(k, v)| Some((k.strip_prefix(&prefix)?, v.as_str())))
            .collect()
    }

    /// The maximum jute buffer (0xfffff = 1048575 by default).
    ///
    /// ZooKeeper only reads the JVM property `-Djute.maxbuffer`; a `jute.maxbuffer` line in
    /// zoo.cfg becomes `zookeeper.jute.maxbuffer`, which it ignores. zkrs has no JVM flags and
    /// honours the zoo.cfg key (read like `Integer.getInteger`); a negative value is ignored.
    pub fn jute_maxbuffer(&self) -> usize {
        self.get(JUTE_MAXBUFFER)
            .and_then(java::decode_int)
            .and_then(|v| usize::try_from(v).ok())
            .unwrap_or(zkrs_jute::limits::DEFAULT_MAX_BUFFER)
    }

    /// `znode.container.checkIntervalMs` (60000): how often the container/TTL reaper runs. A JVM
    /// property in ZooKeeper; zkrs honours the zoo.cfg key.
    pub fn container_check_interval_ms(&self) -> i64 {
        self.get("znode.container.checkIntervalMs")
            .and_then(java::decode_long)
            .unwrap_or(60_000)
    }

    /// `znode.container.maxPerMinute` (10000): reaper deletions per minute.
    pub fn container_max_per_minute(&self) -> i64 {
        self.get("znode.container.maxPerMinute")
            .and_then(java::decode_long)
            .unwrap_or(10_000)
    }

    /// `znode.container.maxNeverUsedIntervalMs` (0 = never): when a never-used container may go.
    pub fn container_max_never_used_interval_ms(&self) -> i64 {
        self.get("znode.container.maxNeverUsedIntervalMs")
            .and_then(java::decode_long)
            .unwrap_or(0)
    }

    /// Read-only mode (false). Like `jute.maxbuffer`, ZooKeeper only reads the JVM property
    /// `-Dreadonlymode.enabled`; zkrs honours the zoo.cfg key `readonlymode.enabled`.
    pub fn read_only_mode_enabled(&self) -> bool {
        self.get_bool_of(READ_ONLY_MODE)
    }

    /// The four-letter-word whitelist (`4lw.commands.whitelist`; `isro` is added in read-only
    /// mode, `srvr` always).
    pub fn four_letter_whitelist(&self) -> FourLetterWhitelist {
        FourLetterWhitelist::from_property(self.get(WHITELIST), self.read_only_mode_enabled())
    }

    /// The admin server settings (`admin.*`).
    pub fn admin_server(&self) -> AdminServerConfig {
        let d = AdminServerConfig::default();
        AdminServerConfig {
            enabled: self.get(ADMIN_ENABLE) != Some("false"),
            server_address: self
                .get("admin.serverAddress")
                .map_or(d.server_address, str::to_owned),
            server_port: self.get_int(ADMIN_PORT.0, ADMIN_PORT.1),
            idle_timeout_ms: self.get_int(ADMIN_IDLE_TIMEOUT.0, ADMIN_IDLE_TIMEOUT.1),
            command_url: self
                .get("admin.commandURL")
                .map_or(d.command_url, str::to_owned),
            http_version: self.get_int(ADMIN_HTTP_VERSION.0, ADMIN_HTTP_VERSION.1),
            port_unification: self.get_bool_of(ADMIN_PORT_UNIFICATION),
            force_https: self.get_bool_of(ADMIN_FORCE_HTTPS),
            need_client_auth: self.get_bool_of(ADMIN_NEED_CLIENT_AUTH),
            snapshot_enabled: self.get_bool_of(ADMIN_SNAPSHOT_ENABLED),
            restore_enabled: self.get_bool_of(ADMIN_RESTORE_ENABLED),
            rate_limiter_interval_ms: i64::from(
                self.get(ADMIN_RATE_LIMITER.0)
                    .and_then(java::parse_int)
                    .unwrap_or(ADMIN_RATE_LIMITER.1),
            ),
        }
    }

    /// Warnings for values ZooKeeper reads leniently or replaces silently with a default.
    pub fn validate(&self, file: &str) -> Vec<ConfigWarning> {
        let mut out = Vec::new();
        let mut warn = |key: &str, value: &str, expected: &'static str, used: String| {
            let location = match self.line(key) {
                Some(line) => Location::key(file, line, key),
                None => Location::missing_key(file, key),
            };
            out.push(ConfigWarning::new(
                location,
                WarningKind::InvalidPropertyValue {
                    value: value.to_owned(),
                    expected,
                    used,
                },
            ));
        };

        for &(key, default) in DECODED_INTS {
            if let Some(v) = self.get(key) {
                if java::decode_int(v).is_none() {
                    warn(key, v, "an integer", format!("the default {default}"));
                }
            }
        }
        for &(key, default) in DECODED_LONGS {
            if let Some(v) = self.get(key) {
                if java::decode_long(v).is_none() {
                    warn(key, v, "an integer", format!("the default {default}"));
                }
            }
        }
        if let Some(v) = self.get(SNAPSHOT_SIZE_FACTOR.0) {
            if java_parse_double(v).is_none() {
                warn(
                    SNAPSHOT_SIZE_FACTOR.0,
                    v,
                    "a number",
                    format!("the default {}", SNAPSHOT_SIZE_FACTOR.1),
                );
            }
        }
        if let Some(v) = self.get(SNAP_COUNT.0) {
            if java::decode_int(v).is_some_and(|n| n < 2) {
                warn(SNAP_COUNT.0, v, "at least 2", "2".to_owned());
            }
        }
        if let Some(v) = self.get(MAX_CNXNS.0) {
            if java::decode_int(v).is_some_and(|n| n < 0) {
                warn(MAX_CNXNS.0, v, "at least 0", "0 (unlimited)".to_owned());
            }
        }
        if let Some(v) = self.get(PRE_ALLOC_SIZE_KB.0) {
            if java::parse_long(v).is_none() {
                let used = format!("the default {}", PRE_ALLOC_SIZE_KB.1);
                warn(PRE_ALLOC_SIZE_KB.0, v, "a decimal integer", used);
            }
        }
        if let Some(v) = self.get(COMMIT_LOG_COUNT.0) {
            match java::parse_int(v) {
                None => warn(COMMIT_LOG_COUNT.0, v, "a decimal integer", "500".to_owned()),
                Some(n) if n < COMMIT_LOG_COUNT.1 => {
                    warn(COMMIT_LOG_COUNT.0, v, "at least 500", "500".to_owned());
                }
                Some(_) => {}
            }
        }
        if let Some(v) = self.get(ADMIN_RATE_LIMITER.0) {
            if java::parse_int(v).is_none() {
                let used = format!("the default {}", ADMIN_RATE_LIMITER.1);
                warn(ADMIN_RATE_LIMITER.0, v, "a decimal integer", used);
            }
        }
        for (key, default) in [FORCE_SYNC, SKIP_ACL, LEADER_SERVES] {
            if let Some(v) = self.get(key) {
                if v != "yes" && v != "no" {
                    warn(key, v, "'yes' or 'no' (exact case)", format!("'{default}'"));
                }
            }
        }
        for &(key, _) in LENIENT_BOOLEANS {
            if let Some(v) = self.get(key) {
                if java::parse_boolean_strict(v).is_none() {
                    warn(key, v, "'true' or 'false'", "false".to_owned());
                }
            }
        }
        if let Some(v) = self.get(ADMIN_ENABLE) {
            if v != "true" && v != "false" {
                let expected = "'true' or 'false' (exact case)";
                warn(
                    ADMIN_ENABLE,
                    v,
                    expected,
                    "true (only 'false' disables)".to_owned(),
                );
            }
        }
        if let Some(v) = self.get(SNAPSHOT_COMPRESSION) {
            if SnapshotCompression::parse(v).is_none() {
                let expected = "'gz', 'snappy' or empty";
                warn(
                    SNAPSHOT_COMPRESSION,
                    v,
                    expected,
                    "no compression".to_owned(),
                );
            }
        }
        if let Some(v) = self.get(JUTE_MAXBUFFER) {
            if !matches!(java::decode_int(v), Some(n) if n >= 0) {
                let used = format!("the default {}", zkrs_jute::limits::DEFAULT_MAX_BUFFER);
                warn(JUTE_MAXBUFFER, v, "a non-negative integer", used);
            }
        }
        out
    }
}

/// `Double.parseDouble`: surrounding whitespace ignored, an optional `d`/`f` suffix, decimal
/// or exponent notation, `NaN` and `Infinity`.
fn java_parse_double(s: &str) -> Option<f64> {
    let t = s.trim();
    let t = t
        .strip_suffix(['d', 'D', 'f', 'F'])
        .filter(|r| !r.is_empty())
        .unwrap_or(t);
    match t {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ if t
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '.' | 'e' | 'E' | '+' | '-')) =>
        {
            t.parse().ok()
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: &[(&str, &str)]) -> SystemProperties {
        let mut p = SystemProperties::new();
        for (i, (k, v)) in pairs.iter().enumerate() {
            p.set_at(k, v, i + 1);
        }
        p
    }

    #[test]
    fn snapshot_size_factor_reads_like_parse_double() {
        assert_eq!(
            props(&[("snapshotSizeFactor", " 0.5 ")]).snapshot_size_factor(),
            0.5
        );
        assert_eq!(
            props(&[("snapshotSizeFactor", "-1")]).snapshot_size_factor(),
            -1.0
        );
        assert_eq!(
            props(&[("snapshotSizeFactor", "2d")]).snapshot_size_factor(),
            2.0
        );
        assert_eq!(
            props(&[("snapshotSizeFactor", "1e1")]).snapshot_size_factor(),
            10.0
        );
        let bad = props(&[("snapshotSizeFactor", "lots")]);
        assert_eq!(bad.snapshot_size_factor(), 0.33);
        assert_eq!(bad.validate("zoo.cfg").len(), 1);
    }

    #[test]
    fn defaults() {
        let p = SystemProperties::new();
        assert_eq!(p.snap_count(), 100_000);
        assert_eq!(p.snap_size_limit_in_kb(), 4_194_304);
        assert_eq!(p.txn_log_size_limit_in_kb(), -1);
        assert_eq!(p.pre_alloc_size_kb(), 65_536);
        assert_eq!(p.pre_alloc_size_bytes(), 64 * 1024 * 1024);
        assert_eq!(p.global_outstanding_limit(), 1000);
        assert_eq!(p.max_cnxns(), 0);
        assert_eq!(p.commit_log_count(), 500);
        assert_eq!(p.snapshot_size_factor(), 0.33);
        assert!(p.force_sync());
        assert_eq!(p.fsync_warning_threshold_ms(), 1000);
        assert!(!p.skip_acl());
        assert!(p.leader_serves());
        assert!(!p.extended_types_enabled());
        assert!(!p.emulate_353_ttl_nodes());
        assert!(p.digest_enabled());
        assert!(p.close_session_txn_enabled());
        assert!(p.serialize_last_processed_zxid_enabled());
        assert_eq!(p.snapshot_compression(), SnapshotCompression::Checked);
        assert!(!p.snapshot_trust_empty());
        assert!(p.db_autocreate());
        assert!(p.datadir_autocreate());
        assert!(!p.enforce_quota());
        assert_eq!(p.super_digest(), None);
        assert!(p.digest_auth_enabled());
        assert_eq!(p.jute_maxbuffer(), 0xfffff);
        assert!(!p.read_only_mode_enabled());
        assert_eq!(p.four_letter_whitelist(), FourLetterWhitelist::default());
        assert_eq!(p.admin_server(), AdminServerConfig::default());
        assert!(p.validate("f").is_empty());
    }

    #[test]
    fn java_read_rules() {
        let p = props(&[
            ("snapCount", "0x10"),
            ("globalOutstandingLimit", "010"),
            ("preAllocSize", "0x10"),
            ("commitLogCount", "100"),
            ("forceSync", "No"),
            ("skipACL", "YES"),
            ("digest.enabled", "yes"),
            ("extendedTypesEnabled", "TRUE"),
            ("maxCnxns", "-5"),
            ("snapshot.compression.method", "SNAPPY"),
            ("admin.enableServer", "False"),
            ("admin.serverPort", "9090"),
            ("jute.maxbuffer", "0x400000"),
        ]);
        assert_eq!(p.snap_count(), 16);
        assert_eq!(p.global_outstanding_limit(), 8);
        assert_eq!(p.pre_alloc_size_kb(), 65_536);
        assert_eq!(p.commit_log_count(), 500);
        assert!(p.force_sync(), "only exact 'no' disables");
        assert!(!p.skip_acl(), "only exact 'yes' enables");
        assert!(!p.digest_enabled(), "parseBoolean: 'yes' is false");
        assert!(p.extended_types_enabled());
        assert_eq!(p.max_cnxns(), 0);
        assert_eq!(p.snapshot_compression(), SnapshotCompression::Snappy);
        assert!(p.admin_server().enabled, "only exact 'false' disables");
        assert_eq!(p.admin_server().server_port, 9090);
        assert_eq!(p.jute_maxbuffer(), 0x40_0000);
        let warned: Vec<String> = p
            .validate("zoo.cfg")
            .iter()
            .filter_map(|w| w.location.key.clone())
            .collect();
        for key in [
            "preAllocSize",
            "commitLogCount",
            "forceSync",
            "skipACL",
            "digest.enabled",
            "maxCnxns",
            "admin.enableServer",
        ] {
            assert!(warned.iter().any(|k| k == key), "{key}: {warned:?}");
        }
        assert!(!warned
            .iter()
            .any(|k| k == "snapCount" || k == "extendedTypesEnabled"));
    }

    #[test]
    fn invalid_values_fall_back_with_warning() {
        let p = props(&[
            ("snapCount", "lots"),
            ("jute.maxbuffer", "-1"),
            ("snapshot.compression.method", "zstd"),
        ]);
        assert_eq!(p.snap_count(), 100_000);
        assert_eq!(p.jute_maxbuffer(), 0xfffff);
        assert_eq!(p.snapshot_compression(), SnapshotCompression::Checked);
        let w = p.validate("zoo.cfg");
        assert_eq!(w.len(), 3, "{w:?}");
        assert_eq!(
            w[0].to_string(),
            "zoo.cfg:1: key 'snapCount': 'lots' is not an integer; ZooKeeper uses the default 100000"
        );
    }

    #[test]
    fn snap_count_minimum_and_auth_providers() {
        let p = props(&[
            ("snapCount", "1"),
            ("authProvider.1", "a.B"),
            ("authProvider.sasl", "c.D"),
        ]);
        assert_eq!(p.snap_count(), 2);
        let providers = p.auth_providers();
        assert_eq!(providers.get("1"), Some(&"a.B"));
        assert_eq!(providers.len(), 2);
        assert_eq!(
            p.as_map()
                .get("zookeeper.authProvider.1")
                .map(String::as_str),
            Some("a.B")
        );
    }
}
