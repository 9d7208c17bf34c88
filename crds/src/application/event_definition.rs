//! Event definitions of an application: the events it publishes and their AsyncAPI spec.

use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{
    api_definition::SpecFormat,
    source::{DataSource, FetchRequest, Version},
};
use crate::schema::{
    DEFINITION_NAME_MAX_LENGTH, DESCRIPTION_MAX_LENGTH, GROUP_MAX_LENGTH, INLINE_DATA_MAX_LENGTH,
    PRINTABLE_ASCII_PATTERN,
};

/// A set of events the application publishes.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EventDefinition {
    /// Name of the event definition, unique among the application's event definitions.
    /// Printable ASCII.
    #[schemars(length(min = 1, max = DEFINITION_NAME_MAX_LENGTH), regex(pattern = PRINTABLE_ASCII_PATTERN))]
    pub name: String,

    /// What the events describe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = DESCRIPTION_MAX_LENGTH))]
    pub description: Option<String>,

    /// Groups versions of the same events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = GROUP_MAX_LENGTH))]
    pub group: Option<String>,

    /// Version of the events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Version>,

    /// The events' specification document.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<EventSpec>,
}

/// The specification of an event definition: AsyncAPI in YAML or JSON, with exactly one source of
/// content.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
#[x_kube(
    validation = Rule::new("self.format in ['YAML', 'JSON']")
        .message(Message::Expression("self.format + ' is not a valid spec format for spec type ' + self.type + ' (ASYNC_API takes YAML or JSON)'".into()))
        .field_path(".format"),
    validation = Rule::new(crate::schema::ONE_SOURCE_RULE).message(crate::schema::ONE_SOURCE_MESSAGE),
)]
pub struct EventSpec {
    /// Kind of specification.
    #[serde(rename = "type")]
    pub type_: EventSpecType,

    /// Serialization of the specification.
    pub format: SpecFormat,

    /// The specification inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = INLINE_DATA_MAX_LENGTH))]
    pub data: Option<String>,

    /// The specification held in a ConfigMap, for documents too large to inline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_from: Option<DataSource>,

    /// Download the specification from a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch_request: Option<Box<FetchRequest>>,
}

/// Kind of event specification.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum EventSpecType {
    /// AsyncAPI.
    #[serde(rename = "ASYNC_API")]
    AsyncApi,
}
