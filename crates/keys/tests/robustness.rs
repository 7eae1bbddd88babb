//! Malformed input: hand-built structural errors with the exact error expected, and property
//! tests feeding random and mutated encodings and signatures (nothing may panic; whatever
//! parses must be canonical).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::sync::OnceLock;

use keys::{
    HashAlgorithm, KeyError, PublicKey, Signer, SigningAlgorithm, SoftwareSigner, VerifyError,
};
use proptest::prelude::*;

/// Minimal DER TLV builder (independent of the `der` crate under test).
fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = body.len();
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
    out.extend_from_slice(body);
    out
}

fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

const OID_EC: &str = "06072a8648ce3d0201";
const OID_P256: &str = "06082a8648ce3d030107";
const OID_SECP256K1: &str = "06052b8104000a";
const OID_ED25519: &str = "06032b6570";
const OID_RSA: &str = "06092a864886f70d010101";
const OID_DSA: &str = "06072a8648ce380401";
const NULL: &str = "0500";

fn h(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap()
}

fn spki(alg: &[&[u8]], key: &[u8]) -> Vec<u8> {
    let mut bits = vec![0u8];
    bits.extend_from_slice(key);
    seq(&[&seq(alg), &tlv(0x03, &bits)])
}

fn data(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

/// Valid SPKIs of every kind, from the python-made test data.
fn valid_spkis() -> &'static [Vec<u8>] {
    static SPKIS: OnceLock<Vec<Vec<u8>>> = OnceLock::new();
    SPKIS.get_or_init(|| {
        [
            "p256.pub.pem",
            "p384.pub.pem",
            "ed25519.pub.pem",
            "rsa-2048.pub.pem",
        ]
        .iter()
        .map(|name| {
            PublicKey::from_pem(&data(name))
                .unwrap()
                .spki_der()
                .to_vec()
        })
        .collect()
    })
}

fn p256_point() -> Vec<u8> {
    let spki = &valid_spkis()[0];
    spki[spki.len() - 65..].to_vec()
}

fn rsa_pkcs1() -> Vec<u8> {
    // 30 82 01 22 | 30 0d <rsaEncryption, NULL> | 03 82 01 0f 00 | RSAPublicKey
    let spki = &valid_spkis()[3];
    assert_eq!(spki[19..24], [0x03, 0x82, 0x01, 0x0f, 0x00]);
    spki[24..].to_vec()
}

fn expect_malformed(der: &[u8], what: &str) {
    match PublicKey::from_spki_der(der) {
        Err(KeyError::Malformed(_)) => {}
        other => panic!("{what}: expected Malformed, got {other:?}"),
    }
}

fn expect_unsupported(der: &[u8], what: &str) {
    match PublicKey::from_spki_der(der) {
        Err(KeyError::Unsupported(_)) => {}
        other => panic!("{what}: expected Unsupported, got {other:?}"),
    }
}

