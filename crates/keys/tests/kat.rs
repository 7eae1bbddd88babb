//! Known-answer tests against independently produced data:
//! - `tests/data/*` made by pyca/cryptography (OpenSSL) with `tests/data/gen_kat.py`;
//! - RFC 8032 §7.1 tests 1 and 2 (Ed25519);
//! - RFC 8410 §10.3 (an Ed25519 PKCS#8 v2 private key with attributes and public key).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use keys::{
    HashAlgorithm, KeyError, KeyKind, PublicKey, SignatureScheme, Signer, SigningAlgorithm,
    SoftwareSigner, VerifyError,
};
use serde_json::Value;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

fn read(name: &str) -> String {
    std::fs::read_to_string(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn read_bytes(name: &str) -> Vec<u8> {
    std::fs::read(data_dir().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn kat() -> Value {
    serde_json::from_str(&read("kat.json")).unwrap()
}

/// The DER inside a PEM, decoded without this crate (by hand, base64 via `hex`-free table).
fn pem_body_der(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect::<Vec<_>>()
        .concat();
    base64_decode(&b64)
}

/// Tiny independent base64 decoder (standard alphabet, with padding).
fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn scheme_from_name(name: &str) -> SignatureScheme {
    match name {
        "ecdsa-p256-sha256" => SignatureScheme::EcdsaP256Sha256,
        "ecdsa-p384-sha384" => SignatureScheme::EcdsaP384Sha384,
        "ed25519" => SignatureScheme::Ed25519,
        "rsa-pkcs1-sha256" => SignatureScheme::RsaPkcs1Sha256,
        "rsa-pkcs1-sha384" => SignatureScheme::RsaPkcs1Sha384,
        "rsa-pkcs1-sha512" => SignatureScheme::RsaPkcs1Sha512,
        "rsa-pss-sha256" => SignatureScheme::RsaPssSha256,
        other => panic!("unknown scheme {other}"),
    }
}

fn hash_from_name(name: &str) -> HashAlgorithm {
    match name {
        "sha256" => HashAlgorithm::Sha256,
        "sha384" => HashAlgorithm::Sha384,
        "sha512" => HashAlgorithm::Sha512,
        other => panic!("unknown hash {other}"),
    }
}

fn flip_bit(bytes: &[u8], bit: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    let bit = bit % (out.len() * 8);
    out[bit / 8] ^= 1 << (bit % 8);
    out
}

#[test]
fn python_signatures_verify_and_fail_after_a_bit_flip() {
    let kat = kat();
    let message = hex::decode(kat["message_hex"].as_str().unwrap()).unwrap();
    let cases = kat["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "kat.json has {} cases", cases.len());
    let mut ran = 0;
    for (i, case) in cases.iter().enumerate() {
        let key_name = case["key"].as_str().unwrap();
        let key = PublicKey::from_pem(&read(key_name)).unwrap();
        let signature = hex::decode(case["signature_hex"].as_str().unwrap()).unwrap();
        let bad_signature = flip_bit(&signature, i * 7 + 3);
        match case["kind"].as_str().unwrap() {
            "message" => {
                let scheme = scheme_from_name(case["scheme"].as_str().unwrap());
                key.verify_with(scheme, &message, &signature)
                    .unwrap_or_else(|e| panic!("case {i} ({key_name}, {scheme:?}): {e}"));
                if scheme == key.default_scheme() {
                    key.verify(&message, &signature).unwrap();
                }
                assert_eq!(
                    key.verify_with(scheme, &message, &bad_signature),
                    Err(VerifyError::BadSignature),
                    "case {i}: flipped signature accepted"
                );
                let bad_message = flip_bit(&message, i);
                assert_eq!(
                    key.verify_with(scheme, &bad_message, &signature),
                    Err(VerifyError::BadSignature),
                    "case {i}: flipped message accepted"
                );
            }
            "prehashed" => {
                let hash = hash_from_name(case["hash"].as_str().unwrap());
                let digest = hex::decode(case["digest_hex"].as_str().unwrap()).unwrap();
                key.verify_prehashed(hash, &digest, &signature)
                    .unwrap_or_else(|e| panic!("case {i} ({key_name}, {hash:?}): {e}"));
                assert_eq!(
                    key.verify_prehashed(hash, &digest, &bad_signature),
                    Err(VerifyError::BadSignature)
                );
                assert_eq!(
                    key.verify_prehashed(hash, &flip_bit(&digest, i), &signature),
                    Err(VerifyError::BadSignature)
                );
            }
            other => panic!("unknown kind {other}"),
        }
        ran += 1;
    }
    eprintln!("verified {ran} python-made signatures (and rejected their bit-flipped forms)");
}

#[test]
fn python_public_keys_parse_to_the_same_canonical_spki() {
    for (name, kind) in [
        ("p256.pub.pem", KeyKind::EcdsaP256),
        ("p384.pub.pem", KeyKind::EcdsaP384),
        ("ed25519.pub.pem", KeyKind::Ed25519),
        ("rsa-2048.pub.pem", KeyKind::Rsa { bits: 2048 }),
        ("rsa-3072.pub.pem", KeyKind::Rsa { bits: 3072 }),
    ] {
        let pem = read(name);
        let key = PublicKey::from_pem(&pem).unwrap();
        assert_eq!(key.kind(), kind, "{name}");
        // OpenSSL writes canonical DER, so re-encoding must give the same bytes and PEM.
        assert_eq!(key.spki_der(), pem_body_der(&pem).as_slice(), "{name}");
        assert_eq!(key.to_pem(), pem, "{name}");
        assert_eq!(PublicKey::from_spki_der(key.spki_der()).unwrap(), key);
    }
}

#[test]
fn compressed_points_normalise_to_the_uncompressed_spki() {
    for curve in ["p256", "p384"] {
        let compressed = read_bytes(&format!("{curve}-compressed.pub.der"));
        let uncompressed = read_bytes(&format!("{curve}-uncompressed.pub.der"));
        assert!(compressed.len() < uncompressed.len());
        let key = PublicKey::from_spki_der(&compressed).unwrap();
        assert_eq!(key.spki_der(), uncompressed.as_slice(), "{curve}");
        assert_eq!(key, PublicKey::from_spki_der(&uncompressed).unwrap());
        assert_eq!(
            key.ec_point_uncompressed().unwrap(),
            &uncompressed[uncompressed.len() - key.ec_point_uncompressed().unwrap().len()..]
        );
    }
    // And it verifies python's signature.
    let kat = kat();
    let message = hex::decode(kat["message_hex"].as_str().unwrap()).unwrap();
    let case = &kat["cases"][0];
    assert_eq!(case["key"], "p256.pub.pem");
    let key = PublicKey::from_spki_der(&read_bytes("p256-compressed.pub.der")).unwrap();
    let signature = hex::decode(case["signature_hex"].as_str().unwrap()).unwrap();
    key.verify(&message, &signature).unwrap();
}

#[test]
fn python_private_keys_load_and_match_their_public_keys() {
    for (file, public, alg) in [
        (
            "p256.pkcs8.pem",
            "p256.pub.pem",
            SigningAlgorithm::EcdsaP256Sha256,
        ),
        (
            "p256.sec1.pem",
            "p256.pub.pem",
            SigningAlgorithm::EcdsaP256Sha256,
        ),
        (
            "p384.pkcs8.pem",
            "p384.pub.pem",
            SigningAlgorithm::EcdsaP384Sha384,
        ),
        (
            "p384.sec1.pem",
            "p384.pub.pem",
            SigningAlgorithm::EcdsaP384Sha384,
        ),
        (
            "ed25519.pkcs8.pem",
            "ed25519.pub.pem",
            SigningAlgorithm::Ed25519,
        ),
        (
            "ed25519.pkcs8v2.pem",
            "ed25519.pub.pem",
            SigningAlgorithm::Ed25519,
        ),
    ] {
        let signer =
            SoftwareSigner::from_pem(&read(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(signer.algorithm(), alg, "{file}");
        let expected = PublicKey::from_pem(&read(public)).unwrap();
        assert_eq!(signer.public_key(), &expected, "{file}");
        // What it signs verifies under python's public key.
        let signature = signer.sign(b"loaded from python").unwrap();
        expected.verify(b"loaded from python", &signature).unwrap();
        // The re-export loads back to the same key.
        let again = SoftwareSigner::from_pem(&signer.to_pkcs8_pem()).unwrap();
        assert_eq!(again.public_key(), &expected, "{file} re-export");
    }
    // cryptography writes PKCS#8 v1 for these, so the export is byte-identical.
    for file in ["p256.pkcs8.pem", "p384.pkcs8.pem", "ed25519.pkcs8.pem"] {
        let pem = read(file);
        let signer = SoftwareSigner::from_pem(&pem).unwrap();
        let exported = signer.to_pkcs8_pem();
        if file.starts_with("ed25519") {
            assert_eq!(exported.as_str(), pem, "{file}");
        } else {
            // EC: both carry the public key inside ECPrivateKey; compare the decoded DER.
            assert_eq!(pem_body_der(&exported), pem_body_der(&pem), "{file}");
        }
    }
}

#[test]
fn pkcs8_v2_with_a_wrong_public_key_is_rejected() {
    let der = pem_body_der(&read("ed25519.pkcs8v2.pem"));
    SoftwareSigner::from_pkcs8_der(&der).unwrap();
    let last = der.len() - 1;
    let bad = flip_bit(&der, last * 8);
    assert!(matches!(
        SoftwareSigner::from_pkcs8_der(&bad),
        Err(KeyError::Rejected(_))
    ));
}

#[test]
fn rsa_1024_is_too_small() {
    match PublicKey::from_pem(&read("rsa-1024.pub.pem")) {
        Err(KeyError::RsaTooSmall { bits: 1024 }) => {}
        other => panic!("expected RsaTooSmall, got {other:?}"),
    }
}

/// PKCS#8 v1 for an Ed25519 seed (RFC 8410 §7 layout).
fn ed25519_pkcs8_v1(seed: &[u8; 32]) -> Vec<u8> {
    let mut der = hex::decode("302e020100300506032b657004220420").unwrap();
    der.extend_from_slice(seed);
    der
}

/// RFC 8032 §7.1, TEST 1 and TEST 2: (secret key, public key, message, signature).
const RFC8032: [(&str, &str, &str, &str); 2] = [
    (
        "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        "",
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
    ),
    (
        "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
        "72",
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
    ),
];

#[test]
fn rfc8032_ed25519_known_answers() {
    for (i, (secret, public, message, signature)) in RFC8032.iter().enumerate() {
        let seed: [u8; 32] = hex::decode(secret).unwrap().try_into().unwrap();
        let public: [u8; 32] = hex::decode(public).unwrap().try_into().unwrap();
        let message = hex::decode(message).unwrap();
        let signature = hex::decode(signature).unwrap();

        let signer = SoftwareSigner::from_pkcs8_der(&ed25519_pkcs8_v1(&seed)).unwrap();
        assert_eq!(
            signer.public_key().ed25519_raw(),
            Some(public),
            "test {}",
            i + 1
        );
        // Ed25519 is deterministic: our signature must be the RFC's.
        assert_eq!(signer.sign(&message).unwrap(), signature, "test {}", i + 1);

        let key = PublicKey::from_ed25519_raw(public).unwrap();
        assert_eq!(&key, signer.public_key());
        key.verify(&message, &signature).unwrap();
        assert_eq!(
            key.verify(&message, &flip_bit(&signature, 100)),
            Err(VerifyError::BadSignature)
        );
        assert_eq!(
            key.verify(b"another message", &signature),
            Err(VerifyError::BadSignature)
        );
    }
}

/// RFC 8410 §10.3: a PKCS#8 v2 (`OneAsymmetricKey`) Ed25519 key with an attribute and the public key.
#[test]
fn rfc8410_pkcs8_v2_example_loads() {
    let pem = "-----BEGIN PRIVATE KEY-----\n\
               MHICAQEwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n\
               oB8wHQYKKoZIhvcNAQkJFDEPDA1DdXJkbGUgQ2hhaXJzgSEAGb9ECWmEzf6FQbrB\n\
               Z9w7lshQhqowtrbLDFw4rXAxZuE=\n\
               -----END PRIVATE KEY-----\n";
    let signer = SoftwareSigner::from_pem(pem).unwrap();
    let public =
        hex::decode("19bf44096984cdfe8541bac167dc3b96c85086aa30b6b6cb0c5c38ad703166e1").unwrap();
    assert_eq!(
        signer.public_key().ed25519_raw().unwrap().as_slice(),
        public.as_slice()
    );
}

/// Produces input for `gen_kat.py verify` (the other direction of the cross-check). Run by hand:
/// `cargo test -q -p keys --test kat -- --ignored emit --nocapture 2>&1 | grep '^\[' | python3 crates/keys/tests/data/gen_kat.py verify`
#[test]
#[ignore = "manual cross-check with python; prints JSON to stderr"]
fn emit_rust_signatures_for_python() {
    let message = b"signed by the Rust side";
    let mut items = Vec::new();
    for alg in SigningAlgorithm::ALL {
        let signer = SoftwareSigner::generate(alg).unwrap();
        items.push(serde_json::json!({
            "algorithm": alg.to_string(),
            "public_key_pem": signer.public_key().to_pem(),
            "pkcs8_pem": signer.to_pkcs8_pem().as_str(),
            "message_hex": hex::encode(message),
            "signature_hex": hex::encode(signer.sign(message).unwrap()),
        }));
    }
    eprintln!("{}", serde_json::Value::Array(items));
}
