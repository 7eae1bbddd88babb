#![doc = include_str!("../README.md")]

mod chain;
mod checkpoint;
pub mod config;
mod error;
mod handlers;
mod state;
mod storage;

use axum::Router;
use axum::routing::{get, post};

pub use chain::ChainError;
pub use config::CtConfig;
pub use error::CtError;
pub use state::{CtOpenError, CtState};

/// The RFC 6962 API at its upstream paths (`/ct/v1/...`), to be merged at the root of the
/// listener.
pub fn router(state: CtState) -> Router {
    Router::new()
        .route("/ct/v1/add-chain", post(handlers::add_chain))
        .route("/ct/v1/add-pre-chain", post(handlers::add_pre_chain))
        .route("/ct/v1/get-sth", get(handlers::get_sth))
        .route(
            "/ct/v1/get-sth-consistency",
            get(handlers::get_sth_consistency),
        )
        .route("/ct/v1/get-proof-by-hash", get(handlers::get_proof_by_hash))
        .route("/ct/v1/get-entries", get(handlers::get_entries))
        .route("/ct/v1/get-roots", get(handlers::get_roots))
        .route(
            "/ct/v1/get-entry-and-proof",
            get(handlers::get_entry_and_proof),
        )
        .with_state(state)
}
