//! The prep → persist → commit → apply pipeline with the commit delayed: validation against
//! outstanding changes, per-connection reply order, and zxid accounting.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;
use zkrs_session::Output;

fn established(h: &mut Harness) -> Client {
    let c = h.session();
    h.auto_commit = false;
    c
}

#[test]
fn reads_wait_behind_writes_of_their_connection() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let mut b = h.session();
    a.create_ok(&mut h, "/n", b"old", 0);
    h.auto_commit = false;
    h.send(
        a.conn,
        10,
        &Request::SetData(SetDataRequest {
            path: "/n".into(),
            data: Some(Bytes::from_static(b"new")),
            version: -1,
        }),
    );
    h.send(
        a.conn,
        11,
        &Request::GetData(GetDataRequest {
            path: "/n".into(),
            watch: false,
        }),
    );
    h.send(a.conn, -2, &Request::Ping);
    h.pump();
    assert!(h.take(a.conn).is_empty(), "everything waits for the write");
    // Another connection reads the committed state at once.
    let f = b.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/n".into(),
            watch: false,
        }),
    );
    assert_eq!(
        decode::<GetDataResponse>(f.body()).data.as_deref(),
        Some(&b"old"[..])
    );
    assert_eq!(f.zxid(), 3);
    h.commit_all();
    let frames = h.take(a.conn);
    let xids: Vec<i32> = frames.iter().map(Frame::xid).collect();
    assert_eq!(xids, vec![10, 11, -2]);
    assert!(frames.iter().all(|f| f.zxid() == 4));
    assert_eq!(
        decode::<GetDataResponse>(frames[1].body()).data.as_deref(),
        Some(&b"new"[..])
    );
    a.xid = 11;
}

#[test]
fn writes_are_validated_against_outstanding_changes() {
    let mut h = Harness::new(Harness::default_config());
    let c = established(&mut h);
    let creq = |p: &str, flags: i32| Request::Create(create_req(p, b"", flags));
    h.send(c.conn, 1, &creq("/x", 0));
    h.send(c.conn, 2, &creq("/x/y", 0));
    h.send(c.conn, 3, &creq("/x", 0));
    h.send(c.conn, 4, &creq("/x/s-", 2));
    h.send(c.conn, 5, &creq("/x/s-", 2));
    h.send(
        c.conn,
        6,
        &Request::Delete(DeleteRequest {
            path: "/x/y".into(),
            version: -1,
        }),
    );
    h.send(c.conn, 7, &creq("/x/y/z", 0));
    h.pump();
    assert_eq!(h.persisted.len(), 1 + 7);
    assert_eq!(h.core.pending_txns(), 7);
    h.commit_all();
    let frames = h.take(c.conn);
    let got: Vec<(i32, i64, i32)> = frames
        .iter()
        .map(|f| (f.xid(), f.zxid(), f.err()))
        .collect();
    assert_eq!(
        got,
        vec![
            (1, 2, 0),
            (2, 3, 0),
            (3, 4, -110),
            (4, 5, 0),
            (5, 6, 0),
            (6, 7, 0),
            (7, 8, -101),
        ]
    );
    assert_eq!(
        decode::<CreateResponse>(frames[3].body()).path,
        "/x/s-0000000001"
    );
    assert_eq!(
        decode::<CreateResponse>(frames[4].body()).path,
        "/x/s-0000000002"
    );
    // Each txn's digest was precomputed against the outstanding changes: it equals the tree's
    // digest right after that txn was applied (checked through the final digest here).
    let last_with_digest = h
        .persisted
        .iter()
        .rev()
        .find_map(|e| e.digest.as_ref())
        .unwrap()
        .tree_digest;
    assert_eq!(last_with_digest, h.core.tree().digest());
    assert_eq!(
        h.core.tree().digest(),
        h.core.tree().compute_digest_from_scratch()
    );
}