#[test]
fn hand_built_spkis_are_classified() {
    let point = p256_point();
    let ok = spki(&[&h(OID_EC), &h(OID_P256)], &point);
    assert_eq!(
        ok,
        valid_spkis()[0],
        "the builder must reproduce a real SPKI"
    );
    PublicKey::from_spki_der(&ok).unwrap();

    let mut trailing = ok.clone();
    trailing.push(0);
    expect_malformed(&trailing, "trailing byte");
    expect_malformed(&ok[..ok.len() - 1], "truncated");
    expect_malformed(&[], "empty");

    // Non-minimal length (0x81 0x59 for 0x59).
    let mut long_len = vec![0x30, 0x81];
    long_len.extend_from_slice(&ok[1..]);
    expect_malformed(&long_len, "non-minimal length");

    expect_malformed(&spki(&[&h(OID_EC)], &point), "EC without curve");
    expect_unsupported(
        &spki(&[&h(OID_EC), &seq(&[&h("020101")])], &point),
        "explicit curve parameters",
    );
    expect_unsupported(&spki(&[&h(OID_EC), &h(OID_SECP256K1)], &point), "secp256k1");
    expect_malformed(
        &spki(&[&h(OID_EC), &h(OID_P256)], &point[..64]),
        "short point",
    );
    let mut hybrid = point.clone();
    hybrid[0] = 0x06;
    expect_malformed(&spki(&[&h(OID_EC), &h(OID_P256)], &hybrid), "hybrid point");
    expect_malformed(
        &spki(&[&h(OID_EC), &h(OID_P256)], &[0]),
        "point at infinity",
    );

    // Point not on the curve: the backend rejects it.
    let mut off_curve = point.clone();
    off_curve[64] ^= 1;
    assert!(matches!(
        PublicKey::from_spki_der(&spki(&[&h(OID_EC), &h(OID_P256)], &off_curve)),
        Err(KeyError::Rejected(_))
    ));

    // BIT STRING with unused bits.
    let mut unused = ok.clone();
    let bit_string_start = unused.len() - 65 - 1;
    assert_eq!(unused[bit_string_start], 0);
    unused[bit_string_start] = 1;
    expect_malformed(&unused, "unused bits");

    let ed_key = [7u8; 32];
    PublicKey::from_spki_der(&spki(&[&h(OID_ED25519)], &ed_key)).unwrap();
    expect_malformed(
        &spki(&[&h(OID_ED25519), &h(NULL)], &ed_key),
        "Ed25519 with NULL",
    );
    expect_malformed(&spki(&[&h(OID_ED25519)], &ed_key[..31]), "Ed25519 31 bytes");

    let pkcs1 = rsa_pkcs1();
    let rsa_ok = spki(&[&h(OID_RSA), &h(NULL)], &pkcs1);
    assert_eq!(rsa_ok, valid_spkis()[3]);
    expect_malformed(&spki(&[&h(OID_RSA)], &pkcs1), "RSA without NULL");
    let mut pkcs1_trailing = pkcs1.clone();
    pkcs1_trailing.push(0);
    expect_malformed(
        &spki(&[&h(OID_RSA), &h(NULL)], &pkcs1_trailing),
        "RSAPublicKey + byte",
    );
    expect_unsupported(&spki(&[&h(OID_DSA)], &pkcs1), "DSA");

    // RSA sizes: 9000-bit modulus is unsupported, 2047-bit too small.
    let rsa_key = |modulus: &[u8]| {
        // INTEGER is signed: a leading zero only when the top bit is set (DER minimality).
        let mut n = if modulus[0] & 0x80 != 0 {
            vec![0u8]
        } else {
            vec![]
        };
        n.extend_from_slice(modulus);
        spki(
            &[&h(OID_RSA), &h(NULL)],
            &seq(&[&tlv(0x02, &n), &h("0203010001")]),
        )
    };
    let mut big = vec![0xffu8; 1125];
    big[1124] = 0xfd;
    expect_unsupported(&rsa_key(&big), "9000-bit RSA");
    let mut small = vec![0xffu8; 256];
    small[0] = 0x7f;
    assert!(matches!(
        PublicKey::from_spki_der(&rsa_key(&small)),
        Err(KeyError::RsaTooSmall { bits: 2047 })
    ));
    // A superfluous leading zero in the modulus is not DER.
    let mut padded = vec![0u8];
    padded.extend_from_slice(&small);
    let non_minimal = spki(
        &[&h(OID_RSA), &h(NULL)],
        &seq(&[&tlv(0x02, &padded), &h("0203010001")]),
    );
    expect_malformed(&non_minimal, "non-minimal INTEGER");
}

#[test]
fn hand_built_private_keys_are_classified() {
    let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let pem = signer.to_pkcs8_pem();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let der = base64_decode(&body);
    SoftwareSigner::from_pkcs8_der(&der).unwrap();
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(matches!(
        SoftwareSigner::from_pkcs8_der(&trailing),
        Err(KeyError::Malformed(_))
    ));

    // SEC1 built by hand from the python P-256 key, with variations.
    let sec1_pem = data("p256.sec1.pem");
    let sec1_body: String = sec1_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let sec1 = base64_decode(&sec1_body);
    SoftwareSigner::from_sec1_der(&sec1).unwrap();
    let mut sec1_trailing = sec1.clone();
    sec1_trailing.push(0);
    assert!(matches!(
        SoftwareSigner::from_sec1_der(&sec1_trailing),
        Err(KeyError::Malformed(_))
    ));
    // version 2
    let mut sec1_v2 = sec1.clone();
    assert_eq!(&sec1_v2[2..5], &[0x02, 0x01, 0x01]);
    sec1_v2[4] = 2;
    assert!(matches!(
        SoftwareSigner::from_sec1_der(&sec1_v2),
        Err(KeyError::Malformed(_))
    ));
    // The scalar alone, without parameters or public key: the curve comes from its length.
    let scalar = &sec1[7..39];
    let bare = seq(&[&h("020101"), &tlv(0x04, scalar)]);
    let bare_signer = SoftwareSigner::from_sec1_der(&bare).unwrap();
    assert_eq!(
        bare_signer.public_key(),
        &PublicKey::from_pem(&data("p256.pub.pem")).unwrap()
    );
    // Wrong curve in parameters: secp256k1 unsupported.
    let k1 = seq(&[
        &h("020101"),
        &tlv(0x04, scalar),
        &tlv(0xa0, &h(OID_SECP256K1)),
    ]);
    assert!(matches!(
        SoftwareSigner::from_sec1_der(&k1),
        Err(KeyError::Unsupported(_))
    ));
    // An RSA PKCS#8 is unsupported for signing.
    let rsa_pkcs8 = seq(&[
        &h("020100"),
        &seq(&[&h(OID_RSA), &h(NULL)]),
        &tlv(0x04, &h("3000")),
    ]);
    assert!(matches!(
        SoftwareSigner::from_pkcs8_der(&rsa_pkcs8),
        Err(KeyError::Unsupported(_))
    ));
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        acc = (acc << 6) | ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

/// Whatever parses must be canonical: its SPKI parses to itself.
fn check_parsed(key: &PublicKey) {
    let again = PublicKey::from_spki_der(key.spki_der()).unwrap();
    assert_eq!(&again, key);
    assert_eq!(again.spki_der(), key.spki_der());
    assert_eq!(PublicKey::from_pem(&key.to_pem()).unwrap(), again);
}

#[derive(Debug, Clone)]
enum Mutation {
    Set(usize, u8),
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, u8),
    Remove(usize),
    Append(Vec<u8>),
}

