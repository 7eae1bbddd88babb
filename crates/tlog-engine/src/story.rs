//! The storage story: one scenario every [`LogStorage`] backend must pass, run by each backend's
//! own tests (in-memory here, SQLite and PostgreSQL in their crates). Enabled by the
//! `test-support` feature.
//!
//! Each step panics with a message naming the broken guarantee.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use tlog_core::{Hash, MemoryTree, NodeId, leaf_hash, verify_consistency, verify_inclusion};

use crate::storage::{
    BatchCommit, CommitOutcome, LogStorage, NewEntry, StorageError, StoredEntry, StoredHead,
};
use crate::{
    AppendOutcome, Appended, CheckpointSigner, EngineMetrics, Log, LogConfig, PendingEntry,
};

/// Signs nothing: the "checkpoint" is `size root` as text. Enough for storage tests.
#[derive(Debug, Default)]
pub struct PlainTextSigner;

impl CheckpointSigner for PlainTextSigner {
    fn sign_checkpoint(&self, size: u64, root: &Hash) -> Result<Vec<u8>, String> {
        Ok(format!("{size}\n{root}\n").into_bytes())
    }
}

/// A batch that appends `leaves` to a tree currently holding `tree` (which is updated), built
/// independently of the engine from a reference tree.
pub fn batch_appending(
    tree: &mut MemoryTree,
    leaves: &[Vec<u8>],
    time: i64,
    keys: &[&str],
) -> BatchCommit {
    let expected_size = tree.size();
    let mut entries = Vec::new();
    let mut nodes = Vec::new();
    for leaf in leaves {
        let index = tree.size();
        let hash = leaf_hash(leaf);
        tree.push(hash);
        for node in tlog_core::nodes_completed_by(index) {
            let hashes = tlog_core::HashReader::read_hashes(&*tree, &[node])
                .expect("reference tree has every completed node");
            nodes.push((node, hashes[0]));
        }
        entries.push(NewEntry {
            entry: StoredEntry {
                index,
                leaf_hash: hash,
                leaf: leaf.clone(),
                integrated_time: time,
            },
            search_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        });
    }
    let root = tree.root();
    let size = tree.size();
    BatchCommit {
        expected_size,
        new_head: StoredHead {
            size,
            root,
            checkpoint: format!("{size}\n{root}\n").into_bytes(),
        },
        entries,
        nodes,
    }
}

