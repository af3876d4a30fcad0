//! The parse itself: `QuorumPeerConfig.parse` / `parseProperties` / `setupQuorumPeerConfig`,
//! minus reading `myid` (see [`crate::ZooCfg::load`]).

use std::path::{Path, PathBuf};

use crate::error::{ConfigError, ErrorKind};
use crate::host_port::{parse_port, HostPort};
use crate::java;
use crate::known_keys;
use crate::learner_type::LearnerType;
use crate::location::Location;
use crate::log_config::{LogFormat, LogLevel, LOG_FORMAT_KEY, LOG_LEVEL_KEY};
use crate::properties::{Properties, Property};
use crate::quorum_verifier::{is_dynamic_key, parse_quorum, ParsedQuorum, QuorumVerifier};
use crate::warning::{ConfigWarning, WarningKind};
use crate::zoo_cfg::ZooCfg;

/// The auth provider ZooKeeper registers for `x509` when a secure client port is configured.
const X509_AUTH_PROVIDER: &str = "org.apache.zookeeper.server.auth.X509AuthenticationProvider";

/// Decodes file bytes: UTF-8 when valid, otherwise ISO-8859-1 (what `Properties.load` always
/// uses). A leading UTF-8 byte order mark is dropped.
pub(crate) fn decode(bytes: &[u8]) -> (String, Vec<WarningKind>) {
    let mut notes = Vec::new();
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => {
            notes.push(WarningKind::NotUtf8);
            bytes.iter().map(|&b| char::from(b)).collect()
        }
    };
    match text.strip_prefix('\u{feff}') {
        Some(rest) => {
            notes.push(WarningKind::ByteOrderMark);
            (rest.to_owned(), notes)
        }
        None => (text, notes),
    }
}

/// Reads a whole file, mapping failures to [`ErrorKind::Io`] at `location`.
pub(crate) fn read_file(path: &Path, location: Location) -> Result<Vec<u8>, ConfigError> {
    std::fs::read(path).map_err(|e| {
        ConfigError::new(
            location,
            ErrorKind::Io {
                path: path.display().to_string(),
                io_kind: e.kind(),
                message: e.to_string(),
            },
        )
    })
}

/// The version encoded in a dynamic config file name (`zoo.cfg.dynamic.100000000`):
/// the hex text after the last `.`, if it is one (`getVersionFromFilename`).
fn version_from_filename(path: &str) -> Option<i64> {
    let (_, suffix) = path.rsplit_once('.')?;
    java::parse_hex_long(suffix)
}

struct Parser<'a> {
    source: &'a str,
    props: &'a Properties,
    cfg: ZooCfg,
}

impl<'a> Parser<'a> {
    fn at(&self, p: &Property) -> Location {
        Location::key(self.source, p.line, &p.key)
    }

    /// The location of `key`: its line if set, else just the file and key.
    fn location_of(&self, key: &str) -> Location {
        match self.props.get(key) {
            Some(p) => self.at(p),
            None => Location::missing_key(self.source, key),
        }
    }

    fn error(&self, p: &Property, kind: ErrorKind) -> ConfigError {
        ConfigError::new(self.at(p), kind)
    }

    fn warn(&mut self, location: Location, kind: WarningKind) {
        self.cfg.push_warning(ConfigWarning::new(location, kind));
    }

    fn int(&self, p: &Property) -> Result<i32, ConfigError> {
        java::parse_int(&p.value).ok_or_else(|| {
            self.error(
                p,
                ErrorKind::InvalidInteger {
                    value: p.value.clone(),
                },
            )
        })
    }

    fn long(&self, p: &Property) -> Result<i64, ConfigError> {
        java::parse_long(&p.value).ok_or_else(|| {
            self.error(
                p,
                ErrorKind::InvalidLong {
                    value: p.value.clone(),
                },
            )
        })
    }

    fn boolean(&self, p: &Property) -> Result<bool, ConfigError> {
        java::parse_boolean_strict(&p.value).ok_or_else(|| {
            self.error(
                p,
                ErrorKind::InvalidBoolean {
                    value: p.value.clone(),
                },
            )
        })
    }

    fn port(&self, p: &Property) -> Result<u16, ConfigError> {
        parse_port(&p.value).map_err(|kind| self.error(p, kind))
    }

