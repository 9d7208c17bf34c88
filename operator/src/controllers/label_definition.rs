//! The LabelDefinition controller: the key in effect, whether the schema is valid JSON Schema, and
//! which applications and runtimes of the namespace carry a value of the key that breaks it. The
//! original refused a schema change that existing labels broke; here the change is stored and the
//! objects that break it are reported, so a GitOps repository converges once they are fixed.

use std::sync::Arc;

use compass_crds::{
    Application, InvalidLabel, LabelDefinition, LabelDefinitionStatus, Runtime, conditions::READY,
    labels::Labels,
};
use futures_util::StreamExt;
use jsonschema::Validator;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::{
    Api, Resource, ResourceExt,
    runtime::{Controller, controller::Action},
};

use super::{
    Context, ControllerTask,
    checks::Verdict,
    error::{Error, Result, error_policy, key},
    labels::violation,
    namesakes::older_claim,
    status::{Conditions, apply_status, report_ready_transition},
    stores::Watches,
    triggers::{self, fan_out, in_namespaces, namespaces_touched, own_changes},
};
use crate::shutdown::Shutdown;

/// Name of this controller in logs and metrics.
pub const CONTROLLER_NAME: &str = "label_definition";
/// Field manager of everything this controller writes.
pub const FIELD_MANAGER: &str = "label-definition-controller.compass.kyma-project.io";
/// Most invalid labels the status lists; the count is exact.
pub const MAX_INVALID_LISTED: usize = 50;

/// The LabelDefinition controller's task.
pub fn controller(watches: &Watches, ctx: Arc<Context>, shutdown: Shutdown) -> ControllerTask {
    let related = fan_out(
        // Any spec change may add, change or remove a label, and definitions are few, so every
        // definition of a touched namespace is checked.
        namespaces_touched(watches, &watches.label_definitions()),
        in_namespaces(ctx.stores.label_definitions.clone()),
    );
    Box::pin(
        Controller::for_shared_stream(
            own_changes(&watches.label_definitions()),
            watches.label_definitions().store(),
        )
        .reconcile_on(related)
        .with_config(triggers::config(&ctx))
        .graceful_shutdown_on(shutdown.wait())
        .run(reconcile, error_policy(CONTROLLER_NAME), ctx)
        .for_each(|_| std::future::ready(())),
    )
}

/// Reports in a label definition's status whether it holds: its key is its own, its schema
/// compiles, and every value of the key in the namespace satisfies it (listing those that
/// do not).
async fn reconcile(definition: Arc<LabelDefinition>, ctx: Arc<Context>) -> Result<Action> {
    let _timer = ctx.metrics.reconcile(CONTROLLER_NAME);
    if !ctx.stores.wait_until_ready().await {
        return Ok(Action::await_change());
    }
    if definition.meta().deletion_timestamp.is_some() {
        return Ok(Action::await_change());
    }
    let namespace = definition.namespace().ok_or(Error::Missing("namespace"))?;
    let current = definition.status.clone().unwrap_or_default();
    let mut conditions = Conditions::new(&current.conditions, definition.metadata.generation);
    let (ready, invalid) = check_definition(&ctx, &definition, &namespace);
    conditions.set(READY, ready.holds, ready.reason, ready.message);
    let desired = desired_status(&definition, conditions, invalid);
    let api: Api<LabelDefinition> = Api::namespaced(ctx.client.clone(), &namespace);
    apply_status(
        &api,
        definition.as_ref(),
        FIELD_MANAGER,
        definition.status.as_ref(),
        &desired,
    )
    .await?;
    report_ready_transition(
        &ctx,
        definition.as_ref(),
        &current.conditions,
        &desired.conditions,
    );
    ctx.succeeded(&key(definition.as_ref()));
    Ok(Action::requeue(ctx.config.resync))
}

/// `Ready`'s verdict on the definition, and the labels that break its schema (`None` when the
/// schema does not compile, or is not known yet).
fn check_definition(
    ctx: &Context,
    definition: &LabelDefinition,
    namespace: &str,
) -> (Verdict, Option<Vec<InvalidLabel>>) {
    let definitions = ctx.stores.label_definitions.state();
    let same_key = definitions.iter().filter(|other| {
        other.namespace() == definition.namespace() && other.key() == definition.key()
    });
    let duplicate = older_claim(definition, same_key);
    let compiled = ctx.label_schemas.schema_of(definition);
    let invalid = match compiled.as_deref() {
        Some(Ok(validator)) => Some(invalid_labels(
            validator,
            definition.key(),
            namespace,
            &ctx.stores.applications.state(),
            &ctx.stores.runtimes.state(),
        )),
        _ => None,
    };
    let schema_error = match compiled.as_deref() {
        Some(Err(message)) => Some(message.as_str()),
        _ => None,
    };
    let ready = verdict(
        definition.key(),
        duplicate.as_deref(),
        schema_error,
        invalid.as_deref().unwrap_or_default(),
    );
    (ready, invalid)
}

