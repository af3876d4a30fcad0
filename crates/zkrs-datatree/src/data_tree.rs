//! [`DataTree`]: the znode tree and everything `server/DataTree.java` keeps beside it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use zkrs_jute::{
    perms, Acl, AddWatchMode, ErrorCode, EventType, OpCode, Stat, StatPersisted, TxnBody,
    TxnHeader, WatcherType,
};

use crate::acl_cache::{AclCache, OPEN_UNSAFE_ACL_ID};
use crate::data_node::DataNode;
use crate::digest::node_digest;
use crate::ephemeral_type::{EphemeralType, CONTAINER_EPHEMERAL_OWNER};
use crate::node_map::NodeMap;
use crate::path::{
    self, java_len, java_substring_from, CONFIG_NODE, PROC_ZOOKEEPER, QUOTA_ZOOKEEPER,
};
use crate::quota::{self, QuotaPaths, StatsTrack, LIMIT_NODE, STAT_NODE};
use crate::snapshot_view::SnapshotView;
use crate::tree_metrics::TreeMetrics;
use crate::txn_result::ProcessTxnResult;
use crate::watch_event::WatchEvent;
use crate::watch_manager::{WatchManager, WatcherMode};
use crate::watch_model::WatchModel;
use crate::watch_summary::WatchSummary;
use crate::WatcherId;

/// Server settings that change how the tree reads its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TreeConfig {
    /// `zookeeper.extendedTypesEnabled` (default false): whether `0xff…` owners are TTL nodes.
    pub extended_types_enabled: bool,
    /// `zookeeper.digest.enabled` (default true): with false, [`DataTree::digest`] is always 0.
    pub digest_enabled: bool,
    /// The watch-table rules (default [`WatchModel::Combined`], 3.9; a 3.8 server uses
    /// [`WatchModel::Single`]).
    pub watch_model: WatchModel,
}

impl Default for TreeConfig {
    fn default() -> Self {
        TreeConfig {
            extended_types_enabled: false,
            digest_enabled: true,
            watch_model: WatchModel::Combined,
        }
    }
}

/// A node read from a snapshot, for [`DataTree::from_snapshot`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotNode {
    /// The node path; `""` for the root.
    pub path: String,
    /// The data (`None` = a -1 length).
    pub data: Option<Bytes>,
    /// The ACL reference.
    pub acl: i64,
    /// The persisted stat.
    pub stat: StatPersisted,
}

/// Why a snapshot could not be turned into a tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SnapshotError {
    /// A node came before its parent (ZooKeeper: "Invalid Datatree, unable to find parent").
    MissingParent {
        /// The node.
        path: String,
        /// Its parent.
        parent: String,
    },
    /// The first node was not the root `""`.
    MissingRoot,
}

impl std::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SnapshotError::MissingParent { path, parent } => write!(
                f,
                "Invalid Datatree, unable to find parent {parent} of path {path}"
            ),
            SnapshotError::MissingRoot => write!(f, "Invalid Datatree, no root node"),
        }
    }
}

impl std::error::Error for SnapshotError {}

#[derive(Clone, Copy)]
enum Table {
    Data,
    Child,
}

/// ZooKeeper's `DataTree`: znodes by path, plus the ephemeral/container/TTL indexes, the ACL
/// cache, the two watch tables, quota tracking and the incremental digest.
///
/// The root is stored once under `""`; every lookup maps `"/"` to it, as ZooKeeper's alias does.
/// All changes come through [`DataTree::process_txn`]; reads may register watches. Fired watches
/// are queued and taken with [`DataTree::take_watch_events`].
#[derive(Debug, Clone)]
pub struct DataTree {
    config: TreeConfig,
    nodes: NodeMap,
    acl_cache: AclCache,
    ephemerals: BTreeMap<i64, BTreeSet<String>>,
    containers: BTreeSet<String>,
    ttls: BTreeSet<String>,
    quotas: QuotaPaths,
    data_watches: WatchManager,
    child_watches: WatchManager,
    events: Vec<WatchEvent>,
    digest: i64,
    data_size: i64,
    last_processed_zxid: i64,
    last_zxid_digest: Option<ZxidDigest>,
    digest_log: VecDeque<ZxidDigest>,
    metrics: TreeMetrics,
}

/// `DataTree.ZxidDigest`: the tree digest right after a txn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZxidDigest {
    /// The txn's zxid.
    pub zxid: i64,
    /// [`crate::digest::DIGEST_VERSION`].
    pub digest_version: i32,
    /// The tree digest after the txn.
    pub digest: i64,
}

/// `DataTree.DIGEST_LOG_INTERVAL`: a digest is logged for zxids that are multiples of this.
pub const DIGEST_LOG_INTERVAL: i64 = 128;
/// `DataTree.DIGEST_LOG_LIMIT`: the most digests kept in the log.
pub const DIGEST_LOG_LIMIT: usize = 1024;

impl Default for DataTree {
    fn default() -> Self {
        Self::new()
    }
}

/// The map key of a path: `"/"` is stored as `""`.
fn key(path: &str) -> &str {
    if path == "/" {
        ""
    } else {
        path
    }
}

fn split_parent(path: &str) -> Option<(&str, &str)> {
    let i = path.rfind('/')?;
    Some((&path[..i], &path[i + 1..]))
}

impl DataTree {
    /// An empty tree with default settings: `/`, `/zookeeper`, `/zookeeper/quota` and
    /// `/zookeeper/config` (READ_ACL_UNSAFE as ACL reference 1, aversion -1), all with empty data
    /// and zeroed stats, as the `DataTree` constructor builds them.
    pub fn new() -> Self {
        Self::with_config(TreeConfig::default())
    }

    /// An empty tree with the given settings.
    pub fn with_config(config: TreeConfig) -> Self {
        let mut t = Self::bare(config);
        let empty = || Some(Bytes::new());
        t.insert_node(
            "",
            DataNode::new(empty(), -1, StatPersisted::default(), EphemeralType::Void),
        );
        t.insert_node(
            PROC_ZOOKEEPER,
            DataNode::new(empty(), -1, StatPersisted::default(), EphemeralType::Void),
        );
        t.with_node("", |n| {
            n.add_child("zookeeper");
        });
        t.insert_node(
            QUOTA_ZOOKEEPER,
            DataNode::new(empty(), -1, StatPersisted::default(), EphemeralType::Void),
        );
        t.with_node(PROC_ZOOKEEPER, |n| {
            n.add_child("quota");
        });
        t.add_config_node();
        t.data_size = t.compute_approximate_data_size();
        t
    }

    fn bare(config: TreeConfig) -> Self {
        DataTree {
            config,
            nodes: NodeMap::new(),
            acl_cache: AclCache::new(),
            ephemerals: BTreeMap::new(),
            containers: BTreeSet::new(),
            ttls: BTreeSet::new(),
            quotas: QuotaPaths::default(),
            data_watches: WatchManager::with_model(config.watch_model),
            child_watches: WatchManager::with_model(config.watch_model),
            events: Vec::new(),
            digest: 0,
            data_size: 0,
            last_processed_zxid: 0,
            last_zxid_digest: None,
            digest_log: VecDeque::new(),
            metrics: TreeMetrics::default(),
        }
    }

