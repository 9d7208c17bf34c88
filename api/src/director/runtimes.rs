//! Runtimes: the `Runtime` type, `runtimes`/`runtime`, register, update (which replaces every
//! label, as the original's did), unregister, and runtime labels.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use compass_crds::{
    Application, RuntimeSpec, SubjectKind,
    labels::{SCENARIOS_KEY, effective_scenarios},
};
use kube::{Api, api::ObjectMeta};
use serde_json::{Value, json};

use super::{
    context::{caches, client, create, delete, find_in, merge, merge_at, tenant},
    enums::RuntimeStatusCondition,
    labels::{self, LABEL_ARGUMENTS, Label, LabelWrite, check_value, define_missing},
    status::{Phase, phase},
    system_auths::auths_of,
    types::system::SystemAuth,
    validate,
};
use crate::{
    errors::{ApiResult, Code, error, has_code, invalid, name_taken, not_found},
    label_filter::{LabelFilter, compile},
    pagination::{PageInfo, paginate},
    scalars::{Any, Labels, PageCursor, Timestamp},
    scopes::Scopes,
};

/// Runtime labels holding the runtime's event service URL: the original's early key and the one
/// it was renamed to.
pub const EVENT_SERVICE_URL_LABELS: [&str; 2] =
    ["runtime/event_service_url", "runtime_eventServiceUrl"];

/// A runtime: a Kubernetes cluster that consumes applications.
#[derive(Clone)]
pub struct Runtime(pub Arc<compass_crds::Runtime>);

/// When a runtime was registered.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct RuntimeMetadata {
    /// When it was registered.
    pub creation_timestamp: Timestamp,
}

/// Where a runtime stands.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct RuntimeStatus {
    /// The state.
    pub condition: RuntimeStatusCondition,
    /// Since when.
    pub timestamp: Timestamp,
}

/// Where a runtime receives events.
#[derive(Clone, Debug, PartialEq, SimpleObject)]
pub struct RuntimeEventingConfiguration {
    /// The runtime's event service URL (its `runtime/event_service_url` label), or `""`.
    #[graphql(name = "defaultURL")]
    pub default_url: String,
}

/// The event service URL a runtime advertises through its labels, if any.
pub fn event_service_url(runtime: &compass_crds::Runtime) -> Option<String> {
    EVENT_SERVICE_URL_LABELS
        .iter()
        .find_map(|key| runtime.spec.labels.get(*key)?.as_str().map(str::to_owned))
}

#[Object]
impl Runtime {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.metadata.uid.clone().unwrap_or_default())
    }

    /// Registration metadata.
    async fn metadata(&self) -> RuntimeMetadata {
        RuntimeMetadata {
            creation_timestamp: Timestamp(
                self.0
                    .metadata
                    .creation_timestamp
                    .as_ref()
                    .map_or_else(jiff::Timestamp::now, |t| t.0),
            ),
        }
    }

    /// Its name.
    async fn name(&self) -> String {
        self.0.metadata.name.clone().unwrap_or_default()
    }

    /// What it is for.
    async fn description(&self) -> Option<String> {
        self.0.spec.description.clone()
    }

    /// Its labels, or only the one with `key`. `scenarios` lists its scenarios.
    async fn labels(&self, key: Option<String>) -> Option<Labels> {
        Some(labels::select(labels::of_runtime(&self.0), key.as_deref()))
    }

    /// Where it stands.
    async fn status(&self) -> RuntimeStatus {
        let conditions = self
            .0
            .status
            .as_ref()
            .map(|s| s.conditions.as_slice())
            .unwrap_or_default();
        let (phase, timestamp) = phase(conditions, self.0.metadata.creation_timestamp.as_ref());
        let condition = match phase {
            Phase::Ready => RuntimeStatusCondition::Ready,
            Phase::Failed => RuntimeStatusCondition::Failed,
            Phase::Initial | Phase::Unknown => RuntimeStatusCondition::Initial,
        };
        RuntimeStatus {
            condition,
            timestamp,
        }
    }

    /// Its client identities.
    async fn auths(&self, ctx: &Context<'_>) -> Option<Vec<SystemAuth>> {
        Some(auths_of(
            caches(ctx),
            self.0.metadata.namespace.as_deref().unwrap_or_default(),
            SubjectKind::Runtime,
            self.0.metadata.name.as_deref().unwrap_or_default(),
        ))
    }

    /// Where it receives events.
    async fn eventing_configuration(&self) -> Option<RuntimeEventingConfiguration> {
        Some(RuntimeEventingConfiguration {
            default_url: event_service_url(&self.0).unwrap_or_default(),
        })
    }
}

/// A page of runtimes.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct RuntimePage {
    /// The runtimes.
    pub data: Vec<Runtime>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many match.
    pub total_count: i32,
}

/// A runtime to register or update.
#[derive(Clone, Debug, InputObject)]
pub struct RuntimeInput {
    /// Its name: a DNS-1123 subdomain of at most 36 characters, unique in the tenant.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
    /// Its labels; `scenarios` places it in scenarios.
    pub labels: Option<Labels>,
}

