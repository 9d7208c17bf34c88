//! What the operator reports about an application: conditions, the scenarios and runtimes in
//! effect, the ids and fetch results of its children, and what its webhooks answered.

use crate::conditions::Condition;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::KubeSchema;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::Names;

/// What the operator observed about an application.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: `Ready` summarises `ReferencesResolved`, `LabelsValid` and `SpecsFetched`;
    /// `WebhooksDelivered` reports the webhook calls and does not hold `Ready` back.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// Scenarios in effect: those in the spec, or `DEFAULT` when the spec lists none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scenarios: Vec<String>,

    /// The scenarios in effect as one line (`DEFAULT, marketing`), for `kubectl get`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scenario_summary: Option<String>,

    /// Number of runtimes that see the application.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_count: Option<i32>,

    /// Names of runtimes that see the application, in name order; at most 100 are listed.
    #[serde(default, skip_serializing_if = "Names::is_empty")]
    pub runtimes: Names,

    /// Ids and fetch results of the API definitions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub api_definitions: Vec<DefinitionStatus>,

    /// Ids and fetch results of the event definitions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub event_definitions: Vec<DefinitionStatus>,

    /// Ids and fetch results of the documents, keyed by title.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub documents: Vec<DefinitionStatus>,

    /// The value of the `compass.kyma-project.io/refetch` annotation last acted on. Setting the
    /// annotation to a new value fetches every spec and document again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_refetch: Option<String>,

    /// Runtimes whose `CONFIGURATION_CHANGED` webhooks were all called successfully, with the
    /// credentials the webhooks returned for them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub runtime_credentials: Vec<RuntimeCredentialStatus>,

    /// Runtimes for which a webhook call failed; the calls are retried with backoff.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub webhook_failures: Vec<WebhookFailureStatus>,
}

/// Identity and fetch result of one API definition, event definition or document.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DefinitionStatus {
    /// Name of the definition, or title of the document.
    pub name: String,
    /// Stable id, derived from the application's uid and the name.
    pub id: String,
    /// Result of the fetch request, when the content is fetched.
    // Boxed: most definitions carry their content inline and have none, and the caches hold a
    // status per application (96 bytes inline against 8).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Box<FetchStatus>>,
}

/// Result of a fetch request.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FetchStatus {
    /// Where the fetch stands.
    pub condition: FetchCondition,
    /// What happened, in words; says why a fetch failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// When the request was last attempted.
    pub timestamp: Time,
    /// ConfigMap, owned by the application, holding the content last fetched successfully under
    /// the key `content`. It stays when a later attempt fails.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config_map: Option<String>,
    /// Digest of the fetch request this result belongs to; a changed request is fetched again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_hash: Option<String>,
    /// Failed attempts in a row. The next attempt follows 2^attempts seconds after the last
    /// one, at most five minutes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempts: Option<i32>,
}

/// Where a fetch request stands.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum FetchCondition {
    /// Not fetched yet.
    #[serde(rename = "INITIAL")]
    Initial,
    /// Fetched and stored.
    #[serde(rename = "SUCCEEDED")]
    Succeeded,
    /// The last attempt failed; `message` says why.
    #[serde(rename = "FAILED")]
    Failed,
}

/// What the application's webhooks answered for one runtime.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RuntimeCredentialStatus {
    /// Name of the runtime.
    pub runtime: String,
    /// Secret, owned by the application, holding the credentials a webhook returned for the
    /// runtime. Absent when the webhooks answered without credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    /// When the webhooks' answers were received.
    pub received_at: Time,
}

/// A runtime whose webhook calls have not all succeeded yet.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookFailureStatus {
    /// Name of the runtime.
    pub runtime: String,
    /// Failed attempts in a row. The next attempt follows 2^attempts seconds after the last
    /// one, at most five minutes.
    pub attempts: i32,
    /// When the webhooks were last called for the runtime.
    pub last_attempt_time: Time,
    /// Why the last attempt failed.
    pub message: String,
    /// Webhooks that already answered for the runtime; they are not called again.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answered: Vec<String>,
    /// Secret holding credentials a webhook already returned for the runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}
