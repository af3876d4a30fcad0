//! The SNAP sync stream: golden bytes of ZooKeeper 3.8.0 (the payload a leader sent to a fake
//! follower, `/work/shared/reference/captures/fake3_out.txt`, and the body of the golden
//! snapshot file, which `serializeSnapshot` writes identically on the learner port), round trips
//! through the incremental decoder however the bytes are cut, and broken streams rejected
//! without panicking.

mod common;

use std::collections::BTreeMap;

use bytes::{BufMut, Bytes, BytesMut};
use common::{assert_same_tree, golden, golden_config};
use proptest::prelude::*;
use zkrs_datatree::{DataTree, SnapshotError, TreeConfig};
use zkrs_jute::records::txn::*;
use zkrs_jute::{Acl, DecodeError, Jute, OpCode, StatPersisted, TxnBody, TxnHeader};
use zkrs_storage::*;

const CONFIG: &str = "server.1=127.0.0.1:42888:43888:participant;127.0.0.1:42181\n\
server.2=127.0.0.1:42889:43889:participant;127.0.0.1:42182\n\
server.3=127.0.0.1:42890:43890:participant;127.0.0.1:42183\nversion=0";

fn put_str(out: &mut Vec<u8>, s: &str) {
    out.put_i32(s.len() as i32);
    out.put_slice(s.as_bytes());
}

fn put_node(out: &mut Vec<u8>, path: &str, data: &[u8], acl: i64, stat: &StatPersisted) {
    put_str(out, path);
    out.put_i32(data.len() as i32);
    out.put_slice(data);
    out.put_i64(acl);
    stat.write_to(out);
}

fn opts(tree_config: TreeConfig) -> SnapshotReadOptions {
    SnapshotReadOptions {
        tree_config,
        ..SnapshotReadOptions::default()
    }
}

/// Decodes `bytes` fed in one piece; asserts nothing is left over.
fn decode_whole(bytes: &[u8], zxid: i64, o: SnapshotReadOptions) -> SnapStreamLoaded {
    let mut d = SnapStreamDecoder::new(zxid, o);
    let mut buf = BytesMut::from(bytes);
    let loaded = d.feed(&mut buf).unwrap().expect("complete stream");
    assert!(buf.is_empty());
    assert_eq!(loaded.stream_len_bytes, bytes.len() as u64);
    loaded
}

/// Decodes `bytes` cut at the given points; the decoder must ask for more until the last piece.
fn decode_in_pieces(
    bytes: &[u8],
    cuts: &[usize],
    zxid: i64,
    o: SnapshotReadOptions,
) -> Result<Option<SnapStreamLoaded>, SnapStreamError> {
    let mut d = SnapStreamDecoder::new(zxid, o);
    let mut buf = BytesMut::new();
    let mut from = 0;
    for &to in cuts.iter().chain(std::iter::once(&bytes.len())) {
        let to = to.clamp(from, bytes.len());
        buf.extend_from_slice(&bytes[from..to]);
        from = to;
        if let Some(l) = d.feed(&mut buf)? {
            assert_eq!(to, bytes.len(), "loaded before the end");
            assert!(buf.is_empty());
            return Ok(Some(l));
        }
    }
    Ok(None)
}

/// Everything a loaded tree holds that a follower relies on.
fn assert_same_loaded_tree(a: &DataTree, b: &DataTree) {
    assert_same_tree(a, b);
    assert_eq!(
        a.sessions_with_ephemerals()
            .map(|(s, p)| (s, p.clone()))
            .collect::<Vec<_>>(),
        b.sessions_with_ephemerals()
            .map(|(s, p)| (s, p.clone()))
            .collect::<Vec<_>>()
    );
    assert_eq!(a.containers(), b.containers());
    assert_eq!(a.ttls(), b.ttls());
    assert_eq!(a.quota_paths(), b.quota_paths());
    assert_eq!(a.approximate_data_size(), b.approximate_data_size());
    let acls = |t: &DataTree| {
        t.acl_cache()
            .iter()
            .map(|(r, l)| (r, l.to_vec(), t.acl_cache().usage(r)))
            .collect::<Vec<_>>()
    };
    assert_eq!(acls(a), acls(b));
    assert_eq!(a.acl_cache().last_index(), b.acl_cache().last_index());
}

// ---------------------------------------------------------------------------------------------
// Golden: fake3_out.txt.

