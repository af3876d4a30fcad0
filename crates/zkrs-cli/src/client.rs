//! [`Client`]: one ZooKeeper session, as `ClientCnxn` keeps it: a connection thread connects to
//! the hosts of the connect string in turn, keeps the session across reconnects (session id and
//! password, SetWatches, auth packets), pings every `timeout/3`, reads replies and watch events;
//! callers block in [`Client::call`] until their reply arrives. A malformed frame from the server
//! closes the connection with an error on stderr and the client reconnects.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use zkrs_jute::{
    ConnectRequest, ConnectResponse, EventType, Jute, JuteReader, KeeperState, OpCode, ReplyHeader,
    RequestHeader, SetWatches, SetWatches2, WatcherEvent,
};

use crate::hosts::{random_u64, ConnectString};
use crate::watches::{WatchReg, WatchRegistry};

/// The largest frame accepted from a server (`jute.maxbuffer` default plus room).
const MAX_FRAME: usize = 4 << 20;
const CONNECTION_LOSS: i32 = -4;
const SESSION_EXPIRED: i32 = -112;
const AUTH_FAILED: i32 = -115;

/// `ZooKeeper.States`, as the prompt shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Connecting,
    Connected,
    ConnectedReadOnly,
    Closed,
    AuthFailed,
}

impl Phase {
    /// `States.toString()`.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Connecting => "CONNECTING",
            Phase::Connected => "CONNECTED",
            Phase::ConnectedReadOnly => "CONNECTEDREADONLY",
            Phase::Closed => "CLOSED",
            Phase::AuthFailed => "AUTH_FAILED",
        }
    }

    /// `States.isAlive()`.
    pub fn is_alive(self) -> bool {
        !matches!(self, Phase::Closed | Phase::AuthFailed)
    }
}

/// A reply: its header and the bytes after it.
pub type Reply = (ReplyHeader, Vec<u8>);

struct Pending {
    tx: Sender<Result<Reply, i32>>,
    reg: WatchReg,
}

struct ConnState {
    phase: Phase,
    writer: Option<TcpStream>,
    session_id: i64,
    passwd: Vec<u8>,
    last_zxid: i64,
    seen_rw: bool,
    next_xid: i32,
    pending: HashMap<i32, Pending>,
    auth: Vec<(String, Option<Vec<u8>>)>,
    closing: bool,
    /// closeSession was sent: the server's hang-up is not a disconnection.
    closing_session: bool,
    last_send: Instant,
    /// Failed connection attempts so far: like `ClientCnxn.cleanup`, a failed attempt fails
    /// the requests queued while connecting (ConnectionLoss).
    failures: u64,
}

struct Shared {
    st: Mutex<ConnState>,
    cond: Condvar,
    watches: Mutex<WatchRegistry>,
    print_watches: Arc<AtomicBool>,
    cs: ConnectString,
    session_timeout: i32,
    read_only: bool,
}

