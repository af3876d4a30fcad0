//! [`QuorumCnxManager`]: the election-port connections between servers of an ensemble
//! (ZooKeeper's `QuorumCnxManager`), carrying opaque election messages by server id.
//!
//! ```text
//!  QcmHandle::send(sid, msg) ──> send slot of sid (capacity 1, newest wins) ──> writer task ─┐
//!        └─ no connection: connect (resolve again, each address, cnx_timeout) ──> handshake  │ TCP
//!  accept ──> handshake task (InitialMessage within cnx_timeout) ──> keep / drop + connect back│
//!  reader task: int length (1..=max_message_len) + payload ──> receive queue (100, drops the  │
//!               oldest) ──> QcmReceiver::recv()                                           <──┘
//! ```
//!
//! Rules kept from ZooKeeper, so Java members (3.5-3.9) and zkrs members interoperate:
//!
//! - The initiator sends an [`InitialMessage`]: V1 with its first election address, or V2 with
//!   all of them when `multiAddress.enabled`. A receiver also accepts a bare non-negative sid
//!   (pre-3.5) and gives an anonymous observer (`OBSERVER_ID`) a fresh negative id (-1, -2,
//!   ..., seen here as `u64` two's complement).
//! - Only a connection initiated by the higher sid survives. An initiator connecting to a
//!   higher sid sends its handshake and closes; a receiver that gets a handshake from a lower
//!   sid closes its connection to that sid (if any) and this socket, and connects back (to the
//!   addresses in the handshake when there are some). An equal sid is logged and dropped.
//!   Sids compare as Java longs.
//! - One connection per sid: a new one replaces the old one.
//! - A new connection whose send slot is empty first re-sends the last message sent to that
//!   sid (FastLeaderElection expects duplicates).
//! - Every connect attempt resolves the host names again and tries each address of a
//!   multi-address server in turn, each within `cnxTimeout`.
//! - The listener retries a failed bind `electionPortBindRetry` times (0: forever), a second
//!   apart, and listens on `0.0.0.0:<port>` when `quorumListenOnAllIPs`.
//!
//! Robustness: a peer that sends a bad or truncated handshake, does not finish it within
//! `cnxTimeout`, or sends a frame of length 0 or above `max_message_len` loses its own
//! connection only (logged). Nothing here blocks a caller, every buffer is bounded (one
//! pending message per sid, 100 received messages, at most 64 handshakes and 64 connect
//! attempts at a time), and every task stops on shutdown ([`QcmHandle::stopped`]).
//!
//! Not implemented: quorum SASL, TLS (`sslQuorum`), port unification and the multi-address
//! reachability check (`multiAddress.reachabilityCheckEnabled`).

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::{watch, Notify, OwnedSemaphorePermit, Semaphore};
use tokio::task::{AbortHandle, JoinSet};
use zkrs_config::{HostPort, ZooCfg};
use zkrs_zab::election::initial_message::MAX_ENCODED_LEN_BYTES;
use zkrs_zab::election::InitialMessage;

/// `cnxTimeout`'s default: connecting and handshaking, in milliseconds.
pub const DEFAULT_CNX_TIMEOUT_MS: u64 = 5000;
/// `zookeeper.electionPortBindRetry`'s default (0 means retry forever).
pub const DEFAULT_ELECTION_PORT_BIND_RETRY: u32 = 3;
/// `QuorumCnxManager.PACKETMAXSIZE`: the longest election message, in bytes.
pub const PACKET_MAX_SIZE_BYTES: usize = 512 * 1024;
/// `QuorumCnxManager.RECV_CAPACITY`: received messages kept before the oldest is dropped.
pub const RECV_CAPACITY: usize = 100;

/// Handshakes read at the same time; further connections are closed at once.
const MAX_PENDING_HANDSHAKES: usize = 64;
/// Outgoing connect attempts at the same time (at most one per sid anyway).
const MAX_PENDING_CONNECTS: usize = 64;
/// Pause between two bind attempts (ZooKeeper sleeps a second).
const BIND_RETRY_PAUSE: Duration = Duration::from_secs(1);
/// `ServerSocket`'s default backlog.
const LISTEN_BACKLOG: u32 = 50;
/// Longest pause after a failing `accept`.
const ACCEPT_BACKOFF_MAX: Duration = Duration::from_secs(1);
/// Bytes allocated up front for a received message; the rest grows as it arrives.
const PAYLOAD_PREALLOC_BYTES: usize = 64 * 1024;

