//! [`SimConfig`]: the shape of one simulated run (ensemble, timings, fault rates, workload).

/// Everything a run depends on besides its seed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimConfig {
    /// Voting members (sids `1..=voters`).
    pub voters: u64,
    /// Observers (sids after the voters).
    pub observers: u64,
    /// Events processed in the fault phase of a random run.
    pub steps: u64,
    /// `tickTime`, `initLimit`, `syncLimit`.
    pub tick_time_ms: u64,
    pub init_limit_ticks: u64,
    pub sync_limit_ticks: u64,
    /// `commitLogCount`: small, so a learner a little behind gets SNAP instead of DIFF.
    pub commit_log_count: usize,
    /// One-way network delay of a message, uniform in this range (ms).
    pub net_delay_ms: (u64, u64),
    /// Latency of an fsync, an epoch-file write and a snapshot write (ms).
    pub disk_delay_ms: (u64, u64),
    /// Client sessions started per node.
    pub clients_per_node: usize,
    /// Mean time between two client operations of one client (ms).
    pub client_think_ms: u64,
    /// Whether the random nemesis injects faults (scenario tests turn it off and script them).
    pub faults: bool,
    /// Mean time between two nemesis actions (ms).
    pub fault_interval_ms: u64,
    /// Logical time the healed ensemble has to converge (liveness), ms.
    pub liveness_budget_ms: u64,
    /// Tolerate the known bugs listed in `docs/simulator.md` (each is traced when hit, and a
    /// named test reproduces it with this off) so that a sweep can look for new ones.
    pub tolerate_known_bugs: bool,
    /// Keep the whole trace in memory (printed on failure) rather than only its hash.
    pub keep_trace: bool,
    /// `reconfigEnabled`: members propose, announce and activate configurations, and (in
    /// random runs) clients issue `reconfig` requests.
    pub reconfig: bool,
    /// Spare members (sids after the observers): they have their own sid and addresses but
    /// are not in the initial configuration (joiners); they start down, and a restart (the
    /// nemesis, a scenario, the final healing) starts them as non-voting followers.
    pub spares: u64,
    /// With `reconfig`: the chance (per mille) that a client's next operation is a
    /// `reconfig` instead of a write.
    pub reconfig_per_mille: u64,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            voters: 3,
            observers: 0,
            steps: 2_000,
            tick_time_ms: 200,
            init_limit_ticks: 10,
            sync_limit_ticks: 5,
            commit_log_count: 16,
            net_delay_ms: (1, 15),
            disk_delay_ms: (1, 10),
            clients_per_node: 1,
            client_think_ms: 150,
            faults: true,
            fault_interval_ms: 1_500,
            liveness_budget_ms: 120_000,
            tolerate_known_bugs: true,
            keep_trace: false,
            reconfig: false,
            spares: 0,
            reconfig_per_mille: 40,
        }
    }
}

impl SimConfig {
    /// Every member's sid, voters first, spares last.
    pub fn sids(&self) -> impl Iterator<Item = u64> {
        1..=(self.voters + self.observers + self.spares)
    }

    /// Whether `sid` is in the initial configuration (not a spare).
    pub fn is_initial_member(&self, sid: u64) -> bool {
        (1..=(self.voters + self.observers)).contains(&sid)
    }

    /// Whether `sid` votes.
    pub fn is_voter(&self, sid: u64) -> bool {
        (1..=self.voters).contains(&sid)
    }
}
