//! [`WatchManager`]: one watch table (`server/watch/WatchManager.java`).
//!
//! The DataTree has two: data watches (getData, exists, persistent and persistent-recursive
//! watches) and child watches (getChildren, persistent watches, and in the 3.8 model recursive
//! ones too). Per (watcher, path) a set of modes is kept ([`WatcherMode`]); under
//! [`WatchModel::Single`] (3.6–3.8 `WatcherModeManager`) the set holds exactly one mode and a new
//! registration replaces it, under [`WatchModel::Combined`] (3.9 `WatchStats`) modes accumulate.
//! A trigger on a path:
//!
//! - fires every watcher registered on the path itself, removing its STANDARD mode (one-shot) and
//!   dropping the entry when no mode is left; in the 3.8 model a recursive watcher there does not
//!   fire for NodeChildrenChanged;
//! - if any recursive watch exists in this table, also walks the ancestors up to `/`
//!   (`PathParentIterator`) and fires watchers that have PERSISTENT_RECURSIVE there (never for
//!   NodeChildrenChanged);
//! - fires each watcher at most once per trigger, and not at all if it is in the `suppress` set.
//!
//! Watchers fire in increasing id order (ZooKeeper: `HashSet` order).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zkrs_jute::{ErrorCode, EventType};

use crate::watch_model::WatchModel;
use crate::WatcherId;

/// `WatcherMode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WatcherMode {
    /// One-shot (getData, exists, getChildren).
    Standard,
    /// addWatch PERSISTENT: stays after firing.
    Persistent,
    /// addWatch PERSISTENT_RECURSIVE: stays, and fires for every descendant too.
    PersistentRecursive,
}

impl WatcherMode {
    fn flag(self) -> u8 {
        match self {
            WatcherMode::Standard => 1,
            WatcherMode::Persistent => 2,
            WatcherMode::PersistentRecursive => 4,
        }
    }
}

/// `WatchStats`: the modes one watcher has on one path, as bit flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct WatchStats(u8);

impl WatchStats {
    /// No mode.
    pub const NONE: WatchStats = WatchStats(0);

    /// With `mode` added.
    pub fn add_mode(self, mode: WatcherMode) -> WatchStats {
        WatchStats(self.0 | mode.flag())
    }

    /// With `mode` removed.
    pub fn remove_mode(self, mode: WatcherMode) -> WatchStats {
        WatchStats(self.0 & !mode.flag())
    }

    /// Whether `mode` is present.
    pub fn has_mode(self, mode: WatcherMode) -> bool {
        self.0 & mode.flag() != 0
    }

    /// No mode at all.
    pub fn is_none(self) -> bool {
        self.0 == 0
    }
}

/// One watch table.
#[derive(Debug, Clone, Default)]
pub struct WatchManager {
    /// path → watchers (`watchTable`).
    watch_table: HashMap<String, BTreeSet<WatcherId>>,
    /// watcher → path → modes (`watch2Paths`).
    watch_to_paths: HashMap<WatcherId, HashMap<String, WatchStats>>,
    recursive_qty: usize,
    model: WatchModel,
}

impl WatchManager {
    /// An empty table with the 3.9 rules ([`WatchModel::Combined`]).
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty table with the given rules.
    pub fn with_model(model: WatchModel) -> Self {
        WatchManager {
            model,
            ..Self::default()
        }
    }

    /// The rules this table follows.
    pub fn model(&self) -> WatchModel {
        self.model
    }

    /// `addWatch(path, watcher, mode)`. [`WatchModel::Combined`]: adds the mode, true if it was new
    /// for this (watcher, path). [`WatchModel::Single`] (`WatcherModeManager.setWatcherMode`): the
    /// mode replaces whatever this watcher had on the path; true if the path was new for it.
    pub fn add_watch(&mut self, path: &str, watcher: WatcherId, mode: WatcherMode) -> bool {
        if self.model == WatchModel::Single {
            return self.set_single_mode(path, watcher, mode);
        }
        match self.watch_table.get_mut(path) {
            Some(set) => {
                set.insert(watcher);
            }
            None => {
                self.watch_table
                    .insert(path.to_owned(), BTreeSet::from([watcher]));
            }
        }
        let paths = self.watch_to_paths.entry(watcher).or_default();
        let stats = paths.get(path).copied().unwrap_or(WatchStats::NONE);
        let new_stats = stats.add_mode(mode);
        if new_stats != stats {
            paths.insert(path.to_owned(), new_stats);
            if mode == WatcherMode::PersistentRecursive {
                self.recursive_qty += 1;
            }
            true
        } else {
            false
        }
    }

