//! The Scenario controller: the scenario's name in effect, how many applications and runtimes
//! are in it, whether another Scenario of the namespace already defines the name, and deletion
//! held (by a finalizer) while applications or runtimes still list it, as the original refused
//! to drop a scenario from the enum while a label used it.

use std::sync::Arc;

use compass_crds::{Application, Runtime, Scenario, ScenarioStatus, conditions::READY};
use futures_util::StreamExt;
use kube::{
    Api, Resource, ResourceExt,
    runtime::{Controller, controller::Action},
};

use super::{
    Context, ControllerTask,
    assignment::in_scenario,
    checks::Verdict,
    error::{Error, Result, error_policy, key},
    in_use::{IN_USE, counted, ensure_finalizer, name_users, release_finalizer},
    namesakes::older_claim,
    status::{Conditions, apply_status, report_ready_transition},
    stores::Watches,
    triggers::{self, fan_out, in_namespaces, namespaces_touched, own_changes},
};
use crate::shutdown::Shutdown;

/// Name of this controller in logs and metrics.
pub const CONTROLLER_NAME: &str = "scenario";
/// Field manager of everything this controller writes.
pub const FIELD_MANAGER: &str = "scenario-controller.compass.kyma-project.io";
/// Finalizer holding a Scenario while applications or runtimes list it.
pub const FINALIZER: &str = "compass.kyma-project.io/scenario-in-use";

/// The Scenario controller's task.
pub fn controller(watches: &Watches, ctx: Arc<Context>, shutdown: Shutdown) -> ControllerTask {
    // Counts, use and duplicates of every Scenario of a touched namespace may change.
    let related = fan_out(
        namespaces_touched(watches, &watches.scenarios()),
        in_namespaces(ctx.stores.scenarios.clone()),
    );
    Box::pin(
        Controller::for_shared_stream(
            own_changes(&watches.scenarios()),
            watches.scenarios().store(),
        )
        .reconcile_on(related)
        .with_config(triggers::config(&ctx))
        .graceful_shutdown_on(shutdown.wait())
        .run(reconcile, error_policy(CONTROLLER_NAME), ctx)
        .for_each(|_| std::future::ready(())),
    )
}

/// Holds a scenario with a finalizer while objects of its namespace are in it (unless another
/// Scenario object defines the same name), and reports its use and whether it holds in its
/// status.
async fn reconcile(scenario: Arc<Scenario>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER_NAME);
    if !ctx.stores.wait_until_ready().await {
        return Ok(Action::await_change());
    }
    let namespace = scenario.namespace().ok_or(Error::Missing("namespace"))?;
    let api: Api<Scenario> = Api::namespaced(ctx.client.clone(), &namespace);
    let deleting = scenario.meta().deletion_timestamp.is_some();
    if deleting && !scenario.finalizers().iter().any(|f| f == FINALIZER) {
        return Ok(Action::await_change());
    }
    ensure_finalizer(&api, scenario.as_ref(), FINALIZER).await?;

    let users = users(
        &scenario,
        &ctx.stores.applications.state(),
        &ctx.stores.runtimes.state(),
    );
    let others = &ctx.stores.scenarios.state();
    if deleting && !held(&scenario, &users, others) {
        release_finalizer(&api, scenario.as_ref(), FINALIZER).await?;
        ctx.succeeded(&key(scenario.as_ref()));
        return Ok(Action::await_change());
    }

    let current = scenario.status.clone().unwrap_or_default();
    let desired = desired_status(&scenario, &current, &users, others, deleting);
    apply_status(
        &api,
        scenario.as_ref(),
        FIELD_MANAGER,
        scenario.status.as_ref(),
        &desired,
    )
    .await?;
    report_ready_transition(
        &ctx,
        scenario.as_ref(),
        &current.conditions,
        &desired.conditions,
    );
    ctx.succeeded(&key(scenario.as_ref()));
    Ok(Action::requeue(ctx.config.resync))
}

/// The status the scenario should have: whether anything is in it (`InUse`), whether it holds
/// (`Ready`), and how many applications and runtimes are in it.
fn desired_status(
    scenario: &Scenario,
    current: &ScenarioStatus,
    users: &Users,
    others: &[Arc<Scenario>],
    deleting: bool,
) -> ScenarioStatus {
    let mut conditions = Conditions::new(&current.conditions, scenario.metadata.generation);
    let in_use = in_use(users);
    conditions.set(IN_USE, in_use.holds, in_use.reason, in_use.message);
    let ready = ready_verdict(scenario, users, others, deleting);
    conditions.set(READY, ready.holds, ready.reason, ready.message);
    ScenarioStatus {
        observed_generation: scenario.metadata.generation,
        conditions: conditions.into_vec(),
        scenario_name: Some(scenario.scenario_name().to_owned()),
        application_count: Some(count(users.applications.len())),
        runtime_count: Some(count(users.runtimes.len())),
    }
}

