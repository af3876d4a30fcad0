//! [`Link`]: one learner connection (a TCP stream between a learner and its leader's quorum
//! port) in the simulated network. Bytes flow in two directions, each FIFO; a direction that
//! lost a segment (sent across a partition) is broken for good, as a stalled TCP stream is:
//! nothing sent after the loss arrives either, and only the engines' timeouts or a reset end
//! it. Each end decodes what arrives with the real decoders (`QuorumFrameDecoder`, and
//! `SnapStreamDecoder` after a `SNAP` on the learner side).

use bytes::{Bytes, BytesMut};
use zkrs_datatree::DataTree;
use zkrs_jute::{PacketType, QuorumFrameDecoder, QuorumPacket};
use zkrs_storage::{SnapStreamDecoder, SnapshotReadOptions};

use crate::effect::LinkId;

/// The largest quorum packet accepted (the driver's `MAX_QUORUM_PACKET_LEN`).
const MAX_QUORUM_PACKET_LEN: usize = 64 * 1024 * 1024;

/// A direction of a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Direction {
    ToLeader,
    ToLearner,
}

impl Direction {
    fn index(self) -> usize {
        match self {
            Direction::ToLeader => 0,
            Direction::ToLearner => 1,
        }
    }
}

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// The learner asked for it; the leader has not accepted it yet.
    Connecting,
    Open,
    Closed,
}

/// What one end decoded.
#[derive(Debug)]
pub enum Received {
    Packet(QuorumPacket),
    Snapshot {
        zxid: i64,
        tree: Box<DataTree>,
        sessions: Vec<(i64, i32)>,
    },
}

/// The receiving side of one direction.
#[derive(Debug)]
struct Receiver {
    buf: BytesMut,
    decoder: QuorumFrameDecoder,
    snap: Option<(i64, SnapStreamDecoder)>,
}

impl Receiver {
    fn new() -> Receiver {
        Receiver {
            buf: BytesMut::new(),
            decoder: QuorumFrameDecoder::new(MAX_QUORUM_PACKET_LEN),
            snap: None,
        }
    }

    /// Appends `bytes` and decodes everything complete, as `quorum_link`'s reader does.
    fn feed(&mut self, bytes: &[u8], learner_side: bool) -> Result<Vec<Received>, String> {
        self.buf.extend_from_slice(bytes);
        let mut out = Vec::new();
        loop {
            if let Some((zxid, dec)) = self.snap.as_mut() {
                match dec.feed(&mut self.buf) {
                    Ok(None) => break,
                    Ok(Some(loaded)) => {
                        let zxid = *zxid;
                        self.snap = None;
                        out.push(Received::Snapshot {
                            zxid,
                            tree: Box::new(loaded.tree),
                            sessions: loaded.sessions.into_iter().collect(),
                        });
                        continue;
                    }
                    Err(e) => return Err(format!("bad snapshot stream: {e}")),
                }
            }
            match self.decoder.decode(&mut self.buf) {
                Ok(None) => break,
                Ok(Some(packet)) => {
                    if learner_side && PacketType::from_i32(packet.r#type) == Some(PacketType::Snap)
                    {
                        self.snap = Some((
                            packet.zxid,
                            SnapStreamDecoder::new(
                                packet.zxid,
                                SnapshotReadOptions {
                                    max_len: MAX_QUORUM_PACKET_LEN,
                                    ..SnapshotReadOptions::default()
                                },
                            ),
                        ));
                    }
                    out.push(Received::Packet(packet));
                }
                Err(e) => return Err(format!("bad quorum packet: {e}")),
            }
        }
        Ok(out)
    }
}

/// One learner connection.
#[derive(Debug)]
pub struct Link {
    pub id: LinkId,
    pub learner: u64,
    pub leader: u64,
    /// The incarnations of the two processes the connection belongs to.
    pub learner_incarnation: u64,
    pub leader_incarnation: u64,
    pub state: LinkState,
    broken: [bool; 2],
    /// The receiving end of a direction has closed or learned of the close: it reads nothing.
    ended: [bool; 2],
    /// The delivery time of the last segment queued in each direction (FIFO).
    last_delivery_ms: [u64; 2],
    to_leader: Receiver,
    to_learner: Receiver,
}

impl Link {
    pub fn new(id: LinkId, learner: u64, leader: u64, learner_incarnation: u64) -> Link {
        Link {
            id,
            learner,
            leader,
            learner_incarnation,
            leader_incarnation: 0,
            state: LinkState::Connecting,
            broken: [false; 2],
            ended: [false; 2],
            last_delivery_ms: [0; 2],
            to_leader: Receiver::new(),
            to_learner: Receiver::new(),
        }
    }

    /// The server that receives in `dir`.
    pub fn receiver(&self, dir: Direction) -> u64 {
        match dir {
            Direction::ToLeader => self.leader,
            Direction::ToLearner => self.learner,
        }
    }

    /// The server that sends in `dir`.
    pub fn sender(&self, dir: Direction) -> u64 {
        match dir {
            Direction::ToLeader => self.learner,
            Direction::ToLearner => self.leader,
        }
    }

    /// The direction in which `sid` sends.
    pub fn direction_from(&self, sid: u64) -> Direction {
        if sid == self.learner {
            Direction::ToLeader
        } else {
            Direction::ToLearner
        }
    }

    pub fn is_broken(&self, dir: Direction) -> bool {
        self.broken[dir.index()]
    }

    /// The receiving end of `dir` and its process incarnation.
    pub fn end(&self, dir: Direction) -> (u64, u64) {
        match dir {
            Direction::ToLeader => (self.leader, self.leader_incarnation),
            Direction::ToLearner => (self.learner, self.learner_incarnation),
        }
    }

    /// Whether the receiving end of `dir` stopped reading.
    pub fn receiver_ended(&self, dir: Direction) -> bool {
        self.ended[dir.index()]
    }

    /// The receiving end of `dir` stops reading.
    pub fn end_receiver(&mut self, dir: Direction) {
        self.ended[dir.index()] = true;
    }

    /// A segment was lost in `dir`: nothing more arrives that way.
    pub fn break_direction(&mut self, dir: Direction) {
        self.broken[dir.index()] = true;
    }

    /// When a segment sent now with `delay_ms` arrives, keeping the direction FIFO.
    pub fn delivery_time(&mut self, dir: Direction, now_ms: u64, delay_ms: u64) -> u64 {
        let i = dir.index();
        let t = (now_ms + delay_ms).max(self.last_delivery_ms[i]);
        self.last_delivery_ms[i] = t;
        t
    }

    /// Decodes a segment that arrived in `dir`.
    pub fn receive(&mut self, dir: Direction, bytes: &Bytes) -> Result<Vec<Received>, String> {
        match dir {
            Direction::ToLeader => self.to_leader.feed(bytes, false),
            Direction::ToLearner => self.to_learner.feed(bytes, true),
        }
    }
}
