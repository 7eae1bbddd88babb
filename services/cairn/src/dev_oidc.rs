//! The built-in development OIDC issuer (`cairn up --dev`): a newcomer gets ID tokens without an
//! identity provider. Off unless asked for; never enable it where tokens must mean something,
//! because anyone who can reach the listener can mint a token for any email address.
//!
//! It serves discovery and JWKS under `/dev/oidc` and mints ES256 tokens at
//! `POST /dev/oidc/token` (`cairn dev token` calls it). Its key lives in the data directory.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keys::Signer;
use serde::Deserialize;
use serde_json::{Value, json};
use service_kit::error::JsonError;

/// Path prefix of the dev issuer on the listener.
pub(crate) const DEV_ISSUER_PATH: &str = "/dev/oidc";
/// The audience (client ID) of dev tokens, as Fulcio expects by default.
pub(crate) const DEV_AUDIENCE: &str = "sigstore";
/// Longest lifetime a dev token may ask for.
const MAX_TTL_SECONDS: u64 = 3600;

/// The development issuer: a P-256 key and the issuer URL (`<public_url>/dev/oidc`).
#[derive(Debug, Clone)]
pub(crate) struct DevIssuer {
    signer: Arc<dyn Signer>,
    issuer_url: String,
    key_id: String,
}

impl DevIssuer {
    /// An issuer signing with `signer` (ECDSA P-256) at `issuer_url`.
    pub(crate) fn new(signer: Arc<dyn Signer>, issuer_url: String) -> anyhow::Result<Self> {
        if signer.public_key().kind() != keys::KeyKind::EcdsaP256 {
            anyhow::bail!("the development OIDC issuer needs an ECDSA P-256 key");
        }
        let key_id = hex::encode(&signer.public_key().spki_sha256()[..8]);
        Ok(DevIssuer {
            signer,
            issuer_url,
            key_id,
        })
    }

    /// The issuer URL tokens carry in `iss`.
    pub(crate) fn issuer_url(&self) -> &str {
        &self.issuer_url
    }

    /// The JWKS document.
    pub(crate) fn jwks(&self) -> Value {
        let point = self
            .signer
            .public_key()
            .ec_point_uncompressed()
            .unwrap_or_default();
        let (x, y) = if point.len() == 65 {
            (&point[1..33], &point[33..])
        } else {
            (&[][..], &[][..])
        };
        json!({"keys": [{
            "kty": "EC", "crv": "P-256", "alg": "ES256", "use": "sig", "kid": self.key_id,
            "x": URL_SAFE_NO_PAD.encode(x), "y": URL_SAFE_NO_PAD.encode(y),
        }]})
    }

    fn discovery(&self) -> Value {
        json!({
            "issuer": self.issuer_url,
            "jwks_uri": format!("{}/jwks", self.issuer_url),
            "token_endpoint": format!("{}/token", self.issuer_url),
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["ES256"],
        })
    }

    /// Mint a token for `email` (verified), with `sub` defaulting to the email.
    pub(crate) fn mint(
        &self,
        email: &str,
        sub: Option<&str>,
        ttl_seconds: u64,
    ) -> anyhow::Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let claims = json!({
            "iss": self.issuer_url,
            "aud": DEV_AUDIENCE,
            "sub": sub.unwrap_or(email),
            "email": email,
            "email_verified": true,
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds.clamp(1, MAX_TTL_SECONDS),
        });
        let header = json!({"alg": "ES256", "typ": "JWT", "kid": self.key_id});
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?),
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?)
        );
        let der = self
            .signer
            .sign(signing_input.as_bytes())
            .map_err(|e| anyhow::anyhow!("signing the dev token: {e}"))?;
        let raw = oidc::ecdsa_der_to_jws(&der, 32)
            .ok_or_else(|| anyhow::anyhow!("the signer returned a malformed ECDSA signature"))?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(raw)))
    }
}

/// Options of `cairn dev token`.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct TokenArgs {
    /// Base URL of a `cairn up --dev` server.
    #[arg(long, default_value = "http://127.0.0.1:3000")]
    url: String,
    /// The token's (verified) e-mail address, which becomes the certificate's identity.
    #[arg(long)]
    email: String,
    /// The token's subject [default: the e-mail address].
    #[arg(long)]
    sub: Option<String>,
    /// Lifetime in seconds (at most 3600).
    #[arg(long, default_value_t = 600)]
    ttl_seconds: u64,
}

