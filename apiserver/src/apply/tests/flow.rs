//! Realistic request sequences: `kubectl apply` then `kubectl apply --server-side`, a controller
//! applying status, and appliers removing what they stop applying.

use serde_json::json;

use super::*;
use crate::apply::LAST_APPLIED_ANNOTATION;

const CSA: &str = "kubectl-client-side-apply";
const CONTROLLER: &str = "application-controller";

/// `manifest` as `kubectl apply` sends it: with the last-applied annotation holding itself.
fn annotated(manifest: &Value) -> Value {
    let mut sent = manifest.clone();
    sent["metadata"]["annotations"] = json!({ LAST_APPLIED_ANNOTATION: format!("{manifest}\n") });
    sent
}

/// The object after `kubectl apply` created it and then patched `description` to "two".
fn client_side_applied() -> Value {
    let first = app(json!({"description": "one", "items": [{"name": "a", "value": "1"}]}));
    let live = update_as(None, annotated(&first), CSA, T1);
    // The second `kubectl apply` sends a merge patch; the handler records the patched object.
    let second = app(json!({"description": "two", "items": [{"name": "a", "value": "1"}]}));
    let mut patched = live.clone();
    patched["spec"]["description"] = json!("two");
    patched["metadata"]["annotations"] = annotated(&second)["metadata"]["annotations"].clone();
    update_as(Some(&live), patched, CSA, T2)
}

#[test]
fn kubectl_server_side_apply_takes_over_from_client_side_apply_without_conflict() {
    let live = client_side_applied();
    let config = app(json!({"description": "three", "items": [{"name": "a", "value": "1"}]}));
    let applied = apply_as(Some(&live), &config, "kubectl", false, T3).unwrap();
    assert_eq!(applied["spec"]["description"], "three");
    assert_eq!(
        fields(&applied, CSA, "Update"),
        json!({
            "f:metadata": {"f:annotations": {"f:kubectl.kubernetes.io/last-applied-configuration": {}}},
            "f:spec": {"f:items": {"k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:value": {}}}}
        })
    );
    assert_eq!(
        fields(&applied, "kubectl", "Apply"),
        json!({"f:spec": {
            "f:description": {},
            "f:items": {"k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:value": {}}}
        }})
    );
    // The annotation follows the server-side applied configuration, so going back to
    // client-side apply computes its patch from what is really applied.
    assert_eq!(
        applied["metadata"]["annotations"][LAST_APPLIED_ANNOTATION],
        format!("{config}\n")
    );
    let again = apply_as(Some(&applied), &config, "kubectl", false, T4).unwrap();
    assert_eq!(again, applied);
}

#[test]
fn another_field_manager_conflicts_with_client_side_apply_until_it_forces() {
    let live = client_side_applied();
    let config = app(json!({"description": "three"}));
    let conflicts = apply_as(Some(&live), &config, "compass-cli", false, T3).unwrap_err();
    let error = conflicts.into_api_error();
    assert_eq!(
        error.message,
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using \
         compass.kyma-project.io/v1alpha1: .spec.description"
    );
    let cause = &error.status()["details"]["causes"][0];
    assert_eq!(cause["reason"], "FieldManagerConflict");
    assert_eq!(
        cause["message"],
        "conflict with \"kubectl-client-side-apply\" using compass.kyma-project.io/v1alpha1"
    );
    assert_eq!(cause["field"], ".spec.description");

    let forced = apply_as(Some(&live), &config, "compass-cli", true, T3).unwrap();
    assert_eq!(forced["spec"]["description"], "three");
    assert_eq!(
        fields(&forced, "compass-cli", "Apply"),
        json!({"f:spec": {"f:description": {}}})
    );
    assert_eq!(
        fields(&forced, CSA, "Update")["f:spec"].get("f:description"),
        None
    );
}

#[test]
fn kubectl_conflicts_with_client_side_apply_once_the_annotation_is_gone() {
    let live = client_side_applied();
    let mut stripped = live.clone();
    stripped["metadata"]["annotations"] = json!({});
    let live = update_as(Some(&live), stripped, "kubectl-annotate", T3);
    let config = app(json!({"description": "three"}));
    let conflicts = apply_as(Some(&live), &config, "kubectl", false, T4).unwrap_err();
    assert_eq!(
        conflicts.to_string(),
        "Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using \
         compass.kyma-project.io/v1alpha1: .spec.description"
    );
}

