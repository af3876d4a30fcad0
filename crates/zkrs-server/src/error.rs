//! [`ServerError`]: why the server could not start or stopped abnormally.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;

/// A failure of the server as a whole (a bad client only ever closes its own connection).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The client port could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: SocketAddr, source: io::Error },
    /// The data directory could not be created.
    #[error("cannot create data directory {}: {source}", path.display())]
    DataDir { path: PathBuf, source: io::Error },
    /// The configuration has no `clientPort` (and no `;client` part for this server).
    #[error("{file}: no client port: set clientPort")]
    NoClientPort { file: String },
    /// A quorum configuration without a usable server id (`myid`).
    #[error("{file}: no server id: myid is missing or not in the server list")]
    NoServerId { file: String },
    /// The quorum ports could not be set up.
    /// The Prometheus metrics endpoint could not start (ZooKeeper does not start then).
    #[error("metrics provider: {0}")]
    Metrics(String),
    #[error("quorum: {0}")]
    Quorum(String),
    /// `clientPortAddress` could not be resolved.
    #[error("cannot resolve clientPortAddress {addr}: {source}")]
    ClientAddress { addr: String, source: io::Error },
    /// The task that owns the server core ended unexpectedly (a bug).
    #[error("the core task failed: {0}")]
    CoreTask(String),
    /// The data directories were refused or could not be loaded; the server is not started.
    /// (The storage error is part of the message, not a separate source, so it is printed once.)
    #[error("cannot load the database in {}: {error}", dir.display())]
    Database {
        dir: PathBuf,
        error: Box<zkrs_storage::StorageError>,
    },
    /// No snapshot, no txn log, `db.autocreate=false` and no `initialize` marker: a standalone
    /// server has nothing to serve.
    #[error(
        "{}: the database is not initialized (db.autocreate=false and no initialize marker in \
         dataLogDir); create the marker file to start from an empty database",
        dir.display()
    )]
    DatabaseNotInitialized { dir: PathBuf },
    /// A storage thread could not be started.
    #[error("cannot start the {what} thread: {source}")]
    Thread {
        what: &'static str,
        source: io::Error,
    },
    /// The txn log failed while serving (disk full, I/O error): writes after the last durable
    /// one were never acknowledged, and the server stopped.
    #[error("the txn log failed; the server stopped without acknowledging further writes: {0}")]
    TxnLog(String),
    /// A snapshot could not be written. ZooKeeper exits then too
    /// (`TXNLOG_ERROR_TAKING_SNAPSHOT`): a data directory that cannot take snapshots would
    /// keep every txn log forever. Nothing acknowledged is lost (the txn log has it).
    #[error("taking a snapshot failed; the server stopped: {0}")]
    Snapshot(String),
}
