//! Quorum roles: a leader and a follower (or observer) core wired by hand, as the ZAB driver
//! will wire them. The follower's `Forward`s go to `leader.handle_learner_request`, the
//! leader's `Persist`s are "committed" by the test (`leader.handle_committed` then
//! `follower.handle_committed_txn`), revalidations and SYNCs are carried across. A client of the
//! follower must see exactly what a client of a standalone server sees.

mod common;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::SocketAddr;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;
use zkrs_session::{generate_passwd, Clock, ConnId, CoreConfig, CoreRole, Output, ServerCore};

/// The follower's server id (also the high byte of the session ids it creates, as for the
/// standalone harness, so that both runs hand out the same ids).
const FOLLOWER_SID: u64 = 1;

fn connect_req(session_id: i64, passwd: &[u8], timeout: i32) -> ConnectRequest {
    ConnectRequest {
        protocol_version: 0,
        last_zxid_seen: 0,
        time_out: timeout,
        session_id,
        passwd: Bytes::copy_from_slice(passwd),
        read_only: Some(false),
    }
}

/// Decodes one frame the server sent: the first of a connection is its ConnectResponse.
fn decode_frame(connected: &mut BTreeSet<ConnId>, conn: ConnId, frame: &[u8]) -> Frame {
    let len = i32::from_be_bytes([frame[0], frame[1], frame[2], frame[3]]) as usize;
    assert_eq!(len + 4, frame.len(), "length prefix");
    let payload = &frame[4..];
    if connected.insert(conn) {
        return Frame::Connect(decode(payload));
    }
    let mut r = JuteReader::new(payload);
    let header = ReplyHeader::read_from(&mut r).expect("reply header");
    Frame::Reply {
        header,
        body: Bytes::copy_from_slice(r.rest()),
    }
}

/// The client side of one core: frames received per connection, connections closed.
#[derive(Default)]
struct Clients {
    inbox: BTreeMap<ConnId, VecDeque<Frame>>,
    closed: BTreeSet<ConnId>,
    connected: BTreeSet<ConnId>,
}

impl Clients {
    /// Handles a Send or Close; returns the output back if it is neither.
    fn handle(&mut self, core: &mut ServerCore, o: Output) -> Option<Output> {
        match o {
            Output::Send { conn, frame } => {
                let f = decode_frame(&mut self.connected, conn, &frame);
                self.inbox.entry(conn).or_default().push_back(f);
                None
            }
            Output::Close { conn } => {
                self.closed.insert(conn);
                core.handle_connection_closed(conn);
                None
            }
            other => Some(other),
        }
    }

    fn take(&mut self, conn: ConnId) -> Vec<Frame> {
        self.inbox
            .get_mut(&conn)
            .map(|q| q.drain(..).collect())
            .unwrap_or_default()
    }
}

/// A leader and one learner, with the ZAB traffic between them carried by hand.
struct Quorum {
    leader: ServerCore,
    follower: ServerCore,
    now: Clock,
    /// Commit every proposal as soon as it is made.
    auto_commit: bool,
    /// Answer revalidations as soon as they are asked.
    auto_revalidate: bool,
    /// Proposed (Persist) and not committed yet.
    proposals: VecDeque<TxnEntry>,
    /// Every txn committed, in order.
    committed: Vec<TxnEntry>,
    /// Every `Output::Forward` the learner emitted.
    forwards: Vec<Output>,
    /// Revalidations asked and not answered yet (when `auto_revalidate` is off).
    revalidations: VecDeque<(i64, i32)>,
    /// SYNC packets the leader sent.
    syncs_sent: usize,
    clients: Clients,
    leader_clients: Clients,
    next_conn: ConnId,
}

impl Quorum {
    fn new(learner_role: CoreRole) -> Self {
        Self::with_config(learner_role, CoreConfig::default())
    }

    /// Both members with `base` (their server ids set here).
    fn with_config(learner_role: CoreRole, base: CoreConfig) -> Self {
        let now = Clock {
            mono_ms: START_MONO,
            wall_ms: START_WALL,
        };
        let leader_config = CoreConfig {
            server_id: 2,
            ..base.clone()
        };
        let follower_config = CoreConfig {
            server_id: FOLLOWER_SID as u8,
            ..base
        };
        Quorum {
            leader: ServerCore::new(leader_config, now).with_role(CoreRole::Leader, now),
            follower: ServerCore::new(follower_config, now).with_role(learner_role, now),
            now,
            auto_commit: true,
            auto_revalidate: true,
            proposals: VecDeque::new(),
            committed: Vec::new(),
            forwards: Vec::new(),
            revalidations: VecDeque::new(),
            syncs_sent: 0,
            clients: Clients::default(),
            leader_clients: Clients::default(),
            next_conn: 1,
        }
    }

    fn advance(&mut self, ms: u64) {
        self.now.mono_ms += ms;
        self.now.wall_ms += ms as i64;
    }

    /// Carries every output across until nothing moves.
    fn pump(&mut self) {
        loop {
            let mut progressed = false;
            while let Some(o) = self.follower.poll_output() {
                progressed = true;
                match self.clients.handle(&mut self.follower, o) {
                    None => {}
                    Some(
                        ref f @ Output::Forward {
                            session_id,
                            cxid,
                            op,
                            ref request,
                            ref auth,
                        },
                    ) => {
                        self.forwards.push(f.clone());
                        self.leader.handle_learner_request(
                            FOLLOWER_SID,
                            session_id,
                            cxid,
                            op,
                            request.clone(),
                            auth.clone(),
                            self.now,
                        );
                    }
                    Some(Output::Revalidate {
                        session_id,
                        timeout_ms,
                    }) => self.revalidations.push_back((session_id, timeout_ms)),
                    Some(other) => panic!("a learner emitted {other:?}"),
                }
            }
            while let Some(o) = self.leader.poll_output() {
                progressed = true;
                match self.leader_clients.handle(&mut self.leader, o) {
                    None => {}
                    Some(Output::Persist { entry }) => {
                        let bytes = entry.encode();
                        assert_eq!(TxnEntry::decode(&bytes).expect("txn decodes"), entry);
                        self.proposals.push_back(entry);
                    }
                    Some(Output::LearnerSync { sid }) => {
                        assert_eq!(sid, FOLLOWER_SID);
                        self.syncs_sent += 1;
                        self.follower.handle_sync_answered(self.now);
                    }
                    Some(other) => panic!("the leader emitted {other:?}"),
                }
            }
            if self.auto_revalidate {
                while let Some((session_id, timeout_ms)) = self.revalidations.pop_front() {
                    progressed = true;
                    self.answer_revalidation(session_id, timeout_ms);
                }
            }
            if self.auto_commit && !self.proposals.is_empty() {
                progressed = true;
                self.commit_next(usize::MAX);
            }
            if !progressed {
                break;
            }
        }
    }

