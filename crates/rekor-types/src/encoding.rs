//! Base64 and hex as Go's `encoding/base64` / `encoding/hex` accept them, plus small JSON
//! accessors that report the path of a bad member.

use base64::Engine as _;
use base64::engine::general_purpose::GeneralPurpose;
use base64::engine::{DecodePaddingMode, GeneralPurposeConfig};
use serde_json::{Map, Value};

use crate::error::EntryError;

/// Go's `base64.StdEncoding` decoder: padding required, non-zero trailing bits tolerated.
const GO_STD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Go's `base64.URLEncoding` decoder.
const GO_URL: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

/// Go's decoders skip `\r` and `\n` anywhere in the input.
fn strip_newlines(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains(['\r', '\n']) {
        std::borrow::Cow::Owned(s.chars().filter(|c| *c != '\r' && *c != '\n').collect())
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

/// Decode standard padded base64 (what go-openapi `strfmt.Base64` and Go's
/// `base64.StdEncoding.DecodeString` accept).
pub(crate) fn decode_std(s: &str) -> Option<Vec<u8>> {
    GO_STD.decode(strip_newlines(s).as_bytes()).ok()
}

/// Decode a DSSE base64 field: standard alphabet first, then URL-safe, both padded
/// (go-securesystemslib `dsse.b64Decode`).
pub(crate) fn decode_dsse(s: &str) -> Option<Vec<u8>> {
    let s = strip_newlines(s);
    GO_STD
        .decode(s.as_bytes())
        .or_else(|_| GO_URL.decode(s.as_bytes()))
        .ok()
}

/// Standard padded base64, as Go's `json.Marshal` writes `[]byte`.
pub(crate) fn encode_std(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Lowercase hex.
pub(crate) fn hex_lower(bytes: &[u8]) -> String {
    hex::encode(bytes)
}

/// True if `s` is non-empty, even-length hexadecimal (either case), as `hex.DecodeString` accepts.
pub(crate) fn is_hex(s: &str) -> bool {
    s.len().is_multiple_of(2) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// Path helper: `parent.child`.
pub(crate) fn join(parent: &str, child: &str) -> String {
    if parent.is_empty() {
        child.to_owned()
    } else {
        format!("{parent}.{child}")
    }
}

/// Path helper: `parent[index]`.
pub(crate) fn index(parent: &str, i: usize) -> String {
    format!("{parent}[{i}]")
}

/// The value as an object, or a `WrongType` error naming `path`.
pub(crate) fn as_object<'a>(
    value: &'a Value,
    path: &str,
) -> Result<&'a Map<String, Value>, EntryError> {
    value
        .as_object()
        .ok_or_else(|| EntryError::wrong_type(path, "an object"))
}

/// Member `name` of `obj`, treating `null` as absent.
pub(crate) fn member<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).filter(|v| !v.is_null())
}

/// Required object member.
pub(crate) fn req_object<'a>(
    obj: &'a Map<String, Value>,
    parent: &str,
    name: &str,
) -> Result<&'a Map<String, Value>, EntryError> {
    let path = join(parent, name);
    match member(obj, name) {
        None => Err(EntryError::missing(path)),
        Some(v) => as_object(v, &path),
    }
}

/// Optional object member.
pub(crate) fn opt_object<'a>(
    obj: &'a Map<String, Value>,
    parent: &str,
    name: &str,
) -> Result<Option<&'a Map<String, Value>>, EntryError> {
    let path = join(parent, name);
    member(obj, name).map(|v| as_object(v, &path)).transpose()
}

/// Required string member (may be empty).
pub(crate) fn req_str<'a>(
    obj: &'a Map<String, Value>,
    parent: &str,
    name: &str,
) -> Result<&'a str, EntryError> {
    let path = join(parent, name);
    match member(obj, name) {
        None => Err(EntryError::missing(path)),
        Some(v) => v
            .as_str()
            .ok_or_else(|| EntryError::wrong_type(path, "a string")),
    }
}

