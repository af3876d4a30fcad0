//! [`MemFs`]: an in-memory [`Fs`] with a simple crash model, for tests and the simulator.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::fs::{Fs, FsFile};

/// An in-memory filesystem shared by its clones.
///
/// Crash model ([`MemFs::crash`]): file data written since the file's last `sync_data` (or
/// [`Fs::truncate`]) is lost; a file never synced comes back empty. Directory operations
/// (create, rename, delete) are durable at once. That is enough to check persist-before-ack:
/// what a log flush with fsync returned is still there after a crash, what was only appended
/// is not.
#[derive(Debug, Clone, Default)]
pub struct MemFs {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    dirs: BTreeSet<PathBuf>,
    files: BTreeMap<PathBuf, Node>,
}

#[derive(Debug, Default)]
struct Node {
    data: Vec<u8>,
    durable: Vec<u8>,
}

/// A file of [`MemFs`] opened for writing.
#[derive(Debug)]
pub struct MemFile {
    fs: MemFs,
    path: PathBuf,
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", path.display()),
    )
}

impl MemFs {
    /// An empty filesystem.
    pub fn new() -> MemFs {
        MemFs::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Simulates a power loss: every file goes back to its last synced content.
    pub fn crash(&self) {
        let mut s = self.state();
        for node in s.files.values_mut() {
            node.data = node.durable.clone();
        }
    }

    /// Replaces a file's content (durably), creating it and its directories if needed.
    pub fn put(&self, path: &Path, data: &[u8]) {
        let mut s = self.state();
        let mut dir = path.parent();
        while let Some(d) = dir {
            if d.as_os_str().is_empty() {
                break;
            }
            s.dirs.insert(d.to_path_buf());
            dir = d.parent();
        }
        s.files.insert(
            path.to_path_buf(),
            Node {
                data: data.to_vec(),
                durable: data.to_vec(),
            },
        );
    }
}

impl Fs for MemFs {
    type File = MemFile;

    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut s = self.state();
        let mut d = Some(dir);
        while let Some(p) = d {
            if p.as_os_str().is_empty() {
                break;
            }
            if s.files.contains_key(p) {
                return Err(io::Error::new(
                    io::ErrorKind::AlreadyExists,
                    format!("{} is a file", p.display()),
                ));
            }
            s.dirs.insert(p.to_path_buf());
            d = p.parent();
        }
        Ok(())
    }

    fn exists(&self, path: &Path) -> bool {
        let s = self.state();
        s.files.contains_key(path) || s.dirs.contains(path)
    }

    fn is_dir(&self, path: &Path) -> bool {
        self.state().dirs.contains(path)
    }

    fn list_dir(&self, dir: &Path) -> io::Result<Vec<String>> {
        let s = self.state();
        if !s.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        let mut out = Vec::new();
        let children = s
            .files
            .keys()
            .chain(s.dirs.iter())
            .filter(|p| p.parent() == Some(dir));
        for p in children {
            if let Some(name) = p.file_name().and_then(|n| n.to_str()) {
                out.push(name.to_owned());
            }
        }
        Ok(out)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let s = self.state();
        s.files
            .get(path)
            .map(|n| n.data.clone())
            .ok_or_else(|| not_found(path))
    }

    fn read_at(&self, path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let s = self.state();
        let node = s.files.get(path).ok_or_else(|| not_found(path))?;
        let start = usize::try_from(offset)
            .unwrap_or(usize::MAX)
            .min(node.data.len());
        let end = start.saturating_add(len).min(node.data.len());
        Ok(node.data[start..end].to_vec())
    }

    fn file_len(&self, path: &Path) -> io::Result<u64> {
        let s = self.state();
        s.files
            .get(path)
            .map(|n| n.data.len() as u64)
            .ok_or_else(|| not_found(path))
    }

    fn create(&self, path: &Path) -> io::Result<MemFile> {
        let mut s = self.state();
        match path.parent() {
            Some(d) if !d.as_os_str().is_empty() && !s.dirs.contains(d) => {
                return Err(not_found(d));
            }
            _ => {}
        }
        s.files.entry(path.to_path_buf()).or_default().data.clear();
        Ok(MemFile {
            fs: self.clone(),
            path: path.to_path_buf(),
        })
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let mut s = self.state();
        let node = s.files.get_mut(path).ok_or_else(|| not_found(path))?;
        node.data
            .resize(usize::try_from(len).unwrap_or(usize::MAX), 0);
        node.durable = node.data.clone();
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut s = self.state();
        let node = s.files.remove(from).ok_or_else(|| not_found(from))?;
        s.files.insert(to.to_path_buf(), node);
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut s = self.state();
        s.files
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        if self.state().dirs.contains(dir) {
            Ok(())
        } else {
            Err(not_found(dir))
        }
    }
}

impl FsFile for MemFile {
    fn write_all_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        let mut s = self.fs.state();
        let node = s
            .files
            .get_mut(&self.path)
            .ok_or_else(|| not_found(&self.path))?;
        let start = usize::try_from(offset)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "offset too large"))?;
        let end = start + buf.len();
        if node.data.len() < end {
            node.data.resize(end, 0);
        }
        node.data[start..end].copy_from_slice(buf);
        Ok(())
    }

    fn set_len(&mut self, len: u64) -> io::Result<()> {
        let mut s = self.fs.state();
        let node = s
            .files
            .get_mut(&self.path)
            .ok_or_else(|| not_found(&self.path))?;
        let len = usize::try_from(len)
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "length too large"))?;
        node.data.resize(len, 0);
        Ok(())
    }

    fn sync_data(&mut self) -> io::Result<()> {
        let mut s = self.fs.state();
        let node = s
            .files
            .get_mut(&self.path)
            .ok_or_else(|| not_found(&self.path))?;
        node.durable = node.data.clone();
        Ok(())
    }
}
