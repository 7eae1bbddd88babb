//! The JSON shapes of the Rekor v1 REST API ([`openapi.yaml`]), serialized as upstream's
//! go-swagger models are: member names as in the spec, members in Go struct order (which
//! go-swagger generates alphabetically), byte fields as standard base64, optional members
//! omitted where the Go model has `omitempty`.
//!
//! [`openapi.yaml`]: https://github.com/sigstore/rekor/blob/main/openapi.yaml

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::encoding::{self, hex_lower};
use crate::error::EntryError;
use crate::ids::{EntryRef, IdError};
use crate::jcs;
use crate::verifier::Verifier;

/// Most queries one `SearchLogQuery` may carry (upstream `maxSearchQueries`).
pub const MAX_SEARCH_QUERIES: usize = 10;

/// `Vec<u8>` as standard base64 (go-openapi `strfmt.Base64`).
mod base64_bytes {
    use super::*;

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encoding::encode_std(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(d)?;
        encoding::decode_std(&text).ok_or_else(|| D::Error::custom("invalid base64"))
    }
}

/// `Option<Vec<u8>>` as standard base64, omitted when `None`.
mod base64_bytes_opt {
    use super::*;

    pub(super) fn serialize<S: Serializer>(
        bytes: &Option<Vec<u8>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match bytes {
            Some(b) => s.serialize_str(&encoding::encode_std(b)),
            None => s.serialize_none(),
        }
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<Vec<u8>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => encoding::decode_std(&text)
                .map(Some)
                .ok_or_else(|| D::Error::custom("invalid base64")),
        }
    }
}

/// `GET /api/v1/log/entries/...` and `POST /api/v1/log/entries` response: an object with exactly
/// one member, the EntryID, whose value is the entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    /// The EntryID (80 hex, see [`EntryId`](crate::EntryId)); also the `ETag` of a create.
    pub entry_id: String,
    /// The entry.
    pub entry: LogEntryAnon,
}

impl Serialize for LogEntry {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut map = s.serialize_map(Some(1))?;
        map.serialize_entry(&self.entry_id, &self.entry)?;
        map.end()
    }
}

impl<'de> Deserialize<'de> for LogEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, LogEntryAnon>::deserialize(d)?;
        if map.len() != 1 {
            return Err(D::Error::custom(format!(
                "a LogEntry has exactly one member, found {}",
                map.len()
            )));
        }
        let (entry_id, entry) = map
            .into_iter()
            .next()
            .ok_or_else(|| D::Error::custom("empty LogEntry"))?;
        Ok(LogEntry { entry_id, entry })
    }
}

/// One log entry (`LogEntry.additionalProperties` in the OpenAPI).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntryAnon {
    /// Stored attestation (only with attestation storage; never set by Cairn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attestation: Option<LogEntryAttestation>,
    /// The canonical entry body (base64 in JSON).
    #[serde(with = "base64_bytes")]
    pub body: Vec<u8>,
    /// Unix seconds at which the entry was integrated.
    #[serde(rename = "integratedTime")]
    pub integrated_time: i64,
    /// Hex SHA-256 of the DER SPKI of the shard's signing key.
    #[serde(rename = "logID")]
    pub log_id: String,
    /// The virtual (cross-shard) index.
    #[serde(rename = "logIndex")]
    pub log_index: i64,
    /// Inclusion proof and SET.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verification: Option<LogEntryVerification>,
}

/// `LogEntry.attestation`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntryAttestation {
    /// The attestation bytes (base64 in JSON).
    #[serde(
        default,
        with = "base64_bytes_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub data: Option<Vec<u8>>,
}

/// `LogEntry.verification`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntryVerification {
    /// Inclusion proof against a signed checkpoint.
    #[serde(
        rename = "inclusionProof",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub inclusion_proof: Option<InclusionProof>,
    /// Signature over [`set_payload`] by the log key (base64 in JSON).
    #[serde(
        rename = "signedEntryTimestamp",
        default,
        with = "base64_bytes_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub signed_entry_timestamp: Option<Vec<u8>>,
}

/// `InclusionProof`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InclusionProof {
    /// The signed checkpoint (note text) whose root the proof leads to.
    pub checkpoint: String,
    /// Hex hashes from leaf to root (always present, possibly empty).
    pub hashes: Vec<String>,
    /// The index within the shard.
    #[serde(rename = "logIndex")]
    pub log_index: i64,
    /// Hex root hash.
    #[serde(rename = "rootHash")]
    pub root_hash: String,
    /// Tree size the proof is for.
    #[serde(rename = "treeSize")]
    pub tree_size: i64,
}