/// A session with its connection thread.
pub struct Client {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Prints a watch event as `ZooKeeperMain.MyWatcher` does.
pub fn print_event(print: &AtomicBool, state: KeeperState, ty: EventType, path: Option<&str>) {
    if print.load(Ordering::SeqCst) {
        let mut out = io::stdout().lock();
        let _ = writeln!(
            out,
            "\nWATCHER::\n\nWatchedEvent state:{state:?} type:{ty:?} path:{}",
            path.unwrap_or("null")
        );
        let _ = out.flush();
    }
}

fn frame(parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(4 + len);
    out.extend_from_slice(&(len as i32).to_be_bytes());
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// `AuthPacket` with a possibly null `auth` buffer.
fn auth_packet(scheme: &str, auth: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    0i32.write_to(&mut out);
    scheme.to_string().write_to(&mut out);
    match auth {
        None => out.extend_from_slice(&(-1i32).to_be_bytes()),
        Some(a) => {
            out.extend_from_slice(&(a.len() as i32).to_be_bytes());
            out.extend_from_slice(a);
        }
    }
    out
}

/// Reads one frame; `Ok(None)` on timeout with nothing buffered for it.
fn read_frame(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    timeout: Duration,
) -> io::Result<Option<Vec<u8>>> {
    loop {
        if buf.len() >= 4 {
            let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
            if len < 0 || len as usize > MAX_FRAME {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("frame length {len} out of range"),
                ));
            }
            let len = len as usize;
            if buf.len() >= 4 + len {
                let f = buf[4..4 + len].to_vec();
                buf.drain(..4 + len);
                return Ok(Some(f));
            }
        }
        stream.set_read_timeout(Some(timeout.max(Duration::from_millis(1))))?;
        let mut tmp = [0u8; 16 * 1024];
        match stream.read(&mut tmp) {
            Ok(0) => {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "server closed the connection",
                ))
            }
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Ok(None)
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Why a connection ended.
enum End {
    /// Reconnect (the error is already reported where needed).
    Lost,
    /// The session is over (expired, auth failed, closed).
    Stop,
}

impl Client {
    /// Starts connecting to `cs` (returns at once, like `new ZooKeeper(...)`).
    pub fn start(
        cs: ConnectString,
        session_timeout: i32,
        read_only: bool,
        print_watches: Arc<AtomicBool>,
    ) -> Client {
        let shared = Arc::new(Shared {
            st: Mutex::new(ConnState {
                phase: Phase::Connecting,
                writer: None,
                session_id: 0,
                passwd: vec![0; 16],
                last_zxid: 0,
                seen_rw: false,
                next_xid: 1,
                pending: HashMap::new(),
                auth: Vec::new(),
                closing: false,
                closing_session: false,
                failures: 0,
                last_send: Instant::now(),
            }),
            cond: Condvar::new(),
            watches: Mutex::new(WatchRegistry::default()),
            print_watches,
            cs,
            session_timeout,
            read_only,
        });
        let s2 = shared.clone();
        let thread = std::thread::Builder::new()
            .name("zkcli-conn".into())
            .spawn(move || run(&s2))
            .ok();
        Client { shared, thread }
    }

    /// The state the prompt shows.
    pub fn phase(&self) -> Phase {
        lock(&self.shared.st).phase
    }

    /// Waits up to `timeout` for the first connection (`-waitforconnection`).
    pub fn wait_connected(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = lock(&self.shared.st);
        loop {
            if matches!(st.phase, Phase::Connected | Phase::ConnectedReadOnly) {
                return true;
            }
            let now = Instant::now();
            if now >= deadline || !st.phase.is_alive() {
                return false;
            }
            st = match self.shared.cond.wait_timeout(st, deadline - now) {
                Ok((g, _)) => g,
                Err(p) => p.into_inner().0,
            };
        }
    }

    /// The chroot-aware connect string.
    pub fn connect_string(&self) -> &ConnectString {
        &self.shared.cs
    }

    /// The watch tables (for removewatches).
    pub fn watches(&self) -> MutexGuard<'_, WatchRegistry> {
        lock(&self.shared.watches)
    }

    /// Whether watch events are printed.
    pub fn print_flag(&self) -> &AtomicBool {
        &self.shared.print_watches
    }

