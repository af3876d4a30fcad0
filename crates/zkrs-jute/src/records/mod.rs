//! The records of `zookeeper.jute` (ZooKeeper 3.9), one file per Jute module.
//!
//! Field names are the Jute names in snake_case; each struct names its Java class.
//! `ConnectRequest`/`ConnectResponse` are hand-written in `crate::connect` because of the optional
//! trailing `readOnly` byte.

pub mod data;
pub mod persistence;
pub mod proto;
pub mod quorum;
pub mod txn;
