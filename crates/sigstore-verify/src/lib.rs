#![doc = include_str!("../README.md")]
//!
//! This crate is pure: no I/O, no clock. Every time it uses comes from the bundle and is
//! verified (RFC 3161 timestamps, Signed Entry Timestamps), so expired public certificates
//! still verify when they were valid at signing time.

mod body;
mod certificate;
mod error;
mod time;
mod timestamp;
mod tlog;
mod trust;

use std::collections::HashSet;

use keys::PublicKey;
use serde_json::Value;
use sha2::Digest as _;
use sigstore_bundle::{
    Bundle, BundleVersion, Content, DsseEnvelope, HashAlgorithm, IN_TOTO_PAYLOAD_TYPE,
    SignerMaterial,
};
use trust_root::TrustedRoot;

pub use error::{TrustError, VerifyError};

use crate::body::{BundleView, SignedRef, SignerRef};
use crate::certificate::Leaf;
use crate::trust::TrustMaterial;

/// Most RFC 3161 timestamps looked at in one bundle (sigstore-python's limit).
pub const MAX_TIMESTAMPS: usize = 32;

/// Most transparency log entries looked at in one bundle.
pub const MAX_TLOG_ENTRIES: usize = 32;

/// What was signed, as the verifier's caller knows it.
#[derive(Debug, Clone, Copy)]
pub enum Artifact<'a> {
    /// The artifact's bytes.
    Bytes(&'a [u8]),
    /// Only the artifact's SHA-256 digest (`sha256:<hex>` on a command line).
    Digest {
        /// The digest.
        sha256: [u8; 32],
    },
}

/// How a certificate's subject alternative name must look.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SanMatcher {
    /// Exactly this rfc822Name, URI or Sigstore username SAN.
    Exact(String),
    /// A regular expression (Rust `regex` syntax) that must match a whole SAN; it is anchored
    /// at both ends by the verifier.
    Regex(String),
}

/// Who must have signed.
#[derive(Debug, Clone)]
pub enum Policy {
    /// A keyless (Fulcio) signature by this identity.
    Identity {
        /// The subject alternative name.
        san: SanMatcher,
        /// The OIDC issuer, exactly (extension 1.3.6.1.4.1.57264.1.8, falling back to .1.1).
        issuer: String,
    },
    /// A managed-key bundle (`verificationMaterial.publicKey`) signed by this key.
    PublicKey(PublicKey),
    /// No identity check. For tests only: it accepts any certificate a trusted CA issued.
    None,
}

impl Policy {
    /// An identity policy with an exact SAN.
    pub fn identity(san: impl Into<String>, issuer: impl Into<String>) -> Policy {
        Policy::Identity {
            san: SanMatcher::Exact(san.into()),
            issuer: issuer.into(),
        }
    }
}

/// Where a verified time came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeSource {
    /// An RFC 3161 timestamp from this authority (its URI in the trusted root).
    Rfc3161 {
        /// The authority's URI.
        authority: String,
    },
    /// A Rekor v1 `integratedTime` covered by a verified SET.
    TransparencyLog {
        /// The log's base URL.
        log: String,
    },
}

/// A time at which the signature is known to have existed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTime {
    /// Unix seconds.
    pub unix: i64,
    /// Who vouches for it.
    pub source: TimeSource,
}

/// What was verified about the signing certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedCertificate {
    /// The DER leaf certificate.
    pub der: Vec<u8>,
    /// Its rfc822Name, URI and Sigstore username SANs.
    pub identities: Vec<String>,
    /// Its OIDC issuer.
    pub issuer: Option<String>,
    /// How many embedded SCTs verified.
    pub verified_scts: usize,
}

/// A verified transparency log entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedTlogEntry {
    /// The log's base URL.
    pub log: String,
    /// The entry's index.
    pub log_index: i64,
    /// `integratedTime` when a SET vouches for it.
    pub integrated_time: Option<i64>,
    /// `kind` and `version` of the body, e.g. `hashedrekord` `0.0.1`.
    pub kind: String,
    /// The body's `apiVersion`.
    pub version: String,
}