    fn path(&mut self, p: &Property) -> Result<PathBuf, ConfigError> {
        if p.value.is_empty() {
            return Err(self.error(p, ErrorKind::EmptyValue));
        }
        let path = PathBuf::from(&p.value);
        if !path.is_absolute() && !p.value.starts_with("./") {
            let kind = WarningKind::RelativePath {
                path: p.value.clone(),
            };
            self.warn(self.at(p), kind);
        }
        Ok(path)
    }

    fn host(&self, p: &Property) -> Result<String, ConfigError> {
        let v = p.value.as_str();
        let host = v
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .unwrap_or(v);
        if host.is_empty() {
            return Err(self.error(p, ErrorKind::EmptyValue));
        }
        Ok(host.to_owned())
    }

    /// The per-key loop of `parseProperties`.
    fn parse_keys(&mut self) -> Result<Keys, ConfigError> {
        let mut keys = Keys::default();
        let has_dynamic_file = self.props.contains_key("dynamicConfigFile");
        let props = self.props;
        for p in props.iter() {
            match p.key.as_str() {
                "dataDir" => keys.data_dir = Some(self.path(p)?),
                "dataLogDir" => keys.data_log_dir = Some(self.path(p)?),
                "clientPort" => keys.client_port = Some(self.port(p)?),
                "clientPortAddress" => keys.client_port_address = Some(self.host(p)?),
                "secureClientPort" => keys.secure_client_port = Some(self.port(p)?),
                "secureClientPortAddress" => {
                    keys.secure_client_port_address = Some(self.host(p)?);
                }
                "observerMasterPort" => {
                    let port = self.int(p)?;
                    self.cfg.observer_master_port =
                        if port <= 0 { None } else { Some(self.port(p)?) };
                }
                "clientPortListenBacklog" => self.cfg.client_port_listen_backlog = self.int(p)?,
                "tickTime" => self.cfg.tick_time = self.int(p)?,
                "maxClientCnxns" => self.cfg.max_client_cnxns = self.int(p)?,
                "minSessionTimeout" => self.cfg.min_session_timeout = self.int(p)?,
                "maxSessionTimeout" => self.cfg.max_session_timeout = self.int(p)?,
                "initLimit" => self.cfg.init_limit = self.int(p)?,
                "syncLimit" => self.cfg.sync_limit = self.int(p)?,
                "connectToLearnerMasterLimit" => {
                    self.cfg.connect_to_learner_master_limit = self.int(p)?
                }
                "electionAlg" => {
                    let alg = self.int(p)?;
                    if alg != 3 {
                        return Err(self.error(p, ErrorKind::UnsupportedElectionAlg { value: alg }));
                    }
                    self.cfg.election_alg = alg;
                }
                "quorumListenOnAllIPs" => self.cfg.quorum_listen_on_all_ips = self.boolean(p)?,
                "peerType" => {
                    let t = LearnerType::parse(&p.value).ok_or_else(|| {
                        self.error(
                            p,
                            ErrorKind::UnknownPeerType {
                                value: p.value.clone(),
                            },
                        )
                    })?;
                    self.cfg.set_configured_peer_type(t, self.at(p));
                }
                "syncEnabled" => self.cfg.sync_enabled = self.boolean(p)?,
                "dynamicConfigFile" => {
                    if p.value.is_empty() {
                        return Err(self.error(p, ErrorKind::EmptyValue));
                    }
                    self.cfg.dynamic_config_file = Some(PathBuf::from(&p.value));
                }
                "autopurge.snapRetainCount" => self.cfg.snap_retain_count = self.int(p)?,
                "autopurge.purgeInterval" => self.cfg.purge_interval = self.int(p)?,
                "standaloneEnabled" => self.cfg.standalone_enabled = self.boolean(p)?,
                "reconfigEnabled" => self.cfg.reconfig_enabled = self.boolean(p)?,
                "sslQuorum" => self.cfg.ssl_quorum = self.boolean(p)?,
                "portUnification" => self.cfg.port_unification = self.boolean(p)?,
                "sslQuorumReloadCertFiles" => {
                    self.cfg.ssl_quorum_reload_cert_files = self.boolean(p)?
                }
                "localSessionsEnabled" => self.cfg.local_sessions_enabled = self.boolean(p)?,
                "localSessionsUpgradingEnabled" => {
                    self.cfg.local_sessions_upgrading_enabled = self.boolean(p)?;
                }
                key if is_dynamic_key(key) && has_dynamic_file => {
                    return Err(self.error(p, ErrorKind::DynamicKeyInStaticFile));
                }
                "quorum.auth.enableSasl" => self.cfg.quorum_auth.enable_sasl = self.boolean(p)?,
                "quorum.auth.serverRequireSasl" => {
                    self.cfg.quorum_auth.server_require_sasl = self.boolean(p)?;
                }
                "quorum.auth.learnerRequireSasl" => {
                    self.cfg.quorum_auth.learner_require_sasl = self.boolean(p)?;
                }
                "quorum.auth.learner.saslLoginContext" => {
                    self.cfg.quorum_auth.learner_login_context = p.value.clone();
                }
                "quorum.auth.server.saslLoginContext" => {
                    self.cfg.quorum_auth.server_login_context = p.value.clone();
                }
                "quorum.auth.kerberos.servicePrincipal" => {
                    self.cfg.quorum_auth.kerberos_service_principal = p.value.clone();
                }
                "quorum.cnxn.threads.size" => self.cfg.quorum_cnxn_threads_size = self.int(p)?,
                "jvm.pause.info-threshold.ms" => {
                    self.cfg.jvm_pause.info_threshold_ms = self.long(p)?
                }
                "jvm.pause.warn-threshold.ms" => {
                    self.cfg.jvm_pause.warn_threshold_ms = self.long(p)?
                }
                "jvm.pause.sleep.time.ms" => self.cfg.jvm_pause.sleep_time_ms = self.long(p)?,
                "jvm.pause.monitor" => self.cfg.jvm_pause.monitor = self.boolean(p)?,
                "metricsProvider.className" => {
                    self.cfg.metrics_provider.class_name = p.value.clone()
                }
                key if key.starts_with("metricsProvider.") => {
                    let name = &key["metricsProvider.".len()..];
                    self.cfg
                        .metrics_provider
                        .properties
                        .insert(name.to_owned(), p.value.clone());
                }
                "multiAddress.enabled" => self.cfg.multi_address.enabled = self.boolean(p)?,
                "multiAddress.reachabilityCheckTimeoutMs" => {
                    self.cfg.multi_address.reachability_check_timeout_ms = self.int(p)?;
                }
                "multiAddress.reachabilityCheckEnabled" => {
                    self.cfg.multi_address.reachability_check_enabled = self.boolean(p)?;
                }
                "oraclePath" => self.cfg.oracle_path = Some(p.value.clone()),
                LOG_LEVEL_KEY => {
                    let level = LogLevel::parse(&p.value).ok_or_else(|| {
                        let value = p.value.clone();
                        self.error(p, ErrorKind::InvalidLogLevel { value })
                    })?;
                    self.cfg.log.level = Some(level);
                }
                LOG_FORMAT_KEY => {
                    let format = LogFormat::parse(&p.value).ok_or_else(|| {
                        let value = p.value.clone();
                        self.error(p, ErrorKind::InvalidLogFormat { value })
                    })?;
                    self.cfg.log.format = Some(format);
                }
                // server.N / group.N / weight.N / version: the quorum verifier reads them.
                key if is_dynamic_key(key) => {}
                "version" => {
                    if has_dynamic_file {
                        self.warn(self.at(p), WarningKind::StaticVersionIgnored);
                    }
                }
                key => self.system_property(p, key),
            }
        }
        Ok(keys)
    }

