//! The LabelDefinition kind: a label key of a tenant and the JSON Schema its values must satisfy.

use crate::conditions::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::{labels::SCENARIOS_KEY, schema::LABEL_KEY_MAX_LENGTH};

/// A label key of a tenant, optionally with a JSON Schema that every value of that key on the
/// tenant's applications and runtimes must satisfy.
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "compass.kyma-project.io",
    version = "v1alpha1",
    kind = "LabelDefinition",
    namespaced,
    status = "LabelDefinitionStatus",
    shortname = "ldef",
    category = "compass",
    derive = "PartialEq",
    doc = "A label key of a tenant and the JSON Schema its values must satisfy. When the schema changes, the operator checks every existing label with the key and reports the objects whose values no longer fit. Scenarios are governed by Scenario objects, not by a LabelDefinition.",
    validation = Rule::new(format!("(has(self.spec.key) ? self.spec.key : self.metadata.name) != '{SCENARIOS_KEY}'"))
        .message("the scenarios label is governed by Scenario objects; create Scenarios instead"),
    printcolumn(name = "Key", type_ = "string", json_path = ".status.key"),
    printcolumn(name = "Ready", type_ = "string", json_path = ".status.conditions[?(@.type==\"Ready\")].status"),
    printcolumn(name = "Invalid", type_ = "integer", json_path = ".status.invalidLabelCount"),
    printcolumn(name = "Age", type_ = "date", json_path = ".metadata.creationTimestamp"),
)]
#[serde(rename_all = "camelCase")]
#[x_kube(validation = Rule::new("(has(self.key) ? self.key : '') == (has(oldSelf.key) ? oldSelf.key : '')")
    .message("key cannot be changed; create a new LabelDefinition instead")
    .field_path(".key"))]
pub struct LabelDefinitionSpec {
    /// The label key. Defaults to the object's name; set it when the key is not a valid object
    /// name, such as `integrationSystemID` or `runtime/event_service_url`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = LABEL_KEY_MAX_LENGTH))]
    pub key: Option<String>,

    /// JSON Schema (draft 7) that every value of the label must satisfy. Without a schema any
    /// value is accepted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crate::schema::free_form_object")]
    pub schema: Option<serde_json::Map<String, serde_json::Value>>,
}

/// What the operator observed about a label definition.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct LabelDefinitionStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: `Ready` when the schema is valid JSON Schema and every existing label
    /// satisfies it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// The label key in effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,

    /// Number of applications and runtimes whose value of this label breaks the schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub invalid_label_count: Option<i32>,

    /// Objects whose value breaks the schema; at most 50 are listed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub invalid_labels: Vec<InvalidLabel>,
}

/// One object whose label value breaks its definition's schema.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InvalidLabel {
    /// `Application` or `Runtime`.
    pub kind: String,
    /// Name of the object.
    pub name: String,
    /// Why the value does not satisfy the schema.
    pub message: String,
}

impl LabelDefinition {
    /// The label key this definition governs.
    pub fn key(&self) -> &str {
        self.spec
            .key
            .as_deref()
            .or(self.metadata.name.as_deref())
            .unwrap_or_default()
    }
}
