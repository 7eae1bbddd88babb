//! The storage contract on SQLite files: the shared storage story, several handles and logs on
//! one file, durability across reopening, and the error paths (corrupt rows, out-of-range values).

use std::path::Path;

use sqlx::Row;
use store_sqlite::{SqliteOpenError, SqliteStore};
use tlog_core::{Hash, MemoryTree, NodeId, leaf_hash};
use tlog_engine::story::storage_story;
use tlog_engine::{BatchCommit, CommitOutcome, StorageError, StoredHead};

async fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path).await.expect("open SQLite store")
}

/// A batch appending `leaves` to `tree` (which is updated), built independently of the engine.
fn batch(tree: &mut MemoryTree, leaves: &[&str], keys: &[&str]) -> BatchCommit {
    let leaves: Vec<Vec<u8>> = leaves.iter().map(|l| l.as_bytes().to_vec()).collect();
    tlog_engine::story::batch_appending(tree, &leaves, 1_700_000_000, keys)
}

#[tokio::test]
async fn sqlite_passes_the_storage_story_with_a_second_store_on_the_same_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("log.db");
    let first = open(&path).await;
    let second = open(&path).await;
    storage_story(first.log("rekor"), second.log("rekor")).await;
}

#[tokio::test]
async fn logs_sharing_a_file_are_independent() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("log.db");
    let store = open(&path).await;
    let reopened = open(&path).await;
    // The same story (the same leaves, keys and nodes) runs twice, under two names.
    storage_story(store.log("rekor"), reopened.log("rekor")).await;
    storage_story(store.log("ct"), reopened.log("ct")).await;
    let rekor = store
        .log("rekor")
        .load_head()
        .await
        .expect("load")
        .expect("head");
    let ct = store
        .log("ct")
        .load_head()
        .await
        .expect("load")
        .expect("head");
    assert_eq!(rekor.size, 3_201);
    assert_eq!(ct.size, 3_201);
    assert!(
        store
            .log("other")
            .load_head()
            .await
            .expect("load")
            .is_none()
    );
}

#[tokio::test]
async fn an_in_memory_store_passes_the_storage_story() {
    let store = SqliteStore::open_url("sqlite::memory:")
        .await
        .expect("open");
    storage_story(store.log("rekor"), store.log("rekor")).await;
}

#[tokio::test]
async fn the_file_is_in_wal_mode_with_full_sync_and_foreign_keys() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir.path().join("log.db")).await;
    for pool in [store.pool(), store.read_pool()] {
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(pool)
            .await
            .expect("journal_mode");
        assert_eq!(mode, "wal");
        let sync: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(pool)
            .await
            .expect("synchronous");
        assert_eq!(sync, 2, "synchronous = FULL");
        let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(pool)
            .await
            .expect("foreign_keys");
        assert_eq!(fk, 1);
    }
    let write = sqlx::query("CREATE TABLE scratch (x INTEGER)")
        .execute(store.read_pool())
        .await;
    assert!(write.is_err(), "the read pool must refuse writes");
}

#[tokio::test]
async fn a_commit_survives_dropping_the_store_without_closing_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("log.db");
    let mut tree = MemoryTree::new();
    let first = batch(&mut tree, &["one", "two", "three"], &["k"]);
    {
        let store = open(&path).await;
        let log = store.log("rekor");
        assert_eq!(
            log.commit_batch(&first).await.expect("commit"),
            CommitOutcome::Committed
        );
        // No close: the store, its pools and connections are simply dropped.
    }
    let store = open(&path).await;
    let log = store.log("rekor");
    assert_eq!(
        log.load_head().await.expect("load"),
        Some(first.new_head.clone())
    );
    assert_eq!(
        log.find_leaf_hashes(&[leaf_hash(b"three"), leaf_hash(b"one")])
            .await
            .expect("find"),
        vec![Some(2), Some(0)]
    );
    assert_eq!(
        log.search_key("k", 10).await.expect("search"),
        vec![0, 1, 2]
    );
    // The engine accepts the reopened tree and carries on from it.
    let engine = tlog_engine::story::open_plain_log(log).await;
    assert_eq!(engine.head().size, 3);
    assert_eq!(engine.root_at(3).await.expect("root"), tree.root());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_stores_on_one_file_appending_at_once_never_fork_the_log() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("log.db");
    let (a, b) = tokio::join!(open(&path), open(&path));
    tlog_engine::story::two_writers_story(a.log("rekor"), b.log("rekor"), b.log("rekor")).await;
}

