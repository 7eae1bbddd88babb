//! The log: a handle that appends through a group-committing sequencer and answers proofs.
//!
//! # Append path
//!
//! 1. A caller hands a leaf (already validated and canonicalised by the personality) to
//!    [`Log::append`]; it is queued (a full queue is [`AppendError::Overloaded`]: push back, 503).
//! 2. The sequencer task takes everything queued (up to `batch_max_entries`, waiting at most
//!    `batch_wait` for more), drops duplicates (already stored, or twice in the batch), assigns
//!    consecutive indexes and one integrated time, computes the new Merkle nodes and root, signs
//!    one checkpoint, and commits all of it in one [`LogStorage::commit_batch`].
//! 3. Only after the commit returns `Committed` are callers answered: an acknowledged entry is
//!    durable. Each caller then computes its inclusion proof to the batch's checkpoint (from the
//!    node cache) and verifies it against the signed root before returning it.
//!
//! A `Conflict` (another process moved the head) reloads the head and sequences the batch again;
//! an error answers the whole batch with an error and reloads the head, since the commit may or
//! may not have landed.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tlog_core::{Hash, NodeId, ProofError, append_hashes, leaf_hash, tree_root};
use tokio::sync::{mpsc, oneshot};

use crate::cache::{Attempt, NodeCache, NotCached};
use crate::metrics::EngineMetrics;
use crate::storage::{
    BatchCommit, CommitOutcome, LogStorage, NewEntry, StorageError, StoredEntry, StoredHead,
};

/// Signs checkpoints for a log; the personality decides the note format (Rekor v1, C2SP, CT STH).
pub trait CheckpointSigner: Send + Sync + std::fmt::Debug {
    /// The signed checkpoint bytes for a tree of `size` leaves with root `root`.
    fn sign_checkpoint(&self, size: u64, root: &Hash) -> Result<Vec<u8>, String>;
}

/// Tuning of the sequencer. The defaults suit one 2-core machine.
#[derive(Debug, Clone)]
pub struct LogConfig {
    /// Name used in metrics and logs (`rekor`, `ct`).
    pub name: String,
    /// Most entries committed in one batch.
    pub batch_max_entries: usize,
    /// Longest a batch waits for more entries once it has one.
    pub batch_wait: Duration,
    /// Entries queued before appends are refused with [`AppendError::Overloaded`].
    pub queue_capacity: usize,
    /// Lower-level Merkle nodes are cached for this many most recent leaves.
    pub recent_leaves_cached: u64,
    /// Commit attempts per batch when other writers keep moving the head.
    pub max_commit_attempts: u32,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            name: "log".to_owned(),
            batch_max_entries: 1024,
            batch_wait: Duration::from_millis(2),
            queue_capacity: 16_384,
            recent_leaves_cached: 1 << 16,
            max_commit_attempts: 16,
        }
    }
}

/// An entry to append.
#[derive(Debug, Clone)]
pub struct PendingEntry {
    /// The leaf bytes (for Rekor, the canonical body).
    pub leaf: Vec<u8>,
    /// Search keys to index the entry under.
    pub search_keys: Vec<String>,
}

/// A successfully appended entry, with an inclusion proof already verified against the signed
/// head that covers it.
#[derive(Debug, Clone)]
pub struct Appended {
    /// The entry's index.
    pub index: u64,
    /// Unix seconds at which it was sequenced.
    pub integrated_time: i64,
    /// Its leaf hash.
    pub leaf_hash: Hash,
    /// The head committed with it.
    pub head: Arc<StoredHead>,
    /// Inclusion proof of `index` in `head`.
    pub inclusion_proof: Vec<Hash>,
}

/// What became of an append.
#[derive(Debug, Clone)]
pub enum AppendOutcome {
    /// Newly appended.
    Appended(Appended),
    /// An entry with the same leaf already exists at `index`; nothing was appended.
    Duplicate {
        /// Index of the existing entry.
        index: u64,
    },
}

