//! Catalogue §6 E (client-visible), as scripted simulations with raw client connections
//! (`scripted_client`): sessions moved across a failover, expiry across a leader change,
//! `sync` + read under two leaders. Every step also runs the invariant checker (I1–I4, I7,
//! serving only after UPTODATE); `finish` heals everything, requires convergence (equal
//! digests, one leader) and checks the workload clients' acknowledged writes (I10). The
//! random workload is off (no clients per member): the raw connections are the only clients.

use bytes::Bytes;
use zkrs_jute::{
    perms, CreateRequest, ErrorCode, GetDataRequest, GetDataResponse, Jute, MultiOp, MultiRequest,
    Request, SetDataRequest, SetWatches, SyncRequest,
};
use zkrs_jute::{ErrorTxn, TxnBody, TxnEntry};
use zkrs_session::ConnId;
use zkrs_sim::observation::Observation;
use zkrs_sim::{SimConfig, Simulation};

mod common;
use common::*;

/// The session timeout the raw clients ask for; the members' maximum (20 ticks) is 4 s.
const TIMEOUT_MS: i32 = 4_000;
const EPHEMERAL: i32 = 1;
/// `Watcher.Event.EventType.NodeDataChanged`.
const NODE_DATA_CHANGED: i32 = 3;

fn config() -> SimConfig {
    SimConfig {
        faults: false,
        keep_trace: true,
        clients_per_node: 0,
        ..SimConfig::default()
    }
}

fn sim(config: SimConfig, seed: u64) -> Simulation {
    let mut s = Simulation::new(config, seed);
    s.record_observations(true);
    s
}

/// Opens a session (or resumes `session`) on `sid` and waits for the ConnectResponse.
fn connect(s: &mut Simulation, sid: u64, session: (i64, Bytes), zxid: i64) -> ConnId {
    let conn = s.raw_connect(sid, session.0, session.1, zxid, TIMEOUT_MS);
    assert!(
        s.run_until(5_000, |s| {
            let c = s.raw_conn(conn);
            c.closed || c.connected.is_some()
        }),
        "no ConnectResponse from {sid}"
    );
    let c = s.raw_conn(conn);
    assert!(!c.closed, "server {sid} closed the connection");
    assert!(c.garbage.is_empty(), "{:?}", c.garbage);
    conn
}

fn create(path: &str, data: &str, flags: i32) -> Request {
    Request::Create(CreateRequest {
        path: path.into(),
        data: Some(Bytes::from(data.to_owned())),
        acl: perms::open_acl_unsafe(),
        flags,
    })
}

fn set_data(path: &str, data: &str) -> Request {
    Request::SetData(SetDataRequest {
        path: path.into(),
        data: Some(Bytes::from(data.to_owned())),
        version: -1,
    })
}

fn get_data(path: &str) -> Request {
    Request::GetData(GetDataRequest {
        path: path.into(),
        watch: false,
    })
}

fn sync(path: &str) -> Request {
    Request::Sync(SyncRequest { path: path.into() })
}

/// Sends `request` and waits (pinging the connection) for its reply.
fn call(s: &mut Simulation, conn: ConnId, xid: i32, request: Request) -> (i32, i64, Bytes) {
    s.raw_request(conn, xid, request);
    let r = s.raw_wait_reply(conn, xid, 10_000);
    let r = r.unwrap_or_else(|| {
        panic!(
            "no reply to xid {xid} on {conn}: {}\n{}",
            s.describe_nodes(),
            s.trace_lines().join("\n")
        )
    });
    (r.err, r.zxid, r.body)
}

fn data_of(body: &Bytes) -> Option<Bytes> {
    GetDataResponse::from_bytes(body).ok().and_then(|r| r.data)
}

/// Whether `path` exists on every running member, with its ephemeral owner.
fn owners(s: &Simulation, path: &str) -> Vec<(u64, Option<i64>)> {
    s.nodes()
        .filter(|n| n.up)
        .map(|n| (n.sid, n.tree().node(path).map(|d| d.stat.ephemeral_owner)))
        .collect()
}

