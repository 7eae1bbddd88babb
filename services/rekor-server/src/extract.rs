//! Request bodies, read with a size limit and parsed into JSON, with every failure mapped to
//! Rekor's JSON errors (axum's default rejections are plain text).

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};

use crate::error::ApiError;

/// Read a request body of at most `limit` bytes. A declared or actual size beyond it is 413;
/// a declared non-JSON content type is 415.
pub(crate) async fn read_json_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    if let Some(content_type) = headers.get(header::CONTENT_TYPE) {
        let is_json = content_type
            .to_str()
            .ok()
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().eq_ignore_ascii_case("application/json"))
            .unwrap_or(false);
        if !is_json {
            return Err(ApiError::UnsupportedMediaType);
        }
    }
    service_kit::body::read_limited(headers, body, limit)
        .await
        .map_err(|err| match err {
            service_kit::body::BodyError::TooLarge { limit } => ApiError::TooLarge { limit },
            service_kit::body::BodyError::Unreadable => {
                ApiError::BadRequest("could not read the request body".to_owned())
            }
        })
}

/// Parse `bytes` as a JSON object into `T`, turning serde's message into a 400. (serde's derive
/// would also build a struct from a JSON array; request bodies here are objects.)
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))?;
    if !value.is_object() {
        return Err(ApiError::BadRequest(
            "the request body must be a JSON object".into(),
        ));
    }
    serde_json::from_value(value)
        .map_err(|e| ApiError::BadRequest(format!("invalid JSON body: {e}")))
}

/// A query string axum could not decode (for example a repeated parameter) as Rekor's JSON 400
/// rather than axum's plain-text rejection.
pub(crate) fn bad_query(rejection: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::BadRequest(format!(
        "invalid query parameters: {}",
        rejection.body_text()
    ))
}
