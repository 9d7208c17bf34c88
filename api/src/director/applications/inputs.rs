//! What clients send to register and change applications, named and shaped as in the original
//! schema (their children's inputs are `child_inputs`). Each input's `check(field)` applies the
//! original's rules before anything is written, naming the argument path of a broken rule
//! (`in.apiDefinitions[0].spec.format`).

use std::collections::BTreeSet;

use async_graphql::{ID, InputObject};

use super::child_inputs::{ApiDefinitionInput, DocumentInput, EventDefinitionInput, WebhookInput};
use crate::{
    director::validate::{self, DESCRIPTION_MAX, LONG_MAX},
    errors::{ApiResult, invalid},
    scalars::Labels,
};

/// An application to register, with its children.
#[derive(Clone, Debug, InputObject)]
#[graphql(rename_fields = "camelCase")]
pub struct ApplicationRegisterInput {
    /// **Validation:** a DNS-1123 subdomain of at most 36 characters, not starting with a digit;
    /// unique in the tenant.
    pub name: String,
    /// Who provides the application; at most 256 characters.
    pub provider_name: Option<String>,
    /// What the application is; at most 2000 characters.
    pub description: Option<String>,
    /// Labels; `scenarios` places the application in scenarios (`DEFAULT` when left out).
    pub labels: Option<Labels>,
    /// Webhooks the management plane calls.
    pub webhooks: Option<Vec<WebhookInput>>,
    /// **Validation:** an absolute http(s) URL.
    #[graphql(name = "healthCheckURL")]
    pub health_check_url: Option<String>,
    /// APIs the application exposes; names are unique.
    pub api_definitions: Option<Vec<ApiDefinitionInput>>,
    /// Events the application publishes; names are unique.
    pub event_definitions: Option<Vec<EventDefinitionInput>>,
    /// Documents about the application; titles are unique.
    pub documents: Option<Vec<DocumentInput>>,
    /// The integration system managing the application; it must exist.
    #[graphql(name = "integrationSystemID")]
    pub integration_system_id: Option<ID>,
}

/// The simple fields of an application to update; labels and children are changed through their
/// own mutations.
#[derive(Clone, Debug, InputObject)]
#[graphql(rename_fields = "camelCase")]
pub struct ApplicationUpdateInput {
    /// The application's name. It cannot change.
    pub name: String,
    /// Who provides the application.
    pub provider_name: Option<String>,
    /// What the application is.
    pub description: Option<String>,
    /// **Validation:** an absolute http(s) URL.
    #[graphql(name = "healthCheckURL")]
    pub health_check_url: Option<String>,
    /// The integration system managing the application; it must exist.
    #[graphql(name = "integrationSystemID")]
    pub integration_system_id: Option<ID>,
}

/// The path of `part` of the argument at `field`.
pub fn at(field: &str, part: &str) -> String {
    format!("{field}.{part}")
}

/// Checks each item of a list, and that no two share a key.
fn each<T>(
    field: &str,
    items: Option<&[T]>,
    key: impl Fn(&T) -> &str,
    key_field: &str,
    check: impl Fn(&T, &str) -> ApiResult<()>,
) -> ApiResult<()> {
    let mut seen = BTreeSet::new();
    for (i, item) in items.unwrap_or_default().iter().enumerate() {
        let here = format!("{field}[{i}]");
        check(item, &here)?;
        if !seen.insert(key(item)) {
            return Err(invalid(
                &at(&here, key_field),
                format!("{} is used by another entry of the list", key(item)),
            ));
        }
    }
    Ok(())
}

impl ApplicationRegisterInput {
    /// Checks every field and child (`field` is the argument's path, such as `in`).
    pub fn check(&self, field: &str) -> ApiResult<()> {
        validate::name(&at(field, "name"), &self.name)?;
        check_simple(
            field,
            self.provider_name.as_deref(),
            self.description.as_deref(),
            self.health_check_url.as_deref(),
        )?;
        for (i, webhook) in self.webhooks.iter().flatten().enumerate() {
            webhook.check(&format!("{field}.webhooks[{i}]"))?;
        }
        each(
            &at(field, "apiDefinitions"),
            self.api_definitions.as_deref(),
            |d| d.name.as_str(),
            "name",
            ApiDefinitionInput::check,
        )?;
        each(
            &at(field, "eventDefinitions"),
            self.event_definitions.as_deref(),
            |d| d.name.as_str(),
            "name",
            EventDefinitionInput::check,
        )?;
        each(
            &at(field, "documents"),
            self.documents.as_deref(),
            |d| d.title.as_str(),
            "title",
            DocumentInput::check,
        )
    }
}

impl ApplicationUpdateInput {
    /// Checks every field.
    pub fn check(&self, field: &str) -> ApiResult<()> {
        validate::name(&at(field, "name"), &self.name)?;
        check_simple(
            field,
            self.provider_name.as_deref(),
            self.description.as_deref(),
            self.health_check_url.as_deref(),
        )
    }
}

fn check_simple(
    field: &str,
    provider_name: Option<&str>,
    description: Option<&str>,
    health_check_url: Option<&str>,
) -> ApiResult<()> {
    validate::optional_max_length(&at(field, "providerName"), provider_name, LONG_MAX)?;
    validate::optional_max_length(&at(field, "description"), description, DESCRIPTION_MAX)?;
    validate::optional_url(&at(field, "healthCheckURL"), health_check_url)
}
