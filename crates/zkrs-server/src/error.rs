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
    /// `clientPortAddress` could not be resolved.
    #[error("cannot resolve clientPortAddress {addr}: {source}")]
    ClientAddress { addr: String, source: io::Error },
    /// The task that owns the server core ended unexpectedly (a bug).
    #[error("the core task failed: {0}")]
    CoreTask(String),
}