/// The settings of the election port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QcmConfig {
    /// This server's id (`myid`).
    pub my_sid: u64,
    /// This server's election addresses (from its `server.N` line), in order. The listener
    /// binds them (or their ports on the wildcard, see `listen_on_all_ips`) and the initial
    /// message advertises them. A port of 0 binds an ephemeral port, and the bound port is
    /// what gets advertised.
    pub election_addrs: Vec<HostPort>,
    /// `quorumListenOnAllIPs`: bind `0.0.0.0:<port>` for each election address.
    pub listen_on_all_ips: bool,
    /// Election addresses of every other server, voting or not.
    pub peers: BTreeMap<u64, Vec<HostPort>>,
    /// `multiAddress.enabled`: send the V2 handshake with every election address.
    pub multi_address_enabled: bool,
    /// `cnxTimeout`: connect timeout per address, and the time a peer has to complete its
    /// handshake (and we ours), in milliseconds.
    pub cnx_timeout_ms: u64,
    /// `zookeeper.electionPortBindRetry`: bind attempts before giving up (0: forever).
    pub election_port_bind_retry: u32,
    /// The longest message accepted or sent, in bytes (`PACKETMAXSIZE`).
    pub max_message_len: usize,
}

impl QcmConfig {
    /// ZooKeeper's defaults for server `my_sid` listening on `election_addrs`, no peers yet.
    pub fn new(my_sid: u64, election_addrs: Vec<HostPort>) -> QcmConfig {
        QcmConfig {
            my_sid,
            election_addrs,
            listen_on_all_ips: false,
            peers: BTreeMap::new(),
            multi_address_enabled: false,
            cnx_timeout_ms: DEFAULT_CNX_TIMEOUT_MS,
            election_port_bind_retry: DEFAULT_ELECTION_PORT_BIND_RETRY,
            max_message_len: PACKET_MAX_SIZE_BYTES,
        }
    }

    /// The settings ZooKeeper derives from zoo.cfg for server `my_sid`: its `server.N`
    /// election addresses, every other member of the committed (and last seen) configuration,
    /// `quorumListenOnAllIPs`, `multiAddress.enabled`, `cnxTimeout` and
    /// `electionPortBindRetry` (a negative value means the default). `None` if `my_sid` is
    /// not a member.
    pub fn from_zoo_cfg(my_sid: u64, cfg: &ZooCfg) -> Option<QcmConfig> {
        let me = cfg.servers().get(&my_sid)?;
        let mut config = QcmConfig::new(my_sid, me.election_addrs());
        let last_seen = cfg
            .last_seen_quorum_verifier
            .iter()
            .flat_map(|qv| qv.servers());
        for (&sid, server) in last_seen.chain(cfg.servers()) {
            if sid != my_sid {
                config.peers.insert(sid, server.election_addrs());
            }
        }
        config.listen_on_all_ips = cfg.quorum_listen_on_all_ips;
        config.multi_address_enabled = cfg.multi_address.enabled;
        let props = &cfg.system_properties;
        let default_timeout = i32::try_from(DEFAULT_CNX_TIMEOUT_MS).unwrap_or(i32::MAX);
        config.cnx_timeout_ms = u64::try_from(props.get_int("cnxTimeout", default_timeout))
            .unwrap_or(DEFAULT_CNX_TIMEOUT_MS);
        let default_retry = i32::try_from(DEFAULT_ELECTION_PORT_BIND_RETRY).unwrap_or(3);
        config.election_port_bind_retry =
            u32::try_from(props.get_int("electionPortBindRetry", default_retry))
                .unwrap_or(DEFAULT_ELECTION_PORT_BIND_RETRY);
        Some(config)
    }
}

/// Why the election port could not be started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QcmError {
    /// The configuration has no election address for this server.
    #[error("no election address for server {0}")]
    NoElectionAddress(u64),
    /// An election address could not be bound, after every retry.
    #[error("cannot listen on election address {addr} ({attempts} attempts): {source}")]
    Bind {
        addr: String,
        attempts: u32,
        source: io::Error,
    },
    /// Shutdown was requested while binding.
    #[error("shut down while binding the election port")]
    Shutdown,
}

/// The election connections of one server. Started by [`QuorumCnxManager::start`]; used
/// through a [`QcmHandle`].
#[derive(Debug)]
pub struct QuorumCnxManager {
    my_sid: u64,
    /// The election addresses the initial message advertises.
    advertised: Vec<HostPort>,
    multi_address_enabled: bool,
    cnx_timeout: Duration,
    max_message_len: usize,
    local_addrs: Vec<SocketAddr>,
    state: Mutex<State>,
    received: Arc<RecvQueue>,
    shutdown: watch::Receiver<bool>,
    /// True once every task has ended after shutdown.
    done: watch::Receiver<bool>,
    handshakes: Arc<Semaphore>,
    connects: Arc<Semaphore>,
}

