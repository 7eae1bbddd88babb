//! Two `cairn up` processes on one PostgreSQL database, with the same log key and name, must
//! never fork the log: every checkpoint either of them hands out is a prefix of the final tree,
//! no index is acknowledged twice, and each process sees what the other appended.
//!
//! Both processes start at the same moment on a fresh database (racing to migrate it and to
//! create the log), then 2×16 clients append through both at once while a poller collects
//! `GET /api/v1/log` from both. At the end every collected checkpoint (signature checked with
//! `signed-note`) is proved consistent with the final tree (RFC 9162, checked here).
//!
//! Needs PostgreSQL: `$CAIRN_TEST_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/postgres`, on which a throw-away database is created and
//! dropped. `CAIRN_SKIP_POSTGRES=1` turns an unreachable server into a `SKIPPED` line.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    Acked, Api, Checkpoint, EntryMaker, LogKey, Server, TestDb, args, body_matches_proposal,
    only_entry,
};
use serde_json::Value;

/// The checkpoint name both processes sign under.
const HOSTNAME: &str = "two-writers.cairn.test";
/// Appending clients per process.
const CLIENTS_PER_SERVER: usize = 16;
/// Most entries each client appends…
const ENTRIES_PER_CLIENT: u64 = 150;
/// …within this time (so that a slow CI machine still finishes in time).
const LOAD_TIME_LIMIT: Duration = Duration::from_secs(10);
/// Fewer acknowledged entries than this means the load did not happen.
const MIN_ENTRIES: usize = 500;
/// Every this many appends, a client reads `GET /api/v1/log` from the other process.
const CROSS_CHECK_EVERY: u64 = 5;
/// Times a client retries a 503 (the log pushing back) before failing.
const MAX_RETRIES: u32 = 50;
/// Concurrent consistency-proof checks at the end.
const READERS: usize = 8;

/// A checkpoint and where it came from, for messages.
#[derive(Debug, Clone)]
struct Seen {
    checkpoint: Checkpoint,
    source: String,
}

/// One acknowledged append.
#[derive(Debug, Clone)]
struct Append {
    entry: Acked,
    server: usize,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_on_one_postgres_database_never_fork_the_log() {
    let test_started = Instant::now();
    let Some(db) =
        TestDb::create("two_processes_on_one_postgres_database_never_fork_the_log").await
    else {
        return;
    };
    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");

    // The shared log key, written before either process starts so that both can start at once.
    let log_signer = keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256)
        .expect("generate the log key");
    write_private(
        &data_dir.join("keys").join("rekor.pem"),
        log_signer.to_pkcs8_pem().as_bytes(),
    );
    let server_args = args([
        "--data-dir".into(),
        data_dir.clone().into_os_string(),
        "--database-url".into(),
        db.url.clone().into(),
        "--public-url".into(),
        format!("http://{HOSTNAME}").into(),
    ]);
    let servers = Server::start_together(&[("A", &server_args), ("B", &server_args)]);
    let apis = [Api::new(&servers[0].base), Api::new(&servers[1].base)];
    let names = ["A", "B"];
    let key = Arc::new(LogKey::fetch(&apis[0], HOSTNAME).await);
    let key_b = LogKey::fetch(&apis[1], HOSTNAME).await;
    assert_eq!(&key.public, keys::Signer::public_key(&log_signer));
    assert_eq!(
        key_b.public, key.public,
        "both processes use the shared key"
    );
    assert_eq!(key_b.tree_id, key.tree_id, "both processes name one tree");

    let seen: Arc<Mutex<Vec<Seen>>> = Arc::new(Mutex::new(Vec::new()));
    let record = |seen: &Mutex<Vec<Seen>>, checkpoint: Checkpoint, source: String| {
        seen.lock().unwrap().push(Seen { checkpoint, source });
    };

    // Racing to create the log made one log: both report the same one-entry tree.
    let a0 = apis[0].log_info(&key).await;
    let b0 = apis[1].log_info(&key).await;
    assert_eq!(
        a0, b0,
        "both processes see the same tree after starting together"
    );
    assert_eq!(a0.size, 1, "a new log holds only its genesis entry");
    record(&seen, a0, "A: GET /api/v1/log at start".into());

    let maker = Arc::new(EntryMaker::new("two-writers"));
    let next_artifact = Arc::new(AtomicU64::new(0));
    let mut appends: Vec<Append> = Vec::new();

