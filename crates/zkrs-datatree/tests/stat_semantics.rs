//! Stat maintenance for create / setData / setACL / delete sequences (§1.7).

mod common;

use common::*;
use zkrs_datatree::DataTree;
use zkrs_jute::records::txn::*;
use zkrs_jute::{perms, Acl, ErrorCode, OpCode, StatPersisted, TxnBody};

#[test]
fn empty_tree_layout() {
    let t = DataTree::new();
    assert_eq!(t.node_count(), 5);
    let (children, root) = DataTree::new().get_children("/", None).unwrap();
    assert_eq!(children, vec!["zookeeper".to_string()]);
    assert_eq!(root.num_children, 1);
    // copyStat: cversion 0 stored, one child → -1 for the client.
    assert_eq!(root.cversion, -1);
    let zk = t.stat("/zookeeper").unwrap();
    assert_eq!((zk.num_children, zk.cversion), (2, -2));
    let cfg = t.node("/zookeeper/config").unwrap();
    assert_eq!(cfg.stat.aversion, -1);
    assert_eq!(cfg.acl, 1);
    assert_eq!(t.acl_of(cfg), &perms::read_acl_unsafe()[..]);
    assert_eq!(t.node("/").unwrap().acl, -1);
    assert_eq!(
        t.node("/zookeeper/quota").unwrap().stat,
        StatPersisted::default()
    );
    assert_eq!(t.node("").unwrap().data.as_deref(), Some(&b""[..]));
    assert_eq!(t.last_processed_zxid(), 0);
    // 0 + 1 ("" and "/") + 10 + 16 + 17.
    assert_eq!(t.approximate_data_size(), 44);
    assert_eq!(t.compute_approximate_data_size(), 44);
}

