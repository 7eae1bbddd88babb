//! Cross-checks against data written by `tests/data/gen.py` (Python `cryptography`, an
//! implementation independent of this crate): key IDs under both rules, verifier keys, and
//! checkpoints signed with Ed25519 (plus a witness cosignature) and ECDSA P-256.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use sha2::{Digest, Sha256};
use signed_note::checkpoint::CheckpointFlavor;
use signed_note::{
    CosignatureSigner, CosignatureVerifier, KeyIdRule, KeyName, Note, NoteError, NoteKeySigner,
    NoteKeyVerifier, NoteVerifier, SignedCheckpoint, VerifierKey, VerifierKeyType,
    cosignature_key_id, cosignature_timestamp, ed25519_key_id, rekor_v1_key_hint,
};

const KEYS_JSON: &str = include_str!("data/keys.json");
const REKOR_V1_CHECKPOINT: &str = include_str!("data/rekor-v1-checkpoint.txt");
const C2SP_ED25519_CHECKPOINT: &str = include_str!("data/c2sp-ed25519-checkpoint.txt");
const C2SP_ECDSA_CHECKPOINT: &str = include_str!("data/c2sp-ecdsa-checkpoint.txt");

fn keys_json() -> serde_json::Value {
    serde_json::from_str(KEYS_JSON).unwrap()
}

fn field<'a>(json: &'a serde_json::Value, key: &str, field: &str) -> &'a str {
    json[key][field].as_str().unwrap()
}

fn hex_u32(s: &str) -> u32 {
    u32::from_str_radix(s, 16).unwrap()
}

fn public_key(json: &serde_json::Value, key: &str) -> keys::PublicKey {
    keys::PublicKey::from_pem(field(json, key, "spki_pem")).unwrap()
}

fn signer(json: &serde_json::Value, key: &str) -> Arc<dyn keys::Signer> {
    Arc::new(keys::SoftwareSigner::from_pem(field(json, key, "pkcs8_pem")).unwrap())
}

fn name(json: &serde_json::Value, key: &str, f: &str) -> KeyName {
    KeyName::new(field(json, key, f)).unwrap()
}

#[test]
fn ed25519_key_ids_match_python() {
    let json = keys_json();
    let key = public_key(&json, "log_ed25519");
    let name = name(&json, "log_ed25519", "name");
    let raw: [u8; 32] = hex::decode(field(&json, "log_ed25519", "raw_hex"))
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(key.ed25519_raw(), Some(raw));

    let c2sp_id = hex_u32(field(&json, "log_ed25519", "c2sp_key_id_hex"));
    assert_eq!(ed25519_key_id(&name, &raw), c2sp_id);
    assert_eq!(KeyIdRule::C2sp.key_id(&name, &key), c2sp_id);
    assert_eq!(
        hex::encode(KeyIdRule::C2sp.key_hash(&name, &key)),
        field(&json, "log_ed25519", "c2sp_key_hash_hex")
    );

    let v1_id = hex_u32(field(&json, "log_ed25519", "rekor_v1_key_id_hex"));
    assert_eq!(KeyIdRule::RekorV1.key_id(&name, &key), v1_id);
    assert_eq!(rekor_v1_key_hint(&key), v1_id);
    assert_ne!(c2sp_id, v1_id, "the two rules must differ for Ed25519");
}

#[test]
fn ecdsa_and_rsa_key_ids_match_python() {
    let json = keys_json();
    let p256 = public_key(&json, "log_p256");
    let id = hex_u32(field(&json, "log_p256", "key_id_hex"));
    // ECDSA: SHA-256(SPKI)[:4] under both rules, whatever the name.
    for n in ["log_p256/name", "log_p256/rekor_v1_name"] {
        let (k, f) = n.split_once('/').unwrap();
        let name = name(&json, k, f);
        assert_eq!(KeyIdRule::C2sp.key_id(&name, &p256), id);
        assert_eq!(KeyIdRule::RekorV1.key_id(&name, &p256), id);
        assert_eq!(
            hex::encode(KeyIdRule::C2sp.key_hash(&name, &p256)),
            field(&json, "log_p256", "spki_sha256_hex")
        );
    }

    let rsa = public_key(&json, "log_rsa");
    let rsa_name = name(&json, "log_rsa", "name");
    assert_eq!(
        hex::encode(KeyIdRule::C2sp.key_hash(&rsa_name, &rsa)),
        field(&json, "log_rsa", "c2sp_key_hash_hex")
    );
    assert_eq!(
        KeyIdRule::RekorV1.key_id(&rsa_name, &rsa),
        hex_u32(field(&json, "log_rsa", "rekor_v1_key_id_hex"))
    );
    // Keys this crate does not sign or verify with are refused, not silently mishandled.
    assert!(matches!(
        NoteKeyVerifier::new("rsa-log.cairn.test", rsa, KeyIdRule::C2sp),
        Err(NoteError::UnsupportedKey { .. })
    ));
}