    /// `addConfigNode`: `/zookeeper/config` with READ_ACL_UNSAFE and aversion -1.
    fn add_config_node(&mut self) {
        self.with_node(PROC_ZOOKEEPER, |n| {
            n.add_child("config");
        });
        self.insert_node(
            CONFIG_NODE,
            DataNode::new(
                Some(Bytes::new()),
                -1,
                StatPersisted::default(),
                EphemeralType::Void,
            ),
        );
        let _ = self.set_acl(CONFIG_NODE, &perms::read_acl_unsafe(), -1);
    }

    /// The settings.
    pub fn config(&self) -> TreeConfig {
        self.config
    }

    /// Switches the watch-table rules (for a tree restored from a snapshot before any connection
    /// exists). Every watch is dropped and no pending event is kept.
    pub fn set_watch_model(&mut self, model: WatchModel) {
        self.config.watch_model = model;
        self.data_watches = WatchManager::with_model(model);
        self.child_watches = WatchManager::with_model(model);
        self.events.clear();
    }

    // ----------------------------------------------------------------------------------------
    // Node storage with digest maintenance (NodeHashMapImpl).

    fn compute_digest(&self, path: &str, node: &DataNode) -> i64 {
        if self.config.digest_enabled {
            node_digest(path, node.data.as_deref(), &node.stat)
        } else {
            0
        }
    }

    /// `nodes.put` for a new path: stores the node and adds its digest.
    fn insert_node(&mut self, path: &str, mut node: DataNode) {
        node.digest = self.compute_digest(path, &node);
        self.digest = self.digest.wrapping_add(node.digest);
        if let Some(old) = self.nodes.insert(Arc::from(path), Arc::new(node)) {
            self.digest = self.digest.wrapping_sub(old.digest);
        }
    }

    /// `preChange`/change/`postChange` on an existing node. Returns `None` if there is no node.
    fn with_node<R>(&mut self, path: &str, f: impl FnOnce(&mut DataNode) -> R) -> Option<R> {
        let digest_enabled = self.config.digest_enabled;
        // Copies the node first if a snapshot still holds it.
        let node = Arc::make_mut(self.nodes.get_mut(key(path))?);
        let old = node.digest;
        let r = f(node);
        node.digest = if digest_enabled {
            node_digest(path, node.data.as_deref(), &node.stat)
        } else {
            0
        };
        self.digest = self.digest.wrapping_sub(old).wrapping_add(node.digest);
        Some(r)
    }

    // ----------------------------------------------------------------------------------------
    // Reads.

    /// The node at `path` (`"/"` and `""` are the root).
    pub fn node(&self, path: &str) -> Option<&DataNode> {
        self.nodes.get(key(path)).map(|n| &**n)
    }

    /// The client stat of `path`.
    pub fn stat(&self, path: &str) -> Option<Stat> {
        self.node(path).map(DataNode::client_stat)
    }

    /// The ACL list of a node (see [`AclCache::get`]).
    pub fn acl_of(&self, node: &DataNode) -> &[Acl] {
        self.acl_cache.get(node.acl)
    }

    /// The ACL list of a node as a shared pointer.
    pub fn acl_of_shared(&self, node: &DataNode) -> &Arc<[Acl]> {
        self.acl_cache.get_shared(node.acl)
    }

    /// `getData`: data and stat; with a watcher, a one-shot data watch is left, only if the node
    /// exists (a missing node gives NONODE and no watch).
    pub fn get_data(
        &mut self,
        path: &str,
        watcher: Option<WatcherId>,
    ) -> Result<(Option<Bytes>, Stat), ErrorCode> {
        self.get_data_checked(path, watcher, |_| Ok(()))
    }

    /// `getData` after an access check, with one lookup of the node: `check` sees the node's
    /// ACL first, and a refused read returns its error and leaves no watch (the order of
    /// `FinalRequestProcessor`: NONODE, then the READ check, then the read and the watch).
    pub fn get_data_checked(
        &mut self,
        path: &str,
        watcher: Option<WatcherId>,
        check: impl FnOnce(&[Acl]) -> Result<(), ErrorCode>,
    ) -> Result<(Option<Bytes>, Stat), ErrorCode> {
        let n = self.nodes.get(key(path)).ok_or(ErrorCode::NoNode)?;
        check(self.acl_cache.get(n.acl))?;
        let out = (n.data.clone(), n.client_stat());
        let read_bytes = n.data_len() as u64;
        if let Some(w) = watcher {
            self.data_watches.add_watch(path, w, WatcherMode::Standard);
        }
        self.metrics.read(path, read_bytes);
        Ok(out)
    }

    /// `statNode` (exists): the stat; with a watcher, a one-shot data watch is left **even when the
    /// node is missing** (then NONODE is returned after registering it).
    pub fn exists(&mut self, path: &str, watcher: Option<WatcherId>) -> Result<Stat, ErrorCode> {
        if let Some(w) = watcher {
            self.data_watches.add_watch(path, w, WatcherMode::Standard);
        }
        let stat = self.stat(path).ok_or(ErrorCode::NoNode)?;
        self.metrics.read(path, 0);
        Ok(stat)
    }

    /// `getChildren`: child names (sorted) and stat; with a watcher, a one-shot child watch is
    /// left, only if the node exists.
    pub fn get_children(
        &mut self,
        path: &str,
        watcher: Option<WatcherId>,
    ) -> Result<(Vec<String>, Stat), ErrorCode> {
        let n = self.nodes.get(key(path)).ok_or(ErrorCode::NoNode)?;
        let out: (Vec<String>, Stat) = (n.children().map(str::to_owned).collect(), n.client_stat());
        if let Some(w) = watcher {
            self.child_watches.add_watch(path, w, WatcherMode::Standard);
        }
        let names_len: usize = out.0.iter().map(|c| java_len(c)).sum();
        self.metrics.read(path, names_len as u64);
        Ok(out)
    }

    /// `getACL`: the ACL list and stat.
    pub fn get_acl(&self, path: &str) -> Result<(Vec<Acl>, Stat), ErrorCode> {
        let n = self.node(path).ok_or(ErrorCode::NoNode)?;
        Ok((self.acl_of(n).to_vec(), n.client_stat()))
    }

    /// `getAllChildrenNumber`: the number of descendants. For `"/"` it is `nodes.size() - 2`
    /// (every znode but the root). NONODE if the node does not exist (FinalRequestProcessor's check).
    pub fn get_all_children_number(&self, path: &str) -> Result<i32, ErrorCode> {
        if path == "/" {
            return Ok(self.node_count() as i32 - 2);
        }
        if path.is_empty() {
            // Every key starts with "/" except "" itself, and ZooKeeper also has the "/" alias.
            return Ok(self.nodes.len() as i32);
        }
        let n = self.node(path).ok_or(ErrorCode::NoNode)?;
        let mut count = 0i32;
        let mut stack: Vec<String> = n.children().map(|c| format!("{path}/{c}")).collect();
        while let Some(p) = stack.pop() {
            count += 1;
            if let Some(n) = self.nodes.get(p.as_str()) {
                stack.extend(n.children().map(|c| format!("{p}/{c}")));
            }
        }
        Ok(count)
    }