fn mutate(input: &[u8], mutation: &Mutation) -> Vec<u8> {
    let mut out = input.to_vec();
    let len = out.len();
    match *mutation {
        Mutation::Set(i, b) => out[i % len] = b,
        Mutation::Flip(i, bit) => out[i % len] ^= 1 << (bit % 8),
        Mutation::Truncate(n) => out.truncate(n % len),
        Mutation::Insert(i, b) => out.insert(i % (len + 1), b),
        Mutation::Remove(i) => {
            out.remove(i % len);
        }
        Mutation::Append(ref extra) => out.extend_from_slice(extra),
    }
    out
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Flip(i, b)),
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        proptest::collection::vec(any::<u8>(), 1..8).prop_map(Mutation::Append),
    ]
}

/// Signers and signatures, made once.
fn signed() -> &'static [(SoftwareSigner, Vec<u8>)] {
    static SIGNED: OnceLock<Vec<(SoftwareSigner, Vec<u8>)>> = OnceLock::new();
    SIGNED.get_or_init(|| {
        SigningAlgorithm::ALL
            .into_iter()
            .map(|alg| {
                let signer = SoftwareSigner::generate(alg).unwrap();
                let signature = signer.sign(b"message").unwrap();
                (signer, signature)
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        if let Ok(key) = PublicKey::from_spki_der(&bytes) {
            check_parsed(&key);
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = PublicKey::from_pem(&text);
        let _ = SoftwareSigner::from_pkcs8_der(&bytes);
        let _ = SoftwareSigner::from_sec1_der(&bytes);
        let _ = SoftwareSigner::from_pem(&text);
        let wrapped = format!("-----BEGIN PUBLIC KEY-----\n{text}\n-----END PUBLIC KEY-----\n");
        let _ = PublicKey::from_pem(&wrapped);
    }

    #[test]
    fn mutated_spkis_never_panic(which in 0usize..4, mutations in proptest::collection::vec(mutation(), 1..4)) {
        let mut der = valid_spkis()[which].clone();
        for m in &mutations {
            if der.is_empty() { break; }
            der = mutate(&der, m);
        }
        if let Ok(key) = PublicKey::from_spki_der(&der) {
            check_parsed(&key);
            // A mutation that still parses must be the same canonical bytes (DER is unique)
            // or a different valid key; either way the key verifies nothing it did not sign.
            prop_assert_eq!(key.verify(b"message", &[0x30, 0x00]), Err(VerifyError::BadSignature));
        }
    }

    #[test]
    fn mutated_private_keys_never_panic(which in 0usize..3, m in mutation()) {
        let (signer, _) = &signed()[which];
        let pem = signer.to_pkcs8_pem();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = mutate(&base64_decode(&body), &m);
        if let Ok(loaded) = SoftwareSigner::from_pkcs8_der(&der) {
            // Whatever loads signs consistently with its own public key.
            let signature = loaded.sign(b"m").unwrap();
            loaded.public_key().verify(b"m", &signature).unwrap();
        }
        if let Ok(loaded) = SoftwareSigner::from_sec1_der(&der) {
            let signature = loaded.sign(b"m").unwrap();
            loaded.public_key().verify(b"m", &signature).unwrap();
        }
    }

    #[test]
    fn random_signatures_are_rejected(which in 0usize..3, signature in proptest::collection::vec(any::<u8>(), 0..200)) {
        let (signer, _) = &signed()[which];
        let key = signer.public_key();
        prop_assert_eq!(key.verify(b"message", &signature), Err(VerifyError::BadSignature));
        if which < 2 {
            for hash in [HashAlgorithm::Sha256, HashAlgorithm::Sha384, HashAlgorithm::Sha512] {
                let digest = vec![0x5a; hash.digest_len()];
                prop_assert_eq!(key.verify_prehashed(hash, &digest, &signature), Err(VerifyError::BadSignature));
            }
        }
    }

    #[test]
    fn random_rsa_signatures_are_rejected(signature in proptest::collection::vec(any::<u8>(), 0..300), len_256 in any::<bool>()) {
        let key = PublicKey::from_spki_der(&valid_spkis()[3]).unwrap();
        let mut signature = signature;
        if len_256 { signature.resize(256, 0x01); }
        prop_assert_eq!(key.verify(b"message", &signature), Err(VerifyError::BadSignature));
        prop_assert_eq!(
            key.verify_prehashed(HashAlgorithm::Sha256, &[1; 32], &signature),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn mutated_signatures_are_rejected(which in 0usize..3, m in mutation()) {
        let (signer, signature) = &signed()[which];
        let mutated = mutate(signature, &m);
        prop_assume!(&mutated != signature);
        prop_assert_eq!(signer.public_key().verify(b"message", &mutated), Err(VerifyError::BadSignature));
    }
}
