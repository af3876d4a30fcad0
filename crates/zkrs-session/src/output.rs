//! What the core asks the driver to do.

use bytes::Bytes;
use zkrs_jute::TxnEntry;

use crate::core::ConnId;

/// One action for the driver. Outputs for one connection must be carried out in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Write a complete frame (length prefix included) to the connection.
    Send { conn: ConnId, frame: Bytes },
    /// Close the connection once everything sent before has been written.
    Close { conn: ConnId },
    /// Make this txn durable (append to the txn log and fsync), then call
    /// `ServerCore::handle_committed` with its zxid. No reply that depends on it is emitted
    /// before that call: persist-before-ack.
    Persist { entry: TxnEntry },
}
