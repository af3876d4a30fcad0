//! `zkrs purge <dataDir> [<dataLogDir>] -n <count>`: ZooKeeper's `PurgeTxnLog` — keep the
//! `count` (at least 3) newest valid snapshots and the txn logs needed to replay after the
//! oldest of them; delete older snapshots and logs. Nothing is created: a missing `version-2`
//! is an error.

use std::path::Path;
use std::process::ExitCode;

use zkrs_storage::{FileTxnSnapLog, OsFs, StorageOptions};

/// Purges and lists what was removed.
pub fn run(data_dir: &Path, data_log_dir: Option<&Path>, count: usize) -> anyhow::Result<ExitCode> {
    if count < 3 {
        eprintln!("zkrs purge: -n must be at least 3 (got {count})");
        return Ok(ExitCode::from(2));
    }
    let options = StorageOptions {
        datadir_autocreate: false,
        ..StorageOptions::default()
    };
    let storage = FileTxnSnapLog::open(OsFs, data_dir, data_log_dir.unwrap_or(data_dir), options)?;
    let out = storage.purge(count)?;
    for p in &out.removed {
        println!("Removing file: {}", p.display());
    }
    match out.least_zxid_retained {
        Some(z) => println!(
            "kept the {count} newest snapshots (oldest kept: 0x{z:x}) and the logs after it; \
             removed {} file(s)",
            out.removed.len()
        ),
        None => println!("no valid snapshot: nothing removed"),
    }
    Ok(ExitCode::SUCCESS)
}
