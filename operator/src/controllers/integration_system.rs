//! The IntegrationSystem controller: how many applications, in every tenant, name the system, and
//! deletion held (by a finalizer) while any still does, as the original's `RESTRICT` foreign key
//! from applications to integration systems refused it.

use std::sync::Arc;

use compass_crds::{Application, IntegrationSystem, IntegrationSystemStatus, conditions::READY};
use futures_util::StreamExt;
use kube::{
    Api, Resource, ResourceExt,
    runtime::{Controller, controller::Action, reflector::ObjectRef},
};

use super::{
    Context, ControllerTask,
    checks::Verdict,
    error::{Result, error_policy, key},
    in_use::{IN_USE, counted, ensure_finalizer, name_users, release_finalizer},
    status::{Conditions, apply_status, report_ready_transition},
    stores::Watches,
    triggers::{self, fan_out, own_changes, spec_changes},
};
use crate::shutdown::Shutdown;

/// Name of this controller in logs and metrics.
pub const CONTROLLER_NAME: &str = "integration_system";
/// Field manager of everything this controller writes.
pub const FIELD_MANAGER: &str = "integration-system-controller.compass.kyma-project.io";
/// Finalizer holding an IntegrationSystem while applications name it.
pub const FINALIZER: &str = "compass.kyma-project.io/integration-system-in-use";

/// The IntegrationSystem controller's task.
pub fn controller(watches: &Watches, ctx: Arc<Context>, shutdown: Shutdown) -> ControllerTask {
    // An application's previous reference is unknown once its spec changed, and there are few
    // integration systems, so any application spec change rechecks all of them.
    let systems = ctx.stores.integration_systems.clone();
    let related = fan_out(
        spec_changes(&watches.applications()).map(|_| ()),
        move |_| {
            systems
                .state()
                .iter()
                .map(|s| ObjectRef::from_obj(s.as_ref()))
                .collect()
        },
    );
    Box::pin(
        Controller::for_shared_stream(
            own_changes(&watches.integration_systems()),
            watches.integration_systems().store(),
        )
        .reconcile_on(related)
        .with_config(triggers::config(&ctx))
        .graceful_shutdown_on(shutdown.wait())
        .run(reconcile, error_policy(CONTROLLER_NAME), ctx)
        .for_each(|_| std::future::ready(())),
    )
}

/// Holds an integration system with a finalizer while applications name it, and reports its use
/// and whether it holds in its status.
async fn reconcile(system: Arc<IntegrationSystem>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER_NAME);
    if !ctx.stores.wait_until_ready().await {
        return Ok(Action::await_change());
    }
    let api: Api<IntegrationSystem> = Api::all(ctx.client.clone());
    let deleting = system.meta().deletion_timestamp.is_some();
    if deleting && !system.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(Action::await_change());
    }
    ensure_finalizer(&api, system.as_ref(), FINALIZER).await?;

    let users = users(&system.name_any(), &ctx.stores.applications.state());
    if deleting && users.is_empty() {
        release_finalizer(&api, system.as_ref(), FINALIZER).await?;
        ctx.succeeded(&key(system.as_ref()));
        return Ok(Action::await_change());
    }

    let current = system.status.clone().unwrap_or_default();
    let desired = desired_status(&system, &current, &users, deleting);
    apply_status(
        &api,
        system.as_ref(),
        FIELD_MANAGER,
        system.status.as_ref(),
        &desired,
    )
    .await?;
    report_ready_transition(
        &ctx,
        system.as_ref(),
        &current.conditions,
        &desired.conditions,
    );
    ctx.succeeded(&key(system.as_ref()));
    Ok(Action::requeue(ctx.config.resync))
}

/// The status the integration system should have: whether applications name it (`InUse`),
/// whether it holds (`Ready`; while being deleted, what holds it), and how many name it.
fn desired_status(
    system: &IntegrationSystem,
    current: &IntegrationSystemStatus,
    users: &[String],
    deleting: bool,
) -> IntegrationSystemStatus {
    let mut conditions = Conditions::new(&current.conditions, system.metadata.generation);
    let in_use = in_use(users);
    conditions.set(IN_USE, in_use.holds, in_use.reason, in_use.message);
    let ready = if deleting {
        deletion_held(users)
    } else {
        Verdict::pass(
            "Registered",
            "Applications may name the integration system in spec.integrationSystem",
        )
    };
    conditions.set(READY, ready.holds, ready.reason, ready.message);
    IntegrationSystemStatus {
        observed_generation: system.metadata.generation,
        conditions: conditions.into_vec(),
        application_count: Some(i32::try_from(users.len()).unwrap_or(i32::MAX)),
    }
}

/// The applications, in every namespace, that name the system (those being deleted aside), as
/// `namespace/application` in order.
fn users(system: &str, applications: &[Arc<Application>]) -> Vec<String> {
    let mut users: Vec<String> = applications
        .iter()
        .filter(|a| {
            a.meta().deletion_timestamp.is_none()
                && a.spec.integration_system.as_deref() == Some(system)
        })
        .map(|a| format!("{}/{}", a.namespace().unwrap_or_default(), a.name_any()))
        .collect();
    users.sort();
    users
}

fn in_use(users: &[String]) -> Verdict {
    if users.is_empty() {
        return Verdict::fail(
            "NotReferenced",
            "No application names the integration system",
        );
    }
    Verdict::pass(
        "ReferencedByApplications",
        format!(
            "Named by {}: {}",
            counted(users.len(), "application"),
            name_users(users)
        ),
    )
}

fn deletion_held(users: &[String]) -> Verdict {
    Verdict::fail(
        "InUse",
        format!(
            "Deletion waits until no application names the integration system; still named by {}: delete those applications or clear their spec.integrationSystem",
            name_users(users)
        ),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn app(namespace: &str, name: &str, system: Option<&str>) -> Arc<Application> {
        let mut spec = json!({});
        if let Some(system) = system {
            spec["integrationSystem"] = json!(system);
        }
        Arc::new(
            serde_json::from_value(json!({
                "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
                "metadata": { "name": name, "namespace": namespace }, "spec": spec,
            }))
            .unwrap(),
        )
    }

    #[test]
    fn users_are_applications_of_every_namespace_naming_the_system() {
        let applications = vec![
            app("globex", "crm", Some("sap")),
            app("acme", "orders", Some("sap")),
            app("acme", "shop", Some("other")),
            app("acme", "plain", None),
        ];
        assert_eq!(users("sap", &applications), ["acme/orders", "globex/crm"]);
        let held = deletion_held(&users("sap", &applications));
        assert!(
            held.message.contains("acme/orders, globex/crm"),
            "{}",
            held.message
        );
        assert!(!in_use(&[]).holds);
    }
}
