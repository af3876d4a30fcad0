//! [`run`], [`BoundServer`] and [`ServerHandle`]: starting and stopping a standalone server.
//!
//! Startup binds the client port (so a second server on the same port and data directory fails
//! before touching the data), then loads the database from `dataDir`/`dataLogDir` (ZooKeeper's
//! on-disk format: snapshot + txn log replay, torn tail cut, start-up snapshot) and rebuilds
//! the core with its sessions; a data directory that is refused is an error and nothing is
//! served. Serving starts the txn log thread, background snapshots and autopurge. Shutdown (the
//! future passed to [`run`] resolving, or [`ServerHandle::stop`]) stops accepting, tells every
//! connection task to close its socket, waits for them to report, and lets the core task end
//! after the txn log thread has written what it was given. A txn log failure ends the server
//! with [`ServerError::TxnLog`].

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::collections::{BTreeMap, VecDeque};

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use zkrs_session::ServerCore;
use zkrs_storage::SnapshotWriteOptions;

use crate::config::ServerConfig;
use crate::conn_limits::ConnLimits;
use crate::database::{data_log_dir, Database};
use crate::driver::quorum::{
    accept_learners, LearnerGate, QuorumState, QuorumStorageWorker, Role, PEER_EVENT_QUEUE_CAPACITY,
};
use crate::driver::{Driver, DriverStorage};
use crate::error::ServerError;
use crate::listener::Listener;
use crate::persister::{Persister, SYNC_QUEUE_BATCHES};
use crate::purger::Purger;
use crate::quorum_cnx_manager::QuorumCnxManager;
use crate::server_clock::ServerClock;
use crate::snapshotter::Snapshotter;
use crate::sync_thread::{SharedTxnLog, SyncThread};
use crate::throttle::Throttle;
use crate::txn_log_writer::TxnLogWriter;
use crate::version::FULL_VERSION;
use zkrs_zab::election::fast_leader_election::{ElectionConfig, FastLeaderElection};

/// Reports queued from the storage threads to the core task (a few per group commit).
const STORAGE_EVENT_QUEUE_CAPACITY: usize = 256;

/// Events queued from connections to the core task before readers wait.
const EVENT_QUEUE_CAPACITY: usize = 1024;

/// AdminServer and metrics requests queued for the core task (each HTTP connection has at
/// most one in flight).
const HTTP_CALL_QUEUE_CAPACITY: usize = 16;

/// The listen backlog when `clientPortListenBacklog` is not set.
const DEFAULT_LISTEN_BACKLOG: u32 = 1024;

/// How long shutdown waits for connections and the core task to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// How long shutdown waits for the core task once connections are closing: their grace plus
/// the storage threads' (the txn log's last commit, a snapshot being written).
const CORE_SHUTDOWN_GRACE: Duration = Duration::from_secs(30);

/// Runs a standalone server until `shutdown` resolves.
pub async fn run(
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    BoundServer::bind(config).await?.serve(shutdown).await
}

/// A server whose client port is bound and whose database is loaded, but which does not
/// accept yet.
#[derive(Debug)]
pub struct BoundServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: Arc<ServerConfig>,
    clock: ServerClock,
    core: ServerCore,
    database: Database,
}

impl BoundServer {
    /// Binds `clientPortAddress:clientPort`, then loads the database from `dataDir` and
    /// `dataLogDir` (creating `version-2` unless `datadir.autocreate=false`) and takes the
    /// start-up snapshot.
    pub async fn bind(config: ServerConfig) -> Result<BoundServer, ServerError> {
        let addr = config.client_addr;
        let bind_err = |source| ServerError::Bind { addr, source };
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()
        } else {
            TcpSocket::new_v6()
        }
        .map_err(bind_err)?;
        // As ZooKeeper's NIO factory does, so a restart does not wait out TIME_WAIT.
        socket.set_reuseaddr(true).map_err(bind_err)?;
        // `NIOServerCnxnFactory.configure`'s wording.
        tracing::info!("binding to port {}", crate::java_fmt::listen_addr(addr));
        socket.bind(addr).map_err(bind_err)?;
        let backlog = u32::try_from(config.client_port_listen_backlog)
            .ok()
            .filter(|b| *b > 0)
            .unwrap_or(DEFAULT_LISTEN_BACKLOG);
        let listener = socket.listen(backlog).map_err(bind_err)?;
        let local_addr = listener.local_addr().map_err(bind_err)?;

