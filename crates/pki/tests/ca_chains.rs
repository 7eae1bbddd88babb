//! Root, intermediate and TSA certificates: profiles checked by openssl and python
//! `cryptography`, and the load-time chain checks, positive and negative.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestCa, der, now, openssl, openssl_ok, pem_file, python, write};
use der::Decode;
use keys::{Signer, SigningAlgorithm, SoftwareSigner};
use pki::{
    CertBuildError, Certificate, CertificateChain, ChainError, DistinguishedName, ValidityPeriod,
    oid, validate_issuing_chain, validate_timestamping_chain,
};

/// Python: print the profile of a DER certificate as JSON.
const PROFILE_PY: &str = r#"
import hashlib, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

cert = x509.load_der_x509_certificate(open(sys.argv[1], "rb").read())
out = {
    "version": cert.version.name,
    "serial_bits": cert.serial_number.bit_length(),
    "serial_positive": cert.serial_number > 0,
    "subject": cert.subject.rfc4514_string(),
    "issuer": cert.issuer.rfc4514_string(),
    "signature_oid": cert.signature_algorithm_oid.dotted_string,
    "extensions": [[e.oid.dotted_string, e.critical] for e in cert.extensions],
}
for e in cert.extensions:
    v = e.value
    if isinstance(v, x509.KeyUsage):
        out["ku"] = {n: getattr(v, n) for n in ["digital_signature", "content_commitment",
            "key_encipherment", "data_encipherment", "key_agreement", "key_cert_sign", "crl_sign"]}
    elif isinstance(v, x509.BasicConstraints):
        out["bc"] = [v.ca, v.path_length]
    elif isinstance(v, x509.ExtendedKeyUsage):
        out["eku"] = [o.dotted_string for o in v]
    elif isinstance(v, x509.SubjectKeyIdentifier):
        out["ski"] = v.digest.hex()
    elif isinstance(v, x509.AuthorityKeyIdentifier):
        out["aki"] = v.key_identifier.hex()
        out["aki_issuer"] = v.authority_cert_issuer
pub = cert.public_key()
if isinstance(pub, ec.EllipticCurvePublicKey):
    bits = pub.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
else:
    bits = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
out["rfc7093_ski"] = hashlib.sha256(bits).digest()[:20].hex()
print(json.dumps(out))
"#;

fn profile(cert: &Certificate) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "cert.der", der(cert));
    serde_json::from_str(&python(PROFILE_PY, &[&path])).unwrap()
}

fn tsa_chain(alg: SigningAlgorithm) -> (TestCa, SoftwareSigner, Certificate) {
    let ca = TestCa::new(alg, oid::KP_TIME_STAMPING);
    let tsa_signer = SoftwareSigner::generate(alg).unwrap();
    let leaf = pki::issue_timestamping_leaf(
        &ca.intermediate_signer,
        &ca.intermediate,
        tsa_signer.public_key(),
        &DistinguishedName::new("Cairn Test TSA", "Cairn Test"),
        ValidityPeriod::starting_at(now() - 60, 365 * 86400),
    )
    .unwrap();
    (ca, tsa_signer, leaf)
}

