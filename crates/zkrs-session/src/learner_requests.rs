//! The leader's side of its learners' client traffic (`LearnerHandler` → `Leader` →
//! `LeaderZooKeeperServer`):
//!
//! - `REQUEST`: a client request a learner forwarded goes straight to prep
//!   (`submitLearnerRequest`, no touch), prepared like a local write but connection-free: the
//!   learner's authinfo are the identities and the learner owns the session. Its txn leaves as
//!   [`Output::Persist`]; once applied nothing is answered here (the learner replies).
//! - `sync`: answered with [`Output::LearnerSync`] once every txn proposed before it has been
//!   committed (`Leader.processSync`, `pendingSyncs`).
//! - `PING` replies: the session touches a learner reports keep those sessions alive.
//! - `REVALIDATE`: a reconnect on a learner; the session is touched and now owned by it.

use std::collections::VecDeque;

use bytes::Bytes;
use zkrs_jute::{Id, JuteReader, OpCode, Request};

use crate::clock::Clock;
use crate::core::{is_txn_op, Origin, ServerCore};
use crate::core_role::CoreRole;
use crate::output::Output;
use crate::prep::{Prep, WriteOp};
use crate::session_tracker::SessionOwner;

/// `Leader.pendingSyncs`: learners' syncs, each waiting for the commit of the txn that was the
/// last one proposed when it arrived.
#[derive(Debug, Clone, Default)]
pub struct LearnerSyncs {
    /// `(zxid to wait for, learner sid)`, in arrival (and so zxid) order.
    waiting: VecDeque<(i64, u64)>,
}

impl LearnerSyncs {
    /// Syncs not answered yet (`pending_syncs` in mntr).
    pub fn len(&self) -> usize {
        self.waiting.len()
    }

    /// True if no sync waits.
    pub fn is_empty(&self) -> bool {
        self.waiting.is_empty()
    }
}

/// The requests whose prep only checks the session (`pRequestHelper`'s `checkSession` group).
fn is_session_checked(op: OpCode) -> bool {
    matches!(
        op,
        OpCode::Sync
            | OpCode::Exists
            | OpCode::GetData
            | OpCode::GetAcl
            | OpCode::GetChildren
            | OpCode::GetAllChildrenNumber
            | OpCode::GetChildren2
            | OpCode::Ping
            | OpCode::SetWatches
            | OpCode::SetWatches2
            | OpCode::CheckWatches
            | OpCode::RemoveWatches
            | OpCode::GetEphemerals
            | OpCode::MultiRead
            | OpCode::AddWatch
            | OpCode::WhoAmI
    )
}

impl ServerCore {
    /// A `REQUEST` from learner `sid`: `session_id`, `cxid`, the request type `op`, the request
    /// record after the `RequestHeader`, and the authinfo the learner sent.
    ///
    /// - A write (every op that is a txn for a local client, and closeSession) is prepared as
    ///   the standalone core prepares a client's, with `auth` as the identities and the learner
    ///   as the session owner (a session owned elsewhere fails SESSIONMOVED, an unknown one
    ///   SESSIONEXPIRED). A body that does not decode is `ErrorTxn(MARSHALLINGERROR)`.
    /// - createSession (`CreateSessionTxn{timeout}`) starts tracking the learner's session id,
    ///   owned by the learner; fewer than 4 bytes is `ErrorTxn(MARSHALLINGERROR)`.
    /// - sync: [`Output::LearnerSync`] now, or once the txns proposed before it are committed.
    /// - Anything else only checks the session (which makes the learner its owner if it had
    ///   none); nothing is sent back.
    ///
    /// Ignored unless this core is the leader.
    #[allow(clippy::too_many_arguments)]
    pub fn handle_learner_request(
        &mut self,
        sid: u64,
        session_id: i64,
        cxid: i32,
        op: i32,
        request: Bytes,
        auth: Vec<Id>,
        now: Clock,
    ) {
        if self.role != CoreRole::Leader {
            return;
        }
        let owner = SessionOwner::Learner(sid);
        let Some(op) = OpCode::from_i32(op) else {
            // pRequestHelper: "unknown type", no txn.
            return;
        };
        if op == OpCode::CreateSession {
            self.prepare_learner_create_session(sid, session_id, cxid, &request, now);
            return;
        }
        let decoded = Request::decode(op.code(), &mut JuteReader::new(&request));
        if !is_txn_op(op, &decoded) {
            if is_session_checked(op) {
                let _ = self.sessions.check_session_owner(session_id, owner);
            }
            if op == OpCode::Sync {
                self.queue_learner_sync(sid);
            }
            return;
        }
        let zxid = self.next_zxid();
        let prepared = Prep::new(
            &self.tree,
            &mut self.outstanding,
            &mut self.sessions,
            &self.config,
            &auth,
            owner,
            session_id,
            zxid,
            now.wall_ms,
        )
        .with_quorum(self.quorum_view.as_ref())
        .request(op, &decoded);
        self.persist(
            session_id,
            cxid,
            zxid,
            now,
            prepared,
            Origin::Learner { op },
        );
    }

