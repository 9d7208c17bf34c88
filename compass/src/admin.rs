//! The admin listener: `/healthz` (the process runs), `/readyz` (caches synced and controllers
//! running) and `/metrics` (Prometheus). Plain HTTP: keep it inside the cluster or on loopback.

use std::{
    net::SocketAddr,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

use axum::{Router, extract::State, http::StatusCode, response::IntoResponse, routing::get};
use tokio::{net::TcpListener, task::JoinHandle};

use compass_api::metrics::ApiMetrics;
use compass_operator::{controllers::stores::Stores, metrics::Metrics, shutdown::Shutdown};

/// What the admin endpoints report on.
#[derive(Clone)]
pub struct AdminState {
    /// The metrics to serve.
    pub metrics: Arc<Metrics>,
    /// True once the caches are synced.
    pub ready: Arc<AtomicBool>,
    /// The caches, to compute each controller's backlog at scrape time.
    pub stores: Option<Stores>,
}

/// Binds the admin listener; serve it with [`serve`].
pub async fn bind(address: SocketAddr) -> std::io::Result<TcpListener> {
    TcpListener::bind(address).await
}

/// Binds the admin listener at `address` and serves it, until shutdown, with the API's metrics
/// alone (no controllers run in the process), ready once `ready` holds.
pub async fn serve_api_metrics(
    address: SocketAddr,
    api_metrics: &ApiMetrics,
    ready: Arc<AtomicBool>,
    shutdown: Shutdown,
) -> Result<JoinHandle<std::io::Result<()>>, String> {
    let listener = bind(address)
        .await
        .map_err(|e| format!("binding the admin listener on {address} failed: {e}"))?;
    let state = AdminState {
        metrics: Arc::new(Metrics::with(|registry| api_metrics.register(registry))),
        ready,
        stores: None,
    };
    Ok(tokio::spawn(serve(listener, state, shutdown)))
}

/// Serves the admin endpoints until shutdown.
pub async fn serve(
    listener: TcpListener,
    state: AdminState,
    shutdown: Shutdown,
) -> std::io::Result<()> {
    let router = Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(state);
    // The same listener as the API's: timeouts, a connection limit of its own (so /healthz
    // answers while another listener is flooded) and a clean close at shutdown.
    let options = compass_apiserver::listener::ListenerOptions::default();
    compass_apiserver::listener::serve(listener, None, router, &options, shutdown.wait()).await;
    Ok(())
}

async fn readyz(State(state): State<AdminState>) -> impl IntoResponse {
    if state.ready.load(Ordering::SeqCst) {
        (StatusCode::OK, "ok")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "caches are not synced yet")
    }
}

async fn metrics(State(state): State<AdminState>) -> impl IntoResponse {
    if let Some(stores) = &state.stores {
        compass_operator::controllers::queue_depths(stores, &state.metrics);
    }
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
}
