//! [`Driver`]: the one task that owns the [`ServerCore`] (an actor). Connection tasks send it
//! [`Event`]s; it feeds them to the core, carries out the core's outputs (frames to the
//! connections' writers, closes, txns to the [`Persister`]), ticks the core's clock, expires
//! idle connections and answers four-letter words. The storage threads send it
//! [`StorageEvent`]s: "durable up to zxid" (→ `handle_committed`, which releases the replies),
//! "snapshot due" (→ a clone of the tree to the [`Snapshotter`]), and failures.
//!
//! It never awaits anything but its event queues and its timer: writers are fed with
//! `try_send`, and so is the txn log thread, so neither a client that stops reading nor a slow
//! fsync can stall the server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc::{self, error::TrySendError};
use zkrs_jute::{ClientFrame, ErrorCode, FourLetterWord, OpCode};
use zkrs_session::{Clock, ConnId, Output, ServerCore};

use crate::config::ServerConfig;
use crate::conn_entry::{connection_expiry, ConnEntry};
use crate::conn_limits::ConnLimits;
use crate::core_view::CoreView;
use crate::database::StartupStats;
use crate::error::ServerError;
use crate::event::{CloseReason, Event, WriteCmd};
use crate::four_letter::{self, FourLetterContext, DEFAULT_TRACE_MASK};
use crate::persister::Persister;
use crate::purger::Purger;
use crate::server_clock::ServerClock;
use crate::snapshotter::Snapshotter;
use crate::storage_event::StorageEvent;
use crate::throttle::Throttle;
use crate::wire_stats::WireStats;

/// How long a graceful stop waits for the txn log thread and a snapshot in progress.
const STORAGE_SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The storage side of the driver: the txn log thread's handle, its reports, background
/// snapshots and autopurge.
#[derive(Debug)]
pub struct DriverStorage {
    pub persister: Persister,
    pub events: mpsc::Receiver<StorageEvent>,
    pub snapshotter: Snapshotter,
    pub purger: Option<Purger>,
    pub startup: StartupStats,
}

/// Events handled before outputs are drained (one batch, one persister flush).
const EVENT_BATCH_MAX: usize = 64;

/// The core task's state.
#[derive(Debug)]
pub struct Driver {
    core: ServerCore,
    config: Arc<ServerConfig>,
    local_addr: SocketAddr,
    clock: ServerClock,
    events: mpsc::Receiver<Event>,
    conns: BTreeMap<ConnId, ConnEntry>,
    stats: WireStats,
    limits: Arc<ConnLimits>,
    throttle: Arc<Throttle>,
    persister: Persister,
    storage_events: mpsc::Receiver<StorageEvent>,
    snapshotter: Snapshotter,
    purger: Option<Purger>,
    trace_mask: i64,
    /// Monotonic ms of the last `handle_tick`; a core timeout at or before it is stale.
    last_tick_mono_ms: u64,
    /// Next connection-expiry sweep (every tickTime).
    next_sweep_mono_ms: u64,
}