/// `GET /api/v1/log` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogInfo {
    /// Earlier shards. Go sends `null` when there are none (a nil slice without `omitempty`).
    #[serde(rename = "inactiveShards", default)]
    pub inactive_shards: Option<Vec<InactiveShardLogInfo>>,
    /// Hex root hash of the active shard.
    #[serde(rename = "rootHash")]
    pub root_hash: String,
    /// The signed checkpoint of the active shard.
    #[serde(rename = "signedTreeHead")]
    pub signed_tree_head: String,
    /// The active tree ID, in decimal.
    #[serde(rename = "treeID")]
    pub tree_id: String,
    /// Size of the active shard.
    #[serde(rename = "treeSize")]
    pub tree_size: i64,
}

/// `InactiveShardLogInfo`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InactiveShardLogInfo {
    /// Hex root hash.
    #[serde(rename = "rootHash")]
    pub root_hash: String,
    /// The cached signed checkpoint.
    #[serde(rename = "signedTreeHead")]
    pub signed_tree_head: String,
    /// Tree ID in decimal.
    #[serde(rename = "treeID")]
    pub tree_id: String,
    /// Final size.
    #[serde(rename = "treeSize")]
    pub tree_size: i64,
}

/// `GET /api/v1/log/proof` response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsistencyProof {
    /// Hex hashes of the proof (always present, possibly empty).
    pub hashes: Vec<String>,
    /// Hex root hash of the larger tree.
    #[serde(rename = "rootHash")]
    pub root_hash: String,
}

/// The `Error` body of every failed request: `{"code": <HTTP status>, "message": "..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The HTTP status (omitted when 0, as Go's `omitempty` does).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub code: i64,
    /// What went wrong (omitted when empty).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

fn is_zero(v: &i64) -> bool {
    *v == 0
}

impl ErrorBody {
    /// An error body.
    pub fn new(code: u16, message: impl Into<String>) -> Self {
        ErrorBody {
            code: i64::from(code),
            message: message.into(),
        }
    }
}

/// The bytes a log signs for a Signed Entry Timestamp: the RFC 8785 canonical JSON of exactly
/// `{"body", "integratedTime", "logID", "logIndex"}` (upstream: the `LogEntryAnon` without
/// `verification` and `attestation`, canonicalized).
pub fn set_payload(
    body_b64: &str,
    integrated_time: i64,
    log_id_hex: &str,
    log_index: i64,
) -> Vec<u8> {
    jcs::to_canonical_vec(&json!({
        "body": body_b64,
        "integratedTime": integrated_time,
        "logID": log_id_hex,
        "logIndex": log_index,
    }))
}

/// `POST /api/v1/log/entries/retrieve` request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SearchLogQuery {
    /// Proposed entries to canonicalize and look up by leaf hash.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entries: Option<Vec<Value>>,
    /// UUIDs (64 hex) or EntryIDs (80 hex).
    #[serde(
        rename = "entryUUIDs",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub entry_uuids: Option<Vec<String>>,
    /// Virtual log indexes.
    #[serde(
        rename = "logIndexes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub log_indexes: Option<Vec<i64>>,
}

/// A [`SearchLogQuery`] whose lists passed validation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValidSearchLogQuery {
    /// Parsed `entryUUIDs`.
    pub entry_refs: Vec<EntryRef>,
    /// `logIndexes`.
    pub log_indexes: Vec<u64>,
    /// `entries`, still to be canonicalized with [`canonicalize_value`](crate::canonicalize_value).
    pub entries: Vec<Value>,
}

/// Why a [`SearchLogQuery`] was refused.
///
/// Upstream answers [`TooManyQueries`](Self::TooManyQueries) and the schema violations
/// ([`EmptyList`](Self::EmptyList), [`NegativeLogIndex`](Self::NegativeLogIndex), a 64-hex
/// pattern miss) with 422, and an unusable 80-character EntryID with 400.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SearchQueryError {
    /// More than [`MAX_SEARCH_QUERIES`] lookups in total (upstream: 422).
    #[error("maximum number of search queries ({max}) exceeded: got {total}")]
    TooManyQueries {
        /// Total of the three lists.
        total: usize,
        /// The limit.
        max: usize,
    },
    /// A list that is present but empty (schema `minItems: 1`).
    #[error("{field} in body should have at least 1 items")]
    EmptyList {
        /// The list's name.
        field: &'static str,
    },
    /// An `entryUUIDs` item that is neither a UUID nor an EntryID.
    #[error("invalid entryUUIDs[{index}] {value:?}: {source}")]
    InvalidEntryUuid {
        /// Position in the list.
        index: usize,
        /// The string given.
        value: String,
        /// Why it is not an ID.
        #[source]
        source: IdError,
    },
    /// A negative `logIndexes` item (schema `minimum: 0`).
    #[error("logIndexes[{index}] must be >= 0, got {value}")]
    NegativeLogIndex {
        /// Position in the list.
        index: usize,
        /// The value given.
        value: i64,
    },
}

