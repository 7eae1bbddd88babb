//! The CT log's state: the engine log, the log key, the accepted roots, and the in-process
//! submission API Fulcio calls.

use std::sync::Arc;

use ct_types::{LogEntryType, MerkleTreeLeaf, SignedCertificateTimestamp, SignedTreeHead};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use tlog_core::Hash;
use tlog_engine::{AppendError, AppendOutcome, EngineMetrics, Log, LogStorage, PendingEntry};

use crate::chain::{self, ChainPolicy, Root};
use crate::checkpoint::{SthSigner, now_millis, open_checkpoint};
use crate::config::CtConfig;
use crate::error::CtError;
use crate::storage::{ExtraDataStorage, OpenedEntry, extra_data_key, open_envelope};

/// The engine's name for this log (metrics label `log="ct"`).
const LOG_NAME: &str = "ct";
/// Search-key prefix of a leaf's identity (hex SHA-256 of the submitted leaf DER).
const IDENTITY_KEY: &str = "ct-leaf:";

/// Why the CT log could not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CtOpenError {
    /// The log key is not ECDSA P-256 (SCTs and STHs are SHA-256 ECDSA; sigstore clients expect
    /// `PKIX_ECDSA_P256_SHA_256`).
    #[error("the CT log key must be ECDSA P-256, found {0:?}")]
    WrongKeyKind(keys::KeyKind),
    /// No root was configured, so every submission would be refused.
    #[error("the CT log needs at least one accepted root certificate")]
    NoRoots,
    /// A configured root is unusable.
    #[error("CT root {index}: {detail}")]
    BadRoot {
        /// Position in the list given to [`CtState::open`].
        index: usize,
        /// What is wrong with it.
        detail: String,
    },
    /// The configuration is invalid.
    #[error("ct configuration: {0}")]
    Config(String),
    /// The log could not be opened.
    #[error(transparent)]
    Open(#[from] tlog_engine::OpenError),
    /// The stored log was signed by another key (every process sharing a database must use the
    /// same `ct.key_file`).
    #[error(
        "the CT log in this database belongs to another key ({detail}); every process sharing a \
         database must use the same ct.key_file"
    )]
    ForeignLog {
        /// What did not match.
        detail: String,
    },
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IssuedLabel {
    entry_type: String,
    /// `new` (appended now) or `duplicate` (an SCT for an entry already in the log).
    origin: String,
}

/// CT-level metrics; rejections are counted by the engine's `log_appends_rejected{log="ct"}`.
#[derive(Clone, Debug)]
struct CtMetrics {
    issued: Family<IssuedLabel, Counter>,
    engine: EngineMetrics,
}

impl CtMetrics {
    fn register(registry: &mut Registry, engine: EngineMetrics) -> Self {
        let metrics = CtMetrics {
            issued: Family::default(),
            engine,
        };
        registry.register(
            "ct_scts_issued",
            "SCTs issued, by entry type (x509, precert) and origin (new, duplicate)",
            metrics.issued.clone(),
        );
        metrics
    }

    fn issued(&self, entry_type: LogEntryType, origin: &str) {
        self.issued
            .get_or_create(&IssuedLabel {
                entry_type: entry_type.as_str().to_owned(),
                origin: origin.to_owned(),
            })
            .inc();
    }

    fn rejected(&self, reason: &str) {
        self.engine.rejected(LOG_NAME, reason);
    }
}

pub(crate) struct Inner {
    pub(crate) log: Log,
    key: Arc<dyn keys::Signer>,
    log_id: [u8; 32],
    roots: Vec<Root>,
    policy: ChainPolicy,
    pub(crate) config: CtConfig,
    metrics: CtMetrics,
}

/// Shared state of the CT log. Cheap to clone.
#[derive(Clone)]
pub struct CtState(pub(crate) Arc<Inner>);

impl std::fmt::Debug for CtState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CtState")
            .field("log_id", &hex::encode(self.0.log_id))
            .field("roots", &self.0.roots.len())
            .finish_non_exhaustive()
    }
}

