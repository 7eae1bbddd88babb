//! Shared helpers: the vectors produced by `tests/data/gen.py`, and error names.
#![allow(dead_code)]

use rekor_types::EntryError;
use serde_json::Value;

/// The parsed `tests/data/vectors.json`.
pub fn vectors() -> Value {
    serde_json::from_str(include_str!("../data/vectors.json")).expect("vectors.json is JSON")
}

/// The `proposed` JSON text of the named valid case.
pub fn proposal(name: &str) -> String {
    let v = vectors();
    v["cases"]
        .as_array()
        .expect("cases")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))["proposed"]
        .as_str()
        .expect("proposed is a string")
        .to_owned()
}

/// The named valid case's proposal, parsed.
pub fn proposal_value(name: &str) -> Value {
    serde_json::from_str(&proposal(name)).expect("proposal is JSON")
}

/// A PEM from the `keys` section of the vectors.
pub fn key_pem(name: &str) -> String {
    vectors()["keys"][name]
        .as_str()
        .unwrap_or_else(|| panic!("no key {name}"))
        .to_owned()
}

/// The variant name of an error, to compare with the vectors' `error` strings.
pub fn error_name(e: &EntryError) -> &'static str {
    match e {
        EntryError::TooLarge { .. } => "TooLarge",
        EntryError::InvalidJson { .. } => "InvalidJson",
        EntryError::WrongType { .. } => "WrongType",
        EntryError::MissingField { .. } => "MissingField",
        EntryError::EmptyField { .. } => "EmptyField",
        EntryError::UnexpectedField { .. } => "UnexpectedField",
        EntryError::UnknownKind { .. } => "UnknownKind",
        EntryError::UnsupportedKind { .. } => "UnsupportedKind",
        EntryError::KindDisabled { .. } => "KindDisabled",
        EntryError::UnsupportedApiVersion { .. } => "UnsupportedApiVersion",
        EntryError::InvalidBase64 { .. } => "InvalidBase64",
        EntryError::InvalidHex { .. } => "InvalidHex",
        EntryError::InvalidValue { .. } => "InvalidValue",
        EntryError::DigestLength { .. } => "DigestLength",
        EntryError::ServerComputedField { .. } => "ServerComputedField",
        EntryError::Pem { .. } => "Pem",
        EntryError::InvalidCertificate { .. } => "InvalidCertificate",
        EntryError::InvalidPublicKey { .. } => "InvalidPublicKey",
        EntryError::AlgorithmNotPermitted { .. } => "AlgorithmNotPermitted",
        EntryError::SignatureMismatch { .. } => "SignatureMismatch",
        EntryError::InvalidEnvelope { .. } => "InvalidEnvelope",
        EntryError::VerifierMatchesNoSignature { .. } => "VerifierMatchesNoSignature",
        EntryError::UnverifiedSignatures { .. } => "UnverifiedSignatures",
        EntryError::UnsupportedSignatureFormat { .. } => "UnsupportedSignatureFormat",
        EntryError::UrlNotSupported { .. } => "UrlNotSupported",
        EntryError::DigestMismatch { .. } => "DigestMismatch",
        _ => "unknown variant",
    }
}

/// Base64 (standard, padded).
pub fn b64(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

/// Base64 decode (standard, padded).
pub fn unb64(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .expect("test data is base64")
}
