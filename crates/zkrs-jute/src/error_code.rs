//! `KeeperException.Code`: the error codes carried in `ReplyHeader.err`, `ErrorTxn` and multi
//! results. They are reply data, not Rust errors.

macro_rules! error_codes {
    ($( $(#[$m:meta])* $name:ident = $v:expr, $text:expr; )*) => {
        /// A ZooKeeper error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(i32)]
        pub enum ErrorCode {
            $( $(#[$m])* $name = $v, )*
        }

        impl ErrorCode {
            /// Every defined code.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$name),*];

            /// The code for a wire value, or `None` for one ZooKeeper does not define.
            pub fn from_i32(v: i32) -> Option<ErrorCode> {
                match v {
                    $( $v => Some(ErrorCode::$name), )*
                    _ => None,
                }
            }

            /// The message `KeeperException.getCodeMessage` gives (used in logs and zkCli output).
            pub fn message(self) -> &'static str {
                match self {
                    $( ErrorCode::$name => $text, )*
                }
            }
        }
    };
}

error_codes! {
    Ok = 0, "ok";
    SystemError = -1, "SystemError";
    RuntimeInconsistency = -2, "RuntimeInconsistency";
    DataInconsistency = -3, "DataInconsistency";
    ConnectionLoss = -4, "ConnectionLoss";
    MarshallingError = -5, "MarshallingError";
    Unimplemented = -6, "Unimplemented";
    OperationTimeout = -7, "OperationTimeout";
    BadArguments = -8, "BadArguments";
    /// Internal (3.5+).
    UnknownSession = -12, "Unknown session";
    NewConfigNoQuorum = -13, "New config is not in quorum";
    ReconfigInProgress = -14, "Another reconfiguration is in progress";
    ApiError = -100, "APIError";
    NoNode = -101, "NoNode";
    NoAuth = -102, "NoAuth";
    BadVersion = -103, "BadVersion";
    NoChildrenForEphemerals = -108, "NoChildrenForEphemerals";
    NodeExists = -110, "NodeExists";
    NotEmpty = -111, "Directory not empty";
    SessionExpired = -112, "Session expired";
    InvalidCallback = -113, "Invalid callback";
    InvalidAcl = -114, "InvalidACL";
    AuthFailed = -115, "AuthFailed";
    /// Never sent as a reply: the server closes the connection instead.
    SessionMoved = -118, "Session moved";
    NotReadOnly = -119, "Not a read-only call";
    EphemeralOnLocalSession = -120, "Ephemeral node on local session";
    NoWatcher = -121, "No such watcher";
    RequestTimeout = -122, "Request timeout";
    ReconfigDisabled = -123, "Reconfig is disabled";
    SessionClosedRequireSaslAuth = -124, "Session closed because client failed to authenticate";
    QuotaExceeded = -125, "Quota has exceeded";
    ThrottledOp = -127, "Op throttled due to high load";
}

impl ErrorCode {
    /// The wire value.
    pub fn code(self) -> i32 {
        self as i32
    }
}
