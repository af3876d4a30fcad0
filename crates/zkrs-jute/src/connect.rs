//! `ConnectRequest` / `ConnectResponse`, hand-written for the trailing `readOnly` byte.
//!
//! ZooKeeper 3.4-3.8 read and wrote `readOnly` outside the generated record
//! (`ZooKeeperServer.processConnectRequest`, `finishSessionInit`); 3.9 moved it into the `.jute`
//! file but still accepts a request without it (`compat/ProtocolManager`). A client that omits the
//! byte is an "old client" and gets a response without it, so the field is an `Option` here and
//! `None` round-trips to the short form.

use bytes::{BufMut, Bytes};

use crate::error::DecodeError;
use crate::reader::JuteReader;
use crate::record::Jute;

/// The first packet on a client connection.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct ConnectRequest {
    pub protocol_version: i32,
    pub last_zxid_seen: i64,
    pub time_out: i32,
    pub session_id: i64,
    pub passwd: Bytes,
    /// `None` for an old client that did not send the byte.
    pub read_only: Option<bool>,
}

/// The server's answer to a [`ConnectRequest`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct ConnectResponse {
    pub protocol_version: i32,
    pub time_out: i32,
    pub session_id: i64,
    pub passwd: Bytes,
    /// Written only when the request carried `readOnly`.
    pub read_only: Option<bool>,
}

fn read_trailing_bool(r: &mut JuteReader<'_>) -> Result<Option<bool>, DecodeError> {
    if r.is_empty() {
        Ok(None)
    } else {
        r.read_bool().map(Some)
    }
}

impl Jute for ConnectRequest {
    const MIN_LEN: usize = 4 + 8 + 4 + 8 + 4;

    fn write_to<B: BufMut>(&self, out: &mut B) {
        self.protocol_version.write_to(out);
        self.last_zxid_seen.write_to(out);
        self.time_out.write_to(out);
        self.session_id.write_to(out);
        self.passwd.write_to(out);
        if let Some(ro) = self.read_only {
            ro.write_to(out);
        }
    }

    /// Reads the five base fields, then `readOnly` only if a byte is left: the caller must hand
    /// in exactly one frame.
    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        Ok(ConnectRequest {
            protocol_version: i32::read_from(r)?,
            last_zxid_seen: i64::read_from(r)?,
            time_out: i32::read_from(r)?,
            session_id: i64::read_from(r)?,
            passwd: Bytes::read_from(r)?,
            read_only: read_trailing_bool(r)?,
        })
    }
}

impl Jute for ConnectResponse {
    const MIN_LEN: usize = 4 + 4 + 8 + 4;

    fn write_to<B: BufMut>(&self, out: &mut B) {
        self.protocol_version.write_to(out);
        self.time_out.write_to(out);
        self.session_id.write_to(out);
        self.passwd.write_to(out);
        if let Some(ro) = self.read_only {
            ro.write_to(out);
        }
    }

    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        Ok(ConnectResponse {
            protocol_version: i32::read_from(r)?,
            time_out: i32::read_from(r)?,
            session_id: i64::read_from(r)?,
            passwd: Bytes::read_from(r)?,
            read_only: read_trailing_bool(r)?,
        })
    }
}

#[cfg(feature = "arbitrary")]
mod arb_impls {
    use super::*;
    use crate::arb::Arb;
    use arbitrary::{Arbitrary, Result, Unstructured};

    impl<'a> Arbitrary<'a> for ConnectRequest {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(ConnectRequest {
                protocol_version: Arb::arb(u)?,
                last_zxid_seen: Arb::arb(u)?,
                time_out: Arb::arb(u)?,
                session_id: Arb::arb(u)?,
                passwd: Arb::arb(u)?,
                read_only: if u.arbitrary()? {
                    Some(u.arbitrary()?)
                } else {
                    None
                },
            })
        }
    }

    impl<'a> Arbitrary<'a> for ConnectResponse {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(ConnectResponse {
                protocol_version: Arb::arb(u)?,
                time_out: Arb::arb(u)?,
                session_id: Arb::arb(u)?,
                passwd: Arb::arb(u)?,
                read_only: if u.arbitrary()? {
                    Some(u.arbitrary()?)
                } else {
                    None
                },
            })
        }
    }
}
