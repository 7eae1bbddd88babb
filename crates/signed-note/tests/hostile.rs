//! Hostile and malformed inputs: each one must fail with its own specific error.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use signed_note::checkpoint::TreeSizeProblem;
use signed_note::{
    Checkpoint, CheckpointError, KeyIdRule, KeyNameProblem, Note, NoteError, NoteKeySigner,
    NoteLimits, NoteSigner, NoteVerifier, SignedCheckpoint,
};

/// A well-formed signature field: key ID 0x01020304 and 8 signature bytes.
fn sig_b64() -> String {
    BASE64.encode([1, 2, 3, 4, 9, 9, 9, 9, 9, 9, 9, 9])
}

fn parse(case: &str, input: &[u8]) -> NoteError {
    match Note::parse(input) {
        Ok(note) => panic!("{case}: hostile input accepted as {note:?}"),
        Err(err) => err,
    }
}

#[test]
fn malformed_notes_are_rejected_with_specific_errors() {
    let s = sig_b64();
    type Check = fn(&NoteError) -> bool;
    let cases: Vec<(&str, Vec<u8>, Check)> = vec![
        (
            "not UTF-8",
            [
                b"text\xff\n\n\xe2\x80\x94 a ".as_slice(),
                s.as_bytes(),
                b"\n",
            ]
            .concat(),
            |e| matches!(e, NoteError::NotUtf8 { offset: 4 }),
        ),
        (
            "carriage return",
            format!("text\r\n\n— a {s}\n").into_bytes(),
            |e| {
                matches!(
                    e,
                    NoteError::ControlCharacter {
                        offset: 4,
                        byte: 0x0d
                    }
                )
            },
        ),
        (
            "tab in a signature line",
            format!("text\n\n— a\t{s}\n").into_bytes(),
            |e| matches!(e, NoteError::ControlCharacter { byte: 0x09, .. }),
        ),
        (
            "NUL byte",
            format!("te\0xt\n\n— a {s}\n").into_bytes(),
            |e| matches!(e, NoteError::ControlCharacter { offset: 2, byte: 0 }),
        ),
        (
            "no blank line",
            format!("text\n— a {s}\n").into_bytes(),
            |e| matches!(e, NoteError::MissingBlankLine),
        ),
        ("text only", b"text\n".to_vec(), |e| {
            matches!(e, NoteError::MissingBlankLine)
        }),
        ("empty input", Vec::new(), |e| {
            matches!(e, NoteError::MissingBlankLine)
        }),
        ("blank line but no signatures", b"text\n\n".to_vec(), |e| {
            matches!(e, NoteError::EmptySignatureBlock)
        }),
        (
            "trailing blank line after the signatures",
            format!("text\n\n— a {s}\n\n").into_bytes(),
            |e| matches!(e, NoteError::EmptySignatureBlock),
        ),
        (
            "no final newline",
            format!("text\n\n— a {s}").into_bytes(),
            |e| matches!(e, NoteError::MissingFinalNewline),
        ),
        (
            "trailing data after the last line",
            format!("text\n\n— a {s}\ntrailing").into_bytes(),
            |e| matches!(e, NoteError::MissingFinalNewline),
        ),
        (
            "ASCII hyphen instead of em dash",
            format!("text\n\n- a {s}\n").into_bytes(),
            |e| matches!(e, NoteError::MissingEmDash { line: 3 }),
        ),
        (
            "double hyphen instead of em dash",
            format!("text\n\n-- a {s}\n").into_bytes(),
            |e| matches!(e, NoteError::MissingEmDash { line: 3 }),
        ),
        (
            "en dash instead of em dash",
            format!("text\n\n\u{2013} a {s}\n").into_bytes(),
            |e| matches!(e, NoteError::MissingEmDash { line: 3 }),
        ),
        (
            "em dash without space",
            format!("text\n\n—a {s}\n").into_bytes(),
            |e| matches!(e, NoteError::MissingEmDash { line: 3 }),
        ),
        (
            "junk line after a good signature line",
            format!("line 1\nline 2\n\n— a {s}\njunk\n").into_bytes(),
            |e| matches!(e, NoteError::MissingEmDash { line: 5 }),
        ),
        (
            "name without signature",
            b"text\n\n\xe2\x80\x94 a\n".to_vec(),
            |e| matches!(e, NoteError::MissingSignature { line: 3 }),
        ),
        (
            "name and space without signature",
            b"text\n\n\xe2\x80\x94 a \n".to_vec(),
            |e| matches!(e, NoteError::MissingSignature { line: 3 }),
        ),
        (
            "empty key name",
            format!("text\n\n—  {s}\n").into_bytes(),
            |e| {
                matches!(
                    e,
                    NoteError::InvalidSignatureName {
                        problem: KeyNameProblem::Empty,
                        ..
                    }
                )
            },
        ),
        (
            "plus in key name",
            format!("text\n\n— a+b {s}\n").into_bytes(),
            |e| {
                matches!(
                    e,
                    NoteError::InvalidSignatureName {
                        problem: KeyNameProblem::Plus,
                        ..
                    }
                )
            },
        ),
        (
            "no-break space in key name",
            format!("text\n\n— a\u{a0}b {s}\n").into_bytes(),
            |e| {
                matches!(
                    e,
                    NoteError::InvalidSignatureName {
                        problem: KeyNameProblem::Whitespace,
                        ..
                    }
                )
            },
        ),
        (
            "not base64",
            b"text\n\n\xe2\x80\x94 a !!!!!!!!\n".to_vec(),
            |e| matches!(e, NoteError::InvalidBase64 { line: 3 }),
        ),
        (
            "base64 without padding",
            // "AQIDBAU=" is the canonical encoding of [1, 2, 3, 4, 5].
            b"text\n\n\xe2\x80\x94 a AQIDBAU\n".to_vec(),
            |e| matches!(e, NoteError::InvalidBase64 { line: 3 }),
        ),
        (
            "URL-safe base64 alphabet",
            // 0xfb 0xff encodes to "+/8=" in standard base64 and "-_8=" in the URL alphabet.
            b"text\n\n\xe2\x80\x94 a AQIDBAX7_w==\n".to_vec(),
            |e| matches!(e, NoteError::InvalidBase64 { line: 3 }),
        ),
        (
            "non-canonical base64 (stray trailing bits)",
            b"text\n\n\xe2\x80\x94 a AQIDBAX=\n".to_vec(),
            |e| matches!(e, NoteError::InvalidBase64 { line: 3 }),
        ),
        (
            "extra space before the signature",
            format!("text\n\n— a  {s}\n").into_bytes(),
            |e| matches!(e, NoteError::InvalidBase64 { line: 3 }),
        ),
        (
            "signature of only a key ID",
            format!("text\n\n— a {}\n", BASE64.encode([1, 2, 3, 4])).into_bytes(),
            |e| matches!(e, NoteError::SignatureTooShort { line: 3, len: 4 }),
        ),
        (
            "signature shorter than a key ID",
            format!("text\n\n— a {}\n", BASE64.encode([1, 2])).into_bytes(),
            |e| matches!(e, NoteError::SignatureTooShort { line: 3, len: 2 }),
        ),
        (
            "too many signatures",
            format!("text\n\n{}", format!("— a {s}\n").repeat(101)).into_bytes(),
            |e| {
                matches!(
                    e,
                    NoteError::TooManySignatures {
                        count: 101,
                        limit: 100
                    }
                )
            },
        ),
        (
            "oversized note",
            format!("{}\n\n— a {s}\n", "x".repeat(1 << 20)).into_bytes(),
            |e| {
                matches!(
                    e,
                    NoteError::NoteTooLarge {
                        limit: 1_048_576,
                        ..
                    }
                )
            },
        ),
    ];
    for (name, input, check) in &cases {
        let err = parse(name, input);
        assert!(check(&err), "{name}: unexpected error {err:?}");
    }
    // 100 signatures are fine (the spec requires accepting at least 16).
    let hundred = format!("text\n\n{}", format!("— a {s}\n").repeat(100));
    assert_eq!(
        Note::parse(hundred.as_bytes()).unwrap().signatures().len(),
        100
    );
}

