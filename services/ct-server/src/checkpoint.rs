//! RFC 6962 signed tree heads as the engine's checkpoints.
//!
//! The stored checkpoint of the `ct` log is [`ct_types::SignedTreeHead::encode`]: the 50-byte STH
//! signed input (`version 0 || signature_type 1 || timestamp u64 || tree_size u64 || root`)
//! followed by the TLS `digitally-signed` struct, so a stored head can be checked on its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use ct_types::SignedTreeHead;
use tlog_core::Hash;
use tlog_engine::CheckpointSigner;

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// Signs STHs with the log key; timestamps never go backwards within a process.
#[derive(Debug)]
pub(crate) struct SthSigner {
    key: Arc<dyn keys::Signer>,
    last_timestamp: AtomicU64,
}

impl SthSigner {
    pub(crate) fn new(key: Arc<dyn keys::Signer>) -> Self {
        SthSigner {
            key,
            last_timestamp: AtomicU64::new(0),
        }
    }
}

impl CheckpointSigner for SthSigner {
    fn sign_checkpoint(&self, size: u64, root: &Hash) -> Result<Vec<u8>, String> {
        let now = now_millis();
        let previous = self.last_timestamp.fetch_max(now, Ordering::SeqCst);
        let timestamp = now.max(previous);
        let sth = SignedTreeHead::sign(self.key.as_ref(), timestamp, size, root.0)
            .map_err(|e| e.to_string())?;
        sth.encode().map_err(|e| e.to_string())
    }
}

/// Decode a stored checkpoint and check it against the head it was stored with and the log key.
pub(crate) fn open_checkpoint(
    checkpoint: &[u8],
    size: u64,
    root: &Hash,
    key: &keys::PublicKey,
) -> Result<SignedTreeHead, String> {
    let sth =
        SignedTreeHead::decode(checkpoint).map_err(|e| format!("not an RFC 6962 STH: {e}"))?;
    if sth.tree_size != size || sth.sha256_root_hash != root.0 {
        return Err(format!(
            "STH for size {} does not match the stored head (size {size})",
            sth.tree_size
        ));
    }
    sth.verify(key)
        .map_err(|e| format!("STH signature does not verify with this log key: {e}"))?;
    Ok(sth)
}
