//! Replays the txn log captured from a real ZooKeeper 3.8.0 server
//! (`shared/reference/captures/disk_out.txt`) and checks the tree digest after every txn, the
//! final node stats against the snapshot taken at zxid 0x14, and the ACL cache numbering.
//! The server ran with `zookeeper.extendedTypesEnabled=true` (it accepted a TTL create).

use bytes::Bytes;
use zkrs_datatree::{DataTree, SnapshotNode, TreeConfig};
use zkrs_jute::records::txn::*;
use zkrs_jute::{Acl, OpCode, StatPersisted, TxnBody};

const S0: i64 = 0x1000006b4b70000;
const S1: i64 = 0x1000006b4b70001;
const S2: i64 = 0x1000006b4b70002;

fn cfg() -> TreeConfig {
    TreeConfig {
        extended_types_enabled: true,
        digest_enabled: true,
        ..TreeConfig::default()
    }
}

fn open() -> Vec<Acl> {
    zkrs_jute::perms::open_acl_unsafe()
}

fn digest_acl() -> Vec<Acl> {
    vec![Acl::new(31, "digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=")]
}

fn create(path: &str, d: Option<&[u8]>, eph: bool, pcv: i32, acl: Vec<Acl>) -> TxnBody {
    TxnBody::Create(CreateTxn {
        path: path.into(),
        data: d.map(Bytes::copy_from_slice),
        acl,
        ephemeral: eph,
        parent_c_version: pcv,
    })
}

fn sub(op: OpCode, body: &TxnBody) -> Txn {
    body.to_sub_txn(op as i32)
}

