//! `rekord` v0.0.1 (legacy): a detached signature over an artifact sent inline, with the key or
//! certificate that made it.
//!
//! Upstream: `pkg/types/rekord/v0.0.1/entry.go` and, for the `x509` format,
//! `pkg/pki/x509/x509.go`. Proposed spec:
//! `{"signature":{"format":"x509","content":b64(sig),"publicKey":{"content":b64(PEM key or
//!   certificate)}},"data":{"content":b64(artifact),"hash":{"algorithm":"sha256","value":hex}?}}`.
//!
//! Only the `x509` format is implemented; `pgp`, `minisign`, `ssh` (and the `tuf`/`pkcs7` PKI
//! formats upstream knows elsewhere) are refused. The artifact must be inline: URLs are refused,
//! because this log fetches nothing. If `data.hash` is given it must equal SHA-256 of the
//! artifact (compared exactly, as upstream does, so it must be lowercase). The signature is
//! verified over the artifact itself as sigstore's `LoadVerifier(key, SHA256)` does: ECDSA (either
//! curve) and RSA PKCS#1 v1.5 over SHA-256, Ed25519 pure (not Ed25519ph). The
//! `hashedrekord` algorithm allow-list does not apply (upstream applies it to that kind only).
//!
//! Stored spec: `data.hash` (as given, or computed as `sha256` + lowercase hex), never the
//! artifact; `signature.format`; `signature.content` re-encoded; `signature.publicKey.content` =
//! base64 of the canonical PEM.

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use crate::encoding::{
    encode_std, hex_lower, join, opt_str, req_base64, req_object, req_str, sha256_hash_object,
};
use crate::error::EntryError;
use crate::verifier::Verifier;

/// The `signature.format` implemented here.
const X509_FORMAT: &str = "x509";

/// Signature formats upstream Rekor knows but this log does not implement.
const UNSUPPORTED_FORMATS: &[&str] = &["pgp", "minisign", "ssh", "tuf", "pkcs7"];

/// The `signature.format` values upstream's rekord schema enumerates.
const SCHEMA_FORMATS: &[&str] = &["pgp", "minisign", "x509", "ssh"];

pub(crate) fn canonicalize(spec: &Map<String, Value>) -> Result<(Value, Vec<String>), EntryError> {
    let signature = req_object(spec, "spec", "signature")?;
    let format_field = "spec.signature.format";
    let format = req_str(signature, "spec.signature", "format")?;
    if UNSUPPORTED_FORMATS.contains(&format) {
        return Err(EntryError::UnsupportedSignatureFormat {
            field: format_field.to_owned(),
            format: format.to_owned(),
        });
    }
    if format != X509_FORMAT {
        return Err(EntryError::InvalidValue {
            field: format_field.to_owned(),
            value: format.to_owned(),
            allowed: SCHEMA_FORMATS,
        });
    }

    refuse_url(signature, "spec.signature")?;
    let sig_bytes = req_base64(signature, "spec.signature", "content")?;
    let public_key = req_object(signature, "spec.signature", "publicKey")?;
    refuse_url(public_key, "spec.signature.publicKey")?;
    let key_pem = req_base64(public_key, "spec.signature.publicKey", "content")?;
    let verifier = Verifier::from_pem_bytes(&key_pem, "spec.signature.publicKey.content")?;

    let data = req_object(spec, "spec", "data")?;
    refuse_url(data, "spec.data")?;
    let given_hash = sha256_hash_object(data, "spec.data", "hash", false)?;
    let artifact = req_base64(data, "spec.data", "content")?;
    let computed = hex_lower(&Sha256::digest(&artifact));
    if let Some(given) = given_hash
        && given != computed
    {
        return Err(EntryError::DigestMismatch {
            field: "spec.data.hash.value".to_owned(),
            given: given.to_owned(),
            computed,
        });
    }

    if !verifier.verify_message_sha256(&artifact, &sig_bytes) {
        return Err(EntryError::SignatureMismatch {
            field: join("spec.signature", "content"),
        });
    }

    let hash_value = given_hash.map_or(computed, str::to_owned);
    let canonical = json!({
        "data": {"hash": {"algorithm": "sha256", "value": hash_value}},
        "signature": {
            "content": encode_std(&sig_bytes),
            "format": X509_FORMAT,
            "publicKey": {"content": encode_std(verifier.canonical_pem.as_bytes())},
        },
    });
    // As hashedrekord: the key hash is over the canonical PEM and has no "sha256:" prefix.
    let mut index_keys = vec![verifier.canonical_pem_sha256_hex()];
    index_keys.extend(verifier.subjects.iter().cloned());
    index_keys.push(format!("sha256:{hash_value}"));
    Ok((canonical, index_keys))
}

/// Refuse a non-empty `url` member of `obj`: the log does not fetch external content.
fn refuse_url(obj: &Map<String, Value>, parent: &str) -> Result<(), EntryError> {
    match opt_str(obj, parent, "url")? {
        None | Some("") => Ok(()),
        Some(_) => Err(EntryError::UrlNotSupported {
            field: join(parent, "url"),
        }),
    }
}
