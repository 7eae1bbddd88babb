//! Proof generation through tiles at tree size 1,000,000.
//! Run by hand: `cargo bench -p tlog-tiles`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use tlog_core::{MemoryTree, consistency_proof, inclusion_proof, leaf_hash, tree_root};
use tlog_tiles::{TileHashReader, TileId, TileReader, tile_data, tiles_for_size};

const SIZE: u64 = 1_000_000;

struct MapTiles(HashMap<TileId, Vec<u8>>);

impl TileReader for MapTiles {
    type Error = Infallible;
    fn read_tiles(&self, tiles: &[TileId]) -> Result<Vec<Vec<u8>>, Infallible> {
        Ok(tiles
            .iter()
            .map(|t| self.0.get(t).cloned().unwrap_or_default())
            .collect())
    }
}

fn tile_proofs(c: &mut Criterion) {
    let tree: MemoryTree = (0..SIZE).map(|i| leaf_hash(&i.to_be_bytes())).collect();
    let store = MapTiles(
        tiles_for_size(SIZE)
            .map(|t| (t, tile_data(t, &tree).expect("tile from tree")))
            .collect(),
    );
    let root = tree.root();
    let plain = TileHashReader::new(SIZE, &store);
    let verified = TileHashReader::new_verified(SIZE, root, &store);

    let mut group = c.benchmark_group("tiles_at_1M");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2));
    let mut index = 0u64;
    group.bench_function("inclusion_proof", |b| {
        b.iter(|| {
            index = (index + 7919) % SIZE;
            inclusion_proof(black_box(index), SIZE, &plain).expect("proof")
        })
    });
    group.bench_function("inclusion_proof_verified_tiles", |b| {
        b.iter(|| {
            index = (index + 7919) % SIZE;
            inclusion_proof(black_box(index), SIZE, &verified).expect("proof")
        })
    });
    let mut old = 1u64;
    group.bench_function("consistency_proof", |b| {
        b.iter(|| {
            old = (old + 7919) % (SIZE - 1) + 1;
            consistency_proof(black_box(old), SIZE, &plain).expect("proof")
        })
    });
    group.bench_function("tree_root", |b| {
        b.iter(|| tree_root(black_box(SIZE), &plain).expect("root"))
    });
    group.finish();
}

criterion_group!(benches, tile_proofs);
criterion_main!(benches);
