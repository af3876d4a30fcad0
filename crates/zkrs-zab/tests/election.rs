//! FastLeaderElection end to end: several machines wired through a tiny deterministic network
//! (seeded delays, reordering, duplicates and losses), plus hand-driven single machines for
//! the timing rules (finalizeWait, notification timeout) and Java's reply semantics.

use std::collections::{BTreeMap, BTreeSet};

use zkrs_config::QuorumVerifier;
use zkrs_zab::election::{
    total_order_predicate, ElectionConfig, ElectionOutput, FastLeaderElection, Notification,
    ServerState, Vote,
};
use zkrs_zab::Zxid;

// ---------------------------------------------------------------------------------------------
// Helpers

fn qv(text: &str) -> QuorumVerifier {
    QuorumVerifier::parse(text, "test", false).unwrap_or_else(|e| panic!("{e}"))
}

/// `server.N` lines for participants `voters` and observers `observers`.
fn config(voters: &[u64], observers: &[u64], extra: &str) -> QuorumVerifier {
    let mut text = String::new();
    for &id in voters {
        text += &format!("server.{id}=127.0.0.1:{}:{}\n", 2000 + id, 3000 + id);
    }
    for &id in observers {
        text += &format!(
            "server.{id}=127.0.0.1:{}:{}:observer\n",
            2000 + id,
            3000 + id
        );
    }
    text += extra;
    qv(&text)
}

/// SplitMix64: a small seeded generator, enough for delivery schedules.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn chance(&mut self, per_mille: u64) -> bool {
        self.below(1000) < per_mille
    }
}

#[derive(Debug, Clone)]
struct InFlight {
    deliver_at_ms: u64,
    from: u64,
    to: u64,
    bytes: Vec<u8>,
}

/// How the network misbehaves.
#[derive(Debug, Clone, Copy)]
struct Faults {
    max_delay_ms: u64,
    dup_per_mille: u64,
    /// Every message sent before this time is lost.
    lose_all_until_ms: u64,
    /// Loss probability after that.
    drop_per_mille: u64,
}

