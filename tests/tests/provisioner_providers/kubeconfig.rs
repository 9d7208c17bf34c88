//! The `kubeconfig` provider: the agent installed into an existing cluster is what
//! `agent/manifests/` describes, pairs with exactly the configuration written, pairs again on a
//! reconnection, and deletion removes exactly what was installed. Refusals name the field.

use std::{collections::BTreeMap, time::Duration};

use compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;
use compass_provisioner::{kubeconfig::KubeconfigProvider, provider::Provider};
use compass_tests::{
    TestServer,
    agent::{RunningAgent, applied, client_with_token, options, wait_state},
    repo_root,
};
use k8s_openapi::{
    api::{
        apps::v1::Deployment,
        core::v1::{Namespace, Secret, ServiceAccount},
        rbac::v1::{ClusterRole, PolicyRule},
    },
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{Api, Client, ResourceExt, api::PostParams};
use serde_json::{Value, json};

use super::{
    INSTALLED_FOR, bootstrap, existing_cluster, invalid, kubeconfig_text, loopback_allowed, named,
    put_secret, target, until_done, unused_bootstrap,
};

const APPLICATION_CRD: &str = "applications.applicationconnector.kyma-project.io";
const CONNECTION_CRD: &str = "compassconnections.compass.kyma-project.io";

/// `agent/manifests/` as `kubectl kustomize` renders it.
fn kustomized() -> Vec<Value> {
    let output = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(repo_root().join("agent/manifests"))
        .output()
        .expect("kubectl is on PATH");
    assert!(output.status.success(), "{output:?}");
    let text = String::from_utf8(output.stdout).unwrap();
    text.split("\n---\n")
        .map(|document| serde_yaml::from_str(document).unwrap())
        .collect()
}

/// Whether everything `expected` holds is in `actual` (which may hold more: server fields).
fn contained(expected: &Value, actual: &Value) -> bool {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|found| contained(v, found))),
        (Value::Array(e), Value::Array(a)) => {
            e.len() == a.len() && e.iter().zip(a).all(|(e, a)| contained(e, a))
        }
        _ => expected == actual,
    }
}

/// The object `kustomized` describes, as the cluster holds it.
async fn installed(cluster: &Client, object: &Value) -> Value {
    let api_version = object["apiVersion"].as_str().unwrap();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let gvk = kube::api::GroupVersionKind::gvk(group, version, object["kind"].as_str().unwrap());
    let resource = kube::core::ApiResource::from_gvk(&gvk);
    let api: Api<kube::api::DynamicObject> = match object["metadata"]["namespace"].as_str() {
        Some(namespace) => Api::namespaced_with(cluster.clone(), namespace, &resource),
        None => Api::all_with(cluster.clone(), &resource),
    };
    let name = object["metadata"]["name"].as_str().unwrap();
    serde_json::to_value(api.get(name).await.unwrap()).unwrap()
}

/// Things a Kyma cluster may hold before: the integration namespace and the Application CRD.
async fn kyma_was_there(cluster: &TestServer) {
    cluster.create_namespace("kyma-integration").await;
    let crd: CustomResourceDefinition = serde_yaml::from_str(include_str!(
        "../../../agent/yaml/applicationconnector.kyma-project.io_applications.yaml"
    ))
    .unwrap();
    cluster.create_crds(vec![crd]).await;
}

/// The value of `key` in `secret`, as text.
fn value(secret: &Secret, key: &str) -> String {
    String::from_utf8(secret.data.as_ref().unwrap()[key].0.clone()).unwrap()
}

