//! The ApplicationTemplate controller: a template is Ready when every `{{placeholder}}` its input
//! uses is declared, every declared one is used (the original's rule), and the input makes a
//! valid application once the placeholders are filled: a name that follows the application name
//! rule, and the fields of an Application's spec with the right types and no unknown ones.

mod input;

use std::sync::Arc;

use compass_crds::{ApplicationTemplate, ApplicationTemplateStatus, conditions::READY};
use futures_util::StreamExt;
use kube::{
    Api, Resource,
    runtime::{Controller, controller::Action},
};

use self::input::verdict;
use super::{
    Context, ControllerTask,
    error::{Result, error_policy, key},
    status::{Conditions, apply_status, report_ready_transition},
    stores::Watches,
    triggers::{self, own_changes},
};
use crate::shutdown::Shutdown;

/// Name of this controller in logs and metrics.
pub const CONTROLLER_NAME: &str = "application_template";
/// Field manager of everything this controller writes.
pub const FIELD_MANAGER: &str = "application-template-controller.compass.kyma-project.io";

/// The ApplicationTemplate controller's task.
pub fn controller(watches: &Watches, ctx: Arc<Context>, shutdown: Shutdown) -> ControllerTask {
    Box::pin(
        Controller::for_shared_stream(
            own_changes(&watches.application_templates()),
            watches.application_templates().store(),
        )
        .with_config(triggers::config(&ctx))
        .graceful_shutdown_on(shutdown.wait())
        .run(reconcile, error_policy(CONTROLLER_NAME), ctx)
        .for_each(|_| std::future::ready(())),
    )
}

async fn reconcile(template: Arc<ApplicationTemplate>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER_NAME);
    if !ctx.stores.wait_until_ready().await {
        return Ok(Action::await_change());
    }
    if template.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let current = template.status.clone().unwrap_or_default();
    let mut conditions = Conditions::new(&current.conditions, template.metadata.generation);
    let ready = verdict(
        &template.spec.application_input,
        &template.spec.placeholders,
    );
    conditions.set(READY, ready.holds, ready.reason, ready.message);
    let desired = ApplicationTemplateStatus {
        observed_generation: template.metadata.generation,
        conditions: conditions.into_vec(),
    };
    let api: Api<ApplicationTemplate> = Api::all(ctx.client.clone());
    apply_status(
        &api,
        template.as_ref(),
        FIELD_MANAGER,
        template.status.as_ref(),
        &desired,
    )
    .await?;
    report_ready_transition(
        &ctx,
        template.as_ref(),
        &current.conditions,
        &desired.conditions,
    );
    ctx.succeeded(&key(template.as_ref()));
    Ok(Action::requeue(ctx.config.resync))
}
