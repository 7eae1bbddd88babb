//! Compact JWS ([RFC 7515 §7.1]) as used by JWTs ([RFC 7519]): three base64url parts without
//! padding, a JSON header naming the algorithm, a JSON payload, and a signature.
//!
//! [RFC 7515 §7.1]: https://www.rfc-editor.org/rfc/rfc7515#section-7.1
//! [RFC 7519]: https://www.rfc-editor.org/rfc/rfc7519

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keys::SignatureScheme;
use serde_json::{Map, Value};

use crate::token::{MalformedToken, TokenError, TokenPart};

/// Largest token accepted, in bytes (real ID tokens are 1–3 KiB).
pub const MAX_TOKEN_BYTES: usize = 32 * 1024;

/// The signature algorithms Cairn accepts ([RFC 7518 §3.1], [RFC 8037 §3.1]). Everything else,
/// `none` and the HMAC family in particular, is refused.
///
/// [RFC 7518 §3.1]: https://www.rfc-editor.org/rfc/rfc7518#section-3.1
/// [RFC 8037 §3.1]: https://www.rfc-editor.org/rfc/rfc8037#section-3.1
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256 and MGF1-SHA-256.
    Ps256,
    /// ECDSA P-256 with SHA-256 (64-byte `r || s` signature).
    Es256,
    /// ECDSA P-384 with SHA-384 (96-byte `r || s` signature).
    Es384,
    /// Ed25519.
    EdDsa,
}

impl Algorithm {
    /// Every accepted algorithm.
    pub const ALL: [Algorithm; 7] = [
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::EdDsa,
    ];

    /// The JOSE name (`RS256`, `ES256`, `EdDSA`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::EdDsa => "EdDSA",
        }
    }

    /// The algorithm with this JOSE name (exact, case-sensitive), if it is accepted.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|alg| alg.name() == name)
    }

    /// The `keys` scheme that verifies this algorithm's signatures.
    pub fn scheme(self) -> SignatureScheme {
        match self {
            Algorithm::Rs256 => SignatureScheme::RsaPkcs1Sha256,
            Algorithm::Rs384 => SignatureScheme::RsaPkcs1Sha384,
            Algorithm::Rs512 => SignatureScheme::RsaPkcs1Sha512,
            Algorithm::Ps256 => SignatureScheme::RsaPssSha256,
            Algorithm::Es256 => SignatureScheme::EcdsaP256Sha256,
            Algorithm::Es384 => SignatureScheme::EcdsaP384Sha384,
            Algorithm::EdDsa => SignatureScheme::Ed25519,
        }
    }

    /// For ECDSA, the length of one of `r` and `s` in a JWS signature.
    fn ecdsa_scalar_len(self) -> Option<usize> {
        match self {
            Algorithm::Es256 => Some(32),
            Algorithm::Es384 => Some(48),
            _ => None,
        }
    }
}

/// The header members Cairn reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwsHeader {
    /// `alg`, checked against the allow-list.
    pub alg: Algorithm,
    /// `kid`, if present.
    pub kid: Option<String>,
    /// `typ`, if present (informational; not enforced).
    pub typ: Option<String>,
}

/// A compact JWS split and decoded, signature not yet checked.
#[derive(Debug, Clone)]
pub struct CompactJws<'a> {
    /// The decoded header.
    pub header: JwsHeader,
    /// The decoded payload, a JSON object.
    pub payload: Map<String, Value>,
    /// The bytes the signature covers: `base64url(header) '.' base64url(payload)`.
    pub signing_input: &'a [u8],
    /// The signature as sent (for ECDSA, `r || s`).
    pub signature: Vec<u8>,
}

/// Split a compact JWS into its three parts and decode the payload object, without looking at
/// the header beyond its being a JSON object. Used to read `iss` before choosing keys.
pub(crate) fn split(token: &str) -> Result<[&str; 3], TokenError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(TokenError::TooLarge {
            len: token.len(),
            max: MAX_TOKEN_BYTES,
        });
    }
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(payload), Some(signature), None) => Ok([header, payload, signature]),
        _ => Err(TokenError::Malformed(MalformedToken::NotThreeParts)),
    }
}

pub(crate) fn decode_part(text: &str, part: TokenPart) -> Result<Vec<u8>, TokenError> {
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| TokenError::Malformed(MalformedToken::Base64(part)))
}

pub(crate) fn decode_object(text: &str, part: TokenPart) -> Result<Map<String, Value>, TokenError> {
    let bytes = decode_part(text, part)?;
    match serde_json::from_slice::<Value>(&bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(TokenError::Malformed(MalformedToken::NotAnObject(part))),
        Err(_) => Err(TokenError::Malformed(MalformedToken::Json(part))),
    }
}

/// Parse a compact JWS: size bound, three parts, header with an accepted `alg`, payload object.
pub fn parse(token: &str) -> Result<CompactJws<'_>, TokenError> {
    let [header_b64, payload_b64, signature_b64] = split(token)?;
    let header = parse_header(&decode_object(header_b64, TokenPart::Header)?)?;
    let payload = decode_object(payload_b64, TokenPart::Payload)?;
    let signature = decode_part(signature_b64, TokenPart::Signature)?;
    let signing_len = header_b64.len() + 1 + payload_b64.len();
    Ok(CompactJws {
        header,
        payload,
        signing_input: &token.as_bytes()[..signing_len],
        signature,
    })
}

