//! The SNAP sync stream: what a leader writes on the learner port right after
//! `QuorumPacket(SNAP, lastProcessedZxid, null, null)`, and [`SnapStreamDecoder`], the learner's
//! incremental reading of it.
//!
//! Layout (ZooKeeper 3.5 through 3.9, unchanged; `LearnerHandler.syncFollower` writes it with
//! `ZKDatabase.serializeSnapshot` = `SerializeUtils.serializeSnapshot`, then the signature;
//! `Learner.syncWithLeader` reads it with `ZKDatabase.deserializeSnapshot` and checks it):
//!
//! ```text
//! int n; { long sessionId; int timeoutMs } * n
//! int m; { long aclRef; vector<ACL> } * m
//! { ustring path; buffer data; long aclRef; StatPersisted } *   pre-order from the root ""
//! ustring "/"                                                    end of the tree
//! ustring "BenWasHere"                                           the signature
//! ```
//!
//! It is the body of a snapshot file (shared with [`crate::SnapshotWriter`] and
//! [`crate::LoadedSnapshot`]) without the file header, without any Adler32 seal, and without
//! the 3.6+ digest and 3.9 lastProcessedZxid sections, which `FileSnap` writes but the SNAP
//! stream does not. The learner takes the tree's lastProcessedZxid from the SNAP packet's zxid.
//!
//! Writing: [`write_snap_stream`] appends the whole stream to a buffer;
//! [`write_snap_stream_to`] hands it to a sink in chunks of about
//! [`crate::SNAPSHOT_CHUNK_BYTES`], so a large tree is never held twice in memory.
//!
//! Reading: the stream follows the SNAP packet on the same connection, with no length anywhere.
//! [`SnapStreamDecoder::feed`] takes the connection's read buffer, consumes every complete
//! element (a session, an ACL list header, an ACL, a node, the signature) and keeps its place,
//! so the total work is linear in the stream however it is cut. Bytes after the signature (the
//! next `QuorumPacket`s) are left in the buffer.

use std::collections::BTreeMap;

use bytes::{Buf, BytesMut};
use zkrs_datatree::{DataTree, SnapshotNode, SnapshotView};
use zkrs_jute::{Acl, DecodeError, Jute, JuteReader};

use crate::snapshot_body::{self, dec, BodyOut, END_OF_TREE_PATH};
use crate::snapshot_format_error::SnapshotFormatError;
use crate::snapshot_order::SnapshotOrder;
use crate::snapshot_reader::SnapshotReadOptions;
use crate::snapshot_writer::{SnapshotSink, SNAPSHOT_CHUNK_BYTES};

/// The string that ends a SNAP stream (`LearnerHandler` writes it, `Learner` checks it).
pub const SNAP_SIGNATURE: &str = "BenWasHere";

/// Bytes of one session entry: `long sessionId; int timeoutMs`.
const SESSION_LEN: usize = 8 + 4;
/// Bytes of an ACL list header in the ACL cache: `long aclRef; int count`.
const ACL_HEADER_LEN: usize = 8 + 4;
/// Bytes of a node after its path and data: `long aclRef` + the 60-byte `StatPersisted`.
const NODE_TAIL_LEN: usize = 8 + 60;

/// Appends the SNAP stream of `tree` and `sessions` (`(sessionId, timeoutMs)`; duplicates keep
/// the last) to `out`: sessions, ACL cache, nodes, `"/"`, `"BenWasHere"`. With
/// [`SnapshotOrder::Java`] and the leader's hash-table capacities it is byte for byte what a
/// ZooKeeper leader sends for the same database.
pub fn write_snap_stream(
    tree: &SnapshotView,
    sessions: impl IntoIterator<Item = (i64, i32)>,
    order: &SnapshotOrder,
    out: &mut Vec<u8>,
) {
    let mut w = SnapStreamWriter {
        out: std::mem::take(out),
        sink: None,
        written_bytes: 0,
    };
    // Without a sink nothing is flushed, so nothing can fail.
    let _ = snapshot_body::write_body(&mut w, tree, sessions, order);
    snapshot_body::put_str(&mut w.out, SNAP_SIGNATURE);
    *out = w.out;
}

