//! Every malformed field of every kind is refused with its specific error.
//!
//! Each test starts from a valid proposal produced by `tests/data/gen.py`, changes one thing,
//! and checks the error variant (and, where it matters, the field it names).

mod common;

use common::{b64, error_name, key_pem, proposal_value, unb64};
use rekor_types::{
    ClientSigningAlgorithm, EntryError, EntryKind, EntryPolicy, PemError, canonicalize,
    canonicalize_value,
};
use serde_json::{Value, json};

const HR: &str = "hashedrekord-p256-key-crlf-76col";
const HR_ED: &str = "hashedrekord-ed25519ph-key";
const HR_RSA: &str = "hashedrekord-rsa2048-key";
const DSSE: &str = "dsse-p256-cert-in-toto";
const DSSE_TWO: &str = "dsse-p384-ed25519-extra-verifier-skipped";
const INTOTO2: &str = "intoto-0.0.2-two-keys-keyid";
const INTOTO1: &str = "intoto-0.0.1-p256-key";

fn run(value: &Value) -> Result<rekor_types::CanonicalEntry, EntryError> {
    canonicalize(
        serde_json::to_string(value).expect("JSON").as_bytes(),
        &EntryPolicy::default(),
    )
}

/// The proposal `name` with the member at JSON pointer `pointer` replaced by `new` (or removed
/// when `new` is `None`).
fn with(name: &str, pointer: &str, new: Option<Value>) -> Value {
    let mut v = proposal_value(name);
    set(&mut v, pointer, new);
    v
}

fn set(v: &mut Value, pointer: &str, new: Option<Value>) {
    let (parent, last) = pointer.rsplit_once('/').expect("pointer has a parent");
    let parent = v
        .pointer_mut(parent)
        .unwrap_or_else(|| panic!("no {parent}"));
    match (parent, new) {
        (Value::Object(map), Some(new)) => {
            map.insert(last.to_owned(), new);
        }
        (Value::Object(map), None) => {
            map.remove(last);
        }
        (Value::Array(items), Some(new)) => {
            items[last.parse::<usize>().expect("index")] = new;
        }
        (Value::Array(items), None) => {
            items.remove(last.parse::<usize>().expect("index"));
        }
        _ => panic!("{pointer} is not inside an object or array"),
    }
}

fn get_str(v: &Value, pointer: &str) -> String {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string at {pointer}"))
        .to_owned()
}

#[track_caller]
fn expect(result: Result<rekor_types::CanonicalEntry, EntryError>, variant: &str, field: &str) {
    let err = match result {
        Ok(_) => panic!("accepted, expected {variant} at {field}"),
        Err(e) => e,
    };
    assert_eq!(error_name(&err), variant, "wrong error: {err}");
    if !field.is_empty() {
        let text = err.to_string();
        assert!(text.contains(field), "error {text:?} does not name {field}");
    }
}

/// Flip one bit of the base64 string at `pointer` (after decoding) and re-encode.
fn tamper_b64(v: &mut Value, pointer: &str, byte: usize) {
    let mut raw = unb64(&get_str(v, pointer));
    raw[byte] ^= 0x01;
    set(v, pointer, Some(json!(b64(&raw))));
}

// ---- envelope of every proposal --------------------------------------------------------------

#[test]
fn size_is_checked_before_parsing() {
    let policy = EntryPolicy {
        max_entry_bytes: 10,
        ..EntryPolicy::default()
    };
    match canonicalize(b"this is not JSON but it is long", &policy) {
        Err(EntryError::TooLarge {
            size: 31,
            limit: 10,
        }) => {}
        other => panic!("expected TooLarge, got {other:?}"),
    }
    let exact = vec![b' '; 10];
    expect(canonicalize(&exact, &policy), "InvalidJson", "");
}

#[test]
fn not_json_or_not_an_object() {
    expect(
        canonicalize(b"{\"kind\":", &EntryPolicy::default()),
        "InvalidJson",
        "",
    );
    expect(run(&json!([1, 2])), "WrongType", "proposed entry");
    expect(run(&json!("hashedrekord")), "WrongType", "proposed entry");
}

