//! Bundle ↔ log entry consistency: the canonical body must describe the bundle's signature,
//! signing key or certificate, and artifact digest (or DSSE payload).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use sha2::Digest as _;
use sigstore_bundle::{DsseEnvelope, HashAlgorithm, TransparencyLogEntry};

use crate::error::VerifyError;

/// Largest canonical body parsed.
const MAX_BODY_BYTES: usize = 1024 * 1024;

/// The [`VerifyError::EntryMismatch`] field for a differing certificate or key.
pub(crate) const SIGNER_FIELD: &str = "signing certificate or key";

/// Who signed, as the bundle says.
#[derive(Clone, Copy)]
pub(crate) enum SignerRef<'a> {
    /// The DER leaf certificate.
    Certificate(&'a [u8]),
    /// The DER SPKI of a managed key.
    Key(&'a [u8]),
}

/// What was signed, as the bundle says.
#[derive(Clone, Copy)]
pub(crate) enum SignedRef<'a> {
    /// A message signature over an artifact of this digest (if the bundle gives one).
    Message(Option<(HashAlgorithm, &'a [u8])>),
    /// A DSSE envelope.
    Dsse(&'a DsseEnvelope),
}

/// The bundle side of the comparison.
pub(crate) struct BundleView<'a> {
    pub(crate) signature: &'a [u8],
    pub(crate) signer: SignerRef<'a>,
    pub(crate) signed: SignedRef<'a>,
}

/// What a body adds to the bundle: the artifact digest it records, for a message signature
/// whose bundle has none.
pub(crate) struct BodyFacts {
    pub(crate) message_digest: Option<(HashAlgorithm, Vec<u8>)>,
}

fn str_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v str> {
    path.iter().try_fold(value, |v, key| v.get(key))?.as_str()
}

fn first_at<'v>(value: &'v Value, path: &[&str]) -> Option<&'v Value> {
    path.iter().try_fold(value, |v, key| v.get(key))
}

fn b64(text: &str) -> Option<Vec<u8>> {
    sigstore_bundle::wire::decode_b64(text)
}

/// The DER inside PEM text (one block; any line width).
fn pem_der(pem: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(pem).ok()?;
    let mut lines = text.lines().map(str::trim);
    let begin = lines.find(|l| !l.is_empty())?;
    begin.strip_prefix("-----BEGIN ")?.strip_suffix("-----")?;
    let mut body = String::new();
    for line in lines {
        if line.starts_with("-----END ") {
            return STANDARD.decode(body).ok();
        }
        body.push_str(line);
    }
    None
}

/// The DER of a base64-of-PEM verifier field.
fn verifier_der(b64_pem: &str) -> Option<Vec<u8>> {
    pem_der(&b64(b64_pem)?)
}

fn same_signer(signer: SignerRef<'_>, der: Option<&[u8]>) -> bool {
    match (signer, der) {
        (SignerRef::Certificate(cert), Some(der)) => cert == der,
        (SignerRef::Key(spki), Some(der)) => spki == der,
        (_, None) => false,
    }
}

fn legacy_hash_name(alg: &str) -> Option<HashAlgorithm> {
    match alg {
        "sha256" => Some(HashAlgorithm::Sha2_256),
        "sha384" => Some(HashAlgorithm::Sha2_384),
        "sha512" => Some(HashAlgorithm::Sha2_512),
        _ => None,
    }
}

fn hash(alg: HashAlgorithm, data: &[u8]) -> Option<Vec<u8>> {
    match alg {
        HashAlgorithm::Sha2_256 => Some(sha2::Sha256::digest(data).to_vec()),
        HashAlgorithm::Sha2_384 => Some(sha2::Sha384::digest(data).to_vec()),
        HashAlgorithm::Sha2_512 => Some(sha2::Sha512::digest(data).to_vec()),
        _ => None,
    }
}