    /// A forwarded createSession (`pRequest2Txn`): `trackSession(id, timeout)` and
    /// `setOwner(id, learner)`, then the `CreateSessionTxn`.
    fn prepare_learner_create_session(
        &mut self,
        sid: u64,
        session_id: i64,
        cxid: i32,
        request: &[u8],
        now: Clock,
    ) {
        let zxid = self.next_zxid();
        let timeout_ms = request
            .get(..4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map(i32::from_be_bytes);
        if let Some(t) = timeout_ms {
            self.sessions.track_session(session_id, t, now.mono_ms);
            let _ = self
                .sessions
                .set_owner(session_id, SessionOwner::Learner(sid));
        }
        let prep = Prep::new(
            &self.tree,
            &mut self.outstanding,
            &mut self.sessions,
            &self.config,
            &[],
            SessionOwner::Learner(sid),
            session_id,
            zxid,
            now.wall_ms,
        );
        let prepared = match timeout_ms {
            Some(timeout) => prep.single(
                OpCode::CreateSession,
                Ok(WriteOp::CreateSession { timeout }),
            ),
            None => prep.marshalling_error(),
        };
        self.persist(
            session_id,
            cxid,
            zxid,
            now,
            prepared,
            Origin::Learner {
                op: OpCode::CreateSession,
            },
        );
    }

    /// `Leader.processSync`: at once if nothing is waiting to be committed, else after the last
    /// txn proposed so far.
    fn queue_learner_sync(&mut self, sid: u64) {
        match self.in_flight.back() {
            None => self.outputs.push_back(Output::LearnerSync { sid }),
            Some(f) => {
                let zxid = f.entry.header.zxid;
                self.learner_syncs.waiting.push_back((zxid, sid));
            }
        }
    }

    /// The txn `zxid` was committed: the syncs that waited for it are answered.
    pub(crate) fn release_learner_syncs(&mut self, zxid: i64) {
        while let Some(&(z, sid)) = self.learner_syncs.waiting.front() {
            if z > zxid {
                break;
            }
            self.learner_syncs.waiting.pop_front();
            self.outputs.push_back(Output::LearnerSync { sid });
        }
    }

    /// The session touches of a learner's `PING` reply (`Leader.touch`): each session that is
    /// live and not closing has its expiry pushed out by its timeout. Leader only.
    pub fn handle_session_touches(&mut self, sessions: &[(i64, i32)], now: Clock) {
        if self.role != CoreRole::Leader {
            return;
        }
        for &(session_id, timeout_ms) in sessions {
            self.sessions
                .touch_session(session_id, timeout_ms, now.mono_ms);
        }
    }

    /// `REVALIDATE` from learner `sid` (`Leader.revalidateSession`): whether the session is live
    /// (it is touched with `timeout_ms`); a live session is now owned by that learner. Always
    /// false unless this core is the leader.
    pub fn revalidate_session(
        &mut self,
        sid: u64,
        session_id: i64,
        timeout_ms: i32,
        now: Clock,
    ) -> bool {
        if self.role != CoreRole::Leader {
            return false;
        }
        // `checkIfValidGlobalSession`: the leader's own local sessions are not resumable
        // through another member.
        if self.sessions.is_local(session_id) {
            return false;
        }
        let valid = self
            .sessions
            .touch_session(session_id, timeout_ms, now.mono_ms);
        if valid {
            let _ = self
                .sessions
                .set_owner(session_id, SessionOwner::Learner(sid));
        }
        valid
    }

    /// Learners' syncs waiting for a commit (`pending_syncs`).
    pub fn pending_learner_syncs(&self) -> usize {
        self.learner_syncs.len()
    }
}
