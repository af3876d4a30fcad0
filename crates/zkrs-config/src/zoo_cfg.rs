//! [`ZooCfg`]: a parsed and validated zoo.cfg.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{ConfigError, ErrorKind};
use crate::host_port::HostPort;
use crate::jvm_pause::JvmPauseConfig;
use crate::learner_type::LearnerType;
use crate::location::Location;
use crate::log_config::LogConfig;
use crate::metrics_provider::MetricsProviderConfig;
use crate::multi_address::MultiAddressConfig;
use crate::quorum_auth::QuorumAuthConfig;
use crate::quorum_server::QuorumServer;
use crate::quorum_verifier::QuorumVerifier;
use crate::system_properties::SystemProperties;
use crate::warning::{ConfigWarning, WarningKind};
use crate::{myid, parser};

/// The largest server id allowed with `extendedTypesEnabled` (`EphemeralType.MAX_EXTENDED_SERVER_ID`).
const MAX_EXTENDED_SERVER_ID: u64 = 0xfe;

/// A zoo.cfg as ZooKeeper 3.5–3.9 reads it (`QuorumPeerConfig`), with defaults applied.
///
/// The fields mirror `QuorumPeerConfig`. Integers keep Java's `int`/`long` types so that every
/// value ZooKeeper accepts is representable. Keys ZooKeeper does not parse itself are in
/// [`ZooCfg::system_properties`], with typed accessors.
///
/// The server id is not read while parsing: call [`ZooCfg::load`] to do everything
/// `QuorumPeerConfig.parse` does including `myid`, or [`ZooCfg::read_myid`] and
/// [`ZooCfg::set_server_id`] yourself.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ZooCfg {
    /// The file name as given (or the `source_name` of [`ZooCfg::parse_str`]).
    pub source: String,
    /// The configuration text as read (the admin command `initial_configuration` shows it).
    pub initial_config: String,
    /// `dataDir` (required): snapshots and `myid`. Relative paths are kept as written.
    pub data_dir: PathBuf,
    /// `dataLogDir`: transaction logs; `dataDir` when absent.
    pub data_log_dir: PathBuf,
    /// The client address to bind: `clientPortAddress` (default `0.0.0.0`) and `clientPort`,
    /// or this server's `;client` part once [`ZooCfg::set_server_id`] ran. `None`: no client
    /// port (the server then serves no plain clients).
    pub client_port_address: Option<HostPort>,
    /// `secureClientPortAddress` (default `0.0.0.0`) and `secureClientPort`.
    pub secure_client_port_address: Option<HostPort>,
    /// `observerMasterPort` (3.6+); `None` when absent or not positive.
    pub observer_master_port: Option<u16>,
    /// `clientPortListenBacklog` (-1 = the system default).
    pub client_port_listen_backlog: i32,
    /// `tickTime` in ms (3000).
    pub tick_time: i32,
    /// `maxClientCnxns`: connections per client IP (60; 0 = unlimited).
    pub max_client_cnxns: i32,
    /// `minSessionTimeout` in ms (2 × tickTime).
    pub min_session_timeout: i32,
    /// `maxSessionTimeout` in ms (20 × tickTime).
    pub max_session_timeout: i32,
    /// `initLimit` in ticks (required in quorum mode).
    pub init_limit: i32,
    /// `syncLimit` in ticks (required in quorum mode).
    pub sync_limit: i32,
    /// `connectToLearnerMasterLimit` in ticks (0 = use initLimit).
    pub connect_to_learner_master_limit: i32,
    /// `electionAlg`: always 3 (FastLeaderElection).
    pub election_alg: i32,
    /// `quorumListenOnAllIPs` (false): bind quorum and election ports on every address.
    pub quorum_listen_on_all_ips: bool,
    /// `peerType` (participant); replaced by this server's role in the server list by
    /// [`ZooCfg::set_server_id`].
    pub peer_type: LearnerType,
    /// `syncEnabled` (true): observers log transactions and take snapshots.
    pub sync_enabled: bool,
    /// `dynamicConfigFile`: the file holding the membership, if split out.
    pub dynamic_config_file: Option<PathBuf>,
    /// `autopurge.snapRetainCount` (3, and at least 3).
    pub snap_retain_count: i32,
    /// `autopurge.purgeInterval` in hours (0 = no purge).
    pub purge_interval: i32,
    /// `standaloneEnabled` (true): a single participant runs standalone.
    pub standalone_enabled: bool,
    /// `reconfigEnabled` (false): allow the `reconfig` operation.
    pub reconfig_enabled: bool,
    /// `sslQuorum` (false): TLS between quorum peers.
    pub ssl_quorum: bool,
    /// `portUnification` (false): accept TLS and plaintext on the quorum port.
    pub port_unification: bool,
    /// `sslQuorumReloadCertFiles` (false).
    pub ssl_quorum_reload_cert_files: bool,
    /// `localSessionsEnabled` (false).
    pub local_sessions_enabled: bool,
    /// `localSessionsUpgradingEnabled` (false).
    pub local_sessions_upgrading_enabled: bool,
    /// `quorum.auth.*`.
    pub quorum_auth: QuorumAuthConfig,
    /// `quorum.cnxn.threads.size` as written (0 when absent); see
    /// [`ZooCfg::effective_quorum_cnxn_threads_size`].
    pub quorum_cnxn_threads_size: i32,
    /// `jvm.pause.*`.
    pub jvm_pause: JvmPauseConfig,
    /// `metricsProvider.*`.
    pub metrics_provider: MetricsProviderConfig,
    /// `multiAddress.*`.
    pub multi_address: MultiAddressConfig,
    /// `oraclePath` (3.8+): the oracle file of a two-participant ensemble.
    pub oracle_path: Option<String>,
    /// The membership: from the static file, or from the dynamic file if there is one.
    pub quorum_verifier: QuorumVerifier,
    /// The membership of an unfinished reconfiguration (`<config>.dynamic.next`), if any.
    pub last_seen_quorum_verifier: Option<QuorumVerifier>,
    /// `zkrs.log.level` and `zkrs.log.format` (zkrs's own; not system properties).
    pub log: LogConfig,
    /// Every other key, as the `zookeeper.<key>` system property ZooKeeper would set.
    pub system_properties: SystemProperties,
    server_id: Option<u64>,
    warnings: Vec<ConfigWarning>,
    configured_peer_type: LearnerType,
    peer_type_location: Option<Location>,
    static_client_port_address: Option<HostPort>,
    server_locations: BTreeMap<u64, Location>,
}

