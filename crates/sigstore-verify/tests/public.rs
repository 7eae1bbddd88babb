//! Sigstore public-good and staging bundles (from sigstore-python's test assets) verify
//! against the matching public trusted root, at the times the bundles prove, although their
//! certificates expired long ago.

#![allow(clippy::unwrap_used)]

mod common;

use common::{bundle, fixture, verifier};
use sigstore_bundle::{Bundle, Content};
use sigstore_verify::{Artifact, Policy, SanMatcher, TimeSource, Verifier, VerifyError};
use trust_root::TrustedRoot;

fn staging() -> Verifier {
    verifier("public/staging-trusted_root.json")
}

fn production() -> Verifier {
    verifier("public/production-trusted_root.json")
}

fn digest(hex_digest: &str) -> Artifact<'static> {
    Artifact::Digest {
        sha256: hex::decode(hex_digest).unwrap().try_into().unwrap(),
    }
}

fn rekor_v2() -> Bundle {
    bundle("public/staging-rekor-v2.txt.sigstore.json")
}

fn jku() -> Policy {
    Policy::identity("jku@goto.fi", "https://github.com/login/oauth")
}

fn verify_v2(b: &Bundle) -> Result<sigstore_verify::VerifiedBundle, VerifyError> {
    staging().verify(
        b,
        Artifact::Bytes(&fixture("public/staging-rekor-v2.txt")),
        &jku(),
    )
}

fn checkpoint(b: &mut Bundle) -> &mut String {
    &mut b.verification_material.tlog_entries[0]
        .inclusion_proof
        .as_mut()
        .unwrap()
        .checkpoint
        .envelope
}

#[test]
fn staging_rekor_v2_hashedrekord_with_tsa() {
    let v = verify_v2(&rekor_v2()).unwrap();
    assert_eq!(v.times.len(), 1);
    assert_eq!(
        v.times[0].source,
        TimeSource::Rfc3161 {
            authority: "https://timestamp.sigstage.dev/api/v1/timestamp".to_owned()
        }
    );
    // 2025-06-09T11:57:38Z, the token's genTime.
    assert_eq!(v.times[0].unix, 1_749_470_258);
    let entry = &v.tlog_entries[0];
    assert_eq!(entry.log, "https://log2025-alpha1.rekor.sigstage.dev");
    assert_eq!(
        (entry.kind.as_str(), entry.version.as_str()),
        ("hashedrekord", "0.0.2")
    );
    assert_eq!(entry.log_index, 645);
    assert_eq!(entry.integrated_time, None);
}

