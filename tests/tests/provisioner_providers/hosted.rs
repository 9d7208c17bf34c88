//! The `embedded` provider as `compass provisioner` runs it on a cluster: a control plane
//! storing workloads stands for the host cluster (no node runs the pod). What it applies is
//! there and well-formed, the identity it made is the one a control plane started from it
//! serves and is kept across calls, and deprovisioning deletes exactly what it made.

use std::collections::BTreeMap;

use compass_provisioner::{
    hosted::HostedEmbeddedProvider,
    provider::{Progress, Provider},
};
use compass_tests::TestServer;
use k8s_openapi::api::{
    apps::v1::StatefulSet,
    core::v1::{Secret, Service},
};
use kube::{
    Api, Client,
    api::{ListParams, ObjectMeta, PostParams},
    config::{KubeConfigOptions, Kubeconfig},
};
use serde_json::json;

use super::{INSTALLED_FOR, existing_cluster, named, target, until_done, unused_bootstrap};

const NAMESPACE: &str = "compass-runtimes";
const ID: &str = "2b7f1c0e-5a4d-4c1b-9e7a-0d3c8f6b1a25";

#[tokio::test]
async fn a_runtime_is_rendered_as_a_stateful_set_whose_identity_serves_and_is_removed_exactly() {
    let host = existing_cluster().await;
    let client = host.client().await;
    host.create_namespace(NAMESPACE).await;
    let provider =
        HostedEmbeddedProvider::new(client.clone(), NAMESPACE.into(), "compass:9.9".into());
    named(provider.as_ref(), "embedded");
    let runtime = target("tenant-a", "edge", ID, "embedded", json!({}));
    // Something else in the namespace stays.
    let bystander = Secret {
        metadata: ObjectMeta {
            name: Some("bystander".into()),
            ..ObjectMeta::default()
        },
        ..Secret::default()
    };
    let secrets: Api<Secret> = Api::namespaced(client.clone(), NAMESPACE);
    secrets
        .create(&PostParams::default(), &bystander)
        .await
        .unwrap();

    let agent = unused_bootstrap(ID);
    let first = provider.provision(&runtime, Some(&agent)).await.unwrap();
    let Progress::Waiting(message, _) = first else {
        panic!("no pod runs here, so the provider waits: {first:?}");
    };
    let name = format!("runtime-{ID}");
    assert!(message.contains(&name), "{message}");

    let sets: Api<StatefulSet> = Api::namespaced(client.clone(), NAMESPACE);
    let set = sets.get(&name).await.unwrap();
    let labels = set.metadata.labels.clone().unwrap_or_default();
    assert_eq!(labels.get(INSTALLED_FOR).map(String::as_str), Some(ID));
    let spec = set.spec.unwrap();
    assert_eq!(spec.replicas, Some(1));
    assert_eq!(spec.service_name.as_deref(), Some(name.as_str()));
    let claims = spec.volume_claim_templates.unwrap_or_default();
    assert_eq!(claims.len(), 1);
    let claim_labels = claims[0].metadata.labels.clone().unwrap_or_default();
    assert_eq!(
        claim_labels.get(INSTALLED_FOR).map(String::as_str),
        Some(ID),
        "volumes are found again by the label"
    );
    let pod = spec.template.spec.unwrap();
    assert_eq!(pod.automount_service_account_token, Some(false));
    let containers: BTreeMap<String, _> = pod
        .containers
        .into_iter()
        .map(|c| (c.name.clone(), c))
        .collect();
    let control_plane = &containers["apiserver"];
    let agent_container = &containers["agent"];
    let args = control_plane.args.clone().unwrap_or_default().join(" ");
    assert!(args.starts_with("apiserver "), "{args}");
    assert!(args.contains("--identity-dir /identity"), "{args}");
    assert!(
        args.contains(&format!("--tls-san {name}.{NAMESPACE}.svc")),
        "{args}"
    );
    let agent_args = agent_container.args.clone().unwrap_or_default().join(" ");
    assert!(
        agent_args.starts_with("agent --kubeconfig /identity/kubeconfig"),
        "{agent_args}"
    );
    for container in [control_plane, agent_container] {
        assert_eq!(container.image.as_deref(), Some("compass:9.9"));
        let security = container.security_context.clone().unwrap();
        assert_eq!(security.run_as_non_root, Some(true));
        assert_eq!(security.read_only_root_filesystem, Some(true));
        assert_eq!(security.allow_privilege_escalation, Some(false));
    }
    let services: Api<Service> = Api::namespaced(client.clone(), NAMESPACE);
    let service = services.get(&name).await.unwrap().spec.unwrap();
    let port = &service.ports.unwrap()[0];
    assert_eq!(port.port, 443);
    assert_eq!(
        service.selector.unwrap().get("app.kubernetes.io/instance"),
        Some(&name)
    );

    // The identity serves: a control plane started from it answers the provisioner's
    // kubeconfig (here at the test's address instead of the Service's).
    let identity = secrets.get(&format!("{name}-identity")).await.unwrap();
    let data = identity.data.clone().unwrap();
    for key in [
        "ca.crt",
        "ca.key",
        "ca.created",
        "admin-token",
        "kubeconfig",
        "service-kubeconfig",
    ] {
        assert!(data.contains_key(key), "the identity holds {key}");
    }
    let seed = tempfile::tempdir().unwrap();
    for (key, value) in &data {
        std::fs::write(seed.path().join(key), &value.0).unwrap();
    }
    let runtime_dir = tempfile::tempdir().unwrap();
    compass_apiserver::pki::adopt_identity(seed.path(), runtime_dir.path()).unwrap();
    let runtime_plane = TestServer::start_in(runtime_dir).await;
    let service_kubeconfig = String::from_utf8(data["service-kubeconfig"].0.clone()).unwrap();
    assert!(service_kubeconfig.contains(&format!("https://{name}.{NAMESPACE}.svc")));
    let mut kubeconfig = Kubeconfig::from_yaml(&service_kubeconfig).unwrap();
    kubeconfig.clusters[0].cluster.as_mut().unwrap().server =
        Some(runtime_plane.control_plane.url.clone());
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
        .await
        .unwrap();
    let reached = Client::try_from(config).unwrap();
    reached
        .apiserver_version()
        .await
        .expect("the identity's CA and token are the control plane's");

    // Called again, the provider keeps the identity it made.
    provider.provision(&runtime, None).await.unwrap();
    let again = secrets.get(&format!("{name}-identity")).await.unwrap();
    assert_eq!(again.data.unwrap()["admin-token"], data["admin-token"]);

    until_done("deprovisioning", || provider.deprovision(&runtime)).await;
    let left = secrets.list(&ListParams::default()).await.unwrap();
    let names: Vec<String> = left
        .items
        .iter()
        .filter_map(|s| s.metadata.name.clone())
        .collect();
    assert_eq!(names, ["bystander"]);
    assert!(sets.get_opt(&name).await.unwrap().is_none());
    assert!(services.get_opt(&name).await.unwrap().is_none());
}
