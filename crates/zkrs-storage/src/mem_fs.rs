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
///
/// Fault injection, for scenario tests (catalogue 25–29): [`MemFs::fail_next`] makes the next
/// operations of one kind on matching paths fail with an I/O error (`eio`);
/// [`MemFs::lose_next_rename`] makes the next matching rename not durable: the next
/// [`MemFs::crash`] undoes it (`norename`); [`MemFs::cut_power_after`] lets a number of
/// mutations through and fails every later one until the crash (a crash point).
#[derive(Debug, Clone, Default)]
pub struct MemFs {
    inner: Arc<Mutex<State>>,
}

#[derive(Debug, Default)]
struct State {
    dirs: BTreeSet<PathBuf>,
    files: BTreeMap<PathBuf, Node>,
    faults: Vec<Fault>,
    /// The next rename whose source or target path contains this is not durable.
    lose_rename: Option<String>,
    lost_renames: Vec<LostRename>,
    /// Mutations fail once `mutations` reaches this, until the next crash.
    power_cut_at: Option<u64>,
    mutations: u64,
    injected_errors: u64,
    /// Successful mutations, when recording (`record_ops`).
    ops: Option<Vec<(FsOp, PathBuf)>>,
}

/// A kind of mutating filesystem operation, for fault injection ([`MemFs::fail_next`]) and
/// the operation journal ([`MemFs::record_ops`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FsOp {
    /// `create_dir_all`.
    CreateDir,
    /// `create` (a new or truncated file).
    Create,
    /// `write_all_at`.
    Write,
    /// `set_len` (preallocation).
    SetLen,
    /// `sync_data` (fsync).
    Sync,
    /// `truncate` of a closed file.
    Truncate,
    /// `rename` (matched and journaled by its target path).
    Rename,
    /// `remove_file`.
    Remove,
    /// `sync_dir`.
    SyncDir,
}

/// The next `remaining` operations `op` on a path containing `pattern` fail.
#[derive(Debug)]
struct Fault {
    op: FsOp,
    pattern: String,
    remaining: u32,
}

/// A rename that the next crash undoes: `to` held `replaced` before it.
#[derive(Debug)]
struct LostRename {
    from: PathBuf,
    to: PathBuf,
    replaced: Option<Node>,
}

impl State {
    /// Whether a mutation `op` of `path` may happen now; counts it (and journals it) if so.
    fn admit(&mut self, op: FsOp, path: &Path) -> io::Result<()> {
        if self.power_cut_at.is_some_and(|at| self.mutations >= at) {
            self.injected_errors += 1;
            return Err(injected(op, path, "the power is cut"));
        }
        let name = path.to_string_lossy();
        if let Some(f) = self
            .faults
            .iter_mut()
            .find(|f| f.op == op && f.remaining > 0 && name.contains(f.pattern.as_str()))
        {
            f.remaining -= 1;
            self.injected_errors += 1;
            return Err(injected(op, path, "injected fault"));
        }
        self.faults.retain(|f| f.remaining > 0);
        self.mutations += 1;
        if let Some(ops) = self.ops.as_mut() {
            ops.push((op, path.to_path_buf()));
        }
        Ok(())
    }

    /// A later directory operation on either path of a lost rename makes it moot.
    fn settle_renames(&mut self, path: &Path) {
        self.lost_renames
            .retain(|r| r.from.as_path() != path && r.to.as_path() != path);
    }
}

fn injected(op: FsOp, path: &Path, why: &str) -> io::Error {
    io::Error::other(format!(
        "{}: {op:?}: input/output error ({why})",
        path.display()
    ))
}

