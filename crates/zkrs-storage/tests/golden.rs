//! Reads the files written by Apache ZooKeeper 3.8.0 (`crates/zkrs-jute/tests/golden/`):
//! every txn of the log with its checksum, the snapshots with their seals and digest, a
//! byte-identical rewrite of both snapshots, and the full restart a ZooKeeper server does
//! (snapshot.0 + log.1 → the tree of snapshot.1e).

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::{assert_same_tree, golden, golden_config};
use zkrs_jute::{FileHeader, Jute, OpCode, TxnBody, TxnEntry};
use zkrs_storage::*;

const SESSION_B: i64 = 0x0100_000b_7b7f_0001;
const GOLDEN_DIGEST: i64 = 14_587_162_051;

fn java_order_golden() -> SnapshotOrder {
    // /golden's children set reached 14 entries during the session (capacity 32) before
    // four were deleted; the table never shrinks.
    let mut j = JavaHashOrder::default();
    j.child_capacity.insert("/golden".to_owned(), 32);
    SnapshotOrder::Java(j)
}

#[test]
fn golden_log_every_txn_and_checksum() {
    let bytes = golden("log.trimmed.bin");
    let header = FileHeader::from_bytes(&bytes[..16]).unwrap();
    assert_eq!(header.magic, FileHeader::TXNLOG_MAGIC);
    assert_eq!(header.version, 2);
    assert_eq!(header.dbid, 0);

    let scan = LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN);
    assert_eq!(scan.records.len(), 30);
    // The zero-length end marker right after the last record; nothing after it.
    assert_eq!(scan.end, LogEnd::EndMarker { offset: 3082 });
    assert!(!scan.is_torn());
    for (i, r) in scan.records.iter().enumerate() {
        assert_eq!(r.zxid, Some(i as i64 + 1));
        let txn = &bytes[r.txn_range()];
        // The stored checksum is Adler32 of the txn bytes only.
        let stored = i64::from_be_bytes(
            bytes[r.offset as usize..r.offset as usize + 8]
                .try_into()
                .unwrap(),
        );
        assert_eq!(stored, i64::from(adler2::adler32_slice(txn)));
        assert_eq!(bytes[r.end() as usize - 1], b'B');
        // Decodes, and re-encodes to the same bytes.
        let e = TxnEntry::decode(txn).unwrap();
        assert_eq!(e.encode(), txn);
        assert_eq!(e.header.zxid, i as i64 + 1);
        // Error txns carry no digest; every other txn does.
        assert_eq!(
            e.digest.is_none(),
            e.header.r#type == OpCode::Error as i32,
            "zxid {}",
            e.header.zxid
        );
    }
}

#[test]
fn golden_log_through_the_reader() {
    let fs = MemFs::new();
    let dir = Path::new("/d/version-2");
    fs.put(&dir.join("log.1"), &golden("log.trimmed.bin"));
    let mut reader = TxnLogReader::open(fs.clone(), dir, 1, LogReadOptions::default()).unwrap();
    let txns: Vec<_> = reader.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(txns.len(), 30);
    assert!(reader.torn_tail().is_none());
    // From the middle: the same file, fast-forwarded.
    let from = TxnLogReader::open(fs, dir, 0x1c, LogReadOptions::default())
        .unwrap()
        .map(|t| t.unwrap().zxid())
        .collect::<Vec<_>>();
    assert_eq!(from, [0x1c, 0x1d, 0x1e]);
}

#[test]
fn golden_snapshot_loads_and_digest_matches() {
    let bytes = golden("snapshot.bin");
    let opts = SnapshotReadOptions {
        tree_config: golden_config(),
        ..SnapshotReadOptions::default()
    };
    let s = LoadedSnapshot::deserialize(&bytes, opts).unwrap();
    assert_eq!(s.header.dbid, -1);
    assert_eq!(s.sessions, BTreeMap::from([(SESSION_B, 30_000)]));
    let d = s.zxid_digest.unwrap();
    assert_eq!(
        (d.zxid, d.digest_version, d.digest),
        (0x1e, 2, GOLDEN_DIGEST)
    );
    assert_eq!(s.last_processed_zxid, None);
    assert_eq!(s.trailing_bytes, 0);
    // Snapshot taken at start-up after replay: not fuzzy, so the tree's digest is the section's.
    assert_eq!(s.tree.digest(), GOLDEN_DIGEST);
    assert_eq!(s.tree.compute_digest_from_scratch(), GOLDEN_DIGEST);
    // ZooKeeper counts the root twice ("" and "/"), as `nodes.size()` does.
    assert_eq!(s.tree.node_count(), 16);
    assert_eq!(s.tree.acl_cache().len(), 4);
    assert_eq!(s.tree.ephemerals(SESSION_B), ["/golden/eph-b"]);
    assert_eq!(s.tree.containers(), ["/golden/container"]);
    assert_eq!(s.tree.ttls(), ["/golden/ttl"]);
    assert_eq!(s.tree.node("/golden/nulldata").unwrap().data, None);
}

