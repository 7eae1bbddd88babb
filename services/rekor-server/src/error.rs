//! The one place where the Rekor API's failures become HTTP responses, as Rekor writes them:
//! `{"code": <status>, "message": "<text>"}` with Rekor's status codes.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use service_kit::error::JsonError;

/// Everything a Rekor handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is malformed or the entry does not verify (400).
    #[error("{0}")]
    BadRequest(String),
    /// The body is larger than allowed (413).
    #[error("request body exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not JSON (415).
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// An equal entry exists (409, with `Location`).
    #[error("an equivalent entry already exists in the transparency log with UUID {entry_id}")]
    Conflict {
        /// The existing entry's 80-hex entry ID.
        entry_id: String,
    },
    /// Nothing matches (404).
    #[error("{0}")]
    NotFound(String),
    /// Too many items in a search (422).
    #[error("{0}")]
    Unprocessable(String),
    /// The log pushes back (503).
    #[error("{0}")]
    Unavailable(String),
    /// A failure on our side (500). The detail is logged, never returned.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        if let ApiError::Internal(detail) = &self {
            tracing::error!(%detail, "rekor request failed");
        } else if status.is_server_error() {
            tracing::warn!(error = %self, "rekor request refused");
        }
        let location = match &self {
            ApiError::Conflict { entry_id } => {
                HeaderValue::from_str(&format!("/api/v1/log/entries/{entry_id}")).ok()
            }
            _ => None,
        };
        let mut response = JsonError::new(status, self.to_string()).into_response();
        if let Some(location) = location {
            response.headers_mut().insert(header::LOCATION, location);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        }
        response
    }
}

impl From<tlog_engine::ReadError> for ApiError {
    fn from(err: tlog_engine::ReadError) -> Self {
        match err {
            tlog_engine::ReadError::BadRequest(m) => ApiError::BadRequest(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}
