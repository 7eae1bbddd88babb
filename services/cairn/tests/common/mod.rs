//! Shared by the binary's integration tests that run the real `cairn up` under load
//! (`crash.rs`, `two_writers.rs`): spawning and killing the process, building valid hashedrekord
//! entries, and checking what the server returns the way a client does.
//!
//! Proofs are checked with RFC 9162 verification written out here (not the server's `tlog-core`
//! paths), SETs with the log's public key over their canonical JSON, and checkpoints with the
//! `signed-note` crate a client would use.

// Each test file uses a different part of this module.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// How long `cairn up` may take to print its address (it migrates the database first).
const STARTUP_LIMIT: Duration = Duration::from_secs(60);
/// Lines of the server's stderr kept to show when a test fails.
const STDERR_LINES_KEPT: usize = 200;

// ---------------------------------------------------------------------------------------------
// The process
// ---------------------------------------------------------------------------------------------

/// `cairn` with none of the test's own `CAIRN_*` variables or `RUST_LOG`.
pub fn cairn() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_cairn"));
    for (name, _) in std::env::vars() {
        if name.starts_with("CAIRN_") {
            cmd.env_remove(name);
        }
    }
    cmd.env_remove("RUST_LOG");
    cmd
}

/// A running `cairn up`. Killed on drop; its stderr tail is printed if the test is panicking.
pub struct Server {
    /// A name for messages (`A`, `B`, `cycle 2`).
    pub name: String,
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    child: Child,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

struct Spawned {
    name: String,
    child: Child,
    first_line: mpsc::Receiver<String>,
    stderr: Arc<Mutex<VecDeque<String>>>,
}

fn spawn(name: &str, args: &[OsString]) -> Spawned {
    spawn_with_env(name, args, &[])
}

fn spawn_with_env(name: &str, args: &[OsString], env: &[(&str, &str)]) -> Spawned {
    let mut child = cairn()
        .args(["up", "--listen", "127.0.0.1:0"])
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn cairn up");
    // Both pipes are drained for the whole life of the process, so that a chatty server never
    // blocks on a full pipe.
    let stdout = child.stdout.take().expect("stdout is piped");
    let (tx, first_line) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok).unwrap_or_default();
        let _ = tx.send(first);
        for _ in lines {}
    });
    let stderr = Arc::new(Mutex::new(VecDeque::new()));
    let pipe = child.stderr.take().expect("stderr is piped");
    let kept = stderr.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(pipe).lines() {
            let Ok(line) = line else { break };
            let mut kept = kept.lock().unwrap_or_else(|e| e.into_inner());
            if kept.len() == STDERR_LINES_KEPT {
                kept.pop_front();
            }
            kept.push_back(line);
        }
    });
    Spawned {
        name: name.to_owned(),
        child,
        first_line,
        stderr,
    }
}

fn stderr_text(stderr: &Mutex<VecDeque<String>>) -> String {
    let kept = stderr.lock().unwrap_or_else(|e| e.into_inner());
    kept.iter().cloned().collect::<Vec<_>>().join("\n")
}

impl Spawned {
    fn wait_listening(mut self) -> Server {
        let line = self.first_line.recv_timeout(STARTUP_LIMIT).ok();
        let base = line
            .as_deref()
            .and_then(|l| l.trim().strip_prefix("listening on "));
        match base {
            Some(base) => Server {
                name: self.name,
                base: base.to_owned(),
                child: self.child,
                stderr: self.stderr,
            },
            None => {
                let _ = self.child.kill();
                let status = self.child.wait();
                // Let the stderr thread catch the last lines.
                std::thread::sleep(Duration::from_millis(200));
                panic!(
                    "cairn up ({}) did not print its address within {STARTUP_LIMIT:?} \
                     (first stdout line {line:?}, exit {status:?}); stderr:\n{}",
                    self.name,
                    stderr_text(&self.stderr)
                );
            }
        }
    }
}

impl Server {
    /// Start `cairn up --listen 127.0.0.1:0 ARGS…` and wait until it listens.
    pub fn start(name: &str, args: &[OsString]) -> Server {
        spawn(name, args).wait_listening()
    }

    /// [`Server::start`] with extra environment variables for the process.
    pub fn start_with_env(name: &str, args: &[OsString], env: &[(&str, &str)]) -> Server {
        spawn_with_env(name, args, env).wait_listening()
    }

