//! JSON error bodies for requests that no service handles.
//!
//! Services own their error mapping (Rekor, Fulcio and the TSA each have an upstream shape to
//! match). This module covers what falls between them: unknown paths and panics.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// The `{"code": …, "message": …}` body Rekor uses for every error.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct JsonError {
    /// The HTTP status code, repeated in the body.
    pub code: u16,
    /// A fixed, client-facing message; never internal detail.
    pub message: String,
}

impl JsonError {
    /// An error body for `status` with a client-facing `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        JsonError {
            code: status.as_u16(),
            message: message.into(),
        }
    }
}

impl IntoResponse for JsonError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        (status, Json(self)).into_response()
    }
}

/// Fallback handler for paths no service mounts: 404 with a JSON body.
pub async fn not_found() -> JsonError {
    JsonError::new(StatusCode::NOT_FOUND, "no such endpoint")
}

/// Turns a handler panic into a JSON 500 instead of a dropped connection. The panic message is
/// logged, not returned.
pub fn panic_response(err: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let detail = err
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| err.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic");
    tracing::error!(panic = detail, "request handler panicked");
    JsonError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal server error").into_response()
}

/// Middleware (for `axum::middleware::from_fn_with_state`) that bounds how long a request may
/// take, body reading included, so a client that sends its body slowly (or never) cannot hold a
/// handler forever. A request past the limit gets 408 with a JSON body.
pub async fn request_timeout(
    axum::extract::State(limit): axum::extract::State<std::time::Duration>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => JsonError::new(StatusCode::REQUEST_TIMEOUT, "request timed out").into_response(),
    }
}
