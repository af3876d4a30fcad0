//! Every opcode's success path, its error codes, Stat values and reply zxids.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;

fn h_and_client() -> (Harness, Client) {
    let mut h = Harness::new(Harness::default_config());
    let c = h.session();
    (h, c)
}

fn get_data(c: &mut Client, h: &mut Harness, path: &str) -> Frame {
    c.req(
        h,
        Request::GetData(GetDataRequest {
            path: path.into(),
            watch: false,
        }),
    )
}

#[test]
fn create_variants_and_stats() {
    let (mut h, mut c) = h_and_client();
    h.set_wall(1000);
    let f = c.create(&mut h, "/a", b"data", 0);
    assert_eq!((f.zxid(), f.err()), (2, 0));
    assert_eq!(decode::<CreateResponse>(f.body()).path, "/a");
    h.set_wall(2000);
    let f = c.req(&mut h, Request::Create2(create_req("/a/b", b"xy", 0)));
    let r: Create2Response = decode(f.body());
    assert_eq!(r.path, "/a/b");
    assert_eq!(
        r.stat,
        Stat {
            czxid: 3,
            mzxid: 3,
            ctime: 2000,
            mtime: 2000,
            version: 0,
            cversion: 0,
            aversion: 0,
            ephemeral_owner: 0,
            data_length: 2,
            num_children: 0,
            pzxid: 3,
        }
    );
    // Parent: cversion counts creates and deletes for clients, pzxid follows children.
    let s = c.stat(&mut h, "/a").unwrap();
    assert_eq!((s.cversion, s.num_children, s.pzxid, s.mzxid), (1, 1, 3, 2));
    let f = c.req(
        &mut h,
        Request::Delete(DeleteRequest {
            path: "/a/b".into(),
            version: 0,
        }),
    );
    assert_eq!((f.zxid(), f.err(), f.body().len()), (4, 0, 0));
    let s = c.stat(&mut h, "/a").unwrap();
    assert_eq!((s.cversion, s.num_children, s.pzxid), (2, 0, 4));

    // Ephemeral owner shows for NORMAL ephemerals only.
    let f = c.req(&mut h, Request::Create2(create_req("/e", b"", 1)));
    let r: Create2Response = decode(f.body());
    assert_eq!(r.stat.ephemeral_owner, c.session_id);
    let f = c.req(&mut h, Request::CreateContainer(create_req("/c", b"", 4)));
    let r: Create2Response = decode(f.body());
    assert_eq!(r.stat.ephemeral_owner, 0);
    assert_eq!(
        h.core.tree().node("/c").unwrap().stat.ephemeral_owner,
        i64::MIN
    );
    match &h.last_txn().body {
        TxnBody::CreateContainer(t) => assert_eq!(t.path, "/c"),
        b => panic!("{b:?}"),
    }
}

#[test]
fn sequential_names_use_the_stored_cversion() {
    let (mut h, mut c) = h_and_client();
    c.create_ok(&mut h, "/q", b"", 0);
    assert_eq!(c.create_ok(&mut h, "/q/n-", b"", 2), "/q/n-0000000000");
    assert_eq!(c.create_ok(&mut h, "/q/n-", b"", 2), "/q/n-0000000001");
    // Deletes do not bump the stored cversion.
    c.req(
        &mut h,
        Request::Delete(DeleteRequest {
            path: "/q/n-0000000001".into(),
            version: -1,
        }),
    );
    assert_eq!(c.create_ok(&mut h, "/q/n-", b"", 2), "/q/n-0000000002");
    c.create_ok(&mut h, "/q/plain", b"", 0);
    assert_eq!(c.create_ok(&mut h, "/q/", b"", 2), "/q/0000000004");
    // The parent is looked up first; the full path is validated after suffixing.
    assert_eq!(c.create(&mut h, "/q//x", b"", 2).err(), -101);
    assert_eq!(c.create(&mut h, "/q/bad\u{1}", b"", 2).err(), -8);
    // Sequential under root.
    assert!(c.create_ok(&mut h, "/s", b"", 2).starts_with("/s00000000"));
}

