#![doc = include_str!("../README.md")]

mod hash;
mod memory;
mod node;
mod proof;
mod verify;

pub use hash::{HASH_SIZE, Hash, HashParseError, empty_root, leaf_hash, node_hash};
pub use memory::{MemoryTree, UnknownNodeError};
pub use node::{NodeId, is_valid_subtree};
pub use proof::{
    HashReader, ProofError, append_hashes, consistency_proof, inclusion_proof, nodes_completed_by,
    subtree_consistency_proof, subtree_inclusion_proof, subtree_root, tree_root,
};
pub use verify::{
    VerifyError, root_from_inclusion_proof, verify_consistency, verify_inclusion,
    verify_subtree_consistency, verify_subtree_inclusion,
};
