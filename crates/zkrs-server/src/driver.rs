//! [`Driver`]: the one task that owns the [`ServerCore`] (an actor). Connection tasks send it
//! [`Event`]s; it feeds them to the core, carries out the core's outputs (frames to the
//! connections' writers, closes, txns to the [`Persister`]), ticks the core's clock, expires
//! idle connections and answers four-letter words. The storage threads send it
//! [`StorageEvent`]s: "durable up to zxid" (→ `handle_committed`, which releases the replies),
//! "snapshot due" (→ a clone of the tree to the [`Snapshotter`]), and failures.
//!
//! It never awaits anything but its event queues and its timer: writers are fed with
//! `try_send` (or, when a connection's writer is idle, the socket is written with a
//! non-blocking `try_write`), and so is the txn log thread, so neither a client that stops
//! reading nor a slow fsync can stall the server. The replies of one loop iteration leave for
//! each connection as one buffer.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tokio::sync::mpsc::{self, error::TrySendError};
use zkrs_jute::{ClientFrame, ErrorCode, FourLetterWord, OpCode};
use zkrs_session::{Clock, ConnId, Notice, Output, ServerCore};

use crate::config::ServerConfig;
use crate::conn_entry::{connection_expiry, ConnEntry};
use crate::conn_limits::ConnLimits;
use crate::connection::WRITE_QUEUE_CAPACITY;
use crate::core_view::CoreView;
use crate::database::{Database, StartupStats};
use crate::error::ServerError;
use crate::event::{CloseReason, Event, WriteCmd};
use crate::four_letter::{self, FourLetterContext, DEFAULT_TRACE_MASK};
use crate::http::HttpCall;
use crate::persister::Persister;
use crate::purger::Purger;
use crate::server_clock::ServerClock;
use crate::snapshotter::Snapshotter;
use crate::storage_event::StorageEvent;
use crate::throttle::Throttle;
use crate::wire_stats::WireStats;

