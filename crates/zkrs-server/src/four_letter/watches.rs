//! `wchs`, `wchc`, `wchp` (`WatchManager.toString` / `dumpWatches`, data watches only), each
//! followed by the extra line `WatchCommand` prints.

use std::fmt::Write;

use crate::java_fmt;

use super::FourLetterContext;

/// `N connections watching M paths\nTotal watches:K\n`.
pub fn wchs(ctx: &FourLetterContext<'_>) -> String {
    let w = ctx.core.watches();
    format!(
        "{} connections watching {} paths\nTotal watches:{}\n",
        w.connections, w.paths, w.total
    )
}

/// `0x<sid>\n\t<path>\n...` then an empty line.
pub fn wchc(ctx: &FourLetterContext<'_>) -> String {
    let mut out = String::new();
    for (session_id, paths) in ctx.core.watches().by_session {
        let _ = writeln!(out, "0x{}", java_fmt::hex(session_id));
        for path in paths {
            let _ = writeln!(out, "\t{path}");
        }
    }
    out.push('\n');
    out
}

/// `<path>\n\t0x<sid>\n...` then an empty line.
pub fn wchp(ctx: &FourLetterContext<'_>) -> String {
    let mut out = String::new();
    for (path, sessions) in ctx.core.watches().by_path {
        let _ = writeln!(out, "{path}");
        for session_id in sessions {
            let _ = writeln!(out, "\t0x{}", java_fmt::hex(session_id));
        }
    }
    out.push('\n');
    out
}
