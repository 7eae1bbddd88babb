//! The bundle messages of `sigstore_bundle.proto`, `sigstore_rekor.proto` and
//! `sigstore_common.proto` as protojson (camelCase names; `snake_case` names are read too).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::wire;

/// `dev.sigstore.bundle.v1.Bundle`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bundle {
    /// One of the `application/vnd.dev.sigstore.bundle…` media types (see [`crate::BundleVersion`]).
    pub media_type: String,
    /// Certificate or key, log entries and timestamps.
    pub verification_material: VerificationMaterial,
    /// What was signed: a message signature or a DSSE envelope.
    pub content: Content,
}

/// The `content` oneof of a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// A signature over an artifact (`messageSignature`).
    MessageSignature(MessageSignature),
    /// A DSSE envelope (`dsseEnvelope`), usually an in-toto statement.
    DsseEnvelope(DsseEnvelope),
}

/// `VerificationMaterial`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerificationMaterial {
    /// The signing key or certificate (the `content` oneof).
    pub signer: SignerMaterial,
    /// Transparency log entries.
    pub tlog_entries: Vec<TransparencyLogEntry>,
    /// RFC 3161 timestamps, if any.
    pub timestamp_verification_data: Option<TimestampVerificationData>,
}

/// The `VerificationMaterial.content` oneof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignerMaterial {
    /// `certificate`: the DER leaf certificate (v0.3 bundles).
    Certificate(Vec<u8>),
    /// `x509CertificateChain`: DER certificates, leaf first, without the root (v0.1/v0.2).
    X509CertificateChain(Vec<Vec<u8>>),
    /// `publicKey`: a key known to the verifier out of band, with an optional hint.
    PublicKey {
        /// `hint` (may be empty).
        hint: String,
    },
}

/// `TimestampVerificationData`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TimestampVerificationData {
    /// DER `TimeStampResp` messages.
    #[serde(default, alias = "rfc3161_timestamps")]
    pub rfc3161_timestamps: Vec<Rfc3161SignedTimestamp>,
}

/// `RFC3161SignedTimestamp`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Rfc3161SignedTimestamp {
    /// The DER `TimeStampResp` (status plus token).
    #[serde(with = "wire::bytes", default, alias = "signed_timestamp")]
    pub signed_timestamp: Vec<u8>,
}

/// `HashAlgorithm` from `sigstore_common.proto`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HashAlgorithm {
    /// `HASH_ALGORITHM_UNSPECIFIED` (0).
    Unspecified,
    /// `SHA2_256` (1).
    Sha2_256,
    /// `SHA2_384` (2).
    Sha2_384,
    /// `SHA2_512` (3).
    Sha2_512,
    /// `SHA3_256` (4).
    Sha3_256,
    /// `SHA3_384` (5).
    Sha3_384,
}

impl HashAlgorithm {
    /// The protobuf enum name.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Unspecified => "HASH_ALGORITHM_UNSPECIFIED",
            HashAlgorithm::Sha2_256 => "SHA2_256",
            HashAlgorithm::Sha2_384 => "SHA2_384",
            HashAlgorithm::Sha2_512 => "SHA2_512",
            HashAlgorithm::Sha3_256 => "SHA3_256",
            HashAlgorithm::Sha3_384 => "SHA3_384",
        }
    }

    /// The protobuf enum number.
    pub fn number(self) -> i64 {
        match self {
            HashAlgorithm::Unspecified => 0,
            HashAlgorithm::Sha2_256 => 1,
            HashAlgorithm::Sha2_384 => 2,
            HashAlgorithm::Sha2_512 => 3,
            HashAlgorithm::Sha3_256 => 4,
            HashAlgorithm::Sha3_384 => 5,
        }
    }

    const ALL: [HashAlgorithm; 6] = [
        HashAlgorithm::Unspecified,
        HashAlgorithm::Sha2_256,
        HashAlgorithm::Sha2_384,
        HashAlgorithm::Sha2_512,
        HashAlgorithm::Sha3_256,
        HashAlgorithm::Sha3_384,
    ];

    /// Look up by protobuf name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.name() == name)
    }

    /// Look up by protobuf number.
    pub fn from_number(n: i64) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.number() == n)
    }
}

impl Serialize for HashAlgorithm {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for HashAlgorithm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => HashAlgorithm::from_name(&s)
                .ok_or_else(|| D::Error::custom(format!("unknown hash algorithm {s:?}"))),
            serde_json::Value::Number(n) => n
                .as_i64()
                .and_then(HashAlgorithm::from_number)
                .ok_or_else(|| D::Error::custom(format!("unknown hash algorithm {n}"))),
            serde_json::Value::Null => Ok(HashAlgorithm::Unspecified),
            _ => Err(D::Error::custom(
                "hash algorithm must be a name or a number",
            )),
        }
    }
}

