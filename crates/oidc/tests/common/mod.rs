//! Shared helpers: tokens signed by `keys::SoftwareSigner` and by an independent producer
//! (python `cryptography`, `tests/fixtures/jwt_tool.py`).

#![allow(dead_code, clippy::unwrap_used)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keys::{Signer as _, SoftwareSigner};
use serde_json::{Value, json};

/// Whether missing external tools fail the test instead of skipping it.
pub fn tools_required() -> bool {
    std::env::var("CAIRN_REQUIRE_TOOLS").is_ok_and(|v| v == "1")
}

/// Run the python token tool, or `None` (after saying SKIPPED) if python3 or `cryptography` is
/// missing and tools are not required.
pub fn python_tokens(request: &Value) -> Option<Value> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/jwt_tool.py");
    let child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(e) => return skip(&format!("python3 not runnable: {e}")),
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(request.to_string().as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("No module named 'cryptography'") {
            return skip("python3 has no cryptography module");
        }
        panic!("jwt_tool.py failed: {stderr}");
    }
    Some(serde_json::from_slice(&output.stdout).unwrap())
}

fn skip(reason: &str) -> Option<Value> {
    assert!(!tools_required(), "CAIRN_REQUIRE_TOOLS=1 but {reason}");
    eprintln!("SKIPPED: {reason}");
    None
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A compact JWS over `header` and `claims` signed by a Cairn software key (ES256, ES384 or
/// `EdDSA` by the key's algorithm).
pub fn sign_token(signer: &SoftwareSigner, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let signature = signer.sign(input.as_bytes()).unwrap();
    let signature = match signer.algorithm() {
        keys::SigningAlgorithm::EcdsaP256Sha256 => oidc::ecdsa_der_to_jws(&signature, 32).unwrap(),
        keys::SigningAlgorithm::EcdsaP384Sha384 => oidc::ecdsa_der_to_jws(&signature, 48).unwrap(),
        keys::SigningAlgorithm::Ed25519 => signature,
    };
    format!("{input}.{}", b64(&signature))
}

/// The public JWK of a Cairn software key, with a `kid`.
pub fn public_jwk(signer: &SoftwareSigner, kid: &str) -> Value {
    let key = signer.public_key();
    match signer.algorithm() {
        keys::SigningAlgorithm::Ed25519 => json!({
            "kty": "OKP", "crv": "Ed25519", "kid": kid,
            "x": b64(&key.ed25519_raw().unwrap()),
        }),
        alg => {
            let point = key.ec_point_uncompressed().unwrap();
            let n = (point.len() - 1) / 2;
            let crv = if alg == keys::SigningAlgorithm::EcdsaP256Sha256 {
                "P-256"
            } else {
                "P-384"
            };
            json!({
                "kty": "EC", "crv": crv, "kid": kid,
                "x": b64(&point[1..1 + n]), "y": b64(&point[1 + n..]),
            })
        }
    }
}

/// Parse a JWKS from a list of JWK values.
pub fn jwks(keys: &[Value]) -> oidc::JwkSet {
    oidc::JwkSet::from_json(json!({ "keys": keys }).to_string().as_bytes()).unwrap()
}