#[test]
fn create_errors() {
    let (mut h, mut c) = h_and_client();
    c.create_ok(&mut h, "/a", b"", 0);
    for (path, flags, err) in [
        ("/a", 0, -110),
        ("/", 0, -110),
        ("a", 0, -8),
        ("", 0, -8),
        ("/a\0b", 0, -8),
        ("/a/", 0, -8),
        ("/a/.", 0, -8),
        ("/missing/x", 0, -101),
        ("/b", 7, -8),
        ("/b", -1, -8),
        ("/b", 5, -6), // TTL without extendedTypesEnabled
        ("/b", 6, -6),
    ] {
        let f = c.create(&mut h, path, b"", flags);
        assert_eq!(f.err(), err, "create {path:?} flags {flags}");
    }
    // Every one of those consumed a zxid.
    assert_eq!(h.core.last_processed_zxid(), 2 + 12);
}

#[test]
fn ttl_nodes_need_extended_types() {
    let mut cfg = Harness::default_config();
    cfg.extended_types_enabled = true;
    let mut h = Harness::new(cfg);
    let mut c = h.session();
    let ttl = |path: &str, flags: i32, ttl: i64| {
        Request::CreateTtl(CreateTtlRequest {
            path: path.into(),
            data: None,
            acl: open_acl(),
            flags,
            ttl,
        })
    };
    assert_eq!(c.req(&mut h, ttl("/t", 5, 0)).err(), -8);
    assert_eq!(c.req(&mut h, ttl("/t", 5, 0x100_0000_0000)).err(), -8);
    assert_eq!(c.req(&mut h, ttl("/t", 0, 100)).err(), -8);
    let f = c.req(&mut h, ttl("/t", 5, 100));
    assert_eq!(f.err(), 0);
    let r: Create2Response = decode(f.body());
    assert_eq!(r.stat.ephemeral_owner, 0);
    assert_eq!(
        h.core.tree().node("/t").unwrap().stat.ephemeral_owner as u64,
        0xff00_0000_0000_0064
    );
    let f = c.req(&mut h, ttl("/ts-", 6, 100));
    assert_eq!(decode::<Create2Response>(f.body()).path, "/ts-0000000001");
    // A plain create with TTL flags has ttl -1: BADARGUMENTS.
    assert_eq!(c.create(&mut h, "/u", b"", 5).err(), -8);
}

#[test]
fn children_of_ephemerals() {
    let (mut h, mut c) = h_and_client();
    c.create_ok(&mut h, "/e", b"", 1);
    assert_eq!(c.create(&mut h, "/e/x", b"", 0).err(), -108);
    assert_eq!(c.create(&mut h, "/e/x", b"", 2).err(), -108);
}

#[test]
fn delete_rules() {
    let (mut h, mut c) = h_and_client();
    c.create_ok(&mut h, "/d", b"", 0);
    c.create_ok(&mut h, "/d/k", b"", 0);
    let del = |p: &str, v: i32| {
        Request::Delete(DeleteRequest {
            path: p.into(),
            version: v,
        })
    };
    assert_eq!(c.req(&mut h, del("/d", -1)).err(), -111);
    assert_eq!(c.req(&mut h, del("/d/k", 3)).err(), -103);
    assert_eq!(c.req(&mut h, del("/d/nope", -1)).err(), -101);
    assert_eq!(c.req(&mut h, del("/nope/x", -1)).err(), -101);
    assert_eq!(c.req(&mut h, del("nope", -1)).err(), -8);
    for special in ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"] {
        assert_eq!(c.req(&mut h, del(special, -1)).err(), -8, "{special}");
    }
    // A trailing slash is not validated: the parent lookup decides.
    assert_eq!(c.req(&mut h, del("/d/", -1)).err(), -101);
    assert_eq!(c.req(&mut h, del("/d/k", 0)).err(), 0);
    assert_eq!(c.req(&mut h, del("/d", 0)).err(), 0);
}

