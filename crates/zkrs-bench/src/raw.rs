//! The raw engine (`--client raw`, the default): one tokio task per session owning one TCP
//! connection, with the wire encodings of `wire.rs`, so the load generator costs little CPU per
//! request.
//!
//! Per session and phase the loop is: claim as many request numbers as the window has room for
//! (one `fetch_add` on the shared counter), encode them all into one buffer, stamp their send
//! time, write the buffer with one `write_all`; then read what the socket has into a large
//! buffer, handle every complete reply in it (replies come in request order on a connection, so
//! they are matched to a FIFO of `(xid, send time, kind)`), and loop. No task, channel, boxed
//! future or `String` per request; buffers are reused across phases.
//!
//! Latency is from the timestamp taken just before the batched write to the moment the read
//! that completed the reply returned. A request outstanding longer than the op timeout (2x the
//! session timeout) fails the session: every request in flight is recorded as a
//! `client timeout` error and the session takes no more work (the others continue); a lost
//! connection does the same (`connection lost: ...`). Server errors are recorded as
//! `err <code>` (populate accepts NodeExists). Watch notifications (xid -1) and ping replies
//! (xid -2) are skipped.
//!
//! The multi and watch workloads use the `zookeeper-client` engine instead (its multi and
//! watcher APIs; see `runner.rs`), whatever `--client` says.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::recorder::Recorder;
use crate::runner::{choose_op, Choice, PhaseKind, PhaseSpec};
use crate::wire::{self, Path};

/// Initial size of a session's read buffer (grown when a single reply is larger).
const READ_BUF: usize = 256 * 1024;

/// How long the closeSession at the end may take.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

/// Ping a session that was idle this long when a phase starts (the server expires a session
/// after its timeout without traffic).
fn ping_after(session_timeout: Duration) -> Duration {
    session_timeout / 3
}

/// One request in flight.
#[derive(Debug, Clone, Copy)]
struct Pending {
    xid: i32,
    sent: Instant,
    /// NodeExists counts as success (populate).
    exists_ok: bool,
}

/// One raw session: its connection, its buffers and its requests in flight.
pub struct RawSession {
    stream: TcpStream,
    /// Read buffer; bytes `rstart..rend` are received but not parsed yet.
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    /// Requests encoded but not written yet.
    wbuf: Vec<u8>,
    next_xid: i32,
    pending: VecDeque<Pending>,
    /// Why the connection is unusable, once it is.
    dead: Option<String>,
    /// The session timeout the server granted.
    timeout: Duration,
    last_send: Instant,
}

impl RawSession {
    /// Connects to `addr` and establishes a new session of `session_timeout_ms`.
    pub async fn connect(
        addr: &str,
        session_timeout_ms: u64,
        within: Duration,
    ) -> anyhow::Result<RawSession> {
        tokio::time::timeout(within, Self::connect_inner(addr, session_timeout_ms))
            .await
            .map_err(|_| anyhow::anyhow!("connecting to {addr} timed out"))?
            .with_context(|| format!("connecting to {addr}"))
    }

    async fn connect_inner(addr: &str, session_timeout_ms: u64) -> anyhow::Result<RawSession> {
        let mut stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let mut wbuf = Vec::with_capacity(64 * 1024);
        wire::connect_request(
            &mut wbuf,
            i32::try_from(session_timeout_ms).unwrap_or(i32::MAX),
        );
        stream.write_all(&wbuf).await?;
        wbuf.clear();
        let mut len = [0u8; 4];
        stream.read_exact(&mut len).await?;
        let len = usize::try_from(i32::from_be_bytes(len)).unwrap_or(0);
        anyhow::ensure!(
            (1..=4096).contains(&len),
            "bad ConnectResponse length {len}"
        );
        let mut payload = vec![0u8; len];
        stream.read_exact(&mut payload).await?;
        let resp = wire::parse_connect_response(&payload)
            .with_context(|| format!("short ConnectResponse ({len} bytes)"))?;
        anyhow::ensure!(resp.session_id != 0, "the server refused the session");
        let timeout = Duration::from_millis(u64::try_from(resp.timeout_ms.max(1)).unwrap_or(1));
        Ok(RawSession {
            stream,
            rbuf: vec![0; READ_BUF],
            rstart: 0,
            rend: 0,
            wbuf,
            next_xid: 1,
            pending: VecDeque::new(),
            dead: None,
            timeout,
            last_send: Instant::now(),
        })
    }

    fn take_xid(&mut self) -> i32 {
        let x = self.next_xid;
        self.next_xid = if x == i32::MAX { 1 } else { x + 1 };
        x
    }

