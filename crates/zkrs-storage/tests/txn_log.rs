//! The txn log writer and reader: naming, header, preallocation, group commit, rolling, the
//! crash model, reading from a zxid across files.

mod common;

use std::path::{Path, PathBuf};

use common::Workload;
use zkrs_jute::{FileHeader, Jute, TxnEntry};
use zkrs_storage::padding::calculate_file_size_with_padding;
use zkrs_storage::*;

fn small(pre_alloc_size: u64) -> TxnLogOptions {
    TxnLogOptions {
        pre_alloc_size,
        ..TxnLogOptions::default()
    }
}

fn read_all<F: Fs>(fs: &F, dir: &Path, from: i64) -> (Vec<TxnEntry>, Option<TornTail>) {
    let mut r = TxnLogReader::open(fs.clone(), dir, from, LogReadOptions::default()).unwrap();
    let v = r.by_ref().map(|t| t.unwrap().entry).collect();
    (v, r.take_torn_tail())
}

#[test]
fn fresh_log_is_header_plus_64_mib_on_disk() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut w = Workload::new();
    let mut log = FileTxnLog::new(OsFs, dir, TxnLogOptions::default());
    log.append(&w.create_session(0x100, 30_000)).unwrap();
    let out = log.flush_and_sync(true).unwrap();
    assert!(out.fsync.is_some());
    assert_eq!(out.last_zxid, Some(1));
    let path = dir.join("log.1");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), 67_108_880);
    let bytes = std::fs::read(&path).unwrap();
    let h = FileHeader::from_bytes(&bytes[..16]).unwrap();
    assert_eq!(
        (h.magic, h.version, h.dbid),
        (FileHeader::TXNLOG_MAGIC, 2, 0)
    );
    let (txns, torn) = read_all(&OsFs, dir, 1);
    assert_eq!(txns, w.entries);
    assert!(torn.is_none());
    // No fsync when forceSync is off.
    log.append(&w.create(0x100, "/a", b"x", false)).unwrap();
    assert_eq!(log.flush_and_sync(false).unwrap().fsync, None);
}

#[test]
fn names_are_the_first_zxid_in_lowercase_hex() {
    let fs = MemFs::new();
    let dir = PathBuf::from("/logs");
    fs.create_dir_all(&dir).unwrap();
    let mut w = Workload::new();
    w.zxid = 0x1_0000_0000 + 0xa9; // epoch 1
    let mut log = FileTxnLog::new(fs.clone(), &dir, small(4096));
    log.append(&w.create_session(7, 5000)).unwrap();
    log.flush_and_sync(true).unwrap();
    assert_eq!(
        log.current_file(),
        Some(dir.join("log.1000000aa").as_path())
    );
}

#[test]
fn preallocation_follows_file_padding() {
    let fs = MemFs::new();
    let dir = PathBuf::from("/logs");
    fs.create_dir_all(&dir).unwrap();
    let pre = 8192u64;
    let mut log = FileTxnLog::new(fs.clone(), &dir, small(pre));
    let mut w = Workload::new();
    w.create_session(1, 1000);
    let mut size = 16u64;
    let mut position = 16u64;
    for i in 0..400 {
        let e = w.create(1, &format!("/node-{i:04}"), &[7u8; 100], false);
        // What FilePadding decides before the append, from the last flushed position.
        size = calculate_file_size_with_padding(position, size, pre);
        log.append(&e).unwrap();
        if i % 3 == 0 {
            let out = log.flush_and_sync(true).unwrap();
            position += out.bytes_written;
            size = size.max(position);
            assert_eq!(fs.file_len(&dir.join("log.2")).unwrap(), size);
            assert_eq!(log.current_log_size(), size);
        }
    }
    log.flush_and_sync(true).unwrap();
    let (txns, torn) = read_all(&fs, &dir, 0);
    assert_eq!(txns.len(), 400);
    assert!(torn.is_none());
}

#[test]
fn group_commit_crash_keeps_exactly_the_synced_txns() {
    let fs = MemFs::new();
    let dir = PathBuf::from("/logs");
    fs.create_dir_all(&dir).unwrap();
    let mut w = Workload::new();
    let mut log = FileTxnLog::new(fs.clone(), &dir, small(4096));
    let txns = w.mixed(40);
    for e in &txns[..25] {
        log.append(e).unwrap();
    }
    let out = log.flush_and_sync(true).unwrap();
    assert_eq!(out.last_zxid, Some(25));
    // Appended and even written, but not synced: lost on power failure.
    for e in &txns[25..] {
        log.append(e).unwrap();
    }
    log.flush_and_sync(false).unwrap();
    fs.crash();
    let (read, torn) = read_all(&fs, &dir, 1);
    assert_eq!(read, txns[..25]);
    assert!(torn.is_none(), "unsynced bytes vanish cleanly here");
}

