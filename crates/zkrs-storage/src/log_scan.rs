//! [`LogFileScan`]: the sans-IO reading of one txn log file's bytes.
//!
//! The scan walks the records from the 16-byte header, verifying each one's length, end byte and
//! checksum, and stops at the first thing that is not an intact record: the zero-length end
//! marker (the preallocated padding), the physical end of the file, or damage. It then looks past
//! that point for two facts the recovery rules need:
//!
//! - **dirt**: non-zero bytes after the end (a torn write leaves some; clean padding has none);
//! - **an intact record** after the end: a position where a length, 'B' end byte and matching
//!   Adler32 line up. If one exists, the damage is in the *middle* of the log, and skipping it
//!   could lose a txn that was acknowledged; the reader refuses instead of guessing.

use zkrs_jute::{FileHeader, Jute};

use crate::log_record::{
    checksum, header_zxid, RecordDamage, END_OF_RECORD, FILE_HEADER_LEN, RECORD_OVERHEAD,
};

/// `jute.maxbuffer` (0xfffff) + `zookeeper.jute.maxbuffer.extrasize` (1024): the largest txn
/// `BinaryInputArchive.readBuffer` accepts by default.
pub const DEFAULT_MAX_RECORD_LEN: usize = 0xfffff + 1024;

/// How many of a log file's trailing zero bytes [`LogFileScan::scan`] needs to see to give the
/// same result as on the whole file: enough for any record that starts before the last non-zero
/// byte to be read in full (a record ends with a non-zero `'B'`, so every intact record lies
/// before that byte; a zero run holds no record). See [`read_log_file`].
pub fn scan_padding(max_record_len: usize) -> usize {
    max_record_len
        .saturating_add(RECORD_OVERHEAD)
        .saturating_add(FILE_HEADER_LEN)
}

/// Reads a log file for [`LogFileScan::scan`] without its preallocated zeros beyond
/// [`scan_padding`] (`Fs::read_trimmed`): the scan of the result is the scan of the whole file
/// (same records, end, dirt and intact record after the end), at the cost of the records, not
/// of the 64 MiB preallocation.
pub fn read_log_file<F: crate::fs::Fs>(
    fs: &F,
    path: &std::path::Path,
    max_record_len: usize,
) -> std::io::Result<Vec<u8>> {
    fs.read_trimmed(path, scan_padding(max_record_len))
}

/// One intact record in a log file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordSpan {
    /// Offset of the record (its checksum) in the file.
    pub offset: u64,
    /// Length of the txn bytes.
    pub len: u32,
    /// The zxid in its `TxnHeader`, if the txn bytes are long enough to hold one.
    pub zxid: Option<i64>,
}

impl RecordSpan {
    /// The txn bytes' range in the file.
    pub fn txn_range(&self) -> std::ops::Range<usize> {
        let start = self.offset as usize + 12;
        start..start + self.len as usize
    }

    /// Offset just past the record.
    pub fn end(&self) -> u64 {
        self.offset + u64::from(self.len) + RECORD_OVERHEAD as u64
    }
}

/// Where and how the intact records of a file end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogEnd {
    /// The zero-length entry at `offset` (ZooKeeper's end of log).
    EndMarker { offset: u64 },
    /// The file ends at `offset`, right after a record.
    EndOfFile { offset: u64 },
    /// Not an intact record at `offset`.
    Damaged { offset: u64, damage: RecordDamage },
}

impl LogEnd {
    /// The offset where the valid data ends (the truncation point).
    pub fn offset(&self) -> u64 {
        match *self {
            LogEnd::EndMarker { offset }
            | LogEnd::EndOfFile { offset }
            | LogEnd::Damaged { offset, .. } => offset,
        }
    }
}

/// The result of scanning one log file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogFileScan {
    /// The file header, when the file has a valid one.
    pub header: Option<FileHeader>,
    /// The intact records, in file order.
    pub records: Vec<RecordSpan>,
    /// How they end.
    pub end: LogEnd,
    /// Whether any byte after the end is non-zero (for damage: always).
    pub dirty_after_end: bool,
    /// The offset of the first intact record found after the end, if any.
    pub intact_after_end: Option<u64>,
}

