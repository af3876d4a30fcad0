//! `zkrs-difftest`: runs seeded random op sequences against two ZooKeeper-protocol servers and
//! compares the normalized transcripts. See docs/differential.md.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use zkrs_difftest::server::{free_port, pid_alive, wait_ready};
use zkrs_difftest::step::describe_action;
use zkrs_difftest::{
    compare, diff_report, program, zoo_cfg, Barrier, Driver, DriverConfig, GenConfig, ServerKind,
    ServerProcess, ZxidMode,
};

const USAGE: &str = "\
usage: zkrs-difftest [SERVERS] [OPTIONS]

servers (one of):
  --a HOST:PORT --b HOST:PORT     two running servers (started with the same zoo.cfg, empty)
  --against-zookeeper-twice       start two fresh Apache ZooKeeper instances (harness self-test)
  --zkrs PATH                     start Apache ZooKeeper and `PATH server zoo.cfg`

options:
  --label-a NAME --label-b NAME   names in reports (default zookeeper / zkrs)
  --seeds N          number of seeds (default 10)     --first-seed S  (default 1)
  --ops M            random ops per seed (default 2000)
  --sessions K       concurrent session slots (default 4)
  --no-ttl           do not generate TTL nodes (server without extendedTypesEnabled)
  --zxid MODE        offset (default) | raw | ordinal
  --barrier KIND     exists (default) | ping
  --fresh-per-seed   with a launch mode: new servers (empty dataDirs) for every seed
  --mask-config-ports  print data that is a dynamic config (`server.N=...`, /zookeeper/config
                     on an ensemble member) with every port as P (ensembles on one host)
  --out DIR          transcripts and diffs (default target/difftest)
  --print-program S  print the generated steps of seed S and exit

helpers for scripts (print or wait, then exit):
  --print-zoo-cfg DATADIR PORT   the zoo.cfg both servers get
  --print-free-port              a loopback port that is free now
  --wait-ready HOST:PORT PID     wait (60 s at most) until the server answers; fail if PID dies
";

#[derive(Debug)]
struct Args {
    a: Option<SocketAddr>,
    b: Option<SocketAddr>,
    zk_twice: bool,
    zkrs: Option<PathBuf>,
    label_a: Option<String>,
    label_b: Option<String>,
    seeds: u64,
    first_seed: u64,
    gen: GenConfig,
    driver: DriverConfig,
    fresh_per_seed: bool,
    out: PathBuf,
    print_program: Option<u64>,
}

