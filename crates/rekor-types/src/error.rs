//! Why a proposed entry was refused.
//!
//! Every variant is a client error: a service maps all of them to HTTP 400 with the `Display`
//! text as the `message` of the [`ErrorBody`](crate::ErrorBody). Fields name the JSON path of
//! the offending member (for example `spec.signature.publicKey.content`).

use thiserror::Error;

use crate::entry::EntryKind;
use crate::pem::PemError;

/// A proposed entry that the log refuses to accept.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum EntryError {
    /// The request body is larger than [`EntryPolicy::max_entry_bytes`](crate::EntryPolicy).
    #[error("proposed entry is {size} bytes, the limit is {limit} bytes")]
    TooLarge {
        /// Size of the body.
        size: usize,
        /// The configured limit.
        limit: usize,
    },
    /// The body is not JSON.
    #[error("proposed entry is not valid JSON: {reason}")]
    InvalidJson {
        /// The parser's description (line and column included).
        reason: String,
    },
    /// A member has the wrong JSON type.
    #[error("{field} must be {expected}")]
    WrongType {
        /// JSON path of the member.
        field: String,
        /// What it must be ("an object", "a string", ...).
        expected: &'static str,
    },
    /// A required member is absent (or `null`).
    #[error("{field} is required")]
    MissingField {
        /// JSON path of the member.
        field: String,
    },
    /// A required string or list is present but empty.
    #[error("{field} must not be empty")]
    EmptyField {
        /// JSON path of the member.
        field: String,
    },
    /// A top-level member other than `apiVersion`, `kind` and `spec`.
    #[error("unexpected member {field} in proposed entry")]
    UnexpectedField {
        /// JSON path of the member.
        field: String,
    },
    /// `kind` names no Rekor entry type.
    #[error("unknown entry kind {kind:?}")]
    UnknownKind {
        /// The kind given.
        kind: String,
    },
    /// `kind` is a Rekor entry type that this log does not implement.
    #[error(
        "entry kind {kind:?} is not supported by this log (supported: hashedrekord, dsse, intoto, rekord)"
    )]
    UnsupportedKind {
        /// The kind given.
        kind: String,
    },
    /// `kind` is implemented but switched off by the [`EntryPolicy`](crate::EntryPolicy).
    #[error("entry kind {kind} is not accepted by this log")]
    KindDisabled {
        /// The kind.
        kind: EntryKind,
    },
    /// `apiVersion` is not one this log implements for the kind.
    #[error("apiVersion {api_version:?} is not supported for kind {kind} (supported: {})", supported.join(", "))]
    UnsupportedApiVersion {
        /// The kind.
        kind: EntryKind,
        /// The version given.
        api_version: String,
        /// The versions implemented for this kind.
        supported: &'static [&'static str],
    },
    /// A member that must be base64 (RFC 4648 §4, padded) is not.
    #[error("{field} is not valid base64")]
    InvalidBase64 {
        /// JSON path of the member.
        field: String,
    },
    /// A member that must be hexadecimal is not.
    #[error("{field} is not valid hexadecimal")]
    InvalidHex {
        /// JSON path of the member.
        field: String,
    },
    /// A string member has a value outside its allowed set.
    #[error("{field} must be one of {allowed:?}, got {value:?}")]
    InvalidValue {
        /// JSON path of the member.
        field: String,
        /// The value given.
        value: String,
        /// The allowed values.
        allowed: &'static [&'static str],
    },
    /// A digest whose hex length does not fit its algorithm.
    #[error("{field} must be {expected} hex characters for {algorithm}, got {actual}")]
    DigestLength {
        /// JSON path of the member.
        field: String,
        /// The algorithm named next to it.
        algorithm: String,
        /// Required number of hex characters.
        expected: usize,
        /// Number given.
        actual: usize,
    },
    /// A DSSE proposal carries members that only the server computes.
    #[error(
        "{field} is computed by the log and must not be proposed; send only spec.proposedContent"
    )]
    ServerComputedField {
        /// JSON path of the member.
        field: String,
    },
    /// A `rekord` signature format (`pgp`, `minisign`, `ssh`, ...) that this log does not
    /// implement; only `x509` is.
    #[error("{field}: signature format {format:?} is not supported by this log (supported: x509)")]
    UnsupportedSignatureFormat {
        /// JSON path of the member.
        field: String,
        /// The format given.
        format: String,
    },
    /// A `url` member: the log does not fetch external content.
    #[error("{field} is not supported: this log does not fetch content; send it inline as content")]
    UrlNotSupported {
        /// JSON path of the member.
        field: String,
    },
    /// A digest given in the entry differs from the digest of the content sent with it.
    #[error("{field} is {given}, but the content's digest is {computed}")]
    DigestMismatch {
        /// JSON path of the given digest.
        field: String,
        /// The digest given.
        given: String,
        /// The digest computed from the content (lowercase hex).
        computed: String,
    },
    /// A public key or certificate is not usable PEM.
    #[error("{field}: {source}")]
    Pem {
        /// JSON path of the member.
        field: String,
        /// What is wrong with the PEM.
        #[source]
        source: PemError,
    },
    /// The certificate does not parse as X.509.
    #[error("{field}: invalid X.509 certificate: {reason}")]
    InvalidCertificate {
        /// JSON path of the member.
        field: String,
        /// The parser's description.
        reason: String,
    },
    /// The public key (or the certificate's key) does not parse or is not allowed.
    #[error("{field}: invalid public key: {source}")]
    InvalidPublicKey {
        /// JSON path of the member.
        field: String,
        /// The key parser's error.
        #[source]
        source: keys::KeyError,
    },
    /// The key and digest algorithm combination is not in the log's allow-list.
    #[error("{key} keys with {hash} digests are not permitted by this log")]
    AlgorithmNotPermitted {
        /// The key type, e.g. "ECDSA P-256" or "RSA 1024-bit".
        key: String,
        /// The digest algorithm named in the entry.
        hash: String,
    },
    /// The signature does not verify with the given key over the given data.
    #[error("signature in {field} does not verify")]
    SignatureMismatch {
        /// JSON path of the signature.
        field: String,
    },
    /// The DSSE envelope is not a JSON object of the DSSE shape.
    #[error("{field}: invalid DSSE envelope: {reason}")]
    InvalidEnvelope {
        /// JSON path of the envelope.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A verifier (public key) does not verify any signature of the envelope.
    #[error("{field} verifies none of the envelope's signatures")]
    VerifierMatchesNoSignature {
        /// JSON path of the verifier.
        field: String,
    },
    /// Some envelope signatures are not verified by any of the given keys.
    #[error("{count} envelope signature(s) are not verified by any provided key")]
    UnverifiedSignatures {
        /// How many signatures are left unverified.
        count: usize,
    },
}

impl EntryError {
    pub(crate) fn wrong_type(field: impl Into<String>, expected: &'static str) -> Self {
        EntryError::WrongType {
            field: field.into(),
            expected,
        }
    }

    pub(crate) fn missing(field: impl Into<String>) -> Self {
        EntryError::MissingField {
            field: field.into(),
        }
    }
}
