//! HTTP/1.1 written by hand over plain TCP, for what a library client cannot show: a declared
//! Content-Length with no body behind it, or an answer that comes before the body was sent.

use std::net::SocketAddr;

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use super::DEADLINE;

/// Sends `head` (and then `body`, if any) to `address` and returns the status line and headers
/// the server answers before it closes or [`DEADLINE`] passes.
pub async fn exchange(address: SocketAddr, head: String, body: Option<Vec<u8>>) -> String {
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

/// The head of a JSON `POST` to `path` with a bearer `token`, declaring a body of `length` bytes.
pub fn post_head(path: &str, token: &str, length: usize) -> String {
    format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
}

/// Checks a listener's bound on request bodies where a library client cannot show it: a `POST`
/// to `path` declaring a gigabyte is answered 413 without waiting for the body, and one that sends
/// `over_bound` bytes anyway reads the 413 rather than a reset.
pub async fn assert_body_bound(address: SocketAddr, path: &str, token: &str, over_bound: usize) {
    let answer = exchange(address, post_head(path, token, 1 << 30), None).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
    let body = vec![b' '; over_bound];
    let answer = exchange(address, post_head(path, token, over_bound), Some(body)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{path}: {answer}");
}
