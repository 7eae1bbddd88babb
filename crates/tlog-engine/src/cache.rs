//! Node hashes kept in memory so that the proofs handed out with fresh entries need no reads.
//!
//! Merkle nodes of perfect subtrees never change once complete, so a cached node is never stale,
//! even when another process appends to the same log. The cache keeps every node at level 8 and
//! above (1/256 of all nodes: about 4,000 per million entries), whether committed by this process
//! or read from storage, and the lower-level nodes of the most recent leaves (`recent_leaves`);
//! anything else is read from storage when asked for.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::RwLock;

use tlog_core::{Hash, HashReader, NodeId};

/// Nodes at this level and above are kept forever.
const PERMANENT_LEVEL: u8 = 8;

#[derive(Debug)]
pub(crate) struct NodeCache {
    levels: RwLock<Vec<BTreeMap<u64, Hash>>>,
    recent_leaves: u64,
}

impl NodeCache {
    pub(crate) fn new(recent_leaves: u64) -> Self {
        NodeCache {
            levels: RwLock::new(vec![BTreeMap::new(); 64]),
            recent_leaves,
        }
    }

    /// Add nodes (new or fetched) and forget low-level nodes that are no longer recent for a tree
    /// of `size` leaves.
    pub(crate) fn insert(&self, nodes: &[(NodeId, Hash)], size: u64) {
        let mut levels = self.levels.write().unwrap_or_else(|e| e.into_inner());
        for (node, hash) in nodes {
            if let Some(level) = levels.get_mut(usize::from(node.level)) {
                level.insert(node.index, *hash);
            }
        }
        let horizon = size.saturating_sub(self.recent_leaves);
        for (level, map) in levels
            .iter_mut()
            .enumerate()
            .take(usize::from(PERMANENT_LEVEL))
        {
            // Keep nodes whose first leaf is at or after the horizon.
            let first_kept = horizon >> level;
            if map.first_key_value().is_some_and(|(k, _)| *k < first_kept) {
                *map = map.split_off(&first_kept);
            }
        }
    }

    /// Keep the permanent-level nodes among `nodes` read from storage. Lower-level ones are left
    /// out: they are old (the recent ones come from commits), and keeping them would only make
    /// [`NodeCache::insert`] prune again.
    pub(crate) fn remember(&self, nodes: &[(NodeId, Hash)]) {
        if !nodes.iter().any(|(node, _)| node.level >= PERMANENT_LEVEL) {
            return;
        }
        let mut levels = self.levels.write().unwrap_or_else(|e| e.into_inner());
        for (node, hash) in nodes {
            if node.level >= PERMANENT_LEVEL
                && let Some(level) = levels.get_mut(usize::from(node.level))
            {
                level.insert(node.index, *hash);
            }
        }
    }

    /// Run `compute` against the cache plus `extra`; on a miss, report every missing node.
    pub(crate) fn try_compute<T, E>(
        &self,
        extra: &HashMap<NodeId, Hash>,
        compute: impl FnOnce(&CacheReader<'_>) -> Result<T, E>,
    ) -> Result<T, Attempt<E>> {
        let levels = self.levels.read().unwrap_or_else(|e| e.into_inner());
        let reader = CacheReader {
            levels: &levels,
            extra,
            missing: RefCell::new(Vec::new()),
        };
        match compute(&reader) {
            Ok(value) => Ok(value),
            Err(err) => {
                let missing = reader.missing.take();
                if missing.is_empty() {
                    Err(Attempt::Failed(err))
                } else {
                    Err(Attempt::Missing(missing))
                }
            }
        }
    }
}

/// Why a computation against the cache did not produce a value.
#[derive(Debug)]
pub(crate) enum Attempt<E> {
    /// These nodes must be fetched first.
    Missing(Vec<NodeId>),
    /// The computation failed for another reason.
    Failed(E),
}

/// A node the cache does not hold.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NotCached;

/// A [`HashReader`] over the cache; records what it could not answer.
pub(crate) struct CacheReader<'a> {
    levels: &'a [BTreeMap<u64, Hash>],
    extra: &'a HashMap<NodeId, Hash>,
    missing: RefCell<Vec<NodeId>>,
}

impl HashReader for CacheReader<'_> {
    type Error = NotCached;

    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, NotCached> {
        let mut out = Vec::with_capacity(nodes.len());
        let mut missing = Vec::new();
        for node in nodes {
            let found = self.extra.get(node).copied().or_else(|| {
                self.levels
                    .get(usize::from(node.level))
                    .and_then(|m| m.get(&node.index).copied())
            });
            match found {
                Some(hash) => out.push(hash),
                None => missing.push(*node),
            }
        }
        if missing.is_empty() {
            Ok(out)
        } else {
            self.missing.borrow_mut().extend(missing);
            Err(NotCached)
        }
    }
}
