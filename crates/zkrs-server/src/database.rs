//! [`Database`]: the data loaded at start-up (`ZKDatabase.loadDataBase` +
//! `ZooKeeperServer.loadData`): the data directories opened with ZooKeeper's checks, the newest
//! valid snapshot plus the txn log replayed, a torn tail cut away, dead sessions' ephemerals
//! removed. ZooKeeper then writes a clean snapshot before it serves anyone; zkrs takes an O(1)
//! [`SnapshotView`] of the same state instead and the snapshot thread writes it while clients
//! are already served (a crash before it is written recovers from the same snapshot and log).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use zkrs_datatree::{DataTree, SnapshotView, ZxidDigest};
use zkrs_jute::{OpCode, TxnBody, TxnHeader};
use zkrs_storage::{FileTxnSnapLog, OsFs, RecoveryReport, Restored};

use crate::config::ServerConfig;
use crate::error::ServerError;

/// What start-up measured (the `startup_*` and `dbinittime` metrics).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartupStats {
    /// Txns replayed from the log.
    pub txns_loaded: u64,
    /// Time to restore (snapshot + replay).
    pub load_time: Duration,
    /// Time for the start-up snapshot (only the O(1) copy; it is written in the background).
    pub snapshot_time: Duration,
}

/// The start-up snapshot (`ZooKeeperServer.loadData`'s `takeSnapshot`) still to be written.
#[derive(Debug, Clone)]
pub struct StartupSnapshot {
    /// The restored tree, frozen.
    pub view: SnapshotView,
    /// The live sessions.
    pub sessions: Vec<(i64, i32)>,
    /// The digest section to write (`None`: the view's own).
    pub zxid_digest: Option<ZxidDigest>,
}

/// The restored database and the storage it came from.
pub struct Database {
    /// The opened data directories (the txn log writer continues here).
    pub storage: FileTxnSnapLog<OsFs>,
    /// The tree at the last durable txn.
    pub tree: DataTree,
    /// The live sessions and their timeouts.
    pub sessions: BTreeMap<i64, i32>,
    /// Timings and counts.
    pub stats: StartupStats,
    /// The start-up snapshot, for the snapshot thread (none for a freshly initialized
    /// directory, whose empty snapshot was written during restore).
    pub startup_snapshot: Option<StartupSnapshot>,
    /// `acceptedEpoch` and `currentEpoch` (quorum members only; zeros standalone).
    pub epochs: zkrs_storage::Epochs,
    /// The last txns replayed (quorum members only: `commitLogCount` of them), for DIFF.
    pub recent_txns: std::collections::VecDeque<zkrs_jute::TxnEntry>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("storage", &self.storage)
            .field("last_processed_zxid", &self.tree.last_processed_zxid())
            .field("sessions", &self.sessions.len())
            .field("stats", &self.stats)
            .finish()
    }
}

