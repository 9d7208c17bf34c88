//! Label definitions: `labelDefinitions`, `labelDefinition` and their mutations. Definitions are
//! LabelDefinition objects of the tenant, plus one without a schema for every key in use that has
//! none (the original created those on first use), plus the `scenarios` definition synthesized
//! from the tenant's Scenario objects. Changing a schema is refused while a stored label would
//! break it; changing the `scenarios` enum creates and deletes Scenario objects.

use std::collections::{BTreeMap, BTreeSet};

use async_graphql::{Context, InputObject, Object, SimpleObject};
use compass_crds::{
    LabelDefinitionSpec, Scenario, ScenarioSpec, label_schema,
    labels::{SCENARIOS_KEY, object_name_for},
};
use kube::{Api, api::ObjectMeta};
use serde_json::{Value, json};

use super::{
    context::{caches, client, create, delete, merge, tenant},
    labels::{check_key, definition},
    scenarios,
};
use crate::{
    errors::{ApiResult, Code, error, invalid, not_found},
    scalars::JsonSchema,
    scopes::Scopes,
    state::{Caches, label_tag, scenario_tag},
};

/// A label key of the tenant and the JSON Schema its values must satisfy.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct LabelDefinition {
    /// The label key.
    pub key: String,
    /// The JSON Schema values must satisfy; none means any value.
    pub schema: Option<JsonSchema>,
}

/// A label definition to create or update.
#[derive(Clone, Debug, InputObject)]
pub struct LabelDefinitionInput {
    /// The label key.
    pub key: String,
    /// The JSON Schema values must satisfy; none means any value.
    pub schema: Option<JsonSchema>,
}

/// The objects of a tenant that carry a label key, as `Kind name`.
fn holders_of_key(caches: &Caches, namespace: &str, key: &str) -> Vec<String> {
    let tag = label_tag(namespace, key);
    let applications = caches.applications.tagged(&tag).into_iter().map(|a| {
        format!(
            "Application {}",
            a.metadata.name.as_deref().unwrap_or_default()
        )
    });
    let runtimes = caches
        .runtimes
        .tagged(&tag)
        .into_iter()
        .map(|r| format!("Runtime {}", r.metadata.name.as_deref().unwrap_or_default()));
    applications.chain(runtimes).collect()
}

/// Every stored value of `key` in a tenant, with the object holding it.
fn values_of_key(caches: &Caches, namespace: &str, key: &str) -> Vec<(String, Value)> {
    let tag = label_tag(namespace, key);
    let applications = caches
        .applications
        .tagged(&tag)
        .into_iter()
        .filter_map(|a| {
            let value = a.spec.labels.get(key)?.clone();
            Some((
                format!(
                    "Application {}",
                    a.metadata.name.as_deref().unwrap_or_default()
                ),
                value,
            ))
        });
    let runtimes = caches.runtimes.tagged(&tag).into_iter().filter_map(|r| {
        let value = r.spec.labels.get(key)?.clone();
        Some((
            format!("Runtime {}", r.metadata.name.as_deref().unwrap_or_default()),
            value,
        ))
    });
    applications.chain(runtimes).collect()
}

/// Lists holders for an error message, at most ten of them.
fn list(holders: &[String]) -> String {
    let mut text = holders
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if holders.len() > 10 {
        text.push_str(&format!(" and {} more", holders.len() - 10));
    }
    text
}

/// The synthesized `scenarios` definition of a tenant.
fn scenarios_definition(caches: &Caches, namespace: &str) -> LabelDefinition {
    LabelDefinition {
        key: SCENARIOS_KEY.to_owned(),
        schema: Some(JsonSchema(scenarios::schema_with(&scenarios::names(
            caches, namespace,
        )))),
    }
}

