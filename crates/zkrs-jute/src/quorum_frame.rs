//! Learner-port framing: a sans-IO decoder that cuts the bytes of one quorum connection (port
//! 2888) into [`QuorumPacket`]s.
//!
//! The learner protocol has no length prefix: both sides write raw jute `QuorumPacket` records
//! back to back (`leaderOs.writeRecord(qp)` over a `BinaryOutputArchive`), so the only way to find
//! the end of a packet is to walk its fields:
//!
//! ```text
//! int type; long zxid; buffer data (-1 = null); vector<Id> authinfo (-1 = null)
//! Id = ustring scheme; ustring id
//! ```
//!
//! [`QuorumFrameDecoder`] walks them incrementally: what it has already measured of a partial
//! packet is remembered, so feeding a packet one byte at a time costs linear work, not a rescan
//! per call. Every length is checked against `max_packet_len` (ZooKeeper's `jute.maxbuffer` +
//! `zookeeper.jute.maxbuffer.extrasize`, as `BinaryInputArchive.checkLength` does for the data)
//! before the buffer is grown for it. Unknown packet types decode like any other; the caller
//! decides what to do with them.
//!
//! A `SNAP` packet is followed by the raw snapshot stream, which is not a `QuorumPacket`: after
//! taking a `SNAP` out of the buffer, hand the same buffer to the snapshot-stream decoder
//! (`zkrs_storage::snap_stream`) before calling [`QuorumFrameDecoder::decode`] again.

use bytes::BytesMut;

use crate::error::DecodeError;
use crate::reader::JuteReader;
use crate::record::Jute;
use crate::records::data::Id;
use crate::records::quorum::QuorumPacket;

/// Bytes of the fixed head of a packet: `int type; long zxid; int dataLen`.
const HEAD_LEN: usize = 4 + 8 + 4;

/// The fewest bytes one `Id` of the authinfo takes (two null or empty strings).
const MIN_ID_LEN: usize = 4 + 4;

/// Why the quorum connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QuorumFrameError {
    /// The data buffer's length is below -1 or above the limit (`Unreasonable length`).
    #[error("QuorumPacket data length {len} out of range (limit {max_len})")]
    BadDataLength { len: i32, max_len: usize },
    /// The authinfo count is below -1 or more Ids than the limit could hold.
    #[error("QuorumPacket authinfo count {count} out of range (limit {max_count})")]
    BadAuthCount { count: i32, max_count: usize },
    /// An authinfo scheme or id length is below -1 or above the limit.
    #[error("QuorumPacket authinfo string length {len} out of range (limit {max_len})")]
    BadAuthStringLength { len: i32, max_len: usize },
    /// The authinfo as a whole is longer than the limit.
    #[error("QuorumPacket authinfo of at least {len} bytes exceeds the limit {max_len}")]
    AuthInfoTooLong { len: usize, max_len: usize },
    /// The packet's bytes do not decode (cannot happen once the lengths were measured; kept
    /// typed rather than panicking).
    #[error("malformed QuorumPacket: {0}")]
    Malformed(#[from] DecodeError),
}

/// Which field of the current packet is measured next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// `type`, `zxid` and the data length.
    Head,
    /// The authinfo count, at `pos`.
    AuthCount,
    /// `strings_left` authinfo strings (scheme, id, scheme, id, …), the next one at `pos`.
    AuthStrings { strings_left: usize },
}

/// The per-connection decoder of the learner port's packet stream.
#[derive(Debug, Clone)]
pub struct QuorumFrameDecoder {
    max_packet_len: usize,
    phase: Phase,
    /// Offset in the buffer of the next field to measure; everything before it is part of the
    /// current packet and already checked.
    pos: usize,
    /// Bytes of authinfo measured so far (length prefixes included).
    auth_len: usize,
}

impl QuorumFrameDecoder {
    /// A decoder that accepts data buffers and authinfo strings of up to `max_packet_len` bytes
    /// (pass `jute.maxbuffer` + `zookeeper.jute.maxbuffer.extrasize`; the authinfo as a whole is
    /// held to the same limit).
    pub fn new(max_packet_len: usize) -> Self {
        QuorumFrameDecoder {
            max_packet_len,
            phase: Phase::Head,
            pos: 0,
            auth_len: 0,
        }
    }

    /// The limit in force.
    pub fn max_packet_len(&self) -> usize {
        self.max_packet_len
    }

    /// Bytes of a partial packet already measured at the front of the buffer (0 between
    /// packets).
    pub fn pending_len(&self) -> usize {
        self.pos
    }

