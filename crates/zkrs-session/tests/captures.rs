//! Replays the raw-socket probe that was run against Debian's ZooKeeper 3.8.0
//! (`shared/reference/captures/zkprobe.py`, `probe_out.txt`, `disk_out.txt`) and compares every
//! reply, notification, txn and txn digest with what the real server produced.
//!
//! The clocks are set so that the session ids and znode times come out as they did there: the
//! monotonic clock starts at 0x6b4b7 ms (session 0x01000006b4b70000) and the wall clock is set
//! before each write to the `ctime`/`mtime` seen in the capture.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;

/// Reply bodies were printed truncated to 100 bytes.
fn assert_body(f: &Frame, expected_hex: &str) {
    let got = hex(f.body());
    if expected_hex.len() == 200 {
        assert!(
            got.starts_with(expected_hex),
            "body prefix\n got {got}\nwant {expected_hex}"
        );
    } else {
        assert_eq!(got, expected_hex, "body");
    }
}

fn assert_reply(f: &Frame, xid: i32, zxid: i64, err: i32, body: &str) {
    assert_eq!(
        (f.xid(), f.zxid(), f.err()),
        (xid, zxid, err),
        "header of {f:?}"
    );
    assert_body(f, body);
}

fn digest_of(h: &Harness, zxid: i64) -> Option<i64> {
    h.persisted
        .iter()
        .find(|e| e.header.zxid == zxid)
        .unwrap_or_else(|| panic!("no txn 0x{zxid:x}"))
        .digest
        .as_ref()
        .map(|d| {
            assert_eq!(d.version, 2);
            d.tree_digest
        })
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

fn acl(perms: i32, scheme: &str, id: &str) -> Acl {
    Acl::new(perms, scheme, id)
}

const WALL_A: i64 = 1_795_296_235_415;

#[test]
fn probe_3_8_0_replay() {
    let mut cfg = Harness::default_config();
    cfg.extended_types_enabled = true;
    let mut h = Harness::new(cfg);

    // ---- connection c
    let c_conn = h.open_from("127.0.0.1:37850");
    let frames = h.connect_raw(c_conn, connect_req(0, &[0; 16], Some(true)));
    assert_eq!(
        hex(&frames[0].connect().to_bytes()),
        "000000000000753001000006b4b70000000000105bd6206d4c380a4a310cff2a757f5ac400"
    );
    let mut c = Client {
        conn: c_conn,
        xid: 0,
        session_id: 0x0100_0006_b4b7_0000,
        passwd: frames[0].connect().passwd.clone(),
        timeout: 30000,
    };
    assert_eq!(h.persisted[0].header.r#type, OpCode::CreateSession.code());
    assert_eq!(h.persisted[0].header.zxid, 1);
    assert_eq!(digest_of(&h, 1), Some(1_371_985_504));

    h.set_wall(WALL_A);
    let f = c.req(&mut h, Request::Create(create_req("/a", b"hello", 0)));
    assert_reply(&f, 1, 2, 0, "000000022f61");
    assert_eq!(digest_of(&h, 2), Some(1_481_561_364));
    match &h.last_txn().body {
        TxnBody::Create(t) => assert_eq!((t.parent_c_version, t.ephemeral), (1, false)),
        b => panic!("{b:?}"),
    }

    h.set_wall(1_795_296_235_426);
    let f = c.req(&mut h, Request::Create2(create_req("/a/seq-", b"x", 2)));
    assert_reply(&f, 2, 3, 0, "000000112f612f7365712d3030303030303030303000000000000000030000000000000003000001a1fffe8fa2000001a1fffe8fa2000000000000000000000000000000000000000000000001000000000000000000000003");
    assert_eq!(digest_of(&h, 3), Some(6_371_373_819));

    let f = c.req(&mut h, Request::Create(create_req("/a", b"hello", 0)));
    assert_reply(&f, 3, 4, -110, "");
    assert_eq!(h.last_txn().header.r#type, -1);
    assert_eq!(h.last_txn().body, TxnBody::Error(ErrorTxn { err: -110 }));
    assert_eq!(digest_of(&h, 4), None);

    h.set_wall(1_795_296_235_430);
    let f = c.req(&mut h, Request::Create(create_req("/eph", b"", 1)));
    assert_reply(&f, 4, 5, 0, "000000042f657068");
    assert_eq!(digest_of(&h, 5), Some(12_030_475_315));

    h.set_wall(1_795_296_235_431);
    let f = c.req(
        &mut h,
        Request::CreateContainer(CreateRequest {
            path: "/cont".into(),
            data: None,
            acl: open_acl(),
            flags: 4,
        }),
    );
    assert_reply(&f, 5, 6, 0, "000000052f636f6e7400000000000000060000000000000006000001a1fffe8fa7000001a1fffe8fa7000000000000000000000000000000000000000000000000000000000000000000000006");
    assert_eq!(digest_of(&h, 6), Some(12_969_637_820));

    h.set_wall(1_795_296_235_432);
    let f = c.req(
        &mut h,
        Request::CreateTtl(CreateTtlRequest {
            path: "/ttl".into(),
            data: Some(Bytes::from_static(b"t")),
            acl: open_acl(),
            flags: 5,
            ttl: 100_000,
        }),
    );
    assert_reply(&f, 6, 7, 0, "000000042f74746c00000000000000070000000000000007000001a1fffe8fa8000001a1fffe8fa8000000000000000000000000000000000000000000000001000000000000000000000007");
    assert_eq!(digest_of(&h, 7), Some(17_182_567_413));

    let f = c.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/a".into(),
            watch: true,
        }),
    );
    assert_reply(&f, 7, 7, 0, "0000000568656c6c6f00000000000000020000000000000002000001a1fffe8f97000001a1fffe8f97000000000000000100000000000000000000000000000005000000010000000000000003");
    let f = c.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/eph".into(),
            watch: false,
        }),
    );
    assert_reply(&f, 8, 7, 0, "0000000000000000000000050000000000000005000001a1fffe8fa6000001a1fffe8fa600000000000000000000000001000006b4b7000000000000000000000000000000000005");
    let f = c.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/cont".into(),
            watch: false,
        }),
    );
    assert_reply(&f, 9, 7, 0, "ffffffff00000000000000060000000000000006000001a1fffe8fa7000001a1fffe8fa7000000000000000000000000000000000000000000000000000000000000000000000006");

    h.set_wall(1_795_296_235_438);
    let frames = c.call(
        &mut h,
        Request::SetData(SetDataRequest {
            path: "/a".into(),
            data: Some(Bytes::from_static(b"world")),
            version: -1,
        }),
    );
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_reply(&frames[0], -1, -1, 0, "0000000300000003000000022f61");
    assert_reply(&frames[1], 10, 8, 0, "00000000000000020000000000000008000001a1fffe8f97000001a1fffe8fae000000010000000100000000000000000000000000000005000000010000000000000003");
    assert_eq!(digest_of(&h, 8), Some(19_191_101_550));
    match &h.last_txn().body {
        TxnBody::SetData(t) => assert_eq!(t.version, 1),
        b => panic!("{b:?}"),
    }

    let f = c.req(
        &mut h,
        Request::Exists(ExistsRequest {
            path: "/nonexist".into(),
            watch: true,
        }),
    );
    assert_reply(&f, 11, 8, -101, "");

    let f = c.req(
        &mut h,
        Request::GetChildren2(GetChildren2Request {
            path: "/a".into(),
            watch: false,
        }),
    );
    assert_reply(&f, 12, 8, 0, "000000010000000e7365712d3030303030303030303000000000000000020000000000000008000001a1fffe8f97000001a1fffe8fae000000010000000100000000000000000000000000000005000000010000000000000003");

    let f = c.req(
        &mut h,
        Request::Multi(MultiRequest {
            ops: vec![
                MultiOp::Check(CheckVersionRequest {
                    path: "/a".into(),
                    version: 1,
                }),
                MultiOp::Create(create_req("/m1", b"", 0)),
                MultiOp::Delete(DeleteRequest {
                    path: "/nope".into(),
                    version: -1,
                }),
                MultiOp::SetData(SetDataRequest {
                    path: "/a".into(),
                    data: Some(Bytes::from_static(b"z")),
                    version: -1,
                }),
            ],
        }),
    );
    assert_reply(&f, 13, 9, 0, "ffffffff000000000000000000ffffffff000000000000000000ffffffff00ffffff9bffffff9bffffffff00fffffffefffffffeffffffff01ffffffff");
    assert_eq!(digest_of(&h, 9), Some(19_191_101_550));
    match &h.last_txn().body {
        TxnBody::Multi(m) => {
            let types: Vec<i32> = m.txns.iter().map(|t| t.r#type).collect();
            assert_eq!(types, vec![13, 1, -1, -1]);
            assert_eq!(
                TxnBody::from_sub_txn(&m.txns[0]).unwrap(),
                TxnBody::Check(CheckVersionTxn {
                    path: "/a".into(),
                    version: 2
                })
            );
            assert_eq!(
                TxnBody::from_sub_txn(&m.txns[2]).unwrap(),
                TxnBody::Error(ErrorTxn { err: -101 })
            );
            assert_eq!(
                TxnBody::from_sub_txn(&m.txns[3]).unwrap(),
                TxnBody::Error(ErrorTxn { err: -2 })
            );
        }
        b => panic!("{b:?}"),
    }

    h.set_wall(1_795_296_235_447);
    let f = c.req(
        &mut h,
        Request::Multi(MultiRequest {
            ops: vec![
                MultiOp::Check(CheckVersionRequest {
                    path: "/a".into(),
                    version: 1,
                }),
                MultiOp::Create2(create_req("/m2", b"", 0)),
                MultiOp::SetData(SetDataRequest {
                    path: "/a".into(),
                    data: Some(Bytes::from_static(b"z")),
                    version: -1,
                }),
            ],
        }),
    );
    assert_reply(&f, 14, 10, 0, "0000000d0000000000000000010000000000000000032f6d320000000500000000000000000000000002000000000000000a000001a1fffe8f97000001a1fffe8fb700000002000000010000000000000000000000000000000100000001000000000000");
    assert_eq!(digest_of(&h, 10), Some(13_067_247_501));

    let f = c.req(
        &mut h,
        Request::MultiRead(MultiRequest {
            ops: vec![
                MultiOp::GetData(GetDataRequest {
                    path: "/a".into(),
                    watch: false,
                }),
                MultiOp::GetChildren(GetChildrenRequest {
                    path: "/zzz".into(),
                    watch: false,
                }),
            ],
        }),
    );
    assert_reply(&f, 15, 10, 0, "000000040000000000000000017a0000000000000002000000000000000a000001a1fffe8f97000001a1fffe8fb7000000020000000100000000000000000000000000000001000000010000000000000003ffffffff00ffffff9bffffff9bffffffff01");

    let f = c.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/a".into(),
            mode: 1,
        }),
    );
    assert_reply(&f, 16, 10, 0, "00000000");

    h.set_wall(1_795_296_235_450);
    let frames = c.call(&mut h, Request::Create(create_req("/a/child", b"", 0)));
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_reply(
        &frames[0],
        -1,
        -1,
        0,
        "0000000100000003000000082f612f6368696c64",
    );
    assert_reply(&frames[1], 17, 11, 0, "000000082f612f6368696c64");
    assert_eq!(digest_of(&h, 11), Some(15_132_226_779));

    let f = c.req(
        &mut h,
        Request::CheckWatches(CheckWatchesRequest {
            path: "/a".into(),
            r#type: 2,
        }),
    );
    assert_reply(&f, 18, 11, 0, "");
    let f = c.req(
        &mut h,
        Request::RemoveWatches(RemoveWatchesRequest {
            path: "/zzz".into(),
            r#type: 2,
        }),
    );
    assert_reply(&f, 19, 11, -121, "");
    let f = c.req(
        &mut h,
        Request::GetEphemerals(GetEphemeralsRequest {
            prefix_path: "/".into(),
        }),
    );
    assert_reply(&f, 20, 11, 0, "00000001000000042f657068");
    let f = c.req(
        &mut h,
        Request::GetAllChildrenNumber(GetAllChildrenNumberRequest { path: "/".into() }),
    );
    assert_reply(&f, 21, 11, 0, "0000000a");
    let f = c.req(&mut h, Request::WhoAmI);
    assert_reply(
        &f,
        22,
        11,
        0,
        "00000001000000026970000000093132372e302e302e31",
    );

    let frames = c.call_xid(
        &mut h,
        -4,
        Request::Auth(AuthPacket {
            r#type: 0,
            scheme: "digest".into(),
            auth: Bytes::from_static(b"user:password"),
        }),
    );
    assert_eq!(frames.len(), 1);
    assert_reply(&frames[0], -4, 0, 0, "");
    let f = c.req(&mut h, Request::WhoAmI);
    assert_reply(
        &f,
        23,
        11,
        0,
        "00000002000000066469676573740000000475736572000000026970000000093132372e302e302e31",
    );

    h.set_wall(1_795_296_235_461);
    let f = c.req(
        &mut h,
        Request::Create(CreateRequest {
            path: "/secret".into(),
            data: Some(Bytes::from_static(b"s")),
            acl: vec![
                acl(31, "digest", "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY="),
                acl(1, "ip", "127.0.0.0/8"),
            ],
            flags: 0,
        }),
    );
    assert_reply(&f, 24, 12, 0, "000000072f736563726574");
    assert_eq!(digest_of(&h, 12), Some(18_496_175_035));
    let f = c.req(
        &mut h,
        Request::GetAcl(GetAclRequest {
            path: "/secret".into(),
        }),
    );
    assert_reply(&f, 25, 12, 0, "000000020000001f0000000664696765737400000021757365723a747055712f34506e3541363466565a795130674f4a385a57716b593d000000010000000269700000000b3132372e302e302e302f38000000000000000c000000000000000c000001a1");

    h.set_wall(1_795_296_235_464);
    let f = c.req(
        &mut h,
        Request::Create(CreateRequest {
            path: "/authacl".into(),
            data: Some(Bytes::from_static(b"s")),
            acl: vec![acl(31, "auth", "")],
            flags: 0,
        }),
    );
    assert_reply(&f, 26, 13, 0, "000000082f6175746861636c");
    assert_eq!(digest_of(&h, 13), Some(20_369_386_133));
    let f = c.req(
        &mut h,
        Request::GetAcl(GetAclRequest {
            path: "/authacl".into(),
        }),
    );
    assert_reply(&f, 27, 13, 0, "000000010000001f0000000664696765737400000021757365723a747055712f34506e3541363466565a795130674f4a385a57716b593d000000000000000d000000000000000d000001a1fffe8fc8000001a1fffe8fc800000000000000000000000000");

    let f = c.req(&mut h, Request::Sync(SyncRequest { path: "/a".into() }));
    assert_reply(&f, 28, 13, 0, "000000022f61");
    let frames = c.call_xid(&mut h, -2, Request::Ping);
    assert_eq!(frames.len(), 1);
    assert_reply(&frames[0], -2, 13, 0, "");

    let frames = c.call_xid(
        &mut h,
        -8,
        Request::SetWatches(SetWatches {
            relative_zxid: 0,
            data_watches: vec!["/a".into()],
            exist_watches: vec!["/gone".into()],
            child_watches: vec![],
        }),
    );
    assert_eq!(frames.len(), 2, "{frames:?}");
    assert_reply(&frames[0], -1, -1, 0, "0000000300000003000000022f61");
    assert_reply(&frames[1], -8, 13, 0, "");

    let f = c.req(
        &mut h,
        Request::Check(CheckVersionRequest {
            path: "/a".into(),
            version: 1,
        }),
    );
    assert_reply(&f, 29, 14, -103, "");
    assert_eq!(h.last_txn().body, TxnBody::Error(ErrorTxn { err: -103 }));

    // ---- second connection: an unauthenticated client.
    let c2_conn = h.open_from("127.0.0.1:37852");
    let frames = h.connect_raw(c2_conn, connect_req(0, &[0; 16], Some(true)));
    assert_eq!(
        hex(&frames[0].connect().to_bytes()),
        "000000000000753001000006b4b70001000000106ef71a6dec83e98e264f665649086f9100"
    );
    assert_eq!(digest_of(&h, 15), Some(20_369_386_133));
    let mut c2 = Client {
        conn: c2_conn,
        xid: 0,
        session_id: 0x0100_0006_b4b7_0001,
        passwd: frames[0].connect().passwd.clone(),
        timeout: 30000,
    };
    let f = c2.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/secret".into(),
            watch: false,
        }),
    );
    assert_reply(&f, 1, 15, 0, "0000000173000000000000000c000000000000000c000001a1fffe8fc5000001a1fffe8fc500000000000000000000000000000000000000000000000100000000000000000000000c");
    let f = c2.req(
        &mut h,
        Request::GetAcl(GetAclRequest {
            path: "/secret".into(),
        }),
    );
    assert_reply(&f, 2, 15, 0, "000000020000001f0000000664696765737400000006757365723a78000000010000000269700000000b3132372e302e302e302f38000000000000000c000000000000000c000001a1fffe8fc5000001a1fffe8fc5000000000000000000000000000000");
    let f = c2.req(&mut h, Request::CloseSession);
    assert_reply(&f, 3, 16, 0, "");
    assert!(h.is_closed(c2_conn));
    assert_eq!(
        h.last_txn().body,
        TxnBody::CloseSession(Some(CloseSessionTxn {
            paths2_delete: vec![]
        }))
    );
    assert_eq!(digest_of(&h, 16), Some(20_369_386_133));

    // ---- reconnect with a wrong password: zeros, then close.
    let (c3, frames) = h.reconnect(c.session_id, &[1; 16], 0);
    assert_eq!(
        hex(&frames[0].connect().to_bytes()),
        "00000000000000000000000000000000000000100000000000000000000000000000000000"
    );
    assert!(h.is_closed(c3));
    // The reconnect attempt also closed the session's older connection.
    assert!(h.is_closed(c.conn));

    // ---- reconnect with the right password.
    let (c4_conn, frames) = h.reconnect(c.session_id, &c.passwd.clone(), 0);
    assert_eq!(
        hex(&frames[0].connect().to_bytes()),
        "000000000000753001000006b4b70000000000105bd6206d4c380a4a310cff2a757f5ac400"
    );
    let mut c4 = Client {
        conn: c4_conn,
        xid: 0,
        ..c.clone()
    };
    let frames = c4.call_xid(&mut h, -2, Request::Ping);
    assert_reply(&frames[0], -2, 16, 0, "");
    let f = c4.req(&mut h, Request::CloseSession);
    assert_reply(&f, 1, 17, 0, "");
    assert!(h.is_closed(c4_conn));
    assert_eq!(
        h.last_txn().body,
        TxnBody::CloseSession(Some(CloseSessionTxn {
            paths2_delete: vec!["/eph".into()]
        }))
    );
    assert_eq!(digest_of(&h, 17), Some(18_336_352_178));

    // ---- an old client without the readOnly byte gets a 36-byte response.
    let c5_conn = h.open_from("127.0.0.1:37860");
    let frames = h.connect_raw(c5_conn, connect_req(0, &[0; 16], None));
    assert_eq!(
        hex(&frames[0].connect().to_bytes()),
        "000000000000753001000006b4b700020000001035942c6d0ca14bc0478630d4ce6d312a"
    );
    let mut c5 = Client {
        conn: c5_conn,
        xid: 0,
        session_id: 0x0100_0006_b4b7_0002,
        passwd: frames[0].connect().passwd.clone(),
        timeout: 30000,
    };
    let f = c5.req(&mut h, Request::CloseSession);
    assert_reply(&f, 1, 19, 0, "");
    assert_eq!(digest_of(&h, 18), Some(18_336_352_178));
    assert_eq!(digest_of(&h, 19), Some(18_336_352_178));

    // The tree digest kept incrementally matches a full recomputation.
    assert_eq!(
        h.core.tree().digest(),
        h.core.tree().compute_digest_from_scratch()
    );
    assert_eq!(h.core.tree().digest(), 18_336_352_178);
}

