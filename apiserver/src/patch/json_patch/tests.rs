//! Tests of JSON patch: every operation, the pointer rules, and the exact patches kube-runtime
//! and kubectl send.

use serde_json::{Value, json};

use super::*;

fn widget() -> Value {
    json!({
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w1", "namespace": "default"},
        "spec": {"size": 3, "tags": ["a", "b"]}
    })
}

fn failure(target: &Value, patch: Value) -> (usize, String) {
    match json_patch(target, &patch) {
        Err(PatchError::Operation { index, message, .. }) => (index, message),
        other => panic!("expected an operation error, got {other:?}"),
    }
}

#[test]
fn add_sets_members_and_inserts_or_appends_elements() {
    let patch = json!([
        {"op": "add", "path": "/spec/color", "value": "red"},
        {"op": "add", "path": "/spec/tags/0", "value": "first"},
        {"op": "add", "path": "/spec/tags/-", "value": "last"},
        {"op": "add", "path": "/metadata/labels", "value": {"app": "w"}}
    ]);
    let result = json_patch(&widget(), &patch).unwrap();
    assert_eq!(result["spec"]["color"], "red");
    assert_eq!(result["spec"]["tags"], json!(["first", "a", "b", "last"]));
    assert_eq!(result["metadata"]["labels"], json!({"app": "w"}));
}

#[test]
fn add_beyond_the_end_of_an_array_fails() {
    let (index, message) = failure(
        &widget(),
        json!([{"op": "add", "path": "/spec/tags/5", "value": "x"}]),
    );
    assert_eq!(index, 0);
    assert_eq!(
        message,
        "error in add for path: '/spec/tags/5': Unable to access invalid index: 5: invalid index"
    );
}

#[test]
fn add_under_a_missing_parent_fails() {
    let (_, message) = failure(
        &widget(),
        json!([{"op": "add", "path": "/status/phase", "value": "Ready"}]),
    );
    assert_eq!(
        message,
        "add operation does not apply: doc is missing path: \"/status/phase\": missing value"
    );
}

#[test]
fn remove_deletes_members_and_elements() {
    let patch = json!([
        {"op": "remove", "path": "/spec/size"},
        {"op": "remove", "path": "/spec/tags/0"}
    ]);
    let result = json_patch(&widget(), &patch).unwrap();
    assert_eq!(result["spec"], json!({"tags": ["b"]}));
}

#[test]
fn remove_of_a_missing_member_fails() {
    let (_, message) = failure(&widget(), json!([{"op": "remove", "path": "/spec/color"}]));
    assert_eq!(
        message,
        "error in remove for path: '/spec/color': Unable to remove nonexistent key: color: missing value"
    );
}

#[test]
fn replace_swaps_values_and_adds_absent_members_like_kube() {
    let patch = json!([
        {"op": "replace", "path": "/spec/size", "value": 5},
        {"op": "replace", "path": "/spec/tags/1", "value": "z"},
        {"op": "replace", "path": "/spec/color", "value": "blue"}
    ]);
    let result = json_patch(&widget(), &patch).unwrap();
    assert_eq!(
        result["spec"],
        json!({"size": 5, "tags": ["a", "z"], "color": "blue"})
    );
    let (_, message) = failure(
        &widget(),
        json!([{"op": "replace", "path": "/spec/tags/2", "value": "z"}]),
    );
    assert_eq!(
        message,
        "replace operation does not apply: doc is missing key: /spec/tags/2: missing value"
    );
}

#[test]
fn move_and_copy_relocate_values() {
    let patch = json!([
        {"op": "copy", "from": "/spec/size", "path": "/spec/replicas"},
        {"op": "move", "from": "/spec/tags", "path": "/metadata/tags"}
    ]);
    let result = json_patch(&widget(), &patch).unwrap();
    assert_eq!(result["spec"], json!({"size": 3, "replicas": 3}));
    assert_eq!(result["metadata"]["tags"], json!(["a", "b"]));
    let (_, message) = failure(
        &widget(),
        json!([{"op": "move", "from": "/status/x", "path": "/spec/x"}]),
    );
    assert_eq!(
        message,
        "move operation does not apply: doc is missing from path: /status/x: missing value"
    );
}

#[test]
fn test_passes_on_equal_values_and_compares_numbers_as_floats() {
    let patch = json!([
        {"op": "test", "path": "/spec/size", "value": 3.0},
        {"op": "test", "path": "/spec/tags", "value": ["a", "b"]},
        {"op": "test", "path": "/spec/tags/-1", "value": "b"}
    ]);
    assert_eq!(json_patch(&widget(), &patch).unwrap(), widget());
}

