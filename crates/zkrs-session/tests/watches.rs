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
    // Recursive watches are removed by a Data removal.
    a.req(
        &mut h,
        Request::AddWatch(AddWatchRequest {
            path: "/x".into(),
            mode: 1,
        }),
    );
    assert_eq!(a.req(&mut h, remove(2)).err(), 0);
    assert_eq!(h.core.tree().watch_count(), 0);
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
