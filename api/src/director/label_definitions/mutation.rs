//! Mutations of label definitions: define a key, change its schema, delete it. The `scenarios`
//! key is not a LabelDefinition object: defining or updating it changes the tenant's Scenario
//! objects through the shared `scenario_list`, and deleting a definition with its labels removes
//! them through the shared `label_writes`.

use async_graphql::{Context, Object};
use compass_crds::labels::SCENARIOS_KEY;
use kube::Api;
use serde_json::{Value, json};

use super::{
    inputs::{LabelDefinitionInput, check_schema, schema_object},
    query::definition_of,
    types::LabelDefinition,
};
use crate::{
    director::{
        context::{caches, client, create, delete, merge, tenant},
        label_usage::{holders_of_key, listed},
        label_writes::{new_definition, remove_everywhere},
        labels::{check_key, definition},
        scenario_list,
    },
    errors::{ApiResult, Code, error, invalid, not_found},
    scopes::Scopes,
};

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
            return scenario_list::set(ctx, &scope.namespace, input.schema.as_ref()).await;
        }
        let caches = caches(ctx);
        if definition_of(caches, &scope.namespace, &input.key).is_some() {
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
        let object = new_definition(&scope.namespace, &input.key, schema);
        let api = Api::namespaced(client(ctx), &scope.namespace);
        let created = create(&api, &caches.label_definitions, &object, "LabelDefinition").await?;
        Ok(LabelDefinition::from(created.as_ref()))
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
            return scenario_list::set(ctx, &scope.namespace, input.schema.as_ref()).await;
        }
        let caches = caches(ctx);
        if definition_of(caches, &scope.namespace, &input.key).is_none() {
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
                let object = new_definition(&scope.namespace, &input.key, schema);
                create(&api, &caches.label_definitions, &object, "LabelDefinition").await?
            }
        };
        Ok(LabelDefinition::from(written.as_ref()))
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
        let Some(before) = definition_of(caches, &scope.namespace, &key) else {
            return Err(not_found("LabelDefinition", &key));
        };
        let holders = holders_of_key(caches, &scope.namespace, &key);
        if !holders.is_empty() && !delete_related_labels.unwrap_or(false) {
            return Err(error(
                Code::Conflict,
                format!(
                    "could not delete label definition {key}: labels use it on {}; remove them first or set deleteRelatedLabels",
                    listed(&holders)
                ),
            ));
        }
        remove_everywhere(ctx, &scope.namespace, &key).await?;
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
