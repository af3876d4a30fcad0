//! Helpers shared by the integration tests: a workload generator that produces txns exactly as
//! the session layer would (digest included), and tree comparison.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use bytes::Bytes;
use zkrs_datatree::{DataTree, TreeConfig};
use zkrs_jute::records::txn::*;
use zkrs_jute::{Acl, OpCode, StatPersisted, TxnBody, TxnDigest, TxnEntry, TxnHeader};

/// The golden files captured from ZooKeeper 3.8.0 (in zkrs-jute).
pub fn golden(name: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../zkrs-jute/tests/golden")
        .join(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The golden server ran with `zookeeper.extendedTypesEnabled=true`.
pub fn golden_config() -> TreeConfig {
    TreeConfig {
        extended_types_enabled: true,
        ..TreeConfig::default()
    }
}

/// Generates txns against a shadow tree, so every txn carries the right digest and
/// parentCVersion, and tracks the live sessions.
pub struct Workload {
    pub tree: DataTree,
    pub sessions: BTreeMap<i64, i32>,
    pub zxid: i64,
    pub entries: Vec<TxnEntry>,
    counter: u64,
}

impl Default for Workload {
    fn default() -> Self {
        Self::new()
    }
}

impl Workload {
    pub fn new() -> Self {
        Workload {
            tree: DataTree::new(),
            sessions: BTreeMap::new(),
            zxid: 0,
            entries: Vec::new(),
            counter: 0,
        }
    }

    fn push(&mut self, client_id: i64, op: OpCode, body: TxnBody) -> TxnEntry {
        self.zxid += 1;
        let header = TxnHeader {
            client_id,
            cxid: self.zxid as i32,
            zxid: self.zxid,
            time: 1_700_000_000_000 + self.zxid,
            r#type: op as i32,
        };
        match &body {
            TxnBody::CreateSession(cs) => {
                self.sessions.insert(client_id, cs.time_out);
            }
            TxnBody::CloseSession(_) => {
                self.sessions.remove(&client_id);
            }
            _ => {}
        }
        let _ = self.tree.process_txn(&header, &body);
        let _ = self.tree.take_watch_events();
        let digest = match body {
            TxnBody::Error(_) => None,
            _ => Some(TxnDigest {
                version: 2,
                tree_digest: self.tree.digest(),
            }),
        };
        let e = TxnEntry {
            header,
            body,
            digest,
        };
        self.entries.push(e.clone());
        e
    }

    pub fn create_session(&mut self, id: i64, timeout: i32) -> TxnEntry {
        self.push(
            id,
            OpCode::CreateSession,
            TxnBody::CreateSession(CreateSessionTxn { time_out: timeout }),
        )
    }

    pub fn close_session(&mut self, id: i64) -> TxnEntry {
        let paths = self.tree.ephemerals(id);
        self.push(
            id,
            OpCode::CloseSession,
            TxnBody::CloseSession(Some(CloseSessionTxn {
                paths2_delete: paths,
            })),
        )
    }

    pub fn create(&mut self, session: i64, path: &str, data: &[u8], ephemeral: bool) -> TxnEntry {
        self.create_acl(
            session,
            path,
            data,
            ephemeral,
            zkrs_jute::perms::open_acl_unsafe(),
        )
    }

    pub fn create_acl(
        &mut self,
        session: i64,
        path: &str,
        data: &[u8],
        ephemeral: bool,
        acl: Vec<Acl>,
    ) -> TxnEntry {
        let parent = match path.rfind('/') {
            Some(0) => "/",
            Some(i) => &path[..i],
            None => "/",
        };
        // As the prep stage would: failures become error txns.
        if self.tree.node(parent).is_none() {
            return self.error(session, -101);
        }
        if self.tree.node(path).is_some() {
            return self.error(session, -110);
        }
        let pcv = self.tree.node(parent).map_or(0, |n| n.stat.cversion) + 1;
        self.push(
            session,
            OpCode::Create,
            TxnBody::Create(CreateTxn {
                path: path.to_owned(),
                data: Some(Bytes::copy_from_slice(data)),
                acl,
                ephemeral,
                parent_c_version: pcv,
            }),
        )
    }

    pub fn set_data(&mut self, session: i64, path: &str, data: &[u8]) -> TxnEntry {
        let Some(node) = self.tree.node(path) else {
            return self.error(session, -101);
        };
        let version = node.stat.version + 1;
        self.push(
            session,
            OpCode::SetData,
            TxnBody::SetData(SetDataTxn {
                path: path.to_owned(),
                data: Some(Bytes::copy_from_slice(data)),
                version,
            }),
        )
    }

    pub fn delete(&mut self, session: i64, path: &str) -> TxnEntry {
        match self.tree.node(path) {
            None => return self.error(session, -101),
            Some(n) if n.num_children() > 0 => return self.error(session, -111),
            Some(_) => {}
        }
        self.push(
            session,
            OpCode::Delete,
            TxnBody::Delete(DeleteTxn {
                path: path.to_owned(),
            }),
        )
    }

    pub fn error(&mut self, session: i64, err: i32) -> TxnEntry {
        self.push(session, OpCode::Error, TxnBody::Error(ErrorTxn { err }))
    }

    /// A deterministic mix of every kind of txn; `n` txns.
    pub fn mixed(&mut self, n: usize) -> Vec<TxnEntry> {
        let mut out = Vec::new();
        let s1 = 0x0100_0000_0000_0001;
        let s2 = 0x0100_0000_0000_0002;
        while out.len() < n {
            self.counter += 1;
            let c = self.counter;
            let e = match c % 9 {
                1 if !self.sessions.contains_key(&s1) => self.create_session(s1, 30_000),
                2 if !self.sessions.contains_key(&s2) => self.create_session(s2, 10_000),
                1..=3 => self.create(s1, &format!("/n{}", c % 50), b"data", false),
                4 => self.create(
                    s2,
                    &format!("/n{}/c{}", (c / 9) % 50, c),
                    &[c as u8; 3],
                    false,
                ),
                5 => self.create(s2, &format!("/e{c}"), b"eph", true),
                6 => self.set_data(s1, &format!("/n{}", c % 50), format!("v{c}").as_bytes()),
                7 => self.error(s1, -110),
                8 if c % 4 == 0 => self.close_session(s2),
                8 => self.delete(s1, &format!("/n{}", (c + 7) % 50)),
                _ => self.create_acl(
                    s1,
                    &format!("/acl{}", c % 7),
                    b"",
                    false,
                    vec![Acl::new(31, "digest", format!("u{}:x", c % 3))],
                ),
            };
            out.push(e);
        }
        out
    }
}

/// Every node in pre-order with its data, ACL list and stat: the comparable content of a tree.
pub fn tree_dump(t: &DataTree) -> Vec<(String, Option<Bytes>, Vec<Acl>, StatPersisted)> {
    t.iter_preorder()
        .map(|(p, n)| {
            (
                p.to_owned(),
                n.data.clone(),
                t.acl_of(n).to_vec(),
                n.stat.clone(),
            )
        })
        .collect()
}

/// Asserts two trees hold the same nodes, stats, ACLs and digest.
pub fn assert_same_tree(a: &DataTree, b: &DataTree) {
    assert_eq!(tree_dump(a), tree_dump(b));
    assert_eq!(a.digest(), b.digest());
    assert_eq!(
        a.compute_digest_from_scratch(),
        b.compute_digest_from_scratch()
    );
    assert_eq!(a.node_count(), b.node_count());
}
