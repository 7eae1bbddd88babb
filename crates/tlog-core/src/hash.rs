//! The 32-byte SHA-256 hash type and the RFC 6962 hashing rules.

use std::fmt;

use sha2::{Digest, Sha256};

/// Size in bytes of every hash in the tree (SHA-256).
pub const HASH_SIZE: usize = 32;

/// A SHA-256 Merkle tree hash: a leaf hash, an interior node hash or a tree root.
///
/// `Debug` and `Display` print lowercase hex.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Hash(pub [u8; HASH_SIZE]);

/// Why bytes or text could not be turned into a [`Hash`](struct@Hash).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HashParseError {
    /// The byte string is not exactly 32 bytes long.
    #[error("a hash is {HASH_SIZE} bytes, got {got}")]
    WrongLength {
        /// Length of the input in bytes.
        got: usize,
    },
    /// The hex string is not exactly 64 characters long.
    #[error("a hex hash is {} characters, got {got}", HASH_SIZE * 2)]
    WrongHexLength {
        /// Length of the input in bytes.
        got: usize,
    },
    /// A character that is not a hex digit (upper or lower case).
    #[error("character at byte offset {position} is not a hex digit")]
    InvalidHexCharacter {
        /// Byte offset of the offending character.
        position: usize,
    },
}

impl Hash {
    /// Wraps 32 bytes.
    pub const fn new(bytes: [u8; HASH_SIZE]) -> Self {
        Hash(bytes)
    }

    /// Copies a hash out of a slice that must be exactly 32 bytes long.
    pub fn from_slice(bytes: &[u8]) -> Result<Self, HashParseError> {
        <[u8; HASH_SIZE]>::try_from(bytes)
            .map(Hash)
            .map_err(|_| HashParseError::WrongLength { got: bytes.len() })
    }

    /// The raw bytes.
    pub const fn as_bytes(&self) -> &[u8; HASH_SIZE] {
        &self.0
    }

    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }

    /// The 64 lowercase hex digits as ASCII bytes (no allocation; formatting per byte through
    /// `fmt` showed up in profiles of the Rekor API, which renders ~20 hashes per response).
    fn hex_bytes(&self) -> [u8; HASH_SIZE * 2] {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut out = [0u8; HASH_SIZE * 2];
        for (i, byte) in self.0.iter().enumerate() {
            out[2 * i] = DIGITS[usize::from(byte >> 4)];
            out[2 * i + 1] = DIGITS[usize::from(byte & 0x0f)];
        }
        out
    }

    /// Parses 64 hex digits (either case).
    pub fn from_hex(text: &str) -> Result<Self, HashParseError> {
        let text = text.as_bytes();
        if text.len() != HASH_SIZE * 2 {
            return Err(HashParseError::WrongHexLength { got: text.len() });
        }
        let mut out = [0u8; HASH_SIZE];
        for (i, byte) in out.iter_mut().enumerate() {
            let high = hex_value(text[2 * i])
                .ok_or(HashParseError::InvalidHexCharacter { position: 2 * i })?;
            let low = hex_value(text[2 * i + 1]).ok_or(HashParseError::InvalidHexCharacter {
                position: 2 * i + 1,
            })?;
            *byte = (high << 4) | low;
        }
        Ok(Hash(out))
    }
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hex = self.hex_bytes();
        // The digits are ASCII by construction.
        f.write_str(std::str::from_utf8(&hex).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Hash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl AsRef<[u8]> for Hash {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<[u8; HASH_SIZE]> for Hash {
    fn from(bytes: [u8; HASH_SIZE]) -> Self {
        Hash(bytes)
    }
}

impl From<Hash> for [u8; HASH_SIZE] {
    fn from(hash: Hash) -> Self {
        hash.0
    }
}

impl TryFrom<&[u8]> for Hash {
    type Error = HashParseError;
    fn try_from(bytes: &[u8]) -> Result<Self, Self::Error> {
        Hash::from_slice(bytes)
    }
}

/// [RFC 6962 §2.1](https://www.rfc-editor.org/rfc/rfc6962#section-2.1) leaf hash:
/// `SHA-256(0x00 || data)`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    Hash(hasher.finalize().into())
}

/// [RFC 6962 §2.1](https://www.rfc-editor.org/rfc/rfc6962#section-2.1) interior node hash:
/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left.0);
    hasher.update(right.0);
    Hash(hasher.finalize().into())
}

/// The root of the empty tree, `MTH({}) = SHA-256("")`
/// (`e3b0c442…b855`).
pub fn empty_root() -> Hash {
    Hash(Sha256::digest([]).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_root_is_sha256_of_nothing() {
        assert_eq!(
            empty_root().to_hex(),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn hex_round_trip_and_errors() {
        let h = leaf_hash(b"");
        // RFC 6962 leaf hash of the empty string, as listed in transparency-dev/merkle's tests.
        assert_eq!(
            h.to_hex(),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
        assert_eq!(Hash::from_hex(&h.to_hex()), Ok(h));
        assert_eq!(Hash::from_hex(&h.to_hex().to_uppercase()), Ok(h));
        assert_eq!(format!("{h:?}"), h.to_hex());
        assert_eq!(
            Hash::from_hex("00"),
            Err(HashParseError::WrongHexLength { got: 2 })
        );
        let mut bad = h.to_hex();
        bad.replace_range(5..6, "g");
        assert_eq!(
            Hash::from_hex(&bad),
            Err(HashParseError::InvalidHexCharacter { position: 5 })
        );
        assert_eq!(
            Hash::from_slice(&[0; 31]),
            Err(HashParseError::WrongLength { got: 31 })
        );
        assert_eq!(Hash::from_slice(&[7; 32]), Ok(Hash([7; 32])));
    }
}
