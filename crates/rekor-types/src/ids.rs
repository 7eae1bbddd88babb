//! Rekor v1 entry identifiers (`pkg/sharding/sharding.go`).
//!
//! - A UUID is the hex of the entry's RFC 6962 leaf hash: 64 hex characters.
//! - An EntryID is the 16-hex tree ID of the shard (Go `%x` of the int64, zero-padded) followed
//!   by the UUID: 80 hex characters.
//!
//! Parsing accepts either case (Go's `hex.DecodeString` and `strconv.ParseInt(_, 16, 64)` do);
//! formatting is lowercase. Tree IDs are positive int64s: an all-zero tree ID is not an EntryID
//! (upstream then treats the string as a plain UUID, see [`EntryRef`]).

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

/// Hex length of a UUID.
pub const UUID_HEX_LEN: usize = 64;
/// Hex length of a tree ID inside an EntryID.
pub const TREE_ID_HEX_LEN: usize = 16;
/// Hex length of an EntryID.
pub const ENTRY_ID_HEX_LEN: usize = TREE_ID_HEX_LEN + UUID_HEX_LEN;

/// Why a UUID, tree ID or EntryID string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum IdError {
    /// Neither 64 (UUID) nor 80 (EntryID) characters, or not the length the type needs.
    #[error("invalid ID length {len} (expected {expected})")]
    Length {
        /// Length given.
        len: usize,
        /// What was expected, e.g. "64" or "64 or 80".
        expected: &'static str,
    },
    /// A character that is not a hex digit.
    #[error("ID is not a valid hex string")]
    NotHex,
    /// A tree ID of zero.
    #[error("0 is not a valid TreeID")]
    ZeroTreeId,
    /// A tree ID that is negative or above `i64::MAX`.
    #[error("TreeID is out of range (must be a positive int64)")]
    TreeIdOutOfRange,
}

/// A Rekor entry UUID: the RFC 6962 leaf hash of the canonical body.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryUuid([u8; 32]);

impl EntryUuid {
    /// The UUID of a leaf with this hash.
    pub fn from_leaf_hash(leaf_hash: [u8; 32]) -> Self {
        EntryUuid(leaf_hash)
    }

    /// The UUID of the entry whose canonical body is `body`.
    pub fn for_body(body: &[u8]) -> Self {
        EntryUuid(tlog_core::leaf_hash(body).into())
    }

    /// The leaf hash.
    pub fn leaf_hash(&self) -> &[u8; 32] {
        &self.0
    }
}

impl fmt::Display for EntryUuid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl FromStr for EntryUuid {
    type Err = IdError;

    /// Parse 64 hex characters (either case).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != UUID_HEX_LEN {
            return Err(IdError::Length {
                len: s.len(),
                expected: "64",
            });
        }
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).map_err(|_| IdError::NotHex)?;
        Ok(EntryUuid(out))
    }
}

/// A Trillian-style tree (shard) ID: a positive int64.
///
/// Displayed in decimal (as in `LogInfo.treeID` and checkpoint origins); [`TreeId::to_hex`] gives
/// the 16-character form used inside EntryIDs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TreeId(i64);

impl TreeId {
    /// A tree ID; must be positive.
    pub fn new(id: i64) -> Result<Self, IdError> {
        match id {
            0 => Err(IdError::ZeroTreeId),
            i64::MIN..0 => Err(IdError::TreeIdOutOfRange),
            _ => Ok(TreeId(id)),
        }
    }

    /// The numeric value.
    pub fn get(self) -> i64 {
        self.0
    }

    /// The 16-hex form used in EntryIDs (lowercase, zero-padded).
    pub fn to_hex(self) -> String {
        format!("{:016x}", self.0)
    }

    /// Parse the 16-hex form (either case). Signs are not accepted.
    pub fn from_hex(s: &str) -> Result<Self, IdError> {
        if s.len() != TREE_ID_HEX_LEN {
            return Err(IdError::Length {
                len: s.len(),
                expected: "16",
            });
        }
        let mut bytes = [0u8; 8];
        hex::decode_to_slice(s, &mut bytes).map_err(|_| IdError::NotHex)?;
        let value = u64::from_be_bytes(bytes);
        let value = i64::try_from(value).map_err(|_| IdError::TreeIdOutOfRange)?;
        TreeId::new(value)
    }
}

