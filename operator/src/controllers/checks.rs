//! Verdicts of pure checks, and how they become conditions: each check sets its own condition,
//! and `Ready` takes the reason and message of the first check that fails. Also the one check
//! applications and runtimes share: that the scenarios they are in exist.

use std::sync::Arc;

use compass_crds::{Scenario, conditions::READY, labels::DEFAULT_SCENARIO};
use kube::{Resource, ResourceExt};

use super::status::Conditions;

/// A scenario an object is in does not exist (or is being deleted).
pub const SCENARIO_NOT_FOUND: &str = "ScenarioNotFound";
/// Only the tenant's `DEFAULT` scenario is missing, and the Tenant controller creates it: the
/// object waits, and no Warning is published.
pub const DEFAULT_SCENARIO_PENDING: &str = "DefaultScenarioPending";

/// The outcome of one check, as a condition reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Whether the check passed.
    pub holds: bool,
    /// CamelCase reason.
    pub reason: &'static str,
    /// What is wrong and what to do, or what holds.
    pub message: String,
}

impl Verdict {
    /// A passed check.
    pub fn pass(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            holds: true,
            reason,
            message: message.into(),
        }
    }

    /// A failed check.
    pub fn fail(reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            holds: false,
            reason,
            message: message.into(),
        }
    }
}

/// Sets each check's condition, then `Ready`: False with the first failed verdict's reason and
/// message, or True with `ready`.
pub fn set_with_summary(conditions: &mut Conditions, checks: &[(&str, &Verdict)], ready: Verdict) {
    for (type_, verdict) in checks {
        conditions.set(
            type_,
            verdict.holds,
            verdict.reason,
            verdict.message.clone(),
        );
    }
    let summary = summary(checks.iter().map(|(_, v)| *v), ready);
    conditions.set(READY, summary.holds, summary.reason, summary.message);
}

/// The first failed verdict, or `ready` when every one passed.
pub fn summary<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>, ready: Verdict) -> Verdict {
    verdicts
        .into_iter()
        .find(|v| !v.holds)
        .cloned()
        .unwrap_or(ready)
}

/// Why the scenarios `wanted` (an object's scenarios in effect) do not all exist as Scenarios of
/// `namespace` that are not being deleted; `None` when they do. `scenarios` may hold other
/// namespaces' objects. In a tenant's namespace a missing `DEFAULT` alone is only pending: the
/// Tenant controller creates it, typically a moment after `kubectl apply` of a whole tenant.
pub fn missing_scenarios(
    namespace: &str,
    wanted: &[String],
    scenarios: &[Arc<Scenario>],
    tenant_namespace: bool,
) -> Option<Verdict> {
    let named = |name: &str, deleting: bool| {
        scenarios.iter().any(|s| {
            s.namespace().as_deref() == Some(namespace)
                && s.scenario_name() == name
                && s.meta().deletion_timestamp.is_some() == deleting
        })
    };
    let missing: Vec<String> = wanted
        .iter()
        .filter(|name| !named(name, false))
        .cloned()
        .collect();
    if missing.is_empty() {
        return None;
    }
    if tenant_namespace && missing == [DEFAULT_SCENARIO] && !named(DEFAULT_SCENARIO, true) {
        return Some(Verdict::fail(
            DEFAULT_SCENARIO_PENDING,
            format!(
                "Waiting for the tenant's Scenario \"{DEFAULT_SCENARIO}\", which the Tenant controller creates in namespace {namespace}"
            ),
        ));
    }
    let quoted = quote_all(&missing);
    let (noun, verb) = if missing.len() == 1 {
        ("Scenario", "does")
    } else {
        ("Scenarios", "do")
    };
    // A scenario held by its finalizer still shows in `kubectl get`: say why it does not count.
    let deleting: Vec<String> = missing.iter().filter(|n| named(n, true)).cloned().collect();
    let note = match deleting.len() {
        0 => String::new(),
        1 => format!(" ({} is being deleted)", quote_all(&deleting)),
        _ => format!(" ({} are being deleted)", quote_all(&deleting)),
    };
    Some(Verdict::fail(
        SCENARIO_NOT_FOUND,
        format!(
            "{noun} {quoted} {verb} not exist in namespace {namespace}{note}; create a Scenario with spec.name {quoted} or remove it from spec.scenarios"
        ),
    ))
}

/// `"a", "b"`.
pub fn quote_all(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("{n:?}"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(name: &str, deleting: bool) -> Arc<Scenario> {
        let mut object: Scenario = serde_json::from_value(serde_json::json!({
            "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Scenario",
            "metadata": { "name": name.to_lowercase(), "namespace": "acme" },
            "spec": { "name": name },
        }))
        .unwrap();
        if deleting {
            object.metadata.deletion_timestamp = Some(
                k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(jiff::Timestamp::UNIX_EPOCH),
            );
        }
        Arc::new(object)
    }

    #[test]
    fn a_missing_default_scenario_of_a_tenant_is_pending_not_wrong() {
        let wanted = vec![DEFAULT_SCENARIO.to_owned()];
        let pending = missing_scenarios("acme", &wanted, &[], true).unwrap();
        assert_eq!(pending.reason, DEFAULT_SCENARIO_PENDING);
        let outside = missing_scenarios("acme", &wanted, &[], false).unwrap();
        assert_eq!(outside.reason, SCENARIO_NOT_FOUND);
        let deleting = [scenario(DEFAULT_SCENARIO, true)];
        let verdict = missing_scenarios("acme", &wanted, &deleting, true).unwrap();
        assert_eq!(verdict.reason, SCENARIO_NOT_FOUND);
        assert!(
            verdict.message.contains("is being deleted"),
            "{}",
            verdict.message
        );
        let both = vec![DEFAULT_SCENARIO.to_owned(), "sales".to_owned()];
        let verdict = missing_scenarios("acme", &both, &[], true).unwrap();
        assert_eq!(verdict.reason, SCENARIO_NOT_FOUND);
        assert!(
            missing_scenarios("acme", &wanted, &[scenario(DEFAULT_SCENARIO, false)], true)
                .is_none()
        );
    }

    #[test]
    fn the_first_failure_decides() {
        let ok = Verdict::pass("Fine", "fine");
        let bad = Verdict::fail("Broken", "fix it");
        let worse = Verdict::fail("Worse", "later");
        assert_eq!(
            summary([&ok, &bad, &worse], Verdict::pass("Ready", "ok")),
            bad
        );
        assert_eq!(summary([&ok], Verdict::pass("Ready", "ok")).reason, "Ready");
    }
}
