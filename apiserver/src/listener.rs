//! Serving an axum router over TLS (or plain HTTP on loopback for tests) until a shutdown
//! future completes; then every open connection, long-running watches included, is closed.

use std::{future::Future, sync::Arc};

use hyper_util::{
    rt::{TokioExecutor, TokioIo},
    server::conn::auto,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, task::JoinSet};
use tokio_rustls::TlsAcceptor;

use crate::auth::PeerCertificate;

/// Accepts connections on `listener` and serves `router` on each, over TLS when `acceptor` is
/// given, until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    router: axum::Router,
    shutdown: impl Future<Output = ()> + Send,
) {
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let service = TowerToHyperService::new(router.clone());
                let acceptor = acceptor.clone();
                connections.spawn(async move {
                    let builder = auto::Builder::new(TokioExecutor::new());
                    let result = match acceptor {
                        Some(acceptor) => match acceptor.accept(stream).await {
                            Ok(tls) => {
                                let service = TowerToHyperService::new(with_peer(router, &tls));
                                builder.serve_connection(TokioIo::new(tls), service).await
                            }
                            Err(error) => {
                                tracing::debug!(%error, "TLS handshake failed");
                                return;
                            }
                        },
                        None => builder.serve_connection(TokioIo::new(stream), service).await,
                    };
                    if let Err(error) = result {
                        tracing::debug!(%error, "Connection ended with an error");
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    connections.abort_all();
    while connections.join_next().await.is_some() {}
}

/// The router, handing the client certificate the TLS handshake verified (if any) to every
/// request of the connection, for authentication.
fn with_peer<S>(router: axum::Router, tls: &tokio_rustls::server::TlsStream<S>) -> axum::Router {
    match tls.get_ref().1.peer_certificates().and_then(|c| c.first()) {
        Some(leaf) => router.layer(axum::Extension(PeerCertificate(Arc::new(leaf.clone())))),
        None => router,
    }
}
