//! From a proposed entry (the body of `POST /api/v1/log/entries`) to the canonical entry body
//! that becomes the Merkle leaf.
//!
//! Spec: Rekor `openapi.yaml` `ProposedEntry`, and each kind's `Canonicalize()` followed by
//! RFC 8785 (`types.CanonicalizeEntry`).

use std::collections::HashSet;
use std::fmt;
use std::str::FromStr;

use serde_json::{Value, json};

use crate::encoding::{as_object, req_object, req_str};
use crate::error::EntryError;
use crate::ids::EntryUuid;
use crate::jcs;
use crate::kinds;
use keys::{HashAlgorithm, KeyKind};

/// Default limit on the size of a proposed entry: 128 KiB.
pub const DEFAULT_MAX_ENTRY_BYTES: usize = 128 * 1024;

/// The Rekor entry kinds this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum EntryKind {
    /// `hashedrekord`: a signature over an artifact digest.
    HashedRekord,
    /// `dsse`: a DSSE envelope (stored as hashes only).
    Dsse,
    /// `intoto`: a DSSE envelope in the older 0.0.1/0.0.2 shapes.
    Intoto,
    /// `rekord`: a detached signature over an artifact sent inline (legacy; `x509` format only).
    Rekord,
}

impl EntryKind {
    /// Every implemented kind.
    pub const ALL: [EntryKind; 4] = [
        EntryKind::HashedRekord,
        EntryKind::Dsse,
        EntryKind::Intoto,
        EntryKind::Rekord,
    ];

    /// The `kind` string.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::HashedRekord => "hashedrekord",
            EntryKind::Dsse => "dsse",
            EntryKind::Intoto => "intoto",
            EntryKind::Rekord => "rekord",
        }
    }

    /// The `apiVersion`s implemented for this kind.
    pub fn api_versions(self) -> &'static [&'static str] {
        match self {
            EntryKind::HashedRekord => &["0.0.1"],
            EntryKind::Dsse => &["0.0.1"],
            EntryKind::Intoto => &["0.0.1", "0.0.2"],
            EntryKind::Rekord => &["0.0.1"],
        }
    }
}

impl fmt::Display for EntryKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Rekor kinds that exist upstream but are not implemented here.
const UPSTREAM_ONLY_KINDS: &[&str] = &["alpine", "cose", "helm", "jar", "rfc3161", "rpm", "tuf"];

/// A key type and digest algorithm a `hashedrekord` entry may use: Rekor's
/// `--client-signing-algorithms` values (sigstore `PublicKeyDetails`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ClientSigningAlgorithm {
    /// RSA PKCS#1 v1.5, 2048-bit modulus, SHA-256 (`rsa-sign-pkcs1-2048-sha256`).
    Rsa2048Pkcs1Sha256,
    /// RSA PKCS#1 v1.5, 3072-bit modulus, SHA-256 (`rsa-sign-pkcs1-3072-sha256`).
    Rsa3072Pkcs1Sha256,
    /// RSA PKCS#1 v1.5, 4096-bit modulus, SHA-256 (`rsa-sign-pkcs1-4096-sha256`).
    Rsa4096Pkcs1Sha256,
    /// ECDSA P-256 with SHA-256 (`ecdsa-sha2-256-nistp256`).
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384 (`ecdsa-sha2-384-nistp384`).
    EcdsaP384Sha384,
    /// ECDSA P-521 with SHA-512 (`ecdsa-sha2-512-nistp521`). Listed for configuration
    /// compatibility; the `keys` crate cannot parse P-521 keys, so such entries are refused.
    EcdsaP521Sha512,
    /// Pure Ed25519 (`ed25519`). Never matches a `hashedrekord` entry, which always names a
    /// digest algorithm.
    Ed25519,
    /// Ed25519ph over a SHA-512 digest (`ed25519-ph`).
    Ed25519ph,
}

impl ClientSigningAlgorithm {
    /// Every algorithm, which is also Rekor's default allow-list.
    pub const ALL: [ClientSigningAlgorithm; 8] = [
        ClientSigningAlgorithm::Rsa2048Pkcs1Sha256,
        ClientSigningAlgorithm::Rsa3072Pkcs1Sha256,
        ClientSigningAlgorithm::Rsa4096Pkcs1Sha256,
        ClientSigningAlgorithm::EcdsaP256Sha256,
        ClientSigningAlgorithm::EcdsaP384Sha384,
        ClientSigningAlgorithm::EcdsaP521Sha512,
        ClientSigningAlgorithm::Ed25519,
        ClientSigningAlgorithm::Ed25519ph,
    ];