#[test]
fn limits_are_configurable_and_checked_first() {
    let s = sig_b64();
    let note = format!("text\n\n— a {s}\n— b {s}\n");
    let tight = NoteLimits {
        max_note_bytes: 10,
        max_signatures: 100,
    };
    // Even a non-UTF-8 input is rejected for its size before anything else is looked at.
    let mut bad = note.clone().into_bytes();
    bad[0] = 0xff;
    assert!(matches!(
        Note::parse_with_limits(&bad, &tight),
        Err(NoteError::NoteTooLarge { limit: 10, .. })
    ));
    let one_signature = NoteLimits {
        max_note_bytes: 1 << 20,
        max_signatures: 1,
    };
    assert!(matches!(
        Note::parse_with_limits(note.as_bytes(), &one_signature),
        Err(NoteError::TooManySignatures { count: 2, limit: 1 })
    ));
    assert!(Note::parse(note.as_bytes()).is_ok());
}

#[test]
fn blank_lines_in_text_follow_the_spec() {
    // signed-note: "The note text MAY contain empty lines; the text is separated from the
    // signatures by the last empty line in the note."
    let s = sig_b64();
    let note = Note::parse(format!("a\n\nb\n\n\n— k {s}\n").as_bytes()).unwrap();
    assert_eq!(note.text(), "a\n\nb\n\n");
    // A blank line between two signature lines puts the first one into the text.
    let note = Note::parse(format!("a\n\n— k {s}\n\n— m {s}\n").as_bytes()).unwrap();
    assert_eq!(note.text(), format!("a\n\n— k {s}\n"));
    assert_eq!(note.signatures().len(), 1);
}

