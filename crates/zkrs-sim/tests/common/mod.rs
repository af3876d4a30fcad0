//! Helpers shared by the scenario test files: waiting for a leader, a commit count or
//! convergence, and asserting that a run stayed clean.

#![allow(dead_code)]

use zkrs_sim::observation::Observation;
use zkrs_sim::{RunReport, SimConfig, Simulation};
use zkrs_zab::learner::SyncMode;

/// A scripted run: no random nemesis, the whole trace kept for failure messages.
pub fn config() -> SimConfig {
    SimConfig {
        faults: false,
        keep_trace: true,
        ..SimConfig::default()
    }
}

pub fn assert_clean(s: &Simulation) {
    assert!(
        s.violations().is_empty(),
        "violations: {:#?}\n{}",
        s.violations(),
        s.trace_lines().join("\n")
    );
}

pub fn assert_ok(r: RunReport) {
    assert!(
        r.ok(),
        "seed {}: {:#?}\n{}",
        r.seed,
        r.violations,
        r.trace.join("\n")
    );
}

pub fn wait_leader(s: &mut Simulation, max_ms: u64) -> u64 {
    assert!(
        s.run_until(max_ms, |s| s.leader().is_some()),
        "no leader within {max_ms} ms: {}",
        s.describe_nodes()
    );
    s.leader().unwrap_or_default()
}

/// Waits until a member other than `old` leads an established epoch (`old` may still
/// believe it leads), and returns it.
pub fn wait_other_leader(s: &mut Simulation, old: u64, max_ms: u64) -> u64 {
    let other = |s: &Simulation| {
        s.nodes()
            .find(|n| n.sid != old && n.up && n.is_serving_leader())
            .map(|n| n.sid)
    };
    assert!(
        s.run_until(max_ms, |s| other(s).is_some()),
        "no other leader within {max_ms} ms: {}",
        s.describe_nodes()
    );
    other(s).unwrap_or_default()
}

pub fn wait_committed(s: &mut Simulation, n: usize, max_ms: u64) {
    assert!(
        s.run_until(max_ms, |s| s.checker().committed().len() >= n),
        "fewer than {n} committed txns: {}",
        s.describe_nodes()
    );
}

pub fn wait_converged(s: &mut Simulation, max_ms: u64) {
    assert!(
        s.run_until(max_ms, |s| s.converged()),
        "no convergence within {max_ms} ms: {}\n{}",
        s.describe_nodes(),
        s.trace_lines().join("\n")
    );
}

pub fn sync_modes(s: &Simulation, sid: u64) -> Vec<SyncMode> {
    s.observations()
        .iter()
        .filter_map(|o| match o {
            Observation::SyncStarted { sid: x, mode, .. } if *x == sid => Some(*mode),
            _ => None,
        })
        .collect()
}

pub fn followers(s: &Simulation, leader: u64) -> Vec<u64> {
    s.nodes()
        .map(|n| n.sid)
        .filter(|&x| x != leader && s.config.is_voter(x))
        .collect()
}