/// What the tasks share, behind one lock that is never held across an `.await`.
#[derive(Debug)]
struct State {
    peers: BTreeMap<u64, Vec<HostPort>>,
    send_slots: HashMap<u64, Arc<SendSlot>>,
    last_message_sent: HashMap<u64, Bytes>,
    connections: HashMap<u64, Connection>,
    /// Sids with a connect attempt under way (ZooKeeper's `inprogressConnections`).
    connecting: HashSet<u64>,
    next_generation: u64,
    /// The next id given to an anonymous observer (-1, -2, ...).
    next_observer_sid: i64,
    tasks: JoinSet<()>,
    closing: bool,
}

/// One established connection: its reader and writer tasks.
#[derive(Debug)]
struct Connection {
    generation: u64,
    remote: SocketAddr,
    reader: AbortHandle,
    writer: AbortHandle,
}

impl Connection {
    fn close(&self) {
        self.reader.abort();
        self.writer.abort();
    }
}

/// The send queue of one sid: capacity 1, a new message replaces an unsent one.
#[derive(Debug, Default)]
struct SendSlot {
    pending: Mutex<Option<Bytes>>,
    ready: Notify,
}

impl SendSlot {
    /// Stores `payload`; true if it replaced an unsent message.
    fn put(&self, payload: Bytes) -> bool {
        let replaced = lock(&self.pending).replace(payload).is_some();
        self.ready.notify_waiters();
        replaced
    }

    fn is_empty(&self) -> bool {
        lock(&self.pending).is_none()
    }

    async fn take(&self) -> Bytes {
        loop {
            let notified = self.ready.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(payload) = lock(&self.pending).take() {
                return payload;
            }
            notified.await;
        }
    }
}

/// The receive queue: bounded, dropping the oldest message when full (ZooKeeper's
/// `CircularBlockingQueue`), so readers never wait for the consumer.
#[derive(Debug, Default)]
struct RecvQueue {
    inner: Mutex<RecvInner>,
    ready: Notify,
}

#[derive(Debug, Default)]
struct RecvInner {
    messages: VecDeque<(u64, Bytes)>,
    dropped: u64,
    closed: bool,
}

impl RecvQueue {
    fn push(&self, sid: u64, payload: Bytes) {
        {
            let mut inner = lock(&self.inner);
            if inner.closed {
                return;
            }
            if inner.messages.len() >= RECV_CAPACITY {
                inner.messages.pop_front();
                inner.dropped += 1;
                tracing::warn!("election receive queue full; dropped the oldest message");
            }
            inner.messages.push_back((sid, payload));
        }
        self.ready.notify_one();
    }

    fn close(&self) {
        lock(&self.inner).closed = true;
        self.ready.notify_one();
    }
}

/// The consumer's end of the receive queue: `(sender sid, payload)` in arrival order.
#[derive(Debug)]
pub struct QcmReceiver {
    queue: Arc<RecvQueue>,
}

impl QcmReceiver {
    /// The next message; `None` once the manager has shut down and the queue is drained.
    pub async fn recv(&mut self) -> Option<(u64, Bytes)> {
        loop {
            {
                let mut inner = lock(&self.queue.inner);
                if let Some(message) = inner.messages.pop_front() {
                    return Some(message);
                }
                if inner.closed {
                    return None;
                }
            }
            self.queue.ready.notified().await;
        }
    }

    /// The next message if one is queued.
    pub fn try_recv(&mut self) -> Option<(u64, Bytes)> {
        lock(&self.queue.inner).messages.pop_front()
    }

    /// Messages dropped because the queue was full.
    pub fn dropped_count(&self) -> u64 {
        lock(&self.queue.inner).dropped
    }
}

/// A cheap, cloneable handle on a running [`QuorumCnxManager`].
#[derive(Debug, Clone)]
pub struct QcmHandle {
    manager: Arc<QuorumCnxManager>,
}

impl QcmHandle {
    /// Queues `payload` for `to_sid` and connects if there is no connection (`toSend`,
    /// `connectOne`). To this server's own sid, the message goes straight to the receive
    /// queue. A message still unsent to that sid is replaced. Never blocks. Dropped (and
    /// logged) after shutdown, to a sid that is neither a peer nor connected, and when empty
    /// or longer than `max_message_len` (a receiver would drop the connection).
    pub fn send(&self, to_sid: u64, payload: Bytes) {
        self.manager.send(to_sid, payload);
    }

