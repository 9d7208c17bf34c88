//! What both tenants hold, written as their admins through GraphQL (and `kubectl` for what the
//! Director does not write: system auths, a Secret and a ConfigMap of the victim's own). Every
//! name, label value, URL and credential of the victim's contains `vsecret`, so that the leak
//! check can recognise them; the attacker's contain `atk`.

use compass_tests::{TestServer, eventually, graphql::Graphql};
use serde_json::{Value, json};

use super::setup::{ATTACKER_NS, Ids, VICTIM_NS};

fn basic(username: &str, password: &str) -> Value {
    json!({ "credential": { "basic": { "username": username, "password": password } } })
}

fn openapi(title: &str) -> Value {
    json!({ "type": "OPEN_API", "format": "YAML", "data": format!("openapi: 3.0.0\ninfo: {{title: {title}, version: 1.0.0}}\npaths: {{}}\n") })
}

fn asyncapi(title: &str) -> Value {
    json!({ "type": "ASYNC_API", "format": "YAML", "data": format!("asyncapi: 2.0.0\ninfo: {{title: {title}, version: 1.0.0}}\nchannels: {{}}\n") })
}

/// An application with a webhook, two APIs (one fetched), events and a document, all named
/// after `who`.
fn rich_application(who: &str, base: &str, path: &str, extra: Value) -> Value {
    let mut input = json!({
        "name": format!("{who}-orders"),
        "providerName": format!("{who}-provider"),
        "description": format!("{who} orders backend"),
        "healthCheckURL": format!("https://{who}-orders.example.com/health"),
        "webhooks": [{ "type": "CONFIGURATION_CHANGED", "url": format!("{base}/{path}/hook"),
                       "auth": basic(&format!("{who}-hook-user"), &format!("{who}-hook-pass")) }],
        "apiDefinitions": [{
            "name": format!("{who}-orders-api"), "targetURL": format!("https://{who}-orders.example.com/api"),
            "spec": openapi(&format!("{who}-orders-spec")),
            "defaultAuth": basic(&format!("{who}-api-user"), &format!("{who}-api-pass")),
        }],
        "eventDefinitions": [{ "name": format!("{who}-order-events"), "spec": asyncapi(&format!("{who}-events-spec")) }],
        "documents": [{ "title": format!("{who}-guide"), "displayName": format!("{who} guide"),
                        "description": format!("{who} how-to"), "format": "MARKDOWN", "data": format!("# {who}") }],
    });
    for (key, value) in extra.as_object().unwrap() {
        match (input.get_mut(key), value) {
            (Some(Value::Array(list)), Value::Array(more)) => list.extend(more.iter().cloned()),
            _ => input[key] = value.clone(),
        }
    }
    input
}

const REGISTER_APP: &str =
    "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }";
const REGISTER_RUNTIME: &str = "mutation ($in: RuntimeInput!) { registerRuntime(in: $in) { id } }";

async fn id_of(client: &Graphql, query: &str, input: Value, field: &str) -> String {
    let data = client.data(query, json!({ "in": input })).await;
    data[field]["id"].as_str().unwrap().to_owned()
}

/// Defines label `key` with a string schema and sets the tenant's scenarios.
async fn define(client: &Graphql, key: &str, scenarios: &[&str]) {
    let schema = json!({ "type": "string", "enum": ["gold", "silver"] }).to_string();
    let create = "mutation ($in: LabelDefinitionInput!) { createLabelDefinition(in: $in) { key } }";
    client
        .data(create, json!({ "in": { "key": key, "schema": schema } }))
        .await;
    let mut all = vec!["DEFAULT"];
    all.extend(scenarios);
    let schema = json!({
        "type": "array", "minItems": 1, "uniqueItems": true,
        "items": { "type": "string", "pattern": "^[A-Za-z0-9]([-_A-Za-z0-9\\s]*[A-Za-z0-9])$", "maxLength": 128, "enum": all },
    });
    let update = "mutation ($in: LabelDefinitionInput!) { updateLabelDefinition(in: $in) { key } }";
    client
        .data(
            update,
            json!({ "in": { "key": "scenarios", "schema": schema.to_string() } }),
        )
        .await;
}

