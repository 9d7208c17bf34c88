//! The checks that need no I/O: whether what an application names exists (its scenarios, its
//! integration system, its eventing runtime) and whether its labels satisfy the tenant's label
//! definitions. Each returns a [`Verdict`] that becomes a condition.

use std::sync::Arc;

use compass_crds::{Application, LabelDefinition, Runtime, Scenario, labels::effective_scenarios};
use kube::{Resource, ResourceExt};

use super::super::{
    checks::{Verdict, missing_scenarios},
    labels::{self, SchemaCache},
};

/// Reasons of `ReferencesResolved` (besides the scenario reasons of `checks`): the integration
/// system does not exist.
pub const INTEGRATION_SYSTEM_NOT_FOUND: &str = "IntegrationSystemNotFound";
/// The eventing runtime does not exist or does not share a scenario.
pub const EVENTING_RUNTIME_INVALID: &str = "EventingRuntimeInvalid";
/// Everything named exists.
pub const RESOLVED: &str = "Resolved";
/// A label breaks its definition's schema.
pub const LABEL_INVALID: &str = "LabelInvalid";
/// Every label is valid.
pub const LABELS_VALID: &str = "Valid";

/// `ReferencesResolved`: every scenario in effect is a Scenario of the namespace (not being
/// deleted; in a tenant's namespace a missing `DEFAULT` is pending), the integration system
/// exists, and the eventing runtime exists and shares a scenario. `scenarios` and `runtimes` may hold other namespaces' objects too; `visible` are the
/// runtimes that see the application.
pub fn references(
    app: &Application,
    scenarios: &[Arc<Scenario>],
    tenant_namespace: bool,
    integration_system_exists: bool,
    runtimes: &[Arc<Runtime>],
    visible: &[Arc<Runtime>],
) -> Verdict {
    let namespace = app.namespace().unwrap_or_default();
    let wanted = effective_scenarios(app.spec.scenarios.as_deref());
    if let Some(verdict) = missing_scenarios(&namespace, &wanted, scenarios, tenant_namespace) {
        return verdict;
    }
    if let Some(system) = &app.spec.integration_system
        && !integration_system_exists
    {
        return Verdict::fail(
            INTEGRATION_SYSTEM_NOT_FOUND,
            format!(
                "IntegrationSystem {system:?} does not exist; create it or remove spec.integrationSystem"
            ),
        );
    }
    if let Some(runtime) = app
        .spec
        .eventing
        .as_ref()
        .and_then(|e| e.default_runtime.as_ref())
    {
        let exists = runtimes.iter().any(|r| {
            r.name_any() == *runtime
                && r.namespace().as_deref() == Some(namespace.as_str())
                && r.meta().deletion_timestamp.is_none()
        });
        if !exists {
            return Verdict::fail(
                EVENTING_RUNTIME_INVALID,
                format!(
                    "spec.eventing.defaultRuntime names Runtime {runtime:?}, which does not exist in namespace {namespace}; register it or change the field"
                ),
            );
        }
        if !visible.iter().any(|r| r.name_any() == *runtime) {
            return Verdict::fail(
                EVENTING_RUNTIME_INVALID,
                format!(
                    "spec.eventing.defaultRuntime names Runtime {runtime:?}, which shares no scenario with the application; add one of the application's scenarios to the runtime or choose another runtime"
                ),
            );
        }
    }
    Verdict::pass(
        RESOLVED,
        "Every scenario, integration system and runtime the application names exists",
    )
}

