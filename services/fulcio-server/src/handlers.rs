//! Thin HTTP handlers: decode the request shape, call [`FulcioState::issue`], encode the answer.

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::api::{
    CertificateChainJson, Configuration, CreateSigningCertificateRequest, EmbeddedSctChain,
    IssuerJson, LegacySigningCertificateRequest, SigningCertificateResponse, TrustBundle,
    decode_bytes,
};
use crate::error::{FulcioError, messages};
use crate::issue::KeySource;
use crate::state::FulcioState;

/// `application/pem-certificate-chain`.
const PEM_CHAIN: &str = "application/pem-certificate-chain";

/// Read the whole body, refusing more than `limit` bytes with a 413.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, FulcioError> {
    service_kit::body::read_limited(headers, body, limit)
        .await
        .map_err(|e| match e {
            service_kit::body::BodyError::TooLarge { limit } => FulcioError::too_large(limit),
            service_kit::body::BodyError::Unreadable => {
                FulcioError::invalid(messages::MALFORMED_REQUEST, e)
            }
        })
}

/// The bearer token of an `Authorization` header (grpc-gateway strips the first `Bearer `).
fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))?;
    Some(token.trim().to_owned())
}

fn parse_json<T: serde::de::DeserializeOwned + Default>(body: &[u8]) -> Result<T, FulcioError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|e| FulcioError::invalid(messages::MALFORMED_REQUEST, e))
}

fn key_from_v2(request: CreateSigningCertificateRequest) -> Result<KeySource, FulcioError> {
    if let Some(csr) = request
        .certificate_signing_request
        .filter(|csr| !csr.is_empty())
    {
        let bytes = decode_bytes(&csr).ok_or_else(|| {
            FulcioError::invalid(
                messages::INVALID_CSR,
                "certificateSigningRequest is not base64",
            )
        })?;
        return Ok(KeySource::Csr(bytes));
    }
    let key_request = request.public_key_request.unwrap_or_default();
    let proof = match key_request.proof_of_possession {
        Some(text) => Some(decode_bytes(&text).ok_or_else(|| {
            FulcioError::invalid(
                messages::INVALID_SIGNATURE,
                "proofOfPossession is not base64",
            )
        })?),
        None => None,
    };
    Ok(KeySource::PublicKey {
        content: key_request.public_key.and_then(|k| k.content),
        proof,
    })
}

/// `POST /api/v2/signingCert`: 200 with the chain and an embedded SCT.
pub(crate) async fn signing_cert_v2(
    State(state): State<FulcioState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Json<SigningCertificateResponse>, FulcioError> {
    let body = read_body(&headers, body, state.0.options.max_request_bytes).await?;
    let request: CreateSigningCertificateRequest = parse_json(&body)?;
    let token = request
        .credentials
        .as_ref()
        .and_then(|c| c.oidc_identity_token.clone())
        .filter(|t| !t.is_empty())
        .or_else(|| bearer(&headers))
        .unwrap_or_default();
    let key = key_from_v2(request)?;
    let certificates = state.issue(&token, key).await?;
    Ok(Json(SigningCertificateResponse {
        signed_certificate_embedded_sct: EmbeddedSctChain {
            chain: CertificateChainJson { certificates },
        },
    }))
}

/// `POST /api/v1/signingCert` (legacy): 201 with the PEM chain as the body.
pub(crate) async fn signing_cert_v1(
    State(state): State<FulcioState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, FulcioError> {
    let body = read_body(&headers, body, state.0.options.max_request_bytes).await?;
    let request: LegacySigningCertificateRequest = parse_json(&body)?;
    let token = bearer(&headers).unwrap_or_default();
    let key = if let Some(csr) = request
        .certificate_signing_request
        .filter(|csr| !csr.is_empty())
    {
        KeySource::Csr(decode_bytes(&csr).ok_or_else(|| {
            FulcioError::invalid(
                messages::INVALID_CSR,
                "certificateSigningRequest is not base64",
            )
        })?)
    } else {
        let public_key = request.public_key.ok_or_else(|| {
            FulcioError::invalid(messages::INVALID_PUBLIC_KEY, "public key not provided")
        })?;
        let content = match public_key.content {
            Some(b64) => {
                let bytes = decode_bytes(&b64).ok_or_else(|| {
                    FulcioError::invalid(
                        messages::INVALID_PUBLIC_KEY,
                        "publicKey.content is not base64",
                    )
                })?;
                // Upstream passes the bytes on as a string: PEM text, or DER bytes.
                Some(match String::from_utf8(bytes) {
                    Ok(text) => text,
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                })
            }
            None => None,
        };
        let proof = match request.signed_email_address {
            Some(text) => Some(decode_bytes(&text).ok_or_else(|| {
                FulcioError::invalid(
                    messages::INVALID_SIGNATURE,
                    "signedEmailAddress is not base64",
                )
            })?),
            None => None,
        };
        KeySource::PublicKey { content, proof }
    };
    let certificates = state.issue(&token, key).await?;
    Ok(pem_chain_response(StatusCode::CREATED, &certificates))
}

fn pem_chain_response(status: StatusCode, pems: &[String]) -> Response {
    let body = pems.join("\n").trim().to_owned();
    let mut response = (status, body).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PEM_CHAIN));
    response
}

/// `GET /api/v2/trustBundle`.
pub(crate) async fn trust_bundle(State(state): State<FulcioState>) -> Json<TrustBundle> {
    Json(TrustBundle {
        chains: vec![CertificateChainJson {
            certificates: state
                .0
                .ca
                .chain
                .der_certificates()
                .iter()
                .map(|der| pki::pem_string(der))
                .collect(),
        }],
    })
}

/// `GET /api/v1/rootCert`.
pub(crate) async fn root_cert(State(state): State<FulcioState>) -> Response {
    pem_chain_response(StatusCode::OK, &state.0.ca.chain_pem)
}

/// `GET /api/v2/configuration`.
pub(crate) async fn configuration(State(state): State<FulcioState>) -> Json<Configuration> {
    let issuers = state
        .0
        .verifier
        .registry()
        .descriptions()
        .into_iter()
        .map(|d| IssuerJson {
            issuer_url: d.issuer_url,
            wildcard_issuer_url: d.wildcard_issuer_url,
            audience: d.audience,
            challenge_claim: d.challenge_claim,
            spiffe_trust_domain: d.spiffe_trust_domain,
            issuer_type: d.issuer_type,
            subject_domain: d.subject_domain,
            skip_email_verification: d.skip_email_verification,
        })
        .collect();
    Json(Configuration { issuers })
}
