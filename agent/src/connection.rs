//! The CompassConnection kind: the agent's record, in the runtime cluster, of its connection to the
//! management plane. Field-compatible with the original Runtime Agent's
//! (`compassconnections.compass.kyma-project.io/v1alpha1`), plus standard conditions.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Condition, Time};
use kube::{CustomResource, KubeSchema};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use compass_crds::ConnectionState;

// Field names, JSON casing and states follow kyma-project/kyma
// `components/compass-runtime-agent/pkg/apis/compass/v1alpha1/types.go`.

/// Name of the one CompassConnection the agent keeps. Deleting it makes the agent connect again
/// with the configuration's one-time token.
pub const CONNECTION_NAME: &str = "compass-connection";

/// Condition types of a CompassConnection besides [`compass_crds::conditions::READY`].
pub mod condition {
    /// The agent holds a valid client certificate and the Connector answers it.
    pub const CONNECTED: &str = "Connected";
    /// The applications assigned to the runtime were fetched and applied.
    pub const SYNCHRONIZED: &str = "Synchronized";
}

/// Where the management plane is, and what the agent is asked to do at once.
// NB: clippy reads the repeated keys of separate `printcolumn(...)` entries as duplicated attributes.
#[allow(clippy::duplicated_attributes)]
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[kube(
    group = "compass.kyma-project.io",
    version = "v1alpha1",
    kind = "CompassConnection",
    status = "CompassConnectionStatus",
    shortname = "cc",
    category = "compass",
    derive = "PartialEq",
    doc = "The Runtime Agent's connection to Compass, kept by the agent in the runtime cluster under the name `compass-connection`. The spec says where the Connector and the Director are and asks for a certificate renewal or a synchronization now; the status reports the connection, the client certificate and the last synchronization of applications. Deleting it makes the agent connect again with the one-time token of its configuration.",
    printcolumn(
        name = "State",
        type_ = "string",
        json_path = ".status.connectionState"
    ),
    printcolumn(
        name = "Ready",
        type_ = "string",
        json_path = ".status.conditions[?(@.type==\"Ready\")].status"
    ),
    printcolumn(
        name = "Last Sync",
        type_ = "date",
        json_path = ".status.synchronizationStatus.lastSuccessfulApplication"
    ),
    // NB: a string, not a date: kubectl shows a date as the time since it, and `<invalid>` for
    // one in the future, which an expiry always is while it matters.
    printcolumn(
        name = "Certificate Expiry",
        type_ = "string",
        json_path = ".status.connectionStatus.certificateStatus.notAfter"
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
pub struct CompassConnectionSpec {
    /// Where the management plane's APIs are, as the Connector reported them.
    pub management_info: ManagementInfo,

    /// Set to true to synchronize applications at once rather than at the next scheduled
    /// synchronization. The agent sets it back to false when it has synchronized.
    #[serde(default, skip_serializing_if = "is_false")]
    pub resync_now: bool,

    /// Set to true to renew the client certificate at once, whatever its expiry. The agent sets
    /// it back to false when it has renewed.
    #[serde(default, skip_serializing_if = "is_false")]
    pub refresh_credentials_now: bool,
}

/// The management plane's URLs.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, Eq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManagementInfo {
    /// The Connector's URL for clients with a certificate: where the certificate is renewed.
    pub connector_url: String,
    /// The Director's URL for clients with a certificate: where applications are fetched.
    pub director_url: String,
}

/// How the connection and the synchronization went.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, KubeSchema)]
#[serde(rename_all = "camelCase")]
pub struct CompassConnectionStatus {
    /// The `metadata.generation` this status describes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,

    /// Current state: `Ready` summarises; `Connected` says whether the agent holds a valid
    /// certificate the Connector accepts; `Synchronized` whether the last synchronization of
    /// applications succeeded.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[x_kube(merge_strategy = ListMerge::Map(vec!["type".into()]))]
    pub conditions: Vec<Condition>,

    /// The step the agent last completed or failed at, as the original Runtime Agent reports it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<ConnectionState>,

    /// The connection to the Connector and the client certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_status: Option<ConnectionStatus>,

    /// The synchronization of applications with the Director.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synchronization_status: Option<SynchronizationStatus>,
}

/// The connection to the Connector and the client certificate.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStatus {
    /// The client certificate in use.
    #[serde(default)]
    pub certificate_status: CertificateStatus,
    /// When the connection was established: the one-time token exchanged for a certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub established: Option<Time>,
    /// When the certificate was last renewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewed: Option<Time>,
    /// When the agent last checked the connection with the Connector.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync: Option<Time>,
    /// When a check of the connection with the Connector last succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_success: Option<Time>,
    /// Why the last connection attempt or check failed; empty after a success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The dates of the client certificate.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct CertificateStatus {
    /// When the agent obtained the certificate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acquired: Option<Time>,
    /// When the certificate becomes valid.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_before: Option<Time>,
    /// When the certificate stops being valid. The agent renews it before 70% of its lifetime
    /// has passed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_after: Option<Time>,
}

/// The synchronization of applications with the Director.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SynchronizationStatus {
    /// When the agent last tried to fetch the applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_attempt: Option<Time>,
    /// When the applications were last fetched completely.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_fetch: Option<Time>,
    /// When the fetched applications were last applied in the runtime without an error.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_successful_application: Option<Time>,
    /// Why the last synchronization failed; empty after a success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

fn is_false(value: &bool) -> bool {
    !value
}

#[cfg(test)]
mod tests {
    use kube::{CustomResourceExt, Resource};
    use serde_json::json;

    use super::*;

    #[test]
    fn is_cluster_scoped_in_the_original_group() {
        let crd = CompassConnection::crd();
        assert_eq!(crd.spec.scope, "Cluster");
        assert_eq!(
            crd.metadata.name.as_deref(),
            Some("compassconnections.compass.kyma-project.io")
        );
        assert_eq!(
            CompassConnection::api_version(&()),
            "compass.kyma-project.io/v1alpha1"
        );
    }

    #[test]
    fn reads_an_object_the_original_agent_wrote() {
        // The sample of the original's documentation, `renewed: null` included.
        let object: CompassConnection = serde_json::from_value(json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1",
            "kind": "CompassConnection",
            "metadata": {"name": "compass-connection"},
            "spec": {"managementInfo": {
                "connectorUrl": "https://gw.example.com/connector/graphql",
                "directorUrl": "https://gw.example.com/director/graphql"
            }},
            "status": {
                "connectionState": "ConnectionMaintenanceFailed",
                "connectionStatus": {
                    "certificateStatus": {
                        "acquired": "2020-02-11T10:35:22Z",
                        "notAfter": "2020-05-11T10:35:22Z",
                        "notBefore": "2020-02-11T10:35:22Z"
                    },
                    "established": "2020-02-11T10:35:22Z",
                    "lastSuccess": "2020-02-12T10:45:10Z",
                    "lastSync": "2020-02-12T12:37:48Z",
                    "renewed": null
                },
                "synchronizationStatus": {
                    "lastAttempt": "2020-02-12T10:45:10Z",
                    "lastSuccessfulApplication": "2020-02-12T10:45:10Z",
                    "lastSuccessfulFetch": "2020-02-12T10:45:10Z"
                }
            }
        }))
        .unwrap();
        assert_eq!(
            object.spec.management_info.director_url,
            "https://gw.example.com/director/graphql"
        );
        assert!(!object.spec.resync_now && !object.spec.refresh_credentials_now);
        let status = object.status.unwrap();
        assert_eq!(
            status.connection_state,
            Some(ConnectionState::ConnectionMaintenanceFailed)
        );
        let connection = status.connection_status.unwrap();
        assert!(connection.renewed.is_none());
        assert!(connection.certificate_status.not_after.is_some());
        assert!(
            status
                .synchronization_status
                .unwrap()
                .last_successful_fetch
                .is_some()
        );
    }

    #[test]
    fn writes_the_original_field_names() {
        let mut object = CompassConnection::new(
            CONNECTION_NAME,
            CompassConnectionSpec {
                management_info: ManagementInfo {
                    connector_url: "https://c".into(),
                    director_url: "https://d".into(),
                },
                resync_now: true,
                refresh_credentials_now: false,
            },
        );
        object.status = Some(CompassConnectionStatus {
            connection_state: Some(ConnectionState::Synchronized),
            synchronization_status: Some(SynchronizationStatus {
                error: Some("boom".into()),
                ..SynchronizationStatus::default()
            }),
            ..CompassConnectionStatus::default()
        });
        let value = serde_json::to_value(&object).unwrap();
        assert_eq!(
            value["spec"],
            json!({
                "managementInfo": {"connectorUrl": "https://c", "directorUrl": "https://d"},
                "resyncNow": true
            })
        );
        assert_eq!(value["status"]["connectionState"], "Synchronized");
        assert_eq!(value["status"]["synchronizationStatus"]["error"], "boom");
    }

    #[test]
    fn every_state_of_the_original_is_in_the_schema() {
        let crd = serde_json::to_value(CompassConnection::crd()).unwrap();
        let state = &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["status"]
            ["properties"]["connectionState"];
        assert_eq!(
            state["enum"],
            json!([
                "Connected",
                "ConnectionFailed",
                "ConnectionMaintenanceFailed",
                "SynchronizationFailed",
                "ResourceApplicationFailed",
                "MetadataUpdateFailed",
                "Synchronized"
            ])
        );
    }
}