    /// The 3.8 `addWatch`: the watcher joins the path's set and its mode becomes `mode`.
    fn set_single_mode(&mut self, path: &str, watcher: WatcherId, mode: WatcherMode) -> bool {
        self.watch_table
            .entry(path.to_owned())
            .or_default()
            .insert(watcher);
        let paths = self.watch_to_paths.entry(watcher).or_default();
        let old = paths.insert(path.to_owned(), WatchStats::NONE.add_mode(mode));
        let was_recursive = old.is_some_and(|s| s.has_mode(WatcherMode::PersistentRecursive));
        let is_recursive = mode == WatcherMode::PersistentRecursive;
        if is_recursive && !was_recursive {
            self.recursive_qty += 1;
        } else if was_recursive && !is_recursive {
            self.recursive_qty -= 1;
        }
        old.is_none()
    }

    /// `removeWatcher(watcher)`: drops every watch of a closed connection.
    pub fn remove_watcher(&mut self, watcher: WatcherId) {
        let Some(paths) = self.watch_to_paths.remove(&watcher) else {
            return;
        };
        for (p, stats) in paths {
            if let Some(set) = self.watch_table.get_mut(&p) {
                set.remove(&watcher);
                if set.is_empty() {
                    self.watch_table.remove(&p);
                }
            }
            if stats.has_mode(WatcherMode::PersistentRecursive) {
                self.recursive_qty -= 1;
            }
        }
    }

    /// `triggerWatch`: the watchers to notify for an event of type `kind` on `path`, in id order,
    /// after updating the table. Watchers in `suppress` are updated as usual but not returned
    /// (they are still part of the `processed` set the second element returns, like
    /// `WatcherOrBitSet`).
    pub fn trigger(
        &mut self,
        path: &str,
        kind: EventType,
        suppress: Option<&BTreeSet<WatcherId>>,
    ) -> (Vec<WatcherId>, BTreeSet<WatcherId>) {
        let mut fired: BTreeSet<WatcherId> = BTreeSet::new();
        let walk_parents = self.recursive_qty > 0;
        let single = self.model == WatchModel::Single;
        // A recursive watch never reports NodeChildrenChanged (3.8: `mode.isRecursive()` is
        // tested first, at the path itself too; in 3.9 recursive watches are not in the child
        // table at all).
        let recursive_fires = kind != EventType::NodeChildrenChanged;
        let mut local: &str = path;
        let mut level = 0usize;
        // PathParentIterator: the path, then each parent, ending with "/" ("" ends it).
        while !local.is_empty() {
            let at_parent = level > 0;
            if let Some(watchers) = self.watch_table.get_mut(local) {
                let mut emptied = Vec::new();
                for &w in watchers.iter() {
                    let Some(paths) = self.watch_to_paths.get_mut(&w) else {
                        continue;
                    };
                    let Some(stats) = paths.get_mut(local) else {
                        continue;
                    };
                    if single && stats.has_mode(WatcherMode::PersistentRecursive) {
                        if recursive_fires {
                            fired.insert(w);
                        }
                    } else if !at_parent {
                        fired.insert(w);
                        let new_stats = stats.remove_mode(WatcherMode::Standard);
                        if new_stats.is_none() {
                            // Like ZooKeeper, a watcher whose last watch fired keeps an empty
                            // path map: `wchs` still counts the connection and `wchc` lists it.
                            paths.remove(local);
                            emptied.push(w);
                        } else {
                            *stats = new_stats;
                        }
                    } else if stats.has_mode(WatcherMode::PersistentRecursive) && recursive_fires {
                        fired.insert(w);
                    }
                }
                for w in emptied {
                    watchers.remove(&w);
                }
                if watchers.is_empty() {
                    self.watch_table.remove(local);
                }
            }
            if !walk_parents {
                break;
            }
            level += 1;
            local = if local == "/" {
                ""
            } else {
                match local.rfind('/') {
                    Some(0) => "/",
                    Some(i) => &local[..i],
                    None => "",
                }
            };
        }
        let out = fired
            .iter()
            .copied()
            .filter(|w| suppress.map_or(true, |s| !s.contains(w)))
            .collect();
        (out, fired)
    }

