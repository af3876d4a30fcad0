//! [`CliError`]: a failed command, with the message zkCli prints on stderr and its exit code;
//! and [`KeeperError`], a server error code with the path Java's `KeeperException` carries.

use zkrs_jute::ErrorCode;

/// `KeeperException`: an error code and the client path (may be empty).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeeperError {
    pub code: i32,
    pub path: Option<String>,
}

/// `KeeperException.getCodeMessage` as of 3.8.0.
pub fn code_message(code: i32) -> String {
    let Some(c) = ErrorCode::from_i32(code) else {
        return format!("Unknown error {code}");
    };
    match c {
        ErrorCode::NewConfigNoQuorum => "NewConfigNoQuorum".to_string(),
        ErrorCode::ReconfigInProgress => "ReconfigInProgress".to_string(),
        ErrorCode::UnknownSession => "Unknown error UNKNOWNSESSION".to_string(),
        ErrorCode::RequestTimeout => "Unknown error REQUESTTIMEOUT".to_string(),
        other => other.message().to_string(),
    }
}

impl KeeperError {
    /// An error for `path`.
    pub fn new(code: i32, path: &str) -> Self {
        KeeperError {
            code,
            path: Some(path.to_string()),
        }
    }

    /// An error without a path.
    pub fn bare(code: i32) -> Self {
        KeeperError { code, path: None }
    }

    /// `KeeperException.getMessage()`.
    pub fn message(&self) -> String {
        match self.path.as_deref() {
            None | Some("") => format!("KeeperErrorCode = {}", code_message(self.code)),
            Some(p) => format!("KeeperErrorCode = {} for {p}", code_message(self.code)),
        }
    }

    /// `CliWrapperException`'s message for this error.
    pub fn wrapper_message(&self) -> String {
        let p = self.path.clone().unwrap_or_else(|| "null".to_string());
        let Some(c) = ErrorCode::from_i32(self.code) else {
            return self.message();
        };
        match c {
            ErrorCode::NoNode => format!("Node does not exist: {p}"),
            ErrorCode::NoChildrenForEphemerals => format!("Ephemerals cannot have children: {p}"),
            ErrorCode::NodeExists => format!("Node already exists: {p}"),
            ErrorCode::NotEmpty => format!("Node not empty: {p}"),
            ErrorCode::NotReadOnly => format!("Not a read-only call: {p}"),
            ErrorCode::InvalidAcl => format!("Acl is not valid : {p}"),
            ErrorCode::NoAuth => format!("Insufficient permission : {p}"),
            ErrorCode::BadArguments => format!("Arguments are not valid : {p}"),
            ErrorCode::BadVersion => format!("version No is not valid : {p}"),
            ErrorCode::ReconfigInProgress => {
                "Another reconfiguration is in progress -- concurrent reconfigs not supported (yet)"
                    .to_string()
            }
            ErrorCode::NewConfigNoQuorum => "No quorum of new config is connected and up-to-date with the leader of last committed config - try invoking reconfiguration after new servers are connected and synced".to_string(),
            ErrorCode::QuotaExceeded => format!("Quota has exceeded : {p}"),
            _ => self.message(),
        }
    }
}

/// A `CliException`: printed on stderr, sets the exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CliError {
    pub message: String,
    pub exit_code: u8,
}

impl CliError {
    /// A `CliException` with exit code 1 (`MalformedCommandException`, `CliParseException`, ...).
    pub fn msg(message: impl Into<String>) -> Self {
        CliError {
            message: message.into(),
            exit_code: 1,
        }
    }
}

impl From<KeeperError> for CliError {
    /// `CliWrapperException`.
    fn from(e: KeeperError) -> Self {
        CliError::msg(e.wrapper_message())
    }
}

/// What a command step can fail with: a server error (still to be wrapped by the command) or an
/// `IllegalArgumentException` (usually a path check; commands turn it into
/// `MalformedPathException`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpError {
    Keeper(KeeperError),
    Illegal(String),
}

impl From<KeeperError> for OpError {
    fn from(e: KeeperError) -> Self {
        OpError::Keeper(e)
    }
}

impl From<OpError> for CliError {
    fn from(e: OpError) -> Self {
        match e {
            OpError::Keeper(k) => k.into(),
            OpError::Illegal(m) => CliError::msg(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages() {
        assert_eq!(
            KeeperError::new(-101, "/a").wrapper_message(),
            "Node does not exist: /a"
        );
        assert_eq!(
            KeeperError::new(-121, "/a").message(),
            "KeeperErrorCode = No such watcher for /a"
        );
        assert_eq!(
            KeeperError::bare(-114).wrapper_message(),
            "Acl is not valid : null"
        );
        assert_eq!(
            KeeperError::new(-4, "/a").wrapper_message(),
            "KeeperErrorCode = ConnectionLoss for /a"
        );
    }
}
