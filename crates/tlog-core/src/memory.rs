//! An in-memory append-only Merkle tree.

use crate::hash::{Hash, empty_root, leaf_hash, node_hash};
use crate::node::{NodeId, subtree_nodes};
use crate::proof::HashReader;

/// An append-only Merkle tree held in memory, storing every perfect subtree
/// hash (about `2 × size` hashes, 64 bytes per leaf).
///
/// Meant for tests, benchmarks and caches. It implements [`HashReader`], so
/// every proof function of this crate works on it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryTree {
    /// `levels[l][i]` is the hash of `NodeId { level: l, index: i }`.
    levels: Vec<Vec<Hash>>,
}

/// A node that a [`MemoryTree`] does not hold was requested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("node {node} is not complete in a tree of size {size}")]
pub struct UnknownNodeError {
    /// The requested node.
    pub node: NodeId,
    /// Size of the tree when it was requested.
    pub size: u64,
}

impl MemoryTree {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of leaves.
    pub fn size(&self) -> u64 {
        self.levels.first().map_or(0, |leaves| leaves.len() as u64)
    }

    /// Appends a leaf by its leaf hash and returns its index.
    pub fn push(&mut self, leaf_hash: Hash) -> u64 {
        let index = self.size();
        let mut level = 0;
        let mut hash = leaf_hash;
        loop {
            if self.levels.len() == level {
                self.levels.push(Vec::new());
            }
            let row = &mut self.levels[level];
            row.push(hash);
            let len = row.len();
            if len % 2 == 1 {
                break;
            }
            hash = node_hash(&row[len - 2], &row[len - 1]);
            level += 1;
        }
        index
    }

    /// Appends a leaf by its data (hashed with [`leaf_hash`]) and returns its index.
    pub fn push_data(&mut self, data: &[u8]) -> u64 {
        self.push(leaf_hash(data))
    }

    /// The hash of a perfect subtree, if it is complete.
    pub fn node(&self, node: NodeId) -> Option<Hash> {
        let row = self.levels.get(usize::from(node.level))?;
        row.get(usize::try_from(node.index).ok()?).copied()
    }

    /// The current root hash.
    pub fn root(&self) -> Hash {
        let size = self.size();
        if size == 0 {
            return empty_root();
        }
        let pieces: Vec<Hash> = subtree_nodes(0, size)
            .filter_map(|node| self.node(node))
            .collect();
        let mut iter = pieces.iter().rev();
        let Some(last) = iter.next() else {
            return empty_root();
        };
        iter.fold(*last, |acc, left| node_hash(left, &acc))
    }
}

impl FromIterator<Hash> for MemoryTree {
    fn from_iter<I: IntoIterator<Item = Hash>>(leaf_hashes: I) -> Self {
        let mut tree = MemoryTree::new();
        for hash in leaf_hashes {
            tree.push(hash);
        }
        tree
    }
}

impl HashReader for MemoryTree {
    type Error = UnknownNodeError;

    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
        nodes
            .iter()
            .map(|&node| {
                self.node(node).ok_or(UnknownNodeError {
                    node,
                    size: self.size(),
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_trees_by_hand() {
        let mut tree = MemoryTree::new();
        assert_eq!(tree.root(), empty_root());
        let a = leaf_hash(b"a");
        let b = leaf_hash(b"b");
        let c = leaf_hash(b"c");
        assert_eq!(tree.push(a), 0);
        assert_eq!(tree.root(), a);
        tree.push(b);
        assert_eq!(tree.root(), node_hash(&a, &b));
        tree.push(c);
        assert_eq!(tree.size(), 3);
        assert_eq!(tree.root(), node_hash(&node_hash(&a, &b), &c));
        assert_eq!(tree.node(NodeId::new(1, 1)), None);
        assert_eq!(
            tree.read_hashes(&[NodeId::leaf(3)]),
            Err(UnknownNodeError {
                node: NodeId::leaf(3),
                size: 3
            })
        );
    }
}
