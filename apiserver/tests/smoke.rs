//! The harness itself: a control plane starts, kubectl and kube-rs both reach it.

use crate::test_server;

use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use test_server::TestServer;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_and_kube_rs_reach_a_fresh_control_plane() {
    let server = TestServer::start().await;
    server.kubectl_ok(&["create", "namespace", "smoke"]);
    let namespaces: Api<Namespace> = Api::all(server.client().await);
    let found = namespaces.get("smoke").await.unwrap();
    assert_eq!(found.status.unwrap().phase.as_deref(), Some("Active"));
    server.stop().await;
}
