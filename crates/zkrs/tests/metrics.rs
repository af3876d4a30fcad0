//! The Prometheus endpoint and `mntr` of the real `zkrs` binary, compared with Apache
//! ZooKeeper 3.8.0's (`tests/observability/captures-3.8.0`, parsed here at test time): for a
//! standalone server, and the leader, a follower and an observer of a 3 + 1 member ensemble.
//!
//! Compared, after dropping the `jvm_*` families (zkrs has no JVM; see docs/metrics.md):
//! - the family set and each family's type;
//! - label names and quantile sets, of every family with samples on both sides (the labelled
//!   families with samples in the captures owe them to the captures' workload; a family
//!   zkrs shows without samples must still carry the same label in zkrs's catalogue);
//! - the `mntr` key set (`zk_jvm_*` dropped, label values of `key` normalized), where the
//!   labelled keys zkrs prints must be among the capture's.
//!
//! Also: the metrics port's HTTP behaviours (404, POST, TRACE, `?name[]=`), and a follower
//! that lost its quorum exporting no gauges. Loopback only, every wait bounded, every process
//! killed by its handle.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const IO_WAIT: Duration = Duration::from_secs(10);
const PROMETHEUS: &str =
    "metricsProvider.className=org.apache.zookeeper.metrics.prometheus.PrometheusMetricsProvider";

fn captures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/observability/captures-3.8.0")
}

fn read_capture(rel: &str) -> String {
    let path = captures().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A bindable port below the kernel's ephemeral range (so no outgoing connection takes it
/// before the server binds), never handed out twice in this process; bounded attempts.
fn free_port() -> u16 {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|t| {
            t.split_whitespace()
                .next()
                .and_then(|p| p.parse::<u64>().ok())
        })
        .unwrap_or(32768);
    let hi = low.min(32768);
    let lo = hi.saturating_sub(12000).max(10000);
    let seed = u64::from(std::process::id()).wrapping_mul(7919);
    for _ in 0..5000 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let port = lo + (seed + n * 7) % (hi - lo);
        let Ok(port) = u16::try_from(port) else {
            continue;
        };
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port in {lo}..{hi}");
}

/// Processes killed (by their handle) when the test ends, however it ends.
struct Procs(Vec<Option<Child>>);

impl Procs {
    fn kill(&mut self, i: usize) {
        if let Some(mut c) = self.0.get_mut(i).and_then(Option::take) {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Procs {
    fn drop(&mut self) {
        for i in 0..self.0.len() {
            self.kill(i);
        }
    }
}

/// Starts `zkrs server <cfg>`, its log in `server.log` next to the config.
fn spawn(cfg: &Path) -> Child {
    let log = cfg.with_file_name("server.log");
    let stderr = std::fs::File::create(&log).map_or_else(|_| Stdio::null(), Stdio::from);
    Command::new(env!("CARGO_BIN_EXE_zkrs"))
        .arg("server")
        .arg(cfg)
        .stdout(Stdio::null())
        .stderr(stderr)
        .spawn()
        .expect("spawn zkrs")
}

fn four_letter(port: u16, word: &str) -> String {
    let run = || -> std::io::Result<String> {
        let mut s = TcpStream::connect(("127.0.0.1", port))?;
        s.set_read_timeout(Some(IO_WAIT))?;
        s.write_all(word.as_bytes())?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    };
    run().unwrap_or_else(|e| format!("unreachable: {e}"))
}

/// One HTTP/1.0 request: (status, content type, body).
fn http(port: u16, method: &str, target: &str) -> std::io::Result<(u16, String, String)> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(IO_WAIT))?;
    write!(
        s,
        "{method} {target} HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n"
    )?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw)?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let content_type = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-type")
                .then(|| v.trim().to_string())
        })
        .unwrap_or_default();
    Ok((status, content_type, body.to_string()))
}

fn metrics(port: u16) -> String {
    match http(port, "GET", "/metrics") {
        Ok((200, _, body)) => body,
        other => panic!("GET /metrics on {port}: {other:?}"),
    }
}

fn mode(port: u16) -> String {
    let text = four_letter(port, "srvr");
    text.lines()
        .find_map(|l| l.strip_prefix("Mode: "))
        .map_or_else(|| text.trim().to_string(), str::to_string)
}