    /// Marks the connection unusable and records every request in flight as failed.
    fn fail(&mut self, why: String, rec: &mut Recorder) {
        for _ in self.pending.drain(..) {
            rec.error(why.clone());
        }
        self.dead = Some(why);
    }

    /// Makes room at the end of the read buffer, so that a frame of `want` bytes starting at
    /// `rstart` fits and at least one byte can be read.
    fn make_room(&mut self, want: usize) {
        if self.rstart == self.rend {
            self.rstart = 0;
            self.rend = 0;
        }
        let len = self.rbuf.len();
        if self.rstart > 0 && (len - self.rend < len / 4 || self.rstart + want > len) {
            self.rbuf.copy_within(self.rstart..self.rend, 0);
            self.rend -= self.rstart;
            self.rstart = 0;
        }
        if self.rstart + want > self.rbuf.len() {
            self.rbuf.resize(self.rstart + want, 0);
        }
        if self.rend == self.rbuf.len() {
            self.rbuf.resize(self.rbuf.len() * 2, 0);
        }
    }

    /// Writes `wbuf` (bounded by `within`), stamped `now`; on failure the session is dead.
    async fn flush(&mut self, now: Instant, within: Duration, rec: &mut Recorder) -> bool {
        self.last_send = now;
        let r = tokio::time::timeout(within, self.stream.write_all(&self.wbuf)).await;
        self.wbuf.clear();
        match r {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                self.fail(format!("connection lost: {e}"), rec);
                false
            }
            Err(_) => {
                self.fail("client timeout".to_string(), rec);
                false
            }
        }
    }

    /// Reads once (until `deadline`) and handles every complete reply; false once the session
    /// is dead.
    async fn read_replies(
        &mut self,
        deadline: Instant,
        rec: &mut Recorder,
        mut on_reply: impl FnMut(wire::ReplyHeader, Option<Pending>, Instant, &mut Recorder) -> bool,
    ) -> bool {
        let want = match wire::frame_len(&self.rbuf[self.rstart..self.rend]) {
            Ok(n) => n.unwrap_or(0),
            Err(e) => {
                self.fail(format!("bad reply frame length {}", e.0), rec);
                return false;
            }
        };
        self.make_room(want);
        let read = tokio::time::timeout_at(
            deadline.into(),
            self.stream.read(&mut self.rbuf[self.rend..]),
        )
        .await;
        let n = match read {
            Err(_) => {
                self.fail("client timeout".to_string(), rec);
                return false;
            }
            Ok(Err(e)) => {
                self.fail(format!("connection lost: {e}"), rec);
                return false;
            }
            Ok(Ok(0)) => {
                self.fail("connection lost: closed by the server".to_string(), rec);
                return false;
            }
            Ok(Ok(n)) => n,
        };
        let now = Instant::now();
        self.rend += n;
        loop {
            let (hdr, len) = match wire::parse_reply(&self.rbuf[self.rstart..self.rend]) {
                Ok(Some(x)) => x,
                Ok(None) => break,
                Err(e) => {
                    self.fail(format!("bad reply frame length {}", e.0), rec);
                    return false;
                }
            };
            self.rstart += len;
            if hdr.xid == wire::XID_NOTIFICATION || hdr.xid == wire::XID_PING {
                continue;
            }
            let p = match self.pending.front() {
                Some(p) if p.xid == hdr.xid => self.pending.pop_front(),
                _ => None,
            };
            if !on_reply(hdr, p, now, rec) {
                return false;
            }
            if p.is_none() {
                self.fail(format!("unexpected reply xid {}", hdr.xid), rec);
                return false;
            }
        }
        true
    }

    /// Runs this session's share of one phase (see the module doc); the session comes back for
    /// the next phase.
    pub async fn phase(
        mut self,
        session: usize,
        spec: Arc<PhaseSpec>,
        next: Arc<AtomicU64>,
    ) -> (RawSession, anyhow::Result<Recorder>) {
        let mut rec = match Recorder::new() {
            Ok(r) => r,
            Err(e) => return (self, Err(e)),
        };
        if self.dead.is_some() {
            return (self, Ok(rec));
        }
        if self.last_send.elapsed() >= ping_after(self.timeout) {
            wire::ping(&mut self.wbuf);
            if !self.flush(Instant::now(), spec.op_timeout, &mut rec).await {
                return (self, Ok(rec));
            }
        }
        let mut rng = crate::keys::Rng::new(spec.opts.seed ^ spec.base, session);
        let parent = spec.keys.parent.as_bytes();
        let data: &[u8] = &spec.data;
        let exists_ok = spec.kind == PhaseKind::Populate;
        let window = spec.window;
        let mut exhausted = false;
        loop {
            if !exhausted && self.pending.len() < window {
                if Instant::now() >= spec.deadline {
                    exhausted = true;
                } else {
                    let room = (window - self.pending.len()) as u64;
                    let start = next.fetch_add(room, Ordering::Relaxed);
                    let end = start.saturating_add(room).min(spec.count);
                    if end < start.saturating_add(room) {
                        exhausted = true;
                    }
                    let before = self.pending.len();
                    for i in start..end {
                        let xid = self.take_xid();
                        let buf = &mut self.wbuf;
                        let key = |idx| Path::Key { parent, idx };
                        match choose_op(&spec, session, 0, spec.base + i, &mut rng) {
                            Choice::Create(k) | Choice::Populate(k) => {
                                wire::create(buf, xid, key(k), data);
                            }
                            Choice::Get(k) => wire::get_data(buf, xid, key(k), false),
                            Choice::Set(k) => wire::set_data(buf, xid, key(k), data, -1),
                            Choice::Delete(k) => wire::delete(buf, xid, key(k), -1),
                            Choice::Multi(_) | Choice::Watch(_) => {
                                // runner.rs never sends these workloads here.
                                let why = "workload not supported by --client raw".to_string();
                                self.fail(why, &mut rec);
                                return (self, Ok(rec));
                            }
                        }
                        self.pending.push_back(Pending {
                            xid,
                            sent: spec.deadline, // stamped below, right before the write
                            exists_ok,
                        });
                    }
                    if !self.wbuf.is_empty() {
                        let now = Instant::now();
                        for p in self.pending.range_mut(before..) {
                            p.sent = now;
                        }
                        if !self.flush(now, spec.op_timeout, &mut rec).await {
                            break;
                        }
                    }
                }
            }
            let Some(oldest) = self.pending.front() else {
                break;
            };
            let deadline = oldest.sent + spec.op_timeout;
            let alive = self
                .read_replies(deadline, &mut rec, |hdr, p, now, rec| {
                    if let Some(p) = p {
                        if hdr.err == 0 || (p.exists_ok && hdr.err == wire::ERR_NODE_EXISTS) {
                            rec.ok(now.saturating_duration_since(p.sent));
                        } else {
                            rec.error(format!("err {}", hdr.err));
                        }
                    }
                    true
                })
                .await;
            if !alive {
                break;
            }
        }
        (self, Ok(rec))
    }

    /// Sends closeSession and waits (briefly) for its reply.
    pub async fn close(mut self) {
        if self.dead.is_some() {
            return;
        }
        let mut rec = match Recorder::new() {
            Ok(r) => r,
            Err(_) => return,
        };
        let xid = self.take_xid();
        wire::close_session(&mut self.wbuf, xid);
        if !self.flush(Instant::now(), CLOSE_TIMEOUT, &mut rec).await {
            return;
        }
        let deadline = Instant::now() + CLOSE_TIMEOUT;
        let mut done = false;
        // Bounded by the deadline: every read either returns replies, fails, or times out.
        while !done && Instant::now() < deadline {
            let alive = self
                .read_replies(deadline, &mut rec, |hdr, _, _, _| {
                    if hdr.xid == xid {
                        done = true;
                    }
                    !done
                })
                .await;
            if !alive {
                break;
            }
        }
    }
}

