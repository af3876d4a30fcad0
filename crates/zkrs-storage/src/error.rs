//! [`StorageError`]: why a storage operation failed.

use std::io;
use std::path::PathBuf;

use zkrs_jute::DecodeError;

use crate::log_record::RecordDamage;
use crate::snapshot_format_error::SnapshotFormatError;

/// Why a storage operation failed. Every variant names the file or directory involved.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The filesystem refused.
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: io::Error,
    },

    /// A txn log whose header is not `ZKLG` version 2 and that holds no intact record either:
    /// not a ZooKeeper txn log.
    #[error("{}: not a ZooKeeper txn log ({damage})", path.display())]
    NotATxnLog { path: PathBuf, damage: RecordDamage },

    /// A txn log with an unsupported format version.
    #[error("{}: txn log format version {version} is not supported (only 2)", path.display())]
    UnsupportedLogVersion { path: PathBuf, version: i32 },

    /// Damage in the middle of the txn log: an intact record follows it, so the damaged record
    /// cannot be a torn write that was never acknowledged. Nothing is skipped silently; an
    /// operator may cut the log at `offset` (`truncate_after(last_good_zxid)`) knowingly.
    #[error(
        "{}: corrupt txn log record at offset {offset} ({damage}), followed by an intact record \
         in {} at offset {intact_offset}; last good zxid {}. Refusing to skip acknowledged txns; \
         truncate the log after the last good zxid only if losing the later txns is acceptable",
        file.display(),
        intact_file.display(),
        fmt_zxid(*last_good_zxid)
    )]
    CorruptLog {
        file: PathBuf,
        offset: u64,
        damage: RecordDamage,
        last_good_zxid: Option<i64>,
        intact_file: PathBuf,
        intact_offset: u64,
    },

    /// A record whose checksum is right but whose txn cannot be decoded.
    #[error("{}: txn at offset {offset} has a valid checksum but cannot be decoded: {source}", file.display())]
    UndecodableTxn {
        file: PathBuf,
        offset: u64,
        #[source]
        source: DecodeError,
    },

    /// Txn bytes handed to the log writer that are not a txn.
    #[error("invalid txn for the log: {0}")]
    InvalidTxn(String),

    /// The writer would overwrite a log file that holds txns.
    #[error("{}: txn log already exists and holds txns; refusing to overwrite it", path.display())]
    LogFileExists { path: PathBuf },

    /// The writer failed earlier; its file state is unknown.
    #[error("the txn log writer failed earlier and cannot be used: {0}")]
    WriterFailed(String),

    /// A snapshot that cannot be read.
    #[error("{}: {source}", path.display())]
    Snapshot {
        path: PathBuf,
        #[source]
        source: SnapshotFormatError,
    },

    /// Snapshot files exist but none of them could be loaded.
    #[error("no valid snapshot in {}: {}", dir.display(), summarize(tried))]
    NoValidSnapshot {
        dir: PathBuf,
        tried: Vec<(PathBuf, String)>,
    },

    /// No snapshot but txn logs: ZooKeeper refuses this (ZOOKEEPER-3056) unless
    /// `zookeeper.snapshot.trust.empty=true`.
    #[error(
        "No snapshot found in {}, but there are log entries (last zxid {last_logged_zxid:#x}). \
         Something is broken! Set zookeeper.snapshot.trust.empty=true only when upgrading from \
         a version without snapshots at start-up (3.4)",
        snap_dir.display()
    )]
    EmptySnapshotWithLogs {
        snap_dir: PathBuf,
        last_logged_zxid: i64,
    },

    /// The data directory holds another format version and no `version-2`.
    #[error(
        "{}: found {} but no version-2; this server reads only ZooKeeper's on-disk format version 2",
        dir.display(),
        found.join(", ")
    )]
    UnsupportedFormatDir { dir: PathBuf, found: Vec<String> },

    /// `version-2` is missing and `zookeeper.datadir.autocreate=false`.
    #[error(
        "Missing data directory {}, automatic data directory creation is disabled \
         (zookeeper.datadir.autocreate is false). Please create this directory manually.",
        dir.display()
    )]
    MissingDataDir { dir: PathBuf },

    /// `version-2` exists but is not a directory.
    #[error("{} exists but is not a directory", path.display())]
    NotADirectory { path: PathBuf },

    /// dataLogDir ≠ dataDir and the log directory holds snapshots (ZOOKEEPER-2967).
    #[error(
        "Log directory {} has snapshot files. Check if dataLogDir and dataDir configuration is correct.",
        dir.display()
    )]
    LogDirHasSnapshots { dir: PathBuf },

    /// dataLogDir ≠ dataDir and the snapshot directory holds txn logs (ZOOKEEPER-2967).
    #[error(
        "Snapshot directory {} has log files. Check if dataLogDir and dataDir configuration is correct.",
        dir.display()
    )]
    SnapDirHasLogs { dir: PathBuf },

    /// An epoch file whose content is not a decimal long.
    #[error("Found {content:?} in {}", path.display())]
    BadEpochFile { path: PathBuf, content: String },

    /// The epochs on disk contradict each other or the data.
    #[error("{0}")]
    EpochMismatch(String),

    /// `truncate_after` found no log file.
    #[error(
        "No log files found to truncate in {}! This could happen if you still have snapshots from \
         an old setup or log files were deleted accidentally or dataLogDir was changed in zoo.cfg.",
        dir.display()
    )]
    NoLogFiles { dir: PathBuf },

    /// An argument out of range.
    #[error("{0}")]
    InvalidArgument(String),
}

fn fmt_zxid(z: Option<i64>) -> String {
    match z {
        Some(z) => format!("{z:#x}"),
        None => "none".to_owned(),
    }
}

fn summarize(tried: &[(PathBuf, String)]) -> String {
    if tried.is_empty() {
        return "no snapshot file passed the validity check".to_owned();
    }
    tried
        .iter()
        .map(|(p, why)| format!("{}: {why}", p.display()))
        .collect::<Vec<_>>()
        .join("; ")
}

impl StorageError {
    /// Wraps an I/O error with the operation and path.
    pub fn io(
        op: &'static str,
        path: impl Into<PathBuf>,
    ) -> impl FnOnce(io::Error) -> StorageError {
        let path = path.into();
        move |source| StorageError::Io { op, path, source }
    }
}