impl RuntimeInput {
    fn check(&self) -> ApiResult<()> {
        validate::name("in.name", &self.name)?;
        validate::optional_max_length(
            "in.description",
            self.description.as_deref(),
            validate::DESCRIPTION_MAX,
        )
    }
}

/// The runtime with `id` in the caller's tenant.
fn runtime_in(
    ctx: &Context<'_>,
    namespace: &str,
    id: &str,
) -> ApiResult<Arc<compass_crds::Runtime>> {
    find_in(&caches(ctx).runtimes, namespace, id).ok_or_else(|| not_found("Runtime", id))
}

/// Queries about runtimes.
#[derive(Default)]
pub struct RuntimeQuery;

#[Object]
impl RuntimeQuery {
    /// The tenant's runtimes matching every filter, in id order.
    #[graphql(guard = "Scopes::query(\"runtimes\")")]
    async fn runtimes(
        &self,
        ctx: &Context<'_>,
        filter: Option<Vec<LabelFilter>>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<RuntimePage> {
        let scope = tenant(ctx)?;
        let filters = compile(filter.as_deref().unwrap_or_default())?;
        let found = labels::matching(
            &caches(ctx).runtimes,
            &scope.namespace,
            &filters,
            &[],
            labels::of_runtime,
        );
        let found = found.into_iter().map(|(uid, r)| (uid, Runtime(r)));
        let page = paginate(found.collect(), first, after.as_ref().map(|c| c.0.as_str()))?;
        Ok(RuntimePage {
            data: page.data,
            page_info: page.page_info,
            total_count: page.total_count,
        })
    }

    /// The runtime with this id, if the tenant has it.
    #[graphql(guard = "Scopes::query(\"runtime\")")]
    async fn runtime(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Runtime>> {
        let scope = tenant(ctx)?;
        Ok(find_in(&caches(ctx).runtimes, &scope.namespace, &id).map(Runtime))
    }
}

/// Mutations of runtimes.
#[derive(Default)]
pub struct RuntimeMutation;

#[Object]
impl RuntimeMutation {
    /// Registers a runtime. Without a `scenarios` label it is in `DEFAULT`.
    #[graphql(guard = "Scopes::mutation(\"registerRuntime\")")]
    async fn register_runtime(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "in")] input: RuntimeInput,
    ) -> ApiResult<Runtime> {
        let scope = tenant(ctx)?;
        input.check()?;
        let caches = caches(ctx);
        let write = LabelWrite::check(
            caches,
            &scope.namespace,
            "in.labels",
            input.labels.clone().unwrap_or_default().0,
        )?;
        // Refused before anything is written, so a duplicate leaves no label definition behind.
        if caches.runtimes.get(&scope.namespace, &input.name).is_some() {
            return Err(name_taken("Runtime", &input.name));
        }
        define_missing(ctx, &scope.namespace, write.labels.keys()).await?;
        let object = compass_crds::Runtime {
            metadata: ObjectMeta {
                name: Some(input.name.clone()),
                namespace: Some(scope.namespace.clone()),
                ..ObjectMeta::default()
            },
            spec: RuntimeSpec {
                description: input.description,
                labels: write.labels,
                scenarios: write.scenarios,
            },
            status: None,
        };
        let api = Api::namespaced(client(ctx), &scope.namespace);
        create(&api, &caches.runtimes, &object, "Runtime")
            .await
            .map(Runtime)
    }