#[test]
fn set_data_and_versions() {
    let (mut h, mut c) = h_and_client();
    c.create_ok(&mut h, "/s", b"1", 0);
    h.set_wall(5000);
    let set = |v: i32, d: &'static [u8]| {
        Request::SetData(SetDataRequest {
            path: "/s".into(),
            data: Some(Bytes::from_static(d)),
            version: v,
        })
    };
    let f = c.req(&mut h, set(0, b"22"));
    let st = decode::<SetDataResponse>(f.body()).stat;
    assert_eq!(
        (st.version, st.mzxid, st.mtime, st.data_length),
        (1, 3, 5000, 2)
    );
    assert_eq!(c.req(&mut h, set(0, b"x")).err(), -103);
    assert_eq!(
        decode::<SetDataResponse>(c.req(&mut h, set(-1, b"")).body())
            .stat
            .version,
        2
    );
    let f = get_data(&mut c, &mut h, "/s");
    let r: GetDataResponse = decode(f.body());
    assert_eq!(r.data.as_deref(), Some(&b""[..]));
    // null data
    c.req(
        &mut h,
        Request::SetData(SetDataRequest {
            path: "/s".into(),
            data: None,
            version: -1,
        }),
    );
    let r: GetDataResponse = decode(get_data(&mut c, &mut h, "/s").body());
    assert_eq!(r.data, None);
    let bad = Request::SetData(SetDataRequest {
        path: "/s/".into(),
        data: None,
        version: -1,
    });
    assert_eq!(c.req(&mut h, bad).err(), -8);
}

#[test]
fn set_acl_uses_aversion() {
    let (mut h, mut c) = h_and_client();
    c.create_ok(&mut h, "/x", b"", 0);
    let set = |v: i32, acl: Vec<Acl>| {
        Request::SetAcl(SetAclRequest {
            path: "/x".into(),
            acl,
            version: v,
        })
    };
    assert_eq!(c.req(&mut h, set(1, open_acl())).err(), -103);
    let f = c.req(
        &mut h,
        set(
            0,
            vec![
                Acl::new(31, "world", "anyone"),
                Acl::new(1, "ip", "10.0.0.0/8"),
            ],
        ),
    );
    assert_eq!(f.err(), 0);
    let st = decode::<SetAclResponse>(f.body()).stat;
    assert_eq!((st.aversion, st.version), (1, 0));
    assert_eq!(c.req(&mut h, set(-1, vec![])).err(), -114);
    let f = c.req(&mut h, Request::GetAcl(GetAclRequest { path: "/x".into() }));
    let r: GetAclResponse = decode(f.body());
    assert_eq!(r.acl.len(), 2);
    assert_eq!(r.stat.aversion, 1);
    // setACL on / with an open ACL works (3.8.0 has no special-path check on setACL).
    let f = c.req(
        &mut h,
        Request::SetAcl(SetAclRequest {
            path: "/".into(),
            acl: open_acl(),
            version: -1,
        }),
    );
    assert_eq!(f.err(), 0);
}

#[test]
fn reads() {
    let (mut h, mut c) = h_and_client();
    c.create_ok(&mut h, "/r", b"v", 0);
    c.create_ok(&mut h, "/r/b", b"", 0);
    c.create_ok(&mut h, "/r/a", b"", 0);
    c.create_ok(&mut h, "/r/a/deep", b"", 0);
    let f = c.req(
        &mut h,
        Request::GetChildren(GetChildrenRequest {
            path: "/r".into(),
            watch: false,
        }),
    );
    let mut kids = decode::<GetChildrenResponse>(f.body()).children;
    kids.sort();
    assert_eq!(kids, vec!["a", "b"]);
    let f = c.req(
        &mut h,
        Request::GetChildren2(GetChildren2Request {
            path: "/r".into(),
            watch: false,
        }),
    );
    let r: GetChildren2Response = decode(f.body());
    assert_eq!(r.stat.num_children, 2);
    let f = c.req(
        &mut h,
        Request::GetAllChildrenNumber(GetAllChildrenNumberRequest { path: "/r".into() }),
    );
    assert_eq!(
        decode::<GetAllChildrenNumberResponse>(f.body()).total_number,
        3
    );
    let f = c.req(
        &mut h,
        Request::GetAllChildrenNumber(GetAllChildrenNumberRequest { path: "/".into() }),
    );
    // /zookeeper, /zookeeper/quota, /zookeeper/config, /r and three below it.
    assert_eq!(
        decode::<GetAllChildrenNumberResponse>(f.body()).total_number,
        7
    );
    for req in [
        Request::GetChildren(GetChildrenRequest {
            path: "/none".into(),
            watch: true,
        }),
        Request::GetChildren2(GetChildren2Request {
            path: "/none".into(),
            watch: false,
        }),
        Request::GetData(GetDataRequest {
            path: "/none".into(),
            watch: true,
        }),
        Request::GetAllChildrenNumber(GetAllChildrenNumberRequest {
            path: "/none".into(),
        }),
        Request::GetAcl(GetAclRequest {
            path: "/none".into(),
        }),
        Request::Exists(ExistsRequest {
            path: "relative".into(),
            watch: false,
        }),
    ] {
        let d = format!("{req:?}");
        let f = c.req(&mut h, req);
        assert_eq!((f.err(), f.body().len()), (-101, 0), "{d}");
    }
    let f = c.req(
        &mut h,
        Request::Exists(ExistsRequest {
            path: "/a\0".into(),
            watch: false,
        }),
    );
    assert_eq!(f.err(), -8);
    // Reads never consume a zxid; their replies carry the last processed one.
    assert_eq!(f.zxid(), 5);
    assert_eq!(h.core.last_processed_zxid(), 5);
}

