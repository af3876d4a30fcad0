//! [`FileSnap`]: snapshot files in a directory — listing, the validity check, reading with
//! decompression and seal checks, and atomic writing.

use std::path::{Path, PathBuf};

use zkrs_datatree::SnapshotView;

use crate::compression::{SnapshotCompression, GZIP_MAGIC, SNAPPY_MAGIC};
use crate::error::StorageError;
use crate::fs::{Fs, FsFile};
use crate::names::{is_tmp, snapshot_name, zxid_from_name, SNAPSHOT_PREFIX, TMP_EXTENSION};
use crate::paced_writer::PacedWriter;
use crate::snapshot_format_error::SnapshotFormatError;
use crate::snapshot_reader::{is_valid_checked_stream, LoadedSnapshot, SnapshotReadOptions};
use crate::snapshot_writer::{SnapshotWriteOptions, SnapshotWriter};

/// The most uncompressed bytes read from one compressed snapshot (a guard against a corrupt or
/// hostile length, not a format limit).
pub const MAX_UNCOMPRESSED_SNAPSHOT: usize = 64 << 30;

/// One `snapshot.<hex>[.gz|.snappy]` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotFile {
    /// Its path.
    pub path: PathBuf,
    /// The zxid in its name: the tree's lastProcessedZxid when it was taken.
    pub zxid: i64,
    /// Its wrapper, from the name's last part.
    pub compression: SnapshotCompression,
}

/// The snapshot directory (`dataDir/version-2`).
#[derive(Debug, Clone)]
pub struct FileSnap<F: Fs> {
    fs: F,
    dir: PathBuf,
}

