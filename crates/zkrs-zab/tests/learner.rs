//! The follower/observer state machine driven by scripted leader packets and persistence
//! reports: the captured 3.8.0 conversations byte for byte, the DIFF/TRUNC/SNAP syncs, the
//! NEWLEADER ordering (ZOOKEEPER-3911/4643/4646/4685/4785), COMMIT between NEWLEADER and
//! UPTODATE (ZOOKEEPER-4394), non-contiguous proposals (ZOOKEEPER-4925), timeouts, malformed
//! packets, and a property test over random persistence timing.

use std::collections::VecDeque;

use bytes::Bytes;
use proptest::prelude::*;
use zkrs_config::QuorumVerifier;
use zkrs_jute::{Id, Jute, PacketType, QuorumPacket, TxnHeader};
use zkrs_zab::learner::SyncMode;
use zkrs_zab::packet;
use zkrs_zab::{EpochKind, Learner, LearnerPhase, LearnerStart, ZabConfig, ZabOutput, Zxid};

// ---------------------------------------------------------------------------------------------
// Helpers

/// The ensemble of the captures (`captures/fake3_out.txt`).
const CAPTURE_CONFIG: &str = "server.1=127.0.0.1:42888:43888:participant;127.0.0.1:42181\n\
server.2=127.0.0.1:42889:43889:participant;127.0.0.1:42182\n\
server.3=127.0.0.1:42890:43890:participant;127.0.0.1:42183\n\
version=0";

const TICK_MS: u64 = 2000;
const INIT_LIMIT_MS: u64 = 10 * TICK_MS;
const SYNC_LIMIT_MS: u64 = 5 * TICK_MS;

fn config() -> ZabConfig {
    ZabConfig {
        my_id: 3,
        tick_time_ms: TICK_MS,
        init_limit_ticks: 10,
        sync_limit_ticks: 5,
        verifier: QuorumVerifier::parse(CAPTURE_CONFIG, "test", false)
            .unwrap_or_else(|e| panic!("{e}")),
        commit_log_count: 500,
        txn_log_sync_enabled: false,
        reconfig_enabled: false,
        last_seen_verifier: None,
        observer: false,
    }
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|e| panic!("{e}")))
        .collect()
}

fn z(epoch: i64, counter: u32) -> Zxid {
    Zxid::new(epoch, counter)
}

fn start(accepted: i64, current: i64, last: Zxid) -> LearnerStart {
    LearnerStart {
        leader_sid: 2,
        observer: false,
        accepted_epoch: accepted,
        current_epoch: current,
        last_logged_zxid: last,
    }
}

/// A txn-log entry for `zxid`: a TxnHeader (type create) and an opaque body.
fn txn(zxid: Zxid) -> Bytes {
    let mut out = TxnHeader {
        client_id: 0x0100_0008_7328_0000,
        cxid: zxid.counter() as i32,
        zxid: zxid.raw(),
        time: 0x1a2_0000_877a,
        r#type: 1,
    }
    .to_bytes();
    out.extend_from_slice(b"body");
    Bytes::from(out)
}

fn leader_info(epoch: i64) -> QuorumPacket {
    packet::with_data(
        PacketType::LeaderInfo,
        z(epoch, 0),
        packet::int_data(0x10000),
    )
}

fn diff(zxid: Zxid) -> QuorumPacket {
    packet::bare(PacketType::Diff, zxid)
}

fn trunc(zxid: Zxid) -> QuorumPacket {
    packet::bare(PacketType::Trunc, zxid)
}

fn snap(zxid: Zxid) -> QuorumPacket {
    packet::bare(PacketType::Snap, zxid)
}

fn proposal(zxid: Zxid) -> QuorumPacket {
    packet::with_data(PacketType::Proposal, zxid, txn(zxid))
}

fn inform(zxid: Zxid) -> QuorumPacket {
    packet::with_data(PacketType::Inform, zxid, txn(zxid))
}

fn commit(zxid: Zxid) -> QuorumPacket {
    packet::bare(PacketType::Commit, zxid)
}

fn new_leader(epoch: i64) -> QuorumPacket {
    packet::with_data(
        PacketType::NewLeader,
        z(epoch, 0),
        Bytes::from_static(CAPTURE_CONFIG.as_bytes()),
    )
}

fn up_to_date() -> QuorumPacket {
    packet::bare(PacketType::UpToDate, Zxid(-1))
}

fn ping(zxid: Zxid) -> QuorumPacket {
    packet::bare(PacketType::Ping, zxid)
}

fn name(ty: i32) -> String {
    match PacketType::from_i32(ty) {
        Some(PacketType::FollowerInfo) => "FOLLOWERINFO".into(),
        Some(PacketType::ObserverInfo) => "OBSERVERINFO".into(),
        Some(PacketType::AckEpoch) => "ACKEPOCH".into(),
        Some(PacketType::Ack) => "ACK".into(),
        Some(PacketType::Request) => "REQUEST".into(),
        Some(PacketType::Revalidate) => "REVALIDATE".into(),
        Some(PacketType::Ping) => "PING".into(),
        _ => format!("type {ty}"),
    }
}

