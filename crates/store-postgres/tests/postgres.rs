//! The storage contract on PostgreSQL: the shared storage story with a second pool, two pools
//! (two processes) appending at once, concurrent migration, durability settings and the error
//! paths. Each test runs in a database of its own (see `common`).

mod common;

use common::TestDb;
use store_postgres::{PostgresOpenError, PostgresStore};
use tlog_core::{Hash, MemoryTree, NodeId, leaf_hash};
use tlog_engine::story::storage_story;
use tlog_engine::{BatchCommit, CommitOutcome, StorageError, StoredHead};

async fn connect(db: &TestDb) -> PostgresStore {
    PostgresStore::connect(&db.url)
        .await
        .expect("connect to the test database")
}

/// A batch appending `leaves` to `tree` (which is updated), built independently of the engine.
fn batch(tree: &mut MemoryTree, leaves: &[&str], keys: &[&str]) -> BatchCommit {
    let leaves: Vec<Vec<u8>> = leaves.iter().map(|l| l.as_bytes().to_vec()).collect();
    tlog_engine::story::batch_appending(tree, &leaves, 1_700_000_000, keys)
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
    tlog_engine::story::two_writers_story(a.log("rekor"), b.log("rekor"), b.log("rekor")).await;
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
    // Malformed batches are part of the storage story.
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