impl ZooCfg {
    /// Every field at ZooKeeper's default; `data_dir` is empty until set.
    pub(crate) fn with_defaults(source: &str, text: &str) -> ZooCfg {
        ZooCfg {
            source: source.to_owned(),
            initial_config: text.to_owned(),
            data_dir: PathBuf::new(),
            data_log_dir: PathBuf::new(),
            client_port_address: None,
            secure_client_port_address: None,
            observer_master_port: None,
            client_port_listen_backlog: -1,
            tick_time: 3000,
            max_client_cnxns: 60,
            min_session_timeout: -1,
            max_session_timeout: -1,
            init_limit: 0,
            sync_limit: 0,
            connect_to_learner_master_limit: 0,
            election_alg: 3,
            quorum_listen_on_all_ips: false,
            peer_type: LearnerType::Participant,
            sync_enabled: true,
            dynamic_config_file: None,
            snap_retain_count: 3,
            purge_interval: 0,
            standalone_enabled: true,
            reconfig_enabled: false,
            ssl_quorum: false,
            port_unification: false,
            ssl_quorum_reload_cert_files: false,
            local_sessions_enabled: false,
            local_sessions_upgrading_enabled: false,
            quorum_auth: QuorumAuthConfig::default(),
            quorum_cnxn_threads_size: 0,
            jvm_pause: JvmPauseConfig::default(),
            metrics_provider: MetricsProviderConfig::default(),
            multi_address: MultiAddressConfig::default(),
            oracle_path: None,
            quorum_verifier: QuorumVerifier::majority(BTreeMap::new(), 0),
            last_seen_quorum_verifier: None,
            log: LogConfig::default(),
            system_properties: SystemProperties::new(),
            server_id: None,
            warnings: Vec::new(),
            configured_peer_type: LearnerType::Participant,
            peer_type_location: None,
            static_client_port_address: None,
            server_locations: BTreeMap::new(),
        }
    }

