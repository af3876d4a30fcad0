//! Golden wire vectors captured from a real Apache ZooKeeper 3.8.0 server (Debian package) and its
//! Java client; see `tests/golden/README.md` and `tests/golden/capture.sh`.
//!
//! Every captured frame, txn-log record and snapshot record is decoded with the zkrs-jute types
//! and re-encoded, and the bytes must be identical. A few semantic facts about the captures are
//! asserted on top, so a decoder that "round-trips" by accident (wrong field split) still fails.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Debug;
use std::path::PathBuf;

use bytes::{Bytes, BytesMut};
use zkrs_jute::frame::frame;
use zkrs_jute::*;

// ---------------------------------------------------------------------------------------------
// Capture files
// ---------------------------------------------------------------------------------------------

fn golden_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name)
}

fn read_golden(name: &str) -> Vec<u8> {
    std::fs::read(golden_path(name)).unwrap_or_else(|e| panic!("reading golden/{name}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str, ctx: &str) -> Vec<u8> {
    assert_eq!(s.len() % 2, 0, "{ctx}: odd hex length");
    (0..s.len())
        .step_by(2)
        .map(|i| {
            u8::from_str_radix(&s[i..i + 2], 16).unwrap_or_else(|e| panic!("{ctx}: bad hex: {e}"))
        })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Dir {
    /// client -> server
    C,
    /// server -> client
    S,
}

#[derive(Debug, Clone)]
struct Frame {
    dir: Dir,
    /// The whole frame, length prefix included.
    bytes: Vec<u8>,
    /// The last `# ...` comment before the frame (the capture step).
    step: String,
    /// 1-based line in the capture file.
    line: usize,
}

impl Frame {
    fn ctx(&self, file: &str) -> String {
        format!(
            "{file}:{} ({:?}, step '{}')",
            self.line, self.dir, self.step
        )
    }

    /// The payload after checking that the length prefix matches it.
    fn payload(&self, file: &str) -> &[u8] {
        assert!(
            self.bytes.len() >= 4,
            "{}: frame shorter than its prefix",
            self.ctx(file)
        );
        let len = i32::from_be_bytes(self.bytes[..4].try_into().unwrap());
        assert_eq!(
            len as usize,
            self.bytes.len() - 4,
            "{}: length prefix does not match the frame",
            self.ctx(file)
        );
        &self.bytes[4..]
    }
}

#[derive(Debug, Clone)]
struct Connection {
    number: u32,
    frames: Vec<Frame>,
}

/// Parses the capture format written by `proxy.py`: `@conn N`, `C <hex>`, `S <hex>`, `# ...`.
fn parse_capture(file: &str) -> Vec<Connection> {
    let text = String::from_utf8(read_golden(file)).expect("capture is ASCII");
    let mut conns: Vec<Connection> = Vec::new();
    let mut step = String::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let lineno = i + 1;
        if line.is_empty() {
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            step = c.trim().to_string();
        } else if let Some(n) = line.strip_prefix("@conn ") {
            let number = n.trim().parse().expect("connection number");
            conns.push(Connection {
                number,
                frames: Vec::new(),
            });
        } else {
            let (tag, h) = line
                .split_once(' ')
                .unwrap_or_else(|| panic!("{file}:{lineno}: unparsable line"));
            let dir = match tag {
                "C" => Dir::C,
                "S" => Dir::S,
                _ => panic!("{file}:{lineno}: unknown tag {tag:?}"),
            };
            let conn = conns
                .last_mut()
                .unwrap_or_else(|| panic!("{file}:{lineno}: frame before any @conn"));
            conn.frames.push(Frame {
                dir,
                bytes: unhex(h, &format!("{file}:{lineno}")),
                step: step.clone(),
                line: lineno,
            });
        }
    }
    assert!(!conns.is_empty(), "{file}: no connections");
    conns
}

// ---------------------------------------------------------------------------------------------
// Round-trip helpers
// ---------------------------------------------------------------------------------------------

/// Decodes a value that must fill `bytes` exactly and checks that it re-encodes to them.
fn roundtrip<T: Jute + Debug>(bytes: &[u8], ctx: &str) -> T {
    let v = T::from_bytes(bytes).unwrap_or_else(|e| {
        panic!(
            "{ctx}: cannot decode {} from {}: {e}",
            std::any::type_name::<T>(),
            hex(bytes)
        )
    });
    assert_eq!(
        hex(&v.to_bytes()),
        hex(bytes),
        "{ctx}: {} did not re-encode byte-identically ({v:?})",
        std::any::type_name::<T>()
    );
    v
}

/// Reads one value from a stream and checks that it re-encodes to the bytes it was read from.
fn read_rt<T: Jute + Debug>(r: &mut JuteReader<'_>, data: &[u8], ctx: &str) -> T {
    let start = r.position();
    let v = T::read_from(r).unwrap_or_else(|e| {
        panic!(
            "{ctx}: cannot read {} at offset {start}: {e}",
            std::any::type_name::<T>()
        )
    });
    assert_eq!(
        hex(&v.to_bytes()),
        hex(&data[start..r.position()]),
        "{ctx}: {} at offset {start} did not re-encode byte-identically ({v:?})",
        std::any::type_name::<T>()
    );
    v
}

// ---------------------------------------------------------------------------------------------
// Client-port session decoding
// ---------------------------------------------------------------------------------------------

/// A decoded response body, chosen by the opcode of the request with the same xid.
#[derive(Debug, Clone, PartialEq)]
enum Reply {
    Create(CreateResponse),
    Create2(Create2Response),
    Exists(ExistsResponse),
    GetData(GetDataResponse),
    SetData(SetDataResponse),
    GetAcl(GetAclResponse),
    SetAcl(SetAclResponse),
    GetChildren(GetChildrenResponse),
    GetChildren2(GetChildren2Response),
    Sync(SyncResponse),
    Multi(MultiResponse),
    Error(ErrorResponse),
    WhoAmI(WhoAmIResponse),
    GetEphemerals(GetEphemeralsResponse),
    GetAllChildrenNumber(GetAllChildrenNumberResponse),
    Sasl(SetSaslResponse),
}

impl Reply {
    /// `None` when the op has no response record.
    fn decode(op: OpCode, body: &[u8], ctx: &str) -> Option<Reply> {
        let ctx = &format!("{ctx} [{op:?} reply]");
        Some(match op {
            OpCode::Create => Reply::Create(roundtrip(body, ctx)),
            // createContainer and createTTL answer with a Create2Response even when the Java
            // client only reads the path (FinalRequestProcessor).
            OpCode::Create2 | OpCode::CreateContainer | OpCode::CreateTtl => {
                Reply::Create2(roundtrip(body, ctx))
            }
            OpCode::Exists => Reply::Exists(roundtrip(body, ctx)),
            OpCode::GetData | OpCode::Reconfig => Reply::GetData(roundtrip(body, ctx)),
            // A top-level check (before 3.8.5) answers with a SetDataResponse.
            OpCode::SetData | OpCode::Check => Reply::SetData(roundtrip(body, ctx)),
            OpCode::GetAcl => Reply::GetAcl(roundtrip(body, ctx)),
            OpCode::SetAcl => Reply::SetAcl(roundtrip(body, ctx)),
            OpCode::GetChildren => Reply::GetChildren(roundtrip(body, ctx)),
            OpCode::GetChildren2 => Reply::GetChildren2(roundtrip(body, ctx)),
            OpCode::Sync => Reply::Sync(roundtrip(body, ctx)),
            OpCode::Multi | OpCode::MultiRead => Reply::Multi(roundtrip(body, ctx)),
            OpCode::AddWatch => Reply::Error(roundtrip(body, ctx)),
            OpCode::WhoAmI => Reply::WhoAmI(roundtrip(body, ctx)),
            OpCode::GetEphemerals => Reply::GetEphemerals(roundtrip(body, ctx)),
            OpCode::GetAllChildrenNumber => Reply::GetAllChildrenNumber(roundtrip(body, ctx)),
            OpCode::Sasl => Reply::Sasl(roundtrip(body, ctx)),
            OpCode::Delete
            | OpCode::DeleteContainer
            | OpCode::Ping
            | OpCode::Auth
            | OpCode::SetWatches
            | OpCode::SetWatches2
            | OpCode::CheckWatches
            | OpCode::RemoveWatches
            | OpCode::CloseSession => {
                assert!(
                    body.is_empty(),
                    "{ctx}: expected no body, got {}",
                    hex(body)
                );
                return None;
            }
            OpCode::Notification | OpCode::CreateSession | OpCode::Error => {
                panic!("{ctx}: not a client request opcode")
            }
        })
    }

    fn to_bytes(&self) -> Vec<u8> {
        match self {
            Reply::Create(v) => v.to_bytes(),
            Reply::Create2(v) => v.to_bytes(),
            Reply::Exists(v) => v.to_bytes(),
            Reply::GetData(v) => v.to_bytes(),
            Reply::SetData(v) => v.to_bytes(),
            Reply::GetAcl(v) => v.to_bytes(),
            Reply::SetAcl(v) => v.to_bytes(),
            Reply::GetChildren(v) => v.to_bytes(),
            Reply::GetChildren2(v) => v.to_bytes(),
            Reply::Sync(v) => v.to_bytes(),
            Reply::Multi(v) => v.to_bytes(),
            Reply::Error(v) => v.to_bytes(),
            Reply::WhoAmI(v) => v.to_bytes(),
            Reply::GetEphemerals(v) => v.to_bytes(),
            Reply::GetAllChildrenNumber(v) => v.to_bytes(),
            Reply::Sasl(v) => v.to_bytes(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Msg {
    ConnectRequest(ConnectRequest),
    ConnectResponse(ConnectResponse),
    Request {
        header: RequestHeader,
        body: Request,
    },
    Notification {
        header: ReplyHeader,
        event: WatcherEvent,
    },
    Reply {
        header: ReplyHeader,
        op: OpCode,
        body: Option<Reply>,
    },
}

impl Msg {
    /// The payload this message encodes to (without the length prefix).
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Msg::ConnectRequest(c) => c.write_to(&mut out),
            Msg::ConnectResponse(c) => c.write_to(&mut out),
            Msg::Request { header, body } => {
                header.write_to(&mut out);
                body.write_body(&mut out);
            }
            Msg::Notification { header, event } => {
                header.write_to(&mut out);
                event.write_to(&mut out);
            }
            Msg::Reply { header, body, .. } => {
                header.write_to(&mut out);
                if let Some(b) = body {
                    out.extend_from_slice(&b.to_bytes());
                }
            }
        }
        out
    }
}

#[derive(Debug, Clone)]
struct Item {
    conn: u32,
    step: String,
    msg: Msg,
    /// The raw payload (after the length prefix).
    payload: Vec<u8>,
}

/// Decodes every frame of every connection, checking that each re-encodes byte-identically.
fn decode_capture(file: &str) -> Vec<Item> {
    let mut items = Vec::new();
    for conn in parse_capture(file) {
        // xid -> opcode of the requests still waiting for a reply on this connection. The special
        // xids (-2 ping, -4 auth, -8 setWatches) are reused, so they are never removed.
        let mut pending: HashMap<i32, OpCode> = HashMap::new();
        let mut saw_request = false;
        let mut saw_response = false;
        for f in &conn.frames {
            let ctx = f.ctx(file);
            let payload = f.payload(file);
            let msg = match f.dir {
                Dir::C if !saw_request => {
                    saw_request = true;
                    Msg::ConnectRequest(roundtrip(payload, &ctx))
                }
                Dir::C => {
                    let mut r = JuteReader::new(payload);
                    let header: RequestHeader = read_rt(&mut r, payload, &ctx);
                    let body = Request::decode(header.r#type, &mut r)
                        .unwrap_or_else(|e| panic!("{ctx}: request body: {e}"));
                    r.finish()
                        .unwrap_or_else(|e| panic!("{ctx}: request body not consumed: {e}"));
                    let op = body.op();
                    assert_eq!(op.code(), header.r#type, "{ctx}: op mismatch");
                    let fresh = pending.insert(header.xid, op);
                    assert!(
                        fresh.is_none() || header.xid < 0,
                        "{ctx}: xid {} reused while pending",
                        header.xid
                    );
                    Msg::Request { header, body }
                }
                Dir::S if !saw_response => {
                    saw_response = true;
                    Msg::ConnectResponse(roundtrip(payload, &ctx))
                }
                Dir::S => {
                    assert!(payload.len() >= 16, "{ctx}: reply shorter than ReplyHeader");
                    let header: ReplyHeader = roundtrip(&payload[..16], &ctx);
                    let body = &payload[16..];
                    if header.xid == xid::NOTIFICATION {
                        let event: WatcherEvent = roundtrip(body, &ctx);
                        Msg::Notification { header, event }
                    } else {
                        let op = if header.xid < 0 {
                            pending.get(&header.xid).copied()
                        } else {
                            pending.remove(&header.xid)
                        }
                        .unwrap_or_else(|| {
                            panic!("{ctx}: reply xid {} has no request", header.xid)
                        });
                        let body = if header.err != 0 {
                            assert!(
                                body.is_empty(),
                                "{ctx}: reply with err {} carries a body",
                                header.err
                            );
                            None
                        } else {
                            Reply::decode(op, body, &ctx)
                        };
                        Msg::Reply { header, op, body }
                    }
                }
            };
            // The whole frame, length prefix included, must come back byte for byte.
            assert_eq!(
                hex(&frame(&msg.encode())),
                hex(&f.bytes),
                "{ctx}: frame re-encoding"
            );
            items.push(Item {
                conn: conn.number,
                step: f.step.clone(),
                msg,
                payload: payload.to_vec(),
            });
        }
    }
    items
}

fn session() -> Vec<Item> {
    decode_capture("session.txt")
}

fn requests(items: &[Item]) -> impl Iterator<Item = (&Item, &RequestHeader, &Request)> {
    items.iter().filter_map(|it| match &it.msg {
        Msg::Request { header, body } => Some((it, header, body)),
        _ => None,
    })
}

/// The reply to the request with `xid` (positive xids are unique within the Java session).
fn reply_to(items: &[Item], xid: i32) -> (&ReplyHeader, OpCode, Option<&Reply>) {
    items
        .iter()
        .find_map(|it| match &it.msg {
            Msg::Reply { header, op, body } if header.xid == xid => {
                Some((header, *op, body.as_ref()))
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("no reply for xid {xid}"))
}

/// The xid of the first request matching `pred`.
fn find_request(items: &[Item], what: &str, pred: impl Fn(&Request) -> bool) -> i32 {
    requests(items)
        .find(|(_, _, b)| pred(b))
        .map(|(_, h, _)| h.xid)
        .unwrap_or_else(|| panic!("no request: {what}"))
}

fn notifications(items: &[Item]) -> Vec<(u32, &ReplyHeader, &WatcherEvent)> {
    items
        .iter()
        .filter_map(|it| match &it.msg {
            Msg::Notification { header, event } => Some((it.conn, header, event)),
            _ => None,
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Session tests (Java client)
// ---------------------------------------------------------------------------------------------

#[test]
fn session_frames_roundtrip_and_cover_every_op() {
    let items = session();
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for it in &items {
        let key = match &it.msg {
            Msg::ConnectRequest(_) => "C ConnectRequest".to_string(),
            Msg::ConnectResponse(_) => "S ConnectResponse".to_string(),
            Msg::Request { header, body } => {
                format!("C {:?} (xid {})", body.op(), xid_class(header.xid))
            }
            Msg::Notification { .. } => "S notification (xid -1)".to_string(),
            Msg::Reply { header, op, .. } => format!(
                "S {op:?} reply{}",
                if header.err != 0 { " (error)" } else { "" }
            ),
        };
        *counts.entry(key).or_default() += 1;
    }
    eprintln!("session.txt: {} frames", items.len());
    for (k, v) in &counts {
        eprintln!("  {v:3}  {k}");
    }

    let ops: BTreeSet<OpCode> = requests(&items).map(|(_, _, b)| b.op()).collect();
    for want in [
        OpCode::Create,
        OpCode::Create2,
        OpCode::CreateContainer,
        OpCode::CreateTtl,
        OpCode::Delete,
        OpCode::Exists,
        OpCode::GetData,
        OpCode::SetData,
        OpCode::GetAcl,
        OpCode::SetAcl,
        OpCode::GetChildren,
        OpCode::GetChildren2,
        OpCode::Sync,
        OpCode::Ping,
        OpCode::Multi,
        OpCode::MultiRead,
        OpCode::CheckWatches,
        OpCode::RemoveWatches,
        OpCode::Auth,
        OpCode::SetWatches,
        OpCode::SetWatches2,
        OpCode::GetEphemerals,
        OpCode::GetAllChildrenNumber,
        OpCode::AddWatch,
        OpCode::WhoAmI,
        OpCode::CloseSession,
    ] {
        assert!(ops.contains(&want), "session.txt has no {want:?} request");
    }
    // Every request was answered (the Java client waits for each), pings and auth included.
    let answered: BTreeSet<i32> = items
        .iter()
        .filter_map(|it| match &it.msg {
            Msg::Reply { header, .. } => Some(header.xid),
            _ => None,
        })
        .collect();
    for (it, h, _) in requests(&items) {
        assert!(
            answered.contains(&h.xid),
            "request xid {} ({}) never answered",
            h.xid,
            it.step
        );
    }
}

fn xid_class(xid: i32) -> &'static str {
    match xid {
        xid::PING => "-2",
        xid::AUTH => "-4",
        xid::SET_WATCHES => "-8",
        x if x > 0 => ">0",
        _ => "other",
    }
}

#[test]
fn session_connects_and_reconnects() {
    let items = session();
    let connects: Vec<(&Item, &ConnectRequest)> = items
        .iter()
        .filter_map(|it| match &it.msg {
            Msg::ConnectRequest(c) => Some((it, c)),
            _ => None,
        })
        .collect();
    let responses: Vec<&ConnectResponse> = items
        .iter()
        .filter_map(|it| match &it.msg {
            Msg::ConnectResponse(c) => Some(c),
            _ => None,
        })
        .collect();
    assert_eq!(connects.len(), 3, "one connect plus two reconnects");
    assert_eq!(responses.len(), 3);

    // First connect: a new session from a client that accepts read-only servers.
    let (first_item, first) = connects[0];
    assert_eq!(
        first_item.payload.len(),
        45,
        "Java client ConnectRequest is 45 bytes"
    );
    assert_eq!(first.protocol_version, 0);
    assert_eq!(first.last_zxid_seen, 0);
    assert_eq!(first.session_id, 0);
    assert_eq!(first.time_out, 4000);
    assert_eq!(first.passwd, Bytes::from(vec![0u8; 16]));
    assert_eq!(first.read_only, Some(true));

    let resp = responses[0];
    assert_eq!(resp.protocol_version, 0);
    assert_eq!(
        resp.time_out, 4000,
        "4000 = 2*tickTime is within the negotiable range"
    );
    assert_ne!(resp.session_id, 0);
    assert_eq!(
        resp.session_id >> 56,
        1,
        "standalone session ids carry server id 1"
    );
    assert_eq!(resp.passwd.len(), 16);
    assert_eq!(
        resp.read_only,
        Some(false),
        "a read-write server answers readOnly=false"
    );

    // Reconnects resume the same session with its password and the last zxid seen.
    for (i, (item, c)) in connects.iter().enumerate().skip(1) {
        assert_eq!(c.session_id, resp.session_id, "reconnect {i}");
        assert_eq!(c.passwd, resp.passwd, "reconnect {i}");
        assert_eq!(c.read_only, Some(true), "reconnect {i}");
        assert!(c.last_zxid_seen > 0, "reconnect {i} carries lastZxidSeen");
        assert_eq!(item.conn, i as u32 + 1);
        assert_eq!(responses[i].session_id, resp.session_id);
        assert_eq!(responses[i].passwd, resp.passwd);
    }
}

#[test]
fn session_notifications() {
    let items = session();
    let notes = notifications(&items);
    assert!(!notes.is_empty());
    for (_, h, ev) in &notes {
        assert_eq!(h.xid, -1);
        assert_eq!(h.zxid, -1, "3.8 notifications carry zxid -1");
        assert_eq!(h.err, 0);
        assert_eq!(ev.state, KeeperState::SyncConnected as i32);
        assert!(
            EventType::from_i32(ev.r#type).is_some(),
            "event type {}",
            ev.r#type
        );
    }
    let has = |conn: u32, t: EventType, path: &str| {
        notes
            .iter()
            .any(|(c, _, e)| *c == conn && e.r#type == t as i32 && e.path == path)
    };
    // getData watch + setData; getChildren2 watch + create.
    assert!(has(1, EventType::NodeDataChanged, "/golden/w"));
    assert!(has(1, EventType::NodeChildrenChanged, "/golden"));
    // setWatches on reconnect: the node changed / appeared while the client was away.
    assert!(has(2, EventType::NodeDataChanged, "/golden/w"));
    assert!(has(2, EventType::NodeCreated, "/golden/missing"));
    // The persistent recursive watch on /golden.
    assert!(has(2, EventType::NodeCreated, "/golden/rec"));
    assert!(has(3, EventType::NodeDeleted, "/golden/kid"));

    // The first notification on the wire is the one set off by setData, and it comes before
    // the setData reply (the server applies the txn, queueing the event, then replies).
    let set_xid = find_request(
        &items,
        "setData /golden/w",
        |b| matches!(b, Request::SetData(r) if r.path == "/golden/w"),
    );
    // Look at server frames only, so a ping request in between would not matter.
    let server: Vec<&Msg> = items
        .iter()
        .map(|it| &it.msg)
        .filter(|m| matches!(m, Msg::Notification { .. } | Msg::Reply { .. }))
        .collect();
    let reply_pos = server
        .iter()
        .position(|m| matches!(m, Msg::Reply { header, .. } if header.xid == set_xid))
        .unwrap();
    let Msg::Notification { event: ev, .. } = server[reply_pos - 1] else {
        panic!("the setData reply is not preceded by its notification")
    };
    assert!(
        !server[..reply_pos - 1]
            .iter()
            .any(|m| matches!(m, Msg::Notification { .. })),
        "it is the first notification of the session"
    );
    assert_eq!(ev.r#type, EventType::NodeDataChanged as i32);
    assert_eq!(ev.path, "/golden/w");
}

#[test]
fn session_creates() {
    let items = session();
    // create (1) -> CreateResponse with the path.
    let xid = find_request(
        &items,
        "create /golden",
        |b| matches!(b, Request::Create(r) if r.path == "/golden"),
    );
    let (h, op, body) = reply_to(&items, xid);
    assert_eq!((h.err, op), (0, OpCode::Create));
    assert_eq!(
        body,
        Some(&Reply::Create(CreateResponse {
            path: "/golden".into()
        }))
    );

    // create2 (15) -> Create2Response with a Stat whose czxid is the reply zxid.
    let xid = find_request(&items, "create2", |b| matches!(b, Request::Create2(_)));
    let (h, _, body) = reply_to(&items, xid);
    match body {
        Some(Reply::Create2(r)) => {
            assert_eq!(r.path, "/golden/c2");
            assert_eq!(r.stat.czxid, h.zxid);
            assert_eq!(r.stat.data_length, 7);
        }
        other => panic!("create2 reply {other:?}"),
    }

    // Null data is written as buffer length -1 and decodes to None.
    let null = requests(&items)
        .find_map(|(_, _, b)| match b {
            Request::Create(r) if r.path == "/golden/nulldata" => Some(r),
            _ => None,
        })
        .expect("create /golden/nulldata");
    assert_eq!(null.data, None);
    let xid = find_request(
        &items,
        "getData nulldata",
        |b| matches!(b, Request::GetData(r) if r.path == "/golden/nulldata"),
    );
    match reply_to(&items, xid).2 {
        Some(Reply::GetData(r)) => assert_eq!(r.data, None),
        other => panic!("getData nulldata reply {other:?}"),
    }

    // Create modes are the CreateMode flags; sequential names get the 10-digit suffix.
    let flags: BTreeMap<String, i32> = requests(&items)
        .filter_map(|(_, _, b)| match b {
            Request::Create(r) | Request::Create2(r) | Request::CreateContainer(r) => {
                Some((r.path.clone(), r.flags))
            }
            Request::CreateTtl(r) => Some((r.path.clone(), r.flags)),
            _ => None,
        })
        .collect();
    assert_eq!(flags["/golden/eph"], 1);
    assert_eq!(flags["/golden/eseq-"], 3);
    assert_eq!(flags["/golden/pseq-"], 2);
    assert_eq!(flags["/golden/container"], 4);
    assert_eq!(flags["/golden/ttl"], 5);
    let xid = find_request(
        &items,
        "create eseq",
        |b| matches!(b, Request::Create(r) if r.path == "/golden/eseq-"),
    );
    match reply_to(&items, xid).2 {
        Some(Reply::Create(r)) => {
            let suffix = r.path.strip_prefix("/golden/eseq-").unwrap();
            assert_eq!(suffix.len(), 10);
            assert!(suffix.bytes().all(|c| c.is_ascii_digit()));
        }
        other => panic!("sequential create reply {other:?}"),
    }
    let ttl = requests(&items)
        .find_map(|(_, _, b)| match b {
            Request::CreateTtl(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(ttl.ttl, 600_000);

    // CREATOR_ALL_ACL travels as auth:"" and the server stores the digest of the session's user.
    let acl = requests(&items)
        .find_map(|(_, _, b)| match b {
            Request::Create(r) if r.path == "/golden/acl" => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(acl.acl, vec![Acl::new(31, "auth", "")]);

    // NodeExists: ReplyHeader only, err -110.
    let xid = requests(&items)
        .filter(|(_, _, b)| matches!(b, Request::Create(r) if r.path == "/golden"))
        .map(|(_, h, _)| h.xid)
        .nth(1)
        .expect("second create /golden");
    let (h, _, body) = reply_to(&items, xid);
    assert_eq!(h.err, ErrorCode::NodeExists.code());
    assert!(body.is_none());
}

#[test]
fn session_reads_and_errors() {
    let items = session();
    // exists on a missing node: err -101, no body (the payload is just the 16-byte header).
    let xid = find_request(
        &items,
        "exists /golden/missing",
        |b| matches!(b, Request::Exists(r) if r.path == "/golden/missing" && r.watch),
    );
    let (h, _, body) = reply_to(&items, xid);
    assert_eq!(h.err, ErrorCode::NoNode.code());
    assert!(body.is_none());

    // setData with a wrong version: BadVersion.
    let xid = find_request(
        &items,
        "setData v42",
        |b| matches!(b, Request::SetData(r) if r.version == 42),
    );
    assert_eq!(reply_to(&items, xid).0.err, ErrorCode::BadVersion.code());

    // getChildren2: children plus the parent's Stat.
    let xid = find_request(&items, "getChildren2", |b| {
        matches!(b, Request::GetChildren2(_))
    });
    match reply_to(&items, xid).2 {
        Some(Reply::GetChildren2(r)) => {
            assert_eq!(r.stat.num_children as usize, r.children.len());
            assert!(r.children.iter().any(|c| c == "c2"));
        }
        other => panic!("getChildren2 reply {other:?}"),
    }

    // getACL with ADMIN via the digest auth: the stored digest id is visible.
    let xid = find_request(
        &items,
        "getACL acl",
        |b| matches!(b, Request::GetAcl(r) if r.path == "/golden/acl"),
    );
    match reply_to(&items, xid).2 {
        Some(Reply::GetAcl(r)) => {
            assert_eq!(r.acl.len(), 1);
            assert_eq!(r.acl[0].perms, 31);
            assert_eq!(r.acl[0].id.scheme, "digest");
            assert!(r.acl[0].id.id.starts_with("golden:"));
        }
        other => panic!("getACL reply {other:?}"),
    }

    // setACL: the request's ACL list and the Stat with the bumped aversion.
    let (set_xid, set_acl) = requests(&items)
        .find_map(|(_, h, b)| match b {
            Request::SetAcl(r) => Some((h.xid, r.acl.clone())),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        set_acl,
        vec![
            Acl::new(1, "world", "anyone"),
            Acl::new(31, "ip", "127.0.0.1")
        ]
    );
    match reply_to(&items, set_xid).2 {
        Some(Reply::SetAcl(r)) => assert_eq!(r.stat.aversion, 1),
        other => panic!("setACL reply {other:?}"),
    }

    // delete of a non-empty node: NotEmpty.
    let xid = find_request(
        &items,
        "delete /golden",
        |b| matches!(b, Request::Delete(r) if r.path == "/golden"),
    );
    assert_eq!(reply_to(&items, xid).0.err, ErrorCode::NotEmpty.code());

    // sync echoes the path; getAllChildrenNumber / getEphemerals.
    let xid = find_request(&items, "sync", |b| matches!(b, Request::Sync(_)));
    assert_eq!(
        reply_to(&items, xid).2,
        Some(&Reply::Sync(SyncResponse {
            path: "/golden".into()
        }))
    );
    let xid = find_request(&items, "getEphemerals", |b| {
        matches!(b, Request::GetEphemerals(_))
    });
    match reply_to(&items, xid).2 {
        Some(Reply::GetEphemerals(r)) => {
            assert!(r.ephemerals.contains(&"/golden/eph".to_string()));
            assert!(
                !r.ephemerals.contains(&"/golden/eph-b".to_string()),
                "own session only"
            );
        }
        other => panic!("getEphemerals reply {other:?}"),
    }
    let xid = find_request(&items, "getAllChildrenNumber", |b| {
        matches!(b, Request::GetAllChildrenNumber(_))
    });
    assert!(matches!(
        reply_to(&items, xid).2,
        Some(Reply::GetAllChildrenNumber(r)) if r.total_number > 0
    ));
}

#[test]
fn session_multi() {
    let items = session();
    let multis: Vec<(i32, &MultiRequest)> = requests(&items)
        .filter_map(|(_, h, b)| match b {
            Request::Multi(m) => Some((h.xid, m)),
            _ => None,
        })
        .collect();
    assert_eq!(multis.len(), 2);

    // The successful multi: one result per op, create results without a Stat in 3.8.0.
    let (ok_xid, ok_req) = multis[0];
    assert_eq!(
        ok_req.ops.iter().map(|o| o.op()).collect::<Vec<_>>(),
        vec![
            OpCode::Create,
            OpCode::SetData,
            OpCode::Check,
            OpCode::Create,
            OpCode::Delete
        ]
    );
    let (h, _, body) = reply_to(&items, ok_xid);
    assert_eq!(h.err, 0);
    match body {
        Some(Reply::Multi(m)) => {
            assert_eq!(m.results.len(), 5);
            assert_eq!(
                m.results[0],
                MultiResult::Create(CreateResponse {
                    path: "/golden/m1".into()
                })
            );
            assert!(matches!(&m.results[1], MultiResult::SetData(r) if r.stat.version == 1));
            assert_eq!(m.results[2], MultiResult::Check);
            assert_eq!(
                m.results[3],
                MultiResult::Create(CreateResponse {
                    path: "/golden/m2".into()
                })
            );
            assert_eq!(m.results[4], MultiResult::Delete);
        }
        other => panic!("multi reply {other:?}"),
    }

    // The failed multi: reply err 0; ops before the failure Error(0), the failing op its code,
    // the ops after it Error(-2 RuntimeInconsistency).
    let (fail_xid, fail_req) = multis[1];
    assert!(matches!(&fail_req.ops[2], MultiOp::Check(c) if c.version == 99));
    let (h, _, body) = reply_to(&items, fail_xid);
    assert_eq!(h.err, 0, "a failed multi still has ReplyHeader.err 0");
    assert_eq!(
        body,
        Some(&Reply::Multi(MultiResponse {
            results: vec![
                MultiResult::Error(0),
                MultiResult::Error(0),
                MultiResult::Error(ErrorCode::BadVersion.code()),
                MultiResult::Error(ErrorCode::RuntimeInconsistency.code()),
            ]
        }))
    );

    // multiRead: independent results, the missing node an Error(-101).
    let (read_xid, read_req) = requests(&items)
        .find_map(|(_, h, b)| match b {
            Request::MultiRead(m) => Some((h.xid, m)),
            _ => None,
        })
        .expect("multiRead request");
    assert!(read_req.ops.iter().all(|o| o.is_read()));
    match reply_to(&items, read_xid).2 {
        Some(Reply::Multi(m)) => {
            assert_eq!(m.results.len(), 3);
            assert!(
                matches!(&m.results[0], MultiResult::GetData(r) if r.data.as_deref() == Some(&b"v1"[..]))
            );
            assert!(matches!(&m.results[1], MultiResult::GetChildren(r) if !r.children.is_empty()));
            assert_eq!(m.results[2], MultiResult::Error(ErrorCode::NoNode.code()));
        }
        other => panic!("multiRead reply {other:?}"),
    }
}

#[test]
fn session_watches_auth_ping_whoami() {
    let items = session();

    // Auth: xid -4, digest scheme, sent on every connection right after the connect; its reply
    // has zxid 0.
    let auths: Vec<(&Item, &AuthPacket)> = requests(&items)
        .filter_map(|(it, h, b)| match b {
            Request::Auth(a) => {
                assert_eq!(h.xid, xid::AUTH);
                Some((it, a))
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        auths.len(),
        3,
        "auth on the first connection and re-sent on each reconnect"
    );
    for (_, a) in &auths {
        assert_eq!(a.r#type, 0);
        assert_eq!(a.scheme, "digest");
        assert_eq!(a.auth, Bytes::from_static(b"golden:secret"));
    }
    for it in &items {
        if let Msg::Reply {
            header,
            op: OpCode::Auth,
            ..
        } = &it.msg
        {
            assert_eq!((header.xid, header.zxid, header.err), (xid::AUTH, 0, 0));
        }
    }

    // setWatches (101) on the first reconnect, setWatches2 (105) once a persistent watch exists.
    // The 3.8 Java client builds them with xid -8 but ClientCnxnSocketNIO.doIO overwrites every
    // xid except ping/auth with the next normal xid, so on the wire they carry a positive xid
    // and are answered like any request (the -8 form is in raw_client.txt).
    let sw: Vec<(u32, &RequestHeader, &Request)> = requests(&items)
        .filter(|(_, _, b)| matches!(b, Request::SetWatches(_) | Request::SetWatches2(_)))
        .map(|(it, h, b)| (it.conn, h, b))
        .collect();
    assert_eq!(sw.len(), 2);
    for (_, h, _) in &sw {
        assert!(h.xid > 0, "Java 3.8 setWatches xid {}", h.xid);
        let (rh, op, body) = reply_to(&items, h.xid);
        assert_eq!((rh.err, body), (0, None));
        assert!(matches!(op, OpCode::SetWatches | OpCode::SetWatches2));
    }
    match sw[0] {
        (2, _, Request::SetWatches(w)) => {
            assert!(w.relative_zxid > 0);
            assert_eq!(w.data_watches, vec!["/golden/w".to_string()]);
            assert_eq!(w.exist_watches, vec!["/golden/missing".to_string()]);
            assert_eq!(w.child_watches, vec!["/golden/c2".to_string()]);
        }
        ref other => panic!("first reconnect: {other:?}"),
    }
    match sw[1] {
        (3, _, Request::SetWatches2(w)) => {
            assert!(w.relative_zxid > 0);
            assert_eq!(w.persistent_recursive_watches, vec!["/golden".to_string()]);
            assert!(w.persistent_watches.is_empty());
        }
        ref other => panic!("second reconnect: {other:?}"),
    }

    // addWatch PERSISTENT_RECURSIVE: the reply body is ErrorResponse{0}.
    let (aw_xid, aw) = requests(&items)
        .find_map(|(_, h, b)| match b {
            Request::AddWatch(r) => Some((h.xid, r)),
            _ => None,
        })
        .unwrap();
    assert_eq!(aw.path, "/golden");
    assert_eq!(aw.mode, AddWatchMode::PersistentRecursive as i32);
    assert_eq!(
        reply_to(&items, aw_xid).2,
        Some(&Reply::Error(ErrorResponse { err: 0 }))
    );

    // checkWatches (17) and removeWatches (18) carry a WatcherType.
    let cw = requests(&items)
        .find_map(|(_, _, b)| match b {
            Request::CheckWatches(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (cw.path.as_str(), cw.r#type),
        ("/golden/kid", WatcherType::Children as i32)
    );
    let rw = requests(&items)
        .find_map(|(_, _, b)| match b {
            Request::RemoveWatches(r) => Some(r),
            _ => None,
        })
        .unwrap();
    assert_eq!(
        (rw.path.as_str(), rw.r#type),
        ("/golden/c2", WatcherType::Any as i32)
    );

    // whoAmI: the ip and digest identities of the session.
    let xid = find_request(&items, "whoAmI", |b| matches!(b, Request::WhoAmI));
    match reply_to(&items, xid).2 {
        Some(Reply::WhoAmI(r)) => {
            let ids: BTreeSet<(String, String)> = r
                .client_info
                .iter()
                .map(|c| (c.auth_scheme.clone(), c.user.clone()))
                .collect();
            assert!(ids.contains(&("digest".into(), "golden".into())), "{ids:?}");
            assert!(ids.contains(&("ip".into(), "127.0.0.1".into())), "{ids:?}");
        }
        other => panic!("whoAmI reply {other:?}"),
    }

    // Pings: RequestHeader(-2, 11) with no body, answered by ReplyHeader(-2, zxid, 0).
    let pings = items
        .iter()
        .filter(|it| {
            matches!(
                &it.msg,
                Msg::Request {
                    body: Request::Ping,
                    ..
                }
            )
        })
        .inspect(|it| assert_eq!(it.payload, vec![0xff, 0xff, 0xff, 0xfe, 0, 0, 0, 11]))
        .count();
    assert!(pings >= 1, "the idle step must produce a ping");
    let pongs = items
        .iter()
        .filter(|it| matches!(&it.msg, Msg::Reply { op: OpCode::Ping, header, body: None } if header.xid == xid::PING && header.err == 0))
        .count();
    assert_eq!(pings, pongs);

    // closeSession is the last request and its reply the last frame.
    let last = items.last().unwrap();
    assert!(
        matches!(&last.msg, Msg::Reply { op: OpCode::CloseSession, header, .. } if header.err == 0)
    );
}

/// The client byte stream of each connection, cut into odd-sized reads, goes through the crate's
/// sans-IO `ClientFrameDecoder` and must give the same frames as the per-frame decoding.
#[test]
fn client_streams_through_frame_decoder() {
    for file in ["session.txt", "raw_client.txt"] {
        let items = decode_capture(file);
        for conn in parse_capture(file) {
            let stream: Vec<u8> = conn
                .frames
                .iter()
                .filter(|f| f.dir == Dir::C)
                .flat_map(|f| f.bytes.clone())
                .collect();
            let expected: Vec<&Msg> = items
                .iter()
                .filter(|it| it.conn == conn.number)
                .map(|it| &it.msg)
                .filter(|m| matches!(m, Msg::ConnectRequest(_) | Msg::Request { .. }))
                .collect();
            let mut dec = ClientFrameDecoder::new(limits::DEFAULT_MAX_BUFFER);
            let mut buf = BytesMut::new();
            let mut got = Vec::new();
            for chunk in stream.chunks(7) {
                buf.extend_from_slice(chunk);
                while let Some(f) = dec.decode(&mut buf).expect("frame decoder") {
                    got.push(f);
                }
            }
            assert!(
                buf.is_empty(),
                "{file} conn {}: bytes left in the decoder",
                conn.number
            );
            assert_eq!(got.len(), expected.len(), "{file} conn {}", conn.number);
            for (g, e) in got.iter().zip(expected) {
                match (g, e) {
                    (ClientFrame::Connect(a), Msg::ConnectRequest(b)) => assert_eq!(a, b),
                    (
                        ClientFrame::Request { header, request },
                        Msg::Request { header: h, body },
                    ) => {
                        assert_eq!(header, h);
                        assert_eq!(request.as_ref(), Ok(body));
                    }
                    other => panic!("{file} conn {}: mismatch {other:?}", conn.number),
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Raw client: old-style connect (no readOnly byte), setWatches with xid -8
// ---------------------------------------------------------------------------------------------

#[test]
fn raw_client_old_connect_and_set_watches_xid_minus_8() {
    let items = decode_capture("raw_client.txt");
    let conn1: Vec<&Item> = items.iter().filter(|it| it.conn == 1).collect();
    let conn2: Vec<&Item> = items.iter().filter(|it| it.conn == 2).collect();

    // Connection 1: an old client. 44-byte request, 36-byte response, both without readOnly.
    let Msg::ConnectRequest(req) = &conn1[0].msg else {
        panic!("first frame is not a ConnectRequest")
    };
    assert_eq!(conn1[0].payload.len(), 44, "no readOnly byte");
    assert_eq!(req.read_only, None);
    assert_eq!(req.time_out, 10_000);
    let Msg::ConnectResponse(resp) = &conn1[1].msg else {
        panic!("second frame is not a ConnectResponse")
    };
    assert_eq!(
        conn1[1].payload.len(),
        36,
        "the server omits readOnly for an old client"
    );
    assert_eq!(resp.read_only, None);
    assert_eq!(resp.time_out, 10_000);
    assert_ne!(resp.session_id, 0);
    assert_eq!(resp.passwd.len(), 16);

    let ops: Vec<OpCode> = requests(&items).map(|(_, _, b)| b.op()).collect();
    assert_eq!(
        ops,
        vec![
            OpCode::Ping,
            OpCode::Exists,
            OpCode::GetData,
            OpCode::GetData,
            OpCode::SetWatches,
            OpCode::CloseSession
        ]
    );
    assert!(matches!(reply_to(&items, 1).2, Some(Reply::Exists(_))));
    match reply_to(&items, 2).2 {
        Some(Reply::GetData(r)) => assert_eq!(r.data.as_deref(), Some(&b""[..])),
        other => panic!("getData / reply {other:?}"),
    }

    // Connection 2: the same session resumed with readOnly=0 (45 -> 37 bytes).
    let Msg::ConnectRequest(re) = &conn2[0].msg else {
        panic!("reconnect does not start with a ConnectRequest")
    };
    assert_eq!(conn2[0].payload.len(), 45);
    assert_eq!(re.read_only, Some(false));
    assert_eq!((re.session_id, &re.passwd), (resp.session_id, &resp.passwd));
    let Msg::ConnectResponse(re_resp) = &conn2[1].msg else {
        panic!("no ConnectResponse on the reconnect")
    };
    assert_eq!(conn2[1].payload.len(), 37);
    assert_eq!(re_resp.read_only, Some(false));
    assert_eq!(re_resp.session_id, resp.session_id);

    // setWatches with xid -8: the NodeDataChanged event comes first, then the -8 reply (no body).
    let Msg::Request {
        header,
        body: Request::SetWatches(sw),
    } = &conn2[2].msg
    else {
        panic!("expected setWatches, got {:?}", conn2[2].msg)
    };
    assert_eq!(header.xid, xid::SET_WATCHES);
    assert_eq!(sw.relative_zxid, 0);
    assert_eq!(sw.data_watches, vec!["/golden/w".to_string()]);
    let Msg::Notification { event, .. } = &conn2[3].msg else {
        panic!(
            "expected the setWatches notification, got {:?}",
            conn2[3].msg
        )
    };
    assert_eq!(event.r#type, EventType::NodeDataChanged as i32);
    assert_eq!(event.path, "/golden/w");
    let Msg::Reply {
        header: rh,
        op,
        body,
    } = &conn2[4].msg
    else {
        panic!("expected the setWatches reply, got {:?}", conn2[4].msg)
    };
    assert_eq!(
        (rh.xid, rh.err, *op, body),
        (xid::SET_WATCHES, 0, OpCode::SetWatches, &None)
    );
}

// ---------------------------------------------------------------------------------------------
// Txn log
// ---------------------------------------------------------------------------------------------

/// Parses `log.trimmed.bin`: FileHeader, then `long checksum, int len, txn bytes, 'B'` until the
/// zero-length end marker. Each entry's Adler32 is verified and each txn must re-encode exactly.
fn txn_log() -> Vec<TxnEntry> {
    let data = read_golden("log.trimmed.bin");
    let mut r = JuteReader::new(&data);
    let hdr: FileHeader = read_rt(&mut r, &data, "txn log header");
    assert_eq!(hdr.magic, FileHeader::TXNLOG_MAGIC, "ZKLG");
    assert_eq!(hdr.version, FileHeader::VERSION);
    assert_eq!(hdr.dbid, 0);

    let mut entries = Vec::new();
    loop {
        let at = r.position();
        let checksum = r.read_i64().expect("entry checksum");
        let len = r.read_i32().expect("entry length");
        if len == 0 {
            assert_eq!(checksum, 0, "end marker at offset {at}");
            break;
        }
        let ctx = format!("txn log entry #{} at offset {at}", entries.len());
        let txn = r
            .take(len as usize)
            .unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(
            r.read_u8().expect("end-of-record byte"),
            0x42,
            "{ctx}: missing 'B'"
        );
        assert_eq!(
            checksum,
            i64::from(adler2::adler32_slice(txn)),
            "{ctx}: Adler32 over the txn bytes"
        );
        let entry = TxnEntry::decode(txn).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        assert_eq!(
            hex(&entry.encode()),
            hex(txn),
            "{ctx}: re-encoding ({entry:?})"
        );
        // Sub-txns of a multi decode and re-encode too.
        if let TxnBody::Multi(m) = &entry.body {
            for (i, sub) in m.txns.iter().enumerate() {
                let body =
                    TxnBody::from_sub_txn(sub).unwrap_or_else(|e| panic!("{ctx} sub {i}: {e}"));
                assert_eq!(body.to_sub_txn(sub.r#type), *sub, "{ctx} sub {i}");
            }
        }
        entries.push(entry);
    }
    // Only padding after the end marker.
    assert!(
        r.rest().iter().all(|b| *b == 0),
        "non-zero bytes after the end marker"
    );
    entries
}

#[test]
fn txn_log_roundtrip() {
    let entries = txn_log();
    assert!(entries.len() >= 20);
    let types: BTreeSet<i32> = entries.iter().map(|e| e.header.r#type).collect();
    for want in [
        OpCode::CreateSession,
        OpCode::Create,
        OpCode::Create2,
        OpCode::CreateContainer,
        OpCode::CreateTtl,
        OpCode::SetData,
        OpCode::SetAcl,
        OpCode::Delete,
        OpCode::Multi,
        OpCode::Error,
        OpCode::CloseSession,
    ] {
        assert!(types.contains(&want.code()), "txn log has no {want:?} txn");
    }
    // zxids are consecutive from 1 in standalone mode.
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e.header.zxid, i as i64 + 1);
    }
    for e in &entries {
        match &e.body {
            // Error txns carry no digest; everything else does (digest.enabled, version 2).
            TxnBody::Error(_) => assert_eq!(e.digest, None, "{e:?}"),
            _ => assert_eq!(e.digest.as_ref().map(|d| d.version), Some(2), "{e:?}"),
        }
        if e.header.r#type == OpCode::CreateSession.code() {
            assert_eq!(e.header.cxid, 0);
        }
    }
    let errors: Vec<i32> = entries
        .iter()
        .filter_map(|e| match &e.body {
            TxnBody::Error(t) => Some(t.err),
            _ => None,
        })
        .collect();
    assert!(errors.contains(&ErrorCode::NodeExists.code()));
    assert!(errors.contains(&ErrorCode::BadVersion.code()));

    // The failed multi logs the real txns before the failure, then ErrorTxns.
    let multis: Vec<&MultiTxn> = entries
        .iter()
        .filter_map(|e| match &e.body {
            TxnBody::Multi(m) => Some(m),
            _ => None,
        })
        .collect();
    assert_eq!(multis.len(), 2);
    let sub_types = |m: &MultiTxn| m.txns.iter().map(|t| t.r#type).collect::<Vec<_>>();
    assert_eq!(sub_types(multis[0]), vec![1, 5, 13, 1, 2]);
    assert_eq!(sub_types(multis[1]), vec![1, 5, -1, -1]);
    assert_eq!(
        TxnBody::from_sub_txn(&multis[1].txns[2]).unwrap(),
        TxnBody::Error(ErrorTxn {
            err: ErrorCode::BadVersion.code()
        })
    );
    assert_eq!(
        TxnBody::from_sub_txn(&multis[1].txns[3]).unwrap(),
        TxnBody::Error(ErrorTxn {
            err: ErrorCode::RuntimeInconsistency.code()
        })
    );
    // check inside a multi is logged as CheckVersionTxn{version = current + 1}.
    assert_eq!(
        TxnBody::from_sub_txn(&multis[0].txns[2]).unwrap(),
        TxnBody::Check(CheckVersionTxn {
            path: "/golden/m1".into(),
            version: 2
        })
    );

    // Null data stays null; TTL and container creates have their own records.
    assert!(entries.iter().any(|e| matches!(&e.body,
        TxnBody::Create(c) if c.path == "/golden/nulldata" && c.data.is_none())));
    assert!(entries.iter().any(|e| matches!(&e.body,
        TxnBody::CreateTtl(c) if c.path == "/golden/ttl" && c.ttl == 600_000)));
    assert!(entries.iter().any(|e| matches!(&e.body,
        TxnBody::CreateContainer(c) if c.path == "/golden/container")));
    assert!(entries.iter().any(|e| matches!(&e.body,
        TxnBody::Create(c) if c.path.starts_with("/golden/eseq-") && c.ephemeral)));

    // closeSession (3.6+) lists the ephemerals it deletes; the old client's has none.
    let closes: Vec<&TxnBody> = entries
        .iter()
        .filter(|e| e.header.r#type == OpCode::CloseSession.code())
        .map(|e| &e.body)
        .collect();
    assert_eq!(closes.len(), 2);
    match closes[0] {
        TxnBody::CloseSession(Some(c)) => {
            let mut paths = c.paths2_delete.clone();
            paths.sort();
            assert_eq!(paths[0], "/golden/eph");
            assert!(paths[1].starts_with("/golden/eseq-"));
        }
        other => panic!("closeSession txn {other:?}"),
    }
    assert_eq!(
        closes[1],
        &TxnBody::CloseSession(Some(CloseSessionTxn {
            paths2_delete: vec![]
        }))
    );
}

// ---------------------------------------------------------------------------------------------
// Snapshots
// ---------------------------------------------------------------------------------------------

#[derive(Debug)]
struct SnapNode {
    path: String,
    data: Option<Bytes>,
    acl_ref: i64,
    stat: StatPersisted,
}

#[derive(Debug)]
struct Snapshot {
    sessions: Vec<(i64, i32)>,
    acls: BTreeMap<i64, Vec<Acl>>,
    nodes: Vec<SnapNode>,
    /// The 3.6+ digest section: (zxid, digestVersion, digest).
    digest: Option<(i64, i32, i64)>,
    seals: usize,
}

/// Reads one cumulative Adler32 seal (`long checksum; ustring "/"`): the checksum covers every
/// byte of the file before it.
fn read_seal(r: &mut JuteReader<'_>, data: &[u8], ctx: &str) {
    let at = r.position();
    let stored: i64 = read_rt(r, data, ctx);
    assert_eq!(
        stored,
        i64::from(adler2::adler32_slice(&data[..at])),
        "{ctx}: Adler32 seal at offset {at}"
    );
    let slash: String = read_rt(r, data, ctx);
    assert_eq!(slash, "/", "{ctx}: seal marker");
}

fn parse_snapshot(file: &str) -> Snapshot {
    let data = read_golden(file);
    let ctx = file;
    assert!(
        data.len() >= 10 && data.ends_with(&[0, 0, 0, 1, b'/']),
        "{ctx}: valid tail"
    );
    let mut r = JuteReader::new(&data);
    let hdr: FileHeader = read_rt(&mut r, &data, ctx);
    assert_eq!(hdr.magic, FileHeader::SNAP_MAGIC, "ZKSN");
    assert_eq!(hdr.version, FileHeader::VERSION);
    assert_eq!(hdr.dbid, -1);

    let count: i32 = read_rt(&mut r, &data, ctx);
    let sessions = (0..count)
        .map(|_| {
            (
                read_rt::<i64>(&mut r, &data, ctx),
                read_rt::<i32>(&mut r, &data, ctx),
            )
        })
        .collect();

    let map_size: i32 = read_rt(&mut r, &data, ctx);
    let mut acls = BTreeMap::new();
    for _ in 0..map_size {
        let aref: i64 = read_rt(&mut r, &data, ctx);
        let list: Vec<Acl> = read_rt(&mut r, &data, ctx);
        assert!(
            acls.insert(aref, list).is_none(),
            "{ctx}: duplicate acl ref {aref}"
        );
    }

    let mut nodes: Vec<SnapNode> = Vec::new();
    loop {
        let path: String = read_rt(&mut r, &data, ctx);
        if path == "/" {
            break;
        }
        let data_field: Option<Bytes> = read_rt(&mut r, &data, ctx);
        let acl_ref: i64 = read_rt(&mut r, &data, ctx);
        let stat: StatPersisted = read_rt(&mut r, &data, ctx);
        nodes.push(SnapNode {
            path,
            data: data_field,
            acl_ref,
            stat,
        });
    }

    read_seal(&mut r, &data, &format!("{ctx} seal 1"));
    let mut seals = 1;
    let mut digest = None;
    if !r.is_empty() {
        let zxid: i64 = read_rt(&mut r, &data, ctx);
        let version: i32 = read_rt(&mut r, &data, ctx);
        let d: i64 = read_rt(&mut r, &data, ctx);
        digest = Some((zxid, version, d));
        read_seal(&mut r, &data, &format!("{ctx} seal 2"));
        seals += 1;
    }
    if !r.is_empty() {
        // 3.9+: lastProcessedZxid and a third seal.
        let _last: i64 = read_rt(&mut r, &data, ctx);
        read_seal(&mut r, &data, &format!("{ctx} seal 3"));
        seals += 1;
    }
    r.finish().unwrap_or_else(|e| panic!("{ctx}: {e}"));

    // Structural checks: root first, parents before children, ACL refs resolvable.
    assert_eq!(
        nodes.first().map(|n| n.path.as_str()),
        Some(""),
        "{ctx}: root first"
    );
    let mut seen = BTreeSet::new();
    for n in &nodes {
        if !n.path.is_empty() {
            let parent = &n.path[..n.path.rfind('/').unwrap()];
            assert!(seen.contains(parent), "{ctx}: {} before its parent", n.path);
        }
        assert!(
            n.acl_ref == -1 || acls.contains_key(&n.acl_ref),
            "{ctx}: {} acl ref",
            n.path
        );
        seen.insert(n.path.as_str());
    }
    Snapshot {
        sessions,
        acls,
        nodes,
        digest,
        seals,
    }
}

#[test]
fn empty_snapshot_roundtrip() {
    let s = parse_snapshot("snapshot.empty.bin");
    assert!(s.sessions.is_empty());
    assert_eq!(s.acls.len(), 1, "only READ_ACL_UNSAFE of /zookeeper/config");
    assert_eq!(s.acls[&1], vec![Acl::new(1, "world", "anyone")]);
    let paths: Vec<&str> = s.nodes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(
        paths,
        vec!["", "/zookeeper", "/zookeeper/config", "/zookeeper/quota"]
    );
    assert_eq!(s.seals, 2);
    assert_eq!(s.digest, Some((0, 2, 0)));
}

#[test]
fn snapshot_roundtrip_with_content() {
    let s = parse_snapshot("snapshot.bin");
    assert_eq!(s.seals, 2, "3.8 writes seal 1 and the digest seal");
    let (digest_zxid, digest_version, _) = s.digest.expect("3.6+ digest section");
    assert_eq!(digest_version, 2);

    // The snapshot was taken at restart after the logged txns: same last zxid, and the
    // still-open session B of GoldenClient is in it with its 30 s timeout.
    let log = txn_log();
    assert_eq!(digest_zxid, log.last().unwrap().header.zxid);
    assert_eq!(s.sessions.len(), 1, "{:?}", s.sessions);
    let (sid, timeout) = s.sessions[0];
    assert_eq!(timeout, 30_000);

    let node = |p: &str| {
        s.nodes
            .iter()
            .find(|n| n.path == p)
            .unwrap_or_else(|| panic!("snapshot has no {p}"))
    };
    assert_eq!(node("/golden/eph-b").stat.ephemeral_owner, sid);
    assert_eq!(node("/golden/nulldata").data, None);
    assert_eq!(node("/golden").data.as_deref(), Some(&b"root"[..]));
    assert_eq!(node("/golden/w").data.as_deref(), Some(&b"v2"[..]));
    assert_eq!(node("/golden/w").stat.version, 3);
    // Containers are marked by ephemeralOwner 0x8000000000000000, TTL nodes by 0xff << 56 | ttl.
    assert_eq!(node("/golden/container").stat.ephemeral_owner, i64::MIN);
    assert_eq!(
        node("/golden/ttl").stat.ephemeral_owner,
        (0xffu64 << 56) as i64 | 600_000
    );
    // Ephemerals of the closed session are gone.
    assert!(s.nodes.iter().all(|n| n.path != "/golden/eph"));

    // ACL cache: the digest ACL of /golden/acl and the two-entry list set on /golden/c2.
    let acl_of = |p: &str| s.acls.get(&node(p).acl_ref).cloned();
    assert_eq!(
        node("").acl_ref,
        -1,
        "root is OPEN_ACL_UNSAFE (never stored)"
    );
    assert_eq!(
        acl_of("/golden"),
        Some(vec![Acl::new(31, "world", "anyone")])
    );
    let digest_acl = acl_of("/golden/acl").unwrap();
    assert_eq!(digest_acl.len(), 1);
    assert_eq!(digest_acl[0].id.scheme, "digest");
    assert!(digest_acl[0].id.id.starts_with("golden:"));
    assert_eq!(
        acl_of("/golden/c2"),
        Some(vec![
            Acl::new(1, "world", "anyone"),
            Acl::new(31, "ip", "127.0.0.1")
        ])
    );
    assert_eq!(node("/golden/c2").stat.aversion, 1);
}