/// The SNAP payload ZooKeeper 3.8.0 (server 2, leading a fresh ensemble) sent after
/// `SNAP zxid=0x100000000`, as fake3.py decoded it: sessions=[], aclcache={1: [(1, 'world',
/// 'anyone')]}, nodes ['' b'' -1, /zookeeper b'' -1, /zookeeper/config <config> 1,
/// /zookeeper/quota b'' -1], signature 'BenWasHere'. The capture logged no stats; these are
/// the ones a fresh `DataTree` + `initConfigInZKDatabase` gives (all zero, except the config
/// node's `setData(version -1, zxid = config version 0, time)` and `setACL(-1)`).
fn fake3_payload(config_mtime: i64) -> Vec<u8> {
    let mut b = Vec::new();
    b.put_i32(0); // sessions
    b.put_i32(1); // ACL cache
    b.put_i64(1);
    b.put_i32(1);
    Acl::new(1, "world", "anyone").write_to(&mut b);
    let zero = StatPersisted::default();
    put_node(&mut b, "", b"", -1, &zero);
    put_node(&mut b, "/zookeeper", b"", -1, &zero);
    let config_stat = StatPersisted {
        mtime: config_mtime,
        version: -1,
        aversion: -1,
        ..StatPersisted::default()
    };
    put_node(
        &mut b,
        "/zookeeper/config",
        CONFIG.as_bytes(),
        1,
        &config_stat,
    );
    put_node(&mut b, "/zookeeper/quota", b"", -1, &zero);
    put_str(&mut b, "/");
    put_str(&mut b, "BenWasHere");
    b
}

fn fake3_tree(config_mtime: i64) -> DataTree {
    let mut t = DataTree::new();
    t.init_config_node(Bytes::from_static(CONFIG.as_bytes()), 0, config_mtime);
    let _ = t.take_watch_events();
    t
}

#[test]
fn golden_fake3_snap_payload_written_byte_for_byte() {
    let mtime = 1_700_000_123_456;
    let tree = fake3_tree(mtime);
    let mut out = Vec::new();
    write_snap_stream(&tree.view(), [], &SnapshotOrder::Sorted, &mut out);
    assert_eq!(out, fake3_payload(mtime));
    // The same with ZooKeeper's hash order: one child per node but /zookeeper's two, and
    // "config" comes before "quota" in a 8-slot HashSet too, as captured.
    let mut java = Vec::new();
    write_snap_stream(
        &tree.view(),
        [],
        &SnapshotOrder::Java(JavaHashOrder::default()),
        &mut java,
    );
    assert_eq!(java, out);
}

#[test]
fn golden_fake3_snap_payload_decodes_to_what_was_captured() {
    let zxid = 0x1_0000_0000;
    let bytes = fake3_payload(42);
    let l = decode_whole(&bytes, zxid, SnapshotReadOptions::default());
    assert!(l.sessions.is_empty());
    assert_eq!(l.tree.last_processed_zxid(), zxid);
    let cache: Vec<_> = l
        .tree
        .acl_cache()
        .iter()
        .map(|(r, a)| (r, a.to_vec()))
        .collect();
    assert_eq!(cache, [(1, vec![Acl::new(1, "world", "anyone")])]);
    let nodes: Vec<_> = l
        .tree
        .iter_preorder()
        .map(|(p, n)| (p.to_owned(), n.data.clone().unwrap_or_default(), n.acl))
        .collect();
    assert_eq!(
        nodes,
        [
            ("".to_owned(), Bytes::new(), -1),
            ("/zookeeper".to_owned(), Bytes::new(), -1),
            (
                "/zookeeper/config".to_owned(),
                Bytes::from_static(CONFIG.as_bytes()),
                1
            ),
            ("/zookeeper/quota".to_owned(), Bytes::new(), -1),
        ]
    );
    assert_same_loaded_tree(&l.tree, &fake3_tree(42));
}

// ---------------------------------------------------------------------------------------------
// Golden: the body of ZooKeeper 3.8.0's snapshot file is the SNAP stream's body.

/// `snapshot.bin` (3.8.0): header (16 bytes), body, seal 1 (13), digest section + seal 2 (33).
fn golden_snap_stream() -> Vec<u8> {
    let file = golden("snapshot.bin");
    let body = &file[16..file.len() - 33 - 13];
    assert_eq!(body[body.len() - 5..], [0, 0, 0, 1, b'/']);
    let mut s = body.to_vec();
    put_str(&mut s, SNAP_SIGNATURE);
    s
}

