//! The operations record of a Runtime: one operation runs at a time, the newest first, at most
//! [`OPERATIONS_KEPT`]; each moves Pending → InProgress → Succeeded or Failed. Which operation a
//! provisioned runtime needs next follows from its request, its record and what a caller asked
//! for by annotation.

use compass_crds::provisioning::{
    OPERATIONS_KEPT, OperationState, OperationType, ProvisioningSpec, ProvisioningStatus,
    RequestedOperation, RuntimeOperation,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;

use crate::provider::ProviderError;

/// How long an operation's steps may keep failing before it is given up as Failed.
pub const OPERATION_BOUND: std::time::Duration = std::time::Duration::from_secs(600);

/// What a runtime with a provisioning request needs next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// Make the cluster and start the agent.
    Provision,
    /// Move the cluster to this Kubernetes version.
    Upgrade(String),
    /// Install the agent again with a fresh token.
    Reconnect,
    /// Nothing asked for: keep what stands running.
    Maintain,
}

/// The step for a runtime asking for `request`, given its record and a caller's unanswered
/// request. A running operation is carried on; an Upgrade starts when the request names a
/// version the cluster is not at and no Upgrade to that version was tried (asking again through
/// the API, or changing the version, tries again).
pub fn next_step(
    status: &ProvisioningStatus,
    request: &ProvisioningSpec,
    requested: Option<&RequestedOperation>,
) -> Step {
    if !status.provisioned() {
        return Step::Provision;
    }
    let wanted = request.kubernetes_version.clone();
    let upgrade = || Step::Upgrade(wanted.clone().unwrap_or_default());
    match status.running().map(|op| op.type_) {
        Some(OperationType::Upgrade) => {
            let op = status.running().map(|op| op.kubernetes_version.clone());
            return Step::Upgrade(op.flatten().unwrap_or_default());
        }
        Some(OperationType::ReconnectRuntime) => return Step::Reconnect,
        _ => {}
    }
    match requested.map(|asked| asked.type_) {
        Some(OperationType::Upgrade) if wanted.is_some() => return upgrade(),
        Some(OperationType::ReconnectRuntime) => return Step::Reconnect,
        _ => {}
    }
    let tried = |version: &String| {
        status.operations.iter().any(|op| {
            op.type_ == OperationType::Upgrade && op.kubernetes_version.as_ref() == Some(version)
        })
    };
    match &wanted {
        Some(version) if status.kubernetes_version.as_ref() != Some(version) && !tried(version) => {
            upgrade()
        }
        _ => Step::Maintain,
    }
}

