//! What a Runtime Agent reports about itself: its version, the step it last completed or failed
//! at, how many applications it applied, its last synchronisation and its certificate's expiry.
//! The agent sends it to the Gateway, the Director keeps it on the runtime's heartbeat Lease
//! (annotation [`AGENT_REPORT_ANNOTATION`]) and the operator shows it in `status.agent`.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Annotation of the heartbeat Lease holding the agent's last report, as JSON.
pub const AGENT_REPORT_ANNOTATION: &str = "compass.kyma-project.io/agent-report";

/// Longest version string an agent may report.
pub const AGENT_VERSION_MAX_LENGTH: usize = 64;

/// Largest application count an agent may report.
pub const AGENT_COUNT_MAX: i32 = 1_000_000;

/// The step a Runtime Agent last completed or failed at, as the original Runtime Agent names it.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, JsonSchema)]
pub enum ConnectionState {
    /// The connection was established: the agent holds a client certificate.
    Connected,
    /// Connecting failed: the one-time token or the certificate was refused, or the Connector
    /// could not be reached.
    ConnectionFailed,
    /// The connection was established, but maintaining it (reading the configuration, renewing
    /// the certificate) failed.
    ConnectionMaintenanceFailed,
    /// The connection holds, but fetching the applications from the Director failed.
    SynchronizationFailed,
    /// The applications were fetched, but applying them in the runtime failed.
    ResourceApplicationFailed,
    /// The applications were applied, but reporting the runtime's labels failed.
    MetadataUpdateFailed,
    /// The applications were fetched and applied, and the runtime's labels reported.
    Synchronized,
}

impl ConnectionState {
    /// Every state, in the order the agent's steps run.
    pub const ALL: [Self; 7] = [
        Self::Connected,
        Self::ConnectionFailed,
        Self::ConnectionMaintenanceFailed,
        Self::SynchronizationFailed,
        Self::ResourceApplicationFailed,
        Self::MetadataUpdateFailed,
        Self::Synchronized,
    ];

    /// The state's name, as it is written.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Connected => "Connected",
            Self::ConnectionFailed => "ConnectionFailed",
            Self::ConnectionMaintenanceFailed => "ConnectionMaintenanceFailed",
            Self::SynchronizationFailed => "SynchronizationFailed",
            Self::ResourceApplicationFailed => "ResourceApplicationFailed",
            Self::MetadataUpdateFailed => "MetadataUpdateFailed",
            Self::Synchronized => "Synchronized",
        }
    }

    /// Whether the agent is connected and its last synchronisation succeeded.
    pub fn is_ready(self) -> bool {
        matches!(self, Self::Connected | Self::Synchronized)
    }
}

/// What the Runtime Agent last reported about itself.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentReport {
    /// The agent's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(max = AGENT_VERSION_MAX_LENGTH))]
    pub version: Option<String>,
    /// The step the agent last completed or failed at, as in its `CompassConnection`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connection_state: Option<ConnectionState>,
    /// Applications the agent's last synchronisation applied in the runtime.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = AGENT_COUNT_MAX))]
    pub applied_applications: Option<i32>,
    /// Applications the agent's last synchronisation failed to apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = AGENT_COUNT_MAX))]
    pub failed_applications: Option<i32>,
    /// When the agent last synchronised successfully.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_sync_time: Option<Time>,
    /// When the agent's client certificate expires; the agent renews it before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate_expiry: Option<Time>,
}

impl AgentReport {
    /// Reads a report sent as JSON, refusing unknown fields and values out of bounds with a
    /// message naming the field and the rule.
    pub fn from_json(bytes: &[u8]) -> Result<Self, String> {
        let fields: Map<String, Value> = serde_json::from_slice(bytes)
            .map_err(|e| format!("the agent report is not a JSON object: {e}"))?;
        const KNOWN: [&str; 6] = [
            "version",
            "connectionState",
            "appliedApplications",
            "failedApplications",
            "lastSyncTime",
            "certificateExpiry",
        ];
        if let Some(unknown) = fields.keys().find(|k| !KNOWN.contains(&k.as_str())) {
            return Err(format!(
                "{unknown}: unknown field; a report holds only {}",
                KNOWN.join(", ")
            ));
        }
        // Each field on its own, so a wrong one is named.
        for (key, value) in &fields {
            let mut single = Map::new();
            single.insert(key.clone(), value.clone());
            serde_json::from_value::<Self>(Value::Object(single))
                .map_err(|e| format!("{key}: {e}"))?;
        }
        let report: Self = serde_json::from_value(Value::Object(fields))
            .map_err(|e| format!("the agent report is not valid: {e}"))?;
        report.check()?;
        Ok(report)
    }

    /// The bounds the schema states, checked before the report is kept.
    fn check(&self) -> Result<(), String> {
        if let Some(version) = &self.version {
            let printable = version
                .chars()
                .all(|c| c.is_ascii_graphic() && c != '"' && c != '\\');
            if version.is_empty() || version.len() > AGENT_VERSION_MAX_LENGTH || !printable {
                return Err(format!(
                    "version: must be 1 to {AGENT_VERSION_MAX_LENGTH} printable ASCII characters without spaces or quotes"
                ));
            }
        }
        for (field, count) in [
            ("appliedApplications", self.applied_applications),
            ("failedApplications", self.failed_applications),
        ] {
            if count.is_some_and(|n| !(0..=AGENT_COUNT_MAX).contains(&n)) {
                return Err(format!("{field}: must be between 0 and {AGENT_COUNT_MAX}"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_report_is_read() {
        let report = AgentReport::from_json(
            br#"{"version":"1.2.0","connectionState":"Synchronized","appliedApplications":3,
                "failedApplications":0,"lastSyncTime":"2026-12-05T10:00:00Z",
                "certificateExpiry":"2027-01-04T10:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(report.version.as_deref(), Some("1.2.0"));
        assert_eq!(report.connection_state, Some(ConnectionState::Synchronized));
        assert_eq!(report.applied_applications, Some(3));
        assert!(report.certificate_expiry.is_some());
        assert_eq!(
            AgentReport::from_json(b"{}").unwrap(),
            AgentReport::default()
        );
    }

    #[test]
    fn a_wrong_field_is_named_with_its_rule() {
        let refused = |body: &str| AgentReport::from_json(body.as_bytes()).unwrap_err();
        assert!(refused(r#"{"colour":"red"}"#).starts_with("colour: unknown field"));
        assert!(refused(r#"{"connectionState":"Happy"}"#).starts_with("connectionState: "));
        assert!(refused(r#"{"appliedApplications":-1}"#).starts_with("appliedApplications: "));
        assert!(refused(r#"{"failedApplications":"many"}"#).starts_with("failedApplications: "));
        assert!(refused(r#"{"lastSyncTime":"yesterday"}"#).starts_with("lastSyncTime: "));
        assert!(refused(r#"{"version":"1 2"}"#).starts_with("version: "));
        let long = format!(r#"{{"version":"{}"}}"#, "9".repeat(65));
        assert!(refused(&long).starts_with("version: "));
        assert!(refused("[]").starts_with("the agent report is not a JSON object"));
    }

    #[test]
    fn every_state_has_its_written_name() {
        for state in ConnectionState::ALL {
            assert_eq!(serde_json::to_value(state).unwrap(), state.as_str());
        }
    }
}
