//! Crash test: the real `zkrs` binary under a write load, killed with SIGKILL at random points,
//! restarted on the same dataDir, and checked:
//!
//! - every acknowledged write is present (persist-before-ack);
//! - nothing is half-applied: each write is a multi of two creates, `<w>-<i>-a` and
//!   `<w>-<i>-b` — both or neither;
//! - each connection's writes survive as a prefix (the log is sequential: if write `i` is
//!   there, every earlier write of that connection is too);
//! - all of it again after every later round (the data accumulates).
//!
//! Every third round also tears the end of the newest txn log after the kill (bytes of an
//! interrupted write after the last record, as a power loss can leave); recovery must cut it
//! and lose nothing acknowledged. The server runs with `snapCount=60` and 16 KiB preallocation,
//! so kills also land during log rolls, preallocation and background snapshots.
//!
//! `ZKRS_CRASH_ROUNDS` (default 4; `tests/crash/run.sh` uses 20) sets the number of kills.
//! `ZKRS_DISKFULL_DIR` (set by `tests/crash/run.sh` to a small tmpfs) enables the disk-full
//! test. Prints `N passed, M failed`. Loopback only, every wait bounded, every process killed.

#[path = "../../zkrs-server/tests/common/mod.rs"]
mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use common::Client;
use zkrs_jute::{
    perms, CreateRequest, GetChildrenRequest, GetChildrenResponse, MultiOp, MultiRequest, Request,
};

const WRITERS: usize = 4;
/// Writes in flight per connection.
const DEPTH: usize = 4;
const START_WAIT: Duration = Duration::from_secs(30);

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(0)
}

