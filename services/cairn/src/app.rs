//! The process-wide state and the router that composes every service on one listener.
//!
//! Services mount at their upstream paths (Rekor `/api/v1/log/...`; later Fulcio `/api/v2/...`,
//! CT `/ct/v1/...`, TSA `/api/v1/timestamp`), which do not collide. Cross-cutting layers are
//! applied here once, in this order (outermost first): tracing, panic → JSON 500, metrics,
//! request timeout → JSON 408.
//! Trailing slashes are trimmed before routing by `service_kit::server::serve`.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use axum::Router;
use axum::http::Request;
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use rekor_server::RekorState;
use service_kit::error::{not_found, panic_response, request_timeout};
use service_kit::health::{Readiness, healthz};
use service_kit::keyfile::{KeyOrigin, load_or_generate};
use service_kit::metrics::{HttpMetrics, Registry, metrics_handler, new_registry, track_http};
use tlog_engine::EngineMetrics;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::config::ValidConfig;
use crate::database::Database;

/// Everything the process shares across services.
#[derive(Debug, Clone)]
pub(crate) struct AppState {
    /// Whether the process takes traffic.
    pub(crate) readiness: Readiness,
    /// The metrics registry, frozen once every service has registered.
    pub(crate) registry: Arc<Registry>,
    /// Per-route request metrics.
    pub(crate) http_metrics: HttpMetrics,
    /// The Rekor-compatible log, when enabled.
    pub(crate) rekor: Option<RekorState>,
    /// Longest a request may take.
    pub(crate) request_timeout: std::time::Duration,
}

impl AppState {
    /// Open every enabled service. `public_host` is the `host[:port]` clients use.
    pub(crate) async fn open(
        cfg: &ValidConfig,
        data_dir: &Path,
        database: &Database,
        public_host: &str,
    ) -> anyhow::Result<Self> {
        let mut registry = new_registry(env!("CARGO_PKG_VERSION"));
        let http_metrics = HttpMetrics::register(&mut registry);
        let engine_metrics = EngineMetrics::register(&mut registry);

        let rekor = if cfg.raw.rekor.enabled {
            let key_file = cfg
                .raw
                .rekor
                .key_file
                .clone()
                .unwrap_or_else(|| data_dir.join("keys").join("rekor.pem"));
            let (key, origin) =
                load_or_generate(&key_file, keys::SigningAlgorithm::EcdsaP256Sha256)
                    .context("loading the Rekor log key")?;
            if origin == KeyOrigin::Generated {
                tracing::info!(path = %key_file.display(), "generated a new Rekor log key");
            }
            let hostname = cfg
                .raw
                .rekor
                .hostname
                .clone()
                .unwrap_or_else(|| public_host.to_owned());
            let state = RekorState::open(
                database.log("rekor"),
                key,
                &hostname,
                &cfg.raw.rekor,
                engine_metrics.clone(),
                &mut registry,
            )
            .await
            .context("opening the Rekor log")?;
            tracing::info!(
                log_id = state.log_id_hex(),
                tree_id = state.tree_id().get(),
                size = state.log().head().size,
                %hostname,
                "Rekor log ready"
            );
            Some(state)
        } else {
            None
        };

        Ok(AppState {
            readiness: Readiness::new(),
            registry: Arc::new(registry),
            http_metrics,
            rekor,
            request_timeout: std::time::Duration::from_secs(cfg.raw.request_timeout_seconds),
        })
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
    let mut app = Router::new().merge(health).merge(metrics);
    if let Some(rekor) = &state.rekor {
        app = app.merge(rekor_server::router(rekor.clone()));
    }
    app.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(state.request_timeout, request_timeout))
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