    /// `getEphemerals(sessionId)`: the session's ephemeral paths, sorted.
    pub fn ephemerals(&self, session_id: i64) -> Vec<String> {
        self.ephemerals
            .get(&session_id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// Sessions with their ephemeral paths (`getEphemerals()`, the `dump` 4lw), by session id. As in
    /// ZooKeeper a session whose ephemerals were all deleted one by one stays listed with an empty
    /// set until it is closed.
    pub fn sessions_with_ephemerals(&self) -> impl Iterator<Item = (i64, &BTreeSet<String>)> + '_ {
        self.ephemerals.iter().map(|(&s, p)| (s, p))
    }

    /// `getContainers`: container paths, sorted.
    pub fn containers(&self) -> Vec<String> {
        self.containers.iter().cloned().collect()
    }

    /// `getTtls`: TTL node paths, sorted.
    pub fn ttls(&self) -> Vec<String> {
        self.ttls.iter().cloned().collect()
    }

    /// `getEphemeralsCount`: ephemeral nodes over all sessions.
    pub fn ephemeral_count(&self) -> usize {
        self.ephemerals.values().map(BTreeSet::len).sum()
    }

    /// `getNodeCount`: ZooKeeper counts the root twice (`""` and `"/"`), so this is the number of
    /// znodes + 1; an empty server reports 5.
    pub fn node_count(&self) -> usize {
        self.nodes.len() + 1
    }

    /// `cachedApproximateDataSize` (mntr `zk_approximate_data_size`): path lengths (UTF-16 units)
    /// plus data lengths, maintained on create/delete/setData. Like ZooKeeper it starts from
    /// [`DataTree::compute_approximate_data_size`] and is not adjusted for quota stat updates.
    pub fn approximate_data_size(&self) -> i64 {
        self.data_size
    }

    /// `approximateDataSize`: the same sum recomputed over every entry, the root counted under both
    /// `""` and `"/"`.
    pub fn compute_approximate_data_size(&self) -> i64 {
        let mut total = 0i64;
        for (p, n) in self.nodes.iter() {
            total += (java_len(p) + n.data_len()) as i64;
        }
        if let Some(root) = self.nodes.get("") {
            total += 1 + root.data_len() as i64;
        }
        total
    }

    /// `getTreeDigest`: the wrapping sum of the node digests (0 when the digest is disabled).
    pub fn digest(&self) -> i64 {
        self.digest
    }

    /// The digest recomputed from scratch (for checks; [`DataTree::digest`] is incremental).
    pub fn compute_digest_from_scratch(&self) -> i64 {
        self.nodes
            .iter()
            .map(|(p, n)| self.compute_digest(p, n))
            .fold(0i64, i64::wrapping_add)
    }

    /// `logZxidDigest`, after every top-level txn.
    fn log_zxid_digest(&mut self, zxid: i64) {
        let zd = ZxidDigest {
            zxid,
            digest_version: crate::digest::DIGEST_VERSION,
            digest: self.digest,
        };
        self.last_zxid_digest = Some(zd);
        if zxid % DIGEST_LOG_INTERVAL == 0 {
            self.digest_log.push_back(zd);
            if self.digest_log.len() > DIGEST_LOG_LIMIT {
                self.digest_log.pop_front();
            }
        }
    }

    /// `lastProcessedZxidDigest`: (zxid, digest) after the last txn applied, written in the
    /// snapshot trailer; `None` before any txn (ZooKeeper then writes zxid 0, digest 0).
    pub fn last_processed_zxid_digest(&self) -> Option<ZxidDigest> {
        self.last_zxid_digest
    }

    /// `getDigestLog` (the `hash` command): the digests of zxids that are multiples of 128, oldest
    /// first, at most 1024.
    pub fn digest_log(&self) -> impl Iterator<Item = &ZxidDigest> + '_ {
        self.digest_log.iter()
    }

    /// `compareDigest`: whether a txn's digest matches the tree after applying the txn. A digest of
    /// another version is not compared (true); so is a missing one, or a disabled digest.
    pub fn digest_matches(&self, txn_digest: Option<&zkrs_jute::TxnDigest>) -> bool {
        match txn_digest {
            Some(d) if self.config.digest_enabled && d.version == crate::digest::DIGEST_VERSION => {
                d.tree_digest == self.digest
            }
            _ => true,
        }
    }

    /// The ACL cache.
    pub fn acl_cache(&self) -> &AclCache {
        &self.acl_cache
    }

    /// `lastProcessedZxid` (0 for a new tree).
    pub fn last_processed_zxid(&self) -> i64 {
        self.last_processed_zxid
    }

    /// Sets `lastProcessedZxid` (after loading a snapshot, or when a new leader starts an epoch).
    pub fn set_last_processed_zxid(&mut self, zxid: i64) {
        self.last_processed_zxid = zxid;
    }

