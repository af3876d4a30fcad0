//! [`SnapshotOrder`]: the order of sessions, ACL lists and children in a written snapshot.
//!
//! Readers do not depend on any of these orders (only parents must precede children, which
//! pre-order guarantees). ZooKeeper writes them in `HashMap`/`HashSet` iteration order, which
//! depends on Java's hash functions, the table capacity and, within one bucket, insertion
//! order. [`SnapshotOrder::Sorted`] (the default) is deterministic and simple;
//! [`SnapshotOrder::Java`] reproduces ZooKeeper's order where it can be computed, which is what
//! makes a byte-identical rewrite of a ZooKeeper snapshot possible:
//!
//! - children: `HashSet<String>` created as `new HashSet<>(8)` by `DataNode.addChild` and grown
//!   by adds. Its capacity depends on the **most** children the node ever had (tables never
//!   shrink), which the tree does not record: the capacity is computed from the current count
//!   unless [`JavaHashOrder::child_capacity`] gives it for a path.
//! - sessions and ACL lists: `new HashMap<>(map)` copies (`SerializeUtils.serializeSnapshot`,
//!   `ReferenceCountedACLCache.serialize`), whose capacity follows from the size (JDK 17 rule:
//!   `tableSizeFor((int)(n / 0.75f + 1))`; JDK 19+ rounds differently for some sizes).
//! - within one bucket, Java keeps insertion order, which is unknown here: ties are broken by
//!   name / id. Treeified buckets (8+ collisions in a table of 64+) are not modelled.

use std::collections::BTreeMap;

use zkrs_jute::Acl;

/// How a snapshot orders its unordered collections.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SnapshotOrder {
    /// Sessions by id, ACL lists by reference, children by name.
    #[default]
    Sorted,
    /// ZooKeeper's hash-table iteration order (see the module documentation).
    Java(JavaHashOrder),
}

/// Settings for [`SnapshotOrder::Java`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JavaHashOrder {
    /// The table capacity of a node's children set, by node path (`""` for the root), for nodes
    /// whose set once held more children than it does now.
    pub child_capacity: BTreeMap<String, usize>,
}

/// `String.hashCode`: over UTF-16 code units, `h = 31 * h + c`, wrapping.
pub fn java_string_hash(s: &str) -> i32 {
    s.encode_utf16()
        .fold(0i32, |h, c| h.wrapping_mul(31).wrapping_add(i32::from(c)))
}

/// `Long.hashCode`: `(int) (v ^ (v >>> 32))`.
pub fn java_long_hash(v: i64) -> i32 {
    let u = v as u64;
    (u ^ (u >> 32)) as u32 as i32
}

/// `HashMap.hash` + index: `(h ^ (h >>> 16)) & (capacity - 1)`.
pub fn java_bucket(hash: i32, capacity: usize) -> usize {
    let h = hash as u32;
    ((h ^ (h >> 16)) as usize) & (capacity.max(1) - 1)
}

/// The capacity of `new HashSet<>(8)` after `n` adds (no removal).
pub fn hash_set_capacity(n: usize) -> usize {
    let mut cap = 8usize;
    while n > cap / 4 * 3 {
        cap *= 2;
    }
    cap
}

/// The capacity of `new HashMap<>(m)` for a map of `n` entries (JDK 17 `putMapEntries`).
pub fn hash_map_copy_capacity(n: usize) -> usize {
    let ft = n as f32 / 0.75f32 + 1.0f32;
    let t = if ft < (1u32 << 30) as f32 {
        ft as usize
    } else {
        1 << 30
    };
    t.max(1).next_power_of_two()
}

impl SnapshotOrder {
    pub(crate) fn order_sessions(&self, sessions: &mut [(i64, i32)]) {
        sessions.sort_unstable();
        if let SnapshotOrder::Java(_) = self {
            let cap = hash_map_copy_capacity(sessions.len());
            sessions.sort_by_key(|(id, _)| java_bucket(java_long_hash(*id), cap));
        }
    }

    pub(crate) fn order_acls(&self, acls: &mut [(i64, &[Acl])]) {
        acls.sort_unstable_by_key(|(r, _)| *r);
        if let SnapshotOrder::Java(_) = self {
            let cap = hash_map_copy_capacity(acls.len());
            acls.sort_by_key(|(r, _)| java_bucket(java_long_hash(*r), cap));
        }
    }

    pub(crate) fn order_children(&self, parent: &str, children: &mut [&str]) {
        children.sort_unstable();
        if let SnapshotOrder::Java(j) = self {
            let cap = j
                .child_capacity
                .get(parent)
                .copied()
                .unwrap_or_else(|| hash_set_capacity(children.len()))
                .max(1)
                .next_power_of_two();
            children.sort_by_key(|c| java_bucket(java_string_hash(c), cap));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn java_hashes() {
        assert_eq!(java_string_hash(""), 0);
        assert_eq!(java_string_hash("a"), 97);
        // "hello".hashCode() = 99162322
        assert_eq!(java_string_hash("hello"), 99_162_322);
        // Overflow wraps: "polygenelubricants".hashCode() == Integer.MIN_VALUE
        assert_eq!(java_string_hash("polygenelubricants"), i32::MIN);
        assert_eq!(java_long_hash(1), 1);
        assert_eq!(java_long_hash(-1), 0);
        assert_eq!(java_long_hash(0x1_0000_0002), 3);
    }

    #[test]
    fn capacities() {
        assert_eq!(hash_set_capacity(0), 8);
        assert_eq!(hash_set_capacity(6), 8);
        assert_eq!(hash_set_capacity(7), 16);
        assert_eq!(hash_set_capacity(12), 16);
        assert_eq!(hash_set_capacity(13), 32);
        assert_eq!(hash_map_copy_capacity(1), 2);
        assert_eq!(hash_map_copy_capacity(3), 8);
        assert_eq!(hash_map_copy_capacity(4), 8);
        assert_eq!(hash_map_copy_capacity(12), 32);
    }

    #[test]
    fn golden_child_order() {
        // snapshot.bin (ZooKeeper 3.8.0): /golden's set reached 14 children (capacity 32).
        let mut kids = vec![
            "c2",
            "nulldata",
            "pseq-0000000004",
            "acl",
            "container",
            "ttl",
            "eph-b",
            "w",
            "m1",
            "missing",
        ];
        let mut caps = BTreeMap::new();
        caps.insert("/golden".to_owned(), 32);
        SnapshotOrder::Java(JavaHashOrder {
            child_capacity: caps,
        })
        .order_children("/golden", &mut kids);
        assert_eq!(
            kids,
            [
                "container",
                "m1",
                "acl",
                "ttl",
                "c2",
                "eph-b",
                "pseq-0000000004",
                "nulldata",
                "w",
                "missing"
            ]
        );
    }
}
