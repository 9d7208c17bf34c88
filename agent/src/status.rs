//! Where the agent says how it is: `CompassConnection`'s status in the runtime (the state, the
//! connection and synchronisation details, a `Ready` condition), and the report it sends to the
//! management plane, kept here as it changes.

use compass_crds::{AgentReport, ConnectionState};
use jiff::Timestamp;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{
    Api, Client,
    api::{Patch, PatchParams},
};
use serde_json::{Value, json};
use tokio::sync::watch;

use crate::connection::{CONNECTION_NAME, CompassConnection};

/// Writes the agent's state in `CompassConnection` and keeps its report for the management plane.
pub struct Reporter {
    connections: Api<CompassConnection>,
    report: watch::Sender<AgentReport>,
}

impl Reporter {
    /// A reporter writing to the runtime behind `client`.
    pub fn new(client: &Client) -> Self {
        let report = AgentReport {
            version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            ..AgentReport::default()
        };
        Self {
            connections: Api::all(client.clone()),
            report: watch::Sender::new(report),
        }
    }

    /// The report as it changes, for sending to the management plane.
    pub fn reports(&self) -> watch::Receiver<AgentReport> {
        self.report.subscribe()
    }

    /// Changes the report, without writing `CompassConnection`.
    pub fn note(&self, change: impl FnOnce(&mut AgentReport)) {
        self.report.send_if_modified(|report| {
            let before = report.clone();
            change(report);
            *report != before
        });
    }

    /// Merges `status` (with `connectionState`) into `CompassConnection`'s status; failures
    /// are logged, never fatal.
    pub async fn report(&self, state: ConnectionState, mut status: Value) {
        self.note(|report| report.connection_state = Some(state));
        status["connectionState"] = json!(state.as_str());
        status["conditions"] = json!([self.ready_condition(state, &status).await]);
        let patch = Patch::Merge(json!({ "status": status }));
        let params = PatchParams::default();
        let patched = self
            .connections
            .patch_status(CONNECTION_NAME, &params, &patch);
        if let Err(error) = patched.await {
            tracing::warn!(%error, "Reporting in CompassConnection failed");
        }
    }

    /// The `Ready` condition of `state`: true while connected and synchronised. Its transition
    /// time moves only when its status does.
    async fn ready_condition(&self, state: ConnectionState, status: &Value) -> Value {
        let ready = state.is_ready();
        let value = if ready { "True" } else { "False" };
        let current = self
            .connections
            .get_opt(CONNECTION_NAME)
            .await
            .ok()
            .flatten();
        let generation = current.as_ref().and_then(|c| c.metadata.generation);
        let previous = current
            .and_then(|c| c.status)
            .and_then(|s| s.conditions.into_iter().find(|c| c.type_ == "Ready"));
        let since = match previous {
            Some(previous) if previous.status == value => json!(previous.last_transition_time),
            _ => json!(Timestamp::now()),
        };
        let error = [
            &status["connectionStatus"]["error"],
            &status["synchronizationStatus"]["error"],
        ]
        .into_iter()
        .find_map(|e| e.as_str().map(str::to_owned));
        let message = error.unwrap_or_else(|| match ready {
            true => "connected to the management plane and synchronised".to_owned(),
            false => format!("the agent is {}", state.as_str()),
        });
        json!({
            "type": "Ready", "status": value, "reason": state.as_str(), "message": message,
            "lastTransitionTime": since, "observedGeneration": generation,
        })
    }
}

/// A time as the report holds it, to the second.
pub fn report_time(at: Timestamp) -> Option<Time> {
    Timestamp::from_second(at.as_second()).ok().map(Time)
}
