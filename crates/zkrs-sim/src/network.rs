//! [`Network`]: which server can reach which. Partitions are sets of blocked directed pairs,
//! so symmetric and asymmetric partitions are the same mechanism.

use std::collections::BTreeSet;

/// The reachability between servers.
#[derive(Debug, Clone, Default)]
pub struct Network {
    blocked: BTreeSet<(u64, u64)>,
}

impl Network {
    /// Whether a message from `from` reaches `to` now.
    pub fn reachable(&self, from: u64, to: u64) -> bool {
        from == to || !self.blocked.contains(&(from, to))
    }

    /// Blocks `from` → `to` (one direction).
    pub fn block(&mut self, from: u64, to: u64) {
        if from != to {
            self.blocked.insert((from, to));
        }
    }

    /// Cuts every link between the two groups, both ways.
    pub fn partition(&mut self, a: &[u64], b: &[u64]) {
        for &x in a {
            for &y in b {
                self.block(x, y);
                self.block(y, x);
            }
        }
    }

    /// Isolates `sid` from every other server in `all`.
    pub fn isolate(&mut self, sid: u64, all: &[u64]) {
        let others: Vec<u64> = all.iter().copied().filter(|&s| s != sid).collect();
        self.partition(&[sid], &others);
    }

    /// Removes every partition.
    pub fn heal(&mut self) {
        self.blocked.clear();
    }

    /// Whether any pair is blocked.
    pub fn is_partitioned(&self) -> bool {
        !self.blocked.is_empty()
    }

    /// The blocked pairs, for traces.
    pub fn describe(&self) -> String {
        self.blocked
            .iter()
            .map(|(a, b)| format!("{a}>{b}"))
            .collect::<Vec<_>>()
            .join(",")
    }
}
