//! [`Listener`]: the accept loop on `clientPortAddress:clientPort`.

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use zkrs_session::ConnId;

use crate::conn_limits::{ConnLimits, Rejection};
use crate::connection::{stopped, Connection};
use crate::event::Event;
use crate::java_fmt;
use crate::throttle::Throttle;

/// Longest pause after a failing `accept` (e.g. out of file descriptors).
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);

/// Accepts client connections and starts a task for each.
#[derive(Debug)]
pub struct Listener {
    pub listener: TcpListener,
    pub limits: Arc<ConnLimits>,
    pub events: mpsc::Sender<Event>,
    pub throttle: Arc<Throttle>,
    pub max_buffer: usize,
    pub shutdown: watch::Receiver<bool>,
}

impl Listener {
    /// Accepts until shutdown. Dropping `self` at the end drops the listener's event sender, so
    /// the core task ends once every connection has reported `Closed`.
    pub async fn run(mut self) {
        let mut next_conn: ConnId = 1;
        let mut backoff = Duration::from_millis(10);
        loop {
            let accepted = tokio::select! {
                accepted = self.listener.accept() => accepted,
                () = stopped(&mut self.shutdown) => break,
            };
            let (stream, remote) = match accepted {
                Ok(pair) => {
                    backoff = Duration::from_millis(10);
                    pair
                }
                Err(e) => {
                    // EMFILE and friends: the listener is fine, the process is short of
                    // something. Wait a little and retry rather than exit.
                    tracing::warn!(error = %e, "accept failed; retrying in {backoff:?}");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = stopped(&mut self.shutdown) => break,
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                    continue;
                }
            };
            let permit = match self.limits.try_acquire(remote.ip()) {
                Ok(permit) => permit,
                Err(Rejection::PerIp { max }) => {
                    tracing::warn!(
                        "Too many connections from {} - max is {max}",
                        java_fmt::socket_addr(remote)
                    );
                    drop(stream);
                    continue;
                }
                Err(Rejection::Total { max }) => {
                    tracing::warn!(
                        "Too many connections max allowed is {max}; closing {}",
                        java_fmt::socket_addr(remote)
                    );
                    drop(stream);
                    continue;
                }
            };
            // ZooKeeper sets TCP_NODELAY on client sockets; replies are small.
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "set_nodelay failed");
            }
            let conn = next_conn;
            next_conn += 1;
            tracing::debug!(conn, %remote, "accepted connection");
            let connection = Connection {
                conn,
                remote,
                events: self.events.clone(),
                throttle: Arc::clone(&self.throttle),
                max_buffer: self.max_buffer,
                shutdown: self.shutdown.clone(),
                permit,
            };
            tokio::spawn(connection.run(stream));
        }
        tracing::debug!("listener stopped accepting");
    }
}
