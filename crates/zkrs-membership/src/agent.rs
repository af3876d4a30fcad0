//! [`MembershipAgent`]: a member that adds itself to the ensemble once synced and removes
//! itself before it stops for good (see the crate documentation for the rules).

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::time::Instant;
use zkrs_config::{QuorumVerifier, ZooCfg};

use crate::client::{ClientError, ZkClient};

/// `/zookeeper/config`.
const CONFIG_NODE: &str = "/zookeeper/config";
/// The state file's name in `dataDir`.
pub const STATE_FILE: &str = "zkrs-membership";
/// How long one client call may take.
const CALL_TIMEOUT: Duration = Duration::from_secs(10);
/// Between two attempts.
const RETRY_MIN: Duration = Duration::from_millis(300);
const RETRY_MAX: Duration = Duration::from_secs(3);
/// BADVERSION, RECONFIGINPROGRESS, NEWCONFIGNOQUORUM: another change won, or the ensemble is
/// not ready; read again and retry.
const RETRYABLE: [i32; 3] = [-103, -14, -13];

/// Where the member stands (`<dataDir>/zkrs-membership`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MembershipState {
    /// Not added yet (no file).
    New,
    /// A voter: it saw itself in an activated configuration.
    Joined,
    /// Removed, by itself or by an operator: it never adds itself again.
    Removed,
}

/// The settings (`zkrs.autoMembership*` in zoo.cfg).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoMembership {
    pub my_id: u64,
    /// This member's `server.N=...` line as ZooKeeper writes it.
    pub my_spec: String,
    /// This member's client address (`host:port`): it asks through itself once it serves.
    pub own_client: String,
    /// `zkrs.autoMembership.ensemble`: client addresses of the live ensemble, read at the
    /// first start.
    pub ensemble: Vec<String>,
    /// `super:<password>` from `zkrs.autoMembership.superPasswordFile`; none when the
    /// ensemble runs with `skipACL`.
    pub super_auth: Option<String>,
    /// `<dataDir>/zkrs-membership`.
    pub state_file: PathBuf,
}

impl AutoMembership {
    /// The settings of a parsed zoo.cfg, `None` unless `zkrs.autoMembership=true`. Errors
    /// name what is missing.
    pub fn from_zoo_cfg(cfg: &ZooCfg) -> Result<Option<AutoMembership>, String> {
        if !cfg.system_properties.get_bool("zkrs.autoMembership", false) {
            return Ok(None);
        }
        Self::settings_of(cfg).map(Some)
    }