impl SearchLogQuery {
    /// Check list sizes, parse the IDs and indexes.
    pub fn validate(&self) -> Result<ValidSearchLogQuery, SearchQueryError> {
        let lens = [
            ("entries", self.entries.as_ref().map(Vec::len)),
            ("entryUUIDs", self.entry_uuids.as_ref().map(Vec::len)),
            ("logIndexes", self.log_indexes.as_ref().map(Vec::len)),
        ];
        let mut total = 0usize;
        for (field, len) in lens {
            if len == Some(0) {
                return Err(SearchQueryError::EmptyList { field });
            }
            total = total.saturating_add(len.unwrap_or(0));
        }
        if total > MAX_SEARCH_QUERIES {
            return Err(SearchQueryError::TooManyQueries {
                total,
                max: MAX_SEARCH_QUERIES,
            });
        }
        let entry_refs = self
            .entry_uuids
            .iter()
            .flatten()
            .enumerate()
            .map(|(index, value)| {
                value
                    .parse::<EntryRef>()
                    .map_err(|source| SearchQueryError::InvalidEntryUuid {
                        index,
                        value: value.clone(),
                        source,
                    })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let log_indexes = self
            .log_indexes
            .iter()
            .flatten()
            .enumerate()
            .map(|(index, &value)| {
                u64::try_from(value)
                    .map_err(|_| SearchQueryError::NegativeLogIndex { index, value })
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ValidSearchLogQuery {
            entry_refs,
            log_indexes,
            entries: self.entries.clone().unwrap_or_default(),
        })
    }
}

/// `POST /api/v1/index/retrieve` request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchIndex {
    /// An email address (matched case-insensitively).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// A digest, hex, with an optional `sha256:`, `sha1:` or `sha512:` prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    /// `and` or `or` (default `or`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<String>,
    /// A public key or certificate.
    #[serde(rename = "publicKey", default, skip_serializing_if = "Option::is_none")]
    pub public_key: Option<SearchIndexPublicKey>,
}

/// `SearchIndex.publicKey`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchIndexPublicKey {
    /// Base64 of the key in `format` (for `x509`: PEM key or certificate).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
    /// `pgp`, `x509`, `minisign`, `ssh` or `tuf`.
    pub format: String,
    /// Where to fetch the key (not supported: no I/O).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// How the lookups of a [`SearchIndex`] combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SearchOperator {
    /// Entries matching any criterion.
    #[default]
    Or,
    /// Entries matching every criterion.
    And,
}

/// The index lookups a [`SearchIndex`] asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexLookup {
    /// Lowercased index keys, one per criterion, in the order hash, public key, email.
    pub keys: Vec<String>,
    /// How to combine the per-key results.
    pub operator: SearchOperator,
}

/// Why a [`SearchIndex`] was refused (all HTTP 400 upstream).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SearchIndexError {
    /// `hash` does not match `^(sha512:)?[0-9a-fA-F]{128}$|^(sha256:)?[0-9a-fA-F]{64}$|^(sha1:)?[0-9a-fA-F]{40}$`.
    #[error("invalid hash value {value:?}: expected [sha256:|sha1:|sha512:]<hex digest>")]
    InvalidHash {
        /// The value given.
        value: String,
    },
    /// `email` is not an email address.
    #[error("invalid email address {value:?}")]
    InvalidEmail {
        /// The value given.
        value: String,
    },
    /// `operator` is neither `and` nor `or`.
    #[error("invalid operator {value:?}: expected \"and\" or \"or\"")]
    InvalidOperator {
        /// The value given.
        value: String,
    },
    /// A `publicKey.format` this log cannot read (only `x509` is supported).
    #[error("unsupported public key format {format:?} (this log supports x509)")]
    UnsupportedPkiFormat {
        /// The format given.
        format: String,
    },
    /// `publicKey.url` instead of `content` (fetching keys is not supported).
    #[error("publicKey.url is not supported; send publicKey.content")]
    UrlNotSupported,
    /// `publicKey` without `content`.
    #[error("publicKey.content is required")]
    MissingContent,
    /// `publicKey.content` is not a usable key or certificate.
    #[error("malformed public key: {0}")]
    MalformedPublicKey(#[source] EntryError),
}