/// Streams the same bytes as [`write_snap_stream`] to `sink` in chunks of about
/// [`SNAPSHOT_CHUNK_BYTES`] (a sink that blocks applies back-pressure, for example a bounded
/// channel to the connection's writer). Returns the number of bytes written; stops at the
/// sink's first error.
pub fn write_snap_stream_to<'s>(
    tree: &SnapshotView,
    sessions: impl IntoIterator<Item = (i64, i32)>,
    order: &SnapshotOrder,
    sink: &'s mut SnapshotSink<'s>,
) -> std::io::Result<u64> {
    let mut w = SnapStreamWriter {
        out: Vec::with_capacity(SNAPSHOT_CHUNK_BYTES + 64 * 1024),
        sink: Some(sink),
        written_bytes: 0,
    };
    snapshot_body::write_body(&mut w, tree, sessions, order)?;
    snapshot_body::put_str(&mut w.out, SNAP_SIGNATURE);
    w.flush()?;
    Ok(w.written_bytes)
}

/// Buffers the stream and hands full chunks to the sink, if any.
struct SnapStreamWriter<'a> {
    out: Vec<u8>,
    sink: Option<&'a mut SnapshotSink<'a>>,
    written_bytes: u64,
}

impl SnapStreamWriter<'_> {
    fn flush(&mut self) -> std::io::Result<()> {
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        if self.out.is_empty() {
            return Ok(());
        }
        sink(&self.out)?;
        self.written_bytes += self.out.len() as u64;
        self.out.clear();
        Ok(())
    }
}

impl BodyOut for SnapStreamWriter<'_> {
    fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    fn node_written(&mut self) -> std::io::Result<()> {
        if self.sink.is_some() && self.out.len() >= SNAPSHOT_CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }
}

/// Why a SNAP stream cannot be loaded. The learner drops the connection to the leader
/// (ZooKeeper throws an IOException out of `syncWithLeader`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SnapStreamError {
    /// A malformed body, as a snapshot file's would be: a length out of range, a negative
    /// count, a null ACL list or path, nodes that do not form a tree.
    #[error(transparent)]
    Format(#[from] SnapshotFormatError),
    /// A node path that no znode can have (not `""`, not starting with `/`, an empty segment,
    /// a trailing `/`).
    #[error("invalid node path {path:?} in the snapshot stream")]
    InvalidPath { path: String },
    /// The string after the tree is not `"BenWasHere"` (ZooKeeper: "Missing signature").
    #[error("Missing signature. Got {found:?}")]
    MissingSignature { found: Option<String> },
    /// [`SnapStreamDecoder::feed`] was called after the stream was loaded or failed.
    #[error("the snapshot stream was already loaded or failed")]
    Finished,
}

/// A SNAP stream fully read and checked.
#[derive(Debug, Clone)]
pub struct SnapStreamLoaded {
    /// The sessions and their timeouts (`sessionsWithTimeouts`; a repeated id keeps the last).
    pub sessions: BTreeMap<i64, i32>,
    /// The tree, built exactly as [`crate::LoadedSnapshot`] builds it from a snapshot file's
    /// body (ephemerals by owner, containers, TTLs, ACL reference counts, quotas, digest), with
    /// its lastProcessedZxid set to the SNAP packet's zxid given to
    /// [`SnapStreamDecoder::new`].
    pub tree: DataTree,
    /// Bytes of the stream, signature included.
    pub stream_len_bytes: u64,
}

/// The element of the stream read next.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Expect {
    SessionCount,
    Sessions {
        left: u32,
    },
    AclMapSize,
    AclHeader {
        lists_left: u32,
    },
    Acls {
        lists_left: u32,
        acl_ref: i64,
        left: usize,
    },
    Node,
    Signature,
    Finished,
}

