//! The Provision operation: a fresh one-time token for the agent, the provider called until the
//! cluster stands and the agent runs, then the agent's pairing awaited; a failing step is tried
//! again until the operation's bound.

use std::time::Duration;

use compass_crds::conditions::Condition;
use compass_crds::provisioning::{OperationState, OperationType, ProvisioningStatus};
use compass_operator::controllers::events::EventType;
use kube::runtime::controller::Action;

use crate::{
    bootstrap::bootstrap,
    changes::Work,
    controller::Error,
    operations,
    provider::{Progress, ProviderError},
    status::{self, agent_connected, now, provisioned_condition},
};

/// How often a provisioned runtime is looked at when nothing changes.
pub(crate) const MAINTAIN_EVERY: Duration = Duration::from_secs(300);

/// Runs the runtime's Provision operation one step further.
pub(crate) async fn provision(
    work: Work<'_>,
    mut record: ProvisioningStatus,
) -> Result<Action, Error> {
    let Work {
        ctx,
        runtime,
        target,
        provider,
        requested,
    } = work;
    if record.running().is_none() {
        let name = &target.request.provider;
        let note = format!("provider {name} makes the runtime's cluster and starts its agent");
        let normal = EventType::Normal;
        status::event(&ctx.recorder, runtime, normal, "ProvisioningStarted", &note).await;
    }
    let id = operations::ensure(&mut record, OperationType::Provision, now(), requested);
    let agent = bootstrap(ctx, target).await?;
    let outcome = provider.provision(target, Some(&agent)).await;
    let retry = ctx.backoff.after(&target.id, outcome.is_err());
    let (condition, action) = match outcome {
        Ok(Progress::Done(message)) if agent_connected(runtime) => {
            let message = format!("{message}; the agent paired");
            operations::finish(&mut record, &id, OperationState::Succeeded, &message, now());
            record.kubernetes_version = target.request.kubernetes_version.clone();
            ctx.tokens.lock().await.remove(&target.id);
            let normal = EventType::Normal;
            status::event(&ctx.recorder, runtime, normal, "Provisioned", &message).await;
            let condition = provisioned_condition(true, "Provisioned", &message);
            (condition, Action::requeue(MAINTAIN_EVERY))
        }
        Ok(Progress::Done(message)) => {
            let waiting = format!("{message}; waiting for the agent to pair");
            operations::progress(&mut record, &id, waiting);
            let condition = provisioned_condition(true, "Provisioned", &message);
            (condition, Action::requeue(Duration::from_secs(1)))
        }
        Ok(Progress::Waiting(message, after)) => {
            operations::progress(&mut record, &id, &message);
            let condition = provisioned_condition(false, "Provisioning", &message);
            (condition, Action::requeue(after))
        }
        Err(error) => {
            let condition = step_failed(work, &mut record, &id, &error, "ProvisioningFailed").await;
            (condition, Action::requeue(retry))
        }
    };
    status::write(&ctx.client, runtime, &record, condition).await?;
    Ok(action)
}

/// Records a failed step of operation `id` (retried until the bound, see
/// [`operations::failed`]) with a Warning Event of `reason`, and gives the `Provisioned`
/// condition that stands: False while the runtime has never been provisioned, True after.
pub(crate) async fn step_failed(
    work: Work<'_>,
    record: &mut ProvisioningStatus,
    id: &str,
    error: &ProviderError,
    reason: &str,
) -> Condition {
    let message = error.to_string();
    let warning = EventType::Warning;
    status::event(&work.ctx.recorder, work.runtime, warning, reason, &message).await;
    operations::failed(record, id, error, now());
    let stands = record.provisioned();
    provisioned_condition(stands, reason, &message)
}
