//! Claim paths: a top-level claim name (`repository_owner`), or the `JSONPath` subset Fulcio's
//! `issuer-claim` uses: `$.a.b`, `$['a.b']`, `$["a"].b`.

use serde_json::Value;
use thiserror::Error;

use crate::token::Claims;

/// A parsed claim path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimPath {
    segments: Vec<String>,
}

/// Why a claim path is invalid.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid claim path at byte {offset}: {reason}")]
pub struct ClaimPathError {
    /// Where the problem is.
    pub offset: usize,
    /// What is wrong.
    pub reason: &'static str,
}

impl ClaimPath {
    /// Parse `name` (a top-level claim) or a `$`-rooted path.
    pub fn parse(source: &str) -> Result<Self, ClaimPathError> {
        let err = |offset, reason| ClaimPathError { offset, reason };
        if source.is_empty() {
            return Err(err(0, "empty"));
        }
        let Some(rest) = source.strip_prefix('$') else {
            return Ok(ClaimPath {
                segments: vec![source.to_owned()],
            });
        };
        let mut segments = Vec::new();
        let mut pos = 1;
        let mut chars = rest;
        while !chars.is_empty() {
            if let Some(after) = chars.strip_prefix('.') {
                let len = after.find(['.', '[']).unwrap_or(after.len());
                if len == 0 {
                    return Err(err(pos, "empty member name"));
                }
                segments.push(after[..len].to_owned());
                pos += 1 + len;
                chars = &after[len..];
            } else if let Some(after) = chars.strip_prefix('[') {
                let quote = after
                    .chars()
                    .next()
                    .filter(|c| *c == '\'' || *c == '"')
                    .ok_or_else(|| err(pos, "expected a quoted member name after ["))?;
                let close = after[1..]
                    .find(quote)
                    .ok_or_else(|| err(pos, "unterminated member name"))?;
                let name = &after[1..1 + close];
                if !after[1 + close + 1..].starts_with(']') {
                    return Err(err(pos, "expected ] after member name"));
                }
                segments.push(name.to_owned());
                let used = 1 + 1 + close + 1 + 1;
                pos += used;
                chars = &chars[used..];
            } else {
                return Err(err(pos, "expected . or ["));
            }
        }
        if segments.is_empty() {
            return Err(err(0, "the path selects the whole token"));
        }
        Ok(ClaimPath { segments })
    }

    /// The value at this path, if every step exists.
    pub fn lookup<'c>(&self, claims: &'c Claims) -> Option<&'c Value> {
        let (first, rest) = self.segments.split_first()?;
        let mut value = claims.get(first)?;
        for segment in rest {
            value = value.as_object()?.get(segment)?;
        }
        Some(value)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use serde_json::json;

    fn claims() -> Claims {
        Claims::from_map(
            json!({
                "federated_claims": { "connector_id": "https://github.com/login/oauth", "user.id": "7" },
                "repository_owner": "octo-org",
            })
            .as_object()
            .cloned()
            .unwrap(),
        )
    }

    #[test]
    fn paths() {
        let c = claims();
        let get = |p: &str| ClaimPath::parse(p).unwrap().lookup(&c).cloned();
        assert_eq!(
            get("$.federated_claims.connector_id"),
            Some(json!("https://github.com/login/oauth"))
        );
        assert_eq!(get("$['federated_claims'][\"user.id\"]"), Some(json!("7")));
        assert_eq!(get("repository_owner"), Some(json!("octo-org")));
        assert_eq!(get("$.repository_owner"), Some(json!("octo-org")));
        assert_eq!(get("$.federated_claims.missing"), None);
        assert_eq!(get("$.repository_owner.x"), None);
    }

    #[test]
    fn bad_paths() {
        for bad in ["", "$", "$.", "$..a", "$[a]", "$['a'", "$['a'x", "$a"] {
            assert!(ClaimPath::parse(bad).is_err(), "{bad:?}");
        }
    }
}
