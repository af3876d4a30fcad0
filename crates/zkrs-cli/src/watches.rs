//! [`WatchRegistry`]: the client-side watch tables of `ZKWatchManager`. zkCli registers every watch
//! with its one default watcher, so each table is a set of paths and an event either reaches that
//! watcher (printed once) or nobody.

use std::collections::BTreeSet;

use zkrs_jute::{EventType, WatcherType};

/// Which table a successful read registers its watch in (`WatchRegistration`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchReg {
    None,
    /// getData / getConfig: on success.
    Data(String),
    /// exists: data table on success, exist table on NONODE.
    Exists(String),
    /// getChildren: on success.
    Child(String),
    Persistent(String),
    PersistentRecursive(String),
}

/// The five tables.
#[derive(Debug, Clone, Default)]
pub struct WatchRegistry {
    pub data: BTreeSet<String>,
    pub exist: BTreeSet<String>,
    pub child: BTreeSet<String>,
    pub persistent: BTreeSet<String>,
    pub persistent_recursive: BTreeSet<String>,
}

const NONODE: i32 = -101;

impl WatchRegistry {
    /// `WatchRegistration.register(rc)`.
    pub fn register(&mut self, reg: &WatchReg, rc: i32) {
        match reg {
            WatchReg::None => {}
            WatchReg::Data(p) if rc == 0 => {
                self.data.insert(p.clone());
            }
            WatchReg::Exists(p) if rc == 0 => {
                self.data.insert(p.clone());
            }
            WatchReg::Exists(p) if rc == NONODE => {
                self.exist.insert(p.clone());
            }
            WatchReg::Child(p) if rc == 0 => {
                self.child.insert(p.clone());
            }
            WatchReg::Persistent(p) if rc == 0 => {
                self.persistent.insert(p.clone());
            }
            WatchReg::PersistentRecursive(p) if rc == 0 => {
                self.persistent_recursive.insert(p.clone());
            }
            _ => {}
        }
    }

    /// True when no watch is registered (no SetWatches after a reconnect).
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
            && self.exist.is_empty()
            && self.child.is_empty()
            && self.persistent.is_empty()
            && self.persistent_recursive.is_empty()
    }

    fn persistent_hit(&self, path: &str) -> bool {
        if self.persistent.contains(path) {
            return true;
        }
        // PathParentIterator.forAll: the path and every ancestor up to "/".
        let mut p = path.to_string();
        loop {
            if self.persistent_recursive.contains(&p) {
                return true;
            }
            if p == "/" || p.is_empty() {
                return false;
            }
            match p.rfind('/') {
                Some(0) => p = "/".to_string(),
                Some(i) => p.truncate(i),
                None => return false,
            }
        }
    }

    /// `materialize` for a node event: removes the one-shot watches it fires and returns whether
    /// the default watcher is to be called.
    pub fn materialize(&mut self, ty: EventType, path: &str) -> bool {
        let mut hit = false;
        match ty {
            EventType::None => return true,
            EventType::NodeDataChanged | EventType::NodeCreated => {
                hit |= self.data.remove(path);
                hit |= self.exist.remove(path);
            }
            EventType::NodeChildrenChanged => {
                hit |= self.child.remove(path);
            }
            EventType::NodeDeleted => {
                hit |= self.data.remove(path);
                hit |= self.exist.remove(path);
                hit |= self.child.remove(path);
            }
            _ => return false,
        }
        hit | self.persistent_hit(path)
    }

    /// `containsWatcher`: false means `NoWatcherException` before anything else.
    pub fn contains(&self, path: &str, ty: WatcherType) -> bool {
        let p = self.persistent.contains(path) || self.persistent_recursive.contains(path);
        match ty {
            WatcherType::Children => self.child.contains(path) || p,
            WatcherType::Data => self.data.contains(path) || self.exist.contains(path) || p,
            _ => {
                self.child.contains(path)
                    || self.data.contains(path)
                    || self.exist.contains(path)
                    || p
            }
        }
    }

    /// `removeWatcher` after the server answered `rc`: the removed-watch event types to deliver,
    /// or the error code the call fails with.
    pub fn remove(
        &mut self,
        path: &str,
        ty: WatcherType,
        local: bool,
        rc: i32,
    ) -> Result<Vec<EventType>, i32> {
        if !self.contains(path, ty) {
            return Err(-121);
        }
        if !local && rc != 0 {
            return Err(rc);
        }
        let mut child = false;
        let mut data = false;
        let mut pers = false;
        match ty {
            WatcherType::Children => child = self.child.remove(path),
            WatcherType::Data => {
                data = self.data.remove(path);
                data |= self.exist.remove(path);
            }
            _ => {
                child = self.child.remove(path);
                data = self.data.remove(path);
                data |= self.exist.remove(path);
                pers = self.persistent.remove(path);
                pers |= self.persistent_recursive.remove(path);
            }
        }
        if !(child || data || pers) {
            return Err(-121);
        }
        let mut out = Vec::new();
        // HashMap order of the EventType keys in Java is not fixed; use the declaration order.
        if data {
            out.push(EventType::DataWatchRemoved);
        }
        if child {
            out.push(EventType::ChildWatchRemoved);
        }
        if pers {
            out.push(EventType::PersistentWatchRemoved);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_shot_and_persistent() {
        let mut w = WatchRegistry::default();
        w.register(&WatchReg::Data("/a".into()), 0);
        w.register(&WatchReg::Exists("/b".into()), -101);
        w.register(&WatchReg::PersistentRecursive("/r".into()), 0);
        assert!(w.materialize(EventType::NodeDataChanged, "/a"));
        assert!(!w.materialize(EventType::NodeDataChanged, "/a"));
        assert!(w.materialize(EventType::NodeCreated, "/b"));
        assert!(w.materialize(EventType::NodeCreated, "/r/x/y"));
        assert!(w.materialize(EventType::NodeDeleted, "/r"));
        assert!(!w.materialize(EventType::NodeDeleted, "/q"));
    }

    #[test]
    fn removal() {
        let mut w = WatchRegistry::default();
        assert_eq!(w.remove("/a", WatcherType::Any, false, 0), Err(-121));
        w.register(&WatchReg::Child("/a".into()), 0);
        assert_eq!(w.remove("/a", WatcherType::Data, false, 0), Err(-121));
        assert_eq!(
            w.remove("/a", WatcherType::Children, false, 0),
            Ok(vec![EventType::ChildWatchRemoved])
        );
    }
}