#[test]
fn digests_match_after_every_txn() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = established(&mut h);
    let ops = vec![
        Request::Create(create_req("/a", b"1", 0)),
        Request::Create(create_req("/a/e", b"2", 1)),
        Request::SetData(SetDataRequest {
            path: "/a".into(),
            data: Some(Bytes::from_static(b"333")),
            version: 0,
        }),
        Request::SetAcl(SetAclRequest {
            path: "/a".into(),
            acl: open_acl(),
            version: 0,
        }),
        Request::Create(create_req("/", b"", 0)),
        Request::Create(create_req("/zookeeper/x", b"q", 0)),
        Request::Delete(DeleteRequest {
            path: "/a/e".into(),
            version: -1,
        }),
    ];
    for (i, r) in ops.into_iter().enumerate() {
        h.send(c.conn, i as i32 + 1, &r);
    }
    h.pump();
    h.send(c.conn, 100, &Request::CloseSession);
    h.pump();
    let entries: Vec<TxnEntry> = h.persisted[1..].to_vec();
    for e in entries {
        h.commit_to(e.header.zxid);
        if let Some(d) = e.digest {
            assert_eq!(
                d.tree_digest,
                h.core.tree().digest(),
                "digest after txn 0x{:x} ({:?})",
                e.header.zxid,
                e.body
            );
        }
    }
    c.xid = 100;
}

/// ZooKeeper keys change records by the literal path, so a setData on "/" while creates under
/// the root (whose parent record is keyed "") are outstanding starts from the tree's stale root
/// and its precomputed digest is off, exactly as upstream. Applied one at a time it matches.
#[test]
fn root_set_data_digest() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    c.create_ok(&mut h, "/a", b"", 0);
    let f = c.req(
        &mut h,
        Request::SetData(SetDataRequest {
            path: "/".into(),
            data: Some(Bytes::from_static(b"root")),
            version: -1,
        }),
    );
    assert_eq!(f.err(), 0);
    assert_eq!(
        h.last_txn().digest.as_ref().unwrap().tree_digest,
        h.core.tree().digest()
    );
}

#[test]
fn close_session_collects_ephemerals_from_outstanding_changes() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    a.create_ok(&mut h, "/old", b"", 1);
    h.auto_commit = false;
    h.send(a.conn, 10, &Request::Create(create_req("/new", b"", 1)));
    h.send(
        a.conn,
        11,
        &Request::Delete(DeleteRequest {
            path: "/old".into(),
            version: -1,
        }),
    );
    h.send(a.conn, 12, &Request::CloseSession);
    h.pump();
    match &h.last_txn().body {
        TxnBody::CloseSession(Some(t)) => assert_eq!(t.paths2_delete, vec!["/new".to_owned()]),
        b => panic!("{b:?}"),
    }
    h.commit_all();
    let xids: Vec<i32> = h.take(a.conn).iter().map(Frame::xid).collect();
    assert_eq!(xids, vec![10, 11, 12]);
    assert!(h.is_closed(a.conn));
    assert!(h.core.tree().node("/new").is_none());
    assert_eq!(h.core.tree().ephemeral_count(), 0);
    a.xid = 12;
}

#[test]
fn closed_connection_still_commits_its_writes() {
    let mut h = Harness::new(Harness::default_config());
    let c = established(&mut h);
    h.send(c.conn, 1, &Request::Create(create_req("/kept", b"", 0)));
    h.pump();
    h.core.handle_connection_closed(c.conn);
    h.commit_all();
    assert!(h.core.tree().node("/kept").is_some());
    // No output for the gone connection.
    assert!(h.take(c.conn).is_empty());
}

#[test]
fn persist_entries_carry_header_fields() {
    let mut h = Harness::new(Harness::default_config());
    let c = established(&mut h);
    h.set_wall(123_456);
    h.send(c.conn, 42, &Request::Create(create_req("/h", b"", 0)));
    let o = h.core.poll_output().unwrap();
    match o {
        Output::Persist { entry } => {
            assert_eq!(entry.header.client_id, c.session_id);
            assert_eq!(entry.header.cxid, 42);
            assert_eq!(entry.header.zxid, 2);
            assert_eq!(entry.header.time, 123_456);
            assert_eq!(entry.header.r#type, 1);
            assert!(entry.digest.is_some());
        }
        o => panic!("{o:?}"),
    }
}

#[test]
fn digest_disabled_means_no_txn_digest() {
    let mut cfg = Harness::default_config();
    cfg.digest_enabled = false;
    let mut h = Harness::new(cfg);
    let mut c = h.session();
    c.create_ok(&mut h, "/a", b"", 0);
    assert!(h.persisted.iter().all(|e| e.digest.is_none()));
    assert_eq!(h.core.tree().digest(), 0);
}