struct FakeVerifier {
    name: &'static str,
    key_id: u32,
    accept: bool,
}

impl NoteVerifier for FakeVerifier {
    fn name(&self) -> &str {
        self.name
    }
    fn key_id(&self) -> u32 {
        self.key_id
    }
    fn verify(&self, _msg: &[u8], _signature: &[u8]) -> bool {
        self.accept
    }
}

#[test]
fn verification_failures_are_specific() {
    let s = sig_b64(); // key ID 0x01020304
    let note = Note::parse(format!("text\n\n— a {s}\n— b {s}\n").as_bytes()).unwrap();
    let good_a = FakeVerifier {
        name: "a",
        key_id: 0x0102_0304,
        accept: true,
    };
    let bad_b = FakeVerifier {
        name: "b",
        key_id: 0x0102_0304,
        accept: false,
    };
    let other_id = FakeVerifier {
        name: "a",
        key_id: 0x0102_0305,
        accept: true,
    };
    let other_name = FakeVerifier {
        name: "c",
        key_id: 0x0102_0304,
        accept: true,
    };

    // Unknown keys (same name or same ID, but not both) are ignored; none left → error.
    let err = note.verify(&[&other_id, &other_name]).unwrap_err();
    match err {
        NoteError::NoVerifiedSignature { unknown } => assert_eq!(
            unknown,
            vec![("a".to_owned(), 0x0102_0304), ("b".to_owned(), 0x0102_0304)]
        ),
        other => panic!("unexpected {other:?}"),
    }
    assert!(matches!(
        note.verify(&[]),
        Err(NoteError::NoVerifiedSignature { .. })
    ));

    // A known key whose signature fails rejects the whole note, even if another verifies.
    assert!(matches!(
        note.verify(&[&good_a, &bad_b]),
        Err(NoteError::InvalidSignature { ref name, key_id: 0x0102_0304 }) if name == "b"
    ));

    // Two verifiers for the same (name, key ID) are ambiguous.
    let good_a_again = FakeVerifier {
        name: "a",
        key_id: 0x0102_0304,
        accept: true,
    };
    assert!(matches!(
        note.verify(&[&good_a, &good_a_again]),
        Err(NoteError::AmbiguousVerifier { ref name, .. }) if name == "a"
    ));

    // One known key verifies: the other line is kept as unverified.
    let verified = note.verify(&[&good_a, &other_id]).unwrap();
    assert_eq!(verified.verified_signatures().count(), 1);
    assert_eq!(verified.unverified_signatures().count(), 1);
    assert!(verified.is_verified_by("a", 0x0102_0304));
    assert!(!verified.is_verified_by("b", 0x0102_0304));
}