impl LogFileScan {
    /// Scans a whole log file. `max_record_len` bounds a record's txn bytes.
    pub fn scan(bytes: &[u8], max_record_len: usize) -> LogFileScan {
        let n = bytes.len();
        if n < FILE_HEADER_LEN {
            return Self::headerless(
                bytes,
                RecordDamage::HeaderTruncated { len: n as u64 },
                max_record_len,
            );
        }
        let header = match FileHeader::from_bytes(&bytes[..FILE_HEADER_LEN]) {
            Ok(h) if h.magic == FileHeader::TXNLOG_MAGIC => h,
            Ok(h) => {
                return Self::headerless(
                    bytes,
                    RecordDamage::BadMagic { magic: h.magic },
                    max_record_len,
                )
            }
            Err(_) => {
                return Self::headerless(
                    bytes,
                    RecordDamage::HeaderTruncated { len: n as u64 },
                    max_record_len,
                )
            }
        };
        let mut records = Vec::new();
        let mut pos = FILE_HEADER_LEN;
        let end = loop {
            if pos == n {
                break LogEnd::EndOfFile { offset: pos as u64 };
            }
            let rest = &bytes[pos..];
            if rest.len() < 12 {
                // Even all-zero: no writer leaves a stub shorter than a record header (padding
                // is at least 4 KiB, an unpadded file ends at a record boundary).
                break LogEnd::Damaged {
                    offset: pos as u64,
                    damage: RecordDamage::Truncated {
                        needed: 12,
                        available: rest.len() as u64,
                    },
                };
            }
            match check_record(rest, max_record_len) {
                Ok(span_len) => {
                    let txn = &rest[12..12 + span_len];
                    records.push(RecordSpan {
                        offset: pos as u64,
                        len: span_len as u32,
                        zxid: header_zxid(txn),
                    });
                    pos += span_len + RECORD_OVERHEAD;
                }
                Err(Stop::EndMarker) => break LogEnd::EndMarker { offset: pos as u64 },
                Err(Stop::Damaged(damage)) => {
                    break LogEnd::Damaged {
                        offset: pos as u64,
                        damage,
                    }
                }
            }
        };
        let (dirty_from, search_from) = match end {
            LogEnd::EndMarker { offset } => (offset as usize + 12, offset as usize + 12),
            LogEnd::EndOfFile { offset } => (offset as usize, offset as usize),
            LogEnd::Damaged { offset, .. } => (offset as usize, offset as usize + 1),
        };
        let dirty_after_end = matches!(end, LogEnd::Damaged { .. })
            || bytes
                .get(dirty_from..)
                .is_some_and(|r| r.iter().any(|&b| b != 0));
        let intact_after_end = if dirty_after_end {
            find_intact_record(bytes, search_from, max_record_len)
        } else {
            None
        };
        LogFileScan {
            header: Some(header),
            records,
            end,
            dirty_after_end,
            intact_after_end,
        }
    }

    fn headerless(bytes: &[u8], damage: RecordDamage, max_record_len: usize) -> LogFileScan {
        LogFileScan {
            header: None,
            records: Vec::new(),
            end: LogEnd::Damaged { offset: 0, damage },
            dirty_after_end: true,
            intact_after_end: find_intact_record(bytes, 0, max_record_len),
        }
    }

    /// The highest zxid among the intact records.
    pub fn last_zxid(&self) -> Option<i64> {
        self.records.iter().rev().find_map(|r| r.zxid)
    }

    /// Whether the file ends with something other than clean padding: damage, or non-zero bytes
    /// after the end marker.
    pub fn is_torn(&self) -> bool {
        self.dirty_after_end
    }
}

enum Stop {
    EndMarker,
    Damaged(RecordDamage),
}

fn be_i64(b: &[u8]) -> i64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[..8]);
    i64::from_be_bytes(a)
}

fn be_i32(b: &[u8]) -> i32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[..4]);
    i32::from_be_bytes(a)
}

