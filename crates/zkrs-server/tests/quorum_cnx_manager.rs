//! The election-port connection manager over real sockets on 127.0.0.1: message exchange,
//! the higher-sid rule, resending, restarts, hostile peers, and interop with Java ZooKeeper
//! 3.8 when its jar is installed.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{timeout, Instant};
use zkrs_config::{HostPort, ZooCfg};
use zkrs_server::quorum_cnx_manager::{
    QcmConfig, QcmError, QcmHandle, QcmReceiver, QuorumCnxManager, RECV_CAPACITY,
};

const WAIT: Duration = Duration::from_secs(15);
const V1: i64 = -65536;
const V2: i64 = -65535;

struct Node {
    handle: QcmHandle,
    rx: QcmReceiver,
    stop: watch::Sender<bool>,
    seen: Vec<(u64, Bytes)>,
}

impl Node {
    async fn start(config: QcmConfig) -> Node {
        let (stop, shutdown) = watch::channel(false);
        let (handle, rx) = QuorumCnxManager::start(config, shutdown)
            .await
            .expect("start the election port");
        Node {
            handle,
            rx,
            stop,
            seen: Vec::new(),
        }
    }

    async fn on_port(sid: u64, port: u16) -> Node {
        let mut config = QcmConfig::new(sid, vec![HostPort::new("127.0.0.1", port)]);
        config.cnx_timeout_ms = 1000;
        Node::start(config).await
    }

    fn port(&self) -> u16 {
        self.handle.local_addrs()[0].port()
    }

    fn sid(&self) -> u64 {
        self.handle.my_sid()
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        timeout(WAIT, self.handle.stopped())
            .await
            .expect("the manager stops in time");
    }

    /// Waits for `payload` from `from`. Other messages are kept for later calls (duplicates
    /// are expected: a new connection re-sends the last message).
    async fn expect(&mut self, from: u64, payload: &[u8]) {
        if let Some(i) = self
            .seen
            .iter()
            .position(|(s, p)| *s == from && p == payload)
        {
            self.seen.remove(i);
            return;
        }
        let (rx, seen) = (&mut self.rx, &mut self.seen);
        let wanted = async {
            loop {
                match rx.recv().await {
                    Some((sid, got)) if sid == from && got == payload => return,
                    Some(other) => seen.push(other),
                    None => panic!("receive queue closed"),
                }
            }
        };
        if timeout(WAIT, wanted).await.is_err() {
            panic!(
                "server {} did not receive {:?} from {from}",
                self.sid(),
                String::from_utf8_lossy(payload)
            );
        }
    }
}

fn local(port: u16) -> HostPort {
    HostPort::new("127.0.0.1", port)
}

/// Tells every node the election address of every other.
fn introduce(nodes: &[&Node]) {
    for node in nodes {
        let peers: BTreeMap<u64, Vec<HostPort>> = nodes
            .iter()
            .filter(|other| other.sid() != node.sid())
            .map(|other| (other.sid(), vec![local(other.port())]))
            .collect();
        node.handle.update_peers(peers);
    }
}

async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Established TCP sockets whose local port is `port` (accepted connections of a listener).
fn established_on(port: u16) -> usize {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let local_port = fields
                .get(1)
                .and_then(|a| a.rsplit(':').next())
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            local_port == Some(port) && fields.get(3) == Some(&"01")
        })
        .count()
}

/// Sends `payload` to `from`'s peers in a loop until `to` gets it (FLE resends too).
async fn exchange(nodes: &mut [Node], round: &str) {
    let sids: Vec<u64> = nodes.iter().map(Node::sid).collect();
    for node in nodes.iter() {
        for &to in &sids {
            node.handle
                .send(to, Bytes::from(format!("{round} {} to {to}", node.sid())));
        }
    }
    for node in nodes.iter_mut() {
        let me = node.sid();
        for &from in &sids {
            node.expect(from, format!("{round} {from} to {me}").as_bytes())
                .await;
        }
    }
}

fn handshake(version: i64, sid: i64, text: &str) -> Vec<u8> {
    let mut out = version.to_be_bytes().to_vec();
    out.extend_from_slice(&sid.to_be_bytes());
    out.extend_from_slice(&(text.len() as i32).to_be_bytes());
    out.extend_from_slice(text.as_bytes());
    out
}

fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = (payload.len() as i32).to_be_bytes().to_vec();
    out.extend_from_slice(payload);
    out
}

