//! Apply semantics: creation, no-ops, shared ownership, conflicts, force and pruning.

use serde_json::json;

use super::*;

#[test]
fn creating_by_apply_stores_the_configuration_with_one_apply_entry() {
    let config = app(json!({"description": "d", "items": [{"name": "x", "value": "1"}]}));
    let created = apply_as(None, &config, "alice", false, T1).unwrap();
    assert_eq!(content(&created), config);
    assert_eq!(
        created["metadata"]["managedFields"],
        json!([{
            "manager": "alice",
            "operation": "Apply",
            "apiVersion": GV,
            "time": T1,
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:spec": {
                "f:description": {},
                "f:items": {"k:{\"name\":\"x\"}": {".": {}, "f:name": {}, "f:value": {}}}
            }}
        }])
    );
}

#[test]
fn applying_the_same_configuration_again_changes_nothing_not_even_the_time() {
    let config = app(json!({"description": "d", "tags": ["a"]}));
    let created = apply_as(None, &config, "alice", false, T1).unwrap();
    let again = apply_as(Some(&created), &config, "alice", false, T2).unwrap();
    assert_eq!(again, created);
}

#[test]
fn applying_a_changed_value_refreshes_the_time_of_the_applier() {
    let created = apply_as(None, &app(json!({"description": "d"})), "alice", false, T1).unwrap();
    let changed = apply_as(
        Some(&created),
        &app(json!({"description": "e"})),
        "alice",
        false,
        T2,
    )
    .unwrap();
    assert_eq!(changed["spec"]["description"], "e");
    assert_eq!(entry(&changed, "alice", "Apply").unwrap()["time"], T2);
}

#[test]
fn a_second_manager_applying_the_same_value_shares_ownership_without_conflict() {
    let config = app(json!({"description": "d"}));
    let created = apply_as(None, &config, "alice", false, T1).unwrap();
    let shared = apply_as(Some(&created), &config, "bob", false, T2).unwrap();
    let owned = json!({"f:spec": {"f:description": {}}});
    assert_eq!(fields(&shared, "alice", "Apply"), owned);
    assert_eq!(fields(&shared, "bob", "Apply"), owned);
}

#[test]
fn changing_a_field_another_applier_owns_conflicts_with_kube_apiserver_wording() {
    let created = apply_as(None, &app(json!({"description": "d"})), "alice", false, T1).unwrap();
    let conflicts = apply_as(
        Some(&created),
        &app(json!({"description": "e"})),
        "bob",
        false,
        T2,
    )
    .unwrap_err();
    let error = conflicts.into_api_error();
    assert_eq!(error.code, 409);
    assert_eq!(error.reason, "Conflict");
    assert_eq!(
        error.message,
        r#"Apply failed with 1 conflict: conflict with "alice": .spec.description"#
    );
    let status = error.status();
    assert_eq!(
        status["details"],
        json!({"causes": [{
            "reason": "FieldManagerConflict",
            "message": "conflict with \"alice\"",
            "field": ".spec.description"
        }]})
    );
}

#[test]
fn several_conflicts_are_grouped_by_manager_in_the_message() {
    let spec = json!({"description": "d", "items": [{"name": "a", "value": "1"}]});
    let live = apply_as(None, &app(spec), "alice", false, T1).unwrap();
    let mut edited = live.clone();
    edited["spec"]["args"] = json!(["x"]);
    let live = update_as(Some(&live), edited, "bob", T2);
    let config = app(json!({
        "description": "e", "items": [{"name": "a", "value": "2"}], "args": ["y"]
    }));
    let conflicts = apply_as(Some(&live), &config, "carol", false, T3).unwrap_err();
    let fields: Vec<&str> = conflicts.iter().map(|c| c.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            ".spec.description",
            ".spec.items[name=\"a\"].value",
            ".spec.args"
        ]
    );
    assert_eq!(
        conflicts.into_api_error().message,
        format!(
            "Apply failed with 3 conflicts: conflicts with \"alice\":\n\
             - .spec.description\n\
             - .spec.items[name=\"a\"].value\n\
             conflicts with \"bob\" using {GV}:\n\
             - .spec.args"
        )
    );
}

#[test]
fn force_moves_ownership_of_conflicting_fields() {
    let spec = json!({"description": "d", "tags": ["x"]});
    let live = apply_as(None, &app(spec), "alice", false, T1).unwrap();
    let forced = apply_as(
        Some(&live),
        &app(json!({"description": "e"})),
        "bob",
        true,
        T2,
    )
    .unwrap();
    assert_eq!(forced["spec"]["description"], "e");
    assert_eq!(
        fields(&forced, "alice", "Apply"),
        json!({"f:spec": {"f:tags": {"v:\"x\"": {}}}})
    );
    assert_eq!(
        fields(&forced, "bob", "Apply"),
        json!({"f:spec": {"f:description": {}}})
    );
}

