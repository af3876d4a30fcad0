//! `SessionTrackerImpl` for a standalone server (and the leader's global tracker): the live
//! sessions, their expiry buckets, their owners and the session id counter.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use zkrs_jute::ErrorCode;

use crate::expiry_queue::ExpiryQueue;
use crate::password::initialize_next_session_id;

/// One tracked session (`SessionImpl`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionInfo {
    /// The timeout the session was created with.
    pub timeout_ms: i32,
    /// Set when a closeSession has been prepared (client close or expiry); the session then
    /// accepts no more requests.
    pub closing: bool,
}

/// Who a session's requests may come from (`SessionImpl.owner`): the server's own client
/// connections (`ServerCnxn.me`) or one learner (its `LearnerHandler`, named by server id).
/// A request whose owner differs from the session's fails with SESSIONMOVED.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionOwner {
    /// A client connected to this server.
    Local,
    /// A client of the learner with this server id (forwarded requests, revalidations).
    Learner(u64),
}

/// The sessions of a standalone server.
#[derive(Debug, Clone)]
pub struct SessionTracker {
    sessions: BTreeMap<i64, SessionInfo>,
    /// `sessionsWithTimeout`: sessions whose createSession txn has been applied (the set that
    /// snapshots persist).
    committed: BTreeMap<i64, i32>,
    queue: ExpiryQueue<i64>,
    next_session_id: i64,
    /// `SessionImpl.owner`, for the sessions that have one (set by the first owner check).
    owners: HashMap<i64, SessionOwner>,
    /// `LeaderSessionTracker.checkSession` without local sessions: an unknown session is
    /// SESSIONEXPIRED rather than UNKNOWNSESSION.
    unknown_is_expired: bool,
    /// `localSessionsEnabled` on a quorum member: new sessions are local (this member's only,
    /// no createSession txn) until upgraded.
    local_sessions_enabled: bool,
    /// The local sessions among `sessions` (`LocalSessionTracker`): tracked and expired here,
    /// never committed, never reported to the leader.
    local: BTreeSet<i64>,
    /// The server id in the high byte of this member's session ids.
    server_id: u8,
}

impl SessionTracker {
    /// A tracker whose buckets are `tick_time_ms` apart and whose ids start from the clock.
    pub fn new(tick_time_ms: u32, server_id: u8, now_mono: u64) -> Self {
        SessionTracker {
            sessions: BTreeMap::new(),
            committed: BTreeMap::new(),
            queue: ExpiryQueue::new(u64::from(tick_time_ms), now_mono),
            next_session_id: initialize_next_session_id(now_mono, server_id),
            owners: HashMap::new(),
            unknown_is_expired: false,
            local_sessions_enabled: false,
            local: BTreeSet::new(),
            server_id,
        }
    }

    /// `localSessionsEnabled` (quorum members only).
    pub fn set_local_sessions_enabled(&mut self, on: bool) {
        self.local_sessions_enabled = on;
    }

    /// Whether new sessions are local.
    pub fn local_sessions_enabled(&self) -> bool {
        self.local_sessions_enabled
    }

    /// `LocalSessionTracker.createSession`: the next id, tracked and expired here only.
    pub fn create_local_session(&mut self, timeout_ms: i32, now_mono: u64) -> i64 {
        let id = self.create_session(timeout_ms, now_mono);
        self.local.insert(id);
        id
    }

    /// Whether `id` is one of this member's local sessions.
    pub fn is_local(&self, id: i64) -> bool {
        self.local.contains(&id)
    }

    /// `upgradeSession`: the local session becomes global (its createSession txn follows);
    /// returns its timeout, or `None` if it is not a local session. A learner stops tracking
    /// it until the txn is committed; a leader keeps tracking it.
    pub fn upgrade_session(&mut self, id: i64, keep_tracking: bool) -> Option<i32> {
        if !self.local.remove(&id) {
            return None;
        }
        let timeout = self.sessions.get(&id).map(|s| s.timeout_ms)?;
        if !keep_tracking {
            self.sessions.remove(&id);
            self.owners.remove(&id);
            self.queue.remove(id);
        }
        Some(timeout)
    }

    /// Number of local sessions (`local_sessions`).
    pub fn local_len(&self) -> usize {
        self.local.len()
    }

    /// Makes [`Self::check_session_owner`] answer SESSIONEXPIRED for an unknown session, as the
    /// leader's `LeaderSessionTracker` does (local sessions disabled).
    pub fn set_unknown_is_expired(&mut self, on: bool) {
        self.unknown_is_expired = on;
    }

