//! Schema compile errors: non-structural schemas, bad extensions and defaults, and CEL rules
//! kube-apiserver would not accept, reported at paths relative to the schema root.

use serde_json::json;

use super::{compile, rejection, with_spec, with_spec_properties};

#[test]
fn missing_types_are_reported_where_kube_apiserver_reports_them() {
    assert_eq!(
        rejection(json!({"properties": {}})),
        ["type: Required value: must not be empty at the root"]
    );
    assert_eq!(
        rejection(with_spec_properties(json!({
            "replicas": {},
            "list": {"type": "array", "items": {}},
            "free": {"x-kubernetes-preserve-unknown-fields": true},
        }))),
        [
            "properties[spec].properties[list].items.type: Required value: must not be empty for specified array items",
            "properties[spec].properties[replicas].type: Required value: must not be empty for specified object fields",
        ]
    );
}

#[test]
fn structural_shape_rules_are_enforced() {
    assert_eq!(
        rejection(json!({"type": "string"})),
        [r#"type: Invalid value: "string": must be object at the root"#]
    );
    let errors = rejection(with_spec_properties(json!({
        "tags": {"type": "array"},
        "odd": {"type": "null"},
        "text": {"type": "text"},
        "ref": {"type": "object", "$ref": "#/definitions/x"},
        "unique": {"type": "array", "items": {"type": "string"}, "uniqueItems": true},
        "both": {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "string"}},
        "keep": {"type": "object", "x-kubernetes-preserve-unknown-fields": false},
    })));
    assert_eq!(
        errors,
        [
            "properties[spec].properties[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive",
            "properties[spec].properties[keep].x-kubernetes-preserve-unknown-fields: Invalid value: false: must be true or undefined",
            "properties[spec].properties[odd].type: Forbidden: type cannot be set to null, use nullable as an alternative",
            "properties[spec].properties[ref].$ref: Forbidden: $ref is not supported",
            "properties[spec].properties[tags].items: Required value: must be specified",
            r#"properties[spec].properties[text].type: Unsupported value: "text": supported values: "array", "boolean", "integer", "number", "object", "string""#,
            "properties[spec].properties[unique].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic",
        ]
    );
}

#[test]
fn value_validations_hold_no_types_and_no_fields_unknown_to_the_structure() {
    let errors = rejection(with_spec(json!({
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "anyOf": [{"type": "string"}],
        "allOf": [{"properties": {"b": {"minLength": 1}}}],
        "oneOf": [{"x-kubernetes-validations": [{"rule": "true"}]}],
    })));
    assert_eq!(
        errors,
        [
            "properties[spec].anyOf[0].type: Forbidden: must be empty to be structural",
            "properties[spec].oneOf[0].x-kubernetes-validations: Forbidden: must be empty to be structural",
            "properties[spec].properties[b]: Required value: because it is defined in properties[spec].allOf[0].properties[b]",
        ]
    );
}

#[test]
fn the_int_or_string_any_of_pattern_is_structural() {
    compile(with_spec_properties(json!({"port": {
        "x-kubernetes-int-or-string": true,
        "anyOf": [{"type": "integer"}, {"type": "string"}],
    }})));
}

#[test]
fn root_metadata_may_only_restrict_name_and_take_no_defaults() {
    let errors = rejection(json!({
        "type": "object",
        "properties": {"metadata": {
            "type": "object",
            "default": {"name": "x"},
            "properties": {"labels": {"type": "object"}},
        }},
    }));
    assert_eq!(
        errors,
        [
            "properties[metadata].default: Forbidden: must not be set in top-level metadata",
            "properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified",
        ]
    );
}

#[test]
fn defaults_must_be_pruned_and_valid() {
    let errors = rejection(with_spec_properties(json!({
        "replicas": {"type": "integer", "minimum": 1, "default": 0},
        "tls": {"type": "object", "properties": {"on": {"type": "boolean"}}, "default": {"on": true, "x": 1}},
    })));
    assert_eq!(
        errors,
        [
            r#"properties[spec].properties[replicas].default: Invalid value: 0: properties[spec].properties[replicas].default in body should be greater than or equal to 1"#,
            r#"properties[spec].properties[tls].default: Invalid value: map[string]interface {}{"on":true, "x":1}: must not have unknown fields"#,
        ]
    );
}

#[test]
fn list_and_map_type_extensions_are_checked() {
    let errors = rejection(with_spec_properties(json!({
        "nokeys": {"type": "array", "x-kubernetes-list-type": "map", "items": {"type": "object"}},
        "badkey": {
            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name", "id"],
            "items": {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]},
        },
        "optional": {
            "type": "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["name"],
            "items": {"type": "object", "properties": {"name": {"type": "string"}}},
        },
        "bag": {"type": "array", "x-kubernetes-list-type": "bag", "items": {"type": "string"}},
        "objects": {"type": "array", "x-kubernetes-list-type": "set", "items": {"type": "object"}},
        "map": {"type": "string", "x-kubernetes-map-type": "atomic"},
    })));
    assert_eq!(
        errors,
        [
            r#"properties[spec].properties[badkey].x-kubernetes-list-map-keys: Invalid value: []interface {}{"name", "id"}: entries must all be names of item properties"#,
            "properties[spec].properties[bag].x-kubernetes-list-type: Unsupported value: \"bag\": supported values: \"atomic\", \"set\", \"map\"",
            r#"properties[spec].properties[map].type: Invalid value: "string": must be object if x-kubernetes-map-type is specified"#,
            "properties[spec].properties[nokeys].x-kubernetes-list-map-keys: Required value: must not be empty if x-kubernetes-list-type is map",
            r#"properties[spec].properties[objects].items.x-kubernetes-map-type: Invalid value: "granular": must be atomic as item of a list with x-kubernetes-list-type=set"#,
            "properties[spec].properties[optional].items.properties[name].default: Required value: this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property",
        ]
    );
}

