//! An acknowledged write (HTTP 201) is durable: it survives `kill -9` of `cairn up` the instant
//! after, and the restarted log is consistent with every checkpoint handed out before.
//!
//! One test, several crash/restart cycles on one SQLite data directory: 32 clients append
//! distinct hashedrekord entries, the server gets SIGKILL after a pseudo-random 0.7–2 s with
//! requests in flight, then restarted. After each restart every entry ever acknowledged must be
//! served at its index with its body and a verifying inclusion proof, every checkpoint seen
//! before must be consistent with the new tree, entries whose fate was unknown at the crash must
//! be either absent (re-POST gives 201) or fully present (409 and readable), and the log must
//! keep appending at the next index.
//!
//! `kill -9` tests the ordering "commit, then answer"; it cannot test fsync (the page cache
//! survives a process kill), which the storage crates cover with `synchronous=FULL` checks.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{
    Acked, Api, Checkpoint, EntryMaker, LogKey, Rng, Server, args, body_matches_proposal,
    only_entry,
};
use serde_json::Value;

/// The checkpoint name: fixed, so that every run of the server signs under the same origin
/// although each listens on a new port.
const HOSTNAME: &str = "crash.cairn.test";
/// Crash/restart cycles.
const CRASHES: usize = 3;
/// Concurrent appending clients.
const CLIENTS: usize = 32;
/// Concurrent readers when checking what survived.
const READERS: usize = 8;

