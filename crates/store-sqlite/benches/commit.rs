//! Commit throughput on a temporary SQLite file (WAL, `synchronous = FULL`, so every commit
//! waits for an fsync): raw `commit_batch` of 512-entry batches, and appends through the engine.
//!
//! `cargo bench -p store-sqlite --bench commit`

use std::sync::Arc;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use store_sqlite::SqliteStore;
use tlog_core::{MemoryTree, leaf_hash};
use tlog_engine::story::PlainTextSigner;
use tlog_engine::{
    BatchCommit, CommitOutcome, EngineMetrics, Log, LogConfig, NewEntry, PendingEntry, StoredEntry,
    StoredHead,
};

const BATCH: usize = 512;
/// A typical Rekor entry body is one to a few kilobytes.
const LEAF_BYTES: usize = 1024;

fn leaf(n: u64) -> Vec<u8> {
    let mut leaf = format!("{{\"entry\":{n},\"body\":\"").into_bytes();
    leaf.resize(LEAF_BYTES - 2, b'x');
    leaf.extend_from_slice(b"\"}");
    leaf
}

/// The next batch of `BATCH` entries (three search keys each) extending `tree`.
fn next_batch(tree: &mut MemoryTree) -> BatchCommit {
    let expected_size = tree.size();
    let mut entries = Vec::with_capacity(BATCH);
    let mut nodes = Vec::with_capacity(BATCH * 2);
    for _ in 0..BATCH {
        let index = tree.size();
        let leaf = leaf(index);
        let hash = leaf_hash(&leaf);
        tree.push(hash);
        for node in tlog_core::nodes_completed_by(index) {
            let hashes = tlog_core::HashReader::read_hashes(&*tree, &[node]).expect("node");
            nodes.push((node, hashes[0]));
        }
        entries.push(NewEntry {
            entry: StoredEntry {
                index,
                leaf_hash: hash,
                leaf,
                integrated_time: 1_700_000_000,
            },
            search_keys: vec![
                format!("sha256:{hash}"),
                format!("user{}@example.com", index % 97),
                format!("https://issuer{}.example", index % 5),
            ],
        });
    }
    BatchCommit {
        expected_size,
        new_head: StoredHead {
            size: tree.size(),
            root: tree.root(),
            checkpoint: vec![b'c'; 300],
        },
        entries,
        nodes,
    }
}

fn commit_batches(c: &mut Criterion) {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = runtime
        .block_on(SqliteStore::open(&dir.path().join("bench.db")))
        .expect("open");
    let log = store.log("rekor");
    let mut tree = MemoryTree::new();

    let mut group = c.benchmark_group("sqlite");
    group.sample_size(20);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("commit_batch_512", |b| {
        b.iter_custom(|iterations| {
            let mut spent = Duration::ZERO;
            for _ in 0..iterations {
                let batch = next_batch(&mut tree);
                let started = Instant::now();
                let outcome = runtime.block_on(log.commit_batch(&batch)).expect("commit");
                spent += started.elapsed();
                assert_eq!(outcome, CommitOutcome::Committed);
            }
            spent
        });
    });
    group.finish();
}

fn engine_appends(c: &mut Criterion) {
    const APPENDS: u64 = 4096;
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let store = runtime
        .block_on(SqliteStore::open(&dir.path().join("bench.db")))
        .expect("open");
    let log = runtime
        .block_on(Log::open(
            store.log("rekor"),
            Arc::new(PlainTextSigner),
            LogConfig::default(),
            EngineMetrics::unregistered(),
            None,
        ))
        .expect("engine");
    let mut next = 0u64;

    let mut group = c.benchmark_group("sqlite");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    group.throughput(Throughput::Elements(APPENDS));
    group.bench_function("engine_append_4096_concurrent", |b| {
        b.iter_custom(|iterations| {
            let started = Instant::now();
            for _ in 0..iterations {
                let first = next;
                next += APPENDS;
                let log = log.clone();
                runtime.block_on(async move {
                    let tasks: Vec<_> = (first..first + APPENDS)
                        .map(|n| {
                            let log = log.clone();
                            tokio::spawn(async move {
                                log.append(PendingEntry {
                                    leaf: leaf(n),
                                    search_keys: vec![format!("user{}@example.com", n % 97)],
                                })
                                .await
                            })
                        })
                        .collect();
                    for task in tasks {
                        task.await.expect("task").expect("append");
                    }
                });
            }
            started.elapsed()
        });
    });
    group.finish();
}

criterion_group!(benches, commit_batches, engine_appends);
criterion_main!(benches);