        let config = Arc::new(config);
        let load_config = Arc::clone(&config);
        let mut database = tokio::task::spawn_blocking(move || Database::load(&load_config))
            .await
            .map_err(|e| ServerError::CoreTask(format!("loading the database: {e}")))??;
        let clock = ServerClock::new();
        let tree = std::mem::take(&mut database.tree);
        let sessions = std::mem::take(&mut database.sessions);
        // Sessions come back with their timeouts and expire on schedule from now unless their
        // clients reconnect, as after a ZooKeeper restart.
        let core = ServerCore::from_state(config.core.clone(), tree, sessions, clock.now());
        Ok(BoundServer {
            listener,
            local_addr,
            config,
            clock,
            core,
            database,
        })
    }

    /// The bound client address (with the real port when port 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves clients until `shutdown` resolves, then shuts down gracefully.
    pub async fn serve(self, shutdown: impl Future<Output = ()>) -> Result<(), ServerError> {
        let BoundServer {
            listener,
            local_addr,
            config,
            clock,
            core,
            database,
        } = self;
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        // The HTTP ports first: the metrics port failing to bind stops the start.
        let (http_calls_tx, http_calls_rx) = mpsc::channel(HTTP_CALL_QUEUE_CAPACITY);
        let http_tasks =
            crate::http_servers::start(&config, http_calls_tx, shutdown_rx.clone()).await?;
        let (storage_events_tx, storage_events_rx) = mpsc::channel(STORAGE_EVENT_QUEUE_CAPACITY);
        let epochs = database.epochs;
        let committed_log = crate::database::committed_log_of(
            &database.recent_txns,
            config.quorum.as_ref().map_or(1, |q| q.zab.commit_log_count),
        );
        let storage = start_storage(
            &config,
            database,
            storage_events_tx.clone(),
            storage_events_rx,
        )?;
        let quorum = start_quorum(
            &config,
            epochs,
            committed_log,
            storage_events_tx,
            shutdown_rx.clone(),
        )
        .await?;
        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        let throttle = Arc::new(Throttle::new(config.global_outstanding_limit));
        let limits = ConnLimits::new(config.max_client_cnxns, config.max_cnxns);

        let driver = Driver::new(
            Arc::clone(&config),
            core,
            storage,
            local_addr,
            clock,
            events_rx,
            Arc::clone(&limits),
            Arc::clone(&throttle),
            quorum,
            http_calls_rx,
        );
        let mut driver_task = tokio::spawn(driver.run());
        let listener = Listener {
            listener,
            limits,
            events: events_tx,
            throttle,
            max_buffer: config.max_buffer(),
            shutdown: shutdown_rx,
        };
        let listener_task = tokio::spawn(listener.run());
        match config.quorum.as_ref() {
            Some(q) => tracing::info!(
                "zkrs {FULL_VERSION}: quorum member {} accepting clients on {local_addr}",
                q.my_id
            ),
            None => tracing::info!(
                "zkrs {FULL_VERSION}: standalone server accepting clients on {local_addr}"
            ),
        }

        let early_end = tokio::select! {
            () = shutdown => None,
            joined = &mut driver_task => Some(joined),
        };
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
        for task in http_tasks {
            task.abort();
        }
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, listener_task).await;
        if let Some(joined) = early_end {
            return match joined {
                Ok(Err(e)) => Err(e),
                Ok(Ok(())) => Err(core_task_error(None)),
                Err(e) => Err(core_task_error(Some(e))),
            };
        }
        match tokio::time::timeout(CORE_SHUTDOWN_GRACE, &mut driver_task).await {
            Ok(Ok(Ok(()))) => {
                tracing::info!("server stopped");
                Ok(())
            }
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(e)) => Err(core_task_error(Some(e))),
            Err(_) => {
                tracing::warn!("the server did not stop within {CORE_SHUTDOWN_GRACE:?}; aborting");
                driver_task.abort();
                Ok(())
            }
        }
    }
}

