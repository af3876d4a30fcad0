//! [`ServerConfig`]: everything the shell needs, already validated. The binary builds it from
//! zoo.cfg with [`ServerConfig::from_zoo_cfg`]; tests build it directly.

use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use zkrs_config::{
    AdminServerConfig, FourLetterWhitelist, HostPort, MetricsProviderConfig, ZooCfg,
};
use zkrs_zab::ZabConfig;

use crate::quorum_cnx_manager::QcmConfig;
use zkrs_session::CoreConfig;

use crate::error::ServerError;
use crate::storage_config::StorageConfig;

/// ZooKeeper's default `globalOutstandingLimit`.
pub const DEFAULT_GLOBAL_OUTSTANDING_LIMIT: usize = 1000;
/// ZooKeeper's default `maxClientCnxns` (per source IP).
pub const DEFAULT_MAX_CLIENT_CNXNS: u32 = 60;
/// `zookeeper.nio.sessionlessCnxnTimeout`: how long a connection may stay without a session.
pub const DEFAULT_SESSIONLESS_CNXN_TIMEOUT_MS: u64 = 10_000;

/// The system property (zoo.cfg key without `zookeeper.`) for the sessionless timeout.
const SESSIONLESS_CNXN_TIMEOUT_KEY: &str = "nio.sessionlessCnxnTimeout";

/// The settings of one standalone server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// `clientPortAddress:clientPort` (0.0.0.0 when no address is given). Port 0 picks a free
    /// port; `ServerHandle::local_addr` reports it.
    pub client_addr: SocketAddr,
    /// `dataDir`: snapshots (and the txn log unless `dataLogDir` is set) in `version-2`.
    pub data_dir: PathBuf,
    /// `dataLogDir`, when different from `dataDir`.
    pub data_log_dir: Option<PathBuf>,
    /// `maxClientCnxns`: connections per source IP; 0 = unlimited.
    pub max_client_cnxns: u32,
    /// `maxCnxns` (`zookeeper.maxCnxns`): total connections; 0 = unlimited.
    pub max_cnxns: u32,
    /// `globalOutstandingLimit`: above this many requests in flight the server stops reading
    /// from connections that have requests in flight.
    pub global_outstanding_limit: usize,
    /// `4lw.commands.whitelist`.
    pub four_letter_whitelist: FourLetterWhitelist,
    /// `clientPortListenBacklog`; -1 = the default (ZooKeeper prints -1 in `conf`).
    pub client_port_listen_backlog: i32,
    /// `zookeeper.nio.sessionlessCnxnTimeout`.
    pub sessionless_cnxn_timeout_ms: u64,
    /// The settings of the sans-IO core (tickTime, session timeouts, jute.maxbuffer, ...).
    pub core: CoreConfig,
    /// Txn log, snapshots and autopurge.
    pub storage: StorageConfig,
    /// The quorum settings when zoo.cfg describes an ensemble (`None`: standalone).
    pub quorum: Option<QuorumSettings>,
    /// The AdminServer (`admin.*`): HTTP commands on `admin.serverPort`.
    pub admin: AdminServerConfig,
    /// `metricsProvider.*`: with the Prometheus provider, `/metrics` on its own HTTP port and
    /// `mntr` in its sample form.
    pub metrics_provider: MetricsProviderConfig,
    /// zoo.cfg as read (the admin command `initial_configuration`).
    pub initial_config: String,
}

/// What a quorum member needs beyond a standalone server's settings.
#[derive(Debug, Clone)]
pub struct QuorumSettings {
    /// `myid`.
    pub my_id: u64,
    /// Ticks, limits and the membership for the ZAB engines.
    pub zab: ZabConfig,
    /// The election port's connection manager.
    pub qcm: QcmConfig,
    /// Where this member accepts learners (its quorum addresses; the wildcard with
    /// `quorumListenOnAllIPs`).
    pub quorum_listen: Vec<HostPort>,
    /// Every member's quorum addresses, resolved again on each connect.
    pub quorum_addrs: BTreeMap<u64, Vec<(String, u16)>>,
    /// `cnxTimeout` in ms.
    pub cnx_timeout_ms: u64,
    /// `snapshotSizeFactor`: the limit on txn log files a DIFF may be read from.
    pub snapshot_size_factor: f64,
    /// The static config file (zoo.cfg) the dynamic config files are named after and that a
    /// reconfig rewrites (`dynamicConfigFile=`); `None` when the config did not come from a
    /// file (tests).
    pub config_file: Option<PathBuf>,
    /// `standaloneEnabled`.
    pub standalone_enabled: bool,
    /// `multiAddress.enabled`.
    pub multi_address_enabled: bool,
    /// `oraclePath`.
    pub oracle_path: Option<String>,
    /// The membership is written in zoo.cfg itself (no `dynamicConfigFile`): with
    /// `reconfigEnabled` the file is backed up to `zoo.cfg.bak` at start-up.
    pub inline_membership: bool,
    /// `readonlymode.enabled`: serve read-only clients while cut off from the quorum
    /// (`driver/read_only.rs`). A JVM property in ZooKeeper; a zoo.cfg key in zkrs.
    pub read_only_mode: bool,
}

