//! An in-memory [`LogStorage`] for tests and ephemeral logs, with injectable faults.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use async_trait::async_trait;
use tlog_core::{Hash, NodeId};

use crate::storage::{
    BatchCommit, CommitOutcome, LogStorage, StorageError, StoredEntry, StoredHead,
};

/// A fault to inject into the next [`LogStorage::commit_batch`] call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommitFault {
    /// Fail and write nothing.
    FailAndDiscard,
    /// Fail, but the batch was written (an ambiguous timeout whose write landed).
    FailButPersist,
}

#[derive(Debug, Default)]
struct State {
    head: Option<StoredHead>,
    entries: Vec<StoredEntry>,
    by_leaf: HashMap<Hash, u64>,
    nodes: HashMap<NodeId, Hash>,
    keys: BTreeMap<String, Vec<u64>>,
    next_fault: Option<CommitFault>,
    commits: u64,
    nodes_read: u64,
}

/// Everything in one process's memory; lost on exit.
#[derive(Debug, Default)]
pub struct MemoryStorage {
    state: Mutex<State>,
}

impl MemoryStorage {
    /// An empty storage (no log created yet).
    pub fn new() -> Self {
        Self::default()
    }

    /// Make the next commit fail in the given way.
    pub fn inject_commit_fault(&self, fault: CommitFault) {
        self.lock().next_fault = Some(fault);
    }

    /// Number of successful commits so far (batches, not entries).
    pub fn commit_count(&self) -> u64 {
        self.lock().commits
    }

    /// Number of node hashes read so far through [`LogStorage::read_nodes`].
    pub fn nodes_read(&self) -> u64 {
        self.lock().nodes_read
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A poisoned lock means a panic mid-update in a test; the data is still what it was.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl LogStorage for MemoryStorage {
    async fn load_head(&self) -> Result<Option<StoredHead>, StorageError> {
        Ok(self.lock().head.clone())
    }

    async fn commit_batch(&self, batch: &BatchCommit) -> Result<CommitOutcome, StorageError> {
        let mut state = self.lock();
        let fault = state.next_fault.take();
        if fault == Some(CommitFault::FailAndDiscard) {
            return Err(StorageError::Backend("injected failure".into()));
        }
        batch.check_shape()?;
        let current = state.head.as_ref().map_or(0, |h| h.size);
        if current != batch.expected_size {
            return Ok(CommitOutcome::Conflict);
        }
        if batch
            .entries
            .iter()
            .any(|e| state.by_leaf.contains_key(&e.entry.leaf_hash))
        {
            return Ok(CommitOutcome::Conflict);
        }
        for new in &batch.entries {
            state.by_leaf.insert(new.entry.leaf_hash, new.entry.index);
            let mut keys: Vec<&String> = new.search_keys.iter().collect();
            keys.sort();
            keys.dedup();
            for key in keys {
                state
                    .keys
                    .entry(key.clone())
                    .or_default()
                    .push(new.entry.index);
            }
            state.entries.push(new.entry.clone());
        }
        for (node, hash) in &batch.nodes {
            state.nodes.insert(*node, *hash);
        }
        state.head = Some(batch.new_head.clone());
        state.commits += 1;
        if fault == Some(CommitFault::FailButPersist) {
            return Err(StorageError::Backend("injected failure after write".into()));
        }
        Ok(CommitOutcome::Committed)
    }

    async fn read_nodes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        let mut state = self.lock();
        state.nodes_read += nodes.len() as u64;
        nodes
            .iter()
            .map(|n| {
                state
                    .nodes
                    .get(n)
                    .copied()
                    .ok_or_else(|| StorageError::Corrupt(format!("missing node {n:?}")))
            })
            .collect()
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, StorageError> {
        let state = self.lock();
        Ok(usize::try_from(index)
            .ok()
            .and_then(|i| state.entries.get(i))
            .cloned())
    }

    async fn find_leaf_hashes(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        let state = self.lock();
        Ok(hashes
            .iter()
            .map(|h| state.by_leaf.get(h).copied())
            .collect())
    }

    async fn search_key(&self, key: &str, limit: usize) -> Result<Vec<u64>, StorageError> {
        let state = self.lock();
        Ok(state
            .keys
            .get(key)
            .map(|v| v.iter().copied().take(limit).collect())
            .unwrap_or_default())
    }
}
