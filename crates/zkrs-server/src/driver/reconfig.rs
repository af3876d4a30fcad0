//! The shell of dynamic reconfiguration (`QuorumPeer.setLastSeenQuorumVerifier`,
//! `processReconfig`): what a member does when its engines propose, announce or activate a
//! configuration. The engines (`zkrs_zab`) decide; this updates the election, the election
//! connections, the learner addresses, `/zookeeper/config` and the leader's view for
//! `reconfig`'s checks, and writes the config files ([`DynamicConfigFiles`]) on the quorum
//! storage thread, in order.

use std::collections::BTreeMap;

use zkrs_config::{HostPort, QuorumVerifier};
use zkrs_session::QuorumView;

use super::quorum::{QuorumStorageEvent, Role};
use super::Driver;
use crate::dynamic_config::DynamicConfigFiles;

/// What the reconfig shell needs besides the engines' configuration.
#[derive(Debug, Clone)]
pub struct ReconfigSettings {
    /// The config files, when the server was started from a file.
    pub files: Option<DynamicConfigFiles>,
    /// `standaloneEnabled`.
    pub standalone_enabled: bool,
    /// `multiAddress.enabled`.
    pub multi_address_enabled: bool,
    /// `oraclePath`.
    pub oracle_path: Option<String>,
}

impl Driver {
    /// `setLastSeenQuorumVerifier(qv, true)`: a proposed configuration.
    pub(super) fn see_config(&mut self, qv: QuorumVerifier) {
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        if !q.zab.reconfig_enabled || qv.version() <= q.zab.verifier.version() {
            return;
        }
        if q.zab
            .last_seen_verifier
            .as_ref()
            .is_some_and(|l| l.version() == qv.version())
        {
            return;
        }
        tracing::info!(
            "proposed configuration 0x{:x} ({} voters)",
            qv.version(),
            qv.voting_count()
        );
        q.zab.last_seen_verifier = Some(qv.clone());
        q.fle.set_last_seen_verifier(Some(qv.clone()));
        self.update_quorum_peers();
        self.write_config_files(ConfigWrite::Next(qv));
    }

    /// `processReconfig`: switch to `qv` if it is newer than the configuration in use (files,
    /// election, connections), and write the configuration in use into `/zookeeper/config`.
    /// A newer configuration with other members that changes this member's learner type, or
    /// whose `designated` leader is not the one it follows, sets the reconfig flag: when the
    /// role ends the member takes its new role (following the designated leader, or leading)
    /// without an election (`updateServerState`). Without a designated leader the flag is
    /// cleared (an election follows).
    pub(super) fn activate_config(&mut self, qv: QuorumVerifier, designated: Option<u64>) {
        let now = self.clock.now();
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        if !q.zab.reconfig_enabled {
            return;
        }
        let prev_observer = q.zab.observer;
        let changed_members = qv.servers() != q.zab.verifier.servers();
        if qv.version() > q.zab.verifier.version() {
            tracing::info!(
                "activating configuration 0x{:x} ({} voters, {} observers)",
                qv.version(),
                qv.voting_count(),
                qv.observing_members().count()
            );
            q.zab.verifier = qv.clone();
            if q.zab
                .last_seen_verifier
                .as_ref()
                .is_some_and(|l| l.version() <= qv.version())
            {
                q.zab.last_seen_verifier = None;
            }
            q.fle.set_verifier(qv.clone());
            q.fle
                .set_last_seen_verifier(q.zab.last_seen_verifier.clone());
            // updateLearnerType: an observer of it observes; anyone else participates.
            let observer = qv
                .servers()
                .get(&q.zab.my_id)
                .is_some_and(|s| !s.is_participant());
            if observer != q.zab.observer {
                tracing::info!(
                    "{}",
                    if observer {
                        "Becoming an observer"
                    } else {
                        "Becoming a participant"
                    }
                );
            }
            q.zab.observer = observer;
            q.fle.set_observer(observer);
            if changed_members {
                match designated {
                    Some(d) => {
                        let following = u64::try_from(q.fle.current_vote().leader).ok();
                        if following != Some(d) {
                            tracing::warn!("Suggested leader: {d}");
                            q.designated_leader = Some(d);
                            q.reconfig_flag = true;
                        }
                        if observer != prev_observer {
                            q.reconfig_flag = true;
                        }
                    }
                    None => q.reconfig_flag = false,
                }
            }
            let drop_next = q.zab.last_seen_verifier.is_none();
            self.update_quorum_peers();
            self.write_config_files(ConfigWrite::Activate { qv, drop_next });
        }
        if let Some(q) = self.quorum.as_ref() {
            let text = q.zab.verifier.to_config_string();
            self.core.activate_quorum_config(text, now);
        }
    }