impl QuorumSettings {
    /// The quorum settings of a parsed, distributed zoo.cfg whose server id is set.
    pub fn from_zoo_cfg(cfg: &ZooCfg) -> Option<QuorumSettings> {
        let my_id = cfg.server_id()?;
        let me = cfg.this_server()?;
        let verifier = cfg.quorum_verifier.clone();
        let tick = u64::try_from(cfg.tick_time).unwrap_or(2000).max(1);
        let zab = ZabConfig {
            my_id,
            tick_time_ms: tick,
            init_limit_ticks: u64::try_from(cfg.init_limit).unwrap_or(10).max(1),
            sync_limit_ticks: u64::try_from(cfg.sync_limit).unwrap_or(5).max(1),
            verifier,
            commit_log_count: usize::try_from(cfg.system_properties.commit_log_count())
                .unwrap_or(zkrs_zab::zab_config::DEFAULT_COMMIT_LOG_COUNT),
            txn_log_sync_enabled: cfg.system_properties.snapshot_size_factor() >= 0.0,
            reconfig_enabled: cfg.reconfig_enabled,
            last_seen_verifier: cfg
                .last_seen_quorum_verifier
                .clone()
                .filter(|qv| qv.version() > cfg.quorum_verifier.version()),
            observer: cfg.peer_type == zkrs_config::LearnerType::Observer,
        };
        let props = &cfg.system_properties;
        let cnx_timeout_ms = u64::try_from(props.get_int("cnxTimeout", 5000))
            .ok()
            .filter(|t| *t > 0)
            .unwrap_or(5000);
        let mut qcm = QcmConfig::new(my_id, me.election_addrs());
        qcm.listen_on_all_ips = cfg.quorum_listen_on_all_ips;
        qcm.multi_address_enabled = cfg.multi_address.enabled;
        qcm.cnx_timeout_ms = cnx_timeout_ms;
        qcm.peers = cfg
            .servers()
            .values()
            .filter(|s| s.id != my_id)
            .map(|s| (s.id, s.election_addrs()))
            .collect();
        let quorum_listen = me
            .quorum_addrs()
            .into_iter()
            .map(|a| {
                if cfg.quorum_listen_on_all_ips {
                    HostPort::wildcard(a.port)
                } else {
                    a
                }
            })
            .collect();
        let quorum_addrs = cfg
            .servers()
            .values()
            .map(|s| {
                (
                    s.id,
                    s.quorum_addrs()
                        .into_iter()
                        .map(|a| (a.host, a.port))
                        .collect(),
                )
            })
            .collect();
        Some(QuorumSettings {
            my_id,
            zab,
            qcm,
            quorum_listen,
            quorum_addrs,
            cnx_timeout_ms,
            snapshot_size_factor: props.snapshot_size_factor(),
            config_file: Some(PathBuf::from(&cfg.source)).filter(|p| p.is_file()),
            standalone_enabled: cfg.standalone_enabled,
            multi_address_enabled: cfg.multi_address.enabled,
            oracle_path: cfg.oracle_path.clone(),
            inline_membership: cfg.dynamic_config_file.is_none(),
            read_only_mode: props.read_only_mode_enabled(),
        })
    }
}

/// The AdminServer settings with the server off.
fn disabled_admin_server() -> AdminServerConfig {
    let mut admin = AdminServerConfig::default();
    admin.enabled = false;
    admin
}