/// Adds the application `id` and its children's ids and names to `ids`.
async fn collect_children(client: &Graphql, id: &str, ids: &mut Ids) {
    let query = "query ($id: ID!) { application(id: $id) { name webhooks { id } apiDefinitions { data { id name } } eventDefinitions { data { id name } } documents { data { id } } } }";
    let app = client.data(query, json!({ "id": id })).await["application"].clone();
    let mut list = |value: &Value| -> Vec<String> {
        let items = value.get("data").unwrap_or(value);
        let items = items.as_array().unwrap();
        for item in items.iter().filter(|i| i["name"].is_string()) {
            let name = item["name"].as_str().unwrap().to_owned();
            ids.name_of
                .insert(item["id"].as_str().unwrap().to_owned(), name);
        }
        items
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let (webhooks, apis) = (list(&app["webhooks"]), list(&app["apiDefinitions"]));
    let (events, documents) = (list(&app["eventDefinitions"]), list(&app["documents"]));
    let name = app["name"].as_str().unwrap().to_owned();
    ids.name_of.insert(id.to_owned(), name);
    ids.apps.push(id.to_owned());
    ids.webhooks.extend(webhooks);
    ids.apis.extend(apis);
    ids.events.extend(events);
    ids.documents.extend(documents);
}

/// The system auth ids of the `field` (`application` or `runtime`) with `id`, once the Director
/// shows at least one.
async fn auths(client: &Graphql, field: &str, id: &str) -> Vec<String> {
    let query = format!("query ($id: ID!) {{ {field}(id: $id) {{ auths {{ id }} }} }}");
    eventually(&format!("the {field}'s system auth"), || async {
        let found = client.data(&query, json!({ "id": id })).await;
        let auths = found[field]["auths"].as_array()?;
        let ids: Vec<String> = auths
            .iter()
            .filter_map(|a| Some(a["id"].as_str()?.to_owned()))
            .collect();
        (!ids.is_empty()).then_some(ids)
    })
    .await
}

/// System auths of an application and a runtime, applied as the admin.
fn system_auths(namespace: &str, app: &str, runtime: &str) -> String {
    format!(
        "apiVersion: compass.kyma-project.io/v1alpha1\nkind: SystemAuth\nmetadata: {{name: {app}-cert, namespace: {namespace}}}\nspec: {{subject: {{kind: Application, name: {app}}}}}\n---\napiVersion: compass.kyma-project.io/v1alpha1\nkind: SystemAuth\nmetadata: {{name: {runtime}-token, namespace: {namespace}}}\nspec: {{subject: {{kind: Runtime, name: {runtime}}}}}\n"
    )
}

/// The global objects the victim uses: an integration system and an application template.
pub async fn globals(admin: &Graphql) -> String {
    let system = "mutation { registerIntegrationSystem(in: {name: \"sync-hub\"}) { id } }";
    let id = admin.data(system, json!({})).await["registerIntegrationSystem"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let template = json!({
        "name": "storefront", "accessLevel": "GLOBAL",
        "placeholders": [{ "name": "name" }, { "name": "base-url" }],
        "applicationInput": { "name": "{{name}}", "description": "A storefront.",
                              "apiDefinitions": [{ "name": "storefront", "targetURL": "{{base-url}}/api" }] },
    });
    let create =
        "mutation ($in: ApplicationTemplateInput!) { createApplicationTemplate(in: $in) { id } }";
    admin.data(create, json!({ "in": template })).await;
    id
}

/// Registers the victim's applications and runtimes as its admin; returns their ids.
async fn victim_objects(client: &Graphql, base: &str, system: &str) -> Ids {
    define(client, "vsecret-tier", &["vsecret-campaign"]).await;
    let fetched = json!({ "type": "OPEN_API", "format": "YAML", "fetchRequest": { "url": format!("{base}/victim/catalog.yaml") } });
    let extra = json!({
        "labels": { "scenarios": ["DEFAULT", "vsecret-campaign"], "vsecret-tier": "gold" },
        "integrationSystemID": system,
        "apiDefinitions": [{ "name": "vsecret-catalog-api", "targetURL": "https://vsecret-orders.example.com/catalog", "spec": fetched }],
    });
    let orders = rich_application("vsecret", base, "victim", extra);
    let billing = json!({ "name": "vsecret-billing", "labels": { "scenarios": ["vsecret-campaign"] },
                          "eventDefinitions": [{ "name": "vsecret-invoice-events", "spec": asyncapi("vsecret-invoices") }] });
    let from_template = "mutation { registerApplicationFromTemplate(in: {templateName: \"storefront\", values: [{placeholder: \"name\", value: \"vsecret-store\"}, {placeholder: \"base-url\", value: \"https://vsecret-store.example.com\"}]}) { id } }";
    let store = client.data(from_template, json!({})).await;
    let mut ids = Ids::default();
    for app in [
        id_of(client, REGISTER_APP, orders, "registerApplication").await,
        id_of(client, REGISTER_APP, billing, "registerApplication").await,
        store["registerApplicationFromTemplate"]["id"]
            .as_str()
            .unwrap()
            .to_owned(),
    ] {
        collect_children(client, &app, &mut ids).await;
    }
    let cluster =
        json!({ "name": "vsecret-cluster", "labels": { "vsecret-region": "eu-vsecret" } });
    let edge = json!({ "name": "vsecret-edge", "labels": { "scenarios": ["DEFAULT", "vsecret-campaign"],
                       "runtime_eventServiceUrl": "https://vsecret-events.example.com" } });
    for runtime in [cluster, edge] {
        let name = runtime["name"].as_str().unwrap().to_owned();
        let id = id_of(client, REGISTER_RUNTIME, runtime, "registerRuntime").await;
        ids.name_of.insert(id.clone(), name);
        ids.runtimes.push(id);
    }
    ids.label_keys = vec!["vsecret-tier".into(), "vsecret-region".into()];
    ids.scenarios = vec!["vsecret-campaign".into()];
    ids
}

/// Populates the victim as its admin: its objects, system auths, a Secret and a ConfigMap of
/// its own, credentials of its first API for its first runtime, and default eventing of its
/// first application to its second runtime; returns its ids.
pub async fn victim(server: &TestServer, client: &Graphql, base: &str, system: &str) -> Ids {
    let mut ids = victim_objects(client, base, system).await;
    server.apply_yaml(
        &system_auths(VICTIM_NS, "vsecret-orders", "vsecret-cluster"),
        &[],
    );
    let secret = "create secret generic vsecret-db --from-literal=password=vsecret-db-pass -n";
    let config_map = "create configmap vsecret-settings --from-literal=mode=vsecret-mode -n";
    for line in [secret, config_map] {
        let mut args: Vec<&str> = line.split(' ').collect();
        args.push(VICTIM_NS);
        server.kubectl_ok(&args);
    }
    ids.auths
        .extend(auths(client, "application", &ids.apps[0]).await);
    ids.auths
        .extend(auths(client, "runtime", &ids.runtimes[0]).await);
    let set_auth = "mutation ($api: ID!, $rt: ID!, $in: AuthInput!) { setAPIAuth(apiID: $api, runtimeID: $rt, in: $in) { runtimeID } }";
    let auth = basic("vsecret-rt-user", "vsecret-rt-pass");
    let variables = json!({ "api": ids.apis[0], "rt": ids.runtimes[0], "in": auth });
    client.data(set_auth, variables).await;
    let eventing = "mutation ($app: String!, $rt: String!) { setDefaultEventingForApplication(appID: $app, runtimeID: $rt) { defaultURL } }";
    let variables = json!({ "app": ids.apps[0], "rt": ids.runtimes[1] });
    client.data(eventing, variables).await;
    let kinds = [
        &ids.apps,
        &ids.apis,
        &ids.events,
        &ids.documents,
        &ids.webhooks,
    ];
    let counts: Vec<usize> = kinds
        .iter()
        .chain([&&ids.runtimes, &&ids.auths])
        .map(|k| k.len())
        .collect();
    assert_eq!(counts, [3, 3, 2, 1, 1, 2, 2], "the victim's ids by kind");
    ids
}

/// Populates the attacker as its admin, alike but smaller; returns its ids.
pub async fn attacker(server: &TestServer, client: &Graphql, base: &str) -> Ids {
    define(client, "atk-tier", &["atk-campaign"]).await;
    let extra =
        json!({ "labels": { "scenarios": ["DEFAULT", "atk-campaign"], "atk-tier": "gold" } });
    let shop = rich_application("atk", base, "attacker", extra);
    let shop = id_of(client, REGISTER_APP, shop, "registerApplication").await;
    let runtime = json!({ "name": "atk-runtime", "labels": { "atk-region": "eu" } });
    let runtime = id_of(client, REGISTER_RUNTIME, runtime, "registerRuntime").await;
    server.apply_yaml(&system_auths(ATTACKER_NS, "atk-orders", "atk-runtime"), &[]);
    let mut ids = Ids::default();
    collect_children(client, &shop, &mut ids).await;
    ids.auths
        .extend(auths(client, "application", &ids.apps[0]).await);
    ids.auths.extend(auths(client, "runtime", &runtime).await);
    ids.runtimes = vec![runtime];
    ids.label_keys = vec!["atk-tier".into(), "atk-region".into()];
    ids.scenarios = vec!["atk-campaign".into()];
    ids
}
