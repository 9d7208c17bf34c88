//! What clients send to define a label key, and the checks of a new schema: it is a JSON object
//! that compiles, and every value of the key stored in the tenant satisfies it.

use async_graphql::InputObject;
use compass_crds::label_schema;
use serde_json::{Map, Value};

use crate::{
    director::label_usage::{listed, values_of_key},
    errors::{ApiResult, invalid},
    scalars::JsonSchema,
    state::Caches,
};

/// A label definition to create or update.
#[derive(Clone, Debug, InputObject)]
pub struct LabelDefinitionInput {
    /// The label key.
    pub key: String,
    /// The JSON Schema values must satisfy; none means any value.
    pub schema: Option<JsonSchema>,
}

/// Checks a new schema: it compiles, and every stored value of the key satisfies it.
pub fn check_schema(caches: &Caches, namespace: &str, key: &str, schema: &Value) -> ApiResult<()> {
    let validator = label_schema::compile(schema).map_err(|why| invalid("in.schema", why))?;
    let broken: Vec<String> = values_of_key(caches, namespace, key)
        .into_iter()
        .filter_map(|(holder, value)| {
            label_schema::violation(&validator, &value).map(|why| format!("{holder} ({why})"))
        })
        .collect();
    if !broken.is_empty() {
        return Err(invalid(
            "in.schema",
            format!(
                "label values of key {key} would not match the new schema: {}",
                listed(&broken)
            ),
        ));
    }
    Ok(())
}

/// Schemas are JSON objects (or `true`/absent, which allow anything).
pub fn schema_object(schema: Option<&JsonSchema>) -> ApiResult<Option<Map<String, Value>>> {
    match schema.map(|s| &s.0) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object.clone())),
        Some(other) => Err(invalid(
            "in.schema",
            format!("a label schema must be a JSON object, not {other}"),
        )),
    }
}
