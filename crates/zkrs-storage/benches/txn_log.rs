//! Txn log micro-benchmarks on a real directory (tempdir, ext4 here): appending entries
//! (serialisation into the write buffer) and the group-commit path, N appends followed by one
//! `flush_and_sync` (write + fsync), with and without the fsync.
//!
//! `cargo bench -p zkrs-storage --bench txn_log` (numbers in docs/performance.md).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use zkrs_jute::records::txn::{SetDataTxn, TxnDigest, TxnHeader};
use zkrs_jute::{OpCode, TxnBody, TxnEntry};
use zkrs_storage::{FileTxnLog, OsFs, TxnLogOptions};

/// A setData txn of 100 bytes on a typical path, with a digest (as 3.6+ writes it).
fn entry(zxid: i64) -> TxnEntry {
    TxnEntry {
        header: TxnHeader {
            client_id: 0x0100_0006_b4b7_0000,
            cxid: zxid as i32,
            zxid,
            time: 1_700_000_000_000 + zxid,
            r#type: OpCode::SetData as i32,
        },
        body: TxnBody::SetData(SetDataTxn {
            path: format!("/zkrs-bench/keys-100/k{:010}", zxid % 200_000),
            data: Some(Bytes::from(vec![b'x'; 100])),
            version: (zxid % 1000) as i32,
        }),
        digest: Some(TxnDigest {
            version: 2,
            tree_digest: zxid.wrapping_mul(0x9E37_79B9),
        }),
    }
}

fn txn_log(c: &mut Criterion) {
    let tmp = match tempfile::tempdir() {
        Ok(t) => t,
        Err(e) => panic!("tempdir: {e}"),
    };
    let mut log = FileTxnLog::new(OsFs, tmp.path(), TxnLogOptions::default());
    let mut zxid = 0i64;
    // Pre-built entries: the benchmarks measure the log, not building txns.
    let entries: Vec<TxnEntry> = (1..=1000).map(entry).collect();

    let mut g = c.benchmark_group("FileTxnLog");
    g.throughput(Throughput::Elements(1));
    g.bench_function("append", |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(1000);
                let t = Instant::now();
                for e in &entries[..n as usize] {
                    zxid += 1;
                    let mut e = e.clone();
                    e.header.zxid = zxid;
                    black_box(log.append(&e).is_ok());
                }
                elapsed += t.elapsed();
                // Write the buffer out untimed, without fsync.
                black_box(log.flush_and_sync(false).is_ok());
                left -= n;
            }
            elapsed
        })
    });
    g.finish();

    let mut g = c.benchmark_group("FileTxnLog_group_commit");
    g.sample_size(20);
    g.measurement_time(Duration::from_secs(5));
    for &n in &[1usize, 100, 1000] {
        for &sync in &[true, false] {
            let name = if sync {
                "append_flush_fsync"
            } else {
                "append_flush_nosync"
            };
            g.throughput(Throughput::Elements(n as u64));
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, &n| {
                b.iter(|| {
                    for e in &entries[..n] {
                        zxid += 1;
                        let mut e = e.clone();
                        e.header.zxid = zxid;
                        black_box(log.append(&e).is_ok());
                    }
                    black_box(log.flush_and_sync(sync).is_ok())
                })
            });
        }
    }
    g.finish();
    // Roll so the benchmark leaves no open file behind before the tempdir goes.
    let _ = log.roll();
}

criterion_group!(benches, txn_log);
criterion_main!(benches);
