//! [`QuorumLink`]: one connection on the quorum port (2888), a learner's to its leader or the
//! leader's end of a learner's, as two tokio tasks that only move bytes.
//!
//! The reader decodes `QuorumPacket`s (no length prefix) with
//! [`zkrs_jute::quorum_frame::QuorumFrameDecoder`] and hands each to the core task as a
//! [`PeerEvent`]. On a learner, a `SNAP` packet is followed by the raw snapshot stream: the
//! reader decodes it into a tree right there (off the core task) and hands it over as
//! [`PeerEvent::LeaderSnapshot`] before any later packet. The writer takes [`LinkWrite`]s from
//! a bounded queue; a leader's snapshot is serialized by the writer from a frozen view, so
//! the packets queued after it (proposals, NEWLEADER) follow it on the wire. A queue that is
//! full means the peer does not keep up: the link is dropped rather than buffering without
//! bound. Malformed input closes this link only.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use zkrs_datatree::{DataTree, SnapshotView};
use zkrs_jute::{encode_quorum_packet, QuorumFrameDecoder};
use zkrs_jute::{PacketType, QuorumPacket, Zxid};
use zkrs_storage::{write_snap_stream, SnapStreamDecoder, SnapshotReadOptions};
use zkrs_zab::HandlerId;

/// Items queued to one link's writer before the link is considered stuck.
pub const LINK_QUEUE_CAPACITY: usize = 65_536;

/// How much is read from the socket at a time.
const READ_CHUNK: usize = 64 * 1024;

/// What a link's writer sends.
#[derive(Debug)]
pub enum LinkWrite {
    /// One packet.
    Packet(QuorumPacket),
    /// `SNAP(zxid)` followed by the snapshot stream of `view` with `sessions`.
    Snapshot {
        zxid: Zxid,
        view: SnapshotView,
        sessions: Vec<(i64, i32)>,
    },
}

/// Which end of a quorum connection a link is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkSide {
    /// The leader's end of a learner connection.
    Leader(HandlerId),
    /// A learner's connection to its leader (the leader's sid).
    Learner(u64),
}

/// What links report to the core task.
#[derive(Debug)]
pub enum PeerEvent {
    /// A packet arrived.
    Packet {
        side: LinkSide,
        packet: QuorumPacket,
    },
    /// A learner received `SNAP(zxid)` and the snapshot stream after it.
    LeaderSnapshot {
        sid: u64,
        zxid: Zxid,
        tree: Box<DataTree>,
        sessions: Vec<(i64, i32)>,
    },
    /// The link is gone (EOF, an error, malformed input, shutdown).
    Closed { side: LinkSide, reason: String },
    /// An outgoing connection to a leader is established; its writer queue.
    LeaderConnected {
        sid: u64,
        writer: mpsc::Sender<LinkWrite>,
    },
    /// A learner connected to our quorum port.
    LearnerAccepted {
        handler: HandlerId,
        remote: SocketAddr,
        writer: mpsc::Sender<LinkWrite>,
    },
}

/// The two tasks of one link.
#[derive(Debug)]
pub struct QuorumLink;

impl QuorumLink {
    /// Starts the reader and writer of `stream` for `side`; returns the writer's queue.
    pub fn start(
        stream: TcpStream,
        side: LinkSide,
        max_packet_len: usize,
        events: mpsc::Sender<PeerEvent>,
        shutdown: watch::Receiver<bool>,
    ) -> mpsc::Sender<LinkWrite> {
        let _ = stream.set_nodelay(true);
        let (tx, rx) = mpsc::channel(LINK_QUEUE_CAPACITY);
        let (read_half, write_half) = stream.into_split();
        tokio::spawn(write_loop(
            write_half,
            rx,
            side,
            events.clone(),
            shutdown.clone(),
        ));
        tokio::spawn(read_loop(read_half, side, max_packet_len, events, shutdown));
        tx
    }
}

