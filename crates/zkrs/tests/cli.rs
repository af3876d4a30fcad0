//! The `zkrs` binary: version, configuration errors, and a real start / four-letter word /
//! SIGTERM cycle. Every wait is bounded.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

fn zkrs() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zkrs"))
}

/// A directory removed when the test ends.
fn scratch_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("zkrs-cli-tests-")
        .tempdir()
        .expect("scratch dir")
}

fn write_cfg(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write cfg");
    path
}

fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

fn wait_exit(child: &mut Child) -> ExitStatus {
    let deadline = Instant::now() + WAIT;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            return status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("zkrs did not exit in time");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn four_letter(port: u16, word: &str) -> std::io::Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(WAIT))?;
    s.write_all(word.as_bytes())?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn version_names_the_emulated_zookeeper() {
    let out = zkrs().arg("--version").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("zkrs 0."), "{text}");
    assert!(text.contains("ZooKeeper 3.8"), "{text}");
}

#[test]
fn bad_config_exits_2_naming_file_line_and_key() {
    let dir = scratch_dir();
    let path = write_cfg(
        &dir,
        "bad.cfg",
        "dataDir=/tmp/x\nclientPort=2181\ntickTime=abc\n",
    );
    let out = zkrs().arg("server").arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.cfg:3"), "{err}");
    assert!(err.contains("tickTime"), "{err}");
}