/// Run the whole story against a backend holding no log yet. `reopen` gives a second handle on
/// the same stored log (a new connection or process view), used to check what is durable.
pub async fn storage_story(storage: Arc<dyn LogStorage>, reopen: Arc<dyn LogStorage>) {
    assert_eq!(
        storage.load_head().await.expect("load head"),
        None,
        "a new log has no head"
    );

    // Malformed batches (a caller bug) are refused before anything is written.
    let mut skipped = batch_appending(
        &mut MemoryTree::new(),
        &[b"x".to_vec(), b"y".to_vec()],
        1,
        &[],
    );
    skipped.entries[1].entry.index = 5;
    let mut wrong_size = batch_appending(
        &mut MemoryTree::new(),
        &[b"x".to_vec(), b"y".to_vec()],
        1,
        &[],
    );
    wrong_size.new_head.size = 3;
    for malformed in [skipped, wrong_size] {
        match storage.commit_batch(&malformed).await {
            Err(StorageError::Corrupt(_)) => {}
            other => panic!("a malformed batch must be refused as Corrupt, got {other:?}"),
        }
    }
    assert_eq!(
        reopen.load_head().await.expect("load head"),
        None,
        "nothing of a malformed batch is written"
    );

    // Creation, and a second creation losing the race.
    let mut tree = MemoryTree::new();
    let genesis = batch_appending(&mut tree, &[b"genesis".to_vec()], 1_000, &[]);
    assert_eq!(
        storage.commit_batch(&genesis).await.expect("create"),
        CommitOutcome::Committed
    );
    assert_eq!(
        storage.commit_batch(&genesis).await.expect("create again"),
        CommitOutcome::Conflict,
        "creating an existing log must conflict"
    );
    assert_eq!(
        reopen.load_head().await.expect("load").expect("head").size,
        1,
        "the committed head is visible to another handle"
    );

    // A batch against a stale size conflicts and writes nothing.
    let mut stale_tree = MemoryTree::new();
    let stale = batch_appending(&mut stale_tree, &[b"stale".to_vec()], 1_001, &["stale"]);
    assert_eq!(
        storage.commit_batch(&stale).await.expect("stale commit"),
        CommitOutcome::Conflict
    );
    assert!(
        storage
            .search_key("stale", 10)
            .await
            .expect("search")
            .is_empty()
    );

    // A large batch (beyond SQL parameter limits) with search keys.
    let leaves: Vec<Vec<u8>> = (0..3_000)
        .map(|i| format!("leaf {i}").into_bytes())
        .collect();
    let big = batch_appending(
        &mut tree,
        &leaves,
        1_002,
        &["sha256:abc", "alice@example.com"],
    );
    assert_eq!(
        storage.commit_batch(&big).await.expect("big batch"),
        CommitOutcome::Committed
    );
    let head = reopen.load_head().await.expect("load").expect("head");
    assert_eq!(head, big.new_head, "head round-trips exactly");

    // A batch repeating a stored leaf conflicts as a whole and writes nothing.
    let mut dup_tree = tree.clone();
    let dup = batch_appending(
        &mut dup_tree,
        &[b"fresh".to_vec(), b"leaf 7".to_vec()],
        1_003,
        &["dup"],
    );
    assert_eq!(
        storage.commit_batch(&dup).await.expect("dup batch"),
        CommitOutcome::Conflict,
        "a leaf that is already stored must make the batch conflict"
    );
    assert_eq!(
        storage.load_head().await.expect("load").expect("head").size,
        3_001
    );
    assert_eq!(
        storage
            .find_leaf_hashes(&[leaf_hash(b"fresh")])
            .await
            .expect("find"),
        vec![None],
        "nothing of a conflicting batch is written"
    );

    // Entries read back exactly.
    let entry = reopen
        .entry_by_index(1_234)
        .await
        .expect("read")
        .expect("entry");
    assert_eq!(entry.index, 1_234);
    assert_eq!(entry.leaf, b"leaf 1233");
    assert_eq!(entry.leaf_hash, leaf_hash(b"leaf 1233"));
    assert_eq!(entry.integrated_time, 1_002);
    assert_eq!(reopen.entry_by_index(3_001).await.expect("read"), None);
    assert_eq!(reopen.entry_by_index(u64::MAX).await.expect("read"), None);

    // Leaf lookup in one call, order preserved, unknown ones absent.
    let found = reopen
        .find_leaf_hashes(&[
            leaf_hash(b"leaf 10"),
            leaf_hash(b"nope"),
            leaf_hash(b"genesis"),
        ])
        .await
        .expect("find");
    assert_eq!(found, vec![Some(11), None, Some(0)]);

    // Search keys: ascending, limited.
    let hits = reopen
        .search_key("alice@example.com", 5)
        .await
        .expect("search");
    assert_eq!(hits, vec![1, 2, 3, 4, 5]);
    assert_eq!(
        reopen
            .search_key("sha256:abc", 10_000)
            .await
            .expect("search")
            .len(),
        3_000
    );
    assert!(
        reopen
            .search_key("bob@example.com", 5)
            .await
            .expect("search")
            .is_empty()
    );

    // Nodes: every completed node readable in one call, in the order asked; a missing one is an error.
    let wanted = [
        NodeId {
            level: 11,
            index: 0,
        },
        NodeId {
            level: 0,
            index: 3_000,
        },
        NodeId {
            level: 3,
            index: 100,
        },
    ];
    let got = reopen.read_nodes(&wanted).await.expect("read nodes");
    let expected = tlog_core::HashReader::read_hashes(&tree, &wanted).expect("reference");
    assert_eq!(got, expected);
    match reopen
        .read_nodes(&[NodeId {
            level: 12,
            index: 0,
        }])
        .await
    {
        Err(StorageError::Corrupt(_)) => {}
        other => panic!("a node that was never written must be Corrupt, got {other:?}"),
    }

    // The engine over this storage: appends through it are durable and provable.
    let log = Log::open(
        storage.clone(),
        Arc::new(PlainTextSigner),
        LogConfig::default(),
        EngineMetrics::unregistered(),
        None,
    )
    .await
    .expect("engine opens the stored log");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            log.append(PendingEntry {
                leaf: format!("engine {i}").into_bytes(),
                search_keys: vec!["engine".to_owned()],
            })
            .await
        }));
    }
    for task in tasks {
        match task.await.expect("task").expect("append") {
            AppendOutcome::Appended(a) => {
                verify_inclusion(
                    &a.leaf_hash,
                    a.index,
                    a.head.size,
                    &a.inclusion_proof,
                    &a.head.root,
                )
                .expect("proof verifies");
            }
            AppendOutcome::Duplicate { index } => panic!("unexpected duplicate {index}"),
        }
    }
    let reopened = Log::open(
        reopen.clone(),
        Arc::new(PlainTextSigner),
        LogConfig::default(),
        EngineMetrics::unregistered(),
        None,
    )
    .await
    .expect("a second handle opens and checks the stored tree");
    assert_eq!(reopened.head().size, 3_201);
    assert_eq!(
        reopen
            .search_key("engine", 1_000)
            .await
            .expect("search")
            .len(),
        200
    );
}

/// Passes every call through and counts the commits that lost the compare-and-swap, so a test
/// can prove that two writers really raced.
#[derive(Debug)]
pub struct ConflictCounter {
    inner: Arc<dyn LogStorage>,
    conflicts: AtomicU64,
}

impl ConflictCounter {
    /// Wrap `inner`.
    pub fn new(inner: Arc<dyn LogStorage>) -> Self {
        ConflictCounter {
            inner,
            conflicts: AtomicU64::new(0),
        }
    }

