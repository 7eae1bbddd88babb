//! The errors of trust-root loading and bundle verification. Every message is one line, fit
//! for a CLI to print after `verification failed: `.

use thiserror::Error;

/// Why a trusted root could not be turned into a [`Verifier`](crate::Verifier).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TrustError {
    /// A field of the trusted root did not decode (base64, DER, key or time).
    #[error("trusted root: {what}: {reason}")]
    Malformed {
        /// Which entry and field.
        what: String,
        /// What is wrong.
        reason: String,
    },
}

/// Why a bundle did not verify.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum VerifyError {
    // ---- bundle shape ----
    /// The bundle's media type names no known version.
    #[error("unsupported bundle media type {0:?}")]
    UnsupportedMediaType(String),
    /// The bundle is structurally unusable.
    #[error("malformed bundle: {0}")]
    MalformedBundle(String),
    /// The leaf certificate does not parse.
    #[error("malformed signing certificate: {0}")]
    MalformedCertificate(String),
    /// The policy cannot be applied (bad regular expression, or it does not fit the bundle).
    #[error("invalid verification policy: {0}")]
    InvalidPolicy(String),

    // ---- step 1: times ----
    /// More RFC 3161 timestamps than a verifier looks at.
    #[error("the bundle has {count} RFC 3161 timestamps; at most {limit} are accepted")]
    TooManyTimestamps {
        /// How many the bundle has.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The same RFC 3161 timestamp appears twice.
    #[error("RFC 3161 timestamp {index} is a duplicate")]
    DuplicateTimestamp {
        /// Its position.
        index: usize,
    },
    /// An RFC 3161 timestamp failed to verify.
    #[error("RFC 3161 timestamp {index}: {reason}")]
    Timestamp {
        /// Its position in `rfc3161Timestamps`.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A Signed Entry Timestamp does not verify with the log's key.
    #[error("transparency log entry {index}: the signed entry timestamp (SET) does not verify")]
    InvalidSet {
        /// The entry's position.
        index: usize,
    },
    /// Neither an RFC 3161 timestamp nor a SET established when the signature was made.
    #[error(
        "no verified signing time: the bundle has no valid RFC 3161 timestamp and no log entry with a signed entry timestamp"
    )]
    NoVerifiedTime,

    // ---- step 2: certificate ----
    /// The leaf certificate lacks what a Sigstore signing certificate must have.
    #[error("signing certificate profile: {0}")]
    CertificateProfile(String),
    /// The leaf does not chain to a trusted certificate authority at a verified time.
    #[error("the signing certificate does not chain to a trusted CA at {time}: {reason}")]
    UntrustedCertificate {
        /// The verified time (RFC 3339).
        time: String,
        /// Why the best candidate failed.
        reason: String,
    },

    // ---- step 3: SCT ----
    /// The certificate carries no embedded SCT.
    #[error("the signing certificate has no embedded SCT")]
    NoSct,
    /// The certificate carries more than one SCT (Fulcio embeds exactly one; sigstore-python
    /// refuses others).
    #[error("the signing certificate carries {found} SCTs; exactly one is expected")]
    MultipleScts {
        /// How many.
        found: usize,
    },
    /// The SCT list does not parse.
    #[error("the signing certificate's SCT list is malformed: {0}")]
    MalformedSct(String),
    /// An SCT from a trusted CT log does not verify.
    #[error("SCT from CT log {log_id} does not verify: {reason}")]
    InvalidSct {
        /// Hex log ID.
        log_id: String,
        /// Why.
        reason: String,
    },
    /// Too few SCTs from trusted CT logs verified.
    #[error("{verified} SCT(s) from trusted CT logs verified, {required} required")]
    SctThreshold {
        /// How many verified.
        verified: usize,
        /// How many are required.
        required: usize,
    },

    // ---- step 4: transparency log ----
    /// Too few log entries (`verified` counts the bundle's entries; each must verify).
    #[error("the bundle has {verified} transparency log entries; {required} required")]
    TlogThreshold {
        /// How many verified.
        verified: usize,
        /// How many are required.
        required: usize,
    },
    /// Two entries for the same log and index.
    #[error("transparency log entry {index} duplicates an earlier entry")]
    DuplicateTlogEntry {
        /// Its position.
        index: usize,
    },
    /// The entry's log is not in the trusted root.
    #[error("transparency log entry {index}: log {log_id} is not in the trusted root")]
    UnknownLog {
        /// The entry's position.
        index: usize,
        /// Hex log ID.
        log_id: String,
    },
    /// The entry is malformed (body, kind/version, fields).
    #[error("transparency log entry {index}: {reason}")]
    MalformedEntry {
        /// The entry's position.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// The entry lacks the inclusion proof its bundle version requires.
    #[error(
        "transparency log entry {index} has no inclusion proof (required for bundle v0.2 and later)"
    )]
    MissingInclusionProof {
        /// The entry's position.
        index: usize,
    },
    /// A v0.1 bundle's entry lacks the SET.
    #[error(
        "transparency log entry {index} has no signed entry timestamp (required for bundle v0.1)"
    )]
    MissingSet {
        /// The entry's position.
        index: usize,
    },
    /// The inclusion proof does not lead to the checkpoint's root.
    #[error("transparency log entry {index}: invalid inclusion proof: {reason}")]
    InvalidInclusionProof {
        /// The entry's position.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The checkpoint does not verify or does not match the proof.
    #[error("transparency log entry {index}: invalid checkpoint: {reason}")]
    InvalidCheckpoint {
        /// The entry's position.
        index: usize,
        /// Why.
        reason: String,
    },
    /// The log key was not valid when the entry was made.
    #[error("transparency log entry {index}: the log key is not valid at {time}")]
    LogKeyExpired {
        /// The entry's position.
        index: usize,
        /// The time (RFC 3339).
        time: String,
    },

    // ---- step 5: bundle ↔ entry ----
    /// An entry kind this verifier does not check.
    #[error("transparency log entry {index}: unsupported entry kind {kind} {version}")]
    UnsupportedEntryKind {
        /// The entry's position.
        index: usize,
        /// The kind.
        kind: String,
        /// The version.
        version: String,
    },
    /// The log entry describes another signature, key or artifact than the bundle.
    #[error("transparency log entry {index} does not match the bundle: {field} differs")]
    EntryMismatch {
        /// The entry's position.
        index: usize,
        /// What differs.
        field: &'static str,
    },

    // ---- step 6: policy ----
    /// No subject alternative name of the certificate matches the policy.
    #[error("certificate identity mismatch: expected {expected}, certificate has {found:?}")]
    IdentityMismatch {
        /// What the policy asked for.
        expected: String,
        /// The certificate's SANs.
        found: Vec<String>,
    },
    /// The certificate's OIDC issuer is not the expected one.
    #[error("certificate OIDC issuer mismatch: expected {expected:?}, certificate has {found:?}")]
    IssuerMismatch {
        /// What the policy asked for.
        expected: String,
        /// The certificate's issuer, if any.
        found: Option<String>,
    },
    /// The managed key is not the one the policy names.
    #[error("the bundle's log entry was made with another public key than the one given")]
    PublicKeyMismatch,

    // ---- step 7: artifact ----
    /// The artifact's digest is not the bundle's.
    #[error("the artifact's digest does not match the bundle's message digest")]
    ArtifactDigestMismatch,
    /// The signature does not verify over the artifact or envelope.
    #[error("the signature does not verify over the {over} with the signing key")]
    InvalidSignature {
        /// `artifact` or `DSSE envelope`.
        over: &'static str,
    },
    /// The DSSE envelope does not carry exactly one signature.
    #[error("the DSSE envelope has {0} signatures; exactly one is required")]
    DsseSignatureCount(usize),
    /// The in-toto statement does not name the artifact.
    #[error("the artifact's digest is not a subject of the in-toto statement")]
    SubjectMismatch,
    /// The envelope's payload is not an in-toto statement.
    #[error("the DSSE payload is not an in-toto statement: {0}")]
    NotAStatement(String),
}
