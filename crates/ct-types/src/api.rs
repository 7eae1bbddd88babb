//! The JSON bodies of the RFC 6962 API (§4), with the field names certificate-transparency-go
//! uses. Binary fields are standard, padded base64.

use serde::{Deserialize, Serialize};

use crate::sct::{DigitallySigned, SCT_VERSION_V1, SignedCertificateTimestamp, SignedTreeHead};
use crate::tls::{DecodeError, EncodeError};

/// Why a JSON body could not be turned into a CT structure.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiDecodeError {
    /// The SCT version is not v1.
    #[error("unsupported sct_version {0}")]
    SctVersion(u8),
    /// A hash or log ID is not 32 bytes.
    #[error("{what} must be 32 bytes, got {len}")]
    Length {
        /// The field.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// A TLS structure inside the JSON did not decode.
    #[error(transparent)]
    Tls(#[from] DecodeError),
}

/// `POST /ct/v1/add-chain` and `add-pre-chain` request: the chain, leaf first, DER.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddChainRequest {
    /// Leaf (or precertificate) first, then issuers towards the root.
    #[serde(with = "b64_list")]
    pub chain: Vec<Vec<u8>>,
}

/// `add-chain` / `add-pre-chain` response: an SCT in JSON form. Fulcio's detached-SCT field
/// carries base64 of exactly this JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddChainResponse {
    /// `0` for v1.
    pub sct_version: u8,
    /// The log ID (32 bytes).
    #[serde(with = "b64")]
    pub id: Vec<u8>,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// `CtExtensions`, base64 (empty string when there are none).
    #[serde(with = "b64")]
    pub extensions: Vec<u8>,
    /// TLS-encoded `digitally-signed` struct.
    #[serde(with = "b64")]
    pub signature: Vec<u8>,
}

impl AddChainResponse {
    /// The response for `sct`.
    pub fn from_sct(sct: &SignedCertificateTimestamp) -> Result<Self, EncodeError> {
        Ok(AddChainResponse {
            sct_version: SCT_VERSION_V1,
            id: sct.log_id.to_vec(),
            timestamp: sct.timestamp,
            extensions: sct.extensions.clone(),
            signature: sct.signature.encode()?,
        })
    }

    /// The SCT this response carries.
    pub fn to_sct(&self) -> Result<SignedCertificateTimestamp, ApiDecodeError> {
        if self.sct_version != SCT_VERSION_V1 {
            return Err(ApiDecodeError::SctVersion(self.sct_version));
        }
        Ok(SignedCertificateTimestamp {
            log_id: array32("id", &self.id)?,
            timestamp: self.timestamp,
            extensions: self.extensions.clone(),
            signature: DigitallySigned::decode(&self.signature)?,
        })
    }
}

/// `GET /ct/v1/get-sth` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSthResponse {
    /// Number of entries.
    pub tree_size: u64,
    /// Milliseconds since the Unix epoch.
    pub timestamp: u64,
    /// Root hash (32 bytes).
    #[serde(with = "b64")]
    pub sha256_root_hash: Vec<u8>,
    /// TLS-encoded `digitally-signed` struct over the STH input.
    #[serde(with = "b64")]
    pub tree_head_signature: Vec<u8>,
}

impl GetSthResponse {
    /// The response for `sth`.
    pub fn from_sth(sth: &SignedTreeHead) -> Result<Self, EncodeError> {
        Ok(GetSthResponse {
            tree_size: sth.tree_size,
            timestamp: sth.timestamp,
            sha256_root_hash: sth.sha256_root_hash.to_vec(),
            tree_head_signature: sth.tree_head_signature.encode()?,
        })
    }

    /// The signed tree head this response carries.
    pub fn to_sth(&self) -> Result<SignedTreeHead, ApiDecodeError> {
        Ok(SignedTreeHead {
            tree_size: self.tree_size,
            timestamp: self.timestamp,
            sha256_root_hash: array32("sha256_root_hash", &self.sha256_root_hash)?,
            tree_head_signature: DigitallySigned::decode(&self.tree_head_signature)?,
        })
    }
}

/// `GET /ct/v1/get-sth-consistency` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetSthConsistencyResponse {
    /// The consistency proof, in RFC 6962 order (empty when `first` is 0 or equals `second`).
    #[serde(with = "b64_list")]
    pub consistency: Vec<Vec<u8>>,
}

/// `GET /ct/v1/get-proof-by-hash` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetProofByHashResponse {
    /// Index of the leaf with the requested hash.
    pub leaf_index: u64,
    /// Its inclusion proof.
    #[serde(with = "b64_list")]
    pub audit_path: Vec<Vec<u8>>,
}

/// One entry of a `get-entries` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeafEntry {
    /// The TLS-encoded `MerkleTreeLeaf`.
    #[serde(with = "b64")]
    pub leaf_input: Vec<u8>,
    /// The TLS-encoded extra data (chain).
    #[serde(with = "b64")]
    pub extra_data: Vec<u8>,
}

/// `GET /ct/v1/get-entries` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetEntriesResponse {
    /// Entries `start..` in order; possibly fewer than asked for.
    pub entries: Vec<LeafEntry>,
}

/// `GET /ct/v1/get-roots` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetRootsResponse {
    /// The accepted roots, DER.
    #[serde(with = "b64_list")]
    pub certificates: Vec<Vec<u8>>,
}

/// `GET /ct/v1/get-entry-and-proof` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GetEntryAndProofResponse {
    /// The TLS-encoded `MerkleTreeLeaf`.
    #[serde(with = "b64")]
    pub leaf_input: Vec<u8>,
    /// The TLS-encoded extra data.
    #[serde(with = "b64")]
    pub extra_data: Vec<u8>,
    /// The inclusion proof of the entry in the requested tree size.
    #[serde(with = "b64_list")]
    pub audit_path: Vec<Vec<u8>>,
}

fn array32(what: &'static str, bytes: &[u8]) -> Result<[u8; 32], ApiDecodeError> {
    bytes.try_into().map_err(|_| ApiDecodeError::Length {
        what,
        len: bytes.len(),
    })
}

/// Serde for one standard-base64 byte string.
mod b64 {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        STANDARD
            .decode(text.as_bytes())
            .map_err(|e| serde::de::Error::custom(format!("invalid base64: {e}")))
    }
}

/// Serde for a list of standard-base64 byte strings.
mod b64_list {
    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD;
    use serde::ser::SerializeSeq;
    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(
        items: &[Vec<u8>],
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(items.len()))?;
        for item in items {
            seq.serialize_element(&STANDARD.encode(item))?;
        }
        seq.end()
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<Vec<u8>>, D::Error> {
        let texts = <Vec<String>>::deserialize(deserializer)?;
        texts
            .iter()
            .enumerate()
            .map(|(i, text)| {
                STANDARD.decode(text.as_bytes()).map_err(|e| {
                    serde::de::Error::custom(format!("entry {i}: invalid base64: {e}"))
                })
            })
            .collect()
    }
}