#[test]
fn get_ephemerals_prefix() {
    let (mut h, mut c) = h_and_client();
    let mut other = h.session();
    c.create_ok(&mut h, "/app", b"", 0);
    c.create_ok(&mut h, "/app/e1", b"", 1);
    c.create_ok(&mut h, "/app/e2", b"", 1);
    c.create_ok(&mut h, "/z", b"", 1);
    other.create_ok(&mut h, "/o", b"", 1);
    let get = |c: &mut Client, h: &mut Harness, p: &str| -> Vec<String> {
        let f = c.req(
            h,
            Request::GetEphemerals(GetEphemeralsRequest {
                prefix_path: p.into(),
            }),
        );
        let mut v = decode::<GetEphemeralsResponse>(f.body()).ephemerals;
        v.sort();
        v
    };
    assert_eq!(get(&mut c, &mut h, "/"), vec!["/app/e1", "/app/e2", "/z"]);
    assert_eq!(get(&mut c, &mut h, ""), vec!["/app/e1", "/app/e2", "/z"]);
    assert_eq!(
        get(&mut c, &mut h, "  / "),
        vec!["/app/e1", "/app/e2", "/z"]
    );
    assert_eq!(get(&mut c, &mut h, "/app"), vec!["/app/e1", "/app/e2"]);
    assert_eq!(get(&mut c, &mut h, "/app/e1"), vec!["/app/e1"]);
    assert_eq!(get(&mut c, &mut h, "/x"), Vec::<String>::new());
    assert_eq!(get(&mut other, &mut h, "/"), vec!["/o"]);
}

#[test]
fn sync_ping_whoami_sasl() {
    let (mut h, mut c) = h_and_client();
    let f = c.req(&mut h, Request::Sync(SyncRequest { path: "/x".into() }));
    assert_eq!(decode::<SyncResponse>(f.body()).path, "/x");
    // Ping: the reply xid is always -2.
    let frames = c.call_xid(&mut h, 77, Request::Ping);
    assert_eq!((frames[0].xid(), frames[0].zxid()), (-2, 1));
    let f = c.req(&mut h, Request::WhoAmI);
    let r: WhoAmIResponse = decode(f.body());
    assert_eq!(r.client_info.len(), 1);
    assert_eq!(
        (
            r.client_info[0].auth_scheme.as_str(),
            r.client_info[0].user.as_str()
        ),
        ("ip", "127.0.0.1")
    );
    // sasl without a SASL server: OK with a null token, zxid 0.
    let f = c.req(
        &mut h,
        Request::Sasl(GetSaslRequest {
            token: Some(Bytes::from_static(b"abc")),
        }),
    );
    assert_eq!((f.zxid(), f.err()), (0, 0));
    assert_eq!(hex(f.body()), "ffffffff");
}

#[test]
fn sasl_null_token_closes() {
    let (mut h, c) = h_and_client();
    h.send(c.conn, 1, &Request::Sasl(GetSaslRequest { token: None }));
    h.pump();
    assert!(h.take(c.conn).is_empty());
    assert!(h.is_closed(c.conn));
}

