//! The random-seed sweep: 2,000 seeds (four tests of 500, so they run in parallel), every
//! invariant checked after every step, then healing, convergence and the I10 check. A failing
//! seed prints its violations, the end of its trace and the command that replays it.
//!
//! The million-seed run is the binary: `cargo run --release -p zkrs-sim -- --seeds 0..1000000`.

use zkrs_sim::{SimConfig, Simulation};

fn sweep(seeds: std::ops::Range<u64>) {
    let config = SimConfig::default();
    let mut failures = Vec::new();
    for seed in seeds {
        let r = Simulation::run_random(config.clone(), seed);
        if !r.ok() {
            let tail = r.trace.len().saturating_sub(60);
            failures.push(format!(
                "seed {seed}: {:#?}\n{}\nreplay: cargo run --release -p zkrs-sim -- --seed {seed} \
                 --steps {} --trace",
                r.violations,
                r.trace[tail..].join("\n"),
                config.steps
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn seeds_0000_0499() {
    sweep(0..500);
}

#[test]
fn seeds_0500_0999() {
    sweep(500..1000);
}

#[test]
fn seeds_1000_1499() {
    sweep(1000..1500);
}

#[test]
fn seeds_1500_1999() {
    sweep(1500..2000);
}

/// A seed replays byte for byte: the same trace hash twice, and another seed differs.
#[test]
fn determinism_self_check() {
    for seed in [0, 7, 96, 394, 987] {
        let a = Simulation::run_random(SimConfig::default(), seed);
        let b = Simulation::run_random(SimConfig::default(), seed);
        assert_eq!(a.trace_hash, b.trace_hash, "seed {seed} does not replay");
        assert_eq!(a.events, b.events);
        assert_eq!(a.committed_txns, b.committed_txns);
    }
    let a = Simulation::run_random(SimConfig::default(), 1);
    let b = Simulation::run_random(SimConfig::default(), 2);
    assert_ne!(a.trace_hash, b.trace_hash);
}
