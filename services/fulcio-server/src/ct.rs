//! How the CA gets an SCT for a precertificate: from the CT log in the same process, or over
//! HTTP from a CT log deployed apart (`POST <url>/ct/v1/add-pre-chain`).

use std::fmt;
use std::time::Duration;

use ct_types::{AddChainRequest, AddChainResponse, SignedCertificateTimestamp};

/// Why no SCT was obtained.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CtSubmitError {
    /// The log refused the chain (a bug in the CA, or a log that does not trust its root).
    #[error("the CT log refused the precertificate: {0}")]
    Refused(String),
    /// The log could not be reached or failed.
    #[error("the CT log is unavailable: {0}")]
    Unavailable(String),
    /// The log answered something that is not an SCT.
    #[error("the CT log returned a malformed SCT: {0}")]
    Malformed(String),
}

/// A CT log that accepts precertificate chains.
#[async_trait::async_trait]
pub trait PrecertificateLog: Send + Sync + fmt::Debug {
    /// Submit `chain` (precertificate first, then the issuing chain up to the root, DER) and
    /// return the log's SCT. The SCT is returned only once the entry is durable.
    async fn add_pre_chain(
        &self,
        chain: &[Vec<u8>],
    ) -> Result<SignedCertificateTimestamp, CtSubmitError>;
}

/// A CT log reached over HTTP (RFC 6962 `add-pre-chain`).
#[derive(Debug, Clone)]
pub struct RemoteCtLog {
    base_url: String,
    client: reqwest::Client,
}

impl RemoteCtLog {
    /// A client for the log whose prefix is `base_url` (the part before `/ct/v1/...`).
    pub fn new(base_url: &str, timeout: Duration) -> Result<Self, CtSubmitError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| CtSubmitError::Unavailable(e.to_string()))?;
        Ok(RemoteCtLog {
            base_url: base_url.trim_end_matches('/').to_owned(),
            client,
        })
    }
}

/// Largest CT response body read.
const MAX_CT_RESPONSE_BYTES: usize = 64 * 1024;

#[async_trait::async_trait]
impl PrecertificateLog for RemoteCtLog {
    async fn add_pre_chain(
        &self,
        chain: &[Vec<u8>],
    ) -> Result<SignedCertificateTimestamp, CtSubmitError> {
        let request = AddChainRequest {
            chain: chain.to_vec(),
        };
        let response = self
            .client
            .post(format!("{}/ct/v1/add-pre-chain", self.base_url))
            .json(&request)
            .send()
            .await
            .map_err(|e| CtSubmitError::Unavailable(e.to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| CtSubmitError::Unavailable(e.to_string()))?;
        if body.len() > MAX_CT_RESPONSE_BYTES {
            return Err(CtSubmitError::Malformed("response too large".into()));
        }
        if status.is_client_error() {
            return Err(CtSubmitError::Refused(format!(
                "HTTP {status}: {}",
                String::from_utf8_lossy(&body[..body.len().min(512)])
            )));
        }
        if !status.is_success() {
            return Err(CtSubmitError::Unavailable(format!("HTTP {status}")));
        }
        let parsed: AddChainResponse =
            serde_json::from_slice(&body).map_err(|e| CtSubmitError::Malformed(e.to_string()))?;
        parsed
            .to_sct()
            .map_err(|e| CtSubmitError::Malformed(e.to_string()))
    }
}