impl CtState {
    /// Open (or create, empty) the CT log in `storage`, signing SCTs and STHs with `key`
    /// (ECDSA P-256) and accepting chains to `roots_der` (DER CA certificates).
    ///
    /// An existing log must have been signed by the same key. Must be called inside a Tokio
    /// runtime. Registers `ct_scts_issued` in `registry`.
    pub async fn open(
        storage: Arc<dyn LogStorage>,
        key: Arc<dyn keys::Signer>,
        roots_der: Vec<Vec<u8>>,
        config: &CtConfig,
        engine_metrics: EngineMetrics,
        registry: &mut Registry,
    ) -> Result<CtState, CtOpenError> {
        config.validate().map_err(CtOpenError::Config)?;
        let public_key = key.public_key().clone();
        if public_key.kind() != keys::KeyKind::EcdsaP256 {
            return Err(CtOpenError::WrongKeyKind(public_key.kind()));
        }
        if roots_der.is_empty() {
            return Err(CtOpenError::NoRoots);
        }
        let mut roots: Vec<Root> = Vec::with_capacity(roots_der.len());
        for (index, der) in roots_der.into_iter().enumerate() {
            if roots.iter().any(|root| root.der == der) {
                continue;
            }
            roots.push(Root::parse(der).map_err(|detail| CtOpenError::BadRoot { index, detail })?);
        }
        let log = Log::open(
            Arc::new(ExtraDataStorage::new(storage)),
            Arc::new(SthSigner::new(key.clone())),
            config.engine_config(),
            engine_metrics.clone(),
            None,
        )
        .await?;
        let head = log.head();
        open_checkpoint(&head.checkpoint, head.size, &head.root, &public_key)
            .map_err(|detail| CtOpenError::ForeignLog { detail })?;
        Ok(CtState(Arc::new(Inner {
            log,
            log_id: public_key.spki_sha256(),
            key,
            roots,
            policy: ChainPolicy {
                max_chain_length: config.max_chain_length,
                max_chain_bytes: config.max_request_bytes,
                require_code_signing: config.require_code_signing,
            },
            config: config.clone(),
            metrics: CtMetrics::register(registry, engine_metrics),
        })))
    }

    /// The log ID: SHA-256 of the log key's DER SPKI (the trusted root's `ctlogs[].logId`).
    pub fn log_id(&self) -> [u8; 32] {
        self.0.log_id
    }

    /// The log's public key (the trusted root's `ctlogs[].publicKey`).
    pub fn public_key(&self) -> &keys::PublicKey {
        self.0.key.public_key()
    }

    /// The accepted roots, DER, as `get-roots` lists them.
    pub fn roots_der(&self) -> Vec<Vec<u8>> {
        self.0.roots.iter().map(|root| root.der.clone()).collect()
    }

    /// The underlying engine log.
    pub fn log(&self) -> &Log {
        &self.0.log
    }

    /// Log a final certificate chain (leaf first, DER) and return its SCT, exactly as
    /// `POST /ct/v1/add-chain` does. The SCT is returned only once the entry is durably
    /// committed; a certificate already in the log gets an SCT with its original timestamp.
    pub async fn add_chain(
        &self,
        chain_der: &[Vec<u8>],
    ) -> Result<SignedCertificateTimestamp, CtError> {
        self.0.submit(chain_der, LogEntryType::X509).await
    }

    /// Log a precertificate chain (precertificate first, DER, then its issuing CA … root) and
    /// return its SCT, exactly as `POST /ct/v1/add-pre-chain` does. The SCT signs the
    /// precertificate's TBS without the poison, so it verifies for the final certificate built
    /// from the same TBS.
    pub async fn add_pre_chain(
        &self,
        chain_der: &[Vec<u8>],
    ) -> Result<SignedCertificateTimestamp, CtError> {
        self.0.submit(chain_der, LogEntryType::Precert).await
    }

    /// Count a submission refused before it reached validation (unreadable body, bad JSON).
    pub(crate) fn log_rejection(&self, reason: &str) {
        self.0.metrics.rejected(reason);
    }

