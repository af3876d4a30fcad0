//! [`Fs`]: the only door to the filesystem.
//!
//! Everything in this crate that touches a file goes through this trait, so that a deterministic
//! simulator (or a test) can swap the real filesystem ([`crate::OsFs`]) for an in-memory one
//! ([`crate::MemFs`]) that can also lose unsynced data on a simulated crash. The trait is small on
//! purpose: whole-file reads, positional writes, length changes, renames, deletions and the two
//! kinds of sync that durability needs (file data and directory entries).

use std::io;
use std::path::Path;

/// A filesystem as this crate needs it.
pub trait Fs: Clone {
    /// A file opened for writing.
    type File: FsFile;

    /// `mkdir -p`.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;

    /// Whether `path` exists (file or directory).
    fn exists(&self, path: &Path) -> bool;

    /// Whether `path` is a directory.
    fn is_dir(&self, path: &Path) -> bool;

    /// The names of the entries of `dir` (files and directories, any order). Names that are not
    /// valid UTF-8 are skipped: no ZooKeeper file has one.
    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>>;

    /// The whole content of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// The content of a file up to its last non-zero byte, followed by at most `keep_zeros` of
    /// the zero bytes after it (all of them when there are fewer).
    ///
    /// Txn logs are preallocated with zeros (64 MiB at a time) and their readers only need the
    /// records plus a bounded stretch of the padding (see `LogFileScan`); this spares them a
    /// whole-file buffer. Every byte is still looked at: a non-zero byte anywhere, however far
    /// into the padding, ends up in the result with everything before it.
    fn read_trimmed(&self, path: &Path, keep_zeros: usize) -> io::Result<Vec<u8>> {
        let mut bytes = self.read(path)?;
        let end = nonzero_len(&bytes);
        let keep = (bytes.len() - end).min(keep_zeros);
        bytes.truncate(end + keep);
        Ok(bytes)
    }

    /// Up to `len` bytes starting at `offset` (fewer at the end of the file).
    fn read_at(&self, path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>>;

    /// The length of a file.
    fn file_len(&self, path: &Path) -> io::Result<u64>;

    /// Creates a file for writing, truncating it if it exists (`new FileOutputStream(f)`).
    fn create(&self, path: &Path) -> io::Result<Self::File>;

    /// Cuts (or extends with zeros) a closed file to `len` bytes and syncs it.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;

    /// Renames a file, replacing `to` if it exists.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;

    /// Deletes a file.
    fn remove_file(&self, path: &Path) -> io::Result<()>;

    /// Makes the directory's entries (creations, renames, deletions) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
}

/// A file opened for writing by [`Fs::create`].
pub trait FsFile {
    /// Writes all of `buf` at `offset`, extending the file if needed.
    fn write_all_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()>;

    /// Sets the file's length (extending with zeros), as preallocation does.
    fn set_len(&mut self, len: u64) -> io::Result<()>;

    /// Makes the data written so far durable (`FileChannel.force(false)`, fdatasync).
    fn sync_data(&mut self) -> io::Result<()>;
}

/// The length of `bytes` without its trailing zero bytes. Compares 4 KiB blocks with a zeroed
/// block (a `memcmp`), so a long run of padding costs little.
pub(crate) fn nonzero_len(bytes: &[u8]) -> usize {
    const BLOCK: usize = 4096;
    static ZEROS: [u8; BLOCK] = [0; BLOCK];
    let mut end = bytes.len();
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let block = &bytes[start..end];
        if block != &ZEROS[..block.len()] {
            return block
                .iter()
                .rposition(|&b| b != 0)
                .map_or(start, |i| start + i + 1);
        }
        end = start;
    }
    0
}

#[cfg(test)]
mod tests {
    use super::nonzero_len;

    #[test]
    fn nonzero_len_finds_the_last_non_zero_byte() {
        assert_eq!(nonzero_len(&[]), 0);
        assert_eq!(nonzero_len(&[0; 10_000]), 0);
        for n in [1usize, 4095, 4096, 4097, 9000] {
            for at in [0, n / 2, n - 1] {
                let mut b = vec![0u8; n + 5000];
                b[at] = 7;
                assert_eq!(nonzero_len(&b), at + 1, "n={n} at={at}");
                b.truncate(at + 1);
                assert_eq!(nonzero_len(&b), at + 1);
            }
        }
    }
}
