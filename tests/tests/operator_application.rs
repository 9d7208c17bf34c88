//! The Application controller against a real control plane: fetched specs in owned ConfigMaps,
//! derived ids, refetching, and the conditions for what an application names (scenarios,
//! integration system, eventing runtime, label schemas).

use crate::application_controller_env;

use std::time::Duration;

use application_controller_env::{Env, NAMESPACE, Requests};
use axum::{Router, http::HeaderMap, routing::get};
use compass_crds::{
    Application, IntegrationSystem, LabelDefinition, Runtime, Scenario,
    application::FetchCondition,
    ids::{ChildKind, child_id},
};
use compass_operator::controllers::OperatorConfig;
use compass_tests::{condition, eventually, serve};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    Api,
    api::{Patch, PatchParams},
};
use serde_json::json;

const ORDERS_SPEC: &str = "openapi: 3.0.0\ninfo:\n  title: Orders\n  version: '1'\npaths: {}\n";
const GUIDE: &str = "# Guide\n\nHow to use the shop.\n";

/// Serves the orders spec and the guide, counting requests.
async fn upstream() -> (String, Requests) {
    let requests = Requests::default();
    let (orders, guide) = (requests.clone(), requests.clone());
    let router = Router::new()
        .route(
            "/orders.yaml",
            get(move |headers: HeaderMap| async move {
                orders.record("/orders.yaml", &headers, String::new());
                ORDERS_SPEC
            }),
        )
        .route(
            "/guide.md",
            get(move |headers: HeaderMap| async move {
                guide.record("/guide.md", &headers, String::new());
                GUIDE
            }),
        );
    (serve(router).await, requests)
}

