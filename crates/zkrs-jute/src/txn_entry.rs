//! A whole txn as stored in the log and sent in PROPOSAL: `TxnHeader`, the body chosen by the
//! header's type (`SerializeUtils.deserializeTxn`), and the optional 3.6+ `TxnDigest`.

use bytes::{BufMut, Bytes};

use crate::error::DecodeError;
use crate::opcode::OpCode;
use crate::reader::JuteReader;
use crate::record::Jute;
use crate::records::txn::*;

/// The body of a txn.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum TxnBody {
    CreateSession(CreateSessionTxn),
    /// `None` before 3.6 or with `closeSessionTxn.enabled=false`.
    CloseSession(Option<CloseSessionTxn>),
    /// create and create2.
    Create(CreateTxn),
    /// An old create without parentCVersion (read-only compatibility).
    CreateV0(CreateTxnV0),
    CreateTtl(CreateTtlTxn),
    CreateContainer(CreateContainerTxn),
    /// delete and deleteContainer.
    Delete(DeleteTxn),
    /// setData and reconfig.
    SetData(SetDataTxn),
    SetAcl(SetAclTxn),
    /// Only inside a multi.
    Check(CheckVersionTxn),
    Error(ErrorTxn),
    Multi(MultiTxn),
    /// A type with no body (for example createSession without a record in very old logs).
    Empty,
}

impl TxnBody {
    /// Decodes the body of a txn of type `op`, with ZooKeeper's default
    /// `zookeeper.closeSessionTxn.enabled=true`.
    pub fn read_for(op: i32, r: &mut JuteReader<'_>) -> Result<TxnBody, DecodeError> {
        Self::read_for_with(op, r, true)
    }

    /// Decodes the body of a txn of type `op`.
    ///
    /// Whether a closeSession txn carries a `CloseSessionTxn` cannot be told from the bytes (a
    /// 12-byte digest can also parse as one); like `SerializeUtils.deserializeTxn`, the reader
    /// decides from the `closeSessionTxn.enabled` setting. With it enabled, a closeSession with
    /// no bytes left (pre-3.6 logs) still reads as `CloseSession(None)`.
    pub fn read_for_with(
        op: i32,
        r: &mut JuteReader<'_>,
        close_session_txn_enabled: bool,
    ) -> Result<TxnBody, DecodeError> {
        let Some(code) = OpCode::from_i32(op) else {
            return Err(DecodeError::InvalidValue {
                what: "txn type",
                value: i64::from(op),
            });
        };
        Ok(match code {
            OpCode::CreateSession => TxnBody::CreateSession(Jute::read_from(r)?),
            OpCode::CloseSession => {
                if close_session_txn_enabled && !r.is_empty() {
                    TxnBody::CloseSession(Some(Jute::read_from(r)?))
                } else {
                    TxnBody::CloseSession(None)
                }
            }
            OpCode::Create | OpCode::Create2 => {
                let mut attempt = r.clone();
                match CreateTxn::read_from(&mut attempt) {
                    Ok(t) => {
                        *r = attempt;
                        TxnBody::Create(t)
                    }
                    Err(DecodeError::UnexpectedEof { .. }) => {
                        TxnBody::CreateV0(Jute::read_from(r)?)
                    }
                    Err(e) => return Err(e),
                }
            }
            OpCode::CreateTtl => TxnBody::CreateTtl(Jute::read_from(r)?),
            OpCode::CreateContainer => TxnBody::CreateContainer(Jute::read_from(r)?),
            OpCode::Delete | OpCode::DeleteContainer => TxnBody::Delete(Jute::read_from(r)?),
            OpCode::SetData | OpCode::Reconfig => TxnBody::SetData(Jute::read_from(r)?),
            OpCode::SetAcl => TxnBody::SetAcl(Jute::read_from(r)?),
            OpCode::Check => TxnBody::Check(Jute::read_from(r)?),
            OpCode::Error => TxnBody::Error(Jute::read_from(r)?),
            OpCode::Multi => TxnBody::Multi(Jute::read_from(r)?),
            _ => {
                return Err(DecodeError::InvalidValue {
                    what: "txn type",
                    value: i64::from(op),
                })
            }
        })
    }

    /// Writes the body.
    pub fn write_to<B: BufMut>(&self, out: &mut B) {
        match self {
            TxnBody::CreateSession(t) => t.write_to(out),
            TxnBody::CloseSession(Some(t)) => t.write_to(out),
            TxnBody::CloseSession(None) | TxnBody::Empty => {}
            TxnBody::Create(t) => t.write_to(out),
            TxnBody::CreateV0(t) => t.write_to(out),
            TxnBody::CreateTtl(t) => t.write_to(out),
            TxnBody::CreateContainer(t) => t.write_to(out),
            TxnBody::Delete(t) => t.write_to(out),
            TxnBody::SetData(t) => t.write_to(out),
            TxnBody::SetAcl(t) => t.write_to(out),
            TxnBody::Check(t) => t.write_to(out),
            TxnBody::Error(t) => t.write_to(out),
            TxnBody::Multi(t) => t.write_to(out),
        }
    }

    /// Decodes the sub-txn carried in one `Txn` of a `MultiTxn`.
    pub fn from_sub_txn(txn: &Txn) -> Result<TxnBody, DecodeError> {
        let mut r = JuteReader::new(&txn.data);
        let body = TxnBody::read_for(txn.r#type, &mut r)?;
        r.finish()?;
        Ok(body)
    }

    /// Wraps this body as one `Txn` of a `MultiTxn`.
    pub fn to_sub_txn(&self, op: i32) -> Txn {
        let mut data = Vec::new();
        self.write_to(&mut data);
        Txn {
            r#type: op,
            data: Bytes::from(data),
        }
    }
}

/// `TxnHeader` + body + optional digest: the bytes `Util.marshallTxnEntry` writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TxnEntry {
    pub header: TxnHeader,
    pub body: TxnBody,
    /// Present when `zookeeper.digest.enabled` (3.6+); error txns never carry one.
    pub digest: Option<TxnDigest>,
}

impl TxnEntry {
    /// Decodes an entry that fills `bytes` exactly, with `closeSessionTxn.enabled=true`.
    pub fn decode(bytes: &[u8]) -> Result<TxnEntry, DecodeError> {
        Self::decode_with(bytes, true)
    }

    /// Decodes an entry that fills `bytes` exactly; see [`TxnBody::read_for_with`].
    pub fn decode_with(
        bytes: &[u8],
        close_session_txn_enabled: bool,
    ) -> Result<TxnEntry, DecodeError> {
        let mut r = JuteReader::new(bytes);
        let header = TxnHeader::read_from(&mut r)?;
        let body = TxnBody::read_for_with(header.r#type, &mut r, close_session_txn_enabled)?;
        let digest = if r.is_empty() {
            None
        } else {
            Some(TxnDigest::read_from(&mut r)?)
        };
        r.finish()?;
        Ok(TxnEntry {
            header,
            body,
            digest,
        })
    }

    /// The entry's bytes.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(64);
        self.encode_into(&mut out);
        out
    }

    /// [`TxnEntry::encode`] appended to `out` (a reused buffer: no allocation per txn).
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        self.header.write_to(out);
        self.body.write_to(out);
        if let Some(d) = &self.digest {
            d.write_to(out);
        }
    }
}
