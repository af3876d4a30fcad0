//! Quota stats, the digest, node counts and data size.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_datatree::digest::node_digest;
use zkrs_datatree::quota::StatsTrack;
use zkrs_datatree::{DataTree, SnapshotNode, TreeConfig};
use zkrs_jute::{OpCode, StatPersisted};

fn stats(t: &DataTree, p: &str) -> String {
    let n = t
        .node(&format!("/zookeeper/quota{p}/zookeeper_stats"))
        .unwrap();
    String::from_utf8(n.data.as_deref().unwrap().to_vec()).unwrap()
}

fn set_quota(d: &mut Driver, p: &str, limits: &str) {
    let mut cur = String::from("/zookeeper/quota");
    for seg in p.split('/').filter(|s| !s.is_empty()) {
        cur.push('/');
        cur.push_str(seg);
        if d.tree.node(&cur).is_none() {
            d.create(&cur, "");
        }
    }
    d.create(&format!("{cur}/zookeeper_limits"), limits);
    d.create(&format!("{cur}/zookeeper_stats"), "count=0,bytes=0");
}

#[test]
fn quota_stats_follow_the_subtree() {
    let mut d = Driver::new();
    d.create("/a", "12");
    d.create("/a/b", "345");
    set_quota(&mut d, "/a", "count=10,bytes=-1");
    assert_eq!(d.tree.quota_paths(), vec!["/a".to_string()]);
    assert_eq!(stats(&d.tree, "/a"), "count=2,bytes=5");
    let stat_before = d
        .tree
        .node("/zookeeper/quota/a/zookeeper_stats")
        .unwrap()
        .stat
        .clone();
    d.create("/a/c", "xx");
    assert_eq!(stats(&d.tree, "/a"), "count=3,bytes=7");
    d.set_data("/a/b", "3");
    assert_eq!(stats(&d.tree, "/a"), "count=3,bytes=5");
    d.delete("/a/c");
    assert_eq!(stats(&d.tree, "/a"), "count=2,bytes=3");
    d.create("/ab", "zzzz");
    assert_eq!(stats(&d.tree, "/a"), "count=2,bytes=3");
    // The stat node's own stat is not touched by the updates.
    assert_eq!(
        d.tree
            .node("/zookeeper/quota/a/zookeeper_stats")
            .unwrap()
            .stat,
        stat_before
    );
    assert_eq!(d.tree.max_prefix_with_quota("/a/b/c"), Some("/a".into()));
    // Nested quota: the deepest wins.
    d.create("/a/b/x", "");
    set_quota(&mut d, "/a/b", "count=-1,bytes=100");
    assert_eq!(stats(&d.tree, "/a/b"), "count=2,bytes=1");
    d.create("/a/b/y", "q");
    assert_eq!(stats(&d.tree, "/a/b"), "count=3,bytes=2");
    assert_eq!(stats(&d.tree, "/a"), "count=3,bytes=3");
    // Removing the limits node removes the quota.
    d.delete("/zookeeper/quota/a/b/zookeeper_limits");
    d.create("/a/b/z", "");
    assert_eq!(stats(&d.tree, "/a/b"), "count=3,bytes=2");
    assert_eq!(stats(&d.tree, "/a"), "count=4,bytes=3");
    // Quota nodes are under /zookeeper/: the digest ignores them.
    assert_eq!(d.tree.digest(), d.tree.compute_digest_from_scratch());
    // Extra keys are kept in the 3.7+ format.
    let t = StatsTrack::parse(b"count=1,bytes=2=;countHardLimit=5");
    assert_eq!(t.to_text(), "count=1,bytes=2=;countHardLimit=5");
}

#[test]
fn quota_set_up_from_snapshot() {
    let mut d = Driver::new();
    d.create("/a", "12");
    d.create("/a/b", "345");
    set_quota(&mut d, "/a", "count=10,bytes=-1");
    d.create("/a/c", "x");
    // Corrupt the stats text, as an old snapshot might have it, then reload.
    let acls: Vec<_> = d
        .tree
        .acl_cache()
        .iter()
        .map(|(r, a)| (r, a.to_vec()))
        .collect();
    let nodes: Vec<SnapshotNode> = d
        .tree
        .iter_preorder()
        .map(|(p, n)| SnapshotNode {
            path: p.to_string(),
            data: if p.ends_with("zookeeper_stats") {
                Some(Bytes::from_static(b"count=99,bytes=99"))
            } else {
                n.data.clone()
            },
            acl: n.acl,
            stat: n.stat.clone(),
        })
        .collect();
    let t = DataTree::from_snapshot(TreeConfig::default(), acls, nodes).unwrap();
    assert_eq!(stats(&t, "/a"), "count=3,bytes=6");
    assert_eq!(t.quota_paths(), vec!["/a".to_string()]);
    assert_eq!(t.digest(), d.tree.digest());
    assert_eq!(t.node_count(), d.tree.node_count());
}