/// The operation of `type_` to work on: the running one when it is of that type, else a new one
/// started now (a running one of another type is cancelled: a deletion overrides a provisioning),
/// under the id a caller asked for when it asked for this type.
pub fn ensure(
    status: &mut ProvisioningStatus,
    type_: OperationType,
    now: Time,
    requested: Option<&RequestedOperation>,
) -> String {
    if let Some(op) = status.running() {
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
    let id = requested
        .filter(|asked| asked.type_ == type_)
        .filter(|asked| status.operations.iter().all(|op| op.id != asked.id))
        .map_or_else(
            || uuid::Uuid::new_v4().to_string(),
            |asked| asked.id.clone(),
        );
    status.operations.insert(
        0,
        RuntimeOperation {
            id: id.clone(),
            type_,
            state: OperationState::InProgress,
            kubernetes_version: None,
            message: Some("started".to_owned()),
            start_time: now,
            completion_time: None,
        },
    );
    status.operations.truncate(OPERATIONS_KEPT);
    id
}

/// Records the Kubernetes version Upgrade `id` moves the cluster to.
pub fn aim(status: &mut ProvisioningStatus, id: &str, version: &str) {
    if let Some(op) = status.operations.iter_mut().find(|op| op.id == id) {
        op.kubernetes_version = Some(version.to_owned());
    }
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

/// Records a failed provider step of operation `id`: tried again (the message says so) until
/// the operation has run for [`OPERATION_BOUND`], or given up at once when the request is not
/// usable; then the operation is Failed with the reason.
pub fn failed(status: &mut ProvisioningStatus, id: &str, error: &ProviderError, now: Time) {
    let message = error.to_string();
    let started = status
        .operations
        .iter()
        .find(|op| op.id == id)
        .map(|op| op.start_time.0);
    let bound = jiff::SignedDuration::try_from(OPERATION_BOUND).unwrap_or_default();
    let over = started.is_some_and(|at| now.0.duration_since(at) > bound);
    match error {
        ProviderError::Invalid(_) => finish(status, id, OperationState::Failed, message, now),
        ProviderError::Failed(_) if over => {
            let seconds = OPERATION_BOUND.as_secs();
            let message = format!("{message}; given up after {seconds} s");
            finish(status, id, OperationState::Failed, message, now);
        }
        ProviderError::Failed(_) => progress(status, id, format!("{message}; trying again")),
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
        let provision = ensure(&mut status, OperationType::Provision, at(1), None);
        assert_eq!(
            ensure(&mut status, OperationType::Provision, at(2), None),
            provision
        );
        assert!(!status.provisioned());
        let deprovision = ensure(&mut status, OperationType::Deprovision, at(3), None);
        assert_ne!(deprovision, provision);
        assert_eq!(status.operations[1].state, OperationState::Failed);
        assert_eq!(status.running().unwrap().id, deprovision);
        finish(
            &mut status,
            &deprovision,
            OperationState::Succeeded,
            "gone",
            at(4),
        );
        assert!(status.running().is_none());
        assert!(!status.provisioned());
    }

    #[test]
    fn a_deprovisioned_runtime_is_provisioned_afresh() {
        let mut status = ProvisioningStatus::default();
        let id = ensure(&mut status, OperationType::Provision, at(1), None);
        finish(&mut status, &id, OperationState::Succeeded, "ready", at(2));
        let id = ensure(&mut status, OperationType::Deprovision, at(3), None);
        finish(&mut status, &id, OperationState::Succeeded, "gone", at(4));
        assert!(!status.provisioned(), "a new Provision must run");
    }

    #[test]
    fn a_succeeded_provisioning_is_remembered_and_old_operations_go() {
        let mut status = ProvisioningStatus::default();
        let id = ensure(&mut status, OperationType::Provision, at(1), None);
        finish(&mut status, &id, OperationState::Succeeded, "ready", at(2));
        assert!(status.provisioned());
        for second in 0..20 {
            let id = ensure(
                &mut status,
                OperationType::ReconnectRuntime,
                at(second),
                None,
            );
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

    fn asked(type_: OperationType, id: &str) -> RequestedOperation {
        RequestedOperation {
            type_,
            id: id.to_owned(),
        }
    }

    #[test]
    fn an_operation_asked_for_runs_under_the_id_asked_for_once() {
        let mut status = ProvisioningStatus::default();
        let request = asked(OperationType::Provision, "first");
        let id = ensure(&mut status, OperationType::Provision, at(1), Some(&request));
        assert_eq!(id, "first");
        assert_eq!(status.unanswered(Some(request.clone())), None);
        finish(&mut status, &id, OperationState::Succeeded, "ready", at(2));
        // The same annotation seen again starts nothing under the spent id.
        let again = ensure(&mut status, OperationType::Provision, at(3), Some(&request));
        assert_ne!(again, "first");
        // A request of another type gives no id to this one.
        let other = asked(OperationType::Upgrade, "other");
        let id = ensure(&mut status, OperationType::Deprovision, at(4), Some(&other));
        assert_ne!(id, "other");
    }

    #[test]
    fn the_next_step_follows_the_record_the_request_and_what_was_asked() {
        let mut status = ProvisioningStatus::default();
        let mut request = ProvisioningSpec {
            provider: "embedded".to_owned(),
            ..ProvisioningSpec::default()
        };
        assert_eq!(next_step(&status, &request, None), Step::Provision);
        let id = ensure(&mut status, OperationType::Provision, at(1), None);
        finish(&mut status, &id, OperationState::Succeeded, "ready", at(2));
        assert_eq!(next_step(&status, &request, None), Step::Maintain);
        let reconnect = asked(OperationType::ReconnectRuntime, "r");
        assert_eq!(
            next_step(&status, &request, Some(&reconnect)),
            Step::Reconnect
        );
        request.kubernetes_version = Some("1.34".to_owned());
        assert_eq!(
            next_step(&status, &request, None),
            Step::Upgrade("1.34".to_owned())
        );
        let id = ensure(&mut status, OperationType::Upgrade, at(3), None);
        aim(&mut status, &id, "1.34");
        assert_eq!(
            next_step(&status, &request, None),
            Step::Upgrade("1.34".to_owned()),
            "a running upgrade carries on"
        );
        finish(&mut status, &id, OperationState::Failed, "refused", at(4));
        assert_eq!(
            next_step(&status, &request, None),
            Step::Maintain,
            "a failed upgrade is not tried again by itself"
        );
        let upgrade = asked(OperationType::Upgrade, "u");
        assert_eq!(
            next_step(&status, &request, Some(&upgrade)),
            Step::Upgrade("1.34".to_owned()),
            "asking again tries again"
        );
        status.kubernetes_version = Some("1.34".to_owned());
        status.operations.clear();
        let id = ensure(&mut status, OperationType::Provision, at(5), None);
        finish(&mut status, &id, OperationState::Succeeded, "ready", at(6));
        assert_eq!(next_step(&status, &request, None), Step::Maintain);
    }

    #[test]
    fn a_failing_step_is_retried_until_the_bound_and_an_unusable_request_fails_at_once() {
        let mut status = ProvisioningStatus::default();
        let id = ensure(&mut status, OperationType::Provision, at(0), None);
        let flaky = ProviderError::Failed("no answer".to_owned());
        failed(&mut status, &id, &flaky, at(60));
        assert_eq!(status.operations[0].state, OperationState::InProgress);
        assert_eq!(
            status.operations[0].message.as_deref(),
            Some("no answer; trying again")
        );
        failed(&mut status, &id, &flaky, at(601));
        assert_eq!(status.operations[0].state, OperationState::Failed);
        let id = ensure(&mut status, OperationType::Provision, at(700), None);
        let unusable = ProviderError::Invalid("configuration.x: required".to_owned());
        failed(&mut status, &id, &unusable, at(701));
        assert_eq!(status.operations[0].state, OperationState::Failed);
        assert_eq!(
            status.operations[0].message.as_deref(),
            Some("configuration.x: required")
        );
    }
}
