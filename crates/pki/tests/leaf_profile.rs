//! Fulcio's code-signing certificate: a golden dump pinning the profile byte for byte, openssl
//! verification, python `cryptography` parsing of every extension, and the precertificate
//! invariant checked against `cryptography`'s `tbs_precertificate_bytes`.

#![allow(clippy::unwrap_used)]

mod common;

use common::{TestCa, der, now, openssl_ok, pem_file, python, write};
use der::{Decode, Encode};
use keys::{PublicKey, Signer, SigningAlgorithm, SoftwareSigner};
use pki::{
    CertBuildError, Certificate, DistinguishedName, IssuerCert, LeafRequest, PreparedLeaf, Serial,
    SigstoreExtension, SubjectAltName, TbsEditError, ValidityPeriod, oid, tbs_without_extension,
};
use sha2::{Digest, Sha256};

/// Every Fulcio extension with a distinct value (arcs 1–6 raw, 8–24 `UTF8String`), in a
/// scrambled order, with two empty values that must be left out.
fn ci_extensions() -> Vec<SigstoreExtension> {
    let mut extensions: Vec<SigstoreExtension> = [
        1, 2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
    ]
    .into_iter()
    .map(|arc| SigstoreExtension::new(arc, format!("value-{arc} ünïcödé")))
    .collect();
    extensions[0].value = "https://token.actions.githubusercontent.com".into();
    extensions[6].value = "https://token.actions.githubusercontent.com".into();
    extensions[21].value = String::new(); // .23 deployment environment: empty, omitted
    extensions[3].value = String::new(); // .4 workflow name: empty, omitted
    extensions.reverse();
    extensions.swap(3, 17);
    extensions
}

fn email_extensions() -> Vec<SigstoreExtension> {
    vec![
        SigstoreExtension::new(24, "CgR1c2VyEgVsb2NhbA"),
        SigstoreExtension::new(1, "https://idp.example.com/realms/eng"),
        SigstoreExtension::new(8, "https://idp.example.com/realms/eng"),
    ]
}

// ---------------------------------------------------------------------------------------
// Golden dumps

/// A fixed SCT list: one SCT, fixed log ID, timestamp and signature bytes.
fn fixed_sct_list() -> Vec<u8> {
    let signature = [0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x02];
    let mut sct = vec![0u8];
    sct.extend_from_slice(&[0xab; 32]);
    sct.extend_from_slice(&1_750_000_001_234u64.to_be_bytes());
    sct.extend_from_slice(&[0, 0, 4, 3, 0, signature.len() as u8]);
    sct.extend_from_slice(&signature);
    let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
    list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
    list.extend_from_slice(&sct);
    list
}

/// A stable structural dump of a certificate: every TBS field and every extension's OID,
/// criticality and value in hex. The signature is included only when `deterministic`.
fn dump(cert_der: &[u8], deterministic: bool) -> String {
    let cert = Certificate::from_der(cert_der).unwrap();
    let tbs = cert.tbs_certificate();
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line(format!("version: {:?}", tbs.version()));
    line(format!(
        "serial: {}",
        hex::encode(tbs.serial_number().as_bytes())
    ));
    line(format!("tbs signature algorithm: {}", tbs.signature().oid));
    line(format!("issuer: {}", tbs.issuer()));
    line(format!(
        "issuer DER: {}",
        hex::encode(tbs.issuer().to_der().unwrap())
    ));
    line(format!(
        "validity: {} .. {}",
        tbs.validity().not_before.to_unix_duration().as_secs(),
        tbs.validity().not_after.to_unix_duration().as_secs()
    ));
    line(format!(
        "validity DER: {}",
        hex::encode(tbs.validity().to_der().unwrap())
    ));
    line(format!(
        "subject DER: {}",
        hex::encode(tbs.subject().to_der().unwrap())
    ));
    line(format!(
        "spki: {}",
        hex::encode(tbs.subject_public_key_info().to_der().unwrap())
    ));
    for extension in tbs.extensions().unwrap() {
        line(format!(
            "extension {} critical={} value={}",
            extension.extn_id,
            extension.critical,
            hex::encode(extension.extn_value.as_bytes())
        ));
    }
    line(format!(
        "tbs sha256: {}",
        hex::encode(Sha256::digest(tbs.to_der().unwrap()))
    ));
    line(format!(
        "signature algorithm: {}",
        cert.signature_algorithm().oid
    ));
    if deterministic {
        line(format!(
            "signature: {}",
            hex::encode(cert.signature().as_bytes().unwrap())
        ));
        line(format!(
            "certificate sha256: {}",
            hex::encode(Sha256::digest(cert_der))
        ));
    }
    out
}

