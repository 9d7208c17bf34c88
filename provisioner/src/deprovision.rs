//! The Deprovision operation: the provider removes the agent and, for a cluster it made, the
//! cluster; also what a provisioning cut short left. It runs when the Runtime is deleted or its
//! request withdrawn, and cancels an operation under way.

use compass_crds::{
    Runtime,
    provisioning::{OperationState, OperationType, ProvisioningStatus, RequestedOperation},
};
use compass_operator::controllers::events::EventType;
use kube::runtime::controller::Action;

use crate::{
    controller::{Context, Error, target},
    operations,
    provider::Progress,
    status::{self, now, provisioned_condition},
};

/// Runs the runtime's Deprovision operation one step further; an error keeps the finalizer (and
/// has the step tried again) until the provider is done.
pub(crate) async fn deprovision(ctx: &Context, runtime: &Runtime) -> Result<Action, Error> {
    let target = target(runtime);
    let mut record = ProvisioningStatus::of(runtime);
    let requested = record.unanswered(RequestedOperation::of(runtime));
    let type_ = OperationType::Deprovision;
    let id = operations::ensure(&mut record, type_, now(), requested.as_ref());
    ctx.tokens.lock().await.remove(&target.id);
    let Some(provider) = ctx.providers.get(target.request.provider.as_str()).cloned() else {
        // Nothing of this provider runs here: nothing to remove.
        return Ok(Action::await_change());
    };
    let (reason, message, done) = match provider.deprovision(&target).await {
        Ok(Progress::Done(message)) => {
            operations::finish(&mut record, &id, OperationState::Succeeded, &message, now());
            let normal = EventType::Normal;
            status::event(&ctx.recorder, runtime, normal, "Deprovisioned", &message).await;
            ("Deprovisioned", message, true)
        }
        Ok(Progress::Waiting(message, _)) => {
            operations::progress(&mut record, &id, &message);
            ("Deprovisioning", message, false)
        }
        Err(error) => {
            let message = error.to_string();
            operations::progress(&mut record, &id, format!("{message}; trying again"));
            ("DeprovisioningFailed", message, false)
        }
    };
    let condition = provisioned_condition(false, reason, &message);
    status::write(&ctx.client, runtime, &record, condition).await?;
    match done {
        true => Ok(Action::await_change()),
        // An error keeps the finalizer until the provider is done.
        false => Err(Error(message)),
    }
}
