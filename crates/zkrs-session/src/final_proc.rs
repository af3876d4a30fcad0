//! The final stage (`FinalRequestProcessor`): replies to applied writes and answers every
//! request that has no txn, against the tree as it is when the request's turn comes.

use std::collections::BTreeSet;

use bytes::BytesMut;
use zkrs_datatree::ephemeral_type::EphemeralType;
use zkrs_jute::{
    perms, AddWatchMode, Create2Response, CreateResponse, ErrorCode, ErrorResponse, ExistsResponse,
    GetAclResponse, GetAllChildrenNumberResponse, GetChildren2Response, GetChildrenResponse,
    GetDataResponse, GetEphemeralsResponse, Id, Jute, MultiOp, MultiResponse, MultiResult, OpCode,
    ReplyHeader, Request, RequestDecodeError, RequestHeader, SetAclResponse, SetDataResponse,
    SyncResponse, TxnBody, TxnEntry, WatcherType, WhoAmIResponse,
};

use crate::auth::{check_acl, redact_digest_ids, AuthIds};
use crate::clock::Clock;
use crate::core::{ConnId, Origin, ServerCore};
use crate::prep::{java_ephemeral_set, WriteOp};
use zkrs_datatree::ProcessTxnResult;

/// A reply body. The frequent ones stay records until the reply is encoded, so they are
/// written straight into the core's output arena (no `Vec` per reply, no regrowth of it);
/// the rest arrive encoded.
enum Body {
    Encoded(Vec<u8>),
    GetData(GetDataResponse),
    Exists(ExistsResponse),
    SetData(SetDataResponse),
    Create(CreateResponse),
    Create2(Create2Response),
}

impl Body {
    fn write_to(&self, out: &mut BytesMut) {
        match self {
            Body::Encoded(b) => out.extend_from_slice(b),
            Body::GetData(r) => r.write_to(out),
            Body::Exists(r) => r.write_to(out),
            Body::SetData(r) => r.write_to(out),
            Body::Create(r) => r.write_to(out),
            Body::Create2(r) => r.write_to(out),
        }
    }
}

/// The result of answering one request: error code, body, and the operation name recorded for
/// `cons` (`lop`).
struct Answer {
    err: i32,
    body: Option<Body>,
    last_op: &'static str,
}

impl Answer {
    fn ok(body: Option<Vec<u8>>, last_op: &'static str) -> Self {
        Answer::with_body(body.map(Body::Encoded), last_op)
    }

    fn with_body(body: Option<Body>, last_op: &'static str) -> Self {
        Answer {
            err: 0,
            body,
            last_op,
        }
    }

    fn err(e: ErrorCode, last_op: &'static str) -> Self {
        Answer {
            err: e.code(),
            body: None,
            last_op,
        }
    }

    fn from_result(r: Result<Vec<u8>, ErrorCode>, last_op: &'static str) -> Self {
        Answer::from_body_result(r.map(Body::Encoded), last_op)
    }

    fn from_body_result(r: Result<Body, ErrorCode>, last_op: &'static str) -> Self {
        match r {
            Ok(b) => Answer::with_body(Some(b), last_op),
            Err(e) => Answer::err(e, last_op),
        }
    }
}

/// The `lastOp` string FinalRequestProcessor records for each request type (set before the
/// request is processed, so a failed read keeps it; a failed write never gets that far and
/// records `NA`).
fn last_op_name(op: OpCode) -> &'static str {
    match op {
        OpCode::Ping => "PING",
        OpCode::CreateSession => "SESS",
        OpCode::Multi => "MULT",
        OpCode::MultiRead => "MLTR",
        OpCode::Create | OpCode::Create2 | OpCode::CreateTtl | OpCode::CreateContainer => "CREA",
        OpCode::Delete | OpCode::DeleteContainer => "DELE",
        OpCode::SetData => "SETD",
        OpCode::Reconfig => "RECO",
        OpCode::SetAcl => "SETA",
        OpCode::CloseSession => "CLOS",
        OpCode::Sync => "SYNC",
        OpCode::Check => "CHEC",
        OpCode::Exists => "EXIS",
        OpCode::GetData => "GETD",
        OpCode::SetWatches => "SETW",
        OpCode::SetWatches2 => "STW2",
        OpCode::AddWatch => "ADDW",
        OpCode::GetAcl => "GETA",
        OpCode::GetChildren | OpCode::GetChildren2 => "GETC",
        OpCode::GetAllChildrenNumber => "GETACN",
        OpCode::CheckWatches => "CHKW",
        OpCode::RemoveWatches => "REMW",
        OpCode::WhoAmI => "HOMI",
        OpCode::GetEphemerals => "GETE",
        _ => "NA",
    }
}

