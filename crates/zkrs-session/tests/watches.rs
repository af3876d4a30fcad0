//! Watch registration, firing, ordering and removal.

mod common;

use bytes::Bytes;
use common::*;
use zkrs_jute::*;

fn events(frames: &[Frame]) -> Vec<(i32, String)> {
    frames
        .iter()
        .filter(|f| f.is_notification())
        .map(|f| {
            assert_eq!((f.zxid(), f.err()), (-1, 0));
            let e = f.event();
            assert_eq!(e.state, 3);
            (e.r#type, e.path)
        })
        .collect()
}

fn set_data(path: &str) -> Request {
    Request::SetData(SetDataRequest {
        path: path.into(),
        data: Some(Bytes::from_static(b"new")),
        version: -1,
    })
}

#[test]
fn event_before_reply_on_the_same_connection() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    c.create_ok(&mut h, "/w", b"", 0);
    c.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/w".into(),
            watch: true,
        }),
    );
    c.req(
        &mut h,
        Request::GetChildren(GetChildrenRequest {
            path: "/w".into(),
            watch: true,
        }),
    );
    let frames = c.call(&mut h, set_data("/w"));
    assert_eq!(frames.len(), 2);
    assert_eq!(events(&frames), vec![(3, "/w".into())]);
    // One-shot: a second setData fires nothing.
    let frames = c.call(&mut h, set_data("/w"));
    assert_eq!(frames.len(), 1);
    let frames = c.call(&mut h, Request::Create(create_req("/w/k", b"", 0)));
    assert_eq!(events(&frames), vec![(4, "/w".into())]);
    assert_eq!(frames.last().unwrap().err(), 0);
}

#[test]
fn other_connections_and_exists_on_missing_nodes() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let mut b = h.session();
    let f = b.req(
        &mut h,
        Request::Exists(ExistsRequest {
            path: "/later".into(),
            watch: true,
        }),
    );
    assert_eq!(f.err(), -101);
    // getData on a missing node leaves no watch.
    b.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/never".into(),
            watch: true,
        }),
    );
    b.req(
        &mut h,
        Request::GetChildren(GetChildrenRequest {
            path: "/".into(),
            watch: true,
        }),
    );
    a.create_ok(&mut h, "/later", b"", 0);
    a.create_ok(&mut h, "/never", b"", 0);
    let got = events(&h.take(b.conn));
    assert_eq!(got, vec![(1, "/later".into()), (4, "/".into())]);
    // Deleting a watched node: NodeDeleted (data and child watchers once each).
    b.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/later".into(),
            watch: true,
        }),
    );
    b.req(
        &mut h,
        Request::GetChildren(GetChildrenRequest {
            path: "/later".into(),
            watch: true,
        }),
    );
    a.req(
        &mut h,
        Request::Delete(DeleteRequest {
            path: "/later".into(),
            version: -1,
        }),
    );
    assert_eq!(events(&h.take(b.conn)), vec![(2, "/later".into())]);
}

#[test]
fn persistent_and_recursive_watches() {
    let mut h = Harness::new(Harness::default_config());
    let mut c = h.session();
    let mut w = h.session();
    c.create_ok(&mut h, "/p", b"", 0);
    let f = w.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/p".into(),
            mode: 0,
        }),
    );
    assert_eq!(hex(f.body()), "00000000");
    let f = w.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/r".into(),
            mode: 1,
        }),
    );
    assert_eq!(f.err(), 0);
    c.req(&mut h, set_data("/p"));
    c.req(&mut h, set_data("/p"));
    c.create_ok(&mut h, "/p/k", b"", 0);
    c.create_ok(&mut h, "/r", b"", 0);
    c.create_ok(&mut h, "/r/x", b"", 0);
    c.create_ok(&mut h, "/r/x/y", b"", 0);
    assert_eq!(
        events(&h.take(w.conn)),
        vec![
            (3, "/p".into()),
            (3, "/p".into()),
            (4, "/p".into()),
            (1, "/r".into()),
            (1, "/r/x".into()),
            (1, "/r/x/y".into()),
        ]
    );
}

