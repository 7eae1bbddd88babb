//! The TSA API over real HTTP on loopback, with chains made by the `openssl` CLI and every token
//! checked by `openssl ts -verify`: the DER form as sigstore-python/sigstore-go/`openssl ts
//! -query` send it, the JSON form as sigstore-js sends it, and every refusal.
#![allow(clippy::unwrap_used)]

#[path = "../../../crates/tsa/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use prometheus_client::registry::Registry;
use serde_json::Value;
use sha2::Digest;
use support::{Chain, KeyType, openssl_ok, standard_chain, ts_verify};
use tsa::asn1::oid;
use tsa::{Accuracy, TimestampAuthority};
use tsa_server::{TsaConfig, TsaState, router};

struct Server {
    base: String,
    client: reqwest::Client,
    chain: Chain,
    registry: Arc<std::sync::Mutex<Registry>>,
}

async fn start_with(config: TsaConfig) -> Server {
    let chain = standard_chain(KeyType::P256);
    let authority = TimestampAuthority::new(
        chain.signer.clone(),
        chain.chain_der.clone(),
        oid::SIGSTORE_TSA_POLICY,
        Accuracy::ONE_SECOND,
    )
    .unwrap();
    // The chain as the lead would serve it: the PEM files, leaf → intermediate → root.
    let pem = ["leaf.pem", "intermediate.pem", "root.pem"]
        .map(|f| std::fs::read_to_string(chain.path(f)).unwrap())
        .concat();
    let mut registry = Registry::default();
    let state = TsaState::with_config(authority, pem, config, &mut registry).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router(state)).await });
    Server {
        base: format!("http://{addr}"),
        client: reqwest::Client::new(),
        chain,
        registry: Arc::new(std::sync::Mutex::new(registry)),
    }
}

async fn start() -> Server {
    start_with(TsaConfig::default()).await
}

impl Server {
    async fn post(&self, content_type: Option<&str>, body: Vec<u8>) -> reqwest::Response {
        let mut req = self.client.post(format!("{}/api/v1/timestamp", self.base));
        if let Some(ct) = content_type {
            req = req.header("content-type", ct);
        }
        req.body(body).send().await.unwrap()
    }

    /// POST a query made by `openssl ts -query -data data.bin <flags>` (kept as req.tsq).
    async fn post_openssl_query(&self, data: &[u8], flags: &[&str]) -> reqwest::Response {
        std::fs::write(self.chain.path("data.bin"), data).unwrap();
        let mut args = vec!["ts", "-query", "-data", "data.bin", "-out", "req.tsq"];
        args.extend_from_slice(flags);
        openssl_ok(self.chain.dir.path(), &args);
        let query = std::fs::read(self.chain.path("req.tsq")).unwrap();
        self.post(Some("application/timestamp-query"), query).await
    }

    fn metrics(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry.lock().unwrap())
            .unwrap();
        out
    }
}

async fn granted(resp: reqwest::Response) -> Vec<u8> {
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/timestamp-reply"
    );
    resp.bytes().await.unwrap().to_vec()
}

/// Status and the `{code, message}` body of a refusal.
async fn refused(resp: reqwest::Response) -> (u16, String) {
    let status = resp.status().as_u16();
    assert!(
        resp.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["code"], status, "{body}");
    assert_eq!(body.as_object().unwrap().len(), 2, "{body}");
    (status, body["message"].as_str().unwrap().to_owned())
}

fn reply_text(chain: &Chain, reply: &[u8]) -> String {
    std::fs::write(chain.path("r.tsr"), reply).unwrap();
    openssl_ok(chain.dir.path(), &["ts", "-reply", "-in", "r.tsr", "-text"])
}

fn assert_verifies(chain: &Chain, reply: &[u8], against: &[&str]) {
    let (ok, text) = ts_verify(chain, reply, against);
    assert!(ok, "openssl ts -verify failed:\n{text}");
}

