//! File and directory names (`Util.makeLogName`, `Util.makeSnapshotName`, `Util.getZxidFromName`,
//! `FileTxnSnapLog.version`, `QuorumPeer.*_EPOCH_FILENAME`).

use crate::compression::SnapshotCompression;

/// `FileTxnLog.LOG_FILE_PREFIX`.
pub const LOG_PREFIX: &str = "log";
/// `FileSnap.SNAPSHOT_FILE_PREFIX`.
pub const SNAPSHOT_PREFIX: &str = "snapshot";
/// `FileTxnSnapLog.version + VERSION`: the sub-directory of dataDir and dataLogDir.
pub const VERSION_DIR: &str = "version-2";
/// `QuorumPeer.ACCEPTED_EPOCH_FILENAME` (in the snapshot directory).
pub const ACCEPTED_EPOCH: &str = "acceptedEpoch";
/// `QuorumPeer.CURRENT_EPOCH_FILENAME` (in the snapshot directory).
pub const CURRENT_EPOCH: &str = "currentEpoch";
/// `QuorumPeer.UPDATING_EPOCH_FILENAME` (in the snapshot directory): present while a learner
/// persists its NEWLEADER state (snapshot, txns) before writing `currentEpoch`.
pub const UPDATING_EPOCH: &str = "updatingEpoch";
/// The marker that makes an empty database trusted, in dataLogDir (`FileTxnSnapLog.restore`).
pub const INITIALIZE: &str = "initialize";
/// `AtomicFileOutputStream.TMP_EXTENSION`.
pub const TMP_EXTENSION: &str = ".tmp";

/// `log.<Long.toHexString(zxid)>`: lowercase hex, no padding, two's complement for negatives.
pub fn log_name(zxid: i64) -> String {
    format!("{LOG_PREFIX}.{zxid:x}")
}

/// `snapshot.<Long.toHexString(zxid)>` plus `.gz` / `.snappy` for a compressed stream.
pub fn snapshot_name(zxid: i64, compression: SnapshotCompression) -> String {
    format!("{SNAPSHOT_PREFIX}.{zxid:x}{}", compression.extension())
}

/// `Util.getZxidFromName`: the zxid in `<prefix>.<hex>[.anything]`, or `None` when the name has
/// another prefix or the hex part does not parse as a Java `long` (`Long.parseLong(s, 16)`, which
/// allows a sign and rejects values outside the signed range).
pub fn zxid_from_name(name: &str, prefix: &str) -> Option<i64> {
    let mut parts = name.split('.');
    if parts.next()? != prefix {
        return None;
    }
    i64::from_str_radix(parts.next()?, 16).ok()
}

/// Whether a name is a temporary file of an atomic write (`<name>.tmp`).
pub fn is_tmp(name: &str) -> bool {
    name.ends_with(TMP_EXTENSION)
}

/// `version-<n>` for any decimal `n`: the name of a format directory.
pub fn version_dir_number(name: &str) -> Option<u32> {
    let n = name.strip_prefix("version-")?;
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    n.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_match_java_to_hex_string() {
        assert_eq!(log_name(0x1_0000_0001), "log.100000001");
        assert_eq!(log_name(1), "log.1");
        assert_eq!(log_name(-1), "log.ffffffffffffffff");
        assert_eq!(snapshot_name(0, SnapshotCompression::None), "snapshot.0");
        assert_eq!(
            snapshot_name(0x1e, SnapshotCompression::Gzip),
            "snapshot.1e.gz"
        );
        assert_eq!(
            snapshot_name(0x1e, SnapshotCompression::Snappy),
            "snapshot.1e.snappy"
        );
    }

    #[test]
    fn zxid_from_name_is_get_zxid_from_name() {
        assert_eq!(zxid_from_name("log.100000001", "log"), Some(0x1_0000_0001));
        assert_eq!(zxid_from_name("snapshot.1e.gz", "snapshot"), Some(0x1e));
        assert_eq!(zxid_from_name("snapshot.1e.tmp", "snapshot"), Some(0x1e));
        assert_eq!(zxid_from_name("snapshot.1e", "log"), None);
        assert_eq!(zxid_from_name("log.", "log"), None);
        assert_eq!(zxid_from_name("log", "log"), None);
        assert_eq!(zxid_from_name("log.xyz", "log"), None);
        assert_eq!(zxid_from_name("log.-1", "log"), Some(-1));
        // Long.parseLong("ffffffffffffffff", 16) overflows.
        assert_eq!(zxid_from_name("log.ffffffffffffffff", "log"), None);
        assert_eq!(version_dir_number("version-2"), Some(2));
        assert_eq!(version_dir_number("version-"), None);
        assert_eq!(version_dir_number("version-x"), None);
    }
}