fn java_order_golden() -> SnapshotOrder {
    // As in tests/golden.rs: /golden's children set once held 14 names (capacity 32).
    let mut j = JavaHashOrder::default();
    j.child_capacity.insert("/golden".to_owned(), 32);
    SnapshotOrder::Java(j)
}

#[test]
fn golden_zk38_database_as_a_snap_stream() {
    let file = LoadedSnapshot::deserialize(&golden("snapshot.bin"), opts(golden_config())).unwrap();
    let stream = golden_snap_stream();

    // Written: what a 3.8.0 leader holding this database sends after SNAP.
    let mut out = Vec::new();
    write_snap_stream(
        &file.tree.view(),
        file.sessions.clone(),
        &java_order_golden(),
        &mut out,
    );
    assert_eq!(out, stream, "Java-order SNAP stream differs");

    // Read: the same tree as the file loader builds.
    let l = decode_whole(&stream, 0x1e, opts(golden_config()));
    assert_eq!(l.sessions, file.sessions);
    assert_eq!(l.tree.last_processed_zxid(), 0x1e);
    assert_same_loaded_tree(&l.tree, &file.tree);
    assert_eq!(l.tree.ephemerals(0x0100_000b_7b7f_0001), ["/golden/eph-b"]);
    assert_eq!(l.tree.containers(), ["/golden/container"]);
    assert_eq!(l.tree.ttls(), ["/golden/ttl"]);
    assert_eq!(l.tree.digest(), 14_587_162_051);
    assert_eq!(l.tree.node("/golden/nulldata").unwrap().data, None);
}

// ---------------------------------------------------------------------------------------------
// Round trips.

struct Builder {
    tree: DataTree,
    zxid: i64,
}

impl Builder {
    fn apply(&mut self, session: i64, op: OpCode, body: TxnBody) {
        self.zxid += 1;
        let header = TxnHeader {
            client_id: session,
            cxid: 1,
            zxid: self.zxid,
            time: 1_700_000_000_000 + self.zxid,
            r#type: op as i32,
        };
        let r = self.tree.process_txn(&header, &body);
        assert_eq!(r.err, 0, "{op:?} {body:?}");
        let _ = self.tree.take_watch_events();
    }

    fn pcv(&self, path: &str) -> i32 {
        let parent = match path.rfind('/') {
            Some(0) | None => "/",
            Some(i) => &path[..i],
        };
        self.tree.node(parent).map_or(0, |n| n.stat.cversion) + 1
    }

    fn create(&mut self, session: i64, path: &str, data: &[u8], ephemeral: bool, acl: Vec<Acl>) {
        let body = TxnBody::Create(CreateTxn {
            path: path.to_owned(),
            data: Some(Bytes::copy_from_slice(data)),
            acl,
            ephemeral,
            parent_c_version: self.pcv(path),
        });
        self.apply(session, OpCode::Create, body);
    }
}

