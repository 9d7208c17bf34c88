//! Serving an axum router over TLS (or plain HTTP on loopback for tests) until a shutdown future
//! completes, with the bounds every listener of the product keeps against hostile clients: a
//! TLS-handshake timeout, a header-read timeout that also closes idle keep-alive connections, and
//! a connection limit kept below the file-descriptor limit.
//!
//! At the limit, a new connection is accepted and closed at once: left in the backlog it would
//! only time out later, and `accept` failing with `EMFILE` would stop the listener answering
//! anyone. Connections already open are never closed for the limit, so the controllers' watches
//! keep working while a flood is refused; each listener has its own limit, so a flood of one
//! leaves the others (the admin listener's `/healthz`) answering.
//!
//! At shutdown every connection is closed properly: streaming responses (watches) end, each
//! connection finishes the response it is writing, and TLS connections send `close_notify`;
//! what has not finished after a short grace period is dropped.

use std::{
    future::Future,
    io,
    pin::Pin,
    sync::{Arc, OnceLock},
    task::Poll,
    time::{Duration, Instant},
};

use axum::{
    body::{Body, HttpBody},
    extract::State,
    response::Response,
};
use futures_util::StreamExt;
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    service::TowerToHyperService,
};
use tokio::{
    io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _},
    net::{TcpListener, TcpStream},
    sync::{OwnedSemaphorePermit, Semaphore, watch},
    task::JoinSet,
};
use tokio_rustls::TlsAcceptor;

use crate::auth::PeerCertificate;

/// Bounds of one listener.
#[derive(Clone, Debug)]
pub struct ListenerOptions {
    /// How long a client may take to complete the TLS handshake (10 s, as Go's HTTP client
    /// allows itself).
    pub tls_handshake_timeout: Duration,
    /// How long a client may take to send a complete request head, counted from when the
    /// connection opens or its previous response ends (30 s; kube-apiserver allows 32 s). hyper
    /// runs one timer for both, so this is also the idle keep-alive timeout: a connection that
    /// sends nothing is closed after it.
    pub header_read_timeout: Duration,
    /// How many connections may be open at once; more are accepted and closed at once. By
    /// default a quarter of the file-descriptor limit (raised to its hard limit at start),
    /// at most 8,192, so the listeners of one process together stay below it.
    pub max_connections: usize,
    /// At shutdown, how long open connections get to finish their response and close (5 s).
    pub shutdown_grace: Duration,
}

impl Default for ListenerOptions {
    fn default() -> Self {
        Self {
            tls_handshake_timeout: Duration::from_secs(10),
            header_read_timeout: Duration::from_secs(30),
            max_connections: (file_descriptor_limit() / 4).clamp(16, 8192) as usize,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The soft limit on open files, raised to the hard limit the first time it is asked for.
fn file_descriptor_limit() -> u64 {
    use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};
    static LIMIT: OnceLock<u64> = OnceLock::new();
    *LIMIT.get_or_init(|| {
        let limit = getrlimit(Resource::Nofile);
        let raised = Rlimit {
            current: limit.maximum,
            maximum: limit.maximum,
        };
        if limit.current != limit.maximum && setrlimit(Resource::Nofile, raised).is_ok() {
            return limit.maximum.unwrap_or(u64::MAX);
        }
        limit.current.unwrap_or(u64::MAX)
    })
}

/// Accepts connections on `listener` and serves `router` on each, over TLS when `acceptor` is
/// given, within `options`, until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    acceptor: Option<TlsAcceptor>,
    router: axum::Router,
    options: &ListenerOptions,
    shutdown: impl Future<Output = ()> + Send,
) {
    let (stop, stopping) = watch::channel(false);
    let router = ending_streams(router, stopping.clone());
    let options = Arc::new(options.clone());
    let slots = Arc::new(Semaphore::new(options.max_connections));
    let mut connections = JoinSet::new();
    let mut warned: Option<Instant> = None;
    tokio::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(error) => {
                    backoff(&error).await;
                    continue;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            if warned.is_none_or(|at| at.elapsed() > Duration::from_secs(10)) {
                warned = Some(Instant::now());
                tracing::warn!(
                    limit = options.max_connections,
                    "Connection limit reached; closing new connections until some end"
                );
            }
            drop(stream);
            continue;
        };
        let connection = Connection {
            router: router.clone(),
            options: options.clone(),
            stopping: stopping.clone(),
            _slot: slot,
        };
        connections.spawn(connection.run(stream, acceptor.clone()));
    }
    let _ = stop.send(true);
    let grace = options.shutdown_grace + LINGER + Duration::from_millis(500);
    if tokio::time::timeout(grace, async {
        while connections.join_next().await.is_some() {}
    })
    .await
    .is_err()
    {
        connections.abort_all();
        while connections.join_next().await.is_some() {}
    }
}