/// `HashOutput`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HashOutput {
    /// The hash algorithm.
    #[serde(default = "unspecified")]
    pub algorithm: HashAlgorithm,
    /// The raw digest.
    #[serde(with = "wire::bytes", default)]
    pub digest: Vec<u8>,
}

fn unspecified() -> HashAlgorithm {
    HashAlgorithm::Unspecified
}

/// `MessageSignature`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageSignature {
    /// The artifact's digest (optional in the proto; set by every client).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "message_digest"
    )]
    pub message_digest: Option<HashOutput>,
    /// The raw signature (ASN.1 DER for ECDSA).
    #[serde(with = "wire::bytes", default)]
    pub signature: Vec<u8>,
}

/// `io.intoto.Envelope` (DSSE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DsseEnvelope {
    /// The raw payload (base64 in JSON).
    #[serde(with = "wire::bytes", default)]
    pub payload: Vec<u8>,
    /// The payload type, e.g. `application/vnd.in-toto+json`.
    #[serde(default, alias = "payload_type")]
    pub payload_type: String,
    /// The signatures (a bundle carries exactly one).
    #[serde(default)]
    pub signatures: Vec<DsseSignature>,
}

/// `io.intoto.Signature`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DsseSignature {
    /// The raw signature over the PAE (base64 in JSON).
    #[serde(with = "wire::bytes", default)]
    pub sig: Vec<u8>,
    /// Optional key ID; omitted when empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub keyid: String,
}

/// `dev.sigstore.rekor.v1.TransparencyLogEntry`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransparencyLogEntry {
    /// The entry's (virtual, cross-shard) index.
    #[serde(with = "wire::int64", default, alias = "log_index")]
    pub log_index: i64,
    /// The log's ID.
    #[serde(default, alias = "log_id")]
    pub log_id: LogId,
    /// The kind and version of the entry body.
    #[serde(default, alias = "kind_version")]
    pub kind_version: KindVersion,
    /// Unix seconds of integration (Rekor v1; 0 and omitted for Rekor v2).
    #[serde(
        with = "wire::int64",
        default,
        skip_serializing_if = "wire::is_zero",
        alias = "integrated_time"
    )]
    pub integrated_time: i64,
    /// The Signed Entry Timestamp (Rekor v1).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "inclusion_promise"
    )]
    pub inclusion_promise: Option<InclusionPromise>,
    /// Inclusion proof with a signed checkpoint (required in v0.2+ bundles).
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "inclusion_proof"
    )]
    pub inclusion_proof: Option<InclusionProof>,
    /// The canonical entry body: the Merkle leaf value.
    #[serde(
        with = "wire::bytes",
        default,
        skip_serializing_if = "wire::is_empty",
        alias = "canonicalized_body"
    )]
    pub canonicalized_body: Vec<u8>,
}

/// `LogId`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogId {
    /// The raw key ID (32 bytes: SHA-256 of the SPKI for Rekor v1).
    #[serde(with = "wire::bytes", default, alias = "key_id")]
    pub key_id: Vec<u8>,
}

/// `KindVersion`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KindVersion {
    /// e.g. `hashedrekord`.
    #[serde(default)]
    pub kind: String,
    /// e.g. `0.0.1`.
    #[serde(default)]
    pub version: String,
}

/// `InclusionPromise`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionPromise {
    /// The SET: the log's signature over the canonical `{body, integratedTime, logID, logIndex}`.
    #[serde(with = "wire::bytes", default, alias = "signed_entry_timestamp")]
    pub signed_entry_timestamp: Vec<u8>,
}

/// `InclusionProof`. Every member is always written (sigstore-python rejects a proof without
/// `logIndex` or `hashes`, which protojson would omit when zero or empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InclusionProof {
    /// The entry's index within its shard (tree).
    #[serde(with = "wire::int64", default, alias = "log_index")]
    pub log_index: i64,
    /// The raw root hash.
    #[serde(with = "wire::bytes", default, alias = "root_hash")]
    pub root_hash: Vec<u8>,
    /// The tree size the proof is for.
    #[serde(with = "wire::int64", default, alias = "tree_size")]
    pub tree_size: i64,
    /// Raw sibling hashes, leaf to root.
    #[serde(with = "wire::bytes_list", default)]
    pub hashes: Vec<Vec<u8>>,
    /// The signed checkpoint for the root.
    #[serde(default)]
    pub checkpoint: Checkpoint,
}

