//! `route` and the JSON writer against the captures of Apache ZooKeeper 3.8.0
//! (`tests/observability/captures-3.8.0`), plus garbage requests.

use std::path::PathBuf;

use zkrs_config::AdminServerConfig;

use super::*;
use crate::http_servers::parse_query;

fn captures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/observability/captures-3.8.0")
}

/// The folders with a full `admin/index.json`.
const NODES: [&str; 5] = [
    "standalone",
    "default-provider/standalone",
    "ensemble-leader/leader",
    "ensemble-follower/follower",
    "ensemble-observer/observer",
];

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A small JSON reader for the captures, keeping key order and telling longs from doubles
/// as Jackson wrote them.
struct Reader<'a> {
    s: &'a [u8],
    i: usize,
}

impl Reader<'_> {
    fn parse(text: &str) -> Json {
        let mut r = Reader {
            s: text.as_bytes(),
            i: 0,
        };
        let v = r.value();
        r.ws();
        assert_eq!(r.i, r.s.len(), "trailing bytes");
        v
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Json {
        self.ws();
        match self.s[self.i] {
            b'{' => {
                self.i += 1;
                let mut entries = Vec::new();
                if self.eat(b'}') {
                    return Json::Object(entries);
                }
                loop {
                    self.ws();
                    let Json::Str(k) = self.string() else {
                        unreachable!()
                    };
                    assert!(self.eat(b':'));
                    entries.push((k, self.value()));
                    if self.eat(b'}') {
                        return Json::Object(entries);
                    }
                    assert!(self.eat(b','));
                }
            }
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if self.eat(b']') {
                    return Json::Array(items);
                }
                loop {
                    items.push(self.value());
                    if self.eat(b']') {
                        return Json::Array(items);
                    }
                    assert!(self.eat(b','));
                }
            }
            b'"' => self.string(),
            b't' => self.word("true", Json::Bool(true)),
            b'f' => self.word("false", Json::Bool(false)),
            b'n' => self.word("null", Json::Null),
            _ => {
                let start = self.i;
                while self.i < self.s.len() && b"+-.0123456789eE".contains(&self.s[self.i]) {
                    self.i += 1;
                }
                let n = std::str::from_utf8(&self.s[start..self.i]).unwrap_or_default();
                if n.contains(['.', 'E', 'e']) {
                    Json::Double(n.parse().unwrap_or_else(|_| panic!("{n}")))
                } else {
                    Json::Long(n.parse().unwrap_or_else(|_| panic!("{n}")))
                }
            }
        }
    }

    fn word(&mut self, w: &str, v: Json) -> Json {
        assert!(self.s[self.i..].starts_with(w.as_bytes()));
        self.i += w.len();
        v
    }

    fn string(&mut self) -> Json {
        assert_eq!(self.s[self.i], b'"');
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let c = self.s[self.i];
            self.i += 1;
            match c {
                b'"' => break,
                b'\\' => {
                    let e = self.s[self.i];
                    self.i += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b't' => out.push(b'\t'),
                        b'r' => out.push(b'\r'),
                        b'b' => out.push(8),
                        b'f' => out.push(12),
                        b'u' => {
                            let hex = std::str::from_utf8(&self.s[self.i..self.i + 4])
                                .unwrap_or_default();
                            let cp = u32::from_str_radix(hex, 16).unwrap_or_default();
                            let ch = char::from_u32(cp).unwrap_or('?');
                            out.extend_from_slice(ch.to_string().as_bytes());
                            self.i += 4;
                        }
                        other => out.push(other),
                    }
                }
                other => out.push(other),
            }
        }
        let s = String::from_utf8(out).unwrap_or_default();
        // Jackson writes NaN and the infinities as strings.
        match s.as_str() {
            "NaN" => Json::Double(f64::NAN),
            "Infinity" => Json::Double(f64::INFINITY),
            "-Infinity" => Json::Double(f64::NEG_INFINITY),
            _ => Json::Str(s),
        }
    }
}

/// Every captured command body, read and written again, is the same bytes.
#[test]
fn writer_reproduces_every_capture_byte_for_byte() {
    let mut files = 0;
    for group in [
        "standalone",
        "default-provider/standalone",
        "ensemble-leader",
        "ensemble-follower",
        "ensemble-observer",
    ] {
        let mut dirs = vec![captures().join(group).join("admin")];
        if let Ok(entries) = std::fs::read_dir(captures().join(group)) {
            dirs.extend(entries.flatten().map(|e| e.path().join("admin")));
        }
        for dir in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                if !name.ends_with(".json") || name == "index.json" {
                    continue;
                }
                let text = read(&path);
                assert_eq!(Reader::parse(&text).pretty(), text, "{}", path.display());
                files += 1;
            }
        }
    }
    assert!(files > 150, "only {files} capture files");
}

