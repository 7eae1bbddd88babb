//! The timestamp authority of a real `cairn up`, with the chain it generated on first start:
//! `openssl ts -verify` accepts its replies to DER and JSON requests against the chain served at
//! `/api/v1/timestamp/certchain`, which is also the chain `trusted_root.json` lists.

mod common;

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use common::{Server, args};
use sha2::Digest;

fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("openssl is needed by this test");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timestamps_verify_with_openssl_against_the_served_chain() {
    let data = tempfile::tempdir().expect("tempdir");
    let work = tempfile::tempdir().expect("tempdir");
    let w = work.path();
    let server = Server::start(
        "tsa",
        &args(["--data-dir", data.path().to_str().expect("utf-8")]),
    );
    let client = reqwest::Client::new();

    // The chain: leaf, intermediate, root — the same certificates as the trusted root lists.
    let chain = client
        .get(format!("{}/api/v1/timestamp/certchain", server.base))
        .send()
        .await
        .expect("certchain")
        .text()
        .await
        .expect("pem");
    let pems: Vec<String> = chain
        .split_inclusive("-----END CERTIFICATE-----")
        .filter(|p| p.contains("BEGIN"))
        .map(|p| format!("{}\n", p.trim()))
        .collect();
    assert_eq!(pems.len(), 3, "{chain}");
    let trusted_root: serde_json::Value = serde_json::from_slice(
        &std::fs::read(data.path().join("trust/trusted_root.json")).expect("trusted root"),
    )
    .expect("json");
    let listed = &trusted_root["timestampAuthorities"][0]["certChain"]["certificates"];
    for (i, pem) in pems.iter().enumerate() {
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        assert_eq!(
            listed[i]["rawBytes"],
            body.as_str(),
            "certificate {i} differs"
        );
    }
    std::fs::write(w.join("root.pem"), &pems[2]).expect("write");
    std::fs::write(w.join("untrusted.pem"), format!("{}{}", pems[0], pems[1])).expect("write");
    std::fs::write(w.join("artifact"), b"what time is it?").expect("write");

    // DER request with a nonce and certReq (as sigstore-python sends).
    let (ok, out) = openssl(
        w,
        &[
            "ts", "-query", "-data", "artifact", "-sha256", "-cert", "-out", "q.tsq",
        ],
    );
    assert!(ok, "{out}");
    let response = client
        .post(format!("{}/api/v1/timestamp", server.base))
        .header("content-type", "application/timestamp-query")
        .body(std::fs::read(w.join("q.tsq")).expect("query"))
        .send()
        .await
        .expect("timestamp");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("ascii"),
        "application/timestamp-reply"
    );
    std::fs::write(w.join("r.tsr"), response.bytes().await.expect("body")).expect("write");
    let (ok, out) = openssl(
        w,
        &[
            "ts",
            "-verify",
            "-in",
            "r.tsr",
            "-queryfile",
            "q.tsq",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "untrusted.pem",
        ],
    );
    assert!(ok && out.contains("Verification: OK"), "{out}");
    let (ok, text) = openssl(w, &["ts", "-reply", "-in", "r.tsr", "-text"]);
    assert!(ok, "{text}");
    assert!(text.contains("Policy OID: 1.3.6.1.4.1.57264.2"), "{text}");
    assert!(text.contains("Status: Granted."), "{text}");

    // The JSON form (as sigstore-js sends it: no nonce, no certReq).
    let digest = sha2::Sha256::digest(b"what time is it?");
    let response = client
        .post(format!("{}/api/v1/timestamp", server.base))
        .json(&serde_json::json!({"artifactHash": B64.encode(digest), "hashAlgorithm": "sha256"}))
        .send()
        .await
        .expect("timestamp");
    assert_eq!(response.status().as_u16(), 200);
    std::fs::write(w.join("j.tsr"), response.bytes().await.expect("body")).expect("write");
    let (ok, out) = openssl(
        w,
        &[
            "ts",
            "-verify",
            "-in",
            "j.tsr",
            "-digest",
            &hex::encode(digest),
            "-CAfile",
            "root.pem",
            "-untrusted",
            "untrusted.pem",
        ],
    );
    assert!(ok && out.contains("Verification: OK"), "{out}");

    // A reply for other data does not verify.
    std::fs::write(w.join("other"), b"another artifact").expect("write");
    let (ok, out) = openssl(
        w,
        &[
            "ts",
            "-verify",
            "-in",
            "r.tsr",
            "-data",
            "other",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "untrusted.pem",
        ],
    );
    assert!(!ok, "openssl accepted a timestamp for other data: {out}");

    // Garbage is a 400 with a JSON message.
    let response = client
        .post(format!("{}/api/v1/timestamp", server.base))
        .header("content-type", "application/timestamp-query")
        .body(&b"\x30\x03garbage"[..])
        .send()
        .await
        .expect("timestamp");
    assert_eq!(response.status().as_u16(), 400);
    let json: serde_json::Value = response.json().await.expect("JSON error");
    assert!(json["message"].is_string(), "{json}");
}