/// True once the peer closes the connection (EOF or reset), reading whatever comes first.
async fn closed_by_peer(stream: &mut TcpStream) -> bool {
    let drain = async {
        let mut buf = [0u8; 1024];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    timeout(WAIT, drain).await.is_ok()
}

async fn read_frame(stream: &mut TcpStream) -> Vec<u8> {
    let len = timeout(WAIT, stream.read_i32()).await.unwrap().unwrap();
    let mut payload = vec![0u8; len as usize];
    timeout(WAIT, stream.read_exact(&mut payload))
        .await
        .unwrap()
        .unwrap();
    payload
}

/// Reads a V1/V2 handshake: (version, sid, address text).
async fn read_handshake(stream: &mut TcpStream) -> (i64, i64, String) {
    let version = timeout(WAIT, stream.read_i64()).await.unwrap().unwrap();
    let sid = stream.read_i64().await.unwrap();
    let len = stream.read_i32().await.unwrap();
    let mut text = vec![0u8; len as usize];
    stream.read_exact(&mut text).await.unwrap();
    (version, sid, String::from_utf8(text).unwrap())
}

#[tokio::test]
async fn three_managers_exchange_messages_all_ways() {
    let a = Node::on_port(1, 0).await;
    let b = Node::on_port(2, 0).await;
    let c = Node::on_port(3, 0).await;
    introduce(&[&a, &b, &c]);
    let mut nodes = [a, b, c];
    // Everyone sends to everyone at once: both ends of every pair connect together.
    exchange(&mut nodes, "first").await;
    exchange(&mut nodes, "second").await;
    for node in &nodes {
        let others: Vec<u64> = [1, 2, 3].into_iter().filter(|&s| s != node.sid()).collect();
        let handle = node.handle.clone();
        eventually("all connected", || handle.connected_sids() == others).await;
    }
    // Only connections from the higher sid survive: 1 accepted 2 and 3, 2 accepted 3.
    let ports: Vec<u16> = nodes.iter().map(Node::port).collect();
    eventually("one connection per pair", || {
        established_on(ports[0]) == 2
            && established_on(ports[1]) == 1
            && established_on(ports[2]) == 0
    })
    .await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn simultaneous_connects_leave_one_connection_per_pair() {
    for round in 0..5 {
        let a = Node::on_port(10, 0).await;
        let b = Node::on_port(20, 0).await;
        introduce(&[&a, &b]);
        let (ha, hb) = (a.handle.clone(), b.handle.clone());
        ha.connect_all();
        hb.connect_all();
        eventually("connected", || ha.is_connected(20) && hb.is_connected(10)).await;
        let mut nodes = [a, b];
        exchange(&mut nodes, &format!("round {round}")).await;
        let (pa, pb) = (nodes[0].port(), nodes[1].port());
        eventually("exactly one connection", || {
            established_on(pa) == 1 && established_on(pb) == 0
        })
        .await;
        assert_eq!(nodes[0].handle.connected_sids(), vec![20]);
        assert_eq!(nodes[1].handle.connected_sids(), vec![10]);
        for node in nodes {
            node.stop().await;
        }
    }
}

#[tokio::test]
async fn send_to_self_and_receive_queue_drops_the_oldest() {
    let mut a = Node::on_port(1, 0).await;
    for i in 0..RECV_CAPACITY + 50 {
        a.handle.send(1, Bytes::from(format!("m{i}")));
    }
    assert_eq!(a.rx.dropped_count(), 50);
    assert_eq!(a.rx.try_recv(), Some((1, Bytes::from("m50"))));
    let mut rest = 0;
    while a.rx.try_recv().is_some() {
        rest += 1;
    }
    assert_eq!(rest, RECV_CAPACITY - 1);
    a.stop().await;
}

#[tokio::test]
async fn new_connection_resends_the_last_message() {
    let a = Node::on_port(1, 0).await;
    let b = Node::on_port(2, 0).await;
    let b_port = b.port();
    introduce(&[&a, &b]);
    let mut nodes = [a, b];
    exchange(&mut nodes, "hello").await;
    let [a, b] = nodes;
    a.handle.send(2, Bytes::from_static(b"last vote"));
    let mut b = b;
    b.expect(1, b"last vote").await;
    b.stop().await;
    let ha = a.handle.clone();
    eventually("1 notices 2 is gone", || !ha.is_connected(2)).await;

    // 2 comes back on the same port; it connects (higher sid), and 1's new connection starts
    // by re-sending the last message 1 sent to 2, without 1 sending anything.
    let mut b = Node::on_port(2, b_port).await;
    b.handle
        .update_peers(BTreeMap::from([(1, vec![local(a.port())])]));
    b.handle.connect_all();
    b.expect(1, b"last vote").await;
    a.stop().await;
    let hb = b.handle.clone();
    eventually("2 notices 1 is gone", || !hb.is_connected(1)).await;
    b.stop().await;
}

#[tokio::test]
async fn a_restarted_manager_is_reconnected() {
    let a = Node::on_port(1, 0).await;
    let b = Node::on_port(2, 0).await;
    let c = Node::on_port(3, 0).await;
    introduce(&[&a, &b, &c]);
    let mut nodes = [a, b, c];
    exchange(&mut nodes, "before").await;
    let [a, b, c] = nodes;
    let b_port = b.port();
    b.stop().await;
    let (ha, hc) = (a.handle.clone(), c.handle.clone());
    eventually("1 and 3 notice 2 is gone", || {
        !ha.is_connected(2) && !hc.is_connected(2)
    })
    .await;
    let b = Node::on_port(2, b_port).await;
    introduce(&[&a, &b, &c]);
    let mut nodes = [a, b, c];
    exchange(&mut nodes, "after").await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn host_names_are_resolved_on_connect() {
    let a = Node::on_port(1, 0).await;
    let b = Node::on_port(2, 0).await;
    // "localhost" may resolve to ::1 first; nothing listens there, so 127.0.0.1 is tried next.
    a.handle.update_peers(BTreeMap::from([(
        2,
        vec![HostPort::new("localhost", b.port())],
    )]));
    b.handle.update_peers(BTreeMap::from([(
        1,
        vec![HostPort::new("localhost", a.port())],
    )]));
    let mut nodes = [a, b];
    exchange(&mut nodes, "by name").await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn multi_address_sends_v2_and_tries_each_address() {
    let mut config = QcmConfig::new(5, vec![local(0), HostPort::new("127.0.0.2", 0)]);
    config.multi_address_enabled = true;
    config.cnx_timeout_ms = 1000;
    let a = Node::start(config).await;
    let advertised = a.handle.advertised_addrs();
    assert_eq!(advertised.len(), 2);
    assert!(advertised.iter().all(|addr| addr.port != 0));

    let peer = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    a.handle.update_peers(BTreeMap::from([(
        1,
        vec![local(closed_port), local(peer.local_addr().unwrap().port())],
    )]));
    a.handle.send(1, Bytes::from_static(b"vote"));
    let (mut stream, _) = timeout(WAIT, peer.accept()).await.unwrap().unwrap();
    let (version, sid, text) = read_handshake(&mut stream).await;
    assert_eq!((version, sid), (V2, 5));
    let expected: Vec<String> = advertised.iter().map(HostPort::to_string).collect();
    assert_eq!(text, expected.join("|"));
    assert_eq!(read_frame(&mut stream).await, b"vote");
    a.stop().await;
}

/// A working pair (5, 6) plus hostile raw connections to 5: only the hostile ones go.
async fn pair() -> [Node; 2] {
    let a = Node::on_port(5, 0).await;
    let b = Node::on_port(6, 0).await;
    introduce(&[&a, &b]);
    let mut nodes = [a, b];
    exchange(&mut nodes, "pair up").await;
    nodes
}

async fn raw_to(node: &Node) -> TcpStream {
    TcpStream::connect(("127.0.0.1", node.port()))
        .await
        .unwrap()
}

#[tokio::test]
async fn hostile_peers_lose_only_their_own_connection() {
    let mut nodes = pair().await;
    let attacks: Vec<(&str, Vec<u8>)> = vec![
        ("unknown protocol version", (-7i64).to_be_bytes().repeat(4)),
        (
            "address too long",
            handshake(V1, 9, "")
                .into_iter()
                .take(16)
                .chain(4000i32.to_be_bytes())
                .collect(),
        ),
        (
            "zero address length",
            handshake(V1, 9, "")
                .into_iter()
                .take(16)
                .chain(0i32.to_be_bytes())
                .collect(),
        ),
        ("bad address", handshake(V1, 9, "no-port")),
        ("bad port", handshake(V2, 9, "h:1|h:99999")),
        (
            "oversized frame",
            [
                handshake(V1, 9, "127.0.0.1:1"),
                (512 * 1024 + 1i32).to_be_bytes().to_vec(),
            ]
            .concat(),
        ),
        (
            "negative frame length",
            [
                handshake(V1, 9, "127.0.0.1:1"),
                (-4i32).to_be_bytes().to_vec(),
            ]
            .concat(),
        ),
        (
            "empty frame",
            [handshake(V1, 9, "127.0.0.1:1"), frame(b"")].concat(),
        ),
        ("own sid", handshake(V1, 5, "127.0.0.1:1")),
    ];
    for (what, bytes) in attacks {
        let mut raw = raw_to(&nodes[0]).await;
        raw.write_all(&bytes).await.unwrap();
        assert!(
            closed_by_peer(&mut raw).await,
            "{what}: connection not closed"
        );
        eventually("the hostile sid is forgotten", || {
            !nodes[0].handle.is_connected(9)
        })
        .await;
    }
    // A truncated handshake: the peer closes its side half-way.
    let mut raw = raw_to(&nodes[0]).await;
    raw.write_all(&handshake(V1, 9, "127.0.0.1:1")[..25])
        .await
        .unwrap();
    raw.shutdown().await.unwrap();
    assert!(closed_by_peer(&mut raw).await, "truncated handshake");
    // A truncated frame after a good handshake.
    let mut raw = raw_to(&nodes[0]).await;
    let bytes = [handshake(V1, 9, "127.0.0.1:1"), frame(b"0123456789")].concat();
    raw.write_all(&bytes[..bytes.len() - 3]).await.unwrap();
    raw.shutdown().await.unwrap();
    assert!(closed_by_peer(&mut raw).await, "truncated frame");

    exchange(&mut nodes, "still fine").await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_cnx_timeout() {
    let mut nodes = pair().await;
    let started = Instant::now();
    let mut silent = raw_to(&nodes[0]).await;
    let mut half = raw_to(&nodes[0]).await;
    half.write_all(&V1.to_be_bytes()[..5]).await.unwrap();
    // Both must be closed once cnx_timeout (1 s) has passed, not before.
    assert!(closed_by_peer(&mut silent).await, "silent peer kept");
    assert!(closed_by_peer(&mut half).await, "half handshake kept");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(900),
        "closed too early: {elapsed:?}"
    );
    exchange(&mut nodes, "after the silent peer").await;
    for node in nodes {
        node.stop().await;
    }
}

#[tokio::test]
async fn legacy_handshake_with_frames_in_the_same_segment() {
    let [mut a, b] = pair().await;
    let mut raw = raw_to(&a).await;
    let bytes = [9i64.to_be_bytes().to_vec(), frame(b"one"), frame(b"two")].concat();
    raw.write_all(&bytes).await.unwrap();
    a.expect(9, b"one").await;
    a.expect(9, b"two").await;
    // A connected sid that is not configured can be sent to.
    a.handle.send(9, Bytes::from_static(b"back"));
    assert_eq!(read_frame(&mut raw).await, b"back");
    drop(raw);
    let ha = a.handle.clone();
    eventually("9 forgotten", || !ha.is_connected(9)).await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn a_lower_sid_is_closed_and_connected_back() {
    let [mut a, b] = pair().await;
    let back = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let back_port = back.local_addr().unwrap().port();
    let mut raw = raw_to(&a).await;
    raw.write_all(&handshake(V1, 1, &format!("127.0.0.1:{back_port}")))
        .await
        .unwrap();
    assert!(closed_by_peer(&mut raw).await, "lower sid kept");
    // 5 connects back to the address 1 advertised, and keeps that connection.
    let (mut stream, _) = timeout(WAIT, back.accept()).await.unwrap().unwrap();
    let (version, sid, text) = read_handshake(&mut stream).await;
    assert_eq!((version, sid), (V1, 5));
    assert_eq!(text, a.handle.advertised_addrs()[0].to_string());
    stream.write_all(&frame(b"from 1")).await.unwrap();
    a.expect(1, b"from 1").await;
    assert!(a.handle.is_connected(1));
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn an_anonymous_observer_gets_a_negative_id() {
    let [mut a, b] = pair().await;
    let back = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let back_port = back.local_addr().unwrap().port();
    let mut raw = raw_to(&a).await;
    raw.write_all(&handshake(V1, i64::MAX, &format!("127.0.0.1:{back_port}")))
        .await
        .unwrap();
    assert!(closed_by_peer(&mut raw).await, "observer kept");
    let (mut stream, _) = timeout(WAIT, back.accept()).await.unwrap().unwrap();
    let (_, sid, _) = read_handshake(&mut stream).await;
    assert_eq!(sid, 5);
    stream.write_all(&frame(b"observer")).await.unwrap();
    // ZooKeeper's first anonymous observer id is -1.
    a.expect(-1i64 as u64, b"observer").await;
    a.stop().await;
    b.stop().await;
}

#[tokio::test]
async fn shutdown_closes_everything() {
    let [mut a, b] = pair().await;
    let hb = b.handle.clone();
    let port = a.port();
    let (stop, handle) = (a.stop.clone(), a.handle.clone());
    let _ = stop.send(true);
    timeout(WAIT, handle.stopped()).await.unwrap();
    assert_eq!(timeout(WAIT, a.rx.recv()).await.unwrap(), None);
    eventually("6 notices 5 is gone", || !hb.is_connected(5)).await;
    assert!(TcpStream::connect(("127.0.0.1", port)).await.is_err());
    // Sending after shutdown is a no-op.
    handle.send(6, Bytes::from_static(b"late"));
    b.stop().await;
}

#[tokio::test]
async fn bind_failure_is_reported_after_the_retries() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let mut config = QcmConfig::new(1, vec![local(port)]);
    config.election_port_bind_retry = 2;
    let (_stop, shutdown) = watch::channel(false);
    let started = Instant::now();
    let result = timeout(WAIT, QuorumCnxManager::start(config, shutdown))
        .await
        .unwrap();
    assert!(matches!(result, Err(QcmError::Bind { attempts: 2, .. })));
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[test]
fn config_from_zoo_cfg() {
    let text = "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir=/tmp/zk\nclientPort=2181\n\
                cnxTimeout=700\n\
                quorumListenOnAllIPs=true\n\
                server.1=10.0.0.1:2888:3888\nserver.2=zk2:2889:3889\n\
                server.3=zk3:2890:3890:observer\n";
    let cfg = ZooCfg::parse_str(text, "zoo.cfg").unwrap();
    let config = QcmConfig::from_zoo_cfg(2, &cfg).unwrap();
    assert_eq!(config.election_addrs, vec![HostPort::new("zk2", 3889)]);
    assert_eq!(
        config.peers,
        BTreeMap::from([
            (1, vec![HostPort::new("10.0.0.1", 3888)]),
            (3, vec![HostPort::new("zk3", 3890)]),
        ])
    );
    assert!(config.listen_on_all_ips);
    assert!(!config.multi_address_enabled);
    assert_eq!(config.cnx_timeout_ms, 700);
    assert_eq!(config.election_port_bind_retry, 3);
    assert!(QcmConfig::from_zoo_cfg(4, &cfg).is_none());
}

// ---- Java ZooKeeper 3.8 interop ----

const ZOOKEEPER_JAR: &str = "/usr/share/java/zookeeper.jar";
const JAVA_CP: &[&str] = &[
    "/usr/share/java/zookeeper.jar",
    "/usr/share/java/netty-codec.jar",
    "/usr/share/java/netty-resolver.jar",
    "/usr/share/java/slf4j-log4j12.jar",
    "/usr/share/java/log4j-1.2.jar",
];

/// A Java server, killed by pid when dropped (even when the test fails).
struct JavaServer {
    child: Child,
    log: std::path::PathBuf,
}

impl JavaServer {
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for JavaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_java(dir: &Path, java_sid: u64, servers: &str) -> JavaServer {
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("myid"), format!("{java_sid}\n")).unwrap();
    let cfg = dir.join("zoo.cfg");
    let mut f = std::fs::File::create(&cfg).unwrap();
    write!(
        f,
        "tickTime=2000\ninitLimit=10\nsyncLimit=5\ndataDir={}\nclientPort={}\n\
         clientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=*\n{servers}",
        data.display(),
        free_port()
    )
    .unwrap();
    let log4j = dir.join("log4j.properties");
    std::fs::write(
        &log4j,
        "log4j.rootLogger=INFO, CONSOLE\n\
         log4j.appender.CONSOLE=org.apache.log4j.ConsoleAppender\n\
         log4j.appender.CONSOLE.layout=org.apache.log4j.PatternLayout\n\
         log4j.appender.CONSOLE.layout.ConversionPattern=%d{ISO8601} %-5p [%t:%C{1}@%L] - %m%n\n",
    )
    .unwrap();
    let log = dir.join("server.log");
    let out = std::fs::File::create(&log).unwrap();
    let err = out.try_clone().unwrap();
    let child = Command::new("java")
        .arg("-Xmx256m")
        .arg(format!("-Dzookeeper.log.dir={}", dir.display()))
        .arg(format!("-Dlog4j.configuration=file:{}", log4j.display()))
        .arg("-cp")
        .arg(JAVA_CP.join(":"))
        .arg("org.apache.zookeeper.server.quorum.QuorumPeerMain")
        .arg(&cfg)
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start java");
    JavaServer { child, log }
}

/// A decoded notification: (state, leader, zxid, electionEpoch, peerEpoch, version, config).
type Notification = (i32, i64, i64, i64, i64, i32, Vec<u8>);

fn decode_notification(b: &[u8]) -> Option<Notification> {
    // state, leader, zxid, electionEpoch, peerEpoch, version, then configLength and config.
    if b.len() < 44 {
        return None;
    }
    let int = |at: usize| i32::from_be_bytes(b[at..at + 4].try_into().unwrap());
    let long = |at: usize| i64::from_be_bytes(b[at..at + 8].try_into().unwrap());
    let config_len = usize::try_from(int(40)).ok()?;
    let config = b.get(44..44 + config_len)?.to_vec();
    Some((
        int(0),
        long(4),
        long(12),
        long(20),
        long(28),
        int(36),
        config,
    ))
}

fn encode_notification(n: &Notification) -> Bytes {
    let mut out = Vec::new();
    out.extend_from_slice(&n.0.to_be_bytes());
    out.extend_from_slice(&n.1.to_be_bytes());
    out.extend_from_slice(&n.2.to_be_bytes());
    out.extend_from_slice(&n.3.to_be_bytes());
    out.extend_from_slice(&n.4.to_be_bytes());
    out.extend_from_slice(&n.5.to_be_bytes());
    out.extend_from_slice(&(n.6.len() as i32).to_be_bytes());
    out.extend_from_slice(&n.6);
    Bytes::from(out)
}

async fn java_interop(our_sid: u64, java_sid: u64) {
    if !Path::new(ZOOKEEPER_JAR).exists() {
        println!("skipped: no Apache ZooKeeper jar");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let java_election = free_port();
    let mut config = QcmConfig::new(our_sid, vec![local(0)]);
    config.peers = BTreeMap::from([(java_sid, vec![local(java_election)])]);
    let mut ours = Node::start(config).await;
    let servers = format!(
        "server.{java_sid}=127.0.0.1:{}:{java_election}\nserver.{our_sid}=127.0.0.1:{}:{}\n",
        free_port(),
        free_port(),
        ours.port()
    );
    let java = start_java(dir.path(), java_sid, &servers);

    let outcome = timeout(Duration::from_secs(60), async {
        // Java's first notification: LOOKING, voting for itself, format version 2.
        let first = loop {
            let (sid, payload) = ours.rx.recv().await.expect("queue open");
            assert_eq!(sid, java_sid, "only Java talks to us");
            if let Some(n) = decode_notification(&payload) {
                break n;
            }
        };
        assert_eq!(first.0, 0, "Java is LOOKING");
        assert_eq!(first.1, java_sid as i64, "Java votes for itself");
        assert_eq!(first.5, 2, "notification version 2");
        assert!(String::from_utf8_lossy(&first.6).contains(&format!("server.{our_sid}=")));
        assert!(ours.handle.is_connected(java_sid));
        // We agree with its vote: Java has a quorum, becomes LEADING and answers our LOOKING
        // notifications with its LEADING vote.
        let ours_vote = (0, first.1, first.2, first.3, first.4, 2, first.6.clone());
        let mut tick = tokio::time::interval(Duration::from_millis(300));
        loop {
            tokio::select! {
                _ = tick.tick() => ours.handle.send(java_sid, encode_notification(&ours_vote)),
                got = ours.rx.recv() => {
                    let (sid, payload) = got.expect("queue open");
                    assert_eq!(sid, java_sid);
                    if let Some(n) = decode_notification(&payload) {
                        if n.0 == 2 {
                            assert_eq!(n.1, java_sid as i64);
                            return;
                        }
                    }
                }
            }
        }
    })
    .await;
    let log = java.log();
    drop(java);
    if outcome.is_err() {
        let tail: Vec<&str> = log.lines().rev().take(60).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        panic!(
            "no LEADING answer from Java; its log ends with:\n{}",
            tail.join("\n")
        );
    }
    assert!(
        log.contains(&format!("n.sid:{our_sid}, n.state:LOOKING")),
        "Java did not log our notification"
    );
    ours.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_interop_our_sid_higher() {
    java_interop(2, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn java_interop_our_sid_lower() {
    java_interop(1, 2).await;
}
