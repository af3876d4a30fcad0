//! [`Simulation`]: a whole ensemble in one thread. Events (message deliveries, disk
//! completions, timers, client actions, faults) are taken in logical-time order from one
//! queue; every random choice comes from one seeded [`SimRng`]; every collection iterates in a
//! fixed order. A seed therefore replays exactly, and the trace hash proves it.

use std::collections::BTreeMap;

use bytes::Bytes;
use zkrs_config::{QuorumServer, QuorumVerifier};
use zkrs_jute::{PacketType, Zxid};
use zkrs_session::{ConnId, CoreConfig};
use zkrs_zab::ZabConfig;

use crate::checker::Checker;
use crate::client::{Client, ClientAction};
use crate::effect::{Effect, LinkId};
use crate::event::Event;
use crate::event_queue::EventQueue;
use crate::link::{Direction, Link, LinkState, Received};
use crate::network::Network;
use crate::node::{Node, NodeCtx, Role};
use crate::observation::Observation;
use crate::sim_config::SimConfig;
use crate::sim_rng::SimRng;
use crate::trace::Trace;

/// The liveness gap tolerated by `Simulation::converged` (see `docs/simulator.md`).
pub const KNOWN_GAP_ACCEPTED_EPOCH_AHEAD: &str =
    "a member whose acceptedEpoch is above the established epoch refuses LEADERINFO \
     (\"Leaders epoch is less than accepted epoch\", as Java's Learner) and stays out until \
     the next election";

/// A learner's connect is retried this many times (`Learner.connectToLeader`).
const CONNECT_ATTEMPTS: u32 = 5;
/// Time between connect attempts (ms).
const CONNECT_RETRY_MS: u64 = 1_000;
/// How often a connection held in a looking member's backlog checks whether it is accepted.
const HOLD_CHECK_MS: u64 = 5;

/// The outcome of one run.
#[derive(Debug, Clone)]
pub struct RunReport {
    pub seed: u64,
    pub violations: Vec<String>,
    pub trace_hash: u64,
    pub events: u64,
    pub end_ms: u64,
    pub committed_txns: usize,
    pub acked_writes: u64,
    pub epochs: usize,
    /// Reconfigs the clients sent, and those accepted (error code 0).
    pub reconfigs_sent: u64,
    pub reconfigs_accepted: u64,
    /// Configuration versions proposed or activated anywhere (the initial one included once
    /// versioned).
    pub config_versions: usize,
    /// The last trace lines (all of them with `keep_trace`).
    pub trace: Vec<String>,
    /// Known bugs hit and tolerated (`SimConfig::tolerate_known_bugs`), and runs that
    /// converged without members stuck ahead in epoch.
    pub known_bugs_hit: Vec<String>,
}

impl RunReport {
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }
}

/// A one-shot crash point of a scenario: crash `sid` when it receives a packet of this type
/// from its leader, before processing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrashOnPacket {
    pub sid: u64,
    pub packet_type: PacketType,
}

/// A simulated ensemble.
pub struct Simulation {
    pub config: SimConfig,
    pub seed: u64,
    pub(crate) now_ms: u64,
    pub(crate) rng: SimRng,
    pub(crate) queue: EventQueue,
    nodes: BTreeMap<u64, Node>,
    pub(crate) links: BTreeMap<LinkId, Link>,
    next_link: LinkId,
    pub(crate) election_last_delivery_ms: BTreeMap<(u64, u64), u64>,
    network: Network,
    disk_delay_ms: BTreeMap<u64, (u64, u64)>,
    epoch_writes_done_ms: BTreeMap<u64, u64>,
    clients: Vec<Client>,
    conn_owner: BTreeMap<ConnId, usize>,
    next_conn: ConnId,
    /// Clients issue new writes.
    pub workload: bool,
    /// The nemesis injects faults.
    pub nemesis: bool,
    timers: BTreeMap<u64, (u64, u64)>,
    next_timer_seq: u64,
    checker: Checker,
    trace: Trace,
    record_observations: bool,
    observations: Vec<Observation>,
    crash_points: Vec<CrashOnPacket>,
    events: u64,
    known_gaps: u64,
    effects: Vec<Effect>,
    new_observations: Vec<Observation>,
    /// Scripted sync-phase faults and wire records (`scripted_sync`).
    pub(crate) scripted: crate::scripted_sync::ScriptedSync,
    /// Scripted raw client connections (`scripted_client`).
    pub(crate) raw: crate::scripted_client::RawConns,
}

/// The quorum verifier of `voters` participants and `observers` observers.
fn verifier(config: &SimConfig) -> QuorumVerifier {
    let mut servers = BTreeMap::new();
    for sid in config.sids().filter(|s| config.is_initial_member(*s)) {
        let role = if config.is_voter(sid) {
            ""
        } else {
            ":observer"
        };
        let line = format!("10.0.0.{sid}:2888:3888{role}");
        if let Ok(s) = QuorumServer::parse(sid, &line, false) {
            servers.insert(sid, s);
        }
    }
    QuorumVerifier::majority(servers, 0)
}

