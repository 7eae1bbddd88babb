//! Sign/verify round trips for Ed25519 and ECDSA P-256 under both key-ID rules, cosigning,
//! and property tests of the parser.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use proptest::prelude::*;
use sha2::{Digest, Sha256};
use signed_note::checkpoint::{CheckpointFlavor, is_rekor_v1_origin};
use signed_note::{
    Checkpoint, CosignatureSigner, KeyIdRule, KeyName, Note, NoteError, NoteKeySigner,
    NoteSignature, NoteSigner, NoteVerifier, SignedCheckpoint, cosignature_timestamp,
};

fn generate(alg: keys::SigningAlgorithm) -> Arc<dyn keys::Signer> {
    Arc::new(keys::SoftwareSigner::generate(alg).unwrap())
}

/// The key ID each rule must give, computed here straight from the spec text.
fn expected_key_id(name: &str, key: &keys::PublicKey, rule: KeyIdRule) -> u32 {
    let hash: [u8; 32] = match (rule, key.ed25519_raw()) {
        (KeyIdRule::C2sp, Some(raw)) => {
            Sha256::digest([name.as_bytes(), b"\n", &[0x01], &raw].concat()).into()
        }
        _ => Sha256::digest(key.spki_der()).into(),
    };
    u32::from_be_bytes(hash[..4].try_into().unwrap())
}

#[test]
fn sign_and_verify_round_trip_for_each_algorithm_and_rule() {
    for alg in [
        keys::SigningAlgorithm::Ed25519,
        keys::SigningAlgorithm::EcdsaP256Sha256,
    ] {
        for rule in [KeyIdRule::C2sp, KeyIdRule::RekorV1] {
            let key = generate(alg);
            let signer = NoteKeySigner::new("log.example.com", key.clone(), rule).unwrap();
            assert_eq!(
                signer.key_id(),
                expected_key_id("log.example.com", key.public_key(), rule),
                "{alg:?} {rule:?}"
            );
            let text = "log.example.com\n1\nAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
            let note = Note::sign(text, &[&signer]).unwrap();
            let bytes = note.to_bytes();
            assert_eq!(Note::parse(&bytes).unwrap(), note);

            let verifier = signer.verifier();
            let verified = Note::open(&bytes, &[&verifier]).unwrap();
            assert_eq!(verified.text(), text);
            assert!(verified.is_verified_by("log.example.com", signer.key_id()));

            // A different key with the same name and rule: unknown, not invalid (key IDs differ).
            let other = NoteKeySigner::new("log.example.com", generate(alg), rule).unwrap();
            assert!(matches!(
                Note::open(&bytes, &[&other.verifier()]),
                Err(NoteError::NoVerifiedSignature { .. })
            ));

            // Tampered text under the right key: invalid signature.
            let tampered = String::from_utf8(bytes.clone())
                .unwrap()
                .replacen("\n1\n", "\n2\n", 1);
            assert!(matches!(
                Note::open(tampered.as_bytes(), &[&verifier]),
                Err(NoteError::InvalidSignature { .. })
            ));
        }
    }
}

#[test]
fn ed25519_key_ids_differ_between_rules_but_ecdsa_ones_do_not() {
    let ed = generate(keys::SigningAlgorithm::Ed25519);
    let c2sp = NoteKeySigner::new("log.example", ed.clone(), KeyIdRule::C2sp).unwrap();
    let v1 = NoteKeySigner::new("log.example", ed, KeyIdRule::RekorV1).unwrap();
    assert_ne!(c2sp.key_id(), v1.key_id());
    // The C2SP Ed25519 ID is bound to the name.
    let renamed = NoteKeySigner::new(
        "log2.example",
        Arc::new(keys::SoftwareSigner::generate(keys::SigningAlgorithm::Ed25519).unwrap()),
        KeyIdRule::C2sp,
    )
    .unwrap();
    assert_ne!(renamed.key_id(), c2sp.key_id());

    let ec = generate(keys::SigningAlgorithm::EcdsaP256Sha256);
    let a = NoteKeySigner::new("a.example", ec.clone(), KeyIdRule::C2sp).unwrap();
    let b = NoteKeySigner::new("b.example", ec, KeyIdRule::RekorV1).unwrap();
    assert_eq!(a.key_id(), b.key_id());
    assert_eq!(a.key_hash(), b.key_hash());
}

#[test]
fn unsupported_keys_are_refused() {
    let p384 = generate(keys::SigningAlgorithm::EcdsaP384Sha384);
    for rule in [KeyIdRule::C2sp, KeyIdRule::RekorV1] {
        assert!(matches!(
            NoteKeySigner::new("log.example", p384.clone(), rule),
            Err(NoteError::UnsupportedKey {
                kind: keys::KeyKind::EcdsaP384,
                ..
            })
        ));
    }
    let ec = generate(keys::SigningAlgorithm::EcdsaP256Sha256);
    assert!(matches!(
        CosignatureSigner::new("w.example", ec, 1),
        Err(NoteError::UnsupportedKey { .. })
    ));
    assert!(matches!(
        NoteKeySigner::new(
            "bad name",
            generate(keys::SigningAlgorithm::Ed25519),
            KeyIdRule::C2sp
        ),
        Err(NoteError::InvalidKeyName { .. })
    ));
}