#[test]
fn check_and_remove_watches_3_8_semantics() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let mut b = h.session();
    a.create_ok(&mut h, "/x", b"", 0);
    let check = |t: i32| {
        Request::CheckWatches(CheckWatchesRequest {
            path: "/x".into(),
            r#type: t,
        })
    };
    let remove = |t: i32| {
        Request::RemoveWatches(RemoveWatchesRequest {
            path: "/x".into(),
            r#type: t,
        })
    };
    assert_eq!(a.req(&mut h, check(2)).err(), -121);
    assert_eq!(a.req(&mut h, check(3)).err(), -121);
    a.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/x".into(),
            watch: true,
        }),
    );
    assert_eq!(a.req(&mut h, check(2)).err(), 0);
    assert_eq!(a.req(&mut h, check(1)).err(), -121);
    assert_eq!(a.req(&mut h, check(3)).err(), 0);
    // 3.8.0 answers checkWatches from the path alone: b has no watch but a does.
    assert_eq!(b.req(&mut h, check(2)).err(), 0);
    // removeWatches only removes the caller's own watch.
    assert_eq!(b.req(&mut h, remove(2)).err(), -121);
    assert_eq!(a.req(&mut h, remove(1)).err(), -121);
    assert_eq!(a.req(&mut h, remove(2)).err(), 0);
    assert_eq!(a.req(&mut h, remove(2)).err(), -121);
    // A persistent watch counts as a data and a child watch, and Any removes it.
    a.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/x".into(),
            mode: 0,
        }),
    );
    assert_eq!(a.req(&mut h, check(1)).err(), 0);
    assert_eq!(a.req(&mut h, check(2)).err(), 0);
    assert_eq!(a.req(&mut h, remove(3)).err(), 0);
    assert_eq!(a.req(&mut h, check(3)).err(), -121);
    // 3.8.0 puts a recursive watch in both tables: a Data removal leaves the child half, which
    // still answers checkWatches(Children) (for anyone) until a Children removal.
    a.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/x".into(),
            mode: 1,
        }),
    );
    assert_eq!(h.core.tree().watch_count(), 2);
    assert_eq!(a.req(&mut h, remove(2)).err(), 0);
    assert_eq!(h.core.tree().watch_count(), 1);
    assert_eq!(b.req(&mut h, check(1)).err(), 0);
    assert_eq!(a.req(&mut h, remove(1)).err(), 0);
    assert_eq!(h.core.tree().watch_count(), 0);
    assert_eq!(a.req(&mut h, check(3)).err(), -121);
}

/// Difftest seed 2 (step 189): a PERSISTENT watch's data half removed with removeWatches(Data)
/// leaves its child half; checkWatches(Any) by another session is then 0, not NOWATCHER, and the
/// child half still fires.
#[test]
fn removing_the_data_half_of_a_persistent_watch_keeps_the_child_half() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let mut b = h.session();
    a.create_ok(&mut h, "/c", b"", 0);
    a.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/c".into(),
            mode: 0,
        }),
    );
    let req = |t: i32, remove: bool| {
        if remove {
            Request::RemoveWatches(RemoveWatchesRequest {
                path: "/c".into(),
                r#type: t,
            })
        } else {
            Request::CheckWatches(CheckWatchesRequest {
                path: "/c".into(),
                r#type: t,
            })
        }
    };
    assert_eq!(a.req(&mut h, req(2, true)).err(), 0);
    assert_eq!(b.req(&mut h, req(3, false)).err(), 0);
    assert_eq!(b.req(&mut h, req(2, false)).err(), -121);
    assert_eq!(b.req(&mut h, req(1, false)).err(), 0);
    // The data half is gone, the child half is still persistent.
    let frames = b.call(&mut h, set_data("/c"));
    assert!(events(&frames).is_empty());
    assert!(events(&h.take(a.conn)).is_empty());
    b.create_ok(&mut h, "/c/k1", b"", 0);
    b.create_ok(&mut h, "/c/k2", b"", 0);
    assert_eq!(
        events(&h.take(a.conn)),
        vec![(4, "/c".into()), (4, "/c".into())]
    );
}

/// Difftest seed 1 (step 259): in 3.8 a connection has one mode per path and table, and the last
/// registration wins: exists(watch) on a path with the connection's recursive watch turns the data
/// table's entry into a one-shot watch, so after it fires the descendants report nothing.
#[test]
fn a_one_shot_watch_replaces_a_recursive_watch_on_the_same_path() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let mut b = h.session();
    b.create_ok(&mut h, "/a", b"", 0);
    a.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/a".into(),
            mode: 1,
        }),
    );
    b.create_ok(&mut h, "/a/x", b"", 0);
    assert_eq!(events(&h.take(a.conn)), vec![(1, "/a/x".into())]);
    a.req(
        &mut h,
        Request::Exists(ExistsRequest {
            path: "/a".into(),
            watch: true,
        }),
    );
    b.call(&mut h, set_data("/a"));
    assert_eq!(events(&h.take(a.conn)), vec![(3, "/a".into())]);
    b.create_ok(&mut h, "/a/y", b"", 0);
    b.call(&mut h, set_data("/a"));
    assert!(events(&h.take(a.conn)).is_empty());
}

