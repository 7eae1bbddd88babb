//! Round trips and API behaviour: generate → sign → verify, PEM formatting and tolerance,
//! scheme and prehash errors, names, equality, and that secrets stay out of Debug output.

#![allow(clippy::unwrap_used)]

use std::collections::HashSet;
use std::sync::Arc;

use keys::{
    HashAlgorithm, KeyError, KeyKind, PublicKey, SignatureScheme, Signer, SigningAlgorithm,
    SoftwareSigner, VerifyError,
};
use sha2::{Digest, Sha256, Sha384, Sha512};

fn digest(hash: HashAlgorithm, message: &[u8]) -> Vec<u8> {
    match hash {
        HashAlgorithm::Sha256 => Sha256::digest(message).to_vec(),
        HashAlgorithm::Sha384 => Sha384::digest(message).to_vec(),
        HashAlgorithm::Sha512 => Sha512::digest(message).to_vec(),
    }
}

#[test]
fn sign_verify_round_trip_for_every_algorithm() {
    for alg in SigningAlgorithm::ALL {
        let signer = SoftwareSigner::generate(alg).unwrap();
        assert_eq!(signer.algorithm(), alg);
        let key = signer.public_key();
        assert_eq!(key.kind(), alg.key_kind());
        assert_eq!(key.default_scheme(), alg.scheme());
        for message in [&b""[..], b"x", &[0xa5; 10_000]] {
            let signature = signer.sign(message).unwrap();
            key.verify(message, &signature).unwrap();
            key.verify_with(alg.scheme(), message, &signature).unwrap();
            let mut other = message.to_vec();
            other.push(0);
            assert_eq!(
                key.verify(&other, &signature),
                Err(VerifyError::BadSignature)
            );
            // A fresh key does not verify it.
            let stranger = SoftwareSigner::generate(alg).unwrap();
            assert_eq!(
                stranger.public_key().verify(message, &signature),
                Err(VerifyError::BadSignature)
            );
        }
        // Signature encodings: ASN.1 DER SEQUENCE for ECDSA, raw 64 bytes for Ed25519.
        let signature = signer.sign(b"shape").unwrap();
        match alg {
            SigningAlgorithm::Ed25519 => assert_eq!(signature.len(), 64),
            _ => {
                assert_eq!(signature[0], 0x30);
                assert_eq!(signature[1] as usize, signature.len() - 2);
            }
        }
    }
}

#[test]
fn ecdsa_prehashed_with_every_hash() {
    let message = b"prehashed message";
    for alg in [
        SigningAlgorithm::EcdsaP256Sha256,
        SigningAlgorithm::EcdsaP384Sha384,
    ] {
        let signer = SoftwareSigner::generate(alg).unwrap();
        let key = signer.public_key();
        let signature = signer.sign(message).unwrap();
        let own_hash = alg.scheme().hash_algorithm().unwrap();
        key.verify_prehashed(own_hash, &digest(own_hash, message), &signature)
            .unwrap();
        for hash in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha384,
            HashAlgorithm::Sha512,
        ] {
            if hash != own_hash {
                // The signature was over the default hash; another digest must fail.
                assert_eq!(
                    key.verify_prehashed(hash, &digest(hash, message), &signature),
                    Err(VerifyError::BadSignature),
                    "{alg} with {hash:?}"
                );
            }
            let short = vec![0u8; hash.digest_len() - 1];
            assert_eq!(
                key.verify_prehashed(hash, &short, &signature),
                Err(VerifyError::DigestLength {
                    alg: hash,
                    got: hash.digest_len() - 1,
                    want: hash.digest_len()
                })
            );
        }
    }
}

#[test]
fn ed25519_has_no_prehashed_form() {
    let signer = SoftwareSigner::generate(SigningAlgorithm::Ed25519).unwrap();
    let key = signer.public_key();
    let signature = signer.sign(b"m").unwrap();
    assert_eq!(
        key.verify_prehashed(HashAlgorithm::Sha256, &Sha256::digest(b"m"), &signature),
        Err(VerifyError::PrehashUnsupported(KeyKind::Ed25519))
    );
    assert!(key.ec_point_uncompressed().is_none());
    assert!(key.ed25519_raw().is_some());
}