/// Incremental reader of a SNAP stream (see the module documentation).
#[derive(Debug)]
pub struct SnapStreamDecoder {
    opts: SnapshotReadOptions,
    snap_zxid: i64,
    expect: Expect,
    sessions: BTreeMap<i64, i32>,
    acls: Vec<(i64, Vec<Acl>)>,
    nodes: Vec<SnapshotNode>,
    tree: Option<DataTree>,
    consumed_bytes: u64,
}

/// The most entries reserved ahead of their bytes: counts come from the wire, so storage grows
/// with what actually arrives.
const RESERVE_AHEAD_MAX: usize = 1024;

impl SnapStreamDecoder {
    /// A decoder for the stream that follows `QuorumPacket(SNAP, snap_zxid, …)`. `opts.max_len`
    /// bounds every path, node data and ACL string (`jute.maxbuffer` + extra, as the learner's
    /// `BinaryInputArchive` checks); `opts.tree_config` is the learner's own (TTL nodes need
    /// `extended_types_enabled`).
    pub fn new(snap_zxid: i64, opts: SnapshotReadOptions) -> Self {
        SnapStreamDecoder {
            opts,
            snap_zxid,
            expect: Expect::SessionCount,
            sessions: BTreeMap::new(),
            acls: Vec::new(),
            nodes: Vec::new(),
            tree: None,
            consumed_bytes: 0,
        }
    }

    /// The zxid the loaded tree's lastProcessedZxid is set to.
    pub fn snap_zxid(&self) -> i64 {
        self.snap_zxid
    }

    /// Bytes of the stream consumed so far.
    pub fn consumed_bytes(&self) -> u64 {
        self.consumed_bytes
    }

