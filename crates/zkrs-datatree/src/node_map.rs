//! [`NodeMap`]: the znode table, a copy-on-write hash map from path to shared node.
//!
//! ZooKeeper's `NodeHashMapImpl` is a `ConcurrentHashMap` that its snapshot thread reads while
//! the commit processor writes (a "fuzzy" snapshot, fixed up by replaying the log). Here a
//! snapshot gets an exact copy at one zxid instead, without stopping writes: the table is split
//! into [`SHARDS`] hash maps, each behind an `Arc`, and every node is an `Arc` too. Copying the
//! table copies only the shard pointers (O(1) in the number of znodes). A write while a copy is
//! alive first copies the one shard it touches (`Arc::make_mut`: pointers only, about
//! `len / SHARDS` of them) and the one node it changes; later writes to that shard are in place
//! again. While no copy is alive, every shard and node is unique and is changed in place.
//!
//! Why not a persistent map crate (`imbl`'s HAMT was tried first): its node overhead was about
//! 115 bytes per entry, against about 40 here, and resident memory is one of our targets.

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;

use crate::data_node::DataNode;

/// The hasher of the znode table: seeded per process (paths come from clients), and much
/// cheaper than SipHash on short strings.
pub type NodeHasher = foldhash::quality::RandomState;

/// log2 of [`SHARDS`].
const SHARD_BITS: u32 = 12;
/// The number of shards: a copy costs this many pointer copies; a shard copied for a write holds
/// about `len / SHARDS` entries (49 at 200,000 znodes).
pub const SHARDS: usize = 1 << SHARD_BITS;

// Keys are `Arc<str>`, not `Box<str>`: with `Box<str>` a shard copy allocated its ~50 keys and
// the snapshot thread later freed the originals (200,000 of each per snapshot at 200,000
// znodes); those mallocs tripled the cost of the writes during a snapshot and the frees
// contended with the core task for the allocator. The price is 16 bytes of counts per key
// (about 3 MiB per 200,000 znodes).
type Shard = HashMap<Arc<str>, Arc<DataNode>, NodeHasher>;

/// Path (`""` for the root) to node; cloning is O([`SHARDS`]), whatever the number of znodes.
#[derive(Debug, Clone)]
pub struct NodeMap {
    hasher: NodeHasher,
    shards: Arc<[Arc<Shard>]>,
    len: usize,
}

impl Default for NodeMap {
    fn default() -> Self {
        Self::new()
    }
}

impl NodeMap {
    /// An empty table.
    pub fn new() -> Self {
        let hasher = NodeHasher::default();
        let empty = Arc::new(Shard::with_hasher(hasher.clone()));
        NodeMap {
            shards: (0..SHARDS).map(|_| Arc::clone(&empty)).collect(),
            hasher,
            len: 0,
        }
    }

    /// The shard of `key`. The shards' own maps use the same hash for their buckets and tags
    /// (low and top bits); a multiplicative remix picks the shard, so the paths of one shard are
    /// not alike in those bits.
    fn shard_of(&self, key: &str) -> usize {
        let h = self.hasher.hash_one(key);
        ((h ^ (h >> 29)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - SHARD_BITS)) as usize
    }

    /// Shard `i`, copied first if a copy of the table still holds it. The shard array itself
    /// is shared with copies too: `make_mut` copies it (SHARDS pointers) the first time.
    fn shard_mut(&mut self, i: usize) -> &mut Shard {
        Arc::make_mut(&mut Arc::make_mut(&mut self.shards)[i])
    }

    /// The number of entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The node at `key`.
    pub fn get(&self, key: &str) -> Option<&Arc<DataNode>> {
        self.shards[self.shard_of(key)].get(key)
    }

    /// The stored key and node at `key`.
    pub fn get_key_value(&self, key: &str) -> Option<(&str, &Arc<DataNode>)> {
        self.shards[self.shard_of(key)]
            .get_key_value(key)
            .map(|(k, n)| (&**k, n))
    }

