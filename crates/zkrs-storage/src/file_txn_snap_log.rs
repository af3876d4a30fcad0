//! [`FileTxnSnapLog`]: the data directories as a whole — opening them with ZooKeeper's checks,
//! recovery (newest valid snapshot + replay of the logs after it), the txn log writer, snapshots,
//! truncation, purging and the epoch files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use zkrs_datatree::{DataTree, ZxidDigest};
use zkrs_jute::{OpCode, TxnBody, TxnEntry};

use crate::epoch_file::{read_epoch, write_epoch};
use crate::epochs::Epochs;
use crate::error::StorageError;
use crate::file_snap::{FileSnap, SnapshotFile};
use crate::fs::Fs;
use crate::log_files::{
    last_logged_zxid, list_log_files, log_files_for_snapshot, repair_torn_tail, truncate_after,
    TruncateOutcome,
};
use crate::names::{
    version_dir_number, zxid_from_name, ACCEPTED_EPOCH, CURRENT_EPOCH, INITIALIZE, LOG_PREFIX,
    SNAPSHOT_PREFIX, TMP_EXTENSION, VERSION_DIR,
};
use crate::recovery_report::{RecoveryReport, Restored};
use crate::snapshot_reader::SnapshotReadOptions;
use crate::snapshot_writer::SnapshotWriteOptions;
use crate::storage_options::StorageOptions;
use crate::txn_log::{FileTxnLog, FlushOutcome};
use crate::txn_log_reader::TxnLogReader;

/// The storage of one server: `dataDir/version-2` (snapshots, epoch files) and
/// `dataLogDir/version-2` (txn logs), which may be the same directory.
pub struct FileTxnSnapLog<F: Fs> {
    fs: F,
    data_log_dir: PathBuf,
    snap_dir: PathBuf,
    log_dir: PathBuf,
    opts: StorageOptions,
    txn_log: FileTxnLog<F>,
    snap: FileSnap<F>,
    /// Set when recovery left a torn tail in place: appending after it would put intact txns
    /// behind damage, which the next start refuses as corruption.
    append_blocked: Option<String>,
    /// How many of the last replayed txns `restore` hands back (`ZKDatabase.committedLog`).
    keep_recent_txns: usize,
}

impl<F: Fs> std::fmt::Debug for FileTxnSnapLog<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileTxnSnapLog")
            .field("snap_dir", &self.snap_dir)
            .field("log_dir", &self.log_dir)
            .field("txn_log", &self.txn_log)
            .finish_non_exhaustive()
    }
}

/// What [`FileTxnSnapLog::purge`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PurgeOutcome {
    /// The oldest snapshot zxid kept (nothing older is needed), if any snapshot was valid.
    pub least_zxid_retained: Option<i64>,
    /// The files deleted.
    pub removed: Vec<PathBuf>,
}

/// Checks `<dir>/version-2`: refuses a directory that holds only other format versions, and
/// creates `version-2` when allowed.
fn prepare_version_dir<F: Fs>(
    fs: &F,
    dir: &Path,
    autocreate: bool,
) -> Result<PathBuf, StorageError> {
    let vdir = dir.join(VERSION_DIR);
    if fs.exists(&vdir) {
        if !fs.is_dir(&vdir) {
            return Err(StorageError::NotADirectory { path: vdir });
        }
        return Ok(vdir);
    }
    if fs.is_dir(dir) {
        let mut others: Vec<String> = fs
            .list_dir(dir)
            .map_err(StorageError::io("list", dir))?
            .into_iter()
            .filter(|n| version_dir_number(n).is_some_and(|v| v != 2))
            .collect();
        if !others.is_empty() {
            others.sort();
            return Err(StorageError::UnsupportedFormatDir {
                dir: dir.to_path_buf(),
                found: others,
            });
        }
    }
    if !autocreate {
        return Err(StorageError::MissingDataDir { dir: vdir });
    }
    fs.create_dir_all(&vdir)
        .map_err(StorageError::io("create directory", &vdir))?;
    if let Some(parent) = vdir.parent() {
        fs.sync_dir(parent)
            .map_err(StorageError::io("sync directory", parent))?;
    }
    Ok(vdir)
}