const CALM: Faults = Faults {
    max_delay_ms: 5,
    dup_per_mille: 0,
    lose_all_until_ms: 0,
    drop_per_mille: 0,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decision {
    state: ServerState,
    vote: Vote,
    at_ms: u64,
}

struct Net {
    nodes: BTreeMap<u64, FastLeaderElection>,
    down: BTreeSet<u64>,
    in_flight: Vec<InFlight>,
    now_ms: u64,
    rng: Rng,
    faults: Faults,
    decisions: BTreeMap<u64, Vec<Decision>>,
    /// Every notification sent, by sender: (time, recipient, notification).
    sent: BTreeMap<u64, Vec<(u64, u64, Notification)>>,
    looking_reports: Vec<(u64, u64)>,
    steps: u64,
}

impl Net {
    fn new(qv: &QuorumVerifier, seed: u64, faults: Faults) -> Net {
        let nodes = qv
            .servers()
            .keys()
            .map(|&id| {
                (
                    id,
                    FastLeaderElection::new(ElectionConfig::new(id, qv.clone())),
                )
            })
            .collect();
        Net {
            nodes,
            down: BTreeSet::new(),
            in_flight: Vec::new(),
            now_ms: 0,
            rng: Rng(seed),
            faults,
            decisions: BTreeMap::new(),
            sent: BTreeMap::new(),
            looking_reports: Vec::new(),
            steps: 0,
        }
    }

    fn node(&mut self, id: u64) -> &mut FastLeaderElection {
        self.nodes
            .get_mut(&id)
            .unwrap_or_else(|| panic!("no node {id}"))
    }

    fn start(&mut self, id: u64, zxid: Zxid, epoch: i64) {
        let now = self.now_ms;
        self.node(id).start_round(zxid, epoch, now);
        self.drain(id);
    }

    /// Moves a node's outputs into the network.
    fn drain(&mut self, id: u64) {
        while let Some(out) = self.node(id).poll_output() {
            match out {
                ElectionOutput::Send { to, notification } => {
                    assert_ne!(to, id, "a machine never sends to itself");
                    self.sent
                        .entry(id)
                        .or_default()
                        .push((self.now_ms, to, notification.clone()));
                    let bytes = notification.encode();
                    let lost = self.now_ms < self.faults.lose_all_until_ms
                        || self.rng.chance(self.faults.drop_per_mille);
                    if lost {
                        continue;
                    }
                    let copies = if self.rng.chance(self.faults.dup_per_mille) {
                        2
                    } else {
                        1
                    };
                    for _ in 0..copies {
                        let delay = self.rng.below(self.faults.max_delay_ms + 1);
                        self.in_flight.push(InFlight {
                            deliver_at_ms: self.now_ms + delay,
                            from: id,
                            to,
                            bytes: bytes.clone(),
                        });
                    }
                }
                ElectionOutput::Decided { state, vote } => {
                    let at_ms = self.now_ms;
                    self.decisions
                        .entry(id)
                        .or_default()
                        .push(Decision { state, vote, at_ms });
                }
                ElectionOutput::LookingPeerReported { sid } => {
                    self.looking_reports.push((id, sid));
                }
                ElectionOutput::ConfigAdopted { .. } => {}
            }
        }
    }

    /// One event: the earliest due message (random among ties) or timer. `false` when idle.
    fn step(&mut self) -> bool {
        self.steps += 1;
        let next_msg = self.in_flight.iter().map(|m| m.deliver_at_ms).min();
        let next_timer = self
            .nodes
            .iter()
            .filter(|(id, _)| !self.down.contains(id))
            .filter_map(|(_, n)| n.poll_timeout())
            .min();
        let Some(t) = [next_msg, next_timer].into_iter().flatten().min() else {
            return false;
        };
        self.now_ms = self.now_ms.max(t);
        if next_msg == Some(t) {
            let due: Vec<usize> = (0..self.in_flight.len())
                .filter(|&i| self.in_flight[i].deliver_at_ms == t)
                .collect();
            let pick = due[self.rng.below(due.len() as u64) as usize];
            let m = self.in_flight.swap_remove(pick);
            if !self.down.contains(&m.to) {
                let n = Notification::decode(&m.bytes).expect("own encoding decodes");
                let now = self.now_ms;
                self.node(m.to).handle_notification(m.from, n, now);
                self.drain(m.to);
            }
        } else {
            let ids: Vec<u64> = self.nodes.keys().copied().collect();
            for id in ids {
                if self.down.contains(&id) {
                    continue;
                }
                if self.nodes[&id].poll_timeout().is_some_and(|d| d <= t) {
                    self.node(id).handle_tick(t);
                    self.drain(id);
                }
            }
        }
        true
    }

    /// Runs until idle or `until_ms`, at most `max_steps` events.
    fn run(&mut self, until_ms: u64, max_steps: u64) {
        for _ in 0..max_steps {
            let next_msg = self.in_flight.iter().map(|m| m.deliver_at_ms).min();
            let next_timer = self
                .nodes
                .iter()
                .filter(|(id, _)| !self.down.contains(id))
                .filter_map(|(_, n)| n.poll_timeout())
                .min();
            match [next_msg, next_timer].into_iter().flatten().min() {
                Some(t) if t <= until_ms => {
                    self.step();
                }
                _ => return,
            }
        }
        panic!("not idle after {max_steps} steps (t={} ms)", self.now_ms);
    }

    fn only_decision(&self, id: u64) -> Decision {
        let d = self
            .decisions
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        assert_eq!(d.len(), 1, "node {id} decisions: {d:?}");
        d[0]
    }
}

/// The vote each participant starts with: (sid, zxid, current epoch).
type Start = (u64, Zxid, i64);

/// The participant maximizing (peerEpoch, zxid, sid) among those of non-zero weight.
fn expected_leader(qv: &QuorumVerifier, starts: &[Start]) -> u64 {
    let best = starts
        .iter()
        .filter(|(sid, _, _)| qv.weight(*sid) > 0)
        .max_by_key(|(sid, zxid, epoch)| (*epoch, zxid.raw(), *sid))
        .expect("a candidate");
    best.0
}

fn assert_agreed(net: &Net, ids: &[u64], leader: u64) {
    for &id in ids {
        let d = net.only_decision(id);
        let want = if id == leader {
            ServerState::Leading
        } else {
            ServerState::Following
        };
        assert_eq!(
            (d.state, d.vote.leader),
            (want, leader as i64),
            "node {id}: {d:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Vote ordering

#[test]
fn vote_total_order_is_epoch_zxid_sid() {
    let v = |sid: i64, zxid: Zxid, epoch: i64| Vote::new(sid, zxid, 1, epoch);
    let votes = [
        v(3, Zxid::new(1, 5), 1),
        v(1, Zxid::new(2, 1), 2),
        v(2, Zxid::new(2, 1), 2),
        v(1, Zxid::new(2, 2), 2),
        v(5, Zxid::new(1, 9), 1),
    ];
    // The predicate is a strict total order: exactly one direction holds for distinct votes,
    // and it is transitive (no vote circle, ZOOKEEPER-1419).
    for a in &votes {
        assert!(!total_order_predicate(a, a, 1));
        for b in &votes {
            if a != b {
                assert!(total_order_predicate(a, b, 1) ^ total_order_predicate(b, a, 1));
            }
            for c in &votes {
                if total_order_predicate(a, b, 1) && total_order_predicate(b, c, 1) {
                    assert!(total_order_predicate(a, c, 1));
                }
            }
        }
    }
    let best = votes
        .iter()
        .find(|a| {
            votes
                .iter()
                .all(|b| a == &b || total_order_predicate(a, b, 1))
        })
        .expect("a maximum");
    assert_eq!(best, &v(1, Zxid::new(2, 2), 2));
}

// ---------------------------------------------------------------------------------------------
// Whole elections

/// Starts every participant with `starts` (and observers with zxid 0, epoch 0) at t=0, after
/// `extra_rounds[sid]` earlier rounds whose messages were never delivered.
fn elect(
    qv: &QuorumVerifier,
    starts: &[Start],
    seed: u64,
    faults: Faults,
    extra_rounds: &BTreeMap<u64, u64>,
) -> Net {
    let mut net = Net::new(qv, seed, faults);
    let mut all: Vec<Start> = starts.to_vec();
    for s in qv.observing_members() {
        all.push((s.id, Zxid(0), 0));
    }
    for &(sid, zxid, epoch) in &all {
        for _ in 0..extra_rounds.get(&sid).copied().unwrap_or(0) {
            net.node(sid).start_round(zxid, epoch, 0);
            while net.node(sid).poll_output().is_some() {}
        }
    }
    for &(sid, zxid, epoch) in &all {
        net.start(sid, zxid, epoch);
    }
    net.run(u64::MAX, 200_000);
    net
}

#[test]
fn catalogue_2_fle_ordering_three_servers() {
    // (cE, zxid): (1, <1,5>), (2, <2,1>), (2, <2,1>): server 3 wins on the sid tie-break.
    let q = config(&[1, 2, 3], &[], "");
    let starts = [
        (1, Zxid::new(1, 5), 1),
        (2, Zxid::new(2, 1), 2),
        (3, Zxid::new(2, 1), 2),
    ];
    for seed in 0..200 {
        let faults = Faults {
            max_delay_ms: 90,
            dup_per_mille: 200,
            ..CALM
        };
        let net = elect(&q, &starts, seed, faults, &BTreeMap::new());
        assert_agreed(&net, &[1, 2, 3], 3);
        // Decided within finalizeWait plus well under a second.
        for id in 1..=3 {
            assert!(net.only_decision(id).at_ms < 1_200, "seed {seed}");
        }
        let leader_vote = net.only_decision(3).vote;
        assert_eq!(
            (leader_vote.zxid, leader_vote.peer_epoch),
            (Zxid::new(2, 1), 2)
        );
    }
}

fn random_starts(rng: &mut Rng) -> Vec<Start> {
    (1..=5)
        .map(|sid| {
            let epoch = 1 + rng.below(3) as i64;
            let zxid = Zxid::new(epoch, rng.below(4) as u32);
            (sid, zxid, epoch)
        })
        .collect()
}

/// Whether some server decided LEADING and a quorum (itself included) decided for it.
fn some_leader_has_a_quorum(net: &Net, q: &QuorumVerifier, ids: &[u64]) -> bool {
    let mut support: BTreeMap<i64, BTreeSet<u64>> = BTreeMap::new();
    for &id in ids {
        let d = net.only_decision(id);
        support.entry(d.vote.leader).or_default().insert(id);
    }
    support.iter().any(|(&leader, backers)| {
        u64::try_from(leader).is_ok_and(|l| {
            backers.contains(&l)
                && net.only_decision(l).state == ServerState::Leading
                && q.contains_quorum(backers)
        })
    })
}

#[test]
fn random_five_server_elections_pick_the_maximum() {
    // Same round everywhere, random votes; delays below finalizeWait, reordering, duplicates.
    let q = config(&[1, 2, 3, 4, 5], &[], "");
    for seed in 0..150 {
        let mut rng = Rng(seed ^ 0x5eed);
        let starts = random_starts(&mut rng);
        let faults = Faults {
            max_delay_ms: 150,
            dup_per_mille: 150,
            ..CALM
        };
        let net = elect(&q, &starts, seed, faults, &BTreeMap::new());
        assert_agreed(&net, &[1, 2, 3, 4, 5], expected_leader(&q, &starts));
    }
}

#[test]
fn random_five_server_elections_across_rounds() {
    // Servers start in different rounds (logicalclock 1..3): the lagging ones adopt the
    // higher round. As in Java, a server already in finalizeWait drops higher-round votes
    // that are not better than its proposal, so a stale quorum can make it decide in its old
    // round while the others elect in the new one; that orphan is left to the ZAB discovery
    // phase. Every server decides, and some leader is backed by a quorum of decisions.
    let q = config(&[1, 2, 3, 4, 5], &[], "");
    let mut all_agreed = 0;
    for seed in 0..150 {
        let mut rng = Rng(seed ^ 0xc10c);
        let starts = random_starts(&mut rng);
        let extra: BTreeMap<u64, u64> = (1..=5).map(|sid| (sid, rng.below(3))).collect();
        let faults = Faults {
            max_delay_ms: 90,
            dup_per_mille: 150,
            ..CALM
        };
        let net = elect(&q, &starts, seed, faults, &extra);
        assert!(
            some_leader_has_a_quorum(&net, &q, &[1, 2, 3, 4, 5]),
            "seed {seed}"
        );
        let leader = expected_leader(&q, &starts) as i64;
        if (1..=5).all(|id| net.only_decision(id).vote.leader == leader) {
            all_agreed += 1;
        }
    }
    // The common case is still a unanimous choice of the best vote.
    assert!(all_agreed > 100, "{all_agreed}/150 unanimous");
}

#[test]
fn lost_first_broadcasts_are_recovered_by_timeout_resends() {
    for (voters, seed_base) in [(vec![1, 2, 3], 0u64), (vec![1, 2, 3, 4, 5], 1000)] {
        let q = config(&voters, &[], "");
        for seed in seed_base..seed_base + 50 {
            let mut rng = Rng(seed);
            let starts: Vec<Start> = voters
                .iter()
                .map(|&sid| (sid, Zxid::new(1, rng.below(3) as u32), 1))
                .collect();
            // Everything sent in the first 500 ms is lost: the broadcasts at 0 and the
            // re-sends at 200; the re-sends at 600 get through.
            let faults = Faults {
                max_delay_ms: 60,
                dup_per_mille: 100,
                lose_all_until_ms: 500,
                drop_per_mille: 0,
            };
            let net = elect(&q, &starts, seed, faults, &BTreeMap::new());
            assert_agreed(&net, &voters, expected_leader(&q, &starts));
            for &id in &voters {
                let d = net.only_decision(id);
                assert!(d.at_ms >= 600, "decided at {} before any delivery", d.at_ms);
                let resend_times: BTreeSet<u64> = net.sent[&id]
                    .iter()
                    .map(|(t, _, _)| *t)
                    .filter(|&t| t < 600)
                    .collect();
                assert!(resend_times.contains(&200), "node {id} re-sent at 200 ms");
            }
        }
    }
}

#[test]
fn random_losses_still_elect_a_leader_with_a_quorum() {
    // With random losses a stale quorum may also decide (see above); every server still
    // decides, and some leader is backed by a quorum of the decisions.
    let q = config(&[1, 2, 3, 4, 5], &[], "");
    for seed in 0..100 {
        let starts: Vec<Start> = (1..=5).map(|sid| (sid, Zxid::new(1, 3), 1)).collect();
        let faults = Faults {
            max_delay_ms: 80,
            dup_per_mille: 100,
            lose_all_until_ms: 0,
            drop_per_mille: 150,
        };
        let net = elect(&q, &starts, seed, faults, &BTreeMap::new());
        assert!(
            some_leader_has_a_quorum(&net, &q, &[1, 2, 3, 4, 5]),
            "seed {seed}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Joining an established ensemble (catalogue scenario 3)

/// Elects 3 among 1..=3 with all ensemble members' clocks at `clock`, then has them serve
/// epoch `served_epoch` (`updateElectionVote`).
fn established(clock: u64, served_epoch: i64) -> Net {
    let q = config(&[1, 2, 3], &[], "");
    let starts = [
        (1, Zxid::new(1, 4), 1),
        (2, Zxid::new(1, 4), 1),
        (3, Zxid::new(1, 4), 1),
    ];
    let extra = (1..=3).map(|sid| (sid, clock - 1)).collect();
    let mut net = elect(&q, &starts, 7, CALM, &extra);
    assert_agreed(&net, &[1, 2, 3], 3);
    for id in 1..=3 {
        let d = net.only_decision(id);
        net.node(id)
            .set_serving(d.state, d.vote.with_peer_epoch(served_epoch));
    }
    net.decisions.clear();
    net.sent.clear();
    net
}

fn restart(net: &mut Net, id: u64, zxid: Zxid, epoch: i64) {
    let q = net.nodes[&id].verifier().clone();
    net.nodes
        .insert(id, FastLeaderElection::new(ElectionConfig::new(id, q)));
    net.start(id, zxid, epoch);
}

#[test]
fn catalogue_3_restarted_node_joins_from_serving_replies() {
    // Same round number (recvset path) and a later one (outofelection path).
    for clock in [1u64, 5] {
        let mut net = established(clock, 2);
        let clocks_before: Vec<i64> = (1..=3).map(|id| net.nodes[&id].logical_clock()).collect();
        // Server 1 restarts with a better-looking vote of its own: epoch 3, a higher zxid.
        restart(&mut net, 1, Zxid::new(2, 9), 3);
        net.run(u64::MAX, 10_000);
        let d = net.only_decision(1);
        assert_eq!((d.state, d.vote.leader), (ServerState::Following, 3));
        assert_eq!(d.vote.peer_epoch, 2);
        assert_eq!(net.nodes[&1].logical_clock(), clock as i64);
        // No new round for the others: no decision, same clocks, still serving.
        for id in 2..=3 {
            assert!(!net.decisions.contains_key(&id));
            assert!(!net.nodes[&id].is_looking());
            assert_eq!(
                net.nodes[&id].logical_clock(),
                clocks_before[id as usize - 1]
            );
        }
        // The leader saw a LOOKING voter.
        assert!(net.looking_reports.contains(&(3, 1)));
        // The others only ever answered server 1, with their serving state.
        for id in 2..=3 {
            for (_, to, n) in net.sent.get(&id).into_iter().flatten() {
                assert_eq!(*to, 1);
                assert_ne!(n.state, ServerState::Looking);
            }
        }
    }
}

#[test]
fn stale_follower_peer_epoch_blocks_an_out_of_election_join() {
    // ZOOKEEPER-1732: if the follower still reports the old peer epoch while the leader
    // reports the new one, out-of-election votes disagree and a 3-node ensemble cannot be
    // joined from a different round. `set_serving` with the served epoch avoids it.
    let mut net = established(5, 2);
    let stale = net.nodes[&2].current_vote().with_peer_epoch(1);
    net.node(2).set_serving(ServerState::Following, stale);
    restart(&mut net, 1, Zxid::new(1, 4), 1);
    net.run(120_000, 10_000);
    assert!(!net.decisions.contains_key(&1), "{:?}", net.decisions);
    assert!(net.nodes[&1].is_looking());
}

// ---------------------------------------------------------------------------------------------
// Observers

#[test]
fn observers_learn_the_leader_and_never_count() {
    let q = config(&[1, 2, 3], &[4, 5], "");
    // Observers have higher sids; their (ignored) zxids and epochs would be the best.
    let starts = [
        (1, Zxid::new(1, 2), 1),
        (2, Zxid::new(1, 2), 1),
        (3, Zxid::new(1, 1), 1),
    ];
    for seed in 0..50 {
        let faults = Faults {
            max_delay_ms: 50,
            dup_per_mille: 100,
            ..CALM
        };
        let net = elect(&q, &starts, seed, faults, &BTreeMap::new());
        assert_agreed(&net, &[1, 2, 3], 2);
        for obs in [4, 5] {
            let d = net.only_decision(obs);
            assert_eq!((d.state, d.vote.leader), (ServerState::Observing, 2));
            // Observers start with (MIN, MIN, MIN) and only ever notify voters.
            for (t, to, n) in &net.sent[&obs] {
                assert!([1, 2, 3].contains(to));
                if *t == 0 {
                    assert_eq!(
                        (n.leader, n.zxid, n.peer_epoch),
                        (i64::MIN, Zxid(i64::MIN), i64::MIN)
                    );
                }
            }
        }
        // Nobody ever proposed an observer.
        for sent in net.sent.values() {
            assert!(sent.iter().all(|(_, _, n)| n.leader != 4 && n.leader != 5));
        }
    }
}

#[test]
fn catalogue_32_one_voter_and_observers_never_elect() {
    let q = config(&[1, 2, 3], &[4, 5], "");
    let mut net = Net::new(&q, 3, CALM);
    net.down.extend([2, 3]);
    net.start(1, Zxid::new(1, 1), 1);
    net.start(4, Zxid::new(5, 1), 5);
    net.start(5, Zxid::new(5, 1), 5);
    net.run(10 * 60_000, 20_000);
    assert!(net.decisions.is_empty(), "{:?}", net.decisions);
    assert!(net.nodes[&1].is_looking());
}

// ---------------------------------------------------------------------------------------------
// Weights and groups

#[test]
fn zero_weight_server_never_leads() {
    // Server 3 has the best zxid but weight 0.
    let q = config(&[1, 2, 3], &[], "group.1=1:2:3\nweight.3=0\n");
    let starts = [
        (1, Zxid::new(1, 1), 1),
        (2, Zxid::new(1, 1), 1),
        (3, Zxid::new(1, 9), 1),
    ];
    for seed in 0..30 {
        let faults = Faults {
            max_delay_ms: 40,
            dup_per_mille: 100,
            ..CALM
        };
        let net = elect(&q, &starts, seed, faults, &BTreeMap::new());
        assert_eq!(expected_leader(&q, &starts), 2);
        assert_agreed(&net, &[1, 2, 3], 2);
    }
}

#[test]
fn hierarchical_quorum_needs_a_majority_of_groups() {
    let q = config(
        &[1, 2, 3, 4, 5, 6],
        &[],
        "group.1=1:2:3\ngroup.2=4:5:6\nweight.6=3\n",
    );
    let starts: Vec<Start> = (1..=6).map(|sid| (sid, Zxid::new(1, 1), 1)).collect();
    // Group 1 alone is one group of two: no quorum, no decision.
    let mut net = Net::new(&q, 11, CALM);
    net.down.extend([4, 5, 6]);
    for &(sid, zxid, epoch) in &starts[..3] {
        net.start(sid, zxid, epoch);
    }
    net.run(5 * 60_000, 20_000);
    assert!(net.decisions.is_empty());
    // Group 1 plus server 6 (weight 3 of 5 in group 2) is a quorum of both groups.
    let mut net = Net::new(&q, 12, CALM);
    net.down.extend([4, 5]);
    for &(sid, zxid, epoch) in starts.iter().filter(|s| ![4, 5].contains(&s.0)) {
        net.start(sid, zxid, epoch);
    }
    net.run(u64::MAX, 20_000);
    assert_agreed(&net, &[1, 2, 3, 6], 6);
    // Everyone up.
    let net = elect(
        &q,
        &starts,
        13,
        Faults {
            max_delay_ms: 50,
            ..CALM
        },
        &BTreeMap::new(),
    );
    assert_agreed(&net, &[1, 2, 3, 4, 5, 6], 6);
}

// ---------------------------------------------------------------------------------------------
// Timing rules on one hand-driven machine

fn looking(leader: i64, zxid: Zxid, election_epoch: i64, peer_epoch: i64) -> Notification {
    Notification::from_vote(
        ServerState::Looking,
        &Vote::new(leader, zxid, election_epoch, peer_epoch),
        election_epoch,
        None,
    )
}

fn drain(fle: &mut FastLeaderElection) -> Vec<ElectionOutput> {
    std::iter::from_fn(|| fle.poll_output()).collect()
}

fn decisions(outs: &[ElectionOutput]) -> Vec<(ServerState, i64)> {
    outs.iter()
        .filter_map(|o| match o {
            ElectionOutput::Decided { state, vote } => Some((*state, vote.leader)),
            _ => None,
        })
        .collect()
}

fn sends(outs: &[ElectionOutput]) -> Vec<(u64, Notification)> {
    outs.iter()
        .filter_map(|o| match o {
            ElectionOutput::Send { to, notification } => Some((*to, notification.clone())),
            _ => None,
        })
        .collect()
}

#[test]
fn finalize_wait_decides_only_after_a_quiet_period() {
    let q = config(&[1, 2, 3], &[], "");
    let z = Zxid::new(1, 1);
    let mut fle = FastLeaderElection::new(ElectionConfig::new(1, q));
    fle.start_round(z, 1, 0);
    let outs = drain(&mut fle);
    assert_eq!(
        sends(&outs).iter().map(|(to, _)| *to).collect::<Vec<_>>(),
        vec![2, 3]
    );
    // Server 2's vote is better: adopt it; with our own vote that is a quorum.
    fle.handle_notification(2, looking(2, z, 1, 1), 10);
    let outs = drain(&mut fle);
    assert!(sends(&outs).iter().all(|(_, n)| n.leader == 2));
    assert_eq!(fle.poll_timeout(), Some(210));
    fle.handle_tick(209);
    assert!(drain(&mut fle).is_empty());
    // A duplicate (not better) restarts the quiet period.
    fle.handle_notification(2, looking(2, z, 1, 1), 100);
    assert!(drain(&mut fle).is_empty());
    assert_eq!(fle.poll_timeout(), Some(300));
    fle.handle_tick(299);
    assert!(drain(&mut fle).is_empty());
    assert!(fle.is_looking());
    fle.handle_tick(300);
    assert_eq!(
        decisions(&drain(&mut fle)),
        vec![(ServerState::Following, 2)]
    );
    assert!(!fle.is_looking());
    assert_eq!(fle.poll_timeout(), None);
    assert_eq!(fle.current_vote(), Vote::new(2, z, 1, 1));
}

#[test]
fn better_vote_during_finalize_wait_resumes_the_round() {
    let q = config(&[1, 2, 3], &[], "");
    let z = Zxid::new(1, 1);
    let mut fle = FastLeaderElection::new(ElectionConfig::new(1, q));
    fle.start_round(z, 1, 0);
    fle.handle_notification(2, looking(2, z, 1, 1), 10);
    drain(&mut fle);
    assert_eq!(fle.poll_timeout(), Some(210));
    // Server 3 shows up with a better vote before the decision.
    fle.handle_notification(3, looking(3, z, 1, 1), 150);
    let outs = drain(&mut fle);
    assert!(decisions(&outs).is_empty());
    assert_eq!(
        sends(&outs)
            .iter()
            .map(|(to, n)| (*to, n.leader))
            .collect::<Vec<_>>(),
        vec![(2, 3), (3, 3)]
    );
    // We and 3 agree on 3: a new quiet period from 150.
    assert_eq!(fle.poll_timeout(), Some(350));
    fle.handle_tick(210);
    assert!(drain(&mut fle).is_empty());
    fle.handle_tick(350);
    assert_eq!(
        decisions(&drain(&mut fle)),
        vec![(ServerState::Following, 3)]
    );
}

#[test]
fn notification_timeout_doubles_up_to_the_maximum() {
    let q = config(&[1, 2, 3], &[], "");
    let mut fle = FastLeaderElection::new(ElectionConfig::new(1, q));
    fle.start_round(Zxid::new(1, 1), 1, 0);
    drain(&mut fle);
    let expected = [
        200, 600, 1_400, 3_000, 6_200, 12_600, 25_400, 51_000, 102_200, 162_200, 222_200,
    ];
    for &t in &expected {
        assert_eq!(fle.poll_timeout(), Some(t));
        fle.handle_tick(t - 1);
        assert!(drain(&mut fle).is_empty(), "nothing due before {t}");
        fle.handle_tick(t);
        let resent = sends(&drain(&mut fle));
        assert_eq!(
            resent.iter().map(|(to, _)| *to).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(resent
            .iter()
            .all(|(_, n)| n.leader == 1 && n.election_epoch == 1));
    }
    // A received notification postpones the next re-send by the current timeout.
    fle.handle_notification(2, looking(2, Zxid::new(1, 0), 1, 1), 230_000);
    drain(&mut fle);
    assert_eq!(fle.poll_timeout(), Some(290_000));
    // A new round starts again from the minimum.
    fle.start_round(Zxid::new(1, 1), 1, 300_000);
    assert_eq!(fle.poll_timeout(), Some(300_200));
    assert_eq!(fle.logical_clock(), 2);
}

#[test]
fn custom_intervals() {
    let q = config(&[1, 2, 3], &[], "");
    let mut cfg = ElectionConfig::new(1, q);
    cfg.min_notification_interval_ms = 50;
    cfg.max_notification_interval_ms = 120;
    let mut fle = FastLeaderElection::new(cfg);
    fle.start_round(Zxid::new(1, 1), 1, 0);
    let mut times = Vec::new();
    for _ in 0..4 {
        let t = fle.poll_timeout().expect("looking");
        fle.handle_tick(t);
        times.push(t);
    }
    assert_eq!(times, vec![50, 150, 270, 390]);
}

// ---------------------------------------------------------------------------------------------
// WorkerReceiver replies

/// The ensemble of `captures/fake3_out.txt` (3.8.0).
const CAPTURED_CONFIG: &str = "server.1=127.0.0.1:42888:43888:participant;127.0.0.1:42181\n\
    server.2=127.0.0.1:42889:43889:participant;127.0.0.1:42182\n\
    server.3=127.0.0.1:42890:43890:participant;127.0.0.1:42183\n\
    version=0";

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

#[test]
fn serving_peers_answer_like_the_captured_3_8_0_ensemble() {
    // Servers 1 (FOLLOWING) and 2 (LEADING) elected 2 in round 1 and serve epoch 1; the probe
    // (sid 3) sent LOOKING (3, 0, round 1, epoch 0). Their replies, byte for byte.
    let q = qv(CAPTURED_CONFIG);
    let probe = Notification::decode(&{
        let mut b = unhex(
            "00000000000000000000000300000000000000000000000000000001\
             000000000000000000000002000000ba",
        );
        b.extend_from_slice(CAPTURED_CONFIG.as_bytes());
        b
    })
    .expect("probe");
    let cases = [
        (1u64, ServerState::Following, "00000001"),
        (2u64, ServerState::Leading, "00000002"),
    ];
    for (id, state, state_hex) in cases {
        let mut fle = FastLeaderElection::new(ElectionConfig::new(id, q.clone()));
        fle.start_round(Zxid(0), 0, 0);
        drain(&mut fle);
        // Decided vote (2, 0, round 1, epoch 0), then updateElectionVote(1).
        fle.set_serving(state, Vote::new(2, Zxid(0), 1, 0).with_peer_epoch(1));
        fle.handle_notification(3, probe.clone(), 1_000);
        let outs = drain(&mut fle);
        let replies = sends(&outs);
        assert_eq!(replies.len(), 1);
        assert_eq!(replies[0].0, 3);
        let mut want = unhex(&format!(
            "{state_hex}000000000000000200000000000000000000000000000001\
             000000000000000100000002000000ba"
        ));
        want.extend_from_slice(CAPTURED_CONFIG.as_bytes());
        assert_eq!(replies[0].1.encode(), want);
        let reported = outs
            .iter()
            .any(|o| o == &ElectionOutput::LookingPeerReported { sid: 3 });
        assert_eq!(reported, state == ServerState::Leading);
    }
}

#[test]
fn reply_epochs_vote_round_for_voters_logicalclock_for_observers() {
    let q = config(&[1, 2, 3], &[9], "");
    let mut fle = FastLeaderElection::new(ElectionConfig::new(1, q));
    for _ in 0..4 {
        fle.start_round(Zxid::new(1, 1), 1, 0);
    }
    assert_eq!(fle.logical_clock(), 4);
    let served = Vote::new(3, Zxid::new(1, 7), 2, 2);
    fle.set_serving(ServerState::Following, served);
    drain(&mut fle);
    // A LOOKING voter: the vote's own round (2).
    fle.handle_notification(2, looking(2, Zxid(0), 9, 0), 10);
    let r = sends(&drain(&mut fle));
    assert_eq!(r.len(), 1);
    assert_eq!(
        (
            r[0].1.state,
            r[0].1.leader,
            r[0].1.election_epoch,
            r[0].1.peer_epoch
        ),
        (ServerState::Following, 3, 2, 2)
    );
    // Serving peers do not answer serving peers.
    let following = Notification::from_vote(ServerState::Following, &served, 2, None);
    fle.handle_notification(2, following, 11);
    assert!(drain(&mut fle).is_empty());
    // An observer (whatever it says): logicalclock (4).
    let obs = Notification::from_vote(
        ServerState::Looking,
        &Vote::new(i64::MIN, Zxid(i64::MIN), 1, i64::MIN),
        1,
        None,
    );
    fle.handle_notification(9, obs, 12);
    let r = sends(&drain(&mut fle));
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].0, r[0].1.election_epoch, r[0].1.leader), (9, 4, 3));
    assert_eq!(
        r[0].1.config_str().as_deref(),
        Some(config(&[1, 2, 3], &[9], "").to_config_string().as_str())
    );
}

#[test]
fn looking_peer_answers_lagging_peers_and_ignores_them() {
    let q = config(&[1, 2, 3], &[], "");
    let mut fle = FastLeaderElection::new(ElectionConfig::new(1, q));
    fle.start_round(Zxid::new(1, 1), 1, 0);
    fle.start_round(Zxid::new(1, 1), 1, 0);
    drain(&mut fle);
    // Round 1 < our 2: answered with our proposal and round; not counted, no adoption even
    // though the vote is better.
    fle.handle_notification(3, looking(3, Zxid::new(1, 9), 1, 1), 5);
    let r = sends(&drain(&mut fle));
    assert_eq!(r.len(), 1);
    assert_eq!((r[0].0, r[0].1.leader, r[0].1.election_epoch), (3, 1, 2));
    assert_eq!(fle.proposal().leader, 1);
    // A higher round: adopt the round, compare with our own initial vote, re-broadcast.
    fle.handle_notification(2, looking(2, Zxid::new(1, 0), 7, 1), 6);
    let r = sends(&drain(&mut fle));
    assert_eq!(fle.logical_clock(), 7);
    assert!(r
        .iter()
        .all(|(_, n)| n.leader == 1 && n.election_epoch == 7));
    assert_eq!(r.len(), 2);
}

#[test]
fn catalogue_30_untrusted_empty_database() {
    // Server 1 has an untrusted empty database (zxid -1): the others ignore its vote and it
    // ignores every LOOKING vote, joining the leader only from FOLLOWING/LEADING answers.
    let q = config(&[1, 2, 3], &[], "");
    let starts = [
        (1, Zxid(-1), 0),
        (2, Zxid::new(1, 1), 1),
        (3, Zxid::new(1, 1), 1),
    ];
    for seed in 0..20 {
        let net = elect(
            &q,
            &starts,
            seed,
            Faults {
                max_delay_ms: 30,
                ..CALM
            },
            &BTreeMap::new(),
        );
        assert_agreed(&net, &[1, 2, 3], 3);
        // Server 1 only decided after the others, from their answers.
        assert!(net.only_decision(1).at_ms > net.only_decision(3).at_ms);
    }
}

#[test]
fn notifications_from_unknown_or_non_voting_leaders_are_ignored() {
    let q = config(&[1, 2, 3], &[4], "");
    let mut fle = FastLeaderElection::new(ElectionConfig::new(1, q));
    fle.start_round(Zxid::new(1, 1), 1, 0);
    drain(&mut fle);
    // A voter proposing the observer 4 or an unknown 77: ignored.
    for leader in [4, 77] {
        fle.handle_notification(2, looking(leader, Zxid::new(9, 9), 1, 9), 1);
        fle.handle_notification(3, looking(leader, Zxid::new(9, 9), 1, 9), 1);
        assert!(drain(&mut fle).is_empty());
        assert_eq!(fle.proposal().leader, 1);
    }
    // An unknown sender is answered, never counted.
    fle.handle_notification(50, looking(1, Zxid::new(1, 1), 1, 1), 2);
    let r = sends(&drain(&mut fle));
    assert_eq!(r.iter().map(|(to, _)| *to).collect::<Vec<_>>(), vec![50]);
    fle.handle_tick(10_000);
    assert!(decisions(&drain(&mut fle)).is_empty());
}

#[test]
fn notifications_before_the_first_round_are_kept() {
    let q = config(&[1, 2, 3], &[], "");
    let z = Zxid::new(1, 1);
    let mut fle = FastLeaderElection::new(ElectionConfig::new(1, q));
    // Both peers already vote for 3 in round 1 before we start.
    fle.handle_notification(2, looking(3, z, 1, 1), 0);
    fle.handle_notification(3, looking(3, z, 1, 1), 0);
    assert!(drain(&mut fle).is_empty());
    fle.start_round(z, 1, 5);
    let outs = drain(&mut fle);
    assert!(sends(&outs).iter().any(|(_, n)| n.leader == 3));
    assert_eq!(fle.poll_timeout(), Some(205));
    fle.handle_tick(205);
    assert_eq!(
        decisions(&drain(&mut fle)),
        vec![(ServerState::Following, 3)]
    );
}

#[test]
fn leader_decides_from_its_own_round_only() {
    // checkLeader when the leader is us: FOLLOWING votes for us from another round do not make
    // us leader.
    let q = config(&[1, 2, 3], &[], "");
    let mut fle = FastLeaderElection::new(ElectionConfig::new(3, q));
    fle.start_round(Zxid::new(1, 1), 1, 0);
    drain(&mut fle);
    let vote = Vote::new(3, Zxid::new(1, 1), 5, 1);
    for sid in [1, 2] {
        let n = Notification::from_vote(ServerState::Following, &vote, 5, None);
        fle.handle_notification(sid, n, 1);
    }
    assert!(decisions(&drain(&mut fle)).is_empty());
    // In our round they do.
    let vote = Vote::new(3, Zxid::new(1, 1), 1, 1);
    let n = Notification::from_vote(ServerState::Following, &vote, 1, None);
    fle.handle_notification(1, n, 2);
    assert_eq!(decisions(&drain(&mut fle)), vec![(ServerState::Leading, 3)]);
}

#[test]
fn last_seen_config_voters_count_too() {
    // A pending config adds server 4: it becomes a voter, gets our notifications, and a
    // decision needs a quorum of both configs.
    let cur = config(&[1, 2, 3], &[], "version=1\n");
    let next = config(&[1, 2, 3, 4], &[], "version=2\n");
    let z = Zxid::new(1, 1);
    let mut fle = FastLeaderElection::new(ElectionConfig::new(1, cur));
    fle.set_last_seen_verifier(Some(next));
    fle.start_round(z, 1, 0);
    let outs = drain(&mut fle);
    assert_eq!(
        sends(&outs).iter().map(|(to, _)| *to).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    // 1 and 2 agree on 2: a quorum of {1,2,3} but not of {1,2,3,4}.
    fle.handle_notification(2, looking(2, z, 1, 1), 1);
    drain(&mut fle);
    assert_eq!(fle.poll_timeout(), Some(201), "no finalizeWait yet");
    fle.handle_notification(4, looking(2, z, 1, 1), 2);
    drain(&mut fle);
    assert_eq!(fle.poll_timeout(), Some(202), "finalizeWait");
    fle.handle_tick(202);
    assert_eq!(
        decisions(&drain(&mut fle)),
        vec![(ServerState::Following, 2)]
    );
}
