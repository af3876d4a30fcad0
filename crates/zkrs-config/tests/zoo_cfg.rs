//! ZooCfg end to end: every key, every error with its file:line:key, server lines through the
//! whole parse, dynamic config files, myid and the server id.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use zkrs_config::{
    AdminServerConfig, ConfigError, ErrorKind, HostPort, LearnerType, QuorumKind,
    SnapshotCompression, WarningKind, ZooCfg,
};

const FILE: &str = "conf/zoo.cfg";

fn parse(text: &str) -> ZooCfg {
    ZooCfg::parse_str(text, FILE).unwrap_or_else(|e| panic!("{e}\n---\n{text}"))
}

fn parse_err(text: &str) -> ConfigError {
    match ZooCfg::parse_str(text, FILE) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e,
    }
}

/// A fresh directory under the target dir for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("zkrs-config-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}

fn warning_kinds(cfg: &ZooCfg) -> Vec<&WarningKind> {
    cfg.warnings().iter().map(|w| &w.kind).collect()
}

const QUORUM: &str = "dataDir=/d\ninitLimit=5\nsyncLimit=2\n\
                      server.1=a:2888:3888\nserver.2=b:2888:3888\nserver.3=c:2888:3888\n";

#[test]
fn defaults() {
    let cfg = parse("dataDir=/var/lib/zookeeper\n");
    assert_eq!(cfg.source, FILE);
    assert_eq!(cfg.data_dir, PathBuf::from("/var/lib/zookeeper"));
    assert_eq!(cfg.data_log_dir, cfg.data_dir);
    assert_eq!(cfg.client_port_address, None);
    assert_eq!(cfg.secure_client_port_address, None);
    assert_eq!(cfg.observer_master_port, None);
    assert_eq!(cfg.client_port_listen_backlog, -1);
    assert_eq!(cfg.tick_time, 3000);
    assert_eq!(cfg.max_client_cnxns, 60);
    assert_eq!(cfg.min_session_timeout, 6000);
    assert_eq!(cfg.max_session_timeout, 60000);
    assert_eq!(cfg.init_limit, 0);
    assert_eq!(cfg.sync_limit, 0);
    assert_eq!(cfg.connect_to_learner_master_limit, 0);
    assert_eq!(cfg.election_alg, 3);
    assert!(!cfg.quorum_listen_on_all_ips);
    assert_eq!(cfg.peer_type, LearnerType::Participant);
    assert!(cfg.sync_enabled);
    assert_eq!(cfg.dynamic_config_file, None);
    assert_eq!(cfg.snap_retain_count, 3);
    assert_eq!(cfg.purge_interval, 0);
    assert!(cfg.standalone_enabled);
    assert!(!cfg.reconfig_enabled);
    assert!(!cfg.ssl_quorum);
    assert!(!cfg.port_unification);
    assert!(!cfg.ssl_quorum_reload_cert_files);
    assert!(!cfg.local_sessions_enabled);
    assert!(!cfg.local_sessions_upgrading_enabled);
    assert!(!cfg.quorum_auth.enable_sasl);
    assert!(!cfg.quorum_auth.server_require_sasl);
    assert!(!cfg.quorum_auth.learner_require_sasl);
    assert_eq!(cfg.quorum_auth.learner_login_context, "QuorumLearner");
    assert_eq!(cfg.quorum_auth.server_login_context, "QuorumServer");
    assert_eq!(
        cfg.quorum_auth.kerberos_service_principal,
        "zkquorum/localhost"
    );
    assert_eq!(cfg.quorum_cnxn_threads_size, 0);
    assert_eq!(cfg.effective_quorum_cnxn_threads_size(), 20);
    assert!(!cfg.jvm_pause.monitor);
    assert_eq!(cfg.jvm_pause.info_threshold_ms, 1000);
    assert_eq!(cfg.jvm_pause.warn_threshold_ms, 10000);
    assert_eq!(cfg.jvm_pause.sleep_time_ms, 500);
    assert_eq!(
        cfg.metrics_provider.class_name,
        zkrs_config::DEFAULT_METRICS_PROVIDER
    );
    assert!(!cfg.multi_address.enabled);
    assert!(cfg.multi_address.reachability_check_enabled);
    assert_eq!(cfg.multi_address.reachability_check_timeout_ms, 1000);
    assert_eq!(cfg.oracle_path, None);
    assert_eq!(cfg.quorum_verifier.kind(), &QuorumKind::Majority);
    assert_eq!(cfg.last_seen_quorum_verifier, None);
    assert_eq!(cfg.server_id(), None);
    assert!(!cfg.is_distributed());
    assert!(cfg.warnings().is_empty(), "{:?}", cfg.warnings());
}

