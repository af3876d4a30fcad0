//! One run: connect the sessions, create the parent and the keys the workload needs, run the
//! warm-up phase, then the measured phase, and build the [`Report`].
//!
//! Each session is a tokio task that keeps up to `--window` requests in flight; the sessions
//! draw request numbers from one shared counter, so a faster session does more of the work, as
//! keeper-bench's workers do. Two engines run the phases (`--client`):
//!
//! - `raw` (default; `raw.rs`): one TCP connection per session with hand-written encodings and
//!   batched writes, cheap enough that the load generator is not the bottleneck. It runs the
//!   populate, warm-up and measured phases of create, get, set, delete and mixed; the parent
//!   znode and its child count are still handled by one `zookeeper-client` session.
//! - `zookeeper-client`: every session a `zookeeper-client` `Client` with a `FuturesUnordered`
//!   of boxed request futures. It is the cross-check for `raw`, and it always runs the multi
//!   and watch workloads. `zookeeper-client` sends a request when its method is called (the
//!   returned future only waits for the reply), so the latency clock starts right before the
//!   call.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use futures::stream::{FuturesUnordered, StreamExt};
use zookeeper_client::{Acls, Client, CreateMode, CreateOptions, EventType};

use crate::keys::{KeySpace, Rng};
use crate::options::{ClientKind, RunOptions, Workload};
use crate::raw::{self, RawSession};
use crate::recorder::Recorder;
use crate::report::Report;

/// Persistent znodes readable and writable by anyone.
const PERSISTENT: CreateOptions<'static> = CreateMode::Persistent.with_acls(Acls::anyone_all());

/// Requests in flight per session while populating keys.
const POPULATE_WINDOW: usize = 64;

/// One request to send.
#[derive(Debug, Clone)]
enum Op {
    Create(String),
    /// A create during populate: NodeExists is fine.
    Populate(String),
    Get(String),
    Set(String),
    Delete(String),
    Multi(Vec<String>),
    Watch(String),
}

/// The request a request number stands for, by key index (the same choice for both engines).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Choice {
    Create(u64),
    /// A create during populate: NodeExists is fine.
    Populate(u64),
    Get(u64),
    Set(u64),
    Delete(u64),
    /// The first of `--multi-ops` consecutive keys.
    Multi(u64),
    Watch(u64),
}

/// What a phase does with its request numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PhaseKind {
    Populate,
    Workload,
}

/// Everything a session task needs for one phase.
pub(crate) struct PhaseSpec {
    pub kind: PhaseKind,
    pub opts: Arc<RunOptions>,
    pub keys: Arc<KeySpace>,
    /// Request numbers of this phase are `base..base + count`.
    pub base: u64,
    pub count: u64,
    pub window: usize,
    pub deadline: Instant,
    pub op_timeout: Duration,
    pub data: Arc<Vec<u8>>,
}

/// The sessions that run the phases.
enum Engine {
    Zk(Vec<Client>),
    Raw(Vec<RawSession>),
}

impl Engine {
    fn name(&self) -> &'static str {
        match self {
            Engine::Zk(_) => "zookeeper-client",
            Engine::Raw(_) => "raw",
        }
    }
}

/// Runs one workload as the options say.
pub async fn run(opts: RunOptions) -> anyhow::Result<Report> {
    opts.validate()?;
    let opts = Arc::new(opts);
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0)
        ^ u64::from(std::process::id());
    let keys = Arc::new(KeySpace::for_run(&opts, nonce));
    let use_raw = opts.client == ClientKind::Raw
        && !matches!(opts.workload, Workload::Multi | Workload::Watch);
    // With the raw engine, one zookeeper-client session does the set-up.
    let clients = connect_all(&opts, if use_raw { 1 } else { opts.sessions }).await?;
    let first = clients.first().context("no session")?.clone();
    match first.mkdir(&keys.parent, &PERSISTENT).await {
        Ok(()) | Err(zookeeper_client::Error::NodeExists) => {}
        Err(e) => return Err(anyhow::anyhow!("creating {}: {e}", keys.parent)),
    }
    let data = Arc::new(payload(opts.size));
    let op_timeout = Duration::from_millis(opts.session_timeout_ms.saturating_mul(2));

    // Populate (not measured): skip when the parent already has enough children.
    let needed = KeySpace::keys_needed(&opts);
    let have = match first.check_stat(&keys.parent).await {
        Ok(Some(stat)) => u64::try_from(stat.num_children).unwrap_or(0),
        _ => 0,
    };
    let mut engine = if use_raw {
        drop(first);
        drop(clients);
        Engine::Raw(raw::connect_all(&opts.server, opts.sessions, opts.session_timeout_ms).await?)
    } else {
        drop(first);
        Engine::Zk(clients)
    };
    let t = Instant::now();
    if needed > have {
        let spec = PhaseSpec {
            kind: PhaseKind::Populate,
            opts: opts.clone(),
            keys: keys.clone(),
            base: 0,
            count: needed,
            window: POPULATE_WINDOW.max(opts.window),
            deadline: Instant::now() + Duration::from_secs(3600),
            op_timeout,
            data: data.clone(),
        };
        let (rec, _, _) = phase(&mut engine, spec).await?;
        if rec.error_count() > 0 {
            anyhow::bail!("populating {} failed: {:?}", keys.parent, rec.errors);
        }
    }
    let populate = if needed > have {
        t.elapsed()
    } else {
        Duration::ZERO
    };

    let max = Duration::from_secs_f64(opts.max_seconds);
    if opts.warmup > 0 {
        let spec = PhaseSpec {
            kind: PhaseKind::Workload,
            opts: opts.clone(),
            keys: keys.clone(),
            base: 0,
            count: opts.warmup,
            window: opts.window,
            deadline: Instant::now() + max,
            op_timeout,
            data: data.clone(),
        };
        phase(&mut engine, spec).await?;
    }
    let spec = PhaseSpec {
        kind: PhaseKind::Workload,
        opts: opts.clone(),
        keys: keys.clone(),
        base: opts.warmup,
        count: opts.requests,
        window: opts.window,
        deadline: Instant::now() + max,
        op_timeout,
        data,
    };
    let (rec, elapsed, truncated) = phase(&mut engine, spec).await?;
    let client = engine.name();
    match engine {
        Engine::Zk(clients) => drop(clients),
        Engine::Raw(sessions) => raw::close_all(sessions).await,
    }
    Ok(Report::new(
        &opts, client, &rec, elapsed, populate, truncated,
    ))
}

