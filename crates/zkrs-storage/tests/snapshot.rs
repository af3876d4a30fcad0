//! Snapshots: round trips of our own writes (plain, gzip, snappy), the optional sections, seal
//! checks, and recovery falling back to an older snapshot.

mod common;

use std::path::Path;

use common::{assert_same_tree, Workload};
use zkrs_datatree::ZxidDigest;
use zkrs_storage::*;

fn workload(n: usize) -> Workload {
    let mut w = Workload::new();
    w.mixed(n);
    w
}

#[test]
fn round_trip_of_our_own_snapshot() {
    let w = workload(300);
    let bytes = SnapshotWriter::serialize(
        &w.tree.view(),
        w.sessions.clone(),
        &SnapshotWriteOptions::default(),
    );
    let s = LoadedSnapshot::deserialize(&bytes, SnapshotReadOptions::default()).unwrap();
    assert_same_tree(&s.tree, &w.tree);
    assert_eq!(s.sessions, w.sessions);
    assert_eq!(s.zxid_digest, w.tree.last_processed_zxid_digest());
    assert_eq!(s.zxid_digest.unwrap().zxid, 300);
    assert_eq!(s.last_processed_zxid, None);
    assert_eq!(s.trailing_bytes, 0);
    // Deterministic: the same tree gives the same bytes.
    let again = SnapshotWriter::serialize(
        &s.tree.view(),
        s.sessions.clone(),
        &SnapshotWriteOptions {
            zxid_digest: s.zxid_digest,
            ..SnapshotWriteOptions::default()
        },
    );
    assert_eq!(again, bytes);
}

#[test]
fn compressed_snapshot_files() {
    let w = workload(200);
    let fs = MemFs::new();
    let dir = Path::new("/snaps");
    fs.create_dir_all(dir).unwrap();
    let snap = FileSnap::new(fs.clone(), dir);
    for (c, name) in [
        (SnapshotCompression::None, "snapshot.c8"),
        (SnapshotCompression::Gzip, "snapshot.c8.gz"),
        (SnapshotCompression::Snappy, "snapshot.c8.snappy"),
    ] {
        let path = snap
            .write(
                &w.tree.view(),
                w.sessions.clone(),
                c,
                &SnapshotWriteOptions::default(),
            )
            .unwrap();
        assert_eq!(path, dir.join(name));
        let file = snap
            .list()
            .unwrap()
            .into_iter()
            .find(|f| f.path == path)
            .unwrap();
        assert_eq!(file.compression, c);
        assert!(snap.is_valid(&file).unwrap());
        let back = snap.read(&file, SnapshotReadOptions::default()).unwrap();
        assert_eq!(back.tree.last_processed_zxid(), 200);
        assert_same_tree(&back.tree, &w.tree);
        assert_eq!(back.sessions, w.sessions);
        // A cut file fails to read, never panics.
        let bytes = fs.read(&path).unwrap();
        fs.put(&path, &bytes[..bytes.len() / 2]);
        assert!(snap.read(&file, SnapshotReadOptions::default()).is_err());
        fs.remove_file(&path).unwrap();
    }
    // No temporary file is left behind.
    assert!(fs.list_dir(dir).unwrap().is_empty());
}

#[test]
fn the_3_9_section_is_an_appendix_a_3_8_reader_ignores() {
    let w = workload(50);
    let plain = SnapshotWriter::serialize(
        &w.tree.view(),
        w.sessions.clone(),
        &SnapshotWriteOptions::default(),
    );
    let with39 = SnapshotWriter::serialize(
        &w.tree.view(),
        w.sessions.clone(),
        &SnapshotWriteOptions {
            last_processed_zxid_section: true,
            ..SnapshotWriteOptions::default()
        },
    );
    // The 3.8 layout is a prefix: a 3.8 reader stops after seal 2 and never sees the rest;
    // the file still ends with a seal's "/", so it passes isValidCheckedStream.
    assert_eq!(with39.len(), plain.len() + 21);
    assert_eq!(with39[..plain.len()], plain[..]);
    assert_eq!(with39[with39.len() - 5..], [0, 0, 0, 1, b'/']);
    let s = LoadedSnapshot::deserialize(&with39, SnapshotReadOptions::default()).unwrap();
    assert_eq!(s.last_processed_zxid, Some(50));
    assert!(s.zxid_digest.is_some());

    // Digest off, 3.9 section on: recognized by its size.
    let only39 = SnapshotWriter::serialize(
        &w.tree.view(),
        w.sessions.clone(),
        &SnapshotWriteOptions {
            digest_section: false,
            last_processed_zxid_section: true,
            ..SnapshotWriteOptions::default()
        },
    );
    let s = LoadedSnapshot::deserialize(&only39, SnapshotReadOptions::default()).unwrap();
    assert_eq!((s.zxid_digest, s.last_processed_zxid), (None, Some(50)));

    // Neither: the 3.5 layout (seal 1 only).
    let bare = SnapshotWriter::serialize(
        &w.tree.view(),
        w.sessions.clone(),
        &SnapshotWriteOptions {
            digest_section: false,
            ..SnapshotWriteOptions::default()
        },
    );
    assert_eq!(bare.len(), plain.len() - 33);
    let s = LoadedSnapshot::deserialize(&bare, SnapshotReadOptions::default()).unwrap();
    assert_eq!((s.zxid_digest, s.last_processed_zxid), (None, None));

    // An old-style (version 1) digest is a hex string.
    let v1 = SnapshotWriter::serialize(
        &w.tree.view(),
        w.sessions.clone(),
        &SnapshotWriteOptions {
            zxid_digest: Some(ZxidDigest {
                zxid: 7,
                digest_version: 1,
                digest: 0xabc,
            }),
            ..SnapshotWriteOptions::default()
        },
    );
    let s = LoadedSnapshot::deserialize(&v1, SnapshotReadOptions::default()).unwrap();
    assert_eq!(s.zxid_digest.unwrap().digest, 0xabc);
}

