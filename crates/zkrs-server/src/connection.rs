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
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};
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
        let (writer_tx, writer_rx) = mpsc::channel(WRITE_QUEUE_CAPACITY);
        let counters = Arc::new(ConnCounters::default());
        let abort = Arc::new(Notify::new());
        let link = ConnLink {
            writer: writer_tx,
            counters: Arc::clone(&counters),
            abort: Arc::clone(&abort),
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
    loop {
        loop {
            let before = buf.len();
            let frame = match decoder.decode(&mut buf) {
                Ok(Some(frame)) => frame,
                Ok(None) => break,
                Err(e) => return ReadEnd::Closed(CloseReason::BadFrame(e)),
            };
            let wire_len = before - buf.len();
            let four_letter = matches!(frame, ClientFrame::FourLetter { .. });
            if !four_letter {
                // globalOutstandingLimit: hold this request (and stop reading) while the
                // server is over the limit and this connection has requests in flight.
                throttle.wait_ready(counters).await;
                throttle.acquire(counters);
            }
            let sent = events.send(Event::Frame {
                conn,
                frame,
                wire_len,
            });
            if sent.await.is_err() {
                return ReadEnd::Closed(CloseReason::ServerGone);
            }
            if four_letter {
                return ReadEnd::FourLetter;
            }
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

/// Writes what the core task queues, flushing whenever the queue runs dry.
async fn write_loop(
    wr: OwnedWriteHalf,
    mut rx: mpsc::Receiver<WriteCmd>,
    throttle: &Throttle,
    counters: &ConnCounters,
) -> CloseReason {
    let mut out = BufWriter::new(wr);
    loop {
        let Some(cmd) = rx.recv().await else {
            return CloseReason::ServerGone;
        };
        match cmd {
            WriteCmd::Bytes(bytes) => {
                let written = out.write_all(&bytes).await;
                throttle.frame_written(counters, bytes.len());
                if let Err(e) = written {
                    return CloseReason::WriteError(e);
                }
            }
            WriteCmd::Close => {
                // Best effort: the client may already be gone.
                let _ = out.flush().await;
                let _ = out.shutdown().await;
                return CloseReason::ClosedByServer;
            }
        }
        if rx.is_empty() {
            if let Err(e) = out.flush().await {
                return CloseReason::WriteError(e);
            }
        }
    }
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
