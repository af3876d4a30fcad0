//! Quota enforcement (`zookeeper.enforceQuota`, 3.7+): hard limits refuse creates and setData
//! with QUOTAEXCEEDED (-125); soft limits and `enforceQuota=false` never do. The expected codes
//! were observed with Apache ZooKeeper 3.8.0 (Debian) running `enforceQuota=true`.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;

fn start(enforce: bool) -> (Harness, Client) {
    let mut h = Harness::new(zkrs_session::CoreConfig {
        enforce_quota: enforce,
        ..Harness::default_config()
    });
    let c = h.session();
    (h, c)
}

/// Sets a quota on `path` as `SetQuotaCommand.createQuota` does when no quota exists there:
/// the `/zookeeper/quota<path>` nodes, then `zookeeper_limits`, then `zookeeper_stats` (whose
/// creation recounts the subtree). `path` must exist; the quota parents may already.
fn set_quota(h: &mut Harness, c: &mut Client, path: &str, limits: &[u8]) {
    let mut q = String::from("/zookeeper/quota");
    for seg in path.split('/').filter(|s| !s.is_empty()) {
        q.push('/');
        q.push_str(seg);
        if c.stat(h, &q).is_none() {
            c.create_ok(h, &q, b"", 0);
        }
    }
    c.create_ok(h, &format!("{q}/zookeeper_limits"), limits, 0);
    c.create_ok(h, &format!("{q}/zookeeper_stats"), b"count=0,bytes=0", 0);
}

fn stats(h: &Harness, path: &str) -> String {
    let n = h
        .core
        .tree()
        .node(&format!("/zookeeper/quota{path}/zookeeper_stats"))
        .expect("stat node");
    String::from_utf8_lossy(n.data.as_deref().unwrap_or(b"")).into_owned()
}

fn set_data(path: &str, data: &[u8], version: i32) -> Request {
    Request::SetData(SetDataRequest {
        path: path.into(),
        data: Some(Bytes::copy_from_slice(data)),
        version,
    })
}

fn multi(ops: Vec<MultiOp>) -> Request {
    Request::Multi(MultiRequest { ops })
}

fn results(f: &Frame) -> Vec<MultiResult> {
    assert_eq!(f.err(), 0, "{f:?}");
    decode::<MultiResponse>(f.body()).results
}

