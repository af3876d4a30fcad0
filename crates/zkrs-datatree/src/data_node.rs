//! [`DataNode`]: one znode (`server/DataNode.java`).

use std::sync::LazyLock;

use bytes::Bytes;
use zkrs_jute::{Stat, StatPersisted};

use crate::child_set::ChildSet;
use crate::ephemeral_type::EphemeralType;

/// One znode: its data, ACL reference, persisted stat and child names.
///
/// Children are kept sorted (ZooKeeper uses a `HashSet`, whose order is unspecified), so child
/// lists and snapshots are deterministic. The child set is persistent ([`ChildSet`]): copying a
/// node that a snapshot still holds (to change it) is O(1) even with 100,000s of children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataNode {
    /// The data; `None` is Java's `null` (a create with null data), which snapshots write as -1.
    pub data: Option<Bytes>,
    /// The [`crate::AclCache`] reference; -1 is `OPEN_ACL_UNSAFE`.
    pub acl: i64,
    /// The 60-byte persisted stat. `cversion` here is the number of creates of children.
    pub stat: StatPersisted,
    /// `None` when there is no child: most znodes are leaves, and an empty set would still take
    /// 32 bytes in every node.
    children: Option<Box<ChildSet>>,
    /// `EphemeralType::get(stat.ephemeral_owner)` under the tree's `extendedTypesEnabled`.
    pub(crate) kind: EphemeralType,
    /// This node's contribution to the tree digest (`DataNode.digest`), kept current by the tree.
    pub(crate) digest: i64,
}

impl DataNode {
    /// A node without children.
    pub fn new(data: Option<Bytes>, acl: i64, stat: StatPersisted, kind: EphemeralType) -> Self {
        DataNode {
            data,
            acl,
            stat,
            children: None,
            kind,
            digest: 0,
        }
    }

    /// The child names, sorted.
    pub fn children(&self) -> impl ExactSizeIterator<Item = &str> + DoubleEndedIterator + '_ {
        self.child_set().iter()
    }

    /// Whether `name` is a child.
    pub fn has_child(&self, name: &str) -> bool {
        self.child_set().contains(name)
    }

    /// The number of children.
    pub fn num_children(&self) -> usize {
        self.children.as_ref().map_or(0, |s| s.len())
    }

    /// This node's contribution to the tree digest (`DataNode.getDigest`), as the tree keeps it:
    /// [`crate::digest::node_digest`] of its path, data and stat, or 0 when the tree's digest is
    /// disabled.
    pub fn digest(&self) -> i64 {
        self.digest
    }

    /// The data length (`data == null ? 0 : data.length`).
    pub fn data_len(&self) -> usize {
        self.data.as_ref().map_or(0, Bytes::len)
    }

    /// The node's kind (from `ephemeralOwner`).
    pub fn ephemeral_type(&self) -> EphemeralType {
        self.kind
    }

    /// The stat a client sees (`DataNode.copyStat`):
    /// `cversion = stored * 2 - numChildren` (creates + deletes), `dataLength`, `numChildren`, and
    /// `ephemeralOwner` only for NORMAL ephemerals (containers and TTL nodes show 0).
    pub fn client_stat(&self) -> Stat {
        let s = &self.stat;
        let num_children = self.children.as_ref().map_or(0, |s| s.len()) as i32;
        Stat {
            czxid: s.czxid,
            mzxid: s.mzxid,
            ctime: s.ctime,
            mtime: s.mtime,
            version: s.version,
            cversion: s.cversion.wrapping_mul(2).wrapping_sub(num_children),
            aversion: s.aversion,
            ephemeral_owner: self.kind.client_ephemeral_owner(s.ephemeral_owner),
            data_length: self.data_len() as i32,
            num_children,
            pzxid: s.pzxid,
        }
    }

    pub(crate) fn add_child(&mut self, name: &str) -> bool {
        self.children.get_or_insert_with(Box::default).insert(name)
    }

    pub(crate) fn remove_child(&mut self, name: &str) -> bool {
        let Some(set) = self.children.as_mut() else {
            return false;
        };
        let removed = set.remove(name);
        if set.is_empty() {
            self.children = None;
        }
        removed
    }

    /// The child names (an empty set for a leaf).
    pub(crate) fn child_set(&self) -> &ChildSet {
        static EMPTY: LazyLock<ChildSet> = LazyLock::new(ChildSet::new);
        self.children.as_deref().unwrap_or(&EMPTY)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(owner: i64, kind: EphemeralType) -> DataNode {
        DataNode::new(
            Some(Bytes::from_static(b"abc")),
            -1,
            StatPersisted {
                czxid: 1,
                mzxid: 2,
                ctime: 3,
                mtime: 4,
                version: 5,
                cversion: 3,
                aversion: 7,
                ephemeral_owner: owner,
                pzxid: 9,
            },
            kind,
        )
    }

    #[test]
    fn copy_stat() {
        let mut n = node(0x55, EphemeralType::Normal);
        n.add_child("b");
        n.add_child("a");
        assert!(!n.add_child("a"));
        let s = n.client_stat();
        assert_eq!(s.cversion, 3 * 2 - 2);
        assert_eq!(s.num_children, 2);
        assert_eq!(s.data_length, 3);
        assert_eq!(s.ephemeral_owner, 0x55);
        assert_eq!((s.czxid, s.mzxid, s.ctime, s.mtime), (1, 2, 3, 4));
        assert_eq!((s.version, s.aversion, s.pzxid), (5, 7, 9));
        assert_eq!(n.children().collect::<Vec<_>>(), vec!["a", "b"]);
        assert!(n.remove_child("a"));
        assert!(!n.remove_child("a"));
        assert_eq!(n.client_stat().cversion, 5);
    }

    #[test]
    fn container_owner_hidden() {
        let n = node(i64::MIN, EphemeralType::Container);
        assert_eq!(n.client_stat().ephemeral_owner, 0);
        let mut n = node(0, EphemeralType::Void);
        n.data = None;
        assert_eq!(n.client_stat().data_length, 0);
    }
}