async fn read_loop(
    mut read_half: tokio::net::tcp::OwnedReadHalf,
    side: LinkSide,
    max_packet_len: usize,
    events: mpsc::Sender<PeerEvent>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    let mut decoder = QuorumFrameDecoder::new(max_packet_len);
    let mut snap: Option<(Zxid, SnapStreamDecoder)> = None;
    let reason = loop {
        // Decode everything buffered first.
        loop {
            if let Some((zxid, dec)) = snap.as_mut() {
                match dec.feed(&mut buf) {
                    Ok(None) => break,
                    Ok(Some(loaded)) => {
                        let zxid = *zxid;
                        snap = None;
                        let LinkSide::Learner(sid) = side else {
                            break;
                        };
                        let tree = loaded.tree;
                        let sessions: Vec<(i64, i32)> = loaded.sessions.into_iter().collect();
                        if events
                            .send(PeerEvent::LeaderSnapshot {
                                sid,
                                zxid,
                                tree: Box::new(tree),
                                sessions,
                            })
                            .await
                            .is_err()
                        {
                            return;
                        }
                        continue;
                    }
                    Err(e) => {
                        return closed(&events, side, format!("bad snapshot stream: {e}")).await;
                    }
                }
            }
            match decoder.decode(&mut buf) {
                Ok(None) => break,
                Ok(Some(packet)) => {
                    let is_snap = packet.r#type == PacketType::Snap as i32;
                    if is_snap && matches!(side, LinkSide::Learner(_)) {
                        snap = Some((
                            Zxid(packet.zxid),
                            SnapStreamDecoder::new(packet.zxid, snap_read_options(max_packet_len)),
                        ));
                    }
                    if events
                        .send(PeerEvent::Packet { side, packet })
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Err(e) => return closed(&events, side, format!("malformed packet: {e}")).await,
            }
        }
        buf.reserve(READ_CHUNK);
        tokio::select! {
            n = read_half.read_buf(&mut buf) => match n {
                Ok(0) => break "end of stream".to_string(),
                Ok(_) => {}
                Err(e) => break format!("read error: {e}"),
            },
            _ = shutdown.changed() => break "shutting down".to_string(),
        }
    };
    let _ = events.send(PeerEvent::Closed { side, reason }).await;
}

async fn write_loop(
    mut write_half: tokio::net::tcp::OwnedWriteHalf,
    mut rx: mpsc::Receiver<LinkWrite>,
    side: LinkSide,
    events: mpsc::Sender<PeerEvent>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut out = BytesMut::with_capacity(READ_CHUNK);
    loop {
        let item = tokio::select! {
            item = rx.recv() => item,
            _ = shutdown.changed() => None,
        };
        let Some(item) = item else {
            break;
        };
        let mut items = vec![item];
        while items.len() < 256 {
            match rx.try_recv() {
                Ok(i) => items.push(i),
                Err(_) => break,
            }
        }
        for item in items {
            match item {
                LinkWrite::Packet(p) => encode_quorum_packet(&p, &mut out),
                LinkWrite::Snapshot {
                    zxid,
                    view,
                    sessions,
                } => {
                    encode_quorum_packet(&zkrs_zab::packet::bare(PacketType::Snap, zxid), &mut out);
                    if let Err(e) = write_half.write_all(&out).await {
                        return closed(&events, side, format!("write error: {e}")).await;
                    }
                    out.clear();
                    // Serialized on a blocking thread: a large tree must not hold up this
                    // runtime worker.
                    let bytes = match tokio::task::spawn_blocking(move || {
                        let mut v = Vec::new();
                        let order = zkrs_storage::SnapshotOrder::default();
                        write_snap_stream(&view, sessions.iter().copied(), &order, &mut v);
                        Bytes::from(v)
                    })
                    .await
                    {
                        Ok(b) => b,
                        Err(e) => {
                            let reason = format!("serializing the snapshot: {e}");
                            return closed(&events, side, reason).await;
                        }
                    };
                    if let Err(e) = write_half.write_all(&bytes).await {
                        return closed(&events, side, format!("write error: {e}")).await;
                    }
                }
            }
        }
        if !out.is_empty() {
            if let Err(e) = write_half.write_all(&out).await {
                return closed(&events, side, format!("write error: {e}")).await;
            }
            out.clear();
        }
    }
    let _ = write_half.shutdown().await;
}

/// Reports the link closed (the core task may be gone already: then nobody listens).
async fn closed(events: &mpsc::Sender<PeerEvent>, side: LinkSide, reason: String) {
    let _ = events.send(PeerEvent::Closed { side, reason }).await;
}

/// Connects to `addrs` (resolved now, each tried in turn) within `timeout`.
pub async fn connect_any(addrs: &[(String, u16)], timeout: Duration) -> std::io::Result<TcpStream> {
    let mut last_err = std::io::Error::new(std::io::ErrorKind::NotFound, "no address");
    for (host, port) in addrs {
        let resolved = match tokio::net::lookup_host((host.as_str(), *port)).await {
            Ok(r) => r.collect::<Vec<_>>(),
            Err(e) => {
                last_err = e;
                continue;
            }
        };
        for a in resolved {
            match tokio::time::timeout(timeout, TcpStream::connect(a)).await {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err(e)) => last_err = e,
                Err(_) => {
                    last_err =
                        std::io::Error::new(std::io::ErrorKind::TimedOut, "connect timed out")
                }
            }
        }
    }
    Err(last_err)
}

/// How a learner reads the snapshot stream of a SNAP sync.
fn snap_read_options(max_len: usize) -> SnapshotReadOptions {
    SnapshotReadOptions {
        max_len,
        ..SnapshotReadOptions::default()
    }
}