#[test]
fn checkpoints_round_trip_with_cosignatures() {
    let log = NoteKeySigner::new(
        "log.example",
        generate(keys::SigningAlgorithm::Ed25519),
        KeyIdRule::C2sp,
    )
    .unwrap();
    let witness = CosignatureSigner::new(
        "witness.example/w1",
        generate(keys::SigningAlgorithm::Ed25519),
        1_700_000_123,
    )
    .unwrap();
    let checkpoint = Checkpoint::new("log.example", 20_852_163, [0xab; 32])
        .unwrap()
        .with_extension("extra line")
        .unwrap();
    assert_eq!(checkpoint.flavor(), CheckpointFlavor::C2sp);
    let mut note = checkpoint.sign(&[&log]).unwrap();
    note.add_signatures(&[&witness]).unwrap();
    let bytes = note.to_bytes();

    let both = SignedCheckpoint::verify(&bytes, &[&log.verifier(), &witness.verifier()]).unwrap();
    assert_eq!(both.checkpoint(), &checkpoint);
    assert_eq!(both.note().verified_signatures().count(), 2);
    let cosig = &both.note().note().signatures()[1];
    assert_eq!(cosignature_timestamp(cosig), Some(1_700_000_123));

    // A cosignature is over the timestamped message: it is not a plain Ed25519 signature of
    // the text, and a changed timestamp breaks it.
    let mut raw = cosig.signature().to_vec();
    raw[7] ^= 1;
    let mut forged = Note::parse(&bytes).unwrap();
    forged.push_signature(NoteSignature::new(cosig.name().clone(), cosig.key_id(), raw).unwrap());
    assert_eq!(
        forged.signatures().len(),
        2,
        "push_signature replaces the same key's line"
    );
    assert!(matches!(
        forged.verify(&[&log.verifier(), &witness.verifier()]),
        Err(NoteError::InvalidSignature { ref name, .. }) if name == "witness.example/w1"
    ));

    // Re-cosigning replaces the witness line instead of adding a second one.
    let other_witness_key = CosignatureSigner::new(
        "witness.example/w1",
        generate(keys::SigningAlgorithm::Ed25519),
        1_700_000_999,
    )
    .unwrap();
    assert_ne!(
        other_witness_key.key_id(),
        witness.key_id(),
        "different key, different ID"
    );
    note.add_signatures(&[&witness]).unwrap();
    assert_eq!(note.signatures().len(), 2);

    // Witness lines can be added from their text form, as a witness returns them.
    let lines = note.signatures()[1].to_line();
    let parsed = NoteSignature::parse_lines(&lines, &Default::default()).unwrap();
    assert_eq!(parsed, vec![note.signatures()[1].clone()]);

    // Timestamps above 2^63 - 1 are refused.
    assert!(matches!(
        CosignatureSigner::new(
            "w.example",
            generate(keys::SigningAlgorithm::Ed25519),
            1 << 63
        ),
        Err(NoteError::CosignatureTimestampTooLarge { .. })
    ));
}

#[test]
fn rekor_v1_checkpoint_round_trip() {
    let host = "rekor.example.com";
    let key = generate(keys::SigningAlgorithm::EcdsaP256Sha256);
    let signer = NoteKeySigner::new(host, key.clone(), KeyIdRule::RekorV1).unwrap();
    let origin = Checkpoint::rekor_v1_origin(host, 1_193_050_959_916_656_506);
    assert_eq!(origin, "rekor.example.com - 1193050959916656506");
    let checkpoint = Checkpoint::new(origin, 42, [1; 32]).unwrap();
    assert_eq!(checkpoint.flavor(), CheckpointFlavor::RekorV1);
    let note = checkpoint.sign(&[&signer]).unwrap();
    // The hint is the first 4 bytes of the log ID, SHA-256(SPKI).
    let log_id: [u8; 32] = Sha256::digest(key.public_key().spki_der()).into();
    assert_eq!(note.signatures()[0].key_id().to_be_bytes(), log_id[..4]);
    let text = String::from_utf8(note.to_bytes()).unwrap();
    assert!(text.ends_with(&format!("\n\n\u{2014} {host} {}\n", {
        use base64::Engine as _;
        let mut raw = log_id[..4].to_vec();
        raw.extend_from_slice(note.signatures()[0].signature());
        base64::engine::general_purpose::STANDARD.encode(raw)
    })));
    let signed = SignedCheckpoint::verify(text.as_bytes(), &[&signer.verifier()]).unwrap();
    assert_eq!(signed.checkpoint(), &checkpoint);
}

