//! Catalogue §6 C (disk, epoch files, restart) at the storage level: what a data directory
//! left by a crash (or by Java) restores to. The simulator's `catalogue_disk.rs` runs the
//! same scenarios with a member restarting inside an ensemble.

mod common;

use std::path::Path;

use common::{assert_same_tree, golden, Workload};
use zkrs_jute::TxnEntry;
use zkrs_storage::*;

const DATA: &str = "/zk";
const V2: &str = "/zk/version-2";

fn opts() -> StorageOptions {
    StorageOptions {
        txn_log: TxnLogOptions {
            pre_alloc_size: 4096,
            ..TxnLogOptions::default()
        },
        ..StorageOptions::default()
    }
}

fn open(fs: &MemFs, o: StorageOptions) -> Result<FileTxnSnapLog<MemFs>, StorageError> {
    FileTxnSnapLog::open(fs.clone(), Path::new(DATA), Path::new(DATA), o)
}

/// `txns` appended to a fresh log and fsynced (one batch).
fn write_log(fs: &MemFs, txns: &[TxnEntry]) {
    fs.create_dir_all(Path::new(V2)).unwrap();
    let mut log = FileTxnLog::new(fs.clone(), Path::new(V2), opts().txn_log);
    for e in txns {
        log.append(e).unwrap();
    }
    log.flush_and_sync(true).unwrap();
    log.close().unwrap();
}

/// Catalogue 28 (ZK-4269, ZK-1653/2354), the data-directory half: a data directory as
/// ZooKeeper leaves it when the power goes after `currentEpoch.tmp` was fsynced and before
/// its rename: Java's empty `snapshot.0` (golden capture of 3.8.0), a log of epoch-2 txns,
/// `acceptedEpoch` 2, `currentEpoch` 1, `currentEpoch.tmp` 2. Checks: it restores and
/// `load_epochs` takes currentEpoch from the tmp file (cE = 2, rewritten to `currentEpoch`),
/// as Java ≥ 3.5.10/3.6.3 does; with the 3.4.6 `updatingEpoch` marker instead, cE is the
/// last zxid's epoch and the marker is consumed; with neither, the start is refused
/// ("older than the last zxid"), as Java does, rather than guessing.
#[test]
fn s28_java_data_dir_with_current_epoch_tmp_starts() {
    let setup = || {
        let fs = MemFs::new();
        fs.put(
            &Path::new(V2).join("snapshot.0"),
            &golden("snapshot.empty.bin"),
        );
        let mut w = Workload::new();
        w.zxid = 2 << 32;
        write_log(&fs, &w.mixed(8));
        fs.put(&Path::new(V2).join("acceptedEpoch"), b"2");
        fs.put(&Path::new(V2).join("currentEpoch"), b"1");
        (fs, w)
    };
    let last = (2 << 32) | 8;

    let (fs, w) = setup();
    fs.put(&Path::new(V2).join("currentEpoch.tmp"), b"2");
    let mut st = open(&fs, opts()).unwrap();
    let r = st.restore().unwrap();
    assert_eq!(r.tree.last_processed_zxid(), last);
    assert_same_tree(&r.tree, &w.tree);
    let e = st.load_epochs(last).unwrap();
    assert_eq!((e.accepted, e.current), (2, 2));
    assert!(e.used_current_tmp);
    assert_eq!(fs.read(&Path::new(V2).join("currentEpoch")).unwrap(), b"2");
    // A second start needs the tmp file no more.
    let e = open(&fs, opts()).unwrap().load_epochs(last).unwrap();
    assert_eq!(e.current, 2);
    assert!(!e.used_current_tmp);

    let (fs, _) = setup();
    fs.put(&Path::new(V2).join("updatingEpoch"), b"");
    let e = open(&fs, opts()).unwrap().load_epochs(last).unwrap();
    assert_eq!((e.accepted, e.current), (2, 2));
    assert!(e.used_updating_epoch);
    assert!(!fs.exists(&Path::new(V2).join("updatingEpoch")));

    let (fs, _) = setup();
    match open(&fs, opts()).unwrap().load_epochs(last) {
        Err(e @ StorageError::EpochMismatch(_)) => {
            assert!(e.to_string().contains("older than the last zxid"), "{e}")
        }
        other => panic!("{other:?}"),
    }
}

