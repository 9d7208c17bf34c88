//! The control plane's bound on request bodies (3 MiB), on the wire where a library client cannot
//! show it: a declared Content-Length over the bound is answered 413 before the body is sent; a
//! client that does send such a body still reads the 413. (The Director's own bound is checked
//! in `tests/tests/director_limits.rs`.)

use crate::test_server;

use compass_apiserver::Transport;
use test_server::{TestServer, raw_http::assert_body_bound};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_body_over_the_bound_is_refused_before_it_is_sent() {
    let server = TestServer::start_with(|config| config.transport = Transport::PlainLoopback).await;
    let token = server.control_plane.admin_token.clone();
    let configmaps = "/api/v1/namespaces/default/configmaps";
    assert_body_bound(server.control_plane.address, configmaps, &token, 4 << 20).await;
    server.stop().await;
}