#[test]
fn root_and_intermediate_profiles() {
    for alg in SigningAlgorithm::ALL {
        let ca = TestCa::fulcio(alg);
        let root = profile(&ca.root);
        assert_eq!(root["version"], "v3");
        assert_eq!(root["serial_positive"], true);
        assert!(root["serial_bits"].as_u64().unwrap() <= 159);
        assert!(root["serial_bits"].as_u64().unwrap() > 100);
        assert_eq!(root["subject"], "CN=Cairn Test Root,O=Cairn Test");
        assert_eq!(root["issuer"], root["subject"]);
        assert_eq!(
            root["extensions"],
            serde_json::json!([
                ["2.5.29.15", true],
                ["2.5.29.19", true],
                ["2.5.29.14", false]
            ])
        );
        assert_eq!(root["ku"]["key_cert_sign"], true);
        assert_eq!(root["ku"]["crl_sign"], true);
        assert_eq!(root["ku"]["digital_signature"], false);
        assert_eq!(root["bc"], serde_json::json!([true, 1]));
        assert_eq!(root["ski"], root["rfc7093_ski"]);
        assert!(root.get("eku").is_none());

        let int = profile(&ca.intermediate);
        assert_eq!(int["subject"], "CN=Cairn Test Intermediate,O=Cairn Test");
        assert_eq!(int["issuer"], root["subject"]);
        assert_eq!(
            int["extensions"],
            serde_json::json!([
                ["2.5.29.15", true],
                ["2.5.29.37", false],
                ["2.5.29.19", true],
                ["2.5.29.14", false],
                ["2.5.29.35", false]
            ])
        );
        assert_eq!(int["ku"]["key_cert_sign"], true);
        assert_eq!(int["ku"]["crl_sign"], true);
        assert_eq!(int["eku"], serde_json::json!(["1.3.6.1.5.5.7.3.3"]));
        assert_eq!(int["bc"], serde_json::json!([true, 0]));
        assert_eq!(int["ski"], int["rfc7093_ski"]);
        assert_eq!(int["aki"], root["ski"]);
        assert_eq!(int["aki_issuer"], serde_json::Value::Null);
        let expected_sig = match alg {
            SigningAlgorithm::EcdsaP256Sha256 => "1.2.840.10045.4.3.2",
            SigningAlgorithm::EcdsaP384Sha384 => "1.2.840.10045.4.3.3",
            SigningAlgorithm::Ed25519 => "1.3.101.112",
        };
        assert_eq!(int["signature_oid"], expected_sig);

        // Our own load-time check agrees.
        validate_issuing_chain(
            &ca.chain(),
            ca.intermediate_signer.public_key(),
            Some(oid::KP_CODE_SIGNING),
            now(),
        )
        .unwrap();
        validate_issuing_chain(
            &CertificateChain::new(vec![ca.root.clone()]).unwrap(),
            ca.root_signer.public_key(),
            Some(oid::KP_CODE_SIGNING),
            now(),
        )
        .unwrap();
    }
}

#[test]
fn openssl_verifies_ca_chains_strictly() {
    let dir = tempfile::tempdir().unwrap();
    for alg in SigningAlgorithm::ALL {
        let ca = TestCa::fulcio(alg);
        let root = write(dir.path(), "root.pem", pem_file(&der(&ca.root)));
        let int = write(dir.path(), "int.pem", pem_file(&der(&ca.intermediate)));
        let out = openssl_ok(&["verify", "-x509_strict", "-CAfile", &root, &int]);
        assert_eq!(out.trim(), format!("{int}: OK"));
        let out = openssl_ok(&[
            "verify",
            "-x509_strict",
            "-check_ss_sig",
            "-CAfile",
            &root,
            &root,
        ]);
        assert_eq!(out.trim(), format!("{root}: OK"));
        // The text form shows the profile as openssl reads it.
        let text = openssl_ok(&["x509", "-in", &int, "-noout", "-text"]);
        for expected in [
            "X509v3 Key Usage: critical",
            "Certificate Sign, CRL Sign",
            "X509v3 Extended Key Usage: \n                Code Signing",
            "X509v3 Basic Constraints: critical\n                CA:TRUE, pathlen:0",
        ] {
            assert!(
                text.contains(expected),
                "{alg}: {expected:?} not in\n{text}"
            );
        }
    }
}