    /// `LearnerSessionTracker.createSession`: takes the next id without tracking it (a learner
    /// learns of the session when its createSession txn is committed).
    pub fn next_session_id(&mut self) -> i64 {
        let id = self.next_session_id;
        self.next_session_id = self.next_session_id.wrapping_add(1);
        id
    }

    /// `createSession(timeout)`: takes the next id and starts tracking it.
    pub fn create_session(&mut self, timeout_ms: i32, now_mono: u64) -> i64 {
        let id = self.next_session_id();
        self.track_session(id, timeout_ms, now_mono);
        id
    }

    /// `trackSession`: adds the session if unknown and (re)schedules its expiry. Returns true if
    /// it was added.
    pub fn track_session(&mut self, id: i64, timeout_ms: i32, now_mono: u64) -> bool {
        let added = !self.sessions.contains_key(&id);
        self.sessions.entry(id).or_insert(SessionInfo {
            timeout_ms,
            closing: false,
        });
        self.queue.update(id, timeout_ms.max(0) as u64, now_mono);
        added
    }

    /// `commitSession`: the createSession txn was applied.
    pub fn commit_session(&mut self, id: i64, timeout_ms: i32) -> bool {
        self.committed.insert(id, timeout_ms).is_none()
    }

    /// A learner's view of a global session whose createSession was committed
    /// (`LearnerSessionTracker.commitSession`): tracked and committed, never scheduled to
    /// expire (the leader expires sessions).
    pub fn add_global_session(&mut self, id: i64, timeout_ms: i32) {
        self.sessions.entry(id).or_insert(SessionInfo {
            timeout_ms,
            closing: false,
        });
        self.committed.insert(id, timeout_ms);
    }

    /// `touchSession`: pushes the expiry out; false if the session is unknown or closing.
    pub fn touch_session(&mut self, id: i64, timeout_ms: i32, now_mono: u64) -> bool {
        match self.sessions.get(&id) {
            Some(s) if !s.closing => {
                self.queue.update(id, timeout_ms.max(0) as u64, now_mono);
                true
            }
            _ => false,
        }
    }

    /// `setSessionClosing`.
    pub fn set_closing(&mut self, id: i64) {
        if let Some(s) = self.sessions.get_mut(&id) {
            s.closing = true;
        }
    }

    /// `removeSession`: the closeSession txn was applied.
    pub fn remove_session(&mut self, id: i64) {
        self.local.remove(&id);
        self.sessions.remove(&id);
        self.committed.remove(&id);
        self.owners.remove(&id);
        self.queue.remove(id);
    }

    /// `checkSession(id, owner)`: as [`Self::check_session`], then the first owner to check a
    /// session becomes its owner and any other one gets SESSIONMOVED.
    ///
    /// With local sessions (`LeaderSessionTracker`): an unknown session whose id does not carry
    /// this server's id is taken to be another member's local session and passes; one that
    /// carries it is SESSIONEXPIRED.
    pub fn check_session_owner(&mut self, id: i64, owner: SessionOwner) -> Result<(), ErrorCode> {
        match self.sessions.get(&id) {
            // `getServerIdFromSessionId(id) == serverId`, with Java's arithmetic shift.
            None if self.local_sessions_enabled && (id >> 56) != i64::from(self.server_id) => {
                return Ok(())
            }
            None if self.unknown_is_expired => return Err(ErrorCode::SessionExpired),
            None => return Err(ErrorCode::UnknownSession),
            Some(s) if s.closing => return Err(ErrorCode::SessionExpired),
            Some(_) => {}
        }
        match *self.owners.entry(id).or_insert(owner) {
            o if o == owner => Ok(()),
            _ => Err(ErrorCode::SessionMoved),
        }
    }

    /// `checkGlobalSession(id, owner)`: as [`Self::check_session_owner`] but an unknown id is
    /// SESSIONEXPIRED.
    pub fn check_global_session_owner(
        &mut self,
        id: i64,
        owner: SessionOwner,
    ) -> Result<(), ErrorCode> {
        if self.local.contains(&id) || !self.sessions.contains_key(&id) {
            return Err(ErrorCode::SessionExpired);
        }
        match self.check_session_owner(id, owner) {
            Err(ErrorCode::UnknownSession) => Err(ErrorCode::SessionExpired),
            r => r,
        }
    }

    /// `setOwner`: SESSIONEXPIRED for an unknown or closing session.
    pub fn set_owner(&mut self, id: i64, owner: SessionOwner) -> Result<(), ErrorCode> {
        match self.sessions.get(&id) {
            Some(s) if !s.closing => {
                self.owners.insert(id, owner);
                Ok(())
            }
            _ => Err(ErrorCode::SessionExpired),
        }
    }

    /// The session's owner, once one has been set.
    pub fn owner(&self, id: i64) -> Option<SessionOwner> {
        self.owners.get(&id).copied()
    }

