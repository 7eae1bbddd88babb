//! `rekord` 0.0.1 with `x509` signatures: valid proposals from freshly generated keys produce the
//! body upstream Rekor stores (built here independently of the crate's canonicalization), and
//! each malformed proposal is refused with its specific error.

mod common;

use std::collections::BTreeMap;

use common::{b64, error_name};
use keys::{Signer as _, SigningAlgorithm, SoftwareSigner};
use rekor_types::{EntryError, EntryKind, EntryPolicy, canonicalize};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const ARTIFACT: &[u8] = b"a legacy artifact, signed as a whole\n";

fn signer(alg: SigningAlgorithm) -> SoftwareSigner {
    SoftwareSigner::generate(alg).expect("key generation")
}

/// The key as a client might send it: PEM with the whole base64 on one line and CRLF endings
/// (not canonical), so that the test sees the re-encoding.
fn sloppy_pem(signer: &SoftwareSigner) -> String {
    format!(
        "-----BEGIN PUBLIC KEY-----\r\n{}\r\n-----END PUBLIC KEY-----\r\n",
        b64(signer.public_key().spki_der())
    )
}

/// The PEM upstream stores: 64-column lines, LF, trailing newline, built by hand here.
fn expected_pem(signer: &SoftwareSigner) -> String {
    let body = b64(signer.public_key().spki_der());
    let mut out = String::from("-----BEGIN PUBLIC KEY-----\n");
    for chunk in body.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END PUBLIC KEY-----\n");
    out
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A proposal signed by `signer` over `ARTIFACT`, with `data.hash` when `with_hash`.
fn proposal(signer: &SoftwareSigner, with_hash: bool) -> Value {
    let sig = signer.sign(ARTIFACT).expect("sign");
    let mut data = json!({"content": b64(ARTIFACT)});
    if with_hash {
        data["hash"] = json!({"algorithm": "sha256", "value": sha256_hex(ARTIFACT)});
    }
    json!({
        "apiVersion": "0.0.1",
        "kind": "rekord",
        "spec": {
            "signature": {
                "format": "x509",
                "content": b64(&sig),
                "publicKey": {"content": b64(sloppy_pem(signer).as_bytes())},
            },
            "data": data,
        },
    })
}

/// Compact JSON with object keys in sorted order (all keys here are ASCII, so this is the RFC
/// 8785 order), written without the crate's `jcs`.
fn sorted_json(value: &Value) -> String {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            let members: Vec<String> = sorted
                .into_iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).expect("key"),
                        sorted_json(v)
                    )
                })
                .collect();
            format!("{{{}}}", members.join(","))
        }
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(sorted_json).collect();
            format!("[{}]", items.join(","))
        }
        scalar => serde_json::to_string(scalar).expect("scalar"),
    }
}

fn run(value: &Value) -> Result<rekor_types::CanonicalEntry, EntryError> {
    canonicalize(
        serde_json::to_string(value).expect("JSON").as_bytes(),
        &EntryPolicy::default(),
    )
}

fn check_valid(alg: SigningAlgorithm, with_hash: bool) {
    let signer = signer(alg);
    let proposed = proposal(&signer, with_hash);
    let entry = run(&proposed).expect("valid rekord proposal");

    let sig_b64 = proposed["spec"]["signature"]["content"].clone();
    let pem = expected_pem(&signer);
    let expected = json!({
        "apiVersion": "0.0.1",
        "kind": "rekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": sha256_hex(ARTIFACT)}},
            "signature": {
                "content": sig_b64,
                "format": "x509",
                "publicKey": {"content": b64(pem.as_bytes())},
            },
        },
    });
    assert_eq!(
        String::from_utf8(entry.body.clone()).expect("UTF-8 body"),
        sorted_json(&expected)
    );
    assert_eq!(entry.kind, EntryKind::Rekord);
    assert_eq!(entry.api_version, "0.0.1");
    assert_eq!(
        entry.index_keys,
        vec![
            sha256_hex(pem.as_bytes()),
            format!("sha256:{}", sha256_hex(ARTIFACT)),
        ]
    );
    // The leaf is SHA-256(0x00 || body).
    let mut leaf = vec![0u8];
    leaf.extend_from_slice(&entry.body);
    assert_eq!(hex::encode(entry.leaf_hash()), sha256_hex(&leaf));
}

#[test]
fn ecdsa_p256_with_and_without_hash() {
    check_valid(SigningAlgorithm::EcdsaP256Sha256, true);
    check_valid(SigningAlgorithm::EcdsaP256Sha256, false);
}

#[test]
fn ed25519_pure_over_the_artifact() {
    check_valid(SigningAlgorithm::Ed25519, true);
    check_valid(SigningAlgorithm::Ed25519, false);
}

#[test]
fn p384_is_verified_with_sha256_as_upstream() {
    // sigstore's LoadVerifier(key, SHA256): a P-384 signature made with SHA-384 does not verify.
    let signer = signer(SigningAlgorithm::EcdsaP384Sha384);
    let err = run(&proposal(&signer, true)).expect_err("SHA-384 signature");
    assert_eq!(error_name(&err), "SignatureMismatch");
}

fn expect_error(value: &Value, name: &str, text: &str) {
    let err = run(value).expect_err(name);
    assert_eq!(error_name(&err), name, "{err}");
    assert!(err.to_string().contains(text), "{err:?} lacks {text:?}");
}

