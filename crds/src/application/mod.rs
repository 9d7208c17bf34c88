//! The Application kind: an external system registered in a tenant, with the APIs, events and
//! documents it offers, the webhooks it wants called, and the scenarios that decide which runtimes
//! see it.

mod api_definition;
mod document;
mod event_definition;
mod source;
mod status;
mod webhook;

pub use api_definition::{ApiDefinition, ApiSpec, ApiSpecType, RuntimeAuth, SpecFormat};
pub use document::{Document, DocumentFormat};
pub use event_definition::{EventDefinition, EventSpec, EventSpecType};
pub use source::{ConfigMapKeyReference, DataSource, FetchMode, FetchRequest, Version};
pub use status::{
    ApplicationStatus, DefinitionStatus, FetchCondition, FetchStatus, RuntimeCredentialStatus,
    WebhookFailureStatus,
};
pub use webhook::{Webhook, WebhookType};

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{
    labels::Labels,
    schema::{
        DESCRIPTION_MAX_LENGTH, LONG_STRING_MAX_LENGTH, OBJECT_NAME_PATTERN,
        SCENARIO_NAME_MAX_LENGTH, SCENARIO_NAME_PATTERN,
    },
};

/// An external system registered in a tenant: what it offers (APIs, events, documents), how the
/// management plane reaches it (webhooks), and which runtimes see it (scenarios).
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "compass.kyma-project.io",
    version = "v1alpha1",
    kind = "Application",
    namespaced,
    status = "ApplicationStatus",
    shortname = "capp",
    category = "compass",
    derive = "PartialEq",
    doc = "An external system registered in a tenant: the APIs, events and documents it offers, the webhooks the management plane calls, and the scenarios that decide which runtimes see it. The object's name is the application's name; its uid is the application's id.",
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Scenarios",
        type_ = "string",
        json_path = ".status.scenarioSummary"
    ),
    printcolumn(
        name = "Runtimes",
        type_ = "integer",
        json_path = ".status.runtimeCount"
    ),
    printcolumn(
        name = "Provider",
        type_ = "string",
        json_path = ".spec.providerName",
        priority = 1
    ),
    printcolumn(
        name = "Reason",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].reason",
        priority = 1
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// Who provides the application, for example a vendor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = LONG_STRING_MAX_LENGTH))]
    pub provider_name: Option<String>,

    /// What the application is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = DESCRIPTION_MAX_LENGTH))]
    pub description: Option<String>,

    /// Labels with any JSON value. Values are checked against the tenant's LabelDefinition of the
    /// same key, when one has a schema.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    #[schemars(schema_with = "crate::labels::labels_schema")]
    pub labels: Labels,

    /// Scenarios the application belongs to; it is visible to every runtime that shares one.
    /// Omit it to place the application in the `DEFAULT` scenario. Each name must be a Scenario
    /// of the tenant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(
        length(min = 1, max = 100),
        inner(length(min = 1, max = SCENARIO_NAME_MAX_LENGTH), regex(pattern = SCENARIO_NAME_PATTERN))
    )]
    #[x_kube(merge_strategy = ListMerge::Set)]
    pub scenarios: Option<Vec<String>>,

    /// URL that reports the application's health.
    #[serde(
        rename = "healthCheckURL",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    #[schemars(length(min = 1, max = LONG_STRING_MAX_LENGTH))]
    #[x_kube(validation = Rule::new(crate::schema::URL_RULE).message(crate::schema::URL_MESSAGE))]
    pub health_check_url: Option<String>,

    /// Name of the IntegrationSystem that manages this application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253), regex(pattern = OBJECT_NAME_PATTERN))]
    pub integration_system: Option<String>,

    /// Endpoints the management plane calls, for example when a runtime starts to see the
    /// application.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 20))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub webhooks: Vec<Webhook>,

    /// APIs the application exposes; names are unique.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 200))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub api_definitions: Vec<ApiDefinition>,

    /// Events the application publishes; names are unique.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 200))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub event_definitions: Vec<EventDefinition>,

    /// Documents about the application; titles are unique.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 100))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["title".into()]))]
    pub documents: Vec<Document>,

    /// Where the application's events are delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eventing: Option<ApplicationEventing>,
}

/// Eventing configuration of an application.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationEventing {
    /// Name of the Runtime that receives the application's events. It must share a scenario with
    /// the application. When unset, the oldest runtime sharing a scenario is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 253), regex(pattern = OBJECT_NAME_PATTERN))]
    pub default_runtime: Option<String>,
}

#[cfg(test)]
mod tests {
    use std::mem::size_of;

    use super::*;

    /// Every Application the shared stores hold carries its definitions' room inline, so their
    /// optional credentials and fetch requests stay boxed: inline they took an API definition
    /// to 904 bytes before any of its text (`docs/benchmarks.md`).
    #[test]
    fn definitions_keep_their_optional_parts_out_of_line() {
        let sizes = [
            ("ApiDefinition", size_of::<ApiDefinition>(), 320),
            ("EventDefinition", size_of::<EventDefinition>(), 256),
            ("Document", size_of::<Document>(), 256),
            ("Webhook", size_of::<Webhook>(), 128),
            ("FetchRequest", size_of::<FetchRequest>(), 128),
        ];
        for (name, size, bound) in sizes {
            assert!(size <= bound, "{name} is {size} bytes, over {bound}");
        }
    }
}