/// (zxid, type, session, time, body, digest after the txn or None for error txns).
fn log(t5: i64, t8: i64) -> Vec<(i64, OpCode, i64, i64, TxnBody, Option<i64>)> {
    let base = 1_795_296_235_000i64;
    vec![
        (
            1,
            OpCode::CreateSession,
            S0,
            base,
            TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 }),
            Some(1371985504),
        ),
        (
            2,
            OpCode::Create,
            S0,
            base + 415,
            create("/a", Some(b"hello"), false, 1, open()),
            Some(1481561364),
        ),
        (
            3,
            OpCode::Create2,
            S0,
            base + 426,
            create("/a/seq-0000000000", Some(b"x"), false, 1, open()),
            Some(6371373819),
        ),
        (
            4,
            OpCode::Error,
            S0,
            base + 427,
            TxnBody::Error(ErrorTxn { err: -110 }),
            None,
        ),
        (
            5,
            OpCode::Create,
            S0,
            t5,
            create("/eph", Some(b""), true, 2, open()),
            Some(12030475315),
        ),
        (
            6,
            OpCode::CreateContainer,
            S0,
            base + 431,
            TxnBody::CreateContainer(CreateContainerTxn {
                path: "/cont".into(),
                data: None,
                acl: open(),
                parent_c_version: 3,
            }),
            Some(12969637820),
        ),
        (
            7,
            OpCode::CreateTtl,
            S0,
            base + 432,
            TxnBody::CreateTtl(CreateTtlTxn {
                path: "/ttl".into(),
                data: Some(Bytes::from_static(b"t")),
                acl: open(),
                parent_c_version: 4,
                ttl: 100000,
            }),
            Some(17182567413),
        ),
        (
            8,
            OpCode::SetData,
            S0,
            t8,
            TxnBody::SetData(SetDataTxn {
                path: "/a".into(),
                data: Some(Bytes::from_static(b"world")),
                version: 1,
            }),
            Some(19191101550),
        ),
        (
            9,
            OpCode::Multi,
            S0,
            base + 446,
            TxnBody::Multi(MultiTxn {
                txns: vec![
                    sub(
                        OpCode::Check,
                        &TxnBody::Check(CheckVersionTxn {
                            path: "/a".into(),
                            version: 2,
                        }),
                    ),
                    sub(OpCode::Create, &create("/m1", Some(b""), false, 5, open())),
                    sub(OpCode::Error, &TxnBody::Error(ErrorTxn { err: -101 })),
                    sub(OpCode::Error, &TxnBody::Error(ErrorTxn { err: -2 })),
                ],
            }),
            Some(19191101550),
        ),
        (
            10,
            OpCode::Multi,
            S0,
            base + 447,
            TxnBody::Multi(MultiTxn {
                txns: vec![
                    sub(
                        OpCode::Check,
                        &TxnBody::Check(CheckVersionTxn {
                            path: "/a".into(),
                            version: 2,
                        }),
                    ),
                    sub(OpCode::Create, &create("/m2", Some(b""), false, 5, open())),
                    sub(
                        OpCode::SetData,
                        &TxnBody::SetData(SetDataTxn {
                            path: "/a".into(),
                            data: Some(Bytes::from_static(b"z")),
                            version: 2,
                        }),
                    ),
                ],
            }),
            Some(13067247501),
        ),
        (
            11,
            OpCode::Create,
            S0,
            base + 450,
            create("/a/child", Some(b""), false, 2, open()),
            Some(15132226779),
        ),
        (
            12,
            OpCode::Create,
            S0,
            base + 461,
            create(
                "/secret",
                Some(b"s"),
                false,
                6,
                vec![
                    Acl::new(31, "digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="),
                    Acl::new(1, "ip", "127.0.0.0/8"),
                ],
            ),
            Some(18496175035),
        ),
        (
            13,
            OpCode::Create,
            S0,
            base + 464,
            create("/authacl", Some(b"s"), false, 7, digest_acl()),
            Some(20369386133),
        ),
        (
            14,
            OpCode::Error,
            S0,
            base + 470,
            TxnBody::Error(ErrorTxn { err: -103 }),
            None,
        ),
        (
            15,
            OpCode::CreateSession,
            S1,
            base + 480,
            TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 }),
            Some(20369386133),
        ),
        (
            16,
            OpCode::CloseSession,
            S1,
            base + 490,
            TxnBody::CloseSession(Some(CloseSessionTxn {
                paths2_delete: vec![],
            })),
            Some(20369386133),
        ),
        (
            17,
            OpCode::CloseSession,
            S0,
            base + 500,
            TxnBody::CloseSession(Some(CloseSessionTxn {
                paths2_delete: vec!["/eph".into()],
            })),
            Some(18336352178),
        ),
        (
            18,
            OpCode::CreateSession,
            S2,
            base + 510,
            TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 }),
            Some(18336352178),
        ),
        (
            19,
            OpCode::CloseSession,
            S2,
            base + 520,
            TxnBody::CloseSession(Some(CloseSessionTxn {
                paths2_delete: vec![],
            })),
            Some(18336352178),
        ),
    ]
}

fn replay(t5: i64, t8: i64, upto: i64) -> (DataTree, Vec<(i64, i64, Option<i64>)>) {
    let mut tree = DataTree::with_config(cfg());
    let mut seen = Vec::new();
    for (zxid, op, session, time, body, want) in log(t5, t8) {
        if zxid > upto {
            break;
        }
        let h = TxnHeader {
            client_id: session,
            cxid: 0,
            zxid,
            time,
            r#type: op as i32,
        };
        tree.process_txn(&h, &body);
        seen.push((zxid, tree.digest(), want));
    }
    (tree, seen)
}

/// The log does not record header times. Those of /eph's create (zxid 5) and of the setData at
/// zxid 8 were overwritten in the final snapshot, but the probe read them back
/// (`probe_out.txt`: getData /eph ctime, getChildren2 /a mtime).
fn find_times() -> (i64, i64) {
    let base = 1_795_296_235_000i64;
    (base + 430, base + 438)
}

