//! Fulcio: `POST /api/v2/signingCert` with the public-key + proof-of-possession request shape.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use der::{Decode, Encode};
use serde_json::{Value, json};
use thiserror::Error;

use crate::http::{DEFAULT_TIMEOUT, Http, HttpError, normalize_base_url};
use crate::token::IdentityToken;

/// Why Fulcio did not give us a usable certificate.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FulcioError {
    /// The request failed or the server answered an error.
    #[error("Fulcio")]
    Http(#[from] HttpError),
    /// The proof of possession could not be signed.
    #[error("Fulcio: signing the proof of possession")]
    Sign(#[from] keys::SignError),
    /// The answer has no `signedCertificateEmbeddedSct` chain.
    #[error("Fulcio answered without an embedded-SCT certificate chain{detail}")]
    NoEmbeddedSct {
        /// Extra explanation (a detached SCT, …).
        detail: &'static str,
    },
    /// A certificate in the chain does not parse.
    #[error("Fulcio answered an unreadable certificate chain: {0}")]
    BadChain(String),
    /// Fewer than two certificates (leaf and issuer are both needed).
    #[error("Fulcio answered {count} certificate(s); a leaf and its issuer are required")]
    ChainTooShort {
        /// How many there were.
        count: usize,
    },
    /// The leaf certifies some other key.
    #[error("Fulcio's certificate is not for the key that asked for it")]
    LeafKeyMismatch,
}

/// A certificate from Fulcio: leaf first, then its issuers up to the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SigningCertificate {
    chain_der: Vec<Vec<u8>>,
}

impl SigningCertificate {
    /// The chain, DER, leaf first.
    pub fn chain_der(&self) -> &[Vec<u8>] {
        &self.chain_der
    }

    /// The leaf certificate, DER.
    pub fn leaf_der(&self) -> &[u8] {
        // A chain is built only with at least two certificates.
        self.chain_der.first().map_or(&[][..], Vec::as_slice)
    }

    /// The leaf as PEM (64-column, trailing newline), as Rekor entries carry it.
    pub fn leaf_pem(&self) -> String {
        rekor_types::pem::encode(rekor_types::pem::CERTIFICATE_LABEL, self.leaf_der())
    }
}

/// A client for one Fulcio instance.
#[derive(Debug, Clone)]
pub struct FulcioClient {
    base_url: String,
    http: Http,
}

impl FulcioClient {
    /// A client for the Fulcio at `base_url` (requests go to `BASE/api/v2/signingCert`).
    pub fn new(base_url: &str) -> Result<FulcioClient, HttpError> {
        FulcioClient::with_timeout(base_url, DEFAULT_TIMEOUT)
    }

    /// [`FulcioClient::new`] with another request timeout.
    pub fn with_timeout(base_url: &str, timeout: Duration) -> Result<FulcioClient, HttpError> {
        Ok(FulcioClient {
            base_url: normalize_base_url(base_url)?,
            http: Http::new(timeout)?,
        })
    }

    /// Ask for a certificate for `signer`'s public key, proving possession by signing the
    /// token's `email` (or `sub`) with it. Checks that the answer is a chain of at least two
    /// certificates whose leaf certifies exactly `signer`'s key.
    pub async fn request_certificate(
        &self,
        token: &IdentityToken,
        signer: &dyn keys::Signer,
    ) -> Result<SigningCertificate, FulcioError> {
        let proof = signer.sign(token.proof_subject().as_bytes())?;
        let public_key = signer.public_key();
        let request = json!({
            "credentials": {"oidcIdentityToken": token.as_str()},
            "publicKeyRequest": {
                "publicKey": {
                    "algorithm": algorithm_name(public_key.kind()),
                    "content": public_key.to_pem(),
                },
                "proofOfPossession": STANDARD.encode(proof),
            },
        });
        let url = format!("{}/api/v2/signingCert", self.base_url);
        let builder = self
            .http
            .client()
            .post(&url)
            .header("Accept", "application/json")
            .json(&request);
        let reply = self.http.send(builder, &url).await?.require_success()?;
        let body: Value = reply.json()?;
        let chain = parse_chain(&body)?;
        check_leaf_key(&chain, public_key)?;
        Ok(chain)
    }
}

/// The `publicKey.algorithm` enum name Fulcio documents (it ignores the value).
fn algorithm_name(kind: keys::KeyKind) -> &'static str {
    match kind {
        keys::KeyKind::Ed25519 => "ED25519",
        keys::KeyKind::Rsa { .. } => "RSA_PSS",
        _ => "ECDSA",
    }
}

/// The chain of a `SigningCertificate` answer.
fn parse_chain(body: &Value) -> Result<SigningCertificate, FulcioError> {
    let Some(embedded) = body.get("signedCertificateEmbeddedSct") else {
        let detail = if body.get("signedCertificateDetachedSct").is_some() {
            " (it sent a detached SCT; bundles need the SCT embedded in the certificate)"
        } else {
            ""
        };
        return Err(FulcioError::NoEmbeddedSct { detail });
    };
    let pems = embedded
        .pointer("/chain/certificates")
        .and_then(Value::as_array)
        .ok_or(FulcioError::NoEmbeddedSct { detail: "" })?;
    if pems.len() > pki::MAX_CHAIN_LEN {
        return Err(FulcioError::BadChain(format!(
            "more than {} certificates",
            pki::MAX_CHAIN_LEN
        )));
    }
    let mut text = String::new();
    for pem in pems {
        let pem = pem
            .as_str()
            .ok_or_else(|| FulcioError::BadChain("a certificate is not a string".to_owned()))?;
        text.push_str(pem);
        text.push('\n');
    }
    let chain =
        pki::CertificateChain::from_pem(&text).map_err(|e| FulcioError::BadChain(e.to_string()))?;
    if chain.len() != pems.len() || chain.len() < 2 {
        return Err(FulcioError::ChainTooShort { count: chain.len() });
    }
    Ok(SigningCertificate {
        chain_der: chain.der_certificates().to_vec(),
    })
}

/// Fail unless the leaf's SubjectPublicKeyInfo is exactly `key`'s.
fn check_leaf_key(chain: &SigningCertificate, key: &keys::PublicKey) -> Result<(), FulcioError> {
    let leaf = x509_cert::Certificate::from_der(chain.leaf_der())
        .map_err(|e| FulcioError::BadChain(e.to_string()))?;
    let spki = leaf
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .map_err(|e| FulcioError::BadChain(e.to_string()))?;
    if spki == key.spki_der() {
        Ok(())
    } else {
        Err(FulcioError::LeafKeyMismatch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detached_and_missing_chains_are_refused() {
        let detached = json!({"signedCertificateDetachedSct": {"chain": {"certificates": []}}});
        assert!(matches!(
            parse_chain(&detached),
            Err(FulcioError::NoEmbeddedSct { detail }) if !detail.is_empty()
        ));
        assert!(matches!(
            parse_chain(&json!({})),
            Err(FulcioError::NoEmbeddedSct { .. })
        ));
        let junk = json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": ["x"]}}});
        assert!(parse_chain(&junk).is_err());
        let not_strings = json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": [1]}}});
        assert!(matches!(
            parse_chain(&not_strings),
            Err(FulcioError::BadChain(_))
        ));
    }
}
