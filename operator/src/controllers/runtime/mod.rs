//! The Runtime controller: the scenarios a runtime is in, the applications it sees, whether its
//! scenarios exist and its labels satisfy their definitions (`Ready`), and whether its Runtime
//! Agent's heartbeat is current (`Available`, from the agent's Lease; not part of `Ready`).

mod heartbeat;
mod views;

pub use views::Views;

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use compass_crds::{
    AgentStatus, Runtime, RuntimeStatus,
    labels::{effective_scenarios, scenario_summary},
};
use futures_util::{Stream, StreamExt, stream};
use jiff::Timestamp;
use kube::{
    Api, Resource, ResourceExt,
    runtime::{Controller, controller::Action, reflector::ObjectRef},
};

use self::heartbeat::{heartbeat, set_available};
use super::{
    Context, ControllerTask,
    assignment::{applications_seen_by, in_scenario},
    checks::{Verdict, missing_scenarios, set_with_summary},
    error::{Error, Result, error_policy, key},
    labels::{LabelProblem, check},
    status::{Conditions, apply_status, report_ready_transition},
    stores::{RUNTIME_LABEL, Watches},
    triggers::{self, fan_out, own_changes, spec_changes},
};
use crate::shutdown::Shutdown;

/// Name of this controller in logs and metrics.
pub const CONTROLLER_NAME: &str = "runtime";
/// Field manager of everything this controller writes.
pub const FIELD_MANAGER: &str = "runtime-controller.compass.kyma-project.io";
/// Condition: every scenario the runtime is in exists.
pub const REFERENCES_RESOLVED: &str = "ReferencesResolved";
/// Condition: every label satisfies its definition's schema.
pub const LABELS_VALID: &str = "LabelsValid";
/// Condition: the Runtime Agent's heartbeat is current.
pub const AVAILABLE: &str = "Available";

/// The Runtime controller's task.
pub fn controller(watches: &Watches, ctx: Arc<Context>, shutdown: Shutdown) -> ControllerTask {
    let related = fan_out(scopes(watches), expand(ctx.clone()));
    Box::pin(
        Controller::for_shared_stream(own_changes(&watches.runtimes()), watches.runtimes().store())
            .reconcile_on(related)
            .reconcile_on(lease_owners(watches))
            .with_config(triggers::config(&ctx))
            .graceful_shutdown_on(shutdown.wait())
            .run(reconcile, error_policy(CONTROLLER_NAME), ctx)
            .for_each(|_| std::future::ready(())),
    )
}

/// What a change of another kind affects: the runtimes in a scenario, or carrying a label key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Scope {
    Scenario { namespace: String, scenario: String },
    LabelKey { namespace: String, key: String },
}

/// Scopes touched by application, scenario and label definition changes.
fn scopes(watches: &Watches) -> impl Stream<Item = Scope> + Send + 'static {
    // An application's old scenarios matter too (the runtimes there stop seeing it), and the
    // cache only holds the new ones, so the last scenarios seen are remembered.
    let mut last: HashMap<(String, String), Vec<String>> = HashMap::new();
    let applications = spec_changes(&watches.applications()).flat_map(move |change| {
        let app = change.object();
        let namespace = app.namespace().unwrap_or_default();
        let id = (namespace.clone(), app.name_any());
        let mut touched = effective_scenarios(app.spec.scenarios.as_deref());
        let before = if change.is_deleted() {
            last.remove(&id)
        } else {
            last.insert(id, touched.clone())
        };
        touched.extend(before.unwrap_or_default());
        stream::iter(touched.into_iter().map(move |scenario| Scope::Scenario {
            namespace: namespace.clone(),
            scenario,
        }))
    });
    let scenarios = spec_changes(&watches.scenarios()).map(|change| Scope::Scenario {
        namespace: change.object().namespace().unwrap_or_default(),
        scenario: change.object().scenario_name().to_owned(),
    });
    let definitions = spec_changes(&watches.label_definitions()).map(|change| Scope::LabelKey {
        namespace: change.object().namespace().unwrap_or_default(),
        key: change.object().key().to_owned(),
    });
    stream::select(applications, stream::select(scenarios, definitions))
}

