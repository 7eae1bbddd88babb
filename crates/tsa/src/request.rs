//! Time-stamp requests in the two forms sigstore's timestamp-authority accepts: DER
//! `TimeStampReq` (`application/timestamp-query`, RFC 3161 §2.4.1) and its JSON form
//! (`application/json`, sent by sigstore-js).

use std::fmt;

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use const_oid::ObjectIdentifier;
use der::asn1::{Any, Int, OctetString};
use der::{Decode, Encode};
use keys::HashAlgorithm;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use spki::AlgorithmIdentifierOwned;

use crate::asn1::{MessageImprint, TimeStampReq, oid};
use crate::status::PkiFailureInfo;

/// Largest request either parser reads, in bytes. Real requests are under 200 bytes; the HTTP
/// layer should apply its own, smaller limit first.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Longest nonce accepted, in bytes of its two's-complement encoding (512 bits; clients send 64).
pub const MAX_NONCE_BYTES: usize = 64;

/// A nonce: an INTEGER of any sign, kept as its minimal two's-complement big-endian encoding so
/// that it is echoed byte for byte.
#[derive(Clone, PartialEq, Eq)]
pub struct Nonce(Vec<u8>);

impl Nonce {
    /// A non-negative nonce.
    pub fn from_u64(value: u64) -> Nonce {
        Nonce(minimal_unsigned(&value.to_be_bytes()))
    }

    /// A non-negative nonce from big-endian magnitude bytes (leading zeros allowed).
    pub fn from_unsigned_be(bytes: &[u8]) -> Result<Nonce, RequestError> {
        Nonce::checked(minimal_unsigned(bytes))
    }

    /// The minimal two's-complement big-endian encoding (the DER INTEGER's contents).
    pub fn as_twos_complement(&self) -> &[u8] {
        &self.0
    }

    /// The DER INTEGER.
    pub fn to_int(&self) -> Result<Int, der::Error> {
        Int::new(&self.0)
    }

    fn checked(bytes: Vec<u8>) -> Result<Nonce, RequestError> {
        if bytes.len() > MAX_NONCE_BYTES {
            return Err(malformed(format!(
                "nonce is longer than {MAX_NONCE_BYTES} bytes"
            )));
        }
        Ok(Nonce(bytes))
    }

    /// Parse a JSON integer literal (`-?(0|[1-9][0-9]*)`), as Go's `big.Int` does for the JSON
    /// form's `nonce`. Fractions and exponents are refused.
    fn from_json_literal(text: &str) -> Result<Nonce, RequestError> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(malformed("nonce must be an integer"));
        }
        // More than 160 decimal digits is more than 512 bits; refuse before the arithmetic.
        if digits.len() > MAX_NONCE_BYTES * 5 / 2 {
            return Err(malformed(format!(
                "nonce is longer than {MAX_NONCE_BYTES} bytes"
            )));
        }
        // Big-endian magnitude, built digit by digit.
        let mut magnitude: Vec<u8> = vec![0];
        for digit in digits.bytes() {
            let mut carry = u32::from(digit - b'0');
            for byte in magnitude.iter_mut().rev() {
                let value = u32::from(*byte) * 10 + carry;
                *byte = (value & 0xff) as u8;
                carry = value >> 8;
            }
            while carry > 0 {
                magnitude.insert(0, (carry & 0xff) as u8);
                carry >>= 8;
            }
        }
        let positive = minimal_unsigned(&magnitude);
        if !negative || positive == [0] {
            return Nonce::checked(positive);
        }
        // Negate: invert and add one. `positive` has a clear sign bit, so the result has a set one.
        let mut bytes: Vec<u8> = positive.iter().map(|b| !b).collect();
        for byte in bytes.iter_mut().rev() {
            let (sum, overflow) = byte.overflowing_add(1);
            *byte = sum;
            if !overflow {
                break;
            }
        }
        Nonce::checked(minimal_twos_complement(bytes))
    }
}

/// The minimal two's-complement encoding of a non-negative big-endian magnitude.
fn minimal_unsigned(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    let digits = &bytes[start..];
    match digits.first() {
        None => vec![0],
        Some(&first) if first & 0x80 != 0 => [&[0u8][..], digits].concat(),
        Some(_) => digits.to_vec(),
    }
}