    /// The node at `key`, to change (through `Arc::make_mut`, which copies a node a copy of
    /// the table still holds).
    pub fn get_mut(&mut self, key: &str) -> Option<&mut Arc<DataNode>> {
        let i = self.shard_of(key);
        // Look first, so a miss does not copy a shard.
        if !self.shards[i].contains_key(key) {
            return None;
        }
        self.shard_mut(i).get_mut(key)
    }

    /// Stores `node` at `key`, returning the node it replaces.
    pub fn insert(&mut self, key: Arc<str>, node: Arc<DataNode>) -> Option<Arc<DataNode>> {
        let i = self.shard_of(&key);
        let old = self.shard_mut(i).insert(key, node);
        if old.is_none() {
            self.len += 1;
        }
        old
    }

    /// Removes `key`, returning its node.
    pub fn remove(&mut self, key: &str) -> Option<Arc<DataNode>> {
        let i = self.shard_of(key);
        if !self.shards[i].contains_key(key) {
            return None;
        }
        let old = self.shard_mut(i).remove(key);
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// Every entry, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (&Arc<str>, &Arc<DataNode>)> + '_ {
        self.shards.iter().flat_map(|s| s.iter())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ephemeral_type::EphemeralType;
    use zkrs_jute::StatPersisted;

    fn node(version: i32) -> Arc<DataNode> {
        let stat = StatPersisted {
            version,
            ..StatPersisted::default()
        };
        Arc::new(DataNode::new(None, -1, stat, EphemeralType::Void))
    }

    #[test]
    fn a_copy_keeps_its_state_while_the_original_changes() {
        let mut m = NodeMap::new();
        for i in 0..10_000 {
            m.insert(Arc::from(format!("/n{i}").as_str()), node(i));
        }
        let copy = m.clone();
        for i in 0..5_000 {
            Arc::make_mut(m.get_mut(&format!("/n{i}")).unwrap())
                .stat
                .version = -i;
        }
        for i in 5_000..6_000 {
            m.remove(&format!("/n{i}"));
        }
        m.insert(Arc::from("/new"), node(7));
        assert_eq!((m.len(), copy.len()), (9_001, 10_000));
        for i in 0..10_000 {
            let key = format!("/n{i}");
            assert_eq!(copy.get(&key).unwrap().stat.version, i);
            match m.get(&key) {
                Some(n) if i < 5_000 => assert_eq!(n.stat.version, -i),
                Some(n) => assert_eq!((i >= 6_000, n.stat.version), (true, i)),
                None => assert!((5_000..6_000).contains(&i)),
            }
        }
        assert!(copy.get("/new").is_none());
        assert_eq!(m.iter().count(), 9_001);
        assert_eq!(copy.iter().count(), 10_000);
    }

    #[test]
    fn a_shard_copy_shares_its_keys() {
        let mut m = NodeMap::new();
        for i in 0..1_000 {
            m.insert(Arc::from(format!("/n{i}").as_str()), node(i));
        }
        let copy = m.clone();
        // Copies every shard (1,000 keys over 4,096 shards: every non-empty one).
        for i in 0..1_000 {
            Arc::make_mut(m.get_mut(&format!("/n{i}")).unwrap())
                .stat
                .version = -1;
        }
        let originals: HashMap<&str, &Arc<str>> = copy.iter().map(|(k, _)| (&**k, k)).collect();
        for (k, _) in m.iter() {
            assert!(
                Arc::ptr_eq(k, originals[&**k]),
                "{k} was copied, not shared"
            );
        }
    }

    #[test]
    fn misses_do_not_copy_shards() {
        let mut m = NodeMap::new();
        m.insert(Arc::from("/a"), node(1));
        let copy = m.clone();
        assert!(m.get_mut("/b").is_none());
        assert!(m.remove("/b").is_none());
        assert!(Arc::ptr_eq(&m.shards, &copy.shards));
        assert_eq!(m.len(), 1);
    }

    #[test]
    fn the_shards_are_balanced() {
        let m = NodeMap::new();
        let mut counts = vec![0usize; SHARDS];
        for i in 0..(SHARDS * 16) {
            counts[m.shard_of(&format!("/bench/keys-100/k{i:010}"))] += 1;
        }
        let max = counts.iter().copied().max().unwrap_or(0);
        assert!(max < 64, "a shard got {max} of an average 16");
    }
}