impl<F: Fs> FileSnap<F> {
    /// Snapshots in `dir`.
    pub fn new(fs: F, dir: impl Into<PathBuf>) -> FileSnap<F> {
        FileSnap {
            fs,
            dir: dir.into(),
        }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every snapshot file, newest first (`Util.sortDataDir(..., false)`). Temporary files of an
    /// interrupted write (`*.tmp`) are not snapshots here (ZooKeeper would look at
    /// `snapshot.<z>.tmp`; a rename never happened, so this never trusts it).
    pub fn list(&self) -> Result<Vec<SnapshotFile>, StorageError> {
        let mut out = Vec::new();
        for name in self
            .fs
            .list_dir(&self.dir)
            .map_err(StorageError::io("list", &self.dir))?
        {
            if is_tmp(&name) {
                continue;
            }
            if let Some(zxid) = zxid_from_name(&name, SNAPSHOT_PREFIX) {
                out.push(SnapshotFile {
                    compression: SnapshotCompression::from_file_name(&name),
                    path: self.dir.join(name),
                    zxid,
                });
            }
        }
        out.sort_by(|a, b| b.zxid.cmp(&a.zxid).then_with(|| b.path.cmp(&a.path)));
        Ok(out)
    }

    /// `SnapStream.isValidSnapshot`: a cheap check of the file's ends — the last 5 bytes
    /// `00 00 00 01 2f` for a plain stream, the gzip or Snappy magic for a compressed one.
    pub fn is_valid(&self, snap: &SnapshotFile) -> Result<bool, StorageError> {
        let path = &snap.path;
        Ok(match snap.compression {
            SnapshotCompression::None => {
                let len = self
                    .fs
                    .file_len(path)
                    .map_err(StorageError::io("stat", path))?;
                if len < 10 {
                    return Ok(false);
                }
                let tail = self
                    .fs
                    .read_at(path, len - 5, 5)
                    .map_err(StorageError::io("read", path))?;
                tail == [0, 0, 0, 1, b'/']
            }
            SnapshotCompression::Gzip => self.head(path, 2)? == GZIP_MAGIC,
            SnapshotCompression::Snappy => self.head(path, SNAPPY_MAGIC.len())? == SNAPPY_MAGIC,
        })
    }

    fn head(&self, path: &Path, n: usize) -> Result<Vec<u8>, StorageError> {
        self.fs
            .read_at(path, 0, n)
            .map_err(StorageError::io("read", path))
    }

    /// `findNValidSnapshots(n)`: up to `n` files that pass [`FileSnap::is_valid`], newest first.
    pub fn find_n_valid(&self, n: usize) -> Result<Vec<SnapshotFile>, StorageError> {
        let mut out = Vec::new();
        for s in self.list()? {
            if out.len() == n {
                break;
            }
            if self.is_valid(&s)? {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Reads a snapshot file: decompresses, parses, checks every seal. The tree's
    /// `last_processed_zxid` is set to the zxid in the file name, as `FileSnap.deserialize` does.
    pub fn read(
        &self,
        snap: &SnapshotFile,
        opts: SnapshotReadOptions,
    ) -> Result<LoadedSnapshot, StorageError> {
        let path = &snap.path;
        let wrap = |source| StorageError::Snapshot {
            path: path.clone(),
            source,
        };
        let file = self.fs.read(path).map_err(StorageError::io("read", path))?;
        let raw = match snap.compression {
            SnapshotCompression::None => {
                if !is_valid_checked_stream(&file) {
                    return Err(wrap(SnapshotFormatError::Invalid(
                        "it does not end with a seal's \"/\"".to_owned(),
                    )));
                }
                file
            }
            c => c
                .decompress(&file, MAX_UNCOMPRESSED_SNAPSHOT)
                .map_err(|e| wrap(SnapshotFormatError::Decompress(e)))?,
        };
        let mut loaded = LoadedSnapshot::deserialize(&raw, opts).map_err(wrap)?;
        loaded.tree.set_last_processed_zxid(snap.zxid);
        Ok(loaded)
    }

    /// Writes `snapshot.<hex lastProcessedZxid>[ext]` atomically: into `<name>.tmp`, fsync,
    /// rename over the final name, fsync the directory (`AtomicFileOutputStream`, plus the
    /// directory sync ZooKeeper leaves out). Returns the final path.
    pub fn write(
        &self,
        tree: &SnapshotView,
        sessions: impl IntoIterator<Item = (i64, i32)>,
        compression: SnapshotCompression,
        opts: &SnapshotWriteOptions,
    ) -> Result<PathBuf, StorageError> {
        let name = snapshot_name(tree.last_processed_zxid(), compression);
        let path = self.dir.join(&name);
        match compression {
            // Uncompressed (the default): streamed into the file in chunks and paced
            // (PacedWriter): flushing tens of MB at once would queue ahead of the txn log's
            // fsyncs on the same disk, which clients would see as a latency spike.
            SnapshotCompression::None => write_atomic_with(&self.fs, &path, |f| {
                let mut file = PacedWriter::new(f);
                let mut sink = |chunk: &[u8]| file.write(chunk);
                SnapshotWriter::serialize_to(tree, sessions, opts, &mut sink).map(drop)
            })?,
            c => {
                let raw = SnapshotWriter::serialize(tree, sessions, opts);
                write_atomic(&self.fs, &path, &c.compress(&raw))?;
            }
        }
        Ok(path)
    }
}

/// Writes a whole file through `<path>.tmp`, fsync, rename, directory fsync.
pub(crate) fn write_atomic<F: Fs>(fs: &F, path: &Path, bytes: &[u8]) -> Result<(), StorageError> {
    write_atomic_with(fs, path, |f| f.write_all_at(0, bytes))
}

/// [`write_atomic`] with the content written by `write` into the open `.tmp` file.
pub(crate) fn write_atomic_with<F: Fs>(
    fs: &F,
    path: &Path,
    write: impl FnOnce(&mut F::File) -> std::io::Result<()>,
) -> Result<(), StorageError> {
    let mut tmp_name = path.as_os_str().to_owned();
    tmp_name.push(TMP_EXTENSION);
    let tmp = PathBuf::from(tmp_name);
    let result = (|| {
        let mut f = fs.create(&tmp).map_err(StorageError::io("create", &tmp))?;
        write(&mut f).map_err(StorageError::io("write", &tmp))?;
        f.sync_data().map_err(StorageError::io("fsync", &tmp))?;
        drop(f);
        fs.rename(&tmp, path)
            .map_err(StorageError::io("rename", &tmp))?;
        if let Some(dir) = path.parent() {
            fs.sync_dir(dir)
                .map_err(StorageError::io("sync directory", dir))?;
        }
        Ok(())
    })();
    if result.is_err() && fs.exists(&tmp) {
        let _ = fs.remove_file(&tmp);
    }
    result
}