/// The status the definition should have: its conditions, its key, and how many labels break
/// its schema, with the first few listed.
fn desired_status(
    definition: &LabelDefinition,
    conditions: Conditions,
    invalid: Option<Vec<InvalidLabel>>,
) -> LabelDefinitionStatus {
    LabelDefinitionStatus {
        observed_generation: definition.metadata.generation,
        conditions: conditions.into_vec(),
        key: Some(definition.key().to_owned()),
        invalid_label_count: Some(
            invalid
                .as_ref()
                .map_or(0, |i| i32::try_from(i.len()).unwrap_or(i32::MAX)),
        ),
        invalid_labels: invalid
            .unwrap_or_default()
            .into_iter()
            .take(MAX_INVALID_LISTED)
            .collect(),
    }
}

/// Every application and runtime of `namespace` whose value of `key` breaks the schema, sorted
/// by kind and name.
fn invalid_labels(
    validator: &Validator,
    key: &str,
    namespace: &str,
    applications: &[Arc<Application>],
    runtimes: &[Arc<Runtime>],
) -> Vec<InvalidLabel> {
    let check = |kind: &str, meta: &ObjectMeta, labels: &Labels| {
        if meta.namespace.as_deref() != Some(namespace) || meta.deletion_timestamp.is_some() {
            return None;
        }
        let message = violation(validator, labels.get(key)?)?;
        Some(InvalidLabel {
            kind: kind.to_owned(),
            name: meta.name.clone().unwrap_or_default(),
            message,
        })
    };
    let mut invalid: Vec<InvalidLabel> = applications
        .iter()
        .filter_map(|a| check("Application", a.meta(), &a.spec.labels))
        .chain(
            runtimes
                .iter()
                .filter_map(|r| check("Runtime", r.meta(), &r.spec.labels)),
        )
        .collect();
    invalid.sort_by(|a, b| (&a.kind, &a.name).cmp(&(&b.kind, &b.name)));
    invalid
}

/// `Ready`: a duplicate key first, then an invalid schema, then labels that break it.
fn verdict(
    key: &str,
    duplicate: Option<&str>,
    schema_error: Option<&str>,
    invalid: &[InvalidLabel],
) -> Verdict {
    if let Some(other) = duplicate {
        return Verdict::fail(
            "DuplicateKey",
            format!(
                "LabelDefinition {other} already defines label {key:?} in this namespace; delete this object or merge the two"
            ),
        );
    }
    if let Some(error) = schema_error {
        return Verdict::fail(
            "InvalidSchema",
            format!("spec.schema is {error}; fix spec.schema"),
        );
    }
    if let Some(first) = invalid.first() {
        return Verdict::fail(
            "LabelsViolateSchema",
            format!(
                "{} object(s) carry a value of label {key:?} that breaks the schema, first {}/{}: {}; fix those labels or relax spec.schema",
                invalid.len(),
                first.kind,
                first.name,
                first.message
            ),
        );
    }
    Verdict::pass(
        "SchemaSatisfied",
        format!("Every value of label {key:?} in the namespace satisfies the schema"),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::controllers::labels::compile;

    fn app(name: &str, labels: serde_json::Value) -> Arc<Application> {
        Arc::new(
            serde_json::from_value(json!({
                "apiVersion": "compass.kyma-project.io/v1alpha1", "kind": "Application",
                "metadata": { "name": name, "namespace": "acme" },
                "spec": { "labels": labels },
            }))
            .unwrap(),
        )
    }

    #[test]
    fn labels_that_break_the_schema_are_listed_by_kind_and_name() {
        let validator = compile(&json!({ "type": "string", "enum": ["eu", "us"] })).unwrap();
        let applications = vec![
            app("zeta", json!({ "region": "mars" })),
            app("alpha", json!({ "region": 7 })),
            app("fine", json!({ "region": "eu" })),
            app("unlabelled", json!({ "tier": 1 })),
        ];
        let invalid = invalid_labels(&validator, "region", "acme", &applications, &[]);
        let names: Vec<&str> = invalid.iter().map(|i| i.name.as_str()).collect();
        assert_eq!(names, ["alpha", "zeta"]);
        assert!(
            invalid[1].message.contains("mars"),
            "{}",
            invalid[1].message
        );
        assert!(invalid_labels(&validator, "region", "elsewhere", &applications, &[]).is_empty());
        let ready = verdict("region", None, None, &invalid);
        assert_eq!(ready.reason, "LabelsViolateSchema");
        assert!(
            ready.message.contains("Application/alpha"),
            "{}",
            ready.message
        );
    }

    #[test]
    fn a_duplicate_key_outranks_a_bad_schema() {
        assert_eq!(
            verdict("region", Some("older"), Some("bad"), &[]).reason,
            "DuplicateKey"
        );
        assert_eq!(
            verdict("region", None, Some("not a valid JSON Schema: x"), &[]).reason,
            "InvalidSchema"
        );
        assert!(verdict("region", None, None, &[]).holds);
    }
}
