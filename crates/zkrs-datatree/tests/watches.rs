//! Watch firing tables (§1.9): standard, persistent, recursive, setWatches, removal, reports.

mod common;

use common::*;
use zkrs_datatree::{DataTree, WatchEvent};
use zkrs_jute::{perms, Acl, AddWatchMode, ErrorCode, EventType, WatcherType};

fn ev(t: &mut DataTree) -> Vec<(u64, EventType, String)> {
    t.take_watch_events()
        .into_iter()
        .map(|e: WatchEvent| {
            assert_eq!(e.event.state, 3);
            (e.watcher, e.event_type().unwrap(), e.event.path)
        })
        .collect()
}

use EventType::*;

#[test]
fn standard_watches_fire_once() {
    let mut d = Driver::new();
    d.create("/a", "");
    d.tree.get_data("/a", Some(1)).unwrap();
    d.tree.exists("/a", Some(2)).unwrap();
    d.tree.get_children("/a", Some(3)).unwrap();
    d.set_data("/a", "x");
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeDataChanged, "/a".into()),
            (2, NodeDataChanged, "/a".into())
        ]
    );
    d.set_data("/a", "y");
    assert!(ev(&mut d.tree).is_empty());
    d.create("/a/b", "");
    assert_eq!(ev(&mut d.tree), vec![(3, NodeChildrenChanged, "/a".into())]);
    d.create("/a/c", "");
    assert!(ev(&mut d.tree).is_empty());
}

#[test]
fn exists_registers_on_missing_node() {
    let mut d = Driver::new();
    assert_eq!(d.tree.exists("/n", Some(7)), Err(ErrorCode::NoNode));
    assert_eq!(d.tree.get_data("/m", Some(8)), Err(ErrorCode::NoNode));
    assert_eq!(
        d.tree.get_children("/m", Some(8)).unwrap_err(),
        ErrorCode::NoNode
    );
    assert!(d.tree.contains_watcher("/n", WatcherType::Data, 7));
    assert!(!d.tree.contains_watcher("/m", WatcherType::Any, 8));
    d.create("/n", "");
    d.create("/m", "");
    let e = d.tree.take_watch_events();
    assert_eq!(e.len(), 1);
    assert_eq!(
        (e[0].watcher, e[0].event_type(), e[0].path()),
        (7, Some(NodeCreated), "/n")
    );
    assert_eq!(e[0].zxid, 1);
    assert_eq!(
        e[0].path_acl.as_deref(),
        Some(&perms::open_acl_unsafe()[..])
    );
}

#[test]
fn create_fires_created_then_parent_children() {
    let mut d = Driver::new();
    d.tree.exists("/a", Some(1)).unwrap_err();
    d.tree.get_children("/", Some(2)).unwrap();
    d.tree.exists("/a", Some(2)).unwrap_err();
    d.create("/a", "");
    // Root's NodeChildrenChanged uses "/" as its path.
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeCreated, "/a".into()),
            (2, NodeCreated, "/a".into()),
            (2, NodeChildrenChanged, "/".into())
        ]
    );
}

#[test]
fn delete_fires_once_per_watcher() {
    let mut d = Driver::new();
    d.create("/a", "");
    d.create("/a/b", "");
    d.tree.get_data("/a/b", Some(1)).unwrap();
    d.tree.get_children("/a/b", Some(1)).unwrap();
    d.tree.get_children("/a/b", Some(2)).unwrap();
    d.tree.get_children("/a", Some(3)).unwrap();
    d.tree.get_data("/a", Some(4)).unwrap();
    d.delete("/a/b");
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeDeleted, "/a/b".into()),
            (2, NodeDeleted, "/a/b".into()),
            (3, NodeChildrenChanged, "/a".into())
        ]
    );
    // Watcher 1's child watch was consumed too (not left dangling).
    assert!(!d.tree.contains_watcher("/a/b", WatcherType::Any, 1));
    assert_eq!(d.tree.watch_count(), 1);
}

#[test]
fn event_acls() {
    let mut d = Driver::new();
    let secret = vec![Acl::new(31, "digest", "u:x")];
    d.create("/p", "");
    d.set_acl("/p", secret.clone());
    d.tree.get_children("/p", Some(1)).unwrap();
    d.tree.exists("/p/c", Some(2)).unwrap_err();
    d.create("/p/c", "");
    let e = d.tree.take_watch_events();
    assert_eq!(e[0].event_type(), Some(NodeCreated));
    assert_eq!(
        e[0].path_acl.as_deref(),
        Some(&perms::open_acl_unsafe()[..])
    );
    assert_eq!(e[1].event_type(), Some(NodeChildrenChanged));
    assert_eq!(e[1].path_acl.as_deref(), Some(&secret[..]));
    assert_eq!(e[1].zxid, 3);
}

