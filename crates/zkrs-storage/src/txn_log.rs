//! [`FileTxnLog`]: the txn log writer (`FileTxnLog.append` / `commit` / `rollLog`).
//!
//! Group commit is the caller's: [`FileTxnLog::append`] only serializes into a buffer (after
//! preallocating the file exactly as `FilePadding` does), and one
//! [`FileTxnLog::flush_and_sync`] writes the whole batch and fsyncs it — every file touched
//! since the last sync, so a batch that straddles a roll is durable in both files.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use zkrs_jute::{FileHeader, Jute, TxnEntry};

use crate::error::StorageError;
use crate::fs::{Fs, FsFile};
use crate::log_record::{encode_record, header_zxid, FILE_HEADER_LEN, TXN_HEADER_LEN};
use crate::log_scan::{LogFileScan, DEFAULT_MAX_RECORD_LEN};
use crate::names::log_name;
use crate::padding::{calculate_file_size_with_padding, DEFAULT_PREALLOC_SIZE};

/// Settings of the writer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TxnLogOptions {
    /// `zookeeper.preAllocSize` in bytes (the property is in KiB); 0 disables preallocation.
    pub pre_alloc_size: u64,
    /// `zookeeper.txnLogSizeLimitInKb` in bytes: roll after a flush that leaves the current
    /// file larger than this. `None` = no limit (the default).
    pub size_limit: Option<u64>,
    /// The `dbid` in the file header (ZooKeeper writes 0).
    pub db_id: i64,
}

impl Default for TxnLogOptions {
    fn default() -> Self {
        TxnLogOptions {
            pre_alloc_size: DEFAULT_PREALLOC_SIZE,
            size_limit: None,
            db_id: 0,
        }
    }
}

/// What one [`FileTxnLog::flush_and_sync`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FlushOutcome {
    /// The highest zxid appended so far (now written, and durable if synced); `None` if nothing
    /// was ever appended.
    pub last_zxid: Option<i64>,
    /// Bytes written by this flush.
    pub bytes_written: u64,
    /// Time spent in fsync (`None` when `force_sync` was false or nothing needed syncing);
    /// ZooKeeper's `fsync` metric and `fsync.warningthresholdms` warning use this.
    pub fsync: Option<Duration>,
    /// Whether the flush rolled the log because of the size limit.
    pub rolled: bool,
}

struct CurrentLog<W> {
    file: W,
    path: PathBuf,
    /// `filePosition`: bytes handed to the file so far.
    position: u64,
    /// `fileSize` / `FilePadding.currentSize`: the preallocated size.
    file_size: u64,
    /// Serialized records not yet written (`BufferedOutputStream`).
    buf: Vec<u8>,
}

/// The txn log writer over one directory (`dataLogDir/version-2`).
pub struct FileTxnLog<F: Fs> {
    fs: F,
    dir: PathBuf,
    opts: TxnLogOptions,
    current: Option<CurrentLog<F::File>>,
    /// Rolled files whose data has not been fsynced yet (`streamsToFlush`).
    to_sync: Vec<(PathBuf, F::File)>,
    last_zxid_seen: Option<i64>,
    out_of_order: u64,
    prev_logs_total: u64,
    failed: Option<String>,
    /// Reused for encoding each appended txn.
    scratch: Vec<u8>,
}

impl<F: Fs> std::fmt::Debug for FileTxnLog<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileTxnLog")
            .field("dir", &self.dir)
            .field("opts", &self.opts)
            .field("current", &self.current.as_ref().map(|c| &c.path))
            .field("last_zxid_seen", &self.last_zxid_seen)
            .finish_non_exhaustive()
    }
}

impl<F: Fs> FileTxnLog<F> {
    /// A writer for `dir`. Nothing is opened until the first append, which creates
    /// `log.<zxid of that txn>`.
    pub fn new(fs: F, dir: impl Into<PathBuf>, opts: TxnLogOptions) -> FileTxnLog<F> {
        FileTxnLog {
            fs,
            dir: dir.into(),
            opts,
            current: None,
            to_sync: Vec::new(),
            last_zxid_seen: None,
            out_of_order: 0,
            prev_logs_total: 0,
            failed: None,
            scratch: Vec::new(),
        }
    }

