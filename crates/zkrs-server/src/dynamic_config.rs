//! [`DynamicConfigFiles`]: the configuration files a member with `reconfigEnabled` writes, as
//! ZooKeeper's `QuorumPeer` names and fills them.
//!
//! - `<zoo.cfg>.bak`: a copy of the static file, made at start-up while the membership is still
//!   inline in it (`QuorumPeerConfig.backupOldConfig`).
//! - `<zoo.cfg>.dynamic.next`: a proposed configuration, with its `version=` line
//!   (`setLastSeenQuorumVerifier`); removed once that version is activated.
//! - `<zoo.cfg>.dynamic.<hex version>`: an activated configuration, without the version line
//!   (the name carries it); zoo.cfg is then rewritten without its membership and with
//!   `dynamicConfigFile=` naming it (`setQuorumVerifier`, `editStaticConfig`). A restart reads
//!   the last activated configuration from there, and the `.next` one if present.
//!
//! Every file is written to a temporary name, synced and renamed over the old one, so a crash
//! leaves the old or the new file, never a torn one.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use zkrs_config::QuorumVerifier;

/// The config files of a member whose static config is `config_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DynamicConfigFiles {
    config_file: PathBuf,
}

/// `<path><suffix>`.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Writes `bytes` to `path` through a synced temporary file and a rename.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = with_suffix(path, ".tmp");
    {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // The rename is durable once the directory is.
        if let Ok(d) = fs::File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(())
}

impl DynamicConfigFiles {
    /// The files next to `config_file` (zoo.cfg, as the server was started with it).
    pub fn new(config_file: PathBuf) -> DynamicConfigFiles {
        DynamicConfigFiles { config_file }
    }

    /// `<zoo.cfg>.dynamic.<hex version>`.
    pub fn dynamic_path(&self, version: i64) -> PathBuf {
        with_suffix(&self.config_file, &format!(".dynamic.{version:x}"))
    }

    /// `<zoo.cfg>.dynamic.next`.
    pub fn next_path(&self) -> PathBuf {
        with_suffix(&self.config_file, ".dynamic.next")
    }

    /// `<zoo.cfg>.bak`: a copy of the static file as it is now.
    pub fn backup_static(&self) -> io::Result<()> {
        let bytes = fs::read(&self.config_file)?;
        write_atomically(&with_suffix(&self.config_file, ".bak"), &bytes)
    }

    /// Writes the proposed configuration `qv` to `.dynamic.next`.
    pub fn write_next(&self, qv: &QuorumVerifier) -> io::Result<()> {
        write_atomically(&self.next_path(), qv.dynamic_file_text(true).as_bytes())
    }

    /// Activates `qv`: writes `.dynamic.<version>`, rewrites zoo.cfg to point at it (dropping
    /// `clientPort`/`clientPortAddress` when this member's client address is in `qv`), and
    /// removes `.dynamic.next` if `drop_next`.
    pub fn activate(&self, qv: &QuorumVerifier, my_id: u64, drop_next: bool) -> io::Result<()> {
        let dynamic = self.dynamic_path(qv.version());
        write_atomically(&dynamic, qv.dynamic_file_text(false).as_bytes())?;
        let text = fs::read(&self.config_file)?;
        let text = String::from_utf8_lossy(&text);
        let erase_client = qv
            .servers()
            .get(&my_id)
            .is_some_and(|s| s.serialized_client_addr().is_some());
        // ZooKeeper writes the dynamic file's canonical path, even for a relative zoo.cfg.
        let named = fs::canonicalize(&dynamic).unwrap_or(dynamic);
        let edited = zkrs_config::edit_static_config(&text, &named.to_string_lossy(), erase_client);
        write_atomically(&self.config_file, edited.as_bytes())?;
        if drop_next {
            match fs::remove_file(self.next_path()) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("zkrs-dyncfg-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    #[test]
    fn next_then_activate() {
        let dir = temp_dir("activate");
        let cfg = dir.join("zoo.cfg");
        fs::write(
            &cfg,
            "tickTime=2000\nclientPort=2181\nreconfigEnabled=true\ninitLimit=5\nsyncLimit=2\ndataDir=/tmp/zkrs-dyncfg\n\
             server.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.2:2888:3888;2181\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let files = DynamicConfigFiles::new(cfg.clone());
        files.backup_static().unwrap_or_else(|e| panic!("{e}"));
        let qv = QuorumVerifier::parse(
            "server.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.2:2888:3888;2181\n\
             version=100000000",
            "qv",
            false,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        files.write_next(&qv).unwrap_or_else(|e| panic!("{e}"));
        let next = fs::read_to_string(files.next_path()).unwrap_or_default();
        assert!(next.ends_with("version=100000000"), "{next}");
        files
            .activate(&qv, 1, true)
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(!files.next_path().exists());
        let dynamic = fs::read_to_string(dir.join("zoo.cfg.dynamic.100000000")).unwrap_or_default();
        assert_eq!(
            dynamic,
            "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n\
             server.2=127.0.0.2:2888:3888:participant;0.0.0.0:2181"
        );
        let rewritten = fs::read_to_string(&cfg).unwrap_or_default();
        assert_eq!(
            rewritten,
            format!(
                "tickTime=2000\nreconfigEnabled=true\ninitLimit=5\nsyncLimit=2\ndataDir=/tmp/zkrs-dyncfg\n\
                 dynamicConfigFile={}\n",
                fs::canonicalize(dir.join("zoo.cfg.dynamic.100000000"))
                    .unwrap_or_default()
                    .display()
            )
        );
        assert!(dir.join("zoo.cfg.bak").exists());
        // zoo.cfg now parses with the same membership.
        let parsed = zkrs_config::ZooCfg::parse_file(&cfg).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parsed.quorum_verifier.version(), 0x1_0000_0000);
        assert_eq!(parsed.quorum_verifier.servers(), qv.servers());
        let _ = fs::remove_dir_all(&dir);
    }
}