fn request(line: &str) -> HttpRequest {
    let (method, target) = line.split_once(' ').unwrap_or((line, "/"));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    HttpRequest {
        method: method.to_string(),
        path: path.to_string(),
        query: parse_query(query).unwrap_or_default(),
        ..HttpRequest::default()
    }
}

/// Jetty's servlet names end with an identity hash that changes between runs.
fn without_servlet_hash(text: &str) -> String {
    text.lines()
        .map(|l| match l.strip_prefix("<tr><th>SERVLET:</th><td>") {
            Some(rest) => {
                let name = rest.split('-').next().unwrap_or_default();
                format!("SERVLET {name}")
            }
            None => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_captured_request_routes_as_jetty_answered() {
    let config = AdminServerConfig::default();
    for node in NODES {
        let admin_dir = captures().join(node).join("admin");
        let index = Reader::parse(&read(&admin_dir.join("index.json")));
        let Some(Json::Array(requests)) = index.get("requests") else {
            panic!("{node}: no requests");
        };
        assert!(requests.len() >= 38, "{node}");
        for r in requests {
            let Some(Json::Str(line)) = r.get("request") else {
                panic!("request")
            };
            let Some(Json::Long(status)) = r.get("status") else {
                panic!("status")
            };
            let content_type = match r.get("content_type") {
                Some(Json::Str(ct)) => Some(ct.clone()),
                _ => None,
            };
            let Some(Json::Str(file)) = r.get("file") else {
                panic!("file")
            };
            let expected = read(&admin_dir.join(file));
            let req = request(line);
            match route(&req, &config) {
                AdminRoute::Reply(resp) => {
                    assert_eq!(i64::from(resp.status), *status, "{node} {line}");
                    assert_eq!(resp.content_type, content_type, "{node} {line}");
                    let body = String::from_utf8(resp.body).unwrap_or_default();
                    assert_eq!(
                        without_servlet_hash(&body),
                        without_servlet_hash(&expected),
                        "{node} {line}"
                    );
                }
                AdminRoute::Command { name, params } => {
                    // The core task answers: 200 application/json, a body for this command.
                    assert_eq!(*status, 200, "{node} {line}");
                    assert_eq!(content_type.as_deref(), Some(JSON), "{node} {line}");
                    let typed = req.path.trim_start_matches("/commands/");
                    assert_eq!(name, typed);
                    assert_eq!(params, req.query);
                    let expected = Reader::parse(&expected);
                    let cmd = Command::by_name(&name).unwrap_or_else(|| panic!("{name}"));
                    assert_eq!(
                        expected.get("command"),
                        Some(&Json::str(cmd.primary_name())),
                        "{node} {line}"
                    );
                }
                other => panic!("{node} {line}: {other:?}"),
            }
        }
        // The aliases answer as their primary names.
        let Some(Json::Object(aliases)) = index.get("aliases") else {
            panic!("aliases")
        };
        assert_eq!(aliases.len(), 22);
        for (alias, answer) in aliases {
            let Some(Json::Str(primary)) = answer.get("command") else {
                panic!("{alias}")
            };
            match route(&request(&format!("GET /commands/{alias}")), &config) {
                AdminRoute::Command { name, .. } => {
                    assert_eq!(name, *alias);
                    assert_eq!(
                        Command::by_name(&name).map(Command::primary_name),
                        Some(primary.as_str())
                    );
                }
                other => panic!("{alias}: {other:?}"),
            }
        }
        // `/commands` lists the names `names` has.
        let Some(Json::Array(names)) = index.get("names") else {
            panic!("names")
        };
        let names: Vec<&str> = names
            .iter()
            .filter_map(|n| match n {
                Json::Str(s) => Some(s.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(names, Command::sorted_primary_names());
    }
}

#[test]
fn head_options_and_probes() {
    let config = AdminServerConfig::default();
    match route(&request("HEAD /commands/ruok"), &config) {
        AdminRoute::Command { name, .. } => assert_eq!(name, "ruok"),
        other => panic!("{other:?}"),
    }
    let AdminRoute::Reply(r) = route(&request("OPTIONS /commands/ruok"), &config) else {
        panic!()
    };
    assert_eq!(r.status, 200);
    assert!(r.headers.iter().any(|(k, _)| k == "Allow"));
    assert_eq!(route(&request("GET /ready"), &config), AdminRoute::Ready);
    assert_eq!(route(&request("HEAD /live"), &config), AdminRoute::Live);
    let AdminRoute::Reply(r) = route(&request("POST /ready"), &config) else {
        panic!()
    };
    assert_eq!(r.status, 405);
    assert_eq!(live_response(true).status, 200);
    assert_eq!(live_response(false).status, 503);
    assert_eq!(not_ready_response().status, 503);
    // Another commandURL moves the commands, not the probes.
    let mut custom = AdminServerConfig::default();
    custom.command_url = "/zk/admin".to_string();
    assert_eq!(route(&request("GET /ready"), &custom), AdminRoute::Ready);
    let AdminRoute::Reply(r) = route(&request("GET /commands/ruok"), &custom) else {
        panic!()
    };
    assert_eq!(r.status, 404);
    let AdminRoute::Reply(r) = route(&request("GET /zk/admin"), &custom) else {
        panic!()
    };
    assert!(String::from_utf8_lossy(&r.body).starts_with("<a href=\"/zk/admin/configuration\">"));
    assert!(matches!(
        route(&request("GET /zk/admin/srvr"), &custom),
        AdminRoute::Command { .. }
    ));
}

#[test]
fn unknown_commands_answer_like_jetty() {
    let config = AdminServerConfig::default();
    for (path, name) in [
        ("/commands/ruok/", "ruok/"),
        ("/commands//ruok", "/ruok"),
        ("/commands/RUOK", "RUOK"),
        ("/commands/a\"b", "a\"b"),
    ] {
        let AdminRoute::Reply(r) = route(&request(&format!("GET {path}")), &config) else {
            panic!("{path}")
        };
        assert_eq!(r.status, 200);
        let body = Reader::parse(&String::from_utf8_lossy(&r.body));
        assert_eq!(body.get("command"), Some(&Json::str(name)));
        assert_eq!(
            body.get("error"),
            Some(&Json::str(format!("Unknown command: {name}")))
        );
    }
    let AdminRoute::Reply(r) = route(&request("GET /commandsx"), &config) else {
        panic!()
    };
    assert_eq!(r.status, 404);
}

#[test]
fn garbage_never_panics() {
    let config = AdminServerConfig::default();
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let alphabet: Vec<char> = "/?&=%#ab.\\\"'<>\u{0}\u{7f}é漢 commandsruok"
        .chars()
        .collect();
    let methods = [
        "GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "PATCH", "", "G\u{0}T",
    ];
    for i in 0..5000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let len = (seed % 40) as usize;
        let mut path = String::from(if i % 2 == 0 { "/commands/" } else { "" });
        let mut s = seed;
        for _ in 0..len {
            path.push(alphabet[(s % alphabet.len() as u64) as usize]);
            s = s.rotate_left(5) ^ 0x5bd1_e995;
        }
        let req = HttpRequest {
            method: methods[(seed % methods.len() as u64) as usize].to_string(),
            path: path.clone(),
            query: vec![(path.clone(), path.clone())],
            ..HttpRequest::default()
        };
        if let AdminRoute::Reply(r) = route(&req, &config) {
            assert!(r.status >= 200 && r.status < 600);
        }
        let _ = parse_query(&path);
        let _ = body::parse_trace_mask(&[("traceMask".to_string(), path)]);
    }
}

#[test]
fn trace_mask_parses_like_java() {
    let p = |v: &str| body::parse_trace_mask(&[("traceMask".to_string(), v.to_string())]);
    assert_eq!(p("306"), Ok(306));
    assert_eq!(p("-1"), Ok(-1));
    assert_eq!(p("+7"), Ok(7));
    assert_eq!(
        p("notanumber"),
        Err("setTraceMask requires long traceMask argument, got notanumber".to_string())
    );
    assert!(p("").is_err());
    assert!(p(" 1").is_err());
    assert!(p("9223372036854775808").is_err());
    assert_eq!(
        body::parse_trace_mask(&[]),
        Err("setTraceMask requires long traceMask argument".to_string())
    );
}

#[test]
fn not_serving_and_errors_keep_java_order() {
    assert_eq!(
        not_serving_json("srvr").pretty(),
        "{\n  \"command\" : \"srvr\",\n  \"error\" : \"This ZooKeeper instance is not currently serving requests\"\n}"
    );
}

/// The commands of a fresh standalone server (no client yet), rendered from a real context.
fn standalone_answers(params: &[(String, String)]) -> Vec<(Command, Json)> {
    use std::collections::BTreeMap;

    use zkrs_session::{Clock, ServerCore};

    use crate::config::ServerConfig;
    use crate::conn_limits::ConnLimits;
    use crate::core_view::CoreView;
    use crate::four_letter::{FourLetterContext, DEFAULT_TRACE_MASK};
    use crate::throttle::Throttle;
    use crate::wire_stats::WireStats;

    let dir = std::env::temp_dir().join(format!("zkrs-admin-test-{}", std::process::id()));
    let mut config = ServerConfig::loopback(&dir);
    config.initial_config = "tickTime=2000\n".to_string();
    let now = Clock {
        mono_ms: 1000,
        wall_ms: 1_796_642_171_000,
    };
    let core = ServerCore::new(config.core.clone(), now);
    let conns = BTreeMap::new();
    let stats = WireStats::default();
    let limits = ConnLimits::new(0, 0);
    let throttle = Throttle::new(1000);
    let ctx = FourLetterContext {
        core: CoreView::new(&core),
        config: &config,
        local_addr: "127.0.0.1:2181".parse().unwrap_or_else(|_| unreachable!()),
        conns: &conns,
        stats: &stats,
        limits: &limits,
        throttle: &throttle,
        now,
        uptime_ms: 5,
        trace_mask: DEFAULT_TRACE_MASK,
        quorum: None,
    };
    Command::ALL
        .into_iter()
        .map(|c| (c, command_json(c, params, &ctx, None)))
        .collect()
}

/// Key paths with JSON types (values dropped; dynamic maps and arrays skipped).
fn shape(j: &Json, path: &str, out: &mut Vec<String>) {
    match j {
        Json::Object(entries) => {
            for (k, v) in entries {
                out.push(format!("{path}/{k}"));
                let dynamic = matches!(
                    k.as_str(),
                    "expiry_time_to_session_ids"
                        | "session_id_to_ephemeral_paths"
                        | "session_id_to_watched_paths"
                        | "path_to_session_ids"
                        | "current_config"
                );
                if !dynamic {
                    shape(v, &format!("{path}/{k}"), out);
                }
            }
        }
        Json::Array(_) => out.push(format!("{path}: array")),
        Json::Null => out.push(format!("{path}: null")),
        Json::Bool(_) => out.push(format!("{path}: bool")),
        Json::Long(_) => out.push(format!("{path}: long")),
        Json::Double(_) => out.push(format!("{path}: double")),
        Json::Str(_) => out.push(format!("{path}: string")),
    }
}

fn shape_of(j: &Json) -> Vec<String> {
    let mut out = Vec::new();
    shape(j, "", &mut out);
    out
}

/// Commands whose standalone answer does not depend on the workload: the same bytes as the
/// capture; the others: the same keys, in the same order, with the same JSON types.
#[test]
fn standalone_commands_match_the_capture() {
    let dir = captures().join("standalone/admin");
    let exact = [
        "ruok",
        "leader",
        "get_trace_mask",
        "set_trace_mask",
        "hash",
        "is_read_only",
        "observers",
        "voting_view",
        "zabstate",
        "connection_stat_reset",
        "observer_connection_stat_reset",
        "stat_reset",
    ];
    for (cmd, body) in standalone_answers(&[]) {
        let name = cmd.primary_name();
        let capture = read(&dir.join(format!("{name}.json")));
        if exact.contains(&name) {
            assert_eq!(body.pretty(), capture, "{name}");
            continue;
        }
        let capture = Reader::parse(&capture);
        match cmd {
            // zkrs's own keys and values (no JVM, zkrs's mntr): checked end to end.
            Command::Monitor | Command::SystemProperties => continue,
            Command::Environment => {
                let keys = |j: &Json| match j {
                    Json::Object(e) => e.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
                    _ => Vec::new(),
                };
                assert_eq!(keys(&body), keys(&capture), "{name}");
            }
            _ => assert_eq!(shape_of(&body), shape_of(&capture), "{name}"),
        }
    }
    let mask = |v: &str| vec![("traceMask".to_string(), v.to_string())];
    for (params, file) in [
        (mask("306"), "set_trace_mask-traceMask.json"),
        (mask("notanumber"), "set_trace_mask-bad-arg.json"),
    ] {
        let answers = standalone_answers(&params);
        let body = answers
            .iter()
            .find(|(c, _)| *c == Command::SetTraceMask)
            .map(|(_, j)| j.pretty())
            .unwrap_or_default();
        assert_eq!(body, read(&dir.join(file)), "{file}");
    }
}
