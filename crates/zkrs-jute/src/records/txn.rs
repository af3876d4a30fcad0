//! Module `org.apache.zookeeper.txn`: the records written to the txn log and sent in PROPOSALs.

use bytes::Bytes;

use super::data::Acl;
use crate::jute_record;

jute_record! {
    /// `TxnDigest` (3.6+): the data-tree digest appended after a txn.
    pub struct TxnDigest {
        pub version: i32,
        pub tree_digest: i64,
    }

    /// `TxnHeader`: 32 bytes in front of every txn.
    pub struct TxnHeader {
        pub client_id: i64,
        pub cxid: i32,
        pub zxid: i64,
        pub time: i64,
        pub r#type: i32,
    }

    /// `CreateTxnV0`: a create without parentCVersion, still accepted when reading old logs.
    pub struct CreateTxnV0 {
        pub path: String,
        pub data: Option<Bytes>,
        pub acl: Vec<Acl>,
        pub ephemeral: bool,
    }

    /// `CreateTxn`.
    pub struct CreateTxn {
        pub path: String,
        pub data: Option<Bytes>,
        pub acl: Vec<Acl>,
        pub ephemeral: bool,
        pub parent_c_version: i32,
    }

    /// `CreateTTLTxn` (3.5.3+).
    pub struct CreateTtlTxn {
        pub path: String,
        pub data: Option<Bytes>,
        pub acl: Vec<Acl>,
        pub parent_c_version: i32,
        pub ttl: i64,
    }

    /// `CreateContainerTxn` (3.5.1+).
    pub struct CreateContainerTxn {
        pub path: String,
        pub data: Option<Bytes>,
        pub acl: Vec<Acl>,
        pub parent_c_version: i32,
    }

    /// `DeleteTxn`, also used by deleteContainer.
    pub struct DeleteTxn {
        pub path: String,
    }

    /// `SetDataTxn`, also used by reconfig (on `/zookeeper/config`).
    pub struct SetDataTxn {
        pub path: String,
        pub data: Option<Bytes>,
        pub version: i32,
    }

    /// `CheckVersionTxn` (inside a multi).
    pub struct CheckVersionTxn {
        pub path: String,
        pub version: i32,
    }

    /// `SetACLTxn`.
    pub struct SetAclTxn {
        pub path: String,
        pub acl: Vec<Acl>,
        pub version: i32,
    }

    /// `SetMaxChildrenTxn` (unused by ZooKeeper; kept for completeness).
    pub struct SetMaxChildrenTxn {
        pub path: String,
        pub max: i32,
    }

    /// `CreateSessionTxn`.
    pub struct CreateSessionTxn {
        pub time_out: i32,
    }

    /// `CloseSessionTxn` (3.6+): the ephemerals deleted with the session.
    pub struct CloseSessionTxn {
        pub paths2_delete: Vec<String>,
    }

    /// `ErrorTxn`: a failed write still consumes a zxid and is logged as this.
    pub struct ErrorTxn {
        pub err: i32,
    }

    /// `Txn`: one serialized sub-txn of a multi.
    pub struct Txn {
        pub r#type: i32,
        pub data: Bytes,
    }

    /// `MultiTxn`.
    pub struct MultiTxn {
        pub txns: Vec<Txn>,
    }
}
