//! Quota bookkeeping: [`StatsTrack`] (`StatsTrack.java`), the quota path set (`PathTrie`) and the
//! `Quotas` path helpers.
//!
//! A quota on `/p` is the node `/zookeeper/quota/p/zookeeper_limits`; its usage is kept in
//! `/zookeeper/quota/p/zookeeper_stats` as `count=N,bytes=M`. ZooKeeper only tracks and warns: the
//! hard limits (3.7+) are enforced by the prep stage, not here.

use std::collections::{BTreeMap, HashSet};

use crate::path::QUOTA_ZOOKEEPER;

/// `Quotas.limitNode`.
pub const LIMIT_NODE: &str = "zookeeper_limits";
/// `Quotas.statNode`.
pub const STAT_NODE: &str = "zookeeper_stats";

/// `Quotas.quotaPath`: `/zookeeper/quota` + path.
pub fn quota_path(path: &str) -> String {
    format!("{QUOTA_ZOOKEEPER}{path}")
}

/// `Quotas.limitPath`: `/zookeeper/quota<path>/zookeeper_limits`.
pub fn limit_path(path: &str) -> String {
    format!("{QUOTA_ZOOKEEPER}{path}/{LIMIT_NODE}")
}

/// `Quotas.statPath`: `/zookeeper/quota<path>/zookeeper_stats`.
pub fn stat_path(path: &str) -> String {
    format!("{QUOTA_ZOOKEEPER}{path}/{STAT_NODE}")
}

/// `StatsTrack`: the `key=value` pairs of a quota node.
///
/// Parsing splits on runs of `,`/`;`, then each pair on `=`; an empty value reads as -1. A missing
/// key reads as -1. Written as `count=N,bytes=M`, followed, if there are other keys, by `=` and
/// `;key=value` for each in sorted order (for example
/// `count=5,bytes=10=;byteHardLimit=-1;countHardLimit=10`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatsTrack {
    stats: BTreeMap<String, i64>,
}

impl StatsTrack {
    /// Parses the data of a quota node. ZooKeeper throws on a pair without `=` or a value that is
    /// not a number; such pairs are skipped here.
    pub fn parse(data: &[u8]) -> StatsTrack {
        let text = String::from_utf8_lossy(data);
        let mut stats = BTreeMap::new();
        for pair in text.split([',', ';']).filter(|p| !p.is_empty()) {
            // Java's String.split("=") drops trailing empty strings.
            let mut parts: Vec<&str> = pair.split('=').collect();
            while parts.last() == Some(&"") {
                parts.pop();
            }
            let key = parts.first().copied().unwrap_or("");
            let value = match parts.get(1) {
                None if pair.contains('=') => Some(-1),
                None => None,
                Some(&"") => Some(-1),
                Some(v) => v.parse::<i64>().ok(),
            };
            if let Some(v) = value {
                stats.insert(key.to_owned(), v);
            }
        }
        StatsTrack { stats }
    }

    /// `count` (-1 if absent).
    pub fn count(&self) -> i64 {
        self.get("count")
    }

    /// `bytes` (-1 if absent).
    pub fn bytes(&self) -> i64 {
        self.get("bytes")
    }

    /// `countHardLimit` (-1 if absent).
    pub fn count_hard_limit(&self) -> i64 {
        self.get("countHardLimit")
    }

    /// `byteHardLimit` (-1 if absent).
    pub fn byte_hard_limit(&self) -> i64 {
        self.get("byteHardLimit")
    }

    /// Sets `count`.
    pub fn set_count(&mut self, v: i64) {
        self.stats.insert("count".to_owned(), v);
    }

    /// Sets `bytes`.
    pub fn set_bytes(&mut self, v: i64) {
        self.stats.insert("bytes".to_owned(), v);
    }

    /// Sets `countHardLimit`.
    pub fn set_count_hard_limit(&mut self, v: i64) {
        self.stats.insert("countHardLimit".to_owned(), v);
    }

    /// Sets `byteHardLimit`.
    pub fn set_byte_hard_limit(&mut self, v: i64) {
        self.stats.insert("byteHardLimit".to_owned(), v);
    }

    /// Any key (-1 if absent).
    pub fn get(&self, key: &str) -> i64 {
        self.stats.get(key).copied().unwrap_or(-1)
    }

    /// The text ZooKeeper writes (`toString`).
    pub fn to_text(&self) -> String {
        let mut s = format!("count={},bytes={}", self.count(), self.bytes());
        let mut extra = self
            .stats
            .iter()
            .filter(|(k, _)| k.as_str() != "count" && k.as_str() != "bytes")
            .peekable();
        if extra.peek().is_some() {
            s.push('=');
            for (k, v) in extra {
                s.push(';');
                s.push_str(k);
                s.push('=');
                s.push_str(&v.to_string());
            }
        }
        s
    }
}

