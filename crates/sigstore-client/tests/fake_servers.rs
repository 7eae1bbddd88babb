//! The clients against deliberately bad in-process servers: every way a Fulcio, Rekor or TSA
//! can hand back something unusable must end in a specific error, never in a "successful"
//! result; and the log auditor must catch a log that forks, rolls back or sends a bad proof,
//! without touching its state file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use der::Encode;
use keys::{Signer, SigningAlgorithm, SoftwareSigner};
use serde_json::{Value, json};
use sigstore_client::{
    AuditError, AuditOutcome, FulcioClient, FulcioError, HttpError, IdentityToken, LogKeyring,
    RekorClient, RekorError, TimestampError, TsaClient,
};

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(listener, router).await.unwrap();
    });
    format!("http://{addr}")
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn token(email: &str) -> IdentityToken {
    let claims = json!({"iss": "https://issuer.test", "sub": "123", "email": email,
                        "exp": now() + 600, "aud": "sigstore"});
    let jwt = format!(
        "eyJhbGciOiJSUzI1NiJ9.{}.c2lnbmF0dXJl",
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    IdentityToken::parse(&jwt).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Fulcio
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FulcioMode {
    Honest,
    LeafForAnotherKey,
    OneCertificate,
    Detached,
}

struct TestCa {
    signer: SoftwareSigner,
    root: pki::Certificate,
}

impl TestCa {
    fn new() -> TestCa {
        let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
        let root = pki::generate_root(
            &signer,
            &pki::DistinguishedName::new("Test Root", "Test"),
            pki::ValidityPeriod::starting_at(now() - 60, 3600),
        )
        .unwrap();
        TestCa { signer, root }
    }

    /// A certificate for `key` signed by the root (an intermediate profile is good enough:
    /// the client only checks the chain's shape and the leaf's key).
    fn certify(&self, key: &keys::PublicKey) -> String {
        let cert = pki::generate_intermediate(
            &self.signer,
            &self.root,
            key,
            &pki::DistinguishedName::new("Leaf", "Test"),
            pki::ValidityPeriod::starting_at(now() - 60, 600),
            &[],
        )
        .unwrap();
        pki::pem_string(&cert.to_der().unwrap())
    }

    fn root_pem(&self) -> String {
        pki::pem_string(&self.root.to_der().unwrap())
    }
}

async fn fulcio_handler(
    State((ca, mode)): State<(Arc<TestCa>, FulcioMode)>,
    body: Bytes,
) -> Response {
    let request: Value = serde_json::from_slice(&body).unwrap();
    let pem = request["publicKeyRequest"]["publicKey"]["content"]
        .as_str()
        .unwrap();
    let key = keys::PublicKey::from_pem(pem).unwrap();
    let proof = STANDARD
        .decode(
            request["publicKeyRequest"]["proofOfPossession"]
                .as_str()
                .unwrap(),
        )
        .unwrap();
    // The proof of possession must be over the token's email claim.
    if key.verify(b"alice@example.com", &proof).is_err() {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"code": 400, "message": "The signature supplied in the request could not be verified"})),
        )
            .into_response();
    }
    assert!(
        request["credentials"]["oidcIdentityToken"]
            .as_str()
            .is_some_and(|t| t.starts_with("eyJ")),
        "the token travels in the body"
    );
    let certificates = match mode {
        FulcioMode::Honest => vec![ca.certify(&key), ca.root_pem()],
        FulcioMode::LeafForAnotherKey => {
            let other = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
            vec![ca.certify(other.public_key()), ca.root_pem()]
        }
        FulcioMode::OneCertificate => vec![ca.certify(&key)],
        FulcioMode::Detached => {
            return (
                StatusCode::OK,
                axum::Json(json!({"signedCertificateDetachedSct": {
                    "chain": {"certificates": [ca.certify(&key), ca.root_pem()]},
                    "signedCertificateTimestamp": ""}})),
            )
                .into_response();
        }
    };
    (
        StatusCode::OK,
        axum::Json(
            json!({"signedCertificateEmbeddedSct": {"chain": {"certificates": certificates}}}),
        ),
    )
        .into_response()
}

