//! Label definitions: the label keys of a tenant and the JSON Schemas their values must satisfy,
//! as LabelDefinition objects, plus one without a schema for every key in use that has none (the
//! original created those on first use), plus the `scenarios` definition, which is the scenarios
//! module's. Changing a schema is refused while a stored label would break it.

mod inputs;
mod mutation;
mod query;
mod types;

pub use mutation::LabelDefinitionMutation;
pub use query::LabelDefinitionQuery;
pub use types::LabelDefinition;