/// A tree with every kind of node: `nodes` persistent nodes two levels deep (some updated,
/// some deleted), ephemerals of three owners, sequential names, a container, a TTL node, null
/// data, several ACL lists, a quota with its stat node; and the sessions.
fn rich_tree(nodes: usize) -> (DataTree, BTreeMap<i64, i32>) {
    let mut b = Builder {
        tree: DataTree::with_config(extended()),
        zxid: 0x5_0000_0000,
    };
    let open = zkrs_jute::perms::open_acl_unsafe;
    let (s1, s2, s3) = (
        0x0100_0000_0000_0001,
        0x0100_0000_0000_0002,
        0x0200_0000_0000_0003,
    );
    let mut sessions = BTreeMap::new();
    for (s, timeout) in [
        (s1, 30_000),
        (s2, 10_000),
        (s3, 40_000),
        (0x0300_0000_0000_0009, 6_000),
    ] {
        b.apply(
            s,
            OpCode::CreateSession,
            TxnBody::CreateSession(CreateSessionTxn { time_out: timeout }),
        );
        sessions.insert(s, timeout);
    }
    for d in 0..10 {
        b.create(s1, &format!("/bulk{d}"), b"dir", false, open());
    }
    for i in 0..nodes {
        let path = format!("/bulk{}/n-{i:06}", i % 10);
        b.create(s1, &path, format!("value {i}").as_bytes(), false, open());
        if i % 7 == 3 {
            b.apply(
                s1,
                OpCode::SetData,
                TxnBody::SetData(SetDataTxn {
                    path: path.clone(),
                    data: Some(Bytes::from(vec![b'v'; i % 300])),
                    version: 1,
                }),
            );
        }
        if i % 11 == 5 {
            b.apply(s1, OpCode::Delete, TxnBody::Delete(DeleteTxn { path }));
        }
    }
    for i in 0..5 {
        b.create(s2, &format!("/bulk{i}/eph"), b"e2", true, open());
    }
    b.create(s3, "/seq", b"", false, open());
    for i in 0..20 {
        let acl = vec![Acl::new(31, "digest", format!("user{}:hash", i % 4))];
        b.create(
            s3,
            &format!("/seq/item-{i:010}"),
            &[i as u8; 17],
            false,
            acl,
        );
        b.create(s3, &format!("/seq/eph-{i:010}"), b"e", true, open());
    }
    b.apply(
        s3,
        OpCode::CreateContainer,
        TxnBody::CreateContainer(CreateContainerTxn {
            path: "/box".to_owned(),
            data: Some(Bytes::from_static(b"c")),
            acl: open(),
            parent_c_version: b.pcv("/box"),
        }),
    );
    b.create(s3, "/box/in", b"x", false, open());
    b.apply(
        s3,
        OpCode::CreateTtl,
        TxnBody::CreateTtl(CreateTtlTxn {
            path: "/ttl".to_owned(),
            data: None,
            acl: vec![Acl::new(1, "world", "anyone")],
            parent_c_version: b.pcv("/ttl"),
            ttl: 5_000,
        }),
    );
    b.create(s3, "/quotaed", b"abc", false, open());
    b.create(s3, "/quotaed/child", b"defg", false, open());
    b.create(s3, "/zookeeper/quota/quotaed", b"", false, open());
    b.create(
        s3,
        "/zookeeper/quota/quotaed/zookeeper_limits",
        b"count=10,bytes=1000",
        false,
        open(),
    );
    b.create(
        s3,
        "/zookeeper/quota/quotaed/zookeeper_stats",
        b"count=0,bytes=0",
        false,
        open(),
    );
    (b.tree, sessions)
}

fn extended() -> TreeConfig {
    TreeConfig {
        extended_types_enabled: true,
        ..TreeConfig::default()
    }
}

fn rich_stream() -> (Vec<u8>, DataTree, BTreeMap<i64, i32>) {
    let (tree, sessions) = rich_tree(600);
    let mut bytes = Vec::new();
    write_snap_stream(
        &tree.view(),
        sessions.clone(),
        &SnapshotOrder::Sorted,
        &mut bytes,
    );
    (bytes, tree, sessions)
}

#[test]
fn round_trip_of_a_rich_tree_equals_the_file_loader() {
    let (bytes, tree, sessions) = rich_stream();
    assert!(tree.node_count() > 300);
    assert!(!tree.containers().is_empty() && !tree.ttls().is_empty());
    assert_eq!(tree.quota_paths(), ["/quotaed"]);

    let l = decode_whole(&bytes, 0x5_0000_0007, opts(extended()));
    assert_eq!(l.sessions, sessions);
    assert_eq!(l.tree.last_processed_zxid(), 0x5_0000_0007);
    assert_same_loaded_tree(&l.tree, &tree);

    // What the snapshot file loader builds from the same tree and sessions.
    let file = SnapshotWriter::serialize(
        &tree.view(),
        sessions.clone(),
        &SnapshotWriteOptions::default(),
    );
    let from_file = LoadedSnapshot::deserialize(&file, opts(extended())).unwrap();
    assert_same_loaded_tree(&l.tree, &from_file.tree);
    assert_eq!(l.sessions, from_file.sessions);
    // The stream is the file's body plus the signature.
    assert_eq!(file[16..file.len() - 33 - 13], bytes[..bytes.len() - 14]);

    // Quota stats are recounted on load, not taken from the stored stat node.
    let stats = l
        .tree
        .node("/zookeeper/quota/quotaed/zookeeper_stats")
        .unwrap();
    assert_eq!(stats.data.as_deref(), Some(&b"count=2,bytes=7"[..]));
}

