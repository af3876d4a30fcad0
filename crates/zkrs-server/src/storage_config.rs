//! [`StorageConfig`]: how the server keeps its data on disk — the txn log's sync policy, when
//! snapshots are taken, autopurge, and the [`StorageOptions`] of `zkrs-storage`.
//!
//! The settings that the data tree shares with the core (`extendedTypesEnabled`,
//! `digest.enabled`, `closeSessionTxn.enabled`, `jute.maxbuffer`) are not stored here: they
//! come from [`CoreConfig`] when the storage is opened ([`StorageConfig::storage_options`]), so
//! the tree that is restored always reads and writes what the core expects.

use zkrs_config::ZooCfg;
use zkrs_datatree::TreeConfig;
use zkrs_session::CoreConfig;
use zkrs_storage::{SnapshotCompression, StorageOptions};

/// ZooKeeper's default `snapCount`.
pub const DEFAULT_SNAP_COUNT: u32 = 100_000;
/// ZooKeeper's default `snapSizeLimitInKb` (4 GiB) in bytes.
pub const DEFAULT_SNAP_SIZE_LIMIT_BYTES: u64 = 4_194_304 * 1024;
/// ZooKeeper's default `fsync.warningthresholdms`.
pub const DEFAULT_FSYNC_WARNING_THRESHOLD_MS: u64 = 1000;
/// `jute.maxbuffer.extrasize`'s default: a log record may exceed `jute.maxbuffer` by this much.
const MAX_BUFFER_EXTRA: usize = 1024;

/// The storage settings of one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// `forceSync` (default yes): fsync the txn log before acknowledging. `no` only writes to
    /// the page cache — acknowledged writes can then be lost in a machine crash (not in a
    /// process crash).
    pub force_sync: bool,
    /// `fsync.warningthresholdms` (1000): fsyncs slower than this are logged as warnings and
    /// counted.
    pub fsync_warning_threshold_ms: u64,
    /// `snapCount` (100000, at least 2): roll the log and snapshot after
    /// `snapCount/2 + rand(snapCount/2)` txns.
    pub snap_count: u32,
    /// `snapSizeLimitInKb` (4 GiB) in bytes: also after `limit/2 + rand(limit/2)` bytes of
    /// log. `None` disables the rule (a non-positive value).
    pub snap_size_limit_bytes: Option<u64>,
    /// `autopurge.snapRetainCount` (3, at least 3).
    pub snap_retain_count: usize,
    /// `autopurge.purgeInterval` in hours (0 = no autopurge).
    pub purge_interval_hours: u32,
    /// Directory handling, recovery rules, snapshot format and log writer settings.
    /// `tree_config`, `snapshot_digest`, `log_read` are overridden from the core's settings.
    pub options: StorageOptions,
}

impl Default for StorageConfig {
    fn default() -> Self {
        StorageConfig {
            force_sync: true,
            fsync_warning_threshold_ms: DEFAULT_FSYNC_WARNING_THRESHOLD_MS,
            snap_count: DEFAULT_SNAP_COUNT,
            snap_size_limit_bytes: Some(DEFAULT_SNAP_SIZE_LIMIT_BYTES),
            snap_retain_count: 3,
            purge_interval_hours: 0,
            options: StorageOptions::default(),
        }
    }
}

impl StorageConfig {
    /// The storage settings of a parsed zoo.cfg (`forceSync`, `fsync.warningthresholdms`,
    /// `snapCount`, `snapSizeLimitInKb`, `preAllocSize`, `txnLogSizeLimitInKb`,
    /// `snapshot.compression.method`, `snapshot.trust.empty`, `db.autocreate`,
    /// `datadir.autocreate`, `serializeLastProcessedZxid.enabled`, `autopurge.*`).
    pub fn from_zoo_cfg(cfg: &ZooCfg) -> StorageConfig {
        let props = &cfg.system_properties;
        let mut options = StorageOptions {
            datadir_autocreate: props.datadir_autocreate(),
            db_autocreate: props.db_autocreate(),
            snapshot_trust_empty: props.snapshot_trust_empty(),
            snapshot_compression: match props.snapshot_compression() {
                zkrs_config::SnapshotCompression::Checked => SnapshotCompression::None,
                zkrs_config::SnapshotCompression::Gzip => SnapshotCompression::Gzip,
                zkrs_config::SnapshotCompression::Snappy => SnapshotCompression::Snappy,
            },
            // 3.9 writes the lastProcessedZxid section by default; 3.8 never does. zkrs writes
            // 3.8's files unless zoo.cfg asks for the section explicitly.
            snapshot_last_processed_zxid: props
                .get("serializeLastProcessedZxid.enabled")
                .is_some_and(|v| v.trim().eq_ignore_ascii_case("true")),
            ..StorageOptions::default()
        };
        // `FilePadding.setPreallocSize`: 0 or negative disables preallocation.
        options.txn_log.pre_alloc_size = u64::try_from(props.pre_alloc_size_bytes()).unwrap_or(0);
        options.txn_log.size_limit = u64::try_from(props.txn_log_size_limit_in_kb())
            .ok()
            .filter(|kb| *kb > 0)
            .map(|kb| kb.saturating_mul(1024));
        StorageConfig {
            force_sync: props.force_sync(),
            fsync_warning_threshold_ms: u64::try_from(props.fsync_warning_threshold_ms())
                .unwrap_or(0),
            snap_count: u32::try_from(props.snap_count()).unwrap_or(2).max(2),
            snap_size_limit_bytes: u64::try_from(props.snap_size_limit_in_kb())
                .ok()
                .filter(|kb| *kb > 0)
                .map(|kb| kb.saturating_mul(1024)),
            snap_retain_count: usize::try_from(cfg.snap_retain_count).unwrap_or(3).max(3),
            purge_interval_hours: u32::try_from(cfg.purge_interval).unwrap_or(0),
            options,
        }
    }