async fn fulcio(mode: FulcioMode) -> FulcioClient {
    let router = Router::new()
        .route("/api/v2/signingCert", post(fulcio_handler))
        .with_state((Arc::new(TestCa::new()), mode));
    FulcioClient::new(&serve(router).await).unwrap()
}

#[tokio::test]
async fn fulcio_answers_are_checked() {
    let signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let alice = token("alice@example.com");

    let chain = fulcio(FulcioMode::Honest)
        .await
        .request_certificate(&alice, &signer)
        .await
        .unwrap();
    assert_eq!(chain.chain_der().len(), 2);
    assert!(
        chain
            .leaf_pem()
            .starts_with("-----BEGIN CERTIFICATE-----\n")
    );

    let err = fulcio(FulcioMode::LeafForAnotherKey)
        .await
        .request_certificate(&alice, &signer)
        .await
        .unwrap_err();
    assert!(matches!(err, FulcioError::LeafKeyMismatch), "{err:?}");

    let err = fulcio(FulcioMode::OneCertificate)
        .await
        .request_certificate(&alice, &signer)
        .await
        .unwrap_err();
    assert!(
        matches!(err, FulcioError::ChainTooShort { count: 1 }),
        "{err:?}"
    );

    let err = fulcio(FulcioMode::Detached)
        .await
        .request_certificate(&alice, &signer)
        .await
        .unwrap_err();
    assert!(matches!(err, FulcioError::NoEmbeddedSct { .. }), "{err:?}");

    // A token for another address: the server refuses the proof; its message comes through,
    // the token does not.
    let bob = token("bob@example.com");
    let err = fulcio(FulcioMode::Honest)
        .await
        .request_certificate(&bob, &signer)
        .await
        .unwrap_err();
    let FulcioError::Http(HttpError::Status {
        status, message, ..
    }) = &err
    else {
        panic!("{err:?}");
    };
    assert_eq!(*status, 400);
    assert!(message.contains("could not be verified"), "{message}");
    let chain = error_chain(&err);
    assert!(!chain.contains(bob.as_str()), "{chain}");
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        source = inner.source();
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Rekor
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn rekor_answers_are_checked() {
    let body = br#"{"apiVersion":"0.0.1","kind":"hashedrekord","spec":{}}"#;
    let good_uuid = hex::encode(tlog_core::leaf_hash(body).0);
    let entry = |id: &str| {
        json!({id: {"body": STANDARD.encode(body), "integratedTime": 1, "logID": "00",
                    "logIndex": 7}})
    };
    let honest = entry(&format!("0000000000000001{good_uuid}"));
    let lying = entry(&format!("0000000000000001{}", "ab".repeat(32)));
    let router = Router::new()
        .route(
            "/conflict/api/v1/log/entries",
            post(|| async {
                let mut headers = HeaderMap::new();
                headers.insert("location", "/api/v1/log/entries/abc".parse().unwrap());
                (
                    StatusCode::CONFLICT,
                    headers,
                    axum::Json(
                        json!({"code": 409, "message": "an equivalent entry already exists"}),
                    ),
                )
            }),
        )
        .route(
            "/honest/api/v1/log/entries",
            post(move || async move { (StatusCode::CREATED, axum::Json(honest)) }),
        )
        .route(
            "/lying/api/v1/log/entries",
            post(move || async move { (StatusCode::CREATED, axum::Json(lying)) }),
        )
        .route(
            "/huge/api/v1/log/entries",
            post(|| async { (StatusCode::CREATED, vec![b' '; 5 * 1024 * 1024]) }),
        )
        .route(
            "/silent/api/v1/log/entries",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                StatusCode::CREATED
            }),
        )
        .route(
            "/notfound/api/v1/log/entries",
            get(|| async { StatusCode::NOT_FOUND }),
        );
    let base = serve(router).await;
    let proposal = json!({"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": {}});

    let created = RekorClient::new(&format!("{base}/honest"))
        .unwrap()
        .create_entry(&proposal)
        .await
        .unwrap();
    assert_eq!(created.entry.log_index, 7);

    let err = RekorClient::new(&format!("{base}/conflict"))
        .unwrap()
        .create_entry(&proposal)
        .await
        .unwrap_err();
    let RekorError::Conflict { message, location } = &err else {
        panic!("{err:?}")
    };
    assert!(message.contains("already exists"));
    assert_eq!(location.as_deref(), Some("/api/v1/log/entries/abc"));
    assert!(err.to_string().contains("identical entry"), "{err}");

    let err = RekorClient::new(&format!("{base}/lying"))
        .unwrap()
        .create_entry(&proposal)
        .await
        .unwrap_err();
    assert!(matches!(err, RekorError::InconsistentEntry(_)), "{err:?}");

    let err = RekorClient::new(&format!("{base}/huge"))
        .unwrap()
        .create_entry(&proposal)
        .await
        .unwrap_err();
    assert!(
        matches!(err, RekorError::Http(HttpError::TooLarge { .. })),
        "{err:?}"
    );

    let err = RekorClient::with_timeout(&format!("{base}/silent"), Duration::from_millis(300))
        .unwrap()
        .create_entry(&proposal)
        .await
        .unwrap_err();
    let RekorError::Http(HttpError::Unreachable { reason, .. }) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(reason, "timed out");

    let err = RekorClient::new(&format!("{base}/notfound"))
        .unwrap()
        .get_by_index(3)
        .await
        .unwrap_err();
    assert!(matches!(err, RekorError::NotFound { .. }), "{err:?}");

    let err = RekorClient::new(&base)
        .unwrap()
        .get_by_uuid("../../etc/passwd")
        .await
        .unwrap_err();
    assert!(matches!(err, RekorError::BadUuid(_)), "{err:?}");

    // Nothing listens on port 1.
    let err = RekorClient::new("http://127.0.0.1:1")
        .unwrap()
        .log_info()
        .await
        .unwrap_err();
    assert!(
        matches!(err, RekorError::Http(HttpError::Unreachable { .. })),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// TSA
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum TsaMode {
    Honest,
    OtherNonce,
    OtherDigest,
    Refuse,
}

fn test_authority() -> tsa::TimestampAuthority {
    let ca = TestCa::new();
    let tsa_signer = SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap();
    let leaf = pki::issue_timestamping_leaf(
        &ca.signer,
        &ca.root,
        tsa_signer.public_key(),
        &pki::DistinguishedName::new("Test TSA", "Test"),
        pki::ValidityPeriod::starting_at(now() - 60, 3600),
    )
    .unwrap();
    tsa::TimestampAuthority::new(
        Arc::new(tsa_signer),
        vec![leaf.to_der().unwrap(), ca.root.to_der().unwrap()],
        tsa::asn1::oid::SIGSTORE_TSA_POLICY,
        tsa::Accuracy::ONE_SECOND,
    )
    .unwrap()
}

async fn tsa_handler(
    State((authority, mode)): State<(Arc<tsa::TimestampAuthority>, TsaMode)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    assert_eq!(
        headers.get("content-type").unwrap(),
        "application/timestamp-query"
    );
    let request = tsa::TimestampRequest::from_der(&body).unwrap();
    assert!(request.cert_req(), "certReq is set");
    assert!(request.nonce().is_some(), "a nonce is sent");
    let request = match mode {
        TsaMode::Honest => request,
        TsaMode::OtherNonce => request.with_nonce(Some(tsa::Nonce::from_u64(42))),
        TsaMode::OtherDigest => {
            tsa::TimestampRequest::new(keys::HashAlgorithm::Sha256, vec![9; 32])
                .unwrap()
                .with_nonce(request.nonce().cloned())
        }
        TsaMode::Refuse => {
            return (
                StatusCode::BAD_REQUEST,
                axum::Json(json!({"code": 400, "message": "Weak hash algorithm"})),
            )
                .into_response();
        }
    };
    let serial = tsa::random_serial().unwrap();
    let der = authority
        .respond(&request, SystemTime::now(), &serial)
        .unwrap();
    (StatusCode::OK, der).into_response()
}

#[tokio::test]
async fn tsa_answers_are_checked() {
    let authority = Arc::new(test_authority());
    let client = |mode| {
        let router = Router::new()
            .route("/api/v1/timestamp", post(tsa_handler))
            .with_state((authority.clone(), mode));
        async move { TsaClient::new(&format!("{}/api/v1/timestamp", serve(router).await)).unwrap() }
    };
    let signature = b"signature bytes";
    let der = client(TsaMode::Honest)
        .await
        .timestamp(signature)
        .await
        .unwrap();
    assert_eq!(der[0], 0x30, "a DER TimeStampResp");

    let err = client(TsaMode::OtherNonce)
        .await
        .timestamp(signature)
        .await
        .unwrap_err();
    assert!(matches!(err, TimestampError::NonceMismatch), "{err:?}");

    let err = client(TsaMode::OtherDigest)
        .await
        .timestamp(signature)
        .await
        .unwrap_err();
    assert!(matches!(err, TimestampError::ImprintMismatch), "{err:?}");

    let err = client(TsaMode::Refuse)
        .await
        .timestamp(signature)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, TimestampError::Http(HttpError::Status { status: 400, message, .. }) if message == "Weak hash algorithm"),
        "{err:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Log auditing
// ---------------------------------------------------------------------------------------------

/// A Rekor-v1-shaped log whose tree, signature key and honesty the test controls.
struct FakeLog {
    signer: Arc<SoftwareSigner>,
    /// The leaves of the tree it currently serves.
    leaves: Vec<Vec<u8>>,
    /// Flip a bit in every consistency proof.
    corrupt_proofs: bool,
}

type SharedLog = Arc<Mutex<FakeLog>>;

const ORIGIN: &str = "rekor.test - 1234";

impl FakeLog {
    fn tree(&self) -> tlog_core::MemoryTree {
        let mut tree = tlog_core::MemoryTree::new();
        for leaf in &self.leaves {
            tree.push_data(leaf);
        }
        tree
    }

    fn checkpoint(&self) -> (String, tlog_core::Hash) {
        let tree = self.tree();
        let root = tree.root();
        let note_signer = signed_note::NoteKeySigner::new(
            "rekor.test",
            self.signer.clone(),
            signed_note::KeyIdRule::RekorV1,
        )
        .unwrap();
        let checkpoint =
            signed_note::Checkpoint::new(ORIGIN, self.leaves.len() as u64, root.0).unwrap();
        let note = checkpoint.sign(&[&note_signer]).unwrap();
        (String::from_utf8(note.to_bytes()).unwrap(), root)
    }
}

async fn log_info(State(log): State<SharedLog>) -> axum::Json<Value> {
    let log = log.lock().unwrap();
    let (checkpoint, root) = log.checkpoint();
    axum::Json(
        json!({"rootHash": root.to_hex(), "treeSize": log.leaves.len(),
                      "signedTreeHead": checkpoint, "treeID": "1234", "inactiveShards": null}),
    )
}

#[derive(serde::Deserialize)]
struct ProofQuery {
    #[serde(rename = "firstSize")]
    first_size: u64,
    #[serde(rename = "lastSize")]
    last_size: u64,
}

async fn log_proof(State(log): State<SharedLog>, Query(q): Query<ProofQuery>) -> Response {
    let log = log.lock().unwrap();
    if q.last_size > log.leaves.len() as u64 || q.first_size > q.last_size {
        return (
            StatusCode::BAD_REQUEST,
            axum::Json(json!({"code": 400, "message": "bad sizes"})),
        )
            .into_response();
    }
    let tree = log.tree();
    let mut hashes = tlog_core::consistency_proof(q.first_size, q.last_size, &tree).unwrap();
    if log.corrupt_proofs
        && let Some(first) = hashes.first_mut()
    {
        first.0[0] ^= 1;
    }
    let root = tlog_core::tree_root(q.last_size, &tree).unwrap();
    axum::Json(json!({"rootHash": root.to_hex(),
                      "hashes": hashes.iter().map(|h| h.to_hex()).collect::<Vec<_>>()}))
    .into_response()
}

fn leaves(tag: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n).map(|i| format!("{tag}-{i}").into_bytes()).collect()
}

