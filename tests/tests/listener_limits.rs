//! Body bounds on the wire, where a library client cannot show them: a declared Content-Length
//! over the bound is answered 413 before the body is sent, by the control plane (3 MiB) and by
//! the GraphQL API (4 MiB); a client that does send such a body still reads the 413.

use compass_apiserver::Transport;
use compass_tests::{DEADLINE, TestServer};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Sends `head` (and then `body`, if any) and returns what the server answers before it closes
/// or the deadline passes.
async fn exchange(address: std::net::SocketAddr, head: String, body: Option<Vec<u8>>) -> String {
    let stream = TcpStream::connect(address).await.unwrap();
    let (mut reader, mut writer) = stream.into_split();
    writer.write_all(head.as_bytes()).await.unwrap();
    let sending = tokio::spawn(async move {
        if let Some(body) = body {
            // The server may close its side meanwhile; what matters is what it answered.
            let _ = writer.write_all(&body).await;
        }
        writer
    });
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    let _ = tokio::time::timeout(DEADLINE, async {
        while !String::from_utf8_lossy(&answer).contains("\r\n\r\n") {
            match reader.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    drop(sending.await);
    String::from_utf8_lossy(&answer).into_owned()
}

fn post(path: &str, token: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_body_over_the_bound_is_refused_before_it_is_sent() {
    let server = TestServer::start_with(|config| config.transport = Transport::PlainLoopback).await;
    let token = server.control_plane.admin_token.clone();
    let control_plane = server.control_plane.address;
    let configmaps = "/api/v1/namespaces/default/configmaps";

    // A gigabyte announced, nothing sent: the answer comes without waiting for it.
    let answer = exchange(control_plane, post(configmaps, &token, 1 << 30), None).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    let api = server.start_api(Vec::new()).await;
    let director = url_address(&api.url);
    let path = compass_api::server::DIRECTOR_PATH;
    let answer = exchange(director, post(path, &token, 1 << 30), None).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A client that sends a body over the bound anyway reads the 413 rather than a reset.
    for (address, path, size) in [
        (control_plane, configmaps, 4 << 20),
        (director, path, 5 << 20),
    ] {
        let body = vec![b' '; size];
        let answer = exchange(address, post(path, &token, size), Some(body)).await;
        assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
    }
    api.stop().await;
    server.stop().await;
}

/// The socket address of an `http://host:port/...` URL.
fn url_address(url: &str) -> std::net::SocketAddr {
    let rest = url.split_once("://").unwrap().1;
    let authority = rest.split('/').next().unwrap();
    authority.parse().unwrap()
}
