//! Scripted faults and records for the sync-phase catalogue scenarios (§6: 2, 3, 11, 12,
//! 15–24; `tests/catalogue_sync.rs`).
//!
//! - **Election notifications**: rules that drop or delay the notifications of one sender,
//!   to one receiver, or proposing one leader ([`VoteRule`]), and random chaos ([`VoteChaos`]:
//!   extra delay, duplicates, reordering across the per-pair FIFO).
//! - **Learner connections**: rules that delay or skip one quorum packet a member sends
//!   ([`PacketRule`]); a link reset right after a learner processed a given packet; a crash of
//!   one member when a learner has read a SNAP's snapshot.
//! - **Crash points**: crash a member right after an epoch file write completed (the packets
//!   it would send in reply are lost with it).
//! - **Records**: every notification sent ([`SentVote`]) and every quorum packet sent and
//!   received ([`PacketEvent`]), for assertions on wire order.
//! - **Disk set-up**: write a member's acceptedEpoch, plant a snapshot of its tree, list its
//!   snapshots.
//!
//! Nothing here draws from the seeded generator unless a rule or chaos is set, so runs without
//! them replay as before.

use bytes::{Bytes, BytesMut};
use zkrs_jute::{Jute, JuteReader, PacketType, QuorumFrameDecoder, QuorumPacket, TxnHeader, Zxid};
use zkrs_zab::election::notification::Notification;
use zkrs_zab::EpochKind;

use crate::effect::LinkId;
use crate::event::Event;
use crate::link::LinkState;
use crate::node::encode_packet;
use crate::simulation::Simulation;

/// One election notification a member sent.
#[derive(Debug, Clone)]
pub struct SentVote {
    pub at_ms: u64,
    pub from: u64,
    pub to: u64,
    pub notification: Notification,
    /// Dropped by a rule.
    pub dropped: bool,
}

/// What a [`VoteRule`] does to a matching notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VoteAction {
    Drop,
    /// Delivered this much later than the network would (FIFO per pair is kept).
    Delay(u64),
}

/// Drops or delays the notifications that match every field given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteRule {
    pub from: Option<u64>,
    pub to: Option<u64>,
    /// The leader the notification proposes (or reports, outside an election).
    pub leader: Option<u64>,
    pub action: VoteAction,
}

/// Random trouble for every notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VoteChaos {
    /// An extra delay, uniform in this range (ms).
    pub extra_delay_ms: (u64, u64),
    /// Per mille of notifications delivered twice (a restarted SendWorker resends its last
    /// message).
    pub dup_per_mille: u64,
    /// Ignore the per-pair FIFO order.
    pub reorder: bool,
}

/// Which quorum packets a [`PacketRule`] (or a link reset) applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketMatch {
    /// The member that sends it (a rule) or receives it (a reset).
    pub sid: u64,
    pub packet_type: PacketType,
    /// Only this zxid.
    pub zxid: Option<i64>,
    /// Only packets whose zxid has counter 0 (NEWLEADER and its ACK, UPTODATE's ACK).
    pub counter_zero: bool,
    /// Only PROPOSALs whose txn header has this type (`OpCode` code).
    pub txn_type: Option<i32>,
}

impl PacketMatch {
    /// Every packet of this type `sid` sends or receives.
    pub fn new(sid: u64, packet_type: PacketType) -> PacketMatch {
        PacketMatch {
            sid,
            packet_type,
            zxid: None,
            counter_zero: false,
            txn_type: None,
        }
    }

    fn matches(&self, sid: u64, p: &QuorumPacket) -> bool {
        self.sid == sid
            && p.r#type == self.packet_type as i32
            && self.zxid.is_none_or(|z| z == p.zxid)
            && (!self.counter_zero || p.zxid & 0xffff_ffff == 0)
            && self.txn_type.is_none_or(|t| txn_type(p) == Some(t))
    }
}

/// What a [`PacketRule`] does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PacketAction {
    /// The segment leaves this much later (everything after it on the link waits: TCP).
    Delay(u64),
    /// The packet is never sent (a leader that skips one: tests the learner's guards).
    Skip,
    /// Right before it, the sender sends `ACK` of the last PROPOSAL it received on that
    /// connection, as a Java 3.5.9–3.9.1 follower can before its NEWLEADER ACK
    /// (ZOOKEEPER-4685). Needs [`Simulation::record_wire`].
    AckLastProposalFirst,
}

