//! `zkrs-sim`: runs random seeds of the ensemble simulator.
//!
//! ```text
//! zkrs-sim --seed 42                  # one seed, trace printed on failure
//! zkrs-sim --seeds 0..1000000         # a range (the million-seed run)
//! zkrs-sim --seeds 0..2000 --steps 1500 --nodes 5 --observers 1
//! zkrs-sim --seeds 0..1000 --strict    # the known bugs are not tolerated
//! zkrs-sim --seeds 0..1000 --reconfig --spares 2   # dynamic reconfiguration, two joiners
//! ```

use std::process::ExitCode;

use zkrs_sim::{SimConfig, Simulation};

struct Args {
    seeds: std::ops::Range<u64>,
    config: SimConfig,
    verbose: bool,
}

fn usage() -> String {
    "usage: zkrs-sim (--seed N | --seeds A..B) [--steps N] [--nodes N] [--observers N] \
     [--clients-per-node N] [--reconfig] [--spares N] [--strict] [--trace] [--verbose]"
        .to_owned()
}

fn parse() -> Result<Args, String> {
    let mut args = Args {
        seeds: 0..1,
        config: SimConfig::default(),
        verbose: false,
    };
    let mut it = std::env::args().skip(1);
    let num = |v: Option<String>, what: &str| -> Result<u64, String> {
        v.ok_or_else(|| format!("{what} needs a value"))?
            .parse::<u64>()
            .map_err(|e| format!("{what}: {e}"))
    };
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" => {
                let s = num(it.next(), "--seed")?;
                args.seeds = s..s + 1;
            }
            "--seeds" => {
                let v = it.next().ok_or("--seeds needs A..B")?;
                let (a, b) = v.split_once("..").ok_or("--seeds needs A..B")?;
                let a = a.parse::<u64>().map_err(|e| format!("--seeds: {e}"))?;
                let b = b.parse::<u64>().map_err(|e| format!("--seeds: {e}"))?;
                args.seeds = a..b;
            }
            "--steps" => args.config.steps = num(it.next(), "--steps")?,
            "--nodes" => args.config.voters = num(it.next(), "--nodes")?,
            "--observers" => args.config.observers = num(it.next(), "--observers")?,
            "--clients-per-node" => {
                args.config.clients_per_node = num(it.next(), "--clients-per-node")? as usize
            }
            "--reconfig" => args.config.reconfig = true,
            "--spares" => args.config.spares = num(it.next(), "--spares")?,
            "--trace" => args.config.keep_trace = true,
            "--strict" => args.config.tolerate_known_bugs = false,
            "--verbose" => args.verbose = true,
            "-h" | "--help" => return Err(usage()),
            other => return Err(format!("unknown argument {other}\n{}", usage())),
        }
    }
    if args.config.voters == 0 {
        return Err("--nodes must be at least 1".into());
    }
    Ok(args)
}

fn replay_command(seed: u64, c: &SimConfig) -> String {
    format!(
        "cargo run --release -p zkrs-sim -- --seed {seed} --steps {} --nodes {} --observers {} \
         --clients-per-node {}{}{} --trace",
        c.steps,
        c.voters,
        c.observers,
        c.clients_per_node,
        if c.reconfig {
            format!(" --reconfig --spares {}", c.spares)
        } else {
            String::new()
        },
        if c.tolerate_known_bugs {
            ""
        } else {
            " --strict"
        }
    )
}

fn main() -> ExitCode {
    let args = match parse() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let single = args.seeds.end - args.seeds.start == 1;
    let mut failed = 0u64;
    let mut runs = 0u64;
    for seed in args.seeds.clone() {
        runs += 1;
        let r = Simulation::run_random(args.config.clone(), seed);
        if args.verbose || single {
            println!(
                "seed {seed}: {} events, {} ms, {} committed txns, {} acked writes, {} epochs, \
                 {} reconfigs sent ({} accepted), {} config versions, trace {:016x}",
                r.events,
                r.end_ms,
                r.committed_txns,
                r.acked_writes,
                r.epochs,
                r.reconfigs_sent,
                r.reconfigs_accepted,
                r.config_versions,
                r.trace_hash
            );
            if single && r.ok() && args.config.keep_trace {
                for l in &r.trace {
                    println!("{l}");
                }
            }
        }
        if args.verbose {
            let mut hit = r.known_bugs_hit.clone();
            hit.dedup();
            for k in hit {
                println!("seed {seed}: known bug tolerated: {k}");
            }
        }
        if !r.ok() {
            failed += 1;
            println!("seed {seed} FAILED:");
            for v in &r.violations {
                println!("  {v}");
            }
            if single {
                for l in &r.trace {
                    println!("{l}");
                }
            } else {
                let tail = r.trace.len().saturating_sub(40);
                for l in &r.trace[tail..] {
                    println!("{l}");
                }
            }
            println!("replay: {}", replay_command(seed, &args.config));
        } else if runs.is_multiple_of(1000) {
            println!("{runs} seeds run, {failed} failed");
        }
    }
    println!("{runs} seeds run, {failed} failed");
    if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
