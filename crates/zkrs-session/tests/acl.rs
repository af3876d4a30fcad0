//! ACL schemes end to end: world, digest, ip with CIDR masks, auth expansion, super, skipACL,
//! getACL redaction, auth failures.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;

const USER_DIGEST: &str = "user:tpUq/4Pn5A64fVZyQ0gOJ8ZWqkY=";

fn auth(h: &mut Harness, c: &mut Client, scheme: &str, data: &str) -> Frame {
    let mut f = c.call_xid(
        h,
        -4,
        Request::Auth(AuthPacket {
            r#type: 0,
            scheme: scheme.into(),
            auth: Bytes::copy_from_slice(data.as_bytes()),
        }),
    );
    assert_eq!(f.len(), 1, "{f:?}");
    f.pop().unwrap()
}

fn create_with(c: &mut Client, h: &mut Harness, path: &str, acl: Vec<Acl>) -> Frame {
    c.req(
        h,
        Request::Create(CreateRequest {
            path: path.into(),
            data: Some(Bytes::from_static(b"d")),
            acl,
            flags: 0,
        }),
    )
}

fn get_data_err(c: &mut Client, h: &mut Harness, path: &str) -> i32 {
    c.req(
        h,
        Request::GetData(GetDataRequest {
            path: path.into(),
            watch: true,
        }),
    )
    .err()
}

#[test]
fn digest_acl() {
    let mut h = Harness::new(Harness::default_config());
    let mut owner = h.session();
    let mut other = h.session();
    assert_eq!(auth(&mut h, &mut owner, "digest", "user:password").err(), 0);
    let f = create_with(
        &mut owner,
        &mut h,
        "/d",
        vec![Acl::new(perms::ALL, "digest", USER_DIGEST)],
    );
    assert_eq!(f.err(), 0);
    assert_eq!(get_data_err(&mut owner, &mut h, "/d"), 0);
    assert_eq!(get_data_err(&mut other, &mut h, "/d"), -102);
    // No watch was left by the refused getData.
    let watchers = h
        .core
        .watch_summary()
        .by_path
        .get("/d")
        .cloned()
        .unwrap_or_default();
    assert!(!watchers.contains(&other.conn));
    // exists does not check READ in 3.8.0.
    let f = other.req(
        &mut h,
        Request::Exists(ExistsRequest {
            path: "/d".into(),
            watch: false,
        }),
    );
    assert_eq!(f.err(), 0);
    for req in [
        Request::SetData(SetDataRequest {
            path: "/d".into(),
            data: None,
            version: -1,
        }),
        Request::Create(create_req("/d/c", b"", 0)),
        Request::SetAcl(SetAclRequest {
            path: "/d".into(),
            acl: open_acl(),
            version: -1,
        }),
        Request::GetChildren(GetChildrenRequest {
            path: "/d".into(),
            watch: false,
        }),
    ] {
        let d = format!("{req:?}");
        assert_eq!(other.req(&mut h, req).err(), -102, "{d}");
    }
    // getACL needs READ or ADMIN.
    let f = other.req(&mut h, Request::GetAcl(GetAclRequest { path: "/d".into() }));
    assert_eq!(f.err(), -102);
    // A wrong password is a different identity.
    assert_eq!(auth(&mut h, &mut other, "digest", "user:wrong").err(), 0);
    assert_eq!(get_data_err(&mut other, &mut h, "/d"), -102);
    assert_eq!(auth(&mut h, &mut other, "digest", "user:password").err(), 0);
    assert_eq!(get_data_err(&mut other, &mut h, "/d"), 0);
}

#[test]
fn get_acl_redacts_without_admin() {
    let mut h = Harness::new(Harness::default_config());
    let mut owner = h.session();
    let mut reader = h.session();
    auth(&mut h, &mut owner, "digest", "user:password");
    create_with(
        &mut owner,
        &mut h,
        "/r",
        vec![
            Acl::new(perms::ALL, "digest", USER_DIGEST),
            Acl::new(perms::READ, "world", "anyone"),
        ],
    );
    let f = reader.req(&mut h, Request::GetAcl(GetAclRequest { path: "/r".into() }));
    let r: GetAclResponse = decode(f.body());
    assert_eq!(r.acl[0].id.id, "user:x");
    assert_eq!(r.acl[1].id.id, "anyone");
    let f = owner.req(&mut h, Request::GetAcl(GetAclRequest { path: "/r".into() }));
    let r: GetAclResponse = decode(f.body());
    assert_eq!(r.acl[0].id.id, USER_DIGEST);
}

#[test]
fn auth_scheme_expands_to_digest_ids_only() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    // Only an ip identity: `auth` cannot expand.
    let f = create_with(&mut c, &mut h, "/a", vec![Acl::new(31, "auth", "")]);
    assert_eq!(f.err(), -114);
    auth(&mut h, &mut c, "digest", "user:password");
    auth(&mut h, &mut c, "digest", "bob:bob");
    let f = create_with(&mut c, &mut h, "/a", vec![Acl::new(31, "auth", "whatever")]);
    assert_eq!(f.err(), 0);
    let acl = match &h.last_txn().body {
        TxnBody::Create(t) => t.acl.clone(),
        b => panic!("{b:?}"),
    };
    let mut ids: Vec<&str> = acl.iter().map(|a| a.id.id.as_str()).collect();
    ids.sort();
    assert_eq!(ids, vec!["bob:X1SKGw3XQQSIPMZRf5lW7e07VPY=", USER_DIGEST]);
    assert!(acl.iter().all(|a| a.id.scheme == "digest"));
}

