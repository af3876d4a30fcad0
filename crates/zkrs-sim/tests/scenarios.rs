//! Catalogue scenarios (`zab-failure-catalogue.md` §6) as scripted simulations. Every step of
//! every scenario also runs the invariant checker (I1–I4, I7, serving only after UPTODATE),
//! and `finish` heals everything, requires convergence (equal digests, one leader) and checks
//! every acknowledged write (I10).

use zkrs_jute::{PacketType, Zxid};
use zkrs_sim::node::Role;
use zkrs_sim::observation::Observation;
use zkrs_sim::{SimConfig, Simulation};
use zkrs_zab::learner::SyncMode;

mod common;
use common::*;

fn sim(config: SimConfig, seed: u64) -> Simulation {
    let mut s = Simulation::new(config, seed);
    s.record_observations(true);
    s
}

/// Catalogue 1: cold start. The highest sid leads epoch 1; the first txn is `1<<32 | 1`;
/// aE = cE = 1 everywhere.
#[test]
fn s01_cold_start() {
    let mut s = sim(config(), 1);
    s.set_workload(false);
    let leader = wait_leader(&mut s, 5_000);
    assert_eq!(leader, 3);
    assert_eq!(s.leader_epoch(3), Some(1));
    assert!(s.run_until(2_000, |s| s.converged()));
    for n in s.nodes() {
        assert_eq!(n.epochs(), (1, 1), "server {}", n.sid);
    }
    s.set_workload(true);
    wait_committed(&mut s, 1, 2_000);
    let first = *s.checker().committed().keys().next().unwrap_or(&0);
    assert_eq!(first, Zxid::new(1, 1).raw());
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 4: leader crash in broadcast after 100 committed writes; a new epoch; every
/// acknowledged write survives (I3, I10, checked by `finish`).
#[test]
fn s04_leader_crash_in_broadcast() {
    let mut s = sim(config(), 4);
    let leader = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 100, 60_000);
    s.crash(leader);
    let next = wait_leader(&mut s, 20_000);
    assert_ne!(next, leader);
    assert!(s.leader_epoch(next) > Some(1));
    s.run_for(2_000);
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 5: a follower restarts after 50 writes and is brought back by DIFF.
#[test]
fn s05_follower_restart_diff() {
    let mut s = sim(config(), 5);
    let leader = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 20, 30_000);
    let f = followers(&s, leader)[0];
    s.crash(f);
    let before = s.checker().committed().len();
    wait_committed(&mut s, before + 10, 30_000);
    s.set_workload(false);
    s.restart(f);
    assert!(
        s.run_until(20_000, |s| s.converged()),
        "{}",
        s.describe_nodes()
    );
    assert_eq!(sync_modes(&s, f).last(), Some(&SyncMode::Diff));
    assert_eq!(s.node(f).digest(), s.node(leader).digest());
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 6: a follower further behind than the in-memory committed log
/// (`commitLogCount`) but inside the `snapshotSizeFactor` limit is brought back by DIFF from
/// the leader's on-disk txn log, joined without a hole to the committed log; with the
/// factor negative (txn log sync disabled) the same follower gets SNAP. (A gap between the
/// disk's txns and the committed log, ZK-2418, is covered by the leader engine's tests.)
#[test]
fn s06_diff_from_the_on_disk_log() {
    for (factor, expected) in [(1000.0, SyncMode::Diff), (-1.0, SyncMode::Snap)] {
        let mut s = sim(config(), 6);
        for sid in 1..=3 {
            s.node_mut(sid).snapshot_size_factor = factor;
        }
        let leader = wait_leader(&mut s, 5_000);
        wait_committed(&mut s, 5, 10_000);
        let f = followers(&s, leader)[0];
        s.crash(f);
        let before = s.checker().committed().len();
        let behind = 3 * s.config.commit_log_count;
        wait_committed(&mut s, before + behind, 60_000);
        s.set_workload(false);
        s.restart(f);
        assert!(
            s.run_until(20_000, |s| s.converged()),
            "factor {factor}: {}",
            s.describe_nodes()
        );
        assert_eq!(
            sync_modes(&s, f).last(),
            Some(&expected),
            "factor {factor}: {:?}",
            sync_modes(&s, f)
        );
        let leader = s.leader().unwrap_or(leader);
        assert_eq!(s.node(f).digest(), s.node(leader).digest());
        assert_clean(&s);
        assert_ok(s.finish());
    }
}

/// Catalogue 7: SNAP for a far-behind follower (beyond `commitLogCount`) while writes go on.
#[test]
fn s07_snap_for_far_behind_follower() {
    let mut s = sim(config(), 7);
    let leader = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 5, 10_000);
    let f = followers(&s, leader)[0];
    s.crash(f);
    let before = s.checker().committed().len();
    let behind = 3 * s.config.commit_log_count;
    wait_committed(&mut s, before + behind, 60_000);
    s.restart(f);
    assert!(s.run_until(20_000, |s| sync_modes(s, f).contains(&SyncMode::Snap)));
    s.run_for(3_000);
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 8: TRUNC of an uncommitted tail. The old leader logs a txn alone (a session
/// created on it while it is cut off), the others elect a leader of epoch 2 without writing,
/// and the old leader gets TRUNC and loses the txn.
#[test]
fn s08_trunc_of_uncommitted_tail() {
    let mut s = sim(config(), 8);
    let old = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 10, 20_000);
    s.set_workload(false);
    s.run_for(3_000);
    let others = followers(&s, old);
    s.partition(&[old], &others);
    let c = s.add_client(old);
    s.run_for(300);
    s.stop_client(c);
    let new = wait_other_leader(&mut s, old, 30_000);
    assert_ne!(new, old);
    // Stepped down and reloaded, the old leader's tree holds what it logged alone.
    assert!(s.run_until(10_000, |s| !s.node(old).is_serving_leader()));
    let tail = s.node(old).last_zxid();
    assert_eq!(Zxid(tail).epoch(), 1);
    s.heal();
    assert!(
        s.run_until(30_000, |s| s.converged()),
        "{}",
        s.describe_nodes()
    );
    let modes = sync_modes(&s, old);
    assert_eq!(modes.last(), Some(&SyncMode::Trunc), "{modes:?}");
    assert!(
        s.observations().iter().any(|o| matches!(o,
            Observation::Truncating { sid, zxid, cut, .. }
                if *sid == old && *zxid < tail && cut.iter().any(|(z, _)| *z == tail))),
        "the old leader's uncommitted {} is cut",
        Zxid(tail)
    );
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 8, variant: once the new leader has written in epoch 2, the old leader with an
/// uncommitted epoch-1 tail gets SNAP, never a cross-epoch TRUNC.
#[test]
fn s08b_cross_epoch_snap_not_trunc() {
    let mut s = sim(config(), 81);
    let old = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 10, 20_000);
    s.set_workload(false);
    s.run_for(3_000);
    let others = followers(&s, old);
    s.partition(&[old], &others);
    let c = s.add_client(old);
    s.run_for(300);
    s.stop_client(c);
    let new = wait_other_leader(&mut s, old, 30_000);
    let epoch = s.leader_epoch(new).unwrap_or_default();
    let c2 = s.add_client(new);
    assert!(s.run_until(10_000, |s| s
        .checker()
        .committed()
        .keys()
        .any(|z| Zxid(*z).epoch() == epoch)));
    s.stop_client(c2);
    s.heal();
    assert!(
        s.run_until(30_000, |s| s.converged()),
        "{}",
        s.describe_nodes()
    );
    let modes = sync_modes(&s, old);
    assert_eq!(modes.last(), Some(&SyncMode::Snap), "{modes:?}");
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 9: a minority leader. Cut off, it acknowledges no write, steps down within
/// syncLimit, and the majority elects a leader of the next epoch.
#[test]
fn s09_minority_leader() {
    let mut s = sim(config(), 9);
    let old = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 10, 20_000);
    let others = followers(&s, old);
    s.partition(&[old], &others);
    let acked_before = s.acked_writes();
    let c = s.add_client(old);
    let limit = s.config.sync_limit_ticks * s.config.tick_time_ms;
    s.run_for(limit + s.config.tick_time_ms);
    assert!(
        !s.node(old).is_serving_leader(),
        "the minority leader steps down"
    );
    assert_eq!(
        s.clients()[c].acked_writes,
        0,
        "no write is acknowledged by a minority leader"
    );
    let new = wait_leader(&mut s, 30_000);
    assert!(others.contains(&new));
    assert!(s.leader_epoch(new) > Some(1));
    assert!(s.acked_writes() >= acked_before);
    s.stop_client(c);
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 10: discovery aborted. The candidate gets FOLLOWERINFO from a quorum, but the
/// follower dies on LEADERINFO: no ACKEPOCH quorum, the attempt times out, the candidate's
/// currentEpoch is not advanced, and the next epoch is max(acceptedEpoch) + 1.
#[test]
fn s10_discovery_aborted() {
    let mut s = sim(config(), 10);
    s.crash(1);
    s.crash_on_packet(2, PacketType::LeaderInfo);
    s.run_for(200);
    assert!(
        s.run_until(10_000, |s| !s.node(2).up),
        "server 2 got LEADERINFO"
    );
    let init = s.config.init_limit_ticks * s.config.tick_time_ms;
    s.run_for(init + 1_000);
    assert!(
        s.observations().iter().any(|o| matches!(o,
            Observation::RoleEnded { sid: 3, reason } if reason.contains("acked by quorum"))),
        "the candidate gives up waiting for ACKEPOCHs"
    );
    let (accepted, current) = s.node(3).epochs();
    assert_eq!(
        current, 0,
        "currentEpoch not advanced by an aborted discovery"
    );
    assert_eq!(accepted, 1, "acceptedEpoch was persisted before LEADERINFO");
    s.heal_all();
    let leader = wait_leader(&mut s, 30_000);
    assert!(s.leader_epoch(leader) >= Some(2));
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 13 (ZK-3911): the old leader logs a txn alone; both followers restart,
/// DIFF-sync it from that leader and crash on UPTODATE; the old leader goes down for good.
/// The followers' new leader must hold the txn (it was committed by the NEWLEADER quorum).
#[test]
fn s13_crash_at_uptodate_after_diff() {
    let mut s = sim(config(), 13);
    let old = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 10, 20_000);
    s.set_workload(false);
    s.run_for(2_000);
    let fs = followers(&s, old);
    s.partition(&[old], &fs);
    let c = s.add_client(old);
    s.run_for(300);
    s.stop_client(c);
    // The followers go down before they can elect each other; the old leader steps down and
    // reloads the txn it logged alone.
    for &f in &fs {
        s.crash(f);
    }
    assert!(s.run_until(10_000, |s| !s.node(old).is_serving_leader()));
    let tail = s.node(old).last_zxid();
    s.heal();
    for &f in &fs {
        s.crash_on_packet(f, PacketType::UpToDate);
        s.restart(f);
    }
    // The old leader, with the highest zxid, leads the next epoch: its NEWLEADER quorum
    // commits the txn it logged alone; both followers die on UPTODATE (DIFFSyncConsistencyTest).
    let established = |s: &Simulation| {
        s.observations().iter().any(|o| {
            matches!(o, Observation::LeaderEstablished { sid, epoch, .. }
                if *sid == old && *epoch >= 2)
        })
    };
    assert!(
        s.run_until(30_000, |s| established(s)
            && fs.iter().all(|&f| !s.node(f).up)),
        "the old leader establishes epoch 2 and both followers crash on UPTODATE: {}\n{}",
        s.describe_nodes(),
        s.trace_lines().join("\n")
    );
    assert!(s.checker().committed().contains_key(&tail));
    s.crash(old);
    for &f in &fs {
        s.restart(f);
    }
    let new = wait_leader(&mut s, 30_000);
    assert!(fs.contains(&new));
    assert!(
        s.node(new).last_zxid() >= tail,
        "the new leader holds the txn committed by the NEWLEADER quorum"
    );
    assert_clean(&s);
    // The old leader comes back in `finish` and must agree too.
    assert_ok(s.finish());
}

/// Catalogue 14 (ZK-4646): the follower's disk is slow; it crashes right after its NEWLEADER
/// ACK (on UPTODATE), then the leader crashes. Every txn committed before survives: the ACK
/// is sent only after the fsync and the currentEpoch write (I3 is checked at every leader).
#[test]
fn s14_crash_after_newleader_ack_slow_fsync() {
    let mut s = sim(config(), 14);
    let leader = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 30, 30_000);
    let f = followers(&s, leader)[0];
    s.crash(f);
    wait_committed(&mut s, 40, 30_000);
    s.set_disk_delay(f, (300, 600));
    s.crash_on_packet(f, PacketType::UpToDate);
    s.restart(f);
    assert!(s.run_until(30_000, |s| !s.node(f).up));
    s.crash(leader);
    s.set_disk_delay(f, (1, 10));
    s.restart(f);
    let new = wait_leader(&mut s, 30_000);
    assert_ne!(new, leader);
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 31 (ZK-1277), as far as `setZxid` allows: the leader's counter starts at
/// 0xfffffffe, so its first txn would be 0xffffffff. The engine refuses it, the leader steps
/// down, the next epoch is elected and writes succeed; no txn has counter 0xffffffff.
#[test]
fn s31_counter_rollover() {
    let mut s = sim(config(), 31);
    s.node_mut(3).initial_counter = Some(0xffff_fffe);
    let first = wait_leader(&mut s, 5_000);
    assert_eq!(first, 3);
    assert!(s.run_until(10_000, |s| {
        s.observations().iter().any(|o| {
            matches!(o,
        Observation::ProposeRefused { reason, .. } if reason.contains("rolled over"))
        })
    }));
    let next = wait_leader(&mut s, 20_000);
    assert!(s.leader_epoch(next) >= Some(2));
    let acked = s.acked_writes();
    assert!(s.run_until(20_000, |s| s.acked_writes() > acked + 5));
    assert!(s
        .checker()
        .committed()
        .keys()
        .all(|z| Zxid(*z).counter() != 0xffff_ffff));
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 32: observers never count. V=3 + O=2 with two voters down: no leader, whatever
/// the observers do; with the voters back, a leader and serving observers.
#[test]
fn s32_observers_never_count() {
    let mut s = sim(
        SimConfig {
            observers: 2,
            ..config()
        },
        32,
    );
    s.crash(1);
    s.crash(2);
    s.run_for(20_000);
    assert_eq!(
        s.leader(),
        None,
        "one voter and two observers are no quorum"
    );
    assert!(s.checker().leaders().is_empty());
    s.heal_all();
    let leader = wait_leader(&mut s, 30_000);
    assert!(s.config.is_voter(leader));
    assert!(s.run_until(20_000, |s| s.converged()));
    for sid in [4, 5] {
        assert!(matches!(s.node(sid).role(), Role::Observing(_)));
        assert!(s.node(sid).role_serving());
    }
    assert_clean(&s);
    assert_ok(s.finish());
}

/// A five-voter ensemble with faults converges too (the random sweep runs three voters).
#[test]
fn five_voters_with_faults() {
    for seed in 0..20 {
        let r = Simulation::run_random(
            SimConfig {
                voters: 5,
                observers: 1,
                steps: 1_500,
                ..SimConfig::default()
            },
            seed,
        );
        assert_ok(r);
    }
}
