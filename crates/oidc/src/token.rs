//! ID token verification: signature against a [`JwkSet`], then `iss`, `aud`, `exp`, `nbf` and
//! `iat` ([OpenID Connect Core §3.1.3.7], [RFC 7519 §4.1]).
//!
//! [OpenID Connect Core §3.1.3.7]: https://openid.net/specs/openid-connect-core-1_0.html#IDTokenValidation
//! [RFC 7519 §4.1]: https://www.rfc-editor.org/rfc/rfc7519#section-4.1

use std::fmt;

use serde_json::{Map, Value};
use thiserror::Error;

use crate::jwk::JwkSet;
use crate::jws::{self, Algorithm};

/// Default allowance for clock skew between the identity provider and Cairn, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 60;

/// Which part of a compact token a problem is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenPart {
    /// The JOSE header.
    Header,
    /// The claims.
    Payload,
    /// The signature.
    Signature,
}

impl fmt::Display for TokenPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TokenPart::Header => "header",
            TokenPart::Payload => "payload",
            TokenPart::Signature => "signature",
        })
    }
}

/// How a token is malformed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum MalformedToken {
    /// Not exactly three dot-separated parts.
    #[error("not three dot-separated parts")]
    NotThreeParts,
    /// A part is not unpadded base64url.
    #[error("{0} is not unpadded base64url")]
    Base64(TokenPart),
    /// A part is not JSON.
    #[error("{0} is not JSON")]
    Json(TokenPart),
    /// A part is JSON but not an object.
    #[error("{0} is not a JSON object")]
    NotAnObject(TokenPart),
    /// The header has no string `alg`.
    #[error("header has no \"alg\" string")]
    HeaderAlg,
    /// A header member Cairn reads (`kid`, `typ`) is not a string.
    #[error("header member \"kid\" or \"typ\" is not a string")]
    HeaderMember,
}

/// Why a token was rejected. The `Display` text never contains the token or any claim value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The token is longer than the limit.
    #[error("token is {len} bytes (maximum {max})")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The token is not a well-formed compact JWS.
    #[error("malformed token: {0}")]
    Malformed(MalformedToken),
    /// The header names an algorithm that is not accepted (`none`, `HS256`, ...).
    #[error("signature algorithm {alg:?} is not accepted")]
    UnsupportedAlgorithm {
        /// At most 16 printable characters of the name.
        alg: String,
    },
    /// The header has a `crit` member (no JWS extension is understood).
    #[error("token header marks extensions as critical")]
    CriticalHeader,
    /// The header's `kid` names no key of the issuer.
    #[error("token was signed with a key the issuer does not publish")]
    UnknownKeyId,
    /// No key fits the header's algorithm (or the key the `kid` names does not fit it).
    #[error("no published key fits signature algorithm {alg}")]
    NoKeyForAlgorithm {
        /// The algorithm named in the header.
        alg: &'static str,
    },
    /// The signature does not verify.
    #[error("token signature does not verify")]
    BadSignature,
    /// A required claim is missing.
    #[error("token has no {0:?} claim")]
    MissingClaim(&'static str),
    /// A registered claim has the wrong type or an invalid value.
    #[error("token claim {0:?} has the wrong type or an invalid value")]
    MalformedClaim(&'static str),
    /// `iss` is not the expected issuer.
    #[error("token issuer does not match")]
    WrongIssuer,
    /// `aud` contains none of the accepted client IDs.
    #[error("token audience contains no accepted client ID")]
    WrongAudience,
    /// `exp` has passed (beyond the leeway).
    #[error("token expired at {exp} (now {now})")]
    Expired {
        /// The `exp` claim.
        exp: i64,
        /// The time of the check.
        now: i64,
    },
    /// `nbf` is in the future (beyond the leeway).
    #[error("token is not valid before {nbf} (now {now})")]
    NotYetValid {
        /// The `nbf` claim.
        nbf: i64,
        /// The time of the check.
        now: i64,
    },
    /// `iat` is in the future (beyond the leeway).
    #[error("token was issued in the future at {iat} (now {now})")]
    IssuedInFuture {
        /// The `iat` claim.
        iat: i64,
        /// The time of the check.
        now: i64,
    },
}

/// What a token must satisfy besides its signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectations<'a> {
    /// The exact `iss` required.
    pub issuer: &'a str,
    /// Accepted client IDs: `aud` must contain at least one.
    pub audiences: &'a [String],
    /// The current time, seconds since the Unix epoch.
    pub now_unix: i64,
    /// Allowed clock skew for `exp`, `nbf` and `iat`, in seconds.
    pub leeway_secs: u64,
}

