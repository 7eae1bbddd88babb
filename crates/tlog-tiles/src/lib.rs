#![doc = include_str!("../README.md")]

mod bundle;
mod layout;
mod path;
mod reader;

pub use bundle::{
    EntryBundleError, MAX_ENTRY_SIZE, decode_entry_bundle, decode_entry_bundle_exact,
    encode_entry_bundle,
};
pub use layout::{
    MAX_USED_TILE_LEVEL, NodeLocation, hashes_at_level, new_tiles, node_location, tile_in_tree,
    tile_width, tiles_for_size,
};
pub use path::{EntryBundleId, TileId, TilePathError};
pub use reader::{TileDataError, TileHashReader, TileHashReaderError, TileReader, tile_data};

/// Height of a tile: each tile spans 8 levels of the Merkle tree.
pub const TILE_HEIGHT: u8 = 8;

/// Number of hashes in a full tile (`2^TILE_HEIGHT`), and of entries in a full
/// entry bundle.
pub const TILE_WIDTH: u64 = 256;

/// Highest tile level a path may name (`<L>` is 0 to 63).
pub const MAX_TILE_LEVEL: u8 = 63;
