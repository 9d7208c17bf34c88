//! What clients send to register or update an integration system, and its checks.

use async_graphql::InputObject;

use crate::{director::validate, errors::ApiResult};

/// An integration system to register or update.
#[derive(Clone, Debug, InputObject)]
pub struct IntegrationSystemInput {
    /// Its name: a DNS-1123 subdomain of at most 36 characters, unique across tenants.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
}

impl IntegrationSystemInput {
    /// Checks the name and description.
    pub fn check(&self) -> ApiResult<()> {
        validate::name("in.name", &self.name)?;
        validate::optional_max_length(
            "in.description",
            self.description.as_deref(),
            validate::DESCRIPTION_MAX,
        )
    }
}
