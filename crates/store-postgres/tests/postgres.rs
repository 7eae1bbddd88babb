//! The storage contract on PostgreSQL: the shared storage story with a second pool, two pools
//! (two processes) appending at once, concurrent migration, durability settings and the error
//! paths. Each test runs in a database of its own (see `common`).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;

use common::TestDb;
use store_postgres::{PostgresOpenError, PostgresStore};
use tlog_core::{Hash, MemoryTree, NodeId, leaf_hash, verify_consistency, verify_inclusion};
use tlog_engine::story::{PlainTextSigner, storage_story};
use tlog_engine::{
    AppendOutcome, Appended, BatchCommit, CommitOutcome, EngineMetrics, Log, LogConfig, LogStorage,
    NewEntry, PendingEntry, StorageError, StoredEntry, StoredHead,
};

async fn connect(db: &TestDb) -> PostgresStore {
    PostgresStore::connect(&db.url)
        .await
        .expect("connect to the test database")
}

/// A batch appending `leaves` to `tree` (which is updated), built independently of the engine.
fn batch(tree: &mut MemoryTree, leaves: &[&str], keys: &[&str]) -> BatchCommit {
    let expected_size = tree.size();
    let mut entries = Vec::new();
    let mut nodes = Vec::new();
    for leaf in leaves {
        let index = tree.size();
        let hash = leaf_hash(leaf.as_bytes());
        tree.push(hash);
        for node in tlog_core::nodes_completed_by(index) {
            let hashes = tlog_core::HashReader::read_hashes(&*tree, &[node]).expect("node");
            nodes.push((node, hashes[0]));
        }
        entries.push(NewEntry {
            entry: StoredEntry {
                index,
                leaf_hash: hash,
                leaf: leaf.as_bytes().to_vec(),
                integrated_time: 1_700_000_000,
            },
            search_keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        });
    }
    BatchCommit {
        expected_size,
        new_head: StoredHead {
            size: tree.size(),
            root: tree.root(),
            checkpoint: format!("checkpoint {}", tree.size()).into_bytes(),
        },
        entries,
        nodes,
    }
}

