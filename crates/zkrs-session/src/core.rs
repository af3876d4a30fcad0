//! [`ServerCore`]: a ZooKeeper server (standalone, or one member of a quorum) as a value you
//! step. This file is the client front end: connections, the handshake, request intake and the
//! per-connection reply order.
//!
//! The request pipeline mirrors ZooKeeper's processors:
//!
//! 1. **Prep** (`PrepRequestProcessor`, `crate::prep`): a write is validated against the tree
//!    and the change records of txns prepared before it, gets the next zxid and becomes a txn
//!    (an `ErrorTxn` when a check fails). The txn leaves as [`Output::Persist`]. A leader also
//!    prepares the writes learners forward (`crate::learner_requests`); a learner prepares
//!    nothing and forwards its clients' writes instead (`crate::learner_front`).
//! 2. **Commit**: the driver makes it durable (standalone) or has a quorum acknowledge it
//!    (leader) and calls [`ServerCore::handle_committed`]; a learner gets the leader's committed
//!    txns through `handle_committed_txn`.
//! 3. **Apply** (`crate::apply`) and **Final** (`FinalRequestProcessor`, `crate::final_proc`):
//!    the txn is applied to the [`DataTree`], fired watches become notifications (sent first),
//!    then the reply goes to the requester.
//!
//! Replies on a connection leave in request order: a read that arrives while writes of the same
//! connection are pending (prepared here or forwarded to the leader) waits behind them
//! (`CommitProcessor`).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::SocketAddr;

use bytes::{BufMut, Bytes, BytesMut};
use zkrs_datatree::{DataTree, TreeConfig, WatchModel};
use zkrs_jute::{
    AuthPacket, ConnectRequest, ConnectResponse, ErrorCode, GetSaslRequest, Id, Jute, OpCode,
    ReplyHeader, Request, RequestDecodeError, RequestHeader, SetSaslResponse, TxnEntry, TxnHeader,
};

use crate::auth::digest::generate_digest;
use crate::auth::ip::java_host_address;
use crate::clock::Clock;
use crate::config::CoreConfig;
use crate::connection::{ConnState, Connection, Held, Queued};
use crate::core_role::{init_quorum_config_node, new_session_tracker, CoreRole};
use crate::learner_front::LearnerFront;
use crate::learner_requests::LearnerSyncs;
use crate::notice::{Notice, NOTICE_LIMIT};
use crate::output::Output;
use crate::outstanding::OutstandingChanges;
use crate::password::{check_passwd, generate_passwd, PASSWORD_LEN};
use crate::prep::{Prep, PreparedTxn, WriteOp};
use crate::read_only::ReadOnlyMode;
use crate::session_tracker::{SessionOwner, SessionTracker};
use crate::stats::ServerStats;

/// Identifies one client connection; chosen by the driver, never reused while open.
pub type ConnId = u64;

/// The watch-table rules of the server zkrs emulates: ZooKeeper 3.8 keeps one mode per
/// connection and path (a getData watch replaces an addWatch on the same path), puts recursive
/// watches in both tables, and answers checkWatches/removeWatches by table (see
/// [`WatchModel::Single`]). The rest of the session layer follows 3.8 too (notification zxid -1,
/// watcher types 1–3 only).
pub const WATCH_MODEL: WatchModel = WatchModel::Single;

/// `DataTree.DIGEST_LOG_INTERVAL`: a digest is kept for every zxid divisible by this.
pub const DIGEST_LOG_INTERVAL: i64 = 128;
/// `DataTree.DIGEST_LOG_LIMIT`: how many are kept.
pub const DIGEST_LOG_LIMIT: usize = 1024;

/// One entry of the digest history the `hash` command prints (`DataTree.ZxidDigest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZxidDigest {
    pub zxid: i64,
    pub digest_version: i32,
    pub digest: i64,
}

