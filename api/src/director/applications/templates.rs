//! Application templates: global (cluster-scoped) application inputs with `{{placeholders}}`,
//! their queries and mutations, and registering an application from one in the caller's tenant.

use std::{collections::BTreeMap, sync::Arc};

use async_graphql::{Context, ID, InputObject, InputType, Object, SimpleObject};
use compass_crds::{
    AccessLevel, ApplicationTemplateSpec, PlaceholderDefinition as StoredPlaceholder,
};
use kube::{Api, api::ObjectMeta};
use serde_json::{Map, Value, json};

use super::{
    inputs::ApplicationRegisterInput,
    mutation::register,
    template_input::{as_json, fill, to_graphql, to_stored, uses},
    types::Application,
};
use crate::{
    director::{
        context::{caches, client, create, delete, merge_at, tenant},
        enums::ApplicationTemplateAccessLevel,
        runtimes::refuse_rename,
        validate,
    },
    errors::{ApiResult, invalid, not_found},
    pagination::{PageInfo, paginate},
    scalars::PageCursor,
    scopes::Scopes,
};

/// A reusable application input with `{{placeholders}}`.
#[derive(Clone)]
pub struct ApplicationTemplate(pub Arc<compass_crds::ApplicationTemplate>);

/// A placeholder of a template.
#[derive(Clone, Debug, SimpleObject)]
pub struct PlaceholderDefinition {
    /// Its name, used as `{{name}}`.
    pub name: String,
    /// What value it expects.
    pub description: Option<String>,
}

#[Object]
impl ApplicationTemplate {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.metadata.uid.clone().unwrap_or_default())
    }

    /// Its name, unique across tenants.
    async fn name(&self) -> String {
        self.0.metadata.name.clone().unwrap_or_default()
    }

    /// What applications made from it are.
    async fn description(&self) -> Option<&str> {
        self.0.spec.description.as_deref()
    }

    /// The application input, as JSON of an `ApplicationRegisterInput`.
    #[graphql(name = "applicationInput")]
    async fn application_input(&self, ctx: &Context<'_>) -> String {
        to_graphql(caches(ctx), &self.0.spec.application_input).to_string()
    }

    /// The placeholders the input uses.
    async fn placeholders(&self) -> Vec<PlaceholderDefinition> {
        self.0
            .spec
            .placeholders
            .iter()
            .map(|p| PlaceholderDefinition {
                name: p.name.clone(),
                description: p.description.clone(),
            })
            .collect()
    }

    /// Who may use it.
    #[graphql(name = "accessLevel")]
    async fn access_level(&self) -> ApplicationTemplateAccessLevel {
        ApplicationTemplateAccessLevel::Global
    }
}

/// A page of application templates.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct ApplicationTemplatePage {
    /// The templates.
    pub data: Vec<ApplicationTemplate>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}

/// A template to create or update.
#[derive(Clone, Debug, InputObject)]
#[graphql(rename_fields = "camelCase")]
pub struct ApplicationTemplateInput {
    /// **Validation:** a DNS-1123 subdomain of at most 36 characters; unique across tenants.
    pub name: String,
    /// What applications made from it are.
    pub description: Option<String>,
    /// The application to register; strings may use `{{placeholder}}`. It may not carry
    /// credentials.
    pub application_input: ApplicationRegisterInput,
    /// **Validation:** unique names, each used in the input.
    pub placeholders: Option<Vec<PlaceholderDefinitionInput>>,
    /// Who may use it.
    pub access_level: ApplicationTemplateAccessLevel,
}

/// A placeholder of a template.
#[derive(Clone, Debug, InputObject)]
pub struct PlaceholderDefinitionInput {
    /// **Validation:** a DNS-1123 subdomain of at most 36 characters.
    pub name: String,
    /// What value it expects.
    pub description: Option<String>,
}

/// An application to register from a template.
#[derive(Clone, Debug, InputObject)]
#[graphql(rename_fields = "camelCase")]
pub struct ApplicationFromTemplateInput {
    /// The template's name.
    pub template_name: String,
    /// A value for every placeholder.
    pub values: Option<Vec<TemplateValueInput>>,
}

/// The value of one placeholder.
#[derive(Clone, Debug, InputObject)]
pub struct TemplateValueInput {
    /// The placeholder's name.
    pub placeholder: String,
    /// Its value.
    pub value: String,
}

impl ApplicationTemplateInput {
    /// Checks the input and returns its stored spec.
    fn to_spec(&self, ctx: &Context<'_>) -> ApiResult<ApplicationTemplateSpec> {
        validate::name("in.name", &self.name)?;
        validate::optional_max_length(
            "in.description",
            self.description.as_deref(),
            validate::DESCRIPTION_MAX,
        )?;
        let json = as_json(&self.application_input)?;
        let text = json.to_string();
        let mut placeholders = Vec::new();
        for (i, placeholder) in self.placeholders.iter().flatten().enumerate() {
            let field = format!("in.placeholders[{i}]");
            validate::name(&format!("{field}.name"), &placeholder.name)?;
            validate::optional_max_length(
                &format!("{field}.description"),
                placeholder.description.as_deref(),
                validate::DESCRIPTION_MAX,
            )?;
            if placeholders
                .iter()
                .any(|p: &StoredPlaceholder| p.name == placeholder.name)
            {
                return Err(invalid(
                    &format!("{field}.name"),
                    format!("placeholder {} is declared twice", placeholder.name),
                ));
            }
            if !uses(&text, &placeholder.name) {
                return Err(invalid(
                    &format!("{field}.name"),
                    format!(
                        "placeholder {} is not used: in.applicationInput has no {{{{{}}}}}",
                        placeholder.name, placeholder.name
                    ),
                ));
            }
            placeholders.push(StoredPlaceholder {
                name: placeholder.name.clone(),
                description: placeholder.description.clone(),
            });
        }
        Ok(ApplicationTemplateSpec {
            description: self.description.clone(),
            application_input: to_stored(caches(ctx), "in.applicationInput", json)?,
            placeholders,
            access_level: AccessLevel::Global,
        })
    }
}

