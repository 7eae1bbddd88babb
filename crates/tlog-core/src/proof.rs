//! Proof generation over stored perfect-subtree hashes, and the nodes to store
//! when appending.
//!
//! Every function here first works out, from the sizes alone, which ranges of
//! leaves its answer is made of (a *plan*), then asks the [`HashReader`] for
//! all the perfect nodes of all those ranges in one call, and finally folds
//! them. Ranges on the incomplete right edge of the tree are folded from the
//! perfect nodes that cover them, so a reader only ever needs to know perfect
//! subtrees that exist in the tree.

use crate::hash::{Hash, empty_root, node_hash};
use crate::node::{NodeId, is_valid_subtree, split_point, subtree_nodes};

/// Storage of the perfect-subtree hashes of a log, as seen by proof generation.
///
/// # Contract
///
/// `read_hashes` returns exactly `nodes.len()` hashes, the `i`-th being the
/// hash of `nodes[i]`, or an error. Callers in this crate check the length and
/// fail with [`ProofError::ReaderReturnedWrongCount`] when it is wrong.
///
/// Each proof or root computation makes at most one call, asking for every
/// node it needs, so a database-backed reader costs one round trip per proof.
/// Only perfect subtrees that are complete in the tree the caller asked about
/// are requested (a node may appear more than once in one request).
pub trait HashReader {
    /// Error of the underlying storage.
    type Error;

    /// Returns the hashes of `nodes`, in the same order.
    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, Self::Error>;
}

impl<R: HashReader + ?Sized> HashReader for &R {
    type Error = R::Error;
    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
        (**self).read_hashes(nodes)
    }
}

/// Why a root, proof or append could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError<E> {
    /// The leaf index is not in the tree (or subtree).
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange {
        /// Requested leaf index.
        index: u64,
        /// Size of the tree or subtree it was looked up in.
        size: u64,
    },
    /// A consistency proof was asked from a larger to a smaller tree.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    InvalidSizes {
        /// Size of the tree to prove consistency from.
        old_size: u64,
        /// Size of the tree to prove consistency to.
        new_size: u64,
    },
    /// `[start, end)` is not a subtree (see [`crate::is_valid_subtree`]).
    #[error("[{start}, {end}) is not a valid subtree")]
    InvalidSubtree {
        /// First leaf of the subtree.
        start: u64,
        /// One past the last leaf of the subtree.
        end: u64,
    },
    /// The subtree does not fit in the tree.
    #[error("subtree ending at {end} does not fit in a tree of size {size}")]
    SubtreeBeyondTree {
        /// One past the last leaf of the subtree.
        end: u64,
        /// Size of the tree.
        size: u64,
    },
    /// Appending would make the tree size exceed `u64::MAX`.
    #[error("appending {count} leaves to a tree of size {size} overflows the tree size")]
    SizeOverflow {
        /// Current tree size.
        size: u64,
        /// Number of leaves being appended.
        count: usize,
    },
    /// The [`HashReader`] failed.
    #[error("reading node hashes failed")]
    Read(#[source] E),
    /// The [`HashReader`] broke its contract.
    #[error("hash reader returned {got} hashes for {asked} nodes")]
    ReaderReturnedWrongCount {
        /// Number of nodes requested.
        asked: usize,
        /// Number of hashes returned.
        got: usize,
    },
}

/// A range of leaves `[start, end)` whose MTH is one element of an answer.
pub(crate) type Span = (u64, u64);

/// Reads the perfect nodes of every span in one call and folds each span.
fn hash_spans<R: HashReader>(
    spans: &[Span],
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if spans.is_empty() {
        return Ok(Vec::new());
    }
    let mut nodes = Vec::new();
    let mut ends = Vec::with_capacity(spans.len());
    for &(start, end) in spans {
        nodes.extend(subtree_nodes(start, end));
        ends.push(nodes.len());
    }
    let hashes = read_exact(&nodes, reader)?;
    let mut out = Vec::with_capacity(spans.len());
    let mut begin = 0;
    for end in ends {
        out.push(fold_right(&hashes[begin..end]));
        begin = end;
    }
    Ok(out)
}

/// Calls the reader once and enforces its length contract.
pub(crate) fn read_exact<R: HashReader>(
    nodes: &[NodeId],
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    let hashes = reader.read_hashes(nodes).map_err(ProofError::Read)?;
    if hashes.len() != nodes.len() {
        return Err(ProofError::ReaderReturnedWrongCount {
            asked: nodes.len(),
            got: hashes.len(),
        });
    }
    Ok(hashes)
}