/// Starts the txn log thread over `storage`, reporting to `events_tx`.
pub(crate) fn start_txn_log(
    config: &ServerConfig,
    storage: zkrs_storage::FileTxnSnapLog<zkrs_storage::OsFs>,
    events_tx: mpsc::Sender<crate::storage_event::StorageEvent>,
) -> Result<Persister, ServerError> {
    let (batches_tx, batches_rx) = mpsc::channel(SYNC_QUEUE_BATCHES);
    let log: SharedTxnLog = Arc::new(Mutex::new(TxnLogWriter::new(storage, &config.storage)));
    let thread = SyncThread::new(Arc::clone(&log), batches_rx, events_tx)
        .spawn()
        .map_err(|source| ServerError::Thread {
            what: "txn log",
            source,
        })?;
    Ok(Persister::new(batches_tx, thread, Some(log)))
}

/// Starts the txn log thread over the loaded storage, the snapshotter and autopurge.
fn start_storage(
    config: &ServerConfig,
    database: Database,
    events_tx: mpsc::Sender<crate::storage_event::StorageEvent>,
    events_rx: mpsc::Receiver<crate::storage_event::StorageEvent>,
) -> Result<DriverStorage, ServerError> {
    let Database {
        storage,
        stats,
        startup_snapshot,
        ..
    } = database;
    let options = storage.options().clone();
    let snapshotter_snap = storage.snapshots().clone();
    let persister = start_txn_log(config, storage, events_tx.clone())?;
    let mut snapshotter = Snapshotter::new(
        snapshotter_snap,
        options.snapshot_compression,
        SnapshotWriteOptions {
            digest_section: options.snapshot_digest,
            last_processed_zxid_section: options.snapshot_last_processed_zxid,
            ..SnapshotWriteOptions::default()
        },
        events_tx,
    );
    // A quorum member takes no start-up snapshot: its tail may be uncommitted and would
    // survive a TRUNC (ZOOKEEPER-1549/1558/4837).
    let startup_snapshot = if config.quorum.is_some() {
        None
    } else {
        startup_snapshot
    };
    let startup_snapshot_written = startup_snapshot.and_then(|s| {
        let zxid = s.view.last_processed_zxid();
        let written = snapshotter.start_startup(s.view, s.sessions, s.zxid_digest)?;
        tracing::info!(
            "Snapshotting: 0x{zxid:x} to {}",
            snapshotter.file_for(zxid).display()
        );
        Some(written)
    });
    let purger = (config.storage.purge_interval_hours > 0)
        .then(|| {
            Purger::start(
                config.data_dir.clone(),
                data_log_dir(config),
                options.clone(),
                config.storage.snap_retain_count,
                Duration::from_secs(u64::from(config.storage.purge_interval_hours) * 3600),
                startup_snapshot_written,
            )
        })
        .flatten();
    if purger.is_none() {
        tracing::info!("Purge task is not scheduled.");
    }
    Ok(DriverStorage {
        persister,
        events: events_rx,
        snapshotter,
        purger,
        startup: stats,
    })
}

