//! The views the four-letter words, mntr and the AdminServer are built from.

mod common;

use common::*;
use zkrs_jute::*;

#[test]
fn connection_and_server_stats() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    let info = h.core.connection_info(c.conn).unwrap();
    assert_eq!(info.session_id, c.session_id);
    assert_eq!(info.session_timeout_ms, 30000);
    assert!(info.established);
    assert_eq!(info.stats.last_op, "SESS");
    assert_eq!(info.stats.packets_received, 1);
    assert_eq!(info.stats.packets_sent, 1);
    assert_eq!(info.established_wall_ms, START_WALL);

    h.advance(5);
    c.xid = 6;
    h.send(c.conn, 7, &Request::Create(create_req("/s", b"", 0)));
    h.advance(3);
    h.pump();
    h.take(c.conn);
    let info = h.core.connection_info(c.conn).unwrap();
    assert_eq!(info.stats.last_op, "CREA");
    assert_eq!(info.stats.last_cxid, 7);
    assert_eq!(info.stats.last_zxid, 2);
    assert_eq!(
        (info.stats.packets_received, info.stats.packets_sent),
        (2, 2)
    );
    assert_eq!(
        info.stats.last_latency, 3,
        "received at t, applied and answered at t+3"
    );

    // A failed write records NA; a failed read keeps its name.
    c.create(&mut h, "/s", b"", 0);
    assert_eq!(h.core.connection_info(c.conn).unwrap().stats.last_op, "NA");
    c.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/none".into(),
            watch: false,
        }),
    );
    assert_eq!(
        h.core.connection_info(c.conn).unwrap().stats.last_op,
        "GETD"
    );
    c.call_xid(&mut h, -2, Request::Ping);
    let st = h.core.connection_info(c.conn).unwrap().stats;
    assert_eq!(st.last_op, "PING");
    assert_eq!(st.last_cxid, 8, "pings do not overwrite lcxid");

    let s = h.core.server_stats();
    assert_eq!(s.packets_received, 5);
    assert_eq!(s.packets_sent, 5);
    assert_eq!(s.latency.count(), 5);
    h.core.reset_server_stats();
    assert_eq!(h.core.server_stats().packets_received, 0);
    h.core.reset_connection_stats();
    let st = h.core.connection_info(c.conn).unwrap().stats;
    assert_eq!((st.last_op, st.last_cxid, st.last_zxid), ("NA", -1, -1));

    assert_eq!(h.core.num_alive_connections(), 1);
    assert_eq!(h.core.outstanding_requests(), 0);
    h.core.note_four_letter_word();
    assert_eq!(h.core.server_stats().packets_received, 1);
}

#[test]
fn sessions_ephemerals_and_watches() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session_from("127.0.0.1:1", 10000);
    let mut b = h.session_from("127.0.0.1:2", 20000);
    a.create_ok(&mut h, "/e1", b"", 1);
    a.create_ok(&mut h, "/e2", b"", 1);
    b.create_ok(&mut h, "/e3", b"", 1);
    b.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/e1".into(),
            watch: true,
        }),
    );
    let sessions = h.core.sessions();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions[0].timeout_ms, 10000);
    assert_eq!(h.core.global_sessions(), 2);
    let buckets = h.core.session_expiry_buckets();
    let ids: Vec<i64> = buckets.iter().flat_map(|(_, v)| v.clone()).collect();
    assert!(ids.contains(&a.session_id) && ids.contains(&b.session_id));
    let eph = h.core.ephemerals_by_session();
    assert_eq!(eph.len(), 2);
    let of_a = eph.iter().find(|(s, _)| *s == a.session_id).unwrap();
    let mut paths = of_a.1.clone();
    paths.sort();
    assert_eq!(paths, vec!["/e1", "/e2"]);
    assert_eq!(h.core.tree().ephemeral_count(), 3);
    let ws = h.core.watch_summary();
    assert_eq!(ws.total_watches, 1);
    assert_eq!(h.core.session_of(b.conn), b.session_id);
    assert_eq!(
        ws.by_watcher
            .keys()
            .map(|w| h.core.session_of(*w))
            .collect::<Vec<_>>(),
        vec![b.session_id]
    );
    assert_eq!(h.core.committed_sessions().len(), 2);
}

#[test]
fn digest_history_every_128_zxids() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    while h.core.last_processed_zxid() < 300 {
        c.create(&mut h, "/x", b"", 0);
    }
    let log = h.core.digest_log();
    let zxids: Vec<i64> = log.iter().map(|d| d.zxid).collect();
    assert_eq!(zxids, vec![128, 256]);
    assert!(log
        .iter()
        .all(|d| d.digest_version == 2 && d.digest == h.core.tree().digest()));
}

#[test]
fn server_core_is_send() {
    fn is_send<T: Send>() {}
    is_send::<zkrs_session::ServerCore>();
}
