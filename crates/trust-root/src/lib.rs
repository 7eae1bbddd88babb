#![doc = include_str!("../README.md")]

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};

/// Media type of `trusted_root.json` that every client accepts.
pub const TRUSTED_ROOT_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.trustedroot+json;version=0.1";
/// Media type of `signing_config.v0.2.json`.
pub const SIGNING_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.signingconfig.v0.2+json";
/// Media type of a ClientTrustConfig (`sigstore --trust-config`).
pub const CLIENT_TRUST_CONFIG_MEDIA_TYPE: &str =
    "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json";

/// Why a trust file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TrustFileError {
    /// Not JSON of the expected shape.
    #[error("malformed trust file: {0}")]
    Malformed(#[from] serde_json::Error),
    /// A media type this crate does not understand.
    #[error("unsupported media type {0:?}")]
    UnsupportedMediaType(String),
    /// A base64 field did not decode.
    #[error("bad base64 in {field}")]
    BadBase64 {
        /// Which field.
        field: &'static str,
    },
}

/// `TrustedRoot`: the keys and certificates a verifier trusts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TrustedRoot {
    /// Always [`TRUSTED_ROOT_MEDIA_TYPE`] when written by Cairn.
    pub media_type: String,
    /// Transparency logs (Rekor).
    #[serde(default)]
    pub tlogs: Vec<TransparencyLogInstance>,
    /// Certificate authorities (Fulcio).
    #[serde(default)]
    pub certificate_authorities: Vec<CertificateAuthority>,
    /// Certificate Transparency logs.
    #[serde(default)]
    pub ctlogs: Vec<TransparencyLogInstance>,
    /// RFC 3161 timestamp authorities.
    #[serde(default)]
    pub timestamp_authorities: Vec<CertificateAuthority>,
}

/// A transparency log (Rekor or CT) and its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyLogInstance {
    /// Base URL of the log.
    pub base_url: String,
    /// Always `SHA2_256`.
    pub hash_algorithm: String,
    /// The log's public key.
    pub public_key: PublicKeyInfo,
    /// The log ID.
    pub log_id: LogId,
    /// Rekor v2: the checkpoint key ID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint_key_id: Option<LogId>,
    /// Who runs the log.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

/// A public key with its algorithm and validity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PublicKeyInfo {
    /// Base64 of the DER SubjectPublicKeyInfo.
    pub raw_bytes: String,
    /// For example `PKIX_ECDSA_P256_SHA_256`.
    pub key_details: String,
    /// When the key may be used.
    pub valid_for: TimeRange,
}

/// A log ID (base64 of 32 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    /// Base64 of the key ID.
    pub key_id: String,
}

/// An inclusive validity window; times are RFC 3339.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimeRange {
    /// Start (required by clients).
    pub start: String,
    /// End, when the key or CA has been retired.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

/// A certificate authority or timestamp authority and its chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateAuthority {
    /// Both fields are required by sigstore-python.
    pub subject: DistinguishedName,
    /// Service URL.
    pub uri: String,
    /// CA: issuing certificate first, root last. TSA: signing leaf first, root last.
    pub cert_chain: CertificateChain,
    /// When the authority's certificates may be trusted.
    pub valid_for: TimeRange,
    /// Who runs the authority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
}

/// Organization and common name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DistinguishedName {
    /// O.
    pub organization: String,
    /// CN.
    pub common_name: String,
}

/// A list of DER certificates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateChain {
    /// The certificates, each `{rawBytes}`.
    pub certificates: Vec<RawCertificate>,
}

/// One DER certificate, base64.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawCertificate {
    /// Base64 of the DER certificate.
    pub raw_bytes: String,
}

impl CertificateChain {
    /// A chain from DER certificates, in the given order.
    pub fn from_der<'a>(certs: impl IntoIterator<Item = &'a [u8]>) -> Self {
        CertificateChain {
            certificates: certs
                .into_iter()
                .map(|der| RawCertificate {
                    raw_bytes: STANDARD.encode(der),
                })
                .collect(),
        }
    }

    /// The DER certificates.
    pub fn to_der(&self) -> Result<Vec<Vec<u8>>, TrustFileError> {
        self.certificates
            .iter()
            .map(|c| {
                STANDARD
                    .decode(&c.raw_bytes)
                    .map_err(|_| TrustFileError::BadBase64 {
                        field: "certChain.certificates.rawBytes",
                    })
            })
            .collect()
    }
}

impl TransparencyLogInstance {
    /// A Rekor v1 or CT log: the log ID is SHA-256 of the SPKI.
    pub fn for_spki(
        base_url: &str,
        spki_der: &[u8],
        spki_sha256: [u8; 32],
        key_details: &str,
        start_unix: i64,
    ) -> Self {
        TransparencyLogInstance {
            base_url: base_url.to_owned(),
            hash_algorithm: "SHA2_256".to_owned(),
            public_key: PublicKeyInfo {
                raw_bytes: STANDARD.encode(spki_der),
                key_details: key_details.to_owned(),
                valid_for: TimeRange::starting(start_unix),
            },
            log_id: LogId {
                key_id: STANDARD.encode(spki_sha256),
            },
            checkpoint_key_id: None,
            operator: None,
        }
    }

