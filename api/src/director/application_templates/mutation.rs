//! Mutations of application templates: create, update (replacing description, input and
//! placeholders) and delete. Applications registered from a template stay when it goes.

use async_graphql::{Context, ID, Object};
use kube::{Api, api::ObjectMeta};
use serde_json::{Map, Value, json};

use super::{inputs::ApplicationTemplateInput, query::template_by_id, types::ApplicationTemplate};
use crate::{
    director::{
        context::{caches, client, create, delete, merge_fresh},
        names::refuse_rename,
    },
    errors::ApiResult,
    scopes::Scopes,
};

/// The JSON merge patch that turns `old` into `new` (keys `new` lacks are removed).
fn replacing(old: &Value, new: &Value) -> Value {
    match (old, new) {
        (Value::Object(old), Value::Object(new)) => {
            let mut patch: Map<String, Value> = old
                .keys()
                .filter(|k| !new.contains_key(*k))
                .map(|k| (k.clone(), Value::Null))
                .collect();
            for (key, value) in new {
                match old.get(key) {
                    Some(before) if before == value => {}
                    Some(before) => {
                        patch.insert(key.clone(), replacing(before, value));
                    }
                    None => {
                        patch.insert(key.clone(), value.clone());
                    }
                }
            }
            Value::Object(patch)
        }
        _ => new.clone(),
    }
}

/// Mutations of application templates.
#[derive(Default)]
pub struct TemplateMutation;

#[Object]
impl TemplateMutation {
    /// Creates an application template.
    #[graphql(guard = "Scopes::mutation(\"createApplicationTemplate\")")]
    async fn create_application_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "in")] input: ApplicationTemplateInput,
    ) -> ApiResult<ApplicationTemplate> {
        let spec = input.to_spec(caches(ctx))?;
        let object = compass_crds::ApplicationTemplate {
            metadata: ObjectMeta {
                name: Some(input.name.clone()),
                ..ObjectMeta::default()
            },
            spec,
            status: None,
        };
        let api = Api::all(client(ctx));
        create(
            &api,
            &caches(ctx).application_templates,
            &object,
            "ApplicationTemplate",
        )
        .await
        .map(ApplicationTemplate)
    }

    /// Replaces an application template's description, input and placeholders. Its name cannot
    /// change.
    #[graphql(guard = "Scopes::mutation(\"updateApplicationTemplate\")")]
    async fn update_application_template(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(name = "in")] input: ApplicationTemplateInput,
    ) -> ApiResult<ApplicationTemplate> {
        let current = template_by_id(ctx, &id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        refuse_rename("in.name", &name, &input.name)?;
        let spec = input.to_spec(caches(ctx))?;
        let new = serde_json::to_value(&spec).unwrap_or_default();
        let change = |template: &compass_crds::ApplicationTemplate| {
            let old = serde_json::to_value(&template.spec).unwrap_or_default();
            Ok(json!({ "spec": replacing(&old, &new) }))
        };
        let api = Api::all(client(ctx));
        let cache = &caches(ctx).application_templates;
        let (_, after) = merge_fresh(&api, cache, current, change, "ApplicationTemplate").await?;
        Ok(ApplicationTemplate(after))
    }

    /// Deletes an application template and returns it as it was. Applications registered from
    /// it stay.
    #[graphql(guard = "Scopes::mutation(\"deleteApplicationTemplate\")")]
    async fn delete_application_template(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<ApplicationTemplate> {
        let current = template_by_id(ctx, &id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        let api = Api::all(client(ctx));
        let cache = &caches(ctx).application_templates;
        delete(&api, cache, "", &name, "ApplicationTemplate").await?;
        Ok(ApplicationTemplate(current))
    }
}