#[test]
fn top_level_members() {
    expect(
        run(&with(HR, "/extra", Some(json!(1)))),
        "UnexpectedField",
        "extra",
    );
    expect(run(&with(HR, "/kind", None)), "MissingField", "kind");
    expect(run(&with(HR, "/kind", Some(json!(7)))), "WrongType", "kind");
    expect(
        run(&with(HR, "/apiVersion", None)),
        "MissingField",
        "apiVersion",
    );
    expect(run(&with(HR, "/spec", None)), "MissingField", "spec");
    expect(
        run(&with(HR, "/spec", Some(json!([])))),
        "WrongType",
        "spec",
    );
}

#[test]
fn kinds_and_versions() {
    expect(
        run(&with(HR, "/kind", Some(json!("hashedRekord")))),
        "UnknownKind",
        "hashedRekord",
    );
    for kind in ["rpm", "jar", "alpine", "helm", "tuf", "rfc3161", "cose"] {
        expect(
            run(&with(HR, "/kind", Some(json!(kind)))),
            "UnsupportedKind",
            kind,
        );
    }
    expect(
        run(&with(HR, "/apiVersion", Some(json!("0.0.2")))),
        "UnsupportedApiVersion",
        "0.0.2",
    );
    expect(
        run(&with(DSSE, "/apiVersion", Some(json!("0.0.2")))),
        "UnsupportedApiVersion",
        "dsse",
    );
    expect(
        run(&with(INTOTO2, "/apiVersion", Some(json!("0.0.3")))),
        "UnsupportedApiVersion",
        "0.0.1, 0.0.2",
    );
    let only_hashedrekord = EntryPolicy {
        kinds: vec![EntryKind::HashedRekord],
        ..EntryPolicy::default()
    };
    match canonicalize_value(&proposal_value(DSSE), &only_hashedrekord) {
        Err(EntryError::KindDisabled {
            kind: EntryKind::Dsse,
        }) => {}
        other => panic!("expected KindDisabled, got {other:?}"),
    }
}

// ---- hashedrekord ----------------------------------------------------------------------------

#[test]
fn hashedrekord_missing_and_mistyped_fields() {
    let cases = [
        ("/spec/signature", "spec.signature"),
        ("/spec/signature/content", "spec.signature.content"),
        ("/spec/signature/publicKey", "spec.signature.publicKey"),
        (
            "/spec/signature/publicKey/content",
            "spec.signature.publicKey.content",
        ),
        ("/spec/data", "spec.data"),
        ("/spec/data/hash", "spec.data.hash"),
        ("/spec/data/hash/algorithm", "spec.data.hash.algorithm"),
        ("/spec/data/hash/value", "spec.data.hash.value"),
    ];
    for (pointer, field) in cases {
        expect(run(&with(HR, pointer, None)), "MissingField", field);
        // null counts as absent.
        expect(
            run(&with(HR, pointer, Some(Value::Null))),
            "MissingField",
            field,
        );
    }
    expect(
        run(&with(HR, "/spec/signature", Some(json!("sig")))),
        "WrongType",
        "spec.signature",
    );
    expect(
        run(&with(HR, "/spec/data/hash/algorithm", Some(json!(256)))),
        "WrongType",
        "spec.data.hash.algorithm",
    );
    expect(
        run(&with(HR, "/spec/signature/content", Some(json!("")))),
        "EmptyField",
        "spec.signature.content",
    );
}

