//! One key fetch: `<iss>/.well-known/openid-configuration`, its `issuer` checked, then the
//! document's `jwks_uri` ([OpenID Connect Discovery 1.0 §4]).
//!
//! [OpenID Connect Discovery 1.0 §4]: https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig

use oidc::{JwkSet, JwksError};
use reqwest::header::{ACCEPT, HeaderValue};
use serde_json::Value;
use thiserror::Error;

/// Why an issuer's keys could not be fetched. Cloned into the cache so that a failing provider
/// is not asked again before the refetch interval.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The request failed: connection refused, timeout, TLS, malformed response.
    #[error("GET {url} failed: {reason}")]
    Request {
        /// The URL asked for.
        url: String,
        /// What the HTTP client reported.
        reason: String,
    },
    /// A status other than 200 (redirects are not followed).
    #[error("GET {url} answered HTTP {status}")]
    Status {
        /// The URL asked for.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The response body is larger than the limit.
    #[error("GET {url}: response is larger than {max} bytes")]
    TooLarge {
        /// The URL asked for.
        url: String,
        /// The limit.
        max: usize,
    },
    /// The discovery document is not a JSON object with string `issuer` and `jwks_uri`.
    #[error("discovery document at {url} is not a JSON object with \"issuer\" and \"jwks_uri\"")]
    BadDiscoveryDocument {
        /// The URL asked for.
        url: String,
    },
    /// The discovery document names another issuer.
    #[error("discovery document names issuer {found:?}, expected {expected:?}")]
    IssuerMismatch {
        /// The token's issuer.
        expected: String,
        /// The document's `issuer`.
        found: String,
    },
    /// `jwks_uri` is not http(s), or is plain http for an https issuer.
    #[error("jwks_uri {jwks_uri:?} is not an acceptable URL for this issuer")]
    BadJwksUri {
        /// The document's `jwks_uri`.
        jwks_uri: String,
    },
    /// The key set cannot be read.
    #[error("key set at {url}: {error}")]
    Jwks {
        /// The URL asked for.
        url: String,
        /// The parse error.
        error: JwksError,
    },
    /// The key set has no key Cairn can use.
    #[error("key set at {url} has no usable signature key")]
    NoUsableKeys {
        /// The URL asked for.
        url: String,
    },
}

/// The discovery URL of an issuer (go-oidc's rule: trailing `/` trimmed, then the well-known
/// path appended).
pub(crate) fn discovery_url(issuer: &str) -> String {
    format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    )
}

/// Fetch an issuer's keys by discovery.
pub(crate) async fn fetch_keys(
    client: &reqwest::Client,
    issuer: &str,
    max_bytes: usize,
) -> Result<JwkSet, FetchError> {
    let url = discovery_url(issuer);
    let body = get(client, &url, max_bytes).await?;
    let document: Value = serde_json::from_slice(&body)
        .map_err(|_| FetchError::BadDiscoveryDocument { url: url.clone() })?;
    let field = |name: &str| {
        document
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(found), Some(jwks_uri)) = (field("issuer"), field("jwks_uri")) else {
        return Err(FetchError::BadDiscoveryDocument { url });
    };
    if found != issuer {
        return Err(FetchError::IssuerMismatch {
            expected: issuer.to_owned(),
            found,
        });
    }
    let secure_issuer = issuer.starts_with("https://");
    let acceptable =
        jwks_uri.starts_with("https://") || (!secure_issuer && jwks_uri.starts_with("http://"));
    if !acceptable {
        return Err(FetchError::BadJwksUri { jwks_uri });
    }
    let body = get(client, &jwks_uri, max_bytes).await?;
    let keys = JwkSet::from_json(&body).map_err(|error| FetchError::Jwks {
        url: jwks_uri.clone(),
        error,
    })?;
    if keys.keys.is_empty() {
        return Err(FetchError::NoUsableKeys { url: jwks_uri });
    }
    Ok(keys)
}

/// GET a URL and read at most `max_bytes` of a 200 response.
async fn get(client: &reqwest::Client, url: &str, max_bytes: usize) -> Result<Vec<u8>, FetchError> {
    let request_error = |e: reqwest::Error| FetchError::Request {
        url: url.to_owned(),
        reason: e.without_url().to_string(),
    };
    let mut response = client
        .get(url)
        .header(ACCEPT, HeaderValue::from_static("application/json"))
        .send()
        .await
        .map_err(request_error)?;
    let status = response.status();
    if status != reqwest::StatusCode::OK {
        return Err(FetchError::Status {
            url: url.to_owned(),
            status: status.as_u16(),
        });
    }
    let too_large = || FetchError::TooLarge {
        url: url.to_owned(),
        max: max_bytes,
    };
    if response
        .content_length()
        .is_some_and(|len| len > max_bytes as u64)
    {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(request_error)? {
        if body.len() + chunk.len() > max_bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discovery_urls() {
        assert_eq!(
            discovery_url("https://accounts.google.com"),
            "https://accounts.google.com/.well-known/openid-configuration"
        );
        assert_eq!(
            discovery_url("https://idp.example.com/realms/eng/"),
            "https://idp.example.com/realms/eng/.well-known/openid-configuration"
        );
    }
}
