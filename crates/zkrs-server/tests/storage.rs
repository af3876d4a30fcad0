//! Durable storage end to end: restarts on the same dataDir keep every znode, ACL, Stat,
//! sequential counter and session (ephemerals included, which still expire on schedule); group
//! commit shares fsyncs; `forceSync=no` is honoured; snapshots and autopurge; torn tails; refused
//! data directories; and a txn log (or snapshot) failure stops the server without
//! acknowledging anything more. Every wait is bounded.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use bytes::Bytes;
use common::{connect_request, four_letter, Client, WAIT};
use zkrs_jute::{
    perms, Acl, AuthPacket, ConnectRequest, CreateRequest, CreateResponse, DeleteRequest,
    ExistsRequest, GetAclRequest, GetAclResponse, GetChildrenRequest, GetChildrenResponse,
    GetDataRequest, GetDataResponse, Id, Request, SetAclRequest, SetDataRequest, Stat,
};
use zkrs_server::{ServerConfig, ServerError, ServerHandle};

const OK: i32 = 0;
const NO_NODE: i32 = -101;
const PERSISTENT: i32 = 0;
const EPHEMERAL: i32 = 1;
const SEQUENTIAL: i32 = 2;
/// `digest` id of `user:password`.
const USER_DIGEST: &str = "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=";

/// A config on `dir` with a fast tick (session timeouts 400..4000 ms) and small log files.
fn config_in(dir: &Path) -> ServerConfig {
    let mut c = ServerConfig::loopback(dir);
    common::small_logs(&mut c);
    c.core.tick_time_ms = 200;
    c.core.min_session_timeout_ms = 400;
    c.core.max_session_timeout_ms = 4000;
    c
}

async fn start(config: ServerConfig) -> Result<ServerHandle> {
    Ok(ServerHandle::start(config).await?)
}

fn create_req(path: &str, data: &[u8], flags: i32) -> CreateRequest {
    CreateRequest {
        path: path.to_string(),
        data: Some(Bytes::copy_from_slice(data)),
        acl: perms::open_acl_unsafe(),
        flags,
    }
}

async fn create(c: &mut Client, req: CreateRequest) -> Result<String> {
    let path = req.path.clone();
    let r = c.call(Request::Create(req)).await?;
    if r.header.err != OK {
        bail!("create {path}: error {}", r.header.err);
    }
    Ok(r.decode::<CreateResponse>()?.path)
}

async fn exists(c: &mut Client, path: &str) -> Result<bool> {
    let r = c
        .call(Request::Exists(ExistsRequest {
            path: path.to_string(),
            watch: false,
        }))
        .await?;
    match r.header.err {
        OK => Ok(true),
        NO_NODE => Ok(false),
        e => bail!("exists {path}: error {e}"),
    }
}

/// One znode as a client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Znode {
    data: Option<Bytes>,
    stat: Stat,
    acl: Vec<Acl>,
}

/// Every znode under `/` (except `/zookeeper`), read through the client API.
async fn dump(c: &mut Client) -> Result<BTreeMap<String, Znode>> {
    let mut out = BTreeMap::new();
    let mut todo = vec!["/".to_string()];
    while let Some(path) = todo.pop() {
        let r = c
            .call(Request::GetData(GetDataRequest {
                path: path.clone(),
                watch: false,
            }))
            .await?;
        if r.header.err != OK {
            bail!("getData {path}: error {}", r.header.err);
        }
        let d = r.decode::<GetDataResponse>()?;
        let r = c
            .call(Request::GetAcl(GetAclRequest { path: path.clone() }))
            .await?;
        let acl = r.decode::<GetAclResponse>()?.acl;
        let r = c
            .call(Request::GetChildren(GetChildrenRequest {
                path: path.clone(),
                watch: false,
            }))
            .await?;
        for child in r.decode::<GetChildrenResponse>()?.children {
            let p = if path == "/" {
                format!("/{child}")
            } else {
                format!("{path}/{child}")
            };
            if p != "/zookeeper" {
                todo.push(p);
            }
        }
        out.insert(
            path,
            Znode {
                data: d.data,
                stat: d.stat,
                acl,
            },
        );
    }
    Ok(out)
}

