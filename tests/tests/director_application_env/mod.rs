//! Shared by the `director_applications*` tests: a control plane with the operator and the
//! Director API, the selections of every application type, and helpers to register objects,
//! read them, and check refusals.

#![allow(dead_code)]

use compass_tests::{TestDirector, TestServer, graphql::Graphql, graphql::Response};
use serde_json::{Value, json};

/// Namespace of the default tenant.
pub const NAMESPACE: &str = compass_crds::well_known::DEFAULT_TENANT_NAMESPACE;

/// Every field of `Auth`.
pub const AUTH: &str = "credential { ... on BasicCredentialData { username password } ... on OAuthCredentialData { clientId clientSecret url } } additionalHeaders additionalQueryParams requestAuth { csrf { tokenEndpointURL credential { ... on BasicCredentialData { username password } ... on OAuthCredentialData { clientId clientSecret url } } additionalHeaders additionalQueryParams } }";

/// Every field of `FetchRequest`.
pub fn fetch_fields() -> String {
    format!("url auth {{ {AUTH} }} mode filter status {{ condition timestamp }}")
}

/// Every field of `APIDefinition` but the per-runtime ones.
pub fn api_fields() -> String {
    format!(
        "id applicationID name description targetURL group spec {{ data format type fetchRequest {{ {} }} }} defaultAuth {{ {AUTH} }} version {{ value deprecated deprecatedSince forRemoval }}",
        fetch_fields()
    )
}

/// Every field of `EventDefinition`.
pub fn event_fields() -> String {
    format!(
        "id applicationID name description group spec {{ data type format fetchRequest {{ {} }} }} version {{ value deprecated deprecatedSince forRemoval }}",
        fetch_fields()
    )
}

/// Every field of `Document`.
pub fn document_fields() -> String {
    format!(
        "id applicationID title displayName description format kind data fetchRequest {{ {} }}",
        fetch_fields()
    )
}

/// Every field of `Webhook`.
pub fn webhook_fields() -> String {
    format!("id applicationID type url auth {{ {AUTH} }}")
}

/// Every field of `Application`, children included.
pub fn app_fields() -> String {
    format!(
        "id name providerName description integrationSystemID labels status {{ condition timestamp }} healthCheckURL webhooks {{ {} }} apiDefinitions {{ data {{ {} }} pageInfo {{ startCursor endCursor hasNextPage }} totalCount }} eventDefinitions {{ data {{ {} }} totalCount }} documents {{ data {{ {} }} totalCount }} auths {{ id }} eventingConfiguration {{ defaultURL }}",
        webhook_fields(),
        api_fields(),
        event_fields(),
        document_fields()
    )
}

/// A control plane with the operator and the Director, and the admin in the default tenant.
pub struct Env {
    /// The control plane.
    pub server: TestServer,
    /// The operator and the API.
    pub director: TestDirector,
    /// The admin acting in the default tenant.
    pub client: Graphql,
}

impl Env {
    /// Starts everything.
    pub async fn start() -> Self {
        let server = TestServer::start().await;
        let director = server.start_director(Vec::new()).await;
        let client = director.api.default_tenant();
        Self {
            server,
            director,
            client,
        }
    }

    /// Stops everything.
    pub async fn stop(self) {
        self.director.stop().await;
        self.server.stop().await;
    }

    /// Creates a tenant with `external_id` (named `name`) and returns the admin acting in it,
    /// once the Director knows it.
    pub async fn other_tenant(&self, name: &str, external_id: &str) -> Graphql {
        self.server.apply_yaml(
            &format!(
                "apiVersion: compass.kyma-project.io/v1alpha1\nkind: Tenant\nmetadata: {{name: {name}}}\nspec: {{externalId: {external_id}}}\n"
            ),
            &[],
        );
        self.server.wait_tenant_ready(name).await;
        let other = self.director.api.admin.tenant(external_id);
        other
            .data_eventually(
                "the Director knows the other tenant",
                "{ applications { totalCount } }",
                json!({}),
            )
            .await;
        other
    }

    /// `kubectl get <kind> <name> -n default-tenant -o json`, parsed.
    pub fn kubectl_json(&self, kind: &str, name: &str) -> Value {
        let text = self
            .server
            .kubectl_ok(&["get", kind, name, "-n", NAMESPACE, "-o", "json"]);
        serde_json::from_str(&text).expect("kubectl prints JSON")
    }
}

/// Registers an application and returns it with every field.
pub async fn register(client: &Graphql, input: Value) -> Value {
    client
        .data(
            &format!(
                "mutation ($in: ApplicationRegisterInput!) {{ registerApplication(in: $in) {{ {} }} }}",
                app_fields()
            ),
            json!({ "in": input }),
        )
        .await["registerApplication"]
        .clone()
}

/// Sends a registration that must fail; returns the response.
pub async fn register_err(client: &Graphql, input: Value) -> Response {
    client
        .send(
            "mutation ($in: ApplicationRegisterInput!) { registerApplication(in: $in) { id } }",
            json!({ "in": input }),
        )
        .await
}

/// The application with `id`, every field; null when there is none.
pub async fn application(client: &Graphql, id: &str) -> Value {
    client
        .data(
            &format!(
                "query ($id: ID!) {{ application(id: $id) {{ {} }} }}",
                app_fields()
            ),
            json!({ "id": id }),
        )
        .await["application"]
        .clone()
}

/// Registers a runtime with `labels`; returns its id.
pub async fn register_runtime(client: &Graphql, name: &str, labels: Value) -> String {
    client
        .data(
            "mutation ($in: RuntimeInput!) { registerRuntime(in: $in) { id } }",
            json!({ "in": { "name": name, "labels": labels } }),
        )
        .await["registerRuntime"]["id"]
        .as_str()
        .expect("a runtime id")
        .to_owned()
}

/// Adds scenarios to the default tenant through the `scenarios` label definition.
pub async fn define_scenarios(client: &Graphql, names: &[&str]) {
    let mut all = vec!["DEFAULT"];
    all.extend(names);
    let schema = json!({
        "type": "array", "minItems": 1, "uniqueItems": true,
        "items": { "type": "string", "pattern": "^[A-Za-z0-9]([-_A-Za-z0-9\\s]*[A-Za-z0-9])$", "maxLength": 128, "enum": all },
    });
    client
        .data(
            "mutation ($in: LabelDefinitionInput!) { updateLabelDefinition(in: $in) { key } }",
            json!({ "in": { "key": "scenarios", "schema": schema.to_string() } }),
        )
        .await;
}

/// Checks that a response is refused as invalid input naming `field`.
pub fn assert_invalid(response: &Response, field: &str) {
    let (message, code) = response.error();
    assert_eq!(code, "INVALID_INPUT", "{message}");
    assert!(
        message.contains(field),
        "{field} is not named in: {message}"
    );
}

/// Checks that a response is refused with `code`.
pub fn assert_code(response: &Response, code: &str) -> String {
    let (message, actual) = response.error();
    assert_eq!(actual, code, "{message}");
    message
}

/// A basic credential input.
pub fn basic(username: &str, password: &str) -> Value {
    json!({ "credential": { "basic": { "username": username, "password": password } } })
}

/// An OAuth credential input.
pub fn oauth(client_id: &str, client_secret: &str) -> Value {
    json!({ "credential": { "oauth": { "clientId": client_id, "clientSecret": client_secret, "url": "https://auth.example.com/token" } } })
}