#[derive(Debug, Default, Clone)]
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

    /// Simulates a power loss: renames made not durable by [`MemFs::lose_next_rename`] are
    /// undone, then every file goes back to its last synced content. A power cut
    /// ([`MemFs::cut_power_after`]) ends.
    pub fn crash(&self) {
        let mut s = self.state();
        while let Some(r) = s.lost_renames.pop() {
            if let Some(node) = s.files.remove(&r.to) {
                s.files.insert(r.from, node);
            }
            if let Some(old) = r.replaced {
                s.files.insert(r.to, old);
            }
        }
        for node in s.files.values_mut() {
            node.data = node.durable.clone();
        }
        s.power_cut_at = None;
    }

    /// The next `n` operations `op` on a path containing `pattern` fail with an I/O error
    /// (and change nothing), as a disk error (`eio`) would.
    pub fn fail_next(&self, op: FsOp, pattern: &str, n: u32) {
        if n > 0 {
            self.state().faults.push(Fault {
                op,
                pattern: pattern.to_owned(),
                remaining: n,
            });
        }
    }

    /// The next rename whose source or target path contains `pattern` succeeds but is not
    /// durable, even after `sync_dir` (`norename`: the power went before the directory entry
    /// reached the disk): the next [`MemFs::crash`] puts the file back under its old name
    /// and restores what the target held. A later create, rename or deletion of either path
    /// makes it durable.
    pub fn lose_next_rename(&self, pattern: &str) {
        self.state().lose_rename = Some(pattern.to_owned());
    }

    /// Lets `n` more mutations through, then fails every mutation with an I/O error until
    /// the next [`MemFs::crash`]: a power loss right after the `n`-th (with the crash, what
    /// was not synced is lost too).
    pub fn cut_power_after(&self, n: u64) {
        let mut s = self.state();
        s.power_cut_at = Some(s.mutations + n);
    }

    /// Removes the pending faults, the pending lost rename and the power cut (renames
    /// already lost stay lost until the next crash).
    pub fn clear_faults(&self) {
        let mut s = self.state();
        s.faults.clear();
        s.lose_rename = None;
        s.power_cut_at = None;
    }

    /// How many operations failed because of an injected fault or a power cut.
    pub fn injected_errors(&self) -> u64 {
        self.state().injected_errors
    }

    /// How many mutations succeeded so far.
    pub fn mutations(&self) -> u64 {
        self.state().mutations
    }

    /// Starts (or stops) recording every successful mutation for [`MemFs::ops`].
    pub fn record_ops(&self, on: bool) {
        self.state().ops = on.then(Vec::new);
    }

    /// The mutations recorded since [`MemFs::record_ops`].
    pub fn ops(&self) -> Vec<(FsOp, PathBuf)> {
        self.state().ops.clone().unwrap_or_default()
    }

    /// Whether the file's content is all durable (false if it does not exist).
    pub fn is_durable(&self, path: &Path) -> bool {
        self.state()
            .files
            .get(path)
            .is_some_and(|n| n.data == n.durable)
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
        if !s.dirs.contains(dir) {
            s.admit(FsOp::CreateDir, dir)?;
        }
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
        s.admit(FsOp::Create, path)?;
        s.settle_renames(path);
        s.files.entry(path.to_path_buf()).or_default().data.clear();
        Ok(MemFile {
            fs: self.clone(),
            path: path.to_path_buf(),
        })
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let mut s = self.state();
        if !s.files.contains_key(path) {
            return Err(not_found(path));
        }
        s.admit(FsOp::Truncate, path)?;
        let node = s.files.get_mut(path).ok_or_else(|| not_found(path))?;
        node.data
            .resize(usize::try_from(len).unwrap_or(usize::MAX), 0);
        node.durable = node.data.clone();
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut s = self.state();
        if !s.files.contains_key(from) {
            return Err(not_found(from));
        }
        s.admit(FsOp::Rename, to)?;
        s.settle_renames(from);
        s.settle_renames(to);
        let node = s.files.remove(from).ok_or_else(|| not_found(from))?;
        let lose = s.lose_rename.as_deref().is_some_and(|p| {
            from.to_string_lossy().contains(p) || to.to_string_lossy().contains(p)
        });
        let replaced = s.files.insert(to.to_path_buf(), node);
        if lose {
            s.lose_rename = None;
            s.lost_renames.push(LostRename {
                from: from.to_path_buf(),
                to: to.to_path_buf(),
                replaced,
            });
        }
        Ok(())
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        let mut s = self.state();
        if !s.files.contains_key(path) {
            return Err(not_found(path));
        }
        s.admit(FsOp::Remove, path)?;
        s.settle_renames(path);
        s.files
            .remove(path)
            .map(|_| ())
            .ok_or_else(|| not_found(path))
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut s = self.state();
        if s.dirs.contains(dir) {
            s.admit(FsOp::SyncDir, dir)
        } else {
            Err(not_found(dir))
        }
    }
}

