//! [`AclCache`]: `ReferenceCountedACLCache`, the table that lets every znode store its ACL as one
//! `long`.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use zkrs_jute::perms;
use zkrs_jute::Acl;

/// The reference of `OPEN_ACL_UNSAFE` that is never stored in the cache (`OPEN_UNSAFE_ACL_ID`).
/// Only the built-in nodes carry it; a create with an open ACL gets a normal, stored reference.
pub const OPEN_UNSAFE_ACL_ID: i64 = -1;

/// ZooKeeper's reference-counted ACL cache.
///
/// - [`AclCache::convert`] interns a list and adds one usage; references are 1-based and increase
///   (`aclIndex`), and a list whose last usage went away gets a fresh reference next time.
/// - Lists are compared in order, entry by entry (Java `List.equals`).
/// - `-1` always means `OPEN_ACL_UNSAFE` and is never stored or counted.
///
/// Lists are kept as `Arc<[Acl]>` so watch events can carry a node's ACL without copying it.
#[derive(Debug, Clone)]
pub struct AclCache {
    by_ref: BTreeMap<i64, Entry>,
    by_acl: HashMap<Arc<[Acl]>, i64>,
    index: i64,
    open: Arc<[Acl]>,
    deny: Arc<[Acl]>,
}

#[derive(Debug, Clone)]
struct Entry {
    acl: Arc<[Acl]>,
    count: i64,
}

impl Default for AclCache {
    fn default() -> Self {
        Self::new()
    }
}

impl AclCache {
    /// An empty cache (`aclIndex` 0).
    pub fn new() -> Self {
        AclCache {
            by_ref: BTreeMap::new(),
            by_acl: HashMap::new(),
            index: 0,
            open: Arc::from(perms::open_acl_unsafe()),
            // Read-nothing list returned for a dangling reference (ZooKeeper throws there): with no
            // entry granting any permission, every ACL check fails.
            deny: Arc::from(vec![Acl::new(0, "world", "anyone")]),
        }
    }

    /// `convertAcls`: the reference for `acl`, interning it if new, and one more usage.
    pub fn convert(&mut self, acl: &[Acl]) -> i64 {
        let r = match self.by_acl.get(acl) {
            Some(&r) => r,
            None => {
                self.index += 1;
                let r = self.index;
                let shared: Arc<[Acl]> = Arc::from(acl);
                self.by_acl.insert(shared.clone(), r);
                self.by_ref.insert(
                    r,
                    Entry {
                        acl: shared,
                        count: 0,
                    },
                );
                r
            }
        };
        self.add_usage(r);
        r
    }

    /// `convertLong`: the list for a reference; `-1` is `OPEN_ACL_UNSAFE`. ZooKeeper throws for an
    /// unknown reference (only possible with a corrupt snapshot); this returns a list granting
    /// nothing (`[0, world:anyone]`) so that every ACL check on such a node fails.
    pub fn get(&self, acl_ref: i64) -> &[Acl] {
        self.get_shared(acl_ref)
    }

    /// [`AclCache::get`] as a shared pointer.
    pub fn get_shared(&self, acl_ref: i64) -> &Arc<[Acl]> {
        if acl_ref == OPEN_UNSAFE_ACL_ID {
            return &self.open;
        }
        match self.by_ref.get(&acl_ref) {
            Some(e) => &e.acl,
            None => &self.deny,
        }
    }

    /// Whether `acl_ref` is `-1` or a stored reference.
    pub fn contains(&self, acl_ref: i64) -> bool {
        acl_ref == OPEN_UNSAFE_ACL_ID || self.by_ref.contains_key(&acl_ref)
    }

    /// `addUsage`: one more usage of a stored reference; `-1` and unknown references are ignored.
    pub fn add_usage(&mut self, acl_ref: i64) {
        if acl_ref == OPEN_UNSAFE_ACL_ID {
            return;
        }
        if let Some(e) = self.by_ref.get_mut(&acl_ref) {
            e.count += 1;
        }
    }

    /// `removeUsage`: one usage less; at zero the list is dropped from the cache.
    pub fn remove_usage(&mut self, acl_ref: i64) {
        if acl_ref == OPEN_UNSAFE_ACL_ID {
            return;
        }
        let Some(e) = self.by_ref.get_mut(&acl_ref) else {
            return;
        };
        e.count -= 1;
        if e.count <= 0 {
            if let Some(e) = self.by_ref.remove(&acl_ref) {
                self.by_acl.remove(&e.acl);
            }
        }
    }

