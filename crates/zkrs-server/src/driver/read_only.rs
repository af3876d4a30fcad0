//! Read-only mode in the driver (`readonlymode.enabled`, `QuorumPeer.run`'s LOOKING case):
//! each time the member starts looking, the core is armed to serve read-only clients after
//! Java's grace period, `max(2000, tickTime)` ms, if the member is still looking then
//! (`zkrs_session::read_only`). Taking a role stops it (`ServerCore::set_role`).

use super::Driver;

/// `QuorumPeer`'s lower bound on the grace period before a looking member goes read-only.
pub const READ_ONLY_GRACE_MIN_MS: u64 = 2000;

impl Driver {
    /// Arms read-only mode for the election round starting now, when it is enabled.
    pub(super) fn arm_read_only(&mut self, now_ms: u64) {
        let enabled = self
            .config
            .quorum
            .as_ref()
            .is_some_and(|q| q.read_only_mode);
        if !enabled {
            return;
        }
        let grace = READ_ONLY_GRACE_MIN_MS.max(self.config.tick_time_ms());
        tracing::info!("Attempting to start ReadOnlyZooKeeperServer in {grace} ms");
        self.core.arm_read_only(now_ms.saturating_add(grace));
    }
}