#[test]
fn one_byte_at_a_time_equals_one_piece() {
    let (bytes, tree, sessions) = rich_stream();
    let cuts: Vec<usize> = (1..bytes.len()).collect();
    let l = decode_in_pieces(&bytes, &cuts, 9, opts(extended()))
        .unwrap()
        .unwrap();
    assert_eq!(l.sessions, sessions);
    assert_same_loaded_tree(&l.tree, &tree);
}

#[test]
fn bytes_after_the_signature_are_left_for_the_next_packet() {
    let (mut bytes, _, _) = rich_stream();
    let n = bytes.len();
    bytes.extend_from_slice(&[0, 0, 0, 10, 1, 2, 3]);
    let mut d = SnapStreamDecoder::new(1, opts(extended()));
    let mut buf = BytesMut::from(&bytes[..]);
    let l = d.feed(&mut buf).unwrap().unwrap();
    assert_eq!(l.stream_len_bytes, n as u64);
    assert_eq!(&buf[..], &[0, 0, 0, 10, 1, 2, 3]);
    // The decoder is done.
    assert_eq!(d.feed(&mut buf).unwrap_err(), SnapStreamError::Finished);
    assert_eq!(buf.len(), 7);
}

#[test]
fn streamed_writing_gives_the_same_bytes_in_bounded_chunks() {
    let (tree, sessions) = rich_tree(3000);
    let mut whole = Vec::new();
    write_snap_stream(
        &tree.view(),
        sessions.clone(),
        &SnapshotOrder::Sorted,
        &mut whole,
    );
    assert!(whole.len() > 2 * SNAPSHOT_CHUNK_BYTES, "{}", whole.len());
    let mut chunks: Vec<Vec<u8>> = Vec::new();
    let mut sink = |c: &[u8]| {
        chunks.push(c.to_vec());
        Ok(())
    };
    let n =
        write_snap_stream_to(&tree.view(), sessions, &SnapshotOrder::Sorted, &mut sink).unwrap();
    assert_eq!(n, whole.len() as u64);
    assert!(chunks.len() > 2);
    assert!(chunks
        .iter()
        .all(|c| c.len() < SNAPSHOT_CHUNK_BYTES + 64 * 1024));
    assert_eq!(chunks.concat(), whole);

    // A failing sink stops the writer with its error.
    let mut calls = 0;
    let mut failing = |_: &[u8]| {
        calls += 1;
        Err(std::io::Error::other("peer gone"))
    };
    let r = write_snap_stream_to(&tree.view(), [], &SnapshotOrder::Sorted, &mut failing);
    assert!(r.is_err());
    assert_eq!(calls, 1);
}

#[test]
fn appends_to_what_the_buffer_already_holds() {
    let tree = DataTree::new();
    let mut out = b"SNAP".to_vec();
    write_snap_stream(&tree.view(), [(5, 7)], &SnapshotOrder::Sorted, &mut out);
    assert_eq!(&out[..4], b"SNAP");
    let l = decode_whole(&out[4..], 0, SnapshotReadOptions::default());
    assert_eq!(l.sessions, BTreeMap::from([(5, 7)]));
}

// ---------------------------------------------------------------------------------------------
// Broken streams.

fn small_stream() -> Vec<u8> {
    let (tree, sessions) = rich_tree(30);
    let mut bytes = Vec::new();
    write_snap_stream(&tree.view(), sessions, &SnapshotOrder::Sorted, &mut bytes);
    bytes
}

#[test]
fn every_truncation_asks_for_more() {
    let bytes = small_stream();
    for k in 0..bytes.len() {
        let mut d = SnapStreamDecoder::new(1, opts(extended()));
        let mut buf = BytesMut::from(&bytes[..k]);
        assert!(d.feed(&mut buf).unwrap().is_none(), "cut at {k}");
        assert!(d.consumed_bytes() <= k as u64);
    }
}

fn expect_err(bytes: &[u8]) -> SnapStreamError {
    let mut d = SnapStreamDecoder::new(1, SnapshotReadOptions::default());
    let mut buf = BytesMut::from(bytes);
    match d.feed(&mut buf) {
        Err(e) => {
            // Finished for good.
            assert_eq!(d.feed(&mut buf).unwrap_err(), SnapStreamError::Finished);
            e
        }
        other => panic!("expected an error, got {other:?}"),
    }
}