#[test]
fn invalid_patterns_are_rejected() {
    let errors = rejection(with_spec_properties(
        json!({"a": {"type": "string", "pattern": "("}}),
    ));
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with(r#"properties[spec].properties[a].pattern: Invalid value: "(": must be a valid regular expression, but isn't: "#),
        "{errors:?}"
    );
}

fn rule_errors(rules: serde_json::Value) -> Vec<String> {
    rejection(with_spec(json!({
        "type": "object",
        "properties": {"a": {"type": "integer"}},
        "x-kubernetes-validations": rules,
    })))
}

#[test]
fn cel_rules_that_do_not_compile_are_rejected_at_their_rule() {
    let at = "properties[spec].x-kubernetes-validations[0]";
    let syntax = rule_errors(json!([{"rule": "self.a ==="}]));
    assert!(
        syntax[0].starts_with(&format!(
            r#"{at}.rule: Invalid value: "self.a ===": compilation failed: "#
        )),
        "{syntax:?}"
    );
    let undeclared = rule_errors(json!([{"rule": "self.a == b"}]));
    assert!(
        undeclared[0].contains("undeclared reference to 'b'"),
        "{undeclared:?}"
    );
    let message = rule_errors(json!([{"rule": "self.a > 0", "messageExpression": "'a' +"}]));
    assert!(
        message[0].starts_with(&format!("{at}.messageExpression: Invalid value: ")),
        "{message:?}"
    );
}

#[test]
fn malformed_cel_rules_are_rejected_with_kube_apiserver_wording() {
    let at = "properties[spec].x-kubernetes-validations[0]";
    assert_eq!(
        rule_errors(json!([{"rule": " "}])),
        [format!("{at}.rule: Required value: rule is not specified")]
    );
    assert_eq!(
        rule_errors(json!([{"rule": "self.a > 0", "reason": "Bad"}])),
        [format!(
            r#"{at}.reason: Unsupported value: "Bad": supported values: "FieldValueDuplicate", "FieldValueForbidden", "FieldValueInvalid", "FieldValueRequired""#
        )]
    );
    assert_eq!(
        rule_errors(json!([{"rule": "self.a > 0", "fieldPath": ".b"}])),
        [format!(
            r#"{at}.fieldPath: Invalid value: ".b": fieldPath must be a valid path"#
        )]
    );
    assert_eq!(
        rule_errors(json!([{"rule": "self.a > 0", "optionalOldSelf": true}])),
        [format!(
            "{at}.optionalOldSelf: Invalid value: true: may not be set if oldSelf is not used in rule"
        )]
    );
}

#[test]
fn transition_rules_under_uncorrelatable_lists_are_rejected() {
    let item = json!({
        "type": "object",
        "properties": {"n": {"type": "integer"}},
        "x-kubernetes-validations": [{"rule": "self.n == oldSelf.n"}],
    });
    let errors = rejection(with_spec_properties(json!({
        "items": {"type": "array", "items": item},
    })));
    assert_eq!(
        errors,
        [
            r#"properties[spec].properties[items].items.x-kubernetes-validations[0].rule: Invalid value: "self.n == oldSelf.n": oldSelf cannot be used on the uncorrelatable portion of the schema within properties[spec].properties[items]"#
        ]
    );
}

#[test]
fn common_rule_idioms_compile_and_evaluate() {
    let rules = [
        "self.tags.all(t, t.size() > 0) && self.tags.exists(t, t == 'a')",
        "self.tags.map(t, t.size()).all(n, n > 0) && self.tags.exists_one(t, t == 'a')",
        "self.tags.filter(t, t.startsWith('a')).size() == 1",
        "has(self.name) && self.name.matches('^[a-z]+$')",
        "optional.none().hasValue() == false && optional.of(1).value() == 1",
        "self.labels.all(k, k.size() < 64) && 'app' in self.labels",
        "quantity(self.memory).isGreaterThan(quantity('1Mi'))",
        "isURL(self.url) && url(self.url).getHost() == 'example.com'",
        "math.ceil(1.5) == 2.0 && self.name.lowerAscii() == self.name",
        "!format.dns1123Label().validate(self.name).hasValue()",
    ];
    let rules: Vec<serde_json::Value> = rules.iter().map(|r| json!({"rule": r})).collect();
    let validator = compile(with_spec(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string"},
            "memory": {"type": "string"},
            "url": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "string"}},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        },
        "x-kubernetes-validations": rules,
    })));
    let spec = json!({
        "name": "abc",
        "memory": "2Mi",
        "url": "https://example.com/x",
        "tags": ["a", "b"],
        "labels": {"app": "x"},
    });
    let errors = super::lines(&validator.validate(&super::resource(spec), None));
    assert_eq!(errors, Vec::<String>::new());
}
