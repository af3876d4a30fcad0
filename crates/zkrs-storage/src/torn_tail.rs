//! [`TornTail`]: the end of a txn log that a crash cut short.

use std::fmt;
use std::path::PathBuf;

use crate::log_record::RecordDamage;

/// The txn log ends with bytes that are not intact records and **no intact record follows
/// them** — the signature of a write that was in flight when the server stopped (and so was
/// never acknowledged). Recovery reports it and cuts it away: the file is truncated at `offset`
/// (deleted when `offset` is within its header) and `later_files` are deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornTail {
    /// The log file where the intact records end.
    pub file: PathBuf,
    /// Where they end: the truncation point.
    pub offset: u64,
    /// What was found there (for non-zero bytes after a clean end marker: `None`).
    pub damage: Option<RecordDamage>,
    /// The zxid of the last intact record before the cut, if any was read.
    pub last_good_zxid: Option<i64>,
    /// Log files after `file` (they hold no intact record) that the cut removes.
    pub later_files: Vec<PathBuf>,
}

impl TornTail {
    /// Whether the cut removes the whole file (the damage is inside its header).
    pub fn removes_whole_file(&self) -> bool {
        self.offset < crate::log_record::FILE_HEADER_LEN as u64
    }
}

impl fmt::Display for TornTail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "torn txn log tail in {} at offset {}",
            self.file.display(),
            self.offset
        )?;
        match &self.damage {
            Some(d) => write!(f, " ({d})")?,
            None => write!(f, " (non-zero bytes after the end marker)")?,
        }
        match self.last_good_zxid {
            Some(z) => write!(f, "; last good zxid {z:#x}")?,
            None => write!(f, "; no intact txn before it")?,
        }
        if !self.later_files.is_empty() {
            write!(
                f,
                "; {} later file(s) without intact txns",
                self.later_files.len()
            )?;
        }
        Ok(())
    }
}