impl Database {
    /// Opens `dataDir`/`dataLogDir`, restores, and freezes the start-up snapshot. Blocking.
    ///
    /// Refused (an error, the server is never served): a directory ZooKeeper would refuse
    /// (another format version, snapshots and logs mixed up, autocreate off), snapshot files
    /// none of which loads, txn logs without a snapshot (unless `snapshot.trust.empty`),
    /// corruption in the middle of the log, and an uninitialized database
    /// (`db.autocreate=false` without the `initialize` marker).
    pub fn load(config: &ServerConfig) -> Result<Database, ServerError> {
        let options = config.storage.storage_options(&config.core);
        let data_log_dir = data_log_dir(config);
        let started = Instant::now();
        let mut storage = FileTxnSnapLog::open(OsFs, &config.data_dir, &data_log_dir, options)
            .map_err(|e| ServerError::Database {
                dir: config.data_dir.clone(),
                error: Box::new(e),
            })?;
        if let Some(q) = config.quorum.as_ref() {
            storage.set_keep_recent_txns(q.zab.commit_log_count);
        }
        let Restored {
            mut tree,
            sessions,
            recent_txns,
            report,
        } = storage.restore().map_err(|e| ServerError::Database {
            dir: config.data_dir.clone(),
            error: Box::new(e),
        })?;
        let load_time = started.elapsed();
        log_report(&report, &tree, sessions.len(), load_time);
        if tree.last_processed_zxid() < 0 {
            return Err(ServerError::DatabaseNotInitialized {
                dir: storage.snap_dir().to_path_buf(),
            });
        }
        let killed = kill_dead_sessions(&mut tree, &sessions);
        let epochs = if config.quorum.is_some() {
            // QuorumPeer.loadDataBase: missing files are created from the last zxid's epoch.
            let epochs = storage
                .load_epochs(tree.last_processed_zxid())
                .map_err(|e| ServerError::Database {
                    dir: config.data_dir.clone(),
                    error: Box::new(e),
                })?;
            if epochs.used_updating_epoch {
                tracing::info!(
                    "updatingEpoch found. The server was terminated after taking a snapshot but \
                     before updating current epoch. Setting current epoch to {}.",
                    epochs.current
                );
            }
            epochs
        } else {
            zkrs_storage::Epochs {
                current: 0,
                accepted: 0,
                created_current: false,
                created_accepted: false,
                used_current_tmp: false,
                used_updating_epoch: false,
            }
        };

        let t = Instant::now();
        let startup_snapshot = report.initialized_empty.is_none().then(|| StartupSnapshot {
            view: tree.view(),
            sessions: sessions.iter().map(|(k, v)| (*k, *v)).collect(),
            // A digest section computed before the dead sessions were removed would be stale.
            zxid_digest: if killed { None } else { report.zxid_digest },
        });
        let snapshot_time = t.elapsed();
        Ok(Database {
            storage,
            tree,
            sessions,
            stats: StartupStats {
                txns_loaded: report.txns_replayed,
                load_time,
                snapshot_time,
            },
            startup_snapshot,
            epochs,
            recent_txns,
        })
    }
}

/// `ZooKeeperServer.loadData`'s "clean up dead sessions": a session that owns ephemerals but is
/// not among the live sessions has its ephemerals deleted (at the current zxid, no txn).
fn kill_dead_sessions(tree: &mut DataTree, sessions: &BTreeMap<i64, i32>) -> bool {
    let dead: Vec<i64> = tree
        .sessions_with_ephemerals()
        .map(|(id, _)| id)
        .filter(|id| !sessions.contains_key(id))
        .collect();
    let zxid = tree.last_processed_zxid();
    for id in &dead {
        tracing::info!("Killing dead session 0x{id:x} (it owns ephemerals but is not live)");
        let header = TxnHeader {
            client_id: *id,
            cxid: 0,
            zxid,
            time: 0,
            r#type: OpCode::CloseSession.code(),
        };
        let _ = tree.process_txn(&header, &TxnBody::CloseSession(None));
    }
    let _ = tree.take_watch_events();
    !dead.is_empty()
}

fn log_report(report: &RecoveryReport, tree: &DataTree, sessions: usize, elapsed: Duration) {
    if report.initialize_marker_found {
        tracing::info!("found the initialize marker; an empty database is trusted");
    }
    for (path, why) in &report.skipped_snapshots {
        tracing::warn!("skipped snapshot {}: {why}", path.display());
    }
    match &report.snapshot {
        // `FileSnap.deserialize`'s wording (logged before the read in ZooKeeper).
        Some((path, _)) => tracing::info!("Reading snapshot {}", path.display()),
        None => tracing::info!("no snapshot found"),
    }
    if let Some(path) = &report.initialized_empty {
        tracing::info!(
            "empty database initialized: {} (no snapshot and no txn log)",
            path.display()
        );
    }
    if let Some((first, last)) = report.replayed_range {
        tracing::info!(
            "{} txns loaded from the txn log (0x{first:x}..=0x{last:x})",
            report.txns_replayed
        );
    }
    if report.out_of_order_zxids > 0 {
        tracing::error!(
            "{} txns had a zxid below the one before them",
            report.out_of_order_zxids
        );
    }
    if let Some(torn) = &report.torn_tail {
        let action = if report.torn_tail_repaired {
            "cut away"
        } else {
            "left in place"
        };
        tracing::warn!(
            file = %torn.file.display(),
            offset = torn.offset,
            "{torn}: the unacknowledged end of a write interrupted by a crash; {action}"
        );
        for f in &torn.later_files {
            tracing::warn!(
                "removed {} (no intact txn after the torn tail)",
                f.display()
            );
        }
    }
    if report.snapshot_digest_matched == Some(false) {
        tracing::error!("the snapshot's digest does not match the tree loaded from it");
    }
    if let Some(z) = report.snapshot_digest_uncovered {
        tracing::warn!(
            "the snapshot's digest names zxid 0x{z:x}, which the txn log does not reach"
        );
    }
    if !report.digest_mismatches.is_empty() {
        tracing::error!(
            "{} replayed txns left a tree digest different from the one logged (first at 0x{:x})",
            report.digest_mismatches.len(),
            report.digest_mismatches[0]
        );
    }
    for f in &report.ignored_files {
        tracing::debug!("ignoring {} (not a ZooKeeper file)", f.display());
    }
    // `ZKDatabase.loadDataBase`'s wording, which operators grep for.
    tracing::info!(
        "Snapshot loaded in {} ms, highest zxid is 0x{:x}, digest is {}",
        elapsed.as_millis(),
        tree.last_processed_zxid(),
        tree.digest()
    );
    tracing::info!(
        "database loaded in {} ms: lastProcessedZxid 0x{:x}, {} znodes, {} sessions",
        elapsed.as_millis(),
        tree.last_processed_zxid(),
        tree.node_count(),
        sessions
    );
}

