//! Four-letter words on the client port, rendered exactly as ZooKeeper 3.8 prints them.
//!
//! The core task calls [`render`] with a [`FourLetterContext`] borrowed from its own state; the
//! result is written raw (no length prefix) and the connection is closed. Side effects (`crst`,
//! `srst`, `stmk`) are applied by the caller before rendering.
//!
//! - `stat`: `srvr`, `stat`, `cons` (`StatCommand`, `ConsCommand`, `ServerCnxn.dumpConnectionInfo`).
//! - `conf`: `conf`, `dirs` (`ZooKeeperServer.dumpConf`, `DirsCommand`).
//! - `watches`: `wchs`, `wchc`, `wchp` (`WatchManager`).
//! - `dump`: `dump` (`SessionTrackerImpl`, `DataTree.dumpEphemerals`, NIO connection dump).
//! - `envi`: `envi` (`Environment.list`).
//! - `mntr`: `mntr` (`MonitorCommand` + the default metrics provider, or the Prometheus
//!   provider's samples from `prometheus`, which also renders the `/metrics` exposition).

mod conf;
mod dump;
mod envi;
pub(crate) mod metric_values;
pub(crate) mod mntr;
pub(crate) mod prometheus;
mod stat;
mod watches;

pub(crate) use conf::dir_size;
pub(crate) use envi::environment;
pub(crate) use stat::{interest_ops, shown_zxid};

use std::collections::BTreeMap;
use std::net::SocketAddr;

use zkrs_jute::FourLetterWord;
use zkrs_session::{Clock, ConnId};

use crate::config::ServerConfig;
use crate::conn_entry::ConnEntry;
use crate::conn_limits::ConnLimits;
use crate::core_view::CoreView;
use crate::throttle::Throttle;
use crate::wire_stats::WireStats;

/// ZooKeeper's default text trace mask (`ZooTrace`), what `gtmk` prints before any `stmk`.
pub const DEFAULT_TRACE_MASK: i64 = 306;

/// Everything a four-letter word may read.
#[derive(Debug, Clone, Copy)]
pub struct FourLetterContext<'a> {
    pub core: CoreView<'a>,
    pub config: &'a ServerConfig,
    /// The address the client port is bound to.
    pub local_addr: SocketAddr,
    pub conns: &'a BTreeMap<ConnId, ConnEntry>,
    pub stats: &'a WireStats,
    pub limits: &'a ConnLimits,
    pub throttle: &'a Throttle,
    pub now: Clock,
    pub uptime_ms: u64,
    pub trace_mask: i64,
    /// What a quorum member reports beyond a standalone server (`None`: standalone).
    pub quorum: Option<&'a QuorumInfo>,
}

/// A quorum member's state as the four-letter words print it.
#[derive(Debug, Clone, Default)]
pub struct QuorumInfo {
    /// `QuorumPeer.getDetailedPeerState`: `leading - broadcast`, `following - synchronization`...
    pub peer_state: String,
    /// The voting members (`zk_quorum_size`).
    pub quorum_size: usize,
    pub server_id: u64,
    pub init_limit: u64,
    pub sync_limit: u64,
    pub election_port: u16,
    pub quorum_port: u16,
    /// 0 participant, 1 observer (`LearnerType.ordinal`).
    pub peer_type: u8,
    /// `QuorumVerifier.toString()`.
    pub membership: String,
    /// Only on the leader.
    pub leader: Option<LeaderInfo>,
    /// An observer's learner master (the leader's sid): `mntr`'s `zk_observer_master_id`.
    pub observer_master_id: Option<u64>,
}

/// The leader-only figures.
#[derive(Debug, Clone, Default)]
pub struct LeaderInfo {
    pub learners: usize,
    pub synced_followers: usize,
    /// Followers outside the voting membership (joiners, removed members).
    pub synced_non_voting_followers: usize,
    pub synced_observers: usize,
    pub pending_syncs: usize,
    pub leader_uptime_ms: u64,
    /// last, min, max.
    pub proposal_sizes: (i64, i64, i64),
    /// `epoch << 32` once established (`Leader.startZkServer` sets the database's
    /// lastProcessedZxid to it, so `srvr` shows it before the epoch's first write).
    pub established_zxid: Option<i64>,
}

/// The text a four-letter word answers (without the whitelist check).
pub fn render(word: FourLetterWord, arg: Option<i64>, ctx: &FourLetterContext<'_>) -> String {
    match word {
        FourLetterWord::Ruok => "imok".to_string(),
        FourLetterWord::Isro => if ctx.core.is_read_only() { "ro" } else { "rw" }.to_string(),
        FourLetterWord::Gtmk => ctx.trace_mask.to_string(),
        FourLetterWord::Stmk => arg.unwrap_or(ctx.trace_mask).to_string(),
        FourLetterWord::Crst => "Connection stats reset.\n".to_string(),
        FourLetterWord::Srst => "Server stats reset.\n".to_string(),
        FourLetterWord::Srvr => stat::srvr(ctx, false),
        FourLetterWord::Stat => stat::srvr(ctx, true),
        FourLetterWord::Cons => stat::cons(ctx),
        FourLetterWord::Conf => conf::conf(ctx),
        FourLetterWord::Dirs => conf::dirs(ctx),
        FourLetterWord::Wchs => watches::wchs(ctx),
        FourLetterWord::Wchc => watches::wchc(ctx),
        FourLetterWord::Wchp => watches::wchp(ctx),
        FourLetterWord::Dump => dump::dump(ctx),
        FourLetterWord::Envi => envi::envi(),
        FourLetterWord::Mntr => mntr::mntr(ctx),
        FourLetterWord::Hash => hash(ctx),
    }
}

/// `<cmd> is not executed because it is not in the whitelist.\n`, ZooKeeper's refusal.
pub fn refusal(word: FourLetterWord) -> String {
    format!(
        "{} is not executed because it is not in the whitelist.\n",
        word.name()
    )
}

/// `hash`: `<hex zxid>: <digest>` per digest-log entry.
fn hash(ctx: &FourLetterContext<'_>) -> String {
    let mut out = String::new();
    for (zxid, digest) in ctx.core.digest_log() {
        out.push_str(&format!("{}: {digest}\n", crate::java_fmt::hex(zxid)));
    }
    out
}
