//! [`Connection`]: one client connection — a read loop that decodes frames and forwards them to
//! the core task, and a write loop fed by the core task through a bounded queue.
//!
//! Both loops run as two futures of the connection's task, so the task reports `Closed`
//! exactly once, after whichever side ended first. A four-letter word ends reading (the client
//! may half-close, as `nc` does) and the task then waits for the reply to be written.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch, Notify};
use zkrs_jute::{ClientFrame, ClientFrameDecoder};
use zkrs_session::ConnId;

use crate::conn_limits::ConnPermit;
use crate::event::{CloseReason, ConnLink, Event, WriteCmd};
use crate::throttle::{ConnCounters, Throttle};

/// Frames the core task may queue for one connection before the connection is closed as not
/// reading (the reader stops reading well before, at `WRITE_QUEUE_HIGH_WATER`).
pub const WRITE_QUEUE_CAPACITY: usize = 4096;

/// How long a four-letter word's reply may take to write.
const FOUR_LETTER_WRITE_TIMEOUT: Duration = Duration::from_secs(10);

/// After the server closes a connection, how long unread input is drained so that closing
/// sends FIN rather than RST (a RST can make the client drop the reply it has not read yet).
const LINGER_DRAIN_TIMEOUT: Duration = Duration::from_millis(200);
const LINGER_DRAIN_BYTES_MAX: usize = 64 * 1024;

/// Bytes requested from the socket per read when the buffer has less room than this.
const READ_CHUNK: usize = 8 * 1024;

/// A writer that fell behind gathers queued commands into one write until it holds this many
/// bytes (it stops at the first command past it).
const GATHER_MAX: usize = 256 * 1024;
/// The gather buffer is kept between writes only up to this capacity.
const GATHER_KEEP: usize = 64 * 1024;

/// One accepted connection, before its task starts.
#[derive(Debug)]
pub struct Connection {
    pub conn: ConnId,
    pub remote: SocketAddr,
    pub events: mpsc::Sender<Event>,
    pub throttle: Arc<Throttle>,
    /// `jute.maxbuffer`.
    pub max_buffer: usize,
    pub shutdown: watch::Receiver<bool>,
    /// This connection's place in `maxClientCnxns` / `maxCnxns`.
    pub permit: ConnPermit,
}

/// How the read loop ended.
enum ReadEnd {
    FourLetter,
    Closed(CloseReason),
}

impl Connection {
    /// Serves the connection until it closes.
    pub async fn run(self, stream: TcpStream) {
        let Connection {
            conn,
            remote,
            events,
            throttle,
            max_buffer,
            mut shutdown,
            permit,
        } = self;
        let (mut rd, wr) = stream.into_split();
        let wr = Arc::new(wr);
        let (writer_tx, writer_rx) = mpsc::channel(WRITE_QUEUE_CAPACITY);
        let counters = Arc::new(ConnCounters::default());
        let abort = Arc::new(Notify::new());
        let link = ConnLink {
            writer: writer_tx,
            counters: Arc::clone(&counters),
            abort: Arc::clone(&abort),
            socket: Some(Arc::clone(&wr)),
        };
        if events
            .send(Event::Opened { conn, remote, link })
            .await
            .is_err()
        {
            return;
        }

        let reason = {
            let reader = read_loop(&mut rd, conn, &events, &throttle, &counters, max_buffer);
            let writer = write_loop(wr, writer_rx, &throttle, &counters);
            tokio::pin!(reader, writer);
            tokio::select! {
                end = &mut reader => match end {
                    ReadEnd::FourLetter => {
                        match tokio::time::timeout(FOUR_LETTER_WRITE_TIMEOUT, &mut writer).await {
                            Ok(reason) => reason,
                            Err(_) => CloseReason::Timeout,
                        }
                    }
                    ReadEnd::Closed(reason) => reason,
                },
                reason = &mut writer => reason,
                () = abort.notified() => CloseReason::Aborted,
                () = stopped(&mut shutdown) => CloseReason::Shutdown,
            }
        };
        if reason.is_routine() {
            tracing::debug!(conn, %remote, "connection closed: {reason}");
        } else {
            tracing::info!(conn, %remote, "connection closed: {reason}");
        }
        let closed_by_server = matches!(reason, CloseReason::ClosedByServer);
        // The core task forgets the connection, and the limits count it closed, before the
        // socket lingers below.
        let _ = events.send(Event::Closed { conn, reason }).await;
        drop(permit);
        if closed_by_server {
            linger_drain(&mut rd).await;
        }
    }
}

