//! Builders shared by the integration tests.
#![allow(dead_code)]

use bytes::Bytes;
use zkrs_datatree::{DataTree, ProcessTxnResult};
use zkrs_jute::records::txn::*;
use zkrs_jute::{perms, Acl, OpCode, TxnBody};

pub const SESSION: i64 = 0x0100_0006_b4b7_0000;

pub fn header(op: OpCode, zxid: i64, time: i64, session: i64) -> TxnHeader {
    TxnHeader {
        client_id: session,
        cxid: 1,
        zxid,
        time,
        r#type: op as i32,
    }
}

pub fn open() -> Vec<Acl> {
    perms::open_acl_unsafe()
}

pub fn data(s: &str) -> Option<Bytes> {
    Some(Bytes::copy_from_slice(s.as_bytes()))
}

pub fn create_body(path: &str, d: &str, ephemeral: bool, pcv: i32) -> TxnBody {
    TxnBody::Create(CreateTxn {
        path: path.into(),
        data: data(d),
        acl: open(),
        ephemeral,
        parent_c_version: pcv,
    })
}

/// A small driver: applies txns with increasing zxids and time = 1000 + zxid.
pub struct Driver {
    pub tree: DataTree,
    pub zxid: i64,
}

impl Driver {
    pub fn new() -> Self {
        Driver {
            tree: DataTree::new(),
            zxid: 0,
        }
    }

    pub fn with_tree(tree: DataTree) -> Self {
        Driver { tree, zxid: 0 }
    }

    pub fn apply(&mut self, op: OpCode, body: TxnBody) -> ProcessTxnResult {
        self.apply_as(op, body, SESSION)
    }

    pub fn apply_as(&mut self, op: OpCode, body: TxnBody, session: i64) -> ProcessTxnResult {
        self.zxid += 1;
        let h = header(op, self.zxid, 1000 + self.zxid, session);
        self.tree.process_txn(&h, &body)
    }

    /// create with parentCVersion = stored cversion + 1, as the prep stage computes it.
    pub fn create(&mut self, path: &str, d: &str) -> ProcessTxnResult {
        let pcv = self.next_pcv(path);
        self.apply(OpCode::Create, create_body(path, d, false, pcv))
    }

    pub fn create2(&mut self, path: &str, d: &str) -> ProcessTxnResult {
        let pcv = self.next_pcv(path);
        self.apply(OpCode::Create2, create_body(path, d, false, pcv))
    }

    pub fn create_ephemeral(&mut self, path: &str, session: i64) -> ProcessTxnResult {
        let pcv = self.next_pcv(path);
        self.apply_as(OpCode::Create, create_body(path, "", true, pcv), session)
    }

    pub fn next_pcv(&self, path: &str) -> i32 {
        let parent = zkrs_datatree::path::parent(path);
        self.tree.node(parent).map_or(0, |n| n.stat.cversion + 1)
    }

    pub fn delete(&mut self, path: &str) -> ProcessTxnResult {
        self.apply(
            OpCode::Delete,
            TxnBody::Delete(DeleteTxn { path: path.into() }),
        )
    }

    /// setData with version = current + 1.
    pub fn set_data(&mut self, path: &str, d: &str) -> ProcessTxnResult {
        let v = self.tree.node(path).map_or(0, |n| n.stat.version + 1);
        self.apply(
            OpCode::SetData,
            TxnBody::SetData(SetDataTxn {
                path: path.into(),
                data: data(d),
                version: v,
            }),
        )
    }

    pub fn set_acl(&mut self, path: &str, acl: Vec<Acl>) -> ProcessTxnResult {
        let v = self.tree.node(path).map_or(0, |n| n.stat.aversion + 1);
        self.apply(
            OpCode::SetAcl,
            TxnBody::SetAcl(SetAclTxn {
                path: path.into(),
                acl,
                version: v,
            }),
        )
    }

    pub fn close_session(&mut self, session: i64, paths: Option<Vec<String>>) -> ProcessTxnResult {
        self.apply_as(
            OpCode::CloseSession,
            TxnBody::CloseSession(paths.map(|p| CloseSessionTxn { paths2_delete: p })),
            session,
        )
    }
}

/// Structural invariants of a tree; panics with a message on violation.
pub fn check_invariants(t: &DataTree) {
    let mut count = 0usize;
    let mut eph = 0usize;
    for (p, n) in t.iter_preorder() {
        count += 1;
        if !p.is_empty() {
            let parent = zkrs_datatree::path::parent(p);
            let name = zkrs_datatree::path::child_name(p);
            let pn = t
                .node(parent)
                .unwrap_or_else(|| panic!("parent of {p} missing"));
            assert!(pn.has_child(name), "{parent} does not list {name}");
        }
        for c in n.children() {
            let cp = if p.is_empty() {
                format!("/{c}")
            } else {
                format!("{p}/{c}")
            };
            assert!(t.node(&cp).is_some(), "child {cp} missing");
        }
        assert_eq!(n.client_stat().num_children as usize, n.num_children());
        let owner = n.stat.ephemeral_owner;
        match n.ephemeral_type() {
            zkrs_datatree::EphemeralType::Normal => {
                eph += 1;
                assert!(
                    t.ephemerals(owner).contains(&p.to_string()),
                    "{p} not in ephemerals"
                );
            }
            zkrs_datatree::EphemeralType::Container => {
                assert!(t.containers().contains(&p.to_string()))
            }
            zkrs_datatree::EphemeralType::Ttl => assert!(t.ttls().contains(&p.to_string())),
            zkrs_datatree::EphemeralType::Void => assert_eq!(owner, 0),
        }
    }
    assert_eq!(count + 1, t.node_count(), "every node reachable");
    assert_eq!(eph, t.ephemeral_count());
    for (s, paths) in t.sessions_with_ephemerals() {
        for p in paths {
            let n = t.node(p).unwrap_or_else(|| panic!("ephemeral {p} missing"));
            assert_eq!(n.stat.ephemeral_owner, s);
        }
    }
    assert_eq!(t.digest(), t.compute_digest_from_scratch(), "digest");
    assert_eq!(
        t.approximate_data_size(),
        t.compute_approximate_data_size(),
        "data size"
    );
}