#[test]
fn a_controller_applying_status_never_conflicts_with_spec_managers() {
    let live = apply_as(
        None,
        &app(json!({"description": "d"})),
        "kubectl",
        false,
        T1,
    )
    .unwrap();
    let status = json!({"phase": "Pending", "conditions": [
        {"type": "Ready", "status": "False"}, {"type": "Synced", "status": "True"}
    ]});
    let live = apply_status(&live, status.clone(), CONTROLLER, T2);
    let entry = entry(&live, CONTROLLER, "Apply").unwrap();
    assert_eq!(entry["subresource"], "status");
    assert_eq!(
        entry["fieldsV1"],
        json!({"f:status": {"f:phase": {}, "f:conditions": {
            "k:{\"type\":\"Ready\"}": {".": {}, "f:type": {}, "f:status": {}},
            "k:{\"type\":\"Synced\"}": {".": {}, "f:type": {}, "f:status": {}}
        }}})
    );
    // The controller's own status change makes it reconcile again; the identical apply must not
    // change the object, or it would loop.
    assert_eq!(apply_status(&live, status, CONTROLLER, T3), live);

    // A user changes the spec: the status and its owner are untouched.
    let config = app(json!({"description": "e"}));
    let live = apply_as(Some(&live), &config, "kubectl", false, T3).unwrap();
    assert_eq!(live["status"]["phase"], "Pending");
    assert!(fields(&live, CONTROLLER, "Apply")["f:status"].is_object());

    // A condition the controller stops reporting goes away.
    let status = json!({"phase": "Ready", "conditions": [{"type": "Ready", "status": "True"}]});
    let live = apply_status(&live, status, CONTROLLER, T4);
    assert_eq!(
        live["status"],
        json!({"phase": "Ready", "conditions": [{"type": "Ready", "status": "True"}]})
    );
    assert_eq!(live["spec"], json!({"description": "e"}));
    assert_eq!(
        fields(&live, "kubectl", "Apply"),
        json!({"f:spec": {"f:description": {}}})
    );
}

#[test]
fn an_applier_removes_the_fields_items_and_set_values_it_stops_applying() {
    let spec = json!({
        "description": "d",
        "items": [{"name": "a", "value": "1"}, {"name": "b", "value": "2"}],
        "tags": ["x", "y"]
    });
    let live = apply_as(None, &app(spec), "kubectl", false, T1).unwrap();
    // A controller fills in a field of item `a` with an ordinary patch.
    let mut patched = live.clone();
    patched["spec"]["items"][0]["extra"] = json!("e");
    let live = update_as(Some(&live), patched, CONTROLLER, T2);

    let config = app(json!({"items": [{"name": "a", "value": "1"}], "tags": ["x"]}));
    let live = apply_as(Some(&live), &config, "kubectl", false, T3).unwrap();
    assert_eq!(
        live["spec"],
        json!({"items": [{"name": "a", "value": "1", "extra": "e"}], "tags": ["x"]})
    );
    assert_eq!(
        fields(&live, CONTROLLER, "Update"),
        json!({"f:spec": {"f:items": {"k:{\"name\":\"a\"}": {"f:extra": {}}}}})
    );
}

#[test]
fn a_second_status_writer_without_force_conflicts_with_the_controller_by_subresource() {
    let live = apply_as(
        None,
        &app(json!({"description": "d"})),
        "kubectl",
        false,
        T1,
    )
    .unwrap();
    let live = apply_status(&live, json!({"phase": "Pending"}), CONTROLLER, T2);
    let rules = rules();
    let request = ApplyRequest {
        manager: "debugger",
        force: false,
        api_version: GV,
        time: T3,
        subresource: Some("status"),
        rules: &rules,
    };
    let config = json!({
        "apiVersion": GV, "kind": "Application", "metadata": {"name": "a"},
        "status": {"phase": "Failed"}
    });
    let conflicts = apply(Some(&live), &config, &request).unwrap_err();
    assert_eq!(
        conflicts.to_string(),
        "Apply failed with 1 conflict: conflict with \"application-controller\" with \
         subresource \"status\": .status.phase"
    );
}

#[test]
fn kubectl_saves_the_annotation_under_its_own_manager_and_migrates_client_side_entries() {
    let live = client_side_applied();
    let config = app(json!({"description": "two", "items": [{"name": "a", "value": "1"}]}));
    let live = apply_as(Some(&live), &config, "kubectl", false, T3).unwrap();
    // kubectl then applies just the annotation the server keeps, as `kubectl-last-applied`.
    let annotation = live["metadata"]["annotations"].clone();
    let just_annotation = json!({
        "apiVersion": GV, "kind": "Application",
        "metadata": {"name": "a", "namespace": "default", "annotations": annotation}
    });
    let saved = apply_as(
        Some(&live),
        &just_annotation,
        "kubectl-last-applied",
        false,
        T4,
    )
    .unwrap();
    assert_eq!(content(&saved), content(&live));
    let entry = entry(&saved, "kubectl-last-applied", "Apply").unwrap();
    // Nothing changed, so like kube-apiserver the new entry carries no time.
    assert_eq!(entry.get("time"), None);

    // Finally kubectl moves the client-side entries into its own with a JSON patch of
    // managedFields, which the handler records as an ordinary update.
    let mut migrated = saved.clone();
    let mut merged = fields(&saved, "kubectl", "Apply");
    merged["f:metadata"] = fields(&saved, CSA, "Update")["f:metadata"].clone();
    let saved_entry = saved["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["manager"] == "kubectl-last-applied")
        .unwrap()
        .clone();
    // Listed in kube-apiserver's order: appliers by time, an entry without time first.
    migrated["metadata"]["managedFields"] = json!([
        saved_entry,
        {"manager": "kubectl", "operation": "Apply", "apiVersion": GV, "time": T3,
         "fieldsType": "FieldsV1", "fieldsV1": merged}
    ]);
    let recorded = update_as(Some(&saved), migrated.clone(), "kubectl", T4);
    assert_eq!(recorded, migrated);
}