#[test]
fn client_stats_match_probe() {
    let (t5, t8) = find_times();
    let b = 1_795_296_235_000i64;
    // getData /a at zxid 7.
    let (tree, _) = replay(t5, t8, 7);
    let s = tree.stat("/a").unwrap();
    assert_eq!(
        (s.czxid, s.mzxid, s.ctime, s.mtime, s.version, s.cversion, s.aversion),
        (2, 2, b + 415, b + 415, 0, 1, 0)
    );
    assert_eq!(
        (s.ephemeral_owner, s.data_length, s.num_children, s.pzxid),
        (0, 5, 1, 3)
    );
    // getData /eph: a NORMAL ephemeral shows its owner; /cont (container) and /ttl show 0.
    assert_eq!(
        tree.stat("/eph").unwrap().ephemeral_owner,
        72057622839623680
    );
    let c = tree.stat("/cont").unwrap();
    assert_eq!((c.ephemeral_owner, c.data_length), (0, 0));
    assert_eq!(tree.node("/cont").unwrap().data, None);
    assert_eq!(tree.stat("/ttl").unwrap().ephemeral_owner, 0);
    // getChildren2 /a at zxid 8.
    let (mut tree, _) = replay(t5, t8, 8);
    let (children, s) = tree.get_children("/a", None).unwrap();
    assert_eq!(children, vec!["seq-0000000000".to_string()]);
    assert_eq!(
        (s.mzxid, s.mtime, s.version, s.cversion, s.pzxid),
        (8, b + 438, 1, 1, 3)
    );
    // getEphemerals and getAllChildrenNumber / at zxid 0xb.
    let (tree, _) = replay(t5, t8, 11);
    assert_eq!(tree.ephemerals(S0), vec!["/eph".to_string()]);
    assert_eq!(tree.get_all_children_number("/"), Ok(10));
}

#[test]
fn empty_tree_digest_matches_server() {
    // The createSession at zxid 1 does not touch the tree: its digest is the empty tree's.
    assert_eq!(DataTree::new().digest(), 1371985504);
}

#[test]
fn digest_after_every_txn_matches_server() {
    let (t5, t8) = find_times();
    let (tree, seen) = replay(t5, t8, i64::MAX);
    let mut last = 0;
    for (zxid, got, want) in seen {
        match want {
            Some(w) => assert_eq!(got, w, "digest after zxid {zxid:#x}"),
            // Error txns carry no digest; the tree is unchanged.
            None => assert_eq!(got, last, "error txn {zxid:#x} changed the tree"),
        }
        last = got;
    }
    assert_eq!(tree.last_processed_zxid(), 19);
    assert_eq!(tree.compute_digest_from_scratch(), tree.digest());
}

type SnapRow = (
    &'static str,
    &'static [u8],
    Option<()>,
    i64,
    [i64; 4],
    [i32; 3],
    i64,
    i64,
);

/// The snapshot at zxid 0x14: (path, data, null?, acl, [czxid, mzxid, ctime, mtime],
/// [version, cversion, aversion], ephemeralOwner, pzxid).
fn snapshot_rows() -> Vec<SnapRow> {
    let b = 1_795_296_235_000i64;
    vec![
        ("", b"", None, -1, [0, 0, 0, 0], [0, 7, 0], 0, 17),
        (
            "/a",
            b"z",
            None,
            2,
            [2, 10, b + 415, b + 447],
            [2, 2, 0],
            0,
            11,
        ),
        (
            "/a/seq-0000000000",
            b"x",
            None,
            2,
            [3, 3, b + 426, b + 426],
            [0, 0, 0],
            0,
            3,
        ),
        (
            "/a/child",
            b"",
            None,
            2,
            [11, 11, b + 450, b + 450],
            [0, 0, 0],
            0,
            11,
        ),
        ("/zookeeper", b"", None, -1, [0, 0, 0, 0], [0, 0, 0], 0, 0),
        (
            "/zookeeper/config",
            b"",
            None,
            1,
            [0, 0, 0, 0],
            [0, 0, -1],
            0,
            0,
        ),
        (
            "/zookeeper/quota",
            b"",
            None,
            -1,
            [0, 0, 0, 0],
            [0, 0, 0],
            0,
            0,
        ),
        (
            "/authacl",
            b"s",
            None,
            4,
            [13, 13, b + 464, b + 464],
            [0, 0, 0],
            0,
            13,
        ),
        (
            "/m2",
            b"",
            None,
            2,
            [10, 10, b + 447, b + 447],
            [0, 0, 0],
            0,
            10,
        ),
        (
            "/secret",
            b"s",
            None,
            3,
            [12, 12, b + 461, b + 461],
            [0, 0, 0],
            0,
            12,
        ),
        (
            "/cont",
            b"",
            Some(()),
            2,
            [6, 6, b + 431, b + 431],
            [0, 0, 0],
            i64::MIN,
            6,
        ),
        (
            "/ttl",
            b"t",
            None,
            2,
            [7, 7, b + 432, b + 432],
            [0, 0, 0],
            0xff000000000186a0u64 as i64,
            7,
        ),
    ]
}