/// The golden CA: a self-signed root from the fixed key (its serial is random, but nothing
/// of it reaches the leaf's TBS except its subject and SKI, which are fixed).
fn golden_issuer(key_file: &str) -> (SoftwareSigner, IssuerCert) {
    let signer = SoftwareSigner::from_pem(&common::data(key_file)).unwrap();
    let root = pki::generate_root(
        &signer,
        &DistinguishedName::new("Cairn Golden CA", "Cairn"),
        ValidityPeriod::starting_at(1_700_000_000, 20 * 365 * 86400),
    )
    .unwrap();
    (signer, IssuerCert::from_certificate(&root).unwrap())
}

fn golden_request(san: SubjectAltName, extensions: Vec<SigstoreExtension>) -> LeafRequest {
    LeafRequest {
        public_key: PublicKey::from_pem(&common::data("golden-leaf-p256.pub.pem")).unwrap(),
        san,
        extensions,
        not_before_unix: 1_750_000_000,
        validity_secs: pki::DEFAULT_LEAF_VALIDITY_SECS,
    }
}

fn golden_serial() -> Serial {
    Serial::from_be_bytes(&hex::decode("5ca1ab1e00112233445566778899aabbccddeeff").unwrap())
        .unwrap()
}

#[test]
fn golden_leaf_profiles() {
    let (p384, p384_issuer) = golden_issuer("golden-ca-p384.pkcs8.pem");
    let sct = fixed_sct_list();

    let email = PreparedLeaf::with_serial(
        &golden_request(
            SubjectAltName::Email("signer@example.com".into()),
            email_extensions(),
        ),
        &p384_issuer,
        golden_serial(),
    )
    .unwrap();
    common::golden(
        "leaf-email-final.txt",
        &dump(&email.finalize(&p384, &sct).unwrap(), false),
    );
    common::golden(
        "leaf-email-precert.txt",
        &dump(&email.precertificate(&p384).unwrap(), false),
    );

    let ci = PreparedLeaf::with_serial(
        &golden_request(
            SubjectAltName::Uri(
                "https://github.com/octo/repo/.github/workflows/release.yml@refs/tags/v1.0.0"
                    .into(),
            ),
            ci_extensions(),
        ),
        &p384_issuer,
        golden_serial(),
    )
    .unwrap();
    common::golden(
        "leaf-ci-uri-final.txt",
        &dump(&ci.finalize(&p384, &sct).unwrap(), false),
    );

    let username = PreparedLeaf::with_serial(
        &golden_request(
            SubjectAltName::Username("octocat!example.com".into()),
            email_extensions(),
        ),
        &p384_issuer,
        golden_serial(),
    )
    .unwrap();
    common::golden(
        "leaf-username-precert.txt",
        &dump(&username.precertificate(&p384).unwrap(), false),
    );

    // Ed25519 signatures are deterministic: this golden pins the whole certificate.
    let (ed, ed_issuer) = golden_issuer("golden-ca-ed25519.pkcs8.pem");
    let ed_leaf = PreparedLeaf::with_serial(
        &golden_request(
            SubjectAltName::Email("signer@example.com".into()),
            email_extensions(),
        ),
        &ed_issuer,
        golden_serial(),
    )
    .unwrap();
    common::golden(
        "leaf-email-ed25519-ca-final.txt",
        &dump(&ed_leaf.finalize(&ed, &sct).unwrap(), true),
    );
}

// ---------------------------------------------------------------------------------------
// Independent verification

/// Python: parse a final certificate (argv 1) and its precertificate (argv 2); print JSON.
const LEAF_PY: &str = r#"
import hashlib, json, sys
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.certificate_transparency import LogEntryType, Version, SignatureAlgorithm