    /// `purgeUnused`: drops every list with no usage (after loading a snapshot).
    pub fn purge_unused(&mut self) {
        let unused: Vec<i64> = self
            .by_ref
            .iter()
            .filter(|(_, e)| e.count <= 0)
            .map(|(&r, _)| r)
            .collect();
        for r in unused {
            if let Some(e) = self.by_ref.remove(&r) {
                self.by_acl.remove(&e.acl);
            }
        }
    }

    /// Loads one entry of a snapshot's ACL map (`deserialize`): stored with count 0, and
    /// `aclIndex` raised to at least `acl_ref`. Usages are added as the nodes are read.
    pub fn insert_from_snapshot(&mut self, acl_ref: i64, acl: Vec<Acl>) {
        if self.index < acl_ref {
            self.index = acl_ref;
        }
        let shared: Arc<[Acl]> = Arc::from(acl);
        if let Some(old) = self.by_ref.insert(
            acl_ref,
            Entry {
                acl: shared.clone(),
                count: 0,
            },
        ) {
            if self.by_acl.get(&old.acl) == Some(&acl_ref) {
                self.by_acl.remove(&old.acl);
            }
        }
        self.by_acl.insert(shared, acl_ref);
    }

    /// The stored lists in reference order, for writing a snapshot (`serialize`; ZooKeeper writes
    /// HashMap order, which readers do not depend on).
    pub fn iter(&self) -> impl Iterator<Item = (i64, &[Acl])> + '_ {
        self.by_ref.iter().map(|(&r, e)| (r, &*e.acl))
    }

    /// The usage count of a reference (0 if unknown).
    pub fn usage(&self, acl_ref: i64) -> i64 {
        self.by_ref.get(&acl_ref).map_or(0, |e| e.count)
    }

    /// `size()`: the number of stored lists.
    pub fn len(&self) -> usize {
        self.by_acl.len()
    }

    /// No stored list.
    pub fn is_empty(&self) -> bool {
        self.by_acl.is_empty()
    }

    /// `aclIndex`: the last reference handed out.
    pub fn last_index(&self) -> i64 {
        self.index
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read() -> Vec<Acl> {
        perms::read_acl_unsafe()
    }

    #[test]
    fn refs_are_one_based_and_increase() {
        let mut c = AclCache::new();
        assert_eq!(c.convert(&read()), 1);
        assert_eq!(c.convert(&perms::open_acl_unsafe()), 2);
        assert_eq!(c.convert(&read()), 1);
        assert_eq!(c.usage(1), 2);
        assert_eq!(c.usage(2), 1);
        assert_eq!(c.len(), 2);
        assert_eq!(c.get(1), &read()[..]);
        assert_eq!(c.get(-1), &perms::open_acl_unsafe()[..]);
    }

    #[test]
    fn zero_usage_drops_and_renumbers() {
        let mut c = AclCache::new();
        let r = c.convert(&read());
        c.remove_usage(r);
        assert_eq!(c.len(), 0);
        assert!(!c.contains(r));
        // Same list again: a fresh reference.
        assert_eq!(c.convert(&read()), 2);
        assert_eq!(c.last_index(), 2);
    }

    #[test]
    fn open_ref_is_never_counted() {
        let mut c = AclCache::new();
        c.add_usage(-1);
        c.remove_usage(-1);
        c.add_usage(77);
        c.remove_usage(77);
        assert!(c.is_empty());
        assert!(c.contains(-1));
    }

    #[test]
    fn order_matters() {
        let mut c = AclCache::new();
        let a = Acl::new(1, "world", "anyone");
        let b = Acl::new(31, "digest", "u:x");
        let r1 = c.convert(&[a.clone(), b.clone()]);
        let r2 = c.convert(&[b, a]);
        assert_ne!(r1, r2);
    }

    #[test]
    fn dangling_ref_denies() {
        let c = AclCache::new();
        let acl = c.get(5);
        assert_eq!(acl.len(), 1);
        assert_eq!(acl[0].perms, 0);
    }

    #[test]
    fn snapshot_load_and_purge() {
        let mut c = AclCache::new();
        c.insert_from_snapshot(3, read());
        c.insert_from_snapshot(7, perms::open_acl_unsafe());
        assert_eq!(c.last_index(), 7);
        c.add_usage(7);
        c.purge_unused();
        assert!(!c.contains(3));
        assert!(c.contains(7));
        assert_eq!(c.convert(&read()), 8);
        assert_eq!(c.convert(&perms::open_acl_unsafe()), 7);
        let refs: Vec<i64> = c.iter().map(|(r, _)| r).collect();
        assert_eq!(refs, vec![7, 8]);
    }
}
