//! Encrypted PKCS#8 (RFC 5958 §3, PBES2): keys encrypted by the `openssl` CLI load, keys we
//! encrypt load in `openssl`, and a wrong passphrase is a clear error without key material.

#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use keys::{KeyError, Signer, SigningAlgorithm, SoftwareSigner};

const PASSPHRASE: &str = "correct horse battery staple";

/// Run `openssl` with `args`, panicking with its stderr on failure; returns stdout.
fn openssl(args: &[&str]) -> String {
    let out = Command::new("openssl").args(args).output().unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Encrypt `signer`'s key with `openssl pkcs8 -topk8` and the extra `scheme` arguments.
fn encrypt_with_openssl(dir: &Path, signer: &SoftwareSigner, scheme: &[&str]) -> String {
    let plain = dir.join("plain.pem");
    let encrypted = dir.join("encrypted.pem");
    std::fs::write(&plain, signer.to_pkcs8_pem().as_bytes()).unwrap();
    let pass = format!("pass:{PASSPHRASE}");
    let mut args = vec!["pkcs8", "-topk8", "-in", plain.to_str().unwrap()];
    args.extend_from_slice(scheme);
    args.extend_from_slice(&["-passout", &pass, "-out", encrypted.to_str().unwrap()]);
    openssl(&args);
    std::fs::read_to_string(&encrypted).unwrap()
}

#[test]
fn openssl_encrypted_keys_load_for_every_algorithm_and_scheme() {
    let dir = tempfile::tempdir().unwrap();
    let schemes: [&[&str]; 4] = [
        &["-v2", "aes-256-cbc"],
        &["-v2", "aes-128-cbc", "-v2prf", "hmacWithSHA512"],
        &["-v2", "aes-256-cbc", "-scrypt"],
        &["-v2", "aes-256-cbc", "-iter", "1"],
    ];
    for alg in SigningAlgorithm::ALL {
        let signer = SoftwareSigner::generate(alg).unwrap();
        for scheme in schemes {
            let pem = encrypt_with_openssl(dir.path(), &signer, scheme);
            assert!(
                pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"),
                "{pem}"
            );
            let loaded =
                SoftwareSigner::from_encrypted_pkcs8_pem(&pem, PASSPHRASE.as_bytes()).unwrap();
            assert_eq!(loaded.public_key(), signer.public_key(), "{alg} {scheme:?}");
            assert_eq!(loaded.algorithm(), alg);
            // The loaded key signs for the original public key.
            let signature = loaded.sign(b"encrypted").unwrap();
            signer
                .public_key()
                .verify(b"encrypted", &signature)
                .unwrap();
        }
    }
}

#[test]
fn wrong_passphrase_is_a_decryption_error_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let pem = encrypt_with_openssl(dir.path(), &signer, &["-v2", "aes-256-cbc"]);
    // Many wrong passphrases: CBC padding rejects most, the rest decrypt to noise. Either
    // way the error is `Decryption`, never a panic.
    for i in 0..64 {
        let wrong = format!("wrong passphrase {i}");
        let err = SoftwareSigner::from_encrypted_pkcs8_pem(&pem, wrong.as_bytes()).unwrap_err();
        assert!(matches!(err, KeyError::Decryption), "{err:?}");
        let shown = format!("{err} {err:?}");
        assert!(!shown.contains(&wrong));
        assert!(!shown.contains(PASSPHRASE));
        assert!(shown.contains("wrong passphrase or corrupt"), "{shown}");
    }
    assert!(matches!(
        SoftwareSigner::from_encrypted_pkcs8_pem(&pem, b""),
        Err(KeyError::Decryption)
    ));
}

#[test]
fn corrupt_ciphertext_and_wrong_labels_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let signer = SoftwareSigner::generate(SigningAlgorithm::Ed25519).unwrap();
    let pem = encrypt_with_openssl(dir.path(), &signer, &["-v2", "aes-256-cbc"]);
    // An unencrypted key is the wrong label here.
    let err = SoftwareSigner::from_encrypted_pkcs8_pem(&signer.to_pkcs8_pem(), b"x").unwrap_err();
    assert!(
        matches!(err, KeyError::UnexpectedPemLabel { .. }),
        "{err:?}"
    );
    // Flip a byte in the last ciphertext block: decryption fails or yields noise.
    let der = pem_body(&pem);
    let mut corrupt = der.clone();
    let last = corrupt.len() - 1;
    corrupt[last] ^= 0x01;
    let err =
        SoftwareSigner::from_encrypted_pkcs8_der(&corrupt, PASSPHRASE.as_bytes()).unwrap_err();
    assert!(matches!(err, KeyError::Decryption), "{err:?}");
    // Truncated DER is malformed.
    let err =
        SoftwareSigner::from_encrypted_pkcs8_der(&der[..der.len() / 2], PASSPHRASE.as_bytes())
            .unwrap_err();
    assert!(matches!(err, KeyError::Malformed(_)), "{err:?}");
    // The untouched DER still loads.
    SoftwareSigner::from_encrypted_pkcs8_der(&der, PASSPHRASE.as_bytes()).unwrap();
}

#[test]
fn pbes1_is_unsupported() {
    let dir = tempfile::tempdir().unwrap();
    let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    // OpenSSL 3 still writes PBES1 (pbeWithSHA1And3-KeyTripleDES-CBC, PKCS#12 style) on request.
    let pem = encrypt_with_openssl(dir.path(), &signer, &["-v1", "PBE-SHA1-3DES"]);
    let err = SoftwareSigner::from_encrypted_pkcs8_pem(&pem, PASSPHRASE.as_bytes()).unwrap_err();
    assert!(matches!(err, KeyError::UnsupportedEncryption(_)), "{err:?}");
}