/// The reply failed with `err`, and the write consumed a zxid as an `ErrorTxn(err)`.
#[track_caller]
fn assert_error_txn(h: &Harness, f: &Frame, err: i32) {
    assert_eq!(f.err(), err, "{f:?}");
    let e = h.last_txn();
    assert_eq!(e.header.zxid, f.zxid());
    assert_eq!(e.header.r#type, -1);
    assert_eq!(e.body, TxnBody::Error(ErrorTxn { err }));
}

#[test]
fn without_enforce_quota_hard_limits_are_only_tracked() {
    let (mut h, mut c) = start(false);
    c.create_ok(&mut h, "/q", b"", 0);
    set_quota(
        &mut h,
        &mut c,
        "/q",
        b"count=-1,bytes=-1=;countHardLimit=2;byteHardLimit=3",
    );
    assert_eq!(stats(&h, "/q"), "count=1,bytes=0");
    c.create_ok(&mut h, "/q/a", b"", 0);
    c.create_ok(&mut h, "/q/b", b"", 0);
    c.create_ok(&mut h, "/q/c", b"abcd", 0);
    let f = c.req(&mut h, set_data("/q", b"0123456789", -1));
    assert_eq!(f.err(), 0);
    // A version mismatch still answers BADVERSION, not a quota error.
    let f = c.req(&mut h, set_data("/q", b"0123456789ab", 99));
    assert_eq!(f.err(), -103);
    assert_eq!(stats(&h, "/q"), "count=4,bytes=14");
    // Malformed limits are never read either.
    c.create_ok(&mut h, "/bad", b"", 0);
    set_quota(&mut h, &mut c, "/bad", b"junk");
    c.create_ok(&mut h, "/bad/x", b"", 0);
}

#[test]
fn count_hard_limit_refuses_creates() {
    let (mut h, mut c) = start(true);
    c.create_ok(&mut h, "/q", b"", 0);
    // setquota -N 2 /q
    set_quota(&mut h, &mut c, "/q", b"count=-1,bytes=-1=;countHardLimit=2");
    assert_eq!(stats(&h, "/q"), "count=1,bytes=0");
    c.create_ok(&mut h, "/q/a", b"", 0);
    assert_eq!(stats(&h, "/q"), "count=2,bytes=0");

    let before = h.last_txn().header.zxid;
    let f = c.create(&mut h, "/q/b", b"", 0);
    assert_error_txn(&h, &f, -125);
    assert_eq!(f.zxid(), before + 1, "the refused create consumed a zxid");
    assert!(h.core.tree().node("/q/b").is_none());
    assert_eq!(stats(&h, "/q"), "count=2,bytes=0");

    // Sequential, container (create2 path) and TTL creates are checked alike; the refused
    // sequential create still does not bump the parent's cversion.
    let f = c.create(&mut h, "/q/s-", b"", 2);
    assert_error_txn(&h, &f, -125);
    let f = c.req(
        &mut h,
        Request::CreateContainer(create_req("/q/box", b"", 4)),
    );
    assert_error_txn(&h, &f, -125);
    let f = c.req(&mut h, Request::Create2(create_req("/q/c2", b"", 0)));
    assert_error_txn(&h, &f, -125);
    assert_eq!(h.core.tree().node("/q").unwrap().stat.cversion, 1);

    // Earlier checks win: NODEEXISTS, NONODE.
    let f = c.create(&mut h, "/q/a", b"", 0);
    assert_error_txn(&h, &f, -110);
    let f = c.create(&mut h, "/q/none/x", b"", 0);
    assert_error_txn(&h, &f, -101);

    // setData changes no count: allowed (no byte limit).
    let f = c.req(&mut h, set_data("/q/a", b"xyz", -1));
    assert_eq!(f.err(), 0);
    // Outside the quota nothing is checked.
    c.create_ok(&mut h, "/other", b"", 0);
    // After a delete there is room again.
    let f = c.req(
        &mut h,
        Request::Delete(DeleteRequest {
            path: "/q/a".into(),
            version: -1,
        }),
    );
    assert_eq!(f.err(), 0);
    c.create_ok(&mut h, "/q/b", b"", 0);
    assert_eq!(stats(&h, "/q"), "count=2,bytes=0");
    // quota_exceeded_error_per_namespace{key="q"}: the four refused creates.
    assert_eq!(h.core.quota_exceeded_counts().get("q"), Some(&4));
}

#[test]
fn ttl_create_is_checked() {
    let mut h = Harness::new(zkrs_session::CoreConfig {
        enforce_quota: true,
        extended_types_enabled: true,
        ..Harness::default_config()
    });
    let mut c = h.session();
    c.create_ok(&mut h, "/q", b"", 0);
    set_quota(&mut h, &mut c, "/q", b"countHardLimit=1");
    let f = c.req(
        &mut h,
        Request::CreateTtl(CreateTtlRequest {
            path: "/q/t".into(),
            data: Some(Bytes::new()),
            acl: open_acl(),
            flags: 5,
            ttl: 1000,
        }),
    );
    assert_error_txn(&h, &f, -125);
}

#[test]
fn byte_hard_limit_refuses_growth() {
    let (mut h, mut c) = start(true);
    c.create_ok(&mut h, "/b", b"ab", 0);
    // setquota -B 5 /b
    set_quota(&mut h, &mut c, "/b", b"count=-1,bytes=-1=;byteHardLimit=5");
    assert_eq!(stats(&h, "/b"), "count=1,bytes=2");

    assert_eq!(c.req(&mut h, set_data("/b", b"abcde", -1)).err(), 0);
    let before = h.last_txn().header.zxid;
    let f = c.req(&mut h, set_data("/b", b"abcdef", -1));
    assert_error_txn(&h, &f, -125);
    assert_eq!(f.zxid(), before + 1, "the refused setData consumed a zxid");
    assert_eq!(
        h.core.tree().node("/b").unwrap().data.as_deref(),
        Some(&b"abcde"[..])
    );
    // The quota check comes before the version check.
    let f = c.req(&mut h, set_data("/b", b"abcdef", 99));
    assert_error_txn(&h, &f, -125);
    // Same length: bytesDiff 0, no byte check.
    assert_eq!(c.req(&mut h, set_data("/b", b"zzzzz", -1)).err(), 0);
    // A create of empty data has bytesDiff 0; a create with data is counted.
    c.create_ok(&mut h, "/b/c", b"", 0);
    let f = c.create(&mut h, "/b/d", b"x", 0);
    assert_error_txn(&h, &f, -125);
    assert_eq!(c.req(&mut h, set_data("/b", b"abcd", -1)).err(), 0);
    c.create_ok(&mut h, "/b/d", b"x", 0);
    assert_eq!(stats(&h, "/b"), "count=3,bytes=5");

    // Lower the limit below the usage: a shrinking setData that stays over still fails.
    let f = c.req(
        &mut h,
        set_data(
            "/zookeeper/quota/b/zookeeper_limits",
            b"count=-1,bytes=-1=;byteHardLimit=2",
            -1,
        ),
    );
    assert_eq!(f.err(), 0);
    let f = c.req(&mut h, set_data("/b", b"abc", -1));
    assert_error_txn(&h, &f, -125);
    c.create_ok(&mut h, "/b/e", b"", 0);
    assert_eq!(h.core.quota_exceeded_counts().get("b"), Some(&4));
}

#[test]
fn soft_limits_never_refuse() {
    let (mut h, mut c) = start(true);
    c.create_ok(&mut h, "/s", b"", 0);
    // setquota -n 1 -b 1 /s
    set_quota(&mut h, &mut c, "/s", b"count=1,bytes=1");
    c.create_ok(&mut h, "/s/x", b"hello", 0);
    assert_eq!(c.req(&mut h, set_data("/s", b"more data", -1)).err(), 0);
    assert_eq!(stats(&h, "/s"), "count=2,bytes=14");

    // With both, the hard limit decides.
    c.create_ok(&mut h, "/d", b"", 0);
    set_quota(&mut h, &mut c, "/d", b"count=1,bytes=-1=;countHardLimit=3");
    c.create_ok(&mut h, "/d/1", b"", 0);
    c.create_ok(&mut h, "/d/2", b"", 0);
    let f = c.create(&mut h, "/d/3", b"", 0);
    assert_error_txn(&h, &f, -125);
}

#[test]
fn only_the_deepest_quota_counts() {
    let (mut h, mut c) = start(true);
    c.create_ok(&mut h, "/n", b"", 0);
    c.create_ok(&mut h, "/n/m", b"", 0);
    set_quota(&mut h, &mut c, "/n", b"count=-1,bytes=-1=;countHardLimit=3");
    // A nested quota (zkCli refuses to make one, raw creates do not).
    set_quota(
        &mut h,
        &mut c,
        "/n/m",
        b"count=-1,bytes=-1=;byteHardLimit=3",
    );
    assert_eq!(stats(&h, "/n"), "count=2,bytes=0");
    assert_eq!(stats(&h, "/n/m"), "count=1,bytes=0");
    // Under /n/m only /n/m's limits apply: no count limit there, so /n's count is not checked.
    c.create_ok(&mut h, "/n/m/x", b"", 0);
    c.create_ok(&mut h, "/n/m/y", b"", 0);
    c.create_ok(&mut h, "/n/m/z", b"", 0);
    let f = c.create(&mut h, "/n/m/w", b"abcd", 0);
    assert_error_txn(&h, &f, -125);
    // Directly under /n, /n's count limit applies.
    c.create_ok(&mut h, "/n/o", b"", 0);
    let f = c.create(&mut h, "/n/p", b"", 0);
    assert_error_txn(&h, &f, -125);
    assert_eq!(stats(&h, "/n"), "count=3,bytes=0");
    assert_eq!(stats(&h, "/n/m"), "count=4,bytes=0");
}

#[test]
fn multi_fails_at_the_over_quota_op() {
    let (mut h, mut c) = start(true);
    c.create_ok(&mut h, "/q", b"", 0);
    set_quota(
        &mut h,
        &mut c,
        "/q",
        b"count=-1,bytes=-1=;countHardLimit=1;byteHardLimit=4",
    );
    let before = h.last_txn().header.zxid;
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create(create_req("/f1", b"", 0)),
            MultiOp::Create(create_req("/q/mc", b"", 0)),
            MultiOp::Create(create_req("/f2", b"", 0)),
        ]),
    );
    assert_eq!(f.zxid(), before + 1);
    assert_eq!(
        results(&f),
        vec![
            MultiResult::Error(0),
            MultiResult::Error(-125),
            MultiResult::Error(-2),
        ]
    );
    match &h.last_txn().body {
        TxnBody::Multi(m) => {
            let types: Vec<i32> = m.txns.iter().map(|t| t.r#type).collect();
            assert_eq!(types, vec![1, -1, -1]);
            assert_eq!(
                TxnBody::from_sub_txn(&m.txns[1]).unwrap(),
                TxnBody::Error(ErrorTxn { err: -125 })
            );
        }
        b => panic!("{b:?}"),
    }
    assert!(h.core.tree().node("/f1").is_none());

    // setData over the byte limit, then a check.
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::SetData(SetDataRequest {
                path: "/q".into(),
                data: Some(Bytes::from_static(b"abcde")),
                version: -1,
            }),
            MultiOp::Check(CheckVersionRequest {
                path: "/q".into(),
                version: -1,
            }),
        ]),
    );
    assert_eq!(
        results(&f),
        vec![MultiResult::Error(-125), MultiResult::Error(-2)]
    );
}

