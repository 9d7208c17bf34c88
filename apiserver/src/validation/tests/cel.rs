//! CEL rules: messages, message expressions, field paths, reasons, typed values, transition
//! rules, ratcheting, and sharing a validator across threads.

use std::sync::Arc;

use serde_json::{Value, json};

use super::{compile, lines, resource, with_spec};
use crate::errors::FieldErrorKind;
use crate::validation::SchemaValidator;

fn range_with(rule: Value) -> SchemaValidator {
    compile(with_spec(json!({
        "type": "object",
        "properties": {
            "min": {"type": "integer"},
            "max": {"type": "integer"},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "x-kubernetes-validations": [rule],
    })))
}

fn errors(validator: &SchemaValidator, spec: Value) -> Vec<String> {
    lines(&validator.validate(&resource(spec), None))
}

#[test]
fn a_failed_rule_reports_its_message_with_the_node_type_as_value() {
    let validator =
        range_with(json!({"rule": "self.min <= self.max", "message": "min must not exceed max"}));
    assert!(errors(&validator, json!({"min": 1, "max": 2})).is_empty());
    assert_eq!(
        errors(&validator, json!({"min": 3, "max": 2})),
        [r#"spec: Invalid value: "object": min must not exceed max"#]
    );
}

#[test]
fn a_failed_rule_without_message_reports_the_rule() {
    let validator = range_with(json!({"rule": "self.min <= self.max"}));
    assert_eq!(
        errors(&validator, json!({"min": 3, "max": 2})),
        [r#"spec: Invalid value: "object": failed rule: self.min <= self.max"#]
    );
}

#[test]
fn a_message_expression_is_evaluated_and_falls_back_to_the_message() {
    let validator = range_with(json!({
        "rule": "self.min <= self.max",
        "message": "static",
        "messageExpression": "'min ' + string(self.min) + ' exceeds max ' + string(self.max)",
    }));
    assert_eq!(
        errors(&validator, json!({"min": 3, "max": 2})),
        [r#"spec: Invalid value: "object": min 3 exceeds max 2"#]
    );
    let broken = range_with(
        json!({"rule": "self.min <= self.max", "message": "static", "messageExpression": "self.nope"}),
    );
    assert_eq!(
        errors(&broken, json!({"min": 3, "max": 2})),
        [r#"spec: Invalid value: "object": static"#]
    );
}

#[test]
fn a_field_path_moves_the_error_to_a_child_or_map_key() {
    let validator = range_with(
        json!({"rule": "self.min <= self.max", "message": "too small", "fieldPath": ".max"}),
    );
    assert_eq!(
        errors(&validator, json!({"min": 3, "max": 2})),
        [r#"spec.max: Invalid value: "object": too small"#]
    );
    let keyed = range_with(json!({
        "rule": "!has(self.labels) || 'app.kubernetes.io/name' in self.labels",
        "message": "name label required",
        "fieldPath": ".labels['app.kubernetes.io/name']",
    }));
    assert_eq!(
        errors(&keyed, json!({"labels": {}})),
        [r#"spec.labels[app.kubernetes.io/name]: Invalid value: "object": name label required"#]
    );
}

#[test]
fn the_reason_selects_the_kind_of_error() {
    let forbidden = range_with(
        json!({"rule": "!has(self.max)", "message": "max is set", "reason": "FieldValueForbidden"}),
    );
    assert_eq!(
        errors(&forbidden, json!({"max": 1})),
        ["spec: Forbidden: max is set"]
    );
    let required = range_with(
        json!({"rule": "has(self.max)", "message": "set max", "reason": "FieldValueRequired", "fieldPath": ".max"}),
    );
    assert_eq!(
        errors(&required, json!({})),
        ["spec.max: Required value: set max"]
    );
    let duplicate =
        range_with(json!({"rule": "self.min != self.max", "reason": "FieldValueDuplicate"}));
    let found = duplicate.validate(&resource(json!({"min": 1, "max": 1})), None);
    assert_eq!(lines(&found), [r#"spec: Duplicate value: "object""#]);
    assert_eq!(found[0].kind, FieldErrorKind::Duplicate);
}

#[test]
fn rules_on_nested_nodes_report_at_their_paths() {
    let validator = compile(with_spec(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "x-kubernetes-validations": [{"rule": "self.startsWith('a')"}]},
            "items": {"type": "array", "items": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "x-kubernetes-validations": [{"rule": "self.name != 'x'", "message": "x is reserved"}],
            }},
        },
    })));
    assert_eq!(
        errors(
            &validator,
            json!({"name": "bob", "items": [{"name": "a"}, {"name": "x"}]})
        ),
        [
            r#"spec.items[1]: Invalid value: "object": x is reserved"#,
            r#"spec.name: Invalid value: "string": failed rule: self.startsWith('a')"#,
        ]
    );
}

#[test]
fn evaluation_errors_name_the_rule() {
    let validator = range_with(json!({"rule": "self.max > 0"}));
    let found = errors(&validator, json!({"min": 1}));
    assert_eq!(found.len(), 1);
    assert!(
        found[0].starts_with(r#"spec: Invalid value: "object": "#),
        "{found:?}"
    );
    assert!(
        found[0].ends_with("evaluating rule: self.max > 0"),
        "{found:?}"
    );
}

#[test]
fn rules_see_escaped_names_timestamps_durations_and_restricted_metadata() {
    let validator = compile(json!({
        "type": "object",
        "properties": {
            "metadata": {"type": "object"},
            "spec": {
                "type": "object",
                "properties": {
                    "x-y": {"type": "string"},
                    "since": {"type": "string", "format": "date-time"},
                    "window": {"type": "string", "format": "duration"},
                },
                "x-kubernetes-validations": [{
                    "rule": "self.x__dash__y == 'ok' && self.since > timestamp('2020-01-01T00:00:00Z') && self.window < duration('2h')",
                    "message": "spec",
                }],
            },
        },
        "x-kubernetes-validations": [
            {"rule": "self.metadata.name.startsWith('w')", "message": "name"},
            {"rule": "!has(self.metadata.labels)", "message": "labels"},
        ],
    }));
    let mut object =
        resource(json!({"x-y": "ok", "since": "2024-01-01T00:00:00Z", "window": "90m"}));
    object["metadata"]["labels"] = json!({"a": "b"});
    assert!(validator.validate(&object, None).is_empty());
    object["spec"]["window"] = json!("3h");
    object["metadata"]["name"] = json!("v1");
    assert_eq!(
        lines(&validator.validate(&object, None)),
        [
            r#"Invalid value: "object": name"#,
            r#"spec: Invalid value: "object": spec"#
        ]
    );
}

fn immutable_mode() -> SchemaValidator {
    compile(with_spec(json!({
        "type": "object",
        "properties": {
            "mode": {"type": "string", "x-kubernetes-validations": [{"rule": "self == oldSelf", "message": "mode is immutable"}]},
            "replicas": {"type": "integer", "x-kubernetes-validations": [{
                "rule": "oldSelf.hasValue() ? self >= oldSelf.value() : self < 10",
                "optionalOldSelf": true,
                "message": "replicas may only grow, from less than 10",
            }]},
        },
    })))
}

#[test]
fn transition_rules_run_only_when_an_old_value_exists() {
    let validator = immutable_mode();
    let old = resource(json!({"mode": "a"}));
    assert!(
        validator
            .validate(&resource(json!({"mode": "b"})), None)
            .is_empty()
    );
    assert!(
        validator
            .validate(&resource(json!({"mode": "a"})), Some(&old))
            .is_empty()
    );
    assert!(
        validator
            .validate(&resource(json!({"mode": "b"})), Some(&resource(json!({}))))
            .is_empty()
    );
    let was_null = resource(json!({"mode": null}));
    assert!(
        validator
            .validate(&resource(json!({"mode": "b"})), Some(&was_null))
            .is_empty()
    );
    assert_eq!(
        lines(&validator.validate(&resource(json!({"mode": "b"})), Some(&old))),
        [r#"spec.mode: Invalid value: "string": mode is immutable"#]
    );
}

#[test]
fn optional_old_self_rules_also_run_on_create_with_an_empty_optional() {
    let validator = immutable_mode();
    let message =
        r#"spec.replicas: Invalid value: "integer": replicas may only grow, from less than 10"#;
    assert!(
        validator
            .validate(&resource(json!({"replicas": 5})), None)
            .is_empty()
    );
    assert_eq!(
        lines(&validator.validate(&resource(json!({"replicas": 20})), None)),
        [message]
    );
    let old = resource(json!({"replicas": 6}));
    assert!(
        validator
            .validate(&resource(json!({"replicas": 20})), Some(&old))
            .is_empty()
    );
    assert_eq!(
        lines(&validator.validate(&resource(json!({"replicas": 5})), Some(&old))),
        [message]
    );
}

#[test]
fn transition_rules_correlate_list_map_items_by_key() {
    let validator = compile(with_spec(
        json!({"type": "object", "properties": {"disks": {
            "type": "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            "items": {
                "type": "object",
                "required": ["name"],
                "properties": {"name": {"type": "string"}, "size": {"type": "integer"}},
                "x-kubernetes-validations": [{"rule": "self.size >= oldSelf.size", "message": "disks cannot shrink"}],
            },
        }}}),
    ));
    let old = resource(json!({"disks": [{"name": "a", "size": 1}, {"name": "b", "size": 2}]}));
    let reordered = resource(
        json!({"disks": [{"name": "b", "size": 2}, {"name": "a", "size": 1}, {"name": "c", "size": 0}]}),
    );
    assert!(validator.validate(&reordered, Some(&old)).is_empty());
    let shrunk = resource(json!({"disks": [{"name": "b", "size": 2}, {"name": "a", "size": 0}]}));
    assert_eq!(
        lines(&validator.validate(&shrunk, Some(&old))),
        [r#"spec.disks[1]: Invalid value: "object": disks cannot shrink"#]
    );
}

#[test]
fn ratcheting_drops_errors_on_values_unchanged_from_the_old_object() {
    let validator = compile(with_spec(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 3},
            "size": {"type": "integer", "x-kubernetes-validations": [{"rule": "self < 10", "message": "too big"}]},
            "other": {"type": "string"},
        },
    })));
    let old = resource(json!({"name": "long", "size": 20, "other": "a"}));
    assert!(
        validator
            .validate(
                &resource(json!({"name": "long", "size": 20, "other": "b"})),
                Some(&old)
            )
            .is_empty()
    );
    assert_eq!(
        lines(&validator.validate(&resource(json!({"name": "longer", "size": 21})), Some(&old))),
        [
            "spec.name: Too long: may not be more than 3 bytes",
            r#"spec.size: Invalid value: "integer": too big"#,
        ]
    );
    assert_eq!(
        validator
            .validate(&resource(json!({"name": "long", "size": 20})), None)
            .len(),
        2
    );
}

#[test]
fn a_validator_is_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<SchemaValidator>();
    let validator = Arc::new(range_with(json!({"rule": "self.min <= self.max"})));
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let validator = Arc::clone(&validator);
            std::thread::spawn(move || {
                validator
                    .validate(&resource(json!({"min": i, "max": 2})), None)
                    .len()
            })
        })
        .collect();
    let failures: Vec<usize> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(failures, [0, 0, 0, 1]);
}