#[test]
fn set_watches_on_reconnect() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    a.create_ok(&mut h, "/d", b"", 0); // zxid 2
    a.create_ok(&mut h, "/c", b"", 0); // zxid 3
    a.create_ok(&mut h, "/c/k", b"", 0); // zxid 4: /c pzxid 4
    let rel = 3;
    let frames = a.call_xid(
        &mut h,
        -8,
        Request::SetWatches2(SetWatches2 {
            relative_zxid: rel,
            data_watches: vec!["/d".into(), "/gone".into()],
            exist_watches: vec!["/c".into(), "/future".into()],
            child_watches: vec!["/c".into()],
            persistent_watches: vec!["/p".into()],
            persistent_recursive_watches: vec![],
        }),
    );
    let last = frames.last().unwrap();
    assert_eq!((last.xid(), last.zxid(), last.err()), (-8, 4, 0));
    assert_eq!(
        events(&frames),
        vec![(2, "/gone".into()), (1, "/c".into()), (4, "/c".into()),]
    );
    // The remaining ones were registered.
    a.req(&mut h, set_data("/d"));
    let frames = a.call(&mut h, Request::Create(create_req("/future", b"", 0)));
    assert_eq!(events(&frames), vec![(1, "/future".into())]);
    let frames = a.call(&mut h, Request::Create(create_req("/p", b"", 0)));
    assert_eq!(events(&frames), vec![(1, "/p".into())]);
}

#[test]
fn watches_go_away_with_the_connection() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let mut b = h.session();
    a.create_ok(&mut h, "/x", b"", 0);
    b.req(
        &mut h,
        Request::GetData(GetDataRequest {
            path: "/x".into(),
            watch: true,
        }),
    );
    assert_eq!(h.core.tree().watch_count(), 1);
    h.core.handle_connection_closed(b.conn);
    assert_eq!(h.core.tree().watch_count(), 0);
    a.req(&mut h, set_data("/x"));
    assert!(h.take(b.conn).is_empty());
}

/// Watches belong to the connection: a reconnect of the session on a new connection (before the
/// server has seen the old socket's EOF, which arrives late here) closes the old one with its
/// watches; only what setWatches2 re-registers on the new connection fires.
#[test]
fn a_reconnect_leaves_the_old_connections_watches_behind() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let mut b = h.session();
    a.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/".into(),
            mode: 1,
        }),
    );
    b.create_ok(&mut h, "/x", b"", 0);
    assert_eq!(events(&h.take(a.conn)), vec![(1, "/x".into())]);
    let old = a.conn;
    let last = h.core.last_processed_zxid();
    let (new, frames) = h.reconnect(a.session_id, &a.passwd.clone(), last);
    assert_eq!(frames.len(), 1);
    assert!(h.is_closed(old));
    assert_eq!(h.core.tree().watch_count(), 0);
    a.conn = new;
    let frames = a.call_xid(
        &mut h,
        -8,
        Request::SetWatches2(SetWatches2 {
            relative_zxid: last,
            data_watches: vec![],
            exist_watches: vec!["/y".into()],
            child_watches: vec![],
            persistent_watches: vec![],
            persistent_recursive_watches: vec![],
        }),
    );
    assert_eq!(frames.len(), 1);
    b.create_ok(&mut h, "/x/deep", b"", 0);
    b.create_ok(&mut h, "/y", b"", 0);
    h.core.handle_connection_closed(old);
    b.create_ok(&mut h, "/z", b"", 0);
    assert_eq!(events(&h.take(new)), vec![(1, "/y".into())]);
    assert!(h.take(old).is_empty());
}