    /// Sends a request and waits for its reply; `Err` is the error code of a request that got
    /// no reply (connection loss, session expired).
    pub fn call(&self, op: OpCode, body: &[u8], reg: WatchReg) -> Result<Reply, i32> {
        let (tx, rx) = channel();
        {
            let mut st = lock(&self.shared.st);
            let failures = st.failures;
            loop {
                if st.failures != failures {
                    return Err(CONNECTION_LOSS);
                }
                match st.phase {
                    Phase::Connected | Phase::ConnectedReadOnly if st.writer.is_some() => break,
                    Phase::Closed | Phase::AuthFailed => return Err(SESSION_EXPIRED),
                    _ => {
                        st = match self.shared.cond.wait(st) {
                            Ok(g) => g,
                            Err(p) => p.into_inner(),
                        }
                    }
                }
            }
            let xid = st.next_xid;
            st.next_xid = st.next_xid.wrapping_add(1).max(1);
            let hdr = RequestHeader {
                xid,
                r#type: op.code(),
            }
            .to_bytes();
            let bytes = frame(&[&hdr, body]);
            st.pending.insert(xid, Pending { tx, reg });
            let ok = st
                .writer
                .as_mut()
                .is_some_and(|w| w.write_all(&bytes).is_ok());
            if !ok {
                st.pending.remove(&xid);
                if let Some(w) = &st.writer {
                    let _ = w.shutdown(Shutdown::Both);
                }
                return Err(CONNECTION_LOSS);
            }
            st.last_send = Instant::now();
        }
        rx.recv().unwrap_or(Err(CONNECTION_LOSS))
    }

    /// `addAuthInfo`: remembered for reconnects and sent now if connected (no reply awaited).
    pub fn add_auth(&self, scheme: &str, auth: Option<Vec<u8>>) {
        let mut st = lock(&self.shared.st);
        let pkt = auth_packet(scheme, auth.as_deref());
        st.auth.push((scheme.to_string(), auth));
        let hdr = RequestHeader {
            xid: zkrs_jute::xid::AUTH,
            r#type: OpCode::Auth.code(),
        }
        .to_bytes();
        if let Some(w) = st.writer.as_mut() {
            let _ = w.write_all(&frame(&[&hdr, &pkt]));
        }
        st.last_send = Instant::now();
    }