    /// Takes the next complete packet out of `buf`, consuming exactly its bytes, or returns
    /// `Ok(None)` if more bytes are needed (nothing is consumed; the measuring done so far is
    /// kept, so the caller must only append to `buf` until the packet is out). On `Err` the
    /// connection must be closed.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<QuorumPacket>, QuorumFrameError> {
        match self.measure(buf) {
            Ok(Some(total)) => {
                self.reset();
                let frame = buf.split_to(total).freeze();
                let mut r = JuteReader::with_limit(&frame, self.max_packet_len);
                let r#type = r.read_i32()?;
                let zxid = r.read_i64()?;
                let data = match r.read_len()? {
                    None => None,
                    Some(n) => {
                        let start = r.position();
                        r.take(n)?;
                        Some(frame.slice(start..start + n))
                    }
                };
                let authinfo = Option::<Vec<Id>>::read_from(&mut r)?;
                r.finish()?;
                Ok(Some(QuorumPacket {
                    r#type,
                    zxid,
                    data,
                    authinfo,
                }))
            }
            Ok(None) => Ok(None),
            Err(e) => {
                self.reset();
                Err(e)
            }
        }
    }

    fn reset(&mut self) {
        self.phase = Phase::Head;
        self.pos = 0;
        self.auth_len = 0;
    }

    /// Reads the int at offset `at`, or `None` (after reserving room for it) if it has not
    /// arrived.
    fn int_at(&self, buf: &mut BytesMut, at: usize) -> Option<i32> {
        let end = at + 4;
        if buf.len() < end {
            buf.reserve(end - buf.len());
            return None;
        }
        Some(i32::from_be_bytes([
            buf[at],
            buf[at + 1],
            buf[at + 2],
            buf[at + 3],
        ]))
    }

    /// Advances the measuring as far as the buffer allows: `Some(total)` once the whole packet
    /// of `total` bytes is present.
    fn measure(&mut self, buf: &mut BytesMut) -> Result<Option<usize>, QuorumFrameError> {
        let max_len = self.max_packet_len;
        loop {
            match self.phase {
                Phase::Head => {
                    let Some(len) = self.int_at(buf, HEAD_LEN - 4) else {
                        return Ok(None);
                    };
                    let data_len = match len {
                        -1 => 0,
                        n if n < 0 || n as usize > max_len => {
                            return Err(QuorumFrameError::BadDataLength { len, max_len });
                        }
                        n => n as usize,
                    };
                    self.pos = HEAD_LEN + data_len;
                    self.phase = Phase::AuthCount;
                }
                Phase::AuthCount => {
                    let Some(count) = self.int_at(buf, self.pos) else {
                        return Ok(None);
                    };
                    self.pos += 4;
                    let max_count = max_len / MIN_ID_LEN;
                    match count {
                        -1 | 0 => return Ok(Some(self.pos)),
                        n if n < 0 || n as usize > max_count => {
                            return Err(QuorumFrameError::BadAuthCount { count, max_count });
                        }
                        n => {
                            self.phase = Phase::AuthStrings {
                                strings_left: 2 * n as usize,
                            };
                        }
                    }
                }
                Phase::AuthStrings { strings_left } => {
                    if strings_left == 0 {
                        if buf.len() < self.pos {
                            buf.reserve(self.pos - buf.len());
                            return Ok(None);
                        }
                        return Ok(Some(self.pos));
                    }
                    let Some(len) = self.int_at(buf, self.pos) else {
                        return Ok(None);
                    };
                    let str_len = match len {
                        -1 => 0,
                        n if n < 0 || n as usize > max_len => {
                            return Err(QuorumFrameError::BadAuthStringLength { len, max_len });
                        }
                        n => n as usize,
                    };
                    self.auth_len += 4 + str_len;
                    if self.auth_len > max_len {
                        return Err(QuorumFrameError::AuthInfoTooLong {
                            len: self.auth_len,
                            max_len,
                        });
                    }
                    self.pos += 4 + str_len;
                    self.phase = Phase::AuthStrings {
                        strings_left: strings_left - 1,
                    };
                }
            }
        }
    }
}

/// Appends the wire encoding of `packet` (no length prefix, as `writeRecord` sends it).
pub fn encode_quorum_packet(packet: &QuorumPacket, out: &mut BytesMut) {
    out.reserve(HEAD_LEN + 4 + packet.data.as_ref().map_or(0, |d| d.len()) + auth_len_hint(packet));
    packet.write_to(out);
}

fn auth_len_hint(packet: &QuorumPacket) -> usize {
    packet.authinfo.as_ref().map_or(0, |ids| {
        ids.iter()
            .map(|id| MIN_ID_LEN + id.scheme.len() + id.id.len())
            .sum()
    })
}