#[tokio::test]
async fn der_query_with_cert_req_verifies() {
    let server = start().await;
    let reply = granted(
        server
            .post_openssl_query(b"artifact signature", &["-sha256", "-cert"])
            .await,
    )
    .await;
    assert_verifies(&server.chain, &reply, &["-queryfile", "req.tsq"]);
    // The nonce openssl put in the query comes back.
    let query_text = openssl_ok(
        server.chain.dir.path(),
        &["ts", "-query", "-in", "req.tsq", "-text"],
    );
    let nonce_line = |text: &str| {
        text.lines()
            .find(|l| l.starts_with("Nonce: "))
            .map(str::to_owned)
            .unwrap()
    };
    let reply_text = reply_text(&server.chain, &reply);
    assert_eq!(nonce_line(&reply_text), nonce_line(&query_text));
    assert!(reply_text.contains("Status: Granted."));
    assert!(
        server
            .metrics()
            .contains(r#"tsa_timestamps_issued_total{hash_algorithm="sha256",format="der"} 1"#)
    );
}

#[tokio::test]
async fn der_query_without_cert_req_verifies_with_the_leaf_supplied() {
    let server = start().await;
    let reply = granted(
        server
            .post_openssl_query(b"no cert", &["-sha256", "-no_nonce"])
            .await,
    )
    .await;
    // untrusted.pem holds the intermediate and the leaf.
    assert_verifies(&server.chain, &reply, &["-queryfile", "req.tsq"]);
    // Without the leaf supplied, openssl cannot find the signer: the token really has no cert.
    std::fs::write(server.chain.path("resp.tsr"), &reply).unwrap();
    let out = support::openssl(
        server.chain.dir.path(),
        &[
            "ts",
            "-verify",
            "-in",
            "resp.tsr",
            "-queryfile",
            "req.tsq",
            "-CAfile",
            "root.pem",
        ],
    );
    assert!(!out.status.success());
}

#[tokio::test]
async fn sha384_and_sha512_imprints_verify() {
    let server = start().await;
    for hash in ["-sha384", "-sha512"] {
        let reply = granted(
            server
                .post_openssl_query(b"bigger hashes", &[hash, "-cert"])
                .await,
        )
        .await;
        assert_verifies(&server.chain, &reply, &["-queryfile", "req.tsq"]);
    }
    let metrics = server.metrics();
    assert!(
        metrics.contains(r#"tsa_timestamps_issued_total{hash_algorithm="sha384",format="der"} 1"#)
    );
    assert!(
        metrics.contains(r#"tsa_timestamps_issued_total{hash_algorithm="sha512",format="der"} 1"#)
    );
}

#[tokio::test]
async fn json_form_as_sigstore_js_sends_it() {
    let server = start().await;
    // sigstore-js: {"artifactHash": b64(SHA-256(signature)), "hashAlgorithm": "sha256"}.
    let signature = b"MEUCIQD...a signature's raw bytes";
    let digest = sha2::Sha256::digest(signature);
    let body = serde_json::json!({"artifactHash": B64.encode(digest), "hashAlgorithm": "sha256"});
    let reply = granted(
        server
            .post(Some("application/json"), body.to_string().into_bytes())
            .await,
    )
    .await;
    assert_verifies(&server.chain, &reply, &["-digest", &hex::encode(digest)]);
    let text = reply_text(&server.chain, &reply);
    assert!(text.contains("Nonce: unspecified"), "{text}");
    assert!(
        server
            .metrics()
            .contains(r#"tsa_timestamps_issued_total{hash_algorithm="sha256",format="json"} 1"#)
    );
}

#[tokio::test]
async fn json_form_with_nonce_and_certificates() {
    let server = start().await;
    let digest = sha2::Sha512::digest(b"json with everything");
    let body = format!(
        r#"{{"artifactHash":"{}","hashAlgorithm":"sha512","nonce":123456789012345678901234567890,"certificates":true}}"#,
        B64.encode(digest)
    );
    let reply = granted(
        server
            .post(Some("application/json; charset=utf-8"), body.into_bytes())
            .await,
    )
    .await;
    assert_verifies(&server.chain, &reply, &["-digest", &hex::encode(digest)]);
    let text = reply_text(&server.chain, &reply);
    // 123456789012345678901234567890 = 0x18EE90FF6C373E0EE4E3F0AD2
    assert!(
        text.contains("Nonce: 0x018EE90FF6C373E0EE4E3F0AD2"),
        "{text}"
    );
}

#[tokio::test]
async fn malformed_bodies_get_400_json() {
    let server = start().await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("application/timestamp-query", b"\x30\x03garbage".to_vec()),
        ("application/timestamp-query", Vec::new()),
        ("application/json", b"{not json".to_vec()),
        ("application/json", b"[]".to_vec()),
        (
            "application/json",
            br#"{"artifactHash":"%%%","hashAlgorithm":"sha256"}"#.to_vec(),
        ),
        ("application/xml", b"<x/>".to_vec()),
    ];
    for (ct, body) in cases {
        let (status, message) = refused(server.post(Some(ct), body.clone()).await).await;
        assert_eq!(status, 400, "{ct} {body:?}: {message}");
        assert!(!message.is_empty());
    }
    assert!(
        server
            .metrics()
            .contains(r#"tsa_requests_rejected_total{reason="malformed"} 5"#)
    );
}

#[tokio::test]
async fn content_type_must_be_application() {
    let server = start().await;
    for ct in [Some("text/plain"), None] {
        let (status, _) = refused(server.post(ct, b"x".to_vec()).await).await;
        assert_eq!(status, 415, "{ct:?}");
    }
}

#[tokio::test]
async fn oversize_bodies_get_413_json() {
    let server = start_with(TsaConfig {
        max_request_bytes: 512,
    })
    .await;
    let (status, message) = refused(
        server
            .post(Some("application/timestamp-query"), vec![0x30; 513])
            .await,
    )
    .await;
    assert_eq!(status, 413);
    assert_eq!(message, "request body exceeds 512 bytes");
    // Without a Content-Length (chunked), the limit still holds while reading.
    let status_line = chunked_post(&server, &[&[b' '; 300], &[b' '; 300]]).await;
    assert!(status_line.starts_with("HTTP/1.1 413"), "{status_line}");
    assert!(
        server
            .metrics()
            .contains(r#"tsa_requests_rejected_total{reason="too_large"} 2"#)
    );
}

/// POST a chunked JSON body by hand; returns the response's status line.
async fn chunked_post(server: &Server, chunks: &[&[u8]]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = server.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut request = format!(
        "POST /api/v1/timestamp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for chunk in chunks {
        request.extend(format!("{:x}\r\n", chunk.len()).into_bytes());
        request.extend_from_slice(chunk);
        request.extend(b"\r\n");
    }
    request.extend(b"0\r\n\r\n");
    stream.write_all(&request).await.unwrap();
    let mut response = Vec::new();
    stream.read_to_end(&mut response).await.unwrap();
    let text = String::from_utf8_lossy(&response);
    assert!(text.contains(r#""code":413"#), "{text}");
    text.lines().next().unwrap().to_owned()
}

#[tokio::test]
async fn requests_that_will_not_be_granted_get_400_like_upstream() {
    let server = start().await;
    // SHA-1 and MD5 from openssl itself.
    let (status, message) = refused(server.post_openssl_query(b"weak", &["-sha1"]).await).await;
    assert_eq!(
        (status, message.as_str()),
        (400, "Weak hash algorithm in timestamp request")
    );
    let (status, message) = refused(server.post_openssl_query(b"md5", &["-md5"]).await).await;
    assert_eq!(status, 400);
    assert!(
        message.starts_with("unsupported hash algorithm 1.2.840.113549.2.5"),
        "{message}"
    );
    // A digest of the wrong length for its algorithm.
    let body = format!(
        r#"{{"artifactHash":"{}","hashAlgorithm":"sha384"}}"#,
        B64.encode([0u8; 32])
    );
    let (status, message) = refused(
        server
            .post(Some("application/json"), body.into_bytes())
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        message.starts_with("Message digest has incorrect length for specified algorithm"),
        "{message}"
    );
    // A policy this TSA does not issue under.
    let (status, message) = refused(
        server
            .post_openssl_query(b"policy", &["-sha256", "-tspolicy", "1.2.3.4"])
            .await,
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(message, "the requested TSA policy 1.2.3.4 is not accepted");
    let metrics = server.metrics();
    for reason in [
        "weak_hash_algorithm",
        "unsupported_hash_algorithm",
        "digest_length",
        "unaccepted_policy",
    ] {
        assert!(
            metrics.contains(&format!(
                r#"tsa_requests_rejected_total{{reason="{reason}"}} 1"#
            )),
            "{reason}: {metrics}"
        );
    }
}

#[tokio::test]
async fn certchain_is_the_pem_chain_leaf_first() {
    let server = start().await;
    let resp = server
        .client
        .get(format!("{}/api/v1/timestamp/certchain", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"],
        "application/pem-certificate-chain"
    );
    let body = resp.text().await.unwrap();
    let blocks: Vec<&str> = body
        .split_inclusive("-----END CERTIFICATE-----\n")
        .collect();
    assert_eq!(blocks.len(), 3);
    for (block, file) in blocks
        .iter()
        .zip(["leaf.pem", "intermediate.pem", "root.pem"])
    {
        let (_, der) = pem_rfc7468::decode_vec(block.as_bytes()).unwrap();
        assert_eq!(
            der,
            support::der_of(server.chain.dir.path(), file.trim_end_matches(".pem"))
        );
    }
    // And openssl agrees it is a chain that verifies the leaf.
    std::fs::write(server.chain.path("served.pem"), &body).unwrap();
    let out = openssl_ok(
        server.chain.dir.path(),
        &[
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "served.pem",
            "-purpose",
            "timestampsign",
            "leaf.pem",
        ],
    );
    assert!(out.contains("leaf.pem: OK"), "{out}");
}

#[tokio::test]
async fn state_refuses_a_chain_pem_that_is_not_the_authoritys() {
    let chain = standard_chain(KeyType::P256);
    let make = || {
        TimestampAuthority::new(
            chain.signer.clone(),
            chain.chain_der.clone(),
            oid::SIGSTORE_TSA_POLICY,
            Accuracy::ONE_SECOND,
        )
        .unwrap()
    };
    let read = |f: &str| std::fs::read_to_string(chain.path(f)).unwrap();
    let mut registry = Registry::default();
    let reversed = [read("root.pem"), read("intermediate.pem"), read("leaf.pem")].concat();
    assert!(matches!(
        TsaState::new(make(), reversed, &mut registry),
        Err(tsa_server::TsaStateError::ChainMismatch)
    ));
    let partial = [read("leaf.pem"), read("intermediate.pem")].concat();
    assert!(matches!(
        TsaState::new(make(), partial, &mut registry),
        Err(tsa_server::TsaStateError::ChainMismatch)
    ));
    let generated = tsa_server::chain_pem(&chain.chain_der).unwrap();
    assert!(TsaState::new(make(), generated, &mut registry).is_ok());
    let zero = TsaConfig {
        max_request_bytes: 0,
    };
    assert!(matches!(
        TsaState::with_config(make(), read("leaf.pem"), zero, &mut registry),
        Err(tsa_server::TsaStateError::BadLimit)
    ));
}