/// Who is waiting for a txn.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Origin {
    /// A client write: reply to `conn` (if still open) with `xid`.
    Client {
        conn: ConnId,
        xid: i32,
        op: OpCode,
        recv_mono: u64,
    },
    /// createSession for a new connection: the ConnectResponse goes out when it is applied.
    CreateSession { conn: ConnId, recv_mono: u64 },
    /// closeSession submitted by the session tracker: closes the session's connection.
    Expiry,
    /// deleteContainer submitted by the container manager: no reply.
    Container,
    /// Leader: a request a learner forwarded (`op` is its type); the learner replies.
    Learner { op: OpCode },
    /// Learner: a txn the leader committed that no local request waits for.
    Remote,
}

/// A txn handed to the driver and not applied yet.
#[derive(Debug, Clone)]
pub(crate) struct InFlight {
    pub entry: TxnEntry,
    pub origin: Origin,
}

/// The sans-IO server: standalone, or a quorum member in the role [`CoreRole`] says.
#[derive(Debug)]
pub struct ServerCore {
    pub(crate) config: CoreConfig,
    pub(crate) role: CoreRole,
    /// Whether clients are served (a quorum member serves once it is synced with the leader).
    pub(crate) serving: bool,
    /// Read-only mode (`crate::read_only`): a looking quorum member serving read-only clients.
    pub(crate) read_only: ReadOnlyMode,
    /// Learners: forwarded requests, syncs, revalidations and session touches.
    pub(crate) learner: LearnerFront,
    /// Leader: the syncs learners forwarded, waiting for earlier txns to commit.
    pub(crate) learner_syncs: LearnerSyncs,
    /// The leader's view of the ensemble for reconfig checks (set while leading).
    pub(crate) quorum_view: Option<crate::quorum_view::QuorumView>,
    pub(crate) tree: DataTree,
    pub(crate) sessions: SessionTracker,
    pub(crate) connections: BTreeMap<ConnId, Connection>,
    /// `NIOServerCnxnFactory.sessionMap`: the connection currently bound to each session.
    pub(crate) session_conns: HashMap<i64, ConnId>,
    pub(crate) outputs: VecDeque<Output>,
    /// Session events for the driver's log (bounded, `crate::notice`).
    pub(crate) notices: VecDeque<Notice>,
    /// `hzxid`: the last zxid handed out.
    pub(crate) hzxid: i64,
    pub(crate) outstanding: OutstandingChanges,
    pub(crate) in_flight: VecDeque<InFlight>,
    pub(crate) stats: ServerStats,
    pub(crate) digest_log: VecDeque<ZxidDigest>,
    pub(crate) next_container_check: u64,
    pub(crate) start_mono: u64,
    /// Where outgoing frames are encoded. Each frame is split off as a `Bytes` that shares
    /// this buffer's allocation, so a reply costs no allocation of its own; once the driver has
    /// dropped every frame of a block (it copies them into per-connection buffers), `reserve`
    /// reuses the block. Before, a reply took four allocations and three copies (header
    /// `to_bytes`, payload `extend`, `frame`, `Bytes::from`).
    pub(crate) out_arena: BytesMut,
}

/// The size of `ServerCore::out_arena`'s blocks.
const OUT_ARENA_BLOCK: usize = 16 * 1024;

impl ServerCore {
    /// A server with an empty data tree (`/zookeeper/config` as in [`ServerCore::from_state`]).
    pub fn new(config: CoreConfig, now: Clock) -> Self {
        let tree = DataTree::with_config(TreeConfig {
            extended_types_enabled: config.extended_types_enabled,
            digest_enabled: config.digest_enabled,
            watch_model: WATCH_MODEL,
        });
        Self::from_state(config, tree, std::iter::empty(), now)
    }