    /// REVALIDATE → leader → answer → learner.
    fn answer_revalidation(&mut self, session_id: i64, timeout_ms: i32) {
        let valid = self
            .leader
            .revalidate_session(FOLLOWER_SID, session_id, timeout_ms, self.now);
        self.follower
            .handle_revalidate_answer(session_id, valid, self.now);
    }

    /// Commits up to `n` proposals, oldest first: the leader applies it, then the learner
    /// gets the COMMIT.
    fn commit_next(&mut self, n: usize) {
        for _ in 0..n {
            let Some(entry) = self.proposals.pop_front() else {
                break;
            };
            self.leader.handle_committed(entry.header.zxid, self.now);
            self.follower.handle_committed_txn(entry.clone(), self.now);
            self.committed.push(entry);
        }
    }

    fn commit_all(&mut self) {
        self.commit_next(usize::MAX);
        self.pump();
    }

    fn open_on_leader(&mut self) -> ConnId {
        let conn = self.next_conn;
        self.next_conn += 1;
        let addr: SocketAddr = "127.0.0.1:41000".parse().expect("address");
        self.leader.handle_connection_opened(conn, addr);
        conn
    }

    fn connect_on_leader(&mut self, conn: ConnId, req: ConnectRequest) -> Vec<Frame> {
        self.leader.handle_connect(conn, req, self.now);
        self.pump();
        self.leader_clients.take(conn)
    }

    fn send_on_leader(&mut self, conn: ConnId, xid: i32, req: &Request) {
        let mut body = Vec::new();
        req.write_body(&mut body);
        let request = Request::decode(req.op().code(), &mut JuteReader::new(&body));
        let header = RequestHeader {
            xid,
            r#type: req.op().code(),
        };
        self.leader.handle_request(conn, header, request, self.now);
        self.pump();
    }
}

/// What a scripted client needs from a server, standalone or quorum.
trait Rig {
    fn open(&mut self) -> ConnId;
    fn connect(&mut self, conn: ConnId, req: ConnectRequest) -> Vec<Frame>;
    fn send_raw(&mut self, conn: ConnId, xid: i32, op: i32, body: &[u8]);
    fn pump(&mut self);
    fn take(&mut self, conn: ConnId) -> Vec<Frame>;
    fn is_closed(&self, conn: ConnId) -> bool;

    fn send(&mut self, conn: ConnId, xid: i32, req: &Request) {
        let mut body = Vec::new();
        req.write_body(&mut body);
        self.send_raw(conn, xid, req.op().code(), &body);
    }

    /// A new session; returns its connection and ConnectResponse.
    fn session(&mut self) -> (ConnId, ConnectResponse) {
        let conn = self.open();
        let frames = self.connect(conn, connect_req(0, &[0; 16], 30000));
        assert_eq!(frames.len(), 1, "one ConnectResponse: {frames:?}");
        (conn, frames[0].connect().clone())
    }

    /// Sends `req` and returns what arrived on `conn`.
    fn call(&mut self, conn: ConnId, xid: i32, req: &Request) -> Vec<Frame> {
        self.send(conn, xid, req);
        self.pump();
        self.take(conn)
    }
}

impl Rig for Harness {
    fn open(&mut self) -> ConnId {
        self.open_from("127.0.0.1:40000")
    }
    fn connect(&mut self, conn: ConnId, req: ConnectRequest) -> Vec<Frame> {
        self.connect_raw(conn, req)
    }
    fn send_raw(&mut self, conn: ConnId, xid: i32, op: i32, body: &[u8]) {
        Harness::send_raw(self, conn, xid, op, body);
    }
    fn pump(&mut self) {
        Harness::pump(self);
    }
    fn take(&mut self, conn: ConnId) -> Vec<Frame> {
        Harness::take(self, conn)
    }
    fn is_closed(&self, conn: ConnId) -> bool {
        Harness::is_closed(self, conn)
    }
}

