//! List types: duplicates in sets and list-maps, non-object list-map items, and atomic lists.

use serde_json::json;

use super::{admit, compile, spec_errors, with_spec_properties};
use crate::errors::FieldErrorKind;

#[test]
fn sets_report_each_repeated_item_at_its_index() {
    let props = json!({"tags": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "string"}}});
    assert!(spec_errors(props.clone(), json!({"tags": ["a", "b"]})).is_empty());
    assert_eq!(
        spec_errors(props, json!({"tags": ["a", "b", "a", "b"]})),
        [
            r#"spec.tags[2]: Duplicate value: "a""#,
            r#"spec.tags[3]: Duplicate value: "b""#
        ]
    );
}

fn ports() -> serde_json::Value {
    with_spec_properties(json!({"ports": {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["name", "protocol"],
        "items": {
            "type": "object",
            "required": ["name"],
            "properties": {
                "name": {"type": "string"},
                "protocol": {"type": "string", "default": "TCP"},
                "port": {"type": "integer"},
            },
        },
    }}))
}

#[test]
fn list_maps_report_duplicate_keys_with_the_key_fields_as_value() {
    let validator = compile(ports());
    let object = super::resource(json!({"ports": [
        {"name": "http", "port": 80},
        {"name": "http", "protocol": "UDP", "port": 80},
        {"name": "http", "port": 81},
    ]}));
    let (object, errors) = admit(&validator, object, None);
    assert_eq!(object["spec"]["ports"][0]["protocol"], "TCP");
    assert_eq!(
        errors,
        [
            r#"spec.ports[2]: Duplicate value: map[string]interface {}{"name":"http", "protocol":"TCP"}"#
        ]
    );
    let duplicate = &validator.validate(&object, None)[0];
    assert_eq!(duplicate.kind, FieldErrorKind::Duplicate);
}

#[test]
fn list_map_items_need_their_keys_and_must_be_objects() {
    let validator = compile(ports());
    let object = super::resource(json!({"ports": [{"port": 80}, "http"]}));
    let (_, errors) = admit(&validator, object, None);
    assert_eq!(
        errors,
        [
            r#"spec.ports[1]: Invalid value: "http": must be an object for an array of list-type map"#,
            "spec.ports[0].name: Required value",
            r#"spec.ports[1]: Invalid value: "string": spec.ports[1] in body must be of type object: "string""#,
        ]
    );
}

#[test]
fn list_map_keys_without_required_are_reported_by_the_list_check() {
    let validator = compile(with_spec_properties(json!({"disks": {
        "type": "array",
        "x-kubernetes-list-type": "map",
        "x-kubernetes-list-map-keys": ["id"],
        "items": {"type": "object", "properties": {"id": {"type": "integer", "default": 0}}},
    }})));
    let errors = validator.validate(&super::resource(json!({"disks": [{}]})), None);
    assert_eq!(super::lines(&errors), ["spec.disks[0].id: Required value"]);
}

#[test]
fn atomic_lists_allow_duplicates() {
    let props = json!({"tags": {"type": "array", "items": {"type": "string"}}});
    assert!(spec_errors(props, json!({"tags": ["a", "a"]})).is_empty());
}
