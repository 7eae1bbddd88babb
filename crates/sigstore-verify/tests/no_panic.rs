//! No input makes the verifier panic: random byte edits of bundle JSON, random edits of every
//! decoded byte field, and random trusted-root edits.

#![allow(clippy::unwrap_used)]

mod common;

use common::{alice, bundle, cairn, fixture};
use proptest::prelude::*;
use sigstore_bundle::{Bundle, Content, SignerMaterial};
use sigstore_verify::{Artifact, Policy, Verifier};
use trust_root::TrustedRoot;

const BUNDLES: [&str; 5] = [
    "cairn/py.sigstore.json",
    "cairn/js.sigstore.json",
    "cairn/py-dsse.sigstore.json",
    "cairn/js-intoto.sigstore.json",
    "public/staging-rekor-v2.txt.sigstore.json",
];

fn run(b: &Bundle) {
    let artifact = fixture("cairn/artifact.txt");
    let _ = cairn().verify(b, Artifact::Bytes(&artifact), &alice());
    let _ = cairn().verify(b, Artifact::Digest { sha256: [1; 32] }, &Policy::None);
    let _ = cairn().verify_attestation(b, &alice());
}

/// Every byte field of a bundle, mutable.
fn byte_fields(b: &mut Bundle) -> Vec<&mut Vec<u8>> {
    let mut fields: Vec<&mut Vec<u8>> = Vec::new();
    let vm = &mut b.verification_material;
    match &mut vm.signer {
        SignerMaterial::Certificate(der) => fields.push(der),
        SignerMaterial::X509CertificateChain(chain) => fields.extend(chain.iter_mut()),
        SignerMaterial::PublicKey { .. } => {}
    }
    for entry in &mut vm.tlog_entries {
        fields.push(&mut entry.canonicalized_body);
        fields.push(&mut entry.log_id.key_id);
        if let Some(p) = &mut entry.inclusion_promise {
            fields.push(&mut p.signed_entry_timestamp);
        }
        if let Some(p) = &mut entry.inclusion_proof {
            fields.push(&mut p.root_hash);
            fields.extend(p.hashes.iter_mut());
        }
    }
    if let Some(t) = &mut vm.timestamp_verification_data {
        fields.extend(
            t.rfc3161_timestamps
                .iter_mut()
                .map(|t| &mut t.signed_timestamp),
        );
    }
    match &mut b.content {
        Content::MessageSignature(m) => {
            fields.push(&mut m.signature);
            if let Some(d) = &mut m.message_digest {
                fields.push(&mut d.digest);
            }
        }
        Content::DsseEnvelope(e) => {
            fields.push(&mut e.payload);
            fields.extend(e.signatures.iter_mut().map(|s| &mut s.sig));
        }
    }
    fields
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn json_byte_edits(which in 0..BUNDLES.len(), edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)) {
        let mut json = fixture(BUNDLES[which]);
        for (at, byte) in edits {
            let i = at.index(json.len());
            json[i] = byte;
        }
        if let Ok(b) = Bundle::from_json(&json) {
            run(&b);
        }
    }

    #[test]
    fn field_edits(
        which in 0..BUNDLES.len(),
        field in any::<prop::sample::Index>(),
        at in any::<prop::sample::Index>(),
        xor in 1..=255u8,
        truncate in any::<Option<prop::sample::Index>>(),
    ) {
        let mut b = bundle(BUNDLES[which]);
        {
            let mut fields = byte_fields(&mut b);
            let n = fields.len();
            let f = &mut fields[field.index(n)];
            if !f.is_empty() {
                let i = at.index(f.len());
                f[i] ^= xor;
                if let Some(t) = truncate {
                    let len = t.index(f.len());
                    f.truncate(len);
                }
            }
        }
        run(&b);
    }

    #[test]
    fn checkpoint_and_body_text_edits(
        which in 0..BUNDLES.len(),
        at in any::<prop::sample::Index>(),
        ch in any::<char>(),
    ) {
        let mut b = bundle(BUNDLES[which]);
        if let Some(p) = b.verification_material.tlog_entries[0].inclusion_proof.as_mut() {
            let text = &mut p.checkpoint.envelope;
            let mut chars: Vec<char> = text.chars().collect();
            let i = at.index(chars.len());
            chars[i] = ch;
            *text = chars.into_iter().collect();
        }
        run(&b);
    }

    #[test]
    fn trusted_root_edits(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6)) {
        let mut json = fixture("cairn/trusted_root.json");
        for (at, byte) in edits {
            let i = at.index(json.len());
            json[i] = byte;
        }
        if let Ok(root) = TrustedRoot::from_json(&json)
            && let Ok(v) = Verifier::new(&root)
        {
            let b = bundle("cairn/py.sigstore.json");
            let _ = v.verify(&b, Artifact::Bytes(&fixture("cairn/artifact.txt")), &alice());
        }
    }
}