/// `PathTrie` as the DataTree uses it: the set of paths that have a quota, with
/// `findMaxPrefix`. Paths are normalised as `PathTrie.split` does (segments that are empty or only
/// whitespace are dropped), so `/a/ /b` and `/a/b` are the same entry.
#[derive(Debug, Clone, Default)]
pub struct QuotaPaths {
    paths: HashSet<String>,
}

impl QuotaPaths {
    /// `addPath`. ZooKeeper throws for `""`; that is ignored here.
    pub fn add(&mut self, path: &str) {
        if path.is_empty() {
            return;
        }
        self.paths.insert(normalize(path));
    }

    /// `deletePath`.
    pub fn remove(&mut self, path: &str) {
        if path.is_empty() {
            return;
        }
        self.paths.remove(&normalize(path));
    }

    /// No quota anywhere.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// The quota paths, sorted.
    pub fn to_vec(&self) -> Vec<String> {
        let mut v: Vec<String> = self.paths.iter().cloned().collect();
        v.sort();
        v
    }

    /// `DataTree.getMaxPrefixWithQuota`: the deepest quota path that is a prefix of `path` (by
    /// whole segments), or `None` (also when it would be `/`).
    pub fn max_prefix(&self, path: &str) -> Option<String> {
        if self.paths.is_empty() {
            return None;
        }
        let mut prefix = String::with_capacity(path.len());
        let mut best = None;
        for seg in segments(path) {
            prefix.push('/');
            prefix.push_str(seg);
            if self.paths.contains(&prefix) {
                best = Some(prefix.clone());
            }
        }
        best
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    // Java's trim() strips every char <= ' '.
    path.split('/')
        .filter(|s| !s.trim_matches(|c: char| c <= ' ').is_empty())
}

fn normalize(path: &str) -> String {
    let mut out = String::with_capacity(path.len() + 1);
    for seg in segments(path) {
        out.push('/');
        out.push_str(seg);
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(quota_path("/a"), "/zookeeper/quota/a");
        assert_eq!(limit_path("/a"), "/zookeeper/quota/a/zookeeper_limits");
        assert_eq!(stat_path("/a/b"), "/zookeeper/quota/a/b/zookeeper_stats");
    }

    #[test]
    fn stats_round_trip() {
        let t = StatsTrack::parse(b"count=5,bytes=10");
        assert_eq!((t.count(), t.bytes()), (5, 10));
        assert_eq!(t.to_text(), "count=5,bytes=10");
        let t = StatsTrack::parse(b"count=5,bytes=10=;byteHardLimit=-1;countHardLimit=10");
        assert_eq!(t.count_hard_limit(), 10);
        assert_eq!(t.byte_hard_limit(), -1);
        assert_eq!(
            t.to_text(),
            "count=5,bytes=10=;byteHardLimit=-1;countHardLimit=10"
        );
        let t = StatsTrack::parse(b"");
        assert_eq!(t.to_text(), "count=-1,bytes=-1");
        let t = StatsTrack::parse(b"count=,bytes=3");
        assert_eq!(t.count(), -1);
        let mut t = StatsTrack::parse(b"garbage,count=x,bytes=4");
        assert_eq!((t.count(), t.bytes()), (-1, 4));
        t.set_count(1);
        t.set_bytes(2);
        assert_eq!(t.to_text(), "count=1,bytes=2");
        t.set_count_hard_limit(9);
        t.set_byte_hard_limit(8);
        assert_eq!(
            t.to_text(),
            "count=1,bytes=2=;byteHardLimit=8;countHardLimit=9"
        );
    }

    #[test]
    fn max_prefix() {
        let mut q = QuotaPaths::default();
        assert_eq!(q.max_prefix("/a/b"), None);
        q.add("/a");
        q.add("/a/b/c");
        assert_eq!(q.max_prefix("/a"), Some("/a".into()));
        assert_eq!(q.max_prefix("/a/b"), Some("/a".into()));
        assert_eq!(q.max_prefix("/a/b/c/d"), Some("/a/b/c".into()));
        assert_eq!(q.max_prefix("/ab"), None);
        assert_eq!(q.max_prefix("/x"), None);
        q.add("/x/ /y");
        assert_eq!(q.max_prefix("/x/y/z"), Some("/x/y".into()));
        q.remove("/a");
        assert_eq!(q.max_prefix("/a/b"), None);
        assert_eq!(q.to_vec(), vec!["/a/b/c".to_string(), "/x/y".to_string()]);
        q.add("");
        q.remove("");
    }
}
