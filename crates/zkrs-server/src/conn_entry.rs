//! [`ConnEntry`]: what the core task knows about one open connection — its link, its session
//! as seen on the wire, and the requests in flight.
//!
//! The requests in flight drive `globalOutstandingLimit` and the wire metrics (`readlatency`,
//! response sizes). Replies are matched to requests by xid in FIFO order (ZooKeeper answers a
//! session's requests in order); notifications (xid -1) match nothing. `cons`' per-connection
//! counters come from the core.

use std::collections::VecDeque;
use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use zkrs_jute::{xid, ConnectResponse, Jute, JuteReader, OpCode};

use zkrs_session::ConnId;

use crate::event::ConnLink;

/// A request read from the connection and not answered yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PendingKind {
    Connect,
    Request { xid: i32, op: Option<OpCode> },
}

#[derive(Debug, Clone, Copy)]
struct Pending {
    kind: PendingKind,
    start_mono_ms: u64,
}

/// A request whose reply just went out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Completed {
    /// `None` for the connect handshake.
    pub op: Option<OpCode>,
    pub connect: bool,
    pub latency_ms: u64,
    /// Reply payload size (without the length prefix).
    pub response_size: usize,
    /// `ReplyHeader.err` (0 for the connect response).
    pub err: i32,
}

/// What seeing one outgoing frame did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendEffect {
    /// Requests no longer in flight (for the throttle).
    pub released: usize,
    pub completed: Option<Completed>,
}

/// One open connection, as the core task tracks it.
#[derive(Debug)]
pub struct ConnEntry {
    pub conn: ConnId,
    pub remote: SocketAddr,
    pub link: ConnLink,
    /// Last frame read (ZooKeeper's `touchCnxn`), for connection expiry.
    pub last_activity_mono_ms: u64,
    /// `Close` was queued or the connection was aborted; input is ignored from now on.
    pub closing: bool,
    /// The connection sent a four-letter word.
    pub four_letter: bool,
    /// From the connect response; 0 until then (and for a refused session).
    pub session_id: i64,
    /// Negotiated session timeout; 0 until connected.
    pub session_timeout_ms: i64,
    pending: VecDeque<Pending>,
    /// Replies produced for this connection in the current core-loop iteration, not yet handed
    /// to the writer.
    pub out: OutBatch,
}

/// The replies for one connection produced in one core-loop iteration. The driver sends them
/// as ONE buffer when the iteration ends (one `send()`, and at most one wake-up of the writer
/// task, instead of a queue entry and a possible wake-up per frame: the write path was the
/// largest cost of the mixed-load profile, docs/performance.md). Order is kept: frames are
/// appended in the order the core emitted them, and a `Close` flushes the batch before it is
/// queued.
#[derive(Debug, Default)]
pub struct OutBatch {
    /// The frames, in order (slices of the core's output arena; reused vector).
    frames: Vec<Bytes>,
    len: usize,
}

impl OutBatch {
    /// Appends one frame; returns true if the batch was empty (the connection needs a flush).
    pub fn push(&mut self, frame: Bytes) -> bool {
        self.len += frame.len();
        self.frames.push(frame);
        self.frames.len() == 1
    }

    /// Takes the whole batch as one buffer of exactly its size, and its frame count; `None` if
    /// it is empty. Even a single frame is copied: the frames share the core's output arena,
    /// and a writer holding one for a slow client must not pin a whole arena block.
    pub fn take(&mut self) -> Option<(Bytes, usize)> {
        let mut buf = BytesMut::with_capacity(self.len);
        let frames = self.take_into(&mut buf);
        (frames > 0).then(|| (buf.freeze(), frames))
    }

    /// Appends the whole batch to `buf` (a reused scratch buffer); returns the frame count.
    pub fn take_into(&mut self, buf: &mut BytesMut) -> usize {
        let frames = self.frames.len();
        buf.reserve(self.len);
        for f in self.frames.drain(..) {
            buf.extend_from_slice(&f);
        }
        self.len = 0;
        frames
    }

    /// Drops the batch (the connection is closing without a flush).
    pub fn clear(&mut self) {
        self.frames.clear();
        self.len = 0;
    }
}

