//! [`SnapshotView`]: what a snapshot writer needs from a [`crate::DataTree`], frozen at one zxid.

use crate::acl_cache::AclCache;
use crate::data_node::DataNode;
use crate::data_tree::{PreorderIter, ZxidDigest};
use crate::node_map::NodeMap;

/// The nodes and ACL cache of a tree at its lastProcessedZxid, taken with
/// [`crate::DataTree::view`]. It shares the node table with the live tree, so taking it costs no
/// copy of the znodes, and it is `Send`: the snapshot thread serializes it while the tree goes
/// on changing (each change copies only what it touches). Unlike ZooKeeper's fuzzy snapshot,
/// the result is exactly the state after one zxid.
#[derive(Debug, Clone)]
pub struct SnapshotView {
    nodes: NodeMap,
    acl_cache: AclCache,
    last_processed_zxid: i64,
    last_zxid_digest: Option<ZxidDigest>,
    digest: i64,
}

impl SnapshotView {
    pub(crate) fn new(
        nodes: NodeMap,
        acl_cache: AclCache,
        last_processed_zxid: i64,
        last_zxid_digest: Option<ZxidDigest>,
        digest: i64,
    ) -> Self {
        SnapshotView {
            nodes,
            acl_cache,
            last_processed_zxid,
            last_zxid_digest,
            digest,
        }
    }

    /// The node at `path` (`"/"` and `""` are the root).
    pub fn node(&self, path: &str) -> Option<&DataNode> {
        let key = if path == "/" { "" } else { path };
        self.nodes.get(key).map(|n| &**n)
    }

    /// The ACL cache.
    pub fn acl_cache(&self) -> &AclCache {
        &self.acl_cache
    }

    /// The tree's `lastProcessedZxid` when the view was taken.
    pub fn last_processed_zxid(&self) -> i64 {
        self.last_processed_zxid
    }

    /// The tree's `lastProcessedZxidDigest` when the view was taken.
    pub fn last_processed_zxid_digest(&self) -> Option<ZxidDigest> {
        self.last_zxid_digest
    }

    /// The tree digest when the view was taken.
    pub fn digest(&self) -> i64 {
        self.digest
    }

    /// The number of znodes (the root once).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether there is no node at all (never for a view of a real tree, which has the root).
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Every node in pre-order, as [`crate::DataTree::iter_preorder`].
    pub fn iter_preorder(&self) -> PreorderIter<'_> {
        PreorderIter::new(&self.nodes)
    }
}