#[test]
fn multi_ops_are_checked_against_the_applied_usage() {
    let (mut h, mut c) = start(true);
    c.create_ok(&mut h, "/mq", b"", 0);
    set_quota(&mut h, &mut c, "/mq", b"countHardLimit=2");
    // Each create alone fits (1 + 1 <= 2); the stats are only updated on apply, so together
    // they overshoot, as with ZooKeeper.
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create(create_req("/mq/a", b"", 0)),
            MultiOp::Create(create_req("/mq/b", b"", 0)),
        ]),
    );
    assert_eq!(results(&f).len(), 2);
    assert!(h.core.tree().node("/mq/b").is_some());
    assert_eq!(stats(&h, "/mq"), "count=3,bytes=0");

    // A setData after a create of the same multi diffs against the created data
    // (ZOOKEEPER-4219): 0 + (5 - 0) > 4.
    c.create_ok(&mut h, "/mb", b"", 0);
    set_quota(&mut h, &mut c, "/mb", b"byteHardLimit=4");
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create(create_req("/mb/x", b"", 0)),
            MultiOp::SetData(SetDataRequest {
                path: "/mb/x".into(),
                data: Some(Bytes::from_static(b"abcde")),
                version: -1,
            }),
        ]),
    );
    assert_eq!(
        results(&f),
        vec![MultiResult::Error(0), MultiResult::Error(-125)]
    );
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create(create_req("/mb/y", b"abc", 0)),
            MultiOp::SetData(SetDataRequest {
                path: "/mb/y".into(),
                data: Some(Bytes::from_static(b"abcdefg")),
                version: -1,
            }),
        ]),
    );
    // 0 + 3 <= 4, then 0 + (7 - 3) <= 4: accepted, 7 bytes used.
    assert_eq!(results(&f).len(), 2);
    assert_eq!(stats(&h, "/mb"), "count=2,bytes=7");
}