fn parse_args() -> Result<Args> {
    let mut a = Args {
        a: None,
        b: None,
        zk_twice: false,
        zkrs: None,
        label_a: None,
        label_b: None,
        seeds: 10,
        first_seed: 1,
        gen: GenConfig::default(),
        driver: DriverConfig::default(),
        fresh_per_seed: false,
        out: PathBuf::from("target/difftest"),
        print_program: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        match flag.as_str() {
            "--print-zoo-cfg" => {
                let dir = it.next().context("--print-zoo-cfg DATADIR PORT")?;
                let port: u16 = it
                    .next()
                    .context("--print-zoo-cfg DATADIR PORT")?
                    .parse()
                    .context("port")?;
                print!("{}", zoo_cfg(Path::new(&dir), port));
                std::process::exit(0);
            }
            "--print-free-port" => {
                println!("{}", free_port()?);
                std::process::exit(0);
            }
            "--wait-ready" => {
                let addr: SocketAddr = it.next().context("--wait-ready HOST:PORT PID")?.parse()?;
                let pid: u32 = it
                    .next()
                    .context("--wait-ready HOST:PORT PID")?
                    .parse()
                    .context("pid")?;
                let mut alive = || Ok(pid_alive(pid));
                wait_ready(
                    addr,
                    Duration::from_secs(60),
                    &mut alive,
                    Path::new("server.log"),
                )?;
                std::process::exit(0);
            }
            _ => {}
        }
        let mut val = || it.next().with_context(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--a" => a.a = Some(val()?.parse().context("--a")?),
            "--b" => a.b = Some(val()?.parse().context("--b")?),
            "--against-zookeeper-twice" => a.zk_twice = true,
            "--zkrs" => a.zkrs = Some(PathBuf::from(val()?)),
            "--label-a" => a.label_a = Some(val()?),
            "--label-b" => a.label_b = Some(val()?),
            "--seeds" => a.seeds = val()?.parse().context("--seeds")?,
            "--first-seed" => a.first_seed = val()?.parse().context("--first-seed")?,
            "--ops" => a.gen.ops = val()?.parse().context("--ops")?,
            "--sessions" => a.gen.sessions = val()?.parse().context("--sessions")?,
            "--no-ttl" => a.gen.ttl = false,
            "--zxid" => {
                let v = val()?;
                a.driver.zxid_mode =
                    ZxidMode::parse(&v).with_context(|| format!("bad --zxid {v}"))?;
            }
            "--barrier" => {
                a.driver.barrier = match val()?.as_str() {
                    "exists" => Barrier::Exists,
                    "ping" => Barrier::Ping,
                    other => bail!("bad --barrier {other}"),
                }
            }
            "--fresh-per-seed" => a.fresh_per_seed = true,
            "--mask-config-ports" => a.driver.mask_config_ports = true,
            "--out" => a.out = PathBuf::from(val()?),
            "--print-program" => a.print_program = Some(val()?.parse().context("seed")?),
            "-h" | "--help" => {
                print!("{USAGE}");
                std::process::exit(0);
            }
            other => bail!("unknown argument {other}\n{USAGE}"),
        }
    }
    Ok(a)
}

/// Where the two servers come from.
enum Servers {
    External(SocketAddr, SocketAddr),
    Launch(ServerKind, ServerKind),
}

/// Two launched servers; on drop they are stopped, their logs copied to the output directory
/// and their temporary directories removed.
struct Running {
    a: SocketAddr,
    b: SocketAddr,
    procs: Vec<ServerProcess>,
    base: PathBuf,
    out: PathBuf,
}