/// The result of a successful verification.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedBundle {
    /// The bundle format version.
    pub version: BundleVersion,
    /// Every verified signing time.
    pub times: Vec<VerifiedTime>,
    /// The signing certificate (keyless bundles).
    pub certificate: Option<VerifiedCertificate>,
    /// The verified log entries.
    pub tlog_entries: Vec<VerifiedTlogEntry>,
    /// For DSSE bundles: the payload type and the in-toto statement, if the payload is one.
    pub statement: Option<Value>,
}

/// An offline verifier bound to one trusted root.
#[derive(Debug, Clone)]
pub struct Verifier {
    trust: TrustMaterial,
    tlog_threshold: usize,
    sct_threshold: usize,
}

/// The signing key and what it is bound to.
enum SigningKey<'a> {
    Certificate(Box<Leaf>),
    Managed(&'a PublicKey),
}

impl SigningKey<'_> {
    fn key(&self) -> &PublicKey {
        match self {
            SigningKey::Certificate(leaf) => &leaf.key,
            SigningKey::Managed(key) => key,
        }
    }
}

impl Verifier {
    /// A verifier trusting exactly what `trusted_root` lists. Requires one verified log entry
    /// and one verified SCT.
    pub fn new(trusted_root: &TrustedRoot) -> Result<Verifier, TrustError> {
        Ok(Verifier {
            trust: TrustMaterial::new(trusted_root)?,
            tlog_threshold: 1,
            sct_threshold: 1,
        })
    }

    /// Require `threshold` verified transparency log entries (default 1; 0 disables the log
    /// requirement, as `--insecure-ignore-tlog` does).
    pub fn with_tlog_threshold(mut self, threshold: usize) -> Verifier {
        self.tlog_threshold = threshold;
        self
    }

    /// Require `threshold` verified SCTs (default 1; 0 disables the check, as
    /// `--insecure-ignore-sct` does).
    pub fn with_sct_threshold(mut self, threshold: usize) -> Verifier {
        self.sct_threshold = threshold;
        self
    }

    /// Verify `bundle` over `artifact` for `policy` (PROTOCOL §8 order: times, certificate
    /// chain, SCT, log entries, entry ↔ bundle consistency, identity, signature).
    pub fn verify(
        &self,
        bundle: &Bundle,
        artifact: Artifact<'_>,
        policy: &Policy,
    ) -> Result<VerifiedBundle, VerifyError> {
        self.verify_inner(bundle, Some(artifact), policy)
    }

    /// Verify a DSSE bundle without an artifact: everything [`Verifier::verify`] checks except
    /// that the in-toto statement names a given artifact. The caller must inspect
    /// [`VerifiedBundle::statement`].
    pub fn verify_attestation(
        &self,
        bundle: &Bundle,
        policy: &Policy,
    ) -> Result<VerifiedBundle, VerifyError> {
        if !matches!(bundle.content, Content::DsseEnvelope(_)) {
            return Err(VerifyError::InvalidPolicy(
                "a message-signature bundle can only be verified against its artifact".to_owned(),
            ));
        }
        self.verify_inner(bundle, None, policy)
    }

