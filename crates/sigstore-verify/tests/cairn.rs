//! Bundles made by sigstore-python 4.5.1 and sigstore-js 4.1.1 against a Cairn dev instance
//! verify against that instance's trusted root, and each mutation fails with the error for
//! what was changed.

#![allow(clippy::unwrap_used)]

mod common;

use common::{alice, bundle, cairn, fixture, verifier};
use sigstore_bundle::{
    Bundle, Content, HashAlgorithm, HashOutput, MessageSignature, SignerMaterial,
};
use sigstore_verify::{
    Artifact, Policy, SanMatcher, TimeSource, VerifiedBundle, Verifier, VerifyError,
};
use trust_root::TrustedRoot;

const ISSUER: &str = "http://127.0.0.1:3950/dev/oidc";

fn py() -> Bundle {
    bundle("cairn/py.sigstore.json")
}

fn artifact() -> Vec<u8> {
    fixture("cairn/artifact.txt")
}

fn verify_py(b: &Bundle) -> Result<VerifiedBundle, VerifyError> {
    cairn().verify(b, Artifact::Bytes(&artifact()), &alice())
}

fn root() -> TrustedRoot {
    TrustedRoot::from_json(&fixture("cairn/trusted_root.json")).unwrap()
}

fn flip_last(bytes: &mut [u8]) {
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01;
}

fn without_timestamps(mut b: Bundle) -> Bundle {
    b.verification_material.timestamp_verification_data = None;
    b
}

fn without_set(mut b: Bundle) -> Bundle {
    b.verification_material.tlog_entries[0].inclusion_promise = None;
    b
}

fn message_signature(b: &mut Bundle) -> &mut MessageSignature {
    match &mut b.content {
        Content::MessageSignature(m) => m,
        Content::DsseEnvelope(_) => panic!("not a message signature"),
    }
}

#[test]
fn python_message_signature_verifies_with_both_times() {
    let v = verify_py(&py()).unwrap();
    let entry = &py().verification_material.tlog_entries[0];
    assert_eq!(v.times.len(), 2);
    assert!(matches!(v.times[0].source, TimeSource::Rfc3161 { .. }));
    assert_eq!(
        v.times[1],
        sigstore_verify::VerifiedTime {
            unix: entry.integrated_time,
            source: TimeSource::TransparencyLog {
                log: "http://127.0.0.1:3950".to_owned()
            }
        }
    );
    // The TSA time and the log time are within a few seconds of each other.
    assert!((v.times[0].unix - v.times[1].unix).abs() < 60);
    let cert = v.certificate.unwrap();
    assert_eq!(cert.identities, ["alice@example.com"]);
    assert_eq!(cert.issuer.as_deref(), Some(ISSUER));
    assert_eq!(cert.verified_scts, 1);
    assert_eq!(v.tlog_entries.len(), 1);
    assert_eq!(v.tlog_entries[0].kind, "hashedrekord");
    assert_eq!(v.tlog_entries[0].log_index, entry.log_index);
    assert_eq!(
        v.tlog_entries[0].integrated_time,
        Some(entry.integrated_time)
    );
    assert!(v.statement.is_none());
}

#[test]
fn every_client_bundle_verifies() {
    for (bundle_file, artifact_file, kind) in [
        (
            "cairn/js.sigstore.json",
            "cairn/artifact-js.txt",
            "hashedrekord",
        ),
        (
            "cairn/py-dsse.sigstore.json",
            "cairn/artifact-attest.txt",
            "dsse",
        ),
        (
            "cairn/js-dsse.sigstore.json",
            "cairn/artifact-js-attest.txt",
            "dsse",
        ),
        (
            "cairn/js-intoto.sigstore.json",
            "cairn/artifact-js-attest.txt",
            "intoto",
        ),
    ] {
        let b = bundle(bundle_file);
        let v = cairn()
            .verify(&b, Artifact::Bytes(&fixture(artifact_file)), &alice())
            .unwrap_or_else(|e| panic!("{bundle_file}: {e}"));
        assert_eq!(v.tlog_entries[0].kind, kind, "{bundle_file}");
        assert_eq!(v.certificate.unwrap().verified_scts, 1);
    }
}

#[test]
fn digest_only_verification() {
    use sha2::Digest as _;
    let digest: [u8; 32] = sha2::Sha256::digest(artifact()).into();
    cairn()
        .verify(&py(), Artifact::Digest { sha256: digest }, &alice())
        .unwrap();
    let err = cairn()
        .verify(&py(), Artifact::Digest { sha256: [0; 32] }, &alice())
        .unwrap_err();
    assert!(matches!(err, VerifyError::ArtifactDigestMismatch), "{err}");
}

