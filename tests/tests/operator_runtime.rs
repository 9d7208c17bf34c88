//! The Runtime controller against a real control plane: scenarios in effect, the applications a
//! runtime sees as scenarios change on either side, missing scenarios, invalid labels, and the
//! Runtime Agent's heartbeat Lease.

use compass_crds::{Application, Runtime, Scenario};
use compass_operator::controllers::OperatorConfig;
use compass_tests::{TestServer, condition, eventually, merge, unchanged_for};
use k8s_openapi::{
    api::coordination::v1::Lease, apimachinery::pkg::apis::meta::v1::MicroTime, jiff::Timestamp,
};
use kube::{
    Api,
    api::{DeleteParams, PostParams},
};
use serde_json::json;

const NS: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

/// The condition `type_` of a runtime as (status, reason).
fn status_reason(runtime: &Runtime, type_: &str) -> Option<(String, String)> {
    condition(runtime, type_).map(|(status, reason, _)| (status, reason))
}

fn pair(status: &str, reason: &str) -> Option<(String, String)> {
    Some((status.to_owned(), reason.to_owned()))
}

async fn create<K>(api: &Api<K>, object: serde_json::Value)
where
    K: kube::Resource + Clone + serde::de::DeserializeOwned + serde::Serialize + std::fmt::Debug,
{
    let object: K = serde_json::from_value(object).unwrap();
    api.create(&PostParams::default(), &object).await.unwrap();
}

fn app(name: &str, scenarios: Option<&[&str]>) -> serde_json::Value {
    let mut spec = json!({});
    if let Some(scenarios) = scenarios {
        spec["scenarios"] = json!(scenarios);
    }
    json!({ "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
            "metadata": { "name": name }, "spec": spec })
}

fn runtime(name: &str, spec: serde_json::Value) -> serde_json::Value {
    json!({ "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Runtime",
            "metadata": { "name": name }, "spec": spec })
}