impl ServerConfig {
    /// A standalone server on `127.0.0.1:0` with ZooKeeper's defaults and every four-letter
    /// word enabled: what tests start. It persists to `data_dir` (give each server its own).
    pub fn loopback(data_dir: impl Into<PathBuf>) -> ServerConfig {
        ServerConfig {
            client_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            data_dir: data_dir.into(),
            data_log_dir: None,
            max_client_cnxns: DEFAULT_MAX_CLIENT_CNXNS,
            max_cnxns: 0,
            global_outstanding_limit: DEFAULT_GLOBAL_OUTSTANDING_LIMIT,
            four_letter_whitelist: FourLetterWhitelist::from_property(Some("*"), false),
            client_port_listen_backlog: -1,
            sessionless_cnxn_timeout_ms: DEFAULT_SESSIONLESS_CNXN_TIMEOUT_MS,
            core: CoreConfig::default(),
            storage: StorageConfig::default(),
            quorum: None,
            // Tests start many servers: no AdminServer unless a test asks for one.
            admin: disabled_admin_server(),
            metrics_provider: MetricsProviderConfig::default(),
            initial_config: String::new(),
        }
    }

    /// The standalone server a parsed zoo.cfg describes. The caller has checked that the
    /// configuration is not distributed. Resolves `clientPortAddress` if it is a host name.
    pub fn from_zoo_cfg(cfg: &ZooCfg) -> Result<ServerConfig, ServerError> {
        let Some(client) = cfg.client_port_address.as_ref() else {
            return Err(ServerError::NoClientPort {
                file: cfg.source.clone(),
            });
        };
        let client_addr = match client.ip() {
            Some(ip) => SocketAddr::new(ip, client.port),
            None => (client.host.as_str(), client.port)
                .to_socket_addrs()
                .map_err(|source| ServerError::ClientAddress {
                    addr: client.to_string(),
                    source,
                })?
                .next()
                .ok_or_else(|| ServerError::ClientAddress {
                    addr: client.to_string(),
                    source: std::io::Error::new(
                        std::io::ErrorKind::NotFound,
                        "the host name has no address",
                    ),
                })?,
        };
        let props = &cfg.system_properties;
        let non_negative = |v: i32| u32::try_from(v).unwrap_or(0);
        let quorum = if cfg.is_distributed() {
            Some(
                QuorumSettings::from_zoo_cfg(cfg).ok_or_else(|| ServerError::NoServerId {
                    file: cfg.source.clone(),
                })?,
            )
        } else {
            None
        };
        let core = CoreConfig {
            // Session ids carry the server id (`SessionTrackerImpl.initializeNextSessionId`).
            server_id: quorum.as_ref().map_or(1, |q| (q.my_id & 0xff) as u8),
            quorum_config: if quorum.is_some() {
                cfg.quorum_verifier.to_config_string()
            } else {
                String::new()
            },
            tick_time_ms: non_negative(cfg.tick_time),
            min_session_timeout_ms: non_negative(cfg.min_session_timeout),
            max_session_timeout_ms: non_negative(cfg.max_session_timeout),
            max_buffer: props.jute_maxbuffer(),
            skip_acl: props.skip_acl(),
            super_digest: props.super_digest().map(str::to_string),
            extended_types_enabled: props.extended_types_enabled(),
            digest_enabled: props.digest_enabled(),
            close_session_txn_enabled: props.close_session_txn_enabled(),
            reconfig_enabled: cfg.reconfig_enabled,
            local_sessions_enabled: cfg.local_sessions_enabled,
            local_sessions_upgrading_enabled: cfg.local_sessions_upgrading_enabled,
            enforce_quota: props.enforce_quota(),
            // JVM properties in ZooKeeper (`-Dznode.container.*`); zkrs reads them from zoo.cfg.
            // Out-of-range values fall back to ZooKeeper's defaults.
            container_check_interval_ms: u64::try_from(props.container_check_interval_ms())
                .unwrap_or(60_000),
            container_max_per_minute: u32::try_from(props.container_max_per_minute())
                .unwrap_or(10_000),
            container_max_never_used_interval_ms: u64::try_from(
                props.container_max_never_used_interval_ms(),
            )
            .unwrap_or(0),
        };
        let data_log_dir = (cfg.data_log_dir != cfg.data_dir).then(|| cfg.data_log_dir.clone());
        Ok(ServerConfig {
            client_addr,
            data_dir: cfg.data_dir.clone(),
            data_log_dir,
            max_client_cnxns: non_negative(cfg.max_client_cnxns),
            max_cnxns: non_negative(props.max_cnxns()),
            // A negative limit behaves like 0 in ZooKeeper: throttle whenever anything is in
            // flight.
            global_outstanding_limit: usize::try_from(props.global_outstanding_limit())
                .unwrap_or(0),
            four_letter_whitelist: props.four_letter_whitelist(),
            client_port_listen_backlog: cfg.client_port_listen_backlog,
            sessionless_cnxn_timeout_ms: u64::try_from(props.get_int(
                SESSIONLESS_CNXN_TIMEOUT_KEY,
                DEFAULT_SESSIONLESS_CNXN_TIMEOUT_MS as i32,
            ))
            .ok()
            .filter(|t| *t > 0)
            .unwrap_or(DEFAULT_SESSIONLESS_CNXN_TIMEOUT_MS),
            core,
            storage: StorageConfig::from_zoo_cfg(cfg),
            quorum,
            admin: props.admin_server(),
            metrics_provider: cfg.metrics_provider.clone(),
            initial_config: cfg.initial_config.clone(),
        })
    }