#[test]
fn reconfig_and_delete_container_from_clients() {
    let mut cfg = Harness::default_config();
    cfg.reconfig_enabled = true;
    let mut h = Harness::new(cfg);
    let mut c = h.session();
    let f = c.req(
        &mut h,
        Request::Reconfig(ReconfigRequest {
            joining_servers: Some("server.2=x:1:2;3".into()),
            leaving_servers: None,
            new_members: None,
            cur_config_id: -1,
        }),
    );
    assert_eq!((f.zxid(), f.err()), (2, -6));
    c.create_ok(&mut h, "/cont", b"", 0);
    let f = c.req(
        &mut h,
        Request::DeleteContainer(DeleteContainerRequest {
            path: "/cont".into(),
        }),
    );
    // The client's path is read from the whole packet, NUL bytes included: BADARGUMENTS.
    assert_eq!((f.zxid(), f.err()), (4, -8));
    assert!(h.core.tree().node("/cont").is_some());
}

#[test]
fn malformed_bodies() {
    let (mut h, mut c) = h_and_client();
    // A read with a short body: MARSHALLINGERROR, no zxid, connection stays.
    h.send_raw(c.conn, 1, OpCode::GetData.code(), &[0, 0]);
    h.pump();
    let f = h.take(c.conn).pop().unwrap();
    assert_eq!((f.xid(), f.zxid(), f.err()), (1, 1, -5));
    // A write with a short body: an ErrorTxn(-5) consumes a zxid.
    h.send_raw(c.conn, 2, OpCode::Create.code(), &[0, 0, 0]);
    h.pump();
    let f = h.take(c.conn).pop().unwrap();
    assert_eq!((f.xid(), f.zxid(), f.err()), (2, 2, -5));
    assert_eq!(h.last_txn().body, TxnBody::Error(ErrorTxn { err: -5 }));
    // reconfig with a bad body fails before its txn: no zxid.
    h.send_raw(c.conn, 3, OpCode::Reconfig.code(), &[1]);
    h.pump();
    let f = h.take(c.conn).pop().unwrap();
    assert_eq!((f.xid(), f.zxid(), f.err()), (3, 2, -5));
    // A bad auth packet closes the connection.
    h.send_raw(c.conn, -4, OpCode::Auth.code(), &[0]);
    h.pump();
    assert!(h.is_closed(c.conn));
    c.xid = 3;
}

#[test]
fn watcher_types_4_and_5_are_3_9_only() {
    let (mut h, mut c) = h_and_client();
    for t in [0, 4, 5] {
        let f = c.req(
            &mut h,
            Request::CheckWatches(CheckWatchesRequest {
                path: "/".into(),
                r#type: t,
            }),
        );
        assert_eq!(f.err(), -5, "type {t}");
        let f = c.req(
            &mut h,
            Request::RemoveWatches(RemoveWatchesRequest {
                path: "/".into(),
                r#type: t,
            }),
        );
        assert_eq!(f.err(), -5, "type {t}");
    }
    let f = c.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/".into(),
            mode: 2,
        }),
    );
    assert_eq!((f.err(), f.body().len()), (-5, 0));
}

#[test]
fn top_level_check() {
    let (mut h, mut c) = h_and_client();
    c.create_ok(&mut h, "/k", b"", 0);
    let chk = |v: i32| {
        Request::Check(CheckVersionRequest {
            path: "/k".into(),
            version: v,
        })
    };
    let f = c.req(&mut h, chk(0));
    assert_eq!((f.zxid(), f.err()), (3, 0));
    assert_eq!(decode::<SetDataResponse>(f.body()).stat.czxid, 2);
    assert_eq!(
        h.last_txn().body,
        TxnBody::Check(CheckVersionTxn {
            path: "/k".into(),
            version: 1
        })
    );
    assert_eq!(c.req(&mut h, chk(5)).err(), -103);
    let f = c.req(
        &mut h,
        Request::Check(CheckVersionRequest {
            path: "/nope".into(),
            version: -1,
        }),
    );
    assert_eq!((f.zxid(), f.err()), (5, -101));
}

fn reconfig_req(joining: Option<&str>, leaving: Option<&str>, version: i64) -> Request {
    Request::Reconfig(ReconfigRequest {
        joining_servers: joining.map(str::to_owned),
        leaving_servers: leaving.map(str::to_owned),
        new_members: None,
        cur_config_id: version,
    })
}