/// Catalogue 29 (ZK-1489/1156): a torn log tail, then TRUNC. A log of 10 txns whose last
/// record is cut in the middle (and, separately, whose last record has a bad checksum).
/// Checks: the torn record is the end of the log (9 txns restored, the file cut at its
/// offset); a TRUNC to txn 6 then leaves the file ending exactly at record 6's end, byte for
/// byte what it was (no committed record before it is lost); a txn appended after the TRUNC
/// restores as the 7th, contiguous, and the writer's old handle is not reused (ZK-1489: the
/// appended txn is in a new file read back in order).
#[test]
fn s29_torn_tail_then_trunc_lands_on_a_record_boundary() {
    for bad_checksum in [false, true] {
        let fs = MemFs::new();
        let mut st = open(&fs, opts()).unwrap();
        st.restore().unwrap();
        let mut w = Workload::new();
        let txns = w.mixed(10);
        for e in &txns {
            st.append(e).unwrap();
        }
        st.commit(true).unwrap();
        st.close().unwrap();
        let path = Path::new(V2).join("log.1");
        let bytes = fs.read_trimmed(&path, 0).unwrap();
        let scan = LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN);
        assert_eq!(scan.records.len(), 10);
        let last = scan.records[9];
        let mut torn = bytes[..last.end() as usize].to_vec();
        if bad_checksum {
            torn[last.offset as usize] ^= 0xff;
        } else {
            torn.truncate((last.offset + 7) as usize);
        }
        fs.put(&path, &torn);

        let mut st = open(&fs, opts()).unwrap();
        let r = st.restore().unwrap();
        assert_eq!(r.tree.last_processed_zxid(), 9, "checksum {bad_checksum}");
        let t = r
            .report
            .torn_tail
            .as_ref()
            .expect("a torn tail is reported");
        assert_eq!(t.offset, last.offset);
        assert_eq!(t.last_good_zxid, Some(9));
        assert_eq!(fs.file_len(&path).unwrap(), last.offset);

        st.truncate_log(6).unwrap();
        let cut = fs.read(&path).unwrap();
        assert_eq!(
            cut.len() as u64,
            scan.records[5].end(),
            "TRUNC on a boundary"
        );
        assert_eq!(cut[..], bytes[..scan.records[5].end() as usize]);
        let mut again = Workload::new();
        let kept = again.mixed(6);
        assert_eq!(kept[..], txns[..6]);
        let seventh = again.set_data(0x0100_0000_0000_0001, "/", b"after trunc");
        st.append(&seventh).unwrap();
        st.commit(true).unwrap();
        st.close().unwrap();

        let r = open(&fs, opts()).unwrap().restore().unwrap();
        assert!(r.report.torn_tail.is_none());
        assert_eq!(r.report.replayed_range, Some((1, 7)));
        assert_same_tree(&r.tree, &again.tree);
    }
}

/// Catalogue 30 (ZK-2325/3056/261): missing snapshot, non-empty log. Checks: a data
/// directory with txn logs and no snapshot refuses to start (`EmptySnapshotWithLogs`), also
/// when the logs were partly purged (they start at txn 11); with snapshots that all fail to
/// load it refuses too (`NoValidSnapshot`) instead of falling back to the logs; only
/// `snapshot.trust.empty` starts from the logs. With no data at all and no `initialize`
/// marker under `db.autocreate=false`, the database is untrusted: lastProcessedZxid -1
/// (the vote zxid) and nothing is written.
#[test]
fn s30_missing_snapshot_nonempty_log_refuses_to_start() {
    let mut w = Workload::new();
    let txns = w.mixed(20);

    let fs = MemFs::new();
    write_log(&fs, &txns);
    match open(&fs, opts()).unwrap().restore() {
        Err(StorageError::EmptySnapshotWithLogs {
            last_logged_zxid, ..
        }) => assert_eq!(last_logged_zxid, 20),
        other => panic!("{other:?}"),
    }

    // Partly purged: the log starts at txn 11.
    let fs = MemFs::new();
    write_log(&fs, &txns[10..]);
    assert!(matches!(
        open(&fs, opts()).unwrap().restore(),
        Err(StorageError::EmptySnapshotWithLogs { .. })
    ));
    let trust = StorageOptions {
        snapshot_trust_empty: true,
        ..opts()
    };
    let r = open(&fs, trust).unwrap().restore().unwrap();
    assert_eq!(r.report.replayed_range, Some((11, 20)));

    // A snapshot that does not load is no excuse to start from the logs.
    let fs = MemFs::new();
    write_log(&fs, &txns);
    fs.put(&Path::new(V2).join("snapshot.5"), b"not a snapshot at all");
    assert!(matches!(
        open(&fs, opts()).unwrap().restore(),
        Err(StorageError::NoValidSnapshot { .. })
    ));

    // Empty and untrusted.
    let fs = MemFs::new();
    let untrusted = StorageOptions {
        db_autocreate: false,
        ..opts()
    };
    let r = open(&fs, untrusted).unwrap().restore().unwrap();
    assert_eq!(r.tree.last_processed_zxid(), -1);
    assert!(r.report.untrusted_empty);
    assert!(fs.list_dir(Path::new(V2)).unwrap().is_empty());
}