/// What the clients saw during one load phase.
#[derive(Default)]
struct LoadOutcome {
    /// 201s, already checked.
    acked: Vec<Acked>,
    /// Proposals whose request failed in transport (in flight when the server died).
    in_flight: Vec<Value>,
    /// Anything other than a 201 or a transport error.
    unexpected: Vec<String>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_entries_survive_kill_9_and_the_log_stays_consistent() {
    let test_started = Instant::now();
    let mut rng = Rng::from_clock();
    let seed = rng.next_u64();
    let mut rng = Rng::new(seed);
    eprintln!("crash test: seed {seed}");

    let tmp = tempfile::tempdir().expect("tempdir");
    let data_dir = tmp.path().join("data");
    let server_args = args([
        "--data-dir".into(),
        data_dir.clone().into_os_string(),
        "--public-url".into(),
        format!("http://{HOSTNAME}").into(),
    ]);
    let maker = Arc::new(EntryMaker::new("crash"));
    let next_artifact = Arc::new(AtomicU64::new(0));

    // Everything acknowledged so far, by index.
    let mut acked: BTreeMap<u64, Acked> = BTreeMap::new();
    // Checkpoints handed out since the previous restart.
    let mut recent_checkpoints: BTreeSet<Checkpoint> = BTreeSet::new();
    // The largest checkpoint ever handed out.
    let mut newest: Option<Checkpoint> = None;
    // Proposals whose fate was unknown at the last crash.
    let mut in_flight: Vec<Value> = Vec::new();
    let mut log_key: Option<keys::PublicKey> = None;

    for cycle in 0..=CRASHES {
        let restart = Instant::now();
        let mut server = Server::start(&format!("run {cycle}"), &server_args);
        let api = Api::new(&server.base);
        let key = Arc::new(LogKey::fetch(&api, HOSTNAME).await);
        match &log_key {
            None => log_key = Some(key.public.clone()),
            Some(first) => assert_eq!(first, &key.public, "the log key survives restarts"),
        }
        let head = api.log_info(&key).await;
        let restarted_in = restart.elapsed();

        // 1. Nothing acknowledged was lost, and nothing handed out was forked.
        let check = Instant::now();
        if let Some((&largest, entry)) = acked.last_key_value() {
            assert!(
                head.size > largest,
                "run {cycle}: tree size {} after restart, but index {largest} ({}) was \
                 acknowledged before the crash",
                head.size,
                entry.id
            );
        }
        if let Some(newest) = &newest {
            assert!(
                head.size >= newest.size,
                "run {cycle}: tree size {} after restart is smaller than checkpoint {newest} \
                 handed out before the crash",
                head.size
            );
            api.check_consistent(newest, &head, "newest before the crash")
                .await;
        }
        let recent: Vec<Checkpoint> = std::mem::take(&mut recent_checkpoints)
            .into_iter()
            .collect();
        let checkpoints_checked = recent.len();
        for_each_concurrently(recent, {
            let api = api.clone();
            move |checkpoint| {
                let api = api.clone();
                async move {
                    api.check_consistent(&checkpoint, &head, "handed out before the crash")
                        .await
                }
            }
        })
        .await;
        let all: Vec<Acked> = acked.values().cloned().collect();
        let entries_checked = all.len();
        for_each_concurrently(all, {
            let api = api.clone();
            let key = key.clone();
            move |before| {
                let api = api.clone();
                let key = key.clone();
                async move { check_still_served(&api, &key, &before, &head).await }
            }
        })
        .await;
        let check_took = check.elapsed();

        // 2. Entries in flight at the crash are either absent or fully present.
        let (mut absent, mut present) = (0, 0);
        for proposal in std::mem::take(&mut in_flight) {
            let reply = api.create(&proposal).await;
            let entry = match reply.status {
                201 => {
                    absent += 1;
                    let (id, entry) = only_entry(&reply.body);
                    key.check_entry(id, entry)
                }
                409 => {
                    present += 1;
                    let location = reply
                        .location
                        .unwrap_or_else(|| panic!("409 without Location: {}", reply.body));
                    let read = api.get(&location).await;
                    assert_eq!(
                        read.status, 200,
                        "run {cycle}: re-POST of an in-flight entry says it exists at \
                         {location}, but reading it gives {}: {}",
                        read.status, read.body
                    );
                    let (id, entry) = only_entry(&read.body);
                    assert!(location.ends_with(id), "{location} names {id}");
                    key.check_entry(id, entry)
                }
                other => panic!(
                    "run {cycle}: re-POST of an entry in flight at the crash gave {other} \
                     (expected 201 if absent or 409 if fully present): {}",
                    reply.body
                ),
            };
            assert!(
                body_matches_proposal(&entry.body, &proposal),
                "the stored body is the proposed entry: {entry:?}"
            );
            remember(&mut acked, &mut recent_checkpoints, entry);
        }

        // 3. The restarted log keeps appending, at the next index.
        let before = api.log_info(&key).await;
        let proposal = maker.proposal(next_artifact.fetch_add(1, Ordering::SeqCst));
        let reply = api.create(&proposal).await;
        assert_eq!(
            reply.status, 201,
            "run {cycle}: appending after the restart: {}",
            reply.body
        );
        let (id, entry) = only_entry(&reply.body);
        let probe = key.check_entry(id, entry);
        assert_eq!(
            probe.index, before.size,
            "run {cycle}: the first append after the restart gets the next index"
        );
        assert_eq!(probe.checkpoint.size, before.size + 1);
        api.check_consistent(&before, &probe.checkpoint, "head at restart")
            .await;
        remember(&mut acked, &mut recent_checkpoints, probe);

        eprintln!(
            "run {cycle}: restarted in {restarted_in:?} at size {}; checked {entries_checked} \
             entries and {checkpoints_checked} checkpoints in {check_took:?}; in flight at the \
             crash: {absent} absent, {present} present",
            head.size
        );
        for line in server
            .stderr_lines_with(" WARN ")
            .into_iter()
            .chain(server.stderr_lines_with(" ERROR "))
        {
            eprintln!("run {cycle}: cairn logged: {line}");
        }
        if cycle == CRASHES {
            break;
        }

        // 4. Load, then kill -9 with requests in flight.
        let kill_after = Duration::from_millis(rng.between(700, 2000));
        let outcome =
            load_then_kill(&mut server, &api, &key, &maker, &next_artifact, kill_after).await;
        assert!(
            outcome.unexpected.is_empty(),
            "run {cycle}: answers other than 201 under load: {:?}",
            outcome.unexpected
        );
        assert!(
            !outcome.acked.is_empty(),
            "run {cycle}: nothing was acknowledged in {kill_after:?}; the test proves nothing"
        );
        eprintln!(
            "run {cycle}: killed after {kill_after:?}: {} acknowledged, {} in flight",
            outcome.acked.len(),
            outcome.in_flight.len()
        );
        for entry in outcome.acked {
            remember(&mut acked, &mut recent_checkpoints, entry);
        }
        in_flight = outcome.in_flight;
        newest = recent_checkpoints
            .iter()
            .chain(newest.as_ref())
            .max_by_key(|c| c.size)
            .copied();
        drop(server);
    }
    eprintln!(
        "crash test: {} entries acknowledged over {CRASHES} crashes, {:?} in all",
        acked.len(),
        test_started.elapsed()
    );
}

/// Record an entry; two different entries at one index is a fork.
fn remember(
    acked: &mut BTreeMap<u64, Acked>,
    checkpoints: &mut BTreeSet<Checkpoint>,
    entry: Acked,
) {
    checkpoints.insert(entry.checkpoint);
    if let Some(earlier) = acked.get(&entry.index) {
        assert_eq!(
            earlier.id, entry.id,
            "FORK: two entries acknowledged at index {}",
            entry.index
        );
    }
    acked.insert(entry.index, entry);
}

/// The entry acknowledged as `before` is served unchanged, with a proof to `head`.
async fn check_still_served(api: &Api, key: &LogKey, before: &Acked, head: &Checkpoint) {
    let read = api.get(&format!("/api/v1/log/entries/{}", before.id)).await;
    assert_eq!(
        read.status, 200,
        "LOST: entry {} acknowledged at index {} is not served after the restart: {}",
        before.id, before.index, read.body
    );
    let (id, entry) = only_entry(&read.body);
    assert_eq!(id, before.id);
    let now = key.check_entry(id, entry);
    assert_eq!(
        (now.index, &now.body, now.integrated_time),
        (before.index, &before.body, before.integrated_time),
        "entry {} changed across the restart",
        before.id
    );
    assert_eq!(
        now.checkpoint, *head,
        "with no writer, reads prove inclusion in the current head"
    );
}

/// Run `CLIENTS` appending clients until `server` gets SIGKILL after `kill_after`.
async fn load_then_kill(
    server: &mut Server,
    api: &Api,
    key: &Arc<LogKey>,
    maker: &Arc<EntryMaker>,
    next_artifact: &Arc<AtomicU64>,
    kill_after: Duration,
) -> LoadOutcome {
    let stop = Arc::new(AtomicBool::new(false));
    let outcome = Arc::new(Mutex::new(LoadOutcome::default()));
    let mut clients = tokio::task::JoinSet::new();
    for _ in 0..CLIENTS {
        let (api, key, maker, next, stop, outcome) = (
            api.clone(),
            key.clone(),
            maker.clone(),
            next_artifact.clone(),
            stop.clone(),
            outcome.clone(),
        );
        clients.spawn(async move {
            while !stop.load(Ordering::SeqCst) {
                let proposal = maker.proposal(next.fetch_add(1, Ordering::SeqCst));
                match api.try_create(&proposal).await {
                    Ok(reply) if reply.status == 201 => {
                        let (id, entry) = only_entry(&reply.body);
                        let acked = key.check_entry(id, entry);
                        assert!(body_matches_proposal(&acked.body, &proposal));
                        outcome.lock().unwrap().acked.push(acked);
                    }
                    Ok(reply) => {
                        let mut outcome = outcome.lock().unwrap();
                        outcome
                            .unexpected
                            .push(format!("{}: {}", reply.status, reply.body));
                        // Its fate is unknown too.
                        outcome.in_flight.push(proposal);
                    }
                    Err(_) => {
                        // The server died with this request in flight (or before it was sent).
                        outcome.lock().unwrap().in_flight.push(proposal);
                        break;
                    }
                }
            }
        });
    }
    tokio::time::sleep(kill_after).await;
    server.kill_9();
    stop.store(true, Ordering::SeqCst);
    let joined = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(done) = clients.join_next().await {
            done.expect("a client task failed");
        }
    })
    .await;
    assert!(joined.is_ok(), "clients did not stop after the kill");
    let mut outcome = std::mem::take(&mut *outcome.lock().unwrap());
    // A proposal appears once even if it was both "unexpected" and in flight.
    let mut seen = HashMap::new();
    outcome
        .in_flight
        .retain(|p| seen.insert(p.to_string(), ()).is_none());
    outcome
}

/// Run `f` over `items` with `READERS` tasks.
async fn for_each_concurrently<T, F, Fut>(items: Vec<T>, f: F)
where
    T: Send + 'static,
    F: Fn(T) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let queue = Arc::new(Mutex::new(items));
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..READERS {
        let queue = queue.clone();
        let f = f.clone();
        workers.spawn(async move {
            loop {
                let next = queue.lock().unwrap().pop();
                match next {
                    Some(item) => f(item).await,
                    None => break,
                }
            }
        });
    }
    while let Some(done) = workers.join_next().await {
        done.expect("a checking task failed");
    }
}
