//! `MultiOperationRecord` and `MultiResponse`: hand-written upstream, a sequence of
//! `MultiHeader` + record pairs closed by `MultiHeader(-1, true, -1)`.

use bytes::BufMut;

use crate::error::DecodeError;
use crate::opcode::OpCode;
use crate::reader::JuteReader;
use crate::record::Jute;
use crate::records::proto::{
    CheckVersionRequest, Create2Response, CreateRequest, CreateResponse, CreateTtlRequest,
    DeleteRequest, ErrorResponse, GetChildrenRequest, GetChildrenResponse, GetDataRequest,
    GetDataResponse, MultiHeader, SetDataRequest, SetDataResponse,
};

/// One op of a multi (14) or multiRead (22) request.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MultiOp {
    Create(CreateRequest),
    Create2(CreateRequest),
    CreateContainer(CreateRequest),
    CreateTtl(CreateTtlRequest),
    Delete(DeleteRequest),
    SetData(SetDataRequest),
    Check(CheckVersionRequest),
    GetChildren(GetChildrenRequest),
    GetData(GetDataRequest),
}

impl MultiOp {
    /// The opcode written in this op's `MultiHeader`.
    pub fn op(&self) -> OpCode {
        match self {
            MultiOp::Create(_) => OpCode::Create,
            MultiOp::Create2(_) => OpCode::Create2,
            MultiOp::CreateContainer(_) => OpCode::CreateContainer,
            MultiOp::CreateTtl(_) => OpCode::CreateTtl,
            MultiOp::Delete(_) => OpCode::Delete,
            MultiOp::SetData(_) => OpCode::SetData,
            MultiOp::Check(_) => OpCode::Check,
            MultiOp::GetChildren(_) => OpCode::GetChildren,
            MultiOp::GetData(_) => OpCode::GetData,
        }
    }

    /// True for getData/getChildren, the only ops a multiRead may hold.
    pub fn is_read(&self) -> bool {
        matches!(self, MultiOp::GetChildren(_) | MultiOp::GetData(_))
    }

    /// The path the op acts on.
    pub fn path(&self) -> &str {
        match self {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => &r.path,
            MultiOp::CreateTtl(r) => &r.path,
            MultiOp::Delete(r) => &r.path,
            MultiOp::SetData(r) => &r.path,
            MultiOp::Check(r) => &r.path,
            MultiOp::GetChildren(r) => &r.path,
            MultiOp::GetData(r) => &r.path,
        }
    }

    fn write_body<B: BufMut>(&self, out: &mut B) {
        match self {
            MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => {
                r.write_to(out)
            }
            MultiOp::CreateTtl(r) => r.write_to(out),
            MultiOp::Delete(r) => r.write_to(out),
            MultiOp::SetData(r) => r.write_to(out),
            MultiOp::Check(r) => r.write_to(out),
            MultiOp::GetChildren(r) => r.write_to(out),
            MultiOp::GetData(r) => r.write_to(out),
        }
    }
}

/// The end-of-ops marker shared by requests and responses.
fn end_marker() -> MultiHeader {
    MultiHeader {
        r#type: -1,
        done: true,
        err: -1,
    }
}

/// `MultiOperationRecord`: the body of a multi or multiRead request.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct MultiRequest {
    pub ops: Vec<MultiOp>,
}

impl Jute for MultiRequest {
    const MIN_LEN: usize = 9;

    fn write_to<B: BufMut>(&self, out: &mut B) {
        for op in &self.ops {
            MultiHeader {
                r#type: op.op().code(),
                done: false,
                err: -1,
            }
            .write_to(out);
            op.write_body(out);
        }
        end_marker().write_to(out);
    }

    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        let mut ops = Vec::new();
        loop {
            // Each iteration consumes at least the 9-byte header, so the loop is bounded by the
            // input length.
            let h = MultiHeader::read_from(r)?;
            if h.done {
                return Ok(MultiRequest { ops });
            }
            let op = match OpCode::from_i32(h.r#type) {
                Some(OpCode::Create) => MultiOp::Create(Jute::read_from(r)?),
                Some(OpCode::Create2) => MultiOp::Create2(Jute::read_from(r)?),
                Some(OpCode::CreateContainer) => MultiOp::CreateContainer(Jute::read_from(r)?),
                Some(OpCode::CreateTtl) => MultiOp::CreateTtl(Jute::read_from(r)?),
                Some(OpCode::Delete) => MultiOp::Delete(Jute::read_from(r)?),
                Some(OpCode::SetData) => MultiOp::SetData(Jute::read_from(r)?),
                Some(OpCode::Check) => MultiOp::Check(Jute::read_from(r)?),
                Some(OpCode::GetChildren) => MultiOp::GetChildren(Jute::read_from(r)?),
                Some(OpCode::GetData) => MultiOp::GetData(Jute::read_from(r)?),
                _ => {
                    return Err(DecodeError::InvalidValue {
                        what: "multi op type",
                        value: i64::from(h.r#type),
                    })
                }
            };
            ops.push(op);
        }
    }
}

/// One result of a multi or multiRead (`OpResult`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MultiResult {
    /// `CreateResult` without a Stat (type 1).
    Create(CreateResponse),
    /// `CreateResult` with a Stat (type 15).
    Create2(Create2Response),
    Delete,
    SetData(SetDataResponse),
    Check,
    GetChildren(GetChildrenResponse),
    GetData(GetDataResponse),
    /// `ErrorResult`: the header's `err` and the body both carry the code.
    Error(i32),
}