    fn verify_inner(
        &self,
        bundle: &Bundle,
        artifact: Option<Artifact<'_>>,
        policy: &Policy,
    ) -> Result<VerifiedBundle, VerifyError> {
        let version = bundle
            .version()
            .ok_or_else(|| VerifyError::UnsupportedMediaType(bundle.media_type.clone()))?;
        let material = &bundle.verification_material;

        // Who signed.
        let signer = match (&material.signer, policy) {
            (SignerMaterial::PublicKey { .. }, Policy::PublicKey(key)) => SigningKey::Managed(key),
            (SignerMaterial::PublicKey { hint }, _) => {
                return Err(VerifyError::InvalidPolicy(format!(
                    "the bundle is signed with a managed key (hint {hint:?}); verify it with that public key"
                )));
            }
            (_, Policy::PublicKey(_)) => {
                return Err(VerifyError::InvalidPolicy(
                    "the bundle is signed with a certificate, not a managed key".to_owned(),
                ));
            }
            (SignerMaterial::Certificate(der), _) => {
                SigningKey::Certificate(Box::new(Leaf::parse(der)?))
            }
            (SignerMaterial::X509CertificateChain(chain), _) => {
                let der = chain.first().ok_or_else(|| {
                    VerifyError::MalformedBundle("x509CertificateChain is empty".to_owned())
                })?;
                SigningKey::Certificate(Box::new(Leaf::parse(der)?))
            }
        };

        // What was signed.
        let (signature, signed) = match &bundle.content {
            Content::MessageSignature(m) => {
                let digest = m
                    .message_digest
                    .as_ref()
                    .map(|d| (d.algorithm, d.digest.as_slice()));
                (m.signature.as_slice(), SignedRef::Message(digest))
            }
            Content::DsseEnvelope(e) => match e.signatures.as_slice() {
                [one] => (one.sig.as_slice(), SignedRef::Dsse(e)),
                other => return Err(VerifyError::DsseSignatureCount(other.len())),
            },
        };

        // 1. Times.
        let mut times = Vec::new();
        let stamps: Vec<&[u8]> = bundle.rfc3161_timestamps().collect();
        if stamps.len() > MAX_TIMESTAMPS {
            return Err(VerifyError::TooManyTimestamps {
                count: stamps.len(),
                limit: MAX_TIMESTAMPS,
            });
        }
        for (index, stamp) in stamps.iter().enumerate() {
            if stamps[..index].contains(stamp) {
                return Err(VerifyError::DuplicateTimestamp { index });
            }
            let verified = timestamp::verify(stamp, signature, &self.trust.tsas)
                .map_err(|reason| VerifyError::Timestamp { index, reason })?;
            times.push(VerifiedTime {
                unix: verified.unix,
                source: TimeSource::Rfc3161 {
                    authority: verified.authority,
                },
            });
        }
        let tsa_times: Vec<i64> = times.iter().map(|t| t.unix).collect();
        let entries = &material.tlog_entries;
        if entries.len() > MAX_TLOG_ENTRIES {
            return Err(VerifyError::MalformedBundle(format!(
                "{} transparency log entries (at most {MAX_TLOG_ENTRIES})",
                entries.len()
            )));
        }
        let mut set_verified = vec![false; entries.len()];
        for (index, entry) in entries.iter().enumerate() {
            let Some(promise) = &entry.inclusion_promise else {
                continue;
            };
            let log = tlog::find_log(&self.trust, index, entry)?;
            tlog::verify_set(index, entry, log, &promise.signed_entry_timestamp)?;
            if entry.integrated_time <= 0 {
                // A SET over time 0 says nothing about when (sigstore-js ignores it too).
                continue;
            }
            if !log.valid_for.contains(entry.integrated_time) {
                return Err(VerifyError::LogKeyExpired {
                    index,
                    time: time::format_unix(entry.integrated_time),
                });
            }
            set_verified[index] = true;
            times.push(VerifiedTime {
                unix: entry.integrated_time,
                source: TimeSource::TransparencyLog {
                    log: log.base_url.clone(),
                },
            });
        }
        if times.is_empty() {
            return Err(VerifyError::NoVerifiedTime);
        }

        // 2. and 3. Certificate chain at every verified time, then the SCT.
        let mut verified_certificate = None;
        if let SigningKey::Certificate(leaf) = &signer {
            let mut issuer = None;
            for t in &times {
                let found = leaf.chain_at(&self.trust, t.unix)?;
                issuer.get_or_insert(found);
            }
            let verified_scts = match issuer {
                Some(issuer) if self.sct_threshold > 0 => {
                    leaf.verify_scts(issuer, &self.trust.ctlogs, self.sct_threshold)?
                }
                _ => 0,
            };
            verified_certificate = Some(VerifiedCertificate {
                der: leaf.der.clone(),
                identities: leaf.identities(),
                issuer: leaf.oidc_issuer(),
                verified_scts,
            });
        }

        // 4. and 5. Log entries and their consistency with the bundle.
        if entries.len() < self.tlog_threshold {
            return Err(VerifyError::TlogThreshold {
                verified: entries.len(),
                required: self.tlog_threshold,
            });
        }
        let signer_der: Vec<u8>;
        let signer_ref = match &signer {
            SigningKey::Certificate(leaf) => SignerRef::Certificate(&leaf.der),
            SigningKey::Managed(key) => {
                signer_der = key.spki_der().to_vec();
                SignerRef::Key(&signer_der)
            }
        };
        let view = BundleView {
            signature,
            signer: signer_ref,
            signed,
        };
        let mut seen = HashSet::new();
        let mut verified_entries = Vec::new();
        let mut body_digest = None;
        for (index, entry) in entries.iter().enumerate() {
            if !seen.insert((entry.log_id.key_id.clone(), entry.log_index)) {
                return Err(VerifyError::DuplicateTlogEntry { index });
            }
            let log = tlog::find_log(&self.trust, index, entry)?;
            if entry.inclusion_proof.is_some() || version >= BundleVersion::V0_2 {
                tlog::verify_inclusion(index, entry, log)?;
            }
            if version == BundleVersion::V0_1 && entry.inclusion_promise.is_none() {
                return Err(VerifyError::MissingSet { index });
            }
            if !set_verified[index] {
                // No SET time: the log key must have been valid at the timestamped times.
                if let Some(t) = tsa_times.iter().find(|t| !log.valid_for.contains(**t)) {
                    return Err(VerifyError::LogKeyExpired {
                        index,
                        time: time::format_unix(*t),
                    });
                }
            }
            let facts = body::check(index, entry, &view).map_err(|e| match (e, &signer) {
                (
                    VerifyError::EntryMismatch {
                        field: body::SIGNER_FIELD,
                        ..
                    },
                    SigningKey::Managed(_),
                ) => VerifyError::PublicKeyMismatch,
                (e, _) => e,
            })?;
            if body_digest.is_none() {
                body_digest = facts.message_digest;
            }
            verified_entries.push(VerifiedTlogEntry {
                log: log.base_url.clone(),
                log_index: entry.log_index,
                integrated_time: set_verified[index].then_some(entry.integrated_time),
                kind: entry.kind_version.kind.clone(),
                version: entry.kind_version.version.clone(),
            });
        }

        // 6. Identity.
        if let (SigningKey::Certificate(leaf), Policy::Identity { san, issuer }) = (&signer, policy)
        {
            check_identity(leaf, san, issuer)?;
        }

        // 7. Signature over the artifact or envelope.
        let key = signer.key();
        let statement = match &bundle.content {
            Content::MessageSignature(m) => {
                let digest = m
                    .message_digest
                    .as_ref()
                    .map(|d| (d.algorithm, d.digest.clone()))
                    .or(body_digest);
                let artifact = artifact
                    .ok_or_else(|| VerifyError::InvalidPolicy("no artifact given".to_owned()))?;
                check_message_signature(key, signature, digest, artifact)?;
                None
            }
            Content::DsseEnvelope(envelope) => check_envelope(key, signature, envelope, artifact)?,
        };

        Ok(VerifiedBundle {
            version,
            times,
            certificate: verified_certificate,
            tlog_entries: verified_entries,
            statement,
        })
    }
}