    /// `containsWatcher(path, watcher, mode)`; `None` matches any mode.
    pub fn contains_watcher(
        &self,
        path: &str,
        watcher: WatcherId,
        mode: Option<WatcherMode>,
    ) -> bool {
        let Some(stats) = self
            .watch_to_paths
            .get(&watcher)
            .and_then(|paths| paths.get(path))
        else {
            return false;
        };
        mode.map_or(true, |m| stats.has_mode(m))
    }

    /// Whether any watcher watches exactly `path` in this table.
    pub fn has_path(&self, path: &str) -> bool {
        self.watch_table.contains_key(path)
    }

    /// 3.8's `containsWatcher(path, watcher)`, step by step: it walks `PathParentIterator` (the
    /// path only, or up to `/` while this table has a recursive watch) and is true at the first
    /// step if *any* watcher is on `path` or if `watcher`'s own watch there is recursive; it never
    /// matches at a parent. The iterator computes each parent with
    /// `path.substring(0, path.lastIndexOf('/'))` before yielding, so a relative path throws
    /// (`StringIndexOutOfBoundsException`, which the server answers with MARSHALLINGERROR): `rel`
    /// always, `a/b` when the walk goes past it. The empty path yields nothing (false).
    pub fn contains_watcher_walk(&self, path: &str, watcher: WatcherId) -> Result<bool, ErrorCode> {
        let recursive = self
            .watch_to_paths
            .get(&watcher)
            .and_then(|paths| paths.get(path))
            .is_some_and(|s| s.has_mode(WatcherMode::PersistentRecursive));
        let max_level: i64 = if self.recursive_qty == 0 { 0 } else { i64::MAX };
        let mut rest = path;
        let mut level: i64 = -1;
        while !rest.is_empty() && level < max_level {
            let local = rest;
            level += 1;
            rest = if rest == "/" {
                ""
            } else {
                match rest.rfind('/') {
                    None => return Err(ErrorCode::MarshallingError),
                    Some(0) => "/",
                    Some(i) => &rest[..i],
                }
            };
            if level == 0 && self.watch_table.contains_key(local) {
                return Ok(true);
            }
            if recursive {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// `removeWatcher(path, watcher, mode)`; `None` removes every mode. True if anything changed.
    /// In the 3.8 model (`removeWatcher(path, watcher)`) the watcher keeps its (possibly empty)
    /// path map, as after a one-shot watch fired.
    pub fn remove_watch(
        &mut self,
        path: &str,
        watcher: WatcherId,
        mode: Option<WatcherMode>,
    ) -> bool {
        if self.model == WatchModel::Single && mode.is_none() {
            return self.remove_single(path, watcher);
        }
        if !self.watch_table.contains_key(path) {
            return false;
        }
        let Some(paths) = self.watch_to_paths.get_mut(&watcher) else {
            return false;
        };
        let old = paths.get(path).copied().unwrap_or(WatchStats::NONE);
        let new = match mode {
            Some(m) => old.remove_mode(m),
            None => WatchStats::NONE,
        };
        if old.is_none() {
            return false;
        }
        if new.is_none() {
            // unwatch
            paths.remove(path);
            if paths.is_empty() {
                self.watch_to_paths.remove(&watcher);
            }
            if let Some(set) = self.watch_table.get_mut(path) {
                set.remove(&watcher);
                if set.is_empty() {
                    self.watch_table.remove(path);
                }
            }
        } else if new != old {
            paths.insert(path.to_owned(), new);
        }
        if old.has_mode(WatcherMode::PersistentRecursive)
            && !new.has_mode(WatcherMode::PersistentRecursive)
        {
            self.recursive_qty -= 1;
        }
        old != new
    }

    /// The 3.8 `removeWatcher(path, watcher)`.
    fn remove_single(&mut self, path: &str, watcher: WatcherId) -> bool {
        let Some(old) = self
            .watch_to_paths
            .get_mut(&watcher)
            .and_then(|paths| paths.remove(path))
        else {
            return false;
        };
        if old.has_mode(WatcherMode::PersistentRecursive) {
            self.recursive_qty -= 1;
        }
        let Some(set) = self.watch_table.get_mut(path) else {
            return false;
        };
        if !set.remove(&watcher) {
            return false;
        }
        if set.is_empty() {
            self.watch_table.remove(path);
        }
        true
    }

    /// `size()`: the sum over paths of their watcher counts.
    pub fn size(&self) -> usize {
        self.watch_table.values().map(BTreeSet::len).sum()
    }

    /// The number of connections with at least one watch here.
    pub fn num_watchers(&self) -> usize {
        self.watch_to_paths.len()
    }

    /// The number of watched paths.
    pub fn num_paths(&self) -> usize {
        self.watch_table.len()
    }

    /// The number of (watcher, path) pairs.
    pub fn total_watches(&self) -> usize {
        self.watch_to_paths.values().map(HashMap::len).sum()
    }

    /// The number of (watcher, path) pairs with a recursive mode.
    pub fn recursive_count(&self) -> usize {
        self.recursive_qty
    }

    /// watcher → sorted paths (`getWatches`, `wchc`).
    pub fn by_watcher(&self) -> BTreeMap<WatcherId, Vec<String>> {
        self.watch_to_paths
            .iter()
            .map(|(&w, paths)| {
                let mut v: Vec<String> = paths.keys().cloned().collect();
                v.sort();
                (w, v)
            })
            .collect()
    }

    /// path → sorted watchers (`getWatchesByPath`, `wchp`).
    pub fn by_path(&self) -> BTreeMap<String, Vec<WatcherId>> {
        self.watch_table
            .iter()
            .map(|(p, set)| (p.clone(), set.iter().copied().collect()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use WatcherMode::*;

    #[test]
    fn standard_is_one_shot() {
        let mut m = WatchManager::new();
        assert!(m.add_watch("/a", 1, Standard));
        assert!(!m.add_watch("/a", 1, Standard));
        m.add_watch("/a", 2, Standard);
        assert_eq!(m.size(), 2);
        assert_eq!(
            m.trigger("/a", EventType::NodeDataChanged, None).0,
            vec![1, 2]
        );
        assert_eq!(m.size(), 0);
        // ZooKeeper quirk: the connections stay in watch2Paths with no path.
        assert_eq!(m.num_watchers(), 2);
        assert_eq!(m.total_watches(), 0);
        assert!(m.by_watcher()[&1].is_empty());
        assert!(m
            .trigger("/a", EventType::NodeDataChanged, None)
            .0
            .is_empty());
        m.remove_watcher(1);
        assert_eq!(m.num_watchers(), 1);
    }

    #[test]
    fn persistent_stays_and_combines() {
        let mut m = WatchManager::new();
        m.add_watch("/a", 1, Persistent);
        m.add_watch("/a", 1, Standard);
        assert_eq!(m.trigger("/a", EventType::NodeDataChanged, None).0, vec![1]);
        assert!(m.contains_watcher("/a", 1, Some(Persistent)));
        assert!(!m.contains_watcher("/a", 1, Some(Standard)));
        assert_eq!(m.trigger("/a", EventType::NodeDataChanged, None).0, vec![1]);
        // A persistent watch does not fire for children.
        assert!(m
            .trigger("/a/b", EventType::NodeDataChanged, None)
            .0
            .is_empty());
    }

    #[test]
    fn recursive_walks_parents() {
        let mut m = WatchManager::new();
        m.add_watch("/", 1, PersistentRecursive);
        m.add_watch("/a", 2, PersistentRecursive);
        m.add_watch("/a", 3, Persistent);
        m.add_watch("/a/b", 4, Standard);
        assert_eq!(
            m.trigger("/a/b", EventType::NodeDataChanged, None).0,
            vec![1, 2, 4]
        );
        assert_eq!(
            m.trigger("/a/b", EventType::NodeDataChanged, None).0,
            vec![1, 2]
        );
        assert_eq!(
            m.trigger("/a", EventType::NodeDataChanged, None).0,
            vec![1, 2, 3]
        );
        assert_eq!(m.trigger("/", EventType::NodeDataChanged, None).0, vec![1]);
        assert_eq!(
            m.trigger("/ab", EventType::NodeDataChanged, None).0,
            vec![1]
        );
        assert_eq!(m.recursive_count(), 2);
        m.remove_watcher(1);
        assert_eq!(m.recursive_count(), 1);
        assert!(m.remove_watch("/a", 2, Some(PersistentRecursive)));
        assert_eq!(m.recursive_count(), 0);
        assert!(!m.remove_watch("/a", 2, Some(PersistentRecursive)));
    }

    #[test]
    fn suppress() {
        let mut m = WatchManager::new();
        m.add_watch("/a", 1, Standard);
        m.add_watch("/a", 2, Standard);
        let s = BTreeSet::from([1]);
        let (out, processed) = m.trigger("/a", EventType::NodeDataChanged, Some(&s));
        assert_eq!(out, vec![2]);
        assert_eq!(processed, BTreeSet::from([1, 2]));
        assert_eq!(m.size(), 0);
    }

    #[test]
    fn remove_modes() {
        let mut m = WatchManager::new();
        m.add_watch("/a", 1, Standard);
        m.add_watch("/a", 1, Persistent);
        assert!(m.remove_watch("/a", 1, Some(Standard)));
        assert!(!m.remove_watch("/a", 1, Some(Standard)));
        assert!(m.contains_watcher("/a", 1, None));
        assert!(m.remove_watch("/a", 1, None));
        assert!(!m.contains_watcher("/a", 1, None));
        assert_eq!(m.num_paths(), 0);
        assert!(!m.remove_watch("/a", 1, None));
        assert!(!m.remove_watch("/zz", 9, None));
    }

    #[test]
    fn single_mode_last_registration_wins() {
        let mut m = WatchManager::with_model(WatchModel::Single);
        assert!(m.add_watch("/a", 1, PersistentRecursive));
        assert_eq!(m.recursive_count(), 1);
        // Same path again: replaced, not added; the recursive count follows.
        assert!(!m.add_watch("/a", 1, Standard));
        assert_eq!(m.recursive_count(), 0);
        assert!(!m.contains_watcher("/a", 1, Some(PersistentRecursive)));
        assert_eq!(
            m.trigger("/a/b", EventType::NodeCreated, None).0,
            Vec::<WatcherId>::new()
        );
        assert_eq!(m.trigger("/a", EventType::NodeDataChanged, None).0, vec![1]);
        assert!(!m.has_path("/a"));
        // A recursive watcher on the path itself ignores NodeChildrenChanged.
        m.add_watch("/r", 2, PersistentRecursive);
        m.add_watch("/r", 3, Standard);
        assert_eq!(
            m.trigger("/r", EventType::NodeChildrenChanged, None).0,
            vec![3]
        );
        assert!(m.has_path("/r"));
        // removeWatcher(path, w) drops any mode; the watcher keeps its empty path map.
        assert!(m.remove_watch("/r", 2, None));
        assert!(!m.remove_watch("/r", 2, None));
        assert_eq!(m.recursive_count(), 0);
        assert!(!m.has_path("/r"));
        assert!(m.by_watcher()[&2].is_empty());
    }

    #[test]
    fn contains_watcher_walk_follows_path_parent_iterator() {
        let mut m = WatchManager::with_model(WatchModel::Single);
        m.add_watch("/a", 1, Standard);
        m.add_watch("", 1, Standard);
        // Any watcher on the path counts; parents never do.
        assert_eq!(m.contains_watcher_walk("/a", 2), Ok(true));
        assert_eq!(m.contains_watcher_walk("/a/b", 1), Ok(false));
        // The empty path yields nothing; a path without '/' throws in Java.
        assert_eq!(m.contains_watcher_walk("", 1), Ok(false));
        assert_eq!(
            m.contains_watcher_walk("rel", 1),
            Err(ErrorCode::MarshallingError)
        );
        // Only the path itself is looked at while no recursive watch exists...
        assert_eq!(m.contains_watcher_walk("a/b", 1), Ok(false));
        // ...otherwise the walk goes on and a relative path throws further up.
        m.add_watch("/r", 3, PersistentRecursive);
        assert_eq!(
            m.contains_watcher_walk("a/b", 1),
            Err(ErrorCode::MarshallingError)
        );
        assert_eq!(m.contains_watcher_walk("/r/x", 3), Ok(false));
        assert_eq!(m.contains_watcher_walk("/r", 3), Ok(true));
    }

    #[test]
    fn reports() {
        let mut m = WatchManager::new();
        m.add_watch("/b", 1, Standard);
        m.add_watch("/a", 1, Standard);
        m.add_watch("/a", 2, Standard);
        assert_eq!(m.total_watches(), 3);
        assert_eq!(m.num_paths(), 2);
        assert_eq!(m.num_watchers(), 2);
        assert_eq!(m.by_watcher()[&1], vec!["/a".to_string(), "/b".to_string()]);
        assert_eq!(m.by_path()["/a"], vec![1, 2]);
    }
}
