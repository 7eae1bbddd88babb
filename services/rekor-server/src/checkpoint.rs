//! Rekor v1 checkpoints: origin `<hostname> - <treeID>`, one ECDSA signature line named
//! `<hostname>` whose key hint is the first 4 bytes of SHA-256(SPKI) (the log ID).

use std::sync::Arc;

use signed_note::{Checkpoint, KeyIdRule, NoteKeySigner, NoteKeyVerifier};
use tlog_core::Hash;
use tlog_engine::CheckpointSigner;

/// Signs checkpoints in Rekor's v1 flavour (PROTOCOL.md §3.5).
#[derive(Debug)]
pub struct RekorCheckpointSigner {
    origin: String,
    signer: NoteKeySigner,
}

impl RekorCheckpointSigner {
    /// A signer for the log named `hostname` with tree ID `tree_id`.
    pub fn new(
        hostname: &str,
        tree_id: u64,
        key: Arc<dyn keys::Signer>,
    ) -> Result<Self, signed_note::NoteError> {
        Ok(RekorCheckpointSigner {
            origin: Checkpoint::rekor_v1_origin(hostname, tree_id),
            signer: NoteKeySigner::new(hostname, key, KeyIdRule::RekorV1)?,
        })
    }

    /// The checkpoint origin line.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// A verifier for the checkpoints this signer writes.
    pub fn verifier(&self) -> NoteKeyVerifier {
        self.signer.verifier()
    }
}

impl CheckpointSigner for RekorCheckpointSigner {
    fn sign_checkpoint(&self, size: u64, root: &Hash) -> Result<Vec<u8>, String> {
        let checkpoint =
            Checkpoint::new(self.origin.clone(), size, root.0).map_err(|e| e.to_string())?;
        let note = checkpoint
            .sign(&[&self.signer])
            .map_err(|e| e.to_string())?;
        Ok(note.to_bytes())
    }
}