#[test]
fn rekor_v2_checkpoint_rules() {
    // A witness cosignature line (unknown key) is ignored.
    let mut b = rekor_v2();
    checkpoint(&mut b).push_str(
        "\u{2014} witness.example.org AAAAAQAAAABoRxyoAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
    );
    verify_v2(&b).unwrap();

    // A flipped log signature.
    let mut b = rekor_v2();
    let text = checkpoint(&mut b);
    let pos = text.len() - 5;
    let replacement = if &text[pos..pos + 1] == "A" { "B" } else { "A" };
    text.replace_range(pos..pos + 1, replacement);
    let err = verify_v2(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidCheckpoint { index: 0, .. }),
        "{err}"
    );

    // The origin must be the host of the log's base URL.
    let mut root = TrustedRoot::from_json(&fixture("public/staging-trusted_root.json")).unwrap();
    for tlog in &mut root.tlogs {
        tlog.base_url = tlog.base_url.replace("log2025-alpha1", "log2025-other");
    }
    let err = Verifier::new(&root)
        .unwrap()
        .verify(
            &rekor_v2(),
            Artifact::Bytes(&fixture("public/staging-rekor-v2.txt")),
            &jku(),
        )
        .unwrap_err();
    assert!(
        matches!(&err, VerifyError::InvalidCheckpoint { reason, .. } if reason.contains("origin")),
        "{err}"
    );

    // The proof's index must be the entry's.
    let mut b = rekor_v2();
    b.verification_material.tlog_entries[0].log_index += 1;
    let err = verify_v2(&b).unwrap_err();
    assert!(
        matches!(err, VerifyError::InvalidInclusionProof { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn rekor_v2_entry_must_match() {
    let mut b = rekor_v2();
    let Content::MessageSignature(m) = &mut b.content else {
        panic!()
    };
    m.message_digest.as_mut().unwrap().digest[0] ^= 1;
    let err = verify_v2(&b).unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::EntryMismatch {
                index: 0,
                field: "artifact digest"
            }
        ),
        "{err}"
    );
    let err = verify_v2(&rekor_v2())
        .map(|_| ())
        .and_then(|()| staging().verify(&rekor_v2(), Artifact::Bytes(b"not it"), &jku()));
    assert!(matches!(err, Err(VerifyError::ArtifactDigestMismatch)));
}

#[test]
fn staging_rekor_v1_bundle_uses_the_set_time() {
    let b = bundle("public/bundle_v3_alt.txt.sigstore");
    let policy = Policy::identity("william@yossarian.net", "https://github.com/login/oauth");
    let artifact = digest("4191e6b4e2b0260e6e297d4797d2a873584965afef021bf22f2bb7bec41102d0");
    let v = staging().verify(&b, artifact, &policy).unwrap();
    assert_eq!(v.times.len(), 1);
    assert_eq!(v.times[0].unix, 1_712_085_616);
    assert_eq!(
        v.times[0].source,
        TimeSource::TransparencyLog {
            log: "https://rekor.sigstage.dev".to_owned()
        }
    );
    assert_eq!(v.tlog_entries[0].log_index, 25_915_997);
    // Production does not trust staging.
    let err = production().verify(&b, artifact, &policy).unwrap_err();
    assert!(
        matches!(err, VerifyError::UnknownLog { index: 0, .. }),
        "{err}"
    );
}

#[test]
fn staging_dsse_on_rekor_v2() {
    let b = bundle("public/a.dsse.staging-rekor-v2.txt.sigstore.json");
    let policy = Policy::Identity {
        san: SanMatcher::Regex(
            r"insecure-cloudtop-shared-user@[a-z0-9.-]+\.iam\.gserviceaccount\.com".to_owned(),
        ),
        issuer: "https://accounts.google.com".to_owned(),
    };
    // The statement's subject is a.txt with this SHA-256.
    let a_txt = digest("e248a5db4933dba6578200238c91a57f5e65b925b73050ae786933468b7ac101");
    let v = staging().verify(&b, a_txt, &policy).unwrap();
    assert_eq!(v.tlog_entries[0].kind, "dsse");
    assert_eq!(v.tlog_entries[0].version, "0.0.2");
    assert_eq!(
        v.statement.unwrap()["predicateType"],
        "https://slsa.dev/provenance/v1"
    );
    let err = staging()
        .verify(&b, Artifact::Digest { sha256: [7; 32] }, &policy)
        .unwrap_err();
    assert!(matches!(err, VerifyError::SubjectMismatch), "{err}");

    let mut tampered = b.clone();
    let Content::DsseEnvelope(e) = &mut tampered.content else {
        panic!()
    };
    e.payload.push(b' ');
    let err = staging()
        .verify_attestation(&tampered, &policy)
        .unwrap_err();
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
}

#[test]
fn production_npm_provenance() {
    let b = bundle("public/npm-sigstore-3.1.0.sigstore.json");
    let workflow =
        "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main";
    let actions = "https://token.actions.githubusercontent.com";
    let v = production()
        .verify_attestation(&b, &Policy::identity(workflow, actions))
        .unwrap();
    assert_eq!(v.times[0].unix, 1_738_701_347);
    assert_eq!(v.tlog_entries[0].kind, "intoto");
    assert_eq!(v.certificate.as_ref().unwrap().identities, [workflow]);
    let statement = v.statement.unwrap();
    assert_eq!(statement["subject"][0]["name"], "pkg:npm/sigstore@3.1.0");

    let regex = Policy::Identity {
        san: SanMatcher::Regex(r"https://github\.com/sigstore/sigstore-js/.*".to_owned()),
        issuer: actions.to_owned(),
    };
    production().verify_attestation(&b, &regex).unwrap();
    let err = production()
        .verify_attestation(
            &b,
            &Policy::identity(workflow, "https://accounts.google.com"),
        )
        .unwrap_err();
    assert!(matches!(err, VerifyError::IssuerMismatch { .. }), "{err}");
    // The subject is named by SHA-512 only; a SHA-256 cannot match it.
    let err = production()
        .verify(
            &b,
            Artifact::Digest { sha256: [0; 32] },
            &Policy::identity(workflow, actions),
        )
        .unwrap_err();
    assert!(matches!(err, VerifyError::SubjectMismatch), "{err}");
    // The staging root trusts none of it.
    let err = staging()
        .verify_attestation(&b, &Policy::identity(workflow, actions))
        .unwrap_err();
    assert!(
        matches!(err, VerifyError::UnknownLog { index: 0, .. }),
        "{err}"
    );
}