/// Compare the entry at `index` with the bundle.
pub(crate) fn check(
    index: usize,
    entry: &TransparencyLogEntry,
    bundle: &BundleView<'_>,
) -> Result<BodyFacts, VerifyError> {
    let malformed = |reason: &str| VerifyError::MalformedEntry {
        index,
        reason: reason.to_owned(),
    };
    let mismatch = |field: &'static str| VerifyError::EntryMismatch { index, field };
    if entry.canonicalized_body.len() > MAX_BODY_BYTES {
        return Err(malformed("the canonicalized body is too large"));
    }
    let body: Value = serde_json::from_slice(&entry.canonicalized_body)
        .map_err(|_| malformed("the canonicalized body is not JSON"))?;
    let kind = str_at(&body, &["kind"]).ok_or_else(|| malformed("the body has no kind"))?;
    let version =
        str_at(&body, &["apiVersion"]).ok_or_else(|| malformed("the body has no apiVersion"))?;
    if kind != entry.kind_version.kind || version != entry.kind_version.version {
        return Err(malformed(
            "kindVersion differs from the body's kind and apiVersion",
        ));
    }
    let spec = body
        .get("spec")
        .ok_or_else(|| malformed("the body has no spec"))?;
    match (kind, version, bundle.signed) {
        ("hashedrekord", "0.0.1", SignedRef::Message(digest)) => {
            hashedrekord_v001(spec, bundle, digest).map_err(mismatch)
        }
        ("hashedrekord", "0.0.2", signed) => {
            let inner = spec
                .get("hashedRekordV002")
                .or_else(|| spec.get("hashedRekordV0_0_2"))
                .ok_or_else(|| malformed("no hashedRekordV002 spec"))?;
            hashedrekord_v002(inner, bundle, signed).map_err(mismatch)
        }
        ("dsse", "0.0.1", SignedRef::Dsse(envelope)) => {
            dsse_v001(spec, bundle, envelope).map_err(mismatch)?;
            Ok(BodyFacts {
                message_digest: None,
            })
        }
        ("dsse", "0.0.2", SignedRef::Dsse(envelope)) => {
            let inner = spec
                .get("dsseV002")
                .or_else(|| spec.get("dsseV0_0_2"))
                .ok_or_else(|| malformed("no dsseV002 spec"))?;
            dsse_v002(inner, bundle, envelope).map_err(mismatch)?;
            Ok(BodyFacts {
                message_digest: None,
            })
        }
        ("intoto", "0.0.2", SignedRef::Dsse(envelope)) => {
            intoto_v002(spec, bundle, envelope).map_err(mismatch)?;
            Ok(BodyFacts {
                message_digest: None,
            })
        }
        ("hashedrekord", _, SignedRef::Dsse(_)) | ("dsse" | "intoto", _, SignedRef::Message(_)) => {
            Err(mismatch(
                "content type (message signature or DSSE envelope)",
            ))
        }
        _ => Err(VerifyError::UnsupportedEntryKind {
            index,
            kind: kind.to_owned(),
            version: version.to_owned(),
        }),
    }
}

fn hashedrekord_v001(
    spec: &Value,
    bundle: &BundleView<'_>,
    digest: Option<(HashAlgorithm, &[u8])>,
) -> Result<BodyFacts, &'static str> {
    let sig = str_at(spec, &["signature", "content"]).and_then(b64);
    if sig.as_deref() != Some(bundle.signature) {
        return Err("signature");
    }
    let key = str_at(spec, &["signature", "publicKey", "content"]).and_then(verifier_der);
    if !same_signer(bundle.signer, key.as_deref()) {
        return Err(SIGNER_FIELD);
    }
    let alg = str_at(spec, &["data", "hash", "algorithm"]).and_then(legacy_hash_name);
    let value = str_at(spec, &["data", "hash", "value"]).and_then(|h| hex::decode(h).ok());
    let (Some(alg), Some(value)) = (alg, value) else {
        return Err("artifact digest");
    };
    if let Some((bundle_alg, bundle_digest)) = digest
        && (bundle_alg != alg || bundle_digest != value.as_slice())
    {
        return Err("artifact digest");
    }
    Ok(BodyFacts {
        message_digest: Some((alg, value)),
    })
}

/// A Rekor v2 `Verifier`: `x509Certificate.rawBytes` or `publicKey.rawBytes`.
fn v2_verifier(verifier: &Value) -> Option<Vec<u8>> {
    str_at(verifier, &["x509Certificate", "rawBytes"])
        .or_else(|| str_at(verifier, &["publicKey", "rawBytes"]))
        .and_then(b64)
}

fn proto_hash_name(name: &str) -> Option<HashAlgorithm> {
    HashAlgorithm::from_name(name)
}

fn hashedrekord_v002(
    spec: &Value,
    bundle: &BundleView<'_>,
    signed: SignedRef<'_>,
) -> Result<BodyFacts, &'static str> {
    let sig = str_at(spec, &["signature", "content"]).and_then(b64);
    if sig.as_deref() != Some(bundle.signature) {
        return Err("signature");
    }
    let verifier = first_at(spec, &["signature", "verifier"]).and_then(v2_verifier);
    if !same_signer(bundle.signer, verifier.as_deref()) {
        return Err(SIGNER_FIELD);
    }
    let alg = str_at(spec, &["data", "algorithm"]).and_then(proto_hash_name);
    let digest = str_at(spec, &["data", "digest"]).and_then(b64);
    let (Some(alg), Some(digest)) = (alg, digest) else {
        return Err("artifact digest");
    };
    match signed {
        SignedRef::Message(Some((bundle_alg, bundle_digest))) => {
            if bundle_alg != alg || bundle_digest != digest.as_slice() {
                return Err("artifact digest");
            }
        }
        SignedRef::Message(None) => {}
        SignedRef::Dsse(envelope) => {
            // DSSE on Rekor v2: the digest is the hash of the PAE (sigstore-python, -go).
            let pae = sigstore_bundle::dsse_pae(&envelope.payload_type, &envelope.payload);
            if hash(alg, &pae).as_deref() != Some(digest.as_slice()) {
                return Err("DSSE envelope digest");
            }
            return Ok(BodyFacts {
                message_digest: None,
            });
        }
    }
    Ok(BodyFacts {
        message_digest: Some((alg, digest)),
    })
}

