//! [`Client`]: one simulated ZooKeeper client. It keeps one session, talks to one member at a
//! time with encoded frames (decoded back exactly as the server's frame decoder would), has at
//! most one write outstanding, and moves to another member when its connection is lost.
//!
//! Every client writes only its own znodes (`/c<id>-<n>`), so the state each of them must end
//! in is known from the writes acknowledged to it: an acknowledged write fixes the state; a
//! write whose reply never came (connection lost, timeout) may or may not have happened, and
//! the key is then left alone with both outcomes allowed (I10).

use std::collections::BTreeSet;

use bytes::Bytes;
use zkrs_jute::{
    perms, ConnectRequest, ConnectResponse, CreateRequest, DeleteRequest, ErrorCode, Jute,
    JuteReader, ReconfigRequest, ReplyHeader, Request, RequestDecodeError, RequestHeader,
    SetDataRequest,
};
use zkrs_session::ConnId;

use crate::sim_rng::SimRng;

/// The session timeout clients ask for (ms).
pub const SESSION_TIMEOUT_MS: i32 = 6_000;
/// A connect not answered within this is abandoned (ms).
const CONNECT_TIMEOUT_MS: u64 = 2_000;
/// A write not answered within this is abandoned (ms), as a client library's request timeout.
const REQUEST_TIMEOUT_MS: u64 = 8_000;

/// What a key may hold at the end: `None` absent, `Some(data)` present with that data.
pub type KeyState = Option<Bytes>;

/// One znode owned by a client.
#[derive(Debug, Clone)]
pub struct Key {
    pub path: String,
    /// The states the key may be in (one, unless a write's outcome is unknown).
    pub allowed: BTreeSet<KeyState>,
    /// The state the client is sure of, if it is.
    known: Option<KeyState>,
}

#[derive(Debug, Clone)]
enum Op {
    Create(Bytes),
    SetData(Bytes),
    Delete,
    /// A `reconfig` (no key of the client's: any outcome is allowed).
    Reconfig,
}

impl Op {
    fn result(&self) -> KeyState {
        match self {
            Op::Create(d) | Op::SetData(d) => Some(d.clone()),
            Op::Delete | Op::Reconfig => None,
        }
    }
}

#[derive(Debug, Clone)]
struct Pending {
    xid: i32,
    key: usize,
    op: Op,
    sent_ms: u64,
}

/// What a client asks the simulation to do.
#[derive(Debug)]
pub enum ClientAction {
    Nothing,
    /// Open `conn` to server `sid` and send this ConnectRequest.
    Connect {
        sid: u64,
        conn: ConnId,
        request: ConnectRequest,
    },
    /// Send a request on the open connection.
    Request {
        sid: u64,
        conn: ConnId,
        header: RequestHeader,
        request: Result<Request, RequestDecodeError>,
    },
    /// Close the connection (the client gave up on it).
    Close {
        sid: u64,
        conn: ConnId,
    },
}

/// One client.
#[derive(Debug, Clone)]
pub struct Client {
    pub id: usize,
    /// The open connection and the server it goes to.
    conn: Option<(ConnId, u64)>,
    connected: bool,
    conn_started_ms: u64,
    session_id: i64,
    passwd: Bytes,
    last_zxid_seen: i64,
    xid: i32,
    pending: Option<Pending>,
    pub keys: Vec<Key>,
    active: Option<usize>,
    seq: u64,
    /// Writes acknowledged with success.
    pub acked_writes: u64,
    /// Reconfigs sent, and the error codes of their replies (0: accepted).
    pub reconfigs_sent: u64,
    pub reconfig_replies: Vec<i32>,
    /// A scripted client: always this server, and it writes even when the workload is off.
    pub pinned: Option<u64>,
}

impl Client {
    pub fn new(id: usize) -> Client {
        Client {
            id,
            conn: None,
            connected: false,
            conn_started_ms: 0,
            session_id: 0,
            passwd: Bytes::from(vec![0u8; 16]),
            last_zxid_seen: 0,
            xid: 0,
            pending: None,
            keys: Vec::new(),
            active: None,
            seq: 0,
            acked_writes: 0,
            reconfigs_sent: 0,
            reconfig_replies: Vec::new(),
            pinned: None,
        }
    }

