//! Reading node hashes out of tiles, and building tiles out of node hashes.

use std::collections::BTreeMap;

use tlog_core::{HASH_SIZE, Hash, HashReader, NodeId, node_hash};

use crate::layout::{hashes_at_level, node_location, tile_in_tree};
use crate::{MAX_USED_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH, TileId};

/// Storage of tiles (a bucket, a directory, an HTTP client with a cache).
///
/// # Contract
///
/// `read_tiles` returns exactly `tiles.len()` byte strings, the `i`-th being
/// the contents of `tiles[i]`, or an error. [`TileHashReader`] checks the
/// count and every length (`width × 32`) and fails with a specific error when
/// they are wrong. A reader may serve a partial tile from the full tile with
/// the same level and index by truncating it to `width × 32` bytes.
pub trait TileReader {
    /// Error of the underlying storage.
    type Error;

    /// Returns the contents of `tiles`, in the same order.
    fn read_tiles(&self, tiles: &[TileId]) -> Result<Vec<Vec<u8>>, Self::Error>;
}

impl<T: TileReader + ?Sized> TileReader for &T {
    type Error = T::Error;
    fn read_tiles(&self, tiles: &[TileId]) -> Result<Vec<Vec<u8>>, Self::Error> {
        (**self).read_tiles(tiles)
    }
}

/// Why [`TileHashReader`] could not answer.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileHashReaderError<E> {
    /// A node that is not complete in the tree was requested.
    #[error("node {node} is not complete in a tree of size {size}")]
    NodeNotInTree {
        /// The requested node.
        node: NodeId,
        /// The tree size the reader serves.
        size: u64,
    },
    /// The [`TileReader`] failed.
    #[error("reading tiles failed")]
    Read(#[source] E),
    /// The [`TileReader`] returned the wrong number of tiles.
    #[error("tile reader returned {got} tiles for {asked} requested")]
    WrongTileCount {
        /// Tiles requested.
        asked: usize,
        /// Tiles returned.
        got: usize,
    },
    /// A tile does not have `width × 32` bytes.
    #[error("tile {tile} has {got} bytes, expected {want}")]
    WrongTileLength {
        /// The tile.
        tile: TileId,
        /// Its length.
        got: usize,
        /// The expected length.
        want: usize,
    },
    /// (Verified reader) The root computed from the tiles is not the
    /// checkpoint's.
    #[error("tiles give root {computed}, the checkpoint says {expected}")]
    RootMismatch {
        /// Root computed from the right-edge tiles.
        computed: Hash,
        /// Root the reader was created with.
        expected: Hash,
    },
    /// (Verified reader) A full tile's hash is not the one stored for it in
    /// the tile above.
    #[error("tile {tile} does not match its hash in the tile above")]
    TileHashMismatch {
        /// The tile that failed.
        tile: TileId,
    },
}

/// A [`HashReader`] for the tree of `size` leaves backed by tiles.
///
/// Each `read_hashes` call maps the nodes to tiles and makes **one**
/// `read_tiles` call. Nodes whose height is a multiple of 8 are read from a
/// tile slot; others are hashed from the `2^(height mod 8)` slots below them.
///
/// Created with [`TileHashReader::new_verified`], it also authenticates every
/// tile it reads against the checkpoint root: it reads the partial tiles of
/// the right edge (which together give the root) and, for each full tile, the
/// chain of tiles above it up to a partial tile, and checks each full tile's
/// hash against its slot in the tile above.
#[derive(Debug)]
pub struct TileHashReader<'a, T: TileReader> {
    size: u64,
    root: Option<Hash>,
    reader: &'a T,
}

impl<'a, T: TileReader> TileHashReader<'a, T> {
    /// A reader for the tree of `size` leaves that trusts the tiles it reads.
    pub fn new(size: u64, reader: &'a T) -> Self {
        TileHashReader {
            size,
            root: None,
            reader,
        }
    }

    /// A reader for the tree of `size` leaves with root `root` (from a verified
    /// checkpoint) that checks every tile it reads against that root.
    pub fn new_verified(size: u64, root: Hash, reader: &'a T) -> Self {
        TileHashReader {
            size,
            root: Some(root),
            reader,
        }
    }

