//! [`SnapshotWriter`]: serializes a [`SnapshotView`] of a tree and the session table as a ZooKeeper snapshot
//! stream (`FileSnap.serialize`, `SerializeUtils.serializeSnapshot`, `DataTree.serialize`,
//! `SnapStream.sealStream`). Sans-IO: it produces the uncompressed bytes.
//!
//! ```text
//! FileHeader            int ZKSN, int 2, long dbid -1
//! int n; { long sessionId; int timeoutMs } * n
//! int m; { long aclRef; vector<ACL> } * m            (ref -1 = OPEN_ACL_UNSAFE is never stored)
//! { ustring path; buffer data; long aclRef; StatPersisted } *   pre-order from the root ""
//! ustring "/"                                         end of the tree
//! long adler32; ustring "/"                           seal 1 (all bytes before the long)
//! [digest]  long zxid; int digestVersion; long digest; long adler32; ustring "/"     3.6+
//! [3.9]     long lastProcessedZxid;                    long adler32; ustring "/"
//! ```

use bytes::BufMut;
use zkrs_datatree::{SnapshotView, ZxidDigest};
use zkrs_jute::{FileHeader, Jute};

use crate::snapshot_body::{self, BodyOut};
use crate::snapshot_order::SnapshotOrder;

/// `FileSnap.dbId`.
pub const SNAPSHOT_DB_ID: i64 = -1;

/// What goes into a snapshot besides the tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotWriteOptions {
    /// `zookeeper.digest.enabled` (default true): write the 3.6+ digest section and seal 2.
    pub digest_section: bool,
    /// `zookeeper.serializeLastProcessedZxid.enabled` (3.9, where it defaults to true): write
    /// the lastProcessedZxid section and seal 3. **Default false**: ZooKeeper 3.8 reads only up
    /// to seal 2 and ignores what follows (so it still loads such a file), but 3.8's writer
    /// never produces it, and 3.9 with the setting off reads nothing past seal 2 either.
    pub last_processed_zxid_section: bool,
    /// The digest section's content; `None` = the tree's `lastProcessedZxidDigest`, or zxid 0
    /// and digest 0 before any txn (what ZooKeeper writes).
    pub zxid_digest: Option<ZxidDigest>,
    /// The order of sessions, ACL lists and children.
    pub order: SnapshotOrder,
}

impl Default for SnapshotWriteOptions {
    fn default() -> Self {
        SnapshotWriteOptions {
            digest_section: true,
            last_processed_zxid_section: false,
            zxid_digest: None,
            order: SnapshotOrder::Sorted,
        }
    }
}

/// How many bytes [`SnapshotWriter::serialize_to`] buffers before handing them to its sink:
/// small enough that the file writer gets a chance to give way to other threads every few
/// hundred znodes (about every 100 µs of serialization).
pub const SNAPSHOT_CHUNK_BYTES: usize = 64 << 10;

/// Where a streamed snapshot's bytes go (a file, in order).
pub type SnapshotSink<'a> = dyn FnMut(&[u8]) -> std::io::Result<()> + 'a;

/// Builds a snapshot stream, sealing it as it goes: in memory, or streamed to a sink in chunks
/// (a snapshot of 200,000 znodes is about 40 MB; streaming avoids growing, page-faulting and
/// copying a buffer that size on every snapshot).
pub struct SnapshotWriter<'a> {
    out: Vec<u8>,
    hasher: simd_adler32::Adler32,
    /// `out[..hashed]` is already in `hasher`.
    hashed: usize,
    sink: Option<&'a mut SnapshotSink<'a>>,
    written: u64,
}

impl SnapshotWriter<'_> {
    /// Serializes `tree` (a [`zkrs_datatree::DataTree::view`]) and `sessions`
    /// (`(sessionId, timeoutMs)`; duplicates keep the last).
    pub fn serialize(
        tree: &SnapshotView,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        opts: &SnapshotWriteOptions,
    ) -> Vec<u8> {
        let mut w = SnapshotWriter {
            out: Vec::with_capacity(4096),
            hasher: simd_adler32::Adler32::new(),
            hashed: 0,
            sink: None,
            written: 0,
        };
        // Without a sink nothing is flushed, so nothing can fail.
        let _ = w.write_all(tree, sessions, opts);
        w.out
    }

    /// Streams the same bytes as [`SnapshotWriter::serialize`] to `sink`, in chunks of about
    /// [`SNAPSHOT_CHUNK_BYTES`]. Returns the number of bytes written; stops at the sink's first
    /// error.
    pub fn serialize_to<'s>(
        tree: &SnapshotView,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        opts: &SnapshotWriteOptions,
        sink: &'s mut SnapshotSink<'s>,
    ) -> std::io::Result<u64> {
        let mut w = SnapshotWriter {
            out: Vec::with_capacity(SNAPSHOT_CHUNK_BYTES + 64 * 1024),
            hasher: simd_adler32::Adler32::new(),
            hashed: 0,
            sink: Some(sink),
            written: 0,
        };
        w.write_all(tree, sessions, opts)?;
        w.flush()?;
        Ok(w.written)
    }

    fn write_all(
        &mut self,
        tree: &SnapshotView,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        opts: &SnapshotWriteOptions,
    ) -> std::io::Result<()> {
        let w = self;
        FileHeader {
            magic: FileHeader::SNAP_MAGIC,
            version: FileHeader::VERSION,
            dbid: SNAPSHOT_DB_ID,
        }
        .write_to(&mut w.out);

        snapshot_body::write_body(w, tree, sessions, &opts.order)?;
        w.seal();

        if opts.digest_section {
            let zd = opts
                .zxid_digest
                .or_else(|| tree.last_processed_zxid_digest())
                .unwrap_or(ZxidDigest {
                    zxid: 0,
                    digest_version: zkrs_datatree::digest::DIGEST_VERSION,
                    digest: 0,
                });
            w.out.put_i64(zd.zxid);
            w.out.put_i32(zd.digest_version);
            if zd.digest_version < 2 {
                // Versions before 2 stored the digest as a hex string.
                w.put_str(&format!("{:x}", zd.digest));
            } else {
                w.out.put_i64(zd.digest);
            }
            w.seal();
        }
        if opts.last_processed_zxid_section {
            w.out.put_i64(tree.last_processed_zxid());
            w.seal();
        }
        Ok(())
    }

    /// Hands the buffered bytes to the sink once there are enough of them.
    fn maybe_flush(&mut self) -> std::io::Result<()> {
        if self.out.len() >= SNAPSHOT_CHUNK_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let Some(sink) = self.sink.as_mut() else {
            return Ok(());
        };
        self.hasher.write(&self.out[self.hashed..]);
        sink(&self.out)?;
        self.written += self.out.len() as u64;
        self.out.clear();
        self.hashed = 0;
        Ok(())
    }

    fn put_str(&mut self, s: &str) {
        snapshot_body::put_str(&mut self.out, s);
    }

    /// `SnapStream.sealStream`: the Adler32 of every byte so far, then `"/"`.
    fn seal(&mut self) {
        self.hasher.write(&self.out[self.hashed..]);
        self.hashed = self.out.len();
        let sum = self.hasher.finish();
        self.out.put_i64(i64::from(sum));
        self.put_str("/");
    }
}

impl BodyOut for SnapshotWriter<'_> {
    fn buf(&mut self) -> &mut Vec<u8> {
        &mut self.out
    }

    fn node_written(&mut self) -> std::io::Result<()> {
        self.maybe_flush()
    }
}