    /// A server over an existing tree (restored from a snapshot and txn log) and the sessions
    /// that were live in it (`sessionsWithTimeout`), which are tracked afresh from `now`. New
    /// zxids continue after `tree.last_processed_zxid()`. The tree's watch tables are reset to
    /// [`WATCH_MODEL`] (watches belong to connections, so a restored tree has none).
    ///
    /// A quorum member (a non-empty [`CoreConfig::quorum_config`]) writes its own
    /// configuration into `/zookeeper/config` as `QuorumPeerMain` does before serving
    /// (`QuorumPeer.initConfigInZKDatabase`; see `init_quorum_config_node`).
    pub fn from_state(
        config: CoreConfig,
        mut tree: DataTree,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        now: Clock,
    ) -> Self {
        if tree.config().watch_model != WATCH_MODEL {
            tree.set_watch_model(WATCH_MODEL);
        }
        if !config.quorum_config.is_empty() {
            init_quorum_config_node(&mut tree, &config.quorum_config, now);
        }
        let tracker = new_session_tracker(&config, CoreRole::Standalone, sessions, now);
        let next_container_check = if config.container_check_interval_ms > 0 {
            now.mono_ms
                .saturating_add(config.container_check_interval_ms)
        } else {
            u64::MAX
        };
        ServerCore {
            hzxid: tree.last_processed_zxid(),
            config,
            role: CoreRole::Standalone,
            serving: true,
            read_only: ReadOnlyMode::Off,
            learner: LearnerFront::default(),
            learner_syncs: LearnerSyncs::default(),
            quorum_view: None,
            tree,
            sessions: tracker,
            connections: BTreeMap::new(),
            session_conns: HashMap::new(),
            outputs: VecDeque::new(),
            notices: VecDeque::new(),
            out_arena: BytesMut::with_capacity(OUT_ARENA_BLOCK),
            outstanding: OutstandingChanges::new(),
            in_flight: VecDeque::new(),
            stats: ServerStats::default(),
            digest_log: VecDeque::new(),
            next_container_check,
            start_mono: now.mono_ms,
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    /// The zxid of the last applied txn (`Zxid:` in srvr).
    pub fn last_processed_zxid(&self) -> i64 {
        self.tree.last_processed_zxid()
    }

    // ------------------------------------------------------------------------------------------
    // Inputs.

    /// A new TCP connection was accepted from `remote`. It gets the identity `ip:<address>`.
    pub fn handle_connection_opened(&mut self, conn: ConnId, remote: SocketAddr) {
        let ip = Id::new("ip", java_host_address(remote.ip()));
        self.connections
            .insert(conn, Connection::new(remote, ip, 0));
    }

    /// The connection is gone (EOF, error, or after an `Output::Close`). Its watches are
    /// dropped; its session lives on until it expires or is closed.
    pub fn handle_connection_closed(&mut self, conn: ConnId) {
        if let Some(c) = self.connections.remove(&conn) {
            self.tree.remove_watcher(conn);
            if c.session_id != 0 && self.session_conns.get(&c.session_id) == Some(&conn) {
                self.session_conns.remove(&c.session_id);
            }
        }
    }

    /// The first frame of a connection (`processConnectRequest`).
    ///
    /// - `lastZxidSeen` ahead of this server: closed without a reply.
    /// - session 0: a new session; its createSession txn is persisted and the ConnectResponse
    ///   is sent when it is applied. Requests that arrive meanwhile are held.
    /// - otherwise a reconnect: any other connection of that session is closed, then the
    ///   password and the session are checked; failure answers `(0, 0, 0, 16 zero bytes)` and
    ///   closes.
    /// - in read-only mode, `ReadOnlyZooKeeperServer`'s rules instead (`crate::read_only`).
    pub fn handle_connect(&mut self, conn: ConnId, req: ConnectRequest, now: Clock) {
        if self.read_only == ReadOnlyMode::Running {
            return self.read_only_connect(conn, req, now);
        }
        let last = self.tree.last_processed_zxid();
        let (min, max) = (
            self.config.min_session_timeout_ms as i32,
            self.config.max_session_timeout_ms as i32,
        );
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if c.state != ConnState::AwaitingConnect || c.closing {
            return;
        }
        if !self.serving {
            // "ZooKeeperServer not running": the connection is closed without a reply.
            self.close_conn(conn);
            return;
        }
        c.stats.packets_received += 1;
        self.stats.packets_received += 1;
        c.established_wall_ms = now.wall_ms;
        c.old_client = req.read_only.is_none();
        if req.last_zxid_seen > last {
            self.close_conn(conn);
            return;
        }
        let mut timeout = req.time_out;
        if timeout < min {
            timeout = min;
        }
        if timeout > max {
            timeout = max;
        }
        c.timeout_ms = timeout;
        if req.session_id == 0 && self.sessions.local_sessions_enabled() {
            // `LocalSessionTracker.createSession`: no txn, answered at once.
            let id = self.sessions.create_local_session(timeout, now.mono_ms);
            c.session_id = id;
            let last = self.tree.last_processed_zxid();
            c.stats
                .update_for_response(0, last, "SESS", now.mono_ms, now.mono_ms);
            self.stats.latency.add(0);
            self.session_conns.insert(id, conn);
            self.finish_session_init(conn, true, now);
        } else if req.session_id == 0 && self.role.is_learner() {
            self.forward_create_session(conn, timeout, now);
        } else if req.session_id == 0 {
            let id = self.sessions.create_session(timeout, now.mono_ms);
            c.session_id = id;
            c.state = ConnState::CreatingSession;
            self.session_conns.insert(id, conn);
            self.submit_server_write(
                Origin::CreateSession {
                    conn,
                    recv_mono: now.mono_ms,
                },
                id,
                OpCode::CreateSession,
                WriteOp::CreateSession { timeout },
                now,
            );
        } else {
            let id = req.session_id;
            c.session_id = id;
            self.stats.connection_revalidates += 1;
            if let Some(&old) = self.session_conns.get(&id) {
                if old != conn {
                    self.close_conn(old);
                }
            }
            self.session_conns.insert(id, conn);
            if self.sessions.is_local(id) {
                // This member's own local session: no one else knows it.
                let valid = check_passwd(id, &req.passwd)
                    && self.sessions.touch_session(id, timeout, now.mono_ms);
                self.finish_session_init(conn, valid, now);
                return;
            }
            if self.role.is_learner() && check_passwd(id, &req.passwd) {
                self.forward_revalidate(conn, id, timeout);
                return;
            }
            let valid = check_passwd(id, &req.passwd)
                && self.sessions.touch_session(id, timeout, now.mono_ms);
            if valid && self.role == CoreRole::Leader {
                // The leader's own client: the session is owned here again.
                let _ = self.sessions.set_owner(id, SessionOwner::Local);
            }
            self.finish_session_init(conn, valid, now);
        }
    }

    /// A request frame after the connect.
    pub fn handle_request(
        &mut self,
        conn: ConnId,
        header: RequestHeader,
        request: Result<Request, RequestDecodeError>,
        now: Clock,
    ) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if c.closing || c.input_closed || !self.serving {
            return;
        }
        c.stats.packets_received += 1;
        self.stats.packets_received += 1;
        match c.state {
            ConnState::AwaitingConnect => {}
            ConnState::CreatingSession | ConnState::Revalidating => {
                c.held.push_back(Held { header, request })
            }
            ConnState::Established => self.process_request(conn, header, request, now),
        }
    }

    /// Time passes: session expiry and the container/TTL reaper run from here. On a learner
    /// only its local sessions expire (the leader expires global sessions and reaps
    /// containers). Read-only mode starts from here when it is due, and while it runs only
    /// local sessions expire (`crate::read_only`).
    pub fn handle_tick(&mut self, now: Clock) {
        if self.read_only_tick(now) {
            return;
        }
        for id in self.sessions.expire_due(now.mono_ms) {
            if self.sessions.is_local(id) || !self.role.is_learner() {
                self.stats.stale_sessions_expired += 1;
            }
            if self.sessions.is_local(id) {
                // A local session expires here, without a txn (on a learner, only local
                // sessions are scheduled).
                self.notice_expired(id);
                self.sessions.remove_session(id);
                self.close_session_conn(id);
                continue;
            }
            if self.role.is_learner() {
                continue;
            }
            self.notice_expired(id);
            self.submit_server_write(
                Origin::Expiry,
                id,
                OpCode::CloseSession,
                WriteOp::CloseSession,
                now,
            );
        }
        if self.role.is_learner() {
            return;
        }
        if now.mono_ms >= self.next_container_check {
            let interval = self.config.container_check_interval_ms;
            let next = self.next_container_check.saturating_add(interval);
            self.next_container_check = if next > now.mono_ms {
                next
            } else {
                now.mono_ms.saturating_add(interval)
            };
            self.check_containers(now);
        }
    }

    /// Every `Output::Persist` up to and including `zxid` is durable (standalone) or committed
    /// by a quorum (ZAB, later). The txns are applied in zxid order; each one's notifications
    /// are emitted before its reply.
    pub fn handle_committed(&mut self, zxid: i64, now: Clock) {
        while self
            .in_flight
            .front()
            .is_some_and(|f| f.entry.header.zxid <= zxid)
        {
            if let Some(f) = self.in_flight.pop_front() {
                let zxid = f.entry.header.zxid;
                self.apply(f, now);
                self.release_learner_syncs(zxid);
            }
        }
    }

    /// The next session event to log (`crate::notice`).
    pub fn poll_notice(&mut self) -> Option<Notice> {
        self.notices.pop_front()
    }

    /// Queues `n` unless [`NOTICE_LIMIT`] are waiting.
    pub(crate) fn notice(&mut self, n: Notice) {
        if self.notices.len() < NOTICE_LIMIT {
            self.notices.push_back(n);
        }
    }

    /// Queues the expiry of session `id` (before it is removed).
    pub(crate) fn notice_expired(&mut self, id: i64) {
        let timeout_ms = self.sessions.get(id).map_or(0, |s| s.timeout_ms);
        self.notice(Notice::SessionExpired {
            session_id: id,
            timeout_ms,
        });
    }

    /// The next action for the driver.
    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }

