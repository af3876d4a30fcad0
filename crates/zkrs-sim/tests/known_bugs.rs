//! Bugs the simulator found in the wiring (`zkrs-server`'s driver and storage use), each
//! reproduced by a seed with `tolerate_known_bugs` off. These tests assert that the bug is
//! still there: when one is fixed, its test fails and must be turned into a plain passing
//! seed (and the toleration removed). See `docs/simulator.md`, "Known bugs".

use zkrs_sim::simulation::KNOWN_GAP_ACCEPTED_EPOCH_AHEAD;
use zkrs_sim::{SimConfig, Simulation};

fn strict() -> SimConfig {
    SimConfig {
        tolerate_known_bugs: false,
        ..SimConfig::default()
    }
}

fn fails_with(seed: u64, what: &str) {
    let r = Simulation::run_random(strict(), seed);
    assert!(
        r.violations.iter().any(|v| v.contains(what)),
        "seed {seed} no longer fails with {what:?}: {:#?}",
        r.violations
    );
}

/// Fixed bugs: each seed used to fail with `tolerate_known_bugs` off; it must run clean now.
fn fixed(seed: u64, was: &str) {
    let r = Simulation::run_random(strict(), seed);
    assert!(
        !r.violations.iter().any(|v| v.contains(was)),
        "seed {seed} fails again with {was:?}: {:#?}",
        r.violations
    );
}

/// Was: a learner that never logged a txn (a fresh member) got SNAP; at NEWLEADER the cut of
/// its log after the snapshot failed with `NoLogFiles` and the server stopped (catalogue 7).
#[test]
fn fixed_snap_to_a_member_without_txn_log() {
    fixed(7, "No log files found to truncate");
}

/// Was: a learner synced into a later epoch wrote its NEWLEADER snapshot (or fsynced txns) of
/// the new epoch, then crashed before its currentEpoch write, and could not restart ("current
/// epoch older than the last zxid"). Now the `updatingEpoch` marker (Java's) lets the restart
/// set currentEpoch from the data. Catalogue 15/26/28, I7.
#[test]
fn fixed_crash_before_current_epoch_write() {
    fixed(96, "cannot restart");
    fixed(96, "older than the last zxid");
}

/// Was: epoch-file writes were independent `spawn_blocking` tasks: with a slow disk an older
/// acceptedEpoch write landed after a newer one (aE < cE on disk, I7), and a completion of an
/// ended role reached the next role's engine. Now one worker runs them in order and tags them
/// with the role generation.
#[test]
fn fixed_unordered_epoch_writes() {
    fixed(394, "acceptedEpoch 2 < currentEpoch 3");
    fixed(394, "unexpected epoch-persisted report");
}

/// Was: TRUNC deletes snapshots newer than the TRUNC point; when the txns up to that point were
/// only in such a snapshot, the reload landed below it, yet the driver reported the requested
/// zxid to `Learner::handle_truncated` and the learner applied the leader's txns over the
/// wrong tree (I2/I4). Now it reports the zxid reached, and the learner refuses and resyncs.
#[test]
fn fixed_trunc_reload_below_the_trunc_point() {
    let r = Simulation::run_random(strict(), 987);
    assert!(
        !r.violations
            .iter()
            .any(|v| v.contains("I2") || v.contains("I4")),
        "{:#?}",
        r.violations
    );
}

/// Not a zkrs bug (Java's `Learner.registerWithLeader` has the same check): a member whose
/// acceptedEpoch is above the established epoch (it accepted a candidate's epoch that never
/// got established) refuses every LEADERINFO and stays out until the next election.
/// Catalogue 3 expects it to join (I8).
#[test]
fn gap_member_with_accepted_epoch_ahead_cannot_join() {
    fails_with(968, "I8 liveness");
    let r = Simulation::run_random(SimConfig::default(), 968);
    assert!(r.ok());
    assert!(r
        .known_bugs_hit
        .iter()
        .any(|k| k.contains(KNOWN_GAP_ACCEPTED_EPOCH_AHEAD)));
}
