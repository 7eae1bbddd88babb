//! Which tiles exist for a tree size, which change when it grows, and where a
//! node's hash lives.

use std::ops::Range;

use tlog_core::NodeId;

use crate::{TILE_HEIGHT, TILE_WIDTH, TileId};

/// Highest tile level that can hold a hash in a tree with a `u64` size
/// (level 7 holds nodes of height 56; level 8 would need 2^64 leaves).
pub const MAX_USED_TILE_LEVEL: u8 = 7;

/// Number of hashes stored at tile `level` in a tree of `size` leaves: the
/// number of complete nodes of height `level × 8`.
pub fn hashes_at_level(size: u64, level: u8) -> u64 {
    size.checked_shr(u32::from(level) * u32::from(TILE_HEIGHT))
        .unwrap_or(0)
}

/// The width of tile `index` at `level` in a tree of `size` leaves, or `None`
/// if that tile is empty (and so does not exist).
pub fn tile_width(size: u64, level: u8, index: u64) -> Option<u16> {
    let count = hashes_at_level(size, level);
    let first = index.checked_mul(TILE_WIDTH)?;
    let width = count.checked_sub(first)?.min(TILE_WIDTH);
    (width > 0).then_some(width as u16)
}

/// The tile at `level` and `index` as it is in a tree of `size` leaves.
pub fn tile_in_tree(size: u64, level: u8, index: u64) -> Option<TileId> {
    tile_width(size, level, index).map(|width| TileId {
        level,
        index,
        width,
    })
}

/// Every tile of a tree of `size` leaves, full and partial, level by level
/// from level 0, left to right. A tree of 70,000 leaves has 273 full and one
/// partial (width 112) level-0 tiles, one full and one partial (width 17)
/// level-1 tile, and one partial (width 1) level-2 tile.
///
/// This is lazy: a huge size does not allocate, but iterating it all takes
/// about `size / 255` steps.
pub fn tiles_for_size(size: u64) -> impl Iterator<Item = TileId> {
    (0..=MAX_USED_TILE_LEVEL).flat_map(move |level| {
        let count = hashes_at_level(size, level);
        let tiles = count.div_ceil(TILE_WIDTH);
        (0..tiles).filter_map(move |index| tile_in_tree(size, level, index))
    })
}

/// The tiles that must be written when the tree grows from `old_size` to
/// `new_size` leaves: every tile of the new tree that the old tree does not
/// have with the same width (new full tiles, and partial tiles that grew or
/// became full). Empty when `new_size <= old_size`.
pub fn new_tiles(old_size: u64, new_size: u64) -> impl Iterator<Item = TileId> {
    (0..=MAX_USED_TILE_LEVEL).flat_map(move |level| {
        let old_count = hashes_at_level(old_size, level);
        let new_count = hashes_at_level(new_size, level);
        let range = if new_count > old_count {
            (old_count / TILE_WIDTH)..new_count.div_ceil(TILE_WIDTH)
        } else {
            0..0
        };
        range.filter_map(move |index| tile_in_tree(new_size, level, index))
    })
}

/// Where the hash of a node lives: the tile level and index, and the slots
/// of that tile to hash together (one slot when the node's height is a
/// multiple of 8, otherwise `2^(height mod 8)` slots whose perfect-subtree
/// root is the node).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct NodeLocation {
    /// Tile level (`node.level / 8`).
    pub tile_level: u8,
    /// Tile index within that level.
    pub tile_index: u64,
    /// The slots of the tile that make up the node.
    pub slots: Range<u16>,
}

impl NodeLocation {
    /// The tile, with its width in a tree of `size` leaves, if it holds every
    /// slot (that is, if the node is complete in that tree).
    pub fn tile_in_tree(&self, size: u64) -> Option<TileId> {
        let tile = tile_in_tree(size, self.tile_level, self.tile_index)?;
        (self.slots.end <= tile.width).then_some(tile)
    }
}

