//! Hashing, proof generation and proof verification at tree size 1,000,000.
//! Run by hand: `cargo bench -p tlog-core`.

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tlog_core::{
    Hash, MemoryTree, append_hashes, consistency_proof, inclusion_proof, leaf_hash, node_hash,
    tree_root, verify_consistency, verify_inclusion,
};

const SIZE: u64 = 1_000_000;

fn big_tree() -> MemoryTree {
    (0..SIZE).map(|i| leaf_hash(&i.to_be_bytes())).collect()
}

fn hashing(c: &mut Criterion) {
    let mut group = c.benchmark_group("hashing");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2));
    for len in [64usize, 1024] {
        let data = vec![0xA5u8; len];
        group.throughput(Throughput::Bytes(len as u64));
        group.bench_function(format!("leaf_hash/{len}B"), |b| {
            b.iter(|| leaf_hash(black_box(&data)))
        });
    }
    let (l, r) = (leaf_hash(b"l"), leaf_hash(b"r"));
    group.throughput(Throughput::Elements(1));
    group.bench_function("node_hash", |b| {
        b.iter(|| node_hash(black_box(&l), black_box(&r)))
    });
    group.finish();
}

fn proofs(c: &mut Criterion) {
    let tree = big_tree();
    let root = tree.root();
    let old_size = 654_321;
    let old_root = tree_root(old_size, &tree).expect("old root");

    let mut group = c.benchmark_group("proofs_at_1M");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2));

    let mut index = 0u64;
    group.bench_function("inclusion_proof", |b| {
        b.iter(|| {
            index = (index + 7919) % SIZE;
            inclusion_proof(black_box(index), SIZE, &tree).expect("proof")
        })
    });
    let leaf_index = 123_456;
    let leaf = tree
        .node(tlog_core::NodeId::leaf(leaf_index))
        .expect("leaf");
    let proof = inclusion_proof(leaf_index, SIZE, &tree).expect("proof");
    group.bench_function("verify_inclusion", |b| {
        b.iter(|| verify_inclusion(&leaf, leaf_index, SIZE, black_box(&proof), &root).expect("ok"))
    });

    group.bench_function("consistency_proof", |b| {
        b.iter(|| consistency_proof(black_box(old_size), SIZE, &tree).expect("proof"))
    });
    let cproof = consistency_proof(old_size, SIZE, &tree).expect("proof");
    group.bench_function("verify_consistency", |b| {
        b.iter(|| {
            verify_consistency(old_size, SIZE, &old_root, &root, black_box(&cproof)).expect("ok")
        })
    });

    group.bench_function("tree_root", |b| {
        b.iter(|| tree_root(black_box(SIZE - 1), &tree).expect("root"))
    });

    let batch: Vec<Hash> = (0..256u32).map(|i| leaf_hash(&i.to_le_bytes())).collect();
    group.throughput(Throughput::Elements(batch.len() as u64));
    group.bench_function("append_hashes/256", |b| {
        b.iter(|| append_hashes(SIZE - 3, black_box(&batch), &tree).expect("append"))
    });
    group.finish();
}

criterion_group!(benches, hashing, proofs);
criterion_main!(benches);