    /// `ZooKeeper.close()`: sends closeSession (waiting for the connection first, as Java's queued
    /// request does, but at most a session timeout), stops the thread, prints `Closed`.
    pub fn close(&mut self) {
        if !self.phase().is_alive() && self.thread.is_none() {
            return;
        }
        if self.phase().is_alive() {
            lock(&self.shared.st).closing_session = true;
            let _ = self.call_with_timeout(
                OpCode::CloseSession,
                Duration::from_millis(self.shared.session_timeout.max(1000) as u64),
            );
        }
        let was_alive;
        {
            let mut st = lock(&self.shared.st);
            was_alive = st.phase.is_alive();
            st.closing = true;
            st.phase = Phase::Closed;
            if let Some(w) = st.writer.take() {
                let _ = w.shutdown(Shutdown::Both);
            }
            for (_, p) in st.pending.drain() {
                let _ = p.tx.send(Err(CONNECTION_LOSS));
            }
            self.shared.cond.notify_all();
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        if was_alive {
            print_event(
                &self.shared.print_watches,
                KeeperState::Closed,
                EventType::None,
                None,
            );
        }
    }

    fn call_with_timeout(&self, op: OpCode, timeout: Duration) -> Result<(), i32> {
        let shared = self.shared.clone();
        let (tx, rx) = channel();
        std::thread::spawn(move || {
            let c = Client {
                shared,
                thread: None,
            };
            let r = c.call(op, &[], WatchReg::None).map(|_| ());
            let _ = tx.send(r);
        });
        rx.recv_timeout(timeout).unwrap_or(Err(CONNECTION_LOSS))
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        if self.thread.is_some() {
            let mut st = lock(&self.shared.st);
            st.closing = true;
            if let Some(w) = st.writer.take() {
                let _ = w.shutdown(Shutdown::Both);
            }
            self.shared.cond.notify_all();
        }
    }
}

/// Sleeps up to `d`, returning early (true) when the client is closing.
fn nap(s: &Shared, d: Duration) -> bool {
    let deadline = Instant::now() + d;
    let mut st = lock(&s.st);
    loop {
        if st.closing {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        st = match s.cond.wait_timeout(st, deadline - now) {
            Ok((g, _)) => g,
            Err(p) => p.into_inner().0,
        };
    }
}

/// A connection attempt failed: queued requests fail with ConnectionLoss.
fn attempt_failed(s: &Shared) {
    let mut st = lock(&s.st);
    st.failures += 1;
    s.cond.notify_all();
}

/// The connection thread.
fn run(s: &Shared) {
    let n = s.cs.hosts.len();
    let mut idx = 0usize;
    let mut first = true;
    let mut tried_in_cycle = 0usize;
    loop {
        if lock(&s.st).closing {
            return;
        }
        if !first {
            // ClientCnxn.startConnect: a random pause below a second before every retry.
            if nap(s, Duration::from_millis(random_u64() % 1000)) {
                return;
            }
        }
        if tried_in_cycle == n {
            // StaticHostProvider: after trying every host, wait a second.
            tried_in_cycle = 0;
            if nap(s, Duration::from_millis(1000)) {
                return;
            }
        }
        first = false;
        let (host, port) = s.cs.hosts[idx % n].clone();
        idx += 1;
        tried_in_cycle += 1;
        let timeout = s.session_timeout.max(1) as u64;
        let connect_timeout = Duration::from_millis((timeout / n as u64).max(1));
        let Some(addr) = (host.as_str(), port)
            .to_socket_addrs()
            .ok()
            .and_then(|mut a| a.next())
        else {
            attempt_failed(s);
            continue;
        };
        let Ok(mut stream) = TcpStream::connect_timeout(&addr, connect_timeout) else {
            attempt_failed(s);
            continue;
        };
        let _ = stream.set_nodelay(true);
        match session(s, &mut stream, connect_timeout) {
            End::Stop => return,
            End::Lost => {
                tried_in_cycle = 0;
                let mut st = lock(&s.st);
                st.writer = None;
                let was = st.phase;
                st.failures += 1;
                if st.closing || st.closing_session {
                    return;
                }
                if st.phase.is_alive() {
                    st.phase = Phase::Connecting;
                }
                for (_, p) in st.pending.drain() {
                    let _ = p.tx.send(Err(CONNECTION_LOSS));
                }
                s.cond.notify_all();
                drop(st);
                if matches!(was, Phase::Connected | Phase::ConnectedReadOnly) {
                    print_event(
                        &s.print_watches,
                        KeeperState::Disconnected,
                        EventType::None,
                        None,
                    );
                }
                if !was.is_alive() {
                    return;
                }
            }
        }
    }
}

/// Handshake and read loop on one TCP connection.
fn session(s: &Shared, stream: &mut TcpStream, connect_timeout: Duration) -> End {
    let (sid, passwd, last_zxid) = {
        let st = lock(&s.st);
        let sid = if st.seen_rw { st.session_id } else { 0 };
        (sid, st.passwd.clone(), st.last_zxid)
    };
    let req = ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: last_zxid,
        time_out: s.session_timeout,
        session_id: sid,
        passwd: bytes::Bytes::from(passwd),
        read_only: Some(s.read_only),
    };
    if stream.write_all(&frame(&[&req.to_bytes()])).is_err() {
        return End::Lost;
    }
    let mut buf = Vec::new();
    let resp = match read_frame(stream, &mut buf, connect_timeout) {
        Ok(Some(f)) => {
            let mut r = JuteReader::new(&f);
            match ConnectResponse::read_from(&mut r) {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("zkCli: malformed connect response from server: {e}; closing the connection");
                    return End::Lost;
                }
            }
        }
        _ => return End::Lost,
    };
    if resp.time_out <= 0 {
        let mut st = lock(&s.st);
        st.phase = Phase::Closed;
        for (_, p) in st.pending.drain() {
            let _ = p.tx.send(Err(SESSION_EXPIRED));
        }
        s.cond.notify_all();
        drop(st);
        print_event(
            &s.print_watches,
            KeeperState::Expired,
            EventType::None,
            None,
        );
        return End::Stop;
    }
    let negotiated = resp.time_out;
    let read_timeout = Duration::from_millis((negotiated as u64 * 2 / 3).max(1));
    let ro = resp.read_only == Some(true);
    {
        let mut st = lock(&s.st);
        if st.closing {
            return End::Stop;
        }
        st.session_id = resp.session_id;
        st.passwd = resp.passwd.to_vec();
        st.seen_rw |= !ro;
        // SetWatches, then the auth packets, before any queued request.
        let w = lock(&s.watches);
        let mut prelude = Vec::new();
        if !w.is_empty() {
            let map = |set: &std::collections::BTreeSet<String>| -> Vec<String> {
                set.iter().map(|p| s.cs.prepend(p)).collect()
            };
            let (op, body) = if w.persistent.is_empty() && w.persistent_recursive.is_empty() {
                (
                    OpCode::SetWatches,
                    SetWatches {
                        relative_zxid: st.last_zxid,
                        data_watches: map(&w.data),
                        exist_watches: map(&w.exist),
                        child_watches: map(&w.child),
                    }
                    .to_bytes(),
                )
            } else {
                (
                    OpCode::SetWatches2,
                    SetWatches2 {
                        relative_zxid: st.last_zxid,
                        data_watches: map(&w.data),
                        exist_watches: map(&w.exist),
                        child_watches: map(&w.child),
                        persistent_watches: map(&w.persistent),
                        persistent_recursive_watches: map(&w.persistent_recursive),
                    }
                    .to_bytes(),
                )
            };
            let hdr = RequestHeader {
                xid: zkrs_jute::xid::SET_WATCHES,
                r#type: op.code(),
            }
            .to_bytes();
            prelude.extend(frame(&[&hdr, &body]));
        }
        drop(w);
        for (scheme, auth) in &st.auth {
            let hdr = RequestHeader {
                xid: zkrs_jute::xid::AUTH,
                r#type: OpCode::Auth.code(),
            }
            .to_bytes();
            prelude.extend(frame(&[&hdr, &auth_packet(scheme, auth.as_deref())]));
        }
        if !prelude.is_empty() && stream.write_all(&prelude).is_err() {
            return End::Lost;
        }
    }
    // The event is printed before any queued request can be sent (Java's event thread prints it
    // while those requests are still on the wire).
    let state = if ro {
        KeeperState::ConnectedReadOnly
    } else {
        KeeperState::SyncConnected
    };
    print_event(&s.print_watches, state, EventType::None, None);
    {
        let mut st = lock(&s.st);
        if st.closing {
            return End::Stop;
        }
        st.writer = stream.try_clone().ok();
        st.phase = if ro {
            Phase::ConnectedReadOnly
        } else {
            Phase::Connected
        };
        st.last_send = Instant::now();
        s.cond.notify_all();
    }

