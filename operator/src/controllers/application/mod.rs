//! The Application controller: checks what an application names (scenarios, integration
//! system, eventing runtime) and its labels, downloads the specs and documents it has fetch
//! requests for into ConfigMaps it owns, calls its `CONFIGURATION_CHANGED` webhooks for each
//! runtime that starts to see it (keeping returned credentials in Secrets it owns), and reports
//! all of it in the status. The spec is never written.
//!
//! Steps: `references` and `status` are pure; `fetch` and `webhooks` do the I/O, each deciding
//! first (pure, in `children`) what is due so that nothing is fetched or called on every
//! reconcile; `triggers` wires what makes an application be reconciled; `memory` guards against
//! acting twice on a status the cache has not caught up with.

mod answer;
mod children;
mod config_maps;
mod fetch;
mod memory;
mod references;
mod status;
mod triggers;
mod webhooks;

use std::{sync::Arc, time::Duration};

use compass_crds::{Application, ApplicationStatus, Runtime, labels::effective_scenarios};
use futures_util::StreamExt;
use kube::{
    Api, Resource, ResourceExt,
    runtime::{Controller, controller::Action, reflector::ObjectRef},
};

use super::{
    Context, ControllerTask,
    assignment::runtimes_among,
    error::{Error, Result, error_policy, key},
    status::{apply_status, now, report_ready_transition},
    stores::Watches,
};
use crate::{http::secrets::NamespaceSecrets, shutdown::Shutdown};
use memory::Memory;
use status::Observed;

/// Name of this controller in logs and metrics.
pub const CONTROLLER_NAME: &str = "application";
/// Field manager of everything this controller writes.
pub const FIELD_MANAGER: &str = "application-controller.compass.kyma-project.io";
pub use compass_crds::well_known::{
    APPLICATION_LABEL, CREDENTIALS_LABEL, REFETCH_ANNOTATION, RUNTIME_LABEL,
};
/// Annotation on a fetched-content ConfigMap: `<kind>/<name>` of the child it holds.
pub const CHILD_ANNOTATION: &str = "compass.kyma-project.io/child";

/// Shortest wait before a requeue, however soon a retry is due.
const MIN_REQUEUE: Duration = Duration::from_millis(500);

/// The Application controller's task.
pub fn controller(watches: &Watches, ctx: Arc<Context>, shutdown: Shutdown) -> ControllerTask {
    let memory = Arc::new(Memory::default());
    let own = triggers::own_changes(watches);
    let dependents = triggers::dependencies(watches, ctx.stores.applications.clone());
    let pruning = memory.clone().pruning(ctx.stores.applications.clone());
    let concurrency = ctx.config.concurrency;
    let controller = Controller::for_shared_stream(own, watches.applications().store())
        .reconcile_on(dependents)
        .reconcile_all_on(resync_ticks(ctx.config.resync))
        .with_config(kube::runtime::controller::Config::default().concurrency(concurrency))
        .graceful_shutdown_on(shutdown.wait())
        .run(
            move |app, ctx| reconcile(app, ctx, memory.clone()),
            error_policy(CONTROLLER_NAME),
            ctx,
        )
        .for_each(|_| std::future::ready(()));
    Box::pin(async move {
        tokio::select! {
            () = controller => {}
            () = pruning => {}
        }
    })
}

/// Observes what the application names, downloads the specs due, calls the webhooks due, and
/// writes the status from all of it. Requeued when a download or delivery is next retried;
/// looked at again with every application each resync period.
// NB: at debug level, the level of anything logged inside: opening the span for every
// reconcile cost about 2 % of the operator's CPU in a burst, for nothing shown at info.
#[tracing::instrument(level = "debug", skip_all, fields(name = %app.name_any(), namespace = app.namespace().unwrap_or_default()))]
async fn reconcile(
    app: Arc<Application>,
    ctx: Arc<Context>,
    memory: Arc<Memory>,
) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER_NAME);
    if app.meta().deletion_timestamp.is_some() {
        // Its ConfigMaps and Secrets go with it, by owner reference.
        memory.forget(&app);
        return Ok(Action::await_change());
    }
    // Deciding which runtimes lost the application needs every runtime in the cache.
    if !ctx.stores.wait_until_ready().await {
        return Ok(Action::await_change());
    }
    let namespace = app.namespace().ok_or(Error::Missing("namespace"))?;
    let previous = memory.latest(&app);
    let observed = observe(&ctx, &app);
    let now = now();
    let refetch = app.annotations().get(REFETCH_ANNOTATION).cloned();
    let refetching = refetch.is_some() && refetch != previous.observed_refetch;
    let secrets = NamespaceSecrets::new(ctx.client.clone(), &namespace);

    let plan = fetch::plan(&app, &previous, refetching, &now);
    let base =
        status_before_fetching(&ctx, &app, &memory, &plan, &observed, &previous, &now).await?;
    let definitions = fetch::run(&ctx, &app, plan, &previous, &secrets, &now).await?;
    let deliveries =
        webhooks::run(&ctx, &app, &observed.runtimes, &previous, &secrets, &now).await?;
    let desired = status::desired(
        &app,
        &base.conditions,
        &observed,
        &definitions,
        &deliveries,
        refetch,
    );
    write(&ctx, &app, &memory, &base, &desired).await?;
    report_ready_transition(
        &ctx,
        app.as_ref(),
        &previous.conditions,
        &desired.conditions,
    );
    ctx.succeeded(&key(app.as_ref()));
    Ok(next_action(&ctx, &definitions, &deliveries))
}

