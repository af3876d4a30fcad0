//! `ZooKeeperServer.ChangeRecord`: the state a prepared-but-not-applied txn will leave a node in.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use zkrs_jute::{Acl, StatPersisted};

/// A node digest and the tree digest after the change (`PrecalculatedDigest`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PrecalculatedDigest {
    pub node_digest: i64,
    pub tree_digest: i64,
}

/// What a node will look like once the txn with `zxid` is applied. `stat == None` means the
/// node is being deleted. Records built from the tree itself carry zxid -1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeRecord {
    pub zxid: i64,
    pub path: String,
    pub stat: Option<StatPersisted>,
    pub child_count: i32,
    /// Shared with the tree's ACL cache (or the create request's fixed-up list): a record
    /// per write used to clone the whole `Vec<Acl>` and its strings.
    pub acl: Arc<[Acl]>,
    pub data: Option<Bytes>,
    pub digest: Option<PrecalculatedDigest>,
}

impl ChangeRecord {
    /// `duplicate(zxid)`: a copy for a new txn (a deleted record comes back with a zeroed stat,
    /// as upstream).
    pub fn duplicate(&self, zxid: i64) -> ChangeRecord {
        ChangeRecord {
            zxid,
            path: self.path.clone(),
            stat: Some(self.stat.clone().unwrap_or_default()),
            child_count: self.child_count,
            acl: Arc::clone(&self.acl),
            data: self.data.clone(),
            digest: self.digest,
        }
    }

    /// The stat of a live record.
    pub fn stat_or_default(&self) -> StatPersisted {
        self.stat.clone().unwrap_or_default()
    }
}

/// The empty ACL list of a deleted node's record, shared.
pub fn no_acl() -> Arc<[Acl]> {
    static EMPTY: OnceLock<Arc<[Acl]>> = OnceLock::new();
    Arc::clone(EMPTY.get_or_init(|| Arc::from(Vec::new())))
}
