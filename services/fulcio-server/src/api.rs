//! The JSON shapes of Fulcio's HTTP API (protojson as grpc-gateway reads and writes it).
//!
//! Requests accept `lowerCamelCase` and proto `snake_case` field names and ignore unknown fields;
//! `bytes` fields are base64 (standard or URL-safe, padded or not). Responses use lowerCamelCase.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde::{Deserialize, Serialize};

/// Decode a protojson `bytes` field.
pub fn decode_bytes(value: &str) -> Option<Vec<u8>> {
    let value = value.trim();
    [&STANDARD, &STANDARD_NO_PAD, &URL_SAFE, &URL_SAFE_NO_PAD]
        .iter()
        .find_map(|engine| engine.decode(value).ok())
}

/// `CreateSigningCertificateRequest` (v2).
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct CreateSigningCertificateRequest {
    /// The token, when sent in the body (sigstore-js).
    pub credentials: Option<Credentials>,
    /// Public key plus proof of possession (sigstore-js, cosign, sigstore-go).
    #[serde(alias = "public_key_request")]
    pub public_key_request: Option<PublicKeyRequest>,
    /// Base64 of a PEM or DER PKCS#10 CSR (sigstore-python).
    #[serde(alias = "certificate_signing_request")]
    pub certificate_signing_request: Option<String>,
}

/// `Credentials`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct Credentials {
    /// The OIDC ID token.
    #[serde(alias = "oidc_identity_token")]
    pub oidc_identity_token: Option<String>,
}

/// `PublicKeyRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct PublicKeyRequest {
    /// The key to certify.
    #[serde(alias = "public_key")]
    pub public_key: Option<PublicKeyField>,
    /// Base64 signature over the identity string.
    #[serde(alias = "proof_of_possession")]
    pub proof_of_possession: Option<String>,
}

/// `PublicKey`: `algorithm` is read but never trusted (any value is accepted, as upstream
/// infers the algorithm from the key).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct PublicKeyField {
    /// Ignored.
    pub algorithm: Option<serde_json::Value>,
    /// PEM `PUBLIC KEY`, or DER bytes as a string.
    pub content: Option<String>,
}

/// Legacy v1 `CreateSigningCertificateRequest`.
#[derive(Debug, Default, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct LegacySigningCertificateRequest {
    /// The key: `content` is base64 of PEM or DER.
    #[serde(alias = "public_key")]
    pub public_key: Option<LegacyPublicKey>,
    /// Base64 proof of possession.
    #[serde(alias = "signed_email_address")]
    pub signed_email_address: Option<String>,
    /// Base64 CSR.
    #[serde(alias = "certificate_signing_request")]
    pub certificate_signing_request: Option<String>,
}

/// Legacy v1 `PublicKey`.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LegacyPublicKey {
    /// Ignored, as upstream maps unknown names to UNSPECIFIED.
    pub algorithm: Option<serde_json::Value>,
    /// Base64 of PEM or DER.
    pub content: Option<String>,
}

/// `SigningCertificate` with an embedded SCT: the only shape Cairn returns.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningCertificateResponse {
    /// Leaf, intermediates, root.
    pub signed_certificate_embedded_sct: EmbeddedSctChain,
}

/// `SigningCertificateEmbeddedSCT`.
#[derive(Debug, Serialize, Deserialize)]
pub struct EmbeddedSctChain {
    /// The chain.
    pub chain: CertificateChainJson,
}

/// `CertificateChain`: PEM strings without trailing newlines.
#[derive(Debug, Serialize, Deserialize)]
pub struct CertificateChainJson {
    /// Leaf first, root last.
    pub certificates: Vec<String>,
}

/// `TrustBundle`.
#[derive(Debug, Serialize, Deserialize)]
pub struct TrustBundle {
    /// One chain per CA: issuing certificate first, root last.
    pub chains: Vec<CertificateChainJson>,
}

/// `Configuration`.
#[derive(Debug, Serialize, Deserialize)]
pub struct Configuration {
    /// Every accepted issuer.
    pub issuers: Vec<IssuerJson>,
}

/// One issuer of `/api/v2/configuration`; exactly one of the URL fields is set.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuerJson {
    /// An exact issuer URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer_url: Option<String>,
    /// A meta-issuer pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wildcard_issuer_url: Option<String>,
    /// The client ID tokens must carry in `aud`.
    pub audience: String,
    /// The claim proof of possession is over.
    pub challenge_claim: String,
    /// SPIFFE trust domain, for SPIFFE issuers.
    pub spiffe_trust_domain: String,
    /// The issuer type, as in Fulcio's config.
    pub issuer_type: String,
    /// Subject domain, for URI and username issuers.
    pub subject_domain: String,
    /// Whether `email_verified` is skipped.
    pub skip_email_verification: bool,
}