#[test]
fn fields_a_manager_stops_applying_are_removed_unless_someone_else_owns_them() {
    let spec = json!({"description": "d", "labels": {"a": "1", "b": "2"}});
    let live = apply_as(None, &app(spec), "alice", false, T1).unwrap();
    let live = apply_as(
        Some(&live),
        &app(json!({"labels": {"b": "2"}})),
        "bob",
        false,
        T2,
    )
    .unwrap();
    let pruned = apply_as(Some(&live), &app(json!({})), "alice", false, T3).unwrap();
    assert_eq!(pruned["spec"], json!({"labels": {"b": "2"}}));
    assert_eq!(entry(&pruned, "alice", "Apply"), None);
    assert_eq!(
        fields(&pruned, "bob", "Apply"),
        json!({"f:spec": {"f:labels": {"f:b": {}}}})
    );
}

#[test]
fn a_list_map_item_an_applier_drops_is_removed_and_the_rest_keep_their_order() {
    let items = json!([{"name": "a"}, {"name": "b", "value": "1"}, {"name": "c"}]);
    let live = apply_as(None, &app(json!({"items": items})), "alice", false, T1).unwrap();
    let config = app(json!({"items": [{"name": "c"}, {"name": "a"}]}));
    let pruned = apply_as(Some(&live), &config, "alice", false, T2).unwrap();
    assert_eq!(
        pruned["spec"]["items"],
        json!([{"name": "a"}, {"name": "c"}])
    );
    assert_eq!(
        fields(&pruned, "alice", "Apply"),
        json!({"f:spec": {"f:items": {
            "k:{\"name\":\"a\"}": {".": {}, "f:name": {}},
            "k:{\"name\":\"c\"}": {".": {}, "f:name": {}}
        }}})
    );
}

#[test]
fn set_values_union_and_a_dropped_value_goes_only_when_nobody_else_applies_it() {
    let live = apply_as(None, &app(json!({"tags": ["x", "y"]})), "alice", false, T1).unwrap();
    let live = apply_as(
        Some(&live),
        &app(json!({"tags": ["y", "z"]})),
        "bob",
        false,
        T2,
    )
    .unwrap();
    assert_eq!(live["spec"]["tags"], json!(["x", "y", "z"]));
    let live = apply_as(
        Some(&live),
        &app(json!({"tags": ["x"]})),
        "alice",
        false,
        T3,
    )
    .unwrap();
    assert_eq!(live["spec"]["tags"], json!(["x", "y", "z"]));
    let live = apply_as(Some(&live), &app(json!({"tags": []})), "bob", false, T4).unwrap();
    assert_eq!(live["spec"]["tags"], json!(["x"]));
    assert_eq!(entry(&live, "bob", "Apply"), None);
}

#[test]
fn atomic_objects_and_lists_are_replaced_and_owned_whole() {
    let spec = json!({"auth": {"user": "u", "token": "t"}, "args": ["1", "2"]});
    let live = apply_as(None, &app(spec), "alice", false, T1).unwrap();
    assert_eq!(
        fields(&live, "alice", "Apply"),
        json!({"f:spec": {"f:auth": {}, "f:args": {}}})
    );
    let config = app(json!({"auth": {"user": "v"}, "args": ["3"]}));
    let live = apply_as(Some(&live), &config, "alice", false, T2).unwrap();
    assert_eq!(live["spec"], json!({"auth": {"user": "v"}, "args": ["3"]}));
}

#[test]
fn an_object_without_managed_fields_is_credited_to_before_first_apply() {
    let live = app(json!({"description": "d", "args": ["1"]}));
    let conflicts = apply_as(
        Some(&live),
        &app(json!({"description": "e"})),
        "alice",
        false,
        T1,
    )
    .unwrap_err();
    assert_eq!(
        conflicts.to_string(),
        format!(
            "Apply failed with 1 conflict: conflict with \"before-first-apply\" using {GV}: \
             .spec.description"
        )
    );
    let same = apply_as(
        Some(&live),
        &app(json!({"args": ["1"]})),
        "alice",
        false,
        T1,
    )
    .unwrap();
    assert_eq!(
        fields(&same, "before-first-apply", "Update"),
        json!({"f:spec": {"f:description": {}, "f:args": {}}})
    );
    assert_eq!(
        fields(&same, "alice", "Apply"),
        json!({"f:spec": {"f:args": {}}})
    );
}

#[test]
fn built_in_kinds_merge_maps_granularly_lists_atomically_and_finalizers_as_a_set() {
    let rules = MergeRules::from_schema(None);
    let request = |manager| ApplyRequest {
        manager,
        force: false,
        api_version: "v1",
        time: T1,
        subresource: None,
        rules: &rules,
    };
    let config = |finalizer: &str, data: Value| {
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "c", "finalizers": [finalizer],
                         "ownerReferences": [{"uid": "u1", "name": "o"}]},
            "data": data
        })
    };
    let live = apply(None, &config("a/x", json!({"k": "1"})), &request("m1")).unwrap();
    let live = apply(
        Some(&live),
        &config("b/y", json!({"l": "2"})),
        &request("m2"),
    )
    .unwrap();
    assert_eq!(live["metadata"]["finalizers"], json!(["a/x", "b/y"]));
    assert_eq!(live["data"], json!({"k": "1", "l": "2"}));
    assert_eq!(
        fields(&live, "m2", "Apply"),
        json!({
            "f:metadata": {
                "f:finalizers": {"v:\"b/y\"": {}},
                "f:ownerReferences": {"k:{\"uid\":\"u1\"}": {".": {}, "f:name": {}, "f:uid": {}}}
            },
            "f:data": {"f:l": {}}
        })
    );
}