    /// Connects to every known peer (and every sid messages were sent to) that has no
    /// connection (`connectAll`).
    pub fn connect_all(&self) {
        self.manager.connect_all();
    }

    /// Replaces the election addresses of the other servers. Existing connections are kept;
    /// the next connect attempts use the new addresses.
    pub fn update_peers(&self, peers: BTreeMap<u64, Vec<HostPort>>) {
        let mut state = self.manager.lock();
        state.peers = peers;
        state.peers.remove(&self.manager.my_sid);
    }

    /// The sids with an established connection, ascending.
    pub fn connected_sids(&self) -> Vec<u64> {
        let mut sids: Vec<u64> = self.manager.lock().connections.keys().copied().collect();
        sids.sort_unstable();
        sids
    }

    /// Whether a connection to `sid` is established (`connectedToPeer`).
    pub fn is_connected(&self, sid: u64) -> bool {
        self.manager.lock().connections.contains_key(&sid)
    }

    /// The bound election addresses.
    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.manager.local_addrs.clone()
    }

    /// This server's election addresses as advertised in the initial message.
    pub fn advertised_addrs(&self) -> Vec<HostPort> {
        self.manager.advertised.clone()
    }

    /// This server's id.
    pub fn my_sid(&self) -> u64 {
        self.manager.my_sid
    }

    /// Resolves once shutdown was requested and every task has ended.
    pub async fn stopped(&self) {
        let mut done = self.manager.done.clone();
        let _ = done.wait_for(|done| *done).await;
    }
}