impl Rig for Quorum {
    fn open(&mut self) -> ConnId {
        let conn = self.next_conn;
        self.next_conn += 1;
        let addr: SocketAddr = "127.0.0.1:40000".parse().expect("address");
        self.follower.handle_connection_opened(conn, addr);
        conn
    }
    fn connect(&mut self, conn: ConnId, req: ConnectRequest) -> Vec<Frame> {
        self.follower.handle_connect(conn, req, self.now);
        self.pump();
        self.clients.take(conn)
    }
    fn send_raw(&mut self, conn: ConnId, xid: i32, op: i32, body: &[u8]) {
        let request = Request::decode(op, &mut JuteReader::new(body));
        self.follower
            .handle_request(conn, RequestHeader { xid, r#type: op }, request, self.now);
    }
    fn pump(&mut self) {
        Quorum::pump(self);
    }
    fn take(&mut self, conn: ConnId) -> Vec<Frame> {
        self.clients.take(conn)
    }
    fn is_closed(&self, conn: ConnId) -> bool {
        self.clients.closed.contains(&conn)
    }
}

fn create(path: &str, data: &[u8], flags: i32) -> Request {
    Request::Create(create_req(path, data, flags))
}

fn get_data(path: &str, watch: bool) -> Request {
    Request::GetData(GetDataRequest {
        path: path.into(),
        watch,
    })
}

fn set_data(path: &str, data: &[u8], version: i32) -> Request {
    Request::SetData(SetDataRequest {
        path: path.into(),
        data: Some(Bytes::copy_from_slice(data)),
        version,
    })
}

fn exists(path: &str, watch: bool) -> Request {
    Request::Exists(ExistsRequest {
        path: path.into(),
        watch,
    })
}

fn get_children(path: &str, watch: bool) -> Request {
    Request::GetChildren(GetChildrenRequest {
        path: path.into(),
        watch,
    })
}

fn sync(path: &str) -> Request {
    Request::Sync(SyncRequest { path: path.into() })
}

/// One step of the script: the frames each of the two connections received, and whether
/// each is closed.
type Step = (Vec<Frame>, Vec<Frame>, bool, bool);

/// A scripted pair of sessions: A writes, B watches. Returns every step's frames.
fn script(r: &mut impl Rig) -> Vec<Step> {
    let (a, ca) = r.session();
    let (b, cb) = r.session();
    let mut steps: Vec<Step> = vec![(
        vec![Frame::Connect(ca)],
        vec![Frame::Connect(cb)],
        false,
        false,
    )];
    let requests: Vec<(bool, i32, Request)> = vec![
        (true, 1, create("/app", b"x", 0)),
        (true, 2, create("/app/eph", b"e", 1)),
        (true, 3, create("/app/seq-", b"", 2)),
        (true, 4, create("/app/es-", b"", 3)),
        (false, 1, get_data("/app", true)),
        (false, 2, get_children("/app", true)),
        (false, 3, exists("/app/eph", true)),
        (true, 5, set_data("/app", b"y", -1)),
        (
            true,
            6,
            Request::Multi(MultiRequest {
                ops: vec![
                    MultiOp::Create(create_req("/app/m1", b"", 0)),
                    MultiOp::Delete(DeleteRequest {
                        path: "/nope".into(),
                        version: -1,
                    }),
                ],
            }),
        ),
        (
            true,
            7,
            Request::Multi(MultiRequest {
                ops: vec![
                    MultiOp::Create(create_req("/app/m2", b"", 0)),
                    MultiOp::SetData(SetDataRequest {
                        path: "/app".into(),
                        data: Some(Bytes::from_static(b"z")),
                        version: -1,
                    }),
                    MultiOp::Check(CheckVersionRequest {
                        path: "/app".into(),
                        version: 2,
                    }),
                ],
            }),
        ),
        (
            true,
            8,
            Request::Delete(DeleteRequest {
                path: "/app/seq-0000000001".into(),
                version: -1,
            }),
        ),
        (true, 9, set_data("/app", b"w", 99)),
        (true, 10, create("/app/eph", b"", 1)),
        (
            true,
            11,
            Request::Create(CreateRequest {
                path: "/app/noacl".into(),
                data: None,
                acl: vec![],
                flags: 0,
            }),
        ),
        (true, 12, sync("/app")),
        (true, 13, get_data("/app", false)),
        (true, 14, Request::Create2(create_req("/app/c2", b"two", 0))),
        (false, 4, exists("/app/eph", true)),
        (false, 5, get_children("/app", true)),
        (true, 15, Request::CloseSession),
        (false, 6, get_children("/app", false)),
        (false, -2, Request::Ping),
        (false, 7, Request::CloseSession),
    ];
    for (on_a, xid, req) in requests {
        r.send(if on_a { a } else { b }, xid, &req);
        r.pump();
        steps.push((r.take(a), r.take(b), r.is_closed(a), r.is_closed(b)));
    }
    steps
}

fn err_of(step: &Step, on_a: bool) -> i32 {
    let frames = if on_a { &step.0 } else { &step.1 };
    frames.last().expect("a reply").err()
}

#[test]
fn follower_client_sees_what_a_standalone_client_sees() {
    let mut standalone = Harness::new(Harness::default_config());
    let expected = script(&mut standalone);
    // Sanity of the script itself: errors, results, notifications.
    assert_eq!(err_of(&expected[12], true), ErrorCode::BadVersion.code());
    assert_eq!(err_of(&expected[13], true), ErrorCode::NodeExists.code());
    assert_eq!(err_of(&expected[14], true), ErrorCode::InvalidAcl.code());
    let multi = decode::<MultiResponse>(expected[9].0[0].body());
    assert_eq!(
        multi.results,
        vec![
            MultiResult::Error(ErrorCode::Ok.code()),
            MultiResult::Error(ErrorCode::NoNode.code())
        ]
    );
    let changed = &expected[8].1;
    assert_eq!(changed.len(), 1, "B's data watch fires: {changed:?}");
    assert_eq!(changed[0].event().r#type, EventType::NodeDataChanged as i32);
    assert!(expected[20].2, "A closed after its closeSession");
    assert!(
        expected[20]
            .1
            .iter()
            .filter(|f| f.is_notification())
            .count()
            >= 2,
        "B hears of A's ephemerals: {:?}",
        expected[20].1
    );

    for role in [CoreRole::Follower, CoreRole::Observer] {
        let mut q = Quorum::new(role);
        let got = script(&mut q);
        assert_eq!(got.len(), expected.len());
        for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
            assert_eq!(g, e, "{role:?}, step {i}");
        }
        // The learner prepared nothing; its tree is the leader's.
        assert_eq!(
            q.follower.last_processed_zxid(),
            q.leader.last_processed_zxid()
        );
        assert_eq!(q.follower.tree().digest(), q.leader.tree().digest());
        assert_eq!(q.follower.pending_txns(), 0);
        assert_eq!(q.follower.tree().digest(), standalone.core.tree().digest());
        // Both sessions are gone everywhere.
        assert_eq!(q.leader.global_sessions(), 0);
        assert_eq!(q.follower.global_sessions(), 0);
        assert_eq!(q.committed, standalone.persisted);
        // Two createSessions, fourteen of A's requests (all but its getData), B's closeSession.
        assert_eq!(q.forwards.len(), 17);
        assert_eq!(q.follower.pending_forwards(), 0);
    }
}

#[test]
fn leader_clients_see_what_standalone_clients_see() {
    let mut standalone = Harness::new(Harness::default_config());
    let expected = script(&mut standalone);
    let mut h = Harness::new(Harness::default_config());
    let now = h.now;
    h.core.set_role(CoreRole::Leader, now);
    assert_eq!(h.core.role(), CoreRole::Leader);
    assert_eq!(script(&mut h), expected);
    assert_eq!(h.persisted, standalone.persisted);
}

#[test]
fn forwarded_requests_carry_the_java_request_layout() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, resp) = q.session();
    let Output::Forward {
        session_id,
        cxid,
        op,
        request,
        auth,
    } = &q.forwards[0]
    else {
        panic!("a Forward");
    };
    // createSession: cxid 0, CreateSessionTxn{timeout}, null authinfo.
    assert_eq!(*session_id, resp.session_id);
    assert_eq!(*session_id >> 56, FOLLOWER_SID as i64);
    assert_eq!((*cxid, *op), (0, OpCode::CreateSession.code()));
    assert_eq!(&request[..], &30000i32.to_be_bytes()[..]);
    assert!(auth.is_empty());
    // A create: the request record as the client sent it, the connection's identities.
    let req = create("/n", b"data", 0);
    let mut body = Vec::new();
    req.write_body(&mut body);
    q.call(a, 7, &req);
    let Output::Forward {
        cxid,
        op,
        request,
        auth,
        ..
    } = &q.forwards[1]
    else {
        panic!("a Forward");
    };
    assert_eq!((*cxid, *op), (7, OpCode::Create.code()));
    assert_eq!(&request[..], &body[..]);
    assert_eq!(auth, &vec![Id::new("ip", "127.0.0.1")]);
    // closeSession has no body; reads are not forwarded.
    q.call(a, 8, &get_data("/n", false));
    assert_eq!(q.forwards.len(), 2);
    q.call(a, 9, &Request::CloseSession);
    let Output::Forward { op, request, .. } = &q.forwards[2] else {
        panic!("a Forward");
    };
    assert_eq!(*op, OpCode::CloseSession.code());
    assert!(request.is_empty());
}

