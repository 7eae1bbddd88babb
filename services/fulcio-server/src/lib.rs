#![doc = include_str!("../README.md")]

pub mod api;
pub mod ct;
pub mod error;
mod handlers;
mod issue;
mod state;

use axum::Router;
use axum::routing::{get, post};

pub use ct::{CtSubmitError, PrecertificateLog, RemoteCtLog};
pub use error::FulcioError;
pub use state::{FulcioOpenError, FulcioOptions, FulcioState};

/// Fulcio's HTTP API at its upstream paths.
pub fn router(state: FulcioState) -> Router {
    Router::new()
        .route("/api/v2/signingCert", post(handlers::signing_cert_v2))
        .route("/api/v2/trustBundle", get(handlers::trust_bundle))
        .route("/api/v2/configuration", get(handlers::configuration))
        .route("/api/v1/signingCert", post(handlers::signing_cert_v1))
        .route("/api/v1/rootCert", get(handlers::root_cert))
        .with_state(state)
}