#[test]
fn attestation_statement_is_returned() {
    let b = bundle("cairn/js-dsse.sigstore.json");
    let v = cairn().verify_attestation(&b, &alice()).unwrap();
    let statement = v.statement.unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&fixture("cairn/statement.json")).unwrap();
    assert_eq!(statement, expected);
    // A message signature needs its artifact.
    assert!(matches!(
        cairn().verify_attestation(&py(), &alice()),
        Err(VerifyError::InvalidPolicy(_))
    ));
}

#[test]
fn each_time_source_suffices_alone() {
    let v = verify_py(&without_timestamps(py())).unwrap();
    assert_eq!(v.times.len(), 1);
    assert!(matches!(
        v.times[0].source,
        TimeSource::TransparencyLog { .. }
    ));
    let v = verify_py(&without_set(py())).unwrap();
    assert_eq!(v.times.len(), 1);
    assert!(matches!(v.times[0].source, TimeSource::Rfc3161 { .. }));
    assert_eq!(v.tlog_entries[0].integrated_time, None);
    let err = verify_py(&without_set(without_timestamps(py()))).unwrap_err();
    assert!(matches!(err, VerifyError::NoVerifiedTime), "{err}");
}

#[test]
fn flipped_signature() {
    let mut b = py();
    flip_last(&mut message_signature(&mut b).signature);
    // The timestamp covers the signature, so it fails first…
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(&err, VerifyError::Timestamp { index: 0, reason } if reason.contains("imprint")),
        "{err}"
    );
    // …and without it the log entry no longer matches.
    let err = verify_py(&without_timestamps(b)).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::EntryMismatch {
                index: 0,
                field: "signature"
            }
        ),
        "{err}"
    );
}

#[test]
fn flipped_certificate() {
    // The last byte is inside the issuer's signature over the certificate.
    let mut b = py();
    let SignerMaterial::Certificate(der) = &mut b.verification_material.signer else {
        panic!()
    };
    flip_last(der);
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::UntrustedCertificate { .. }),
        "{err}"
    );

    // Changing the e-mail address breaks the same signature.
    let mut b = py();
    let SignerMaterial::Certificate(der) = &mut b.verification_material.signer else {
        panic!()
    };
    let at = der.windows(5).position(|w| w == b"alice").unwrap();
    der[at] = b'A';
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::UntrustedCertificate { .. }),
        "{err}"
    );

    // Garbage is not a certificate.
    let mut b = py();
    b.verification_material.signer = SignerMaterial::Certificate(vec![0x30, 0x03, 1, 2, 3]);
    assert!(matches!(
        verify_py(&b),
        Err(VerifyError::MalformedCertificate(_))
    ));
}

#[test]
fn flipped_set() {
    let mut b = py();
    let promise = b.verification_material.tlog_entries[0]
        .inclusion_promise
        .as_mut()
        .unwrap();
    flip_last(&mut promise.signed_entry_timestamp);
    let err = verify_py(&b).unwrap_err();
    assert!(matches!(err, VerifyError::InvalidSet { index: 0 }), "{err}");
    // Another integrated time is not covered by the SET either.
    let mut b = py();
    b.verification_material.tlog_entries[0].integrated_time += 1;
    let err = verify_py(&b).unwrap_err();
    assert!(matches!(err, VerifyError::InvalidSet { index: 0 }), "{err}");
}

fn envelope(b: &mut Bundle) -> &mut String {
    &mut b.verification_material.tlog_entries[0]
        .inclusion_proof
        .as_mut()
        .unwrap()
        .checkpoint
        .envelope
}

