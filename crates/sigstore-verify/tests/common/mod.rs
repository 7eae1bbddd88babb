//! Fixture loading shared by the integration tests.

#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use sigstore_bundle::Bundle;
use sigstore_verify::{Policy, Verifier};
use trust_root::TrustedRoot;

/// Bytes of a file under `tests/fixtures`.
pub fn fixture(rel: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A parsed bundle fixture.
pub fn bundle(rel: &str) -> Bundle {
    Bundle::from_json(&fixture(rel)).unwrap()
}

/// A verifier for a trusted-root fixture.
pub fn verifier(rel: &str) -> Verifier {
    Verifier::new(&TrustedRoot::from_json(&fixture(rel)).unwrap()).unwrap()
}

/// The Cairn dev instance's verifier.
pub fn cairn() -> Verifier {
    verifier("cairn/trusted_root.json")
}

/// The identity every Cairn fixture was signed with.
pub fn alice() -> Policy {
    Policy::identity("alice@example.com", "http://127.0.0.1:3950/dev/oidc")
}
