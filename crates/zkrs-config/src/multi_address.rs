//! [`MultiAddressConfig`]: several addresses per server (`multiAddress.*`, 3.6+).

/// Multi-address settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MultiAddressConfig {
    /// `multiAddress.enabled` (false). zkrs also uses it to accept `|` in `server.N`; ZooKeeper
    /// reads that permission from the JVM property `zookeeper.multiAddress.enabled` only.
    pub enabled: bool,
    /// `multiAddress.reachabilityCheckEnabled` (true).
    pub reachability_check_enabled: bool,
    /// `multiAddress.reachabilityCheckTimeoutMs` (1000).
    pub reachability_check_timeout_ms: i32,
}

impl Default for MultiAddressConfig {
    fn default() -> MultiAddressConfig {
        MultiAddressConfig {
            enabled: false,
            reachability_check_enabled: true,
            reachability_check_timeout_ms: 1000,
        }
    }
}