/// Reads frames and hands them to the core task, honouring back-pressure.
async fn read_loop(
    rd: &mut OwnedReadHalf,
    conn: ConnId,
    events: &mpsc::Sender<Event>,
    throttle: &Throttle,
    counters: &ConnCounters,
    max_buffer: usize,
) -> ReadEnd {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut decoder = ClientFrameDecoder::new(max_buffer);
    // The frames of one read, handed to the core as one event.
    let mut batch: Vec<(ClientFrame, usize)> = Vec::new();
    loop {
        loop {
            let before = buf.len();
            let frame = match decoder.decode(&mut buf) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => {
                    // The requests before the bad frame were well formed: they still count.
                    if !hand_over(events, conn, &mut batch).await {
                        return ReadEnd::Closed(CloseReason::ServerGone);
                    }
                    return ReadEnd::Closed(CloseReason::BadFrame(e));
                }
            };
            let wire_len = before - buf.len();
            let four_letter = matches!(frame, ClientFrame::FourLetter { .. });
            if !four_letter {
                // globalOutstandingLimit: hold this request (and stop reading) while the
                // server is over the limit and this connection has requests in flight. The
                // requests already taken go to the core first: it is their replies that let
                // this connection go on.
                if throttle.must_wait(counters) {
                    if !hand_over(events, conn, &mut batch).await {
                        return ReadEnd::Closed(CloseReason::ServerGone);
                    }
                    throttle.wait_ready(counters).await;
                }
                throttle.acquire(counters);
            }
            batch.push((frame, wire_len));
            if four_letter {
                if !hand_over(events, conn, &mut batch).await {
                    return ReadEnd::Closed(CloseReason::ServerGone);
                }
                return ReadEnd::FourLetter;
            }
        }
        if !hand_over(events, conn, &mut batch).await {
            return ReadEnd::Closed(CloseReason::ServerGone);
        }
        if buf.capacity() - buf.len() < READ_CHUNK {
            buf.reserve(READ_CHUNK);
        }
        match rd.read_buf(&mut buf).await {
            Ok(0) => return ReadEnd::Closed(CloseReason::Eof),
            Ok(_) => {}
            Err(e) => return ReadEnd::Closed(CloseReason::ReadError(e)),
        }
    }
}

/// Sends the frames in `batch` (if any) to the core task as one event and empties it. False
/// if the core task is gone.
async fn hand_over(
    events: &mpsc::Sender<Event>,
    conn: ConnId,
    batch: &mut Vec<(ClientFrame, usize)>,
) -> bool {
    // A lone frame goes as `Frame`, so a request at a time costs no `Vec`.
    let event = if batch.len() > 1 {
        Event::Frames {
            conn,
            frames: std::mem::take(batch),
        }
    } else if let Some((frame, wire_len)) = batch.pop() {
        Event::Frame {
            conn,
            frame,
            wire_len,
        }
    } else {
        return true;
    };
    events.send(event).await.is_ok()
}

