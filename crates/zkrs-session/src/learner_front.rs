//! The learner's client front end: what a follower or an observer does instead of preparing
//! writes itself (`FollowerRequestProcessor` / `ObserverRequestProcessor`, the learner half of
//! `CommitProcessor`, `FollowerZooKeeperServer.pendingSyncs`, `Learner.validateSession` and
//! `LearnerSessionTracker`'s touch table).
//!
//! - A write (every txn op, and the createSession of a new connection) or a `sync` is forwarded
//!   to the leader ([`Output::Forward`]) and keeps its slot in the connection's reply queue, so
//!   requests behind it wait, as behind a local write.
//! - Forwarded requests form one FIFO across connections (`queuedWriteRequests`). A txn the
//!   leader commits is this member's own when it matches the head of that FIFO by session id
//!   and cxid: it is applied and its client answered exactly as the standalone core would.
//!   Anything else is another member's txn: applied, no reply.
//! - A forwarded sync is answered when the leader's SYNC arrives; SYNCs answer the pending syncs
//!   in order, across connections (`pendingSyncs`).
//! - A reconnect is revalidated with the leader ([`Output::Revalidate`]); the ConnectResponse
//!   waits for its answer.
//! - Sessions are not expired here. Every session a client uses (and every session committed)
//!   is recorded and reported to the leader in the next ping reply.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::{Bytes, BytesMut};
use zkrs_jute::{ErrorCode, Id, OpCode, Request, RequestDecodeError, RequestHeader, TxnEntry};

use crate::clock::Clock;
use crate::connection::{ConnState, Queued};
use crate::core::{ConnId, InFlight, Origin, ServerCore};
use crate::java::hash::long_hash;
use crate::java::ConcurrentHashSet;
use crate::output::Output;

/// A request forwarded to the leader and not answered yet.
#[derive(Debug, Clone, Copy)]
struct ForwardedRequest {
    conn: ConnId,
    session_id: i64,
    cxid: i32,
    op: OpCode,
    recv_mono: u64,
    /// The answer this member gives whatever the leader commits (an ephemeral create on a
    /// local session without upgrading: EPHEMERALONLOCALSESSION).
    forced_err: Option<ErrorCode>,
    /// The createSession that upgrades a local session: nobody waits for a reply.
    upgrade: bool,
}

/// A forwarded sync: answered like a read once the leader's SYNC arrives.
#[derive(Debug, Clone)]
struct PendingSync {
    conn: ConnId,
    session_id: i64,
    header: RequestHeader,
    request: Result<Request, RequestDecodeError>,
    recv_mono: u64,
    auth: Arc<[Id]>,
}

/// A learner's state for its clients' requests that involve the leader.
#[derive(Debug, Clone, Default)]
pub struct LearnerFront {
    /// `CommitProcessor.queuedWriteRequests`: forwarded writes, syncs and session creations and
    /// closings, in the order they were forwarded.
    forwarded: VecDeque<ForwardedRequest>,
    /// `pendingSyncs`.
    syncs: VecDeque<PendingSync>,
    /// `Learner.pendingRevalidations`: the connection waiting for each session's revalidation.
    revalidations: HashMap<i64, ConnId>,
    /// The touch table's keys, in the order of the JVM's `ConcurrentHashMap`.
    touched: ConcurrentHashSet<i64>,
    /// The touch table's timeouts.
    touch_timeouts_ms: HashMap<i64, i32>,
}

impl LearnerFront {
    /// `LearnerSessionTracker.touchSession`: the session goes in the next ping reply.
    pub(crate) fn touch(&mut self, session_id: i64, timeout_ms: i32) {
        self.touched.insert(session_id, long_hash(session_id));
        self.touch_timeouts_ms.insert(session_id, timeout_ms);
    }

    /// The session was closed: it is no longer reported.
    pub(crate) fn forget_touch(&mut self, session_id: i64) {
        if self.touch_timeouts_ms.remove(&session_id).is_some() {
            self.touched.remove(&session_id, long_hash(session_id));
        }
    }

    /// Requests forwarded to the leader and not answered yet.
    pub fn pending_forwards(&self) -> usize {
        self.forwarded.len()
    }
}