/// Checks that `cluster` holds what `kubectl apply -k agent/manifests` installs, marked as the
/// runtime's, and the agent's configuration with `token`; what was there before is kept as it
/// was.
async fn assert_installed_as_the_manifests_describe(
    cluster: &Client,
    runtime_id: &str,
    token: &str,
) {
    for object in kustomized() {
        let live = installed(cluster, &object).await;
        let name = object["metadata"]["name"].as_str().unwrap();
        let before = name == APPLICATION_CRD || name == "kyma-integration";
        let mark = &live["metadata"]["labels"][INSTALLED_FOR];
        assert_eq!(mark.as_str(), (!before).then_some(runtime_id), "{live}");
        if !before {
            let mut expected = object.clone();
            expected["metadata"]["labels"][INSTALLED_FOR] = json!(runtime_id);
            assert!(
                contained(&expected, &live),
                "{object}\ninstalled as\n{live}"
            );
        }
    }
    let deployments: Api<Deployment> = Api::namespaced(cluster.clone(), "compass-system");
    let deployment = deployments.get("compass-runtime-agent").await.unwrap();
    let pod = deployment.spec.unwrap().template.spec.unwrap();
    assert_eq!(
        pod.service_account_name.as_deref(),
        Some("compass-runtime-agent")
    );
    assert_eq!(pod.containers[0].image.as_deref(), Some("compass:0.1.0"));
    assert_eq!(pod.containers[0].args, Some(vec!["agent".to_owned()]));
    let roles: Api<ClusterRole> = Api::all(cluster.clone());
    let role = roles.get("compass-runtime-agent").await.unwrap();
    let wildcard = |rule: &PolicyRule| {
        rule.verbs.iter().any(|v| v == "*")
            || rule.resources.iter().flatten().any(|r| r == "*")
            || rule.api_groups.iter().flatten().any(|g| g == "*")
    };
    assert!(!role.rules.iter().flatten().any(wildcard), "{role:?}");
    let secrets: Api<Secret> = Api::namespaced(cluster.clone(), "compass-system");
    let written = secrets.get("compass-agent-configuration").await.unwrap();
    let written_keys: Vec<&String> = written.data.as_ref().unwrap().keys().collect();
    assert_eq!(
        written_keys,
        ["CA_CERT", "CONNECTOR_URL", "RUNTIME_ID", "TENANT", "TOKEN"]
    );
    assert_eq!(value(&written, "TOKEN"), token);
}

