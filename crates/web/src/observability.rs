//! Operations: request ids, structured request spans, Prometheus metrics,
//! and the health and readiness endpoints. Every metrics label comes from a
//! closed set (known methods, route templates, status codes), so no request
//! can add a series.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

/// The method as a label: one of the standard methods, else `other`. A client may send
/// any token as a method; each would otherwise be a new series.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    const KNOWN: [(Method, &str); 9] = [
        (Method::GET, "GET"),
        (Method::HEAD, "HEAD"),
        (Method::POST, "POST"),
        (Method::PUT, "PUT"),
        (Method::PATCH, "PATCH"),
        (Method::DELETE, "DELETE"),
        (Method::OPTIONS, "OPTIONS"),
        (Method::CONNECT, "CONNECT"),
        (Method::TRACE, "TRACE"),
    ];
    KNOWN
        .iter()
        .find(|(known, _)| known == method)
        .map_or("other", |(_, label)| label)
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    hashing: HashingMetrics,
}

/// Password hashing load, copied from the service when `/metrics` is read.
#[derive(Default)]
struct HashingMetrics {
    running: Gauge,
    queued: Gauge,
    peak_running: Gauge,
    refused: Counter,
    /// What `refused` was last brought up to; the service's count only grows.
    refused_seen: std::sync::Mutex<u64>,
}

impl HashingMetrics {
    fn register(&self, registry: &mut Registry) {
        registry.register(
            "password_hashes_running",
            "Password hashes being computed",
            self.running.clone(),
        );
        registry.register(
            "password_hashes_queued",
            "Password hashes waiting for a hashing thread",
            self.queued.clone(),
        );
        registry.register(
            "password_hashes_peak_running",
            "The most password hashes computed at once since start",
            self.peak_running.clone(),
        );
        registry.register(
            "password_hashes_refused",
            "Requests answered 503 because every hashing thread and queue slot was taken",
            self.refused.clone(),
        );
    }

    fn update(&self, stats: orgsso_service::HashingStats) {
        let gauge = |g: &Gauge, v: usize| g.set(i64::try_from(v).unwrap_or(i64::MAX));
        gauge(&self.running, stats.running);
        gauge(&self.queued, stats.queued);
        gauge(&self.peak_running, stats.peak_running);
        let mut seen = match self.refused_seen.lock() {
            Ok(seen) => seen,
            Err(poisoned) => poisoned.into_inner(),
        };
        if stats.refused > *seen {
            self.refused.inc_by(stats.refused - *seen);
            *seen = stats.refused;
        }
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("orgsso");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer HTTP requests",
            latency.clone(),
        );
        let hashing = HashingMetrics::default();
        hashing.register(&mut registry);
        Self {
            registry,
            requests,
            latency,
            hashing,
        }
    }

    fn render(&self) -> String {
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// Request ids: unique per process start and request, not secret.
#[derive(Clone)]
struct SequentialIds {
    prefix: String,
    next: std::sync::Arc<AtomicU64>,
}

impl MakeRequestId for SequentialIds {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

/// The longest request id taken from a client.
const MAX_CLIENT_REQUEST_ID: usize = 64;

/// A client's request id is kept only if it is a short token of safe characters:
/// it goes into every log line of the request, where spaces or `key=value` text
/// could forge fields.
fn acceptable_request_id(value: &HeaderValue) -> bool {
    let bytes = value.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= MAX_CLIENT_REQUEST_ID
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Drops a client's request id unless it is exactly one acceptable value, so
/// [`SetRequestIdLayer`] makes a fresh one.
async fn sanitize_request_id(mut request: Request) -> Request {
    let mut values = request.headers().get_all(REQUEST_ID).iter();
    let keep = match (values.next(), values.next()) {
        (None, _) => true,
        (Some(one), None) => acceptable_request_id(one),
        (Some(_), Some(_)) => false,
    };
    if !keep {
        request.headers_mut().remove(REQUEST_ID);
    }
    request
}

async fn record_metrics(State(app): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(request.method());
    // The route template, never the raw path; unmatched paths share one label so
    // scanners can't grow the series without bound.
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let response = next.run(request).await;
    let status = response.status().as_u16();
    app.metrics
        .requests
        .get_or_create(&RequestLabels {
            method,
            route: route.clone(),
            status,
        })
        .inc();
    app.metrics
        .latency
        .get_or_create(&RouteLabels { method, route })
        .observe(started.elapsed().as_secs_f64());
    response
}

pub fn wrap(router: Router<AppState>, state: AppState) -> Router<AppState> {
    let mut prefix = [0u8; 4];
    orgsso_core::Entropy::fill(&orgsso_core::OsEntropy, &mut prefix);
    let ids = SequentialIds {
        prefix: hex_prefix(&prefix),
        next: Default::default(),
    };
    router
        .layer(axum::middleware::from_fn_with_state(state, record_metrics))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
            let id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            tracing::info_span!("request", request_id = %id, method = %request.method(), path = %request.uri().path())
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, ids))
        .layer(axum::middleware::map_request(sanitize_request_id))
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn readyz(State(app): State<AppState>) -> Response {
    match app.hub.ready().await {
        Ok(()) => (StatusCode::OK, "ready\n").into_response(),
        Err(err) => {
            tracing::warn!(error = ?err, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n").into_response()
        }
    }
}

async fn metrics(State(app): State<AppState>) -> Response {
    app.metrics.hashing.update(app.hub.password_hashing());
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        app.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    #[test]
    fn only_short_safe_request_ids_are_taken_from_clients() {
        let long = "a".repeat(MAX_CLIENT_REQUEST_ID);
        for ok in ["abc", "0f3a-12", "trace.id_7", long.as_str()] {
            assert!(
                acceptable_request_id(&HeaderValue::from_str(ok).unwrap()),
                "{ok}"
            );
        }
        let too_long = "a".repeat(MAX_CLIENT_REQUEST_ID + 1);
        for bad in [
            "",
            "forged-2 user=bob",
            "a\tb",
            "id;x",
            "ü",
            too_long.as_str(),
        ] {
            let value = HeaderValue::from_bytes(bad.as_bytes()).unwrap();
            assert!(!acceptable_request_id(&value), "{bad:?}");
        }
    }

    #[test]
    fn only_standard_methods_become_labels() {
        assert_eq!(method_label(&Method::GET), "GET");
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        for invented in ["FOO", "get", "PROPFIND", "X-1234"] {
            let method = Method::from_bytes(invented.as_bytes()).unwrap();
            assert_eq!(method_label(&method), "other", "{invented}");
        }
    }
}
