//! The engine's promises, checked against the in-memory backend (faults included) and an
//! independent Merkle tree (`tlog_core::MemoryTree`).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tlog_core::{Hash, MemoryTree, leaf_hash, verify_consistency, verify_inclusion};
use tlog_engine::memory::{CommitFault, MemoryStorage};
use tlog_engine::{
    AppendError, AppendOutcome, Appended, CheckpointSigner, EngineMetrics, Log, LogConfig,
    LogStorage, OpenError, PendingEntry, ReadError,
};

/// Writes `size root` as the "checkpoint" and counts signatures.
#[derive(Debug, Default)]
struct CountingSigner {
    signed: AtomicUsize,
}

impl CheckpointSigner for CountingSigner {
    fn sign_checkpoint(&self, size: u64, root: &Hash) -> Result<Vec<u8>, String> {
        self.signed.fetch_add(1, Ordering::SeqCst);
        Ok(format!("{size} {root}").into_bytes())
    }
}

fn entry(text: &str) -> PendingEntry {
    PendingEntry {
        leaf: text.as_bytes().to_vec(),
        search_keys: vec![format!("key:{}", text.len() % 3)],
    }
}

async fn open(storage: Arc<MemoryStorage>, signer: Arc<CountingSigner>) -> Log {
    Log::open(
        storage,
        signer,
        LogConfig::default(),
        EngineMetrics::unregistered(),
        Some(entry("genesis")),
    )
    .await
    .expect("open log")
}

fn appended(outcome: AppendOutcome) -> Appended {
    match outcome {
        AppendOutcome::Appended(a) => a,
        AppendOutcome::Duplicate { index } => panic!("unexpected duplicate of {index}"),
    }
}

fn check_proof(a: &Appended, leaf: &[u8]) {
    assert_eq!(a.leaf_hash, leaf_hash(leaf));
    verify_inclusion(
        &a.leaf_hash,
        a.index,
        a.head.size,
        &a.inclusion_proof,
        &a.head.root,
    )
    .expect("returned proof verifies against the returned head");
    let expected = format!("{} {}", a.head.size, a.head.root);
    assert_eq!(
        a.head.checkpoint,
        expected.as_bytes(),
        "head carries its signed checkpoint"
    );
}

#[tokio::test]
async fn a_new_log_holds_its_genesis_entry_at_index_zero() {
    let storage = Arc::new(MemoryStorage::new());
    let log = open(storage.clone(), Arc::default()).await;
    assert_eq!(log.head().size, 1);
    let genesis = log.entry(0).await.expect("read").expect("genesis exists");
    assert_eq!(genesis.leaf, b"genesis");
    assert_eq!(log.head().root, leaf_hash(b"genesis"));
    let first = appended(log.append(entry("first")).await.expect("append"));
    assert_eq!(first.index, 1, "no client is ever handed index 0");
    check_proof(&first, b"first");
}

#[tokio::test]
async fn concurrent_appends_are_batched_and_match_an_independent_tree() {
    let storage = Arc::new(MemoryStorage::new());
    let signer = Arc::new(CountingSigner::default());
    let log = open(storage.clone(), signer.clone()).await;
    let count = 600;
    let mut tasks = Vec::new();
    for i in 0..count {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            let text = format!("entry {i}");
            let a = appended(log.append(entry(&text)).await.expect("append"));
            check_proof(&a, text.as_bytes());
            (a.index, text)
        }));
    }
    let mut by_index = Vec::new();
    for task in tasks {
        by_index.push(task.await.expect("task"));
    }
    by_index.sort();
    let indexes: Vec<u64> = by_index.iter().map(|(i, _)| *i).collect();
    assert_eq!(
        indexes,
        (1..=count).collect::<Vec<u64>>(),
        "dense, unique indexes"
    );

    // Independent reference: the same leaves in index order.
    let mut reference = MemoryTree::new();
    reference.push(leaf_hash(b"genesis"));
    for (_, text) in &by_index {
        reference.push(leaf_hash(text.as_bytes()));
    }
    let head = log.head();
    assert_eq!(head.size, count + 1);
    assert_eq!(head.root, reference.root());
    assert_eq!(
        log.root_at(head.size).await.expect("root"),
        reference.root()
    );

    let signatures = signer.signed.load(Ordering::SeqCst);
    let commits = storage.commit_count();
    assert!(
        commits < count / 2,
        "{commits} commits for {count} entries: appends were not batched"
    );
    assert_eq!(
        signatures as u64, commits,
        "one checkpoint signature per batch"
    );

    // Every stored entry reads back, and search keys index them.
    for (index, text) in &by_index {
        let stored = log.entry(*index).await.expect("read").expect("stored");
        assert_eq!(stored.leaf, text.as_bytes());
    }
    let found = log.search("key:0", 10_000).await.expect("search");
    assert!(found.len() > 100, "search key index populated");
}

