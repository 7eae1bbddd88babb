//! RFC 3161 time-stamping: a DER `TimeStampReq` over SHA-256 of the signature bytes, with a
//! random nonce and `certReq`, as sigstore-python sends it.
//!
//! The answer is checked enough to be sure it is a granted token for *this* request (status,
//! message imprint, nonce); its signature and chain are checked by the bundle verifier against
//! the trusted root.

use std::time::Duration;

use der::Decode;
use sha2::{Digest, Sha256};
use thiserror::Error;
use tsa::asn1::{SignedData, TimeStampResp, TstInfo};

use crate::http::{DEFAULT_TIMEOUT, Http, HttpError, normalize_base_url};

/// Why no usable time-stamp came back.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TimestampError {
    /// Transport failure or an error status.
    #[error("TSA")]
    Http(#[from] HttpError),
    /// No randomness for the nonce.
    #[error("TSA: no randomness for the nonce")]
    Random,
    /// The request could not be encoded.
    #[error("TSA: encoding the request: {0}")]
    Encode(String),
    /// The answer is not a DER `TimeStampResp` holding a `TSTInfo`.
    #[error("TSA answered an unreadable time-stamp response: {0}")]
    Malformed(String),
    /// The status is neither granted nor granted-with-modifications.
    #[error("TSA refused the request (PKIStatus {status}{text})")]
    NotGranted {
        /// The `PKIStatus`.
        status: u8,
        /// The status text, if any, prefixed with ": ".
        text: String,
    },
    /// The token time-stamps some other digest.
    #[error("TSA's token is for another message imprint")]
    ImprintMismatch,
    /// The token does not echo our nonce.
    #[error("TSA's token does not echo the request's nonce")]
    NonceMismatch,
}

/// A client for one time-stamp authority.
#[derive(Debug, Clone)]
pub struct TsaClient {
    url: String,
    http: Http,
}

impl TsaClient {
    /// A client posting to exactly `url` (the full URL, for example
    /// `https://tsa.example/api/v1/timestamp`).
    pub fn new(url: &str) -> Result<TsaClient, HttpError> {
        TsaClient::with_timeout(url, DEFAULT_TIMEOUT)
    }

    /// [`TsaClient::new`] with another request timeout.
    pub fn with_timeout(url: &str, timeout: Duration) -> Result<TsaClient, HttpError> {
        Ok(TsaClient {
            url: normalize_base_url(url)?,
            http: Http::new(timeout)?,
        })
    }

    /// Time-stamp `signature` (the raw signature bytes of a bundle): returns the DER
    /// `TimeStampResp` after checking status, imprint and nonce.
    pub async fn timestamp(&self, signature: &[u8]) -> Result<Vec<u8>, TimestampError> {
        let digest = Sha256::digest(signature).to_vec();
        let mut nonce_bytes = [0u8; 8];
        aws_lc_rs::rand::fill(&mut nonce_bytes).map_err(|_| TimestampError::Random)?;
        let nonce = tsa::Nonce::from_u64(u64::from_be_bytes(nonce_bytes));
        let request = tsa::TimestampRequest::new(keys::HashAlgorithm::Sha256, digest.clone())
            .map_err(|e| TimestampError::Encode(e.to_string()))?
            .with_nonce(Some(nonce.clone()))
            .with_cert_req(true)
            .to_der()
            .map_err(|e| TimestampError::Encode(e.to_string()))?;
        let builder = self
            .http
            .client()
            .post(&self.url)
            .header("Content-Type", "application/timestamp-query")
            .header("Accept", "application/timestamp-reply")
            .body(request);
        let reply = self
            .http
            .send(builder, &self.url)
            .await?
            .require_success()?;
        check_response(&reply.body, &digest, &nonce)?;
        Ok(reply.body)
    }
}

/// Check a DER `TimeStampResp`: granted, a `TSTInfo` over `digest`, echoing `nonce`.
pub(crate) fn check_response(
    der: &[u8],
    digest: &[u8],
    nonce: &tsa::Nonce,
) -> Result<(), TimestampError> {
    let malformed = |what: &str, e: der::Error| TimestampError::Malformed(format!("{what}: {e}"));
    let response = TimeStampResp::from_der(der).map_err(|e| malformed("TimeStampResp", e))?;
    if response.status.status > 1 {
        let text = response
            .status
            .status_string
            .as_deref()
            .map(|parts| format!(": {}", crate::http::one_line(&parts.join(" "))))
            .unwrap_or_default();
        return Err(TimestampError::NotGranted {
            status: response.status.status,
            text,
        });
    }
    let token = response
        .time_stamp_token
        .ok_or_else(|| TimestampError::Malformed("granted, but no token".to_owned()))?;
    if token.content_type != tsa::asn1::oid::SIGNED_DATA {
        return Err(TimestampError::Malformed(
            "the token is not CMS SignedData".to_owned(),
        ));
    }
    let signed: SignedData = token
        .content
        .decode_as()
        .map_err(|e| malformed("SignedData", e))?;
    if signed.encap_content_info.e_content_type != tsa::asn1::oid::TST_INFO {
        return Err(TimestampError::Malformed(
            "the token does not hold a TSTInfo".to_owned(),
        ));
    }
    let content = signed
        .encap_content_info
        .e_content
        .ok_or_else(|| TimestampError::Malformed("the token has no content".to_owned()))?;
    let info = TstInfo::from_der(content.as_bytes()).map_err(|e| malformed("TSTInfo", e))?;
    if info.message_imprint.hashed_message.as_bytes() != digest
        || info.message_imprint.hash_algorithm.oid != tsa::asn1::oid::SHA256
    {
        return Err(TimestampError::ImprintMismatch);
    }
    match info.nonce {
        Some(echoed) if echoed.as_bytes() == nonce.as_twos_complement() => Ok(()),
        _ => Err(TimestampError::NonceMismatch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_responses_are_refused() {
        let nonce = tsa::Nonce::from_u64(7);
        assert!(matches!(
            check_response(b"", &[0; 32], &nonce),
            Err(TimestampError::Malformed(_))
        ));
        assert!(matches!(
            check_response(&[0x30, 0x03, 0x02, 0x01, 0x00], &[0; 32], &nonce),
            Err(TimestampError::Malformed(_))
        ));
        // status rejection (2) with no token
        let rejected = [0x30, 0x05, 0x30, 0x03, 0x02, 0x01, 0x02];
        assert!(matches!(
            check_response(&rejected, &[0; 32], &nonce),
            Err(TimestampError::NotGranted { status: 2, .. })
        ));
    }
}
