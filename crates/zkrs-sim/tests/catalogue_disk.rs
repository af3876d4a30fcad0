//! Catalogue §6 C (disk, epoch files, restart) and 25, as scripted simulations with disk
//! faults injected into one member's `MemFs` (`scripted_disk`). Every step also runs the
//! invariant checker (I1–I4, I7, serving only after UPTODATE); storage failures a scenario
//! provokes are recorded instead of being violations. `finish` heals everything, requires
//! convergence (equal digests, one leader) and checks every acknowledged write (I10).

use zkrs_jute::{PacketType, Zxid};
use zkrs_sim::observation::Observation;
use zkrs_sim::scripted_disk::contiguous;
use zkrs_sim::{SimConfig, Simulation};
use zkrs_storage::FsOp;
use zkrs_zab::learner::SyncMode;

mod common;
use common::*;

fn sim(config: SimConfig, seed: u64) -> Simulation {
    let mut s = Simulation::new(config, seed);
    s.record_observations(true);
    s
}

fn storage_failures_of(s: &Simulation, sid: u64) -> usize {
    let who = format!("server {sid}:");
    s.checker()
        .storage_failures()
        .iter()
        .filter(|f| f.contains(&who))
        .count()
}

/// I7 on `sid`'s disk and in its memory: aE ≥ cE ≥ epoch(last durable zxid).
fn assert_epochs_ordered(s: &Simulation, sid: u64) {
    let d = s.disk_state(sid);
    let (a, c) = s.node(sid).epochs();
    assert!(a >= c, "server {sid}: in memory aE {a} < cE {c}");
    let (Some(da), Some(dc)) = (d.accepted_epoch, d.current_epoch) else {
        panic!("server {sid}: an epoch file is missing: {d:?}");
    };
    assert!(da >= dc, "server {sid}: on disk aE {da} < cE {dc}");
    let last = d
        .logged
        .last()
        .copied()
        .unwrap_or(0)
        .max(d.snapshots.last().copied().unwrap_or(0));
    assert!(
        dc >= Zxid(last).epoch(),
        "server {sid}: cE {dc} < epoch of its last durable zxid {}",
        Zxid(last)
    );
}

