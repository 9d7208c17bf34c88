//! The CEL rules in the schemas: they compile, fit the API server's cost budget, and accept and
//! reject what they should. Evaluated client-side, with the same Kubernetes CEL libraries.

use kube::core::cel::{ScopeContext, Validator, WarningKind, analyze_rule, compile_schema};
use serde_json::{Value, json};

/// The OpenAPI schema of a kind, as installed.
fn schema_of(kind: &str) -> Value {
    let crd = compass_crds::all_crds()
        .into_iter()
        .find(|crd| crd.spec.names.kind == kind)
        .unwrap_or_else(|| panic!("no CRD for {kind}"));
    let schema = crd.spec.versions[0]
        .schema
        .as_ref()
        .unwrap()
        .open_api_v3_schema
        .as_ref()
        .unwrap();
    serde_json::to_value(schema).unwrap()
}

/// Runs the CEL rules of `kind` on `object` (and `old` for updates); returns `path: message` lines.
fn check(kind: &str, object: &Value, old: Option<&Value>) -> Result<(), Vec<String>> {
    Validator::new()
        .validate(&schema_of(kind), object, old)
        .map_err(|errors| errors.iter().map(ToString::to_string).collect())
}

fn assert_rejected(kind: &str, object: &Value, expected: &str) {
    match check(kind, object, None) {
        Ok(()) => panic!("{kind} was accepted, expected `{expected}`: {object:#}"),
        Err(errors) => assert!(
            errors.iter().any(|e| e.contains(expected)),
            "expected `{expected}` among {errors:#?}"
        ),
    }
}

fn assert_accepted(kind: &str, object: &Value) {
    if let Err(errors) = check(kind, object, None) {
        panic!("{kind} was rejected: {errors:#?}\n{object:#}");
    }
}

fn application(spec: Value) -> Value {
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1",
        "kind": "Application",
        "metadata": { "name": "orders", "namespace": "acme" },
        "spec": spec,
    })
}

fn api_with_spec(spec: Value) -> Value {
    application(json!({
        "apiDefinitions": [{ "name": "orders", "targetURL": "https://orders.example.com", "spec": spec }]
    }))
}

fn api_with_auth(credential: Value) -> Value {
    application(json!({
        "apiDefinitions": [{
            "name": "orders",
            "targetURL": "https://orders.example.com",
            "defaultAuth": { "credential": credential },
        }]
    }))
}

/// Every `x-kubernetes-validations` rule in a schema tree, with the node that carries it.
fn rules_in(node: &Value, out: &mut Vec<(String, Value)>) {
    if let Some(rules) = node
        .get("x-kubernetes-validations")
        .and_then(Value::as_array)
    {
        for rule in rules {
            out.push((rule["rule"].as_str().unwrap().to_owned(), node.clone()));
        }
    }
    match node {
        Value::Object(map) => map.values().for_each(|child| rules_in(child, out)),
        Value::Array(items) => items.iter().for_each(|child| rules_in(child, out)),
        _ => {}
    }
}

#[test]
fn every_rule_compiles_and_fits_the_cost_budget() {
    let mut checked = 0;
    for crd in compass_crds::all_crds() {
        let schema = schema_of(&crd.spec.names.kind);
        let mut rules = Vec::new();
        rules_in(&schema, &mut rules);
        for (rule, node) in rules {
            let compiled = compile_schema(&node);
            assert!(
                !compiled.has_errors(),
                "{}: `{rule}` does not compile",
                crd.spec.names.kind
            );
            let problems: Vec<_> = analyze_rule(&rule, &compiled, ScopeContext::CrdValidation)
                .into_iter()
                // The scope check misreads comprehension variables (`k` in `self.all(k, ...)`), so
                // only the cost estimate is held against the rules here.
                .filter(|w| w.kind == WarningKind::CostExceeded)
                .collect();
            assert!(
                problems.is_empty(),
                "{}: `{rule}`: {problems:#?}",
                crd.spec.names.kind
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 20,
        "only {checked} rules found; the schemas lost their validations"
    );
}

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

#[test]
fn label_keys_are_bounded_and_scenarios_are_not_a_label() {
    let labels = |labels: Value| application(json!({ "labels": labels }));
    assert_accepted(
        "Application",
        &labels(json!({ "region": "eu", "tier": { "level": 1 } })),
    );
    assert_rejected(
        "Application",
        &labels(json!({ "scenarios": ["DEFAULT"] })),
        "scenarios are listed in spec.scenarios",
    );
    assert_rejected(
        "Application",
        &labels(json!({ "": 1 })),
        "label keys must be 1 to 256",
    );
    assert_rejected(
        "Runtime",
        &json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Runtime",
            "metadata": { "name": "prod" }, "spec": { "labels": { "k".repeat(257): true } },
        }),
        "label keys must be 1 to 256",
    );
    assert_accepted(
        "Application",
        &labels(json!({ "runtime/event_service_url": 1, "my key": 2, "Ä": 3 })),
    );
}