impl Simulation {
    /// An ensemble for `seed`, every node started at time 0.
    pub fn new(config: SimConfig, seed: u64) -> Simulation {
        let verifier = verifier(&config);
        let mut nodes = BTreeMap::new();
        for sid in config.sids() {
            let zab = ZabConfig {
                my_id: sid,
                tick_time_ms: config.tick_time_ms,
                init_limit_ticks: config.init_limit_ticks,
                sync_limit_ticks: config.sync_limit_ticks,
                verifier: verifier.clone(),
                commit_log_count: config.commit_log_count,
                txn_log_sync_enabled: true,
                reconfig_enabled: config.reconfig,
                last_seen_verifier: None,
                observer: verifier
                    .servers()
                    .get(&sid)
                    .is_some_and(|s| !s.is_participant()),
            };
            let core = CoreConfig {
                server_id: sid as u8,
                tick_time_ms: config.tick_time_ms as u32,
                min_session_timeout_ms: 2 * config.tick_time_ms as u32,
                max_session_timeout_ms: 20 * config.tick_time_ms as u32,
                quorum_config: verifier.to_config_string(),
                reconfig_enabled: config.reconfig,
                // Sim clients may reconfig (`/zookeeper/config` is world:anyone:r).
                skip_acl: config.reconfig,
                ..CoreConfig::default()
            };
            let mut node = Node::new(sid, zab, core);
            node.tolerate_known_bugs = config.tolerate_known_bugs;
            nodes.insert(sid, node);
        }
        let clients_count = config.clients_per_node * nodes.len();
        let mut sim = Simulation {
            rng: SimRng::new(seed),
            trace: Trace::new(config.keep_trace),
            nemesis: config.faults,
            config,
            seed,
            now_ms: 0,
            queue: EventQueue::new(),
            nodes,
            links: BTreeMap::new(),
            next_link: 0,
            election_last_delivery_ms: BTreeMap::new(),
            network: Network::default(),
            disk_delay_ms: BTreeMap::new(),
            epoch_writes_done_ms: BTreeMap::new(),
            clients: (0..clients_count).map(Client::new).collect(),
            conn_owner: BTreeMap::new(),
            next_conn: 0,
            workload: true,
            timers: BTreeMap::new(),
            next_timer_seq: 0,
            checker: Checker::new(),
            record_observations: false,
            observations: Vec::new(),
            crash_points: Vec::new(),
            events: 0,
            known_gaps: 0,
            effects: Vec::new(),
            new_observations: Vec::new(),
            scripted: Default::default(),
            raw: Default::default(),
        };
        let sids: Vec<u64> = sim.nodes.keys().copied().collect();
        for sid in sids {
            // Spares (joiners) start later.
            if sim.config.is_initial_member(sid) {
                sim.with_node(sid, |n, ctx| n.restart(ctx));
            }
        }
        for c in 0..clients_count {
            let t = sim.rng.range(50, 50 + sim.config.client_think_ms);
            sim.queue.push(t, Event::Client { client: c });
        }
        if sim.nemesis {
            let t = sim.rng.range(500, 500 + 2 * sim.config.fault_interval_ms);
            sim.queue.push(t, Event::Nemesis);
        }
        sim.after_step("start".into());
        sim
    }

    // ------------------------------------------------------------------------------------------
    // Accessors.

    pub fn now_ms(&self) -> u64 {
        self.now_ms
    }

    pub fn node(&self, sid: u64) -> &Node {
        &self.nodes[&sid]
    }