#[test]
fn hashedrekord_bad_encodings() {
    expect(
        run(&with(
            HR,
            "/spec/signature/content",
            Some(json!("MEUC!!==")),
        )),
        "InvalidBase64",
        "spec.signature.content",
    );
    expect(
        run(&with(HR, "/spec/signature/content", Some(json!("MEUCIQ")))),
        "InvalidBase64",
        "spec.signature.content",
    );
    expect(
        run(&with(
            HR,
            "/spec/signature/publicKey/content",
            Some(json!("LS0t_")),
        )),
        "InvalidBase64",
        "spec.signature.publicKey.content",
    );
    let digest = get_str(&proposal_value(HR), "/spec/data/hash/value");
    expect(
        run(&with(
            HR,
            "/spec/data/hash/value",
            Some(json!(&digest[1..])),
        )),
        "DigestLength",
        "64",
    );
    expect(
        run(&with(
            HR,
            "/spec/data/hash/value",
            Some(json!(format!("{digest}{digest}"))),
        )),
        "DigestLength",
        "got 128",
    );
    expect(
        run(&with(
            HR,
            "/spec/data/hash/value",
            Some(json!(format!("z{}", &digest[1..]))),
        )),
        "InvalidHex",
        "spec.data.hash.value",
    );
    // A SHA-256 digest labelled sha512 has the wrong length for its algorithm.
    expect(
        run(&with(
            HR,
            "/spec/data/hash/algorithm",
            Some(json!("sha512")),
        )),
        "DigestLength",
        "128",
    );
    expect(
        run(&with(
            HR,
            "/spec/data/hash/algorithm",
            Some(json!("SHA256")),
        )),
        "InvalidValue",
        "spec.data.hash.algorithm",
    );
    expect(
        run(&with(HR, "/spec/data/hash/algorithm", Some(json!("md5")))),
        "InvalidValue",
        "md5",
    );
}

#[test]
fn hashedrekord_bad_keys() {
    let pointer = "/spec/signature/publicKey/content";
    let field = "spec.signature.publicKey.content";
    let p256 = key_pem("p256");
    let cert = key_pem("certificate");

    let err = run(&with(HR, pointer, Some(json!(b64(b"not PEM at all"))))).expect_err("not PEM");
    assert!(matches!(
        err,
        EntryError::Pem {
            source: PemError::NotPem,
            ..
        }
    ));
    // DER (not PEM) is refused, as upstream ("failure decoding PEM").
    let der = unb64(
        &p256
            .lines()
            .filter(|l| !l.starts_with("-----"))
            .collect::<String>(),
    );
    expect(
        run(&with(HR, pointer, Some(json!(b64(&der))))),
        "Pem",
        field,
    );
    let ec_label = p256.replace("PUBLIC KEY", "EC PUBLIC KEY");
    let err = run(&with(HR, pointer, Some(json!(b64(ec_label.as_bytes()))))).expect_err("label");
    assert!(matches!(
        err,
        EntryError::Pem {
            source: PemError::UnsupportedLabel { .. },
            ..
        }
    ));
    let chain = format!("{cert}{cert}");
    let err = run(&with(HR, pointer, Some(json!(b64(chain.as_bytes()))))).expect_err("chain");
    assert!(matches!(
        err,
        EntryError::Pem {
            source: PemError::MultipleBlocks,
            ..
        }
    ));
    let junk_key =
        "-----BEGIN PUBLIC KEY-----\nMAoGCCqGSM49AwEHAwIABA==\n-----END PUBLIC KEY-----\n";
    expect(
        run(&with(HR, pointer, Some(json!(b64(junk_key.as_bytes()))))),
        "InvalidPublicKey",
        field,
    );
    let junk_cert =
        "-----BEGIN CERTIFICATE-----\nMAoGCCqGSM49AwEHAwIABA==\n-----END CERTIFICATE-----\n";
    expect(
        run(&with(HR, pointer, Some(json!(b64(junk_cert.as_bytes()))))),
        "InvalidCertificate",
        field,
    );
    // A different valid key: the signature does not verify.
    expect(
        run(&with(
            HR,
            pointer,
            Some(json!(b64(key_pem("p256_other").as_bytes()))),
        )),
        "SignatureMismatch",
        "spec.signature.content",
    );
    // A key of another type: the algorithm check fails first.
    expect(
        run(&with(
            HR,
            pointer,
            Some(json!(b64(key_pem("ed25519").as_bytes()))),
        )),
        "AlgorithmNotPermitted",
        "Ed25519",
    );
}

#[test]
fn hashedrekord_tampered_signatures_and_digests() {
    for name in [
        HR,
        HR_ED,
        HR_RSA,
        "hashedrekord-p256-cert-no-trailing-newline",
        "hashedrekord-p384-key-uppercase-digest",
    ] {
        for byte in [0, 8, 31] {
            let mut v = proposal_value(name);
            // Tamper inside the signature: for DER signatures byte 8 is inside `r`.
            tamper_b64(&mut v, "/spec/signature/content", byte);
            expect(run(&v), "SignatureMismatch", "spec.signature.content");
        }
        let mut v = proposal_value(name);
        let digest = get_str(&v, "/spec/data/hash/value");
        let flipped = if digest.starts_with('0') { "1" } else { "0" };
        set(
            &mut v,
            "/spec/data/hash/value",
            Some(json!(format!("{flipped}{}", &digest[1..]))),
        );
        expect(run(&v), "SignatureMismatch", "spec.signature.content");
    }
}