    /// The final `else`: `System.setProperty("zookeeper." + key, value)`.
    fn system_property(&mut self, p: &Property, key: &str) {
        self.cfg.system_properties.set_at(key, &p.value, p.line);
        if let Some(property) = known_keys::jvm_only_property(key) {
            self.warn(self.at(p), WarningKind::JvmOnlyProperty { property });
        } else if !known_keys::is_known_system_key(key) {
            let kind = WarningKind::UnknownKey {
                property: format!("{}{key}", crate::system_properties::PREFIX),
                suggestion: known_keys::suggest(key),
            };
            self.warn(self.at(p), kind);
        }
    }

    /// Everything `parseProperties` checks after its loop, up to the quorum verifier.
    fn finish_static(&mut self, keys: Keys) -> Result<(), ConfigError> {
        let auth = &self.cfg.quorum_auth;
        let sasl_error = if !auth.enable_sasl && auth.server_require_sasl {
            Some(("quorum.auth.serverRequireSasl", "quorum.auth.enableSasl"))
        } else if !auth.enable_sasl && auth.learner_require_sasl {
            Some(("quorum.auth.learnerRequireSasl", "quorum.auth.enableSasl"))
        } else if !auth.learner_require_sasl && auth.server_require_sasl {
            Some((
                "quorum.auth.serverRequireSasl",
                "quorum.auth.learnerRequireSasl",
            ))
        } else {
            None
        };
        if let Some((key, needed)) = sasl_error {
            let kind = ErrorKind::SaslRequires { needed };
            return Err(ConfigError::new(self.location_of(key), kind));
        }

        if self.cfg.snap_retain_count < 3 {
            let kind = WarningKind::SnapRetainCountTooSmall {
                value: self.cfg.snap_retain_count,
            };
            self.warn(self.location_of("autopurge.snapRetainCount"), kind);
            self.cfg.snap_retain_count = 3;
        }

        let Some(data_dir) = keys.data_dir else {
            return Err(ConfigError::new(
                Location::missing_key(self.source, "dataDir"),
                ErrorKind::MissingKey,
            ));
        };
        self.cfg.data_log_dir = keys.data_log_dir.unwrap_or_else(|| data_dir.clone());
        self.cfg.data_dir = data_dir;

        let client = self.client_address(
            keys.client_port,
            keys.client_port_address,
            ("clientPort", "clientPortAddress"),
        )?;
        self.cfg.set_static_client_port_address(client);
        self.cfg.secure_client_port_address = self.client_address(
            keys.secure_client_port,
            keys.secure_client_port_address,
            ("secureClientPort", "secureClientPortAddress"),
        )?;
        if self.cfg.secure_client_port_address.is_some() {
            self.configure_ssl_auth()?;
        }

        let tick = self.cfg.tick_time;
        if tick <= 0 {
            let kind = ErrorKind::TickTimeNotPositive { value: tick };
            return Err(ConfigError::new(self.location_of("tickTime"), kind));
        }
        if self.cfg.min_session_timeout == -1 {
            self.cfg.min_session_timeout = tick.wrapping_mul(2);
        }
        if self.cfg.max_session_timeout == -1 {
            self.cfg.max_session_timeout = tick.wrapping_mul(20);
        }
        let (min, max) = (self.cfg.min_session_timeout, self.cfg.max_session_timeout);
        if min > max {
            let key = ["minSessionTimeout", "maxSessionTimeout"]
                .into_iter()
                .find(|k| self.props.contains_key(k))
                .unwrap_or("tickTime");
            let kind = ErrorKind::SessionTimeoutRange { min, max };
            return Err(ConfigError::new(self.location_of(key), kind));
        }

        if !self.cfg.metrics_provider.is_known() {
            let kind = WarningKind::UnknownMetricsProvider {
                class_name: self.cfg.metrics_provider.class_name.clone(),
            };
            self.warn(self.location_of("metricsProvider.className"), kind);
        }
        Ok(())
    }