impl<F: Fs> FileTxnSnapLog<F> {
    /// Opens (creating if allowed) `data_dir/version-2` and `data_log_dir/version-2`, as the
    /// `FileTxnSnapLog` constructor does: a data directory with only another `version-N`
    /// is refused; with separate directories, snapshots in the log directory or logs in the
    /// snapshot directory are refused (ZOOKEEPER-2967).
    pub fn open(
        fs: F,
        data_dir: &Path,
        data_log_dir: &Path,
        opts: StorageOptions,
    ) -> Result<FileTxnSnapLog<F>, StorageError> {
        let log_dir = prepare_version_dir(&fs, data_log_dir, opts.datadir_autocreate)?;
        let snap_dir = prepare_version_dir(&fs, data_dir, opts.datadir_autocreate)?;
        if log_dir != snap_dir {
            let has = |dir: &Path, prefix: &str| -> Result<bool, StorageError> {
                let pre = format!("{prefix}.");
                Ok(fs
                    .list_dir(dir)
                    .map_err(StorageError::io("list", dir))?
                    .iter()
                    .any(|n| n.starts_with(&pre)))
            };
            if has(&log_dir, SNAPSHOT_PREFIX)? {
                return Err(StorageError::LogDirHasSnapshots { dir: log_dir });
            }
            if has(&snap_dir, LOG_PREFIX)? {
                return Err(StorageError::SnapDirHasLogs { dir: snap_dir });
            }
        }
        Ok(FileTxnSnapLog {
            txn_log: FileTxnLog::new(fs.clone(), log_dir.clone(), opts.txn_log),
            snap: FileSnap::new(fs.clone(), snap_dir.clone()),
            append_blocked: None,
            keep_recent_txns: 0,
            fs,
            data_log_dir: data_log_dir.to_path_buf(),
            snap_dir,
            log_dir,
            opts,
        })
    }

    /// `dataDir/version-2`.
    pub fn snap_dir(&self) -> &Path {
        &self.snap_dir
    }

    /// `dataLogDir/version-2`.
    pub fn log_dir(&self) -> &Path {
        &self.log_dir
    }

    /// The options in force.
    pub fn options(&self) -> &StorageOptions {
        &self.opts
    }

    /// The snapshot files.
    pub fn snapshots(&self) -> &FileSnap<F> {
        &self.snap
    }

    /// The txn log writer (for its sizes and counters; append through [`Self::append`]).
    pub fn txn_log(&self) -> &FileTxnLog<F> {
        &self.txn_log
    }

    fn snapshot_read_options(&self) -> SnapshotReadOptions {
        SnapshotReadOptions {
            tree_config: self.opts.tree_config,
            max_len: self.opts.log_read.max_record_len,
        }
    }

    fn snapshot_write_options(&self, zxid_digest: Option<ZxidDigest>) -> SnapshotWriteOptions {
        SnapshotWriteOptions {
            digest_section: self.opts.snapshot_digest,
            last_processed_zxid_section: self.opts.snapshot_last_processed_zxid,
            zxid_digest,
            ..SnapshotWriteOptions::default()
        }
    }

    /// Makes [`FileTxnSnapLog::restore`] return the last `n` txns it replays
    /// ([`Restored::recent_txns`]): a quorum member keeps them for DIFF syncs
    /// (`ZKDatabase.committedLog`, `commitLogCount`).
    pub fn set_keep_recent_txns(&mut self, n: usize) {
        self.keep_recent_txns = n;
    }