final = x509.load_der_x509_certificate(open(sys.argv[1], "rb").read())
pre = x509.load_der_x509_certificate(open(sys.argv[2], "rb").read())

def der_utf8(b):
    # One DER UTF8String, short or long length form, nothing after it.
    assert b[0] == 0x0C, b.hex()
    if b[1] < 0x80:
        n, i = b[1], 2
    else:
        k = b[1] & 0x7F
        n, i = int.from_bytes(b[2:2 + k], "big"), 2 + k
    assert len(b) == i + n, "trailing bytes"
    return b[i:].decode("utf-8")

def describe(cert):
    out = {"extensions": [], "sigstore": {}}
    for e in cert.extensions:
        oid = e.oid.dotted_string
        out["extensions"].append([oid, e.critical])
        if oid.startswith("1.3.6.1.4.1.57264.1."):
            arc = int(oid.rsplit(".", 1)[1])
            raw = e.value.value
            out["sigstore"][str(arc)] = raw.decode("utf-8") if arc <= 6 else der_utf8(raw)
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    out["san_critical"] = san.critical
    names = list(san.value)
    assert len(names) == 1, names
    name = names[0]
    if isinstance(name, x509.RFC822Name):
        out["san"] = ["email", name.value]
    elif isinstance(name, x509.UniformResourceIdentifier):
        out["san"] = ["uri", name.value]
    elif isinstance(name, x509.OtherName):
        out["san"] = ["othername", name.type_id.dotted_string, name.value.hex()]
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    out["ku"] = [ku.critical, ku.value.digital_signature, ku.value.key_cert_sign,
                 ku.value.content_commitment, ku.value.key_encipherment]
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    out["eku"] = [eku.critical, [o.dotted_string for o in eku.value]]
    out["ski"] = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest.hex()
    out["aki"] = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier.hex()
    bits = cert.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    out["rfc7093_ski"] = hashlib.sha256(bits).digest()[:20].hex()
    out["subject_rdns"] = len(cert.subject.rdns)
    out["serial"] = format(cert.serial_number, "x")
    out["validity"] = [int(cert.not_valid_before_utc.timestamp()), int(cert.not_valid_after_utc.timestamp())]
    out["issuer"] = cert.issuer.rfc4514_string()
    try:
        cert.extensions.get_extension_for_class(x509.BasicConstraints)
        out["basic_constraints"] = True
    except x509.ExtensionNotFound:
        out["basic_constraints"] = False
    return out

out = {"final": describe(final), "pre": describe(pre)}
poison = pre.extensions.get_extension_for_class(x509.PrecertPoison)
out["poison"] = [poison.critical, poison.oid.dotted_string]
out["pre_last"] = pre.extensions[-1].oid.dotted_string
out["final_last"] = final.extensions[-1].oid.dotted_string
out["tbs_precertificate"] = final.tbs_precertificate_bytes.hex()
scts_ext = final.extensions.get_extension_for_class(x509.PrecertificateSignedCertificateTimestamps)
out["scts_critical"] = scts_ext.critical
out["scts_extn_value"] = scts_ext.value.public_bytes().hex()
out["scts"] = [{
    "version": s.version == Version.v1,
    "log_id": s.log_id.hex(),
    "timestamp_ms": int(s.timestamp.timestamp() * 1000),
    "entry_type": s.entry_type == LogEntryType.PRE_CERTIFICATE,
    "hash": s.signature_hash_algorithm.name,
    "sig_alg": s.signature_algorithm == SignatureAlgorithm.ECDSA,
    "signature": s.signature.hex(),
    "extensions": s.extension_bytes.hex(),
} for s in scts_ext.value]
print(json.dumps(out))
"#;

struct Issued {
    ca: TestCa,
    prepared: PreparedLeaf,
    precert: Vec<u8>,
    final_cert: Vec<u8>,
    sct_list: Vec<u8>,
}

