//! The apply step shared by every role: a committed txn (a local write, a learner's request on
//! the leader, or a txn the leader committed, replayed or sent while syncing a learner) updates
//! the sessions and the tree, fires watches, and answers whoever here waits for it
//! (`ZooKeeperServer.processTxn` + `FinalRequestProcessor`).

use zkrs_jute::{perms, Jute, OpCode, ReplyHeader, TxnBody};

use crate::auth::check_acl;
use crate::clock::Clock;
use crate::core::{
    InFlight, Origin, ServerCore, ZxidDigest, DIGEST_LOG_INTERVAL, DIGEST_LOG_LIMIT,
};

impl ServerCore {
    /// Applies one committed txn: session bookkeeping, the tree, notifications, then the reply.
    pub(crate) fn apply(&mut self, f: InFlight, now: Clock) {
        let hdr = &f.entry.header;
        let (session_id, zxid, txn_type) = (hdr.client_id, hdr.zxid, hdr.r#type);
        // processTxnForSessionEvents: keyed on the request type (the local request's, when one
        // waits here), else on the txn type.
        let request_type = match f.origin {
            Origin::Client { op, .. } | Origin::Learner { op } => Some(op),
            Origin::CreateSession { .. } => Some(OpCode::CreateSession),
            Origin::Expiry => Some(OpCode::CloseSession),
            Origin::Container => None,
            Origin::Remote => OpCode::from_i32(txn_type),
        };
        match request_type {
            Some(OpCode::CreateSession) => {
                if let TxnBody::CreateSession(t) = &f.entry.body {
                    self.commit_session(session_id, t.time_out);
                }
            }
            Some(OpCode::CloseSession) => self.remove_session(session_id),
            _ => {}
        }
        let rc = self.tree.process_txn(hdr, &f.entry.body);
        self.outstanding.applied(zxid);
        // A learner hands out no zxids, but keeps up so that it may lead later.
        self.hzxid = self.hzxid.max(zxid);
        if zxid % DIGEST_LOG_INTERVAL == 0 {
            self.digest_log.push_back(ZxidDigest {
                zxid,
                digest_version: zkrs_datatree::digest::DIGEST_VERSION,
                digest: self.tree.digest(),
            });
            if self.digest_log.len() > DIGEST_LOG_LIMIT {
                self.digest_log.pop_front();
            }
        }
        self.dispatch_watch_events();
        match f.origin {
            Origin::Client {
                conn,
                xid,
                op,
                recv_mono,
            } => self.reply_write(conn, xid, op, &f.entry, &rc, recv_mono, now),
            Origin::CreateSession { conn, recv_mono } => {
                let Some(c) = self.connections.get_mut(&conn) else {
                    return;
                };
                if c.closing || c.session_id != session_id {
                    return;
                }
                let last = self.tree.last_processed_zxid();
                c.stats
                    .update_for_response(0, last, "SESS", recv_mono, now.mono_ms);
                self.stats
                    .latency
                    .add(now.mono_ms as i64 - recv_mono as i64);
                self.finish_session_init(conn, true, now);
            }
            Origin::Expiry => self.close_session_conn(session_id),
            // FinalRequestProcessor: a closeSession txn nobody here waits for (a session that
            // expired on the leader, or was closed through another server) closes the session's
            // connection to this server.
            Origin::Learner { .. } | Origin::Remote => {
                if txn_type == OpCode::CloseSession.code() {
                    self.close_session_conn(session_id);
                }
            }
            Origin::Container => {}
        }
    }

    /// `commitSession`: the createSession txn was applied. A learner tracks the session without
    /// expiring it (`LearnerSessionTracker`: the leader expires sessions) and reports it in its
    /// next ping.
    fn commit_session(&mut self, session_id: i64, timeout_ms: i32) {
        if self.role.is_learner() {
            self.sessions.add_global_session(session_id, timeout_ms);
            self.learner.touch(session_id, timeout_ms);
        } else {
            self.sessions.commit_session(session_id, timeout_ms);
        }
    }

    /// `removeSession`: the closeSession txn was applied.
    fn remove_session(&mut self, session_id: i64) {
        self.sessions.remove_session(session_id);
        if self.role.is_learner() {
            self.learner.forget_touch(session_id);
        }
    }

    /// Closes the connection currently bound to the session, if any.
    pub(crate) fn close_session_conn(&mut self, session_id: i64) {
        if let Some(&conn) = self.session_conns.get(&session_id) {
            self.close_conn(conn);
        }
    }

    /// Sends every fired watch as a notification: `ReplyHeader(-1, -1, 0)` + `WatcherEvent`
    /// (ZooKeeper 3.5–3.8 put -1 in the zxid).
    ///
    /// An event about a znode is delivered only if the watching connection, with the identities
    /// it has now, may READ that znode (`ServerCnxn.process(event, znodeAcl)` →
    /// `checkACL(cnxn, acl, READ, authInfo)`, the CVE-2024-23944 fix of 3.8.4/3.9.2, backported by
    /// Debian's 3.8.0-11+deb12u2). The ACL is the created/changed/deleted node's for
    /// NodeCreated/NodeDataChanged/NodeDeleted and the parent's for NodeChildrenChanged; it applies
    /// to every watch kind. Events from setWatches carry no ACL and are never filtered. A watch
    /// whose event is filtered is consumed all the same.
    pub(crate) fn dispatch_watch_events(&mut self) {
        for ev in self.tree.take_watch_events() {
            if let Some(acl) = &ev.path_acl {
                let Some(c) = self.connections.get(&ev.watcher) else {
                    continue;
                };
                if check_acl(self.config.skip_acl, acl, perms::READ, c.auth.as_slice()).is_err() {
                    continue;
                }
            }
            let header = ReplyHeader {
                xid: zkrs_jute::xid::NOTIFICATION,
                zxid: -1,
                err: 0,
            };
            self.send_with(ev.watcher, |out| {
                header.write_to(out);
                ev.event.write_to(out);
            });
        }
    }
}