/// The claims of a token: the whole payload object, with typed accessors for the registered
/// claims. Templates and admission rules read any claim through [`Claims::get`].
#[derive(Debug, Clone, PartialEq)]
pub struct Claims {
    map: Map<String, Value>,
}

impl Claims {
    /// Wrap a claims object. Nothing is checked: [`verify`] is what makes claims trustworthy.
    pub fn from_map(map: Map<String, Value>) -> Self {
        Claims { map }
    }

    /// The whole payload object.
    pub fn as_map(&self) -> &Map<String, Value> {
        &self.map
    }

    /// One claim.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    /// A claim if it is a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.map.get(name).and_then(Value::as_str)
    }

    /// `iss`, if it is a string.
    pub fn issuer(&self) -> Option<&str> {
        self.get_str("iss")
    }

    /// `sub`, if it is a string.
    pub fn subject(&self) -> Option<&str> {
        self.get_str("sub")
    }

    /// `email`, if it is a string.
    pub fn email(&self) -> Option<&str> {
        self.get_str("email")
    }

    /// Whether `email_verified` is true: the JSON boolean `true`, or the string `"true"` (some
    /// providers, AWS Cognito among them, send a string).
    pub fn email_verified(&self) -> bool {
        match self.map.get("email_verified") {
            Some(Value::Bool(b)) => *b,
            Some(Value::String(s)) => s == "true",
            _ => false,
        }
    }

    /// `aud` as a list (a single string becomes a list of one).
    pub fn audiences(&self) -> Vec<&str> {
        match self.map.get("aud") {
            Some(Value::String(s)) => vec![s.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        }
    }

    /// `exp` in seconds since the epoch, if it is a number.
    pub fn expires_at(&self) -> Option<i64> {
        self.map.get("exp").and_then(numeric_date)
    }
}

/// Read the unverified `iss` of a compact token, to choose the issuer configuration (and keys)
/// to verify it with. Checks the size bound and the three-part structure first.
pub fn peek_issuer(token: &str) -> Result<String, TokenError> {
    let [header, payload, _] = jws::split(token)?;
    jws::decode_object(header, TokenPart::Header)?;
    let claims = jws::decode_object(payload, TokenPart::Payload)?;
    match claims.get("iss") {
        Some(Value::String(iss)) => Ok(iss.clone()),
        Some(_) => Err(TokenError::MalformedClaim("iss")),
        None => Err(TokenError::MissingClaim("iss")),
    }
}

/// Verify a compact token against an issuer's keys and the expectations, returning its claims.
///
/// Key selection: with a `kid`, only keys with that `kid` are candidates ([`TokenError::UnknownKeyId`]
/// if there is none, which tells a caching caller to refetch the keys); without one, every key
/// that fits the algorithm is tried. A key fits when its type and curve match the algorithm and
/// its `alg` member, if any, names the same algorithm.
///
/// Claims: `iss` must equal the expected issuer exactly; `aud` (string or array) must contain an
/// accepted client ID; `sub` must be a non-empty string; `exp` is required; `exp`, `nbf` and
/// `iat` are checked with the leeway.
pub fn verify(token: &str, keys: &JwkSet, expect: &Expectations<'_>) -> Result<Claims, TokenError> {
    let jws = jws::parse(token)?;
    let alg = jws.header.alg;
    verify_signature(&jws, alg, keys)?;
    let claims = Claims::from_map(jws.payload);
    check_claims(&claims, expect)?;
    Ok(claims)
}

