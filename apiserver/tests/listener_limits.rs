//! Body bounds on the wire, where a library client cannot show them: a declared Content-Length
//! over the bound (3 MiB) is answered 413 before the body is sent; a client that does send such a
//! body still reads the 413. (The Director's own bound is checked in `tests/tests/director_limits.rs`.)

mod test_server;

use compass_apiserver::Transport;
use test_server::{
    TestServer,
    raw_http::{exchange, post_head},
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_body_over_the_bound_is_refused_before_it_is_sent() {
    let server = TestServer::start_with(|config| config.transport = Transport::PlainLoopback).await;
    let token = server.control_plane.admin_token.clone();
    let address = server.control_plane.address;
    let configmaps = "/api/v1/namespaces/default/configmaps";

    // A gigabyte announced, nothing sent: the answer comes without waiting for it.
    let answer = exchange(address, post_head(configmaps, &token, 1 << 30), None).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");

    // A client that sends a body over the bound anyway reads the 413 rather than a reset.
    let size = 4 << 20;
    let body = vec![b' '; size];
    let answer = exchange(address, post_head(configmaps, &token, size), Some(body)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    server.stop().await;
}
