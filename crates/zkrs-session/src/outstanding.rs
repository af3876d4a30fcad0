//! `outstandingChanges` / `outstandingChangesForPath`: the change records of prepared txns that
//! have not been applied yet, so later requests are validated against them.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::change_record::ChangeRecord;

/// The queue of change records in zxid order plus the latest record per path.
#[derive(Debug, Clone, Default)]
pub struct OutstandingChanges {
    list: VecDeque<Arc<ChangeRecord>>,
    for_path: HashMap<String, Arc<ChangeRecord>>,
    /// `outstanding_changes_queued`: records added.
    pub queued_total: u64,
    /// `outstanding_changes_removed`: records dropped once applied.
    pub removed_total: u64,
    /// `quota_exceeded_error_per_namespace`: writes the prep stage refused with
    /// QUOTAEXCEEDED (`enforceQuota`), by top-level namespace (at most
    /// `zkrs_datatree::tree_metrics::NAMESPACES_MAX` of them).
    pub quota_exceeded: std::collections::BTreeMap<String, u64>,
}

impl OutstandingChanges {
    /// Nothing outstanding.
    pub fn new() -> Self {
        Self::default()
    }

    /// `addChangeRecord`.
    pub fn add(&mut self, c: ChangeRecord) {
        self.queued_total += 1;
        let c = Arc::new(c);
        self.for_path.insert(c.path.clone(), Arc::clone(&c));
        self.list.push_back(c);
    }

    /// The latest record for `path`, if any.
    pub fn get(&self, path: &str) -> Option<&Arc<ChangeRecord>> {
        self.for_path.get(path)
    }

    /// The most recent record overall.
    pub fn last(&self) -> Option<&Arc<ChangeRecord>> {
        self.list.back()
    }

    /// Iterates all records, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<ChangeRecord>> {
        self.list.iter()
    }

    /// Counts a write to `path` refused for its quota.
    pub fn note_quota_exceeded(&mut self, path: &str) {
        let Some(ns) = zkrs_datatree::tree_metrics::top_namespace(path) else {
            return;
        };
        if let Some(n) = self.quota_exceeded.get_mut(ns) {
            *n += 1;
        } else if self.quota_exceeded.len() < zkrs_datatree::tree_metrics::NAMESPACES_MAX {
            self.quota_exceeded.insert(ns.to_owned(), 1);
        }
    }

    /// Drops every record (a role change), keeping the counters.
    pub fn clear(&mut self) {
        self.list.clear();
        self.for_path.clear();
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.list.len()
    }

    /// True if nothing is outstanding.
    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Drops the records of every txn up to `zxid` once it has been applied; a path's entry goes
    /// only if it is still that record.
    pub fn applied(&mut self, zxid: i64) {
        while self.list.front().is_some_and(|c| c.zxid <= zxid) {
            if let Some(cr) = self.list.pop_front() {
                self.removed_total += 1;
                if self
                    .for_path
                    .get(&cr.path)
                    .is_some_and(|cur| Arc::ptr_eq(cur, &cr))
                {
                    self.for_path.remove(&cr.path);
                }
            }
        }
    }

    /// `getPendingChanges(multi)`: the current records of the given paths and of their parents,
    /// to restore if the multi fails.
    pub fn pending_for<'a>(
        &self,
        paths: impl IntoIterator<Item = &'a str>,
    ) -> HashMap<String, Arc<ChangeRecord>> {
        let mut out = HashMap::new();
        for path in paths {
            if let Some(cr) = self.for_path.get(path) {
                out.insert(path.to_owned(), Arc::clone(cr));
            }
            let Some(last_slash) = path.rfind('/') else {
                continue;
            };
            if path.contains('\0') {
                continue;
            }
            let parent = &path[..last_slash];
            if let Some(cr) = self.for_path.get(parent) {
                out.insert(parent.to_owned(), Arc::clone(cr));
            }
        }
        out
    }

    /// `rollbackPendingChanges(zxid, pending)`: removes the records the failed multi added and
    /// puts back the earlier records that are still outstanding.
    pub fn rollback(&mut self, zxid: i64, pending: &HashMap<String, Arc<ChangeRecord>>) {
        while self.list.back().is_some_and(|c| c.zxid == zxid) {
            if let Some(c) = self.list.pop_back() {
                self.for_path.remove(&c.path);
            }
        }
        let Some(first) = self.list.front() else {
            return;
        };
        let first_zxid = first.zxid;
        for c in pending.values() {
            if c.zxid < first_zxid {
                continue;
            }
            self.for_path.insert(c.path.clone(), Arc::clone(c));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(zxid: i64, path: &str) -> ChangeRecord {
        ChangeRecord {
            zxid,
            path: path.to_owned(),
            stat: Some(Default::default()),
            child_count: 0,
            acl: crate::change_record::no_acl(),
            data: None,
            digest: None,
        }
    }

    #[test]
    fn applied_keeps_newer() {
        let mut o = OutstandingChanges::new();
        o.add(rec(5, "/a"));
        o.add(rec(6, "/a"));
        o.applied(5);
        assert_eq!(o.get("/a").map(|c| c.zxid), Some(6));
        o.applied(6);
        assert!(o.get("/a").is_none());
        assert!(o.is_empty());
    }

    #[test]
    fn rollback_restores() {
        let mut o = OutstandingChanges::new();
        o.add(rec(5, "/a"));
        let pending = o.pending_for(["/a/b"]);
        assert!(pending.contains_key("/a"));
        o.add(rec(6, "/a"));
        o.add(rec(6, "/a/b"));
        o.rollback(6, &pending);
        assert_eq!(o.len(), 1);
        assert_eq!(o.get("/a").map(|c| c.zxid), Some(5));
        assert!(o.get("/a/b").is_none());
    }
}
