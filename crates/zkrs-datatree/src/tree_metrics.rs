//! [`TreeMetrics`]: what ZooKeeper's `DataTree` and `WatchManager` record into `ServerMetrics`:
//! bytes per top-level namespace for every write applied and every read served
//! (`write_per_namespace`, `read_per_namespace`), and how many watchers each triggered event
//! reached (`node_created_watch_count` and the other three).

use std::collections::HashMap;

use zkrs_jute::EventType;

use crate::summary::Summary;

/// `DataTree.STAT_OVERHEAD_BYTES`: the size of a Stat's fixed fields, added to each read.
pub const STAT_OVERHEAD_BYTES: u64 = 6 * 8 + 5 * 4;

/// At most this many namespaces are tracked per family (a tree with more top-level znodes
/// reports the first ones seen), so a client cannot grow these maps without bound.
pub const NAMESPACES_MAX: usize = 4096;

/// The per-tree metrics.
#[derive(Debug, Clone)]
pub struct TreeMetrics {
    /// `write_per_namespace`: path length + data bytes of each create/setData/delete applied.
    pub write_per_namespace: HashMap<String, Summary, foldhash::fast::RandomState>,
    /// `read_per_namespace`: path length + bytes read + [`STAT_OVERHEAD_BYTES`] of each
    /// getData/exists/getChildren of an existing node.
    pub read_per_namespace: HashMap<String, Summary, foldhash::fast::RandomState>,
    /// `node_created_watch_count`: watchers reached per NodeCreated trigger that reached any.
    pub node_created_watch_count: Summary,
    /// `node_deleted_watch_count`.
    pub node_deleted_watch_count: Summary,
    /// `node_changed_watch_count` (NodeDataChanged).
    pub node_changed_watch_count: Summary,
    /// `node_children_watch_count` (NodeChildrenChanged).
    pub node_children_watch_count: Summary,
}

impl Default for TreeMetrics {
    fn default() -> Self {
        TreeMetrics {
            write_per_namespace: HashMap::default(),
            read_per_namespace: HashMap::default(),
            node_created_watch_count: Summary::basic(),
            node_deleted_watch_count: Summary::basic(),
            node_changed_watch_count: Summary::basic(),
            node_children_watch_count: Summary::basic(),
        }
    }
}

/// `PathUtils.getTopNamespace`: `foo` for `/foo/a`, `None` for `/`.
pub fn top_namespace(path: &str) -> Option<&str> {
    let rest = path.strip_prefix('/')?;
    let top = rest.split('/').next().unwrap_or("");
    (!top.is_empty()).then_some(top)
}

impl TreeMetrics {
    /// `DataTree.updateWriteStat`.
    pub fn write(&mut self, path: &str, data_bytes: u64) {
        if let Some(ns) = top_namespace(path) {
            add(
                &mut self.write_per_namespace,
                ns,
                java_len(path) + data_bytes,
            );
        }
    }

    /// `DataTree.updateReadStat`.
    pub fn read(&mut self, path: &str, bytes: u64) {
        if let Some(ns) = top_namespace(path) {
            add(
                &mut self.read_per_namespace,
                ns,
                java_len(path) + bytes + STAT_OVERHEAD_BYTES,
            );
        }
    }

    /// `WatchManager.triggerWatch`'s count of the watchers one event reached (not called when
    /// it reached none).
    pub fn watchers_triggered(&mut self, kind: EventType, watchers: usize) {
        let summary = match kind {
            EventType::NodeCreated => &mut self.node_created_watch_count,
            EventType::NodeDeleted => &mut self.node_deleted_watch_count,
            EventType::NodeDataChanged => &mut self.node_changed_watch_count,
            EventType::NodeChildrenChanged => &mut self.node_children_watch_count,
            _ => return,
        };
        summary.add(watchers as u64);
    }
}