fn dsse_v001(
    spec: &Value,
    bundle: &BundleView<'_>,
    envelope: &DsseEnvelope,
) -> Result<(), &'static str> {
    let alg = str_at(spec, &["payloadHash", "algorithm"]).and_then(legacy_hash_name);
    let value = str_at(spec, &["payloadHash", "value"]).and_then(|h| hex::decode(h).ok());
    match (alg, value) {
        (Some(alg), Some(value)) if hash(alg, &envelope.payload).as_deref() == Some(&value) => {}
        _ => return Err("payload hash"),
    }
    let Some([signature]) = first_at(spec, &["signatures"])
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    else {
        return Err("signatures");
    };
    if str_at(signature, &["signature"]).and_then(b64).as_deref() != Some(bundle.signature) {
        return Err("signature");
    }
    let verifier = str_at(signature, &["verifier"]).and_then(verifier_der);
    if !same_signer(bundle.signer, verifier.as_deref()) {
        return Err(SIGNER_FIELD);
    }
    Ok(())
}

fn dsse_v002(
    spec: &Value,
    bundle: &BundleView<'_>,
    envelope: &DsseEnvelope,
) -> Result<(), &'static str> {
    let alg = str_at(spec, &["payloadHash", "algorithm"]).and_then(proto_hash_name);
    let digest = str_at(spec, &["payloadHash", "digest"]).and_then(b64);
    match (alg, digest) {
        (Some(alg), Some(digest)) if hash(alg, &envelope.payload).as_deref() == Some(&digest) => {}
        _ => return Err("payload hash"),
    }
    let Some([signature]) = first_at(spec, &["signatures"])
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    else {
        return Err("signatures");
    };
    if str_at(signature, &["content"]).and_then(b64).as_deref() != Some(bundle.signature) {
        return Err("signature");
    }
    let verifier = signature.get("verifier").and_then(v2_verifier);
    if !same_signer(bundle.signer, verifier.as_deref()) {
        return Err(SIGNER_FIELD);
    }
    Ok(())
}

fn intoto_v002(
    spec: &Value,
    bundle: &BundleView<'_>,
    envelope: &DsseEnvelope,
) -> Result<(), &'static str> {
    let content = spec.get("content").ok_or("content")?;
    let alg = str_at(content, &["payloadHash", "algorithm"]).and_then(legacy_hash_name);
    let value = str_at(content, &["payloadHash", "value"]).and_then(|h| hex::decode(h).ok());
    match (alg, value) {
        (Some(alg), Some(value)) if hash(alg, &envelope.payload).as_deref() == Some(&value) => {}
        _ => return Err("payload hash"),
    }
    if str_at(content, &["envelope", "payloadType"]) != Some(envelope.payload_type.as_str()) {
        return Err("payload type");
    }
    let Some([signature]) = first_at(content, &["envelope", "signatures"])
        .and_then(Value::as_array)
        .map(Vec::as_slice)
    else {
        return Err("signatures");
    };
    // intoto 0.0.2 stores the signature base64-encoded twice.
    let sig = str_at(signature, &["sig"])
        .and_then(b64)
        .and_then(|inner| String::from_utf8(inner).ok())
        .and_then(|inner| b64(&inner));
    if sig.as_deref() != Some(bundle.signature) {
        return Err("signature");
    }
    let key = str_at(signature, &["publicKey"]).and_then(verifier_der);
    if !same_signer(bundle.signer, key.as_deref()) {
        return Err(SIGNER_FIELD);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::pem_der;

    #[test]
    fn pem_of_any_width() {
        let pem = "-----BEGIN CERTIFICATE-----\nAQID\nBA==\n-----END CERTIFICATE-----\n";
        assert_eq!(pem_der(pem.as_bytes()), Some(vec![1, 2, 3, 4]));
        assert_eq!(pem_der(b"-----BEGIN X-----\nAQID\n"), None);
        assert_eq!(pem_der(b"AQID"), None);
    }
}
