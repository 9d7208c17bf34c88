//! Objects decoded without their managedFields and last-applied annotation are otherwise decoded
//! exactly as before.

use compass_crds::Application;
use k8s_openapi::api::{coordination::v1::Lease, core::v1::Namespace};
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
        json!({ "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application", "metadata": { "annotations": "a" }, "spec": {} }),
        json!({ "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application", "metadata": { "annotations": { "kubectl.kubernetes.io/last-applied-configuration": "a", "x": 2 } }, "spec": {} }),
    ] {
        let text = broken.to_string();
        let plain = serde_json::from_str::<Application>(&text).unwrap_err();
        let lean = serde_json::from_str::<Lean<Application>>(&text).unwrap_err();
        assert_eq!(lean.to_string(), plain.to_string(), "for {text}");
    }
}

#[test]
fn the_last_applied_annotation_is_left_out_and_every_other_one_kept() {
    const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
    let mut value = application_with_managed_fields();
    let applied = value.to_string();
    value["metadata"]["annotations"] =
        json!({ LAST_APPLIED: applied, "compass.kyma-project.io/refetch": "2" });
    let Lean(lean) = serde_json::from_value::<Lean<Application>>(value.clone()).unwrap();
    let annotations = lean.metadata.annotations.clone().unwrap();
    assert_eq!(
        annotations.keys().collect::<Vec<_>>(),
        ["compass.kyma-project.io/refetch"]
    );
    // Everything else as the plain decoder reads it.
    let mut plain: Application = serde_json::from_value(value.clone()).unwrap();
    plain.metadata.managed_fields = None;
    plain
        .metadata
        .annotations
        .as_mut()
        .unwrap()
        .remove(LAST_APPLIED);
    assert_eq!(lean, plain);

    // Written with an escape (`\/`, as some encoders write a slash), on a Kubernetes kind, or
    // as the only annotation: the same.
    let namespace = json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": { "name": "tenant-a", "annotations": { LAST_APPLIED: applied } },
    })
    .to_string()
    .replace("kubectl.kubernetes.io/", "kubectl.kubernetes.io\\/");
    assert!(namespace.contains("kubectl.kubernetes.io\\/last-applied"));
    let Lean(namespace) = serde_json::from_str::<Lean<Namespace>>(&namespace).unwrap();
    assert_eq!(namespace.metadata.annotations, Some(Default::default()));
    assert_eq!(namespace.metadata.name.as_deref(), Some("tenant-a"));

    // Elsewhere than in the metadata's annotations, the key is an ordinary one.
    let mut labelled = application_with_managed_fields();
    labelled["metadata"]["labels"] = json!({ LAST_APPLIED: "kept" });
    let Lean(lean) = serde_json::from_value::<Lean<Application>>(labelled).unwrap();
    assert_eq!(lean.metadata.labels.unwrap()[LAST_APPLIED], "kept");
}
