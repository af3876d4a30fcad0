//! multi (14) and multiRead (22).

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;

fn multi(ops: Vec<MultiOp>) -> Request {
    Request::Multi(MultiRequest { ops })
}

fn results(f: &Frame) -> Vec<MultiResult> {
    assert_eq!(f.err(), 0, "{f:?}");
    decode::<MultiResponse>(f.body()).results
}

fn del(p: &str) -> MultiOp {
    MultiOp::Delete(DeleteRequest {
        path: p.into(),
        version: -1,
    })
}

#[test]
fn failure_marks_earlier_ops_ok_and_later_runtime_inconsistency() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    c.create_ok(&mut h, "/m", b"", 0);
    let before = h.core.tree().digest();
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create(create_req("/m/a", b"", 0)),
            MultiOp::Create(create_req("/m/b", b"", 2)),
            MultiOp::Create(create_req("/m", b"", 0)),
            del("/m/a"),
        ]),
    );
    assert_eq!(f.zxid(), 3);
    assert_eq!(
        results(&f),
        vec![
            MultiResult::Error(0),
            MultiResult::Error(0),
            MultiResult::Error(-110),
            MultiResult::Error(-2),
        ]
    );
    // Nothing applied, digest unchanged, and the failed ops' records were rolled back: the
    // same creates succeed next time with the same sequence number.
    assert!(h.core.tree().node("/m/a").is_none());
    assert_eq!(h.core.tree().digest(), before);
    assert_eq!(
        h.last_txn().digest.as_ref().map(|d| d.tree_digest),
        Some(before)
    );
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create(create_req("/m/a", b"", 0)),
            MultiOp::Create(create_req("/m/b", b"", 2)),
        ]),
    );
    assert_eq!(
        results(&f),
        vec![
            MultiResult::Create(CreateResponse {
                path: "/m/a".into()
            }),
            MultiResult::Create(CreateResponse {
                path: "/m/b0000000001".into()
            }),
        ]
    );
}

#[test]
fn ops_see_earlier_ops_of_the_same_multi() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    h.set_wall(9000);
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create(create_req("/p", b"", 0)),
            MultiOp::Create(create_req("/p/q", b"", 0)),
            MultiOp::SetData(SetDataRequest {
                path: "/p/q".into(),
                data: Some(Bytes::from_static(b"v")),
                version: 0,
            }),
            MultiOp::Check(CheckVersionRequest {
                path: "/p/q".into(),
                version: 1,
            }),
            del("/p/q"),
        ]),
    );
    let r = results(&f);
    assert_eq!(r.len(), 5);
    match &r[2] {
        MultiResult::SetData(s) => {
            assert_eq!((s.stat.version, s.stat.mzxid, s.stat.mtime), (1, 2, 9000))
        }
        x => panic!("{x:?}"),
    }
    assert_eq!(r[3], MultiResult::Check);
    assert_eq!(r[4], MultiResult::Delete);
    assert!(h.core.tree().node("/p").is_some());
    assert!(h.core.tree().node("/p/q").is_none());
    // One zxid for the whole multi.
    assert_eq!(h.core.last_processed_zxid(), 2);
    assert_eq!(
        h.core.tree().digest(),
        h.core.tree().compute_digest_from_scratch()
    );
}

#[test]
fn create_variants_inside_multi_as_in_3_8_0() {
    let mut cfg = Harness::default_config();
    cfg.extended_types_enabled = true;
    let mut h = Harness::new(cfg);
    let mut c = h.session();
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create2(create_req("/two", b"", 0)),
            MultiOp::CreateContainer(create_req("/cont", b"", 4)),
            MultiOp::Create(create_req("/cont2", b"", 4)),
            MultiOp::CreateTtl(CreateTtlRequest {
                path: "/ttl".into(),
                data: None,
                acl: open_acl(),
                flags: 5,
                ttl: 1000,
            }),
            MultiOp::CreateTtl(CreateTtlRequest {
                path: "/plain".into(),
                data: None,
                acl: open_acl(),
                flags: 0,
                ttl: 1000,
            }),
        ]),
    );
    let r = results(&f);
    // create2 decays to create (type 1, no stat); a container flag makes createContainer
    // (type 15 with a stat), whatever the header said; createTTL keeps its stat; a createTTL
    // header with plain flags drops the ttl.
    assert_eq!(
        r[0],
        MultiResult::Create(CreateResponse {
            path: "/two".into()
        })
    );
    assert!(matches!(&r[1], MultiResult::Create2(x) if x.path == "/cont"));
    assert!(matches!(&r[2], MultiResult::Create2(x) if x.path == "/cont2"));
    assert!(matches!(&r[3], MultiResult::Create2(x) if x.path == "/ttl"));
    assert_eq!(
        r[4],
        MultiResult::Create(CreateResponse {
            path: "/plain".into()
        })
    );
    assert_eq!(
        h.core.tree().node("/cont2").unwrap().stat.ephemeral_owner,
        i64::MIN
    );
    assert_eq!(
        h.core.tree().node("/plain").unwrap().stat.ephemeral_owner,
        0
    );
    match &h.last_txn().body {
        TxnBody::Multi(m) => {
            let t: Vec<i32> = m.txns.iter().map(|t| t.r#type).collect();
            assert_eq!(t, vec![1, 19, 19, 21, 1]);
        }
        b => panic!("{b:?}"),
    }
}

