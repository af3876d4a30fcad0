//! Read-only mode (`readonlymode.enabled`): a quorum member cut off from its quorum serves
//! the clients that allow it from its own tree, as ZooKeeper 3.8's `ReadOnlyZooKeeperServer`
//! (with `ReadOnlyRequestProcessor` in front of prep and final) does.
//!
//! The driver arms the mode when the member starts looking ([`ServerCore::arm_read_only`],
//! with Java's grace period of `max(2000, tickTime)` ms); it starts at that time unless the
//! member has taken a role meanwhile ([`ServerCore::set_role`] disarms it), and stops, closing
//! every client connection, when the member takes a role. While it runs:
//!
//! - a ConnectRequest without `readOnly=1` (or without the byte: an old client) is closed
//!   with no reply (`NOT_READ_ONLY_CLIENT`); the ConnectResponse carries `readOnly=1`;
//! - a new session is a local session when `localSessionsEnabled`; without local sessions
//!   the global createSession is refused as any write is: the client gets a 16-byte
//!   `ReplyHeader(0, lastZxid, NOTREADONLY)` in place of a ConnectResponse and the
//!   connection stays open but unread (Java disables reads until the session exists);
//! - a reconnect of a global session is closed with no reply
//!   (`RENEW_GLOBAL_SESSION_IN_RO_MODE`); of a local session of this mode, touched; of any
//!   other session, answered as expired (zeros, `readOnly=1`) and closed;
//! - writes (see [`refused_in_read_only_mode`]) and `sync` are answered
//!   `(xid, lastZxid, NOTREADONLY)`; everything else is served from the tree as usual;
//! - local sessions expire here without a txn; global sessions never expire and containers
//!   are not reaped (nothing is written).

use bytes::Bytes;
use zkrs_jute::{ConnectRequest, ErrorCode, OpCode, ReplyHeader, Request, RequestDecodeError};
use zkrs_jute::{Jute, RequestHeader};

use crate::clock::Clock;
use crate::connection::{ConnState, Queued};
use crate::core::{ConnId, ServerCore};
use crate::password::check_passwd;
use crate::session_tracker::SessionTracker;

/// The read-only mode of a [`ServerCore`]: off, armed (starts at a time), or running.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReadOnlyMode {
    #[default]
    Off,
    /// Starts at this monotonic time (the end of the grace period) unless disarmed first.
    Armed { at_mono_ms: u64 },
    /// Serving read-only clients.
    Running,
}

/// `ReadOnlyRequestProcessor`'s list: the ops answered NOTREADONLY in read-only mode, whatever
/// their body. (createSession and closeSession of a global session are refused too; a local
/// session's are not.)
pub fn refused_in_read_only_mode(op: OpCode) -> bool {
    matches!(
        op,
        OpCode::Sync
            | OpCode::Create
            | OpCode::Create2
            | OpCode::CreateTtl
            | OpCode::CreateContainer
            | OpCode::Delete
            | OpCode::DeleteContainer
            | OpCode::SetData
            | OpCode::Reconfig
            | OpCode::SetAcl
            | OpCode::Multi
            | OpCode::Check
    )
}

impl ServerCore {
    /// Read-only mode starts at `at_mono_ms` (a later [`ServerCore::handle_tick`]) unless the
    /// member takes a role first. The caller arms it when the member starts looking.
    pub fn arm_read_only(&mut self, at_mono_ms: u64) {
        if self.read_only != ReadOnlyMode::Running {
            self.read_only = ReadOnlyMode::Armed { at_mono_ms };
        }
    }

    /// Whether read-only mode is running (`isro` says `ro`, `srvr` says `Mode: read-only`).
    pub fn is_read_only(&self) -> bool {
        self.read_only == ReadOnlyMode::Running
    }

    /// The read-only mode's state.
    pub fn read_only_mode(&self) -> ReadOnlyMode {
        self.read_only
    }

    /// Starts read-only mode now (`ReadOnlyZooKeeperServer.startup`): the committed sessions
    /// become a learner's view of global sessions (known, never expired here), new sessions
    /// are local when `localSessionsEnabled`, and clients are served.
    pub fn start_read_only(&mut self, now: Clock) {
        self.close_all_connections();
        let mut tracker =
            SessionTracker::new(self.config.tick_time_ms, self.config.server_id, now.mono_ms);
        tracker.set_local_sessions_enabled(self.config.local_sessions_enabled);
        for (id, timeout) in self.sessions.committed_sessions() {
            tracker.add_global_session(id, timeout);
        }
        self.sessions = tracker;
        // A new server: its statistics start from zero (`Received: 1` at the first `srvr`).
        self.stats.reset();
        self.read_only = ReadOnlyMode::Running;
        self.serving = true;
    }

    /// Disarms read-only mode, or stops it (`ReadOnlyZooKeeperServer.shutdown`): every client
    /// connection is closed and the member no longer serves. Called by
    /// [`ServerCore::set_role`], which then tracks the committed sessions afresh (the local
    /// sessions of the mode are gone with it).
    pub(crate) fn stop_read_only(&mut self) {
        let was_running = self.read_only == ReadOnlyMode::Running;
        self.read_only = ReadOnlyMode::Off;
        if was_running {
            self.close_all_connections();
            self.serving = false;
        }
    }

