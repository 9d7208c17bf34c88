//! The shape of the `scenarios` label definition's schema, as the original's built-in one: only
//! its enum (the tenant's scenario names) changes.

use compass_crds::schema::{SCENARIO_NAME_MAX_LENGTH, SCENARIO_NAME_PATTERN};
use serde_json::{Value, json};

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
