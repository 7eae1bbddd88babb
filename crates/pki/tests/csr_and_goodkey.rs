//! CSRs made by openssl (accepted and refused) and the key policy on real and synthetic keys.

#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::openssl_ok;
use keys::HashAlgorithm;
use num_bigint::BigUint;
use pki::{CsrError, InsecureKey, KeyStrengthError, check_key_strength, verify_csr};

/// Generate a key with `openssl genpkey` and return its path.
fn genpkey(dir: &Path, name: &str, args: &[&str]) -> String {
    let path = dir.join(name).to_str().unwrap().to_owned();
    let mut all = vec!["genpkey"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-out", &path]);
    openssl_ok(&all);
    path
}

/// A CSR for the key at `key` (PEM), signed with `digest` (or the key's default).
fn csr(key: &str, digest: Option<&str>) -> String {
    let mut args = vec!["req", "-new", "-key", key, "-subj", "/CN=ignored/O=ignored"];
    if let Some(d) = digest {
        args.push(d);
    }
    openssl_ok(&args)
}

/// The SPKI DER of the key at `key`.
fn spki(key: &str) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(["pkey", "-in", key, "-pubout", "-outform", "DER"])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

fn pem_to_der(pem: &str) -> Vec<u8> {
    pem_rfc7468::decode_vec(pem.trim().as_bytes()).unwrap().1
}

/// Key name, `genpkey` arguments, `req` digest flag, expected hash, expected signature OID.
type CsrCase = (
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
    Option<HashAlgorithm>,
    &'static str,
);

/// Key name, `genpkey` arguments, expected error.
type RefusedKey = (
    &'static str,
    &'static [&'static str],
    fn(&KeyStrengthError) -> bool,
);

#[test]
fn openssl_csrs_verify() {
    let dir = tempfile::tempdir().unwrap();
    let cases: [CsrCase; 6] = [
        (
            "p256",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            None,
            Some(HashAlgorithm::Sha256),
            "1.2.840.10045.4.3.2",
        ),
        (
            "p256-sha512",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
            Some("-sha512"),
            Some(HashAlgorithm::Sha512),
            "1.2.840.10045.4.3.4",
        ),
        (
            "p384",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            Some("-sha384"),
            Some(HashAlgorithm::Sha384),
            "1.2.840.10045.4.3.3",
        ),
        (
            "ed25519",
            &["-algorithm", "ED25519"],
            None,
            None,
            "1.3.101.112",
        ),
        (
            "rsa2048",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            Some("-sha256"),
            Some(HashAlgorithm::Sha256),
            "1.2.840.113549.1.1.11",
        ),
        (
            "rsa3072",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
            Some("-sha384"),
            Some(HashAlgorithm::Sha384),
            "1.2.840.113549.1.1.12",
        ),
    ];
    for (name, keygen, digest, hash, sig_oid) in cases {
        let key = genpkey(dir.path(), name, keygen);
        let pem = csr(&key, digest);
        let verified = verify_csr(pem.as_bytes()).unwrap();
        assert_eq!(verified.public_key.spki_der(), spki(&key), "{name}");
        assert_eq!(verified.hash, hash, "{name}");
        assert_eq!(verified.signature_algorithm.to_string(), sig_oid, "{name}");
        // DER works as well; CRLF PEM too.
        let der = pem_to_der(&pem);
        assert_eq!(verify_csr(&der).unwrap().public_key, verified.public_key);
        let crlf = pem.replace('\n', "\r\n");
        assert_eq!(
            verify_csr(crlf.as_bytes()).unwrap().public_key,
            verified.public_key
        );
    }
}

