//! Tests of strategic merge patch with the patches kubectl and client-go send for the built-in
//! kinds, and the directives apimachinery defines.

use serde_json::{Value, json};

use super::*;

fn config_map() -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": "settings",
            "namespace": "default",
            "labels": {"app": "compass", "tier": "backend"},
            "annotations": {"note": "keep"},
            "finalizers": ["a.example.com/x", "b.example.com/y"],
            "ownerReferences": [
                {"apiVersion": "v1", "kind": "Secret", "name": "one", "uid": "1", "controller": true},
                {"apiVersion": "v1", "kind": "Secret", "name": "two", "uid": "2"}
            ]
        },
        "data": {"a": "1", "c": "3"}
    })
}

fn patched(patch: Value) -> Value {
    strategic_merge_patch(&config_map(), &patch).unwrap()
}

fn uids(object: &Value) -> Vec<&str> {
    object["metadata"]["ownerReferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["uid"].as_str().unwrap())
        .collect()
}

#[test]
fn label_changes_merge_into_the_live_labels() {
    // What `kubectl label cm settings tier=frontend owner=ops app-` sends.
    let result =
        patched(json!({"metadata": {"labels": {"tier": "frontend", "owner": "ops", "app": null}}}));
    assert_eq!(
        result["metadata"]["labels"],
        json!({"tier": "frontend", "owner": "ops"})
    );
    assert_eq!(result["data"], json!({"a": "1", "c": "3"}));
}

#[test]
fn finalizers_merge_as_a_union_with_new_ones_first() {
    let result =
        patched(json!({"metadata": {"finalizers": ["a.example.com/x", "c.example.com/z"]}}));
    // apimachinery's order: patch items in patch order, a live-only item goes before a patch
    // item only when it was before it in the live list.
    assert_eq!(
        result["metadata"]["finalizers"],
        json!(["a.example.com/x", "c.example.com/z", "b.example.com/y"])
    );
    let result = patched(json!({"metadata": {"finalizers": ["c.example.com/z"]}}));
    assert_eq!(
        result["metadata"]["finalizers"],
        json!(["c.example.com/z", "a.example.com/x", "b.example.com/y"])
    );
}

#[test]
fn owner_references_merge_by_uid() {
    let result = patched(json!({"metadata": {"ownerReferences": [
        {"uid": "2", "blockOwnerDeletion": true},
        {"apiVersion": "v1", "kind": "Secret", "name": "three", "uid": "3"}
    ]}}));
    assert_eq!(uids(&result), ["1", "2", "3"]);
    let refs = &result["metadata"]["ownerReferences"];
    assert_eq!(refs[0]["controller"], true);
    assert_eq!(refs[1]["name"], "two");
    assert_eq!(refs[1]["blockOwnerDeletion"], true);
}

#[test]
fn patch_delete_removes_a_list_item_by_key_or_a_whole_map() {
    let result = patched(json!({"metadata": {
        "ownerReferences": [{"$patch": "delete", "uid": "1"}],
        "annotations": {"$patch": "delete"}
    }}));
    assert_eq!(uids(&result), ["2"]);
    assert!(result["metadata"].get("annotations").is_none());
}

#[test]
fn patch_replace_replaces_a_map_or_a_merging_list() {
    let result = patched(json!({"metadata": {
        "labels": {"$patch": "replace", "only": "this"},
        "ownerReferences": [{"$patch": "replace"}, {"uid": "9", "name": "nine"}]
    }}));
    assert_eq!(result["metadata"]["labels"], json!({"only": "this"}));
    assert_eq!(
        result["metadata"]["ownerReferences"],
        json!([{"uid": "9", "name": "nine"}])
    );
}

#[test]
fn patch_replace_at_the_top_replaces_the_object() {
    let result = patched(json!({"$patch": "replace", "kind": "ConfigMap", "data": {"x": "y"}}));
    assert_eq!(result, json!({"kind": "ConfigMap", "data": {"x": "y"}}));
}

#[test]
fn delete_from_primitive_list_removes_finalizers() {
    let result =
        patched(json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a.example.com/x"]}}));
    assert_eq!(result["metadata"]["finalizers"], json!(["b.example.com/y"]));
    assert!(
        !result["metadata"]
            .as_object()
            .unwrap()
            .keys()
            .any(|k| k.starts_with('$'))
    );
}

#[test]
fn kubectl_apply_three_way_patch_removing_a_finalizer_keeps_the_order() {
    // `kubectl apply` after dropping a finalizer from the manifest.
    let result = patched(json!({"metadata": {
        "$deleteFromPrimitiveList/finalizers": ["a.example.com/x"],
        "$setElementOrder/finalizers": ["b.example.com/y", "c.example.com/z"],
        "finalizers": ["c.example.com/z"]
    }}));
    assert_eq!(
        result["metadata"]["finalizers"],
        json!(["b.example.com/y", "c.example.com/z"])
    );
}

#[test]
fn retain_keys_drops_unlisted_live_members() {
    let result = patched(json!({"data": {"$retainKeys": ["a", "b"], "b": "2"}}));
    assert_eq!(result["data"], json!({"a": "1", "b": "2"}));
}

#[test]
fn retain_keys_must_list_every_patched_member() {
    let error = strategic_merge_patch(
        &config_map(),
        &json!({"data": {"$retainKeys": ["a"], "b": "2"}}),
    )
    .unwrap_err();
    assert_eq!(
        error,
        PatchError::Unprocessable("patch content doesn't match retainKeys list".into())
    );
    assert_eq!(error.to_api_error().code, 422);
    let error =
        strategic_merge_patch(&config_map(), &json!({"data": {"$retainKeys": "a"}})).unwrap_err();
    assert_eq!(error.to_api_error().code, 400);
}

#[test]
fn set_element_order_orders_a_merged_primitive_list() {
    let result = patched(json!({"metadata": {
        "$setElementOrder/finalizers": ["b.example.com/y", "c.example.com/z", "a.example.com/x"],
        "finalizers": ["c.example.com/z"]
    }}));
    assert_eq!(
        result["metadata"]["finalizers"],
        json!(["b.example.com/y", "c.example.com/z", "a.example.com/x"])
    );
}

#[test]
fn set_element_order_alone_reorders_keyed_items() {
    let result = patched(json!({"metadata": {
        "$setElementOrder/ownerReferences": [{"uid": "2"}, {"uid": "1"}]
    }}));
    assert_eq!(uids(&result), ["2", "1"]);
    assert_eq!(result["metadata"]["ownerReferences"][1]["controller"], true);
}

#[test]
fn set_element_order_must_agree_with_the_patch_list() {
    let error = strategic_merge_patch(
        &config_map(),
        &json!({"metadata": {
            "$setElementOrder/finalizers": ["a.example.com/x"],
            "finalizers": ["c.example.com/z"]
        }}),
    )
    .unwrap_err();
    assert!(matches!(error, PatchError::Malformed(_)), "{error:?}");
}

#[test]
fn lists_without_a_strategy_are_replaced() {
    let namespace = json!({
        "kind": "Namespace",
        "metadata": {"name": "acme"},
        "spec": {"finalizers": ["kubernetes"]},
        "status": {"conditions": [{"type": "A", "status": "True"}]}
    });
    let result = strategic_merge_patch(
        &namespace,
        &json!({
            "spec": {"finalizers": ["other"]},
            "status": {"conditions": [{"type": "B", "status": "False"}]}
        }),
    )
    .unwrap();
    assert_eq!(result["spec"]["finalizers"], json!(["other"]));
    // NamespaceStatus.Conditions merges by type.
    assert_eq!(
        result["status"]["conditions"],
        json!([{"type": "B", "status": "False"}, {"type": "A", "status": "True"}])
    );
    let crd =
        json!({"kind": "CustomResourceDefinition", "status": {"conditions": [{"type": "A"}]}});
    let result =
        strategic_merge_patch(&crd, &json!({"status": {"conditions": [{"type": "B"}]}})).unwrap();
    assert_eq!(result["status"]["conditions"], json!([{"type": "B"}]));
}

#[test]
fn directives_never_reach_the_result() {
    let bare = json!({"kind": "Secret", "metadata": {"name": "s"}});
    let result = strategic_merge_patch(
        &bare,
        &json!({"metadata": {
            "$setElementOrder/finalizers": ["x"],
            "finalizers": ["x"],
            "ownerReferences": [{"$patch": "delete", "uid": "0"}, {"uid": "1", "extra": null}],
            "labels": {"$patch": "replace", "a": "b", "gone": null},
            "annotations": {"$retainKeys": ["k"], "k": "v"}
        }}),
    )
    .unwrap();
    assert_eq!(
        result,
        json!({"kind": "Secret", "metadata": {
            "name": "s",
            "finalizers": ["x"],
            "ownerReferences": [{"uid": "1"}],
            "labels": {"a": "b"},
            "annotations": {"k": "v"}
        }})
    );
}

#[test]
fn unknown_directives_are_bad_requests() {
    for patch in [
        json!({"metadata": {"$foo": 1}}),
        json!({"metadata": {"labels": {"$patch": "bogus"}}}),
        json!({"metadata": {"ownerReferences": [{"$patch": "bogus", "uid": "1"}]}}),
        json!({"metadata": {"$deleteFromPrimitiveList": ["a"]}}),
        json!({"metadata": {"$deleteFromPrimitiveList/finalizers": "a"}}),
        json!(["not", "an", "object"]),
    ] {
        let error = strategic_merge_patch(&config_map(), &patch).unwrap_err();
        assert_eq!(error.to_api_error().code, 400, "{patch}: {error}");
    }
}

#[test]
fn keyed_items_without_their_key_are_rejected() {
    let error = strategic_merge_patch(
        &config_map(),
        &json!({"metadata": {"ownerReferences": [{"name": "no-uid"}]}}),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        r#"map: {"name":"no-uid"} does not contain declared merge key: uid"#
    );
}