#[test]
fn reads_wait_behind_a_forwarded_write() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, _) = q.session();
    let (b, _) = q.session();
    q.call(a, 1, &create("/n", b"old", 0));
    q.auto_commit = false;
    q.send(a, 2, &set_data("/n", b"new", -1));
    q.send(a, 3, &get_data("/n", false));
    q.send(a, -2, &Request::Ping);
    q.pump();
    assert!(q.take(a).is_empty(), "everything waits for the write");
    assert_eq!(q.proposals.len(), 1, "the leader proposed the setData");
    // Another connection reads the learner's committed state at once.
    let f = q.call(b, 1, &get_data("/n", false));
    assert_eq!(
        decode::<GetDataResponse>(f[0].body()).data.as_deref(),
        Some(&b"old"[..])
    );
    q.commit_all();
    let frames = q.take(a);
    let xids: Vec<i32> = frames.iter().map(Frame::xid).collect();
    assert_eq!(xids, vec![2, 3, -2]);
    let zxid = q.follower.last_processed_zxid();
    assert!(frames.iter().all(|f| f.zxid() == zxid));
    assert_eq!(
        decode::<GetDataResponse>(frames[1].body()).data.as_deref(),
        Some(&b"new"[..])
    );
}

#[test]
fn another_members_txns_are_applied_without_a_reply() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (b, _) = q.session();
    q.call(b, 1, &exists("/other", true));
    // A client of the leader itself writes; the follower applies and fires B's watch.
    let l = q.open_on_leader();
    let frames = q.connect_on_leader(l, connect_req(0, &[0; 16], 30000));
    assert_eq!(frames.len(), 1);
    q.send_on_leader(l, 1, &create("/other", b"", 0));
    let lf = q.leader_clients.take(l);
    assert_eq!(lf.len(), 1);
    assert_eq!(lf[0].err(), 0);
    let bf = q.take(b);
    assert_eq!(bf.len(), 1, "{bf:?}");
    assert_eq!(bf[0].event().r#type, EventType::NodeCreated as i32);
    assert!(q.follower.tree().node("/other").is_some());
    // The leader's session is known to the follower once committed.
    assert_eq!(q.follower.global_sessions(), 2);
}

#[test]
fn sync_is_answered_after_earlier_proposals_commit() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, _) = q.session();
    let (b, _) = q.session();
    q.auto_commit = false;
    q.send(a, 1, &create("/s", b"", 0));
    q.send(b, 1, &sync("/s"));
    q.send(a, 2, &sync("/s"));
    q.pump();
    assert_eq!(q.syncs_sent, 0, "the syncs wait for the create's commit");
    assert!(q.take(a).is_empty());
    assert!(q.take(b).is_empty());
    assert_eq!(q.leader.pending_learner_syncs(), 2);
    q.commit_all();
    assert_eq!(q.syncs_sent, 2);
    let fa = q.take(a);
    let fb = q.take(b);
    assert_eq!(fa.iter().map(Frame::xid).collect::<Vec<_>>(), vec![1, 2]);
    assert_eq!(fb.len(), 1);
    let zxid = q.follower.last_processed_zxid();
    for f in [&fa[1], &fb[0]] {
        assert_eq!((f.err(), f.zxid()), (0, zxid));
        assert_eq!(decode::<SyncResponse>(f.body()).path, "/s");
    }
    // With nothing outstanding the leader answers at once.
    q.auto_commit = true;
    let f = q.call(a, 3, &sync("/"));
    assert_eq!(f.len(), 1);
    assert_eq!(q.syncs_sent, 3);
}