    /// Mutable access for scenario set-up (for example the rollover counter).
    pub fn node_mut(&mut self, sid: u64) -> &mut Node {
        self.nodes.get_mut(&sid).expect("known sid")
    }

    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.nodes.values()
    }

    pub fn checker(&self) -> &Checker {
        &self.checker
    }

    /// Scenario set-up of the checker (for example expected storage failures).
    pub fn checker_mut(&mut self) -> &mut Checker {
        &mut self.checker
    }

    pub fn violations(&self) -> &[String] {
        self.checker.violations()
    }

    pub fn clients(&self) -> &[Client] {
        &self.clients
    }

    /// Keeps every observation for [`Simulation::observations`] (scenario tests).
    pub fn record_observations(&mut self, on: bool) {
        self.record_observations = on;
    }

    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    pub fn trace_hash(&self) -> u64 {
        self.trace.hash()
    }

    pub fn trace_lines(&self) -> Vec<String> {
        self.trace.lines()
    }

    /// The established leader, if exactly one node leads in broadcast.
    pub fn leader(&self) -> Option<u64> {
        let leaders: Vec<u64> = self
            .nodes
            .values()
            .filter(|n| n.up && n.is_serving_leader())
            .map(|n| n.sid)
            .collect();
        match leaders.as_slice() {
            [one] => Some(*one),
            _ => None,
        }
    }

    /// The epoch the node `sid` leads, if it leads.
    pub fn leader_epoch(&self, sid: u64) -> Option<i64> {
        match self.nodes[&sid].role() {
            Role::Leading(l) if l.is_serving() => Some(l.epoch()),
            _ => None,
        }
    }

    /// Writes acknowledged to clients so far.
    pub fn acked_writes(&self) -> u64 {
        self.clients.iter().map(|c| c.acked_writes).sum()
    }

    /// Adds a scripted client that talks only to `sid` and writes whatever the workload
    /// switch says; returns its index. [`Simulation::stop_client`] ends it.
    pub fn add_client(&mut self, sid: u64) -> usize {
        let id = self.clients.len();
        let mut c = Client::new(id);
        c.pinned = Some(sid);
        self.clients.push(c);
        self.queue
            .push(self.now_ms + 1, Event::Client { client: id });
        id
    }

    /// Turns the random clients' writes on or off.
    pub fn set_workload(&mut self, on: bool) {
        if on && !self.workload {
            for c in 0..self.clients.len() {
                let t = self.now_ms + self.rng.range(1, self.config.client_think_ms);
                self.queue.push(t, Event::Client { client: c });
            }
        }
        self.workload = on;
    }

    /// A scripted client stops writing (it keeps waiting for an outstanding reply).
    pub fn stop_client(&mut self, client: usize) {
        if let Some(c) = self.clients.get_mut(client) {
            c.pinned = None;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Scripted faults.

    pub fn crash(&mut self, sid: u64) {
        self.with_node(sid, |n, ctx| n.crash(ctx));
        self.after_step(format!("crash {sid}"));
    }

    pub fn restart(&mut self, sid: u64) {
        self.with_node(sid, |n, ctx| n.restart(ctx));
        self.after_step(format!("restart {sid}"));
    }

    /// Cuts every link between the groups, both ways.
    pub fn partition(&mut self, a: &[u64], b: &[u64]) {
        self.network.partition(a, b);
        self.after_step(format!("partition {a:?}|{b:?}"));
    }

    /// Blocks one direction.
    pub fn block(&mut self, from: u64, to: u64) {
        self.network.block(from, to);
        self.after_step(format!("block {from}>{to}"));
    }

    pub fn heal(&mut self) {
        self.network.heal();
        self.after_step("heal".into());
    }

    /// Resets a learner connection: both ends learn it is closed.
    pub fn reset_link(&mut self, link: LinkId) {
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        if l.state == LinkState::Closed {
            return;
        }
        l.state = LinkState::Closed;
        for dir in [Direction::ToLeader, Direction::ToLearner] {
            let t = l.delivery_time(dir, self.now_ms, 1);
            self.queue.push(t, Event::LinkClosed { link, dir });
        }
        self.after_step(format!("reset link {link}"));
    }

    /// Sets the latency range of `sid`'s disk (fsync, epoch files, snapshots).
    pub fn set_disk_delay(&mut self, sid: u64, range_ms: (u64, u64)) {
        self.disk_delay_ms.insert(sid, range_ms);
    }

    /// Crashes `sid` when it next receives a packet of this type from its leader.
    pub fn crash_on_packet(&mut self, sid: u64, packet_type: PacketType) {
        self.crash_points.push(CrashOnPacket { sid, packet_type });
    }

    /// Removes every fault: partitions, slow disks, crash points; restarts every node.
    pub fn heal_all(&mut self) {
        self.network.heal();
        self.disk_delay_ms.clear();
        self.crash_points.clear();
        let down: Vec<u64> = self
            .nodes
            .values()
            .filter(|n| !n.up)
            .map(|n| n.sid)
            .collect();
        for sid in down {
            self.with_node(sid, |n, ctx| n.restart(ctx));
        }
        self.after_step("heal all".into());
    }

    // ------------------------------------------------------------------------------------------
    // Running.

    /// Processes the next event. Returns false if there is none.
    pub fn step(&mut self) -> bool {
        let Some((t, event)) = self.queue.pop() else {
            return false;
        };
        self.now_ms = self.now_ms.max(t);
        self.events += 1;
        let line = self.handle(event);
        self.after_step(line);
        true
    }

    /// Runs until logical time `until_ms`.
    pub fn run_until_time(&mut self, until_ms: u64) {
        while self.queue.peek_time().is_some_and(|t| t <= until_ms) {
            self.step();
        }
        self.now_ms = self.now_ms.max(until_ms);
    }

    /// Runs for `ms` of logical time.
    pub fn run_for(&mut self, ms: u64) {
        let until = self.now_ms + ms;
        self.run_until_time(until);
    }

    /// Runs until `done` holds (checked after every event) or `max_ms` passed. Returns whether
    /// it holds.
    pub fn run_until(&mut self, max_ms: u64, mut done: impl FnMut(&Simulation) -> bool) -> bool {
        let until = self.now_ms + max_ms;
        loop {
            if done(self) {
                return true;
            }
            match self.queue.peek_time() {
                Some(t) if t <= until => {
                    self.step();
                }
                _ => {
                    self.now_ms = self.now_ms.max(until);
                    return done(self);
                }
            }
        }
    }

    /// Whether the ensemble is quiet and agrees: one established leader, every running member
    /// serving in its epoch, every tree at the same zxid and digest.
    pub fn converged(&self) -> bool {
        let Some(leader) = self.leader() else {
            return false;
        };
        let l = &self.nodes[&leader];
        let outstanding = match l.role() {
            Role::Leading(x) => x.outstanding_proposals(),
            _ => 1,
        };
        let epoch = self.leader_epoch(leader).unwrap_or_default();
        // With reconfig: no reconfig in progress, and every member uses the leader's
        // configuration.
        let (config, pending) = l.configs();
        let configs_agree = !self.config.reconfig
            || (pending.is_none()
                && self
                    .nodes
                    .values()
                    .filter(|n| !self.stuck_ahead(n, epoch))
                    .all(|n| n.configs().0.version() == config.version()));
        outstanding == 0
            && configs_agree
            && self
                .nodes
                .values()
                .filter(|n| !self.stuck_ahead(n, epoch))
                .all(|n| {
                    n.up && n.role_serving()
                        && n.last_zxid() == l.last_zxid()
                        && n.digest() == l.digest()
                })
    }

    /// Known liveness gap ([`KNOWN_GAP_ACCEPTED_EPOCH_AHEAD`]): a member whose acceptedEpoch
    /// is above the established epoch refuses its LEADERINFO and cannot join until another
    /// election. With `tolerate_known_bugs` such a member is left out of convergence.
    fn stuck_ahead(&self, n: &Node, epoch: i64) -> bool {
        self.config.tolerate_known_bugs && n.up && !n.role_serving() && n.epochs().0 > epoch
    }

    /// The members [`Simulation::converged`] leaves out (see `stuck_ahead`).
    pub fn stuck_members(&self) -> Vec<u64> {
        let Some(leader) = self.leader() else {
            return Vec::new();
        };
        let epoch = self.leader_epoch(leader).unwrap_or_default();
        self.nodes
            .values()
            .filter(|n| self.stuck_ahead(n, epoch))
            .map(|n| n.sid)
            .collect()
    }

    /// A random run: `steps` events with faults and writes, then every fault healed and the
    /// writes stopped, then convergence within the liveness budget, then the final checks.
    pub fn run_random(config: SimConfig, seed: u64) -> RunReport {
        let mut sim = Simulation::new(config, seed);
        let steps = sim.config.steps;
        for _ in 0..steps {
            if !sim.step() || !sim.violations().is_empty() {
                break;
            }
        }
        sim.finish()
    }

    /// Heals everything, stops the writes, waits for convergence and runs the final checks.
    pub fn finish(mut self) -> RunReport {
        if self.violations().is_empty() {
            self.nemesis = false;
            self.workload = false;
            self.heal_all();
            let budget = self.config.liveness_budget_ms;
            let converged = self.run_until(budget, |s| {
                s.converged() && s.clients.iter().all(Client::is_idle)
            });
            let stuck = self.stuck_members();
            if converged && !stuck.is_empty() {
                self.trace.record(
                    self.now_ms,
                    &format!("known gap, members {stuck:?}: {KNOWN_GAP_ACCEPTED_EPOCH_AHEAD}"),
                );
                self.known_gaps += 1;
            }
            if !converged {
                let state = self.describe_nodes();
                self.checker.violation(format!(
                    "I8 liveness: no convergence within {budget} ms after healing: {state}"
                ));
            } else {
                self.check_final();
            }
        }
        RunReport {
            seed: self.seed,
            violations: self.checker.violations().to_vec(),
            trace_hash: self.trace.hash(),
            events: self.events,
            end_ms: self.now_ms,
            committed_txns: self.checker.committed().len(),
            acked_writes: self.acked_writes(),
            epochs: self.checker.leaders().len(),
            reconfigs_sent: self.clients.iter().map(|c| c.reconfigs_sent).sum(),
            reconfigs_accepted: self
                .clients
                .iter()
                .map(|c| c.reconfig_replies.iter().filter(|e| **e == 0).count() as u64)
                .sum(),
            config_versions: self.checker.configs().len(),
            trace: self.trace.lines(),
            known_bugs_hit: {
                let mut k = self.checker.known_bugs_hit().to_vec();
                if self.known_gaps > 0 {
                    k.push(KNOWN_GAP_ACCEPTED_EPOCH_AHEAD.to_owned());
                }
                k
            },
        }
    }

    /// I10 at the end: every client key holds a state its client's acknowledged writes allow,
    /// on every member.
    pub fn check_final(&mut self) {
        let mut found = Vec::new();
        let stuck = self.stuck_members();
        for c in &self.clients {
            for k in &c.keys {
                for n in self.nodes.values().filter(|n| !stuck.contains(&n.sid)) {
                    let state = n
                        .tree()
                        .node(&k.path)
                        .map(|d| d.data.clone().unwrap_or_default());
                    let state = state.map(|d| Bytes::copy_from_slice(&d));
                    let ok = k.allowed.contains(&state)
                        || (state.as_ref().is_some_and(|d| d.is_empty())
                            && k.allowed.contains(&Some(Bytes::new())));
                    if !ok {
                        found.push(format!(
                            "I10: {} on server {} is {:?}, but client {} allows only {:?}",
                            k.path, n.sid, state, c.id, k.allowed
                        ));
                    }
                }
            }
        }
        for f in found {
            self.checker.violation(f);
        }
        // RC1 on `/zookeeper/config`: its version names the membership seen for it.
        if self.config.reconfig {
            for n in self.nodes.values().filter(|n| !stuck.contains(&n.sid)) {
                let text = n
                    .tree()
                    .node("/zookeeper/config")
                    .and_then(|d| d.data.clone())
                    .map(|d| String::from_utf8_lossy(&d).into_owned())
                    .unwrap_or_default();
                self.checker.config_node(n.sid, &text);
            }
        }
    }

    /// One line per node, for failure messages.
    pub fn describe_nodes(&self) -> String {
        self.nodes
            .values()
            .map(|n| {
                format!(
                    "[{} {} {} zxid {} digest {:x} epochs {:?}]",
                    n.sid,
                    if n.up { "up" } else { "down" },
                    n.role_name(),
                    Zxid(n.last_zxid()),
                    n.digest(),
                    n.epochs()
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    // ------------------------------------------------------------------------------------------
    // Events.

    fn handle(&mut self, event: Event) -> String {
        match event {
            Event::Election { from, to, bytes } => {
                if self.nodes[&to].up && self.network.reachable(from, to) {
                    self.with_node(to, |n, ctx| n.on_election(from, &bytes, ctx));
                }
                format!("vote {from}>{to}")
            }
            Event::LinkConnect { link, attempt } => self.on_link_connect(link, attempt),
            Event::LinkRetry { link, attempt } => self.on_link_retry(link, attempt),
            Event::LinkConnected { link } => {
                let Some(l) = self.links.get(&link) else {
                    return String::new();
                };
                let (learner, inc) = (l.learner, l.learner_incarnation);
                if l.state != LinkState::Open
                    || l.receiver_ended(Direction::ToLearner)
                    || !self.alive(learner, inc)
                {
                    return format!("link {link} connected late");
                }
                let mut wanted = false;
                self.with_node(learner, |n, ctx| wanted = n.on_leader_connected(link, ctx));
                if !wanted {
                    self.close_link_from(link, learner);
                }
                format!("link {link} connected {learner}")
            }
            Event::LinkData { link, dir, bytes } => self.on_link_data(link, dir, &bytes),
            Event::LinkClosed { link, dir } => {
                let Some(l) = self.links.get_mut(&link) else {
                    return String::new();
                };
                if l.receiver_ended(dir) {
                    return String::new();
                }
                l.end_receiver(dir);
                l.state = LinkState::Closed;
                let (sid, inc) = l.end(dir);
                if self.alive(sid, inc) {
                    self.with_node(sid, |n, ctx| n.on_link_closed(link, ctx));
                }
                format!("link {link} closed at {sid}")
            }
            Event::Fsync {
                sid,
                incarnation,
                log_generation,
            } => {
                if self.alive(sid, incarnation) {
                    self.with_node(sid, |n, ctx| n.on_fsync(log_generation, ctx));
                }
                format!("fsync {sid}")
            }
            Event::EpochWritten {
                sid,
                incarnation,
                kind,
                epoch,
                role_generation,
            } => {
                if self.alive(sid, incarnation) {
                    let crash = self.take_epoch_crash_point(sid, kind);
                    self.with_node(sid, |n, ctx| {
                        n.on_epoch_written(kind, epoch, role_generation, ctx);
                        if crash {
                            // Crash point: what the node sends in reply is lost with it.
                            ctx.effects
                                .retain(|e| !matches!(e, Effect::LinkSend { .. }));
                            n.crash(ctx);
                        }
                    });
                }
                format!("epoch {sid} {kind:?}={epoch}")
            }
            Event::SnapshotWritten {
                sid,
                incarnation,
                role_generation,
                zxid,
                tree,
                sessions,
            } => {
                if self.alive(sid, incarnation) {
                    self.with_node(sid, |n, ctx| {
                        n.on_snapshot_written(role_generation, zxid, &tree, sessions, ctx)
                    });
                }
                format!("snapshot {sid} {}", Zxid(zxid))
            }
            Event::Timer { sid, seq } => {
                if self.timers.get(&sid).map(|(_, s)| *s) == Some(seq) {
                    self.timers.remove(&sid);
                    if self.nodes[&sid].up {
                        self.with_node(sid, |n, ctx| n.on_timer(ctx));
                    }
                }
                String::new()
            }
            Event::Client { client } => self.on_client(client),
            Event::Nemesis => self.on_nemesis(),
            Event::Wake => String::new(),
        }
    }

    fn alive(&self, sid: u64, incarnation: u64) -> bool {
        self.nodes
            .get(&sid)
            .is_some_and(|n| n.up && n.incarnation == incarnation)
    }

    fn on_link_connect(&mut self, link: LinkId, attempt: u32) -> String {
        let Some(l) = self.links.get(&link) else {
            return String::new();
        };
        if l.state != LinkState::Connecting {
            return String::new();
        }
        let (learner, leader) = (l.learner, l.leader);
        if !self.nodes[&leader].up {
            // Connection refused.
            self.queue.push(
                self.now_ms + CONNECT_RETRY_MS,
                Event::LinkRetry { link, attempt },
            );
            return format!("link {link} refused by {leader}");
        }
        if matches!(self.nodes[&leader].role(), Role::Looking) {
            // The driver's `LearnerGate::Hold`: the connection waits in the listen backlog
            // until the member's election ends (while the learner still wants it).
            if self.nodes[&learner].up && self.nodes[&learner].wants_leader_link(link) {
                self.queue.push(
                    self.now_ms + HOLD_CHECK_MS,
                    Event::LinkConnect { link, attempt },
                );
                return String::new();
            }
            return format!("link {link} no longer wanted while held by {leader}");
        }
        let leader_inc = self.nodes[&leader].incarnation;
        if let Some(l) = self.links.get_mut(&link) {
            l.leader_incarnation = leader_inc;
            l.state = LinkState::Open;
        }
        let mut kept = false;
        self.with_node(leader, |n, ctx| kept = n.on_learner_accepted(link, ctx));
        if kept {
            if self.network.reachable(leader, learner) {
                let d = self.net_delay();
                if let Some(l) = self.links.get_mut(&link) {
                    let t = l.delivery_time(Direction::ToLearner, self.now_ms, d);
                    self.queue.push(t, Event::LinkConnected { link });
                }
            } else if let Some(l) = self.links.get_mut(&link) {
                l.break_direction(Direction::ToLearner);
            }
            format!("link {link} accepted by {leader}")
        } else {
            self.close_link_from(link, leader);
            format!("link {link} accepted and dropped by {leader} (not leading)")
        }
    }

    fn on_link_retry(&mut self, link: LinkId, attempt: u32) -> String {
        let Some(l) = self.links.get(&link) else {
            return String::new();
        };
        if l.state != LinkState::Connecting {
            return String::new();
        }
        let (learner, leader, inc) = (l.learner, l.leader, l.learner_incarnation);
        if !self.alive(learner, inc) || self.nodes[&learner].leader_link() != Some(link) {
            if let Some(l) = self.links.get_mut(&link) {
                l.state = LinkState::Closed;
            }
            return String::new();
        }
        if attempt >= CONNECT_ATTEMPTS {
            if let Some(l) = self.links.get_mut(&link) {
                l.state = LinkState::Closed;
                l.end_receiver(Direction::ToLearner);
            }
            self.with_node(learner, |n, ctx| n.on_link_closed(link, ctx));
            return format!("link {link} connect to {leader} failed");
        }
        self.send_connect(link, attempt + 1);
        format!("link {link} retry {}", attempt + 1)
    }

    fn send_connect(&mut self, link: LinkId, attempt: u32) {
        let Some(l) = self.links.get(&link) else {
            return;
        };
        let (learner, leader) = (l.learner, l.leader);
        if self.network.reachable(learner, leader) && self.network.reachable(leader, learner) {
            let d = self.net_delay();
            self.queue
                .push(self.now_ms + d, Event::LinkConnect { link, attempt });
        } else {
            // The SYN (or its answer) is lost: the connect times out.
            self.queue.push(
                self.now_ms + CONNECT_RETRY_MS,
                Event::LinkRetry { link, attempt },
            );
        }
    }

    fn on_link_data(&mut self, link: LinkId, dir: Direction, bytes: &Bytes) -> String {
        let Some(l) = self.links.get(&link) else {
            return String::new();
        };
        let (sid, inc) = l.end(dir);
        if l.receiver_ended(dir) || !self.alive(sid, inc) {
            return String::new();
        }
        let Some(l) = self.links.get_mut(&link) else {
            return String::new();
        };
        let received = match l.receive(dir, bytes) {
            Ok(r) => r,
            Err(e) => {
                self.close_link_from(link, sid);
                return format!("link {link} malformed at {sid}: {e}");
            }
        };
        let mut line = format!("link {link} {sid}<");
        for item in received {
            let ended = self.links.get(&link).is_none_or(|l| l.receiver_ended(dir));
            if ended || !self.alive(sid, inc) {
                break;
            }
            match item {
                Received::Packet(p) => {
                    line.push_str(&format!(" {}:{}", p.r#type, Zxid(p.zxid)));
                    let ty = PacketType::from_i32(p.r#type);
                    if dir == Direction::ToLearner {
                        if let Some(i) = self
                            .crash_points
                            .iter()
                            .position(|c| c.sid == sid && Some(c.packet_type) == ty)
                        {
                            self.crash_points.remove(i);
                            line.push_str(" CRASH");
                            self.with_node(sid, |n, ctx| n.crash(ctx));
                            break;
                        }
                    }
                    let from = self.links.get(&link).map_or(0, |l| l.sender(dir));
                    let copy = p.clone();
                    self.with_node(sid, |n, ctx| n.on_packet(link, p, ctx));
                    if self.scripted_link_received(link, sid, from, &copy) {
                        break;
                    }
                }
                Received::Snapshot {
                    zxid,
                    tree,
                    sessions,
                } => {
                    line.push_str(&format!(" snapshot@{}", Zxid(zxid)));
                    self.with_node(sid, |n, ctx| {
                        n.on_snapshot(link, Zxid(zxid), *tree, sessions, ctx)
                    });
                    self.scripted_snapshot_read(sid);
                }
            }
        }
        line
    }

    /// `sid` closes the link: the other end learns it unless the way is blocked.
    pub(crate) fn close_link_from(&mut self, link: LinkId, sid: u64) {
        let now = self.now_ms;
        let d = self.net_delay();
        let Some(l) = self.links.get_mut(&link) else {
            return;
        };
        let dir = l.direction_from(sid);
        // The closing end reads nothing more.
        let own = match dir {
            Direction::ToLeader => Direction::ToLearner,
            Direction::ToLearner => Direction::ToLeader,
        };
        l.end_receiver(own);
        if l.state == LinkState::Closed && l.receiver_ended(dir) {
            return;
        }
        l.state = LinkState::Closed;
        let other = l.receiver(dir);
        if self.network.reachable(sid, other) && !l.is_broken(dir) {
            let t = l.delivery_time(dir, now, d);
            self.queue.push(t, Event::LinkClosed { link, dir });
        }
    }

    fn on_client(&mut self, client: usize) -> String {
        let sids: Vec<u64> = self.nodes.keys().copied().collect();
        let mut next_conn = self.next_conn;
        let issue = self.workload;
        let reconfig = if self.config.reconfig
            && issue
            && self.clients[client].ready()
            && self.clients[client].pinned.is_none()
            && self.rng.chance(self.config.reconfig_per_mille)
        {
            self.random_reconfig()
        } else {
            None
        };
        let action = match reconfig {
            Some(r) => self.clients[client].reconfig(self.now_ms, r),
            None => {
                self.clients[client].act(self.now_ms, &mut self.rng, &sids, &mut next_conn, issue)
            }
        };
        self.next_conn = next_conn;
        let line = match action {
            ClientAction::Nothing => String::new(),
            ClientAction::Connect { sid, conn, request } => {
                self.conn_owner.insert(conn, client);
                if self.nodes[&sid].up {
                    self.with_node(sid, |n, ctx| n.client_connect(conn, request, ctx));
                } else {
                    self.clients[client].on_closed(conn);
                }
                format!("client {client} connects to {sid}")
            }
            ClientAction::Request {
                sid,
                conn,
                header,
                request,
            } => {
                let line = format!(
                    "client {client} xid {} op {} at {sid}",
                    header.xid, header.r#type
                );
                if self.nodes[&sid].up {
                    self.with_node(sid, |n, ctx| n.client_request(conn, header, request, ctx));
                }
                line
            }
            ClientAction::Close { sid, conn } => {
                self.conn_owner.remove(&conn);
                if self.nodes[&sid].up {
                    self.with_node(sid, |n, ctx| n.client_closed(conn, ctx));
                }
                format!("client {client} gives up on {sid}")
            }
        };
        let t = self.now_ms + self.rng.range(1, 2 * self.config.client_think_ms);
        let c = &self.clients[client];
        if self.workload || !c.is_idle() || c.pinned.is_some() {
            self.queue.push(t, Event::Client { client });
        }
        line
    }

    /// A random incremental reconfig, from the membership the leader (or else any running
    /// member) last saw: add a member that is not in it (as a participant), remove a voter
    /// or an observer, or change a member's role; sometimes with `-v`. The voters never drop
    /// below `min(initial voters, 3)`, as far as this view knows.
    fn random_reconfig(&mut self) -> Option<zkrs_jute::ReconfigRequest> {
        let node = self
            .leader()
            .map(|l| &self.nodes[&l])
            .or_else(|| self.nodes.values().find(|n| n.up))?;
        let (cur, pending) = node.configs();
        let base = pending.unwrap_or(cur).clone();
        let voters: Vec<u64> = base.voting_members().map(|s| s.id).collect();
        let observers: Vec<u64> = base.observing_members().map(|s| s.id).collect();
        let outsiders: Vec<u64> = self
            .nodes
            .keys()
            .copied()
            .filter(|s| !base.servers().contains_key(s))
            .collect();
        let min_voters = self.config.voters.clamp(2, 3) as usize;
        let line =
            |sid: u64, role: &str| format!("server.{sid}=10.0.0.{sid}:2888:3888:{role};2181");
        let mut choices: Vec<(Option<String>, Option<String>)> = Vec::new();
        if !outsiders.is_empty() {
            let sid = outsiders[self.rng.index(outsiders.len())];
            choices.push((Some(line(sid, "participant")), None));
        }
        if voters.len() > min_voters {
            let sid = voters[self.rng.index(voters.len())];
            choices.push((None, Some(sid.to_string())));
            choices.push((Some(line(sid, "observer")), None));
        }
        if !observers.is_empty() {
            let sid = observers[self.rng.index(observers.len())];
            choices.push((Some(line(sid, "participant")), None));
            choices.push((None, Some(sid.to_string())));
        }
        if choices.is_empty() {
            return None;
        }
        let (joining, leaving) = choices.swap_remove(self.rng.index(choices.len()));
        let cur_config_id = if self.rng.chance(250) {
            base.version()
        } else {
            -1
        };
        Some(zkrs_jute::ReconfigRequest {
            joining_servers: joining,
            leaving_servers: leaving,
            new_members: None,
            cur_config_id,
        })
    }

    fn on_nemesis(&mut self) -> String {
        if !self.nemesis {
            return String::new();
        }
        let sids: Vec<u64> = self.nodes.keys().copied().collect();
        let up: Vec<u64> = self
            .nodes
            .values()
            .filter(|n| n.up)
            .map(|n| n.sid)
            .collect();
        let down: Vec<u64> = self
            .nodes
            .values()
            .filter(|n| !n.up)
            .map(|n| n.sid)
            .collect();
        let pick = self.rng.range(0, 99);
        let line = match pick {
            0..=14 if !up.is_empty() => {
                let sid = up[self.rng.index(up.len())];
                self.with_node(sid, |n, ctx| n.crash(ctx));
                format!("nemesis: crash {sid}")
            }
            0..=34 if !down.is_empty() => {
                let sid = down[self.rng.index(down.len())];
                self.with_node(sid, |n, ctx| n.restart(ctx));
                format!("nemesis: restart {sid}")
            }
            35..=44 => {
                let mut a = Vec::new();
                let mut b = Vec::new();
                for &s in &sids {
                    if self.rng.chance(500) {
                        a.push(s);
                    } else {
                        b.push(s);
                    }
                }
                self.network.partition(&a, &b);
                format!("nemesis: partition {a:?}|{b:?}")
            }
            45..=54 => match self.leader() {
                Some(l) => {
                    self.network.isolate(l, &sids);
                    format!("nemesis: isolate leader {l}")
                }
                None => String::new(),
            },
            55..=62 => {
                let from = sids[self.rng.index(sids.len())];
                let to = sids[self.rng.index(sids.len())];
                self.network.block(from, to);
                format!("nemesis: block {from}>{to}")
            }
            63..=82 => {
                self.network.heal();
                "nemesis: heal".into()
            }
            83..=94 => {
                let open: Vec<LinkId> = self
                    .links
                    .values()
                    .filter(|l| l.state == LinkState::Open)
                    .map(|l| l.id)
                    .collect();
                if open.is_empty() {
                    String::new()
                } else {
                    let link = open[self.rng.index(open.len())];
                    if let Some(l) = self.links.get_mut(&link) {
                        l.state = LinkState::Closed;
                        for dir in [Direction::ToLeader, Direction::ToLearner] {
                            let t = l.delivery_time(dir, self.now_ms, 1);
                            self.queue.push(t, Event::LinkClosed { link, dir });
                        }
                    }
                    format!("nemesis: reset link {link}")
                }
            }
            _ => {
                let sid = sids[self.rng.index(sids.len())];
                if self.disk_delay_ms.remove(&sid).is_none() {
                    let slow = self.rng.range(100, 3_000);
                    self.disk_delay_ms.insert(sid, (slow / 2, slow));
                    format!("nemesis: slow disk {sid} {slow} ms")
                } else {
                    format!("nemesis: disk {sid} normal")
                }
            }
        };
        let t = self.now_ms + self.rng.range(1, 2 * self.config.fault_interval_ms);
        self.queue.push(t, Event::Nemesis);
        line
    }

    // ------------------------------------------------------------------------------------------
    // Effects.

    fn net_delay(&mut self) -> u64 {
        let (lo, hi) = self.config.net_delay_ms;
        self.rng.range(lo, hi)
    }

    fn disk_delay(&mut self, sid: u64) -> u64 {
        let (lo, hi) = self
            .disk_delay_ms
            .get(&sid)
            .copied()
            .unwrap_or(self.config.disk_delay_ms);
        self.rng.range(lo, hi)
    }

    /// Runs `f` on node `sid` and carries out what it asked for.
    pub(crate) fn with_node(&mut self, sid: u64, f: impl FnOnce(&mut Node, &mut NodeCtx<'_>)) {
        let mut effects = std::mem::take(&mut self.effects);
        let mut observations = std::mem::take(&mut self.new_observations);
        if let Some(node) = self.nodes.get_mut(&sid) {
            let mut ctx = NodeCtx {
                now_ms: self.now_ms,
                effects: &mut effects,
                observations: &mut observations,
            };
            f(node, &mut ctx);
        }
        for e in effects.drain(..) {
            self.carry_out(sid, e);
        }
        for o in observations.drain(..) {
            self.checker.observe(&o);
            let line = describe_observation(&o);
            self.trace.record(self.now_ms, &line);
            if self.record_observations {
                self.observations.push(o);
            }
        }
        self.effects = effects;
        self.new_observations = observations;
    }

    fn carry_out(&mut self, sid: u64, effect: Effect) {
        let now = self.now_ms;
        let incarnation = self.nodes[&sid].incarnation;
        match effect {
            Effect::SendElection { to, bytes } => {
                if !self.network.reachable(sid, to) || !self.nodes.contains_key(&to) {
                    return;
                }
                if self.scripted_election(sid, to, &bytes) {
                    return;
                }
                let d = self.net_delay();
                let last = self.election_last_delivery_ms.entry((sid, to)).or_default();
                let t = (now + d).max(*last);
                *last = t;
                self.queue.push(
                    t,
                    Event::Election {
                        from: sid,
                        to,
                        bytes,
                    },
                );
            }
            Effect::Connect { leader } => {
                self.next_link += 1;
                let link = self.next_link;
                self.links
                    .insert(link, Link::new(link, sid, leader, incarnation));
                if let Some(n) = self.nodes.get_mut(&sid) {
                    n.on_connect_started(link);
                }
                if self.nodes.contains_key(&leader) {
                    self.send_connect(link, 1);
                } else {
                    self.queue.push(
                        now + CONNECT_RETRY_MS,
                        Event::LinkRetry {
                            link,
                            attempt: CONNECT_ATTEMPTS,
                        },
                    );
                }
            }
            Effect::LinkSend { link, bytes } => {
                let d = self.net_delay();
                let Some(l) = self.links.get_mut(&link) else {
                    return;
                };
                if l.state != LinkState::Open {
                    return;
                }
                let dir = l.direction_from(sid);
                if l.is_broken(dir) {
                    return;
                }
                if !self.network.reachable(sid, l.receiver(dir)) {
                    l.break_direction(dir);
                    return;
                }
                let to = l.receiver(dir);
                let Some(extra) = self.scripted_link_send(sid, link, to, &bytes) else {
                    return;
                };
                let Some(l) = self.links.get_mut(&link) else {
                    return;
                };
                let t = l.delivery_time(dir, now, d + extra);
                self.queue.push(t, Event::LinkData { link, dir, bytes });
            }
            Effect::LinkClose { link } => self.close_link_from(link, sid),
            Effect::Fsync { log_generation } => {
                let t = now + self.disk_delay(sid);
                self.queue.push(
                    t,
                    Event::Fsync {
                        sid,
                        incarnation,
                        log_generation,
                    },
                );
            }
            Effect::WriteEpoch {
                kind,
                epoch,
                role_generation,
            } => {
                // Epoch writes and learner snapshots of one node run on one thread, in the
                // order they were asked (the driver's quorum storage worker).
                let mut t = now + self.disk_delay(sid);
                let last = self.epoch_writes_done_ms.entry(sid).or_default();
                t = t.max(*last);
                *last = t;
                self.queue.push(
                    t,
                    Event::EpochWritten {
                        sid,
                        incarnation,
                        kind,
                        epoch,
                        role_generation,
                    },
                );
            }
            Effect::WriteSnapshot {
                role_generation,
                zxid,
                tree,
                sessions,
            } => {
                let mut t = now + self.disk_delay(sid);
                let last = self.epoch_writes_done_ms.entry(sid).or_default();
                t = t.max(*last);
                *last = t;
                self.queue.push(
                    t,
                    Event::SnapshotWritten {
                        sid,
                        incarnation,
                        role_generation,
                        zxid,
                        tree,
                        sessions,
                    },
                );
            }
            Effect::ClientFrame { conn, frame } => {
                if self.raw.on_frame(conn, &frame, now) {
                    return;
                }
                if let Some(&c) = self.conn_owner.get(&conn) {
                    if let Err(e) = self.clients[c].on_frame(conn, &frame) {
                        self.checker.violation(e);
                    }
                    if self.clients[c].conn().map(|(x, _)| x) != Some(conn) {
                        self.conn_owner.remove(&conn);
                    }
                }
            }
            Effect::ClientClose { conn } => {
                self.raw.on_closed(conn);
                if let Some(c) = self.conn_owner.remove(&conn) {
                    self.clients[c].on_closed(conn);
                }
            }
        }
    }

    /// Timers, invariant checks and the trace after each step.
    pub(crate) fn after_step(&mut self, line: String) {
        let now = self.now_ms;
        let sids: Vec<u64> = self.nodes.keys().copied().collect();
        for sid in sids {
            let deadline = self.nodes[&sid].next_deadline_ms();
            match deadline {
                None => {
                    self.timers.remove(&sid);
                }
                Some(d) => {
                    let at = d.max(now + 1);
                    let current = self.timers.get(&sid).map(|(t, _)| *t);
                    if current.is_none_or(|t| at < t) {
                        self.next_timer_seq += 1;
                        let seq = self.next_timer_seq;
                        self.timers.insert(sid, (at, seq));
                        self.queue.push(at, Event::Timer { sid, seq });
                    }
                }
            }
        }
        self.checker.check_nodes(self.nodes.values());
        if !line.is_empty() {
            self.trace.record(now, &line);
        }
    }
}

/// A trace line for an observation (without the bulky replay lists).
fn describe_observation(o: &Observation) -> String {
    match o {
        Observation::Applied { sid, zxid, .. } => format!("{sid} applied {}", Zxid(*zxid)),
        Observation::Loaded {
            sid,
            snap_zxid,
            replayed,
            zxid,
            digest,
        } => format!(
            "{sid} loaded snapshot {} + {} txns = {} digest {digest:x}",
            Zxid(*snap_zxid),
            replayed.len(),
            Zxid(*zxid)
        ),
        Observation::Truncating { sid, zxid, cut, .. } => format!(
            "{sid} truncates to {} cutting {:?}",
            Zxid(*zxid),
            cut.iter().map(|(z, _)| Zxid(*z)).collect::<Vec<_>>()
        ),
        other => format!("{other:?}"),
    }
}
