//! Random txn sequences keep the tree's invariants: every node's parent exists and lists it,
//! numChildren matches, the ephemeral/container indexes match the owners, the incremental digest
//! and data size equal a recomputation, and a snapshot round trip gives the same tree.

mod common;

use common::*;
use proptest::prelude::*;
use zkrs_datatree::{DataTree, SnapshotNode, TreeConfig};
use zkrs_jute::records::txn::*;
use zkrs_jute::{AddWatchMode, OpCode, TxnBody};

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

#[derive(Debug, Clone)]
enum Op {
    Create {
        path: Vec<u8>,
        kind: u8,
        data: Vec<u8>,
    },
    Delete {
        path: Vec<u8>,
    },
    SetData {
        path: Vec<u8>,
        data: Vec<u8>,
    },
    SetAcl {
        path: Vec<u8>,
        read_only: bool,
    },
    Close {
        session: i64,
        with_txn: bool,
    },
    Multi {
        ops: Vec<(Vec<u8>, bool)>,
        fail_at: Option<usize>,
    },
    Watch {
        path: Vec<u8>,
        watcher: u64,
        how: u8,
    },
}

fn path_of(ix: &[u8]) -> String {
    let mut s = String::new();
    for &i in ix {
        s.push('/');
        s.push_str(NAMES[i as usize % NAMES.len()]);
    }
    s
}

fn path_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(0u8..4, 1..4)
}

fn op_strategy() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (path_strategy(), 0u8..6, prop::collection::vec(any::<u8>(), 0..6))
            .prop_map(|(path, kind, data)| Op::Create { path, kind, data }),
        3 => path_strategy().prop_map(|path| Op::Delete { path }),
        2 => (path_strategy(), prop::collection::vec(any::<u8>(), 0..6))
            .prop_map(|(path, data)| Op::SetData { path, data }),
        1 => (path_strategy(), any::<bool>()).prop_map(|(path, read_only)| Op::SetAcl { path, read_only }),
        1 => (1i64..4, any::<bool>()).prop_map(|(session, with_txn)| Op::Close { session, with_txn }),
        1 => (prop::collection::vec((path_strategy(), any::<bool>()), 1..4), prop::option::of(0usize..4))
            .prop_map(|(ops, fail_at)| Op::Multi { ops, fail_at }),
        2 => (path_strategy(), 1u64..4, 0u8..5).prop_map(|(path, watcher, how)| Op::Watch { path, watcher, how }),
    ]
}

