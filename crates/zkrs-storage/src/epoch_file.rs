//! The epoch files `acceptedEpoch` and `currentEpoch` (`QuorumPeer.readLongFromFile` /
//! `writeLongToFile`): the epoch as ASCII decimal, no newline, in the snapshot directory.

use std::path::Path;

use crate::error::StorageError;
use crate::file_snap::write_atomic;
use crate::fs::Fs;

/// Reads an epoch file: `None` if it does not exist. Like `readLongFromFile`, only the first
/// line counts and it must be a Java `long` (`Long.parseLong`: optional sign, no spaces).
pub fn read_epoch<F: Fs>(fs: &F, path: &Path) -> Result<Option<i64>, StorageError> {
    if !fs.exists(path) {
        return Ok(None);
    }
    let bytes = fs.read(path).map_err(StorageError::io("read", path))?;
    let text = String::from_utf8_lossy(&bytes);
    let line = text.split(['\n', '\r']).next().unwrap_or_default();
    match line.parse::<i64>() {
        Ok(v) => Ok(Some(v)),
        Err(_) => Err(StorageError::BadEpochFile {
            path: path.to_path_buf(),
            content: line.to_owned(),
        }),
    }
}

/// Writes an epoch file atomically (`AtomicFileWritingIdiom`: `<name>.tmp`, fsync, rename) and
/// fsyncs the directory.
pub fn write_epoch<F: Fs>(fs: &F, path: &Path, epoch: i64) -> Result<(), StorageError> {
    write_atomic(fs, path, epoch.to_string().as_bytes())
}
