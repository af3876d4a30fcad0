//! The tree digest (`server/DigestCalculator.java` version 2, `NodeHashMapImpl`, `AdHash`).
//!
//! Each node contributes `CRC32(path ‖ data ‖ stat60)` where `stat60` is, big-endian,
//! `czxid, mzxid, pzxid, ctime, mtime` (longs), `version, cversion, aversion` (ints),
//! `ephemeralOwner` (long). The path `/` is hashed as `""`, and every path starting with
//! `/zookeeper/` contributes 0 (`/zookeeper` itself does count). The tree digest is the wrapping
//! sum of the node digests, kept up to date on every change.

use zkrs_jute::StatPersisted;

use crate::path::ZOOKEEPER_NODE_SUBTREE;

/// `DigestCalculator.DIGEST_VERSION`, written in `TxnDigest` and the snapshot trailer.
pub const DIGEST_VERSION: i32 = 2;

/// The digest of one node (`calculateDigest`): an unsigned CRC32 in a long, or 0 for nodes under
/// `/zookeeper/`.
pub fn node_digest(path: &str, data: Option<&[u8]>, stat: &StatPersisted) -> i64 {
    if path.starts_with(ZOOKEEPER_NODE_SUBTREE) {
        return 0;
    }
    let path = if path == "/" { "" } else { path };
    let mut b = [0u8; 60];
    b[0..8].copy_from_slice(&stat.czxid.to_be_bytes());
    b[8..16].copy_from_slice(&stat.mzxid.to_be_bytes());
    b[16..24].copy_from_slice(&stat.pzxid.to_be_bytes());
    b[24..32].copy_from_slice(&stat.ctime.to_be_bytes());
    b[32..40].copy_from_slice(&stat.mtime.to_be_bytes());
    b[40..44].copy_from_slice(&stat.version.to_be_bytes());
    b[44..48].copy_from_slice(&stat.cversion.to_be_bytes());
    b[48..52].copy_from_slice(&stat.aversion.to_be_bytes());
    b[52..60].copy_from_slice(&stat.ephemeral_owner.to_be_bytes());
    let mut h = crc32fast::Hasher::new();
    // Java's String.getBytes() uses the platform charset, UTF-8 on every supported platform.
    h.update(path.as_bytes());
    if let Some(d) = data {
        h.update(d);
    }
    h.update(&b);
    i64::from(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_vector() {
        // Appendix A: CRC32("hello") = 0x3610a686.
        let mut h = crc32fast::Hasher::new();
        h.update(b"hello");
        assert_eq!(h.finalize(), 0x3610_a686);
    }

    #[test]
    fn layout_and_exclusions() {
        let stat = StatPersisted {
            czxid: 1,
            mzxid: 2,
            ctime: 3,
            mtime: 4,
            version: 5,
            cversion: 6,
            aversion: 7,
            ephemeral_owner: 8,
            pzxid: 9,
        };
        let mut bytes = b"/a".to_vec();
        bytes.extend_from_slice(b"xy");
        for v in [1i64, 2, 9, 3, 4] {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        for v in [5i32, 6, 7] {
            bytes.extend_from_slice(&v.to_be_bytes());
        }
        bytes.extend_from_slice(&8i64.to_be_bytes());
        assert_eq!(bytes.len(), 2 + 2 + 60);
        let expect = i64::from(crc32fast::hash(&bytes));
        assert_eq!(node_digest("/a", Some(b"xy"), &stat), expect);
        assert!(expect >= 0);
        assert_eq!(node_digest("/zookeeper/x", Some(b"xy"), &stat), 0);
        assert_ne!(node_digest("/zookeeper", None, &stat), 0);
        assert_eq!(node_digest("/", None, &stat), node_digest("", None, &stat));
        assert_eq!(
            node_digest("/a", None, &stat),
            node_digest("/a", Some(b""), &stat)
        );
    }
}