    /// The connection the client uses, if any.
    pub fn conn(&self) -> Option<(ConnId, u64)> {
        self.conn
    }

    /// Whether a write waits for its reply.
    pub fn is_idle(&self) -> bool {
        self.pending.is_none()
    }

    /// The next thing to do. `issue` is false once the workload stops (only timeouts run).
    pub fn act(
        &mut self,
        now_ms: u64,
        rng: &mut SimRng,
        sids: &[u64],
        next_conn: &mut ConnId,
        issue: bool,
    ) -> ClientAction {
        let issue = issue || self.pinned.is_some();
        let Some((conn, sid)) = self.conn else {
            if !issue || sids.is_empty() {
                return ClientAction::Nothing;
            }
            let sid = match self.pinned {
                Some(sid) => sid,
                None => sids[rng.index(sids.len())],
            };
            *next_conn += 1;
            let conn = *next_conn;
            self.conn = Some((conn, sid));
            self.connected = false;
            self.conn_started_ms = now_ms;
            return ClientAction::Connect {
                sid,
                conn,
                request: ConnectRequest {
                    protocol_version: 0,
                    last_zxid_seen: self.last_zxid_seen,
                    time_out: SESSION_TIMEOUT_MS,
                    session_id: self.session_id,
                    passwd: self.passwd.clone(),
                    read_only: Some(false),
                },
            };
        };
        if !self.connected {
            if now_ms.saturating_sub(self.conn_started_ms) > CONNECT_TIMEOUT_MS {
                self.lost();
                return ClientAction::Close { sid, conn };
            }
            return ClientAction::Nothing;
        }
        if let Some(p) = &self.pending {
            if now_ms.saturating_sub(p.sent_ms) > REQUEST_TIMEOUT_MS {
                self.lost();
                return ClientAction::Close { sid, conn };
            }
            return ClientAction::Nothing;
        }
        if !issue {
            return ClientAction::Nothing;
        }
        self.seq += 1;
        let data = Bytes::from(format!("c{}-{}", self.id, self.seq));
        let (key, op) = match self
            .active
            .and_then(|k| self.keys[k].known.clone().map(|s| (k, s)))
        {
            Some((k, Some(_))) => match rng.range(0, 3) {
                0 | 1 => (k, Op::SetData(data)),
                2 => (k, Op::Delete),
                _ => (self.new_key(), Op::Create(data)),
            },
            Some((k, None)) => (k, Op::Create(data)),
            None => (self.new_key(), Op::Create(data)),
        };
        self.active = Some(key);
        let path = self.keys[key].path.clone();
        let request = match &op {
            Op::Create(d) => Request::Create(CreateRequest {
                path,
                data: Some(d.clone()),
                acl: perms::open_acl_unsafe(),
                flags: 0,
            }),
            Op::SetData(d) => Request::SetData(SetDataRequest {
                path,
                data: Some(d.clone()),
                version: -1,
            }),
            Op::Delete | Op::Reconfig => Request::Delete(DeleteRequest { path, version: -1 }),
        };
        self.xid += 1;
        let xid = self.xid;
        self.pending = Some(Pending {
            xid,
            key,
            op,
            sent_ms: now_ms,
        });
        // Encoded, then decoded as the server's frame decoder does.
        let mut body = Vec::new();
        request.write_body(&mut body);
        let op_code = request.op().code();
        let decoded = Request::decode(op_code, &mut JuteReader::new(&body));
        ClientAction::Request {
            sid,
            conn,
            header: RequestHeader {
                xid,
                r#type: op_code,
            },
            request: decoded,
        }
    }

    /// Whether the client could send a request now (connected, nothing outstanding).
    pub fn ready(&self) -> bool {
        self.connected && self.pending.is_none() && self.conn.is_some()
    }