/// `h0 ⊕ (h1 ⊕ (… ⊕ hn))`: the MTH of a subtree from its perfect pieces.
fn fold_right(pieces: &[Hash]) -> Hash {
    let mut iter = pieces.iter().rev();
    let Some(last) = iter.next() else {
        return empty_root();
    };
    iter.fold(*last, |acc, left| node_hash(left, &acc))
}

/// RFC 6962 §2.1.1 `PATH(m, D[start:end])` as spans, leaf to root.
/// Requires a valid subtree and `start <= index < end`.
pub(crate) fn inclusion_plan(index: u64, start: u64, end: u64) -> Vec<Span> {
    let (mut lo, mut hi) = (start, end);
    let mut top_down = Vec::new();
    while hi - lo > 1 {
        let k = split_point(hi - lo);
        if index < lo + k {
            top_down.push((lo + k, hi));
            hi = lo + k;
        } else {
            top_down.push((lo, lo + k));
            lo += k;
        }
    }
    top_down.reverse();
    top_down
}

/// RFC 6962 §2.1.2 `PROOF(m, D[n])` as spans; requires `0 < old_size < new_size`.
pub(crate) fn consistency_plan(old_size: u64, new_size: u64) -> Vec<Span> {
    subtree_consistency_plan(0, old_size, new_size)
}

/// `SUBTREE_PROOF(start, end, D[n])` of the Merkle Tree Certificates draft
/// (which for `start == 0` is RFC 6962 `PROOF(end, D[n])`), as spans.
/// Requires a valid subtree with `end <= size`.
pub(crate) fn subtree_consistency_plan(start: u64, end: u64, size: u64) -> Vec<Span> {
    let (mut start, end) = (start, end);
    let (mut lo, mut hi) = (0, size);
    let mut known = true;
    let mut top_down = Vec::new();
    loop {
        if start == lo && end == hi {
            if !known {
                top_down.push((lo, hi));
            }
            break;
        }
        let k = split_point(hi - lo);
        if end <= lo + k {
            top_down.push((lo + k, hi));
            hi = lo + k;
        } else if lo + k <= start {
            top_down.push((lo, lo + k));
            lo += k;
        } else {
            // start < lo + k < end: only possible when start == lo, since the
            // subtree is valid. The left part [lo, lo + k) is wholly inside the
            // subtree; the proof continues in the right part, whose root the
            // verifier does not know.
            top_down.push((lo, lo + k));
            lo += k;
            start = lo;
            known = false;
        }
    }
    top_down.reverse();
    top_down
}

/// The root hash of the tree of `size` leaves (`MTH(D[0:size])`); the empty
/// tree's root for size 0. Reads at most 64 nodes in one call.
pub fn tree_root<R: HashReader>(size: u64, reader: &R) -> Result<Hash, ProofError<R::Error>> {
    if size == 0 {
        return Ok(empty_root());
    }
    let hashes = hash_spans(&[(0, size)], reader)?;
    Ok(hashes[0])
}

/// The hash of the subtree `[start, end)` (`MTH(D[start:end])`), which must be
/// a valid subtree (see [`crate::is_valid_subtree`]).
pub fn subtree_root<R: HashReader>(
    start: u64,
    end: u64,
    reader: &R,
) -> Result<Hash, ProofError<R::Error>> {
    if !is_valid_subtree(start, end) {
        return Err(ProofError::InvalidSubtree { start, end });
    }
    let hashes = hash_spans(&[(start, end)], reader)?;
    Ok(hashes[0])
}