/// A leader's view of three members at version 0x100000000, `synced` in sync.
fn leader_view(synced: &[u64]) -> zkrs_session::QuorumView {
    let verifier = zkrs_config::QuorumVerifier::parse(
        "server.1=127.0.0.1:2888:3888;2181\nserver.2=127.0.0.2:2888:3888;2181\n\
         server.3=127.0.0.3:2888:3888;2181\nversion=100000000",
        "view",
        false,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    zkrs_session::QuorumView {
        last_seen_version: verifier.version(),
        verifier,
        synced: synced.iter().copied().collect(),
        standalone_enabled: true,
        multi_address_enabled: false,
        oracle_path: None,
    }
}

#[test]
fn reconfig_on_a_leader() {
    let mut cfg = Harness::default_config();
    cfg.reconfig_enabled = true;
    cfg.skip_acl = true;
    let mut h = Harness::new(cfg);
    h.core.set_quorum_view(Some(leader_view(&[1, 2, 3])));
    let mut c = h.session();
    // Add server 4: the new config (version = this txn's zxid) as SetDataTxn version -1.
    let f = c.req(
        &mut h,
        reconfig_req(Some("server.4=127.0.0.4:2888:3888;2181"), None, -1),
    );
    assert_eq!((f.zxid(), f.err()), (2, 0));
    let r: GetDataResponse = decode(f.body());
    let text = String::from_utf8(r.data.unwrap_or_default().to_vec()).unwrap_or_default();
    assert!(text.contains("server.4=127.0.0.4:2888:3888:participant;0.0.0.0:2181\n"));
    assert!(text.ends_with("\nversion=2"), "{text}");
    assert_eq!((r.stat.version, r.stat.mzxid), (-1, 2));
    let txn = h.last_txn().clone();
    assert_eq!(txn.header.r#type, OpCode::Reconfig.code());
    // `/zookeeper/` is not digested: the txn carries the tree's digest, and the next txn's
    // digest (prepared on top of the reconfig's record) is right too.
    assert_eq!(
        txn.digest.map(|d| d.tree_digest),
        Some(h.core.tree().digest())
    );
    c.create_ok(&mut h, "/after", b"x", 0);
    assert_eq!(
        h.last_txn().digest.as_ref().map(|d| d.tree_digest),
        Some(h.core.tree().digest())
    );
    let node = h
        .core
        .tree()
        .node("/zookeeper/config")
        .map(|n| n.stat.version);
    assert_eq!(node, Some(-1));
}

#[test]
fn reconfig_refusals_take_a_zxid() {
    let mut cfg = Harness::default_config();
    cfg.reconfig_enabled = true;
    let mut h = Harness::new(cfg);
    h.core.set_quorum_view(Some(leader_view(&[1, 2, 3])));
    let mut c = h.session();
    let four = Some("server.4=127.0.0.4:2888:3888;2181");
    let cases: Vec<(Request, i32)> = vec![
        // -v that is not the last seen version.
        (reconfig_req(four, None, 5), -103),
        // A joiner without a client port.
        (
            reconfig_req(Some("server.4=127.0.0.4:2888:3888"), None, -1),
            -8,
        ),
        // A server id that is not a number (Long.parseLong throws): MARSHALLINGERROR.
        (reconfig_req(None, Some("two"), -1), -5),
        // Fewer than 2 voters with standaloneEnabled.
        (reconfig_req(None, Some("2,3"), -1), -8),
        // Neither super user nor skipACL: the ACL check comes last.
        (reconfig_req(four, None, -1), -102),
    ];
    let mut zxid = 1;
    for (req, err) in cases {
        let f = c.req(&mut h, req);
        zxid += 1;
        assert_eq!((f.zxid(), f.err()), (zxid, err));
    }
    // A new configuration whose quorum is not synced (2 of 4): NEWCONFIGNOQUORUM.
    h.core.set_quorum_view(Some(leader_view(&[1, 2])));
    let f = c.req(&mut h, reconfig_req(four, None, -1));
    assert_eq!(f.err(), -13);
    // A reconfig in progress (last seen newer than current): RECONFIGINPROGRESS.
    let mut view = leader_view(&[1, 2, 3]);
    view.last_seen_version += 1;
    h.core.set_quorum_view(Some(view));
    let f = c.req(&mut h, reconfig_req(four, None, -1));
    assert_eq!(f.err(), -14);
    // Not a serving leader: UNIMPLEMENTED, as standalone.
    h.core.set_quorum_view(None);
    let f = c.req(&mut h, reconfig_req(four, None, -1));
    assert_eq!(f.err(), -6);
}
