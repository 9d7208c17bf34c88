//! The operator and the Director as confused deputies: the attacker's editor role lets it write
//! Compass objects in its own namespace, and those objects name things by name only. It writes
//! some that name the victim's objects (system auths of the victim's application and runtime, a
//! runtime in the victim's scenario, an application whose credentials, spec and document point at
//! the victim's Secrets and ConfigMaps and whose default eventing runtime is the victim's). Every
//! name must resolve in the attacker's namespace or not at all: the objects report what is
//! missing, and nothing the attacker can then read holds the victim's data.

use compass_tests::{eventually, graphql::Graphql};
use serde_json::{Value, json};

use super::{
    Category, Door, Ledger,
    setup::{VICTIM_NS, World},
    snapshot::Snapshot,
};

/// Names of the victim's Secrets and ConfigMaps the operator or the Director made: the attacker
/// cannot list them, but the suite assumes the worst, that it guessed them.
fn victim_object_names(snapshot: &Snapshot, plural: &str) -> Vec<String> {
    let prefix = format!("/api/v1/namespaces/{VICTIM_NS}/{plural}/");
    snapshot
        .0
        .keys()
        .filter_map(|k| k.strip_prefix(&prefix))
        .map(str::to_owned)
        .collect()
}

/// The attacker's objects naming the victim's, as YAML.
fn manifests(snapshot: &Snapshot) -> String {
    let secrets = victim_object_names(snapshot, "secrets");
    let maps = victim_object_names(snapshot, "configmaps");
    let fetched = maps
        .iter()
        .find(|m| m.starts_with("vsecret-orders-api-"))
        .unwrap();
    let granted = secrets
        .iter()
        .find(|s| s.starts_with("vsecret-orders-vsecret-cluster-"))
        .unwrap();
    let basic =
        |secret: &str| json!({ "credential": { "basic": { "secretRef": { "name": secret } } } });
    let objects = [
        json!({ "kind": "SystemAuth", "metadata": { "name": "steal-app-cert" },
                "spec": { "subject": { "kind": "Application", "name": "vsecret-orders" } } }),
        json!({ "kind": "SystemAuth", "metadata": { "name": "steal-runtime-token" },
                "spec": { "subject": { "kind": "Runtime", "name": "vsecret-cluster" } } }),
        json!({ "kind": "Runtime", "metadata": { "name": "spy" }, "spec": { "scenarios": ["vsecret-campaign"] } }),
        json!({ "kind": "Application", "metadata": { "name": "mimic" }, "spec": {
            "scenarios": ["DEFAULT"],
            "eventing": { "defaultRuntime": "vsecret-edge" },
            "apiDefinitions": [{
                "name": "borrowed", "targetURL": "https://atk.example.com/api",
                "spec": { "type": "OPEN_API", "format": "YAML", "dataFrom": { "configMapKeyRef": { "name": fetched, "key": "content" } } },
                "defaultAuth": basic("vsecret-db"),
                "runtimeAuths": [{ "runtime": "atk-runtime", "auth": basic(granted) }],
            }],
            "documents": [{ "title": "borrowed", "displayName": "b", "description": "b", "format": "MARKDOWN",
                            "dataFrom": { "configMapKeyRef": { "name": "vsecret-settings", "key": "mode" } } }],
        } }),
    ];
    objects
        .iter()
        .map(|o| {
            let mut o = o.clone();
            o["apiVersion"] = json!("compass.kyma-project.io/v1alpha1");
            serde_yaml::to_string(&o).unwrap()
        })
        .collect::<Vec<_>>()
        .join("---\n")
}

/// The reason of the `condition` of the attacker's object `kind/name`, once the operator gave
/// it one.
async fn verdict(world: &World, kind: &str, name: &str, condition: &str) -> String {
    eventually(&format!("a verdict on {kind} {name}"), || async {
        let jsonpath =
            format!("jsonpath={{.status.conditions[?(@.type==\"{condition}\")].reason}}");
        let args = ["get", kind, name, "-o", &jsonpath];
        let reason = world.server.kubectl_as_ok(&world.editor, &args);
        (!reason.is_empty()).then_some(reason)
    })
    .await
}

/// What the attacker reads about its objects through GraphQL, as (query, variables).
fn reads(app: &str, runtime: &str) -> Vec<(String, Value)> {
    let basic = "credential { ... on BasicCredentialData { username password } }";
    let apis = format!(
        "apiDefinitions {{ data {{ spec {{ data }} defaultAuth {{ {basic} }} auths {{ runtimeID auth {{ {basic} }} }} }} }}"
    );
    let app_query = format!(
        "query ($id: ID!) {{ application(id: $id) {{ status {{ condition }} eventingConfiguration {{ defaultURL }} {apis} documents {{ data {{ data }} }} }} }}"
    );
    let runtime_query = "query ($id: ID!) { runtime(id: $id) { labels status { condition } eventingConfiguration { defaultURL } } }";
    let seen =
        "query ($id: ID!) { applicationsForRuntime(runtimeID: $id) { totalCount data { name } } }";
    vec![
        (app_query, json!({ "id": app })),
        (runtime_query.to_owned(), json!({ "id": runtime })),
        (seen.to_owned(), json!({ "id": runtime })),
    ]
}

/// The attacker's id of its object `name` in `field` (`applications` or `runtimes`).
async fn own_id(attacker: &Graphql, field: &str, name: &str) -> String {
    let list = attacker
        .data(
            &format!("{{ {field} {{ data {{ id name }} }} }}"),
            json!({}),
        )
        .await;
    let found = list[field]["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == name);
    found.unwrap()["id"].as_str().unwrap().to_owned()
}

/// Writes the attacker's objects, waits for the operator's verdicts, and reads them back as the
/// attacker through `kubectl` and GraphQL.
pub async fn confuse(ledger: &mut Ledger, world: &World, snapshot: &Snapshot) {
    let written = manifests(snapshot);
    world.server.apply_yaml_as(&world.editor, &written);
    ledger.record(Door::Deputy, Category::Write);
    for (kind, name, condition, wanted) in [
        ("systemauth", "steal-app-cert", "Ready", "SubjectNotFound"),
        (
            "systemauth",
            "steal-runtime-token",
            "Ready",
            "SubjectNotFound",
        ),
        ("runtime", "spy", "Ready", "ScenarioNotFound"),
        (
            "application",
            "mimic",
            "ReferencesResolved",
            "EventingRuntimeInvalid",
        ),
    ] {
        let reason = verdict(world, kind, name, condition).await;
        assert_eq!(reason, wanted, "{kind} {name}");
        let shown = world
            .server
            .kubectl_as_ok(&world.editor, &["get", kind, name, "-o", "json"]);
        // The object holds the victim's names the attacker wrote into it, and nothing else.
        ledger.assert_no_leak(&format!("{kind} {name}"), &written, &shown, "");
        ledger.record(Door::Deputy, Category::Read);
    }
    let app = own_id(&world.attacker, "applications", "mimic").await;
    let runtime = own_id(&world.attacker, "runtimes", "spy").await;
    for (query, variables) in reads(&app, &runtime) {
        let answer = world.attacker.send(&query, variables.clone()).await;
        let request = format!("{written}\n{query}\n{variables}");
        let text = answer.body.to_string();
        ledger.assert_no_leak(&query, &request, &text, "");
        ledger.record(Door::Deputy, Category::Read);
    }
}