    /// `clientPort` + `clientPortAddress` (or the secure pair) → the address to bind.
    fn client_address(
        &self,
        port: Option<u16>,
        host: Option<String>,
        (port_key, host_key): (&'static str, &'static str),
    ) -> Result<Option<HostPort>, ConfigError> {
        match (port, host) {
            (None, None) => Ok(None),
            (None, Some(_)) => Err(ConfigError::new(
                self.location_of(host_key),
                ErrorKind::AddressWithoutPort { port_key },
            )),
            (Some(port), None) => Ok(Some(HostPort::wildcard(port))),
            (Some(port), Some(host)) => Ok(Some(HostPort::new(host, port))),
        }
    }

    /// `QuorumPeerConfig.configureSSLAuth`: a secure client port registers the `x509` auth
    /// provider unless `ssl.authProvider` names another scheme, which must then be registered.
    fn configure_ssl_auth(&mut self) -> Result<(), ConfigError> {
        let sys = &mut self.cfg.system_properties;
        let scheme = sys.get("ssl.authProvider").unwrap_or("x509").to_owned();
        let provider_key = format!("authProvider.{scheme}");
        if sys.get(&provider_key).is_some() {
            return Ok(());
        }
        if scheme == "x509" {
            sys.set(&provider_key, X509_AUTH_PROVIDER);
            Ok(())
        } else {
            Err(ConfigError::new(
                self.location_of("ssl.authProvider"),
                ErrorKind::NoAuthProvider { scheme },
            ))
        }
    }