impl fmt::Display for TreeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A Rekor EntryID: tree ID plus UUID (80 hex characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EntryId {
    /// The shard.
    pub tree_id: TreeId,
    /// The entry within it.
    pub uuid: EntryUuid,
}

impl EntryId {
    /// Combine a tree ID and a UUID.
    pub fn new(tree_id: TreeId, uuid: EntryUuid) -> Self {
        EntryId { tree_id, uuid }
    }
}

impl fmt::Display for EntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.tree_id.to_hex(), self.uuid)
    }
}

impl FromStr for EntryId {
    type Err = IdError;

    /// Parse 80 hex characters (either case) with a non-zero tree ID.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.len() != ENTRY_ID_HEX_LEN || !s.is_ascii() {
            return Err(IdError::Length {
                len: s.len(),
                expected: "80",
            });
        }
        let (tree, uuid) = s.split_at(TREE_ID_HEX_LEN);
        let uuid: EntryUuid = uuid.parse()?;
        let tree_id = TreeId::from_hex(tree)?;
        Ok(EntryId { tree_id, uuid })
    }
}

/// What a client may name an entry by in `GET /api/v1/log/entries/{entryUUID}` and in
/// `SearchLogQuery.entryUUIDs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EntryRef {
    /// A plain UUID (or an EntryID with an all-zero tree ID): search every shard.
    Uuid(EntryUuid),
    /// An EntryID: look in that shard.
    EntryId(EntryId),
}

impl EntryRef {
    /// The UUID part.
    pub fn uuid(&self) -> EntryUuid {
        match self {
            EntryRef::Uuid(u) => *u,
            EntryRef::EntryId(id) => id.uuid,
        }
    }
}

impl FromStr for EntryRef {
    type Err = IdError;

    /// Parse 64 or 80 hex characters.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.len() {
            UUID_HEX_LEN => Ok(EntryRef::Uuid(s.parse()?)),
            ENTRY_ID_HEX_LEN => match s.parse::<EntryId>() {
                Ok(id) => Ok(EntryRef::EntryId(id)),
                Err(IdError::ZeroTreeId) => Ok(EntryRef::Uuid(s[TREE_ID_HEX_LEN..].parse()?)),
                Err(e) => Err(e),
            },
            len => Err(IdError::Length {
                len,
                expected: "64 or 80",
            }),
        }
    }
}

impl fmt::Display for EntryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryRef::Uuid(u) => u.fmt(f),
            EntryRef::EntryId(id) => id.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const UUID: &str = "24296fb24b8ad77a27dbac48342e32d86ca2e056106ff7e94cd4a6ed2a12de00";

    #[test]
    fn uuid_and_entry_id_round_trip() {
        let uuid: EntryUuid = UUID.parse().unwrap();
        assert_eq!(uuid.to_string(), UUID);
        assert_eq!(UUID.to_uppercase().parse::<EntryUuid>().unwrap(), uuid);
        let tree = TreeId::new(0x24296fb24b8ad77a).unwrap();
        let id = EntryId::new(tree, uuid);
        let text = format!("24296fb24b8ad77a{UUID}");
        assert_eq!(id.to_string(), text);
        assert_eq!(text.parse::<EntryId>().unwrap(), id);
        assert_eq!(text.to_uppercase().parse::<EntryId>().unwrap(), id);
        assert_eq!(tree.to_string(), "2605736670972794746");
        // Small tree IDs are zero-padded.
        assert_eq!(TreeId::new(1).unwrap().to_hex(), "0000000000000001");
    }

    #[test]
    fn refusals() {
        assert_eq!(
            "abc".parse::<EntryUuid>(),
            Err(IdError::Length {
                len: 3,
                expected: "64"
            })
        );
        let not_hex = format!("g{}", &UUID[1..]);
        assert_eq!(not_hex.parse::<EntryUuid>(), Err(IdError::NotHex));
        let zero = format!("0000000000000000{UUID}");
        assert_eq!(zero.parse::<EntryId>(), Err(IdError::ZeroTreeId));
        assert_eq!(
            zero.parse::<EntryRef>().unwrap(),
            EntryRef::Uuid(UUID.parse().unwrap())
        );
        let big = format!("8000000000000000{UUID}");
        assert_eq!(big.parse::<EntryId>(), Err(IdError::TreeIdOutOfRange));
        let signed = format!("-000000000000001{UUID}");
        assert_eq!(signed.parse::<EntryId>(), Err(IdError::NotHex));
        assert_eq!(TreeId::new(-5), Err(IdError::TreeIdOutOfRange));
        // A multi-byte character must not make split_at panic.
        let odd = format!("é{UUID}00000000000000");
        assert_eq!(odd.len(), 80);
        assert!(odd.parse::<EntryId>().is_err());
        assert!(odd.parse::<EntryRef>().is_err());
    }
}
