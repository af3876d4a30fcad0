//! DataTree micro-benchmarks: create / getData / setData / delete on a 100k-node tree, and
//! getChildren of a node with 10k children.
//!
//! `cargo bench -p zkrs-datatree --bench datatree` (numbers in docs/performance.md).

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{criterion_group, criterion_main, Criterion};
use zkrs_datatree::DataTree;
use zkrs_jute::records::txn::{CreateTxn, DeleteTxn, SetDataTxn, TxnHeader};
use zkrs_jute::{perms, OpCode, TxnBody};

const SESSION: i64 = 0x0100_0006_b4b7_0000;
/// 100 directories x 1000 children = 100 100 nodes (plus the root and /zookeeper nodes).
const DIRS: usize = 100;
const PER_DIR: usize = 1000;
const WIDE: usize = 10_000;

/// Applies txns with increasing zxids.
struct Driver {
    tree: DataTree,
    zxid: i64,
    data: Bytes,
}

impl Driver {
    fn header(&mut self, op: OpCode) -> TxnHeader {
        self.zxid += 1;
        TxnHeader {
            client_id: SESSION,
            cxid: 1,
            zxid: self.zxid,
            time: 1_700_000_000_000 + self.zxid,
            r#type: op as i32,
        }
    }

    fn create(&mut self, path: &str) {
        let parent = zkrs_datatree::path::parent(path);
        let pcv = self.tree.node(parent).map_or(0, |n| n.stat.cversion + 1);
        let h = self.header(OpCode::Create);
        let body = TxnBody::Create(CreateTxn {
            path: path.into(),
            data: Some(self.data.clone()),
            acl: perms::open_acl_unsafe(),
            ephemeral: false,
            parent_c_version: pcv,
        });
        let r = self.tree.process_txn(&h, &body);
        debug_assert_eq!(r.err, 0, "create {path}");
    }

    fn set(&mut self, path: &str) {
        let version = self.tree.node(path).map_or(0, |n| n.stat.version + 1);
        let h = self.header(OpCode::SetData);
        let body = TxnBody::SetData(SetDataTxn {
            path: path.into(),
            data: Some(self.data.clone()),
            version,
        });
        black_box(self.tree.process_txn(&h, &body));
    }

    fn delete(&mut self, path: &str) {
        let h = self.header(OpCode::Delete);
        let body = TxnBody::Delete(DeleteTxn { path: path.into() });
        let r = self.tree.process_txn(&h, &body);
        debug_assert_eq!(r.err, 0, "delete {path}");
    }
}

fn key(i: usize) -> String {
    format!("/d{:03}/k{:06}", i % DIRS, i / DIRS)
}

fn build() -> Driver {
    let mut d = Driver {
        tree: DataTree::new(),
        zxid: 0,
        data: Bytes::from(vec![b'x'; 100]),
    };
    for dir in 0..DIRS {
        d.create(&format!("/d{dir:03}"));
    }
    for i in 0..DIRS * PER_DIR {
        d.create(&key(i));
    }
    d.create("/wide");
    for i in 0..WIDE {
        d.create(&format!("/wide/c{i:06}"));
    }
    d
}

/// A cheap deterministic permutation step (keys are visited in a scattered order).
fn scatter(i: u64) -> usize {
    (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17) as usize % (DIRS * PER_DIR)
}

fn datatree(c: &mut Criterion) {
    let mut d = build();
    let paths: Vec<String> = (0..DIRS * PER_DIR).map(key).collect();
    let mut g = c.benchmark_group("DataTree_100k");

    let mut i = 0u64;
    g.bench_function("getData", |b| {
        b.iter(|| {
            i += 1;
            black_box(d.tree.get_data(&paths[scatter(i)], None).is_ok())
        })
    });
    g.bench_function("setData", |b| {
        b.iter(|| {
            i += 1;
            d.set(&paths[scatter(i)]);
        })
    });
    // create: time creating fresh nodes, then delete them untimed (the tree stays at 100k).
    let mut fresh = 0u64;
    g.bench_function("create", |b| {
        b.iter_custom(|iters| {
            let names: Vec<String> = (0..iters)
                .map(|j| format!("/d{:03}/new{:010}", (fresh + j) as usize % DIRS, fresh + j))
                .collect();
            fresh += iters;
            let t = Instant::now();
            for p in &names {
                d.create(p);
            }
            let elapsed = t.elapsed();
            for p in &names {
                d.delete(p);
            }
            elapsed
        })
    });
    // delete: create untimed, time the deletes.
    g.bench_function("delete", |b| {
        b.iter_custom(|iters| {
            let names: Vec<String> = (0..iters)
                .map(|j| format!("/d{:03}/del{:010}", (fresh + j) as usize % DIRS, fresh + j))
                .collect();
            fresh += iters;
            for p in &names {
                d.create(p);
            }
            let t = Instant::now();
            for p in &names {
                d.delete(p);
            }
            t.elapsed()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("DataTree_wide");
    g.measurement_time(Duration::from_secs(5));
    g.bench_function("getChildren_10k", |b| {
        b.iter(|| {
            let (children, _) = d.tree.get_children("/wide", None).unwrap_or_default();
            assert_eq!(children.len(), WIDE);
            black_box(children)
        })
    });
    g.finish();
}

criterion_group!(benches, datatree);
criterion_main!(benches);