    /// Every node in pre-order, parents before children, children in name order: the root as `""`
    /// first, then `/child`, `/child/grand`… This is the snapshot order.
    pub fn iter_preorder(&self) -> PreorderIter<'_> {
        PreorderIter::new(&self.nodes)
    }

    /// A frozen copy of the nodes and the ACL cache at [`DataTree::last_processed_zxid`], for a
    /// snapshot written on another thread. O(1) in the number of znodes (the node table is
    /// shared, see [`crate::node_map`]); the ACL cache, a few lists, is copied.
    pub fn view(&self) -> SnapshotView {
        SnapshotView::new(
            self.nodes.clone(),
            self.acl_cache.clone(),
            self.last_processed_zxid,
            self.last_zxid_digest,
            self.digest,
        )
    }

    /// The quota'd paths (`PathTrie` entries), sorted.
    pub fn quota_paths(&self) -> Vec<String> {
        self.quotas.to_vec()
    }

    /// `getMaxPrefixWithQuota`: the deepest quota'd path above or at `path`.
    pub fn max_prefix_with_quota(&self, path: &str) -> Option<String> {
        self.quotas.max_prefix(path)
    }

    // ----------------------------------------------------------------------------------------
    // /zookeeper/config.

    /// Replaces the data of `/zookeeper/config` without touching its stat or firing watches
    /// (for tests and tools). A running quorum peer should use [`DataTree::init_config_node`].
    pub fn set_config_data(&mut self, data: Bytes) {
        let new_len = data.len() as i64;
        let mut old_len = 0i64;
        let found = self.with_node(CONFIG_NODE, |n| {
            old_len = n.data_len() as i64;
            n.data = Some(data);
        });
        if found.is_some() {
            self.data_size += new_len - old_len;
        }
    }

    /// `ZKDatabase.initConfigInZKDatabase`: re-creates `/zookeeper/config` if missing, then
    /// `setData(config, data, version -1, zxid = config version, time)`, firing NodeDataChanged.
    pub fn init_config_node(&mut self, data: Bytes, config_version: i64, time: i64) {
        if self.node(CONFIG_NODE).is_none() && self.node(PROC_ZOOKEEPER).is_some() {
            self.add_config_node();
        }
        let _ = self.set_data(CONFIG_NODE, Some(data), -1, config_version, time);
    }

    // ----------------------------------------------------------------------------------------
    // Writes.

    /// `DataTree.processTxn`: applies one committed txn and fires its watches.
    ///
    /// - `header.r#type` picks the operation (create vs create2, delete vs deleteContainer, setData
    ///   vs reconfig); the body must be the matching record. A body that does not match the type
    ///   (ZooKeeper would throw ClassCastException) is not applied and gives MARSHALLINGERROR.
    /// - An error txn applies nothing and returns its code. createSession changes nothing here.
    /// - closeSession deletes the paths of the CloseSessionTxn, then any other ephemeral of the
    ///   session (all of them when the txn has no body), ignoring NONODE.
    /// - A multi applies its sub-txns in order with the multi's zxid. If any sub-txn is an error
    ///   txn, nothing is applied: earlier ops give error 0, later ones -2 (RUNTIMEINCONSISTENCY),
    ///   and the error txns keep their codes; every such result has type -1. A sub-txn that cannot
    ///   be decoded, or whose type is not allowed in a multi, stops the multi there (ZooKeeper's
    ///   IOException).
    /// - A failed plain `create` (type 1) with NODEEXISTS still raises the parent's cversion/pzxid
    ///   (`setCversionPzxid`), for replay over fuzzy snapshots.
    /// - `lastProcessedZxid` becomes `max(lastProcessedZxid, zxid)`.
    pub fn process_txn(&mut self, header: &TxnHeader, body: &TxnBody) -> ProcessTxnResult {
        self.process_txn_inner(header, header.r#type, body, false)
    }

    fn process_txn_inner(
        &mut self,
        header: &TxnHeader,
        ty: i32,
        body: &TxnBody,
        is_sub: bool,
    ) -> ProcessTxnResult {
        let mut rc = ProcessTxnResult {
            client_id: header.client_id,
            cxid: header.cxid,
            zxid: header.zxid,
            r#type: ty,
            ..ProcessTxnResult::default()
        };
        let zxid = header.zxid;
        let time = header.time;
        let op = OpCode::from_i32(ty);
        let outcome: Result<(), ErrorCode> = match (op, body) {
            (Some(OpCode::Create), TxnBody::Create(t))
            | (Some(OpCode::Create2), TxnBody::Create(t)) => {
                rc.path = t.path.clone();
                let owner = if t.ephemeral { header.client_id } else { 0 };
                let want = op == Some(OpCode::Create2);
                self.create_node(
                    &t.path,
                    t.data.clone(),
                    &t.acl,
                    owner,
                    t.parent_c_version,
                    zxid,
                    time,
                )
                .map(|s| {
                    if want {
                        rc.stat = Some(s);
                    }
                })
            }
            (Some(OpCode::Create), TxnBody::CreateV0(t))
            | (Some(OpCode::Create2), TxnBody::CreateV0(t)) => {
                rc.path = t.path.clone();
                let owner = if t.ephemeral { header.client_id } else { 0 };
                let want = op == Some(OpCode::Create2);
                self.create_node(&t.path, t.data.clone(), &t.acl, owner, -1, zxid, time)
                    .map(|s| {
                        if want {
                            rc.stat = Some(s);
                        }
                    })
            }
            (Some(OpCode::CreateTtl), TxnBody::CreateTtl(t)) => {
                rc.path = t.path.clone();
                match EphemeralType::ttl_to_ephemeral_owner(t.ttl) {
                    None => Err(ErrorCode::BadArguments),
                    Some(owner) => self
                        .create_node(
                            &t.path,
                            t.data.clone(),
                            &t.acl,
                            owner,
                            t.parent_c_version,
                            zxid,
                            time,
                        )
                        .map(|s| rc.stat = Some(s)),
                }
            }
            (Some(OpCode::CreateContainer), TxnBody::CreateContainer(t)) => {
                rc.path = t.path.clone();
                self.create_node(
                    &t.path,
                    t.data.clone(),
                    &t.acl,
                    CONTAINER_EPHEMERAL_OWNER,
                    t.parent_c_version,
                    zxid,
                    time,
                )
                .map(|s| rc.stat = Some(s))
            }
            (Some(OpCode::Delete | OpCode::DeleteContainer), TxnBody::Delete(t)) => {
                rc.path = t.path.clone();
                self.delete_node(&t.path, zxid)
            }
            (Some(OpCode::SetData | OpCode::Reconfig), TxnBody::SetData(t)) => {
                rc.path = t.path.clone();
                self.set_data(&t.path, t.data.clone(), t.version, zxid, time)
                    .map(|s| rc.stat = Some(s))
            }
            (Some(OpCode::SetAcl), TxnBody::SetAcl(t)) => {
                rc.path = t.path.clone();
                self.set_acl(&t.path, &t.acl, t.version)
                    .map(|s| rc.stat = Some(s))
            }
            (Some(OpCode::CloseSession), TxnBody::CloseSession(t)) => {
                self.kill_session(
                    header.client_id,
                    zxid,
                    t.as_ref().map(|t| t.paths2_delete.as_slice()),
                );
                Ok(())
            }
            (Some(OpCode::CloseSession), TxnBody::Empty) => {
                self.kill_session(header.client_id, zxid, None);
                Ok(())
            }
            (Some(OpCode::Error), TxnBody::Error(t)) => {
                rc.err = t.err;
                Ok(())
            }
            (Some(OpCode::Check), TxnBody::Check(t)) => {
                rc.path = t.path.clone();
                Ok(())
            }
            (Some(OpCode::Multi), TxnBody::Multi(m)) => {
                self.process_multi(header, m, &mut rc);
                Ok(())
            }
            (Some(OpCode::CreateSession), _) => Ok(()),
            (
                Some(
                    OpCode::Create
                    | OpCode::Create2
                    | OpCode::CreateTtl
                    | OpCode::CreateContainer
                    | OpCode::Delete
                    | OpCode::DeleteContainer
                    | OpCode::SetData
                    | OpCode::Reconfig
                    | OpCode::SetAcl
                    | OpCode::CloseSession
                    | OpCode::Error
                    | OpCode::Check
                    | OpCode::Multi,
                ),
                _,
            ) => Err(ErrorCode::MarshallingError),
            _ => Ok(()),
        };
        if let Err(e) = outcome {
            rc.err = e.code();
        }

        if op == Some(OpCode::Create) && rc.err == ErrorCode::NodeExists.code() {
            let pcv = match body {
                TxnBody::Create(t) => t.parent_c_version,
                _ => -1,
            };
            let parent = path::parent(&rc.path).to_owned();
            if let Err(e) = self.set_cversion_pzxid(&parent, pcv, zxid) {
                rc.err = e.code();
            }
        }

        if !is_sub {
            if rc.zxid > self.last_processed_zxid {
                self.last_processed_zxid = rc.zxid;
            }
            self.log_zxid_digest(rc.zxid);
        }
        rc
    }

    fn process_multi(
        &mut self,
        header: &TxnHeader,
        m: &zkrs_jute::MultiTxn,
        rc: &mut ProcessTxnResult,
    ) {
        let failed = m.txns.iter().any(|t| t.r#type == OpCode::Error as i32);
        let mut post_failed = false;
        for sub in &m.txns {
            let allowed = matches!(
                OpCode::from_i32(sub.r#type),
                Some(
                    OpCode::Create
                        | OpCode::Create2
                        | OpCode::CreateTtl
                        | OpCode::CreateContainer
                        | OpCode::Delete
                        | OpCode::DeleteContainer
                        | OpCode::SetData
                        | OpCode::Error
                        | OpCode::Check
                )
            );
            if !allowed {
                return;
            }
            if sub.r#type == OpCode::Error as i32 {
                post_failed = true;
            }
            let Ok(body) = TxnBody::from_sub_txn(sub) else {
                return;
            };
            let (ty, body) = if failed && sub.r#type != OpCode::Error as i32 {
                let ec = if post_failed {
                    ErrorCode::RuntimeInconsistency.code()
                } else {
                    0
                };
                (
                    OpCode::Error as i32,
                    TxnBody::Error(zkrs_jute::ErrorTxn { err: ec }),
                )
            } else {
                (sub.r#type, body)
            };
            let sub_rc = self.process_txn_inner(header, ty, &body, true);
            if sub_rc.err != 0 && rc.err == 0 {
                rc.err = sub_rc.err;
            }
            rc.multi_results.push(sub_rc);
        }
    }

    /// `createNode`. Returns the new node's client stat.
    #[allow(clippy::too_many_arguments)]
    fn create_node(
        &mut self,
        path: &str,
        data: Option<Bytes>,
        acl: &[Acl],
        ephemeral_owner: i64,
        parent_cversion: i32,
        zxid: i64,
        time: i64,
    ) -> Result<Stat, ErrorCode> {
        let (parent_name, child_name) = split_parent(path).ok_or(ErrorCode::NoNode)?;
        let parent = self.nodes.get(key(parent_name)).ok_or(ErrorCode::NoNode)?;
        let parent_acl = self.acl_cache.get_shared(parent.acl).clone();
        // The ACL is counted before the existence check (ZooKeeper does this for fuzzy snapshots).
        let acl_ref = self.acl_cache.convert(acl);
        if let Some(existing) = self.nodes.get_mut(key(path)) {
            // 3.9: the existing node takes the txn's ACL (acl is not part of the digest).
            Arc::make_mut(existing).acl = acl_ref;
            return Err(ErrorCode::NodeExists);
        }
        self.with_node(parent_name, |p| {
            let pcv = if parent_cversion == -1 {
                p.stat.cversion.wrapping_add(1)
            } else {
                parent_cversion
            };
            if pcv > p.stat.cversion {
                p.stat.cversion = pcv;
                p.stat.pzxid = zxid;
            }
            p.add_child(child_name);
        });
        let stat = StatPersisted {
            czxid: zxid,
            mzxid: zxid,
            ctime: time,
            mtime: time,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner,
            pzxid: zxid,
        };
        let kind = EphemeralType::get(ephemeral_owner, self.config.extended_types_enabled);
        let data_len = data.as_ref().map_or(0, Bytes::len);
        let child = DataNode::new(data, acl_ref, stat, kind);
        let client_stat = child.client_stat();
        self.data_size += (java_len(path) + data_len) as i64;
        self.insert_node(path, child);
        match kind {
            EphemeralType::Container => {
                self.containers.insert(path.to_owned());
            }
            EphemeralType::Ttl => {
                self.ttls.insert(path.to_owned());
            }
            _ if ephemeral_owner != 0 => {
                self.ephemerals
                    .entry(ephemeral_owner)
                    .or_default()
                    .insert(path.to_owned());
            }
            _ => {}
        }
        if parent_name.starts_with(QUOTA_ZOOKEEPER) {
            if let Some(real) = java_substring_from(parent_name, java_len(QUOTA_ZOOKEEPER)) {
                if child_name == LIMIT_NODE {
                    self.quotas.add(real);
                }
                if child_name == STAT_NODE {
                    let real = real.to_owned();
                    self.update_quota_for_path(&real);
                }
            }
        }
        if let Some(prefix) = self.quotas.max_prefix(path) {
            self.update_quota_stat(&prefix, data_len as i64, 1);
        }
        self.metrics.write(path, data_len as u64);
        let node_acl = self.acl_cache.get_shared(acl_ref).clone();
        self.trigger(
            Table::Data,
            path,
            EventType::NodeCreated,
            zxid,
            node_acl,
            None,
        );
        self.trigger(
            Table::Child,
            path::event_path(parent_name),
            EventType::NodeChildrenChanged,
            zxid,
            parent_acl,
            None,
        );
        Ok(client_stat)
    }

    /// `deleteNode`.
    fn delete_node(&mut self, path: &str, zxid: i64) -> Result<(), ErrorCode> {
        let (parent_name, child_name) = split_parent(path).ok_or(ErrorCode::NoNode)?;
        // The parent's pzxid moves even when the child is already gone (fuzzy snapshot replay).
        self.with_node(parent_name, |p| {
            p.remove_child(child_name);
            if zxid > p.stat.pzxid {
                p.stat.pzxid = zxid;
            }
        })
        .ok_or(ErrorCode::NoNode)?;
        if key(path).is_empty() {
            // Deleting the root (never produced by the prep stage) is not applied.
            return Err(ErrorCode::BadArguments);
        }
        let node = self.nodes.remove(path).ok_or(ErrorCode::NoNode)?;
        self.digest = self.digest.wrapping_sub(node.digest);
        let node_acl = self.acl_cache.get_shared(node.acl).clone();
        self.acl_cache.remove_usage(node.acl);
        self.data_size -= (java_len(path) + node.data_len()) as i64;
        let parent_acl = self
            .nodes
            .get(key(parent_name))
            .map(|p| self.acl_cache.get_shared(p.acl).clone())
            .unwrap_or_else(|| self.acl_cache.get_shared(OPEN_UNSAFE_ACL_ID).clone());
        let owner = node.stat.ephemeral_owner;
        match node.kind {
            EphemeralType::Container => {
                self.containers.remove(path);
            }
            EphemeralType::Ttl => {
                self.ttls.remove(path);
            }
            _ if owner != 0 => {
                if let Some(set) = self.ephemerals.get_mut(&owner) {
                    set.remove(path);
                }
            }
            _ => {}
        }
        if parent_name.starts_with(PROC_ZOOKEEPER) && child_name == LIMIT_NODE {
            if let Some(real) = java_substring_from(parent_name, java_len(QUOTA_ZOOKEEPER)) {
                self.quotas.remove(real);
            }
        }
        if let Some(prefix) = self.quotas.max_prefix(path) {
            self.update_quota_stat(&prefix, -(node.data_len() as i64), -1);
        }
        self.metrics.write(path, 0);
        let processed = self.trigger(
            Table::Data,
            path,
            EventType::NodeDeleted,
            zxid,
            node_acl.clone(),
            None,
        );
        self.trigger(
            Table::Child,
            path,
            EventType::NodeDeleted,
            zxid,
            node_acl,
            Some(&processed),
        );
        self.trigger(
            Table::Child,
            path::event_path(parent_name),
            EventType::NodeChildrenChanged,
            zxid,
            parent_acl,
            None,
        );
        Ok(())
    }

    /// `setData`: the txn carries the new version (the prep stage computed current + 1).
    fn set_data(
        &mut self,
        path: &str,
        data: Option<Bytes>,
        version: i32,
        zxid: i64,
        time: i64,
    ) -> Result<Stat, ErrorCode> {
        let new_len = data.as_ref().map_or(0, Bytes::len) as i64;
        let mut last_len = 0i64;
        let stat = self
            .with_node(path, |n| {
                last_len = n.data_len() as i64;
                n.data = data;
                n.stat.mtime = time;
                n.stat.mzxid = zxid;
                n.stat.version = version;
                n.client_stat()
            })
            .ok_or(ErrorCode::NoNode)?;
        if let Some(prefix) = self.quotas.max_prefix(path) {
            self.update_quota_stat(&prefix, new_len - last_len, 0);
        }
        self.data_size += new_len - last_len;
        self.metrics.write(path, new_len as u64);
        let acl = self
            .node(path)
            .map(|n| self.acl_cache.get_shared(n.acl).clone())
            .unwrap_or_else(|| self.acl_cache.get_shared(OPEN_UNSAFE_ACL_ID).clone());
        self.trigger(
            Table::Data,
            path,
            EventType::NodeDataChanged,
            zxid,
            acl,
            None,
        );
        Ok(stat)
    }

    /// `setACL`: the txn carries the new aversion. No watch fires.
    fn set_acl(&mut self, path: &str, acl: &[Acl], version: i32) -> Result<Stat, ErrorCode> {
        let old = self.node(path).ok_or(ErrorCode::NoNode)?.acl;
        self.acl_cache.remove_usage(old);
        let new_ref = self.acl_cache.convert(acl);
        self.with_node(path, |n| {
            n.stat.aversion = version;
            n.acl = new_ref;
            n.client_stat()
        })
        .ok_or(ErrorCode::NoNode)
    }

    /// `setCversionPzxid`.
    fn set_cversion_pzxid(
        &mut self,
        path: &str,
        new_cversion: i32,
        zxid: i64,
    ) -> Result<(), ErrorCode> {
        let path = path.strip_suffix('/').unwrap_or(path);
        let n = self.node(path).ok_or(ErrorCode::NoNode)?;
        let cv = if new_cversion == -1 {
            n.stat.cversion.wrapping_add(1)
        } else {
            new_cversion
        };
        if cv > n.stat.cversion {
            self.with_node(path, |n| {
                n.stat.cversion = cv;
                n.stat.pzxid = zxid;
            });
        }
        Ok(())
    }

    /// `killSession`: deletes the txn's paths, then the session's remaining ephemerals.
    fn kill_session(&mut self, session: i64, zxid: i64, in_txn: Option<&[String]>) {
        let local = self.ephemerals.remove(&session);
        if let Some(paths) = in_txn {
            for p in paths {
                let _ = self.delete_node(p, zxid);
            }
        }
        let Some(mut local) = local else {
            return;
        };
        if let Some(paths) = in_txn {
            for p in paths {
                local.remove(p);
            }
        }
        for p in local {
            let _ = self.delete_node(&p, zxid);
        }
    }

    /// `updateQuotaStat`: adds to `count`/`bytes` of the stat node of `prefix` (data only; the stat
    /// node's own stat is not touched).
    fn update_quota_stat(&mut self, prefix: &str, bytes_diff: i64, count_diff: i64) {
        let stat_path = quota::stat_path(prefix);
        let Some(node) = self.nodes.get_mut(stat_path.as_str()) else {
            return;
        };
        let node = Arc::make_mut(node);
        let mut t = StatsTrack::parse(node.data.as_deref().unwrap_or(&[]));
        t.set_count(t.count() + count_diff);
        t.set_bytes(t.bytes() + bytes_diff);
        node.data = Some(Bytes::from(t.to_text()));
        // Paths under /zookeeper/ have digest 0, so nothing to adjust.
    }

    /// `updateQuotaForPath`: recounts the subtree of `path` into its stat node.
    fn update_quota_for_path(&mut self, path: &str) {
        let (count, bytes) = self.get_counts(path);
        let mut t = StatsTrack::default();
        t.set_bytes(bytes);
        t.set_count(count);
        let stat_path = quota::stat_path(path);
        let text = Bytes::from(t.to_text());
        self.with_node(&stat_path, |n| n.data = Some(text));
    }

    /// `getCounts`: nodes and data bytes in the subtree (walking `path + "/" + child`).
    fn get_counts(&self, path: &str) -> (i64, i64) {
        let mut count = 0i64;
        let mut bytes = 0i64;
        let mut stack = vec![path.to_owned()];
        while let Some(p) = stack.pop() {
            // Java looks up the string as built, so "/" + "/" + child misses for the root.
            let Some(n) = self.nodes.get(if p == "/" { "" } else { p.as_str() }) else {
                continue;
            };
            count += 1;
            bytes += n.data_len() as i64;
            for c in n.children() {
                stack.push(format!("{p}/{c}"));
            }
        }
        (count, bytes)
    }

    // ----------------------------------------------------------------------------------------
    // Watches.

    fn trigger(
        &mut self,
        table: Table,
        path: &str,
        kind: EventType,
        zxid: i64,
        acl: Arc<[Acl]>,
        suppress: Option<&BTreeSet<WatcherId>>,
    ) -> BTreeSet<WatcherId> {
        let mgr = match table {
            Table::Data => &mut self.data_watches,
            Table::Child => &mut self.child_watches,
        };
        let (fire, processed) = mgr.trigger(path, kind, suppress);
        // `WatchManager.triggerWatch` counts the watchers it found (suppressed ones too).
        if !processed.is_empty() {
            self.metrics.watchers_triggered(kind, processed.len());
        }
        for w in fire {
            self.events
                .push(WatchEvent::new(w, kind, path, zxid, Some(acl.clone())));
        }
        processed
    }

    /// The namespace and watch-trigger metrics ([`TreeMetrics`]).
    pub fn metrics(&self) -> &TreeMetrics {
        &self.metrics
    }

    /// Clears the metrics (`srst`).
    pub fn reset_metrics(&mut self) {
        self.metrics = TreeMetrics::default();
    }

    /// The watch events fired since the last call, in firing order.
    pub fn take_watch_events(&mut self) -> Vec<WatchEvent> {
        std::mem::take(&mut self.events)
    }

    /// Whether events are waiting in [`DataTree::take_watch_events`].
    pub fn has_watch_events(&self) -> bool {
        !self.events.is_empty()
    }

    /// `addWatch` (opcode 106): PERSISTENT goes in both tables, PERSISTENT_RECURSIVE in the data
    /// table only (3.9) or in both too (3.8, [`WatchModel::Single`]). The node need not exist.
    pub fn add_watch(&mut self, path: &str, watcher: WatcherId, mode: AddWatchMode) {
        if self.config.watch_model == WatchModel::Single {
            let m = match mode {
                AddWatchMode::Persistent => WatcherMode::Persistent,
                AddWatchMode::PersistentRecursive => WatcherMode::PersistentRecursive,
            };
            self.data_watches.add_watch(path, watcher, m);
            self.child_watches.add_watch(path, watcher, m);
            return;
        }
        match mode {
            AddWatchMode::Persistent => {
                self.data_watches
                    .add_watch(path, watcher, WatcherMode::Persistent);
                self.child_watches
                    .add_watch(path, watcher, WatcherMode::Persistent);
            }
            AddWatchMode::PersistentRecursive => {
                self.data_watches
                    .add_watch(path, watcher, WatcherMode::PersistentRecursive);
            }
        }
    }

    /// `setWatches` / `setWatches2` on reconnect. Events go to [`DataTree::take_watch_events`] with
    /// zxid -1 and no ACL:
    ///
    /// | list | node missing | condition | otherwise |
    /// |---|---|---|---|
    /// | data | NodeDeleted | `mzxid > rel`: NodeDataChanged | register |
    /// | exist | register | node exists: NodeCreated | – |
    /// | child | NodeDeleted | `pzxid > rel`: NodeChildrenChanged | register |
    ///
    /// Persistent and persistent-recursive lists are always registered (in the 3.8 model both go
    /// in both tables, as `addWatch` does there).
    #[allow(clippy::too_many_arguments)]
    pub fn set_watches(
        &mut self,
        relative_zxid: i64,
        data: &[String],
        exist: &[String],
        child: &[String],
        persistent: &[String],
        persistent_recursive: &[String],
        watcher: WatcherId,
    ) {
        for p in data {
            match self.node(p).map(|n| n.stat.mzxid) {
                None => self.push_event(watcher, EventType::NodeDeleted, p),
                Some(m) if m > relative_zxid => {
                    self.push_event(watcher, EventType::NodeDataChanged, p)
                }
                Some(_) => {
                    self.data_watches
                        .add_watch(p, watcher, WatcherMode::Standard);
                }
            }
        }
        for p in exist {
            if self.node(p).is_some() {
                self.push_event(watcher, EventType::NodeCreated, p);
            } else {
                self.data_watches
                    .add_watch(p, watcher, WatcherMode::Standard);
            }
        }
        for p in child {
            match self.node(p).map(|n| n.stat.pzxid) {
                None => self.push_event(watcher, EventType::NodeDeleted, p),
                Some(z) if z > relative_zxid => {
                    self.push_event(watcher, EventType::NodeChildrenChanged, p)
                }
                Some(_) => {
                    self.child_watches
                        .add_watch(p, watcher, WatcherMode::Standard);
                }
            }
        }
        for p in persistent {
            self.child_watches
                .add_watch(p, watcher, WatcherMode::Persistent);
            self.data_watches
                .add_watch(p, watcher, WatcherMode::Persistent);
        }
        for p in persistent_recursive {
            if self.config.watch_model == WatchModel::Single {
                self.child_watches
                    .add_watch(p, watcher, WatcherMode::PersistentRecursive);
            }
            self.data_watches
                .add_watch(p, watcher, WatcherMode::PersistentRecursive);
        }
    }

    fn push_event(&mut self, watcher: WatcherId, kind: EventType, path: &str) {
        self.events
            .push(WatchEvent::new(watcher, kind, path, -1, None));
    }

    /// `containsWatcher` (checkWatches).
    ///
    /// 3.9 ([`WatchModel::Combined`]): Children/Data look for a standard watch of `watcher` in the
    /// child/data table, Persistent/PersistentRecursive for that mode in the data table, Any for
    /// any mode in either table.
    ///
    /// 3.8 ([`WatchModel::Single`], which only has Children, Data and Any): true when *any*
    /// connection watches `path` in the child table, the data table, or either — 3.8's
    /// `WatchManager.containsWatcher` ignores the caller unless its watch there is recursive, and
    /// a recursive watch is in the table anyway. The empty path is never watched.
    ///
    /// This is [`DataTree::check_watches`] with an invalid path reading as "no watch".
    pub fn contains_watcher(&self, path: &str, kind: WatcherType, watcher: WatcherId) -> bool {
        self.check_watches(path, kind, watcher).unwrap_or(false)
    }

    /// The checkWatches op (`DataTree.containsWatcher` as the server calls it): as
    /// [`DataTree::contains_watcher`], and in the 3.8 model with 3.8's failure on a relative path
    /// (`Err(MarshallingError)`, see [`WatchManager::contains_watcher_walk`]). Any asks the child
    /// table first, then the data table; either may fail.
    pub fn check_watches(
        &self,
        path: &str,
        kind: WatcherType,
        watcher: WatcherId,
    ) -> Result<bool, ErrorCode> {
        if self.config.watch_model == WatchModel::Single {
            match kind {
                WatcherType::Children => {
                    return self.child_watches.contains_watcher_walk(path, watcher)
                }
                WatcherType::Data => return self.data_watches.contains_watcher_walk(path, watcher),
                WatcherType::Any => {
                    let c = self.child_watches.contains_watcher_walk(path, watcher)?;
                    let d = self.data_watches.contains_watcher_walk(path, watcher)?;
                    return Ok(c || d);
                }
                WatcherType::Persistent | WatcherType::PersistentRecursive => {}
            }
        }
        Ok(self.contains_watcher_combined(path, kind, watcher))
    }

    fn contains_watcher_combined(&self, path: &str, kind: WatcherType, watcher: WatcherId) -> bool {
        match kind {
            WatcherType::Children => {
                self.child_watches
                    .contains_watcher(path, watcher, Some(WatcherMode::Standard))
            }
            WatcherType::Data => {
                self.data_watches
                    .contains_watcher(path, watcher, Some(WatcherMode::Standard))
            }
            WatcherType::Persistent => {
                self.data_watches
                    .contains_watcher(path, watcher, Some(WatcherMode::Persistent))
            }
            WatcherType::PersistentRecursive => self.data_watches.contains_watcher(
                path,
                watcher,
                Some(WatcherMode::PersistentRecursive),
            ),
            WatcherType::Any => {
                self.child_watches.contains_watcher(path, watcher, None)
                    || self.data_watches.contains_watcher(path, watcher, None)
            }
        }
    }

    /// `removeWatch` (removeWatches): as [`DataTree::contains_watcher`], removing; Persistent
    /// removes from both tables, Any removes every mode from both. True if anything was removed.
    ///
    /// 3.8 ([`WatchModel::Single`]): Children/Data remove the caller's watch on `path` from the
    /// child/data table whatever its mode (so only that half of a PERSISTENT watch), Any from both.
    pub fn remove_watches(&mut self, path: &str, kind: WatcherType, watcher: WatcherId) -> bool {
        if self.config.watch_model == WatchModel::Single {
            match kind {
                WatcherType::Children => {
                    return self.child_watches.remove_watch(path, watcher, None)
                }
                WatcherType::Data => return self.data_watches.remove_watch(path, watcher, None),
                WatcherType::Any => {
                    let a = self.child_watches.remove_watch(path, watcher, None);
                    let b = self.data_watches.remove_watch(path, watcher, None);
                    return a || b;
                }
                WatcherType::Persistent | WatcherType::PersistentRecursive => {}
            }
        }
        match kind {
            WatcherType::Children => {
                self.child_watches
                    .remove_watch(path, watcher, Some(WatcherMode::Standard))
            }
            WatcherType::Data => {
                self.data_watches
                    .remove_watch(path, watcher, Some(WatcherMode::Standard))
            }
            WatcherType::Persistent => {
                let a =
                    self.child_watches
                        .remove_watch(path, watcher, Some(WatcherMode::Persistent));
                let b =
                    self.data_watches
                        .remove_watch(path, watcher, Some(WatcherMode::Persistent));
                a || b
            }
            WatcherType::PersistentRecursive => self.data_watches.remove_watch(
                path,
                watcher,
                Some(WatcherMode::PersistentRecursive),
            ),
            WatcherType::Any => {
                let a = self.child_watches.remove_watch(path, watcher, None);
                let b = self.data_watches.remove_watch(path, watcher, None);
                a || b
            }
        }
    }

    /// `removeCnxn`: drops every watch of a closed connection.
    pub fn remove_watcher(&mut self, watcher: WatcherId) {
        self.data_watches.remove_watcher(watcher);
        self.child_watches.remove_watcher(watcher);
    }

    /// `getWatchCount` (mntr `zk_watch_count`): data + child table sizes.
    pub fn watch_count(&self) -> usize {
        self.data_watches.size() + self.child_watches.size()
    }

    /// The reports behind `wchs`, `wchc`, `wchp` and mntr (see [`WatchSummary`]).
    pub fn watch_summary(&self) -> WatchSummary {
        WatchSummary {
            num_connections: self.data_watches.num_watchers(),
            num_paths: self.data_watches.num_paths(),
            total_watches: self.data_watches.total_watches(),
            watch_count: self.watch_count(),
            by_watcher: self.data_watches.by_watcher(),
            by_path: self.data_watches.by_path(),
        }
    }

    /// The data watch table.
    pub fn data_watches(&self) -> &WatchManager {
        &self.data_watches
    }

    /// The child watch table.
    pub fn child_watches(&self) -> &WatchManager {
        &self.child_watches
    }

    // ----------------------------------------------------------------------------------------
    // Snapshots.

    /// `DataTree.deserialize`: builds a tree from a snapshot's ACL map and nodes (pre-order, root
    /// `""` first, without the `"/"` end marker). Adds one ACL usage per node, rebuilds children,
    /// the ephemeral/container/TTL indexes, the digest and data size, sets up quotas
    /// (`setupQuota`: every childless `…/zookeeper_limits` under `/zookeeper/quota` makes its path
    /// quota'd and its stat node recounted), then purges unused ACLs. Watches are empty and
    /// `lastProcessedZxid` is 0.
    pub fn from_snapshot(
        config: TreeConfig,
        acls: impl IntoIterator<Item = (i64, Vec<Acl>)>,
        nodes: impl IntoIterator<Item = SnapshotNode>,
    ) -> Result<DataTree, SnapshotError> {
        let mut t = Self::bare(config);
        for (r, acl) in acls {
            t.acl_cache.insert_from_snapshot(r, acl);
        }
        let mut have_root = false;
        for sn in nodes {
            let kind = EphemeralType::get(sn.stat.ephemeral_owner, config.extended_types_enabled);
            let owner = sn.stat.ephemeral_owner;
            let node = DataNode::new(sn.data, sn.acl, sn.stat, kind);
            t.acl_cache.add_usage(node.acl);
            match split_parent(&sn.path) {
                None => {
                    if !sn.path.is_empty() {
                        return Err(SnapshotError::MissingRoot);
                    }
                    have_root = true;
                    t.insert_node("", node);
                }
                Some((parent, child)) => {
                    if !have_root {
                        return Err(SnapshotError::MissingRoot);
                    }
                    let Some(p) = t.nodes.get_mut(key(parent)) else {
                        return Err(SnapshotError::MissingParent {
                            path: sn.path.clone(),
                            parent: parent.to_owned(),
                        });
                    };
                    let p = Arc::make_mut(p);
                    // Children are not part of the digest.
                    p.add_child(child);
                    match kind {
                        EphemeralType::Container => {
                            t.containers.insert(sn.path.clone());
                        }
                        EphemeralType::Ttl => {
                            t.ttls.insert(sn.path.clone());
                        }
                        _ if owner != 0 => {
                            t.ephemerals
                                .entry(owner)
                                .or_default()
                                .insert(sn.path.clone());
                        }
                        _ => {}
                    }
                    t.insert_node(&sn.path, node);
                }
            }
        }
        if !have_root {
            return Err(SnapshotError::MissingRoot);
        }
        t.data_size = t.compute_approximate_data_size();
        t.setup_quota();
        t.acl_cache.purge_unused();
        Ok(t)
    }

    /// `setupQuota` / `traverseNode`.
    fn setup_quota(&mut self) {
        if self.node(QUOTA_ZOOKEEPER).is_none() {
            return;
        }
        let suffix = format!("/{LIMIT_NODE}");
        let mut found = Vec::new();
        let mut stack = vec![QUOTA_ZOOKEEPER.to_owned()];
        while let Some(p) = stack.pop() {
            let Some(n) = self.node(&p) else { continue };
            if n.num_children() == 0 {
                if p.ends_with(&suffix) {
                    if let Some(i) = p.find(&suffix) {
                        if let Some(real) = p.get(QUOTA_ZOOKEEPER.len()..i) {
                            found.push(real.to_owned());
                        }
                    }
                }
                continue;
            }
            for c in n.children().rev() {
                stack.push(format!("{p}/{c}"));
            }
        }
        for real in found {
            if real.is_empty() {
                continue;
            }
            self.update_quota_for_path(&real);
            self.quotas.add(&real);
        }
    }
}

enum Frame<'a> {
    Node(&'a str, &'a DataNode),
    Children(&'a str, crate::child_set::Iter<'a>),
}