impl FsFile for MemFile {
    fn write_all_at(&mut self, offset: u64, buf: &[u8]) -> io::Result<()> {
        let mut s = self.fs.state();
        if !s.files.contains_key(&self.path) {
            return Err(not_found(&self.path));
        }
        s.admit(FsOp::Write, &self.path)?;
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
        if !s.files.contains_key(&self.path) {
            return Err(not_found(&self.path));
        }
        s.admit(FsOp::SetLen, &self.path)?;
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
        if !s.files.contains_key(&self.path) {
            return Err(not_found(&self.path));
        }
        s.admit(FsOp::Sync, &self.path)?;
        let node = s
            .files
            .get_mut(&self.path)
            .ok_or_else(|| not_found(&self.path))?;
        node.durable = node.data.clone();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fs_with_dir() -> MemFs {
        let fs = MemFs::new();
        fs.create_dir_all(Path::new("/d")).unwrap();
        fs
    }

    #[test]
    fn fail_next_fails_matching_ops_only_n_times() {
        let fs = fs_with_dir();
        fs.fail_next(FsOp::Write, "log.", 2);
        let mut log = fs.create(Path::new("/d/log.1")).unwrap();
        let mut other = fs.create(Path::new("/d/snapshot.1")).unwrap();
        other.write_all_at(0, b"s").unwrap();
        assert!(log.write_all_at(0, b"a").is_err());
        assert!(log.write_all_at(0, b"a").is_err());
        assert_eq!(fs.read(Path::new("/d/log.1")).unwrap(), b"");
        log.write_all_at(0, b"b").unwrap();
        assert_eq!(fs.read(Path::new("/d/log.1")).unwrap(), b"b");
        assert_eq!(fs.injected_errors(), 2);
        fs.fail_next(FsOp::Sync, "log.", 1);
        assert!(log.sync_data().is_err());
        fs.crash();
        assert_eq!(
            fs.read(Path::new("/d/log.1")).unwrap(),
            b"",
            "the failed fsync synced nothing"
        );
        fs.fail_next(FsOp::Rename, "x", 1);
        fs.clear_faults();
        fs.rename(Path::new("/d/log.1"), Path::new("/d/x")).unwrap();
    }

    #[test]
    fn a_lost_rename_is_undone_by_the_crash() {
        let fs = fs_with_dir();
        fs.put(Path::new("/d/currentEpoch"), b"1");
        let mut tmp = fs.create(Path::new("/d/currentEpoch.tmp")).unwrap();
        tmp.write_all_at(0, b"2").unwrap();
        tmp.sync_data().unwrap();
        fs.lose_next_rename("currentEpoch");
        fs.rename(
            Path::new("/d/currentEpoch.tmp"),
            Path::new("/d/currentEpoch"),
        )
        .unwrap();
        fs.sync_dir(Path::new("/d")).unwrap();
        assert_eq!(fs.read(Path::new("/d/currentEpoch")).unwrap(), b"2");
        assert!(!fs.exists(Path::new("/d/currentEpoch.tmp")));
        fs.crash();
        assert_eq!(fs.read(Path::new("/d/currentEpoch")).unwrap(), b"1");
        assert_eq!(fs.read(Path::new("/d/currentEpoch.tmp")).unwrap(), b"2");
        // Only the next rename: the following one is durable.
        fs.rename(
            Path::new("/d/currentEpoch.tmp"),
            Path::new("/d/currentEpoch"),
        )
        .unwrap();
        fs.crash();
        assert_eq!(fs.read(Path::new("/d/currentEpoch")).unwrap(), b"2");
        // A lost rename onto a new name: the target disappears again.
        fs.put(Path::new("/d/a.tmp"), b"a");
        fs.lose_next_rename("a.tmp");
        fs.rename(Path::new("/d/a.tmp"), Path::new("/d/a")).unwrap();
        fs.crash();
        assert!(!fs.exists(Path::new("/d/a")));
        assert_eq!(fs.read(Path::new("/d/a.tmp")).unwrap(), b"a");
    }

    #[test]
    fn a_power_cut_fails_every_later_mutation_until_the_crash() {
        let fs = fs_with_dir();
        fs.record_ops(true);
        let before = fs.mutations();
        fs.cut_power_after(2);
        let mut f = fs.create(Path::new("/d/f")).unwrap();
        f.write_all_at(0, b"x").unwrap();
        assert!(f.sync_data().is_err());
        assert!(fs.remove_file(Path::new("/d/f")).is_err());
        assert!(fs.sync_dir(Path::new("/d")).is_err());
        assert_eq!(fs.mutations(), before + 2);
        assert_eq!(
            fs.ops(),
            vec![
                (FsOp::Create, PathBuf::from("/d/f")),
                (FsOp::Write, PathBuf::from("/d/f"))
            ]
        );
        fs.crash();
        assert_eq!(fs.read(Path::new("/d/f")).unwrap(), b"");
        assert!(fs.is_durable(Path::new("/d/f")));
        f.write_all_at(0, b"y").unwrap();
        assert!(!fs.is_durable(Path::new("/d/f")));
        f.sync_data().unwrap();
        assert!(fs.is_durable(Path::new("/d/f")));
    }
}