#[test]
fn timestamping_chain_profile_and_openssl_timestampsign() {
    let dir = tempfile::tempdir().unwrap();
    for alg in SigningAlgorithm::ALL {
        let (ca, tsa_signer, leaf) = tsa_chain(alg);
        let p = profile(&leaf);
        assert_eq!(p["subject"], "CN=Cairn Test TSA,O=Cairn Test");
        assert_eq!(
            p["extensions"],
            serde_json::json!([
                ["2.5.29.15", true],
                ["2.5.29.37", true],
                ["2.5.29.14", false],
                ["2.5.29.35", false]
            ])
        );
        assert_eq!(p["eku"], serde_json::json!(["1.3.6.1.5.5.7.3.8"]));
        assert_eq!(p["ku"]["digital_signature"], true);
        assert_eq!(p["ku"]["key_cert_sign"], false);
        assert!(p.get("bc").is_none());
        assert_eq!(p["aki"], profile(&ca.intermediate)["ski"]);
        assert_eq!(
            profile(&ca.intermediate)["eku"],
            serde_json::json!(["1.3.6.1.5.5.7.3.8"])
        );

        let root = write(dir.path(), "root.pem", pem_file(&der(&ca.root)));
        let int = write(dir.path(), "int.pem", pem_file(&der(&ca.intermediate)));
        let tsa = write(dir.path(), "tsa.pem", pem_file(&der(&leaf)));
        let out = openssl_ok(&[
            "verify",
            "-x509_strict",
            "-purpose",
            "timestampsign",
            "-CAfile",
            &root,
            "-untrusted",
            &int,
            &tsa,
        ]);
        assert_eq!(out.trim(), format!("{tsa}: OK"));

        let chain =
            CertificateChain::new(vec![leaf, ca.intermediate.clone(), ca.root.clone()]).unwrap();
        validate_timestamping_chain(&chain, tsa_signer.public_key(), now()).unwrap();
        // Two certificates (leaf directly under the root) are enough.
    }
    // A TSA leaf issued directly by the root.
    let ca = TestCa::new(SigningAlgorithm::EcdsaP256Sha256, oid::KP_TIME_STAMPING);
    let tsa_signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let leaf = pki::issue_timestamping_leaf(
        &ca.root_signer,
        &ca.root,
        tsa_signer.public_key(),
        &DistinguishedName::new("Cairn Test TSA", ""),
        ValidityPeriod::starting_at(now() - 60, 86400),
    )
    .unwrap();
    assert_eq!(profile(&leaf)["subject"], "CN=Cairn Test TSA");
    let chain = CertificateChain::new(vec![leaf, ca.root.clone()]).unwrap();
    validate_timestamping_chain(&chain, tsa_signer.public_key(), now()).unwrap();
}

/// Flip the last byte of a certificate's DER (inside its signature).
fn break_signature(cert: &Certificate) -> Vec<u8> {
    let mut der = der(cert);
    let last = der.len() - 1;
    der[last] ^= 0x01;
    der
}

