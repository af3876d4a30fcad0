//! A set backed by `java.util.concurrent.ConcurrentHashMap` (ZooKeeper's `ServerCnxn.authInfo`):
//! iteration follows bucket index, and a resize reverses part of each bucket.
//!
//! The table starts at 16 buckets and doubles when the size reaches `0.75 * capacity`. During a
//! resize (`ConcurrentHashMap.transfer`) each bucket keeps its trailing run of nodes that go to the
//! same half in order and prepends the others one by one, which reverses them.

use super::hash::chm_spread;

const INITIAL_CAPACITY: usize = 16;

/// A `ConcurrentHashMap`-backed set whose iteration order is the JVM's.
#[derive(Debug, Clone)]
pub struct ConcurrentHashSet<T> {
    bins: Vec<Vec<(i32, T)>>,
    size: usize,
    size_ctl: usize,
}

impl<T: PartialEq + Clone> Default for ConcurrentHashSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: PartialEq + Clone> ConcurrentHashSet<T> {
    /// An empty set (the table is allocated on first insertion).
    pub fn new() -> Self {
        ConcurrentHashSet {
            bins: Vec::new(),
            size: 0,
            size_ctl: 0,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.size
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    /// `add(v)` with `hash_code = v.hashCode()`. Returns false if already present.
    pub fn insert(&mut self, v: T, hash_code: i32) -> bool {
        if self.bins.is_empty() {
            self.bins = vec![Vec::new(); INITIAL_CAPACITY];
            self.size_ctl = INITIAL_CAPACITY - (INITIAL_CAPACITY >> 2);
        }
        let h = chm_spread(hash_code);
        let idx = (h as usize) & (self.bins.len() - 1);
        if self.bins[idx].iter().any(|(_, x)| *x == v) {
            return false;
        }
        self.bins[idx].push((h, v));
        self.size += 1;
        if self.size >= self.size_ctl {
            self.transfer();
        }
        true
    }

    fn transfer(&mut self) {
        let n = self.bins.len();
        let mut next: Vec<Vec<(i32, T)>> = vec![Vec::new(); n * 2];
        for (i, bin) in std::mem::take(&mut self.bins).into_iter().enumerate() {
            if bin.is_empty() {
                continue;
            }
            let bit = |h: i32| (h as usize) & n;
            // The last run of nodes that all go to the same half keeps its order.
            let mut last_run = 0;
            let mut run_bit = bit(bin[0].0);
            for (k, (h, _)) in bin.iter().enumerate().skip(1) {
                if bit(*h) != run_bit {
                    run_bit = bit(*h);
                    last_run = k;
                }
            }
            let mut ln: Vec<(i32, T)> = Vec::new();
            let mut hn: Vec<(i32, T)> = Vec::new();
            let tail: Vec<(i32, T)> = bin[last_run..].to_vec();
            if run_bit == 0 {
                ln = tail;
            } else {
                hn = tail;
            }
            for node in bin[..last_run].iter() {
                if bit(node.0) == 0 {
                    ln.insert(0, node.clone());
                } else {
                    hn.insert(0, node.clone());
                }
            }
            next[i] = ln;
            next[i + n] = hn;
        }
        self.bins = next;
        self.size_ctl = (n << 1) - (n >> 1);
    }

    /// `remove(v)`.
    pub fn remove(&mut self, v: &T, hash_code: i32) -> bool {
        if self.bins.is_empty() {
            return false;
        }
        let h = chm_spread(hash_code);
        let idx = (h as usize) & (self.bins.len() - 1);
        if let Some(pos) = self.bins[idx].iter().position(|(_, x)| x == v) {
            self.bins[idx].remove(pos);
            self.size -= 1;
            true
        } else {
            false
        }
    }

    /// True if `v` is present.
    pub fn contains(&self, v: &T, hash_code: i32) -> bool {
        if self.bins.is_empty() {
            return false;
        }
        let idx = (chm_spread(hash_code) as usize) & (self.bins.len() - 1);
        self.bins[idx].iter().any(|(_, x)| x == v)
    }

    /// Iteration in the JVM's order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.bins.iter().flat_map(|b| b.iter().map(|(_, v)| v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resize_at_three_quarters() {
        let mut s = ConcurrentHashSet::new();
        for i in 0..11 {
            s.insert(i, i);
        }
        assert_eq!(s.bins.len(), 16);
        s.insert(11, 11);
        assert_eq!(s.bins.len(), 32);
        assert_eq!(
            s.iter().copied().collect::<Vec<_>>(),
            (0..12).collect::<Vec<_>>()
        );
    }

    #[test]
    fn transfer_reverses_leading_nodes() {
        let mut s = ConcurrentHashSet::new();
        // All in bucket 0 of 16; bit 16 decides the half after the resize.
        let hs = [0, 16, 32, 48, 64, 80, 96, 112, 128, 144, 160];
        for h in hs {
            s.insert(h, h);
        }
        s.insert(1, 1); // 12th element: resize to 32
        let order: Vec<i32> = s.iter().copied().collect();
        // Low half (bit 16 clear): 0,32,64,96,128,160; last run is [160] (preceded by 144, high).
        // The others are prepended in order: 128,96,64,32,0 then 160.
        assert_eq!(&order[..6], &[128, 96, 64, 32, 0, 160]);
        assert_eq!(order[6], 1);
        // High half: 16,48,80,112,144 prepended -> reversed.
        assert_eq!(&order[7..], &[144, 112, 80, 48, 16]);
    }
}
