//! The one HTTP client every service client shares: a request timeout, a response size limit,
//! and errors that say which URL failed and why in one line (never the request body, which may
//! hold an identity token).

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use thiserror::Error;

/// Default time limit for one request (connect, send and read the whole response).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Largest response body read from any service, in bytes.
pub const MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;
/// Longest server error message kept for an error, in characters.
const MAX_MESSAGE_CHARS: usize = 300;

/// Why a request to a service did not produce a usable response.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is not an absolute `http://` or `https://` URL.
    #[error("invalid URL {url:?}: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The server could not be reached, or did not answer in time.
    #[error("cannot reach {url}: {reason}")]
    Unreachable {
        /// The URL requested.
        url: String,
        /// Connection refused, timed out, TLS failure, …
        reason: String,
    },
    /// The response body is larger than [`MAX_RESPONSE_BYTES`].
    #[error("{url} answered more than {limit} bytes")]
    TooLarge {
        /// The URL requested.
        url: String,
        /// The limit.
        limit: usize,
    },
    /// The server answered with an unexpected status.
    #[error("{url} answered HTTP {status}: {message}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The server's `message` (or the start of its body), on one line.
        message: String,
    },
    /// The response could not be read as the expected format.
    #[error("{url} answered something unreadable: {reason}")]
    Malformed {
        /// The URL requested.
        url: String,
        /// What did not parse.
        reason: String,
    },
}

/// A complete response.
#[derive(Debug)]
pub(crate) struct Reply {
    /// The URL requested.
    pub(crate) url: String,
    /// HTTP status.
    pub(crate) status: StatusCode,
    /// Response headers.
    pub(crate) headers: HeaderMap,
    /// The whole body (at most [`MAX_RESPONSE_BYTES`]).
    pub(crate) body: Vec<u8>,
}

impl Reply {
    /// The body as JSON of type `T`.
    pub(crate) fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, HttpError> {
        serde_json::from_slice(&self.body).map_err(|e| HttpError::Malformed {
            url: self.url.clone(),
            reason: one_line(&e.to_string()),
        })
    }

    /// An [`HttpError::Status`] for this reply, with the server's message.
    pub(crate) fn status_error(&self) -> HttpError {
        HttpError::Status {
            url: self.url.clone(),
            status: self.status.as_u16(),
            message: server_message(&self.body),
        }
    }

    /// Fail with [`Reply::status_error`] unless the status is 2xx.
    pub(crate) fn require_success(self) -> Result<Reply, HttpError> {
        if self.status.is_success() {
            Ok(self)
        } else {
            Err(self.status_error())
        }
    }

    /// A header's value as text.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The message of an error body: the `message` member of a JSON object (Rekor, Fulcio and the
/// TSA all answer `{"code":…,"message":…}`), else the start of the body; one line, bounded.
pub(crate) fn server_message(body: &[u8]) -> String {
    let from_json = serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.get("message")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        });
    let text = match from_json {
        Some(message) => message,
        None => String::from_utf8_lossy(body).into_owned(),
    };
    let text = one_line(text.trim());
    if text.is_empty() {
        "(no message)".to_owned()
    } else {
        text
    }
}

/// `text` with control characters (newlines included) replaced by spaces and cut to
/// [`MAX_MESSAGE_CHARS`] characters, so that it fits on one line of an error message.
pub(crate) fn one_line(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(MAX_MESSAGE_CHARS)
        .collect();
    if text.chars().count() > MAX_MESSAGE_CHARS {
        out.push('…');
    }
    out
}

/// Check that `url` is an absolute HTTP(S) URL and return it without trailing slashes.
pub fn normalize_base_url(url: &str) -> Result<String, HttpError> {
    let invalid = |reason: &str| HttpError::InvalidUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    };
    let parsed = reqwest::Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(invalid("only http:// and https:// URLs are supported"));
    }
    if parsed.host_str().is_none_or(str::is_empty) {
        return Err(invalid("no host"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a base URL has no query or fragment"));
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// An HTTP client with a timeout and a response size limit.
#[derive(Debug, Clone)]
pub(crate) struct Http {
    client: reqwest::Client,
    max_bytes: usize,
}

impl Http {
    /// A client whose every request must finish within `timeout`.
    pub(crate) fn new(timeout: Duration) -> Result<Http, HttpError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .user_agent(concat!("cairn/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| HttpError::Unreachable {
                url: String::new(),
                reason: format!("cannot set up the HTTP client: {}", error_reason(&e)),
            })?;
        Ok(Http {
            client,
            max_bytes: MAX_RESPONSE_BYTES,
        })
    }

    /// The underlying client, for building requests.
    pub(crate) fn client(&self) -> &reqwest::Client {
        &self.client
    }

    /// Send `request` (to `url`, for messages) and read the whole response, bounded.
    pub(crate) async fn send(
        &self,
        request: reqwest::RequestBuilder,
        url: &str,
    ) -> Result<Reply, HttpError> {
        let unreachable = |e: reqwest::Error| HttpError::Unreachable {
            url: url.to_owned(),
            reason: error_reason(&e),
        };
        let mut response = request.send().await.map_err(unreachable)?;
        let too_large = || HttpError::TooLarge {
            url: url.to_owned(),
            limit: self.max_bytes,
        };
        if response
            .content_length()
            .is_some_and(|len| len > self.max_bytes as u64)
        {
            return Err(too_large());
        }
        let status = response.status();
        let headers = response.headers().clone();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Reply {
            url: url.to_owned(),
            status,
            headers,
            body,
        })
    }
}

/// A short reason for a transport error: "timed out", or the innermost cause ("Connection
/// refused (os error 111)"), without repeating the URL.
fn error_reason(err: &reqwest::Error) -> String {
    if err.is_timeout() {
        return "timed out".to_owned();
    }
    let mut source: &dyn std::error::Error = err;
    while let Some(inner) = source.source() {
        source = inner;
    }
    let innermost = one_line(&source.to_string());
    if err.is_connect() {
        format!("connection failed: {innermost}")
    } else {
        innermost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_bounded_line() {
        assert_eq!(
            server_message(br#"{"code":400,"message":"bad\nthing"}"#),
            "bad thing"
        );
        assert_eq!(server_message(b"plain text\r\n"), "plain text");
        assert_eq!(server_message(b""), "(no message)");
        let long = "x".repeat(1000);
        assert_eq!(server_message(long.as_bytes()).chars().count(), 301);
    }

    #[test]
    fn base_urls() {
        assert_eq!(
            normalize_base_url("http://127.0.0.1:3000/").ok().as_deref(),
            Some("http://127.0.0.1:3000")
        );
        assert!(normalize_base_url("ftp://x").is_err());
        assert!(normalize_base_url("127.0.0.1:3000").is_err());
        assert!(normalize_base_url("http://x/?a=b").is_err());
    }
}