    /// `FileTxnSnapLog.restore`: rebuilds the tree and the sessions.
    ///
    /// 1. The `initialize` marker in dataLogDir is deleted; with it (or `db.autocreate`) an
    ///    empty database is trusted.
    /// 2. The newest valid snapshot among the newest `max_snapshots_tried` is loaded; one that
    ///    fails its checks is reported and the next older one is tried. Snapshot files that
    ///    all fail are an error (ZooKeeper would treat a directory whose snapshots all fail the
    ///    cheap validity check as empty).
    /// 3. With no snapshot: txn logs are an error unless `snapshot.trust.empty`; with no logs
    ///    either, an empty database is saved as `snapshot.0` if trusted, else lastProcessedZxid
    ///    is -1.
    /// 4. Every txn after the snapshot's zxid is applied (fuzzy replay: NodeExists/NoNode
    ///    results are ignored, as the tree does), sessions follow createSession/closeSession,
    ///    digests are compared as ZooKeeper does, a torn tail is reported and cut (unless
    ///    `repair_torn_tail` is off), corruption in the middle of the log is an error.
    pub fn restore(&mut self) -> Result<Restored, StorageError> {
        let mut report = RecoveryReport::default();
        let init = self.data_log_dir.join(INITIALIZE);
        if self.fs.exists(&init) {
            self.fs
                .remove_file(&init)
                .map_err(StorageError::io("delete", &init))?;
            report.initialize_marker_found = true;
        }
        let trust_empty_db = report.initialize_marker_found || self.opts.db_autocreate;
        self.note_ignored_files(&mut report)?;

        let all = self.snap.list()?;
        let mut loaded = None;
        let mut tried = 0usize;
        for s in &all {
            if tried == self.opts.max_snapshots_tried {
                break;
            }
            if !self.snap.is_valid(s)? {
                report
                    .skipped_snapshots
                    .push((s.path.clone(), "fails the validity check".to_owned()));
                continue;
            }
            tried += 1;
            match self.snap.read(s, self.snapshot_read_options()) {
                Ok(l) => {
                    loaded = Some((s.clone(), l));
                    break;
                }
                Err(e) => report
                    .skipped_snapshots
                    .push((s.path.clone(), e.to_string())),
            }
        }

        let mut tree;
        let mut sessions;
        let mut pending_digest = None;
        let no_snapshot = loaded.is_none();
        match loaded {
            Some((file, l)) => {
                report.snapshot = Some((file.path.clone(), file.zxid));
                tree = l.tree;
                sessions = l.sessions;
                pending_digest = self.snapshot_digest_to_check(&file, l.zxid_digest);
                if let Some(d) = pending_digest {
                    if d.zxid == file.zxid {
                        report.snapshot_digest_matched = Some(tree.digest() == d.digest);
                        report.zxid_digest = Some(d);
                        pending_digest = None;
                    }
                }
            }
            None => {
                if !all.is_empty() {
                    return Err(StorageError::NoValidSnapshot {
                        dir: self.snap_dir.clone(),
                        tried: report.skipped_snapshots,
                    });
                }
                if let Some(z) = last_logged_zxid(&self.fs, &self.log_dir, self.opts.log_read)? {
                    if !self.opts.snapshot_trust_empty {
                        return Err(StorageError::EmptySnapshotWithLogs {
                            snap_dir: self.snap_dir.clone(),
                            last_logged_zxid: z,
                        });
                    }
                }
                tree = DataTree::with_config(self.opts.tree_config);
                sessions = BTreeMap::new();
            }
        }

        let mut recent_txns = std::collections::VecDeque::new();
        self.replay(
            &mut tree,
            &mut sessions,
            &mut pending_digest,
            &mut report,
            &mut recent_txns,
        )?;
        if let Some(d) = pending_digest {
            report.snapshot_digest_uncovered = Some(d.zxid);
        }
        if let Some(d) = tree.last_processed_zxid_digest() {
            report.zxid_digest = Some(d);
        }
        // Nothing is watching yet; drop anything the replay queued.
        let _ = tree.take_watch_events();

        if no_snapshot && report.txns_replayed == 0 {
            if trust_empty_db {
                tree.set_last_processed_zxid(0);
                let path = self.save_snapshot(&tree, std::iter::empty(), None)?;
                report.initialized_empty = Some(path);
            } else {
                tree.set_last_processed_zxid(-1);
                report.untrusted_empty = true;
            }
        }
        Ok(Restored {
            tree,
            sessions,
            recent_txns,
            report,
        })
    }

    /// `DataTree.deserializeZxidDigest`: the digest section is compared only when its zxid is
    /// positive and not older than the snapshot (else the snapshot was taken at a new epoch's
    /// `epoch << 32`, which is no txn).
    fn snapshot_digest_to_check(
        &self,
        file: &SnapshotFile,
        d: Option<ZxidDigest>,
    ) -> Option<ZxidDigest> {
        if !self.opts.tree_config.digest_enabled {
            return None;
        }
        let d = d?;
        if d.zxid <= 0 || d.zxid < file.zxid {
            return None;
        }
        if d.digest_version != zkrs_datatree::digest::DIGEST_VERSION {
            return None;
        }
        Some(d)
    }

