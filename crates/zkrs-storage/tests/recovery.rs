//! Opening data directories and recovery rules: empty directories, the initialize marker,
//! logs without snapshots, other format versions, separate dataLogDir, epoch files, purging,
//! and the whole server cycle on the real filesystem.

mod common;

use std::path::Path;

use common::{assert_same_tree, Workload};
use zkrs_storage::*;

fn opts() -> StorageOptions {
    StorageOptions {
        txn_log: TxnLogOptions {
            pre_alloc_size: 4096,
            ..TxnLogOptions::default()
        },
        ..StorageOptions::default()
    }
}

fn open(
    fs: &MemFs,
    data: &str,
    log: &str,
    o: StorageOptions,
) -> Result<FileTxnSnapLog<MemFs>, StorageError> {
    FileTxnSnapLog::open(fs.clone(), Path::new(data), Path::new(log), o)
}

#[test]
fn empty_data_dir_rules() {
    // db.autocreate (default): trusted, snapshot.0 written, zxid 0.
    let fs = MemFs::new();
    let r = open(&fs, "/a", "/a", opts()).unwrap().restore().unwrap();
    assert_eq!(r.tree.last_processed_zxid(), 0);
    assert!(fs.exists(Path::new("/a/version-2/snapshot.0")));

    // db.autocreate=false: not trusted, zxid -1, nothing written.
    let fs = MemFs::new();
    let no_auto = StorageOptions {
        db_autocreate: false,
        ..opts()
    };
    let r = open(&fs, "/a", "/a", no_auto.clone())
        .unwrap()
        .restore()
        .unwrap();
    assert_eq!(r.tree.last_processed_zxid(), -1);
    assert!(r.report.untrusted_empty);
    assert!(fs.list_dir(Path::new("/a/version-2")).unwrap().is_empty());

    // ...unless the initialize marker is in dataLogDir; it is consumed.
    fs.put(Path::new("/a/initialize"), b"");
    let r = open(&fs, "/a", "/a", no_auto.clone())
        .unwrap()
        .restore()
        .unwrap();
    assert_eq!(r.tree.last_processed_zxid(), 0);
    assert!(r.report.initialize_marker_found);
    assert!(!fs.exists(Path::new("/a/initialize")));

    // With a separate dataLogDir the marker lives there, not in dataDir.
    let fs = MemFs::new();
    fs.put(Path::new("/d/initialize"), b"");
    fs.put(Path::new("/l/initialize"), b"");
    let r = open(&fs, "/d", "/l", no_auto).unwrap().restore().unwrap();
    assert!(r.report.initialize_marker_found);
    assert!(fs.exists(Path::new("/d/initialize")));
    assert!(!fs.exists(Path::new("/l/initialize")));
}

#[test]
fn logs_without_a_snapshot_need_trust_empty() {
    let fs = MemFs::new();
    let dir = Path::new("/zk/version-2");
    fs.create_dir_all(dir).unwrap();
    let mut w = Workload::new();
    let mut log = FileTxnLog::new(fs.clone(), dir, opts().txn_log);
    for e in w.mixed(20) {
        log.append(&e).unwrap();
    }
    log.flush_and_sync(true).unwrap();
    match open(&fs, "/zk", "/zk", opts()).unwrap().restore() {
        Err(e @ StorageError::EmptySnapshotWithLogs { .. }) => {
            assert!(e.to_string().contains("Something is broken"));
        }
        other => panic!("{other:?}"),
    }
    let trust = StorageOptions {
        snapshot_trust_empty: true,
        ..opts()
    };
    let r = open(&fs, "/zk", "/zk", trust).unwrap().restore().unwrap();
    assert_eq!(r.report.txns_replayed, 20);
    assert_same_tree(&r.tree, &w.tree);
    assert!(r.report.initialized_empty.is_none());
}

