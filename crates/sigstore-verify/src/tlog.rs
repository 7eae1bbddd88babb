//! Transparency log entries: the Signed Entry Timestamp (Rekor v1), the checkpoint (Rekor v1
//! and v2 flavours) and the RFC 6962 inclusion proof of the canonical body.

use signed_note::{KeyIdRule, Note, NoteKeyVerifier, NoteVerifier, SignedCheckpoint};
use sigstore_bundle::TransparencyLogEntry;
use sigstore_bundle::wire::encode_b64;
use tlog_core::Hash;

use crate::error::VerifyError;
use crate::trust::{LogKey, TrustMaterial};

/// Most sibling hashes an inclusion proof can need (a tree of 2^64 leaves).
const MAX_PROOF_HASHES: usize = 64;

/// Find the trusted log of an entry.
pub(crate) fn find_log<'a>(
    trust: &'a TrustMaterial,
    index: usize,
    entry: &TransparencyLogEntry,
) -> Result<&'a LogKey, VerifyError> {
    trust
        .tlog_by_id(&entry.log_id.key_id)
        .ok_or_else(|| VerifyError::UnknownLog {
            index,
            log_id: hex::encode(&entry.log_id.key_id),
        })
}

/// Verify the entry's SET: the log's signature over the RFC 8785 JSON
/// `{"body", "integratedTime", "logID" (hex), "logIndex"}` (PROTOCOL §3.6).
pub(crate) fn verify_set(
    index: usize,
    entry: &TransparencyLogEntry,
    log: &LogKey,
    set: &[u8],
) -> Result<(), VerifyError> {
    let payload = rekor_types::set_payload(
        &encode_b64(&entry.canonicalized_body),
        entry.integrated_time,
        &hex::encode(&entry.log_id.key_id),
        entry.log_index,
    );
    log.key
        .verify(&payload, set)
        .map_err(|_| VerifyError::InvalidSet { index })
}

/// Verify the checkpoint's signature by `log` and return it.
///
/// - Rekor v1 (origin `<host> - <tree ID>`): the signature line whose key hint is
///   SHA-256(SPKI)\[:4\] must verify; its name is not compared with anything.
/// - Otherwise (Rekor v2, C2SP): the origin must be the host of the log's base URL, and the
///   line named after it with the C2SP key ID must verify. Other lines (witness cosignatures)
///   are ignored.
pub(crate) fn verify_checkpoint(
    index: usize,
    envelope: &str,
    log: &LogKey,
) -> Result<SignedCheckpoint, VerifyError> {
    let bad = |reason: String| VerifyError::InvalidCheckpoint { index, reason };
    let note = Note::parse(envelope.as_bytes()).map_err(|e| bad(e.to_string()))?;
    let unverified = signed_note::Checkpoint::parse(note.text()).map_err(|e| bad(e.to_string()))?;
    let mut verifiers = Vec::new();
    if signed_note::checkpoint::is_rekor_v1_origin(unverified.origin()) {
        let hint = signed_note::rekor_v1_key_hint(&log.key);
        let mut names: Vec<&str> = note
            .signatures()
            .iter()
            .filter(|s| s.key_id() == hint)
            .map(|s| s.name().as_str())
            .collect();
        names.sort_unstable();
        names.dedup();
        for name in names {
            verifiers.push(
                NoteKeyVerifier::new(name, log.key.clone(), KeyIdRule::RekorV1)
                    .map_err(|e| bad(e.to_string()))?,
            );
        }
        if verifiers.is_empty() {
            return Err(bad(
                "no signature line carries the log's key hint".to_owned()
            ));
        }
    } else {
        if unverified.origin() != log.host {
            return Err(bad(format!(
                "origin {:?} is not the log's host {:?}",
                unverified.origin(),
                log.host
            )));
        }
        verifiers.push(
            NoteKeyVerifier::new(log.host.clone(), log.key.clone(), KeyIdRule::C2sp)
                .map_err(|e| bad(e.to_string()))?,
        );
    }
    let refs: Vec<&dyn NoteVerifier> = verifiers.iter().map(|v| v as &dyn NoteVerifier).collect();
    SignedCheckpoint::verify(envelope.as_bytes(), &refs).map_err(|e| bad(e.to_string()))
}

/// Verify the inclusion proof of the entry's body against its signed checkpoint. The proof's
/// `rootHash` and `treeSize` must be the checkpoint's; for Rekor v2 entries the proof's
/// `logIndex` must be the entry's.
pub(crate) fn verify_inclusion(
    index: usize,
    entry: &TransparencyLogEntry,
    log: &LogKey,
) -> Result<SignedCheckpoint, VerifyError> {
    let proof = entry
        .inclusion_proof
        .as_ref()
        .ok_or(VerifyError::MissingInclusionProof { index })?;
    let invalid = |reason: String| VerifyError::InvalidInclusionProof { index, reason };
    let signed = verify_checkpoint(index, &proof.checkpoint.envelope, log)?;
    let checkpoint = signed.checkpoint();
    let v1 = signed_note::checkpoint::is_rekor_v1_origin(checkpoint.origin());
    if !v1 && proof.log_index != entry.log_index {
        return Err(invalid(format!(
            "proof index {} differs from entry index {}",
            proof.log_index, entry.log_index
        )));
    }
    let leaf_index =
        u64::try_from(proof.log_index).map_err(|_| invalid("negative log index".to_owned()))?;
    let tree_size =
        u64::try_from(proof.tree_size).map_err(|_| invalid("negative tree size".to_owned()))?;
    if tree_size != checkpoint.size() {
        return Err(VerifyError::InvalidCheckpoint {
            index,
            reason: format!(
                "checkpoint size {} differs from the proof's tree size {tree_size}",
                checkpoint.size()
            ),
        });
    }
    if proof.root_hash.as_slice() != checkpoint.root_hash() {
        return Err(VerifyError::InvalidCheckpoint {
            index,
            reason: "checkpoint root differs from the proof's root hash".to_owned(),
        });
    }
    if proof.hashes.len() > MAX_PROOF_HASHES {
        return Err(invalid(format!("{} hashes", proof.hashes.len())));
    }
    let hashes = proof
        .hashes
        .iter()
        .map(|h| Hash::from_slice(h))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(e.to_string()))?;
    let leaf = tlog_core::leaf_hash(&entry.canonicalized_body);
    tlog_core::verify_inclusion(
        &leaf,
        leaf_index,
        tree_size,
        &hashes,
        &Hash(*checkpoint.root_hash()),
    )
    .map_err(|e| invalid(e.to_string()))?;
    Ok(signed)
}
