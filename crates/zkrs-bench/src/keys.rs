//! [`KeySpace`]: where a run's znodes live, and [`Rng`], the per-session key chooser.

use crate::options::{RunOptions, Workload};

/// The parent znode of a run and the names of its keys (`<parent>/k0000000042`).
#[derive(Debug, Clone)]
pub struct KeySpace {
    /// The parent znode, directly under `--root`.
    pub parent: String,
}

impl KeySpace {
    /// Shared workloads (get, set, mixed, multi) reuse `<root>/keys-<size>` across runs, so a
    /// second run on the same server finds its keys populated. create, delete and watch get a
    /// parent of their own per run (`<root>/<workload>-<nonce>`).
    pub fn for_run(opts: &RunOptions, nonce: u64) -> KeySpace {
        let parent = if opts.workload.uses_shared_keys() {
            format!("{}/keys-{}", opts.root, opts.size)
        } else {
            format!("{}/{}-{nonce:x}", opts.root, opts.workload.name())
        };
        KeySpace { parent }
    }

    /// The path of key `idx`.
    pub fn key(&self, idx: u64) -> String {
        format!("{}/k{idx:010}", self.parent)
    }

    /// How many keys must exist before the measured phase starts.
    pub fn keys_needed(opts: &RunOptions) -> u64 {
        match opts.workload {
            Workload::Create => 0,
            Workload::Delete => opts.warmup + opts.requests,
            Workload::Watch => (opts.sessions * opts.window) as u64,
            Workload::Get | Workload::Set | Workload::Mixed | Workload::Multi => opts.keys,
        }
    }
}

/// SplitMix64: a small, fast generator for key choice (quality is ample for picking keys).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for one session.
    pub fn new(seed: u64, session: usize) -> Rng {
        Rng(seed ^ (session as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        // Lemire's multiply-shift; the bias is below 2^-32 for the key counts used here.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `0..100`.
    pub fn percent(&mut self) -> u8 {
        self.below(100) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn below_stays_in_range_and_spreads() {
        let mut rng = Rng::new(7, 3);
        let mut seen = [0u32; 10];
        for _ in 0..10_000 {
            let v = rng.below(10);
            assert!(v < 10);
            seen[v as usize] += 1;
        }
        assert!(seen.iter().all(|&c| c > 800), "{seen:?}");
    }

    #[test]
    fn key_names_sort_numerically() {
        let ks = KeySpace {
            parent: "/b/keys-100".into(),
        };
        assert_eq!(ks.key(42), "/b/keys-100/k0000000042");
        assert!(ks.key(9) < ks.key(10));
    }
}
