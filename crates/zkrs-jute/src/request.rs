//! Dispatch from an opcode to the request record that follows the `RequestHeader`.

use bytes::BufMut;

use crate::error::DecodeError;
use crate::multi::MultiRequest;
use crate::opcode::OpCode;
use crate::reader::JuteReader;
use crate::record::Jute;
use crate::records::proto::*;

/// A decoded client request body, one variant per opcode a client may send after connecting.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Request {
    Create(CreateRequest),
    Create2(CreateRequest),
    CreateContainer(CreateRequest),
    CreateTtl(CreateTtlRequest),
    Delete(DeleteRequest),
    DeleteContainer(DeleteContainerRequest),
    Exists(ExistsRequest),
    GetData(GetDataRequest),
    SetData(SetDataRequest),
    GetAcl(GetAclRequest),
    SetAcl(SetAclRequest),
    GetChildren(GetChildrenRequest),
    GetChildren2(GetChildren2Request),
    Sync(SyncRequest),
    Ping,
    Check(CheckVersionRequest),
    Multi(MultiRequest),
    MultiRead(MultiRequest),
    Reconfig(ReconfigRequest),
    CheckWatches(CheckWatchesRequest),
    RemoveWatches(RemoveWatchesRequest),
    Auth(AuthPacket),
    SetWatches(SetWatches),
    SetWatches2(SetWatches2),
    Sasl(GetSaslRequest),
    GetEphemerals(GetEphemeralsRequest),
    GetAllChildrenNumber(GetAllChildrenNumberRequest),
    AddWatch(AddWatchRequest),
    WhoAmI,
    CloseSession,
}

/// Why a request body could not be turned into a [`Request`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestDecodeError {
    /// The opcode is not one a client may send; ZooKeeper answers UNIMPLEMENTED and closes.
    #[error("unknown opcode {0}")]
    UnknownOpcode(i32),
    /// The body does not match the opcode's record.
    #[error("malformed body for opcode {op}: {source}")]
    Malformed { op: i32, source: DecodeError },
}

impl Request {
    /// Decodes the body of a request whose header carried `op`.
    ///
    /// Trailing bytes after the record are ignored, as `ByteBufferInputStream` does upstream.
    pub fn decode(op: i32, r: &mut JuteReader<'_>) -> Result<Request, RequestDecodeError> {
        let Some(code) = OpCode::from_i32(op) else {
            return Err(RequestDecodeError::UnknownOpcode(op));
        };
        let malformed = |source| RequestDecodeError::Malformed { op, source };
        Self::decode_known(code, r)
            .map_err(malformed)?
            .ok_or(RequestDecodeError::UnknownOpcode(op))
    }

    fn decode_known(op: OpCode, r: &mut JuteReader<'_>) -> Result<Option<Request>, DecodeError> {
        Ok(Some(match op {
            OpCode::Create => Request::Create(Jute::read_from(r)?),
            OpCode::Create2 => Request::Create2(Jute::read_from(r)?),
            OpCode::CreateContainer => Request::CreateContainer(Jute::read_from(r)?),
            OpCode::CreateTtl => Request::CreateTtl(Jute::read_from(r)?),
            OpCode::Delete => Request::Delete(Jute::read_from(r)?),
            OpCode::DeleteContainer => Request::DeleteContainer(Jute::read_from(r)?),
            OpCode::Exists => Request::Exists(Jute::read_from(r)?),
            OpCode::GetData => Request::GetData(Jute::read_from(r)?),
            OpCode::SetData => Request::SetData(Jute::read_from(r)?),
            OpCode::GetAcl => Request::GetAcl(Jute::read_from(r)?),
            OpCode::SetAcl => Request::SetAcl(Jute::read_from(r)?),
            OpCode::GetChildren => Request::GetChildren(Jute::read_from(r)?),
            OpCode::GetChildren2 => Request::GetChildren2(Jute::read_from(r)?),
            OpCode::Sync => Request::Sync(Jute::read_from(r)?),
            OpCode::Ping => Request::Ping,
            OpCode::Check => Request::Check(Jute::read_from(r)?),
            OpCode::Multi => Request::Multi(Jute::read_from(r)?),
            OpCode::MultiRead => Request::MultiRead(Jute::read_from(r)?),
            OpCode::Reconfig => Request::Reconfig(Jute::read_from(r)?),
            OpCode::CheckWatches => Request::CheckWatches(Jute::read_from(r)?),
            OpCode::RemoveWatches => Request::RemoveWatches(Jute::read_from(r)?),
            OpCode::Auth => Request::Auth(Jute::read_from(r)?),
            OpCode::SetWatches => Request::SetWatches(Jute::read_from(r)?),
            OpCode::SetWatches2 => Request::SetWatches2(Jute::read_from(r)?),
            OpCode::Sasl => Request::Sasl(Jute::read_from(r)?),
            OpCode::GetEphemerals => Request::GetEphemerals(Jute::read_from(r)?),
            OpCode::GetAllChildrenNumber => Request::GetAllChildrenNumber(Jute::read_from(r)?),
            OpCode::AddWatch => Request::AddWatch(Jute::read_from(r)?),
            OpCode::WhoAmI => Request::WhoAmI,
            OpCode::CloseSession => Request::CloseSession,
            OpCode::Notification | OpCode::CreateSession | OpCode::Error => return Ok(None),
        }))
    }

