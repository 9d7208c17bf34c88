//! The `cluster-api` provider against a management plane with a minimal `Cluster` CRD, the test
//! playing Cluster API: the Cluster is written as Cluster API expects it, the provider waits
//! for the cluster's kubeconfig Secret and then installs the agent as the `kubeconfig` provider
//! does; an upgrade changes the topology's version and waits for `TopologyReconciled`; deletion
//! deletes the Cluster, and never one it did not make.

use compass_provisioner::{
    cluster_api::ClusterApiProvider,
    provider::{Progress, Provider},
};
use compass_tests::TestServer;
use k8s_openapi::{
    api::apps::v1::Deployment,
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api,
    api::{DynamicObject, GroupVersionKind, Patch, PatchParams, PostParams},
    core::ApiResource,
};
use serde_json::json;

use super::{
    INSTALLED_FOR, existing_cluster, invalid, kubeconfig_text, loopback_allowed, named, put_secret,
    target, until_done, unused_bootstrap,
};

/// `cluster.x-k8s.io/v1beta2` Clusters, any content, with a status subresource.
fn cluster_crd() -> CustomResourceDefinition {
    serde_json::from_value(json!({
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": { "name": "clusters.cluster.x-k8s.io" },
        "spec": {
            "group": "cluster.x-k8s.io",
            "names": { "kind": "Cluster", "plural": "clusters", "singular": "cluster", "listKind": "ClusterList" },
            "scope": "Namespaced",
            "versions": [{
                "name": "v1beta2", "served": true, "storage": true,
                "subresources": { "status": {} },
                "schema": { "openAPIV3Schema": {
                    "type": "object", "x-kubernetes-preserve-unknown-fields": true,
                }},
            }],
        },
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_is_requested_completed_as_kubeconfig_upgraded_and_deleted() {
    let management = TestServer::start().await;
    let client = management.client().await;
    management.create_namespace("tenant-a").await;
    let provider = ClusterApiProvider::new(client.clone(), loopback_allowed());
    named(provider.as_ref(), "cluster-api");
    let configuration = json!({
        "clusterClass": "quick-start", "clusterClassNamespace": "classes",
        "workers": 3, "controlPlaneReplicas": 1,
    });
    let mut runtime = target(
        "tenant-a",
        "edge",
        "runtime-1",
        "cluster-api",
        configuration,
    );
    let refusal = invalid(provider.provision(&runtime, None).await);
    assert!(
        refusal.contains("spec.provisioning.kubernetesVersion"),
        "{refusal}"
    );
    runtime.request.kubernetes_version = Some("v1.33.1".into());
    let agent = unused_bootstrap("runtime-1");

    let missing = format!("{:?}", provider.provision(&runtime, Some(&agent)).await);
    assert!(
        missing.contains("Cluster API is not installed"),
        "{missing}"
    );
    management.create_crds(vec![cluster_crd()]).await;

    let Ok(Progress::Waiting(waiting, _)) = provider.provision(&runtime, Some(&agent)).await else {
        panic!("the provider waits for Cluster API");
    };
    assert!(waiting.contains("edge-kubeconfig"), "{waiting}");
    let gvk = GroupVersionKind::gvk("cluster.x-k8s.io", "v1beta2", "Cluster");
    let clusters: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), "tenant-a", &ApiResource::from_gvk(&gvk));
    let cluster = clusters.get("edge").await.unwrap();
    assert_eq!(cluster.metadata.labels.unwrap()[INSTALLED_FOR], "runtime-1");
    assert_eq!(
        cluster.data["spec"]["topology"],
        json!({
            "classRef": { "name": "quick-start", "namespace": "classes" },
            "version": "v1.33.1",
            "controlPlane": { "replicas": 1 },
            "workers": { "machineDeployments": [
                { "class": "default-worker", "name": "workers", "replicas": 3 },
            ]},
        })
    );

    // Cluster API made the cluster: its kubeconfig Secret names the runtime's control plane.
    let runtime_cluster = existing_cluster().await;
    let kubeconfig = kubeconfig_text(&runtime_cluster);
    let secret_type = Some("cluster.x-k8s.io/secret");
    let data = [("value", kubeconfig.as_str())];
    put_secret(&client, "tenant-a", "edge-kubeconfig", secret_type, &data).await;
    let done = until_done("provisioning", || {
        provider.provision(&runtime, Some(&agent))
    })
    .await;
    assert!(done.contains("installed"), "{done}");
    let deployments: Api<Deployment> =
        Api::namespaced(runtime_cluster.client().await, "compass-system");
    let deployment = deployments.get("compass-runtime-agent").await.unwrap();
    assert_eq!(
        deployment.metadata.labels.unwrap()[INSTALLED_FOR],
        "runtime-1"
    );

    // An upgrade changes the version alone and is done once Cluster API reconciled it.
    runtime.request.kubernetes_version = Some("v1.34.0".into());
    let Ok(Progress::Waiting(waiting, _)) = provider.upgrade(&runtime).await else {
        panic!("the upgrade waits for Cluster API");
    };
    assert!(waiting.contains("TopologyReconciled"), "{waiting}");
    let upgraded = clusters.get("edge").await.unwrap();
    assert_eq!(upgraded.data["spec"]["topology"]["version"], "v1.34.0");
    assert_eq!(
        upgraded.data["spec"]["topology"]["workers"]["machineDeployments"][0]["replicas"],
        3
    );
    let generation = upgraded.metadata.generation.unwrap();
    let status = json!({ "status": { "observedGeneration": generation, "conditions": [{
        "type": "TopologyReconciled", "status": "True", "reason": "ReconcileSucceeded",
        "observedGeneration": generation, "lastTransitionTime": "2026-01-01T00:00:00Z", "message": "",
    }]}});
    clusters
        .patch_status("edge", &PatchParams::default(), &Patch::Merge(&status))
        .await
        .unwrap();
    let upgraded = until_done("upgrading", || provider.upgrade(&runtime)).await;
    assert!(upgraded.contains("v1.34.0"), "{upgraded}");

    // A Cluster someone else made is neither taken over nor deleted.
    let other: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "cluster.x-k8s.io/v1beta2", "kind": "Cluster",
        "metadata": { "name": "other", "namespace": "tenant-a" },
        "spec": { "topology": { "version": "v1.33.1" } },
    }))
    .unwrap();
    clusters
        .create(&PostParams::default(), &other)
        .await
        .unwrap();
    let other_runtime = target(
        "tenant-a",
        "other",
        "runtime-2",
        "cluster-api",
        json!({ "clusterClass": "quick-start" }),
    );
    let mut other_runtime = other_runtime;
    other_runtime.request.kubernetes_version = Some("v1.33.1".into());
    let refusal = invalid(provider.provision(&other_runtime, Some(&agent)).await);
    assert!(refusal.contains("not made by Compass"), "{refusal}");
    let left = until_done("deprovisioning another's", || {
        provider.deprovision(&other_runtime)
    })
    .await;
    assert!(left.contains("left as it is"), "{left}");
    assert!(clusters.get_opt("other").await.unwrap().is_some());

    until_done("deprovisioning", || provider.deprovision(&runtime)).await;
    assert!(clusters.get_opt("edge").await.unwrap().is_none());
}
