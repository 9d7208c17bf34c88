//! The rules of names and identities: label keys (and `scenarios`, which is no label), a
//! tenant's namespace, identities that do not change after creation, and no label definition
//! for `scenarios`.

use serde_json::{Value, json};

use super::{application, assert_accepted, assert_rejected, check};

fn tenant(name: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Tenant",
        "metadata": { "name": name }, "spec": spec,
    })
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