/// A tiny xorshift generator (no dependency), seeded from the clock; the seed is printed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// One zkrs process on a dataDir.
struct Server {
    child: Child,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    fn start(dir: &Path, data_dir: &Path, extra_cfg: &str, run: usize) -> Result<Server> {
        let port = free_port();
        let cfg = dir.join("zoo.cfg");
        std::fs::write(
            &cfg,
            format!(
                "tickTime=2000\nclientPort={port}\nclientPortAddress=127.0.0.1\ndataDir={}\n\
                 4lw.commands.whitelist=*\nadmin.enableServer=false\nmaxClientCnxns=0\n{extra_cfg}",
                data_dir.display()
            ),
        )?;
        let log = dir.join(format!("server-{run}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_zkrs"))
            .arg("server")
            .arg(&cfg)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log)?)
            .spawn()
            .context("spawn zkrs")?;
        let mut server = Server {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log,
        };
        let deadline = Instant::now() + START_WAIT;
        loop {
            if let Some(status) = server.child.try_wait()? {
                bail!(
                    "zkrs exited at start-up ({status}):\n{}",
                    std::fs::read_to_string(&server.log).unwrap_or_default()
                );
            }
            if four_letter(server.addr, "ruok").is_ok_and(|r| r == "imok") {
                return Ok(server);
            }
            if Instant::now() > deadline {
                server.kill();
                bail!("zkrs did not start within {START_WAIT:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL and reap.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Waits (bounded) for the process to exit on its own.
    fn wait_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if let Ok(Some(s)) = self.child.try_wait() {
                return Some(s);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

fn four_letter(addr: SocketAddr, word: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(1))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    s.write_all(word.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

fn create_op(path: String) -> MultiOp {
    MultiOp::Create(CreateRequest {
        path,
        data: Some(Bytes::from_static(b"crash-test-payload")),
        acl: perms::open_acl_unsafe(),
        flags: 0,
    })
}

/// Writes `multi(create <parent>/<w>-<i>-a, create <parent>/<w>-<i>-b)` for i = 0, 1, ... with
/// `DEPTH` in flight until the connection fails; records the acknowledged `i`s.
async fn writer(addr: SocketAddr, parent: String, w: usize, acked: Arc<Mutex<Vec<u64>>>) {
    let Ok(mut c) = Client::connect(addr).await else {
        return;
    };
    let mut in_flight = std::collections::VecDeque::new();
    let mut next = 0u64;
    loop {
        while in_flight.len() < DEPTH {
            let req = Request::Multi(MultiRequest {
                ops: vec![
                    create_op(format!("{parent}/{w}-{next}-a")),
                    create_op(format!("{parent}/{w}-{next}-b")),
                ],
            });
            match c.send(&req).await {
                Ok(xid) => in_flight.push_back((xid, next)),
                Err(_) => return,
            }
            next += 1;
        }
        let Some((xid, i)) = in_flight.pop_front() else {
            return;
        };
        match c.reply_to(xid).await {
            Ok(r) if r.header.err == 0 => {
                if let Ok(mut a) = acked.lock() {
                    a.push(i);
                }
            }
            _ => return,
        }
    }
}

async fn children(c: &mut Client, path: &str) -> Result<BTreeSet<String>> {
    let r = c
        .call(Request::GetChildren(GetChildrenRequest {
            path: path.to_owned(),
            watch: false,
        }))
        .await?;
    if r.header.err != 0 {
        bail!("getChildren {path}: error {}", r.header.err);
    }
    Ok(r.decode::<GetChildrenResponse>()?
        .children
        .into_iter()
        .collect())
}

/// The acknowledged writes of one round, by writer.
type RoundAcks = BTreeMap<usize, Vec<u64>>;

/// Checks one round's parent against what was acknowledged. Returns the number of writes
/// verified.
fn check_round(names: &BTreeSet<String>, acks: &RoundAcks, round: usize) -> Result<usize> {
    let mut verified = 0;
    let mut present: BTreeMap<usize, BTreeSet<u64>> = BTreeMap::new();
    for name in names {
        let mut parts = name.split('-');
        let (Some(w), Some(i), Some(side), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            bail!("round {round}: unexpected znode {name}");
        };
        let (w, i): (usize, u64) = (w.parse()?, i.parse()?);
        let other = if side == "a" { "b" } else { "a" };
        if !names.contains(&format!("{w}-{i}-{other}")) {
            bail!("round {round}: {name} without its pair {w}-{i}-{other}: a half-applied multi");
        }
        present.entry(w).or_default().insert(i);
    }
    for (w, is) in &present {
        if let Some(max) = is.iter().next_back() {
            if is.len() as u64 != max + 1 {
                bail!(
                    "round {round}: writer {w} has {} writes up to {max}: not a prefix",
                    is.len()
                );
            }
        }
    }
    for (w, acked) in acks {
        let got = present.get(w);
        for i in acked {
            if !got.is_some_and(|s| s.contains(i)) {
                bail!("round {round}: acknowledged write {w}-{i} is missing");
            }
            verified += 1;
        }
    }
    Ok(verified)
}

/// Writes non-zero bytes right after the last intact record of the newest log: the torn
/// remains of a write that never completed (so was never acknowledged).
fn tear_newest_log(data_dir: &Path, rng: &mut Rng) -> Result<Option<String>> {
    let v2 = data_dir.join("version-2");
    let newest = std::fs::read_dir(&v2)?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("log."))
        })
        .max_by_key(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| i64::from_str_radix(&n[4..], 16).ok())
                .unwrap_or(-1)
        });
    let Some(log) = newest else {
        return Ok(None);
    };
    let mut bytes = std::fs::read(&log)?;
    let scan = zkrs_storage::LogFileScan::scan(&bytes, zkrs_storage::DEFAULT_MAX_RECORD_LEN);
    let end = scan.end.offset() as usize;
    let n = rng.range(1, 40) as usize;
    // A record header claiming more bytes than follow, then junk.
    let mut junk = vec![0x5a, 0x5a, 0x5a, 0x5a, 0, 0, 0, 200];
    junk.extend((0..n).map(|_| (rng.next() as u8) | 1));
    if bytes.len() < end + junk.len() {
        bytes.resize(end + junk.len(), 0);
    }
    bytes[end..end + junk.len()].copy_from_slice(&junk);
    std::fs::write(&log, &bytes)?;
    Ok(Some(format!("{} at offset {end}", log.display())))
}

