//! OIDC identity tokens as a signing client sees them: opaque to everyone but Fulcio, except
//! for the claim the proof of possession signs.
//!
//! The token is not verified here (Fulcio does that); its payload is only read to find the
//! string to sign and to give a clear message for an expired token.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::Value;
use thiserror::Error;

/// Longest token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 64 * 1024;

/// Why a string is not a usable identity token.
#[derive(Debug, Clone, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenError {
    /// Empty or only whitespace.
    #[error("the identity token is empty")]
    Empty,
    /// Larger than [`MAX_TOKEN_BYTES`].
    #[error("the identity token is larger than {MAX_TOKEN_BYTES} bytes")]
    TooLarge,
    /// Not three dot-separated base64url parts with a JSON object in the middle.
    #[error("the identity token is not a JWT: {0}")]
    Malformed(&'static str),
    /// Neither a non-empty `email` nor a non-empty `sub` claim.
    #[error("the identity token has neither an email nor a sub claim")]
    NoSubject,
    /// `exp` is in the past.
    #[error("the identity token expired at unix time {expired_at} (now {now}); get a fresh one")]
    Expired {
        /// The `exp` claim.
        expired_at: i64,
        /// The current time.
        now: i64,
    },
}

/// An OIDC ID token (JWT). `Debug` does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct IdentityToken {
    raw: String,
    proof_subject: String,
    email: Option<String>,
    issuer: Option<String>,
    expires_at: Option<i64>,
}

impl fmt::Debug for IdentityToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdentityToken")
            .field("proof_subject", &self.proof_subject)
            .field("issuer", &self.issuer)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl IdentityToken {
    /// Read a JWT's payload (unverified). Surrounding whitespace is ignored.
    pub fn parse(token: &str) -> Result<IdentityToken, TokenError> {
        let raw = token.trim();
        if raw.is_empty() {
            return Err(TokenError::Empty);
        }
        if raw.len() > MAX_TOKEN_BYTES {
            return Err(TokenError::TooLarge);
        }
        let mut parts = raw.split('.');
        let (Some(_header), Some(payload), Some(_signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(TokenError::Malformed("expected three dot-separated parts"));
        };
        let bytes = URL_SAFE_NO_PAD
            .decode(payload)
            .or_else(|_| URL_SAFE.decode(payload))
            .map_err(|_| TokenError::Malformed("the payload is not base64url"))?;
        let Ok(Value::Object(claims)) = serde_json::from_slice::<Value>(&bytes) else {
            return Err(TokenError::Malformed("the payload is not a JSON object"));
        };
        let claim = |name: &str| {
            claims
                .get(name)
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        // The clients' rule (sigstore-go, sigstore-js, cosign): sign `email` when the token has
        // one, else `sub`. Fulcio accepts it for e-mail issuers and for `sub`-only tokens.
        let email = claim("email");
        let proof_subject = email
            .clone()
            .or_else(|| claim("sub"))
            .ok_or(TokenError::NoSubject)?;
        Ok(IdentityToken {
            raw: raw.to_owned(),
            proof_subject,
            email,
            issuer: claim("iss"),
            expires_at: claims.get("exp").and_then(Value::as_i64),
        })
    }

    /// Fail if the token's `exp` is before `now` (unix seconds).
    pub fn check_not_expired(&self, now: i64) -> Result<(), TokenError> {
        match self.expires_at {
            Some(expired_at) if expired_at < now => Err(TokenError::Expired { expired_at, now }),
            _ => Ok(()),
        }
    }

    /// The string the proof of possession signs: `email` if present, else `sub`.
    pub fn proof_subject(&self) -> &str {
        &self.proof_subject
    }

    /// The `email` claim, if present and non-empty.
    pub fn email(&self) -> Option<&str> {
        self.email.as_deref()
    }

    /// The `iss` claim, if any.
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }

    /// The token itself, to send to Fulcio.
    pub fn as_str(&self) -> &str {
        &self.raw
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn jwt(claims: &str) -> String {
        format!(
            "eyJhbGciOiJSUzI1NiJ9.{}.c2ln",
            URL_SAFE_NO_PAD.encode(claims)
        )
    }

    #[test]
    fn email_wins_over_sub() {
        let token = IdentityToken::parse(&jwt(
            r#"{"iss":"https://i","sub":"123","email":"a@b.c","exp":100}"#,
        ))
        .unwrap();
        assert_eq!(token.proof_subject(), "a@b.c");
        assert_eq!(token.issuer(), Some("https://i"));
        assert!(token.check_not_expired(99).is_ok());
        assert!(matches!(
            token.check_not_expired(101),
            Err(TokenError::Expired { .. })
        ));
        let token = IdentityToken::parse(&jwt(r#"{"sub":"123","email":""}"#)).unwrap();
        assert_eq!(token.proof_subject(), "123");
        assert!(!format!("{token:?}").contains("eyJ"));
    }

    #[test]
    fn garbage_is_refused() {
        assert_eq!(IdentityToken::parse("  "), Err(TokenError::Empty));
        assert!(matches!(
            IdentityToken::parse("a.b"),
            Err(TokenError::Malformed(_))
        ));
        assert!(matches!(
            IdentityToken::parse("a.!!!.c"),
            Err(TokenError::Malformed(_))
        ));
        assert!(matches!(
            IdentityToken::parse(&jwt("[1]")),
            Err(TokenError::Malformed(_))
        ));
        assert_eq!(
            IdentityToken::parse(&jwt(r#"{"iss":"x"}"#)),
            Err(TokenError::NoSubject)
        );
    }
}
