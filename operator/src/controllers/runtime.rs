//! The Runtime controller: the scenarios a runtime is in, the applications it sees, whether its
//! scenarios exist and its labels satisfy their definitions (`Ready`), and whether its Runtime
//! Agent's heartbeat is current (`Available`, from the agent's Lease; not part of `Ready`).

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use compass_crds::{
    AgentStatus, Runtime, RuntimeStatus, conditions::status, labels::effective_scenarios,
};
use futures_util::{Stream, StreamExt, stream};
use jiff::{SignedDuration, Timestamp};
use k8s_openapi::{api::coordination::v1::Lease, apimachinery::pkg::apis::meta::v1::Time};
use kube::{
    Api, Resource, ResourceExt,
    runtime::{
        Controller,
        controller::Action,
        reflector::{ObjectRef, Store},
    },
};

use super::{
    Context, ControllerTask,
    assignment::{applications_of, in_scenario, listed},
    checks::{Verdict, set_with_summary},
    error::{Error, Result, error_policy, key},
    labels::{LabelProblem, check},
    status::{Conditions, apply_status, report_ready_transition},
    stores::{RUNTIME_LEASE_LABEL, Watches},
    triggers::{self, Change, fan_out, own_changes, spec_changes},
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
/// Lease duration assumed when a heartbeat Lease does not state one.
const DEFAULT_LEASE_SECONDS: i64 = 40;
/// How often `status.agent.lastHeartbeatTime` follows the Lease while the heartbeat is current.
const HEARTBEAT_REPORT_INTERVAL: SignedDuration = SignedDuration::from_secs(60);

/// The Runtime controller's task.
pub fn controller(watches: &Watches, ctx: Arc<Context>, shutdown: Shutdown) -> ControllerTask {
    let related = fan_out(scopes(watches), expand(ctx.stores.runtimes.clone()));
    Box::pin(
        Controller::for_shared_stream(
            own_changes(&watches.runtimes),
            watches.runtimes.store.clone(),
        )
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
    let applications = spec_changes(&watches.applications).flat_map(move |change| {
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
    let scenarios = spec_changes(&watches.scenarios).map(|change| Scope::Scenario {
        namespace: change.object().namespace().unwrap_or_default(),
        scenario: change.object().scenario_name().to_owned(),
    });
    let definitions = spec_changes(&watches.label_definitions).map(|change| Scope::LabelKey {
        namespace: change.object().namespace().unwrap_or_default(),
        key: change.object().key().to_owned(),
    });
    stream::select(applications, stream::select(scenarios, definitions))
}

/// The runtimes a batch of scopes affects.
fn expand(runtimes: Store<Runtime>) -> impl Fn(&HashSet<Scope>) -> Vec<ObjectRef<Runtime>> {
    move |scopes| {
        runtimes
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
    let changed = watches.leases.subscribe().map(Change::Spec);
    let deleted = watches.leases.subscribe_deleted().map(Change::Deleted);
    stream::select(changed, deleted).filter_map(|change| {
        let lease = change.object();
        let owner = lease
            .labels()
            .get(RUNTIME_LEASE_LABEL)
            .map(|runtime| ObjectRef::new(runtime).within(&lease.namespace().unwrap_or_default()));
        std::future::ready(owner)
    })
}

async fn reconcile(runtime: Arc<Runtime>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER_NAME);
    if runtime.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = runtime.namespace().ok_or(Error::Missing("namespace"))?;
    let current = runtime.status.clone().unwrap_or_default();
    let mut conditions = Conditions::new(&current.conditions, runtime.metadata.generation);

    let scenarios = effective_scenarios(runtime.spec.scenarios.as_deref());
    let existing: HashSet<String> = ctx
        .stores
        .scenarios
        .state()
        .iter()
        .filter(|s| s.namespace().as_deref() == Some(namespace.as_str()))
        .map(|s| s.scenario_name().to_owned())
        .collect();
    let missing: Vec<&str> = scenarios
        .iter()
        .filter(|s| !existing.contains(*s))
        .map(String::as_str)
        .collect();
    let definitions = ctx.stores.label_definitions.state();
    let problems = check(
        &ctx.label_schemas,
        &definitions,
        &namespace,
        &runtime.spec.labels,
    );
    set_with_summary(
        &mut conditions,
        &[
            (REFERENCES_RESOLVED, &references(&namespace, &missing)),
            (LABELS_VALID, &labels_valid(&problems)),
        ],
        ready(),
    );

    let now = Timestamp::now();
    let beat = heartbeat(
        &runtime.name_any(),
        &namespace,
        &ctx.stores.leases.state(),
        ctx.config.heartbeat_grace,
        now,
    );
    set_available(&mut conditions, &runtime.name_any(), &namespace, &beat);

    let applications = applications_of(&runtime, &ctx.stores.applications.state());
    let desired = RuntimeStatus {
        observed_generation: runtime.metadata.generation,
        conditions: conditions.into_vec(),
        scenarios,
        application_count: Some(i32::try_from(applications.len()).unwrap_or(i32::MAX)),
        applications: listed(&applications),
        agent: beat.reported(current.agent.as_ref()),
    };
    // NB: once the agent record is dropped, an API server may keep `agent: {}`; that is no record.
    let mut stored = runtime.status.clone();
    if let Some(stored) = stored.as_mut()
        && stored.agent == Some(AgentStatus::default())
    {
        stored.agent = None;
    }
    let api: Api<Runtime> = Api::namespaced(ctx.client.clone(), &namespace);
    apply_status(
        &api,
        runtime.as_ref(),
        FIELD_MANAGER,
        stored.as_ref(),
        &desired,
    )
    .await?;
    report_ready_transition(
        &ctx,
        runtime.as_ref(),
        &current.conditions,
        &desired.conditions,
    )
    .await;
    ctx.succeeded(&key(runtime.as_ref()));
    let recheck = beat
        .expires_in(now)
        .map_or(ctx.config.resync, |left| left.min(ctx.config.resync));
    Ok(Action::requeue(recheck))
}

/// Whether every scenario the runtime is in exists in its namespace.
fn references(namespace: &str, missing: &[&str]) -> Verdict {
    if missing.is_empty() {
        Verdict::pass("ScenariosExist", "Every scenario the runtime is in exists")
    } else {
        Verdict::fail(
            "ScenarioNotFound",
            format!(
                "Scenario {} does not exist in namespace {namespace}; create it (kind Scenario) or remove it from spec.scenarios",
                missing.join(", ")
            ),
        )
    }
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

/// What the Runtime Agent's heartbeat Lease says.
#[derive(Clone, Debug, PartialEq)]
enum Heartbeat {
    /// No Lease names the runtime.
    NeverConnected,
    /// The agent renewed the Lease recently enough.
    Current {
        lease: String,
        renewed: Timestamp,
        until: Timestamp,
        grace: SignedDuration,
    },
    /// The agent stopped renewing the Lease (or never did).
    Missed {
        lease: String,
        renewed: Option<Timestamp>,
        grace: SignedDuration,
    },
}

impl Heartbeat {
    /// What `status.agent` shows, given what it shows now. While the heartbeat stays current the
    /// reported time moves at most once per [`HEARTBEAT_REPORT_INTERVAL`], so a thousand agents
    /// renewing their Leases do not rewrite a thousand statuses every few seconds.
    fn reported(&self, stored: Option<&AgentStatus>) -> Option<AgentStatus> {
        let fresh = self.agent();
        if let (Self::Current { .. }, Some(stored), Some(fresh)) = (self, stored, &fresh)
            && stored.lease == fresh.lease
            && let (Some(old), Some(new)) =
                (&stored.last_heartbeat_time, &fresh.last_heartbeat_time)
            && new.0 >= old.0
            && new.0.duration_since(old.0) < HEARTBEAT_REPORT_INTERVAL
        {
            return Some(stored.clone());
        }
        fresh
    }

    /// What `status.agent` shows when it is written afresh.
    fn agent(&self) -> Option<AgentStatus> {
        let (lease, renewed) = match self {
            Self::NeverConnected => return None,
            Self::Current { lease, renewed, .. } => (lease, Some(*renewed)),
            Self::Missed { lease, renewed, .. } => (lease, *renewed),
        };
        Some(AgentStatus {
            // Times are stored to the second; keeping more would make every status differ.
            last_heartbeat_time: renewed
                .and_then(|t| Timestamp::from_second(t.as_second()).ok())
                .map(Time),
            lease: Some(lease.clone()),
        })
    }

    /// How long until a current heartbeat turns stale.
    fn expires_in(&self, now: Timestamp) -> Option<Duration> {
        let Self::Current { until, .. } = self else {
            return None;
        };
        let left = until.duration_since(now);
        // A little past the instant, so the next reconcile sees it expired.
        Some(Duration::try_from(left).unwrap_or_default() + Duration::from_millis(50))
    }
}

/// The heartbeat of `runtime` from the Leases labelled with its name in its namespace: the one
/// renewed last counts, and it is current for `grace` lease durations after its renewal.
fn heartbeat(
    runtime: &str,
    namespace: &str,
    leases: &[Arc<Lease>],
    grace: u32,
    now: Timestamp,
) -> Heartbeat {
    let renewed = |lease: &Lease| {
        let spec = lease.spec.as_ref()?;
        spec.renew_time
            .as_ref()
            .or(spec.acquire_time.as_ref())
            .map(|t| t.0)
    };
    let latest = leases
        .iter()
        .filter(|l| {
            l.namespace().as_deref() == Some(namespace)
                && l.labels().get(RUNTIME_LEASE_LABEL).map(String::as_str) == Some(runtime)
        })
        .max_by_key(|l| (renewed(l), l.name_any()));
    let Some(lease) = latest else {
        return Heartbeat::NeverConnected;
    };
    let seconds = lease
        .spec
        .as_ref()
        .and_then(|s| s.lease_duration_seconds)
        .map_or(DEFAULT_LEASE_SECONDS, i64::from);
    let grace = SignedDuration::from_secs(seconds.saturating_mul(i64::from(grace.max(1))));
    let name = lease.name_any();
    match renewed(lease) {
        Some(at) => match at.checked_add(grace) {
            Ok(until) if until > now => Heartbeat::Current {
                lease: name,
                renewed: at,
                until,
                grace,
            },
            _ => Heartbeat::Missed {
                lease: name,
                renewed: Some(at),
                grace,
            },
        },
        None => Heartbeat::Missed {
            lease: name,
            renewed: None,
            grace,
        },
    }
}

fn set_available(conditions: &mut Conditions, runtime: &str, namespace: &str, beat: &Heartbeat) {
    match beat {
        Heartbeat::NeverConnected => conditions.set_status(
            AVAILABLE,
            status::UNKNOWN,
            "AgentNeverConnected",
            format!(
                "No heartbeat Lease labelled {RUNTIME_LEASE_LABEL}={runtime} exists in namespace {namespace}; the Runtime Agent has not connected yet: install it in the runtime cluster with a one-time token for this runtime"
            ),
        ),
        Heartbeat::Current { lease, grace, .. } => conditions.set(
            AVAILABLE,
            true,
            "HeartbeatCurrent",
            format!(
                "The Runtime Agent renews Lease {lease}; it counts as gone {}s after its last renewal",
                grace.as_secs()
            ),
        ),
        Heartbeat::Missed {
            lease,
            renewed,
            grace,
        } => conditions.set_status(
            AVAILABLE,
            status::UNKNOWN,
            "HeartbeatMissed",
            match renewed {
                Some(at) => format!(
                    "The Runtime Agent last renewed Lease {lease} at {}, more than {}s ago; check that the agent runs in the runtime cluster and can reach the management plane",
                    Timestamp::from_second(at.as_second()).unwrap_or(*at),
                    grace.as_secs()
                ),
                None => format!(
                    "Lease {lease} was never renewed; check that the Runtime Agent runs in the runtime cluster"
                ),
            },
        ),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use compass_crds::conditions::READY;

    fn lease(name: &str, runtime: &str, renewed: Option<i64>, seconds: i32) -> Arc<Lease> {
        let mut spec = json!({ "leaseDurationSeconds": seconds });
        if let Some(at) = renewed {
            spec["renewTime"] = json!(
                Timestamp::from_second(at)
                    .unwrap()
                    .strftime("%Y-%m-%dT%H:%M:%S.000000Z")
                    .to_string()
            );
        }
        Arc::new(
            serde_json::from_value(json!({
                "metadata": { "name": name, "namespace": "acme", "labels": { RUNTIME_LEASE_LABEL: runtime } },
                "spec": spec,
            }))
            .unwrap(),
        )
    }

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(second).unwrap()
    }

    #[test]
    fn no_lease_means_the_agent_never_connected() {
        let leases = vec![lease("other", "other-runtime", Some(1000), 10)];
        assert_eq!(
            heartbeat("prod", "acme", &leases, 3, at(1000)),
            Heartbeat::NeverConnected
        );
        assert_eq!(
            heartbeat("other-runtime", "elsewhere", &leases, 3, at(1000)),
            Heartbeat::NeverConnected,
            "leases count only in the runtime's namespace"
        );
    }

    #[test]
    fn a_lease_is_current_for_grace_durations_after_its_latest_renewal() {
        let leases = vec![
            lease("old", "prod", Some(900), 10),
            lease("new", "prod", Some(1000), 10),
        ];
        let beat = heartbeat("prod", "acme", &leases, 3, at(1020));
        assert_eq!(
            beat,
            Heartbeat::Current {
                lease: "new".into(),
                renewed: at(1000),
                until: at(1030),
                grace: SignedDuration::from_secs(30),
            }
        );
        let left = beat.expires_in(at(1020)).unwrap();
        assert!(left >= Duration::from_secs(10) && left < Duration::from_secs(11));
        let agent = beat.agent().unwrap();
        assert_eq!(agent.lease.as_deref(), Some("new"));
        assert_eq!(agent.last_heartbeat_time, Some(Time(at(1000))));

        let stale = heartbeat("prod", "acme", &leases, 3, at(1030));
        assert!(matches!(stale, Heartbeat::Missed { .. }), "{stale:?}");
        assert_eq!(stale.expires_in(at(1030)), None);
    }

    #[test]
    fn the_reported_heartbeat_moves_once_a_minute_while_current() {
        let beat = |renewed| {
            heartbeat(
                "prod",
                "acme",
                &[lease("l", "prod", Some(renewed), 10)],
                3,
                at(renewed),
            )
        };
        let stored = beat(1000).reported(None).unwrap();
        assert_eq!(beat(1030).reported(Some(&stored)), Some(stored.clone()));
        let moved = beat(1060).reported(Some(&stored)).unwrap();
        assert_eq!(moved.last_heartbeat_time, Some(Time(at(1060))));
        let missed = heartbeat(
            "prod",
            "acme",
            &[lease("l", "prod", Some(1030), 10)],
            3,
            at(1100),
        );
        assert_eq!(
            missed.reported(Some(&stored)).unwrap().last_heartbeat_time,
            Some(Time(at(1030))),
            "a missed heartbeat reports the exact last renewal"
        );
    }

    #[test]
    fn a_lease_never_renewed_is_a_missed_heartbeat() {
        let leases = vec![lease("prod", "prod", None, 10)];
        assert!(matches!(
            heartbeat("prod", "acme", &leases, 3, at(1000)),
            Heartbeat::Missed { renewed: None, .. }
        ));
    }

    #[test]
    fn ready_takes_the_reason_of_the_first_failing_condition() {
        let mut conditions = Conditions::new(&[], Some(1));
        set_with_summary(
            &mut conditions,
            &[
                (REFERENCES_RESOLVED, &references("acme", &["marketing"])),
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