/// Polls until `done` (at most `limit`, 100 ms apart).
fn wait_until(limit: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// What the comparison looks at in a family.
#[derive(Debug, Default, PartialEq)]
struct Shape {
    kind: String,
    /// Label names of the samples, without `quantile`.
    labels: BTreeSet<Vec<String>>,
    /// The `quantile` label values.
    quantiles: BTreeSet<String>,
    samples: usize,
}

/// Families of an exposition (without `jvm_*`), checking the line shapes on the way.
fn parse_exposition(text: &str) -> BTreeMap<String, Shape> {
    let mut families: BTreeMap<String, Shape> = BTreeMap::new();
    let mut current = String::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap_or_default().to_string();
            current = name;
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split(' ');
            let name = it.next().unwrap_or_default();
            assert_eq!(name, current, "TYPE after HELP: {line}");
            families.entry(current.clone()).or_default().kind =
                it.next().unwrap_or_default().to_string();
            continue;
        }
        let (series, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        assert!(
            value == "NaN" || value.contains('.') || value.contains('E'),
            "not a Java double: {line}"
        );
        let (sample, labels) = match series.split_once('{') {
            Some((n, l)) => {
                assert!(l.ends_with(",}"), "labels without trailing comma: {line}");
                (n, l.trim_end_matches(",}"))
            }
            None => (series, ""),
        };
        assert!(
            sample == current
                || sample == format!("{current}_count")
                || sample == format!("{current}_sum"),
            "{sample} in family {current}"
        );
        let shape = families.entry(current.clone()).or_default();
        shape.samples += 1;
        let mut names = Vec::new();
        for pair in labels.split("\",").filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
            if k == "quantile" {
                shape.quantiles.insert(v.trim_end_matches('"').to_string());
            } else {
                names.push(k.to_string());
            }
        }
        shape.labels.insert(names);
    }
    families.retain(|name, _| !name.starts_with("jvm_"));
    families
}

/// `mntr` keys, without `zk_jvm_*`, with `key` label values replaced by `*`.
fn mntr_keys(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter_map(|l| l.split('\t').next())
        .filter(|k| !k.starts_with("zk_jvm_"))
        .map(|k| match k.split_once("{key=\"") {
            Some((name, rest)) => {
                let tail = rest.split_once('"').map_or("", |(_, t)| t);
                format!("{name}{{key=\"*\"{tail}")
            }
            None => k.to_string(),
        })
        .collect()
}

/// The differences between zkrs's exposition and mntr and the capture's.
fn compare(what: &str, capture_dir: &str, exposition: &str, mntr: &str) -> Vec<String> {
    let mut diffs = Vec::new();
    let java = parse_exposition(&read_capture(&format!("{capture_dir}/metrics.txt")));
    let zkrs = parse_exposition(exposition);
    for name in java.keys().filter(|n| !zkrs.contains_key(*n)) {
        diffs.push(format!("{what}: family {name} missing"));
    }
    for name in zkrs.keys().filter(|n| !java.contains_key(*n)) {
        diffs.push(format!("{what}: family {name} is not ZooKeeper's"));
    }
    for (name, j) in &java {
        let Some(z) = zkrs.get(name) else { continue };
        if j.kind != z.kind {
            diffs.push(format!("{what}: {name} is a {} (Java: {})", z.kind, j.kind));
        }
        if j.samples > 0 && z.samples > 0 {
            if j.labels != z.labels {
                diffs.push(format!(
                    "{what}: {name} labels {:?} (Java: {:?})",
                    z.labels, j.labels
                ));
            }
            if j.quantiles != z.quantiles {
                diffs.push(format!(
                    "{what}: {name} quantiles {:?} (Java: {:?})",
                    z.quantiles, j.quantiles
                ));
            }
        } else if j.samples > 0 {
            // Labelled families owe their samples to the capture's workload; the label name
            // must still be the same.
            let java_label = j.labels.iter().flatten().next().cloned();
            let ours = zkrs_metrics::find(name).and_then(|f| f.label.map(str::to_string));
            if java_label.is_none() || java_label != ours {
                diffs.push(format!(
                    "{what}: {name} has no sample (Java's label {java_label:?}, ours {ours:?})"
                ));
            }
        }
    }
    let java_keys = mntr_keys(&read_capture(&format!("{capture_dir}/mntr.txt")));
    let zkrs_keys = mntr_keys(mntr);
    let labelled = |k: &&String| k.contains("{key=");
    for k in zkrs_keys.iter().filter(|k| !java_keys.contains(*k)) {
        diffs.push(format!("{what}: mntr key {k} is not ZooKeeper's"));
    }
    for k in java_keys
        .iter()
        .filter(|k| !labelled(k))
        .filter(|k| !zkrs_keys.contains(*k))
    {
        diffs.push(format!("{what}: mntr key {k} missing"));
    }
    diffs
}

