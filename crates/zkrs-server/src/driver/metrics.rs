//! The core task's side of the Prometheus endpoint: the exposition of its metrics.

use super::Driver;
use crate::four_letter::prometheus;

impl Driver {
    /// The Prometheus text exposition (format 0.0.4) of the families named in `names` (all
    /// when empty): every family of the member's role, valued from its current state.
    pub(crate) fn metrics_exposition(&mut self, names: &[String]) -> String {
        let now = self.clock.now();
        self.with_four_letter_context(now, |ctx| prometheus::exposition(ctx, names))
    }
}
