//! The Rekor v1 API over real HTTP on loopback. Responses are checked the way a client checks
//! them, with verification code written here (RFC 9162 proof checking, the SET's canonical
//! JSON, the checkpoint's text and signature) rather than the code that produced them.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use prometheus_client::registry::Registry;
use rekor_server::config::RekorConfig;
use rekor_server::{RekorState, router};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tlog_engine::EngineMetrics;
use tlog_engine::memory::MemoryStorage;

struct Server {
    base: String,
    client: reqwest::Client,
    log_key: keys::PublicKey,
}

async fn start_with(config: RekorConfig) -> Server {
    let key = keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let log_key = keys::Signer::public_key(&key).clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let mut registry = Registry::default();
    let state = RekorState::open(
        Arc::new(MemoryStorage::new()),
        Arc::new(key),
        &addr.to_string(),
        &config,
        EngineMetrics::unregistered(),
        &mut registry,
    )
    .await
    .unwrap();
    let app = router(state);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Server {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        log_key,
    }
}

async fn start() -> Server {
    start_with(RekorConfig::default()).await
}

/// A client signing key and the proposed hashedrekord entry for `artifact`.
fn hashedrekord(signer: &keys::SoftwareSigner, artifact: &[u8]) -> Value {
    let digest = Sha256::digest(artifact);
    let signature = keys::Signer::sign(signer, artifact).unwrap();
    json!({
        "apiVersion": "0.0.1",
        "kind": "hashedrekord",
        "spec": {
            "data": {"hash": {"algorithm": "sha256", "value": hex::encode(digest)}},
            "signature": {
                "content": B64.encode(signature),
                "publicKey": {"content": B64.encode(keys::Signer::public_key(signer).to_pem())},
            },
        },
    })
}

fn client_key() -> keys::SoftwareSigner {
    keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).unwrap()
}

// ---- Independent verification (RFC 9162 §2.1.3.2, written out again) ----

fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

fn root_from_proof(leaf: [u8; 32], index: u64, size: u64, proof: &[[u8; 32]]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut fnode, mut snode, mut r) = (index, size - 1, leaf);
    for p in proof {
        if snode == 0 {
            return None;
        }
        if fnode & 1 == 1 || fnode == snode {
            r = sha256(&[&[1], p, &r]);
            if fnode & 1 == 0 {
                while fnode & 1 == 0 && fnode != 0 {
                    fnode >>= 1;
                    snode >>= 1;
                }
            }
        } else {
            r = sha256(&[&[1], &r, p]);
        }
        fnode >>= 1;
        snode >>= 1;
    }
    (snode == 0).then_some(r)
}

fn hex32(s: &str) -> [u8; 32] {
    hex::decode(s).unwrap().try_into().unwrap()
}