/// Drop redundant leading sign bytes from a two's-complement encoding.
fn minimal_twos_complement(mut bytes: Vec<u8>) -> Vec<u8> {
    let mut start = 0;
    while start + 1 < bytes.len() {
        let (first, next) = (bytes[start], bytes[start + 1]);
        let redundant = (first == 0x00 && next & 0x80 == 0) || (first == 0xff && next & 0x80 != 0);
        if !redundant {
            break;
        }
        start += 1;
    }
    bytes.drain(..start);
    bytes
}

impl fmt::Debug for Nonce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Nonce(0x{})", hex_string(&self.0))
    }
}

fn hex_string(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A request the TSA can grant: a supported hash algorithm with a digest of the right length, no
/// extensions. Whether its policy is accepted is the authority's decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampRequest {
    hash_algorithm: HashAlgorithm,
    hashed_message: Vec<u8>,
    nonce: Option<Nonce>,
    policy: Option<ObjectIdentifier>,
    cert_req: bool,
}

/// Why a request body is not a request the TSA can grant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The body is larger than [`MAX_REQUEST_BYTES`].
    #[error("request is {len} bytes, more than the {limit} allowed")]
    TooLarge {
        /// The body's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The body is not a DER `TimeStampReq` / not the JSON request object.
    #[error("malformed timestamp request: {0}")]
    Malformed(String),
    /// A `TimeStampReq` whose version is not 1.
    #[error("unsupported timestamp request version (only v1 is defined)")]
    UnsupportedVersion,
    /// SHA-1 (upstream's message, word for word).
    #[error("Weak hash algorithm in timestamp request")]
    WeakHashAlgorithm,
    /// A hash algorithm other than SHA-256/384/512.
    #[error("unsupported hash algorithm {0} (use sha256, sha384 or sha512)")]
    UnsupportedHashAlgorithm(String),
    /// The digest's length does not match its algorithm (upstream's message, then the detail).
    #[error(
        "Message digest has incorrect length for specified algorithm: {algorithm:?} needs {want} bytes, got {got}"
    )]
    DigestLength {
        /// The algorithm named.
        algorithm: HashAlgorithm,
        /// The length given.
        got: usize,
        /// The length required.
        want: usize,
    },
    /// The request carries extensions.
    #[error("timestamp request extensions are not accepted")]
    ExtensionsNotAccepted,
}

impl RequestError {
    /// The `PKIFailureInfo` bit an RFC 3161 rejection would carry.
    pub fn failure_info(&self) -> PkiFailureInfo {
        match self {
            RequestError::TooLarge { .. }
            | RequestError::Malformed(_)
            | RequestError::UnsupportedVersion
            | RequestError::DigestLength { .. } => PkiFailureInfo::BadDataFormat,
            RequestError::WeakHashAlgorithm | RequestError::UnsupportedHashAlgorithm(_) => {
                PkiFailureInfo::BadAlg
            }
            RequestError::ExtensionsNotAccepted => PkiFailureInfo::UnacceptedExtension,
        }
    }

    /// A short, stable label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            RequestError::TooLarge { .. } => "too_large",
            RequestError::Malformed(_) => "malformed",
            RequestError::UnsupportedVersion => "unsupported_version",
            RequestError::WeakHashAlgorithm => "weak_hash_algorithm",
            RequestError::UnsupportedHashAlgorithm(_) => "unsupported_hash_algorithm",
            RequestError::DigestLength { .. } => "digest_length",
            RequestError::ExtensionsNotAccepted => "unaccepted_extension",
        }
    }
}

fn malformed(detail: impl Into<String>) -> RequestError {
    RequestError::Malformed(detail.into())
}

/// The DER `AlgorithmIdentifier` of a message-imprint hash (with NULL parameters, as upstream
/// writes it).
pub(crate) fn imprint_algorithm(alg: HashAlgorithm) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned {
        oid: hash_oid(alg),
        parameters: Some(Any::null()),
    }
}

/// The OID of a SHA-2 hash.
pub fn hash_oid(alg: HashAlgorithm) -> ObjectIdentifier {
    match alg {
        HashAlgorithm::Sha256 => oid::SHA256,
        HashAlgorithm::Sha384 => oid::SHA384,
        HashAlgorithm::Sha512 => oid::SHA512,
    }
}

