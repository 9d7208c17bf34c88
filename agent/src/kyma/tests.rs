use std::sync::Arc;

use async_graphql::{
    EmptySubscription, Response, Schema,
    extensions::{Extension, ExtensionContext, ExtensionFactory, NextExecute},
};
use k8s_openapi::ByteString;
use serde_json::{Value, json};

use super::*;

const TENANT: &str = "3e64ebae-38b5-46a0-b1ed-9ccee153a0ae";

/// An application as the Director answers [`APPLICATIONS_FOR_RUNTIME`]: one API with a spec and
/// an OAuth credential with a CSRF token and extra headers, one with basic credentials and no
/// spec, one event definition with a spec.
fn orders() -> Value {
    json!({
        "id": "0b6a9d6e-5f0e-4a57-9a8e-0c3f0d2b1a11",
        "name": "orders",
        "providerName": "ACME",
        "description": "Orders of the shop",
        "labels": {
            "scenarios": ["DEFAULT", "marketing"],
            "name": "orders",
            "region": "eu-1",
            "replicas": 3,
            "owner": {"team": "shop"},
            "empty": null
        },
        "auths": [{"id": "6f2e8d1c-0000-4000-8000-000000000001"}],
        "apiDefinitions": {
            "data": [
                {
                    "id": "a1b2c3d4-0000-5000-8000-000000000001",
                    "name": "Orders API",
                    "description": "Create and read orders",
                    "targetURL": "https://orders.example.com/api",
                    "spec": {"data": "openapi: 3.0.0\n", "format": "YAML", "type": "OPEN_API"},
                    "auth": {"auth": {
                        "credential": {
                            "__typename": "OAuthCredentialData",
                            "clientId": "client",
                            "clientSecret": "secret",
                            "url": "https://auth.example.com/token"
                        },
                        "additionalHeaders": {"X-Shop": ["eu"]},
                        "additionalQueryParams": null,
                        "requestAuth": {"csrf": {"tokenEndpointURL": "https://orders.example.com/csrf"}}
                    }}
                },
                {
                    "id": "a1b2c3d4-0000-5000-8000-000000000002",
                    "name": "legacy",
                    "description": null,
                    "targetURL": "https://orders.example.com/legacy",
                    "spec": null,
                    "auth": {"auth": {
                        "credential": {
                            "__typename": "BasicCredentialData",
                            "username": "admin",
                            "password": "p4ss"
                        },
                        "additionalHeaders": null,
                        "additionalQueryParams": null,
                        "requestAuth": null
                    }}
                }
            ],
            "pageInfo": {"hasNextPage": false},
            "totalCount": 2
        },
        "eventDefinitions": {
            "data": [{
                "id": "e1e2e3e4-0000-5000-8000-000000000001",
                "name": "order.created",
                "description": "An order was placed",
                "spec": {"data": "{\"asyncapi\":\"2.0.0\"}", "format": "JSON", "type": "ASYNC_API"}
            }],
            "pageInfo": {"hasNextPage": false},
            "totalCount": 1
        }
    })
}

fn secret_text(secret: &k8s_openapi::api::core::v1::Secret, key: &str) -> String {
    let ByteString(bytes) = &secret.data.as_ref().unwrap()[key];
    String::from_utf8(bytes.clone()).unwrap()
}

#[test]
fn an_application_keeps_its_name_and_carries_its_compass_identity() {
    let desired = desired(&orders(), TENANT).unwrap();
    let app = &desired.application;
    assert_eq!(app.metadata.name.as_deref(), Some("orders"));
    assert_eq!(
        desired.application_id,
        "0b6a9d6e-5f0e-4a57-9a8e-0c3f0d2b1a11"
    );
    let labels = app.metadata.labels.as_ref().unwrap();
    assert_eq!(labels[MANAGED_BY_LABEL], MANAGED_BY);
    assert_eq!(labels[APPLICATION_ID_LABEL], desired.application_id);
    let spec = &app.spec;
    assert_eq!(spec.description, "Orders of the shop");
    assert_eq!(spec.display_name, "orders");
    assert_eq!(spec.provider_display_name, "ACME");
    assert_eq!(spec.tenant.as_deref(), Some(TENANT));
    let compass = spec.compass_metadata.as_ref().unwrap();
    assert_eq!(compass.application_id, desired.application_id);
    assert_eq!(
        compass.authentication.client_ids,
        ["6f2e8d1c-0000-4000-8000-000000000001"]
    );
}