fn base_cfg(dir: &Path, client: u16, metrics: u16) -> String {
    std::fs::create_dir_all(dir.join("data")).expect("data dir");
    format!(
        "tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={client}\n\
         clientPortAddress=127.0.0.1\nmaxClientCnxns=0\n4lw.commands.whitelist=*\n\
         {PROMETHEUS}\nmetricsProvider.httpHost=127.0.0.1\nmetricsProvider.httpPort={metrics}\n",
        dir.join("data").display()
    )
}

#[test]
fn standalone_exposition_and_mntr_match_zookeeper_3_8_0() {
    let dir = tempfile::Builder::new()
        .prefix("zkrs-metrics-tests-")
        .tempdir()
        .expect("scratch dir");
    let (client, port) = (free_port(), free_port());
    let cfg = dir.path().join("zoo.cfg");
    std::fs::write(&cfg, base_cfg(dir.path(), client, port)).expect("cfg");
    let mut procs = Procs(vec![Some(spawn(&cfg))]);
    assert!(
        wait_until(Duration::from_secs(20), || mode(client) == "standalone"
            && http(port, "GET", "/metrics").is_ok()),
        "zkrs did not start"
    );
    let exposition = metrics(port);
    let mntr = four_letter(client, "mntr");
    let diffs = compare("standalone", "standalone", &exposition, &mntr);
    assert!(diffs.is_empty(), "{diffs:#?}");
    assert!(exposition
        .contains("\n# HELP znode_count znode_count\n# TYPE znode_count gauge\nznode_count 5.0\n"));
    assert!(mntr.starts_with("zk_version\t3.8."), "{mntr}");
    assert!(
        mntr.contains("\nzk_server_state\tstandalone\nzk_"),
        "{mntr}"
    );
    assert!(mntr.contains("\nzk_znode_count\t5.0\n"), "{mntr}");
    assert!(
        mntr.contains("\nzk_readlatency{quantile=\"0.5\"}\t"),
        "{mntr}"
    );
    assert!(!mntr.contains("zk_peer_state"), "{mntr}");
    // Every exposition sample is an mntr line, in the same order.
    let samples: Vec<&str> = exposition
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| l.rsplit_once(' ').map_or(l, |(s, _)| s))
        .collect();
    let keys: Vec<String> = mntr
        .lines()
        .skip(2)
        .filter_map(|l| l.split('\t').next())
        .map(|k| k.trim_start_matches("zk_").replace(",}", "}"))
        .collect();
    let expected: Vec<String> = samples.iter().map(|s| s.replace(",}", "}")).collect();
    assert_eq!(keys, expected);

    // The metrics port (captures' metrics-http/).
    let (status, ct, body) = http(port, "GET", "/metrics?name[]=znode_count").expect("filter");
    assert_eq!((status, ct.as_str()), (200, zkrs_metrics::CONTENT_TYPE_004));
    assert_eq!(
        body,
        "# HELP znode_count znode_count\n# TYPE znode_count gauge\nznode_count 5.0\n"
    );
    let (status, _, body) = http(port, "POST", "/metrics").expect("post");
    assert_eq!(status, 200);
    assert!(body.contains("# TYPE readlatency summary\n"));
    for path in ["/", "/nosuch"] {
        let (status, ct, body) = http(port, "GET", path).expect("404");
        assert_eq!((status, ct.as_str()), (404, "text/html;charset=iso-8859-1"));
        assert!(
            body.contains("<title>Error 404 Not Found</title>"),
            "{body}"
        );
    }
    let (status, ct, body) = http(port, "TRACE", "/metrics").expect("trace");
    assert_eq!((status, ct.as_str()), (200, "message/http"));
    assert_eq!(
        body,
        format!("TRACE /metrics HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n")
    );

    // exportJvmInfo=false: no process_* families.
    procs.kill(0);
    let mut text = base_cfg(dir.path(), client, port);
    text.push_str("metricsProvider.exportJvmInfo=false\n");
    std::fs::write(&cfg, text).expect("cfg");
    procs.0[0] = Some(spawn(&cfg));
    assert!(
        wait_until(Duration::from_secs(20), || http(port, "GET", "/metrics")
            .is_ok()),
        "zkrs did not restart"
    );
    let exposition = metrics(port);
    assert!(!exposition.contains("# TYPE process_"), "{exposition}");
    assert_eq!(parse_exposition(&exposition).len(), 145 - 1); // jvm_pause_time_ms dropped
}

