//! [`SnapshotFormatError`]: why snapshot bytes are not a valid snapshot.

use zkrs_datatree::SnapshotError;
use zkrs_jute::DecodeError;

/// Why a snapshot stream could not be read (sans-IO: no path here; [`crate::StorageError`] adds
/// it).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapshotFormatError {
    /// The first int is not `ZKSN`.
    #[error("mismatching magic headers {magic:#010x} != ZKSN")]
    BadMagic { magic: i32 },
    /// A format version other than 2.
    #[error("snapshot format version {version} is not supported (only 2)")]
    UnsupportedVersion { version: i32 },
    /// The plain stream fails `SnapStream.isValidCheckedStream` (at least 10 bytes ending in
    /// `int 1, '/'`), or a compressed one lacks its magic.
    #[error("not a complete snapshot: {0}")]
    Invalid(String),
    /// The bytes end or go wrong while reading `what`.
    #[error("cannot read {what}: {source}")]
    Decode {
        what: &'static str,
        #[source]
        source: DecodeError,
    },
    /// A negative session or ACL count.
    #[error("negative {what} count {count}")]
    NegativeCount { what: &'static str, count: i32 },
    /// An ACL list written as null (ZooKeeper: "missing acls").
    #[error("ACL list {acl_ref} is null")]
    NullAclList { acl_ref: i64 },
    /// The nodes do not form a tree.
    #[error("{0}")]
    Tree(#[from] SnapshotError),
    /// A cumulative Adler32 seal does not match the bytes before it ("CRC corruption").
    #[error("CRC corruption: seal {seal} stores {stored:#x}, the stream before it sums to {computed:#x}")]
    SealMismatch {
        seal: u8,
        stored: i64,
        computed: u32,
    },
    /// The string after a seal (or the end of the tree) is not `"/"`.
    #[error("expected the \"/\" marker after seal {seal}, found {found:?}")]
    BadMarker { seal: u8, found: String },
    /// The compressed wrapper is broken.
    #[error("cannot decompress: {0}")]
    Decompress(String),
}