    /// `checkSession`: UNKNOWNSESSION for an unknown id, SESSIONEXPIRED for a closing one.
    pub fn check_session(&self, id: i64) -> Result<(), ErrorCode> {
        match self.sessions.get(&id) {
            None => Err(ErrorCode::UnknownSession),
            Some(s) if s.closing => Err(ErrorCode::SessionExpired),
            Some(_) => Ok(()),
        }
    }

    /// `checkGlobalSession`: as [`Self::check_session`] but an unknown id is SESSIONEXPIRED.
    pub fn check_global_session(&self, id: i64) -> Result<(), ErrorCode> {
        match self.check_session(id) {
            Err(ErrorCode::UnknownSession) => Err(ErrorCode::SessionExpired),
            r => r,
        }
    }

    /// Sessions whose bucket is due at `now`; each is marked closing (the caller submits its
    /// closeSession).
    ///
    /// A session that is already closing (its closeSession is prepared but not applied yet) is
    /// not returned again.
    pub fn expire_due(&mut self, now_mono: u64) -> Vec<i64> {
        let due = self.queue.poll_due(now_mono);
        let mut out = Vec::with_capacity(due.len());
        for id in due {
            if let Some(s) = self.sessions.get_mut(&id) {
                if !s.closing {
                    s.closing = true;
                    out.push(id);
                }
            }
        }
        out
    }

    /// The monotonic time of the next expiry check.
    pub fn next_expiration_time(&self) -> u64 {
        self.queue.next_expiration_time()
    }

    /// The session, if tracked.
    pub fn get(&self, id: i64) -> Option<SessionInfo> {
        self.sessions.get(&id).copied()
    }

    /// True if the session is tracked (possibly closing).
    pub fn is_tracking(&self, id: i64) -> bool {
        self.sessions.contains_key(&id)
    }

    /// Every tracked session with its timeout, by id.
    pub fn sessions(&self) -> impl Iterator<Item = (i64, SessionInfo)> + '_ {
        self.sessions.iter().map(|(k, v)| (*k, *v))
    }

    /// Number of tracked sessions, local ones included.
    pub fn len(&self) -> usize {
        self.sessions.len()
    }

    /// Number of global sessions (`global_sessions`).
    pub fn global_len(&self) -> usize {
        self.sessions.len() - self.local.len()
    }

    /// True if no session is tracked.
    pub fn is_empty(&self) -> bool {
        self.sessions.is_empty()
    }

    /// Committed sessions with their timeouts (what a snapshot records).
    pub fn committed_sessions(&self) -> impl Iterator<Item = (i64, i32)> + '_ {
        self.committed.iter().map(|(k, v)| (*k, *v))
    }

    /// The expiry buckets, by monotonic time, with the session ids due in each (empty buckets
    /// included, as `dump` prints them).
    pub fn expiry_buckets(&self) -> Vec<(u64, Vec<i64>)> {
        self.queue
            .buckets()
            .map(|(t, s)| (t, s.iter().copied().collect()))
            .collect()
    }

    /// The monotonic time a session is due to expire.
    pub fn expiry_of(&self, id: i64) -> Option<u64> {
        self.queue.expiry_of(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifecycle() {
        let mut t = SessionTracker::new(2000, 1, 0x06_b4b7);
        let id = t.create_session(30000, 0x06_b4b7);
        assert_eq!(id, 0x0100_0006_b4b7_0000);
        assert_eq!(t.create_session(30000, 0x06_b4b7), id + 1);
        assert_eq!(t.check_session(id), Ok(()));
        assert!(t.touch_session(id, 30000, 500_000));
        t.set_closing(id);
        assert_eq!(t.check_session(id), Err(ErrorCode::SessionExpired));
        assert!(!t.touch_session(id, 30000, 500_000));
        t.remove_session(id);
        assert_eq!(t.check_session(id), Err(ErrorCode::UnknownSession));
        assert_eq!(t.check_global_session(id), Err(ErrorCode::SessionExpired));
    }

    #[test]
    fn expiry() {
        let mut t = SessionTracker::new(2000, 1, 0);
        let a = t.create_session(4000, 0); // due at 6000
        let b = t.create_session(10000, 0); // due at 12000
        assert!(t.expire_due(5999).is_empty());
        assert_eq!(t.expire_due(6000), vec![a]);
        assert_eq!(t.check_session(a), Err(ErrorCode::SessionExpired));
        assert!(t.touch_session(b, 10000, 6000)); // now due at 18000
        assert!(t.expire_due(12000).is_empty());
        assert_eq!(t.expire_due(18000), vec![b]);
    }
}
