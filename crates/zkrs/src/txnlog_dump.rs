//! `zkrs txnlog-dump <log file>`: one line per txn, like ZooKeeper's `TxnLogToolkit`:
//!
//! ```text
//! ZooKeeper Transactional Log File with dbid 0 txnlog format version 2
//! 2024-01-31T12:00:00.123Z session 0x100000001 cxid 0x0 zxid 0x1 createSession 30000
//! 2024-01-31T12:00:00.456Z session 0x100000001 cxid 0x1 zxid 0x2 create '/a,#6869,v{s{31,s{'world,'anyone}}},F,1
//! EOF reached after 2 txns.
//! ```
//!
//! Every record's Adler32 and end byte are checked. Damage is reported with its offset and
//! whether an intact record follows it in the file (corruption) or not (a torn tail, as a crash
//! leaves); the exit status is then 1.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use zkrs_jute::{FileHeader, TxnEntry};
use zkrs_storage::{LogEnd, LogFileScan};

use crate::format;

/// Dumps one log file to stdout.
pub fn run(
    path: &Path,
    close_session_txn_enabled: bool,
    max_record_len: usize,
) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let scan = LogFileScan::scan(&bytes, max_record_len);
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let Some(header) = scan.header.clone() else {
        writeln!(
            out,
            "{}: not a ZooKeeper txn log ({})",
            path.display(),
            end_text(&scan)
        )?;
        out.flush()?;
        return Ok(ExitCode::FAILURE);
    };
    if header.magic != FileHeader::TXNLOG_MAGIC {
        writeln!(out, "Invalid magic number for {}", path.display())?;
        out.flush()?;
        return Ok(ExitCode::FAILURE);
    }
    writeln!(
        out,
        "ZooKeeper Transactional Log File with dbid {} txnlog format version {}",
        header.dbid, header.version
    )?;
    let mut count = 0u64;
    let mut bad = false;
    for rec in &scan.records {
        let txn = &bytes[rec.txn_range()];
        match TxnEntry::decode_with(txn, close_session_txn_enabled) {
            Ok(e) => {
                let h = &e.header;
                let mut line = format!(
                    "{} session 0x{:x} cxid 0x{:x} zxid 0x{:x} {} {}",
                    format::time(h.time),
                    h.client_id,
                    h.cxid,
                    h.zxid,
                    format::op_name(h.r#type),
                    format::txn_body(&e.body)
                );
                if let Some(d) = &e.digest {
                    line.push_str(&format!(" digest {}:{}", d.version, d.tree_digest));
                }
                if writeln!(out, "{line}").is_err() {
                    // The reader went away (`| head`).
                    return Ok(ExitCode::SUCCESS);
                }
                count += 1;
            }
            Err(err) => {
                bad = true;
                writeln!(
                    out,
                    "offset {}: the checksum is right but the txn does not decode: {err}",
                    rec.offset
                )?;
            }
        }
    }
    match scan.end {
        LogEnd::EndMarker { .. } | LogEnd::EndOfFile { .. } if !scan.dirty_after_end => {
            writeln!(out, "EOF reached after {count} txns.")?;
        }
        _ => {
            bad = true;
            writeln!(out, "{count} txns read; then {}", end_text(&scan))?;
        }
    }
    out.flush()?;
    Ok(if bad {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// How the intact records end, for a damaged file.
pub fn end_text(scan: &LogFileScan) -> String {
    let what = match scan.end {
        LogEnd::Damaged { offset, damage } => format!("damage at offset {offset}: {damage}"),
        LogEnd::EndMarker { offset } => {
            format!("non-zero bytes after the end of the log at offset {offset}")
        }
        LogEnd::EndOfFile { offset } => format!("end of file at offset {offset}"),
    };
    match scan.intact_after_end {
        Some(at) => format!(
            "{what}; an intact record follows at offset {at}: corruption in the middle of the log"
        ),
        None => format!(
            "{what}; no intact record follows in this file (a torn tail if this is the last log)"
        ),
    }
}
