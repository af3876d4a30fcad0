//! The JSON of each AdminServer command, built from the same [`FourLetterContext`] the
//! four-letter words render as text (plus a [`QuorumView`] for the quorum commands). Keys,
//! types and order are ZooKeeper 3.8.0's (`Commands.java`, `ServerStats`, `ServerCnxn
//! .getConnectionInfo`, `ZooKeeperServerConf.toMap`, Jackson's bean order for
//! `MultipleAddresses`), as the reference captures show them.

use std::path::Path;

use zkrs_config::{HostPort, ZooCfg};

use crate::four_letter::{self, mntr::MetricValue, FourLetterContext};
use crate::java_fmt;
use crate::version::FULL_VERSION;

use super::quorum_view::QuorumView;
use super::{Command, Json};

/// ZooKeeper's error for a command that needs a server while a quorum member is not serving.
pub const NOT_SERVING: &str = "This ZooKeeper instance is not currently serving requests";

/// The whole reply of `cmd`: its data keys, then `command` (the primary name) and `error`
/// (`null` unless a data key set it; then it stays where the data put it).
pub(crate) fn command_json(
    cmd: Command,
    params: &[(String, String)],
    ctx: &FourLetterContext<'_>,
    quorum: Option<&QuorumView>,
) -> Json {
    let data = data(cmd, params, ctx, quorum);
    finish(data, cmd.primary_name(), None)
}

/// `{"command" : <name as typed>, "error" : <NOT_SERVING>}`.
pub(crate) fn not_serving_json(typed_name: &str) -> Json {
    finish(Json::object(), typed_name, Some(NOT_SERVING))
}

/// `/ready`'s body.
pub(crate) fn readiness_json(ready: bool, ctx: &FourLetterContext<'_>) -> Json {
    let mut j = Json::object()
        .with("ready", Json::Bool(ready))
        .with("server_state", Json::str(server_state(ctx)));
    if let Some(q) = ctx.quorum {
        j.put("peer_state", Json::str(q.peer_state.clone()));
    }
    j.with("read_only", Json::Bool(ctx.core.is_read_only()))
}

/// `CommandResponse.toMap`: data, then `command` and `error`, then the data again (so a data
/// `error` keeps its place and value).
fn finish(data: Json, command: &str, error: Option<&str>) -> Json {
    let data_error = data.get("error").cloned();
    let mut out = data
        .with("command", Json::str(command))
        .with("error", error.map_or(Json::Null, Json::str));
    if let Some(e) = data_error {
        out.put("error", e);
    }
    out
}

/// What a member reports as its state: `standalone`, `leader`, ..., `read-only`, or
/// `looking` while a quorum member has no role.
fn server_state(ctx: &FourLetterContext<'_>) -> String {
    match ctx.quorum {
        Some(q) if !ctx.core.is_read_only() && q.peer_state.starts_with("looking") => {
            "looking".to_string()
        }
        _ => ctx.core.mode().to_string(),
    }
}

/// `Long.parseLong` of the first `traceMask` parameter, with `SetTraceMaskCommand`'s errors.
pub(crate) fn parse_trace_mask(params: &[(String, String)]) -> Result<i64, String> {
    let Some((_, value)) = params.iter().find(|(k, _)| k == "traceMask") else {
        return Err("setTraceMask requires long traceMask argument".to_string());
    };
    java_parse_long(value)
        .ok_or_else(|| format!("setTraceMask requires long traceMask argument, got {value}"))
}

/// `Long.parseLong`: an optional sign and ASCII digits, in range.
fn java_parse_long(s: &str) -> Option<i64> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