async fn open_log(storage: Arc<dyn LogStorage>) -> Log {
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

/// Passes every call through and counts the commits that lost the compare-and-swap.
#[derive(Debug)]
struct CountingStorage {
    inner: Arc<dyn LogStorage>,
    conflicts: AtomicU64,
}

impl CountingStorage {
    fn new(inner: Arc<dyn LogStorage>) -> Self {
        CountingStorage {
            inner,
            conflicts: AtomicU64::new(0),
        }
    }

    fn conflicts(&self) -> u64 {
        self.conflicts.load(Ordering::SeqCst)
    }
}

#[async_trait]
impl LogStorage for CountingStorage {
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

#[tokio::test]
async fn postgres_passes_the_storage_story_with_a_second_pool() {
    let Some(db) = TestDb::create("postgres_passes_the_storage_story").await else {
        return;
    };
    let first = connect(&db).await;
    let second = connect(&db).await;
    storage_story(first.log("rekor"), second.log("rekor")).await;
    // A second log in the same database starts empty and runs the same story undisturbed.
    storage_story(first.log("ct"), second.log("ct")).await;
    let rekor = second
        .log("rekor")
        .load_head()
        .await
        .expect("load")
        .expect("head");
    assert_eq!(rekor.size, 3_201);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_pools_appending_at_once_never_fork_the_log() {
    let Some(db) = TestDb::create("two_pools_appending_at_once").await else {
        return;
    };
    // Two pools connecting (and migrating) at the same moment, like two processes starting.
    let (a, b) = tokio::join!(connect(&db), connect(&db));
    let storage_a = Arc::new(CountingStorage::new(a.log("rekor")));
    let storage_b = Arc::new(CountingStorage::new(b.log("rekor")));
    let (log_a, log_b) = tokio::join!(open_log(storage_a.clone()), open_log(storage_b.clone()));
    // Eight writers, four per store, each appending one entry after another: both sequencers
    // commit many small batches, so each keeps finding its head stale.
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
    let conflicts = storage_a.conflicts() + storage_b.conflicts();
    assert!(
        conflicts > 0,
        "the two stores never raced; the test proves nothing"
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
    let reader = b.log("rekor");
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

#[tokio::test]
async fn many_processes_migrating_at_once_apply_the_schema_once() {
    let Some(db) = TestDb::create("many_processes_migrating_at_once").await else {
        return;
    };
    let connects: Vec<_> = (0..4)
        .map(|_| {
            let url = db.url.clone();
            tokio::spawn(async move { PostgresStore::connect(&url).await })
        })
        .collect();
    for connect in connects {
        let store = connect
            .await
            .expect("task")
            .expect("every concurrent connect succeeds");
        let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(store.pool())
            .await
            .expect("count");
        assert_eq!(applied, 1, "the migration is applied exactly once");
    }
}

#[tokio::test]
async fn sessions_commit_synchronously_even_when_the_server_default_is_off() {
    let Some(db) = TestDb::create("sessions_commit_synchronously").await else {
        return;
    };
    {
        let store = connect(&db).await;
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "ALTER DATABASE \"{}\" SET synchronous_commit = off",
            db.name
        )))
        .execute(store.pool())
        .await
        .expect("alter database");
        store.close().await;
    }
    let store = connect(&db).await;
    let mut conn = store.pool().acquire().await.expect("connection");
    let setting: String = sqlx::query_scalar("SHOW synchronous_commit")
        .fetch_one(&mut *conn)
        .await
        .expect("show");
    assert_eq!(setting, "on");
    let default: String =
        sqlx::query_scalar("SELECT reset_val FROM pg_settings WHERE name = 'synchronous_commit'")
            .fetch_one(&mut *conn)
            .await
            .expect("reset value");
    assert_eq!(
        default, "off",
        "the test really changed the database default"
    );
}

#[tokio::test]
async fn corrupt_rows_are_reported_as_corrupt() {
    let Some(db) = TestDb::create("corrupt_rows_are_reported_as_corrupt").await else {
        return;
    };
    let store = connect(&db).await;
    let log = store.log("rekor");
    let mut tree = MemoryTree::new();
    let commit = batch(&mut tree, &["a", "b"], &[]);
    assert_eq!(
        log.commit_batch(&commit).await.expect("commit"),
        CommitOutcome::Committed
    );

    // Damage the stored data behind the adapter's back (the CHECK constraints would refuse it).
    for statement in [
        "ALTER TABLE log_nodes DROP CONSTRAINT log_nodes_hash_check",
        "ALTER TABLE log_heads DROP CONSTRAINT log_heads_root_hash_check",
        "ALTER TABLE log_entries DROP CONSTRAINT log_entries_idx_check",
        "UPDATE log_nodes SET hash = '\\x0102' WHERE log_name = 'rekor' AND level = 1",
        "UPDATE log_heads SET root_hash = decode(repeat('00', 33), 'hex') WHERE log_name = 'rekor'",
        "UPDATE log_entries SET idx = -5 WHERE log_name = 'rekor' AND idx = 1",
    ] {
        sqlx::query(statement)
            .execute(store.pool())
            .await
            .unwrap_or_else(|e| panic!("{statement}: {e}"));
    }

    match log
        .read_nodes(&[NodeId::new(0, 0), NodeId::new(1, 0)])
        .await
    {
        Err(StorageError::Corrupt(msg)) => assert!(msg.contains("2 bytes"), "{msg}"),
        other => panic!("a 2-byte node hash must be Corrupt, got {other:?}"),
    }
    match log.load_head().await {
        Err(StorageError::Corrupt(msg)) => assert!(msg.contains("33 bytes"), "{msg}"),
        other => panic!("a 33-byte root must be Corrupt, got {other:?}"),
    }
    match log.find_leaf_hashes(&[leaf_hash(b"b")]).await {
        Err(StorageError::Corrupt(msg)) => assert!(msg.contains("negative"), "{msg}"),
        other => panic!("a negative index must be Corrupt, got {other:?}"),
    }
    for node in [NodeId::new(5, 0), NodeId::new(0, u64::MAX)] {
        match log.read_nodes(&[NodeId::new(0, 0), node]).await {
            Err(StorageError::Corrupt(msg)) => assert!(msg.contains("missing"), "{msg}"),
            other => panic!("missing node {node:?} must be Corrupt, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn values_beyond_i64_and_malformed_batches_are_errors_not_panics() {
    let Some(db) = TestDb::create("values_beyond_i64").await else {
        return;
    };
    let store = connect(&db).await;
    let log = store.log("rekor");
    let huge = 1u64 << 63;
    let too_big = BatchCommit {
        expected_size: huge,
        new_head: StoredHead {
            size: huge,
            root: Hash::default(),
            checkpoint: Vec::new(),
        },
        entries: Vec::new(),
        nodes: Vec::new(),
    };
    match log.commit_batch(&too_big).await {
        Err(StorageError::Backend(msg)) => assert!(msg.contains("bigint"), "{msg}"),
        other => panic!("a size beyond i64 must be refused, got {other:?}"),
    }
    let mut tree = MemoryTree::new();
    let mut bad_node = batch(&mut tree, &["x"], &[]);
    bad_node.nodes.push((NodeId::new(0, huge), Hash::default()));
    assert!(matches!(
        log.commit_batch(&bad_node).await,
        Err(StorageError::Backend(_))
    ));
    let mut tree = MemoryTree::new();
    let mut skipped = batch(&mut tree, &["x", "y"], &[]);
    skipped.entries[1].entry.index = 5;
    assert!(matches!(
        log.commit_batch(&skipped).await,
        Err(StorageError::Corrupt(_))
    ));
    let mut tree = MemoryTree::new();
    let mut wrong_size = batch(&mut tree, &["x", "y"], &[]);
    wrong_size.new_head.size = 3;
    assert!(matches!(
        log.commit_batch(&wrong_size).await,
        Err(StorageError::Corrupt(_))
    ));
    assert_eq!(
        log.load_head().await.expect("load"),
        None,
        "nothing was written"
    );
    assert_eq!(log.entry_by_index(u64::MAX).await.expect("read"), None);
    assert_eq!(
        log.read_nodes(&[]).await.expect("no nodes"),
        Vec::<Hash>::new()
    );
    assert_eq!(
        log.find_leaf_hashes(&[]).await.expect("no hashes"),
        Vec::new()
    );
}

#[tokio::test]
async fn search_keys_may_repeat_and_hold_any_bytes() {
    let Some(db) = TestDb::create("search_keys_may_repeat").await else {
        return;
    };
    let store = connect(&db).await;
    let log = store.log("rekor");
    let mut tree = MemoryTree::new();
    // PostgreSQL `text` cannot hold NUL; one such key must not fail the whole batch.
    let commit = batch(&mut tree, &["a", "b"], &["k", "k", "nul\0key"]);
    assert_eq!(
        log.commit_batch(&commit).await.expect("commit"),
        CommitOutcome::Committed
    );
    assert_eq!(log.search_key("k", 10).await.expect("search"), vec![0, 1]);
    assert_eq!(
        log.search_key("nul\0key", 10).await.expect("search"),
        vec![0, 1]
    );
    assert_eq!(
        log.search_key("nul", 10).await.expect("search"),
        Vec::<u64>::new()
    );
    assert_eq!(
        log.search_key("k", 0).await.expect("search"),
        Vec::<u64>::new()
    );
}

#[tokio::test]
async fn an_empty_log_is_created_once_and_then_extended() {
    let Some(db) = TestDb::create("an_empty_log_is_created_once").await else {
        return;
    };
    let store = connect(&db).await;
    let log = store.log("ct");
    let mut tree = MemoryTree::new();
    let empty = batch(&mut tree, &[], &[]);
    assert_eq!(
        log.commit_batch(&empty).await.expect("create"),
        CommitOutcome::Committed
    );
    let first = batch(&mut tree, &["first"], &[]);
    assert_eq!(
        log.commit_batch(&first).await.expect("extend"),
        CommitOutcome::Committed
    );
    assert_eq!(
        log.commit_batch(&first).await.expect("again"),
        CommitOutcome::Conflict,
        "a second batch from size 0 must conflict once the log has grown"
    );
    assert_eq!(log.load_head().await.expect("load"), Some(first.new_head));
}

#[tokio::test]
async fn connection_errors_name_the_server_but_not_the_password() {
    let err = PostgresStore::connect("postgres://cairn:hunter2@127.0.0.1:1/cairn")
        .await
        .expect_err("nothing listens on port 1");
    let text = err.to_string();
    assert!(matches!(err, PostgresOpenError::Connect { .. }), "{err:?}");
    assert!(text.contains("127.0.0.1:1/cairn"), "{text}");
    assert!(!text.contains("hunter2"), "{text}");

    let err = PostgresStore::connect("postgres://cairn:hunter2@[::1/cairn")
        .await
        .expect_err("not a URL");
    let text = err.to_string();
    assert!(
        matches!(err, PostgresOpenError::InvalidUrl { .. }),
        "{err:?}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn test_database_urls_keep_everything_but_the_database() {
    use common::with_database;
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@h/db?sslmode=disable", "t1"),
        "postgres://u:p@h/t1?sslmode=disable"
    );
    assert_eq!(with_database("postgres://h", "t1"), "postgres://h/t1");
}
