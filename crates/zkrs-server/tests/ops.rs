//! Every client opcode, end to end over real TCP through the shell and the core: replies,
//! error codes (as ZooKeeper 3.8.0 gives them, `captures/probe_out.txt`), watches, ACLs, auth,
//! sessions.

mod common;

use anyhow::Result;
use bytes::Bytes;
use common::{connect_request, is_closed_by_server, Client, Reply};
use zkrs_jute::{
    perms, Acl, AddWatchRequest, AuthPacket, CheckVersionRequest, CheckWatchesRequest,
    ConnectRequest, Create2Response, CreateRequest, CreateResponse, CreateTtlRequest,
    DeleteRequest, EventType, ExistsRequest, ExistsResponse, GetAclRequest, GetAclResponse,
    GetAllChildrenNumberRequest, GetAllChildrenNumberResponse, GetChildren2Request,
    GetChildren2Response, GetChildrenRequest, GetChildrenResponse, GetDataRequest, GetDataResponse,
    GetEphemeralsRequest, GetEphemeralsResponse, Id, MultiOp, MultiRequest, MultiResponse,
    MultiResult, RemoveWatchesRequest, Request, SetAclRequest, SetDataRequest, SetDataResponse,
    SetWatches, SyncRequest, SyncResponse, WhoAmIResponse,
};

const OK: i32 = 0;
const UNIMPLEMENTED: i32 = -6;
const BAD_ARGUMENTS: i32 = -8;
const NO_NODE: i32 = -101;
const NO_AUTH: i32 = -102;
const BAD_VERSION: i32 = -103;
const NO_CHILDREN_FOR_EPHEMERALS: i32 = -108;
const NODE_EXISTS: i32 = -110;
const NOT_EMPTY: i32 = -111;
const INVALID_ACL: i32 = -114;
const AUTH_FAILED: i32 = -115;
const NO_WATCHER: i32 = -121;
const RUNTIME_INCONSISTENCY: i32 = -2;

/// `digest` id of `user:password` (captures/V.java).
const USER_DIGEST: &str = "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=";

fn create_req(path: &str, data: &[u8], flags: i32) -> CreateRequest {
    CreateRequest {
        path: path.to_string(),
        data: Some(Bytes::copy_from_slice(data)),
        acl: perms::open_acl_unsafe(),
        flags,
    }
}

async fn create(c: &mut Client, path: &str, data: &[u8], flags: i32) -> Result<Reply> {
    c.call(Request::Create(create_req(path, data, flags))).await
}

async fn get_data(c: &mut Client, path: &str, watch: bool) -> Result<Reply> {
    c.call(Request::GetData(GetDataRequest {
        path: path.to_string(),
        watch,
    }))
    .await
}

async fn set_data(c: &mut Client, path: &str, data: &[u8], version: i32) -> Result<Reply> {
    c.call(Request::SetData(SetDataRequest {
        path: path.to_string(),
        data: Some(Bytes::copy_from_slice(data)),
        version,
    }))
    .await
}

async fn exists(c: &mut Client, path: &str, watch: bool) -> Result<Reply> {
    c.call(Request::Exists(ExistsRequest {
        path: path.to_string(),
        watch,
    }))
    .await
}

async fn delete(c: &mut Client, path: &str, version: i32) -> Result<Reply> {
    c.call(Request::Delete(DeleteRequest {
        path: path.to_string(),
        version,
    }))
    .await
}

fn err(r: &Reply) -> i32 {
    r.header.err
}

