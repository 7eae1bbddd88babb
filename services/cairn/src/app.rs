//! The process-wide state and the router that composes every service on one listener.
//!
//! Services mount at their upstream paths (Fulcio `/api/v2/...`, Rekor `/api/v1/log/...`, CT
//! `/ct/v1/...`, TSA `/api/v1/timestamp`), which do not collide. Cross-cutting layers are applied
//! here once, in this order (outermost first): tracing, panic → JSON 500, metrics.

use std::sync::Arc;

use axum::Router;
use axum::http::Request;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use service_kit::error::{not_found, panic_response};
use service_kit::health::{Readiness, healthz};
use service_kit::metrics::{HttpMetrics, Registry, metrics_handler, new_registry, track_http};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

/// Everything the process shares across services.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    /// Whether the process takes traffic.
    pub(crate) readiness: Readiness,
    /// The metrics registry, frozen once every service has registered.
    pub(crate) registry: Arc<Registry>,
    /// Per-route request metrics.
    pub(crate) http_metrics: HttpMetrics,
}

impl AppState {
    /// Build the shared state. Services register their metrics here as they are added.
    pub(crate) fn new() -> Self {
        let mut registry = new_registry(env!("CARGO_PKG_VERSION"));
        let http_metrics = HttpMetrics::register(&mut registry);
        AppState {
            readiness: Readiness::new(),
            registry: Arc::new(registry),
            http_metrics,
        }
    }
}

/// The router for `cairn up`.
pub(crate) fn router(state: &AppState) -> Router {
    let health = Router::new()
        .route("/healthz", get(healthz))
        .with_state(state.readiness.clone());
    let metrics = Router::new()
        .route("/metrics", get(metrics_handler))
        .with_state(state.registry.clone());
    Router::new()
        .merge(health)
        .merge(metrics)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.http_metrics.clone(), track_http))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(
            // Spans carry method and path only: headers (bearer tokens) are never recorded.
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!(
                    "http",
                    method = %request.method(),
                    path = %request.uri().path(),
                )
            }),
        )
}

async fn method_not_allowed() -> service_kit::error::JsonError {
    service_kit::error::JsonError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method not allowed",
    )
}
