//! Entry bundles: up to 256 entries, each prefixed by its length as a
//! big-endian `u16`.

use crate::TILE_WIDTH;

/// Largest entry an entry bundle can hold (the length prefix is a `u16`).
pub const MAX_ENTRY_SIZE: usize = u16::MAX as usize;

/// Why an entry bundle could not be encoded or decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EntryBundleError {
    /// An entry is longer than 65,535 bytes.
    #[error("entry {position} is {len} bytes, more than {MAX_ENTRY_SIZE}")]
    EntryTooLarge {
        /// Position of the entry in the bundle.
        position: usize,
        /// Its length in bytes.
        len: usize,
    },
    /// A bundle has no entries (empty bundles are never served).
    #[error("an entry bundle has at least one entry")]
    Empty,
    /// More than 256 entries.
    #[error("an entry bundle has at most {TILE_WIDTH} entries, got more")]
    TooManyEntries,
    /// The bytes end inside a length prefix or an entry.
    #[error("entry bundle is truncated inside the entry starting at byte {offset}")]
    Truncated {
        /// Offset of the length prefix of the incomplete entry.
        offset: usize,
    },
    /// Bytes remain after the expected number of entries.
    #[error("{count} bytes follow the last expected entry")]
    TrailingBytes {
        /// Number of extra bytes.
        count: usize,
    },
    /// Fewer entries than expected.
    #[error("entry bundle has {got} entries, expected {want}")]
    WrongEntryCount {
        /// Entries found.
        got: usize,
        /// Entries expected.
        want: usize,
    },
}

/// Encodes 1 to 256 entries as an entry bundle.
pub fn encode_entry_bundle(entries: &[&[u8]]) -> Result<Vec<u8>, EntryBundleError> {
    if entries.is_empty() {
        return Err(EntryBundleError::Empty);
    }
    if entries.len() as u64 > TILE_WIDTH {
        return Err(EntryBundleError::TooManyEntries);
    }
    let total: usize = entries.iter().map(|e| e.len() + 2).sum();
    let mut out = Vec::with_capacity(total);
    for (position, entry) in entries.iter().enumerate() {
        let len = u16::try_from(entry.len()).map_err(|_| EntryBundleError::EntryTooLarge {
            position,
            len: entry.len(),
        })?;
        out.extend_from_slice(&len.to_be_bytes());
        out.extend_from_slice(entry);
    }
    Ok(out)
}

/// Decodes an entry bundle of 1 to 256 entries. The entries borrow from
/// `bytes`.
pub fn decode_entry_bundle(bytes: &[u8]) -> Result<Vec<&[u8]>, EntryBundleError> {
    let mut entries = Vec::new();
    let mut offset = 0;
    while offset < bytes.len() {
        if entries.len() as u64 == TILE_WIDTH {
            return Err(EntryBundleError::TooManyEntries);
        }
        let (entry, next) = read_entry(bytes, offset)?;
        entries.push(entry);
        offset = next;
    }
    if entries.is_empty() {
        return Err(EntryBundleError::Empty);
    }
    Ok(entries)
}

/// Decodes an entry bundle that must hold exactly `width` entries (the width
/// of its [`crate::EntryBundleId`]), rejecting anything after them.
pub fn decode_entry_bundle_exact(bytes: &[u8], width: u16) -> Result<Vec<&[u8]>, EntryBundleError> {
    if width == 0 {
        return Err(EntryBundleError::Empty);
    }
    if u64::from(width) > TILE_WIDTH {
        return Err(EntryBundleError::TooManyEntries);
    }
    let mut entries = Vec::with_capacity(usize::from(width));
    let mut offset = 0;
    while entries.len() < usize::from(width) {
        if offset == bytes.len() {
            return Err(EntryBundleError::WrongEntryCount {
                got: entries.len(),
                want: width.into(),
            });
        }
        let (entry, next) = read_entry(bytes, offset)?;
        entries.push(entry);
        offset = next;
    }
    if offset != bytes.len() {
        return Err(EntryBundleError::TrailingBytes {
            count: bytes.len() - offset,
        });
    }
    Ok(entries)
}

/// Reads the entry whose length prefix starts at `offset`; returns it and the
/// offset after it.
fn read_entry(bytes: &[u8], offset: usize) -> Result<(&[u8], usize), EntryBundleError> {
    let truncated = EntryBundleError::Truncated { offset };
    let prefix = bytes.get(offset..offset + 2).ok_or(truncated)?;
    let len = usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
    let start = offset + 2;
    let entry = bytes.get(start..start + len).ok_or(truncated)?;
    Ok((entry, start + len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_encoding() {
        let bundle = encode_entry_bundle(&[b"ab", b"", b"xyz"]).expect("encodes");
        assert_eq!(bundle, b"\x00\x02ab\x00\x00\x00\x03xyz");
        assert_eq!(
            decode_entry_bundle(&bundle).expect("decodes"),
            vec![&b"ab"[..], b"", b"xyz"]
        );
        assert_eq!(
            decode_entry_bundle_exact(&bundle, 3).expect("decodes"),
            vec![&b"ab"[..], b"", b"xyz"]
        );
    }
}