    let mut last_recv = Instant::now();
    let ping_every = read_timeout / 2;
    loop {
        let now = Instant::now();
        let idle_recv = now - last_recv;
        if idle_recv >= read_timeout {
            return End::Lost;
        }
        {
            let mut st = lock(&s.st);
            if st.closing {
                return End::Stop;
            }
            let idle_send = now - st.last_send;
            if idle_send >= ping_every || idle_send > Duration::from_secs(10) {
                let hdr = RequestHeader {
                    xid: zkrs_jute::xid::PING,
                    r#type: OpCode::Ping.code(),
                }
                .to_bytes();
                if let Some(w) = st.writer.as_mut() {
                    if w.write_all(&frame(&[&hdr])).is_err() {
                        return End::Lost;
                    }
                }
                st.last_send = now;
            }
        }
        let wait = (read_timeout - idle_recv)
            .min(ping_every)
            .max(Duration::from_millis(5));
        match read_frame(stream, &mut buf, wait) {
            Ok(None) => continue,
            Ok(Some(f)) => {
                last_recv = Instant::now();
                if let Err(e) = dispatch(s, &f) {
                    if lock(&s.st).closing {
                        return End::Stop;
                    }
                    eprintln!("zkCli: malformed reply from server: {e}; closing the connection");
                    let _ = stream.shutdown(Shutdown::Both);
                    return End::Lost;
                }
                if !lock(&s.st).phase.is_alive() {
                    let _ = stream.shutdown(Shutdown::Both);
                    return End::Stop;
                }
            }
            Err(_) => {
                if lock(&s.st).closing {
                    return End::Stop;
                }
                return End::Lost;
            }
        }
    }
}