fn data(
    cmd: Command,
    params: &[(String, String)],
    ctx: &FourLetterContext<'_>,
    quorum: Option<&QuorumView>,
) -> Json {
    let mut j = Json::object();
    match cmd {
        Command::ConnectionStatReset
        | Command::ObserverConnectionStatReset
        | Command::StatReset
        | Command::Ruok => {}
        Command::Configuration => configuration(&mut j, ctx),
        Command::Connections => {
            let conns = ctx
                .conns
                .values()
                .map(|e| connection(ctx, e, false))
                .collect();
            j.put("connections", Json::Array(conns));
            j.put("secure_connections", Json::Array(Vec::new()));
        }
        Command::Hash => {
            let digests = ctx
                .core
                .digest_log()
                .into_iter()
                .map(|(zxid, digest)| {
                    Json::object()
                        .with("zxid", Json::Long(zxid))
                        .with("digest_version", Json::Long(2))
                        .with("digest", Json::Long(digest))
                })
                .collect();
            j.put("digests", Json::Array(digests));
        }
        Command::Dirs => {
            j.put("datadir_size", dir_size(&ctx.config.snap_dir()));
            j.put("logdir_size", dir_size(&ctx.config.log_dir()));
        }
        Command::Dump => {
            let mut expiry = Json::object();
            for (time, ids) in ctx.core.session_expiry_buckets() {
                expiry.put(&time.to_string(), Json::longs(ids));
            }
            j.put("expiry_time_to_session_ids", expiry);
            let mut ephemerals = Json::object();
            for (session_id, paths) in ctx.core.ephemerals() {
                ephemerals.put(&session_id.to_string(), Json::strings(paths));
            }
            j.put("session_id_to_ephemeral_paths", ephemerals);
        }
        Command::Environment => {
            for (key, value) in four_letter::environment() {
                j.put(key, Json::Str(value));
            }
        }
        Command::GetTraceMask => j.put("tracemask", Json::Long(ctx.trace_mask)),
        Command::SetTraceMask => match parse_trace_mask(params) {
            Ok(mask) => j.put("tracemask", Json::Long(mask)),
            Err(e) => j.put("error", Json::Str(e)),
        },
        // Only `ZooKeeperServerMain` hands the zoo.cfg text to its server; the quorum
        // servers (leader, learners, read-only) get none, so a quorum member answers null.
        Command::InitialConfiguration => j.put(
            "initial_configuration",
            match ctx.quorum {
                Some(_) => Json::Null,
                None => Json::str(ctx.config.initial_config.clone()),
            },
        ),
        Command::IsReadOnly => j.put("read_only", Json::Bool(ctx.core.is_read_only())),
        Command::LastSnapshot => {
            let (zxid, timestamp) = last_snapshot(&ctx.config.snap_dir());
            j.put("zxid", Json::Str(java_fmt::hex(zxid)));
            j.put("timestamp", Json::Long(timestamp));
        }
        Command::Leader => match quorum.filter(|_| !ctx.core.is_read_only()) {
            Some(q) => {
                j.put("is_leader", Json::Bool(q.is_leader));
                j.put("leader_id", Json::Long(q.leader_id));
                j.put("leader_ip", Json::str(q.leader_ip.clone()));
            }
            None => j.put("error", Json::str("server is not initialized")),
        },
        Command::Monitor => {
            for (key, value) in four_letter::mntr::metrics(ctx) {
                j.put(&key, metric_json(value));
            }
        }
        Command::Observers => {
            let observers: Vec<Json> = quorum
                .filter(|q| q.is_leader)
                .map(|q| q.observers.iter().map(observer).collect())
                .unwrap_or_default();
            j.put("synced_observers", Json::Long(observers.len() as i64));
            j.put("observers", Json::Array(observers));
        }
        Command::ServerStats => server_stats(&mut j, ctx),
        Command::Stats => {
            server_stats(&mut j, ctx);
            let conns = ctx
                .conns
                .values()
                .map(|e| connection(ctx, e, true))
                .collect();
            j.put("connections", Json::Array(conns));
            j.put("secure_connections", Json::Array(Vec::new()));
        }
        Command::SystemProperties => {
            for (key, value) in system_properties(ctx) {
                j.put(&key, Json::Str(value));
            }
        }
        Command::VotingView => {
            let mut view = Json::object();
            if let Some(q) = quorum.filter(|_| !ctx.core.is_read_only()) {
                for s in &q.voting_view {
                    let server = Json::object()
                        .with(
                            "server_addresses",
                            Json::strings(s.addresses.iter().map(|a| addr(&a.quorum_addr()))),
                        )
                        .with(
                            "election_addresses",
                            Json::strings(s.addresses.iter().map(|a| addr(&a.election_addr()))),
                        )
                        .with(
                            "client_address",
                            Json::str(s.client_addr.as_ref().map(addr).unwrap_or_default()),
                        )
                        .with(
                            "learner_type",
                            Json::str(if s.is_participant() {
                                "participant"
                            } else {
                                "observer"
                            }),
                        );
                    view.put(&s.id.to_string(), server);
                }
            }
            j.put("current_config", view);
        }
        Command::Watches => {
            let mut by_session = Json::object();
            for (session_id, paths) in ctx.core.watches().by_session {
                by_session.put(&session_id.to_string(), Json::strings(paths));
            }
            j.put("session_id_to_watched_paths", by_session);
        }
        Command::WatchesByPath => {
            let mut by_path = Json::object();
            for (path, sessions) in ctx.core.watches().by_path {
                by_path.put(&path, Json::longs(sessions));
            }
            j.put("path_to_session_ids", by_path);
        }
        Command::WatchSummary => {
            let w = ctx.core.watches();
            j.put("num_connections", Json::Long(w.connections as i64));
            j.put("num_paths", Json::Long(w.paths as i64));
            j.put("num_total_watches", Json::Long(w.total as i64));
        }
        Command::ZabState => zab_state(&mut j, ctx, quorum),
    }
    j
}

