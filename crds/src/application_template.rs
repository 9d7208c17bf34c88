//! The ApplicationTemplate kind: a reusable application input with `{{placeholders}}`, from which
//! applications are registered in any tenant.

use crate::conditions::Condition;
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::schema::{DESCRIPTION_MAX_LENGTH, NAME_MAX_LENGTH};

/// Pattern of a placeholder name: a lowercase name that starts with a letter.
pub const PLACEHOLDER_NAME_PATTERN: &str = r"^[a-z]([-.a-z0-9]*[a-z0-9])?$";

/// An application input with `{{placeholders}}`. Registering an application from the template
/// replaces every placeholder with a value the caller supplies.
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "compass.kyma-project.io",
    version = "v1alpha1",
    kind = "ApplicationTemplate",
    status = "ApplicationTemplateStatus",
    shortname = "apptmpl",
    category = "compass",
    derive = "PartialEq",
    doc = "A reusable application input with {{placeholders}}. Registering an application from the template substitutes every placeholder with a caller-supplied value and creates the Application in the caller's tenant. The object's name is the template's name.",
    printcolumn(
        name = "Access Level",
        type_ = "string",
        json_path = ".spec.accessLevel"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationTemplateSpec {
    /// What applications made from the template are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = DESCRIPTION_MAX_LENGTH))]
    pub description: Option<String>,

    /// The application to register: `name` plus the fields of an Application's spec. Any string
    /// may contain `{{placeholder}}` references.
    #[schemars(schema_with = "crate::schema::free_form_object")]
    pub application_input: serde_json::Map<String, serde_json::Value>,

    /// The placeholders the input uses; every one must be referenced and each name is unique.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(length(max = 50))]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["name".into()]))]
    pub placeholders: Vec<PlaceholderDefinition>,

    /// Who may use the template. Only `GLOBAL`: every tenant.
    #[serde(default)]
    pub access_level: AccessLevel,
}

/// A placeholder of a template.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlaceholderDefinition {
    /// Name used as `{{name}}` in the input.
    #[schemars(length(min = 1, max = NAME_MAX_LENGTH), regex(pattern = PLACEHOLDER_NAME_PATTERN))]
    pub name: String,
    /// What value the placeholder expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = DESCRIPTION_MAX_LENGTH))]
    pub description: Option<String>,
}

/// Who may use a template.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq, Hash, JsonSchema)]
pub enum AccessLevel {
    /// Every tenant.
    #[default]
    #[serde(rename = "GLOBAL")]
    Global,
}

/// What the operator observed about a template.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationTemplateStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: `Ready` when every placeholder is used and the input makes a valid
    /// application once the placeholders are filled.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,
}