#[test]
fn directory_checks() {
    // Another format version only: refused, never silently started empty.
    let fs = MemFs::new();
    fs.put(Path::new("/old/version-1/log.1"), b"x");
    match open(&fs, "/old", "/old", opts()) {
        Err(e @ StorageError::UnsupportedFormatDir { .. }) => {
            assert!(e.to_string().contains("version-1"));
        }
        other => panic!("{other:?}"),
    }
    // version-2 that is a file.
    let fs = MemFs::new();
    fs.put(Path::new("/f/version-2"), b"");
    assert!(matches!(
        open(&fs, "/f", "/f", opts()),
        Err(StorageError::NotADirectory { .. })
    ));
    // datadir.autocreate=false.
    let fs = MemFs::new();
    let o = StorageOptions {
        datadir_autocreate: false,
        ..opts()
    };
    assert!(matches!(
        open(&fs, "/n", "/n", o),
        Err(StorageError::MissingDataDir { .. })
    ));
    // Separate directories with each other's files (ZOOKEEPER-2967).
    let fs = MemFs::new();
    fs.put(Path::new("/l/version-2/snapshot.0"), b"");
    fs.create_dir_all(Path::new("/d/version-2")).unwrap();
    assert!(matches!(
        open(&fs, "/d", "/l", opts()),
        Err(StorageError::LogDirHasSnapshots { .. })
    ));
    let fs = MemFs::new();
    fs.put(Path::new("/d/version-2/log.1"), b"");
    fs.create_dir_all(Path::new("/l/version-2")).unwrap();
    assert!(matches!(
        open(&fs, "/d", "/l", opts()),
        Err(StorageError::SnapDirHasLogs { .. })
    ));
}

#[test]
fn separate_data_log_dir_and_ignored_files() {
    let fs = MemFs::new();
    let mut st = open(&fs, "/d", "/l", opts()).unwrap();
    st.restore().unwrap();
    let mut w = Workload::new();
    for e in w.mixed(10) {
        st.append(&e).unwrap();
    }
    st.commit(true).unwrap();
    st.close().unwrap();
    assert!(fs.exists(Path::new("/l/version-2/log.1")));
    assert!(fs.exists(Path::new("/d/version-2/snapshot.0")));
    fs.put(Path::new("/d/version-2/README"), b"notes");
    let r = open(&fs, "/d", "/l", opts()).unwrap().restore().unwrap();
    assert_same_tree(&r.tree, &w.tree);
    assert_eq!(
        r.report.ignored_files,
        [Path::new("/d/version-2/README").to_path_buf()]
    );
}