#[test]
fn every_explicit_key() {
    let text = "\
dataDir=/data/zk
dataLogDir=/logs/zk
clientPort=2182
clientPortAddress=127.0.0.1
secureClientPort=2281
secureClientPortAddress=[::1]
observerMasterPort=2191
clientPortListenBacklog=128
tickTime=1000
maxClientCnxns=0
minSessionTimeout=3000
maxSessionTimeout=90000
initLimit=20
syncLimit=7
connectToLearnerMasterLimit=30
electionAlg=3
quorumListenOnAllIPs=TRUE
peerType=Observer
syncEnabled=false
autopurge.snapRetainCount=5
autopurge.purgeInterval=24
standaloneEnabled=false
reconfigEnabled=true
sslQuorum=true
portUnification=true
sslQuorumReloadCertFiles=true
localSessionsEnabled=true
localSessionsUpgradingEnabled=true
quorum.auth.enableSasl=true
quorum.auth.serverRequireSasl=true
quorum.auth.learnerRequireSasl=true
quorum.auth.learner.saslLoginContext=Learner
quorum.auth.server.saslLoginContext=Server
quorum.auth.kerberos.servicePrincipal=zkquorum/_HOST
quorum.cnxn.threads.size=40
jvm.pause.info-threshold.ms=2000
jvm.pause.warn-threshold.ms=20000
jvm.pause.sleep.time.ms=250
jvm.pause.monitor=true
metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider
metricsProvider.httpHost=127.0.0.1
metricsProvider.httpPort=7001
metricsProvider.exportJvmInfo=false
multiAddress.enabled=true
multiAddress.reachabilityCheckTimeoutMs=500
multiAddress.reachabilityCheckEnabled=false
oraclePath=/var/lib/zk/oracle
server.1=a1:2888:3888|a2:2889:3889;127.0.0.1:2182
server.2=b:2888:3888
server.3=c:2888:3888:observer
version=200000000
";
    let mut cfg = parse(text);
    assert_eq!(cfg.data_dir, PathBuf::from("/data/zk"));
    assert_eq!(cfg.data_log_dir, PathBuf::from("/logs/zk"));
    assert_eq!(
        cfg.client_port_address,
        Some(HostPort::new("127.0.0.1", 2182))
    );
    assert_eq!(
        cfg.secure_client_port_address,
        Some(HostPort::new("::1", 2281))
    );
    assert_eq!(cfg.secure_client_port(), Some(2281));
    assert_eq!(cfg.observer_master_port, Some(2191));
    assert_eq!(cfg.client_port_listen_backlog, 128);
    assert_eq!(cfg.tick_time, 1000);
    assert_eq!(cfg.max_client_cnxns, 0);
    assert_eq!(cfg.min_session_timeout, 3000);
    assert_eq!(cfg.max_session_timeout, 90000);
    assert_eq!(cfg.init_limit, 20);
    assert_eq!(cfg.sync_limit, 7);
    assert_eq!(cfg.connect_to_learner_master_limit, 30);
    assert_eq!(cfg.effective_connect_to_learner_master_limit(), 30);
    assert_eq!(cfg.election_alg, 3);
    assert!(cfg.quorum_listen_on_all_ips);
    assert_eq!(cfg.peer_type, LearnerType::Observer);
    assert!(!cfg.sync_enabled);
    assert_eq!(cfg.snap_retain_count, 5);
    assert_eq!(cfg.purge_interval, 24);
    assert!(!cfg.standalone_enabled);
    assert!(cfg.reconfig_enabled);
    assert!(cfg.ssl_quorum);
    assert!(cfg.port_unification);
    assert!(cfg.ssl_quorum_reload_cert_files);
    assert!(cfg.local_sessions_enabled);
    assert!(cfg.local_sessions_upgrading_enabled);
    assert!(cfg.quorum_auth.enable_sasl);
    assert!(cfg.quorum_auth.server_require_sasl);
    assert!(cfg.quorum_auth.learner_require_sasl);
    assert_eq!(cfg.quorum_auth.learner_login_context, "Learner");
    assert_eq!(cfg.quorum_auth.server_login_context, "Server");
    assert_eq!(cfg.quorum_auth.kerberos_service_principal, "zkquorum/_HOST");
    assert_eq!(cfg.quorum_cnxn_threads_size, 40);
    assert_eq!(cfg.effective_quorum_cnxn_threads_size(), 40);
    assert_eq!(cfg.jvm_pause.info_threshold_ms, 2000);
    assert_eq!(cfg.jvm_pause.warn_threshold_ms, 20000);
    assert_eq!(cfg.jvm_pause.sleep_time_ms, 250);
    assert!(cfg.jvm_pause.monitor);
    assert!(cfg.metrics_provider.is_prometheus());
    let expected: BTreeMap<String, String> = [
        ("httpHost", "127.0.0.1"),
        ("httpPort", "7001"),
        ("exportJvmInfo", "false"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect();
    assert_eq!(cfg.metrics_provider.properties, expected);
    assert!(cfg.multi_address.enabled);
    assert_eq!(cfg.multi_address.reachability_check_timeout_ms, 500);
    assert!(!cfg.multi_address.reachability_check_enabled);
    assert_eq!(cfg.oracle_path.as_deref(), Some("/var/lib/zk/oracle"));
    assert_eq!(
        cfg.quorum_verifier.kind(),
        &QuorumKind::Oracle {
            path: "/var/lib/zk/oracle".into()
        }
    );
    assert_eq!(cfg.quorum_verifier.version(), 0x2_0000_0000);
    assert_eq!(cfg.servers().len(), 3);
    assert_eq!(cfg.servers()[&1].addresses.len(), 2);
    assert!(cfg.is_distributed());
    // secureClientPort registers the x509 auth provider, like configureSSLAuth.
    assert_eq!(
        cfg.system_properties.get("authProvider.x509"),
        Some("org.apache.zookeeper.server.auth.X509AuthenticationProvider")
    );
    // Explicit keys are not system properties.
    assert_eq!(cfg.system_properties.len(), 1);

    cfg.set_server_id(1).unwrap_or_else(|e| panic!("{e}"));
    // server.1 is a participant: peerType=observer is overridden, with a warning.
    assert_eq!(cfg.peer_type, LearnerType::Participant);
    assert!(
        warning_kinds(&cfg).contains(&&WarningKind::PeerTypeOverridden {
            configured: LearnerType::Observer,
            from_servers: LearnerType::Participant,
        })
    );
    assert_eq!(
        cfg.quorum_verifier.to_config_string(),
        "server.1=a1:2888:3888|a2:2889:3889:participant;127.0.0.1:2182\n\
         server.2=b:2888:3888:participant\n\
         server.3=c:2888:3888:observer\n\
         version=200000000"
    );
    cfg.set_server_id(3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.peer_type, LearnerType::Observer);
    assert_eq!(
        cfg.warnings()
            .iter()
            .filter(|w| matches!(w.kind, WarningKind::PeerTypeOverridden { .. }))
            .count(),
        0
    );
}

#[test]
fn system_properties_keep_unknown_keys() {
    let text = "dataDir=/d
snapCount=50000
snapSizeLimitInKb=1024
txnLogSizeLimitInKb=2048
preAllocSize=16384
globalOutstandingLimit=2000
maxCnxns=500
commitLogCount=1000
forceSync=no
fsync.warningthresholdms=50
skipACL=yes
extendedTypesEnabled=true
emulate353TTLNodes=true
digest.enabled=false
closeSessionTxn.enabled=false
serializeLastProcessedZxid.enabled=false
snapshot.compression.method=gz
snapshot.trust.empty=true
db.autocreate=false
datadir.autocreate=false
4lw.commands.whitelist=ruok, mntr
admin.enableServer=false
admin.serverAddress=127.0.0.1
admin.serverPort=9999
admin.commandURL=/cmds
admin.idleTimeout=1000
DigestAuthenticationProvider.superDigest=super:D/InIHSb7yEEbrWz8b9l71RjZJU=
enforceQuota=true
leaderServes=no
jute.maxbuffer=4194304
readonlymode.enabled=true
ssl.quorum.keyStore.location=/k.jks
";
    let cfg = parse(text);
    let sys = &cfg.system_properties;
    assert_eq!(sys.get_property("zookeeper.snapCount"), Some("50000"));
    assert_eq!(
        sys.as_map().get("zookeeper.forceSync").map(String::as_str),
        Some("no")
    );
    assert_eq!(sys.line("skipACL"), Some(11));
    assert_eq!(sys.snap_count(), 50000);
    assert_eq!(sys.snap_size_limit_in_kb(), 1024);
    assert_eq!(sys.txn_log_size_limit_in_kb(), 2048);
    assert_eq!(sys.pre_alloc_size_kb(), 16384);
    assert_eq!(sys.global_outstanding_limit(), 2000);
    assert_eq!(sys.max_cnxns(), 500);
    assert_eq!(sys.commit_log_count(), 1000);
    assert!(!sys.force_sync());
    assert_eq!(sys.fsync_warning_threshold_ms(), 50);
    assert!(sys.skip_acl());
    assert!(sys.extended_types_enabled());
    assert!(sys.emulate_353_ttl_nodes());
    assert!(!sys.digest_enabled());
    assert!(!sys.close_session_txn_enabled());
    assert!(!sys.serialize_last_processed_zxid_enabled());
    assert_eq!(sys.snapshot_compression(), SnapshotCompression::Gzip);
    assert!(sys.snapshot_trust_empty());
    assert!(!sys.db_autocreate());
    assert!(!sys.datadir_autocreate());
    let whitelist = sys.four_letter_whitelist();
    assert_eq!(
        whitelist.commands().collect::<Vec<_>>(),
        vec!["isro", "mntr", "ruok", "srvr"]
    );
    let admin = sys.admin_server();
    let mut expected = AdminServerConfig::default();
    expected.enabled = false;
    expected.server_address = "127.0.0.1".into();
    expected.server_port = 9999;
    expected.command_url = "/cmds".into();
    expected.idle_timeout_ms = 1000;
    assert_eq!(admin, expected);
    assert_eq!(
        sys.super_digest(),
        Some("super:D/InIHSb7yEEbrWz8b9l71RjZJU=")
    );
    assert!(sys.enforce_quota());
    assert!(!sys.leader_serves());
    assert_eq!(sys.jute_maxbuffer(), 4_194_304);
    assert!(sys.read_only_mode_enabled());
    assert_eq!(sys.get("ssl.quorum.keyStore.location"), Some("/k.jks"));
    // Only the two JVM-only keys are flagged; everything else is a known ZooKeeper key.
    let kinds = warning_kinds(&cfg);
    assert_eq!(kinds.len(), 2, "{:?}", cfg.warnings());
    assert!(kinds.contains(&&WarningKind::JvmOnlyProperty {
        property: "jute.maxbuffer"
    }));
}

#[test]
fn unknown_and_misspelled_keys_are_kept_and_flagged() {
    let cfg = parse("dataDir=/d\nzookeeper.snapCount=5\nticktime=1\nmyOwnSetting=x\n");
    assert_eq!(cfg.tick_time, 3000, "keys are case-sensitive");
    assert_eq!(cfg.system_properties.get("ticktime"), Some("1"));
    assert_eq!(
        cfg.system_properties.snap_count(),
        100_000,
        "zookeeper.zookeeper.snapCount is not read"
    );
    let shown: Vec<String> = cfg.warnings().iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        vec![
        "conf/zoo.cfg:2: key 'zookeeper.snapCount': not a known ZooKeeper setting; kept as system \
         property 'zookeeper.zookeeper.snapCount' (did you mean 'snapCount'?)",
        "conf/zoo.cfg:3: key 'ticktime': not a known ZooKeeper setting; kept as system property \
         'zookeeper.ticktime' (did you mean 'tickTime'?)",
        "conf/zoo.cfg:4: key 'myOwnSetting': not a known ZooKeeper setting; kept as system \
         property 'zookeeper.myOwnSetting'",
    ]
    );
}

#[test]
fn warnings_as_data() {
    let cfg = parse(
        "dataDir=data\ndataLogDir=./logs\nautopurge.snapRetainCount=1\ntickTime=2000\ntickTime=1000\n\
         snapCount=many\nmetricsProvider.className=com.example.Metrics\n",
    );
    assert_eq!(
        cfg.data_dir,
        PathBuf::from("data"),
        "relative paths are kept as written"
    );
    assert_eq!(cfg.snap_retain_count, 3);
    assert_eq!(cfg.tick_time, 1000, "the later duplicate wins");
    let shown: Vec<String> = cfg.warnings().iter().map(ToString::to_string).collect();
    let expected = [
        "conf/zoo.cfg:5: key 'tickTime': also set on line 4; the later value wins",
        "conf/zoo.cfg:1: key 'dataDir': 'data' is relative and is resolved against the working \
         directory; prepend ./ to indicate that you're sure",
        "conf/zoo.cfg:3: key 'autopurge.snapRetainCount': 1 is less than the minimum 3; using 3",
        "conf/zoo.cfg:7: key 'metricsProvider.className': metrics provider 'com.example.Metrics' \
         is not built into zkrs; the default provider is used",
        "conf/zoo.cfg:6: key 'snapCount': 'many' is not an integer; ZooKeeper uses the default 100000",
    ];
    assert_eq!(shown, expected);
}

#[test]
fn membership_warnings() {
    let one = parse("dataDir=/d\nserver.1=a:1:2\n");
    assert!(!one.is_distributed());
    assert_eq!(warning_kinds(&one), vec![&WarningKind::SingleParticipant]);
    assert_eq!(one.warnings()[0].location.line, Some(2));
    let four = parse(&format!("{QUORUM}server.4=d:1:2\n"));
    assert_eq!(
        warning_kinds(&four),
        vec![&WarningKind::EvenParticipants { participants: 4 }]
    );
    // standaloneEnabled=false makes a single participant a (one-member) quorum.
    let solo =
        parse("dataDir=/d\nstandaloneEnabled=false\ninitLimit=1\nsyncLimit=1\nserver.1=a:1:2\n");
    assert!(solo.is_distributed());
}

type Check = fn(&ErrorKind) -> bool;

#[test]
fn every_error_names_file_line_and_key() {
    let cases: &[(&str, usize, &str, Check)] = &[
        (
            "tickTime=abc",
            2,
            "tickTime",
            |k| matches!(k, ErrorKind::InvalidInteger { value } if value == "abc"),
        ),
        ("tickTime=0", 2, "tickTime", |k| {
            matches!(k, ErrorKind::TickTimeNotPositive { value: 0 })
        }),
        ("tickTime=-5", 2, "tickTime", |k| {
            matches!(k, ErrorKind::TickTimeNotPositive { value: -5 })
        }),
        ("maxClientCnxns=1.5", 2, "maxClientCnxns", |k| {
            matches!(k, ErrorKind::InvalidInteger { .. })
        }),
        ("initLimit=2147483648", 2, "initLimit", |k| {
            matches!(k, ErrorKind::InvalidInteger { .. })
        }),
        (
            "clientPort=99999",
            2,
            "clientPort",
            |k| matches!(k, ErrorKind::InvalidPort { value } if value == "99999"),
        ),
        ("clientPort=abc", 2, "clientPort", |k| {
            matches!(k, ErrorKind::InvalidPort { .. })
        }),
        ("secureClientPort=-1", 2, "secureClientPort", |k| {
            matches!(k, ErrorKind::InvalidPort { .. })
        }),
        ("observerMasterPort=70000", 2, "observerMasterPort", |k| {
            matches!(k, ErrorKind::InvalidPort { .. })
        }),
        ("clientPortAddress=127.0.0.1", 2, "clientPortAddress", |k| {
            matches!(
                k,
                ErrorKind::AddressWithoutPort {
                    port_key: "clientPort"
                }
            )
        }),
        (
            "secureClientPortAddress=::1",
            2,
            "secureClientPortAddress",
            |k| {
                matches!(
                    k,
                    ErrorKind::AddressWithoutPort {
                        port_key: "secureClientPort"
                    }
                )
            },
        ),
        (
            "clientPort=2181\nclientPortAddress=",
            3,
            "clientPortAddress",
            |k| matches!(k, ErrorKind::EmptyValue),
        ),
        ("dataLogDir=", 2, "dataLogDir", |k| {
            matches!(k, ErrorKind::EmptyValue)
        }),
        (
            "minSessionTimeout=10000\nmaxSessionTimeout=5000",
            2,
            "minSessionTimeout",
            |k| {
                matches!(
                    k,
                    ErrorKind::SessionTimeoutRange {
                        min: 10000,
                        max: 5000
                    }
                )
            },
        ),
        ("maxSessionTimeout=1000", 2, "maxSessionTimeout", |k| {
            matches!(
                k,
                ErrorKind::SessionTimeoutRange {
                    min: 6000,
                    max: 1000
                }
            )
        }),
        ("electionAlg=1", 2, "electionAlg", |k| {
            matches!(k, ErrorKind::UnsupportedElectionAlg { value: 1 })
        }),
        ("peerType=voter", 2, "peerType", |k| {
            matches!(k, ErrorKind::UnknownPeerType { .. })
        }),
        ("standaloneEnabled=yes", 2, "standaloneEnabled", |k| {
            matches!(k, ErrorKind::InvalidBoolean { .. })
        }),
        ("reconfigEnabled=1", 2, "reconfigEnabled", |k| {
            matches!(k, ErrorKind::InvalidBoolean { .. })
        }),
        ("syncEnabled=maybe", 2, "syncEnabled", |k| {
            matches!(k, ErrorKind::InvalidBoolean { .. })
        }),
        ("quorumListenOnAllIPs=on", 2, "quorumListenOnAllIPs", |k| {
            matches!(k, ErrorKind::InvalidBoolean { .. })
        }),
        ("sslQuorum=no", 2, "sslQuorum", |k| {
            matches!(k, ErrorKind::InvalidBoolean { .. })
        }),
        ("localSessionsEnabled=", 2, "localSessionsEnabled", |k| {
            matches!(k, ErrorKind::InvalidBoolean { .. })
        }),
        (
            "multiAddress.enabled=sure",
            2,
            "multiAddress.enabled",
            |k| matches!(k, ErrorKind::InvalidBoolean { .. }),
        ),
        ("jvm.pause.monitor=yes", 2, "jvm.pause.monitor", |k| {
            matches!(k, ErrorKind::InvalidBoolean { .. })
        }),
        (
            "jvm.pause.sleep.time.ms=x",
            2,
            "jvm.pause.sleep.time.ms",
            |k| matches!(k, ErrorKind::InvalidLong { .. }),
        ),
        (
            "autopurge.snapRetainCount=x",
            2,
            "autopurge.snapRetainCount",
            |k| matches!(k, ErrorKind::InvalidInteger { .. }),
        ),
        (
            "quorum.cnxn.threads.size=",
            2,
            "quorum.cnxn.threads.size",
            |k| matches!(k, ErrorKind::InvalidInteger { .. }),
        ),
        ("server.1=h:2888:2888", 2, "server.1", |k| {
            matches!(k, ErrorKind::SamePorts { port: 2888 })
        }),
        (
            "server.1=h:2888:3888:voter",
            2,
            "server.1",
            |k| matches!(k, ErrorKind::UnknownServerRole { value } if value == "voter"),
        ),
        ("server.1=[::1:2888:3888", 2, "server.1", |k| {
            matches!(k, ErrorKind::BadIpv6Bracket { .. })
        }),
        ("server.1=[::1]2888:3888", 2, "server.1", |k| {
            matches!(k, ErrorKind::BadIpv6Bracket { .. })
        }),
        (
            "server.1=h:port:3888",
            2,
            "server.1",
            |k| matches!(k, ErrorKind::InvalidPort { value } if value == "port"),
        ),
        ("server.1=h:2888:65536", 2, "server.1", |k| {
            matches!(k, ErrorKind::InvalidPort { .. })
        }),
        ("server.1=a:1:2|b:1:2", 2, "server.1", |k| {
            matches!(k, ErrorKind::MultiAddressDisabled)
        }),
        ("server.1=h", 2, "server.1", |k| {
            matches!(k, ErrorKind::ServerFormat { .. })
        }),
        ("server.1=h:1:2;a:b:c", 2, "server.1", |k| {
            matches!(k, ErrorKind::ServerFormat { .. })
        }),
        ("server.1=:1:2", 2, "server.1", |k| {
            matches!(k, ErrorKind::EmptyHost { .. })
        }),
        ("server.1=a:1:2\nserver.01=b:1:2", 3, "server.01", |k| {
            matches!(k, ErrorKind::DuplicateServerId { id: 1, .. })
        }),
        (
            "server.x=a:1:2",
            2,
            "server.x",
            |k| matches!(k, ErrorKind::InvalidServerId { value } if value == "x"),
        ),
        ("server.-3=a:1:2", 2, "server.-3", |k| {
            matches!(k, ErrorKind::InvalidServerId { .. })
        }),
        (
            "dynamicConfigFile=/nonexistent\nserver.1=a:1:2",
            3,
            "server.1",
            |k| matches!(k, ErrorKind::DynamicKeyInStaticFile),
        ),
        (
            "dynamicConfigFile=/nonexistent\ngroup.1=1",
            3,
            "group.1",
            |k| matches!(k, ErrorKind::DynamicKeyInStaticFile),
        ),
        (
            "dynamicConfigFile=/nonexistent\nweight.1=1",
            3,
            "weight.1",
            |k| matches!(k, ErrorKind::DynamicKeyInStaticFile),
        ),
        (
            "dynamicConfigFile=/nonexistent/zkrs/zoo.cfg.dynamic",
            2,
            "dynamicConfigFile",
            |k| matches!(k, ErrorKind::Io { .. }),
        ),
        (
            "quorum.auth.serverRequireSasl=true",
            2,
            "quorum.auth.serverRequireSasl",
            |k| {
                matches!(
                    k,
                    ErrorKind::SaslRequires {
                        needed: "quorum.auth.enableSasl"
                    }
                )
            },
        ),
        (
            "quorum.auth.learnerRequireSasl=true",
            2,
            "quorum.auth.learnerRequireSasl",
            |k| {
                matches!(
                    k,
                    ErrorKind::SaslRequires {
                        needed: "quorum.auth.enableSasl"
                    }
                )
            },
        ),
        (
            "quorum.auth.enableSasl=true\nquorum.auth.serverRequireSasl=true",
            3,
            "quorum.auth.serverRequireSasl",
            |k| {
                matches!(
                    k,
                    ErrorKind::SaslRequires {
                        needed: "quorum.auth.learnerRequireSasl"
                    }
                )
            },
        ),
        ("standaloneEnabled=false", 2, "standaloneEnabled", |k| {
            matches!(k, ErrorKind::NoParticipants)
        }),
        ("server.1=a:1:2:observer", 2, "server.1", |k| {
            matches!(k, ErrorKind::ObserversWithoutParticipants)
        }),
        (
            "server.1=a:1:2\nserver.2=b:1:2:observer",
            3,
            "server.2",
            |k| matches!(k, ErrorKind::ObserversWithoutQuorum),
        ),
        (
            "server.1=a:1:2\nserver.2=b:1:2\ngroup.1=1",
            3,
            "server.2",
            |k| matches!(k, ErrorKind::ServerNotInGroup { id: 2 }),
        ),
        (
            "server.1=a:1:2\ngroup.1=1\nweight.1=x",
            4,
            "weight.1",
            |k| matches!(k, ErrorKind::InvalidLong { .. }),
        ),
        ("server.1=a:1:2\nversion=zz", 3, "version", |k| {
            matches!(k, ErrorKind::InvalidHex { .. })
        }),
        ("k=\\u12", 2, "k", |k| {
            matches!(k, ErrorKind::MalformedEscape)
        }),
        (
            "secureClientPort=2281\nssl.authProvider=foo",
            3,
            "ssl.authProvider",
            |k| matches!(k, ErrorKind::NoAuthProvider { scheme } if scheme == "foo"),
        ),
        (
            "initLimit=5\nsyncLimit=0\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2",
            3,
            "syncLimit",
            |k| matches!(k, ErrorKind::RequiredInQuorumMode),
        ),
    ];
    for (body, line, key, check) in cases {
        let text = format!("dataDir=/d\n{body}\n");
        let e = parse_err(&text);
        assert!(check(e.kind()), "{body:?}: unexpected {:?}", e.kind());
        assert_eq!(e.file(), FILE, "{body:?}");
        assert_eq!(e.line(), Some(*line), "{body:?}: {e}");
        assert_eq!(e.key(), Some(*key), "{body:?}: {e}");
        let prefix = format!("{FILE}:{line}: key '{key}': ");
        assert!(e.to_string().starts_with(&prefix), "{body:?}: {e}");
    }
}

#[test]
fn error_display() {
    let e = parse_err("dataDir=/d\n\n# comment\n\ttickTime = abc \n");
    assert_eq!(
        e.to_string(),
        "conf/zoo.cfg:4: key 'tickTime': invalid integer 'abc'"
    );
    let e = parse_err("tickTime=2000\n");
    assert_eq!(
        e.to_string(),
        "conf/zoo.cfg: key 'dataDir': required key is not set"
    );
    let e = parse_err("dataDir=\n");
    assert_eq!(
        e.to_string(),
        "conf/zoo.cfg:1: key 'dataDir': value must not be empty"
    );
    let e = parse_err("dataDir=/d\nserver.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nsyncLimit=2\n");
    assert_eq!(
        e.to_string(),
        "conf/zoo.cfg: key 'initLimit': must be set (non-zero) in quorum mode"
    );
    let e = parse_err("dataDir=/d\nserver.1=h:2888:3888:voter\n");
    assert_eq!(
        e.to_string(),
        "conf/zoo.cfg:2: key 'server.1': unrecognised server role 'voter': expected \
         'participant' or 'observer'"
    );
    let e = ZooCfg::parse_file("/nonexistent/zkrs/zoo.cfg").expect_err("no such file");
    assert!(matches!(
        e.kind(),
        ErrorKind::Io {
            io_kind: std::io::ErrorKind::NotFound,
            ..
        }
    ));
    assert_eq!(e.file(), "/nonexistent/zkrs/zoo.cfg");
    assert_eq!(e.line(), None);
}

#[test]
fn properties_syntax_through_zoo_cfg() {
    let text = "! a comment\n\
                # another\n\
                dataDir : /var/lib/\\\n    zookeeper\n\
                tickTime 2000\n\
                \x0cinitLimit\t=\t10\n\
                syncLimit=5\r\n\
                clientPort=\\u0032181\n\
                dataLogDir=/logs/with\\=equals\\:colon\n\
                4lw.commands.whitelist=ruok,\\\n   mntr\n";
    let cfg = parse(text);
    assert_eq!(cfg.data_dir, PathBuf::from("/var/lib/zookeeper"));
    assert_eq!(cfg.tick_time, 2000);
    assert_eq!(cfg.init_limit, 10);
    assert_eq!(cfg.sync_limit, 5);
    assert_eq!(cfg.client_port(), Some(2181));
    assert_eq!(cfg.data_log_dir, PathBuf::from("/logs/with=equals:colon"));
    assert!(cfg
        .system_properties
        .four_letter_whitelist()
        .is_allowed("mntr"));
    assert_eq!(
        cfg.system_properties.line("4lw.commands.whitelist"),
        Some(10)
    );
}

#[test]
fn bom_and_latin1_files() {
    let dir = temp_dir("encodings");
    let bom = dir.join("bom.cfg");
    std::fs::write(&bom, b"\xef\xbb\xbftickTime=2000\ndataDir=/d\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let cfg = ZooCfg::parse_file(&bom).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.tick_time, 2000);
    assert_eq!(warning_kinds(&cfg), vec![&WarningKind::ByteOrderMark]);
    let latin1 = dir.join("latin1.cfg");
    std::fs::write(&latin1, b"dataDir=/donn\xe9es\n").unwrap_or_else(|e| panic!("{e}"));
    let cfg = ZooCfg::parse_file(&latin1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.data_dir, PathBuf::from("/données"));
    assert_eq!(warning_kinds(&cfg), vec![&WarningKind::NotUtf8]);
}

#[test]
fn server_client_part_overrides_client_port() {
    // Only the ;client part: it becomes this server's client address.
    let text = "dataDir=/d\ninitLimit=5\nsyncLimit=2\n\
                server.1=a:2888:3888;2181\nserver.2=b:2888:3888;[::1]:2182\nserver.3=c:2888:3888\n";
    let mut cfg = parse(text);
    assert_eq!(cfg.client_port_address, None);
    cfg.set_server_id(2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.client_port_address, Some(HostPort::new("::1", 2182)));
    assert_eq!(cfg.client_port(), Some(2182));
    cfg.set_server_id(1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.client_port_address, Some(HostPort::wildcard(2181)));
    assert_eq!(
        cfg.quorum_verifier.to_config_string(),
        "server.1=a:2888:3888:participant;0.0.0.0:2181\n\
         server.2=b:2888:3888:participant;[::1]:2182\n\
         server.3=c:2888:3888:participant\n\
         version=0"
    );

    // A static clientPort that agrees is fine; the ;client part wins.
    let mut cfg = parse(&format!("clientPort=2181\n{text}"));
    cfg.set_server_id(1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.client_port_address, Some(HostPort::wildcard(2181)));
    // Server 3 has no ;client part: it gets the static port, which is not serialized.
    cfg.set_server_id(3).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        cfg.servers()[&3].client_addr,
        Some(HostPort::wildcard(2181))
    );
    assert!(!cfg
        .quorum_verifier
        .to_config_string()
        .contains("c:2888:3888:participant;"));
    // Moving to server 1 undoes that.
    cfg.set_server_id(1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.servers()[&3].client_addr, None);

    // A wildcard static port that disagrees is an error naming the server line.
    let mut cfg = parse(&format!("clientPort=2190\n{text}"));
    let e = cfg.set_server_id(1).expect_err("port mismatch");
    assert!(
        matches!(e.kind(), ErrorKind::ClientAddressConflict { .. }),
        "{e}"
    );
    assert_eq!((e.line(), e.key()), (Some(5), Some("server.1")));
    // A specific static address must match exactly.
    let mut cfg = parse(&format!("clientPort=2182\nclientPortAddress=::1\n{text}"));
    cfg.set_server_id(2).unwrap_or_else(|e| panic!("{e}"));
    let mut cfg = parse(&format!(
        "clientPort=2182\nclientPortAddress=10.0.0.1\n{text}"
    ));
    assert!(cfg.set_server_id(2).is_err());
}

#[test]
fn extended_types_limit_server_ids() {
    let text = "dataDir=/d\nextendedTypesEnabled=true\ninitLimit=1\nsyncLimit=1\n\
                server.254=a:1:2\nserver.255=b:1:2\nserver.1=c:1:2\n";
    let mut cfg = parse(text);
    cfg.set_server_id(254).unwrap_or_else(|e| panic!("{e}"));
    let e = cfg.set_server_id(255).expect_err("255 > 254");
    assert_eq!(e.kind(), &ErrorKind::ServerIdTooLarge { id: 255 });
    assert_eq!((e.line(), e.key()), (Some(2), Some("extendedTypesEnabled")));
}

#[test]
fn ipv6_servers() {
    let text = "dataDir=/d\ninitLimit=5\nsyncLimit=2\n\
                server.1=[2001:db8::1]:2888:3888\n\
                server.2=[2001:db8::2]:2888:3888:participant;[2001:db8::2]:2181\n\
                server.3=[fe80::3%eth0]:2888:3888:observer\n\
                server.4=10.0.0.4:2888:3888\n";
    let cfg = parse(text);
    assert_eq!(cfg.servers()[&1].addresses[0].host, "2001:db8::1");
    assert_eq!(
        cfg.servers()[&3].addresses[0].election_addr().to_string(),
        "[fe80::3%eth0]:3888"
    );
    assert_eq!(
        cfg.quorum_verifier.to_config_string(),
        "server.1=[2001:db8::1]:2888:3888:participant\n\
         server.2=[2001:db8::2]:2888:3888:participant;[2001:db8::2]:2181\n\
         server.3=[fe80::3%eth0]:2888:3888:observer\n\
         server.4=10.0.0.4:2888:3888:participant\n\
         version=0"
    );
}

#[test]
fn hierarchical_quorum_from_static_file() {
    let text = "dataDir=/d\ninitLimit=5\nsyncLimit=2\n\
                server.1=a:1:2\nserver.2=b:1:2\nserver.3=c:1:2\nserver.4=d:1:2\n\
                group.1=1:2\ngroup.2=3:4\nweight.1=3\n";
    let cfg = parse(text);
    assert_eq!(cfg.quorum_verifier.kind(), &QuorumKind::Hierarchical);
    assert_eq!(cfg.quorum_verifier.weight(1), 3);
    assert_eq!(cfg.quorum_verifier.groups().len(), 2);
    assert!(
        cfg.system_properties.is_empty(),
        "group/weight are not system properties"
    );
    assert!(cfg.quorum_verifier.to_config_string().ends_with(
        "group.1=1:2\ngroup.2=3:4\nweight.1=3\nweight.2=1\nweight.3=1\nweight.4=1\nversion=0"
    ));
}

#[test]
fn dynamic_config_file() {
    let dir = temp_dir("dynamic");
    let dynamic = dir.join("zoo.cfg.dynamic.100000000");
    write(
        &dynamic,
        "server.1=a:2888:3888:participant;0.0.0.0:2181\nserver.2=b:2888:3888;2181\n\
         server.3=c:2888:3888:participant;2181\n",
    );
    let static_cfg = dir.join("zoo.cfg");
    write(
        &static_cfg,
        &format!(
            "tickTime=2000\ndataDir={}\ninitLimit=5\nsyncLimit=2\nreconfigEnabled=true\n\
             dynamicConfigFile={}\n",
            dir.display(),
            dynamic.display()
        ),
    );
    let cfg = ZooCfg::parse_file(&static_cfg).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.dynamic_config_file.as_deref(), Some(dynamic.as_path()));
    assert_eq!(cfg.quorum_verifier.version(), 0x1_0000_0000);
    assert_eq!(cfg.servers().len(), 3);
    assert!(cfg.is_distributed());
    assert_eq!(cfg.last_seen_quorum_verifier, None);
    assert_eq!(
        cfg.quorum_verifier.to_config_string(),
        "server.1=a:2888:3888:participant;0.0.0.0:2181\n\
         server.2=b:2888:3888:participant;0.0.0.0:2181\n\
         server.3=c:2888:3888:participant;0.0.0.0:2181\n\
         version=100000000"
    );

    // A pending reconfiguration.
    let next = PathBuf::from(format!("{}.dynamic.next", static_cfg.display()));
    write(
        &next,
        "server.1=a:2888:3888\nserver.2=b:2888:3888\nversion=100000005\n",
    );
    let cfg = ZooCfg::parse_file(&static_cfg).unwrap_or_else(|e| panic!("{e}"));
    let pending = cfg
        .last_seen_quorum_verifier
        .unwrap_or_else(|| panic!("no .dynamic.next"));
    assert_eq!(pending.version(), 0x1_0000_0005);
    assert_eq!(pending.servers().len(), 2);

    // load() reads myid.
    write(&dir.join("myid"), "2\n");
    let cfg = ZooCfg::load(&static_cfg).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.server_id(), Some(2));
    assert_eq!(cfg.client_port_address, Some(HostPort::wildcard(2181)));

    // The dynamic file may hold only membership keys.
    let bad = dir.join("bad.dynamic");
    for (body, kind_ok) in [
        (
            "server.1=a:1:2\nversion=5\n",
            (|k: &ErrorKind| matches!(k, ErrorKind::VersionInDynamicFile)) as Check,
        ),
        ("server.1=a:1:2\ntickTime=5\n", |k| {
            matches!(k, ErrorKind::UnrecognisedDynamicKey)
        }),
        ("server.1=a:1:2\nserver.2=a:7:7\n", |k| {
            matches!(k, ErrorKind::SamePorts { port: 7 })
        }),
    ] {
        write(&bad, body);
        let e = ZooCfg::parse_str(
            &format!("dataDir=/d\ndynamicConfigFile={}\n", bad.display()),
            FILE,
        )
        .expect_err(body);
        assert!(kind_ok(e.kind()), "{body:?}: {e}");
        assert_eq!(
            e.file(),
            bad.display().to_string(),
            "errors name the dynamic file"
        );
        assert_eq!(e.line(), Some(2));
    }
}

