//! Times recovery of a real data directory (docs/performance.md, "Where zkrs spends its time",
//! item 6):
//!
//! ```text
//! cargo build --release --locked -p zkrs-storage --example restore_timing
//! target/release/examples/restore_timing <dataDir> [restore|snapshot|serialize]
//! ```
//!
//! `<dataDir>` holds `version-2` (dataLogDir = dataDir). `restore` (the default) times one
//! `FileTxnSnapLog::restore`: the newest snapshot plus the replay of the log tail after it.
//! `snapshot` times `FileSnap::read` of the newest snapshot alone. `serialize` restores, then
//! times streaming a snapshot of the tree into a sink that drops the bytes (the snapshot
//! thread's CPU work without the disk). `restore-thread` and
//! `snapshot-thread` do the same on a spawned thread, as the server does (with glibc, a thread
//! other than the main one allocates from its own arena). One measurement per process:
//! repeating in one process would make each run pay for freeing the previous tree (glibc
//! consolidates its free lists at the next large allocation), which a starting server never
//! does. Prints the wall time and this thread's CPU time (Linux schedstat; less disturbed by
//! other load on a shared machine, but blind to work on other threads).
//!
//! `restore` writes nothing to a cleanly shut down directory (no torn tail, no `initialize`
//! marker), but run it on a copy anyway.

use std::path::PathBuf;
use std::time::Instant;

use zkrs_storage::{
    FileTxnSnapLog, OsFs, SnapshotReadOptions, SnapshotWriteOptions, SnapshotWriter, StorageOptions,
};

/// CPU time of this thread in ms (`/proc/thread-self/schedstat`, first field, ns); 0 elsewhere.
fn thread_cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e6)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: restore_timing <dataDir> [restore|snapshot|serialize]");
        std::process::exit(2);
    };
    let mode = args.next().unwrap_or_else(|| "restore".to_owned());
    if let Some(inner) = mode.strip_suffix("-thread") {
        // As the server does (a tokio blocking thread): glibc gives a new thread its own arena.
        let inner = inner.to_owned();
        std::thread::spawn(move || run(dir, &inner))
            .join()
            .expect("the timing thread panicked");
    } else {
        run(dir, &mode);
    }
}

fn run(dir: PathBuf, mode: &str) {
    let opts = StorageOptions {
        datadir_autocreate: false,
        ..StorageOptions::default()
    };
    let mut log = FileTxnSnapLog::open(OsFs, &dir, &dir, opts).expect("open the dataDir");
    let c = thread_cpu_ms();
    let t = Instant::now();
    let elapsed = || (t.elapsed().as_secs_f64() * 1e3, thread_cpu_ms() - c);
    // The times are taken before the tree is dropped: a server keeps it.
    let ((wall, cpu), what) = match mode {
        "restore" => {
            let r = log.restore().expect("restore");
            let e = elapsed();
            let what = format!(
                "{} znodes, {} txns replayed, lastProcessedZxid {:#x}",
                r.tree.node_count(),
                r.report.txns_replayed,
                r.tree.last_processed_zxid()
            );
            (e, what)
        }
        "snapshot" => {
            let list = log.snapshots().list().expect("list snapshots");
            let newest = list.first().expect("no snapshot");
            let l = log
                .snapshots()
                .read(newest, SnapshotReadOptions::default())
                .expect("read the snapshot");
            let e = elapsed();
            (e, format!("{} znodes", l.tree.node_count()))
        }
        "serialize" => {
            // What the snapshot thread does, minus the disk: restore, then time streaming a
            // snapshot of the view into a sink that drops the bytes.
            let r = log.restore().expect("restore");
            let view = r.tree.view();
            let sessions: Vec<(i64, i32)> = r.sessions.iter().map(|(k, v)| (*k, *v)).collect();
            let c = thread_cpu_ms();
            let t = Instant::now();
            let mut sink = |_: &[u8]| Ok(());
            let n = SnapshotWriter::serialize_to(
                &view,
                sessions,
                &SnapshotWriteOptions::default(),
                &mut sink,
            )
            .expect("serialize");
            (
                (t.elapsed().as_secs_f64() * 1e3, thread_cpu_ms() - c),
                format!("{n} bytes, {} znodes", view.len()),
            )
        }
        other => {
            eprintln!("unknown mode {other:?}");
            std::process::exit(2);
        }
    };
    println!("{mode}: wall {wall:.1} ms, cpu {cpu:.1} ms ({what})");
}