    /// The part of `handle_tick` read-only mode takes over: starts the mode when it is due,
    /// and while it runs expires local sessions (without a txn) and nothing else. Returns
    /// whether the tick is done (the mode runs).
    pub(crate) fn read_only_tick(&mut self, now: Clock) -> bool {
        if let ReadOnlyMode::Armed { at_mono_ms } = self.read_only {
            if now.mono_ms >= at_mono_ms {
                self.start_read_only(now);
            }
        }
        if self.read_only != ReadOnlyMode::Running {
            return false;
        }
        for id in self.sessions.expire_due(now.mono_ms) {
            if self.sessions.is_local(id) {
                self.notice_expired(id);
                self.sessions.remove_session(id);
                self.close_session_conn(id);
            }
        }
        true
    }

    /// `poll_timeout` with read-only mode: the start when armed; while running only local
    /// sessions expire.
    pub(crate) fn read_only_timeout(&self, otherwise: Option<u64>) -> Option<u64> {
        match self.read_only {
            ReadOnlyMode::Off => otherwise,
            ReadOnlyMode::Armed { at_mono_ms } => {
                Some(otherwise.map_or(at_mono_ms, |t| t.min(at_mono_ms)))
            }
            ReadOnlyMode::Running => {
                (self.sessions.local_len() > 0).then(|| self.sessions.next_expiration_time())
            }
        }
    }

    /// `processConnectRequest` of `ReadOnlyZooKeeperServer` (see the module docs).
    pub(crate) fn read_only_connect(&mut self, conn: ConnId, req: ConnectRequest, now: Clock) {
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
        c.stats.packets_received += 1;
        self.stats.packets_received += 1;
        c.established_wall_ms = now.wall_ms;
        c.old_client = req.read_only.is_none();
        if req.read_only != Some(true) || req.last_zxid_seen > last {
            // "Refusing session request for not-read-only client", or the client has seen
            // more than this member.
            self.close_conn(conn);
            return;
        }
        c.timeout_ms = req.time_out.max(min).min(max);
        let timeout = c.timeout_ms;
        if req.session_id == 0 {
            if self.sessions.local_sessions_enabled() {
                let id = self.sessions.create_local_session(timeout, now.mono_ms);
                c.session_id = id;
                c.stats
                    .update_for_response(0, last, "SESS", now.mono_ms, now.mono_ms);
                self.stats.latency.add(0);
                self.session_conns.insert(id, conn);
                self.finish_session_init(conn, true, now);
            } else {
                // The global createSession meets ReadOnlyRequestProcessor: its error reply
                // (cxid 0) is what the client reads as a ConnectResponse. The id is used up.
                let _ = self.sessions.next_session_id();
                c.state = ConnState::CreatingSession;
                c.input_closed = true;
                let header = ReplyHeader {
                    xid: 0,
                    zxid: last,
                    err: ErrorCode::NotReadOnly.code(),
                };
                self.send_with(conn, |out| header.write_to(out));
            }
            return;
        }
        let id = req.session_id;
        if self.sessions.committed_sessions().any(|(s, _)| s == id) {
            // `validateSession`: "Refusing global session reconnection in RO mode".
            self.close_conn(conn);
            return;
        }
        c.session_id = id;
        if let Some(&old) = self.session_conns.get(&id) {
            if old != conn {
                self.close_conn(old);
            }
        }
        self.session_conns.insert(id, conn);
        let valid = check_passwd(id, &req.passwd)
            && self.sessions.is_local(id)
            && self.sessions.touch_session(id, timeout, now.mono_ms);
        self.finish_session_init(conn, valid, now);
    }

    /// `ReadOnlyRequestProcessor`: a request of an established session in read-only mode.
    /// Every session here is local; writes and syncs are refused in the connection's order,
    /// a closeSession closes the local session, the rest is served from the tree.
    pub(crate) fn read_only_request(
        &mut self,
        conn: ConnId,
        header: RequestHeader,
        op: OpCode,
        request: Result<Request, RequestDecodeError>,
        now: Clock,
    ) {
        let last = self.tree.last_processed_zxid();
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if refused_in_read_only_mode(op)
            || (op == OpCode::CloseSession && !self.sessions.is_local(c.session_id))
        {
            let frame = ReplyHeader {
                xid: header.xid,
                zxid: last,
                err: ErrorCode::NotReadOnly.code(),
            }
            .to_bytes();
            // Sent by the processor itself: no latency or last-op statistics.
            c.queue.push_back(Queued::Ready {
                frame: Bytes::from(frame),
                close: false,
            });
        } else {
            let auth = c.auth.shared_ids();
            c.queue.push_back(Queued::Read {
                header,
                request,
                recv_mono: now.mono_ms,
                auth,
            });
        }
        self.drain(conn, now);
    }
}