fn check_identity(leaf: &Leaf, san: &SanMatcher, issuer: &str) -> Result<(), VerifyError> {
    let found_issuer = leaf.oidc_issuer();
    if found_issuer.as_deref() != Some(issuer) {
        return Err(VerifyError::IssuerMismatch {
            expected: issuer.to_owned(),
            found: found_issuer,
        });
    }
    let identities = leaf.identities();
    let matched = match san {
        SanMatcher::Exact(want) => identities.iter().any(|s| s == want),
        SanMatcher::Regex(pattern) => {
            let re = regex::Regex::new(&format!("^(?:{pattern})$"))
                .map_err(|e| VerifyError::InvalidPolicy(format!("bad identity regex: {e}")))?;
            identities.iter().any(|s| re.is_match(s))
        }
    };
    if !matched {
        let expected = match san {
            SanMatcher::Exact(s) => format!("{s:?}"),
            SanMatcher::Regex(r) => format!("a SAN matching /{r}/"),
        };
        return Err(VerifyError::IdentityMismatch {
            expected,
            found: identities,
        });
    }
    Ok(())
}

fn keys_hash(alg: HashAlgorithm) -> Option<keys::HashAlgorithm> {
    match alg {
        HashAlgorithm::Sha2_256 => Some(keys::HashAlgorithm::Sha256),
        HashAlgorithm::Sha2_384 => Some(keys::HashAlgorithm::Sha384),
        HashAlgorithm::Sha2_512 => Some(keys::HashAlgorithm::Sha512),
        _ => None,
    }
}