/// Applies to the next `times` packets matching `what` that a member sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PacketRule {
    pub what: PacketMatch,
    pub action: PacketAction,
    pub times: u32,
}

/// One quorum packet on a learner connection, sent or received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PacketEvent {
    pub at_ms: u64,
    pub link: LinkId,
    pub from: u64,
    pub to: u64,
    /// Sent (true) or received and processed (false).
    pub sent: bool,
    pub packet_type: Option<PacketType>,
    pub zxid: i64,
    /// A PROPOSAL's txn type.
    pub txn_type: Option<i32>,
}

/// The scripted faults and records of one simulation.
#[derive(Debug, Default)]
pub struct ScriptedSync {
    record: bool,
    votes: Vec<SentVote>,
    packets: Vec<PacketEvent>,
    vote_rules: Vec<VoteRule>,
    vote_chaos: Option<VoteChaos>,
    packet_rules: Vec<PacketRule>,
    epoch_crashes: Vec<(u64, EpochKind)>,
    resets: Vec<PacketMatch>,
    snapshot_crashes: Vec<(u64, u64)>,
    duplicated_votes: u64,
}

/// A PROPOSAL's (or INFORM's) txn type.
pub fn txn_type(p: &QuorumPacket) -> Option<i32> {
    let data = p.data.as_ref()?;
    TxnHeader::read_from(&mut JuteReader::new(data))
        .ok()
        .map(|h| h.r#type)
}

/// The first quorum packet of a segment.
fn first_packet(bytes: &Bytes) -> Option<QuorumPacket> {
    let mut buf = BytesMut::from(&bytes[..]);
    QuorumFrameDecoder::new(bytes.len().max(16))
        .decode(&mut buf)
        .ok()
        .flatten()
}

impl Simulation {
    // ---- Records ------------------------------------------------------------------------------

    /// Records every notification and quorum packet from now on ([`Simulation::votes`],
    /// [`Simulation::packets`]).
    pub fn record_wire(&mut self, on: bool) {
        self.scripted.record = on;
    }

    pub fn votes(&self) -> &[SentVote] {
        &self.scripted.votes
    }

    pub fn packets(&self) -> &[PacketEvent] {
        &self.scripted.packets
    }

    /// Notifications the chaos delivered twice.
    pub fn duplicated_votes(&self) -> u64 {
        self.scripted.duplicated_votes
    }

    // ---- Election notifications ---------------------------------------------------------------

    pub fn add_vote_rule(&mut self, rule: VoteRule) {
        self.scripted.vote_rules.push(rule);
    }

    pub fn clear_vote_rules(&mut self) {
        self.scripted.vote_rules.clear();
    }

    pub fn set_vote_chaos(&mut self, chaos: Option<VoteChaos>) {
        self.scripted.vote_chaos = chaos;
    }

    /// Schedules a notification under the rules and chaos. Returns false (nothing done, no
    /// random draw) when none applies: the caller schedules it as usual.
    pub(crate) fn scripted_election(&mut self, from: u64, to: u64, bytes: &Bytes) -> bool {
        let sc = &self.scripted;
        if sc.vote_rules.is_empty() && sc.vote_chaos.is_none() && !sc.record {
            return false;
        }
        let decoded = Notification::decode(bytes).ok();
        let leader = decoded.as_ref().map(|n| n.leader);
        let rule = self
            .scripted
            .vote_rules
            .iter()
            .find(|r| {
                r.from.is_none_or(|x| x == from)
                    && r.to.is_none_or(|x| x == to)
                    && r.leader.is_none_or(|x| Some(x as i64) == leader)
            })
            .map(|r| r.action);
        if self.scripted.record {
            if let Some(n) = decoded {
                self.scripted.votes.push(SentVote {
                    at_ms: self.now_ms,
                    from,
                    to,
                    notification: n,
                    dropped: rule == Some(VoteAction::Drop),
                });
            }
        }
        let chaos = self.scripted.vote_chaos;
        let extra = match (rule, chaos) {
            (Some(VoteAction::Drop), _) => return true,
            (Some(VoteAction::Delay(d)), _) => d,
            (None, Some(c)) => self.rng.range(c.extra_delay_ms.0, c.extra_delay_ms.1),
            (None, None) => return false,
        };
        let copies = match chaos {
            Some(c) if self.rng.chance(c.dup_per_mille) => 2,
            _ => 1,
        };
        self.scripted.duplicated_votes += copies - 1;
        let fifo = !chaos.is_some_and(|c| c.reorder);
        for _ in 0..copies {
            let (lo, hi) = self.config.net_delay_ms;
            let d = self.rng.range(lo, hi);
            let mut t = self.now_ms + d + extra;
            if fifo {
                let last = self
                    .election_last_delivery_ms
                    .entry((from, to))
                    .or_default();
                t = t.max(*last);
                *last = t;
            }
            self.queue.push(
                t,
                Event::Election {
                    from,
                    to,
                    bytes: bytes.clone(),
                },
            );
        }
        true
    }

    // ---- Learner connections -------------------------------------------------------------------

    pub fn add_packet_rule(&mut self, rule: PacketRule) {
        self.scripted.packet_rules.push(rule);
    }

    /// Breaks the learner connection right after `what.sid` (a learner) processed a packet
    /// matching `what` (once): the learner reads nothing more and drops the connection, as on
    /// a read timeout; the leader learns of the close.
    pub fn reset_link_after_packet(&mut self, what: PacketMatch) {
        self.scripted.resets.push(what);
    }

    /// Crashes `victim` when `learner` has read a SNAP's whole snapshot stream (once), before
    /// anything after it arrives.
    pub fn crash_when_snapshot_read(&mut self, learner: u64, victim: u64) {
        self.scripted.snapshot_crashes.push((learner, victim));
    }

    /// A segment `sid` sends on `link` (from `from` to `to`): its extra delay, or `None` if a
    /// rule skips it. Recorded.
    pub(crate) fn scripted_link_send(
        &mut self,
        sid: u64,
        link: LinkId,
        to: u64,
        bytes: &Bytes,
    ) -> Option<u64> {
        if self.scripted.packet_rules.is_empty() && !self.scripted.record {
            return Some(0);
        }
        let Some(p) = first_packet(bytes) else {
            return Some(0);
        };
        let mut extra = 0;
        let mut skip = false;
        let mut ack_first = false;
        if let Some(rule) = self
            .scripted
            .packet_rules
            .iter_mut()
            .find(|r| r.times > 0 && r.what.matches(sid, &p))
        {
            rule.times -= 1;
            match rule.action {
                PacketAction::Delay(d) => extra = d,
                PacketAction::Skip => skip = true,
                PacketAction::AckLastProposalFirst => ack_first = true,
            }
        }
        if ack_first {
            let last = self
                .scripted
                .packets
                .iter()
                .rev()
                .find(|e| {
                    !e.sent
                        && e.link == link
                        && e.to == sid
                        && e.packet_type == Some(PacketType::Proposal)
                })
                .map(|e| e.zxid);
            if let Some(z) = last {
                self.inject_packet(
                    sid,
                    link,
                    to,
                    &zkrs_zab::packet::bare(PacketType::Ack, Zxid(z)),
                );
            }
        }
        if self.scripted.record && !skip {
            self.scripted.packets.push(PacketEvent {
                at_ms: self.now_ms + extra,
                link,
                from: sid,
                to,
                sent: true,
                packet_type: PacketType::from_i32(p.r#type),
                zxid: p.zxid,
                txn_type: txn_type(&p),
            });
        }
        (!skip).then_some(extra)
    }

    /// `sid` sends `p` on `link` now, ahead of whatever it sends next.
    fn inject_packet(&mut self, sid: u64, link: LinkId, to: u64, p: &QuorumPacket) {
        let (lo, hi) = self.config.net_delay_ms;
        let d = self.rng.range(lo, hi);
        let now = self.now_ms;
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let dir = l.direction_from(sid);
        let t = l.delivery_time(dir, now, d);
        let bytes = encode_packet(p);
        self.queue.push(t, Event::LinkData { link, dir, bytes });
        if self.scripted.record {
            self.scripted.packets.push(PacketEvent {
                at_ms: now,
                link,
                from: sid,
                to,
                sent: true,
                packet_type: PacketType::from_i32(p.r#type),
                zxid: p.zxid,
                txn_type: None,
            });
        }
    }

    /// After `sid` processed packet `p` from `from` on `link`: records it, and resets the link
    /// if a reset point matches. Returns whether the link was reset.
    pub(crate) fn scripted_link_received(
        &mut self,
        link: LinkId,
        sid: u64,
        from: u64,
        p: &QuorumPacket,
    ) -> bool {
        if self.scripted.record {
            self.scripted.packets.push(PacketEvent {
                at_ms: self.now_ms,
                link,
                from,
                to: sid,
                sent: false,
                packet_type: PacketType::from_i32(p.r#type),
                zxid: p.zxid,
                txn_type: txn_type(p),
            });
        }
        let Some(i) = self.scripted.resets.iter().position(|m| m.matches(sid, p)) else {
            return false;
        };
        self.scripted.resets.remove(i);
        let open = self
            .links
            .get(&link)
            .is_some_and(|l| l.state != LinkState::Closed);
        if open {
            // The learner's read fails (a timeout): it reads nothing more, closes its end and
            // learns the connection is gone; the leader learns of the close.
            self.close_link_from(link, sid);
            self.with_node(sid, |n, ctx| n.on_link_closed(link, ctx));
        }
        open
    }

    /// `sid` read a whole snapshot stream: a crash point may fire.
    pub(crate) fn scripted_snapshot_read(&mut self, sid: u64) {
        if let Some(i) = self
            .scripted
            .snapshot_crashes
            .iter()
            .position(|(l, _)| *l == sid)
        {
            let (_, victim) = self.scripted.snapshot_crashes.remove(i);
            self.crash(victim);
        }
    }

    // ---- Crash points ---------------------------------------------------------------------------

    /// Crashes `sid` right after its next write of this epoch file completed: the file is
    /// durable, and what the node sends in reply is lost with it.
    pub fn crash_after_epoch_write(&mut self, sid: u64, kind: EpochKind) {
        self.scripted.epoch_crashes.push((sid, kind));
    }

    /// Whether a crash point fires for this completed epoch write (it is used up).
    pub(crate) fn take_epoch_crash_point(&mut self, sid: u64, kind: EpochKind) -> bool {
        match self
            .scripted
            .epoch_crashes
            .iter()
            .position(|&(s, k)| s == sid && k == kind)
        {
            Some(i) => {
                self.scripted.epoch_crashes.remove(i);
                true
            }
            None => false,
        }
    }

    // ---- Disk set-up ------------------------------------------------------------------------------

    /// Writes `sid`'s acceptedEpoch file (durable). For a member that is down.
    pub fn write_accepted_epoch(&mut self, sid: u64, epoch: i64) -> Result<(), String> {
        let storage = self.node(sid).open_storage()?;
        storage
            .write_accepted_epoch(epoch)
            .map_err(|e| e.to_string())
    }

    /// Writes a snapshot of `sid`'s current tree to its disk, as a Java leader's `loadData`
    /// does before any quorum exists (a possibly dirty snapshot). Returns its zxid.
    pub fn plant_snapshot(&mut self, sid: u64) -> Result<i64, String> {
        let n = self.node(sid);
        let storage = n.open_storage()?;
        let sessions = n.core().committed_sessions();
        storage
            .save_snapshot(n.tree(), sessions, None)
            .map_err(|e| e.to_string())?;
        Ok(n.tree().last_processed_zxid())
    }

    /// The zxids of the snapshot files on `sid`'s disk.
    pub fn snapshot_zxids(&self, sid: u64) -> Vec<i64> {
        self.node(sid)
            .open_storage()
            .and_then(|s| s.snapshots().list().map_err(|e| e.to_string()))
            .map(|l| l.into_iter().map(|f| f.zxid).collect())
            .unwrap_or_default()
    }
}