fn add(map: &mut HashMap<String, Summary, foldhash::fast::RandomState>, ns: &str, value: u64) {
    if let Some(s) = map.get_mut(ns) {
        s.add(value);
    } else if map.len() < NAMESPACES_MAX {
        let mut s = Summary::basic();
        s.add(value);
        map.insert(ns.to_owned(), s);
    }
}

/// `String.length()`: UTF-16 code units.
fn java_len(s: &str) -> u64 {
    s.encode_utf16().count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespaces_and_sizes() {
        assert_eq!(top_namespace("/"), None);
        assert_eq!(top_namespace("/foo"), Some("foo"));
        assert_eq!(top_namespace("/foo/a/b"), Some("foo"));
        let mut m = TreeMetrics::default();
        // getChildren /bar with one child "c3": 4 + 2 + 68 (captured: 74).
        m.read("/bar", 2);
        assert_eq!(m.read_per_namespace["bar"].sum(), 74);
        // create /foo/a "a0": 6 + 2.
        m.write("/foo/a", 2);
        assert_eq!(m.write_per_namespace["foo"].sum(), 8);
        m.watchers_triggered(EventType::NodeDeleted, 2);
        m.watchers_triggered(EventType::None, 2);
        assert_eq!(m.node_deleted_watch_count.count(), 1);
    }
}

/// The four `quota_*_per_namespace` gauges of one namespace (`QuotaMetricsUtils`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QuotaUsage {
    /// `quota_count_limit_per_namespace`: the hard count limit, else the soft one.
    pub count_limit: i64,
    /// `quota_bytes_limit_per_namespace`.
    pub bytes_limit: i64,
    /// `quota_count_usage_per_namespace`: znodes under the quota root, itself included.
    pub count_usage: i64,
    /// `quota_bytes_usage_per_namespace`.
    pub bytes_usage: i64,
}

/// Walks `/zookeeper/quota` as `QuotaMetricsUtils` does: every leaf named `zookeeper_limits`
/// adds its limits, every leaf named `zookeeper_stats` its usage, to the top namespace of the
/// quota'd path; values of several quotas in one namespace are summed. The walk is bounded by
/// the quota subtree (taken on a scrape, never on the request path).
pub fn quota_usage(tree: &crate::DataTree) -> std::collections::BTreeMap<String, QuotaUsage> {
    use crate::path::QUOTA_ZOOKEEPER;
    use crate::quota::{StatsTrack, LIMIT_NODE, STAT_NODE};
    let mut out: std::collections::BTreeMap<String, QuotaUsage> = Default::default();
    let mut stack = vec![QUOTA_ZOOKEEPER.to_owned()];
    while let Some(path) = stack.pop() {
        let Some(node) = tree.node(&path) else {
            continue;
        };
        if node.children().len() > 0 {
            stack.extend(node.children().map(|c| format!("{path}/{c}")));
            continue;
        }
        let (limits, quota_path) = if let Some(p) = path.strip_suffix(LIMIT_NODE) {
            (true, p)
        } else if let Some(p) = path.strip_suffix(STAT_NODE) {
            (false, p)
        } else {
            continue;
        };
        // `Quotas.trimQuotaPath`: drop the quota prefix and the trailing node name.
        let real = quota_path
            .strip_prefix(QUOTA_ZOOKEEPER)
            .unwrap_or(quota_path)
            .trim_end_matches('/');
        let Some(ns) = top_namespace(real) else {
            continue;
        };
        let Some(data) = node.data.as_ref() else {
            continue;
        };
        let st = StatsTrack::parse(data);
        let e = out.entry(ns.to_owned()).or_default();
        if limits {
            let pick = |hard: i64, soft: i64| if hard > -1 { hard } else { soft };
            e.count_limit += pick(st.count_hard_limit(), st.count());
            e.bytes_limit += pick(st.byte_hard_limit(), st.bytes());
        } else {
            e.count_usage += st.count();
            e.bytes_usage += st.bytes();
        }
    }
    out
}