impl ServerCore {
    /// Sends `ReplyHeader` + optional body, encoded straight into the output arena.
    fn send_answer(&mut self, conn: ConnId, header: ReplyHeader, body: Option<Body>) {
        self.send_with(conn, |out| {
            header.write_to(out);
            if let Some(b) = &body {
                b.write_to(out);
            }
        });
    }

    /// Records the reply in the connection's and the server's statistics (`updateStats`).
    fn update_stats(
        &mut self,
        conn: ConnId,
        cxid: i32,
        zxid: i64,
        op: &'static str,
        recv: u64,
        now: Clock,
    ) {
        self.stats.latency.add(now.mono_ms as i64 - recv as i64);
        if let Some(c) = self.connections.get_mut(&conn) {
            c.stats
                .update_for_response(cxid, zxid, op, recv, now.mono_ms);
        }
    }

    /// A forwarded write answered with an error this member decided (the txn the leader
    /// committed for it has been applied already).
    pub(crate) fn reply_error(
        &mut self,
        conn: ConnId,
        session_id: i64,
        xid: i32,
        err: ErrorCode,
        recv_mono: u64,
        now: Clock,
    ) {
        match self.connections.get(&conn) {
            Some(c) if !c.closing && c.session_id == session_id => {}
            _ => return,
        }
        let last = self.tree.last_processed_zxid();
        self.update_stats(conn, xid, last, "NA", recv_mono, now);
        self.send_answer(
            conn,
            ReplyHeader {
                xid,
                zxid: last,
                err: err.code(),
            },
            None,
        );
        self.drain(conn, now);
    }

