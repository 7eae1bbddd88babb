//! Tile and entry bundle identifiers and their URL paths.

use std::fmt;

use tlog_core::NodeId;

use crate::{MAX_TILE_LEVEL, TILE_HEIGHT, TILE_WIDTH};

/// A Merkle tree tile: `width` consecutive hashes at tree height
/// `level × 8`, starting at hash `index × 256` of that height
/// ([c2sp.org/tlog-tiles](https://c2sp.org/tlog-tiles)).
///
/// `width` is 1 to 256, where 256 is a full tile and anything less a partial
/// tile. The fields are public; [`TileId::new`] checks them, and
/// [`TileId::path`] of an invalid id is a path that [`TileId::parse_path`]
/// rejects.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TileId {
    /// Tile level `L` (0 holds leaf hashes); at most 63.
    pub level: u8,
    /// Tile index `N` within its level.
    pub index: u64,
    /// Number of hashes, 1 to 256.
    pub width: u16,
}

/// An entry bundle: the entries `[index × 256, index × 256 + width)` of the log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryBundleId {
    /// Bundle index `N` (equal to the index of the level-0 tile it matches).
    pub index: u64,
    /// Number of entries, 1 to 256.
    pub width: u16,
}

/// Why a [`TileId`] or [`EntryBundleId`] is invalid, or its path is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TilePathError {
    /// The path does not start with `tile/` (or `tile/entries/` for a bundle).
    #[error("path does not start with the expected `tile/` prefix")]
    MissingPrefix,
    /// `<L>` is empty, not decimal, or has a leading zero.
    #[error("tile level is not a decimal number without leading zeros")]
    InvalidLevel,
    /// `<L>` is above 63.
    #[error("tile level {level} is above {MAX_TILE_LEVEL}")]
    LevelTooHigh {
        /// The level (saturated at `u64::MAX`).
        level: u64,
    },
    /// `<N>` is missing.
    #[error("tile index is missing")]
    MissingIndex,
    /// One `/`-separated element of `<N>` is not three digits, with an `x`
    /// before all but the last one.
    #[error("element {element} of the tile index is malformed")]
    InvalidIndexElement {
        /// Position of the element, counting from 0.
        element: usize,
    },
    /// `<N>` starts with a zero group (`x000/…`), so it is not the one
    /// canonical spelling.
    #[error("tile index has a leading zero group")]
    NonCanonicalIndex,
    /// `<N>` does not fit in 64 bits.
    #[error("tile index does not fit in 64 bits")]
    IndexOverflow,
    /// `<W>` after `.p/` is empty, not decimal, or has a leading zero.
    #[error("partial width is not a decimal number without leading zeros")]
    InvalidWidth,
    /// The width is 0, or above 256; in a path, `.p/256` is also rejected
    /// (a full tile has no `.p/` suffix).
    #[error("width {width} is out of range")]
    WidthOutOfRange {
        /// The width (saturated at `u64::MAX`).
        width: u64,
    },
}

impl TileId {
    /// A tile, checking `level <= 63` and `1 <= width <= 256`.
    pub fn new(level: u8, index: u64, width: u16) -> Result<Self, TilePathError> {
        if level > MAX_TILE_LEVEL {
            return Err(TilePathError::LevelTooHigh {
                level: level.into(),
            });
        }
        check_width(width)?;
        Ok(TileId {
            level,
            index,
            width,
        })
    }

    /// The full (256-hash) tile at `level` and `index`.
    pub const fn full(level: u8, index: u64) -> Self {
        TileId {
            level,
            index,
            width: TILE_WIDTH as u16,
        }
    }

    /// Whether this is a full tile.
    pub const fn is_full(&self) -> bool {
        self.width as u64 == TILE_WIDTH
    }

    /// Size in bytes of the tile's contents (`width × 32`).
    pub const fn byte_len(&self) -> usize {
        self.width as usize * tlog_core::HASH_SIZE
    }

    /// The node whose hash is stored at `slot` (`0 <= slot < width`) of this
    /// tile, if it can exist in a tree with `u64` size.
    pub fn node_at(&self, slot: u16) -> Option<NodeId> {
        if slot >= self.width || self.level > (63 / TILE_HEIGHT) {
            return None;
        }
        let index = self
            .index
            .checked_mul(TILE_WIDTH)?
            .checked_add(u64::from(slot))?;
        let node = NodeId::new(self.level * TILE_HEIGHT, index);
        node.end_leaf().map(|_| node)
    }

