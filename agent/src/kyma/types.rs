//! Kyma's Application kind (`applications.applicationconnector.kyma-project.io/v1alpha1`), as
//! the agent writes it: field names, casing and required fields follow Kyma's, so Kyma's own
//! runtime components read what the agent writes, and what the agent writes passes Kyma's schema
//! where a Kyma runtime already has the kind.

// Field names and JSON casing follow kyma-project/kyma
// `components/application-operator/pkg/apis/applicationconnector/v1alpha1/types.go`; the
// required fields follow its CRD (`installation/resources/crds/application-connector/
// applications.applicationconnector.crd.yaml`): a service requires id, name, displayName,
// providerDisplayName, description and entries; an entry its type; credentials their type and
// secretName; csrfInfo its tokenEndpointURL.

use std::collections::BTreeMap;

use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The application: what it is, the APIs and events it offers, and where it comes from.
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[kube(
    group = "applicationconnector.kyma-project.io",
    version = "v1alpha1",
    kind = "Application",
    status = "ApplicationStatus",
    shortname = "app",
    derive = "PartialEq",
    doc = "An external system connected to the runtime and the APIs and events it offers, as Kyma defines it. The Compass Runtime Agent writes one for each application assigned to the runtime (those carry `spec.compassMetadata`); API and event specifications are in ConfigMaps and credentials in Secrets in the `kyma-integration` namespace, owned by the Application.",
    printcolumn(
        name = "Application ID",
        type_ = "string",
        json_path = ".spec.compassMetadata.applicationId"
    ),
    printcolumn(
        name = "Installation",
        type_ = "string",
        json_path = ".status.installationStatus.status"
    ),
    printcolumn(
        name = "Age",
        type_ = "date",
        json_path = ".metadata.creationTimestamp"
    )
)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationSpec {
    /// What the application is.
    #[serde(default)]
    pub description: String,

    /// Whether Kyma skips installing the application's gateway.
    #[serde(default, skip_serializing_if = "is_false")]
    pub skip_installation: bool,

    /// The APIs and events the application offers: one service per API or event definition.
    #[serde(default)]
    pub services: Vec<Service>,

    /// The application's labels. Compass labels hold any JSON value: strings are copied as they
    /// are, other values as compact JSON (`["DEFAULT"]`).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,

    /// The Compass tenant the application belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant: Option<String>,

    /// The group of the application in a multi-tenant runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,

    /// Where the application comes from in Compass. Set only on applications the Compass Runtime
    /// Agent manages.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compass_metadata: Option<CompassMetadata>,

    /// Tags of the application.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,

    /// The application's name for people.
    #[serde(default)]
    pub display_name: String,

    /// Who provides the application.
    #[serde(default)]
    pub provider_display_name: String,

    /// A longer description of the application.
    #[serde(default)]
    pub long_description: String,
}

/// Where an application comes from in Compass.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompassMetadata {
    /// The application's id in Compass.
    pub application_id: String,
    /// The client identities the application calls the runtime with.
    pub authentication: Authentication,
}

/// The client identities of an application.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Authentication {
    /// Ids of the application's client identities in Compass: the common names of its client
    /// certificates and its OAuth client ids.
    #[serde(default)]
    pub client_ids: Vec<String>,
}

/// One API or event definition the application offers.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Service {
    /// The definition's id in Compass.
    pub id: String,
    /// A name unique in the application, lower case: the definition's name with a suffix derived
    /// from its id.
    pub name: String,
    /// An identifier the external system gives the service; empty when it gives none.
    #[serde(default)]
    pub identifier: String,
    /// The definition's name for people.
    pub display_name: String,
    /// What the definition offers.
    pub description: String,
    /// Who provides the definition: the application's provider.
    pub provider_display_name: String,
    /// The API or the events.
    pub entries: Vec<Entry>,
}

/// An API or the events a service offers.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Entry {
    /// `API` or `Events`.
    #[serde(rename = "type")]
    pub type_: EntryType,
    /// The definition's id in Compass.
    #[serde(default)]
    pub id: String,
    /// The definition's name.
    #[serde(default)]
    pub name: String,
    /// Where the API is called; empty for events.
    #[serde(default)]
    pub target_url: String,
    /// Where the specification can be downloaded. The Compass Runtime Agent leaves it empty: it
    /// keeps the specification in the ConfigMap `kyma-integration/<application>-<entry id>`
    /// (key `spec`), labelled `compass.kyma-project.io/application-id` and
    /// `compass.kyma-project.io/definition-id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specification_url: Option<String>,
    /// Kind of API specification: `OPEN_API` or `ODATA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_type: Option<String>,
    /// How the API is called, and the Secret holding the credential.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credentials: Option<Credentials>,
    /// The Secret in `kyma-integration` holding extra headers (`headers`) and query parameters
    /// (`queryParameters`), each a JSON object of lists of strings, sent with every call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_parameters_secret_name: Option<String>,
}

/// What an entry offers.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum EntryType {
    /// An API.
    #[serde(rename = "API")]
    Api,
    /// Events.
    Events,
}

/// How an API is called.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Credentials {
    /// `Basic` (keys `username` and `password` in the Secret) or `OAuth` (keys `clientId`,
    /// `clientSecret` and `url`).
    #[serde(rename = "type")]
    pub type_: String,
    /// The Secret in `kyma-integration` holding the credential.
    pub secret_name: String,
    /// The OAuth token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication_url: Option<String>,
    /// Where a CSRF token is fetched before each call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csrf_info: Option<CsrfInfo>,
}

/// Where a CSRF token is fetched.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, JsonSchema)]
pub struct CsrfInfo {
    /// The token endpoint.
    #[serde(rename = "tokenEndpointURL")]
    pub token_endpoint_url: String,
}

/// What Kyma observed about the application.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationStatus {
    /// How installing the application's components went.
    #[serde(default)]
    pub installation_status: InstallationStatus,
}

/// How installing an application's components went.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct InstallationStatus {
    /// The installation's state.
    #[serde(default)]
    pub status: String,
    /// What happened.
    #[serde(default)]
    pub description: String,
}

fn is_false(value: &bool) -> bool {
    !value
}