#[test]
fn tampered_checkpoint() {
    // A flipped signature byte (the base64 just before the final newline).
    let mut b = py();
    let text = envelope(&mut b);
    let pos = text.len() - 3;
    let replacement = if &text[pos..pos + 1] == "A" { "B" } else { "A" };
    text.replace_range(pos..pos + 1, replacement);
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidCheckpoint { index: 0, .. }),
        "{err}"
    );

    // Another tree size in the signed text.
    let mut b = py();
    let text = envelope(&mut b);
    let mut lines: Vec<String> = text.split('\n').map(str::to_owned).collect();
    lines[1] = format!("{}", lines[1].parse::<u64>().unwrap() + 1);
    *text = lines.join("\n");
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidCheckpoint { index: 0, .. }),
        "{err}"
    );

    // Not a note at all.
    let mut b = py();
    *envelope(&mut b) = "garbage".to_owned();
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidCheckpoint { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn tampered_inclusion_proof() {
    let mut b = py();
    let proof = b.verification_material.tlog_entries[0]
        .inclusion_proof
        .as_mut()
        .unwrap();
    assert!(!proof.hashes.is_empty());
    flip_last(&mut proof.hashes[0]);
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidInclusionProof { index: 0, .. }),
        "{err}"
    );

    let mut b = py();
    let proof = b.verification_material.tlog_entries[0]
        .inclusion_proof
        .as_mut()
        .unwrap();
    proof.log_index = 0;
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidInclusionProof { index: 0, .. }),
        "{err}"
    );

    // The proof's own root must be the checkpoint's.
    let mut b = py();
    let proof = b.verification_material.tlog_entries[0]
        .inclusion_proof
        .as_mut()
        .unwrap();
    flip_last(&mut proof.root_hash);
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidCheckpoint { index: 0, .. }),
        "{err}"
    );

    // v0.2+ bundles need the proof.
    let mut b = py();
    b.verification_material.tlog_entries[0].inclusion_proof = None;
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::MissingInclusionProof { index: 0 }),
        "{err}"
    );
}

#[test]
fn tampered_body() {
    // The SET covers the body…
    let mut b = py();
    let body = &mut b.verification_material.tlog_entries[0].canonicalized_body;
    let at = body.windows(6).position(|w| w == b"sha256").unwrap();
    body[at + 5] = b'5';
    let err = verify_py(&b).unwrap_err();
    assert!(matches!(err, VerifyError::InvalidSet { index: 0 }), "{err}");
    // …and so does the inclusion proof.
    let err = verify_py(&without_set(b)).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidInclusionProof { index: 0, .. }),
        "{err}"
    );

    let mut b = py();
    b.verification_material.tlog_entries[0].kind_version.version = "0.0.2".to_owned();
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::MalformedEntry { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn tampered_timestamp() {
    let mut b = py();
    let tvd = b
        .verification_material
        .timestamp_verification_data
        .as_mut()
        .unwrap();
    // The last byte is inside the CMS signature.
    flip_last(&mut tvd.rfc3161_timestamps[0].signed_timestamp);
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(&err, VerifyError::Timestamp { index: 0, reason } if reason.contains("signature")),
        "{err}"
    );

    let mut b = py();
    let tvd = b
        .verification_material
        .timestamp_verification_data
        .as_mut()
        .unwrap();
    tvd.rfc3161_timestamps[0].signed_timestamp.truncate(40);
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::Timestamp { index: 0, .. }),
        "{err}"
    );

    let mut b = py();
    let tvd = b
        .verification_material
        .timestamp_verification_data
        .as_mut()
        .unwrap();
    let copy = tvd.rfc3161_timestamps[0].clone();
    tvd.rfc3161_timestamps.push(copy);
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::DuplicateTimestamp { index: 1 }),
        "{err}"
    );
}

#[test]
fn swapped_artifact() {
    let err = cairn()
        .verify(
            &py(),
            Artifact::Bytes(&fixture("cairn/artifact-js.txt")),
            &alice(),
        )
        .unwrap_err();
    assert!(matches!(err, VerifyError::ArtifactDigestMismatch), "{err}");
    // An attestation about another artifact.
    let err = cairn()
        .verify(
            &bundle("cairn/js-dsse.sigstore.json"),
            Artifact::Bytes(&artifact()),
            &alice(),
        )
        .unwrap_err();
    assert!(matches!(err, VerifyError::SubjectMismatch), "{err}");
}

#[test]
fn identity_policy() {
    let check = |policy: Policy| cairn().verify(&py(), Artifact::Bytes(&artifact()), &policy);
    check(Policy::Identity {
        san: SanMatcher::Regex(r"alice@example\.(com|org)".to_owned()),
        issuer: ISSUER.to_owned(),
    })
    .unwrap();
    check(Policy::None).unwrap();

    let err = check(Policy::identity("bob@example.com", ISSUER)).unwrap_err();
    assert!(
        matches!(&err, VerifyError::IdentityMismatch { found, .. } if found == &["alice@example.com"]),
        "{err}"
    );
    // The regex is anchored.
    let err = check(Policy::Identity {
        san: SanMatcher::Regex("lice@example".to_owned()),
        issuer: ISSUER.to_owned(),
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::IdentityMismatch { .. }), "{err}");
    let err = check(Policy::Identity {
        san: SanMatcher::Regex("(".to_owned()),
        issuer: ISSUER.to_owned(),
    })
    .unwrap_err();
    assert!(matches!(err, VerifyError::InvalidPolicy(_)), "{err}");

    let err = check(Policy::identity(
        "alice@example.com",
        "https://accounts.google.com",
    ))
    .unwrap_err();
    assert!(
        matches!(&err, VerifyError::IssuerMismatch { found: Some(f), .. } if f == ISSUER),
        "{err}"
    );
    let key =
        keys::PublicKey::from_pem(&String::from_utf8(fixture("cairn/managed-key/mk.pub")).unwrap())
            .unwrap();
    assert!(matches!(
        check(Policy::PublicKey(key)),
        Err(VerifyError::InvalidPolicy(_))
    ));
}