/// Every label definition of a tenant, by key.
fn all_definitions(caches: &Caches, namespace: &str) -> BTreeMap<String, LabelDefinition> {
    let mut definitions: BTreeMap<String, LabelDefinition> = BTreeMap::new();
    let in_use = caches
        .applications
        .in_namespace(namespace)
        .iter()
        .flat_map(|a| a.spec.labels.keys().cloned().collect::<Vec<_>>())
        .chain(
            caches
                .runtimes
                .in_namespace(namespace)
                .iter()
                .flat_map(|r| r.spec.labels.keys().cloned().collect::<Vec<_>>()),
        )
        .collect::<BTreeSet<String>>();
    for key in in_use {
        definitions.insert(key.clone(), LabelDefinition { key, schema: None });
    }
    for object in caches.label_definitions.in_namespace(namespace) {
        if object.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let key = object.key().to_owned();
        let schema = object
            .spec
            .schema
            .clone()
            .map(|s| JsonSchema(Value::Object(s)));
        definitions.insert(key.clone(), LabelDefinition { key, schema });
    }
    definitions.insert(
        SCENARIOS_KEY.to_owned(),
        scenarios_definition(caches, namespace),
    );
    definitions
}

/// Checks a new schema: it compiles, and every stored value of the key satisfies it.
fn check_schema(caches: &Caches, namespace: &str, key: &str, schema: &Value) -> ApiResult<()> {
    let validator = label_schema::compile(schema).map_err(|why| invalid("in.schema", why))?;
    let broken: Vec<String> = values_of_key(caches, namespace, key)
        .into_iter()
        .filter_map(|(holder, value)| {
            label_schema::violation(&validator, &value).map(|why| format!("{holder} ({why})"))
        })
        .collect();
    if !broken.is_empty() {
        return Err(invalid(
            "in.schema",
            format!(
                "label values of key {key} would not match the new schema: {}",
                list(&broken)
            ),
        ));
    }
    Ok(())
}

/// Schemas are JSON objects (or `true`/absent, which allow anything).
fn schema_object(schema: Option<&JsonSchema>) -> ApiResult<Option<serde_json::Map<String, Value>>> {
    match schema.map(|s| &s.0) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(object)) => Ok(Some(object.clone())),
        Some(other) => Err(invalid(
            "in.schema",
            format!("a label schema must be a JSON object, not {other}"),
        )),
    }
}

/// Queries about label definitions.
#[derive(Default)]
pub struct LabelDefinitionQuery;

#[Object]
impl LabelDefinitionQuery {
    /// Every label definition of the tenant, including one for every key in use and the
    /// `scenarios` definition.
    #[graphql(guard = "Scopes::query(\"labelDefinitions\")")]
    async fn label_definitions(&self, ctx: &Context<'_>) -> ApiResult<Vec<LabelDefinition>> {
        let scope = tenant(ctx)?;
        Ok(all_definitions(caches(ctx), &scope.namespace)
            .into_values()
            .collect())
    }

    /// The label definition of a key.
    #[graphql(guard = "Scopes::query(\"labelDefinition\")")]
    async fn label_definition(
        &self,
        ctx: &Context<'_>,
        key: String,
    ) -> ApiResult<Option<LabelDefinition>> {
        let scope = tenant(ctx)?;
        Ok(all_definitions(caches(ctx), &scope.namespace).remove(&key))
    }
}

/// Mutations of label definitions.
#[derive(Default)]
pub struct LabelDefinitionMutation;

