//! JSON Web Keys and key sets ([RFC 7517]), restricted to the signature keys an OpenID provider
//! publishes: RSA ([RFC 7518 §6.3]), EC P-256/P-384 ([RFC 7518 §6.2]) and OKP Ed25519
//! ([RFC 8037]). Each usable key becomes a [`keys::PublicKey`] by way of a DER
//! `SubjectPublicKeyInfo`, so key parsing is as strict here as everywhere else in Cairn.
//!
//! [RFC 7517]: https://www.rfc-editor.org/rfc/rfc7517
//! [RFC 7518 §6.2]: https://www.rfc-editor.org/rfc/rfc7518#section-6.2
//! [RFC 7518 §6.3]: https://www.rfc-editor.org/rfc/rfc7518#section-6.3
//! [RFC 8037]: https://www.rfc-editor.org/rfc/rfc8037

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use der::asn1::{AnyRef, BitStringRef, ObjectIdentifier, UintRef};
use der::{Encode, Header, Length, Tag};
use serde_json::{Map, Value};
use spki::{AlgorithmIdentifier, SubjectPublicKeyInfo};
use thiserror::Error;

use crate::jws::Algorithm;

/// Largest JWKS document accepted, in bytes.
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;
/// Most keys accepted in one JWKS.
pub const MAX_JWKS_KEYS: usize = 100;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

/// The kind of a usable key, with its curve where it has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JwkKind {
    /// `kty: RSA`.
    Rsa,
    /// `kty: EC`, `crv: P-256`.
    EcP256,
    /// `kty: EC`, `crv: P-384`.
    EcP384,
    /// `kty: OKP`, `crv: Ed25519`.
    Ed25519,
}

/// One usable signature key from a JWKS.
#[derive(Debug, Clone)]
pub struct Jwk {
    /// The `kid` member, if present.
    pub kid: Option<String>,
    /// The `alg` member, if present (a token signed with another algorithm may not use this key).
    pub alg: Option<String>,
    /// What kind of key this is.
    pub kind: JwkKind,
    /// The key itself.
    pub key: keys::PublicKey,
}

impl Jwk {
    /// Whether a token signed with `alg` may be verified with this key: the key type and curve
    /// must fit the algorithm, and a key that names an algorithm must name this one.
    pub fn fits(&self, alg: Algorithm) -> bool {
        let kind_fits = match alg {
            Algorithm::Rs256 | Algorithm::Rs384 | Algorithm::Rs512 | Algorithm::Ps256 => {
                self.kind == JwkKind::Rsa
            }
            Algorithm::Es256 => self.kind == JwkKind::EcP256,
            Algorithm::Es384 => self.kind == JwkKind::EcP384,
            Algorithm::EdDsa => self.kind == JwkKind::Ed25519,
        };
        kind_fits && self.alg.as_deref().is_none_or(|named| named == alg.name())
    }
}

/// A set of usable signature keys (RFC 7517 §5). Keys this crate cannot use are skipped, as the
/// RFC asks: unknown `kty`, unsupported curves, `use` other than `sig`, `key_ops` without
/// `verify`, malformed or too-small keys, and keys that carry private members.
#[derive(Debug, Clone, Default)]
pub struct JwkSet {
    /// The usable keys, in document order.
    pub keys: Vec<Jwk>,
    /// How many entries of the document were skipped.
    pub skipped: usize,
}

/// Why a JWKS document could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum JwksError {
    /// The document is larger than [`MAX_JWKS_BYTES`].
    #[error("JWKS document is {len} bytes (maximum {max})")]
    TooLarge {
        /// Its size.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The document is not JSON.
    #[error("JWKS document is not valid JSON")]
    NotJson,
    /// The document is not an object with a `keys` array.
    #[error("JWKS document is not an object with a \"keys\" array")]
    MissingKeys,
    /// The `keys` array is longer than [`MAX_JWKS_KEYS`].
    #[error("JWKS document has {count} keys (maximum {max})")]
    TooManyKeys {
        /// How many it has.
        count: usize,
        /// The limit.
        max: usize,
    },
}

/// Why one JWK was skipped (internal: skipped keys are only counted).
#[derive(Debug)]
enum SkipReason {
    NotAnObject,
    NotForSignatures,
    UnsupportedType,
    PrivateKey,
    BadMember,
    Rejected,
}

impl JwkSet {
    /// Parse a JWKS document (`{"keys": [...]}`).
    pub fn from_json(bytes: &[u8]) -> Result<Self, JwksError> {
        if bytes.len() > MAX_JWKS_BYTES {
            return Err(JwksError::TooLarge {
                len: bytes.len(),
                max: MAX_JWKS_BYTES,
            });
        }
        let document: Value = serde_json::from_slice(bytes).map_err(|_| JwksError::NotJson)?;
        let entries = document
            .get("keys")
            .and_then(Value::as_array)
            .ok_or(JwksError::MissingKeys)?;
        if entries.len() > MAX_JWKS_KEYS {
            return Err(JwksError::TooManyKeys {
                count: entries.len(),
                max: MAX_JWKS_KEYS,
            });
        }
        let mut set = JwkSet::default();
        for entry in entries {
            match parse_jwk(entry) {
                Ok(jwk) => set.keys.push(jwk),
                Err(_reason) => set.skipped += 1,
            }
        }
        Ok(set)
    }

    /// A set holding the given keys.
    pub fn from_keys(keys: Vec<Jwk>) -> Self {
        JwkSet { keys, skipped: 0 }
    }