#[test]
fn bad_csrs_are_refused_with_distinct_errors() {
    let dir = tempfile::tempdir().unwrap();
    let key = genpkey(
        dir.path(),
        "k",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let der = pem_to_der(&csr(&key, None));

    // Unparseable.
    for garbage in [
        &b""[..],
        b"hello",
        b"\x30\x03\x02\x01\x00",
        &der[..der.len() - 3],
    ] {
        let err = verify_csr(garbage).unwrap_err();
        assert!(matches!(err, CsrError::Malformed(_)), "{err:?}");
    }
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(matches!(verify_csr(&trailing), Err(CsrError::Malformed(_))));
    let wrong_label = pki::pem_string(&der);
    assert!(matches!(
        verify_csr(wrong_label.as_bytes()),
        Err(CsrError::Malformed(_))
    ));
    let bad_pem = "-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----";
    assert!(matches!(
        verify_csr(bad_pem.as_bytes()),
        Err(CsrError::Malformed(_))
    ));
    let huge = vec![b'A'; pki::MAX_CSR_LEN + 1];
    assert!(matches!(verify_csr(&huge), Err(CsrError::TooLarge { .. })));

    // Bad self-signature: flip a byte of the subject (signed data) or of the signature.
    let cn = der.windows(7).position(|w| w == b"ignored").unwrap();
    let mut tampered = der.clone();
    tampered[cn] ^= 0x20;
    let err = verify_csr(&tampered).unwrap_err();
    assert!(matches!(err, CsrError::BadSignature), "{err:?}");
    let mut tampered = der.clone();
    let last = tampered.len() - 1;
    tampered[last] ^= 0x01;
    let err = verify_csr(&tampered).unwrap_err();
    assert!(matches!(err, CsrError::BadSignature), "{err:?}");

    // A CSR signed by another key: splice another CSR's signature in.
    let other = genpkey(
        dir.path(),
        "o",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    );
    let other_der = pem_to_der(&csr(&other, None));
    let err = verify_csr(&splice_signature(&der, &other_der)).unwrap_err();
    assert!(matches!(err, CsrError::BadSignature), "{err:?}");

    // Weak or unsupported keys are refused before the signature is looked at.
    let rsa1024 = genpkey(
        dir.path(),
        "r",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
    );
    let err = verify_csr(csr(&rsa1024, Some("-sha256")).as_bytes()).unwrap_err();
    assert!(
        matches!(
            err,
            CsrError::Key(KeyStrengthError::Insecure(InsecureKey::RsaTooSmall {
                bits: 1024
            }))
        ),
        "{err:?}"
    );
    let p521 = genpkey(
        dir.path(),
        "p521",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
    );
    let err = verify_csr(csr(&p521, Some("-sha512")).as_bytes()).unwrap_err();
    assert!(
        matches!(err, CsrError::Key(ref k) if k.is_unsupported()),
        "{err:?}"
    );
    assert!(err.to_string().contains("P-521"), "{err}");
    // RSA-PSS signatures are not verified.
    let rsa = genpkey(
        dir.path(),
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    let pss = openssl_ok(&[
        "req",
        "-new",
        "-key",
        &rsa,
        "-subj",
        "/CN=x",
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sha256",
    ]);
    let err = verify_csr(pss.as_bytes()).unwrap_err();
    assert!(
        matches!(err, CsrError::UnsupportedSignatureAlgorithm(_)),
        "{err:?}"
    );
}

/// `csr` with its signature BIT STRING replaced by `donor`'s (both P-256 CSRs).
fn splice_signature(csr: &[u8], donor: &[u8]) -> Vec<u8> {
    use der::{Decode, Encode};
    use x509_cert::request::CertReq;
    let mut req = CertReq::from_der(csr).unwrap();
    req.signature = CertReq::from_der(donor).unwrap().signature;
    req.to_der().unwrap()
}

#[test]
fn real_keys_against_the_policy() {
    let dir = tempfile::tempdir().unwrap();
    let ok: [(&str, &[&str]); 5] = [
        (
            "p256",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        ),
        (
            "p384",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        ),
        ("ed25519", &["-algorithm", "ED25519"]),
        (
            "rsa2048",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        ),
        (
            "rsa4096",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
        ),
    ];
    for (name, args) in ok {
        let spki = spki(&genpkey(dir.path(), name, args));
        let key = check_key_strength(&spki).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(key.spki_der(), spki);
        pki::check_public_key_strength(&key).unwrap();
    }

    let refused: [RefusedKey; 7] = [
        (
            "rsa1024",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            |e| *e == KeyStrengthError::Insecure(InsecureKey::RsaTooSmall { bits: 1024 }),
        ),
        (
            "rsa-e3",
            &[
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-pkeyopt",
                "rsa_keygen_pubexp:3",
            ],
            |e| *e == KeyStrengthError::Insecure(InsecureKey::RsaExponent),
        ),
        (
            "rsa2056",
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2056"],
            |e| *e == KeyStrengthError::UnsupportedRsaSize { bits: 2056 },
        ),
        (
            "p521",
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
            |e| {
                matches!(e, KeyStrengthError::UnsupportedCurve { .. })
                    && e.is_unsupported()
                    && !e.is_insecure()
            },
        ),
        (
            "k256",
            &[
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:secp256k1",
            ],
            |e| matches!(e, KeyStrengthError::UnsupportedCurve { .. }),
        ),
        (
            "ed448",
            &["-algorithm", "ED448"],
            |e| matches!(e, KeyStrengthError::UnsupportedAlgorithm(o) if o.to_string() == "1.3.101.113"),
        ),
        ("x25519", &["-algorithm", "X25519"], |e| {
            matches!(e, KeyStrengthError::UnsupportedAlgorithm(_))
        }),
    ];
    for (name, args, expected) in refused {
        let spki = spki(&genpkey(dir.path(), name, args));
        let err = check_key_strength(&spki).unwrap_err();
        assert!(expected(&err), "{name}: {err:?}");
        if name.starts_with("rsa1") || name == "rsa-e3" {
            assert!(err.is_insecure() && !err.is_unsupported(), "{name}");
        }
    }

    // An EC point off the curve, garbage, oversize.
    let mut spki = spki(&genpkey(
        dir.path(),
        "p",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    ));
    let last = spki.len() - 1;
    spki[last] ^= 0x01;
    let err = check_key_strength(&spki).unwrap_err();
    assert!(
        matches!(
            err,
            KeyStrengthError::Insecure(InsecureKey::InvalidEcPoint(_))
        ),
        "{err:?}"
    );
    assert!(matches!(
        check_key_strength(b"junk"),
        Err(KeyStrengthError::Malformed(_))
    ));
    assert!(matches!(
        check_key_strength(&vec![0x30; pki::MAX_SPKI_LEN + 1]),
        Err(KeyStrengthError::Malformed(_))
    ));
}

/// A DER SPKI for an RSA modulus `n` and exponent `e` (no key behind it).
fn rsa_spki(n: &BigUint, e: u32) -> Vec<u8> {
    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        let mut out = vec![tag];
        let len = content.len();
        if len < 0x80 {
            out.push(len as u8);
        } else if len < 0x100 {
            out.extend_from_slice(&[0x81, len as u8]);
        } else {
            out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
        }
        out.extend_from_slice(content);
        out
    }
    fn integer(bytes: Vec<u8>) -> Vec<u8> {
        let mut bytes = bytes;
        if bytes[0] & 0x80 != 0 {
            bytes.insert(0, 0);
        }
        tlv(0x02, &bytes)
    }
    let rsa_public_key = tlv(
        0x30,
        &[
            integer(n.to_bytes_be()),
            integer(BigUint::from(e).to_bytes_be()),
        ]
        .concat(),
    );
    let mut bits = vec![0u8];
    bits.extend_from_slice(&rsa_public_key);
    let algorithm = hex::decode("300d06092a864886f70d0101010500").unwrap();
    tlv(0x30, &[algorithm, tlv(0x03, &bits)].concat())
}

fn has_small_factor(n: &BigUint) -> bool {
    (2u32..752).any(|p| (n % p) == BigUint::ZERO)
}

#[test]
fn synthetic_weak_moduli() {
    // Close factors: n = x(x + 2) with both odd and free of small factors; Fermat's first
    // round finds a = x + 1, b = 1.
    let mut x = (BigUint::from(3u32) << 1022u32) + BigUint::from(0x1234_5677u32);
    while has_small_factor(&x) || has_small_factor(&(&x + 2u32)) {
        x += 2u32;
    }
    let n = &x * (&x + 2u32);
    assert_eq!(n.bits(), 2048);
    assert_eq!(
        check_key_strength(&rsa_spki(&n, 65537)),
        Err(KeyStrengthError::Insecure(InsecureKey::RsaCloseFactors))
    );

    // Small factor: 751 · m.
    let m = (BigUint::from(1u32) << 2038u32) + BigUint::from(1u32);
    let n = BigUint::from(751u32) * &m;
    assert_eq!(n.bits(), 2048);
    let err = check_key_strength(&rsa_spki(&n, 65537)).unwrap_err();
    assert!(
        matches!(
            err,
            KeyStrengthError::Insecure(InsecureKey::RsaSmallFactor(_))
        ),
        "{err:?}"
    );

    // ROCA fingerprint: n ≡ 65537^k (mod p) for every fingerprint prime, built by the CRT
    // as ROCA primes are (p = k·M + 65537^a mod M).
    let primes = [
        11u32, 13, 17, 19, 37, 53, 61, 71, 73, 79, 97, 103, 107, 109, 127, 151, 157,
    ];
    let product: BigUint = primes.iter().map(|p| BigUint::from(*p)).product();
    let residue = BigUint::from(65537u32).modpow(&BigUint::from(1234u32), &product);
    let mut n = (BigUint::from(1u32) << 2047u32) / &product * &product + &residue;
    while has_small_factor(&n) {
        n += &product;
    }
    assert_eq!(n.bits(), 2048);
    assert_eq!(
        check_key_strength(&rsa_spki(&n, 65537)),
        Err(KeyStrengthError::Insecure(InsecureKey::RsaRoca))
    );
    // A nearby modulus without the fingerprint (or small factors) passes: the checks above
    // refused the moduli for their defects, not for being synthetic.
    let mut clean = &n + 2u32;
    while has_small_factor(&clean) {
        clean += 2u32;
    }
    assert!(check_key_strength(&rsa_spki(&clean, 65537)).is_ok());
    // And the exponent rule applies to it.
    assert_eq!(
        check_key_strength(&rsa_spki(&clean, 3)),
        Err(KeyStrengthError::Insecure(InsecureKey::RsaExponent))
    );
}
