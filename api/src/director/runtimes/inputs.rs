//! What clients send to register or update a runtime, and its checks.

use async_graphql::InputObject;

use crate::{director::validate, errors::ApiResult, scalars::Labels};

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