impl ConnEntry {
    /// A connection accepted at `now`.
    pub fn new(conn: ConnId, remote: SocketAddr, link: ConnLink, mono_ms: u64) -> ConnEntry {
        ConnEntry {
            conn,
            remote,
            link,
            last_activity_mono_ms: mono_ms,
            closing: false,
            four_letter: false,
            session_id: 0,
            session_timeout_ms: 0,
            pending: VecDeque::new(),
            out: OutBatch::default(),
        }
    }

    /// From now on nothing more is written by the core task: the batch is dropped, and so is
    /// its handle on the socket (the writer becomes its only owner and can shut it down).
    pub fn mark_closing(&mut self) {
        self.closing = true;
        self.out.clear();
        self.link.socket = None;
    }

    /// Requests in flight.
    #[cfg(test)]
    pub fn outstanding(&self) -> usize {
        self.pending.len()
    }

    /// The ConnectRequest went to the core.
    pub fn push_connect(&mut self, now_mono_ms: u64) {
        self.pending.push_back(Pending {
            kind: PendingKind::Connect,
            start_mono_ms: now_mono_ms,
        });
    }

    /// A request went to the core.
    pub fn push_request(&mut self, xid: i32, op: Option<OpCode>, now_mono_ms: u64) {
        self.pending.push_back(Pending {
            kind: PendingKind::Request { xid, op },
            start_mono_ms: now_mono_ms,
        });
    }

    /// Forgets every request in flight (the connection closed); returns how many there were.
    pub fn drain_pending(&mut self) -> usize {
        let n = self.pending.len();
        self.pending.clear();
        n
    }

    /// Observes one frame about to be written: matches it to the request it answers.
    pub fn observe_send(&mut self, frame: &[u8], now_mono_ms: u64) -> SendEffect {
        let payload = frame.get(4..).unwrap_or_default();
        match self.pending.front() {
            Some(Pending {
                kind: PendingKind::Connect,
                start_mono_ms,
            }) => {
                let start = *start_mono_ms;
                self.pending.pop_front();
                if let Ok(resp) = ConnectResponse::read_from(&mut JuteReader::new(payload)) {
                    self.session_id = resp.session_id;
                    self.session_timeout_ms = i64::from(resp.time_out);
                }
                SendEffect {
                    released: 1,
                    completed: Some(Completed {
                        op: None,
                        connect: true,
                        latency_ms: now_mono_ms.saturating_sub(start),
                        response_size: payload.len(),
                        err: 0,
                    }),
                }
            }
            _ => self.observe_reply(payload, now_mono_ms),
        }
    }

    fn observe_reply(&mut self, payload: &[u8], now_mono_ms: u64) -> SendEffect {
        // A reply header is xid (4), zxid (8), err (4).
        let (Some(xid_bytes), Some(err_bytes)) = (payload.get(0..4), payload.get(12..16)) else {
            return SendEffect::default();
        };
        let reply_xid = i32::from_be_bytes(xid_bytes.try_into().unwrap_or_default());
        let err = i32::from_be_bytes(err_bytes.try_into().unwrap_or_default());
        if reply_xid == xid::NOTIFICATION {
            return SendEffect::default();
        }
        let Some(index) = self
            .pending
            .iter()
            .position(|p| matches!(p.kind, PendingKind::Request { xid, .. } if xid == reply_xid))
        else {
            return SendEffect::default();
        };
        // Replies come in request order: anything ahead of the match was answered without a
        // reply of its own (or never will be).
        let mut matched = None;
        for _ in 0..=index {
            matched = self.pending.pop_front();
        }
        let Some(Pending {
            kind: PendingKind::Request { op, .. },
            start_mono_ms,
        }) = matched
        else {
            return SendEffect {
                released: index + 1,
                completed: None,
            };
        };
        SendEffect {
            released: index + 1,
            completed: Some(Completed {
                op,
                connect: false,
                latency_ms: now_mono_ms.saturating_sub(start_mono_ms),
                response_size: payload.len(),
                err,
            }),
        }
    }
}