/// Where the hash of `node` is stored, or `None` for a node that cannot exist
/// in a tree with a `u64` size.
pub fn node_location(node: NodeId) -> Option<NodeLocation> {
    node.end_leaf()?;
    let tile_level = node.level / TILE_HEIGHT;
    let within = node.level % TILE_HEIGHT;
    let first = node.index.checked_shl(u32::from(within))?;
    if first >> within != node.index {
        return None;
    }
    let start = (first % TILE_WIDTH) as u16;
    Some(NodeLocation {
        tile_level,
        tile_index: first / TILE_WIDTH,
        slots: start..start + (1u16 << within),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_examples() {
        let tiles: Vec<TileId> = tiles_for_size(70_000).collect();
        let full0 = tiles.iter().filter(|t| t.level == 0 && t.is_full()).count();
        assert_eq!(full0, 273);
        let partial: Vec<_> = tiles.iter().filter(|t| !t.is_full()).copied().collect();
        assert_eq!(
            partial,
            vec![
                TileId {
                    level: 0,
                    index: 273,
                    width: 112
                },
                TileId {
                    level: 1,
                    index: 1,
                    width: 17
                },
                TileId {
                    level: 2,
                    index: 0,
                    width: 1
                },
            ]
        );
        assert_eq!(
            tiles.iter().filter(|t| t.level == 1 && t.is_full()).count(),
            1
        );
        assert_eq!(tiles.len(), 273 + 1 + 1 + 1 + 1);

        let tiles: Vec<TileId> = tiles_for_size(256).collect();
        assert_eq!(
            tiles,
            vec![
                TileId::full(0, 0),
                TileId {
                    level: 1,
                    index: 0,
                    width: 1
                }
            ]
        );
        assert_eq!(tiles_for_size(0).count(), 0);
        assert_eq!(
            tiles_for_size(1).collect::<Vec<_>>(),
            vec![TileId {
                level: 0,
                index: 0,
                width: 1
            }]
        );
    }

    #[test]
    fn top_of_huge_tree() {
        // Lazy: the first tiles come at once even for the largest tree.
        assert_eq!(tiles_for_size(u64::MAX).next(), Some(TileId::full(0, 0)));
        assert_eq!(
            tile_in_tree(u64::MAX, 7, 0),
            Some(TileId {
                level: 7,
                index: 0,
                width: 255
            })
        );
        assert_eq!(tile_width(u64::MAX, 7, 0), Some(255));
        assert_eq!(tile_width(u64::MAX, 8, 0), None);
        assert_eq!(tile_width(u64::MAX, 0, u64::MAX), None);
        assert_eq!(new_tiles(u64::MAX - 1, u64::MAX).count(), 1);
        assert_eq!(new_tiles(10, 5).count(), 0);
    }

    #[test]
    fn locations() {
        assert_eq!(
            node_location(NodeId::new(0, 513)),
            Some(NodeLocation {
                tile_level: 0,
                tile_index: 2,
                slots: 1..2
            })
        );
        assert_eq!(
            node_location(NodeId::new(3, 33)),
            Some(NodeLocation {
                tile_level: 0,
                tile_index: 1,
                slots: 8..16
            })
        );
        assert_eq!(
            node_location(NodeId::new(8, 5)),
            Some(NodeLocation {
                tile_level: 1,
                tile_index: 0,
                slots: 5..6
            })
        );
        assert_eq!(
            node_location(NodeId::new(15, 3)),
            Some(NodeLocation {
                tile_level: 1,
                tile_index: 1,
                slots: 128..256
            })
        );
        assert_eq!(
            node_location(NodeId::new(63, 0)),
            Some(NodeLocation {
                tile_level: 7,
                tile_index: 0,
                slots: 0..128
            })
        );
        assert_eq!(node_location(NodeId::new(63, 1)), None);
        assert_eq!(node_location(NodeId::new(64, 0)), None);
        assert_eq!(node_location(NodeId::leaf(u64::MAX)), None);
        let loc = node_location(NodeId::new(1, 2)).expect("valid");
        assert_eq!(loc.tile_in_tree(5), None);
        assert_eq!(
            loc.tile_in_tree(6),
            Some(TileId {
                level: 0,
                index: 0,
                width: 6
            })
        );
    }
}