#[test]
fn hashedrekord_policy() {
    let no_p256 = EntryPolicy {
        hashedrekord_algorithms: ClientSigningAlgorithm::ALL
            .into_iter()
            .filter(|a| *a != ClientSigningAlgorithm::EcdsaP256Sha256)
            .collect(),
        ..EntryPolicy::default()
    };
    match canonicalize_value(&proposal_value(HR), &no_p256) {
        Err(EntryError::AlgorithmNotPermitted { key, hash }) => {
            assert_eq!(key, "ECDSA P-256");
            assert_eq!(hash, "sha256");
        }
        other => panic!("expected AlgorithmNotPermitted, got {other:?}"),
    }
    let no_ph = EntryPolicy {
        hashedrekord_algorithms: vec![ClientSigningAlgorithm::Ed25519],
        ..EntryPolicy::default()
    };
    expect(
        canonicalize_value(&proposal_value(HR_ED), &no_ph),
        "AlgorithmNotPermitted",
        "sha512",
    );
    let rsa_2048_only = EntryPolicy {
        hashedrekord_algorithms: vec![ClientSigningAlgorithm::Rsa2048Pkcs1Sha256],
        ..EntryPolicy::default()
    };
    assert!(canonicalize_value(&proposal_value(HR_RSA), &rsa_2048_only).is_ok());
    assert_eq!(
        "ed25519-ph".parse::<ClientSigningAlgorithm>(),
        Ok(ClientSigningAlgorithm::Ed25519ph)
    );
    assert!("ed448".parse::<ClientSigningAlgorithm>().is_err());
}

// ---- dsse ------------------------------------------------------------------------------------

fn envelope_of(v: &Value) -> Value {
    serde_json::from_str(&get_str(v, "/spec/proposedContent/envelope")).expect("envelope JSON")
}

fn with_envelope(name: &str, edit: impl FnOnce(&mut Value)) -> Value {
    let mut v = proposal_value(name);
    let mut env = envelope_of(&v);
    edit(&mut env);
    set(
        &mut v,
        "/spec/proposedContent/envelope",
        Some(json!(serde_json::to_string(&env).expect("JSON"))),
    );
    v
}

#[test]
fn dsse_server_computed_fields_are_refused() {
    let hash = json!({"algorithm": "sha256", "value": "0".repeat(64)});
    for (member, value) in [
        ("envelopeHash", hash.clone()),
        ("payloadHash", hash),
        (
            "signatures",
            json!([{"signature": "MEUC", "verifier": "LS0t"}]),
        ),
    ] {
        let pointer = format!("/spec/{member}");
        expect(
            run(&with(DSSE, &pointer, Some(value.clone()))),
            "ServerComputedField",
            &format!("spec.{member}"),
        );
        // Also without proposedContent (a canonical body sent back as a proposal).
        let mut v = with(DSSE, &pointer, Some(value));
        set(&mut v, "/spec/proposedContent", None);
        expect(run(&v), "ServerComputedField", &format!("spec.{member}"));
    }
}