fn parse_header(map: &Map<String, Value>) -> Result<JwsHeader, TokenError> {
    let alg_name = match map.get("alg") {
        Some(Value::String(name)) => name,
        _ => return Err(TokenError::Malformed(MalformedToken::HeaderAlg)),
    };
    let alg = Algorithm::from_name(alg_name).ok_or_else(|| TokenError::UnsupportedAlgorithm {
        alg: printable_prefix(alg_name),
    })?;
    // RFC 7515 §4.1.11: a recipient that does not understand a critical extension must reject.
    if map.contains_key("crit") {
        return Err(TokenError::CriticalHeader);
    }
    let optional = |name: &str| match map.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(TokenError::Malformed(MalformedToken::HeaderMember)),
    };
    Ok(JwsHeader {
        alg,
        kid: optional("kid")?,
        typ: optional("typ")?,
    })
}

/// At most 16 printable ASCII characters of an attacker-chosen name, for error messages.
fn printable_prefix(name: &str) -> String {
    let mut out: String = name
        .chars()
        .take(16)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect();
    if name.chars().count() > 16 {
        out.push('…');
    }
    out
}

/// Convert a JWS ECDSA signature (`r || s`, fixed width) to the DER `Ecdsa-Sig-Value` that
/// `keys` verifies. Other algorithms' signatures pass through unchanged.
pub(crate) fn signature_for_keys(alg: Algorithm, signature: &[u8]) -> Option<Vec<u8>> {
    let Some(len) = alg.ecdsa_scalar_len() else {
        return Some(signature.to_vec());
    };
    if signature.len() != 2 * len {
        return None;
    }
    let (r, s) = signature.split_at(len);
    let mut body = der_integer(r)?;
    body.extend(der_integer(s)?);
    let mut out = vec![0x30];
    push_der_length(&mut out, body.len());
    out.extend(body);
    Some(out)
}

fn der_integer(unsigned: &[u8]) -> Option<Vec<u8>> {
    let start = unsigned.iter().position(|&b| b != 0)?; // zero is never a valid r or s
    let digits = &unsigned[start..];
    let pad = digits[0] & 0x80 != 0;
    let len = digits.len() + usize::from(pad);
    let mut out = vec![0x02];
    push_der_length(&mut out, len);
    if pad {
        out.push(0);
    }
    out.extend_from_slice(digits);
    Some(out)
}

fn push_der_length(out: &mut Vec<u8>, len: usize) {
    // ECDSA signatures for P-256/P-384 stay below 256 bytes.
    if len < 0x80 {
        out.push(len as u8);
    } else {
        out.push(0x81);
        out.push(len as u8);
    }
}

/// Convert a DER `Ecdsa-Sig-Value` to the fixed-width `r || s` form a JWS carries. For tests
/// and for callers that sign tokens with a [`keys::Signer`].
pub fn ecdsa_der_to_jws(der: &[u8], scalar_len: usize) -> Option<Vec<u8>> {
    let (tag, rest) = der.split_first()?;
    if *tag != 0x30 {
        return None;
    }
    let (body, rest) = read_der_length(rest)?;
    if !rest.is_empty() {
        return None;
    }
    let mut out = Vec::with_capacity(2 * scalar_len);
    let mut remaining = body;
    for _ in 0..2 {
        let (tag, rest) = remaining.split_first()?;
        if *tag != 0x02 {
            return None;
        }
        let (value, rest) = read_der_length(rest)?;
        let digits = {
            let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
            &value[start..]
        };
        if digits.len() > scalar_len {
            return None;
        }
        out.extend(std::iter::repeat_n(0u8, scalar_len - digits.len()));
        out.extend_from_slice(digits);
        remaining = rest;
    }
    remaining.is_empty().then_some(out)
}

/// Split `len || value || rest` (short or one/two-byte long form).
fn read_der_length(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let (&first, rest) = input.split_first()?;
    let (len, rest) = match first {
        0..=0x7f => (usize::from(first), rest),
        0x81 => {
            let (&b, rest) = rest.split_first()?;
            (usize::from(b), rest)
        }
        0x82 => {
            let (bytes, rest) = rest.split_at_checked(2)?;
            (usize::from(bytes[0]) << 8 | usize::from(bytes[1]), rest)
        }
        _ => return None,
    };
    rest.split_at_checked(len)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn ecdsa_signature_round_trip() {
        let mut raw = vec![0u8; 64];
        raw[0] = 0x80; // r needs a padding byte
        raw[31] = 1;
        raw[63] = 7; // s is tiny
        let der = signature_for_keys(Algorithm::Es256, &raw).unwrap();
        assert_eq!(
            der,
            [
                vec![0x30, 0x26, 0x02, 0x21, 0x00, 0x80],
                vec![0; 30],
                vec![0x01, 0x02, 0x01, 0x07]
            ]
            .concat()
        );
        assert_eq!(ecdsa_der_to_jws(&der, 32).unwrap(), raw);
    }

    #[test]
    fn ecdsa_signature_rejects_wrong_length_and_zero() {
        assert!(signature_for_keys(Algorithm::Es256, &[1u8; 63]).is_none());
        assert!(signature_for_keys(Algorithm::Es384, &[1u8; 64]).is_none());
        assert!(signature_for_keys(Algorithm::Es256, &[0u8; 64]).is_none());
    }

    #[test]
    fn printable_prefix_bounds_names() {
        assert_eq!(printable_prefix("HS256"), "HS256");
        assert_eq!(printable_prefix("a\nb"), "a?b");
        assert_eq!(
            printable_prefix(&"x".repeat(40)),
            format!("{}…", "x".repeat(16))
        );
    }
}