impl QuorumCnxManager {
    /// Binds the election addresses (with retries) and starts accepting. Runs until
    /// `shutdown` becomes true (or its sender is dropped).
    pub async fn start(
        config: QcmConfig,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(QcmHandle, QcmReceiver), QcmError> {
        if config.election_addrs.is_empty() {
            return Err(QcmError::NoElectionAddress(config.my_sid));
        }
        // One listener per distinct bind address; `bound_index[i]` is the listener of
        // election address i.
        let mut listeners: Vec<TcpListener> = Vec::new();
        let mut bind_addrs: Vec<HostPort> = Vec::new();
        let mut bound_index = Vec::with_capacity(config.election_addrs.len());
        for addr in &config.election_addrs {
            let bind = if config.listen_on_all_ips {
                HostPort::wildcard(addr.port)
            } else {
                addr.clone()
            };
            if bind.port != 0 {
                if let Some(i) = bind_addrs.iter().position(|b| *b == bind) {
                    bound_index.push(i);
                    continue;
                }
            }
            let listener =
                bind_with_retry(&bind, config.election_port_bind_retry, &mut shutdown).await?;
            bound_index.push(listeners.len());
            listeners.push(listener);
            bind_addrs.push(bind);
        }
        let mut local_addrs = Vec::with_capacity(listeners.len());
        for (listener, bind) in listeners.iter().zip(&bind_addrs) {
            let local = listener.local_addr().map_err(|source| QcmError::Bind {
                addr: bind.to_string(),
                attempts: 1,
                source,
            })?;
            tracing::info!(
                "{} is accepting connections now, my election bind port: {local}",
                config.my_sid
            );
            local_addrs.push(local);
        }
        let advertised: Vec<HostPort> = config
            .election_addrs
            .iter()
            .zip(&bound_index)
            .map(|(addr, &i)| match local_addrs.get(i) {
                Some(local) if addr.port == 0 => HostPort::new(addr.host.clone(), local.port()),
                _ => addr.clone(),
            })
            .collect();

        let mut peers = config.peers;
        peers.remove(&config.my_sid);
        let (done_tx, done_rx) = watch::channel(false);
        let manager = Arc::new(QuorumCnxManager {
            my_sid: config.my_sid,
            advertised,
            multi_address_enabled: config.multi_address_enabled,
            cnx_timeout: Duration::from_millis(config.cnx_timeout_ms),
            max_message_len: config.max_message_len,
            local_addrs,
            state: Mutex::new(State {
                peers,
                send_slots: HashMap::new(),
                last_message_sent: HashMap::new(),
                connections: HashMap::new(),
                connecting: HashSet::new(),
                next_generation: 0,
                next_observer_sid: -1,
                tasks: JoinSet::new(),
                closing: false,
            }),
            received: Arc::new(RecvQueue::default()),
            shutdown: shutdown.clone(),
            done: done_rx,
            handshakes: Arc::new(Semaphore::new(MAX_PENDING_HANDSHAKES)),
            connects: Arc::new(Semaphore::new(MAX_PENDING_CONNECTS)),
        });
        {
            let mut state = manager.lock();
            for listener in listeners {
                let this = Arc::clone(&manager);
                manager.spawn(&mut state, this.accept_loop(listener));
            }
        }
        let supervisor = Arc::clone(&manager);
        tokio::spawn(async move {
            stopped(&mut shutdown).await;
            let mut tasks = {
                let mut state = supervisor.lock();
                state.closing = true;
                state.connections.clear();
                std::mem::take(&mut state.tasks)
            };
            tasks.shutdown().await;
            supervisor.received.close();
            tracing::info!("election connections of {} closed", supervisor.my_sid);
            let _ = done_tx.send(true);
        });
        let receiver = QcmReceiver {
            queue: Arc::clone(&manager.received),
        };
        Ok((QcmHandle { manager }, receiver))
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Spawns a task that shutdown aborts and joins; `None` once shutting down.
    fn spawn(
        &self,
        state: &mut State,
        task: impl Future<Output = ()> + Send + 'static,
    ) -> Option<AbortHandle> {
        if state.closing {
            return None;
        }
        while let Some(result) = state.tasks.try_join_next() {
            if let Err(e) = result {
                if e.is_panic() {
                    tracing::error!("an election connection task panicked: {e}");
                }
            }
        }
        Some(state.tasks.spawn(task))
    }

    fn send(self: &Arc<Self>, to_sid: u64, payload: Bytes) {
        if to_sid == self.my_sid {
            self.received.push(to_sid, payload);
            return;
        }
        if payload.is_empty() || payload.len() > self.max_message_len {
            tracing::warn!(
                "not sending a message of {} bytes to server {to_sid}: must be 1..={}",
                payload.len(),
                self.max_message_len
            );
            return;
        }
        let slot = {
            let mut state = self.lock();
            if state.closing {
                return;
            }
            if !state.peers.contains_key(&to_sid) && !state.connections.contains_key(&to_sid) {
                tracing::warn!("Invalid server id: {to_sid}; message dropped");
                return;
            }
            Arc::clone(state.send_slots.entry(to_sid).or_default())
        };
        if slot.put(payload) {
            tracing::debug!("replaced an unsent message to server {to_sid}");
        }
        self.connect_one(to_sid, None);
    }

    fn connect_all(self: &Arc<Self>) {
        let sids: Vec<u64> = {
            let state = self.lock();
            let mut sids: Vec<u64> = state.peers.keys().copied().collect();
            sids.extend(state.send_slots.keys().copied());
            sids.sort_unstable();
            sids.dedup();
            sids
        };
        for sid in sids.into_iter().filter(|&sid| sid != self.my_sid) {
            self.connect_one(sid, None);
        }
    }

    /// Starts a connect attempt to `sid` unless it is connected or being connected to.
    /// `addrs` (from its handshake) take precedence over the configured addresses.
    fn connect_one(self: &Arc<Self>, sid: u64, addrs: Option<Vec<HostPort>>) {
        let mut state = self.lock();
        if state.connections.contains_key(&sid) {
            tracing::debug!("There is a connection already for server {sid}");
            return;
        }
        if state.connecting.contains(&sid) {
            tracing::debug!("Connection request to server id: {sid} is already in progress");
            return;
        }
        let addrs = match addrs.filter(|a| !a.is_empty()) {
            Some(addrs) => addrs,
            None => match state.peers.get(&sid) {
                Some(addrs) if !addrs.is_empty() => addrs.clone(),
                _ => {
                    tracing::warn!("Invalid server id: {sid}");
                    return;
                }
            },
        };
        let Ok(permit) = Arc::clone(&self.connects).try_acquire_owned() else {
            tracing::warn!("too many election connect attempts under way; not connecting to {sid}");
            return;
        };
        let this = Arc::clone(self);
        let task = async move {
            let _permit = permit;
            let _connecting = Connecting {
                manager: Arc::clone(&this),
                sid,
            };
            this.initiate_connection(sid, addrs).await;
        };
        if self.spawn(&mut state, task).is_some() {
            state.connecting.insert(sid);
        }
    }

    /// Connects to the first address of `addrs` that answers, resolving names again.
    async fn initiate_connection(self: Arc<Self>, sid: u64, addrs: Vec<HostPort>) {
        tracing::debug!("Opening channel to server {sid}");
        let mut shutdown = self.shutdown.clone();
        let connected = tokio::select! {
            connected = connect_any(&addrs, self.cnx_timeout) => connected,
            () = stopped(&mut shutdown) => return,
        };
        let Some((stream, remote)) = connected else {
            tracing::warn!(
                "Cannot open channel to {sid} at election address {}",
                join_addrs(&addrs)
            );
            return;
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "set_nodelay failed");
        }
        self.start_connection(stream, remote, sid).await;
    }

    /// Sends our handshake; keeps the connection only if our sid is the higher one.
    async fn start_connection(
        self: Arc<Self>,
        mut stream: TcpStream,
        remote: SocketAddr,
        sid: u64,
    ) {
        let handshake = self.initial_message().encode();
        match tokio::time::timeout(self.cnx_timeout, stream.write_all(&handshake)).await {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::warn!(
                    "Ignoring exception reading or writing challenge to {sid} at {remote}: {e}"
                );
                return;
            }
            Err(_) => {
                tracing::warn!("sending the initial message to {sid} at {remote} timed out");
                return;
            }
        }
        if as_java_long(sid) > as_java_long(self.my_sid) {
            tracing::info!(
                "Have smaller server identifier, so dropping the connection: (myId:{} --> sid:{sid})",
                self.my_sid
            );
            return;
        }
        tracing::debug!(
            "Have larger server identifier, so keeping the connection: (myId:{} --> sid:{sid})",
            self.my_sid
        );
        self.register(sid, stream, remote, Vec::new());
    }