    /// The tree size this reader serves.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The tiles one `read_hashes(nodes)` call would read, in the order it
    /// would request them.
    pub fn tiles_for_nodes(
        &self,
        nodes: &[NodeId],
    ) -> Result<Vec<TileId>, TileHashReaderError<T::Error>> {
        let (tiles, _) = self.plan(nodes)?;
        Ok(tiles)
    }

    /// Maps nodes to the tiles to read; returns the tiles and, per node, its
    /// tile position and slot range.
    #[allow(clippy::type_complexity)]
    fn plan(
        &self,
        nodes: &[NodeId],
    ) -> Result<(Vec<TileId>, Vec<(usize, std::ops::Range<u16>)>), TileHashReaderError<T::Error>>
    {
        let mut tiles: BTreeMap<TileId, usize> = BTreeMap::new();
        let mut order: Vec<TileId> = Vec::new();
        let mut add = |tile: TileId, tiles: &mut BTreeMap<TileId, usize>| -> usize {
            *tiles.entry(tile).or_insert_with(|| {
                order.push(tile);
                order.len() - 1
            })
        };
        let mut placed = Vec::with_capacity(nodes.len());
        for &node in nodes {
            let not_in_tree = TileHashReaderError::NodeNotInTree {
                node,
                size: self.size,
            };
            if !node.exists_in_tree(self.size) {
                return Err(not_in_tree);
            }
            let location = node_location(node).ok_or(not_in_tree)?;
            let tile =
                location
                    .tile_in_tree(self.size)
                    .ok_or(TileHashReaderError::NodeNotInTree {
                        node,
                        size: self.size,
                    })?;
            placed.push((add(tile, &mut tiles), location.slots));
        }
        if self.root.is_some() && !nodes.is_empty() {
            // The right edge (partial tiles) authenticates against the root.
            for level in 0..=MAX_USED_TILE_LEVEL {
                let count = hashes_at_level(self.size, level);
                if !count.is_multiple_of(TILE_WIDTH)
                    && let Some(tile) = tile_in_tree(self.size, level, count / TILE_WIDTH)
                {
                    add(tile, &mut tiles);
                }
            }
            // Full tiles authenticate through the chain of tiles above them.
            let full: Vec<TileId> = tiles.keys().filter(|t| t.is_full()).copied().collect();
            for mut tile in full {
                while tile.is_full() {
                    let Some(parent) =
                        tile_in_tree(self.size, tile.level + 1, tile.index / TILE_WIDTH)
                    else {
                        break;
                    };
                    add(parent, &mut tiles);
                    tile = parent;
                }
            }
        }
        Ok((order, placed))
    }
}

fn slot_hash(data: &[u8], slot: usize) -> Hash {
    let mut bytes = [0u8; HASH_SIZE];
    bytes.copy_from_slice(&data[slot * HASH_SIZE..(slot + 1) * HASH_SIZE]);
    Hash(bytes)
}

/// Root of the perfect subtree whose leaves are `slots` of a tile (a power of
/// two count of them).
fn perfect_root(data: &[u8], slots: std::ops::Range<usize>) -> Hash {
    let mut layer: Vec<Hash> = slots.map(|slot| slot_hash(data, slot)).collect();
    while layer.len() > 1 {
        layer = layer
            .chunks_exact(2)
            .map(|pair| node_hash(&pair[0], &pair[1]))
            .collect();
    }
    layer[0]
}

impl<T: TileReader> HashReader for TileHashReader<'_, T> {
    type Error = TileHashReaderError<T::Error>;

    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
        let (tiles, placed) = self.plan(nodes)?;
        if tiles.is_empty() {
            return Ok(Vec::new());
        }
        let data = self
            .reader
            .read_tiles(&tiles)
            .map_err(TileHashReaderError::Read)?;
        if data.len() != tiles.len() {
            return Err(TileHashReaderError::WrongTileCount {
                asked: tiles.len(),
                got: data.len(),
            });
        }
        for (tile, bytes) in tiles.iter().zip(&data) {
            if bytes.len() != tile.byte_len() {
                return Err(TileHashReaderError::WrongTileLength {
                    tile: *tile,
                    got: bytes.len(),
                    want: tile.byte_len(),
                });
            }
        }
        if let Some(root) = self.root {
            verify_tiles(self.size, root, &tiles, &data)?;
        }
        Ok(placed
            .into_iter()
            .map(|(position, slots)| {
                let tile_data = &data[position];
                if slots.len() == 1 {
                    slot_hash(tile_data, usize::from(slots.start))
                } else {
                    perfect_root(tile_data, usize::from(slots.start)..usize::from(slots.end))
                }
            })
            .collect())
    }
}