/// Why an append failed. None of these appended anything that was acknowledged.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum AppendError {
    /// The queue is full: retry later (503).
    #[error("the log is overloaded; retry later")]
    Overloaded,
    /// The sequencer has stopped (shutdown).
    #[error("the log is shutting down")]
    ShuttingDown,
    /// Other writers kept moving the head.
    #[error("too much contention between writers; retry")]
    Contention,
    /// Storage failed; the entry may or may not have been written.
    #[error("storage failure: {0}")]
    Storage(String),
    /// The checkpoint could not be signed.
    #[error("checkpoint signing failed: {0}")]
    Signing(String),
    /// A proof could not be built or did not verify (a bug or corrupt storage).
    #[error("inclusion proof failure: {0}")]
    Proof(String),
}

/// Why a read (proof, head) failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Sizes or indexes outside the tree, or in the wrong order: the caller's mistake (400).
    #[error("{0}")]
    BadRequest(String),
    /// Storage failed or is inconsistent (500).
    #[error("storage failure: {0}")]
    Storage(String),
}

/// Why a log could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OpenError {
    /// Storage failed.
    #[error("storage failure: {0}")]
    Storage(#[from] StorageError),
    /// The first checkpoint could not be signed.
    #[error("checkpoint signing failed: {0}")]
    Signing(String),
    /// The stored root does not match the stored nodes.
    #[error("stored head (size {size}) does not match the stored tree: {detail}")]
    Inconsistent {
        /// Size of the stored head.
        size: u64,
        /// What differs.
        detail: String,
    },
}

struct Pending {
    leaf_hash: Hash,
    leaf: Vec<u8>,
    search_keys: Vec<String>,
    enqueued: Instant,
    reply: oneshot::Sender<Result<Sequenced, AppendError>>,
}

#[derive(Debug)]
enum Sequenced {
    New {
        index: u64,
        integrated_time: i64,
        head: Arc<StoredHead>,
    },
    Duplicate {
        index: u64,
    },
}

struct Inner {
    config: LogConfig,
    storage: Arc<dyn LogStorage>,
    signer: Arc<dyn CheckpointSigner>,
    cache: NodeCache,
    head: RwLock<Arc<StoredHead>>,
    metrics: EngineMetrics,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("name", &self.config.name)
            .finish_non_exhaustive()
    }
}

/// A handle to one log. Cheap to clone; the sequencer stops when the last clone is dropped.
#[derive(Debug, Clone)]
pub struct Log {
    inner: Arc<Inner>,
    queue: mpsc::Sender<Pending>,
}

impl Log {
    /// Open the log in `storage`, creating it if it has no head yet. A new log gets `genesis` as
    /// its entry 0 when given (Rekor clients break on index 0 of a one-leaf tree), and is empty
    /// otherwise. On an existing log, the stored root is checked against the stored nodes.
    ///
    /// Must be called inside a Tokio runtime (it spawns the sequencer).
    pub async fn open(
        storage: Arc<dyn LogStorage>,
        signer: Arc<dyn CheckpointSigner>,
        config: LogConfig,
        metrics: EngineMetrics,
        genesis: Option<PendingEntry>,
    ) -> Result<Log, OpenError> {
        let head = match storage.load_head().await? {
            Some(head) => head,
            None => create(storage.as_ref(), signer.as_ref(), genesis).await?,
        };
        let inner = Arc::new(Inner {
            cache: NodeCache::new(config.recent_leaves_cached),
            head: RwLock::new(Arc::new(head.clone())),
            config,
            storage,
            signer,
            metrics,
        });
        let computed = inner
            .compute(&mut HashMap::new(), |r| tree_root(head.size, r))
            .await
            .map_err(|e| OpenError::Inconsistent {
                size: head.size,
                detail: e.to_string(),
            })?;
        if computed != head.root {
            return Err(OpenError::Inconsistent {
                size: head.size,
                detail: format!("root {} but nodes give {computed}", head.root),
            });
        }
        inner.metrics.observe_head(&inner.config.name, &head);
        let (queue, receiver) = mpsc::channel(inner.config.queue_capacity.max(1));
        tokio::spawn(run_sequencer(inner.clone(), receiver));
        Ok(Log { inner, queue })
    }