/// The runtimes a batch of scopes affects; starts the pass that reconciles them.
fn expand(ctx: Arc<Context>) -> impl Fn(&HashSet<Scope>) -> Vec<ObjectRef<Runtime>> {
    move |scopes| {
        // Before any reconcile of the pass runs: none of them reuses a view of the last pass.
        ctx.runtime_views.new_pass();
        (ctx.stores.runtimes)
            .state()
            .iter()
            .filter(|runtime| {
                let namespace = runtime.namespace().unwrap_or_default();
                scopes.iter().any(|scope| match scope {
                    Scope::Scenario {
                        namespace: n,
                        scenario,
                    } => {
                        *n == namespace && in_scenario(runtime.spec.scenarios.as_deref(), scenario)
                    }
                    Scope::LabelKey { namespace: n, key } => {
                        *n == namespace && runtime.spec.labels.contains_key(key)
                    }
                })
            })
            .map(|runtime| ObjectRef::from_obj(runtime.as_ref()))
            .collect()
    }
}

/// The runtime each heartbeat Lease names, whenever the Lease changes or goes.
fn lease_owners(watches: &Watches) -> impl Stream<Item = ObjectRef<Runtime>> + Send + 'static {
    watches
        .heartbeat_leases()
        .subscribe_changes()
        .filter_map(|change| {
            let lease = change.object();
            let owner = lease.labels().get(RUNTIME_LABEL).map(|runtime| {
                ObjectRef::new(runtime).within(&lease.namespace().unwrap_or_default())
            });
            std::future::ready(owner)
        })
}

/// Brings a runtime's status up to date: its scenarios and applications, whether its
/// configuration holds (`Ready`), and whether its agent's heartbeat is current (`Available`).
/// Requeued by the time the heartbeat would expire, or the resync period if sooner.
async fn reconcile(runtime: Arc<Runtime>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER_NAME);
    if !ctx.stores.wait_until_ready().await {
        return Ok(Action::await_change());
    }
    if runtime.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = runtime.namespace().ok_or(Error::Missing("namespace"))?;
    let current = runtime.status.clone().unwrap_or_default();
    let mut conditions = Conditions::new(&current.conditions, runtime.metadata.generation);
    let scenarios = effective_scenarios(runtime.spec.scenarios.as_deref());
    check_configuration(&ctx, &runtime, &namespace, &scenarios, &mut conditions);
    let now = Timestamp::now();
    let beat = check_heartbeat(&ctx, &runtime, &namespace, now, &mut conditions);
    let desired = desired_status(&ctx, &runtime, &current, scenarios, conditions, &beat);
    write_status(&ctx, &runtime, &namespace, &desired).await?;
    report_ready_transition(
        &ctx,
        runtime.as_ref(),
        &current.conditions,
        &desired.conditions,
    );
    ctx.succeeded(&key(runtime.as_ref()));
    let recheck = beat
        .expires_in(now)
        .map_or(ctx.config.resync, |left| left.min(ctx.config.resync));
    Ok(Action::requeue(recheck))
}

/// Sets whether the runtime's scenarios exist and its labels satisfy their definitions, and
/// `Ready` from both.
fn check_configuration(
    ctx: &Context,
    runtime: &Runtime,
    namespace: &str,
    scenarios: &[String],
    conditions: &mut Conditions,
) {
    let tenant_namespace = ctx.stores.is_tenant_namespace(namespace);
    let all_scenarios = ctx.stores.scenarios.state();
    let references = missing_scenarios(namespace, scenarios, &all_scenarios, tenant_namespace)
        .unwrap_or_else(|| {
            Verdict::pass("ScenariosExist", "Every scenario the runtime is in exists")
        });
    let definitions = ctx.stores.label_definitions.state();
    let problems = check(
        &ctx.label_schemas,
        &definitions,
        namespace,
        &runtime.spec.labels,
    );
    set_with_summary(
        conditions,
        &[
            (REFERENCES_RESOLVED, &references),
            (LABELS_VALID, &labels_valid(&problems)),
        ],
        ready(),
    );
}

/// Reads the agent's heartbeat from its Lease and sets `Available` from it.
fn check_heartbeat(
    ctx: &Context,
    runtime: &Runtime,
    namespace: &str,
    now: Timestamp,
    conditions: &mut Conditions,
) -> heartbeat::Heartbeat {
    let beat = heartbeat(
        &runtime.name_any(),
        namespace,
        &ctx.stores.leases.state(),
        ctx.config.heartbeat_grace,
        now,
    );
    set_available(conditions, &runtime.name_any(), namespace, &beat);
    beat
}

