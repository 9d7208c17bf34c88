//! The rules of an application's parts: credentials, API and event specs and their sources,
//! documents, and URLs.

use serde_json::{Value, json};

use super::{api_with_auth, api_with_spec, application, assert_accepted, assert_rejected};

#[test]
fn a_credential_needs_exactly_one_of_basic_and_oauth() {
    let basic = json!({ "secretRef": { "name": "creds" } });
    let oauth =
        json!({ "secretRef": { "name": "creds" }, "url": "https://auth.example.com/token" });
    let message = "exactly one of basic or oauth must be set";
    assert_rejected(
        "Application",
        &api_with_auth(json!({ "basic": basic, "oauth": oauth })),
        message,
    );
    assert_rejected("Application", &api_with_auth(json!({})), message);
    assert_accepted("Application", &api_with_auth(json!({ "basic": basic })));
    assert_accepted("Application", &api_with_auth(json!({ "oauth": oauth })));
}

#[test]
fn api_spec_formats_must_suit_the_spec_type() {
    for (type_, format, valid) in [
        ("OPEN_API", "YAML", true),
        ("OPEN_API", "JSON", true),
        ("OPEN_API", "XML", false),
        ("ODATA", "XML", true),
        ("ODATA", "JSON", true),
        ("ODATA", "YAML", false),
    ] {
        let object = api_with_spec(json!({ "type": type_, "format": format, "data": "x" }));
        if valid {
            assert_accepted("Application", &object);
        } else {
            let message = format!("{format} is not a valid spec format for spec type {type_}");
            assert_rejected("Application", &object, &message);
        }
    }
}

#[test]
fn an_api_spec_has_exactly_one_source_of_content() {
    let fetch = json!({ "url": "https://specs.example.com/orders.yaml" });
    let config_map = json!({ "configMapKeyRef": { "name": "orders-spec", "key": "openapi.yaml" } });
    let spec = |extra: Value| {
        let mut spec = json!({ "type": "OPEN_API", "format": "YAML" });
        spec.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        api_with_spec(spec)
    };
    let message = "exactly one of data, dataFrom or fetchRequest must be set";
    assert_rejected("Application", &spec(json!({})), message);
    assert_rejected(
        "Application",
        &spec(json!({ "data": "x", "fetchRequest": fetch })),
        message,
    );
    assert_rejected(
        "Application",
        &spec(json!({ "data": "x", "dataFrom": config_map })),
        message,
    );
    assert_accepted("Application", &spec(json!({ "data": "openapi: 3.0.0" })));
    assert_accepted("Application", &spec(json!({ "fetchRequest": fetch })));
    assert_accepted("Application", &spec(json!({ "dataFrom": config_map })));
}

#[test]
fn event_specs_are_yaml_or_json_and_documents_have_at_most_one_source() {
    let events = |format: &str| {
        application(json!({ "eventDefinitions": [{
            "name": "order-events",
            "spec": { "type": "ASYNC_API", "format": format, "data": "asyncapi: 2.0.0" },
        }]}))
    };
    assert_accepted("Application", &events("YAML"));
    assert_rejected(
        "Application",
        &events("XML"),
        "XML is not a valid spec format for spec type ASYNC_API",
    );

    let document = |extra: Value| {
        let mut doc = json!({
            "title": "Guide", "displayName": "Guide", "description": "How to", "format": "MARKDOWN",
        });
        doc.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        application(json!({ "documents": [doc] }))
    };
    let fetch = json!({ "url": "https://docs.example.com/guide.md" });
    assert_accepted("Application", &document(json!({})));
    assert_accepted("Application", &document(json!({ "data": "# Guide" })));
    assert_rejected(
        "Application",
        &document(json!({ "data": "# Guide", "fetchRequest": fetch })),
        "at most one of data, dataFrom or fetchRequest may be set",
    );
}

#[test]
fn urls_must_be_absolute_http_or_https() {
    for (url, valid) in [
        ("https://orders.example.com/api", true),
        ("http://127.0.0.1:18090/spec.json", true),
        ("http://localhost:8080/hooks/changed", true),
        ("/relative/path", false),
        ("ftp://files.example.com/spec", false),
        ("orders.example.com", false),
        ("http://", false),
        ("not a url", false),
    ] {
        let object = application(json!({ "healthCheckURL": url }));
        if valid {
            assert_accepted("Application", &object);
        } else {
            assert_rejected(
                "Application",
                &object,
                "must be an absolute http or https URL",
            );
        }
    }
}