    /// Nodes read so far (progress; the tree is built once the `"/"` marker arrives).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Consumes every complete element at the front of `buf`. Returns the loaded stream once
    /// the signature has been read and checked (bytes after it stay in `buf`), `Ok(None)` if
    /// more bytes are needed (a partial element stays in `buf`; append to it and call again).
    /// After a result or an error the decoder is finished: further calls return
    /// [`SnapStreamError::Finished`].
    pub fn feed(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<SnapStreamLoaded>, SnapStreamError> {
        match self.step_all(buf) {
            Ok(r) => Ok(r),
            Err(e) => {
                self.finish();
                Err(e)
            }
        }
    }

    fn finish(&mut self) {
        self.expect = Expect::Finished;
        self.sessions.clear();
        self.acls = Vec::new();
        self.nodes = Vec::new();
        self.tree = None;
    }

    fn consume(&mut self, buf: &mut BytesMut, n: usize) {
        buf.advance(n);
        self.consumed_bytes += n as u64;
    }

    fn step_all(
        &mut self,
        buf: &mut BytesMut,
    ) -> Result<Option<SnapStreamLoaded>, SnapStreamError> {
        let max_len = self.opts.max_len;
        loop {
            match self.expect.clone() {
                Expect::Finished => return Err(SnapStreamError::Finished),
                Expect::SessionCount => {
                    let Some(count) = int_at(buf, 0) else {
                        return Ok(None);
                    };
                    let count = non_negative(count, "session")?;
                    self.consume(buf, 4);
                    self.expect = Expect::Sessions { left: count };
                }
                Expect::Sessions { left } => {
                    if left == 0 {
                        self.expect = Expect::AclMapSize;
                        continue;
                    }
                    let n = (buf.len() / SESSION_LEN).min(left as usize);
                    if n == 0 {
                        buf.reserve(SESSION_LEN);
                        return Ok(None);
                    }
                    for chunk in buf[..n * SESSION_LEN].chunks_exact(SESSION_LEN) {
                        let mut r = JuteReader::new(chunk);
                        let id = r.read_i64().map_err(dec("session id"))?;
                        let timeout = r.read_i32().map_err(dec("session timeout"))?;
                        self.sessions.insert(id, timeout);
                    }
                    self.consume(buf, n * SESSION_LEN);
                    self.expect = Expect::Sessions {
                        left: left - n as u32,
                    };
                }
                Expect::AclMapSize => {
                    let Some(count) = int_at(buf, 0) else {
                        return Ok(None);
                    };
                    let count = non_negative(count, "ACL")?;
                    self.acls.reserve((count as usize).min(RESERVE_AHEAD_MAX));
                    self.consume(buf, 4);
                    self.expect = Expect::AclHeader { lists_left: count };
                }
                Expect::AclHeader { lists_left } => {
                    if lists_left == 0 {
                        self.expect = Expect::Node;
                        continue;
                    }
                    if buf.len() < ACL_HEADER_LEN {
                        buf.reserve(ACL_HEADER_LEN - buf.len());
                        return Ok(None);
                    }
                    let mut r = JuteReader::new(&buf[..ACL_HEADER_LEN]);
                    let acl_ref = r.read_i64().map_err(dec("ACL reference"))?;
                    let count = r.read_i32().map_err(dec("ACL list"))?;
                    let left = match count {
                        -1 => return Err(SnapshotFormatError::NullAclList { acl_ref }.into()),
                        n if n < 0 || n as usize > max_len => {
                            return Err(length_error("ACL list", n, max_len).into());
                        }
                        n => n as usize,
                    };
                    self.consume(buf, ACL_HEADER_LEN);
                    self.acls
                        .push((acl_ref, Vec::with_capacity(left.min(RESERVE_AHEAD_MAX))));
                    self.expect = Expect::Acls {
                        lists_left: lists_left - 1,
                        acl_ref,
                        left,
                    };
                }
                Expect::Acls {
                    lists_left,
                    acl_ref,
                    left,
                } => {
                    if left == 0 {
                        self.expect = Expect::AclHeader { lists_left };
                        continue;
                    }
                    let Some(len) = acl_len(buf, max_len)? else {
                        return Ok(None);
                    };
                    let mut r = JuteReader::with_limit(&buf[..len], max_len);
                    let acl = Acl::read_from(&mut r).map_err(dec("ACL"))?;
                    if let Some((_, list)) = self.acls.last_mut() {
                        list.push(acl);
                    }
                    self.consume(buf, len);
                    self.expect = Expect::Acls {
                        lists_left,
                        acl_ref,
                        left: left - 1,
                    };
                }
                Expect::Node => {
                    let Some(len) = node_len(buf, max_len)? else {
                        return Ok(None);
                    };
                    let mut r = JuteReader::with_limit(&buf[..len], max_len);
                    match snapshot_body::read_node(&mut r)? {
                        Some(node) => {
                            check_path(&node.path, self.nodes.is_empty())?;
                            self.nodes.push(node);
                        }
                        None => {
                            let acls = std::mem::take(&mut self.acls);
                            let nodes = std::mem::take(&mut self.nodes);
                            let tree = DataTree::from_snapshot(self.opts.tree_config, acls, nodes)
                                .map_err(SnapshotFormatError::from)?;
                            self.tree = Some(tree);
                            self.expect = Expect::Signature;
                        }
                    }
                    self.consume(buf, len);
                }
                Expect::Signature => {
                    let Some(len) = int_at(buf, 0) else {
                        return Ok(None);
                    };
                    let found = match len {
                        -1 => None,
                        n if n < 0 || n as usize > max_len => {
                            return Err(length_error("signature", n, max_len).into());
                        }
                        n => {
                            let total = 4 + n as usize;
                            if buf.len() < total {
                                buf.reserve(total - buf.len());
                                return Ok(None);
                            }
                            let s = String::from_utf8_lossy(&buf[4..total]).into_owned();
                            self.consume(buf, total);
                            Some(s)
                        }
                    };
                    if found.as_deref() != Some(SNAP_SIGNATURE) {
                        return Err(SnapStreamError::MissingSignature { found });
                    }
                    let Some(mut tree) = self.tree.take() else {
                        return Err(SnapStreamError::Finished);
                    };
                    tree.set_last_processed_zxid(self.snap_zxid);
                    let loaded = SnapStreamLoaded {
                        sessions: std::mem::take(&mut self.sessions),
                        tree,
                        stream_len_bytes: self.consumed_bytes,
                    };
                    self.finish();
                    return Ok(Some(loaded));
                }
            }
        }
    }
}

/// The big-endian int at `at`, or `None` after reserving room for it.
fn int_at(buf: &mut BytesMut, at: usize) -> Option<i32> {
    let end = at + 4;
    if buf.len() < end {
        buf.reserve(end - buf.len());
        return None;
    }
    Some(i32::from_be_bytes([
        buf[at],
        buf[at + 1],
        buf[at + 2],
        buf[at + 3],
    ]))
}

fn length_error(what: &'static str, len: i32, limit: usize) -> SnapshotFormatError {
    SnapshotFormatError::Decode {
        what,
        source: DecodeError::LengthOutOfRange {
            len: i64::from(len),
            limit,
        },
    }
}

fn non_negative(count: i32, what: &'static str) -> Result<u32, SnapshotFormatError> {
    u32::try_from(count).map_err(|_| SnapshotFormatError::NegativeCount { what, count })
}

/// The length of the string or buffer whose prefix is at `at`: `Ok(None)` if the prefix has not
/// arrived, 0 for null (-1).
fn field_len(
    buf: &mut BytesMut,
    at: usize,
    what: &'static str,
    max_len: usize,
) -> Result<Option<usize>, SnapshotFormatError> {
    let Some(len) = int_at(buf, at) else {
        return Ok(None);
    };
    match len {
        -1 => Ok(Some(0)),
        n if n < 0 || n as usize > max_len => Err(length_error(what, n, max_len)),
        n => Ok(Some(n as usize)),
    }
}

/// `Some(total)` once `total` bytes are in `buf`; otherwise reserves room for them.
fn complete(buf: &mut BytesMut, total: usize) -> Option<usize> {
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return None;
    }
    Some(total)
}