impl ServerCore {
    /// A new session on a learner (`LearnerSessionTracker.createSession`): the id comes from this
    /// server's own counter, and the createSession (`CreateSessionTxn{timeout}` as its request
    /// record, cxid 0, no identities: `ZooKeeperServer.createSession` passes a null authInfo) is
    /// forwarded. The ConnectResponse goes out when the leader commits it.
    pub(crate) fn forward_create_session(&mut self, conn: ConnId, timeout_ms: i32, now: Clock) {
        let id = self.sessions.next_session_id();
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        c.session_id = id;
        c.state = ConnState::CreatingSession;
        self.session_conns.insert(id, conn);
        self.learner.touch(id, timeout_ms);
        self.learner.forwarded.push_back(ForwardedRequest {
            conn,
            session_id: id,
            cxid: 0,
            op: OpCode::CreateSession,
            recv_mono: now.mono_ms,
            forced_err: None,
            upgrade: false,
        });
        self.outputs.push_back(Output::Forward {
            session_id: id,
            cxid: 0,
            op: OpCode::CreateSession.code(),
            request: Bytes::copy_from_slice(&timeout_ms.to_be_bytes()),
            auth: Vec::new(),
        });
    }

    /// `checkUpgradeSession` + `makeUpgradeRequest`: a local session about to create an
    /// ephemeral becomes global. A learner forwards its createSession (before the request
    /// that needs it); a leader prepares it itself.
    pub(crate) fn upgrade_local_session(&mut self, session_id: i64, now: Clock) {
        let leader = !self.role.is_learner();
        let Some(timeout_ms) = self.sessions.upgrade_session(session_id, leader) else {
            return;
        };
        if leader {
            self.submit_server_write(
                Origin::Remote,
                session_id,
                OpCode::CreateSession,
                crate::prep::WriteOp::CreateSession {
                    timeout: timeout_ms,
                },
                now,
            );
            return;
        }
        let conn = self.session_conns.get(&session_id).copied().unwrap_or(0);
        self.learner.touch(session_id, timeout_ms);
        self.learner.forwarded.push_back(ForwardedRequest {
            conn,
            session_id,
            cxid: 0,
            op: OpCode::CreateSession,
            recv_mono: now.mono_ms,
            forced_err: None,
            upgrade: true,
        });
        self.outputs.push_back(Output::Forward {
            session_id,
            cxid: 0,
            op: OpCode::CreateSession.code(),
            request: Bytes::copy_from_slice(&timeout_ms.to_be_bytes()),
            auth: Vec::new(),
        });
    }