    /// The URL path, relative to the log prefix: `tile/<L>/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!(
            "tile/{}/{}",
            self.level,
            index_and_width(self.index, self.width)
        )
    }

    /// Parses `tile/<L>/<N>[.p/<W>]` (no leading `/`), accepting only the one
    /// canonical spelling of every tile: `parse_path(s)` succeeds only when
    /// `parse_path(s)?.path() == s`.
    pub fn parse_path(path: &str) -> Result<Self, TilePathError> {
        let rest = path
            .strip_prefix("tile/")
            .ok_or(TilePathError::MissingPrefix)?;
        let (level, rest) = rest.split_once('/').ok_or(TilePathError::MissingIndex)?;
        let level = parse_decimal(level).ok_or(TilePathError::InvalidLevel)?;
        if level > u64::from(MAX_TILE_LEVEL) {
            return Err(TilePathError::LevelTooHigh { level });
        }
        let (index, width) = parse_index_and_width(rest)?;
        Ok(TileId {
            level: level as u8,
            index,
            width,
        })
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

impl EntryBundleId {
    /// A bundle, checking `1 <= width <= 256`.
    pub fn new(index: u64, width: u16) -> Result<Self, TilePathError> {
        check_width(width)?;
        Ok(EntryBundleId { index, width })
    }

    /// The full (256-entry) bundle `index`.
    pub const fn full(index: u64) -> Self {
        EntryBundleId {
            index,
            width: TILE_WIDTH as u16,
        }
    }

    /// Whether this is a full bundle.
    pub const fn is_full(&self) -> bool {
        self.width as u64 == TILE_WIDTH
    }

    /// Index of the first entry in the bundle, if it fits in a `u64`.
    pub fn first_entry(&self) -> Option<u64> {
        self.index.checked_mul(TILE_WIDTH)
    }

    /// The URL path, relative to the log prefix: `tile/entries/<N>[.p/<W>]`.
    pub fn path(&self) -> String {
        format!("tile/entries/{}", index_and_width(self.index, self.width))
    }

    /// Parses `tile/entries/<N>[.p/<W>]`, with the same strictness as
    /// [`TileId::parse_path`].
    pub fn parse_path(path: &str) -> Result<Self, TilePathError> {
        let rest = path
            .strip_prefix("tile/entries/")
            .ok_or(TilePathError::MissingPrefix)?;
        let (index, width) = parse_index_and_width(rest)?;
        Ok(EntryBundleId { index, width })
    }
}

impl fmt::Display for EntryBundleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.path())
    }
}

fn check_width(width: u16) -> Result<(), TilePathError> {
    if width == 0 || u64::from(width) > TILE_WIDTH {
        return Err(TilePathError::WidthOutOfRange {
            width: width.into(),
        });
    }
    Ok(())
}

/// `<N>[.p/<W>]`: the index in 3-digit groups, all but the last prefixed with
/// `x` (1234067 → `x001/x234/067`), and `.p/<W>` for partial widths.
fn index_and_width(index: u64, width: u16) -> String {
    let mut groups = Vec::with_capacity(7);
    let mut rest = index;
    loop {
        groups.push(rest % 1000);
        rest /= 1000;
        if rest == 0 {
            break;
        }
    }
    let mut out = String::with_capacity(groups.len() * 5 + 6);
    for (i, group) in groups.iter().rev().enumerate() {
        if i + 1 < groups.len() {
            out.push_str(&format!("x{group:03}/"));
        } else {
            out.push_str(&format!("{group:03}"));
        }
    }
    if u64::from(width) != TILE_WIDTH {
        out.push_str(&format!(".p/{width}"));
    }
    out
}

/// A non-empty ASCII decimal number without leading zeros (saturating).
fn parse_decimal(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.is_empty() || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return None;
    }
    Some(bytes.iter().fold(0u64, |acc, &d| {
        acc.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

/// Exactly three ASCII digits.
fn parse_group(text: &str) -> Option<u64> {
    let bytes = text.as_bytes();
    if bytes.len() != 3 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        bytes
            .iter()
            .fold(0u64, |acc, &d| acc * 10 + u64::from(d - b'0')),
    )
}

fn parse_index_and_width(text: &str) -> Result<(u64, u16), TilePathError> {
    if text.is_empty() {
        return Err(TilePathError::MissingIndex);
    }
    let (index_text, width) = match text.split_once(".p/") {
        Some((index_text, width_text)) => {
            let width = parse_decimal(width_text).ok_or(TilePathError::InvalidWidth)?;
            if width == 0 || width >= TILE_WIDTH {
                return Err(TilePathError::WidthOutOfRange { width });
            }
            (index_text, width as u16)
        }
        None => (text, TILE_WIDTH as u16),
    };
    let elements: Vec<&str> = index_text.split('/').collect();
    let last = elements.len() - 1;
    let mut index: u64 = 0;
    for (i, element) in elements.iter().enumerate() {
        let digits = if i < last {
            element.strip_prefix('x')
        } else {
            Some(*element)
        };
        let group = digits
            .and_then(parse_group)
            .ok_or(TilePathError::InvalidIndexElement { element: i })?;
        if i == 0 && group == 0 && last > 0 {
            return Err(TilePathError::NonCanonicalIndex);
        }
        index = index
            .checked_mul(1000)
            .and_then(|v| v.checked_add(group))
            .ok_or(TilePathError::IndexOverflow)?;
    }
    Ok((index, width))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_at_slots() {
        let tile = TileId::full(1, 2);
        assert_eq!(tile.node_at(0), Some(NodeId::new(8, 512)));
        assert_eq!(tile.node_at(255), Some(NodeId::new(8, 767)));
        assert_eq!(tile.node_at(256), None);
        assert_eq!(TileId::full(8, 0).node_at(0), None);
        assert_eq!(TileId::full(7, 0).node_at(0), Some(NodeId::new(56, 0)));
        assert_eq!(TileId::full(7, 1).node_at(0), None);
        assert_eq!(TileId::full(0, u64::MAX).node_at(0), None);
    }
}