#[test]
fn dsse_missing_and_malformed_members() {
    expect(
        run(&with(DSSE, "/spec/proposedContent", None)),
        "MissingField",
        "spec.proposedContent",
    );
    expect(
        run(&with(DSSE, "/spec/proposedContent/envelope", None)),
        "MissingField",
        "spec.proposedContent.envelope",
    );
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/envelope",
            Some(json!("")),
        )),
        "EmptyField",
        "spec.proposedContent.envelope",
    );
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/envelope",
            Some(json!({"payload": "x"})),
        )),
        "WrongType",
        "spec.proposedContent.envelope",
    );
    expect(
        run(&with(DSSE, "/spec/proposedContent/verifiers", None)),
        "MissingField",
        "spec.proposedContent.verifiers",
    );
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/verifiers",
            Some(json!([])),
        )),
        "EmptyField",
        "spec.proposedContent.verifiers",
    );
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/verifiers",
            Some(json!("LS0t")),
        )),
        "WrongType",
        "spec.proposedContent.verifiers",
    );
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/verifiers/0",
            Some(json!(1)),
        )),
        "WrongType",
        "spec.proposedContent.verifiers[0]",
    );
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/verifiers/0",
            Some(json!("")),
        )),
        "EmptyField",
        "spec.proposedContent.verifiers[0]",
    );
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/verifiers/0",
            Some(json!("%%%%")),
        )),
        "InvalidBase64",
        "spec.proposedContent.verifiers[0]",
    );
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/verifiers/0",
            Some(json!(b64(b"not PEM"))),
        )),
        "Pem",
        "spec.proposedContent.verifiers[0]",
    );
}

#[test]
fn dsse_bad_envelopes() {
    let field = "spec.proposedContent.envelope";
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/envelope",
            Some(json!("{not json")),
        )),
        "InvalidEnvelope",
        field,
    );
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/envelope",
            Some(json!("[]")),
        )),
        "InvalidEnvelope",
        field,
    );
    expect(
        run(&with_envelope(DSSE, |env| env["signatures"] = json!([]))),
        "InvalidEnvelope",
        "1 or more signatures",
    );
    expect(
        run(&with_envelope(DSSE, |env| {
            env["signatures"][0]["sig"] = json!("*")
        })),
        "InvalidBase64",
        "signatures[0].sig",
    );
    expect(
        run(&with_envelope(DSSE, |env| env["payload"] = json!("***"))),
        "InvalidBase64",
        "payload",
    );
    expect(
        run(&with_envelope(DSSE, |env| {
            env.as_object_mut().expect("object").remove("payloadType");
        })),
        "InvalidEnvelope",
        "payloadType",
    );
}

#[test]
fn dsse_signature_checks() {
    // Payload changed: the signature no longer verifies.
    expect(
        run(&with_envelope(DSSE, |env| {
            env["payload"] = json!(b64(b"{}"))
        })),
        "VerifierMatchesNoSignature",
        "verifiers[0]",
    );
    // payloadType changed: it is part of the PAE.
    expect(
        run(&with_envelope(DSSE, |env| {
            env["payloadType"] = json!("text/plain")
        })),
        "VerifierMatchesNoSignature",
        "verifiers[0]",
    );
    // Signature tampered.
    let v = with_envelope(DSSE, |env| {
        let mut raw = unb64(env["signatures"][0]["sig"].as_str().expect("sig"));
        raw[10] ^= 1;
        env["signatures"][0]["sig"] = json!(b64(&raw));
    });
    expect(run(&v), "VerifierMatchesNoSignature", "verifiers[0]");
    // A valid key that signed nothing here.
    expect(
        run(&with(
            DSSE,
            "/spec/proposedContent/verifiers/0",
            Some(json!(b64(key_pem("p256_other").as_bytes()))),
        )),
        "VerifierMatchesNoSignature",
        "verifiers[0]",
    );
    // Two signatures, only one key: one signature stays unverified.
    let mut v = proposal_value(DSSE_TWO);
    set(
        &mut v,
        "/spec/proposedContent/verifiers",
        Some(json!([b64(key_pem("p384").as_bytes())])),
    );
    match run(&v) {
        Err(EntryError::UnverifiedSignatures { count: 1 }) => {}
        other => panic!("expected UnverifiedSignatures, got {other:?}"),
    }
    // The third verifier of DSSE_TWO is not PEM; it is only looked at when a signature is
    // still unverified after the first two.
    let mut v = proposal_value(DSSE_TWO);
    set(&mut v, "/spec/proposedContent/verifiers/1", None);
    expect(run(&v), "Pem", "verifiers[1]");
}

#[test]
fn dsse_index_keys_use_the_last_verifier_of_a_signature() {
    // The same key twice, then the Ed25519 key: the P-384 signature is claimed twice (the
    // second claim wins, same key), the Ed25519 one once.
    let mut v = proposal_value(DSSE_TWO);
    let p384 = b64(key_pem("p384").as_bytes());
    let ed = b64(key_pem("ed25519").as_bytes());
    set(
        &mut v,
        "/spec/proposedContent/verifiers",
        Some(json!([p384, p384, ed])),
    );
    let reference = run(&proposal_value(DSSE_TWO)).expect("reference");
    let entry = run(&v).expect("accepted");
    assert_eq!(entry.body, reference.body);
}

