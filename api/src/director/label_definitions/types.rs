//! The `LabelDefinition` type as the Director shows it.

use async_graphql::SimpleObject;
use serde_json::Value;

use crate::scalars::JsonSchema;

/// A label key of the tenant and the JSON Schema its values must satisfy.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct LabelDefinition {
    /// The label key.
    pub key: String,
    /// The JSON Schema values must satisfy; none means any value.
    pub schema: Option<JsonSchema>,
}

impl crate::director::plain::Plain for LabelDefinition {}

impl From<&compass_crds::LabelDefinition> for LabelDefinition {
    fn from(object: &compass_crds::LabelDefinition) -> Self {
        Self {
            key: object.key().to_owned(),
            schema: object
                .spec
                .schema
                .clone()
                .map(|s| JsonSchema(Value::Object(s))),
        }
    }
}
