//! [`Checker`]: ZooKeeper's invariants (catalogue §1), checked from the nodes' observations
//! and state after every step.
//!
//! The checker keeps the **committed history**: zxid → txn bytes, learned from every commit a
//! leader applies (quorum-acknowledged), every txn a learner applies (committed by its
//! leader), and every new leader's initial history once a quorum acknowledged its NEWLEADER
//! (the whole history becomes committed then). Next to it, the tree digest after each
//! committed zxid, as the first node to reach it computed it.
//!
//! - **I1** at most one leader established per epoch.
//! - **I2** one history: a txn applied at zxid z has the bytes the history has at z, and the
//!   tree digest after it is the one every other node had after z.
//! - **I3** a committed txn is never lost: a newly established leader's history contains
//!   every committed txn (same bytes), and a TRUNC never removes one.
//! - **I4** primary order: the history is contiguous (next counter, or counter 1 of a later
//!   epoch); a node applies zxids in increasing order and never skips a committed one.
//! - **I7** acceptedEpoch ≥ currentEpoch on disk, and a node always restarts.
//! - **RC1** one configuration per version: every configuration proposed or activated on
//!   any member (and, at the end, every `/zookeeper/config`) with the same version has the
//!   same membership.
//! - **Serving**: a core serves clients only while its role engine is in broadcast (a
//!   learner after UPTODATE, a leader after the NEWLEADER quorum).
//!
//! I10 (acknowledged writes survive, a session never sees its zxid go backwards) is checked
//! by the clients and at the end of a run; liveness by the simulation.

use std::collections::BTreeMap;

use bytes::Bytes;
use zkrs_jute::Zxid;

use crate::node::Node;
use crate::observation::Observation;

/// The database a node last loaded from disk.
#[derive(Debug, Clone, Default)]
struct LoadedHistory {
    snap_zxid: i64,
    replayed: Vec<(i64, Bytes)>,
    zxid: i64,
}

/// The invariant checker of one run.
#[derive(Debug, Default)]
pub struct Checker {
    committed: BTreeMap<i64, Bytes>,
    digests: BTreeMap<i64, i64>,
    leaders: BTreeMap<i64, u64>,
    loaded: BTreeMap<u64, LoadedHistory>,
    violations: Vec<String>,
    known_bugs_hit: Vec<String>,
    /// Disk faults are injected: storage failures are recorded, not violations.
    storage_failures_expected: bool,
    storage_failures: Vec<String>,
    /// Every configuration proposed or activated anywhere: version → membership (RC1).
    configs: BTreeMap<i64, String>,
}

/// Whether `z` may follow `last` in a primary-order history.
fn follows(last: i64, z: i64) -> bool {
    let (l, n) = (Zxid(last), Zxid(z));
    (n.epoch() == l.epoch() && last.checked_add(1) == Some(z))
        || (n.epoch() > l.epoch() && n.counter() == 1)
}

impl Checker {
    pub fn new() -> Checker {
        Checker::default()
    }

    /// The violations found so far.
    pub fn violations(&self) -> &[String] {
        &self.violations
    }

    /// Storage failures are expected (a scenario injects disk faults): they are recorded in
    /// [`Checker::storage_failures`] instead of being violations.
    pub fn expect_storage_failures(&mut self) {
        self.storage_failures_expected = true;
    }

    /// The storage failures seen while they were expected.
    pub fn storage_failures(&self) -> &[String] {
        &self.storage_failures
    }

    /// The tree digest after the committed `zxid`, as the first member computed it.
    pub fn committed_digest(&self, zxid: i64) -> Option<i64> {
        self.digests.get(&zxid).copied()
    }

    /// Known bugs hit and tolerated.
    pub fn known_bugs_hit(&self) -> &[String] {
        &self.known_bugs_hit
    }

    /// Records a violation found outside the checker (clients, liveness).
    pub fn violation(&mut self, what: String) {
        if self.violations.len() < 100 && !self.violations.contains(&what) {
            self.violations.push(what);
        }
    }

    /// The committed history (zxid → txn bytes).
    pub fn committed(&self) -> &BTreeMap<i64, Bytes> {
        &self.committed
    }

    /// The epochs established so far and their leaders.
    pub fn leaders(&self) -> &BTreeMap<i64, u64> {
        &self.leaders
    }

    /// Adds `zxid` to the committed history (I2, I4).
    fn commit(&mut self, zxid: i64, txn: &Bytes, who: &str) {
        if let Some(known) = self.committed.get(&zxid) {
            if known != txn {
                self.violation(format!(
                    "I2: {who} has txn {} different from the committed one",
                    Zxid(zxid)
                ));
            }
            return;
        }
        let prev = self.committed.range(..zxid).next_back().map(|(z, _)| *z);
        let next = self.committed.range(zxid + 1..).next().map(|(z, _)| *z);
        let prev_ok = prev.map_or(Zxid(zxid).counter() == 1, |p| follows(p, zxid));
        if !prev_ok || next.is_some_and(|n| !follows(zxid, n)) {
            self.violation(format!(
                "I4: {who} commits {} between {} and {}: the committed history is not \
                 contiguous",
                Zxid(zxid),
                prev.map_or("nothing".into(), |p| Zxid(p).to_string()),
                next.map_or("nothing".into(), |n| Zxid(n).to_string()),
            ));
        }
        self.committed.insert(zxid, txn.clone());
    }

