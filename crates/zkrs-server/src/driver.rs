//! [`Driver`]: the one task that owns the [`ServerCore`] (an actor). Connection tasks send it
//! [`Event`]s; it feeds them to the core, carries out the core's outputs (frames to the
//! connections' writers, closes, txns to the [`Persister`]), ticks the core's clock, expires
//! idle connections and answers four-letter words.
//!
//! It never awaits anything but its event queue and its timer: writers are fed with
//! `try_send`, so one client that stops reading cannot stall the server.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use tokio::sync::mpsc::{self, error::TrySendError};
use zkrs_jute::{ClientFrame, ErrorCode, FourLetterWord, OpCode};
use zkrs_session::{Clock, ConnId, Output, ServerCore};

use crate::config::ServerConfig;
use crate::conn_entry::{connection_expiry, ConnEntry};
use crate::conn_limits::ConnLimits;
use crate::core_view::CoreView;
use crate::event::{CloseReason, Event, WriteCmd};
use crate::four_letter::{self, FourLetterContext, DEFAULT_TRACE_MASK};
use crate::persister::Persister;
use crate::server_clock::ServerClock;
use crate::throttle::Throttle;
use crate::wire_stats::WireStats;

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
    trace_mask: i64,
    /// Monotonic ms of the last `handle_tick`; a core timeout at or before it is stale.
    last_tick_mono_ms: u64,
    /// Next connection-expiry sweep (every tickTime).
    next_sweep_mono_ms: u64,
}

impl Driver {
    /// A driver for a fresh core.
    pub fn new(
        config: Arc<ServerConfig>,
        local_addr: SocketAddr,
        clock: ServerClock,
        events: mpsc::Receiver<Event>,
        limits: Arc<ConnLimits>,
        throttle: Arc<Throttle>,
    ) -> Driver {
        let now = clock.now();
        let core = ServerCore::new(config.core.clone(), now);
        Driver {
            core,
            local_addr,
            clock,
            events,
            conns: BTreeMap::new(),
            stats: WireStats::default(),
            limits,
            throttle,
            persister: Persister::new(),
            trace_mask: DEFAULT_TRACE_MASK,
            last_tick_mono_ms: now.mono_ms,
            next_sweep_mono_ms: now.mono_ms + config.tick_time_ms(),
            config,
        }
    }

    /// Runs until every event sender (the listener and all connections) is gone.
    pub async fn run(mut self) {
        loop {
            let wake_at = self.clock.instant_at(self.next_deadline());
            tokio::select! {
                event = self.events.recv() => {
                    let Some(event) = event else { break };
                    self.handle_event(event);
                    // Take what else is already queued, so one drain (and one persister flush)
                    // serves the batch.
                    for _ in 1..EVENT_BATCH_MAX {
                        match self.events.try_recv() {
                            Ok(event) => self.handle_event(event),
                            Err(_) => break,
                        }
                    }
                }
                () = tokio::time::sleep_until(wake_at) => self.handle_timer(),
            }
            self.drain_outputs();
        }
        tracing::debug!("core task stopped");
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

    /// Carries out everything the core has asked for, making txns durable in batches.
    fn drain_outputs(&mut self) {
        loop {
            while let Some(output) = self.core.poll_output() {
                match output {
                    Output::Send { conn, frame } => self.send_frame(conn, frame),
                    Output::Close { conn } => self.close(conn),
                    Output::Persist { entry } => self.persister.append(entry),
                }
            }
            // Persist-before-ack: the core releases replies that depend on these txns only
            // once told they are durable.
            match self.persister.flush() {
                Some(zxid) => self.core.handle_committed(zxid, self.clock.now()),
                None => break,
            }
        }
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