/// `cairn dev token`: ask the server's development issuer for a token and print it.
pub(crate) fn run_token(args: TokenArgs) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let url = format!("{}{DEV_ISSUER_PATH}/token", args.url.trim_end_matches('/'));
    let token = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(&url)
            .json(&json!({"email": args.email, "sub": args.sub, "ttl_seconds": args.ttl_seconds}))
            .timeout(std::time::Duration::from_secs(10))
            .send()
            .await
            .with_context(|| format!("cannot reach {url}: is `cairn up --dev` running there?"))?;
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .with_context(|| format!("{url} did not answer JSON"))?;
        if status == StatusCode::NOT_FOUND {
            anyhow::bail!("{url} is not served: start the server with `cairn up --dev`");
        }
        if !status.is_success() {
            anyhow::bail!(
                "{url} refused: {}",
                body.get("message")
                    .and_then(Value::as_str)
                    .unwrap_or("no message")
            );
        }
        body.get("id_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("{url} answered without an id_token"))
    })?;
    let mut out = std::io::stdout();
    writeln!(out, "{token}").context("writing to stdout")?;
    Ok(())
}

/// Body of `POST /dev/oidc/token` (JSON or form).
#[derive(Debug, Deserialize)]
pub(crate) struct TokenRequest {
    email: String,
    #[serde(default)]
    sub: Option<String>,
    #[serde(default)]
    ttl_seconds: Option<u64>,
}

/// The dev issuer's routes.
pub(crate) fn router(issuer: DevIssuer) -> Router {
    Router::new()
        .route(
            &format!("{DEV_ISSUER_PATH}/.well-known/openid-configuration"),
            get(|State(issuer): State<DevIssuer>| async move { Json(issuer.discovery()) }),
        )
        .route(
            &format!("{DEV_ISSUER_PATH}/jwks"),
            get(|State(issuer): State<DevIssuer>| async move { Json(issuer.jwks()) }),
        )
        .route(&format!("{DEV_ISSUER_PATH}/token"), post(token))
        .with_state(issuer)
}

async fn token(
    State(issuer): State<DevIssuer>,
    body: axum::body::Bytes,
) -> Result<Json<Value>, JsonError> {
    let request: TokenRequest = serde_json::from_slice(&body)
        .or_else(|_| serde_urlencoded_like(&body))
        .map_err(|_| {
            JsonError::new(
                StatusCode::BAD_REQUEST,
                "expected JSON or a form with email (and optional sub, ttl_seconds)",
            )
        })?;
    if request.email.is_empty() || !request.email.contains('@') || request.email.len() > 254 {
        return Err(JsonError::new(
            StatusCode::BAD_REQUEST,
            "email must be an address like you@example.com",
        ));
    }
    let ttl = request.ttl_seconds.unwrap_or(600);
    let token = issuer
        .mint(&request.email, request.sub.as_deref(), ttl)
        .map_err(|e| JsonError::new(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    Ok(Json(json!({
        "access_token": token,
        "id_token": token,
        "token_type": "Bearer",
        "expires_in": ttl.clamp(1, MAX_TTL_SECONDS),
    })))
}

/// Parse `email=…&sub=…&ttl_seconds=…` (percent-decoding `%XX` and `+`).
fn serde_urlencoded_like(body: &[u8]) -> Result<TokenRequest, ()> {
    let text = std::str::from_utf8(body).map_err(|_| ())?;
    let mut email = None;
    let mut sub = None;
    let mut ttl_seconds = None;
    for pair in text.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').ok_or(())?;
        let value = percent_decode(value).ok_or(())?;
        match key {
            "email" => email = Some(value),
            "sub" => sub = Some(value),
            "ttl_seconds" => ttl_seconds = Some(value.parse().map_err(|_| ())?),
            _ => {}
        }
    }
    Ok(TokenRequest {
        email: email.ok_or(())?,
        sub,
        ttl_seconds,
    })
}

fn percent_decode(value: &str) -> Option<String> {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_are_decoded() {
        let req = serde_urlencoded_like(b"email=alice%40example.com&sub=a+b&ttl_seconds=60")
            .expect("form");
        assert_eq!(req.email, "alice@example.com");
        assert_eq!(req.sub.as_deref(), Some("a b"));
        assert_eq!(req.ttl_seconds, Some(60));
        assert!(serde_urlencoded_like(b"sub=x").is_err());
        assert!(serde_urlencoded_like(b"email=%zz").is_err());
    }
}
