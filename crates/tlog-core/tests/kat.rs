//! Project-owned known answers (`tests/data/kat.json`), computed independently
//! by `tests/data/gen_kat.py` with Python's hashlib. These always run.

#![allow(clippy::unwrap_used)]

use serde_json::Value;
use tlog_core::{
    Hash, MemoryTree, consistency_proof, inclusion_proof, leaf_hash, subtree_consistency_proof,
    subtree_root, tree_root, verify_consistency, verify_inclusion, verify_subtree_consistency,
};

const KAT: &str = include_str!("data/kat.json");

fn hash(v: &Value) -> Hash {
    Hash::from_hex(v.as_str().expect("hex string")).expect("valid hex hash")
}

fn hashes(v: &Value) -> Vec<Hash> {
    v.as_array().expect("array").iter().map(hash).collect()
}

fn num(v: &Value) -> u64 {
    v.as_u64().expect("number")
}

fn tree() -> MemoryTree {
    (0..1000u32)
        .map(|i| leaf_hash(i.to_string().as_bytes()))
        .collect()
}

#[test]
fn known_answers() {
    let kat: Value = serde_json::from_str(KAT).expect("kat.json parses");
    let tree = tree();
    assert_eq!(leaf_hash(b"0"), hash(&kat["leaf_hash_of_0"]));

    let mut checked = 0;
    for case in kat["roots"].as_array().expect("roots") {
        let size = num(&case["size"]);
        let want = hash(&case["root"]);
        assert_eq!(tree_root(size, &tree).unwrap(), want, "root of size {size}");
        let prefix: MemoryTree = (0..size)
            .map(|i| leaf_hash(i.to_string().as_bytes()))
            .collect();
        assert_eq!(prefix.root(), want, "MemoryTree root of size {size}");
        checked += 1;
    }

    let root_of = |size: u64| tree_root(size, &tree).unwrap();
    for case in kat["inclusion"].as_array().expect("inclusion") {
        let (index, size) = (num(&case["index"]), num(&case["size"]));
        let want = hashes(&case["proof"]);
        assert_eq!(
            inclusion_proof(index, size, &tree).unwrap(),
            want,
            "inclusion {index} in {size}"
        );
        let leaf = leaf_hash(index.to_string().as_bytes());
        verify_inclusion(&leaf, index, size, &want, &root_of(size)).unwrap();
        checked += 1;
    }

    for case in kat["consistency"].as_array().expect("consistency") {
        let (old, new) = (num(&case["old_size"]), num(&case["new_size"]));
        let want = hashes(&case["proof"]);
        assert_eq!(
            consistency_proof(old, new, &tree).unwrap(),
            want,
            "consistency {old} -> {new}"
        );
        verify_consistency(old, new, &root_of(old), &root_of(new), &want).unwrap();
        checked += 1;
    }

    for case in kat["subtree_consistency"].as_array().expect("subtree") {
        let (start, end, size) = (num(&case["start"]), num(&case["end"]), num(&case["size"]));
        let want = hashes(&case["proof"]);
        let sub = hash(&case["subtree_root"]);
        assert_eq!(subtree_root(start, end, &tree).unwrap(), sub);
        assert_eq!(
            subtree_consistency_proof(start, end, size, &tree).unwrap(),
            want,
            "subtree [{start}, {end}) in {size}"
        );
        verify_subtree_consistency(start, end, size, &want, &sub, &root_of(size)).unwrap();
        checked += 1;
    }
    eprintln!("{checked} known-answer cases checked");
    assert!(checked >= 50);
}