#[test]
fn digest_by_hand() {
    let mut d = Driver::new();
    let zeros = [0u8; 60];
    let crc = |parts: &[&[u8]]| {
        let mut h = crc32fast::Hasher::new();
        for p in parts {
            h.update(p);
        }
        i64::from(h.finalize())
    };
    let empty = crc(&[b"", &zeros]) + crc(&[b"/zookeeper", &zeros]);
    assert_eq!(d.tree.digest(), empty);
    assert_eq!(empty, 1371985504);
    d.create("/a", "hi"); // zxid 1, time 1001
                          // stat60: czxid mzxid pzxid ctime mtime (longs), version cversion aversion (ints), owner.
    let mut a = Vec::new();
    for v in [1i64, 1, 1, 1001, 1001] {
        a.extend_from_slice(&v.to_be_bytes());
    }
    for v in [0i32, 0, 0] {
        a.extend_from_slice(&v.to_be_bytes());
    }
    a.extend_from_slice(&0i64.to_be_bytes());
    let mut root = Vec::new();
    for v in [0i64, 0, 1, 0, 0] {
        root.extend_from_slice(&v.to_be_bytes());
    }
    for v in [0i32, 1, 0] {
        root.extend_from_slice(&v.to_be_bytes());
    }
    root.extend_from_slice(&0i64.to_be_bytes());
    let want = crc(&[b"", &root]) + crc(&[b"/zookeeper", &zeros]) + crc(&[b"/a", b"hi", &a]);
    assert_eq!(d.tree.digest(), want);
}

#[test]
fn create_then_delete_restores_all_but_the_parent() {
    let mut d = Driver::new();
    d.create("/p", "");
    let before = d.tree.digest();
    let p_before = d.tree.node("/p").unwrap().digest_for_test();
    d.create("/p/x", "data");
    d.set_data("/p/x", "more");
    d.delete("/p/x");
    let p_after = d.tree.node("/p").unwrap().digest_for_test();
    assert_eq!(d.tree.digest().wrapping_sub(before), p_after - p_before);
    assert_eq!(d.tree.digest(), d.tree.compute_digest_from_scratch());
    // setACL changes the digest through aversion (the ACL reference itself is not hashed).
    let before = d.tree.digest();
    d.set_acl("/p", zkrs_jute::perms::read_acl_unsafe());
    assert_ne!(d.tree.digest(), before);
    assert_eq!(d.tree.digest(), d.tree.compute_digest_from_scratch());
}

trait DigestForTest {
    fn digest_for_test(&self) -> i64;
}

impl DigestForTest for zkrs_datatree::DataNode {
    fn digest_for_test(&self) -> i64 {
        node_digest("/p", self.data.as_deref(), &self.stat)
    }
}

#[test]
fn digest_disabled() {
    let mut t = DataTree::with_config(TreeConfig {
        extended_types_enabled: false,
        digest_enabled: false,
        ..TreeConfig::default()
    });
    assert_eq!(t.digest(), 0);
    t.process_txn(
        &header(OpCode::Create, 1, 1, 1),
        &create_body("/a", "x", false, 1),
    );
    assert_eq!(t.digest(), 0);
    assert_eq!(t.compute_digest_from_scratch(), 0);
}

#[test]
fn node_counts() {
    let mut d = Driver::new();
    assert_eq!(d.tree.node_count(), 5);
    assert_eq!(d.tree.get_all_children_number("/"), Ok(3));
    assert_eq!(d.tree.get_all_children_number("/zookeeper"), Ok(2));
    d.create("/a", "");
    d.create("/a/b", "");
    d.create("/a/b/c", "");
    d.create("/ab", "");
    assert_eq!(d.tree.node_count(), 9);
    assert_eq!(d.tree.get_all_children_number("/"), Ok(7));
    assert_eq!(d.tree.get_all_children_number("/a"), Ok(2));
    assert_eq!(d.tree.get_all_children_number("/a/b/c"), Ok(0));
    assert_eq!(
        d.tree.get_all_children_number("/x"),
        Err(zkrs_jute::ErrorCode::NoNode)
    );
    d.delete("/a/b/c");
    assert_eq!(d.tree.get_all_children_number("/a"), Ok(1));
    assert_eq!(d.tree.node_count(), 8);
}

#[test]
fn approximate_data_size() {
    let mut d = Driver::new();
    assert_eq!(d.tree.approximate_data_size(), 44);
    d.create("/a", "12345"); // 2 + 5
    assert_eq!(d.tree.approximate_data_size(), 51);
    d.create("/é😀", ""); // Java length: 1 + 1 + 2
    assert_eq!(d.tree.approximate_data_size(), 55);
    d.set_data("/a", "1");
    assert_eq!(d.tree.approximate_data_size(), 51);
    d.set_data("/", "rr"); // counted twice from scratch ("" and "/"), once incrementally
    assert_eq!(d.tree.approximate_data_size(), 53);
    assert_eq!(d.tree.compute_approximate_data_size(), 55);
    d.delete("/a");
    assert_eq!(d.tree.approximate_data_size(), 50);
}

