//! [`LoadedSnapshot`]: reads a ZooKeeper snapshot stream (`FileSnap.deserialize`,
//! `SerializeUtils.deserializeSnapshot`, `DataTree.deserialize`, `SnapStream.checkSealIntegrity`).
//! Sans-IO: it takes the uncompressed bytes.

use std::collections::BTreeMap;

use zkrs_datatree::{DataTree, SnapshotNode, TreeConfig, ZxidDigest};
use zkrs_jute::{Acl, FileHeader, Jute, JuteReader};

use crate::log_scan::DEFAULT_MAX_RECORD_LEN;
use crate::snapshot_body::{self, dec};
use crate::snapshot_format_error::SnapshotFormatError;

/// Bytes of the 3.9 lastProcessedZxid section: the long, seal long, `"/"`.
const LPZ_SECTION_LEN: usize = 8 + 8 + 5;

/// Settings for reading a snapshot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapshotReadOptions {
    /// How the tree interprets what it loads (TTL nodes need `extended_types_enabled`).
    pub tree_config: TreeConfig,
    /// The longest path or node data accepted (`jute.maxbuffer` + extra).
    pub max_len: usize,
}

impl Default for SnapshotReadOptions {
    fn default() -> Self {
        SnapshotReadOptions {
            tree_config: TreeConfig::default(),
            max_len: DEFAULT_MAX_RECORD_LEN,
        }
    }
}

/// A snapshot read and verified.
#[derive(Debug, Clone)]
pub struct LoadedSnapshot {
    /// The file header (`ZKSN`, 2, dbid).
    pub header: FileHeader,
    /// The sessions and their timeouts (`sessionsWithTimeouts`).
    pub sessions: BTreeMap<i64, i32>,
    /// The tree. Its `last_processed_zxid` is 0: the snapshot's zxid is in its file name.
    pub tree: DataTree,
    /// The 3.6+ digest section, if present.
    pub zxid_digest: Option<ZxidDigest>,
    /// The 3.9 lastProcessedZxid section, if present.
    pub last_processed_zxid: Option<i64>,
    /// Bytes after the last section understood (ZooKeeper ignores them too).
    pub trailing_bytes: usize,
}

/// `SnapStream.isValidCheckedStream`: a plain snapshot is at least 10 bytes and ends with the
/// `"/"` of a seal (`int 1`, `'/'`).
pub fn is_valid_checked_stream(bytes: &[u8]) -> bool {
    bytes.len() >= 10 && bytes[bytes.len() - 5..] == [0, 0, 0, 1, b'/']
}

struct Sealer<'a> {
    bytes: &'a [u8],
    hasher: simd_adler32::Adler32,
    hashed: usize,
}

impl Sealer<'_> {
    /// `checkSealIntegrity`: the long at the reader's position must be the Adler32 of every byte
    /// before it; then the `"/"` marker.
    fn check(&mut self, r: &mut JuteReader<'_>, seal: u8) -> Result<(), SnapshotFormatError> {
        let pos = r.position();
        self.hasher.write(&self.bytes[self.hashed..pos]);
        self.hashed = pos;
        let computed = self.hasher.finish();
        let stored = r.read_i64().map_err(dec("seal"))?;
        if stored != i64::from(computed) {
            return Err(SnapshotFormatError::SealMismatch {
                seal,
                stored,
                computed,
            });
        }
        expect_marker(r, seal)
    }
}

fn expect_marker(r: &mut JuteReader<'_>, seal: u8) -> Result<(), SnapshotFormatError> {
    match r.read_ustring().map_err(dec("\"/\" marker"))? {
        Some(s) if s == "/" => Ok(()),
        other => Err(SnapshotFormatError::BadMarker {
            seal,
            found: other.unwrap_or_else(|| "<null>".to_owned()),
        }),
    }
}

/// Reads nodes until the `"/"` end marker, stashing the first error.
struct NodeIter<'r, 'a> {
    r: &'r mut JuteReader<'a>,
    err: Option<SnapshotFormatError>,
    ended: bool,
}

impl NodeIter<'_, '_> {
    fn read_node(&mut self) -> Result<Option<SnapshotNode>, SnapshotFormatError> {
        let node = snapshot_body::read_node(self.r)?;
        if node.is_none() {
            self.ended = true;
        }
        Ok(node)
    }
}

impl Iterator for NodeIter<'_, '_> {
    type Item = SnapshotNode;