/// RFC 6962 §2.1.1 / RFC 9162 §2.1.3.1 inclusion proof (`PATH`) for leaf
/// `index` in the tree of `size` leaves, ordered from the leaf's sibling up to
/// the root's child. At most 64 hashes.
pub fn inclusion_proof<R: HashReader>(
    index: u64,
    size: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if index >= size {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    hash_spans(&inclusion_plan(index, 0, size), reader)
}

/// Inclusion proof of leaf `index` in the subtree `[start, end)`: the RFC 6962
/// `PATH` of `index - start` in `D[start:end]` (Merkle Tree Certificates draft,
/// "subtree inclusion proof"). Verify with [`crate::verify_subtree_inclusion`].
pub fn subtree_inclusion_proof<R: HashReader>(
    index: u64,
    start: u64,
    end: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if !is_valid_subtree(start, end) {
        return Err(ProofError::InvalidSubtree { start, end });
    }
    if index < start || index >= end {
        return Err(ProofError::IndexOutOfRange { index, size: end });
    }
    hash_spans(&inclusion_plan(index, start, end), reader)
}

/// RFC 6962 §2.1.2 / RFC 9162 §2.1.4.1 consistency proof (`PROOF`) between
/// the trees of `old_size` and `new_size` leaves. At most 64 hashes while
/// `new_size <= 2^63`, and 65 beyond.
///
/// The proof is empty when `old_size == new_size` and when `old_size == 0`
/// (an empty tree is a prefix of every tree; tlog-witness sends no proof lines
/// in that case). Note that [`crate::verify_consistency`] rejects
/// `old_size == 0`.
pub fn consistency_proof<R: HashReader>(
    old_size: u64,
    new_size: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if old_size > new_size {
        return Err(ProofError::InvalidSizes { old_size, new_size });
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    hash_spans(&consistency_plan(old_size, new_size), reader)
}

/// Proof that the subtree `[start, end)` is part of the tree of `size`
/// leaves (`SUBTREE_PROOF` of the Merkle Tree Certificates draft). Verify with
/// [`crate::verify_subtree_consistency`]. For `start == 0` this is exactly
/// [`consistency_proof`]`(end, size)`.
pub fn subtree_consistency_proof<R: HashReader>(
    start: u64,
    end: u64,
    size: u64,
    reader: &R,
) -> Result<Vec<Hash>, ProofError<R::Error>> {
    if !is_valid_subtree(start, end) {
        return Err(ProofError::InvalidSubtree { start, end });
    }
    if end > size {
        return Err(ProofError::SubtreeBeyondTree { end, size });
    }
    hash_spans(&subtree_consistency_plan(start, end, size), reader)
}

/// The perfect-subtree nodes, from level 0 upwards, that become complete when
/// the leaf at `leaf_index` is appended: the leaf itself, then each ancestor
/// for which this leaf is the last one.
///
/// A leaf at index `u64::MAX` cannot exist (tree sizes are `u64`), so nothing
/// is yielded for it.
pub fn nodes_completed_by(leaf_index: u64) -> impl Iterator<Item = NodeId> {
    let top = leaf_index.trailing_ones();
    (0..=top).filter_map(move |level| {
        let node = NodeId::new(level as u8, leaf_index.checked_shr(level)?);
        node.end_leaf().map(|_| node)
    })
}

/// Every node to store when `new_leaf_hashes` are appended to a tree of
/// `old_size` leaves: the new leaf hashes and every perfect subtree they
/// complete, in the order they become complete (each leaf, then the ancestors
/// it completes, level by level).
///
/// Reads the perfect nodes that make up the old tree's root (at most 64) in
/// one call; nothing is read for an empty tree or an empty batch.
pub fn append_hashes<R: HashReader>(
    old_size: u64,
    new_leaf_hashes: &[Hash],
    reader: &R,
) -> Result<Vec<(NodeId, Hash)>, ProofError<R::Error>> {
    if new_leaf_hashes.is_empty() {
        return Ok(Vec::new());
    }
    let fits = u64::try_from(new_leaf_hashes.len())
        .ok()
        .and_then(|count| old_size.checked_add(count))
        .is_some();
    if !fits {
        return Err(ProofError::SizeOverflow {
            size: old_size,
            count: new_leaf_hashes.len(),
        });
    }

    // The old tree as a stack of perfect subtrees, largest (leftmost) first.
    let border: Vec<NodeId> = if old_size == 0 {
        Vec::new()
    } else {
        subtree_nodes(0, old_size).collect()
    };
    let border_hashes = if border.is_empty() {
        Vec::new()
    } else {
        read_exact(&border, reader)?
    };
    let mut stack: Vec<(NodeId, Hash)> = border.into_iter().zip(border_hashes).collect();

    let mut out = Vec::with_capacity(new_leaf_hashes.len().saturating_mul(2));
    for (offset, leaf) in (0u64..).zip(new_leaf_hashes) {
        let mut current = (NodeId::leaf(old_size + offset), *leaf);
        out.push(current);
        // Like incrementing a binary counter: merge with the left sibling while
        // the top of the stack has the same level.
        while let Some(&(left_id, left_hash)) = stack.last() {
            if left_id.level != current.0.level {
                break;
            }
            stack.pop();
            let parent = NodeId::new(current.0.level + 1, current.0.index >> 1);
            current = (parent, node_hash(&left_hash, &current.1));
            out.push(current);
        }
        stack.push(current);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash::leaf_hash;

    /// A reader of an imaginary huge tree: each node's hash is derived from its
    /// coordinates. Proof *shapes* can be checked at any size with it.
    struct SyntheticReader;

    impl HashReader for SyntheticReader {
        type Error = std::convert::Infallible;
        fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
            Ok(nodes
                .iter()
                .map(|n| {
                    let mut bytes = [0u8; 32];
                    bytes[0] = n.level;
                    bytes[8..16].copy_from_slice(&n.index.to_be_bytes());
                    Hash(bytes)
                })
                .collect())
        }
    }

    struct ShortReader;

    impl HashReader for ShortReader {
        type Error = std::convert::Infallible;
        fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
            Ok(vec![Hash::default(); nodes.len().saturating_sub(1)])
        }
    }

    #[test]
    fn huge_sizes_do_not_overflow() {
        let sizes = [
            u64::MAX,
            u64::MAX - 1,
            1 << 63,
            (1 << 63) + 1,
            (1 << 63) - 1,
        ];
        for &size in &sizes {
            tree_root(size, &SyntheticReader).expect("root");
            for index in [0, 1, size / 2, size - 1] {
                let proof = inclusion_proof(index, size, &SyntheticReader).expect("proof");
                assert!(proof.len() <= 64);
            }
            for old in [1, 2, 3, size / 3, size - 1, size] {
                let proof = consistency_proof(old, size, &SyntheticReader).expect("proof");
                assert!(proof.len() <= 65);
            }
        }
        assert!(matches!(
            inclusion_proof(u64::MAX, u64::MAX, &SyntheticReader),
            Err(ProofError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            append_hashes(u64::MAX, &[Hash::default()], &SyntheticReader),
            Err(ProofError::SizeOverflow { .. })
        ));
        let appended =
            append_hashes(u64::MAX - 1, &[Hash::default()], &SyntheticReader).expect("append");
        assert_eq!(appended.len(), 1);
    }

    #[test]
    fn reader_contract_is_enforced() {
        assert!(matches!(
            tree_root(5, &ShortReader),
            Err(ProofError::ReaderReturnedWrongCount { asked: 2, got: 1 })
        ));
        assert!(matches!(
            inclusion_proof(0, 5, &ShortReader),
            Err(ProofError::ReaderReturnedWrongCount { .. })
        ));
        assert!(matches!(
            append_hashes(3, &[Hash::default()], &ShortReader),
            Err(ProofError::ReaderReturnedWrongCount { .. })
        ));
    }

    #[test]
    fn argument_errors() {
        assert!(matches!(
            consistency_proof(5, 4, &SyntheticReader),
            Err(ProofError::InvalidSizes {
                old_size: 5,
                new_size: 4
            })
        ));
        assert!(matches!(consistency_proof(0, 4, &SyntheticReader), Ok(p) if p.is_empty()));
        assert!(matches!(consistency_proof(4, 4, &SyntheticReader), Ok(p) if p.is_empty()));
        assert!(matches!(
            subtree_consistency_proof(2, 5, 8, &SyntheticReader),
            Err(ProofError::InvalidSubtree { start: 2, end: 5 })
        ));
        assert!(matches!(
            subtree_consistency_proof(4, 8, 7, &SyntheticReader),
            Err(ProofError::SubtreeBeyondTree { end: 8, size: 7 })
        ));
        assert!(matches!(
            subtree_inclusion_proof(3, 4, 8, &SyntheticReader),
            Err(ProofError::IndexOutOfRange { .. })
        ));
        assert_eq!(tree_root(0, &ShortReader).ok(), Some(empty_root()));
    }

    #[test]
    fn completed_nodes() {
        let got: Vec<_> = nodes_completed_by(7).collect();
        assert_eq!(
            got,
            vec![
                NodeId::new(0, 7),
                NodeId::new(1, 3),
                NodeId::new(2, 1),
                NodeId::new(3, 0)
            ]
        );
        assert_eq!(
            nodes_completed_by(4).collect::<Vec<_>>(),
            vec![NodeId::leaf(4)]
        );
        assert_eq!(nodes_completed_by(u64::MAX).count(), 0);
        let top = nodes_completed_by((1 << 63) - 1).last();
        assert_eq!(top, Some(NodeId::new(63, 0)));
        assert_eq!(nodes_completed_by(u64::MAX - 1).count(), 1);
    }

    #[test]
    fn append_to_empty_tree_matches_hand_computation() {
        let leaves: Vec<Hash> = (0..3u8).map(|i| leaf_hash(&[i])).collect();
        let out = append_hashes(0, &leaves, &ShortReader).expect("nothing to read");
        let n01 = node_hash(&leaves[0], &leaves[1]);
        assert_eq!(
            out,
            vec![
                (NodeId::leaf(0), leaves[0]),
                (NodeId::leaf(1), leaves[1]),
                (NodeId::new(1, 0), n01),
                (NodeId::leaf(2), leaves[2]),
            ]
        );
    }
}
