//! [`Epochs`]: `currentEpoch` and `acceptedEpoch` as loaded at start-up.

/// The two epochs a quorum peer keeps on disk (`QuorumPeer.loadDataBase`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epochs {
    /// `currentEpoch`: the epoch of the last NEWLEADER this peer acknowledged.
    pub current: i64,
    /// `acceptedEpoch`: the last epoch proposal it accepted.
    pub accepted: i64,
    /// `currentEpoch` was missing and has been written from the last zxid's epoch.
    pub created_current: bool,
    /// `acceptedEpoch` was missing and has been written from the last zxid's epoch.
    pub created_accepted: bool,
    /// `currentEpoch.tmp` was used because it was newer than `currentEpoch`.
    pub used_current_tmp: bool,
    /// `updatingEpoch` was found: currentEpoch was set from the last zxid's epoch.
    pub used_updating_epoch: bool,
}