fn issue(alg: SigningAlgorithm, san: SubjectAltName, extensions: Vec<SigstoreExtension>) -> Issued {
    let ca = TestCa::fulcio(alg);
    let leaf_key = common::fresh_key();
    let request = LeafRequest {
        public_key: leaf_key,
        san,
        extensions,
        not_before_unix: now() - 5,
        validity_secs: pki::DEFAULT_LEAF_VALIDITY_SECS,
    };
    let prepared = PreparedLeaf::new(&request, &ca.issuer()).unwrap();
    let precert = prepared.precertificate(&ca.intermediate_signer).unwrap();
    let sct_list = common::sct_list(&[
        ([0x11; 32], 1_750_000_000_123),
        ([0x22; 32], 1_750_000_000_456),
    ]);
    let final_cert = prepared
        .finalize(&ca.intermediate_signer, &sct_list)
        .unwrap();
    Issued {
        ca,
        prepared,
        precert,
        final_cert,
        sct_list,
    }
}

fn python_view(issued: &Issued) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let final_path = write(dir.path(), "final.der", &issued.final_cert);
    let pre_path = write(dir.path(), "pre.der", &issued.precert);
    serde_json::from_str(&python(LEAF_PY, &[&final_path, &pre_path])).unwrap()
}

#[test]
fn python_reads_every_extension_and_the_ct_invariant_holds() {
    let cases = [
        (
            SigningAlgorithm::EcdsaP384Sha384,
            SubjectAltName::Email("signer@example.com".into()),
            email_extensions(),
        ),
        (
            SigningAlgorithm::EcdsaP256Sha256,
            SubjectAltName::Uri(
                "https://github.com/octo/repo/.github/workflows/ci.yml@refs/heads/main".into(),
            ),
            ci_extensions(),
        ),
        (
            SigningAlgorithm::Ed25519,
            SubjectAltName::Username("octocat!example.com".into()),
            email_extensions(),
        ),
    ];
    for (alg, san, extensions) in cases {
        let issued = issue(alg, san.clone(), extensions.clone());
        let view = python_view(&issued);
        let expected_sigstore: serde_json::Map<String, serde_json::Value> = extensions
            .iter()
            .filter(|e| !e.value.is_empty())
            .map(|e| (e.arc.to_string(), e.value.clone().into()))
            .collect();
        let mut expected_order = vec![
            serde_json::json!(["2.5.29.15", true]),
            serde_json::json!(["2.5.29.37", false]),
            serde_json::json!(["2.5.29.14", false]),
            serde_json::json!(["2.5.29.35", false]),
            serde_json::json!(["2.5.29.17", true]),
        ];
        let mut arcs: Vec<u32> = extensions
            .iter()
            .filter(|e| !e.value.is_empty())
            .map(|e| e.arc)
            .collect();
        arcs.sort();
        for arc in arcs {
            expected_order.push(serde_json::json!([
                format!("1.3.6.1.4.1.57264.1.{arc}"),
                false
            ]));
        }
        let issuer_ski = issued
            .ca
            .issuer()
            .subject_key_identifier()
            .map(hex::encode)
            .unwrap();
        for (which, last) in [
            ("final", "1.3.6.1.4.1.11129.2.4.2"),
            ("pre", "1.3.6.1.4.1.11129.2.4.3"),
        ] {
            let v = &view[which];
            let mut order = expected_order.clone();
            order.push(serde_json::json!([last, which == "pre"]));
            assert_eq!(v["extensions"], serde_json::Value::Array(order), "{which}");
            assert_eq!(
                v["sigstore"],
                serde_json::Value::Object(expected_sigstore.clone())
            );
            assert_eq!(v["san_critical"], true);
            let expected_san = match &san {
                SubjectAltName::Email(e) => serde_json::json!(["email", e]),
                SubjectAltName::Uri(u) => serde_json::json!(["uri", u]),
                SubjectAltName::Username(u) => {
                    // value [0] EXPLICIT UTF8String: cryptography gives the inner UTF8String.
                    let mut utf8 = vec![0x0c, u.len() as u8];
                    utf8.extend_from_slice(u.as_bytes());
                    serde_json::json!(["othername", "1.3.6.1.4.1.57264.1.7", hex::encode(utf8)])
                }
            };
            assert_eq!(v["san"], expected_san);
            assert_eq!(
                v["ku"],
                serde_json::json!([true, true, false, false, false])
            );
            assert_eq!(v["eku"], serde_json::json!([false, ["1.3.6.1.5.5.7.3.3"]]));
            assert_eq!(v["ski"], v["rfc7093_ski"]);
            assert_eq!(v["aki"], issuer_ski);
            assert_eq!(v["subject_rdns"], 0);
            assert_eq!(v["basic_constraints"], false);
            assert_eq!(v["issuer"], "CN=Cairn Test Intermediate,O=Cairn Test");
            let validity = v["validity"].as_array().unwrap();
            assert_eq!(
                validity[1].as_i64().unwrap() - validity[0].as_i64().unwrap(),
                600
            );
        }
        assert_eq!(view["final"]["serial"], view["pre"]["serial"]);
        assert_eq!(view["final"]["validity"], view["pre"]["validity"]);
        assert_eq!(
            view["final"]["serial"],
            issued.prepared.serial().to_string().trim_start_matches('0')
        );
        assert_eq!(
            view["poison"],
            serde_json::json!([true, "1.3.6.1.4.1.11129.2.4.3"])
        );

        // The CT invariant: cryptography's TBS-without-SCTs of the final certificate equals
        // our TBS-without-poison of the precertificate, our `ct_tbs`, and our cut of the final.
        let python_tbs = hex::decode(view["tbs_precertificate"].as_str().unwrap()).unwrap();
        assert_eq!(
            tbs_without_extension(&issued.precert, &oid::CT_POISON).unwrap(),
            python_tbs
        );
        assert_eq!(
            tbs_without_extension(&issued.final_cert, &oid::CT_SCT_LIST).unwrap(),
            python_tbs
        );
        assert_eq!(issued.prepared.ct_tbs(), python_tbs);
        // The cut really removed something.
        let full_tbs = Certificate::from_der(&issued.final_cert)
            .unwrap()
            .tbs_certificate()
            .to_der()
            .unwrap();
        assert!(full_tbs.len() > python_tbs.len() + issued.sct_list.len());

        // The SCT list round-trips: extnValue = OCTET STRING(TLS list), two SCTs in order.
        assert_eq!(view["scts_critical"], false);
        let mut extn_value = vec![0x04, 0x81, issued.sct_list.len() as u8];
        if issued.sct_list.len() < 0x80 {
            extn_value = vec![0x04, issued.sct_list.len() as u8];
        }
        extn_value.extend_from_slice(&issued.sct_list);
        assert_eq!(view["scts_extn_value"], hex::encode(&extn_value));
        let scts = view["scts"].as_array().unwrap();
        assert_eq!(scts.len(), 2);
        for (sct, (log_id, ts)) in scts.iter().zip([
            ([0x11u8; 32], 1_750_000_000_123u64),
            ([0x22; 32], 1_750_000_000_456),
        ]) {
            assert_eq!(sct["version"], true);
            assert_eq!(sct["log_id"], hex::encode(log_id));
            assert_eq!(sct["timestamp_ms"], ts);
            assert_eq!(sct["entry_type"], true);
            assert_eq!(sct["hash"], "sha256");
            assert_eq!(sct["sig_alg"], true);
            assert_eq!(sct["extensions"], "");
            assert!(
                issued
                    .sct_list
                    .windows(sct["signature"].as_str().unwrap().len() / 2)
                    .any(|w| hex::encode(w) == sct["signature"].as_str().unwrap())
            );
        }
    }
}

