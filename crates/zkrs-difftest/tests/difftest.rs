//! Cheap tests of the harness itself: generator determinism, normalization on canned inputs,
//! transcript comparison. One `#[ignore]`d test runs ZooKeeper against itself (needs java and
//! Debian's zookeeper jars): `cargo test -p zkrs-difftest -- --ignored`.

use std::collections::HashSet;

use zkrs_difftest::step::LAST_CREATED;
use zkrs_difftest::{
    compare, diff_report, program, Action, GenConfig, Normalizer, SplitMix64, Step, StepRecord,
    Transcript, ZxidMode,
};
use zkrs_jute::{DeleteRequest, Request, Stat};

fn small() -> GenConfig {
    GenConfig {
        ops: 500,
        sessions: 4,
        ttl: true,
    }
}

#[test]
fn splitmix_matches_the_reference_sequence() {
    // First outputs of SplitMix64 seeded with 0 (Vigna's reference implementation).
    let mut r = SplitMix64::new(0);
    assert_eq!(r.next_u64(), 0xe220_a839_7b1d_cdaf);
    assert_eq!(r.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    assert_eq!(r.next_u64(), 0x06c4_5d18_8009_454f);
}

#[test]
fn generator_is_deterministic_per_seed() {
    let a = program(7, small());
    let b = program(7, small());
    assert_eq!(a, b);
    let c = program(8, small());
    assert_ne!(a.steps, c.steps);
    assert_eq!(a.root, "/d7");
}

#[test]
fn program_shape_setup_ops_teardown() {
    let p = program(3, small());
    assert_eq!(p.random_ops, 500);
    // Open s0, create root, open s1..s3, 500 ops, then one close per slot left open.
    assert_eq!(p.steps[0].action, Action::Open);
    assert!(matches!(&p.steps[1].action, Action::Send(Request::Create(c)) if c.path == "/d3"));
    assert!(p.steps[2..5].iter().all(|s| s.action == Action::Open));
    let tail = &p.steps[5 + 500..];
    assert!(!tail.is_empty() && tail.len() <= 4);
    assert!(tail.iter().all(|s| s.action == Action::Close));
}

#[test]
fn generator_only_uses_open_slots_and_closes_everything() {
    for seed in 1..=20 {
        let p = program(seed, small());
        let mut open = vec![false; p.sessions];
        for (i, s) in p.steps.iter().enumerate() {
            match &s.action {
                Action::Open => {
                    assert!(!open[s.slot], "seed {seed} step {i}: open of an open slot");
                    open[s.slot] = true;
                }
                Action::Close => {
                    assert!(open[s.slot], "seed {seed} step {i}: close of a closed slot");
                    open[s.slot] = false;
                }
                Action::Send(Request::Auth(a)) if a.scheme == "nosuchscheme" => {
                    assert!(open[s.slot]);
                    open[s.slot] = false; // AUTHFAILED ends the session
                }
                _ => assert!(open[s.slot], "seed {seed} step {i}: op on a closed slot"),
            }
        }
        assert!(
            open.iter().all(|o| !o),
            "seed {seed}: a session is left open"
        );
    }
}

#[test]
fn generator_covers_every_action_kind() {
    let p = program(11, GenConfig::default());
    let kinds: HashSet<String> = p
        .steps
        .iter()
        .map(|s| match &s.action {
            Action::Send(r) => format!("{:?}", r.op()),
            other => format!("{other:?}")
                .split([' ', '{'])
                .next()
                .unwrap_or("")
                .to_string(),
        })
        .collect();
    for k in [
        "Open",
        "Close",
        "Reconnect",
        "Create",
        "Create2",
        "CreateContainer",
        "CreateTtl",
        "Delete",
        "DeleteContainer",
        "Exists",
        "GetData",
        "SetData",
        "GetAcl",
        "SetAcl",
        "GetChildren",
        "GetChildren2",
        "Sync",
        "Multi",
        "MultiRead",
        "Reconfig",
        "CheckWatches",
        "RemoveWatches",
        "Auth",
        "GetEphemerals",
        "GetAllChildrenNumber",
        "AddWatch",
        "WhoAmI",
    ] {
        assert!(kinds.contains(k), "no {k} in {kinds:?}");
    }
}

#[test]
fn no_ttl_option_generates_no_ttl() {
    let cfg = GenConfig {
        ttl: false,
        ..GenConfig::default()
    };
    let p = program(5, cfg);
    assert!(!p
        .steps
        .iter()
        .any(|s| matches!(&s.action, Action::Send(Request::CreateTtl(_)))));
}

#[test]
fn last_created_placeholder_is_resolved() {
    let step = Step {
        slot: 1,
        action: Action::Send(Request::Delete(DeleteRequest {
            path: LAST_CREATED.to_string(),
            version: -1,
        })),
    };
    let resolved = step.resolved(Some("/d1/q-0000000003"));
    assert!(matches!(resolved, Action::Send(Request::Delete(d)) if d.path == "/d1/q-0000000003"));
    // Without a created path the placeholder stays (and the servers answer it alike).
    assert_eq!(step.resolved(None), step.action);
}

fn stat(czxid: i64, mzxid: i64, owner: i64) -> Stat {
    Stat {
        czxid,
        mzxid,
        ctime: 1_700_000_000_123,
        mtime: 1_700_000_000_456,
        version: 2,
        cversion: 1,
        aversion: 0,
        ephemeral_owner: owner,
        data_length: 5,
        num_children: 0,
        pzxid: czxid,
    }
}

#[test]
fn normalizer_offsets_zxids_masks_times_and_maps_sessions() {
    let mut n = Normalizer::new(ZxidMode::Offset);
    let sid = 0x1000_0123_4567_0000;
    assert_eq!(n.add_session(sid), 0);
    assert_eq!(n.add_session(0x2000), 1);
    assert_eq!(n.add_session(sid), 0, "a known session keeps its ordinal");
    n.observe_base(0x10);
    n.observe_base(0x20); // only the first one counts
    assert_eq!(
        n.stat(&stat(0x10, 0x15, sid)),
        "{cz=z+0 mz=z+5 ct=* mt=* v=2 cv=1 av=0 eo=#0 dl=5 nc=0 pz=z+0}"
    );
    assert_eq!(n.zxid(0x0f), "z-1");
    assert_eq!(n.zxid(0), "0");
    assert_eq!(n.zxid(-1), "-1");
    assert_eq!(n.owner(0), "0");
    assert_eq!(n.owner(i64::MIN), "container");
    assert_eq!(n.owner(0xff00_0000_0000_0e10_u64 as i64), "ttl(3600)");
    assert_eq!(n.owner(0x77), "raw:0x77");
    assert_eq!(
        n.sorted(&["b".into(), "a".into(), "q-0000000002".into()]),
        "[a,b,q-0000000002]"
    );
}

#[test]
fn normalizer_same_values_from_two_servers_render_equal() {
    // Two servers with different session ids and base zxids but the same history.
    let mut a = Normalizer::new(ZxidMode::Offset);
    let mut b = Normalizer::new(ZxidMode::Offset);
    a.add_session(0x0100_0000_0000_0001);
    b.add_session(0x0200_0000_0000_0abc);
    a.observe_base(0x100);
    b.observe_base(0x200);
    assert_eq!(
        a.stat(&stat(0x103, 0x104, 0x0100_0000_0000_0001)),
        b.stat(&stat(0x203, 0x204, 0x0200_0000_0000_0abc))
    );
    // Raw mode keeps the difference.
    let mut ra = Normalizer::new(ZxidMode::Raw);
    let mut rb = Normalizer::new(ZxidMode::Raw);
    assert_ne!(ra.zxid(0x103), rb.zxid(0x203));
    // Ordinal mode numbers zxids by first appearance.
    let mut o = Normalizer::new(ZxidMode::Ordinal);
    assert_eq!(
        [o.zxid(9), o.zxid(7), o.zxid(9)],
        ["o0".to_string(), "o1".into(), "o0".into()]
    );
}

fn rec(header: &str, lines: &[&str]) -> StepRecord {
    StepRecord {
        header: header.into(),
        lines: lines.iter().map(|s| s.to_string()).collect(),
    }
}

#[test]
fn sort_event_runs_only_reorders_events_of_one_session() {
    let mut r = rec(
        "#0009 s0 close",
        &[
            "s0 event NodeDeleted state=3 /d1/z zxid=-1",
            "s0 event NodeDeleted state=3 /d1/a zxid=-1",
            "s0 reply err=0 zxid=z+9",
            "s1 event NodeDeleted state=3 /d1/y zxid=-1",
            "s1 event NodeChildrenChanged state=3 /d1 zxid=-1",
            "s2 event NodeDeleted state=3 /d1/b zxid=-1",
        ],
    );
    r.sort_event_runs();
    assert_eq!(
        r.lines,
        vec![
            "s0 event NodeDeleted state=3 /d1/a zxid=-1",
            "s0 event NodeDeleted state=3 /d1/z zxid=-1",
            "s0 reply err=0 zxid=z+9",
            "s1 event NodeChildrenChanged state=3 /d1 zxid=-1",
            "s1 event NodeDeleted state=3 /d1/y zxid=-1",
            "s2 event NodeDeleted state=3 /d1/b zxid=-1",
        ]
    );
}

#[test]
fn compare_finds_the_first_differing_step() {
    let steps = vec![
        rec("#0000 s0 open", &["s0 connected session=#0"]),
        rec("#0001 s0 getData /d1 w=true", &["s0 reply err=0 zxid=z+0"]),
        rec(
            "#0002 s1 setData /d1 \"x\" v=-1",
            &["s1 reply err=0 zxid=z+1"],
        ),
    ];
    let a = Transcript {
        label: "zookeeper".into(),
        notes: vec!["base zxid 0x2".into()],
        steps: steps.clone(),
    };
    let mut b = Transcript {
        label: "zkrs".into(),
        notes: vec!["base zxid 0x7".into()],
        steps,
    };
    assert!(compare(&a, &b).is_match(), "notes are not compared");
    b.steps[2]
        .lines
        .insert(0, "s0 event NodeDataChanged state=3 /d1 zxid=-1".into());
    let cmp = compare(&a, &b);
    assert_eq!(cmp.differing, vec![2]);
    let report = diff_report(&a, &b, &cmp, 3);
    assert!(report.contains("first mismatch at step 2"));
    assert!(report.contains("+ s0 event NodeDataChanged state=3 /d1 zxid=-1"));
    assert!(report.contains(">> #0002"));
    // A truncated transcript differs at the missing steps.
    b.steps.truncate(1);
    assert_eq!(compare(&a, &b).differing, vec![1, 2]);
    assert!(a
        .render()
        .starts_with("# base zxid 0x2\n#0000 s0 open\n  s0 connected"));
}

/// ZooKeeper against ZooKeeper, small: proves the harness is deterministic end to end.
#[test]
#[ignore = "needs java and /usr/share/java/zookeeper.jar; run with --ignored"]
fn zookeeper_twice_is_deterministic() {
    use zkrs_difftest::{Driver, DriverConfig, ServerKind, ServerProcess};
    let base = std::env::temp_dir().join(format!("zkrs-difftest-test-{}", std::process::id()));
    let a = ServerProcess::start(&ServerKind::Zookeeper, &base.join("a")).expect("start a");
    let b = ServerProcess::start(&ServerKind::Zookeeper, &base.join("b")).expect("start b");
    let p = program(
        42,
        GenConfig {
            ops: 300,
            ..GenConfig::default()
        },
    );
    let ta = Driver::new(a.addr(), DriverConfig::default()).run(&p, "zookeeper-1");
    let tb = Driver::new(b.addr(), DriverConfig::default()).run(&p, "zookeeper-2");
    let cmp = compare(&ta, &tb);
    assert!(cmp.is_match(), "{}", diff_report(&ta, &tb, &cmp, 3));
    drop((a, b));
    let _ = std::fs::remove_dir_all(base);
}

#[test]
fn acl_normalization_sorts_only_auth_expanded_digest_runs() {
    use zkrs_jute::Acl;
    let n = Normalizer::new(ZxidMode::Offset);
    let expanded = [
        Acl::new(13, "ip", "127.0.0.1"),
        Acl::new(16, "digest", "u2:b"),
        Acl::new(16, "digest", "u1:a"),
    ];
    assert_eq!(
        n.acl(&expanded),
        "[13:ip:127.0.0.1,16:digest:u1:a,16:digest:u2:b]"
    );
    // User-given order is kept (different perms, or not adjacent digests).
    let given = [
        Acl::new(3, "digest", "u2:b"),
        Acl::new(1, "world", "anyone"),
        Acl::new(31, "digest", "u1:a"),
    ];
    assert_eq!(
        n.acl(&given),
        "[3:digest:u2:b,1:world:anyone,31:digest:u1:a]"
    );
    let infos = [
        ("ip".to_string(), "127.0.0.1".to_string()),
        ("digest".to_string(), "u1".to_string()),
    ];
    assert_eq!(n.client_infos(&infos), "[digest:u1,ip:127.0.0.1]");
}

#[test]
fn config_port_masking_only_touches_dynamic_configs() {
    use zkrs_difftest::driver::mask_config_ports;
    let cfg = b"server.1=127.0.0.1:29169:32746:participant;127.0.0.1:32614\nversion=0";
    assert_eq!(
        mask_config_ports(Some(cfg)).as_deref(),
        Some(&b"server.1=127.0.0.1:P:P:participant;127.0.0.1:P\nversion=0"[..])
    );
    // Two ensembles' configs differing only in ports render equal.
    let other = b"server.1=127.0.0.1:10001:10002:participant;127.0.0.1:10003\nversion=0";
    assert_eq!(mask_config_ports(Some(cfg)), mask_config_ports(Some(other)));
    // Anything else is left alone, null stays null.
    assert_eq!(
        mask_config_ports(Some(b"a:123")).as_deref(),
        Some(&b"a:123"[..])
    );
    assert_eq!(mask_config_ports(Some(b"")).as_deref(), Some(&b""[..]));
    assert_eq!(mask_config_ports(None), None);
}