impl SearchIndex {
    /// The index keys to look up, as upstream derives them: `hash` gets an algorithm prefix
    /// from its length when it has none; a public key becomes `hex(SHA-256(canonical PEM))`
    /// (which matches `hashedrekord` entries; `dsse`/`intoto` ones carry a `sha256:` prefix);
    /// an email is lowercased. Empty strings count as absent.
    pub fn lookup(&self) -> Result<IndexLookup, SearchIndexError> {
        let operator = match self.operator.as_deref() {
            None | Some("") | Some("or") => SearchOperator::Or,
            Some("and") => SearchOperator::And,
            Some(other) => {
                return Err(SearchIndexError::InvalidOperator {
                    value: other.to_owned(),
                });
            }
        };
        let mut keys = Vec::new();
        if let Some(hash) = self.hash.as_deref().filter(|h| !h.is_empty()) {
            keys.push(prefixed_hash(hash)?);
        }
        if let Some(pk) = &self.public_key {
            keys.push(public_key_lookup_key(pk)?);
        }
        if let Some(email) = self.email.as_deref().filter(|e| !e.is_empty()) {
            let valid = email
                .split_once('@')
                .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
            if !valid {
                return Err(SearchIndexError::InvalidEmail {
                    value: email.to_owned(),
                });
            }
            keys.push(email.to_lowercase());
        }
        Ok(IndexLookup { keys, operator })
    }
}

fn prefixed_hash(hash: &str) -> Result<String, SearchIndexError> {
    let invalid = || SearchIndexError::InvalidHash {
        value: hash.to_owned(),
    };
    let (prefix, hex) = match hash.split_once(':') {
        Some((prefix, hex)) => (Some(prefix), hex),
        None => (None, hash),
    };
    let algorithm = match hex.len() {
        40 => "sha1",
        64 => "sha256",
        128 => "sha512",
        _ => return Err(invalid()),
    };
    if prefix.is_some_and(|p| p != algorithm) || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(invalid());
    }
    Ok(format!("{algorithm}:{}", hex.to_lowercase()))
}

fn public_key_lookup_key(pk: &SearchIndexPublicKey) -> Result<String, SearchIndexError> {
    // Of the OpenAPI's formats (pgp, x509, minisign, ssh, tuf) only x509 is implemented.
    if pk.format != "x509" {
        return Err(SearchIndexError::UnsupportedPkiFormat {
            format: pk.format.clone(),
        });
    }
    let content = match pk.content.as_deref().filter(|c| !c.is_empty()) {
        Some(c) => c,
        None if pk.url.as_deref().is_some_and(|u| !u.is_empty()) => {
            return Err(SearchIndexError::UrlNotSupported);
        }
        None => return Err(SearchIndexError::MissingContent),
    };
    let field = "publicKey.content";
    let pem = encoding::decode_std(content).ok_or_else(|| {
        SearchIndexError::MalformedPublicKey(EntryError::InvalidBase64 {
            field: field.to_owned(),
        })
    })?;
    let verifier =
        Verifier::from_pem_bytes(&pem, field).map_err(SearchIndexError::MalformedPublicKey)?;
    Ok(hex_lower(&Sha256::digest(
        verifier.canonical_pem.as_bytes(),
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hash_prefixes() {
        let h256 = "A".repeat(64);
        assert_eq!(
            prefixed_hash(&h256).unwrap(),
            format!("sha256:{}", "a".repeat(64))
        );
        assert_eq!(
            prefixed_hash(&format!("sha256:{h256}")).unwrap(),
            format!("sha256:{}", "a".repeat(64))
        );
        assert_eq!(
            prefixed_hash(&"b".repeat(40)).unwrap(),
            format!("sha1:{}", "b".repeat(40))
        );
        assert_eq!(
            prefixed_hash(&"c".repeat(128)).unwrap(),
            format!("sha512:{}", "c".repeat(128))
        );
        assert!(prefixed_hash(&format!("sha512:{h256}")).is_err());
        assert!(prefixed_hash(&"a".repeat(96)).is_err());
        assert!(prefixed_hash(&format!("md5:{h256}")).is_err());
        assert!(prefixed_hash(&"g".repeat(64)).is_err());
    }
}
