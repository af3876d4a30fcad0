//! Property tests: arbitrary bytes in a log or snapshot never panic, and damage to a valid log
//! never makes the reader serve a txn that was not written.

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{tree_dump, Workload};
use proptest::prelude::*;
use zkrs_jute::TxnEntry;
use zkrs_storage::*;

struct Fixture {
    log: Vec<u8>,
    txns: Vec<TxnEntry>,
    snapshot: Vec<u8>,
    workload: Workload,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let fs = MemFs::new();
        let dir = Path::new("/l");
        fs.create_dir_all(dir).unwrap();
        let mut w = Workload::new();
        let txns = w.mixed(40);
        let mut log = FileTxnLog::new(
            fs.clone(),
            dir,
            TxnLogOptions {
                pre_alloc_size: 2048,
                ..TxnLogOptions::default()
            },
        );
        for (i, e) in txns.iter().enumerate() {
            log.append(e).unwrap();
            if i % 4 == 3 {
                log.flush_and_sync(true).unwrap();
            }
        }
        log.flush_and_sync(true).unwrap();
        let snapshot = SnapshotWriter::serialize(
            &w.tree.view(),
            w.sessions.clone(),
            &SnapshotWriteOptions {
                last_processed_zxid_section: true,
                ..SnapshotWriteOptions::default()
            },
        );
        Fixture {
            log: fs.read(&dir.join("log.1")).unwrap(),
            txns,
            snapshot,
            workload: w,
        }
    })
}

/// Reads a directory holding `bytes` as log.1 (and `extra` as log.1000 if given); returns
/// the txns served before the end or the first error.
fn serve(bytes: &[u8], extra: Option<&[u8]>) -> (Vec<TxnEntry>, bool) {
    let fs = MemFs::new();
    let dir = Path::new("/l");
    fs.put(&dir.join("log.1"), bytes);
    if let Some(x) = extra {
        fs.put(&dir.join("log.1000"), x);
    }
    let mut out = Vec::new();
    let mut failed = false;
    let reader = TxnLogReader::open(fs, dir, 0, LogReadOptions::default()).unwrap();
    for item in reader {
        match item {
            Ok(t) => out.push(t.entry),
            Err(_) => failed = true,
        }
    }
    (out, failed)
}

fn is_prefix(got: &[TxnEntry], all: &[TxnEntry]) -> bool {
    got.len() <= all.len() && got == &all[..got.len()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_as_a_log_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN);
        let _ = serve(&bytes, None);
        // Behind a valid header, too.
        let mut with_header = fixture().log[..16].to_vec();
        with_header.extend_from_slice(&bytes);
        let _ = serve(&with_header, Some(&bytes));
    }

    #[test]
    fn arbitrary_bytes_as_a_snapshot_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = LoadedSnapshot::deserialize(&bytes, SnapshotReadOptions::default());
        for c in [SnapshotCompression::Gzip, SnapshotCompression::Snappy] {
            let _ = c.decompress(&bytes, 1 << 20);
        }
        // Behind a valid header and session count.
        let mut b = fixture().snapshot[..20].to_vec();
        b.extend_from_slice(&bytes);
        let _ = LoadedSnapshot::deserialize(&b, SnapshotReadOptions::default());
    }

    #[test]
    fn a_damaged_log_serves_only_a_prefix_of_what_was_written(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 1u8..=255), 1..4),
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let f = fixture();
        let mut bytes = f.log.clone();
        for (i, x) in &flips {
            let i = i.index(bytes.len());
            bytes[i] ^= x;
        }
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len() + 1));
        }
        let (got, _failed) = serve(&bytes, None);
        prop_assert!(is_prefix(&got, &f.txns), "served {} txns that were not written", got.len());
    }

    #[test]
    fn a_damaged_snapshot_is_rejected_or_identical(
        i in any::<prop::sample::Index>(),
        x in 1u8..=255,
        cut in proptest::option::of(any::<prop::sample::Index>()),
    ) {
        let f = fixture();
        let mut bytes = f.snapshot.clone();
        let i = i.index(bytes.len());
        bytes[i] ^= x;
        if let Some(c) = cut {
            bytes.truncate(c.index(bytes.len() + 1));
        }
        if let Ok(s) = LoadedSnapshot::deserialize(&bytes, SnapshotReadOptions::default()) {
            prop_assert_eq!(tree_dump(&s.tree), tree_dump(&f.workload.tree));
        }
    }
}

#[test]
fn the_undamaged_fixture_reads_whole() {
    let f = fixture();
    let (got, failed) = serve(&f.log, None);
    assert!(!failed);
    assert_eq!(got, f.txns);
}

/// Every single-byte change of the log, one at a time: damage to record k < last is an error
/// after exactly k txns (never skipped); damage to the last record, the end marker or the
/// padding is a torn tail that keeps every txn before it.
#[test]
fn every_single_byte_flip_is_classified() {
    let f = fixture();
    let scan = LogFileScan::scan(&f.log, DEFAULT_MAX_RECORD_LEN);
    let last = scan.records.len() - 1;
    for pos in 16..f.log.len() {
        for x in [0x01u8, 0xff] {
            let mut bytes = f.log.clone();
            bytes[pos] ^= x;
            let (got, failed) = serve(&bytes, None);
            match scan
                .records
                .iter()
                .position(|r| (r.offset..r.end()).contains(&(pos as u64)))
            {
                Some(k) if k < last => {
                    assert!(failed, "byte {pos} (record {k}) was skipped silently");
                    assert_eq!(got, f.txns[..k], "byte {pos}");
                }
                Some(k) => {
                    assert!(!failed, "byte {pos} (last record) is a torn tail");
                    assert_eq!(got, f.txns[..k], "byte {pos}");
                }
                None => {
                    assert!(!failed, "byte {pos} (padding)");
                    assert_eq!(got, f.txns, "byte {pos}");
                }
            }
        }
    }
}
