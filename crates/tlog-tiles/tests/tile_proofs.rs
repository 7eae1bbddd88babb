//! Roots and proofs computed through tiles equal those computed from a
//! `MemoryTree` directly, with few tiles per proof; tile sets built
//! incrementally with `new_tiles` are complete; verified reading catches
//! tampering.

#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

use proptest::prelude::*;
use tlog_core::{
    Hash, HashReader, MemoryTree, NodeId, ProofError, consistency_proof, inclusion_proof,
    leaf_hash, tree_root,
};
use tlog_tiles::{
    TILE_WIDTH, TileHashReader, TileHashReaderError, TileId, TileReader, hashes_at_level,
    new_tiles, node_location, tile_data, tiles_for_size,
};

/// Large enough that level-1 tiles are full (65,536 leaves) and a level-2
/// tile exists.
const MAX_SIZE: u64 = 70_000;

fn big_tree() -> &'static MemoryTree {
    static TREE: OnceLock<MemoryTree> = OnceLock::new();
    TREE.get_or_init(|| {
        (0..MAX_SIZE)
            .map(|i| leaf_hash(format!("entry {i}").as_bytes()))
            .collect()
    })
}

/// A tile store in memory that records what each call asked for.
#[derive(Default)]
struct MapTiles {
    tiles: HashMap<TileId, Vec<u8>>,
    calls: RefCell<Vec<Vec<TileId>>>,
}

#[derive(Debug, PartialEq, Eq)]
struct MissingTile(TileId);

impl TileReader for MapTiles {
    type Error = MissingTile;
    fn read_tiles(&self, tiles: &[TileId]) -> Result<Vec<Vec<u8>>, MissingTile> {
        self.calls.borrow_mut().push(tiles.to_vec());
        tiles
            .iter()
            .map(|t| self.tiles.get(t).cloned().ok_or(MissingTile(*t)))
            .collect()
    }
}

impl MapTiles {
    fn for_size(size: u64) -> Self {
        let tree = big_tree();
        let tiles = tiles_for_size(size)
            .map(|t| (t, tile_data(t, tree).unwrap()))
            .collect();
        MapTiles {
            tiles,
            calls: RefCell::default(),
        }
    }

    /// Tiles read by the one call made since the last `take_calls`.
    fn take_single_call(&self) -> Vec<TileId> {
        let calls = self.calls.take();
        assert!(
            calls.len() <= 1,
            "{} read_tiles calls for one proof",
            calls.len()
        );
        calls.into_iter().next().unwrap_or_default()
    }
}

/// Number of tile levels that hold hashes in a tree of `size` leaves.
fn tile_levels(size: u64) -> usize {
    (0..8).take_while(|&l| hashes_at_level(size, l) > 0).count()
}