    /// The settings of a quorum member's zoo.cfg whether or not `zkrs.autoMembership` is on
    /// (`zkrs leave` works for any member).
    pub fn settings_of(cfg: &ZooCfg) -> Result<AutoMembership, String> {
        let props = &cfg.system_properties;
        if !cfg.reconfig_enabled {
            return Err("zkrs.autoMembership needs reconfigEnabled=true".into());
        }
        let my_id = cfg
            .server_id()
            .ok_or("zkrs.autoMembership needs a quorum member (myid)")?;
        let me = cfg
            .this_server()
            .ok_or("zkrs.autoMembership needs this member's server.N line")?;
        let client = me
            .client_addr
            .clone()
            .or_else(|| cfg.client_port_address.clone())
            .ok_or("zkrs.autoMembership needs this member's client port")?;
        let host = if client.host == zkrs_config::WILDCARD_HOST {
            "127.0.0.1".to_owned()
        } else {
            client.host.clone()
        };
        let mut spec_server = me.clone();
        spec_server.client_addr = Some(client.clone());
        spec_server.client_addr_from_static = false;
        let ensemble = props
            .get("zkrs.autoMembership.ensemble")
            .map(|s| {
                s.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let super_auth = match props.get("zkrs.autoMembership.superPasswordFile") {
            Some(path) => {
                let pw = std::fs::read_to_string(path)
                    .map_err(|e| format!("zkrs.autoMembership.superPasswordFile {path}: {e}"))?;
                Some(format!("super:{}", pw.trim_end_matches(['\n', '\r'])))
            }
            None => None,
        };
        Ok(AutoMembership {
            my_id,
            my_spec: format!("server.{my_id}={spec_server}"),
            own_client: format!("{host}:{}", client.port),
            ensemble,
            super_auth,
            state_file: cfg.data_dir.join(STATE_FILE),
        })
    }
}

/// Joins and leaves; see the crate documentation.
#[derive(Debug, Clone)]
pub struct MembershipAgent {
    cfg: AutoMembership,
}

/// Whether `sid` is a participant of the configuration text.
fn is_voter(text: &str, sid: u64) -> bool {
    QuorumVerifier::parse(text, CONFIG_NODE, true)
        .ok()
        .and_then(|qv| qv.servers().get(&sid).map(|s| s.is_participant()))
        .unwrap_or(false)
}

fn version_of(text: &str) -> Option<i64> {
    QuorumVerifier::parse(text, CONFIG_NODE, true)
        .ok()
        .map(|qv| qv.version())
}

/// A pause between `RETRY_MIN` and `RETRY_MAX`, varied so concurrent members spread out.
fn backoff(attempt: u32, salt: u64) -> Duration {
    let base = RETRY_MIN.as_millis() as u64 * u64::from(attempt.min(4) + 1);
    let jitter = (salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 54) % 400;
    Duration::from_millis((base + jitter).min(RETRY_MAX.as_millis() as u64))
}

impl MembershipAgent {
    pub fn new(cfg: AutoMembership) -> MembershipAgent {
        MembershipAgent { cfg }
    }

    pub fn settings(&self) -> &AutoMembership {
        &self.cfg
    }

    /// The recorded state.
    pub fn state(&self) -> MembershipState {
        match std::fs::read_to_string(&self.cfg.state_file) {
            Ok(s) if s.trim() == "joined" => MembershipState::Joined,
            Ok(s) if s.trim() == "removed" => MembershipState::Removed,
            _ => MembershipState::New,
        }
    }

    fn set_state(&self, state: MembershipState) {
        let text = match state {
            MembershipState::New => return,
            MembershipState::Joined => "joined\n",
            MembershipState::Removed => "removed\n",
        };
        let tmp = self.cfg.state_file.with_extension("tmp");
        let written = std::fs::write(&tmp, text)
            .and_then(|()| std::fs::File::open(&tmp).and_then(|f| f.sync_all()))
            .and_then(|()| std::fs::rename(&tmp, &self.cfg.state_file));
        match written {
            Ok(()) => tracing::info!("membership: {}", text.trim()),
            Err(e) => tracing::warn!("membership: writing {}: {e}", self.cfg.state_file.display()),
        }
    }

    /// Before the first start of a fresh member: the ensemble's configuration plus this
    /// member's line at version 0, the text of its first dynamic config file (`None` when the
    /// member was added or removed before, or no ensemble address answers).
    pub async fn bootstrap_config(&self) -> Option<String> {
        if self.state() != MembershipState::New || self.cfg.ensemble.is_empty() {
            return None;
        }
        for addr in &self.cfg.ensemble {
            let text = match self.read_config_at(addr).await {
                Ok(t) => t,
                Err(e) => {
                    tracing::warn!("membership: reading the configuration from {addr}: {e}");
                    continue;
                }
            };
            let prefix = format!("server.{}=", self.cfg.my_id);
            let mut lines: Vec<String> = text
                .lines()
                .filter(|l| l.starts_with("server.") && !l.starts_with(&prefix))
                .map(str::to_owned)
                .collect();
            lines.push(self.cfg.my_spec.clone());
            lines.sort();
            return Some(lines.join("\n"));
        }
        None
    }

    async fn connect(&self, addr: &str) -> Result<ZkClient, ClientError> {
        let mut c = ZkClient::connect(addr, 10_000, CALL_TIMEOUT).await?;
        if let Some(auth) = &self.cfg.super_auth {
            c.add_digest_auth(auth).await?;
        }
        Ok(c)
    }

    async fn read_config_at(&self, addr: &str) -> Result<String, ClientError> {
        let mut c = self.connect(addr).await?;
        let r = c.get_data(CONFIG_NODE).await;
        c.close().await;
        Ok(String::from_utf8_lossy(&r?.0).into_owned())
    }

    /// Runs until the member is a voter (then watches for its removal) or was removed; never
    /// returns early otherwise. Asks through the member's own client port, which answers only
    /// once the member is synced.
    pub async fn run_join(&self) {
        let mut attempt: u32 = 0;
        loop {
            tokio::time::sleep(backoff(attempt, self.cfg.my_id ^ u64::from(attempt))).await;
            attempt = attempt.saturating_add(1);
            let state = self.state();
            if state == MembershipState::Removed {
                tracing::info!("membership: removed earlier; not adding this member again");
                return;
            }
            let mut c = match self.connect(&self.cfg.own_client).await {
                Ok(c) => c,
                Err(_) => continue, // not serving yet
            };
            let text = match c.get_data(CONFIG_NODE).await {
                Ok((data, _)) => String::from_utf8_lossy(&data).into_owned(),
                Err(_) => {
                    c.close().await;
                    continue;
                }
            };
            let voter = is_voter(&text, self.cfg.my_id);
            match (state, voter) {
                (MembershipState::Joined, true) => {
                    c.close().await;
                    attempt = 3; // watching: a few seconds apart
                    continue;
                }
                (MembershipState::Joined, false) => {
                    c.close().await;
                    tracing::info!("membership: this member was removed from the ensemble");
                    self.set_state(MembershipState::Removed);
                    return;
                }
                (_, true) => {
                    c.close().await;
                    self.set_state(MembershipState::Joined);
                    continue;
                }
                (_, false) => {}
            }
            let Some(version) = version_of(&text) else {
                c.close().await;
                continue;
            };
            tracing::info!(
                "membership: synced; asking to join configuration 0x{version:x} as {}",
                self.cfg.my_spec
            );
            match c.reconfig(Some(&self.cfg.my_spec), None, version).await {
                Ok(new) if is_voter(&new, self.cfg.my_id) => {
                    self.set_state(MembershipState::Joined);
                    attempt = 0;
                }
                Ok(_) => {}
                Err(ClientError::Keeper(e)) if RETRYABLE.contains(&e) => {
                    tracing::info!("membership: join refused ({e}); retrying");
                }
                Err(e) => tracing::warn!("membership: join: {e}"),
            }
            c.close().await;
        }
    }

    /// Removes this member from the ensemble (asking through its own client port, or the
    /// ensemble's), retrying until `deadline`. Ok once an activated configuration no longer
    /// has it as a voter.
    pub async fn leave(&self, deadline: Duration) -> Result<(), String> {
        let until = Instant::now() + deadline;
        let mut attempt: u32 = 0;
        let mut addrs = vec![self.cfg.own_client.clone()];
        addrs.extend(self.cfg.ensemble.iter().cloned());
        let mut last_error = String::from("no attempt");
        while Instant::now() < until {
            let addr = &addrs[attempt as usize % addrs.len()];
            attempt = attempt.saturating_add(1);
            match self.try_leave(addr).await {
                Ok(true) => {
                    self.set_state(MembershipState::Removed);
                    return Ok(());
                }
                Ok(false) => {}
                Err(e) => last_error = format!("{addr}: {e}"),
            }
            tokio::time::sleep(backoff(
                attempt,
                self.cfg.my_id.wrapping_add(u64::from(attempt)),
            ))
            .await;
        }
        Err(format!("still a voter after {deadline:?} ({last_error})"))
    }

    /// One attempt: `Ok(true)` if the member is out.
    async fn try_leave(&self, addr: &str) -> Result<bool, ClientError> {
        let mut c = self.connect(addr).await?;
        let result = async {
            let (data, _) = c.get_data(CONFIG_NODE).await?;
            let text = String::from_utf8_lossy(&data).into_owned();
            if !is_voter(&text, self.cfg.my_id) {
                return Ok(true);
            }
            let version = version_of(&text)
                .ok_or_else(|| ClientError::Malformed("configuration without a version".into()))?;
            tracing::info!("membership: asking to leave configuration 0x{version:x}");
            match c
                .reconfig(None, Some(&self.cfg.my_id.to_string()), version)
                .await
            {
                Ok(new) => Ok(!is_voter(&new, self.cfg.my_id)),
                Err(ClientError::Keeper(e)) if RETRYABLE.contains(&e) => Ok(false),
                Err(e) => Err(e),
            }
        }
        .await;
        c.close().await;
        result
    }
}

/// `<config>.dynamic.0`: where a bootstrapped member's first configuration goes.
pub fn bootstrap_path(config_file: &Path) -> PathBuf {
    let mut name = config_file.as_os_str().to_owned();
    name.push(".dynamic.0");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const THREE: &str = "server.1=127.0.0.1:2888:3888:participant;0.0.0.0:2181\n\
                         server.2=127.0.0.2:2888:3888:participant;0.0.0.0:2181\n\
                         server.3=127.0.0.3:2888:3888:observer;0.0.0.0:2181\n\
                         version=100000000";

    #[test]
    fn voters_and_versions() {
        assert!(is_voter(THREE, 1));
        assert!(!is_voter(THREE, 3), "an observer does not vote");
        assert!(!is_voter(THREE, 4));
        assert!(!is_voter("garbage", 1));
        assert_eq!(version_of(THREE), Some(0x1_0000_0000));
    }

    #[test]
    fn backoff_is_bounded_and_spread() {
        for attempt in 0..20 {
            for salt in 0..50 {
                let d = backoff(attempt, salt);
                assert!(d >= RETRY_MIN && d <= RETRY_MAX, "{d:?}");
            }
        }
        let spread: std::collections::BTreeSet<_> = (0..50).map(|s| backoff(0, s)).collect();
        assert!(spread.len() > 5);
    }

    fn settings(dir: &Path) -> AutoMembership {
        let data = dir.join("data");
        std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(data.join("myid"), "4\n").unwrap_or_else(|e| panic!("{e}"));
        let pw = dir.join("pw");
        std::fs::write(&pw, "secret\n").unwrap_or_else(|e| panic!("{e}"));
        let cfg_path = dir.join("zoo.cfg");
        std::fs::write(
            &cfg_path,
            format!(
                "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir={}\nreconfigEnabled=true\n\
                 standaloneEnabled=false\nzkrs.autoMembership=true\n\
                 zkrs.autoMembership.ensemble=127.0.0.1:2181, 127.0.0.2:2181\n\
                 zkrs.autoMembership.superPasswordFile={}\n\
                 server.4=127.0.0.4:2888:3888;2181\n",
                data.display(),
                pw.display()
            ),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let cfg = ZooCfg::load(&cfg_path).unwrap_or_else(|e| panic!("{e}"));
        AutoMembership::from_zoo_cfg(&cfg)
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("enabled"))
    }

    #[test]
    fn settings_from_zoo_cfg_and_state_file() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let s = settings(dir.path());
        assert_eq!(s.my_id, 4);
        assert_eq!(
            s.my_spec,
            "server.4=127.0.0.4:2888:3888:participant;0.0.0.0:2181"
        );
        assert_eq!(s.own_client, "127.0.0.1:2181");
        assert_eq!(s.ensemble, vec!["127.0.0.1:2181", "127.0.0.2:2181"]);
        assert_eq!(s.super_auth.as_deref(), Some("super:secret"));
        let agent = MembershipAgent::new(s);
        assert_eq!(agent.state(), MembershipState::New);
        agent.set_state(MembershipState::Joined);
        assert_eq!(agent.state(), MembershipState::Joined);
        agent.set_state(MembershipState::Removed);
        assert_eq!(agent.state(), MembershipState::Removed);
        assert_eq!(
            bootstrap_path(Path::new("/conf/zoo.cfg")),
            PathBuf::from("/conf/zoo.cfg.dynamic.0")
        );
    }

    #[tokio::test]
    async fn a_removed_member_never_joins_again() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let agent = MembershipAgent::new(settings(dir.path()));
        agent.set_state(MembershipState::Removed);
        assert_eq!(agent.bootstrap_config().await, None);
        // run_join returns at once instead of asking to join.
        tokio::time::timeout(Duration::from_secs(10), agent.run_join())
            .await
            .unwrap_or_else(|_| panic!("run_join went on for a removed member"));
    }

    #[test]
    fn off_by_default() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let cfg_path = dir.path().join("zoo.cfg");
        std::fs::write(&cfg_path, "tickTime=2000\ndataDir=/tmp\nclientPort=2181\n")
            .unwrap_or_else(|e| panic!("{e}"));
        let cfg = ZooCfg::load(&cfg_path).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(AutoMembership::from_zoo_cfg(&cfg), Ok(None));
    }
}
