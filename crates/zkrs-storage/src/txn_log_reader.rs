//! [`TxnLogReader`]: iterates the txns of a log directory from a zxid (`FileTxnIterator`),
//! verifying every record, and tells a torn tail from corruption in the middle.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use zkrs_jute::{FileHeader, TxnEntry};

use crate::error::StorageError;
use crate::fs::Fs;
use crate::log_files::{list_log_files, select_log_files};
use crate::log_record::RecordDamage;
use crate::log_scan::{read_log_file, LogEnd, LogFileScan, DEFAULT_MAX_RECORD_LEN};
use crate::torn_tail::TornTail;

/// Settings for reading logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogReadOptions {
    /// The largest txn accepted (`jute.maxbuffer` + `jute.maxbuffer.extrasize`).
    pub max_record_len: usize,
    /// `zookeeper.closeSessionTxn.enabled` (default true): whether closeSession txns carry a
    /// `CloseSessionTxn` body (see `TxnBody::read_for_with`).
    pub close_session_txn_enabled: bool,
}

impl Default for LogReadOptions {
    fn default() -> Self {
        LogReadOptions {
            max_record_len: DEFAULT_MAX_RECORD_LEN,
            close_session_txn_enabled: true,
        }
    }
}

/// One txn read from the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedTxn {
    /// The decoded txn.
    pub entry: TxnEntry,
    /// Its bytes as stored (what a leader sends in a PROPOSAL).
    pub bytes: Bytes,
    /// The file it was read from.
    pub file: Arc<PathBuf>,
    /// The offset of its record in that file.
    pub offset: u64,
}

impl LoggedTxn {
    /// The txn's zxid.
    pub fn zxid(&self) -> i64 {
        self.entry.header.zxid
    }
}

struct OpenFile {
    path: Arc<PathBuf>,
    bytes: Bytes,
    scan: LogFileScan,
    next: usize,
}

/// Reads txns with `zxid >= from` from a log directory, in log order.
///
/// Files are chosen as `FileTxnIterator.init` does: every `log.<z>` with `z >= from` plus the
/// newest one that starts before `from`. Each record's length, end byte and Adler32 are checked;
/// txns below `from` are skipped after being checked.
///
/// When the intact records stop before the end of the data, the reader looks at everything that
/// follows (the rest of the file and every later file). If no intact record follows, this is a
/// torn tail: iteration ends and [`TxnLogReader::torn_tail`] describes it. If one does, the
/// damage is in the middle and the reader yields [`StorageError::CorruptLog`] instead of
/// skipping it.
pub struct TxnLogReader<F: Fs> {
    fs: F,
    from: i64,
    opts: LogReadOptions,
    files: VecDeque<PathBuf>,
    current: Option<OpenFile>,
    last_good_zxid: Option<i64>,
    torn: Option<TornTail>,
    done: bool,
}

impl<F: Fs> TxnLogReader<F> {
    /// Opens the logs of `dir` for reading from `from`.
    pub fn open(
        fs: F,
        dir: &Path,
        from: i64,
        opts: LogReadOptions,
    ) -> Result<TxnLogReader<F>, StorageError> {
        let files = list_log_files(&fs, dir)?;
        let selected = select_log_files(&files, from);
        Ok(TxnLogReader {
            fs,
            from,
            opts,
            files: selected.into_iter().map(|(_, p)| p).collect(),
            current: None,
            last_good_zxid: None,
            torn: None,
            done: false,
        })
    }

    /// After the iterator has ended: the torn tail it stopped at, if any.
    pub fn torn_tail(&self) -> Option<&TornTail> {
        self.torn.as_ref()
    }

    /// Takes the torn tail out of the reader.
    pub fn take_torn_tail(&mut self) -> Option<TornTail> {
        self.torn.take()
    }

    /// The zxid of the last intact record read so far (including skipped ones).
    pub fn last_good_zxid(&self) -> Option<i64> {
        self.last_good_zxid
    }