    /// Compares (or records) the digest of the tree right after `zxid`.
    fn digest_at(&mut self, zxid: i64, digest: i64, who: &str) {
        match self.digests.get(&zxid) {
            Some(&d) if d != digest => self.violation(format!(
                "I2: {who} has tree digest {digest:#x} at {}, others had {d:#x}",
                Zxid(zxid)
            )),
            Some(_) => {}
            None => {
                self.digests.insert(zxid, digest);
            }
        }
    }

    /// One observation of a node.
    pub fn observe(&mut self, o: &Observation) {
        match o {
            Observation::Applied {
                sid,
                in_broadcast,
                zxid,
                prev_zxid,
                txn,
                digest,
            } => {
                let who = format!("server {sid} applying");
                if zxid <= prev_zxid {
                    self.violation(format!(
                        "I4: server {sid} applies {} over a tree at {}",
                        Zxid(*zxid),
                        Zxid(*prev_zxid)
                    ));
                }
                if let Some((skipped, _)) = self
                    .committed
                    .range(prev_zxid.saturating_add(1)..*zxid)
                    .next()
                {
                    self.violation(format!(
                        "I4: server {sid} applies {} after {}, skipping committed {}",
                        Zxid(*zxid),
                        Zxid(*prev_zxid),
                        Zxid(*skipped)
                    ));
                }
                if *in_broadcast {
                    self.commit(*zxid, txn, &who);
                    self.digest_at(*zxid, *digest, &who);
                } else if let Some(known) = self.committed.get(zxid) {
                    // A sync-phase apply of a txn already committed must be that txn.
                    if known != txn {
                        self.violation(format!(
                            "I2: server {sid} syncs txn {} different from the committed one",
                            Zxid(*zxid)
                        ));
                    } else {
                        self.digest_at(*zxid, *digest, &who);
                    }
                }
            }
            Observation::SnapshotLoaded { sid, zxid, digest } => {
                self.digest_at(*zxid, *digest, &format!("server {sid}'s SNAP"));
            }
            Observation::Loaded {
                sid,
                snap_zxid,
                replayed,
                zxid,
                ..
            } => {
                self.loaded.insert(
                    *sid,
                    LoadedHistory {
                        snap_zxid: *snap_zxid,
                        replayed: replayed.clone(),
                        zxid: *zxid,
                    },
                );
            }
            Observation::Truncating {
                sid,
                leader_epoch,
                zxid,
                cut,
            } => {
                // A leader may TRUNC to its last committed zxid and re-send its outstanding
                // proposals, some of which commit meanwhile: a txn of its own epoch is not
                // lost. One committed before its epoch must be in its history (I3).
                for (z, b) in cut {
                    if self.committed.get(z) == Some(b) && Zxid(*z).epoch() < *leader_epoch {
                        self.violation(format!(
                            "I3: TRUNC to {} on server {sid} removes committed txn {}",
                            Zxid(*zxid),
                            Zxid(*z)
                        ));
                    }
                }
            }
            Observation::LeaderEstablished {
                sid,
                epoch,
                last_zxid,
                digest,
            } => self.leader_established(*sid, *epoch, *last_zxid, *digest),
            Observation::EpochsDurable {
                sid,
                accepted_epoch,
                current_epoch,
            } => {
                if accepted_epoch < current_epoch {
                    self.violation(format!(
                        "I7: server {sid} has acceptedEpoch {accepted_epoch} < currentEpoch \
                         {current_epoch}"
                    ));
                }
            }
            Observation::StorageFailed { sid, what } => {
                let what = format!("storage failure on server {sid}: {what}");
                if self.storage_failures_expected {
                    self.storage_failures.push(what);
                } else {
                    self.violation(what)
                }
            }
            Observation::RestartFailed { sid, what } => {
                self.violation(format!("I7: server {sid} cannot restart: {what}"))
            }
            Observation::ProposeRefused { sid, reason } => {
                if !reason.contains("rolled over") {
                    self.violation(format!("leader {sid} refused its own txn: {reason}"));
                }
            }
            Observation::KnownBug { sid, what } => {
                self.known_bugs_hit.push(format!("server {sid}: {what}"));
            }
            Observation::ConfigSeen {
                sid,
                activated,
                version,
                members,
            } => self.config_seen(*sid, *activated, *version, members),
            Observation::LearnerServing { .. }
            | Observation::ReconfigRole { .. }
            | Observation::SyncStarted { .. }
            | Observation::RoleEnded { .. }
            | Observation::LearnerClosed { .. } => {}
        }
    }