    /// Whether any key has this `kid`.
    pub fn contains_kid(&self, kid: &str) -> bool {
        self.keys.iter().any(|k| k.kid.as_deref() == Some(kid))
    }
}

fn parse_jwk(entry: &Value) -> Result<Jwk, SkipReason> {
    let object = entry.as_object().ok_or(SkipReason::NotAnObject)?;
    match object.get("use") {
        None => {}
        Some(Value::String(u)) if u == "sig" => {}
        Some(_) => return Err(SkipReason::NotForSignatures),
    }
    if let Some(ops) = object.get("key_ops") {
        let verifies = ops
            .as_array()
            .is_some_and(|ops| ops.iter().any(|op| op.as_str() == Some("verify")));
        if !verifies {
            return Err(SkipReason::NotForSignatures);
        }
    }
    // A published private key means anyone can mint tokens with it: refuse to trust it.
    if object.contains_key("d") {
        return Err(SkipReason::PrivateKey);
    }
    let kid = optional_string(object, "kid")?;
    let alg = optional_string(object, "alg")?;
    let kty = object
        .get("kty")
        .and_then(Value::as_str)
        .ok_or(SkipReason::BadMember)?;
    let (kind, key) = match kty {
        "RSA" => {
            let n = b64_member(object, "n")?;
            let e = b64_member(object, "e")?;
            (
                JwkKind::Rsa,
                rsa_key(strip_leading_zeros(&n), strip_leading_zeros(&e))?,
            )
        }
        "EC" => {
            let (kind, curve_oid, len) = match object.get("crv").and_then(Value::as_str) {
                Some("P-256") => (JwkKind::EcP256, SECP256R1, 32),
                Some("P-384") => (JwkKind::EcP384, SECP384R1, 48),
                _ => return Err(SkipReason::UnsupportedType),
            };
            let x = b64_member(object, "x")?;
            let y = b64_member(object, "y")?;
            if x.len() != len || y.len() != len {
                return Err(SkipReason::BadMember);
            }
            let mut point = Vec::with_capacity(1 + 2 * len);
            point.push(0x04);
            point.extend_from_slice(&x);
            point.extend_from_slice(&y);
            (kind, ec_key(curve_oid, &point)?)
        }
        "OKP" => {
            if object.get("crv").and_then(Value::as_str) != Some("Ed25519") {
                return Err(SkipReason::UnsupportedType);
            }
            let x: [u8; 32] = b64_member(object, "x")?
                .try_into()
                .map_err(|_| SkipReason::BadMember)?;
            let key = keys::PublicKey::from_ed25519_raw(x).map_err(|_| SkipReason::Rejected)?;
            (JwkKind::Ed25519, key)
        }
        _ => return Err(SkipReason::UnsupportedType),
    };
    Ok(Jwk {
        kid,
        alg,
        kind,
        key,
    })
}

fn optional_string(object: &Map<String, Value>, name: &str) -> Result<Option<String>, SkipReason> {
    match object.get(name) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(SkipReason::BadMember),
    }
}

fn b64_member(object: &Map<String, Value>, name: &str) -> Result<Vec<u8>, SkipReason> {
    let text = object
        .get(name)
        .and_then(Value::as_str)
        .ok_or(SkipReason::BadMember)?;
    URL_SAFE_NO_PAD
        .decode(text)
        .map_err(|_| SkipReason::BadMember)
}

fn strip_leading_zeros(bytes: &[u8]) -> &[u8] {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    &bytes[start..]
}

fn rsa_key(n: &[u8], e: &[u8]) -> Result<keys::PublicKey, SkipReason> {
    if n.is_empty() || e.is_empty() {
        return Err(SkipReason::BadMember);
    }
    let encode = || -> der::Result<Vec<u8>> {
        let mut body = UintRef::new(n)?.to_der()?;
        body.extend(UintRef::new(e)?.to_der()?);
        let mut pkcs1 = Header::new(Tag::Sequence, Length::try_from(body.len())?).to_der()?;
        pkcs1.extend(body);
        encode_spki(RSA_ENCRYPTION, Some(AnyRef::NULL), &pkcs1)
    };
    let spki = encode().map_err(|_| SkipReason::BadMember)?;
    keys::PublicKey::from_spki_der(&spki).map_err(|_| SkipReason::Rejected)
}

fn ec_key(curve: ObjectIdentifier, point: &[u8]) -> Result<keys::PublicKey, SkipReason> {
    let params =
        AnyRef::new(Tag::ObjectIdentifier, curve.as_bytes()).map_err(|_| SkipReason::BadMember)?;
    let spki =
        encode_spki(ID_EC_PUBLIC_KEY, Some(params), point).map_err(|_| SkipReason::BadMember)?;
    keys::PublicKey::from_spki_der(&spki).map_err(|_| SkipReason::Rejected)
}

fn encode_spki(
    oid: ObjectIdentifier,
    parameters: Option<AnyRef<'_>>,
    key: &[u8],
) -> der::Result<Vec<u8>> {
    let spki: SubjectPublicKeyInfo<AnyRef<'_>, BitStringRef<'_>> = SubjectPublicKeyInfo {
        algorithm: AlgorithmIdentifier { oid, parameters },
        subject_public_key: BitStringRef::from_bytes(key)?,
    };
    spki.to_der()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn strips_leading_zeros() {
        assert_eq!(strip_leading_zeros(&[0, 0, 1, 0]), &[1, 0]);
        assert_eq!(strip_leading_zeros(&[0, 0]), &[] as &[u8]);
    }
}