fn interesting_size() -> impl Strategy<Value = u64> {
    prop_oneof![
        1..=MAX_SIZE,
        65_280..=MAX_SIZE,
        1..=700u64,
        Just(256),
        Just(65_536),
        Just(65_537),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn proofs_through_tiles_match_memory_tree(
        size in interesting_size(),
        pick_index in any::<u64>(),
        pick_old in any::<u64>(),
    ) {
        let tree = big_tree();
        let store = MapTiles::for_size(size);
        let reader = TileHashReader::new(size, &store);
        let levels = tile_levels(size);

        prop_assert_eq!(tree_root(size, &reader).unwrap(), tree_root(size, tree).unwrap());
        let root_tiles = store.take_single_call();
        // The root needs exactly the partial (right-edge) tiles.
        prop_assert!(root_tiles.iter().all(|t| !t.is_full()));
        prop_assert!(root_tiles.len() <= levels);

        let index = pick_index % size;
        prop_assert_eq!(
            inclusion_proof(index, size, &reader).unwrap(),
            inclusion_proof(index, size, tree).unwrap()
        );
        let inclusion_tiles = store.take_single_call().len();
        // Per level: the tile on the leaf's path and the right-edge tile.
        prop_assert!(inclusion_tiles <= 2 * levels, "{} tiles for {} levels", inclusion_tiles, levels);

        let old = 1 + pick_old % size;
        prop_assert_eq!(
            consistency_proof(old, size, &reader).unwrap(),
            consistency_proof(old, size, tree).unwrap()
        );
        let consistency_tiles = store.take_single_call().len();
        // Per level: the old tree's edge tile, the new tree's edge tile, and
        // the tile where the old edge's path leaves the old tree.
        prop_assert!(consistency_tiles <= 3 * levels, "{} tiles for {} levels", consistency_tiles, levels);

        // Verified reading gives the same answers, and rejects a wrong root.
        let root = tree.root_at(size);
        let verified = TileHashReader::new_verified(size, root, &store);
        prop_assert_eq!(
            inclusion_proof(index, size, &verified).unwrap(),
            inclusion_proof(index, size, tree).unwrap()
        );
        prop_assert_eq!(
            consistency_proof(old, size, &verified).unwrap(),
            consistency_proof(old, size, tree).unwrap()
        );
        let mut wrong = root.0;
        wrong[0] ^= 1;
        let wrong_root = TileHashReader::new_verified(size, Hash(wrong), &store);
        let result = inclusion_proof(index, size, &wrong_root);
        prop_assert!(
            matches!(result, Err(ProofError::Read(TileHashReaderError::RootMismatch { .. }))),
            "{:?}", result
        );
    }

    /// Any node of any level reads back as the tree's own hash.
    #[test]
    fn single_nodes_read_back(size in interesting_size(), level in 0u8..17, pick in any::<u64>()) {
        let tree = big_tree();
        let count = size >> level;
        prop_assume!(count > 0);
        let node = NodeId::new(level, pick % count);
        let store = MapTiles::for_size(size);
        let location = node_location(node).unwrap();
        prop_assert!(location.tile_in_tree(size).is_some());
        let reader = TileHashReader::new(size, &store);
        prop_assert_eq!(reader.read_hashes(&[node]).unwrap(), vec![tree.node(node).unwrap()]);
        let beyond = NodeId::new(level, count);
        let result = reader.read_hashes(&[beyond]);
        prop_assert!(matches!(result, Err(TileHashReaderError::NodeNotInTree { .. })), "{:?}", result);
    }

    /// `new_tiles(old, new)` is exactly what `new` has and `old` has not.
    #[test]
    fn new_tiles_is_the_difference(a in 0..=100_000u64, b in 0..=100_000u64) {
        let (old, new) = (a.min(b), a.max(b));
        let old_set: BTreeSet<TileId> = tiles_for_size(old).collect();
        let want: Vec<TileId> = tiles_for_size(new).filter(|t| !old_set.contains(t)).collect();
        let got: Vec<TileId> = new_tiles(old, new).collect();
        prop_assert_eq!(got, want);
    }

    /// Growing a tile store batch by batch with `new_tiles` always leaves every
    /// tile of the current size in place, and proofs keep working.
    #[test]
    fn incremental_tile_store(batches in proptest::collection::vec(1u64..9_000, 1..10), pick in any::<u64>()) {
        let tree = big_tree();
        let mut store = MapTiles::default();
        let mut size = 0;
        for batch in batches {
            let new_size = (size + batch).min(MAX_SIZE);
            for tile in new_tiles(size, new_size) {
                let previous = store.tiles.insert(tile, tile_data(tile, tree).unwrap());
                prop_assert!(previous.is_none(), "tile {} written twice", tile);
            }
            size = new_size;
            for tile in tiles_for_size(size) {
                prop_assert!(store.tiles.contains_key(&tile), "missing {}", tile);
            }
            let root = tree.root_at(size);
            let reader = TileHashReader::new_verified(size, root, &store);
            prop_assert_eq!(tree_root(size, &reader).unwrap(), root);
            let index = pick % size;
            prop_assert_eq!(
                inclusion_proof(index, size, &reader).unwrap(),
                inclusion_proof(index, size, tree).unwrap()
            );
        }
    }
}

/// Root of the prefix of `big_tree()` of a given size.
trait RootAt {
    fn root_at(&self, size: u64) -> Hash;
}

impl RootAt for MemoryTree {
    fn root_at(&self, size: u64) -> Hash {
        tree_root(size, self).unwrap()
    }
}

#[test]
fn tampered_tiles_are_caught_by_the_verified_reader() {
    let tree = big_tree();
    let size = 66_000;
    let root = tree.root_at(size);
    let index = 1_000;
    let want = inclusion_proof(index, size, tree).unwrap();

    let clean = MapTiles::for_size(size);
    let reader = TileHashReader::new_verified(size, root, &clean);
    assert_eq!(inclusion_proof(index, size, &reader).unwrap(), want);
    let tiles_read = clean.take_single_call();
    eprintln!(
        "verified inclusion proof at size {size} read {} tiles",
        tiles_read.len()
    );

    // Flip one byte of each tile that was read, one at a time.
    for tile in &tiles_read {
        let mut store = MapTiles::for_size(size);
        store.tiles.get_mut(tile).unwrap()[5] ^= 0x40;
        let reader = TileHashReader::new_verified(size, root, &store);
        let result = inclusion_proof(index, size, &reader);
        assert!(
            matches!(
                result,
                Err(ProofError::Read(
                    TileHashReaderError::RootMismatch { .. }
                        | TileHashReaderError::TileHashMismatch { .. }
                ))
            ),
            "tampering with {tile} gave {result:?}"
        );
    }
}

#[test]
fn reader_contract_violations() {
    struct Truncating(MapTiles);
    impl TileReader for Truncating {
        type Error = MissingTile;
        fn read_tiles(&self, tiles: &[TileId]) -> Result<Vec<Vec<u8>>, MissingTile> {
            let mut out = self.0.read_tiles(tiles)?;
            out[0].pop();
            Ok(out)
        }
    }
    struct Dropping(MapTiles);
    impl TileReader for Dropping {
        type Error = MissingTile;
        fn read_tiles(&self, tiles: &[TileId]) -> Result<Vec<Vec<u8>>, MissingTile> {
            let mut out = self.0.read_tiles(tiles)?;
            out.pop();
            Ok(out)
        }
    }
    let size = 1_000;
    let truncating = Truncating(MapTiles::for_size(size));
    // The root of 1,000 leaves is read from the partial tiles 0/003.p/232 and
    // 1/000.p/3; the reader asks for the level-1 one first.
    let result = tree_root(size, &TileHashReader::new(size, &truncating));
    assert!(
        matches!(
            result,
            Err(ProofError::Read(TileHashReaderError::WrongTileLength {
                tile: TileId {
                    level: 1,
                    index: 0,
                    width: 3
                },
                got: 95,
                want: 96,
            }))
        ),
        "{result:?}"
    );
    let dropping = Dropping(MapTiles::for_size(size));
    assert!(matches!(
        tree_root(size, &TileHashReader::new(size, &dropping)),
        Err(ProofError::Read(TileHashReaderError::WrongTileCount {
            asked: 2,
            got: 1
        }))
    ));
    let empty = MapTiles::default();
    assert!(matches!(
        tree_root(size, &TileHashReader::new(size, &empty)),
        Err(ProofError::Read(TileHashReaderError::Read(MissingTile(_))))
    ));
}

#[test]
fn tile_data_matches_tree_nodes() {
    let tree = big_tree();
    let tile = TileId::full(1, 0);
    let data = tile_data(tile, tree).unwrap();
    assert_eq!(data.len(), 8_192);
    for slot in [0usize, 1, 255] {
        let node = tree.node(NodeId::new(8, slot as u64)).unwrap();
        assert_eq!(&data[slot * 32..slot * 32 + 32], node.as_bytes());
    }
    let partial = TileId {
        level: 0,
        index: 273,
        width: 112,
    };
    assert_eq!(tile_data(partial, tree).unwrap().len(), 112 * 32);
    let beyond = TileId::full(2, 0);
    assert!(matches!(
        tile_data(beyond, tree),
        Err(tlog_tiles::TileDataError::Read(_))
    ));
    let invalid = TileId {
        level: 0,
        index: 0,
        width: 0,
    };
    assert!(matches!(
        tile_data(invalid, tree),
        Err(tlog_tiles::TileDataError::InvalidTile { .. })
    ));
    assert_eq!(TILE_WIDTH, 256);
}

/// A deterministic sweep over edge-case sizes and positions: the same tile
/// bounds as the property test, and the worst counts printed for reference.
#[test]
fn tile_counts_at_edge_cases() {
    let sizes = [
        1, 2, 255, 256, 257, 511, 512, 513, 65_535, 65_536, 65_537, 65_792, 69_999, 70_000,
    ];
    let (mut worst_inclusion, mut worst_consistency) = (0, 0);
    for size in sizes {
        let store = MapTiles::for_size(size);
        let reader = TileHashReader::new(size, &store);
        let levels = tile_levels(size);
        let positions = [
            0,
            1,
            254,
            255,
            256,
            257,
            65_535,
            65_536,
            size / 2,
            size.saturating_sub(2),
            size - 1,
        ];
        for &index in positions.iter().filter(|&&i| i < size) {
            inclusion_proof(index, size, &reader).unwrap();
            let n = store.take_single_call().len();
            assert!(n <= 2 * levels, "inclusion {index} in {size}: {n} tiles");
            worst_inclusion = worst_inclusion.max(n);
            let old = index + 1;
            consistency_proof(old, size, &reader).unwrap();
            let n = store.take_single_call().len();
            assert!(n <= 3 * levels, "consistency {old} -> {size}: {n} tiles");
            worst_consistency = worst_consistency.max(n);
        }
    }
    eprintln!(
        "most tiles read by one proof (trees up to 3 tile levels): inclusion {worst_inclusion}, consistency {worst_consistency}"
    );
    assert!(worst_inclusion >= 3 && worst_consistency >= 3);
}