fn shop(base: &str) -> serde_json::Value {
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "shop" },
        "spec": {
            "providerName": "ACME",
            "apiDefinitions": [
                { "name": "orders", "targetURL": "https://shop.test/api",
                  "spec": { "type": "OPEN_API", "format": "YAML", "fetchRequest": { "url": format!("{base}/orders.yaml") } } },
                { "name": "inline", "targetURL": "https://shop.test/api",
                  "spec": { "type": "OPEN_API", "format": "JSON", "data": "{}" } },
            ],
            "eventDefinitions": [
                { "name": "order-events", "spec": { "type": "ASYNC_API", "format": "YAML", "data": "asyncapi: 2.0.0" } },
            ],
            "documents": [
                { "title": "Guide", "displayName": "Guide", "description": "How to use the shop",
                  "format": "MARKDOWN", "fetchRequest": { "url": format!("{base}/guide.md") } },
            ],
        },
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_specs_land_in_owned_config_maps_and_are_fetched_again_only_when_asked() {
    let env = Env::start().await;
    let (base, requests) = upstream().await;
    env.create::<Application>(shop(&base)).await;
    let app = env
        .wait_condition("shop", "Ready", "True", "Registered")
        .await;
    let uid = app.metadata.uid.clone().unwrap();
    let status = app.status.clone().unwrap();
    assert_eq!(
        condition(&app, "SpecsFetched").unwrap().1,
        "Fetched",
        "{status:?}"
    );
    assert_eq!(status.scenarios, vec!["DEFAULT"]);
    assert_eq!(status.runtime_count, Some(0));

    let orders = &status.api_definitions[0];
    assert_eq!(orders.name, "orders");
    assert_eq!(
        orders.id,
        child_id(&uid, ChildKind::ApiDefinition, "orders").to_string()
    );
    let fetch = orders.fetch.clone().expect("orders is fetched");
    assert_eq!(fetch.condition, FetchCondition::Succeeded);
    assert!(fetch.request_hash.is_some());
    let inline = &status.api_definitions[1];
    assert_eq!(
        (inline.name.as_str(), inline.fetch.is_none()),
        ("inline", true)
    );
    assert_eq!(
        status.event_definitions[0].id,
        child_id(&uid, ChildKind::EventDefinition, "order-events").to_string()
    );
    let guide = &status.documents[0];
    assert_eq!(
        guide.id,
        child_id(&uid, ChildKind::Document, "Guide").to_string()
    );

    let config_maps: Api<ConfigMap> = Api::namespaced(env.client.clone(), NAMESPACE);
    let orders_map = config_maps
        .get(fetch.config_map.as_deref().unwrap())
        .await
        .unwrap();
    assert_eq!(orders_map.data.clone().unwrap()["content"], ORDERS_SPEC);
    let owner = &orders_map.metadata.owner_references.clone().unwrap()[0];
    assert_eq!(
        (owner.kind.as_str(), owner.uid.as_str(), owner.controller),
        ("Application", uid.as_str(), Some(true))
    );
    assert_eq!(
        orders_map.metadata.labels.unwrap()["compass.kyma-project.io/application"],
        "shop"
    );
    let guide_map = guide.fetch.as_ref().unwrap().config_map.clone().unwrap();
    assert_eq!(
        config_maps.get(&guide_map).await.unwrap().data.unwrap()["content"],
        GUIDE
    );
    env.wait_event("shop", "Normal", "SpecFetched", "orders")
        .await;

    // Other changes reconcile the application but do not fetch again.
    env.apps
        .patch(
            "shop",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "description": "changed" } })),
        )
        .await
        .unwrap();
    env.wait_condition("shop", "Ready", "True", "Registered")
        .await;
    eventually("the new generation is observed", || async {
        let app = env.apps.get("shop").await.ok()?;
        (app.status?.observed_generation == app.metadata.generation).then_some(())
    })
    .await;
    // An absence can only be shown by waiting: a second fetch would arrive within this.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(requests.count("/orders.yaml"), 1, "fetched once");

    // The refetch annotation fetches everything again, once per new value.
    env.apps
        .patch(
            "shop",
            &PatchParams::default(),
            &Patch::Merge(
                json!({ "metadata": { "annotations": { "compass.kyma-project.io/refetch": "1" } } }),
            ),
        )
        .await
        .unwrap();
    eventually("the refetch is done", || async {
        let app = env.apps.get("shop").await.ok()?;
        (app.status?.observed_refetch.as_deref() == Some("1")).then_some(())
    })
    .await;
    assert_eq!(requests.count("/orders.yaml"), 2);
    assert_eq!(requests.count("/guide.md"), 2);

    // A spec that is no longer fetched loses its ConfigMap.
    let mut changed = shop(&base);
    changed["spec"]["apiDefinitions"][0]["spec"] =
        json!({ "type": "OPEN_API", "format": "YAML", "data": "openapi: 3.0.0" });
    env.apps
        .patch(
            "shop",
            &PatchParams::default(),
            &Patch::Merge(
                json!({ "spec": { "apiDefinitions": changed["spec"]["apiDefinitions"] } }),
            ),
        )
        .await
        .unwrap();
    let orders_map_name = fetch.config_map.unwrap();
    eventually("the orders ConfigMap is deleted and unlisted", || async {
        let gone = config_maps.get_opt(&orders_map_name).await.ok()?.is_none();
        let status = env.apps.get("shop").await.ok()?.status?;
        (gone && status.api_definitions[0].fetch.is_none()).then_some(())
    })
    .await;
    assert!(config_maps.get_opt(&guide_map).await.unwrap().is_some());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_scenario_is_named_until_it_is_created() {
    let env = Env::start().await;
    env.create::<Application>(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "crm" }, "spec": { "scenarios": ["DEFAULT", "marketing"] },
    }))
    .await;
    let app = env
        .wait_condition("crm", "Ready", "False", "ScenarioNotFound")
        .await;
    let (status, _, message) = condition(&app, "ReferencesResolved").unwrap();
    assert_eq!(status, "False");
    assert!(
        message.contains("Scenario \"marketing\" does not exist in namespace default-tenant"),
        "{message}"
    );
    env.create::<Scenario>(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Scenario",
        "metadata": { "name": "marketing" }, "spec": {},
    }))
    .await;
    let app = env
        .wait_condition("crm", "Ready", "True", "Registered")
        .await;
    assert_eq!(app.status.unwrap().scenarios, vec!["DEFAULT", "marketing"]);
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_integration_system_and_an_unfit_eventing_runtime_are_reported() {
    let env = Env::start().await;
    env.create::<Application>(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "erp" },
        "spec": { "integrationSystem": "sync", "eventing": { "defaultRuntime": "edge" } },
    }))
    .await;
    let app = env
        .wait_condition(
            "erp",
            "ReferencesResolved",
            "False",
            "IntegrationSystemNotFound",
        )
        .await;
    assert!(
        condition(&app, "Ready")
            .unwrap()
            .2
            .contains("IntegrationSystem \"sync\"")
    );
    env.create::<IntegrationSystem>(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "IntegrationSystem",
        "metadata": { "name": "sync" }, "spec": {},
    }))
    .await;
    let app = env
        .wait_condition("erp", "Ready", "False", "EventingRuntimeInvalid")
        .await;
    assert!(
        condition(&app, "Ready")
            .unwrap()
            .2
            .contains("does not exist")
    );
    env.create::<Runtime>(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Runtime",
        "metadata": { "name": "edge" }, "spec": { "scenarios": [] },
    }))
    .await;
    eventually("the runtime is found but shares no scenario", || async {
        let app = env.apps.get("erp").await.ok()?;
        condition(&app, "Ready")?
            .2
            .contains("shares no scenario")
            .then_some(())
    })
    .await;
    let runtimes: Api<Runtime> = Api::namespaced(env.client.clone(), NAMESPACE);
    runtimes
        .patch(
            "edge",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "scenarios": ["DEFAULT"] } })),
        )
        .await
        .unwrap();
    let app = env
        .wait_condition("erp", "Ready", "True", "Registered")
        .await;
    let status = app.status.unwrap();
    assert_eq!(
        (status.runtime_count, status.runtimes.to_vec()),
        (Some(1), vec!["edge".to_owned()])
    );
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_are_checked_against_label_definitions_as_they_come_and_go() {
    let env = Env::start().await;
    env.create::<Application>(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "shop" }, "spec": { "labels": { "region": "mars", "tier": 1 } },
    }))
    .await;
    env.wait_condition("shop", "Ready", "True", "Registered")
        .await;
    env.create::<LabelDefinition>(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "LabelDefinition",
        "metadata": { "name": "region" },
        "spec": { "schema": { "type": "string", "enum": ["eu", "us"] } },
    }))
    .await;
    let app = env
        .wait_condition("shop", "LabelsValid", "False", "LabelInvalid")
        .await;
    let (_, reason, message) = condition(&app, "Ready").unwrap();
    assert_eq!(reason, "LabelInvalid");
    assert!(message.starts_with("label \"region\": "), "{message}");
    assert!(message.contains("mars"), "{message}");
    env.apps
        .patch(
            "shop",
            &PatchParams::default(),
            &Patch::Merge(json!({ "spec": { "labels": { "region": "eu" } } })),
        )
        .await
        .unwrap();
    env.wait_condition("shop", "Ready", "True", "Registered")
        .await;
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_key_with_control_characters_or_blank_is_reported() {
    let env = Env::start().await;
    env.create::<Application>(json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
        "metadata": { "name": "ledger" }, "spec": { "labels": { "cost\tcenter": "finance", " ": 1 } },
    }))
    .await;
    let app = env
        .wait_condition("ledger", "LabelsValid", "False", "LabelInvalid")
        .await;
    let (_, _, message) = condition(&app, "LabelsValid").unwrap();
    assert!(
        message.contains(r#"label "cost\tcenter": a label key cannot contain control characters"#),
        "{message}"
    );
    assert!(
        message.contains("cannot start or end with white space"),
        "{message}"
    );
    env.stop().await;
}

/// How many reconciles the Application controller counted.
fn reconciles(env: &Env) -> u64 {
    env.operator
        .metrics
        .render()
        .lines()
        .find(|line| line.contains("reconciles_total{controller=\"application\"}"))
        .and_then(|line| line.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

/// With nothing changing, every application is still looked at again each resync period (by one
/// timer for all of them, not a requeue each).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_application_is_reconciled_again_each_resync_period() {
    let env = Env::start_with(OperatorConfig {
        resync: Duration::from_secs(1),
        ..application_controller_env::config(64 * 1024)
    })
    .await;
    for name in ["crm", "erp"] {
        env.create::<Application>(json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
            "metadata": { "name": name }, "spec": {},
        }))
        .await;
        env.wait_condition(name, "Ready", "True", "Registered")
            .await;
    }
    // Five periods' worth for the two: more than their own status writes could cause.
    let settled = reconciles(&env);
    eventually("five more reconciles of each application", || async {
        (reconciles(&env) >= settled + 10).then_some(())
    })
    .await;
    env.stop().await;
}