    /// Start several servers at the same moment (all spawned before any is waited for).
    pub fn start_together(specs: &[(&str, &[OsString])]) -> Vec<Server> {
        let spawned: Vec<Spawned> = specs.iter().map(|(n, a)| spawn(n, a)).collect();
        spawned.into_iter().map(Spawned::wait_listening).collect()
    }

    /// The process ID.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, with no warning, and reap the process.
    pub fn kill_9(&mut self) {
        // `Child::kill` is SIGKILL on unix.
        self.child.kill().expect("SIGKILL cairn");
        let status = self.child.wait().expect("reap cairn");
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            assert_eq!(
                status.signal(),
                Some(9),
                "{} was killed by SIGKILL, got {status}",
                self.name
            );
        }
    }

    /// The last lines the server wrote to stderr.
    pub fn stderr_tail(&self) -> String {
        stderr_text(&self.stderr)
    }

    /// Lines of the kept stderr that contain `needle`.
    pub fn stderr_lines_with(&self, needle: &str) -> Vec<String> {
        let kept = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        kept.iter()
            .filter(|l| l.contains(needle))
            .cloned()
            .collect()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "---- stderr of cairn up ({}) ----\n{}\n----",
                self.name,
                self.stderr_tail()
            );
        }
    }
}

/// `OsString` arguments from anything path- or string-like.
pub fn args<I, S>(items: I) -> Vec<OsString>
where
    I: IntoIterator<Item = S>,
    S: Into<OsString>,
{
    items.into_iter().map(Into::into).collect()
}

// ---------------------------------------------------------------------------------------------
// Pseudo-randomness (no `rand` in the workspace): xorshift64*, seeded from the clock
// ---------------------------------------------------------------------------------------------

/// A small pseudo-random generator; the seed is printed so a failing run can be described.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded from the clock and the process ID.
    pub fn from_clock() -> Rng {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
        Rng::new(nanos ^ (u64::from(std::process::id()) << 32))
    }

    /// Seeded explicitly.
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `low..high`.
    pub fn between(&mut self, low: u64, high: u64) -> u64 {
        low + self.next_u64() % (high - low).max(1)
    }
}

/// A tag that differs between runs and processes, so entries of two runs never collide.
pub fn unique_tag(prefix: &str) -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!(
        "{prefix}-{}-{nanos}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    )
}

// ---------------------------------------------------------------------------------------------
// Entries
// ---------------------------------------------------------------------------------------------

/// Makes distinct, valid hashedrekord proposals signed by one client key.
pub struct EntryMaker {
    signer: keys::SoftwareSigner,
    public_key_b64: String,
    tag: String,
}

impl EntryMaker {
    /// A fresh client key; `tag` makes the artifacts unique to this run.
    pub fn new(tag: &str) -> EntryMaker {
        let signer = keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256)
            .expect("generate a client key");
        let public_key_b64 = B64.encode(keys::Signer::public_key(&signer).to_pem());
        EntryMaker {
            signer,
            public_key_b64,
            tag: unique_tag(tag),
        }
    }

    /// The proposed entry for artifact number `n`.
    pub fn proposal(&self, n: u64) -> Value {
        let artifact = format!("cairn test artifact {} #{n}", self.tag);
        let signature =
            keys::Signer::sign(&self.signer, artifact.as_bytes()).expect("sign an artifact");
        json!({
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {
                    "algorithm": "sha256",
                    "value": hex::encode(Sha256::digest(artifact.as_bytes())),
                }},
                "signature": {
                    "content": B64.encode(signature),
                    "publicKey": {"content": self.public_key_b64},
                },
            },
        })
    }
}

/// Whether the stored (canonical) body `body_b64` is the entry `proposal` proposed: same artifact
/// digest and the same signature.
pub fn body_matches_proposal(body_b64: &str, proposal: &Value) -> bool {
    let Ok(bytes) = B64.decode(body_b64) else {
        return false;
    };
    let Ok(stored) = serde_json::from_slice::<Value>(&bytes) else {
        return false;
    };
    stored["kind"] == "hashedrekord"
        && stored["spec"]["data"]["hash"] == proposal["spec"]["data"]["hash"]
        && stored["spec"]["signature"]["content"] == proposal["spec"]["signature"]["content"]
}

