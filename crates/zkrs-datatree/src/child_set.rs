//! [`ChildSet`]: a znode's child names, sorted, in copy-on-write chunks.
//!
//! ZooKeeper keeps a `HashSet<String>` per node. Here the names are sorted (deterministic child
//! lists and snapshots) and split into chunks of at most [`CHUNK_MAX`] names, each behind an
//! `Arc`. Cloning a set (which happens when a node that a snapshot view still holds is changed)
//! copies only the chunk pointers, and a later insert or remove copies the one chunk it touches.
//! So a node with 200,000 children costs about 800 pointer copies, not 200,000 string copies,
//! when a child is created under it during a snapshot.
//!
//! Why not a persistent B-tree crate (`imbl::OrdSet` was tried): about 2,800 instructions per
//! insert when loading a snapshot (in-order inserts), over a third of the whole restore, against
//! a binary search and an append here.

use std::sync::Arc;

/// The most names in one chunk; a fuller chunk is split in two.
pub const CHUNK_MAX: usize = 256;

/// Sorted, unique child names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChildSet {
    /// Non-empty chunks, each sorted, every name of a chunk below every name of the next.
    chunks: Vec<Arc<Vec<Box<str>>>>,
    len: usize,
}

impl ChildSet {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The number of names.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no name.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The chunk that holds `name` or would take it: the first whose last name is not below
    /// it, or the last chunk.
    fn chunk_for(&self, name: &str) -> usize {
        let i = self
            .chunks
            .partition_point(|c| c.last().is_some_and(|last| &**last < name));
        i.min(self.chunks.len().saturating_sub(1))
    }

    /// Whether `name` is in the set.
    pub fn contains(&self, name: &str) -> bool {
        match self.chunks.get(self.chunk_for(name)) {
            Some(c) => c.binary_search_by(|n| (**n).cmp(name)).is_ok(),
            None => false,
        }
    }

    /// Adds `name`; false if it was already there.
    pub fn insert(&mut self, name: &str) -> bool {
        if self.chunks.is_empty() {
            self.chunks.push(Arc::new(vec![Box::from(name)]));
            self.len = 1;
            return true;
        }
        // Names past the last one (a snapshot loads children in order; sequential znodes are
        // created in order) append without a search.
        let last = self.chunks.len() - 1;
        let (i, at) = match self.chunks[last].last() {
            Some(max) if &**max < name => (last, self.chunks[last].len()),
            _ => {
                let i = self.chunk_for(name);
                let Err(at) = self.chunks[i].binary_search_by(|n| (**n).cmp(name)) else {
                    return false;
                };
                (i, at)
            }
        };
        let chunk = Arc::make_mut(&mut self.chunks[i]);
        chunk.insert(at, Box::from(name));
        if chunk.len() > CHUNK_MAX {
            let upper = chunk.split_off(chunk.len() / 2);
            self.chunks.insert(i + 1, Arc::new(upper));
        }
        self.len += 1;
        true
    }

    /// Removes `name`; false if it was not there.
    pub fn remove(&mut self, name: &str) -> bool {
        let i = self.chunk_for(name);
        let Some(c) = self.chunks.get(i) else {
            return false;
        };
        let Ok(at) = c.binary_search_by(|n| (**n).cmp(name)) else {
            return false;
        };
        let chunk = Arc::make_mut(&mut self.chunks[i]);
        chunk.remove(at);
        if chunk.is_empty() {
            self.chunks.remove(i);
        }
        self.len -= 1;
        true
    }

    /// The names in order.
    pub fn iter(&self) -> Iter<'_> {
        Iter {
            chunks: &self.chunks,
            front: (0, 0),
            back: (self.chunks.len(), 0),
            remaining: self.len,
        }
    }
}