#[test]
fn openssl_verifies_the_leaf_strictly() {
    let dir = tempfile::tempdir().unwrap();
    for (alg, san) in [
        (
            SigningAlgorithm::EcdsaP256Sha256,
            SubjectAltName::Email("signer@example.com".into()),
        ),
        (
            SigningAlgorithm::EcdsaP384Sha384,
            SubjectAltName::Uri("spiffe://example.org/ns/a/sa/b".into()),
        ),
        (
            SigningAlgorithm::Ed25519,
            SubjectAltName::Username("octocat!example.com".into()),
        ),
    ] {
        let issued = issue(alg, san, email_extensions());
        let root = write(dir.path(), "root.pem", pem_file(&der(&issued.ca.root)));
        let int = write(
            dir.path(),
            "int.pem",
            pem_file(&der(&issued.ca.intermediate)),
        );
        let leaf = write(dir.path(), "leaf.pem", pem_file(&issued.final_cert));
        let out = openssl_ok(&[
            "verify",
            "-x509_strict",
            "-purpose",
            "any",
            "-CAfile",
            &root,
            "-untrusted",
            &int,
            &leaf,
        ]);
        assert_eq!(out.trim(), format!("{leaf}: OK"), "{alg}");
        let without = write(
            dir.path(),
            "plain.pem",
            pem_file(
                &issued
                    .prepared
                    .certificate_without_scts(&issued.ca.intermediate_signer)
                    .unwrap(),
            ),
        );
        let out = openssl_ok(&[
            "verify",
            "-x509_strict",
            "-purpose",
            "any",
            "-CAfile",
            &root,
            "-untrusted",
            &int,
            &without,
        ]);
        assert_eq!(out.trim(), format!("{without}: OK"));

        let text = openssl_ok(&["x509", "-in", &leaf, "-noout", "-text"]);
        assert!(
            text.contains("Subject: \n")
                || text.contains("Subject:\n")
                || text.contains("Subject: \r\n"),
            "{text}"
        );
        assert!(
            text.contains("X509v3 Subject Alternative Name: critical"),
            "{text}"
        );
        assert!(text.contains("CT Precertificate SCTs:"), "{text}");
        assert!(text.contains("Log ID    : 11:11:11"), "{text}");
        let pre = write(dir.path(), "pre.pem", pem_file(&issued.precert));
        let text = openssl_ok(&["x509", "-in", &pre, "-noout", "-text"]);
        assert!(
            text.contains("CT Precertificate Poison: critical"),
            "{text}"
        );
    }
}