    /// The request's opcode.
    pub fn op(&self) -> OpCode {
        match self {
            Request::Create(_) => OpCode::Create,
            Request::Create2(_) => OpCode::Create2,
            Request::CreateContainer(_) => OpCode::CreateContainer,
            Request::CreateTtl(_) => OpCode::CreateTtl,
            Request::Delete(_) => OpCode::Delete,
            Request::DeleteContainer(_) => OpCode::DeleteContainer,
            Request::Exists(_) => OpCode::Exists,
            Request::GetData(_) => OpCode::GetData,
            Request::SetData(_) => OpCode::SetData,
            Request::GetAcl(_) => OpCode::GetAcl,
            Request::SetAcl(_) => OpCode::SetAcl,
            Request::GetChildren(_) => OpCode::GetChildren,
            Request::GetChildren2(_) => OpCode::GetChildren2,
            Request::Sync(_) => OpCode::Sync,
            Request::Ping => OpCode::Ping,
            Request::Check(_) => OpCode::Check,
            Request::Multi(_) => OpCode::Multi,
            Request::MultiRead(_) => OpCode::MultiRead,
            Request::Reconfig(_) => OpCode::Reconfig,
            Request::CheckWatches(_) => OpCode::CheckWatches,
            Request::RemoveWatches(_) => OpCode::RemoveWatches,
            Request::Auth(_) => OpCode::Auth,
            Request::SetWatches(_) => OpCode::SetWatches,
            Request::SetWatches2(_) => OpCode::SetWatches2,
            Request::Sasl(_) => OpCode::Sasl,
            Request::GetEphemerals(_) => OpCode::GetEphemerals,
            Request::GetAllChildrenNumber(_) => OpCode::GetAllChildrenNumber,
            Request::AddWatch(_) => OpCode::AddWatch,
            Request::WhoAmI => OpCode::WhoAmI,
            Request::CloseSession => OpCode::CloseSession,
        }
    }

    /// Writes the body (without the `RequestHeader`).
    pub fn write_body<B: BufMut>(&self, out: &mut B) {
        match self {
            Request::Create(r) | Request::Create2(r) | Request::CreateContainer(r) => {
                r.write_to(out)
            }
            Request::CreateTtl(r) => r.write_to(out),
            Request::Delete(r) => r.write_to(out),
            Request::DeleteContainer(r) => r.write_to(out),
            Request::Exists(r) => r.write_to(out),
            Request::GetData(r) => r.write_to(out),
            Request::SetData(r) => r.write_to(out),
            Request::GetAcl(r) => r.write_to(out),
            Request::SetAcl(r) => r.write_to(out),
            Request::GetChildren(r) => r.write_to(out),
            Request::GetChildren2(r) => r.write_to(out),
            Request::Sync(r) => r.write_to(out),
            Request::Check(r) => r.write_to(out),
            Request::Multi(r) | Request::MultiRead(r) => r.write_to(out),
            Request::Reconfig(r) => r.write_to(out),
            Request::CheckWatches(r) => r.write_to(out),
            Request::RemoveWatches(r) => r.write_to(out),
            Request::Auth(r) => r.write_to(out),
            Request::SetWatches(r) => r.write_to(out),
            Request::SetWatches2(r) => r.write_to(out),
            Request::Sasl(r) => r.write_to(out),
            Request::GetEphemerals(r) => r.write_to(out),
            Request::GetAllChildrenNumber(r) => r.write_to(out),
            Request::AddWatch(r) => r.write_to(out),
            Request::Ping | Request::WhoAmI | Request::CloseSession => {}
        }
    }
}
