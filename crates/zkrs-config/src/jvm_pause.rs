//! [`JvmPauseConfig`]: the `jvm.pause.*` keys of ZooKeeper's `JvmPauseMonitor`.
//!
//! zkrs has no JVM; the binary may use these to watch for process stalls (e.g. a blocked
//! runtime) the same way: sleep `sleep_time_ms` and report overruns above the thresholds.

/// Pause monitor settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct JvmPauseConfig {
    /// `jvm.pause.monitor` (false).
    pub monitor: bool,
    /// `jvm.pause.info-threshold.ms` (1000).
    pub info_threshold_ms: i64,
    /// `jvm.pause.warn-threshold.ms` (10000).
    pub warn_threshold_ms: i64,
    /// `jvm.pause.sleep.time.ms` (500).
    pub sleep_time_ms: i64,
}

impl Default for JvmPauseConfig {
    fn default() -> JvmPauseConfig {
        JvmPauseConfig {
            monitor: false,
            info_threshold_ms: 1000,
            warn_threshold_ms: 10000,
            sleep_time_ms: 500,
        }
    }
}