// ---- intoto 0.0.2 ----------------------------------------------------------------------------

#[test]
fn intoto_v002_missing_and_malformed_members() {
    let missing = [
        ("/spec/content", "spec.content"),
        ("/spec/content/envelope", "spec.content.envelope"),
        (
            "/spec/content/envelope/payloadType",
            "spec.content.envelope.payloadType",
        ),
        (
            "/spec/content/envelope/payload",
            "spec.content.envelope.payload",
        ),
        (
            "/spec/content/envelope/signatures",
            "spec.content.envelope.signatures",
        ),
        (
            "/spec/content/envelope/signatures/0/sig",
            "signatures[0].sig",
        ),
        (
            "/spec/content/envelope/signatures/1/publicKey",
            "signatures[1].publicKey",
        ),
        ("/spec/content/hash", "spec.content.hash"),
        ("/spec/content/hash/value", "spec.content.hash.value"),
    ];
    for (pointer, field) in missing {
        expect(run(&with(INTOTO2, pointer, None)), "MissingField", field);
    }
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/envelope/signatures",
            Some(json!([])),
        )),
        "EmptyField",
        "spec.content.envelope.signatures",
    );
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/envelope/signatures/0",
            Some(Value::Null),
        )),
        "MissingField",
        "signatures[0]",
    );
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/envelope/signatures/0/keyid",
            Some(json!(1)),
        )),
        "WrongType",
        "signatures[0].keyid",
    );
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/envelope/signatures/0/sig",
            Some(json!("???")),
        )),
        "InvalidBase64",
        "signatures[0].sig",
    );
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/envelope/payload",
            Some(json!("")),
        )),
        "EmptyField",
        "spec.content.envelope.payload",
    );
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/hash/algorithm",
            Some(json!("sha512")),
        )),
        "InvalidValue",
        "spec.content.hash.algorithm",
    );
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/hash/value",
            Some(json!("abc")),
        )),
        "DigestLength",
        "spec.content.hash.value",
    );
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/payloadHash",
            Some(json!({"algorithm": "sha1", "value": "0"})),
        )),
        "InvalidValue",
        "spec.content.payloadHash.algorithm",
    );
}

#[test]
fn intoto_v002_double_base64_and_signatures() {
    // Single base64 of the payload: decoding once yields the statement JSON, which is not
    // the base64 DSSE requires.
    let v = proposal_value(INTOTO2);
    let inner = String::from_utf8(unb64(&get_str(&v, "/spec/content/envelope/payload")))
        .expect("inner base64 is text");
    let statement = unb64(&inner);
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/envelope/payload",
            Some(json!(b64(&statement))),
        )),
        "InvalidBase64",
        "spec.content.envelope.payload",
    );
    // A signature tampered (inside its double base64): its key verifies nothing.
    let mut v = proposal_value(INTOTO2);
    let pointer = "/spec/content/envelope/signatures/1/sig";
    let inner = String::from_utf8(unb64(&get_str(&v, pointer))).expect("text");
    let mut raw = unb64(&inner);
    raw[5] ^= 1;
    set(&mut v, pointer, Some(json!(b64(b64(&raw).as_bytes()))));
    expect(
        run(&v),
        "VerifierMatchesNoSignature",
        "signatures[1].publicKey",
    );
    // A key that signed nothing.
    expect(
        run(&with(
            INTOTO2,
            "/spec/content/envelope/signatures/0/publicKey",
            Some(json!(b64(key_pem("p256_other").as_bytes()))),
        )),
        "VerifierMatchesNoSignature",
        "signatures[0].publicKey",
    );
    // Both signatures verified by the first key only (second key replaced by the first).
    let mut v = proposal_value(INTOTO2);
    let first = get_str(&v, "/spec/content/envelope/signatures/0/publicKey");
    set(
        &mut v,
        "/spec/content/envelope/signatures/1/publicKey",
        Some(json!(first)),
    );
    match run(&v) {
        Err(EntryError::UnverifiedSignatures { count: 1 }) => {}
        other => panic!("expected UnverifiedSignatures, got {other:?}"),
    }
}

