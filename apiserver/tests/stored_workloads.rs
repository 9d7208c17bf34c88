//! The workload kinds on request (`ServerOptions::store_workloads`): a Deployment applied with
//! kube-rs server-side apply is stored, served, watched, patched and deleted like any built-in
//! object; without the option the same apply is refused.

use crate::test_server;

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::{apps::v1::Deployment, core::v1::Service};
use kube::{
    Api,
    api::{DeleteParams, ListParams, Patch, PatchParams, WatchEvent, WatchParams},
};
use serde_json::{Value, json};
use test_server::{TestServer, wait_gone};

fn deployment(image: &str) -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": { "name": "web", "namespace": "default", "labels": { "app": "web" } },
        "spec": {
            "replicas": 2,
            "selector": { "matchLabels": { "app": "web" } },
            "template": {
                "metadata": { "labels": { "app": "web" } },
                "spec": { "containers": [{ "name": "web", "image": image }] }
            }
        }
    })
}

fn image_of(deployment: &Deployment) -> Option<String> {
    let pod = deployment.spec.as_ref()?.template.spec.as_ref()?;
    pod.containers.first()?.image.clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_store_workloads_a_deployment_applied_server_side_round_trips() {
    let server = TestServer::start_with(|config| config.server.store_workloads = true).await;
    let client = server.client().await;
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), "default");
    let params = PatchParams::apply("installer");

    let applied = deployments
        .patch("web", &params, &Patch::Apply(&deployment("nginx:1")))
        .await
        .expect("the Deployment is applied");
    assert_eq!(image_of(&applied).as_deref(), Some("nginx:1"));
    let managers = applied.metadata.managed_fields.clone().unwrap_or_default();
    assert!(
        managers
            .iter()
            .any(|m| m.manager.as_deref() == Some("installer")),
        "{managers:?}"
    );

    let listed = deployments.list(&ListParams::default()).await.unwrap();
    assert_eq!(listed.items.len(), 1);
    let version = listed.metadata.resource_version.clone().unwrap_or_default();
    let mut events = deployments
        .watch(&WatchParams::default().disable_bookmarks(), &version)
        .await
        .expect("the watch opens")
        .boxed();

    let changed = deployments
        .patch("web", &params, &Patch::Apply(&deployment("nginx:2")))
        .await
        .expect("the Deployment is applied again");
    assert_eq!(image_of(&changed).as_deref(), Some("nginx:2"));
    assert_eq!(changed.spec.as_ref().and_then(|s| s.replicas), Some(2));
    match events.try_next().await.expect("a watch event") {
        Some(WatchEvent::Modified(seen)) => assert_eq!(image_of(&seen).as_deref(), Some("nginx:2")),
        other => panic!("expected the change to be watched, got {other:?}"),
    }

    let services: Api<Service> = Api::namespaced(client, "default");
    let service = json!({
        "apiVersion": "v1", "kind": "Service",
        "metadata": { "name": "web" },
        "spec": { "selector": { "app": "web" }, "ports": [{ "port": 80 }] }
    });
    services
        .patch("web", &params, &Patch::Apply(&service))
        .await
        .expect("a Service is stored too");

    deployments
        .delete("web", &DeleteParams::default())
        .await
        .expect("the Deployment is deleted");
    wait_gone(&deployments, "web").await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_store_workloads_a_deployment_is_refused() {
    let server = TestServer::start().await;
    let deployments: Api<Deployment> = Api::namespaced(server.client().await, "default");
    let refused = deployments
        .patch(
            "web",
            &PatchParams::apply("installer"),
            &Patch::Apply(&deployment("nginx:1")),
        )
        .await
        .expect_err("the Deployment is refused");
    let kube::Error::Api(status) = refused else {
        panic!("expected an API error, got {refused:?}");
    };
    assert_eq!(status.code, 405, "{status:?}");
    assert!(status.message.contains("runs no workloads"), "{status:?}");
    let listed = deployments.list(&ListParams::default()).await.unwrap();
    assert!(listed.items.is_empty());
    server.stop().await;
}
