//! ZooKeeper's on-disk format: txn logs, snapshots, recovery and epoch files, byte-compatible
//! with Apache ZooKeeper 3.6–3.9 so that switching between zkrs and Java ZooKeeper on the same
//! data directories is a restart.
//!
//! The format work is sans-IO: [`LogFileScan`] reads one log file's bytes, [`SnapshotWriter`]
//! and [`LoadedSnapshot::deserialize`] produce and check snapshot streams, [`SnapshotOrder`] and
//! the name and padding helpers are pure. Everything that touches files goes through the
//! [`Fs`] trait — [`OsFs`] for the real filesystem, [`MemFs`] (with a crash model) for tests and
//! a future simulator. The server drives [`FileTxnSnapLog`]: `restore` at start-up,
//! `append` + `commit` (group commit: many appends, one fsync) for every batch of txns,
//! `roll_log` + `save_snapshot` every snapCount txns, `purge` for autopurge. See
//! `docs/storage-format.md` for the byte layouts and the recovery rules.
//!
//! # Layout
//!
//! - `fs`, `os_fs`, `mem_fs`: the [`Fs`] seam and its two implementations.
//! - `names`: file and directory names (`log.<hex>`, `snapshot.<hex>[.gz|.snappy]`, …).
//! - `padding`: `FilePadding`'s preallocation rule.
//! - `log_record`: one log record's encoding and [`RecordDamage`].
//! - `log_scan`: [`LogFileScan`], the sans-IO reading of one log file.
//! - `txn_log`: [`FileTxnLog`], the writer (append, flush + fsync, roll).
//! - `txn_log_reader`: [`TxnLogReader`], the iterator over a log directory from a zxid.
//! - `diff_log`: [`read_txns_for_diff`], the logged txns a leader DIFF-syncs a learner from
//!   when the learner is behind its in-memory committed log (`snapshotSizeFactor`).
//! - `torn_tail`: [`TornTail`], a crash-cut end of the log.
//! - `log_files`: choosing files for a zxid, last logged zxid, truncation, repair.
//! - `snapshot_writer`, `snapshot_reader`, `snapshot_order`, `snapshot_format_error`: the
//!   snapshot stream ([`SnapshotWriter`], [`LoadedSnapshot`], [`SnapshotOrder`],
//!   [`SnapshotFormatError`]).
//! - `snap_stream`: the leader's SNAP sync stream ([`write_snap_stream`],
//!   [`SnapStreamDecoder`]); `snapshot_body`: the body it shares with snapshot files.
//! - `compression`: [`SnapshotCompression`] (plain, gzip, snappy-java stream).
//! - `file_snap`: [`FileSnap`], snapshot files in a directory.
//! - `paced_writer`: how a streamed snapshot is written and synced without holding up the
//!   txn log's fsyncs ([`SNAPSHOT_SYNC_BYTES`]).
//! - `epoch_file`, `epochs`: `acceptedEpoch` / `currentEpoch` and [`Epochs`].
//! - `storage_options`, `recovery_report`: [`StorageOptions`], [`Restored`],
//!   [`RecoveryReport`].
//! - `file_txn_snap_log`: [`FileTxnSnapLog`], the whole storage of one server.
//! - `error`: [`StorageError`].

#![forbid(unsafe_code)]

pub mod compression;
pub mod diff_log;
pub mod epoch_file;
pub mod epochs;
pub mod error;
pub mod file_snap;
pub mod file_txn_snap_log;
pub mod fs;
pub mod log_files;
pub mod log_record;
pub mod log_scan;
pub mod mem_fs;
pub mod names;
pub mod os_fs;
mod paced_writer;
pub mod padding;
pub mod recovery_report;
pub mod snap_stream;
mod snapshot_body;
pub mod snapshot_format_error;
pub mod snapshot_order;
pub mod snapshot_reader;
pub mod snapshot_writer;
pub mod storage_options;
pub mod torn_tail;
pub mod txn_log;
pub mod txn_log_reader;

pub use compression::SnapshotCompression;
pub use diff_log::{read_txns_for_diff, DiffLog, DEFAULT_SNAPSHOT_SIZE_FACTOR};
pub use epochs::Epochs;
pub use error::StorageError;
pub use file_snap::{FileSnap, SnapshotFile};
pub use file_txn_snap_log::{
    clear_updating_epoch, mark_updating_epoch, FileTxnSnapLog, PurgeOutcome,
};
pub use fs::{Fs, FsFile};
pub use log_files::{
    last_logged_zxid, list_log_files, repair_torn_tail, truncate_after, TruncateOutcome,
};
pub use log_record::RecordDamage;
pub use log_scan::{LogEnd, LogFileScan, RecordSpan, DEFAULT_MAX_RECORD_LEN};
pub use mem_fs::{FsOp, MemFs};
pub use os_fs::OsFs;
pub use paced_writer::SNAPSHOT_SYNC_BYTES;
pub use recovery_report::{RecoveryReport, Restored};
pub use snap_stream::{
    write_snap_stream, write_snap_stream_to, SnapStreamDecoder, SnapStreamError, SnapStreamLoaded,
    SNAP_SIGNATURE,
};
pub use snapshot_format_error::SnapshotFormatError;
pub use snapshot_order::{JavaHashOrder, SnapshotOrder};
pub use snapshot_reader::{LoadedSnapshot, SnapshotReadOptions};
pub use snapshot_writer::{
    SnapshotSink, SnapshotWriteOptions, SnapshotWriter, SNAPSHOT_CHUNK_BYTES,
};
pub use storage_options::StorageOptions;
pub use torn_tail::TornTail;
pub use txn_log::{FileTxnLog, FlushOutcome, TxnLogOptions};
pub use txn_log_reader::{LogReadOptions, LoggedTxn, TxnLogReader};