/// `LabelsValid`: every label satisfies the schema of its key's LabelDefinition.
pub fn labels_valid(
    schemas: &SchemaCache,
    definitions: &[Arc<LabelDefinition>],
    app: &Application,
) -> Verdict {
    let namespace = app.namespace().unwrap_or_default();
    let problems = labels::check(schemas, definitions, &namespace, &app.spec.labels);
    if problems.is_empty() {
        return Verdict::pass(LABELS_VALID, "Every label satisfies its LabelDefinition");
    }
    let listed: Vec<String> = problems
        .iter()
        .map(|p| format!("label {:?}: {}", p.key, p.message))
        .collect();
    Verdict::fail(
        LABEL_INVALID,
        format!(
            "{}; change the label or its LabelDefinition's schema",
            listed.join("; ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::controllers::checks::SCENARIO_NOT_FOUND;

    fn object<K: serde::de::DeserializeOwned>(
        kind: &str,
        name: &str,
        spec: serde_json::Value,
    ) -> Arc<K> {
        Arc::new(
            serde_json::from_value(json!({
                "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": kind,
                "metadata": { "name": name, "namespace": "acme", "uid": format!("uid-{name}"), "generation": 1 },
                "spec": spec,
            }))
            .unwrap(),
        )
    }

    fn scenario(name: &str) -> Arc<Scenario> {
        object("Scenario", &name.to_lowercase(), json!({ "name": name }))
    }

    #[test]
    fn missing_scenarios_are_named_with_what_to_do() {
        let app: Arc<Application> = object(
            "Application",
            "shop",
            json!({ "scenarios": ["DEFAULT", "sales", "Sales EMEA"] }),
        );
        let verdict = references(&app, &[scenario("DEFAULT")], false, true, &[], &[]);
        assert!(!verdict.holds);
        assert_eq!(verdict.reason, SCENARIO_NOT_FOUND);
        assert_eq!(
            verdict.message,
            "Scenarios \"sales\", \"Sales EMEA\" do not exist in namespace acme; create a Scenario with spec.name \"sales\", \"Sales EMEA\" or remove it from spec.scenarios"
        );
        let all = [
            scenario("DEFAULT"),
            scenario("sales"),
            scenario("Sales EMEA"),
        ];
        assert!(references(&app, &all, false, true, &[], &[]).holds);
    }

    #[test]
    fn a_scenario_being_deleted_or_in_another_namespace_does_not_count() {
        let app: Arc<Application> = object("Application", "shop", json!({}));
        let mut deleting = (*scenario("DEFAULT")).clone();
        deleting.metadata.deletion_timestamp = Some(crate::controllers::status::now());
        let mut elsewhere = (*scenario("DEFAULT")).clone();
        elsewhere.metadata.namespace = Some("globex".into());
        let verdict = references(
            &app,
            &[Arc::new(deleting), Arc::new(elsewhere)],
            true,
            true,
            &[],
            &[],
        );
        assert_eq!(verdict.reason, SCENARIO_NOT_FOUND);
        assert!(
            verdict.message.contains("(\"DEFAULT\" is being deleted)"),
            "{}",
            verdict.message
        );
    }

    #[test]
    fn integration_system_and_eventing_runtime_are_checked() {
        let scenarios = [scenario("DEFAULT")];
        let app: Arc<Application> = object(
            "Application",
            "shop",
            json!({ "integrationSystem": "sys", "eventing": { "defaultRuntime": "rt" } }),
        );
        let verdict = references(&app, &scenarios, false, false, &[], &[]);
        assert_eq!(verdict.reason, INTEGRATION_SYSTEM_NOT_FOUND);
        assert!(verdict.message.contains("\"sys\""), "{}", verdict.message);
        let verdict = references(&app, &scenarios, false, true, &[], &[]);
        assert_eq!(verdict.reason, EVENTING_RUNTIME_INVALID);
        assert!(
            verdict.message.contains("does not exist"),
            "{}",
            verdict.message
        );
        let runtime: Arc<Runtime> = object("Runtime", "rt", json!({ "scenarios": ["other"] }));
        let verdict = references(
            &app,
            &scenarios,
            false,
            true,
            std::slice::from_ref(&runtime),
            &[],
        );
        assert!(
            verdict.message.contains("shares no scenario"),
            "{}",
            verdict.message
        );
        assert!(
            references(
                &app,
                &scenarios,
                false,
                true,
                std::slice::from_ref(&runtime),
                std::slice::from_ref(&runtime)
            )
            .holds
        );
    }

    #[test]
    fn invalid_labels_are_named() {
        let definition: Arc<LabelDefinition> = object(
            "LabelDefinition",
            "region",
            json!({ "schema": { "type": "string", "enum": ["eu"] } }),
        );
        let app: Arc<Application> = object(
            "Application",
            "shop",
            json!({ "labels": { "region": "mars", "free": 1 } }),
        );
        let verdict = labels_valid(&SchemaCache::default(), &[definition], &app);
        assert_eq!(verdict.reason, LABEL_INVALID);
        assert!(
            verdict.message.starts_with("label \"region\": "),
            "{}",
            verdict.message
        );
    }
}
