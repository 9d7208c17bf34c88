//! The listener's bounds, observed over raw TCP and TLS: silent connections and stalled
//! handshakes are closed, a flood beyond the limit is turned away while open connections keep
//! working, and shutdown ends streams and closes TLS with close_notify.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{Router, body::Body, routing::get};
use tokio::{
    io::{AsyncRead, AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
    task::JoinHandle,
};
use tokio_rustls::{TlsAcceptor, TlsConnector};

use super::{ListenerOptions, serve};

/// Long enough for anything that should happen at once on a loaded machine; no test waits for
/// it unless something is wrong.
const GENEROUS: Duration = Duration::from_secs(15);

fn router() -> Router {
    Router::new().route("/", get(|| async { "hello" })).route(
        "/stream",
        get(|| async {
            let ticks = tokio_stream_of_ticks();
            Body::from_stream(ticks)
        }),
    )
}

/// A chunk every 50 ms, forever.
fn tokio_stream_of_ticks()
-> impl futures_util::Stream<Item = Result<bytes::Bytes, std::convert::Infallible>> {
    futures_util::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Some((Ok(bytes::Bytes::from_static(b"tick\n")), ()))
    })
}

struct Running {
    address: SocketAddr,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

async fn start(acceptor: Option<TlsAcceptor>, options: ListenerOptions) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let stopped = async move {
            let _ = stopped.await;
        };
        serve(listener, acceptor, router(), &options, stopped).await;
    });
    Running {
        address,
        stop,
        task,
    }
}

fn options() -> ListenerOptions {
    ListenerOptions {
        header_read_timeout: Duration::from_secs(60),
        ..ListenerOptions::default()
    }
}

/// Reads until the peer closes; fails the test when that takes longer than [`GENEROUS`].
async fn closed_by_server(stream: &mut (impl AsyncRead + Unpin)) -> Vec<u8> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(GENEROUS, async {
        let mut buffer = [0u8; 1024];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    });
    read.await.expect("the server closes the connection");
    received
}

async fn request(stream: &mut TcpStream, path: &str) -> String {
    let text = format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n");
    stream.write_all(text.as_bytes()).await.unwrap();
    let mut buffer = vec![0u8; 4096];
    let n = tokio::time::timeout(GENEROUS, stream.read(&mut buffer))
        .await
        .expect("an answer")
        .unwrap();
    String::from_utf8_lossy(&buffer[..n]).into_owned()
}

#[tokio::test]
async fn a_connection_that_sends_nothing_is_closed_after_the_header_read_timeout() {
    let options = ListenerOptions {
        header_read_timeout: Duration::from_millis(200),
        ..ListenerOptions::default()
    };
    let server = start(None, options).await;
    let mut silent = TcpStream::connect(server.address).await.unwrap();
    assert!(closed_by_server(&mut silent).await.is_empty());
    // A keep-alive connection gone idle after a request is closed the same way.
    let mut idle = TcpStream::connect(server.address).await.unwrap();
    assert!(request(&mut idle, "/").await.starts_with("HTTP/1.1 200"));
    closed_by_server(&mut idle).await;
    // A response still streaming (a watch) is not idle: it outlives the timeout many times.
    let mut watch = TcpStream::connect(server.address).await.unwrap();
    assert!(
        request(&mut watch, "/stream")
            .await
            .starts_with("HTTP/1.1 200")
    );
    let streamed = tokio::time::Instant::now();
    let mut buffer = [0u8; 64];
    while streamed.elapsed() < Duration::from_secs(1) {
        let n = tokio::time::timeout(GENEROUS, watch.read(&mut buffer))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "the stream was cut");
    }
    let _ = server.stop.send(());
    server.task.await.unwrap();
}