#[test]
fn a_batch_across_a_roll_is_durable_in_both_files() {
    let fs = MemFs::new();
    let dir = PathBuf::from("/logs");
    fs.create_dir_all(&dir).unwrap();
    let mut w = Workload::new();
    let txns = w.mixed(30);
    let mut log = FileTxnLog::new(fs.clone(), &dir, small(4096));
    for e in &txns[..10] {
        log.append(e).unwrap();
    }
    log.roll().unwrap();
    for e in &txns[10..] {
        log.append(e).unwrap();
    }
    log.flush_and_sync(true).unwrap();
    fs.crash();
    let files = list_log_files(&fs, &dir).unwrap();
    assert_eq!(files.iter().map(|(z, _)| *z).collect::<Vec<_>>(), [1, 11]);
    assert_eq!(read_all(&fs, &dir, 1).0, txns);
}

#[test]
fn reading_from_a_zxid_picks_the_covering_files() {
    let fs = MemFs::new();
    let dir = PathBuf::from("/logs");
    fs.create_dir_all(&dir).unwrap();
    let mut w = Workload::new();
    let txns = w.mixed(100);
    let mut log = FileTxnLog::new(fs.clone(), &dir, small(0));
    for (i, e) in txns.iter().enumerate() {
        log.append(e).unwrap();
        if i % 7 == 6 {
            log.flush_and_sync(true).unwrap();
        }
        if i % 30 == 29 {
            log.roll().unwrap();
        }
    }
    log.flush_and_sync(true).unwrap();
    assert_eq!(list_log_files(&fs, &dir).unwrap().len(), 4);
    for from in [0, 1, 2, 30, 31, 32, 55, 61, 91, 100, 101, 500] {
        let (read, torn) = read_all(&fs, &dir, from);
        let want: Vec<_> = txns
            .iter()
            .filter(|e| e.header.zxid >= from)
            .cloned()
            .collect();
        assert_eq!(read, want, "from {from}");
        assert!(torn.is_none());
    }
    assert_eq!(
        last_logged_zxid(&fs, &dir, LogReadOptions::default()).unwrap(),
        Some(100)
    );
}

#[test]
fn size_limit_rolls_after_a_flush() {
    let fs = MemFs::new();
    let dir = PathBuf::from("/logs");
    fs.create_dir_all(&dir).unwrap();
    let mut w = Workload::new();
    let mut log = FileTxnLog::new(
        fs.clone(),
        &dir,
        TxnLogOptions {
            pre_alloc_size: 0,
            size_limit: Some(1000),
            db_id: 0,
        },
    );
    let mut rolled = 0;
    for e in w.mixed(60) {
        log.append(&e).unwrap();
        if log.flush_and_sync(true).unwrap().rolled {
            rolled += 1;
        }
    }
    assert!(rolled >= 3);
    assert_eq!(list_log_files(&fs, &dir).unwrap().len(), rolled + 1);
    assert_eq!(read_all(&fs, &dir, 1).0.len(), 60);
}

#[test]
fn raw_appends_and_refusals() {
    let fs = MemFs::new();
    let dir = PathBuf::from("/logs");
    fs.create_dir_all(&dir).unwrap();
    let mut w = Workload::new();
    let e = w.create_session(9, 100);
    let mut log = FileTxnLog::new(fs.clone(), &dir, small(4096));
    log.append_raw(&e.encode()).unwrap();
    assert!(matches!(
        log.append_raw(&[1, 2, 3]),
        Err(StorageError::InvalidTxn(_))
    ));
    log.flush_and_sync(true).unwrap();
    assert_eq!(read_all(&fs, &dir, 1).0, std::slice::from_ref(&e));

    // A new writer must not overwrite log.1, which holds a txn.
    let mut again = FileTxnLog::new(fs.clone(), &dir, small(4096));
    assert!(matches!(
        again.append(&e),
        Err(StorageError::LogFileExists { .. })
    ));
    // ...and is unusable afterwards.
    assert!(matches!(
        again.flush_and_sync(true),
        Err(StorageError::WriterFailed(_))
    ));
    // Out-of-order appends are counted, like ZooKeeper's warning.
    let e2 = w.create(9, "/x", b"", false);
    log.append(&e2).unwrap();
    log.append(&e2).unwrap();
    assert_eq!(log.out_of_order_appends(), 1);
}