/// The names of a [`ChildSet`] in order (both ends, exact size).
#[derive(Debug, Clone)]
pub struct Iter<'a> {
    chunks: &'a [Arc<Vec<Box<str>>>],
    /// (chunk, index) of the next name from the front.
    front: (usize, usize),
    /// (chunk, count): the names left from the back are `chunks[..back.0]` plus none, or
    /// `chunks[back.0][..back.1]` once a chunk has been entered from the back.
    back: (usize, usize),
    remaining: usize,
}

impl<'a> Iterator for Iter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            let (c, i) = self.front;
            let chunk = self.chunks.get(c)?;
            if let Some(name) = chunk.get(i) {
                self.front = (c, i + 1);
                self.remaining -= 1;
                return Some(&**name);
            }
            self.front = (c + 1, 0);
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.remaining, Some(self.remaining))
    }
}

impl DoubleEndedIterator for Iter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        loop {
            let (c, n) = self.back;
            if n > 0 {
                let chunk = self.chunks.get(c)?;
                self.back = (c, n - 1);
                self.remaining -= 1;
                return chunk.get(n - 1).map(|s| &**s);
            }
            let prev = c.checked_sub(1)?;
            self.back = (prev, self.chunks.get(prev)?.len());
        }
    }
}

impl ExactSizeIterator for Iter<'_> {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn check(s: &ChildSet, model: &BTreeSet<String>) {
        assert_eq!(s.len(), model.len());
        let fwd: Vec<&str> = s.iter().collect();
        let want: Vec<&str> = model.iter().map(String::as_str).collect();
        assert_eq!(fwd, want);
        let mut back: Vec<&str> = s.iter().rev().collect();
        back.reverse();
        assert_eq!(back, want);
        assert_eq!(s.iter().len(), model.len());
        // Both ends at once meet in the middle without overlap.
        let mut it = s.iter();
        let mut seen = Vec::new();
        loop {
            match (it.next(), it.next_back()) {
                (Some(a), Some(b)) => {
                    seen.push(a);
                    seen.push(b)
                }
                (Some(a), None) => seen.push(a),
                (None, _) => break,
            }
        }
        seen.sort_unstable();
        assert_eq!(seen, want);
        for c in &s.chunks {
            assert!(!c.is_empty() && c.len() <= CHUNK_MAX);
        }
    }

    #[test]
    fn behaves_as_a_sorted_set() {
        let mut s = ChildSet::new();
        let mut model = BTreeSet::new();
        let mut x = 12345u64;
        for round in 0..20_000u64 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let name = format!("n{}", x % 3_000);
            if round % 3 == 2 {
                assert_eq!(s.remove(&name), model.remove(&name));
            } else {
                assert_eq!(s.insert(&name), model.insert(name.clone()));
            }
            assert_eq!(s.contains(&name), model.contains(&name));
            if round % 2_000 == 0 {
                check(&s, &model);
            }
        }
        check(&s, &model);
        for n in model.clone() {
            assert!(s.remove(&n));
        }
        assert!(s.is_empty() && s.chunks.is_empty());
        assert!(!s.remove("n1") && !s.contains("n1"));
    }

    #[test]
    fn in_order_inserts_and_clones_are_independent() {
        let mut s = ChildSet::new();
        let mut model = BTreeSet::new();
        for i in 0..10_000 {
            let n = format!("k{i:06}");
            assert!(s.insert(&n));
            model.insert(n);
        }
        check(&s, &model);
        let frozen = s.clone();
        let frozen_model = model.clone();
        assert!(s.insert("k000500x"));
        assert!(s.remove("k009999"));
        model.insert("k000500x".to_owned());
        model.remove("k009999");
        check(&s, &model);
        check(&frozen, &frozen_model);
        // Only the touched chunks were copied.
        let shared = s
            .chunks
            .iter()
            .filter(|c| frozen.chunks.iter().any(|f| Arc::ptr_eq(c, f)))
            .count();
        assert!(
            shared + 3 >= s.chunks.len(),
            "{shared} of {}",
            s.chunks.len()
        );
    }
}