    /// The [`StorageOptions`] to open the data directories with: these settings plus what the
    /// core dictates (tree settings, digest section, closeSession bodies, record size limit).
    pub fn storage_options(&self, core: &CoreConfig) -> StorageOptions {
        let mut o = self.options.clone();
        o.tree_config = TreeConfig {
            extended_types_enabled: core.extended_types_enabled,
            digest_enabled: core.digest_enabled,
            watch_model: zkrs_session::core::WATCH_MODEL,
        };
        o.snapshot_digest = core.digest_enabled;
        o.log_read.close_session_txn_enabled = core.close_session_txn_enabled;
        o.log_read.max_record_len = core.max_buffer.saturating_add(MAX_BUFFER_EXTRA);
        o
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> StorageConfig {
        let cfg = ZooCfg::parse_str(text, "zoo.cfg").expect("valid zoo.cfg");
        StorageConfig::from_zoo_cfg(&cfg)
    }

    #[test]
    fn defaults_are_zookeepers() {
        let s = parse("clientPort=2181\ndataDir=/tmp/zk\n");
        assert_eq!(s, StorageConfig::default());
        assert_eq!(s.options.txn_log.pre_alloc_size, 64 << 20);
        assert_eq!(s.options.txn_log.size_limit, None);
    }

    #[test]
    fn maps_every_storage_key() {
        let s = parse(
            "clientPort=2181\ndataDir=/tmp/zk\nforceSync=no\nfsync.warningthresholdms=50\n\
             snapCount=10\nsnapSizeLimitInKb=0\npreAllocSize=16\ntxnLogSizeLimitInKb=100\n\
             snapshot.compression.method=snappy\nsnapshot.trust.empty=true\n\
             db.autocreate=false\ndatadir.autocreate=false\n\
             serializeLastProcessedZxid.enabled=true\nautopurge.snapRetainCount=5\n\
             autopurge.purgeInterval=2\n",
        );
        assert!(!s.force_sync);
        assert_eq!(s.fsync_warning_threshold_ms, 50);
        assert_eq!(s.snap_count, 10);
        assert_eq!(s.snap_size_limit_bytes, None);
        assert_eq!(s.options.txn_log.pre_alloc_size, 16 * 1024);
        assert_eq!(s.options.txn_log.size_limit, Some(100 * 1024));
        assert_eq!(s.options.snapshot_compression, SnapshotCompression::Snappy);
        assert!(s.options.snapshot_trust_empty);
        assert!(!s.options.db_autocreate);
        assert!(!s.options.datadir_autocreate);
        assert!(s.options.snapshot_last_processed_zxid);
        assert_eq!(s.snap_retain_count, 5);
        assert_eq!(s.purge_interval_hours, 2);
    }

    #[test]
    fn core_settings_win() {
        let s = StorageConfig::default();
        let core = CoreConfig {
            extended_types_enabled: true,
            digest_enabled: false,
            close_session_txn_enabled: false,
            max_buffer: 4096,
            ..CoreConfig::default()
        };
        let o = s.storage_options(&core);
        assert!(o.tree_config.extended_types_enabled);
        assert!(!o.tree_config.digest_enabled);
        assert!(!o.snapshot_digest);
        assert!(!o.log_read.close_session_txn_enabled);
        assert_eq!(o.log_read.max_record_len, 4096 + 1024);
    }
}