/// The value of one `mntr` key.
async fn mntr(addr: SocketAddr, key: &str) -> Result<i64> {
    let text = four_letter(addr, "mntr").await?;
    text.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix('\t'))
        .with_context(|| format!("{key} missing from mntr"))?
        .parse::<f64>()
        .map(|v| v as i64)
        .with_context(|| format!("{key} is not a number"))
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("version-2"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(prefix) && !n.ends_with(".tmp"))
        })
        .collect();
    // By the zxid in the name (hex), not by the text: `log.9` comes before `log.1e`.
    v.sort_by_key(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split('.').nth(1))
            .and_then(|z| i64::from_str_radix(z, 16).ok())
            .unwrap_or(-1)
    });
    v
}

async fn add_auth(c: &mut Client) -> Result<()> {
    let r = c
        .call(Request::Auth(AuthPacket {
            r#type: 0,
            scheme: "digest".to_string(),
            auth: Bytes::from_static(b"user:password"),
        }))
        .await?;
    assert_eq!(r.header.err, OK);
    Ok(())
}

async fn reconnect(addr: SocketAddr, session_id: i64, passwd: Bytes) -> Result<Client> {
    Client::connect_with(
        addr,
        ConnectRequest {
            session_id,
            passwd,
            ..connect_request(4000)
        },
    )
    .await
}

