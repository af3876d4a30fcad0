//! Torn tails and corruption: every cut of the last record is detected, reported and cut
//! away by recovery, keeping every earlier txn; damage followed by an intact record is an
//! error, never skipped.

mod common;

use std::path::{Path, PathBuf};

use common::{assert_same_tree, Workload};
use zkrs_jute::TxnEntry;
use zkrs_storage::*;

const DATA: &str = "/zk";

fn opts(pre_alloc_size: u64) -> StorageOptions {
    StorageOptions {
        txn_log: TxnLogOptions {
            pre_alloc_size,
            ..TxnLogOptions::default()
        },
        ..StorageOptions::default()
    }
}

/// A data dir with snapshot.0 and one log file holding `txns` (flushed in batches of 3).
fn setup(fs: &MemFs, txns: &[TxnEntry], pre_alloc_size: u64) -> PathBuf {
    let dir = Path::new(DATA);
    let mut st = FileTxnSnapLog::open(fs.clone(), dir, dir, opts(pre_alloc_size)).unwrap();
    st.restore().unwrap();
    for (i, e) in txns.iter().enumerate() {
        st.append(e).unwrap();
        if i % 3 == 2 {
            st.commit(true).unwrap();
        }
    }
    st.commit(true).unwrap();
    st.close().unwrap();
    dir.join("version-2/log.1")
}

fn restore(fs: &MemFs, pre_alloc_size: u64) -> Result<Restored, StorageError> {
    let dir = Path::new(DATA);
    FileTxnSnapLog::open(fs.clone(), dir, dir, opts(pre_alloc_size))?.restore()
}

fn expected_after(txns: &[TxnEntry]) -> Workload {
    let mut w = Workload::new();
    for e in txns {
        let _ = w.tree.process_txn(&e.header, &e.body);
        let _ = w.tree.take_watch_events();
    }
    w
}

#[test]
fn truncating_the_last_record_at_every_byte_keeps_all_earlier_txns() {
    let mut w = Workload::new();
    let txns = w.mixed(12);
    let base = MemFs::new();
    let log = setup(&base, &txns, 0);
    let full = base.read(&log).unwrap();
    let scan = LogFileScan::scan(&full, DEFAULT_MAX_RECORD_LEN);
    let last = *scan.records.last().unwrap();
    assert_eq!(last.end(), full.len() as u64);
    let keep = expected_after(&txns[..11]);
    for cut in last.offset..last.end() {
        let fs = MemFs::new();
        fs.put(
            &Path::new(DATA).join("version-2/snapshot.0"),
            &base
                .read(&Path::new(DATA).join("version-2/snapshot.0"))
                .unwrap(),
        );
        fs.put(&log, &full[..cut as usize]);
        let r = restore(&fs, 0).unwrap_or_else(|e| panic!("cut {cut}: {e}"));
        assert_eq!(r.tree.last_processed_zxid(), 11, "cut {cut}");
        assert_same_tree(&r.tree, &keep.tree);
        if cut == last.offset {
            // The file ends right after record 11: nothing torn.
            assert!(r.report.torn_tail.is_none(), "cut {cut}");
        } else {
            let t = r
                .report
                .torn_tail
                .as_ref()
                .unwrap_or_else(|| panic!("cut {cut}"));
            assert_eq!(t.file, log);
            assert_eq!(t.offset, last.offset);
            assert_eq!(t.last_good_zxid, Some(11));
            assert!(r.report.torn_tail_repaired);
            assert_eq!(fs.file_len(&log).unwrap(), last.offset, "cut {cut}");
        }
        // A second start finds a clean log.
        let again = restore(&fs, 0).unwrap();
        assert!(again.report.torn_tail.is_none());
        assert_eq!(again.tree.last_processed_zxid(), 11);
    }
}

#[test]
fn unsynced_tail_in_a_preallocated_file_at_every_byte() {
    // Preallocated (zeros after the data): a crash loses a suffix of the last record, which
    // reads back as zeros.
    let mut w = Workload::new();
    let txns = w.mixed(9);
    let base = MemFs::new();
    let log = setup(&base, &txns, 4096);
    let full = base.read(&log).unwrap();
    let scan = LogFileScan::scan(&full, DEFAULT_MAX_RECORD_LEN);
    let last = *scan.records.last().unwrap();
    let snap0 = Path::new(DATA).join("version-2/snapshot.0");
    for keep_bytes in last.offset..last.end() {
        let mut bytes = full.clone();
        for b in &mut bytes[keep_bytes as usize..last.end() as usize] {
            *b = 0;
        }
        let fs = MemFs::new();
        fs.put(&snap0, &base.read(&snap0).unwrap());
        fs.put(&log, &bytes);
        let r = restore(&fs, 4096).unwrap();
        assert_eq!(r.tree.last_processed_zxid(), 8, "kept {keep_bytes}");
        let any_left = bytes[last.offset as usize..keep_bytes as usize]
            .iter()
            .any(|&b| b != 0);
        assert_eq!(r.report.torn_tail.is_some(), any_left, "kept {keep_bytes}");
    }
}