/// `dataLogDir`, defaulting to `dataDir`.
pub fn data_log_dir(config: &ServerConfig) -> PathBuf {
    config
        .data_log_dir
        .clone()
        .unwrap_or_else(|| config.data_dir.clone())
}

/// TRUNC from a leader (`ZKDatabase.truncateLog`): removes every logged txn above `zxid`, and
/// every snapshot newer than `zxid` too (a snapshot of a txn that is being cut would bring it
/// back on the next load; ZooKeeper keeps them, ZOOKEEPER-1549/4837). Blocking.
pub fn truncate(config: &ServerConfig, zxid: i64) -> Result<(), ServerError> {
    let options = config.storage.storage_options(&config.core);
    let err = |e| ServerError::Database {
        dir: config.data_dir.clone(),
        error: Box::new(e),
    };
    let mut storage = FileTxnSnapLog::open(OsFs, &config.data_dir, &data_log_dir(config), options)
        .map_err(err)?;
    // A member that never logged a txn (a fresh one synced by SNAP) has nothing to cut;
    // `truncate_log` would refuse that, as ZooKeeper's `FileTxnLog.truncate` does.
    let has_logs = !zkrs_storage::list_log_files(&OsFs, storage.log_dir())
        .map_err(err)?
        .is_empty();
    if has_logs {
        let outcome = storage.truncate_log(zxid).map_err(err)?;
        tracing::info!("txn log cut after 0x{zxid:x}: {outcome:?}");
    }
    for snap in storage.snapshots().list().map_err(err)? {
        if snap.zxid > zxid {
            tracing::info!(
                "Removing snapshot {} (newer than the TRUNC point 0x{zxid:x})",
                snap.path.display()
            );
            std::fs::remove_file(&snap.path).map_err(|source| ServerError::DataDir {
                path: snap.path.clone(),
                source,
            })?;
        }
    }
    storage.close().map_err(err)?;
    Ok(())
}

/// The committed log a quorum member starts a role with: the last txns of its database.
pub fn committed_log_of(
    recent: &std::collections::VecDeque<zkrs_jute::TxnEntry>,
    capacity: usize,
) -> zkrs_zab::CommittedLog {
    let mut log = zkrs_zab::CommittedLog::new(capacity);
    for e in recent {
        log.add(
            zkrs_jute::Zxid(e.header.zxid),
            bytes::Bytes::from(e.encode()),
        );
    }
    log
}

/// Opens the data directories for writing the txn log, without restoring (the tree is already
/// in memory). Blocking.
pub fn open_storage(config: &ServerConfig) -> Result<FileTxnSnapLog<OsFs>, ServerError> {
    let options = config.storage.storage_options(&config.core);
    FileTxnSnapLog::open(OsFs, &config.data_dir, &data_log_dir(config), options).map_err(|e| {
        ServerError::Database {
            dir: config.data_dir.clone(),
            error: Box::new(e),
        }
    })
}
