//! The data-directory tools of the binary (`txnlog-dump`, `snapshot-dump`, `datadir-check`,
//! `purge`) on a directory written by a real server, and `zkrs server` refusing a data
//! directory it must not serve. Every wait is bounded.

#[path = "../../zkrs-server/tests/common/mod.rs"]
mod common;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::Result;
use bytes::Bytes;
use common::Client;
use zkrs_jute::{perms, CreateRequest, Request};
use zkrs_server::{ServerConfig, ServerHandle};

fn zkrs(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkrs"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run zkrs")
}

/// Runs zkrs with a time limit (a server that should refuse to start but does not is killed).
fn run_bounded(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkrs"))
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn zkrs");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(mut e) = child.stderr.take() {
                let _ = e.read_to_string(&mut err);
            }
            return (status.code(), err);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return (None, "still running after 20 s (killed)".to_owned());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn files(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir.join("version-2"))
        .expect("version-2")
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

/// A data directory with 60 creates, an ephemeral of a live session and several snapshots.
async fn populated(dir: &Path) -> Result<()> {
    let mut config = ServerConfig::loopback(dir);
    config.storage.options.txn_log.pre_alloc_size = 16 * 1024;
    config.storage.snap_count = 20;
    let server = ServerHandle::start(config).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    for i in 0..60 {
        let r = c
            .call(Request::Create(CreateRequest {
                path: format!("/t{i}"),
                data: Some(Bytes::from_static(b"hello")),
                acl: perms::open_acl_unsafe(),
                flags: if i == 59 { 1 } else { 0 },
            }))
            .await?;
        assert_eq!(r.header.err, 0);
    }
    // At least 4 snapshots (the start-up one and 3 more). Writes can outrun the background
    // snapshots, which are then skipped ("Too busy to snap"), so more txns follow, slowly
    // enough for each snapshot to finish, until there are 4 (bounded).
    let deadline = std::time::Instant::now() + common::WAIT;
    let mut extra = 0;
    while files(dir, "snapshot.").len() < 4 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let r = c
            .call(Request::Create(CreateRequest {
                path: format!("/u{extra}"),
                data: None,
                acl: perms::open_acl_unsafe(),
                flags: 0,
            }))
            .await?;
        assert_eq!(r.header.err, 0);
        extra += 1;
    }
    // And let the last one finish writing.
    while std::fs::read_dir(dir.join("version-2"))?
        .filter_map(|e| e.ok())
        .any(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        && std::time::Instant::now() < deadline
    {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    drop(c);
    server.stop().await?;
    Ok(())
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("zkrs-tools-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

#[tokio::test]
async fn txnlog_and_snapshot_dumps() -> Result<()> {
    let dir = scratch("dumps");
    populated(&dir).await?;
    let log = files(&dir, "log.")[0].clone();
    let out = zkrs(&["txnlog-dump", log.to_str().unwrap_or_default()]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.starts_with("ZooKeeper Transactional Log File with dbid 0 txnlog format version 2"));
    assert!(t.contains(" zxid 0x1 createSession 30000"), "{t}");
    assert!(
        t.contains(" create '/t0,#68656c6c6f,v{s{31,s{'world,'anyone}}},F,"),
        "{t}"
    );
    assert!(t.contains("EOF reached after "), "{t}");

    let snap = files(&dir, "snapshot.").pop().expect("a snapshot");
    let out = zkrs(&["snapshot-dump", "-d", snap.to_str().unwrap_or_default()]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.starts_with("ZNode Details (count="), "{t}");
    assert!(t.contains("\n/t0\n  cZxid = 0x"), "{t}");
    assert!(t.contains("  acl = world:anyone:cdrwa"), "{t}");
    assert!(t.contains("  data = hello"), "{t}");
    assert!(
        t.contains("Session Details (sid, timeout, ephemeralCount):\n0x"),
        "{t}"
    );
    assert!(t.contains("Digest: zxid 0x"), "{t}");
    assert!(t.ends_with("Seals: verified\n"), "{t}");

    // A snapshot that does not verify.
    let bad = dir.join("snapshot.99");
    let mut bytes = std::fs::read(&snap)?;
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x40;
    std::fs::write(&bad, &bytes)?;
    let out = zkrs(&["snapshot-dump", bad.to_str().unwrap_or_default()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test]
async fn datadir_check_tells_torn_tails_from_corruption() -> Result<()> {
    let dir = scratch("check");
    populated(&dir).await?;
    let d = dir.to_str().unwrap_or_default().to_owned();
    let out = zkrs(&["datadir-check", &d]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("0 error(s), 0 warning(s)"), "{t}");
    assert!(t.contains("seals verified"), "{t}");

    // Half a record after the end of the newest log: a torn tail, a warning.
    let newest = files(&dir, "log.").pop().expect("a log");
    let bytes = std::fs::read(&newest)?;
    let end = zkrs_storage::LogFileScan::scan(&bytes, zkrs_storage::DEFAULT_MAX_RECORD_LEN)
        .end
        .offset() as usize;
    let mut torn = bytes.clone();
    torn[end..end + 10].copy_from_slice(&[9, 9, 9, 9, 9, 9, 9, 9, 0, 50]);
    std::fs::write(&newest, &torn)?;
    let out = zkrs(&["datadir-check", &d]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("WARN  torn txn log tail"), "{t}");
    std::fs::write(&newest, &bytes)?;

    // A flipped byte inside the second record of the newest log with several: corruption
    // (intact records follow), exit 1.
    let logs = files(&dir, "log.");
    let (victim, mut bytes, scan) = logs
        .iter()
        .rev()
        .find_map(|p| {
            let bytes = std::fs::read(p).ok()?;
            let scan =
                zkrs_storage::LogFileScan::scan(&bytes, zkrs_storage::DEFAULT_MAX_RECORD_LEN);
            (scan.records.len() >= 3).then(|| (p.clone(), bytes, scan))
        })
        .expect("a log with 3 records");
    let at = scan.records[1].offset as usize + 20;
    bytes[at] ^= 0xff;
    std::fs::write(&victim, &bytes)?;
    let out = zkrs(&["datadir-check", &d]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("ERROR") && t.contains("corrupt txn log record"),
        "{t}"
    );

    // The server refuses it too (recovery reads that log): exit 1, never served.
    let cfg = dir.join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!(
            "tickTime=2000\nclientPort=0\nclientPortAddress=127.0.0.1\ndataDir={d}\n\
             admin.enableServer=false\n"
        ),
    )?;
    let (code, t) = run_bounded(&["server", cfg.to_str().unwrap_or_default()]);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("cannot load the database"), "{t}");
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[tokio::test]
async fn purge_keeps_the_newest_snapshots() -> Result<()> {
    let dir = scratch("purge");
    populated(&dir).await?;
    let d = dir.to_str().unwrap_or_default().to_owned();
    let before = files(&dir, "snapshot.").len();
    assert!(before > 3, "{before} snapshots");
    let out = zkrs(&["purge", &d, "-n", "2"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let out = zkrs(&["purge", &d, "-n", "3"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(t.contains("Removing file: "), "{t}");
    assert_eq!(files(&dir, "snapshot.").len(), 3);
    let out = zkrs(&["datadir-check", &d]);
    assert!(out.status.success(), "{}", text(&out));
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}

#[test]
fn a_data_dir_of_another_format_is_refused_with_exit_1() {
    let dir = scratch("refused");
    std::fs::create_dir_all(dir.join("version-1")).expect("mkdir");
    let cfg = dir.join("zoo.cfg");
    std::fs::write(
        &cfg,
        format!(
            "tickTime=2000\nclientPort=0\nclientPortAddress=127.0.0.1\ndataDir={}\n",
            dir.display()
        ),
    )
    .expect("cfg");
    let (code, t) = run_bounded(&["server", cfg.to_str().unwrap_or_default()]);
    assert_eq!(code, Some(1), "{t}");
    assert!(t.contains("found version-1 but no version-2"), "{t}");
    assert!(!dir.join("version-2").exists(), "nothing was created");
    let _ = std::fs::remove_dir_all(&dir);
}