#[test]
fn preorder_snapshot_order() {
    let mut d = Driver::new();
    d.create("/b", "");
    d.create("/a", "");
    d.create("/a/z", "");
    d.create("/a/y", "");
    let order: Vec<&str> = d.tree.iter_preorder().map(|(p, _)| p).collect();
    assert_eq!(
        order,
        vec![
            "",
            "/a",
            "/a/y",
            "/a/z",
            "/b",
            "/zookeeper",
            "/zookeeper/config",
            "/zookeeper/quota"
        ]
    );
    let _ = StatPersisted::default();
}

#[test]
fn zxid_digests() {
    let mut d = Driver::new();
    assert_eq!(d.tree.last_processed_zxid_digest(), None);
    d.create("/a", "");
    let zd = d.tree.last_processed_zxid_digest().unwrap();
    assert_eq!(
        (zd.zxid, zd.digest_version, zd.digest),
        (1, 2, d.tree.digest())
    );
    assert!(d.tree.digest_matches(Some(&zkrs_jute::TxnDigest {
        version: 2,
        tree_digest: d.tree.digest()
    })));
    assert!(!d.tree.digest_matches(Some(&zkrs_jute::TxnDigest {
        version: 2,
        tree_digest: 5
    })));
    assert!(d.tree.digest_matches(Some(&zkrs_jute::TxnDigest {
        version: 1,
        tree_digest: 5
    })));
    assert!(d.tree.digest_matches(None));
    // Logged only for multiples of 128.
    assert_eq!(d.tree.digest_log().count(), 0);
    while d.zxid < 256 {
        d.set_data("/a", "x");
    }
    let log: Vec<i64> = d.tree.digest_log().map(|z| z.zxid).collect();
    assert_eq!(log, vec![128, 256]);
}

#[test]
fn tree_metrics_count_namespaces_watchers_and_quotas() {
    use zkrs_datatree::tree_metrics::{quota_usage, QuotaUsage};
    use zkrs_datatree::WatcherId;
    let mut d = Driver::new();
    d.create("/foo", "quota-root");
    set_quota(&mut d, "/foo", "count=100,bytes=10000");
    d.create("/foo/a", "a0");
    d.create("/bar", "");
    d.create("/bar/c1", "xxxxxxxxxx");
    d.set_data("/foo/a", "a22");
    d.delete("/bar/c1");
    let m = d.tree.metrics();
    // DataTree.updateWriteStat: path length + data bytes (0 for a delete).
    let foo = m.write_per_namespace.get("foo").unwrap();
    assert_eq!((foo.count(), foo.sum()), (3, (4 + 10) + (6 + 2) + (6 + 3)));
    let bar = m.write_per_namespace.get("bar").unwrap();
    assert_eq!((bar.count(), bar.sum()), (3, 4 + (7 + 10) + 7));
    assert!(m.write_per_namespace.get("zookeeper").is_some());
    assert!(m.read_per_namespace.is_empty());

    // Reads: path + bytes + 68, only for nodes that exist.
    let w: WatcherId = 7;
    d.tree.get_data("/foo/a", Some(w)).unwrap();
    d.tree.get_children("/foo", Some(w)).unwrap();
    assert!(d.tree.get_data("/nope", None).is_err());
    let foo_reads = d.tree.metrics().read_per_namespace.get("foo").unwrap();
    assert_eq!(
        (foo_reads.count(), foo_reads.sum()),
        (2, (6 + 3 + 68) + (4 + 1 + 68))
    );
    // One watcher reached per trigger; triggers that reach nobody are not counted.
    d.set_data("/foo/a", "a333");
    d.create("/foo/c", "");
    d.create("/foo/d", "");
    let m = d.tree.metrics();
    assert_eq!(m.node_changed_watch_count.count(), 1);
    assert_eq!(m.node_children_watch_count.count(), 1);
    assert_eq!(m.node_created_watch_count.count(), 0);

    // QuotaMetricsUtils: limits from zookeeper_limits, usage (the quota root included) from
    // zookeeper_stats.
    let q = quota_usage(&d.tree);
    assert_eq!(
        q.get("foo"),
        Some(&QuotaUsage {
            count_limit: 100,
            bytes_limit: 10000,
            count_usage: 4,
            bytes_usage: 10 + 4,
        })
    );
    d.tree.reset_metrics();
    assert!(d.tree.metrics().write_per_namespace.is_empty());
}