#[tokio::test]
async fn restart_keeps_znodes_acls_stats_sequence_numbers_and_sessions() -> Result<()> {
    let dir = common::data_dir();
    let server = start(config_in(&dir)).await?;
    let addr = server.local_addr();

    let mut a = Client::connect_with(addr, connect_request(4000)).await?;
    add_auth(&mut a).await?;
    create(&mut a, create_req("/app", b"v0", PERSISTENT)).await?;
    create(&mut a, create_req("/app/config", b"{\"k\":1}", PERSISTENT)).await?;
    create(
        &mut a,
        CreateRequest {
            acl: vec![Acl {
                perms: perms::ALL,
                id: Id::new("digest", USER_DIGEST),
            }],
            ..create_req("/app/secret", b"s3cret", PERSISTENT)
        },
    )
    .await?;
    create(
        &mut a,
        CreateRequest {
            data: None,
            ..create_req("/nulldata", b"", PERSISTENT)
        },
    )
    .await?;
    for v in 1..=3 {
        let r = a
            .call(Request::SetData(SetDataRequest {
                path: "/app".to_string(),
                data: Some(Bytes::from(format!("v{v}"))),
                version: -1,
            }))
            .await?;
        assert_eq!(r.header.err, OK);
    }
    let r = a
        .call(Request::SetAcl(SetAclRequest {
            path: "/app/config".to_string(),
            acl: perms::read_acl_unsafe(),
            version: -1,
        }))
        .await?;
    assert_eq!(r.header.err, OK);
    create(&mut a, create_req("/seq", b"", PERSISTENT)).await?;
    let mut seq = Vec::new();
    for _ in 0..3 {
        seq.push(create(&mut a, create_req("/seq/s-", b"x", SEQUENTIAL)).await?);
    }
    assert_eq!(seq[2], "/seq/s-0000000002");
    let r = a
        .call(Request::Delete(DeleteRequest {
            path: seq[1].clone(),
            version: -1,
        }))
        .await?;
    assert_eq!(r.header.err, OK);

    // A second session owns an ephemeral and never comes back.
    let mut b = Client::connect_with(addr, connect_request(2000)).await?;
    let owner = b.session_id();
    assert_eq!(b.response.time_out, 2000);
    create(&mut b, create_req("/app/lock", b"held", EPHEMERAL)).await?;

    let before = dump(&mut a).await?;
    let a_session = a.session_id();
    let a_passwd = a.response.passwd.clone();
    drop(a);
    drop(b);
    server.stop().await?;

    let restarted_at = Instant::now();
    let server = start(config_in(&dir)).await?;
    let addr = server.local_addr();
    assert!(mntr(addr, "zk_global_sessions").await? >= 2);

    // The first session is still valid: same id, same password.
    let mut a = reconnect(addr, a_session, a_passwd).await?;
    assert_eq!(
        a.session_id(),
        a_session,
        "the session survived the restart"
    );
    assert_eq!(a.response.time_out, 4000);
    add_auth(&mut a).await?; // auth belongs to the connection, not the session
    let after = dump(&mut a).await?;
    assert_eq!(before, after, "every znode, ACL and Stat survives");
    assert_eq!(after["/app/lock"].stat.ephemeral_owner, owner);
    assert_eq!(after["/app/secret"].acl[0].id.scheme, "digest");
    // The sequential counter continues from the parent's stored cversion (the number of
    // children ever created; clients see `2 * stored - numChildren`).
    let stat = &after["/seq"].stat;
    let stored = (stat.cversion + stat.num_children) / 2;
    assert_eq!(stored, 3);
    let next = create(&mut a, create_req("/seq/s-", b"x", SEQUENTIAL)).await?;
    assert_eq!(next, format!("/seq/s-{stored:010}"));

    // The ephemeral's session expires on schedule after the restart (2 s, ticks of 200 ms).
    let gone_at = loop {
        if !exists(&mut a, "/app/lock").await? {
            break restarted_at.elapsed();
        }
        if restarted_at.elapsed() > Duration::from_secs(8) {
            bail!("the restored session never expired");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        gone_at >= Duration::from_millis(1600) && gone_at <= Duration::from_millis(4500),
        "expired {gone_at:?} after the restart, expected about 2 s"
    );
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn group_commit_shares_one_fsync_between_many_txns() -> Result<()> {
    let dir = common::data_dir();
    let server = start(config_in(&dir)).await?;
    let addr = server.local_addr();
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 40;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        tasks.push(tokio::spawn(async move {
            let mut c = Client::connect(addr).await?;
            // Pipelined: many requests in flight, as a busy client has.
            let mut xids = Vec::new();
            for i in 0..PER_WRITER {
                xids.push(
                    c.send(&Request::Create(create_req(&format!("/w{w}-{i}"), b"d", 0)))
                        .await?,
                );
            }
            for xid in xids {
                let r = c.reply_to(xid).await?;
                if r.header.err != OK {
                    bail!("create failed: {}", r.header.err);
                }
            }
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let txns = mntr(addr, "zk_sum_sync_processor_batch_size").await?;
    let fsyncs = mntr(addr, "zk_cnt_fsynctime").await?;
    let largest = mntr(addr, "zk_max_sync_processor_batch_size").await?;
    let total = (WRITERS * (PER_WRITER + 1)) as i64; // + one createSession each
    assert_eq!(txns, total, "every txn went through the log");
    assert!(fsyncs >= 1);
    assert!(
        fsyncs < txns,
        "group commit: {fsyncs} fsyncs for {txns} txns (largest batch {largest})"
    );
    assert!(largest > 1);
    server.stop().await?;

    // All of it is on disk.
    let server = start(config_in(&dir)).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    for w in 0..WRITERS {
        assert!(exists(&mut c, &format!("/w{w}-{}", PER_WRITER - 1)).await?);
    }
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn force_sync_no_writes_without_fsync() -> Result<()> {
    let dir = common::data_dir();
    let mut config = config_in(&dir);
    config.storage.force_sync = false;
    let server = start(config.clone()).await?;
    let addr = server.local_addr();
    let mut c = Client::connect(addr).await?;
    for i in 0..20 {
        create(&mut c, create_req(&format!("/n{i}"), b"x", 0)).await?;
    }
    assert!(mntr(addr, "zk_sum_sync_processor_batch_size").await? >= 21);
    assert_eq!(mntr(addr, "zk_cnt_fsynctime").await?, 0, "no fsync");
    drop(c);
    server.stop().await?;

    // Written to the files all the same (a process restart loses nothing).
    let server = start(config).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    assert!(exists(&mut c, "/n19").await?);
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn snapshots_are_taken_every_snap_count_txns_and_autopurge_keeps_the_newest() -> Result<()> {
    let dir = common::data_dir();
    let mut config = config_in(&dir);
    config.storage.snap_count = 20;
    let server = start(config.clone()).await?;
    let addr = server.local_addr();
    let mut c = Client::connect(addr).await?;
    for i in 0..200 {
        create(&mut c, create_req(&format!("/s{i:03}"), &[i as u8; 64], 0)).await?;
    }
    let deadline = Instant::now() + WAIT;
    while mntr(addr, "zk_cnt_snapshottime").await? < 3 {
        if Instant::now() > deadline {
            bail!("background snapshots were not written");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let before = dump(&mut c).await?;
    drop(c);
    server.stop().await?;
    let snapshots = files(&dir, "snapshot.");
    let logs = files(&dir, "log.");
    // 200 txns with snapCount 20: a roll every 11..=20 txns, and a snapshot with each roll
    // unless the previous one is still being written ("Too busy to snap, skipping"), which
    // fast sequential writes can outrun: the start-up snapshot plus the 3 waited for above.
    assert!(snapshots.len() >= 4, "{snapshots:?}");
    assert!(logs.len() >= 10, "{logs:?}");

    // Autopurge runs at start-up: the 3 newest snapshots and the logs they need remain.
    config.storage.purge_interval_hours = 1;
    config.storage.snap_retain_count = 3;
    let server = start(config).await?;
    let deadline = Instant::now() + WAIT;
    while files(&dir, "snapshot.").len() > 3 {
        if Instant::now() > deadline {
            bail!("autopurge did not run: {:?}", files(&dir, "snapshot."));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(files(&dir, "log.").len() < logs.len());
    let mut c = Client::connect(server.local_addr()).await?;
    assert_eq!(before, dump(&mut c).await?);
    drop(c);
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_torn_tail_is_cut_and_everything_acknowledged_survives() -> Result<()> {
    let dir = common::data_dir();
    let server = start(config_in(&dir)).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    for i in 0..10 {
        create(&mut c, create_req(&format!("/t{i}"), b"x", 0)).await?;
    }
    drop(c);
    server.stop().await?;

    // Half a record after the last one: what a crash in the middle of a write leaves.
    let log = files(&dir, "log.").pop().context("a txn log")?;
    let bytes = std::fs::read(&log)?;
    let scan = zkrs_storage::LogFileScan::scan(&bytes, zkrs_storage::DEFAULT_MAX_RECORD_LEN);
    let end = scan.end.offset();
    let mut torn = bytes.clone();
    let partial = [
        0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0, 0, 0, 60, 1, 2, 3,
    ];
    torn[end as usize..end as usize + partial.len()].copy_from_slice(&partial);
    std::fs::write(&log, &torn)?;

    let server = start(config_in(&dir)).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    for i in 0..10 {
        assert!(exists(&mut c, &format!("/t{i}")).await?);
    }
    create(&mut c, create_req("/after", b"x", 0)).await?;
    drop(c);
    server.stop().await?;
    // The cut was made for good: the next start sees no damage and the new write.
    let server = start(config_in(&dir)).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    assert!(exists(&mut c, "/after").await?);
    drop(c);
    server.stop().await?;
    Ok(())
}

fn assert_refused(result: Result<ServerHandle, ServerError>, what: &str) -> String {
    match result {
        Ok(_) => panic!("{what}: the server started"),
        Err(e @ (ServerError::Database { .. } | ServerError::DatabaseNotInitialized { .. })) => {
            e.to_string()
        }
        Err(e) => panic!("{what}: unexpected error {e}"),
    }
}

#[tokio::test]
async fn refused_data_directories_are_never_served() -> Result<()> {
    // Another format version only.
    let dir = common::data_dir();
    std::fs::create_dir_all(dir.join("version-3"))?;
    let msg = assert_refused(ServerHandle::start(config_in(&dir)).await, "version-3");
    assert!(msg.contains("version-3"), "{msg}");

    // Garbage where the snapshots are.
    let dir = common::data_dir();
    std::fs::create_dir_all(dir.join("version-2"))?;
    std::fs::write(dir.join("version-2/snapshot.5"), b"this is not a snapshot")?;
    let msg = assert_refused(ServerHandle::start(config_in(&dir)).await, "garbage");
    assert!(msg.contains("no valid snapshot"), "{msg}");

    // A txn log of a newer format.
    let dir = common::data_dir();
    let server = start(config_in(&dir)).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    create(&mut c, create_req("/x", b"x", 0)).await?;
    drop(c);
    server.stop().await?;
    let log = files(&dir, "log.").pop().context("a txn log")?;
    let mut bytes = std::fs::read(&log)?;
    bytes[7] = 3; // header version 2 → 3
    std::fs::write(&log, &bytes)?;
    let msg = assert_refused(ServerHandle::start(config_in(&dir)).await, "log version");
    assert!(msg.contains("version 3"), "{msg}");

    // db.autocreate=false and no initialize marker.
    let dir = common::data_dir();
    let mut config = config_in(&dir);
    config.storage.options.db_autocreate = false;
    let msg = assert_refused(ServerHandle::start(config.clone()).await, "uninitialized");
    assert!(msg.contains("not initialized"), "{msg}");
    // ... but the marker makes it start.
    std::fs::write(dir.join("initialize"), b"")?;
    let server = start(config).await?;
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn a_txn_log_failure_stops_the_server_without_acknowledging() -> Result<()> {
    let dir = common::data_dir();
    let mut config = config_in(&dir);
    config.storage.snap_count = 4; // rolls (new log files) every 3..=4 txns
    let server = start(config.clone()).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    create(&mut c, create_req("/before", b"x", 0)).await?;

    // Take the log directory away: the next new log file cannot be created.
    let v2 = dir.join("version-2");
    let hidden = dir.join("version-2.hidden");
    std::fs::rename(&v2, &hidden)?;
    std::fs::write(&v2, b"not a directory")?;

    let mut acked = Vec::new();
    let mut refused = None;
    for i in 0..20 {
        let path = format!("/after{i}");
        match c.call(Request::Create(create_req(&path, b"x", 0))).await {
            Ok(r) if r.header.err == OK => acked.push(path),
            Ok(r) => bail!("create {path}: error {}", r.header.err),
            Err(_) => {
                refused = Some(path);
                break;
            }
        }
    }
    let refused = refused.context("the server kept acknowledging writes")?;
    assert!(acked.len() < 5, "{acked:?}");
    // Whichever needs the directory first fails: the next log file or the snapshot taken at
    // the roll. Either stops the server, as ZooKeeper exits.
    match tokio::time::timeout(WAIT, server.stop()).await? {
        Err(ServerError::TxnLog(msg) | ServerError::Snapshot(msg)) => {
            assert!(msg.contains("version-2"), "{msg}")
        }
        other => bail!("expected a storage failure, got {other:?}"),
    }

    // Put the directory back: everything acknowledged is there.
    std::fs::remove_file(&v2)?;
    std::fs::rename(&hidden, &v2)?;
    let server = start(config).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    assert!(exists(&mut c, "/before").await?);
    for p in &acked {
        assert!(exists(&mut c, p).await?, "{p} was acknowledged");
    }
    // The refused create may or may not be there: when the snapshot thread is the one that
    // fails, its txn can already be in the (still open) log when the server stops, as with
    // ZooKeeper. Either way it was never acknowledged, and a lone create cannot be half-applied.
    let _ = refused;
    drop(c);
    server.stop().await?;
    Ok(())
}