    fn initial_message(&self) -> InitialMessage {
        let sid = as_java_long(self.my_sid);
        match self.advertised.first() {
            Some(first) if !self.multi_address_enabled => InitialMessage::v1(sid, first.clone()),
            _ => InitialMessage::v2(sid, self.advertised.clone()),
        }
    }

    async fn accept_loop(self: Arc<Self>, listener: TcpListener) {
        let mut shutdown = self.shutdown.clone();
        let mut backoff = Duration::from_millis(10);
        loop {
            let accepted = tokio::select! {
                accepted = listener.accept() => accepted,
                () = stopped(&mut shutdown) => break,
            };
            let (stream, remote) = match accepted {
                Ok(pair) => {
                    backoff = Duration::from_millis(10);
                    pair
                }
                Err(e) => {
                    tracing::warn!(error = %e, "election accept failed; retrying in {backoff:?}");
                    tokio::select! {
                        () = tokio::time::sleep(backoff) => {}
                        () = stopped(&mut shutdown) => break,
                    }
                    backoff = (backoff * 2).min(ACCEPT_BACKOFF_MAX);
                    continue;
                }
            };
            tracing::info!("Received connection request from {remote}");
            if let Err(e) = stream.set_nodelay(true) {
                tracing::debug!(error = %e, "set_nodelay failed");
            }
            let Ok(permit) = Arc::clone(&self.handshakes).try_acquire_owned() else {
                tracing::warn!("too many election handshakes under way; closing {remote}");
                continue;
            };
            let this = Arc::clone(&self);
            {
                let mut state = self.lock();
                self.spawn(&mut state, this.receive_connection(stream, remote, permit));
            }
        }
    }

    /// Reads the handshake of an accepted connection and applies the higher-sid rule.
    async fn receive_connection(
        self: Arc<Self>,
        mut stream: TcpStream,
        remote: SocketAddr,
        permit: OwnedSemaphorePermit,
    ) {
        let handshake = tokio::time::timeout(self.cnx_timeout, read_initial_message(&mut stream));
        let (message, leftover) = match handshake.await {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => {
                tracing::error!("Initial message parsing error from {remote}, closing: {e}");
                return;
            }
            Err(_) => {
                tracing::warn!(
                    "no initial message from {remote} within {:?}; closing",
                    self.cnx_timeout
                );
                return;
            }
        };
        drop(permit);
        tracing::debug!("Initial message parsed by {}: {message}", self.my_sid);
        let mut sid = message.sid;
        if message.is_anonymous_observer() {
            let mut state = self.lock();
            sid = state.next_observer_sid;
            state.next_observer_sid = state.next_observer_sid.saturating_sub(1);
            tracing::info!("Setting arbitrary identifier to observer: {sid}");
        }
        // Anonymous observers' negative ids are kept as two's complement.
        let sid_key = sid as u64;
        let my_sid = as_java_long(self.my_sid);
        if sid < my_sid {
            // The lower sid connected: it lost (or never had) its connection. Close ours and
            // connect back, as only connections from the higher sid survive.
            let old = self.lock().connections.remove(&sid_key);
            if let Some(old) = old {
                old.close();
            }
            drop(stream);
            tracing::debug!("Create new connection to server: {sid}");
            let addrs = Some(message.addresses).filter(|a| !a.is_empty());
            self.connect_one(sid_key, addrs);
        } else if sid == my_sid {
            tracing::error!(
                "We got a connection request from a server with our own ID ({sid}, {remote}). \
                 This should be either a configuration error, or a bug."
            );
        } else {
            self.register(sid_key, stream, remote, leftover);
        }
    }

