//! Objects decoded without their managedFields are otherwise decoded exactly as before.

use compass_crds::Application;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::WatchEvent;
use serde_json::{Value, json};

use super::Lean;

fn application_with_managed_fields() -> Value {
    json!({
        "apiVersion": "compass.kyma-project.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": "orders",
            "namespace": "tenant-a",
            "uid": "5d1e",
            "resourceVersion": "42",
            "labels": { "team": "blue" },
            "managedFields": [{
                "manager": "kubectl",
                "operation": "Apply",
                "apiVersion": "compass.kyma-project.io/v1alpha1",
                "fieldsType": "FieldsV1",
                "fieldsV1": { "f:spec": { "f:description": {}, "f:labels": { "f:team": {} } } },
            }],
        },
        "spec": { "description": "Orders", "labels": { "tier": 1 }, "scenarios": ["DEFAULT"] },
    })
}

/// What the plain decoder makes of `value`, with the managedFields the lean one leaves out.
fn plain_without_managed_fields(value: &Value) -> Value {
    let mut plain: Application = serde_json::from_value(value.clone()).unwrap();
    assert!(
        plain.metadata.managed_fields.is_some(),
        "the input has them"
    );
    plain.metadata.managed_fields = None;
    serde_json::to_value(plain).unwrap()
}

#[test]
fn an_object_decodes_as_before_but_for_its_managed_fields() {
    let value = application_with_managed_fields();
    let text = value.to_string();
    let Lean(lean) = serde_json::from_str::<Lean<Application>>(&text).unwrap();
    assert_eq!(lean.metadata.managed_fields, None);
    assert_eq!(
        serde_json::to_value(&lean).unwrap(),
        plain_without_managed_fields(&value)
    );
    assert_eq!(lean.metadata.labels.unwrap()["team"], "blue");
}

#[test]
fn keys_written_with_escapes_are_read_as_their_text() {
    let value = application_with_managed_fields();
    let text = value
        .to_string()
        .replace("\"metadata\"", "\"meta\\u0064ata\"")
        .replace("\"managedFields\"", "\"managed\\u0046ields\"");
    assert!(text.contains("meta\\u0064ata") && text.contains("managed\\u0046ields"));
    let Lean(lean) = serde_json::from_str::<Lean<Application>>(&text).unwrap();
    assert_eq!(lean.metadata.managed_fields, None);
    assert_eq!(lean.metadata.name.as_deref(), Some("orders"));
}

#[test]
fn watch_events_and_kubernetes_kinds_decode_lean_too() {
    let value = application_with_managed_fields();
    let line = json!({ "type": "MODIFIED", "object": value }).to_string();
    let WatchEvent::Modified(Lean(lean)) =
        serde_json::from_str::<WatchEvent<Lean<Application>>>(&line).unwrap()
    else {
        panic!("a MODIFIED event");
    };
    assert_eq!(
        serde_json::to_value(&lean).unwrap(),
        plain_without_managed_fields(&value)
    );
    // The object after its type, as a stream may send it: read through serde's buffering.
    let line = json!({ "object": value, "type": "ADDED" }).to_string();
    let event = serde_json::from_str::<WatchEvent<Lean<Application>>>(&line).unwrap();
    assert!(matches!(event, WatchEvent::Added(Lean(a)) if a.metadata.managed_fields.is_none()));

    let lease = json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": { "name": "leader", "managedFields": [{ "manager": "operator" }] },
        "spec": { "holderIdentity": "one" },
    });
    let Lean(lease) = serde_json::from_value::<Lean<Lease>>(lease).unwrap();
    assert_eq!(lease.metadata.managed_fields, None);
    assert_eq!(lease.spec.unwrap().holder_identity.as_deref(), Some("one"));
}

#[test]
fn bad_input_is_refused_with_the_same_error_as_before() {
    for broken in [
        json!({ "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application", "metadata": { "name": 5 }, "spec": {} }),
        json!({ "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application", "metadata": [], "spec": {} }),
        json!({ "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application", "metadata": {}, "spec": { "labels": 3 } }),
        json!(["not", "an", "object"]),
    ] {
        let text = broken.to_string();
        let plain = serde_json::from_str::<Application>(&text).unwrap_err();
        let lean = serde_json::from_str::<Lean<Application>>(&text).unwrap_err();
        assert_eq!(lean.to_string(), plain.to_string(), "for {text}");
    }
}
