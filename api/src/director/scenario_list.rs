//! The tenant's list of scenarios changed through the `scenarios` label definition (the
//! original's only way to add or remove one): Scenario objects are created for the names a new
//! enum adds and deleted for those it drops. A label definition mutation causes these writes to
//! another kind's objects, so they live here rather than in either kind's module.

use async_graphql::Context;
use compass_crds::{Scenario, ScenarioSpec, labels::object_name_for};
use kube::{Api, api::ObjectMeta};

use super::{
    context::{caches, client, create},
    label_definitions::LabelDefinition,
    label_usage::{holders_of_scenario, listed},
    scenario_membership::names,
    scenarios,
};
use crate::{
    errors::{ApiResult, from_kube, invalid},
    scalars::JsonSchema,
    state::Caches,
};

/// Sets the tenant's scenarios to the enum of a new `scenarios` schema: creates the Scenario
/// objects it adds and deletes those it drops, refusing to drop one still in use. Returns the
/// `scenarios` definition as it is then.
pub async fn set(
    ctx: &Context<'_>,
    namespace: &str,
    schema: Option<&JsonSchema>,
) -> ApiResult<LabelDefinition> {
    let caches = caches(ctx);
    let wanted = scenarios::inputs::enum_of(schema.map(|s| &s.0))?;
    let current = names(caches, namespace);
    let dropped: Vec<&String> = current.iter().filter(|n| !wanted.contains(n)).collect();
    for name in &dropped {
        let users = holders_of_scenario(caches, namespace, name);
        if !users.is_empty() {
            return Err(invalid(
                "in.schema",
                format!(
                    "scenario {name:?} is still used by {}; remove it from them first",
                    listed(&users)
                ),
            ));
        }
    }
    let api: Api<Scenario> = Api::namespaced(client(ctx), namespace);
    for name in wanted.iter().filter(|n| !current.contains(n)) {
        let object_name = object_name_for(name);
        let object = Scenario {
            metadata: ObjectMeta {
                name: Some(object_name.clone()),
                namespace: Some(namespace.to_owned()),
                ..ObjectMeta::default()
            },
            spec: ScenarioSpec {
                name: (object_name != *name).then(|| name.clone()),
                description: None,
            },
            status: None,
        };
        create(&api, &caches.scenarios, &object, "Scenario").await?;
    }
    for name in dropped {
        let objects: Vec<String> = caches
            .scenarios
            .in_namespace(namespace)
            .iter()
            .filter(|s| s.scenario_name() == name.as_str())
            .filter_map(|s| s.metadata.name.clone())
            .collect();
        for object in objects {
            api.delete(&object, &Default::default())
                .await
                .map_err(|e| from_kube(e, "Scenario", &object))?;
            wait_gone(caches, namespace, name).await;
        }
    }
    Ok(scenarios::query::definition(caches, namespace))
}

/// Waits until the cache no longer lists the scenario as live: it is gone, or being deleted and
/// only held by its in-use finalizer until the operator releases it.
async fn wait_gone(caches: &Caches, namespace: &str, name: &str) {
    caches
        .scenarios
        .wait_until(|_| !names(caches, namespace).iter().any(|n| n == name))
        .await;
}
