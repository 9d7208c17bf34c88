//! Integration systems: an OAuth client in the system namespace, acting in whichever tenant its
//! `Tenant` header names, registering applications (directly or from a template) that name it,
//! and refused changes of applications that name another system or none.

use serde_json::{Value, json};

use super::{Env, OTHER_TENANT, access_token, credentials, default_tenant, refused, viewer};

async fn register_system(env: &Env, name: &str) -> Value {
    let registered = env
        .director
        .api
        .admin
        .data(
            "mutation ($name: String!) { registerIntegrationSystem(in: { name: $name }) { id } }",
            json!({ "name": name }),
        )
        .await;
    registered["registerIntegrationSystem"]["id"].clone()
}

pub async fn act_in_every_tenant_on_their_own_applications(env: &Env) {
    let system_id = register_system(env, "sync").await;
    let rival_id = register_system(env, "rival").await;
    let credentials = credentials(
        &env.director.api.admin,
        "requestClientCredentialsForIntegrationSystem",
        system_id.as_str().unwrap(),
    )
    .await;
    let listed = env.server.kubectl_ok(&[
        "get",
        "systemauths",
        "-n",
        "compass-system",
        "-o",
        "jsonpath={.items[*].metadata.uid}",
    ]);
    assert!(listed.contains(&credentials.client_id), "{listed}");
    let token = access_token(env, &credentials).await;
    let system = env.caller(&token);
    assert_eq!(
        viewer(&system).await,
        json!({ "id": credentials.subject_id, "type": "INTEGRATION_SYSTEM" })
    );

    // From a template, in two tenants: each application names the system.
    env.director
        .api
        .admin
        .data(
            "mutation ($in: ApplicationTemplateInput!) { createApplicationTemplate(in: $in) { id } }",
            json!({ "in": {
                "name": "synced-crm",
                "applicationInput": { "name": "{{name}}", "description": "synced" },
                "placeholders": [{ "name": "name" }],
                "accessLevel": "GLOBAL",
            } }),
        )
        .await;
    let from_template = "mutation ($name: String!) { registerApplicationFromTemplate(in: { templateName: \"synced-crm\", values: [{ placeholder: \"name\", value: $name }] }) { id name integrationSystemID } }";
    for tenant in [default_tenant(), OTHER_TENANT] {
        let app = system
            .tenant(tenant)
            .data(from_template, json!({ "name": "synced" }))
            .await;
        assert_eq!(
            app["registerApplicationFromTemplate"]["integrationSystemID"], system_id,
            "{tenant}"
        );
    }
    let direct = system
        .tenant(OTHER_TENANT)
        .data(
            "mutation { registerApplication(in: { name: \"direct\" }) { id integrationSystemID } }",
            json!({}),
        )
        .await;
    let own_id = direct["registerApplication"]["id"].clone();
    assert_eq!(
        direct["registerApplication"]["integrationSystemID"],
        system_id
    );

    // Naming another system is refused; changing its own application is not.
    let (message, code) = system
        .tenant(OTHER_TENANT)
        .send(
            "mutation ($rival: ID!) { registerApplication(in: { name: \"posing\", integrationSystemID: $rival }) { id } }",
            json!({ "rival": rival_id }),
        )
        .await
        .error();
    assert_eq!(code, "FORBIDDEN", "{message}");
    assert!(message.contains("in.integrationSystemID"), "{message}");
    system
        .tenant(OTHER_TENANT)
        .data(
            "mutation ($id: ID!) { setApplicationLabel(applicationID: $id, key: \"synced\", value: true) { key } }",
            json!({ "id": own_id }),
        )
        .await;

    changes_of_other_applications_are_refused(env, &system, &rival_id).await;

    // Deleting its client ends its token.
    env.director
        .api
        .admin
        .data(
            "mutation ($id: ID!) { deleteSystemAuthForIntegrationSystem(authID: $id) { id } }",
            json!({ "id": credentials.client_id }),
        )
        .await;
    let (status, _, message) = refused(&system).await;
    assert_eq!(status, 401, "{message}");
}

async fn changes_of_other_applications_are_refused(
    env: &Env,
    system: &compass_tests::graphql::Graphql,
    rival_id: &Value,
) {
    let admin = env.admin();
    let register =
        "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }";
    let foreign = admin
        .data(register, json!({ "in": { "name": "foreign" } }))
        .await["registerApplication"]["id"]
        .clone();
    let rivals = admin
        .data(
            register,
            json!({ "in": { "name": "rivals", "integrationSystemID": rival_id } }),
        )
        .await["registerApplication"]["id"]
        .clone();
    let system = system.tenant(default_tenant());
    let attempts = [
        "mutation ($id: ID!, $name: String!) { updateApplication(id: $id, in: { name: $name, description: \"mine now\" }) { id } }",
        "mutation ($id: ID!) { setApplicationLabel(applicationID: $id, key: \"taken\", value: true) { key } }",
        "mutation ($id: ID!) { addWebhook(applicationID: $id, in: { type: CONFIGURATION_CHANGED, url: \"https://example.com/hook\" }) { id } }",
        "mutation ($id: ID!) { unregisterApplication(id: $id) { id } }",
        "mutation ($id: ID!) { requestClientCredentialsForApplication(id: $id) { id } }",
        "mutation ($id: ID!) { requestOneTimeTokenForApplication(id: $id) { token } }",
    ];
    for (id, name) in [(&foreign, "foreign"), (&rivals, "rivals")] {
        for attempt in attempts {
            let mut variables = json!({ "id": id });
            if attempt.contains("$name") {
                variables["name"] = json!(name);
            }
            let (message, code) = system.send(attempt, variables).await.error();
            assert_eq!(code, "FORBIDDEN", "{attempt}: {message}");
            assert!(
                message.contains("may change only the applications that name it"),
                "{attempt}: {message}"
            );
        }
    }
    // Nothing changed: both are still there as registered.
    let apps = admin
        .data(
            "{ applications { data { name description labels webhooks { id } } } }",
            json!({}),
        )
        .await;
    for app in apps["applications"]["data"].as_array().unwrap() {
        if app["name"] == "foreign" || app["name"] == "rivals" {
            assert_eq!(app["description"], json!(null), "{app}");
            assert_eq!(app["webhooks"], json!([]), "{app}");
            assert!(app["labels"].get("taken").is_none(), "{app}");
        }
    }
}