#[test]
fn flipped_byte_in_the_last_record_is_a_torn_tail() {
    let mut w = Workload::new();
    let txns = w.mixed(10);
    let fs = MemFs::new();
    let log = setup(&fs, &txns, 4096);
    let mut bytes = fs.read(&log).unwrap();
    let last = *LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN)
        .records
        .last()
        .unwrap();
    bytes[last.offset as usize + 20] ^= 0x40;
    fs.put(&log, &bytes);
    let r = restore(&fs, 4096).unwrap();
    let t = r.report.torn_tail.unwrap();
    assert!(matches!(
        t.damage,
        Some(RecordDamage::ChecksumMismatch { .. })
    ));
    assert_eq!(t.last_good_zxid, Some(9));
    assert_eq!(r.tree.last_processed_zxid(), 9);
}

#[test]
fn corruption_in_the_middle_is_an_error() {
    let mut w = Workload::new();
    let txns = w.mixed(10);
    let fs = MemFs::new();
    let log = setup(&fs, &txns, 4096);
    let mut bytes = fs.read(&log).unwrap();
    let rec = LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN).records[4];
    bytes[rec.offset as usize + 30] ^= 0x01;
    fs.put(&log, &bytes);
    match restore(&fs, 4096) {
        Err(StorageError::CorruptLog {
            file,
            offset,
            damage,
            last_good_zxid,
            intact_offset,
            ..
        }) => {
            assert_eq!(file, log);
            assert_eq!(offset, rec.offset);
            assert!(matches!(damage, RecordDamage::ChecksumMismatch { .. }));
            assert_eq!(last_good_zxid, Some(4));
            assert_eq!(intact_offset, rec.end());
        }
        other => panic!("expected CorruptLog, got {other:?}"),
    }
    // The file is untouched: nothing was cut.
    assert_eq!(fs.read(&log).unwrap(), bytes);

    // Cutting after a zxid the damage lies before is refused: txns <= 9 follow the damage.
    let v2 = Path::new(DATA).join("version-2");
    let out = truncate_after(&fs, &v2, 9, LogReadOptions::default());
    assert!(matches!(out, Err(StorageError::CorruptLog { .. })));
    // An operator can cut it knowingly, after the last good zxid.
    let out = truncate_after(&fs, &v2, 4, LogReadOptions::default()).unwrap();
    assert_eq!(out.cut, Some((log.clone(), rec.offset)));
    let r = restore(&fs, 4096).unwrap();
    assert_eq!(r.tree.last_processed_zxid(), 4);
    assert!(r.report.torn_tail.is_none());
}

#[test]
fn damage_at_the_end_of_an_older_file_with_a_newer_file_is_an_error() {
    let mut w = Workload::new();
    let txns = w.mixed(10);
    let fs = MemFs::new();
    let dir = Path::new(DATA);
    let mut st = FileTxnSnapLog::open(fs.clone(), dir, dir, opts(4096)).unwrap();
    st.restore().unwrap();
    for e in &txns[..5] {
        st.append(e).unwrap();
    }
    st.roll_log().unwrap();
    for e in &txns[5..] {
        st.append(e).unwrap();
    }
    st.commit(true).unwrap();
    st.close().unwrap();
    let first = dir.join("version-2/log.1");
    let mut bytes = fs.read(&first).unwrap();
    let last = *LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN)
        .records
        .last()
        .unwrap();
    bytes[last.end() as usize - 1] = b'X';
    fs.put(&first, &bytes);
    match restore(&fs, 4096) {
        Err(StorageError::CorruptLog {
            damage: RecordDamage::MissingEndOfRecord { found: b'X' },
            intact_file,
            ..
        }) => assert_eq!(intact_file, dir.join("version-2/log.6")),
        other => panic!("expected CorruptLog, got {other:?}"),
    }
}