    /// Reads and parses the file at `path`, including the dynamic config file it names and
    /// `<path>.dynamic.next`. Does not read `myid` (see [`ZooCfg::load`]).
    ///
    /// The file is decoded as UTF-8, or as ISO-8859-1 (like `Properties.load`) if it is not
    /// valid UTF-8.
    pub fn parse_file(path: impl AsRef<Path>) -> Result<ZooCfg, ConfigError> {
        let path = path.as_ref();
        let source = path.display().to_string();
        let bytes = parser::read_file(path, Location::file(&source))?;
        let (text, notes) = parser::decode(&bytes);
        parser::parse(&text, &source, Some(path), notes)
    }

    /// Parses zoo.cfg text; `source_name` names it in errors and warnings. A
    /// `dynamicConfigFile` it names is read from the file system (relative to the working
    /// directory, as ZooKeeper does); nothing else is.
    pub fn parse_str(text: &str, source_name: &str) -> Result<ZooCfg, ConfigError> {
        parser::parse(text, source_name, None, Vec::new())
    }

    /// Everything `QuorumPeerConfig.parse` does: [`ZooCfg::parse_file`], then, if
    /// `dataDir/myid` is a file, [`ZooCfg::read_myid`] and [`ZooCfg::set_server_id`]. In quorum
    /// mode a missing myid file is an error.
    pub fn load(path: impl AsRef<Path>) -> Result<ZooCfg, ConfigError> {
        let mut cfg = ZooCfg::parse_file(path)?;
        let myid = cfg.myid_path();
        if myid.is_file() {
            let id = cfg.read_myid()?;
            cfg.set_server_id(id)?;
        } else if cfg.is_distributed() {
            return Err(ConfigError::new(
                Location::file(myid.display().to_string()),
                ErrorKind::MissingMyId,
            ));
        }
        Ok(cfg)
    }

    /// Whether the server runs as a quorum member rather than standalone
    /// (`QuorumPeerConfig.isDistributed`): standaloneEnabled is false, or there is more than
    /// one participant.
    pub fn is_distributed(&self) -> bool {
        !self.standalone_enabled || self.quorum_verifier.voting_count() > 1
    }

    /// Every member of the ensemble (participants and observers) by server id.
    pub fn servers(&self) -> &BTreeMap<u64, QuorumServer> {
        self.quorum_verifier.servers()
    }

    /// What ZooKeeper would have logged as warnings while reading the configuration.
    pub fn warnings(&self) -> &[ConfigWarning] {
        &self.warnings
    }

    /// The server id, once [`ZooCfg::set_server_id`] (or [`ZooCfg::load`]) set it.
    pub fn server_id(&self) -> Option<u64> {
        self.server_id
    }

    /// This server's entry in the server list, once the server id is known.
    pub fn this_server(&self) -> Option<&QuorumServer> {
        self.servers().get(&self.server_id?)
    }

    /// The path of the myid file: `<dataDir>/myid`.
    pub fn myid_path(&self) -> PathBuf {
        myid::myid_path(&self.data_dir)
    }

    /// Reads the server id from `<dataDir>/myid` (see [`crate::read_myid`]).
    pub fn read_myid(&self) -> Result<u64, ConfigError> {
        myid::read_myid(&self.data_dir)
    }

