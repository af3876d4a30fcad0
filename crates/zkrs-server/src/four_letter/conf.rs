//! `conf` and `dirs`.

use std::fmt::Write;
use std::path::Path;

use super::FourLetterContext;

/// Directory depth `dir_size` descends to; ZooKeeper's version-2 directories are flat.
const DIR_SIZE_DEPTH_MAX: usize = 8;

/// `ZooKeeperServer.dumpConf` (standalone: `serverId=0`, no quorum lines; a quorum member:
/// `QuorumPeer`'s lines and the membership).
pub fn conf(ctx: &FourLetterContext<'_>) -> String {
    let c = ctx.config;
    let snap_dir = c.snap_dir();
    let log_dir = c.log_dir();
    let mut out = String::new();
    let _ = writeln!(out, "clientPort={}", ctx.local_addr.port());
    out.push_str("secureClientPort=-1\n");
    let _ = writeln!(out, "dataDir={}", snap_dir.display());
    let _ = writeln!(out, "dataDirSize={}", dir_size(&snap_dir));
    let _ = writeln!(out, "dataLogDir={}", log_dir.display());
    let _ = writeln!(out, "dataLogSize={}", dir_size(&log_dir));
    let _ = writeln!(out, "tickTime={}", c.core.tick_time_ms);
    let _ = writeln!(out, "maxClientCnxns={}", c.max_client_cnxns);
    let _ = writeln!(out, "minSessionTimeout={}", c.core.min_session_timeout_ms);
    let _ = writeln!(out, "maxSessionTimeout={}", c.core.max_session_timeout_ms);
    let _ = writeln!(
        out,
        "clientPortListenBacklog={}",
        c.client_port_listen_backlog
    );
    match &ctx.quorum {
        None => out.push_str("serverId=0\n"),
        Some(q) => {
            // QuorumPeer's dumpConf: the quorum settings, then the membership text (which
            // ends with `version=<hex>` and no newline).
            let _ = writeln!(out, "serverId={}", q.server_id);
            let _ = writeln!(out, "initLimit={}", q.init_limit);
            let _ = writeln!(out, "syncLimit={}", q.sync_limit);
            out.push_str("electionAlg=3\n");
            let _ = writeln!(out, "electionPort={}", q.election_port);
            let _ = writeln!(out, "quorumPort={}", q.quorum_port);
            let _ = writeln!(out, "peerType={}", q.peer_type);
            // `ReadOnlyZooKeeperServer.dumpConf` stops after peerType.
            if !ctx.core.is_read_only() {
                out.push_str("membership: \n");
                out.push_str(&q.membership);
            }
        }
    }
    out
}

/// `dirs`.
pub fn dirs(ctx: &FourLetterContext<'_>) -> String {
    format!(
        "datadir_size: {}\nlogdir_size: {}\n",
        dir_size(&ctx.config.snap_dir()),
        dir_size(&ctx.config.log_dir())
    )
}

/// Total size of the files under `dir` (0 if it does not exist), as `getDirSize` sums it.
pub fn dir_size(dir: &Path) -> u64 {
    fn walk(dir: &Path, depth: usize) -> u64 {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return 0;
        };
        let mut total = 0;
        for entry in entries.flatten() {
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            if meta.is_dir() {
                if depth < DIR_SIZE_DEPTH_MAX {
                    total += walk(&entry.path(), depth + 1);
                }
            } else {
                total += meta.len();
            }
        }
        total
    }
    walk(dir, 0)
}