/// Sets up a quorum member: the election port's connection manager, the quorum port and the
/// engines' state. The epochs come from `acceptedEpoch`/`currentEpoch` in the data directory.
async fn start_quorum(
    config: &ServerConfig,
    epochs: zkrs_storage::Epochs,
    committed_log: zkrs_zab::CommittedLog,
    storage_events_tx: mpsc::Sender<crate::storage_event::StorageEvent>,
    shutdown: watch::Receiver<bool>,
) -> Result<Option<QuorumState>, ServerError> {
    let Some(qs) = config.quorum.as_ref() else {
        return Ok(None);
    };
    let (qcm, qcm_rx) = QuorumCnxManager::start(qs.qcm.clone(), shutdown.clone())
        .await
        .map_err(|e| ServerError::Quorum(e.to_string()))?;
    let (peer_tx, peer_rx) = mpsc::channel(PEER_EVENT_QUEUE_CAPACITY);
    let (learner_gate, gate_rx) = watch::channel(LearnerGate::Hold);
    // One listener (the first address) is enough: learners try each address in turn.
    if let Some(hp) = qs.quorum_listen.first() {
        let addr = tokio::net::lookup_host((hp.host.as_str(), hp.port))
            .await
            .map_err(|e| ServerError::Quorum(format!("resolving {hp}: {e}")))?
            .next()
            .ok_or_else(|| ServerError::Quorum(format!("{hp} has no address")))?;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| ServerError::Bind { addr, source })?;
        tracing::info!("accepting learners on {addr}");
        tokio::spawn(accept_learners(
            listener,
            peer_tx.clone(),
            shutdown.clone(),
            gate_rx,
            0,
        ));
    }
    let (storage_tx, storage_rx) = mpsc::channel(64);
    let storage_jobs =
        QuorumStorageWorker::start(storage_tx).map_err(|source| ServerError::Thread {
            what: "quorum storage",
            source,
        })?;
    let mut election = ElectionConfig::new(qs.my_id, qs.zab.verifier.clone());
    election.observer = qs.zab.observer;
    election.reconfig_enabled = qs.zab.reconfig_enabled;
    let mut fle = FastLeaderElection::new(election);
    fle.set_last_seen_verifier(qs.zab.last_seen_verifier.clone());
    let files = qs
        .config_file
        .clone()
        .map(crate::dynamic_config::DynamicConfigFiles::new);
    if qs.zab.reconfig_enabled && qs.inline_membership {
        // QuorumPeerConfig.backupOldConfig: the static file as it was, before a reconfig (or
        // the first leader) moves the membership out of it.
        if let Some(f) = &files {
            if let Err(e) = f.backup_static() {
                tracing::warn!("backing up the static config: {e}");
            }
        }
    }
    Ok(Some(QuorumState {
        zab: qs.zab.clone(),
        fle,
        qcm,
        qcm_rx,
        role: Role::Looking,
        accepted_epoch: epochs.accepted,
        current_epoch: epochs.current,
        quorum_addrs: qs.quorum_addrs.clone(),
        peer_tx,
        peer_rx,
        learner_writers: BTreeMap::new(),
        learner_links: BTreeMap::new(),
        leader_writer: None,
        proposed: VecDeque::new(),
        pending_reload: None,
        shutdown,
        channels_closed: false,
        serving_since_ms: None,
        cnx_timeout_ms: qs.cnx_timeout_ms,
        storage_jobs,
        storage_rx,
        role_generation: 0,
        storage_events_tx,
        committed_log,
        learner_gate,
        reconfig: crate::driver::reconfig::ReconfigSettings {
            files,
            standalone_enabled: qs.standalone_enabled,
            multi_address_enabled: qs.multi_address_enabled,
            oracle_path: qs.oracle_path.clone(),
        },
        reconfig_flag: false,
        designated_leader: None,
        election_started_ms: None,
        logged_peer_state: None,
    }))
}

fn core_task_error(e: Option<tokio::task::JoinError>) -> ServerError {
    match e {
        Some(e) => ServerError::CoreTask(e.to_string()),
        None => ServerError::CoreTask("ended before shutdown".to_string()),
    }
}

/// A server running in the background (for tests and embedding). Dropping the handle shuts the
/// server down too, without waiting.
#[derive(Debug)]
pub struct ServerHandle {
    local_addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Result<(), ServerError>>>,
}

impl ServerHandle {
    /// Binds and starts a server on the current tokio runtime.
    pub async fn start(config: ServerConfig) -> Result<ServerHandle, ServerError> {
        let bound = BoundServer::bind(config).await?;
        let local_addr = bound.local_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(bound.serve(async move {
            // Resolves on `stop` or when the handle is dropped.
            let _ = stopped.await;
        }));
        Ok(ServerHandle {
            local_addr,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The client address, e.g. `127.0.0.1:41234`.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Shuts down gracefully and waits for the server to finish.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        match self.task.take() {
            Some(task) => task
                .await
                .map_err(|e| ServerError::CoreTask(e.to_string()))?,
            None => Ok(()),
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
