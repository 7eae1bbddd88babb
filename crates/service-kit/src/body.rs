//! Reading request bodies with a size limit. Every service maps [`BodyError`] to its own error
//! shape (Rekor's `{code, message}`, grpc-gateway's, …); the limit logic lives here once.

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, header};

/// Why a body could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The declared or actual size exceeds the limit (HTTP 413).
    #[error("request body exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The connection failed while the body was read (HTTP 400).
    #[error("could not read the request body")]
    Unreadable,
}

/// Read a body of at most `limit` bytes. A `Content-Length` beyond the limit is refused before
/// anything is read; a body that turns out longer is refused as soon as it passes the limit.
pub async fn read_limited(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, BodyError> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    axum::body::to_bytes(body, limit).await.map_err(|err| {
        if is_length_limit(&err) {
            BodyError::TooLarge { limit }
        } else {
            BodyError::Unreadable
        }
    })
}

fn is_length_limit(err: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = source {
        if e.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn limits_apply_to_declared_and_actual_sizes() {
        let mut headers = HeaderMap::new();
        let ok = read_limited(&headers, Body::from("hello"), 5).await;
        assert_eq!(ok.as_deref(), Ok(&b"hello"[..]));
        let long = read_limited(&headers, Body::from("hello!"), 5).await;
        assert_eq!(long, Err(BodyError::TooLarge { limit: 5 }));
        headers.insert(header::CONTENT_LENGTH, "1000".parse().expect("header"));
        let declared = read_limited(&headers, Body::from("hi"), 5).await;
        assert_eq!(declared, Err(BodyError::TooLarge { limit: 5 }));
    }
}