fn scratch(name: &str) -> Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("zkrs-crash-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_write() -> Result<()> {
    let rounds: usize = std::env::var("ZKRS_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let seed = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1;
    let mut rng = Rng(seed);
    let dir = scratch("kill")?;
    let data = dir.join("data");
    let cfg = "snapCount=60\npreAllocSize=16\n";
    println!(
        "crash test: {rounds} kills, seed {seed}, dir {}",
        dir.display()
    );

    let mut all: Vec<RoundAcks> = Vec::new();
    let (mut passed, mut failed) = (0usize, 0usize);
    let mut total_acked = 0usize;
    for round in 0..rounds {
        let mut server = Server::start(&dir, &data, cfg, round)?;
        let addr = server.addr;
        let parent = format!("/r{round}");
        {
            let mut c = Client::connect(addr).await?;
            let r = c
                .call(Request::Create(CreateRequest {
                    path: parent.clone(),
                    data: None,
                    acl: perms::open_acl_unsafe(),
                    flags: 0,
                }))
                .await?;
            if r.header.err != 0 {
                bail!("create {parent}: {}", r.header.err);
            }
        }
        let acked: Vec<Arc<Mutex<Vec<u64>>>> = (0..WRITERS)
            .map(|_| Arc::new(Mutex::new(Vec::new())))
            .collect();
        let tasks: Vec<_> = (0..WRITERS)
            .map(|w| tokio::spawn(writer(addr, parent.clone(), w, Arc::clone(&acked[w]))))
            .collect();
        let run_ms = rng.range(150, 1500);
        tokio::time::sleep(Duration::from_millis(run_ms)).await;
        server.kill();
        for t in tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        let acks: RoundAcks = acked
            .iter()
            .enumerate()
            .map(|(w, a)| (w, a.lock().map(|v| v.clone()).unwrap_or_default()))
            .collect();
        let n: usize = acks.values().map(Vec::len).sum();
        all.push(acks);
        let torn = if round % 3 == 2 {
            tear_newest_log(&data, &mut rng)?
        } else {
            None
        };

        // Restart on the same dataDir and check every round so far.
        let outcome: Result<usize> = async {
            let server = Server::start(&dir, &data, cfg, round + 1000)?;
            let mut c = Client::connect(server.addr).await?;
            let mut verified = 0;
            for (r, acks) in all.iter().enumerate() {
                let names = children(&mut c, &format!("/r{r}")).await?;
                verified += check_round(&names, acks, r)?;
            }
            drop(c);
            drop(server);
            Ok(verified)
        }
        .await;
        match outcome {
            Ok(verified) => {
                passed += 1;
                total_acked += n;
                println!(
                    "round {round}: killed after {run_ms} ms, {n} writes acknowledged{}; restart \
                     verified {verified} acknowledged writes of {} round(s): ok",
                    torn.map(|t| format!(", log torn in {t}"))
                        .unwrap_or_default(),
                    round + 1
                );
            }
            Err(e) => {
                failed += 1;
                println!("round {round}: FAILED: {e:#}");
            }
        }
    }
    println!(
        "crash test: {rounds} kills, {total_acked} acknowledged writes (multis of two creates) \
         all present after every restart"
    );
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert_eq!(failed, 0, "logs in {}", dir.display());
    Ok(())
}

/// Disk full (a small tmpfs from `tests/crash/run.sh`): the server stops with an error and
/// acknowledges nothing it could not write; on a disk with room, every acknowledged write is
/// there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_stops_the_server_without_acknowledging() -> Result<()> {
    let Ok(small) = std::env::var("ZKRS_DISKFULL_DIR") else {
        println!("disk-full test skipped (ZKRS_DISKFULL_DIR not set; tests/crash/run.sh sets it)");
        return Ok(());
    };
    let small = PathBuf::from(small);
    let dir = scratch("diskfull")?;
    let data = small.join("data");
    let _ = std::fs::remove_dir_all(&data);
    let mut server = Server::start(&dir, &data, "snapCount=1000000\npreAllocSize=16\n", 0)?;
    let mut c = Client::connect(server.addr).await?;
    let payload = Bytes::from(vec![b'x'; 4000]);
    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..100_000 {
        let path = format!("/f{i}");
        let req = Request::Create(CreateRequest {
            path: path.clone(),
            data: Some(payload.clone()),
            acl: perms::open_acl_unsafe(),
            flags: 0,
        });
        match c.call(req).await {
            Ok(r) if r.header.err == 0 => acked.push(path),
            Ok(r) => bail!("create {path}: error {}", r.header.err),
            Err(_) => {
                refused = Some(path);
                break;
            }
        }
    }
    let refused = refused.context("the disk never filled up")?;
    let status = server
        .wait_exit(Duration::from_secs(20))
        .context("zkrs did not stop after the txn log failed")?;
    let log = std::fs::read_to_string(&server.log).unwrap_or_default();
    let mut passed = 0;
    let mut failed = 0;
    let mut check = |ok: bool, what: &str| {
        if ok {
            passed += 1;
        } else {
            failed += 1;
        }
        println!("{}: {what}", if ok { "ok" } else { "FAILED" });
    };
    check(
        status.code() == Some(1),
        &format!("zkrs exits 1 ({status})"),
    );
    check(
        log.contains("the txn log failed") && log.contains("No space left"),
        "the log names the failure (No space left on device)",
    );
    // Recover on a disk with room.
    let roomy = dir.join("data");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(&data)
        .arg(&roomy)
        .status()?;
    check(copied.success(), "dataDir copied off the full disk");
    let _ = std::fs::remove_dir_all(&data);
    let server = Server::start(&dir, &roomy, "", 1)?;
    let mut c = Client::connect(server.addr).await?;
    let names = children(&mut c, "/").await?;
    let missing = acked
        .iter()
        .filter(|p| !names.contains(p.trim_start_matches('/')))
        .count();
    check(
        missing == 0,
        &format!(
            "all {} acknowledged writes present after the restart",
            acked.len()
        ),
    );
    // Never acknowledged: it may be there (written before the failure) or not.
    println!(
        "{refused} (never acknowledged): {}",
        if names.contains(refused.trim_start_matches('/')) {
            "present"
        } else {
            "absent"
        }
    );
    drop(c);
    drop(server);
    println!("disk full: {passed} passed, {failed} failed");
    assert_eq!(failed, 0, "see {}", dir.display());
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
