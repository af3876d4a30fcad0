//! [`Driver`]: runs a [`Program`] against one server and records a [`Transcript`].
//!
//! Single-threaded and one request in flight at a time. After every step each *other* live
//! session sends a barrier request (by default `exists / false`, which goes through ZooKeeper's
//! request pipeline behind every earlier write) and everything it receives up to the barrier's
//! reply is recorded. So every notification a step caused is attributed to that step, and its
//! position relative to the receiving session's own replies is kept. Every wait is bounded.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use zkrs_jute::{
    ConnectRequest, ConnectResponse, Create2Response, CreateResponse, ErrorResponse, ExistsRequest,
    ExistsResponse, GetAclResponse, GetAllChildrenNumberResponse, GetChildren2Response,
    GetChildrenResponse, GetDataResponse, GetEphemeralsResponse, Jute, MultiResponse, MultiResult,
    OpCode, ReplyHeader, Request, RequestHeader, SetAclResponse, SetDataResponse, SetWatches2,
    SyncResponse, WatcherEvent, WhoAmIResponse,
};

use crate::conn::{Conn, Incoming};
use crate::generator::Program;
use crate::normalize::{Normalizer, ZxidMode};
use crate::step::{describe_action, show_data, Action};
use crate::transcript::{StepRecord, Transcript};

/// How the driver waits for notifications caused by a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Barrier {
    /// `exists("/", false)`: a read, ordered after earlier writes by ZooKeeper's guarantee that a
    /// client sees a watch event before it sees data that follows the change.
    Exists,
    /// A ping (xid -2): ordered the same way in ZooKeeper 3.8, which runs pings through the
    /// request pipeline, but not a documented guarantee.
    Ping,
}

/// Driver settings.
#[derive(Debug, Clone)]
pub struct DriverConfig {
    pub zxid_mode: ZxidMode,
    pub barrier: Barrier,
    /// Bound for a reply (and for a connect).
    pub reply_timeout: Duration,
    /// Bound for the server to close the socket after closeSession or AUTHFAILED.
    pub close_timeout: Duration,
    /// Requested session timeout.
    pub session_timeout_ms: i32,
    /// Node data that is a dynamic configuration (`server.N=host:port:port...;host:port` lines,
    /// as `/zookeeper/config` holds on an ensemble member) is printed with every port as `P`
    /// (see [`mask_config_ports`]): two ensembles on one host cannot have the same ports.
    pub mask_config_ports: bool,
}

impl Default for DriverConfig {
    fn default() -> Self {
        DriverConfig {
            zxid_mode: ZxidMode::Offset,
            barrier: Barrier::Exists,
            reply_timeout: Duration::from_secs(5),
            close_timeout: Duration::from_secs(3),
            session_timeout_ms: 30_000,
            mask_config_ports: false,
        }
    }
}

