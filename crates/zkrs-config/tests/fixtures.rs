//! The real configurations in `tests/fixtures/` load and give the values ZooKeeper would use.

use std::path::{Path, PathBuf};

use zkrs_config::{ConfigError, ErrorKind, HostPort, LearnerType, QuorumKind, WarningKind, ZooCfg};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn load(name: &str) -> ZooCfg {
    ZooCfg::parse_file(fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn has_warning(cfg: &ZooCfg, pred: impl Fn(&WarningKind) -> bool) -> bool {
    cfg.warnings().iter().any(|w| pred(&w.kind))
}

/// The `autopurge.purgeInteval` typo of seeds 000/001/003: kept as a system property, flagged.
fn assert_purge_typo(cfg: &ZooCfg, value: &str) {
    assert_eq!(
        cfg.purge_interval, 0,
        "the typo leaves auto-purge off, as in ZooKeeper"
    );
    assert_eq!(
        cfg.system_properties
            .get_property("zookeeper.autopurge.purgeInteval"),
        Some(value)
    );
    assert!(has_warning(cfg, |k| matches!(
        k,
        WarningKind::UnknownKey { suggestion: Some(s), .. } if s == "autopurge.purgeInterval"
    )));
}

#[test]
fn debian_sample_is_standalone() {
    let cfg = load("debian_conf_example_zoo.cfg");
    assert_eq!(cfg.tick_time, 2000);
    assert_eq!(cfg.init_limit, 10);
    assert_eq!(cfg.sync_limit, 5);
    assert_eq!(cfg.data_dir, PathBuf::from("/tmp/zookeeper"));
    assert_eq!(cfg.data_log_dir, PathBuf::from("/tmp/zookeeper"));
    assert_eq!(cfg.client_port_address, Some(HostPort::wildcard(2181)));
    assert_eq!(cfg.client_port(), Some(2181));
    // Commented-out keys keep their defaults.
    assert_eq!(cfg.max_client_cnxns, 60);
    assert_eq!(cfg.snap_retain_count, 3);
    assert_eq!(cfg.purge_interval, 0);
    assert!(cfg.metrics_provider.properties.is_empty());
    assert!(!cfg.metrics_provider.is_prometheus());
    assert_eq!(cfg.min_session_timeout, 4000);
    assert_eq!(cfg.max_session_timeout, 40000);
    assert!(!cfg.is_distributed());
    assert!(cfg.servers().is_empty());
    assert!(cfg.system_properties.is_empty());
    assert!(cfg.warnings().is_empty(), "{:?}", cfg.warnings());
    assert_eq!(cfg.quorum_verifier.to_config_string(), "version=0");
    assert!(cfg
        .initial_config
        .starts_with("# The number of milliseconds of each tick\n"));
    let whitelist = cfg.system_properties.four_letter_whitelist();
    assert_eq!(whitelist.commands().collect::<Vec<_>>(), vec!["srvr"]);
}

#[test]
fn debian_sample_myid_placeholder_is_rejected_with_its_path() {
    let dir = fixture("debian_conf_example_myid");
    let e = zkrs_config::read_myid(&dir).expect_err("placeholder text is not a number");
    assert!(
        matches!(e.kind(), ErrorKind::InvalidServerId { value } if value.starts_with("replace this text"))
    );
    assert_eq!(e.line(), Some(1));
    let shown = e.to_string();
    assert!(
        shown.starts_with(&format!(
            "{}:1: invalid server id",
            dir.join("myid").display()
        )),
        "{shown}"
    );
}

#[test]
fn seed_000_docker_observer() {
    let mut cfg = load("seed_000_docker_observer.cfg");
    assert_eq!(cfg.tick_time, 2000);
    assert_eq!(cfg.init_limit, 5);
    assert_eq!(cfg.sync_limit, 10);
    assert_eq!(cfg.data_dir, PathBuf::from("/var/lib/zookeeper/data"));
    assert_eq!(cfg.data_log_dir, PathBuf::from("/var/lib/zookeeper/log"));
    assert_eq!(cfg.min_session_timeout, 4000);
    assert_eq!(cfg.max_session_timeout, 40000);
    assert_eq!(cfg.peer_type, LearnerType::Observer);
    assert!(cfg.is_distributed());
    assert_eq!(cfg.servers().len(), 4);
    assert_eq!(cfg.quorum_verifier.voting_count(), 3);
    assert_eq!(cfg.servers()[&3].addresses[0].host, "10.1.0.6");
    assert_eq!(cfg.servers()[&4].learner_type, LearnerType::Observer);
    assert_purge_typo(&cfg, "0");
    let whitelist = cfg.system_properties.four_letter_whitelist();
    for word in ["ruok", "mntr", "stat", "conf", "wchc", "isro", "hash"] {
        assert!(whitelist.is_allowed(word), "{word}");
    }

    // `echo 4 > .../data/myid`
    cfg.set_server_id(4).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.peer_type, LearnerType::Observer);
    assert!(!has_warning(&cfg, |k| matches!(
        k,
        WarningKind::PeerTypeOverridden { .. }
    )));
    assert_eq!(cfg.client_port_address, Some(HostPort::wildcard(2181)));
    assert_eq!(
        cfg.quorum_verifier.to_config_string(),
        "server.1=10.1.0.12:2888:3888:participant\n\
         server.2=10.1.0.13:2888:3888:participant\n\
         server.3=10.1.0.6:2888:3888:participant\n\
         server.4=localhost:2888:3888:observer\n\
         version=0"
    );

    // The post's tip: skipACL=yes on the observer.
    let text = std::fs::read_to_string(fixture("seed_000_docker_observer.cfg"))
        .unwrap_or_else(|e| panic!("{e}"));
    let with_skip = ZooCfg::parse_str(&format!("{text}skipACL=yes\n"), "zoo.cfg")
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(with_skip.system_properties.skip_acl());
    assert!(!cfg.system_properties.skip_acl());
}

#[test]
fn seed_001_statefulset_two_then_three_nodes() {
    let two = load("seed_001_k8s_statefulset_2_nodes.cfg");
    assert!(two.is_distributed(), "two participants form a quorum");
    assert!(has_warning(&two, |k| matches!(
        k,
        WarningKind::NoFailureTolerated { participants: 2 }
    )));
    assert_eq!(
        two.data_log_dir,
        PathBuf::from("/var/lib/zookeeper/data/log")
    );
    assert_purge_typo(&two, "12");

    let three = load("seed_001_k8s_statefulset_3_nodes.cfg");
    assert!(three.is_distributed());
    assert_eq!(three.quorum_verifier.voting_count(), 3);
    assert!(!has_warning(&three, |k| matches!(
        k,
        WarningKind::NoFailureTolerated { .. }
    )));
    assert_eq!(
        three.servers()[&3].hostname(),
        "zk-2.zk-hs.default.svc.cluster.local"
    );
    assert_eq!(three.tick_time, 2000);
    assert_eq!(three.init_limit, 10);
    assert_eq!(three.sync_limit, 5);
    assert_eq!(three.max_client_cnxns, 60);
    assert_eq!(three.quorum_verifier.kind(), &QuorumKind::Majority);
}

#[test]
fn seed_001_as_published_is_one_comment_line() {
    // With its newlines lost the whole file is one '#' line, so ZooKeeper (and zkrs) see no
    // keys at all and stop at the missing dataDir.
    let e: ConfigError = ZooCfg::parse_file(fixture("seed_001_squashed_one_line.txt"))
        .expect_err("nothing but a comment");
    assert_eq!(e.kind(), &ErrorKind::MissingKey);
    assert_eq!(e.key(), Some("dataDir"));
    assert!(e
        .to_string()
        .ends_with("seed_001_squashed_one_line.txt: key 'dataDir': required key is not set"));
}

#[test]
fn seed_003_helm_k8szk() {
    let cfg = load("seed_003_helm_k8szk.cfg");
    // "minSessionTimeout= 4000": the blank after '=' is skipped.
    assert_eq!(cfg.min_session_timeout, 4000);
    assert_eq!(cfg.max_session_timeout, 40000);
    assert_eq!(cfg.data_log_dir, PathBuf::from("/var/lib/zookeeper/log"));
    assert!(cfg.is_distributed());
    assert_eq!(
        cfg.servers()[&1].addresses[0].quorum_addr(),
        HostPort::new(
            "myzk-zookeeper-0.myzk-zookeeper-headless.default.svc.cluster.local",
            2888
        )
    );
    assert_eq!(cfg.servers()[&2].addresses[0].election_port, 3888);
    assert_purge_typo(&cfg, "1");
}

#[test]
fn seed_004_bare_metal() {
    let mut cfg = load("seed_004_bare_metal.cfg");
    assert_eq!(cfg.data_dir, PathBuf::from("/data/zookeeper/data"));
    assert_eq!(cfg.data_log_dir, PathBuf::from("/data/zookeeper/logs"));
    assert!(cfg.is_distributed());
    assert!(cfg.warnings().is_empty(), "{:?}", cfg.warnings());
    cfg.set_server_id(2).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(cfg.this_server().map(|s| s.hostname()), Some("zk2.zq.com"));
    assert_eq!(cfg.peer_type, LearnerType::Participant);
    // The client address came from the static clientPort, so it is not serialized.
    assert_eq!(
        cfg.quorum_verifier.to_config_string(),
        "server.1=zk1.zq.com:2888:3888:participant\n\
         server.2=zk2.zq.com:2888:3888:participant\n\
         server.3=zk3.zq.com:2888:3888:participant\n\
         version=0"
    );
    assert_eq!(
        cfg.servers()[&2].client_addr,
        Some(HostPort::wildcard(2181))
    );
    assert!(cfg.servers()[&2].client_addr_from_static);
    // A server that is not in the list cannot join the quorum.
    let e = cfg.set_server_id(7).expect_err("7 is not a member");
    assert_eq!(e.kind(), &ErrorKind::MyIdNotInServers { id: 7 });
}
