//! `GET /api/v1/openapi.json`: the OpenAPI 3.0 description of this API.
//!
//! The document is a static file, `openapi/rekor-v1.json`, compiled in. `tests/openapi.rs`
//! checks it against the router: every documented operation is served, nothing else is, every
//! `$ref` resolves, and real responses match the documented schemas.

use axum::http::header;
use axum::response::IntoResponse;

/// The OpenAPI 3.0 document for the routes of [`crate::router`].
pub(crate) const DOCUMENT: &str = include_str!("../openapi/rekor-v1.json");

/// Serve [`DOCUMENT`] as `application/json`.
pub(crate) async fn document() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], DOCUMENT)
}
