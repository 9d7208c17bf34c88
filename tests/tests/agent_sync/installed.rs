//! The agent as `agent/manifests/` installs it: the base applied with kubectl to a bare runtime
//! control plane, the configuration Secret written as docs/agent.md says, and the agent run
//! with its ServiceAccount's token (no kubelet runs the Deployment here, so it runs in-process,
//! with exactly the installed identity). It pairs, applies, deletes and reports within the RBAC
//! the base grants, and that identity can do nothing else.

use std::{collections::BTreeMap, time::Duration};

use compass_tests::{
    TestServer,
    agent::{RunningAgent, applied, client_with_token, configure, options, wait_state},
    eventually, repo_root,
};
use k8s_openapi::{
    api::core::v1::{Namespace, Secret},
    apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition,
};
use kube::{
    Api,
    api::{ListParams, PostParams},
};
use serde_json::json;

/// `agent/manifests/` as `kubectl kustomize` renders it: the Deployment, and every other
/// document as YAML.
fn rendered_base() -> (serde_json::Value, String) {
    let base = repo_root().join("agent/manifests");
    let output = std::process::Command::new("kubectl")
        .arg("kustomize")
        .arg(&base)
        .output()
        .expect("kubectl is on PATH");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).unwrap();
    let mut deployment = serde_json::Value::Null;
    let mut rest = Vec::new();
    for document in text.split("\n---\n") {
        let value: serde_json::Value = serde_yaml::from_str(document).unwrap();
        if value["kind"] == "Deployment" {
            deployment = value;
        } else {
            rest.push(document.to_owned());
        }
    }
    (deployment, rest.join("\n---\n"))
}

/// Whether the API server refused a call as forbidden.
fn forbidden<T: std::fmt::Debug>(outcome: Result<T, kube::Error>) -> bool {
    matches!(outcome, Err(kube::Error::Api(status)) if status.code == 403)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_installed_agent_works_within_its_least_privilege_rbac() {
    let management = TestServer::start().await;
    let director = management.start_director(Vec::new()).await;
    let api = &director.api;
    let shop = api.register_application("shop").await;
    let runtime_id = api.register_runtime("edge").await;

    let runtime_server = TestServer::start().await;
    let (deployment, rest) = rendered_base();
    let container = &deployment["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(container["args"], json!(["agent"]), "{deployment}");
    assert_eq!(
        deployment["spec"]["template"]["spec"]["serviceAccountName"],
        "compass-runtime-agent"
    );
    // Everything but the Deployment, which this control plane (no kubelet) does not take.
    let applied_base = runtime_server.apply_yaml(&rest, &[]);
    assert!(
        applied_base
            .contains("clusterrole.rbac.authorization.k8s.io/compass-runtime-agent created"),
        "{applied_base}"
    );
    let admin = runtime_server.client().await;
    configure(&admin, &api.agent_settings(&runtime_id).await).await;
    let token = runtime_server.kubectl_ok(&[
        "create",
        "token",
        "compass-runtime-agent",
        "-n",
        "compass-system",
    ]);
    let agent_identity = client_with_token(&runtime_server, &token).await;

    let agent = RunningAgent::start(
        &agent_identity,
        options(BTreeMap::new(), Duration::from_millis(500)),
    );
    eventually("the shop is applied by the installed agent", || async {
        (applied(&admin).await == vec![shop.clone()]).then_some(())
    })
    .await;
    wait_state(&admin, "Synchronized").await;
    // A deletion, with its Event, is within its rights too.
    api.allow_scenarios(&["DEFAULT", "OTHER"]).await;
    api.set_application_scenarios(&shop, &["OTHER"]).await;
    eventually("the shop is deleted by the installed agent", || async {
        applied(&admin).await.is_empty().then_some(())
    })
    .await;
    let events = runtime_server.kubectl_ok(&["get", "events", "-n", "default", "-o", "json"]);
    assert!(events.contains("Unassigned"), "{events}");

    // Nothing beyond: other Secrets, namespaces, definitions.
    let secrets: Api<Secret> = Api::namespaced(agent_identity.clone(), "kube-system");
    assert!(forbidden(secrets.list(&ListParams::default()).await));
    let ours: Api<Secret> = Api::namespaced(agent_identity.clone(), "compass-system");
    assert!(forbidden(ours.list(&ListParams::default()).await));
    let namespaces: Api<Namespace> = Api::all(agent_identity.clone());
    let namespace = serde_json::from_value(json!({ "metadata": { "name": "elsewhere" } })).unwrap();
    assert!(forbidden(
        namespaces.create(&PostParams::default(), &namespace).await
    ));
    let crds: Api<CustomResourceDefinition> = Api::all(agent_identity.clone());
    assert!(forbidden(
        crds.delete(
            "compassconnections.compass.kyma-project.io",
            &Default::default()
        )
        .await
    ));
    agent.stop().await;
    director.stop().await;
}