    /// `fastForwardFromEdits`.
    fn replay(
        &mut self,
        tree: &mut DataTree,
        sessions: &mut BTreeMap<i64, i32>,
        pending_digest: &mut Option<ZxidDigest>,
        report: &mut RecoveryReport,
        recent_txns: &mut std::collections::VecDeque<TxnEntry>,
    ) -> Result<(), StorageError> {
        let from = tree.last_processed_zxid().saturating_add(1);
        let mut reader =
            TxnLogReader::open(self.fs.clone(), &self.log_dir, from, self.opts.log_read)?;
        let mut highest = tree.last_processed_zxid();
        for item in reader.by_ref() {
            let txn = item?;
            let TxnEntry {
                header,
                body,
                digest,
            } = &txn.entry;
            if header.zxid < highest && highest != 0 {
                report.out_of_order_zxids += 1;
            } else {
                highest = header.zxid;
            }
            if header.r#type == OpCode::CreateSession as i32 {
                if let TxnBody::CreateSession(cs) = body {
                    sessions.insert(header.client_id, cs.time_out);
                }
            } else if header.r#type == OpCode::CloseSession as i32 {
                sessions.remove(&header.client_id);
            }
            let _ = tree.process_txn(header, body);
            if let Some(d) = *pending_digest {
                if header.zxid == d.zxid {
                    report.snapshot_digest_matched = Some(tree.digest() == d.digest);
                    *pending_digest = None;
                }
            }
            if pending_digest.is_none() && !tree.digest_matches(digest.as_ref()) {
                report.digest_mismatches.push(header.zxid);
            }
            report.txns_replayed += 1;
            if self.keep_recent_txns > 0 {
                if recent_txns.len() == self.keep_recent_txns {
                    recent_txns.pop_front();
                }
                recent_txns.push_back(txn.entry.clone());
            }
            report.replayed_range = Some(match report.replayed_range {
                None => (header.zxid, header.zxid),
                Some((first, _)) => (first, header.zxid),
            });
            // Keep the queue of watch events from growing during a long replay.
            if tree.has_watch_events() {
                let _ = tree.take_watch_events();
            }
        }
        if let Some(torn) = reader.take_torn_tail() {
            if self.opts.repair_torn_tail {
                repair_torn_tail(&self.fs, &torn)?;
                report.torn_tail_repaired = true;
            } else {
                self.append_blocked = Some(format!("{torn} was not cut away"));
            }
            report.torn_tail = Some(torn);
        }
        Ok(())
    }

    fn note_ignored_files(&self, report: &mut RecoveryReport) -> Result<(), StorageError> {
        let mut dirs = vec![self.snap_dir.clone()];
        if self.log_dir != self.snap_dir {
            dirs.push(self.log_dir.clone());
        }
        for dir in dirs {
            for name in self
                .fs
                .list_dir(&dir)
                .map_err(StorageError::io("list", &dir))?
            {
                let known = zxid_from_name(&name, LOG_PREFIX).is_some()
                    || zxid_from_name(&name, SNAPSHOT_PREFIX).is_some()
                    || name == ACCEPTED_EPOCH
                    || name == CURRENT_EPOCH
                    || name.ends_with(TMP_EXTENSION);
                if !known {
                    report.ignored_files.push(dir.join(name));
                }
            }
        }
        report.ignored_files.sort();
        Ok(())
    }

    /// Appends a txn to the log (buffered; see [`FileTxnLog::append`]).
    /// Refused after a recovery that left a torn tail in place (`repair_torn_tail` off).
    pub fn append(&mut self, entry: &TxnEntry) -> Result<(), StorageError> {
        if let Some(why) = &self.append_blocked {
            return Err(StorageError::WriterFailed(why.clone()));
        }
        self.txn_log.append(entry)
    }

    /// Appends a txn given as its serialized bytes (a learner logging a PROPOSAL).
    pub fn append_raw(&mut self, txn_bytes: &[u8]) -> Result<(), StorageError> {
        if let Some(why) = &self.append_blocked {
            return Err(StorageError::WriterFailed(why.clone()));
        }
        self.txn_log.append_raw(txn_bytes)
    }

    /// Writes and (with `force_sync`) fsyncs the appended txns: the group commit.
    pub fn commit(&mut self, force_sync: bool) -> Result<FlushOutcome, StorageError> {
        self.txn_log.flush_and_sync(force_sync)
    }

    /// Starts a new log file at the next append (before taking a snapshot).
    pub fn roll_log(&mut self) -> Result<(), StorageError> {
        self.txn_log.roll()
    }

    /// `FileTxnSnapLog.save`: writes `snapshot.<hex tree.last_processed_zxid()>` with the
    /// configured compression and sections. `zxid_digest` overrides the digest section (pass
    /// [`RecoveryReport::zxid_digest`] for a snapshot taken right after recovery).
    pub fn save_snapshot(
        &self,
        tree: &DataTree,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        zxid_digest: Option<ZxidDigest>,
    ) -> Result<PathBuf, StorageError> {
        self.snap.write(
            &tree.view(),
            sessions,
            self.opts.snapshot_compression,
            &self.snapshot_write_options(zxid_digest),
        )
    }

    /// Reads the logged txns from `zxid` on.
    pub fn read_txns(&self, zxid: i64) -> Result<TxnLogReader<F>, StorageError> {
        TxnLogReader::open(self.fs.clone(), &self.log_dir, zxid, self.opts.log_read)
    }

    /// The zxid of the last intact txn in the logs.
    pub fn last_logged_zxid(&self) -> Result<Option<i64>, StorageError> {
        last_logged_zxid(&self.fs, &self.log_dir, self.opts.log_read)
    }

    /// `truncateLog` (TRUNC from a leader): flushes and closes the writer, removes every txn
    /// above `zxid`, and reopens the writer (the next append starts a new file).
    pub fn truncate_log(&mut self, zxid: i64) -> Result<TruncateOutcome, StorageError> {
        self.txn_log.flush_and_sync(true)?;
        let fresh = FileTxnLog::new(self.fs.clone(), self.log_dir.clone(), self.opts.txn_log);
        std::mem::replace(&mut self.txn_log, fresh).close()?;
        let out = truncate_after(&self.fs, &self.log_dir, zxid, self.opts.log_read)?;
        self.append_blocked = None;
        Ok(out)
    }

    /// `PurgeTxnLog.purge`: keeps the `keep` (at least 3) newest valid snapshots and the logs
    /// needed to replay after the oldest of them; deletes older snapshots and logs.
    pub fn purge(&self, keep: usize) -> Result<PurgeOutcome, StorageError> {
        if keep < 3 {
            return Err(StorageError::InvalidArgument(
                "count should be greater than or equal to 3".to_owned(),
            ));
        }
        let snaps = self.snap.find_n_valid(keep)?;
        let Some(oldest) = snaps.last() else {
            return Ok(PurgeOutcome::default());
        };
        let least = oldest.zxid;
        let logs = list_log_files(&self.fs, &self.log_dir)?;
        let retained = log_files_for_snapshot(&logs, least);
        let mut removed = Vec::new();
        for (z, p) in &logs {
            if *z < least && !retained.iter().any(|(_, r)| r == p) {
                removed.push(p.clone());
            }
        }
        for name in self
            .fs
            .list_dir(&self.snap_dir)
            .map_err(StorageError::io("list", &self.snap_dir))?
        {
            if zxid_from_name(&name, SNAPSHOT_PREFIX).is_some_and(|z| z < least) {
                removed.push(self.snap_dir.join(name));
            }
        }
        for p in &removed {
            self.fs
                .remove_file(p)
                .map_err(StorageError::io("delete", p))?;
        }
        for dir in [&self.snap_dir, &self.log_dir] {
            self.fs
                .sync_dir(dir)
                .map_err(StorageError::io("sync directory", dir))?;
        }
        Ok(PurgeOutcome {
            least_zxid_retained: Some(least),
            removed,
        })
    }

    /// `QuorumPeer.loadDataBase`'s epoch rules, given the restored lastProcessedZxid: a missing
    /// file is created from the zxid's epoch; a currentEpoch older than that epoch is replaced
    /// by `currentEpoch.tmp` if it exists, else an error; acceptedEpoch below currentEpoch is an
    /// error.
    pub fn load_epochs(&self, last_processed_zxid: i64) -> Result<Epochs, StorageError> {
        let epoch_of_zxid = last_processed_zxid >> 32;
        let current_path = self.snap_dir.join(CURRENT_EPOCH);
        let accepted_path = self.snap_dir.join(ACCEPTED_EPOCH);
        let mut out = Epochs {
            current: 0,
            accepted: 0,
            created_current: false,
            created_accepted: false,
            used_current_tmp: false,
            used_updating_epoch: false,
        };
        out.current = match read_epoch(&self.fs, &current_path)? {
            Some(e) => e,
            None => {
                write_epoch(&self.fs, &current_path, epoch_of_zxid)?;
                out.created_current = true;
                epoch_of_zxid
            }
        };
        let updating = self.snap_dir.join(crate::names::UPDATING_EPOCH);
        if epoch_of_zxid > out.current && self.fs.exists(&updating) {
            // `QuorumPeer.loadDataBase`: the learner stopped after persisting its NEWLEADER
            // snapshot or txns of the new epoch and before writing currentEpoch; it had not
            // acknowledged NEWLEADER yet, and what it persisted came from that leader.
            write_epoch(&self.fs, &current_path, epoch_of_zxid)?;
            out.current = epoch_of_zxid;
            out.used_updating_epoch = true;
            self.fs
                .remove_file(&updating)
                .map_err(StorageError::io("delete", &updating))?;
        }
        if epoch_of_zxid > out.current {
            let tmp = self
                .snap_dir
                .join(format!("{CURRENT_EPOCH}{TMP_EXTENSION}"));
            match read_epoch(&self.fs, &tmp)? {
                Some(e) => {
                    write_epoch(&self.fs, &current_path, e)?;
                    out.current = e;
                    out.used_current_tmp = true;
                }
                None => {
                    return Err(StorageError::EpochMismatch(format!(
                        "The current epoch, {:#x}, is older than the last zxid, {:#x}",
                        out.current, last_processed_zxid
                    )))
                }
            }
        }
        out.accepted = match read_epoch(&self.fs, &accepted_path)? {
            Some(e) => e,
            None => {
                write_epoch(&self.fs, &accepted_path, epoch_of_zxid)?;
                out.created_accepted = true;
                epoch_of_zxid
            }
        };
        if out.accepted < out.current {
            return Err(StorageError::EpochMismatch(format!(
                "The accepted epoch, {:#x} is less than the current epoch, {:#x}",
                out.accepted, out.current
            )));
        }
        Ok(out)
    }

    /// Creates the `updatingEpoch` marker (durably) before a learner persists its NEWLEADER
    /// state; [`FileTxnSnapLog::write_current_epoch_and_clear_marker`] removes it.
    pub fn mark_updating_epoch(&self) -> Result<(), StorageError> {
        mark_updating_epoch(&self.fs, &self.snap_dir)
    }

    /// Writes `currentEpoch` (durably, before acknowledging NEWLEADER).
    pub fn write_current_epoch(&self, epoch: i64) -> Result<(), StorageError> {
        write_epoch(&self.fs, &self.snap_dir.join(CURRENT_EPOCH), epoch)
    }

    /// Writes `acceptedEpoch` (durably, before sending ACKEPOCH).
    pub fn write_accepted_epoch(&self, epoch: i64) -> Result<(), StorageError> {
        write_epoch(&self.fs, &self.snap_dir.join(ACCEPTED_EPOCH), epoch)
    }

    /// Writes what is buffered and closes the writer (no fsync, as `close()`).
    pub fn close(self) -> Result<(), StorageError> {
        self.txn_log.close()
    }
}

/// Creates `<snap_dir>/updatingEpoch` and makes it durable.
pub fn mark_updating_epoch<F: Fs>(fs: &F, snap_dir: &std::path::Path) -> Result<(), StorageError> {
    let path = snap_dir.join(crate::names::UPDATING_EPOCH);
    if fs.exists(&path) {
        return Ok(());
    }
    let mut f = fs
        .create(&path)
        .map_err(StorageError::io("create", &path))?;
    crate::fs::FsFile::sync_data(&mut f).map_err(StorageError::io("sync", &path))?;
    drop(f);
    fs.sync_dir(snap_dir)
        .map_err(StorageError::io("sync", snap_dir))
}

/// Removes `<snap_dir>/updatingEpoch` (once currentEpoch is durable), if present.
pub fn clear_updating_epoch<F: Fs>(fs: &F, snap_dir: &std::path::Path) -> Result<(), StorageError> {
    let path = snap_dir.join(crate::names::UPDATING_EPOCH);
    if fs.exists(&path) {
        fs.remove_file(&path)
            .map_err(StorageError::io("delete", &path))?;
    }
    Ok(())
}
