//! What the provisioner writes about a Runtime: its operations record and the conditions
//! `Provisioned` and `AgentConnected` in its status (server-side apply under a field manager of
//! its own, so the operator's part of the status stays the operator's), and Events per step.

use compass_crds::conditions::Condition;
use compass_crds::{
    Runtime,
    provisioning::{AGENT_CONNECTED, PROVISIONED, ProvisioningStatus},
};
use compass_operator::controllers::{
    events::{EventRecorder, EventType},
    status::Conditions,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::{
    Api, Client, ResourceExt,
    api::{Patch, PatchParams},
};
use serde_json::json;

use crate::controller::Error;

/// Field manager of what the provisioner writes.
pub const FIELD_MANAGER: &str = "compass-provisioner";

/// Now, as Kubernetes times are written.
pub fn now() -> Time {
    Time(jiff::Timestamp::now())
}

/// Whether the runtime's agent keeps its heartbeat (the operator's `Available`).
pub fn agent_connected(runtime: &Runtime) -> bool {
    runtime.status.as_ref().is_some_and(|s| {
        s.conditions
            .iter()
            .any(|c| c.type_ == "Available" && c.status == "True")
    })
}

/// The `Provisioned` condition.
pub fn provisioned_condition(holds: bool, reason: &str, message: &str) -> Condition {
    Condition {
        type_: PROVISIONED.into(),
        status: if holds { "True" } else { "False" }.into(),
        reason: reason.into(),
        message: message.into(),
        last_transition_time: now(),
        observed_generation: None,
    }
}

/// Writes the operations record and the provisioner's conditions (`provisioned`, and
/// `AgentConnected` from the operator's `Available`), keeping each condition's transition time
/// while its status holds.
pub async fn write(
    client: &Client,
    runtime: &Runtime,
    record: &ProvisioningStatus,
    provisioned: Condition,
) -> Result<(), Error> {
    let conditions = conditions(runtime, provisioned);
    let unchanged = runtime.status.as_ref().is_some_and(|s| {
        s.provisioning.as_ref() == Some(record)
            && conditions.iter().all(|c| s.conditions.contains(c))
    });
    if unchanged {
        return Ok(());
    }
    let patch = json!({
        "apiVersion": compass_crds::API_VERSION,
        "kind": "Runtime",
        "status": { "provisioning": record, "conditions": conditions },
    });
    let api: Api<Runtime> =
        Api::namespaced(client.clone(), &runtime.namespace().unwrap_or_default());
    api.patch_status(
        &runtime.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(|e| {
        Error(format!(
            "writing the Runtime's provisioning status failed: {e}"
        ))
    })?;
    Ok(())
}

/// The provisioner's conditions: `provisioned`, and `AgentConnected` from the operator's
/// `Available`; each keeps its transition time while its status holds.
fn conditions(runtime: &Runtime, provisioned: Condition) -> Vec<Condition> {
    let ours = runtime
        .status
        .iter()
        .flat_map(|s| &s.conditions)
        .filter(|c| c.type_ == PROVISIONED || c.type_ == AGENT_CONNECTED)
        .cloned()
        .collect::<Vec<_>>();
    let mut conditions = Conditions::new(&ours, runtime.metadata.generation);
    let (status, reason, message) = (
        &provisioned.status,
        &provisioned.reason,
        provisioned.message,
    );
    conditions.set_status(PROVISIONED, status, reason, message);
    match agent_connected(runtime) {
        true => conditions.set(
            AGENT_CONNECTED,
            true,
            "HeartbeatCurrent",
            "the runtime's agent paired and keeps its heartbeat",
        ),
        false => conditions.set(
            AGENT_CONNECTED,
            false,
            "AgentNotConnected",
            "the runtime's agent has not paired yet, or its heartbeat stopped",
        ),
    }
    conditions.into_vec()
}

/// Publishes an Event about `runtime`; a failure is logged, never fatal.
pub async fn event(
    recorder: &EventRecorder,
    runtime: &Runtime,
    type_: EventType,
    reason: &str,
    note: &str,
) {
    use kube::Resource;
    let regarding = runtime.object_ref(&());
    let published = recorder
        .publish(&regarding, type_, reason, "Provision", note)
        .await;
    if let Err(error) = published {
        tracing::warn!(%error, runtime = %runtime.name_any(), "Recording a provisioning Event failed");
    }
}
