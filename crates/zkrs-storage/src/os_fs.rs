//! [`OsFs`]: [`Fs`] over `std::fs`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;

use crate::fs::{nonzero_len, Fs, FsFile};

/// The real filesystem.
#[derive(Debug, Clone, Copy, Default)]
pub struct OsFs;

/// A file of [`OsFs`] opened for writing.
#[derive(Debug)]
pub struct OsFile {
    file: File,
}

impl Fs for OsFs {
    type File = OsFile;

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    fn exists(&self, path: &Path) -> bool {
        path.exists()
    }

    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(dir)? {
            if let Ok(name) = entry?.file_name().into_string() {
                out.push(name);
            }
        }
        Ok(out)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }

    /// Reads through a 256 KiB buffer and keeps only what precedes the last non-zero byte (plus
    /// `keep_zeros`), so a preallocated 64 MiB log with a few records costs no 64 MiB buffer.
    fn read_trimmed(&self, path: &Path, keep_zeros: usize) -> io::Result<Vec<u8>> {
        const CHUNK: usize = 256 * 1024;
        let mut f = File::open(path)?;
        let mut buf = vec![0u8; CHUNK];
        let mut out = Vec::new();
        // Zero bytes read after the last non-zero byte so far, not yet in `out`.
        let mut zeros = 0usize;
        loop {
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            let chunk = &buf[..n];
            let nz = nonzero_len(chunk);
            if nz == 0 {
                zeros += n;
                continue;
            }
            out.resize(out.len() + zeros, 0);
            out.extend_from_slice(&chunk[..nz]);
            zeros = n - nz;
        }
        out.resize(out.len() + zeros.min(keep_zeros), 0);
        Ok(out)
    }

    fn read_at(&self, path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let mut f = File::open(path)?;
        f.seek(SeekFrom::Start(offset))?;
        let mut out = Vec::with_capacity(len.min(1 << 20));
        f.take(len as u64).read_to_end(&mut out)?;
        Ok(out)
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        Ok(fs::metadata(path)?.len())
    }

    fn create(&self, path: &Path) -> io::Result<OsFile> {
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        Ok(OsFile { file })
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let f = OpenOptions::new().write(true).open(path)?;
        f.set_len(len)?;
        f.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    #[cfg(unix)]
    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    #[cfg(not(unix))]
    fn sync_dir(&self, _dir: &Path) -> io::Result<()> {
        // Directories cannot be opened for syncing here; renames are durable on their own.
        Ok(())
    }
}

impl FsFile for OsFile {
    #[cfg(unix)]
    fn write_all_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        // pwrite: one syscall, not lseek + write (a lone txn's append is on the path of its
        // reply).
        std::os::unix::fs::FileExt::write_all_at(&self.file, buf, offset)
    }

    #[cfg(not(unix))]
    fn write_all_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        self.file.seek(SeekFrom::Start(offset))?;
        io::Write::write_all(&mut self.file, buf)
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        self.file.sync_data()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes land at their offsets whatever order they come in (a gap reads as zeros), and
    /// the length follows the furthest write or `set_len`.
    #[test]
    fn writes_land_at_their_offsets() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("f");
        let mut f = OsFs.create(&path).expect("create");
        f.write_all_at(8, b"world").expect("write at 8");
        f.write_all_at(0, b"hello").expect("write at 0");
        f.write_all_at(2, b"LL").expect("overwrite at 2");
        f.sync_data().expect("sync");
        assert_eq!(OsFs.read(&path).expect("read"), b"heLLo\0\0\0world");
        f.set_len(16).expect("set_len");
        f.write_all_at(13, b"!").expect("write at 13");
        assert_eq!(OsFs.read(&path).expect("read"), b"heLLo\0\0\0world!\0\0");
    }
}
