//! [`read_txns_for_diff`]: the logged txns a leader can DIFF-sync a learner from when the
//! learner is behind the in-memory committed log (`ZKDatabase.getProposalsFromTxnLog` with
//! `calculateTxnLogSizeLimit`, as `LearnerHandler.syncFollower` uses them).

use std::path::Path;

use crate::error::StorageError;
use crate::file_snap::FileSnap;
use crate::fs::Fs;
use crate::log_files::{list_log_files, select_log_files};
use crate::txn_log_reader::{LogReadOptions, LoggedTxn, TxnLogReader};

/// `zookeeper.snapshotSizeFactor` default: the txn log files read for a DIFF may be at most
/// this fraction of the newest snapshot's size.
pub const DEFAULT_SNAPSHOT_SIZE_FACTOR: f64 = 0.33;

/// What the on-disk log offers for a DIFF from a zxid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DiffLog {
    /// The txns from the learner's zxid (included, first) up to the limit zxid (included), in
    /// log order.
    Txns(Vec<LoggedTxn>),
    /// The log cannot serve this DIFF; the reason is for the leader's log line.
    Unavailable(String),
}

/// Reads the txns a DIFF from `peer_zxid` needs, up to `up_to_zxid`, from the txn logs of
/// `log_dir`, when ZooKeeper would:
///
/// - `snapshot_size_factor < 0` disables it (`isTxnLogSyncEnabled`);
/// - the size limit is the newest valid snapshot's file length times the factor (0 without a
///   snapshot, which means no limit, as in ZooKeeper); the log files from the one holding
///   `peer_zxid` on (their lengths on disk, preallocation included, like
///   `TxnIterator.getStorageSize`) must not exceed it;
/// - the first txn at or after `peer_zxid` must be `peer_zxid` itself: a log that starts later,
///   or lacks that zxid, cannot prove the stream has no hole.
///
/// Blocking; a damaged record in the middle of the range is an error (the leader sends SNAP).
pub fn read_txns_for_diff<F: Fs>(
    fs: &F,
    snap_dir: &Path,
    log_dir: &Path,
    peer_zxid: i64,
    up_to_zxid: i64,
    snapshot_size_factor: f64,
    opts: LogReadOptions,
) -> Result<DiffLog, StorageError> {
    if snapshot_size_factor.is_nan() || snapshot_size_factor < 0.0 {
        return Ok(DiffLog::Unavailable(
            "txn log sync is disabled (snapshotSizeFactor < 0)".into(),
        ));
    }
    let snap_len = match FileSnap::new(fs.clone(), snap_dir)
        .find_n_valid(1)?
        .into_iter()
        .next()
    {
        Some(s) => fs
            .file_len(&s.path)
            .map_err(StorageError::io("stat", &s.path))?,
        None => 0,
    };
    // `(long) (snapSize * snapshotSizeFactor)`.
    let size_limit = (snap_len as f64 * snapshot_size_factor) as u64;
    let files = select_log_files(&list_log_files(fs, log_dir)?, peer_zxid);
    if files.is_empty() {
        return Ok(DiffLog::Unavailable("no txn log files".into()));
    }
    if size_limit > 0 {
        let mut storage_size = 0u64;
        for (_, path) in &files {
            storage_size = storage_size
                .saturating_add(fs.file_len(path).map_err(StorageError::io("stat", path))?);
        }
        if storage_size > size_limit {
            return Ok(DiffLog::Unavailable(format!(
                "Txnlog size: {storage_size} exceeds sizeLimit: {size_limit}"
            )));
        }
    }
    let mut out = Vec::new();
    for txn in TxnLogReader::open(fs.clone(), log_dir, peer_zxid, opts)? {
        let txn = txn?;
        let zxid = txn.zxid();
        if out.is_empty() && zxid != peer_zxid {
            return Ok(DiffLog::Unavailable(format!(
                "Unable to find proposals from txnlog for zxid: 0x{peer_zxid:x}"
            )));
        }
        if zxid > up_to_zxid {
            break;
        }
        out.push(txn);
    }
    if out.is_empty() {
        return Ok(DiffLog::Unavailable(format!(
            "Unable to find proposals from txnlog for zxid: 0x{peer_zxid:x}"
        )));
    }
    Ok(DiffLog::Txns(out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mem_fs::MemFs;
    use crate::{FileTxnSnapLog, StorageOptions};
    use zkrs_jute::{TxnEntry, TxnHeader};

    fn entry(zxid: i64) -> TxnEntry {
        TxnEntry {
            header: TxnHeader {
                client_id: 1,
                cxid: 1,
                zxid,
                time: 0,
                r#type: zkrs_jute::OpCode::SetData as i32,
            },
            body: zkrs_jute::TxnBody::SetData(zkrs_jute::SetDataTxn {
                path: "/a".into(),
                data: Some(vec![1, 2, 3].into()),
                version: 0,
            }),
            digest: None,
        }
    }

    fn log_with(n: i64) -> (MemFs, FileTxnSnapLog<MemFs>) {
        let fs = MemFs::new();
        let mut s = FileTxnSnapLog::open(
            fs.clone(),
            Path::new("/d"),
            Path::new("/l"),
            StorageOptions::default(),
        )
        .unwrap();
        for z in 1..=n {
            s.append(&entry((1 << 32) | z)).unwrap();
        }
        s.commit(true).unwrap();
        (fs, s)
    }

    fn read(fs: &MemFs, peer: i64, up_to: i64, factor: f64) -> DiffLog {
        read_txns_for_diff(
            fs,
            Path::new("/d/version-2"),
            Path::new("/l/version-2"),
            peer,
            up_to,
            factor,
            LogReadOptions::default(),
        )
        .unwrap()
    }

    #[test]
    fn reads_from_the_peer_zxid_up_to_the_limit() {
        let (fs, _s) = log_with(50);
        let DiffLog::Txns(txns) = read(&fs, (1 << 32) | 10, (1 << 32) | 40, 0.33) else {
            panic!("expected txns");
        };
        assert_eq!(txns.first().unwrap().zxid(), (1 << 32) | 10);
        assert_eq!(txns.last().unwrap().zxid(), (1 << 32) | 40);
        assert_eq!(txns.len(), 31);
    }

    #[test]
    fn the_logs_may_be_at_most_the_factor_times_the_snapshot() {
        let (fs, s) = log_with(5);
        let tree = zkrs_datatree::DataTree::with_config(Default::default());
        s.save_snapshot(&tree, std::iter::empty(), None).unwrap();
        let log_len: u64 = list_log_files(&fs, Path::new("/l/version-2"))
            .unwrap()
            .iter()
            .map(|(_, p)| fs.file_len(p).unwrap())
            .sum();
        let snap_len = FileSnap::new(fs.clone(), "/d/version-2")
            .find_n_valid(1)
            .unwrap()[0]
            .path
            .clone();
        let snap_len = fs.file_len(&snap_len).unwrap() as f64;
        let enough = (log_len as f64 / snap_len) + 1.0;
        assert!(
            matches!(read(&fs, (1 << 32) | 2, 1 << 40, enough), DiffLog::Txns(t) if t.len() == 4)
        );
        let too_small = (log_len as f64 / snap_len) / 2.0;
        assert!(
            matches!(read(&fs, (1 << 32) | 2, 1 << 40, too_small), DiffLog::Unavailable(r) if r.contains("exceeds sizeLimit"))
        );
    }

    #[test]
    fn refuses_when_disabled_or_the_peer_zxid_is_not_logged() {
        let (fs, _s) = log_with(5);
        assert!(matches!(
            read(&fs, (1 << 32) | 2, 1 << 40, -1.0),
            DiffLog::Unavailable(_)
        ));
        // A zxid the log does not hold (another epoch's tail): no proof of continuity.
        assert!(matches!(
            read(&fs, (2 << 32) | 2, 1 << 40, 0.33),
            DiffLog::Unavailable(_)
        ));
        assert!(matches!(
            read(&fs, 1 << 32, 1 << 40, 0.33),
            DiffLog::Unavailable(_)
        ));
    }
}