#[test]
fn a_failed_test_names_the_operation_and_path() {
    let patch = json!([
        {"op": "replace", "path": "/spec/size", "value": 4},
        {"op": "test", "path": "/spec/size", "value": 3}
    ]);
    let error = json_patch(&widget(), &patch).unwrap_err();
    assert_eq!(
        error.to_string(),
        "json patch operation 1 (test): testing value /spec/size failed: test failed"
    );
    assert_eq!(error.to_api_error().code, 422);
}

#[test]
fn test_of_an_absent_member_against_null_passes() {
    let patch = json!([{"op": "test", "path": "/spec/color", "value": null}]);
    assert!(json_patch(&widget(), &patch).is_ok());
    let patch = json!([{"op": "test", "path": "/spec/size", "value": null}]);
    assert!(json_patch(&widget(), &patch).is_err());
    let patch = json!([{"op": "test", "path": "/spec/color", "value": "red"}]);
    assert!(json_patch(&widget(), &patch).is_err());
}

#[test]
fn test_under_a_missing_parent_fails() {
    let (_, message) = failure(
        &widget(),
        json!([{"op": "test", "path": "/metadata/finalizers/0", "value": "x"}]),
    );
    assert_eq!(
        message,
        "test operation does not apply: is missing path: /metadata/finalizers/0: missing value"
    );
}

#[test]
fn kube_runtime_finalizer_add_patch_applies_to_an_object_without_finalizers() {
    // kube-api-facts.md §5, sent by kube::runtime::finalizer().
    let patch = json!([
        {"op": "test", "path": "/metadata/finalizers", "value": null},
        {"op": "add", "path": "/metadata/finalizers", "value": ["example.com/cleanup"]}
    ]);
    let result = json_patch(&widget(), &patch).unwrap();
    assert_eq!(
        result["metadata"]["finalizers"],
        json!(["example.com/cleanup"])
    );
    // Sent again, the test fails: the finalizers are no longer null.
    assert!(json_patch(&result, &patch).is_err());
}

#[test]
fn kube_runtime_finalizer_remove_patch_removes_the_tested_finalizer() {
    let mut object = widget();
    object["metadata"]["finalizers"] = json!(["example.com/cleanup"]);
    let patch = json!([
        {"op": "test", "path": "/metadata/finalizers/0", "value": "example.com/cleanup"},
        {"op": "remove", "path": "/metadata/finalizers/0"}
    ]);
    let result = json_patch(&object, &patch).unwrap();
    assert_eq!(result["metadata"]["finalizers"], json!([]));
    // A second controller racing on the same index trips the test instead of removing another.
    let (index, message) = failure(&result, patch);
    assert_eq!(index, 0);
    assert_eq!(
        message,
        "error in test for path: '/metadata/finalizers/0': Unable to access invalid index: 0: invalid index"
    );
}

#[test]
fn escaped_pointers_reach_keys_with_slashes_and_tildes() {
    let patch = json!([
        {"op": "add", "path": "/metadata/annotations", "value": {}},
        {"op": "add", "path": "/metadata/annotations/example.com~1owner", "value": "me"},
        {"op": "add", "path": "/metadata/annotations/a~0b", "value": "tilde"}
    ]);
    let result = json_patch(&widget(), &patch).unwrap();
    assert_eq!(
        result["metadata"]["annotations"],
        json!({"example.com/owner": "me", "a~b": "tilde"})
    );
}

#[test]
fn a_body_that_is_not_a_list_of_operations_is_malformed() {
    let error = json_patch(&widget(), &json!({"op": "add"})).unwrap_err();
    assert_eq!(
        error,
        PatchError::Malformed(
            "json: cannot unmarshal object into Go value of type jsonpatch.Patch".into()
        )
    );
    assert_eq!(error.to_api_error().code, 400);
    let error = json_patch(&widget(), &json!(["add"])).unwrap_err();
    assert!(matches!(error, PatchError::Malformed(_)));
    assert_eq!(json_patch(&widget(), &json!(null)).unwrap(), widget());
}

#[test]
fn unknown_operations_and_missing_paths_are_rejected() {
    let (_, message) = failure(&widget(), json!([{"op": "merge", "path": "/spec"}]));
    assert_eq!(message, "Unexpected kind: merge: unknown object type");
    let (_, message) = failure(&widget(), json!([{"op": "add", "value": 1}]));
    assert_eq!(
        message,
        "add operation failed to decode path: missing value"
    );
    let (_, message) = failure(
        &widget(),
        json!([{"op": "add", "path": "spec", "value": 1}]),
    );
    assert_eq!(
        message,
        "add operation does not apply: doc is missing path: \"spec\": missing value"
    );
}

#[test]
fn replace_of_the_root_swaps_the_document() {
    let patch = json!([{"op": "replace", "path": "", "value": {"kind": "Other"}}]);
    assert_eq!(
        json_patch(&widget(), &patch).unwrap(),
        json!({"kind": "Other"})
    );
}