#[test]
fn intoto_v002_client_payload_hash_is_replaced() {
    let reference = run(&proposal_value(INTOTO2)).expect("reference");
    let v = with(
        INTOTO2,
        "/spec/content/payloadHash",
        Some(json!({"algorithm": "sha256", "value": "f".repeat(64)})),
    );
    assert_eq!(run(&v).expect("accepted").body, reference.body);
    let v = with(INTOTO2, "/spec/content/payloadHash", None);
    assert_eq!(run(&v).expect("accepted").body, reference.body);
}

// ---- intoto 0.0.1 ----------------------------------------------------------------------------

#[test]
fn intoto_v001_rejections() {
    expect(
        run(&with(INTOTO1, "/spec/publicKey", None)),
        "MissingField",
        "spec.publicKey",
    );
    expect(
        run(&with(INTOTO1, "/spec/content", None)),
        "MissingField",
        "spec.content",
    );
    expect(
        run(&with(INTOTO1, "/spec/content/envelope", None)),
        "MissingField",
        "spec.content.envelope",
    );
    expect(
        run(&with(
            INTOTO1,
            "/spec/content/envelope",
            Some(json!("nope")),
        )),
        "InvalidEnvelope",
        "spec.content.envelope",
    );
    expect(
        run(&with(
            INTOTO1,
            "/spec/content/hash",
            Some(json!({"algorithm": "md5", "value": "00"})),
        )),
        "InvalidValue",
        "spec.content.hash.algorithm",
    );
    expect(
        run(&with(
            INTOTO1,
            "/spec/publicKey",
            Some(json!(b64(key_pem("p384").as_bytes()))),
        )),
        "VerifierMatchesNoSignature",
        "spec.publicKey",
    );
    // The payload must be standard base64 for the payload hash, even though DSSE verification
    // would accept URL-safe base64.
    let mut v = proposal_value(INTOTO1);
    let mut env: Value =
        serde_json::from_str(&get_str(&v, "/spec/content/envelope")).expect("envelope");
    env["payload"] = json!("@@@@");
    set(
        &mut v,
        "/spec/content/envelope",
        Some(json!(serde_json::to_string(&env).expect("JSON"))),
    );
    expect(run(&v), "InvalidBase64", "payload");
    for member in ["payload", "payloadType"] {
        let mut v = proposal_value(INTOTO1);
        let mut env: Value =
            serde_json::from_str(&get_str(&v, "/spec/content/envelope")).expect("envelope");
        env[member] = json!("");
        set(
            &mut v,
            "/spec/content/envelope",
            Some(json!(serde_json::to_string(&env).expect("JSON"))),
        );
        expect(run(&v), "InvalidEnvelope", "must not be empty");
    }
}

#[test]
fn error_messages_are_readable() {
    let err = run(&with(HR, "/spec/data/hash/value", Some(json!("abcd")))).expect_err("short");
    assert_eq!(
        err.to_string(),
        "spec.data.hash.value must be 64 hex characters for sha256, got 4"
    );
    let err = run(&with(HR, "/kind", Some(json!("rpm")))).expect_err("rpm");
    assert_eq!(
        err.to_string(),
        "entry kind \"rpm\" is not supported by this log (supported: hashedrekord, dsse, intoto, rekord)"
    );
    let err = run(&with(DSSE, "/spec/payloadHash", Some(json!({})))).expect_err("computed");
    assert_eq!(
        err.to_string(),
        "spec.payloadHash is computed by the log and must not be proposed; send only spec.proposedContent"
    );
}

#[test]
fn dsse_null_server_computed_fields_read_as_absent() {
    // sigstore-python (pydantic) sends every optional member of the spec, as `null`.
    let mut v = with(DSSE, "/spec/envelopeHash", Some(Value::Null));
    set(&mut v, "/spec/payloadHash", Some(Value::Null));
    set(&mut v, "/spec/signatures", Some(Value::Null));
    let outcome = run(&v);
    assert!(outcome.is_ok(), "{outcome:?}");
}
