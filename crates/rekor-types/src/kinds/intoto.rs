//! `intoto` v0.0.1 and v0.0.2: DSSE envelopes in the older shapes (cosign ≤ 2.6 `attest` sends
//! 0.0.1; sigstore-js and npm send 0.0.2).
//!
//! Upstream: `pkg/types/intoto/v0.0.1/entry.go` and `pkg/types/intoto/v0.0.2/entry.go`.
//!
//! **v0.0.2** proposed spec: `{"content":{"envelope":{"payloadType":..,"payload":b64(b64(payload)),
//! "signatures":[{"keyid"?,"sig":b64(b64(sig)),"publicKey":b64(PEM)}]},
//! "hash":{"algorithm":"sha256","value":hex},"payloadHash"?:{..}}}`. `payload` and `sig` are
//! base64 of the DSSE base64 strings (double base64). Each signature's own key must verify at
//! least one signature, and every signature must be verified. `hash` is the client's and is kept
//! as given (required, not checked against anything); `payloadHash` is recomputed. Stored spec:
//! the envelope without `payload`, signatures in the order sent with `publicKey` replaced by the
//! canonical PEM (upstream's fix for rekor#1170; older releases stored the PEM as sent), `keyid`
//! only when non-empty, plus `hash` and `payloadHash`.
//!
//! **v0.0.1** proposed spec: `{"content":{"envelope":"<envelope JSON string>"},
//! "publicKey":b64(PEM)}`; the key must verify at least one envelope signature. Stored spec:
//! `{"content":{"hash":SHA-256(envelope string),"payloadHash":SHA-256(payload)},
//! "publicKey":b64(canonical PEM)}`.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::dsse_envelope::{DecodedEnvelope, Envelope, EnvelopeSignature, IN_TOTO_PAYLOAD_TYPE};
use crate::encoding::{
    decode_std, encode_std, hex_lower, index, join, opt_str, req_base64, req_nonempty_array,
    req_nonempty_str, req_object, sha256_hash_object,
};
use crate::error::EntryError;
use crate::statement::statement_index_keys;
use crate::verifier::Verifier;

/// intoto v0.0.2.
pub(crate) fn canonicalize_v002(
    spec: &Map<String, Value>,
) -> Result<(Value, Vec<String>), EntryError> {
    let content = req_object(spec, "spec", "content")?;
    let content_path = "spec.content";
    let env = req_object(content, content_path, "envelope")?;
    let env_path = "spec.content.envelope";
    // Upstream's Insertable() refuses an empty payloadType.
    let payload_type = req_nonempty_str(env, env_path, "payloadType")?;
    // `payload` is optional in the schema, but an entry without one cannot be stored.
    let payload_bytes = req_base64(env, env_path, "payload")?;
    let payload_field = join(env_path, "payload");
    let payload_b64 = String::from_utf8(payload_bytes).map_err(|_| EntryError::InvalidBase64 {
        field: payload_field.clone(),
    })?;

    let sig_path = join(env_path, "signatures");
    let items = req_nonempty_array(env, env_path, "signatures")?;
    let mut signatures = Vec::with_capacity(items.len());
    let mut key_pems = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let path = index(&sig_path, i);
        let obj = match item {
            Value::Object(obj) => obj,
            Value::Null => return Err(EntryError::missing(path)),
            _ => return Err(EntryError::wrong_type(path, "an object")),
        };
        let sig = req_base64(obj, &path, "sig")?;
        let sig = String::from_utf8(sig).map_err(|_| EntryError::InvalidBase64 {
            field: join(&path, "sig"),
        })?;
        let keyid = opt_str(obj, &path, "keyid")?.unwrap_or_default().to_owned();
        let pem = req_base64(obj, &path, "publicKey")?;
        signatures.push(EnvelopeSignature { sig, keyid });
        key_pems.push((join(&path, "publicKey"), pem));
    }

    let hash = sha256_hash_object(content, content_path, "hash", true)?.unwrap_or_default();
    // A client-sent payloadHash must be well-formed; its value is replaced by ours.
    sha256_hash_object(content, content_path, "payloadHash", false)?;

    let envelope = Envelope {
        payload_type: payload_type.to_owned(),
        payload: payload_b64,
        signatures,
    };
    let decoded = DecodedEnvelope::decode(&envelope, env_path)?;

    // Every key (one per signature, in order) must verify one signature; all must be verified.
    let mut unverified: BTreeSet<&str> =
        envelope.signatures.iter().map(|s| s.sig.as_str()).collect();
    let mut verifiers = Vec::with_capacity(key_pems.len());
    for (field, pem) in &key_pems {
        let verifier = Verifier::from_pem_bytes(pem, field)?;
        let Some(i) = decoded.first_verified_by(&verifier) else {
            return Err(EntryError::VerifierMatchesNoSignature {
                field: field.clone(),
            });
        };
        unverified.remove(envelope.signatures[i].sig.as_str());
        verifiers.push(verifier);
    }
    if !unverified.is_empty() {
        return Err(EntryError::UnverifiedSignatures {
            count: unverified.len(),
        });
    }

    // Upstream hashes the payload decoded with the standard alphabet only.
    let payload = decode_std(&envelope.payload).ok_or_else(|| EntryError::InvalidBase64 {
        field: payload_field.clone(),
    })?;
    let payload_hash = hex_lower(&Sha256::digest(&payload));

    let stored_signatures: Vec<Value> = envelope
        .signatures
        .iter()
        .zip(&verifiers)
        .map(|(sig, verifier)| {
            let mut item = Map::new();
            if !sig.keyid.is_empty() {
                item.insert("keyid".to_owned(), Value::String(sig.keyid.clone()));
            }
            item.insert(
                "publicKey".to_owned(),
                Value::String(encode_std(verifier.canonical_pem.as_bytes())),
            );
            item.insert(
                "sig".to_owned(),
                Value::String(encode_std(sig.sig.as_bytes())),
            );
            Value::Object(item)
        })
        .collect();
    let canonical = json!({
        "content": {
            "envelope": {"payloadType": payload_type, "signatures": stored_signatures},
            "hash": {"algorithm": "sha256", "value": hash},
            "payloadHash": {"algorithm": "sha256", "value": payload_hash},
        }
    });

    let mut index_keys = Vec::new();
    for verifier in &verifiers {
        index_keys.push(format!("sha256:{}", verifier.canonical_pem_sha256_hex()));
        index_keys.extend(verifier.subjects.iter().cloned());
    }
    index_keys.push(format!("sha256:{payload_hash}"));
    if payload_type == IN_TOTO_PAYLOAD_TYPE {
        index_keys.extend(statement_index_keys(&payload));
    }
    Ok((canonical, index_keys))
}

