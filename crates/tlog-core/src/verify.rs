//! Proof verification (RFC 9162 §2.1.3.2 and §2.1.4.2, and the subtree
//! proofs of the Merkle Tree Certificates draft).

use crate::hash::{Hash, empty_root, node_hash};
use crate::node::is_valid_subtree;
use crate::proof::{consistency_plan, inclusion_plan, subtree_consistency_plan};

/// Why a proof did not verify ([RFC 9162 §2.1.3.2] and [§2.1.4.2]).
///
/// [RFC 9162 §2.1.3.2]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1.3.2
/// [§2.1.4.2]: https://www.rfc-editor.org/rfc/rfc9162#section-2.1.4.2
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The leaf index is not smaller than the tree size.
    #[error("leaf index {index} is out of range for a tree of size {size}")]
    IndexOutOfRange {
        /// Claimed leaf index.
        index: u64,
        /// Claimed tree size.
        size: u64,
    },
    /// The leaf index is not inside the subtree.
    #[error("leaf index {index} is outside the subtree [{start}, {end})")]
    IndexOutsideSubtree {
        /// Claimed leaf index.
        index: u64,
        /// First leaf of the subtree.
        start: u64,
        /// One past the last leaf of the subtree.
        end: u64,
    },
    /// The proof does not have the one length that the sizes allow.
    #[error("proof has {got} hashes, the sizes require {want}")]
    WrongProofLength {
        /// Number of hashes in the proof.
        got: usize,
        /// Number of hashes a correct proof has.
        want: usize,
    },
    /// The root computed from the proof is not the expected (new) root.
    #[error("computed root {computed} does not match expected root {expected}")]
    RootMismatch {
        /// Root computed from the proof.
        computed: Hash,
        /// Root the caller expected.
        expected: Hash,
    },
    /// The old tree's (or the subtree's) root computed from a consistency
    /// proof is not the expected one.
    #[error("computed old root {computed} does not match expected old root {expected}")]
    OldRootMismatch {
        /// Old root computed from the proof.
        computed: Hash,
        /// Old root the caller expected.
        expected: Hash,
    },
    /// A consistency proof from the empty tree was given (see
    /// [`verify_consistency`] for the policy).
    #[error("a consistency proof from an empty tree is meaningless")]
    SizeZero,
    /// The old tree is larger than the new one.
    #[error("old tree size {old_size} is larger than new tree size {new_size}")]
    OldSizeGreater {
        /// Claimed old tree size.
        old_size: u64,
        /// Claimed new tree size.
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
        /// Claimed tree size.
        size: u64,
    },
}

/// `Ok` when the computed root is the expected one, [`VerifyError::RootMismatch`] otherwise.
fn expect_root(computed: Hash, expected: Hash) -> Result<(), VerifyError> {
    if computed == expected {
        Ok(())
    } else {
        Err(VerifyError::RootMismatch { computed, expected })
    }
}

/// Like [`expect_root`], for the old (or subtree) root: [`VerifyError::OldRootMismatch`].
fn expect_old_root(computed: Hash, expected: Hash) -> Result<(), VerifyError> {
    if computed == expected {
        Ok(())
    } else {
        Err(VerifyError::OldRootMismatch { computed, expected })
    }
}