#[test]
fn director_labels_become_strings_and_other_values_compact_json() {
    let labels = desired(&orders(), TENANT).unwrap().application.spec.labels;
    assert_eq!(labels["scenarios"], r#"["DEFAULT","marketing"]"#);
    assert_eq!(labels["region"], "eu-1");
    assert_eq!(labels["replicas"], "3");
    assert_eq!(labels["owner"], r#"{"team":"shop"}"#);
    assert!(!labels.contains_key("empty"));
}

#[test]
fn every_api_and_event_definition_is_a_service_with_one_entry() {
    let services = desired(&orders(), TENANT)
        .unwrap()
        .application
        .spec
        .services;
    assert_eq!(services.len(), 3);
    let api = &services[0];
    assert_eq!(api.id, "a1b2c3d4-0000-5000-8000-000000000001");
    assert_eq!(api.display_name, "Orders API");
    assert!(api.name.starts_with("orders-api-") && api.name.len() == "orders-api-".len() + 5);
    assert_eq!(api.description, "Create and read orders");
    assert_eq!(api.provider_display_name, "ACME");
    let entry = &api.entries[0];
    assert_eq!(entry.type_, EntryType::Api);
    assert_eq!(entry.id, api.id);
    assert_eq!(entry.name, "Orders API");
    assert_eq!(entry.target_url, "https://orders.example.com/api");
    assert_eq!(entry.api_type.as_deref(), Some("OPEN_API"));
    assert_eq!(entry.specification_url, None);
    assert_eq!(services[1].description, "Description not provided");
    assert_eq!(services[1].entries[0].api_type, None);
    let event = &services[2];
    assert_eq!(event.entries[0].type_, EntryType::Events);
    assert_eq!(event.entries[0].target_url, "");
    assert!(event.entries[0].credentials.is_none());
    // Kyma's schema requires these on every service and entry.
    let value = serde_json::to_value(event).unwrap();
    for field in [
        "id",
        "name",
        "displayName",
        "providerDisplayName",
        "description",
        "entries",
    ] {
        assert!(value.get(field).is_some(), "{field}");
    }
    assert_eq!(value["entries"][0]["type"], "Events");
}

#[test]
fn specifications_go_into_config_maps_named_after_application_and_definition() {
    let desired = desired(&orders(), TENANT).unwrap();
    assert_eq!(
        desired.config_maps.len(),
        2,
        "the API without a spec has none"
    );
    let api = &desired.config_maps[0];
    assert_eq!(
        api.metadata.name.as_deref(),
        Some("orders-a1b2c3d4-0000-5000-8000-000000000001")
    );
    assert_eq!(api.metadata.namespace.as_deref(), Some(NAMESPACE));
    assert_eq!(api.data.as_ref().unwrap()[SPEC_KEY], "openapi: 3.0.0\n");
    let annotations = api.metadata.annotations.as_ref().unwrap();
    assert_eq!(annotations[SPEC_TYPE_ANNOTATION], "OPEN_API");
    assert_eq!(annotations[SPEC_FORMAT_ANNOTATION], "YAML");
    let labels = api.metadata.labels.as_ref().unwrap();
    assert_eq!(labels[MANAGED_BY_LABEL], MANAGED_BY);
    assert_eq!(labels[APPLICATION_ID_LABEL], desired.application_id);
    assert_eq!(
        labels[DEFINITION_ID_LABEL],
        "a1b2c3d4-0000-5000-8000-000000000001"
    );
    let event = &desired.config_maps[1];
    assert_eq!(
        event.data.as_ref().unwrap()[SPEC_KEY],
        r#"{"asyncapi":"2.0.0"}"#
    );
    assert_eq!(
        event.metadata.annotations.as_ref().unwrap()[SPEC_TYPE_ANNOTATION],
        "ASYNC_API"
    );
}

#[test]
fn credentials_go_into_secrets_the_entries_name() {
    let desired = desired(&orders(), TENANT).unwrap();
    let services = &desired.application.spec.services;
    let names: Vec<_> = desired
        .secrets
        .iter()
        .map(|s| s.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "orders-a1b2c3d4-0000-5000-8000-000000000001",
            "orders-a1b2c3d4-0000-5000-8000-000000000001-params",
            "orders-a1b2c3d4-0000-5000-8000-000000000002",
        ]
    );

    let oauth = services[0].entries[0].credentials.as_ref().unwrap();
    assert_eq!(oauth.type_, "OAuth");
    assert_eq!(oauth.secret_name, names[0]);
    assert_eq!(
        oauth.authentication_url.as_deref(),
        Some("https://auth.example.com/token")
    );
    assert_eq!(
        oauth.csrf_info.as_ref().unwrap().token_endpoint_url,
        "https://orders.example.com/csrf"
    );
    let secret = &desired.secrets[0];
    assert_eq!(secret.metadata.namespace.as_deref(), Some(NAMESPACE));
    assert_eq!(secret.type_.as_deref(), Some("Opaque"));
    assert_eq!(secret_text(secret, "clientId"), "client");
    assert_eq!(secret_text(secret, "clientSecret"), "secret");
    assert_eq!(secret_text(secret, "url"), "https://auth.example.com/token");

    assert_eq!(
        services[0].entries[0]
            .request_parameters_secret_name
            .as_deref(),
        Some(names[1].as_str())
    );
    let params = &desired.secrets[1];
    assert_eq!(secret_text(params, "headers"), r#"{"X-Shop":["eu"]}"#);
    assert!(
        !params
            .data
            .as_ref()
            .unwrap()
            .contains_key("queryParameters")
    );

    let basic = services[1].entries[0].credentials.as_ref().unwrap();
    assert_eq!(basic.type_, "Basic");
    assert_eq!(basic.authentication_url, None);
    assert_eq!(basic.csrf_info, None);
    assert_eq!(secret_text(&desired.secrets[2], "username"), "admin");
    assert_eq!(secret_text(&desired.secrets[2], "password"), "p4ss");
    assert!(
        desired
            .secrets
            .iter()
            .all(|s| s.metadata.labels.as_ref().unwrap()[MANAGED_BY_LABEL] == MANAGED_BY)
    );
}

#[test]
fn an_application_without_definitions_is_an_application_without_services() {
    let app = json!({
        "id": "0b6a9d6e-5f0e-4a57-9a8e-0c3f0d2b1a12",
        "name": "bare",
        "providerName": null,
        "description": null,
        "labels": null,
        "auths": null,
        "apiDefinitions": {"data": [], "pageInfo": {"hasNextPage": false}, "totalCount": 0},
        "eventDefinitions": null
    });
    let desired = desired(&app, TENANT).unwrap();
    let spec = &desired.application.spec;
    assert!(spec.services.is_empty() && spec.labels.is_empty());
    assert_eq!(spec.description, "Description not provided");
    assert_eq!(spec.provider_display_name, "");
    assert!(
        spec.compass_metadata
            .as_ref()
            .unwrap()
            .authentication
            .client_ids
            .is_empty()
    );
    assert!(desired.config_maps.is_empty() && desired.secrets.is_empty());
}

#[test]
fn names_that_are_not_dns_safe_are_sanitized_and_made_unique_by_the_id() {
    assert_eq!(application_name("orders", "1"), "orders");
    assert_eq!(application_name("shop.eu-1", "1"), "shop.eu-1");
    let odd = application_name("My Shop_Orders!", "0b6a9d6e");
    assert!(odd.starts_with("my-shop-orders-"), "{odd}");
    assert_eq!(odd.len(), "my-shop-orders-".len() + 8);
    assert_ne!(odd, application_name("My Shop_Orders!", "another id"));
    assert_eq!(odd, application_name("My Shop_Orders!", "0b6a9d6e"));
    assert!(application_name("!!!", "1").starts_with("app-"));

    let mut app = orders();
    app["name"] = json!("Orders (EU)");
    let desired = desired(&app, TENANT).unwrap();
    let name = desired.application.metadata.name.clone().unwrap();
    assert!(name.starts_with("orders-eu-"), "{name}");
    assert_eq!(desired.application.spec.display_name, "Orders (EU)");
    assert!(
        desired.config_maps[0]
            .metadata
            .name
            .as_deref()
            .unwrap()
            .starts_with(&format!("{name}-"))
    );
}

#[test]
fn missing_or_unusable_fields_are_errors_that_name_them() {
    let cases: [(&str, Value, &str); 7] = [
        ("/id", Value::Null, "application \"orders\": id is missing"),
        ("/name", Value::Null, ": name is missing"),
        (
            "/id",
            json!("not a label/value"),
            "id \"not a label/value\" is not a valid label value",
        ),
        (
            "/apiDefinitions/data/1/name",
            json!(""),
            "apiDefinitions.data[1].name is missing",
        ),
        (
            "/eventDefinitions/data/0/id",
            Value::Null,
            "eventDefinitions.data[0].id is missing",
        ),
        (
            "/apiDefinitions/data/0/auth/auth/credential",
            json!({"__typename": "CertificateData"}),
            "apiDefinitions.data[0].auth.auth.credential is neither basic nor OAuth",
        ),
        (
            "/apiDefinitions/data/1/auth/auth/credential/password",
            Value::Null,
            "apiDefinitions.data[1].auth.auth.credential.password is missing",
        ),
    ];
    for (pointer, value, expected) in cases {
        let mut app = orders();
        *app.pointer_mut(pointer).unwrap() = value;
        let error = desired(&app, TENANT).unwrap_err();
        assert!(error.contains(expected), "{pointer}: {error}");
    }
    let mut app = orders();
    app["name"] = Value::Null;
    assert!(
        desired(&app, TENANT)
            .unwrap_err()
            .starts_with("application 0b6a9d6e-5f0e-4a57-9a8e-0c3f0d2b1a11: ")
    );
}

#[test]
fn definitions_beyond_one_page_are_an_error_rather_than_a_partial_application() {
    let mut app = orders();
    app["eventDefinitions"]["pageInfo"]["hasNextPage"] = json!(true);
    app["eventDefinitions"]["totalCount"] = json!(150);
    let error = desired(&app, TENANT).unwrap_err();
    assert!(
        error.contains("eventDefinitions has 150 definitions, more than one page"),
        "{error}"
    );
}

#[test]
fn config_maps_and_secrets_are_owned_by_the_application_once_it_exists() {
    let mut desired = desired(&orders(), TENANT).unwrap();
    owned_by(&mut desired, "uid-1");
    let owners = desired
        .config_maps
        .iter()
        .map(|c| &c.metadata)
        .chain(desired.secrets.iter().map(|s| &s.metadata))
        .map(|m| m.owner_references.clone().unwrap());
    for owners in owners {
        assert_eq!(owners.len(), 1);
        let owner = &owners[0];
        assert_eq!(
            owner.api_version,
            "applicationconnector.kyma-project.io/v1alpha1"
        );
        assert_eq!(owner.kind, "Application");
        assert_eq!(owner.name, "orders");
        assert_eq!(owner.uid, "uid-1");
        assert_eq!(owner.controller, Some(true));
    }
}

#[test]
fn an_application_object_of_kyma_reads_into_the_types() {
    // The shape Kyma's own Application Registry wrote (Go's zero values included).
    let app: Application = serde_json::from_value(json!({
        "apiVersion": "applicationconnector.kyma-project.io/v1alpha1",
        "kind": "Application",
        "metadata": {"name": "system-prod"},
        "spec": {
            "description": "This is the system-production Application.",
            "labels": {"region": "us"},
            "services": [{
                "id": "ac031e8c-9aa4-4cb7-8999-0d358726ffaa",
                "identifier": "",
                "name": "promotions-34b1c",
                "displayName": "Promotions",
                "description": "Promotions API",
                "providerDisplayName": "Organization name",
                "entries": [{
                    "type": "API",
                    "targetUrl": "https://promotions.example.com",
                    "gatewayUrl": "http://system-prod-gateway",
                    "credentials": {"type": "", "secretName": ""},
                    "centralGatewayUrl": ""
                }]
            }],
            "skipVerify": false
        },
        "status": {"installationStatus": {"status": "deployed", "description": "Installed"}}
    }))
    .unwrap();
    assert_eq!(app.spec.services[0].entries[0].type_, EntryType::Api);
    assert_eq!(app.spec.compass_metadata, None);
    assert_eq!(app.status.unwrap().installation_status.status, "deployed");
}

// === The query ===

/// Ends every request after validation: the query is checked against the Director's schema and
/// limits without resolving anything (the resolvers need caches this test has none of).
struct ValidateOnly;

impl ExtensionFactory for ValidateOnly {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(ValidateOnly)
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for ValidateOnly {
    async fn execute(
        &self,
        _ctx: &ExtensionContext<'_>,
        _operation_name: Option<&str>,
        _next: NextExecute<'_>,
    ) -> Response {
        Response::new(async_graphql::Value::Null)
    }
}

#[tokio::test]
async fn the_query_is_valid_against_the_directors_schema_and_limits() {
    use compass_api::director::{Limits, Mutation, Query};
    let limits = Limits::default();
    let schema = Schema::build(Query::default(), Mutation::default(), EmptySubscription)
        .limit_depth(limits.depth)
        .limit_complexity(limits.complexity)
        .extension(ValidateOnly)
        .finish();
    let request = async_graphql::Request::new(APPLICATIONS_FOR_RUNTIME).variables(
        async_graphql::Variables::from_json(json!({"runtimeID": "r", "first": 100})),
    );
    let response = schema.execute(request).await;
    assert!(response.errors.is_empty(), "{:#?}", response.errors);

    // The check catches a wrong field name.
    let broken = APPLICATIONS_FOR_RUNTIME.replace("targetURL", "targetUrl");
    let response = schema
        .execute(async_graphql::Request::new(broken).variables(
            async_graphql::Variables::from_json(json!({"runtimeID": "r"})),
        ))
        .await;
    assert!(!response.errors.is_empty());
}

#[test]
fn the_query_asks_for_one_page_of_definitions_of_the_size_the_conversion_expects() {
    let page = format!("(first: {DEFINITIONS_PAGE_SIZE})");
    assert_eq!(APPLICATIONS_FOR_RUNTIME.matches(&page).count(), 2);
    const { assert!(DEFINITIONS_PAGE_SIZE <= compass_api::pagination::MAX_PAGE_SIZE) };
}
