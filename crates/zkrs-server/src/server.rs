//! [`run`], [`BoundServer`] and [`ServerHandle`]: starting and stopping a standalone server.
//!
//! Startup binds the client port and creates `dataDir`. Shutdown (the future passed to
//! [`run`] resolving, or [`ServerHandle::stop`]) stops accepting, tells every connection task to
//! close its socket, waits for them to report, and lets the core task end.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::{TcpListener, TcpSocket};
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use crate::config::ServerConfig;
use crate::conn_limits::ConnLimits;
use crate::driver::Driver;
use crate::error::ServerError;
use crate::listener::Listener;
use crate::server_clock::ServerClock;
use crate::throttle::Throttle;
use crate::version::FULL_VERSION;

/// Events queued from connections to the core task before readers wait.
const EVENT_QUEUE_CAPACITY: usize = 1024;

/// The listen backlog when `clientPortListenBacklog` is not set.
const DEFAULT_LISTEN_BACKLOG: u32 = 1024;

/// How long shutdown waits for connections and the core task to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Runs a standalone server until `shutdown` resolves.
pub async fn run(
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<(), ServerError> {
    BoundServer::bind(config).await?.serve(shutdown).await
}

/// A server whose client port is bound but which does not accept yet.
#[derive(Debug)]
pub struct BoundServer {
    listener: TcpListener,
    local_addr: SocketAddr,
    config: Arc<ServerConfig>,
}

impl BoundServer {
    /// Creates `dataDir` (and `dataLogDir`) if missing — nothing is written to them yet — and
    /// binds `clientPortAddress:clientPort`.
    pub async fn bind(config: ServerConfig) -> Result<BoundServer, ServerError> {
        for dir in std::iter::once(&config.data_dir).chain(config.data_log_dir.as_ref()) {
            std::fs::create_dir_all(dir).map_err(|source| ServerError::DataDir {
                path: dir.clone(),
                source,
            })?;
        }
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
        socket.bind(addr).map_err(bind_err)?;
        let backlog = u32::try_from(config.client_port_listen_backlog)
            .ok()
            .filter(|b| *b > 0)
            .unwrap_or(DEFAULT_LISTEN_BACKLOG);
        let listener = socket.listen(backlog).map_err(bind_err)?;
        let local_addr = listener.local_addr().map_err(bind_err)?;
        Ok(BoundServer {
            listener,
            local_addr,
            config: Arc::new(config),
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
        } = self;
        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let throttle = Arc::new(Throttle::new(config.global_outstanding_limit));
        let limits = ConnLimits::new(config.max_client_cnxns, config.max_cnxns);

        let driver = Driver::new(
            Arc::clone(&config),
            local_addr,
            ServerClock::new(),
            events_rx,
            Arc::clone(&limits),
            Arc::clone(&throttle),
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
        tracing::info!("zkrs {FULL_VERSION}: standalone server accepting clients on {local_addr}");

        let early_end = tokio::select! {
            () = shutdown => None,
            joined = &mut driver_task => Some(joined),
        };
        tracing::info!("shutting down");
        let _ = shutdown_tx.send(true);
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, listener_task).await;
        if let Some(joined) = early_end {
            return Err(core_task_error(joined.err()));
        }
        match tokio::time::timeout(SHUTDOWN_GRACE, &mut driver_task).await {
            Ok(Ok(())) => {
                tracing::info!("server stopped");
                Ok(())
            }
            Ok(Err(e)) => Err(core_task_error(Some(e))),
            Err(_) => {
                tracing::warn!("connections did not close within {SHUTDOWN_GRACE:?}; aborting");
                driver_task.abort();
                Ok(())
            }
        }
    }
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