#[test]
fn load_and_myid() {
    let dir = temp_dir("myid");
    let cfg_path = dir.join("zoo.cfg");
    write(
        &cfg_path,
        &format!(
            "dataDir={}\nclientPort=2181\n{}",
            dir.display(),
            &QUORUM["dataDir=/d\n".len()..]
        ),
    );
    // Quorum mode without myid.
    let e = ZooCfg::load(&cfg_path).expect_err("myid missing");
    assert_eq!(e.kind(), &ErrorKind::MissingMyId);
    assert_eq!(e.file(), dir.join("myid").display().to_string());
    // parse_file does not need it.
    let cfg = ZooCfg::parse_file(&cfg_path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.server_id(), None);
    assert_eq!(cfg.myid_path(), dir.join("myid"));

    for (content, expected) in [
        ("3\n", Ok(3)),
        ("1\r\n", Ok(1)),
        (" 2 \nignored", Ok(2)),
        ("+3", Ok(3)),
    ] {
        write(&dir.join("myid"), content);
        assert_eq!(
            zkrs_config::read_myid(&dir).map_err(|e| e.to_string()),
            expected,
            "{content:?}"
        );
    }
    write(&dir.join("myid"), "3\n");
    let cfg = ZooCfg::load(&cfg_path).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.server_id(), Some(3));
    assert_eq!(cfg.this_server().map(|s| s.hostname()), Some("c"));

    for (content, check) in [
        (
            "",
            (|k: &ErrorKind| matches!(k, ErrorKind::EmptyMyId)) as Check,
        ),
        (
            "\n1",
            |k| matches!(k, ErrorKind::InvalidServerId { value } if value.is_empty()),
        ),
        ("one", |k| matches!(k, ErrorKind::InvalidServerId { .. })),
        ("-1", |k| matches!(k, ErrorKind::InvalidServerId { .. })),
        ("9", |k| matches!(k, ErrorKind::MyIdNotInServers { id: 9 })),
    ] {
        write(&dir.join("myid"), content);
        let e = ZooCfg::load(&cfg_path).expect_err(content);
        assert!(check(e.kind()), "{content:?}: {e}");
        assert_eq!(e.file(), dir.join("myid").display().to_string());
    }

    // Standalone: a myid file is read if present, but not required.
    let standalone = dir.join("standalone.cfg");
    write(
        &standalone,
        &format!("dataDir={}/none\nclientPort=2181\n", dir.display()),
    );
    let cfg = ZooCfg::load(&standalone).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.server_id(), None);
}