#[test]
fn golden_snapshot_rewrites_byte_identical() {
    let bytes = golden("snapshot.bin");
    let opts = SnapshotReadOptions {
        tree_config: golden_config(),
        ..SnapshotReadOptions::default()
    };
    let s = LoadedSnapshot::deserialize(&bytes, opts).unwrap();
    let java = SnapshotWriter::serialize(
        &s.tree.view(),
        s.sessions.clone(),
        &SnapshotWriteOptions {
            zxid_digest: s.zxid_digest,
            order: java_order_golden(),
            ..SnapshotWriteOptions::default()
        },
    );
    assert_eq!(java, bytes, "Java-order rewrite differs");

    // Our default (sorted) order: other bytes, same content.
    let sorted = SnapshotWriter::serialize(
        &s.tree.view(),
        s.sessions.clone(),
        &SnapshotWriteOptions {
            zxid_digest: s.zxid_digest,
            ..SnapshotWriteOptions::default()
        },
    );
    assert_eq!(sorted.len(), bytes.len());
    assert_ne!(sorted, bytes);
    let again = LoadedSnapshot::deserialize(&sorted, opts).unwrap();
    assert_same_tree(&again.tree, &s.tree);
    assert_eq!(again.sessions, s.sessions);
    assert_eq!(again.zxid_digest, s.zxid_digest);
}

#[test]
fn golden_empty_snapshot_round_trips() {
    let bytes = golden("snapshot.empty.bin");
    let s = LoadedSnapshot::deserialize(&bytes, SnapshotReadOptions::default()).unwrap();
    assert!(s.sessions.is_empty());
    let d = s.zxid_digest.unwrap();
    assert_eq!((d.zxid, d.digest_version, d.digest), (0, 2, 0));
    for order in [SnapshotOrder::Sorted, java_order_golden()] {
        let out = SnapshotWriter::serialize(
            &s.tree.view(),
            [],
            &SnapshotWriteOptions {
                order,
                ..SnapshotWriteOptions::default()
            },
        );
        assert_eq!(out, bytes);
    }
}

#[test]
fn first_start_writes_zookeepers_snapshot_0() {
    let fs = MemFs::new();
    let dir = Path::new("/zk/data");
    let mut st = FileTxnSnapLog::open(fs.clone(), dir, dir, StorageOptions::default()).unwrap();
    let r = st.restore().unwrap();
    assert_eq!(r.tree.last_processed_zxid(), 0);
    let snap0 = dir.join("version-2/snapshot.0");
    assert_eq!(r.report.initialized_empty.as_deref(), Some(snap0.as_path()));
    assert_eq!(fs.read(&snap0).unwrap(), golden("snapshot.empty.bin"));
}

/// What ZooKeeper did when the golden capture restarted it: load snapshot.0, replay log.1,
/// write snapshot.1e. We do the same and get the same bytes.
#[test]
fn golden_restart_reproduces_snapshot_1e() {
    let fs = MemFs::new();
    let dir = Path::new("/zk/data");
    let v2 = dir.join("version-2");
    fs.put(&v2.join("snapshot.0"), &golden("snapshot.empty.bin"));
    fs.put(&v2.join("log.1"), &golden("log.trimmed.bin"));
    let opts = StorageOptions {
        tree_config: golden_config(),
        ..StorageOptions::default()
    };
    let mut st = FileTxnSnapLog::open(fs.clone(), dir, dir, opts).unwrap();
    let r = st.restore().unwrap();
    assert_eq!(r.report.snapshot, Some((v2.join("snapshot.0"), 0)));
    assert_eq!(r.report.txns_replayed, 30);
    assert_eq!(r.report.replayed_range, Some((1, 0x1e)));
    assert!(r.report.digest_mismatches.is_empty());
    assert!(r.report.torn_tail.is_none());
    assert_eq!(r.tree.last_processed_zxid(), 0x1e);
    assert_eq!(r.sessions, BTreeMap::from([(SESSION_B, 30_000)]));
    let zd = r.report.zxid_digest.unwrap();
    assert_eq!((zd.zxid, zd.digest), (0x1e, GOLDEN_DIGEST));

    let expected = LoadedSnapshot::deserialize(
        &golden("snapshot.bin"),
        SnapshotReadOptions {
            tree_config: golden_config(),
            ..SnapshotReadOptions::default()
        },
    )
    .unwrap();
    assert_same_tree(&r.tree, &expected.tree);

    let out = SnapshotWriter::serialize(
        &r.tree.view(),
        r.sessions.clone(),
        &SnapshotWriteOptions {
            order: java_order_golden(),
            ..SnapshotWriteOptions::default()
        },
    );
    assert_eq!(out, golden("snapshot.bin"));

    // And through the file API (sorted order): snapshot.1e, readable, same content.
    let path = st.save_snapshot(&r.tree, r.sessions.clone(), None).unwrap();
    assert_eq!(path, v2.join("snapshot.1e"));
    let snaps = st.snapshots().list().unwrap();
    assert_eq!(snaps[0].zxid, 0x1e);
    let back = st
        .snapshots()
        .read(
            &snaps[0],
            SnapshotReadOptions {
                tree_config: golden_config(),
                ..SnapshotReadOptions::default()
            },
        )
        .unwrap();
    assert_eq!(back.tree.last_processed_zxid(), 0x1e);
    assert_same_tree(&back.tree, &expected.tree);
    // A closeSession of a session with ephemerals was replayed: /golden/eph is gone.
    assert!(r.tree.node("/golden/eph").is_none());
    let closes = st
        .read_txns(1)
        .unwrap()
        .filter(|t| {
            matches!(
                t.as_ref().map(|t| &t.entry.body),
                Ok(TxnBody::CloseSession(Some(_)))
            )
        })
        .count();
    assert_eq!(closes, 2);
}
