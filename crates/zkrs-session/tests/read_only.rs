//! Read-only mode (`readonlymode.enabled`): what a looking quorum member's core does once the
//! grace period is over, as measured on Java 3.8.0 (tests/quorum/test_read_only.py runs the
//! same steps against Java and zkrs ensembles).

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;
use zkrs_session::{CoreConfig, CoreRole, Output, ReadOnlyMode};

const GRACE_MS: u64 = 2000;

fn config(local_sessions: bool) -> CoreConfig {
    CoreConfig {
        server_id: 3,
        local_sessions_enabled: local_sessions,
        container_check_interval_ms: 1000,
        ..CoreConfig::default()
    }
}

fn connect_req(session_id: i64, passwd: &[u8], read_only: Option<bool>) -> ConnectRequest {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: 30000,
        session_id,
        passwd: Bytes::copy_from_slice(passwd),
        read_only,
    }
}

/// A member that served (a tree with /ro, /ro/child, a container /c with no children and a
/// global session with an ephemeral) and lost its quorum: looking, not serving, read-only mode
/// armed to start after the grace period. Returns the harness and the global session.
fn looking_member(local_sessions: bool) -> (Harness, Client) {
    let mut h = Harness::new(config(local_sessions));
    let mut c = h.session();
    c.create_ok(&mut h, "/ro", b"data", 0);
    c.create_ok(&mut h, "/ro/child", b"c", 0);
    c.create_ok(&mut h, "/ro/eph", b"", CreateMode::Ephemeral.flag());
    c.create_ok(&mut h, "/c", b"", CreateMode::Container.flag());
    let now = h.now;
    h.core.set_role(CoreRole::Follower, now);
    h.core.set_serving(false);
    h.pump();
    h.take(c.conn);
    let at = h.now.mono_ms + GRACE_MS;
    h.core.arm_read_only(at);
    (h, c)
}

/// Ticks past the grace period: read-only mode runs.
fn go_read_only(h: &mut Harness) {
    h.advance(GRACE_MS);
    let now = h.now;
    h.core.handle_tick(now);
    h.pump();
    assert!(h.core.is_read_only());
    assert!(h.core.is_serving());
}

/// A read-only client's new session.
fn ro_session(h: &mut Harness) -> Client {
    let conn = h.open_from("127.0.0.1:41000");
    let frames = h.connect_raw(conn, connect_req(0, &[0; 16], Some(true)));
    assert_eq!(frames.len(), 1, "{frames:?}");
    let resp = frames[0].connect().clone();
    assert_eq!(resp.read_only, Some(true));
    assert_eq!(resp.time_out, 30000);
    assert_eq!(
        resp.passwd.as_ref(),
        &generate_passwd_of(resp.session_id)[..]
    );
    Client {
        conn,
        xid: 0,
        session_id: resp.session_id,
        passwd: resp.passwd.clone(),
        timeout: resp.time_out,
    }
}

fn generate_passwd_of(id: i64) -> [u8; 16] {
    zkrs_session::generate_passwd(id)
}

#[test]
fn starts_only_after_the_grace_period_while_looking() {
    let (mut h, _) = looking_member(true);
    let at = h.now.mono_ms + GRACE_MS;
    assert_eq!(
        h.core.read_only_mode(),
        ReadOnlyMode::Armed { at_mono_ms: at }
    );
    assert!(h.core.poll_timeout().is_some_and(|t| t <= at));
    h.advance(GRACE_MS - 1);
    let now = h.now;
    h.core.handle_tick(now);
    assert!(!h.core.is_read_only());
    // Not serving yet: a read-only client is closed without a reply.
    let conn = h.open_from("127.0.0.1:41000");
    assert!(h
        .connect_raw(conn, connect_req(0, &[0; 16], Some(true)))
        .is_empty());
    assert!(h.is_closed(conn));
    h.advance(1);
    let now = h.now;
    h.core.handle_tick(now);
    assert!(h.core.is_read_only());
    assert_eq!(h.core.read_only_mode(), ReadOnlyMode::Running);
}

#[test]
fn a_role_taken_during_the_grace_period_disarms_it() {
    let (mut h, _) = looking_member(true);
    let now = h.now;
    h.core.set_role(CoreRole::Follower, now);
    assert_eq!(h.core.read_only_mode(), ReadOnlyMode::Off);
    h.advance(GRACE_MS * 2);
    let now = h.now;
    h.core.handle_tick(now);
    assert!(!h.core.is_read_only());
    assert!(!h.core.is_serving());
}