fn tls() -> (TlsAcceptor, TlsConnector) {
    let dir = tempfile::tempdir().unwrap();
    let credentials = crate::pki::load_or_create(dir.path(), &["127.0.0.1".to_owned()]).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(credentials.chain[1].clone()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (
        TlsAcceptor::from(credentials.tls),
        TlsConnector::from(Arc::new(client)),
    )
}

#[tokio::test]
async fn a_connection_that_never_completes_the_tls_handshake_is_closed() {
    let (acceptor, _) = tls();
    let options = ListenerOptions {
        tls_handshake_timeout: Duration::from_millis(200),
        ..options()
    };
    let server = start(Some(acceptor), options).await;
    let mut silent = TcpStream::connect(server.address).await.unwrap();
    assert!(closed_by_server(&mut silent).await.is_empty());
    let _ = server.stop.send(());
    server.task.await.unwrap();
}

#[tokio::test]
async fn beyond_the_limit_new_connections_are_closed_at_once_and_open_ones_keep_working() {
    let options = ListenerOptions {
        max_connections: 4,
        ..options()
    };
    let server = start(None, options).await;
    let other = start(None, self::options()).await;
    // A long-lived stream (as a watch is) and a keep-alive client, open before the flood.
    let mut watch = TcpStream::connect(server.address).await.unwrap();
    assert!(
        request(&mut watch, "/stream")
            .await
            .starts_with("HTTP/1.1 200")
    );
    let mut client = TcpStream::connect(server.address).await.unwrap();
    assert!(request(&mut client, "/").await.contains("hello"));
    let mut flood = Vec::new();
    for _ in 0..2 {
        flood.push(TcpStream::connect(server.address).await.unwrap());
    }
    // The limit is reached: more connections are accepted and closed without an answer.
    for _ in 0..3 {
        let mut refused = TcpStream::connect(server.address).await.unwrap();
        let _ = refused
            .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
            .await;
        assert!(closed_by_server(&mut refused).await.is_empty());
    }
    // Open connections are served, the stream goes on, and another listener is unaffected.
    assert!(request(&mut client, "/").await.contains("hello"));
    let mut more = [0u8; 64];
    let n = tokio::time::timeout(GENEROUS, watch.read(&mut more))
        .await
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&more[..n]).contains("tick"));
    let mut fresh = TcpStream::connect(other.address).await.unwrap();
    assert!(request(&mut fresh, "/").await.contains("hello"));
    // A slot freed is a slot available.
    drop(flood.pop());
    let mut admitted = tokio::time::timeout(GENEROUS, async {
        loop {
            let mut stream = TcpStream::connect(server.address).await.unwrap();
            stream
                .write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                .await
                .unwrap();
            let mut buffer = [0u8; 256];
            if matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {
                return stream;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("a connection is admitted once one closed");
    admitted.shutdown().await.unwrap();
    for running in [server, other] {
        let _ = running.stop.send(());
        running.task.await.unwrap();
    }
}

#[tokio::test]
async fn shutdown_ends_streams_and_closes_tls_connections_with_close_notify() {
    let (acceptor, connector) = tls();
    let server = start(Some(acceptor), options()).await;
    let tcp = TcpStream::connect(server.address).await.unwrap();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap();
    let mut stream = connector.connect(name, tcp).await.unwrap();
    stream
        .write_all(b"GET /stream HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 256];
    let n = stream.read(&mut head).await.unwrap();
    assert!(String::from_utf8_lossy(&head[..n]).starts_with("HTTP/1.1 200"));

    let _ = server.stop.send(());
    let mut rest = Vec::new();
    // A connection cut without close_notify is an error (UnexpectedEof) for a TLS client.
    let read = tokio::time::timeout(GENEROUS, stream.read_to_end(&mut rest)).await;
    let result = read.expect("the server closes the stream");
    assert!(result.is_ok(), "the TLS connection was cut: {result:?}");
    assert!(
        rest.ends_with(b"0\r\n\r\n"),
        "the chunked stream was ended: {:?}",
        String::from_utf8_lossy(&rest)
    );
    server.task.await.unwrap();
}
