//! Value validations: types, nullability, int-or-string, required, enum, pattern, lengths,
//! numeric bounds, item and property counts, maps, junctors and root metadata.

use serde_json::json;

use super::{compile, lines, resource, spec_errors, with_spec};
use crate::errors::FieldErrorKind;

fn typed() -> serde_json::Value {
    json!({
        "s": {"type": "string"},
        "i": {"type": "integer"},
        "n": {"type": "number"},
        "b": {"type": "boolean"},
        "o": {"type": "object", "properties": {"x": {"type": "string"}}},
        "a": {"type": "array", "items": {"type": "string"}},
    })
}

#[test]
fn values_of_the_declared_types_are_accepted() {
    let spec = json!({"s": "x", "i": 3, "n": 2.5, "b": true, "o": {"x": "y"}, "a": ["z"]});
    assert_eq!(spec_errors(typed(), spec), Vec::<String>::new());
}

#[test]
fn values_of_other_types_are_rejected_as_kube_apiserver_words_it() {
    let spec = json!({"s": 1, "i": 1.5, "n": "x", "b": "true", "o": [], "a": {}});
    assert_eq!(
        spec_errors(typed(), spec),
        [
            r#"spec.a: Invalid value: "object": spec.a in body must be of type array: "object""#,
            r#"spec.b: Invalid value: "string": spec.b in body must be of type boolean: "string""#,
            r#"spec.i: Invalid value: "number": spec.i in body must be of type integer: "number""#,
            r#"spec.n: Invalid value: "string": spec.n in body must be of type number: "string""#,
            r#"spec.o: Invalid value: "array": spec.o in body must be of type object: "array""#,
            r#"spec.s: Invalid value: "integer": spec.s in body must be of type string: "integer""#,
        ]
    );
}

#[test]
fn type_errors_have_the_type_invalid_kind() {
    let validator = compile(with_spec(
        json!({"type": "object", "properties": {"i": {"type": "integer"}}}),
    ));
    let errors = validator.validate(&resource(json!({"i": "3"})), None);
    assert_eq!(errors[0].kind, FieldErrorKind::TypeInvalid);
}

