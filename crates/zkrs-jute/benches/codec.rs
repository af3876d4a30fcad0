//! Codec micro-benchmarks: encode/decode of the records on the hot path (CreateRequest,
//! GetDataResponse, MultiRequest, TxnEntry) and ClientFrameDecoder over a byte stream.
//!
//! `cargo bench -p zkrs-jute --bench codec` (numbers in docs/performance.md).

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use std::hint::black_box;
use zkrs_jute::frame::frame;
use zkrs_jute::records::txn::{CreateTxn, TxnDigest, TxnHeader};
use zkrs_jute::{
    perms, CheckVersionRequest, ClientFrameDecoder, ConnectRequest, CreateRequest, DeleteRequest,
    GetDataRequest, GetDataResponse, Jute, MultiOp, MultiRequest, OpCode, RequestHeader,
    SetDataRequest, Stat, TxnBody, TxnEntry,
};

fn data(n: usize) -> Option<Bytes> {
    Some(Bytes::from(vec![b'x'; n]))
}

fn create_request() -> CreateRequest {
    CreateRequest {
        path: "/app/locks/lock-0000000042".into(),
        data: data(100),
        acl: perms::open_acl_unsafe(),
        flags: 0,
    }
}

fn stat() -> Stat {
    Stat {
        czxid: 0x1_0000_0042,
        mzxid: 0x1_0000_0043,
        ctime: 1_700_000_000_000,
        mtime: 1_700_000_000_123,
        version: 3,
        cversion: 0,
        aversion: 0,
        ephemeral_owner: 0,
        data_length: 100,
        num_children: 0,
        pzxid: 0x1_0000_0042,
    }
}

fn multi_request() -> MultiRequest {
    MultiRequest {
        ops: vec![
            MultiOp::Check(CheckVersionRequest {
                path: "/app/config".into(),
                version: 7,
            }),
            MultiOp::Create(create_request()),
            MultiOp::SetData(SetDataRequest {
                path: "/app/config".into(),
                data: data(100),
                version: 7,
            }),
            MultiOp::Delete(DeleteRequest {
                path: "/app/locks/lock-0000000041".into(),
                version: -1,
            }),
        ],
    }
}

fn txn_entry() -> TxnEntry {
    TxnEntry {
        header: TxnHeader {
            client_id: 0x0100_0006_b4b7_0000,
            cxid: 42,
            zxid: 0x1_0000_0042,
            time: 1_700_000_000_000,
            r#type: OpCode::Create as i32,
        },
        body: TxnBody::Create(CreateTxn {
            path: "/app/locks/lock-0000000042".into(),
            data: data(100),
            acl: perms::open_acl_unsafe(),
            ephemeral: false,
            parent_c_version: 42,
        }),
        digest: Some(TxnDigest {
            version: 2,
            tree_digest: 0x1234_5678_9abc,
        }),
    }
}

fn bench_record<T: Jute>(c: &mut Criterion, name: &str, value: T) {
    let bytes = value.to_bytes();
    let mut g = c.benchmark_group(name);
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    let mut buf = Vec::with_capacity(bytes.len());
    g.bench_function("encode", |b| {
        b.iter(|| {
            buf.clear();
            black_box(&value).write_to(&mut buf);
            black_box(buf.len())
        })
    });
    g.bench_function("decode", |b| {
        b.iter(|| {
            T::from_bytes(black_box(&bytes))
                .map(|v| black_box(v))
                .is_ok()
        })
    });
    g.finish();
}

fn records(c: &mut Criterion) {
    bench_record(c, "CreateRequest", create_request());
    bench_record(
        c,
        "GetDataResponse",
        GetDataResponse {
            data: data(100),
            stat: stat(),
        },
    );
    bench_record(c, "MultiRequest4", multi_request());

    let entry = txn_entry();
    let bytes = entry.encode();
    let mut g = c.benchmark_group("TxnEntry");
    g.throughput(Throughput::Bytes(bytes.len() as u64));
    g.bench_function("encode", |b| b.iter(|| black_box(&entry).encode()));
    g.bench_function("decode", |b| {
        b.iter(|| TxnEntry::decode(black_box(&bytes)).is_ok())
    });
    g.finish();
}

/// A connection's bytes: ConnectRequest, then `n` requests cycling getData/setData/create.
fn stream(n: usize) -> Vec<u8> {
    let mut out = frame(&ConnectRequest::default().to_bytes());
    for i in 0..n {
        let mut p = Vec::with_capacity(160);
        let xid = i as i32 + 1;
        match i % 3 {
            0 => {
                RequestHeader {
                    xid,
                    r#type: OpCode::GetData as i32,
                }
                .write_to(&mut p);
                GetDataRequest {
                    path: format!("/bench/k{i:010}"),
                    watch: false,
                }
                .write_to(&mut p);
            }
            1 => {
                RequestHeader {
                    xid,
                    r#type: OpCode::SetData as i32,
                }
                .write_to(&mut p);
                SetDataRequest {
                    path: format!("/bench/k{i:010}"),
                    data: data(100),
                    version: -1,
                }
                .write_to(&mut p);
            }
            _ => {
                RequestHeader {
                    xid,
                    r#type: OpCode::Create2 as i32,
                }
                .write_to(&mut p);
                create_request().write_to(&mut p);
            }
        }
        out.extend_from_slice(&frame(&p));
    }
    out
}

fn frame_decoder(c: &mut Criterion) {
    const N: usize = 1000;
    let bytes = stream(N);
    let mut g = c.benchmark_group("ClientFrameDecoder");
    g.throughput(Throughput::Elements(N as u64 + 1));
    // The whole stream already buffered (a pipelining client, one large read).
    g.bench_function("stream_1000_frames", |b| {
        b.iter_batched(
            || BytesMut::from(&bytes[..]),
            |mut buf| {
                let mut d = ClientFrameDecoder::new(1 << 20);
                let mut n = 0;
                while let Ok(Some(f)) = d.decode(&mut buf) {
                    black_box(f);
                    n += 1;
                }
                assert_eq!(n, N + 1);
            },
            BatchSize::SmallInput,
        )
    });
    // The same bytes arriving in 4 KiB reads, frames split across reads.
    g.bench_function("stream_1000_frames_4k_reads", |b| {
        b.iter(|| {
            let mut d = ClientFrameDecoder::new(1 << 20);
            let mut buf = BytesMut::with_capacity(8192);
            let mut n = 0;
            for chunk in bytes.chunks(4096) {
                buf.extend_from_slice(chunk);
                while let Ok(Some(f)) = d.decode(&mut buf) {
                    black_box(f);
                    n += 1;
                }
            }
            assert_eq!(n, N + 1);
        })
    });
    g.finish();
}

criterion_group!(benches, records, frame_decoder);
criterion_main!(benches);
