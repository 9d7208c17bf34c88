//! What clients send to create and update templates, and to register an application from one:
//! a template's input is checked and turned into its stored form; a template filled in with
//! placeholder values becomes the `ApplicationRegisterInput` it stands for.

use std::collections::BTreeMap;

use async_graphql::{InputObject, InputType};
use compass_crds::{
    AccessLevel, ApplicationTemplateSpec, PlaceholderDefinition as StoredPlaceholder,
};
use serde_json::Value;

use super::stored_input::{as_json, fill, to_graphql, to_stored, uses};
use crate::{
    director::{
        applications::ApplicationRegisterInput, enums::ApplicationTemplateAccessLevel, validate,
    },
    errors::{ApiResult, invalid, not_found},
    state::Caches,
};

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
    pub fn to_spec(&self, caches: &Caches) -> ApiResult<ApplicationTemplateSpec> {
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
            application_input: to_stored(caches, "in.applicationInput", json)?,
            placeholders,
            access_level: AccessLevel::Global,
        })
    }
}

impl ApplicationFromTemplateInput {
    /// The input of the named template with every placeholder replaced by its value: each value
    /// must name a placeholder of the template, once, and every placeholder needs one.
    pub fn application_input(&self, caches: &Caches) -> ApiResult<ApplicationRegisterInput> {
        let template = caches
            .application_templates
            .get("", &self.template_name)
            .filter(|t| t.metadata.deletion_timestamp.is_none())
            .ok_or_else(|| not_found("ApplicationTemplate", &self.template_name))?;
        let mut values: BTreeMap<String, String> = BTreeMap::new();
        for (i, value) in self.values.iter().flatten().enumerate() {
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
                        self.template_name, value.placeholder
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
        let text = to_graphql(caches, &template.spec.application_input).to_string();
        let filled: Value = serde_json::from_str(&fill(&text, &values))
            .map_err(|e| invalid("in.values", format!("the filled-in input is not JSON: {e}")))?;
        ApplicationRegisterInput::parse(Some(async_graphql::Value::from_json(filled).map_err(
            |e| {
                invalid(
                    "in.values",
                    format!("the filled-in input is not valid: {e}"),
                )
            },
        )?))
        .map_err(|e| {
            invalid(
                "in.values",
                format!(
                    "the filled-in input is not a valid ApplicationRegisterInput: {}",
                    e.into_server_error(async_graphql::Pos::default()).message
                ),
            )
        })
    }
}