#[test]
fn every_seal_is_checked() {
    let w = workload(40);
    let bytes = SnapshotWriter::serialize(
        &w.tree.view(),
        w.sessions.clone(),
        &SnapshotWriteOptions {
            last_processed_zxid_section: true,
            ..SnapshotWriteOptions::default()
        },
    );
    let n = bytes.len();
    // Offsets: seal 3 section = last 21 bytes; digest section = the 33 before; tree before.
    for (offset, seal) in [(n / 2, 1u8), (n - 21 - 33 + 2, 2), (n - 21 + 3, 3)] {
        let mut b = bytes.clone();
        b[offset] ^= 0x10;
        match LoadedSnapshot::deserialize(&b, SnapshotReadOptions::default()) {
            Err(SnapshotFormatError::SealMismatch { seal: s, .. }) => assert_eq!(s, seal),
            // A flip inside the tree may break the structure before seal 1 is reached.
            Err(e) if seal == 1 => assert!(!e.to_string().is_empty()),
            other => panic!("offset {offset}: {other:?}"),
        }
    }
    let mut b = bytes.clone();
    b[0] = b'X';
    assert!(matches!(
        LoadedSnapshot::deserialize(&b, SnapshotReadOptions::default()),
        Err(SnapshotFormatError::BadMagic { .. })
    ));
}

fn opts() -> StorageOptions {
    StorageOptions {
        txn_log: TxnLogOptions {
            pre_alloc_size: 4096,
            ..TxnLogOptions::default()
        },
        ..StorageOptions::default()
    }
}

/// snapshot.0, txns 1..=300 with snapshots at 100 and 200 (log rolled before each).
fn history(fs: &MemFs) -> Workload {
    let dir = Path::new("/zk");
    let mut st = FileTxnSnapLog::open(fs.clone(), dir, dir, opts()).unwrap();
    st.restore().unwrap();
    let mut w = Workload::new();
    for round in 0..3 {
        for e in w.mixed(100) {
            st.append(&e).unwrap();
        }
        st.commit(true).unwrap();
        if round < 2 {
            st.roll_log().unwrap();
            st.save_snapshot(&w.tree, w.sessions.clone(), None).unwrap();
        }
    }
    st.close().unwrap();
    w
}

#[test]
fn a_corrupt_newest_snapshot_falls_back_to_an_older_one() {
    let fs = MemFs::new();
    let w = history(&fs);
    let v2 = Path::new("/zk/version-2");
    let newest = v2.join("snapshot.c8");
    let mut b = fs.read(&newest).unwrap();
    let mid = b.len() / 2;
    b[mid] ^= 0xff;
    fs.put(&newest, &b);
    let dir = Path::new("/zk");
    let r = FileTxnSnapLog::open(fs.clone(), dir, dir, opts())
        .unwrap()
        .restore()
        .unwrap();
    assert_eq!(r.report.snapshot, Some((v2.join("snapshot.64"), 100)));
    assert_eq!(r.report.skipped_snapshots.len(), 1);
    assert_eq!(r.report.skipped_snapshots[0].0, newest);
    assert_eq!(r.report.txns_replayed, 200);
    assert!(r.report.digest_mismatches.is_empty());
    assert_eq!(r.report.snapshot_digest_matched, Some(true));
    assert_same_tree(&r.tree, &w.tree);
    assert_eq!(r.sessions, w.sessions);

    // A snapshot cut short fails the cheap validity check and is passed over too.
    fs.put(&newest, &b[..mid]);
    let r = FileTxnSnapLog::open(fs.clone(), dir, dir, opts())
        .unwrap()
        .restore()
        .unwrap();
    assert_eq!(r.report.skipped_snapshots[0].1, "fails the validity check");
    assert_same_tree(&r.tree, &w.tree);
}