    /// Commits that returned [`CommitOutcome::Conflict`] so far.
    pub fn conflicts(&self) -> u64 {
        self.conflicts.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl LogStorage for ConflictCounter {
    async fn load_head(&self) -> Result<Option<StoredHead>, StorageError> {
        self.inner.load_head().await
    }

    async fn commit_batch(&self, batch: &BatchCommit) -> Result<CommitOutcome, StorageError> {
        let outcome = self.inner.commit_batch(batch).await?;
        if outcome == CommitOutcome::Conflict {
            self.conflicts.fetch_add(1, Ordering::SeqCst);
        }
        Ok(outcome)
    }

    async fn read_nodes(&self, nodes: &[NodeId]) -> Result<Vec<Hash>, StorageError> {
        self.inner.read_nodes(nodes).await
    }

    async fn entry_by_index(&self, index: u64) -> Result<Option<StoredEntry>, StorageError> {
        self.inner.entry_by_index(index).await
    }

    async fn find_leaf_hashes(&self, hashes: &[Hash]) -> Result<Vec<Option<u64>>, StorageError> {
        self.inner.find_leaf_hashes(hashes).await
    }

    async fn search_key(&self, key: &str, limit: usize) -> Result<Vec<u64>, StorageError> {
        self.inner.search_key(key, limit).await
    }
}

/// A log over `storage` with [`PlainTextSigner`] and default tuning, created empty if new.
pub async fn open_plain_log(storage: Arc<dyn LogStorage>) -> Log {
    Log::open(
        storage,
        Arc::new(PlainTextSigner),
        LogConfig::default(),
        EngineMetrics::unregistered(),
        None,
    )
    .await
    .expect("engine opens the log")
}

/// Two engines (`a` and `b`: two handles on ONE stored log, as two processes would have) append
/// 400 entries at once, four writers each. The log must not fork: every index is handed out once,
/// every returned proof verifies, every returned head is a prefix of the final tree, and the two
/// must really have raced (some commits lost the compare-and-swap). `reader` is a third handle.
pub async fn two_writers_story(
    a: Arc<dyn LogStorage>,
    b: Arc<dyn LogStorage>,
    reader: Arc<dyn LogStorage>,
) {
    let storage_a = Arc::new(ConflictCounter::new(a));
    let storage_b = Arc::new(ConflictCounter::new(b));
    let (log_a, log_b) = tokio::join!(
        open_plain_log(storage_a.clone()),
        open_plain_log(storage_b.clone())
    );
    // Each writer appends one entry after another: both sequencers commit many small batches,
    // so each keeps finding its head stale.
    let mut writers = Vec::new();
    for writer in 0..8 {
        let log = if writer % 2 == 0 {
            log_a.clone()
        } else {
            log_b.clone()
        };
        writers.push(tokio::spawn(async move {
            let mut appended = Vec::new();
            for i in 0..50 {
                let leaf = format!("writer {writer} entry {i}");
                let outcome = log
                    .append(PendingEntry {
                        leaf: leaf.clone().into_bytes(),
                        search_keys: vec!["both".to_owned()],
                    })
                    .await
                    .expect("append");
                match outcome {
                    AppendOutcome::Appended(a) => appended.push((leaf, a)),
                    AppendOutcome::Duplicate { index } => panic!("unexpected duplicate {index}"),
                }
            }
            appended
        }));
    }
    let mut results: Vec<(String, Appended)> = Vec::new();
    for writer in writers {
        results.extend(writer.await.expect("writer"));
    }
    assert!(
        storage_a.conflicts() + storage_b.conflicts() > 0,
        "the two writers never raced; the story proves nothing"
    );
    let mut indexes: Vec<u64> = results.iter().map(|(_, a)| a.index).collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(
        indexes,
        (0..400).collect::<Vec<u64>>(),
        "every index handed out once"
    );

    let final_head = log_a.refresh_head().await.expect("refresh");
    assert_eq!(final_head.size, 400);
    for (leaf, appended) in &results {
        verify_inclusion(
            &leaf_hash(leaf.as_bytes()),
            appended.index,
            appended.head.size,
            &appended.inclusion_proof,
            &appended.head.root,
        )
        .expect("inclusion proof verifies");
        let stored = reader
            .entry_by_index(appended.index)
            .await
            .expect("read")
            .expect("entry");
        assert_eq!(
            stored.leaf,
            leaf.as_bytes(),
            "the stored entry is the appended one"
        );
        let proof = log_b
            .consistency_proof(appended.head.size, final_head.size)
            .await
            .expect("consistency proof");
        verify_consistency(
            appended.head.size,
            final_head.size,
            &appended.head.root,
            &final_head.root,
            &proof,
        )
        .expect("every returned head is a prefix of the final tree");
    }
    assert_eq!(
        reader
            .search_key("both", 1_000)
            .await
            .expect("search")
            .len(),
        400
    );
}