/// probe2: error paths on a fresh server (zxids relative to its own start).
#[test]
fn probe2_error_mapping() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    c.create_ok(&mut h, "/a", b"x", 0);
    c.create_ok(&mut h, "/a/b", b"", 0);
    let base = h.core.last_processed_zxid();

    let cases: Vec<(Request, i32)> = vec![
        (Request::Create(create_req("a/b", b"", 0)), -101),
        (Request::Create(create_req("/x/", b"", 0)), -101),
        (Request::Create(create_req("/e1", b"", 1)), 0),
        (Request::Create(create_req("/e1/c", b"", 0)), -108),
        (Request::Create(create_req("/f", b"", 7)), -8),
        (
            Request::Create(CreateRequest {
                acl: vec![],
                ..create_req("/g", b"", 0)
            }),
            -114,
        ),
        (
            Request::Create(CreateRequest {
                acl: vec![Acl::new(31, "auth", "")],
                ..create_req("/g", b"", 0)
            }),
            -114,
        ),
        (
            Request::Create(CreateRequest {
                acl: vec![Acl::new(31, "digest", "nocolon")],
                ..create_req("/g", b"", 0)
            }),
            -114,
        ),
        (Request::Create(create_req("/no/parent", b"", 0)), -101),
        (
            Request::Delete(DeleteRequest {
                path: "/a".into(),
                version: -1,
            }),
            -111,
        ),
        (
            Request::SetData(SetDataRequest {
                path: "/a".into(),
                data: None,
                version: 7,
            }),
            -103,
        ),
        (
            Request::SetData(SetDataRequest {
                path: "/nope".into(),
                data: None,
                version: -1,
            }),
            -101,
        ),
        (
            Request::Delete(DeleteRequest {
                path: "/zookeeper".into(),
                version: -1,
            }),
            -8,
        ),
        (Request::Create(create_req("/zookeeper/foo", b"", 0)), 0),
        (
            Request::SetAcl(SetAclRequest {
                path: "/zookeeper/config".into(),
                acl: open_acl(),
                version: -1,
            }),
            -102,
        ),
        (
            Request::Reconfig(ReconfigRequest {
                joining_servers: None,
                leaving_servers: None,
                new_members: None,
                cur_config_id: -1,
            }),
            -123,
        ),
    ];
    for (i, (req, err)) in cases.into_iter().enumerate() {
        let desc = format!("{req:?}");
        let f = c.req(&mut h, req);
        assert_eq!(f.err(), err, "{desc}");
        // Every write consumes a zxid, failed or not.
        assert_eq!(f.zxid(), base + 1 + i as i64, "{desc}");
    }

    // getData /zookeeper/config: empty data, zeroed stat, aversion -1.
    let f = c.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/zookeeper/config".into(),
            watch: false,
        }),
    );
    assert_eq!(hex(f.body()), "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000ffffffff000000000000000000000000000000000000000000000000");

    // Unknown opcode: (xid, -1, -6) and the connection is closed.
    let last = h.core.last_processed_zxid();
    h.send_raw(c.conn, 19, 999, &[]);
    h.pump();
    let frames = h.take(c.conn);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        (frames[0].xid(), frames[0].zxid(), frames[0].err()),
        (19, -1, -6)
    );
    assert!(h.is_closed(c.conn));
    assert_eq!(h.core.last_processed_zxid(), last);
}