#[test]
fn another_instances_trusted_root() {
    let other = verifier("cairn/other-trusted_root.json");
    let err = other
        .verify(&py(), Artifact::Bytes(&artifact()), &alice())
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::Timestamp { index: 0, .. }),
        "{err}"
    );
    let err = other
        .verify(
            &without_timestamps(py()),
            Artifact::Bytes(&artifact()),
            &alice(),
        )
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::UnknownLog { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn sct_checks() {
    // A root without CT logs: no SCT can verify.
    let mut no_ct = root();
    no_ct.ctlogs.clear();
    let err = Verifier::new(&no_ct)
        .unwrap()
        .verify(&py(), Artifact::Bytes(&artifact()), &alice())
        .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::SctThreshold {
                verified: 0,
                required: 1
            }
        ),
        "{err}"
    );
    // …unless the SCT requirement is off.
    Verifier::new(&no_ct)
        .unwrap()
        .with_sct_threshold(0)
        .verify(&py(), Artifact::Bytes(&artifact()), &alice())
        .unwrap();

    // The CT log's ID with another key: the SCT is found but does not verify.
    let mut wrong_key = root();
    wrong_key.ctlogs[0].public_key.raw_bytes = wrong_key.tlogs[0].public_key.raw_bytes.clone();
    let err = Verifier::new(&wrong_key)
        .unwrap()
        .verify(&py(), Artifact::Bytes(&artifact()), &alice())
        .unwrap_err();
    assert!(matches!(err, VerifyError::InvalidSct { .. }), "{err}");

    // The CT key's window must cover the SCT time.
    let mut expired = root();
    expired.ctlogs[0].public_key.valid_for.end = Some("2000-01-01T00:00:00Z".to_owned());
    let err = Verifier::new(&expired)
        .unwrap()
        .verify(&py(), Artifact::Bytes(&artifact()), &alice())
        .unwrap_err();
    assert!(matches!(err, VerifyError::InvalidSct { .. }), "{err}");
}

#[test]
fn validity_windows() {
    let run = |root: &TrustedRoot| {
        Verifier::new(root)
            .unwrap()
            .verify(&py(), Artifact::Bytes(&artifact()), &alice())
            .unwrap_err()
    };
    let mut ca = root();
    ca.certificate_authorities[0].valid_for.end = Some("2001-01-01T00:00:00Z".to_owned());
    assert!(matches!(run(&ca), VerifyError::UntrustedCertificate { .. }));

    let mut tlog = root();
    tlog.tlogs[0].public_key.valid_for.start = "2099-01-01T00:00:00Z".to_owned();
    assert!(matches!(
        run(&tlog),
        VerifyError::LogKeyExpired { index: 0, .. }
    ));

    let mut tsa = root();
    tsa.timestamp_authorities[0].valid_for.start = "2099-01-01T00:00:00Z".to_owned();
    assert!(
        matches!(run(&tsa), VerifyError::Timestamp { index: 0, ref reason } if reason.contains("validity"))
    );
}

#[test]
fn bundle_structure_rules() {
    // v0.1 bundles need a SET.
    let mut b = without_set(py());
    b.media_type = sigstore_bundle::MEDIA_TYPE_V0_1.to_owned();
    let err = verify_py(&b).unwrap_err();
    assert!(matches!(err, VerifyError::MissingSet { index: 0 }), "{err}");

    let mut b = py();
    b.media_type = "application/json".to_owned();
    assert!(matches!(
        verify_py(&b),
        Err(VerifyError::UnsupportedMediaType(_))
    ));

    let mut b = py();
    let entry = b.verification_material.tlog_entries[0].clone();
    b.verification_material.tlog_entries.push(entry);
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::DuplicateTlogEntry { index: 1 }),
        "{err}"
    );

    let mut b = without_set(py());
    b.verification_material.tlog_entries.clear();
    let err = verify_py(&b).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::TlogThreshold {
                verified: 0,
                required: 1
            }
        ),
        "{err}"
    );

    let mut b = bundle("cairn/js-dsse.sigstore.json");
    let Content::DsseEnvelope(e) = &mut b.content else {
        panic!()
    };
    let sig = e.signatures[0].clone();
    e.signatures.push(sig);
    assert!(matches!(
        cairn().verify_attestation(&b, &alice()),
        Err(VerifyError::DsseSignatureCount(2))
    ));
}