/// The JSON form's name of a SHA-2 hash (`sha256`, …).
pub fn hash_name(alg: HashAlgorithm) -> &'static str {
    match alg {
        HashAlgorithm::Sha256 => "sha256",
        HashAlgorithm::Sha384 => "sha384",
        HashAlgorithm::Sha512 => "sha512",
    }
}

fn hash_from_oid(algorithm: &AlgorithmIdentifierOwned) -> Result<HashAlgorithm, RequestError> {
    let alg = match algorithm.oid {
        oid::SHA256 => HashAlgorithm::Sha256,
        oid::SHA384 => HashAlgorithm::Sha384,
        oid::SHA512 => HashAlgorithm::Sha512,
        oid::SHA1 => return Err(RequestError::WeakHashAlgorithm),
        other => return Err(RequestError::UnsupportedHashAlgorithm(other.to_string())),
    };
    // RFC 5754: parameters absent or NULL.
    match &algorithm.parameters {
        None => Ok(alg),
        Some(any) if any.is_null() => Ok(alg),
        Some(_) => Err(RequestError::UnsupportedHashAlgorithm(format!(
            "{} with parameters",
            algorithm.oid
        ))),
    }
}

/// Go's `base64.StdEncoding`: padded standard alphabet, non-zero trailing bits tolerated.
const GO_STD_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireCanonical)
        .with_decode_allow_trailing_bits(true),
);

impl TimestampRequest {
    /// A request for `hashed_message`, checked like a parsed one.
    pub fn new(
        hash_algorithm: HashAlgorithm,
        hashed_message: Vec<u8>,
    ) -> Result<TimestampRequest, RequestError> {
        check_digest_length(hash_algorithm, &hashed_message)?;
        Ok(TimestampRequest {
            hash_algorithm,
            hashed_message,
            nonce: None,
            policy: None,
            cert_req: false,
        })
    }

    /// Set the nonce.
    pub fn with_nonce(mut self, nonce: Option<Nonce>) -> Self {
        self.nonce = nonce;
        self
    }

    /// Set the requested policy.
    pub fn with_policy(mut self, policy: Option<ObjectIdentifier>) -> Self {
        self.policy = policy;
        self
    }

    /// Set `certReq`.
    pub fn with_cert_req(mut self, cert_req: bool) -> Self {
        self.cert_req = cert_req;
        self
    }

    /// The imprint's hash algorithm.
    pub fn hash_algorithm(&self) -> HashAlgorithm {
        self.hash_algorithm
    }

    /// The digest to time-stamp.
    pub fn hashed_message(&self) -> &[u8] {
        &self.hashed_message
    }

    /// The nonce to echo, if any.
    pub fn nonce(&self) -> Option<&Nonce> {
        self.nonce.as_ref()
    }

    /// The policy asked for, if any.
    pub fn policy(&self) -> Option<ObjectIdentifier> {
        self.policy
    }

    /// Whether the signing certificate should be included in the token.
    pub fn cert_req(&self) -> bool {
        self.cert_req
    }