/// Connects `n` raw sessions to `server` (`host:port[,host:port...]`, spread round-robin),
/// eight at a time.
pub async fn connect_all(
    server: &str,
    n: usize,
    session_timeout_ms: u64,
) -> anyhow::Result<Vec<RawSession>> {
    anyhow::ensure!(
        !server.contains('/'),
        "--client raw does not support a chroot in --server; use --client zookeeper-client"
    );
    let hosts: Vec<&str> = server.split(',').filter(|h| !h.is_empty()).collect();
    anyhow::ensure!(!hosts.is_empty(), "empty --server");
    let within = Duration::from_millis(session_timeout_ms.max(10_000));
    let mut out = Vec::with_capacity(n);
    for chunk_start in (0..n).step_by(8) {
        let k = (n - chunk_start).min(8);
        let connects = (chunk_start..chunk_start + k)
            .map(|s| RawSession::connect(hosts[s % hosts.len()], session_timeout_ms, within));
        for r in futures::future::join_all(connects).await {
            out.push(r?);
        }
    }
    Ok(out)
}

/// Closes every session (concurrently, each bounded by [`CLOSE_TIMEOUT`]).
pub async fn close_all(sessions: Vec<RawSession>) {
    futures::future::join_all(sessions.into_iter().map(RawSession::close)).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::KeySpace;
    use crate::options::RunOptions;
    use crate::runner::PhaseKind;
    use clap::Parser;
    use tokio::net::TcpListener;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        opts: RunOptions,
    }

    fn frame(body: &[u8]) -> Vec<u8> {
        let mut f = (body.len() as i32).to_be_bytes().to_vec();
        f.extend_from_slice(body);
        f
    }

    fn reply(xid: i32, err: i32, body_len: usize) -> Vec<u8> {
        let mut b = xid.to_be_bytes().to_vec();
        b.extend_from_slice(&7i64.to_be_bytes());
        b.extend_from_slice(&err.to_be_bytes());
        b.resize(b.len() + body_len, 0x5a);
        frame(&b)
    }

    /// A fake server: accepts one session, then answers every request in order, dribbling the
    /// replies out a few bytes at a time, with a watch notification before every 3rd reply, a
    /// reply larger than the read buffer for request 5 and NoNode for request 7. Returns the
    /// opcodes it saw.
    async fn fake_server(listener: TcpListener) -> Vec<i32> {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut connect = [0u8; 49];
        s.read_exact(&mut connect).await.unwrap();
        assert_eq!(&connect[..4], &45i32.to_be_bytes());
        let mut resp = vec![0; 4];
        resp.extend_from_slice(&4000i32.to_be_bytes());
        resp.extend_from_slice(&0x1234i64.to_be_bytes());
        resp.extend_from_slice(&16i32.to_be_bytes());
        resp.extend_from_slice(&[9; 16]);
        resp.push(0);
        s.write_all(&frame(&resp)).await.unwrap();
        let mut ops = Vec::new();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        let mut n_req = 0usize;
        loop {
            let n = s.read(&mut chunk).await.unwrap();
            if n == 0 {
                return ops;
            }
            buf.extend_from_slice(&chunk[..n]);
            let mut out = Vec::new();
            while buf.len() >= 4 {
                let len = i32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
                if buf.len() < 4 + len {
                    break;
                }
                let xid = i32::from_be_bytes(buf[4..8].try_into().unwrap());
                let op = i32::from_be_bytes(buf[8..12].try_into().unwrap());
                buf.drain(..4 + len);
                ops.push(op);
                n_req += 1;
                if n_req.is_multiple_of(3) {
                    out.extend_from_slice(&reply(wire::XID_NOTIFICATION, 0, 30));
                }
                let err = if n_req == 7 { -101 } else { 0 };
                let body = if n_req == 5 {
                    READ_BUF + 1000
                } else {
                    n_req % 90
                };
                out.extend_from_slice(&reply(xid, err, body));
            }
            let piece_len = if out.len() > 64 * 1024 { 4093 } else { 7 };
            for (i, piece) in out.chunks(piece_len).enumerate() {
                s.write_all(piece).await.unwrap();
                if i.is_multiple_of(50) {
                    tokio::task::yield_now().await;
                }
            }
            if ops.last() == Some(&wire::OP_CLOSE_SESSION) {
                return ops;
            }
        }
    }

    #[tokio::test]
    async fn engine_handles_dribbled_replies_notifications_and_big_frames() {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let server = tokio::spawn(fake_server(listener));
        let opts = Cli::parse_from(["t", "--workload", "mixed", "--read-pct", "50"]).opts;
        let opts = Arc::new(opts);
        let keys = Arc::new(KeySpace::for_run(&opts, 1));
        let spec = Arc::new(PhaseSpec {
            kind: PhaseKind::Workload,
            opts,
            keys,
            base: 0,
            count: 500,
            window: 8,
            deadline: Instant::now() + Duration::from_secs(60),
            op_timeout: Duration::from_secs(20),
            data: Arc::new(vec![b'x'; 100]),
        });
        let mut sessions = connect_all(&addr, 1, 4000).await.unwrap();
        let session = sessions.pop().unwrap();
        assert_eq!(session.timeout, Duration::from_millis(4000));
        let next = Arc::new(AtomicU64::new(0));
        let (session, rec) = session.phase(0, spec, next.clone()).await;
        let rec = rec.unwrap();
        assert_eq!(session.dead, None);
        assert_eq!(rec.histogram.len(), 499);
        assert_eq!(rec.errors.get("err -101"), Some(&1));
        assert!(next.load(Ordering::Relaxed) >= 500);
        close_all(vec![session]).await;
        let ops = server.await.unwrap();
        assert_eq!(ops.len(), 501);
        let gets = ops.iter().filter(|&&o| o == wire::OP_GET_DATA).count();
        let sets = ops.iter().filter(|&&o| o == wire::OP_SET_DATA).count();
        assert_eq!(gets + sets, 500);
        assert!(gets > 150 && sets > 150, "{gets} gets, {sets} sets");
        assert_eq!(ops.last(), Some(&wire::OP_CLOSE_SESSION));
    }
}