    /// RC1: one configuration per version. Every configuration proposed (last seen) or
    /// activated, on any member, with the same version has the same membership.
    fn config_seen(&mut self, sid: u64, activated: bool, version: i64, members: &str) {
        match self.configs.get(&version) {
            Some(known) if known != members => {
                let what = if activated {
                    "activates"
                } else {
                    "sees proposed"
                };
                self.violation(format!(
                    "RC1: server {sid} {what} configuration {version:#x} as [{}], but it is \
                     [{}] elsewhere",
                    members.replace('\n', " "),
                    known.replace('\n', " ")
                ));
            }
            Some(_) => {}
            None => {
                self.configs.insert(version, members.to_owned());
            }
        }
    }

    /// RC1 on a member's `/zookeeper/config` text (`QuorumVerifier.toString()` with its
    /// version line): a version seen elsewhere must name the same membership.
    pub fn config_node(&mut self, sid: u64, text: &str) {
        let version = text
            .lines()
            .find_map(|l| l.strip_prefix("version="))
            .and_then(|v| i64::from_str_radix(v.trim(), 16).ok());
        let Some(version) = version else {
            self.violation(format!(
                "RC1: server {sid}'s /zookeeper/config has no version: {text:?}"
            ));
            return;
        };
        let members = text
            .lines()
            .filter(|l| !l.starts_with("version="))
            .collect::<Vec<_>>()
            .join("\n");
        if let Some(known) = self.configs.get(&version) {
            if *known != members {
                self.violation(format!(
                    "RC1: server {sid}'s /zookeeper/config {version:#x} is [{}], but that \
                     version is [{}] elsewhere",
                    members.replace('\n', " "),
                    known.replace('\n', " ")
                ));
            }
        }
    }

    /// Every configuration seen so far: version → membership text (RC1).
    pub fn configs(&self) -> &BTreeMap<i64, String> {
        &self.configs
    }

    fn leader_established(&mut self, sid: u64, epoch: i64, last_zxid: i64, digest: i64) {
        if let Some(other) = self.leaders.insert(epoch, sid) {
            self.violation(format!(
                "I1: server {sid} established epoch {epoch}, already established by {other}"
            ));
        }
        let who = format!("leader {sid} of epoch {epoch}");
        if let Some((&max, _)) = self.committed.last_key_value() {
            if max > last_zxid {
                self.violation(format!(
                    "I3: {who} starts at {}, but {} is committed",
                    Zxid(last_zxid),
                    Zxid(max)
                ));
            }
        }
        let loaded = self.loaded.get(&sid).cloned().unwrap_or_default();
        if loaded.zxid != last_zxid {
            self.violation(format!(
                "{who}: tree at {} but it loaded {}",
                Zxid(last_zxid),
                Zxid(loaded.zxid)
            ));
        }
        let replayed: BTreeMap<i64, Bytes> = loaded.replayed.iter().cloned().collect();
        let from = loaded.snap_zxid.saturating_add(1);
        let missing: Vec<i64> = self
            .committed
            .range(from..=last_zxid.max(from))
            .filter(|(z, b)| replayed.get(z) != Some(b))
            .map(|(z, _)| *z)
            .collect();
        for z in missing {
            self.violation(format!(
                "I3: {who} lacks committed txn {} (or has another one there)",
                Zxid(z)
            ));
        }
        // The leader's whole history is committed now.
        for (z, b) in replayed.range(loaded.snap_zxid.saturating_add(1)..) {
            self.commit(*z, b, &who);
        }
        self.digest_at(last_zxid, digest, &who);
    }

    /// State checks after a step.
    pub fn check_nodes<'a>(&mut self, nodes: impl Iterator<Item = &'a Node>) {
        for n in nodes {
            if n.up && n.core().is_serving() && !n.role_serving() {
                self.violation(format!(
                    "server {} serves clients while {}: a learner serves only after UPTODATE",
                    n.sid,
                    n.role_name()
                ));
            }
            let (a, c) = n.epochs();
            if n.up && a < c {
                self.violation(format!(
                    "I7: server {} runs with acceptedEpoch {a} < currentEpoch {c}",
                    n.sid
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguity() {
        assert!(follows(Zxid::new(1, 5).raw(), Zxid::new(1, 6).raw()));
        assert!(follows(Zxid::new(1, 5).raw(), Zxid::new(3, 1).raw()));
        assert!(!follows(Zxid::new(1, 5).raw(), Zxid::new(1, 7).raw()));
        let mut c = Checker::new();
        c.commit(Zxid::new(1, 1).raw(), &Bytes::from_static(b"a"), "t");
        c.commit(Zxid::new(1, 3).raw(), &Bytes::from_static(b"b"), "t");
        assert_eq!(c.violations().len(), 1);
        c.commit(Zxid::new(1, 1).raw(), &Bytes::from_static(b"x"), "t");
        assert_eq!(c.violations().len(), 2);
    }
}