    /// Updates a runtime. Its labels become exactly `in.labels`, as in the original: leaving out
    /// `scenarios` takes it out of every scenario. Its name cannot change.
    #[graphql(guard = "Scopes::mutation(\"updateRuntime\")")]
    async fn update_runtime(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(name = "in")] input: RuntimeInput,
    ) -> ApiResult<Runtime> {
        let scope = tenant(ctx)?;
        input.check()?;
        let current = runtime_in(ctx, &scope.namespace, &id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        refuse_rename("in.name", &name, &input.name)?;
        let caches = caches(ctx);
        let write = LabelWrite::check(
            caches,
            &scope.namespace,
            "in.labels",
            input.labels.clone().unwrap_or_default().0,
        )?;
        define_missing(ctx, &scope.namespace, write.labels.keys()).await?;
        let mut labels: serde_json::Map<String, Value> = current
            .spec
            .labels
            .keys()
            .map(|k| (k.clone(), Value::Null))
            .collect();
        labels.extend(write.labels.into_iter());
        let patch = json!({
            "spec": {
                "description": input.description,
                "labels": labels,
                "scenarios": write.scenarios.unwrap_or_default(),
            }
        });
        let api = Api::namespaced(client(ctx), &scope.namespace);
        let resource_version = current
            .metadata
            .resource_version
            .clone()
            .unwrap_or_default();
        merge_at(
            &api,
            &caches.runtimes,
            &name,
            &resource_version,
            &patch,
            "Runtime",
        )
        .await
        .map(Runtime)
    }

    /// Unregisters a runtime and returns it as it was. API credentials set for it on
    /// applications are removed, and applications no longer send it their events by default.
    #[graphql(guard = "Scopes::mutation(\"unregisterRuntime\")")]
    async fn unregister_runtime(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Runtime> {
        let scope = tenant(ctx)?;
        let current = runtime_in(ctx, &scope.namespace, &id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        let caches = caches(ctx);
        let api = Api::namespaced(client(ctx), &scope.namespace);
        delete(&api, &caches.runtimes, &scope.namespace, &name, "Runtime").await?;
        forget_runtime(ctx, &scope.namespace, &name).await?;
        Ok(Runtime(current))
    }

    /// Sets one label of a runtime. `scenarios` sets the scenarios it is in.
    #[graphql(guard = "Scopes::mutation(\"setRuntimeLabel\")")]
    async fn set_runtime_label(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "runtimeID")] runtime_id: ID,
        key: String,
        value: Any,
    ) -> ApiResult<Label> {
        let scope = tenant(ctx)?;
        let current = runtime_in(ctx, &scope.namespace, &runtime_id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        let caches = caches(ctx);
        let patch = match check_value(caches, &scope.namespace, LABEL_ARGUMENTS, &key, &value.0)? {
            Some(scenarios) => json!({ "spec": { "scenarios": scenarios } }),
            None => {
                define_missing(ctx, &scope.namespace, [&key]).await?;
                json!({ "spec": { "labels": { key.clone(): value.0.clone() } } })
            }
        };
        let api = Api::namespaced(client(ctx), &scope.namespace);
        merge(&api, &caches.runtimes, &name, &patch, "Runtime").await?;
        Ok(Label { key, value })
    }

    /// Removes one label of a runtime and returns it as it was. Removing `scenarios` takes the
    /// runtime out of every scenario.
    #[graphql(guard = "Scopes::mutation(\"deleteRuntimeLabel\")")]
    async fn delete_runtime_label(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "runtimeID")] runtime_id: ID,
        key: String,
    ) -> ApiResult<Label> {
        let scope = tenant(ctx)?;
        let current = runtime_in(ctx, &scope.namespace, &runtime_id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        let before = labels::of_runtime(&current)
            .remove(&key)
            .ok_or_else(|| not_found("Label", &key))?;
        let patch = if key == SCENARIOS_KEY {
            json!({ "spec": { "scenarios": [] } })
        } else {
            json!({ "spec": { "labels": { key.clone(): null } } })
        };
        let api = Api::namespaced(client(ctx), &scope.namespace);
        merge(&api, &caches(ctx).runtimes, &name, &patch, "Runtime").await?;
        Ok(Label {
            key,
            value: Any(before),
        })
    }
}

/// Names cannot change: they are the objects' names, which Kubernetes never renames.
pub fn refuse_rename(field: &str, current: &str, wanted: &str) -> ApiResult<()> {
    if current != wanted {
        return Err(invalid(
            field,
            format!(
                "cannot rename {current} to {wanted}: names are Kubernetes object names and cannot change; register a new object instead"
            ),
        ));
    }
    Ok(())
}

/// Removes what applications of the tenant hold for a runtime that is gone: its per-runtime API
/// credentials and its choice as their default eventing runtime.
async fn forget_runtime(ctx: &Context<'_>, namespace: &str, runtime: &str) -> ApiResult<()> {
    let caches = caches(ctx);
    let api: Api<Application> = Api::namespaced(client(ctx), namespace);
    for application in caches.applications.in_namespace(namespace) {
        let holds_auth = application
            .spec
            .api_definitions
            .iter()
            .any(|d| d.runtime_auths.iter().any(|a| a.runtime == runtime));
        let default_eventing = application
            .spec
            .eventing
            .as_ref()
            .and_then(|e| e.default_runtime.as_deref())
            == Some(runtime);
        if !holds_auth && !default_eventing {
            continue;
        }
        let mut patch = json!({ "spec": {} });
        if holds_auth {
            let mut definitions = application.spec.api_definitions.clone();
            for definition in &mut definitions {
                definition.runtime_auths.retain(|a| a.runtime != runtime);
            }
            patch["spec"]["apiDefinitions"] = serde_json::to_value(definitions)
                .map_err(|e| error(Code::Internal, e.to_string()))?;
        }
        if default_eventing {
            patch["spec"]["eventing"] = json!({ "defaultRuntime": null });
        }
        let name = application.metadata.name.clone().unwrap_or_default();
        let resource_version = application
            .metadata
            .resource_version
            .clone()
            .unwrap_or_default();
        match merge_at(
            &api,
            &caches.applications,
            &name,
            &resource_version,
            &patch,
            "Application",
        )
        .await
        {
            Ok(_) => {}
            // Changed or gone meanwhile: the operator ignores entries naming a missing runtime.
            Err(e) if has_code(&e, Code::Conflict) || has_code(&e, Code::NotFound) => {
                tracing::debug!(
                    application = name,
                    runtime,
                    "left a stale runtime reference"
                );
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The runtime's scenarios in effect.
pub fn scenarios_of(runtime: &compass_crds::Runtime) -> Vec<String> {
    effective_scenarios(runtime.spec.scenarios.as_deref())
}
