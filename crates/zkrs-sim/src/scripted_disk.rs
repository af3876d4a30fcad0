//! Scripted disk faults for scenario tests (catalogue 25–30): I/O errors on one member's
//! operations (`eio`), a rename lost at the next crash (`norename`), a power cut after a
//! given number of disk mutations (crash points), and what a member's disk holds (epoch
//! files, logged zxids). The faults are [`MemFs`]'s (`fail_next`, `lose_next_rename`,
//! `cut_power_after`); a member reacts to a failed operation as the driver does: a txn log
//! failure stops it (a crash here), an epoch-file, snapshot or `updatingEpoch` failure ends
//! its role. Once a scenario injects a fault, the checker records storage failures instead
//! of reporting them as violations.

use std::path::Path;

use zkrs_storage::{FsOp, MemFs, StorageOptions, TxnLogReader};

use crate::observation::Observation;
use crate::simulation::Simulation;

/// The `version-2` directory of every member's data (snapshots, logs, epoch files).
pub const VERSION_DIR: &str = "/data/version-2";

/// What one member's disk holds now (its `MemFs` content, synced or not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiskState {
    /// The `acceptedEpoch` and `currentEpoch` files (None if absent or unreadable).
    pub accepted_epoch: Option<i64>,
    pub current_epoch: Option<i64>,
    /// `currentEpoch.tmp`, if present.
    pub current_epoch_tmp: Option<i64>,
    /// Whether the `updatingEpoch` marker exists.
    pub updating_epoch: bool,
    /// The zxids of the snapshot files, oldest first.
    pub snapshots: Vec<i64>,
    /// The zxids of the intact logged txns, in log order.
    pub logged: Vec<i64>,
}

fn read_epoch(fs: &MemFs, name: &str) -> Option<i64> {
    let path = Path::new(VERSION_DIR).join(name);
    zkrs_storage::epoch_file::read_epoch(fs, &path)
        .ok()
        .flatten()
}

/// The disk state of one member's filesystem.
pub fn disk_state(fs: &MemFs) -> DiskState {
    use zkrs_storage::Fs as _;
    let dir = Path::new(VERSION_DIR);
    let mut snapshots: Vec<i64> = fs
        .list_dir(dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|n| n.strip_prefix("snapshot."))
        .filter_map(|z| i64::from_str_radix(z, 16).ok())
        .collect();
    snapshots.sort_unstable();
    let logged = match TxnLogReader::open(fs.clone(), dir, 0, StorageOptions::default().log_read) {
        Ok(r) => r
            .map_while(Result::ok)
            .map(|t| t.entry.header.zxid)
            .collect(),
        Err(_) => Vec::new(),
    };
    DiskState {
        accepted_epoch: read_epoch(fs, "acceptedEpoch"),
        current_epoch: read_epoch(fs, "currentEpoch"),
        current_epoch_tmp: read_epoch(fs, "currentEpoch.tmp"),
        updating_epoch: fs.exists(&dir.join("updatingEpoch")),
        snapshots,
        logged,
    }
}

/// Whether `zxids` (in log order) have no hole: each is the next counter of the one before,
/// or the first (counter 1) of a later epoch.
pub fn contiguous(zxids: &[i64]) -> bool {
    zxids.windows(2).all(|w| {
        let (a, b) = (w[0], w[1]);
        (b >> 32 == a >> 32 && b == a + 1) || (b >> 32 > a >> 32 && b & 0xffff_ffff == 1)
    })
}

impl Simulation {
    /// Storage failures are expected from now on: the checker records them
    /// ([`crate::Checker::storage_failures`]) instead of reporting violations.
    pub fn expect_disk_faults(&mut self) {
        self.checker_mut().expect_storage_failures();
    }

    /// The next `n` operations `op` of `sid`'s disk on a path containing `pattern` fail with
    /// an I/O error (`eio`).
    pub fn fail_disk(&mut self, sid: u64, op: FsOp, pattern: &str, n: u32) {
        self.expect_disk_faults();
        self.node(sid).fs().fail_next(op, pattern, n);
        self.after_step(format!("disk {sid}: next {n} {op:?} on *{pattern}* fail"));
    }

    /// The next rename on `sid`'s disk touching a path containing `pattern` is lost at the
    /// next crash (`norename`).
    pub fn lose_next_rename(&mut self, sid: u64, pattern: &str) {
        self.node(sid).fs().lose_next_rename(pattern);
        self.after_step(format!(
            "disk {sid}: next rename of *{pattern}* not durable"
        ));
    }

    /// `sid`'s disk lets `n` more mutations through, then fails every one until `sid`
    /// crashes (a power loss right after the `n`-th mutation).
    pub fn cut_power_after(&mut self, sid: u64, n: u64) {
        self.expect_disk_faults();
        self.node(sid).fs().cut_power_after(n);
        self.after_step(format!("disk {sid}: power cut after {n} more mutations"));
    }

    /// What `sid`'s disk holds now.
    pub fn disk_state(&self, sid: u64) -> DiskState {
        disk_state(self.node(sid).fs())
    }

    /// The last database `sid` loaded (`Observation::Loaded`: zxid and digest), if recorded.
    pub fn last_loaded(&self, sid: u64) -> Option<(i64, i64)> {
        self.observations().iter().rev().find_map(|o| match o {
            Observation::Loaded {
                sid: x,
                zxid,
                digest,
                ..
            } if *x == sid => Some((*zxid, *digest)),
            _ => None,
        })
    }

    /// I6 at a restart: the tree `sid` last loaded is a committed state: its digest is the
    /// one the ensemble had at its zxid (when that zxid is committed and its digest known).
    pub fn check_loaded_digest(&self, sid: u64) -> Result<(), String> {
        let (zxid, digest) = self
            .last_loaded(sid)
            .ok_or_else(|| format!("server {sid} loaded nothing"))?;
        match self.checker().committed_digest(zxid) {
            Some(d) if d != digest => Err(format!(
                "I6: server {sid} reloaded {zxid:#x} with digest {digest:#x}, committed {d:#x}"
            )),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguity_of_logged_zxids() {
        let z = |e: i64, c: i64| (e << 32) | c;
        assert!(contiguous(&[]));
        assert!(contiguous(&[z(1, 1), z(1, 2), z(3, 1), z(3, 2)]));
        assert!(!contiguous(&[z(1, 1), z(1, 3)]), "a hole");
        assert!(!contiguous(&[z(1, 1), z(2, 2)]), "a new epoch starts at 1");
        assert!(!contiguous(&[z(1, 2), z(1, 1)]), "backwards");
    }

    #[test]
    fn disk_state_of_an_empty_fs() {
        let d = disk_state(&MemFs::new());
        assert_eq!(d.accepted_epoch, None);
        assert!(d.logged.is_empty() && d.snapshots.is_empty() && !d.updating_epoch);
    }
}
