//! [`Throttle`]: `globalOutstandingLimit` back-pressure and per-connection write back-pressure.
//!
//! ZooKeeper stops reading from a connection that has requests in flight while the server-wide
//! number of requests in flight exceeds `globalOutstandingLimit` (`ZooKeeperServer.shouldThrottle`,
//! `NIOServerCnxn.disableRecv`); no error is sent. Reader tasks call [`Throttle::wait_ready`]
//! before they hand the next request to the core; the core task releases requests as their
//! replies leave. The same wait also holds a reader back while its connection has too many
//! replies queued for a client that is not reading them.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use tokio::sync::Notify;

/// Frames queued for one connection at which its reader stops reading.
pub const WRITE_QUEUE_HIGH_WATER: usize = 1024;
/// Bytes queued for one connection at which its reader stops reading. Replies to requests
/// already handed to the core still join the queue, so a connection's queue is bounded by this
/// plus the replies to its requests in flight (themselves bounded by `globalOutstandingLimit`).
pub const WRITE_QUEUE_HIGH_WATER_BYTES: usize = 4 * 1024 * 1024;

/// Server-wide count of requests in flight, and the wake-up for readers waiting on it.
#[derive(Debug)]
pub struct Throttle {
    limit: usize,
    outstanding: AtomicUsize,
    // Readers wait on this; it is signalled whenever a reader's condition may have turned
    // false (global count back at or under the limit, a connection's count at 0, a write
    // queue under its high-water mark). `notify_waiters` wakes them all; each re-checks.
    wake: Notify,
    // Readers inside the slow path of `wait_ready`. Releases skip `notify_waiters` (a mutex)
    // while it is 0. A reader raises it before it re-checks its condition and a releaser
    // updates the counts before it reads this, all `SeqCst`: either the releaser sees the
    // reader and wakes it, or the reader sees the released counts and does not sleep.
    waiting: AtomicUsize,
}

/// The per-connection counters shared by the reader, the writer and the core task.
#[derive(Debug, Default)]
pub struct ConnCounters {
    /// Requests read from this connection and not yet answered.
    pub outstanding: AtomicUsize,
    /// Frames handed to this connection's writer and not yet written.
    pub queued_frames: AtomicUsize,
    /// Their bytes.
    pub queued_bytes: AtomicUsize,
}

impl Throttle {
    /// A throttle that engages above `limit` requests in flight.
    pub fn new(limit: usize) -> Throttle {
        Throttle {
            limit,
            outstanding: AtomicUsize::new(0),
            wake: Notify::new(),
            waiting: AtomicUsize::new(0),
        }
    }

    /// Requests in flight server-wide.
    pub fn outstanding(&self) -> usize {
        self.outstanding.load(Ordering::SeqCst)
    }

    /// True when a reader of `conn` must not hand over more requests now.
    pub fn must_wait(&self, conn: &ConnCounters) -> bool {
        let over_limit = self.outstanding() > self.limit;
        (over_limit && conn.outstanding.load(Ordering::SeqCst) > 0)
            || conn.queued_frames.load(Ordering::SeqCst) >= WRITE_QUEUE_HIGH_WATER
            || conn.queued_bytes.load(Ordering::SeqCst) >= WRITE_QUEUE_HIGH_WATER_BYTES
    }

    /// Waits until a reader of `conn` may hand over its next request.
    pub async fn wait_ready(&self, conn: &ConnCounters) {
        // The usual case, with no lock: nothing to wait for.
        if !self.must_wait(conn) {
            return;
        }
        let _waiting = WaitingGuard::enter(&self.waiting);
        loop {
            let notified = self.wake.notified();
            tokio::pin!(notified);
            // Register before checking, so a release between the check and the await is
            // not lost.
            notified.as_mut().enable();
            if !self.must_wait(conn) {
                return;
            }
            notified.await;
        }
    }

    /// Wakes the readers in `wait_ready`, if there are any.
    fn wake_waiters(&self) {
        if self.waiting.load(Ordering::SeqCst) > 0 {
            self.wake.notify_waiters();
        }
    }

    /// A reader handed one request to the core.
    pub fn acquire(&self, conn: &ConnCounters) {
        self.outstanding.fetch_add(1, Ordering::AcqRel);
        conn.outstanding.fetch_add(1, Ordering::AcqRel);
    }

    /// `n` requests of `conn` were answered or dropped.
    pub fn release(&self, conn: &ConnCounters, n: usize) {
        if n == 0 {
            return;
        }
        let before = self.outstanding.fetch_sub(n, Ordering::SeqCst);
        let conn_before = conn.outstanding.fetch_sub(n, Ordering::SeqCst);
        debug_assert!(
            before >= n && conn_before >= n,
            "released more than acquired"
        );
        if (before > self.limit && before - n <= self.limit) || conn_before == n {
            self.wake_waiters();
        }
    }

    /// `frames` frames of `len` bytes in all were queued for `conn`'s writer.
    pub fn frame_queued(&self, conn: &ConnCounters, frames: usize, len: usize) {
        conn.queued_frames.fetch_add(frames, Ordering::AcqRel);
        conn.queued_bytes.fetch_add(len, Ordering::AcqRel);
    }

    /// `conn`'s writer wrote `frames` frames of `len` bytes in all (or they were never queued).
    pub fn frame_written(&self, conn: &ConnCounters, frames: usize, len: usize) {
        let frames_before = conn.queued_frames.fetch_sub(frames, Ordering::SeqCst);
        let bytes_before = conn.queued_bytes.fetch_sub(len, Ordering::SeqCst);
        let frames_crossed = frames_before >= WRITE_QUEUE_HIGH_WATER
            && frames_before - frames < WRITE_QUEUE_HIGH_WATER;
        let bytes_crossed = bytes_before >= WRITE_QUEUE_HIGH_WATER_BYTES
            && bytes_before - len < WRITE_QUEUE_HIGH_WATER_BYTES;
        if frames_crossed || bytes_crossed {
            self.wake_waiters();
        }
    }
}

/// Counts a reader in `Throttle::waiting` for as long as it lives (also when the waiting
/// future is dropped, as when its connection is aborted).
struct WaitingGuard<'a>(&'a AtomicUsize);

impl<'a> WaitingGuard<'a> {
    fn enter(waiting: &'a AtomicUsize) -> WaitingGuard<'a> {
        waiting.fetch_add(1, Ordering::SeqCst);
        WaitingGuard(waiting)
    }
}

impl Drop for WaitingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Shared handle to a connection's counters.
pub type SharedCounters = Arc<ConnCounters>;

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn waits_only_when_over_limit_and_busy() {
        let t = Arc::new(Throttle::new(1));
        let a = Arc::new(ConnCounters::default());
        let b = Arc::new(ConnCounters::default());
        t.acquire(&a);
        t.acquire(&a);
        // Over the limit: a (which has requests in flight) waits, b (idle) does not.
        assert!(t.must_wait(&a));
        assert!(!t.must_wait(&b));
        let t2 = t.clone();
        let a2 = a.clone();
        let waiter = tokio::spawn(async move { t2.wait_ready(&a2).await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiter.is_finished());
        t.release(&a, 1);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken")
            .expect("joined");
    }
}