/// The status the runtime should have: the checks' conditions, its scenarios, the applications
/// it sees and what its agent last reported.
fn desired_status(
    ctx: &Context,
    runtime: &Runtime,
    current: &RuntimeStatus,
    scenarios: Vec<String>,
    conditions: Conditions,
    beat: &heartbeat::Heartbeat,
) -> RuntimeStatus {
    let namespace = runtime.namespace().unwrap_or_default();
    let in_scenarios = effective_scenarios(runtime.spec.scenarios.as_deref());
    let (application_count, applications) =
        (ctx.runtime_views).seen(&namespace, &in_scenarios, || {
            let candidates = ctx.stores.applications_in(&namespace, &in_scenarios);
            applications_seen_by(runtime, &candidates)
        });
    RuntimeStatus {
        observed_generation: runtime.metadata.generation,
        conditions: conditions.into_vec(),
        scenario_summary: scenario_summary(&scenarios),
        scenarios,
        application_count: Some(i32::try_from(application_count).unwrap_or(i32::MAX)),
        applications,
        agent: beat.reported(current.agent.as_ref()),
        provisioning: None,
    }
}

/// The conditions of a Runtime the provisioner writes.
const PROVISIONER_CONDITIONS: [&str; 2] = [
    compass_crds::provisioning::PROVISIONED,
    compass_crds::provisioning::AGENT_CONNECTED,
];

/// Writes the desired status, unless the stored one already says the same.
async fn write_status(
    ctx: &Context,
    runtime: &Runtime,
    namespace: &str,
    desired: &RuntimeStatus,
) -> Result<()> {
    // NB: once the agent record is dropped, an API server may keep `agent: {}`; that is no record.
    let mut stored = runtime.status.clone();
    if let Some(stored) = stored.as_mut() {
        if stored.agent == Some(AgentStatus::default()) {
            stored.agent = None;
        }
        // What the provisioner writes (its record and conditions) is its own: the comparison
        // leaves it out, and the apply, under this controller's field manager, keeps it.
        stored.provisioning = None;
        stored
            .conditions
            .retain(|c| !PROVISIONER_CONDITIONS.contains(&c.type_.as_str()));
    }
    let api: Api<Runtime> = Api::namespaced(ctx.client.clone(), namespace);
    apply_status(&api, runtime, FIELD_MANAGER, stored.as_ref(), desired).await?;
    Ok(())
}

/// Whether every label satisfies its definition's schema.
fn labels_valid(problems: &[LabelProblem]) -> Verdict {
    if problems.is_empty() {
        return Verdict::pass(
            "LabelsMatchDefinitions",
            "Every label satisfies its LabelDefinition's schema",
        );
    }
    let described: Vec<String> = problems
        .iter()
        .map(|p| format!("label {}: {}", p.key, p.message))
        .collect();
    Verdict::fail(
        "LabelViolatesSchema",
        format!(
            "{}; change the value in spec.labels or the LabelDefinition's schema",
            described.join("; ")
        ),
    )
}

/// The `Ready` condition when every check passes.
fn ready() -> Verdict {
    Verdict::pass(
        "Configured",
        "The runtime's scenarios exist and its labels satisfy their definitions",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use compass_crds::conditions::READY;

    #[test]
    fn ready_takes_the_reason_of_the_first_failing_condition() {
        let mut conditions = Conditions::new(&[], Some(1));
        let missing = missing_scenarios("acme", &["marketing".to_owned()], &[], true).unwrap();
        set_with_summary(
            &mut conditions,
            &[
                (REFERENCES_RESOLVED, &missing),
                (LABELS_VALID, &labels_valid(&[])),
            ],
            ready(),
        );
        let list = conditions.into_vec();
        let ready = list.iter().find(|c| c.type_ == READY).unwrap();
        assert_eq!(
            (ready.status.as_str(), ready.reason.as_str()),
            ("False", "ScenarioNotFound")
        );
        assert!(ready.message.contains("marketing"), "{}", ready.message);
    }
}