/// Checks the record at the start of `rest` (at least 12 bytes); returns its txn length.
fn check_record(rest: &[u8], max_record_len: usize) -> Result<usize, Stop> {
    let crc = be_i64(&rest[0..8]);
    let len = be_i32(&rest[8..12]);
    if len == 0 {
        return Err(if crc == 0 {
            Stop::EndMarker
        } else {
            Stop::Damaged(RecordDamage::ZeroLengthWithChecksum { stored: crc })
        });
    }
    let Ok(ulen) = usize::try_from(len) else {
        return Err(Stop::Damaged(RecordDamage::BadLength { len }));
    };
    if ulen > max_record_len {
        return Err(Stop::Damaged(RecordDamage::BadLength { len }));
    }
    let needed = ulen + RECORD_OVERHEAD;
    if rest.len() < needed {
        return Err(Stop::Damaged(RecordDamage::Truncated {
            needed: needed as u64,
            available: rest.len() as u64,
        }));
    }
    let eor = rest[12 + ulen];
    if eor != END_OF_RECORD {
        return Err(Stop::Damaged(RecordDamage::MissingEndOfRecord {
            found: eor,
        }));
    }
    let computed = checksum(&rest[12..12 + ulen]);
    if crc != i64::from(computed) {
        return Err(Stop::Damaged(RecordDamage::ChecksumMismatch {
            stored: crc,
            computed,
        }));
    }
    Ok(ulen)
}

/// The first offset at or after `from` where an intact record (length 1..=max, 'B', matching
/// checksum) starts. Runs of zeros are skipped quickly: a record needs a non-zero length.
pub fn find_intact_record(bytes: &[u8], from: usize, max_record_len: usize) -> Option<u64> {
    let n = bytes.len();
    let mut q = from;
    while q + RECORD_OVERHEAD < n {
        if bytes[q + 8..q + 12] == [0, 0, 0, 0] {
            let nz = bytes[q + 8..].iter().position(|&b| b != 0)? + q + 8;
            q = (q + 1).max(nz.saturating_sub(11));
            continue;
        }
        if check_record(&bytes[q..], max_record_len).is_ok() {
            return Some(q as u64);
        }
        q += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::log_record::encode_record;

    fn header() -> Vec<u8> {
        FileHeader {
            magic: FileHeader::TXNLOG_MAGIC,
            version: 2,
            dbid: 0,
        }
        .to_bytes()
    }

    fn txn(zxid: i64, extra: usize) -> Vec<u8> {
        let mut t = vec![0u8; 32 + extra];
        t[12..20].copy_from_slice(&zxid.to_be_bytes());
        t[31] = 1;
        t
    }

    #[test]
    fn clean_file_with_padding() {
        let mut f = header();
        encode_record(&txn(1, 5), &mut f);
        encode_record(&txn(2, 0), &mut f);
        let end = f.len() as u64;
        f.resize(f.len() + 1000, 0);
        let s = LogFileScan::scan(&f, DEFAULT_MAX_RECORD_LEN);
        assert_eq!(s.records.len(), 2);
        assert_eq!(s.records[1].zxid, Some(2));
        assert_eq!(s.end, LogEnd::EndMarker { offset: end });
        assert!(!s.is_torn());
        assert_eq!(s.intact_after_end, None);
    }

    #[test]
    fn damage_then_intact_record_is_detected() {
        let mut f = header();
        encode_record(&txn(1, 0), &mut f);
        let bad = f.len();
        encode_record(&txn(2, 0), &mut f);
        let good = f.len();
        encode_record(&txn(3, 0), &mut f);
        f[bad + 20] ^= 0xff;
        let s = LogFileScan::scan(&f, DEFAULT_MAX_RECORD_LEN);
        assert_eq!(s.records.len(), 1);
        assert!(matches!(
            s.end,
            LogEnd::Damaged {
                damage: RecordDamage::ChecksumMismatch { .. },
                ..
            }
        ));
        assert_eq!(s.intact_after_end, Some(good as u64));
    }
}
