//! A scripted client for driving `ServerCore` without sockets: requests are encoded with
//! zkrs-jute, decoded back exactly as the server crate's frame decoder would, and the core's
//! outputs are decoded into replies and notifications per connection.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;
use zkrs_jute::{
    perms, Acl, ConnectRequest, ConnectResponse, CreateRequest, Jute, JuteReader, ReplyHeader,
    Request, RequestHeader, Stat, TxnEntry, WatcherEvent,
};
use zkrs_session::{Clock, ConnId, CoreConfig, Output, ServerCore};

/// One frame the server sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Connect(ConnectResponse),
    Reply { header: ReplyHeader, body: Bytes },
}

impl Frame {
    pub fn header(&self) -> &ReplyHeader {
        match self {
            Frame::Reply { header, .. } => header,
            Frame::Connect(_) => panic!("expected a reply, got a ConnectResponse"),
        }
    }
    pub fn body(&self) -> &Bytes {
        match self {
            Frame::Reply { body, .. } => body,
            Frame::Connect(_) => panic!("expected a reply, got a ConnectResponse"),
        }
    }
    pub fn is_notification(&self) -> bool {
        matches!(self, Frame::Reply { header, .. } if header.xid == -1)
    }
    pub fn event(&self) -> WatcherEvent {
        assert!(self.is_notification(), "not a notification: {self:?}");
        decode(self.body())
    }
    pub fn err(&self) -> i32 {
        self.header().err
    }
    pub fn zxid(&self) -> i64 {
        self.header().zxid
    }
    pub fn xid(&self) -> i32 {
        self.header().xid
    }
    pub fn connect(&self) -> &ConnectResponse {
        match self {
            Frame::Connect(c) => c,
            Frame::Reply { .. } => panic!("expected a ConnectResponse, got {self:?}"),
        }
    }
}

/// Decodes a record that must fill `b`.
pub fn decode<T: Jute>(b: &[u8]) -> T {
    T::from_bytes(b)
        .unwrap_or_else(|e| panic!("decode {}: {e} ({})", std::any::type_name::<T>(), hex(b)))
}

pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

pub fn open_acl() -> Vec<Acl> {
    perms::open_acl_unsafe()
}

pub fn create_req(path: &str, data: &[u8], flags: i32) -> CreateRequest {
    CreateRequest {
        path: path.to_owned(),
        data: Some(Bytes::copy_from_slice(data)),
        acl: open_acl(),
        flags,
    }
}

/// The server plus a fake driver.
pub struct Harness {
    pub core: ServerCore,
    pub now: Clock,
    /// Call `handle_committed` as soon as a txn is persisted.
    pub auto_commit: bool,
    /// Every txn persisted, in order.
    pub persisted: Vec<TxnEntry>,
    /// Persisted but not yet committed (only when `auto_commit` is off).
    pub uncommitted: VecDeque<i64>,
    /// Frames received per connection, not yet taken.
    pub inbox: BTreeMap<ConnId, VecDeque<Frame>>,
    /// Connections the core closed.
    pub closed: BTreeSet<ConnId>,
    connected: BTreeSet<ConnId>,
    next_conn: ConnId,
}

pub const START_MONO: u64 = 0x06_b4b7;
pub const START_WALL: i64 = 1_795_296_235_400;

impl Harness {
    pub fn new(config: CoreConfig) -> Self {
        let now = Clock {
            mono_ms: START_MONO,
            wall_ms: START_WALL,
        };
        Harness {
            core: ServerCore::new(config, now),
            now,
            auto_commit: true,
            persisted: Vec::new(),
            uncommitted: VecDeque::new(),
            inbox: BTreeMap::new(),
            closed: BTreeSet::new(),
            connected: BTreeSet::new(),
            next_conn: 1,
        }
    }

    pub fn default_config() -> CoreConfig {
        CoreConfig::default()
    }

    /// Moves both clocks forward.
    pub fn advance(&mut self, ms: u64) {
        self.now.mono_ms += ms;
        self.now.wall_ms += ms as i64;
    }

    pub fn set_wall(&mut self, wall: i64) {
        self.now.wall_ms = wall;
    }