    /// A reconnect with the right password (`LearnerZooKeeperServer.revalidateSession`): the
    /// leader decides whether the session lives.
    pub(crate) fn forward_revalidate(&mut self, conn: ConnId, session_id: i64, timeout_ms: i32) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        c.state = ConnState::Revalidating;
        self.learner.revalidations.insert(session_id, conn);
        self.outputs.push_back(Output::Revalidate {
            session_id,
            timeout_ms,
        });
    }

    /// A client write or sync on a learner: forwarded, its reply slot kept in the connection's
    /// queue.
    pub(crate) fn forward_request(
        &mut self,
        conn: ConnId,
        header: RequestHeader,
        op: OpCode,
        request: Result<Request, RequestDecodeError>,
        forced_err: Option<ErrorCode>,
        now: Clock,
    ) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        let session_id = c.session_id;
        let (cxid, op_code) = (header.xid, header.r#type);
        let body = match &request {
            Ok(r) => {
                let mut b = BytesMut::new();
                r.write_body(&mut b);
                b.freeze()
            }
            Err(_) => Bytes::new(),
        };
        let auth = c.auth.ids();
        c.queue.push_back(Queued::Forwarded { cxid });
        self.learner.forwarded.push_back(ForwardedRequest {
            conn,
            session_id,
            cxid,
            op,
            recv_mono: now.mono_ms,
            forced_err,
            upgrade: false,
        });
        if op == OpCode::Sync {
            self.learner.syncs.push_back(PendingSync {
                conn,
                session_id,
                header,
                request,
                recv_mono: now.mono_ms,
                auth: c.auth.shared_ids(),
            });
        }
        self.outputs.push_back(Output::Forward {
            session_id,
            cxid,
            op: op_code,
            request: body,
            auth,
        });
    }

    /// The leader's answer to a [`Output::Revalidate`] (`Learner.revalidate`): the
    /// ConnectResponse, with the session if `valid`, else zeros and a close. An answer nobody
    /// waits for (the connection is gone) is ignored.
    pub fn handle_revalidate_answer(&mut self, session_id: i64, valid: bool, now: Clock) {
        let Some(conn) = self.learner.revalidations.remove(&session_id) else {
            return;
        };
        let Some(c) = self.connections.get(&conn) else {
            return;
        };
        if c.closing || c.state != ConnState::Revalidating || c.session_id != session_id {
            return;
        }
        self.finish_session_init(conn, valid, now);
    }

    /// A txn the leader committed (COMMIT of a proposal, INFORM on an observer, or a txn of the
    /// sync phase), applied with the same apply as every other txn. If it answers the oldest
    /// request this member forwarded (same session id and cxid), that client gets exactly the
    /// reply the standalone core would send: the ConnectResponse of a createSession, the reply
    /// and close of a closeSession, results or the `ErrorTxn`'s error code. A closeSession
    /// nobody here waits for closes the session's connection to this member.
    pub fn handle_committed_txn(&mut self, entry: TxnEntry, now: Clock) {
        let hdr = &entry.header;
        let head = self.learner.forwarded.front().copied();
        let origin = match head {
            Some(f)
                if f.op != OpCode::Sync && f.session_id == hdr.client_id && f.cxid == hdr.cxid =>
            {
                self.learner.forwarded.pop_front();
                if f.upgrade {
                    self.apply(
                        InFlight {
                            entry,
                            origin: Origin::Remote,
                        },
                        now,
                    );
                    return;
                }
                self.take_forwarded_slot(f.conn, f.session_id, f.cxid);
                if let Some(err) = f.forced_err {
                    self.apply(
                        InFlight {
                            entry,
                            origin: Origin::Remote,
                        },
                        now,
                    );
                    self.reply_error(f.conn, f.session_id, f.cxid, err, f.recv_mono, now);
                    return;
                }
                match f.op {
                    OpCode::CreateSession => Origin::CreateSession {
                        conn: f.conn,
                        recv_mono: f.recv_mono,
                    },
                    op => Origin::Client {
                        conn: f.conn,
                        xid: f.cxid,
                        op,
                        recv_mono: f.recv_mono,
                    },
                }
            }
            _ => Origin::Remote,
        };
        self.apply(InFlight { entry, origin }, now);
    }

    /// The leader's SYNC (`FollowerZooKeeperServer.sync`): the oldest forwarded sync is answered
    /// (`SyncResponse{path}` at this member's last zxid) once every request before it on its
    /// connection has been. A SYNC with no sync pending is ignored.
    pub fn handle_sync_answered(&mut self, now: Clock) {
        let Some(s) = self.learner.syncs.pop_front() else {
            return;
        };
        let cxid = s.header.xid;
        if let Some(pos) =
            self.learner.forwarded.iter().position(|f| {
                f.op == OpCode::Sync && f.session_id == s.session_id && f.cxid == cxid
            })
        {
            self.learner.forwarded.remove(pos);
        }
        let Some(c) = self.connections.get_mut(&s.conn) else {
            return;
        };
        if c.session_id != s.session_id {
            return;
        }
        let slot = c
            .queue
            .iter_mut()
            .find(|q| matches!(q, Queued::Forwarded { cxid: x } if *x == cxid));
        if let Some(slot) = slot {
            *slot = Queued::Read {
                header: s.header,
                request: s.request,
                recv_mono: s.recv_mono,
                auth: s.auth,
            };
        }
        self.drain(s.conn, now);
    }

    /// The sessions touched since the last call, as `(session id, timeout)` in the order a Java
    /// learner writes them into its ping reply (`LearnerSessionTracker.snapshot`): sessions
    /// its clients used, created or that were committed. The table starts afresh.
    pub fn take_session_touches(&mut self) -> Vec<(i64, i32)> {
        let touched = std::mem::take(&mut self.learner.touched);
        let timeouts = std::mem::take(&mut self.learner.touch_timeouts_ms);
        touched
            .iter()
            .filter_map(|id| timeouts.get(id).map(|t| (*id, *t)))
            .collect()
    }

    /// Learners: requests forwarded to the leader and not answered yet.
    pub fn pending_forwards(&self) -> usize {
        self.learner.pending_forwards()
    }

    /// Removes the reply slot of a forwarded request from its connection's queue.
    fn take_forwarded_slot(&mut self, conn: ConnId, session_id: i64, cxid: i32) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if c.session_id != session_id {
            return;
        }
        if let Some(pos) = c
            .queue
            .iter()
            .position(|q| matches!(q, Queued::Forwarded { cxid: x } if *x == cxid))
        {
            c.queue.remove(pos);
        }
    }
}
