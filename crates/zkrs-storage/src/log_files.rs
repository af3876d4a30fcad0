//! The set of txn log files in a directory: listing, choosing the files that cover a zxid
//! (`FileTxnLog.getLogFiles`, `FileTxnIterator.init`), the last logged zxid, cutting the log
//! after a zxid (`FileTxnLog.truncate`) and cutting a torn tail away.

use std::path::{Path, PathBuf};

use crate::error::StorageError;
use crate::fs::Fs;
use crate::log_record::{header_zxid, FILE_HEADER_LEN};
use crate::log_scan::{find_intact_record, read_log_file, LogFileScan};
use crate::names::{is_tmp, zxid_from_name, LOG_PREFIX};
use crate::torn_tail::TornTail;
use crate::txn_log_reader::{LogReadOptions, TxnLogReader};

/// Every `log.<hex>` file of `dir` as `(start zxid, path)`, ascending (`Util.sortDataDir`).
/// Names that do not parse are not logs (ZooKeeper ignores them too).
pub fn list_log_files<F: Fs>(fs: &F, dir: &Path) -> Result<Vec<(i64, PathBuf)>, StorageError> {
    let mut out = Vec::new();
    for name in fs.list_dir(dir).map_err(StorageError::io("list", dir))? {
        if is_tmp(&name) {
            continue;
        }
        if let Some(z) = zxid_from_name(&name, LOG_PREFIX) {
            out.push((z, dir.join(name)));
        }
    }
    out.sort();
    Ok(out)
}

/// `FileTxnIterator.init`: the files to read for txns `>= zxid`: every file starting at or after
/// `zxid`, plus the newest file that starts before it.
pub fn select_log_files(files: &[(i64, PathBuf)], zxid: i64) -> Vec<(i64, PathBuf)> {
    let before = files.partition_point(|(z, _)| *z < zxid);
    files[before.saturating_sub(1)..].to_vec()
}

/// `FileTxnLog.getLogFiles(files, snapshotZxid)`: the files needed to replay after a snapshot —
/// the newest one starting at or before `snapshot_zxid` and every later one. Purging keeps
/// these.
pub fn log_files_for_snapshot(files: &[(i64, PathBuf)], snapshot_zxid: i64) -> Vec<(i64, PathBuf)> {
    let log_zxid = files
        .iter()
        .map(|(z, _)| *z)
        .filter(|z| *z <= snapshot_zxid)
        .fold(0i64, i64::max);
    files
        .iter()
        .filter(|(z, _)| *z >= log_zxid)
        .cloned()
        .collect()
}

/// The zxid of the last intact txn in the logs of `dir`, newest file first (`None`: no txn).
/// Unlike `getLastLoggedZxid`, a file without txns does not count as its name's zxid.
pub fn last_logged_zxid<F: Fs>(
    fs: &F,
    dir: &Path,
    opts: LogReadOptions,
) -> Result<Option<i64>, StorageError> {
    for (_, path) in list_log_files(fs, dir)?.iter().rev() {
        let bytes =
            read_log_file(fs, path, opts.max_record_len).map_err(StorageError::io("read", path))?;
        if let Some(z) = LogFileScan::scan(&bytes, opts.max_record_len).last_zxid() {
            return Ok(Some(z));
        }
    }
    Ok(None)
}

/// Cuts a torn tail away: truncates its file at the cut (deleting the file when the cut is inside
/// its header) and deletes the later files, then syncs the directory.
pub fn repair_torn_tail<F: Fs>(fs: &F, torn: &TornTail) -> Result<(), StorageError> {
    cut(fs, &torn.file, torn.offset, &torn.later_files)
}

fn cut<F: Fs>(fs: &F, file: &Path, offset: u64, later: &[PathBuf]) -> Result<(), StorageError> {
    // Later files first: a crash in between leaves a shorter log, never a gap.
    for p in later.iter().rev() {
        fs.remove_file(p).map_err(StorageError::io("delete", p))?;
    }
    if offset <= FILE_HEADER_LEN as u64 {
        fs.remove_file(file)
            .map_err(StorageError::io("delete", file))?;
    } else {
        fs.truncate(file, offset)
            .map_err(StorageError::io("truncate", file))?;
    }
    if let Some(dir) = file.parent() {
        fs.sync_dir(dir)
            .map_err(StorageError::io("sync directory", dir))?;
    }
    Ok(())
}

/// What [`truncate_after`] did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TruncateOutcome {
    /// The file cut and where (`None`: every txn was already `<= zxid` and the log ended
    /// cleanly).
    pub cut: Option<(PathBuf, u64)>,
    /// Files deleted (wholly after the cut, or cut inside their header).
    pub removed: Vec<PathBuf>,
    /// The torn tail found (and cut) on the way, if any.
    pub torn_tail: Option<TornTail>,
}