#[Object]
impl LabelDefinitionMutation {
    /// Defines a label key. Defining `scenarios` sets the tenant's scenarios, as updating it does.
    #[graphql(guard = "Scopes::mutation(\"createLabelDefinition\")")]
    async fn create_label_definition(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "in")] input: LabelDefinitionInput,
    ) -> ApiResult<LabelDefinition> {
        let scope = tenant(ctx)?;
        check_key("in.key", &input.key)?;
        if input.key == SCENARIOS_KEY {
            return set_scenarios(ctx, &scope.namespace, input.schema.as_ref()).await;
        }
        let caches = caches(ctx);
        if all_definitions(caches, &scope.namespace).contains_key(&input.key) {
            return Err(error(
                Code::NotUnique,
                format!(
                    "Object is not unique [object=LabelDefinition; key={}]",
                    input.key
                ),
            ));
        }
        let schema = schema_object(input.schema.as_ref())?;
        if let Some(schema) = &schema {
            check_schema(
                caches,
                &scope.namespace,
                &input.key,
                &Value::Object(schema.clone()),
            )?;
        }
        let name = object_name_for(&input.key);
        let object = compass_crds::LabelDefinition {
            metadata: ObjectMeta {
                name: Some(name.clone()),
                namespace: Some(scope.namespace.clone()),
                ..ObjectMeta::default()
            },
            spec: LabelDefinitionSpec {
                key: (name != input.key).then(|| input.key.clone()),
                schema,
            },
            status: None,
        };
        let api = Api::namespaced(client(ctx), &scope.namespace);
        let created = create(&api, &caches.label_definitions, &object, "LabelDefinition").await?;
        Ok(LabelDefinition {
            key: created.key().to_owned(),
            schema: created
                .spec
                .schema
                .clone()
                .map(|s| JsonSchema(Value::Object(s))),
        })
    }

    /// Changes the schema of a label key; refused while a stored value would not satisfy it.
    /// Changing the `scenarios` enum adds and removes scenarios; one still in use cannot go.
    #[graphql(guard = "Scopes::mutation(\"updateLabelDefinition\")")]
    async fn update_label_definition(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "in")] input: LabelDefinitionInput,
    ) -> ApiResult<LabelDefinition> {
        let scope = tenant(ctx)?;
        check_key("in.key", &input.key)?;
        if input.key == SCENARIOS_KEY {
            return set_scenarios(ctx, &scope.namespace, input.schema.as_ref()).await;
        }
        let caches = caches(ctx);
        if !all_definitions(caches, &scope.namespace).contains_key(&input.key) {
            return Err(not_found("LabelDefinition", &input.key));
        }
        let schema = schema_object(input.schema.as_ref())?;
        if let Some(schema) = &schema {
            check_schema(
                caches,
                &scope.namespace,
                &input.key,
                &Value::Object(schema.clone()),
            )?;
        }
        let api = Api::namespaced(client(ctx), &scope.namespace);
        let written = match definition(caches, &scope.namespace, &input.key) {
            Some(existing) => {
                let name = existing.metadata.name.clone().unwrap_or_default();
                let patch = json!({ "spec": { "schema": schema } });
                merge(
                    &api,
                    &caches.label_definitions,
                    &name,
                    &patch,
                    "LabelDefinition",
                )
                .await?
            }
            // A key in use without a definition object: the definition is created now.
            None => {
                let name = object_name_for(&input.key);
                let object = compass_crds::LabelDefinition {
                    metadata: ObjectMeta {
                        name: Some(name.clone()),
                        namespace: Some(scope.namespace.clone()),
                        ..ObjectMeta::default()
                    },
                    spec: LabelDefinitionSpec {
                        key: (name != input.key).then(|| input.key.clone()),
                        schema,
                    },
                    status: None,
                };
                create(&api, &caches.label_definitions, &object, "LabelDefinition").await?
            }
        };
        Ok(LabelDefinition {
            key: written.key().to_owned(),
            schema: written
                .spec
                .schema
                .clone()
                .map(|s| JsonSchema(Value::Object(s))),
        })
    }

    /// Deletes a label definition. Refused while a label uses the key, unless
    /// `deleteRelatedLabels` is true, which removes those labels first. `scenarios` cannot be
    /// deleted.
    #[graphql(guard = "Scopes::mutation(\"deleteLabelDefinition\")")]
    async fn delete_label_definition(
        &self,
        ctx: &Context<'_>,
        key: String,
        #[graphql(default_with = "Some(false)")] delete_related_labels: Option<bool>,
    ) -> ApiResult<LabelDefinition> {
        let scope = tenant(ctx)?;
        if key == SCENARIOS_KEY {
            return Err(invalid(
                "key",
                "the scenarios label definition cannot be deleted",
            ));
        }
        let caches = caches(ctx);
        let Some(before) = all_definitions(caches, &scope.namespace).remove(&key) else {
            return Err(not_found("LabelDefinition", &key));
        };
        let holders = holders_of_key(caches, &scope.namespace, &key);
        if !holders.is_empty() && !delete_related_labels.unwrap_or(false) {
            return Err(error(
                Code::Conflict,
                format!(
                    "could not delete label definition {key}: labels use it on {}; remove them first or set deleteRelatedLabels",
                    list(&holders)
                ),
            ));
        }
        let patch = json!({ "spec": { "labels": { key.clone(): null } } });
        let tag = label_tag(&scope.namespace, &key);
        let applications: Api<compass_crds::Application> =
            Api::namespaced(client(ctx), &scope.namespace);
        for application in caches.applications.tagged(&tag) {
            let name = application.metadata.name.clone().unwrap_or_default();
            merge(
                &applications,
                &caches.applications,
                &name,
                &patch,
                "Application",
            )
            .await?;
        }
        let runtimes: Api<compass_crds::Runtime> = Api::namespaced(client(ctx), &scope.namespace);
        for runtime in caches.runtimes.tagged(&tag) {
            let name = runtime.metadata.name.clone().unwrap_or_default();
            merge(&runtimes, &caches.runtimes, &name, &patch, "Runtime").await?;
        }
        if let Some(object) = definition(caches, &scope.namespace, &key) {
            let api = Api::namespaced(client(ctx), &scope.namespace);
            let name = object.metadata.name.clone().unwrap_or_default();
            delete(
                &api,
                &caches.label_definitions,
                &scope.namespace,
                &name,
                "LabelDefinition",
            )
            .await?;
        }
        Ok(before)
    }
}

