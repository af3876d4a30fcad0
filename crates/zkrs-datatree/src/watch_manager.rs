//! [`WatchManager`]: one watch table (`server/watch/WatchManager.java`, 3.9 `WatchStats` form).
//!
//! The DataTree has two: data watches (getData, exists, persistent and persistent-recursive
//! watches) and child watches (getChildren and persistent watches). Per (watcher, path) a set of
//! modes is kept ([`WatcherMode`]); a trigger on a path:
//!
//! - fires every watcher registered on the path itself, removing its STANDARD mode (one-shot) and
//!   dropping the entry when no mode is left;
//! - if any recursive watch exists in this table, also walks the ancestors up to `/`
//!   (`PathParentIterator`) and fires watchers that have PERSISTENT_RECURSIVE there;
//! - fires each watcher at most once per trigger, and not at all if it is in the `suppress` set.
//!
//! Watchers fire in increasing id order (ZooKeeper: `HashSet` order).

use std::collections::{BTreeMap, BTreeSet, HashMap};

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
}

impl WatchManager {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// `addWatch(path, watcher, mode)`: true if the mode was new for this (watcher, path).
    pub fn add_watch(&mut self, path: &str, watcher: WatcherId, mode: WatcherMode) -> bool {
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

    /// `triggerWatch`: the watchers to notify for an event on `path`, in id order, after updating
    /// the table. Watchers in `suppress` are updated as usual but not returned (they are still
    /// part of the `processed` set the second element returns, like `WatcherOrBitSet`).
    pub fn trigger(
        &mut self,
        path: &str,
        suppress: Option<&BTreeSet<WatcherId>>,
    ) -> (Vec<WatcherId>, BTreeSet<WatcherId>) {
        let mut fired: BTreeSet<WatcherId> = BTreeSet::new();
        let walk_parents = self.recursive_qty > 0;
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
                    if !at_parent {
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
                    } else if stats.has_mode(WatcherMode::PersistentRecursive) {
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

    /// `removeWatcher(path, watcher, mode)`; `None` removes every mode. True if anything changed.
    pub fn remove_watch(
        &mut self,
        path: &str,
        watcher: WatcherId,
        mode: Option<WatcherMode>,
    ) -> bool {
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
        assert_eq!(m.trigger("/a", None).0, vec![1, 2]);
        assert_eq!(m.size(), 0);
        // ZooKeeper quirk: the connections stay in watch2Paths with no path.
        assert_eq!(m.num_watchers(), 2);
        assert_eq!(m.total_watches(), 0);
        assert!(m.by_watcher()[&1].is_empty());
        assert!(m.trigger("/a", None).0.is_empty());
        m.remove_watcher(1);
        assert_eq!(m.num_watchers(), 1);
    }

    #[test]
    fn persistent_stays_and_combines() {
        let mut m = WatchManager::new();
        m.add_watch("/a", 1, Persistent);
        m.add_watch("/a", 1, Standard);
        assert_eq!(m.trigger("/a", None).0, vec![1]);
        assert!(m.contains_watcher("/a", 1, Some(Persistent)));
        assert!(!m.contains_watcher("/a", 1, Some(Standard)));
        assert_eq!(m.trigger("/a", None).0, vec![1]);
        // A persistent watch does not fire for children.
        assert!(m.trigger("/a/b", None).0.is_empty());
    }

    #[test]
    fn recursive_walks_parents() {
        let mut m = WatchManager::new();
        m.add_watch("/", 1, PersistentRecursive);
        m.add_watch("/a", 2, PersistentRecursive);
        m.add_watch("/a", 3, Persistent);
        m.add_watch("/a/b", 4, Standard);
        assert_eq!(m.trigger("/a/b", None).0, vec![1, 2, 4]);
        assert_eq!(m.trigger("/a/b", None).0, vec![1, 2]);
        assert_eq!(m.trigger("/a", None).0, vec![1, 2, 3]);
        assert_eq!(m.trigger("/", None).0, vec![1]);
        assert_eq!(m.trigger("/ab", None).0, vec![1]);
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
        let (out, processed) = m.trigger("/a", Some(&s));
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
