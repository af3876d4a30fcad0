//! Session creation, timeouts, expiry, reconnects and close.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;
use zkrs_session::{generate_passwd, Output};

fn connect_req(session_id: i64, passwd: &[u8], timeout: i32, last_zxid: i64) -> ConnectRequest {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: last_zxid,
        time_out: timeout,
        session_id,
        passwd: Bytes::copy_from_slice(passwd),
        read_only: Some(false),
    }
}

#[test]
fn session_ids_passwords_and_create_session_txn() {
    let mut h = Harness::new(Harness::default_config());
    let a = h.session();
    let b = h.session();
    assert_eq!(a.session_id, 0x0100_0006_b4b7_0000);
    assert_eq!(b.session_id, a.session_id + 1);
    assert_eq!(&a.passwd[..], &generate_passwd(a.session_id)[..]);
    // createSession is a txn: zxid 1 and 2, cxid 0, CreateSessionTxn{timeout}.
    assert_eq!(h.persisted.len(), 2);
    let e = &h.persisted[0];
    assert_eq!(e.header.client_id, a.session_id);
    assert_eq!((e.header.cxid, e.header.zxid, e.header.r#type), (0, 1, -10));
    assert_eq!(e.header.time, START_WALL);
    assert_eq!(
        e.body,
        TxnBody::CreateSession(CreateSessionTxn { time_out: 30000 })
    );
    assert_eq!(h.core.global_sessions(), 2);
    assert_eq!(h.core.last_processed_zxid(), 2);
}

#[test]
fn server_id_in_high_byte() {
    let mut cfg = Harness::default_config();
    cfg.server_id = 7;
    let mut h = Harness::new(cfg);
    let a = h.session();
    assert_eq!(a.session_id >> 56, 7);
}

#[test]
fn timeout_is_clamped() {
    let mut h = Harness::new(Harness::default_config()); // min 4000, max 40000
    assert_eq!(h.session_from("127.0.0.1:1", 100).timeout, 4000);
    assert_eq!(h.session_from("127.0.0.1:2", 30000).timeout, 30000);
    assert_eq!(h.session_from("127.0.0.1:3", 1_000_000).timeout, 40000);
    assert_eq!(h.session_from("127.0.0.1:4", -5).timeout, 4000);
}

#[test]
fn client_ahead_is_closed_without_reply() {
    let mut h = Harness::new(Harness::default_config());
    let conn = h.open_from("127.0.0.1:5000");
    let frames = h.connect_raw(conn, connect_req(0, &[0; 16], 30000, 1));
    assert!(frames.is_empty());
    assert!(h.is_closed(conn));
    assert!(h.persisted.is_empty());
}

#[test]
fn requests_pipelined_after_connect_wait_for_the_session() {
    let mut h = Harness::new(Harness::default_config());
    h.auto_commit = false;
    let conn = h.open_from("127.0.0.1:5000");
    h.core
        .handle_connect(conn, connect_req(0, &[0; 16], 30000, 0), h.now);
    // auth, setWatches and a create arrive before the createSession txn is applied.
    h.send(
        conn,
        -4,
        &Request::Auth(AuthPacket {
            r#type: 0,
            scheme: "digest".into(),
            auth: Bytes::from_static(b"user:password"),
        }),
    );
    h.send(conn, 1, &Request::Create(create_req("/x", b"", 0)));
    h.pump();
    assert!(h.take(conn).is_empty(), "nothing before the session exists");
    assert_eq!(h.persisted.len(), 1, "only createSession was prepared");
    h.commit_all();
    h.commit_all();
    let frames = h.take(conn);
    assert_eq!(frames.len(), 3, "{frames:?}");
    assert!(frames[0].connect().session_id != 0);
    assert_eq!(
        (frames[1].xid(), frames[1].zxid(), frames[1].err()),
        (-4, 0, 0)
    );
    assert_eq!(
        (frames[2].xid(), frames[2].zxid(), frames[2].err()),
        (1, 2, 0)
    );
}

#[test]
fn reconnect_closes_the_older_connection_and_keeps_watches_apart() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    a.create_ok(&mut h, "/w", b"", 0);
    let (conn2, frames) = h.reconnect(
        a.session_id,
        &a.passwd.clone(),
        h.core.last_processed_zxid(),
    );
    let resp = frames[0].connect();
    assert_eq!(resp.session_id, a.session_id);
    assert_eq!(resp.time_out, 30000);
    assert_eq!(&resp.passwd[..], &a.passwd[..]);
    assert!(h.is_closed(a.conn));
    assert!(!h.is_closed(conn2));
    let mut a2 = Client {
        conn: conn2,
        xid: 10,
        ..a.clone()
    };
    // The session still works and still owns its ephemerals.
    a2.create_ok(&mut h, "/e", b"", 1);
    assert_eq!(
        h.core.tree().ephemerals(a.session_id),
        vec!["/e".to_owned()]
    );
}

#[test]
fn reconnect_wrong_password_or_unknown_session() {
    let mut h = Harness::new(Harness::default_config());
    let a = h.session();
    for (sid, pw) in [
        (a.session_id, vec![1u8; 16]),
        (a.session_id, vec![]),
        (
            0x0100_0000_dead_beef,
            generate_passwd(0x0100_0000_dead_beef).to_vec(),
        ),
    ] {
        let (conn, frames) = h.reconnect(sid, &pw, 0);
        assert_eq!(frames.len(), 1);
        let r = frames[0].connect();
        assert_eq!((r.protocol_version, r.time_out, r.session_id), (0, 0, 0));
        assert_eq!(&r.passwd[..], &[0u8; 16]);
        assert_eq!(r.read_only, Some(false));
        assert!(h.is_closed(conn));
    }
    // No txn for reconnects.
    assert_eq!(h.persisted.len(), 1);
}

#[test]
fn close_session_deletes_ephemerals_and_notifies() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let mut w = h.session();
    a.create_ok(&mut h, "/p", b"", 0);
    a.create_ok(&mut h, "/p/e1", b"", 1);
    a.create_ok(&mut h, "/e2", b"", 1);
    let seq = a.create_ok(&mut h, "/p/s-", b"", 3);
    assert_eq!(seq, "/p/s-0000000001");
    // w watches the ephemeral and the parent's children.
    let f = w.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/p/e1".into(),
            watch: true,
        }),
    );
    assert_eq!(f.err(), 0);
    let f = w.req(
        &mut h,
        Request::GetChildren(GetChildrenRequest {
            path: "/p".into(),
            watch: true,
        }),
    );
    assert_eq!(f.err(), 0);
    let f = a.req(&mut h, Request::CloseSession);
    assert_eq!(f.err(), 0);
    assert!(h.is_closed(a.conn));
    let close = h.last_txn().clone();
    assert_eq!(close.header.r#type, -11);
    match &close.body {
        TxnBody::CloseSession(Some(t)) => {
            let mut p = t.paths2_delete.clone();
            p.sort();
            assert_eq!(p, vec!["/e2", "/p/e1", "/p/s-0000000001"]);
        }
        b => panic!("{b:?}"),
    }
    assert!(h.core.tree().node("/p/e1").is_none());
    assert!(h.core.tree().node("/e2").is_none());
    let events: Vec<(i32, String)> = h
        .take(w.conn)
        .iter()
        .map(|f| {
            let e = f.event();
            (e.r#type, e.path)
        })
        .collect();
    assert!(events.contains(&(2, "/p/e1".into())), "{events:?}");
    assert!(events.contains(&(4, "/p".into())), "{events:?}");
    assert_eq!(h.core.global_sessions(), 1);
    // Reconnecting to the closed session fails.
    let (_, frames) = h.reconnect(a.session_id, &a.passwd.clone(), 0);
    assert_eq!(frames[0].connect().session_id, 0);
}

#[test]
fn close_session_txn_disabled_has_no_body() {
    let mut cfg = Harness::default_config();
    cfg.close_session_txn_enabled = false;
    let mut h = Harness::new(cfg);
    let mut a = h.session();
    a.create_ok(&mut h, "/e", b"", 1);
    a.req(&mut h, Request::CloseSession);
    assert_eq!(h.last_txn().body, TxnBody::CloseSession(None));
    assert!(h.core.tree().node("/e").is_none());
}

#[test]
fn expiry_closes_session_connection_and_ephemerals() {
    let mut h = Harness::new(Harness::default_config()); // tick 2000
    let mut a = h.session_from("127.0.0.1:1", 4000);
    let mut w = h.session_from("127.0.0.1:2", 40000);
    a.create_ok(&mut h, "/e", b"", 1);
    let f = w.req(
        &mut h,
        Request::Exists(ExistsRequest {
            path: "/e".into(),
            watch: true,
        }),
    );
    assert_eq!(f.err(), 0);
    // Expiry = roundToNextInterval(now + 4000). START_MONO = 439479 -> (443479/2000+1)*2000.
    let expiry = (START_MONO + 4000) / 2000 * 2000 + 2000;
    let sessions = h.core.sessions();
    let sa = sessions
        .iter()
        .find(|s| s.session_id == a.session_id)
        .unwrap();
    assert_eq!(sa.expires_at_mono, Some(expiry));
    // A ping a little later pushes the expiry out.
    h.advance(3000);
    let frames = a.call_xid(&mut h, -2, Request::Ping);
    assert_eq!(frames[0].xid(), -2);
    let pushed = (START_MONO + 3000 + 4000) / 2000 * 2000 + 2000;
    assert_eq!(
        h.core
            .sessions()
            .iter()
            .find(|s| s.session_id == a.session_id)
            .unwrap()
            .expires_at_mono,
        Some(pushed)
    );
    assert!(h.core.poll_timeout().unwrap() <= pushed);
    h.now.mono_ms = pushed - 1;
    h.core.handle_tick(h.now);
    h.pump();
    assert!(!h.is_closed(a.conn));
    h.now.mono_ms = pushed;
    h.core.handle_tick(h.now);
    h.pump();
    assert!(
        h.is_closed(a.conn),
        "the expired session's connection is closed"
    );
    assert!(h.take(a.conn).is_empty(), "no reply to an expiry close");
    let close = h.last_txn();
    assert_eq!(close.header.r#type, -11);
    assert_eq!(close.header.client_id, a.session_id);
    assert_eq!(close.header.cxid, 0);
    assert!(h.core.tree().node("/e").is_none());
    let frames = h.take(w.conn);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].event().r#type, 2);
    assert_eq!(h.core.global_sessions(), 1);
}

#[test]
fn requests_of_a_closing_session_are_dropped() {
    let mut h = Harness::new(Harness::default_config());
    h.auto_commit = false;
    let mut a = h.session_after_commit();
    // closeSession prepared, not applied: further requests get no reply at all.
    h.send(a.conn, 1, &Request::CloseSession);
    h.send(
        a.conn,
        2,
        &Request::Exists(ExistsRequest {
            path: "/".into(),
            watch: false,
        }),
    );
    h.send(a.conn, 3, &Request::Create(create_req("/late", b"", 0)));
    h.pump();
    let before = h.persisted.len();
    h.commit_all();
    let frames = h.take(a.conn);
    assert_eq!(frames.len(), 1, "{frames:?}");
    assert_eq!(frames[0].xid(), 1);
    assert_eq!(
        h.persisted.len(),
        before,
        "the dropped create consumed no zxid"
    );
    a.xid = 3;
}

#[test]
fn outputs_persist_before_reply() {
    let mut h = Harness::new(Harness::default_config());
    h.auto_commit = false;
    let a = h.session_after_commit();
    h.send(a.conn, 1, &Request::Create(create_req("/x", b"", 0)));
    let first = h.core.poll_output().expect("an output");
    assert!(matches!(first, Output::Persist { .. }), "{first:?}");
    assert!(h.core.poll_output().is_none(), "no reply before the commit");
    h.core.handle_committed(2, h.now);
    let reply = h.core.poll_output().expect("reply");
    assert!(matches!(reply, Output::Send { .. }));
}

trait AfterCommit {
    fn session_after_commit(&mut self) -> Client;
}

impl AfterCommit for Harness {
    /// A session created while `auto_commit` is off.
    fn session_after_commit(&mut self) -> Client {
        let conn = self.open_from("127.0.0.1:45000");
        self.core.handle_connect(
            conn,
            ConnectRequest {
                protocol_version: 0,
                last_zxid_seen: 0,
                time_out: 30000,
                session_id: 0,
                passwd: Bytes::from(vec![0u8; 16]),
                read_only: Some(false),
            },
            self.now,
        );
        self.pump();
        self.commit_all();
        let frames = self.take(conn);
        let r = frames[0].connect().clone();
        Client {
            conn,
            xid: 0,
            session_id: r.session_id,
            passwd: r.passwd,
            timeout: r.time_out,
        }
    }
}

/// The driver logs ZooKeeper's session lines from these notices.
#[test]
fn session_notices_for_the_log() {
    use zkrs_session::Notice;
    let mut h = Harness::new(Harness::default_config()); // tick 2000
    let a = h.session_from("127.0.0.1:1", 4000);
    let mut notices = Vec::new();
    while let Some(n) = h.core.poll_notice() {
        notices.push(n);
    }
    assert_eq!(
        notices,
        [Notice::SessionEstablished {
            conn: a.conn,
            session_id: a.session_id,
            timeout_ms: 4000
        }]
    );
    let (conn, _) = h.reconnect(a.session_id, &[1u8; 16], 0);
    assert_eq!(
        h.core.poll_notice(),
        Some(Notice::SessionInvalid {
            conn,
            session_id: a.session_id
        })
    );
    assert_eq!(h.core.poll_notice(), None);
    h.now.mono_ms += 10_000;
    h.core.handle_tick(h.now);
    h.pump();
    assert_eq!(
        h.core.poll_notice(),
        Some(Notice::SessionExpired {
            session_id: a.session_id,
            timeout_ms: 4000
        })
    );
    assert_eq!(h.core.poll_notice(), None);
}
