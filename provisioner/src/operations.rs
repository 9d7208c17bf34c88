//! The operations record of a Runtime: one operation runs at a time, the newest first, at most
//! [`OPERATIONS_KEPT`]; each moves Pending → InProgress → Succeeded or Failed.

use compass_crds::provisioning::{
    OPERATIONS_KEPT, OperationState, OperationType, ProvisioningStatus, RuntimeOperation,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

/// The operation running now, if one is.
pub fn running(status: &ProvisioningStatus) -> Option<&RuntimeOperation> {
    status.operations.first().filter(|op| {
        matches!(
            op.state,
            OperationState::Pending | OperationState::InProgress
        )
    })
}

/// Whether the runtime stands provisioned: its latest Provision succeeded and no Deprovision
/// came after it.
pub fn provisioned(status: &ProvisioningStatus) -> bool {
    status
        .operations
        .iter()
        .find(|op| {
            matches!(
                op.type_,
                OperationType::Provision | OperationType::Deprovision
            )
        })
        .is_some_and(|op| {
            op.type_ == OperationType::Provision && op.state == OperationState::Succeeded
        })
}

/// The operation of `type_` to work on: the running one when it is of that type, else a new one
/// started now (a running one of another type is cancelled: a deletion overrides a provisioning).
pub fn ensure(status: &mut ProvisioningStatus, type_: OperationType, now: Time) -> String {
    if let Some(op) = running(status) {
        if op.type_ == type_ {
            return op.id.clone();
        }
        let cancelled = format!("cancelled by a {type_:?} operation");
        finish(
            status,
            &op.id.clone(),
            OperationState::Failed,
            cancelled,
            now.clone(),
        );
    }
    let id = uuid::Uuid::new_v4().to_string();
    status.operations.insert(
        0,
        RuntimeOperation {
            id: id.clone(),
            type_,
            state: OperationState::InProgress,
            message: Some("started".to_owned()),
            start_time: now,
            completion_time: None,
        },
    );
    status.operations.truncate(OPERATIONS_KEPT);
    id
}

/// Records the step operation `id` is at.
pub fn progress(status: &mut ProvisioningStatus, id: &str, message: impl Into<String>) {
    if let Some(op) = status.operations.iter_mut().find(|op| op.id == id) {
        op.message = Some(message.into());
    }
}

/// Ends operation `id` in `state` with `message`.
pub fn finish(
    status: &mut ProvisioningStatus,
    id: &str,
    state: OperationState,
    message: impl Into<String>,
    now: Time,
) {
    if let Some(op) = status.operations.iter_mut().find(|op| op.id == id) {
        op.state = state;
        op.message = Some(message.into());
        op.completion_time = Some(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Time {
        Time(jiff::Timestamp::from_second(second).unwrap())
    }

    #[test]
    fn one_operation_runs_at_a_time_and_a_deletion_cancels_a_provisioning() {
        let mut status = ProvisioningStatus::default();
        let provision = ensure(&mut status, OperationType::Provision, at(1));
        assert_eq!(
            ensure(&mut status, OperationType::Provision, at(2)),
            provision
        );
        assert!(!provisioned(&status));
        let deprovision = ensure(&mut status, OperationType::Deprovision, at(3));
        assert_ne!(deprovision, provision);
        assert_eq!(status.operations[1].state, OperationState::Failed);
        assert_eq!(running(&status).unwrap().id, deprovision);
        finish(
            &mut status,
            &deprovision,
            OperationState::Succeeded,
            "gone",
            at(4),
        );
        assert!(running(&status).is_none());
        assert!(!provisioned(&status));
    }

    #[test]
    fn a_deprovisioned_runtime_is_provisioned_afresh() {
        let mut status = ProvisioningStatus::default();
        let id = ensure(&mut status, OperationType::Provision, at(1));
        finish(&mut status, &id, OperationState::Succeeded, "ready", at(2));
        let id = ensure(&mut status, OperationType::Deprovision, at(3));
        finish(&mut status, &id, OperationState::Succeeded, "gone", at(4));
        assert!(!provisioned(&status), "a new Provision must run");
    }

    #[test]
    fn a_succeeded_provisioning_is_remembered_and_old_operations_go() {
        let mut status = ProvisioningStatus::default();
        let id = ensure(&mut status, OperationType::Provision, at(1));
        finish(&mut status, &id, OperationState::Succeeded, "ready", at(2));
        assert!(provisioned(&status));
        for second in 0..20 {
            let id = ensure(&mut status, OperationType::ReconnectRuntime, at(second));
            finish(
                &mut status,
                &id,
                OperationState::Succeeded,
                "again",
                at(second),
            );
        }
        assert_eq!(status.operations.len(), OPERATIONS_KEPT);
    }
}