    /// `parseDynamicConfig`'s membership checks.
    fn check_membership(&mut self, parsed: &ParsedQuorum) -> Result<(), ConfigError> {
        let qv = &parsed.verifier;
        let participants = qv.voting_count();
        let first_observer = qv.observing_members().next().map(|s| s.id);
        let observer_location = |id: u64| {
            parsed
                .server_locations
                .get(&id)
                .cloned()
                .unwrap_or_else(|| Location::file(self.source))
        };
        if participants == 0 {
            if !self.cfg.standalone_enabled {
                return Err(ConfigError::new(
                    self.location_of("standaloneEnabled"),
                    ErrorKind::NoParticipants,
                ));
            }
            if let Some(id) = first_observer {
                return Err(ConfigError::new(
                    observer_location(id),
                    ErrorKind::ObserversWithoutParticipants,
                ));
            }
        } else if participants == 1 && self.cfg.standalone_enabled {
            if let Some(id) = first_observer {
                return Err(ConfigError::new(
                    observer_location(id),
                    ErrorKind::ObserversWithoutQuorum,
                ));
            }
            let location = qv
                .voting_members()
                .next()
                .and_then(|s| parsed.server_locations.get(&s.id).cloned())
                .unwrap_or_else(|| Location::file(self.source));
            self.warn(location, WarningKind::SingleParticipant);
        } else if participants <= 2 {
            let kind = WarningKind::NoFailureTolerated { participants };
            self.warn(Location::file(self.source), kind);
        } else if participants % 2 == 0 {
            let kind = WarningKind::EvenParticipants { participants };
            self.warn(Location::file(self.source), kind);
        }
        Ok(())
    }

    /// `checkValidity` minus the myid check: initLimit and syncLimit in quorum mode.
    fn check_validity(&self) -> Result<(), ConfigError> {
        if !self.cfg.is_distributed() {
            return Ok(());
        }
        for (key, value) in [
            ("initLimit", self.cfg.init_limit),
            ("syncLimit", self.cfg.sync_limit),
        ] {
            if value == 0 {
                return Err(ConfigError::new(
                    self.location_of(key),
                    ErrorKind::RequiredInQuorumMode,
                ));
            }
        }
        Ok(())
    }
}

/// Values collected in the loop and resolved after it.
#[derive(Default)]
struct Keys {
    data_dir: Option<PathBuf>,
    data_log_dir: Option<PathBuf>,
    client_port: Option<u16>,
    client_port_address: Option<String>,
    secure_client_port: Option<u16>,
    secure_client_port_address: Option<String>,
}