    /// The reply to an applied write.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn reply_write(
        &mut self,
        conn: ConnId,
        xid: i32,
        op: OpCode,
        entry: &TxnEntry,
        rc: &ProcessTxnResult,
        recv_mono: u64,
        now: Clock,
    ) {
        let Some(c) = self.connections.get_mut(&conn) else {
            return;
        };
        if let Some(pos) = c
            .queue
            .iter()
            .position(|q| matches!(q, crate::connection::Queued::Write { zxid } if *zxid == entry.header.zxid))
        {
            c.queue.remove(pos);
        }
        if c.closing {
            return;
        }
        if session_moved(entry, rc) {
            // SessionMovedException is a connection-level error: the connection is closed
            // without a reply (only a quorum has owners that differ).
            self.close_conn(conn);
            return;
        }
        let last = self.tree.last_processed_zxid();
        let ans = if entry.header.r#type == OpCode::Error.code() {
            let err = match &entry.body {
                TxnBody::Error(t) => t.err,
                _ => ErrorCode::MarshallingError.code(),
            };
            Answer {
                err,
                body: None,
                last_op: "NA",
            }
        } else {
            self.write_answer(op, entry, rc)
        };
        self.update_stats(conn, xid, last, ans.last_op, recv_mono, now);
        let body = if ans.err == 0 { ans.body } else { None };
        self.send_answer(
            conn,
            ReplyHeader {
                xid,
                zxid: last,
                err: ans.err,
            },
            body,
        );
        if op == OpCode::CloseSession {
            self.close_conn(conn);
            return;
        }
        self.drain(conn, now);
    }

    fn write_answer(&self, op: OpCode, entry: &TxnEntry, rc: &ProcessTxnResult) -> Answer {
        let name = last_op_name(op);
        let stat = rc.stat.clone().unwrap_or_default();
        let body = match op {
            OpCode::Create => Some(Body::Create(CreateResponse {
                path: rc.path.clone(),
            })),
            OpCode::Create2 | OpCode::CreateTtl | OpCode::CreateContainer => {
                Some(Body::Create2(Create2Response {
                    path: rc.path.clone(),
                    stat,
                }))
            }
            OpCode::SetData => Some(Body::SetData(SetDataResponse { stat })),
            // GetDataResponse(the activated configuration's text, rc.stat): the text is the
            // txn's own (its `version=` is this txn's zxid).
            OpCode::Reconfig => {
                let data = match &entry.body {
                    TxnBody::SetData(t) => t.data.clone(),
                    _ => None,
                };
                Some(Body::GetData(GetDataResponse { data, stat }))
            }
            OpCode::SetAcl => Some(Body::Encoded(SetAclResponse { stat }.to_bytes())),
            OpCode::Check => {
                // ZooKeeper 3.8.0 builds SetDataResponse(rc.stat) with a null stat here (and
                // fails); we answer with the node's current stat.
                let stat = match &entry.body {
                    TxnBody::Check(t) => self.tree.stat(&t.path).unwrap_or_default(),
                    _ => stat,
                };
                Some(Body::SetData(SetDataResponse { stat }))
            }
            OpCode::Multi => {
                let mut results = Vec::with_capacity(rc.multi_results.len());
                for sub in &rc.multi_results {
                    let r = match OpCode::from_i32(sub.r#type) {
                        Some(OpCode::Check) => MultiResult::Check,
                        Some(OpCode::Create) => MultiResult::Create(CreateResponse {
                            path: sub.path.clone(),
                        }),
                        Some(OpCode::Create2 | OpCode::CreateTtl | OpCode::CreateContainer) => {
                            MultiResult::Create2(Create2Response {
                                path: sub.path.clone(),
                                stat: sub.stat.clone().unwrap_or_default(),
                            })
                        }
                        Some(OpCode::Delete | OpCode::DeleteContainer) => MultiResult::Delete,
                        Some(OpCode::SetData) => MultiResult::SetData(SetDataResponse {
                            stat: sub.stat.clone().unwrap_or_default(),
                        }),
                        Some(OpCode::Error) => MultiResult::Error(sub.err),
                        _ => return Answer::err(ErrorCode::MarshallingError, name),
                    };
                    results.push(r);
                }
                return Answer::ok(Some(MultiResponse { results }.to_bytes()), name);
            }
            _ => None,
        };
        Answer {
            err: rc.err,
            body,
            last_op: name,
        }
    }

    /// Answers a request without a txn (and sends its notifications first, for setWatches).
    pub(crate) fn process_read(
        &mut self,
        conn: ConnId,
        header: RequestHeader,
        request: Result<Request, RequestDecodeError>,
        recv_mono: u64,
        auth: &[Id],
        now: Clock,
    ) {
        let op = OpCode::from_i32(header.r#type).unwrap_or(OpCode::Error);
        if op == OpCode::CloseSession {
            // A local session's close (`processTxnForSessionEvents` without a txn): the
            // session goes, the reply is sent, the connection closes.
            let session_id = self.connections.get(&conn).map_or(0, |c| c.session_id);
            self.sessions.remove_session(session_id);
            let last = self.tree.last_processed_zxid();
            self.update_stats(conn, header.xid, last, "CLOS", recv_mono, now);
            self.send_answer(
                conn,
                ReplyHeader {
                    xid: header.xid,
                    zxid: last,
                    err: 0,
                },
                None,
            );
            self.close_conn(conn);
            return;
        }
        let name = last_op_name(op);
        let ans = match request {
            Err(_) => Answer::err(ErrorCode::MarshallingError, name),
            Ok(r) => self.read_answer(conn, r, auth, name),
        };
        // Events generated by setWatches go out before its reply.
        self.dispatch_watch_events();
        let last = self.tree.last_processed_zxid();
        self.update_stats(conn, header.xid, last, ans.last_op, recv_mono, now);
        let xid = if op == OpCode::Ping {
            zkrs_jute::xid::PING
        } else {
            header.xid
        };
        let body = if ans.err == 0 { ans.body } else { None };
        self.send_answer(
            conn,
            ReplyHeader {
                xid,
                zxid: last,
                err: ans.err,
            },
            body,
        );
    }

    fn check(&self, acl: &[zkrs_jute::Acl], perm: i32, ids: &[Id]) -> Result<(), ErrorCode> {
        check_acl(self.config.skip_acl, acl, perm, ids)
    }

    /// `getNode` + READ check, shared by getChildren/getChildren2/getAllChildrenNumber (getData
    /// does both in its one lookup, `DataTree::get_data_checked`).
    fn readable(&self, path: &str, ids: &[Id]) -> Result<(), ErrorCode> {
        let n = self.tree.node(path).ok_or(ErrorCode::NoNode)?;
        self.check(self.tree.acl_of(n), perms::READ, ids)
    }

    fn get_data(
        &mut self,
        path: &str,
        watcher: Option<ConnId>,
        ids: &[Id],
    ) -> Result<GetDataResponse, ErrorCode> {
        // One node lookup for the READ check and the read (this is the hot read path).
        let skip_acl = self.config.skip_acl;
        let (data, stat) = self.tree.get_data_checked(path, watcher, |acl| {
            check_acl(skip_acl, acl, perms::READ, ids)
        })?;
        Ok(GetDataResponse { data, stat })
    }

    fn get_children(
        &mut self,
        path: &str,
        watcher: Option<ConnId>,
        ids: &[Id],
    ) -> Result<GetChildrenResponse, ErrorCode> {
        self.readable(path, ids)?;
        let (children, _) = self.tree.get_children(path, watcher)?;
        Ok(GetChildrenResponse { children })
    }

    fn read_answer(&mut self, conn: ConnId, r: Request, ids: &[Id], name: &'static str) -> Answer {
        let watcher = |w: bool| if w { Some(conn) } else { None };
        match r {
            Request::Ping => Answer::ok(None, name),
            Request::Sync(q) => Answer::ok(Some(SyncResponse { path: q.path }.to_bytes()), name),
            Request::Exists(q) => {
                // 3.8.0 checks no ACL on exists (READ is checked from 3.8.4).
                if q.path.contains('\0') {
                    return Answer::err(ErrorCode::BadArguments, name);
                }
                Answer::from_body_result(
                    self.tree
                        .exists(&q.path, watcher(q.watch))
                        .map(|stat| Body::Exists(ExistsResponse { stat })),
                    name,
                )
            }
            Request::GetData(q) => Answer::from_body_result(
                self.get_data(&q.path, watcher(q.watch), ids)
                    .map(Body::GetData),
                name,
            ),
            Request::GetChildren(q) => Answer::from_result(
                self.get_children(&q.path, watcher(q.watch), ids)
                    .map(|r| r.to_bytes()),
                name,
            ),
            Request::GetChildren2(q) => {
                let r = self.readable(&q.path, ids).and_then(|_| {
                    self.tree
                        .get_children(&q.path, watcher(q.watch))
                        .map(|(children, stat)| GetChildren2Response { children, stat }.to_bytes())
                });
                Answer::from_result(r, name)
            }
            Request::GetAllChildrenNumber(q) => {
                let r = self.readable(&q.path, ids).and_then(|_| {
                    self.tree
                        .get_all_children_number(&q.path)
                        .map(|n| GetAllChildrenNumberResponse { total_number: n }.to_bytes())
                });
                Answer::from_result(r, name)
            }
            Request::GetAcl(q) => {
                let r = (|| {
                    let n = self.tree.node(&q.path).ok_or(ErrorCode::NoNode)?;
                    let acl = self.tree.acl_of(n);
                    self.check(acl, perms::READ | perms::ADMIN, ids)?;
                    let admin = self.check(acl, perms::ADMIN, ids).is_ok();
                    let (acl, stat) = self.tree.get_acl(&q.path)?;
                    let acl = if admin { acl } else { redact_digest_ids(&acl) };
                    Ok(GetAclResponse { acl, stat }.to_bytes())
                })();
                Answer::from_result(r, name)
            }
            Request::SetWatches(q) => {
                self.tree.set_watches(
                    q.relative_zxid,
                    &q.data_watches,
                    &q.exist_watches,
                    &q.child_watches,
                    &[],
                    &[],
                    conn,
                );
                Answer::ok(None, name)
            }
            Request::SetWatches2(q) => {
                self.tree.set_watches(
                    q.relative_zxid,
                    &q.data_watches,
                    &q.exist_watches,
                    &q.child_watches,
                    &q.persistent_watches,
                    &q.persistent_recursive_watches,
                    conn,
                );
                Answer::ok(None, name)
            }
            Request::AddWatch(q) => match AddWatchMode::from_i32(q.mode) {
                // WatcherMode.fromZooDef throws IllegalArgumentException.
                None => Answer::err(ErrorCode::MarshallingError, name),
                Some(mode) => {
                    self.tree.add_watch(&q.path, conn, mode);
                    Answer::ok(Some(ErrorResponse { err: 0 }.to_bytes()), name)
                }
            },
            Request::CheckWatches(q) => match watcher_type_38(q.r#type) {
                None => Answer::err(ErrorCode::MarshallingError, name),
                // 3.8 (WatchModel::Single): true if any connection watches the path in the
                // chosen table(s); the caller is not looked at. A relative path makes 3.8's
                // PathParentIterator throw: MARSHALLINGERROR.
                Some(t) => match self.tree.check_watches(&q.path, t, conn) {
                    Ok(true) => Answer::ok(None, name),
                    Ok(false) => Answer::err(ErrorCode::NoWatcher, name),
                    Err(e) => Answer::err(e, name),
                },
            },
            Request::RemoveWatches(q) => match watcher_type_38(q.r#type) {
                None => Answer::err(ErrorCode::MarshallingError, name),
                // 3.8: the caller's watch on the path, any mode, from the chosen table(s).
                Some(t) if self.tree.remove_watches(&q.path, t, conn) => Answer::ok(None, name),
                Some(_) => Answer::err(ErrorCode::NoWatcher, name),
            },
            Request::WhoAmI => {
                let mut a = AuthIds::new();
                for id in ids {
                    a.add(id.clone());
                }
                Answer::ok(
                    Some(
                        WhoAmIResponse {
                            client_info: a.client_infos(),
                        }
                        .to_bytes(),
                    ),
                    name,
                )
            }
            Request::GetEphemerals(q) => {
                let session = self.connections.get(&conn).map_or(0, |c| c.session_id);
                let all = java_ephemeral_set(&self.tree, session);
                let prefix = q.prefix_path;
                let trimmed = prefix.trim_matches(|c: char| c <= ' ');
                let take_all = trimmed.is_empty() || trimmed == "/";
                let ephemerals: Vec<String> = all
                    .iter()
                    .filter(|p| take_all || p.starts_with(prefix.as_str()))
                    .cloned()
                    .collect();
                Answer::ok(Some(GetEphemeralsResponse { ephemerals }.to_bytes()), name)
            }
            Request::MultiRead(m) => {
                if m.ops.iter().any(|o| !o.is_read()) {
                    return Answer::err(ErrorCode::MarshallingError, name);
                }
                let mut results = Vec::with_capacity(m.ops.len());
                for o in &m.ops {
                    // Op.getData/getChildren carry no watch.
                    let r = match o {
                        MultiOp::GetData(q) => {
                            self.get_data(&q.path, None, ids).map(MultiResult::GetData)
                        }
                        MultiOp::GetChildren(q) => self
                            .get_children(&q.path, None, ids)
                            .map(MultiResult::GetChildren),
                        _ => Err(ErrorCode::MarshallingError),
                    };
                    results.push(r.unwrap_or_else(|e| MultiResult::Error(e.code())));
                }
                Answer::ok(Some(MultiResponse { results }.to_bytes()), name)
            }
            // reconfig with an undecodable body: the standalone server cannot answer it.
            _ => Answer::err(ErrorCode::MarshallingError, name),
        }
    }

    /// The container manager (`ContainerManager.checkContainers`): one deleteContainer txn per
    /// candidate, at most `maxPerMinute` per pass.
    pub(crate) fn check_containers(&mut self, now: Clock) {
        let extended = self.config.extended_types_enabled;
        let never_used = self.config.container_max_never_used_interval_ms as i64;
        let mut candidates = BTreeSet::new();
        for p in self.tree.containers() {
            if let Some(n) = self.tree.node(&p) {
                // cversion > 0: it had a child once; otherwise only after maxNeverUsedIntervalMs.
                let used = n.stat.cversion > 0;
                let stale = never_used != 0 && now.wall_ms - n.stat.mtime > never_used;
                if n.num_children() == 0 && (used || stale) {
                    candidates.insert(p);
                }
            }
        }
        for p in self.tree.ttls() {
            if let Some(n) = self.tree.node(&p) {
                let owner = n.stat.ephemeral_owner;
                let kind = EphemeralType::get(owner, extended);
                if n.num_children() == 0 && kind == EphemeralType::Ttl {
                    let ttl = kind.ttl_value(owner);
                    if ttl != 0 && now.wall_ms - n.stat.mtime > ttl {
                        candidates.insert(p);
                    }
                }
            }
        }
        let max = self.config.container_max_per_minute.max(1) as usize;
        for p in candidates.into_iter().take(max) {
            self.submit_server_write(
                Origin::Container,
                0,
                OpCode::DeleteContainer,
                WriteOp::DeleteContainer { path: &p },
                now,
            );
        }
    }
}

/// The write failed SESSIONMOVED, as a whole or in one op of a multi.
fn session_moved(entry: &TxnEntry, rc: &ProcessTxnResult) -> bool {
    let moved = ErrorCode::SessionMoved.code();
    match &entry.body {
        TxnBody::Error(t) => t.err == moved,
        TxnBody::Multi(_) => rc
            .multi_results
            .iter()
            .any(|sub| sub.r#type == OpCode::Error.code() && sub.err == moved),
        _ => false,
    }
}

/// `WatcherType.fromInt` in 3.8: Children, Data, Any; 4 and 5 are 3.9 additions and throw
/// (MARSHALLINGERROR).
fn watcher_type_38(v: i32) -> Option<WatcherType> {
    match v {
        1 => Some(WatcherType::Children),
        2 => Some(WatcherType::Data),
        3 => Some(WatcherType::Any),
        _ => None,
    }
}