    /// Parse a DER `TimeStampReq`. Trailing bytes, BER encodings, a version other than 1, an
    /// unsupported hash, a digest of the wrong length and any extension are refused.
    pub fn from_der(bytes: &[u8]) -> Result<TimestampRequest, RequestError> {
        check_size(bytes)?;
        let req = TimeStampReq::from_der(bytes).map_err(|e| malformed(e.to_string()))?;
        if req.version.as_bytes() != [1] {
            return Err(RequestError::UnsupportedVersion);
        }
        let hash_algorithm = hash_from_oid(&req.message_imprint.hash_algorithm)?;
        let hashed_message = req.message_imprint.hashed_message.as_bytes().to_vec();
        check_digest_length(hash_algorithm, &hashed_message)?;
        if req.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
            return Err(RequestError::ExtensionsNotAccepted);
        }
        let nonce = req
            .nonce
            .map(|n| Nonce::checked(n.as_bytes().to_vec()))
            .transpose()?;
        Ok(TimestampRequest {
            hash_algorithm,
            hashed_message,
            nonce,
            policy: req.req_policy,
            cert_req: req.cert_req,
        })
    }

    /// Parse the JSON form, as upstream timestamp-authority reads it with Go's `encoding/json`:
    /// an object with `artifactHash` (standard base64 of the digest), `hashAlgorithm`
    /// (`sha256`/`sha384`/`sha512`, any case), optional `nonce` (a JSON integer of any size),
    /// `certificates` (bool) and `tsaPolicyOID` (dotted string). Keys match case-insensitively,
    /// a later duplicate wins, `null` leaves a field unset and unknown keys are ignored.
    pub fn from_json(bytes: &[u8]) -> Result<TimestampRequest, RequestError> {
        check_size(bytes)?;
        let fields: JsonFields =
            serde_json::from_slice(bytes).map_err(|e| malformed(format!("invalid JSON: {e}")))?;
        let mut artifact_hash: Option<String> = None;
        let mut hash_algorithm: Option<String> = None;
        let mut certificates = false;
        let mut nonce: Option<Nonce> = None;
        let mut policy: Option<String> = None;
        for (key, raw) in fields.0 {
            let text = raw.get();
            let is_null = text == "null";
            match JsonField::find(&key) {
                Some(JsonField::ArtifactHash) if !is_null => {
                    artifact_hash = Some(json_string(text, "artifactHash")?);
                }
                Some(JsonField::HashAlgorithm) if !is_null => {
                    hash_algorithm = Some(json_string(text, "hashAlgorithm")?);
                }
                Some(JsonField::Certificates) if !is_null => {
                    certificates = serde_json::from_str(text)
                        .map_err(|_| malformed("certificates must be a boolean"))?;
                }
                Some(JsonField::Nonce) => {
                    nonce = if is_null {
                        None
                    } else {
                        Some(Nonce::from_json_literal(text)?)
                    };
                }
                Some(JsonField::TsaPolicyOid) if !is_null => {
                    policy = Some(json_string(text, "tsaPolicyOID")?);
                }
                _ => {}
            }
        }
        let hash_algorithm = match hash_algorithm
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "sha256" => HashAlgorithm::Sha256,
            "sha384" => HashAlgorithm::Sha384,
            "sha512" => HashAlgorithm::Sha512,
            "sha1" => return Err(RequestError::WeakHashAlgorithm),
            other => return Err(RequestError::UnsupportedHashAlgorithm(format!("{other:?}"))),
        };
        let policy = match policy.as_deref() {
            None | Some("") => None,
            Some(dotted) => Some(
                ObjectIdentifier::new(dotted)
                    .map_err(|e| malformed(format!("tsaPolicyOID {dotted:?}: {e}")))?,
            ),
        };
        let encoded: String = artifact_hash
            .unwrap_or_default()
            .chars()
            .filter(|c| *c != '\r' && *c != '\n')
            .collect();
        let hashed_message = GO_STD_BASE64
            .decode(encoded.as_bytes())
            .map_err(|e| malformed(format!("artifactHash is not standard base64: {e}")))?;
        check_digest_length(hash_algorithm, &hashed_message)?;
        Ok(TimestampRequest {
            hash_algorithm,
            hashed_message,
            nonce,
            policy,
            cert_req: certificates,
        })
    }

    /// The request as a DER `TimeStampReq` (what `openssl ts -query` and sigstore-python send).
    pub fn to_der(&self) -> Result<Vec<u8>, der::Error> {
        TimeStampReq {
            version: Int::new(&[1])?,
            message_imprint: MessageImprint {
                hash_algorithm: imprint_algorithm(self.hash_algorithm),
                hashed_message: OctetString::new(self.hashed_message.clone())?,
            },
            req_policy: self.policy,
            nonce: self.nonce.as_ref().map(Nonce::to_int).transpose()?,
            cert_req: self.cert_req,
            extensions: None,
        }
        .to_der()
    }
}

fn check_size(bytes: &[u8]) -> Result<(), RequestError> {
    if bytes.len() > MAX_REQUEST_BYTES {
        return Err(RequestError::TooLarge {
            len: bytes.len(),
            limit: MAX_REQUEST_BYTES,
        });
    }
    Ok(())
}

fn check_digest_length(alg: HashAlgorithm, digest: &[u8]) -> Result<(), RequestError> {
    if digest.len() != alg.digest_len() {
        return Err(RequestError::DigestLength {
            algorithm: alg,
            got: digest.len(),
            want: alg.digest_len(),
        });
    }
    Ok(())
}

