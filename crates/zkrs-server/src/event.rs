//! [`Event`]: what connection tasks tell the core task, and the [`ConnLink`] the core task uses
//! to reach a connection's writer.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::{mpsc, Notify};
use zkrs_jute::{ClientFrame, FrameError};
use zkrs_session::ConnId;

use crate::throttle::SharedCounters;

/// A message from a connection task to the core task. Per connection they arrive in order:
/// one `Opened`, any number of `Frame`s and `Frames`, one `Closed`.
#[derive(Debug)]
pub enum Event {
    /// A connection was accepted and admitted by the limits.
    Opened {
        conn: ConnId,
        remote: SocketAddr,
        link: ConnLink,
    },
    /// One decoded frame; `wire_len` is the number of bytes it took on the wire.
    Frame {
        conn: ConnId,
        frame: ClientFrame,
        wire_len: usize,
    },
    /// Several frames decoded from one read, in order: one message instead of one per
    /// request, so a pipelining client costs the reader and the core one queue hand-off per
    /// read. Each is `(frame, wire_len)`.
    Frames {
        conn: ConnId,
        frames: Vec<(ClientFrame, usize)>,
    },
    /// The connection is gone; nothing more will be written to it.
    Closed { conn: ConnId, reason: CloseReason },
}

/// What the core task holds to talk to one connection.
#[derive(Debug, Clone)]
pub struct ConnLink {
    /// The writer's queue. The core task only ever `try_send`s, so a client that does not read
    /// can never stall the core; a full queue closes that connection.
    pub writer: mpsc::Sender<WriteCmd>,
    /// Counters shared with the reader (back-pressure) and the writer.
    pub counters: SharedCounters,
    /// Closes the connection at once, without flushing (`notify_one` keeps the permit if the
    /// connection task is not waiting yet).
    pub abort: Arc<Notify>,
    /// The socket's sending side, shared with the writer. While the writer has nothing
    /// unwritten (`counters.queued_frames == 0`), the core task writes a batch itself with a
    /// non-blocking `try_write`, saving the writer task's wake-up; whatever does not fit goes
    /// through `writer`, so the order is kept. Dropped (`None`) once the connection is
    /// closing, so the writer is left the only owner and can shut the socket down.
    pub socket: Option<Arc<OwnedWriteHalf>>,
}

/// A command for a connection's writer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteCmd {
    /// Write `bytes` to the socket: `frames` complete frames (length prefixes included), all
    /// the replies the core task produced for this connection in one loop iteration, in order;
    /// or a four-letter word's raw text (`frames` 1). `frames` keeps the throttle's per-frame
    /// accounting exact although one command now carries several frames.
    Frames { bytes: Bytes, frames: usize },
    /// Flush what was queued before, then close the connection.
    Close,
}

/// Why a connection ended (for the log).
#[derive(Debug)]
pub enum CloseReason {
    /// The client closed its side.
    Eof,
    /// Reading failed.
    ReadError(io::Error),
    /// A frame had a bad length or could not be decoded.
    BadFrame(FrameError),
    /// Writing failed.
    WriteError(io::Error),
    /// The server asked for it (`Output::Close`, or after a four-letter word).
    ClosedByServer,
    /// The core task closed it at once (full write queue, expiry).
    Aborted,
    /// A four-letter word's reply could not be written in time.
    Timeout,
    /// The server is shutting down.
    Shutdown,
    /// The core task is gone.
    ServerGone,
}

impl std::fmt::Display for CloseReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CloseReason::Eof => f.write_str("closed by the client"),
            CloseReason::ReadError(e) => write!(f, "read failed: {e}"),
            CloseReason::BadFrame(e) => write!(f, "bad frame: {e}"),
            CloseReason::WriteError(e) => write!(f, "write failed: {e}"),
            CloseReason::ClosedByServer => f.write_str("closed by the server"),
            CloseReason::Aborted => f.write_str("aborted by the server"),
            CloseReason::Timeout => f.write_str("reply not written in time"),
            CloseReason::Shutdown => f.write_str("server shutting down"),
            CloseReason::ServerGone => f.write_str("server core gone"),
        }
    }
}

impl CloseReason {
    /// True for an end the log should show at debug level only.
    pub fn is_routine(&self) -> bool {
        matches!(
            self,
            CloseReason::Eof | CloseReason::ClosedByServer | CloseReason::Shutdown
        )
    }
}
