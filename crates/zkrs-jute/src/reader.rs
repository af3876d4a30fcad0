//! A bounds-checked cursor over a byte slice, as `BinaryInputArchive` reads a stream.

use crate::error::DecodeError;
use crate::limits::DEFAULT_MAX_BUFFER;

/// Reads big-endian Jute primitives from a borrowed slice.
///
/// Every length read from the input is checked against `max_len` and against the bytes that
/// remain before anything is allocated, so a hostile length prefix can never make us reserve more
/// memory than the input itself occupies.
#[derive(Debug, Clone)]
pub struct JuteReader<'a> {
    buf: &'a [u8],
    pos: usize,
    max_len: usize,
}

impl<'a> JuteReader<'a> {
    /// A reader that allows strings and buffers up to `jute.maxbuffer` (0xfffff) bytes.
    pub fn new(buf: &'a [u8]) -> Self {
        Self::with_limit(buf, DEFAULT_MAX_BUFFER)
    }

    /// A reader that rejects any string, buffer or vector longer than `max_len`.
    ///
    /// ZooKeeper checks `len > maxBuffer + extraMaxBuffer`; callers pass that sum here.
    pub fn with_limit(buf: &'a [u8], max_len: usize) -> Self {
        JuteReader {
            buf,
            pos: 0,
            max_len,
        }
    }

    /// The limit in force for lengths.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Bytes not yet consumed.
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// The unread part of the input.
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// True when every byte has been consumed.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// Fails unless the input has been consumed exactly.
    pub fn finish(&self) -> Result<(), DecodeError> {
        match self.remaining() {
            0 => Ok(()),
            n => Err(DecodeError::TrailingBytes(n)),
        }
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if n > self.remaining() {
            return Err(DecodeError::UnexpectedEof {
                needed: n,
                remaining: self.remaining(),
            });
        }
        let out = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn take_array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N)?);
        Ok(out)
    }

    /// Jute `byte`.
    pub fn read_u8(&mut self) -> Result<u8, DecodeError> {
        Ok(self.take_array::<1>()?[0])
    }

    /// Jute `boolean`: like `DataInput.readBoolean`, any non-zero byte is true.
    pub fn read_bool(&mut self) -> Result<bool, DecodeError> {
        Ok(self.read_u8()? != 0)
    }

    /// Jute `int`.
    pub fn read_i32(&mut self) -> Result<i32, DecodeError> {
        Ok(i32::from_be_bytes(self.take_array()?))
    }

    /// Jute `long`.
    pub fn read_i64(&mut self) -> Result<i64, DecodeError> {
        Ok(i64::from_be_bytes(self.take_array()?))
    }

    /// Reads a length prefix: `None` for -1 (null), otherwise a length within the limit.
    pub fn read_len(&mut self) -> Result<Option<usize>, DecodeError> {
        let len = self.read_i32()?;
        if len == -1 {
            return Ok(None);
        }
        if len < 0 || len as usize > self.max_len {
            return Err(DecodeError::LengthOutOfRange {
                len: i64::from(len),
                limit: self.max_len,
            });
        }
        Ok(Some(len as usize))
    }

    /// Jute `buffer`: `None` for null.
    pub fn read_buffer(&mut self) -> Result<Option<&'a [u8]>, DecodeError> {
        match self.read_len()? {
            None => Ok(None),
            Some(n) => self.take(n).map(Some),
        }
    }

    /// Jute `ustring`: `None` for null. Invalid UTF-8 is replaced by U+FFFD, as Java's
    /// `new String(bytes, UTF_8)` does, so a peer's odd bytes never fail the whole packet.
    pub fn read_ustring(&mut self) -> Result<Option<String>, DecodeError> {
        match self.read_buffer()? {
            None => Ok(None),
            Some(b) => Ok(Some(match std::str::from_utf8(b) {
                Ok(s) => s.to_owned(),
                Err(_) => String::from_utf8_lossy(b).into_owned(),
            })),
        }
    }

    /// Reads a vector count and checks that `count` elements of at least `min_elem_len` bytes can
    /// fit in what remains, so the caller may reserve `count` slots safely.
    pub fn read_vector_len(&mut self, min_elem_len: usize) -> Result<Option<usize>, DecodeError> {
        let count = self.read_i32()?;
        if count == -1 {
            return Ok(None);
        }
        if count < 0 || count as usize > self.max_len {
            return Err(DecodeError::LengthOutOfRange {
                len: i64::from(count),
                limit: self.max_len,
            });
        }
        let count = count as usize;
        if count.saturating_mul(min_elem_len.max(1)) > self.remaining() {
            return Err(DecodeError::VectorTooLong {
                count,
                remaining: self.remaining(),
            });
        }
        Ok(Some(count))
    }
}