#[test]
fn log_keys_are_parsed_and_validated_with_their_line() {
    let cfg = parse("dataDir=/d\nzkrs.log.level=warn\nzkrs.log.format=JSON\n");
    assert_eq!(cfg.log.level, Some(zkrs_config::LogLevel::Warn));
    assert_eq!(cfg.log.format, Some(zkrs_config::LogFormat::Json));
    // zkrs's own keys: no unknown-key warning, and not system properties.
    assert!(warning_kinds(&cfg).is_empty(), "{:?}", cfg.warnings());
    assert_eq!(cfg.system_properties.get("zkrs.log.level"), None);
    let cfg = parse("dataDir=/d\n");
    assert_eq!(cfg.log, zkrs_config::LogConfig::default());

    let e = parse_err("dataDir=/d\n\nzkrs.log.level=VERBOSE\n");
    assert_eq!(
        e.to_string(),
        "conf/zoo.cfg:3: key 'zkrs.log.level': invalid log level 'VERBOSE': expected one of \
         TRACE, DEBUG, INFO, WARN, ERROR"
    );
    assert!(matches!(e.kind(), ErrorKind::InvalidLogLevel { .. }));
    let e = parse_err("zkrs.log.format=xml\ndataDir=/d\n");
    assert_eq!(
        e.to_string(),
        "conf/zoo.cfg:1: key 'zkrs.log.format': invalid log format 'xml': expected 'text' or \
         'json'"
    );
}