fn check_length(proof: &[Hash], want: usize) -> Result<(), VerifyError> {
    if proof.len() != want {
        return Err(VerifyError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    Ok(())
}

/// The RFC 9162 §2.1.3.2 loop: the root of a tree of `size` leaves computed
/// from the hash of leaf `index` (both relative to the tree) and its path.
/// Requires `index < size` and a proof of the exact length.
fn chain_inclusion(
    seed: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, VerifyError> {
    let want = proof.len();
    let mut f = index;
    let mut s = size - 1;
    let mut r = *seed;
    for p in proof {
        if s == 0 {
            return Err(VerifyError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    Ok(r)
}

/// Computes the root of the tree of `size` leaves from the hash of leaf
/// `index` and its inclusion proof (RFC 9162 §2.1.3.2). The proof must have
/// exactly the length the index and size call for (at most 64).
pub fn root_from_inclusion_proof(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
) -> Result<Hash, VerifyError> {
    if index >= size {
        return Err(VerifyError::IndexOutOfRange { index, size });
    }
    check_length(proof, inclusion_plan(index, 0, size).len())?;
    chain_inclusion(leaf_hash, index, size, proof)
}

/// Verifies that `leaf_hash` is leaf `index` of the tree of `size` leaves with
/// root `root` (RFC 9162 §2.1.3.2).
pub fn verify_inclusion(
    leaf_hash: &Hash,
    index: u64,
    size: u64,
    proof: &[Hash],
    root: &Hash,
) -> Result<(), VerifyError> {
    let computed = root_from_inclusion_proof(leaf_hash, index, size, proof)?;
    expect_root(computed, *root)?;
    Ok(())
}

/// Verifies that the tree of `old_size` leaves with root `old_root` is a
/// prefix of the tree of `new_size` leaves with root `new_root`
/// (RFC 9162 §2.1.4.2).
///
/// Policy (that of transparency-dev/merkle, whose test vectors this crate
/// passes):
/// - `old_size > new_size` is [`VerifyError::OldSizeGreater`];
/// - `old_size == 0` is [`VerifyError::SizeZero`], whatever the proof and
///   roots: there is nothing to verify, and accepting it here would let a
///   caller mistake "no check" for "checked". A witness that treats the empty
///   tree as consistent with every tree (as c2sp.org/tlog-witness does) must
///   make that decision itself before calling this function;
/// - `old_size == new_size` needs an empty proof and equal roots;
/// - otherwise the proof must have exactly the length the sizes call for.
pub fn verify_consistency(
    old_size: u64,
    new_size: u64,
    old_root: &Hash,
    new_root: &Hash,
    proof: &[Hash],
) -> Result<(), VerifyError> {
    if old_size > new_size {
        return Err(VerifyError::OldSizeGreater { old_size, new_size });
    }
    if old_size == 0 {
        return Err(VerifyError::SizeZero);
    }
    if old_size == new_size {
        check_length(proof, 0)?;
        expect_root(*old_root, *new_root)?;
        return Ok(());
    }
    let want = consistency_plan(old_size, new_size).len();
    check_length(proof, want)?;

    // RFC 9162 §2.1.4.2. When old_size is a power of two, the old root is the
    // (implicit) first element of the proof.
    let (seed, rest) = if old_size.is_power_of_two() {
        (*old_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(VerifyError::WrongProofLength { got: 0, want }),
        }
    };
    let mut f = old_size - 1;
    let mut s = new_size - 1;
    while f & 1 == 1 {
        f >>= 1;
        s >>= 1;
    }
    let mut old_hash = seed;
    let mut new_hash = seed;
    for c in rest {
        if s == 0 {
            return Err(VerifyError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        if f & 1 == 1 || f == s {
            old_hash = node_hash(c, &old_hash);
            new_hash = node_hash(c, &new_hash);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            new_hash = node_hash(&new_hash, c);
        }
        f >>= 1;
        s >>= 1;
    }
    if s != 0 {
        return Err(VerifyError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    expect_old_root(old_hash, *old_root)?;
    expect_root(new_hash, *new_root)?;
    Ok(())
}

/// Verifies that `leaf_hash` is leaf `index` of the subtree `[start, end)`
/// whose hash is `subtree_root` (Merkle Tree Certificates draft, "subtree
/// inclusion proof": the RFC 6962 path of `index - start` in `D[start:end]`).
/// With `start == 0` this is [`verify_inclusion`] for a tree of size `end`.
pub fn verify_subtree_inclusion(
    leaf_hash: &Hash,
    index: u64,
    start: u64,
    end: u64,
    proof: &[Hash],
    subtree_root: &Hash,
) -> Result<(), VerifyError> {
    if !is_valid_subtree(start, end) {
        return Err(VerifyError::InvalidSubtree { start, end });
    }
    if index < start || index >= end {
        return Err(VerifyError::IndexOutsideSubtree { index, start, end });
    }
    check_length(proof, inclusion_plan(index, start, end).len())?;
    let computed = chain_inclusion(leaf_hash, index - start, end - start, proof)?;
    expect_root(computed, *subtree_root)?;
    Ok(())
}

/// Verifies that the subtree `[start, end)` with hash `subtree_root` is part of
/// the tree of `size` leaves with root `root` (Merkle Tree Certificates draft,
/// "verifying a subtree consistency proof").
///
/// Policy (that of transparency-dev/merkle's vectors): an *empty* subtree
/// `[s, s)` with `s <= size` is accepted with an empty proof exactly when
/// `subtree_root` is the empty tree's hash; `root` is not examined, since an
/// empty range proves nothing about the tree. Any other `[start, end)` must be
/// a valid subtree (see [`crate::is_valid_subtree`]) with `end <= size`.
pub fn verify_subtree_consistency(
    start: u64,
    end: u64,
    size: u64,
    proof: &[Hash],
    subtree_root: &Hash,
    root: &Hash,
) -> Result<(), VerifyError> {
    if start == end && end <= size {
        check_length(proof, 0)?;
        let empty = empty_root();
        expect_old_root(empty, *subtree_root)?;
        return Ok(());
    }
    if !is_valid_subtree(start, end) {
        return Err(VerifyError::InvalidSubtree { start, end });
    }
    if end > size {
        return Err(VerifyError::SubtreeBeyondTree { end, size });
    }
    let want = subtree_consistency_plan(start, end, size).len();
    check_length(proof, want)?;

    // f, s, t: the subtree's first and last leaf and the tree's last leaf;
    // shifting all three right climbs one level.
    let mut f = start;
    let mut s = end - 1;
    let mut t = size - 1;
    if s == t {
        // The subtree ends at the tree's right edge: climb to its root.
        while f != s {
            f >>= 1;
            s >>= 1;
            t >>= 1;
        }
    } else {
        // Climb while the last leaf's ancestor is a right child inside the
        // subtree; those levels are all inside the subtree's first proof node.
        while f != s && s & 1 == 1 {
            f >>= 1;
            s >>= 1;
            t >>= 1;
        }
    }
    let (seed, rest) = if f == s {
        (*subtree_root, proof)
    } else {
        match proof.split_first() {
            Some((first, rest)) => (*first, rest),
            None => return Err(VerifyError::WrongProofLength { got: 0, want }),
        }
    };
    let mut sub_hash = seed;
    let mut tree_hash = seed;
    for c in rest {
        if t == 0 {
            return Err(VerifyError::WrongProofLength {
                got: proof.len(),
                want,
            });
        }
        if s & 1 == 1 || s == t {
            if f < s {
                sub_hash = node_hash(c, &sub_hash);
            }
            tree_hash = node_hash(c, &tree_hash);
            // s is non-zero here (s == t != 0, or s odd), so this ends.
            while s & 1 == 0 {
                f >>= 1;
                s >>= 1;
                t >>= 1;
            }
        } else {
            tree_hash = node_hash(&tree_hash, c);
        }
        f >>= 1;
        s >>= 1;
        t >>= 1;
    }
    if t != 0 {
        return Err(VerifyError::WrongProofLength {
            got: proof.len(),
            want,
        });
    }
    expect_old_root(sub_hash, *subtree_root)?;
    expect_root(tree_hash, *root)?;
    Ok(())
}