/// Catalogue 36: session moved across a failover (ZK-710/2886, `QuorumTest#testSessionMove*`).
/// Seed 36, V=3. A session on follower F1 creates an ephemeral; the leader crashes; the
/// session reconnects to F1 under the new leader (revalidated, same id), then moves to the
/// other survivor F2 (here the new leader) while its F1 connection stays open (half-open:
/// the client just left it). Checks: a create on the old F1 connection becomes a SESSIONMOVED
/// error txn at the leader, creates nothing, and F1 closes that connection without a reply
/// (a connection-level error, as Java's FinalRequestProcessor: the client sees a connection
/// loss); on the F2 connection writes succeed; reconnecting to F1 again works with no
/// SESSIONMOVED (not permanent, even when the connection's first write is a multi, ZK-2886);
/// a data watch set on F2 and re-registered with SetWatches on the new F1 connection (as the
/// client library does) fires there; the ephemeral survives the failover and the moves,
/// owned by the session, on every member; the session outlives a wait of half its timeout
/// after the new leader serves (its expiry was rebuilt at now + timeout). Both members
/// refuse a reconnect whose lastZxidSeen is ahead of them, so the test waits for F1 to catch
/// up before moving back.
#[test]
fn s36_session_moved_across_failover() {
    let mut s = sim(config(), 36);
    let leader = wait_leader(&mut s, 5_000);
    wait_converged(&mut s, 5_000);
    let fs: Vec<u64> = s.nodes().map(|n| n.sid).filter(|&x| x != leader).collect();
    let (f1, f2) = (fs[0], fs[1]);
    let c1 = connect(&mut s, f1, (0, Bytes::new()), 0);
    let session = s.raw_conn(c1).session();
    assert_ne!(session.0, 0);
    let (err, zxid, _) = call(&mut s, c1, 1, create("/eph36", "e", EPHEMERAL));
    assert_eq!(err, 0);
    s.crash(leader);
    let new = wait_leader(&mut s, 20_000);
    assert_ne!(new, leader);
    wait_converged_up(&mut s);
    assert!(
        s.raw_conn(c1).closed,
        "F1 closed its clients when it lost its leader"
    );
    // Half the timeout after the new leader serves: the session still lives.
    s.run_for(TIMEOUT_MS as u64 / 2);
    let c1b = connect(&mut s, f1, session.clone(), zxid);
    assert_eq!(
        s.raw_conn(c1b).session().0,
        session.0,
        "the session survives the failover (revalidated)"
    );
    // The client moves to F2; its F1 connection is left open (half-open).
    let c2 = connect(&mut s, f2, session.clone(), zxid);
    assert_eq!(s.raw_conn(c2).session().0, session.0);
    assert!(!s.raw_conn(c1b).closed);
    s.raw_request(c1b, 1, create("/old36", "x", 0));
    let reply = s.raw_wait_reply(c1b, 1, 10_000);
    assert_eq!(reply, None, "no reply on a moved connection");
    assert!(
        s.raw_conn(c1b).closed,
        "SESSIONMOVED closes the old connection (FinalRequestProcessor)"
    );
    let moved = s.observations().iter().any(|o| match o {
        Observation::Applied { sid, txn, .. } if *sid == f1 => {
            TxnEntry::decode(txn).is_ok_and(|e| {
                e.header.client_id == session.0
                    && e.header.cxid == 1
                    && e.body
                        == TxnBody::Error(ErrorTxn {
                            err: ErrorCode::SessionMoved as i32,
                        })
            })
        }
        _ => false,
    });
    assert!(
        moved,
        "the leader turned the old connection's create into SESSIONMOVED"
    );
    s.run_for(200);
    assert!(owners(&s, "/old36").iter().all(|(_, o)| o.is_none()));
    let (err, _, _) = call(&mut s, c2, 1, create("/new36", "x", 0));
    assert_eq!(err, 0, "the new connection writes");
    // A data watch on F2, set on the new connection.
    let (err, seen, _) = call(
        &mut s,
        c2,
        2,
        Request::GetData(GetDataRequest {
            path: "/new36".into(),
            watch: true,
        }),
    );
    assert_eq!(err, 0);
    // Back to F1 on a new connection: no permanent SESSIONMOVED.
    // (A member behind the client's lastZxidSeen refuses it: wait until F1 has caught up.)
    assert!(s.run_until(5_000, |s| s.node(f1).last_zxid() >= seen));
    let c3 = connect(&mut s, f1, session.clone(), seen);
    assert_eq!(s.raw_conn(c3).session().0, session.0);
    // The client library re-registers its watches on the new connection.
    s.raw_request(
        c3,
        -8,
        Request::SetWatches(SetWatches {
            relative_zxid: seen,
            data_watches: vec!["/new36".into()],
            exist_watches: Vec::new(),
            child_watches: Vec::new(),
        }),
    );
    // Its first write is a multi (ZK-2886: multi-only connections).
    let multi = Request::Multi(MultiRequest {
        ops: vec![
            MultiOp::Create(CreateRequest {
                path: "/back36".into(),
                data: Some(Bytes::from_static(b"x")),
                acl: perms::open_acl_unsafe(),
                flags: 0,
            }),
            MultiOp::SetData(SetDataRequest {
                path: "/back36".into(),
                data: Some(Bytes::from_static(b"x2")),
                version: -1,
            }),
        ],
    });
    let (err, _, _) = call(&mut s, c3, 1, multi);
    assert_eq!(err, 0, "no permanent SESSIONMOVED after reconnecting");
    assert!(!s.raw_conn(c3).closed);
    let (err, _, _) = call(&mut s, c3, 2, set_data("/eph36", "e2"));
    assert_eq!(err, 0);
    let (err, _, _) = call(&mut s, c3, 3, set_data("/new36", "y"));
    assert_eq!(err, 0);
    let events = &s.raw_conn(c3).events;
    assert!(
        events
            .iter()
            .any(|e| e.path == "/new36" && e.r#type == NODE_DATA_CHANGED),
        "the watch moved with the session (SetWatches): {events:?}"
    );
    s.run_for(500);
    for (sid, owner) in owners(&s, "/eph36") {
        assert_eq!(owner, Some(session.0), "the ephemeral on server {sid}");
    }
    for path in ["/new36", "/back36"] {
        assert!(owners(&s, path).iter().all(|(_, o)| o.is_some()), "{path}");
    }
    assert_clean(&s);
    assert_ok(s.finish());
}

/// Waits until every running member serves under one leader, with equal digests.
fn wait_converged_up(s: &mut Simulation) {
    assert!(s.run_until(20_000, agreed), "{}", s.describe_nodes());
}

/// Catalogue 37: expiry across a leader change (ZK-2355/4837/5010 family). Seed 37, V=3,
/// two runs. A session on a follower creates two ephemerals, then its client dies
/// (connection closed, no more pings). The followers' disks are slowed (1.5–2 s) so that
/// the leader's closeSession proposal stays outstanding; the leader crashes while it is.
/// Run "logged": the followers keep running, so the proposal reaches their logs and the new
/// leader's NEWLEADER commits it. Run "lost": the followers crash at the same moment (their
/// unsynced copy of the proposal is lost) and restart; the new leader's history ends before
/// the closeSession, so it must expire the session itself from the tracker it rebuilt from
/// the tree. Checks: the closeSession was outstanding at the crash; in "lost", the
/// ephemerals still exist when the new leader starts serving (the session is live until its
/// timeout, I10); in both, within 2 × timeout after the new leader serves, both ephemerals
/// are gone on every running member with equal digests, and the session is gone from the
/// new leader's sessions; the crashed leader, restarted by `finish`, converges to the same.
#[test]
fn s37_expiry_across_leader_change() {
    for lost in [false, true] {
        let run = if lost { "lost" } else { "logged" };
        let mut s = sim(config(), 37);
        let leader = wait_leader(&mut s, 5_000);
        wait_converged(&mut s, 5_000);
        let fs: Vec<u64> = s.nodes().map(|n| n.sid).filter(|&x| x != leader).collect();
        let c = connect(&mut s, fs[0], (0, Bytes::new()), 0);
        let session = s.raw_conn(c).session().0;
        for (xid, path) in [(1, "/e37a"), (2, "/e37b")] {
            let (err, _, _) = call(&mut s, c, xid, create(path, "e", EPHEMERAL));
            assert_eq!(err, 0);
        }
        s.run_for(300);
        for &f in &fs {
            s.set_disk_delay(f, (1_500, 2_000));
        }
        s.raw_close(c);
        let outstanding = |s: &Simulation| match s.node(leader).role() {
            zkrs_sim::node::Role::Leading(l) => l.outstanding_proposals(),
            _ => 0,
        };
        assert!(
            s.run_until(3 * TIMEOUT_MS as u64, |s| outstanding(s) > 0),
            "{run}: the leader proposes the expiry: {}",
            s.describe_nodes()
        );
        let committed = *s.checker().committed().keys().next_back().unwrap_or(&0);
        assert!(owners(&s, "/e37a").iter().all(|(_, o)| *o == Some(session)));
        s.crash(leader);
        for &f in &fs {
            if lost {
                s.crash(f);
            }
            s.set_disk_delay(f, (1, 10));
        }
        if lost {
            for &f in &fs {
                s.restart(f);
            }
        }
        let new = wait_leader(&mut s, 20_000);
        let up_at = s.now_ms();
        let gone = |s: &Simulation| {
            ["/e37a", "/e37b"]
                .iter()
                .all(|p| owners(s, p).iter().all(|(_, o)| o.is_none()))
        };
        if lost {
            assert_eq!(
                s.node(new).last_zxid(),
                committed,
                "the closeSession was lost"
            );
            assert!(!gone(&s), "the session lives until its timeout");
            // Not expired at once either: its deadline was rebuilt at load + timeout.
            assert!(!s.run_until(TIMEOUT_MS as u64 / 2, gone));
        }
        assert!(
            s.run_until(up_at + 2 * TIMEOUT_MS as u64 - s.now_ms(), |s| gone(s)
                && agreed(s)),
            "{run}: ephemerals still there {} ms after the new leader {new} serves: {}",
            s.now_ms() - up_at,
            s.describe_nodes()
        );
        assert!(s
            .node(new)
            .core()
            .committed_sessions()
            .iter()
            .all(|(id, _)| *id != session));
        assert_clean(&s);
        assert_ok(s.finish());
    }
}

/// Every running member serves under one leader, with the leader's digest.
fn agreed(s: &Simulation) -> bool {
    let Some(l) = s.leader() else { return false };
    let d = s.node(l).digest();
    s.nodes()
        .filter(|n| n.up)
        .all(|n| n.role_serving() && n.digest() == d)
}

/// Catalogue 38 (ZK-3522, ZK-1675): `sync` + read under two leaders. Seed 38, V=5. The
/// first leader L (server 5) runs with a syncLimit of 50 ticks (it notices the loss of its
/// followers after 10 s, they notice the loss of L after 1 s: the catalogue's "TCP timeout <
/// syncLimit·tickTime"). Clients on F1 and on L itself read /x = v0; then part{L,F1 |
/// F2,F3,F4}; the majority elects a new leader and a client there sets /x = v1 while L still
/// believes it leads. Checks, while L still leads: a plain read on F1 returns the stale v0
/// (ZooKeeper's documented behaviour, and proof that the two-leader window is real); but
/// zkrs goes beyond ZooKeeper: a `sync` on F1 and a `sync` on L itself are never answered
/// (L cannot complete a quorum round), and the reads queued behind them are not answered
/// stale; a write on F1 is not acknowledged and the read after it on the same connection is
/// answered with nothing but that write. When L steps down, F1's clients lose their
/// connections. After healing, sync + read on F1 returns v1, write then read on F1 returns
/// the write, a sync on the new leader's own client is answered, and no write of the
/// minority survives; the ensemble converges.
#[test]
fn s38_sync_and_read_under_two_leaders() {
    let mut s = sim(
        SimConfig {
            voters: 5,
            ..config()
        },
        38,
    );
    // Server 5 (the highest sid) will lead epoch 1 with the long syncLimit.
    s.node_mut(5).zab_config_mut().sync_limit_ticks = 50;
    let leader = wait_leader(&mut s, 5_000);
    assert_eq!(leader, 5);
    wait_converged(&mut s, 5_000);
    let others: Vec<u64> = s.nodes().map(|n| n.sid).filter(|&x| x != leader).collect();
    let f1 = others[0];
    let majority: Vec<u64> = others[1..].to_vec();
    let a = connect(&mut s, f1, (0, Bytes::new()), 0);
    let (err, zxid, _) = call(&mut s, a, 1, create("/x", "v0", 0));
    assert_eq!(err, 0);
    let (err, _, body) = call(&mut s, a, 2, get_data("/x"));
    assert_eq!((err, data_of(&body)), (0, Some(Bytes::from("v0"))));
    let a2 = connect(&mut s, f1, (0, Bytes::new()), zxid);
    // A session on L itself: its syncs go through the leader's own quorum round.
    let l = connect(&mut s, leader, (0, Bytes::new()), zxid);
    s.run_pinging(1_000, 300, &[a, a2, l]);

    s.partition(&[leader, f1], &majority);
    let new_leader = |s: &Simulation| {
        s.nodes()
            .find(|n| n.sid != leader && n.up && n.is_serving_leader())
            .map(|n| n.sid)
    };
    let mut waited = 0;
    while new_leader(&s).is_none() && waited < 8_000 {
        s.run_pinging(200, 200, &[a, a2, l]);
        waited += 200;
    }
    let new = new_leader(&s).expect("the majority elects a leader");
    assert!(
        s.node(leader).is_serving_leader(),
        "L still believes it leads"
    );
    let b = connect(&mut s, new, (0, Bytes::new()), 0);
    let (err, _, _) = call(&mut s, b, 1, set_data("/x", "v1"));
    assert_eq!(err, 0, "the majority writes v1");
    assert!(s.node(leader).is_serving_leader(), "two leaders now");

    // A plain read on F1: stale, as ZooKeeper allows.
    let (err, _, body) = call(&mut s, a, 3, get_data("/x"));
    assert_eq!((err, data_of(&body)), (0, Some(Bytes::from("v0"))));
    // sync + read on F1: not answered while L cannot reach a quorum.
    s.raw_request(a, 4, sync("/x"));
    s.raw_request(a, 5, get_data("/x"));
    // A write then a read on another session of F1.
    s.raw_request(a2, 1, set_data("/x", "w-f1"));
    s.raw_request(a2, 2, get_data("/x"));
    // sync + read on L itself.
    s.raw_request(l, 1, sync("/x"));
    s.raw_request(l, 2, get_data("/x"));
    let mut waited = 0;
    while s.node(leader).is_serving_leader() && waited < 15_000 {
        s.run_pinging(200, 200, &[a, a2, l]);
        waited += 200;
    }
    assert!(!s.node(leader).is_serving_leader(), "L steps down");
    s.run_for(500);
    assert!(
        s.raw_conn(a).closed && s.raw_conn(a2).closed,
        "F1's clients lose their connection (and retry elsewhere)"
    );
    let conn_a = s.raw_conn(a).clone();
    if let Some(r) = conn_a.reply(5) {
        assert_eq!(
            data_of(&r.body),
            Some(Bytes::from("v1")),
            "sync + read on F1 returned stale data"
        );
    }
    assert!(
        conn_a.reply(4).is_none(),
        "a sync answered by a leader without a quorum: {:?}",
        conn_a.reply(4)
    );
    let conn_l = s.raw_conn(l).clone();
    assert!(
        conn_l.reply(1).is_none(),
        "a sync answered by L alone: {:?}",
        conn_l.reply(1)
    );
    if let Some(r) = conn_l.reply(2) {
        assert_eq!(
            data_of(&r.body),
            Some(Bytes::from("v1")),
            "sync + read on L returned stale data"
        );
    }
    let conn_a2 = s.raw_conn(a2).clone();
    assert!(
        conn_a2.reply(1).is_none_or(|r| r.err != 0),
        "a minority write was acknowledged"
    );
    if let Some(r) = conn_a2.reply(2) {
        assert_eq!(
            data_of(&r.body),
            Some(Bytes::from("w-f1")),
            "a read after a write on F1 is stale"
        );
    }

    s.heal();
    wait_converged(&mut s, 30_000);
    let c = connect(&mut s, f1, (0, Bytes::new()), 0);
    let (err, _, _) = call(&mut s, c, 1, sync("/x"));
    assert_eq!(err, 0);
    let (err, _, body) = call(&mut s, c, 2, get_data("/x"));
    assert_eq!((err, data_of(&body)), (0, Some(Bytes::from("v1"))));
    let (err, _, _) = call(&mut s, c, 3, set_data("/x", "v2"));
    assert_eq!(err, 0);
    let (err, _, body) = call(&mut s, c, 4, get_data("/x"));
    assert_eq!((err, data_of(&body)), (0, Some(Bytes::from("v2"))));
    // sync + read on the leader itself (its own quorum round) once the ensemble is whole.
    let now_leader = s.leader().unwrap_or_default();
    let d = connect(&mut s, now_leader, (0, Bytes::new()), 0);
    let (err, _, _) = call(&mut s, d, 1, sync("/x"));
    assert_eq!(err, 0, "a leader's own client's sync is answered");
    let (err, _, body) = call(&mut s, d, 2, get_data("/x"));
    assert_eq!((err, data_of(&body)), (0, Some(Bytes::from("v2"))));
    s.run_for(500);
    for n in s.nodes() {
        let d = n.tree().node("/x").and_then(|d| d.data.clone());
        assert_eq!(
            d.as_deref(),
            Some(&b"v2"[..]),
            "server {}: the minority's write does not survive",
            n.sid
        );
    }
    assert_clean(&s);
    assert_ok(s.finish());
}