/// If `data` is a dynamic configuration (it starts with `server.`), the same text with each
/// run of digits that follows a `:` replaced by `P` (`server.1=127.0.0.1:P:P:participant;
/// 127.0.0.1:P`); anything else unchanged. The length is not changed in the Stat (both
/// sides' ports must have as many digits for `dataLength` to agree: tests/quorum/ensemble.py
/// hands out ports in 10000-32767).
pub fn mask_config_ports(data: Option<&[u8]>) -> Option<std::borrow::Cow<'_, [u8]>> {
    let d = data?;
    if !d.starts_with(b"server.") {
        return Some(std::borrow::Cow::Borrowed(d));
    }
    let mut out = Vec::with_capacity(d.len());
    let mut i = 0;
    while i < d.len() {
        out.push(d[i]);
        if d[i] == b':' && d.get(i + 1).is_some_and(u8::is_ascii_digit) {
            out.push(b'P');
            i += 1;
            while d.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    Some(std::borrow::Cow::Owned(out))
}

/// One session slot on this server.
#[derive(Debug, Default)]
struct Slot {
    conn: Option<Conn>,
    session_id: i64,
    passwd: Bytes,
    last_zxid: i64,
    next_xid: i32,
}

impl Slot {
    fn xid(&mut self) -> i32 {
        self.next_xid += 1;
        self.next_xid
    }
}

/// What reading up to a reply produced.
enum Reply {
    Got { err: i32, body: Vec<u8> },
    Lost,
}

/// Executes programs against one server address.
#[derive(Debug)]
pub struct Driver {
    addr: SocketAddr,
    cfg: DriverConfig,
    slots: Vec<Slot>,
    norm: Normalizer,
    last_created: Option<String>,
}

fn event_name(t: i32) -> String {
    match t {
        -1 => "None".into(),
        1 => "NodeCreated".into(),
        2 => "NodeDeleted".into(),
        3 => "NodeDataChanged".into(),
        4 => "NodeChildrenChanged".into(),
        5 => "DataWatchRemoved".into(),
        6 => "ChildWatchRemoved".into(),
        7 => "PersistentWatchRemoved".into(),
        other => format!("type{other}"),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Driver {
    /// A driver for the server at `addr`.
    pub fn new(addr: SocketAddr, cfg: DriverConfig) -> Self {
        let norm = Normalizer::new(cfg.zxid_mode);
        Driver {
            addr,
            cfg,
            slots: Vec::new(),
            norm,
            last_created: None,
        }
    }

    /// Runs `program` from a clean driver state and returns the transcript.
    pub fn run(mut self, program: &Program, label: &str) -> Transcript {
        self.slots = (0..program.sessions).map(|_| Slot::default()).collect();
        let started = Instant::now();
        let mut t = Transcript {
            label: label.to_string(),
            notes: vec![
                format!("server {label} at {}", self.addr),
                format!(
                    "seed {} root {} sessions {} steps {}",
                    program.seed,
                    program.root,
                    program.sessions,
                    program.steps.len()
                ),
            ],
            steps: Vec::with_capacity(program.steps.len()),
        };
        for (i, step) in program.steps.iter().enumerate() {
            let action = step.resolved(self.last_created.as_deref());
            let mut rec = StepRecord {
                header: format!("#{i:04} s{} {}", step.slot, describe_action(&action)),
                lines: Vec::new(),
            };
            let ended = self.exec(step.slot, &action, &mut rec.lines);
            self.barrier(step.slot, &mut rec.lines);
            if ended {
                rec.sort_event_runs();
            }
            t.steps.push(rec);
        }
        for slot in &mut self.slots {
            if let Some(c) = slot.conn.take() {
                c.shutdown();
            }
        }
        t.notes.push(format!(
            "base zxid {:#x}",
            self.norm.base().unwrap_or_default()
        ));
        t.notes
            .push(format!("elapsed {} ms", started.elapsed().as_millis()));
        t
    }

    /// Runs one action; returns true if it ended a session.
    fn exec(&mut self, slot: usize, action: &Action, out: &mut Vec<String>) -> bool {
        match action {
            Action::Open => {
                self.open(slot, out);
                false
            }
            Action::Close => {
                self.close(slot, out);
                true
            }
            Action::Reconnect { watches, zxid_back } => {
                self.reconnect(slot, watches, *zxid_back, out);
                false
            }
            Action::Send(req) => self.send(slot, req, out),
        }
    }

    fn deadline(&self) -> Instant {
        Instant::now() + self.cfg.reply_timeout
    }

    /// Connects slot `slot`, with `session` 0 for a new session; returns the response.
    fn handshake(
        &mut self,
        slot: usize,
        session: i64,
        passwd: Bytes,
        last_zxid: i64,
        out: &mut Vec<String>,
    ) -> Option<ConnectResponse> {
        let mut conn = match Conn::connect(self.addr, self.cfg.reply_timeout) {
            Ok(c) => c,
            Err(e) => {
                out.push(format!("s{slot} connect failed: {}", e.kind()));
                return None;
            }
        };
        let req = ConnectRequest {
            protocol_version: 0,
            last_zxid_seen: last_zxid,
            time_out: self.cfg.session_timeout_ms,
            session_id: session,
            passwd,
            read_only: Some(false),
        };
        if let Err(e) = conn.send(&req.to_bytes()) {
            out.push(format!("s{slot} connect send failed: {}", e.kind()));
            return None;
        }
        match conn.recv(self.deadline()) {
            Ok(Incoming::Frame(f)) => match ConnectResponse::from_bytes(&f) {
                Ok(r) => {
                    self.slots[slot].conn = Some(conn);
                    Some(r)
                }
                Err(_) => {
                    out.push(format!("s{slot} bad ConnectResponse {}", hex(&f)));
                    None
                }
            },
            Ok(Incoming::Eof) => {
                out.push(format!("s{slot} connect: EOF"));
                None
            }
            Ok(Incoming::Timeout) => {
                out.push(format!("s{slot} connect: TIMEOUT"));
                None
            }
            Err(e) => {
                out.push(format!("s{slot} connect: {}", e.kind()));
                None
            }
        }
    }

    fn open(&mut self, slot: usize, out: &mut Vec<String>) {
        if self.slots[slot].conn.is_some() {
            // The program believed this slot closed (a failed auth that did not close it):
            // end that session properly so nothing is left to expire on a timer.
            out.push(format!("s{slot} still connected: closing first"));
            self.close(slot, out);
        }
        let Some(r) = self.handshake(slot, 0, Bytes::from_static(&[0u8; 16]), 0, out) else {
            return;
        };
        let s = &mut self.slots[slot];
        s.session_id = r.session_id;
        s.passwd = r.passwd.clone();
        s.last_zxid = 0;
        s.next_xid = 0;
        let k = if r.session_id != 0 {
            format!("#{}", self.norm.add_session(r.session_id))
        } else {
            "0".to_string()
        };
        out.push(format!(
            "s{slot} connected session={k} timeout={} ro={:?} passwd_len={} proto={}",
            r.time_out,
            r.read_only,
            r.passwd.len(),
            r.protocol_version
        ));
    }

    /// Sends `req` with `xid` on `slot` and reads until the reply with that xid, recording
    /// every notification on the way.
    fn exchange(
        &mut self,
        slot: usize,
        xid: i32,
        req: &Request,
        record_reply: bool,
        out: &mut Vec<String>,
    ) -> Reply {
        let mut payload = RequestHeader {
            xid,
            r#type: req.op().code(),
        }
        .to_bytes();
        req.write_body(&mut payload);
        let deadline = self.deadline();
        let Some(conn) = self.slots[slot].conn.as_mut() else {
            out.push(format!("s{slot} not connected"));
            return Reply::Lost;
        };
        if let Err(e) = conn.send(&payload) {
            out.push(format!("s{slot} send failed: {}", e.kind()));
            self.drop_conn(slot);
            return Reply::Lost;
        }
        loop {
            let Some(conn) = self.slots[slot].conn.as_mut() else {
                return Reply::Lost;
            };
            let frame = match conn.recv(deadline) {
                Ok(Incoming::Frame(f)) => f,
                Ok(Incoming::Eof) => {
                    out.push(format!("s{slot} EOF"));
                    self.drop_conn(slot);
                    return Reply::Lost;
                }
                Ok(Incoming::Timeout) => {
                    out.push(format!("s{slot} TIMEOUT"));
                    self.drop_conn(slot);
                    return Reply::Lost;
                }
                Err(e) => {
                    out.push(format!("s{slot} read error: {}", e.kind()));
                    self.drop_conn(slot);
                    return Reply::Lost;
                }
            };
            if frame.len() < 16 {
                out.push(format!("s{slot} short frame {}", hex(&frame)));
                continue;
            }
            let (h, body) = frame.split_at(16);
            let Ok(h) = ReplyHeader::from_bytes(h) else {
                continue;
            };
            match h.xid {
                -1 => out.push(self.render_event(slot, h.zxid, body)),
                -2 if xid != -2 => {}
                x if x == xid => {
                    if h.zxid > 0 {
                        let s = &mut self.slots[slot];
                        s.last_zxid = s.last_zxid.max(h.zxid);
                    }
                    if record_reply {
                        self.norm.observe_base(h.zxid);
                        let z = self.norm.zxid(h.zxid);
                        let b = self.render_body(req, body);
                        out.push(format!("s{slot} reply err={} zxid={z}{b}", h.err));
                    }
                    return Reply::Got {
                        err: h.err,
                        body: body.to_vec(),
                    };
                }
                other => {
                    let z = self.norm.zxid(h.zxid);
                    out.push(format!(
                        "s{slot} unexpected xid={other} err={} zxid={z} body={}",
                        h.err,
                        hex(body)
                    ));
                }
            }
        }
    }

    fn render_event(&mut self, slot: usize, zxid: i64, body: &[u8]) -> String {
        let z = self.norm.zxid(zxid);
        match WatcherEvent::from_bytes(body) {
            Ok(e) => format!(
                "s{slot} event {} state={} {} zxid={z}",
                event_name(e.r#type),
                e.state,
                e.path
            ),
            Err(_) => format!("s{slot} event undecodable {}", hex(body)),
        }
    }

    fn drop_conn(&mut self, slot: usize) {
        if let Some(c) = self.slots[slot].conn.take() {
            c.shutdown();
        }
    }

    /// Waits for the server to close `slot`'s socket, recording frames; then drops it.
    fn await_close(&mut self, slot: usize, out: &mut Vec<String>) {
        let deadline = Instant::now() + self.cfg.close_timeout;
        loop {
            let Some(conn) = self.slots[slot].conn.as_mut() else {
                return;
            };
            match conn.recv(deadline) {
                Ok(Incoming::Frame(f)) => {
                    if f.len() >= 16 {
                        let (h, body) = f.split_at(16);
                        if let Ok(h) = ReplyHeader::from_bytes(h) {
                            if h.xid == -1 {
                                let l = self.render_event(slot, h.zxid, body);
                                out.push(l);
                                continue;
                            }
                        }
                    }
                    out.push(format!("s{slot} frame after close {}", hex(&f)));
                }
                Ok(Incoming::Eof) => {
                    out.push(format!("s{slot} closed by server"));
                    break;
                }
                Ok(Incoming::Timeout) => {
                    out.push(format!("s{slot} still open after close"));
                    break;
                }
                Err(e) => {
                    out.push(format!("s{slot} close read error: {}", e.kind()));
                    break;
                }
            }
        }
        self.drop_conn(slot);
    }

    fn close(&mut self, slot: usize, out: &mut Vec<String>) {
        if self.slots[slot].conn.is_none() {
            out.push(format!("s{slot} not connected"));
            return;
        }
        let xid = self.slots[slot].xid();
        if let Reply::Got { .. } = self.exchange(slot, xid, &Request::CloseSession, true, out) {
            self.await_close(slot, out);
        }
    }

    /// Sends one request; returns true if the step ended the session (failed auth).
    fn send(&mut self, slot: usize, req: &Request, out: &mut Vec<String>) -> bool {
        let is_auth = matches!(req, Request::Auth(_));
        let xid = if is_auth {
            zkrs_jute::xid::AUTH
        } else {
            self.slots[slot].xid()
        };
        let reply = self.exchange(slot, xid, req, true, out);
        match reply {
            Reply::Got { err: 0, body } => {
                self.note_created(req, &body);
                false
            }
            Reply::Got { .. } if is_auth => {
                // AUTHFAILED: ZooKeeper closes the connection but keeps the session. Reattach
                // and close it so no session is left to expire at a random time.
                self.await_close(slot, out);
                let s = &self.slots[slot];
                let (id, pw, lz) = (s.session_id, s.passwd.clone(), s.last_zxid);
                if let Some(r) = self.handshake(slot, id, pw, lz, out) {
                    out.push(format!(
                        "s{slot} reattached same_session={} timeout={}",
                        r.session_id == id,
                        r.time_out
                    ));
                    self.close(slot, out);
                }
                true
            }
            _ => false,
        }
    }

    fn note_created(&mut self, req: &Request, body: &[u8]) {
        match req {
            Request::Create(_) => {
                if let Ok(r) = CreateResponse::from_bytes(body) {
                    self.last_created = Some(r.path);
                }
            }
            Request::Create2(_) | Request::CreateTtl(_) | Request::CreateContainer(_) => {
                if let Ok(r) = Create2Response::from_bytes(body) {
                    self.last_created = Some(r.path);
                }
            }
            Request::Multi(_) => {
                if let Ok(m) = MultiResponse::from_bytes(body) {
                    for r in m.results {
                        match r {
                            MultiResult::Create(c) => self.last_created = Some(c.path),
                            MultiResult::Create2(c) => self.last_created = Some(c.path),
                            _ => {}
                        }
                    }
                }
            }
            _ => {}
        }
    }

    fn reconnect(
        &mut self,
        slot: usize,
        watches: &SetWatches2,
        zxid_back: i64,
        out: &mut Vec<String>,
    ) {
        self.drop_conn(slot);
        let s = &self.slots[slot];
        let (id, pw, lz) = (s.session_id, s.passwd.clone(), s.last_zxid);
        let Some(r) = self.handshake(slot, id, pw, lz, out) else {
            return;
        };
        out.push(format!(
            "s{slot} reattached same_session={} timeout={}",
            r.session_id == id,
            r.time_out
        ));
        if r.session_id != id {
            self.drop_conn(slot);
            return;
        }
        let mut sw = watches.clone();
        sw.relative_zxid = (lz - zxid_back).max(0);
        let req = Request::SetWatches2(sw);
        self.exchange(slot, zkrs_jute::xid::SET_WATCHES, &req, true, out);
    }

    /// Flushes the notifications every other live session has pending.
    fn barrier(&mut self, except: usize, out: &mut Vec<String>) {
        for slot in 0..self.slots.len() {
            if slot == except || self.slots[slot].conn.is_none() {
                continue;
            }
            let (xid, req) = match self.cfg.barrier {
                Barrier::Exists => (
                    self.slots[slot].xid(),
                    Request::Exists(ExistsRequest {
                        path: "/".to_string(),
                        watch: false,
                    }),
                ),
                Barrier::Ping => (zkrs_jute::xid::PING, Request::Ping),
            };
            let mut lines = Vec::new();
            let r = self.exchange(slot, xid, &req, false, &mut lines);
            if let Reply::Lost = r {
                lines.push(format!("s{slot} lost during barrier"));
            }
            out.extend(lines);
        }
    }

    /// Node data as text ([`show_data`]), ports masked if so configured.
    fn show_data(&self, data: Option<&[u8]>) -> String {
        if self.cfg.mask_config_ports {
            show_data(mask_config_ports(data).as_deref())
        } else {
            show_data(data)
        }
    }

    /// The reply body as text, decoded by the request's type.
    fn render_body(&mut self, req: &Request, body: &[u8]) -> String {
        if body.is_empty() {
            return String::new();
        }
        let s = self.decode_body(req, body);
        match s {
            Some(s) => format!(" {s}"),
            None => format!(" undecodable={}", hex(body)),
        }
    }

    fn decode_body(&mut self, req: &Request, body: &[u8]) -> Option<String> {
        Some(match req.op() {
            OpCode::Create => CreateResponse::from_bytes(body).ok()?.path,
            OpCode::Create2 | OpCode::CreateTtl | OpCode::CreateContainer => {
                let r = Create2Response::from_bytes(body).ok()?;
                format!("{} {}", r.path, self.norm.stat(&r.stat))
            }
            OpCode::Exists => self.norm.stat(&ExistsResponse::from_bytes(body).ok()?.stat),
            OpCode::GetData | OpCode::Reconfig => {
                let r = GetDataResponse::from_bytes(body).ok()?;
                format!(
                    "{} {}",
                    self.show_data(r.data.as_deref()),
                    self.norm.stat(&r.stat)
                )
            }
            OpCode::SetData | OpCode::Check => self
                .norm
                .stat(&SetDataResponse::from_bytes(body).ok()?.stat),
            OpCode::GetAcl => {
                let r = GetAclResponse::from_bytes(body).ok()?;
                format!("{} {}", self.norm.acl(&r.acl), self.norm.stat(&r.stat))
            }
            OpCode::SetAcl => self.norm.stat(&SetAclResponse::from_bytes(body).ok()?.stat),
            OpCode::GetChildren => self
                .norm
                .sorted(&GetChildrenResponse::from_bytes(body).ok()?.children),
            OpCode::GetChildren2 => {
                let r = GetChildren2Response::from_bytes(body).ok()?;
                format!(
                    "{} {}",
                    self.norm.sorted(&r.children),
                    self.norm.stat(&r.stat)
                )
            }
            OpCode::Sync => format!("path={}", SyncResponse::from_bytes(body).ok()?.path),
            OpCode::Multi | OpCode::MultiRead => {
                let r = MultiResponse::from_bytes(body).ok()?;
                let parts: Vec<String> =
                    r.results.iter().map(|res| self.multi_result(res)).collect();
                format!("[{}]", parts.join(" ; "))
            }
            OpCode::GetAllChildrenNumber => format!(
                "n={}",
                GetAllChildrenNumberResponse::from_bytes(body)
                    .ok()?
                    .total_number
            ),
            OpCode::GetEphemerals => self
                .norm
                .sorted(&GetEphemeralsResponse::from_bytes(body).ok()?.ephemerals),
            OpCode::AddWatch => format!("err={}", ErrorResponse::from_bytes(body).ok()?.err),
            OpCode::WhoAmI => {
                let r = WhoAmIResponse::from_bytes(body).ok()?;
                let v: Vec<(String, String)> = r
                    .client_info
                    .into_iter()
                    .map(|c| (c.auth_scheme, c.user))
                    .collect();
                self.norm.client_infos(&v)
            }
            _ => return None,
        })
    }

    fn multi_result(&mut self, r: &MultiResult) -> String {
        match r {
            MultiResult::Create(c) => format!("create {}", c.path),
            MultiResult::Create2(c) => format!("create2 {} {}", c.path, self.norm.stat(&c.stat)),
            MultiResult::Delete => "delete".to_string(),
            MultiResult::SetData(s) => format!("setData {}", self.norm.stat(&s.stat)),
            MultiResult::Check => "check".to_string(),
            MultiResult::GetChildren(c) => format!("children {}", self.norm.sorted(&c.children)),
            MultiResult::GetData(d) => format!(
                "data {} {}",
                self.show_data(d.data.as_deref()),
                self.norm.stat(&d.stat)
            ),
            MultiResult::Error(e) => format!("error {e}"),
        }
    }
}