#[tokio::test]
async fn consistency_audit_catches_forks_rollbacks_and_bad_proofs() {
    let signer = Arc::new(SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap());
    let log: SharedLog = Arc::new(Mutex::new(FakeLog {
        signer: signer.clone(),
        leaves: leaves("a", 3),
        corrupt_proofs: false,
    }));
    let router = Router::new()
        .route("/api/v1/log", get(log_info))
        .route("/api/v1/log/proof", get(log_proof))
        .with_state(log.clone());
    let rekor = RekorClient::new(&serve(router).await).unwrap();
    let keyring = LogKeyring::from_key(signer.public_key().clone());
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state.json");
    let run = || sigstore_client::verify_consistency(&rekor, &state, &keyring);

    assert_eq!(run().await.unwrap(), AuditOutcome::Initialized { size: 3 });
    assert_eq!(run().await.unwrap(), AuditOutcome::Unchanged { size: 3 });
    log.lock().unwrap().leaves = leaves("a", 7);
    assert_eq!(
        run().await.unwrap(),
        AuditOutcome::Consistent { from: 3, to: 7 }
    );
    let stored = std::fs::read(&state).unwrap();

    // A bad proof for a longer tree: misbehaviour, state untouched.
    {
        let mut log = log.lock().unwrap();
        log.leaves = leaves("a", 12);
        log.corrupt_proofs = true;
    }
    let err = run().await.unwrap_err();
    assert!(matches!(err, AuditError::Inconsistent { .. }), "{err:?}");
    assert!(err.is_log_misbehaviour());
    assert_eq!(std::fs::read(&state).unwrap(), stored);

    // A longer tree that does not extend the stored one (an honest proof of a different
    // history cannot verify).
    {
        let mut log = log.lock().unwrap();
        log.leaves = leaves("b", 12);
        log.corrupt_proofs = false;
    }
    let err = run().await.unwrap_err();
    assert!(matches!(err, AuditError::Inconsistent { .. }), "{err:?}");
    assert_eq!(std::fs::read(&state).unwrap(), stored);

    // Same size, other root: a fork.
    log.lock().unwrap().leaves = leaves("b", 7);
    let err = run().await.unwrap_err();
    assert!(matches!(err, AuditError::Fork { size: 7, .. }), "{err:?}");
    assert!(err.is_log_misbehaviour());

    // Smaller: a rollback.
    log.lock().unwrap().leaves = leaves("a", 5);
    let err = run().await.unwrap_err();
    assert!(
        matches!(
            err,
            AuditError::Rollback {
                stored: 7,
                current: 5
            }
        ),
        "{err:?}"
    );
    assert_eq!(std::fs::read(&state).unwrap(), stored);

    // A checkpoint signed by some other key is an error, but not proof of misbehaviour.
    {
        let mut log = log.lock().unwrap();
        log.leaves = leaves("a", 9);
        log.signer = Arc::new(SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap());
    }
    let err = run().await.unwrap_err();
    assert!(matches!(err, AuditError::Checkpoint(_)), "{err:?}");
    assert!(!err.is_log_misbehaviour());
    assert_eq!(std::fs::read(&state).unwrap(), stored);

    // The honest log again: the stored state still works.
    {
        let mut log = log.lock().unwrap();
        log.signer = signer.clone();
    }
    assert_eq!(
        run().await.unwrap(),
        AuditOutcome::Consistent { from: 7, to: 9 }
    );

    // A corrupt state file is reported, not overwritten.
    std::fs::write(&state, b"{not json").unwrap();
    let err = run().await.unwrap_err();
    assert!(matches!(err, AuditError::StateRead { .. }), "{err:?}");
    assert_eq!(std::fs::read(&state).unwrap(), b"{not json");
}
