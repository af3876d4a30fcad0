//! Versions: the zkrs release and the Apache ZooKeeper release whose wire behaviour it emulates.

/// The Apache ZooKeeper release zkrs presents itself as (the captures in the reference are from
/// 3.8.0). Clients such as kazoo parse the digits before the first `-` of `zookeeper.version`.
pub const ZOOKEEPER_VERSION: &str = "3.8.0";

/// The zkrs crate version.
pub const ZKRS_VERSION: &str = env!("CARGO_PKG_VERSION");

/// `Version.getFullVersion()`: `3.8.0-zkrs-0.1.0, built on 2025-01-01 12:00 UTC`.
///
/// ZooKeeper prints `<version>-<git sha>, built on <date>`; zkrs puts its own name and version
/// where the git sha goes so that tools parsing `X.Y.Z` still see the emulated release.
pub const FULL_VERSION: &str = concat!(
    "3.8.0-zkrs-",
    env!("CARGO_PKG_VERSION"),
    ", built on ",
    env!("ZKRS_BUILD_DATE")
);

#[cfg(test)]
mod tests {
    #[test]
    fn full_version_starts_with_the_emulated_release() {
        assert!(super::FULL_VERSION.starts_with(super::ZOOKEEPER_VERSION));
        assert!(super::FULL_VERSION.starts_with("3.8.0-zkrs-"));
        assert!(super::FULL_VERSION.contains(", built on "));
    }
}