    /// Starts the reader and writer of an established connection, replacing any other
    /// connection to `sid`. `leftover`: bytes read after the handshake.
    fn register(
        self: &Arc<Self>,
        sid: u64,
        stream: TcpStream,
        remote: SocketAddr,
        leftover: Vec<u8>,
    ) {
        let (rd, wr) = stream.into_split();
        let old = {
            let mut state = self.lock();
            if state.closing {
                return;
            }
            let generation = state.next_generation;
            state.next_generation += 1;
            let slot = Arc::clone(state.send_slots.entry(sid).or_default());
            let resend = if slot.is_empty() {
                state.last_message_sent.get(&sid).cloned()
            } else {
                None
            };
            let this = Arc::clone(self);
            let Some(writer) = self.spawn(
                &mut state,
                this.write_loop(sid, generation, wr, slot, resend),
            ) else {
                return;
            };
            let this = Arc::clone(self);
            let reader = BufReader::new(io::Cursor::new(leftover).chain(rd));
            let Some(reader) = self.spawn(&mut state, this.read_loop(sid, generation, reader))
            else {
                writer.abort();
                return;
            };
            let connection = Connection {
                generation,
                remote,
                reader,
                writer,
            };
            state.connections.insert(sid, connection)
        };
        if let Some(old) = old {
            tracing::debug!("replacing the connection to server {sid} at {}", old.remote);
            old.close();
        }
        tracing::info!("election connection to server {sid} at {remote} established");
    }

    async fn write_loop(
        self: Arc<Self>,
        sid: u64,
        generation: u64,
        mut wr: OwnedWriteHalf,
        slot: Arc<SendSlot>,
        resend: Option<Bytes>,
    ) {
        let mut shutdown = self.shutdown.clone();
        let failed = tokio::select! {
            e = self.send_messages(sid, &mut wr, &slot, resend) => Some(e),
            () = stopped(&mut shutdown) => None,
        };
        if let Some(e) = failed {
            tracing::warn!(
                "Exception when using channel: for id {sid} my id = {}: {e}",
                self.my_sid
            );
        }
        self.connection_ended(sid, generation);
    }

    /// Writes messages until the connection fails.
    async fn send_messages(
        &self,
        sid: u64,
        wr: &mut OwnedWriteHalf,
        slot: &SendSlot,
        resend: Option<Bytes>,
    ) -> io::Error {
        if let Some(payload) = resend {
            tracing::debug!("Attempting to send lastMessage to sid={sid}");
            if let Err(e) = write_frame(wr, &payload).await {
                return e;
            }
        }
        loop {
            let payload = slot.take().await;
            self.lock().last_message_sent.insert(sid, payload.clone());
            if let Err(e) = write_frame(wr, &payload).await {
                return e;
            }
        }
    }

    async fn read_loop<R: AsyncRead + Unpin>(
        self: Arc<Self>,
        sid: u64,
        generation: u64,
        mut rd: R,
    ) {
        let mut shutdown = self.shutdown.clone();
        let failed = tokio::select! {
            e = self.receive_messages(sid, &mut rd) => Some(e),
            () = stopped(&mut shutdown) => None,
        };
        if let Some(e) = failed {
            tracing::warn!(
                "Connection broken for id {sid}, my id = {}: {e}",
                self.my_sid
            );
        }
        self.connection_ended(sid, generation);
    }

    /// Reads framed messages into the receive queue until the connection fails.
    async fn receive_messages<R: AsyncRead + Unpin>(&self, sid: u64, rd: &mut R) -> io::Error {
        loop {
            let length = match rd.read_i32().await {
                Ok(length) => length,
                Err(e) => return e,
            };
            let len = match usize::try_from(length) {
                Ok(len) if (1..=self.max_message_len).contains(&len) => len,
                _ => {
                    return io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("Received packet with invalid packet: {length}"),
                    )
                }
            };
            let mut payload = Vec::with_capacity(len.min(PAYLOAD_PREALLOC_BYTES));
            match (&mut *rd).take(len as u64).read_to_end(&mut payload).await {
                Ok(n) if n == len => {}
                Ok(n) => {
                    return io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        format!("connection closed after {n} of {len} message bytes"),
                    )
                }
                Err(e) => return e,
            }
            self.received.push(sid, Bytes::from(payload));
        }
    }

    /// Forgets connection `generation` of `sid` (if still current) and stops both its tasks.
    fn connection_ended(&self, sid: u64, generation: u64) {
        let ended = {
            let mut state = self.lock();
            match state.connections.get(&sid) {
                Some(c) if c.generation == generation => state.connections.remove(&sid),
                _ => None,
            }
        };
        if let Some(connection) = ended {
            tracing::info!(
                "election connection to server {sid} at {} closed",
                connection.remote
            );
            connection.close();
        }
    }
}