/// The minimal stream: no session, no ACL, the root only.
fn minimal(signature: Option<&str>) -> Vec<u8> {
    let mut b = Vec::new();
    b.put_i32(0);
    b.put_i32(0);
    put_node(&mut b, "", b"", -1, &StatPersisted::default());
    put_str(&mut b, "/");
    match signature {
        Some(s) => put_str(&mut b, s),
        None => b.put_i32(-1),
    }
    b
}

#[test]
fn wrong_or_null_signature_is_missing_signature() {
    assert!(decode_in_pieces(&minimal(Some("BenWasHere")), &[], 0, Default::default()).is_ok());
    assert_eq!(
        expect_err(&minimal(Some("BenWasThere"))),
        SnapStreamError::MissingSignature {
            found: Some("BenWasThere".to_owned())
        }
    );
    assert_eq!(
        expect_err(&minimal(Some(""))),
        SnapStreamError::MissingSignature {
            found: Some(String::new())
        }
    );
    assert_eq!(
        expect_err(&minimal(None)),
        SnapStreamError::MissingSignature { found: None }
    );
    // A signature length beyond the limit fails at once, without waiting for its bytes.
    let mut b = minimal(None);
    b.truncate(b.len() - 4);
    b.put_i32(i32::MAX);
    let e = expect_err(&b);
    assert!(matches!(
        e,
        SnapStreamError::Format(SnapshotFormatError::Decode {
            what: "signature",
            ..
        })
    ));
    assert!(expect_err(&minimal(Some("x")))
        .to_string()
        .contains("Missing signature"));
}

#[test]
fn oversized_and_negative_lengths_are_rejected_before_buffering() {
    let max = SnapshotReadOptions::default().max_len;
    let too_long = (max + 1) as i32;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("negative session count", {
            let mut b = Vec::new();
            b.put_i32(-1);
            b
        }),
        ("negative ACL map size", {
            let mut b = Vec::new();
            b.put_i32(0);
            b.put_i32(-5);
            b
        }),
        ("ACL list longer than the limit", {
            let mut b = Vec::new();
            b.put_i32(0);
            b.put_i32(1);
            b.put_i64(1);
            b.put_i32(i32::MAX);
            b
        }),
        ("ACL scheme longer than the limit", {
            let mut b = Vec::new();
            b.put_i32(0);
            b.put_i32(1);
            b.put_i64(1);
            b.put_i32(1);
            b.put_i32(31);
            b.put_i32(too_long);
            b
        }),
        ("path longer than the limit", {
            let mut b = Vec::new();
            b.put_i32(0);
            b.put_i32(0);
            b.put_i32(too_long);
            b
        }),
        ("negative path length", {
            let mut b = Vec::new();
            b.put_i32(0);
            b.put_i32(0);
            b.put_i32(-2);
            b
        }),
        ("node data longer than the limit", {
            let mut b = Vec::new();
            b.put_i32(0);
            b.put_i32(0);
            put_str(&mut b, "");
            b.put_i32(too_long);
            b
        }),
        ("node data of -2 bytes", {
            let mut b = Vec::new();
            b.put_i32(0);
            b.put_i32(0);
            put_str(&mut b, "");
            b.put_i32(-2);
            b
        }),
    ];
    for (what, bytes) in cases {
        let mut d = SnapStreamDecoder::new(1, SnapshotReadOptions::default());
        let mut buf = BytesMut::from(&bytes[..]);
        match d.feed(&mut buf) {
            Err(SnapStreamError::Format(
                SnapshotFormatError::NegativeCount { .. }
                | SnapshotFormatError::Decode {
                    source: DecodeError::LengthOutOfRange { .. },
                    ..
                },
            )) => {}
            other => panic!("{what}: {other:?}"),
        }
        assert!(buf.capacity() < 4096, "{what}: capacity {}", buf.capacity());
    }
}

