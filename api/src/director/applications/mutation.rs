//! Mutations of applications themselves: register (with every child in one call, or from a
//! template), update of the simple fields, unregister, and application labels.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};
use compass_crds::{ApplicationSpec, labels::SCENARIOS_KEY};
use kube::{Api, api::ObjectMeta};
use serde_json::json;

use super::{
    build,
    edit::edit,
    inputs::{ApplicationRegisterInput, ApplicationUpdateInput},
    owned::{Owned, owner_of},
    types::{Application, labels_of},
};
use crate::{
    director::{
        application_templates::ApplicationFromTemplateInput,
        context::{caches, client, create, delete, tenant},
        integration_scope::{may_change, named_system},
        label_writes::{define_missing, set_patch, unset_patch},
        labels::{INTEGRATION_SYSTEM_LABEL, Label, LabelWrite, NAME_LABEL},
        lookup::application_in,
        names::refuse_rename,
    },
    errors::{ApiResult, invalid, name_taken, not_found},
    scalars::Any,
    scopes::Scopes,
    state::Caches,
};

/// The name of the integration system with id `id`, which must exist.
fn integration_system(caches: &Caches, field: &str, id: Option<&ID>) -> ApiResult<Option<String>> {
    let Some(id) = id else {
        return Ok(None);
    };
    caches
        .integration_systems
        .by_uid(id)
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .and_then(|s| s.metadata.name.clone())
        .map(Some)
        .ok_or_else(|| {
            invalid(
                field,
                format!("integration system {} does not exist", id.as_str()),
            )
        })
}

/// The system labels are derived from the application; they cannot be written.
fn refuse_system_label(field: &str, key: &str) -> ApiResult<()> {
    if key == NAME_LABEL || key == INTEGRATION_SYSTEM_LABEL {
        return Err(invalid(
            field,
            format!(
                "{key} is a system label derived from the application's {}; it cannot be set or deleted",
                if key == NAME_LABEL {
                    "name"
                } else {
                    "integration system"
                }
            ),
        ));
    }
    Ok(())
}

/// Registers an application in the tenant namespace `namespace` from `input` (the argument at
/// `field`): checks everything, creates the Secrets and ConfigMaps it needs, the Application,
/// then makes it their owner. When a step after the Application's creation fails, the
/// Application is deleted again, so nothing half-made remains.
async fn register(
    ctx: &Context<'_>,
    namespace: &str,
    input: &ApplicationRegisterInput,
    field: &str,
) -> ApiResult<Application> {
    input.check(field)?;
    let caches = caches(ctx);
    let system_field = format!("{field}.integrationSystemID");
    let requested =
        integration_system(caches, &system_field, input.integration_system_id.as_ref())?;
    let integration_system = named_system(ctx, &system_field, requested)?;
    let labels = input.labels.clone().unwrap_or_default().0;
    for key in labels.keys() {
        refuse_system_label(&format!("{field}.labels.{key}"), key)?;
    }
    let write = LabelWrite::check(caches, namespace, &format!("{field}.labels"), labels)?;
    let name = &input.name;
    // Refused before anything is written, so a duplicate leaves no label definition behind.
    // (The create below still catches a registration racing this one.)
    if caches.applications.get(namespace, name).is_some() {
        return Err(name_taken("Application", name));
    }
    let mut owned = Owned::default();
    let spec = ApplicationSpec {
        provider_name: input.provider_name.clone(),
        description: input.description.clone(),
        labels: write.labels.into(),
        scenarios: write.scenarios,
        health_check_url: input.health_check_url.clone(),
        integration_system,
        webhooks: build::webhooks(
            input.webhooks.as_deref().unwrap_or_default(),
            name,
            &mut owned,
        ),
        api_definitions: (input.api_definitions.iter().flatten())
            .map(|d| build::api_definition(d, name, &mut owned))
            .collect(),
        event_definitions: (input.event_definitions.iter().flatten())
            .map(|d| build::event_definition(d, name, &mut owned))
            .collect(),
        documents: (input.documents.iter().flatten())
            .map(|d| build::document(d, name, &mut owned))
            .collect(),
        eventing: None,
    };
    define_missing(ctx, namespace, spec.labels.keys().map(String::as_str)).await?;
    let object = compass_crds::Application {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(namespace.to_owned()),
            ..ObjectMeta::default()
        },
        spec,
        status: None,
    };
    owned.create(ctx, namespace, None).await?;
    let api = Api::namespaced(client(ctx), namespace);
    let created = match create(&api, &caches.applications, &object, "Application").await {
        Ok(created) => created,
        Err(e) => {
            owned.discard(ctx, namespace).await;
            return Err(e);
        }
    };
    let adopted = match owner_of(&created) {
        Ok(owner) => owned.adopt(ctx, namespace, owner).await,
        Err(e) => Err(e),
    };
    if let Err(e) = adopted {
        let _ = delete(&api, &caches.applications, namespace, name, "Application").await;
        owned.discard(ctx, namespace).await;
        return Err(e);
    }
    Ok(Application::new(created))
}