    /// The newest signed tree head in storage.
    pub async fn signed_tree_head(&self) -> Result<SignedTreeHead, CtError> {
        let head = self.0.log.refresh_head().await?;
        open_checkpoint(&head.checkpoint, head.size, &head.root, self.public_key())
            .map_err(CtError::Internal)
    }
}

impl Inner {
    async fn submit(
        &self,
        chain_der: &[Vec<u8>],
        entry_type: LogEntryType,
    ) -> Result<SignedCertificateTimestamp, CtError> {
        let validated = match chain::validate(chain_der, entry_type, &self.roots, self.policy) {
            Ok(validated) => validated,
            Err(err) => {
                self.metrics.rejected(err.reason());
                return Err(err.into());
            }
        };
        let identity = format!("{IDENTITY_KEY}{}", hex::encode(validated.identity));
        if let Some(index) = self.log.search(&identity, 1).await?.first().copied() {
            let sct = self.sct_for_stored(index).await?;
            self.metrics.issued(entry_type, "duplicate");
            return Ok(sct);
        }
        let leaf = MerkleTreeLeaf::new(now_millis(), validated.entry, Vec::new());
        let leaf_input = leaf
            .encode()
            .map_err(|e| CtError::Internal(format!("encoding the leaf: {e}")))?;
        let extra_data = validated
            .extra_data
            .encode()
            .map_err(|e| CtError::Internal(format!("encoding extra data: {e}")))?;
        let outcome = self
            .log
            .append(PendingEntry {
                leaf: leaf_input,
                search_keys: vec![identity, extra_data_key(&extra_data)],
            })
            .await;
        match outcome {
            Ok(AppendOutcome::Appended(_)) => {
                let sct = self.sign_sct(&leaf)?;
                self.metrics.issued(entry_type, "new");
                Ok(sct)
            }
            // The same leaf bytes (same certificate, same millisecond) are already stored.
            Ok(AppendOutcome::Duplicate { index }) => {
                let sct = self.sct_for_stored(index).await?;
                self.metrics.issued(entry_type, "duplicate");
                Ok(sct)
            }
            Err(err) => Err(match err {
                AppendError::Overloaded | AppendError::Contention => {
                    self.metrics.rejected("overloaded");
                    CtError::Overloaded
                }
                AppendError::ShuttingDown => CtError::ShuttingDown,
                other => CtError::Internal(other.to_string()),
            }),
        }
    }

    fn sign_sct(&self, leaf: &MerkleTreeLeaf) -> Result<SignedCertificateTimestamp, CtError> {
        let entry = &leaf.timestamped_entry;
        SignedCertificateTimestamp::sign(
            self.key.as_ref(),
            entry.timestamp,
            &entry.entry,
            entry.extensions.clone(),
        )
        .map_err(|e| CtError::Internal(format!("signing the SCT: {e}")))
    }

    /// An SCT for the committed entry at `index`, from its stored leaf (as CTFE builds SCTs from
    /// the leaf the backend returns).
    async fn sct_for_stored(&self, index: u64) -> Result<SignedCertificateTimestamp, CtError> {
        let opened = self.opened_entry(index).await?;
        let leaf = MerkleTreeLeaf::decode(&opened.leaf_input)
            .map_err(|e| CtError::Internal(format!("stored leaf {index}: {e}")))?;
        self.sign_sct(&leaf)
    }

    /// The committed entry at `index`, opened.
    pub(crate) async fn opened_entry(&self, index: u64) -> Result<OpenedEntry, CtError> {
        let stored = self
            .log
            .entry(index)
            .await?
            .ok_or_else(|| CtError::Internal(format!("entry {index} is missing")))?;
        open_envelope(&stored).map_err(CtError::Internal)
    }

    /// Leaf index of the entry whose leaf hash is `hash`.
    pub(crate) async fn index_of(&self, hash: &Hash) -> Result<Option<u64>, CtError> {
        Ok(self
            .log
            .entry_by_leaf_hash(hash)
            .await?
            .map(|entry| entry.index))
    }
}