impl MultiResult {
    fn header(&self) -> MultiHeader {
        let (t, err) = match self {
            MultiResult::Create(_) => (OpCode::Create.code(), 0),
            MultiResult::Create2(_) => (OpCode::Create2.code(), 0),
            MultiResult::Delete => (OpCode::Delete.code(), 0),
            MultiResult::SetData(_) => (OpCode::SetData.code(), 0),
            MultiResult::Check => (OpCode::Check.code(), 0),
            MultiResult::GetChildren(_) => (OpCode::GetChildren.code(), 0),
            MultiResult::GetData(_) => (OpCode::GetData.code(), 0),
            MultiResult::Error(e) => (OpCode::Error.code(), *e),
        };
        MultiHeader {
            r#type: t,
            done: false,
            err,
        }
    }
}

/// `MultiResponse`: the body of a multi or multiRead reply.
#[derive(Debug, Clone, PartialEq, Eq, Default, Hash)]
pub struct MultiResponse {
    pub results: Vec<MultiResult>,
}

impl Jute for MultiResponse {
    const MIN_LEN: usize = 9;

    fn write_to<B: BufMut>(&self, out: &mut B) {
        for res in &self.results {
            res.header().write_to(out);
            match res {
                MultiResult::Create(r) => r.write_to(out),
                MultiResult::Create2(r) => r.write_to(out),
                MultiResult::Delete | MultiResult::Check => {}
                MultiResult::SetData(r) => r.write_to(out),
                MultiResult::GetChildren(r) => r.write_to(out),
                MultiResult::GetData(r) => r.write_to(out),
                MultiResult::Error(e) => ErrorResponse { err: *e }.write_to(out),
            }
        }
        end_marker().write_to(out);
    }

    fn read_from(r: &mut JuteReader<'_>) -> Result<Self, DecodeError> {
        let mut results = Vec::new();
        loop {
            let h = MultiHeader::read_from(r)?;
            if h.done {
                return Ok(MultiResponse { results });
            }
            let res = match OpCode::from_i32(h.r#type) {
                Some(OpCode::Create) => MultiResult::Create(Jute::read_from(r)?),
                Some(OpCode::Create2) => MultiResult::Create2(Jute::read_from(r)?),
                Some(OpCode::Delete) => MultiResult::Delete,
                Some(OpCode::SetData) => MultiResult::SetData(Jute::read_from(r)?),
                Some(OpCode::Check) => MultiResult::Check,
                Some(OpCode::GetChildren) => MultiResult::GetChildren(Jute::read_from(r)?),
                Some(OpCode::GetData) => MultiResult::GetData(Jute::read_from(r)?),
                Some(OpCode::Error) => MultiResult::Error(ErrorResponse::read_from(r)?.err),
                _ => {
                    return Err(DecodeError::InvalidValue {
                        what: "multi result type",
                        value: i64::from(h.r#type),
                    })
                }
            };
            results.push(res);
        }
    }
}

#[cfg(feature = "arbitrary")]
mod arb_impls {
    use super::*;
    use crate::arb::Arb;
    use arbitrary::{Arbitrary, Result, Unstructured};

    impl<'a> Arbitrary<'a> for MultiOp {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(match u.int_in_range(0..=8u8)? {
                0 => MultiOp::Create(Arb::arb(u)?),
                1 => MultiOp::Create2(Arb::arb(u)?),
                2 => MultiOp::CreateContainer(Arb::arb(u)?),
                3 => MultiOp::CreateTtl(Arb::arb(u)?),
                4 => MultiOp::Delete(Arb::arb(u)?),
                5 => MultiOp::SetData(Arb::arb(u)?),
                6 => MultiOp::Check(Arb::arb(u)?),
                7 => MultiOp::GetChildren(Arb::arb(u)?),
                _ => MultiOp::GetData(Arb::arb(u)?),
            })
        }
    }
    impl Arb for MultiOp {
        fn arb(u: &mut Unstructured<'_>) -> Result<Self> {
            <Self as Arbitrary>::arbitrary(u)
        }
    }
    impl<'a> Arbitrary<'a> for MultiRequest {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(MultiRequest { ops: Arb::arb(u)? })
        }
    }
    impl<'a> Arbitrary<'a> for MultiResult {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(match u.int_in_range(0..=7u8)? {
                0 => MultiResult::Create(Arb::arb(u)?),
                1 => MultiResult::Create2(Arb::arb(u)?),
                2 => MultiResult::Delete,
                3 => MultiResult::SetData(Arb::arb(u)?),
                4 => MultiResult::Check,
                5 => MultiResult::GetChildren(Arb::arb(u)?),
                6 => MultiResult::GetData(Arb::arb(u)?),
                _ => MultiResult::Error(Arb::arb(u)?),
            })
        }
    }
    impl Arb for MultiResult {
        fn arb(u: &mut Unstructured<'_>) -> Result<Self> {
            <Self as Arbitrary>::arbitrary(u)
        }
    }
    impl<'a> Arbitrary<'a> for MultiResponse {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(MultiResponse {
                results: Arb::arb(u)?,
            })
        }
    }
}