#[test]
fn all_snapshots_corrupt_is_an_error() {
    let fs = MemFs::new();
    history(&fs);
    let v2 = Path::new("/zk/version-2");
    for name in ["snapshot.0", "snapshot.64", "snapshot.c8"] {
        let p = v2.join(name);
        let mut b = fs.read(&p).unwrap();
        b[20] ^= 1;
        fs.put(&p, &b);
    }
    let dir = Path::new("/zk");
    match FileTxnSnapLog::open(fs.clone(), dir, dir, opts())
        .unwrap()
        .restore()
    {
        Err(StorageError::NoValidSnapshot { tried, .. }) => assert_eq!(tried.len(), 3),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_fuzzy_snapshot_replays_to_the_same_tree() {
    // ZooKeeper snapshots while applying txns: the file is named after the zxid when it
    // started, but holds some later changes. Replay must tolerate NodeExists/NoNode.
    let fs = MemFs::new();
    let dir = Path::new("/zk");
    let mut st = FileTxnSnapLog::open(fs.clone(), dir, dir, opts()).unwrap();
    st.restore().unwrap();
    let mut w = Workload::new();
    for e in w.mixed(130) {
        st.append(&e).unwrap();
    }
    st.commit(true).unwrap();
    // The state after 130, named as if taken at 100; its digest section names zxid 130.
    let mut fuzzy = w.tree.clone();
    fuzzy.set_last_processed_zxid(100);
    st.save_snapshot(&fuzzy, w.sessions.clone(), None).unwrap();
    for e in w.mixed(20) {
        st.append(&e).unwrap();
    }
    st.commit(true).unwrap();
    st.close().unwrap();
    let r = FileTxnSnapLog::open(fs.clone(), dir, dir, opts())
        .unwrap()
        .restore()
        .unwrap();
    assert_eq!(r.report.snapshot.as_ref().unwrap().1, 100);
    assert_eq!(r.report.txns_replayed, 50);
    assert_eq!(r.report.snapshot_digest_matched, Some(true));
    assert!(r.report.digest_mismatches.is_empty());
    assert_same_tree(&r.tree, &w.tree);
    assert_eq!(r.sessions, w.sessions);
}

/// Streaming in chunks (what the server does for uncompressed snapshots) gives exactly the
/// in-memory bytes, seals included, in both child orders, for a snapshot of several chunks.
#[test]
fn a_streamed_snapshot_is_byte_identical_to_the_in_memory_one() {
    let mut w = Workload::new();
    w.create(0, "/big", b"", false);
    let blob = vec![7u8; 900];
    for i in 0..4_000 {
        w.create(0, &format!("/big/n{i:05}"), &blob, false);
    }
    w.mixed(200);
    let view = w.tree.view();
    for order in [
        SnapshotOrder::Sorted,
        SnapshotOrder::Java(JavaHashOrder::default()),
    ] {
        let opts = SnapshotWriteOptions {
            last_processed_zxid_section: true,
            order,
            ..SnapshotWriteOptions::default()
        };
        let whole = SnapshotWriter::serialize(&view, w.sessions.clone(), &opts);
        assert!(whole.len() > 3 * SNAPSHOT_CHUNK_BYTES, "{}", whole.len());
        let mut streamed = Vec::new();
        let mut chunks = 0;
        let mut sink = |c: &[u8]| {
            streamed.extend_from_slice(c);
            chunks += 1;
            Ok(())
        };
        let n = SnapshotWriter::serialize_to(&view, w.sessions.clone(), &opts, &mut sink).unwrap();
        assert!(chunks > 3);
        assert_eq!(n, whole.len() as u64);
        assert!(streamed == whole);
    }

    // A failing sink stops the write with its error.
    let mut calls = 0;
    let mut failing = |_: &[u8]| {
        calls += 1;
        Err(std::io::Error::other("disk full"))
    };
    let err = SnapshotWriter::serialize_to(
        &view,
        w.sessions.clone(),
        &SnapshotWriteOptions::default(),
        &mut failing,
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "disk full");
    assert_eq!(calls, 1);

    // And the file FileSnap writes (streamed) loads back as the same tree.
    let fs = MemFs::new();
    let dir = Path::new("/snaps");
    fs.create_dir_all(dir).unwrap();
    let snap = FileSnap::new(fs.clone(), dir);
    let path = snap
        .write(
            &view,
            w.sessions.clone(),
            SnapshotCompression::None,
            &SnapshotWriteOptions::default(),
        )
        .unwrap();
    let file = snap
        .list()
        .unwrap()
        .into_iter()
        .find(|f| f.path == path)
        .unwrap();
    let loaded = snap.read(&file, SnapshotReadOptions::default()).unwrap();
    assert_same_tree(&loaded.tree, &w.tree);
}
