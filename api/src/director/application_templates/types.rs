//! The `ApplicationTemplate` type as the Director shows it: its input in the original's shape,
//! its placeholders, and its page.

use std::sync::Arc;

use async_graphql::{Context, ID, Object, SimpleObject};

use super::stored_input::to_graphql;
use crate::{
    director::{charged::Charged, context::caches, enums::ApplicationTemplateAccessLevel},
    pagination::PageInfo,
};

/// A reusable application input with `{{placeholders}}`.
#[derive(Clone)]
pub struct ApplicationTemplate(pub Arc<compass_crds::ApplicationTemplate>);

impl crate::director::plain::Plain for ApplicationTemplate {}

/// A placeholder of a template.
#[derive(Clone, Debug, SimpleObject)]
pub struct PlaceholderDefinition {
    /// Its name, used as `{{name}}`.
    pub name: String,
    /// What value it expects.
    pub description: Option<String>,
}

impl crate::director::plain::Plain for PlaceholderDefinition {}

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
    async fn placeholders(&self) -> Vec<Charged<PlaceholderDefinition>> {
        self.0
            .spec
            .placeholders
            .iter()
            .map(|p| {
                Charged(PlaceholderDefinition {
                    name: p.name.clone(),
                    description: p.description.clone(),
                })
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
    pub data: Vec<Charged<ApplicationTemplate>>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}
