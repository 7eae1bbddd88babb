//! `POST /api/v1/timestamp` and `GET /api/v1/timestamp/certchain`.

use std::time::SystemTime;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use tsa::{IssueError, RequestError, TimestampRequest};

use crate::error::ApiError;
use crate::state::TsaState;

/// `application/timestamp-reply`, the media type of a DER `TimeStampResp` (RFC 3161 §3.4).
pub const TIMESTAMP_REPLY: &str = "application/timestamp-reply";
/// `application/timestamp-query`, the media type of a DER `TimeStampReq`.
pub const TIMESTAMP_QUERY: &str = "application/timestamp-query";
/// The media type of the certificate chain.
pub const PEM_CERTIFICATE_CHAIN: &str = "application/pem-certificate-chain";

/// Which request form the `Content-Type` announces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RequestForm {
    Der,
    Json,
}

impl RequestForm {
    fn label(self) -> &'static str {
        match self {
            RequestForm::Der => "der",
            RequestForm::Json => "json",
        }
    }
}

/// Upstream's dispatch: an `application/*` type is required (415 otherwise); of those, only
/// `timestamp-query` and `json` are understood (400 otherwise). Unlike upstream, media-type
/// parameters (`; charset=utf-8`) and letter case are tolerated.
fn request_form(headers: &HeaderMap) -> Result<RequestForm, ApiError> {
    let media_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .ok_or(ApiError::UnsupportedMediaType)?;
    match media_type.as_str() {
        TIMESTAMP_QUERY => Ok(RequestForm::Der),
        "application/json" => Ok(RequestForm::Json),
        other if other.starts_with("application/") => Err(ApiError::BadRequest(format!(
            "unsupported content type {other}: send {TIMESTAMP_QUERY} (DER) or application/json"
        ))),
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// Read a body of at most `limit` bytes: a declared or actual size beyond it is 413.
async fn read_body(headers: &HeaderMap, body: Body, limit: usize) -> Result<Bytes, ApiError> {
    service_kit::body::read_limited(headers, body, limit)
        .await
        .map_err(|e| match e {
            service_kit::body::BodyError::TooLarge { limit } => ApiError::TooLarge { limit },
            service_kit::body::BodyError::Unreadable => {
                ApiError::BadRequest("could not read the request body".to_owned())
            }
        })
}

fn request_error(err: RequestError) -> ApiError {
    match err {
        RequestError::TooLarge { limit, .. } => ApiError::TooLarge { limit },
        other => ApiError::BadRequest(other.to_string()),
    }
}

fn issue_error(err: IssueError) -> ApiError {
    if err.is_client_error() {
        ApiError::BadRequest(err.to_string())
    } else {
        ApiError::Internal(err.to_string())
    }
}

/// `POST /api/v1/timestamp`: a DER `TimeStampReq` or the JSON form in, a DER `TimeStampResp`
/// (status granted) out with 200. Requests that will not be granted get 400 with a JSON body,
/// as upstream answers them.
pub(crate) async fn timestamp(
    State(state): State<TsaState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let inner = &state.0;
    let outcome = async {
        let form = request_form(&headers).map_err(|e| (e, "unsupported_media_type"))?;
        let bytes = read_body(&headers, body, inner.config.max_request_bytes)
            .await
            .map_err(|e| {
                let reason = match e {
                    ApiError::TooLarge { .. } => "too_large",
                    _ => "unreadable",
                };
                (e, reason)
            })?;
        let request = match form {
            RequestForm::Der => TimestampRequest::from_der(&bytes),
            RequestForm::Json => TimestampRequest::from_json(&bytes),
        }
        .map_err(|e| {
            let reason = e.reason();
            (request_error(e), reason)
        })?;
        let serial = tsa::random_serial().map_err(|e| {
            let reason = e.reason();
            (issue_error(e), reason)
        })?;
        let reply = inner
            .authority
            .respond(&request, SystemTime::now(), &serial)
            .map_err(|e| {
                let reason = e.reason();
                (issue_error(e), reason)
            })?;
        Ok::<_, (ApiError, &'static str)>((request, form, reply))
    }
    .await;
    match outcome {
        Ok((request, form, reply)) => {
            inner
                .metrics
                .issued(tsa::hash_name(request.hash_algorithm()), form.label());
            Ok((
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(TIMESTAMP_REPLY),
                )],
                reply,
            )
                .into_response())
        }
        Err((err, reason)) => {
            inner.metrics.rejected(reason);
            if !matches!(err, ApiError::Internal(_)) {
                tracing::debug!(error = %err, reason, "timestamp request refused");
            }
            Err(err)
        }
    }
}

/// `GET /api/v1/timestamp/certchain`: the PEM chain, leaf first, root last.
pub(crate) async fn certchain(State(state): State<TsaState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static(PEM_CERTIFICATE_CHAIN),
        )],
        state.0.chain_pem.clone(),
    )
        .into_response()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn form(content_type: Option<&str>) -> Result<RequestForm, String> {
        let mut headers = HeaderMap::new();
        if let Some(v) = content_type {
            headers.insert(header::CONTENT_TYPE, HeaderValue::from_str(v).unwrap());
        }
        request_form(&headers).map_err(|e| match e {
            ApiError::UnsupportedMediaType => "415".to_owned(),
            ApiError::BadRequest(_) => "400".to_owned(),
            other => other.to_string(),
        })
    }

    #[test]
    fn content_types() {
        assert_eq!(
            form(Some("application/timestamp-query")),
            Ok(RequestForm::Der)
        );
        assert_eq!(
            form(Some("Application/JSON; charset=utf-8")),
            Ok(RequestForm::Json)
        );
        assert_eq!(form(Some("application/json")), Ok(RequestForm::Json));
        assert_eq!(form(Some("application/xml")), Err("400".into()));
        assert_eq!(form(Some("text/plain")), Err("415".into()));
        assert_eq!(form(Some("")), Err("415".into()));
        assert_eq!(form(None), Err("415".into()));
    }
}
