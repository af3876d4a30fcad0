//! [`Effect`]: what a simulated node asks the world to do (the I/O a real driver performs).

use bytes::Bytes;
use zkrs_datatree::DataTree;
use zkrs_session::ConnId;
use zkrs_zab::EpochKind;

/// Identifies one learner connection (also the leader's `HandlerId` for it).
pub type LinkId = u64;

/// One request of a node to the simulated world.
#[derive(Debug)]
pub enum Effect {
    /// An election notification (encoded) to server `to`.
    SendElection { to: u64, bytes: Bytes },
    /// Open a learner connection to `leader`.
    Connect { leader: u64 },
    /// Bytes (encoded quorum packets, or SNAP + snapshot stream) on a learner connection.
    LinkSend { link: LinkId, bytes: Bytes },
    /// Close a learner connection (the other end learns of it).
    LinkClose { link: LinkId },
    /// fsync the txn log: report with `Node::on_fsync(log_generation)`.
    Fsync { log_generation: u64 },
    /// Write an epoch file: report with `Node::on_epoch_written`. `role_generation` names
    /// the role that asked.
    WriteEpoch {
        kind: EpochKind,
        epoch: i64,
        role_generation: u64,
    },
    /// Write a snapshot of this tree: report with `Node::on_snapshot_written`.
    WriteSnapshot {
        role_generation: u64,
        zxid: i64,
        tree: Box<DataTree>,
        sessions: Vec<(i64, i32)>,
    },
    /// A frame to a client connection.
    ClientFrame { conn: ConnId, frame: Bytes },
    /// The server closed a client connection.
    ClientClose { conn: ConnId },
}
