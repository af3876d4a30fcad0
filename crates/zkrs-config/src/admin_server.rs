//! [`AdminServerConfig`]: the embedded HTTP admin server (`admin.*` keys, which become
//! `zookeeper.admin.*` system properties read by `AdminServerFactory` / `JettyAdminServer`).

/// Admin server settings.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdminServerConfig {
    /// `admin.enableServer`: enabled unless the value is exactly `false` (true).
    pub enabled: bool,
    /// `admin.serverAddress` (`0.0.0.0`).
    pub server_address: String,
    /// `admin.serverPort` (8080), read with `Integer.getInteger`.
    pub server_port: i32,
    /// `admin.idleTimeout` in ms (30000).
    pub idle_timeout_ms: i32,
    /// `admin.commandURL` (`/commands`).
    pub command_url: String,
    /// `admin.httpVersion` (11).
    pub http_version: i32,
    /// `admin.portUnification`: serve HTTP and HTTPS on one port (false).
    pub port_unification: bool,
    /// `admin.forceHttps` (false, 3.6+).
    pub force_https: bool,
    /// `admin.needClientAuth` (false, 3.7.1+).
    pub need_client_auth: bool,
    /// `admin.snapshot.enabled`: the `snapshot` command (true, 3.9+).
    pub snapshot_enabled: bool,
    /// `admin.restore.enabled`: the `restore` command (true, 3.9+).
    pub restore_enabled: bool,
    /// `admin.rateLimiterIntervalInMS` for `snapshot`/`restore` (300000, 3.9+).
    pub rate_limiter_interval_ms: i64,
}

impl Default for AdminServerConfig {
    fn default() -> AdminServerConfig {
        AdminServerConfig {
            enabled: true,
            server_address: "0.0.0.0".to_owned(),
            server_port: 8080,
            idle_timeout_ms: 30000,
            command_url: "/commands".to_owned(),
            http_version: 11,
            port_unification: false,
            force_https: false,
            need_client_auth: false,
            snapshot_enabled: true,
            restore_enabled: true,
            rate_limiter_interval_ms: 300_000,
        }
    }
}
