//! Ownership recorded for non-apply writes: creates, updates and patches.

use serde_json::json;

use super::*;
use crate::apply::Operation;

fn created() -> Value {
    let mut object = app(json!({"description": "d", "items": [{"name": "x", "value": "1"}]}));
    object["metadata"]["labels"] = json!({"app": "a"});
    object["metadata"]["uid"] = json!("u1");
    object["metadata"]["resourceVersion"] = json!("1");
    object["metadata"]["creationTimestamp"] = json!(T1);
    update_as(None, object, "creator", T1)
}

#[test]
fn a_create_makes_the_manager_own_every_field_but_server_metadata() {
    let object = created();
    assert_eq!(
        object["metadata"]["managedFields"],
        json!([{
            "manager": "creator",
            "operation": "Update",
            "apiVersion": GV,
            "time": T1,
            "fieldsType": "FieldsV1",
            "fieldsV1": {
                "f:metadata": {"f:labels": {"f:app": {}}},
                "f:spec": {
                    "f:description": {},
                    "f:items": {"k:{\"name\":\"x\"}": {".": {}, "f:name": {}, "f:value": {}}}
                }
            }
        }])
    );
}

#[test]
fn an_update_takes_the_fields_it_changed_from_other_managers() {
    let old = created();
    let mut new = old.clone();
    new["spec"]["description"] = json!("e");
    new["spec"]["items"][0]["value"] = json!("2");
    let new = update_as(Some(&old), new, "editor", T2);
    assert_eq!(
        fields(&new, "editor", "Update"),
        json!({"f:spec": {
            "f:description": {},
            "f:items": {"k:{\"name\":\"x\"}": {"f:value": {}}}
        }})
    );
    assert_eq!(
        fields(&new, "creator", "Update"),
        json!({
            "f:metadata": {"f:labels": {"f:app": {}}},
            "f:spec": {"f:items": {"k:{\"name\":\"x\"}": {".": {}, "f:name": {}}}}
        })
    );
}

#[test]
fn removed_fields_leave_every_entry_and_empty_entries_are_dropped() {
    let old = created();
    let mut new = old.clone();
    new["metadata"].as_object_mut().unwrap().remove("labels");
    new["spec"] = json!({});
    let new = update_as(Some(&old), new, "editor", T2);
    assert_eq!(managers(&new), Vec::<(String, String)>::new());
    assert_eq!(new["metadata"].get("managedFields"), None);
}

#[test]
fn an_update_that_changes_nothing_keeps_managed_fields_as_they_were() {
    let old = created();
    let new = update_as(Some(&old), old.clone(), "editor", T2);
    assert_eq!(new, old);
}

#[test]
fn an_update_by_the_same_manager_adds_to_its_entry_and_refreshes_the_time() {
    let old = created();
    let mut new = old.clone();
    new["spec"]["tags"] = json!(["t"]);
    let new = update_as(Some(&old), new, "creator", T2);
    let entry = entry(&new, "creator", "Update").unwrap();
    assert_eq!(entry["time"], T2);
    assert_eq!(
        entry["fieldsV1"]["f:spec"]["f:tags"],
        json!({"v:\"t\"": {}})
    );
    assert_eq!(entry["fieldsV1"]["f:spec"]["f:description"], json!({}));
}

#[test]
fn managed_fields_sent_by_the_client_replace_the_stored_ones() {
    let old = created();
    let mut new = old.clone();
    new["metadata"]["managedFields"][0]["manager"] = json!("renamed");
    new["spec"]["description"] = json!("e");
    let new = update_as(Some(&old), new, "editor", T2);
    assert!(entry(&new, "creator", "Update").is_none());
    assert!(entry(&new, "renamed", "Update").is_some());
    assert!(entry(&new, "editor", "Update").is_some());
}

#[test]
fn an_empty_managed_fields_list_resets_them_and_later_updates_stay_untracked() {
    let old = created();
    for reset in [json!([]), json!([{}])] {
        let mut new = old.clone();
        new["metadata"]["managedFields"] = reset;
        new["spec"]["description"] = json!("e");
        let new = update_as(Some(&old), new, "editor", T2);
        assert_eq!(new["metadata"].get("managedFields"), None);
        let mut next = new.clone();
        next["spec"]["description"] = json!("f");
        let next = update_as(Some(&new), next, "editor", T3);
        assert_eq!(next["metadata"].get("managedFields"), None);
    }
}

#[test]
fn status_writes_are_recorded_with_the_subresource_and_ignore_sent_entries() {
    let old = created();
    let mut new = old.clone();
    new["status"] = json!({"phase": "Ready"});
    new["metadata"]["managedFields"] = json!([]);
    let rules = rules();
    let request = UpdateRequest {
        manager: "controller",
        api_version: GV,
        time: T2,
        subresource: Some("status"),
        rules: &rules,
    };
    record_update(Some(&old), &mut new, &request);
    let status = entry(&new, "controller", "Update").unwrap();
    assert_eq!(status["subresource"], "status");
    assert_eq!(status["fieldsV1"], json!({"f:status": {"f:phase": {}}}));
    assert!(entry(&new, "creator", "Update").is_some());
}

#[test]
fn a_write_without_a_manager_is_recorded_as_unknown() {
    let object = update_as(None, app(json!({"description": "d"})), "", T1);
    assert_eq!(
        managers(&object),
        [("unknown".to_owned(), "Update".to_owned())]
    );
}

#[test]
fn more_than_ten_updaters_are_merged_into_ancient_changes() {
    let mut object = created();
    for i in 0..12 {
        let mut new = object.clone();
        new["spec"]["labels"] = {
            let mut labels = object["spec"]["labels"].clone();
            if labels.is_null() {
                labels = json!({});
            }
            labels[format!("k{i}")] = json!("v");
            labels
        };
        let time = format!("2026-01-01T11:{i:02}:00Z");
        object = update_as(Some(&object), new, &format!("m{i}"), &time);
    }
    let all = managers(&object);
    assert_eq!(all.len(), 10, "{all:?}");
    let ancient = entry(&object, "ancient-changes", "Update").unwrap();
    // The creator and the three oldest writers were merged, one per write past the cap; the
    // bucket carries the time of the newest update merged into it.
    assert_eq!(ancient["time"], "2026-01-01T11:02:00Z");
    let labels = &ancient["fieldsV1"]["f:spec"]["f:labels"];
    assert_eq!(labels, &json!({"f:k0": {}, "f:k1": {}, "f:k2": {}}));
    assert_eq!(ancient["fieldsV1"]["f:spec"]["f:description"], json!({}));
    assert!(entry(&object, "creator", "Update").is_none());
    assert!(entry(&object, "m11", "Update").is_some());
}

#[test]
fn entries_are_ordered_appliers_first_then_by_time() {
    let object = created();
    let mut new = object.clone();
    new["spec"]["args"] = json!(["1"]);
    let object = update_as(Some(&object), new, "aaa", T3);
    let mut annotated = object.clone();
    annotated["metadata"]["annotations"] = json!({"note": "n"});
    let object = update_as(Some(&object), annotated, "zzz", T2);
    let object = apply_as(Some(&object), &app(json!({"tags": ["t"]})), "m", false, T4).unwrap();
    let order: Vec<String> = managers(&object).into_iter().map(|(m, _)| m).collect();
    assert_eq!(order, ["m", "creator", "zzz", "aaa"]);
    assert_eq!(Operation::Apply.as_str(), "Apply");
}
