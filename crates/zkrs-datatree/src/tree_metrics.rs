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
    pub write_per_namespace: NamespaceSummaries,
    /// `read_per_namespace`: path length + bytes read + [`STAT_OVERHEAD_BYTES`] of each
    /// getData/exists/getChildren of an existing node.
    pub read_per_namespace: NamespaceSummaries,
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
            write_per_namespace: NamespaceSummaries::default(),
            read_per_namespace: NamespaceSummaries::default(),
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
    // A byte scan: paths are short, and memchr's set-up costs more than it saves here.
    let end = rest.bytes().position(|b| b == b'/').unwrap_or(rest.len());
    let top = rest.get(..end)?;
    (!top.is_empty()).then_some(top)
}

/// One summary per namespace (a `SummarySet`), found by name through a hash index, with the
/// last namespace used remembered: a run of requests on one namespace costs a comparison each.
#[derive(Debug, Clone, Default)]
pub struct NamespaceSummaries {
    summaries: Vec<(String, Summary)>,
    index: HashMap<String, usize, foldhash::fast::RandomState>,
    last: usize,
}

impl NamespaceSummaries {
    /// Adds `value` to `ns`'s summary (created BASIC on first use, up to [`NAMESPACES_MAX`]).
    #[inline]
    pub fn add(&mut self, ns: &str, value: u64) {
        if let Some((name, s)) = self.summaries.get_mut(self.last) {
            if name.as_bytes() == ns.as_bytes() {
                s.add(value);
                return;
            }
        }
        self.add_slow(ns, value);
    }

    fn add_slow(&mut self, ns: &str, value: u64) {
        let i = match self.index.get(ns) {
            Some(&i) => i,
            None if self.summaries.len() < NAMESPACES_MAX => {
                let i = self.summaries.len();
                self.summaries.push((ns.to_owned(), Summary::basic()));
                self.index.insert(ns.to_owned(), i);
                i
            }
            None => return,
        };
        self.last = i;
        if let Some((_, s)) = self.summaries.get_mut(i) {
            s.add(value);
        }
    }

    /// The summary of `ns`, if it saw any traffic.
    pub fn get(&self, ns: &str) -> Option<&Summary> {
        let i = *self.index.get(ns)?;
        self.summaries.get(i).map(|(_, s)| s)
    }

    /// Every namespace and its summary, in first-use order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Summary)> {
        self.summaries.iter().map(|(n, s)| (n.as_str(), s))
    }

    pub fn len(&self) -> usize {
        self.summaries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.summaries.is_empty()
    }
}

impl TreeMetrics {
    /// `DataTree.updateWriteStat`.
    #[inline]
    pub fn write(&mut self, path: &str, data_bytes: u64) {
        if let Some(ns) = top_namespace(path) {
            self.write_per_namespace
                .add(ns, java_len(path) + data_bytes);
        }
    }

    /// `DataTree.updateReadStat`.
    #[inline]
    pub fn read(&mut self, path: &str, bytes: u64) {
        if let Some(ns) = top_namespace(path) {
            self.read_per_namespace
                .add(ns, java_len(path) + bytes + STAT_OVERHEAD_BYTES);
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

/// `String.length()`: UTF-16 code units (the byte length of an ASCII path).
fn java_len(s: &str) -> u64 {
    crate::path::java_len(s) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn namespace_summaries_switch_and_cap() {
        let mut n = NamespaceSummaries::default();
        for (ns, v) in [("a", 1), ("a", 2), ("b", 10), ("a", 3), ("b", 20)] {
            n.add(ns, v);
        }
        assert_eq!(n.get("a").map(|s| (s.count(), s.sum())), Some((3, 6)));
        assert_eq!(n.get("b").map(|s| (s.count(), s.sum())), Some((2, 30)));
        assert_eq!(n.iter().map(|(k, _)| k).collect::<Vec<_>>(), vec!["a", "b"]);
        for i in 0..NAMESPACES_MAX + 10 {
            n.add(&format!("ns{i}"), 1);
        }
        assert_eq!(n.len(), NAMESPACES_MAX);
        assert!(n.get("a").is_some());
        assert_eq!(top_namespace("/ü/x"), Some("ü"));
    }

    #[test]
    fn namespaces_and_sizes() {
        assert_eq!(top_namespace("/"), None);
        assert_eq!(top_namespace("/foo"), Some("foo"));
        assert_eq!(top_namespace("/foo/a/b"), Some("foo"));
        let mut m = TreeMetrics::default();
        // getChildren /bar with one child "c3": 4 + 2 + 68 (captured: 74).
        m.read("/bar", 2);
        assert_eq!(m.read_per_namespace.get("bar").map(Summary::sum), Some(74));
        // create /foo/a "a0": 6 + 2.
        m.write("/foo/a", 2);
        assert_eq!(m.write_per_namespace.get("foo").map(Summary::sum), Some(8));
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