/// The data written by create and set: `size` printable bytes.
fn payload(size: usize) -> Vec<u8> {
    (0..size).map(|i| b'a' + (i % 26) as u8).collect()
}

/// Establishes `sessions` zookeeper-client sessions, a few at a time.
async fn connect_all(opts: &RunOptions, sessions: usize) -> anyhow::Result<Vec<Client>> {
    let timeout = Duration::from_millis(opts.session_timeout_ms.max(10_000));
    let mut clients = Vec::with_capacity(sessions);
    for chunk_start in (0..sessions).step_by(8) {
        let n = (sessions - chunk_start).min(8);
        let connects = (0..n).map(|_| {
            let connector = Client::connector()
                .with_session_timeout(Duration::from_millis(opts.session_timeout_ms));
            let server = opts.server.clone();
            async move { tokio::time::timeout(timeout, connector.connect(&server)).await }
        });
        for r in futures::future::join_all(connects).await {
            let client = r
                .map_err(|_| anyhow::anyhow!("connecting to {} timed out", opts.server))?
                .with_context(|| format!("connecting to {}", opts.server))?;
            clients.push(client);
        }
    }
    Ok(clients)
}

/// Runs one phase on every session; returns the merged recorder, the wall time and whether the
/// deadline cut it short.
async fn phase(engine: &mut Engine, spec: PhaseSpec) -> anyhow::Result<(Recorder, Duration, bool)> {
    let spec = Arc::new(spec);
    let next = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let mut total = Recorder::new()?;
    match engine {
        Engine::Zk(clients) => {
            let mut tasks = Vec::with_capacity(clients.len());
            for (s, client) in clients.iter().enumerate() {
                let client = client.clone();
                let writer = clients[(s + 1) % clients.len()].clone();
                let spec = spec.clone();
                let next = next.clone();
                tasks.push(tokio::spawn(session_loop(s, client, writer, spec, next)));
            }
            for t in tasks {
                let rec = t.await.context("session task panicked")??;
                total.merge(&rec)?;
            }
        }
        Engine::Raw(sessions) => {
            let mut tasks = Vec::with_capacity(sessions.len());
            for (s, session) in std::mem::take(sessions).into_iter().enumerate() {
                tasks.push(tokio::spawn(session.phase(s, spec.clone(), next.clone())));
            }
            let mut first_err = None;
            for t in tasks {
                let (session, rec) = t.await.context("session task panicked")?;
                sessions.push(session);
                match rec {
                    Ok(rec) => total.merge(&rec)?,
                    Err(e) => first_err = first_err.or(Some(e)),
                }
            }
            if let Some(e) = first_err {
                return Err(e);
            }
        }
    }
    let elapsed = start.elapsed();
    let truncated = next.load(Ordering::Relaxed) < spec.count
        || (total.histogram.len() + total.error_count()) < spec.count;
    Ok((total, elapsed, truncated))
}

type OpFuture<'a> = Pin<Box<dyn Future<Output = (usize, Result<Duration, String>)> + Send + 'a>>;

