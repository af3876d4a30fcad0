//! Multi results (§1.10), closeSession, ephemerals, containers and TTL nodes.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_datatree::{DataTree, TreeConfig};
use zkrs_jute::records::txn::*;
use zkrs_jute::{ErrorCode, EventType, OpCode, TxnBody};

fn sub(op: OpCode, body: TxnBody) -> Txn {
    body.to_sub_txn(op as i32)
}

fn multi(subs: Vec<Txn>) -> TxnBody {
    TxnBody::Multi(MultiTxn { txns: subs })
}

#[test]
fn successful_multi() {
    let mut d = Driver::new();
    d.create("/a", "x");
    let r = d.apply(
        OpCode::Multi,
        multi(vec![
            sub(
                OpCode::Check,
                TxnBody::Check(CheckVersionTxn {
                    path: "/a".into(),
                    version: 1,
                }),
            ),
            sub(OpCode::Create, create_body("/m", "", false, 2)),
            sub(OpCode::Create2, create_body("/m2", "dd", false, 3)),
            sub(
                OpCode::CreateContainer,
                TxnBody::CreateContainer(CreateContainerTxn {
                    path: "/c".into(),
                    data: None,
                    acl: open(),
                    parent_c_version: 4,
                }),
            ),
            sub(
                OpCode::SetData,
                TxnBody::SetData(SetDataTxn {
                    path: "/a".into(),
                    data: data("y"),
                    version: 1,
                }),
            ),
            sub(
                OpCode::Delete,
                TxnBody::Delete(DeleteTxn { path: "/m".into() }),
            ),
        ]),
    );
    assert_eq!(r.err, 0);
    assert_eq!(r.r#type, OpCode::Multi as i32);
    assert_eq!(r.path, "");
    let types: Vec<i32> = r.multi_results.iter().map(|s| s.r#type).collect();
    assert_eq!(types, vec![13, 1, 15, 19, 5, 2]);
    assert!(r.multi_results.iter().all(|s| s.zxid == 2 && s.err == 0));
    assert_eq!(r.multi_results[0].path, "/a");
    assert_eq!(r.multi_results[1].stat, None);
    assert_eq!(r.multi_results[2].stat.as_ref().unwrap().czxid, 2);
    assert_eq!(r.multi_results[2].stat.as_ref().unwrap().data_length, 2);
    assert_eq!(r.multi_results[4].stat.as_ref().unwrap().version, 1);
    assert!(d.tree.node("/m").is_none());
    assert_eq!(d.tree.containers(), vec!["/c".to_string()]);
    assert_eq!(d.tree.last_processed_zxid(), 2);
    // Root: 4 creates (stored cversion 4), children a, zookeeper, m2, c.
    assert_eq!(d.tree.node("/").unwrap().stat.cversion, 4);
}

#[test]
fn failed_multi_applies_nothing() {
    let mut d = Driver::new();
    d.create("/a", "x");
    let before = d.tree.digest();
    let r = d.apply(
        OpCode::Multi,
        multi(vec![
            sub(
                OpCode::Check,
                TxnBody::Check(CheckVersionTxn {
                    path: "/a".into(),
                    version: 1,
                }),
            ),
            sub(OpCode::Create, create_body("/m1", "", false, 2)),
            sub(OpCode::Error, TxnBody::Error(ErrorTxn { err: -101 })),
            sub(OpCode::Error, TxnBody::Error(ErrorTxn { err: -2 })),
        ]),
    );
    let got: Vec<(i32, i32)> = r.multi_results.iter().map(|s| (s.r#type, s.err)).collect();
    assert_eq!(got, vec![(-1, 0), (-1, 0), (-1, -101), (-1, -2)]);
    assert_eq!(r.err, -101);
    assert!(d.tree.node("/m1").is_none());
    assert_eq!(d.tree.digest(), before);
    assert_eq!(d.tree.last_processed_zxid(), 2);
    // Real txns after the failing one become -2 as well.
    let r = d.apply(
        OpCode::Multi,
        multi(vec![
            sub(OpCode::Error, TxnBody::Error(ErrorTxn { err: -110 })),
            sub(OpCode::Create, create_body("/m2", "", false, 2)),
        ]),
    );
    let got: Vec<(i32, i32)> = r.multi_results.iter().map(|s| (s.r#type, s.err)).collect();
    assert_eq!(got, vec![(-1, -110), (-1, -2)]);
    assert!(d.tree.node("/m2").is_none());
    assert!(d.tree.take_watch_events().is_empty());
}

#[test]
fn multi_with_failing_real_sub_txn_continues() {
    // Only on replay: a sub-txn fails in the tree; later sub-txns are still applied.
    let mut d = Driver::new();
    let r = d.apply(
        OpCode::Multi,
        multi(vec![
            sub(
                OpCode::Delete,
                TxnBody::Delete(DeleteTxn {
                    path: "/nope".into(),
                }),
            ),
            sub(OpCode::Create, create_body("/ok", "", false, 1)),
        ]),
    );
    assert_eq!(r.err, ErrorCode::NoNode.code());
    assert_eq!(r.multi_results[0].err, -101);
    assert_eq!(r.multi_results[1].err, 0);
    assert!(d.tree.node("/ok").is_some());
}

#[test]
fn multi_with_bad_sub_txn_stops() {
    let mut d = Driver::new();
    let r = d.apply(
        OpCode::Multi,
        multi(vec![
            sub(OpCode::Create, create_body("/x", "", false, 1)),
            sub(
                OpCode::SetAcl,
                TxnBody::SetAcl(SetAclTxn {
                    path: "/x".into(),
                    acl: open(),
                    version: 1,
                }),
            ),
            sub(OpCode::Create, create_body("/y", "", false, 2)),
        ]),
    );
    assert_eq!(r.multi_results.len(), 1);
    assert!(d.tree.node("/x").is_some());
    assert!(d.tree.node("/y").is_none());
    let r = d.apply(
        OpCode::Multi,
        multi(vec![Txn {
            r#type: OpCode::Delete as i32,
            data: Bytes::from_static(b"\x00\x00"),
        }]),
    );
    assert!(r.multi_results.is_empty());
    assert_eq!(r.err, 0);
}

#[test]
fn multi_watch_events_in_order() {
    let mut d = Driver::new();
    d.tree.get_children("/", Some(1)).unwrap();
    d.tree.exists("/m", Some(2)).unwrap_err();
    d.apply(
        OpCode::Multi,
        multi(vec![
            sub(OpCode::Create, create_body("/m", "", false, 1)),
            sub(
                OpCode::SetData,
                TxnBody::SetData(SetDataTxn {
                    path: "/m".into(),
                    data: data("v"),
                    version: 1,
                }),
            ),
        ]),
    );
    let e = d.tree.take_watch_events();
    let got: Vec<_> = e
        .iter()
        .map(|e| (e.watcher, e.event_type().unwrap(), e.zxid))
        .collect();
    assert_eq!(
        got,
        vec![
            (2, EventType::NodeCreated, 1),
            (1, EventType::NodeChildrenChanged, 1)
        ]
    );
}

#[test]
fn close_session_with_txn_paths() {
    let mut d = Driver::new();
    let s1 = 0x100;
    let s2 = 0x200;
    d.create("/e", "");
    d.create_ephemeral("/e/1", s1);
    d.create_ephemeral("/e/2", s1);
    d.create_ephemeral("/x", s2);
    assert_eq!(
        d.tree.ephemerals(s1),
        vec!["/e/1".to_string(), "/e/2".to_string()]
    );
    assert_eq!(d.tree.ephemeral_count(), 3);
    assert_eq!(d.tree.stat("/e/1").unwrap().ephemeral_owner, s1);
    d.tree.exists("/e/1", Some(5)).unwrap();
    d.tree.get_children("/e", Some(6)).unwrap();
    // The txn lists only /e/1; /e/2 is deleted too (leftover local ephemerals).
    let r = d.close_session(s1, Some(vec!["/e/1".into()]));
    assert_eq!(r.err, 0);
    assert!(d.tree.node("/e/1").is_none());
    assert!(d.tree.node("/e/2").is_none());
    assert!(d.tree.ephemerals(s1).is_empty());
    assert_eq!(d.tree.sessions_with_ephemerals().count(), 1);
    assert_eq!(d.tree.node("/e").unwrap().stat.pzxid, 5);
    let e = d.tree.take_watch_events();
    let got: Vec<_> = e
        .iter()
        .map(|e| (e.watcher, e.event_type().unwrap(), e.path().to_string()))
        .collect();
    assert_eq!(
        got,
        vec![
            (5, EventType::NodeDeleted, "/e/1".into()),
            (6, EventType::NodeChildrenChanged, "/e".into())
        ]
    );
    // Without a body: all of the session's ephemerals.
    d.close_session(s2, None);
    assert!(d.tree.node("/x").is_none());
    assert_eq!(d.tree.ephemeral_count(), 0);
    assert_eq!(d.tree.sessions_with_ephemerals().count(), 0);
    // Unknown session, missing paths: ignored.
    let r = d.close_session(0x999, Some(vec!["/nope".into()]));
    assert_eq!(r.err, 0);
}

#[test]
fn deleted_ephemeral_leaves_empty_session_entry() {
    let mut d = Driver::new();
    d.create_ephemeral("/e", 7);
    d.delete("/e");
    let v: Vec<_> = d.tree.sessions_with_ephemerals().collect();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].0, 7);
    assert!(v[0].1.is_empty());
    d.close_session(7, Some(vec![]));
    assert_eq!(d.tree.sessions_with_ephemerals().count(), 0);
}

#[test]
fn containers_and_ttls() {
    let mut t = DataTree::with_config(TreeConfig {
        extended_types_enabled: true,
        digest_enabled: true,
        ..TreeConfig::default()
    });
    let h = |op: OpCode, zxid| header(op, zxid, 10, SESSION);
    let r = t.process_txn(
        &h(OpCode::CreateTtl, 1),
        &TxnBody::CreateTtl(CreateTtlTxn {
            path: "/t".into(),
            data: None,
            acl: open(),
            parent_c_version: 1,
            ttl: 100000,
        }),
    );
    assert_eq!(r.r#type, OpCode::CreateTtl as i32);
    assert_eq!(r.stat.unwrap().ephemeral_owner, 0);
    assert_eq!(
        t.node("/t").unwrap().stat.ephemeral_owner,
        0xff000000000186a0u64 as i64
    );
    assert_eq!(t.ttls(), vec!["/t".to_string()]);
    let r = t.process_txn(
        &h(OpCode::CreateTtl, 2),
        &TxnBody::CreateTtl(CreateTtlTxn {
            path: "/t2".into(),
            data: None,
            acl: open(),
            parent_c_version: 2,
            ttl: 0,
        }),
    );
    assert_eq!(r.err, ErrorCode::BadArguments.code());
    t.process_txn(
        &h(OpCode::CreateContainer, 3),
        &TxnBody::CreateContainer(CreateContainerTxn {
            path: "/c".into(),
            data: None,
            acl: open(),
            parent_c_version: 2,
        }),
    );
    assert_eq!(t.node("/c").unwrap().stat.ephemeral_owner, i64::MIN);
    assert_eq!(t.containers(), vec!["/c".to_string()]);
    assert_eq!(t.ephemeral_count(), 0);
    // deleteContainer is a DeleteTxn.
    t.process_txn(
        &h(OpCode::DeleteContainer, 4),
        &TxnBody::Delete(DeleteTxn { path: "/c".into() }),
    );
    t.process_txn(
        &h(OpCode::Delete, 5),
        &TxnBody::Delete(DeleteTxn { path: "/t".into() }),
    );
    assert!(t.containers().is_empty());
    assert!(t.ttls().is_empty());

    // Without extended types a TTL owner reads as a NORMAL ephemeral of that "session".
    let mut t = DataTree::new();
    t.process_txn(
        &h(OpCode::CreateTtl, 1),
        &TxnBody::CreateTtl(CreateTtlTxn {
            path: "/t".into(),
            data: None,
            acl: open(),
            parent_c_version: 1,
            ttl: 5,
        }),
    );
    assert!(t.ttls().is_empty());
    assert_eq!(
        t.ephemerals(0xff00000000000005u64 as i64),
        vec!["/t".to_string()]
    );
}