    fn load(&self, path: &Path) -> Result<(Bytes, LogFileScan), StorageError> {
        let bytes = read_log_file(&self.fs, path, self.opts.max_record_len)
            .map_err(StorageError::io("read", path))?;
        let scan = LogFileScan::scan(&bytes, self.opts.max_record_len);
        check_header(path, &scan)?;
        Ok((Bytes::from(bytes), scan))
    }

    fn step(&mut self) -> Result<Option<LoggedTxn>, StorageError> {
        loop {
            if self.current.is_none() {
                let Some(path) = self.files.pop_front() else {
                    return Ok(None);
                };
                let (bytes, scan) = self.load(&path)?;
                self.current = Some(OpenFile {
                    path: Arc::new(path),
                    bytes,
                    scan,
                    next: 0,
                });
            }
            let Some(cur) = self.current.as_mut() else {
                continue;
            };
            if let Some(span) = cur.scan.records.get(cur.next).copied() {
                cur.next += 1;
                let bytes = cur.bytes.slice(span.txn_range());
                let entry = TxnEntry::decode_with(&bytes, self.opts.close_session_txn_enabled)
                    .map_err(|source| StorageError::UndecodableTxn {
                        file: cur.path.to_path_buf(),
                        offset: span.offset,
                        source,
                    })?;
                self.last_good_zxid = Some(entry.header.zxid);
                if entry.header.zxid < self.from {
                    continue;
                }
                return Ok(Some(LoggedTxn {
                    entry,
                    bytes,
                    file: cur.path.clone(),
                    offset: span.offset,
                }));
            }
            if !cur.scan.is_torn() {
                self.current = None;
                continue;
            }
            let path = cur.path.to_path_buf();
            let end = cur.scan.end;
            if let Some(intact_offset) = cur.scan.intact_after_end {
                return Err(self.corrupt(path.clone(), end, path, intact_offset));
            }
            let later: Vec<PathBuf> = self.files.drain(..).collect();
            for p in &later {
                let (_, scan) = self.load(p)?;
                let intact = scan
                    .records
                    .first()
                    .map(|r| r.offset)
                    .or(scan.intact_after_end);
                if let Some(intact_offset) = intact {
                    return Err(self.corrupt(path, end, p.clone(), intact_offset));
                }
            }
            self.torn = Some(TornTail {
                file: path,
                offset: end.offset(),
                damage: match end {
                    LogEnd::Damaged { damage, .. } => Some(damage),
                    _ => None,
                },
                last_good_zxid: self.last_good_zxid,
                later_files: later,
            });
            self.current = None;
            return Ok(None);
        }
    }

    fn corrupt(
        &self,
        file: PathBuf,
        end: LogEnd,
        intact_file: PathBuf,
        intact_offset: u64,
    ) -> StorageError {
        let damage = match end {
            LogEnd::Damaged { damage, .. } => damage,
            // Non-zero bytes after a clean end marker that hold an intact record: the marker
            // itself is the damage (a zeroed record).
            _ => RecordDamage::ZeroLengthWithChecksum { stored: 0 },
        };
        StorageError::CorruptLog {
            file,
            offset: end.offset(),
            damage,
            last_good_zxid: self.last_good_zxid,
            intact_file,
            intact_offset,
        }
    }
}

/// Rejects files that are not txn logs at all: a non-zero header with another magic, or another
/// format version. A zeroed or short header is left to the torn-tail rules (a crash while the
/// file was being created).
pub(crate) fn check_header(path: &Path, scan: &LogFileScan) -> Result<(), StorageError> {
    match (&scan.header, scan.end) {
        (Some(h), _) if h.version != FileHeader::VERSION => {
            Err(StorageError::UnsupportedLogVersion {
                path: path.to_path_buf(),
                version: h.version,
            })
        }
        (
            None,
            LogEnd::Damaged {
                damage: damage @ RecordDamage::BadMagic { magic },
                ..
            },
        ) if magic != 0 => Err(StorageError::NotATxnLog {
            path: path.to_path_buf(),
            damage,
        }),
        _ => Ok(()),
    }
}

impl<F: Fs> Iterator for TxnLogReader<F> {
    type Item = Result<LoggedTxn, StorageError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match self.step() {
            Ok(Some(t)) => Some(Ok(t)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}