fn template_by_id(
    ctx: &Context<'_>,
    id: &str,
) -> ApiResult<Arc<compass_crds::ApplicationTemplate>> {
    caches(ctx)
        .application_templates
        .by_uid(id)
        .filter(|t| t.metadata.deletion_timestamp.is_none())
        .ok_or_else(|| not_found("ApplicationTemplate", id))
}

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

/// Queries about application templates.
#[derive(Default)]
pub struct TemplateQuery;

#[Object]
impl TemplateQuery {
    /// Every application template, in id order.
    #[graphql(guard = "Scopes::query(\"applicationTemplates\")")]
    async fn application_templates(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<ApplicationTemplatePage> {
        let templates: Vec<(String, ApplicationTemplate)> = caches(ctx)
            .application_templates
            .in_namespace("")
            .into_iter()
            .filter(|t| t.metadata.deletion_timestamp.is_none())
            .map(|t| {
                (
                    t.metadata.uid.clone().unwrap_or_default(),
                    ApplicationTemplate(t),
                )
            })
            .collect();
        let page = paginate(templates, first, after.as_ref().map(|c| c.0.as_str()))?;
        Ok(ApplicationTemplatePage {
            data: page.data,
            page_info: page.page_info,
            total_count: page.total_count,
        })
    }

    /// The application template with this id.
    #[graphql(guard = "Scopes::query(\"applicationTemplate\")")]
    async fn application_template(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<Option<ApplicationTemplate>> {
        Ok(template_by_id(ctx, &id).ok().map(ApplicationTemplate))
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
        let spec = input.to_spec(ctx)?;
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
        let spec = input.to_spec(ctx)?;
        let old = serde_json::to_value(&current.spec).unwrap_or_default();
        let new = serde_json::to_value(&spec).unwrap_or_default();
        let patch = json!({ "spec": replacing(&old, &new) });
        let version = current
            .metadata
            .resource_version
            .clone()
            .unwrap_or_default();
        let api = Api::all(client(ctx));
        let cache = &caches(ctx).application_templates;
        merge_at(&api, cache, &name, &version, &patch, "ApplicationTemplate")
            .await
            .map(ApplicationTemplate)
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

    /// Registers an application in the caller's tenant from a template, with every placeholder
    /// replaced by its value.
    #[graphql(guard = "Scopes::mutation(\"registerApplicationFromTemplate\")")]
    async fn register_application_from_template(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "in")] input: ApplicationFromTemplateInput,
    ) -> ApiResult<Application> {
        let scope = tenant(ctx)?;
        let template = caches(ctx)
            .application_templates
            .get("", &input.template_name)
            .filter(|t| t.metadata.deletion_timestamp.is_none())
            .ok_or_else(|| not_found("ApplicationTemplate", &input.template_name))?;
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for (i, value) in input.values.iter().flatten().enumerate() {
            let field = format!("in.values[{i}].placeholder");
            if !template
                .spec
                .placeholders
                .iter()
                .any(|p| p.name == value.placeholder)
            {
                return Err(invalid(
                    &field,
                    format!(
                        "template {} has no placeholder {}",
                        input.template_name, value.placeholder
                    ),
                ));
            }
            if values
                .insert(value.placeholder.clone(), value.value.clone())
                .is_some()
            {
                return Err(invalid(
                    &field,
                    format!("placeholder {} is given twice", value.placeholder),
                ));
            }
        }
        for placeholder in &template.spec.placeholders {
            if !values.contains_key(&placeholder.name) {
                return Err(invalid(
                    "in.values",
                    format!("placeholder {} needs a value", placeholder.name),
                ));
            }
        }
        let text = to_graphql(caches(ctx), &template.spec.application_input).to_string();
        let filled: Value = serde_json::from_str(&fill(&text, &values))
            .map_err(|e| invalid("in.values", format!("the filled-in input is not JSON: {e}")))?;
        let application_input = ApplicationRegisterInput::parse(Some(
            async_graphql::Value::from_json(filled).map_err(|e| {
                invalid(
                    "in.values",
                    format!("the filled-in input is not valid: {e}"),
                )
            })?,
        ))
        .map_err(|e| {
            invalid(
                "in.values",
                format!(
                    "the filled-in input is not a valid ApplicationRegisterInput: {}",
                    e.into_server_error(async_graphql::Pos::default()).message
                ),
            )
        })?;
        register(
            ctx,
            &scope.namespace,
            &application_input,
            "applicationInput",
        )
        .await
    }
}
