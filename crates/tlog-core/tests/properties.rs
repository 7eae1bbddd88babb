//! Property tests against a naive reference: MTH, PATH and PROOF written as the
//! plain recursions of RFC 6962 §2.1 (and `SUBTREE_PROOF` of the Merkle Tree
//! Certificates draft), over slices of leaf hashes.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::sync::OnceLock;

use proptest::prelude::*;
use tlog_core::{
    Hash, HashReader, MemoryTree, NodeId, VerifyError, append_hashes, consistency_proof,
    empty_root, inclusion_proof, leaf_hash, node_hash, nodes_completed_by,
    root_from_inclusion_proof, subtree_consistency_proof, subtree_inclusion_proof, subtree_root,
    tree_root, verify_consistency, verify_inclusion, verify_subtree_consistency,
    verify_subtree_inclusion,
};

const MAX_SIZE: u64 = 3000;

// ---------------------------------------------------------------------------
// Reference implementation, written from the RFC text.

fn largest_power_of_two_below(n: usize) -> usize {
    let mut k = 1;
    while k * 2 < n {
        k *= 2;
    }
    k
}

/// `MTH(D[n])`.
fn mth(d: &[Hash]) -> Hash {
    match d.len() {
        0 => empty_root(),
        1 => d[0],
        n => {
            let k = largest_power_of_two_below(n);
            node_hash(&mth(&d[..k]), &mth(&d[k..]))
        }
    }
}

/// `PATH(m, D[n])`.
fn path(m: usize, d: &[Hash]) -> Vec<Hash> {
    let n = d.len();
    if n <= 1 {
        return Vec::new();
    }
    let k = largest_power_of_two_below(n);
    if m < k {
        let mut p = path(m, &d[..k]);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = path(m - k, &d[k..]);
        p.push(mth(&d[..k]));
        p
    }
}

/// `PROOF(m, D[n]) = SUBPROOF(m, D[n], true)`.
fn proof(m: usize, d: &[Hash]) -> Vec<Hash> {
    subproof(m, d, true)
}

fn subproof(m: usize, d: &[Hash], b: bool) -> Vec<Hash> {
    let n = d.len();
    if m == n {
        return if b { Vec::new() } else { vec![mth(d)] };
    }
    let k = largest_power_of_two_below(n);
    if m <= k {
        let mut p = subproof(m, &d[..k], b);
        p.push(mth(&d[k..]));
        p
    } else {
        let mut p = subproof(m - k, &d[k..], false);
        p.push(mth(&d[..k]));
        p
    }
}

/// `SUBTREE_PROOF(start, end, D[n])` of the Merkle Tree Certificates draft.
fn subtree_proof(start: usize, end: usize, d: &[Hash]) -> Vec<Hash> {
    subtree_subproof(start, end, d, true)
}

fn subtree_subproof(start: usize, end: usize, d: &[Hash], known: bool) -> Vec<Hash> {
    let n = d.len();
    if start == 0 && end == n {
        return if known { Vec::new() } else { vec![mth(d)] };
    }
    let k = largest_power_of_two_below(n);
    let mut p;
    if end <= k {
        p = subtree_subproof(start, end, &d[..k], known);
        p.push(mth(&d[k..]));
    } else if k <= start {
        p = subtree_subproof(start - k, end - k, &d[k..], known);
        p.push(mth(&d[..k]));
    } else {
        p = subtree_subproof(0, end - k, &d[k..], false);
        p.push(mth(&d[..k]));
    }
    p
}

// ---------------------------------------------------------------------------

struct Fixture {
    leaves: Vec<Hash>,
    tree: MemoryTree,
}

/// One tree of `MAX_SIZE` leaves; every smaller tree is a prefix of it.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let leaves: Vec<Hash> = (0..MAX_SIZE)
            .map(|i| leaf_hash(format!("leaf {i}").as_bytes()))
            .collect();
        let tree = leaves.iter().copied().collect();
        Fixture { leaves, tree }
    })
}

fn flip(hash: &Hash, bit: usize) -> Hash {
    let mut bytes = hash.0;
    bytes[(bit / 8) % 32] ^= 1 << (bit % 8);
    Hash(bytes)
}

/// Counts `read_hashes` calls, to check the one-call-per-proof rule.
struct CountingReader<'a> {
    tree: &'a MemoryTree,
    calls: std::cell::Cell<usize>,
}

impl HashReader for CountingReader<'_> {
    type Error = tlog_core::UnknownNodeError;
    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, Self::Error> {
        self.calls.set(self.calls.get() + 1);
        self.tree.read_hashes(nodes)
    }
}

fn size_and_index() -> impl Strategy<Value = (u64, u64)> {
    (1..=MAX_SIZE).prop_flat_map(|size| (Just(size), 0..size))
}

fn two_sizes() -> impl Strategy<Value = (u64, u64)> {
    (1..=MAX_SIZE).prop_flat_map(|new| (1..=new, Just(new)))
}

