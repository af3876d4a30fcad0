//! [`Purger`]: autopurge (`DatadirCleanupManager`): every `autopurge.purgeInterval` hours,
//! starting at start-up, keep the `autopurge.snapRetainCount` newest snapshots and the txn logs
//! needed to replay after the oldest of them; delete the rest (`PurgeTxnLog.purge`).

use std::path::PathBuf;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use zkrs_storage::{FileTxnSnapLog, OsFs, StorageOptions};

/// The longest the first purge waits for the start-up snapshot.
pub const STARTUP_SNAPSHOT_WAIT: Duration = Duration::from_secs(600);

/// The autopurge thread; stopping it (or dropping it) ends the thread.
#[derive(Debug)]
pub struct Purger {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Purger {
    /// Starts purging every `interval` (None when the thread cannot be created). With
    /// `after`, the first purge waits until that channel's sender is dropped (the start-up
    /// snapshot is written), or [`STARTUP_SNAPSHOT_WAIT`] at most.
    pub fn start(
        data_dir: PathBuf,
        data_log_dir: PathBuf,
        options: StorageOptions,
        retain: usize,
        interval: Duration,
        after: Option<mpsc::Receiver<()>>,
    ) -> Option<Purger> {
        let (stop, stopped) = mpsc::channel::<()>();
        tracing::info!(
            "autopurge.snapRetainCount set to {retain}; autopurge.purgeInterval set to {} hours",
            interval.as_secs() / 3600
        );
        let spawned = std::thread::Builder::new()
            .name("PurgeTask".to_owned())
            .spawn(move || loop {
                if let Some(after) = &after {
                    let _ = after.recv_timeout(STARTUP_SNAPSHOT_WAIT);
                }
                tracing::info!("Purge task started.");
                match FileTxnSnapLog::open(OsFs, &data_dir, &data_log_dir, options.clone())
                    .and_then(|s| s.purge(retain))
                {
                    Ok(out) => {
                        for p in &out.removed {
                            tracing::info!("Removing file: {}", p.display());
                        }
                    }
                    Err(e) => tracing::error!("Error occurred while purging: {e}"),
                }
                tracing::info!("Purge task completed.");
                match stopped.recv_timeout(interval) {
                    Err(mpsc::RecvTimeoutError::Timeout) => continue,
                    _ => break,
                }
            });
        match spawned {
            Ok(thread) => Some(Purger {
                stop: Some(stop),
                thread: Some(thread),
            }),
            Err(e) => {
                tracing::error!("cannot start the autopurge thread: {e}");
                None
            }
        }
    }

    /// Stops the thread (waits for a purge in progress).
    pub async fn shutdown(mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }
}

impl Drop for Purger {
    fn drop(&mut self) {
        self.stop.take();
    }
}