/// `Checkpoint`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The signed note text.
    #[serde(default)]
    pub envelope: String,
}

// ---- Bundle and VerificationMaterial: the oneofs live at the message's top level. ----

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct BundleWire {
    #[serde(default, alias = "media_type")]
    media_type: String,
    #[serde(default, alias = "verification_material")]
    verification_material: Option<VerificationMaterialWire>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "message_signature"
    )]
    message_signature: Option<MessageSignature>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "dsse_envelope"
    )]
    dsse_envelope: Option<DsseEnvelope>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerificationMaterialWire {
    #[serde(default, skip_serializing_if = "Option::is_none", alias = "public_key")]
    public_key: Option<PublicKeyIdentifierWire>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "x509_certificate_chain"
    )]
    x509_certificate_chain: Option<CertificateChainWire>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    certificate: Option<RawCertificateWire>,
    #[serde(default, alias = "tlog_entries")]
    tlog_entries: Option<Vec<TransparencyLogEntry>>,
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        alias = "timestamp_verification_data"
    )]
    timestamp_verification_data: Option<TimestampVerificationData>,
}

#[derive(Serialize, Deserialize)]
struct PublicKeyIdentifierWire {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    hint: String,
}

#[derive(Serialize, Deserialize)]
struct CertificateChainWire {
    #[serde(default)]
    certificates: Vec<RawCertificateWire>,
}

#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCertificateWire {
    #[serde(with = "wire::bytes", default, alias = "raw_bytes")]
    raw_bytes: Vec<u8>,
}

impl Serialize for Bundle {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let vm = &self.verification_material;
        let mut wire_vm = VerificationMaterialWire {
            public_key: None,
            x509_certificate_chain: None,
            certificate: None,
            tlog_entries: Some(vm.tlog_entries.clone()),
            timestamp_verification_data: vm.timestamp_verification_data.clone(),
        };
        match &vm.signer {
            SignerMaterial::Certificate(der) => {
                wire_vm.certificate = Some(RawCertificateWire {
                    raw_bytes: der.clone(),
                });
            }
            SignerMaterial::X509CertificateChain(chain) => {
                wire_vm.x509_certificate_chain = Some(CertificateChainWire {
                    certificates: chain
                        .iter()
                        .map(|der| RawCertificateWire {
                            raw_bytes: der.clone(),
                        })
                        .collect(),
                });
            }
            SignerMaterial::PublicKey { hint } => {
                wire_vm.public_key = Some(PublicKeyIdentifierWire { hint: hint.clone() });
            }
        }
        let (message_signature, dsse_envelope) = match &self.content {
            Content::MessageSignature(m) => (Some(m.clone()), None),
            Content::DsseEnvelope(e) => (None, Some(e.clone())),
        };
        BundleWire {
            media_type: self.media_type.clone(),
            verification_material: Some(wire_vm),
            message_signature,
            dsse_envelope,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for Bundle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let wire = BundleWire::deserialize(d)?;
        let content = match (wire.message_signature, wire.dsse_envelope) {
            (Some(m), None) => Content::MessageSignature(m),
            (None, Some(e)) => Content::DsseEnvelope(e),
            (Some(_), Some(_)) => {
                return Err(D::Error::custom(
                    "bundle has both messageSignature and dsseEnvelope",
                ));
            }
            (None, None) => {
                return Err(D::Error::custom(
                    "bundle has neither messageSignature nor dsseEnvelope",
                ));
            }
        };
        let vm = wire
            .verification_material
            .ok_or_else(|| D::Error::custom("bundle has no verificationMaterial"))?;
        let signer = match (vm.public_key, vm.x509_certificate_chain, vm.certificate) {
            (Some(pk), None, None) => SignerMaterial::PublicKey { hint: pk.hint },
            (None, Some(chain), None) => SignerMaterial::X509CertificateChain(
                chain
                    .certificates
                    .into_iter()
                    .map(|c| c.raw_bytes)
                    .collect(),
            ),
            (None, None, Some(cert)) => SignerMaterial::Certificate(cert.raw_bytes),
            (None, None, None) => {
                return Err(D::Error::custom(
                    "verificationMaterial has no certificate, x509CertificateChain or publicKey",
                ));
            }
            _ => {
                return Err(D::Error::custom(
                    "verificationMaterial has more than one of certificate, x509CertificateChain, publicKey",
                ));
            }
        };
        Ok(Bundle {
            media_type: wire.media_type,
            verification_material: VerificationMaterial {
                signer,
                tlog_entries: vm.tlog_entries.unwrap_or_default(),
                timestamp_verification_data: vm.timestamp_verification_data,
            },
            content,
        })
    }
}
