//! [`Snapshotter`]: writes snapshots in the background (`ZooKeeperServer.takeSnapshot` on
//! ZooKeeper's "Snapshot Thread").
//!
//! The core task takes a [`SnapshotView`] of the tree (O(1): the node table is persistent and
//! shared, so nothing is copied) and copies the committed sessions: a consistent state at the
//! tree's lastProcessedZxid, where ZooKeeper serializes the live tree (a "fuzzy" snapshot). A
//! thread (at the lowest priority, inside the "Snapshot Thread" that later drops the view at
//! normal priority) serializes, compresses and writes `snapshot.<zxid>` atomically, paced by
//! `zkrs_storage`'s `PacedWriter`, while the core task
//! goes on applying txns (each copies only the table chunks and nodes it touches). One
//! snapshot at a time: when the next one is due while one is still being written, it is
//! skipped ("Too busy to snap, skipping"), as ZooKeeper does.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tokio::sync::mpsc;
use zkrs_datatree::{SnapshotView, ZxidDigest};
use zkrs_storage::{FileSnap, OsFs, SnapshotCompression, SnapshotWriteOptions};

use crate::storage_event::StorageEvent;

/// Background snapshots of one server.
#[derive(Debug)]
pub struct Snapshotter {
    snap: FileSnap<OsFs>,
    compression: SnapshotCompression,
    write_options: SnapshotWriteOptions,
    events: mpsc::Sender<StorageEvent>,
    in_progress: Option<(i64, JoinHandle<()>)>,
}

impl Snapshotter {
    /// Snapshots into `snap`'s directory, reporting to `events`.
    pub fn new(
        snap: FileSnap<OsFs>,
        compression: SnapshotCompression,
        write_options: SnapshotWriteOptions,
        events: mpsc::Sender<StorageEvent>,
    ) -> Snapshotter {
        Snapshotter {
            snap,
            compression,
            write_options,
            events,
            in_progress: None,
        }
    }

    /// Whether a snapshot is being written.
    pub fn busy(&self) -> bool {
        self.in_progress
            .as_ref()
            .is_some_and(|(_, thread)| !thread.is_finished())
    }

    /// Starts writing `tree` and `sessions` in the background, with the digest section
    /// `zxid_digest` (`None`: the view's own). False (and nothing started) if a snapshot is
    /// still being written or the thread cannot be created.
    pub fn start(
        &mut self,
        tree: SnapshotView,
        sessions: Vec<(i64, i32)>,
        zxid_digest: Option<ZxidDigest>,
    ) -> bool {
        self.start_signalling(tree, sessions, zxid_digest, None)
    }

    /// [`Snapshotter::start`] for the start-up snapshot: the returned receiver sees its sender
    /// dropped once the snapshot is written (or has failed), so autopurge can wait for it as
    /// it does in ZooKeeper, where the start-up snapshot precedes the first purge. `None` if
    /// nothing was started.
    pub fn start_startup(
        &mut self,
        tree: SnapshotView,
        sessions: Vec<(i64, i32)>,
        zxid_digest: Option<ZxidDigest>,
    ) -> Option<std::sync::mpsc::Receiver<()>> {
        let (done, written) = std::sync::mpsc::channel();
        self.start_signalling(tree, sessions, zxid_digest, Some(done))
            .then_some(written)
    }

    fn start_signalling(
        &mut self,
        tree: SnapshotView,
        sessions: Vec<(i64, i32)>,
        zxid_digest: Option<ZxidDigest>,
        done: Option<std::sync::mpsc::Sender<()>>,
    ) -> bool {
        if self.busy() {
            return false;
        }
        self.reap();
        let zxid = tree.last_processed_zxid();
        let snap = self.snap.clone();
        let compression = self.compression;
        let mut opts = self.write_options.clone();
        opts.zxid_digest = zxid_digest.or(opts.zxid_digest);
        let events = self.events.clone();
        let spawned = std::thread::Builder::new()
            .name("Snapshot Thread".to_owned())
            .spawn(move || {
                let t = Instant::now();
                // Serialized and written on a niced thread; `tree` is dropped here, at normal
                // priority, because dropping it frees the nodes and table chunks the live tree
                // replaced meanwhile, into the allocator arena of the core task: a niced thread
                // preempted while it holds that arena's lock would stall the core task for a
                // time slice (measured: p999 ~5 ms during snapshots against ~2 ms).
                let written = std::thread::scope(|s| {
                    std::thread::Builder::new()
                        .name("Snapshot Writer".to_owned())
                        .spawn_scoped(s, || {
                            lower_priority();
                            snap.write(&tree, sessions, compression, &opts)
                        })
                        .map_err(|e| format!("cannot start the snapshot writer thread: {e}"))?
                        .join()
                        .map_err(|_| "the snapshot writer thread panicked".to_owned())?
                        .map_err(|e| e.to_string())
                });
                let event = match written {
                    Ok(path) => StorageEvent::SnapshotDone {
                        path,
                        zxid,
                        elapsed: t.elapsed(),
                    },
                    Err(error) => StorageEvent::SnapshotFailed { zxid, error },
                };
                drop(tree);
                drop(done);
                let _ = events.blocking_send(event);
            });
        match spawned {
            Ok(thread) => {
                self.in_progress = Some((zxid, thread));
                true
            }
            Err(e) => {
                tracing::error!("cannot start the snapshot thread: {e}");
                false
            }
        }
    }

    /// Joins a finished snapshot thread.
    pub fn reap(&mut self) {
        if self
            .in_progress
            .as_ref()
            .is_some_and(|(_, thread)| thread.is_finished())
        {
            if let Some((_, thread)) = self.in_progress.take() {
                let _ = thread.join();
            }
        }
    }

    /// Waits up to `grace` for a snapshot being written (an unfinished one leaves only a
    /// `.tmp` file, which is never read).
    pub async fn shutdown(mut self, grace: Duration) {
        let Some((zxid, thread)) = self.in_progress.take() else {
            return;
        };
        let join = tokio::task::spawn_blocking(move || thread.join());
        if tokio::time::timeout(grace, join).await.is_err() {
            tracing::warn!("snapshot 0x{zxid:x} did not finish within {grace:?}");
        }
    }

    /// The snapshot directory.
    pub fn dir(&self) -> PathBuf {
        self.snap.dir().to_path_buf()
    }

    /// The file a snapshot at `zxid` is written to (`snapshot.<zxid>[.gz|.snappy]`).
    pub fn file_for(&self, zxid: i64) -> PathBuf {
        self.snap
            .dir()
            .join(zkrs_storage::names::snapshot_name(zxid, self.compression))
    }
}

/// Lowers this (snapshot) thread's CPU priority to the lowest niceness, so that on a busy
/// machine the serialization gives way to the threads clients wait on. Best effort.
fn lower_priority() {
    if let Err(e) =
        thread_priority::set_current_thread_priority(thread_priority::ThreadPriority::Min)
    {
        tracing::debug!("cannot lower the snapshot thread's priority: {e:?}");
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    /// The snapshot thread runs at niceness 19 (field 19 of `/proc/thread-self/stat`).
    #[test]
    fn the_snapshot_thread_is_niced() {
        let nice = std::thread::spawn(|| {
            super::lower_priority();
            let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("stat");
            // The command name (field 2) may hold spaces; fields after it are plain.
            let after = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
            after.split_whitespace().nth(16).map(str::to_owned)
        })
        .join()
        .expect("thread");
        assert_eq!(nice.as_deref(), Some("19"));
    }
}