#[test]
fn set_acl_fires_nothing() {
    let mut d = Driver::new();
    d.create("/a", "");
    d.tree.get_data("/a", Some(1)).unwrap();
    d.tree.add_watch("/a", 2, AddWatchMode::PersistentRecursive);
    d.set_acl("/a", perms::read_acl_unsafe());
    assert!(ev(&mut d.tree).is_empty());
}

#[test]
fn persistent_watch_table() {
    let mut d = Driver::new();
    d.tree.add_watch("/a", 1, AddWatchMode::Persistent);
    d.create("/a", "");
    d.set_data("/a", "x");
    d.create("/a/b", "");
    d.set_data("/a/b", "x");
    d.delete("/a/b");
    d.delete("/a");
    d.create("/a", "");
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeCreated, "/a".into()),
            (1, NodeDataChanged, "/a".into()),
            (1, NodeChildrenChanged, "/a".into()),
            (1, NodeChildrenChanged, "/a".into()),
            (1, NodeDeleted, "/a".into()),
            (1, NodeCreated, "/a".into()),
        ]
    );
    assert!(d.tree.contains_watcher("/a", WatcherType::Persistent, 1));
    assert!(!d.tree.contains_watcher("/a", WatcherType::Data, 1));
    assert!(d
        .tree
        .child_watches()
        .contains_watcher("/a", 1, Option::None));
}

#[test]
fn recursive_watch_table() {
    let mut d = Driver::new();
    d.tree.add_watch("/a", 1, AddWatchMode::PersistentRecursive);
    d.create("/a", "");
    d.create("/a/b", "");
    d.create("/a/b/c", "");
    d.set_data("/a/b/c", "x");
    d.delete("/a/b/c");
    d.create("/ab", "");
    d.set_data("/a", "y");
    // Never NodeChildrenChanged from a recursive watch.
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeCreated, "/a".into()),
            (1, NodeCreated, "/a/b".into()),
            (1, NodeCreated, "/a/b/c".into()),
            (1, NodeDataChanged, "/a/b/c".into()),
            (1, NodeDeleted, "/a/b/c".into()),
            (1, NodeDataChanged, "/a".into()),
        ]
    );
    assert!(!d
        .tree
        .child_watches()
        .contains_watcher("/a", 1, Option::None));
    // Recursive on "/" sees everything, once per event even with a standard watch too.
    d.tree.add_watch("/", 2, AddWatchMode::PersistentRecursive);
    d.tree.get_data("/a", Some(2)).unwrap();
    d.set_data("/a", "z");
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeDataChanged, "/a".into()),
            (2, NodeDataChanged, "/a".into())
        ]
    );
    d.set_data("/", "r");
    assert_eq!(ev(&mut d.tree), vec![(2, NodeDataChanged, "/".into())]);
}