/// `ZooKeeperServerConf.toMap`.
fn configuration(j: &mut Json, ctx: &FourLetterContext<'_>) {
    let c = ctx.config;
    j.put("client_port", Json::Long(i64::from(ctx.local_addr.port())));
    j.put("data_dir", Json::str(c.snap_dir().display().to_string()));
    j.put("data_log_dir", Json::str(c.log_dir().display().to_string()));
    j.put("tick_time", Json::Long(c.core.tick_time_ms as i64));
    j.put(
        "max_client_cnxns",
        Json::Long(i64::from(c.max_client_cnxns)),
    );
    j.put(
        "min_session_timeout",
        Json::Long(c.core.min_session_timeout_ms as i64),
    );
    j.put(
        "max_session_timeout",
        Json::Long(c.core.max_session_timeout_ms as i64),
    );
    let server_id = ctx.quorum.map_or(0, |q| q.server_id);
    j.put("server_id", Json::Long(server_id as i64));
    j.put(
        "client_port_listen_backlog",
        Json::Long(i64::from(c.client_port_listen_backlog)),
    );
}

/// `SrvrCommand`: version, read_only, the `ServerStats` bean, client_response, the leader's
/// proposal_stats, node_count.
fn server_stats(j: &mut Json, ctx: &FourLetterContext<'_>) {
    let c = ctx.core.counters();
    let s = ctx.stats;
    let response = buffer_stats(
        s.client_response_size.last,
        s.client_response_size.min,
        s.client_response_size.max,
    );
    let data_dir_size = dir_size(&ctx.config.snap_dir());
    let log_dir_size = dir_size(&ctx.config.log_dir());
    let stats = Json::object()
        .with("packets_sent", Json::Long(c.packets_sent as i64))
        .with("packets_received", Json::Long(c.packets_received as i64))
        .with(
            "fsync_threshold_exceed_count",
            Json::Long(s.fsync_threshold_exceeded as i64),
        )
        .with("client_response_stats", response.clone())
        .with("data_dir_size", data_dir_size.clone())
        .with("log_dir_size", log_dir_size)
        .with("provider_null", Json::Bool(false))
        .with("server_state", Json::str(ctx.core.mode()))
        .with(
            "last_processed_zxid",
            Json::Long(four_letter::shown_zxid(ctx)),
        )
        .with(
            "outstanding_requests",
            Json::Long(ctx.core.outstanding_requests() as i64),
        )
        .with("avg_latency", Json::Double(c.avg_latency_ms))
        .with("max_latency", Json::Long(c.max_latency_ms))
        .with("min_latency", Json::Long(c.min_latency_ms))
        .with(
            "num_alive_client_connections",
            Json::Long(ctx.core.num_alive_connections() as i64),
        )
        .with("auth_failed_count", Json::Long(s.auth_failed as i64))
        .with(
            "non_mtlsremote_conn_count",
            metric_long(ctx, "non_mtls_remote_conn_count"),
        )
        .with(
            "non_mtlslocal_conn_count",
            metric_long(ctx, "non_mtls_local_conn_count"),
        )
        .with("uptime", Json::Long(ctx.uptime_ms as i64));
    j.put("version", Json::str(FULL_VERSION));
    j.put("read_only", Json::Bool(ctx.core.is_read_only()));
    j.put("server_stats", stats);
    j.put("client_response", response);
    if let Some(l) = ctx.quorum.and_then(|q| q.leader.as_ref()) {
        let (last, min, max) = l.proposal_sizes;
        j.put("proposal_stats", buffer_stats(last, min, max));
    }
    j.put("node_count", Json::Long(ctx.core.node_count() as i64));
}