fn tenant(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Tenant",
        "metadata": { "name": name }, "spec": spec,
    })
}

#[test]
fn a_tenant_never_takes_a_system_namespace() {
    let message = "may not be a system namespace";
    for namespace in ["compass-system", "kube-flow", "kube-public"] {
        assert_rejected(
            "Tenant",
            &tenant(
                "acme",
                json!({ "externalId": "t-1", "namespace": namespace }),
            ),
            message,
        );
    }
    assert_rejected(
        "Tenant",
        &tenant("default", json!({ "externalId": "t-1" })),
        message,
    );
    assert_rejected(
        "Tenant",
        &tenant(
            "acme",
            json!({ "externalId": "t-1", "namespace": "kube-system" }),
        ),
        message,
    );
    assert_accepted(
        "Tenant",
        &tenant(
            "default",
            json!({ "externalId": "t-1", "namespace": "acme" }),
        ),
    );
    assert_accepted("Tenant", &tenant("acme", json!({ "externalId": "t-1" })));
}

#[test]
fn identities_do_not_change_after_creation() {
    let old = tenant("acme", json!({ "externalId": "t-1" }));
    let renamed = tenant("acme", json!({ "externalId": "t-2" }));
    let moved = tenant(
        "acme",
        json!({ "externalId": "t-1", "namespace": "elsewhere" }),
    );
    let relabelled = tenant(
        "acme",
        json!({ "externalId": "t-1", "displayName": "ACME" }),
    );
    let errors = check("Tenant", &renamed, Some(&old)).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("externalId cannot be changed")),
        "{errors:#?}"
    );
    let errors = check("Tenant", &moved, Some(&old)).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("namespace cannot be changed")),
        "{errors:#?}"
    );
    assert!(check("Tenant", &relabelled, Some(&old)).is_ok());

    let scenario = |name: Option<&str>| {
        let mut spec = json!({ "description": "EMEA sales" });
        if let Some(name) = name {
            spec["name"] = json!(name);
        }
        json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Scenario",
            "metadata": { "name": "sales-emea", "namespace": "acme" }, "spec": spec,
        })
    };
    let errors = check(
        "Scenario",
        &scenario(Some("Sales")),
        Some(&scenario(Some("Sales EMEA"))),
    )
    .unwrap_err();
    assert!(
        errors.iter().any(|e| e.contains("name cannot be changed")),
        "{errors:#?}"
    );
    assert!(
        check(
            "Scenario",
            &scenario(Some("Sales EMEA")),
            Some(&scenario(None))
        )
        .is_err()
    );
    assert!(check("Scenario", &scenario(None), Some(&scenario(None))).is_ok());

    let system_auth = |kind: &str| {
        json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "SystemAuth",
            "metadata": { "name": "agent", "namespace": "acme" },
            "spec": { "subject": { "kind": kind, "name": "prod" } },
        })
    };
    let errors = check(
        "SystemAuth",
        &system_auth("Application"),
        Some(&system_auth("Runtime")),
    )
    .unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("subject cannot be changed")),
        "{errors:#?}"
    );
}

#[test]
fn the_scenarios_label_has_no_label_definition() {
    let definition = |name: &str, key: Option<&str>| {
        let mut spec = json!({});
        if let Some(key) = key {
            spec["key"] = json!(key);
        }
        json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "LabelDefinition",
            "metadata": { "name": name, "namespace": "acme" }, "spec": spec,
        })
    };
    let message = "the scenarios label is governed by Scenario objects";
    assert_rejected("LabelDefinition", &definition("scenarios", None), message);
    assert_rejected(
        "LabelDefinition",
        &definition("other", Some("scenarios")),
        message,
    );
    assert_accepted("LabelDefinition", &definition("region", None));
    assert_accepted(
        "LabelDefinition",
        &definition("event-url", Some("runtime/event_service_url")),
    );
}
