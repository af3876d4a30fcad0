//! [`ProcessTxnResult`]: what applying one txn produced (`DataTree.ProcessTxnResult`).

use zkrs_jute::{ErrorCode, Stat};

/// The outcome of [`crate::DataTree::process_txn`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ProcessTxnResult {
    /// The txn header's session id.
    pub client_id: i64,
    /// The txn header's cxid.
    pub cxid: i32,
    /// The txn's zxid (all sub-txns of a multi share it).
    pub zxid: i64,
    /// The txn type (`OpCode`); a sub-txn of a failed multi has type -1 (error).
    pub r#type: i32,
    /// 0, or the error code. For an error txn it is the code the txn carries. For a multi it is the
    /// first non-zero error of its sub-results (the reply header of a multi still says 0; the
    /// per-op codes are in [`ProcessTxnResult::multi_results`]).
    pub err: i32,
    /// The path of the txn; empty where ZooKeeper leaves it null (error txns, session txns, multi).
    pub path: String,
    /// The node's client stat after the change, for create2/createTTL/createContainer (not plain
    /// create), setData and setACL.
    pub stat: Option<Stat>,
    /// For a multi: one result per sub-txn, in order (empty otherwise).
    pub multi_results: Vec<ProcessTxnResult>,
}

impl ProcessTxnResult {
    /// `err` as an [`ErrorCode`] (`None` for 0 or an unknown value).
    pub fn error(&self) -> Option<ErrorCode> {
        if self.err == 0 {
            None
        } else {
            ErrorCode::from_i32(self.err)
        }
    }
}