    /// The flag value upstream uses for this algorithm.
    pub fn name(self) -> &'static str {
        match self {
            ClientSigningAlgorithm::Rsa2048Pkcs1Sha256 => "rsa-sign-pkcs1-2048-sha256",
            ClientSigningAlgorithm::Rsa3072Pkcs1Sha256 => "rsa-sign-pkcs1-3072-sha256",
            ClientSigningAlgorithm::Rsa4096Pkcs1Sha256 => "rsa-sign-pkcs1-4096-sha256",
            ClientSigningAlgorithm::EcdsaP256Sha256 => "ecdsa-sha2-256-nistp256",
            ClientSigningAlgorithm::EcdsaP384Sha384 => "ecdsa-sha2-384-nistp384",
            ClientSigningAlgorithm::EcdsaP521Sha512 => "ecdsa-sha2-512-nistp521",
            ClientSigningAlgorithm::Ed25519 => "ed25519",
            ClientSigningAlgorithm::Ed25519ph => "ed25519-ph",
        }
    }

    /// Whether this algorithm covers a key of `kind` with digest algorithm `hash` (`None` =
    /// no digest, pure Ed25519).
    pub fn matches(self, kind: KeyKind, hash: Option<HashAlgorithm>) -> bool {
        use ClientSigningAlgorithm as A;
        let (key_ok, want_hash) = match self {
            A::Rsa2048Pkcs1Sha256 => (
                matches!(kind, KeyKind::Rsa { bits: 2048 }),
                Some(HashAlgorithm::Sha256),
            ),
            A::Rsa3072Pkcs1Sha256 => (
                matches!(kind, KeyKind::Rsa { bits: 3072 }),
                Some(HashAlgorithm::Sha256),
            ),
            A::Rsa4096Pkcs1Sha256 => (
                matches!(kind, KeyKind::Rsa { bits: 4096 }),
                Some(HashAlgorithm::Sha256),
            ),
            A::EcdsaP256Sha256 => (kind == KeyKind::EcdsaP256, Some(HashAlgorithm::Sha256)),
            A::EcdsaP384Sha384 => (kind == KeyKind::EcdsaP384, Some(HashAlgorithm::Sha384)),
            A::EcdsaP521Sha512 => (false, Some(HashAlgorithm::Sha512)),
            A::Ed25519 => (kind == KeyKind::Ed25519, None),
            A::Ed25519ph => (kind == KeyKind::Ed25519, Some(HashAlgorithm::Sha512)),
        };
        key_ok && want_hash == hash
    }
}

impl fmt::Display for ClientSigningAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A string that names no [`ClientSigningAlgorithm`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown client signing algorithm {input:?}")]
pub struct UnknownClientSigningAlgorithm {
    /// The string given.
    pub input: String,
}

impl FromStr for ClientSigningAlgorithm {
    type Err = UnknownClientSigningAlgorithm;

    /// Parse an upstream flag value (exact).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ClientSigningAlgorithm::ALL
            .into_iter()
            .find(|a| a.name() == s)
            .ok_or_else(|| UnknownClientSigningAlgorithm {
                input: s.to_owned(),
            })
    }
}

/// What the log accepts. Build it with struct update syntax from `EntryPolicy::default()`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPolicy {
    /// Largest proposed entry, in bytes, checked before any parsing.
    pub max_entry_bytes: usize,
    /// Key and digest combinations allowed in `hashedrekord` entries (upstream applies its
    /// allow-list to this kind only).
    pub hashedrekord_algorithms: Vec<ClientSigningAlgorithm>,
    /// Kinds accepted.
    pub kinds: Vec<EntryKind>,
}

impl Default for EntryPolicy {
    fn default() -> Self {
        EntryPolicy {
            max_entry_bytes: DEFAULT_MAX_ENTRY_BYTES,
            hashedrekord_algorithms: ClientSigningAlgorithm::ALL.to_vec(),
            kinds: EntryKind::ALL.to_vec(),
        }
    }
}

impl EntryPolicy {
    /// Whether a `hashedrekord` key of `kind` with digest `hash` is allowed.
    pub fn permits(&self, kind: KeyKind, hash: Option<HashAlgorithm>) -> bool {
        self.hashedrekord_algorithms
            .iter()
            .any(|a| a.matches(kind, hash))
    }
}