    // Each process sees, right after the other's 201, the entry and a tree that holds it.
    for (writer, reader) in [(0, 1), (1, 0)] {
        let proposal = maker.proposal(next_artifact.fetch_add(1, Ordering::SeqCst));
        let reply = apis[writer].create(&proposal).await;
        assert_eq!(reply.status, 201, "{}: {}", names[writer], reply.body);
        let (id, entry) = only_entry(&reply.body);
        let entry = key.check_entry(id, entry);
        let other = apis[reader].log_info(&key).await;
        assert!(
            other.size > entry.index && other.size >= entry.checkpoint.size,
            "{} still reports {other} after {} acknowledged index {} in {}",
            names[reader],
            names[writer],
            entry.index,
            entry.checkpoint
        );
        let read = apis[reader]
            .get(&format!("/api/v1/log/entries/{}", entry.id))
            .await;
        assert_eq!(
            read.status, 200,
            "{} cannot read the entry {} appended: {}",
            names[reader], names[writer], read.body
        );
        let (read_id, read_entry) = only_entry(&read.body);
        let read_entry = key.check_entry(read_id, read_entry);
        assert_eq!(
            (read_entry.index, &read_entry.body),
            (entry.index, &entry.body)
        );
        record(&seen, other, format!("{}: GET /api/v1/log", names[reader]));
        record(
            &seen,
            read_entry.checkpoint,
            format!("{}: GET entry", names[reader]),
        );
        record(
            &seen,
            entry.checkpoint,
            format!("{}: 201 for index {}", names[writer], entry.index),
        );
        appends.push(Append {
            entry,
            server: writer,
        });
    }