#[test]
fn missing_config_file_exits_2() {
    let out = zkrs()
        .args(["server", "/nonexistent/zoo.cfg"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/zoo.cfg"));
}

#[test]
fn quorum_config_without_myid_exits_2_naming_the_file() {
    let dir = scratch_dir();
    let data = dir.path().join("quorum-data");
    std::fs::create_dir_all(&data).expect("data dir");
    let path = write_cfg(
        &dir,
        "quorum.cfg",
        &format!(
            "tickTime=2000\ninitLimit=5\nsyncLimit=2\ndataDir={}\nclientPort=2181\n\
             server.1=127.0.0.1:2888:3888\nserver.2=127.0.0.1:2889:3889\n\
             server.3=127.0.0.1:2890:3890\n",
            data.display()
        ),
    );
    let out = zkrs().arg("server").arg(&path).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("myid"), "{err}");
}

/// The `Mode:` line of `srvr`, or why there is none.
fn mode(port: u16) -> String {
    match four_letter(port, "srvr") {
        Ok(text) => text
            .lines()
            .find_map(|l| l.strip_prefix("Mode: "))
            .map_or_else(|| text.trim().to_string(), str::to_string),
        Err(e) => format!("unreachable: {e}"),
    }
}

/// Polls every member's mode until `want` holds (at most `limit`).
fn wait_modes(ports: &[u16], limit: Duration, want: impl Fn(&[String]) -> bool) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let modes: Vec<String> = ports.iter().map(|p| mode(*p)).collect();
        if want(&modes) || Instant::now() >= deadline {
            return modes;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A FOLLOWERINFO packet (no length prefix: QuorumPackets are written back to back) from `sid`.
fn follower_info(sid: i64) -> Vec<u8> {
    let mut info = Vec::new();
    info.extend_from_slice(&sid.to_be_bytes());
    info.extend_from_slice(&0x10000i32.to_be_bytes());
    info.extend_from_slice(&0i64.to_be_bytes());
    let mut p = Vec::new();
    p.extend_from_slice(&11i32.to_be_bytes());
    p.extend_from_slice(&0i64.to_be_bytes());
    p.extend_from_slice(&(info.len() as i32).to_be_bytes());
    p.extend_from_slice(&info);
    p.extend_from_slice(&(-1i32).to_be_bytes());
    p
}

fn one_leader_rest_followers(modes: &[String]) -> bool {
    modes.iter().filter(|m| *m == "leader").count() == 1
        && modes.iter().filter(|m| *m == "follower").count() == modes.len() - 1
}

#[test]
fn three_members_elect_a_leader_and_re_elect_after_a_kill() {
    let dir = scratch_dir();
    let client: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let quorum: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let election: Vec<u16> = (0..3).map(|_| free_port()).collect();
    let servers: String = (0..3)
        .map(|i| {
            format!(
                "server.{}=127.0.0.1:{}:{};127.0.0.1:{}\n",
                i + 1,
                quorum[i],
                election[i],
                client[i]
            )
        })
        .collect();
    let cfgs: Vec<PathBuf> = (0..3)
        .map(|i| {
            let data = dir.path().join(format!("data{}", i + 1));
            std::fs::create_dir_all(&data).expect("data dir");
            std::fs::write(data.join("myid"), format!("{}\n", i + 1)).expect("myid");
            write_cfg(
                &dir,
                &format!("zoo{}.cfg", i + 1),
                &format!(
                    "tickTime=200\ninitLimit=10\nsyncLimit=5\ndataDir={}\n\
                     4lw.commands.whitelist=*\n{servers}",
                    data.display()
                ),
            )
        })
        .collect();
    let start = |i: usize| {
        zkrs()
            .arg("server")
            .arg(&cfgs[i])
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn")
    };
    let stop_all = |members: &mut Vec<Option<Child>>| {
        for m in members.iter_mut().flatten() {
            let _ = m.kill();
            let _ = m.wait();
        }
    };
    // Alone, a member has no quorum: it answers four-letter words as ZooKeeper does then.
    let mut members: Vec<Option<Child>> = vec![Some(start(0)), None, None];
    let alone = wait_modes(&client[..1], Duration::from_secs(10), |m| {
        m[0].contains("not currently serving")
    });
    members[1] = Some(start(1));
    members[2] = Some(start(2));

    let modes = wait_modes(&client, Duration::from_secs(20), one_leader_rest_followers);
    if !one_leader_rest_followers(&modes) {
        stop_all(&mut members);
        panic!("no leader elected: {modes:?}");
    }
    // With equal (empty) histories the highest sid leads (catalogue scenario 1).
    let leader_mntr = four_letter(client[2], "mntr").unwrap_or_default();
    let follower_mntr = four_letter(client[0], "mntr").unwrap_or_default();
    let leader_srvr = four_letter(client[2], "srvr").unwrap_or_default();
    let follower_conf = four_letter(client[0], "conf").unwrap_or_default();
    if modes[2] != "leader" || !alone[0].contains("not currently serving") {
        stop_all(&mut members);
        panic!("{modes:?} {alone:?}");
    }
    assert!(
        leader_mntr.contains("zk_server_state\tleader\nzk_peer_state\tleading - broadcast\n"),
        "{leader_mntr}"
    );
    for line in [
        "zk_quorum_size\t3",
        "zk_learners\t2",
        "zk_synced_followers\t2",
        "zk_pending_syncs\t0",
    ] {
        assert!(leader_mntr.contains(line), "{line} in {leader_mntr}");
    }
    assert!(
        follower_mntr.contains("zk_peer_state\tfollowing - broadcast\n"),
        "{follower_mntr}"
    );
    assert!(!follower_mntr.contains("zk_learners"), "{follower_mntr}");
    assert!(leader_srvr.contains("Mode: leader\n"), "{leader_srvr}");
    assert!(
        leader_srvr.contains("Proposal sizes last/min/max: "),
        "{leader_srvr}"
    );
    assert!(
        follower_conf.contains("serverId=1\ninitLimit=10\nsyncLimit=5\nelectionAlg=3\n"),
        "{follower_conf}"
    );
    assert!(
        follower_conf.contains(&format!(
            "membership: \nserver.1=127.0.0.1:{}:{}:participant;127.0.0.1:{}\n",
            quorum[0], election[0], client[0]
        )),
        "{follower_conf}"
    );
    assert!(follower_conf.ends_with("version=0"), "{follower_conf}");

    // Bad peers on the leader's quorum port lose only their own connection: garbage, an
    // oversized packet, a truncated one, a learner claiming a sid outside the configuration,
    // one claiming the leader's own sid.
    let bad: Vec<Vec<u8>> = vec![
        b"GET / HTTP/1.1\r\n\r\n".to_vec(),
        [
            &11i32.to_be_bytes()[..],
            &0i64.to_be_bytes(),
            &i32::MAX.to_be_bytes(),
        ]
        .concat(),
        [&11i32.to_be_bytes()[..], &0i64.to_be_bytes()[..4]].concat(),
        follower_info(9),
        follower_info(3),
    ];
    for bytes in &bad {
        if let Ok(mut s) = TcpStream::connect(("127.0.0.1", quorum[2])) {
            let _ = s.set_read_timeout(Some(Duration::from_secs(2)));
            let _ = s.write_all(bytes);
            let mut sink = Vec::new();
            let _ = s.read_to_end(&mut sink);
        }
    }
    let after_bad = wait_modes(&client, Duration::from_secs(10), one_leader_rest_followers);
    let synced = four_letter(client[2], "mntr").unwrap_or_default();
    if after_bad[2] != "leader" || !synced.contains("zk_synced_followers\t2") {
        stop_all(&mut members);
        panic!("bad peers disturbed the ensemble: {after_bad:?}\n{synced}");
    }

    // kill -9 of the leader: the other two elect a new leader in the next epoch.
    if let Some(mut leader) = members[2].take() {
        let _ = leader.kill();
        let _ = leader.wait();
    }
    let two = &client[..2];
    let modes = wait_modes(two, Duration::from_secs(20), one_leader_rest_followers);
    let re_elected = one_leader_rest_followers(&modes);
    // The killed member comes back and follows.
    members[2] = Some(start(2));
    let all = wait_modes(&client, Duration::from_secs(20), one_leader_rest_followers);
    stop_all(&mut members);
    assert!(
        re_elected,
        "no re-election after the leader died: {modes:?}"
    );
    assert!(one_leader_rest_followers(&all), "{all:?}");
    assert_eq!(all[1], "leader", "sid 2 leads the second epoch: {all:?}");
}

#[test]
fn serves_then_exits_0_on_sigterm() {
    let port = free_port();
    let dir = scratch_dir();
    let data = dir.path().join("serve-data");
    let path = write_cfg(
        &dir,
        "serve.cfg",
        &format!(
            "tickTime=2000\nclientPort={port}\nclientPortAddress=127.0.0.1\ndataDir={}\n\
             4lw.commands.whitelist=*\nadmin.enableServer=false\nmaxClientCnxns=60\n",
            data.display()
        ),
    );
    let mut child = zkrs()
        .arg("server")
        .arg(&path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + WAIT;
    let answer = loop {
        match four_letter(port, "ruok") {
            Ok(text) => break text,
            Err(_) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => {
                let _ = child.kill();
                panic!("server never answered: {e}");
            }
        }
    };
    assert_eq!(answer, "imok");
    assert!(data.is_dir(), "dataDir is created");
    let srvr = four_letter(port, "srvr").expect("srvr");
    assert!(srvr.contains("Mode: standalone"), "{srvr}");
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    assert_eq!(wait_exit(&mut child).code(), Some(0));
}