#[test]
fn verifier_keys_match_python() {
    let json = keys_json();
    let log_vkey = field(&json, "log_ed25519", "vkey");
    let parsed = VerifierKey::parse(log_vkey).unwrap();
    assert_eq!(parsed.key_type(), VerifierKeyType::Ed25519);
    assert_eq!(parsed.to_string(), log_vkey);
    let built = VerifierKey::ed25519(
        name(&json, "log_ed25519", "name"),
        &public_key(&json, "log_ed25519"),
    )
    .unwrap();
    assert_eq!(built.to_string(), log_vkey);

    let witness_vkey = field(&json, "witness_ed25519", "vkey");
    let witness = VerifierKey::parse(witness_vkey).unwrap();
    assert_eq!(witness.key_type(), VerifierKeyType::Ed25519Cosignature);
    assert_eq!(
        witness.key_id(),
        hex_u32(field(&json, "witness_ed25519", "cosignature_key_id_hex"))
    );
    let raw: [u8; 32] = hex::decode(field(&json, "witness_ed25519", "raw_hex"))
        .unwrap()
        .try_into()
        .unwrap();
    assert_eq!(
        cosignature_key_id(&name(&json, "witness_ed25519", "name"), &raw),
        witness.key_id()
    );
    assert_eq!(
        VerifierKey::cosignature(
            name(&json, "witness_ed25519", "name"),
            &public_key(&json, "witness_ed25519")
        )
        .unwrap()
        .to_string(),
        witness_vkey
    );
}

#[test]
fn rekor_v1_checkpoint_signed_by_python_verifies() {
    let json = keys_json();
    let host = field(&json, "log_p256", "rekor_v1_name");
    let verifier =
        NoteKeyVerifier::new(host, public_key(&json, "log_p256"), KeyIdRule::RekorV1).unwrap();
    let signed = SignedCheckpoint::verify(REKOR_V1_CHECKPOINT.as_bytes(), &[&verifier]).unwrap();
    let checkpoint = signed.checkpoint();
    assert_eq!(
        checkpoint.origin(),
        "rekor.cairn.test - 8050909264565447525"
    );
    assert_eq!(
        checkpoint.origin(),
        signed_note::Checkpoint::rekor_v1_origin(host, 8050909264565447525)
    );
    assert_eq!(checkpoint.flavor(), CheckpointFlavor::RekorV1);
    assert_eq!(checkpoint.size(), 1234);
    let root: [u8; 32] = Sha256::digest(b"cairn rekor v1 test tree").into();
    assert_eq!(checkpoint.root_hash(), &root);
    assert_eq!(
        signed.note().note().to_bytes(),
        REKOR_V1_CHECKPOINT.as_bytes()
    );

    // Any change to the signed text breaks the signature.
    let tampered = REKOR_V1_CHECKPOINT.replacen("1234", "1235", 1);
    assert!(matches!(
        SignedCheckpoint::verify(tampered.as_bytes(), &[&verifier]),
        Err(signed_note::CheckpointError::Note(
            NoteError::InvalidSignature { .. }
        ))
    ));
}

#[test]
fn c2sp_ecdsa_checkpoint_with_extension_verifies() {
    let json = keys_json();
    let verifier = NoteKeyVerifier::new(
        field(&json, "log_p256", "name"),
        public_key(&json, "log_p256"),
        KeyIdRule::C2sp,
    )
    .unwrap();
    let signed = SignedCheckpoint::verify(C2SP_ECDSA_CHECKPOINT.as_bytes(), &[&verifier]).unwrap();
    let checkpoint = signed.checkpoint();
    assert_eq!(checkpoint.flavor(), CheckpointFlavor::C2sp);
    assert_eq!(checkpoint.size(), 0);
    let empty: [u8; 32] = Sha256::digest(b"").into();
    assert_eq!(checkpoint.root_hash(), &empty);
    assert_eq!(checkpoint.extensions(), ["cairn-test-extension 42"]);
    signed.require_origin("ecdsa-log.cairn.test").unwrap();
    assert!(signed.require_origin("other.cairn.test").is_err());
}