#[test]
fn pipelined_writes_see_the_applied_usage() {
    let (mut h, mut c) = start(true);
    c.create_ok(&mut h, "/q", b"", 0);
    set_quota(&mut h, &mut c, "/q", b"countHardLimit=2");
    // Both creates are prepared before either is applied, so both see count=1. (In ZooKeeper
    // this depends on how far the prep thread runs ahead of the sync thread.)
    h.auto_commit = false;
    h.send(c.conn, 100, &Request::Create(create_req("/q/a", b"", 0)));
    h.send(c.conn, 101, &Request::Create(create_req("/q/b", b"", 0)));
    h.pump();
    h.commit_all();
    let frames = h.take(c.conn);
    let errs: Vec<(i32, i32)> = frames.iter().map(|f| (f.xid(), f.err())).collect();
    assert_eq!(errs, vec![(100, 0), (101, 0)]);
    h.auto_commit = true;
    let f = c.create(&mut h, "/q/c", b"", 0);
    assert_error_txn(&h, &f, -125);
}

#[test]
fn unreadable_limits_are_a_marshalling_error() {
    let (mut h, mut c) = start(true);
    // Java's StatsTrack throws on these (3.8.0 answers MARSHALLINGERROR, -5).
    for (i, limits) in [
        &b"junk"[..],
        b"count=",
        b",countHardLimit=1",
        b"countHardLimit=x",
        b"=",
    ]
    .iter()
    .enumerate()
    {
        let p = format!("/bad{i}");
        c.create_ok(&mut h, &p, b"", 0);
        set_quota(&mut h, &mut c, &p, limits);
        let f = c.create(&mut h, &format!("{p}/x"), b"", 0);
        assert_error_txn(&h, &f, -5);
        let f = c.req(&mut h, set_data(&p, b"a", -1));
        assert_error_txn(&h, &f, -5);
    }
    // Null limit data: NullPointerException, also -5.
    c.create_ok(&mut h, "/nul", b"", 0);
    c.create_ok(&mut h, "/zookeeper/quota/nul", b"", 0);
    c.req(
        &mut h,
        Request::Create(CreateRequest {
            path: "/zookeeper/quota/nul/zookeeper_limits".into(),
            data: None,
            acl: open_acl(),
            flags: 0,
        }),
    );
    c.create_ok(&mut h, "/zookeeper/quota/nul/zookeeper_stats", b"", 0);
    let f = c.create(&mut h, "/nul/x", b"", 0);
    assert_error_txn(&h, &f, -5);
    // In a multi the whole request fails with -5 and nothing is applied.
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create(create_req("/mm1", b"", 0)),
            MultiOp::Create(create_req("/nul/y", b"", 0)),
        ]),
    );
    assert_eq!((f.err(), f.body().len()), (-5, 0));
    assert!(h.core.tree().node("/mm1").is_none());

    // Accepted oddities: empty limits (no limit), `;;` tails, a `+` sign.
    for (p, limits, create_err) in [
        ("/e0", &b""[..], 0),
        ("/e1", b"countHardLimit=1;;", -125),
        ("/e2", b"countHardLimit=+1", -125),
    ] {
        c.create_ok(&mut h, p, b"", 0);
        set_quota(&mut h, &mut c, p, limits);
        let f = c.create(&mut h, &format!("{p}/x"), b"", 0);
        assert_eq!(f.err(), create_err, "{p}");
    }
}

#[test]
fn missing_quota_nodes_mean_no_check() {
    let (mut h, mut c) = start(true);
    // A limit node without a stat node: "Missing node for stat" is logged, the write goes on.
    c.create_ok(&mut h, "/nostat", b"", 0);
    c.create_ok(&mut h, "/zookeeper/quota/nostat", b"", 0);
    c.create_ok(
        &mut h,
        "/zookeeper/quota/nostat/zookeeper_limits",
        b"countHardLimit=0",
        0,
    );
    c.create_ok(&mut h, "/nostat/x", b"", 0);
    // A stat node with null data, read because a count limit applies: NullPointerException,
    // -5. (Had the write gone through, 3.8.0's DataTree.updateQuotaStat would throw on apply
    // and stop the server.)
    c.create_ok(&mut h, "/sn", b"", 0);
    set_quota(&mut h, &mut c, "/sn", b"countHardLimit=5");
    let f = c.req(
        &mut h,
        Request::SetData(SetDataRequest {
            path: "/zookeeper/quota/sn/zookeeper_stats".into(),
            data: None,
            version: -1,
        }),
    );
    assert_eq!(f.err(), 0);
    let f = c.create(&mut h, "/sn/x", b"", 0);
    assert_error_txn(&h, &f, -5);
}
