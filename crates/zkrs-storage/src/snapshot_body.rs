//! The snapshot body shared by a snapshot file ([`crate::SnapshotWriter`],
//! [`crate::LoadedSnapshot`]) and the leader's SNAP sync stream ([`crate::snap_stream`]):
//! `SerializeUtils.serializeSnapshot` = the sessions, then `DataTree.serialize` = the ACL cache,
//! the nodes in pre-order and the `"/"` end marker.
//!
//! ```text
//! int n; { long sessionId; int timeoutMs } * n
//! int m; { long aclRef; vector<ACL> } * m            (ref -1 = OPEN_ACL_UNSAFE is never stored)
//! { ustring path; buffer data; long aclRef; StatPersisted } *   pre-order from the root ""
//! ustring "/"                                         end of the tree
//! ```
//!
//! A file puts a header before it and seals after it; the SNAP stream puts nothing before it
//! (the SNAP packet) and the `"BenWasHere"` signature after it.

use bytes::BufMut;
use zkrs_datatree::{SnapshotNode, SnapshotView};
use zkrs_jute::{Acl, DecodeError, Jute, JuteReader, StatPersisted};

use crate::snapshot_format_error::SnapshotFormatError;
use crate::snapshot_order::SnapshotOrder;

/// The path that ends the node list (`DataTree.serialize`).
pub(crate) const END_OF_TREE_PATH: &str = "/";

/// Where a body is written: a buffer, and a chance to hand full chunks on after each node.
pub(crate) trait BodyOut {
    /// The buffer the next bytes are appended to.
    fn buf(&mut self) -> &mut Vec<u8>;
    /// Called after each node; a streaming writer flushes here once its buffer is full.
    fn node_written(&mut self) -> std::io::Result<()>;
}

/// Writes the body: sessions (`(sessionId, timeoutMs)`; duplicates keep the last), the ACL
/// cache, the nodes and the `"/"` end marker. Stops at the first error of
/// [`BodyOut::node_written`].
pub(crate) fn write_body(
    w: &mut impl BodyOut,
    tree: &SnapshotView,
    sessions: impl IntoIterator<Item = (i64, i32)>,
    order: &SnapshotOrder,
) -> std::io::Result<()> {
    let mut sessions: Vec<(i64, i32)> = sessions
        .into_iter()
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_iter()
        .collect();
    order.order_sessions(&mut sessions);
    let out = w.buf();
    out.put_i32(sessions.len() as i32);
    for (id, timeout) in &sessions {
        out.put_i64(*id);
        out.put_i32(*timeout);
    }

    let mut acls: Vec<(i64, &[Acl])> = tree.acl_cache().iter().collect();
    order.order_acls(&mut acls);
    out.put_i32(acls.len() as i32);
    for (r, list) in &acls {
        out.put_i64(*r);
        out.put_i32(list.len() as i32);
        for acl in *list {
            acl.write_to(out);
        }
    }

    write_nodes(w, tree, order)?;
    put_str(w.buf(), END_OF_TREE_PATH);
    Ok(())
}

/// `DataTree.serializeNode`: pre-order from the root `""`; a child's path is the parent's plus
/// `/` and its name.
fn write_nodes(
    w: &mut impl BodyOut,
    tree: &SnapshotView,
    order: &SnapshotOrder,
) -> std::io::Result<()> {
    if *order == SnapshotOrder::Sorted {
        // Children in name order is the tree's own pre-order: one walk, no path building.
        for (path, node) in tree.iter_preorder() {
            write_node(w.buf(), path, &node.data, node.acl, &node.stat);
            w.node_written()?;
        }
        return Ok(());
    }
    let mut stack: Vec<String> = vec![String::new()];
    while let Some(path) = stack.pop() {
        let Some(node) = tree.node(&path) else {
            continue;
        };
        write_node(w.buf(), &path, &node.data, node.acl, &node.stat);
        w.node_written()?;
        let mut children: Vec<&str> = node.children().collect();
        if children.is_empty() {
            continue;
        }
        order.order_children(&path, &mut children);
        for c in children.iter().rev() {
            stack.push(format!("{path}/{c}"));
        }
    }
    Ok(())
}

/// One node: `ustring path; buffer data; long aclRef; StatPersisted`.
fn write_node(
    out: &mut Vec<u8>,
    path: &str,
    data: &Option<bytes::Bytes>,
    acl: i64,
    stat: &StatPersisted,
) {
    put_str(out, path);
    data.write_to(out);
    out.put_i64(acl);
    stat.write_to(out);
}

/// A jute `ustring`.
pub(crate) fn put_str(out: &mut Vec<u8>, s: &str) {
    out.put_i32(s.len() as i32);
    out.put_slice(s.as_bytes());
}

/// Maps a decode error to [`SnapshotFormatError::Decode`] naming what was being read.
pub(crate) fn dec(what: &'static str) -> impl FnOnce(DecodeError) -> SnapshotFormatError {
    move |source| SnapshotFormatError::Decode { what, source }
}

/// Reads one node, or `None` at the `"/"` end marker. A null path is an error (ZooKeeper fails
/// on it with a NullPointerException).
pub(crate) fn read_node(
    r: &mut JuteReader<'_>,
) -> Result<Option<SnapshotNode>, SnapshotFormatError> {
    let path = match r.read_ustring().map_err(dec("node path"))? {
        Some(p) => p,
        None => {
            return Err(SnapshotFormatError::Invalid("null node path".to_owned()));
        }
    };
    if path == END_OF_TREE_PATH {
        return Ok(None);
    }
    let data = Option::<bytes::Bytes>::read_from(r).map_err(dec("node data"))?;
    let acl = r.read_i64().map_err(dec("node acl"))?;
    let stat = StatPersisted::read_from(r).map_err(dec("node stat"))?;
    Ok(Some(SnapshotNode {
        path,
        data,
        acl,
        stat,
    }))
}