#[test]
fn building_invalid_notes_fails() {
    let sig = signed_note::NoteSignature::new(signed_note::KeyName::new("a").unwrap(), 1, vec![1])
        .unwrap();
    assert!(matches!(
        Note::new("no newline", vec![sig.clone()]),
        Err(NoteError::TextMissingFinalNewline)
    ));
    assert!(matches!(
        Note::new("", vec![sig.clone()]),
        Err(NoteError::EmptyText)
    ));
    assert!(matches!(
        Note::new("a\tb\n", vec![sig.clone()]),
        Err(NoteError::ControlCharacter { offset: 1, byte: 9 })
    ));
    assert!(matches!(
        Note::new("text\n", vec![]),
        Err(NoteError::NoSignatures)
    ));
    assert!(matches!(
        signed_note::NoteSignature::new(signed_note::KeyName::new("a").unwrap(), 1, vec![]),
        Err(NoteError::EmptySignature { .. })
    ));
    for (name, problem) in [
        ("", KeyNameProblem::Empty),
        ("a b", KeyNameProblem::Whitespace),
        ("a+b", KeyNameProblem::Plus),
        ("a\u{1}b", KeyNameProblem::ControlCharacter),
        ("a\u{3000}b", KeyNameProblem::Whitespace),
    ] {
        match signed_note::KeyName::new(name) {
            Err(NoteError::InvalidKeyName { problem: p, .. }) => assert_eq!(p, problem, "{name:?}"),
            other => panic!("{name:?}: unexpected {other:?}"),
        }
    }
}

