//! The Scenario kind: a named group in a tenant. An application is visible to exactly the runtimes
//! that share one of its scenarios.

use crate::conditions::Condition;
use kube::{CustomResource, KubeSchema};
use serde::{Deserialize, Serialize};

use crate::schema::{DESCRIPTION_MAX_LENGTH, SCENARIO_NAME_MAX_LENGTH, SCENARIO_NAME_PATTERN};

/// A scenario of a tenant. Applications and runtimes list scenarios by name; a runtime sees the
/// applications it shares a scenario with.
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, PartialEq, KubeSchema)]
#[kube(
    group = "compass.kyma-project.io",
    version = "v1alpha1",
    kind = "Scenario",
    namespaced,
    status = "ScenarioStatus",
    shortname = "scn",
    category = "compass",
    derive = "PartialEq",
    doc = "A scenario of a tenant: a named group of applications and runtimes. A runtime sees exactly the applications that share one of its scenarios. A scenario still listed by an application or runtime is kept until no object lists it.",
    printcolumn(
        name = "Scenario",
        type_ = "string",
        json_path = ".status.scenarioName"
    ),
    printcolumn(
        name = "Applications",
        type_ = "integer",
        json_path = ".status.applicationCount"
    ),
    printcolumn(
        name = "Runtimes",
        type_ = "integer",
        json_path = ".status.runtimeCount"
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
#[x_kube(validation = Rule::new("(has(self.name) ? self.name : '') == (has(oldSelf.name) ? oldSelf.name : '')")
    .message("name cannot be changed; create a new Scenario instead")
    .field_path(".name"))]
pub struct ScenarioSpec {
    /// The scenario's name as applications and runtimes list it. Defaults to the object's name;
    /// set it when the name is not a valid object name, such as `DEFAULT` or `Sales EMEA`.
    /// Letters, digits, `-`, `_` and spaces, starting and ending with a letter or digit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = SCENARIO_NAME_MAX_LENGTH), regex(pattern = SCENARIO_NAME_PATTERN))]
    pub name: Option<String>,

    /// What the scenario groups together.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = DESCRIPTION_MAX_LENGTH))]
    pub description: Option<String>,
}

/// What the operator observed about a scenario.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: `Ready` summarises; `InUse` says which objects still list the scenario,
    /// which keeps it from being deleted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// The scenario's name in effect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_name: Option<String>,

    /// Number of applications in the scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub application_count: Option<i32>,

    /// Number of runtimes in the scenario.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_count: Option<i32>,
}

impl Scenario {
    /// The scenario's name as applications and runtimes list it.
    pub fn scenario_name(&self) -> &str {
        self.spec
            .name
            .as_deref()
            .or(self.metadata.name.as_deref())
            .unwrap_or_default()
    }
}