/// One session: keep `window` requests in flight until the phase's numbers run out.
async fn session_loop(
    session: usize,
    client: Client,
    writer: Client,
    spec: Arc<PhaseSpec>,
    next: Arc<AtomicU64>,
) -> anyhow::Result<Recorder> {
    let mut rec = Recorder::new()?;
    let mut rng = Rng::new(spec.opts.seed ^ spec.base, session);
    let mut free_slots: Vec<usize> = (0..spec.window).rev().collect();
    let mut inflight: FuturesUnordered<OpFuture<'_>> = FuturesUnordered::new();
    let mut exhausted = false;
    loop {
        while !exhausted {
            let Some(slot) = free_slots.pop() else { break };
            if Instant::now() >= spec.deadline {
                exhausted = true;
                free_slots.push(slot);
                break;
            }
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= spec.count {
                exhausted = true;
                free_slots.push(slot);
                break;
            }
            let op = to_op(
                &spec,
                choose_op(&spec, session, slot, spec.base + i, &mut rng),
            );
            let fut = send(&client, &writer, op, &spec.data);
            let op_timeout = spec.op_timeout;
            inflight.push(Box::pin(async move {
                let r = match tokio::time::timeout(op_timeout, fut).await {
                    Ok(r) => r,
                    Err(_) => Err("client timeout".to_string()),
                };
                (slot, r)
            }));
        }
        match inflight.next().await {
            None => break,
            Some((slot, result)) => {
                free_slots.push(slot);
                match result {
                    Ok(latency) => rec.ok(latency),
                    Err(kind) => rec.error(kind),
                }
            }
        }
    }
    Ok(rec)
}

/// The request number `idx` of this phase, for session `session` using slot `slot` (the slot
/// matters to the watch workload only).
pub(crate) fn choose_op(
    spec: &PhaseSpec,
    session: usize,
    slot: usize,
    idx: u64,
    rng: &mut Rng,
) -> Choice {
    let opts = &spec.opts;
    if spec.kind == PhaseKind::Populate {
        return Choice::Populate(idx);
    }
    match opts.workload {
        Workload::Create => Choice::Create(idx),
        Workload::Delete => Choice::Delete(idx),
        Workload::Get => Choice::Get(rng.below(opts.keys)),
        Workload::Set => Choice::Set(rng.below(opts.keys)),
        Workload::Mixed => {
            let k = rng.below(opts.keys);
            if rng.percent() < opts.read_pct {
                Choice::Get(k)
            } else {
                Choice::Set(k)
            }
        }
        Workload::Multi => Choice::Multi(rng.below(opts.keys)),
        // Each (session, slot) owns one key, so no two in-flight watches share a path.
        Workload::Watch => Choice::Watch((session * spec.window + slot) as u64),
    }
}

/// The zookeeper-client request of a choice, with its paths spelled out.
fn to_op(spec: &PhaseSpec, choice: Choice) -> Op {
    let keys = &spec.keys;
    match choice {
        Choice::Create(k) => Op::Create(keys.key(k)),
        Choice::Populate(k) => Op::Populate(keys.key(k)),
        Choice::Get(k) => Op::Get(keys.key(k)),
        Choice::Set(k) => Op::Set(keys.key(k)),
        Choice::Delete(k) => Op::Delete(keys.key(k)),
        Choice::Multi(start) => Op::Multi(
            (0..spec.opts.multi_ops as u64)
                .map(|j| keys.key((start + j) % spec.opts.keys))
                .collect(),
        ),
        Choice::Watch(k) => Op::Watch(keys.key(k)),
    }
}

/// Sends `op` now (inside the returned future's first poll, which happens right away) and
/// resolves to its latency or an error description.
async fn send(client: &Client, writer: &Client, op: Op, data: &[u8]) -> Result<Duration, String> {
    let t0 = Instant::now();
    match op {
        Op::Create(path) => client
            .create(&path, data, &PERSISTENT)
            .await
            .map(|_| t0.elapsed())
            .map_err(|e| e.to_string()),
        Op::Populate(path) => match client.create(&path, data, &PERSISTENT).await {
            Ok(_) | Err(zookeeper_client::Error::NodeExists) => Ok(t0.elapsed()),
            Err(e) => Err(e.to_string()),
        },
        Op::Get(path) => client
            .get_data(&path)
            .await
            .map(|_| t0.elapsed())
            .map_err(|e| e.to_string()),
        Op::Set(path) => client
            .set_data(&path, data, None)
            .await
            .map(|_| t0.elapsed())
            .map_err(|e| e.to_string()),
        Op::Delete(path) => client
            .delete(&path, None)
            .await
            .map(|_| t0.elapsed())
            .map_err(|e| e.to_string()),
        Op::Multi(paths) => {
            let mut w = client.new_multi_writer();
            for p in &paths {
                w.add_set_data(p, data, None).map_err(|e| e.to_string())?;
            }
            w.commit()
                .await
                .map(|_| t0.elapsed())
                .map_err(|e| e.to_string())
        }
        Op::Watch(path) => {
            let (_, _, watcher) = client
                .get_and_watch_data(&path)
                .await
                .map_err(|e| e.to_string())?;
            let t1 = Instant::now();
            let set = writer.set_data(&path, data, None);
            let event = watcher.changed().await;
            let latency = t1.elapsed();
            set.await.map_err(|e| e.to_string())?;
            if event.event_type == EventType::NodeDataChanged {
                Ok(latency)
            } else {
                Err(format!("unexpected watch event {:?}", event.event_type))
            }
        }
    }
}
