//! Mutations of runtimes: register, update (which replaces every label, as the original's did),
//! unregister, and runtime labels.

use async_graphql::{Context, ID, Object};
use compass_crds::RuntimeSpec;
use kube::{Api, api::ObjectMeta};
use serde_json::{Map, Value, json};

use super::{inputs::RuntimeInput, types::Runtime};
use crate::{
    director::{
        context::{caches, client, create, delete, merge, merge_fresh, tenant},
        label_writes::{define_missing, set_patch, unset_patch},
        labels::{self, Label, LabelWrite},
        lookup::runtime_in,
        names::refuse_rename,
        runtime_references,
    },
    errors::{ApiResult, name_taken, not_found},
    scalars::Any,
    scopes::Scopes,
};

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
        define_missing(
            ctx,
            &scope.namespace,
            write.labels.keys().map(String::as_str),
        )
        .await?;
        let object = compass_crds::Runtime {
            metadata: ObjectMeta {
                name: Some(input.name.clone()),
                namespace: Some(scope.namespace.clone()),
                ..ObjectMeta::default()
            },
            spec: RuntimeSpec {
                description: input.description,
                labels: write.labels.into(),
                scenarios: write.scenarios,
                provisioning: None,
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
        let caches = caches(ctx);
        let current = runtime_in(caches, &scope.namespace, &id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        refuse_rename("in.name", &name, &input.name)?;
        let write = LabelWrite::check(
            caches,
            &scope.namespace,
            "in.labels",
            input.labels.clone().unwrap_or_default().0,
        )?;
        define_missing(
            ctx,
            &scope.namespace,
            write.labels.keys().map(String::as_str),
        )
        .await?;
        // Labels of the stored object that the input leaves out are removed.
        let change = |runtime: &compass_crds::Runtime| {
            let mut labels: Map<String, Value> = runtime
                .spec
                .labels
                .keys()
                .map(|k| (k.clone(), Value::Null))
                .collect();
            labels.extend(write.labels.clone());
            Ok(json!({
                "spec": {
                    "description": input.description,
                    "labels": labels,
                    "scenarios": write.scenarios.clone().unwrap_or_default(),
                }
            }))
        };
        let api = Api::namespaced(client(ctx), &scope.namespace);
        let (_, after) = merge_fresh(&api, &caches.runtimes, current, change, "Runtime").await?;
        Ok(Runtime(after))
    }

    /// Unregisters a runtime and returns it as it was. API credentials set for it on
    /// applications are removed, and applications no longer send it their events by default.
    #[graphql(guard = "Scopes::mutation(\"unregisterRuntime\")")]
    async fn unregister_runtime(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Runtime> {
        let scope = tenant(ctx)?;
        let caches = caches(ctx);
        let current = runtime_in(caches, &scope.namespace, &id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        let api = Api::namespaced(client(ctx), &scope.namespace);
        delete(&api, &caches.runtimes, &scope.namespace, &name, "Runtime").await?;
        runtime_references::forget(ctx, &scope.namespace, &name).await?;
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
        let caches = caches(ctx);
        let current = runtime_in(caches, &scope.namespace, &runtime_id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        let patch = set_patch(ctx, &scope.namespace, &key, &value.0).await?;
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
        let caches = caches(ctx);
        let current = runtime_in(caches, &scope.namespace, &runtime_id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        let before = labels::of_runtime(&current)
            .remove(&key)
            .ok_or_else(|| not_found("Label", &key))?;
        let api = Api::namespaced(client(ctx), &scope.namespace);
        merge(&api, &caches.runtimes, &name, &unset_patch(&key), "Runtime").await?;
        Ok(Label {
            key,
            value: Any(before),
        })
    }
}