/// After a failed `accept`: a moment's pause when the process is out of descriptors or memory,
/// so the loop does not spin; none when only that one connection failed.
async fn backoff(error: &io::Error) {
    let per_connection = matches!(
        error.kind(),
        io::ErrorKind::ConnectionAborted | io::ErrorKind::ConnectionReset
    );
    if !per_connection {
        tracing::warn!(%error, "Accepting a connection failed");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `router` with its streaming response bodies (watches) ended once `stopping` turns true, so
/// that their connections (or in-process callers) finish cleanly instead of being cut.
pub(crate) fn ending_streams(
    router: axum::Router,
    stopping: watch::Receiver<bool>,
) -> axum::Router {
    router.layer(axum::middleware::map_response_with_state(
        stopping,
        end_streams_at_shutdown,
    ))
}

/// Ends a streaming response body when `stopping` turns true.
async fn end_streams_at_shutdown(
    State(stopping): State<watch::Receiver<bool>>,
    response: Response,
) -> Response {
    if response.body().size_hint().exact().is_some() {
        return response;
    }
    let (parts, body) = response.into_parts();
    let mut stopping = stopping;
    let stopped = async move {
        let _ = stopping.wait_for(|stopped| *stopped).await;
    };
    let stream = body.into_data_stream().take_until(stopped);
    Response::from_parts(parts, Body::from_stream(stream))
}

/// One accepted connection and what it needs; holding it holds a slot of the limit.
struct Connection {
    router: axum::Router,
    options: Arc<ListenerOptions>,
    stopping: watch::Receiver<bool>,
    _slot: OwnedSemaphorePermit,
}

impl Connection {
    async fn run(mut self, stream: TcpStream, acceptor: Option<TlsAcceptor>) {
        let _ = stream.set_nodelay(true);
        let Some(acceptor) = acceptor else {
            let router = self.router.clone();
            return self.serve(stream, router).await;
        };
        let handshake =
            tokio::time::timeout(self.options.tls_handshake_timeout, acceptor.accept(stream));
        let tls = tokio::select! {
            done = handshake => done,
            _ = self.stopping.wait_for(|stopped| *stopped) => return,
        };
        match tls {
            Ok(Ok(tls)) => {
                let router = with_peer(self.router.clone(), &tls);
                self.serve(tls, router).await
            }
            Ok(Err(error)) => tracing::debug!(%error, "TLS handshake failed"),
            Err(_) => tracing::debug!("TLS handshake timed out"),
        }
    }

    async fn serve<I>(self, io: I, router: axum::Router)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let tower = TowerToHyperService::new(router);
        // Boxed so the connection is Unpin and can be polled without shutting its IO down.
        let service = hyper::service::service_fn(move |request| Box::pin(tower.call(request)));
        let mut builder = http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(self.options.header_read_timeout);
        let mut connection = builder.serve_connection(TokioIo::new(io), service);
        let mut stop = Box::pin(stopped(self.stopping));
        let mut deadline: Option<Pin<Box<tokio::time::Sleep>>> = None;
        let grace = self.options.shutdown_grace;
        let finished = std::future::poll_fn(|cx| {
            if deadline.is_none() && stop.as_mut().poll(cx).is_ready() {
                // Finish the response under way (streams end on the same signal), then stop.
                Pin::new(&mut connection).graceful_shutdown();
                deadline = Some(Box::pin(tokio::time::sleep(grace)));
            }
            if let Some(deadline) = deadline.as_mut()
                && deadline.as_mut().poll(cx).is_ready()
            {
                return Poll::Ready(None);
            }
            connection.poll_without_shutdown(cx).map(Some)
        })
        .await;
        match finished {
            Some(Ok(())) => close(connection.into_parts().io.into_inner()).await,
            Some(Err(error)) => tracing::debug!(%error, "Connection ended with an error"),
            None => tracing::debug!("Connection cut: it did not finish within the grace period"),
        }
    }
}

/// The router, handing the client certificate the TLS handshake verified (if any) to every
/// request of the connection, for authentication.
fn with_peer<S>(router: axum::Router, tls: &tokio_rustls::server::TlsStream<S>) -> axum::Router {
    match tls.get_ref().1.peer_certificates().and_then(|c| c.first()) {
        Some(leaf) => router.layer(axum::Extension(PeerCertificate(Arc::new(leaf.clone())))),
        None => router,
    }
}

async fn stopped(mut stopping: watch::Receiver<bool>) {
    let _ = stopping.wait_for(|stopped| *stopped).await;
}

/// How long, and how much, a closing connection still reads from a client that is sending.
const LINGER: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 16 * 1024 * 1024;

/// Closes a connection hyper is done with: says goodbye first (`close_notify` over TLS, then
/// FIN), then reads and discards what the client still sends for a moment. A client still
/// sending a body the server refused (a 413 on its declared length) then reads the answer,
/// instead of having it destroyed by the reset that closing with unread data causes.
async fn close<I: AsyncRead + AsyncWrite + Unpin>(mut io: I) {
    let _ = tokio::time::timeout(LINGER, async {
        if io.shutdown().await.is_err() {
            return;
        }
        let mut sink = vec![0u8; 16 * 1024];
        let mut drained = 0;
        while drained < LINGER_BYTES {
            match io.read(&mut sink).await {
                Ok(0) | Err(_) => return,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests;
