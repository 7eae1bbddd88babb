#![doc = include_str!("../README.md")]

mod error;
mod handlers;
mod state;

use axum::Router;
use axum::routing::{get, post};

pub use error::ApiError;
pub use handlers::{PEM_CERTIFICATE_CHAIN, TIMESTAMP_QUERY, TIMESTAMP_REPLY};
pub use state::{DEFAULT_MAX_REQUEST_BYTES, TsaConfig, TsaState, TsaStateError, chain_pem};

/// The timestamp-authority API at its upstream paths: `POST /api/v1/timestamp` and
/// `GET /api/v1/timestamp/certchain`.
pub fn router(state: TsaState) -> Router {
    Router::new()
        .route("/api/v1/timestamp", post(handlers::timestamp))
        .route("/api/v1/timestamp/certchain", get(handlers::certchain))
        .with_state(state)
}
