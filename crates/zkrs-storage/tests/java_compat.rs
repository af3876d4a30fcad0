//! Compatibility with Apache ZooKeeper 3.8's own persistence classes, in both directions.
//! `tests/java-compat/run.sh` (needs Java and the Debian zookeeper package; not run by CI):
//!
//! 1. runs [`write_dirs_for_zookeeper`] (ignored here) to write three data directories whose
//!    only snapshot is ours (plain, gzip, snappy), followed by our txn log;
//! 2. has ZooKeeper's `FileTxnSnapLog.restore` load each and compares what it reports with
//!    `expected.txt` (result kept in `java-compat/zookeeper-read.txt`);
//! 3. has ZooKeeper save the tree as `.gz` and `.snappy`, copied to `golden/zk38-snapshot.*`,
//!    which [`reads_snapshots_compressed_by_zookeeper`] checks on every run.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_same_tree, Workload};
use zkrs_storage::*;

const TXNS: usize = 120;

fn opts(c: SnapshotCompression) -> StorageOptions {
    StorageOptions {
        snapshot_compression: c,
        ..StorageOptions::default()
    }
}

/// 120 txns; a snapshot after 80 (in the directory's compression); a log roll at the
/// snapshot.
fn workload_into(dir: &Path, c: SnapshotCompression) -> Workload {
    let mut st = FileTxnSnapLog::open(OsFs, dir, dir, opts(c)).unwrap();
    st.restore().unwrap();
    let mut w = Workload::new();
    for e in w.mixed(80) {
        st.append(&e).unwrap();
    }
    st.commit(true).unwrap();
    st.roll_log().unwrap();
    st.save_snapshot(&w.tree, w.sessions.clone(), None).unwrap();
    for e in w.mixed(TXNS - 80) {
        st.append(&e).unwrap();
    }
    st.commit(true).unwrap();
    st.close().unwrap();
    w
}

fn state_line(w: &Workload, txns_in_logs: usize) -> String {
    let sessions: Vec<String> = w
        .sessions
        .iter()
        .map(|(id, t)| format!("{id:x}={t}"))
        .collect();
    format!(
        "zxid={:x} nodes={} digest={} sessions={{{}}} txns={}",
        w.tree.last_processed_zxid(),
        w.tree.node_count(),
        w.tree.digest(),
        sessions.join(", "),
        txns_in_logs
    )
}

#[test]
#[ignore = "run by tests/java-compat/run.sh"]
fn write_dirs_for_zookeeper() {
    let out = PathBuf::from(std::env::var("ZKRS_JAVA_COMPAT_OUT").expect("ZKRS_JAVA_COMPAT_OUT"));
    let mut expected = String::new();
    for (name, c) in [
        ("plain", SnapshotCompression::None),
        ("gz", SnapshotCompression::Gzip),
        ("snappy", SnapshotCompression::Snappy),
    ] {
        let dir = out.join(name);
        let w = workload_into(&dir, c);
        // ZooKeeper must load our snapshot.50[.gz|.snappy]: nothing older is left to fall
        // back to.
        let snap0 = format!("snapshot.0{}", c.extension());
        std::fs::remove_file(dir.join("version-2").join(snap0)).unwrap();
        std::fs::remove_file(dir.join("version-2/log.1")).unwrap();
        expected.push_str(&format!("{name} {}\n", state_line(&w, TXNS - 80)));
    }
    std::fs::write(out.join("expected.txt"), expected).unwrap();
}

#[test]
fn reads_snapshots_compressed_by_zookeeper() {
    let mut w = Workload::new();
    w.mixed(TXNS);
    let golden = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let name = format!("zk38-snapshot.{:x}", TXNS);
    for ext in ["gz", "snappy"] {
        let file = golden.join(format!("{name}.{ext}"));
        let bytes = std::fs::read(&file).unwrap();
        let c = SnapshotCompression::from_file_name(&format!("x.{ext}"));
        let raw = c.decompress(&bytes, usize::MAX).unwrap();
        let s = LoadedSnapshot::deserialize(&raw, SnapshotReadOptions::default()).unwrap();
        assert_same_tree(&s.tree, &w.tree);
        assert_eq!(s.sessions, w.sessions);
        assert_eq!(s.zxid_digest, w.tree.last_processed_zxid_digest());
        // Through the file API too (validity check by magic, name → compression).
        let tmp = tempfile::tempdir().unwrap();
        std::fs::copy(&file, tmp.path().join(format!("snapshot.{:x}.{ext}", TXNS))).unwrap();
        let snap = FileSnap::new(OsFs, tmp.path());
        let f = snap.find_n_valid(1).unwrap().pop().unwrap();
        assert_eq!(f.compression, c);
        let back = snap.read(&f, SnapshotReadOptions::default()).unwrap();
        assert_eq!(back.tree.last_processed_zxid(), TXNS as i64);
    }
}