#[tokio::test]
async fn duplicates_are_found_across_and_within_batches() {
    let storage = Arc::new(MemoryStorage::new());
    let log = open(storage, Arc::default()).await;
    let first = appended(log.append(entry("same")).await.expect("append"));
    match log.append(entry("same")).await.expect("append") {
        AppendOutcome::Duplicate { index } => assert_eq!(index, first.index),
        AppendOutcome::Appended(a) => panic!("appended twice at {}", a.index),
    }
    // Many copies at once land in one batch: exactly one is appended.
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let log = log.clone();
        tasks.push(tokio::spawn(
            async move { log.append(entry("burst")).await },
        ));
    }
    let mut new_index = None;
    let mut duplicates = Vec::new();
    for task in tasks {
        match task.await.expect("task").expect("append") {
            AppendOutcome::Appended(a) => {
                assert!(new_index.is_none(), "appended more than once");
                new_index = Some(a.index);
            }
            AppendOutcome::Duplicate { index } => duplicates.push(index),
        }
    }
    let new_index = new_index.expect("one copy appended");
    assert_eq!(duplicates.len(), 19);
    assert!(
        duplicates.iter().all(|&i| i == new_index),
        "{duplicates:?} vs {new_index}"
    );
    assert_eq!(log.head().size, 3);
}

#[tokio::test]
async fn a_failed_commit_appends_nothing_and_the_log_carries_on() {
    let storage = Arc::new(MemoryStorage::new());
    let log = open(storage.clone(), Arc::default()).await;
    storage.inject_commit_fault(CommitFault::FailAndDiscard);
    let err = log
        .append(entry("lost"))
        .await
        .expect_err("injected failure");
    assert!(matches!(err, AppendError::Storage(_)), "{err:?}");
    assert_eq!(log.head().size, 1);
    assert!(log.entry(1).await.expect("read").is_none());
    let next = appended(log.append(entry("lost")).await.expect("retry succeeds"));
    assert_eq!(next.index, 1);
    check_proof(&next, b"lost");
}

#[tokio::test]
async fn an_ambiguous_failure_that_landed_is_recovered_from() {
    let storage = Arc::new(MemoryStorage::new());
    let log = open(storage.clone(), Arc::default()).await;
    storage.inject_commit_fault(CommitFault::FailButPersist);
    let err = log
        .append(entry("landed"))
        .await
        .expect_err("injected failure");
    assert!(matches!(err, AppendError::Storage(_)), "{err:?}");
    // The write landed: the engine re-read the head, a retry is a duplicate, and new entries
    // continue after it.
    assert_eq!(log.head().size, 2);
    match log.append(entry("landed")).await.expect("append") {
        AppendOutcome::Duplicate { index } => assert_eq!(index, 1),
        AppendOutcome::Appended(a) => panic!("appended again at {}", a.index),
    }
    let next = appended(log.append(entry("after")).await.expect("append"));
    assert_eq!(next.index, 2);
    check_proof(&next, b"after");
}

#[tokio::test]
async fn two_writers_on_one_storage_never_fork_the_log() {
    let storage = Arc::new(MemoryStorage::new());
    let a = open(storage.clone(), Arc::default()).await;
    let b = open(storage.clone(), Arc::default()).await;
    let mut tasks = Vec::new();
    for i in 0..300 {
        let log = if i % 2 == 0 { a.clone() } else { b.clone() };
        tasks.push(tokio::spawn(async move {
            let text = format!("writer entry {i}");
            let appended = appended(log.append(entry(&text)).await.expect("append"));
            check_proof(&appended, text.as_bytes());
            appended
        }));
    }
    let mut results = Vec::new();
    for task in tasks {
        results.push(task.await.expect("task"));
    }
    let mut indexes: Vec<u64> = results.iter().map(|r| r.index).collect();
    indexes.sort_unstable();
    indexes.dedup();
    assert_eq!(indexes.len(), 300, "no index handed out twice");

    // Every head either writer signed is consistent with the final tree.
    let final_head = a.refresh_head().await.expect("refresh");
    assert_eq!(final_head.size, 301);
    for r in &results {
        let proof = a
            .consistency_proof(r.head.size, final_head.size)
            .await
            .expect("consistency proof");
        verify_consistency(
            r.head.size,
            final_head.size,
            &r.head.root,
            &final_head.root,
            &proof,
        )
        .expect("every signed head is a prefix of the final tree");
    }
}

