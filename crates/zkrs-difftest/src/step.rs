//! [`Step`]: one generated action of one session slot, and its one-line description.
//!
//! Requests are the codec's own [`Request`] values. A path equal to [`LAST_CREATED`] is a
//! placeholder the driver replaces, at run time, with the last path a create returned on that
//! server (so sequential and reused names can be addressed without a stateful generator).

use std::fmt::Write as _;

use zkrs_jute::{Acl, MultiOp, Request, SetWatches2};

/// The placeholder path for "the path the last successful create returned".
pub const LAST_CREATED: &str = "@last";

/// What a step does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Open a new session in the slot (ConnectRequest with session id 0).
    Open,
    /// closeSession, then wait for the server to close the socket.
    Close,
    /// Drop the TCP connection, reconnect with the same session id and password, then send
    /// `setWatches2` with these lists; `zxid_back` is subtracted from the session's last seen
    /// zxid to form `relativeZxid`, so some watches fire on re-registration.
    Reconnect {
        watches: SetWatches2,
        zxid_back: i64,
    },
    /// Send one request and read until its reply.
    Send(Request),
}

/// One generated step: an action for session slot `slot`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub slot: usize,
    pub action: Action,
}

impl Step {
    /// The action with every [`LAST_CREATED`] path replaced by `last` (or kept if `None`).
    pub fn resolved(&self, last: Option<&str>) -> Action {
        let Some(last) = last else {
            return self.action.clone();
        };
        let fix = |p: &mut String| {
            if p == LAST_CREATED {
                *p = last.to_string();
            }
        };
        let mut action = self.action.clone();
        match &mut action {
            Action::Open | Action::Close => {}
            Action::Reconnect { watches, .. } => {
                for list in [
                    &mut watches.data_watches,
                    &mut watches.exist_watches,
                    &mut watches.child_watches,
                    &mut watches.persistent_watches,
                    &mut watches.persistent_recursive_watches,
                ] {
                    list.iter_mut().for_each(fix);
                }
            }
            Action::Send(req) => map_request_paths(req, &fix),
        }
        action
    }
}

fn map_op_path(op: &mut MultiOp, f: &dyn Fn(&mut String)) {
    match op {
        MultiOp::Create(r) | MultiOp::Create2(r) | MultiOp::CreateContainer(r) => f(&mut r.path),
        MultiOp::CreateTtl(r) => f(&mut r.path),
        MultiOp::Delete(r) => f(&mut r.path),
        MultiOp::SetData(r) => f(&mut r.path),
        MultiOp::Check(r) => f(&mut r.path),
        MultiOp::GetChildren(r) => f(&mut r.path),
        MultiOp::GetData(r) => f(&mut r.path),
    }
}

fn map_request_paths(req: &mut Request, f: &dyn Fn(&mut String)) {
    match req {
        Request::Create(r) | Request::Create2(r) | Request::CreateContainer(r) => f(&mut r.path),
        Request::CreateTtl(r) => f(&mut r.path),
        Request::Delete(r) => f(&mut r.path),
        Request::DeleteContainer(r) => f(&mut r.path),
        Request::Exists(r) => f(&mut r.path),
        Request::GetData(r) => f(&mut r.path),
        Request::SetData(r) => f(&mut r.path),
        Request::GetAcl(r) => f(&mut r.path),
        Request::SetAcl(r) => f(&mut r.path),
        Request::GetChildren(r) => f(&mut r.path),
        Request::GetChildren2(r) => f(&mut r.path),
        Request::Sync(r) => f(&mut r.path),
        Request::Check(r) => f(&mut r.path),
        Request::Multi(m) | Request::MultiRead(m) => {
            m.ops.iter_mut().for_each(|op| map_op_path(op, f))
        }
        Request::CheckWatches(r) => f(&mut r.path),
        Request::RemoveWatches(r) => f(&mut r.path),
        Request::GetEphemerals(r) => f(&mut r.prefix_path),
        Request::GetAllChildrenNumber(r) => f(&mut r.path),
        Request::AddWatch(r) => f(&mut r.path),
        _ => {}
    }
}

/// Printable form of node data: ASCII as is, other bytes as `\xNN`, `null` for no data.
pub fn show_data(data: Option<&[u8]>) -> String {
    match data {
        None => "null".to_string(),
        Some(d) => {
            let mut s = String::from("\"");
            for b in d {
                if b.is_ascii_graphic() || *b == b' ' {
                    if *b == b'"' || *b == b'\\' {
                        s.push('\\');
                    }
                    s.push(char::from(*b));
                } else {
                    let _ = write!(s, "\\x{b:02x}");
                }
            }
            s.push('"');
            s
        }
    }
}

/// `[perms:scheme:id, ...]`, in the order given (ZooKeeper keeps ACL order).
pub fn show_acl(acl: &[Acl]) -> String {
    let parts: Vec<String> = acl
        .iter()
        .map(|a| format!("{}:{}:{}", a.perms, a.id.scheme, a.id.id))
        .collect();
    format!("[{}]", parts.join(","))
}