#[test]
fn c2sp_ed25519_checkpoint_with_cosignature_verifies() {
    let json = keys_json();
    let log_name = field(&json, "log_ed25519", "name");
    let log =
        NoteKeyVerifier::new(log_name, public_key(&json, "log_ed25519"), KeyIdRule::C2sp).unwrap();
    let witness = VerifierKey::parse(field(&json, "witness_ed25519", "vkey")).unwrap();
    let witness_by_key = CosignatureVerifier::new(
        field(&json, "witness_ed25519", "name"),
        public_key(&json, "witness_ed25519"),
    )
    .unwrap();
    assert_eq!(witness_by_key.key_id(), witness.key_id());

    // The log's key alone: the witness line is tolerated as unverified.
    let signed = SignedCheckpoint::verify(C2SP_ED25519_CHECKPOINT.as_bytes(), &[&log]).unwrap();
    assert_eq!(signed.checkpoint().origin(), log_name);
    assert_eq!(signed.checkpoint().size(), 4711);
    assert_eq!(signed.note().verified_signatures().count(), 1);
    let unverified: Vec<_> = signed.note().unverified_signatures().collect();
    assert_eq!(unverified.len(), 1);
    assert_eq!(unverified[0].name().as_str(), witness.name());

    // Log and witness: both verify (through the vkey and through the public key).
    for w in [&witness as &dyn NoteVerifier, &witness_by_key] {
        let both =
            SignedCheckpoint::verify(C2SP_ED25519_CHECKPOINT.as_bytes(), &[&log, w]).unwrap();
        assert_eq!(both.note().verified_signatures().count(), 2);
        let cosig = both
            .note()
            .verified_signatures()
            .find(|s| s.name().as_str() == w.name())
            .unwrap();
        assert_eq!(cosignature_timestamp(cosig), Some(1_700_000_000));
    }

    // The wrong key-ID rule finds no signature at all.
    let wrong_rule = NoteKeyVerifier::new(
        log_name,
        public_key(&json, "log_ed25519"),
        KeyIdRule::RekorV1,
    )
    .unwrap();
    assert!(matches!(
        SignedCheckpoint::verify(C2SP_ED25519_CHECKPOINT.as_bytes(), &[&wrong_rule]),
        Err(signed_note::CheckpointError::Note(
            NoteError::NoVerifiedSignature { .. }
        ))
    ));
}

#[test]
fn rust_signing_reproduces_python_ed25519_checkpoint() {
    // Ed25519 is deterministic, so signing the same text with the same keys must give the
    // very same bytes as the Python generator.
    let json = keys_json();
    let note = Note::parse(C2SP_ED25519_CHECKPOINT.as_bytes()).unwrap();
    let log = NoteKeySigner::new(
        field(&json, "log_ed25519", "name"),
        signer(&json, "log_ed25519"),
        KeyIdRule::C2sp,
    )
    .unwrap();
    let witness = CosignatureSigner::new(
        field(&json, "witness_ed25519", "name"),
        signer(&json, "witness_ed25519"),
        1_700_000_000,
    )
    .unwrap();
    let mut ours = Note::sign(note.text(), &[&log]).unwrap();
    ours.add_signatures(&[&witness]).unwrap();
    assert_eq!(
        String::from_utf8(ours.to_bytes()).unwrap(),
        C2SP_ED25519_CHECKPOINT
    );
}

#[test]
fn rust_ecdsa_signature_verifies_against_python_key_id() {
    // ECDSA signatures are randomized: sign with the Python-generated key and check the key
    // hint Python computed, then verify.
    let json = keys_json();
    let host = field(&json, "log_p256", "rekor_v1_name");
    let signer = NoteKeySigner::new(host, signer(&json, "log_p256"), KeyIdRule::RekorV1).unwrap();
    let text = Note::parse(REKOR_V1_CHECKPOINT.as_bytes())
        .unwrap()
        .text()
        .to_owned();
    let note = Note::sign(text, &[&signer]).unwrap();
    assert_eq!(
        note.signatures()[0].key_id(),
        hex_u32(field(&json, "log_p256", "key_id_hex"))
    );
    let verifier =
        NoteKeyVerifier::new(host, public_key(&json, "log_p256"), KeyIdRule::RekorV1).unwrap();
    SignedCheckpoint::verify(&note.to_bytes(), &[&verifier]).unwrap();
}