    /// Sends a `reconfig` request instead of a write (the client must be [`Client::ready`]).
    pub fn reconfig(&mut self, now_ms: u64, request: ReconfigRequest) -> ClientAction {
        let Some((conn, sid)) = self.conn else {
            return ClientAction::Nothing;
        };
        if !self.ready() {
            return ClientAction::Nothing;
        }
        let request = Request::Reconfig(request);
        self.xid += 1;
        let xid = self.xid;
        self.reconfigs_sent += 1;
        self.pending = Some(Pending {
            xid,
            key: usize::MAX,
            op: Op::Reconfig,
            sent_ms: now_ms,
        });
        let mut body = Vec::new();
        request.write_body(&mut body);
        let op_code = request.op().code();
        let decoded = Request::decode(op_code, &mut JuteReader::new(&body));
        ClientAction::Request {
            sid,
            conn,
            header: RequestHeader {
                xid,
                r#type: op_code,
            },
            request: decoded,
        }
    }

    fn new_key(&mut self) -> usize {
        let n = self.keys.len();
        self.keys.push(Key {
            path: format!("/c{}-{}", self.id, n),
            allowed: BTreeSet::from([None]),
            known: Some(None),
        });
        n
    }

    /// The connection is gone: an outstanding write may or may not have happened.
    fn lost(&mut self) {
        if let Some(p) = self.pending.take() {
            if !matches!(p.op, Op::Reconfig) {
                let k = &mut self.keys[p.key];
                k.allowed.insert(p.op.result());
                k.known = None;
                self.active = None;
            }
        }
        self.conn = None;
        self.connected = false;
    }

    /// The server closed the connection (or its node went away).
    pub fn on_closed(&mut self, conn: ConnId) {
        if self.conn.map(|(c, _)| c) == Some(conn) {
            self.lost();
        }
    }

    /// A frame the server sent on `conn`. Returns a description of a client-visible violation.
    pub fn on_frame(&mut self, conn: ConnId, frame: &[u8]) -> Result<(), String> {
        if self.conn.map(|(c, _)| c) != Some(conn) {
            return Ok(());
        }
        let Some(payload) = frame.get(4..) else {
            return Err(format!("client {}: frame without a length", self.id));
        };
        if !self.connected {
            let resp = ConnectResponse::from_bytes(payload)
                .map_err(|e| format!("client {}: bad ConnectResponse: {e}", self.id))?;
            if resp.time_out <= 0 || resp.session_id == 0 {
                // The session expired: a new one next time.
                self.session_id = 0;
                self.passwd = Bytes::from(vec![0u8; 16]);
                self.lost();
                return Ok(());
            }
            self.session_id = resp.session_id;
            self.passwd = resp.passwd;
            self.connected = true;
            return Ok(());
        }
        let mut r = JuteReader::new(payload);
        let header = ReplyHeader::read_from(&mut r)
            .map_err(|e| format!("client {}: bad reply header: {e}", self.id))?;
        if header.xid < 0 {
            return Ok(());
        }
        let Some(p) = self.pending.take() else {
            return Err(format!(
                "client {}: reply to xid {} with nothing outstanding",
                self.id, header.xid
            ));
        };
        if p.xid != header.xid {
            return Err(format!(
                "client {}: reply to xid {}, expected {}",
                self.id, header.xid, p.xid
            ));
        }
        if header.zxid < self.last_zxid_seen {
            return Err(format!(
                "client {}: zxid went backwards: {:#x} after {:#x} (I10)",
                self.id, header.zxid, self.last_zxid_seen
            ));
        }
        self.last_zxid_seen = header.zxid;
        if matches!(p.op, Op::Reconfig) {
            self.reconfig_replies.push(header.err);
            return Ok(());
        }
        let key = &mut self.keys[p.key];
        let err = header.err;
        let ok = err == 0;
        let unexpected = match (&p.op, &key.known) {
            (Op::Create(_), Some(None)) => err == ErrorCode::NodeExists as i32,
            (Op::SetData(_) | Op::Delete, Some(Some(_))) => err == ErrorCode::NoNode as i32,
            _ => false,
        };
        if unexpected {
            return Err(format!(
                "client {}: {:?} on {} failed with {err} although the client knows its state \
                 {:?} (a lost or phantom write, I10)",
                self.id, p.op, key.path, key.known
            ));
        }
        if ok {
            let state = p.op.result();
            key.allowed = BTreeSet::from([state.clone()]);
            key.known = Some(state);
            self.acked_writes += 1;
        } else {
            key.allowed.insert(p.op.result());
            key.known = None;
            self.active = None;
        }
        Ok(())
    }
}