    /// `tickTime` in milliseconds (never 0).
    pub fn tick_time_ms(&self) -> u64 {
        u64::from(self.core.tick_time_ms.max(1))
    }

    /// `jute.maxbuffer`.
    pub fn max_buffer(&self) -> usize {
        self.core.max_buffer
    }

    /// The snapshot directory ZooKeeper reports: `<dataDir>/version-2`.
    pub fn snap_dir(&self) -> PathBuf {
        absolute(&self.data_dir).join("version-2")
    }

    /// The txn log directory ZooKeeper reports: `<dataLogDir or dataDir>/version-2`.
    pub fn log_dir(&self) -> PathBuf {
        absolute(self.data_log_dir.as_ref().unwrap_or(&self.data_dir)).join("version-2")
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> ServerConfig {
        let cfg = ZooCfg::parse_str(text, "zoo.cfg").expect("valid zoo.cfg");
        ServerConfig::from_zoo_cfg(&cfg).expect("maps")
    }

    #[test]
    fn quota_and_container_keys_reach_the_core() {
        let c = parse(
            "tickTime=2000\ndataDir=/tmp/x\nclientPort=2181\nenforceQuota=true\n\
             znode.container.checkIntervalMs=1000\nznode.container.maxPerMinute=5\n",
        );
        assert!(c.core.enforce_quota);
        assert_eq!(c.core.container_check_interval_ms, 1000);
        assert_eq!(c.core.container_max_per_minute, 5);
        assert_eq!(c.core.container_max_never_used_interval_ms, 0);
    }

    #[test]
    fn maps_the_standalone_keys() {
        let c = parse(
            "tickTime=1000\nclientPort=2999\nclientPortAddress=127.0.0.1\ndataDir=/tmp/zk\n\
             maxClientCnxns=7\n4lw.commands.whitelist=ruok, mntr\nglobalOutstandingLimit=5\n\
             maxCnxns=9\nskipACL=yes\njute.maxbuffer=4096\nextendedTypesEnabled=true\n",
        );
        assert_eq!(c.client_addr, "127.0.0.1:2999".parse().expect("addr"));
        assert_eq!(c.data_dir, PathBuf::from("/tmp/zk"));
        assert_eq!(c.data_log_dir, None);
        assert_eq!(c.max_client_cnxns, 7);
        assert_eq!(c.max_cnxns, 9);
        assert_eq!(c.global_outstanding_limit, 5);
        assert!(c.four_letter_whitelist.is_allowed("mntr"));
        assert!(!c.four_letter_whitelist.is_allowed("cons"));
        assert_eq!(c.core.tick_time_ms, 1000);
        assert_eq!(c.core.min_session_timeout_ms, 2000);
        assert_eq!(c.core.max_session_timeout_ms, 20000);
        assert_eq!(c.core.max_buffer, 4096);
        assert!(c.core.skip_acl);
        assert!(c.core.extended_types_enabled);
        assert_eq!(
            c.sessionless_cnxn_timeout_ms,
            DEFAULT_SESSIONLESS_CNXN_TIMEOUT_MS
        );
    }

    #[test]
    fn defaults() {
        let c = parse("clientPort=2181\ndataDir=/tmp/zk\ndataLogDir=/tmp/zklog\n");
        assert_eq!(c.client_addr, "0.0.0.0:2181".parse().expect("addr"));
        assert_eq!(c.data_log_dir, Some(PathBuf::from("/tmp/zklog")));
        assert_eq!(c.max_client_cnxns, 60);
        assert_eq!(c.global_outstanding_limit, 1000);
        assert!(c.four_letter_whitelist.is_allowed("srvr"));
        assert!(!c.four_letter_whitelist.is_allowed("ruok"));
        assert_eq!(c.core.max_buffer, zkrs_jute::limits::DEFAULT_MAX_BUFFER);
    }
}
