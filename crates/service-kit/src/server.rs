//! Serving a router until SIGINT/SIGTERM, with a bounded drain.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use axum::ServiceExt;
use tokio::net::TcpListener;
use tower::Layer;
use tower_http::normalize_path::NormalizePathLayer;

use crate::health::Readiness;

/// Resolves when the process receives SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("received SIGINT"),
        () = terminate => tracing::info!("received SIGTERM"),
    }
}

/// Why serving stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The accept loop failed.
    #[error("server error: {0}")]
    Io(#[from] std::io::Error),
    /// In-flight requests did not finish within the grace period.
    #[error("in-flight requests did not finish within {0:?}")]
    DrainTimeout(Duration),
}

/// Serve `router` (with trailing slashes trimmed from request paths) on `listener` until `shutdown` resolves, then stop accepting, mark `readiness`
/// draining, and wait at most `grace` for in-flight requests.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    readiness: Readiness,
    shutdown: impl Future<Output = ()> + Send + 'static,
    grace: Duration,
) -> Result<(), ServeError> {
    let (drain_tx, drain_rx) = tokio::sync::oneshot::channel::<()>();
    let drain_readiness = readiness.clone();
    // Trailing slashes are trimmed before routing: upstream Sigstore servers tolerate them and
    // clients rely on it (sigstore-python posts to `/api/v1/log/entries/retrieve/`).
    let app = NormalizePathLayer::trim_trailing_slash().layer(router);
    let app = ServiceExt::<axum::extract::Request>::into_make_service(app);
    let server = axum::serve(listener, app).with_graceful_shutdown(async move {
        shutdown.await;
        drain_readiness.set_draining();
        let _ = drain_tx.send(());
    });
    let server = tokio::spawn(async move { server.await });
    tokio::pin!(server);
    tokio::select! {
        joined = &mut server => return flatten(joined),
        _ = drain_rx => {}
    }
    match tokio::time::timeout(grace, &mut server).await {
        Ok(joined) => flatten(joined),
        Err(_) => {
            server.abort();
            Err(ServeError::DrainTimeout(grace))
        }
    }
}

fn flatten(joined: Result<std::io::Result<()>, tokio::task::JoinError>) -> Result<(), ServeError> {
    match joined {
        Ok(result) => result.map_err(ServeError::Io),
        Err(e) => Err(ServeError::Io(std::io::Error::other(e))),
    }
}