#[test]
fn ip_acls_with_masks() {
    let mut h = Harness::new(Harness::default_config());
    let mut local = h.session_from("127.0.0.1:1000", 30000);
    let mut lan = h.session_from("10.1.2.3:1000", 30000);
    let mut v6 = h.session_from("[::1]:1000", 30000);
    create_with(
        &mut local,
        &mut h,
        "/ip8",
        vec![Acl::new(perms::ALL, "ip", "10.0.0.0/8")],
    );
    create_with(
        &mut local,
        &mut h,
        "/ip32",
        vec![Acl::new(perms::ALL, "ip", "127.0.0.1")],
    );
    create_with(
        &mut local,
        &mut h,
        "/ip24",
        vec![Acl::new(perms::READ, "ip", "10.1.3.0/24")],
    );
    assert_eq!(get_data_err(&mut lan, &mut h, "/ip8"), 0);
    assert_eq!(get_data_err(&mut local, &mut h, "/ip8"), -102);
    assert_eq!(get_data_err(&mut local, &mut h, "/ip32"), 0);
    assert_eq!(get_data_err(&mut lan, &mut h, "/ip32"), -102);
    assert_eq!(get_data_err(&mut lan, &mut h, "/ip24"), -102);
    // IPv4 and IPv6 never match; 3.8 has no IPv6 ACLs at all.
    assert_eq!(get_data_err(&mut v6, &mut h, "/ip32"), -102);
    let f = create_with(&mut v6, &mut h, "/v6", vec![Acl::new(31, "ip", "::1")]);
    assert_eq!(f.err(), -114);
    let f = v6.req(&mut h, Request::WhoAmI);
    let r: WhoAmIResponse = decode(f.body());
    assert_eq!(r.client_info[0].user, "0:0:0:0:0:0:0:1");
    // An explicit `ip` auth packet succeeds and adds nothing new.
    assert_eq!(auth(&mut h, &mut lan, "ip", "").err(), 0);
    let f = lan.req(&mut h, Request::WhoAmI);
    assert_eq!(decode::<WhoAmIResponse>(f.body()).client_info.len(), 1);
}

#[test]
fn super_digest_and_skip_acl() {
    let mut cfg = Harness::default_config();
    cfg.super_digest = Some("super:lK75jTNcA+U9vtVEw5vB51mj/w4=".into());
    let mut h = Harness::new(cfg);
    let mut owner = h.session();
    let mut root = h.session();
    create_with(
        &mut owner,
        &mut h,
        "/locked",
        vec![Acl::new(perms::READ, "ip", "1.2.3.4")],
    );
    assert_eq!(get_data_err(&mut root, &mut h, "/locked"), -102);
    assert_eq!(auth(&mut h, &mut root, "digest", "super:secret").err(), 0);
    assert_eq!(get_data_err(&mut root, &mut h, "/locked"), 0);
    let f = root.req(
        &mut h,
        Request::Delete(DeleteRequest {
            path: "/locked".into(),
            version: -1,
        }),
    );
    assert_eq!(f.err(), 0);
    let f = root.req(&mut h, Request::WhoAmI);
    let infos = decode::<WhoAmIResponse>(f.body()).client_info;
    assert!(infos
        .iter()
        .any(|i| i.auth_scheme == "super" && i.user.is_empty()));
    assert!(infos
        .iter()
        .any(|i| i.auth_scheme == "digest" && i.user == "super"));

    let mut cfg = Harness::default_config();
    cfg.skip_acl = true;
    let mut h = Harness::new(cfg);
    let mut a = h.session();
    create_with(&mut a, &mut h, "/n", vec![Acl::new(0, "ip", "1.2.3.4")]);
    assert_eq!(get_data_err(&mut a, &mut h, "/n"), 0);
}

#[test]
fn unknown_scheme_fails_and_closes() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    let f = auth(&mut h, &mut c, "kerberos", "x");
    assert_eq!((f.xid(), f.zxid(), f.err()), (-4, 0, -115));
    assert!(h.is_closed(c.conn));
}

#[test]
fn invalid_acl_ids() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    for acl in [
        vec![Acl::new(31, "world", "nobody")],
        vec![Acl::new(31, "digest", "a:b:c")],
        vec![Acl::new(31, "ip", "300.1.1.1")],
        vec![Acl::new(31, "ip", "1.1.1.1/33")],
        vec![Acl::new(31, "sasl", "bob")],
        vec![Acl::new(31, "", "")],
    ] {
        let d = format!("{acl:?}");
        assert_eq!(create_with(&mut c, &mut h, "/x", acl).err(), -114, "{d}");
    }
    // Duplicates are removed before the txn is written.
    let f = create_with(
        &mut c,
        &mut h,
        "/x",
        vec![
            Acl::new(31, "world", "anyone"),
            Acl::new(31, "world", "anyone"),
        ],
    );
    assert_eq!(f.err(), 0);
    match &h.last_txn().body {
        TxnBody::Create(t) => assert_eq!(t.acl.len(), 1),
        b => panic!("{b:?}"),
    }
}