/// `FileTxnLog.truncate` (the learner's TRUNC): removes every txn with a zxid above `zxid`, so
/// the log ends with the last txn `<= zxid`. The log writer must be closed.
///
/// ZooKeeper cuts after the first txn `>= zxid`, keeping it even when it is above `zxid`; this
/// cuts before the first txn `> zxid`. This is also the deliberate repair of corruption in the
/// middle of the log ([`StorageError::CorruptLog`]): with `zxid` = its `last_good_zxid`, the
/// damaged record and everything after it are removed. Damage followed by intact txns that are
/// still `<= zxid` is an error (cutting there would lose txns that were asked to be kept).
pub fn truncate_after<F: Fs>(
    fs: &F,
    dir: &Path,
    zxid: i64,
    opts: LogReadOptions,
) -> Result<TruncateOutcome, StorageError> {
    let files = list_log_files(fs, dir)?;
    if files.is_empty() {
        return Err(StorageError::NoLogFiles {
            dir: dir.to_path_buf(),
        });
    }
    let mut reader = TxnLogReader::open(fs.clone(), dir, zxid, opts)?;
    let cut_at = loop {
        let Some(item) = reader.next() else {
            break None;
        };
        break Some(match item {
            Ok(txn) if txn.zxid() <= zxid => continue,
            Ok(txn) => (txn.file.to_path_buf(), txn.offset),
            Err(StorageError::CorruptLog {
                file,
                offset,
                damage,
                last_good_zxid,
                intact_file,
                intact_offset,
            }) => {
                // Damage after the last txn to keep, and the next intact txn is above `zxid`:
                // everything from the damage on goes, which is what was asked.
                let next = zxid_at(fs, &intact_file, intact_offset, opts)?;
                if next.is_some_and(|n| n > zxid) {
                    (file, offset)
                } else {
                    return Err(StorageError::CorruptLog {
                        file,
                        offset,
                        damage,
                        last_good_zxid,
                        intact_file,
                        intact_offset,
                    });
                }
            }
            Err(e) => return Err(e),
        });
    };
    if let Some((file, offset)) = cut_at {
        let later: Vec<PathBuf> = match files.iter().position(|(_, p)| *p == file) {
            Some(i) => files[i + 1..].iter().map(|(_, p)| p.clone()).collect(),
            None => Vec::new(),
        };
        cut(fs, &file, offset, &later)?;
        let mut removed = later;
        if offset <= FILE_HEADER_LEN as u64 {
            removed.push(file.clone());
        }
        return Ok(TruncateOutcome {
            cut: Some((file, offset)),
            removed,
            torn_tail: None,
        });
    }
    match reader.take_torn_tail() {
        Some(torn) => {
            repair_torn_tail(fs, &torn)?;
            let mut removed = torn.later_files.clone();
            if torn.removes_whole_file() {
                removed.push(torn.file.clone());
            }
            Ok(TruncateOutcome {
                cut: Some((torn.file.clone(), torn.offset)),
                removed,
                torn_tail: Some(torn),
            })
        }
        None => Ok(TruncateOutcome::default()),
    }
}

/// The zxid of the intact record at `offset` in `path`.
fn zxid_at<F: Fs>(
    fs: &F,
    path: &Path,
    offset: u64,
    opts: LogReadOptions,
) -> Result<Option<i64>, StorageError> {
    let bytes = fs.read(path).map_err(StorageError::io("read", path))?;
    let Ok(start) = usize::try_from(offset) else {
        return Ok(None);
    };
    if find_intact_record(&bytes, start, opts.max_record_len) != Some(offset) {
        return Ok(None);
    }
    Ok(bytes.get(start + 12..).and_then(header_zxid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(zs: &[i64]) -> Vec<(i64, PathBuf)> {
        zs.iter()
            .map(|z| (*z, PathBuf::from(format!("log.{z:x}"))))
            .collect()
    }

    fn zs(v: Vec<(i64, PathBuf)>) -> Vec<i64> {
        v.into_iter().map(|(z, _)| z).collect()
    }

    #[test]
    fn selection_is_file_txn_iterator_init() {
        let f = files(&[1, 10, 20]);
        assert_eq!(zs(select_log_files(&f, 0)), [1, 10, 20]);
        assert_eq!(zs(select_log_files(&f, 1)), [1, 10, 20]);
        assert_eq!(zs(select_log_files(&f, 5)), [1, 10, 20]);
        assert_eq!(zs(select_log_files(&f, 10)), [1, 10, 20]);
        assert_eq!(zs(select_log_files(&f, 11)), [10, 20]);
        assert_eq!(zs(select_log_files(&f, 25)), [20]);
        assert_eq!(zs(select_log_files(&[], 25)), Vec::<i64>::new());
    }

    #[test]
    fn purge_keeps_get_log_files() {
        let f = files(&[1, 10, 20]);
        assert_eq!(zs(log_files_for_snapshot(&f, 15)), [10, 20]);
        assert_eq!(zs(log_files_for_snapshot(&f, 10)), [10, 20]);
        assert_eq!(zs(log_files_for_snapshot(&f, 0)), [1, 10, 20]);
        assert_eq!(zs(log_files_for_snapshot(&f, 100)), [20]);
    }
}
