//! The C2SP signed-note example (Ed25519), read at run time from the shared vectors folder.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use signed_note::{Note, NoteVerifier, VerifierKey};

fn vectors_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CAIRN_VECTORS_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/vectors"),
    };
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CAIRN_REQUIRE_VECTORS").as_deref() == Ok("1") {
        panic!("vectors folder not found at {}", dir.display());
    }
    eprintln!(
        "SKIPPED: C2SP signed-note vector not found at {}",
        dir.display()
    );
    None
}

#[test]
fn c2sp_signed_note_example() {
    let Some(dir) = vectors_dir() else { return };
    let path = dir.join("c2sp-signed-note-example.json");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let vkey = json["verifier_key"].as_str().unwrap();
    let note = json["note"].as_str().unwrap();
    let want_valid = json["want_valid"].as_bool().unwrap();

    // Parsing the vkey checks SHA-256(name || 0x0A || 0x01 || key)[:4] against its key ID.
    let verifier = VerifierKey::parse(vkey).unwrap();
    assert_eq!(
        verifier.to_string(),
        vkey,
        "vkey must format back unchanged"
    );

    let parsed = Note::parse(note.as_bytes()).unwrap();
    assert_eq!(parsed.to_bytes(), note.as_bytes());
    assert_eq!(parsed.signatures().len(), 1);
    assert_eq!(parsed.signatures()[0].key_id(), verifier.key_id());

    let result = parsed.verify(&[&verifier]);
    assert_eq!(result.is_ok(), want_valid, "{result:?}");
    if want_valid {
        let verified = result.unwrap();
        assert!(verified.is_verified_by(verifier.name(), verifier.key_id()));
        // A changed text must not verify.
        let tampered = note.replacen("example", "exampel", 1);
        assert!(Note::open(tampered.as_bytes(), &[&verifier]).is_err());
    }
}