mod admin;
mod metrics;
pub mod quorum;
pub mod read_only;
pub mod reconfig;
use quorum::{PendingReload, QuorumState, Role};

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
    /// Connections whose `ConnEntry::out` holds frames to hand to their writer.
    dirty: Vec<ConnId>,
    /// Where a batch is gathered for a direct write (reused).
    scratch: BytesMut,
    /// The quorum member's election, role and links (`None`: standalone).
    quorum: Option<QuorumState>,
    /// Requests of the AdminServer and the metrics endpoint.
    http_calls: mpsc::Receiver<HttpCall>,
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
        quorum: Option<QuorumState>,
        http_calls: mpsc::Receiver<HttpCall>,
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
            dirty: Vec::new(),
            scratch: BytesMut::new(),
            quorum,
            config,
            http_calls,
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
        // One timer, moved when the deadline moves (it rarely does: the core's deadlines are
        // tick-aligned), rather than a new timer entry per iteration.
        let timer = tokio::time::sleep_until(self.clock.instant_at(self.next_deadline()));
        tokio::pin!(timer);
        if self.quorum.is_some() {
            self.quorum_start();
            self.drain_outputs()?;
        }
        loop {
            if let Some(reload) = self.quorum.as_mut().and_then(|q| q.pending_reload.take()) {
                self.quorum_reload(reload).await?;
                self.drain_outputs()?;
                continue;
            }
            let wake_at = self.clock.instant_at(self.next_deadline());
            if timer.deadline() != wake_at {
                timer.as_mut().reset(wake_at);
            }
            tokio::select! {
                event = self.events.recv() => {
                    let Some(event) = event else { break };
                    // One clock read per batch: the core's clocks are in milliseconds.
                    let now = self.clock.now();
                    self.handle_event(event, now);
                    // Take what else is already queued, so one drain (and one batch for the
                    // txn log) serves them all.
                    for _ in 1..EVENT_BATCH_MAX {
                        match self.events.try_recv() {
                            Ok(event) => self.handle_event(event, now),
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
                () = &mut timer => self.handle_timer(),
                Some(call) = self.http_calls.recv() => self.handle_http_call(call),
                input = recv_quorum(self.quorum.as_mut()) => match input {
                    QuorumInput::Election(from, payload) => {
                        self.handle_election_message(from, payload)
                    }
                    QuorumInput::Peer(ev) => self.handle_peer_event(ev),
                    QuorumInput::Storage(generation, ev) => {
                        self.handle_quorum_storage_event(generation, ev)
                    }
                    // On shutdown the connection manager ends first; the client events
                    // queue then ends the loop.
                    QuorumInput::Closed => {
                        let stopping = self.quorum.as_ref().is_some_and(|q| *q.shutdown.borrow());
                        if !stopping {
                            return Err(ServerError::Quorum("the quorum channels closed".into()));
                        }
                        if let Some(q) = self.quorum.as_mut() {
                            q.channels_closed = true;
                        }
                    }
                },
            }
            self.drain_outputs()?;
        }
        Ok(())
    }

    /// An AdminServer or metrics request; the HTTP task may have given up waiting.
    fn handle_http_call(&mut self, call: HttpCall) {
        match call {
            HttpCall::Admin {
                name,
                params,
                reply,
            } => {
                let _ = reply.send(self.admin_command(&name, &params));
            }
            HttpCall::Metrics { names, reply } => {
                let _ = reply.send(self.metrics_exposition(&names));
            }
        }
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
                let now_ms = self.clock.now().mono_ms;
                let fsync_ms = fsync.map_or(0, |d| d.as_millis() as u64);
                self.stats.txns_durable(zxid, fsync_ms, now_ms);
                if matches!(
                    self.quorum.as_ref().map(|q| &q.role),
                    Some(Role::Following(_) | Role::Observing(_))
                ) {
                    self.stats.quorum.learner_logged(zxid, now_ms);
                }
                if fsync_slow {
                    self.stats.fsync_threshold_exceeded += 1;
                }
                self.persister.note_durable(zxid, fsync);
                match self.quorum.as_mut().map(|q| &mut q.role) {
                    // Persist-before-ack: the replies of these txns leave only now.
                    None => self.core.handle_committed(zxid, self.clock.now()),
                    // In a quorum, durable is the member's own ACK; the commit comes from the
                    // leader's quorum.
                    Some(Role::Leading(l)) => l.handle_logged(zkrs_jute::Zxid(zxid)),
                    Some(Role::Following(l) | Role::Observing(l)) => {
                        l.handle_logged(zkrs_jute::Zxid(zxid), self.clock.now().mono_ms)
                    }
                    Some(Role::Looking) => {}
                }
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

    /// Logs the core's session events in ZooKeeper's words (`ZooKeeperServer.expire`,
    /// `finishSessionInit`).
    fn log_notices(&mut self) {
        while let Some(n) = self.core.poll_notice() {
            let client = |conn: &ConnId| {
                self.conns.get(conn).map_or_else(
                    || "<closed>".to_owned(),
                    |e| crate::java_fmt::socket_addr(e.remote),
                )
            };
            match n {
                Notice::SessionExpired {
                    session_id,
                    timeout_ms,
                } => tracing::info!(
                    "Expiring session 0x{session_id:x}, timeout of {timeout_ms}ms exceeded"
                ),
                Notice::SessionInvalid { conn, session_id } => tracing::info!(
                    "Invalid session 0x{session_id:x} for client {}, probably expired",
                    client(&conn)
                ),
                Notice::SessionEstablished {
                    conn,
                    session_id,
                    timeout_ms,
                } => tracing::debug!(
                    "Established session 0x{session_id:x} with negotiated timeout {timeout_ms} \
                     for client {}",
                    client(&conn)
                ),
            }
        }
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
            // `FileTxnSnapLog.save`'s wording, which operators grep for.
            tracing::info!(
                "Snapshotting: 0x{zxid:x} to {}",
                self.snapshotter.file_for(zxid).display()
            );
            tracing::debug!("snapshot view taken in {} µs", t.elapsed().as_micros());
        }
    }

    /// The earlier of the core's next timeout and the next connection sweep.
    fn next_deadline(&self) -> u64 {
        let t = match self.core.poll_timeout() {
            Some(t) if t > self.last_tick_mono_ms => t.min(self.next_sweep_mono_ms),
            _ => self.next_sweep_mono_ms,
        };
        match self.quorum_timeout() {
            Some(q) => t.min(q.max(self.last_tick_mono_ms + 1)),
            None => t,
        }
    }

    fn handle_timer(&mut self) {
        let now = self.clock.now();
        self.last_tick_mono_ms = now.mono_ms;
        self.core.handle_tick(now);
        self.quorum_tick(now.mono_ms);
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
                e.mark_closing();
                e.link.abort.notify_one();
            }
        }
    }

    fn handle_event(&mut self, event: Event, now: Clock) {
        match event {
            Event::Opened { conn, remote, link } => {
                self.core.handle_connection_opened(conn, remote);
                self.conns
                    .insert(conn, ConnEntry::new(conn, remote, link, now.mono_ms));
            }
            Event::Frame {
                conn,
                frame,
                wire_len,
            } => self.handle_frame(conn, frame, wire_len, now),
            Event::Frames { conn, frames } => {
                for (frame, wire_len) in frames {
                    self.handle_frame(conn, frame, wire_len, now);
                }
            }
            Event::Closed { conn, reason } => self.handle_closed(conn, &reason),
        }
    }

    fn handle_closed(&mut self, conn: ConnId, _reason: &CloseReason) {
        if let Some(mut e) = self.conns.remove(&conn) {
            // `NIOServerCnxn.closeSock`'s wording (DEBUG there too).
            if tracing::enabled!(tracing::Level::DEBUG) {
                let session = if e.session_id != 0 {
                    format!("which had sessionid 0x{:x}", e.session_id)
                } else {
                    "(no session established for client)".to_owned()
                };
                tracing::debug!(
                    "Closed socket connection for client {} {session}",
                    crate::java_fmt::socket_addr(e.remote)
                );
            }
            let in_flight = e.drain_pending();
            self.throttle.release(&e.link.counters, in_flight);
            self.core.handle_connection_closed(conn);
        }
    }

    fn handle_frame(&mut self, conn: ConnId, frame: ClientFrame, wire_len: usize, now: Clock) {
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

    /// Runs `f` on the [`FourLetterContext`] of the server's current state: what the
    /// four-letter words, the AdminServer and the metrics exposition read.
    pub(crate) fn with_four_letter_context<R>(
        &self,
        now: Clock,
        f: impl FnOnce(&FourLetterContext<'_>) -> R,
    ) -> R {
        let quorum = self.quorum_info(now.mono_ms);
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
            quorum: quorum.as_ref(),
        };
        f(&ctx)
    }

    fn four_letter(&mut self, conn: ConnId, word: FourLetterWord, arg: Option<i64>, now: Clock) {
        let remote = self.conns.get(&conn).map(|e| e.remote);
        // ZooKeeper counts the word as a packet received before running it.
        self.core.note_four_letter_word();
        let not_serving = self.quorum.is_some() && !self.core.is_serving();
        let text = if not_serving
            && word == FourLetterWord::Isro
            && self.config.four_letter_whitelist.is_word_allowed(word)
        {
            // `IsroCommand` without a running server.
            "null".to_string()
        } else if not_serving
            && word != FourLetterWord::Ruok
            && self.config.four_letter_whitelist.is_word_allowed(word)
        {
            // A quorum member without a quorum (`ZK_NOT_SERVING`).
            "This ZooKeeper instance is not currently serving requests\n".to_string()
        } else if self.config.four_letter_whitelist.is_word_allowed(word) {
            tracing::debug!(conn, ?remote, "processing {} command", word.name());
            match word {
                FourLetterWord::Crst => self.reset_connection_stats(),
                FourLetterWord::Srst => self.reset_server_stats(),
                FourLetterWord::Stmk => {
                    if let Some(mask) = arg {
                        self.set_trace_mask(mask);
                    }
                }
                _ => {}
            }
            self.with_four_letter_context(now, |ctx| four_letter::render(word, arg, ctx))
        } else {
            tracing::debug!(
                conn,
                ?remote,
                "command {} is not executed because it is not in the whitelist",
                word.name()
            );
            four_letter::refusal(word)
        };
        self.push_out(conn, Bytes::from(text));
        self.close(conn);
    }

    /// `crst` / `connection_stat_reset`: every connection's statistics.
    fn reset_connection_stats(&mut self) {
        self.core.reset_connection_stats();
    }

    /// `srst` / `stat_reset`: the server's statistics (`ServerStats.reset`).
    fn reset_server_stats(&mut self) {
        self.core.reset_server_stats();
        self.stats.reset();
        self.limits.reset_counters();
    }

    /// `stmk` / `set_trace_mask`.
    fn set_trace_mask(&mut self, mask: i64) {
        self.trace_mask = mask;
    }

    /// Carries out everything the core has asked for; txns go to the txn log thread in one
    /// batch (their replies are released when it reports them durable). The frames for each
    /// connection are gathered and handed to its writer as one buffer at the end (or before a
    /// close), so all the replies of one iteration leave in one `send()`.
    fn drain_outputs(&mut self) -> Result<(), ServerError> {
        // One clock read for the whole drain (the reply latencies are in milliseconds), not
        // two per reply.
        let now_mono_ms = self.clock.now().mono_ms;
        self.log_notices();
        loop {
            while let Some(output) = self.core.poll_output() {
                match output {
                    Output::Send { conn, frame } => self.send_frame(conn, frame, now_mono_ms),
                    Output::Close { conn } => self.close(conn),
                    Output::Persist { entry } => self.route_persist(entry, now_mono_ms),
                    Output::Forward {
                        session_id,
                        cxid,
                        op,
                        request,
                        auth,
                    } => match self.quorum.as_mut().map(|q| &mut q.role) {
                        Some(Role::Following(l) | Role::Observing(l)) => {
                            let _ = l.forward_request(session_id, cxid, op, request, auth);
                        }
                        // The leader's own client's sync.
                        Some(Role::Leading(l)) if op == OpCode::Sync.code() => l.sync_local(),
                        _ => {}
                    },
                    Output::Revalidate {
                        session_id,
                        timeout_ms,
                    } => {
                        if let Some(Role::Following(l) | Role::Observing(l)) =
                            self.quorum.as_mut().map(|q| &mut q.role)
                        {
                            let _ = l.revalidate(session_id, timeout_ms);
                        }
                    }
                    // The leader engine answers forwarded syncs itself (`Leader.processSync`).
                    Output::LearnerSync { .. } => {}
                }
            }
            if self.pump_quorum() {
                continue;
            }
            // On an otherwise idle server the persister may commit a lone batch on this task
            // and hand back the thread's reports, whose replies are drained next.
            let requests_in_server = if self.events.is_empty() {
                self.throttle.outstanding()
            } else {
                usize::MAX
            };
            let committed = self.persister.submit(requests_in_server);
            if committed.is_empty() {
                break;
            }
            for event in committed {
                self.handle_storage_event(event)?;
            }
        }
        self.flush_all();
        Ok(())
    }

    fn send_frame(&mut self, conn: ConnId, frame: Bytes, now_mono_ms: u64) {
        let Some(e) = self.conns.get_mut(&conn) else {
            return;
        };
        if e.closing {
            return;
        }
        let effect = e.observe_send(&frame, now_mono_ms);
        self.throttle.release(&e.link.counters, effect.released);
        let s = &mut self.stats;
        s.response_bytes += frame.len() as u64;
        // A notification's reply header has xid -1 (after the 4-byte length).
        if frame.get(4..8) == Some(&[0xff; 4][..]) {
            s.watch_bytes += frame.len().saturating_sub(4) as u64;
        }
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
        self.push_out(conn, frame);
    }

    /// Appends a frame to the connection's batch for this iteration.
    fn push_out(&mut self, conn: ConnId, frame: Bytes) {
        let Some(e) = self.conns.get_mut(&conn) else {
            return;
        };
        if e.out.push(frame) {
            self.dirty.push(conn);
        }
    }

    /// Hands every connection's batch to its writer.
    fn flush_all(&mut self) {
        let mut dirty = std::mem::take(&mut self.dirty);
        for conn in dirty.drain(..) {
            self.flush(conn);
        }
        // Keep the vector's allocation for the next iteration.
        self.dirty = dirty;
    }

    /// Sends the connection's batch (if any): written to the socket at once when the writer
    /// has nothing pending and the socket takes it all, else (the rest) handed to the writer
    /// as one command.
    fn flush(&mut self, conn: ConnId) {
        let Some(e) = self.conns.get_mut(&conn) else {
            return;
        };
        if e.closing {
            // Aborted (expired, or not reading) after the frames were gathered: as before
            // batching, nothing more is written to it.
            e.out.clear();
            return;
        }
        let direct = match &e.link.socket {
            // `queued_frames` is raised only here (this task) and lowered by the writer once
            // its write completed: at 0 the writer holds nothing unwritten, so writing here
            // keeps the order.
            Some(socket) if e.link.counters.queued_frames.load(Ordering::Acquire) == 0 => {
                Some(socket)
            }
            _ => None,
        };
        let (bytes, frames) = match direct {
            Some(socket) => {
                // Gathered in a reused buffer: no allocation when the socket takes it all.
                let scratch = &mut self.scratch;
                scratch.clear();
                let frames = e.out.take_into(scratch);
                if frames == 0 {
                    return;
                }
                // A full socket or an error leaves the rest to the writer (which waits for
                // room, or meets the error and closes the connection as before).
                let rest = match socket.try_write(scratch) {
                    Ok(n) => &scratch[n..],
                    Err(_) => &scratch[..],
                };
                if rest.is_empty() {
                    return;
                }
                (Bytes::copy_from_slice(rest), frames)
            }
            None => match e.out.take() {
                Some(batch) => batch,
                None => return,
            },
        };
        self.queue(conn, WriteCmd::Frames { bytes, frames });
    }

    /// Queues a close after what was queued before (the connection's batch is flushed first).
    /// Where a txn the core prepared goes: the txn log (standalone), or a proposal to the
    /// ensemble (leader). A learner prepares none (it forwards writes).
    fn route_persist(&mut self, entry: zkrs_jute::TxnEntry, now_mono_ms: u64) {
        let Some(q) = self.quorum.as_mut() else {
            let queued = self.persister.queued();
            self.stats
                .txn_queued(entry.header.zxid, queued, now_mono_ms);
            self.persister.append(entry);
            return;
        };
        let Role::Leading(l) = &mut q.role else {
            tracing::error!(
                "txn 0x{:x} prepared while not leading; dropped",
                entry.header.zxid
            );
            return;
        };
        let zxid = zkrs_jute::Zxid(entry.header.zxid);
        let bytes = Bytes::from(entry.encode());
        q.proposed.push_back(entry);
        if let Err(e) = l.propose(zxid, bytes) {
            let reason = format!("cannot propose {zxid}: {e}");
            self.end_role(reason);
        }
    }

    /// Reloads the database from disk after a role ended (or for a TRUNC), with the txn log
    /// made durable first, then steps the quorum engines on (`QuorumPeer`'s
    /// `fastForwardDataBase` and `ZKDatabase.truncateLog`).
    async fn quorum_reload(&mut self, reload: PendingReload) -> Result<(), ServerError> {
        let Some(events_tx) = self.quorum.as_ref().map(|q| q.storage_events_tx.clone()) else {
            return Ok(());
        };
        let old = std::mem::replace(&mut self.persister, Persister::detached());
        old.shutdown(STORAGE_SHUTDOWN_GRACE).await;
        // Durable reports of the old log thread belong to the ended role.
        while let Ok(ev) = self.storage_events.try_recv() {
            if !matches!(ev, StorageEvent::Durable { .. }) {
                self.handle_storage_event(ev)?;
            }
        }
        let config = Arc::clone(&self.config);
        if let PendingReload::SnapTruncate(z) = reload {
            // The tree is the leader's snapshot: only the log is cut, then the snapshot is
            // written and the learner told.
            let storage = tokio::task::spawn_blocking(move || {
                crate::database::truncate(&config, z.raw())?;
                crate::database::open_storage(&config)
            })
            .await
            .map_err(|e| ServerError::CoreTask(format!("truncating the txn log: {e}")))??;
            self.persister = crate::server::start_txn_log(&self.config, storage, events_tx)?;
            self.spawn_learner_snapshot(z);
            return Ok(());
        }
        let truncate = match &reload {
            PendingReload::Truncate(z) => Some(*z),
            PendingReload::Election | PendingReload::SnapTruncate(_) => None,
        };
        let db = tokio::task::spawn_blocking(move || {
            if let Some(z) = truncate {
                crate::database::truncate(&config, z.raw())?;
            }
            Database::load(&config)
        })
        .await
        .map_err(|e| ServerError::CoreTask(format!("reloading the database: {e}")))??;
        let now = self.clock.now();
        let Database {
            storage,
            tree,
            sessions,
            recent_txns,
            ..
        } = db;
        if let Some(q) = self.quorum.as_mut() {
            q.committed_log =
                crate::database::committed_log_of(&recent_txns, q.zab.commit_log_count);
        }
        let role = self.core.role();
        // The configuration in use may have changed since start-up (a reconfig).
        let mut core_config = self.config.core.clone();
        core_config
            .quorum_config
            .clone_from(&self.core.config().quorum_config);
        let mut core = ServerCore::from_state(core_config, tree, sessions, now);
        core.set_role(role, now);
        core.set_serving(false);
        self.core = core;
        self.persister = crate::server::start_txn_log(&self.config, storage, events_tx)?;
        tracing::info!(
            "database reloaded at 0x{:x}",
            self.core.last_processed_zxid()
        );
        match reload {
            PendingReload::Election => self.quorum_start(),
            PendingReload::SnapTruncate(_) => {}
            PendingReload::Truncate(z) => {
                // The zxid the reload actually reached: if the txns up to `z` were only in a
                // snapshot newer than `z` (removed by the cut), it is lower, and the learner
                // refuses it and resyncs rather than diverge.
                let reached = zkrs_jute::Zxid(self.core.last_processed_zxid());
                if reached != z {
                    tracing::warn!("TRUNC to {z} reloaded the database at {reached}");
                }
                if let Some(Role::Following(l) | Role::Observing(l)) =
                    self.quorum.as_mut().map(|q| &mut q.role)
                {
                    l.handle_truncated(reached, now.mono_ms);
                }
            }
        }
        Ok(())
    }

    fn close(&mut self, conn: ConnId) {
        if let Some(e) = self.conns.get(&conn) {
            if e.closing {
                return;
            }
        }
        self.flush(conn);
        if let Some(e) = self.conns.get_mut(&conn) {
            if e.closing {
                // The flush found the client not reading and aborted the connection.
                return;
            }
            e.mark_closing();
        }
        self.queue(conn, WriteCmd::Close);
    }

    /// Hands one command to the connection's writer without waiting. More than
    /// `WRITE_QUEUE_CAPACITY` frames not yet written (or a full queue) means the client has not
    /// read its replies for a long time: the connection is closed at once. The limit counts
    /// frames, not commands, so batching does not let more replies pile up than before.
    fn queue(&mut self, conn: ConnId, cmd: WriteCmd) {
        let Some(e) = self.conns.get_mut(&conn) else {
            return;
        };
        let (frames, len) = match &cmd {
            WriteCmd::Frames { bytes, frames } => (*frames, bytes.len()),
            WriteCmd::Close => (0, 0),
        };
        let counters = &e.link.counters;
        let over = frames > 0
            && counters
                .queued_frames
                .load(Ordering::Acquire)
                .saturating_add(frames)
                > WRITE_QUEUE_CAPACITY;
        let full = over || {
            if frames > 0 {
                self.throttle.frame_queued(counters, frames, len);
            }
            match e.link.writer.try_send(cmd) {
                Ok(()) => false,
                Err(err) => {
                    if frames > 0 {
                        self.throttle.frame_written(counters, frames, len);
                    }
                    matches!(err, TrySendError::Full(_))
                }
            }
        };
        if full {
            tracing::warn!(
                conn,
                remote = %e.remote,
                "client is not reading its replies; closing the connection"
            );
            e.mark_closing();
            e.link.abort.notify_one();
        }
    }
}