/// When the NIO factory's `cnxnExpiryQueue` would expire a connection last touched at
/// `last_activity`: its session timeout (or the sessionless timeout before it has one), rounded
/// up to the next `interval` (`ExpiryQueue.roundToNextInterval`).
pub fn connection_expiry(
    last_activity: u64,
    session_timeout_ms: i64,
    sessionless_timeout_ms: u64,
    interval: u64,
) -> u64 {
    let timeout = if session_timeout_ms > 0 {
        session_timeout_ms as u64
    } else {
        sessionless_timeout_ms
    };
    ((last_activity + timeout) / interval + 1) * interval
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::sync::{mpsc, Notify};
    use zkrs_jute::ReplyHeader;

    fn entry() -> ConnEntry {
        let (writer, _rx) = mpsc::channel(1);
        let link = ConnLink {
            writer,
            counters: Arc::default(),
            abort: Arc::new(Notify::new()),
            socket: None,
        };
        ConnEntry::new(1, "127.0.0.1:1".parse().expect("addr"), link, 0)
    }

    fn reply(xid: i32, zxid: i64, err: i32) -> Vec<u8> {
        zkrs_jute::frame::frame(&ReplyHeader { xid, zxid, err }.to_bytes())
    }

    #[test]
    fn connect_then_requests_match_in_order() {
        let mut e = entry();
        e.push_connect(10);
        let resp = ConnectResponse {
            protocol_version: 0,
            time_out: 30_000,
            session_id: 0x1000006b4b70003,
            passwd: bytes::Bytes::from(vec![0u8; 16]),
            read_only: Some(false),
        };
        let eff = e.observe_send(&zkrs_jute::frame::frame(&resp.to_bytes()), 12);
        assert_eq!(eff.released, 1);
        assert!(eff
            .completed
            .is_some_and(|c| c.connect && c.latency_ms == 2));
        assert_eq!(e.session_id, 0x1000006b4b70003);
        assert_eq!(e.session_timeout_ms, 30_000);

        e.push_request(1, Some(OpCode::GetData), 20);
        e.push_request(2, Some(OpCode::Create), 21);
        e.push_request(-2, Some(OpCode::Ping), 22);
        // A notification matches nothing.
        assert_eq!(e.observe_send(&reply(-1, -1, 0), 23).released, 0);
        // The reply to 2 also retires 1, which got no reply of its own.
        let eff = e.observe_send(&reply(2, 0x14, -101), 25);
        assert_eq!(eff.released, 2);
        let done = eff.completed.expect("completed");
        assert_eq!(done.op, Some(OpCode::Create));
        assert_eq!(done.latency_ms, 4);
        assert_eq!(done.response_size, 16);
        assert_eq!(done.err, -101);
        let eff = e.observe_send(&reply(-2, 0x14, 0), 30);
        assert_eq!(eff.completed.map(|c| c.op), Some(Some(OpCode::Ping)));
        assert_eq!(e.outstanding(), 0);
    }

    #[test]
    fn out_batch_concatenates_in_order() {
        let mut b = OutBatch::default();
        assert_eq!(b.take(), None);
        // One frame.
        assert!(b.push(Bytes::from_static(b"one")));
        assert_eq!(b.take(), Some((Bytes::from_static(b"one"), 1)));
        assert_eq!(b.take(), None);
        // Several go out as one buffer, in push order; the buffer is reused afterwards.
        assert!(b.push(Bytes::from_static(b"a")));
        assert!(!b.push(Bytes::from_static(b"bb")));
        assert!(!b.push(Bytes::from_static(b"ccc")));
        assert_eq!(b.take(), Some((Bytes::from_static(b"abbccc"), 3)));
        assert!(b.push(Bytes::from_static(b"d")));
        assert!(!b.push(Bytes::from_static(b"e")));
        assert_eq!(b.take(), Some((Bytes::from_static(b"de"), 2)));
        assert!(b.push(Bytes::from_static(b"f")));
        assert!(!b.push(Bytes::from_static(b"g")));
        let mut scratch = BytesMut::from(&b"old"[..]);
        assert_eq!(b.take_into(&mut scratch), 2);
        assert_eq!(&scratch[..], b"oldfg");
        assert_eq!(b.take(), None);
        assert!(b.push(Bytes::from_static(b"x")));
        b.clear();
        assert_eq!(b.take(), None);
    }

    #[test]
    fn short_frames_are_ignored() {
        let mut e = entry();
        e.push_request(1, Some(OpCode::GetData), 0);
        assert_eq!(
            e.observe_send(&[0, 0, 0, 2, 1, 2], 1),
            SendEffect::default()
        );
        assert_eq!(e.drain_pending(), 1);
    }
}