/// Clears a sid's "connecting" mark when its connect task ends, however it ends.
struct Connecting {
    manager: Arc<QuorumCnxManager>,
    sid: u64,
}

impl Drop for Connecting {
    fn drop(&mut self) {
        self.manager.lock().connecting.remove(&self.sid);
    }
}

/// Locks, ignoring poisoning (the data stays consistent: no lock is held across a panic
/// point that could leave it half-updated).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// A sid as the Java long ZooKeeper compares (anonymous observers are negative).
fn as_java_long(sid: u64) -> i64 {
    sid as i64
}

fn join_addrs(addrs: &[HostPort]) -> String {
    addrs
        .iter()
        .map(HostPort::to_string)
        .collect::<Vec<_>>()
        .join("|")
}

/// Binds `addr` (resolved again on each attempt), `retries` attempts (0: until shutdown).
async fn bind_with_retry(
    addr: &HostPort,
    retries: u32,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<TcpListener, QcmError> {
    let mut attempts = 0u32;
    loop {
        attempts = attempts.saturating_add(1);
        let error = match bind_once(addr).await {
            Ok(listener) => return Ok(listener),
            Err(e) => e,
        };
        tracing::error!("Exception while listening to address {addr}: {error}");
        if retries != 0 && attempts >= retries {
            tracing::error!(
                "Leaving listener thread for address {addr} after {attempts} errors. Use \
                 zookeeper.electionPortBindRetry property to increase retry count."
            );
            return Err(QcmError::Bind {
                addr: addr.to_string(),
                attempts,
                source: error,
            });
        }
        tokio::select! {
            () = tokio::time::sleep(BIND_RETRY_PAUSE) => {}
            () = stopped(shutdown) => return Err(QcmError::Shutdown),
        }
    }
}

async fn bind_once(addr: &HostPort) -> io::Result<TcpListener> {
    let resolved = tokio::net::lookup_host((addr.host.as_str(), addr.port))
        .await?
        .next()
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))?;
    let socket = if resolved.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(resolved)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Resolves each address in turn and connects to the first that accepts within
/// `timeout` per attempt.
async fn connect_any(addrs: &[HostPort], timeout: Duration) -> Option<(TcpStream, SocketAddr)> {
    for addr in addrs {
        let lookup = tokio::net::lookup_host((addr.host.as_str(), addr.port));
        let resolved: Vec<SocketAddr> = match tokio::time::timeout(timeout, lookup).await {
            Ok(Ok(resolved)) => resolved.collect(),
            Ok(Err(e)) => {
                tracing::warn!("Cannot resolve election address {addr}: {e}");
                continue;
            }
            Err(_) => {
                tracing::warn!("Resolving election address {addr} timed out");
                continue;
            }
        };
        for socket_addr in resolved {
            match tokio::time::timeout(timeout, TcpStream::connect(socket_addr)).await {
                Ok(Ok(stream)) => return Some((stream, socket_addr)),
                Ok(Err(e)) => tracing::debug!("Cannot connect to {addr} ({socket_addr}): {e}"),
                Err(_) => tracing::debug!("Connecting to {addr} ({socket_addr}) timed out"),
            }
        }
    }
    None
}

/// Reads an [`InitialMessage`]; returns it with the bytes read past it.
async fn read_initial_message(stream: &mut TcpStream) -> io::Result<(InitialMessage, Vec<u8>)> {
    let mut buf = Vec::with_capacity(256);
    let mut chunk = [0u8; 512];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "connection closed after {} bytes of the initial message",
                    buf.len()
                ),
            ));
        }
        buf.extend_from_slice(&chunk[..n]);
        match InitialMessage::decode(&buf) {
            Ok(Some((message, consumed))) => return Ok((message, buf.split_off(consumed))),
            Ok(None) if buf.len() <= MAX_ENCODED_LEN_BYTES => {}
            Ok(None) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "initial message longer than its limit",
                ))
            }
            Err(e) => return Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }
}

async fn write_frame(wr: &mut OwnedWriteHalf, payload: &[u8]) -> io::Result<()> {
    let length = i32::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "message too long"))?;
    let mut frame = Vec::with_capacity(4 + payload.len());
    frame.extend_from_slice(&length.to_be_bytes());
    frame.extend_from_slice(payload);
    wr.write_all(&frame).await
}