#[test]
fn epoch_files() {
    let fs = MemFs::new();
    let st = open(&fs, "/zk", "/zk", opts()).unwrap();
    let v2 = Path::new("/zk/version-2");
    // Missing: created from the epoch of the last zxid, as ASCII decimal, no newline.
    let e = st.load_epochs(0x5_0000_0007).unwrap();
    assert_eq!((e.current, e.accepted), (5, 5));
    assert!(e.created_current && e.created_accepted);
    assert_eq!(fs.read(&v2.join("currentEpoch")).unwrap(), b"5");
    assert_eq!(fs.read(&v2.join("acceptedEpoch")).unwrap(), b"5");
    st.write_accepted_epoch(7).unwrap();
    let e = st.load_epochs(0x5_0000_0007).unwrap();
    assert_eq!((e.current, e.accepted, e.created_current), (5, 7, false));
    // ZooKeeper's own files may end with a newline; only the first line counts.
    fs.put(&v2.join("acceptedEpoch"), b"8\n");
    assert_eq!(st.load_epochs(0x5_0000_0007).unwrap().accepted, 8);
    // accepted < current.
    st.write_current_epoch(9).unwrap();
    assert!(matches!(
        st.load_epochs(0x5_0000_0007),
        Err(StorageError::EpochMismatch(_))
    ));
    // currentEpoch older than the data: error, unless currentEpoch.tmp has the newer one.
    st.write_current_epoch(5).unwrap();
    st.write_accepted_epoch(6).unwrap();
    assert!(matches!(
        st.load_epochs(0x6_0000_0001),
        Err(StorageError::EpochMismatch(_))
    ));
    fs.put(&v2.join("currentEpoch.tmp"), b"6");
    let e = st.load_epochs(0x6_0000_0001).unwrap();
    assert!(e.used_current_tmp);
    assert_eq!(e.current, 6);
    // Garbage.
    fs.put(&v2.join("currentEpoch"), b"six");
    match st.load_epochs(0) {
        Err(e @ StorageError::BadEpochFile { .. }) => assert!(e.to_string().contains("six")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn purge_keeps_n_snapshots_and_the_logs_they_need() {
    let fs = MemFs::new();
    let mut st = open(&fs, "/zk", "/zk", opts()).unwrap();
    st.restore().unwrap();
    let mut w = Workload::new();
    for _ in 0..5 {
        for e in w.mixed(20) {
            st.append(&e).unwrap();
        }
        st.commit(true).unwrap();
        st.roll_log().unwrap();
        st.save_snapshot(&w.tree, w.sessions.clone(), None).unwrap();
    }
    for e in w.mixed(5) {
        st.append(&e).unwrap();
    }
    st.commit(true).unwrap();
    assert!(matches!(st.purge(2), Err(StorageError::InvalidArgument(_))));
    // Snapshots 0, 14, 28, 3c, 50, 64; logs 1, 15, 29, 3d, 51, 65.
    let out = st.purge(3).unwrap();
    assert_eq!(out.least_zxid_retained, Some(0x3c));
    let mut left = fs.list_dir(Path::new("/zk/version-2")).unwrap();
    left.sort();
    assert_eq!(
        left,
        [
            // log.29 holds 0x29..=0x3c: ZooKeeper keeps the log that starts at or before the
            // oldest kept snapshot (fuzzy snapshots may need it).
            "log.29",
            "log.3d",
            "log.51",
            "log.65",
            "snapshot.3c",
            "snapshot.50",
            "snapshot.64"
        ]
    );
    st.close().unwrap();
    // Still recoverable, to the same state.
    let r = open(&fs, "/zk", "/zk", opts()).unwrap().restore().unwrap();
    assert_same_tree(&r.tree, &w.tree);
}

#[test]
fn server_cycle_on_the_real_filesystem() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let logs = tmp.path().join("logs");
    let o = StorageOptions::default(); // 64 MiB preallocation (sparse)
    let mut w = Workload::new();
    {
        let mut st = FileTxnSnapLog::open(OsFs, &data, &logs, o.clone()).unwrap();
        let r = st.restore().unwrap();
        assert_eq!(r.tree.last_processed_zxid(), 0);
        for batch in 0..10 {
            for e in w.mixed(25) {
                st.append(&e).unwrap();
            }
            st.commit(true).unwrap();
            if batch == 4 {
                st.roll_log().unwrap();
                st.save_snapshot(&w.tree, w.sessions.clone(), None).unwrap();
            }
        }
        // Appended, never committed: a crash loses these (not acknowledged).
        for e in w.mixed(3) {
            st.append(&e).unwrap();
        }
        drop(st);
    }
    let mut st = FileTxnSnapLog::open(OsFs, &data, &logs, o).unwrap();
    let r = st.restore().unwrap();
    assert_eq!(r.tree.last_processed_zxid(), 250);
    assert_eq!(r.report.snapshot.as_ref().unwrap().1, 125);
    assert_eq!(r.report.txns_replayed, 125);
    assert!(r.report.torn_tail.is_none());
    let mut expected = Workload::new();
    for e in &w.entries[..250] {
        let _ = expected.tree.process_txn(&e.header, &e.body);
    }
    assert_same_tree(&r.tree, &expected.tree);
    // The next append opens a new file after the last txn.
    let mut w2 = Workload::new();
    w2.tree = r.tree.clone();
    w2.zxid = 250;
    st.append(&w2.create(0x0100_0000_0000_0001, "/next", b"", false))
        .unwrap();
    st.commit(true).unwrap();
    assert!(logs.join("version-2/log.fb").exists());
    assert_eq!(st.last_logged_zxid().unwrap(), Some(251));
}