/// Applies one op; true if a create hit NODEEXISTS (ZooKeeper then counts the ACL usage twice).
fn apply(d: &mut Driver, op: &Op) -> bool {
    let exists_before = match op {
        Op::Create { path, .. } => d.tree.node(&path_of(path)).is_some(),
        Op::Multi { ops, .. } => {
            let mut seen = std::collections::BTreeSet::new();
            ops.iter().any(|(p, c)| {
                *c && (d.tree.node(&path_of(p)).is_some() || !seen.insert(path_of(p)))
            })
        }
        _ => false,
    };
    match op {
        Op::Create { path, kind, data } => {
            let p = path_of(path);
            if parent_is_ephemeral(d, &p) {
                return false;
            }
            let pcv = d.next_pcv(&p);
            let body = |eph: bool| {
                TxnBody::Create(CreateTxn {
                    path: p.clone(),
                    data: Some(bytes::Bytes::copy_from_slice(data)),
                    acl: open(),
                    ephemeral: eph,
                    parent_c_version: pcv,
                })
            };
            match kind {
                0 | 1 => {
                    d.apply(OpCode::Create, body(false));
                }
                2 | 3 => {
                    d.apply_as(OpCode::Create2, body(true), i64::from(*kind) - 1);
                }
                4 => {
                    d.apply(
                        OpCode::CreateContainer,
                        TxnBody::CreateContainer(CreateContainerTxn {
                            path: p.clone(),
                            data: None,
                            acl: open(),
                            parent_c_version: pcv,
                        }),
                    );
                }
                _ => {
                    d.apply(
                        OpCode::CreateTtl,
                        TxnBody::CreateTtl(CreateTtlTxn {
                            path: p.clone(),
                            data: None,
                            acl: open(),
                            parent_c_version: pcv,
                            ttl: 1000,
                        }),
                    );
                }
            }
        }
        Op::Delete { path } => {
            let p = path_of(path);
            // The prep stage never deletes a node with children.
            if d.tree.node(&p).map_or(true, |n| n.num_children() == 0) {
                d.delete(&p);
            }
        }
        Op::SetData { path, data } => {
            let p = path_of(path);
            let v = d.tree.node(&p).map_or(0, |n| n.stat.version + 1);
            d.apply(
                OpCode::SetData,
                TxnBody::SetData(SetDataTxn {
                    path: p,
                    data: Some(bytes::Bytes::copy_from_slice(data)),
                    version: v,
                }),
            );
        }
        Op::SetAcl { path, read_only } => {
            let acl = if *read_only {
                zkrs_jute::perms::read_acl_unsafe()
            } else {
                open()
            };
            d.set_acl(&path_of(path), acl);
        }
        Op::Close { session, with_txn } => {
            let paths = with_txn.then(|| d.tree.ephemerals(*session));
            d.close_session(*session, paths);
        }
        Op::Multi { ops, fail_at } => {
            let mut subs = Vec::new();
            for (i, (path, create)) in ops.iter().enumerate() {
                if Some(i) == *fail_at {
                    subs.push(
                        TxnBody::Error(ErrorTxn { err: -101 }).to_sub_txn(OpCode::Error as i32),
                    );
                }
                let p = path_of(path);
                if *create {
                    if parent_is_ephemeral(d, &p) {
                        continue;
                    }
                    subs.push(create_body(&p, "m", false, -1).to_sub_txn(OpCode::Create as i32));
                } else if d.tree.node(&p).map_or(true, |n| n.num_children() == 0)
                    && !ops
                        .iter()
                        .any(|(q, c)| *c && path_of(q).starts_with(&format!("{p}/")))
                {
                    subs.push(
                        TxnBody::Delete(DeleteTxn { path: p }).to_sub_txn(OpCode::Delete as i32),
                    );
                }
            }
            d.apply(OpCode::Multi, TxnBody::Multi(MultiTxn { txns: subs }));
        }
        Op::Watch { path, watcher, how } => {
            let p = path_of(path);
            match how {
                0 => {
                    let _ = d.tree.get_data(&p, Some(*watcher));
                }
                1 => {
                    let _ = d.tree.exists(&p, Some(*watcher));
                }
                2 => {
                    let _ = d.tree.get_children(&p, Some(*watcher));
                }
                3 => d.tree.add_watch(&p, *watcher, AddWatchMode::Persistent),
                _ => d
                    .tree
                    .add_watch(&p, *watcher, AddWatchMode::PersistentRecursive),
            }
        }
    }
    exists_before
}

/// The prep stage refuses children of NORMAL ephemerals (NOCHILDRENFOREPHEMERALS).
fn parent_is_ephemeral(d: &Driver, p: &str) -> bool {
    d.tree
        .node(zkrs_datatree::path::parent(p))
        .is_some_and(|n| n.ephemeral_type() == zkrs_datatree::EphemeralType::Normal)
}

