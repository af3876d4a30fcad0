//! [`Connection`]: what the core keeps per client connection.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use zkrs_jute::{Id, Request, RequestDecodeError, RequestHeader};

use crate::auth::AuthIds;
use crate::stats::ConnStats;

/// Where a connection is in the handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnState {
    /// Accepted; no ConnectRequest yet.
    AwaitingConnect,
    /// The createSession txn is prepared; the ConnectResponse is sent when it is applied.
    CreatingSession,
    /// Learners: a reconnect whose session the leader is revalidating; the ConnectResponse is
    /// sent with its answer.
    Revalidating,
    /// The session is usable.
    Established,
}

/// One entry of a connection's reply queue. Replies leave strictly in request order: a write's
/// reply when its txn is applied, reads (and pings, setWatches, sync…) when every earlier entry
/// has been answered (`CommitProcessor`'s per-session queue).
#[derive(Debug, Clone)]
pub enum Queued {
    /// A prepared write, answered when the txn with this zxid is applied.
    Write { zxid: i64 },
    /// Learners: a write or sync forwarded to the leader, answered when the leader's txn with
    /// this cxid (or its SYNC) comes back.
    Forwarded { cxid: i32 },
    /// A request without a txn, answered against the tree as it is when its turn comes. The
    /// caller's identities are captured on arrival, as `Request.authInfo` is.
    Read {
        header: RequestHeader,
        request: Result<Request, RequestDecodeError>,
        recv_mono: u64,
        auth: Arc<[Id]>,
    },
    /// A reply computed on arrival (auth, sasl); `close` closes the connection after it.
    Ready { frame: Bytes, close: bool },
}

/// A request that arrived before the session was established (ZooKeeper stops reading the
/// socket until then); it is handled once the ConnectResponse has gone out.
#[derive(Debug, Clone)]
pub struct Held {
    pub header: RequestHeader,
    pub request: Result<Request, RequestDecodeError>,
}

/// Per-connection state.
#[derive(Debug, Clone)]
pub struct Connection {
    pub remote: SocketAddr,
    /// 0 until a session is created or a reconnect names one.
    pub session_id: i64,
    /// The negotiated timeout (used to touch the session on every request).
    pub timeout_ms: i32,
    pub state: ConnState,
    /// The ConnectRequest had no trailing readOnly byte, so the response has none either.
    pub old_client: bool,
    pub auth: AuthIds,
    pub queue: VecDeque<Queued>,
    pub held: VecDeque<Held>,
    pub stats: ConnStats,
    /// An `Output::Close` was emitted: nothing more is sent or processed for it.
    pub closing: bool,
    /// A failed auth or sasl will close the connection once its reply goes out; ZooKeeper stops
    /// reading the socket, so later requests are ignored.
    pub input_closed: bool,
    /// Wall-clock ms when the connection was accepted (`cons` `est=`).
    pub established_wall_ms: i64,
}

impl Connection {
    /// A freshly accepted connection from `remote`, already carrying its `ip` identity.
    pub fn new(remote: SocketAddr, ip_id: Id, now_wall_ms: i64) -> Self {
        let mut auth = AuthIds::new();
        auth.add(ip_id);
        Connection {
            remote,
            session_id: 0,
            timeout_ms: 0,
            state: ConnState::AwaitingConnect,
            old_client: false,
            auth,
            queue: VecDeque::new(),
            held: VecDeque::new(),
            stats: ConnStats::default(),
            closing: false,
            input_closed: false,
            established_wall_ms: now_wall_ms,
        }
    }
}