#[test]
fn reconnect_through_the_follower_revalidates() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, resp) = q.session();
    q.call(a, 1, &create("/e", b"", 1));
    // Valid: the ConnectResponse waits for the leader's answer; the old connection closes.
    q.auto_revalidate = false;
    let a2 = q.open();
    let frames = q.connect(a2, connect_req(resp.session_id, &resp.passwd, 30000));
    assert!(frames.is_empty(), "waits for the leader");
    assert!(q.is_closed(a));
    assert_eq!(q.revalidations.len(), 1);
    // Requests sent meanwhile wait for the session.
    q.send(a2, 1, &get_data("/e", false));
    q.pump();
    assert!(q.take(a2).is_empty());
    let (sid, timeout) = q.revalidations.pop_front().expect("revalidation");
    assert_eq!((sid, timeout), (resp.session_id, 30000));
    q.answer_revalidation(sid, timeout);
    q.pump();
    let frames = q.take(a2);
    assert_eq!(frames.len(), 2, "{frames:?}");
    let c = frames[0].connect();
    assert_eq!(c.session_id, resp.session_id);
    assert_eq!(&c.passwd[..], &generate_passwd(resp.session_id)[..]);
    assert_eq!(frames[1].err(), 0);

    // Invalid: a session the leader does not know gets zeros and a close.
    let ghost = resp.session_id + 100;
    let g = q.open();
    let frames = q.connect(g, connect_req(ghost, &generate_passwd(ghost), 30000));
    assert!(frames.is_empty());
    assert_eq!(q.revalidations.pop_front(), Some((ghost, 30000)));
    q.answer_revalidation(ghost, 30000);
    q.pump();
    let frames = q.take(g);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].connect().session_id, 0);
    assert_eq!(&frames[0].connect().passwd[..], &[0u8; 16][..]);
    assert!(q.is_closed(g));

    // A wrong password is refused here, without asking the leader.
    let w = q.open();
    let frames = q.connect(w, connect_req(resp.session_id, &[7; 16], 30000));
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].connect().session_id, 0);
    assert!(q.is_closed(w));
    assert!(q.revalidations.is_empty());
}

#[test]
fn a_session_revalidated_elsewhere_has_moved() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, resp) = q.session();
    q.call(a, 1, &create("/m", b"", 0));
    // The client reconnects to the leader: the session is owned there now.
    let l = q.open_on_leader();
    let frames = q.connect_on_leader(l, connect_req(resp.session_id, &resp.passwd, 30000));
    assert_eq!(frames[0].connect().session_id, resp.session_id);
    // A request still coming through the follower's old connection fails SESSIONMOVED on
    // the leader, and the follower closes that connection without a reply.
    let f = q.call(a, 2, &set_data("/m", b"x", -1));
    assert!(f.is_empty(), "{f:?}");
    assert!(q.is_closed(a));
    let moved = q.committed.last().expect("the setData txn");
    assert_eq!(
        moved.body,
        TxnBody::Error(ErrorTxn {
            err: ErrorCode::SessionMoved.code()
        })
    );
    // The same inside a multi.
    let (b, _) = q.session();
    let l2 = q.open_on_leader();
    let rb = q.follower.connection_info(b).expect("b").session_id;
    let frames = q.connect_on_leader(l2, connect_req(rb, &generate_passwd(rb), 30000));
    assert_eq!(frames[0].connect().session_id, rb);
    let f = q.call(
        b,
        1,
        &Request::Multi(MultiRequest {
            ops: vec![MultiOp::Create(create_req("/m/c", b"", 0))],
        }),
    );
    assert!(f.is_empty(), "{f:?}");
    assert!(q.is_closed(b));
    // Revalidating through the follower moves it back.
    let a2 = q.open();
    let frames = q.connect(a2, connect_req(resp.session_id, &resp.passwd, 30000));
    assert_eq!(frames[0].connect().session_id, resp.session_id);
    let f = q.call(a2, 1, &set_data("/m", b"x", -1));
    assert_eq!(f[0].err(), 0);
}

#[test]
fn session_touches_are_reported_and_keep_sessions_alive() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, ra) = q.session_with_timeout(10000);
    let (_b, rb) = q.session_with_timeout(20000);
    // Created and committed sessions are reported, in the JVM's ConcurrentHashMap order.
    let mut touches = q.follower.take_session_touches();
    touches.sort();
    assert_eq!(
        touches,
        vec![(ra.session_id, 10000), (rb.session_id, 20000)]
    );
    assert!(q.follower.take_session_touches().is_empty());
    // Only A is active: only A is reported.
    q.call(a, -2, &Request::Ping);
    assert_eq!(
        q.follower.take_session_touches(),
        vec![(ra.session_id, 10000)]
    );
    // The follower never expires sessions; the leader does, unless the touches come.
    for _ in 0..8 {
        q.advance(2000);
        q.follower.handle_tick(q.now);
        q.call(a, -2, &Request::Ping);
        let touches = q.follower.take_session_touches();
        q.leader.handle_session_touches(&touches, q.now);
        q.leader.handle_tick(q.now);
        q.pump();
    }
    assert!(q.follower.poll_timeout().is_none());
    // B (20 s, never touched after its creation at t0, now t0+16 s) lives; A lives.
    assert_eq!(q.leader.global_sessions(), 2);
    for _ in 0..4 {
        q.advance(2000);
        q.call(a, -2, &Request::Ping);
        let touches = q.follower.take_session_touches();
        q.leader.handle_session_touches(&touches, q.now);
        q.leader.handle_tick(q.now);
        q.pump();
    }
    // B expired on the leader; A, touched through the pings, did not.
    assert_eq!(q.leader.global_sessions(), 1);
    assert_eq!(q.leader.sessions()[0].session_id, ra.session_id);
    assert_eq!(q.follower.global_sessions(), 1);
}

