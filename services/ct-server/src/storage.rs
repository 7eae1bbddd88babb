//! How a CT entry's `extra_data` is stored next to its leaf without changing the engine.
//!
//! The engine stores one byte string per entry (`leaf`) and hashes exactly the bytes it is given,
//! so the CT log hands it the `MerkleTreeLeaf` alone: the Merkle tree is the RFC 6962 tree.
//! The `extra_data` (the chain) travels with the entry in a reserved search key, and
//! [`ExtraDataStorage`], a thin `LogStorage` wrapper, moves it into the stored bytes just before
//! the commit. The stored `leaf` of a CT entry is therefore an envelope:
//!
//! ```text
//! "CTE1" || u32 BE len(MerkleTreeLeaf) || MerkleTreeLeaf || extra_data
//! ```
//!
//! while its stored `leaf_hash` stays `SHA-256(0x00 || MerkleTreeLeaf)`. Readers open the
//! envelope with [`open_envelope`], which also checks that hash. The reserved key is removed before
//! the commit, so it never reaches the search index.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use tlog_core::{Hash, NodeId};
use tlog_engine::{BatchCommit, CommitOutcome, LogStorage, StorageError, StoredEntry, StoredHead};

/// Search-key prefix that carries base64 `extra_data` to [`ExtraDataStorage`]. The NUL keeps it
/// apart from any key a client could cause (CT uses only `ct-leaf:` keys otherwise).
const EXTRA_DATA_KEY: &str = "\u{0}ct-extra-data:";
/// Envelope magic: Cairn CT entry, version 1.
const ENVELOPE_MAGIC: &[u8; 4] = b"CTE1";

/// The search key carrying `extra_data` through the engine.
pub(crate) fn extra_data_key(extra_data: &[u8]) -> String {
    format!("{EXTRA_DATA_KEY}{}", STANDARD.encode(extra_data))
}

/// The stored bytes of an entry.
pub(crate) fn envelope(leaf: &[u8], extra_data: &[u8]) -> Result<Vec<u8>, StorageError> {
    let len = u32::try_from(leaf.len())
        .map_err(|_| StorageError::Corrupt("CT leaf longer than 4 GiB".into()))?;
    let mut out = Vec::with_capacity(8 + leaf.len() + extra_data.len());
    out.extend_from_slice(ENVELOPE_MAGIC);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(leaf);
    out.extend_from_slice(extra_data);
    Ok(out)
}

/// A stored CT entry, opened.
#[derive(Debug, Clone)]
pub(crate) struct OpenedEntry {
    /// The TLS `MerkleTreeLeaf` (`leaf_input`).
    pub(crate) leaf_input: Vec<u8>,
    /// The TLS `extra_data`.
    pub(crate) extra_data: Vec<u8>,
}

/// Open a stored entry's envelope and check that its leaf hashes to the stored leaf hash.
pub(crate) fn open_envelope(entry: &StoredEntry) -> Result<OpenedEntry, String> {
    let stored = &entry.leaf;
    let index = entry.index;
    if stored.len() < 8 || &stored[..4] != ENVELOPE_MAGIC {
        return Err(format!("entry {index} is not a CT entry envelope"));
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&stored[4..8]);
    let len = u32::from_be_bytes(len) as usize;
    let leaf = stored
        .get(8..)
        .and_then(|rest| rest.get(..len))
        .ok_or_else(|| format!("entry {index}: envelope shorter than its leaf"))?;
    if tlog_core::leaf_hash(leaf) != entry.leaf_hash {
        return Err(format!(
            "entry {index}: leaf does not match its stored leaf hash"
        ));
    }
    Ok(OpenedEntry {
        leaf_input: leaf.to_vec(),
        extra_data: stored[8 + len..].to_vec(),
    })
}

/// `LogStorage` that folds each new entry's `extra_data` key into its stored bytes.
#[derive(Debug)]
pub(crate) struct ExtraDataStorage {
    inner: Arc<dyn LogStorage>,
}

impl ExtraDataStorage {
    pub(crate) fn new(inner: Arc<dyn LogStorage>) -> Self {
        ExtraDataStorage { inner }
    }
}

#[async_trait]
impl LogStorage for ExtraDataStorage {
    async fn load_head(&self) -> Result<Option<StoredHead>, StorageError> {
        self.inner.load_head().await
    }

    async fn commit_batch(&self, batch: &BatchCommit) -> Result<CommitOutcome, StorageError> {
        let mut rewritten = batch.clone();
        for new in &mut rewritten.entries {
            let position = new
                .search_keys
                .iter()
                .position(|key| key.starts_with(EXTRA_DATA_KEY))
                .ok_or_else(|| {
                    StorageError::Corrupt(format!(
                        "CT entry {} reached storage without extra data",
                        new.entry.index
                    ))
                })?;
            let key = new.search_keys.swap_remove(position);
            let extra_data = STANDARD
                .decode(&key.as_bytes()[EXTRA_DATA_KEY.len()..])
                .map_err(|e| StorageError::Corrupt(format!("CT extra data key: {e}")))?;
            new.entry.leaf = envelope(&new.entry.leaf, &extra_data)?;
        }
        self.inner.commit_batch(&rewritten).await
    }

    async fn read_nodes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        self.inner.read_nodes(nodes).await
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, StorageError> {
        self.inner.entry_by_index(index).await
    }

    async fn find_leaf_hashes(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        self.inner.find_leaf_hashes(hashes).await
    }

    async fn search_key(&self, key: &str, limit: usize) -> Result<Vec<u64>, StorageError> {
        self.inner.search_key(key, limit).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_round_trip_and_check_the_hash() {
        let leaf = b"merkle tree leaf".to_vec();
        let stored = StoredEntry {
            index: 3,
            leaf_hash: tlog_core::leaf_hash(&leaf),
            leaf: envelope(&leaf, b"chain").expect("envelope"),
            integrated_time: 0,
        };
        let opened = open_envelope(&stored).expect("opens");
        assert_eq!(opened.leaf_input, leaf);
        assert_eq!(opened.extra_data, b"chain");

        let mut wrong = stored.clone();
        wrong.leaf_hash = tlog_core::leaf_hash(b"other");
        assert!(open_envelope(&wrong).is_err());
        let mut short = stored.clone();
        short.leaf.truncate(10);
        assert!(open_envelope(&short).is_err());
        let mut plain = stored;
        plain.leaf = leaf;
        assert!(open_envelope(&plain).is_err());
    }

    #[test]
    fn the_carrier_key_is_base64_after_the_prefix() {
        let key = extra_data_key(&[0, 1, 2, 255]);
        assert!(key.starts_with(EXTRA_DATA_KEY));
        assert_eq!(&key[EXTRA_DATA_KEY.len()..], "AAEC/w==");
    }
}
