//! What a client may send as the `scenarios` label definition's schema: the built-in schema with
//! another enum.

use compass_crds::labels::DEFAULT_SCENARIO;
use serde_json::Value;

use super::types::schema_with;
use crate::{
    director::scenario_membership::check_name,
    errors::{ApiResult, invalid},
};

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

#[cfg(test)]
mod tests {
    use serde_json::json;

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
