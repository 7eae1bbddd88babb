//! The CT log over real HTTP on loopback. Certificates come from python `cryptography`
//! (`tests/support/gen_pki.py`); every SCT and STH the log returns is verified by
//! `tests/support/verify_ct.py` (which rebuilds the signed input itself, for precerts from the
//! final certificate it builds the way Fulcio does) and by `openssl dgst`. Proofs are checked
//! with `tlog_core` against leaf hashes computed here from `get-entries`' `leaf_input`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use ct_server::{ChainError, CtConfig, CtError, CtOpenError, CtState};
use der::{Decode, Encode};
use prometheus_client::registry::Registry;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tlog_core::Hash;
use tlog_engine::{EngineMetrics, LogStorage, memory::MemoryStorage};

const GEN_PKI: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/gen_pki.py");
const VERIFY_CT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/verify_ct.py");

/// The PKI python generated, as files in a temporary directory.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn generate() -> Pki {
        let dir = tempfile::tempdir().expect("tempdir");
        run(Command::new("python3").arg(GEN_PKI).arg(dir.path()));
        Pki { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn der(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.path(name)).expect("generated file")
    }

    /// `[leaf, intermediate, root]`.
    fn chain(&self, leaf: &str) -> Vec<Vec<u8>> {
        vec![self.der(leaf), self.der("inter.der"), self.der("root.der")]
    }
}

fn run(command: &mut Command) -> String {
    let output = command.output().expect("command runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "{command:?} failed\nstdout: {stdout}\nstderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

fn ct_key() -> Arc<dyn keys::Signer> {
    Arc::new(
        keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256)
            .expect("key generation"),
    )
}

/// A CT log served on 127.0.0.1 with a scratch directory for verifier files.
struct Server {
    base: String,
    client: reqwest::Client,
    state: CtState,
    registry: Registry,
    scratch: tempfile::TempDir,
    key_pem: PathBuf,
}

impl Server {
    async fn start(pki: &Pki, config: CtConfig) -> Server {
        Server::start_on(Arc::new(MemoryStorage::new()), ct_key(), pki, config).await
    }

    async fn start_on(
        storage: Arc<dyn LogStorage>,
        key: Arc<dyn keys::Signer>,
        pki: &Pki,
        config: CtConfig,
    ) -> Server {
        let mut registry = Registry::default();
        let engine = EngineMetrics::register(&mut registry);
        let state = CtState::open(
            storage,
            key.clone(),
            vec![pki.der("root.der")],
            &config,
            engine,
            &mut registry,
        )
        .await
        .expect("CT log opens");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let router = ct_server::router(state.clone());
        tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serve");
        });
        let scratch = tempfile::tempdir().expect("tempdir");
        let key_pem = scratch.path().join("ct-key.pem");
        std::fs::write(&key_pem, key.public_key().to_pem()).expect("write key");
        Server {
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
            state,
            registry,
            scratch,
            key_pem,
        }
    }

    async fn post(&self, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn submit(&self, path: &str, chain: &[Vec<u8>]) -> (u16, Value) {
        let chain: Vec<String> = chain.iter().map(|c| STANDARD.encode(c)).collect();
        self.post(path, json!({ "chain": chain }).to_string()).await
    }

    async fn get(&self, path_and_query: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path_and_query}", self.base))
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get_ok(&self, path_and_query: &str) -> Value {
        let (status, body) = self.get(path_and_query).await;
        assert_eq!(status, 200, "{path_and_query}: {body}");
        body
    }

    async fn tree_size(&self) -> u64 {
        self.get_ok("/ct/v1/get-sth").await["tree_size"]
            .as_u64()
            .expect("tree_size")
    }

    /// Run the python verifier on `response` (written to a file), then `openssl dgst` on the
    /// signed input and signature it wrote.
    fn verify_independently(&self, mode: &str, response: &Value, args: &[&Path]) {
        let out = self.scratch.path().join(mode);
        std::fs::create_dir_all(&out).expect("mkdir");
        let json_path = out.join("response.json");
        std::fs::write(&json_path, response.to_string()).expect("write response");
        let mut python = Command::new("python3");
        python
            .arg(VERIFY_CT)
            .arg(mode)
            .arg(&json_path)
            .arg(&self.key_pem);
        for arg in args {
            python.arg(arg);
        }
        python.arg(&out);
        assert_eq!(run(&mut python).trim(), "ok");
        let verified = run(Command::new("openssl")
            .args(["dgst", "-sha256", "-verify"])
            .arg(&self.key_pem)
            .arg("-signature")
            .arg(out.join("sig.der"))
            .arg(out.join("input.bin")));
        assert_eq!(verified.trim(), "Verified OK");
    }

    fn metrics_text(&self) -> String {
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &self.registry).expect("encode");
        text
    }
}

