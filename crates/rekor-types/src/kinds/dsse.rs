//! `dsse` v0.0.1: a DSSE envelope and the keys or certificates that verify it.
//!
//! Upstream: `pkg/types/dsse/v0.0.1/entry.go`. Proposed spec (and nothing else):
//! `{"proposedContent":{"envelope":"<envelope JSON as a string>","verifiers":[b64(PEM)...]}}`.
//!
//! Verification: the verifiers are taken in order until every envelope signature is verified
//! (later ones are not even parsed, as upstream); each verifier taken must verify at least one
//! signature; every signature must end up verified. ECDSA/RSA keys verify with SHA-256 over the
//! PAE whatever the curve, Ed25519 keys with pure Ed25519.
//!
//! Stored spec: `envelopeHash` = SHA-256 of the envelope string exactly as sent, `payloadHash` =
//! SHA-256 of the decoded payload, `signatures` = one `{signature, verifier}` per distinct
//! envelope `sig` string (sorted by it), `verifier` = base64 of the canonical PEM of the key that
//! verified it (the last one, if several did). The envelope and payload are not stored.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::dsse_envelope::{DecodedEnvelope, Envelope, IN_TOTO_PAYLOAD_TYPE};
use crate::encoding::{
    decode_dsse, decode_std, encode_std, hex_lower, index, req_nonempty_array, req_nonempty_str,
    req_object,
};
use crate::error::EntryError;
use crate::statement::statement_index_keys;
use crate::verifier::Verifier;

/// Members of a DSSE spec that only the log computes.
const SERVER_COMPUTED: &[&str] = &["envelopeHash", "payloadHash", "signatures"];

pub(crate) fn canonicalize(spec: &Map<String, Value>) -> Result<(Value, Vec<String>), EntryError> {
    // `null` is how pydantic clients (sigstore-python) write an absent member; go-swagger
    // reads it as absent too.
    for name in SERVER_COMPUTED {
        if spec.get(*name).is_some_and(|value| !value.is_null()) {
            return Err(EntryError::ServerComputedField {
                field: format!("spec.{name}"),
            });
        }
    }
    let proposed = req_object(spec, "spec", "proposedContent")?;
    let envelope_text = req_nonempty_str(proposed, "spec.proposedContent", "envelope")?;
    let verifiers_field = "spec.proposedContent.verifiers";
    let verifier_items = req_nonempty_array(proposed, "spec.proposedContent", "verifiers")?;
    let mut verifier_pems = Vec::with_capacity(verifier_items.len());
    for (i, item) in verifier_items.iter().enumerate() {
        let field = index(verifiers_field, i);
        let text = match item {
            Value::String(s) if !s.is_empty() => s,
            Value::String(_) => return Err(EntryError::EmptyField { field }),
            _ => return Err(EntryError::wrong_type(field, "a string")),
        };
        let pem = decode_std(text).ok_or_else(|| EntryError::InvalidBase64 {
            field: field.clone(),
        })?;
        verifier_pems.push((field, pem));
    }

    let envelope_field = "spec.proposedContent.envelope";
    let envelope = Envelope::parse_json_text(envelope_text, envelope_field)?;
    let decoded = DecodedEnvelope::decode(&envelope, envelope_field)?;

    let mut unverified: BTreeSet<&str> =
        envelope.signatures.iter().map(|s| s.sig.as_str()).collect();
    let mut verifier_by_sig: BTreeMap<&str, Verifier> = BTreeMap::new();
    for (field, pem) in &verifier_pems {
        if unverified.is_empty() {
            break;
        }
        let verifier = Verifier::from_pem_bytes(pem, field)?;
        let Some(i) = decoded.first_verified_by(&verifier) else {
            return Err(EntryError::VerifierMatchesNoSignature {
                field: field.clone(),
            });
        };
        let sig = envelope.signatures[i].sig.as_str();
        unverified.remove(sig);
        verifier_by_sig.insert(sig, verifier);
    }
    if !unverified.is_empty() {
        return Err(EntryError::UnverifiedSignatures {
            count: unverified.len(),
        });
    }

    // The payload decoded during verification; decode again for the hash (cannot fail now).
    let payload = decode_dsse(&envelope.payload).unwrap_or_default();
    let payload_hash = hex_lower(&Sha256::digest(&payload));
    let envelope_hash = hex_lower(&Sha256::digest(envelope_text.as_bytes()));

    let signatures: Vec<Value> = verifier_by_sig
        .iter()
        .map(|(sig, verifier)| {
            json!({
                "signature": sig,
                "verifier": encode_std(verifier.canonical_pem.as_bytes()),
            })
        })
        .collect();
    let canonical = json!({
        "envelopeHash": {"algorithm": "sha256", "value": envelope_hash},
        "payloadHash": {"algorithm": "sha256", "value": payload_hash},
        "signatures": signatures,
    });

    let mut index_keys = Vec::new();
    for verifier in verifier_by_sig.values() {
        index_keys.push(format!("sha256:{}", verifier.canonical_pem_sha256_hex()));
        index_keys.extend(verifier.subjects.iter().cloned());
    }
    index_keys.push(format!("sha256:{payload_hash}"));
    index_keys.push(format!("sha256:{envelope_hash}"));
    if envelope.payload_type == IN_TOTO_PAYLOAD_TYPE && !payload.is_empty() {
        index_keys.extend(statement_index_keys(&payload));
    }
    Ok((canonical, index_keys))
}
