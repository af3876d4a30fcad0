//! `java.util.HashSet` (a `HashMap` underneath): which bucket each element lands in, and so the
//! order in which the set is iterated.
//!
//! Buckets are `hash & (capacity - 1)` with `hash = h ^ (h >>> 16)`; within a bucket elements
//! stay in insertion order, and a resize splits each bucket into a "low" and a "high" list that
//! keep their relative order. Tree bins (eight or more colliding entries in a table of at least
//! 64) are not modelled: they keep the same iteration order in practice.

use super::hash::{hashmap_spread, table_size_for};

const DEFAULT_CAPACITY: usize = 16;

/// A `HashSet` whose iteration order is the JVM's.
#[derive(Debug, Clone)]
pub struct JavaHashSet<T> {
    /// Empty until the first insertion (the table is allocated lazily, as in Java).
    bins: Vec<Vec<(i32, T)>>,
    /// Capacity of the first table when `bins` is empty; the resize threshold afterwards.
    threshold: usize,
    size: usize,
}

impl<T: PartialEq + Clone> Default for JavaHashSet<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: PartialEq + Clone> JavaHashSet<T> {
    /// `new HashSet<>()`: capacity 16 on first use.
    pub fn new() -> Self {
        JavaHashSet {
            bins: Vec::new(),
            threshold: 0,
            size: 0,
        }
    }

    /// `new HashSet<>(initialCapacity)`.
    pub fn with_capacity(initial: usize) -> Self {
        JavaHashSet {
            bins: Vec::new(),
            threshold: table_size_for(initial),
            size: 0,
        }
    }

    /// `new HashSet<>(collection)`: capacity `max(size / .75 + 1, 16)`, then `addAll` in the
    /// collection's order.
    pub fn from_collection<'a, I>(items: I, hash: impl Fn(&T) -> i32) -> Self
    where
        I: IntoIterator<Item = &'a T>,
        I::IntoIter: ExactSizeIterator,
        T: 'a,
    {
        let it = items.into_iter();
        let cap = ((it.len() as f32 / 0.75) as usize + 1).max(DEFAULT_CAPACITY);
        let mut set = Self::with_capacity(cap);
        for v in it {
            set.insert(v.clone(), hash(v));
        }
        set
    }

    /// `set.clone()` (`HashMap.clone` → `putMapEntries`): a fresh table sized for the current
    /// size, filled in this set's iteration order.
    pub fn java_clone(&self, hash: impl Fn(&T) -> i32) -> Self {
        let mut out = Self::new();
        if self.size > 0 {
            let ft = self.size as f32 / 0.75 + 1.0;
            out.threshold = table_size_for(ft as usize);
        }
        for v in self.iter() {
            out.insert(v.clone(), hash(v));
        }
        out
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.size
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.size == 0
    }

    fn init_table(&mut self) {
        let cap = if self.threshold > 0 {
            self.threshold
        } else {
            DEFAULT_CAPACITY
        };
        self.bins = vec![Vec::new(); cap];
        self.threshold = (cap as f32 * 0.75) as usize;
    }

    /// `add(v)` with `hash_code = v.hashCode()`. Returns false if already present.
    pub fn insert(&mut self, v: T, hash_code: i32) -> bool {
        if self.bins.is_empty() {
            self.init_table();
        }
        let h = hashmap_spread(hash_code);
        let idx = (h as u32 as usize) & (self.bins.len() - 1);
        if self.bins[idx].iter().any(|(_, x)| *x == v) {
            return false;
        }
        self.bins[idx].push((h, v));
        self.size += 1;
        if self.size > self.threshold {
            self.resize();
        }
        true
    }

    fn resize(&mut self) {
        let old_cap = self.bins.len();
        let new_cap = old_cap * 2;
        let mut new_bins: Vec<Vec<(i32, T)>> = vec![Vec::new(); new_cap];
        for (j, bin) in std::mem::take(&mut self.bins).into_iter().enumerate() {
            for (h, v) in bin {
                if (h as u32 as usize) & old_cap == 0 {
                    new_bins[j].push((h, v));
                } else {
                    new_bins[j + old_cap].push((h, v));
                }
            }
        }
        self.bins = new_bins;
        self.threshold *= 2;
    }

    /// `remove(v)`.
    pub fn remove(&mut self, v: &T, hash_code: i32) -> bool {
        if self.bins.is_empty() {
            return false;
        }
        let h = hashmap_spread(hash_code);
        let idx = (h as u32 as usize) & (self.bins.len() - 1);
        if let Some(pos) = self.bins[idx].iter().position(|(_, x)| x == v) {
            self.bins[idx].remove(pos);
            self.size -= 1;
            true
        } else {
            false
        }
    }

    /// Iteration in the JVM's order.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.bins.iter().flat_map(|b| b.iter().map(|(_, v)| v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::java::hash::string_hash;

    fn set_of(items: &[&str]) -> JavaHashSet<String> {
        let mut s = JavaHashSet::new();
        for i in items {
            s.insert((*i).to_owned(), string_hash(i));
        }
        s
    }

    #[test]
    fn bucket_order() {
        // "a"=97 (bucket 1), "b"=98 (2), "q"=113 (1 in a table of 16): q follows a.
        let s = set_of(&["b", "q", "a"]);
        let order: Vec<&str> = s.iter().map(String::as_str).collect();
        assert_eq!(order, ["q", "a", "b"]);
    }

    #[test]
    fn resize_keeps_relative_order() {
        let names: Vec<String> = (0..40).map(|i| format!("/n{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let s = set_of(&refs);
        assert_eq!(s.len(), 40);
        assert_eq!(s.bins.len(), 64);
        // Iteration order is by bucket index in the final table.
        let order: Vec<usize> = s
            .iter()
            .map(|n| (hashmap_spread(string_hash(n)) as u32 as usize) & 63)
            .collect();
        assert!(order.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn clone_resizes_down() {
        let mut s = set_of(&["/a", "/b", "/c"]);
        assert!(s.remove(&"/b".to_owned(), string_hash("/b")));
        let c = s.java_clone(|v| string_hash(v));
        // 2 / .75 + 1 = 3.67 -> 3 -> table of 4.
        assert_eq!(c.bins.len(), 4);
        assert_eq!(c.len(), 2);
    }
}