#[test]
fn leaf_requests_are_validated() {
    let ca = TestCa::fulcio(SigningAlgorithm::EcdsaP256Sha256);
    let issuer = ca.issuer();
    let base = LeafRequest {
        public_key: common::fresh_key(),
        san: SubjectAltName::Email("a@example.com".into()),
        extensions: email_extensions(),
        not_before_unix: now(),
        validity_secs: 600,
    };
    let with = |f: &dyn Fn(&mut LeafRequest)| {
        let mut request = base.clone();
        f(&mut request);
        PreparedLeaf::new(&request, &issuer)
    };
    let err = with(&|r| r.extensions.push(SigstoreExtension::new(7, "x")));
    assert!(
        matches!(err, Err(CertBuildError::InvalidExtensionArc(7))),
        "{err:?}"
    );
    let err = with(&|r| r.extensions.push(SigstoreExtension::new(7, "")));
    assert!(
        matches!(err, Err(CertBuildError::InvalidExtensionArc(7))),
        "{err:?}"
    );
    let err = with(&|r| r.extensions.push(SigstoreExtension::new(0, "x")));
    assert!(
        matches!(err, Err(CertBuildError::InvalidExtensionArc(0))),
        "{err:?}"
    );
    let err = with(&|r| r.extensions.push(SigstoreExtension::new(8, "again")));
    assert!(
        matches!(err, Err(CertBuildError::DuplicateExtension(8))),
        "{err:?}"
    );
    let err = with(&|r| {
        r.extensions
            .push(SigstoreExtension::new(9, "x".repeat(20_000)))
    });
    assert!(
        matches!(
            err,
            Err(CertBuildError::ExtensionValueTooLong { arc: 9, .. })
        ),
        "{err:?}"
    );
    let err = with(&|r| r.san = SubjectAltName::Email("ünïcödé@example.com".into()));
    assert!(
        matches!(err, Err(CertBuildError::InvalidSubjectAltName(_))),
        "{err:?}"
    );
    let err = with(&|r| r.san = SubjectAltName::Uri(String::new()));
    assert!(
        matches!(err, Err(CertBuildError::InvalidSubjectAltName(_))),
        "{err:?}"
    );
    let err = with(&|r| r.not_before_unix = now() + 6 * 365 * 86400);
    assert!(
        matches!(err, Err(CertBuildError::OutlivesIssuer { .. })),
        "{err:?}"
    );
    // A UTF-8 username is fine (UTF8String).
    with(&|r| r.san = SubjectAltName::Username("ünïcödé!example.com".into())).unwrap();

    // Signing needs the issuer's key; the SCT list must be well-formed.
    let prepared = PreparedLeaf::new(&base, &issuer).unwrap();
    let err = prepared.precertificate(&ca.root_signer);
    assert!(
        matches!(err, Err(CertBuildError::IssuerKeyMismatch)),
        "{err:?}"
    );
    for bad in [&[][..], &[0, 0], &[0, 5, 0, 4, 1, 2, 3]] {
        let err = prepared.finalize(&ca.intermediate_signer, bad);
        assert!(
            matches!(err, Err(CertBuildError::MalformedSctList(_))),
            "{err:?}"
        );
    }
    // Serial numbers: positive, at most 20 octets.
    assert!(Serial::from_be_bytes(&[0; 4]).is_err());
    assert!(Serial::from_be_bytes(&[0x80; 20]).is_err());
    assert!(Serial::from_be_bytes(&[0x7f; 20]).is_ok());
    assert!(Serial::from_be_bytes(&[0, 0, 0x80, 1]).is_ok());
    let a = Serial::random().unwrap();
    let b = Serial::random().unwrap();
    assert_ne!(a, b);
    assert!(a.as_be_bytes().len() <= 20 && a.as_be_bytes()[0] < 0x80);

    // Each preparation draws a fresh serial; one preparation signs the same TBS twice.
    let again = PreparedLeaf::new(&base, &issuer).unwrap();
    assert_ne!(prepared.serial(), again.serial());
    let one = prepared.precertificate(&ca.intermediate_signer).unwrap();
    let two = prepared.precertificate(&ca.intermediate_signer).unwrap();
    assert_eq!(
        tbs_without_extension(&one, &oid::CT_POISON).unwrap(),
        tbs_without_extension(&two, &oid::CT_POISON).unwrap()
    );
    // Issuing under a non-CA is refused.
    let leaf_cert = Certificate::from_der(
        &prepared
            .certificate_without_scts(&ca.intermediate_signer)
            .unwrap(),
    )
    .unwrap();
    assert!(matches!(
        PreparedLeaf::new(&base, &IssuerCert::from_certificate(&leaf_cert).unwrap()),
        Err(CertBuildError::IssuerNotCa)
    ));
}

