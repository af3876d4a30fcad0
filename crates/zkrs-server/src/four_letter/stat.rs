//! `srvr`, `stat` and `cons`.

use std::fmt::Write;

use crate::conn_entry::ConnEntry;
use crate::java_fmt;
use crate::version::FULL_VERSION;

use super::FourLetterContext;

/// `SelectionKey.OP_READ` / `OP_WRITE`, as `cons` prints interest ops.
const OP_READ: u32 = 1;
const OP_WRITE: u32 = 4;

/// `srvr` (`with_clients` = false) or `stat`.
pub fn srvr(ctx: &FourLetterContext<'_>, with_clients: bool) -> String {
    let mut out = String::new();
    out.push_str("Zookeeper version: ");
    out.push_str(FULL_VERSION);
    out.push('\n');
    if ctx.core.is_read_only() {
        out.push_str("READ-ONLY mode; serving only read-only clients\n");
    }
    if with_clients {
        out.push_str("Clients:\n");
        for entry in ctx.conns.values() {
            connection_info(&mut out, ctx, entry, true);
            out.push('\n');
        }
        out.push('\n');
    }
    let c = ctx.core.counters();
    let _ = writeln!(
        out,
        "Latency min/avg/max: {}/{}/{}",
        c.min_latency_ms,
        java_fmt::double(c.avg_latency_ms),
        c.max_latency_ms
    );
    let _ = writeln!(out, "Received: {}", c.packets_received);
    let _ = writeln!(out, "Sent: {}", c.packets_sent);
    let _ = writeln!(out, "Connections: {}", ctx.core.num_alive_connections());
    let _ = writeln!(out, "Outstanding: {}", ctx.core.outstanding_requests());
    let _ = writeln!(out, "Zxid: 0x{}", java_fmt::hex(shown_zxid(ctx)));
    let _ = writeln!(out, "Mode: {}", ctx.core.mode());
    let _ = writeln!(out, "Node count: {}", ctx.core.node_count());
    if let Some(l) = ctx.quorum.as_ref().and_then(|q| q.leader.as_ref()) {
        let (last, min, max) = l.proposal_sizes;
        let _ = writeln!(out, "Proposal sizes last/min/max: {last}/{min}/{max}");
    }
    out
}

/// The zxid `srvr` shows: the last processed one, or on an established leader at least
/// `epoch << 32`.
pub(crate) fn shown_zxid(ctx: &FourLetterContext<'_>) -> i64 {
    ctx.quorum
        .as_ref()
        .and_then(|q| q.leader.as_ref())
        .and_then(|l| l.established_zxid)
        .map_or(ctx.core.last_processed_zxid(), |z| {
            z.max(ctx.core.last_processed_zxid())
        })
}

/// `cons`: every connection in full, then an empty line.
pub fn cons(ctx: &FourLetterContext<'_>) -> String {
    let mut out = String::new();
    for entry in ctx.conns.values() {
        connection_info(&mut out, ctx, entry, false);
        out.push('\n');
    }
    out.push('\n');
    out
}

/// `ServerCnxn.dumpConnectionInfo(pw, brief)`, from the core's view of the connection.
fn connection_info(out: &mut String, ctx: &FourLetterContext<'_>, e: &ConnEntry, brief: bool) {
    let info = ctx.core.connection(e.conn);
    let (queued, mut recved, sent) = info.as_ref().map_or((0, 0, 0), |i| {
        (
            i.outstanding_requests,
            i.stats.packets_received,
            i.stats.packets_sent,
        )
    });
    if e.four_letter {
        // The core does not see the word itself; ZooKeeper counts it on the connection.
        recved += 1;
    }
    let _ = write!(
        out,
        " {}[{:x}](queued={queued},recved={recved},sent={sent}",
        java_fmt::socket_addr(e.remote),
        interest_ops(ctx, e),
    );
    if let Some(i) = info.filter(|i| !brief && i.session_id != 0) {
        let s = &i.stats;
        let _ = write!(
            out,
            ",sid=0x{},lop={},est={},to={}",
            java_fmt::hex(i.session_id),
            s.last_op,
            i.established_wall_ms,
            i.session_timeout_ms
        );
        if s.last_cxid >= 0 {
            let _ = write!(out, ",lcxid=0x{}", java_fmt::hex(s.last_cxid));
        }
        let _ = write!(
            out,
            ",lzxid=0x{},lresp={},llat={},minlat={},avglat={},maxlat={}",
            java_fmt::hex(s.last_zxid),
            s.last_response_time,
            s.last_latency,
            s.latency.min(),
            s.latency.avg_truncated(),
            s.latency.max()
        );
    }
    out.push(')');
}

/// The NIO interest set: 0 for a four-letter-word connection (its key is cancelled) or one
/// being closed; read unless throttled; write while replies are queued (`cons` prints it in
/// hex, the AdminServer as a number).
pub(crate) fn interest_ops(ctx: &FourLetterContext<'_>, e: &ConnEntry) -> u32 {
    if e.four_letter || e.closing {
        return 0;
    }
    let mut ops = 0;
    if !ctx.throttle.must_wait(&e.link.counters) {
        ops |= OP_READ;
    }
    if e.link
        .counters
        .queued_frames
        .load(std::sync::atomic::Ordering::Acquire)
        > 0
    {
        ops |= OP_WRITE;
    }
    ops
}