fn describe_op(op: &MultiOp) -> String {
    match op {
        MultiOp::Create(r) => create_desc("create", &r.path, r.data.as_deref(), &r.acl, r.flags),
        MultiOp::Create2(r) => create_desc("create2", &r.path, r.data.as_deref(), &r.acl, r.flags),
        MultiOp::CreateContainer(r) => create_desc(
            "createContainer",
            &r.path,
            r.data.as_deref(),
            &r.acl,
            r.flags,
        ),
        MultiOp::CreateTtl(r) => format!(
            "{} ttl={}",
            create_desc("createTTL", &r.path, r.data.as_deref(), &r.acl, r.flags),
            r.ttl
        ),
        MultiOp::Delete(r) => format!("delete {} v={}", r.path, r.version),
        MultiOp::SetData(r) => format!(
            "setData {} {} v={}",
            r.path,
            show_data(r.data.as_deref()),
            r.version
        ),
        MultiOp::Check(r) => format!("check {} v={}", r.path, r.version),
        MultiOp::GetChildren(r) => format!("getChildren {} w={}", r.path, r.watch),
        MultiOp::GetData(r) => format!("getData {} w={}", r.path, r.watch),
    }
}

fn create_desc(name: &str, path: &str, data: Option<&[u8]>, acl: &[Acl], flags: i32) -> String {
    format!(
        "{name} {path} {} acl={} flags={flags}",
        show_data(data),
        show_acl(acl)
    )
}

/// One line describing a request as sent.
pub fn describe_request(req: &Request) -> String {
    match req {
        Request::Create(r) => create_desc("create", &r.path, r.data.as_deref(), &r.acl, r.flags),
        Request::Create2(r) => create_desc("create2", &r.path, r.data.as_deref(), &r.acl, r.flags),
        Request::CreateContainer(r) => create_desc(
            "createContainer",
            &r.path,
            r.data.as_deref(),
            &r.acl,
            r.flags,
        ),
        Request::CreateTtl(r) => format!(
            "{} ttl={}",
            create_desc("createTTL", &r.path, r.data.as_deref(), &r.acl, r.flags),
            r.ttl
        ),
        Request::Delete(r) => format!("delete {} v={}", r.path, r.version),
        Request::DeleteContainer(r) => format!("deleteContainer {}", r.path),
        Request::Exists(r) => format!("exists {} w={}", r.path, r.watch),
        Request::GetData(r) => format!("getData {} w={}", r.path, r.watch),
        Request::SetData(r) => format!(
            "setData {} {} v={}",
            r.path,
            show_data(r.data.as_deref()),
            r.version
        ),
        Request::GetAcl(r) => format!("getACL {}", r.path),
        Request::SetAcl(r) => format!("setACL {} {} v={}", r.path, show_acl(&r.acl), r.version),
        Request::GetChildren(r) => format!("getChildren {} w={}", r.path, r.watch),
        Request::GetChildren2(r) => format!("getChildren2 {} w={}", r.path, r.watch),
        Request::Sync(r) => format!("sync {}", r.path),
        Request::Check(r) => format!("check {} v={}", r.path, r.version),
        Request::Multi(m) | Request::MultiRead(m) => {
            let name = if matches!(req, Request::Multi(_)) {
                "multi"
            } else {
                "multiRead"
            };
            let ops: Vec<String> = m.ops.iter().map(describe_op).collect();
            format!("{name} [{}]", ops.join(" ; "))
        }
        Request::Reconfig(r) => format!(
            "reconfig joining={:?} leaving={:?} members={:?} cfg={}",
            r.joining_servers, r.leaving_servers, r.new_members, r.cur_config_id
        ),
        Request::CheckWatches(r) => format!("checkWatches {} type={}", r.path, r.r#type),
        Request::RemoveWatches(r) => format!("removeWatches {} type={}", r.path, r.r#type),
        Request::Auth(a) => format!("addAuth {} {}", a.scheme, show_data(Some(a.auth.as_ref()))),
        Request::GetEphemerals(r) => format!("getEphemerals {}", r.prefix_path),
        Request::GetAllChildrenNumber(r) => format!("getAllChildrenNumber {}", r.path),
        Request::AddWatch(r) => format!("addWatch {} mode={}", r.path, r.mode),
        Request::WhoAmI => "whoAmI".to_string(),
        Request::Ping => "ping".to_string(),
        Request::CloseSession => "closeSession".to_string(),
        other => format!("{other:?}"),
    }
}

/// One line describing a whole action.
pub fn describe_action(action: &Action) -> String {
    match action {
        Action::Open => "open".to_string(),
        Action::Close => "close".to_string(),
        Action::Reconnect { watches, zxid_back } => format!(
            "reconnect setWatches2 rel=last-{zxid_back} data={:?} exist={:?} child={:?} persistent={:?} recursive={:?}",
            watches.data_watches,
            watches.exist_watches,
            watches.child_watches,
            watches.persistent_watches,
            watches.persistent_recursive_watches
        ),
        Action::Send(req) => describe_request(req),
    }
}