#[test]
fn tbs_cutting_errors() {
    let issued = issue(
        SigningAlgorithm::EcdsaP256Sha256,
        SubjectAltName::Email("a@example.com".into()),
        email_extensions(),
    );
    let err = tbs_without_extension(&issued.final_cert, &oid::CT_POISON);
    assert!(
        matches!(err, Err(TbsEditError::ExtensionNotFound(_))),
        "{err:?}"
    );
    for garbage in [&b""[..], b"\x30\x00", b"hello", &issued.final_cert[..100]] {
        let err = tbs_without_extension(garbage, &oid::CT_SCT_LIST);
        assert!(matches!(err, Err(TbsEditError::Malformed(_))), "{err:?}");
    }
    let mut trailing = issued.final_cert.clone();
    trailing.push(0);
    assert!(matches!(
        tbs_without_extension(&trailing, &oid::CT_SCT_LIST),
        Err(TbsEditError::Malformed(_))
    ));
    // Removing a middle extension keeps the others in order.
    let cut = tbs_without_extension(&issued.final_cert, &oid::SUBJECT_KEY_IDENTIFIER).unwrap();
    let full = Certificate::from_der(&issued.final_cert).unwrap();
    let kept: Vec<_> = full
        .tbs_certificate()
        .extensions()
        .unwrap()
        .iter()
        .filter(|e| e.extn_id != oid::SUBJECT_KEY_IDENTIFIER)
        .map(|e| e.to_der().unwrap())
        .collect::<Vec<_>>();
    let kept_bytes: Vec<u8> = kept.concat();
    assert!(cut.windows(kept_bytes.len()).any(|w| w == kept_bytes));
    let _ = issued.ca.root_signer.public_key();
}