#[test]
fn clients_that_do_not_allow_read_only_are_closed_without_a_reply() {
    let (mut h, _) = looking_member(true);
    go_read_only(&mut h);
    for read_only in [Some(false), None] {
        let conn = h.open_from("127.0.0.1:41000");
        let frames = h.connect_raw(conn, connect_req(0, &[0; 16], read_only));
        assert!(frames.is_empty(), "{read_only:?}: {frames:?}");
        assert!(h.is_closed(conn), "{read_only:?}");
    }
}

#[test]
fn a_read_only_client_gets_a_local_session_and_reads_but_no_writes() {
    let (mut h, _) = looking_member(true);
    go_read_only(&mut h);
    let last = h.core.last_processed_zxid();
    let mut c = ro_session(&mut h);
    // A local session of this member: its server id in the high byte.
    assert_eq!((c.session_id as u64) >> 56, 3);
    assert_eq!(h.core.local_sessions(), 1);
    // Reads are served from the tree, watches are set.
    let f = c.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/ro".into(),
            watch: true,
        }),
    );
    assert_eq!((f.err(), f.zxid()), (0, last));
    assert_eq!(
        decode::<GetDataResponse>(f.body()).data.as_deref(),
        Some(&b"data"[..])
    );
    assert!(c.stat(&mut h, "/ro/child").is_some());
    assert!(c.stat(&mut h, "/ro/none").is_none());
    assert_eq!(h.core.tree().watch_count(), 1);
    // Writes and sync: NOTREADONLY with the last zxid, whatever the body, nothing persisted.
    let persisted = h.persisted.len();
    let writes: Vec<(OpCode, Vec<u8>)> = vec![
        (OpCode::Sync, b"\0\0\0\x03/ro".to_vec()),
        (OpCode::Create, {
            let mut b = Vec::new();
            Request::Create(create_req("/ro/new", b"x", 0)).write_body(&mut b);
            b
        }),
        (OpCode::Create2, Vec::new()),
        (OpCode::CreateTtl, Vec::new()),
        (OpCode::CreateContainer, Vec::new()),
        (OpCode::Delete, Vec::new()),
        (OpCode::DeleteContainer, Vec::new()),
        (OpCode::SetData, Vec::new()),
        (OpCode::SetAcl, Vec::new()),
        (OpCode::Check, Vec::new()),
        (OpCode::Multi, Vec::new()),
        (OpCode::Reconfig, Vec::new()),
    ];
    for (op, body) in writes {
        c.xid += 1;
        h.send_raw(c.conn, c.xid, op.code(), &body);
        h.pump();
        let frames = h.take(c.conn);
        assert_eq!(frames.len(), 1, "{op:?}: {frames:?}");
        assert_eq!(
            *frames[0].header(),
            ReplyHeader {
                xid: c.xid,
                zxid: last,
                err: ErrorCode::NotReadOnly.code()
            },
            "{op:?}"
        );
    }
    assert_eq!(h.persisted.len(), persisted);
    assert!(!h.is_closed(c.conn));
    // closeSession of the local session: answered, closed, gone; no txn.
    let f = c.req(&mut h, Request::CloseSession);
    assert_eq!((f.err(), f.zxid()), (0, last));
    assert!(h.is_closed(c.conn));
    assert_eq!(h.core.local_sessions(), 0);
    assert_eq!(h.persisted.len(), persisted);
}

#[test]
fn without_local_sessions_a_new_client_reads_a_notreadonly_header_as_its_connect_response() {
    let (mut h, _) = looking_member(false);
    go_read_only(&mut h);
    let last = h.core.last_processed_zxid();
    let conn = h.open_from("127.0.0.1:41000");
    h.core
        .handle_connect(conn, connect_req(0, &[0; 16], Some(true)), h.now);
    let mut frames = Vec::new();
    while let Some(o) = h.core.poll_output() {
        frames.push(o);
    }
    // Java 3.8.0: `00000000 00000001 00000006 ffffff89` after the length, and the
    // connection stays open, unread.
    assert_eq!(frames.len(), 1, "{frames:?}");
    let Output::Send { frame, .. } = &frames[0] else {
        panic!("{frames:?}")
    };
    let mut want = vec![0, 0, 0, 16, 0, 0, 0, 0];
    want.extend_from_slice(&last.to_be_bytes());
    want.extend_from_slice(&(-119i32).to_be_bytes());
    assert_eq!(frame.as_ref(), &want[..]);
    // Later requests are not read.
    h.send_raw(conn, 1, OpCode::Exists.code(), b"\0\0\0\x03/ro\0");
    assert!(h.core.poll_output().is_none());
    assert!(h.core.poll_timeout().is_none(), "no session to expire");
}

