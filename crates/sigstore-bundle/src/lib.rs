#![doc = include_str!("../README.md")]
//!
//! This crate is pure: no I/O. Parse with [`Bundle::from_json`], write with
//! [`Bundle::to_json`]; build what a signer produces with [`Bundle::new_message_signature`],
//! [`Bundle::new_dsse`] and [`TransparencyLogEntry::from_rekor_v1_response`].

mod build;
mod types;
pub mod wire;

pub use build::{dsse_pae, rekor_v1_entry_from_json};
pub use types::{
    Bundle, Checkpoint, Content, DsseEnvelope, DsseSignature, HashAlgorithm, HashOutput,
    InclusionPromise, InclusionProof, KindVersion, LogId, MessageSignature, Rfc3161SignedTimestamp,
    SignerMaterial, TimestampVerificationData, TransparencyLogEntry, VerificationMaterial,
};

/// The v0.3 media type Cairn writes.
pub const MEDIA_TYPE_V0_3: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The older spelling of the v0.3 media type.
pub const MEDIA_TYPE_V0_3_LEGACY: &str = "application/vnd.dev.sigstore.bundle+json;version=0.3";
/// The v0.2 media type.
pub const MEDIA_TYPE_V0_2: &str = "application/vnd.dev.sigstore.bundle+json;version=0.2";
/// The v0.1 media type.
pub const MEDIA_TYPE_V0_1: &str = "application/vnd.dev.sigstore.bundle+json;version=0.1";

/// Largest bundle [`Bundle::from_json`] reads (bundles are a few kilobytes; DSSE payloads can be
/// larger, but not this large).
pub const MAX_BUNDLE_BYTES: usize = 32 * 1024 * 1024;

/// The payload type of an in-toto statement in a DSSE envelope.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// The bundle format version named by the media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BundleVersion {
    /// v0.1: a SET is required, an inclusion proof is optional.
    V0_1,
    /// v0.2: an inclusion proof is required.
    V0_2,
    /// v0.3: the leaf certificate alone (`certificate`) is the usual material.
    V0_3,
}

impl BundleVersion {
    /// The version for a media type, or `None` if the media type is not a known bundle type.
    pub fn from_media_type(media_type: &str) -> Option<Self> {
        match media_type {
            MEDIA_TYPE_V0_1 => Some(BundleVersion::V0_1),
            MEDIA_TYPE_V0_2 => Some(BundleVersion::V0_2),
            MEDIA_TYPE_V0_3 | MEDIA_TYPE_V0_3_LEGACY => Some(BundleVersion::V0_3),
            _ => None,
        }
    }
}

/// Why a bundle or log entry could not be read or built.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BundleError {
    /// Larger than [`MAX_BUNDLE_BYTES`].
    #[error("bundle is {size} bytes, more than the {limit}-byte limit")]
    TooLarge {
        /// The input size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not JSON of the bundle's shape.
    #[error("malformed bundle: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A media type that names no known bundle version.
    #[error("unsupported bundle media type {0:?}")]
    UnsupportedMediaType(String),
    /// A Rekor response that cannot become a bundle log entry.
    #[error("malformed Rekor log entry: {reason}")]
    MalformedLogEntry {
        /// What is wrong.
        reason: String,
    },
}

impl Bundle {
    /// Parse a bundle and check its media type. Unknown JSON members are ignored.
    pub fn from_json(json: &[u8]) -> Result<Self, BundleError> {
        if json.len() > MAX_BUNDLE_BYTES {
            return Err(BundleError::TooLarge {
                size: json.len(),
                limit: MAX_BUNDLE_BYTES,
            });
        }
        let bundle: Bundle = serde_json::from_slice(json)?;
        if bundle.version().is_none() {
            return Err(BundleError::UnsupportedMediaType(bundle.media_type));
        }
        Ok(bundle)
    }

    /// The bundle as protojson (compact, camelCase, standard base64, int64 as strings).
    pub fn to_json(&self) -> String {
        // Serializing these types cannot fail: every map key is a string and no custom
        // serializer returns an error.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The bundle as indented protojson.
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The format version, or `None` for an unknown media type.
    pub fn version(&self) -> Option<BundleVersion> {
        BundleVersion::from_media_type(&self.media_type)
    }

    /// The DER leaf certificate, when the material is a certificate or a chain.
    pub fn signing_certificate(&self) -> Option<&[u8]> {
        match &self.verification_material.signer {
            SignerMaterial::Certificate(der) => Some(der),
            SignerMaterial::X509CertificateChain(chain) => chain.first().map(Vec::as_slice),
            SignerMaterial::PublicKey { .. } => None,
        }
    }

    /// The signature bytes that timestamps cover: the message signature, or the DSSE envelope's
    /// first signature.
    pub fn signature_bytes(&self) -> Option<&[u8]> {
        match &self.content {
            Content::MessageSignature(m) => Some(&m.signature),
            Content::DsseEnvelope(e) => e.signatures.first().map(|s| s.sig.as_slice()),
        }
    }

    /// The DER `TimeStampResp` messages in `timestampVerificationData`.
    pub fn rfc3161_timestamps(&self) -> impl Iterator<Item = &[u8]> {
        self.verification_material
            .timestamp_verification_data
            .iter()
            .flat_map(|t| t.rfc3161_timestamps.iter())
            .map(|t| t.signed_timestamp.as_slice())
    }
}