    /// The log ID bytes.
    pub fn log_id_bytes(&self) -> Result<Vec<u8>, TrustFileError> {
        STANDARD
            .decode(&self.log_id.key_id)
            .map_err(|_| TrustFileError::BadBase64 {
                field: "logId.keyId",
            })
    }

    /// The public key's DER SPKI.
    pub fn spki_der(&self) -> Result<Vec<u8>, TrustFileError> {
        STANDARD
            .decode(&self.public_key.raw_bytes)
            .map_err(|_| TrustFileError::BadBase64 {
                field: "publicKey.rawBytes",
            })
    }
}

impl TimeRange {
    /// Open-ended, from `start_unix`.
    pub fn starting(start_unix: i64) -> Self {
        TimeRange {
            start: rfc3339(start_unix),
            end: None,
        }
    }
}

/// Unix seconds as RFC 3339 UTC with whole seconds (`2026-11-27T09:38:22Z`). Times before 1970
/// or after 9999 are clamped to those bounds.
pub fn rfc3339(unix: i64) -> String {
    let secs = u64::try_from(unix).unwrap_or(0);
    match der::DateTime::from_unix_duration(std::time::Duration::from_secs(secs)) {
        Ok(t) => t.to_string(),
        Err(_) => "9999-12-31T23:59:59Z".to_owned(),
    }
}

/// `SigningConfig` v0.2: where clients sign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SigningConfig {
    /// Always [`SIGNING_CONFIG_MEDIA_TYPE`].
    pub media_type: String,
    /// Fulcio base URLs.
    #[serde(default)]
    pub ca_urls: Vec<Service>,
    /// OIDC issuers.
    #[serde(default)]
    pub oidc_urls: Vec<Service>,
    /// Rekor base URLs.
    #[serde(default)]
    pub rekor_tlog_urls: Vec<Service>,
    /// How many Rekor logs to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rekor_tlog_config: Option<ServiceSelector>,
    /// Full TSA URLs.
    #[serde(default)]
    pub tsa_urls: Vec<Service>,
    /// How many TSAs to use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tsa_config: Option<ServiceSelector>,
}

/// One service endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// URL (a base URL for Fulcio and Rekor, the full URL for a TSA).
    pub url: String,
    /// API major version (Fulcio 1, Rekor 1 or 2, TSA 1, OIDC 1).
    pub major_api_version: u32,
    /// When the service may be used.
    pub valid_for: TimeRange,
    /// Who runs it.
    pub operator: String,
}

/// `ServiceConfiguration`: `ANY`, `ALL` or `EXACT` (+ `count`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceSelector {
    /// The selector.
    pub selector: String,
    /// With `EXACT`: how many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u32>,
}

impl ServiceSelector {
    /// `{"selector":"ANY"}`.
    pub fn any() -> Self {
        ServiceSelector {
            selector: "ANY".to_owned(),
            count: None,
        }
    }
}

/// `ClientTrustConfig`: a trusted root and a signing config in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientTrustConfig {
    /// Always [`CLIENT_TRUST_CONFIG_MEDIA_TYPE`].
    pub media_type: String,
    /// What to trust.
    pub trusted_root: TrustedRoot,
    /// Where to sign.
    pub signing_config: SigningConfig,
}

impl TrustedRoot {
    /// Parse and check the media type (v0.1 and v0.2 strings are both read).
    pub fn from_json(json: &[u8]) -> Result<Self, TrustFileError> {
        let root: TrustedRoot = serde_json::from_slice(json)?;
        match root.media_type.as_str() {
            TRUSTED_ROOT_MEDIA_TYPE | "application/vnd.dev.sigstore.trustedroot.v0.2+json" => {
                Ok(root)
            }
            other => Err(TrustFileError::UnsupportedMediaType(other.to_owned())),
        }
    }
}

impl ClientTrustConfig {
    /// Parse and check the media types.
    pub fn from_json(json: &[u8]) -> Result<Self, TrustFileError> {
        let config: ClientTrustConfig = serde_json::from_slice(json)?;
        if config.media_type != CLIENT_TRUST_CONFIG_MEDIA_TYPE {
            return Err(TrustFileError::UnsupportedMediaType(config.media_type));
        }
        if config.trusted_root.media_type != TRUSTED_ROOT_MEDIA_TYPE {
            return Err(TrustFileError::UnsupportedMediaType(
                config.trusted_root.media_type,
            ));
        }
        Ok(config)
    }
}
