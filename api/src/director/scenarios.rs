//! The `scenarios` label as the original Director knew it, over Scenario objects: the synthesized
//! `scenarios` label definition, its meta-schema (only the enum may change, and it keeps
//! `DEFAULT`), and the check of a `scenarios` label value.

use std::collections::BTreeSet;

use compass_crds::{
    labels::{DEFAULT_SCENARIO, SCENARIOS_KEY},
    schema::{SCENARIO_NAME_MAX_LENGTH, SCENARIO_NAME_PATTERN},
};
use serde_json::{Value, json};

use crate::{
    errors::{ApiResult, invalid},
    state::Caches,
};

/// The scenario names of a tenant: `DEFAULT` first, the others in alphabetical order.
///
/// `DEFAULT` is always there, as the original's meta-schema required; the operator keeps its
/// object in every tenant.
pub fn names(caches: &Caches, namespace: &str) -> Vec<String> {
    let mut others: BTreeSet<String> = caches
        .scenarios
        .in_namespace(namespace)
        .iter()
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .map(|s| s.scenario_name().to_owned())
        .collect();
    others.remove(DEFAULT_SCENARIO);
    std::iter::once(DEFAULT_SCENARIO.to_owned())
        .chain(others)
        .collect()
}

/// The schema of the `scenarios` label definition listing `names`, shaped as the original's.
pub fn schema_with(names: &[String]) -> Value {
    json!({
        "type": "array",
        "minItems": 1,
        "uniqueItems": true,
        "items": {
            "type": "string",
            "pattern": SCENARIO_NAME_PATTERN,
            "maxLength": SCENARIO_NAME_MAX_LENGTH,
            "enum": names,
        },
    })
}

/// The scenario names a new `scenarios` schema lists, after checking it against the original's
/// meta-schema: the schema may differ from the built-in one only in its enum, and the enum must
/// list `DEFAULT` and valid, distinct names.
pub fn enum_of(schema: Option<&Value>) -> ApiResult<Vec<String>> {
    const FIELD: &str = "in.schema";
    let Some(schema) = schema else {
        return Err(invalid(FIELD, "the scenarios definition needs a schema"));
    };
    let listed = schema
        .pointer("/items/enum")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            invalid(
                FIELD,
                "the scenarios schema must list the scenarios in items.enum",
            )
        })?;
    let mut names = Vec::with_capacity(listed.len());
    for item in listed {
        let name = item
            .as_str()
            .ok_or_else(|| invalid(FIELD, format!("scenario {item} must be a string")))?;
        check_name(FIELD, name)?;
        if names.iter().any(|n| n == name) {
            return Err(invalid(FIELD, format!("scenario {name:?} is listed twice")));
        }
        names.push(name.to_owned());
    }
    if !names.iter().any(|n| n == DEFAULT_SCENARIO) {
        return Err(invalid(
            FIELD,
            "the scenarios enum must contain DEFAULT: it cannot be removed",
        ));
    }
    if schema_with(&names) != *schema {
        return Err(invalid(
            FIELD,
            "only items.enum of the scenarios schema may change; the rest must stay as the built-in schema",
        ));
    }
    Ok(names)
}

fn check_name(field: &str, name: &str) -> ApiResult<()> {
    static PATTERN: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(SCENARIO_NAME_PATTERN).expect("a valid regex")
    });
    if name.chars().count() > SCENARIO_NAME_MAX_LENGTH as usize || !PATTERN.is_match(name) {
        return Err(invalid(
            field,
            format!(
                "scenario {name:?} must be 2 to {SCENARIO_NAME_MAX_LENGTH} letters, digits, '-', '_' or spaces, starting and ending with a letter or digit"
            ),
        ));
    }
    Ok(())
}

/// Checks a `scenarios` label value: a non-empty list of distinct names, each a scenario of the
/// tenant. Returns the names.
pub fn check_value(
    caches: &Caches,
    namespace: &str,
    field: &str,
    value: &Value,
) -> ApiResult<Vec<String>> {
    let items = value.as_array().ok_or_else(|| {
        invalid(
            field,
            format!("label {SCENARIOS_KEY} must be a list of scenario names"),
        )
    })?;
    if items.is_empty() {
        return Err(invalid(
            field,
            format!("label {SCENARIOS_KEY} must list at least one scenario"),
        ));
    }
    let known = names(caches, namespace);
    let mut listed: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        let name = item
            .as_str()
            .ok_or_else(|| invalid(field, format!("scenario {item} must be a string")))?;
        check_name(field, name)?;
        if listed.iter().any(|n| n == name) {
            return Err(invalid(field, format!("scenario {name:?} is listed twice")));
        }
        if !known.iter().any(|k| k == name) {
            return Err(invalid(
                field,
                format!(
                    "scenario {name:?} does not exist in this tenant; add it to the scenarios label definition first (known: {})",
                    known.join(", ")
                ),
            ));
        }
        listed.push(name.to_owned());
    }
    Ok(listed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_enum_may_change_and_default_stays() {
        let names = vec!["DEFAULT".to_owned(), "Sales EMEA".to_owned()];
        assert_eq!(enum_of(Some(&schema_with(&names))).unwrap(), names);
        let without_default = schema_with(&["Sales".to_owned()]);
        assert!(
            enum_of(Some(&without_default))
                .unwrap_err()
                .message
                .contains("DEFAULT")
        );
        let mut loosened = schema_with(&names);
        loosened["minItems"] = json!(0);
        assert!(
            enum_of(Some(&loosened))
                .unwrap_err()
                .message
                .contains("only items.enum")
        );
        let bad_name = schema_with(&["DEFAULT".to_owned(), "-x".to_owned()]);
        assert!(enum_of(Some(&bad_name)).is_err());
    }
}
