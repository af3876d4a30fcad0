//! Reading `dataDir/myid`, the server id of a quorum member (`QuorumPeerConfig.setupMyId`).

use std::path::{Path, PathBuf};

use crate::error::{ConfigError, ErrorKind};
use crate::java;
use crate::location::Location;
use crate::quorum_verifier::parse_server_id;

/// The myid file of a data directory: `<dataDir>/myid`.
pub fn myid_path(data_dir: &Path) -> PathBuf {
    data_dir.join("myid")
}

/// Reads the server id from `<dataDir>/myid`.
///
/// Like ZooKeeper: only the first line counts (`BufferedReader.readLine`, so `\n`, `\r\n` and
/// `\r` end it) and it is parsed with `Long.parseLong`. zkrs also trims it (ZooKeeper rejects
/// `"1 "`), and requires a non-negative id. Errors name the myid file:
/// `/var/lib/zookeeper/myid:1: invalid server id 'x': expected a non-negative integer`.
pub fn read_myid(data_dir: &Path) -> Result<u64, ConfigError> {
    let path = myid_path(data_dir);
    let file = path.display().to_string();
    let bytes = std::fs::read(&path).map_err(|e| {
        let kind = if e.kind() == std::io::ErrorKind::NotFound {
            ErrorKind::MissingMyId
        } else {
            ErrorKind::Io {
                path: file.clone(),
                io_kind: e.kind(),
                message: e.to_string(),
            }
        };
        ConfigError::new(Location::file(&file), kind)
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let mut at_line_1 = Location::file(&file);
    at_line_1.line = Some(1);
    if text.is_empty() {
        return Err(ConfigError::new(at_line_1, ErrorKind::EmptyMyId));
    }
    let first_line = text.split(['\n', '\r']).next().unwrap_or("");
    parse_server_id(first_line).ok_or_else(|| {
        ConfigError::new(
            at_line_1,
            ErrorKind::InvalidServerId {
                value: java::trim(first_line).to_owned(),
            },
        )
    })
}
