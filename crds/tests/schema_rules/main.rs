//! The CEL rules in the schemas: they compile, fit the API server's cost budget, and accept and
//! reject what they should, in applications ([`applications`]) and in the identities of tenants,
//! labels and other objects ([`identities`]). Evaluated client-side, with the same Kubernetes CEL
//! libraries.

mod applications;
mod identities;

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