/// Required non-empty string member.
pub(crate) fn req_nonempty_str<'a>(
    obj: &'a Map<String, Value>,
    parent: &str,
    name: &str,
) -> Result<&'a str, EntryError> {
    let s = req_str(obj, parent, name)?;
    if s.is_empty() {
        return Err(EntryError::EmptyField {
            field: join(parent, name),
        });
    }
    Ok(s)
}

/// Optional string member.
pub(crate) fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    parent: &str,
    name: &str,
) -> Result<Option<&'a str>, EntryError> {
    let path = join(parent, name);
    member(obj, name)
        .map(|v| {
            v.as_str()
                .ok_or_else(|| EntryError::wrong_type(path, "a string"))
        })
        .transpose()
}

/// Required non-empty array member.
pub(crate) fn req_nonempty_array<'a>(
    obj: &'a Map<String, Value>,
    parent: &str,
    name: &str,
) -> Result<&'a Vec<Value>, EntryError> {
    let path = join(parent, name);
    let items = match member(obj, name) {
        None => return Err(EntryError::missing(path)),
        Some(v) => v
            .as_array()
            .ok_or_else(|| EntryError::wrong_type(path.clone(), "an array"))?,
    };
    if items.is_empty() {
        return Err(EntryError::EmptyField { field: path });
    }
    Ok(items)
}

/// Required non-empty base64 string member, decoded.
pub(crate) fn req_base64(
    obj: &Map<String, Value>,
    parent: &str,
    name: &str,
) -> Result<Vec<u8>, EntryError> {
    let s = req_nonempty_str(obj, parent, name)?;
    decode_std(s).ok_or_else(|| EntryError::InvalidBase64 {
        field: join(parent, name),
    })
}

/// A `{"algorithm": "sha256", "value": <64 hex>}` member, returning the value as given.
pub(crate) fn sha256_hash_object<'a>(
    obj: &'a Map<String, Value>,
    parent: &str,
    name: &str,
    required: bool,
) -> Result<Option<&'a str>, EntryError> {
    let path = join(parent, name);
    let hash = if required {
        Some(req_object(obj, parent, name)?)
    } else {
        opt_object(obj, parent, name)?
    };
    let Some(hash) = hash else {
        return Ok(None);
    };
    let algorithm = req_str(hash, &path, "algorithm")?;
    if algorithm != "sha256" {
        return Err(EntryError::InvalidValue {
            field: join(&path, "algorithm"),
            value: algorithm.to_owned(),
            allowed: &["sha256"],
        });
    }
    let value = req_str(hash, &path, "value")?;
    check_digest_hex(&join(&path, "value"), "sha256", 64, value)?;
    Ok(Some(value))
}

/// Check a hex digest's length and alphabet.
pub(crate) fn check_digest_hex(
    field: &str,
    algorithm: &str,
    expected: usize,
    value: &str,
) -> Result<(), EntryError> {
    if value.len() != expected {
        return Err(EntryError::DigestLength {
            field: field.to_owned(),
            algorithm: algorithm.to_owned(),
            expected,
            actual: value.len(),
        });
    }
    if !is_hex(value) {
        return Err(EntryError::InvalidHex {
            field: field.to_owned(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_decoding_follows_go() {
        assert_eq!(decode_std("aGk=").as_deref(), Some(&b"hi"[..]));
        // Padding is required.
        assert_eq!(decode_std("aGk"), None);
        // Go tolerates non-zero trailing bits ("aGl=" decodes to "hi" too).
        assert_eq!(decode_std("aGl=").as_deref(), Some(&b"hi"[..]));
        // Go skips CR and LF.
        assert_eq!(decode_std("aG\r\nk=").as_deref(), Some(&b"hi"[..]));
        // URL-safe characters are not standard base64.
        assert_eq!(decode_std("-_8="), None);
        assert_eq!(decode_dsse("-_8=").as_deref(), Some(&[0xfb, 0xff][..]));
    }
}