    /// The directory written to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends one txn (serialized as `Util.marshallTxnEntry`).
    pub fn append(&mut self, entry: &TxnEntry) -> Result<(), StorageError> {
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        entry.encode_into(&mut scratch);
        let r = self.append_raw(&scratch);
        if scratch.capacity() <= 1 << 20 {
            // Keep it for the next txn, unless one huge txn made it large.
            self.scratch = scratch;
        }
        r
    }

    /// Appends one txn given as its serialized bytes (`TxnHeader` + body [+ digest]), as a
    /// learner logs a PROPOSAL's payload. The zxid is read from the header.
    pub fn append_raw(&mut self, txn_bytes: &[u8]) -> Result<(), StorageError> {
        self.check_usable()?;
        if txn_bytes.len() < TXN_HEADER_LEN {
            return Err(StorageError::InvalidTxn(format!(
                "{} bytes is shorter than a TxnHeader",
                txn_bytes.len()
            )));
        }
        if txn_bytes.len() > i32::MAX as usize {
            return Err(StorageError::InvalidTxn("txn larger than 2 GiB".to_owned()));
        }
        let zxid = header_zxid(txn_bytes).unwrap_or_default();
        match self.last_zxid_seen {
            // ZooKeeper logs "Current zxid ... is <= ..." and appends anyway.
            Some(last) if zxid <= last => self.out_of_order += 1,
            _ => self.last_zxid_seen = Some(zxid),
        }
        let result = self.append_inner(zxid, txn_bytes);
        self.poison_on_err(result)
    }

    fn append_inner(&mut self, zxid: i64, txn_bytes: &[u8]) -> Result<(), StorageError> {
        if self.current.is_none() {
            self.current = Some(self.open_new(zxid)?);
        }
        let pre_alloc = self.opts.pre_alloc_size;
        let Some(cur) = self.current.as_mut() else {
            return Err(StorageError::WriterFailed("no open log".to_owned()));
        };
        // `filePadding.padFile(fos.getChannel(), filePosition)`: padding is decided from the
        // position of the last flush, before the record is buffered.
        let new_size = calculate_file_size_with_padding(cur.position, cur.file_size, pre_alloc);
        if new_size != cur.file_size {
            cur.file
                .set_len(new_size)
                .map_err(StorageError::io("preallocate", &cur.path))?;
            cur.file_size = new_size;
        }
        encode_record(txn_bytes, &mut cur.buf);
        Ok(())
    }