/// Check one LogEntry value as sigstore-python does: SET, inclusion proof, checkpoint.
fn verify_entry(server: &Server, entry_id: &str, entry: &Value) {
    let log_id = hex::encode(server.log_key.spki_sha256());
    assert_eq!(entry["logID"], log_id.as_str());
    assert_eq!(
        entry_id.len(),
        80,
        "entry IDs are treeID (16 hex) + UUID (64 hex)"
    );
    let body = B64.decode(entry["body"].as_str().unwrap()).unwrap();
    let leaf = sha256(&[&[0], &body]);
    assert_eq!(&entry_id[16..], hex::encode(leaf), "UUID is the leaf hash");

    // SET: ECDSA over the canonical JSON of exactly four members (keys sorted, no spaces).
    let payload = format!(
        "{{\"body\":\"{}\",\"integratedTime\":{},\"logID\":\"{}\",\"logIndex\":{}}}",
        entry["body"].as_str().unwrap(),
        entry["integratedTime"].as_i64().unwrap(),
        log_id,
        entry["logIndex"].as_i64().unwrap()
    );
    let set = B64
        .decode(
            entry["verification"]["signedEntryTimestamp"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    server
        .log_key
        .verify(payload.as_bytes(), &set)
        .expect("SET verifies over the canonical payload");

    // Inclusion proof.
    let proof = &entry["verification"]["inclusionProof"];
    let index = proof["logIndex"].as_u64().unwrap();
    assert_eq!(index, entry["logIndex"].as_u64().unwrap());
    let size = proof["treeSize"].as_u64().unwrap();
    let hashes: Vec<[u8; 32]> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| hex32(h.as_str().unwrap()))
        .collect();
    let root = hex32(proof["rootHash"].as_str().unwrap());
    assert_eq!(
        root_from_proof(leaf, index, size, &hashes),
        Some(root),
        "inclusion proof verifies to rootHash"
    );

    // Checkpoint: text, then one signature line by the log (hint = logID[:4]).
    let checkpoint = proof["checkpoint"].as_str().unwrap();
    let (text, signatures) = checkpoint.split_once("\n\n").expect("blank line");
    let lines: Vec<&str> = text.lines().collect();
    let host = server.base.trim_start_matches("http://");
    assert!(
        lines[0].starts_with(&format!("{host} - ")),
        "origin {:?}",
        lines[0]
    );
    assert!(
        lines[0]
            .rsplit(" - ")
            .next()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert_eq!(lines[1], size.to_string());
    assert_eq!(B64.decode(lines[2]).unwrap(), root);
    let sig_lines: Vec<&str> = signatures.lines().collect();
    assert_eq!(
        sig_lines.len(),
        1,
        "exactly one signature line in a v1 checkpoint"
    );
    let rest = sig_lines[0].strip_prefix("\u{2014} ").expect("em dash");
    let (name, sig_b64) = rest.split_once(' ').unwrap();
    assert_eq!(name, host);
    let sig = B64.decode(sig_b64).unwrap();
    assert_eq!(&sig[..4], &server.log_key.spki_sha256()[..4], "key hint");
    server
        .log_key
        .verify(format!("{text}\n").as_bytes(), &sig[4..])
        .expect("checkpoint signature verifies");
}

async fn post(server: &Server, path: &str, body: &Value) -> reqwest::Response {
    server
        .client
        .post(format!("{}{path}", server.base))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get(server: &Server, path: &str) -> reqwest::Response {
    server
        .client
        .get(format!("{}{path}", server.base))
        .send()
        .await
        .unwrap()
}

async fn tree_size(server: &Server) -> u64 {
    let info: Value = get(server, "/api/v1/log").await.json().await.unwrap();
    info["treeSize"].as_u64().unwrap()
}

#[tokio::test]
async fn create_returns_a_verifiable_entry_and_duplicates_conflict() {
    let server = start().await;
    let signer = client_key();
    let proposed = hashedrekord(&signer, b"hello cairn");
    let response = post(&server, "/api/v1/log/entries", &proposed).await;
    assert_eq!(response.status(), 201);
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let body: Value = response.json().await.unwrap();
    let map = body.as_object().unwrap();
    assert_eq!(map.len(), 1);
    let (entry_id, entry) = map.iter().next().unwrap();
    assert_eq!(&etag, entry_id, "ETag is exactly the response's key");
    assert_eq!(location, format!("/api/v1/log/entries/{entry_id}"));
    assert!(
        entry["logIndex"].as_u64().unwrap() >= 1,
        "index 0 is the genesis entry"
    );
    verify_entry(&server, entry_id, entry);

    // The stored body is the canonical form: keys sorted, PEM re-encoded.
    let stored: Value =
        serde_json::from_slice(&B64.decode(entry["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(stored["kind"], "hashedrekord");
    assert_eq!(stored["spec"]["data"], proposed["spec"]["data"]);

    let again = post(&server, "/api/v1/log/entries", &proposed).await;
    assert_eq!(again.status(), 409);
    assert_eq!(
        again.headers()["location"].to_str().unwrap(),
        format!("/api/v1/log/entries/{entry_id}")
    );
    let error: Value = again.json().await.unwrap();
    assert_eq!(error["code"], 409);
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains(entry_id.as_str())
    );
}

#[tokio::test]
async fn entries_read_back_by_index_uuid_and_search() {
    let server = start().await;
    let signer = client_key();
    let mut ids = Vec::new();
    let mut proposals = Vec::new();
    for i in 0..5 {
        let proposed = hashedrekord(&signer, format!("artifact {i}").as_bytes());
        let response = post(&server, "/api/v1/log/entries", &proposed).await;
        proposals.push(proposed);
        assert_eq!(response.status(), 201);
        let body: Value = response.json().await.unwrap();
        let (id, entry) = body.as_object().unwrap().iter().next().unwrap();
        ids.push((id.clone(), entry["logIndex"].as_u64().unwrap()));
    }
    let (id, index) = ids[2].clone();
    for path in [
        format!("/api/v1/log/entries?logIndex={index}"),
        format!("/api/v1/log/entries/{id}"),
        format!("/api/v1/log/entries/{}", &id[16..]),
    ] {
        let response = get(&server, &path).await;
        assert_eq!(response.status(), 200, "{path}");
        let body: Value = response.json().await.unwrap();
        let entry = &body[&id];
        assert_eq!(entry["logIndex"].as_u64(), Some(index), "{path}");
        verify_entry(&server, &id, entry);
        // Proofs for reads are to the newest head.
        assert_eq!(
            entry["verification"]["inclusionProof"]["treeSize"].as_u64(),
            Some(tree_size(&server).await)
        );
    }

    let unknown = get(&server, &format!("/api/v1/log/entries/{}", "ab".repeat(32))).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(unknown.json::<Value>().await.unwrap()["code"], 404);
    let bad = get(&server, "/api/v1/log/entries/not-hex").await;
    assert_eq!(bad.status(), 400);
    let missing = get(&server, "/api/v1/log/entries?logIndex=999999").await;
    assert_eq!(missing.status(), 404);

    // retrieve: by UUID, by index, by content; unknown ones skipped. (ECDSA signatures are
    // randomised, so a fresh signature over the same artifact is a different entry.)
    let query = json!({
        "entryUUIDs": [ids[0].0, "cd".repeat(32)],
        "logIndexes": [ids[1].1, 424242],
        "entries": [proposals[4], hashedrekord(&signer, b"artifact 4")],
    });
    let response = post(&server, "/api/v1/log/entries/retrieve", &query).await;
    assert_eq!(response.status(), 200);
    let found: Vec<Value> = response.json().await.unwrap();
    let found_ids: Vec<&String> = found
        .iter()
        .map(|e| e.as_object().unwrap().keys().next().unwrap())
        .collect();
    assert_eq!(found_ids, vec![&ids[0].0, &ids[1].0, &ids[4].0]);
    let too_many = json!({"logIndexes": (0..11).collect::<Vec<u64>>()});
    assert_eq!(
        post(&server, "/api/v1/log/entries/retrieve", &too_many)
            .await
            .status(),
        422
    );

    // index/retrieve by artifact hash and by public key.
    let by_hash = json!({"hash": format!("sha256:{}", hex::encode(Sha256::digest(b"artifact 3")))});
    let response = post(&server, "/api/v1/index/retrieve", &by_hash).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.json::<Vec<String>>().await.unwrap(),
        vec![ids[3].0.clone()]
    );
    let by_key = json!({"publicKey": {
        "format": "x509",
        "content": B64.encode(keys::Signer::public_key(&signer).to_pem()),
    }});
    let response = post(&server, "/api/v1/index/retrieve", &by_key).await;
    assert_eq!(response.status(), 200);
    let all: Vec<String> = response.json().await.unwrap();
    assert_eq!(
        all,
        ids.iter().map(|(id, _)| id.clone()).collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn log_info_public_key_and_consistency_proofs() {
    let server = start().await;
    let signer = client_key();
    let first: Value = get(&server, "/api/v1/log").await.json().await.unwrap();
    let old_size = first["treeSize"].as_u64().unwrap();
    assert_eq!(old_size, 1, "a new log holds only its genesis entry");
    for i in 0..7 {
        post(
            &server,
            "/api/v1/log/entries",
            &hashedrekord(&signer, format!("c{i}").as_bytes()),
        )
        .await;
    }
    let info: Value = get(&server, "/api/v1/log").await.json().await.unwrap();
    let new_size = info["treeSize"].as_u64().unwrap();
    assert_eq!(new_size, 8);
    let tree_id: u64 = info["treeID"].as_str().unwrap().parse().unwrap();
    let sth = info["signedTreeHead"].as_str().unwrap();
    assert!(
        sth.contains(&format!(" - {tree_id}\n{new_size}\n")),
        "{sth}"
    );

    let pem = get(&server, "/api/v1/log/publicKey").await;
    assert_eq!(pem.headers()["content-type"], "application/x-pem-file");
    let pem = pem.text().await.unwrap();
    assert_eq!(keys::PublicKey::from_pem(&pem).unwrap(), server.log_key);

    let response = get(
        &server,
        &format!("/api/v1/log/proof?firstSize=3&lastSize={new_size}"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let proof: Value = response.json().await.unwrap();
    assert_eq!(proof["rootHash"], info["rootHash"]);
    let hashes: Vec<tlog_core::Hash> = proof["hashes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| tlog_core::Hash(hex32(h.as_str().unwrap())))
        .collect();
    let old_root: Value = get(&server, "/api/v1/log/proof?firstSize=3&lastSize=3")
        .await
        .json()
        .await
        .unwrap();
    tlog_core::verify_consistency(
        3,
        new_size,
        &tlog_core::Hash(hex32(old_root["rootHash"].as_str().unwrap())),
        &tlog_core::Hash(hex32(info["rootHash"].as_str().unwrap())),
        &hashes,
    )
    .expect("consistency proof verifies");

    for bad in [
        "/api/v1/log/proof?firstSize=5&lastSize=2",
        "/api/v1/log/proof?lastSize=99",
        "/api/v1/log/proof?firstSize=0&lastSize=2",
        "/api/v1/log/proof?firstSize=x&lastSize=2",
        "/api/v1/log/proof",
        "/api/v1/log/publicKey?treeID=12",
    ] {
        let response = get(&server, bad).await;
        assert_eq!(response.status(), 400, "{bad}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["code"], 400, "{bad}");
    }
}

#[tokio::test]
async fn bad_entries_get_clear_errors_and_change_nothing() {
    let server = start_with(RekorConfig {
        max_entry_bytes: 4096,
        ..RekorConfig::default()
    })
    .await;
    let signer = client_key();
    let before = tree_size(&server).await;

    let good = hashedrekord(&signer, b"payload");
    let mut wrong_signature = good.clone();
    wrong_signature["spec"]["data"]["hash"]["value"] =
        json!(hex::encode(Sha256::digest(b"other payload")));
    let mut wrong_kind = good.clone();
    wrong_kind["kind"] = json!("helm-chart");
    let mut wrong_version = good.clone();
    wrong_version["apiVersion"] = json!("9.9.9");
    let mut short_digest = good.clone();
    short_digest["spec"]["data"]["hash"]["value"] = json!("abcd");
    let mut not_a_key = good.clone();
    not_a_key["spec"]["signature"]["publicKey"]["content"] = json!(B64.encode("not a pem"));
    let oversized =
        json!({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {"x": "a".repeat(5000)}});

    let cases: Vec<(&str, Value, u16)> = vec![
        ("wrong signature", wrong_signature, 400),
        ("unknown kind", wrong_kind, 400),
        ("unknown version", wrong_version, 400),
        ("short digest", short_digest, 400),
        ("bad public key", not_a_key, 400),
        ("empty object", json!({}), 400),
        ("array", json!([1, 2]), 400),
        ("oversized", oversized, 413),
    ];
    for (what, body, status) in cases {
        let response = post(&server, "/api/v1/log/entries", &body).await;
        assert_eq!(response.status().as_u16(), status, "{what}");
        let error: Value = response
            .json()
            .await
            .unwrap_or_else(|_| panic!("{what}: JSON body"));
        assert_eq!(error["code"], status, "{what}");
        assert!(!error["message"].as_str().unwrap().is_empty(), "{what}");
    }
    let garbage = server
        .client
        .post(format!("{}/api/v1/log/entries", server.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(garbage.status(), 400);
    assert_eq!(garbage.json::<Value>().await.unwrap()["code"], 400);
    let wrong_type = server
        .client
        .post(format!("{}/api/v1/log/entries", server.base))
        .header("content-type", "text/plain")
        .body(serde_json::to_vec(&good).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_type.status(), 415);
    assert_eq!(wrong_type.json::<Value>().await.unwrap()["code"], 415);

    assert_eq!(
        tree_size(&server).await,
        before,
        "no rejected entry reached the log"
    );
    assert_eq!(
        post(&server, "/api/v1/log/entries", &good).await.status(),
        201
    );
}

#[tokio::test]
async fn dsse_entries_are_verified_and_stored_in_canonical_form() {
    let server = start().await;
    let signer = client_key();
    let payload = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"00"}}],"predicateType":"x","predicate":{}}"#;
    let payload_type = "application/vnd.in-toto+json";
    let pae = format!(
        "DSSEv1 {} {} {} ",
        payload_type.len(),
        payload_type,
        payload.len()
    );
    let mut message = pae.into_bytes();
    message.extend_from_slice(payload);
    let signature = keys::Signer::sign(&signer, &message).unwrap();
    let envelope = json!({
        "payloadType": payload_type,
        "payload": B64.encode(payload),
        "signatures": [{"sig": B64.encode(&signature)}],
    })
    .to_string();
    let proposed = json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope,
            "verifiers": [B64.encode(keys::Signer::public_key(&signer).to_pem())],
        }},
    });
    let response = post(&server, "/api/v1/log/entries", &proposed).await;
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    let (id, entry) = body.as_object().unwrap().iter().next().unwrap();
    verify_entry(&server, id, entry);
    let stored: Value =
        serde_json::from_slice(&B64.decode(entry["body"].as_str().unwrap()).unwrap()).unwrap();
    assert_eq!(
        stored["spec"]["envelopeHash"]["value"],
        hex::encode(Sha256::digest(envelope.as_bytes()))
    );
    assert_eq!(
        stored["spec"]["payloadHash"]["value"],
        hex::encode(Sha256::digest(payload))
    );
    assert!(stored["spec"].get("proposedContent").is_none());

    // The same envelope with a signature by another key is refused.
    let other = client_key();
    let forged = json!({
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {"proposedContent": {
            "envelope": envelope,
            "verifiers": [B64.encode(keys::Signer::public_key(&other).to_pem())],
        }},
    });
    assert_eq!(
        post(&server, "/api/v1/log/entries", &forged).await.status(),
        400
    );
}

#[tokio::test]
async fn concurrent_creates_all_verify_and_get_distinct_indexes() {
    let server = Arc::new(start().await);
    let signer = Arc::new(client_key());
    let mut tasks = Vec::new();
    for i in 0..64 {
        let server = server.clone();
        let signer = signer.clone();
        tasks.push(tokio::spawn(async move {
            let response = post(
                &server,
                "/api/v1/log/entries",
                &hashedrekord(&signer, format!("concurrent {i}").as_bytes()),
            )
            .await;
            assert_eq!(response.status(), 201);
            let body: Value = response.json().await.unwrap();
            let (id, entry) = body.as_object().unwrap().iter().next().unwrap();
            verify_entry(&server, id, entry);
            entry["logIndex"].as_u64().unwrap()
        }));
    }
    let mut indexes = Vec::new();
    for task in tasks {
        indexes.push(task.await.unwrap());
    }
    indexes.sort_unstable();
    assert_eq!(indexes, (1..=64).collect::<Vec<u64>>());
}

#[tokio::test]
async fn a_stored_log_of_another_key_or_name_is_refused() {
    let storage = Arc::new(MemoryStorage::new());
    let key =
        Arc::new(keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).unwrap());
    let open = |key: Arc<keys::SoftwareSigner>, host: &'static str| {
        let storage = storage.clone();
        async move {
            RekorState::open(
                storage,
                key,
                host,
                &RekorConfig::default(),
                EngineMetrics::unregistered(),
                &mut Registry::default(),
            )
            .await
        }
    };
    open(key.clone(), "rekor.example")
        .await
        .expect("creates the log");
    open(key.clone(), "rekor.example")
        .await
        .expect("same identity reopens");
    let other_key =
        Arc::new(keys::SoftwareSigner::generate(keys::SigningAlgorithm::EcdsaP256Sha256).unwrap());
    let err = open(other_key, "rekor.example")
        .await
        .expect_err("another key");
    assert!(err.to_string().contains("another identity"), "{err}");
    let err = open(key, "other.example").await.expect_err("another name");
    assert!(err.to_string().contains("another identity"), "{err}");
}