/// intoto v0.0.1.
pub(crate) fn canonicalize_v001(
    spec: &Map<String, Value>,
) -> Result<(Value, Vec<String>), EntryError> {
    let key_field = "spec.publicKey";
    let key_pem = req_base64(spec, "spec", "publicKey")?;
    let content = req_object(spec, "spec", "content")?;
    let content_path = "spec.content";
    let envelope_text = req_nonempty_str(content, content_path, "envelope")?;
    // Client-sent digests must be well-formed; their values are replaced by ours.
    sha256_hash_object(content, content_path, "hash", false)?;
    sha256_hash_object(content, content_path, "payloadHash", false)?;

    let verifier = Verifier::from_pem_bytes(&key_pem, key_field)?;
    let envelope_field = "spec.content.envelope";
    let envelope = Envelope::parse_json_text(envelope_text, envelope_field)?;
    // Upstream's Insertable() refuses an envelope with an empty payload or payloadType.
    if envelope.payload.is_empty() || envelope.payload_type.is_empty() {
        return Err(EntryError::InvalidEnvelope {
            field: envelope_field.to_owned(),
            reason: "payload and payloadType must not be empty".to_owned(),
        });
    }
    let decoded = DecodedEnvelope::decode(&envelope, envelope_field)?;
    if decoded.first_verified_by(&verifier).is_none() {
        return Err(EntryError::VerifierMatchesNoSignature {
            field: key_field.to_owned(),
        });
    }
    let payload = decode_std(&envelope.payload).ok_or_else(|| EntryError::InvalidBase64 {
        field: join(envelope_field, "payload"),
    })?;
    let payload_hash = hex_lower(&Sha256::digest(&payload));
    let envelope_hash = hex_lower(&Sha256::digest(envelope_text.as_bytes()));

    let canonical = json!({
        "content": {
            "hash": {"algorithm": "sha256", "value": envelope_hash},
            "payloadHash": {"algorithm": "sha256", "value": payload_hash},
        },
        "publicKey": encode_std(verifier.canonical_pem.as_bytes()),
    });

    let mut index_keys = vec![
        format!("sha256:{envelope_hash}"),
        format!("sha256:{}", verifier.canonical_pem_sha256_hex()),
    ];
    index_keys.extend(verifier.subjects.iter().cloned());
    index_keys.push(format!("sha256:{payload_hash}"));
    if envelope.payload_type == IN_TOTO_PAYLOAD_TYPE {
        index_keys.extend(statement_index_keys(&payload));
    }
    Ok((canonical, index_keys))
}