/// When to look at the application again: when the next download or delivery is retried, if
/// that is before the resync of every application ([`resync_ticks`]); never sooner than
/// [`MIN_REQUEUE`].
fn next_action(
    ctx: &Context,
    definitions: &fetch::Definitions,
    deliveries: &webhooks::Deliveries,
) -> Action {
    match [definitions.retry_in, deliveries.retry_in]
        .into_iter()
        .flatten()
        .min()
    {
        Some(retry) if retry < ctx.config.resync => Action::requeue(retry.max(MIN_REQUEUE)),
        _ => Action::await_change(),
    }
}

/// A tick every resync period, the first one a period from now, on which every application is
/// reconciled again: one timer for all of them. (Requeueing each application for the resync kept
/// an entry per application in kube-runtime's queue, 10 MB for 10,000 of them.)
fn resync_ticks(period: Duration) -> impl futures_util::Stream<Item = ()> + Send + 'static {
    futures_util::stream::unfold((), move |()| async move {
        tokio::time::sleep(period).await;
        Some(((), ()))
    })
}

/// The status the downloads start from: when the plan has first downloads, the status with them
/// marked `INITIAL` (`SpecsFetched=Unknown`), written before they run; otherwise the previous
/// status.
async fn status_before_fetching(
    ctx: &Context,
    app: &Application,
    memory: &Memory,
    plan: &fetch::Plan<'_>,
    observed: &Observed,
    previous: &ApplicationStatus,
    now: &k8s_openapi::apimachinery::pkg::apis::meta::v1::Time,
) -> Result<ApplicationStatus> {
    if !plan.has_first_attempts() {
        return Ok(previous.clone());
    }
    let definitions = plan.interim(app, now);
    let unchanged = webhooks::unchanged(app, previous);
    let refetched = previous.observed_refetch.clone();
    let interim = status::desired(
        app,
        &previous.conditions,
        observed,
        &definitions,
        &unchanged,
        refetched,
    );
    write(ctx, app, memory, previous, &interim).await?;
    Ok(interim)
}

/// What the caches say about the application: scenarios, the runtimes that see it, whether what
/// it names exists, whether its labels are valid.
fn observe(ctx: &Context, app: &Application) -> Observed {
    let namespace = app.namespace();
    let in_scenarios = effective_scenarios(app.spec.scenarios.as_deref());
    let candidates =
        (ctx.stores).runtimes_in(namespace.as_deref().unwrap_or_default(), &in_scenarios);
    let visible = runtimes_among(app, candidates);
    // The one runtime the references check looks up by name: the eventing default's.
    let named_runtime: Vec<Arc<Runtime>> = (app.spec.eventing.as_ref())
        .and_then(|eventing| eventing.default_runtime.as_ref())
        .and_then(|name| {
            let namespace = namespace.as_deref().unwrap_or_default();
            ctx.stores
                .runtimes
                .get(&ObjectRef::new(name).within(namespace))
        })
        .into_iter()
        .collect();
    let system_exists = app.spec.integration_system.as_ref().is_some_and(|name| {
        ctx.stores
            .integration_systems
            .get(&ObjectRef::new(name))
            .is_some()
    });
    let scenarios = ctx.stores.scenarios.state();
    let tenant_namespace = namespace
        .as_deref()
        .is_some_and(|n| ctx.stores.is_tenant_namespace(n));
    let references = references::references(
        app,
        &scenarios,
        tenant_namespace,
        system_exists,
        &named_runtime,
        &visible,
    );
    let definitions = ctx.stores.label_definitions.state();
    let labels = references::labels_valid(&ctx.label_schemas, &definitions, app);
    Observed {
        scenarios: effective_scenarios(app.spec.scenarios.as_deref()),
        runtimes: visible,
        references,
        labels,
    }
}

/// Writes the status when it differs from `current`, and remembers it.
async fn write(
    ctx: &Context,
    app: &Application,
    memory: &Memory,
    current: &ApplicationStatus,
    desired: &ApplicationStatus,
) -> Result<()> {
    let namespace = app.namespace().ok_or(Error::Missing("namespace"))?;
    let api: Api<Application> = Api::namespaced(ctx.client.clone(), &namespace);
    if apply_status(&api, app, FIELD_MANAGER, Some(current), desired).await? {
        memory.wrote(app, desired);
    }
    Ok(())
}