/// Checks the read tiles against the root: the right-edge partial tiles must
/// give `root`, and each full tile must hash to its slot in the tile above.
/// `plan` guarantees that both kinds of tile are present.
fn verify_tiles<E>(
    size: u64,
    root: Hash,
    tiles: &[TileId],
    data: &[Vec<u8>],
) -> Result<(), TileHashReaderError<E>> {
    let by_id: BTreeMap<TileId, &[u8]> = tiles
        .iter()
        .copied()
        .zip(data.iter().map(Vec::as_slice))
        .collect();

    // The root is the right fold of the perfect subtrees of the tree, largest
    // first; those of height 8L..8L+7 are the perfect subtrees of the
    // partial tile at level L.
    let mut pieces = Vec::new();
    for level in (0..=MAX_USED_TILE_LEVEL).rev() {
        let count = hashes_at_level(size, level);
        let width = (count % TILE_WIDTH) as usize;
        if width == 0 {
            continue;
        }
        let Some(tile) = tile_in_tree(size, level, count / TILE_WIDTH) else {
            continue;
        };
        let Some(bytes) = by_id.get(&tile) else {
            continue;
        };
        let mut start = 0usize;
        for bit in (0..TILE_HEIGHT).rev() {
            let piece = 1usize << bit;
            if width & piece != 0 {
                pieces.push(perfect_root(bytes, start..start + piece));
                start += piece;
            }
        }
    }
    let computed = match pieces.split_last() {
        Some((last, rest)) => rest
            .iter()
            .rev()
            .fold(*last, |acc, left| node_hash(left, &acc)),
        None => tlog_core::empty_root(),
    };
    if computed != root {
        return Err(TileHashReaderError::RootMismatch {
            computed,
            expected: root,
        });
    }

    for (tile, bytes) in &by_id {
        if !tile.is_full() {
            continue;
        }
        let parent = tile_in_tree(size, tile.level + 1, tile.index / TILE_WIDTH);
        let stored = parent
            .and_then(|p| by_id.get(&p))
            .map(|parent_bytes| slot_hash(parent_bytes, (tile.index % TILE_WIDTH) as usize));
        if stored != Some(perfect_root(bytes, 0..TILE_WIDTH as usize)) {
            return Err(TileHashReaderError::TileHashMismatch { tile: *tile });
        }
    }
    Ok(())
}

/// Why [`tile_data`] failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TileDataError<E> {
    /// The tile cannot exist (width 0 or above 256, or a level above 7, or an
    /// index too large for a `u64` tree).
    #[error("tile {tile} cannot exist")]
    InvalidTile {
        /// The tile.
        tile: TileId,
    },
    /// The [`HashReader`] failed.
    #[error("reading node hashes failed")]
    Read(#[source] E),
    /// The [`HashReader`] returned the wrong number of hashes.
    #[error("hash reader returned {got} hashes for {asked} nodes")]
    ReaderReturnedWrongCount {
        /// Nodes requested.
        asked: usize,
        /// Hashes returned.
        got: usize,
    },
}

/// The contents of `tile` (its `width` hashes of height `level × 8`,
/// concatenated), read from stored node hashes in one `read_hashes` call.
pub fn tile_data<R: HashReader>(
    tile: TileId,
    reader: &R,
) -> Result<Vec<u8>, TileDataError<R::Error>> {
    let invalid = TileDataError::InvalidTile { tile };
    if tile.width == 0 || u64::from(tile.width) > TILE_WIDTH {
        return Err(invalid);
    }
    let nodes: Vec<NodeId> = (0..tile.width)
        .map(|slot| tile.node_at(slot))
        .collect::<Option<_>>()
        .ok_or(invalid)?;
    let hashes = reader.read_hashes(&nodes).map_err(TileDataError::Read)?;
    if hashes.len() != nodes.len() {
        return Err(TileDataError::ReaderReturnedWrongCount {
            asked: nodes.len(),
            got: hashes.len(),
        });
    }
    let mut out = Vec::with_capacity(tile.byte_len());
    for hash in &hashes {
        out.extend_from_slice(hash.as_bytes());
    }
    Ok(out)
}