/// A verified, canonicalized entry, ready to append to the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalEntry {
    /// The entry kind.
    pub kind: EntryKind,
    /// The entry's `apiVersion`.
    pub api_version: String,
    /// The RFC 8785 canonical body: the Merkle leaf, and what `LogEntryAnon.body` base64-encodes.
    pub body: Vec<u8>,
    /// Lowercased search-index keys (Rekor `IndexKeys()`), without duplicates, in Rekor's order.
    pub index_keys: Vec<String>,
}

impl CanonicalEntry {
    /// RFC 6962 leaf hash of the body: `SHA-256(0x00 ‖ body)`.
    pub fn leaf_hash(&self) -> [u8; 32] {
        tlog_core::leaf_hash(&self.body).into()
    }

    /// The entry UUID (hex of the leaf hash).
    pub fn uuid(&self) -> EntryUuid {
        EntryUuid::from_leaf_hash(self.leaf_hash())
    }
}

/// Verify and canonicalize a proposed entry given as request bytes.
///
/// The size limit is checked before the bytes are parsed.
pub fn canonicalize(proposed: &[u8], policy: &EntryPolicy) -> Result<CanonicalEntry, EntryError> {
    if proposed.len() > policy.max_entry_bytes {
        return Err(EntryError::TooLarge {
            size: proposed.len(),
            limit: policy.max_entry_bytes,
        });
    }
    let value: Value = serde_json::from_slice(proposed).map_err(|e| EntryError::InvalidJson {
        reason: e.to_string(),
    })?;
    canonicalize_value(&value, policy)
}

/// Verify and canonicalize a proposed entry that is already parsed (for example one of the
/// `entries` of a [`SearchLogQuery`](crate::SearchLogQuery)). No size check.
pub fn canonicalize_value(
    proposed: &Value,
    policy: &EntryPolicy,
) -> Result<CanonicalEntry, EntryError> {
    let obj = as_object(proposed, "proposed entry")?;
    if let Some(extra) = obj
        .keys()
        .find(|k| !matches!(k.as_str(), "apiVersion" | "kind" | "spec"))
    {
        return Err(EntryError::UnexpectedField {
            field: extra.clone(),
        });
    }
    let kind_str = req_str(obj, "", "kind")?;
    let kind = match EntryKind::ALL.into_iter().find(|k| k.as_str() == kind_str) {
        Some(kind) => kind,
        None if UPSTREAM_ONLY_KINDS.contains(&kind_str) => {
            return Err(EntryError::UnsupportedKind {
                kind: kind_str.to_owned(),
            });
        }
        None => {
            return Err(EntryError::UnknownKind {
                kind: kind_str.to_owned(),
            });
        }
    };
    if !policy.kinds.contains(&kind) {
        return Err(EntryError::KindDisabled { kind });
    }
    let api_version = req_str(obj, "", "apiVersion")?;
    if !kind.api_versions().contains(&api_version) {
        return Err(EntryError::UnsupportedApiVersion {
            kind,
            api_version: api_version.to_owned(),
            supported: kind.api_versions(),
        });
    }
    let spec = req_object(obj, "", "spec")?;
    let (canonical_spec, index_keys) = match (kind, api_version) {
        (EntryKind::HashedRekord, _) => kinds::hashedrekord::canonicalize(spec, policy)?,
        (EntryKind::Dsse, _) => kinds::dsse::canonicalize(spec)?,
        (EntryKind::Intoto, "0.0.1") => kinds::intoto::canonicalize_v001(spec)?,
        (EntryKind::Intoto, _) => kinds::intoto::canonicalize_v002(spec)?,
        (EntryKind::Rekord, _) => kinds::rekord::canonicalize(spec)?,
    };
    let body = json!({
        "apiVersion": api_version,
        "kind": kind.as_str(),
        "spec": canonical_spec,
    });
    Ok(CanonicalEntry {
        kind,
        api_version: api_version.to_owned(),
        body: jcs::to_canonical_vec(&body),
        index_keys: normalize_index_keys(index_keys),
    })
}

/// Lowercase (as Rekor's index storage does) and drop repeats, keeping the first.
fn normalize_index_keys(keys: Vec<String>) -> Vec<String> {
    let mut seen = HashSet::new();
    keys.into_iter()
        .map(|k| k.to_lowercase())
        .filter(|k| seen.insert(k.clone()))
        .collect()
}