/// Waits until the runtime sees exactly `expected` (in name order).
async fn sees(runtimes: &Api<Runtime>, name: &str, expected: &[&str]) -> Runtime {
    eventually(&format!("runtime {name} to see {expected:?}"), || async {
        let runtime = runtimes.get(name).await.ok()?;
        let status = runtime.status.as_ref()?;
        (status.applications.iter().eq(expected.iter().copied())
            && status.application_count == Some(expected.len() as i32)
            && status.observed_generation == runtime.metadata.generation)
            .then_some(runtime)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_sees_the_applications_it_shares_a_scenario_with_as_either_side_changes() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.wait_tenant_ready("default").await;
    let scenarios: Api<Scenario> = Api::namespaced(client.clone(), NS);
    let applications: Api<Application> = Api::namespaced(client.clone(), NS);
    let runtimes: Api<Runtime> = Api::namespaced(client.clone(), NS);
    create(
        &scenarios,
        json!({ "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Scenario",
        "metadata": { "name": "marketing" }, "spec": {} }),
    )
    .await;
    create(&applications, app("shop", None)).await;
    create(&applications, app("crm", Some(&["marketing"]))).await;
    create(&runtimes, runtime("prod", json!({}))).await;

    let prod = sees(&runtimes, "prod", &["shop"]).await;
    assert_eq!(prod.status.as_ref().unwrap().scenarios, ["DEFAULT"]);
    assert_eq!(status_reason(&prod, "Ready"), pair("True", "Configured"));
    assert_eq!(
        status_reason(&prod, "ReferencesResolved"),
        pair("True", "ScenariosExist")
    );
    assert_eq!(
        status_reason(&prod, "Available"),
        pair("Unknown", "AgentNeverConnected")
    );

    // The runtime joins marketing: it sees crm too.
    merge(
        &runtimes,
        "prod",
        json!({ "spec": { "scenarios": ["DEFAULT", "marketing"] } }),
    )
    .await;
    sees(&runtimes, "prod", &["crm", "shop"]).await;
    // crm leaves marketing for DEFAULT, shop moves to marketing: both still seen.
    merge(
        &applications,
        "crm",
        json!({ "spec": { "scenarios": ["DEFAULT"] } }),
    )
    .await;
    merge(
        &applications,
        "shop",
        json!({ "spec": { "scenarios": ["marketing"] } }),
    )
    .await;
    // The runtime leaves DEFAULT: only shop (now in marketing) is left.
    merge(
        &runtimes,
        "prod",
        json!({ "spec": { "scenarios": ["marketing"] } }),
    )
    .await;
    sees(&runtimes, "prod", &["shop"]).await;
    // An application moving out of the runtime's scenario drops out of its list.
    merge(
        &applications,
        "shop",
        json!({ "spec": { "scenarios": ["DEFAULT"] } }),
    )
    .await;
    sees(&runtimes, "prod", &[]).await;
    // A deleted application drops out too.
    merge(
        &runtimes,
        "prod",
        json!({ "spec": { "scenarios": ["DEFAULT"] } }),
    )
    .await;
    sees(&runtimes, "prod", &["crm", "shop"]).await;
    applications
        .delete("crm", &DeleteParams::default())
        .await
        .unwrap();
    sees(&runtimes, "prod", &["shop"]).await;
    // An empty list is no scenario at all.
    merge(&runtimes, "prod", json!({ "spec": { "scenarios": [] } })).await;
    let none = sees(&runtimes, "prod", &[]).await;
    assert!(none.status.unwrap().scenarios.is_empty());
    // Converged (`sees` waited for the current generation): an unchanged runtime's status is not
    // rewritten.
    unchanged_for(&runtimes, "prod", std::time::Duration::from_secs(2)).await;

    operator.stop().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runtime_in_a_missing_scenario_or_with_an_invalid_label_is_not_ready_until_fixed() {
    let server = TestServer::start().await;
    let operator = server.start_operator(OperatorConfig::default()).await;
    let client = server.client().await;
    server.wait_tenant_ready("default").await;
    let runtimes: Api<Runtime> = Api::namespaced(client.clone(), NS);
    create(
        &runtimes,
        runtime(
            "edge",
            json!({ "scenarios": ["sales"], "labels": { "region": "mars" } }),
        ),
    )
    .await;
    let missing = eventually("edge reports the missing scenario", || async {
        let runtime = runtimes.get("edge").await.ok()?;
        (status_reason(&runtime, "Ready")? == ("False".into(), "ScenarioNotFound".into()))
            .then_some(runtime)
    })
    .await;
    let (_, _, message) = condition(&missing, "Ready").unwrap();
    assert!(message.contains("sales"), "{message}");

    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Scenario\nmetadata: { name: sales, namespace: default-tenant }\nspec: {}\n",
        &[],
    );
    server.apply_yaml(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: LabelDefinition\nmetadata: { name: region, namespace: default-tenant }\nspec:\n  schema: { type: string, enum: [eu, us] }\n",
        &[],
    );
    eventually("edge reports its label", || async {
        let runtime = runtimes.get("edge").await.ok()?;
        (status_reason(&runtime, "Ready")? == ("False".into(), "LabelViolatesSchema".into())
            && status_reason(&runtime, "ReferencesResolved")?.0 == "True")
            .then_some(())
    })
    .await;
    merge(
        &runtimes,
        "edge",
        json!({ "spec": { "labels": { "region": "eu" } } }),
    )
    .await;
    eventually("edge is Ready", || async {
        let runtime = runtimes.get("edge").await.ok()?;
        (status_reason(&runtime, "Ready")? == ("True".into(), "Configured".into())).then_some(())
    })
    .await;
    server.kubectl_ok(&[
        "wait",
        "--for=condition=Ready",
        "runtime/edge",
        "-n",
        NS,
        "--timeout=10s",
    ]);

    operator.stop().await;
    server.stop().await;
}

fn lease(name: &str, runtime: &str, seconds: i32, renewed: Timestamp) -> Lease {
    serde_json::from_value(json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": { "name": name, "labels": { "compass.kyma-project.io/runtime": runtime } },
        "spec": { "holderIdentity": "agent", "leaseDurationSeconds": seconds,
                  "renewTime": MicroTime(renewed) },
    }))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn available_follows_the_agents_heartbeat_lease_and_expires_without_an_event() {
    let server = TestServer::start().await;
    let config = OperatorConfig {
        heartbeat_grace: 1,
        ..OperatorConfig::default()
    };
    let operator = server.start_operator(config).await;
    let client = server.client().await;
    server.wait_tenant_ready("default").await;
    let runtimes: Api<Runtime> = Api::namespaced(client.clone(), NS);
    let leases: Api<Lease> = Api::namespaced(client.clone(), NS);
    create(&runtimes, runtime("edge", json!({}))).await;
    let available = |status: &'static str, reason: &'static str| {
        let runtimes = runtimes.clone();
        async move {
            eventually(&format!("Available {status} {reason}"), || async {
                let runtime = runtimes.get("edge").await.ok()?;
                (status_reason(&runtime, "Available")? == (status.into(), reason.into()))
                    .then_some(runtime)
            })
            .await
        }
    };
    available("Unknown", "AgentNeverConnected").await;

    // A fresh Lease of 3 seconds: current, then stale once nobody renews it.
    leases
        .create(
            &PostParams::default(),
            &lease("edge-agent", "edge", 3, Timestamp::now()),
        )
        .await
        .unwrap();
    let current = available("True", "HeartbeatCurrent").await;
    let agent = current.status.unwrap().agent.unwrap();
    assert_eq!(agent.lease.as_deref(), Some("edge-agent"));
    assert!(agent.last_heartbeat_time.is_some());
    // No watch event follows the expiry: the wait's deadline (20 s), far below the 600 s
    // resync, shows the controller requeued itself for the moment the Lease goes stale.
    available("False", "HeartbeatMissed").await;

    // Renewing it makes the runtime available again; deleting it means no agent at all.
    // Renewed with the agent's report: the status shows what the agent said about itself.
    let report = json!({ "version": "9.9.9", "connectionState": "ResourceApplicationFailed",
                         "appliedApplications": 4, "failedApplications": 1 });
    let renewed = json!({
        "metadata": { "annotations": { compass_crds::AGENT_REPORT_ANNOTATION: report.to_string() } },
        "spec": { "renewTime": MicroTime(Timestamp::now()) },
    });
    merge(&leases, "edge-agent", renewed).await;
    let back = available("True", "HeartbeatCurrent").await;
    let agent = back.status.unwrap().agent.unwrap();
    assert_eq!(agent.report.version.as_deref(), Some("9.9.9"));
    assert_eq!(
        (
            agent.report.applied_applications,
            agent.report.failed_applications
        ),
        (Some(4), Some(1))
    );
    let listed = server.kubectl_ok(&["get", "runtimes", "-n", NS, "-o", "wide"]);
    assert!(
        listed.contains("ResourceApplicationFailed") && listed.contains("9.9.9"),
        "{listed}"
    );
    leases
        .delete("edge-agent", &DeleteParams::default())
        .await
        .unwrap();
    let gone = available("Unknown", "AgentNeverConnected").await;
    let agent = gone.status.unwrap().agent.unwrap_or_default();
    assert_eq!((agent.lease, agent.last_heartbeat_time), (None, None));
    assert_eq!(
        status_reason(&runtimes.get("edge").await.unwrap(), "Ready"),
        pair("True", "Configured"),
        "Available is not part of Ready"
    );

    operator.stop().await;
    server.stop().await;
}