    // Concurrent load through both, with a poller reading both heads.
    let load_started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let poller = tokio::spawn({
        let (apis, key, seen, stop) = (apis.clone(), key.clone(), seen.clone(), stop.clone());
        async move {
            let mut polls = 0u64;
            while !stop.load(Ordering::SeqCst) {
                for (i, api) in apis.iter().enumerate() {
                    let checkpoint = api.log_info(&key).await;
                    record(&seen, checkpoint, format!("{}: poll", names[i]));
                    polls += 1;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            polls
        }
    });
    let retries = Arc::new(AtomicU64::new(0));
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..2 * CLIENTS_PER_SERVER {
        let server = client % 2;
        let (apis, key, maker, next, seen, retries) = (
            apis.clone(),
            key.clone(),
            maker.clone(),
            next_artifact.clone(),
            seen.clone(),
            retries.clone(),
        );
        clients.spawn(async move {
            let mut mine = Vec::new();
            for i in 0..ENTRIES_PER_CLIENT {
                if load_started.elapsed() > LOAD_TIME_LIMIT {
                    break;
                }
                let proposal = maker.proposal(next.fetch_add(1, Ordering::SeqCst));
                let entry = append(&apis[server], &key, &proposal, &retries).await;
                assert!(body_matches_proposal(&entry.body, &proposal));
                record(
                    &seen,
                    entry.checkpoint,
                    format!("{}: 201 for index {}", names[server], entry.index),
                );
                if i % CROSS_CHECK_EVERY == 0 {
                    let other = 1 - server;
                    let head = apis[other].log_info(&key).await;
                    assert!(
                        head.size > entry.index && head.size >= entry.checkpoint.size,
                        "{} reports {head} after {} acknowledged index {} in {}",
                        names[other],
                        names[server],
                        entry.index,
                        entry.checkpoint
                    );
                    record(&seen, head, format!("{}: GET /api/v1/log", names[other]));
                }
                mine.push(Append { entry, server });
            }
            mine
        });
    }
    while let Some(done) = clients.join_next().await {
        appends.extend(done.expect("a client failed"));
    }
    let load_took = load_started.elapsed();
    assert!(
        appends.len() >= MIN_ENTRIES,
        "only {} entries were appended in {load_took:?}; the test proves little",
        appends.len()
    );
    stop.store(true, Ordering::SeqCst);
    let polls = poller.await.expect("the poller failed");

    // Both processes agree on the final tree.
    let final_a = apis[0].log_info(&key).await;
    let final_b = apis[1].log_info(&key).await;
    assert_eq!(final_a, final_b, "A and B report different final trees");
    let last = final_a;

    // No index acknowledged twice, none lost, none invented.
    let mut by_index: HashMap<u64, &Append> = HashMap::new();
    let mut ids = HashSet::new();
    for append in &appends {
        if let Some(earlier) = by_index.insert(append.entry.index, append) {
            panic!(
                "FORK: index {} acknowledged twice: {} by {} and {} by {}",
                append.entry.index,
                earlier.entry.id,
                names[earlier.server],
                append.entry.id,
                names[append.server]
            );
        }
        assert!(
            ids.insert(append.entry.id.clone()),
            "entry {} acknowledged twice",
            append.entry.id
        );
        assert!(
            append.entry.index >= 1 && append.entry.index < last.size,
            "index {} outside the final tree {last}",
            append.entry.index
        );
    }
    assert_eq!(
        last.size,
        1 + appends.len() as u64,
        "the final tree holds the genesis entry and exactly the acknowledged entries"
    );

    // Equal sizes, equal roots; and every checkpoint is a prefix of the final tree.
    let seen = std::mem::take(&mut *seen.lock().unwrap());
    let mut roots: BTreeMap<u64, &Seen> = BTreeMap::new();
    for s in &seen {
        if let Some(other) = roots.get(&s.checkpoint.size) {
            assert!(
                other.checkpoint.root == s.checkpoint.root,
                "FORK: two roots for size {}: {} ({}) and {} ({})",
                s.checkpoint.size,
                other.checkpoint,
                other.source,
                s.checkpoint,
                s.source
            );
        } else {
            roots.insert(s.checkpoint.size, s);
        }
    }
    let distinct: Vec<Seen> = roots.values().map(|s| (*s).clone()).collect();
    let distinct_count = distinct.len();
    let queue = Arc::new(Mutex::new(distinct));
    let mut checkers = tokio::task::JoinSet::new();
    for worker in 0..READERS {
        let (queue, api) = (queue.clone(), apis[worker % 2].clone());
        checkers.spawn(async move {
            loop {
                let next = queue.lock().unwrap().pop();
                let Some(s) = next else { break };
                api.check_consistent(&s.checkpoint, &last, &s.source).await;
            }
        });
    }
    while let Some(done) = checkers.join_next().await {
        done.expect("a consistency check failed");
    }

    // A sample of entries, read by index through the process that did not write them.
    for append in appends.iter().step_by(25) {
        let reader = 1 - append.server;
        let read = apis[reader]
            .get(&format!(
                "/api/v1/log/entries?logIndex={}",
                append.entry.index
            ))
            .await;
        assert_eq!(read.status, 200, "{}", read.body);
        let (id, entry) = only_entry(&read.body);
        let entry = key.check_entry(id, entry);
        assert_eq!(
            (&entry.id, &entry.body),
            (&append.entry.id, &append.entry.body),
            "index {} reads differently from {}",
            append.entry.index,
            names[reader]
        );
    }

    let mut conflicts = Vec::new();
    for api in &apis {
        conflicts.push(conflict_count(api).await);
    }
    assert!(
        conflicts.iter().sum::<u64>() > 0,
        "the two processes never lost a compare-and-swap to each other: the test did not make \
         them contend"
    );
    for server in &servers {
        for line in server
            .stderr_lines_with(" WARN ")
            .into_iter()
            .chain(server.stderr_lines_with(" ERROR "))
        {
            eprintln!("two writers: {} logged: {line}", server.name);
        }
    }
    eprintln!(
        "two writers: {} entries in {load_took:?} ({:.0}/s), {} retries after 503, lost \
         head compare-and-swaps A {} B {}, {polls} polls, {} checkpoints seen ({distinct_count} \
         distinct sizes), {:?} in all",
        appends.len(),
        appends.len() as f64 / load_took.as_secs_f64(),
        retries.load(Ordering::SeqCst),
        conflicts[0],
        conflicts[1],
        seen.len(),
        test_started.elapsed()
    );
    drop(servers);
    drop(db);
}

/// Append `proposal` through `api`, retrying 503s. A 409 after a 503 means an earlier attempt
/// landed after all; the entry is then read back.
async fn append(api: &Api, key: &LogKey, proposal: &Value, retries: &AtomicU64) -> Acked {
    let mut attempts = 0;
    loop {
        let reply = api.create(proposal).await;
        match reply.status {
            201 => {
                let (id, entry) = only_entry(&reply.body);
                return key.check_entry(id, entry);
            }
            503 if attempts < MAX_RETRIES => {
                attempts += 1;
                retries.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            409 if attempts > 0 => {
                let location = reply.location.expect("409 has a Location");
                let read = api.get(&location).await;
                assert_eq!(read.status, 200, "{location}: {}", read.body);
                let (id, entry) = only_entry(&read.body);
                return key.check_entry(id, entry);
            }
            other => panic!(
                "{}: POST /api/v1/log/entries gave {other} after {attempts} retries: {}",
                api.base, reply.body
            ),
        }
    }
}

/// Lost compare-and-swaps on the head, from the process's `/metrics`.
async fn conflict_count(api: &Api) -> u64 {
    let metrics = api.get("/metrics").await;
    let text = metrics.body.as_str().unwrap_or_default();
    text.lines()
        .filter(|l| l.starts_with("cairn_log_commit_conflicts"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

/// Write a private key file as `cairn up` would (directory 0700, file 0600).
fn write_private(path: &std::path::Path, contents: &[u8]) {
    let dir = path.parent().expect("a key file has a directory");
    std::fs::create_dir_all(dir).expect("create the key directory");
    std::fs::write(path, contents).expect("write the key file");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        for (p, mode) in [
            (dir, 0o700),
            (dir.parent().unwrap_or(dir), 0o700),
            (path, 0o600),
        ] {
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(mode))
                .expect("restrict permissions");
        }
    }
}