fn buffer_stats(last: i64, min: i64, max: i64) -> Json {
    Json::object()
        .with("last_buffer_size", Json::Long(last))
        .with("min_buffer_size", Json::Long(min))
        .with("max_buffer_size", Json::Long(max))
}

fn metric_long(ctx: &FourLetterContext<'_>, key: &str) -> Json {
    match four_letter::metric_values::flat_value(ctx, key) {
        MetricValue::Long(v) => Json::Long(v),
        MetricValue::Double(v) => Json::Long(v as i64),
        MetricValue::Text(_) => Json::Long(0),
    }
}

/// A metric as `MonitorCommand` puts it: longs as integers, doubles as doubles.
fn metric_json(value: MetricValue) -> Json {
    match value {
        MetricValue::Long(v) => Json::Long(v),
        MetricValue::Double(v) => Json::Double(v),
        MetricValue::Text(s) => Json::Str(s),
    }
}

/// `ServerCnxn.getConnectionInfo(brief)`.
fn connection(ctx: &FourLetterContext<'_>, e: &crate::conn_entry::ConnEntry, brief: bool) -> Json {
    let info = ctx.core.connection(e.conn);
    let (queued, mut received, sent) = info.as_ref().map_or((0, 0, 0), |i| {
        (
            i.outstanding_requests,
            i.stats.packets_received,
            i.stats.packets_sent,
        )
    });
    if e.four_letter {
        received += 1;
    }
    let mut j = Json::object()
        .with("remote_socket_address", Json::Str(socket_addr(e.remote)))
        .with(
            "interest_ops",
            Json::Long(i64::from(four_letter::interest_ops(ctx, e))),
        )
        .with("outstanding_requests", Json::Long(queued as i64))
        .with("packets_received", Json::Long(received as i64))
        .with("packets_sent", Json::Long(sent as i64));
    if !brief {
        let (session_id, timeout, established, s) = match &info {
            Some(i) => (
                i.session_id,
                i.session_timeout_ms,
                i.established_wall_ms,
                i.stats.clone(),
            ),
            None => (0, 0, 0, Default::default()),
        };
        j.put("session_id", Json::Long(session_id));
        j.put("last_operation", Json::str(s.last_op));
        j.put("established", Json::Long(established));
        j.put("session_timeout", Json::Long(i64::from(timeout)));
        j.put("last_cxid", Json::Long(s.last_cxid));
        j.put("last_zxid", Json::Long(s.last_zxid));
        j.put(
            "last_response_time",
            Json::Long(s.last_response_time as i64),
        );
        j.put("last_latency", Json::Long(s.last_latency));
        j.put("min_latency", Json::Long(s.latency.min()));
        j.put("avg_latency", Json::Long(s.latency.avg_truncated()));
        j.put("max_latency", Json::Long(s.latency.max()));
    }
    j
}

/// `LearnerHandler.getLearnerHandlerInfo`.
fn observer(o: &super::quorum_view::ObserverView) -> Json {
    Json::object()
        .with(
            "remote_socket_address",
            Json::str(o.remote_socket_address.clone()),
        )
        .with("sid", Json::Long(o.sid as i64))
        .with("established", Json::Long(o.established_ms))
        .with("queued_packets", Json::Long(o.queued_packets))
        .with("queued_packets_size", Json::Long(o.queued_packets_size))
        .with("packets_received", Json::Long(o.packets_received))
        .with("packets_sent", Json::Long(o.packets_sent))
        .with("requests", Json::Long(o.requests))
        .with("last_zxid", Json::Long(o.last_zxid))
}

/// `ZabStateCommand`; a server without a running quorum server gives only `voting` and
/// `zabstate`.
fn zab_state(j: &mut Json, ctx: &FourLetterContext<'_>, quorum: Option<&QuorumView>) {
    let serving_quorum = quorum.filter(|q| !ctx.core.is_read_only() && !q.zab_state.is_empty());
    let Some(q) = serving_quorum else {
        j.put("voting", Json::Bool(false));
        j.put("zabstate", Json::str(""));
        return;
    };
    let zxid = ctx.core.last_processed_zxid();
    j.put("myid", Json::Long(q.my_id as i64));
    j.put("is_leader", Json::Bool(q.is_leader));
    j.put(
        "quorum_address",
        multiple_addresses(q.quorum_address.as_ref()),
    );
    j.put(
        "election_address",
        multiple_addresses(q.election_address.as_ref()),
    );
    j.put("client_address", Json::str(q.client_address.clone()));
    j.put("voting", Json::Bool(q.voting));
    j.put("last_zxid", Json::Str(format!("0x{}", java_fmt::hex(zxid))));
    j.put("zab_epoch", Json::Long(zxid >> 32));
    j.put("zab_counter", Json::Long(zxid & 0xffff_ffff));
    j.put("zabstate", Json::str(q.zab_state.clone()));
}