#[test]
fn malformed_checkpoint_text_is_rejected_with_specific_errors() {
    let root = BASE64.encode([7u8; 32]);
    type Check = fn(&CheckpointError) -> bool;
    let cases: Vec<(&str, String, Check)> = vec![
        ("empty", String::new(), |e| {
            matches!(e, CheckpointError::TooFewLines { lines: 0 })
        }),
        ("two lines", "origin\n42\n".into(), |e| {
            matches!(e, CheckpointError::TooFewLines { lines: 2 })
        }),
        ("no final newline", format!("origin\n42\n{root}"), |e| {
            matches!(e, CheckpointError::MissingFinalNewline)
        }),
        ("empty origin", format!("\n42\n{root}\n"), |e| {
            matches!(e, CheckpointError::EmptyOrigin)
        }),
        (
            "origin with trailing space",
            format!("origin \n42\n{root}\n"),
            |e| matches!(e, CheckpointError::OriginWhitespace { .. }),
        ),
        (
            "origin with leading space",
            format!(" origin\n42\n{root}\n"),
            |e| matches!(e, CheckpointError::OriginWhitespace { .. }),
        ),
        ("carriage return", format!("origin\r\n42\n{root}\n"), |e| {
            matches!(
                e,
                CheckpointError::ControlCharacter {
                    offset: 6,
                    byte: 0x0d
                }
            )
        }),
        (
            "blank line after origin",
            format!("origin\n\n42\n{root}\n"),
            |e| {
                matches!(
                    e,
                    CheckpointError::InvalidTreeSize {
                        problem: TreeSizeProblem::Empty,
                        ..
                    }
                )
            },
        ),
        ("leading zero", format!("origin\n042\n{root}\n"), |e| {
            matches!(
                e,
                CheckpointError::InvalidTreeSize {
                    problem: TreeSizeProblem::LeadingZero,
                    ..
                }
            )
        }),
        ("double zero", format!("origin\n00\n{root}\n"), |e| {
            matches!(
                e,
                CheckpointError::InvalidTreeSize {
                    problem: TreeSizeProblem::LeadingZero,
                    ..
                }
            )
        }),
        ("plus sign", format!("origin\n+42\n{root}\n"), |e| {
            matches!(
                e,
                CheckpointError::InvalidTreeSize {
                    problem: TreeSizeProblem::NotDecimal,
                    ..
                }
            )
        }),
        ("minus sign", format!("origin\n-1\n{root}\n"), |e| {
            matches!(
                e,
                CheckpointError::InvalidTreeSize {
                    problem: TreeSizeProblem::NotDecimal,
                    ..
                }
            )
        }),
        ("space in size", format!("origin\n 42\n{root}\n"), |e| {
            matches!(
                e,
                CheckpointError::InvalidTreeSize {
                    problem: TreeSizeProblem::NotDecimal,
                    ..
                }
            )
        }),
        ("hex size", format!("origin\n0x2a\n{root}\n"), |e| {
            matches!(
                e,
                CheckpointError::InvalidTreeSize {
                    problem: TreeSizeProblem::NotDecimal,
                    ..
                }
            )
        }),
        (
            "size above u64",
            format!("origin\n18446744073709551616\n{root}\n"),
            |e| {
                matches!(
                    e,
                    CheckpointError::InvalidTreeSize {
                        problem: TreeSizeProblem::Overflow,
                        ..
                    }
                )
            },
        ),
        (
            "root hash not base64",
            "origin\n42\nnot base64!\n".into(),
            |e| matches!(e, CheckpointError::RootHashBase64 { .. }),
        ),
        (
            "root hash URL-safe base64",
            "origin\n42\n-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_-_8=\n".into(),
            |e| matches!(e, CheckpointError::RootHashBase64 { .. }),
        ),
        (
            "root hash of 31 bytes",
            format!("origin\n42\n{}\n", BASE64.encode([1u8; 31])),
            |e| matches!(e, CheckpointError::RootHashLength { len: 31 }),
        ),
        (
            "root hash of 33 bytes",
            format!("origin\n42\n{}\n", BASE64.encode([1u8; 33])),
            |e| matches!(e, CheckpointError::RootHashLength { len: 33 }),
        ),
        (
            "empty extension line",
            format!("origin\n42\n{root}\next\n\n"),
            |e| matches!(e, CheckpointError::EmptyExtensionLine { line: 5 }),
        ),
    ];
    for (name, text, check) in &cases {
        let err = Checkpoint::parse(text).expect_err(name);
        assert!(check(&err), "{name}: unexpected error {err:?}");
    }
    // The largest size is fine, and so is 0.
    let max = Checkpoint::parse(&format!("origin\n18446744073709551615\n{root}\n")).unwrap();
    assert_eq!(max.size(), u64::MAX);
    assert_eq!(
        Checkpoint::parse(&format!("o\n0\n{root}\n"))
            .unwrap()
            .size(),
        0
    );
}

#[test]
fn signed_but_malformed_checkpoints_are_rejected() {
    // A correctly signed note whose text is not a valid checkpoint still fails, after the
    // signature check, with the checkpoint error.
    let key = Arc::new(keys::SoftwareSigner::generate(keys::SigningAlgorithm::Ed25519).unwrap());
    let signer = NoteKeySigner::new("log.example", key, KeyIdRule::C2sp).unwrap();
    let verifier = signer.verifier();
    let root = BASE64.encode([7u8; 32]);
    let sign = |text: &str| {
        let sig = signer.sign(text.as_bytes()).unwrap();
        let mut raw = signer.key_id().to_be_bytes().to_vec();
        raw.extend_from_slice(&sig);
        format!("{text}\n— log.example {}\n", BASE64.encode(raw))
    };

    // Two blank lines: the first becomes an (empty) extension line of the signed text.
    let two_blank = sign(&format!("log.example\n42\n{root}\n\n"));
    assert!(matches!(
        SignedCheckpoint::verify(two_blank.as_bytes(), &[&verifier]),
        Err(CheckpointError::EmptyExtensionLine { line: 4 })
    ));
    let leading_zero = sign(&format!("log.example\n042\n{root}\n"));
    assert!(matches!(
        SignedCheckpoint::verify(leading_zero.as_bytes(), &[&verifier]),
        Err(CheckpointError::InvalidTreeSize {
            problem: TreeSizeProblem::LeadingZero,
            ..
        })
    ));
    let good = sign(&format!("log.example\n42\n{root}\n"));
    SignedCheckpoint::verify(good.as_bytes(), &[&verifier]).unwrap();
    // Unsigned (unknown key) comes before any look at the text.
    let other = Arc::new(keys::SoftwareSigner::generate(keys::SigningAlgorithm::Ed25519).unwrap());
    let other = NoteKeySigner::new("log.example", other, KeyIdRule::C2sp).unwrap();
    assert!(matches!(
        SignedCheckpoint::verify(leading_zero.as_bytes(), &[&other.verifier()]),
        Err(CheckpointError::Note(NoteError::NoVerifiedSignature { .. }))
    ));
}

