//! Labels and scenarios as the original Compass has them: labels map keys to any JSON value, and
//! scenarios are the named groups that decide which runtimes see which applications.

use std::collections::BTreeMap;

use schemars::{Schema, SchemaGenerator, json_schema};

use crate::schema::LABEL_KEY_MAX_LENGTH;

/// Labels of an application or runtime: each key maps to any JSON value.
pub type Labels = BTreeMap<String, serde_json::Value>;

/// The label key under which the original Compass kept scenarios; here they have their own field.
pub const SCENARIOS_KEY: &str = "scenarios";

/// The scenario an application belongs to when it names none.
pub const DEFAULT_SCENARIO: &str = "DEFAULT";

/// Most labels one object may carry.
pub const MAX_LABELS: u32 = 128;

/// Schema of [`Labels`]: any JSON values, keys of 1 to 256 characters, and no `scenarios` key.
pub fn labels_schema(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "object",
        "maxProperties": MAX_LABELS,
        "additionalProperties": { "x-kubernetes-preserve-unknown-fields": true },
        "x-kubernetes-validations": [
            {
                "rule": format!("self.all(k, k.size() >= 1 && k.size() <= {LABEL_KEY_MAX_LENGTH})"),
                "message": format!("label keys must be 1 to {LABEL_KEY_MAX_LENGTH} characters long"),
            },
            {
                "rule": format!("!('{SCENARIOS_KEY}' in self)"),
                "message": "scenarios are listed in spec.scenarios, not as a label",
            },
        ],
    })
}

/// The scenarios in effect for an object: those it lists, or `DEFAULT` when it lists none.
pub fn effective_scenarios(listed: Option<&[String]>) -> Vec<String> {
    match listed {
        Some(names) if !names.is_empty() => names.to_vec(),
        _ => vec![DEFAULT_SCENARIO.to_owned()],
    }
}