impl Driver {
    /// A driver for a core restored from disk, and its storage.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        config: Arc<ServerConfig>,
        core: ServerCore,
        storage: DriverStorage,
        local_addr: SocketAddr,
        clock: ServerClock,
        events: mpsc::Receiver<Event>,
        limits: Arc<ConnLimits>,
        throttle: Arc<Throttle>,
    ) -> Driver {
        let now = clock.now();
        let mut stats = WireStats::default();
        stats.record_startup(&storage.startup);
        Driver {
            core,
            local_addr,
            clock,
            events,
            conns: BTreeMap::new(),
            stats,
            limits,
            throttle,
            persister: storage.persister,
            storage_events: storage.events,
            snapshotter: storage.snapshotter,
            purger: storage.purger,
            trace_mask: DEFAULT_TRACE_MASK,
            last_tick_mono_ms: now.mono_ms,
            next_sweep_mono_ms: now.mono_ms + config.tick_time_ms(),
            config,
        }
    }

    /// Runs until every event sender (the listener and all connections) is gone, then lets the
    /// storage threads finish. Returns an error if the txn log failed: from then on nothing more
    /// was acknowledged.
    pub async fn run(mut self) -> Result<(), ServerError> {
        let result = self.serve().await;
        let Driver {
            persister,
            storage_events,
            snapshotter,
            purger,
            ..
        } = self;
        // The threads report to nobody now; a send to a closed queue fails at once.
        drop(storage_events);
        persister.shutdown(STORAGE_SHUTDOWN_GRACE).await;
        snapshotter.shutdown(STORAGE_SHUTDOWN_GRACE).await;
        if let Some(purger) = purger {
            purger.shutdown().await;
        }
        tracing::debug!("core task stopped");
        result
    }

    async fn serve(&mut self) -> Result<(), ServerError> {
        loop {
            let wake_at = self.clock.instant_at(self.next_deadline());
            tokio::select! {
                event = self.events.recv() => {
                    let Some(event) = event else { break };
                    self.handle_event(event);
                    // Take what else is already queued, so one drain (and one batch for the
                    // txn log) serves them all.
                    for _ in 1..EVENT_BATCH_MAX {
                        match self.events.try_recv() {
                            Ok(event) => self.handle_event(event),
                            Err(_) => break,
                        }
                    }
                }
                stored = self.storage_events.recv() => {
                    let Some(stored) = stored else {
                        return Err(ServerError::TxnLog("the txn log thread is gone".to_owned()));
                    };
                    self.handle_storage_event(stored)?;
                    while let Ok(stored) = self.storage_events.try_recv() {
                        self.handle_storage_event(stored)?;
                    }
                }
                () = tokio::time::sleep_until(wake_at) => self.handle_timer(),
            }
            self.drain_outputs();
        }
        Ok(())
    }

    /// A report of a storage thread.
    fn handle_storage_event(&mut self, event: StorageEvent) -> Result<(), ServerError> {
        match event {
            StorageEvent::Durable {
                zxid,
                txns,
                fsync,
                fsync_slow,
            } => {
                self.stats.sync_batch_size.add(txns as u64);
                if let Some(d) = fsync {
                    self.stats.fsync_time.add(d.as_millis() as u64);
                }
                if fsync_slow {
                    self.stats.fsync_threshold_exceeded += 1;
                }
                // Persist-before-ack: the replies of these txns leave only now.
                self.core.handle_committed(zxid, self.clock.now());
            }
            StorageEvent::SnapshotDue => self.take_snapshot(),
            StorageEvent::SnapshotDone {
                path,
                zxid,
                elapsed,
            } => {
                self.snapshotter.reap();
                self.stats.snapshot_time.add(elapsed.as_millis() as u64);
                tracing::info!(
                    "Snapshot 0x{zxid:x} written to {} in {} ms",
                    path.display(),
                    elapsed.as_millis()
                );
            }
            StorageEvent::SnapshotFailed { zxid, error } => {
                self.snapshotter.reap();
                tracing::error!(
                    "Severe unrecoverable error writing snapshot 0x{zxid:x}: {error}; shutting \
                     down, as ZooKeeper does"
                );
                return Err(ServerError::Snapshot(format!(
                    "snapshot 0x{zxid:x}: {error}"
                )));
            }
            StorageEvent::Failed { error } => {
                tracing::error!(
                    "the txn log failed: {error}. Writes after zxid 0x{:x} are not acknowledged; \
                     shutting down",
                    self.core.last_processed_zxid()
                );
                return Err(ServerError::TxnLog(error));
            }
        }
        Ok(())
    }

    /// Hands a frozen view of the tree at its last applied txn to the snapshot thread.
    fn take_snapshot(&mut self) {
        if self.snapshotter.busy() {
            tracing::warn!("Too busy to snap, skipping");
            return;
        }
        let t = Instant::now();
        let tree = self.core.tree().view();
        let sessions = self.core.committed_sessions();
        let zxid = tree.last_processed_zxid();
        if self.snapshotter.start(tree, sessions, None) {
            self.stats.snapshots += 1;
            tracing::info!(
                "Creating new snapshot 0x{zxid:x} in {} (view taken in {} µs)",
                self.snapshotter.dir().display(),
                t.elapsed().as_micros()
            );
        }
    }

    /// The earlier of the core's next timeout and the next connection sweep.
    fn next_deadline(&self) -> u64 {
        match self.core.poll_timeout() {
            Some(t) if t > self.last_tick_mono_ms => t.min(self.next_sweep_mono_ms),
            _ => self.next_sweep_mono_ms,
        }
    }

    fn handle_timer(&mut self) {
        let now = self.clock.now();
        self.last_tick_mono_ms = now.mono_ms;
        self.core.handle_tick(now);
        if now.mono_ms >= self.next_sweep_mono_ms {
            self.expire_connections(now);
            self.next_sweep_mono_ms = now.mono_ms + self.config.tick_time_ms();
        }
    }

    /// `NIOServerCnxnFactory`'s connection expirer: a connection that has read nothing for its
    /// session timeout (or `sessionlessCnxnTimeout` before it has a session), rounded up to the
    /// expiry interval, is closed.
    fn expire_connections(&mut self, now: Clock) {
        let sessionless = self.config.sessionless_cnxn_timeout_ms;
        let interval = sessionless.max(1);
        for (conn, e) in self.conns.iter_mut() {
            if e.closing {
                continue;
            }
            let expiry = connection_expiry(
                e.last_activity_mono_ms,
                e.session_timeout_ms,
                sessionless,
                interval,
            );
            if now.mono_ms >= expiry {
                tracing::info!(
                    conn,
                    remote = %e.remote,
                    session = format_args!("0x{:x}", e.session_id),
                    "closing idle connection"
                );
                self.stats.connections_expired += 1;
                e.closing = true;
                e.link.abort.notify_one();
            }
        }
    }

    fn handle_event(&mut self, event: Event) {
        match event {
            Event::Opened { conn, remote, link } => {
                let now = self.clock.now();
                self.core.handle_connection_opened(conn, remote);
                self.conns
                    .insert(conn, ConnEntry::new(conn, remote, link, now.mono_ms));
            }
            Event::Frame {
                conn,
                frame,
                wire_len,
            } => self.handle_frame(conn, frame, wire_len),
            Event::Closed { conn, reason } => self.handle_closed(conn, &reason),
        }
    }

    fn handle_closed(&mut self, conn: ConnId, _reason: &CloseReason) {
        if let Some(mut e) = self.conns.remove(&conn) {
            let in_flight = e.drain_pending();
            self.throttle.release(&e.link.counters, in_flight);
            self.core.handle_connection_closed(conn);
        }
    }

    fn handle_frame(&mut self, conn: ConnId, frame: ClientFrame, wire_len: usize) {
        let now = self.clock.now();
        let Some(e) = self.conns.get_mut(&conn) else {
            debug_assert!(false, "frame from unknown connection {conn}");
            return;
        };
        self.stats.bytes_received += wire_len as u64;
        e.last_activity_mono_ms = now.mono_ms;
        let counted = !matches!(frame, ClientFrame::FourLetter { .. });
        if e.closing {
            // Read before the close took effect: drop it, and its place in the throttle.
            if counted {
                self.throttle.release(&e.link.counters, 1);
            }
            return;
        }
        match frame {
            ClientFrame::FourLetter { word, arg } => {
                e.four_letter = true;
                self.four_letter(conn, word, arg, now);
            }
            ClientFrame::Connect(req) => {
                e.push_connect(now.mono_ms);
                self.core.handle_connect(conn, req, now);
            }
            ClientFrame::Request { header, request } => {
                e.push_request(header.xid, OpCode::from_i32(header.r#type), now.mono_ms);
                self.core.handle_request(conn, header, request, now);
            }
        }
    }

    fn four_letter(&mut self, conn: ConnId, word: FourLetterWord, arg: Option<i64>, now: Clock) {
        let remote = self.conns.get(&conn).map(|e| e.remote);
        // ZooKeeper counts the word as a packet received before running it.
        self.core.note_four_letter_word();
        let text = if self.config.four_letter_whitelist.is_word_allowed(word) {
            tracing::debug!(conn, ?remote, "processing {} command", word.name());
            match word {
                FourLetterWord::Crst => self.core.reset_connection_stats(),
                FourLetterWord::Srst => {
                    self.core.reset_server_stats();
                    self.stats.reset();
                    self.limits.reset_counters();
                }
                FourLetterWord::Stmk => {
                    if let Some(mask) = arg {
                        self.trace_mask = mask;
                    }
                }
                _ => {}
            }
            let ctx = FourLetterContext {
                core: CoreView::new(&self.core),
                config: &self.config,
                local_addr: self.local_addr,
                conns: &self.conns,
                stats: &self.stats,
                limits: &self.limits,
                throttle: &self.throttle,
                now,
                uptime_ms: self.clock.uptime_ms(),
                trace_mask: self.trace_mask,
            };
            four_letter::render(word, arg, &ctx)
        } else {
            tracing::debug!(
                conn,
                ?remote,
                "command {} is not executed because it is not in the whitelist",
                word.name()
            );
            four_letter::refusal(word)
        };
        self.queue(conn, WriteCmd::Bytes(Bytes::from(text)));
        self.close(conn);
    }

    /// Carries out everything the core has asked for; txns go to the txn log thread in one
    /// batch (their replies are released when it reports them durable).
    fn drain_outputs(&mut self) {
        while let Some(output) = self.core.poll_output() {
            match output {
                Output::Send { conn, frame } => self.send_frame(conn, frame),
                Output::Close { conn } => self.close(conn),
                Output::Persist { entry } => self.persister.append(entry),
            }
        }
        self.persister.submit();
    }

    fn send_frame(&mut self, conn: ConnId, frame: Bytes) {
        let now = self.clock.now();
        let Some(e) = self.conns.get_mut(&conn) else {
            return;
        };
        if e.closing {
            return;
        }
        let effect = e.observe_send(&frame, now.mono_ms);
        self.throttle.release(&e.link.counters, effect.released);
        let s = &mut self.stats;
        s.response_bytes += frame.len() as u64;
        if let Some(done) = effect.completed {
            // Auth and SASL are answered before ZooKeeper's pipeline: no latency for them.
            let auth = matches!(done.op, Some(OpCode::Auth | OpCode::Sasl));
            if !auth {
                let write = done.connect || done.op.is_some_and(OpCode::is_write);
                if write {
                    s.update_latency.add(done.latency_ms);
                } else {
                    s.read_latency.add(done.latency_ms);
                }
            }
            if !done.connect {
                s.client_response_size.add(done.response_size as i64);
            }
            if auth && done.err == ErrorCode::AuthFailed.code() {
                s.auth_failed += 1;
            }
        }
        self.queue(conn, WriteCmd::Bytes(frame));
    }

    /// Queues a close after what was queued before.
    fn close(&mut self, conn: ConnId) {
        if let Some(e) = self.conns.get_mut(&conn) {
            if e.closing {
                return;
            }
            e.closing = true;
        }
        self.queue(conn, WriteCmd::Close);
    }

    /// Hands one command to the connection's writer without waiting. A full queue means the
    /// client has not read its replies for a long time: the connection is closed at once.
    fn queue(&mut self, conn: ConnId, cmd: WriteCmd) {
        let Some(e) = self.conns.get_mut(&conn) else {
            return;
        };
        let len = match &cmd {
            WriteCmd::Bytes(b) => Some(b.len()),
            WriteCmd::Close => None,
        };
        if let Some(len) = len {
            self.throttle.frame_queued(&e.link.counters, len);
        }
        match e.link.writer.try_send(cmd) {
            Ok(()) => {}
            Err(err) => {
                if let Some(len) = len {
                    self.throttle.frame_written(&e.link.counters, len);
                }
                if let TrySendError::Full(_) = err {
                    tracing::warn!(
                        conn,
                        remote = %e.remote,
                        "client is not reading its replies; closing the connection"
                    );
                    e.closing = true;
                    e.link.abort.notify_one();
                }
            }
        }
    }
}
