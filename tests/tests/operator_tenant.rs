//! The Tenant controller against a real control plane: namespace, defaults, conflicts, deletion.

use compass_crds::{Scenario, Tenant};
use compass_operator::controllers::OperatorConfig;
use compass_tests::{TestServer, eventually, ready, wait_gone};
use k8s_openapi::api::core::v1::Namespace;
use kube::{
    Api,
    api::{DeleteParams, PostParams},
};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_gets_its_namespace_and_default_scenario_and_loses_them_when_deleted() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    let tenants: Api<Tenant> = Api::all(client.clone());
    let tenant: Tenant = serde_json::from_value(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Tenant",
        "metadata": { "name": "acme" }, "spec": { "externalId": "ext-acme" },
    }))
    .unwrap();
    tenants
        .create(&PostParams::default(), &tenant)
        .await
        .unwrap();
    let ready_tenant = eventually("the tenant is Ready", || async {
        let tenant = tenants.get("acme").await.ok()?;
        let (status, reason, _) = ready(&tenant)?;
        (status == "True" && reason == "NamespaceReady").then_some(tenant)
    })
    .await;
    assert_eq!(
        ready_tenant.status.unwrap().namespace.as_deref(),
        Some("acme")
    );

    let namespaces: Api<Namespace> = Api::all(client.clone());
    let namespace = namespaces.get("acme").await.unwrap();
    assert_eq!(
        namespace.metadata.labels.unwrap()["compass.kyma-project.io/tenant"],
        "acme"
    );
    assert_eq!(
        namespace.metadata.annotations.unwrap()["compass.kyma-project.io/external-tenant-id"],
        "ext-acme"
    );
    let scenarios: Api<Scenario> = Api::namespaced(client.clone(), "acme");
    let default = eventually("the DEFAULT scenario exists", || async {
        scenarios.get("default").await.ok()
    })
    .await;
    assert_eq!(default.spec.name.as_deref(), Some("DEFAULT"));

    // Deleted while nothing lists it, the DEFAULT scenario is created again.
    scenarios
        .delete("default", &DeleteParams::default())
        .await
        .unwrap();
    eventually("the DEFAULT scenario is created again", || async {
        let again = scenarios.get("default").await.ok()?;
        (again.metadata.uid != default.metadata.uid).then_some(())
    })
    .await;

    tenants
        .delete("acme", &DeleteParams::default())
        .await
        .unwrap();
    wait_gone(&namespaces, "acme").await;
    operator.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_tenant_with_the_same_external_id_or_a_foreign_namespace_is_not_ready() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    let tenants: Api<Tenant> = Api::all(client.clone());
    server.kubectl_ok(&["create", "namespace", "taken"]);
    for (name, external, namespace) in [
        ("first", "same", None),
        ("second", "same", None),
        ("squatter", "other", Some("taken")),
    ] {
        let mut spec = json!({ "externalId": external });
        if let Some(namespace) = namespace {
            spec["namespace"] = json!(namespace);
        }
        let tenant: Tenant = serde_json::from_value(json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Tenant", "metadata": { "name": name }, "spec": spec,
        }))
        .unwrap();
        tenants
            .create(&PostParams::default(), &tenant)
            .await
            .unwrap();
        // Creation order decides which duplicate came first.
        compass_tests::next_whole_second().await;
    }
    for (name, reason) in [
        ("first", "NamespaceReady"),
        ("second", "DuplicateExternalId"),
        ("squatter", "NamespaceConflict"),
    ] {
        eventually(&format!("{name} reports {reason}"), || async {
            let tenant = tenants.get(name).await.ok()?;
            (ready(&tenant)?.1 == reason).then_some(())
        })
        .await;
    }
    operator.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn objects_applied_with_their_tenant_wait_for_its_default_scenario_without_warnings() {
    let server = TestServer::start().await;
    // Everything is in place before the operator starts, as after `kubectl apply -f` of a whole
    // tenant: the objects are reconciled while the tenant's DEFAULT scenario is still missing.
    server.install_compass_crds();
    let mut manifest = String::from(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Tenant\nmetadata: {name: acme}\nspec: {externalId: ext-acme}\n---\napiVersion: v1\nkind: Namespace\nmetadata: {name: acme, labels: {compass.kyma-project.io/tenant: acme}}\n",
    );
    for i in 0..6 {
        manifest.push_str(&format!(
            "---\napiVersion: compass.kyma-project.io/v1alpha1\nkind: Application\nmetadata: {{name: app-{i}, namespace: acme}}\nspec: {{}}\n---\napiVersion: compass.kyma-project.io/v1alpha1\nkind: Runtime\nmetadata: {{name: rt-{i}, namespace: acme}}\nspec: {{}}\n"
        ));
    }
    server.apply_yaml(&manifest, &[]);
    let operator = server.start_operator(OperatorConfig::default()).await;
    server.kubectl_ok(&[
        "wait",
        "--for=condition=Ready",
        "applications,runtimes",
        "--all",
        "-n",
        "acme",
        "--timeout=30s",
    ]);
    // Events follow their statuses, each object's in order: once every object's Ready Event
    // is out, any Warning it had before is out too.
    eventually("every object's Ready Event", || async {
        let reasons = server.kubectl_ok(&[
            "get",
            "events",
            "-n",
            "acme",
            "-o",
            "jsonpath={range .items[*]}{.reason}{\"\\n\"}{end}",
        ]);
        (reasons.lines().filter(|r| *r == "Ready").count() >= 12).then_some(())
    })
    .await;
    let warnings = server.kubectl_ok(&[
        "get",
        "events",
        "-n",
        "acme",
        "--field-selector",
        "type=Warning",
        "-o",
        "jsonpath={range .items[*]}{.reason}: {.message}{\"\\n\"}{end}",
    ]);
    assert!(
        warnings.trim().is_empty(),
        "unexpected warnings:\n{warnings}"
    );
    operator.stop().await;
    server.stop().await;
}
