//! A small OpenID provider on loopback (axum), a manual clock, and token signing helpers.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use keys::{Signer as _, SigningAlgorithm, SoftwareSigner};
use oidc_discovery::Clock;
use serde_json::{Value, json};

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// An ES256 token signed by `signer`, naming `kid`.
pub fn sign_token(signer: &SoftwareSigner, kid: &str, claims: &Value) -> String {
    let header = json!({ "alg": "ES256", "typ": "JWT", "kid": kid });
    let input = format!(
        "{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes())
    );
    let der = signer.sign(input.as_bytes()).unwrap();
    let raw = oidc::ecdsa_der_to_jws(&der, 32).unwrap();
    format!("{input}.{}", b64(&raw))
}

/// The public JWK of a P-256 software key.
pub fn public_jwk(signer: &SoftwareSigner, kid: &str) -> Value {
    let point = signer.public_key().ec_point_uncompressed().unwrap();
    json!({
        "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": b64(&point[1..33]), "y": b64(&point[33..]),
    })
}

pub fn p256() -> SoftwareSigner {
    SoftwareSigner::generate(SigningAlgorithm::EcdsaP256Sha256).unwrap()
}

/// What the test provider answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    /// Discovery answers 302 to another URL.
    Redirect,
    /// The key set is larger than 1 MiB.
    HugeJwks,
    /// The key set answers 500.
    JwksError,
}

#[derive(Debug)]
pub struct IdpState {
    pub issuer: Mutex<String>,
    /// The `issuer` the discovery document claims (normally the real one).
    pub claimed_issuer: Mutex<Option<String>>,
    pub jwks: Mutex<Value>,
    pub mode: Mutex<Mode>,
    pub discovery_hits: AtomicUsize,
    pub jwks_hits: AtomicUsize,
}

/// A test OpenID provider serving discovery and a key set on 127.0.0.1.
#[derive(Debug, Clone)]
pub struct Idp {
    pub issuer: String,
    pub state: Arc<IdpState>,
}

impl Idp {
    pub async fn start(jwks: Value) -> Idp {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let issuer = format!("http://{}", listener.local_addr().unwrap());
        let state = Arc::new(IdpState {
            issuer: Mutex::new(issuer.clone()),
            claimed_issuer: Mutex::new(None),
            jwks: Mutex::new(jwks),
            mode: Mutex::new(Mode::Normal),
            discovery_hits: AtomicUsize::new(0),
            jwks_hits: AtomicUsize::new(0),
        });
        let app = Router::new()
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks_handler))
            .with_state(Arc::clone(&state));
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Idp { issuer, state }
    }

    pub fn set_keys(&self, keys: Value) {
        *self.state.jwks.lock().unwrap() = keys;
    }

    pub fn set_mode(&self, mode: Mode) {
        *self.state.mode.lock().unwrap() = mode;
    }

    pub fn claim_issuer(&self, issuer: &str) {
        *self.state.claimed_issuer.lock().unwrap() = Some(issuer.to_owned());
    }

    pub fn hits(&self) -> (usize, usize) {
        (
            self.state.discovery_hits.load(Ordering::SeqCst),
            self.state.jwks_hits.load(Ordering::SeqCst),
        )
    }
}

async fn discovery(State(state): State<Arc<IdpState>>) -> Response {
    state.discovery_hits.fetch_add(1, Ordering::SeqCst);
    let issuer = state.issuer.lock().unwrap().clone();
    if *state.mode.lock().unwrap() == Mode::Redirect {
        return (
            StatusCode::FOUND,
            [(header::LOCATION, format!("{issuer}/elsewhere"))],
        )
            .into_response();
    }
    let claimed = state
        .claimed_issuer
        .lock()
        .unwrap()
        .clone()
        .unwrap_or_else(|| issuer.clone());
    axum::Json(json!({
        "issuer": claimed,
        "jwks_uri": format!("{issuer}/jwks"),
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
    }))
    .into_response()
}

async fn jwks_handler(State(state): State<Arc<IdpState>>) -> Response {
    state.jwks_hits.fetch_add(1, Ordering::SeqCst);
    match *state.mode.lock().unwrap() {
        Mode::HugeJwks => {
            let padding = "x".repeat(1024 * 1024);
            axum::Json(json!({ "keys": [], "padding": padding })).into_response()
        }
        Mode::JwksError => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
        _ => axum::Json(state.jwks.lock().unwrap().clone()).into_response(),
    }
}

/// A clock that moves only when told to.
#[derive(Debug)]
pub struct ManualClock {
    base: Instant,
    unix_base: i64,
    offset_ms: AtomicU64,
}

impl ManualClock {
    pub fn new() -> Arc<ManualClock> {
        let unix_base = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        Arc::new(ManualClock {
            base: Instant::now(),
            unix_base,
            offset_ms: AtomicU64::new(0),
        })
    }

    pub fn advance(&self, by: Duration) {
        self.offset_ms
            .fetch_add(by.as_millis() as u64, Ordering::SeqCst);
    }

    pub fn unix_now(&self) -> i64 {
        self.unix_seconds()
    }
}

impl Clock for ManualClock {
    fn monotonic(&self) -> Instant {
        self.base + Duration::from_millis(self.offset_ms.load(Ordering::SeqCst))
    }

    fn unix_seconds(&self) -> i64 {
        self.unix_base + (self.offset_ms.load(Ordering::SeqCst) / 1000) as i64
    }
}