#[test]
fn tampered_dsse_payload() {
    let mut b = without_timestamps(bundle("cairn/py-dsse.sigstore.json"));
    let Content::DsseEnvelope(e) = &mut b.content else {
        panic!()
    };
    flip_last(&mut e.payload);
    let err = cairn().verify_attestation(&b, &alice()).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::EntryMismatch {
                index: 0,
                field: "payload hash"
            }
        ),
        "{err}"
    );
    // The same for the intoto 0.0.2 entry sigstore-js writes.
    let mut b = without_timestamps(bundle("cairn/js-intoto.sigstore.json"));
    let Content::DsseEnvelope(e) = &mut b.content else {
        panic!()
    };
    e.payload_type = "text/plain".to_owned();
    let err = cairn().verify_attestation(&b, &alice()).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::EntryMismatch {
                index: 0,
                field: "payload type"
            }
        ),
        "{err}"
    );
    // A DSSE bundle whose entry is a hashedrekord.
    let mut b = bundle("cairn/py-dsse.sigstore.json");
    b.verification_material.tlog_entries = without_set(py()).verification_material.tlog_entries;
    let err = cairn().verify_attestation(&b, &alice()).unwrap_err();
    assert!(
        matches!(err, VerifyError::EntryMismatch { index: 0, field } if field.starts_with("content type")),
        "{err}"
    );
}

/// A managed-key bundle: the key signed the artifact with `openssl dgst -sha256 -sign`, the
/// Rekor entry came from Cairn's `POST /api/v1/log/entries` (see `managed-key/README.md`).
fn managed_key_bundle() -> (Bundle, keys::PublicKey, Vec<u8>) {
    use sha2::Digest as _;
    let entry = sigstore_bundle::rekor_v1_entry_from_json(&fixture(
        "cairn/managed-key/mk-rekor-response.json",
    ))
    .unwrap();
    let artifact = fixture("cairn/managed-key/artifact-mk.txt");
    let key =
        keys::PublicKey::from_pem(&String::from_utf8(fixture("cairn/managed-key/mk.pub")).unwrap())
            .unwrap();
    let b = Bundle::new_v0_3(
        SignerMaterial::PublicKey {
            hint: String::new(),
        },
        Content::MessageSignature(MessageSignature {
            message_digest: Some(HashOutput {
                algorithm: HashAlgorithm::Sha2_256,
                digest: sha2::Sha256::digest(&artifact).to_vec(),
            }),
            signature: fixture("cairn/managed-key/mk.sig"),
        }),
        vec![entry],
        vec![],
    );
    (b, key, artifact)
}

#[test]
fn managed_key_bundle_verifies() {
    let (b, key, artifact) = managed_key_bundle();
    // Through JSON and back, as the CLI would read it.
    let b = Bundle::from_json(b.to_json().as_bytes()).unwrap();
    let v = cairn()
        .verify(
            &b,
            Artifact::Bytes(&artifact),
            &Policy::PublicKey(key.clone()),
        )
        .unwrap();
    assert!(v.certificate.is_none());
    assert_eq!(v.times.len(), 1);

    let err = cairn()
        .verify(
            &b,
            Artifact::Bytes(b"other"),
            &Policy::PublicKey(key.clone()),
        )
        .unwrap_err();
    assert!(matches!(err, VerifyError::ArtifactDigestMismatch), "{err}");

    let other = keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let err = cairn()
        .verify(
            &b,
            Artifact::Bytes(&artifact),
            &Policy::PublicKey(keys::Signer::public_key(&other).clone()),
        )
        .unwrap_err();
    assert!(matches!(err, VerifyError::PublicKeyMismatch), "{err}");

    let err = cairn()
        .verify(&b, Artifact::Bytes(&artifact), &alice())
        .unwrap_err();
    assert!(matches!(err, VerifyError::InvalidPolicy(_)), "{err}");
}
