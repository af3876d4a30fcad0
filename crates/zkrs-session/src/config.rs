//! The settings the core needs; the server crate fills them from zoo.cfg.

/// Core settings, already validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoreConfig {
    /// `serverId` in the high byte of session ids; 1 in standalone mode.
    pub server_id: u8,
    pub tick_time_ms: u32,
    pub min_session_timeout_ms: u32,
    pub max_session_timeout_ms: u32,
    /// `jute.maxbuffer`.
    pub max_buffer: usize,
    /// `zookeeper.skipACL=yes`.
    pub skip_acl: bool,
    /// `zookeeper.DigestAuthenticationProvider.superDigest` (`super:base64sha1`).
    pub super_digest: Option<String>,
    /// `zookeeper.extendedTypesEnabled` (TTL nodes).
    pub extended_types_enabled: bool,
    /// `zookeeper.digest.enabled`.
    pub digest_enabled: bool,
    /// `zookeeper.enforceQuota` (zoo.cfg `enforceQuota`, default false, 3.7+): refuse with
    /// QUOTAEXCEEDED a create or setData past a quota's `countHardLimit` / `byteHardLimit`.
    /// The server fills it from `zkrs_config`'s `SystemProperties::enforce_quota()`
    /// (`enforce_quota: props.enforce_quota()` next to `skip_acl` in zkrs-server's config.rs).
    pub enforce_quota: bool,
    /// `zookeeper.closeSessionTxn.enabled`.
    pub close_session_txn_enabled: bool,
    /// `reconfigEnabled`.
    pub reconfig_enabled: bool,
    /// Text of `/zookeeper/config` (empty in standalone).
    pub quorum_config: String,
    /// `znode.container.checkIntervalMs`: how often the container/TTL reaper runs (0 = never).
    pub container_check_interval_ms: u64,
    /// `znode.container.maxPerMinute`: at most this many deleteContainer txns per reaper pass.
    pub container_max_per_minute: u32,
    /// `znode.container.maxNeverUsedIntervalMs`: a container that never had a child is reaped
    /// once this long past its mtime (0 = never).
    pub container_max_never_used_interval_ms: u64,
    /// `localSessionsEnabled` (quorum members only): a new session is local to the member it
    /// connects to, created and closed without a txn, until an ephemeral create upgrades it.
    pub local_sessions_enabled: bool,
    /// `localSessionsUpgradingEnabled`: an ephemeral create on a local session upgrades it to
    /// a global one (createSession txn first); without it the create fails with
    /// EPHEMERALONLOCALSESSION.
    pub local_sessions_upgrading_enabled: bool,
}

impl Default for CoreConfig {
    fn default() -> Self {
        CoreConfig {
            server_id: 1,
            tick_time_ms: 2000,
            min_session_timeout_ms: 4000,
            max_session_timeout_ms: 40000,
            max_buffer: zkrs_jute::limits::DEFAULT_MAX_BUFFER,
            skip_acl: false,
            super_digest: None,
            extended_types_enabled: false,
            digest_enabled: true,
            enforce_quota: false,
            close_session_txn_enabled: true,
            reconfig_enabled: false,
            quorum_config: String::new(),
            container_check_interval_ms: 60_000,
            container_max_per_minute: 10_000,
            container_max_never_used_interval_ms: 0,
            local_sessions_enabled: false,
            local_sessions_upgrading_enabled: false,
        }
    }
}