fn json_string(raw: &str, field: &str) -> Result<String, RequestError> {
    serde_json::from_str(raw).map_err(|_| malformed(format!("{field} must be a string")))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum JsonField {
    ArtifactHash,
    Certificates,
    HashAlgorithm,
    Nonce,
    TsaPolicyOid,
}

impl JsonField {
    const ALL: [(&'static str, JsonField); 5] = [
        ("artifactHash", JsonField::ArtifactHash),
        ("certificates", JsonField::Certificates),
        ("hashAlgorithm", JsonField::HashAlgorithm),
        ("nonce", JsonField::Nonce),
        ("tsaPolicyOID", JsonField::TsaPolicyOid),
    ];

    /// Go's rule: an exact match first, then a case-insensitive one.
    fn find(key: &str) -> Option<JsonField> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == key)
            .or_else(|| {
                Self::ALL
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(key))
            })
            .map(|(_, field)| *field)
    }
}

/// The top-level JSON object's members in document order, values unparsed.
struct JsonFields(Vec<(String, Box<RawValue>)>);

impl<'de> serde::Deserialize<'de> for JsonFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;

        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = JsonFields;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonFields, A::Error> {
                let mut fields = Vec::new();
                while let Some((key, value)) = map.next_entry::<String, Box<RawValue>>()? {
                    fields.push((key, value));
                }
                Ok(JsonFields(fields))
            }
        }

        deserializer.deserialize_map(FieldsVisitor)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::STANDARD as B64;

    fn digest(alg: HashAlgorithm) -> Vec<u8> {
        (0..alg.digest_len()).map(|i| i as u8).collect()
    }

    #[test]
    fn json_as_sigstore_js_sends_it() {
        let body = format!(
            r#"{{"artifactHash":"{}","hashAlgorithm":"sha256"}}"#,
            B64.encode(digest(HashAlgorithm::Sha256))
        );
        let req = TimestampRequest::from_json(body.as_bytes()).unwrap();
        assert_eq!(req.hash_algorithm(), HashAlgorithm::Sha256);
        assert_eq!(req.hashed_message(), digest(HashAlgorithm::Sha256));
        assert_eq!(req.nonce(), None);
        assert_eq!(req.policy(), None);
        assert!(!req.cert_req());
    }

    #[test]
    fn json_with_every_field() {
        let body = format!(
            r#"{{"artifactHash":"{}","hashAlgorithm":"SHA512","nonce":18446744073709551617,
                "certificates":true,"tsaPolicyOID":"1.2.3.4","extra":[1,2]}}"#,
            B64.encode(digest(HashAlgorithm::Sha512))
        );
        let req = TimestampRequest::from_json(body.as_bytes()).unwrap();
        assert_eq!(req.hash_algorithm(), HashAlgorithm::Sha512);
        assert!(req.cert_req());
        assert_eq!(req.policy(), Some(ObjectIdentifier::new_unwrap("1.2.3.4")));
        // 2^64 + 1
        assert_eq!(
            req.nonce().unwrap().as_twos_complement(),
            [1, 0, 0, 0, 0, 0, 0, 0, 1]
        );
    }

    #[test]
    fn json_keys_match_case_insensitively_and_later_wins() {
        let body = format!(
            r#"{{"ARTIFACTHASH":"AAAA","artifactHash":"{}","HashAlgorithm":"sha384","nonce":null}}"#,
            B64.encode(digest(HashAlgorithm::Sha384))
        );
        let req = TimestampRequest::from_json(body.as_bytes()).unwrap();
        assert_eq!(req.hash_algorithm(), HashAlgorithm::Sha384);
        assert_eq!(req.hashed_message(), digest(HashAlgorithm::Sha384));
    }

    #[test]
    fn json_nonce_signs_and_sizes() {
        let nonce = |text: &str| {
            Nonce::from_json_literal(text)
                .map(|n| hex::encode(n.as_twos_complement()))
                .map_err(|e| e.reason())
        };
        assert_eq!(nonce("0"), Ok("00".into()));
        assert_eq!(nonce("127"), Ok("7f".into()));
        assert_eq!(nonce("128"), Ok("0080".into()));
        assert_eq!(nonce("-1"), Ok("ff".into()));
        assert_eq!(nonce("-128"), Ok("80".into()));
        assert_eq!(nonce("-129"), Ok("ff7f".into()));
        assert_eq!(nonce("-0"), Ok("00".into()));
        assert_eq!(nonce("65536"), Ok("010000".into()));
        assert_eq!(nonce("1.5"), Err("malformed"));
        assert_eq!(nonce("1e3"), Err("malformed"));
        assert_eq!(nonce("\"12\""), Err("malformed"));
        assert_eq!(nonce(&"9".repeat(200)), Err("malformed"));
        // 2^511 - 1 fits in 64 bytes; 2^512 does not.
        let max = "6703903964971298549787012499102923063739682910296196688861780721860882015036773488400937149083451713845015929093243025426876941405973284973216824503042047";
        assert_eq!(nonce(max).unwrap(), format!("7f{}", "ff".repeat(63)));
        let too_big = "6703903964971298549787012499102923063739682910296196688861780721860882015036773488400937149083451713845015929093243025426876941405973284973216824503042048";
        assert_eq!(nonce(too_big), Err("malformed"));
        assert_eq!(
            nonce(&format!("-{too_big}")).unwrap(),
            format!("80{}", "00".repeat(63))
        );
    }

    #[test]
    fn json_refusals() {
        let b64 = B64.encode(digest(HashAlgorithm::Sha256));
        let cases: Vec<(String, &str)> = vec![
            ("not json".into(), "malformed"),
            ("[1,2]".into(), "malformed"),
            ("null".into(), "malformed"),
            (
                format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha1"}}"#),
                "weak_hash_algorithm",
            ),
            (
                format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"md5"}}"#),
                "unsupported_hash_algorithm",
            ),
            (
                format!(r#"{{"artifactHash":"{b64}"}}"#),
                "unsupported_hash_algorithm",
            ),
            (
                format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha384"}}"#),
                "digest_length",
            ),
            (r#"{"hashAlgorithm":"sha256"}"#.into(), "digest_length"),
            (
                r#"{"artifactHash":"!!!","hashAlgorithm":"sha256"}"#.into(),
                "malformed",
            ),
            (
                format!(
                    r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha256","certificates":"yes"}}"#
                ),
                "malformed",
            ),
            (
                format!(
                    r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha256","tsaPolicyOID":"1.x"}}"#
                ),
                "malformed",
            ),
            (
                format!(r#"{{"artifactHash":"{b64}","hashAlgorithm":"sha256","nonce":1.5}}"#),
                "malformed",
            ),
            (
                format!(r#"{{"artifactHash":{b64:?},"hashAlgorithm":"sha256"}} trailing"#),
                "malformed",
            ),
            (
                r#"{"artifactHash":5,"hashAlgorithm":"sha256"}"#.into(),
                "malformed",
            ),
        ];
        for (body, reason) in cases {
            let err = TimestampRequest::from_json(body.as_bytes()).unwrap_err();
            assert_eq!(err.reason(), reason, "{body}: {err}");
        }
    }

    #[test]
    fn der_roundtrip_with_every_field() {
        let req = TimestampRequest::new(HashAlgorithm::Sha384, digest(HashAlgorithm::Sha384))
            .unwrap()
            .with_nonce(Some(Nonce::from_u64(0x8000_0000_0000_0001)))
            .with_policy(Some(ObjectIdentifier::new_unwrap("1.3.6.1.4.1.57264.2")))
            .with_cert_req(true);
        let der = req.to_der().unwrap();
        assert_eq!(TimestampRequest::from_der(&der).unwrap(), req);
        // The nonce keeps its sign byte.
        assert_eq!(
            req.nonce().unwrap().as_twos_complement(),
            [0, 0x80, 0, 0, 0, 0, 0, 0, 1]
        );
    }

    #[test]
    fn der_is_what_openssl_writes() {
        // `openssl ts -query -digest <32 x 0x00..0x1f> -sha256 -no_nonce`:
        // version 1, imprint (sha256 with NULL parameters), nothing else.
        let want = format!(
            "30360201013031300d060960864801650304020105000420{}",
            hex::encode(digest(HashAlgorithm::Sha256))
        );
        let req =
            TimestampRequest::new(HashAlgorithm::Sha256, digest(HashAlgorithm::Sha256)).unwrap();
        assert_eq!(hex::encode(req.to_der().unwrap()), want);
        let parsed = TimestampRequest::from_der(&hex::decode(&want).unwrap()).unwrap();
        assert_eq!(parsed, req);
    }

    fn req_der(
        version: u8,
        alg_oid: &str,
        params: Option<&[u8]>,
        digest: &[u8],
        tail: &[u8],
    ) -> Vec<u8> {
        let oid = ObjectIdentifier::new(alg_oid).unwrap().to_der().unwrap();
        let mut alg = oid;
        if let Some(p) = params {
            alg.extend_from_slice(p);
        }
        let alg = tlv(0x30, &alg);
        let imprint = tlv(0x30, &[alg, tlv(0x04, digest)].concat());
        tlv(
            0x30,
            &[vec![2, 1, version], imprint, tail.to_vec()].concat(),
        )
    }

    fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
        assert!(content.len() < 128);
        [vec![tag, content.len() as u8], content.to_vec()].concat()
    }

    #[test]
    fn der_refusals() {
        let d32 = digest(HashAlgorithm::Sha256);
        let sha256 = "2.16.840.1.101.3.4.2.1";
        let null: &[u8] = &[5, 0];
        let ok = req_der(1, sha256, Some(null), &d32, &[]);
        assert!(TimestampRequest::from_der(&ok).is_ok());
        // Absent parameters are fine too.
        assert!(TimestampRequest::from_der(&req_der(1, sha256, None, &d32, &[])).is_ok());

        let extension = tlv(
            0xa0,
            &tlv(0x30, &[vec![6, 3, 0x2a, 3, 4], tlv(0x04, &[1])].concat()),
        );
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (vec![], "malformed"),
            (vec![0x30, 0x00], "malformed"),
            ([ok.clone(), vec![0]].concat(), "malformed"),
            (
                req_der(2, sha256, Some(null), &d32, &[]),
                "unsupported_version",
            ),
            (
                req_der(1, "1.3.14.3.2.26", Some(null), &d32[..20], &[]),
                "weak_hash_algorithm",
            ),
            (
                req_der(1, "1.2.840.113549.2.5", Some(null), &d32[..16], &[]),
                "unsupported_hash_algorithm",
            ),
            (
                req_der(1, sha256, Some(&[2, 1, 0]), &d32, &[]),
                "unsupported_hash_algorithm",
            ),
            (
                req_der(1, sha256, Some(null), &d32[..31], &[]),
                "digest_length",
            ),
            (req_der(1, sha256, Some(null), &[], &[]), "digest_length"),
            (
                req_der(1, sha256, Some(null), &d32, &extension),
                "unaccepted_extension",
            ),
            // A non-minimal nonce encoding.
            (
                req_der(1, sha256, Some(null), &d32, &[2, 2, 0, 1]),
                "malformed",
            ),
            // Indefinite length (BER).
            (
                [vec![0x30, 0x80], ok[2..].to_vec(), vec![0, 0]].concat(),
                "malformed",
            ),
        ];
        for (der, reason) in cases {
            let err = TimestampRequest::from_der(&der).unwrap_err();
            assert_eq!(err.reason(), reason, "{}: {err}", hex::encode(&der));
        }
        let big = vec![0u8; MAX_REQUEST_BYTES + 1];
        assert_eq!(
            TimestampRequest::from_der(&big).unwrap_err().reason(),
            "too_large"
        );
        assert_eq!(
            TimestampRequest::from_json(&big).unwrap_err().reason(),
            "too_large"
        );
    }

    #[test]
    fn der_explicit_cert_req_false_and_negative_nonce() {
        let d32 = digest(HashAlgorithm::Sha256);
        // nonce -2, certReq FALSE encoded explicitly (BER-ish but Go accepts it; so do we).
        let der = req_der(
            1,
            "2.16.840.1.101.3.4.2.1",
            Some(&[5, 0]),
            &d32,
            &[2, 1, 0xfe, 1, 1, 0],
        );
        let req = TimestampRequest::from_der(&der).unwrap();
        assert!(!req.cert_req());
        assert_eq!(req.nonce().unwrap().as_twos_complement(), [0xfe]);
    }
}