fn verify_signature(
    jws: &jws::CompactJws<'_>,
    alg: Algorithm,
    keys: &JwkSet,
) -> Result<(), TokenError> {
    let candidates: Vec<_> = match &jws.header.kid {
        Some(kid) => {
            let named: Vec<_> = keys
                .keys
                .iter()
                .filter(|k| k.kid.as_deref() == Some(kid.as_str()))
                .collect();
            if named.is_empty() {
                return Err(TokenError::UnknownKeyId);
            }
            named.into_iter().filter(|k| k.fits(alg)).collect()
        }
        None => keys.keys.iter().filter(|k| k.fits(alg)).collect(),
    };
    if candidates.is_empty() {
        return Err(TokenError::NoKeyForAlgorithm { alg: alg.name() });
    }
    let signature = jws::signature_for_keys(alg, &jws.signature).ok_or(TokenError::BadSignature)?;
    let verified = candidates.iter().any(|jwk| {
        jwk.key
            .verify_with(alg.scheme(), jws.signing_input, &signature)
            .is_ok()
    });
    if verified {
        Ok(())
    } else {
        Err(TokenError::BadSignature)
    }
}

fn check_claims(claims: &Claims, expect: &Expectations<'_>) -> Result<(), TokenError> {
    match claims.get("iss") {
        Some(Value::String(iss)) if iss == expect.issuer => {}
        Some(Value::String(_)) => return Err(TokenError::WrongIssuer),
        Some(_) => return Err(TokenError::MalformedClaim("iss")),
        None => return Err(TokenError::MissingClaim("iss")),
    }
    match claims.get("aud") {
        None => return Err(TokenError::MissingClaim("aud")),
        Some(Value::String(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(_) => return Err(TokenError::MalformedClaim("aud")),
    }
    let audiences = claims.audiences();
    if !expect
        .audiences
        .iter()
        .any(|accepted| audiences.contains(&accepted.as_str()))
    {
        return Err(TokenError::WrongAudience);
    }
    match claims.get("sub") {
        Some(Value::String(sub)) if !sub.is_empty() => {}
        Some(_) => return Err(TokenError::MalformedClaim("sub")),
        None => return Err(TokenError::MissingClaim("sub")),
    }
    let leeway = i64::try_from(expect.leeway_secs).unwrap_or(i64::MAX);
    let now = expect.now_unix;
    let exp = time_claim(claims, "exp")?.ok_or(TokenError::MissingClaim("exp"))?;
    if now > exp.saturating_add(leeway) {
        return Err(TokenError::Expired { exp, now });
    }
    if let Some(nbf) = time_claim(claims, "nbf")?
        && nbf > now.saturating_add(leeway)
    {
        return Err(TokenError::NotYetValid { nbf, now });
    }
    if let Some(iat) = time_claim(claims, "iat")?
        && iat > now.saturating_add(leeway)
    {
        return Err(TokenError::IssuedInFuture { iat, now });
    }
    Ok(())
}

fn time_claim(claims: &Claims, name: &'static str) -> Result<Option<i64>, TokenError> {
    match claims.get(name) {
        None => Ok(None),
        Some(value) => numeric_date(value)
            .map(Some)
            .ok_or(TokenError::MalformedClaim(name)),
    }
}

/// A JSON `NumericDate` (RFC 7519 §2): an integer or a finite number of seconds, truncated.
fn numeric_date(value: &Value) -> Option<i64> {
    let number = value.as_number()?;
    if let Some(i) = number.as_i64() {
        return Some(i);
    }
    let f = number.as_f64()?;
    // i64::MAX as f64 rounds up to 2^63, so the upper bound is exclusive.
    (f.is_finite() && f >= i64::MIN as f64 && f < i64::MAX as f64).then(|| f.trunc() as i64)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn numeric_dates() {
        assert_eq!(numeric_date(&json!(5)), Some(5));
        assert_eq!(numeric_date(&json!(5.9)), Some(5));
        assert_eq!(numeric_date(&json!("5")), None);
        assert_eq!(numeric_date(&json!(1e300)), None);
    }

    #[test]
    fn email_verified_accepts_bool_and_string_true() {
        let claims = |v: Value| {
            Claims::from_map(json!({ "email_verified": v }).as_object().cloned().unwrap())
        };
        assert!(claims(json!(true)).email_verified());
        assert!(claims(json!("true")).email_verified());
        assert!(!claims(json!(false)).email_verified());
        assert!(!claims(json!("yes")).email_verified());
        assert!(!claims(json!(1)).email_verified());
    }
}
