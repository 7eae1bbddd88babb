//! The one place where the CT log's failures become HTTP responses. Upstream CTFE answers with
//! plain text; Cairn keeps its status codes and writes `{"code": <status>, "message": "<text>"}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use service_kit::error::JsonError;

use crate::chain::ChainError;

/// Everything a submission or a read can fail with, in-process or over HTTP.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CtError {
    /// The chain was refused (400; 413 for an oversized chain).
    #[error(transparent)]
    BadChain(#[from] ChainError),
    /// A malformed request: body, JSON, base64 or query parameters (400).
    #[error("{0}")]
    BadRequest(String),
    /// The request body is larger than allowed (413).
    #[error("request body exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// Nothing matches (404).
    #[error("{0}")]
    NotFound(String),
    /// The log's queue is full or writers contend: retry later (503).
    #[error("the log is overloaded; retry later")]
    Overloaded,
    /// The log is shutting down (503).
    #[error("the log is shutting down")]
    ShuttingDown,
    /// A failure on our side (500). The detail is logged, never returned.
    #[error("internal error")]
    Internal(String),
}

impl CtError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> StatusCode {
        match self {
            CtError::BadChain(ChainError::TooLarge { .. }) | CtError::TooLarge { .. } => {
                StatusCode::PAYLOAD_TOO_LARGE
            }
            CtError::BadChain(_) | CtError::BadRequest(_) => StatusCode::BAD_REQUEST,
            CtError::NotFound(_) => StatusCode::NOT_FOUND,
            CtError::Overloaded | CtError::ShuttingDown => StatusCode::SERVICE_UNAVAILABLE,
            CtError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for CtError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let CtError::Internal(detail) = &self {
            tracing::error!(%detail, "ct request failed");
        } else if status.is_server_error() {
            tracing::warn!(error = %self, "ct request refused");
        }
        let mut response = JsonError::new(status, self.to_string()).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<tlog_engine::ReadError> for CtError {
    fn from(err: tlog_engine::ReadError) -> Self {
        match err {
            tlog_engine::ReadError::BadRequest(m) => CtError::BadRequest(m),
            other => CtError::Internal(other.to_string()),
        }
    }
}