/// Writes what the core task queues. Each command already holds every reply of one core-loop
/// iteration; if the writer fell behind and several commands wait, they are gathered into one
/// buffer (up to about `GATHER_MAX` bytes) so they too leave in one `send()`.
///
/// The core task writes to `wr` itself while nothing is queued here (see `ConnLink::socket`):
/// it only does so when `counters.queued_frames` is 0, and this loop lowers that count only
/// after a write has completed, so the two never write at the same time and bytes keep their
/// order.
async fn write_loop(
    wr: Arc<OwnedWriteHalf>,
    mut rx: mpsc::Receiver<WriteCmd>,
    throttle: &Throttle,
    counters: &ConnCounters,
) -> CloseReason {
    let mut gather = BytesMut::new();
    loop {
        let Some(cmd) = rx.recv().await else {
            return CloseReason::ServerGone;
        };
        let (first, mut frames) = match cmd {
            WriteCmd::Frames { bytes, frames } => (bytes, frames),
            WriteCmd::Close => return close_write(wr).await,
        };
        let mut close = false;
        let (written, len) = if rx.is_empty() {
            // The usual case: one command, written without a copy.
            (write_all(&wr, &first).await, first.len())
        } else {
            gather.clear();
            gather.extend_from_slice(&first);
            drop(first);
            while gather.len() < GATHER_MAX {
                match rx.try_recv() {
                    Ok(WriteCmd::Frames { bytes, frames: n }) => {
                        gather.extend_from_slice(&bytes);
                        frames += n;
                    }
                    Ok(WriteCmd::Close) => {
                        close = true;
                        break;
                    }
                    Err(_) => break,
                }
            }
            let done = (write_all(&wr, &gather).await, gather.len());
            if gather.capacity() > GATHER_KEEP {
                // Do not hold a large buffer for the rest of the connection's life.
                gather = BytesMut::new();
            }
            done
        };
        throttle.frame_written(counters, frames, len);
        if let Err(e) = written {
            return CloseReason::WriteError(e);
        }
        if close {
            return close_write(wr).await;
        }
    }
}

