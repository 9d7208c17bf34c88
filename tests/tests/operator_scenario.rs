//! The Scenario controller against a real control plane: member counts, deletion held while
//! applications or runtimes list the scenario (with the Warning Event `kubectl describe` shows),
//! and duplicate scenario names.

use compass_crds::{Application, Runtime, Scenario};
use compass_operator::controllers::OperatorConfig;
use compass_tests::{TestServer, condition, eventually, merge, wait_gone};
use kube::{Api, api::DeleteParams};
use serde_json::json;

const NS: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_in_use_is_held_until_nothing_lists_it() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.wait_tenant_ready("default").await;
    server.apply_yaml(
        r#"
apiVersion: compass.kyma-project.io/v1alpha1
kind: Scenario
metadata: { name: marketing, namespace: default-tenant }
spec: { description: Campaigns }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Application
metadata: { name: orders, namespace: default-tenant }
spec: { scenarios: [marketing] }
---
apiVersion: compass.kyma-project.io/v1alpha1
kind: Runtime
metadata: { name: prod-eu, namespace: default-tenant }
spec: { scenarios: [marketing, DEFAULT] }
"#,
        &[],
    );
    let scenarios: Api<Scenario> = Api::namespaced(client.clone(), NS);
    let counted = eventually("marketing counts its members", || async {
        let scenario = scenarios.get("marketing").await.ok()?;
        let status = scenario.status.as_ref()?;
        (status.application_count == Some(1) && status.runtime_count == Some(1)).then_some(scenario)
    })
    .await;
    assert_eq!(
        counted.status.as_ref().unwrap().scenario_name.as_deref(),
        Some("marketing")
    );
    assert_eq!(
        counted.metadata.finalizers.as_deref(),
        Some(&["compass.kyma-project.io/scenario-in-use".to_owned()][..])
    );
    let (status, reason, _) = condition(&counted, "Ready").unwrap();
    assert_eq!((status.as_str(), reason.as_str()), ("True", "Defined"));
    let (status, reason, message) = condition(&counted, "InUse").unwrap();
    assert_eq!(
        (status.as_str(), reason.as_str()),
        ("True", "ListedByObjects")
    );
    assert!(
        message.contains("Application/orders, Runtime/prod-eu"),
        "{message}"
    );
    // The DEFAULT scenario counts the runtime that lists it.
    eventually("DEFAULT counts prod-eu", || async {
        let default = scenarios.get("default").await.ok()?;
        (default.status?.runtime_count == Some(1)).then_some(())
    })
    .await;

    server.kubectl_ok(&["delete", "scenario", "marketing", "-n", NS, "--wait=false"]);
    let held = eventually("marketing is held", || async {
        let scenario = scenarios.get("marketing").await.ok()?;
        (condition(&scenario, "Ready")?.1 == "InUse").then_some(scenario)
    })
    .await;
    assert!(held.metadata.deletion_timestamp.is_some());
    let (status, _, message) = condition(&held, "Ready").unwrap();
    assert_eq!(status, "False");
    assert!(
        message.contains("Application/orders, Runtime/prod-eu"),
        "{message}"
    );
    let described = eventually("describe shows the Warning", || async {
        let out = server.kubectl_ok(&["describe", "scenario", "marketing", "-n", NS]);
        (out.contains("Warning") && out.contains("InUse")).then_some(out)
    })
    .await;
    assert!(described.contains("Application/orders"), "{described}");

    // The runtime stops listing it: still held by the application.
    let runtimes: Api<Runtime> = Api::namespaced(client.clone(), NS);
    merge(
        &runtimes,
        "prod-eu",
        json!({ "spec": { "scenarios": ["DEFAULT"] } }),
    )
    .await;
    eventually("only orders holds marketing", || async {
        let scenario = scenarios.get("marketing").await.ok()?;
        let (_, reason, message) = condition(&scenario, "Ready")?;
        (reason == "InUse" && !message.contains("prod-eu")).then_some(())
    })
    .await;
    // The application stops listing it: it goes.
    let applications: Api<Application> = Api::namespaced(client.clone(), NS);
    merge(
        &applications,
        "orders",
        json!({ "spec": { "scenarios": ["DEFAULT"] } }),
    )
    .await;
    wait_gone(&scenarios, "marketing").await;

    operator.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_scenario_of_the_same_name_is_not_ready_and_an_unused_one_goes_at_once() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.wait_tenant_ready("default").await;
    let scenarios: Api<Scenario> = Api::namespaced(client.clone(), NS);
    let scenario = |name: &str| {
        format!(
            "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Scenario\nmetadata: {{ name: {name}, namespace: {NS} }}\nspec: {{ name: Sales EMEA }}\n"
        )
    };
    server.apply_yaml(&scenario("sales-first"), &[]);
    // Creation times are in seconds: the second one must be visibly younger.
    compass_tests::next_whole_second().await;
    server.apply_yaml(&scenario("sales-second"), &[]);
    let duplicate = eventually("sales-second is a duplicate", || async {
        let scenario = scenarios.get("sales-second").await.ok()?;
        let ready = condition(&scenario, "Ready")?;
        (ready.1 == "DuplicateName").then_some(ready)
    })
    .await;
    assert_eq!(duplicate.0, "False");
    assert!(duplicate.2.contains("sales-first"), "{}", duplicate.2);
    eventually("sales-first is Ready", || async {
        let scenario = scenarios.get("sales-first").await.ok()?;
        (condition(&scenario, "Ready")?.1 == "Defined").then_some(())
    })
    .await;

    // An application lists the name; deleting the older object does not wait, since the
    // younger one still defines the name, which then takes over.
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Application\nmetadata: { name: crm, namespace: default-tenant }\nspec: { scenarios: [Sales EMEA] }\n",
        &[],
    );
    eventually("sales-first counts crm", || async {
        let scenario = scenarios.get("sales-first").await.ok()?;
        (scenario.status?.application_count == Some(1)).then_some(())
    })
    .await;
    scenarios
        .delete("sales-first", &DeleteParams::default())
        .await
        .unwrap();
    wait_gone(&scenarios, "sales-first").await;
    eventually("sales-second takes over", || async {
        let scenario = scenarios.get("sales-second").await.ok()?;
        (condition(&scenario, "Ready")?.1 == "Defined").then_some(())
    })
    .await;

    operator.stop().await;
    server.stop().await;
}
