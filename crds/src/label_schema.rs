//! Label schemas: a LabelDefinition may carry a JSON Schema (draft 7, as in the original Compass)
//! that every value of its key must satisfy. Shared by the operator, which reports values that
//! break their schema, and the Director API, which refuses them.

use jsonschema::Validator;
use serde_json::Value;

/// Compiles a label schema, checking it against the JSON Schema draft 7 meta-schema first.
pub fn compile(schema: &Value) -> Result<Validator, String> {
    if let Err(error) = jsonschema::draft7::meta::validate(schema) {
        return Err(format!("not a valid JSON Schema: {error}"));
    }
    jsonschema::draft7::new(schema).map_err(|e| format!("not a valid JSON Schema: {e}"))
}

/// Why `value` breaks `validator`, or `None` when it satisfies it.
pub fn violation(validator: &Validator, value: &Value) -> Option<String> {
    let messages: Vec<String> = validator
        .iter_errors(value)
        .map(|error| {
            let path = error.instance_path().to_string();
            if path.is_empty() {
                error.to_string()
            } else {
                format!("{path}: {error}")
            }
        })
        .collect();
    (!messages.is_empty()).then(|| messages.join("; "))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn values_are_checked_and_bad_schemas_refused() {
        let validator = compile(&json!({ "type": "string", "enum": ["eu", "us"] })).unwrap();
        assert!(violation(&validator, &json!("eu")).is_none());
        assert!(
            violation(&validator, &json!("mars"))
                .unwrap()
                .contains("mars")
        );
        assert!(compile(&json!({ "type": "strin" })).is_err());
    }
}
