//! The one place where the TSA's failures become HTTP responses, as upstream timestamp-authority
//! writes them: `{"code": <status>, "message": "<text>"}`.
//!
//! Upstream answers every request it will not grant with HTTP 400 and such a body (never with an
//! RFC 3161 `rejection` status), 415 when the `Content-Type` is not an `application/*` type, and
//! 500 when signing fails. Cairn adds 413 for bodies over the size limit.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use service_kit::error::JsonError;

/// Everything a TSA handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or will not be granted (400).
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than allowed (413).
    #[error("request body exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The `Content-Type` is missing or not an `application/*` type (415).
    #[error("unsupported content type: send application/timestamp-query (DER) or application/json")]
    UnsupportedMediaType,
    /// A failure on our side (500). The detail is logged, never returned.
    #[error("Error generating timestamp response")]
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "timestamp request failed");
        }
        JsonError::new(self.status(), self.to_string()).into_response()
    }
}
