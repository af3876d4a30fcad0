//! Client-port framing: a sans-IO decoder that turns the bytes of one connection into frames.
//!
//! Every packet is `int32 length` + payload (`NIOServerCnxn.readLength` / `readPayload`). Before
//! the connect handshake, the first 4 bytes may instead be a four-letter word. The decoder owns no
//! socket: feed it the connection's read buffer and take frames out.

use bytes::{Buf, BytesMut};

use crate::connect::ConnectRequest;
use crate::error::DecodeError;
use crate::four_letter::FourLetterWord;
use crate::reader::JuteReader;
use crate::record::Jute;
use crate::records::proto::RequestHeader;
use crate::request::{Request, RequestDecodeError};

/// One unit read from a client connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClientFrame {
    /// A four-letter word; `stmk` carries its 8-byte trace mask.
    FourLetter {
        word: FourLetterWord,
        arg: Option<i64>,
    },
    /// The first packet of a session.
    Connect(ConnectRequest),
    /// Any later packet. `request` is an error for an unknown opcode or a malformed body, so
    /// the session layer can answer as ZooKeeper does (UNIMPLEMENTED, MARSHALLINGERROR) with the
    /// xid still known.
    Request {
        header: RequestHeader,
        request: Result<Request, RequestDecodeError>,
    },
}

/// Why the connection must be closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A length prefix below 0 or above `jute.maxbuffer` (ZooKeeper closes the connection).
    #[error("frame length {len} out of range (jute.maxbuffer {max})")]
    BadLength { len: i32, max: usize },
    /// The frame is too short for its header or the connect record.
    #[error("malformed frame: {0}")]
    Malformed(#[from] DecodeError),
}

/// The per-connection frame decoder.
#[derive(Debug, Clone)]
pub struct ClientFrameDecoder {
    max_buffer: usize,
    connected: bool,
}

impl ClientFrameDecoder {
    /// A decoder for a new connection with the given `jute.maxbuffer`.
    pub fn new(max_buffer: usize) -> Self {
        ClientFrameDecoder {
            max_buffer,
            connected: false,
        }
    }

    /// True once the ConnectRequest has been decoded.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Takes the next complete frame out of `buf`, or returns `Ok(None)` if more bytes are
    /// needed. On `Err` the connection must be closed; nothing else is affected.
    pub fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<ClientFrame>, FrameError> {
        if buf.len() < 4 {
            return Ok(None);
        }
        let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]);
        if !self.connected {
            if let Some(word) = FourLetterWord::from_code(len) {
                if word == FourLetterWord::Stmk {
                    if buf.len() < 12 {
                        return Ok(None);
                    }
                    buf.advance(4);
                    let mask = buf.get_i64();
                    return Ok(Some(ClientFrame::FourLetter {
                        word,
                        arg: Some(mask),
                    }));
                }
                buf.advance(4);
                return Ok(Some(ClientFrame::FourLetter { word, arg: None }));
            }
        }
        if len < 0 || len as usize > self.max_buffer {
            return Err(FrameError::BadLength {
                len,
                max: self.max_buffer,
            });
        }
        let len = len as usize;
        if buf.len() < 4 + len {
            // Reserve only what the (already bounded) frame needs.
            buf.reserve(4 + len - buf.len());
            return Ok(None);
        }
        buf.advance(4);
        let payload = buf.split_to(len).freeze();
        let mut r = JuteReader::with_limit(&payload, self.max_buffer);
        if !self.connected {
            let connect = ConnectRequest::read_from(&mut r)?;
            self.connected = true;
            return Ok(Some(ClientFrame::Connect(connect)));
        }
        let header = RequestHeader::read_from(&mut r)?;
        let request = Request::decode(header.r#type, &mut r);
        Ok(Some(ClientFrame::Request { header, request }))
    }
}

/// Prepends the 4-byte length to an encoded payload.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + payload.len());
    out.extend_from_slice(&(payload.len() as i32).to_be_bytes());
    out.extend_from_slice(payload);
    out
}