    /// The next monotonic time at which `handle_tick` has work to do (on a learner, only
    /// while it has local sessions; the start of an armed read-only mode).
    pub fn poll_timeout(&self) -> Option<u64> {
        let t = if self.role.is_learner() {
            // Only local sessions expire on a learner.
            (self.sessions.local_len() > 0).then(|| self.sessions.next_expiration_time())
        } else {
            Some(
                self.sessions
                    .next_expiration_time()
                    .min(self.next_container_check),
            )
        };
        self.read_only_timeout(t)
    }

    // ------------------------------------------------------------------------------------------
    // Connection helpers.

    /// Queues a frame (the length prefix is added here) unless the connection is gone or
    /// closing.
    pub(crate) fn send(&mut self, conn: ConnId, payload: &[u8]) {
        self.send_with(conn, |out| out.extend_from_slice(payload));
    }

    /// Queues a frame whose payload `encode` appends (the length prefix is added here), unless
    /// the connection is gone or closing. The payload is encoded straight into `out_arena`.
    pub(crate) fn send_with(&mut self, conn: ConnId, encode: impl FnOnce(&mut BytesMut)) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if c.closing {
            return;
        }
        c.stats.packets_sent += 1;
        self.stats.packets_sent += 1;
        let out = &mut self.out_arena;
        // Reuses the block when every frame split from it is gone, else starts a new one.
        out.reserve(OUT_ARENA_BLOCK / 4);
        out.put_i32(0);
        encode(out);
        let len = (out.len() - 4) as i32;
        out[..4].copy_from_slice(&len.to_be_bytes());
        self.outputs.push_back(Output::Send {
            conn,
            frame: out.split().freeze(),
        });
    }

    /// Sends `ReplyHeader` + optional body.
    pub(crate) fn send_reply(&mut self, conn: ConnId, header: ReplyHeader, body: Option<Vec<u8>>) {
        self.send_with(conn, |out| {
            header.write_to(out);
            if let Some(b) = body {
                out.extend_from_slice(&b);
            }
        });
    }

    /// Closes a connection: `Output::Close` after what was already queued, watches dropped,
    /// nothing more sent.
    pub(crate) fn close_conn(&mut self, conn: ConnId) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if c.closing {
            return;
        }
        c.closing = true;
        c.queue.clear();
        c.held.clear();
        let sid = c.session_id;
        self.outputs.push_back(Output::Close { conn });
        self.tree.remove_watcher(conn);
        if sid != 0 && self.session_conns.get(&sid) == Some(&conn) {
            self.session_conns.remove(&sid);
        }
    }

    /// `finishSessionInit`: the ConnectResponse; an invalid session gets zeros and is closed.
    /// A valid one is established and any held requests are handled now, in order.
    pub(crate) fn finish_session_init(&mut self, conn: ConnId, valid: bool, now: Clock) {
        let Some(c) = self.connections.get(&conn) else {
            return;
        };
        let resp = ConnectResponse {
            protocol_version: 0,
            time_out: if valid { c.timeout_ms } else { 0 },
            session_id: if valid { c.session_id } else { 0 },
            passwd: if valid {
                Bytes::copy_from_slice(&generate_passwd(c.session_id))
            } else {
                Bytes::from(vec![0u8; PASSWORD_LEN])
            },
            read_only: if c.old_client {
                None
            } else {
                Some(self.read_only == ReadOnlyMode::Running)
            },
        };
        let (session_id, timeout_ms) = (c.session_id, c.timeout_ms);
        self.send_with(conn, |out| resp.write_to(out));
        if !valid {
            self.notice(Notice::SessionInvalid { conn, session_id });
            self.close_conn(conn);
            return;
        }
        self.notice(Notice::SessionEstablished {
            conn,
            session_id,
            timeout_ms,
        });
        if let Some(c) = self.connections.get_mut(&conn) {
            c.state = ConnState::Established;
        }
        loop {
            let Some(c) = self.connections.get_mut(&conn) else {
                return;
            };
            if c.closing || c.input_closed || c.state != ConnState::Established {
                return;
            }
            let Some(h) = c.held.pop_front() else {
                return;
            };
            self.process_request(conn, h.header, h.request, now);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Request intake (ZooKeeperServer.processPacket / submitRequestNow).

    fn process_request(
        &mut self,
        conn: ConnId,
        header: RequestHeader,
        request: Result<Request, RequestDecodeError>,
        now: Clock,
    ) {
        // auth and sasl are answered by processPacket itself, without touching the session.
        match &request {
            Ok(Request::Auth(p)) => {
                let p = p.clone();
                self.process_auth(conn, header.xid, &p, now);
                return;
            }
            Ok(Request::Sasl(r)) => {
                let r = r.clone();
                self.process_sasl(conn, header.xid, &r, now);
                return;
            }
            Err(RequestDecodeError::Malformed { op, .. })
                if *op == OpCode::Auth.code() || *op == OpCode::Sasl.code() =>
            {
                // The IOException escapes processPacket: the connection is closed.
                self.close_conn(conn);
                return;
            }
            _ => {}
        }
        let Some(c) = self.connections.get(&conn) else {
            return;
        };
        self.stats.prep_requests_queued += 1;
        let (sid, timeout) = (c.session_id, c.timeout_ms);
        let local = self.sessions.is_local(sid);
        if local {
            if !self.sessions.touch_session(sid, timeout, now.mono_ms) {
                return;
            }
        } else if self.role.is_learner() {
            // LearnerSessionTracker.touchSession: always accepted, reported in the next ping.
            self.learner.touch(sid, timeout);
        } else if !self.sessions.touch_session(sid, timeout, now.mono_ms) {
            // MissingSessionException: the request is dropped without a reply.
            return;
        }
        let op = match (&request, OpCode::from_i32(header.r#type)) {
            (Err(RequestDecodeError::UnknownOpcode(_)), _) | (_, None) => {
                // UnimplementedRequestProcessor: (xid, -1, UNIMPLEMENTED) at once, then close.
                self.send_reply(
                    conn,
                    ReplyHeader {
                        xid: header.xid,
                        zxid: -1,
                        err: ErrorCode::Unimplemented.code(),
                    },
                    None,
                );
                self.close_conn(conn);
                return;
            }
            (_, Some(op)) => op,
        };
        if self.read_only == ReadOnlyMode::Running {
            return self.read_only_request(conn, header, op, request, now);
        }
        let mut forced_err = None;
        if local {
            if op == OpCode::CloseSession {
                // A local session is closed here, without a txn, in its connection's order.
                let Some(c) = self.connections.get_mut(&conn) else {
                    return;
                };
                let auth = c.auth.shared_ids();
                c.queue.push_back(Queued::Read {
                    header,
                    request,
                    recv_mono: now.mono_ms,
                    auth,
                });
                self.drain(conn, now);
                return;
            }
            if creates_ephemeral(&request) {
                if self.config.local_sessions_upgrading_enabled {
                    self.upgrade_local_session(sid, now);
                } else if self.role.is_learner() && op != OpCode::Multi {
                    // `checkUpgradeSession` throws: the request still goes to the leader
                    // (whose ErrorTxn takes a zxid), and this member answers with the error.
                    forced_err = Some(ErrorCode::EphemeralOnLocalSession);
                }
            }
        }
        // A leader's own clients' syncs wait for the ZAB engine too (`Output::Forward`, answered
        // by `handle_sync_answered`): it answers them after a quorum round.
        let engine_sync = op == OpCode::Sync && self.role == CoreRole::Leader;
        if engine_sync
            || (self.role.is_learner() && (is_txn_op(op, &request) || op == OpCode::Sync))
        {
            self.forward_request(conn, header, op, request, forced_err, now);
        } else if is_txn_op(op, &request) {
            self.submit_client_write(conn, header, op, &request, now);
        } else {
            let Some(c) = self.connections.get_mut(&conn) else {
                return;
            };
            let auth = c.auth.shared_ids();
            c.queue.push_back(Queued::Read {
                header,
                request,
                recv_mono: now.mono_ms,
                auth,
            });
            self.drain(conn, now);
        }
    }

    /// `auth` (100): the provider adds identities at once; the reply (zxid 0) keeps its place
    /// in the connection's order. An unknown scheme answers AUTHFAILED and closes.
    fn process_auth(&mut self, conn: ConnId, xid: i32, p: &AuthPacket, now: Clock) {
        let super_digest = self.config.super_digest.clone();
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        let ok = match p.scheme.as_str() {
            "digest" => {
                let id = String::from_utf8_lossy(&p.auth).into_owned();
                let digest = generate_digest(&id);
                if super_digest.as_deref() == Some(digest.as_str()) {
                    c.auth.add(Id::new("super", ""));
                }
                c.auth.add(Id::new("digest", digest));
                true
            }
            "ip" => {
                c.auth.add(Id::new("ip", java_host_address(c.remote.ip())));
                true
            }
            _ => false,
        };
        let header = ReplyHeader {
            xid,
            zxid: 0,
            err: if ok { 0 } else { ErrorCode::AuthFailed.code() },
        };
        if !ok {
            c.input_closed = true;
        }
        c.queue.push_back(Queued::Ready {
            frame: Bytes::from(header.to_bytes()),
            close: !ok,
        });
        self.drain(conn, now);
    }

    /// `sasl` (102) on a server without SASL configured: the connection has no SASL server, so
    /// the token is never evaluated and the reply is `(xid, 0, 0)` + `SetSASLResponse(null)`.
    /// A null token makes ZooKeeper fail before that, closing the connection.
    fn process_sasl(&mut self, conn: ConnId, xid: i32, r: &GetSaslRequest, now: Clock) {
        if r.token.is_none() {
            self.close_conn(conn);
            return;
        }
        let mut payload = ReplyHeader {
            xid,
            zxid: 0,
            err: 0,
        }
        .to_bytes();
        payload.extend_from_slice(&SetSaslResponse { token: None }.to_bytes());
        if let Some(c) = self.connections.get_mut(&conn) {
            c.queue.push_back(Queued::Ready {
                frame: Bytes::from(payload),
                close: false,
            });
        }
        self.drain(conn, now);
    }

    /// Answers queued entries from the head until a pending write is reached.
    pub(crate) fn drain(&mut self, conn: ConnId, now: Clock) {
        loop {
            let Some(c) = self.connections.get_mut(&conn) else {
                return;
            };
            if c.closing {
                return;
            }
            match c.queue.front() {
                None | Some(Queued::Write { .. } | Queued::Forwarded { .. }) => return,
                Some(Queued::Ready { .. }) => {
                    if let Some(Queued::Ready { frame, close }) = c.queue.pop_front() {
                        self.send(conn, &frame);
                        if close {
                            self.close_conn(conn);
                            return;
                        }
                    }
                }
                Some(Queued::Read { .. }) => {
                    if let Some(Queued::Read {
                        header,
                        request,
                        recv_mono,
                        auth,
                    }) = c.queue.pop_front()
                    {
                        self.process_read(conn, header, request, recv_mono, &auth, now);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Writes.

    pub(crate) fn next_zxid(&mut self) -> i64 {
        self.hzxid += 1;
        self.hzxid
    }

    pub(crate) fn persist(
        &mut self,
        session_id: i64,
        cxid: i32,
        zxid: i64,
        now: Clock,
        p: PreparedTxn,
        origin: Origin,
    ) {
        let entry = TxnEntry {
            header: TxnHeader {
                client_id: session_id,
                cxid,
                zxid,
                time: now.wall_ms,
                r#type: p.r#type,
            },
            body: p.body,
            digest: p.digest,
        };
        self.outputs.push_back(Output::Persist {
            entry: entry.clone(),
        });
        self.in_flight.push_back(InFlight { entry, origin });
    }

    /// A write from a client: prepared now, answered when applied.
    fn submit_client_write(
        &mut self,
        conn: ConnId,
        header: RequestHeader,
        op: OpCode,
        request: &Result<Request, RequestDecodeError>,
        now: Clock,
    ) {
        let Some(c) = self.connections.get(&conn) else {
            return;
        };
        let sid = c.session_id;
        // `next_zxid` without the method call, so `c` (and its identities, borrowed rather
        // than cloned for prep) stays borrowed.
        self.hzxid += 1;
        let zxid = self.hzxid;
        let prepared = Prep::new(
            &self.tree,
            &mut self.outstanding,
            &mut self.sessions,
            &self.config,
            c.auth.as_slice(),
            SessionOwner::Local,
            sid,
            zxid,
            now.wall_ms,
        )
        .with_quorum(self.quorum_view.as_ref())
        .request(op, request);
        self.persist(
            sid,
            header.xid,
            zxid,
            now,
            prepared,
            Origin::Client {
                conn,
                xid: header.xid,
                op,
                recv_mono: now.mono_ms,
            },
        );
        if let Some(c) = self.connections.get_mut(&conn) {
            c.queue.push_back(Queued::Write { zxid });
        }
    }

    /// A write the server issues itself (createSession, closeSession on expiry,
    /// deleteContainer): cxid 0 and no identities.
    pub(crate) fn submit_server_write(
        &mut self,
        origin: Origin,
        session_id: i64,
        op: OpCode,
        wop: WriteOp<'_>,
        now: Clock,
    ) {
        let zxid = self.next_zxid();
        let prepared = Prep::new(
            &self.tree,
            &mut self.outstanding,
            &mut self.sessions,
            &self.config,
            &[],
            SessionOwner::Local,
            session_id,
            zxid,
            now.wall_ms,
        )
        .single(op, Ok(wop));
        self.persist(session_id, 0, zxid, now, prepared, origin);
    }
}

/// `checkUpgradeSession`'s test: a create (create, create2) in an ephemeral mode, or a multi
/// with one among its ops.
pub(crate) fn creates_ephemeral(request: &Result<Request, RequestDecodeError>) -> bool {
    fn ephemeral(flags: i32) -> bool {
        zkrs_jute::CreateMode::from_flag(flags).is_some_and(|m| m.is_ephemeral())
    }
    match request {
        Ok(Request::Create(r)) | Ok(Request::Create2(r)) => ephemeral(r.flags),
        Ok(Request::Multi(m)) => m.ops.iter().any(|op| match op {
            zkrs_jute::MultiOp::Create(r) | zkrs_jute::MultiOp::Create2(r) => ephemeral(r.flags),
            _ => false,
        }),
        _ => false,
    }
}

/// Ops that go through prep as txns. A reconfig whose body cannot be decoded fails before its
/// txn header is set, so it is answered like a read (MARSHALLINGERROR, no zxid).
pub(crate) fn is_txn_op(op: OpCode, request: &Result<Request, RequestDecodeError>) -> bool {
    match op {
        OpCode::Reconfig => request.is_ok(),
        // A client-sent createSession after the handshake is refused before prep.
        OpCode::CreateSession => false,
        _ => op.is_write(),
    }
}