/// Checks that what was installed is gone from `cluster`, and what was there before stays.
async fn assert_removed_keeping_what_was_there(cluster: &Client) {
    let roles: Api<ClusterRole> = Api::all(cluster.clone());
    let namespaces: Api<Namespace> = Api::all(cluster.clone());
    assert!(
        namespaces
            .get_opt("compass-system")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        namespaces
            .get_opt("kyma-integration")
            .await
            .unwrap()
            .is_some()
    );
    let crds: Api<CustomResourceDefinition> = Api::all(cluster.clone());
    assert!(crds.get_opt(CONNECTION_CRD).await.unwrap().is_none());
    assert!(crds.get_opt(APPLICATION_CRD).await.unwrap().is_some());
    assert!(
        roles
            .get_opt("compass-runtime-agent")
            .await
            .unwrap()
            .is_none()
    );
    let accounts: Api<ServiceAccount> = Api::namespaced(cluster.clone(), "compass-system");
    assert!(
        accounts
            .get_opt("compass-runtime-agent")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installed_agent_pairs_reconnects_and_deletion_removes_exactly_what_was_installed() {
    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let api = &director.api;
    let shop = api.register_application("shop").await;
    let runtime_id = api.register_runtime("edge").await;
    let cluster_server = existing_cluster().await;
    kyma_was_there(&cluster_server).await;
    let cluster = cluster_server.client().await;
    let management_client = management.client().await;
    let kubeconfig = kubeconfig_text(&cluster_server);
    let data = [("kubeconfig", kubeconfig.as_str())];
    put_secret(
        &management_client,
        DEFAULT_TENANT_NAMESPACE,
        "edge-cluster",
        None,
        &data,
    )
    .await;

    let provider = KubeconfigProvider::new(management_client.clone(), loopback_allowed());
    named(provider.as_ref(), "kubeconfig");
    let configuration = json!({ "kubeconfigSecretRef": { "name": "edge-cluster" } });
    let runtime = target(
        DEFAULT_TENANT_NAMESPACE,
        "edge",
        &runtime_id,
        "kubeconfig",
        configuration,
    );
    let settings = api.agent_settings(&runtime_id).await;
    let agent = bootstrap(&settings);
    let done = until_done("provisioning", || {
        provider.provision(&runtime, Some(&agent))
    })
    .await;
    assert!(done.contains("compass:0.1.0"), "{done}");

    assert_installed_as_the_manifests_describe(&cluster, &runtime_id, &settings["TOKEN"]).await;
    let secrets: Api<Secret> = Api::namespaced(cluster.clone(), "compass-system");

    // The agent, with the installed ServiceAccount's identity and the written configuration
    // alone, pairs and applies the shop.
    let token = cluster_server.kubectl_ok(&[
        "create",
        "token",
        "compass-runtime-agent",
        "-n",
        "compass-system",
    ]);
    let identity = client_with_token(&cluster_server, &token).await;
    let agent_run = RunningAgent::start(
        &identity,
        options(BTreeMap::new(), Duration::from_millis(500)),
    );
    compass_tests::eventually("the shop is applied by the installed agent", || async {
        (applied(&cluster).await == vec![shop.clone()]).then_some(())
    })
    .await;
    wait_state(&cluster, "Synchronized").await;
    let credentials = |secret: Option<Secret>| secret.and_then(|s| s.data);
    let first = credentials(secrets.get_opt("compass-agent-credentials").await.unwrap());
    assert!(first.is_some());

    // A reconnection: a fresh token replaces the configuration and the agent pairs again.
    let fresh = api.agent_settings(&runtime_id).await;
    let reconnecting = bootstrap(&fresh);
    until_done("reconnecting", || {
        provider.provision(&runtime, Some(&reconnecting))
    })
    .await;
    let rewritten = secrets.get("compass-agent-configuration").await.unwrap();
    assert_eq!(value(&rewritten, "TOKEN"), fresh["TOKEN"]);
    assert!(
        !rewritten
            .annotations()
            .contains_key("compass.kyma-project.io/reconnect-pending")
    );
    compass_tests::eventually("the agent pairs again with the fresh token", || async {
        let now = credentials(secrets.get_opt("compass-agent-credentials").await.ok()?);
        (now.is_some() && now != first).then_some(())
    })
    .await;
    wait_state(&cluster, "Synchronized").await;
    // Without a token (a restart), the configuration stays as it is.
    until_done("provisioning again", || provider.provision(&runtime, None)).await;
    let kept = secrets.get("compass-agent-configuration").await.unwrap();
    assert_eq!(kept.resource_version(), rewritten.resource_version());
    agent_run.stop().await;

    until_done("deprovisioning", || provider.deprovision(&runtime)).await;
    assert_removed_keeping_what_was_there(&cluster).await;

    // With its kubeconfig gone, nothing can be removed and the provider says so.
    let management_secrets: Api<Secret> =
        Api::namespaced(management_client, DEFAULT_TENANT_NAMESPACE);
    management_secrets
        .delete("edge-cluster", &Default::default())
        .await
        .unwrap();
    let gone = until_done("deprovisioning without a kubeconfig", || {
        provider.deprovision(&runtime)
    })
    .await;
    assert!(gone.contains("nothing could be removed"), "{gone}");
    director.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unusable_configurations_and_kubeconfigs_are_refused_naming_the_field() {
    let management = TestServer::start().await;
    let client = management.client().await;
    management.create_namespace("tenant-a").await;
    let cluster_server = existing_cluster().await;
    let provider = KubeconfigProvider::new(client.clone(), loopback_allowed());
    let agent = unused_bootstrap("runtime-1");
    let refused = |configuration: Value| {
        let runtime = target("tenant-a", "edge", "runtime-1", "kubeconfig", configuration);
        let provider = provider.clone();
        let agent = agent.clone();
        async move { invalid(provider.provision(&runtime, Some(&agent)).await) }
    };
    let field = "spec.provisioning.configuration.kubeconfigSecretRef";
    assert!(refused(json!({})).await.contains(field));
    let no_name = refused(json!({ "kubeconfigSecretRef": { "key": "k" } })).await;
    assert!(no_name.contains(&format!("{field}.name")), "{no_name}");

    // A kubeconfig running a program, or naming a file of the management plane.
    let kubeconfig = kubeconfig_text(&cluster_server);
    let mut exec: Value = serde_yaml::from_str(&kubeconfig).unwrap();
    exec["users"][0]["user"] = json!({ "exec": {
        "apiVersion": "client.authentication.k8s.io/v1", "command": "/bin/sh", "args": ["-c", "id"],
    }});
    let exec = serde_yaml::to_string(&exec).unwrap();
    put_secret(&client, "tenant-a", "exec", None, &[("kubeconfig", &exec)]).await;
    let refusal = refused(json!({ "kubeconfigSecretRef": { "name": "exec" } })).await;
    assert!(
        refusal.contains("users[compass-admin].user.exec"),
        "{refusal}"
    );
    let mut file: Value = serde_yaml::from_str(&kubeconfig).unwrap();
    file["clusters"][0]["cluster"]["certificate-authority"] = json!("/etc/ssl/ca.pem");
    let file = serde_yaml::to_string(&file).unwrap();
    put_secret(&client, "tenant-a", "file", None, &[("config", &file)]).await;
    let reference = json!({ "kubeconfigSecretRef": { "name": "file", "key": "config" } });
    let refusal = refused(reference).await;
    assert!(
        refusal.contains("clusters[compass].cluster.certificate-authority"),
        "{refusal}"
    );
    let wrong_key = refused(json!({ "kubeconfigSecretRef": { "name": "file" } })).await;
    assert!(wrong_key.contains(&format!("{field}.key")), "{wrong_key}");

    // A cluster on loopback, which a real deployment refuses unless allowed.
    put_secret(
        &client,
        "tenant-a",
        "edge",
        None,
        &[("kubeconfig", &kubeconfig)],
    )
    .await;
    let guarded = KubeconfigProvider::new(client.clone(), Default::default());
    let runtime = target(
        "tenant-a",
        "edge",
        "runtime-1",
        "kubeconfig",
        json!({ "kubeconfigSecretRef": { "name": "edge" } }),
    );
    let outcome = guarded.provision(&runtime, Some(&agent)).await;
    let refusal = format!("{outcome:?}");
    assert!(
        refusal.contains("not an address outbound calls may reach"),
        "{refusal}"
    );
    let installed: Api<Namespace> = Api::all(cluster_server.client().await);
    assert!(installed.get_opt("compass-system").await.unwrap().is_none());

    // An agent someone else installed is never taken over.
    cluster_server.create_namespace("compass-system").await;
    let foreign = json!({
        "apiVersion": "v1", "kind": "ServiceAccount",
        "metadata": { "name": "compass-runtime-agent", "namespace": "compass-system" },
    });
    let accounts: Api<ServiceAccount> =
        Api::namespaced(cluster_server.client().await, "compass-system");
    let foreign = serde_json::from_value(foreign).unwrap();
    accounts
        .create(&PostParams::default(), &foreign)
        .await
        .unwrap();
    let refusal = invalid(provider.provision(&runtime, Some(&agent)).await);
    assert!(
        refusal.contains("ServiceAccount compass-system/compass-runtime-agent"),
        "{refusal}"
    );
    until_done("deprovisioning", || provider.deprovision(&runtime)).await;
    assert!(
        accounts
            .get_opt("compass-runtime-agent")
            .await
            .unwrap()
            .is_some()
    );
    assert!(installed.get_opt("compass-system").await.unwrap().is_some());
}
