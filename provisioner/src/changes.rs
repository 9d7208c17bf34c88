//! What happens to a provisioned runtime: kept running (the provider called again, without a
//! token, so that a restarted management plane brings its processes back), moved to another
//! Kubernetes version (Upgrade), or given a fresh token and made to pair again
//! (ReconnectRuntime).

use std::time::Duration;

use compass_crds::{
    Runtime, SubjectKind, SystemAuth, TokenPurpose,
    provisioning::{OperationState, OperationType, ProvisioningStatus, RequestedOperation},
    token_digest,
};
use compass_operator::controllers::events::EventType;
use kube::{Api, ResourceExt, api::ListParams, runtime::controller::Action};

use crate::{
    bootstrap::bootstrap,
    controller::{Context, Error},
    operations,
    provider::{Progress, Provider, RuntimeTarget},
    provision::{MAINTAIN_EVERY, step_failed},
    status::{self, now, provisioned_condition},
};

/// One step of work on a runtime: whom for, by which provider, on whose request.
#[derive(Clone, Copy)]
pub(crate) struct Work<'a> {
    pub(crate) ctx: &'a Context,
    pub(crate) runtime: &'a Runtime,
    pub(crate) target: &'a RuntimeTarget,
    pub(crate) provider: &'a dyn Provider,
    /// What a caller asked for and no operation answered yet.
    pub(crate) requested: Option<&'a RequestedOperation>,
}

/// Keeps a provisioned runtime's cluster and agent up.
pub(crate) async fn maintain(work: Work<'_>, record: ProvisioningStatus) -> Result<Action, Error> {
    let outcome = work.provider.provision(work.target, None).await;
    let retry = work.ctx.backoff.after(&work.target.id, outcome.is_err());
    let (condition, action) = match outcome {
        Ok(Progress::Done(message)) => (
            provisioned_condition(true, "Provisioned", &message),
            Action::requeue(MAINTAIN_EVERY),
        ),
        Ok(Progress::Waiting(message, after)) => (
            provisioned_condition(true, "Restoring", &message),
            Action::requeue(after),
        ),
        Err(error) => (
            provisioned_condition(true, "MaintenanceFailed", &error.to_string()),
            Action::requeue(retry),
        ),
    };
    status::write(&work.ctx.client, work.runtime, &record, condition).await?;
    Ok(action)
}

/// Runs the runtime's Upgrade to `version` one step further.
pub(crate) async fn upgrade(
    work: Work<'_>,
    mut record: ProvisioningStatus,
    version: &str,
) -> Result<Action, Error> {
    let Work { ctx, runtime, .. } = work;
    let type_ = OperationType::Upgrade;
    let id = operations::ensure(&mut record, type_, now(), work.requested);
    operations::aim(&mut record, &id, version);
    let outcome = work.provider.upgrade(work.target).await;
    let retry = ctx.backoff.after(&work.target.id, outcome.is_err());
    let (condition, action) = match outcome {
        Ok(Progress::Done(message)) => {
            operations::finish(&mut record, &id, OperationState::Succeeded, &message, now());
            record.kubernetes_version = Some(version.to_owned());
            let normal = EventType::Normal;
            status::event(&ctx.recorder, runtime, normal, "Upgraded", &message).await;
            let condition = provisioned_condition(true, "Provisioned", &message);
            (condition, Action::requeue(MAINTAIN_EVERY))
        }
        Ok(Progress::Waiting(message, after)) => {
            operations::progress(&mut record, &id, &message);
            let condition = provisioned_condition(true, "Upgrading", &message);
            (condition, Action::requeue(after))
        }
        Err(error) => {
            let condition = step_failed(work, &mut record, &id, &error, "UpgradeFailed").await;
            (condition, Action::requeue(retry))
        }
    };
    status::write(&ctx.client, runtime, &record, condition).await?;
    Ok(action)
}

/// Runs the runtime's ReconnectRuntime one step further: the provider installs the agent's
/// configuration again with a fresh token and makes the agent pair with it; the operation
/// succeeds once that token was redeemed.
pub(crate) async fn reconnect(
    work: Work<'_>,
    mut record: ProvisioningStatus,
) -> Result<Action, Error> {
    let Work {
        ctx,
        runtime,
        target,
        ..
    } = work;
    let type_ = OperationType::ReconnectRuntime;
    let id = operations::ensure(&mut record, type_, now(), work.requested);
    let agent = bootstrap(ctx, target).await?;
    let outcome = work.provider.provision(target, Some(&agent)).await;
    let retry = ctx.backoff.after(&target.id, outcome.is_err());
    let (condition, action) = match outcome {
        Ok(Progress::Done(message)) if redeemed(ctx, runtime, &agent.token).await? => {
            let message = format!("{message}; the agent paired again");
            operations::finish(&mut record, &id, OperationState::Succeeded, &message, now());
            ctx.tokens.lock().await.remove(&target.id);
            let normal = EventType::Normal;
            status::event(&ctx.recorder, runtime, normal, "AgentReconnected", &message).await;
            let condition = provisioned_condition(true, "Provisioned", &message);
            (condition, Action::requeue(MAINTAIN_EVERY))
        }
        Ok(Progress::Done(message)) | Ok(Progress::Waiting(message, _)) => {
            let waiting = format!("{message}; waiting for the agent to pair again");
            operations::progress(&mut record, &id, waiting);
            let condition = provisioned_condition(true, "Reconnecting", &message);
            (condition, Action::requeue(Duration::from_secs(1)))
        }
        Err(error) => {
            let condition = step_failed(work, &mut record, &id, &error, "ReconnectFailed").await;
            (condition, Action::requeue(retry))
        }
    };
    status::write(&ctx.client, runtime, &record, condition).await?;
    Ok(action)
}

/// Whether the runtime's agent redeemed `token` (its record keeps only the digest).
async fn redeemed(ctx: &Context, runtime: &Runtime, token: &str) -> Result<bool, Error> {
    let namespace = runtime.namespace().unwrap_or_default();
    let auths: Api<SystemAuth> = Api::namespaced(ctx.client.clone(), &namespace);
    let listed = auths
        .list(&ListParams::default())
        .await
        .map_err(|e| Error(format!("reading the runtime's identities failed: {e}")))?;
    let (name, digest) = (runtime.name_any(), token_digest(token));
    let redeemed = listed
        .items
        .iter()
        .filter(|auth| auth.spec.subject.kind == SubjectKind::Runtime)
        .filter(|auth| auth.spec.subject.name == name)
        .filter_map(|auth| auth.status.as_ref())
        .flat_map(|status| &status.one_time_tokens)
        .any(|record| {
            record.purpose == TokenPurpose::Pairing && record.used && record.token_hash == digest
        });
    Ok(redeemed)
}