/// Mutations of applications.
#[derive(Default)]
pub struct ApplicationMutation;

#[Object]
impl ApplicationMutation {
    /// Registers an application with its webhooks, API and event definitions and documents.
    /// Without a `scenarios` label it is in `DEFAULT`.
    #[graphql(guard = "Scopes::mutation(\"registerApplication\")")]
    async fn register_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "in")] input: ApplicationRegisterInput,
    ) -> ApiResult<Application> {
        let scope = tenant(ctx)?;
        register(ctx, &scope.namespace, &input, "in").await
    }

    /// Updates an application's simple fields; its labels and children stay as they are. Its
    /// name cannot change.
    #[graphql(guard = "Scopes::mutation(\"updateApplication\")")]
    async fn update_application(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(name = "in")] input: ApplicationUpdateInput,
    ) -> ApiResult<Application> {
        let scope = tenant(ctx)?;
        input.check("in")?;
        let caches = caches(ctx);
        let current = application_in(caches, &scope.namespace, &id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        refuse_rename("in.name", &name, &input.name)?;
        let requested = integration_system(
            caches,
            "in.integrationSystemID",
            input.integration_system_id.as_ref(),
        )?;
        let integration_system = named_system(ctx, "in.integrationSystemID", requested)?;
        let patch = json!({
            "spec": {
                "providerName": input.provider_name,
                "description": input.description,
                "healthCheckURL": input.health_check_url,
                "integrationSystem": integration_system,
            }
        });
        let (_, after) = edit(ctx, current, Owned::default(), |_| Ok(patch.clone())).await?;
        Ok(Application::new(after))
    }

    /// Unregisters an application and returns it as it was. Its credentials and content go with
    /// it.
    #[graphql(guard = "Scopes::mutation(\"unregisterApplication\")")]
    async fn unregister_application(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Application> {
        let scope = tenant(ctx)?;
        let caches = caches(ctx);
        let current = application_in(caches, &scope.namespace, &id)?;
        may_change(ctx, &current)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        let api: Api<compass_crds::Application> = Api::namespaced(client(ctx), &scope.namespace);
        delete(
            &api,
            &caches.applications,
            &scope.namespace,
            &name,
            "Application",
        )
        .await?;
        Ok(Application::new(current))
    }

    /// Sets one label of an application. `scenarios` sets the scenarios it is in; the system
    /// labels `name` and `integration-system-id` cannot be set.
    #[graphql(guard = "Scopes::mutation(\"setApplicationLabel\")")]
    async fn set_application_label(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "applicationID")] application_id: ID,
        key: String,
        value: Any,
    ) -> ApiResult<Label> {
        let scope = tenant(ctx)?;
        refuse_system_label("key", &key)?;
        let caches = caches(ctx);
        let current = application_in(caches, &scope.namespace, &application_id)?;
        let patch = set_patch(ctx, &scope.namespace, &key, &value.0).await?;
        edit(ctx, current, Owned::default(), |_| Ok(patch.clone())).await?;
        Ok(Label { key, value })
    }

    /// Removes one label of an application and returns it as it was. `scenarios` and the system
    /// labels cannot be removed: an application is always in a scenario.
    #[graphql(guard = "Scopes::mutation(\"deleteApplicationLabel\")")]
    async fn delete_application_label(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "applicationID")] application_id: ID,
        key: String,
    ) -> ApiResult<Label> {
        let scope = tenant(ctx)?;
        if key == SCENARIOS_KEY {
            return Err(invalid(
                "key",
                "the scenarios label of an application cannot be deleted: an application is always in at least one scenario; set it to other scenarios instead",
            ));
        }
        refuse_system_label("key", &key)?;
        let caches = caches(ctx);
        let current: Arc<compass_crds::Application> =
            application_in(caches, &scope.namespace, &application_id)?;
        let before = labels_of(caches, &current)
            .remove(&key)
            .ok_or_else(|| not_found("Label", &key))?;
        let patch = unset_patch(&key);
        edit(ctx, current, Owned::default(), |_| Ok(patch.clone())).await?;
        Ok(Label {
            key,
            value: Any(before),
        })
    }
}

/// The mutation registering an application from a template. It is a part of its own because the
/// schema lists it last, after the template mutations.
#[derive(Default)]
pub struct FromTemplateMutation;

#[Object]
impl FromTemplateMutation {
    /// Registers an application in the caller's tenant from a template, with every placeholder
    /// replaced by its value.
    #[graphql(guard = "Scopes::mutation(\"registerApplicationFromTemplate\")")]
    async fn register_application_from_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "in")] input: ApplicationFromTemplateInput,
    ) -> ApiResult<Application> {
        let scope = tenant(ctx)?;
        let application_input = input.application_input(caches(ctx))?;
        register(
            ctx,
            &scope.namespace,
            &application_input,
            "applicationInput",
        )
        .await
    }
}