#[test]
fn leader_expiry_closes_the_followers_connection() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, ra) = q.session_with_timeout(4000);
    let (b, _) = q.session();
    q.call(a, 1, &create("/eph", b"", 1));
    q.call(b, 1, &exists("/eph", true));
    q.follower.take_session_touches();
    // B keeps pinging, A goes quiet.
    let mut bf = Vec::new();
    for _ in 0..4 {
        q.advance(2000);
        bf.extend(q.call(b, -2, &Request::Ping));
        let touches = q.follower.take_session_touches();
        q.leader.handle_session_touches(&touches, q.now);
        q.leader.handle_tick(q.now);
        q.pump();
    }
    let close = q.committed.last().expect("a txn");
    assert_eq!(close.header.client_id, ra.session_id);
    assert_eq!(close.header.r#type, OpCode::CloseSession.code());
    assert!(
        q.is_closed(a),
        "the follower closes the expired session's connection"
    );
    assert!(q.take(a).is_empty(), "without a reply");
    assert!(q.follower.tree().node("/eph").is_none());
    bf.extend(q.take(b));
    assert!(
        bf.iter()
            .any(|f| f.is_notification() && f.event().r#type == EventType::NodeDeleted as i32),
        "{bf:?}"
    );
    assert!(!q.is_closed(b));
    assert_eq!(q.follower.global_sessions(), 1);
}

#[test]
fn not_serving_refuses_connections() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, _) = q.session();
    q.follower.set_serving(false);
    assert!(!q.follower.is_serving());
    let c = q.open();
    let frames = q.connect(c, connect_req(0, &[0; 16], 30000));
    assert!(frames.is_empty());
    assert!(q.is_closed(c));
    assert_eq!(q.forwards.len(), 1, "no createSession forwarded");
    // Requests are not processed either.
    q.send(a, 1, &create("/x", b"", 0));
    q.pump();
    assert!(q.take(a).is_empty());
    assert_eq!(q.forwards.len(), 1);
    q.follower.set_serving(true);
    let (_c2, resp) = q.session();
    assert!(resp.session_id != 0);
}

#[test]
fn replace_state_closes_every_connection_and_keeps_nothing() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, ra) = q.session();
    q.call(a, 1, &create("/kept", b"k", 0));
    q.call(a, 2, &get_data("/kept", true));
    // A write in flight when the state is replaced.
    q.auto_commit = false;
    q.send(a, 3, &create("/lost", b"", 0));
    q.pump();
    assert_eq!(q.follower.pending_forwards(), 1);
    // The leader's state, as a SNAP would carry it.
    let mut tree = q.leader.tree().clone();
    let entry = q.proposals.pop_front().expect("the proposal");
    q.leader.handle_committed(entry.header.zxid, q.now);
    tree.process_txn(&entry.header, &entry.body);
    let sessions = q.leader.committed_sessions();
    let now = q.now;
    q.follower.replace_state(tree, sessions, now);
    q.pump();
    assert!(q.is_closed(a));
    assert_eq!(q.follower.pending_forwards(), 0);
    assert_eq!(q.follower.last_processed_zxid(), entry.header.zxid);
    assert!(q.follower.tree().node("/lost").is_some());
    assert_eq!(q.follower.watch_summary(), q.leader.watch_summary());
    assert_eq!(
        q.follower.committed_sessions(),
        vec![(ra.session_id, 30000)]
    );
    // The session reconnects through the follower.
    q.auto_commit = true;
    let a2 = q.open();
    let frames = q.connect(a2, connect_req(ra.session_id, &ra.passwd, 30000));
    assert_eq!(frames[0].connect().session_id, ra.session_id);
    let f = q.call(a2, 1, &get_data("/kept", false));
    assert_eq!(
        decode::<GetDataResponse>(f[0].body()).data.as_deref(),
        Some(&b"k"[..])
    );
}

#[test]
fn close_all_connections_keeps_sessions() {
    let mut q = Quorum::new(CoreRole::Follower);
    let (a, ra) = q.session();
    let (b, _) = q.session();
    q.follower.close_all_connections();
    q.pump();
    assert!(q.is_closed(a) && q.is_closed(b));
    assert_eq!(q.follower.num_alive_connections(), 0);
    let a2 = q.open();
    let frames = q.connect(a2, connect_req(ra.session_id, &ra.passwd, 30000));
    assert_eq!(frames[0].connect().session_id, ra.session_id);
}