#[test]
fn set_watches_table() {
    let mut d = Driver::new();
    d.create("/old", ""); // zxid 1
    d.create("/new", ""); // zxid 2
    d.create("/old/c", ""); // zxid 3, /old pzxid 3
    let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    d.tree.set_watches(
        2,
        &s(&["/old", "/new", "/gone"]),
        &s(&["/old", "/absent"]),
        &s(&["/old", "/new", "/gone"]),
        &s(&["/p"]),
        &s(&["/r"]),
        9,
    );
    let e = d.tree.take_watch_events();
    let got: Vec<_> = e
        .iter()
        .map(|e| {
            (
                e.event_type().unwrap(),
                e.path().to_string(),
                e.zxid,
                e.path_acl.is_none(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (NodeDeleted, "/gone".into(), -1, true),
            (NodeCreated, "/old".into(), -1, true),
            (NodeChildrenChanged, "/old".into(), -1, true),
            (NodeDeleted, "/gone".into(), -1, true),
        ]
    );
    // Registered: data /old (mzxid 1 <= 2), data /new? mzxid 2 <= 2 → registered; exist /absent;
    // child /new (pzxid 2 <= 2).
    assert!(d.tree.contains_watcher("/old", WatcherType::Data, 9));
    assert!(d.tree.contains_watcher("/new", WatcherType::Data, 9));
    assert!(d.tree.contains_watcher("/absent", WatcherType::Data, 9));
    assert!(d.tree.contains_watcher("/new", WatcherType::Children, 9));
    assert!(!d.tree.contains_watcher("/old", WatcherType::Children, 9));
    assert!(d.tree.contains_watcher("/p", WatcherType::Persistent, 9));
    assert!(d
        .tree
        .contains_watcher("/r", WatcherType::PersistentRecursive, 9));
}

#[test]
fn remove_and_check_watches() {
    let mut t = DataTree::new();
    t.get_data("/zookeeper", Some(1)).unwrap();
    t.get_children("/zookeeper", Some(1)).unwrap();
    t.add_watch("/p", 1, AddWatchMode::Persistent);
    t.add_watch("/r", 1, AddWatchMode::PersistentRecursive);
    assert!(t.contains_watcher("/zookeeper", WatcherType::Children, 1));
    assert!(!t.contains_watcher("/zookeeper", WatcherType::Persistent, 1));
    assert!(t.contains_watcher("/p", WatcherType::Any, 1));
    assert!(!t.contains_watcher("/p", WatcherType::Data, 1));
    assert!(!t.remove_watches("/zookeeper", WatcherType::Persistent, 1));
    assert!(t.remove_watches("/zookeeper", WatcherType::Children, 1));
    assert!(!t.remove_watches("/zookeeper", WatcherType::Children, 1));
    assert!(t.remove_watches("/zookeeper", WatcherType::Any, 1));
    assert!(!t.contains_watcher("/zookeeper", WatcherType::Any, 1));
    assert!(t.remove_watches("/p", WatcherType::Persistent, 1));
    assert!(!t.contains_watcher("/p", WatcherType::Any, 1));
    assert!(!t.remove_watches("/r", WatcherType::Persistent, 1));
    assert!(t.remove_watches("/r", WatcherType::PersistentRecursive, 1));
    assert!(!t.remove_watches("/zzz", WatcherType::Data, 1));
    assert_eq!(t.watch_count(), 0);
}

#[test]
fn closed_connection_loses_watches() {
    let mut d = Driver::new();
    d.create("/a", "");
    d.tree.get_data("/a", Some(1)).unwrap();
    d.tree.get_children("/a", Some(1)).unwrap();
    d.tree.add_watch("/", 1, AddWatchMode::PersistentRecursive);
    d.tree.get_data("/a", Some(2)).unwrap();
    d.tree.remove_watcher(1);
    d.set_data("/a", "x");
    d.create("/a/b", "");
    assert_eq!(ev(&mut d.tree), vec![(2, NodeDataChanged, "/a".into())]);
    assert_eq!(d.tree.data_watches().recursive_count(), 0);
}

#[test]
fn summary_reports_data_table() {
    let mut d = Driver::new();
    d.create("/a", "");
    d.tree.get_data("/a", Some(1)).unwrap();
    d.tree.exists("/b", Some(1)).unwrap_err();
    d.tree.get_data("/a", Some(2)).unwrap();
    d.tree.get_children("/a", Some(3)).unwrap();
    d.tree.add_watch("/p", 4, AddWatchMode::Persistent);
    let s = d.tree.watch_summary();
    assert_eq!((s.num_connections, s.num_paths, s.total_watches), (3, 3, 4));
    assert_eq!(s.watch_count, 4 + 2);
    assert_eq!(s.by_watcher[&1], vec!["/a".to_string(), "/b".to_string()]);
    assert!(!s.by_watcher.contains_key(&3));
    assert_eq!(s.by_path["/a"], vec![1, 2]);
    // After the one-shot watches on /a fire, their connections are still counted (ZooKeeper).
    d.set_data("/a", "x");
    let s = d.tree.watch_summary();
    assert_eq!((s.num_connections, s.num_paths, s.total_watches), (3, 2, 2));
    assert!(s.by_watcher[&2].is_empty());
}

/// `get_data_checked`: the check sees the node's ACL; a refused read returns the check's error
/// and leaves no watch; an allowed one returns the data and leaves the watch; a missing node is
/// NONODE before any check.
#[test]
fn a_refused_checked_read_leaves_no_watch() {
    let mut d = Driver::new();
    d.create("/a", "v");
    let refused = d.tree.get_data_checked("/a", Some(1), |acl| {
        assert!(!acl.is_empty(), "the check sees the node's ACL");
        Err(ErrorCode::NoAuth)
    });
    assert_eq!(refused, Err(ErrorCode::NoAuth));
    assert!(!d.tree.contains_watcher("/a", WatcherType::Any, 1));

    let (data, stat) = d
        .tree
        .get_data_checked("/a", Some(2), |_| Ok(()))
        .expect("allowed");
    assert_eq!(data.as_deref(), Some(&b"v"[..]));
    assert_eq!(stat.data_length, 1);
    assert!(d.tree.contains_watcher("/a", WatcherType::Data, 2));

    let missing = d
        .tree
        .get_data_checked("/m", Some(3), |_| panic!("no check for a missing node"));
    assert_eq!(missing, Err(ErrorCode::NoNode));
    assert!(!d.tree.contains_watcher("/m", WatcherType::Any, 3));
}