fn with(mut value: Value, pointer: &str, new: Option<Value>) -> Value {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer");
    let obj = value
        .pointer_mut(parent)
        .and_then(Value::as_object_mut)
        .expect("parent object");
    match new {
        Some(v) => {
            obj.insert(last.to_owned(), v);
        }
        None => {
            obj.remove(last);
        }
    }
    value
}

#[test]
fn rejections() {
    let signer = signer(SigningAlgorithm::EcdsaP256Sha256);
    let good = proposal(&signer, true);
    run(&good).expect("the base proposal is valid");

    // Tampered artifact, with its own (matching) hash: the signature no longer verifies.
    let tampered = b"a legacy artifact, signed as a whole!\n";
    let mut v = with(
        good.clone(),
        "/spec/data/content",
        Some(json!(b64(tampered))),
    );
    v = with(
        v,
        "/spec/data/hash/value",
        Some(json!(sha256_hex(tampered))),
    );
    expect_error(&v, "SignatureMismatch", "spec.signature.content");
    // Tampered artifact, stated hash of the original: the hash check fails first.
    let v = with(
        good.clone(),
        "/spec/data/content",
        Some(json!(b64(tampered))),
    );
    expect_error(&v, "DigestMismatch", &sha256_hex(tampered));
    // Wrong hash.
    let v = with(
        good.clone(),
        "/spec/data/hash/value",
        Some(json!("00".repeat(32))),
    );
    expect_error(&v, "DigestMismatch", "spec.data.hash.value");
    // Upstream compares the hex exactly: uppercase does not match.
    let v = with(
        good.clone(),
        "/spec/data/hash/value",
        Some(json!(sha256_hex(ARTIFACT).to_uppercase())),
    );
    expect_error(&v, "DigestMismatch", "spec.data.hash.value");
    let v = with(
        good.clone(),
        "/spec/data/hash/algorithm",
        Some(json!("sha512")),
    );
    expect_error(&v, "InvalidValue", "spec.data.hash.algorithm");
    let v = with(good.clone(), "/spec/data/hash/value", Some(json!("abcd")));
    expect_error(&v, "DigestLength", "spec.data.hash.value");

    // Wrong key.
    let other = self::signer(SigningAlgorithm::EcdsaP256Sha256);
    let v = with(
        good.clone(),
        "/spec/signature/publicKey/content",
        Some(json!(b64(sloppy_pem(&other).as_bytes()))),
    );
    expect_error(&v, "SignatureMismatch", "spec.signature.content");

    // Formats other than x509.
    for format in ["pgp", "minisign", "ssh", "tuf"] {
        let v = with(good.clone(), "/spec/signature/format", Some(json!(format)));
        expect_error(&v, "UnsupportedSignatureFormat", format);
    }
    let v = with(good.clone(), "/spec/signature/format", Some(json!("X509")));
    expect_error(&v, "InvalidValue", "spec.signature.format");
    let v = with(good.clone(), "/spec/signature/format", None);
    expect_error(&v, "MissingField", "spec.signature.format");

    // URLs instead of content.
    let v = with(
        good.clone(),
        "/spec/data/url",
        Some(json!("https://example.com/artifact")),
    );
    expect_error(&v, "UrlNotSupported", "spec.data.url");
    let v = with(
        with(good.clone(), "/spec/data/content", None),
        "/spec/data/url",
        Some(json!("https://example.com/artifact")),
    );
    expect_error(&v, "UrlNotSupported", "spec.data.url");
    let v = with(
        good.clone(),
        "/spec/signature/publicKey/url",
        Some(json!("https://example.com/key.pem")),
    );
    expect_error(&v, "UrlNotSupported", "spec.signature.publicKey.url");

    // Missing or empty artifact.
    let v = with(good.clone(), "/spec/data/content", None);
    expect_error(&v, "MissingField", "spec.data.content");
    let v = with(good.clone(), "/spec/data/content", Some(json!("")));
    expect_error(&v, "EmptyField", "spec.data.content");
    let v = with(good.clone(), "/spec/data", None);
    expect_error(&v, "MissingField", "spec.data");

    // Bad base64 in each content member.
    for pointer in [
        "/spec/data/content",
        "/spec/signature/content",
        "/spec/signature/publicKey/content",
    ] {
        let v = with(good.clone(), pointer, Some(json!("not base64!")));
        let field = pointer.trim_start_matches('/').replace('/', ".");
        expect_error(&v, "InvalidBase64", &field);
    }

    // A key that is not PEM.
    let v = with(
        good.clone(),
        "/spec/signature/publicKey/content",
        Some(json!(b64(signer.public_key().spki_der()))),
    );
    expect_error(&v, "Pem", "spec.signature.publicKey.content");

    // Switched off by policy.
    let policy = EntryPolicy {
        kinds: vec![EntryKind::HashedRekord],
        ..EntryPolicy::default()
    };
    let err = canonicalize(
        serde_json::to_string(&good).expect("JSON").as_bytes(),
        &policy,
    )
    .expect_err("disabled");
    assert_eq!(error_name(&err), "KindDisabled");
    // Only 0.0.1 exists.
    let v = with(good, "/apiVersion", Some(json!("0.0.2")));
    expect_error(&v, "UnsupportedApiVersion", "rekord");
}

#[test]
fn artifact_counts_against_the_size_limit() {
    let signer = signer(SigningAlgorithm::EcdsaP256Sha256);
    let body = serde_json::to_vec(&proposal(&signer, true)).expect("JSON");
    let policy = EntryPolicy {
        max_entry_bytes: body.len() - 1,
        ..EntryPolicy::default()
    };
    let err = canonicalize(&body, &policy).expect_err("too large");
    assert_eq!(error_name(&err), "TooLarge");
}