#[test]
fn schemes_must_fit_the_key() {
    let p256 = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let p384 = SoftwareSigner::generate(SigningAlgorithm::EcdsaP384Sha384).unwrap();
    let ed = SoftwareSigner::generate(SigningAlgorithm::Ed25519).unwrap();
    let cases = [
        (&p256, SignatureScheme::EcdsaP384Sha384),
        (&p256, SignatureScheme::Ed25519),
        (&p256, SignatureScheme::RsaPkcs1Sha256),
        (&p384, SignatureScheme::EcdsaP256Sha256),
        (&p384, SignatureScheme::RsaPssSha256),
        (&ed, SignatureScheme::EcdsaP256Sha256),
        (&ed, SignatureScheme::RsaPkcs1Sha512),
    ];
    for (signer, scheme) in cases {
        let signature = signer.sign(b"m").unwrap();
        assert_eq!(
            signer.public_key().verify_with(scheme, b"m", &signature),
            Err(VerifyError::SchemeMismatch {
                scheme,
                kind: signer.public_key().kind()
            })
        );
    }
}

#[test]
fn pkcs8_export_round_trips() {
    for alg in SigningAlgorithm::ALL {
        let signer = SoftwareSigner::generate(alg).unwrap();
        let pem = signer.to_pkcs8_pem();
        assert!(pem.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{alg}");
        assert!(pem.ends_with("-----END PRIVATE KEY-----\n"), "{alg}");
        let loaded = SoftwareSigner::from_pem(&pem).unwrap();
        assert_eq!(loaded.algorithm(), alg);
        assert_eq!(loaded.public_key(), signer.public_key());
        let signature = loaded.sign(b"after reload").unwrap();
        signer
            .public_key()
            .verify(b"after reload", &signature)
            .unwrap();
    }
}

/// Each base64 line is at most 64 columns, only the last may be shorter, LF only, trailing newline.
fn assert_strict_pem(pem: &str, label: &str) {
    assert!(!pem.contains('\r'));
    assert!(pem.ends_with('\n') && !pem.ends_with("\n\n"));
    let lines: Vec<&str> = pem.lines().collect();
    assert_eq!(lines[0], format!("-----BEGIN {label}-----"));
    assert_eq!(lines[lines.len() - 1], format!("-----END {label}-----"));
    let body = &lines[1..lines.len() - 1];
    assert!(!body.is_empty());
    for line in &body[..body.len() - 1] {
        assert_eq!(line.len(), 64, "{pem}");
    }
    assert!(!body[body.len() - 1].is_empty() && body[body.len() - 1].len() <= 64);
}

#[test]
fn pem_output_is_strict() {
    for alg in SigningAlgorithm::ALL {
        let signer = SoftwareSigner::generate(alg).unwrap();
        assert_strict_pem(&signer.public_key().to_pem(), "PUBLIC KEY");
        assert_strict_pem(&signer.to_pkcs8_pem(), "PRIVATE KEY");
    }
}

#[test]
fn pem_input_tolerates_crlf_whitespace_and_other_widths() {
    let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP384Sha384).unwrap();
    let key = signer.public_key();
    let pem = key.to_pem();

    let crlf = pem.replace('\n', "\r\n");
    assert_eq!(&PublicKey::from_pem(&crlf).unwrap(), key);
    let padded = format!("\n\n  \t{pem}\n\n   ");
    assert_eq!(&PublicKey::from_pem(&padded).unwrap(), key);

    // Re-wrap at 76 columns (as some MIME tools do).
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    let wrapped: Vec<String> = body
        .as_bytes()
        .chunks(76)
        .map(|c| String::from_utf8(c.to_vec()).unwrap())
        .collect();
    let rewrapped = format!(
        "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
        wrapped.join("\n")
    );
    assert_eq!(&PublicKey::from_pem(&rewrapped).unwrap(), key);

    let private_crlf = signer.to_pkcs8_pem().replace('\n', "\r\n");
    let loaded = SoftwareSigner::from_pem(&format!("  {private_crlf}  ")).unwrap();
    assert_eq!(loaded.public_key(), key);
}