#[tokio::test]
async fn create_get_set_delete() -> Result<()> {
    let server = common::start().await;
    let mut c = Client::connect(server.local_addr()).await?;
    let r = create(&mut c, "/a", b"hello", 0).await?;
    assert_eq!(err(&r), OK);
    assert_eq!(r.decode::<CreateResponse>()?.path, "/a");
    let create_zxid = r.header.zxid;
    assert!(create_zxid > 0);

    let r = get_data(&mut c, "/a", false).await?;
    assert_eq!(err(&r), OK);
    let got = r.decode::<GetDataResponse>()?;
    assert_eq!(got.data.as_deref(), Some(&b"hello"[..]));
    assert_eq!(got.stat.version, 0);
    assert_eq!(got.stat.czxid, create_zxid);
    assert_eq!(got.stat.data_length, 5);

    let r = set_data(&mut c, "/a", b"world", 0).await?;
    assert_eq!(err(&r), OK);
    assert_eq!(r.decode::<SetDataResponse>()?.stat.version, 1);
    assert_eq!(err(&set_data(&mut c, "/a", b"x", 0).await?), BAD_VERSION);
    assert_eq!(
        err(&set_data(&mut c, "/nonexist", b"x", -1).await?),
        NO_NODE
    );

    let r = exists(&mut c, "/a", false).await?;
    assert_eq!(err(&r), OK);
    assert_eq!(r.decode::<ExistsResponse>()?.stat.version, 1);

    assert_eq!(err(&delete(&mut c, "/a", 0).await?), BAD_VERSION);
    assert_eq!(err(&delete(&mut c, "/a", 1).await?), OK);
    assert_eq!(err(&get_data(&mut c, "/a", false).await?), NO_NODE);
    assert_eq!(err(&exists(&mut c, "/a", false).await?), NO_NODE);
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn create_errors_match_zookeeper() -> Result<()> {
    let server = common::start().await;
    let mut c = Client::connect(server.local_addr()).await?;
    assert_eq!(err(&create(&mut c, "/a", b"", 0).await?), OK);
    assert_eq!(err(&create(&mut c, "/a", b"", 0).await?), NODE_EXISTS);
    assert_eq!(err(&create(&mut c, "/nop/q", b"", 0).await?), NO_NODE);
    assert_eq!(err(&create(&mut c, "/a/b", b"", 0).await?), OK);
    assert_eq!(err(&delete(&mut c, "/a", -1).await?), NOT_EMPTY);
    assert_eq!(err(&create(&mut c, "/e1", b"", 1).await?), OK);
    assert_eq!(
        err(&create(&mut c, "/e1/c", b"", 0).await?),
        NO_CHILDREN_FOR_EPHEMERALS
    );
    assert_eq!(err(&create(&mut c, "/q", b"", 7).await?), BAD_ARGUMENTS);
    let empty_acl = CreateRequest {
        acl: Vec::new(),
        ..create_req("/q", b"", 0)
    };
    assert_eq!(err(&c.call(Request::Create(empty_acl)).await?), INVALID_ACL);
    assert_eq!(err(&delete(&mut c, "/zookeeper", -1).await?), BAD_ARGUMENTS);
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn create2_sequential_container_and_children() -> Result<()> {
    let server = common::start().await;
    let mut c = Client::connect(server.local_addr()).await?;
    assert_eq!(err(&create(&mut c, "/a", b"", 0).await?), OK);
    let r = c
        .call(Request::Create2(create_req("/a/seq-", b"1", 2)))
        .await?;
    assert_eq!(err(&r), OK);
    let created = r.decode::<Create2Response>()?;
    assert_eq!(created.path, "/a/seq-0000000000");
    assert_eq!(created.stat.data_length, 1);
    let r = c
        .call(Request::Create2(create_req("/a/seq-", b"2", 2)))
        .await?;
    assert_eq!(r.decode::<Create2Response>()?.path, "/a/seq-0000000001");

    let r = c
        .call(Request::CreateContainer(create_req("/cont", b"", 4)))
        .await?;
    assert_eq!(err(&r), OK);

    let r = c
        .call(Request::GetChildren(GetChildrenRequest {
            path: "/a".to_string(),
            watch: false,
        }))
        .await?;
    let mut children = r.decode::<GetChildrenResponse>()?.children;
    children.sort();
    assert_eq!(children, ["seq-0000000000", "seq-0000000001"]);

    let r = c
        .call(Request::GetChildren2(GetChildren2Request {
            path: "/a".to_string(),
            watch: false,
        }))
        .await?;
    let got = r.decode::<GetChildren2Response>()?;
    assert_eq!(got.children.len(), 2);
    assert_eq!(got.stat.num_children, 2);
    assert_eq!(got.stat.cversion, 2);

    let r = c
        .call(Request::GetAllChildrenNumber(GetAllChildrenNumberRequest {
            path: "/a".to_string(),
        }))
        .await?;
    assert_eq!(r.decode::<GetAllChildrenNumberResponse>()?.total_number, 2);

    let r = c
        .call(Request::Sync(SyncRequest {
            path: "/a".to_string(),
        }))
        .await?;
    assert_eq!(err(&r), OK);
    assert_eq!(r.decode::<SyncResponse>()?.path, "/a");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn ttl_nodes_need_extended_types() -> Result<()> {
    let ttl = |path: &str| {
        Request::CreateTtl(CreateTtlRequest {
            path: path.to_string(),
            data: Some(Bytes::from_static(b"t")),
            acl: perms::open_acl_unsafe(),
            flags: 5,
            ttl: 60_000,
        })
    };
    let plain = common::start().await;
    let mut c = Client::connect(plain.local_addr()).await?;
    assert_eq!(err(&c.call(ttl("/ttl")).await?), UNIMPLEMENTED);
    plain.stop().await?;

    let extended = common::start_with(|cfg| cfg.core.extended_types_enabled = true).await;
    let mut c = Client::connect(extended.local_addr()).await?;
    let r = c.call(ttl("/ttl")).await?;
    assert_eq!(err(&r), OK);
    assert_eq!(r.decode::<Create2Response>()?.path, "/ttl");
    extended.stop().await?;
    Ok(())
}

#[tokio::test]
async fn multi_commits_or_rolls_back() -> Result<()> {
    let server = common::start().await;
    let mut c = Client::connect(server.local_addr()).await?;
    assert_eq!(err(&create(&mut c, "/a", b"v", 0).await?), OK);

    let failing = MultiRequest {
        ops: vec![
            MultiOp::Check(CheckVersionRequest {
                path: "/a".to_string(),
                version: 0,
            }),
            MultiOp::Create(create_req("/m1", b"", 0)),
            MultiOp::Delete(DeleteRequest {
                path: "/nonexist".to_string(),
                version: -1,
            }),
            MultiOp::SetData(SetDataRequest {
                path: "/a".to_string(),
                data: Some(Bytes::from_static(b"x")),
                version: -1,
            }),
        ],
    };
    let r = c.call(Request::Multi(failing)).await?;
    assert_eq!(err(&r), OK);
    assert_eq!(
        r.decode::<MultiResponse>()?.results,
        [
            MultiResult::Error(OK),
            MultiResult::Error(OK),
            MultiResult::Error(NO_NODE),
            MultiResult::Error(RUNTIME_INCONSISTENCY),
        ]
    );
    assert_eq!(err(&exists(&mut c, "/m1", false).await?), NO_NODE);

    let ok = MultiRequest {
        ops: vec![
            MultiOp::Check(CheckVersionRequest {
                path: "/a".to_string(),
                version: 0,
            }),
            MultiOp::Create2(create_req("/m2", b"", 0)),
            MultiOp::SetData(SetDataRequest {
                path: "/a".to_string(),
                data: Some(Bytes::from_static(b"z")),
                version: 0,
            }),
        ],
    };
    let r = c.call(Request::Multi(ok)).await?;
    let results = r.decode::<MultiResponse>()?.results;
    assert_eq!(results.len(), 3);
    assert_eq!(results[0], MultiResult::Check);
    assert!(
        matches!(&results[1], MultiResult::Create(x) if x.path == "/m2")
            || matches!(&results[1], MultiResult::Create2(x) if x.path == "/m2")
    );
    assert!(matches!(&results[2], MultiResult::SetData(x) if x.stat.version == 1));

    let read = MultiRequest {
        ops: vec![
            MultiOp::GetData(GetDataRequest {
                path: "/a".to_string(),
                watch: false,
            }),
            MultiOp::GetChildren(GetChildrenRequest {
                path: "/nonexist".to_string(),
                watch: false,
            }),
        ],
    };
    let r = c.call(Request::MultiRead(read)).await?;
    let results = r.decode::<MultiResponse>()?.results;
    assert!(matches!(&results[0], MultiResult::GetData(d) if d.data.as_deref() == Some(&b"z"[..])));
    assert_eq!(results[1], MultiResult::Error(NO_NODE));
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn data_child_and_exists_watches_fire() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let mut watcher = Client::connect(addr).await?;
    let mut writer = Client::connect(addr).await?;
    assert_eq!(err(&create(&mut writer, "/w", b"0", 0).await?), OK);

    assert_eq!(err(&get_data(&mut watcher, "/w", true).await?), OK);
    assert_eq!(err(&exists(&mut watcher, "/w/new", true).await?), NO_NODE);
    let r = watcher
        .call(Request::GetChildren(GetChildrenRequest {
            path: "/w".to_string(),
            watch: true,
        }))
        .await?;
    assert_eq!(err(&r), OK);
    let wchs = common::four_letter(addr, "wchs").await?;
    assert!(
        wchs.starts_with("1 connections watching 2 paths\n"),
        "{wchs}"
    );

    assert_eq!(err(&set_data(&mut writer, "/w", b"1", -1).await?), OK);
    let e = watcher.next_event().await?;
    assert_eq!(
        (e.r#type, e.state, e.path.as_str()),
        (EventType::NodeDataChanged as i32, 3, "/w")
    );

    assert_eq!(err(&create(&mut writer, "/w/new", b"", 0).await?), OK);
    let mut events = [watcher.next_event().await?, watcher.next_event().await?];
    events.sort_by_key(|e| e.r#type);
    assert_eq!(events[0].r#type, EventType::NodeCreated as i32);
    assert_eq!(events[0].path, "/w/new");
    assert_eq!(events[1].r#type, EventType::NodeChildrenChanged as i32);
    assert_eq!(events[1].path, "/w");

    // One-shot: a second change fires nothing; a new watch fires on delete.
    assert_eq!(err(&exists(&mut watcher, "/w/new", true).await?), OK);
    assert_eq!(err(&delete(&mut writer, "/w/new", -1).await?), OK);
    let e = watcher.next_event().await?;
    assert_eq!(
        (e.r#type, e.path.as_str()),
        (EventType::NodeDeleted as i32, "/w/new")
    );
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn own_notification_comes_before_the_reply() -> Result<()> {
    let server = common::start().await;
    let mut c = Client::connect(server.local_addr()).await?;
    assert_eq!(err(&create(&mut c, "/n", b"", 0).await?), OK);
    assert_eq!(err(&get_data(&mut c, "/n", true).await?), OK);
    assert_eq!(err(&set_data(&mut c, "/n", b"x", -1).await?), OK);
    // `reply_to` queued the notification it read before the reply.
    let e = c.events.pop_front().expect("notification before the reply");
    assert_eq!(
        (e.r#type, e.path.as_str()),
        (EventType::NodeDataChanged as i32, "/n")
    );
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn persistent_recursive_watch_and_watch_removal() -> Result<()> {
    let server = common::start().await;
    let mut c = Client::connect(server.local_addr()).await?;
    assert_eq!(err(&create(&mut c, "/r", b"", 0).await?), OK);
    let r = c
        .call(Request::AddWatch(AddWatchRequest {
            path: "/r".to_string(),
            mode: 1,
        }))
        .await?;
    assert_eq!(err(&r), OK);
    assert_eq!(err(&create(&mut c, "/r/child", b"", 0).await?), OK);
    let e = c.events.pop_front().expect("recursive watch fired");
    assert_eq!(
        (e.r#type, e.path.as_str()),
        (EventType::NodeCreated as i32, "/r/child")
    );
    // Still armed.
    assert_eq!(err(&set_data(&mut c, "/r/child", b"x", -1).await?), OK);
    let e = c.events.pop_front().expect("fires again");
    assert_eq!(e.r#type, EventType::NodeDataChanged as i32);

    let r = c
        .call(Request::CheckWatches(CheckWatchesRequest {
            path: "/zzz".to_string(),
            r#type: 2,
        }))
        .await?;
    assert_eq!(err(&r), NO_WATCHER);
    let r = c
        .call(Request::RemoveWatches(RemoveWatchesRequest {
            path: "/zzz".to_string(),
            r#type: 2,
        }))
        .await?;
    assert_eq!(err(&r), NO_WATCHER);
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn acl_and_digest_auth() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let mut owner = Client::connect(addr).await?;
    let r = owner
        .call(Request::Auth(AuthPacket {
            r#type: 0,
            scheme: "digest".to_string(),
            auth: Bytes::from_static(b"user:password"),
        }))
        .await?;
    assert_eq!(err(&r), OK);
    let digest_acl = vec![Acl {
        perms: perms::ALL,
        id: Id::new("digest", USER_DIGEST),
    }];
    let secret = CreateRequest {
        acl: digest_acl.clone(),
        ..create_req("/secret", b"s", 0)
    };
    assert_eq!(err(&owner.call(Request::Create(secret)).await?), OK);
    let r = owner
        .call(Request::GetAcl(GetAclRequest {
            path: "/secret".to_string(),
        }))
        .await?;
    assert_eq!(r.decode::<GetAclResponse>()?.acl, digest_acl);
    assert_eq!(err(&get_data(&mut owner, "/secret", false).await?), OK);

    // `auth` ACL: expands to the creator's identities.
    let auth_acl = CreateRequest {
        acl: perms::creator_all_acl(),
        ..create_req("/authacl", b"", 0)
    };
    assert_eq!(err(&owner.call(Request::Create(auth_acl)).await?), OK);

    let r = owner.call(Request::WhoAmI).await?;
    let who = r.decode::<WhoAmIResponse>()?.client_info;
    assert!(who
        .iter()
        .any(|i| i.auth_scheme == "digest" && i.user == "user"));

    let mut stranger = Client::connect(addr).await?;
    assert_eq!(
        err(&get_data(&mut stranger, "/secret", false).await?),
        NO_AUTH
    );
    assert_eq!(
        err(&set_data(&mut stranger, "/secret", b"x", -1).await?),
        NO_AUTH
    );
    let r = stranger
        .call(Request::SetAcl(SetAclRequest {
            path: "/secret".to_string(),
            acl: perms::open_acl_unsafe(),
            version: -1,
        }))
        .await?;
    assert_eq!(err(&r), NO_AUTH);
    let unauth_acl = CreateRequest {
        acl: perms::creator_all_acl(),
        ..create_req("/q", b"", 0)
    };
    assert_eq!(
        err(&stranger.call(Request::Create(unauth_acl)).await?),
        INVALID_ACL
    );

    // The owner may open it up again.
    let r = owner
        .call(Request::SetAcl(SetAclRequest {
            path: "/secret".to_string(),
            acl: perms::open_acl_unsafe(),
            version: 0,
        }))
        .await?;
    assert_eq!(err(&r), OK);
    assert_eq!(err(&get_data(&mut stranger, "/secret", false).await?), OK);
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn failed_auth_replies_then_closes() -> Result<()> {
    let server = common::start().await;
    let mut c = Client::connect(server.local_addr()).await?;
    let r = c
        .call(Request::Auth(AuthPacket {
            r#type: 0,
            scheme: "nosuchscheme".to_string(),
            auth: Bytes::from_static(b"x"),
        }))
        .await?;
    assert_eq!(err(&r), AUTH_FAILED);
    assert!(is_closed_by_server(&mut c.stream).await);
    let mntr = common::four_letter(server.local_addr(), "mntr").await?;
    assert!(mntr.contains("\nzk_auth_failed_count\t1\n"), "{mntr}");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn unknown_opcode_is_unimplemented_and_closes() -> Result<()> {
    let server = common::start().await;
    let mut bystander = Client::connect(server.local_addr()).await?;
    let mut c = Client::connect(server.local_addr()).await?;
    c.send_with_xid(19, 999, &Request::WhoAmI).await?;
    let r = c.reply_to(19).await?;
    assert_eq!(err(&r), UNIMPLEMENTED);
    assert!(is_closed_by_server(&mut c.stream).await);
    bystander.ping().await?;
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn ephemerals_go_with_their_session() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let mut owner = Client::connect(addr).await?;
    let mut other = Client::connect(addr).await?;
    assert_eq!(err(&create(&mut owner, "/eph", b"", 1).await?), OK);
    let r = get_data(&mut other, "/eph", false).await?;
    assert_eq!(
        r.decode::<GetDataResponse>()?.stat.ephemeral_owner,
        owner.session_id()
    );
    let r = owner
        .call(Request::GetEphemerals(GetEphemeralsRequest {
            prefix_path: "/".to_string(),
        }))
        .await?;
    assert_eq!(r.decode::<GetEphemeralsResponse>()?.ephemerals, ["/eph"]);
    let dump = common::four_letter(addr, "dump").await?;
    assert!(
        dump.contains(&format!("0x{:x}:\n\t/eph\n", owner.session_id())),
        "{dump}"
    );
    assert_eq!(err(&exists(&mut other, "/eph", true).await?), OK);
    owner.close_session().await?;
    let e = other.next_event().await?;
    assert_eq!(
        (e.r#type, e.path.as_str()),
        (EventType::NodeDeleted as i32, "/eph")
    );
    assert_eq!(err(&exists(&mut other, "/eph", false).await?), NO_NODE);
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn reconnect_keeps_the_session_and_set_watches() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let mut first = Client::connect(addr).await?;
    assert_eq!(err(&create(&mut first, "/s", b"", 0).await?), OK);
    let eph = create(&mut first, "/s-eph", b"", 1).await?;
    assert_eq!(err(&eph), OK);
    let seen_zxid = eph.header.zxid;
    let session = first.session_id();
    let passwd = first.response.passwd.clone();
    drop(first);

    let resume = ConnectRequest {
        last_zxid_seen: seen_zxid,
        session_id: session,
        passwd: passwd.clone(),
        ..connect_request(30_000)
    };
    let mut again = Client::connect_with(addr, resume).await?;
    assert_eq!(again.session_id(), session);
    assert_eq!(again.response.passwd, passwd);
    // The ephemeral survived the disconnect.
    assert_eq!(err(&exists(&mut again, "/s-eph", false).await?), OK);
    // A watch re-registered with setWatches fires for a later change.
    let r = again
        .call(Request::SetWatches(SetWatches {
            relative_zxid: seen_zxid,
            data_watches: vec!["/s".to_string()],
            exist_watches: Vec::new(),
            child_watches: Vec::new(),
        }))
        .await?;
    assert_eq!(err(&r), OK);
    let mut writer = Client::connect(addr).await?;
    assert_eq!(err(&set_data(&mut writer, "/s", b"x", -1).await?), OK);
    let e = again.next_event().await?;
    assert_eq!(
        (e.r#type, e.path.as_str()),
        (EventType::NodeDataChanged as i32, "/s")
    );

    // A wrong password gets the zero response and a close.
    let bad = ConnectRequest {
        session_id: session,
        passwd: Bytes::from(vec![1u8; 16]),
        ..connect_request(30_000)
    };
    let mut refused = Client::connect_with(addr, bad).await?;
    assert_eq!(refused.session_id(), 0);
    assert_eq!(refused.response.time_out, 0);
    assert!(is_closed_by_server(&mut refused.stream).await);
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn idle_session_expires_and_its_ephemerals_go() -> Result<()> {
    let server = common::start_with(|c| {
        c.core.tick_time_ms = 100;
        c.core.min_session_timeout_ms = 200;
        c.core.max_session_timeout_ms = 2000;
    })
    .await;
    let addr = server.local_addr();
    let mut doomed = Client::connect_with(addr, connect_request(200)).await?;
    assert_eq!(doomed.response.time_out, 200);
    assert_eq!(err(&create(&mut doomed, "/gone", b"", 1).await?), OK);
    let mut watcher = Client::connect_with(addr, connect_request(2000)).await?;
    assert_eq!(err(&exists(&mut watcher, "/gone", true).await?), OK);
    // No pings: the session expires, its connection is closed, its ephemeral deleted.
    assert!(is_closed_by_server(&mut doomed.stream).await);
    let e = watcher.next_event().await?;
    assert_eq!(
        (e.r#type, e.path.as_str()),
        (EventType::NodeDeleted as i32, "/gone")
    );
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn requests_on_one_connection_are_answered_in_order() -> Result<()> {
    let server = common::start().await;
    let mut c = Client::connect(server.local_addr()).await?;
    // Pipeline writes and reads without waiting; replies must come back in xid order.
    let mut xids = Vec::new();
    for i in 0..100 {
        let path = format!("/p{i}");
        xids.push(c.send(&Request::Create(create_req(&path, b"", 0))).await?);
        xids.push(
            c.send(&Request::Exists(ExistsRequest { path, watch: false }))
                .await?,
        );
    }
    for xid in xids {
        assert_eq!(err(&c.reply_to(xid).await?), OK);
    }
    let srvr = common::four_letter(server.local_addr(), "srvr").await?;
    assert!(srvr.contains("\nNode count: 105\n"), "{srvr}");
    server.stop().await?;
    Ok(())
}

#[tokio::test]
async fn four_letter_words_report_the_tree() -> Result<()> {
    let server = common::start().await;
    let addr = server.local_addr();
    let mut c = Client::connect(addr).await?;
    assert_eq!(err(&create(&mut c, "/a", b"abc", 0).await?), OK);
    assert_eq!(err(&create(&mut c, "/e", b"", 1).await?), OK);
    assert_eq!(err(&get_data(&mut c, "/a", true).await?), OK);
    let sid = format!("0x{:x}", c.session_id());

    assert_eq!(
        common::four_letter(addr, "wchs").await?,
        "1 connections watching 1 paths\nTotal watches:1\n"
    );
    assert_eq!(
        common::four_letter(addr, "wchc").await?,
        format!("{sid}\n\t/a\n\n")
    );
    assert_eq!(
        common::four_letter(addr, "wchp").await?,
        format!("/a\n\t{sid}\n\n")
    );
    let srvr = common::four_letter(addr, "srvr").await?;
    // 5 for an empty tree (the root is counted twice), plus /a and /e.
    assert!(srvr.contains("\nNode count: 7\n"), "{srvr}");
    let mntr = common::four_letter(addr, "mntr").await?;
    for line in [
        "zk_znode_count\t7",
        "zk_watch_count\t1",
        "zk_ephemerals_count\t1",
        "zk_global_sessions\t1",
    ] {
        assert!(mntr.contains(&format!("\n{line}\n")), "{line} in {mntr}");
    }
    let cons = common::four_letter(addr, "cons").await?;
    assert!(cons.contains(",lop=GETD,"), "{cons}");
    assert!(cons.contains(",lcxid=0x3,"), "{cons}");
    let dump = common::four_letter(addr, "dump").await?;
    assert!(dump.contains("Sessions with Ephemerals (1):\n"), "{dump}");
    assert!(dump.contains(&format!("\t{sid}\n")), "{dump}");
    server.stop().await?;
    Ok(())
}