    /// Applies the server id like `setupClientPort` and `setupPeerType`:
    /// - this server's `;client` part becomes [`ZooCfg::client_port_address`]; it must agree
    ///   with a static `clientPort` (same port, and same address unless the static one is the
    ///   wildcard); without a `;client` part, the static address is recorded on the server
    ///   (and left out when serializing);
    /// - [`ZooCfg::peer_type`] becomes the server's role in the list (a warning if `peerType`
    ///   said otherwise);
    /// - in quorum mode the id must be in the server list (`QuorumPeer.start` checks this);
    /// - with `extendedTypesEnabled=true` the id must be at most 254.
    ///
    /// Calling it again with another id first undoes the previous call.
    pub fn set_server_id(&mut self, id: u64) -> Result<(), ConfigError> {
        self.client_port_address = self.static_client_port_address.clone();
        self.peer_type = self.configured_peer_type;
        self.warnings
            .retain(|w| !matches!(w.kind, WarningKind::PeerTypeOverridden { .. }));
        for server in self.quorum_verifier.servers_mut().values_mut() {
            if server.client_addr_from_static {
                server.client_addr = None;
                server.client_addr_from_static = false;
            }
        }
        self.server_id = Some(id);

        if self.system_properties.extended_types_enabled() && id > MAX_EXTENDED_SERVER_ID {
            let location = match self.system_properties.line("extendedTypesEnabled") {
                Some(line) => Location::key(&self.source, line, "extendedTypesEnabled"),
                None => Location::file(&self.source),
            };
            return Err(ConfigError::new(
                location,
                ErrorKind::ServerIdTooLarge { id },
            ));
        }

        let server_location = self
            .server_locations
            .get(&id)
            .cloned()
            .unwrap_or_else(|| Location::file(&self.source));
        let static_addr = self.client_port_address.clone();
        if let Some(server) = self.quorum_verifier.servers_mut().get_mut(&id) {
            match (&static_addr, &server.client_addr) {
                (Some(configured), Some(from_server)) => {
                    let conflict = if configured.is_wildcard() {
                        configured.port != from_server.port
                    } else {
                        !configured.same_address(from_server)
                    };
                    if conflict {
                        return Err(ConfigError::new(
                            server_location,
                            ErrorKind::ClientAddressConflict {
                                configured: configured.to_string(),
                                from_server: from_server.to_string(),
                            },
                        ));
                    }
                    self.client_port_address = Some(from_server.clone());
                }
                (None, Some(from_server)) => {
                    self.client_port_address = Some(from_server.clone());
                }
                (_, None) => {
                    server.client_addr = static_addr;
                    server.client_addr_from_static = true;
                }
            }
        }

        let role = match self.servers().get(&id) {
            Some(server) => server.learner_type,
            None => LearnerType::Participant,
        };
        if role != self.peer_type {
            let location = self.peer_type_location.clone().unwrap_or(server_location);
            self.warnings.push(ConfigWarning::new(
                location,
                WarningKind::PeerTypeOverridden {
                    configured: self.peer_type,
                    from_servers: role,
                },
            ));
            self.peer_type = role;
        }

        if self.is_distributed() && !self.servers().contains_key(&id) {
            return Err(ConfigError::new(
                Location::file(self.myid_path().display().to_string()),
                ErrorKind::MyIdNotInServers { id },
            ));
        }
        Ok(())
    }

    /// The client port, if any.
    pub fn client_port(&self) -> Option<u16> {
        self.client_port_address.as_ref().map(|a| a.port)
    }

    /// The secure client port, if any.
    pub fn secure_client_port(&self) -> Option<u16> {
        self.secure_client_port_address.as_ref().map(|a| a.port)
    }

    /// The learner connect limit in ticks the learner uses: `connectToLearnerMasterLimit` if
    /// positive, else `initLimit` (`Learner.connectToLeader`).
    pub fn effective_connect_to_learner_master_limit(&self) -> i32 {
        if self.connect_to_learner_master_limit > 0 {
            self.connect_to_learner_master_limit
        } else {
            self.init_limit
        }
    }

    /// The quorum connection thread pool size `QuorumPeer` uses: the configured value if above
    /// 20, else 20.
    pub fn effective_quorum_cnxn_threads_size(&self) -> i32 {
        self.quorum_cnxn_threads_size.max(20)
    }

    pub(crate) fn push_warning(&mut self, warning: ConfigWarning) {
        self.warnings.push(warning);
    }

    pub(crate) fn set_configured_peer_type(&mut self, peer_type: LearnerType, at: Location) {
        self.configured_peer_type = peer_type;
        self.peer_type_location = Some(at);
        self.peer_type = peer_type;
    }

    pub(crate) fn set_static_client_port_address(&mut self, address: Option<HostPort>) {
        self.static_client_port_address = address.clone();
        self.client_port_address = address;
    }

    pub(crate) fn set_quorum(
        &mut self,
        verifier: QuorumVerifier,
        locations: BTreeMap<u64, Location>,
    ) {
        self.quorum_verifier = verifier;
        self.server_locations = locations;
    }
}