#[test]
fn create_sets_every_field() {
    let mut d = Driver::new();
    let r = d.create2("/a", "hello");
    assert_eq!(r.err, 0);
    assert_eq!(r.path, "/a");
    assert_eq!(r.r#type, OpCode::Create2 as i32);
    let s = r.stat.unwrap();
    assert_eq!((s.czxid, s.mzxid, s.pzxid), (1, 1, 1));
    assert_eq!((s.ctime, s.mtime), (1001, 1001));
    assert_eq!((s.version, s.cversion, s.aversion), (0, 0, 0));
    assert_eq!(
        (s.ephemeral_owner, s.data_length, s.num_children),
        (0, 5, 0)
    );
    // Plain create returns no stat.
    assert_eq!(d.create("/b", "").stat, None);
    let root = d.tree.node("/").unwrap();
    assert_eq!(root.stat.cversion, 2);
    assert_eq!(root.stat.pzxid, 2);
    assert_eq!(root.stat.mzxid, 0);
    assert_eq!(d.tree.stat("/").unwrap().cversion, 2 * 2 - 3);
    assert_eq!(d.tree.last_processed_zxid(), 2);
}

#[test]
fn delete_moves_pzxid_not_cversion() {
    let mut d = Driver::new();
    d.create("/a", "");
    d.create("/a/x", "");
    d.create("/a/y", "");
    let before = d.tree.node("/a").unwrap().stat.clone();
    assert_eq!((before.cversion, before.pzxid), (2, 3));
    assert_eq!(d.tree.stat("/a").unwrap().cversion, 2);
    let r = d.delete("/a/x");
    assert_eq!((r.err, r.stat.clone(), r.path.as_str()), (0, None, "/a/x"));
    let a = d.tree.node("/a").unwrap();
    assert_eq!(a.stat.cversion, 2);
    assert_eq!(a.stat.pzxid, 4);
    // Client cversion counts creates + deletes: 2*2 - 1 = 3.
    assert_eq!(d.tree.stat("/a").unwrap().cversion, 3);
    assert_eq!(d.tree.stat("/a").unwrap().num_children, 1);
    // Deleting a missing child: NONODE, but the parent's pzxid still moves.
    let r = d.delete("/a/zz");
    assert_eq!(r.err, ErrorCode::NoNode.code());
    assert_eq!(d.tree.node("/a").unwrap().stat.pzxid, 5);
    // Missing parent: NONODE and nothing changes.
    assert_eq!(d.delete("/q/zz").err, ErrorCode::NoNode.code());
}

#[test]
fn sequential_numbering_from_stored_cversion() {
    let mut d = Driver::new();
    d.create("/q", "");
    for i in 0..3 {
        let cv = d.tree.node("/q").unwrap().stat.cversion;
        assert_eq!(cv, i);
        let p = format!("/q/n-{cv:010}");
        d.create(&p, "");
    }
    d.delete("/q/n-0000000001");
    let cv = d.tree.node("/q").unwrap().stat.cversion;
    assert_eq!(cv, 3, "deletes do not lower the stored cversion");
    assert_eq!(
        d.tree.get_children("/q", None).unwrap().0,
        vec!["n-0000000000".to_string(), "n-0000000002".to_string()]
    );
}

#[test]
fn parent_cversion_only_raised() {
    let mut d = Driver::new();
    d.create("/p", "");
    d.apply(OpCode::Create, create_body("/p/a", "", false, 5));
    assert_eq!(d.tree.node("/p").unwrap().stat.cversion, 5);
    assert_eq!(d.tree.node("/p").unwrap().stat.pzxid, 2);
    // A lower parentCVersion (fuzzy replay) leaves cversion and pzxid alone.
    d.apply(OpCode::Create, create_body("/p/b", "", false, 3));
    let s = &d.tree.node("/p").unwrap().stat;
    assert_eq!((s.cversion, s.pzxid), (5, 2));
    assert_eq!(d.tree.node("/p").unwrap().num_children(), 2);
    // -1 means "current + 1" (CreateTxnV0 and old logs).
    d.apply(OpCode::Create, create_body("/p/c", "", false, -1));
    let s = &d.tree.node("/p").unwrap().stat;
    assert_eq!((s.cversion, s.pzxid), (6, 4));
    d.apply(
        OpCode::Create,
        TxnBody::CreateV0(CreateTxnV0 {
            path: "/p/d".into(),
            data: None,
            acl: open(),
            ephemeral: false,
        }),
    );
    assert_eq!(d.tree.node("/p").unwrap().stat.cversion, 7);
    assert_eq!(d.tree.node("/p/d").unwrap().data, None);
}

#[test]
fn create_errors() {
    let mut d = Driver::new();
    assert_eq!(d.create("/x/y", "").err, ErrorCode::NoNode.code());
    d.create("/a", "");
    let r = d.create("/a", "");
    assert_eq!(r.err, ErrorCode::NodeExists.code());
    assert_eq!(r.path, "/a");
    // A NODEEXISTS create (type 1) still raises the parent's cversion/pzxid (setCversionPzxid).
    let root = &d.tree.node("/").unwrap().stat;
    assert_eq!((root.cversion, root.pzxid), (2, 3));
    // create2 does not.
    let pcv = d.next_pcv("/a");
    d.apply(OpCode::Create2, create_body("/a", "", false, pcv));
    let root = &d.tree.node("/").unwrap().stat;
    assert_eq!((root.cversion, root.pzxid), (2, 3));
    assert_eq!(d.tree.node_count(), 6);
}

#[test]
fn set_data_and_acl() {
    let mut d = Driver::new();
    d.create("/a", "x");
    let r = d.set_data("/a", "hello");
    assert_eq!(r.r#type, OpCode::SetData as i32);
    let s = r.stat.unwrap();
    assert_eq!(
        (s.version, s.mzxid, s.mtime, s.czxid, s.ctime),
        (1, 2, 1002, 1, 1001)
    );
    assert_eq!(s.data_length, 5);
    // The version in the txn is stored as is.
    d.apply(
        OpCode::SetData,
        TxnBody::SetData(SetDataTxn {
            path: "/a".into(),
            data: None,
            version: 7,
        }),
    );
    let n = d.tree.node("/a").unwrap();
    assert_eq!((n.stat.version, n.data.clone()), (7, None));
    assert_eq!(d.tree.stat("/a").unwrap().data_length, 0);
    let acl = vec![Acl::new(perms::READ, "world", "anyone")];
    let r = d.set_acl("/a", acl.clone());
    let s = r.stat.unwrap();
    assert_eq!((s.aversion, s.version, s.mzxid), (1, 7, 3));
    assert_eq!(d.tree.get_acl("/a").unwrap().0, acl);
    assert_eq!(d.tree.get_acl("/a").unwrap().1.aversion, 1);
    assert_eq!(d.set_data("/nope", "").err, ErrorCode::NoNode.code());
    assert_eq!(d.set_acl("/nope", acl).err, ErrorCode::NoNode.code());
    assert_eq!(d.tree.get_acl("/nope"), Err(ErrorCode::NoNode));
    // Reconfig is a setData on /zookeeper/config.
    let r = d.apply(
        OpCode::Reconfig,
        TxnBody::SetData(SetDataTxn {
            path: "/zookeeper/config".into(),
            data: data("server.1=x"),
            version: -1,
        }),
    );
    assert_eq!(r.stat.unwrap().version, -1);
    // Root data via "/".
    d.set_data("/", "r");
    assert_eq!(d.tree.node("").unwrap().data.as_deref(), Some(&b"r"[..]));
}

#[test]
fn error_and_session_txns_change_nothing() {
    let mut d = Driver::new();
    let before = d.tree.digest();
    let r = d.apply(OpCode::Error, TxnBody::Error(ErrorTxn { err: -110 }));
    assert_eq!((r.err, r.r#type, r.path.as_str()), (-110, -1, ""));
    assert_eq!(r.error(), Some(ErrorCode::NodeExists));
    let r = d.apply(
        OpCode::CreateSession,
        TxnBody::CreateSession(CreateSessionTxn { time_out: 5 }),
    );
    assert_eq!(r.err, 0);
    assert_eq!(d.tree.digest(), before);
    assert_eq!(d.tree.last_processed_zxid(), 2);
    // lastProcessedZxid never goes back.
    let h = header(OpCode::Error, 1, 0, SESSION);
    d.tree
        .process_txn(&h, &TxnBody::Error(ErrorTxn { err: -101 }));
    assert_eq!(d.tree.last_processed_zxid(), 2);
    // Top-level check (pre-3.8.5 servers): nothing applied, path reported.
    let r = d.apply(
        OpCode::Check,
        TxnBody::Check(CheckVersionTxn {
            path: "/a".into(),
            version: 1,
        }),
    );
    assert_eq!((r.err, r.path.as_str()), (0, "/a"));
    // Body not matching the type: MARSHALLINGERROR, not applied.
    let r = d.apply(
        OpCode::Create,
        TxnBody::Delete(DeleteTxn {
            path: "/zookeeper".into(),
        }),
    );
    assert_eq!(r.err, ErrorCode::MarshallingError.code());
    assert!(d.tree.node("/zookeeper").is_some());
}

#[test]
fn config_node() {
    let mut t = DataTree::new();
    t.set_config_data(bytes::Bytes::from_static(b"abc"));
    let n = t.node("/zookeeper/config").unwrap();
    assert_eq!(n.data.as_deref(), Some(&b"abc"[..]));
    assert_eq!(n.stat.mzxid, 0);
    assert_eq!(t.approximate_data_size(), 47);
    t.init_config_node(
        bytes::Bytes::from_static(b"server.1=h:1:2;3"),
        0x1_0000_0000,
        77,
    );
    let n = t.node("/zookeeper/config").unwrap();
    assert_eq!(
        (n.stat.version, n.stat.mzxid, n.stat.mtime, n.stat.aversion),
        (-1, 0x1_0000_0000, 77, -1)
    );
    // Nodes under /zookeeper/ do not count in the digest.
    assert_eq!(t.digest(), DataTree::new().digest());
}

#[test]
fn special_and_root_paths() {
    let mut d = Driver::new();
    // Creating "/" collides with the root.
    let r = d.apply(OpCode::Create, create_body("/", "", false, -1));
    assert_eq!(r.err, ErrorCode::NodeExists.code());
    assert_eq!(d.tree.node_count(), 5);
    // Deleting the root is refused.
    assert_ne!(d.delete("/").err, 0);
    assert!(d.tree.node("/").is_some());
    // Children under /zookeeper are allowed.
    assert_eq!(d.create("/zookeeper/x", "").err, 0);
    assert_eq!(
        d.tree.get_children("/zookeeper", None).unwrap().0,
        vec!["config", "quota", "x"]
    );
}