fn b64(value: &Value) -> Vec<u8> {
    STANDARD
        .decode(value.as_str().expect("base64 string"))
        .expect("valid base64")
}

fn hash32(value: &Value) -> Hash {
    Hash(b64(value).try_into().expect("32 bytes"))
}

fn hashes(value: &Value) -> Vec<Hash> {
    value
        .as_array()
        .expect("array")
        .iter()
        .map(hash32)
        .collect()
}

/// `SHA-256(0x00 || leaf_input)`, computed here rather than by the code under test.
fn leaf_hash_of(leaf_input: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0u8]);
    hasher.update(leaf_input);
    Hash(hasher.finalize().into())
}

fn u24(len: usize) -> [u8; 3] {
    let bytes = (len as u32).to_be_bytes();
    [bytes[1], bytes[2], bytes[3]]
}

fn spki_sha256(cert_der: &[u8]) -> [u8; 32] {
    let cert = x509_cert::Certificate::from_der(cert_der).expect("certificate");
    let spki = cert
        .tbs_certificate()
        .subject_public_key_info()
        .to_der()
        .expect("spki");
    Sha256::digest(spki).into()
}

#[tokio::test]
async fn precert_sct_verifies_independently() {
    let pki = Pki::generate();
    let server = Server::start(&pki, CtConfig::default()).await;
    assert_eq!(server.tree_size().await, 0);

    let (status, sct) = server
        .submit("/ct/v1/add-pre-chain", &pki.chain("precert-0.der"))
        .await;
    assert_eq!(status, 200, "{sct}");
    assert_eq!(b64(&sct["id"]), server.state.log_id());
    server.verify_independently(
        "sct-precert",
        &sct,
        &[
            &pki.path("precert-0.der"),
            &pki.path("inter.der"),
            &pki.path("inter.key.pem"),
        ],
    );

    let sth = server.get_ok("/ct/v1/get-sth").await;
    assert_eq!(sth["tree_size"], 1);
    assert!(sth["timestamp"].as_u64() >= sct["timestamp"].as_u64());
    server.verify_independently("sth", &sth, &[]);

    // The entry: leaf_input is the MerkleTreeLeaf with the SCT's timestamp, entry type
    // precert, the intermediate's key hash; extra_data is the precert and the chain.
    let entries = server.get_ok("/ct/v1/get-entries?start=0&end=0").await;
    let entries = entries["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 1);
    let leaf_input = b64(&entries[0]["leaf_input"]);
    assert_eq!(&leaf_input[..2], &[0, 0]);
    let timestamp = sct["timestamp"].as_u64().expect("timestamp");
    assert_eq!(&leaf_input[2..10], &timestamp.to_be_bytes());
    assert_eq!(&leaf_input[10..12], &[0, 1]);
    assert_eq!(&leaf_input[12..44], &spki_sha256(&pki.der("inter.der")));
    let mut extra = Vec::new();
    let precert = pki.der("precert-0.der");
    extra.extend_from_slice(&u24(precert.len()));
    extra.extend_from_slice(&precert);
    let (inter, root) = (pki.der("inter.der"), pki.der("root.der"));
    extra.extend_from_slice(&u24(inter.len() + root.len() + 6));
    extra.extend_from_slice(&u24(inter.len()));
    extra.extend_from_slice(&inter);
    extra.extend_from_slice(&u24(root.len()));
    extra.extend_from_slice(&root);
    assert_eq!(b64(&entries[0]["extra_data"]), extra);

    // A proof by that leaf's hash verifies against the signed root.
    let leaf_hash = leaf_hash_of(&leaf_input);
    let query = format!(
        "/ct/v1/get-proof-by-hash?hash={}&tree_size=1",
        urlencode(&STANDARD.encode(leaf_hash.0))
    );
    let proof = server.get_ok(&query).await;
    assert_eq!(proof["leaf_index"], 0);
    let root_hash = hash32(&sth["sha256_root_hash"]);
    tlog_core::verify_inclusion(&leaf_hash, 0, 1, &hashes(&proof["audit_path"]), &root_hash)
        .expect("inclusion proof verifies");

    // The SCT also verifies with ct-types, for the leaf as stored.
    let response: ct_types::AddChainResponse =
        serde_json::from_value(sct.clone()).expect("AddChainResponse");
    let leaf = ct_types::MerkleTreeLeaf::decode(&leaf_input).expect("leaf decodes");
    ct_types::verify_sct(
        &response.to_sct().expect("sct"),
        server.state.public_key(),
        &leaf.timestamped_entry.entry,
    )
    .expect("SCT verifies for the stored entry");

    let metrics = server.metrics_text();
    assert!(
        metrics.contains(r#"ct_scts_issued_total{entry_type="precert",origin="new"} 1"#),
        "{metrics}"
    );
}

/// Percent-encode base64 for a query string.
fn urlencode(text: &str) -> String {
    text.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

#[tokio::test]
async fn x509_chain_and_proofs() {
    let pki = Pki::generate();
    let server = Server::start(&pki, CtConfig::default()).await;

    let (status, sct) = server
        .submit("/ct/v1/add-chain", &pki.chain("cert.der"))
        .await;
    assert_eq!(status, 200, "{sct}");
    server.verify_independently("sct-x509", &sct, &[&pki.path("cert.der")]);
    let first_sth = server.get_ok("/ct/v1/get-sth").await;
    assert_eq!(first_sth["tree_size"], 1);

    for i in 1..4 {
        let (status, body) = server
            .submit(
                "/ct/v1/add-pre-chain",
                &pki.chain(&format!("precert-{i}.der")),
            )
            .await;
        assert_eq!(status, 200, "{body}");
    }
    let sth = server.get_ok("/ct/v1/get-sth").await;
    assert_eq!(sth["tree_size"], 4);
    server.verify_independently("sth", &sth, &[]);
    let root = hash32(&sth["sha256_root_hash"]);

    // The whole tree from get-entries hashes to the signed root.
    let entries = server.get_ok("/ct/v1/get-entries?start=0&end=3").await;
    let entries = entries["entries"].as_array().expect("entries").clone();
    assert_eq!(entries.len(), 4);
    let leaf_hashes: Vec<Hash> = entries
        .iter()
        .map(|e| leaf_hash_of(&b64(&e["leaf_input"])))
        .collect();
    let x509_leaf = b64(&entries[0]["leaf_input"]);
    assert_eq!(&x509_leaf[10..12], &[0, 0], "entry 0 is an x509_entry");
    assert_eq!(&x509_leaf[12..15], &u24(pki.der("cert.der").len()));
    assert_eq!(
        &x509_leaf[15..15 + pki.der("cert.der").len()],
        &pki.der("cert.der")[..]
    );

    for (index, leaf_hash) in leaf_hashes.iter().enumerate() {
        let got = server
            .get_ok(&format!(
                "/ct/v1/get-entry-and-proof?leaf_index={index}&tree_size=4"
            ))
            .await;
        assert_eq!(got["leaf_input"], entries[index]["leaf_input"]);
        assert_eq!(got["extra_data"], entries[index]["extra_data"]);
        tlog_core::verify_inclusion(
            leaf_hash,
            index as u64,
            4,
            &hashes(&got["audit_path"]),
            &root,
        )
        .expect("get-entry-and-proof verifies");
        let by_hash = server
            .get_ok(&format!(
                "/ct/v1/get-proof-by-hash?hash={}&tree_size=4",
                urlencode(&STANDARD.encode(leaf_hash.0))
            ))
            .await;
        assert_eq!(by_hash["leaf_index"], index);
        tlog_core::verify_inclusion(
            leaf_hash,
            index as u64,
            4,
            &hashes(&by_hash["audit_path"]),
            &root,
        )
        .expect("get-proof-by-hash verifies");
    }

    // Consistency between the first STH and the latest one.
    let proof = server
        .get_ok("/ct/v1/get-sth-consistency?first=1&second=4")
        .await;
    tlog_core::verify_consistency(
        1,
        4,
        &hash32(&first_sth["sha256_root_hash"]),
        &root,
        &hashes(&proof["consistency"]),
    )
    .expect("consistency proof verifies");
    let proof = server
        .get_ok("/ct/v1/get-sth-consistency?first=3&second=4")
        .await;
    let mut three = tlog_core::MemoryTree::new();
    for hash in &leaf_hashes[..3] {
        three.push(*hash);
    }
    tlog_core::verify_consistency(3, 4, &three.root(), &root, &hashes(&proof["consistency"]))
        .expect("consistency proof 3 → 4 verifies");
    for query in ["first=0&second=4", "first=4&second=4"] {
        let empty = server
            .get_ok(&format!("/ct/v1/get-sth-consistency?{query}"))
            .await;
        assert_eq!(empty["consistency"], json!([]), "{query}");
    }

    // get-entries clips to the tree; get-roots lists the root.
    let clipped = server.get_ok("/ct/v1/get-entries?start=2&end=999999").await;
    assert_eq!(clipped["entries"].as_array().map(Vec::len), Some(2));
    let roots = server.get_ok("/ct/v1/get-roots").await;
    assert_eq!(
        roots["certificates"],
        json!([STANDARD.encode(pki.der("root.der"))])
    );
}

/// A submission the log must refuse: endpoint, what it is, chain, status, part of the message.
type BadCase = (&'static str, &'static str, Vec<Vec<u8>>, u16, &'static str);

#[tokio::test]
async fn bad_submissions_change_nothing() {
    let pki = Pki::generate();
    let config = CtConfig {
        max_request_bytes: 16 * 1024,
        ..CtConfig::default()
    };
    let server = Server::start(&pki, config).await;
    let (status, _) = server
        .submit("/ct/v1/add-pre-chain", &pki.chain("precert-0.der"))
        .await;
    assert_eq!(status, 200);
    let before = server.get_ok("/ct/v1/get-sth").await;

    let other = vec![pki.der("other-precert.der"), pki.der("other-root.der")];
    let cases: Vec<BadCase> = vec![
        ("add-pre-chain", "another root", other.clone(), 400, "root"),
        (
            "add-pre-chain",
            "leaf alone, other root",
            other[..1].to_vec(),
            400,
            "root",
        ),
        (
            "add-pre-chain",
            "final cert",
            pki.chain("cert.der"),
            400,
            "not a precertificate",
        ),
        (
            "add-chain",
            "precert",
            pki.chain("precert-1.der"),
            400,
            "precertificate",
        ),
        (
            "add-pre-chain",
            "serverAuth EKU",
            pki.chain("precert-serverauth.der"),
            400,
            "codeSigning",
        ),
        (
            "add-pre-chain",
            "non-critical poison",
            pki.chain("precert-noncritical-poison.der"),
            400,
            "poison",
        ),
        (
            "add-pre-chain",
            "wrong signer",
            pki.chain("forged-precert.der"),
            400,
            "signature",
        ),
        (
            "add-pre-chain",
            "order reversed",
            vec![
                pki.der("root.der"),
                pki.der("inter.der"),
                pki.der("precert-1.der"),
            ],
            400,
            "poison",
        ),
        (
            "add-pre-chain",
            "chain without the intermediate",
            vec![pki.der("precert-1.der"), pki.der("root.der")],
            400,
            "issued",
        ),
        ("add-pre-chain", "empty chain", vec![], 400, "empty"),
        (
            "add-pre-chain",
            "not DER",
            vec![b"not a certificate".to_vec()],
            400,
            "parse",
        ),
    ];
    for (endpoint, what, chain, want_status, want_message) in cases {
        let (status, body) = server.submit(&format!("/ct/v1/{endpoint}"), &chain).await;
        assert_eq!(status, want_status, "{what}: {body}");
        assert_eq!(body["code"], want_status, "{what}: {body}");
        let message = body["message"].as_str().expect("message");
        assert!(message.contains(want_message), "{what}: {message}");
    }

    let raw_cases: Vec<(&str, String, u16)> = vec![
        (
            "garbage base64",
            r#"{"chain":["@@@not base64@@@"]}"#.to_owned(),
            400,
        ),
        ("not JSON", "chain please".to_owned(), 400),
        ("chain not a list", r#"{"chain":"AAAA"}"#.to_owned(), 400),
        (
            "oversize body",
            format!(r#"{{"chain":["{}"]}}"#, "A".repeat(20 * 1024)),
            413,
        ),
    ];
    for (what, body, want_status) in raw_cases {
        let (status, response) = server.post("/ct/v1/add-pre-chain", body).await;
        assert_eq!(status, want_status, "{what}: {response}");
        assert_eq!(response["code"], want_status, "{what}: {response}");
    }

    let after = server.get_ok("/ct/v1/get-sth").await;
    assert_eq!(after, before, "refused submissions must not touch the log");

    // The in-process API refuses the same way, with a typed error.
    let err = server
        .state
        .add_pre_chain(&other)
        .await
        .expect_err("untrusted chain");
    assert!(
        matches!(err, CtError::BadChain(ChainError::UntrustedRoot)),
        "{err:?}"
    );
    let err = server
        .state
        .add_pre_chain(&vec![vec![0u8; 10_000]; 2])
        .await
        .expect_err("too large");
    assert_eq!(err.status().as_u16(), 413);

    let metrics = server.metrics_text();
    for reason in [
        "untrusted_root",
        "not_precertificate",
        "key_usage",
        "malformed_poison",
        "bad_json",
        "too_large",
    ] {
        assert!(
            metrics.contains(&format!(
                r#"log_appends_rejected_total{{log="ct",reason="{reason}"}}"#
            )),
            "{reason} missing from\n{metrics}"
        );
    }
}

#[tokio::test]
async fn duplicates_get_the_original_timestamp() {
    let pki = Pki::generate();
    let server = Server::start(&pki, CtConfig::default()).await;
    let chain = pki.chain("precert-2.der");
    let (_, first) = server.submit("/ct/v1/add-pre-chain", &chain).await;
    let (status, again) = server.submit("/ct/v1/add-pre-chain", &chain).await;
    assert_eq!(status, 200, "{again}");
    assert_eq!(again["timestamp"], first["timestamp"]);
    assert_eq!(again["id"], first["id"]);
    assert_eq!(server.tree_size().await, 1);
    // The re-issued SCT is a valid SCT in its own right.
    server.verify_independently(
        "sct-precert",
        &again,
        &[
            &pki.path("precert-2.der"),
            &pki.path("inter.der"),
            &pki.path("inter.key.pem"),
        ],
    );
    assert!(
        server
            .metrics_text()
            .contains(r#"ct_scts_issued_total{entry_type="precert",origin="duplicate"} 1"#)
    );
}

#[tokio::test]
async fn read_parameters_are_checked() {
    let pki = Pki::generate();
    let server = Server::start(&pki, CtConfig::default()).await;
    for i in 0..2 {
        let (status, _) = server
            .submit(
                "/ct/v1/add-pre-chain",
                &pki.chain(&format!("precert-{i}.der")),
            )
            .await;
        assert_eq!(status, 200);
    }
    let unknown = urlencode(&STANDARD.encode([7u8; 32]));
    let cases: Vec<(String, u16)> = vec![
        ("/ct/v1/get-entries?start=1&end=0".into(), 400),
        ("/ct/v1/get-entries?start=2&end=3".into(), 400),
        ("/ct/v1/get-entries?start=-1&end=0".into(), 400),
        ("/ct/v1/get-entries?start=0".into(), 400),
        ("/ct/v1/get-sth-consistency?first=2&second=1".into(), 400),
        ("/ct/v1/get-sth-consistency?first=1&second=3".into(), 400),
        ("/ct/v1/get-sth-consistency?first=x&second=1".into(), 400),
        (
            format!("/ct/v1/get-proof-by-hash?hash={unknown}&tree_size=2"),
            404,
        ),
        ("/ct/v1/get-proof-by-hash?hash=AAAA&tree_size=2".into(), 400),
        ("/ct/v1/get-proof-by-hash?hash=%%%&tree_size=2".into(), 400),
        (
            format!("/ct/v1/get-proof-by-hash?hash={unknown}&tree_size=0"),
            400,
        ),
        (
            format!("/ct/v1/get-proof-by-hash?hash={unknown}&tree_size=3"),
            400,
        ),
        (
            "/ct/v1/get-entry-and-proof?leaf_index=2&tree_size=2".into(),
            400,
        ),
        (
            "/ct/v1/get-entry-and-proof?leaf_index=0&tree_size=3".into(),
            400,
        ),
        ("/ct/v1/get-entry-and-proof?leaf_index=0".into(), 400),
    ];
    for (query, want) in cases {
        let (status, body) = server.get(&query).await;
        assert_eq!(status, want, "{query}: {body}");
        assert_eq!(body["code"], want, "{query}: {body}");
    }

    // A leaf of the second entry is not in the tree of size 1: 404.
    let entries = server.get_ok("/ct/v1/get-entries?start=1&end=1").await;
    let leaf_hash = leaf_hash_of(&b64(&entries["entries"][0]["leaf_input"]));
    let encoded = urlencode(&STANDARD.encode(leaf_hash.0));
    let (status, _) = server
        .get(&format!(
            "/ct/v1/get-proof-by-hash?hash={encoded}&tree_size=1"
        ))
        .await;
    assert_eq!(status, 404);
    let found = server
        .get_ok(&format!(
            "/ct/v1/get-proof-by-hash?hash={encoded}&tree_size=2"
        ))
        .await;
    assert_eq!(found["leaf_index"], 1);
}

#[tokio::test]
async fn sqlite_log_survives_a_restart_and_refuses_another_key() {
    let pki = Pki::generate();
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("cairn.db");
    let key = ct_key();

    let store = store_sqlite::SqliteStore::open(&db).await.expect("sqlite");
    let server = Server::start_on(store.log("ct"), key.clone(), &pki, CtConfig::default()).await;
    let (status, sct) = server
        .submit("/ct/v1/add-pre-chain", &pki.chain("precert-3.der"))
        .await;
    assert_eq!(status, 200, "{sct}");
    let (status, _) = server
        .submit("/ct/v1/add-chain", &pki.chain("cert.der"))
        .await;
    assert_eq!(status, 200);
    let sth = server.get_ok("/ct/v1/get-sth").await;
    let entries = server.get_ok("/ct/v1/get-entries?start=0&end=1").await;
    drop(server);
    store.close().await;

    let store = store_sqlite::SqliteStore::open(&db)
        .await
        .expect("sqlite reopens");
    let server = Server::start_on(store.log("ct"), key, &pki, CtConfig::default()).await;
    assert_eq!(server.get_ok("/ct/v1/get-sth").await, sth);
    assert_eq!(
        server.get_ok("/ct/v1/get-entries?start=0&end=1").await,
        entries
    );
    server.verify_independently("sth", &sth, &[]);
    // The stored precert chain comes back as submitted.
    let extra = b64(&entries["entries"][0]["extra_data"]);
    let precert = pki.der("precert-3.der");
    assert_eq!(&extra[3..3 + precert.len()], &precert[..]);
    // The duplicate check finds the stored entry after the restart.
    let (_, again) = server
        .submit("/ct/v1/add-pre-chain", &pki.chain("precert-3.der"))
        .await;
    assert_eq!(again["timestamp"], sct["timestamp"]);
    assert_eq!(server.tree_size().await, 2);
    drop(server);

    let mut registry = Registry::default();
    let err = CtState::open(
        store.log("ct"),
        ct_key(),
        vec![pki.der("root.der")],
        &CtConfig::default(),
        EngineMetrics::unregistered(),
        &mut registry,
    )
    .await
    .expect_err("another key");
    assert!(matches!(err, CtOpenError::ForeignLog { .. }), "{err}");
    store.close().await;
}

#[tokio::test]
async fn open_checks_key_roots_and_config() {
    let pki = Pki::generate();
    let open = |key: Arc<dyn keys::Signer>, roots: Vec<Vec<u8>>, config: CtConfig| async move {
        let mut registry = Registry::default();
        CtState::open(
            Arc::new(MemoryStorage::new()),
            key,
            roots,
            &config,
            EngineMetrics::unregistered(),
            &mut registry,
        )
        .await
    };
    let p384: Arc<dyn keys::Signer> = Arc::new(
        keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP384Sha384)
            .expect("key generation"),
    );
    let err = open(p384, vec![pki.der("root.der")], CtConfig::default())
        .await
        .expect_err("P-384 key");
    assert!(matches!(err, CtOpenError::WrongKeyKind(_)), "{err}");
    let err = open(ct_key(), vec![], CtConfig::default())
        .await
        .expect_err("no roots");
    assert!(matches!(err, CtOpenError::NoRoots), "{err}");
    let err = open(ct_key(), vec![pki.der("cert.der")], CtConfig::default())
        .await
        .expect_err("a leaf is not a root");
    assert!(
        matches!(err, CtOpenError::BadRoot { index: 0, .. }),
        "{err}"
    );
    let err = open(
        ct_key(),
        vec![pki.der("root.der")],
        CtConfig {
            max_chain_length: 0,
            ..CtConfig::default()
        },
    )
    .await
    .expect_err("bad config");
    assert!(matches!(err, CtOpenError::Config(_)), "{err}");

    // Two roots, one repeated: get-roots lists each once.
    let state = open(
        ct_key(),
        vec![
            pki.der("root.der"),
            pki.der("other-root.der"),
            pki.der("root.der"),
        ],
        CtConfig::default(),
    )
    .await
    .expect("opens");
    assert_eq!(state.roots_der().len(), 2);
    // And a chain to the second root is now accepted in-process.
    let sct = state
        .add_pre_chain(&[pki.der("other-precert.der"), pki.der("other-root.der")])
        .await
        .expect("accepted");
    let entry = ct_types::precert_entry_from_precert(
        &pki.der("other-precert.der"),
        &x509_cert::Certificate::from_der(&pki.der("other-root.der"))
            .expect("root")
            .tbs_certificate()
            .subject_public_key_info()
            .to_der()
            .expect("spki"),
    )
    .expect("entry");
    ct_types::verify_sct(&sct, state.public_key(), &entry).expect("verifies");
}
