//! The `scenarios` label definition as `labelDefinitions` and `labelDefinition` show it:
//! synthesized from the tenant's Scenario objects.

use compass_crds::labels::SCENARIOS_KEY;

use super::types::schema_with;
use crate::{
    director::{label_definitions::LabelDefinition, scenario_membership::names},
    scalars::JsonSchema,
    state::Caches,
};

/// The synthesized `scenarios` definition of a tenant.
pub fn definition(caches: &Caches, namespace: &str) -> LabelDefinition {
    LabelDefinition {
        key: SCENARIOS_KEY.to_owned(),
        schema: Some(JsonSchema(schema_with(&names(caches, namespace)))),
    }
}