#[tokio::test]
async fn corrupt_rows_are_reported_as_corrupt() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir.path().join("log.db")).await;
    let log = store.log("rekor");
    let mut tree = MemoryTree::new();
    let commit = batch(&mut tree, &["a", "b"], &[]);
    assert_eq!(
        log.commit_batch(&commit).await.expect("commit"),
        CommitOutcome::Committed
    );

    // Damage the stored data behind the adapter's back (the CHECK constraints would refuse it).
    let mut conn = store.pool().acquire().await.expect("connection");
    sqlx::query("PRAGMA ignore_check_constraints = ON")
        .execute(&mut *conn)
        .await
        .expect("pragma");
    sqlx::query("UPDATE log_nodes SET hash = x'0102' WHERE log_name = 'rekor' AND level = 1")
        .execute(&mut *conn)
        .await
        .expect("damage node");
    sqlx::query("UPDATE log_heads SET root_hash = zeroblob(33) WHERE log_name = 'rekor'")
        .execute(&mut *conn)
        .await
        .expect("damage head");
    sqlx::query("UPDATE log_entries SET idx = -5 WHERE log_name = 'rekor' AND idx = 1")
        .execute(&mut *conn)
        .await
        .expect("damage entry");
    drop(conn);

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
    // Nodes that were never written, and ones no i64 can address, are missing.
    for node in [NodeId::new(5, 0), NodeId::new(0, u64::MAX)] {
        match log.read_nodes(&[NodeId::new(0, 0), node]).await {
            Err(StorageError::Corrupt(msg)) => assert!(msg.contains("missing"), "{msg}"),
            other => panic!("missing node {node:?} must be Corrupt, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn values_beyond_i64_and_malformed_batches_are_errors_not_panics() {
    let store = SqliteStore::open_url("sqlite::memory:")
        .await
        .expect("open");
    let log = store.log("rekor");
    let huge = 1u64 << 63;
    let head = StoredHead {
        size: huge,
        root: Hash::default(),
        checkpoint: Vec::new(),
    };
    let too_big = BatchCommit {
        expected_size: huge,
        new_head: head.clone(),
        entries: Vec::new(),
        nodes: Vec::new(),
    };
    match log.commit_batch(&too_big).await {
        Err(StorageError::Backend(msg)) => assert!(msg.contains("64-bit"), "{msg}"),
        other => panic!("a size beyond i64 must be refused, got {other:?}"),
    }
    let mut tree = MemoryTree::new();
    let mut bad_node = batch(&mut tree, &["x"], &[]);
    bad_node.nodes.push((NodeId::new(0, huge), Hash::default()));
    assert!(matches!(
        log.commit_batch(&bad_node).await,
        Err(StorageError::Backend(_))
    ));

    // Malformed batches are part of the storage story.
    assert_eq!(
        log.load_head().await.expect("load"),
        None,
        "nothing was written"
    );
}

#[tokio::test]
async fn repeated_search_keys_of_one_entry_are_stored_once() {
    let store = SqliteStore::open_url("sqlite::memory:")
        .await
        .expect("open");
    let log = store.log("rekor");
    let mut tree = MemoryTree::new();
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
    let store = SqliteStore::open_url("sqlite::memory:")
        .await
        .expect("open");
    let log = store.log("ct");
    let mut tree = MemoryTree::new();
    let empty = batch(&mut tree, &[], &[]);
    assert_eq!(empty.new_head.size, 0);
    assert_eq!(
        log.commit_batch(&empty).await.expect("create"),
        CommitOutcome::Committed
    );
    let first = batch(&mut tree, &["first"], &[]);
    assert_eq!(first.expected_size, 0);
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
async fn opening_errors_name_the_database() {
    let dir = tempfile::tempdir().expect("temp dir");
    let missing = dir.path().join("missing.db");
    let url = format!("sqlite://{}", missing.display());
    match SqliteStore::open_url(&url).await {
        Err(err @ SqliteOpenError::Open { .. }) => {
            assert!(err.to_string().contains("missing.db"), "{err}");
        }
        other => panic!("a missing file without mode=rwc must not be created, got {other:?}"),
    }
    assert!(!missing.exists());
    let created = SqliteStore::open_url(&format!("{url}?mode=rwc")).await;
    assert!(created.is_ok(), "{created:?}");

    let not_a_db = dir.path().join("garbage.db");
    std::fs::write(&not_a_db, vec![0x55u8; 8192]).expect("write garbage");
    match SqliteStore::open(&not_a_db).await {
        Err(err @ (SqliteOpenError::Open { .. } | SqliteOpenError::Migrate { .. })) => {
            assert!(err.to_string().contains("garbage.db"), "{err}");
        }
        other => panic!("a file that is not a database must fail to open, got {other:?}"),
    }
    assert!(matches!(
        SqliteStore::open_url("postgres://nope").await,
        Err(SqliteOpenError::InvalidUrl { .. })
    ));
}

#[tokio::test]
async fn many_stores_opening_a_new_file_at_once_all_succeed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("race.db");
    let opens: Vec<_> = (0..4)
        .map(|_| {
            let path = path.clone();
            tokio::spawn(async move { SqliteStore::open(&path).await })
        })
        .collect();
    for open in opens {
        let store = open
            .await
            .expect("task")
            .expect("every concurrent open succeeds");
        let applied: i64 = sqlx::query("SELECT count(*) FROM _sqlx_migrations")
            .fetch_one(store.read_pool())
            .await
            .expect("count")
            .get(0);
        assert_eq!(applied, 1, "the migration is applied exactly once");
    }
}

/// Every store installs the `page_cache` wrapper before its first connection, so commits skip
/// SQLite's whole-cache walk (see that module); were it not installed, nothing would be
/// counted.
#[tokio::test]
async fn commits_go_through_the_page_cache_wrapper() {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = open(&dir.path().join("log.db")).await;
    let log = store.log("rekor");
    let before = store_sqlite::page_cache::stats();
    let mut tree = MemoryTree::new();
    for round in 0..20 {
        let leaves: Vec<String> = (0..50).map(|i| format!("round {round} leaf {i}")).collect();
        let leaves: Vec<&str> = leaves.iter().map(String::as_str).collect();
        let next = batch(&mut tree, &leaves, &["k"]);
        assert_eq!(
            log.commit_batch(&next).await.expect("commit"),
            CommitOutcome::Committed
        );
    }
    let after = store_sqlite::page_cache::stats();
    assert!(
        after.skipped >= before.skipped + 20,
        "every commit's truncate was skipped: {before:?} -> {after:?}"
    );
}