fn row_stat(r: &SnapRow) -> StatPersisted {
    StatPersisted {
        czxid: r.4[0],
        mzxid: r.4[1],
        ctime: r.4[2],
        mtime: r.4[3],
        version: r.5[0],
        cversion: r.5[1],
        aversion: r.5[2],
        ephemeral_owner: r.6,
        pzxid: r.7,
    }
}

#[test]
fn replayed_tree_equals_snapshot() {
    let (t5, t8) = find_times();
    let (tree, _) = replay(t5, t8, i64::MAX);
    let rows = snapshot_rows();
    assert_eq!(tree.node_count(), rows.len() + 1);
    for r in &rows {
        let n = tree.node(r.0).unwrap_or_else(|| panic!("{} missing", r.0));
        assert_eq!(n.stat, row_stat(r), "stat of {:?}", r.0);
        assert_eq!(n.acl, r.3, "acl of {:?}", r.0);
        if r.2.is_some() {
            assert_eq!(n.data, None, "data of {:?} is null", r.0);
        } else {
            assert_eq!(n.data.as_deref(), Some(r.1), "data of {:?}", r.0);
        }
    }
    let cache: Vec<(i64, Vec<Acl>)> = tree
        .acl_cache()
        .iter()
        .map(|(r, a)| (r, a.to_vec()))
        .collect();
    assert_eq!(
        cache,
        vec![
            (1, zkrs_jute::perms::read_acl_unsafe()),
            (2, open()),
            (
                3,
                vec![
                    Acl::new(31, "digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="),
                    Acl::new(1, "ip", "127.0.0.0/8")
                ]
            ),
            (4, digest_acl()),
        ]
    );
    assert_eq!(tree.containers(), vec!["/cont".to_string()]);
    assert_eq!(tree.ttls(), vec!["/ttl".to_string()]);
    assert_eq!(tree.ephemeral_count(), 0);
    // The root's client cversion: 7 creates (incl. the deleted /eph), 7 children (incl. /zookeeper).
    let root = tree.stat("/").unwrap();
    assert_eq!((root.cversion, root.num_children, root.pzxid), (7, 7, 17));
}

#[test]
fn snapshot_load_gives_server_digest() {
    let rows = snapshot_rows();
    let nodes = rows.iter().map(|r| SnapshotNode {
        path: r.0.into(),
        data: if r.2.is_some() {
            None
        } else {
            Some(Bytes::from_static(r.1))
        },
        acl: r.3,
        stat: row_stat(r),
    });
    let acls = vec![
        (1, zkrs_jute::perms::read_acl_unsafe()),
        (2, open()),
        (
            3,
            vec![
                Acl::new(31, "digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="),
                Acl::new(1, "ip", "127.0.0.0/8"),
            ],
        ),
        (4, digest_acl()),
    ];
    let tree = DataTree::from_snapshot(cfg(), acls, nodes).unwrap();
    assert_eq!(tree.digest(), 18336352178);
    assert_eq!(tree.node_count(), 13);
    assert_eq!(tree.acl_cache().usage(2), 6);
    assert_eq!(tree.acl_cache().usage(1), 1);
    assert_eq!(tree.containers(), vec!["/cont".to_string()]);
    assert_eq!(tree.ttls(), vec!["/ttl".to_string()]);
    // Pre-order: root first, parents before children.
    let order: Vec<&str> = tree.iter_preorder().map(|(p, _)| p).collect();
    assert_eq!(order[0], "");
    assert_eq!(order.len(), 12);
    for (i, p) in order.iter().enumerate().skip(1) {
        let parent = zkrs_datatree::path::parent(p);
        assert!(order[..i].contains(&parent), "{p} before its parent");
    }
}
