//! The core task's side of the AdminServer: runs one command against its state, with the
//! side effects the four-letter words have (`crst`, `srst`, `stmk` share their code), and
//! answers the readiness probe.

use super::quorum::Role;
use super::Driver;
use crate::admin::{self, Command, Json, ObserverView, QuorumView};
use crate::http::HttpResponse;

impl Driver {
    /// Runs the AdminServer command `name` (as typed; aliases allowed) with its query
    /// parameters; [`admin::READY_CALL`] asks for the readiness probe's answer.
    pub(crate) fn admin_command(
        &mut self,
        name: &str,
        params: &[(String, String)],
    ) -> HttpResponse {
        let now = self.clock.now();
        if name == admin::READY_CALL {
            return self.readiness(now);
        }
        let Some(cmd) = Command::by_name(name) else {
            let body = Json::object()
                .with("command", Json::str(name))
                .with("error", Json::str(format!("Unknown command: {name}")));
            return admin::json_response(200, &body);
        };
        // A quorum member without a role has no ZooKeeperServer (`zkServer == null`).
        let not_serving = self.quorum.is_some() && !self.core.is_serving();
        if not_serving && cmd.server_required() {
            return admin::json_response(200, &admin::not_serving_json(name));
        }
        if not_serving && cmd == Command::Monitor {
            // ZooKeeper 3.8 fails here with a NullPointerException (HTTP 500, Jetty's HTML
            // page); zkrs answers 500 too, with a JSON error.
            let body = Json::object()
                .with("command", Json::str(cmd.primary_name()))
                .with("error", Json::str(admin::NOT_SERVING));
            return admin::json_response(500, &body);
        }
        match cmd {
            Command::ConnectionStatReset => self.reset_connection_stats(),
            Command::StatReset => self.reset_server_stats(),
            Command::SetTraceMask => {
                if let Ok(mask) = admin::parse_trace_mask(params) {
                    self.set_trace_mask(mask);
                }
            }
            // zkrs keeps no per-observer connection statistics to reset.
            _ => {}
        }
        let quorum = if not_serving {
            None
        } else {
            self.quorum_view()
        };
        let body = self.with_four_letter_context(now, |ctx| {
            admin::command_json(cmd, params, ctx, quorum.as_ref())
        });
        admin::json_response(200, &body)
    }

    /// `/ready`: 200 while this member serves clients read-write (standalone, or a quorum
    /// member with its role up), else 503.
    fn readiness(&self, now: zkrs_session::Clock) -> HttpResponse {
        let ready = (self.quorum.is_none() || self.core.is_serving()) && !self.core.is_read_only();
        let body = self.with_four_letter_context(now, |ctx| admin::readiness_json(ready, ctx));
        admin::json_response(if ready { 200 } else { 503 }, &body)
    }

    /// What the quorum commands read of this member (`None`: standalone).
    fn quorum_view(&self) -> Option<QuorumView> {
        let q = self.quorum.as_ref()?;
        let verifier = &q.zab.verifier;
        let my_id = q.zab.my_id;
        let me = verifier.servers().get(&my_id);
        let first = me.and_then(|s| s.addresses.first());
        let leader_id: i64 = match &q.role {
            Role::Looking => -1,
            Role::Leading(_) => my_id as i64,
            Role::Following(l) | Role::Observing(l) => l.leader_sid() as i64,
        };
        let leader_ip = u64::try_from(leader_id)
            .ok()
            .and_then(|id| verifier.servers().get(&id))
            .and_then(|s| s.addresses.first())
            .map(|a| a.host.clone())
            .unwrap_or_default();
        let zab_state = match self.quorum_info(self.clock.now().mono_ms) {
            Some(info) => info
                .peer_state
                .split_once(" - ")
                .map(|(_, phase)| phase.to_string())
                .unwrap_or_default(),
            None => String::new(),
        };
        let client_address = me
            .and_then(|s| s.client_addr.as_ref())
            .map(admin::addr)
            .unwrap_or_else(|| {
                let ip = crate::java_fmt::ip(self.local_addr.ip());
                admin::addr(&zkrs_config::HostPort::new(ip, self.local_addr.port()))
            });
        let observers = match &q.role {
            Role::Leading(l) => l
                .handlers()
                .filter(|h| h.observer && h.forwarding)
                .map(|h| {
                    let link = q.learner_links.get(&h.id);
                    ObserverView {
                        remote_socket_address: link
                            .map(|(remote, _)| crate::java_fmt::socket_addr(*remote))
                            .unwrap_or_default(),
                        established_ms: link.map_or(0, |(_, ms)| *ms),
                        sid: h.sid.unwrap_or(0),
                        last_zxid: l.last_committed().raw(),
                        ..ObserverView::default()
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        Some(QuorumView {
            my_id,
            is_leader: matches!(q.role, Role::Leading(_)),
            leader_id,
            leader_ip,
            quorum_address: first.map(|a| a.quorum_addr()),
            election_address: first.map(|a| a.election_addr()),
            client_address,
            voting: me.is_some_and(|s| s.is_participant()),
            zab_state,
            voting_view: verifier.voting_members().cloned().collect(),
            observers,
        })
    }
}