/// `Ready`: while being deleted, what holds the scenario; otherwise whether an older Scenario
/// object already defines the name.
fn ready_verdict(
    scenario: &Scenario,
    users: &Users,
    others: &[Arc<Scenario>],
    deleting: bool,
) -> Verdict {
    if deleting {
        deletion_held(users)
    } else {
        older_claim(scenario, namesakes(scenario, others))
            .map_or_else(defined, |other| duplicate_of(scenario, &other))
    }
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The applications and runtimes of the scenario's namespace that are in it, by name.
#[derive(Debug, Default, PartialEq, Eq)]
struct Users {
    applications: Vec<String>,
    runtimes: Vec<String>,
}

impl Users {
    fn is_empty(&self) -> bool {
        self.applications.is_empty() && self.runtimes.is_empty()
    }

    /// `Application/orders`, then `Runtime/prod-eu`, each kind in name order.
    fn described(&self) -> Vec<String> {
        let applications = self.applications.iter().map(|n| format!("Application/{n}"));
        let runtimes = self.runtimes.iter().map(|n| format!("Runtime/{n}"));
        applications.chain(runtimes).collect()
    }
}

/// Objects of the namespace that list the scenario in effect (not those being deleted).
fn users(
    scenario: &Scenario,
    applications: &[Arc<Application>],
    runtimes: &[Arc<Runtime>],
) -> Users {
    let namespace = scenario.namespace();
    let name = scenario.scenario_name();
    let member = |object_namespace: Option<String>, deleting: bool, listed: Option<&[String]>| {
        object_namespace == namespace && !deleting && in_scenario(listed, name)
    };
    let mut users = Users {
        applications: applications
            .iter()
            .filter(|a| {
                member(
                    a.namespace(),
                    a.meta().deletion_timestamp.is_some(),
                    a.spec.scenarios.as_deref(),
                )
            })
            .map(|a| a.name_any())
            .collect(),
        runtimes: runtimes
            .iter()
            .filter(|r| {
                member(
                    r.namespace(),
                    r.meta().deletion_timestamp.is_some(),
                    r.spec.scenarios.as_deref(),
                )
            })
            .map(|r| r.name_any())
            .collect(),
    };
    users.applications.sort();
    users.runtimes.sort();
    users
}

/// Same-named Scenarios of the namespace, other than this one and not being deleted.
fn namesakes<'a>(
    scenario: &'a Scenario,
    others: &'a [Arc<Scenario>],
) -> impl Iterator<Item = &'a Arc<Scenario>> + 'a {
    others.iter().filter(move |other| {
        other.namespace() == scenario.namespace()
            && other.name_any() != scenario.name_any()
            && other.scenario_name() == scenario.scenario_name()
            && other.meta().deletion_timestamp.is_none()
    })
}

/// Whether the scenario must stay: objects are in it, and no other Scenario object would keep
/// the name defined once this one goes.
fn held(scenario: &Scenario, users: &Users, others: &[Arc<Scenario>]) -> bool {
    !users.is_empty() && !defined_elsewhere(scenario, others)
}

/// Whether another Scenario object keeps the name defined once this one goes.
fn defined_elsewhere(scenario: &Scenario, others: &[Arc<Scenario>]) -> bool {
    namesakes(scenario, others).next().is_some()
}

fn in_use(users: &Users) -> Verdict {
    if users.is_empty() {
        return Verdict::fail("NotListed", "No application or runtime lists the scenario");
    }
    Verdict::pass(
        "ListedByObjects",
        format!(
            "Listed by {} ({}, {})",
            name_users(&users.described()),
            counted(users.applications.len(), "application"),
            counted(users.runtimes.len(), "runtime")
        ),
    )
}

fn deletion_held(users: &Users) -> Verdict {
    Verdict::fail(
        "InUse",
        format!(
            "Deletion waits until no object lists the scenario; still listed by {}: remove it from their spec.scenarios or delete them",
            name_users(&users.described())
        ),
    )
}

fn duplicate_of(scenario: &Scenario, other: &str) -> Verdict {
    Verdict::fail(
        "DuplicateName",
        format!(
            "Scenario object {other} already defines scenario {:?} in this namespace; delete this object",
            scenario.scenario_name()
        ),
    )
}

fn defined() -> Verdict {
    Verdict::pass(
        "Defined",
        "Applications and runtimes may list the scenario in spec.scenarios",
    )
}