/// A compact text form of an output, for exact sequence assertions.
fn describe(o: &ZabOutput) -> String {
    match o {
        ZabOutput::ConnectToLeader { sid } => format!("connect {sid}"),
        ZabOutput::SendToLeader { packet } if packet.r#type == PacketType::AckEpoch as i32 => {
            format!(
                "send ACKEPOCH {} {}",
                Zxid(packet.zxid),
                packet::read_int(packet.data.as_ref()).unwrap_or(i32::MIN)
            )
        }
        ZabOutput::SendToLeader { packet } => {
            format!("send {} {}", name(packet.r#type), Zxid(packet.zxid))
        }
        ZabOutput::AnswerPing { zxid } => format!("ping {zxid}"),
        ZabOutput::Apply { zxid, .. } => format!("apply {zxid}"),
        ZabOutput::Truncate { zxid } => format!("truncate {zxid}"),
        ZabOutput::TakeSnapshot { zxid } => format!("snapshot {zxid}"),
        ZabOutput::RevalidateAnswer { session_id, valid } => {
            format!("revalidated {session_id:#x} {valid}")
        }
        ZabOutput::SyncAnswered => "sync answered".into(),
        ZabOutput::LogTxn { zxid, .. } => format!("log {zxid}"),
        ZabOutput::PersistEpoch { kind, epoch } => format!("persist {kind:?} {epoch}"),
        ZabOutput::StartServing => "serve".into(),
        ZabOutput::Shutdown { reason } => format!("shutdown: {reason}"),
        other => format!("{other:?}"),
    }
}

fn drain(l: &mut Learner) -> Vec<ZabOutput> {
    std::iter::from_fn(|| l.poll_output()).collect()
}

fn outs(l: &mut Learner) -> Vec<String> {
    drain(l).iter().map(describe).collect()
}

fn feed(l: &mut Learner, packets: Vec<QuorumPacket>, now_ms: u64) -> Vec<String> {
    for p in packets {
        l.handle_packet(p, now_ms);
    }
    outs(l)
}

fn assert_shutdown(out: &[String], needle: &str) {
    let last = out.last().map(String::as_str).unwrap_or("");
    assert!(
        last.starts_with("shutdown: ") && last.contains(needle),
        "expected a shutdown mentioning {needle:?}, got {out:?}"
    );
}

/// A follower through discovery with LEADERINFO `epoch` (> accepted), ACKEPOCH sent.
fn discovered(s: LearnerStart, epoch: i64) -> Learner {
    let mut l = Learner::new(config(), s, 0);
    assert_eq!(outs(&mut l), ["connect 2"]);
    l.handle_connected(0);
    drain(&mut l);
    l.handle_packet(leader_info(epoch), 0);
    assert_eq!(outs(&mut l), [format!("persist Accepted {epoch}")]);
    l.handle_epoch_persisted(EpochKind::Accepted, epoch, 0);
    drain(&mut l);
    l
}

/// Completes the NEWLEADER steps of a DIFF sync whose committed txns end at `last` (or none).
fn finish_new_leader(l: &mut Learner, last: Option<Zxid>, epoch: i64) {
    if let Some(last) = last {
        l.handle_logged(last, 0);
    }
    assert_eq!(outs(l), [format!("persist Current {epoch}")]);
    l.handle_epoch_persisted(EpochKind::Current, epoch, 0);
    assert_eq!(outs(l), [format!("send ACK {}", z(epoch, 0))]);
}

// ---------------------------------------------------------------------------------------------
// The captured 3.8.0 conversations

#[test]
fn captured_snap_conversation_follower() {
    let mut l = Learner::new(config(), start(0, 0, Zxid::ZERO), 0);
    assert_eq!(outs(&mut l), ["connect 2"]);
    assert_eq!(l.phase(), LearnerPhase::Connecting);

    l.handle_connected(10);
    let out = drain(&mut l);
    let [ZabOutput::SendToLeader {
        packet: followerinfo,
    }] = out.as_slice()
    else {
        panic!("{out:?}");
    };
    assert_eq!(
        followerinfo.to_bytes(),
        hex("0000000b0000000000000000000000140000000000000003000100000000000000000000ffffffff")
    );
    assert_eq!(l.phase(), LearnerPhase::Discovery);

    // LEADERINFO zxid=0x100000000 data=00010000: epoch 1 > accepted 0.
    l.handle_packet(leader_info(1), 20);
    assert_eq!(outs(&mut l), ["persist Accepted 1"]);
    assert_eq!(l.accepted_epoch(), 0, "not durable yet");
    l.handle_epoch_persisted(EpochKind::Accepted, 1, 25);
    let out = drain(&mut l);
    let [ZabOutput::SendToLeader { packet: ackepoch }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        ackepoch.to_bytes(),
        hex("0000001200000000000000000000000400000000ffffffff")
    );
    assert_eq!(l.accepted_epoch(), 1);

    // SNAP zxid=0x100000000, the stream, then NEWLEADER.
    l.handle_packet(snap(z(1, 0)), 30);
    assert_eq!(outs(&mut l), Vec::<String>::new());
    assert_eq!(l.sync_mode(), Some(SyncMode::Snap));
    l.handle_snapshot_loaded(z(1, 0), 40);
    assert_eq!(l.last_committed_zxid(), z(1, 0));
    assert_eq!(
        l.last_logged_zxid(),
        Zxid::ZERO,
        "an unsaved SNAP is not advertised"
    );
    l.handle_packet(new_leader(1), 50);
    assert_eq!(outs(&mut l), ["snapshot 0x100000000"]);
    assert_eq!(
        l.new_leader_config().map(|b| b.as_ref()),
        Some(CAPTURE_CONFIG.as_bytes())
    );
    l.handle_snapshot_taken(z(1, 0), 60);
    assert_eq!(outs(&mut l), ["persist Current 1"]);
    assert_eq!(l.last_logged_zxid(), z(1, 0));
    l.handle_epoch_persisted(EpochKind::Current, 1, 70);
    let out = drain(&mut l);
    let [ZabOutput::SendToLeader { packet: ack }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        ack.to_bytes(),
        hex("000000030000000100000000ffffffffffffffff")
    );
    assert_eq!(l.current_epoch(), 1);
    assert!(!l.is_serving());

    // UPTODATE: serve, then ACK(0x100000000) as the capture shows.
    l.handle_packet(up_to_date(), 80);
    assert_eq!(outs(&mut l), ["serve", "send ACK 0x100000000"]);
    assert!(l.is_serving());
    assert_eq!(l.phase(), LearnerPhase::Broadcast);

    l.handle_packet(ping(z(1, 0)), 90);
    assert_eq!(outs(&mut l), ["ping 0x100000000"]);

    // PROPOSAL 0x100000001 (createSession, captured bytes) → log, ACK once durable, COMMIT.
    let data = Bytes::from(hex(
        "0100000873280000000000000000000100000001000001a20000877afffffff600004e20000000020000000051c6d660",
    ));
    l.handle_packet(
        packet::with_data(PacketType::Proposal, z(1, 1), data.clone()),
        100,
    );
    let out = drain(&mut l);
    assert_eq!(
        out,
        [ZabOutput::LogTxn {
            zxid: z(1, 1),
            txn: data.clone()
        }]
    );
    l.handle_logged(z(1, 1), 110);
    let out = drain(&mut l);
    let [ZabOutput::SendToLeader { packet: ack }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        ack.to_bytes(),
        hex("000000030000000100000001ffffffffffffffff")
    );
    assert_eq!(l.last_logged_zxid(), z(1, 1));
    l.handle_packet(commit(z(1, 1)), 120);
    assert_eq!(
        drain(&mut l),
        [ZabOutput::Apply {
            zxid: z(1, 1),
            txn: data
        }]
    );
    assert_eq!(l.last_committed_zxid(), z(1, 1));

    // Three more proposals from the capture, pipelined.
    for c in 2..=4 {
        l.handle_packet(proposal(z(1, c)), 130);
    }
    assert_eq!(
        outs(&mut l),
        ["log 0x100000002", "log 0x100000003", "log 0x100000004"]
    );
    l.handle_packet(commit(z(1, 2)), 140);
    assert_eq!(outs(&mut l), ["apply 0x100000002"]);
    l.handle_logged(z(1, 3), 150);
    assert_eq!(
        outs(&mut l),
        ["send ACK 0x100000002", "send ACK 0x100000003"]
    );
    l.handle_logged(z(1, 4), 160);
    assert_eq!(outs(&mut l), ["send ACK 0x100000004"]);
    l.handle_packet(commit(z(1, 3)), 170);
    l.handle_packet(commit(z(1, 4)), 170);
    assert_eq!(outs(&mut l), ["apply 0x100000003", "apply 0x100000004"]);
}

#[test]
fn captured_snap_conversation_observer() {
    let mut s = start(0, 0, Zxid::ZERO);
    s.observer = true;
    let mut l = Learner::new(config(), s, 0);
    drain(&mut l);
    l.handle_connected(0);
    let out = drain(&mut l);
    let [ZabOutput::SendToLeader { packet: info }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        info.to_bytes(),
        hex("000000100000000000000000000000140000000000000003000100000000000000000000ffffffff")
    );
    l.handle_packet(leader_info(1), 0);
    l.handle_epoch_persisted(EpochKind::Accepted, 1, 0);
    let out = drain(&mut l);
    let [_, ZabOutput::SendToLeader { packet: ackepoch }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        ackepoch.to_bytes(),
        hex("0000001200000000000000000000000400000000ffffffff")
    );
    // SNAP at 0x100000004 (the leader had written), NEWLEADER 0x100000000.
    l.handle_packet(snap(z(1, 4)), 0);
    l.handle_snapshot_loaded(z(1, 4), 0);
    l.handle_packet(new_leader(1), 0);
    assert_eq!(outs(&mut l), ["snapshot 0x100000004"]);
    l.handle_snapshot_taken(z(1, 4), 0);
    l.handle_epoch_persisted(EpochKind::Current, 1, 0);
    let out = drain(&mut l);
    let [_, ZabOutput::SendToLeader { packet: ack }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        ack.to_bytes(),
        hex("000000030000000100000000ffffffffffffffff")
    );
    // Observers ACK UPTODATE too (the common tail of Learner.syncWithLeader).
    l.handle_packet(up_to_date(), 0);
    assert_eq!(outs(&mut l), ["serve", "send ACK 0x100000000"]);
    l.handle_packet(ping(z(1, 4)), 0);
    assert_eq!(outs(&mut l), ["ping 0x100000004"]);

    // The captured INFORMs: logged and applied, never ACKed.
    let informs = [
        "0100000873280001000000000000000100000005000001a20000dd4efffffff600004e2000000002000000018920322b",
        "0100000873280001000000010000000100000006000001a20000dd5100000005000000032f7131000000036f62730000000100000002000000015f0a3556",
        "0100000873280001000000020000000100000007000001a20000dd56fffffff50000000000000002000000015f0a3556",
    ];
    for (i, h) in informs.iter().enumerate() {
        let zx = z(1, 5 + i as u32);
        l.handle_packet(
            packet::with_data(PacketType::Inform, zx, Bytes::from(hex(h))),
            0,
        );
    }
    assert_eq!(
        outs(&mut l),
        [
            "log 0x100000005",
            "apply 0x100000005",
            "log 0x100000006",
            "apply 0x100000006",
            "log 0x100000007",
            "apply 0x100000007"
        ]
    );
    l.handle_logged(z(1, 7), 0);
    assert_eq!(
        outs(&mut l),
        Vec::<String>::new(),
        "observers never ACK txns"
    );
    assert_eq!(l.last_logged_zxid(), z(1, 7));
    assert_eq!(l.last_committed_zxid(), z(1, 7));

    // Observers ignore PROPOSAL and COMMIT.
    l.handle_packet(proposal(z(1, 8)), 0);
    l.handle_packet(commit(z(1, 8)), 0);
    assert_eq!(outs(&mut l), Vec::<String>::new());
    assert!(l.is_serving());
}

#[test]
fn captured_request_forwarding() {
    let mut l = Learner::new(config(), start(0, 0, Zxid::ZERO), 0);
    drain(&mut l);
    let ip = || Id {
        scheme: "ip".into(),
        id: "127.0.0.1".into(),
    };
    assert!(!l.forward_request(1, 0, -10, Bytes::new(), vec![]));
    assert!(!l.revalidate(1, 30000));
    l.handle_connected(0);
    l.handle_packet(leader_info(1), 0);
    l.handle_epoch_persisted(EpochKind::Accepted, 1, 0);
    l.handle_packet(snap(z(1, 7)), 0);
    l.handle_snapshot_loaded(z(1, 7), 0);
    l.handle_packet(new_leader(1), 0);
    l.handle_snapshot_taken(z(1, 7), 0);
    l.handle_epoch_persisted(EpochKind::Current, 1, 0);
    l.handle_packet(up_to_date(), 0);
    drain(&mut l);

    // REQUEST createSession (timeout 15000) with authinfo ip:127.0.0.1, byte for byte.
    assert!(l.forward_request(
        0x0300_0000_0000_1234,
        0,
        -10,
        Bytes::from(hex("00003a98")),
        vec![ip()]
    ));
    let out = drain(&mut l);
    let [ZabOutput::SendToLeader { packet: req }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        req.to_bytes(),
        hex("00000001ffffffffffffffff00000014030000000000123400000000fffffff600003a9800000001000000026970000000093132372e302e302e31")
    );

    // REVALIDATE out, its answer in; SYNC answered.
    assert!(l.revalidate(0x0300_0000_0000_1234, 30000));
    let out = drain(&mut l);
    let [ZabOutput::SendToLeader { packet: rv }] = out.as_slice() else {
        panic!("{out:?}");
    };
    assert_eq!(
        rv.to_bytes(),
        hex("00000006ffffffffffffffff0000000c030000000000123400007530ffffffff")
    );
    l.handle_packet(
        packet::with_data(
            PacketType::Revalidate,
            Zxid(-1),
            packet::revalidate_answer(0x0300_0000_0000_1234, true),
        ),
        0,
    );
    l.handle_packet(packet::bare(PacketType::Sync, Zxid::ZERO), 0);
    assert_eq!(
        outs(&mut l),
        ["revalidated 0x300000000001234 true", "sync answered"]
    );
}

// ---------------------------------------------------------------------------------------------
// Discovery

#[test]
fn leader_info_higher_epoch_persists_before_ackepoch() {
    let mut l = Learner::new(config(), start(3, 2, z(2, 9)), 0);
    drain(&mut l);
    l.handle_connected(0);
    assert_eq!(outs(&mut l), ["send FOLLOWERINFO 0x300000000"]);
    l.handle_packet(leader_info(4), 0);
    assert_eq!(outs(&mut l), ["persist Accepted 4"]);
    // Packets are held until the epoch is durable (none is expected, but none is lost).
    l.handle_packet(diff(z(2, 9)), 0);
    assert_eq!(outs(&mut l), Vec::<String>::new());
    assert_eq!(l.phase(), LearnerPhase::Discovery);
    l.handle_epoch_persisted(EpochKind::Accepted, 4, 0);
    assert_eq!(outs(&mut l), ["send ACKEPOCH 0x200000009 2"]);
    assert_eq!(l.sync_mode(), Some(SyncMode::Diff));
    assert_eq!(l.accepted_epoch(), 4);
    assert_eq!(l.new_epoch(), Some(4));
    assert_eq!(l.leader_protocol_version(), Some(0x10000));
}

#[test]
fn packets_held_during_a_slow_disk_are_bounded() {
    let mut l = Learner::new(config(), start(3, 2, z(2, 9)), 0);
    drain(&mut l);
    l.handle_connected(0);
    l.handle_packet(leader_info(4), 0);
    drain(&mut l);
    // The acceptedEpoch write never completes; the leader keeps sending.
    for _ in 0..zkrs_zab::learner::MAX_BUFFERED_PACKETS {
        l.handle_packet(diff(z(2, 9)), 0);
    }
    assert_ne!(l.phase(), LearnerPhase::Ended);
    l.handle_packet(diff(z(2, 9)), 0);
    assert_eq!(l.phase(), LearnerPhase::Ended);
    assert!(l
        .shutdown_reason()
        .is_some_and(|r| r.contains("disk was busy")));
}

#[test]
fn leader_info_equal_epoch_acks_with_minus_one() {
    let mut l = Learner::new(config(), start(4, 2, z(2, 9)), 0);
    drain(&mut l);
    l.handle_connected(0);
    drain(&mut l);
    l.handle_packet(leader_info(4), 0);
    assert_eq!(outs(&mut l), ["send ACKEPOCH 0x200000009 -1"]);
    assert_eq!(l.phase(), LearnerPhase::Synchronization);
}

#[test]
fn leader_info_lower_epoch_shuts_down() {
    let mut l = Learner::new(config(), start(4, 2, z(2, 9)), 0);
    drain(&mut l);
    l.handle_connected(0);
    drain(&mut l);
    l.handle_packet(leader_info(3), 0);
    let out = outs(&mut l);
    assert_eq!(
        out,
        ["shutdown: Leaders epoch, 3 is less than accepted epoch, 4"]
    );
    assert_eq!(l.phase(), LearnerPhase::Ended);
    assert_eq!(l.accepted_epoch(), 4);
}

#[test]
fn accepted_epoch_write_failure_sends_no_ackepoch() {
    // ZOOKEEPER-2307: the in-memory acceptedEpoch stays as it was.
    let mut l = Learner::new(config(), start(1, 1, z(1, 3)), 0);
    drain(&mut l);
    l.handle_connected(0);
    l.handle_packet(leader_info(2), 0);
    drain(&mut l);
    l.handle_persistence_failed("acceptedEpoch: No space left on device", 0);
    let out = outs(&mut l);
    assert_eq!(out.len(), 1);
    assert_shutdown(&out, "No space left");
    assert_eq!(l.accepted_epoch(), 1);
    // Late reports change nothing.
    l.handle_epoch_persisted(EpochKind::Accepted, 2, 0);
    assert_eq!(outs(&mut l), Vec::<String>::new());
    assert_eq!(l.accepted_epoch(), 1);
}

#[test]
fn pre_zab_1_0_leader_refused() {
    let mut l = Learner::new(config(), start(1, 1, z(1, 3)), 0);
    drain(&mut l);
    l.handle_connected(0);
    drain(&mut l);
    l.handle_packet(new_leader(2), 0);
    assert_shutdown(&outs(&mut l), "pre-Zab-1.0");
}

#[test]
fn inconsistent_epochs_refused_at_start() {
    let mut l = Learner::new(config(), start(1, 2, z(2, 3)), 0);
    let out = outs(&mut l);
    assert_shutdown(&out, "less than the current epoch");
    assert_eq!(out.len(), 1, "no connection attempt");
}

#[test]
fn disconnect_shuts_down() {
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    l.handle_disconnected(0);
    assert_shutdown(&outs(&mut l), "connection to leader 2 lost");
    l.handle_packet(diff(z(1, 3)), 0);
    l.handle_tick(u64::MAX);
    assert_eq!(outs(&mut l), Vec::<String>::new(), "silent once ended");
    assert_eq!(l.poll_timeout(), None);
}

// ---------------------------------------------------------------------------------------------
// Synchronization

#[test]
fn diff_with_proposals_and_commits() {
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let out = feed(
        &mut l,
        vec![
            diff(z(1, 6)),
            proposal(z(1, 4)),
            commit(z(1, 4)),
            proposal(z(1, 5)),
            commit(z(1, 5)),
            proposal(z(1, 6)),
            commit(z(1, 6)),
        ],
        0,
    );
    assert_eq!(
        out,
        [
            "apply 0x100000004",
            "apply 0x100000005",
            "apply 0x100000006"
        ]
    );
    // The DIFF header never moved anything; applies move only the committed zxid.
    assert_eq!(l.last_logged_zxid(), z(1, 3));
    assert_eq!(l.last_committed_zxid(), z(1, 6));

    l.handle_packet(new_leader(2), 0);
    assert_eq!(
        outs(&mut l),
        ["log 0x100000004", "log 0x100000005", "log 0x100000006"]
    );
    l.handle_logged(z(1, 5), 0);
    assert_eq!(outs(&mut l), Vec::<String>::new(), "waits for the last one");
    assert_eq!(l.last_logged_zxid(), z(1, 5));
    finish_new_leader(&mut l, Some(z(1, 6)), 2);
    assert_eq!(l.last_logged_zxid(), z(1, 6));
    assert_eq!(l.current_epoch(), 2);
    l.handle_packet(up_to_date(), 0);
    assert_eq!(outs(&mut l), ["serve", "send ACK 0x200000000"]);
}

#[test]
fn empty_diff() {
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    assert_eq!(
        feed(&mut l, vec![diff(z(1, 3)), new_leader(2)], 0),
        ["persist Current 2"]
    );
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    assert_eq!(outs(&mut l), ["send ACK 0x200000000"]);
    l.handle_packet(up_to_date(), 0);
    assert_eq!(outs(&mut l), ["serve", "send ACK 0x200000000"]);
}

#[test]
fn trunc_then_proposals() {
    let mut l = discovered(start(1, 1, z(1, 7)), 2);
    l.handle_packet(trunc(z(1, 6)), 0);
    assert_eq!(outs(&mut l), ["truncate 0x100000006"]);
    // Packets that arrive meanwhile wait for the truncation.
    let out = feed(
        &mut l,
        vec![proposal(z(2, 1)), commit(z(2, 1)), new_leader(2)],
        0,
    );
    assert_eq!(out, Vec::<String>::new());
    l.handle_truncated(z(1, 6), 0);
    assert_eq!(l.last_logged_zxid(), z(1, 6));
    assert_eq!(outs(&mut l), ["apply 0x200000001", "snapshot 0x200000001"]);
    l.handle_snapshot_taken(z(2, 1), 0);
    assert_eq!(outs(&mut l), ["log 0x200000001"]);
    finish_new_leader(&mut l, Some(z(2, 1)), 2);
    assert_eq!(l.sync_mode(), Some(SyncMode::Trunc));
}

#[test]
fn trunc_failures() {
    // Above the last logged zxid: nonsense.
    let mut l = discovered(start(1, 1, z(1, 7)), 2);
    l.handle_packet(trunc(z(1, 8)), 0);
    assert_shutdown(&outs(&mut l), "TRUNC to 0x100000008");
    // The shell could not truncate to the asked zxid.
    let mut l = discovered(start(1, 1, z(1, 7)), 2);
    l.handle_packet(trunc(z(1, 6)), 0);
    drain(&mut l);
    l.handle_truncated(z(1, 5), 0);
    assert_shutdown(&outs(&mut l), "Not able to truncate");
    assert_eq!(l.last_logged_zxid(), z(1, 7));
}

#[test]
fn snap_loaded_at_the_wrong_zxid_shuts_down() {
    let mut l = discovered(start(1, 1, z(1, 7)), 2);
    l.handle_packet(snap(z(2, 3)), 0);
    l.handle_snapshot_loaded(z(2, 2), 0);
    assert_shutdown(&outs(&mut l), "SNAP was at 0x200000003");
}

#[test]
fn snap_fuzzy_replay_of_txns_in_the_snapshot() {
    // The leader's queued packets may start at or below the SNAP zxid.
    let mut l = discovered(start(1, 1, z(1, 2)), 2);
    l.handle_packet(snap(z(2, 5)), 0);
    l.handle_snapshot_loaded(z(2, 5), 0);
    let out = feed(
        &mut l,
        vec![
            proposal(z(2, 4)),
            commit(z(2, 4)),
            proposal(z(2, 5)),
            commit(z(2, 5)),
            proposal(z(2, 6)),
            commit(z(2, 6)),
            proposal(z(2, 7)),
            new_leader(2),
        ],
        0,
    );
    assert_eq!(
        out,
        [
            "apply 0x200000004",
            "apply 0x200000005",
            "apply 0x200000006",
            "snapshot 0x200000006"
        ]
    );
    assert_eq!(l.last_committed_zxid(), z(2, 6));
    l.handle_snapshot_taken(z(2, 6), 0);
    assert_eq!(
        outs(&mut l),
        ["log 0x200000004", "log 0x200000005", "log 0x200000006"]
    );
    finish_new_leader(&mut l, Some(z(2, 6)), 2);
    l.handle_packet(up_to_date(), 0);
    assert_eq!(
        outs(&mut l),
        ["serve", "send ACK 0x200000000", "log 0x200000007"]
    );
    l.handle_logged(z(2, 7), 0);
    assert_eq!(outs(&mut l), ["send ACK 0x200000007"]);
}

#[test]
fn snap_first_proposal_with_a_gap_shuts_down() {
    let mut l = discovered(start(1, 1, z(1, 2)), 2);
    l.handle_packet(snap(z(2, 5)), 0);
    l.handle_snapshot_loaded(z(2, 5), 0);
    l.handle_packet(proposal(z(2, 7)), 0);
    assert_shutdown(&outs(&mut l), "does not follow 0x200000005");
}

#[test]
fn new_leader_order_snap_with_committed_and_outstanding() {
    // TakeSnapshot < LogTxn (committed only) < PersistEpoch{Current} < ACK, each step waiting
    // for the previous report; nothing is sent early even if packets keep arriving.
    let mut l = discovered(start(1, 1, z(1, 2)), 2);
    l.handle_packet(snap(z(2, 2)), 0);
    l.handle_snapshot_loaded(z(2, 2), 0);
    let out = feed(
        &mut l,
        vec![
            proposal(z(2, 3)),
            commit(z(2, 3)),
            proposal(z(2, 4)),
            commit(z(2, 4)),
            proposal(z(2, 5)),
            new_leader(2),
        ],
        0,
    );
    assert_eq!(
        out,
        [
            "apply 0x200000003",
            "apply 0x200000004",
            "snapshot 0x200000004"
        ]
    );
    // More traffic while the snapshot is written: held back.
    assert_eq!(
        feed(&mut l, vec![ping(z(2, 6)), proposal(z(2, 6))], 0),
        Vec::<String>::new()
    );
    assert_eq!(
        l.poll_timeout(),
        None,
        "no read timeout while the disk works"
    );
    l.handle_snapshot_taken(z(2, 4), 0);
    assert_eq!(outs(&mut l), ["log 0x200000003", "log 0x200000004"]);
    assert_eq!(l.last_logged_zxid(), z(2, 4));
    l.handle_logged(z(2, 3), 0);
    assert_eq!(outs(&mut l), Vec::<String>::new());
    l.handle_logged(z(2, 4), 0);
    assert_eq!(outs(&mut l), ["persist Current 2"]);
    assert_eq!(l.current_epoch(), 1);
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    // The ACK, then the held packets (a PING during sync is not answered, as in Java).
    assert_eq!(outs(&mut l), ["send ACK 0x200000000"]);
    l.handle_packet(up_to_date(), 0);
    assert_eq!(
        outs(&mut l),
        [
            "serve",
            "send ACK 0x200000000",
            "log 0x200000005",
            "log 0x200000006"
        ]
    );
    l.handle_logged(z(2, 6), 0);
    assert_eq!(
        outs(&mut l),
        ["send ACK 0x200000005", "send ACK 0x200000006"]
    );
    l.handle_packet(commit(z(2, 5)), 0);
    l.handle_packet(commit(z(2, 6)), 0);
    assert_eq!(outs(&mut l), ["apply 0x200000005", "apply 0x200000006"]);
}

#[test]
fn no_proposal_ack_before_new_leader_ack() {
    // ZOOKEEPER-4685: the first ACK the leader reads after NEWLEADER must be the NEWLEADER ACK.
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let mut all = feed(
        &mut l,
        vec![
            diff(z(1, 4)),
            proposal(z(1, 4)),
            commit(z(1, 4)),
            proposal(z(2, 1)),
            new_leader(2),
            proposal(z(2, 2)),
        ],
        0,
    );
    l.handle_logged(z(2, 2), 0); // a generous group commit report
    all.extend(outs(&mut l));
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    all.extend(outs(&mut l));
    l.handle_packet(up_to_date(), 0);
    all.extend(outs(&mut l));
    l.handle_logged(z(2, 2), 0);
    all.extend(outs(&mut l));
    assert_eq!(
        all,
        [
            "apply 0x100000004",
            "log 0x100000004",
            "persist Current 2",
            "send ACK 0x200000000",
            "serve",
            "send ACK 0x200000000",
            "log 0x200000001",
            "log 0x200000002",
            "send ACK 0x200000001",
            "send ACK 0x200000002",
        ]
    );
    // The report beyond what was asked to be logged did not advertise 0x200000002 early.
    assert_eq!(l.last_logged_zxid(), z(2, 2));
}

#[test]
fn commit_between_new_leader_and_up_to_date() {
    // ZOOKEEPER-4394 wire order: DIFF, P(a), C(a), P(b), NEWLEADER, C(b), UPTODATE.
    let (a, b) = (z(1, 4), z(1, 5));
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let mut all = feed(
        &mut l,
        vec![diff(a), proposal(a), commit(a), proposal(b), new_leader(2)],
        0,
    );
    l.handle_logged(a, 0);
    all.extend(outs(&mut l));
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    all.extend(outs(&mut l));
    all.extend(feed(&mut l, vec![commit(b), up_to_date()], 0));
    l.handle_logged(b, 0);
    all.extend(outs(&mut l));
    assert_eq!(
        all,
        [
            "apply 0x100000004",
            "log 0x100000004",
            "persist Current 2",
            "send ACK 0x200000000",
            "apply 0x100000005",
            "serve",
            "send ACK 0x200000000",
            "log 0x100000005",
            "send ACK 0x100000005",
        ]
    );
    assert_eq!(l.last_committed_zxid(), b);
    // b is not pending any more: a second COMMIT for it is refused.
    l.handle_packet(commit(b), 0);
    assert_shutdown(&outs(&mut l), "without a pending proposal");
}

#[test]
fn commit_arriving_while_new_leader_persists_is_held() {
    // C(b) arrives before the NEWLEADER steps finish: it is applied after the ACK.
    let (a, b) = (z(1, 4), z(1, 5));
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let mut all = feed(
        &mut l,
        vec![
            diff(a),
            proposal(a),
            commit(a),
            proposal(b),
            new_leader(2),
            commit(b),
        ],
        0,
    );
    l.handle_logged(a, 0);
    all.extend(outs(&mut l));
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    all.extend(outs(&mut l));
    assert_eq!(
        all,
        [
            "apply 0x100000004",
            "log 0x100000004",
            "persist Current 2",
            "send ACK 0x200000000",
            "apply 0x100000005",
        ]
    );
}

#[test]
fn non_contiguous_proposal_in_sync_shuts_down_without_apply() {
    // A gap inside the DIFF stream.
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let out = feed(
        &mut l,
        vec![
            diff(z(1, 6)),
            proposal(z(1, 4)),
            commit(z(1, 4)),
            proposal(z(1, 6)),
            commit(z(1, 6)),
        ],
        0,
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert_eq!(out[0], "apply 0x100000004");
    assert_shutdown(&out, "does not follow 0x100000004");

    // The first DIFF proposal must follow our own last zxid.
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let out = feed(
        &mut l,
        vec![diff(z(1, 6)), proposal(z(1, 5)), commit(z(1, 5))],
        0,
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_shutdown(&out, "does not follow 0x100000003");

    // A zxid not greater than the last.
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let out = feed(
        &mut l,
        vec![diff(z(1, 6)), proposal(z(1, 4)), proposal(z(1, 4))],
        0,
    );
    assert_shutdown(&out, "does not follow 0x100000004");

    // A later epoch must start at counter 1, and never beyond the leader's epoch.
    let mut l = discovered(start(1, 1, z(1, 3)), 3);
    let out = feed(&mut l, vec![diff(z(2, 2)), proposal(z(2, 2))], 0);
    assert_shutdown(&out, "does not follow 0x100000003");
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let out = feed(&mut l, vec![diff(z(1, 3)), proposal(z(3, 1))], 0);
    assert_shutdown(&out, "epoch after the leader's");

    // Crossing into a later epoch at counter 1 is fine.
    let mut l = discovered(start(1, 1, z(1, 3)), 3);
    let out = feed(
        &mut l,
        vec![diff(z(2, 1)), proposal(z(2, 1)), commit(z(2, 1))],
        0,
    );
    assert_eq!(out, ["apply 0x200000001"]);
}

#[test]
fn commit_mismatch_in_sync_shuts_down() {
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let out = feed(
        &mut l,
        vec![
            diff(z(1, 5)),
            proposal(z(1, 4)),
            proposal(z(1, 5)),
            commit(z(1, 5)),
        ],
        0,
    );
    assert_eq!(out.len(), 1, "{out:?}");
    assert_shutdown(&out, "next pending proposal is 0x100000004");
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let out = feed(&mut l, vec![diff(z(1, 5)), commit(z(1, 4))], 0);
    assert_shutdown(&out, "without a pending proposal");
}

#[test]
fn second_new_leader_and_early_up_to_date_shut_down() {
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let out = feed(&mut l, vec![diff(z(1, 3)), up_to_date()], 0);
    assert_shutdown(&out, "UPTODATE before NEWLEADER");

    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    feed(&mut l, vec![diff(z(1, 3)), new_leader(2)], 0);
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    drain(&mut l);
    l.handle_packet(new_leader(2), 0);
    assert_shutdown(&outs(&mut l), "unexpected NEWLEADER");

    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    let out = feed(&mut l, vec![diff(z(1, 3)), new_leader(3)], 0);
    assert_shutdown(&out, "LEADERINFO announced 0x200000000");
}

// ---------------------------------------------------------------------------------------------
// Broadcast

/// A follower synced by an empty DIFF at `last` into epoch 2 and serving.
fn serving_follower(last: Zxid) -> Learner {
    let mut l = discovered(start(1, 1, last), 2);
    feed(&mut l, vec![diff(last), new_leader(2)], 0);
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    l.handle_packet(up_to_date(), 0);
    drain(&mut l);
    assert!(l.is_serving());
    l
}

#[test]
fn broadcast_proposals_acked_in_order_after_logging() {
    let mut l = serving_follower(z(1, 3));
    let out = feed(
        &mut l,
        vec![proposal(z(2, 1)), proposal(z(2, 2)), commit(z(2, 1))],
        0,
    );
    assert_eq!(
        out,
        ["log 0x200000001", "log 0x200000002", "apply 0x200000001"]
    );
    assert_eq!(l.last_logged_zxid(), z(1, 3));
    assert_eq!(l.last_committed_zxid(), z(2, 1));
    l.handle_logged(z(2, 2), 0);
    assert_eq!(
        outs(&mut l),
        ["send ACK 0x200000001", "send ACK 0x200000002"]
    );
    // Reports beyond what was asked are clamped.
    l.handle_logged(z(2, 9), 0);
    assert_eq!(l.last_logged_zxid(), z(2, 2));
}

#[test]
fn broadcast_gap_or_unknown_commit_shuts_down_without_apply() {
    let mut l = serving_follower(z(1, 3));
    let out = feed(
        &mut l,
        vec![proposal(z(2, 1)), proposal(z(2, 3)), commit(z(2, 1))],
        0,
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert_shutdown(&out, "does not follow 0x200000001");

    let mut l = serving_follower(z(1, 3));
    let out = feed(&mut l, vec![proposal(z(2, 1)), commit(z(2, 2))], 0);
    assert_eq!(out.len(), 2, "{out:?}");
    assert_shutdown(&out, "next pending txn 0x200000001");

    let mut l = serving_follower(z(1, 3));
    let out = feed(&mut l, vec![commit(z(2, 1))], 0);
    assert_shutdown(&out, "without a pending proposal");

    // An old-epoch proposal in broadcast.
    let mut l = serving_follower(z(1, 3));
    let out = feed(&mut l, vec![proposal(z(1, 4))], 0);
    assert_shutdown(&out, "not of its epoch 2");
}

#[test]
fn ping_answered_in_broadcast_only() {
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    assert_eq!(
        feed(&mut l, vec![diff(z(1, 3)), ping(z(2, 0))], 0),
        Vec::<String>::new()
    );
    let mut l = serving_follower(z(1, 3));
    assert_eq!(feed(&mut l, vec![ping(z(2, 0))], 0), ["ping 0x200000000"]);
    // A duplicate UPTODATE is ignored, as in Java.
    assert_eq!(feed(&mut l, vec![up_to_date()], 0), Vec::<String>::new());
    assert!(l.is_serving());
}

#[test]
fn commit_and_activate_without_reconfig_enabled_is_a_commit() {
    // processReconfig returns at once when reconfig is disabled; the txn is committed.
    let mut l = serving_follower(z(1, 3));
    let out = feed(
        &mut l,
        vec![
            packet::with_data(PacketType::Proposal, z(2, 1), reconfig_txn(z(2, 1), FOUR)),
            packet::with_data(
                PacketType::CommitAndActivate,
                z(2, 1),
                packet::designated_leader_data(2),
            ),
        ],
        0,
    );
    assert_eq!(out, ["log 0x200000001", "apply 0x200000001"]);
}

/// The capture ensemble plus server 4 (a joiner), as a reconfig txn would carry it.
const FOUR: &str = "server.1=127.0.0.1:42888:43888:participant;127.0.0.1:42181\n\
server.2=127.0.0.1:42889:43889:participant;127.0.0.1:42182\n\
server.3=127.0.0.1:42890:43890:participant;127.0.0.1:42183\n\
server.4=127.0.0.1:42891:43891:participant;127.0.0.1:42184\n\
version=200000001";

/// A reconfig txn-log entry: TxnHeader type 16 + SetDataTxn(/zookeeper/config, text, -1).
fn reconfig_txn(zxid: Zxid, text: &str) -> Bytes {
    let entry = zkrs_jute::TxnEntry {
        header: TxnHeader {
            client_id: 0x0100_0008_7328_0000,
            cxid: 1,
            zxid: zxid.raw(),
            time: 0x1a2_0000_877a,
            r#type: 16,
        },
        body: zkrs_jute::TxnBody::SetData(zkrs_jute::SetDataTxn {
            path: "/zookeeper/config".into(),
            data: Some(Bytes::from(text.to_owned())),
            version: -1,
        }),
        digest: None,
    };
    Bytes::from(entry.encode())
}

fn reconfig_follower(my_id: u64, observer: bool) -> Learner {
    let mut cfg = config();
    cfg.my_id = my_id;
    cfg.reconfig_enabled = true;
    let mut s = start(1, 1, z(1, 3));
    s.observer = observer;
    let mut l = Learner::new(cfg, s, 0);
    drain(&mut l);
    l.handle_connected(0);
    l.handle_packet(leader_info(2), 0);
    l.handle_epoch_persisted(EpochKind::Accepted, 2, 0);
    feed(&mut l, vec![diff(z(1, 3)), new_leader(2)], 0);
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    l.handle_packet(up_to_date(), 0);
    let out = outs(&mut l);
    // NEWLEADER's configuration (the same as ours) is activated at UPTODATE, before serving.
    let activated = out.iter().position(|o| o.starts_with("ActivateConfig"));
    let served = out.iter().position(|o| o == "serve");
    assert!(activated.is_some() && activated < served, "{out:?}");
    assert!(l.is_serving());
    l
}

#[test]
fn reconfig_proposal_then_commit_and_activate() {
    // A voter whose leader stays: the proposal is the last seen config; COMMITANDACTIVATE
    // activates it (before the apply) and the follower goes on.
    let mut l = reconfig_follower(3, false);
    let out = feed(
        &mut l,
        vec![packet::with_data(
            PacketType::Proposal,
            z(2, 1),
            reconfig_txn(z(2, 1), FOUR),
        )],
        0,
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out[0].starts_with("LastSeenConfig"), "{out:?}");
    assert_eq!(out[1], "log 0x200000001");
    let out = feed(
        &mut l,
        vec![packet::with_data(
            PacketType::CommitAndActivate,
            z(2, 1),
            packet::designated_leader_data(2),
        )],
        0,
    );
    assert_eq!(out.len(), 2, "{out:?}");
    assert!(out[0].starts_with("ActivateConfig"), "{out:?}");
    assert!(out[0].contains("designated_leader: Some(2)"), "{out:?}");
    assert_eq!(out[1], "apply 0x200000001");
    assert!(l.is_serving());
    // A designated leader other than ours ends the role (changes proposed in reconfig).
    let five = FOUR.replace("version=200000001", "version=200000002");
    let out = feed(
        &mut l,
        vec![
            packet::with_data(
                PacketType::Proposal,
                z(2, 2),
                reconfig_txn(
                    z(2, 2),
                    &five.replace(":42891:43891:participant", ":42891:43891:observer"),
                ),
            ),
            packet::with_data(
                PacketType::CommitAndActivate,
                z(2, 2),
                packet::designated_leader_data(1),
            ),
        ],
        0,
    );
    assert!(out.iter().any(|o| o == "apply 0x200000002"), "{out:?}");
    assert_shutdown(&out, "changes proposed in reconfig");
}

#[test]
fn commit_and_activate_must_name_a_reconfig_txn() {
    let mut l = reconfig_follower(3, false);
    let out = feed(
        &mut l,
        vec![
            proposal(z(2, 1)),
            packet::with_data(
                PacketType::CommitAndActivate,
                z(2, 1),
                packet::designated_leader_data(2),
            ),
        ],
        0,
    );
    assert_shutdown(&out, "not a reconfig txn");
    let mut l = reconfig_follower(3, false);
    let out = feed(
        &mut l,
        vec![
            packet::with_data(PacketType::Proposal, z(2, 1), reconfig_txn(z(2, 1), FOUR)),
            packet::bare(PacketType::CommitAndActivate, z(2, 1)),
        ],
        0,
    );
    assert_shutdown(&out, "without a designated leader");
}

#[test]
fn observer_becomes_participant_by_inform_and_activate() {
    let observer_cfg = CAPTURE_CONFIG.replace(
        "version=0",
        "server.4=127.0.0.1:42891:43891:observer;127.0.0.1:42184\nversion=0",
    );
    let mut l = {
        let mut cfg = config();
        cfg.my_id = 4;
        cfg.reconfig_enabled = true;
        cfg.verifier =
            QuorumVerifier::parse(&observer_cfg, "t", false).unwrap_or_else(|e| panic!("{e}"));
        let mut s = start(1, 1, z(1, 3));
        s.observer = true;
        let mut l = Learner::new(cfg, s, 0);
        drain(&mut l);
        l.handle_connected(0);
        l.handle_packet(leader_info(2), 0);
        l.handle_epoch_persisted(EpochKind::Accepted, 2, 0);
        feed(&mut l, vec![diff(z(1, 3)), new_leader(2)], 0);
        l.handle_epoch_persisted(EpochKind::Current, 2, 0);
        l.handle_packet(up_to_date(), 0);
        drain(&mut l);
        l
    };
    assert!(l.is_serving() && l.is_observer());
    let txn = reconfig_txn(z(2, 1), FOUR);
    let out = feed(
        &mut l,
        vec![packet::with_data(
            PacketType::InformAndActivate,
            z(2, 1),
            packet::inform_and_activate_data(2, &txn),
        )],
        0,
    );
    assert_eq!(out[0], "log 0x200000001", "{out:?}");
    assert_eq!(out[1], "apply 0x200000001", "{out:?}");
    assert!(out[2].starts_with("ActivateConfig"), "{out:?}");
    // Now a participant: the observer role ends.
    assert_shutdown(&out, "changes proposed in reconfig");
}

#[test]
fn observer_inform_path() {
    let mut s = start(1, 1, z(1, 3));
    s.observer = true;
    let mut l = discovered(s, 2);
    // DIFF pairs and an INFORM during sync are applied at once, logged at NEWLEADER.
    let out = feed(
        &mut l,
        vec![
            diff(z(1, 5)),
            proposal(z(1, 4)),
            commit(z(1, 4)),
            inform(z(1, 5)),
            new_leader(2),
        ],
        0,
    );
    assert_eq!(
        out,
        [
            "apply 0x100000004",
            "apply 0x100000005",
            "log 0x100000004",
            "log 0x100000005"
        ]
    );
    l.handle_logged(z(1, 5), 0);
    assert_eq!(outs(&mut l), ["persist Current 2"]);
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    assert_eq!(outs(&mut l), ["send ACK 0x200000000"]);
    // An INFORM between NEWLEADER and UPTODATE: applied now, logged after UPTODATE.
    let out = feed(
        &mut l,
        vec![inform(z(2, 1)), up_to_date(), inform(z(2, 2))],
        0,
    );
    assert_eq!(
        out,
        [
            "apply 0x200000001",
            "serve",
            "send ACK 0x200000000",
            "log 0x200000001",
            "log 0x200000002",
            "apply 0x200000002"
        ]
    );
    l.handle_logged(z(2, 2), 0);
    assert_eq!(outs(&mut l), Vec::<String>::new());
    // A gap in the INFORM stream.
    let out = feed(&mut l, vec![inform(z(2, 4))], 0);
    assert_shutdown(&out, "does not follow 0x200000002");
}

#[test]
fn observer_drops_uncommitted_proposals_at_up_to_date() {
    // Java leaders never send observers uncommitted proposals, but if one comes (Java's
    // observer drops it with a warning), its INFORM is still accepted afterwards.
    let mut s = start(1, 1, z(1, 3));
    s.observer = true;
    let mut l = discovered(s, 2);
    feed(
        &mut l,
        vec![
            diff(z(1, 4)),
            proposal(z(1, 4)),
            commit(z(1, 4)),
            proposal(z(2, 1)),
            new_leader(2),
        ],
        0,
    );
    l.handle_logged(z(1, 4), 0);
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    drain(&mut l);
    let out = feed(&mut l, vec![up_to_date(), inform(z(2, 1))], 0);
    assert_eq!(
        out,
        [
            "serve",
            "send ACK 0x200000000",
            "log 0x200000001",
            "apply 0x200000001"
        ]
    );
}

#[test]
fn follower_refuses_inform() {
    let mut l = serving_follower(z(1, 3));
    assert_shutdown(&feed(&mut l, vec![inform(z(2, 1))], 0), "INFORM");
}

// ---------------------------------------------------------------------------------------------
// Timeouts

#[test]
fn connect_timeout() {
    let mut l = Learner::new(config(), start(1, 1, z(1, 3)), 1000);
    drain(&mut l);
    assert_eq!(l.poll_timeout(), Some(1000 + INIT_LIMIT_MS));
    l.handle_tick(1000 + INIT_LIMIT_MS - 1);
    assert_eq!(outs(&mut l), Vec::<String>::new());
    l.handle_tick(1000 + INIT_LIMIT_MS);
    assert_shutdown(&outs(&mut l), "could not connect to leader 2");
}

#[test]
fn read_timeouts_before_and_after_new_leader() {
    let mut l = Learner::new(config(), start(1, 1, z(1, 3)), 0);
    drain(&mut l);
    l.handle_connected(100);
    drain(&mut l);
    assert_eq!(l.poll_timeout(), Some(100 + INIT_LIMIT_MS));
    l.handle_packet(leader_info(2), 5000);
    drain(&mut l);
    assert_eq!(l.poll_timeout(), None, "waiting for the disk");
    l.handle_epoch_persisted(EpochKind::Accepted, 2, 6000);
    drain(&mut l);
    assert_eq!(l.poll_timeout(), Some(6000 + INIT_LIMIT_MS));
    l.handle_packet(diff(z(1, 3)), 7000);
    // initLimit still applies during sync, even beyond syncLimit.
    l.handle_tick(7000 + SYNC_LIMIT_MS + 1);
    assert_eq!(outs(&mut l), Vec::<String>::new());
    l.handle_packet(new_leader(2), 8000);
    l.handle_epoch_persisted(EpochKind::Current, 2, 9000);
    drain(&mut l);
    // After the NEWLEADER ACK: syncLimit.
    assert_eq!(l.poll_timeout(), Some(9000 + SYNC_LIMIT_MS));
    l.handle_packet(up_to_date(), 10_000);
    l.handle_packet(ping(z(2, 0)), 15_000);
    drain(&mut l);
    l.handle_tick(15_000 + SYNC_LIMIT_MS - 1);
    assert_eq!(outs(&mut l), Vec::<String>::new());
    l.handle_tick(15_000 + SYNC_LIMIT_MS);
    let out = outs(&mut l);
    assert_shutdown(&out, "syncLimit");
    assert_eq!(l.phase(), LearnerPhase::Ended);
}

#[test]
fn read_timeout_before_new_leader_fires() {
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    l.handle_packet(diff(z(1, 3)), 1000);
    l.handle_tick(1000 + INIT_LIMIT_MS);
    assert_shutdown(&outs(&mut l), "initLimit");
}

// ---------------------------------------------------------------------------------------------
// Malformed input

#[test]
fn malformed_packets_shut_down() {
    let cases: Vec<(QuorumPacket, &str)> = vec![
        (
            QuorumPacket {
                r#type: 42,
                zxid: 0,
                data: None,
                authinfo: None,
            },
            "unknown packet type 42",
        ),
        (packet::bare(PacketType::Proposal, z(2, 1)), "has no txn"),
        (
            packet::with_data(
                PacketType::Proposal,
                z(2, 1),
                Bytes::from_static(&[1, 2, 3]),
            ),
            "unreadable txn header",
        ),
        (
            packet::with_data(PacketType::Proposal, z(2, 1), txn(z(2, 2))),
            "carries a txn with zxid 0x200000002",
        ),
        (
            packet::with_data(
                PacketType::Revalidate,
                Zxid(-1),
                Bytes::from_static(&[0; 8]),
            ),
            "malformed REVALIDATE",
        ),
        (packet::bare(PacketType::Ack, z(2, 0)), "unexpected ACK"),
        (packet::bare(PacketType::Diff, z(2, 0)), "unexpected DIFF"),
    ];
    for (p, needle) in cases {
        let mut l = serving_follower(z(1, 3));
        l.handle_packet(p, 0);
        let out = outs(&mut l);
        assert_eq!(out.len(), 1, "{needle}: {out:?}");
        assert_shutdown(&out, needle);
    }

    // LEADERINFO without its protocol version; an unexpected first packet; a bad sync mode.
    let mut l = Learner::new(config(), start(1, 1, z(1, 3)), 0);
    l.handle_connected(0);
    drain(&mut l);
    l.handle_packet(packet::bare(PacketType::LeaderInfo, z(2, 0)), 0);
    assert_shutdown(&outs(&mut l), "without a protocol version");
    let mut l = Learner::new(config(), start(1, 1, z(1, 3)), 0);
    l.handle_connected(0);
    drain(&mut l);
    l.handle_packet(ping(Zxid::ZERO), 0);
    assert_shutdown(&outs(&mut l), "expected LEADERINFO");
    let mut l = discovered(start(1, 1, z(1, 3)), 2);
    l.handle_packet(proposal(z(1, 4)), 0);
    assert_shutdown(&outs(&mut l), "expected DIFF, TRUNC or SNAP");
    // Packets before the connection, completions nobody asked for.
    let mut l = Learner::new(config(), start(1, 1, z(1, 3)), 0);
    drain(&mut l);
    l.handle_packet(leader_info(2), 0);
    assert_shutdown(&outs(&mut l), "before the connection");
    let mut l = serving_follower(z(1, 3));
    l.handle_snapshot_taken(z(2, 0), 0);
    assert_shutdown(&outs(&mut l), "unexpected snapshot-taken");
    let mut l = serving_follower(z(1, 3));
    l.handle_epoch_persisted(EpochKind::Current, 2, 0);
    assert_shutdown(&outs(&mut l), "unexpected epoch-persisted");
}

// ---------------------------------------------------------------------------------------------
// Random persistence timing

/// A disk operation the simulated shell has been asked for and not yet reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum DiskOp {
    Epoch(EpochKind, i64),
    Log(Zxid),
    Snapshot(Zxid),
    Truncate(Zxid),
    LoadSnap(Zxid),
}

/// Events in the order they happened, for the ordering checks.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Event {
    Done(DiskOp),
    Out(ZabOutput),
}

#[derive(Debug, Clone)]
struct Script {
    mode: SyncMode,
    committed_in_sync: u32,
    outstanding: u32,
    committed_between: u32,
    broadcast: u32,
    choices: Vec<u8>,
}

fn script() -> impl Strategy<Value = Script> {
    (
        prop_oneof![
            Just(SyncMode::Diff),
            Just(SyncMode::Trunc),
            Just(SyncMode::Snap)
        ],
        0u32..4,
        0u32..3,
        0u32..3,
        0u32..4,
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(
            |(mode, committed_in_sync, outstanding, between, broadcast, choices)| Script {
                mode,
                committed_in_sync,
                outstanding,
                committed_between: between.min(outstanding),
                broadcast,
                choices,
            },
        )
}

/// Runs `s`: the learner starts at ⟨1,5⟩ (epochs 1/1) and syncs with a leader of epoch 2.
fn run(s: &Script) -> (Vec<Event>, Learner) {
    let base = z(1, 5);
    let mut l = Learner::new(config(), start(1, 1, base), 0);
    l.handle_connected(0);

    // The leader's stream, split where it must wait for the learner.
    // The leader sends the sync stream only after ACKEPOCH, and UPTODATE only after the
    // NEWLEADER ACK.
    let mut discovery: VecDeque<QuorumPacket> = VecDeque::from([leader_info(2)]);
    let mut before_ack: VecDeque<QuorumPacket> = VecDeque::new();
    let first = match s.mode {
        SyncMode::Diff => {
            before_ack.push_back(diff(z(1, 9)));
            z(1, 6)
        }
        SyncMode::Trunc => {
            before_ack.push_back(trunc(z(1, 4)));
            z(1, 5)
        }
        SyncMode::Snap => {
            before_ack.push_back(snap(z(2, 3)));
            z(2, 4)
        }
    };
    let zx = |i: u32| Zxid(first.raw() + i64::from(i));
    let mut i = 0;
    for _ in 0..s.committed_in_sync {
        before_ack.push_back(proposal(zx(i)));
        before_ack.push_back(commit(zx(i)));
        i += 1;
    }
    let outstanding: Vec<Zxid> = (0..s.outstanding).map(|k| zx(i + k)).collect();
    for &o in &outstanding {
        before_ack.push_back(proposal(o));
    }
    before_ack.push_back(new_leader(2));
    for &o in outstanding.iter().take(s.committed_between as usize) {
        before_ack.push_back(commit(o));
    }
    let mut after_ack: VecDeque<QuorumPacket> = VecDeque::new();
    after_ack.push_back(up_to_date());
    for &o in outstanding.iter().skip(s.committed_between as usize) {
        after_ack.push_back(commit(o));
    }
    for k in 1..=s.broadcast {
        after_ack.push_back(proposal(z(2, 100 + k)));
    }
    for k in 1..=s.broadcast {
        after_ack.push_back(commit(z(2, 100 + k)));
    }
    // Fix up the broadcast zxids: they follow the last sync txn (or the SNAP zxid).
    let last_sync = outstanding
        .last()
        .copied()
        .or_else(|| (i > 0).then(|| zx(i - 1)))
        .unwrap_or(match s.mode {
            SyncMode::Snap => z(2, 3),
            _ => z(2, 0),
        });
    let next_counter = if last_sync.epoch() == 2 {
        last_sync.counter() + 1
    } else {
        1
    };
    for p in after_ack.iter_mut() {
        if p.zxid > z(2, 100).raw() {
            let k = (p.zxid - z(2, 100).raw()) as u32;
            let nz = z(2, next_counter + k - 1);
            *p = if p.r#type == PacketType::Proposal as i32 {
                proposal(nz)
            } else {
                commit(nz)
            };
        }
    }

    let mut events: Vec<Event> = Vec::new();
    let mut pending: VecDeque<DiskOp> = VecDeque::new();
    let mut acked_new_leader = false;
    let mut acked_epoch = false;
    let mut choices = s.choices.iter().copied();
    let collect = |l: &mut Learner,
                   events: &mut Vec<Event>,
                   pending: &mut VecDeque<DiskOp>,
                   acked: &mut bool,
                   acked_epoch: &mut bool| {
        while let Some(o) = l.poll_output() {
            match &o {
                ZabOutput::SendToLeader { packet }
                    if packet.r#type == PacketType::AckEpoch as i32 =>
                {
                    *acked_epoch = true
                }
                ZabOutput::PersistEpoch { kind, epoch } => {
                    pending.push_back(DiskOp::Epoch(*kind, *epoch))
                }
                ZabOutput::LogTxn { zxid, .. } => pending.push_back(DiskOp::Log(*zxid)),
                ZabOutput::TakeSnapshot { zxid } => pending.push_back(DiskOp::Snapshot(*zxid)),
                ZabOutput::Truncate { zxid } => pending.push_back(DiskOp::Truncate(*zxid)),
                ZabOutput::SendToLeader { packet }
                    if packet.r#type == PacketType::Ack as i32 && packet.zxid == z(2, 0).raw() =>
                {
                    *acked = true
                }
                _ => {}
            }
            events.push(Event::Out(o));
        }
    };
    for _ in 0..10_000 {
        collect(
            &mut l,
            &mut events,
            &mut pending,
            &mut acked_new_leader,
            &mut acked_epoch,
        );
        let c = choices.next().unwrap_or(0);
        let can_send = !discovery.is_empty()
            || (acked_epoch && !before_ack.is_empty())
            || (acked_new_leader && !after_ack.is_empty());
        if (c % 2 == 0 || !can_send) && !pending.is_empty() {
            // Complete the oldest disk op (on some choices, a group commit of all the log
            // writes queued behind it).
            let Some(op) = pending.pop_front() else { break };
            let group_commit = c % 4 == 2;
            let op = match op {
                DiskOp::Log(mut last) => {
                    while let (true, Some(DiskOp::Log(n))) = (group_commit, pending.front()) {
                        last = *n;
                        pending.pop_front();
                    }
                    DiskOp::Log(last)
                }
                other => other,
            };
            events.push(Event::Done(op));
            match op {
                DiskOp::Epoch(kind, e) => l.handle_epoch_persisted(kind, e, 0),
                DiskOp::Log(zx) => l.handle_logged(zx, 0),
                DiskOp::Snapshot(zx) => l.handle_snapshot_taken(zx, 0),
                DiskOp::Truncate(zx) => l.handle_truncated(zx, 0),
                DiskOp::LoadSnap(zx) => l.handle_snapshot_loaded(zx, 0),
            }
        } else if can_send {
            let next = if !discovery.is_empty() {
                discovery.pop_front()
            } else if acked_epoch && !before_ack.is_empty() {
                before_ack.pop_front()
            } else {
                after_ack.pop_front()
            };
            let Some(p) = next else { break };
            let is_snap = p.r#type == PacketType::Snap as i32;
            let zx = Zxid(p.zxid);
            l.handle_packet(p, 0);
            if is_snap {
                // The shell decodes the stream right after handing the SNAP over; the report
                // itself may still come later than other packets' arrival.
                pending.push_front(DiskOp::LoadSnap(zx));
            }
        } else {
            break;
        }
    }
    collect(
        &mut l,
        &mut events,
        &mut pending,
        &mut acked_new_leader,
        &mut acked_epoch,
    );
    (events, l)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn persistence_precedes_every_dependent_send(s in script()) {
        let (events, l) = run(&s);
        let outputs: Vec<String> = events
            .iter()
            .filter_map(|e| match e {
                Event::Out(o) => Some(describe(o)),
                Event::Done(_) => None,
            })
            .collect();
        prop_assert!(
            !outputs.iter().any(|o| o.starts_with("shutdown")),
            "{:?} {:?}", s, outputs
        );
        prop_assert_eq!(l.phase(), LearnerPhase::Broadcast);

        let mut accepted_done = false;
        let mut current_done = false;
        let mut snapshot_done = false;
        let mut logged = Zxid(i64::MIN);
        let mut new_leader_acked = false;
        let mut last_log = Zxid(i64::MIN);
        let mut last_apply = Zxid(i64::MIN);
        let mut applied = Vec::new();
        let mut log_before_ack = Vec::new();
        for e in &events {
            match e {
                Event::Done(DiskOp::Epoch(EpochKind::Accepted, _)) => accepted_done = true,
                Event::Done(DiskOp::Epoch(EpochKind::Current, _)) => current_done = true,
                Event::Done(DiskOp::Snapshot(_)) => snapshot_done = true,
                Event::Done(DiskOp::Log(zx)) => logged = logged.max(*zx),
                Event::Done(_) => {}
                Event::Out(ZabOutput::SendToLeader { packet }) => {
                    let zx = Zxid(packet.zxid);
                    if packet.r#type == PacketType::AckEpoch as i32 {
                        prop_assert!(accepted_done, "ACKEPOCH before acceptedEpoch is durable");
                    }
                    if packet.r#type == PacketType::Ack as i32 {
                        if zx == z(2, 0) && !new_leader_acked {
                            // Rule 2: snapshot → committed txns durable → currentEpoch → ACK.
                            prop_assert!(current_done);
                            if s.mode != SyncMode::Diff {
                                prop_assert!(snapshot_done);
                            }
                            for t in &log_before_ack {
                                prop_assert!(logged >= *t, "ACK before {} is durable", t);
                            }
                            new_leader_acked = true;
                        } else if zx.counter() != 0 {
                            prop_assert!(new_leader_acked, "proposal ACK {} first", zx);
                            prop_assert!(logged >= zx, "ACK {} before it is durable", zx);
                        }
                    }
                }
                Event::Out(ZabOutput::LogTxn { zxid, .. }) => {
                    if s.mode != SyncMode::Snap {
                        prop_assert!(*zxid > last_log, "log order {} after {}", zxid, last_log);
                    }
                    last_log = *zxid;
                    if !new_leader_acked {
                        log_before_ack.push(*zxid);
                    }
                }
                Event::Out(ZabOutput::PersistEpoch { kind: EpochKind::Current, .. }) => {
                    if s.mode != SyncMode::Diff {
                        prop_assert!(snapshot_done);
                    }
                    for t in &log_before_ack {
                        prop_assert!(logged >= *t, "currentEpoch before {} is durable", t);
                    }
                }
                Event::Out(ZabOutput::TakeSnapshot { .. }) => {
                    prop_assert!(log_before_ack.is_empty(), "snapshot after the txn writes");
                }
                Event::Out(ZabOutput::Apply { zxid, .. }) => {
                    prop_assert!(*zxid > last_apply, "apply order {} after {}", zxid, last_apply);
                    last_apply = *zxid;
                    applied.push(*zxid);
                }
                Event::Out(_) => {}
            }
        }
        // Every committed txn applied exactly once; everything logged and acknowledged.
        let expected_commits = s.committed_in_sync + s.outstanding + s.broadcast;
        prop_assert_eq!(applied.len() as u32, expected_commits);
        let sync_base = match s.mode {
            SyncMode::Diff => z(1, 5),
            SyncMode::Trunc => z(1, 4),
            SyncMode::Snap => z(2, 3),
        };
        prop_assert_eq!(l.last_committed_zxid(), last_apply.max(sync_base));
        prop_assert_eq!(l.last_logged_zxid(), last_log.max(sync_base).max(l.last_committed_zxid()));
        let acks: Vec<Zxid> = outputs
            .iter()
            .filter_map(|o| o.strip_prefix("send ACK 0x"))
            .filter_map(|h| i64::from_str_radix(h, 16).ok())
            .map(Zxid)
            .filter(|zx| zx.counter() != 0)
            .collect();
        prop_assert_eq!(acks.len() as u32, s.outstanding + s.broadcast, "{:?}", outputs);
        prop_assert_eq!(l.current_epoch(), 2);
        prop_assert_eq!(l.accepted_epoch(), 2);
    }
}