// ---------------------------------------------------------------------------------------------
// RFC 9162 verification, written out here
// ---------------------------------------------------------------------------------------------

/// A SHA-256 digest.
pub type Digest32 = [u8; 32];

fn sha256(parts: &[&[u8]]) -> Digest32 {
    let mut h = Sha256::new();
    for part in parts {
        h.update(part);
    }
    h.finalize().into()
}

/// RFC 6962 leaf hash.
pub fn leaf_hash(leaf: &[u8]) -> Digest32 {
    sha256(&[&[0], leaf])
}

fn node_hash(left: &Digest32, right: &Digest32) -> Digest32 {
    sha256(&[&[1], left, right])
}

/// RFC 9162 §2.1.3.2: the root an inclusion proof leads to, or `None` if it is malformed.
pub fn root_from_inclusion(
    leaf: &Digest32,
    index: u64,
    size: u64,
    proof: &[Digest32],
) -> Option<Digest32> {
    if index >= size {
        return None;
    }
    let (mut fnode, mut snode, mut r) = (index, size - 1, *leaf);
    for p in proof {
        if snode == 0 {
            return None;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = node_hash(p, &r);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = node_hash(&r, p);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    (snode == 0).then_some(r)
}

/// RFC 9162 §2.1.4.2: whether `proof` shows the tree (`first`, `first_root`) is a prefix of
/// (`second`, `second_root`). `first` must be at least 1.
pub fn consistency_holds(
    first: u64,
    second: u64,
    first_root: &Digest32,
    second_root: &Digest32,
    proof: &[Digest32],
) -> bool {
    if first == 0 || first > second {
        return false;
    }
    if first == second {
        return proof.is_empty() && first_root == second_root;
    }
    let mut path = Vec::with_capacity(proof.len() + 1);
    if first.is_power_of_two() {
        path.push(*first_root);
    }
    path.extend_from_slice(proof);
    let Some((start, rest)) = path.split_first() else {
        return false;
    };
    let (mut fnode, mut snode) = (first - 1, second - 1);
    while fnode & 1 == 1 {
        fnode >>= 1;
        snode >>= 1;
    }
    let (mut fr, mut sr) = (*start, *start);
    for c in rest {
        if snode == 0 {
            return false;
        }
        if fnode & 1 == 1 || fnode == snode {
            fr = node_hash(c, &fr);
            sr = node_hash(c, &sr);
            while fnode & 1 == 0 && fnode != 0 {
                fnode >>= 1;
                snode >>= 1;
            }
        } else {
            sr = node_hash(&sr, c);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    fr == *first_root && sr == *second_root && snode == 0
}

fn hex32(text: &str) -> Digest32 {
    hex::decode(text)
        .ok()
        .and_then(|b| b.try_into().ok())
        .unwrap_or_else(|| panic!("{text:?} is not 32 bytes of hex"))
}

// ---------------------------------------------------------------------------------------------
// The log's key, checkpoints and entries
// ---------------------------------------------------------------------------------------------

/// The content of a checkpoint whose signature verified.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Checkpoint {
    /// Tree size.
    pub size: u64,
    /// Root hash.
    pub root: Digest32,
}

impl std::fmt::Display for Checkpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "(size {}, root {})", self.size, hex::encode(self.root))
    }
}

/// The log's public key, name and tree ID, as a client pins them.
pub struct LogKey {
    /// The public key.
    pub public: keys::PublicKey,
    /// Hex SHA-256 of its SPKI.
    pub log_id: String,
    /// The checkpoint key name and origin host.
    pub hostname: String,
    /// The tree ID.
    pub tree_id: u64,
    verifier: signed_note::NoteKeyVerifier,
}

impl LogKey {
    /// Fetch the key and tree ID from `api`; checkpoints must be named `hostname`.
    pub async fn fetch(api: &Api, hostname: &str) -> LogKey {
        let pem = api
            .http
            .get(format!("{}/api/v1/log/publicKey", api.base))
            .send()
            .await
            .expect("GET /api/v1/log/publicKey")
            .text()
            .await
            .expect("public key text");
        let public = keys::PublicKey::from_pem(&pem).expect("the log key is PEM");
        let info = api.get("/api/v1/log").await;
        assert_eq!(info.status, 200, "GET /api/v1/log: {}", info.body);
        let tree_id = info.body["treeID"]
            .as_str()
            .and_then(|t| t.parse::<u64>().ok())
            .unwrap_or_else(|| panic!("treeID is a decimal string: {}", info.body));
        let verifier = signed_note::NoteKeyVerifier::new(
            hostname,
            public.clone(),
            signed_note::KeyIdRule::RekorV1,
        )
        .expect("a Rekor v1 note verifier for the log key");
        LogKey {
            log_id: hex::encode(public.spki_sha256()),
            public,
            hostname: hostname.to_owned(),
            tree_id,
            verifier,
        }
    }

