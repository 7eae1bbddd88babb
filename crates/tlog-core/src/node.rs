//! Node coordinates and the arithmetic of ranges of leaves.

use std::fmt;

/// A perfect subtree of the log ([RFC 6962 §2.1](https://www.rfc-editor.org/rfc/rfc6962#section-2.1)):
/// the node at `level` that covers the leaves
/// `[index << level, (index + 1) << level)`.
///
/// Level 0 nodes are leaf hashes. Only perfect subtrees have a `NodeId`; the
/// "ephemeral" nodes on the right edge of a tree whose size is not a power of
/// two are computed from perfect ones and never stored.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId {
    /// Height above the leaves (0 = leaf).
    pub level: u8,
    /// Position among the nodes of this level, counted from the left.
    pub index: u64,
}

impl fmt::Debug for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NodeId({}/{})", self.level, self.index)
    }
}

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "level {} index {}", self.level, self.index)
    }
}

impl NodeId {
    /// The node at `level` and `index`.
    pub const fn new(level: u8, index: u64) -> Self {
        NodeId { level, index }
    }

    /// The leaf hash of leaf `index`.
    pub const fn leaf(index: u64) -> Self {
        NodeId { level: 0, index }
    }

    /// First leaf covered by this node, or `None` if that is not a `u64`.
    pub fn first_leaf(&self) -> Option<u64> {
        shl_exact(self.index, self.level)
    }

    /// One past the last leaf covered, or `None` if that is not a `u64`. A node
    /// exists in a tree of size `n` exactly when `end_leaf() <= Some(n)`.
    pub fn end_leaf(&self) -> Option<u64> {
        shl_exact(self.index.checked_add(1)?, self.level)
    }

    /// Whether this node is complete in a tree of `size` leaves.
    pub fn exists_in_tree(&self, size: u64) -> bool {
        self.end_leaf().is_some_and(|end| end <= size)
    }

    /// The node one level up that has this node as a child.
    pub fn parent(&self) -> Option<NodeId> {
        Some(NodeId {
            level: self.level.checked_add(1)?,
            index: self.index >> 1,
        })
    }

    /// The two children `(left, right)`, or `None` for a leaf.
    pub fn children(&self) -> Option<(NodeId, NodeId)> {
        let level = self.level.checked_sub(1)?;
        let left = self.index.checked_mul(2)?;
        Some((
            NodeId::new(level, left),
            NodeId::new(level, left.checked_add(1)?),
        ))
    }
}

/// `value << shift`, or `None` if bits would be lost or `shift >= 64`.
pub(crate) fn shl_exact(value: u64, shift: u8) -> Option<u64> {
    if shift >= 64 {
        return (value == 0).then_some(0);
    }
    if value > (u64::MAX >> shift) {
        return None;
    }
    Some(value << shift)
}

/// Largest power of two strictly smaller than `n`; requires `n >= 2`.
pub(crate) fn split_point(n: u64) -> u64 {
    debug_assert!(n >= 2);
    1 << (63 - (n - 1).leading_zeros())
}

/// Whether `[start, end)` is a *subtree* in the sense of RFC 6962's MTH
/// recursion (and of the Merkle Tree Certificates draft): non-empty, and
/// `start` a multiple of the smallest power of two `>= end - start`.
///
/// Every range that the RFC 6962 recursion hashes is such a subtree. Its hash
/// is the right fold of the perfect subtrees given by the binary digits of
/// `end - start`, largest first.
pub fn is_valid_subtree(start: u64, end: u64) -> bool {
    if start >= end {
        return false;
    }
    if start == 0 {
        return true;
    }
    match (end - start).checked_next_power_of_two() {
        Some(width) => start & (width - 1) == 0,
        None => false,
    }
}

/// The perfect nodes whose right-to-left fold gives `MTH(D[start:end])`, from
/// left (largest) to right (smallest). Requires `is_valid_subtree(start, end)`;
/// at most 64 nodes.
pub(crate) fn subtree_nodes(start: u64, end: u64) -> impl Iterator<Item = NodeId> {
    debug_assert!(is_valid_subtree(start, end));
    let width = end - start;
    let mut cursor = start;
    (0..64u8).rev().filter_map(move |level| {
        let piece = 1u64 << level;
        if width & piece == 0 {
            return None;
        }
        let node = NodeId::new(level, cursor >> level);
        cursor = cursor.wrapping_add(piece);
        Some(node)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_and_overflow() {
        let n = NodeId::new(3, 5);
        assert_eq!(n.first_leaf(), Some(40));
        assert_eq!(n.end_leaf(), Some(48));
        assert!(n.exists_in_tree(48));
        assert!(!n.exists_in_tree(47));
        assert_eq!(NodeId::new(63, 1).end_leaf(), None);
        assert_eq!(NodeId::new(63, 1).first_leaf(), Some(1 << 63));
        assert_eq!(NodeId::new(63, 2).first_leaf(), None);
        assert_eq!(NodeId::new(200, 0).first_leaf(), Some(0));
        assert_eq!(NodeId::new(200, 0).end_leaf(), None);
        assert_eq!(NodeId::leaf(u64::MAX).end_leaf(), None);
        assert!(NodeId::leaf(u64::MAX - 1).exists_in_tree(u64::MAX));
        assert_eq!(NodeId::new(255, 0).parent(), None);
        assert_eq!(
            NodeId::new(2, 3).children(),
            Some((NodeId::new(1, 6), NodeId::new(1, 7)))
        );
        assert_eq!(NodeId::leaf(3).children(), None);
    }

    #[test]
    fn split_points() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(u64::MAX), 1 << 63);
        assert_eq!(split_point((1 << 63) + 1), 1 << 63);
        assert_eq!(split_point(1 << 63), 1 << 62);
    }

    #[test]
    fn subtree_validity() {
        assert!(is_valid_subtree(0, 1));
        assert!(is_valid_subtree(0, u64::MAX));
        assert!(is_valid_subtree(8, 16));
        assert!(is_valid_subtree(8, 13));
        assert!(is_valid_subtree(1 << 63, u64::MAX));
        assert!(!is_valid_subtree(0, 0));
        assert!(!is_valid_subtree(3, 3));
        assert!(!is_valid_subtree(2, 1));
        assert!(!is_valid_subtree(3, 5));
        assert!(!is_valid_subtree(2, 5));
        assert!(!is_valid_subtree(1, (1 << 63) + 2));
    }

    #[test]
    fn subtree_decomposition() {
        let nodes: Vec<_> = subtree_nodes(0, 13).collect();
        assert_eq!(
            nodes,
            vec![NodeId::new(3, 0), NodeId::new(2, 2), NodeId::new(0, 12)]
        );
        let nodes: Vec<_> = subtree_nodes(16, 22).collect();
        assert_eq!(nodes, vec![NodeId::new(2, 4), NodeId::new(1, 10)]);
        assert_eq!(subtree_nodes(0, u64::MAX).count(), 64);
        let last = subtree_nodes(0, u64::MAX).last();
        assert_eq!(last, Some(NodeId::leaf(u64::MAX - 1)));
    }
}