#[test]
fn issuing_chain_negative_cases() {
    let ca = TestCa::fulcio(SigningAlgorithm::EcdsaP256Sha256);
    let at = now();
    let code = Some(oid::KP_CODE_SIGNING);
    let key = ca.intermediate_signer.public_key();

    // Wrong key.
    let err = validate_issuing_chain(&ca.chain(), ca.root_signer.public_key(), code, at);
    assert!(matches!(err, Err(ChainError::KeyMismatch)), "{err:?}");

    // Broken signature on the intermediate.
    let broken = CertificateChain::from_der_certificates(vec![
        break_signature(&ca.intermediate),
        der(&ca.root),
    ])
    .unwrap();
    let err = validate_issuing_chain(&broken, key, code, at);
    assert!(
        matches!(err, Err(ChainError::BadSignature { index: 0, .. })),
        "{err:?}"
    );

    // Broken self-signature on the root.
    let broken = CertificateChain::from_der_certificates(vec![
        der(&ca.intermediate),
        break_signature(&ca.root),
    ])
    .unwrap();
    let err = validate_issuing_chain(&broken, key, code, at);
    assert!(matches!(err, Err(ChainError::RootNotSelfSigned)), "{err:?}");

    // Outer signature algorithm differing from the TBS's (ecdsa-with-SHA256 → SHA384 in the
    // outer AlgorithmIdentifier, the last OID in the DER).
    let mut mismatched = der(&ca.intermediate);
    let sha256_oid = [0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
    let outer = mismatched
        .windows(10)
        .rposition(|w| w == sha256_oid)
        .unwrap();
    mismatched[outer + 9] = 0x03;
    let chain = CertificateChain::from_der_certificates(vec![mismatched, der(&ca.root)]).unwrap();
    let err = validate_issuing_chain(&chain, key, code, at);
    assert!(
        matches!(&err, Err(ChainError::BadSignature { index: 0, reason }) if reason.contains("differs")),
        "{err:?}"
    );
    let child = Certificate::from_der(&chain.der_certificates()[0]).unwrap();
    assert!(matches!(
        pki::verify_issued_by(&child, &ca.root),
        Err(pki::SignatureCheckError::AlgorithmMismatch)
    ));
    pki::verify_issued_by(&ca.intermediate, &ca.root).unwrap();

    // No root at the end.
    let alone = CertificateChain::new(vec![ca.intermediate.clone()]).unwrap();
    let err = validate_issuing_chain(&alone, key, code, at);
    assert!(matches!(err, Err(ChainError::RootNotSelfSigned)), "{err:?}");

    // Intermediate under a different root of another name.
    let other = TestCa::fulcio(SigningAlgorithm::EcdsaP256Sha256);
    let other_root = pki::generate_root(
        &other.root_signer,
        &DistinguishedName::new("Another Root", "Elsewhere"),
        ValidityPeriod::starting_at(at - 60, 86400),
    )
    .unwrap();
    let mixed = CertificateChain::new(vec![ca.intermediate.clone(), other_root]).unwrap();
    let err = validate_issuing_chain(&mixed, key, code, at);
    assert!(
        matches!(err, Err(ChainError::NameMismatch { index: 0 })),
        "{err:?}"
    );
    // Same name, other key: the signature fails.
    let mixed = CertificateChain::new(vec![ca.intermediate.clone(), other.root.clone()]).unwrap();
    let err = validate_issuing_chain(&mixed, key, code, at);
    assert!(
        matches!(err, Err(ChainError::BadSignature { index: 0, .. })),
        "{err:?}"
    );

    // Outside the validity period.
    let err = validate_issuing_chain(&ca.chain(), key, code, at + 6 * 365 * 86400);
    assert!(
        matches!(err, Err(ChainError::Expired { index: 0 })),
        "{err:?}"
    );
    let err = validate_issuing_chain(&ca.chain(), key, code, at - 86400);
    assert!(
        matches!(err, Err(ChainError::NotYetValid { index: 0 })),
        "{err:?}"
    );

    // An intermediate without EKU: EKU chaining requires code signing on it.
    let no_eku = TestCa::new(SigningAlgorithm::EcdsaP256Sha256, oid::KP_CODE_SIGNING);
    let bare = pki::generate_intermediate(
        &no_eku.root_signer,
        &no_eku.root,
        no_eku.intermediate_signer.public_key(),
        &DistinguishedName::new("No EKU", "Cairn Test"),
        ValidityPeriod::starting_at(at - 60, 86400),
        &[],
    )
    .unwrap();
    let chain = CertificateChain::new(vec![bare, no_eku.root.clone()]).unwrap();
    let err = validate_issuing_chain(&chain, no_eku.intermediate_signer.public_key(), code, at);
    assert!(
        matches!(err, Err(ChainError::MissingEku { index: 0, purpose }) if purpose == oid::KP_CODE_SIGNING),
        "{err:?}"
    );
    // Without a required EKU the same chain is fine.
    validate_issuing_chain(&chain, no_eku.intermediate_signer.public_key(), None, at).unwrap();

    // A timestamping intermediate cannot issue code-signing certificates.
    let tsa = TestCa::new(SigningAlgorithm::EcdsaP256Sha256, oid::KP_TIME_STAMPING);
    let err = validate_issuing_chain(&tsa.chain(), tsa.intermediate_signer.public_key(), code, at);
    assert!(
        matches!(err, Err(ChainError::EkuNotPermitted { index: 0, .. })),
        "{err:?}"
    );

    // Not a CA: the TSA's end-entity certificate as the "issuing" certificate.
    let (tsa, tsa_signer, leaf) = tsa_chain(SigningAlgorithm::EcdsaP256Sha256);
    let chain =
        CertificateChain::new(vec![leaf, tsa.intermediate.clone(), tsa.root.clone()]).unwrap();
    let err = validate_issuing_chain(&chain, tsa_signer.public_key(), None, at);
    assert!(
        matches!(err, Err(ChainError::NotCa { index: 0 })),
        "{err:?}"
    );
    // And the builder refuses to issue under it.
    let err = pki::generate_intermediate(
        &tsa_signer,
        &chain.certificates()[0],
        tsa_signer.public_key(),
        &DistinguishedName::new("x", ""),
        ValidityPeriod::starting_at(at, 60),
        &[],
    );
    assert!(matches!(err, Err(CertBuildError::IssuerNotCa)), "{err:?}");

    // Path length: root (pathlen 1) → intermediate (pathlen 0) → sub-intermediate.
    let sub_signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let sub = pki::generate_intermediate(
        &ca.intermediate_signer,
        &ca.intermediate,
        sub_signer.public_key(),
        &DistinguishedName::new("Too Deep", "Cairn Test"),
        ValidityPeriod::starting_at(at - 60, 86400),
        &[oid::KP_CODE_SIGNING],
    )
    .unwrap();
    let deep = CertificateChain::new(vec![sub, ca.intermediate.clone(), ca.root.clone()]).unwrap();
    let err = validate_issuing_chain(&deep, sub_signer.public_key(), code, at);
    assert!(
        matches!(err, Err(ChainError::PathLenExceeded { index: 1 })),
        "{err:?}"
    );
}

#[test]
fn timestamping_chain_negative_cases() {
    let at = now();
    let (ca, tsa_signer, leaf) = tsa_chain(SigningAlgorithm::EcdsaP256Sha256);
    let chain = CertificateChain::new(vec![leaf.clone(), ca.intermediate.clone(), ca.root.clone()])
        .unwrap();

    let err = validate_timestamping_chain(&chain, ca.intermediate_signer.public_key(), at);
    assert!(matches!(err, Err(ChainError::KeyMismatch)), "{err:?}");

    let alone = CertificateChain::new(vec![leaf.clone()]).unwrap();
    let err = validate_timestamping_chain(&alone, tsa_signer.public_key(), at);
    assert!(
        matches!(err, Err(ChainError::TooShort { got: 1, min: 2 })),
        "{err:?}"
    );

    // A CA as the signing certificate.
    let err = validate_timestamping_chain(
        &CertificateChain::new(vec![ca.intermediate.clone(), ca.root.clone()]).unwrap(),
        ca.intermediate_signer.public_key(),
        at,
    );
    assert!(matches!(err, Err(ChainError::LeafIsCa)), "{err:?}");

    // An intermediate without the timestamping EKU.
    let bare_signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let bare = pki::generate_intermediate(
        &ca.root_signer,
        &ca.root,
        bare_signer.public_key(),
        &DistinguishedName::new("No EKU", "Cairn Test"),
        ValidityPeriod::starting_at(at - 60, 86400),
        &[],
    )
    .unwrap();
    let leaf2 = pki::issue_timestamping_leaf(
        &bare_signer,
        &bare,
        tsa_signer.public_key(),
        &DistinguishedName::new("TSA", ""),
        ValidityPeriod::starting_at(at - 60, 3600),
    )
    .unwrap();
    let chain = CertificateChain::new(vec![leaf2, bare, ca.root.clone()]).unwrap();
    let err = validate_timestamping_chain(&chain, tsa_signer.public_key(), at);
    assert!(
        matches!(err, Err(ChainError::MissingEku { index: 1, .. })),
        "{err:?}"
    );

    // A code-signing leaf (non-critical EKU codeSigning) is not a timestamping certificate.
    let fulcio = TestCa::fulcio(SigningAlgorithm::EcdsaP256Sha256);
    let request = pki::LeafRequest {
        public_key: tsa_signer.public_key().clone(),
        san: pki::SubjectAltName::Email("a@example.com".into()),
        extensions: vec![],
        not_before_unix: at - 10,
        validity_secs: 600,
    };
    let code_leaf = pki::PreparedLeaf::new(&request, &fulcio.issuer())
        .unwrap()
        .certificate_without_scts(&fulcio.intermediate_signer)
        .unwrap();
    let chain = CertificateChain::from_der_certificates(vec![
        code_leaf,
        der(&fulcio.intermediate),
        der(&fulcio.root),
    ])
    .unwrap();
    let err = validate_timestamping_chain(&chain, tsa_signer.public_key(), at);
    assert!(
        matches!(err, Err(ChainError::EkuNotPermitted { index: 0, .. })),
        "{err:?}"
    );
    // openssl agrees that it is not a timestamping certificate.
    let dir = tempfile::tempdir().unwrap();
    let root = write(
        dir.path(),
        "root.pem",
        pem_file(&chain.der_certificates()[2]),
    );
    let int = write(
        dir.path(),
        "int.pem",
        pem_file(&chain.der_certificates()[1]),
    );
    let leaf_path = write(
        dir.path(),
        "leaf.pem",
        pem_file(&chain.der_certificates()[0]),
    );
    let run = openssl(&[
        "verify",
        "-purpose",
        "timestampsign",
        "-CAfile",
        &root,
        "-untrusted",
        &int,
        &leaf_path,
    ]);
    assert!(!run.ok, "{}", run.stdout);
}

#[test]
fn builders_refuse_inconsistent_requests() {
    let ca = TestCa::fulcio(SigningAlgorithm::EcdsaP384Sha384);
    let key = common::fresh_key();
    let dn = DistinguishedName::new("Child", "Cairn Test");
    let at = now();
    // Signed by the wrong key.
    let err = pki::generate_intermediate(
        &ca.intermediate_signer,
        &ca.root,
        &key,
        &dn,
        ValidityPeriod::starting_at(at, 60),
        &[],
    );
    assert!(
        matches!(err, Err(CertBuildError::IssuerKeyMismatch)),
        "{err:?}"
    );
    // Outliving the parent.
    let err = pki::generate_intermediate(
        &ca.root_signer,
        &ca.root,
        &key,
        &dn,
        ValidityPeriod::starting_at(at, 20 * 365 * 86400),
        &[],
    );
    assert!(
        matches!(err, Err(CertBuildError::OutlivesIssuer { .. })),
        "{err:?}"
    );
    // Inverted validity, times out of range, names.
    let err = pki::generate_root(
        &ca.root_signer,
        &dn,
        ValidityPeriod {
            not_before_unix: at,
            not_after_unix: at - 1,
        },
    );
    assert!(
        matches!(err, Err(CertBuildError::InvertedValidity { .. })),
        "{err:?}"
    );
    let err = pki::generate_root(&ca.root_signer, &dn, ValidityPeriod::starting_at(-5, 60));
    assert!(
        matches!(err, Err(CertBuildError::TimeOutOfRange(-5))),
        "{err:?}"
    );
    let err = pki::generate_root(
        &ca.root_signer,
        &DistinguishedName::new("", "x"),
        ValidityPeriod::starting_at(at, 60),
    );
    assert!(
        matches!(err, Err(CertBuildError::EmptyCommonName)),
        "{err:?}"
    );
    let err = pki::generate_root(
        &ca.root_signer,
        &DistinguishedName::new("x".repeat(65), "x"),
        ValidityPeriod::starting_at(at, 60),
    );
    assert!(
        matches!(err, Err(CertBuildError::NameTooLong { .. })),
        "{err:?}"
    );
    // Duplicate EKU.
    let err = pki::generate_intermediate(
        &ca.root_signer,
        &ca.root,
        &key,
        &dn,
        ValidityPeriod::starting_at(at, 60),
        &[oid::KP_CODE_SIGNING, oid::KP_CODE_SIGNING],
    );
    assert!(
        matches!(err, Err(CertBuildError::DuplicateExtendedKeyUsage(_))),
        "{err:?}"
    );
    // GeneralizedTime after 2049 is written and read back.
    let late = pki::generate_root(
        &ca.root_signer,
        &dn,
        ValidityPeriod {
            not_before_unix: at,
            not_after_unix: 2_600_000_000,
        },
    )
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "late.pem", pem_file(&der(&late)));
    let text = openssl_ok(&["x509", "-in", &path, "-noout", "-enddate"]);
    assert_eq!(text.trim(), "notAfter=May 22 14:13:20 2052 GMT");
}

