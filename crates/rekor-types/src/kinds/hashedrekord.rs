//! `hashedrekord` v0.0.1: a signature over a digest, with the key or certificate that made it.
//!
//! Upstream: `pkg/types/hashedrekord/v0.0.1/entry.go`. Proposed spec:
//! `{"data":{"hash":{"algorithm":"sha256|sha384|sha512","value":hex}},
//!   "signature":{"content":b64(sig),"publicKey":{"content":b64(PEM key or certificate)}}}`.
//!
//! The digest's hex length must fit its algorithm; the key and algorithm must be in the
//! policy's allow-list; the signature must verify over the digest (no re-hashing; Ed25519 keys
//! as Ed25519ph). Stored spec: `data.hash` as given, `signature.content` re-encoded,
//! `signature.publicKey.content` = base64 of the canonical PEM. Nothing else is kept.

use serde_json::{Map, Value, json};

use crate::encoding::{check_digest_hex, encode_std, join, req_base64, req_object, req_str};
use crate::entry::EntryPolicy;
use crate::error::EntryError;
use crate::verifier::{Verifier, describe_key};
use keys::HashAlgorithm;

/// The accepted `data.hash.algorithm` values.
const ALGORITHMS: &[&str] = &["sha256", "sha384", "sha512"];

pub(crate) fn canonicalize(
    spec: &Map<String, Value>,
    policy: &EntryPolicy,
) -> Result<(Value, Vec<String>), EntryError> {
    let signature = req_object(spec, "spec", "signature")?;
    let sig_bytes = req_base64(signature, "spec.signature", "content")?;
    let public_key = req_object(signature, "spec.signature", "publicKey")?;
    let key_field = "spec.signature.publicKey.content";
    let key_pem = req_base64(public_key, "spec.signature.publicKey", "content")?;
    let verifier = Verifier::from_pem_bytes(&key_pem, key_field)?;

    let data = req_object(spec, "spec", "data")?;
    let hash = req_object(data, "spec.data", "hash")?;
    let algorithm = req_str(hash, "spec.data.hash", "algorithm")?;
    let hash_algorithm = match algorithm {
        "sha256" => HashAlgorithm::Sha256,
        "sha384" => HashAlgorithm::Sha384,
        "sha512" => HashAlgorithm::Sha512,
        other => {
            return Err(EntryError::InvalidValue {
                field: "spec.data.hash.algorithm".to_owned(),
                value: other.to_owned(),
                allowed: ALGORITHMS,
            });
        }
    };
    let value = req_str(hash, "spec.data.hash", "value")?;
    let value_field = "spec.data.hash.value";
    check_digest_hex(
        value_field,
        algorithm,
        hash_algorithm.digest_len() * 2,
        value,
    )?;
    let digest = hex::decode(value).map_err(|_| EntryError::InvalidHex {
        field: value_field.to_owned(),
    })?;

    if !policy.permits(verifier.key.kind(), Some(hash_algorithm)) {
        return Err(EntryError::AlgorithmNotPermitted {
            key: describe_key(verifier.key.kind()),
            hash: algorithm.to_owned(),
        });
    }
    if !verifier.verify_digest(hash_algorithm, &digest, &sig_bytes) {
        return Err(EntryError::SignatureMismatch {
            field: join("spec.signature", "content"),
        });
    }

    let canonical = json!({
        "data": {"hash": {"algorithm": algorithm, "value": value}},
        "signature": {
            "content": encode_std(&sig_bytes),
            "publicKey": {"content": encode_std(verifier.canonical_pem.as_bytes())},
        },
    });
    // Rekor's IndexKeys run after Canonicalize, so the key hash is over the canonical PEM, and
    // (a quirk of this kind) without a "sha256:" prefix.
    let mut index_keys = vec![verifier.canonical_pem_sha256_hex()];
    index_keys.extend(verifier.subjects.iter().cloned());
    index_keys.push(format!("{algorithm}:{value}"));
    Ok((canonical, index_keys))
}
