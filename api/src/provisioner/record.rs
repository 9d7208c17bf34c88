//! A runtime's provisioning as the Provisioner API reads it: the operations the provisioner
//! recorded in the Runtime's status, and the one a caller asked for that it has not taken up yet
//! (Pending), from the Runtime's annotation.

use compass_crds::{
    Runtime,
    provisioning::{ProvisioningStatus, RequestedOperation},
};
use kube::ResourceExt;

use super::types::{
    OperationState, OperationStatus, RuntimeAgent, RuntimeAgentConnectionStatus,
    RuntimeConnectionStatus,
};
use crate::errors::{ApiResult, Code, error};

/// The operation a caller asked for that the provisioner has not taken up yet.
pub fn pending(runtime: &Runtime) -> Option<OperationStatus> {
    let asked = ProvisioningStatus::of(runtime).unanswered(RequestedOperation::of(runtime))?;
    Some(OperationStatus {
        id: Some(asked.id),
        operation: asked.type_.into(),
        state: OperationState::Pending,
        message: Some("asked for; the provisioner has not taken it up yet".to_owned()),
        runtime_id: runtime.uid(),
    })
}

/// The runtime's newest operation: the one asked for, else the newest recorded.
pub fn last_operation(runtime: &Runtime) -> Option<OperationStatus> {
    let uid = runtime.uid().unwrap_or_default();
    pending(runtime).or_else(|| {
        let record = ProvisioningStatus::of(runtime);
        record
            .operations
            .first()
            .map(|op| OperationStatus::of(&uid, op))
    })
}

/// Operation `id` of the runtime, if it has one of that id.
pub fn operation(runtime: &Runtime, id: &str) -> Option<OperationStatus> {
    let uid = runtime.uid().unwrap_or_default();
    let pending = pending(runtime).filter(|op| op.id.as_deref() == Some(id));
    pending.or_else(|| {
        let record = ProvisioningStatus::of(runtime);
        let found = record.operations.iter().find(|op| op.id == id);
        found.map(|op| OperationStatus::of(&uid, op))
    })
}

/// Refuses a new operation while one is asked for or running: one runs at a time.
pub fn refuse_if_busy(runtime: &Runtime) -> ApiResult<()> {
    let running = ProvisioningStatus::of(runtime)
        .running()
        .map(|op| OperationStatus::of(&runtime.uid().unwrap_or_default(), op));
    let Some(busy) = pending(runtime).or(running) else {
        return Ok(());
    };
    Err(error(
        Code::Conflict,
        format!(
            "runtime {} has operation {} ({:?}) {:?}; one operation runs on a runtime at a \
             time: wait for it to end",
            runtime.uid().unwrap_or_default(),
            busy.id.unwrap_or_default(),
            busy.operation,
            busy.state,
        ),
    ))
}

/// The agent's connection, from the operator's `Available` condition and the agent's report.
pub fn connection(runtime: &Runtime) -> RuntimeConnectionStatus {
    let status = runtime.status.as_ref();
    let available = status
        .into_iter()
        .flat_map(|s| &s.conditions)
        .find(|c| c.type_ == "Available");
    let reported = status.is_some_and(|s| s.agent.is_some());
    match available {
        Some(c) if c.status == "True" => RuntimeConnectionStatus {
            status: RuntimeAgentConnectionStatus::Connected,
            errors: None,
        },
        Some(c) if reported => RuntimeConnectionStatus {
            status: RuntimeAgentConnectionStatus::Disconnected,
            errors: Some(vec![super::types::Error {
                message: Some(format!("{}: {}", c.reason, c.message)),
            }]),
        },
        _ => RuntimeConnectionStatus {
            status: RuntimeAgentConnectionStatus::Pending,
            errors: None,
        },
    }
}

/// What the runtime's agent last reported and its heartbeat, once it reported.
pub fn agent(runtime: &Runtime) -> Option<RuntimeAgent> {
    let status = runtime.status.as_ref()?;
    let seen = status.agent.as_ref()?;
    let available = status.conditions.iter().find(|c| c.type_ == "Available");
    let time = |t: &Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>| {
        t.as_ref().map(|t| t.0.to_string())
    };
    let report = &seen.report;
    Some(RuntimeAgent {
        available: available.is_some_and(|c| c.status == "True"),
        unavailable_reason: available
            .filter(|c| c.status != "True")
            .map(|c| format!("{}: {}", c.reason, c.message)),
        last_heartbeat: time(&seen.last_heartbeat_time),
        version: report.version.clone(),
        connection_state: report.connection_state.map(|s| s.as_str().to_owned()),
        last_sync: time(&report.last_sync_time),
        certificate_expiry: time(&report.certificate_expiry),
        applied_applications: report.applied_applications,
        failed_applications: report.failed_applications,
    })
}