#[test]
fn whole_multi_marshalling_errors() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    // A TTL flag under a create header: Java fails to cast the request (whole multi -5).
    let f = c.req(
        &mut h,
        multi(vec![
            MultiOp::Create(create_req("/ok", b"", 0)),
            MultiOp::Create(create_req("/t", b"", 5)),
        ]),
    );
    assert_eq!((f.zxid(), f.err(), f.body().len()), (2, -5, 0));
    assert_eq!(h.last_txn().body, TxnBody::Error(ErrorTxn { err: -5 }));
    assert!(h.core.tree().node("/ok").is_none());
    // The rolled-back create does not block a later one.
    c.create_ok(&mut h, "/ok", b"", 0);
    // A read op in a multi.
    let f = c.req(
        &mut h,
        multi(vec![MultiOp::GetData(GetDataRequest {
            path: "/ok".into(),
            watch: false,
        })]),
    );
    assert_eq!((f.zxid(), f.err()), (4, -5));
    // An empty multi is a txn with no ops.
    let f = c.req(&mut h, multi(vec![]));
    assert_eq!((f.zxid(), f.err()), (5, 0));
    assert!(results(&f).is_empty());
    // Undecodable body (unknown op type inside).
    let mut body = Vec::new();
    MultiHeader {
        r#type: 100,
        done: false,
        err: -1,
    }
    .write_to(&mut body);
    h.send_raw(c.conn, 99, OpCode::Multi.code(), &body);
    h.pump();
    let f = h.take(c.conn).pop().unwrap();
    assert_eq!((f.xid(), f.zxid(), f.err()), (99, 6, -5));
}

#[test]
fn multi_read() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    let mut other = h.session();
    c.create_ok(&mut h, "/r", b"v", 0);
    c.create_ok(&mut h, "/r/k", b"", 0);
    c.req(
        &mut h,
        Request::Create(CreateRequest {
            path: "/secret".into(),
            data: None,
            acl: vec![Acl::new(31, "ip", "10.0.0.1")],
            flags: 0,
        }),
    );
    let f = other.req(
        &mut h,
        Request::MultiRead(MultiRequest {
            ops: vec![
                MultiOp::GetChildren(GetChildrenRequest {
                    path: "/r".into(),
                    watch: true,
                }),
                MultiOp::GetData(GetDataRequest {
                    path: "/secret".into(),
                    watch: false,
                }),
                MultiOp::GetData(GetDataRequest {
                    path: "/r".into(),
                    watch: true,
                }),
            ],
        }),
    );
    assert_eq!(f.zxid(), 5);
    let r = results(&f);
    assert_eq!(
        r[0],
        MultiResult::GetChildren(GetChildrenResponse {
            children: vec!["k".into()]
        })
    );
    assert_eq!(r[1], MultiResult::Error(-102));
    assert!(matches!(&r[2], MultiResult::GetData(d) if d.data.as_deref() == Some(&b"v"[..])));
    // multiRead leaves no watches.
    assert_eq!(h.core.tree().watch_count(), 0);
    // A write op in a multiRead.
    let f = other.req(
        &mut h,
        Request::MultiRead(MultiRequest {
            ops: vec![MultiOp::Create(create_req("/x", b"", 0))],
        }),
    );
    assert_eq!((f.zxid(), f.err()), (5, -5));
    assert_eq!(h.core.last_processed_zxid(), 5);
}