/// CVE-2024-23944 (3.8.4/3.9.2, and Debian's 3.8.0-11+deb12u2; difftest seeds 4 and 6): a
/// notification reaches a connection only if that connection may READ the znode the event is
/// about, with the identities it has at delivery time. NodeCreated/NodeDataChanged/NodeDeleted
/// check the node's own ACL (the deleted node's for NodeDeleted), NodeChildrenChanged the
/// parent's; every kind of watch is filtered, and a filtered one-shot watch is still consumed.
#[test]
fn notifications_are_filtered_by_read_acl() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let mut b = h.session();
    let auth = |c: &mut Client, h: &mut Harness| {
        let f = c.call_xid(
            h,
            -4,
            Request::Auth(AuthPacket {
                r#type: 0,
                scheme: "digest".into(),
                auth: Bytes::from_static(b"u1:p1"),
            }),
        );
        assert_eq!(f.last().map(Frame::err), Some(0));
    };
    auth(&mut b, &mut h);
    let u1 = zkrs_session::auth::digest::generate_digest("u1:p1");
    // Everyone may write, delete and administer /n; only u1 may read it.
    let acl = vec![
        Acl {
            perms: perms::WRITE | perms::CREATE | perms::DELETE | perms::ADMIN,
            id: Id::new("world", "anyone"),
        },
        Acl {
            perms: perms::READ,
            id: Id::new("digest", u1),
        },
    ];
    let exists_w = |c: &mut Client, h: &mut Harness, p: &str| {
        c.req(
            h,
            Request::Exists(ExistsRequest {
                path: p.into(),
                watch: true,
            }),
        );
    };
    exists_w(&mut a, &mut h, "/n");
    exists_w(&mut b, &mut h, "/n");
    a.req(
        &mut h,
        Request::GetChildren(GetChildrenRequest {
            path: "/".into(),
            watch: true,
        }),
    );
    let before = h.core.tree().watch_count();
    let frames = b.call(
        &mut h,
        Request::Create(CreateRequest {
            path: "/n".into(),
            data: Some(Bytes::from_static(b"d")),
            acl,
            flags: 0,
        }),
    );
    // b may read /n: NodeCreated. a may not: only the root's NodeChildrenChanged (root ACL).
    assert_eq!(events(&frames), vec![(1, "/n".into())]);
    assert_eq!(events(&h.take(a.conn)), vec![(4, "/".into())]);
    // All three one-shot watches fired (a's exists watch was consumed although not delivered).
    assert_eq!(h.core.tree().watch_count(), before - 3);

    // A recursive watch on "/" is filtered per event path.
    a.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/".into(),
            mode: 1,
        }),
    );
    b.create_ok(&mut h, "/n/k", b"", 0); // /n/k is open
    b.call(&mut h, set_data("/n"));
    b.call(
        &mut h,
        Request::Delete(DeleteRequest {
            path: "/n/k".into(),
            version: -1,
        }),
    );
    assert_eq!(
        events(&h.take(a.conn)),
        vec![(1, "/n/k".into()), (2, "/n/k".into())]
    );
    // NodeDeleted checks the deleted node's ACL.
    exists_w(&mut b, &mut h, "/n");
    b.call(
        &mut h,
        Request::Delete(DeleteRequest {
            path: "/n".into(),
            version: -1,
        }),
    );
    assert!(events(&h.take(a.conn)).is_empty());

    // Identities count at delivery: once a authenticates as u1 it sees /n's events.
    b.call(
        &mut h,
        Request::Create(CreateRequest {
            path: "/n".into(),
            data: None,
            acl: vec![Acl {
                perms: perms::ALL,
                id: Id::new(
                    "digest",
                    zkrs_session::auth::digest::generate_digest("u1:p1"),
                ),
            }],
            flags: 0,
        }),
    );
    assert!(events(&h.take(a.conn)).is_empty());
    auth(&mut a, &mut h);
    b.call(&mut h, set_data("/n"));
    assert_eq!(events(&h.take(a.conn)), vec![(3, "/n".into())]);
}

/// Difftest seeds 13, 19, 30: 3.8.0's checkWatches walks `PathParentIterator`, which fails on a
/// relative path before looking at any table (MARSHALLINGERROR, -5); the empty path yields no
/// step (NOWATCHER even with a watch registered on ""). removeWatches does not walk.
#[test]
fn check_watches_on_relative_and_empty_paths() {
    let mut h = Harness::new(Harness::default_config());
    let mut a = h.session();
    let req = |path: &str, t: i32, remove: bool| {
        if remove {
            Request::RemoveWatches(RemoveWatchesRequest {
                path: path.into(),
                r#type: t,
            })
        } else {
            Request::CheckWatches(CheckWatchesRequest {
                path: path.into(),
                r#type: t,
            })
        }
    };
    for t in 1..=3 {
        assert_eq!(a.req(&mut h, req("rel", t, false)).err(), -5);
        assert_eq!(a.req(&mut h, req("", t, false)).err(), -121);
        assert_eq!(a.req(&mut h, req("rel", t, true)).err(), -121);
    }
    // exists("") registers a data watch on "", which checkWatches cannot see but
    // removeWatches removes.
    let f = a.req(
        &mut h,
        Request::Exists(ExistsRequest {
            path: "".into(),
            watch: true,
        }),
    );
    assert_eq!(f.err(), 0);
    assert_eq!(h.core.tree().watch_count(), 1);
    assert_eq!(a.req(&mut h, req("", 2, false)).err(), -121);
    assert_eq!(a.req(&mut h, req("", 2, true)).err(), 0);
    assert_eq!(h.core.tree().watch_count(), 0);
    // "a/b" only fails once the walk goes past the path itself, i.e. with a recursive watch.
    assert_eq!(a.req(&mut h, req("a/b", 1, false)).err(), -121);
    a.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/".into(),
            mode: 1,
        }),
    );
    assert_eq!(a.req(&mut h, req("a/b", 1, false)).err(), -5);
    assert_eq!(a.req(&mut h, req("/x/y", 3, false)).err(), -121);
}