#[test]
fn pem_with_the_wrong_label_is_refused() {
    let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let private = signer.to_pkcs8_pem();
    match PublicKey::from_pem(&private) {
        Err(KeyError::UnexpectedPemLabel { found, expected }) => {
            assert_eq!(found, "PRIVATE KEY");
            assert_eq!(expected, "PUBLIC KEY");
        }
        other => panic!("expected UnexpectedPemLabel, got {other:?}"),
    }
    let public = signer.public_key().to_pem();
    match SoftwareSigner::from_pem(&public) {
        Err(KeyError::UnexpectedPemLabel { found, .. }) => assert_eq!(found, "PUBLIC KEY"),
        other => panic!("expected UnexpectedPemLabel, got {other:?}"),
    }
    let cert = public.replace("PUBLIC KEY", "CERTIFICATE");
    assert!(matches!(
        PublicKey::from_pem(&cert),
        Err(KeyError::UnexpectedPemLabel { .. })
    ));
    // A PEM followed by another block is not one key.
    let twice = format!("{public}{public}");
    assert!(PublicKey::from_pem(&twice).is_err());
}

#[test]
fn secrets_stay_out_of_debug_and_errors() {
    for alg in SigningAlgorithm::ALL {
        let signer = SoftwareSigner::generate(alg).unwrap();
        let pem = signer.to_pkcs8_pem();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let debug = format!("{signer:?}");
        assert!(debug.contains("SoftwareSigner"));
        for window in body.as_bytes().windows(12) {
            let needle = std::str::from_utf8(window).unwrap();
            assert!(!debug.contains(needle), "{alg}: Debug shows key material");
        }
        // Errors from a damaged private key mention no base64 of it.
        let damaged = pem.replace("PRIVATE KEY-----\n", "PRIVATE KEY-----\nAAAA");
        let err = SoftwareSigner::from_pem(&damaged).unwrap_err().to_string();
        for window in body.as_bytes().windows(12) {
            assert!(!err.contains(std::str::from_utf8(window).unwrap()));
        }
    }
}

#[test]
fn signing_algorithm_names_round_trip() {
    let names = ["ecdsa-p256", "ecdsa-p384", "ed25519"];
    for (alg, name) in SigningAlgorithm::ALL.into_iter().zip(names) {
        assert_eq!(alg.to_string(), name);
        assert_eq!(name.parse::<SigningAlgorithm>().unwrap(), alg);
    }
    let err = "rsa".parse::<SigningAlgorithm>().unwrap_err();
    assert_eq!(err.input, "rsa");
    assert!("ECDSA-P256".parse::<SigningAlgorithm>().is_err());
}

#[test]
fn equality_hash_and_spki_sha256_follow_the_spki() {
    let a = SoftwareSigner::generate(SigningAlgorithm::Ed25519).unwrap();
    let b = SoftwareSigner::generate(SigningAlgorithm::Ed25519).unwrap();
    let a2 = PublicKey::from_spki_der(a.public_key().spki_der()).unwrap();
    assert_eq!(a.public_key(), &a2);
    assert_ne!(a.public_key(), b.public_key());
    let set: HashSet<PublicKey> = [a.public_key().clone(), a2, b.public_key().clone()].into();
    assert_eq!(set.len(), 2);
    let expected: [u8; 32] = Sha256::digest(a.public_key().spki_der()).into();
    assert_eq!(a.public_key().spki_sha256(), expected);
    // RFC 8410 §4: the Ed25519 SPKI is a fixed 12-byte prefix and the raw key.
    let spki = a.public_key().spki_der();
    assert_eq!(spki[..12], hex::decode("302a300506032b6570032100").unwrap());
    assert_eq!(spki[12..], a.public_key().ed25519_raw().unwrap());
}

#[test]
fn signers_work_behind_arc_and_box_from_many_threads() {
    let signer: Arc<dyn Signer> =
        Arc::new(SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let signer = Arc::clone(&signer);
            std::thread::spawn(move || {
                let message = format!("thread {i}");
                let signature = signer.sign(message.as_bytes()).unwrap();
                signer
                    .public_key()
                    .verify(message.as_bytes(), &signature)
                    .unwrap();
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let boxed: Box<dyn Signer> =
        Box::new(SoftwareSigner::generate(SigningAlgorithm::Ed25519).unwrap());
    fn sign_with(signer: &impl Signer) -> Vec<u8> {
        signer.sign(b"generic").unwrap()
    }
    let signature = sign_with(&boxed);
    boxed.public_key().verify(b"generic", &signature).unwrap();
}