    fn next(&mut self) -> Option<SnapshotNode> {
        if self.ended || self.err.is_some() {
            return None;
        }
        match self.read_node() {
            Ok(n) => n,
            Err(e) => {
                self.err = Some(e);
                None
            }
        }
    }
}

impl LoadedSnapshot {
    /// Reads and verifies an uncompressed snapshot stream: header, sessions, ACL map, nodes,
    /// seal 1, then the digest section and the lastProcessedZxid section when present (each
    /// with its seal).
    ///
    /// Sections after seal 1 are recognized by what remains: exactly 21 bytes is the 3.9
    /// lastProcessedZxid section alone (a writer with the digest disabled); anything else
    /// starts with the digest section. Unknown bytes after that are counted, not read.
    pub fn deserialize(
        bytes: &[u8],
        opts: SnapshotReadOptions,
    ) -> Result<LoadedSnapshot, SnapshotFormatError> {
        let mut r = JuteReader::with_limit(bytes, opts.max_len);
        let header = FileHeader::read_from(&mut r).map_err(dec("file header"))?;
        if header.magic != FileHeader::SNAP_MAGIC {
            return Err(SnapshotFormatError::BadMagic {
                magic: header.magic,
            });
        }
        if header.version != FileHeader::VERSION {
            return Err(SnapshotFormatError::UnsupportedVersion {
                version: header.version,
            });
        }

        let count = r.read_i32().map_err(dec("session count"))?;
        if count < 0 {
            return Err(SnapshotFormatError::NegativeCount {
                what: "session",
                count,
            });
        }
        let mut sessions = BTreeMap::new();
        for _ in 0..count {
            let id = r.read_i64().map_err(dec("session id"))?;
            let timeout = r.read_i32().map_err(dec("session timeout"))?;
            sessions.insert(id, timeout);
        }

        let count = r.read_i32().map_err(dec("ACL map size"))?;
        if count < 0 {
            return Err(SnapshotFormatError::NegativeCount { what: "ACL", count });
        }
        let mut acls = Vec::new();
        for _ in 0..count {
            let acl_ref = r.read_i64().map_err(dec("ACL reference"))?;
            let Some(n) = r.read_vector_len(Acl::MIN_LEN).map_err(dec("ACL list"))? else {
                return Err(SnapshotFormatError::NullAclList { acl_ref });
            };
            let mut list = Vec::with_capacity(n);
            for _ in 0..n {
                list.push(Acl::read_from(&mut r).map_err(dec("ACL"))?);
            }
            acls.push((acl_ref, list));
        }

        let mut nodes = NodeIter {
            r: &mut r,
            err: None,
            ended: false,
        };
        let built = DataTree::from_snapshot(opts.tree_config, acls, &mut nodes);
        if let Some(e) = nodes.err.take() {
            return Err(e);
        }
        let tree = built?;
        if !nodes.ended {
            return Err(SnapshotFormatError::Invalid(
                "the tree does not end with the \"/\" marker".to_owned(),
            ));
        }

        let mut sealer = Sealer {
            bytes,
            hasher: simd_adler32::Adler32::new(),
            hashed: 0,
        };
        sealer.check(&mut r, 1)?;

        let mut zxid_digest = None;
        let mut last_processed_zxid = None;
        if !r.is_empty() && r.remaining() != LPZ_SECTION_LEN {
            let zxid = r.read_i64().map_err(dec("digest zxid"))?;
            let digest_version = r.read_i32().map_err(dec("digest version"))?;
            let digest = if digest_version < 2 {
                let s = r.read_ustring().map_err(dec("digest"))?.unwrap_or_default();
                i64::from_str_radix(&s, 16)
                    .map_err(|_| SnapshotFormatError::Invalid(format!("digest {s:?} is not hex")))?
            } else {
                r.read_i64().map_err(dec("digest"))?
            };
            sealer.check(&mut r, 2)?;
            zxid_digest = Some(ZxidDigest {
                zxid,
                digest_version,
                digest,
            });
        }
        if r.remaining() == LPZ_SECTION_LEN {
            last_processed_zxid = Some(r.read_i64().map_err(dec("lastProcessedZxid"))?);
            sealer.check(&mut r, 3)?;
        }
        Ok(LoadedSnapshot {
            header,
            sessions,
            tree,
            zxid_digest,
            last_processed_zxid,
            trailing_bytes: r.remaining(),
        })
    }
}