impl Drop for Running {
    fn drop(&mut self) {
        for (p, name) in self.procs.iter_mut().zip(["a", "b"]) {
            p.stop();
            let _ = std::fs::copy(
                p.dir().join("server.log"),
                self.out.join(format!("server-{name}.log")),
            );
        }
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

fn launch(ka: &ServerKind, kb: &ServerKind, out: &Path, tag: &str) -> Result<Running> {
    let base = std::env::temp_dir().join(format!("zkrs-difftest-{}-{tag}", std::process::id()));
    let pa = ServerProcess::start(ka, &base.join("a"))
        .with_context(|| format!("starting server a ({ka:?})"))?;
    let pb = ServerProcess::start(kb, &base.join("b"))
        .with_context(|| format!("starting server b ({kb:?})"))?;
    let _ = std::fs::write(
        out.join("servers.txt"),
        format!(
            "a {ka:?} {} {}\nb {kb:?} {} {}\n",
            pa.addr(),
            pa.dir().display(),
            pb.addr(),
            pb.dir().display()
        ),
    );
    Ok(Running {
        a: pa.addr(),
        b: pb.addr(),
        procs: vec![pa, pb],
        base,
        out: out.to_path_buf(),
    })
}

fn real_main() -> Result<bool> {
    let args = parse_args()?;
    if let Some(seed) = args.print_program {
        let p = program(seed, args.gen.clone());
        for (i, s) in p.steps.iter().enumerate() {
            println!("#{i:04} s{} {}", s.slot, describe_action(&s.action));
        }
        return Ok(true);
    }
    let servers = match (&args.a, &args.b, args.zk_twice, &args.zkrs) {
        (Some(a), Some(b), false, None) => Servers::External(*a, *b),
        (None, None, true, None) => Servers::Launch(ServerKind::Zookeeper, ServerKind::Zookeeper),
        (None, None, false, Some(bin)) => {
            Servers::Launch(ServerKind::Zookeeper, ServerKind::Zkrs(bin.clone()))
        }
        _ => bail!("give exactly one of --a/--b, --against-zookeeper-twice, --zkrs\n{USAGE}"),
    };
    let (def_a, def_b) = if args.zk_twice {
        ("zookeeper-1", "zookeeper-2")
    } else {
        ("zookeeper", "zkrs")
    };
    let label_a = args.label_a.clone().unwrap_or_else(|| def_a.to_string());
    let label_b = args.label_b.clone().unwrap_or_else(|| def_b.to_string());
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("creating {}", args.out.display()))?;

    let mut running: Option<Running> = None;
    let (mut passed, mut failed, mut mismatches, mut ops) = (0u64, 0u64, 0usize, 0usize);
    for seed in args.first_seed..args.first_seed + args.seeds {
        let (a, b) = match &servers {
            Servers::External(a, b) => (*a, *b),
            Servers::Launch(ka, kb) => {
                if running.is_none() || args.fresh_per_seed {
                    drop(running.take()); // stops the previous pair first
                    running = Some(launch(ka, kb, &args.out, &seed.to_string())?);
                }
                let r = running.as_ref().context("servers")?;
                (r.a, r.b)
            }
        };
        let prog = program(seed, args.gen.clone());
        ops += prog.random_ops;
        let ta = Driver::new(a, args.driver.clone()).run(&prog, &label_a);
        let tb = Driver::new(b, args.driver.clone()).run(&prog, &label_b);
        let fa = args.out.join(format!("seed-{seed}.{label_a}.txt"));
        let fb = args.out.join(format!("seed-{seed}.{label_b}.txt"));
        std::fs::write(&fa, ta.render()).with_context(|| format!("{}", fa.display()))?;
        std::fs::write(&fb, tb.render()).with_context(|| format!("{}", fb.display()))?;
        let cmp = compare(&ta, &tb);
        let diff_path = args.out.join(format!("seed-{seed}.diff"));
        // The reference run must be healthy and must have created the seed's root itself
        // (otherwise the servers were not fresh, or the same server was given twice).
        let mut invalid = ta.anomalies();
        let root_ok = ta
            .steps
            .get(1)
            .and_then(|s| s.lines.first())
            .is_some_and(|l| l.starts_with("s0 reply err=0 "));
        if !root_ok {
            invalid.insert(0, format!("{}: root {} not created", label_a, prog.root));
        }
        if !invalid.is_empty() {
            failed += 1;
            println!(
                "seed {seed}: INVALID reference run ({} anomalies; servers not fresh or not serving?)",
                invalid.len()
            );
            for l in invalid.iter().take(10) {
                println!("    {l}");
            }
        } else if cmp.is_match() {
            passed += 1;
            let _ = std::fs::remove_file(&diff_path);
            println!(
                "seed {seed}: ok ({} steps, {} ops)",
                prog.steps.len(),
                prog.random_ops
            );
        } else {
            failed += 1;
            mismatches += cmp.differing.len();
            let report = diff_report(&ta, &tb, &cmp, 3);
            std::fs::write(&diff_path, &report)
                .with_context(|| format!("{}", diff_path.display()))?;
            println!(
                "seed {seed}: MISMATCH at step {} ({} differing steps), see {}",
                cmp.differing[0],
                cmp.differing.len(),
                diff_path.display()
            );
            for l in report.lines().take(60) {
                println!("    {l}");
            }
        }
    }
    drop(running);
    println!(
        "seeds={} ops={ops} mismatches={mismatches}",
        passed + failed
    );
    println!("{passed} passed, {failed} failed");
    Ok(failed == 0)
}

fn main() -> ExitCode {
    match real_main() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("zkrs-difftest: {e:#}");
            ExitCode::from(2)
        }
    }
}