/// The length of the ACL at the front of `buf` (`int perms; ustring scheme; ustring id`) once
/// all of it has arrived.
fn acl_len(buf: &mut BytesMut, max_len: usize) -> Result<Option<usize>, SnapshotFormatError> {
    let Some(scheme_len) = field_len(buf, 4, "ACL scheme", max_len)? else {
        return Ok(None);
    };
    let id_at = 8 + scheme_len;
    let Some(id_len) = field_len(buf, id_at, "ACL id", max_len)? else {
        return Ok(None);
    };
    Ok(complete(buf, id_at + 4 + id_len))
}

/// The length of the node (or of the `"/"` end marker) at the front of `buf` once all of it
/// has arrived.
fn node_len(buf: &mut BytesMut, max_len: usize) -> Result<Option<usize>, SnapshotFormatError> {
    let Some(len) = int_at(buf, 0) else {
        return Ok(None);
    };
    let path_len = match len {
        -1 => return Err(SnapshotFormatError::Invalid("null node path".to_owned())),
        n if n < 0 || n as usize > max_len => return Err(length_error("node path", n, max_len)),
        n => n as usize,
    };
    if path_len == END_OF_TREE_PATH.len() {
        let Some(marker) = complete(buf, 4 + path_len) else {
            return Ok(None);
        };
        if buf[4..marker] == *END_OF_TREE_PATH.as_bytes() {
            return Ok(Some(marker));
        }
    }
    let data_at = 4 + path_len;
    let Some(data_len) = field_len(buf, data_at, "node data", max_len)? else {
        return Ok(None);
    };
    Ok(complete(buf, data_at + 4 + data_len + NODE_TAIL_LEN))
}

/// A node path must be the root `""` (first) or `/name(/name)*` with no empty segment.
fn check_path(path: &str, first: bool) -> Result<(), SnapStreamError> {
    let ok = if first {
        path.is_empty()
    } else {
        path.strip_prefix('/')
            .is_some_and(|rest| rest.split('/').all(|segment| !segment.is_empty()))
    };
    if ok {
        Ok(())
    } else if first {
        Err(SnapshotFormatError::from(zkrs_datatree::SnapshotError::MissingRoot).into())
    } else {
        Err(SnapStreamError::InvalidPath {
            path: path.to_owned(),
        })
    }
}
