//! The storage contract of the log engine.
//!
//! The engine needs little from storage, and says exactly what it needs here, so that SQLite,
//! PostgreSQL and (later) an object store can sit behind it without the engine changing:
//!
//! - a **head** (tree size, root, signed checkpoint) that only moves by compare-and-swap;
//! - **immutable records** written together with the head that covers them: entries (index,
//!   leaf hash, leaf bytes, integrated time, search keys) and Merkle nodes (perfect subtrees,
//!   which never change once complete);
//! - point reads of those records.
//!
//! # Crash consistency
//!
//! [`LogStorage::commit_batch`] is the only write. It is atomic: either the new head and every
//! record of the batch become visible and durable together, or nothing visible changes. A backend
//! that cannot make one transaction (an object store) must write the immutable records first and
//! move the head last, and must make sure that a writer that loses the compare-and-swap cannot
//! have overwritten records of the winner (for example by holding a lease). `Ok(Committed)` means
//! the batch survives `kill -9` and power loss the instant after (SQLite `synchronous=FULL`,
//! PostgreSQL `synchronous_commit=on`). An `Err` is ambiguous (the batch may or may not have
//! landed): the engine reloads the head before it writes again.

use async_trait::async_trait;
use tlog_core::{Hash, NodeId};

/// The latest state of a log as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredHead {
    /// Number of leaves.
    pub size: u64,
    /// RFC 6962 root hash of those leaves.
    pub root: Hash,
    /// The signed checkpoint (note bytes) for `size` and `root`.
    pub checkpoint: Vec<u8>,
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEntry {
    /// Position in the log (0-based).
    pub index: u64,
    /// RFC 6962 leaf hash of `leaf`.
    pub leaf_hash: Hash,
    /// The leaf bytes (for Rekor, the canonical entry body).
    pub leaf: Vec<u8>,
    /// Unix seconds at which the entry was sequenced.
    pub integrated_time: i64,
}

/// An entry to store as part of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntry {
    /// The entry itself.
    pub entry: StoredEntry,
    /// Search keys (for Rekor's index), already normalised by the personality.
    pub search_keys: Vec<String>,
}

/// Everything one sequencing round writes.
///
/// Invariants the engine guarantees (backends may reject violations as
/// [`StorageError::Corrupt`]): entry indexes are consecutive from `expected_size`; the leaf
/// hashes within one batch are distinct; `new_head.size == expected_size + entries.len()`;
/// sizes and indexes are at most `i64::MAX`. Search keys are arbitrary strings (they may contain
/// any character, NUL included); a key repeated on one entry is stored once.
#[derive(Debug, Clone)]
pub struct BatchCommit {
    /// The head this batch extends; the commit fails with [`CommitOutcome::Conflict`] unless the
    /// stored head still has this size.
    pub expected_size: u64,
    /// The head after the batch.
    pub new_head: StoredHead,
    /// The new entries, with consecutive indexes starting at `expected_size`.
    pub entries: Vec<NewEntry>,
    /// Every Merkle node completed by the batch (including the new leaf hashes at level 0).
    pub nodes: Vec<(NodeId, Hash)>,
}

impl BatchCommit {
    /// Check the shape invariants listed on the type: consecutive indexes from `expected_size`
    /// and a new size that adds up. Backends call this before writing anything; a violation is
    /// [`StorageError::Corrupt`] (a caller bug, never data). Range limits of a backend's integer
    /// types are the backend's to check.
    pub fn check_shape(&self) -> Result<(), StorageError> {
        let appended = self.entries.len() as u64;
        if self.expected_size.checked_add(appended) != Some(self.new_head.size) {
            return Err(StorageError::Corrupt(format!(
                "malformed batch: {appended} entries take size {} to {}, not {}",
                self.expected_size,
                self.expected_size.saturating_add(appended),
                self.new_head.size
            )));
        }
        for (offset, new) in self.entries.iter().enumerate() {
            let want = self.expected_size + offset as u64;
            if new.entry.index != want {
                return Err(StorageError::Corrupt(format!(
                    "malformed batch: entry index {} where {want} was expected",
                    new.entry.index
                )));
            }
        }
        Ok(())
    }
}

/// The result of a commit attempt that reached the backend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitOutcome {
    /// The batch and its head are durable.
    Committed,
    /// Another writer moved the head, or a leaf of the batch is already stored; nothing was
    /// written. Reload and sequence again.
    Conflict,
}

/// A storage failure. Messages are for operators' logs, never for clients.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The backend failed (connection, I/O, constraint other than the expected ones).
    #[error("storage backend error: {0}")]
    Backend(String),
    /// Stored data contradicts itself (a node or entry that should exist is missing, a hash of
    /// the wrong length). Needs an operator.
    #[error("storage is inconsistent: {0}")]
    Corrupt(String),
}

/// Storage for one log. Implementations must be usable from many tasks at once.
#[async_trait]
pub trait LogStorage: Send + Sync + std::fmt::Debug {
    /// The current head, or `None` if the log was never created.
    async fn load_head(&self) -> Result<Option<StoredHead>, StorageError>;

    /// Atomically extend the log (see the module documentation). Creating a log is a commit with
    /// `expected_size == 0` against a log that has no head yet.
    async fn commit_batch(&self, batch: &BatchCommit) -> Result<CommitOutcome, StorageError>;

    /// The hashes of `nodes`, in order. Every requested node exists in a committed tree;
    /// a missing one is [`StorageError::Corrupt`]. Exactly `nodes.len()` hashes on success.
    async fn read_nodes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, StorageError>;

    /// The entry at `index`, if it is committed.
    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, StorageError>;

    /// For each leaf hash, the index of the committed entry with that hash, if any.
    async fn find_leaf_hashes(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError>;

    /// Indexes of the entries stored under `key` (exact match), ascending, at most `limit`.
    async fn search_key(&self, key: &str, limit: usize) -> Result<Vec<u64>, StorageError>;
}