#[test]
fn malformed_verifier_keys_are_rejected() {
    use signed_note::{VerifierKey, VerifierKeyError};
    let raw = [0x11u8; 32];
    let key = keys::PublicKey::from_ed25519_raw(raw).unwrap();
    let good = VerifierKey::ed25519(signed_note::KeyName::new("example.com/k").unwrap(), &key)
        .unwrap()
        .to_string();
    let (name, rest) = good.split_once('+').unwrap();
    let (id, material) = rest.split_once('+').unwrap();
    assert!(VerifierKey::parse(&good).is_ok());
    let upper = format!("{name}+{}+{material}", id.to_uppercase());
    assert!(
        VerifierKey::parse(&upper).is_ok(),
        "hex case is free, as in Go"
    );

    type Check = fn(&VerifierKeyError) -> bool;
    let wrong_id = format!("{:08x}", u32::from_str_radix(id, 16).unwrap() ^ 1);
    let cases: Vec<(&str, String, Check)> = vec![
        ("one field", name.to_owned(), |e| {
            matches!(e, VerifierKeyError::MissingField)
        }),
        ("two fields", format!("{name}+{id}"), |e| {
            matches!(e, VerifierKeyError::MissingField)
        }),
        ("empty name", format!("+{id}+{material}"), |e| {
            matches!(e, VerifierKeyError::InvalidName { .. })
        }),
        (
            "short key ID",
            format!("{name}+{}+{material}", &id[1..]),
            |e| matches!(e, VerifierKeyError::InvalidKeyId { .. }),
        ),
        (
            "non-hex key ID",
            format!("{name}+zzzzzzzz+{material}"),
            |e| matches!(e, VerifierKeyError::InvalidKeyId { .. }),
        ),
        ("bad base64", format!("{name}+{id}+!!!!"), |e| {
            matches!(e, VerifierKeyError::InvalidBase64)
        }),
        ("empty key", format!("{name}+{id}+"), |e| {
            matches!(e, VerifierKeyError::EmptyKey)
        }),
        (
            "unknown type",
            format!(
                "{name}+{id}+{}",
                BASE64.encode([&[0x09u8][..], &raw].concat())
            ),
            |e| matches!(e, VerifierKeyError::UnsupportedType(0x09)),
        ),
        (
            "short key",
            format!(
                "{name}+{id}+{}",
                BASE64.encode([&[0x01u8][..], &raw[..31]].concat())
            ),
            |e| {
                matches!(
                    e,
                    VerifierKeyError::KeyLength {
                        len: 31,
                        expected: 32
                    }
                )
            },
        ),
        (
            "key ID mismatch",
            format!("{name}+{wrong_id}+{material}"),
            |e| matches!(e, VerifierKeyError::KeyIdMismatch { .. }),
        ),
        (
            "name changed",
            format!("example.com/other+{id}+{material}"),
            |e| matches!(e, VerifierKeyError::KeyIdMismatch { .. }),
        ),
        (
            "type changed to cosignature",
            format!(
                "{name}+{id}+{}",
                BASE64.encode([&[0x04u8][..], &raw].concat())
            ),
            |e| matches!(e, VerifierKeyError::KeyIdMismatch { .. }),
        ),
    ];
    for (case, vkey, check) in &cases {
        let err = VerifierKey::parse(vkey).expect_err(case);
        assert!(check(&err), "{case}: unexpected error {err:?}");
    }
}