    /// Applies every output; commits persisted txns when `auto_commit`.
    pub fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(o) = self.core.poll_output() {
                progressed = true;
                match o {
                    Output::Send { conn, frame } => self.receive(conn, &frame),
                    Output::Close { conn } => {
                        self.closed.insert(conn);
                        self.core.handle_connection_closed(conn);
                    }
                    Output::Persist { entry } => {
                        // The entry must survive an encode/decode round trip (a closeSession
                        // body is only read back with the server's closeSessionTxn setting).
                        let bytes = entry.encode();
                        let close_body = self.core.config().close_session_txn_enabled;
                        assert_eq!(
                            TxnEntry::decode_with(&bytes, close_body).expect("txn decodes"),
                            entry
                        );
                        self.uncommitted.push_back(entry.header.zxid);
                        self.persisted.push(entry);
                    }
                    // A leader's own client's sync waits for the ZAB engine, which answers it
                    // after a quorum round; with no other member that is at once.
                    Output::Forward { op, .. }
                        if op == zkrs_jute::OpCode::Sync.code()
                            && self.core.role() == zkrs_session::CoreRole::Leader =>
                    {
                        let now = self.now;
                        self.core.handle_sync_answered(now);
                    }
                    // Quorum outputs: a standalone core never emits them.
                    other => panic!("standalone core emitted {other:?}"),
                }
            }
            if self.auto_commit {
                if let Some(&z) = self.uncommitted.back() {
                    self.uncommitted.clear();
                    self.core.handle_committed(z, self.now);
                    progressed = true;
                }
            }
            if !progressed {
                break;
            }
        }
    }

    /// Commits everything persisted so far (for tests that turn `auto_commit` off).
    pub fn commit_all(&mut self) {
        if let Some(&z) = self.uncommitted.back() {
            self.uncommitted.clear();
            self.core.handle_committed(z, self.now);
        }
        self.pump();
    }

    /// Commits up to and including `zxid`.
    pub fn commit_to(&mut self, zxid: i64) {
        while self.uncommitted.front().is_some_and(|z| *z <= zxid) {
            self.uncommitted.pop_front();
        }
        self.core.handle_committed(zxid, self.now);
        self.pump();
    }

    fn receive(&mut self, conn: ConnId, frame: &[u8]) {
        let len = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
        assert_eq!(len + 4, frame.len(), "length prefix");
        let payload = &frame[4..];
        let f = if self.connected.insert(conn) {
            Frame::Connect(decode(payload))
        } else {
            let mut r = JuteReader::new(payload);
            let header = ReplyHeader::read_from(&mut r).expect("reply header");
            Frame::Reply {
                header,
                body: Bytes::copy_from_slice(r.rest()),
            }
        };
        self.inbox.entry(conn).or_default().push_back(f);
    }

    /// Accepts a connection from `remote`.
    pub fn open_from(&mut self, remote: &str) -> ConnId {
        let conn = self.next_conn;
        self.next_conn += 1;
        let addr: SocketAddr = remote.parse().expect("socket address");
        self.core.handle_connection_opened(conn, addr);
        conn
    }

    /// Sends a ConnectRequest and returns the frames received.
    pub fn connect_raw(&mut self, conn: ConnId, req: ConnectRequest) -> Vec<Frame> {
        self.core.handle_connect(conn, req, self.now);
        self.pump();
        self.take(conn)
    }

    /// A new session from 127.0.0.1 with a 30 s timeout and the readOnly byte.
    pub fn session(&mut self) -> Client {
        self.session_from("127.0.0.1:40000", 30000)
    }

    pub fn session_from(&mut self, remote: &str, timeout: i32) -> Client {
        let conn = self.open_from(remote);
        let frames = self.connect_raw(
            conn,
            ConnectRequest {
                protocol_version: 0,
                last_zxid_seen: 0,
                time_out: timeout,
                session_id: 0,
                passwd: Bytes::from(vec![0u8; 16]),
                read_only: Some(false),
            },
        );
        assert_eq!(frames.len(), 1, "one ConnectResponse: {frames:?}");
        let resp = frames[0].connect().clone();
        assert!(resp.session_id != 0);
        Client {
            conn,
            xid: 0,
            session_id: resp.session_id,
            passwd: resp.passwd.clone(),
            timeout: resp.time_out,
        }
    }

    /// Reconnects an existing session on a new connection.
    pub fn reconnect(
        &mut self,
        session_id: i64,
        passwd: &[u8],
        last_zxid: i64,
    ) -> (ConnId, Vec<Frame>) {
        let conn = self.open_from("127.0.0.1:40001");
        let frames = self.connect_raw(
            conn,
            ConnectRequest {
                protocol_version: 0,
                last_zxid_seen: last_zxid,
                time_out: 30000,
                session_id,
                passwd: Bytes::copy_from_slice(passwd),
                read_only: Some(false),
            },
        );
        (conn, frames)
    }

    /// Frames received on `conn` so far.
    pub fn take(&mut self, conn: ConnId) -> Vec<Frame> {
        self.inbox
            .get_mut(&conn)
            .map(|q| q.drain(..).collect())
            .unwrap_or_default()
    }

    /// Sends a request with an explicit xid without pumping.
    pub fn send(&mut self, conn: ConnId, xid: i32, req: &Request) {
        let mut body = Vec::new();
        req.write_body(&mut body);
        self.send_raw(conn, xid, req.op().code(), &body);
    }

    /// Sends an encoded body under any opcode, decoding it as the frame decoder would.
    pub fn send_raw(&mut self, conn: ConnId, xid: i32, op: i32, body: &[u8]) {
        let mut r = JuteReader::new(body);
        let request = Request::decode(op, &mut r);
        self.core
            .handle_request(conn, RequestHeader { xid, r#type: op }, request, self.now);
    }

    pub fn is_closed(&self, conn: ConnId) -> bool {
        self.closed.contains(&conn)
    }

    /// The last txn persisted.
    pub fn last_txn(&self) -> &TxnEntry {
        self.persisted.last().expect("a txn")
    }
}

/// One session's client side.
#[derive(Debug, Clone)]
pub struct Client {
    pub conn: ConnId,
    pub xid: i32,
    pub session_id: i64,
    pub passwd: Bytes,
    pub timeout: i32,
}

impl Client {
    /// Sends `req` with the next xid, pumps, and returns every frame received (notifications
    /// then the reply). Asserts the last frame answers this xid.
    pub fn call(&mut self, h: &mut Harness, req: Request) -> Vec<Frame> {
        self.xid += 1;
        let xid = self.xid;
        h.send(self.conn, xid, &req);
        h.pump();
        let frames = h.take(self.conn);
        let last = frames
            .last()
            .unwrap_or_else(|| panic!("no reply to {req:?}"));
        let want = if matches!(req, Request::Ping) {
            -2
        } else {
            xid
        };
        assert_eq!(last.xid(), want, "reply xid for {req:?}: {frames:?}");
        frames
    }

    /// As `call`, returning only the reply.
    pub fn req(&mut self, h: &mut Harness, req: Request) -> Frame {
        self.call(h, req).pop().expect("reply")
    }

    /// Sends with an explicit xid; returns all frames.
    pub fn call_xid(&mut self, h: &mut Harness, xid: i32, req: Request) -> Vec<Frame> {
        h.send(self.conn, xid, &req);
        h.pump();
        h.take(self.conn)
    }

    pub fn create(&mut self, h: &mut Harness, path: &str, data: &[u8], flags: i32) -> Frame {
        self.req(h, Request::Create(create_req(path, data, flags)))
    }

    pub fn create_ok(&mut self, h: &mut Harness, path: &str, data: &[u8], flags: i32) -> String {
        let f = self.create(h, path, data, flags);
        assert_eq!(f.err(), 0, "create {path}: {f:?}");
        decode::<zkrs_jute::CreateResponse>(f.body()).path
    }

    pub fn stat(&mut self, h: &mut Harness, path: &str) -> Option<Stat> {
        let f = self.req(
            h,
            Request::Exists(zkrs_jute::ExistsRequest {
                path: path.to_owned(),
                watch: false,
            }),
        );
        if f.err() == 0 {
            Some(decode::<zkrs_jute::ExistsResponse>(f.body()).stat)
        } else {
            None
        }
    }
}