fn digest_with(alg: HashAlgorithm, data: &[u8]) -> Option<Vec<u8>> {
    match alg {
        HashAlgorithm::Sha2_256 => Some(sha2::Sha256::digest(data).to_vec()),
        HashAlgorithm::Sha2_384 => Some(sha2::Sha384::digest(data).to_vec()),
        HashAlgorithm::Sha2_512 => Some(sha2::Sha512::digest(data).to_vec()),
        _ => None,
    }
}

fn check_message_signature(
    key: &PublicKey,
    signature: &[u8],
    recorded: Option<(HashAlgorithm, Vec<u8>)>,
    artifact: Artifact<'_>,
) -> Result<(), VerifyError> {
    let invalid = VerifyError::InvalidSignature { over: "artifact" };
    let (alg, digest) = match artifact {
        Artifact::Bytes(bytes) => {
            let alg = recorded
                .as_ref()
                .map_or(HashAlgorithm::Sha2_256, |(a, _)| *a);
            let computed = digest_with(alg, bytes).ok_or(VerifyError::ArtifactDigestMismatch)?;
            if recorded.as_ref().is_some_and(|(_, d)| *d != computed) {
                return Err(VerifyError::ArtifactDigestMismatch);
            }
            if key.kind() == keys::KeyKind::Ed25519 && key.verify(bytes, signature).is_ok() {
                return Ok(());
            }
            (alg, computed)
        }
        Artifact::Digest { sha256 } => {
            if let Some((alg, d)) = &recorded
                && (*alg != HashAlgorithm::Sha2_256 || d.as_slice() != sha256)
            {
                return Err(VerifyError::ArtifactDigestMismatch);
            }
            (HashAlgorithm::Sha2_256, sha256.to_vec())
        }
    };
    if let Some(raw) = key.ed25519_raw() {
        // hashedrekord with Ed25519 keys: Ed25519ph over a SHA-512 digest.
        return rekor_types::ed25519ph::verify_prehashed(&raw, &digest, signature)
            .map_err(|_| invalid);
    }
    let hash = keys_hash(alg).ok_or(VerifyError::ArtifactDigestMismatch)?;
    key.verify_prehashed(hash, &digest, signature)
        .map_err(|_| invalid)
}

fn check_envelope(
    key: &PublicKey,
    signature: &[u8],
    envelope: &DsseEnvelope,
    artifact: Option<Artifact<'_>>,
) -> Result<Option<Value>, VerifyError> {
    let pae = sigstore_bundle::dsse_pae(&envelope.payload_type, &envelope.payload);
    key.verify(&pae, signature)
        .map_err(|_| VerifyError::InvalidSignature {
            over: "DSSE envelope",
        })?;
    let statement: Option<Value> = if envelope.payload_type == IN_TOTO_PAYLOAD_TYPE {
        serde_json::from_slice(&envelope.payload).ok()
    } else {
        None
    };
    let Some(artifact) = artifact else {
        return Ok(statement);
    };
    let statement = statement.ok_or_else(|| {
        VerifyError::NotAStatement(format!("payload type {:?}", envelope.payload_type))
    })?;
    let wanted: Vec<(&str, String)> = match artifact {
        Artifact::Bytes(bytes) => vec![
            ("sha256", hex::encode(sha2::Sha256::digest(bytes))),
            ("sha512", hex::encode(sha2::Sha512::digest(bytes))),
        ],
        Artifact::Digest { sha256 } => vec![("sha256", hex::encode(sha256))],
    };
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .ok_or_else(|| VerifyError::NotAStatement("no subject list".to_owned()))?;
    let named = subjects.iter().any(|subject| {
        wanted.iter().any(|(alg, hex_digest)| {
            subject
                .get("digest")
                .and_then(|d| d.get(alg))
                .and_then(Value::as_str)
                .is_some_and(|d| d.eq_ignore_ascii_case(hex_digest))
        })
    });
    if !named {
        return Err(VerifyError::SubjectMismatch);
    }
    Ok(Some(statement))
}
