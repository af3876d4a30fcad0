//! `zkrs datadir-check <zoo.cfg | dataDir>`: verifies a data directory without changing it.
//!
//! - every txn log: header, every record's length, end byte and Adler32, every txn decodes;
//!   damage at the very end with nothing intact after it is a **torn tail** (what a crash
//!   leaves; the next start cuts it: a warning), damage followed by an intact record anywhere
//!   later is **corruption** (an error);
//! - every snapshot: the validity check, decompression, structure and every seal;
//!   leftover `*.tmp` files are listed;
//! - that the logs needed to replay after the newest valid snapshot are present;
//! - the epoch files, if any, parse.
//!
//! Exit status: 0 when the directory would load (warnings allowed), 1 on corruption or an
//! unloadable directory, 2 for a bad argument.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use zkrs_config::ZooCfg;
use zkrs_jute::{FileHeader, TxnEntry};
use zkrs_server::ServerConfig;
use zkrs_storage::epoch_file::read_epoch;
use zkrs_storage::log_files::log_files_for_snapshot;
use zkrs_storage::names::{is_tmp, ACCEPTED_EPOCH, CURRENT_EPOCH, VERSION_DIR};
use zkrs_storage::{
    list_log_files, FileSnap, LogEnd, LogFileScan, LogReadOptions, OsFs, SnapshotReadOptions,
    StorageError, TxnLogReader,
};

use crate::format;

/// What is checked: the two directories and how to read them.
#[derive(Debug)]
pub struct Target {
    pub data_dir: PathBuf,
    pub data_log_dir: PathBuf,
    pub log_read: LogReadOptions,
    pub snapshot_read: SnapshotReadOptions,
}

impl Target {
    /// From a zoo.cfg (its dataDir, dataLogDir and reading settings) or a dataDir (which is
    /// also the dataLogDir; a `version-2` directory stands for its parent).
    pub fn from_arg(arg: &Path) -> anyhow::Result<Target> {
        if arg.is_file() {
            let cfg = ZooCfg::load(arg)?;
            let config = ServerConfig::from_zoo_cfg(&cfg)?;
            let opts = config.storage.storage_options(&config.core);
            return Ok(Target {
                data_log_dir: config
                    .data_log_dir
                    .clone()
                    .unwrap_or_else(|| config.data_dir.clone()),
                data_dir: config.data_dir,
                log_read: opts.log_read,
                snapshot_read: SnapshotReadOptions {
                    tree_config: opts.tree_config,
                    max_len: opts.log_read.max_record_len,
                },
            });
        }
        if !arg.is_dir() {
            anyhow::bail!("{}: neither a zoo.cfg file nor a directory", arg.display());
        }
        let dir = if arg.file_name().is_some_and(|n| n == VERSION_DIR) {
            arg.parent().unwrap_or(arg).to_path_buf()
        } else {
            arg.to_path_buf()
        };
        Ok(Target {
            data_dir: dir.clone(),
            data_log_dir: dir,
            log_read: LogReadOptions::default(),
            snapshot_read: SnapshotReadOptions::default(),
        })
    }
}

#[derive(Default)]
struct Verdict {
    errors: usize,
    warnings: usize,
}

impl Verdict {
    fn error(&mut self, msg: impl std::fmt::Display) {
        self.errors += 1;
        println!("ERROR {msg}");
    }
    fn warn(&mut self, msg: impl std::fmt::Display) {
        self.warnings += 1;
        println!("WARN  {msg}");
    }
}

