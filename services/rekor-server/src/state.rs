//! The Rekor service's state: the log, its key and the identifiers derived from that key.

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use prometheus_client::registry::Registry;
use rekor_types::{
    EntryId, EntryPolicy, EntryUuid, InclusionProof, LogEntry, LogEntryAnon, LogEntryVerification,
    TreeId,
};
use service_kit::metrics::CounterByLabel;
use sha2::{Digest, Sha256};
use tlog_core::Hash;
use tlog_engine::{EngineMetrics, Log, LogStorage, PendingEntry, StoredEntry, StoredHead};

use crate::checkpoint::RekorCheckpointSigner;
use crate::config::RekorConfig;
use crate::error::ApiError;

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum RekorOpenError {
    /// The log key is not ECDSA P-256 (sigstore-go verifies SETs only with ECDSA/SHA-256, and
    /// sigstore-js hashes every EC key with SHA-256).
    #[error("the Rekor log key must be ECDSA P-256, found {0:?}")]
    WrongKeyKind(keys::KeyKind),
    /// The hostname is not usable as a checkpoint key name.
    #[error("rekor hostname: {0}")]
    Hostname(#[from] signed_note::NoteError),
    /// The genesis entry could not be built.
    #[error("genesis entry: {0}")]
    Genesis(String),
    /// The log could not be opened.
    #[error(transparent)]
    Open(#[from] tlog_engine::OpenError),
    /// The stored log was signed by another key or under another name: every process sharing a
    /// database must use the same `rekor.key_file` and the same hostname (`public_url`).
    #[error(
        "the Rekor log in this database belongs to another identity ({detail}); every process \
         sharing a database must use the same rekor.key_file and rekor.hostname/public_url"
    )]
    ForeignLog {
        /// What did not match.
        detail: String,
    },
}

/// Rekor-level metrics (the engine counts batches, latency and tree size).
#[derive(Clone, Debug)]
pub(crate) struct RekorMetrics {
    appended: CounterByLabel,
    rejected: CounterByLabel,
}

impl RekorMetrics {
    fn register(registry: &mut Registry) -> Self {
        RekorMetrics {
            appended: CounterByLabel::register(
                registry,
                "rekor_entries_appended",
                "Entries appended through the Rekor API, by kind",
                "kind",
            ),
            rejected: CounterByLabel::register(
                registry,
                "rekor_entries_rejected",
                "Proposed entries refused, by reason",
                "reason",
            ),
        }
    }

    pub(crate) fn appended(&self, kind: &str) {
        self.appended.inc(kind);
    }

    pub(crate) fn rejected(&self, reason: &str) {
        self.rejected.inc(reason);
    }
}

pub(crate) struct Inner {
    pub(crate) log: Log,
    pub(crate) key: Arc<dyn keys::Signer>,
    pub(crate) log_id_hex: String,
    pub(crate) tree_id: TreeId,
    pub(crate) public_key_pem: String,
    pub(crate) policy: EntryPolicy,
    pub(crate) metrics: RekorMetrics,
}

/// Shared state of the Rekor API. Cheap to clone.
#[derive(Clone)]
pub struct RekorState(pub(crate) Arc<Inner>);

impl std::fmt::Debug for RekorState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RekorState")
            .field("log_id", &self.0.log_id_hex)
            .field("tree_id", &self.0.tree_id)
            .finish_non_exhaustive()
    }
}

/// The tree ID Cairn uses: derived from the log key (the first 8 bytes of SHA-256 of its SPKI,
/// as a positive 63-bit number), so every process holding the key agrees on it without storing
/// it anywhere.
pub fn tree_id_for_key(key: &keys::PublicKey) -> TreeId {
    let digest = key.spki_sha256();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let id = (u64::from_be_bytes(first) & (i64::MAX as u64)) as i64;
    // Zero means "no tree" in EntryIDs; the chance is 2^-63, but never hand it out.
    TreeId::new(id.max(1)).unwrap_or_else(|_| TreeId::new(1).expect("1 is a valid tree ID"))
}

impl RekorState {
    /// Open (or create) the Rekor log in `storage`, signing with `key` under `hostname`.
    pub async fn open(
        storage: Arc<dyn LogStorage>,
        key: Arc<dyn keys::Signer>,
        hostname: &str,
        config: &RekorConfig,
        engine_metrics: EngineMetrics,
        registry: &mut Registry,
    ) -> Result<RekorState, RekorOpenError> {
        let public_key = key.public_key().clone();
        if public_key.kind() != keys::KeyKind::EcdsaP256 {
            return Err(RekorOpenError::WrongKeyKind(public_key.kind()));
        }
        let tree_id = tree_id_for_key(&public_key);
        let tree_number = u64::try_from(tree_id.get()).unwrap_or(1);
        let signer = RekorCheckpointSigner::new(hostname, tree_number, key.clone())?;
        let policy = EntryPolicy {
            max_entry_bytes: config.max_entry_bytes,
            ..EntryPolicy::default()
        };
        let genesis = genesis_entry(key.as_ref(), signer.origin(), &policy)?;
        let verifier = signer.verifier();
        let origin = signer.origin().to_owned();
        let log = Log::open(
            storage,
            Arc::new(signer),
            config.engine_config(),
            engine_metrics,
            Some(genesis),
        )
        .await?;
        check_identity(&log.head().checkpoint, &verifier, &origin)?;
        Ok(RekorState(Arc::new(Inner {
            log,
            log_id_hex: hex::encode(public_key.spki_sha256()),
            public_key_pem: public_key.to_pem(),
            key,
            tree_id,
            policy,
            metrics: RekorMetrics::register(registry),
        })))
    }