    /// Verify a signed checkpoint (signature by this key under `hostname`, origin
    /// `<hostname> - <treeID>`) and return what it says.
    pub fn verify_checkpoint(&self, text: &str) -> Checkpoint {
        let signed = signed_note::SignedCheckpoint::verify(text.as_bytes(), &[&self.verifier])
            .unwrap_or_else(|e| panic!("checkpoint does not verify ({e}):\n{text}"));
        signed
            .require_origin(&format!("{} - {}", self.hostname, self.tree_id))
            .unwrap_or_else(|e| panic!("checkpoint origin: {e}\n{text}"));
        Checkpoint {
            size: signed.checkpoint().size(),
            root: *signed.checkpoint().root_hash(),
        }
    }

    /// Check a `LogEntry` as a client does (entry ID, SET, inclusion proof, checkpoint) and
    /// return what was checked.
    pub fn check_entry(&self, entry_id: &str, entry: &Value) -> Acked {
        let context = || format!("entry {entry_id}: {entry}");
        assert_eq!(entry_id.len(), 80, "{}", context());
        assert_eq!(
            &entry_id[..16],
            format!("{:016x}", self.tree_id),
            "entry ID starts with the tree ID: {}",
            context()
        );
        assert_eq!(entry["logID"], self.log_id.as_str(), "{}", context());
        let body_b64 = entry["body"]
            .as_str()
            .unwrap_or_else(|| panic!("{}", context()));
        let body = B64.decode(body_b64).expect("body is base64");
        let leaf = leaf_hash(&body);
        assert_eq!(
            &entry_id[16..],
            hex::encode(leaf),
            "UUID is the leaf hash: {}",
            context()
        );
        let index = entry["logIndex"]
            .as_u64()
            .unwrap_or_else(|| panic!("{}", context()));
        let integrated_time = entry["integratedTime"]
            .as_i64()
            .unwrap_or_else(|| panic!("{}", context()));

        // SET: the log's signature over exactly these four members, in canonical JSON.
        let payload = format!(
            "{{\"body\":\"{body_b64}\",\"integratedTime\":{integrated_time},\"logID\":\"{}\",\"logIndex\":{index}}}",
            self.log_id
        );
        let set = entry["verification"]["signedEntryTimestamp"]
            .as_str()
            .and_then(|s| B64.decode(s).ok())
            .unwrap_or_else(|| panic!("SET missing: {}", context()));
        self.public
            .verify(payload.as_bytes(), &set)
            .unwrap_or_else(|e| panic!("SET does not verify ({e}): {}", context()));

        // Inclusion proof, then the checkpoint it comes with.
        let proof = &entry["verification"]["inclusionProof"];
        assert_eq!(proof["logIndex"].as_u64(), Some(index), "{}", context());
        let size = proof["treeSize"]
            .as_u64()
            .unwrap_or_else(|| panic!("{}", context()));
        let hashes: Vec<Digest32> = proof["hashes"]
            .as_array()
            .unwrap_or_else(|| panic!("{}", context()))
            .iter()
            .map(|h| hex32(h.as_str().unwrap_or_default()))
            .collect();
        let root = hex32(proof["rootHash"].as_str().unwrap_or_default());
        assert_eq!(
            root_from_inclusion(&leaf, index, size, &hashes),
            Some(root),
            "inclusion proof does not lead to rootHash: {}",
            context()
        );
        let checkpoint = self.verify_checkpoint(
            proof["checkpoint"]
                .as_str()
                .unwrap_or_else(|| panic!("{}", context())),
        );
        assert_eq!(
            checkpoint,
            Checkpoint { size, root },
            "the checkpoint states treeSize and rootHash: {}",
            context()
        );
        Acked {
            id: entry_id.to_owned(),
            index,
            body: body_b64.to_owned(),
            integrated_time,
            checkpoint,
        }
    }
}

