//! `dump`: the session tracker's expiry buckets, the ephemerals, and the NIO connection
//! expiry buckets.

use std::collections::BTreeMap;
use std::fmt::Write;

use zkrs_session::java::concurrent_hash_set::ConcurrentHashSet;
use zkrs_session::java::hash::long_hash;

use crate::civil_time::CivilTime;
use crate::conn_entry::connection_expiry;
use crate::java_fmt;
use crate::server_clock::wall_of;

use super::FourLetterContext;

/// `DumpCommand`.
pub fn dump(ctx: &FourLetterContext<'_>) -> String {
    let mut out = String::new();
    out.push_str("SessionTracker dump:\n");
    let buckets = ctx.core.session_expiry_buckets();
    let sessions: usize = buckets.iter().map(|(_, ids)| ids.len()).sum();
    if ctx.core.is_read_only() {
        // `LearnerSessionTracker.dumpSessions`: the local sessions' expiry queue (when they
        // are enabled), then the global sessions, which do not expire here.
        if ctx.config.core.local_sessions_enabled {
            expiry_queue(&mut out, ctx, "Local Session", &buckets, sessions, |id| {
                format!("0x{}", java_fmt::hex(*id))
            });
        }
        global_sessions(&mut out, ctx);
    } else {
        expiry_queue(&mut out, ctx, "Session", &buckets, sessions, |id| {
            format!("0x{}", java_fmt::hex(*id))
        });
    }

    out.push_str("ephemeral nodes dump:\n");
    let ephemerals = ctx.core.ephemerals();
    let _ = writeln!(out, "Sessions with Ephemerals ({}):", ephemerals.len());
    for (session_id, paths) in ephemerals {
        let _ = writeln!(out, "0x{}:", java_fmt::hex(session_id));
        for path in paths {
            let _ = writeln!(out, "\t{path}");
        }
    }

    out.push_str("Connections dump:\n");
    let interval = ctx.config.sessionless_cnxn_timeout_ms.max(1);
    let mut by_expiry: BTreeMap<u64, Vec<(std::net::SocketAddr, i64)>> = BTreeMap::new();
    for e in ctx.conns.values() {
        let expiry = connection_expiry(
            e.last_activity_mono_ms,
            e.session_timeout_ms,
            ctx.config.sessionless_cnxn_timeout_ms,
            interval,
        );
        by_expiry
            .entry(expiry)
            .or_default()
            .push((e.remote, e.session_id));
    }
    let buckets: Vec<(u64, Vec<(std::net::SocketAddr, i64)>)> = by_expiry.into_iter().collect();
    expiry_queue(
        &mut out,
        ctx,
        "Connections",
        &buckets,
        ctx.conns.len(),
        |(remote, sid)| {
            format!(
                "ip: {} sessionId: 0x{}",
                java_fmt::socket_addr(*remote),
                java_fmt::hex(*sid)
            )
        },
    );
    out
}

/// `Global Sessions(N):` and `0x<id>\t<timeout>ms` per session, in the iteration order of
/// the database's `ConcurrentHashMap<Long, Integer>` (filled in id order here).
fn global_sessions(out: &mut String, ctx: &FourLetterContext<'_>) {
    let sessions = ctx.core.global_sessions_with_timeouts();
    let timeouts: BTreeMap<i64, i32> = sessions.iter().copied().collect();
    let mut order = ConcurrentHashSet::new();
    for (id, _) in &sessions {
        order.insert(*id, long_hash(*id));
    }
    let _ = writeln!(out, "Global Sessions({}):", sessions.len());
    for id in order.iter() {
        let timeout = timeouts.get(id).copied().unwrap_or_default();
        let _ = writeln!(out, "0x{}\t{timeout}ms", java_fmt::hex(*id));
    }
}

/// `<name> ` + `ExpiryQueue.dump`.
fn expiry_queue<T>(
    out: &mut String,
    ctx: &FourLetterContext<'_>,
    name: &str,
    buckets: &[(u64, Vec<T>)],
    elements: usize,
    show: impl Fn(&T) -> String,
) {
    let _ = writeln!(out, "{name} Sets ({})/({elements}):", buckets.len());
    for (time, items) in buckets {
        let date = CivilTime::from_unix_ms(wall_of(*time, ctx.now)).java_date();
        let _ = writeln!(out, "{} expire at {date}:", items.len());
        for item in items {
            let _ = writeln!(out, "\t{}", show(item));
        }
    }
}