#[test]
fn learner_requests_are_prepared_like_local_writes() {
    let now = Clock {
        mono_ms: START_MONO,
        wall_ms: START_WALL,
    };
    let mut leader = ServerCore::new(CoreConfig::default(), now).with_role(CoreRole::Leader, now);
    let persisted = |core: &mut ServerCore| {
        let mut out = Vec::new();
        while let Some(o) = core.poll_output() {
            match o {
                Output::Persist { entry } => out.push(entry),
                other => panic!("{other:?}"),
            }
        }
        out
    };
    let sid = 0x0300_0000_0000_1234;
    // A short createSession body: MARSHALLINGERROR, and the session is not tracked.
    leader.handle_learner_request(3, sid, 0, -10, Bytes::from_static(&[0, 1]), vec![], now);
    let e = persisted(&mut leader);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].header.r#type, OpCode::Error.code());
    assert_eq!(
        e[0].body,
        TxnBody::Error(ErrorTxn {
            err: ErrorCode::MarshallingError.code()
        })
    );
    leader.handle_committed(e[0].header.zxid, now);
    assert_eq!(leader.global_sessions(), 0);
    // An unknown session is SESSIONEXPIRED on a leader (UNKNOWNSESSION standalone).
    let mut body = Vec::new();
    create("/x", b"", 0).write_body(&mut body);
    leader.handle_learner_request(3, sid, 1, 1, Bytes::from(body.clone()), vec![], now);
    let e = persisted(&mut leader);
    assert_eq!(
        e[0].body,
        TxnBody::Error(ErrorTxn {
            err: ErrorCode::SessionExpired.code()
        })
    );
    leader.handle_committed(e[0].header.zxid, now);
    // The observed probe: createSession with the learner's id, then a create under it.
    leader.handle_learner_request(
        3,
        sid,
        0,
        -10,
        Bytes::from_static(&[0, 0, 0x3a, 0x98]),
        vec![Id::new("ip", "127.0.0.1")],
        now,
    );
    let e = persisted(&mut leader);
    assert_eq!(e[0].header.client_id, sid);
    assert_eq!(
        e[0].body,
        TxnBody::CreateSession(CreateSessionTxn { time_out: 15000 })
    );
    leader.handle_committed(e[0].header.zxid, now);
    assert_eq!(leader.committed_sessions(), vec![(sid, 15000)]);
    leader.handle_learner_request(3, sid, 1, 1, Bytes::from(body), vec![], now);
    let e = persisted(&mut leader);
    assert_eq!(e[0].header.r#type, OpCode::Create.code());
    assert_eq!((e[0].header.client_id, e[0].header.cxid), (sid, 1));
    leader.handle_committed(e[0].header.zxid, now);
    assert!(leader.tree().node("/x").is_some());
    // A body that does not decode.
    leader.handle_learner_request(3, sid, 2, 5, Bytes::from_static(&[0, 0]), vec![], now);
    let e = persisted(&mut leader);
    assert_eq!(
        e[0].body,
        TxnBody::Error(ErrorTxn {
            err: ErrorCode::MarshallingError.code()
        })
    );
    // Another learner's request for that session: SESSIONMOVED.
    let mut body = Vec::new();
    set_data("/x", b"", -1).write_body(&mut body);
    leader.handle_committed(e[0].header.zxid, now);
    leader.handle_learner_request(4, sid, 3, 5, Bytes::from(body), vec![], now);
    let e = persisted(&mut leader);
    assert_eq!(
        e[0].body,
        TxnBody::Error(ErrorTxn {
            err: ErrorCode::SessionMoved.code()
        })
    );
    // A non-leader ignores learner requests.
    let mut follower =
        ServerCore::new(CoreConfig::default(), now).with_role(CoreRole::Follower, now);
    follower.handle_learner_request(
        3,
        sid,
        0,
        -10,
        Bytes::from_static(&[0, 0, 0, 1]),
        vec![],
        now,
    );
    assert!(follower.poll_output().is_none());
}

impl Quorum {
    fn session_with_timeout(&mut self, timeout: i32) -> (ConnId, ConnectResponse) {
        let conn = self.open();
        let frames = self.connect(conn, connect_req(0, &[0; 16], timeout));
        assert_eq!(frames.len(), 1, "one ConnectResponse: {frames:?}");
        (conn, frames[0].connect().clone())
    }
}

/// `/zookeeper/config` of a quorum member, as a client of a Java 3.8 follower reads it
/// (`QuorumPeer.initConfigInZKDatabase`): the member's own config text, Stat version -1,
/// mzxid = the config's version, aversion -1, outside the digest. Found by the differential
/// test against a follower (tests/differential/run.sh --ensemble): zkrs members had an empty
/// node with version 0.
#[test]
fn quorum_members_hold_their_own_config_in_zookeeper_config() {
    use zkrs_datatree::DataTree;
    const CONFIG: &str = "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\n\
                          server.2=127.0.0.1:2889:3889:participant;127.0.0.1:2182\n\
                          server.3=127.0.0.1:2890:3890:participant;127.0.0.1:2183\n\
                          version=0";
    let now = Clock {
        mono_ms: START_MONO,
        wall_ms: START_WALL,
    };
    let config = CoreConfig {
        quorum_config: CONFIG.into(),
        ..CoreConfig::default()
    };
    let standalone = ServerCore::new(CoreConfig::default(), now);
    let check = |core: &ServerCore, what: &str| {
        let node = core.tree().node("/zookeeper/config").expect("config node");
        assert_eq!(node.data.as_deref(), Some(CONFIG.as_bytes()), "{what}");
        let st = core.tree().stat("/zookeeper/config").expect("stat");
        assert_eq!(
            (st.version, st.mzxid, st.czxid, st.aversion, st.data_length),
            (-1, 0, 0, -1, CONFIG.len() as i32),
            "{what}: {st:?}"
        );
        assert_eq!(core.tree().digest(), standalone.tree().digest(), "{what}");
        assert_eq!(core.last_processed_zxid(), 0, "{what}");
    };

    // Started (empty or loaded from disk) as a follower, a leader or an observer.
    for role in [CoreRole::Follower, CoreRole::Leader, CoreRole::Observer] {
        let core = ServerCore::new(config.clone(), now).with_role(role, now);
        check(&core, &format!("{role:?}"));
        let core = ServerCore::from_state(config.clone(), DataTree::new(), [], now);
        check(&core, "from_state");
    }

    // A SNAP from a leader whose node says something else: the learner's own config again.
    let mut core = ServerCore::new(config.clone(), now).with_role(CoreRole::Follower, now);
    let mut leader_tree = DataTree::new();
    leader_tree.init_config_node(Bytes::from_static(b"server.9=a:1:2\nversion=0"), 0, 1);
    core.replace_state(leader_tree, [], now);
    check(&core, "after a SNAP");

    // A config version (after a reconfig) is the mzxid; lastProcessedZxid does not move.
    let reconfigured = CoreConfig {
        quorum_config: "server.1=127.0.0.1:2888:3888:participant;127.0.0.1:2181\n\
                        version=100000002"
            .into(),
        ..CoreConfig::default()
    };
    let core = ServerCore::new(reconfigured, now).with_role(CoreRole::Follower, now);
    let st = core.tree().stat("/zookeeper/config").expect("stat");
    assert_eq!((st.version, st.mzxid), (-1, 0x1_0000_0002));
    assert_eq!(core.last_processed_zxid(), 0);

    // Standalone: the empty node of a fresh tree.
    let st = standalone.tree().stat("/zookeeper/config").expect("stat");
    assert_eq!((st.version, st.mzxid, st.data_length), (0, 0, 0));
}

