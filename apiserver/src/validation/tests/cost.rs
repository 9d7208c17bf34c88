//! CEL cost limits: rules refused when a CRD is written because of their estimated cost,
//! evaluations refused at run time because of the object's actual sizes, the per-object budget,
//! the deadline, the hand-off of a validation running too long on a thread serving requests,
//! and the product's own CRDs staying within every limit.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::{compile, lines, resource, with_spec};
use crate::validation::SchemaValidator;

/// A spec with a list of strings of at most `max_items` items of `max_length` bytes, and `rule`
/// on the spec.
fn list_with(max_items: u64, max_length: u64, rule: &str) -> SchemaValidator {
    compile(with_spec(json!({
        "type": "object",
        "properties": {
            "items": {
                "type": "array",
                "maxItems": max_items,
                "items": {"type": "string", "maxLength": max_length},
            },
        },
        "x-kubernetes-validations": [{"rule": rule}],
    })))
}

fn items(count: usize, length: usize) -> Value {
    let items: Vec<String> = (0..count).map(|i| format!("{i:0length$}")).collect();
    json!({ "items": items })
}

/// Every pair of items compared: 10^8 comparisons at 10,000 items.
const PAIRS: &str = "self.items.all(a, self.items.all(b, a == b || a != b))";

#[test]
fn a_rule_estimated_over_the_per_rule_limit_is_refused_with_kubes_message_and_path() {
    let validator = list_with(10_000, 10, PAIRS);
    let errors = lines(&validator.check_cel_costs());
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert_eq!(
        errors[0],
        "properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget by factor of more than 100x (try simplifying the rule, or adding maxItems, maxProperties, and maxLength where arrays, maps, and strings are declared)"
    );
    assert_eq!(
        errors[1],
        "properties[spec].x-kubernetes-validations[0].rule: Forbidden: contributed to estimated rule & messageExpression cost total exceeding cost limit for entire OpenAPIv3 schema"
    );
    assert!(
        errors[2].starts_with("Forbidden: x-kubernetes-validations estimated rule & messageExpression cost total for entire OpenAPIv3 schema exceeds budget by factor of"),
        "{}",
        errors[2]
    );
    // Bounded small enough, the same rule is accepted.
    assert!(list_with(100, 10, PAIRS).check_cel_costs().is_empty());
}

#[test]
fn unbounded_lists_and_strings_are_estimated_from_the_request_size() {
    let unbounded = compile(with_spec(json!({
        "type": "object",
        "properties": {"tags": {"type": "array", "items": {"type": "string"}}},
        "x-kubernetes-validations": [{"rule": "self.tags.all(t, t.contains('gpu'))"}],
    })));
    let errors = lines(&unbounded.check_cel_costs());
    assert!(
        errors[0].starts_with(
            "properties[spec].x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget"
        ),
        "{errors:?}"
    );
    assert!(
        list_with(100, 64, "self.items.all(t, t.contains('gpu'))")
            .check_cel_costs()
            .is_empty()
    );
}

#[test]
fn a_rule_on_list_items_costs_once_per_item_the_list_can_hold() {
    let per_item = |max_items: u64| {
        compile(with_spec(json!({
            "type": "object",
            "properties": {"names": {
                "type": "array",
                "maxItems": max_items,
                "items": {
                    "type": "string",
                    "maxLength": 1000,
                    "x-kubernetes-validations": [{"rule": "self.matches('^[a-z]+(-[a-z]+)*$')"}],
                },
            }},
        })))
        .check_cel_costs()
    };
    assert!(per_item(100).is_empty());
    let errors = lines(&per_item(1_000_000));
    assert!(
        errors[0].starts_with("properties[spec].properties[names].items.x-kubernetes-validations[0].rule: Forbidden: estimated rule cost exceeds budget"),
        "{errors:?}"
    );
}

#[test]
fn an_evaluation_over_the_per_call_limit_is_refused_with_the_rule_named() {
    // Within the static limit (500² pairs), but over the per-call limit with 500 items.
    let validator = list_with(500, 64, PAIRS);
    assert!(validator.check_cel_costs().is_empty());
    assert!(
        validator
            .validate(&resource(items(50, 64)), None)
            .is_empty()
    );
    let refused = lines(&validator.validate(&resource(items(500, 64)), None));
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert!(
        refused[0].starts_with(&format!(
            "spec: Invalid value: \"object\": call cost exceeds limit for rule: {PAIRS}"
        )),
        "{refused:?}"
    );
}

#[test]
fn once_the_object_budget_is_spent_no_further_rule_runs() {
    // One rule per item, each well within the per-call limit, 20,000 of them.
    let validator = compile(with_spec(json!({
        "type": "object",
        "properties": {"names": {
            "type": "array",
            "maxItems": 20_000,
            "items": {
                "type": "string",
                "maxLength": 5000,
                "x-kubernetes-validations": [{"rule": "self.contains('x') || self.size() > 0"}],
            },
        }},
    })));
    let names: Vec<String> = (0..20_000).map(|_| "a".repeat(5000)).collect();
    let refused = lines(&validator.validate(&resource(json!({ "names": names })), None));
    assert_eq!(
        refused.len(),
        1,
        "reported once: {:?}",
        &refused[..refused.len().min(3)]
    );
    assert!(
        refused[0].contains("validation failed due to running out of cost budget, no further validation rules will be run"),
        "{refused:?}"
    );
}

#[test]
fn a_validation_past_its_deadline_runs_no_further_rule() {
    let validator = list_with(10, 10, "self.items.size() > 0");
    let past = Instant::now() - Duration::from_secs(1);
    let refused = lines(&validator.validate_within(&resource(items(1, 5)), None, Some(past)));
    assert_eq!(refused.len(), 1);
    assert!(
        refused[0].contains("did not finish in the time the request had"),
        "{refused:?}"
    );
}

#[test]
fn a_validation_past_its_hand_off_time_stops_without_an_error_and_only_then() {
    let validator = list_with(10, 10, "self.items.size() > 1");
    let object = resource(items(1, 5));
    let past = Instant::now() - Duration::from_secs(1);
    let later = Instant::now() + Duration::from_secs(60);
    assert_eq!(
        validator.validate_or_hand_off(&object, None, None, Some(past)),
        None,
        "the rule due after the hand-off time does not run, and nothing is reported"
    );
    let found = validator.validate_or_hand_off(&object, None, None, Some(later));
    assert_eq!(found, Some(validator.validate(&object, None)));
    assert_eq!(found.map(|errors| errors.len()), Some(1), "the rule ran");
    let valid = resource(items(2, 5));
    assert_eq!(
        validator.validate_or_hand_off(&valid, None, None, Some(later)),
        Some(Vec::new())
    );
}

#[test]
fn the_products_own_crds_are_within_every_limit() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crds/yaml");
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        let crd: Value = serde_yaml::from_str(&text).unwrap();
        if crd["kind"] != "CustomResourceDefinition" {
            continue;
        }
        for version in crd["spec"]["versions"].as_array().unwrap() {
            let schema = &version["schema"]["openAPIV3Schema"];
            let errors = compile(schema.clone()).check_cel_costs();
            assert!(
                errors.is_empty(),
                "{}: {:#?}",
                path.display(),
                lines(&errors)
            );
            checked += 1;
        }
    }
    assert!(checked >= 7, "{checked} schemas checked");
}