#[test]
fn integers_must_be_integral_json_numbers_while_numbers_take_both() {
    let props = json!({"i": {"type": "integer"}, "n": {"type": "number"}});
    assert_eq!(
        spec_errors(props.clone(), json!({"i": 3, "n": 3})),
        Vec::<String>::new()
    );
    assert_eq!(
        spec_errors(props, json!({"i": 3.0})),
        [r#"spec.i: Invalid value: "number": spec.i in body must be of type integer: "number""#]
    );
}

#[test]
fn nullable_fields_accept_null_and_others_reject_it() {
    let props = json!({"a": {"type": "string", "nullable": true}, "b": {"type": "string"}});
    assert_eq!(
        spec_errors(props, json!({"a": null, "b": null})),
        [r#"spec.b: Invalid value: "null": spec.b in body must be of type string: "null""#]
    );
}

#[test]
fn int_or_string_accepts_integers_and_strings_only() {
    let props = json!({"port": {"x-kubernetes-int-or-string": true}});
    assert!(spec_errors(props.clone(), json!({"port": 80})).is_empty());
    assert!(spec_errors(props.clone(), json!({"port": "http"})).is_empty());
    assert_eq!(
        spec_errors(props, json!({"port": 1.5})),
        [
            r#"spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number""#
        ]
    );
}

#[test]
fn missing_required_fields_are_required_values() {
    let validator = compile(with_spec(json!({
        "type": "object",
        "required": ["name", "size"],
        "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
    })));
    let errors = validator.validate(&resource(json!({})), None);
    assert_eq!(
        lines(&errors),
        ["spec.name: Required value", "spec.size: Required value"]
    );
    assert_eq!(errors[0].kind, FieldErrorKind::Required);
    let schema =
        json!({"type": "object", "required": ["spec"], "properties": {"spec": {"type": "object"}}});
    let root = compile(schema).validate(
        &json!({"apiVersion": "v1", "kind": "K", "metadata": {}}),
        None,
    );
    assert_eq!(lines(&root), ["spec: Required value"]);
}

#[test]
fn enum_rejects_values_outside_the_list() {
    let props = json!({"tier": {"type": "string", "enum": ["free", "paid"]}});
    assert!(spec_errors(props.clone(), json!({"tier": "paid"})).is_empty());
    assert_eq!(
        spec_errors(props, json!({"tier": "gold"})),
        [r#"spec.tier: Unsupported value: "gold": supported values: "free", "paid""#]
    );
}

#[test]
fn patterns_are_unanchored_unless_anchored_like_re2() {
    let props = json!({
        "name": {"type": "string", "pattern": "^[a-z][a-z0-9-]*$"},
        "code": {"type": "string", "pattern": "\\d+"},
    });
    assert!(spec_errors(props.clone(), json!({"name": "ok-1", "code": "abc1"})).is_empty());
    assert_eq!(
        spec_errors(props, json!({"name": "Bad", "code": "abc"})),
        [
            r#"spec.code: Invalid value: "abc": spec.code in body should match '\d+'"#,
            r#"spec.name: Invalid value: "Bad": spec.name in body should match '^[a-z][a-z0-9-]*$'"#,
        ]
    );
}

#[test]
fn string_lengths_count_unicode_characters() {
    let props = json!({
        "long": {"type": "string", "maxLength": 3},
        "short": {"type": "string", "minLength": 2},
    });
    assert!(spec_errors(props.clone(), json!({"long": "äöü", "short": "ß!"})).is_empty());
    assert_eq!(
        spec_errors(props, json!({"long": "abcd", "short": "a"})),
        [
            "spec.long: Too long: may not be more than 3 bytes",
            r#"spec.short: Invalid value: "a": spec.short in body should be at least 2 chars long"#,
        ]
    );
}

#[test]
fn numeric_bounds_inclusive_exclusive_and_multiples_are_checked() {
    let props = json!({
        "replicas": {"type": "integer", "minimum": 1, "maximum": 10},
        "ratio": {"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 1, "exclusiveMaximum": true},
        "step": {"type": "number", "multipleOf": 0.5},
    });
    assert!(
        spec_errors(
            props.clone(),
            json!({"replicas": 10, "ratio": 0.5, "step": 1.5})
        )
        .is_empty()
    );
    assert_eq!(
        spec_errors(
            props.clone(),
            json!({"replicas": 0, "ratio": 0, "step": 1.25})
        ),
        [
            "spec.ratio: Invalid value: 0: spec.ratio in body should be greater than 0",
            "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
            "spec.step: Invalid value: 1.25: spec.step in body should be a multiple of 0.5",
        ]
    );
    assert_eq!(
        spec_errors(props, json!({"replicas": 11, "ratio": 1})),
        [
            "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1",
            "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10",
        ]
    );
}

#[test]
fn bounds_written_as_floats_read_as_go_prints_them() {
    let props = json!({
        "replicas": {"type": "integer", "minimum": 1.0, "maximum": 10.0},
        "step": {"type": "number", "multipleOf": 2.0},
    });
    assert_eq!(
        spec_errors(props.clone(), json!({"replicas": 0, "step": 3})),
        [
            "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1",
            "spec.step: Invalid value: 3: spec.step in body should be a multiple of 2",
        ]
    );
    assert_eq!(
        spec_errors(props, json!({"replicas": 11})),
        [
            "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"
        ]
    );
}

#[test]
fn item_counts_are_checked() {
    let props = json!({"tags": {"type": "array", "minItems": 1, "maxItems": 2, "items": {"type": "string"}}});
    assert!(spec_errors(props.clone(), json!({"tags": ["a"]})).is_empty());
    assert_eq!(
        spec_errors(props.clone(), json!({"tags": []})),
        ["spec.tags: Invalid value: 0: spec.tags in body should have at least 1 items"]
    );
    assert_eq!(
        spec_errors(props, json!({"tags": ["a", "b", "c"]})),
        ["spec.tags: Too many: 3: must have at most 2 items"]
    );
}

#[test]
fn property_counts_and_map_values_are_checked_with_keys_in_brackets() {
    let props = json!({"labels": {
        "type": "object",
        "minProperties": 1,
        "maxProperties": 2,
        "additionalProperties": {"type": "string", "maxLength": 3},
    }});
    assert!(spec_errors(props.clone(), json!({"labels": {"a": "x"}})).is_empty());
    assert_eq!(
        spec_errors(props.clone(), json!({"labels": {}})),
        ["spec.labels: Invalid value: 0: spec.labels in body should have at least 1 properties"]
    );
    assert_eq!(
        spec_errors(props, json!({"labels": {"a": "long", "b": 1, "c": "x"}})),
        [
            "spec.labels: Too many: 3: must have at most 2 items",
            "spec.labels[a]: Too long: may not be more than 3 bytes",
            r#"spec.labels[b]: Invalid value: "integer": spec.labels[b] in body must be of type string: "integer""#,
        ]
    );
}

#[test]
fn one_of_needs_exactly_one_matching_branch() {
    let validator = compile(with_spec(json!({
        "type": "object",
        "properties": {"a": {"type": "string"}, "b": {"type": "string"}},
        "oneOf": [{"required": ["a"]}, {"required": ["b"]}],
    })));
    assert!(
        validator
            .validate(&resource(json!({"a": "x"})), None)
            .is_empty()
    );
    assert_eq!(
        lines(&validator.validate(&resource(json!({})), None)),
        [
            "spec: Invalid value: map[string]interface {}{}: spec in body must validate one and only one schema (oneOf)"
        ]
    );
    let both = lines(&validator.validate(&resource(json!({"a": "x", "b": "y"})), None));
    assert!(
        both[0].ends_with("(oneOf). Found 2 valid alternatives"),
        "{both:?}"
    );
}

#[test]
fn any_of_all_of_and_not_combine_value_validations() {
    let props = json!({
        "x": {"type": "integer", "anyOf": [{"minimum": 10}, {"maximum": 0}]},
        "y": {"type": "string", "allOf": [{"minLength": 2}, {"pattern": "^a"}]},
        "z": {"type": "string", "not": {"enum": ["forbidden"]}},
    });
    assert!(spec_errors(props.clone(), json!({"x": 12, "y": "ab", "z": "fine"})).is_empty());
    assert_eq!(
        spec_errors(props, json!({"x": 5, "y": "b", "z": "forbidden"})),
        [
            "spec.x: Invalid value: 5: spec.x in body must validate at least one schema (anyOf)",
            "spec.x: Invalid value: 5: spec.x in body should be greater than or equal to 10",
            r#"spec.y: Invalid value: "b": spec.y in body should be at least 2 chars long"#,
            r#"spec.y: Invalid value: "b": spec.y in body should match '^a'"#,
            r#"spec.y: Invalid value: "b": spec.y in body must validate all the schemas (allOf). None validated"#,
            r#"spec.z: Invalid value: "forbidden": spec.z in body must not validate the schema (not)"#,
        ]
    );
}

#[test]
fn root_metadata_restricts_only_name_and_generate_name() {
    let validator = compile(json!({
        "type": "object",
        "properties": {"metadata": {"type": "object", "properties": {
            "name": {"type": "string", "maxLength": 5, "pattern": "^[a-z]+$"},
        }}},
    }));
    let object = |name: &str| json!({"apiVersion": "v1", "kind": "K", "metadata": {"name": name, "labels": {"a": "b"}}});
    assert!(validator.validate(&object("abc"), None).is_empty());
    assert_eq!(
        lines(&validator.validate(&object("ABCDEFG"), None)),
        [
            "metadata.name: Too long: may not be more than 5 bytes",
            r#"metadata.name: Invalid value: "ABCDEFG": metadata.name in body should match '^[a-z]+$'"#,
        ]
    );
}

#[test]
fn embedded_resources_need_api_version_and_kind() {
    let props = json!({"template": {
        "type": "object",
        "x-kubernetes-embedded-resource": true,
        "x-kubernetes-preserve-unknown-fields": true,
    }});
    assert!(
        spec_errors(
            props.clone(),
            json!({"template": {"apiVersion": "v1", "kind": "Pod"}})
        )
        .is_empty()
    );
    assert_eq!(
        spec_errors(
            props,
            json!({"template": {"apiVersion": "a/b/c", "kind": ""}})
        ),
        [
            r#"spec.template.apiVersion: Invalid value: "a/b/c": unexpected GroupVersion string: a/b/c"#,
            r#"spec.template.kind: Invalid value: "": must not be empty"#,
        ]
    );
}