#[test]
fn ensemble_members_match_zookeeper_3_8_0_by_role() {
    let dir = tempfile::Builder::new()
        .prefix("zkrs-metrics-tests-")
        .tempdir()
        .expect("scratch dir");
    let n = 4;
    let client: Vec<u16> = (0..n).map(|_| free_port()).collect();
    let port: Vec<u16> = (0..n).map(|_| free_port()).collect();
    let servers: String = (0..n)
        .map(|i| {
            format!(
                "server.{}=127.0.0.1:{}:{}{}\n",
                i + 1,
                free_port(),
                free_port(),
                if i == 3 { ":observer" } else { "" }
            )
        })
        .collect();
    let mut procs = Procs(Vec::new());
    for i in 0..n {
        let d = dir.path().join(format!("sid{}", i + 1));
        let mut text = base_cfg(&d, client[i], port[i]);
        if i == 3 {
            text.push_str("peerType=observer\n");
        }
        text.push_str(&servers);
        std::fs::write(d.join("data/myid"), format!("{}\n", i + 1)).expect("myid");
        let cfg = d.join("zoo.cfg");
        std::fs::write(&cfg, text).expect("cfg");
        procs.0.push(Some(spawn(&cfg)));
    }
    let mut modes = Vec::new();
    let up = wait_until(Duration::from_secs(30), || {
        modes = client.iter().map(|p| mode(*p)).collect();
        modes.iter().filter(|m| *m == "leader").count() == 1
            && modes.iter().filter(|m| *m == "follower").count() == 2
            && modes[3] == "observer"
            && http(port[3], "GET", "/metrics").is_ok_and(|r| r.2.contains("\nznode_count "))
    });
    if !up {
        let log = std::fs::read_to_string(dir.path().join("sid4/server.log")).unwrap_or_default();
        panic!("ensemble did not form: {modes:?}; observer log:\n{log}");
    }
    let leader = modes.iter().position(|m| m == "leader").unwrap_or(0);
    let follower = modes.iter().position(|m| m == "follower").unwrap_or(0);
    let mut diffs = Vec::new();
    for (what, i, capture) in [
        ("leader", leader, "ensemble-leader/leader"),
        ("follower", follower, "ensemble-follower/follower"),
        ("observer", 3, "ensemble-observer/observer"),
    ] {
        let exposition = metrics(port[i]);
        let mntr = four_letter(client[i], "mntr");
        diffs.extend(compare(what, capture, &exposition, &mntr));
        let has = |f: &str| exposition.contains(&format!("\n# TYPE {f} "));
        assert_eq!(has("leader_uptime"), i == leader, "{what}");
        assert!(has("quorum_size"), "{what}");
        assert!(
            exposition.contains("\nquorum_size 3.0\n"),
            "{what}: {exposition}"
        );
        let peer_state = match what {
            "leader" => "leading - broadcast",
            "follower" => "following - broadcast",
            _ => "observing - broadcast",
        };
        assert!(
            mntr.contains(&format!("\nzk_peer_state\t{peer_state}\n")),
            "{what}: {mntr}"
        );
    }
    assert!(diffs.is_empty(), "{diffs:#?}");
    let leader_text = metrics(port[leader]);
    assert!(leader_text.contains("\nlearners 3.0\n"), "{leader_text}");
    assert!(
        leader_text.contains("\nsynced_followers 2.0\n"),
        "{leader_text}"
    );
    let observer_mntr = four_letter(client[3], "mntr");
    assert!(
        observer_mntr.contains(&format!("\nzk_observer_master_id\t{}\n", leader + 1)),
        "{observer_mntr}"
    );

    // Kill the leader and the other follower: the last follower has no quorum, and no
    // gauges (ZooKeeper unregisters them), but still counters, summaries and process_*.
    let other = (0..3).find(|i| *i != leader && *i != follower).unwrap_or(0);
    procs.kill(leader);
    procs.kill(other);
    let mut text = String::new();
    let lost = wait_until(Duration::from_secs(20), || {
        text = metrics(port[follower]);
        !text.contains("# TYPE znode_count gauge")
    });
    assert!(lost, "gauges still exported without a quorum: {text}");
    for family in [
        "quorum_size",
        "num_alive_connections",
        "uptime",
        "synced_observers",
    ] {
        assert!(!text.contains(&format!("# TYPE {family} ")), "{family}");
    }
    for family in ["readlatency", "looking_count", "process_open_fds"] {
        assert!(text.contains(&format!("# TYPE {family} ")), "{family}");
    }
}
