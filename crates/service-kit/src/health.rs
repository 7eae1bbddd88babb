//! Readiness, shared by all services in one process, and the `/healthz` handler.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

const STARTING: u8 = 0;
const SERVING: u8 = 1;
const DRAINING: u8 = 2;

/// Whether the process should receive traffic. Starts as "starting"; the binary marks it serving
/// once every service is initialised and the listener is bound, and draining on shutdown.
#[derive(Debug, Clone, Default)]
pub struct Readiness(Arc<AtomicU8>);

/// The phases [`Readiness`] moves through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// Initialising; not ready for traffic.
    Starting,
    /// Ready.
    Serving,
    /// Shutting down; finishing in-flight requests.
    Draining,
}

impl Readiness {
    /// A new handle in the starting phase.
    pub fn new() -> Self {
        Self::default()
    }

    /// Mark the process ready for traffic.
    pub fn set_serving(&self) {
        self.0.store(SERVING, Ordering::SeqCst);
    }

    /// Mark the process as shutting down.
    pub fn set_draining(&self) {
        self.0.store(DRAINING, Ordering::SeqCst);
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        match self.0.load(Ordering::SeqCst) {
            STARTING => Phase::Starting,
            SERVING => Phase::Serving,
            _ => Phase::Draining,
        }
    }
}

/// `GET /healthz`: 200 `{"status":"SERVING"}` when ready (the body rekor-tiles answers), 503 with
/// `STARTING` or `DRAINING` otherwise.
pub async fn healthz(State(readiness): State<Readiness>) -> Response {
    let (status, word) = match readiness.phase() {
        Phase::Serving => (StatusCode::OK, "SERVING"),
        Phase::Starting => (StatusCode::SERVICE_UNAVAILABLE, "STARTING"),
        Phase::Draining => (StatusCode::SERVICE_UNAVAILABLE, "DRAINING"),
    };
    (status, Json(json!({ "status": word }))).into_response()
}