/// Jackson's bean of a one-address `MultipleAddresses` (its getters in declaration order).
fn multiple_addresses(a: Option<&HostPort>) -> Json {
    let Some(a) = a else {
        return Json::Null;
    };
    let one = addr(a);
    let wildcard = if a.host.contains(':') {
        format!("[0:0:0:0:0:0:0:0]:{}", a.port)
    } else {
        format!("0.0.0.0:{}", a.port)
    };
    Json::object()
        .with("empty", Json::Bool(false))
        .with("all_addresses", Json::strings([one.clone()]))
        .with("all_reachable_addresses", Json::strings([one.clone()]))
        .with("one", Json::str(one.clone()))
        .with("reachable_address", Json::str(one.clone()))
        .with("wildcard_addresses", Json::strings([wildcard]))
        .with("all_ports", Json::longs([i64::from(a.port)]))
        .with("all_host_strings", Json::strings([a.host.clone()]))
        .with(
            "all_reachable_addresses_or_all",
            Json::strings([one.clone()]),
        )
        .with("reachable_or_one", Json::str(one))
}

/// `host:port`, IPv6 hosts in brackets (Jackson's `InetSocketAddress` and
/// `QuorumServer.delimitedHostString`).
pub(crate) fn addr(a: &HostPort) -> String {
    if a.host.contains(':') {
        format!("[{}]:{}", a.host, a.port)
    } else {
        format!("{}:{}", a.host, a.port)
    }
}

/// A client's address as Jackson writes an `InetSocketAddress`: `127.0.0.1:55996`.
fn socket_addr(a: std::net::SocketAddr) -> String {
    let ip = java_fmt::ip(a.ip());
    if ip.contains(':') {
        format!("[{ip}]:{}", a.port())
    } else {
        format!("{ip}:{}", a.port())
    }
}

fn dir_size(dir: &Path) -> Json {
    Json::Long(i64::try_from(four_letter::dir_size(dir)).unwrap_or(i64::MAX))
}

/// The newest `snapshot.<hex zxid>` in the snapshot directory: its zxid and modification time
/// in seconds (`SnapshotInfo`), or (-1, -1) when there is none.
fn last_snapshot(dir: &Path) -> (i64, i64) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return (-1, -1);
    };
    let mut best: Option<(i64, i64)> = None;
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(hex) = name.to_str().and_then(|n| n.strip_prefix("snapshot.")) else {
            continue;
        };
        let Ok(zxid) = u64::from_str_radix(hex, 16) else {
            continue;
        };
        let zxid = zxid as i64;
        let mtime = entry
            .metadata()
            .ok()
            .and_then(|m| m.modified().ok())
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(-1, |d| d.as_secs() as i64);
        if best.is_none_or(|(z, _)| zxid > z) {
            best = Some((zxid, mtime));
        }
    }
    best.unwrap_or((-1, -1))
}

/// `System.getProperties()` as zkrs can fill it, sorted by name: the `zookeeper.*` properties
/// zoo.cfg sets (every key `QuorumPeerConfig` does not parse), the `java.*`, `os.*` and
/// `user.*` keys `envi` shows (with zkrs values), `zookeeper.version` and the separators.
fn system_properties(ctx: &FourLetterContext<'_>) -> Vec<(String, String)> {
    let mut props: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    if let Ok(cfg) = ZooCfg::parse_str(&ctx.config.initial_config, "zoo.cfg") {
        for (k, v) in cfg.system_properties.as_map() {
            props.insert(k.clone(), v.clone());
        }
    }
    for (key, value) in four_letter::environment() {
        if key.starts_with("java.")
            || key.starts_with("user.")
            || key == "os.name"
            || key == "os.arch"
            || key == "os.version"
        {
            props.insert(key.to_string(), value);
        }
    }
    props.insert("file.separator".to_string(), "/".to_string());
    props.insert("path.separator".to_string(), ":".to_string());
    props.insert("line.separator".to_string(), "\n".to_string());
    props.into_iter().collect()
}