    fn open_new(&mut self, zxid: i64) -> Result<CurrentLog<F::File>, StorageError> {
        let path = self.dir.join(log_name(zxid));
        if self.fs.exists(&path) {
            let bytes = self
                .fs
                .read(&path)
                .map_err(StorageError::io("read", &path))?;
            let scan = LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN);
            if !scan.records.is_empty() || scan.intact_after_end.is_some() {
                return Err(StorageError::LogFileExists { path });
            }
        }
        let mut file = self
            .fs
            .create(&path)
            .map_err(StorageError::io("create", &path))?;
        let header = FileHeader {
            magic: FileHeader::TXNLOG_MAGIC,
            version: FileHeader::VERSION,
            dbid: self.opts.db_id,
        }
        .to_bytes();
        file.write_all_at(0, &header)
            .map_err(StorageError::io("write", &path))?;
        // A new file must be findable after a crash once its txns are synced.
        self.fs
            .sync_dir(&self.dir)
            .map_err(StorageError::io("sync directory", &self.dir))?;
        Ok(CurrentLog {
            file,
            path,
            position: FILE_HEADER_LEN as u64,
            file_size: FILE_HEADER_LEN as u64,
            buf: Vec::new(),
        })
    }

    /// Writes every buffered record and, with `force_sync` (`zookeeper.forceSync`, default
    /// yes), fsyncs every file written since the last sync. Returns what it did; the caller
    /// acknowledges the appended txns only after this returns `Ok`.
    pub fn flush_and_sync(&mut self, force_sync: bool) -> Result<FlushOutcome, StorageError> {
        self.check_usable()?;
        let result = self.flush_inner(force_sync);
        self.poison_on_err(result)
    }

    fn flush_inner(&mut self, force_sync: bool) -> Result<FlushOutcome, StorageError> {
        let mut out = FlushOutcome {
            last_zxid: self.last_zxid_seen,
            ..FlushOutcome::default()
        };
        if let Some(cur) = self.current.as_mut() {
            out.bytes_written = write_buffered(cur)?;
        }
        if force_sync {
            let mut total = Duration::ZERO;
            let mut synced = false;
            for (path, file) in &mut self.to_sync {
                let t = Instant::now();
                file.sync_data()
                    .map_err(StorageError::io("fsync", &*path))?;
                total += t.elapsed();
                synced = true;
            }
            if let Some(cur) = self.current.as_mut() {
                let t = Instant::now();
                cur.file
                    .sync_data()
                    .map_err(StorageError::io("fsync", &cur.path))?;
                total += t.elapsed();
                synced = true;
            }
            if synced {
                out.fsync = Some(total);
            }
        }
        self.to_sync.clear();
        if let (Some(limit), Some(cur)) = (self.opts.size_limit, self.current.as_ref()) {
            if cur.file_size > limit {
                self.roll()?;
                out.rolled = true;
            }
        }
        Ok(out)
    }

    /// `rollLog`: the next append starts a new file. Buffered records are written to the old
    /// file now; it is fsynced by the next [`FileTxnLog::flush_and_sync`].
    pub fn roll(&mut self) -> Result<(), StorageError> {
        self.check_usable()?;
        let result = self.roll_inner();
        self.poison_on_err(result)
    }

    fn roll_inner(&mut self) -> Result<(), StorageError> {
        if let Some(mut cur) = self.current.take() {
            write_buffered(&mut cur)?;
            self.prev_logs_total += cur.file_size;
            self.to_sync.push((cur.path, cur.file));
        }
        Ok(())
    }

    /// Writes what is buffered (no fsync) and closes the files, as `close()` does.
    pub fn close(mut self) -> Result<(), StorageError> {
        if self.failed.is_some() {
            return Ok(());
        }
        if let Some(cur) = self.current.as_mut() {
            write_buffered(cur)?;
        }
        Ok(())
    }

    /// The file appends go to, if one is open.
    pub fn current_file(&self) -> Option<&Path> {
        self.current.as_ref().map(|c| c.path.as_path())
    }

    /// `getCurrentLogSize`: the current file's (preallocated) size, 0 with no open file.
    pub fn current_log_size(&self) -> u64 {
        self.current.as_ref().map_or(0, |c| c.file_size)
    }

    /// `getTotalLogSize`: files rolled by this writer plus the current one.
    pub fn total_log_size(&self) -> u64 {
        self.prev_logs_total + self.current_log_size()
    }

    /// The highest zxid appended (`lastZxidSeen`).
    pub fn last_zxid_seen(&self) -> Option<i64> {
        self.last_zxid_seen
    }

    /// Appends whose zxid was not above every earlier one (ZooKeeper warns and appends).
    pub fn out_of_order_appends(&self) -> u64 {
        self.out_of_order
    }

    /// Bytes appended but not yet written.
    pub fn unflushed_bytes(&self) -> usize {
        self.current.as_ref().map_or(0, |c| c.buf.len())
    }

    fn check_usable(&self) -> Result<(), StorageError> {
        match &self.failed {
            Some(why) => Err(StorageError::WriterFailed(why.clone())),
            None => Ok(()),
        }
    }

    fn poison_on_err<T>(&mut self, r: Result<T, StorageError>) -> Result<T, StorageError> {
        if let Err(e) = &r {
            self.failed = Some(e.to_string());
        }
        r
    }
}

fn write_buffered<W: FsFile>(cur: &mut CurrentLog<W>) -> Result<u64, StorageError> {
    if cur.buf.is_empty() {
        return Ok(0);
    }
    cur.file
        .write_all_at(cur.position, &cur.buf)
        .map_err(StorageError::io("write", &cur.path))?;
    let n = cur.buf.len() as u64;
    cur.position += n;
    // "If we have written more than we have previously preallocated, we should override the
    // fileSize by filePosition."
    if cur.position > cur.file_size {
        cur.file_size = cur.position;
    }
    cur.buf.clear();
    Ok(n)
}