#[test]
fn rekor_v1_origin_detection_matches_sigstore_go_regex() {
    // `.* - [0-9]+$`
    for v1 in [
        "rekor.sigstore.dev - 1193050959916656506",
        "a - 0",
        " - 5",
        "x - y - 12",
    ] {
        assert!(is_rekor_v1_origin(v1), "{v1:?}");
    }
    for v2 in [
        "log2025-1.rekor.sigstore.dev",
        "rekor.sigstore.dev - ",
        "rekor.sigstore.dev -1",
        "rekor.sigstore.dev-1",
        "rekor.sigstore.dev - 1a",
        "rekor.sigstore.dev - ١",
        "rekor.sigstore.dev  1",
        "",
    ] {
        assert!(!is_rekor_v1_origin(v2), "{v2:?}");
    }
}

fn key_name() -> impl Strategy<Value = KeyName> {
    "[^\\s+\\p{Cc}]{1,16}".prop_map(|s| KeyName::new(s).unwrap())
}

fn note_signature() -> impl Strategy<Value = NoteSignature> {
    (
        key_name(),
        any::<u32>(),
        prop::collection::vec(any::<u8>(), 1..80),
    )
        .prop_map(|(name, id, sig)| NoteSignature::new(name, id, sig).unwrap())
}

fn note_text() -> impl Strategy<Value = String> {
    prop::collection::vec("[^\\p{Cc}]{0,20}", 1..6).prop_map(|lines| {
        let mut text = lines.join("\n");
        text.push('\n');
        text
    })
}

/// Inputs built from the pieces the parser cares about, to reach deep paths more often than
/// uniformly random bytes do.
fn notelike_bytes() -> impl Strategy<Value = Vec<u8>> {
    let piece = prop_oneof![
        Just("\n".to_owned()),
        Just("\n\n".to_owned()),
        Just("\u{2014} ".to_owned()),
        Just("\u{2014}".to_owned()),
        Just(" ".to_owned()),
        Just("+".to_owned()),
        Just("=".to_owned()),
        Just("AQIDBAU=".to_owned()),
        Just("AQIDBAX=".to_owned()),
        "[A-Za-z0-9+/]{0,12}",
        "[a-z.]{1,8}",
        "\\PC{0,4}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat().into_bytes())
}

proptest! {
    #[test]
    fn valid_notes_round_trip(text in note_text(), signatures in prop::collection::vec(note_signature(), 1..5)) {
        let note = Note::new(text, signatures).unwrap();
        let bytes = note.to_bytes();
        prop_assert_eq!(Note::parse(&bytes).unwrap(), note);
    }

    #[test]
    fn parse_never_panics_and_accepted_notes_are_canonical(input in prop::collection::vec(any::<u8>(), 0..256)) {
        if let Ok(note) = Note::parse(&input) {
            prop_assert_eq!(note.to_bytes(), input);
        }
    }

    #[test]
    fn notelike_inputs_never_panic_and_accepted_notes_are_canonical(input in notelike_bytes()) {
        if let Ok(note) = Note::parse(&input) {
            prop_assert_eq!(note.to_bytes(), input.clone());
        }
        if let Ok(text) = std::str::from_utf8(&input)
            && let Ok(checkpoint) = Checkpoint::parse(text)
        {
            prop_assert_eq!(checkpoint.to_text(), text);
        }
    }

    #[test]
    fn checkpoints_round_trip(
        origin in "[^\\s\\p{Cc}]([^\\p{Cc}]{0,20}[^\\s\\p{Cc}])?",
        size in any::<u64>(),
        root in any::<[u8; 32]>(),
        extensions in prop::collection::vec("[^\\p{Cc}]{1,20}", 0..3),
    ) {
        let mut checkpoint = Checkpoint::new(origin, size, root).unwrap();
        for line in extensions {
            checkpoint = checkpoint.with_extension(line).unwrap();
        }
        prop_assert_eq!(Checkpoint::parse(&checkpoint.to_text()).unwrap(), checkpoint);
    }
}

struct Recording;

impl NoteSigner for Recording {
    fn name(&self) -> &str {
        "recording.example"
    }
    fn key_id(&self) -> u32 {
        7
    }
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, keys::SignError> {
        // The message signed is the text alone: no blank line, no signature lines.
        assert_eq!(msg, b"hello\n");
        Ok(vec![0xee])
    }
}

impl NoteVerifier for Recording {
    fn name(&self) -> &str {
        "recording.example"
    }
    fn key_id(&self) -> u32 {
        7
    }
    fn verify(&self, msg: &[u8], signature: &[u8]) -> bool {
        msg == b"hello\n" && signature == [0xee]
    }
}

#[test]
fn signed_message_is_exactly_the_text() {
    let note = Note::sign("hello\n", &[&Recording]).unwrap();
    assert_eq!(
        String::from_utf8(note.to_bytes()).unwrap(),
        "hello\n\n\u{2014} recording.example AAAAB+4=\n"
    );
    Note::open(&note.to_bytes(), &[&Recording]).unwrap();
    assert!(matches!(
        Note::sign("hello", &[&Recording]),
        Err(NoteError::TextMissingFinalNewline)
    ));
    assert!(matches!(
        Note::sign("hello\n", &[]),
        Err(NoteError::NoSignatures)
    ));
}