    /// The log ID: hex SHA-256 of the log key's DER SPKI.
    pub fn log_id_hex(&self) -> &str {
        &self.0.log_id_hex
    }

    /// The tree ID (decimal in `LogInfo` and checkpoints, hex in EntryIDs).
    pub fn tree_id(&self) -> TreeId {
        self.0.tree_id
    }

    /// The log's public key.
    pub fn public_key(&self) -> &keys::PublicKey {
        self.0.key.public_key()
    }

    /// The log's public key as PEM.
    pub fn public_key_pem(&self) -> &str {
        &self.0.public_key_pem
    }

    /// The underlying log.
    pub fn log(&self) -> &Log {
        &self.0.log
    }
}

/// Refuse a stored log whose newest checkpoint this process could not have signed: otherwise two
/// processes with different keys or names on one database would hand out checkpoints that
/// clients of either cannot verify.
fn check_identity(
    checkpoint: &[u8],
    verifier: &signed_note::NoteKeyVerifier,
    origin: &str,
) -> Result<(), RekorOpenError> {
    let signed = signed_note::SignedCheckpoint::verify(checkpoint, &[verifier]).map_err(|e| {
        RekorOpenError::ForeignLog {
            detail: format!("its checkpoint does not verify with this log key and name: {e}"),
        }
    })?;
    let stored = signed.checkpoint().origin();
    if stored != origin {
        return Err(RekorOpenError::ForeignLog {
            detail: format!(
                "its checkpoint origin is {stored:?}, this process would sign as {origin:?}"
            ),
        });
    }
    Ok(())
}

/// Entry 0: a hashedrekord entry signed by the log key over a statement naming the log. It is a
/// real, verifiable entry, and it means no client is ever handed index 0 of a one-leaf tree
/// (sigstore-js drops `logIndex: 0` from bundles and sigstore-python then rejects them).
fn genesis_entry(
    key: &dyn keys::Signer,
    origin: &str,
    policy: &EntryPolicy,
) -> Result<PendingEntry, RekorOpenError> {
    let statement = format!("Cairn transparency log genesis\n{origin}\n");
    let digest = Sha256::digest(statement.as_bytes());
    let signature = key
        .sign(statement.as_bytes())
        .map_err(|e| RekorOpenError::Genesis(e.to_string()))?;
    let proposed = serde_json::json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
            "signature": {
                "content": BASE64.encode(signature),
                "publicKey": {"content": BASE64.encode(key.public_key().to_pem())},
            },
        },
    });
    let canonical = rekor_types::canonicalize_value(&proposed, policy)
        .map_err(|e| RekorOpenError::Genesis(e.to_string()))?;
    Ok(PendingEntry {
        leaf: canonical.body,
        search_keys: canonical.index_keys,
    })
}

impl Inner {
    /// The EntryID (tree ID + UUID) of a leaf.
    pub(crate) fn entry_id(&self, leaf_hash: &Hash) -> EntryId {
        EntryId::new(self.tree_id, EntryUuid::from_leaf_hash(leaf_hash.0))
    }

    /// A `LogEntry` for `entry`, with an inclusion proof to `head` and a fresh SET.
    pub(crate) fn log_entry(
        &self,
        entry: &StoredEntry,
        head: &StoredHead,
        proof: &[Hash],
    ) -> Result<LogEntry, ApiError> {
        let index = i64::try_from(entry.index)
            .map_err(|_| ApiError::Internal("entry index beyond i64".into()))?;
        let tree_size = i64::try_from(head.size)
            .map_err(|_| ApiError::Internal("tree size beyond i64".into()))?;
        let body_b64 = BASE64.encode(&entry.leaf);
        let payload =
            rekor_types::set_payload(&body_b64, entry.integrated_time, &self.log_id_hex, index);
        let set = self
            .key
            .sign(&payload)
            .map_err(|e| ApiError::Internal(format!("signing SET: {e}")))?;
        let checkpoint = String::from_utf8(head.checkpoint.clone())
            .map_err(|_| ApiError::Internal("stored checkpoint is not UTF-8".into()))?;
        Ok(LogEntry {
            entry_id: self.entry_id(&entry.leaf_hash).to_string(),
            entry: LogEntryAnon {
                attestation: None,
                body: entry.leaf.clone(),
                integrated_time: entry.integrated_time,
                log_id: self.log_id_hex.clone(),
                log_index: index,
                verification: Some(LogEntryVerification {
                    inclusion_proof: Some(InclusionProof {
                        checkpoint,
                        hashes: proof.iter().map(Hash::to_hex).collect(),
                        log_index: index,
                        root_hash: head.root.to_hex(),
                        tree_size,
                    }),
                    signed_entry_timestamp: Some(set),
                }),
            },
        })
    }

    /// `entry` with an inclusion proof to the newest head in storage.
    pub(crate) async fn log_entry_at_latest(
        &self,
        entry: &StoredEntry,
    ) -> Result<LogEntry, ApiError> {
        let head = self.log.refresh_head().await?;
        let proof = self.log.inclusion_proof(entry.index, head.size).await?;
        // Never hand out a proof that does not verify against the signed root.
        tlog_core::verify_inclusion(&entry.leaf_hash, entry.index, head.size, &proof, &head.root)
            .map_err(|e| ApiError::Internal(format!("self-check of inclusion proof failed: {e}")))?;
        self.log_entry(entry, &head, &proof)
    }
}