#[test]
fn excessive_kdf_cost_is_refused_before_deriving() {
    let dir = tempfile::tempdir().unwrap();
    let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let pem = encrypt_with_openssl(
        dir.path(),
        &signer,
        &[
            "-v2",
            "aes-256-cbc",
            "-scrypt",
            "-scrypt_N",
            "16384",
            "-scrypt_r",
            "8",
            "-scrypt_p",
            "1",
        ],
    );
    let der = pem_body(&pem);
    SoftwareSigner::from_encrypted_pkcs8_der(&der, PASSPHRASE.as_bytes()).unwrap();
    // scrypt-params: cost INTEGER 16384, blockSize INTEGER 8, parallelization INTEGER 1.
    let params = [0x02, 0x02, 0x40, 0x00, 0x02, 0x01, 0x08, 0x02, 0x01, 0x01];
    let at = der.windows(params.len()).position(|w| w == params).unwrap();
    // N = 32512, r = 127: about 528 MB of working memory (OpenSSL refuses to write such a file).
    let mut memory_hog = der.clone();
    memory_hog[at + 2] = 0x7f;
    memory_hog[at + 6] = 0x7f;
    // p = 127.
    let mut slow = der.clone();
    slow[at + 9] = 0x7f;
    for hostile in [memory_hog, slow] {
        let err =
            SoftwareSigner::from_encrypted_pkcs8_der(&hostile, PASSPHRASE.as_bytes()).unwrap_err();
        assert!(matches!(err, KeyError::UnsupportedEncryption(_)), "{err:?}");
    }
    // PBKDF2 iteration counts above 10,000,000 are refused the same way (the ciphertext is
    // never touched, so a dummy one will do).
    let params = pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(
        20_000_000, &[7; 16], [9; 16],
    )
    .unwrap();
    let dummy = [0u8; 48];
    let info = pkcs8::EncryptedPrivateKeyInfoRef {
        encryption_algorithm: params.into(),
        encrypted_data: der::asn1::OctetStringRef::new(&dummy).unwrap(),
    };
    let err = SoftwareSigner::from_encrypted_pkcs8_der(&der::Encode::to_der(&info).unwrap(), b"x");
    assert!(
        matches!(err, Err(KeyError::UnsupportedEncryption(_))),
        "{err:?}"
    );
}

#[test]
fn our_encrypted_export_loads_in_openssl_and_back() {
    let dir = tempfile::tempdir().unwrap();
    for (i, alg) in SigningAlgorithm::ALL.into_iter().enumerate() {
        let signer = SoftwareSigner::generate(alg).unwrap();
        let pem = signer
            .to_encrypted_pkcs8_pem(PASSPHRASE.as_bytes())
            .unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----\n"));
        assert!(pem.ends_with("-----END ENCRYPTED PRIVATE KEY-----\n"));
        assert!(!pem.contains("BEGIN PRIVATE KEY"));
        if i == 0 {
            // Salt and IV are fresh each time (scrypt is slow in debug builds: check once).
            assert_ne!(
                *pem,
                *signer
                    .to_encrypted_pkcs8_pem(PASSPHRASE.as_bytes())
                    .unwrap()
            );
            assert!(matches!(
                SoftwareSigner::from_encrypted_pkcs8_pem(&pem, b"nope"),
                Err(KeyError::Decryption)
            ));
        }

        let path = dir.path().join("ours.pem");
        std::fs::write(&path, pem.as_bytes()).unwrap();
        let pass = format!("pass:{PASSPHRASE}");
        let public = openssl(&[
            "pkey",
            "-in",
            path.to_str().unwrap(),
            "-passin",
            &pass,
            "-pubout",
        ]);
        assert_eq!(public, signer.public_key().to_pem(), "{alg}");

        let back = SoftwareSigner::from_encrypted_pkcs8_pem(&pem, PASSPHRASE.as_bytes()).unwrap();
        assert_eq!(back.public_key(), signer.public_key());
    }
}

/// The DER inside a PEM block (test helper; the input is our own well-formed PEM).
fn pem_body(pem: &str) -> Vec<u8> {
    pem_rfc7468::decode_vec(pem.as_bytes()).unwrap().1
}

#[test]
fn mutated_encrypted_keys_never_panic() {
    let dir = tempfile::tempdir().unwrap();
    let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    // One PBKDF2 iteration keeps each attempt cheap.
    let der = pem_body(&encrypt_with_openssl(
        dir.path(),
        &signer,
        &["-v2", "aes-256-cbc", "-iter", "1"],
    ));
    // A small deterministic generator (xorshift) picks positions and bytes.
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..500 {
        let mut mutated = der.clone();
        for _ in 0..1 + next() % 3 {
            let at = (next() % mutated.len() as u64) as usize;
            mutated[at] = next() as u8;
        }
        if next() % 4 == 0 {
            mutated.truncate((next() % mutated.len() as u64) as usize);
        }
        match SoftwareSigner::from_encrypted_pkcs8_der(&mutated, PASSPHRASE.as_bytes()) {
            // AES-CBC is not authenticated: a mutation may still decrypt to some valid key.
            Ok(_) => {}
            Err(err) => {
                let shown = format!("{err} {err:?}");
                assert!(!shown.contains(PASSPHRASE));
            }
        }
    }
}