fn round_trip(t: &DataTree) -> DataTree {
    let acls: Vec<_> = t.acl_cache().iter().map(|(r, a)| (r, a.to_vec())).collect();
    let nodes: Vec<SnapshotNode> = t
        .iter_preorder()
        .map(|(p, n)| SnapshotNode {
            path: p.to_string(),
            data: n.data.clone(),
            acl: n.acl,
            stat: n.stat.clone(),
        })
        .collect();
    DataTree::from_snapshot(t.config(), acls, nodes).expect("snapshot loads")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, .. ProptestConfig::default() })]

    #[test]
    fn invariants_hold(ops in prop::collection::vec(op_strategy(), 1..60)) {
        let tree = DataTree::with_config(TreeConfig { extended_types_enabled: true, digest_enabled: true, ..TreeConfig::default() });
        let mut d = Driver::with_tree(tree);
        let mut leaked = false;
        for op in &ops {
            leaked |= apply(&mut d, op);
            check_invariants(&d.tree);
            for e in d.tree.take_watch_events() {
                prop_assert_eq!(e.event.state, 3);
                prop_assert_eq!(e.zxid, d.zxid);
            }
        }
        // Every stored ACL is in use, with the right count (a NODEEXISTS create on replay adds a
        // usage that is never removed, as in ZooKeeper).
        let mut uses = std::collections::BTreeMap::new();
        for (_, n) in d.tree.iter_preorder() {
            if n.acl != -1 {
                *uses.entry(n.acl).or_insert(0i64) += 1;
            }
        }
        for (r, _) in d.tree.acl_cache().iter() {
            let want = uses.get(&r).copied().unwrap_or(0);
            if leaked {
                prop_assert!(d.tree.acl_cache().usage(r) >= want);
            } else {
                prop_assert_eq!(d.tree.acl_cache().usage(r), want);
            }
        }
        for r in uses.keys() {
            prop_assert!(d.tree.acl_cache().contains(*r));
        }
        let copy = round_trip(&d.tree);
        prop_assert_eq!(copy.digest(), d.tree.digest());
        prop_assert_eq!(copy.node_count(), d.tree.node_count());
        prop_assert_eq!(copy.ephemeral_count(), d.tree.ephemeral_count());
        prop_assert_eq!(copy.containers(), d.tree.containers());
        prop_assert_eq!(copy.ttls(), d.tree.ttls());
        let a: Vec<_> = copy.iter_preorder().map(|(p, n)| (p.to_string(), n.clone())).collect();
        let b: Vec<_> = d.tree.iter_preorder().map(|(p, n)| (p.to_string(), n.clone())).collect();
        prop_assert_eq!(a, b);
    }
}

fn frozen(
    nodes: zkrs_datatree::PreorderIter<'_>,
) -> Vec<(String, zkrs_datatree::DataNode, Vec<String>)> {
    nodes
        .map(|(p, n)| {
            let children = n.children().map(str::to_owned).collect();
            (p.to_string(), n.clone(), children)
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A [`zkrs_datatree::SnapshotView`] is copy-on-write: whatever txns come after it, it still
    /// shows exactly the tree at the moment it was taken (nodes, children, ACLs, zxid, digest),
    /// and the live tree is exactly what it would be without the view.
    #[test]
    fn a_snapshot_view_is_unchanged_by_later_txns(
        before in prop::collection::vec(op_strategy(), 0..30),
        after in prop::collection::vec(op_strategy(), 1..40),
    ) {
        let tree = DataTree::with_config(TreeConfig::default());
        let mut d = Driver::with_tree(tree);
        for op in &before {
            apply(&mut d, op);
        }
        let view = d.tree.view();
        let expected = frozen(d.tree.iter_preorder());
        let expected_acls: Vec<_> =
            d.tree.acl_cache().iter().map(|(r, a)| (r, a.to_vec())).collect();
        let (zxid, digest) = (d.tree.last_processed_zxid(), d.tree.digest());

        // The same txns on a tree that never had a view.
        let mut plain = Driver::with_tree(DataTree::with_config(TreeConfig::default()));
        for op in before.iter().chain(&after) {
            apply(&mut plain, op);
        }
        for op in &after {
            apply(&mut d, op);
        }

        prop_assert_eq!(frozen(view.iter_preorder()), expected);
        let view_acls: Vec<_> = view.acl_cache().iter().map(|(r, a)| (r, a.to_vec())).collect();
        prop_assert_eq!(view_acls, expected_acls);
        prop_assert_eq!(view.last_processed_zxid(), zxid);
        prop_assert_eq!(view.digest(), digest);
        prop_assert_eq!(view.len(), frozen(view.iter_preorder()).len());

        prop_assert_eq!(frozen(d.tree.iter_preorder()), frozen(plain.tree.iter_preorder()));
        prop_assert_eq!(d.tree.digest(), plain.tree.digest());
        prop_assert_eq!(d.tree.compute_digest_from_scratch(), d.tree.digest());
    }
}
