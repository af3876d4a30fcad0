//! `ExpiryQueue`: elements bucketed by the tick at which they expire.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::Hash;

/// Elements grouped into buckets `interval` ms apart (ZooKeeper's `ExpiryQueue`, with the
/// monotonic clock passed in). An element's expiry is `roundToNextInterval(now + timeout)`.
///
/// Empty buckets are kept until their time comes, as upstream, so `dump` shows them.
#[derive(Debug, Clone)]
pub struct ExpiryQueue<K> {
    elem_map: HashMap<K, u64>,
    expiry_map: BTreeMap<u64, BTreeSet<K>>,
    next_expiration_time: u64,
    interval: u64,
}

impl<K: Copy + Ord + Hash> ExpiryQueue<K> {
    /// A queue with buckets `interval` ms apart, first expiring at the interval after `now`.
    pub fn new(interval: u64, now: u64) -> Self {
        let interval = interval.max(1);
        ExpiryQueue {
            elem_map: HashMap::new(),
            expiry_map: BTreeMap::new(),
            next_expiration_time: (now / interval + 1) * interval,
            interval,
        }
    }

    fn round_to_next_interval(&self, time: u64) -> u64 {
        (time / self.interval + 1) * self.interval
    }

    /// Removes an element; returns the time it was due to expire.
    pub fn remove(&mut self, elem: K) -> Option<u64> {
        let t = self.elem_map.remove(&elem)?;
        if let Some(set) = self.expiry_map.get_mut(&t) {
            set.remove(&elem);
        }
        Some(t)
    }

    /// Adds or moves an element to the bucket for `now + timeout`; returns the new expiry time
    /// if it changed.
    pub fn update(&mut self, elem: K, timeout_ms: u64, now: u64) -> Option<u64> {
        let new_time = self.round_to_next_interval(now.saturating_add(timeout_ms));
        let prev = self.elem_map.get(&elem).copied();
        if prev == Some(new_time) {
            return None;
        }
        self.expiry_map.entry(new_time).or_default().insert(elem);
        self.elem_map.insert(elem, new_time);
        if let Some(p) = prev {
            if let Some(set) = self.expiry_map.get_mut(&p) {
                set.remove(&elem);
            }
        }
        Some(new_time)
    }

    /// Milliseconds until the next bucket is due (0 if already due).
    pub fn wait_time(&self, now: u64) -> u64 {
        self.next_expiration_time.saturating_sub(now)
    }

    /// The monotonic time of the next bucket.
    pub fn next_expiration_time(&self) -> u64 {
        self.next_expiration_time
    }

    /// Takes every element of every bucket that is due at `now`, oldest bucket first (what
    /// repeated `poll()` calls return while `getWaitTime()` is 0).
    pub fn poll_due(&mut self, now: u64) -> Vec<K> {
        let mut out = Vec::new();
        if now < self.next_expiration_time {
            return out;
        }
        let due: Vec<u64> = self.expiry_map.range(..=now).map(|(t, _)| *t).collect();
        for t in due {
            if let Some(set) = self.expiry_map.remove(&t) {
                for e in set {
                    if self.elem_map.get(&e) == Some(&t) {
                        self.elem_map.remove(&e);
                    }
                    out.push(e);
                }
            }
        }
        self.next_expiration_time = self.round_to_next_interval(now);
        out
    }

    /// The time an element is due, if queued.
    pub fn expiry_of(&self, elem: K) -> Option<u64> {
        self.elem_map.get(&elem).copied()
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.elem_map.len()
    }

    /// True when no element is queued.
    pub fn is_empty(&self) -> bool {
        self.elem_map.is_empty()
    }

    /// Every bucket (including empty ones not yet polled), by time.
    pub fn buckets(&self) -> impl Iterator<Item = (u64, &BTreeSet<K>)> {
        self.expiry_map.iter().map(|(t, s)| (*t, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_round_up() {
        let mut q = ExpiryQueue::new(2000, 1000);
        assert_eq!(q.next_expiration_time(), 2000);
        assert_eq!(q.update(7, 30000, 1000), Some(32000));
        assert_eq!(q.update(7, 30000, 1500), None);
        assert_eq!(q.update(7, 30000, 2000), Some(34000));
        // The old bucket stays, empty.
        let b: Vec<(u64, usize)> = q.buckets().map(|(t, s)| (t, s.len())).collect();
        assert_eq!(b, vec![(32000, 0), (34000, 1)]);
        assert!(q.poll_due(33999).is_empty());
        assert_eq!(q.next_expiration_time(), 34000);
        assert_eq!(q.poll_due(34000), vec![7]);
        assert!(q.is_empty());
        assert_eq!(q.next_expiration_time(), 36000);
    }

    #[test]
    fn remove() {
        let mut q = ExpiryQueue::new(10, 0);
        q.update(1u64, 5, 0);
        assert_eq!(q.remove(1), Some(10));
        assert_eq!(q.remove(1), None);
        assert!(q.poll_due(100).is_empty());
    }
}