/// Catalogue 25 (ZK-4882): disk error on a follower. Seed 25. Once 10 txns are committed,
/// the next 3 txn-log writes of follower F fail with an I/O error. F stops at the first
/// (as the driver does: nothing after the failed write is acknowledged or served) while
/// the leader keeps committing with the other follower; F is restarted each time it stops
/// and fails again until the 3 errors are used up, then rejoins. Checks: F is down (not
/// serving, not acknowledging) after each failure; the leader commits without it; after
/// rejoining, F's txn log has no hole (contiguous zxids from its first logged txn) and F's
/// digest is the leader's; a further restart of F reloads a committed state (I6) and it
/// rejoins again. I3 is checked at every step, I10 by `finish`.
#[test]
fn s25_disk_error_on_follower() {
    let mut s = sim(config(), 25);
    let leader = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 10, 20_000);
    let f = followers(&s, leader)[0];
    s.fail_disk(f, FsOp::Write, "/log.", 3);
    assert!(
        s.run_until(10_000, |s| !s.node(f).up),
        "F's failed log write stops it: {}",
        s.describe_nodes()
    );
    assert_eq!(storage_failures_of(&s, f), 1);
    let at_failure = s.checker().committed().len();
    let durable = s.disk_state(f).logged.last().copied().unwrap_or(0);
    // The other follower and the leader form the quorum: writes go on without F.
    wait_committed(&mut s, at_failure + 10, 20_000);
    assert!(!s.node(f).up);
    assert!(
        s.checker().committed().keys().any(|&z| z > durable),
        "the leader commits past F's log ({}) with the other follower",
        Zxid(durable)
    );
    // F comes back, fails on its next log writes until the 3 errors are used up.
    let mut restarts = 0;
    while storage_failures_of(&s, f) < 3 && restarts < 10 {
        s.restart(f);
        restarts += 1;
        assert!(s.node(f).up, "F restarts from its disk");
        assert!(s.run_until(20_000, |s| !s.node(f).up || s.node(f).role_serving()));
        if s.node(f).role_serving() {
            // Serving: its sync logged nothing (cannot be while errors remain).
            s.run_until(5_000, |s| !s.node(f).up);
        }
    }
    assert_eq!(s.node(f).fs().injected_errors(), 3);
    assert!(
        sync_modes(&s, f).len() >= 3,
        "F rejoined after each stop: {:?}",
        sync_modes(&s, f)
    );
    assert_eq!(storage_failures_of(&s, f), 3, "one stop per failed write");
    if !s.node(f).up {
        s.restart(f);
    }
    s.set_workload(false);
    wait_converged(&mut s, 30_000);
    assert_eq!(s.node(f).digest(), s.node(leader).digest());
    let disk = s.disk_state(f);
    assert!(
        contiguous(&disk.logged),
        "a hole in F's txn log: {:?}",
        disk.logged
            .iter()
            .map(|z| Zxid(*z).to_string())
            .collect::<Vec<_>>()
    );
    // No hole between the newest snapshot and the log either: replaying it reaches the tree.
    s.crash(f);
    s.restart(f);
    assert!(s.node(f).up);
    s.check_loaded_digest(f).unwrap_or_else(|e| panic!("{e}"));
    let (loaded, _) = s.last_loaded(f).unwrap_or_default();
    assert_eq!(
        loaded,
        s.node(leader).last_zxid(),
        "F's disk holds everything it served"
    );
    wait_converged(&mut s, 30_000);
    assert_epochs_ordered(&s, f);
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 27 (ZK-2307): the acceptedEpoch write fails. Seed 27. Cold start: server 1's
/// first acceptedEpoch write (on LEADERINFO of epoch 1) fails with an I/O error. Checks: no
/// ACKEPOCH is sent on that connection; its in-memory and on-disk acceptedEpoch stay 0
/// (the engine is not told, the driver leaves the role instead); the leader establishes
/// epoch 1 with the other follower; server 1 retries and joins epoch 1, with aE = cE = 1
/// on disk.
#[test]
fn s27_accepted_epoch_write_fails() {
    let mut s = sim(config(), 27);
    s.fail_disk(1, FsOp::Write, "acceptedEpoch", 1);
    let mut link = None;
    assert!(
        s.run_until(10_000, |s| {
            if storage_failures_of(s, 1) == 0 {
                link = s.node(1).leader_link().or(link);
            }
            storage_failures_of(s, 1) > 0
        }),
        "server 1's acceptedEpoch write fails: {}",
        s.describe_nodes()
    );
    let link = link.expect("server 1 had connected to a leader");
    assert!(s.checker().storage_failures()[0].contains("acceptedEpoch"));
    assert_eq!(s.node(1).epochs(), (0, 0), "aE unchanged in memory");
    assert_eq!(
        s.disk_state(1).accepted_epoch,
        Some(0),
        "aE unchanged on disk"
    );
    assert!(
        s.node(1).up,
        "an epoch-file failure ends the role, not the server"
    );
    let leader = wait_leader(&mut s, 10_000);
    assert_eq!(s.leader_epoch(leader), Some(1));
    wait_converged(&mut s, 20_000);
    // The connection of the failed attempt never carried an ACKEPOCH to the leader.
    let ack_epoch = format!(" {}:", PacketType::AckEpoch as i32);
    let on_link = format!("link {link} {leader}<");
    let acks: Vec<String> = s
        .trace_lines()
        .into_iter()
        .filter(|l| l.contains(&on_link) && l.contains(&ack_epoch))
        .collect();
    assert!(
        acks.is_empty(),
        "ACKEPOCH after a failed aE write: {acks:?}"
    );
    let retry = s.node(1).leader_link().expect("server 1 follows");
    assert_ne!(retry, link, "it retried on a new connection");
    let on_retry = format!("link {retry} {leader}<");
    assert!(
        s.trace_lines()
            .iter()
            .any(|l| l.contains(&on_retry) && l.contains(&ack_epoch)),
        "the retry's ACKEPOCH is in the trace"
    );
    assert_eq!(s.node(1).epochs(), (1, 1));
    let d = s.disk_state(1);
    assert_eq!((d.accepted_epoch, d.current_epoch), (Some(1), Some(1)));
    assert_eq!(s.node(1).fs().injected_errors(), 1);
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 27 (ZK-2307), the same for the currentEpoch write (rule 2: cE before
/// the NEWLEADER ACK). Seed 127. Cold start: server 1's first currentEpoch write (at
/// NEWLEADER) fails. Checks: no ACK of NEWLEADER (`ACK 0x100000000`) goes out on that
/// connection; its cE stays 0 in memory and on disk while aE = 1 is durable, and the
/// `updatingEpoch` marker written at NEWLEADER is still there; it leaves the role, retries,
/// joins epoch 1 and ends with aE = cE = 1 and no marker.
#[test]
fn s27b_current_epoch_write_fails() {
    let mut s = sim(config(), 127);
    s.fail_disk(1, FsOp::Write, "currentEpoch", 1);
    let mut link = None;
    assert!(
        s.run_until(10_000, |s| {
            if storage_failures_of(s, 1) == 0 {
                link = s.node(1).leader_link().or(link);
            }
            storage_failures_of(s, 1) > 0
        }),
        "server 1's currentEpoch write fails: {}",
        s.describe_nodes()
    );
    let link = link.expect("server 1 had connected to a leader");
    assert!(s.checker().storage_failures()[0].contains("currentEpoch"));
    assert_eq!(s.node(1).epochs(), (1, 0), "cE unchanged in memory");
    let d = s.disk_state(1);
    assert_eq!(
        (d.accepted_epoch, d.current_epoch),
        (Some(1), Some(0)),
        "{d:?}"
    );
    assert!(d.updating_epoch, "the NEWLEADER marker stays: {d:?}");
    assert!(s.node(1).up);
    let leader = wait_leader(&mut s, 10_000);
    wait_converged(&mut s, 20_000);
    let ack = format!(" {}:{}", PacketType::Ack as i32, Zxid::new(1, 0));
    let on_link = format!("link {link} {leader}<");
    let acks: Vec<String> = s
        .trace_lines()
        .into_iter()
        .filter(|l| l.contains(&on_link) && l.contains(&ack))
        .collect();
    assert!(
        acks.is_empty(),
        "NEWLEADER ACK after a failed cE write: {acks:?}"
    );
    let retry = s.node(1).leader_link().expect("server 1 follows");
    assert_ne!(retry, link, "it retried on a new connection");
    let on_retry = format!("link {retry} {leader}<");
    assert!(
        s.trace_lines()
            .iter()
            .any(|l| l.contains(&on_retry) && l.contains(&ack)),
        "the retry's NEWLEADER ACK is in the trace"
    );
    assert_eq!(s.node(1).epochs(), (1, 1));
    let d = s.disk_state(1);
    assert_eq!((d.accepted_epoch, d.current_epoch), (Some(1), Some(1)));
    assert!(!d.updating_epoch, "{d:?}");
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Catalogue 28 (ZK-4269, ZK-1653/2354): lost rename of the currentEpoch file. Seed 28.
/// Epoch 1 commits txns; follower F goes down; the others move to epoch 2 (the leader
/// restarts) and commit epoch-2 txns; F restarts and syncs, so its log holds ⟨2,x⟩ before
/// it writes currentEpoch = 2; that write's rename (`currentEpoch.tmp` → `currentEpoch`)
/// is lost and F crashes right after the write. Checks: on disk, currentEpoch is still 1,
/// `currentEpoch.tmp` holds 2, the log holds an epoch-2 txn and `updatingEpoch` is gone;
/// F restarts (from `currentEpoch.tmp`: cE = 2, I7), rewrites currentEpoch = 2, rejoins
/// and converges (I8). The Java-data-dir half is in zkrs-storage's `catalogue_disk.rs`.
#[test]
fn s28_lost_rename_of_epoch_file() {
    let mut s = sim(config(), 28);
    let first = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 10, 20_000);
    let f = followers(&s, first)[0];
    s.crash(f);
    s.crash(first);
    s.restart(first);
    let second = wait_leader(&mut s, 20_000);
    let epoch = s.leader_epoch(second).unwrap_or_default();
    assert_eq!(epoch, 2);
    assert!(s.run_until(20_000, |s| s
        .checker()
        .committed()
        .keys()
        .filter(|z| Zxid(**z).epoch() == 2)
        .count()
        >= 3));
    s.lose_next_rename(f, "currentEpoch");
    s.restart(f);
    assert!(
        s.run_until(20_000, |s| s.node(f).epochs().1 == 2),
        "F writes currentEpoch 2: {}",
        s.describe_nodes()
    );
    s.crash(f);
    let d = s.disk_state(f);
    assert_eq!(d.current_epoch, Some(1), "the rename was lost: {d:?}");
    assert_eq!(d.current_epoch_tmp, Some(2), "{d:?}");
    assert_eq!(d.accepted_epoch, Some(2), "{d:?}");
    assert!(!d.updating_epoch, "{d:?}");
    let last = d
        .logged
        .last()
        .copied()
        .unwrap_or(0)
        .max(d.snapshots.last().copied().unwrap_or(0));
    assert_eq!(
        Zxid(last).epoch(),
        2,
        "F's disk holds an epoch-2 txn: {d:?}"
    );
    s.restart(f);
    assert!(s.node(f).up, "F restarts from currentEpoch.tmp");
    assert_eq!(s.node(f).epochs(), (2, 2));
    assert_eq!(s.disk_state(f).current_epoch, Some(2), "rewritten");
    s.set_workload(false);
    wait_converged(&mut s, 30_000);
    assert_epochs_ordered(&s, f);
    assert_clean(&s);
    assert_ok(s.finish());
}

// ---------------------------------------------------------------------------------------------
// Catalogue 26: the crash-point sweep.

/// One sweep: `setup` builds the situation and returns the victim; then the victim's disk is
/// armed and `drive` runs the part whose persist points are swept.
struct Sweep {
    name: &'static str,
    seed: u64,
    setup: fn(&mut Simulation) -> u64,
    drive: fn(&mut Simulation, u64),
}

/// Runs `ms` of logical time; when the victim's power is cut (a mutation failed), it is
/// crashed at the end of that event (unsynced data lost) and stays down.
fn run_watched(s: &mut Simulation, victim: u64, ms: u64) {
    let until = s.now_ms() + ms;
    while s.now_ms() < until {
        let left = until - s.now_ms();
        let cut = s.run_until(left, |s| {
            s.node(victim).up && s.node(victim).fs().injected_errors() > 0
        });
        if !cut {
            break;
        }
        s.crash(victim);
    }
}

/// Cold start; the victim is follower 1: acceptedEpoch, `updatingEpoch`, currentEpoch, then
/// broadcast appends and fsyncs.
fn setup_cold_start(_s: &mut Simulation) -> u64 {
    1
}

/// Cold start; the victim is the leader (server 3): its acceptedEpoch and currentEpoch
/// writes, then its own appends and fsyncs in broadcast.
fn setup_cold_start_leader(_s: &mut Simulation) -> u64 {
    3
}

fn drive_cold_start(s: &mut Simulation, victim: u64) {
    run_watched(s, victim, 3_000);
}

/// A follower far behind (40 txns, commitLogCount 16) rejoins: the sync (SNAP, or DIFF from
/// the log) and the NEWLEADER persistence, then broadcast.
fn setup_rejoin(s: &mut Simulation) -> u64 {
    let leader = wait_leader(s, 5_000);
    wait_committed(s, 10, 20_000);
    let f = followers(s, leader)[0];
    s.crash(f);
    wait_committed(s, 50, 60_000);
    s.set_workload(false);
    s.run_for(1_000);
    s.restart(f);
    f
}

/// A follower 5 txns behind rejoins by DIFF: the DIFF txns are appended and fsynced before
/// currentEpoch and the NEWLEADER ACK (ZK-4643/4646).
fn setup_rejoin_diff(s: &mut Simulation) -> u64 {
    let leader = wait_leader(s, 5_000);
    wait_committed(s, 10, 20_000);
    let f = followers(s, leader)[0];
    s.crash(f);
    wait_committed(s, 15, 20_000);
    s.set_workload(false);
    s.run_for(1_000);
    s.restart(f);
    f
}

fn drive_rejoin(s: &mut Simulation, victim: u64) {
    let leader = s.leader().unwrap_or_default();
    let c = s.add_client(leader);
    run_watched(s, victim, 3_000);
    s.stop_client(c);
    run_watched(s, victim, 1_000);
}

/// The old leader with an uncommitted tail gets TRUNC (catalogue 8) and persists its
/// TRUNC-mode NEWLEADER snapshot before currentEpoch.
fn setup_trunc(s: &mut Simulation) -> u64 {
    let old = wait_leader(s, 5_000);
    wait_committed(s, 10, 20_000);
    s.set_workload(false);
    s.run_for(3_000);
    let others = followers(s, old);
    s.partition(&[old], &others);
    let c = s.add_client(old);
    s.run_for(300);
    s.stop_client(c);
    assert!(s.run_until(30_000, |s| s
        .nodes()
        .any(|n| n.sid != old && n.is_serving_leader())));
    assert!(s.run_until(10_000, |s| !s.node(old).is_serving_leader()));
    old
}

/// The old leader with an uncommitted epoch-1 tail, once epoch 2 has writes, gets SNAP
/// (catalogue 8, variant): the log cut after the snapshot zxid, the snapshot, currentEpoch.
fn setup_cross_epoch_snap(s: &mut Simulation) -> u64 {
    let old = setup_trunc(s);
    let new = s.leader().unwrap_or_default();
    let c = s.add_client(new);
    assert!(s.run_until(10_000, |s| s
        .checker()
        .committed()
        .keys()
        .any(|z| Zxid(*z).epoch() >= 2)));
    s.stop_client(c);
    s.run_for(500);
    old
}

fn drive_trunc(s: &mut Simulation, victim: u64) {
    s.heal();
    run_watched(s, victim, 2_000);
    if let Some(leader) = s.leader() {
        let c = s.add_client(leader);
        run_watched(s, victim, 1_500);
        s.stop_client(c);
    }
    run_watched(s, victim, 1_000);
}

fn sim_for(sweep: &Sweep) -> (Simulation, u64) {
    let mut s = sim(config(), sweep.seed);
    let victim = (sweep.setup)(&mut s);
    (s, victim)
}

fn has_op(ops: &[(FsOp, std::path::PathBuf)], op: FsOp, name: &str) -> Option<usize> {
    ops.iter()
        .position(|(o, p)| *o == op && p.to_string_lossy().contains(name))
}

/// The reference run: the victim's disk mutations during `drive`, in order.
fn reference_ops(sweep: &Sweep) -> Vec<(FsOp, std::path::PathBuf)> {
    let (mut s, victim) = sim_for(sweep);
    s.node(victim).fs().record_ops(true);
    (sweep.drive)(&mut s, victim);
    assert_clean(&s);
    let ops = s.node(victim).fs().ops();
    s.node(victim).fs().record_ops(false);
    assert_ok(s.finish());
    ops
}

/// One crash point: the victim's power is cut after `n` mutations of `drive`; it crashes,
/// restarts, and the ensemble must converge.
fn crash_point(sweep: &Sweep, n: usize, what: &str) {
    let (mut s, victim) = sim_for(sweep);
    s.cut_power_after(victim, n as u64);
    (sweep.drive)(&mut s, victim);
    let ctx = format!(
        "{} seed {}: crash after mutation {n} ({what})",
        sweep.name, sweep.seed
    );
    assert!(
        s.violations().is_empty(),
        "{ctx}: {:#?}\n{}",
        s.violations(),
        s.trace_lines().join("\n")
    );
    if s.node(victim).up {
        s.crash(victim);
    }
    s.restart(victim);
    assert!(
        s.node(victim).up,
        "{ctx}: no restart: {:#?}",
        s.violations()
    );
    s.check_loaded_digest(victim)
        .unwrap_or_else(|e| panic!("{ctx}: {e}"));
    assert_epochs_ordered(&s, victim);
    let r = s.finish();
    assert!(r.ok(), "{ctx}: {:#?}\n{}", r.violations, r.trace.join("\n"));
}

/// Catalogue 26: crash-point sweep. Six situations, each replayed from its seed once per
/// crash point: a cold start (victim: follower 1, seed 126; victim: the leader 3, seed 326),
/// a far-behind follower rejoining by SNAP (seed 26), a follower rejoining by DIFF (seed
/// 426), an old leader taking TRUNC (seed 226) and an old leader with a divergent epoch-1
/// tail taking a cross-epoch SNAP (seed 626). A reference run records every disk
/// mutation of the victim while the situation plays out (acceptedEpoch and currentEpoch
/// files: tmp create, write, fsync, rename, directory fsync; the `updatingEpoch` marker;
/// NEWLEADER snapshot write, fsync and rename; each txn-log write and fsync); then for every
/// n from 0 to their number, the power is cut after the n-th (so both "crash before" and
/// "crash after" of each point), the victim crashes with its unsynced data lost and
/// restarts. Checks: the reference runs hit every kind of persist point above, the TRUNC
/// snapshot is fsynced and renamed before the currentEpoch write; at every crash point the
/// checker's I1–I4 hold, restart succeeds, the reloaded tree is a committed state (I6), aE
/// ≥ cE ≥ epoch(last durable zxid) on disk (I7), and the ensemble converges with every
/// acknowledged write (I10). Bounded: at most 400 points per situation.
#[test]
fn s26_crash_point_sweep() {
    let sweeps = [
        Sweep {
            name: "cold start",
            seed: 126,
            setup: setup_cold_start,
            drive: drive_cold_start,
        },
        Sweep {
            name: "cold start, leader",
            seed: 326,
            setup: setup_cold_start_leader,
            drive: drive_cold_start,
        },
        Sweep {
            name: "rejoin",
            seed: 26,
            setup: setup_rejoin,
            drive: drive_rejoin,
        },
        Sweep {
            name: "rejoin by DIFF",
            seed: 426,
            setup: setup_rejoin_diff,
            drive: drive_rejoin,
        },
        Sweep {
            name: "cross-epoch snap",
            seed: 626,
            setup: setup_cross_epoch_snap,
            drive: drive_trunc,
        },
        Sweep {
            name: "trunc",
            seed: 226,
            setup: setup_trunc,
            drive: drive_trunc,
        },
    ];
    let mut kinds = std::collections::BTreeSet::new();
    for sweep in &sweeps {
        let ops = reference_ops(sweep);
        assert!(
            !ops.is_empty() && ops.len() <= 400,
            "{}: {} mutations",
            sweep.name,
            ops.len()
        );
        for (op, path) in &ops {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            let file = name.unwrap_or_default();
            let kind = file.split('.').next().unwrap_or_default().to_owned();
            kinds.insert((kind, *op));
        }
        let needs_snapshot = ["rejoin", "trunc", "cross-epoch snap"].contains(&sweep.name);
        assert!(
            !needs_snapshot || has_op(&ops, FsOp::Rename, "snapshot.").is_some(),
            "{}: a NEWLEADER snapshot: {ops:?}",
            sweep.name
        );
        assert!(
            sweep.name != "trunc" || has_op(&ops, FsOp::Truncate, "/log.").is_some(),
            "trunc: the log is cut: {ops:?}"
        );
        if has_op(&ops, FsOp::Rename, "snapshot.").is_some() {
            let snap_rename = has_op(&ops, FsOp::Rename, "snapshot.");
            let snap_sync = has_op(&ops, FsOp::Sync, "snapshot.");
            let ce_write = has_op(&ops, FsOp::Write, "currentEpoch.tmp");
            assert!(
                snap_sync < snap_rename && snap_rename.is_some() && snap_rename < ce_write,
                "{}: the NEWLEADER snapshot is durable before currentEpoch: {ops:?}",
                sweep.name
            );
        }
        if sweep.name == "rejoin by DIFF" {
            // The DIFF txns are durable before currentEpoch.
            let log_sync = has_op(&ops, FsOp::Sync, "/log.");
            let ce_write = has_op(&ops, FsOp::Write, "currentEpoch.tmp");
            assert!(
                log_sync.is_some() && log_sync < ce_write,
                "DIFF txns fsynced before currentEpoch: {ops:?}"
            );
        }
        for n in 0..=ops.len() {
            let what = match n.checked_sub(1).and_then(|i| ops.get(i)) {
                Some((op, p)) => format!("{op:?} {}", p.display()),
                None => "none".to_owned(),
            };
            crash_point(sweep, n, &what);
        }
    }
    for needed in [
        ("acceptedEpoch", FsOp::Write),
        ("acceptedEpoch", FsOp::Sync),
        ("currentEpoch", FsOp::Rename),
        ("currentEpoch", FsOp::Sync),
        ("updatingEpoch", FsOp::Create),
        ("updatingEpoch", FsOp::Remove),
        ("snapshot", FsOp::Write),
        ("snapshot", FsOp::Rename),
        ("log", FsOp::Write),
        ("log", FsOp::Sync),
    ] {
        assert!(
            kinds.contains(&(needed.0.to_owned(), needed.1)),
            "no {needed:?} point swept: {kinds:?}"
        );
    }
}

/// How catalogue 29 damages the last record of a log.
#[derive(Debug, Clone, Copy)]
enum Tear {
    /// The file ends this many bytes into the record.
    CutAt(u64),
    /// The record's last byte is missing.
    LastByteMissing,
    /// A byte of its checksum is flipped.
    BadChecksum,
    /// The record's second half reads back as zeros (a preallocated block not written).
    ZeroedHalf,
}

/// Catalogue 29 (ZK-1489/1156): torn log tail at a member's restart. Seed 29, one run per
/// damage: follower F logs txns, crashes; the last record of its newest log file is cut
/// (1, 6 and 13 bytes in; its last byte missing), has a flipped checksum byte, or its second
/// half zeroed. Checks: F restarts (I7); the torn record is treated as the end of the log
/// and cut away: F loads exactly the txn before it, and the file now ends exactly at that
/// record's boundary; no earlier txn is lost (the reloaded tree is the committed state at
/// that zxid, I6); F rejoins by DIFF and converges, and its log has no hole.
#[test]
fn s29_torn_log_tail() {
    use zkrs_storage::{Fs as _, LogFileScan, DEFAULT_MAX_RECORD_LEN};
    for tear in [
        Tear::CutAt(1),
        Tear::CutAt(6),
        Tear::CutAt(13),
        Tear::LastByteMissing,
        Tear::BadChecksum,
        Tear::ZeroedHalf,
    ] {
        let mut s = sim(config(), 29);
        let leader = wait_leader(&mut s, 5_000);
        wait_committed(&mut s, 20, 20_000);
        s.set_workload(false);
        s.run_for(2_000);
        let f = followers(&s, leader)[0];
        s.crash(f);
        let fs = s.node(f).fs().clone();
        let dir = std::path::Path::new(zkrs_sim::scripted_disk::VERSION_DIR);
        let mut logs: Vec<String> = fs
            .list_dir(dir)
            .unwrap_or_default()
            .into_iter()
            .filter(|n| n.starts_with("log."))
            .collect();
        logs.sort_by_key(|n| i64::from_str_radix(&n[4..], 16).unwrap_or_default());
        let path = dir.join(logs.last().expect("F logged txns"));
        let bytes = fs.read(&path).unwrap_or_default();
        let scan = LogFileScan::scan(&bytes, DEFAULT_MAX_RECORD_LEN);
        assert!(
            scan.records.len() >= 2,
            "{tear:?}: {} records",
            scan.records.len()
        );
        let last = scan.records[scan.records.len() - 1];
        let before = scan.records[scan.records.len() - 2];
        let torn_zxid = last.zxid.unwrap_or_default();
        assert!(s.checker().committed().contains_key(&torn_zxid));
        let mut damaged = bytes[..last.end() as usize].to_vec();
        match tear {
            Tear::CutAt(n) => damaged.truncate((last.offset + n) as usize),
            Tear::LastByteMissing => {
                damaged.pop();
            }
            Tear::BadChecksum => damaged[last.offset as usize + 3] ^= 0x5a,
            Tear::ZeroedHalf => {
                let mid = ((last.offset + last.end()) / 2) as usize;
                damaged[mid..].fill(0);
            }
        }
        fs.put(&path, &damaged);
        s.restart(f);
        assert!(s.node(f).up, "{tear:?}: F restarts: {:?}", s.violations());
        let (loaded, _) = s.last_loaded(f).unwrap_or_default();
        assert_eq!(
            loaded,
            before.zxid.unwrap_or_default(),
            "{tear:?}: the torn {} is the end of the log",
            Zxid(torn_zxid)
        );
        s.check_loaded_digest(f)
            .unwrap_or_else(|e| panic!("{tear:?}: {e}"));
        let repaired = fs.read(&path).unwrap_or_default();
        assert_eq!(
            repaired.len() as u64,
            last.offset,
            "{tear:?}: the cut lands on the record boundary"
        );
        assert_eq!(repaired[..], bytes[..last.offset as usize]);
        wait_converged(&mut s, 30_000);
        assert_eq!(sync_modes(&s, f).last(), Some(&SyncMode::Diff), "{tear:?}");
        assert!(contiguous(&s.disk_state(f).logged), "{tear:?}");
        assert_clean(&s);
        assert_ok(s.finish());
    }
}

/// Catalogue 30 (ZK-2325/3056/261): missing snapshot, non-empty log. Seed 30. Follower F
/// logs txns and crashes; its snapshot files are deleted (its txn log and epoch files
/// stay). Checks: F refuses to start (`EmptySnapshotWithLogs`: "Something is broken"),
/// rather than starting from a partial database; that refusal is the only violation
/// reported; the others keep committing. Once the operator empties F's data directory, it
/// starts empty and is brought back by SNAP. The other half (an untrusted empty database
/// votes zxid -1 and its LOOKING votes do not count) is `catalogue_30_untrusted_empty_database`
/// in zkrs-zab's election tests and `empty_data_dir_rules` in zkrs-storage (the simulator's
/// members always use `db.autocreate`).
#[test]
fn s30_missing_snapshot_nonempty_log() {
    use zkrs_storage::Fs as _;
    let mut s = sim(config(), 30);
    let leader = wait_leader(&mut s, 5_000);
    wait_committed(&mut s, 20, 20_000);
    let f = followers(&s, leader)[0];
    s.crash(f);
    let fs = s.node(f).fs().clone();
    let dir = std::path::Path::new(zkrs_sim::scripted_disk::VERSION_DIR);
    let snaps: Vec<String> = fs
        .list_dir(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|n| n.starts_with("snapshot."))
        .collect();
    assert!(!snaps.is_empty());
    for n in &snaps {
        fs.remove_file(&dir.join(n)).unwrap_or_default();
    }
    assert!(!s.disk_state(f).logged.is_empty());
    let committed = s.checker().committed().len();
    s.restart(f);
    assert!(!s.node(f).up, "F refuses to start without a snapshot");
    let refused: Vec<String> = s
        .observations()
        .iter()
        .filter_map(|o| match o {
            Observation::RestartFailed { sid, what } if *sid == f => Some(what.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(refused[0].contains("Something is broken"), "{}", refused[0]);
    assert_eq!(s.violations().len(), 1, "{:#?}", s.violations());
    assert!(s.violations()[0].contains("cannot restart"));
    // The other two go on.
    wait_committed(&mut s, committed + 10, 20_000);
    // The operator wipes F's data directory: it starts empty and gets SNAP.
    for n in fs.list_dir(dir).unwrap_or_default() {
        fs.remove_file(&dir.join(n)).unwrap_or_default();
    }
    s.set_workload(false);
    s.restart(f);
    assert!(s.node(f).up);
    wait_converged(&mut s, 30_000);
    assert_eq!(sync_modes(&s, f).last(), Some(&SyncMode::Snap));
    assert_eq!(s.node(f).digest(), s.node(leader).digest());
    assert_eq!(s.violations().len(), 1, "{:#?}", s.violations());
}

/// Catalogue 26, whole-ensemble variant: a power loss of every member at once. Seed 526.
/// Under the random write workload, after event 300 + 13·i (i < 40) of the run, all three
/// members crash together (unsynced data lost everywhere) and restart. Checks, at every
/// point: every member restarts, reloads a committed state (I6: its digest at its zxid is
/// the ensemble's) with aE ≥ cE ≥ epoch(last durable zxid) (I7); no acknowledged write is
/// lost and the ensemble converges (I3, I10 by the checker and `finish`).
#[test]
fn s26b_ensemble_power_loss_sweep() {
    for i in 0..40u64 {
        let mut s = sim(config(), 526);
        let at = 300 + 13 * i;
        for _ in 0..at {
            s.step();
        }
        let ctx = format!("seed 526, power loss after event {at}");
        assert!(s.violations().is_empty(), "{ctx}: {:#?}", s.violations());
        let sids: Vec<u64> = s.nodes().map(|n| n.sid).collect();
        for &sid in &sids {
            s.crash(sid);
        }
        for &sid in &sids {
            s.restart(sid);
            assert!(
                s.node(sid).up,
                "{ctx}: {sid} restarts: {:?}",
                s.violations()
            );
            s.check_loaded_digest(sid)
                .unwrap_or_else(|e| panic!("{ctx}: {e}"));
            assert_epochs_ordered(&s, sid);
        }
        let r = s.finish();
        assert!(r.ok(), "{ctx}: {:#?}\n{}", r.violations, r.trace.join("\n"));
        assert!(r.acked_writes > 0, "{ctx}: the workload wrote");
    }
}
