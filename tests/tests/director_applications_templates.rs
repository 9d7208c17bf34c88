//! Application templates over HTTP, as the original's template tests: create, update, query and
//! delete (global, names unique, placeholders unique and used), and registering an application
//! from a template in the caller's tenant with every placeholder filled in.

use crate::director_application_env;

use director_application_env::{Env, assert_code, assert_invalid, basic};
use serde_json::{Value, json};

const FIELDS: &str =
    "id name description applicationInput placeholders { name description } accessLevel";

fn create() -> String {
    format!(
        "mutation ($in: ApplicationTemplateInput!) {{ createApplicationTemplate(in: $in) {{ {FIELDS} }} }}"
    )
}

fn webshop(name: &str) -> Value {
    json!({
        "name": name,
        "description": "A webshop",
        "applicationInput": {
            "name": "{{name}}",
            "description": "Shop of {{display-name}}",
            "labels": { "scenarios": ["DEFAULT"], "product": "webshop" },
            "webhooks": [{ "type": "CONFIGURATION_CHANGED", "url": "{{url}}/hook" }],
            "apiDefinitions": [{ "name": "storefront", "targetURL": "{{url}}/api",
                                 "spec": { "type": "OPEN_API", "format": "YAML", "data": "title: {{display-name}}" } }],
        },
        "placeholders": [
            { "name": "name", "description": "Application name" },
            { "name": "display-name" },
            { "name": "url", "description": "Base URL" },
        ],
        "accessLevel": "GLOBAL",
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_are_created_updated_queried_and_deleted() {
    let env = Env::start().await;
    // Templates are global: no tenant is needed.
    let admin = env.director.api.admin.clone();
    let created = admin
        .data(&create(), json!({ "in": webshop("webshop") }))
        .await["createApplicationTemplate"]
        .clone();
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(created["name"], "webshop");
    assert_eq!(created["accessLevel"], "GLOBAL");
    assert_eq!(
        created["placeholders"][1],
        json!({ "name": "display-name", "description": null })
    );
    let input: Value = serde_json::from_str(created["applicationInput"].as_str().unwrap()).unwrap();
    assert_eq!(input["name"], "{{name}}");
    assert_eq!(
        input["labels"],
        json!({ "scenarios": ["DEFAULT"], "product": "webshop" })
    );
    assert_eq!(
        input["webhooks"],
        json!([{ "type": "CONFIGURATION_CHANGED", "url": "{{url}}/hook" }])
    );
    assert_eq!(
        input["apiDefinitions"][0]["spec"]["data"],
        "title: {{display-name}}"
    );
    let object = env
        .server
        .kubectl_ok(&["get", "applicationtemplate", "webshop", "-o", "json"]);
    let object: Value = serde_json::from_str(&object).unwrap();
    assert_eq!(object["metadata"]["uid"], id.as_str());
    assert_eq!(
        object["spec"]["applicationInput"]["scenarios"],
        json!(["DEFAULT"])
    );

    // Names are unique; placeholders are unique and used; no credentials.
    assert_code(
        &admin
            .send(&create(), json!({ "in": webshop("webshop") }))
            .await,
        "NOT_UNIQUE",
    );
    let mut unused = webshop("unused");
    unused["placeholders"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "region" }));
    let message = assert_code(
        &admin.send(&create(), json!({ "in": unused })).await,
        "INVALID_INPUT",
    );
    assert!(
        message.contains("in.placeholders[3].name") && message.contains("region"),
        "{message}"
    );
    let mut twice = webshop("twice");
    twice["placeholders"]
        .as_array_mut()
        .unwrap()
        .push(json!({ "name": "url" }));
    assert_invalid(
        &admin.send(&create(), json!({ "in": twice })).await,
        "in.placeholders[3].name",
    );
    let mut secret = webshop("secret");
    secret["applicationInput"]["webhooks"][0]["auth"] = basic("u", "p");
    assert_invalid(
        &admin.send(&create(), json!({ "in": secret })).await,
        "in.applicationInput.webhooks[0].auth",
    );
    let mut bad_name = webshop("Bad_Name");
    bad_name["placeholders"] = json!([]);
    assert_invalid(
        &admin.send(&create(), json!({ "in": bad_name })).await,
        "in.name",
    );

    // Queries list and find it.
    admin
        .data(&create(), json!({ "in": webshop("second") }))
        .await;
    let page = admin
        .data(
            &format!("{{ applicationTemplates(first: 1) {{ data {{ {FIELDS} }} pageInfo {{ endCursor hasNextPage }} totalCount }} }}"),
            json!({}),
        )
        .await["applicationTemplates"]
        .clone();
    assert_eq!(page["totalCount"], 2);
    assert_eq!(page["pageInfo"]["hasNextPage"], true);
    let found = admin
        .data(
            &format!("query ($id: ID!) {{ applicationTemplate(id: $id) {{ {FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await;
    assert_eq!(found["applicationTemplate"], created);

    // An update replaces the description, input and placeholders; the name stays.
    let mut changed = webshop("webshop");
    changed["description"] = json!("A better webshop");
    changed["applicationInput"] = json!({ "name": "{{name}}", "providerName": "ACME" });
    changed["placeholders"] = json!([{ "name": "name" }]);
    let updated = admin
        .data(
            &format!("mutation ($id: ID!, $in: ApplicationTemplateInput!) {{ updateApplicationTemplate(id: $id, in: $in) {{ {FIELDS} }} }}"),
            json!({ "id": id, "in": changed }),
        )
        .await["updateApplicationTemplate"]
        .clone();
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["description"], "A better webshop");
    let input: Value = serde_json::from_str(updated["applicationInput"].as_str().unwrap()).unwrap();
    assert_eq!(input, json!({ "name": "{{name}}", "providerName": "ACME" }));
    let mut renamed = changed.clone();
    renamed["name"] = json!("other");
    assert_invalid(
        &admin
            .send(
                "mutation ($id: ID!, $in: ApplicationTemplateInput!) { updateApplicationTemplate(id: $id, in: $in) { id } }",
                json!({ "id": id, "in": renamed }),
            )
            .await,
        "in.name",
    );

    let deleted = admin
        .data(
            &format!("mutation ($id: ID!) {{ deleteApplicationTemplate(id: $id) {{ {FIELDS} }} }}"),
            json!({ "id": id }),
        )
        .await["deleteApplicationTemplate"]
        .clone();
    assert_eq!(deleted, updated);
    let gone = admin
        .data(
            "query ($id: ID!) { applicationTemplate(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    assert!(gone["applicationTemplate"].is_null());
    env.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn applications_are_registered_from_templates_with_every_placeholder_filled_in() {
    let env = Env::start().await;
    env.director
        .api
        .admin
        .data(&create(), json!({ "in": webshop("webshop") }))
        .await;
    let register = "mutation ($in: ApplicationFromTemplateInput!) { registerApplicationFromTemplate(in: $in) { id name description labels webhooks { url } apiDefinitions { data { name targetURL spec { data } } } } }";
    let values = json!([
        { "placeholder": "name", "value": "acme-shop" },
        { "placeholder": "display-name", "value": "ACME \"Outdoor\" Store" },
        { "placeholder": "url", "value": "https://acme.example.com" },
    ]);
    let app = env
        .client
        .data(
            register,
            json!({ "in": { "templateName": "webshop", "values": values } }),
        )
        .await["registerApplicationFromTemplate"]
        .clone();
    assert_eq!(app["name"], "acme-shop");
    assert_eq!(app["description"], "Shop of ACME \"Outdoor\" Store");
    assert_eq!(app["labels"]["product"], "webshop");
    assert_eq!(app["webhooks"][0]["url"], "https://acme.example.com/hook");
    let api = &app["apiDefinitions"]["data"][0];
    assert_eq!(api["targetURL"], "https://acme.example.com/api");
    assert_eq!(api["spec"]["data"], "title: ACME \"Outdoor\" Store");
    let object = env.kubectl_json("application", "acme-shop");
    assert_eq!(object["metadata"]["uid"], app["id"]);

    // Every placeholder needs a value; the template must exist; the result must be valid.
    let response = env
        .client
        .send(register, json!({ "in": { "templateName": "webshop", "values": [{ "placeholder": "name", "value": "x" }] } }))
        .await;
    let message = assert_code(&response, "INVALID_INPUT");
    assert!(message.contains("display-name"), "{message}");
    let response = env
        .client
        .send(
            register,
            json!({ "in": { "templateName": "nope", "values": values } }),
        )
        .await;
    assert_code(&response, "NOT_FOUND");
    let mut bad = values.clone();
    bad[0]["value"] = json!("Not Valid");
    let response = env
        .client
        .send(
            register,
            json!({ "in": { "templateName": "webshop", "values": bad } }),
        )
        .await;
    assert_invalid(&response, "applicationInput.name");
    let response = env
        .client
        .send(
            register,
            json!({ "in": { "templateName": "webshop", "values": values } }),
        )
        .await;
    assert_code(&response, "NOT_UNIQUE");

    // A template applied with kubectl (the example, renamed beside the one above) serves the
    // Director the same way.
    let example = std::fs::read_to_string(
        compass_tests::repo_root().join("examples/10-application-template.yaml"),
    )
    .unwrap();
    let renamed = example.replace(
        "metadata:\n  name: webshop\n",
        "metadata:\n  name: webshop-example\n",
    );
    assert_ne!(renamed, example);
    env.server.apply_yaml(&renamed, &[]);
    let values = json!([
        { "placeholder": "name", "value": "outdoor" },
        { "placeholder": "display-name", "value": "ACME Outdoor" },
        { "placeholder": "base-url", "value": "https://outdoor.example.com" },
    ]);
    let from_kubectl = "mutation ($in: ApplicationFromTemplateInput!) { registerApplicationFromTemplate(in: $in) { name healthCheckURL eventDefinitions { totalCount } documents { data { data } } } }";
    let app = env
        .client
        .data_eventually(
            "the Director knows the applied template",
            from_kubectl,
            json!({ "in": { "templateName": "webshop-example", "values": values } }),
        )
        .await;
    let app = &app["registerApplicationFromTemplate"];
    assert_eq!(app["name"], "outdoor");
    assert_eq!(app["healthCheckURL"], "https://outdoor.example.com/healthz");
    assert_eq!(app["eventDefinitions"]["totalCount"], 1);
    let guide = app["documents"]["data"][0]["data"].as_str().unwrap();
    assert!(guide.starts_with("# ACME Outdoor"), "{guide}");
    env.stop().await;
}