/// An entry as a 201 (or a read) returned it, after [`LogKey::check_entry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acked {
    /// The 80-hex entry ID.
    pub id: String,
    /// `logIndex`.
    pub index: u64,
    /// The canonical body, base64.
    pub body: String,
    /// `integratedTime`.
    pub integrated_time: i64,
    /// The checkpoint the inclusion proof came with.
    pub checkpoint: Checkpoint,
}

/// The one `{entryID: LogEntry}` member of a create or get response.
pub fn only_entry(body: &Value) -> (&str, &Value) {
    let map = body
        .as_object()
        .unwrap_or_else(|| panic!("a LogEntry object: {body}"));
    assert_eq!(map.len(), 1, "exactly one entry: {body}");
    let (id, entry) = map.iter().next().unwrap_or_else(|| panic!("{body}"));
    (id.as_str(), entry)
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

/// A response: status, `Location`, and the body as JSON (or as a JSON string when it is not).
#[derive(Debug, Clone)]
pub struct Reply {
    /// HTTP status.
    pub status: u16,
    /// The `Location` header.
    pub location: Option<String>,
    /// The body.
    pub body: Value,
}

/// The Rekor API of one server.
#[derive(Clone)]
pub struct Api {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    http: reqwest::Client,
}

impl Api {
    /// A client for `base`.
    pub fn new(base: &str) -> Api {
        Api {
            base: base.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("HTTP client"),
        }
    }

    async fn reply(response: reqwest::Response) -> Result<Reply, reqwest::Error> {
        let status = response.status().as_u16();
        let location = response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let text = response.text().await?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Reply {
            status,
            location,
            body,
        })
    }

    /// `POST /api/v1/log/entries`; a transport error (the server died) is returned, not a panic.
    pub async fn try_create(&self, proposal: &Value) -> Result<Reply, reqwest::Error> {
        let response = self
            .http
            .post(format!("{}/api/v1/log/entries", self.base))
            .json(proposal)
            .send()
            .await?;
        Api::reply(response).await
    }

    /// `POST /api/v1/log/entries` on a server that must be up.
    pub async fn create(&self, proposal: &Value) -> Reply {
        self.try_create(proposal)
            .await
            .unwrap_or_else(|e| panic!("POST {}/api/v1/log/entries: {e}", self.base))
    }

    /// `GET path` on a server that must be up.
    pub async fn get(&self, path: &str) -> Reply {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {}{path}: {e}", self.base));
        Api::reply(response)
            .await
            .unwrap_or_else(|e| panic!("GET {}{path}: reading the body: {e}", self.base))
    }

    /// `GET /api/v1/log`, its signed tree head verified and matching `treeSize`/`rootHash`.
    pub async fn log_info(&self, key: &LogKey) -> Checkpoint {
        let info = self.get("/api/v1/log").await;
        assert_eq!(
            info.status, 200,
            "GET {}/api/v1/log: {}",
            self.base, info.body
        );
        let checkpoint = key.verify_checkpoint(
            info.body["signedTreeHead"]
                .as_str()
                .unwrap_or_else(|| panic!("signedTreeHead: {}", info.body)),
        );
        assert_eq!(Some(checkpoint.size), info.body["treeSize"].as_u64());
        assert_eq!(
            checkpoint.root,
            hex32(info.body["rootHash"].as_str().unwrap_or_default())
        );
        assert_eq!(
            info.body["treeID"].as_str(),
            Some(key.tree_id.to_string().as_str())
        );
        checkpoint
    }

    /// Fetch a consistency proof from `old` to `new` and check it (with the RFC 9162 check above
    /// and with `tlog_core::verify_consistency`; both must accept). `origin` says where `old`
    /// was seen, for messages.
    pub async fn check_consistent(&self, old: &Checkpoint, new: &Checkpoint, origin: &str) {
        let reply = self
            .get(&format!(
                "/api/v1/log/proof?firstSize={}&lastSize={}",
                old.size, new.size
            ))
            .await;
        assert_eq!(
            reply.status, 200,
            "consistency proof {old} ({origin}) -> {new} from {}: {}",
            self.base, reply.body
        );
        let root = hex32(reply.body["rootHash"].as_str().unwrap_or_default());
        assert_eq!(
            root, new.root,
            "{}: the root of size {} is not the checkpoint's {new}",
            self.base, new.size
        );
        let hashes: Vec<Digest32> = reply.body["hashes"]
            .as_array()
            .unwrap_or_else(|| panic!("hashes: {}", reply.body))
            .iter()
            .map(|h| hex32(h.as_str().unwrap_or_default()))
            .collect();
        assert!(
            consistency_holds(old.size, new.size, &old.root, &new.root, &hashes),
            "FORK: checkpoint {old} ({origin}) is not consistent with {new} (proof from {}: {})",
            self.base,
            reply.body
        );
        let as_hashes: Vec<tlog_core::Hash> = hashes.iter().copied().map(tlog_core::Hash).collect();
        tlog_core::verify_consistency(
            old.size,
            new.size,
            &tlog_core::Hash(old.root),
            &tlog_core::Hash(new.root),
            &as_hashes,
        )
        .unwrap_or_else(|e| panic!("tlog-core rejects the proof {old} ({origin}) -> {new}: {e}"));
    }
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------------------------

/// A throw-away database on `$CAIRN_TEST_POSTGRES_URL` (default
/// `postgres://postgres@127.0.0.1:5432/postgres`), dropped with the guard (also on panic).
pub struct TestDb {
    /// URL of the database.
    pub url: String,
    name: String,
    server: String,
}

const DEFAULT_POSTGRES_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// `url` with its database replaced by `database` (query kept).
fn with_database(url: &str, database: &str) -> String {
    let (main, query) = url
        .split_once('?')
        .map_or((url, None), |(m, q)| (m, Some(q)));
    let authority = main.find("://").map_or(0, |i| i + 3);
    let base = main[authority..]
        .find('/')
        .map_or(main, |slash| &main[..authority + slash]);
    match query {
        Some(query) => format!("{base}/{database}?{query}"),
        None => format!("{base}/{database}"),
    }
}

impl TestDb {
    /// Create a fresh database. `None` (after a `SKIPPED` line) when the server is unreachable
    /// and `CAIRN_SKIP_POSTGRES=1`; otherwise an unreachable server fails the test.
    pub async fn create(test: &str) -> Option<TestDb> {
        use sqlx::{Connection, Executor};
        let server = std::env::var("CAIRN_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_POSTGRES_URL.to_owned());
        let connected = tokio::time::timeout(
            Duration::from_secs(10),
            sqlx::PgConnection::connect(&server),
        )
        .await;
        let problem = match connected {
            Ok(Ok(mut admin)) => {
                let name = unique_tag("cairn_test").replace('-', "_");
                admin
                    .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
                    .await
                    .unwrap_or_else(|e| panic!("creating database {name}: {e}"));
                let _ = admin.close().await;
                return Some(TestDb {
                    url: with_database(&server, &name),
                    name,
                    server,
                });
            }
            Ok(Err(err)) => err.to_string(),
            Err(_) => "timed out after 10 s".to_owned(),
        };
        let shown = store_postgres::redact_password(&server);
        if std::env::var("CAIRN_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!(
                "SKIPPED: {test}: PostgreSQL at {shown} is unreachable ({problem}); \
                 CAIRN_SKIP_POSTGRES=1"
            );
            return None;
        }
        panic!(
            "PostgreSQL at {shown} is unreachable: {problem}. Set CAIRN_TEST_POSTGRES_URL to a \
             server this test may create databases on, or CAIRN_SKIP_POSTGRES=1 to skip it."
        );
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        use sqlx::{Connection, Executor};
        // Drop may run inside the test's runtime, which must not block on async work: use a
        // thread with a runtime of its own.
        let server = self.server.clone();
        let name = self.name.clone();
        let dropped = std::thread::spawn(move || -> Result<(), String> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            runtime.block_on(async {
                let mut admin = sqlx::PgConnection::connect(&server)
                    .await
                    .map_err(|e| e.to_string())?;
                admin
                    .execute(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .await
                    .map_err(|e| e.to_string())?;
                let _ = admin.close().await;
                Ok(())
            })
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(err)) => eprintln!("could not drop test database {}: {err}", self.name),
            Err(_) => eprintln!("dropping test database {} panicked", self.name),
        }
    }
}