#[test]
fn torn_across_a_roll_removes_the_empty_newer_file() {
    let mut w = Workload::new();
    let txns = w.mixed(6);
    let fs = MemFs::new();
    let log = setup(&fs, &txns, 4096);
    // Tear the last record of log.1 and leave a newer file that only has part of a header.
    let mut bytes = fs.read(&log).unwrap();
    let last = *LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN)
        .records
        .last()
        .unwrap();
    bytes[last.offset as usize + 12] ^= 0xff;
    fs.put(&log, &bytes);
    let newer = Path::new(DATA).join("version-2/log.7");
    fs.put(&newer, &[0x5a, 0x4b, 0x4c]);
    let r = restore(&fs, 4096).unwrap();
    let t = r.report.torn_tail.unwrap();
    assert_eq!(t.later_files, std::slice::from_ref(&newer));
    assert!(!fs.exists(&newer));
    assert_eq!(r.tree.last_processed_zxid(), 5);
}

#[test]
fn newest_file_with_a_short_header_is_torn_and_removed() {
    let mut w = Workload::new();
    let txns = w.mixed(4);
    let fs = MemFs::new();
    setup(&fs, &txns, 4096);
    let newer = Path::new(DATA).join("version-2/log.5");
    fs.put(&newer, &[]);
    let r = restore(&fs, 4096).unwrap();
    assert!(matches!(
        r.report.torn_tail.as_ref().unwrap().damage,
        Some(RecordDamage::HeaderTruncated { len: 0 })
    ));
    assert!(!fs.exists(&newer));
    assert_eq!(r.tree.last_processed_zxid(), 4);
}

#[test]
fn a_file_that_is_not_a_log_is_refused() {
    let mut w = Workload::new();
    let txns = w.mixed(4);
    let fs = MemFs::new();
    setup(&fs, &txns, 4096);
    let junk = Path::new(DATA).join("version-2/log.5");
    fs.put(&junk, b"this is not a zookeeper txn log at all");
    match restore(&fs, 4096) {
        Err(StorageError::NotATxnLog { path, .. }) => assert_eq!(path, junk),
        other => panic!("expected NotATxnLog, got {other:?}"),
    }
}

#[test]
fn truncate_after_keeps_txns_up_to_the_zxid() {
    let mut w = Workload::new();
    let txns = w.mixed(30);
    let fs = MemFs::new();
    let dir = Path::new(DATA);
    let mut st = FileTxnSnapLog::open(fs.clone(), dir, dir, opts(4096)).unwrap();
    st.restore().unwrap();
    for (i, e) in txns.iter().enumerate() {
        st.append(e).unwrap();
        if i % 10 == 9 {
            st.commit(true).unwrap();
            st.roll_log().unwrap();
        }
    }
    st.commit(true).unwrap();
    let out = st.truncate_log(15).unwrap();
    assert_eq!(out.removed, [dir.join("version-2/log.15")]);
    let (file, _) = out.cut.unwrap();
    assert_eq!(file, dir.join("version-2/log.b"));
    let zxids: Vec<i64> = st
        .read_txns(1)
        .unwrap()
        .map(|t| t.unwrap().zxid())
        .collect();
    assert_eq!(zxids, (1..=15).collect::<Vec<_>>());
    // Appending goes on in a new file (log.10 = zxid 16).
    let mut w2 = expected_after(&txns[..15]);
    w2.zxid = 15;
    let e = w2.create(0x0100_0000_0000_0001, "/after", b"", false);
    st.append(&e).unwrap();
    st.commit(true).unwrap();
    assert!(fs.exists(&dir.join("version-2/log.10")));
    let r = restore(&fs, 4096).unwrap();
    assert_eq!(r.tree.last_processed_zxid(), 16);
    assert!(r.tree.node("/after").is_some());
}

#[test]
fn an_unrepaired_torn_tail_blocks_appends() {
    let mut w = Workload::new();
    let txns = w.mixed(5);
    let fs = MemFs::new();
    let log = setup(&fs, &txns, 4096);
    let bytes = fs.read(&log).unwrap();
    let last = *LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN)
        .records
        .last()
        .unwrap();
    fs.put(&log, &bytes[..last.end() as usize - 1]);
    let dir = Path::new(DATA);
    let mut st = FileTxnSnapLog::open(
        fs.clone(),
        dir,
        dir,
        StorageOptions {
            repair_torn_tail: false,
            ..opts(4096)
        },
    )
    .unwrap();
    let r = st.restore().unwrap();
    assert!(r.report.torn_tail.is_some() && !r.report.torn_tail_repaired);
    assert_eq!(fs.file_len(&log).unwrap(), last.end() - 1);
    let mut w2 = expected_after(&txns[..4]);
    w2.zxid = 4;
    let e = w2.create(1, "/x", b"", false);
    assert!(matches!(st.append(&e), Err(StorageError::WriterFailed(_))));
}
