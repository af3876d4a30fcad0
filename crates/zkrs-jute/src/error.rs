//! Decode failures. Encoding into a growable buffer cannot fail.

/// Why a byte sequence is not a valid Jute value.
///
/// These are Rust errors about malformed input; ZooKeeper's own error codes (`KeeperErrorCode`) are
/// reply data and never appear here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The input ended inside a value.
    #[error("unexpected end of input: needed {needed} more bytes, {remaining} left")]
    UnexpectedEof { needed: usize, remaining: usize },
    /// A string, buffer or vector length is negative (other than -1 = null) or above the limit.
    #[error("length {len} out of range (limit {limit})")]
    LengthOutOfRange { len: i64, limit: usize },
    /// A vector claims more elements than the remaining bytes could possibly hold.
    #[error("vector of {count} elements cannot fit in the {remaining} remaining bytes")]
    VectorTooLong { count: usize, remaining: usize },
    /// A value that the record's schema does not allow (for example an unknown op in a multi).
    #[error("invalid {what}: {value}")]
    InvalidValue { what: &'static str, value: i64 },
    /// Bytes were left over after a record that must fill its frame.
    #[error("{0} trailing bytes after the record")]
    TrailingBytes(usize),
}