#[test]
fn chain_pem_round_trip() {
    let ca = TestCa::fulcio(SigningAlgorithm::EcdsaP256Sha256);
    let chain = ca.chain();
    let strings = chain.to_pem_strings();
    assert_eq!(strings.len(), 2);
    for (s, der) in strings.iter().zip(chain.der_certificates()) {
        assert!(s.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(
            s.ends_with("-----END CERTIFICATE-----"),
            "no trailing newline"
        );
        assert!(s.lines().all(|l| l.len() <= 64));
        // openssl reads each back to the same DER.
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "c.pem", s);
        let out = std::process::Command::new("openssl")
            .args(["x509", "-in", &path, "-outform", "DER"])
            .output()
            .unwrap();
        assert_eq!(&out.stdout, der);
    }
    // Parse back: joined, with CRLF, with text around the blocks (as openssl writes it).
    let joined = chain.to_pem();
    assert_eq!(joined, strings.join("\n"));
    let back = CertificateChain::from_pem(&joined).unwrap();
    assert_eq!(back.der_certificates(), chain.der_certificates());
    let noisy = format!(
        "subject=CN = x\n{}\r\n\r\nissuer=whatever\n{}\n\n",
        strings[0].replace('\n', "\r\n"),
        strings[1]
    );
    let back = CertificateChain::from_pem(&noisy).unwrap();
    assert_eq!(back.der_certificates(), chain.der_certificates());
    assert_eq!(back.root(), &ca.root);
    assert_eq!(back.first(), &ca.intermediate);

    // Errors.
    assert!(matches!(
        CertificateChain::from_pem(""),
        Err(ChainError::Empty)
    ));
    assert!(matches!(
        CertificateChain::from_pem("no pem here"),
        Err(ChainError::Empty)
    ));
    let key_pem = SoftwareSigner::generate(SigningAlgorithm::Ed25519)
        .unwrap()
        .to_pkcs8_pem();
    let err = CertificateChain::from_pem(&format!("{}\n{}", strings[0], *key_pem));
    assert!(
        matches!(err, Err(ChainError::UnexpectedPemLabel(ref l)) if l == "PRIVATE KEY"),
        "{err:?}"
    );
    let truncated = &strings[0][..strings[0].len() - 10];
    assert!(matches!(
        CertificateChain::from_pem(truncated),
        Err(ChainError::Pem(_))
    ));
    let garbage = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----";
    assert!(matches!(
        CertificateChain::from_pem(garbage),
        Err(ChainError::Malformed { index: 0, .. })
    ));
    let eleven = vec![strings[0].clone(); 11].join("\n");
    assert!(matches!(
        CertificateChain::from_pem(&eleven),
        Err(ChainError::TooLarge)
    ));
}

#[test]
fn unhandled_critical_extensions_are_refused() {
    // A precertificate carries the critical poison: it is not a CA certificate to load.
    let ca = TestCa::fulcio(SigningAlgorithm::EcdsaP256Sha256);
    let key = common::fresh_key();
    let request = pki::LeafRequest {
        public_key: key,
        san: pki::SubjectAltName::Uri("https://example.com/x".into()),
        extensions: vec![],
        not_before_unix: now() - 10,
        validity_secs: 600,
    };
    let precert = pki::PreparedLeaf::new(&request, &ca.issuer())
        .unwrap()
        .precertificate(&ca.intermediate_signer)
        .unwrap();
    let chain = CertificateChain::from_der_certificates(vec![
        precert,
        der(&ca.intermediate),
        der(&ca.root),
    ])
    .unwrap();
    let err = validate_issuing_chain(&chain, &common::fresh_key(), None, now());
    assert!(
        matches!(err, Err(ChainError::UnhandledCriticalExtension { index: 0, oid: o }) if o == oid::CT_POISON),
        "{err:?}"
    );
}