#[test]
fn a_null_acl_list_path_or_a_broken_tree_is_an_error() {
    // Null ACL list ("missing acls").
    let mut b = Vec::new();
    b.put_i32(0);
    b.put_i32(1);
    b.put_i64(3);
    b.put_i32(-1);
    assert_eq!(
        expect_err(&b),
        SnapStreamError::Format(SnapshotFormatError::NullAclList { acl_ref: 3 })
    );

    let tree_with = |paths: &[&str]| {
        let mut b = Vec::new();
        b.put_i32(0);
        b.put_i32(0);
        for p in paths {
            put_node(&mut b, p, b"", -1, &StatPersisted::default());
        }
        put_str(&mut b, "/");
        put_str(&mut b, SNAP_SIGNATURE);
        b
    };
    // A node before its parent.
    assert!(matches!(
        expect_err(&tree_with(&["", "/a/b"])),
        SnapStreamError::Format(SnapshotFormatError::Tree(
            SnapshotError::MissingParent { .. }
        ))
    ));
    // No root first.
    assert!(matches!(
        expect_err(&tree_with(&["/a"])),
        SnapStreamError::Format(SnapshotFormatError::Tree(SnapshotError::MissingRoot))
    ));
    // Paths no znode can have.
    for bad in ["a", "/a/", "/a//b", "//", ""] {
        let paths = if bad.is_empty() {
            vec!["", "/a", ""]
        } else {
            vec!["", "/a", bad]
        };
        assert!(
            matches!(
                expect_err(&tree_with(&paths)),
                SnapStreamError::InvalidPath { .. }
            ),
            "{bad:?}"
        );
    }
    // A null path.
    let mut b = Vec::new();
    b.put_i32(0);
    b.put_i32(0);
    b.put_i32(-1);
    assert!(matches!(
        expect_err(&b),
        SnapStreamError::Format(SnapshotFormatError::Invalid(_))
    ));
}

#[test]
fn many_nodes_fed_byte_by_byte_stay_linear() {
    // ~20,000 nodes, ~1 MB, one byte per call: a rescan from the start would never finish.
    let (tree, sessions) = rich_tree(20_000);
    let mut bytes = Vec::new();
    write_snap_stream(&tree.view(), sessions, &SnapshotOrder::Sorted, &mut bytes);
    let mut d = SnapStreamDecoder::new(1, opts(extended()));
    let mut buf = BytesMut::new();
    let mut loaded = None;
    for b in &bytes {
        buf.put_u8(*b);
        if let Some(l) = d.feed(&mut buf).unwrap() {
            loaded = Some(l);
        }
    }
    assert_same_loaded_tree(&loaded.unwrap().tree, &tree);
}

fn fixture() -> &'static (Vec<u8>, DataTree) {
    static F: std::sync::OnceLock<(Vec<u8>, DataTree)> = std::sync::OnceLock::new();
    F.get_or_init(|| {
        let bytes = small_stream();
        let l = decode_whole(&bytes, 1, opts(extended()));
        (bytes, l.tree)
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Random cuts give the same result as one piece.
    #[test]
    fn random_splits_equal_one_piece(mut cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..40)) {
        let (bytes, tree) = fixture();
        let mut points: Vec<usize> = cuts.drain(..).map(|i| i.index(bytes.len() + 1)).collect();
        points.sort_unstable();
        let l = decode_in_pieces(bytes, &points, 1, opts(extended())).unwrap().unwrap();
        assert_same_loaded_tree(&l.tree, tree);
    }

    /// Garbage never panics, and the buffer never grows past one element's worth.
    #[test]
    fn garbage_never_panics(input in proptest::collection::vec(any::<u8>(), 0..400), cut in any::<prop::sample::Index>()) {
        let max_len = 4096;
        let o = SnapshotReadOptions { tree_config: extended(), max_len };
        let k = cut.index(input.len() + 1);
        let _ = decode_in_pieces(&input, &[k], 1, o);
        let mut d = SnapStreamDecoder::new(1, o);
        let mut buf = BytesMut::from(&input[..]);
        let _ = d.feed(&mut buf);
        prop_assert!(buf.capacity() <= input.len() + 2 * max_len + 256);
    }

    /// Damaged valid streams (flipped bytes, cut or extended) give a result or an error, never a
    /// panic.
    #[test]
    fn damaged_streams_never_panic(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
    ) {
        let (bytes, _) = fixture();
        let mut b = bytes.clone();
        for (i, x) in flips {
            let i = i.index(b.len());
            b[i] ^= x.max(1);
        }
        let k = cut.index(b.len() + 1);
        let _ = decode_in_pieces(&b, &[k], 1, opts(extended()));
        let _ = decode_in_pieces(&b[..k], &[], 1, opts(extended()));
    }
}