    /// The newest head this process knows of.
    pub fn head(&self) -> Arc<StoredHead> {
        self.inner.current_head()
    }

    /// Reload the head from storage (another process may have appended) and return the newer of
    /// it and the one in memory.
    pub async fn refresh_head(&self) -> Result<Arc<StoredHead>, ReadError> {
        self.inner.reload_head().await.map_err(read_storage)
    }

    /// Append one entry and wait until it is durable (or found to be a duplicate).
    pub async fn append(&self, entry: PendingEntry) -> Result<AppendOutcome, AppendError> {
        let started = Instant::now();
        let (reply, answer) = oneshot::channel();
        let pending = Pending {
            leaf_hash: leaf_hash(&entry.leaf),
            leaf: entry.leaf,
            search_keys: entry.search_keys,
            enqueued: started,
            reply,
        };
        let leaf_hash = pending.leaf_hash;
        match self.queue.try_send(pending) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(_)) => {
                self.inner
                    .metrics
                    .rejected(&self.inner.config.name, "overloaded");
                return Err(AppendError::Overloaded);
            }
            Err(mpsc::error::TrySendError::Closed(_)) => return Err(AppendError::ShuttingDown),
        }
        let sequenced = answer.await.map_err(|_| AppendError::ShuttingDown)??;
        match sequenced {
            Sequenced::Duplicate { index } => Ok(AppendOutcome::Duplicate { index }),
            Sequenced::New {
                index,
                integrated_time,
                head,
            } => {
                let inclusion_proof = self
                    .inclusion_proof(index, head.size)
                    .await
                    .map_err(|e| AppendError::Proof(e.to_string()))?;
                // Never hand out a proof that does not verify against the root we signed.
                tlog_core::verify_inclusion(
                    &leaf_hash,
                    index,
                    head.size,
                    &inclusion_proof,
                    &head.root,
                )
                .map_err(|e| {
                    self.inner
                        .metrics
                        .rejected(&self.inner.config.name, "proof_self_check");
                    AppendError::Proof(e.to_string())
                })?;
                self.inner
                    .metrics
                    .append_latency(&self.inner.config.name, started.elapsed());
                Ok(AppendOutcome::Appended(Appended {
                    index,
                    integrated_time,
                    leaf_hash,
                    head,
                    inclusion_proof,
                }))
            }
        }
    }

    /// Inclusion proof of leaf `index` in the tree of `size` leaves (which must not exceed the
    /// newest committed size).
    pub async fn inclusion_proof(&self, index: u64, size: u64) -> Result<Vec<Hash>, ReadError> {
        self.check_size(size).await?;
        if index >= size {
            return Err(ReadError::BadRequest(format!(
                "index {index} is not in a tree of size {size}"
            )));
        }
        self.inner
            .compute(&mut HashMap::new(), |r| {
                tlog_core::inclusion_proof(index, size, r)
            })
            .await
    }

    /// Consistency proof from `old_size` to `new_size` (`0 < old_size <= new_size <=` the newest
    /// committed size).
    pub async fn consistency_proof(
        &self,
        old_size: u64,
        new_size: u64,
    ) -> Result<Vec<Hash>, ReadError> {
        self.check_size(new_size).await?;
        if old_size == 0 || old_size > new_size {
            return Err(ReadError::BadRequest(format!(
                "no consistency proof from size {old_size} to size {new_size}"
            )));
        }
        self.inner
            .compute(&mut HashMap::new(), |r| {
                tlog_core::consistency_proof(old_size, new_size, r)
            })
            .await
    }

    /// The root of the tree of `size` leaves (at most the newest committed size).
    pub async fn root_at(&self, size: u64) -> Result<Hash, ReadError> {
        self.check_size(size).await?;
        self.inner
            .compute(&mut HashMap::new(), |r| tree_root(size, r))
            .await
    }

    /// The committed entry at `index`.
    pub async fn entry(&self, index: u64) -> Result<Option<StoredEntry>, ReadError> {
        self.inner
            .storage
            .entry_by_index(index)
            .await
            .map_err(read_storage)
    }

    /// The committed entry whose leaf hash is `hash`.
    pub async fn entry_by_leaf_hash(&self, hash: &Hash) -> Result<Option<StoredEntry>, ReadError> {
        let found = self
            .inner
            .storage
            .find_leaf_hashes(std::slice::from_ref(hash))
            .await
            .map_err(read_storage)?;
        match found.first().copied().flatten() {
            Some(index) => self.entry(index).await,
            None => Ok(None),
        }
    }

    /// Indexes of entries stored under a search key.
    pub async fn search(&self, key: &str, limit: usize) -> Result<Vec<u64>, ReadError> {
        self.inner
            .storage
            .search_key(key, limit)
            .await
            .map_err(read_storage)
    }

    async fn check_size(&self, size: u64) -> Result<(), ReadError> {
        let mut head = self.head();
        if size > head.size {
            head = self.refresh_head().await?;
        }
        if size > head.size {
            return Err(ReadError::BadRequest(format!(
                "tree size {size} is larger than the log ({})",
                head.size
            )));
        }
        Ok(())
    }
}