#[test]
fn reconnects_global_refused_unknown_expired_local_resumed() {
    let (mut h, global) = looking_member(true);
    go_read_only(&mut h);
    // A global session (committed while the member served): closed, no reply.
    let conn = h.open_from("127.0.0.1:41000");
    let frames = h.connect_raw(
        conn,
        connect_req(global.session_id, &global.passwd, Some(true)),
    );
    assert!(frames.is_empty(), "{frames:?}");
    assert!(h.is_closed(conn));
    // A session this member does not know: expired (zeros, readOnly=1), closed.
    let conn = h.open_from("127.0.0.1:41001");
    let unknown = (3i64 << 56) | 12345;
    let frames = h.connect_raw(
        conn,
        connect_req(unknown, &zkrs_session::generate_passwd(unknown), Some(true)),
    );
    let r = frames[0].connect();
    assert_eq!((r.time_out, r.session_id, r.read_only), (0, 0, Some(true)));
    assert_eq!(r.passwd.as_ref(), &[0u8; 16]);
    assert!(h.is_closed(conn));
    // Its own local session: resumed on a new connection, the old one closed.
    let c = ro_session(&mut h);
    let conn = h.open_from("127.0.0.1:41002");
    let frames = h.connect_raw(conn, connect_req(c.session_id, &c.passwd, Some(true)));
    let r = frames[0].connect();
    assert_eq!((r.session_id, r.read_only), (c.session_id, Some(true)));
    assert!(h.is_closed(c.conn));
    assert!(!h.is_closed(conn));
    // With a wrong password: expired.
    let conn2 = h.open_from("127.0.0.1:41003");
    let frames = h.connect_raw(conn2, connect_req(c.session_id, &[1; 16], Some(true)));
    assert_eq!(frames[0].connect().time_out, 0);
    assert!(h.is_closed(conn2));
}

#[test]
fn local_sessions_expire_without_a_txn_and_nothing_else_is_written() {
    let (mut h, global) = looking_member(true);
    go_read_only(&mut h);
    let persisted = h.persisted.len();
    let c = ro_session(&mut h);
    for _ in 0..40 {
        h.advance(2000);
        let now = h.now;
        h.core.handle_tick(now);
        h.pump();
    }
    // The local session expired and its connection closed; the global session (whose
    // ephemeral is still there) and the empty container were left alone.
    assert!(h.is_closed(c.conn));
    assert_eq!(h.core.local_sessions(), 0);
    assert_eq!(h.core.global_sessions(), 1);
    assert!(h.core.tree().stat("/c").is_some());
    assert!(h.core.tree().stat("/ro/eph").is_some());
    assert_eq!(h.persisted.len(), persisted);
    assert!(global.session_id != 0);
    assert!(h.core.poll_timeout().is_none());
}

#[test]
fn taking_a_role_stops_read_only_mode_and_closes_its_clients() {
    let (mut h, global) = looking_member(true);
    go_read_only(&mut h);
    let c = ro_session(&mut h);
    let now = h.now;
    h.core.set_role(CoreRole::Follower, now);
    h.pump();
    assert!(h.is_closed(c.conn));
    assert!(!h.core.is_read_only());
    assert!(!h.core.is_serving());
    assert_eq!(h.core.read_only_mode(), ReadOnlyMode::Off);
    // The committed sessions are kept, the mode's local session is gone.
    assert_eq!(h.core.global_sessions(), 1);
    assert_eq!(h.core.local_sessions(), 0);
    assert!(h
        .core
        .committed_sessions()
        .iter()
        .any(|(id, _)| *id == global.session_id));
}

#[test]
fn statistics_start_afresh() {
    let (mut h, _) = looking_member(true);
    assert!(h.core.server_stats().packets_received > 0);
    go_read_only(&mut h);
    assert_eq!(h.core.server_stats().packets_received, 0);
    assert_eq!(h.core.server_stats().packets_sent, 0);
}