/// Runs every check and prints the report.
pub fn run(arg: &Path) -> anyhow::Result<ExitCode> {
    let target = match Target::from_arg(arg) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("zkrs datadir-check: {e:#}");
            return Ok(ExitCode::from(2));
        }
    };
    let snap_dir = target.data_dir.join(VERSION_DIR);
    let log_dir = target.data_log_dir.join(VERSION_DIR);
    let mut v = Verdict::default();
    println!("dataDir    {}", snap_dir.display());
    println!("dataLogDir {}", log_dir.display());
    for d in [&snap_dir, &log_dir] {
        if !d.is_dir() {
            v.error(format!("{} is not a directory", d.display()));
        }
    }
    if v.errors > 0 {
        return Ok(ExitCode::FAILURE);
    }

    // Txn logs, file by file.
    let logs = list_log_files(&OsFs, &log_dir)?;
    let mut last_zxid: Option<i64> = None;
    let mut total = 0u64;
    for (i, (_, path)) in logs.iter().enumerate() {
        let bytes = std::fs::read(path)?;
        let scan = LogFileScan::scan(&bytes, target.log_read.max_record_len);
        let name = path.display();
        match scan.header {
            Some(h) if h.version != FileHeader::VERSION => {
                v.error(format!(
                    "{name}: txn log format version {} (only 2)",
                    h.version
                ));
                continue;
            }
            None if scan.records.is_empty()
                && scan.intact_after_end.is_none()
                && i + 1 < logs.len() =>
            {
                v.error(format!("{name}: not a txn log (no valid header)"));
                continue;
            }
            _ => {}
        }
        let mut decoded = 0u64;
        for rec in &scan.records {
            match TxnEntry::decode_with(
                &bytes[rec.txn_range()],
                target.log_read.close_session_txn_enabled,
            ) {
                Ok(e) => {
                    let z = e.header.zxid;
                    if let Some(prev) = last_zxid {
                        if z <= prev {
                            v.error(format!(
                                "{name}: zxid {} at offset {} is not above the previous {}",
                                format::hex(z),
                                rec.offset,
                                format::hex(prev)
                            ));
                        }
                    }
                    last_zxid = Some(z);
                    decoded += 1;
                }
                Err(e) => v.error(format!(
                    "{name}: txn at offset {} has a valid checksum but does not decode: {e}",
                    rec.offset
                )),
            }
        }
        total += decoded;
        let range = match (scan.records.first().and_then(|r| r.zxid), scan.last_zxid()) {
            (Some(a), Some(b)) => format!("{}..={}", format::hex(a), format::hex(b)),
            _ => "no txns".to_owned(),
        };
        let end = match scan.end {
            LogEnd::EndMarker { offset } | LogEnd::EndOfFile { offset }
                if !scan.dirty_after_end =>
            {
                format!("clean end at offset {offset}")
            }
            LogEnd::Damaged { offset, damage } => format!("damage at offset {offset}: {damage}"),
            LogEnd::EndMarker { offset } | LogEnd::EndOfFile { offset } => {
                format!("non-zero bytes after the end at offset {offset}")
            }
        };
        println!("OK    {name}: {decoded} txns ({range}), {end}");
    }

    // The same logs through the reader recovery uses: torn tail or corruption across files.
    if !logs.is_empty() {
        let mut reader = TxnLogReader::open(OsFs, &log_dir, 0, target.log_read)?;
        let mut failed = None;
        for t in reader.by_ref() {
            if let Err(e) = t {
                failed = Some(e);
                break;
            }
        }
        match failed {
            Some(e @ StorageError::CorruptLog { .. }) => v.error(e),
            Some(e) => v.error(e),
            None => {
                if let Some(torn) = reader.torn_tail() {
                    v.warn(format!(
                        "{torn}: the unacknowledged end of an interrupted write; the next start \
                         cuts it away"
                    ));
                }
            }
        }
    }

    // Snapshots.
    let snap = FileSnap::new(OsFs, snap_dir.clone());
    let mut newest_valid = None;
    for s in snap.list()? {
        let name = s.path.display();
        if !snap.is_valid(&s)? {
            v.error(format!(
                "{name}: fails the validity check (incomplete or not a snapshot)"
            ));
            continue;
        }
        match snap.read(&s, target.snapshot_read) {
            Ok(l) => {
                println!(
                    "OK    {name}: {} znodes, {} sessions, seals verified{}",
                    l.tree.node_count(),
                    l.sessions.len(),
                    match l.zxid_digest {
                        Some(d) => format!(", digest {} at {}", d.digest, format::hex(d.zxid)),
                        None => String::new(),
                    }
                );
                if newest_valid.is_none() {
                    newest_valid = Some(s.zxid);
                }
            }
            Err(e) => v.error(e),
        }
    }
    for dir in [&snap_dir, &log_dir] {
        for entry in std::fs::read_dir(dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if is_tmp(&name) && (name.starts_with("snapshot.") || name.starts_with("log.")) {
                v.warn(format!(
                    "{}: leftover of an interrupted write (never read)",
                    entry.path().display()
                ));
            }
        }
    }

    // Can the directory be loaded?
    match newest_valid {
        Some(z) => {
            let needed = log_files_for_snapshot(&logs, z);
            if let Some(last) = last_zxid.filter(|l| *l > z) {
                let first_needed = needed.first().map(|(fz, _)| *fz);
                if first_needed.is_none_or(|fz| fz > z + 1) {
                    v.error(format!(
                        "the txns after snapshot {} are not all in the logs (the last logged \
                         zxid is {}, the logs start at {})",
                        format::hex(z),
                        format::hex(last),
                        first_needed.map_or("none".to_owned(), format::hex)
                    ));
                }
            }
            println!(
                "loads: snapshot {} + {} log file(s)",
                format::hex(z),
                needed.len()
            );
        }
        None if total > 0 => v.error(
            "txn logs but no valid snapshot: ZooKeeper refuses to start (snapshot.trust.empty)",
        ),
        None => println!("loads: empty database (no snapshot, no txn)"),
    }

    for name in [CURRENT_EPOCH, ACCEPTED_EPOCH] {
        match read_epoch(&OsFs, &snap_dir.join(name)) {
            Ok(Some(e)) => println!("OK    {name} = {e}"),
            Ok(None) => {}
            Err(e) => v.error(e),
        }
    }

    println!(
        "{} txn log(s), {total} txns; {} error(s), {} warning(s)",
        logs.len(),
        v.errors,
        v.warnings
    );
    Ok(if v.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
