//! The identities of one connection (`ServerCnxn.authInfo`).

use std::sync::Arc;

use zkrs_jute::{ClientInfo, Id};

use super::Provider;
use crate::java::hash::id_hash;
use crate::java::ConcurrentHashSet;

/// The `Id`s a connection has authenticated as, iterated in the order of the JVM's
/// `ConcurrentHashMap`-backed set: that order is visible in whoAmI replies and in the ACLs an
/// `auth` entry expands to.
#[derive(Debug, Clone)]
pub struct AuthIds {
    set: ConcurrentHashSet<Id>,
    /// The identities in `set`'s order, rebuilt on every (rare) change. Each read request
    /// captures the caller's identities on arrival; sharing this list makes that a reference
    /// count instead of a `Vec` and two `String`s per identity per request.
    shared: Arc<[Id]>,
}

impl Default for AuthIds {
    fn default() -> Self {
        AuthIds {
            set: ConcurrentHashSet::default(),
            shared: Arc::from(Vec::new()),
        }
    }
}

impl AuthIds {
    /// No identities.
    pub fn new() -> Self {
        AuthIds::default()
    }

    /// `addAuthInfo(id)`; a duplicate is ignored.
    pub fn add(&mut self, id: Id) -> bool {
        let h = id_hash(&id);
        let added = self.set.insert(id, h);
        if added {
            self.refresh();
        }
        added
    }

    /// `removeAuthInfo(id)`.
    pub fn remove(&mut self, id: &Id) -> bool {
        let removed = self.set.remove(id, id_hash(id));
        if removed {
            self.refresh();
        }
        removed
    }

    fn refresh(&mut self) {
        self.shared = self.set.iter().cloned().collect();
    }

    /// The identities, in the JVM's order, as a shared list (a snapshot: later changes make a
    /// new list).
    pub fn shared_ids(&self) -> Arc<[Id]> {
        Arc::clone(&self.shared)
    }

    /// The identities, in the JVM's order, without copying them.
    pub fn as_slice(&self) -> &[Id] {
        &self.shared
    }

    /// True if the connection has this identity.
    pub fn contains(&self, id: &Id) -> bool {
        self.set.contains(id, id_hash(id))
    }

    /// The identities, in the JVM's order (`getAuthInfo()`).
    pub fn ids(&self) -> Vec<Id> {
        self.set.iter().cloned().collect()
    }

    /// Iterates the identities in the JVM's order.
    pub fn iter(&self) -> impl Iterator<Item = &Id> {
        self.set.iter()
    }

    /// True if any identity is `super` (every ACL check passes).
    pub fn is_super(&self) -> bool {
        self.set.iter().any(|id| id.scheme == "super")
    }

    /// `AuthUtil.getClientInfos`: one `ClientInfo` per identity; the user is the provider's
    /// `getUserName`, or `""` for a scheme without a provider (`super`).
    pub fn client_infos(&self) -> Vec<ClientInfo> {
        self.set
            .iter()
            .map(|id| ClientInfo {
                auth_scheme: id.scheme.clone(),
                user: Provider::for_scheme(&id.scheme)
                    .map(|p| p.user_name(&id.id))
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Number of identities.
    pub fn len(&self) -> usize {
        self.set.len()
    }

    /// True if there are none.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty()
    }
}

impl<'a> IntoIterator for &'a AuthIds {
    type Item = &'a Id;
    type IntoIter = std::slice::Iter<'a, Id>;

    /// The identities in the JVM's order.
    fn into_iter(self) -> Self::IntoIter {
        self.shared.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captured_who_am_i_order() {
        // [observed 3.8.0] after `addauth digest user:password` on a connection from 127.0.0.1,
        // whoAmI listed digest before ip.
        let mut a = AuthIds::new();
        a.add(Id::new("ip", "127.0.0.1"));
        a.add(Id::new("digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="));
        let infos = a.client_infos();
        assert_eq!(infos.len(), 2);
        assert_eq!(infos[0].auth_scheme, "digest");
        assert_eq!(infos[0].user, "user");
        assert_eq!(infos[1].auth_scheme, "ip");
        assert_eq!(infos[1].user, "127.0.0.1");
    }

    #[test]
    fn dedupe_and_super() {
        let mut a = AuthIds::new();
        assert!(a.add(Id::new("ip", "127.0.0.1")));
        assert!(!a.add(Id::new("ip", "127.0.0.1")));
        assert!(!a.is_super());
        a.add(Id::new("super", ""));
        assert!(a.is_super());
        let infos = a.client_infos();
        assert!(infos
            .iter()
            .any(|c| c.auth_scheme == "super" && c.user.is_empty()));
    }
}