/// A valid subtree [start, end) of a tree of `size` leaves.
fn subtree_in_tree() -> impl Strategy<Value = (u64, u64, u64)> {
    (1..=MAX_SIZE)
        .prop_flat_map(|size| (Just(size), 0..size, 1..=size))
        .prop_map(|(size, start, width)| {
            let room = size - start;
            let limit = if start == 0 {
                room
            } else {
                room.min(1 << start.trailing_zeros())
            };
            (size, start, start + 1 + (width - 1) % limit)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn roots_match_reference(size in 0..=MAX_SIZE) {
        let f = fixture();
        let want = mth(&f.leaves[..size as usize]);
        prop_assert_eq!(tree_root(size, &f.tree).unwrap(), want);
        let prefix: MemoryTree = f.leaves[..size as usize].iter().copied().collect();
        prop_assert_eq!(prefix.root(), want);
        prop_assert_eq!(prefix.size(), size);
    }

    #[test]
    fn inclusion_proofs_match_reference_and_verify(
        (size, index) in size_and_index(),
        bit in 0usize..256,
        index_bit in 0u32..64,
    ) {
        let f = fixture();
        let d = &f.leaves[..size as usize];
        let root = mth(d);
        let leaf = f.leaves[index as usize];
        let reader = CountingReader { tree: &f.tree, calls: 0.into() };
        let got = inclusion_proof(index, size, &reader).unwrap();
        prop_assert!(reader.calls.get() <= 1);
        prop_assert_eq!(&got, &path(index as usize, d));
        verify_inclusion(&leaf, index, size, &got, &root).unwrap();
        prop_assert_eq!(root_from_inclusion_proof(&leaf, index, size, &got).unwrap(), root);

        // Corruptions that must fail.
        for i in 0..got.len() {
            let mut bad = got.clone();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_inclusion(&leaf, index, size, &bad, &root).is_err());
        }
        prop_assert!(verify_inclusion(&flip(&leaf, bit), index, size, &got, &root).is_err());
        prop_assert!(verify_inclusion(&leaf, index, size, &got, &flip(&root, bit)).is_err());
        prop_assert!(verify_inclusion(&leaf, index ^ (1 << index_bit), size, &got, &root).is_err());
        prop_assert!(verify_inclusion(&leaf, index + 1, size, &got, &root).is_err());
        if index > 0 {
            prop_assert!(verify_inclusion(&leaf, index - 1, size, &got, &root).is_err());
        }
        prop_assert!(verify_inclusion(&leaf, index, size * 2, &got, &root).is_err());
        if size / 2 > index {
            prop_assert!(verify_inclusion(&leaf, index, size / 2, &got, &root).is_err());
        }
        let mut longer = got.clone();
        longer.push(root);
        let long_result = verify_inclusion(&leaf, index, size, &longer, &root);
        prop_assert!(matches!(long_result, Err(VerifyError::WrongProofLength { .. })), "{:?}", long_result);
        if !got.is_empty() {
            let short_result = verify_inclusion(&leaf, index, size, &got[1..], &root);
            prop_assert!(matches!(short_result, Err(VerifyError::WrongProofLength { .. })), "{:?}", short_result);
        }
    }

    #[test]
    fn consistency_proofs_match_reference_and_verify(
        (old, new) in two_sizes(),
        bit in 0usize..256,
        size_bit in 0u32..64,
    ) {
        let f = fixture();
        let old_root = mth(&f.leaves[..old as usize]);
        let new_root = mth(&f.leaves[..new as usize]);
        let reader = CountingReader { tree: &f.tree, calls: 0.into() };
        let got = consistency_proof(old, new, &reader).unwrap();
        prop_assert!(reader.calls.get() <= 1);
        prop_assert_eq!(&got, &proof(old as usize, &f.leaves[..new as usize]));
        verify_consistency(old, new, &old_root, &new_root, &got).unwrap();

        for i in 0..got.len() {
            let mut bad = got.clone();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &bad).is_err());
        }
        prop_assert!(verify_consistency(old, new, &flip(&old_root, bit), &new_root, &got).is_err());
        prop_assert!(verify_consistency(old, new, &old_root, &flip(&new_root, bit), &got).is_err());
        let flipped_old = old ^ (1 << size_bit);
        prop_assert!(verify_consistency(flipped_old, new, &old_root, &new_root, &got).is_err());
        if old != new {
            prop_assert!(verify_consistency(old, new, &new_root, &old_root, &got).is_err());
            prop_assert!(verify_consistency(old, new * 2, &old_root, &new_root, &got).is_err());
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &[]).is_err());
            prop_assert!(verify_consistency(old, new, &old_root, &new_root, &got[1..]).is_err());
        }
        let mut longer = got.clone();
        longer.push(new_root);
        prop_assert!(verify_consistency(old, new, &old_root, &new_root, &longer).is_err());
        prop_assert_eq!(verify_consistency(0, new, &empty_root(), &new_root, &[]), Err(VerifyError::SizeZero));
    }

    #[test]
    fn subtree_proofs_match_reference_and_verify(
        (size, start, end) in subtree_in_tree(),
        pick in any::<u64>(),
        bit in 0usize..256,
    ) {
        let f = fixture();
        let d = &f.leaves[..size as usize];
        let root = mth(d);
        let sub = mth(&d[start as usize..end as usize]);
        prop_assert_eq!(subtree_root(start, end, &f.tree).unwrap(), sub);

        let got = subtree_consistency_proof(start, end, size, &f.tree).unwrap();
        prop_assert_eq!(&got, &subtree_proof(start as usize, end as usize, d));
        verify_subtree_consistency(start, end, size, &got, &sub, &root).unwrap();
        for i in 0..got.len() {
            let mut bad = got.clone();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_subtree_consistency(start, end, size, &bad, &sub, &root).is_err());
        }
        prop_assert!(verify_subtree_consistency(start, end, size, &got, &flip(&sub, bit), &root).is_err());
        prop_assert!(verify_subtree_consistency(start, end, size, &got, &sub, &flip(&root, bit)).is_err());
        if start == 0 {
            // For a prefix this is exactly an RFC 6962 consistency proof.
            prop_assert_eq!(&got, &consistency_proof(end, size, &f.tree).unwrap());
        }

        let index = start + pick % (end - start);
        let leaf = f.leaves[index as usize];
        let incl = subtree_inclusion_proof(index, start, end, &f.tree).unwrap();
        prop_assert_eq!(&incl, &path((index - start) as usize, &d[start as usize..end as usize]));
        verify_subtree_inclusion(&leaf, index, start, end, &incl, &sub).unwrap();
        for i in 0..incl.len() {
            let mut bad = incl.clone();
            bad[i] = flip(&bad[i], bit);
            prop_assert!(verify_subtree_inclusion(&leaf, index, start, end, &bad, &sub).is_err());
        }
        prop_assert!(verify_subtree_inclusion(&flip(&leaf, bit), index, start, end, &incl, &sub).is_err());
    }

    #[test]
    fn append_in_batches_matches_building_at_once(
        batches in proptest::collection::vec(0usize..300, 1..12),
    ) {
        let f = fixture();
        let mut store: BTreeMap<NodeId, Hash> = BTreeMap::new();
        let mut size = 0u64;
        for batch in batches {
            let batch = batch.min((MAX_SIZE - size) as usize);
            let leaves = &f.leaves[size as usize..size as usize + batch];
            let reader = MapReader(&store);
            let new_nodes = append_hashes(size, leaves, &reader).unwrap();
            // Every node completed by the new leaves, and nothing else.
            let expected: Vec<NodeId> = (size..size + batch as u64).flat_map(nodes_completed_by).collect();
            prop_assert_eq!(new_nodes.iter().map(|(id, _)| *id).collect::<Vec<_>>(), expected);
            for (id, hash) in new_nodes {
                prop_assert!(store.insert(id, hash).is_none(), "node {:?} written twice", id);
            }
            size += batch as u64;
            prop_assert_eq!(tree_root(size, &MapReader(&store)).unwrap(), mth(&f.leaves[..size as usize]));
        }
        // Same node set as a tree built at once.
        let at_once: MemoryTree = f.leaves[..size as usize].iter().copied().collect();
        let mut count = 0;
        for level in 0..64u8 {
            let mut index = 0;
            while let Some(hash) = at_once.node(NodeId::new(level, index)) {
                prop_assert_eq!(store.get(&NodeId::new(level, index)), Some(&hash));
                index += 1;
                count += 1;
            }
        }
        prop_assert_eq!(count, store.len());
    }
}

struct MapReader<'a>(&'a BTreeMap<NodeId, Hash>);

impl HashReader for MapReader<'_> {
    type Error = NodeId;
    fn read_hashes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, NodeId> {
        nodes
            .iter()
            .map(|n| self.0.get(n).copied().ok_or(*n))
            .collect()
    }
}

/// RFC 6962 proofs bind the roots, not the sizes: the same inclusion proof can
/// verify for another claimed size whose tree has the same shape along the
/// path. (Sizes are authenticated by the signed checkpoint, not by the proof.)
/// This pins that known behaviour so that nobody "fixes" the verifier into
/// something non-standard by accident.
#[test]
fn inclusion_proof_does_not_bind_the_size() {
    let f = fixture();
    let root5 = mth(&f.leaves[..5]);
    let proof5 = inclusion_proof(0, 5, &f.tree).unwrap();
    verify_inclusion(&f.leaves[0], 0, 5, &proof5, &root5).unwrap();
    verify_inclusion(&f.leaves[0], 0, 7, &proof5, &root5).unwrap();
    assert!(verify_inclusion(&f.leaves[0], 0, 9, &proof5, &root5).is_err());
}
