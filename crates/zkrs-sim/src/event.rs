//! [`Event`]: everything that can happen at a point of logical time.

use bytes::Bytes;
use zkrs_datatree::DataTree;
use zkrs_zab::EpochKind;

use crate::effect::LinkId;
use crate::link::Direction;

/// One scheduled input of the simulated world.
#[derive(Debug)]
pub enum Event {
    /// An election notification arrives.
    Election { from: u64, to: u64, bytes: Bytes },
    /// A learner's connection attempt reaches the leader's quorum port.
    LinkConnect { link: LinkId, attempt: u32 },
    /// The leader accepted: the learner's connect returns.
    LinkConnected { link: LinkId },
    /// A segment arrives on a link.
    LinkData {
        link: LinkId,
        dir: Direction,
        bytes: Bytes,
    },
    /// The receiving end in `dir` learns the connection is gone.
    LinkClosed { link: LinkId, dir: Direction },
    /// A learner retries a connect that failed (`Learner.connectToLeader`).
    LinkRetry { link: LinkId, attempt: u32 },
    /// An fsync completes.
    Fsync {
        sid: u64,
        incarnation: u64,
        log_generation: u64,
    },
    /// An epoch file write completes.
    EpochWritten {
        sid: u64,
        incarnation: u64,
        kind: EpochKind,
        epoch: i64,
        role_generation: u64,
    },
    /// A snapshot write completes.
    SnapshotWritten {
        sid: u64,
        incarnation: u64,
        role_generation: u64,
        zxid: i64,
        tree: Box<DataTree>,
        sessions: Vec<(i64, i32)>,
    },
    /// A node's engines have timed work.
    Timer { sid: u64, seq: u64 },
    /// A client acts (sends its next request, reconnects, checks its timeout).
    Client { client: usize },
    /// The nemesis injects a fault.
    Nemesis,
    /// A scripted action of a scenario test ends the scripted wait.
    Wake,
}