    /// The election connections and learner addresses follow the current and the proposed
    /// membership (`connectNewPeers`).
    fn update_quorum_peers(&mut self) {
        let Some(q) = self.quorum.as_mut() else {
            return;
        };
        let mut election: BTreeMap<u64, Vec<HostPort>> = BTreeMap::new();
        let mut quorum: BTreeMap<u64, Vec<(String, u16)>> = BTreeMap::new();
        let members = q.zab.verifier.servers().values().chain(
            q.zab
                .last_seen_verifier
                .iter()
                .flat_map(|l| l.servers().values()),
        );
        for s in members {
            quorum.entry(s.id).or_insert_with(|| {
                s.quorum_addrs()
                    .into_iter()
                    .map(|a| (a.host, a.port))
                    .collect()
            });
            if s.id != q.zab.my_id {
                election.entry(s.id).or_insert_with(|| s.election_addrs());
            }
        }
        q.quorum_addrs = quorum;
        q.qcm.update_peers(election);
    }

    /// Queues a config file write on the quorum storage thread (after the writes asked for
    /// before it).
    fn write_config_files(&mut self, write: ConfigWrite) {
        let Some(q) = self.quorum.as_ref() else {
            return;
        };
        let Some(files) = q.reconfig.files.clone() else {
            return;
        };
        let my_id = q.zab.my_id;
        q.storage_jobs.run(
            q.role_generation,
            Box::new(move || {
                let (what, result) = match &write {
                    ConfigWrite::Next(qv) => (
                        files.next_path().display().to_string(),
                        files.write_next(qv),
                    ),
                    ConfigWrite::Activate { qv, drop_next } => (
                        files.dynamic_path(qv.version()).display().to_string(),
                        files.activate(qv, my_id, *drop_next),
                    ),
                };
                QuorumStorageEvent::ConfigWritten {
                    what,
                    error: result.err().map(|e| e.to_string()),
                }
            }),
        );
    }

    /// Keeps the core's [`QuorumView`] (what `reconfig` is checked against) in step with a
    /// serving leader; clears it otherwise.
    pub(super) fn refresh_quorum_view(&mut self) {
        let now_ms = self.clock.now().mono_ms;
        let Some(q) = self.quorum.as_ref() else {
            return;
        };
        let leader = match &q.role {
            Role::Leading(l) if l.is_serving() && q.zab.reconfig_enabled => l,
            _ => {
                if self.core.quorum_view().is_some() {
                    self.core.set_quorum_view(None);
                }
                return;
            }
        };
        let synced = leader.synced_follower_sids(now_ms);
        let version = leader.verifier().version();
        let last_seen_version = leader.pending_verifier().map_or(version, |p| p.version());
        let unchanged = self.core.quorum_view().is_some_and(|v| {
            v.verifier.version() == version
                && v.last_seen_version == last_seen_version
                && v.synced == synced
        });
        if unchanged {
            return;
        }
        let view = QuorumView {
            verifier: leader.verifier().clone(),
            last_seen_version,
            synced,
            standalone_enabled: q.reconfig.standalone_enabled,
            multi_address_enabled: q.reconfig.multi_address_enabled,
            oracle_path: q.reconfig.oracle_path.clone(),
        };
        self.core.set_quorum_view(Some(view));
    }
}

/// A config file write.
enum ConfigWrite {
    Next(QuorumVerifier),
    Activate { qv: QuorumVerifier, drop_next: bool },
}
