//! Scripted raw client connections for scenario tests (catalogue 36–38): a test opens a
//! connection to one member with the session it chooses, sends any request (reads, `sync`,
//! ephemerals, watches), and reads back every reply and notification that member sent, as
//! decoded frames. Unlike [`crate::Client`], nothing happens on its own: no pings, no
//! reconnects, no timeouts; a request reaches the member at once (no network delay).

use std::collections::BTreeMap;

use bytes::Bytes;
use zkrs_jute::{
    ConnectRequest, ConnectResponse, Jute, JuteReader, ReplyHeader, Request, RequestHeader,
    WatcherEvent,
};
use zkrs_session::ConnId;

use crate::simulation::Simulation;

/// Raw connections get ids from here up, far from the workload clients' ids.
const FIRST_RAW_CONN: ConnId = 1 << 40;

/// One reply (`xid >= 0`) a member sent on a raw connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawReply {
    pub xid: i32,
    pub zxid: i64,
    pub err: i32,
    /// The reply record after the header.
    pub body: Bytes,
    /// Logical time it was sent (ms).
    pub at_ms: u64,
}

/// One raw connection.
#[derive(Debug, Clone, Default)]
pub struct RawConn {
    /// The member it goes to.
    pub sid: u64,
    /// The ConnectResponse, once it came.
    pub connected: Option<ConnectResponse>,
    pub replies: Vec<RawReply>,
    /// Watch notifications (xid -1).
    pub events: Vec<WatcherEvent>,
    /// The member closed the connection.
    pub closed: bool,
    /// Frames that did not decode (a bug of the member or of this decoder).
    pub garbage: Vec<String>,
}

impl RawConn {
    /// The reply to `xid`, if it came.
    pub fn reply(&self, xid: i32) -> Option<&RawReply> {
        self.replies.iter().find(|r| r.xid == xid)
    }

    /// The session id and password of the ConnectResponse (0 if expired or not answered).
    pub fn session(&self) -> (i64, Bytes) {
        match &self.connected {
            Some(r) => (r.session_id, r.passwd.clone()),
            None => (0, Bytes::new()),
        }
    }
}

/// Every raw connection of a simulation.
#[derive(Debug, Clone, Default)]
pub struct RawConns {
    conns: BTreeMap<ConnId, RawConn>,
    next: ConnId,
}

impl RawConns {
    /// A frame a member sent: taken if `conn` is a raw connection.
    pub(crate) fn on_frame(&mut self, conn: ConnId, frame: &[u8], now: u64) -> bool {
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        let Some(payload) = frame.get(4..) else {
            c.garbage.push("frame without a length".into());
            return true;
        };
        if c.connected.is_none() {
            match ConnectResponse::from_bytes(payload) {
                Ok(r) => c.connected = Some(r),
                Err(e) => c.garbage.push(format!("ConnectResponse: {e}")),
            }
            return true;
        }
        let mut r = JuteReader::new(payload);
        let header = match ReplyHeader::read_from(&mut r) {
            Ok(h) => h,
            Err(e) => {
                c.garbage.push(format!("reply header: {e}"));
                return true;
            }
        };
        let body = Bytes::copy_from_slice(payload.get(16..).unwrap_or_default());
        match header.xid {
            -1 => match WatcherEvent::from_bytes(&body) {
                Ok(e) => c.events.push(e),
                Err(e) => c.garbage.push(format!("WatcherEvent: {e}")),
            },
            xid if xid >= 0 => c.replies.push(RawReply {
                xid,
                zxid: header.zxid,
                err: header.err,
                body,
                at_ms: now,
            }),
            // Pings (-2) and the rest.
            _ => {}
        }
        true
    }

    /// The member closed a connection.
    pub(crate) fn on_closed(&mut self, conn: ConnId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.closed = true;
        }
    }
}

impl Simulation {
    /// Opens a raw connection to `sid` with this session (0 for a new one) and sends its
    /// ConnectRequest. A member that is down closes it at once.
    pub fn raw_connect(
        &mut self,
        sid: u64,
        session_id: i64,
        passwd: Bytes,
        last_zxid_seen: i64,
        timeout_ms: i32,
    ) -> ConnId {
        let conn = FIRST_RAW_CONN + self.raw.next;
        self.raw.next += 1;
        self.raw.conns.insert(
            conn,
            RawConn {
                sid,
                ..RawConn::default()
            },
        );
        let request = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen,
            time_out: timeout_ms,
            session_id,
            passwd: if passwd.is_empty() {
                Bytes::from(vec![0u8; 16])
            } else {
                passwd
            },
            read_only: Some(false),
        };
        if self.node(sid).up {
            self.with_node(sid, |n, ctx| n.client_connect(conn, request, ctx));
        } else {
            self.raw.on_closed(conn);
        }
        self.after_step(format!(
            "raw conn {conn} to {sid} (session {session_id:#x})"
        ));
        conn
    }

    /// Sends a request on a raw connection (encoded, then decoded as the server's frame
    /// decoder does). Ignored once the connection is closed.
    pub fn raw_request(&mut self, conn: ConnId, xid: i32, request: Request) {
        let Some(c) = self.raw.conns.get(&conn) else {
            return;
        };
        if c.closed {
            return;
        }
        let sid = c.sid;
        let mut body = Vec::new();
        request.write_body(&mut body);
        let op = request.op().code();
        let decoded = Request::decode(op, &mut JuteReader::new(&body));
        let header = RequestHeader { xid, r#type: op };
        if self.node(sid).up {
            self.with_node(sid, |n, ctx| n.client_request(conn, header, decoded, ctx));
        }
        self.after_step(format!("raw conn {conn} xid {xid} op {op} at {sid}"));
    }

    /// A ping (xid -2) on a raw connection: keeps its session alive.
    pub fn raw_ping(&mut self, conn: ConnId) {
        self.raw_request(conn, -2, Request::Ping);
    }

    /// The client closes a raw connection (the session lives on until it expires).
    pub fn raw_close(&mut self, conn: ConnId) {
        let Some(c) = self.raw.conns.get_mut(&conn) else {
            return;
        };
        if c.closed {
            return;
        }
        c.closed = true;
        let sid = c.sid;
        if self.node(sid).up {
            self.with_node(sid, |n, ctx| n.client_closed(conn, ctx));
        }
        self.after_step(format!("raw conn {conn} closed by the client"));
    }

    /// A raw connection's state.
    pub fn raw_conn(&self, conn: ConnId) -> &RawConn {
        &self.raw.conns[&conn]
    }

    /// Runs for `ms`, pinging the open raw connections `conns` every `every_ms`.
    pub fn run_pinging(&mut self, ms: u64, every_ms: u64, conns: &[ConnId]) {
        let until = self.now_ms() + ms;
        while self.now_ms() < until {
            let step = every_ms.max(1).min(until - self.now_ms());
            self.run_for(step);
            for &c in conns {
                self.raw_ping(c);
            }
        }
    }

    /// Runs until `conn` has the reply to `xid` (or is closed), or `max_ms` passed; returns
    /// the reply.
    pub fn raw_wait_reply(&mut self, conn: ConnId, xid: i32, max_ms: u64) -> Option<RawReply> {
        self.run_until(max_ms, |s| {
            let c = s.raw_conn(conn);
            c.closed || c.reply(xid).is_some()
        });
        self.raw_conn(conn).reply(xid).cloned()
    }
}
