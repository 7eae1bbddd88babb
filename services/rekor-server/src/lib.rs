#![doc = include_str!("../README.md")]

pub mod checkpoint;
pub mod config;
mod error;
mod extract;
mod handlers;
mod openapi;
mod state;

use axum::Router;
use axum::routing::{get, post};

pub use error::ApiError;
pub use state::{RekorOpenError, RekorState, tree_id_for_key};

/// The Rekor v1 API at its upstream paths. Trailing slashes are tolerated by the binary, which
/// normalises paths before routing (sigstore-python posts to `/api/v1/log/entries/retrieve/`).
pub fn router(state: RekorState) -> Router {
    Router::new()
        .route("/api/v1/log", get(handlers::log::log_info))
        .route("/api/v1/log/publicKey", get(handlers::log::public_key))
        .route("/api/v1/log/proof", get(handlers::log::consistency_proof))
        .route(
            "/api/v1/log/entries",
            post(handlers::entries::create).get(handlers::entries::get_by_index),
        )
        .route(
            "/api/v1/log/entries/retrieve",
            post(handlers::entries::retrieve),
        )
        .route(
            "/api/v1/log/entries/{entry_uuid}",
            get(handlers::entries::get_by_uuid),
        )
        .route("/api/v1/index/retrieve", post(handlers::index::retrieve))
        .route("/api/v1/openapi.json", get(openapi::document))
        .with_state(state)
}