fn read_storage(e: StorageError) -> ReadError {
    ReadError::Storage(e.to_string())
}

/// Create a log: an empty head, or one holding `genesis` at index 0.
async fn create(
    storage: &dyn LogStorage,
    signer: &dyn CheckpointSigner,
    genesis: Option<PendingEntry>,
) -> Result<StoredHead, OpenError> {
    let (entries, nodes, root, size) = match genesis {
        Some(entry) => {
            let hash = leaf_hash(&entry.leaf);
            let stored = StoredEntry {
                index: 0,
                leaf_hash: hash,
                leaf: entry.leaf,
                integrated_time: unix_now(),
            };
            let new = NewEntry {
                entry: stored,
                search_keys: entry.search_keys,
            };
            (
                vec![new],
                vec![(NodeId { level: 0, index: 0 }, hash)],
                hash,
                1,
            )
        }
        None => (Vec::new(), Vec::new(), tlog_core::empty_root(), 0),
    };
    let checkpoint = signer
        .sign_checkpoint(size, &root)
        .map_err(OpenError::Signing)?;
    let head = StoredHead {
        size,
        root,
        checkpoint,
    };
    let batch = BatchCommit {
        expected_size: 0,
        new_head: head.clone(),
        entries,
        nodes,
    };
    match storage.commit_batch(&batch).await? {
        CommitOutcome::Committed => Ok(head),
        // Another process created it first: use theirs.
        CommitOutcome::Conflict => storage.load_head().await?.ok_or_else(|| {
            StorageError::Corrupt("log creation conflicted but no head exists".into()).into()
        }),
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

impl Inner {
    fn current_head(&self) -> Arc<StoredHead> {
        self.head.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn advance_head(&self, head: Arc<StoredHead>) -> Arc<StoredHead> {
        let mut guard = self.head.write().unwrap_or_else(|e| e.into_inner());
        if head.size > guard.size {
            *guard = head;
        }
        guard.clone()
    }

    async fn reload_head(&self) -> Result<Arc<StoredHead>, StorageError> {
        let stored = self
            .storage
            .load_head()
            .await?
            .ok_or_else(|| StorageError::Corrupt("log head disappeared".into()))?;
        let head = self.advance_head(Arc::new(stored));
        self.metrics.observe_head(&self.config.name, &head);
        Ok(head)
    }

    /// Run a tree computation, fetching whatever nodes the cache lacks (at most a few rounds:
    /// every `tlog-core` computation asks for all its nodes in one read).
    async fn compute<T>(
        &self,
        extra: &mut HashMap<NodeId, Hash>,
        f: impl Fn(&crate::cache::CacheReader<'_>) -> Result<T, ProofError<NotCached>>,
    ) -> Result<T, ReadError> {
        for _ in 0..4 {
            let missing = match self.cache.try_compute(extra, &f) {
                Ok(value) => return Ok(value),
                Err(Attempt::Missing(missing)) => missing,
                Err(Attempt::Failed(err)) => return Err(ReadError::BadRequest(err.to_string())),
            };
            let hashes = self
                .storage
                .read_nodes(&missing)
                .await
                .map_err(read_storage)?;
            if hashes.len() != missing.len() {
                return Err(ReadError::Storage(format!(
                    "asked for {} nodes, storage returned {}",
                    missing.len(),
                    hashes.len()
                )));
            }
            let fetched: Vec<(NodeId, Hash)> = missing.into_iter().zip(hashes).collect();
            // Upper nodes were complete before this process started (or appended by another
            // process): without this, every proof after a restart read them again.
            self.cache.remember(&fetched);
            extra.extend(fetched);
        }
        Err(ReadError::Storage("node reads did not converge".into()))
    }

    /// One sequencing round over `batch` against the current head.
    async fn sequence(&self, batch: &[Pending]) -> Result<Round, AppendError> {
        let head = self.current_head();
        let hashes: Vec<Hash> = batch.iter().map(|p| p.leaf_hash).collect();
        let stored = self
            .storage
            .find_leaf_hashes(&hashes)
            .await
            .map_err(|e| AppendError::Storage(e.to_string()))?;

        // Decide each pending entry's fate: an existing index, a new index, or a duplicate of an
        // earlier entry of this batch.
        let mut fates = Vec::with_capacity(batch.len());
        let mut first_in_batch: HashMap<Hash, usize> = HashMap::new();
        let mut new_entries = Vec::new();
        let integrated_time = unix_now();
        for (i, pending) in batch.iter().enumerate() {
            if let Some(Some(index)) = stored.get(i) {
                fates.push(Fate::Existing(*index));
            } else if let Some(&first) = first_in_batch.get(&pending.leaf_hash) {
                fates.push(Fate::SameAs(first));
            } else {
                let index = head.size + new_entries.len() as u64;
                first_in_batch.insert(pending.leaf_hash, i);
                fates.push(Fate::New(index));
                new_entries.push(NewEntry {
                    entry: StoredEntry {
                        index,
                        leaf_hash: pending.leaf_hash,
                        leaf: pending.leaf.clone(),
                        integrated_time,
                    },
                    search_keys: pending.search_keys.clone(),
                });
            }
        }
        if new_entries.is_empty() {
            return Ok(Round::Done {
                fates,
                head,
                integrated_time,
            });
        }

        let new_hashes: Vec<Hash> = new_entries.iter().map(|e| e.entry.leaf_hash).collect();
        let old_size = head.size;
        let new_size = old_size + new_hashes.len() as u64;
        let mut extra = HashMap::new();
        let nodes = self
            .compute(&mut extra, |r| append_hashes(old_size, &new_hashes, r))
            .await
            .map_err(|e| AppendError::Proof(e.to_string()))?;
        extra.extend(nodes.iter().copied());
        let root = self
            .compute(&mut extra, |r| tree_root(new_size, r))
            .await
            .map_err(|e| AppendError::Proof(e.to_string()))?;
        let checkpoint = self
            .signer
            .sign_checkpoint(new_size, &root)
            .map_err(AppendError::Signing)?;
        let new_head = StoredHead {
            size: new_size,
            root,
            checkpoint,
        };
        let commit = BatchCommit {
            expected_size: old_size,
            new_head,
            entries: new_entries,
            nodes,
        };
        let started = Instant::now();
        let outcome = self
            .storage
            .commit_batch(&commit)
            .await
            .map_err(|e| AppendError::Storage(e.to_string()))?;
        self.metrics
            .commit_latency(&self.config.name, started.elapsed());
        match outcome {
            CommitOutcome::Conflict => Ok(Round::Conflict),
            CommitOutcome::Committed => {
                self.cache.insert(&commit.nodes, new_size);
                let head = self.advance_head(Arc::new(commit.new_head));
                self.metrics
                    .committed(&self.config.name, commit.entries.len(), &head);
                Ok(Round::Done {
                    fates,
                    head,
                    integrated_time,
                })
            }
        }
    }
}

enum Fate {
    New(u64),
    Existing(u64),
    SameAs(usize),
}

enum Round {
    Done {
        fates: Vec<Fate>,
        head: Arc<StoredHead>,
        integrated_time: i64,
    },
    Conflict,
}

async fn run_sequencer(inner: Arc<Inner>, mut receiver: mpsc::Receiver<Pending>) {
    let max = inner.config.batch_max_entries.max(1);
    while let Some(first) = receiver.recv().await {
        // The wait counts from when the sequencer takes the first entry, so every batch leaves
        // other writers on the same database a window of `batch_wait` between our commits.
        // (Counting from when the entry was queued made batches leave at once under load,
        // +4-9% appends/s with one process, but two processes on one PostgreSQL database then
        // starved each other: `story::two_writers_story` failed with `Contention`.)
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + inner.config.batch_wait;
        while batch.len() < max {
            match receiver.try_recv() {
                Ok(next) => batch.push(next),
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    match tokio::time::timeout_at(deadline, receiver.recv()).await {
                        Ok(Some(next)) => batch.push(next),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
        }
        inner.metrics.batch(&inner.config.name, batch.len());
        let queued_for = batch.first().map(|p| p.enqueued.elapsed());
        tracing::trace!(entries = batch.len(), ?queued_for, "sequencing batch");
        process_batch(&inner, batch).await;
    }
}

async fn process_batch(inner: &Inner, batch: Vec<Pending>) {
    let mut attempts = 0;
    let result = loop {
        attempts += 1;
        match inner.sequence(&batch).await {
            Ok(Round::Conflict) => {
                inner.metrics.conflict(&inner.config.name);
                if attempts >= inner.config.max_commit_attempts {
                    break Err(AppendError::Contention);
                }
                if let Err(e) = inner.reload_head().await {
                    break Err(AppendError::Storage(e.to_string()));
                }
            }
            Ok(Round::Done {
                fates,
                head,
                integrated_time,
            }) => break Ok((fates, head, integrated_time)),
            Err(err) => break Err(err),
        }
    };
    match result {
        Ok((fates, head, integrated_time)) => {
            let assigned: Vec<Option<u64>> = fates
                .iter()
                .map(|f| match f {
                    Fate::New(i) => Some(*i),
                    _ => None,
                })
                .collect();
            for (pending, fate) in batch.into_iter().zip(fates) {
                let answer = match fate {
                    Fate::New(index) => Sequenced::New {
                        index,
                        integrated_time,
                        head: head.clone(),
                    },
                    Fate::Existing(index) => Sequenced::Duplicate { index },
                    Fate::SameAs(first) => Sequenced::Duplicate {
                        index: assigned.get(first).copied().flatten().unwrap_or_default(),
                    },
                };
                // The caller may have gone away; the entry is durable either way.
                let _ = pending.reply.send(Ok(answer));
            }
        }
        Err(err) => {
            tracing::error!(log = %inner.config.name, error = %err, entries = batch.len(), "batch failed");
            // The commit may have landed: learn the truth before the next batch.
            if let Err(e) = inner.reload_head().await {
                tracing::error!(log = %inner.config.name, error = %e, "reloading the head failed");
            }
            for pending in batch {
                let _ = pending.reply.send(Err(err.clone()));
            }
        }
    }
}
