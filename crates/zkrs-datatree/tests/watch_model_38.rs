//! The 3.8 watch-table rules ([`WatchModel::Single`], `WatcherModeManager`): one mode per
//! (watcher, path) and table with the last registration winning, recursive watches in both
//! tables, and checkWatches/removeWatches answered per table. Each case was observed against
//! ZooKeeper 3.8.0 by the differential test.

mod common;

use common::*;
use zkrs_datatree::{DataTree, TreeConfig, WatchEvent, WatchModel};
use zkrs_jute::{AddWatchMode, EventType, WatcherType};

use EventType::*;

fn driver() -> Driver {
    Driver::with_tree(DataTree::with_config(TreeConfig {
        watch_model: WatchModel::Single,
        ..TreeConfig::default()
    }))
}

fn ev(t: &mut DataTree) -> Vec<(u64, EventType, String)> {
    t.take_watch_events()
        .into_iter()
        .map(|e: WatchEvent| (e.watcher, e.event_type().unwrap(), e.event.path))
        .collect()
}

#[test]
fn a_standard_watch_replaces_a_recursive_one() {
    let mut d = driver();
    d.create("/a", "");
    d.tree.add_watch("/a", 1, AddWatchMode::PersistentRecursive);
    d.create("/a/x", "");
    assert_eq!(ev(&mut d.tree), vec![(1, NodeCreated, "/a/x".into())]);
    // exists(watch) on the same path: the data table's entry becomes one-shot.
    d.tree.exists("/a", Some(1)).unwrap();
    d.set_data("/a", "1");
    assert_eq!(ev(&mut d.tree), vec![(1, NodeDataChanged, "/a".into())]);
    d.set_data("/a", "2");
    d.create("/a/y", "");
    assert!(ev(&mut d.tree).is_empty());
    // The child table still holds the recursive mode (no NodeChildrenChanged from it).
    assert!(d.tree.contains_watcher("/a", WatcherType::Children, 1));
    assert!(!d.tree.contains_watcher("/a", WatcherType::Data, 1));
}

#[test]
fn the_combined_model_keeps_both() {
    let mut d = Driver::new();
    d.create("/a", "");
    d.tree.add_watch("/a", 1, AddWatchMode::PersistentRecursive);
    d.tree.exists("/a", Some(1)).unwrap();
    d.set_data("/a", "1");
    d.create("/a/x", "");
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeDataChanged, "/a".into()),
            (1, NodeCreated, "/a/x".into())
        ]
    );
}

#[test]
fn add_watch_replaces_a_standard_watch() {
    let mut d = driver();
    d.create("/a", "");
    d.tree.get_data("/a", Some(1)).unwrap();
    d.tree.add_watch("/a", 1, AddWatchMode::Persistent);
    d.set_data("/a", "1");
    d.set_data("/a", "2");
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeDataChanged, "/a".into()),
            (1, NodeDataChanged, "/a".into())
        ]
    );
    // Recursive after persistent replaces both halves: no more NodeChildrenChanged.
    d.tree.add_watch("/a", 1, AddWatchMode::PersistentRecursive);
    d.create("/a/x", "");
    assert_eq!(ev(&mut d.tree), vec![(1, NodeCreated, "/a/x".into())]);
    // A getChildren watch then turns the child half into a one-shot watch.
    d.tree.get_children("/a", Some(1)).unwrap();
    d.create("/a/y", "");
    d.create("/a/z", "");
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeCreated, "/a/y".into()),
            (1, NodeChildrenChanged, "/a".into()),
            (1, NodeCreated, "/a/z".into())
        ]
    );
}

#[test]
fn recursive_watches_are_in_both_tables_and_never_report_children_changed() {
    let mut d = driver();
    d.tree.add_watch("/r", 1, AddWatchMode::PersistentRecursive);
    assert_eq!(d.tree.watch_count(), 2);
    d.create("/r", "");
    d.create("/r/x", "");
    d.delete("/r/x");
    // NodeDeleted fires once although both tables hold the watch (the child table's trigger is
    // suppressed by the data table's).
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeCreated, "/r".into()),
            (1, NodeCreated, "/r/x".into()),
            (1, NodeDeleted, "/r/x".into())
        ]
    );
    // Dropping the data half leaves the child half: it still fires NodeDeleted for
    // descendants through the child table's own parent walk.
    assert!(d.tree.remove_watches("/r", WatcherType::Data, 1));
    d.create("/r/y", "");
    d.set_data("/r/y", "1");
    d.delete("/r/y");
    assert_eq!(ev(&mut d.tree), vec![(1, NodeDeleted, "/r/y".into())]);
    assert!(d.tree.remove_watches("/r", WatcherType::Children, 1));
    assert!(!d.tree.remove_watches("/r", WatcherType::Any, 1));
    assert_eq!(d.tree.watch_count(), 0);
}

#[test]
fn set_watches_puts_recursive_watches_in_both_tables() {
    let mut d = driver();
    d.tree
        .set_watches(0, &[], &[], &[], &["/p".into()], &["/r".into()], 7);
    assert_eq!(d.tree.watch_count(), 4);
    assert!(d.tree.contains_watcher("/r", WatcherType::Children, 7));
}

#[test]
fn check_watches_looks_at_the_path_not_the_caller() {
    let mut d = driver();
    // An exists watch on a missing node is a data watch on that path.
    assert!(d.tree.exists("/m", Some(1)).is_err());
    assert!(d.tree.contains_watcher("/m", WatcherType::Any, 2));
    assert!(d.tree.contains_watcher("/m", WatcherType::Data, 2));
    assert!(!d.tree.contains_watcher("/m", WatcherType::Children, 1));
    // Removal is the caller's own.
    assert!(!d.tree.remove_watches("/m", WatcherType::Data, 2));
    assert!(!d.tree.remove_watches("/m", WatcherType::Children, 1));
    assert!(d.tree.remove_watches("/m", WatcherType::Any, 1));
    assert!(!d.tree.contains_watcher("/m", WatcherType::Any, 1));
}

#[test]
fn removing_the_data_half_of_a_persistent_watch_keeps_the_child_half() {
    let mut d = driver();
    d.create("/c", "");
    d.tree.add_watch("/c", 1, AddWatchMode::Persistent);
    assert!(d.tree.remove_watches("/c", WatcherType::Data, 1));
    assert!(d.tree.contains_watcher("/c", WatcherType::Any, 2));
    assert!(d.tree.contains_watcher("/c", WatcherType::Children, 2));
    assert!(!d.tree.contains_watcher("/c", WatcherType::Data, 2));
    d.set_data("/c", "1");
    d.create("/c/k", "");
    d.create("/c/l", "");
    assert_eq!(
        ev(&mut d.tree),
        vec![
            (1, NodeChildrenChanged, "/c".into()),
            (1, NodeChildrenChanged, "/c".into())
        ]
    );
}

#[test]
fn set_watch_model_resets_the_tables() {
    let mut t = DataTree::new();
    t.add_watch("/a", 1, AddWatchMode::Persistent);
    t.set_watch_model(WatchModel::Single);
    assert_eq!(t.watch_count(), 0);
    assert_eq!(t.config().watch_model, WatchModel::Single);
    assert_eq!(t.data_watches().model(), WatchModel::Single);
}
