//! Defaulting (only under existing parents, nested, nulls) and pruning (reported paths, resource
//! fields kept, preserve-unknown-fields, embedded resources, maps).

use serde_json::json;

use super::{compile, resource, with_spec_properties};

fn defaulting_schema() -> serde_json::Value {
    with_spec_properties(json!({
        "replicas": {"type": "integer", "default": 1},
        "tls": {"type": "object", "properties": {"enabled": {"type": "boolean", "default": true}}},
        "logging": {
            "type": "object",
            "default": {},
            "properties": {"level": {"type": "string", "default": "info"}},
        },
        "note": {"type": "string", "nullable": true, "default": "none"},
        "mode": {"type": "string", "default": "auto"},
    }))
}

#[test]
fn defaults_apply_only_where_the_parent_exists() {
    let validator = compile(defaulting_schema());
    let mut without_spec =
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {}});
    validator.apply_defaults(&mut without_spec);
    assert_eq!(
        without_spec,
        json!({"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {}})
    );

    let mut object = resource(json!({"tls": {}}));
    validator.apply_defaults(&mut object);
    assert_eq!(
        object["spec"],
        json!({"replicas": 1, "tls": {"enabled": true}, "logging": {"level": "info"}, "mode": "auto", "note": "none"})
    );
}

#[test]
fn defaults_nested_in_defaults_are_applied_and_set_values_are_kept() {
    let validator = compile(defaulting_schema());
    let mut object = resource(json!({"replicas": 3, "logging": {"level": "debug"}}));
    validator.apply_defaults(&mut object);
    assert_eq!(object["spec"]["replicas"], 3);
    assert_eq!(object["spec"]["logging"], json!({"level": "debug"}));
    assert!(object["spec"].get("tls").is_none());
}

#[test]
fn nullable_nulls_are_kept_and_other_nulls_are_defaulted() {
    let validator = compile(defaulting_schema());
    let mut object = resource(json!({"note": null, "mode": null}));
    validator.apply_defaults(&mut object);
    assert_eq!(object["spec"]["note"], json!(null));
    assert_eq!(object["spec"]["mode"], "auto");
}

#[test]
fn pruning_drops_nulls_that_are_neither_nullable_nor_defaulted() {
    let validator = compile(with_spec_properties(json!({
        "nickname": {"type": "string"},
        "note": {"type": "string", "nullable": true},
        "mode": {"type": "string", "default": "auto"},
        "sizes": {"type": "object", "additionalProperties": {"type": "integer"}},
        "tags": {"type": "array", "items": {"type": "string"}},
        "extra": {"type": "object", "x-kubernetes-preserve-unknown-fields": true},
    })));
    let mut object = resource(json!({
        "nickname": null,
        "note": null,
        "mode": null,
        "sizes": {"a": 1, "b": null},
        "tags": ["x", null],
        "extra": {"free": null},
    }));
    assert!(validator.prune(&mut object).is_empty());
    assert_eq!(
        object["spec"],
        json!({
            "note": null,
            "mode": null,
            "sizes": {"a": 1},
            "tags": ["x", null],
            "extra": {"free": null},
        })
    );
}

#[test]
fn defaults_apply_to_list_items_and_map_values() {
    let validator = compile(with_spec_properties(json!({
        "routes": {"type": "array", "items": {
            "type": "object",
            "properties": {"path": {"type": "string"}, "weight": {"type": "integer", "default": 1}},
        }},
        "backends": {"type": "object", "additionalProperties": {
            "type": "object",
            "properties": {"port": {"type": "integer", "default": 80}},
        }},
    })));
    let mut object =
        resource(json!({"routes": [{"path": "/"}, {"weight": 5}], "backends": {"a": {}}}));
    validator.apply_defaults(&mut object);
    assert_eq!(
        object["spec"]["routes"],
        json!([{"path": "/", "weight": 1}, {"weight": 5}])
    );
    assert_eq!(object["spec"]["backends"], json!({"a": {"port": 80}}));
}

#[test]
fn pruning_removes_unknown_fields_and_reports_their_paths() {
    let validator = compile(with_spec_properties(json!({
        "items": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
    })));
    let mut object = resource(json!({"provider": "x", "items": [{"name": "a", "foo": 1}]}));
    object["extra"] = json!(true);
    object["status"] = json!({"ready": true});
    assert_eq!(
        validator.prune(&mut object),
        ["extra", "spec.items[0].foo", "spec.provider", "status"]
    );
    assert_eq!(object, resource(json!({"items": [{"name": "a"}]})));
}

#[test]
fn pruning_keeps_root_metadata_api_version_and_kind() {
    let validator = compile(json!({"type": "object", "properties": {"spec": {"type": "object"}}}));
    let mut object = json!({
        "apiVersion": "example.com/v1",
        "kind": "Widget",
        "metadata": {"name": "w", "labels": {"a": "b"}, "annotations": {"x": "y"}, "finalizers": ["f"]},
        "spec": {"anything": 1},
    });
    let before = object.clone();
    assert_eq!(validator.prune(&mut object), ["spec.anything"]);
    assert_eq!(object["metadata"], before["metadata"]);
    assert_eq!(object["apiVersion"], "example.com/v1");
}

#[test]
fn pruning_honours_preserve_unknown_fields_but_prunes_known_fields_below() {
    let validator = compile(with_spec_properties(json!({
        "values": {
            "type": "object",
            "x-kubernetes-preserve-unknown-fields": true,
            "properties": {"known": {"type": "object", "properties": {"a": {"type": "string"}}}},
        },
    })));
    let mut object =
        resource(json!({"values": {"free": {"deep": [1, {"x": 2}]}, "known": {"a": "x", "b": 1}}}));
    assert_eq!(validator.prune(&mut object), ["spec.values.known.b"]);
    assert_eq!(
        object["spec"]["values"],
        json!({"free": {"deep": [1, {"x": 2}]}, "known": {"a": "x"}})
    );
}

#[test]
fn pruning_keeps_the_resource_fields_of_embedded_resources() {
    let validator = compile(with_spec_properties(json!({
        "template": {
            "type": "object",
            "x-kubernetes-embedded-resource": true,
            "properties": {"spec": {"type": "object", "properties": {"x": {"type": "string"}}}},
        },
    })));
    let template = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "labels": {"a": "b"}},
        "spec": {"x": "1", "y": 2},
        "other": true,
    });
    let mut object = resource(json!({"template": template}));
    assert_eq!(
        validator.prune(&mut object),
        ["spec.template.other", "spec.template.spec.y"]
    );
    assert_eq!(
        object["spec"]["template"]["metadata"],
        json!({"name": "p", "labels": {"a": "b"}})
    );
    assert_eq!(object["spec"]["template"]["kind"], "Pod");
}

#[test]
fn pruning_keeps_map_keys_and_prunes_inside_map_values() {
    let validator = compile(with_spec_properties(json!({
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "backends": {"type": "object", "additionalProperties": {
            "type": "object",
            "properties": {"port": {"type": "integer"}},
        }},
    })));
    let mut object = resource(json!({
        "labels": {"app.kubernetes.io/name": "x"},
        "backends": {"a": {"port": 1, "junk": true}},
    }));
    assert_eq!(validator.prune(&mut object), ["spec.backends.a.junk"]);
    assert_eq!(
        object["spec"]["labels"],
        json!({"app.kubernetes.io/name": "x"})
    );
}
