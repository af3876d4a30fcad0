//! Special xids used by the Java client (`ClientCnxn`) and the server.

/// Server-to-client watch notification.
pub const NOTIFICATION: i32 = -1;
/// Ping request; the server always answers with this xid.
pub const PING: i32 = -2;
/// Auth packet (`OpCode::Auth`).
pub const AUTH: i32 = -4;
/// setWatches / setWatches2 sent on reconnect.
pub const SET_WATCHES: i32 = -8;