/// Handles one frame from the server.
fn dispatch(s: &Shared, f: &[u8]) -> Result<(), String> {
    let mut r = JuteReader::new(f);
    let hdr = ReplyHeader::read_from(&mut r).map_err(|e| e.to_string())?;
    match hdr.xid {
        -1 => {
            let ev = WatcherEvent::read_from(&mut r).map_err(|e| e.to_string())?;
            let ty = EventType::from_i32(ev.r#type)
                .ok_or_else(|| format!("unknown watch event type {}", ev.r#type))?;
            let path = s.cs.strip(&ev.path);
            let hit = lock(&s.watches).materialize(ty, &path);
            if hit {
                print_event(
                    &s.print_watches,
                    KeeperState::SyncConnected,
                    ty,
                    Some(&path),
                );
            }
        }
        -2 | -8 => {}
        -4 => {
            if hdr.err == AUTH_FAILED {
                let mut st = lock(&s.st);
                st.phase = Phase::AuthFailed;
                for (_, p) in st.pending.drain() {
                    let _ = p.tx.send(Err(AUTH_FAILED));
                }
                s.cond.notify_all();
                drop(st);
                print_event(
                    &s.print_watches,
                    KeeperState::AuthFailed,
                    EventType::None,
                    None,
                );
            }
        }
        xid => {
            let mut st = lock(&s.st);
            let p = st
                .pending
                .remove(&xid)
                .ok_or_else(|| format!("reply with unexpected xid {xid}"))?;
            if hdr.zxid > 0 {
                st.last_zxid = hdr.zxid;
            }
            drop(st);
            lock(&s.watches).register(&p.reg, hdr.err);
            let _ = p.tx.send(Ok((hdr, r.rest().to_vec())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    fn read_one(s: &mut TcpStream) -> Vec<u8> {
        let mut len = [0u8; 4];
        s.read_exact(&mut len).unwrap();
        let mut b = vec![0; i32::from_be_bytes(len) as usize];
        s.read_exact(&mut b).unwrap();
        b
    }

    /// A reply too short for its header closes the connection: the caller gets ConnectionLoss.
    #[test]
    fn malformed_reply_is_connection_loss() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let server = std::thread::spawn(move || {
            let (mut s, _) = l.accept().unwrap();
            let req = ConnectRequest::from_bytes(&read_one(&mut s)).unwrap();
            assert_eq!(req.time_out, 30000);
            let resp = ConnectResponse {
                protocol_version: 0,
                time_out: 30000,
                session_id: 7,
                passwd: bytes::Bytes::from(vec![0; 16]),
                read_only: Some(false),
            };
            s.write_all(&frame(&[&resp.to_bytes()])).unwrap();
            let _request = read_one(&mut s);
            s.write_all(&frame(&[&[1, 2, 3]])).unwrap();
            std::thread::sleep(Duration::from_millis(300));
        });
        let cs = ConnectString::parse(&format!("127.0.0.1:{port}")).unwrap();
        let c = Client::start(cs, 30000, false, Arc::new(AtomicBool::new(false)));
        let body = zkrs_jute::ExistsRequest {
            path: "/".into(),
            watch: false,
        }
        .to_bytes();
        let r = c.call(OpCode::Exists, &body, WatchReg::None);
        assert_eq!(r.err(), Some(CONNECTION_LOSS));
        server.join().unwrap();
    }
}
