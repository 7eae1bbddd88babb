//! The Prometheus registry, the `/metrics` handler and per-route HTTP metrics.
//!
//! Services register their own metrics into the [`Registry`] while they are built; the binary then
//! freezes it in an `Arc` and serves it. Metric names carry the `cairn_` prefix.

use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
pub use prometheus_client::registry::Registry;

/// Content type of the OpenMetrics text exposition, which Prometheus scrapes natively.
pub const OPENMETRICS_CONTENT_TYPE: &str =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// A registry with the `cairn` prefix and the process-level metrics (`cairn_build_info`,
/// `cairn_process_start_time_seconds`) already registered.
pub fn new_registry(version: &str) -> Registry {
    let mut registry = Registry::with_prefix("cairn");
    let build_info = Family::<VersionLabels, Gauge>::default();
    build_info
        .get_or_create(&VersionLabels {
            version: version.to_owned(),
        })
        .set(1);
    registry.register("build_info", "Build information; always 1", build_info);
    let start = Gauge::<i64>::default();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    start.set(now);
    registry.register(
        "process_start_time_seconds",
        "Unix time at which the process started",
        start,
    );
    registry
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VersionLabels {
    version: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

/// Request counts and latencies by matched route (the route template, never the raw path, so
/// the label set stays bounded).
#[derive(Clone, Debug)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
}

impl HttpMetrics {
    /// Create the metrics and register them.
    pub fn register(registry: &mut Registry) -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(
            (|| Histogram::new(exponential_buckets(0.0005, 2.0, 16))) as fn() -> Histogram,
        );
        registry.register(
            "http_requests",
            "HTTP requests by method, matched route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by matched route",
            latency.clone(),
        );
        HttpMetrics { requests, latency }
    }
}

/// Middleware (for `axum::middleware::from_fn_with_state`) that records [`HttpMetrics`].
pub async fn track_http(
    State(metrics): State<HttpMetrics>,
    request: Request,
    next: Next,
) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().as_str().to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let elapsed = started.elapsed().as_secs_f64();
    metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status: response.status().as_u16(),
        })
        .inc();
    metrics
        .latency
        .get_or_create(&RouteLabels { route })
        .observe(elapsed);
    response
}

/// `GET /metrics`: the registry in OpenMetrics text format.
pub async fn metrics_handler(State(registry): State<Arc<Registry>>) -> Response {
    let mut body = String::new();
    match encode(&mut body, &registry) {
        Ok(()) => {
            let mut response = body.into_response();
            response.headers_mut().insert(
                CONTENT_TYPE,
                HeaderValue::from_static(OPENMETRICS_CONTENT_TYPE),
            );
            response
        }
        Err(_) => {
            tracing::error!("encoding metrics failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// A counter family with one label (`reason`, `kind`, …): the shape most service metrics take
/// ("requests refused, by reason"). Cheap to clone; clones count into the same family.
#[derive(Clone, Debug)]
pub struct CounterByLabel {
    label: &'static str,
    family: Family<Vec<(&'static str, String)>, Counter>,
}

impl CounterByLabel {
    /// Register `name` (help text `help`) in `registry`, labelled by `label`.
    pub fn register(
        registry: &mut Registry,
        name: &str,
        help: &str,
        label: &'static str,
    ) -> CounterByLabel {
        let counter = CounterByLabel {
            label,
            family: Family::default(),
        };
        registry.register(name, help, counter.family.clone());
        counter
    }

    /// Count one event whose label is `value`.
    pub fn inc(&self, value: &str) {
        self.family
            .get_or_create(&vec![(self.label, value.to_owned())])
            .inc();
    }
}

#[cfg(test)]
mod counter_by_label_tests {
    use super::*;

    #[test]
    fn counts_per_label_value_in_the_text_format() {
        let mut registry = Registry::default();
        let rejected = CounterByLabel::register(&mut registry, "x_rejected", "Refused", "reason");
        rejected.inc("bad_token");
        rejected.clone().inc("bad_token");
        rejected.inc("too_large");
        let mut text = String::new();
        encode(&mut text, &registry).expect("encode");
        assert!(
            text.contains("x_rejected_total{reason=\"bad_token\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("x_rejected_total{reason=\"too_large\"} 1"),
            "{text}"
        );
    }
}
