//! One txn log record, `FileTxnLog.append` / `Util.writeTxnBytes`:
//!
//! ```text
//! long   checksum   Adler32 of txnBytes only (not the length, not the 'B')
//! int    len        txnBytes.length (0 = end of log: the zero preallocation)
//! byte[] txnBytes   TxnHeader + body [+ TxnDigest]   (Util.marshallTxnEntry)
//! byte   'B'        end of record
//! ```
//!
//! Also [`RecordDamage`]: why the bytes at some offset are not a complete, intact record.

use std::fmt;

/// The end-of-record byte (`0x42`).
pub const END_OF_RECORD: u8 = b'B';
/// The bytes around the txn bytes: checksum (8), length (4), end byte (1).
pub const RECORD_OVERHEAD: usize = 13;
/// The txn log's `FileHeader` size (magic, version, dbid).
pub const FILE_HEADER_LEN: usize = 16;
/// A `TxnHeader`: clientId(8) cxid(4) zxid(8) time(8) type(4).
pub const TXN_HEADER_LEN: usize = 32;

/// `Adler32` of the txn bytes, as `Checksum.getValue()` returns it.
pub fn checksum(txn_bytes: &[u8]) -> u32 {
    simd_adler32::adler32(&txn_bytes)
}

/// Appends one record for `txn_bytes` to `out`.
pub fn encode_record(txn_bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(txn_bytes.len() + RECORD_OVERHEAD);
    out.extend_from_slice(&i64::from(checksum(txn_bytes)).to_be_bytes());
    out.extend_from_slice(&(txn_bytes.len() as i32).to_be_bytes());
    out.extend_from_slice(txn_bytes);
    out.push(END_OF_RECORD);
}

/// The zxid in the `TxnHeader` at the start of some txn bytes (bytes 12..20), if they are long
/// enough to hold one.
pub fn header_zxid(txn_bytes: &[u8]) -> Option<i64> {
    let b = txn_bytes.get(12..20)?;
    Some(i64::from_be_bytes([
        b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
    ]))
}

/// What is wrong with the bytes where a record should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecordDamage {
    /// The file ends inside the record: `needed` bytes make the whole record (or its 12-byte
    /// checksum and length), `available` remain.
    Truncated { needed: u64, available: u64 },
    /// A length that is negative or above the record limit (`jute.maxbuffer` + 1024).
    BadLength { len: i32 },
    /// The stored checksum does not match the txn bytes.
    ChecksumMismatch { stored: i64, computed: u32 },
    /// The byte after the txn bytes is not `'B'`.
    MissingEndOfRecord { found: u8 },
    /// A zero length (the end-of-log marker) with a non-zero checksum: half of a record header.
    ZeroLengthWithChecksum { stored: i64 },
    /// The file is shorter than its 16-byte header.
    HeaderTruncated { len: u64 },
    /// The file's header is not a txn log header (wrong magic).
    BadMagic { magic: i32 },
}

impl fmt::Display for RecordDamage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            RecordDamage::Truncated { needed, available } => write!(
                f,
                "partial record: {needed} bytes needed, {available} left in the file"
            ),
            RecordDamage::BadLength { len } => write!(f, "unreasonable record length {len}"),
            RecordDamage::ChecksumMismatch { stored, computed } => write!(
                f,
                "checksum mismatch: stored {stored:#x}, computed {computed:#x}"
            ),
            RecordDamage::MissingEndOfRecord { found } => {
                write!(f, "end-of-record byte is {found:#04x}, not 'B'")
            }
            RecordDamage::ZeroLengthWithChecksum { stored } => {
                write!(f, "zero length with a non-zero checksum {stored:#x}")
            }
            RecordDamage::HeaderTruncated { len } => {
                write!(f, "file is {len} bytes, shorter than its 16-byte header")
            }
            RecordDamage::BadMagic { magic } => {
                write!(f, "bad magic {magic:#010x} (expected ZKLG)")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adler32_test_vector() {
        // Appendix A: Adler32("hello") = 0x062c0215.
        assert_eq!(checksum(b"hello"), 0x062c_0215);
        let mut out = Vec::new();
        encode_record(b"hello", &mut out);
        assert_eq!(
            out,
            [0, 0, 0, 0, 0x06, 0x2c, 0x02, 0x15, 0, 0, 0, 5, b'h', b'e', b'l', b'l', b'o', b'B']
        );
    }
}

#[cfg(test)]
mod checksum_oracle {
    /// The SIMD Adler-32 agrees with the scalar `adler2` crate on every length around the SIMD
    /// block sizes and on large inputs.
    #[test]
    fn simd_adler32_matches_the_scalar_oracle() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let data: Vec<u8> = (0..300_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        let lens = (0..600).chain([4095, 4096, 5552, 5553, 65_536, 299_999, 300_000]);
        for len in lens {
            let d = &data[..len];
            assert_eq!(super::checksum(d), adler2::adler32_slice(d), "len {len}");
        }
        // Streaming in uneven pieces, as the snapshot writer and reader do.
        let mut h = simd_adler32::Adler32::new();
        for piece in data.chunks(7_777) {
            h.write(piece);
        }
        assert_eq!(h.finish(), adler2::adler32_slice(&data));
        assert_eq!(
            super::checksum(&[0xff; 70_000]),
            adler2::adler32_slice(&[0xff; 70_000])
        );
    }
}