fn local_sessions(upgrading: bool) -> Quorum {
    Quorum::with_config(
        CoreRole::Follower,
        CoreConfig {
            local_sessions_enabled: true,
            local_sessions_upgrading_enabled: upgrading,
            ..CoreConfig::default()
        },
    )
}

#[test]
fn local_sessions_on_a_follower_without_upgrading() {
    let mut q = local_sessions(false);
    // The session is local: answered at once, nothing forwarded, nothing proposed.
    let (a, resp) = q.session();
    assert_eq!(resp.session_id >> 56, FOLLOWER_SID as i64);
    assert!(q.forwards.is_empty(), "{:?}", q.forwards);
    assert!(q.committed.is_empty());
    assert_eq!(q.follower.local_sessions(), 1);
    assert_eq!(q.follower.global_sessions(), 0);
    // A persistent create is forwarded; the leader takes the unknown session for another
    // member's local session.
    let r = q.call(a, 1, &create("/p", b"x", 0));
    assert_eq!(r[0].err(), 0, "{r:?}");
    // An ephemeral create still goes to the leader (its ErrorTxn takes a zxid, as in Java),
    // and this member answers EPHEMERALONLOCALSESSION.
    let before = q.committed.len();
    let r = q.call(a, 2, &create("/p/e", b"", 1));
    assert_eq!(
        r[0].err(),
        ErrorCode::EphemeralOnLocalSession.code(),
        "{r:?}"
    );
    assert_eq!(q.committed.len(), before + 1);
    assert_eq!(q.committed[before].header.r#type, OpCode::Error.code());
    assert!(q.follower.tree().node("/p/e").is_none());
    // Nothing of the session reaches the leader's pings.
    assert!(q.follower.take_session_touches().is_empty());
    // Closing it is local too: a reply, the connection closes, no txn.
    let before = q.committed.len();
    let r = q.call(a, 3, &Request::CloseSession);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].err(), 0);
    assert!(q.is_closed(a));
    assert_eq!(q.committed.len(), before);
    assert_eq!(q.follower.local_sessions(), 0);
    // Resuming it elsewhere: the leader does not know it.
    assert!(!q
        .leader
        .revalidate_session(FOLLOWER_SID, resp.session_id, 30000, q.now));
}

#[test]
fn local_sessions_upgrade_for_an_ephemeral() {
    let mut q = local_sessions(true);
    let (a, resp) = q.session();
    assert!(q.forwards.is_empty());
    let r = q.call(a, 1, &create("/e", b"", 1));
    assert_eq!(r[0].err(), 0, "{r:?}");
    // createSession (cxid 0, the session's timeout) went first, then the create.
    let ops: Vec<(i64, i32, i32)> = q
        .forwards
        .iter()
        .map(|f| match f {
            Output::Forward {
                session_id,
                cxid,
                op,
                ..
            } => (*session_id, *cxid, *op),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            (resp.session_id, 0, OpCode::CreateSession.code()),
            (resp.session_id, 1, OpCode::Create.code()),
        ]
    );
    assert_eq!(
        q.follower.tree().node("/e").map(|n| n.stat.ephemeral_owner),
        Some(resp.session_id)
    );
    // Now global: known to the leader, reported in pings, resumable elsewhere.
    assert_eq!(q.follower.local_sessions(), 0);
    assert_eq!(q.follower.global_sessions(), 1);
    assert!(q
        .follower
        .take_session_touches()
        .iter()
        .any(|(id, _)| *id == resp.session_id));
    assert!(q
        .leader
        .revalidate_session(FOLLOWER_SID, resp.session_id, 30000, q.now));
    let _ = a;
}

#[test]
fn local_sessions_on_the_leader() {
    for upgrading in [false, true] {
        let mut q = local_sessions(upgrading);
        let c = q.open_on_leader();
        let f = q.connect_on_leader(c, connect_req(0, &[0; 16], 30000));
        let id = f[0].connect().session_id;
        assert!(
            q.proposals.is_empty() && q.committed.is_empty(),
            "no createSession txn"
        );
        assert_eq!(q.leader.local_sessions(), 1);
        q.send_on_leader(c, 1, &create("/e", b"", 1));
        let r = q.leader_clients.take(c);
        if upgrading {
            assert_eq!(r[0].err(), 0, "{r:?}");
            let types: Vec<i32> = q.committed.iter().map(|e| e.header.r#type).collect();
            assert_eq!(
                types,
                vec![OpCode::CreateSession.code(), OpCode::Create.code()]
            );
            assert_eq!(q.leader.global_sessions(), 1);
            assert_eq!(q.leader.local_sessions(), 0);
        } else {
            assert_eq!(
                r[0].err(),
                ErrorCode::EphemeralOnLocalSession.code(),
                "{r:?}"
            );
            let types: Vec<i32> = q.committed.iter().map(|e| e.header.r#type).collect();
            assert_eq!(types, vec![OpCode::Error.code()]);
            assert_eq!(q.leader.local_sessions(), 1);
        }
        assert_eq!(id >> 56, 2);
    }
}

#[test]
fn a_local_session_expires_on_its_member() {
    let mut q = local_sessions(false);
    let (a, _) = q.session();
    q.advance(31_000);
    let at = q
        .follower
        .poll_timeout()
        .expect("local sessions expire on a learner");
    assert!(
        at <= q.now.mono_ms + 2_000,
        "due at {at}, now {}",
        q.now.mono_ms
    );
    q.advance(5_000);
    q.follower.handle_tick(q.now);
    q.pump();
    assert!(q.is_closed(a));
    assert_eq!(q.follower.local_sessions(), 0);
    assert!(q.forwards.is_empty() && q.committed.is_empty());
}

#[test]
fn the_leaders_local_session_is_not_resumed_through_a_learner() {
    let mut q = local_sessions(false);
    let c = q.open_on_leader();
    let f = q.connect_on_leader(c, connect_req(0, &[0; 16], 30000));
    let id = f[0].connect().session_id;
    assert!(!q.leader.revalidate_session(FOLLOWER_SID, id, 30000, q.now));
}