/// Reads and checks the dynamic config file named by `dynamicConfigFile`.
fn parse_dynamic_file(
    path: &Path,
    static_location: Location,
    oracle_path: Option<&str>,
    multi_address_enabled: bool,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<ParsedQuorum, ConfigError> {
    let source = path.display().to_string();
    let (text, notes) = decode(&read_file(path, static_location)?);
    warnings.extend(
        notes
            .into_iter()
            .map(|k| ConfigWarning::new(Location::file(&source), k)),
    );
    let props = Properties::parse(&text, &source)?;
    for p in props.iter() {
        let kind = if p.key == "version" {
            ErrorKind::VersionInDynamicFile
        } else if !is_dynamic_key(&p.key) {
            ErrorKind::UnrecognisedDynamicKey
        } else {
            continue;
        };
        return Err(ConfigError::new(
            Location::key(&source, p.line, &p.key),
            kind,
        ));
    }
    for d in props.duplicates() {
        let kind = WarningKind::DuplicateKey {
            first_line: d.earlier_line,
        };
        warnings.push(ConfigWarning::new(
            Location::key(&source, d.line, &d.key),
            kind,
        ));
    }
    let version = version_from_filename(&source).unwrap_or(0);
    parse_quorum(
        &props,
        &source,
        Some(version),
        oracle_path,
        multi_address_enabled,
    )
}

/// Reads `<config>.dynamic.next`, the membership of an unfinished reconfiguration, if present.
fn parse_dynamic_next(
    config_path: &Path,
    multi_address_enabled: bool,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<Option<QuorumVerifier>, ConfigError> {
    let mut name = config_path.as_os_str().to_owned();
    name.push(".dynamic.next");
    let path = PathBuf::from(name);
    if !path.exists() {
        return Ok(None);
    }
    let source = path.display().to_string();
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) => {
            let kind = WarningKind::DynamicNextUnreadable {
                message: e.to_string(),
            };
            warnings.push(ConfigWarning::new(Location::file(&source), kind));
            return Ok(None);
        }
    };
    let (text, _) = decode(&bytes);
    let props = Properties::parse(&text, &source)?;
    Ok(Some(
        parse_quorum(&props, &source, None, None, multi_address_enabled)?.verifier,
    ))
}

/// Parses zoo.cfg text. `config_path` is the file it came from, if any (for `.dynamic.next`).
pub(crate) fn parse(
    text: &str,
    source: &str,
    config_path: Option<&Path>,
    notes: Vec<WarningKind>,
) -> Result<ZooCfg, ConfigError> {
    let (text, more_notes) = match text.strip_prefix('\u{feff}') {
        Some(rest) => (rest, vec![WarningKind::ByteOrderMark]),
        None => (text, Vec::new()),
    };
    let props = Properties::parse(text, source)?;
    let mut parser = Parser {
        source,
        props: &props,
        cfg: ZooCfg::with_defaults(source, text),
    };
    for kind in notes.into_iter().chain(more_notes) {
        parser.warn(Location::file(source), kind);
    }
    for d in props.duplicates() {
        let kind = WarningKind::DuplicateKey {
            first_line: d.earlier_line,
        };
        parser.warn(Location::key(source, d.line, &d.key), kind);
    }

    let keys = parser.parse_keys()?;
    parser.finish_static(keys)?;

    let multi = parser.cfg.multi_address.enabled;
    let oracle = parser.cfg.oracle_path.clone();
    let parsed = match parser.cfg.dynamic_config_file.clone() {
        None => parse_quorum(&props, source, None, oracle.as_deref(), multi)?,
        Some(path) => {
            let location = parser.location_of("dynamicConfigFile");
            let mut warnings = Vec::new();
            let parsed =
                parse_dynamic_file(&path, location, oracle.as_deref(), multi, &mut warnings)?;
            if let Some(config_path) = config_path {
                parser.cfg.last_seen_quorum_verifier =
                    parse_dynamic_next(config_path, multi, &mut warnings)?;
            }
            for w in warnings {
                parser.cfg.push_warning(w);
            }
            parsed
        }
    };
    parser.check_membership(&parsed)?;
    parser
        .cfg
        .set_quorum(parsed.verifier, parsed.server_locations);
    parser.check_validity()?;

    for w in parser.cfg.system_properties.validate(source) {
        parser.cfg.push_warning(w);
    }
    Ok(parser.cfg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_utf8_latin1_and_bom() {
        assert_eq!(decode(b"a=1").0, "a=1");
        let (text, notes) = decode(b"\xef\xbb\xbfa=\xc3\xa9");
        assert_eq!(text, "a=é");
        assert_eq!(notes, vec![WarningKind::ByteOrderMark]);
        let (text, notes) = decode(b"a=\xe9");
        assert_eq!(text, "a=é");
        assert_eq!(notes, vec![WarningKind::NotUtf8]);
    }

    #[test]
    fn dynamic_file_versions() {
        assert_eq!(
            version_from_filename("/conf/zoo.cfg.dynamic.100000000"),
            Some(0x1_0000_0000)
        );
        assert_eq!(version_from_filename("zoo.cfg.dynamic"), None);
        assert_eq!(version_from_filename("dynamic"), None);
        assert_eq!(version_from_filename("zoo.cfg.dynamic.next"), None);
    }
}
