//! The Jute wire codec and ZooKeeper's wire vocabulary.
//!
//! Jute is ZooKeeper's serialization: big-endian primitives, length-prefixed strings, buffers and
//! vectors with -1 for null, and records as their fields in order. This crate encodes and decodes
//! every record of `zookeeper.jute` (ZooKeeper 3.9) plus the hand-written pieces around them. It
//! does no I/O and depends only on `bytes`.
//!
//! # Layout
//!
//! - `reader`: [`JuteReader`], the bounds-checked cursor; every length is checked against
//!   `jute.maxbuffer` and the remaining input before any allocation.
//! - `record`: the [`Jute`] trait, primitive impls and the [`jute_record!`] macro.
//! - `records`: the declared records, one module per Jute module (data, proto, quorum,
//!   persistence, txn).
//! - `connect`: ConnectRequest/ConnectResponse with the optional trailing `readOnly` byte.
//! - `multi`: MultiOperationRecord / MultiResponse.
//! - `request`: opcode → request record dispatch ([`Request`]).
//! - `txn_entry`: txn header + body by type + digest ([`TxnEntry`]).
//! - `frame`: the sans-IO client-port frame decoder, including four-letter words.
//! - `quorum_frame`: the sans-IO learner-port packet decoder ([`QuorumFrameDecoder`]).
//! - `opcode`, `error_code`, `xid`, `create_mode`, `watcher`, `perms`, `four_letter`,
//!   `quorum_packet_type`: the hand-written constant tables.
//! - `limits`: size limits.
//! - `zxid`: [`Zxid`], epoch and counter of a transaction id.

#![forbid(unsafe_code)]

#[cfg(feature = "arbitrary")]
#[doc(hidden)]
pub mod arb;
pub mod connect;
pub mod create_mode;
pub mod error;
pub mod error_code;
pub mod four_letter;
pub mod frame;
pub mod limits;
pub mod multi;
pub mod opcode;
pub mod perms;
pub mod quorum_frame;
pub mod quorum_packet_type;
pub mod reader;
pub mod record;
pub mod records;
pub mod request;
pub mod txn_entry;
pub mod watcher;
pub mod xid;
pub mod zxid;

#[doc(hidden)]
pub use bytes as __bytes;

pub use connect::{ConnectRequest, ConnectResponse};
pub use create_mode::CreateMode;
pub use error::DecodeError;
pub use error_code::ErrorCode;
pub use four_letter::FourLetterWord;
pub use frame::{ClientFrame, ClientFrameDecoder, FrameError};
pub use multi::{MultiOp, MultiRequest, MultiResponse, MultiResult};
pub use opcode::OpCode;
pub use quorum_frame::{encode_quorum_packet, QuorumFrameDecoder, QuorumFrameError};
pub use quorum_packet_type::PacketType;
pub use reader::JuteReader;
pub use record::{Jute, Nullable};
pub use records::data::*;
pub use records::persistence::*;
pub use records::proto::*;
pub use records::quorum::*;
pub use records::txn::*;
pub use request::{Request, RequestDecodeError};
pub use txn_entry::{TxnBody, TxnEntry};
pub use watcher::{AddWatchMode, EventType, KeeperState, WatcherType};
pub use zxid::Zxid;