/// Writes all of `buf`, waiting for the socket to accept more when it is full.
async fn write_all(wr: &OwnedWriteHalf, mut buf: &[u8]) -> std::io::Result<()> {
    while !buf.is_empty() {
        match wr.try_write(buf) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => buf = &buf[n..],
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => wr.writable().await?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// `WriteCmd::Close`: everything queued before is written; shut down the sending side. The
/// core task dropped its handle on the socket before it queued the close, so this is the last.
async fn close_write(wr: Arc<OwnedWriteHalf>) -> CloseReason {
    if let Ok(mut wr) = Arc::try_unwrap(wr) {
        // Best effort: the client may already be gone.
        let _ = wr.shutdown().await;
    }
    CloseReason::ClosedByServer
}

/// Resolves once shutdown is signalled (or the signal's sender is gone). Drops the watch guard
/// before returning, so the future stays `Send`.
pub async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

/// Reads and discards what the client still sends, briefly, so the close is a FIN.
async fn linger_drain(rd: &mut OwnedReadHalf) {
    let drain = async {
        let mut scratch = [0u8; 4096];
        let mut total = 0usize;
        while total < LINGER_DRAIN_BYTES_MAX {
            match rd.read(&mut scratch).await {
                Ok(0) | Err(_) => break,
                Ok(n) => total += n,
            }
        }
    };
    let _ = tokio::time::timeout(LINGER_DRAIN_TIMEOUT, drain).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A ConnectRequest frame (protocol 0, timeout 30 s, a new session, 16-byte password).
    fn connect_frame() -> Vec<u8> {
        let mut payload = Vec::new();
        payload.extend_from_slice(&0i32.to_be_bytes()); // protocolVersion
        payload.extend_from_slice(&0i64.to_be_bytes()); // lastZxidSeen
        payload.extend_from_slice(&30_000i32.to_be_bytes()); // timeOut
        payload.extend_from_slice(&0i64.to_be_bytes()); // sessionId
        payload.extend_from_slice(&16i32.to_be_bytes()); // passwd
        payload.extend_from_slice(&[0u8; 16]);
        payload.push(0); // readOnly
        framed(&payload)
    }

    /// A ping (xid -2, opcode 11, no body).
    fn ping_frame() -> Vec<u8> {
        let mut payload = Vec::new();
        payload.extend_from_slice(&(-2i32).to_be_bytes());
        payload.extend_from_slice(&11i32.to_be_bytes());
        framed(&payload)
    }

    fn framed(payload: &[u8]) -> Vec<u8> {
        let mut out = (payload.len() as i32).to_be_bytes().to_vec();
        out.extend_from_slice(payload);
        out
    }

    /// A loopback connection whose client has sent `bytes`: the server's read half, and the
    /// server's write half and the client kept open. On loopback the bytes are in the server's
    /// receive queue when this returns, so a reader's first read takes them all.
    async fn received(bytes: &[u8]) -> (OwnedReadHalf, OwnedWriteHalf, TcpStream) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let mut client = TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let (rd, wr) = server.into_split();
        client.write_all(bytes).await.expect("write");
        (rd, wr, client)
    }

    /// Runs `read_loop` over a socket that received `bytes` and then nothing more; returns how
    /// it ended, the events it sent and the connection's counters.
    async fn read_all(bytes: &[u8], limit: usize) -> (ReadEnd, Vec<Event>, ConnCounters) {
        let (mut rd, _wr, _client) = received(bytes).await;
        let (tx, mut rx) = mpsc::channel(16);
        let throttle = Throttle::new(limit);
        let counters = ConnCounters::default();
        let end = tokio::time::timeout(
            Duration::from_secs(10),
            read_loop(&mut rd, 7, &tx, &throttle, &counters, 1 << 20),
        )
        .await
        .expect("the reader stops at the bad frame");
        let mut events = Vec::new();
        while let Ok(e) = rx.try_recv() {
            events.push(e);
        }
        (end, events, counters)
    }

    /// The frames of one read reach the core as one `Frames` event, in order; a malformed frame
    /// after them closes the connection, but only after the good ones were handed over.
    #[tokio::test]
    async fn the_frames_of_one_read_reach_the_core_as_one_event() {
        let mut bytes = connect_frame();
        bytes.extend(ping_frame());
        bytes.extend(ping_frame());
        bytes.extend_from_slice(&(-5i32).to_be_bytes());
        let (end, events, counters) = read_all(&bytes, 1000).await;
        assert!(matches!(end, ReadEnd::Closed(CloseReason::BadFrame(_))));
        let [Event::Frames { conn: 7, frames }] = &events[..] else {
            panic!("expected one Frames event, got {events:?}");
        };
        assert_eq!(frames.len(), 3);
        assert!(matches!(frames[0], (ClientFrame::Connect(_), 49)));
        for (frame, wire_len) in &frames[1..] {
            assert!(matches!(frame, ClientFrame::Request { header, .. } if header.xid == -2));
            assert_eq!(*wire_len, 12);
        }
        assert_eq!(
            counters
                .outstanding
                .load(std::sync::atomic::Ordering::SeqCst),
            3
        );
    }

    /// Over `globalOutstandingLimit`, the reader hands over what it has taken before it waits,
    /// and takes nothing more until a reply releases one.
    #[tokio::test]
    async fn a_throttled_reader_hands_over_its_batch_before_it_waits() {
        let mut bytes = connect_frame();
        bytes.extend(ping_frame());
        bytes.extend(ping_frame());
        let (mut rd, _wr, _client) = received(&bytes).await;
        let (tx, mut rx) = mpsc::channel(16);
        // Over the limit once two requests are in flight.
        let throttle = Arc::new(Throttle::new(1));
        let counters = Arc::new(ConnCounters::default());
        let reader = {
            let (throttle, counters) = (Arc::clone(&throttle), Arc::clone(&counters));
            tokio::spawn(async move {
                read_loop(&mut rd, 7, &tx, &throttle, &counters, 1 << 20).await;
            })
        };
        let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the first two frames in time")
            .expect("an event");
        let Event::Frames { frames, .. } = first else {
            panic!("expected the connect and the first ping, got {first:?}");
        };
        assert_eq!(frames.len(), 2);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            rx.try_recv().is_err(),
            "the second ping waits for the throttle"
        );
        throttle.release(&counters, 1);
        let second = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("the second ping after the release")
            .expect("an event");
        assert!(matches!(second, Event::Frame { ref frame, .. }
            if matches!(frame, ClientFrame::Request { header, .. } if header.xid == -2)));
        reader.abort();
    }
}
