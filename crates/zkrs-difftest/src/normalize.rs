//! [`Normalizer`]: turns server-specific values into comparable text.
//!
//! - zxids: in [`ZxidMode::Offset`] (default) every zxid > 0 is printed relative to the run's
//!   base (the zxid of the first reply of the seed, i.e. the root's creation), so a run is exact
//!   within a seed yet independent of what earlier seeds did; [`ZxidMode::Raw`] prints them as
//!   sent; [`ZxidMode::Ordinal`] numbers distinct zxids in first-seen order (hides gaps: use
//!   only to look past a known zxid-accounting difference).
//! - session ids (reply `ephemeralOwner`, ConnectResponse): `#k` = the k-th session opened in
//!   this run; containers print `container`, TTL owners `ttl(N)`.
//! - ctime/mtime: masked (`*`).
//! - children and ephemeral lists: sorted (ZooKeeper returns HashSet order); so are `whoAmI`
//!   identities and the digest entries an `auth` ACL expands to (hash order of the auth set).

use std::collections::HashMap;

use zkrs_jute::{Acl, Stat};

use crate::step::show_acl;

/// `EphemeralType.CONTAINER_EPHEMERAL_OWNER`.
const CONTAINER_OWNER: i64 = i64::MIN;

/// How zxids are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZxidMode {
    Offset,
    Raw,
    Ordinal,
}

impl ZxidMode {
    /// Parses `offset`, `raw` or `ordinal`.
    pub fn parse(s: &str) -> Option<ZxidMode> {
        match s {
            "offset" => Some(ZxidMode::Offset),
            "raw" => Some(ZxidMode::Raw),
            "ordinal" => Some(ZxidMode::Ordinal),
            _ => None,
        }
    }
}

/// Per-run normalization state.
#[derive(Debug, Clone)]
pub struct Normalizer {
    mode: ZxidMode,
    base: Option<i64>,
    ordinals: HashMap<i64, usize>,
    sessions: HashMap<i64, usize>,
}

impl Normalizer {
    /// A fresh normalizer (no base, no sessions).
    pub fn new(mode: ZxidMode) -> Self {
        Normalizer {
            mode,
            base: None,
            ordinals: HashMap::new(),
            sessions: HashMap::new(),
        }
    }

    /// The raw base zxid, once known.
    pub fn base(&self) -> Option<i64> {
        self.base
    }

    /// Sets the base zxid if it is not set yet (the first reply zxid > 0 of the run).
    pub fn observe_base(&mut self, zxid: i64) {
        if self.base.is_none() && zxid > 0 {
            self.base = Some(zxid);
        }
    }

    /// Registers a session id; returns its ordinal (`#k`).
    pub fn add_session(&mut self, id: i64) -> usize {
        let next = self.sessions.len();
        *self.sessions.entry(id).or_insert(next)
    }

    /// A session id as `#k`, or `raw:0x..` if unknown.
    pub fn session(&self, id: i64) -> String {
        match self.sessions.get(&id) {
            Some(k) => format!("#{k}"),
            None if id == 0 => "0".to_string(),
            None => format!("raw:{id:#x}"),
        }
    }

    /// An `ephemeralOwner`.
    pub fn owner(&self, owner: i64) -> String {
        if owner == 0 {
            return "0".to_string();
        }
        if owner == CONTAINER_OWNER {
            return "container".to_string();
        }
        if (owner as u64) >> 56 == 0xff {
            return format!("ttl({})", owner & 0x00ff_ffff_ffff_ffff);
        }
        self.session(owner)
    }

    /// A zxid.
    pub fn zxid(&mut self, z: i64) -> String {
        if z <= 0 {
            return z.to_string();
        }
        match self.mode {
            ZxidMode::Raw => format!("{z:#x}"),
            ZxidMode::Offset => match self.base {
                Some(b) => format!("z{:+}", z - b),
                None => format!("{z:#x}"),
            },
            ZxidMode::Ordinal => {
                let next = self.ordinals.len();
                let k = *self.ordinals.entry(z).or_insert(next);
                format!("o{k}")
            }
        }
    }

    /// A Stat with times masked and owners mapped.
    pub fn stat(&mut self, s: &Stat) -> String {
        format!(
            "{{cz={} mz={} ct=* mt=* v={} cv={} av={} eo={} dl={} nc={} pz={}}}",
            self.zxid(s.czxid),
            self.zxid(s.mzxid),
            s.version,
            s.cversion,
            s.aversion,
            self.owner(s.ephemeral_owner),
            s.data_length,
            s.num_children,
            self.zxid(s.pzxid)
        )
    }

    /// An ACL list. ZooKeeper keeps the order given (minus duplicates), except where it
    /// expands an `auth` entry: that adds one `digest` entry per authenticated id, in the
    /// iteration order of the connection's `ConcurrentHashMap`-backed auth set. So each run of
    /// adjacent `digest` entries with equal perms is sorted; all other order is compared.
    pub fn acl(&self, acl: &[Acl]) -> String {
        let mut v = acl.to_vec();
        let mut i = 0;
        while i < v.len() {
            let mut j = i + 1;
            while j < v.len()
                && v[i].id.scheme == "digest"
                && v[j].id.scheme == "digest"
                && v[j].perms == v[i].perms
            {
                j += 1;
            }
            v[i..j].sort_by(|a, b| a.id.id.cmp(&b.id.id));
            i = j;
        }
        show_acl(&v)
    }

    /// The `whoAmI` identities, sorted (ZooKeeper lists its auth *set* in hash order).
    pub fn client_infos(&self, infos: &[(String, String)]) -> String {
        let mut v: Vec<String> = infos.iter().map(|(s, u)| format!("{s}:{u}")).collect();
        v.sort();
        format!("[{}]", v.join(","))
    }

    /// A sorted list of names.
    pub fn sorted(&self, list: &[String]) -> String {
        let mut v = list.to_vec();
        v.sort();
        format!("[{}]", v.join(","))
    }
}
