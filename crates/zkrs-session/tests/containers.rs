//! The container/TTL reaper driven through `handle_tick`.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;

fn tick(h: &mut Harness, ms: u64) {
    h.advance(ms);
    h.core.handle_tick(h.now);
    h.pump();
}

#[test]
fn containers_are_reaped_once_used_and_empty() {
    let mut cfg = Harness::default_config();
    cfg.container_check_interval_ms = 1000;
    let mut h = Harness::new(cfg);
    let mut c = h.session();
    let mut w = h.session();
    c.req(
        &mut h,
        Request::CreateContainer(create_req("/used", b"", 4)),
    );
    c.req(
        &mut h,
        Request::CreateContainer(create_req("/fresh", b"", 4)),
    );
    c.create_ok(&mut h, "/used/k", b"", 0);
    w.req(
        &mut h,
        Request::Exists(ExistsRequest {
            path: "/used".into(),
            watch: true,
        }),
    );
    assert_eq!(
        h.core.poll_timeout(),
        Some((START_MONO / 2000 + 1) * 2000).min(Some(START_MONO + 1000))
    );
    let zxid = h.core.last_processed_zxid();
    tick(&mut h, 1000);
    assert_eq!(h.core.last_processed_zxid(), zxid, "not empty yet");
    c.req(
        &mut h,
        Request::Delete(DeleteRequest {
            path: "/used/k".into(),
            version: -1,
        }),
    );
    tick(&mut h, 1000);
    assert!(h.core.tree().node("/used").is_none());
    assert!(h.core.tree().node("/fresh").is_some(), "never used: kept");
    let e = h.last_txn();
    assert_eq!(
        (e.header.client_id, e.header.cxid, e.header.r#type),
        (0, 0, OpCode::DeleteContainer.code())
    );
    assert_eq!(
        e.body,
        TxnBody::Delete(DeleteTxn {
            path: "/used".into()
        })
    );
    let frames = h.take(w.conn);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].event().r#type, 2);
}

#[test]
fn never_used_containers_with_max_interval() {
    let mut cfg = Harness::default_config();
    cfg.container_check_interval_ms = 1000;
    cfg.container_max_never_used_interval_ms = 5000;
    let mut h = Harness::new(cfg);
    let mut c = h.session();
    c.req(
        &mut h,
        Request::CreateContainer(create_req("/fresh", b"", 4)),
    );
    tick(&mut h, 1000);
    assert!(h.core.tree().node("/fresh").is_some());
    for _ in 0..5 {
        tick(&mut h, 1000);
    }
    assert!(h.core.tree().node("/fresh").is_none());
}

#[test]
fn ttl_nodes_expire_after_their_ttl() {
    let mut cfg = Harness::default_config();
    cfg.extended_types_enabled = true;
    cfg.container_check_interval_ms = 1000;
    let mut h = Harness::new(cfg);
    let mut c = h.session();
    let ttl = |p: &str, ttl: i64| {
        Request::CreateTtl(CreateTtlRequest {
            path: p.into(),
            data: Some(Bytes::from_static(b"t")),
            acl: open_acl(),
            flags: 5,
            ttl,
        })
    };
    assert_eq!(c.req(&mut h, ttl("/short", 1500)).err(), 0);
    assert_eq!(c.req(&mut h, ttl("/long", 60_000)).err(), 0);
    assert_eq!(c.req(&mut h, ttl("/parent", 1500)).err(), 0);
    c.create_ok(&mut h, "/parent/kid", b"", 0);
    tick(&mut h, 1000);
    assert!(h.core.tree().node("/short").is_some());
    tick(&mut h, 1000);
    assert!(h.core.tree().node("/short").is_none());
    assert!(h.core.tree().node("/long").is_some());
    assert!(h.core.tree().node("/parent").is_some(), "has a child");
    // setData refreshes mtime, and so the TTL.
    let f = c.req(
        &mut h,
        Request::SetData(SetDataRequest {
            path: "/long".into(),
            data: None,
            version: -1,
        }),
    );
    assert_eq!(f.err(), 0);
    tick(&mut h, 59_000);
    assert!(h.core.tree().node("/long").is_some());
    tick(&mut h, 2000);
    assert!(h.core.tree().node("/long").is_none());
}

#[test]
fn a_failed_delete_container_still_uses_a_zxid() {
    let mut cfg = Harness::default_config();
    cfg.container_check_interval_ms = 1000;
    let mut h = Harness::new(cfg);
    let mut c = h.session();
    c.req(&mut h, Request::CreateContainer(create_req("/box", b"", 4)));
    c.create_ok(&mut h, "/box/k", b"", 0);
    c.req(
        &mut h,
        Request::Delete(DeleteRequest {
            path: "/box/k".into(),
            version: -1,
        }),
    );
    // The reaper and a client race: the client adds a child before the deleteContainer is
    // applied.
    h.auto_commit = false;
    h.advance(1000);
    h.core.handle_tick(h.now);
    h.pump();
    h.send(c.conn, 50, &Request::Create(create_req("/box/k2", b"", 0)));
    h.pump();
    h.commit_all();
    let types: Vec<i32> = h
        .persisted
        .iter()
        .rev()
        .take(2)
        .map(|e| e.header.r#type)
        .collect();
    // deleteContainer prepared first (succeeds), then the create fails: its parent is going.
    assert_eq!(types, vec![-1, 20]);
    assert!(h.core.tree().node("/box").is_none());
    let f = h.take(c.conn).pop().unwrap();
    assert_eq!((f.xid(), f.err()), (50, -101));
}