#[tokio::test]
async fn reopening_checks_the_stored_tree() {
    let storage = Arc::new(MemoryStorage::new());
    {
        let log = open(storage.clone(), Arc::default()).await;
        for i in 0..40 {
            appended(log.append(entry(&format!("e{i}"))).await.expect("append"));
        }
    }
    let reopened = open(storage.clone(), Arc::default()).await;
    assert_eq!(reopened.head().size, 41);
    let next = appended(
        reopened
            .append(entry("after reopen"))
            .await
            .expect("append"),
    );
    assert_eq!(next.index, 41);
    check_proof(&next, b"after reopen");

    // A head whose root the stored nodes do not produce is refused.
    let forged = Arc::new(MemoryStorage::new());
    let mut reference = MemoryTree::new();
    let leaves: Vec<Vec<u8>> = (0..5).map(|i| format!("f{i}").into_bytes()).collect();
    let mut batch = tlog_engine::story::batch_appending(&mut reference, &leaves, 1, &[]);
    batch.new_head.root = leaf_hash(b"forged");
    forged
        .commit_batch(&batch)
        .await
        .expect("write forged head");
    let err = Log::open(
        forged,
        Arc::new(CountingSigner::default()),
        LogConfig::default(),
        EngineMetrics::unregistered(),
        None,
    )
    .await
    .expect_err("forged head");
    assert!(matches!(err, OpenError::Inconsistent { .. }), "{err:?}");
}

#[tokio::test]
async fn after_reopening_appends_read_old_upper_nodes_once() {
    let storage = Arc::new(MemoryStorage::new());
    {
        let log = open(storage.clone(), Arc::default()).await;
        let tasks: Vec<_> = (1..512)
            .map(|i| {
                let log = log.clone();
                tokio::spawn(async move { log.append(entry(&format!("before {i}"))).await })
            })
            .collect();
        for task in tasks {
            appended(task.await.expect("task").expect("append"));
        }
        assert_eq!(log.head().size, 512);
    }
    // Every later leaf's proof needs the level-9 root of the first 512 leaves, which this
    // process did not commit: it is read once, not once per append.
    let reopened = open(storage.clone(), Arc::default()).await;
    let first = appended(reopened.append(entry("after 0")).await.expect("append"));
    check_proof(&first, b"after 0");
    let reads = storage.nodes_read();
    for i in 1..40 {
        let text = format!("after {i}");
        let next = appended(reopened.append(entry(&text)).await.expect("append"));
        check_proof(&next, text.as_bytes());
    }
    assert_eq!(
        storage.nodes_read(),
        reads,
        "appends after the first read nodes again"
    );
}

#[tokio::test]
async fn proof_requests_outside_the_tree_are_caller_errors() {
    let storage = Arc::new(MemoryStorage::new());
    let log = open(storage, Arc::default()).await;
    for i in 0..5 {
        appended(log.append(entry(&format!("p{i}"))).await.expect("append"));
    }
    let cases = [
        log.inclusion_proof(6, 6).await,
        log.inclusion_proof(0, 7).await,
        log.consistency_proof(0, 3).await,
        log.consistency_proof(4, 3).await,
        log.consistency_proof(2, 99).await,
    ];
    for (i, case) in cases.into_iter().enumerate() {
        assert!(
            matches!(case, Err(ReadError::BadRequest(_))),
            "case {i}: {case:?}"
        );
    }
    let proof = log.consistency_proof(2, 6).await.expect("valid range");
    let old = log.root_at(2).await.expect("root");
    verify_consistency(2, 6, &old, &log.head().root, &proof).expect("verifies");
}

#[tokio::test]
async fn a_full_queue_pushes_back_instead_of_queueing_forever() {
    let storage = Arc::new(MemoryStorage::new());
    let config = LogConfig {
        queue_capacity: 1,
        batch_max_entries: 1,
        ..LogConfig::default()
    };
    let log = Log::open(
        storage,
        Arc::new(CountingSigner::default()),
        config,
        EngineMetrics::unregistered(),
        None,
    )
    .await
    .expect("open");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let log = log.clone();
        tasks.push(tokio::spawn(async move {
            log.append(entry(&format!("q{i}"))).await
        }));
    }
    let mut overloaded = 0;
    let mut ok = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(_) => ok += 1,
            Err(AppendError::Overloaded) => overloaded += 1,
            Err(other) => panic!("unexpected {other:?}"),
        }
    }
    assert!(ok > 0, "some appends got through");
    assert_eq!(ok + overloaded, 200);
    assert_eq!(log.head().size, ok as u64);
}

#[tokio::test]
async fn memory_storage_passes_the_storage_story() {
    let storage = Arc::new(MemoryStorage::new());
    tlog_engine::story::storage_story(storage.clone(), storage).await;
}