/// Pre-order iterator over a [`DataTree`] or a [`SnapshotView`] (see [`DataTree::iter_preorder`]).
pub struct PreorderIter<'a> {
    nodes: &'a NodeMap,
    stack: Vec<Frame<'a>>,
    buf: String,
}

impl<'a> PreorderIter<'a> {
    pub(crate) fn new(nodes: &'a NodeMap) -> Self {
        let mut stack = Vec::new();
        if let Some((k, n)) = nodes.get_key_value("") {
            stack.push(Frame::Node(k, n));
        }
        PreorderIter {
            nodes,
            stack,
            buf: String::new(),
        }
    }
}

impl<'a> Iterator for PreorderIter<'a> {
    type Item = (&'a str, &'a DataNode);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            match self.stack.pop()? {
                Frame::Node(p, n) => {
                    self.stack.push(Frame::Children(p, n.child_set().iter()));
                    return Some((p, n));
                }
                Frame::Children(p, mut it) => {
                    let Some(c) = it.next() else { continue };
                    self.stack.push(Frame::Children(p, it));
                    self.buf.clear();
                    self.buf.push_str(p);
                    self.buf.push('/');
                    self.buf.push_str(c);
                    if let Some((k, n)) = self.nodes.get_key_value(self.buf.as_str()) {
                        self.stack.push(Frame::Node(k, n));
                    }
                }
            }
        }
    }
}