/// Sets the tenant's scenarios to the enum of a new `scenarios` schema: creates the Scenario
/// objects it adds and deletes those it drops, refusing to drop one still in use.
async fn set_scenarios(
    ctx: &Context<'_>,
    namespace: &str,
    schema: Option<&JsonSchema>,
) -> ApiResult<LabelDefinition> {
    let caches = caches(ctx);
    let wanted = scenarios::enum_of(schema.map(|s| &s.0))?;
    let current = scenarios::names(caches, namespace);
    let dropped: Vec<&String> = current.iter().filter(|n| !wanted.contains(n)).collect();
    for name in &dropped {
        let tag = scenario_tag(namespace, name);
        let users: Vec<String> =
            caches
                .applications
                .tagged(&tag)
                .iter()
                .map(|a| {
                    format!(
                        "Application {}",
                        a.metadata.name.as_deref().unwrap_or_default()
                    )
                })
                .chain(
                    caches.runtimes.tagged(&tag).iter().map(|r| {
                        format!("Runtime {}", r.metadata.name.as_deref().unwrap_or_default())
                    }),
                )
                .collect();
        if !users.is_empty() {
            return Err(invalid(
                "in.schema",
                format!(
                    "scenario {name:?} is still used by {}; remove it from them first",
                    list(&users)
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
                .map_err(|e| crate::errors::from_kube(e, "Scenario", &object))?;
            wait_scenario_gone(caches, namespace, name).await;
        }
    }
    Ok(scenarios_definition(caches, namespace))
}

/// Waits until the cache no longer lists the scenario as live: it is gone, or being deleted and
/// only held by its in-use finalizer until the operator releases it.
async fn wait_scenario_gone(caches: &Caches, namespace: &str, name: &str) {
    caches
        .scenarios
        .wait_until(|_| {
            !scenarios::names(caches, namespace)
                .iter()
                .any(|n| n == name)
        })
        .await;
}