/// One input for a quorum member's engines.
enum QuorumInput {
    Election(u64, Bytes),
    Peer(crate::quorum_link::PeerEvent),
    Storage(u64, quorum::QuorumStorageEvent),
    Closed,
}

/// The next input of a quorum member's engines; never ready for a standalone server.
async fn recv_quorum(q: Option<&mut QuorumState>) -> QuorumInput {
    let Some(q) = q else {
        return std::future::pending().await;
    };
    if q.channels_closed {
        return std::future::pending().await;
    }
    tokio::select! {
        m = q.qcm_rx.recv() => match m {
            Some((from, payload)) => QuorumInput::Election(from, payload),
            None => QuorumInput::Closed,
        },
        ev = q.peer_rx.recv() => ev.map_or(QuorumInput::Closed, QuorumInput::Peer),
        ev = q.storage_rx.recv() => match ev {
            Some((generation, ev)) => QuorumInput::Storage(generation, ev),
            None => QuorumInput::Closed,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::net::tcp::OwnedWriteHalf;
    use tokio::sync::Notify;
    use zkrs_jute::{
        ConnectRequest, ExistsRequest, GetDataRequest, Request, RequestDecodeError, RequestHeader,
        TxnEntry,
    };
    use zkrs_storage::{FileSnap, OsFs, SnapshotCompression, SnapshotWriteOptions};

    use crate::database::StartupStats;
    use crate::event::ConnLink;
    use crate::throttle::ConnCounters;

    struct Harness {
        driver: Driver,
        batches: mpsc::Receiver<Vec<TxnEntry>>,
        _storage_tx: mpsc::Sender<StorageEvent>,
        _events_tx: mpsc::Sender<Event>,
        _dir: tempfile::TempDir,
    }

    fn harness() -> Harness {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = Arc::new(ServerConfig::loopback(dir.path()));
        let clock = ServerClock::new();
        let core = ServerCore::new(config.core.clone(), clock.now());
        let (batches_tx, batches) = mpsc::channel(crate::persister::SYNC_QUEUE_BATCHES);
        let (storage_tx, storage_rx) = mpsc::channel(16);
        let storage = DriverStorage {
            persister: Persister::new(batches_tx, std::thread::spawn(|| {}), None),
            events: storage_rx,
            snapshotter: Snapshotter::new(
                FileSnap::new(OsFs, dir.path()),
                SnapshotCompression::None,
                SnapshotWriteOptions::default(),
                storage_tx.clone(),
            ),
            purger: None,
            startup: StartupStats::default(),
        };
        let (events_tx, events_rx) = mpsc::channel(16);
        let driver = Driver::new(
            config,
            core,
            storage,
            "127.0.0.1:2181".parse().expect("addr"),
            clock,
            events_rx,
            ConnLimits::new(0, 0),
            Arc::new(Throttle::new(1000)),
            None,
            mpsc::channel(1).1,
        );
        Harness {
            driver,
            batches,
            _storage_tx: storage_tx,
            _events_tx: events_tx,
            _dir: dir,
        }
    }

    /// Splits a buffer of frames into their payloads.
    fn frames(mut buf: &[u8]) -> Vec<&[u8]> {
        let mut out = Vec::new();
        while buf.len() >= 4 {
            let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            out.push(&buf[4..4 + len]);
            buf = &buf[4 + len..];
        }
        assert!(buf.is_empty(), "trailing bytes");
        out
    }

    /// Hands `e` to the driver as the core loop does, with the current clock.
    fn event(h: &mut Harness, e: Event) {
        let now = h.driver.clock.now();
        h.driver.handle_event(e, now);
    }

    fn xid(payload: &[u8]) -> i32 {
        i32::from_be_bytes([payload[0], payload[1], payload[2], payload[3]])
    }

    fn request(h: &mut Harness, counters: &ConnCounters, xid: i32, op: OpCode, request: Request) {
        h.driver.throttle.acquire(counters);
        event(
            h,
            Event::Frame {
                conn: 1,
                frame: ClientFrame::Request {
                    header: RequestHeader {
                        xid,
                        r#type: op.code(),
                    },
                    request: Ok(request),
                },
                wire_len: 0,
            },
        );
    }

    fn exists(path: &str) -> Request {
        Request::Exists(ExistsRequest {
            path: path.to_owned(),
            watch: false,
        })
    }

    /// Opens connection 1 with `socket` for direct writes (or none), and establishes its
    /// session; returns its writer queue and counters, and what reached the writer queue for
    /// the connect response.
    fn open(
        h: &mut Harness,
        socket: Option<Arc<OwnedWriteHalf>>,
    ) -> (mpsc::Receiver<WriteCmd>, Arc<ConnCounters>) {
        let (writer, mut rx) = mpsc::channel(WRITE_QUEUE_CAPACITY);
        let counters = Arc::new(ConnCounters::default());
        let link = ConnLink {
            writer,
            counters: Arc::clone(&counters),
            abort: Arc::new(Notify::new()),
            socket,
        };
        event(
            h,
            Event::Opened {
                conn: 1,
                remote: "127.0.0.1:5000".parse().expect("addr"),
                link,
            },
        );
        h.driver.throttle.acquire(&counters);
        event(
            h,
            Event::Frame {
                conn: 1,
                frame: ClientFrame::Connect(ConnectRequest {
                    protocol_version: 0,
                    last_zxid_seen: 0,
                    time_out: 30_000,
                    session_id: 0,
                    passwd: bytes::Bytes::from(vec![0u8; 16]),
                    read_only: Some(false),
                }),
                wire_len: 0,
            },
        );
        h.driver.drain_outputs().expect("drain");
        // Persist-before-ack: nothing is written before the createSession txn is durable.
        assert!(rx.try_recv().is_err());
        let batch = h.batches.try_recv().expect("createSession txn");
        let zxid = batch.last().expect("one txn").header.zxid;
        h.driver.core.handle_committed(zxid, h.driver.clock.now());
        h.driver.drain_outputs().expect("drain");
        (rx, counters)
    }

    /// Three reads handled in one iteration.
    fn three_reads(h: &mut Harness, counters: &ConnCounters) {
        request(h, counters, 1, OpCode::Exists, exists("/"));
        let get = Request::GetData(GetDataRequest {
            path: "/zookeeper".to_owned(),
            watch: false,
        });
        request(h, counters, 2, OpCode::GetData, get);
        request(h, counters, 3, OpCode::Exists, exists("/missing"));
        h.driver.drain_outputs().expect("drain");
    }

    /// The writer queue holds one command with the replies `xids`, then the close.
    fn expect_batch_then_close(rx: &mut mpsc::Receiver<WriteCmd>, xids: &[i32]) {
        let Ok(WriteCmd::Frames { bytes, frames }) = rx.try_recv() else {
            panic!("expected one command holding the frames");
        };
        assert_eq!(frames, xids.len());
        assert_eq!(
            self::frames(&bytes)
                .iter()
                .map(|p| xid(p))
                .collect::<Vec<_>>(),
            xids
        );
        assert_eq!(rx.try_recv().ok(), Some(WriteCmd::Close));
    }

    /// A read, then a request with an unknown opcode (answered, then the connection closes).
    fn read_then_close(h: &mut Harness, counters: &ConnCounters) {
        request(h, counters, 4, OpCode::Exists, exists("/"));
        h.driver.throttle.acquire(counters);
        event(
            h,
            Event::Frame {
                conn: 1,
                frame: ClientFrame::Request {
                    header: RequestHeader {
                        xid: 5,
                        r#type: 9999,
                    },
                    request: Err(RequestDecodeError::UnknownOpcode(9999)),
                },
                wire_len: 0,
            },
        );
        h.driver.drain_outputs().expect("drain");
    }

    /// Every reply produced in one core-loop iteration reaches the connection's writer as ONE
    /// command (one `send()`), in xid order; a close is queued after the batch it follows.
    #[test]
    fn replies_of_one_iteration_reach_the_writer_as_one_buffer() {
        let mut h = harness();
        let (mut rx, counters) = open(&mut h, None);
        match rx.try_recv() {
            Ok(WriteCmd::Frames { frames: 1, .. }) => {}
            other => panic!("expected the connect response, got {other:?}"),
        }

        three_reads(&mut h, &counters);
        let Ok(WriteCmd::Frames { bytes, frames: 3 }) = rx.try_recv() else {
            panic!("expected one command holding three frames");
        };
        let payloads = frames(&bytes);
        assert_eq!(
            payloads.iter().map(|p| xid(p)).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert!(rx.try_recv().is_err(), "one command per iteration");
        // The throttle counts frames, not commands.
        assert_eq!(counters.queued_frames.load(Ordering::Acquire), 4);
        assert_eq!(counters.outstanding.load(Ordering::Acquire), 0);

        // A reply, then one that closes the connection: the batch, then the close.
        read_then_close(&mut h, &counters);
        expect_batch_then_close(&mut rx, &[4, 5]);
        assert!(rx.try_recv().is_err());
    }

    /// A `Frames` event (the requests of one read) is handled like its frames one by one: the
    /// replies leave in order, in one command.
    #[test]
    fn a_frames_event_is_answered_in_order_in_one_batch() {
        let mut h = harness();
        let (mut rx, counters) = open(&mut h, None);
        assert!(matches!(
            rx.try_recv(),
            Ok(WriteCmd::Frames { frames: 1, .. })
        ));
        let batch = (1..=3)
            .map(|xid| {
                h.driver.throttle.acquire(&counters);
                let frame = ClientFrame::Request {
                    header: RequestHeader {
                        xid,
                        r#type: OpCode::Exists.code(),
                    },
                    request: Ok(exists(if xid == 2 { "/missing" } else { "/" })),
                };
                (frame, 16)
            })
            .collect();
        event(
            &mut h,
            Event::Frames {
                conn: 1,
                frames: batch,
            },
        );
        h.driver.drain_outputs().expect("drain");
        let Ok(WriteCmd::Frames { bytes, frames: 3 }) = rx.try_recv() else {
            panic!("expected one command holding three frames");
        };
        assert_eq!(
            frames(&bytes).iter().map(|p| xid(p)).collect::<Vec<_>>(),
            [1, 2, 3]
        );
        assert_eq!(counters.outstanding.load(Ordering::Acquire), 0);
        assert_eq!(h.driver.stats.bytes_received, 48);
    }

    /// With the writer idle, the core task writes each iteration's batch to the socket itself,
    /// in one write; with the writer busy, the batch waits behind what it holds.
    #[tokio::test]
    async fn an_idle_writer_lets_the_core_task_write_directly() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let mut client = tokio::net::TcpStream::connect(listener.local_addr().expect("addr"))
            .await
            .expect("connect");
        let (server, _) = listener.accept().await.expect("accept");
        let (_server_rd, server_wr) = server.into_split();

        let mut h = harness();
        let (mut rx, counters) = open(&mut h, Some(Arc::new(server_wr)));
        assert!(rx.try_recv().is_err(), "connect response written directly");
        let mut received = Vec::new();
        read_frames(&mut client, &mut received, 1).await;

        three_reads(&mut h, &counters);
        assert!(rx.try_recv().is_err(), "written directly");
        assert_eq!(counters.queued_frames.load(Ordering::Acquire), 0);
        let xids = read_frames(&mut client, &mut received, 4).await;
        assert_eq!(xids[1..], [1, 2, 3]);

        // The writer holds something unwritten: the batch goes behind it, through the queue.
        counters.queued_frames.store(1, Ordering::Release);
        read_then_close(&mut h, &counters);
        expect_batch_then_close(&mut rx, &[4, 5]);
        // Closing dropped the core task's handle on the socket: the writer owns it alone.
        assert!(h.driver.conns[&1].link.socket.is_none());
    }

    /// Reads until `received` holds `n` complete frames; returns their xids.
    async fn read_frames(
        client: &mut tokio::net::TcpStream,
        received: &mut Vec<u8>,
        n: usize,
    ) -> Vec<i32> {
        use tokio::io::AsyncReadExt;
        while frames_in(received) < n {
            let read = tokio::time::timeout(Duration::from_secs(10), client.read_buf(received))
                .await
                .expect("replies in time")
                .expect("read");
            assert!(read > 0, "connection closed");
        }
        frames(received).iter().map(|p| xid(p)).collect()
    }

    /// Complete frames at the start of `buf`.
    fn frames_in(mut buf: &[u8]) -> usize {
        let mut n = 0;
        while buf.len() >= 4 {
            let len = i32::from_be_bytes([buf[0], buf[1], buf[2], buf[3]]) as usize;
            if buf.len() < 4 + len {
                break;
            }
            n += 1;
            buf = &buf[4 + len..];
        }
        n
    }
}
