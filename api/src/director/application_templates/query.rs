//! Queries about application templates: every one, in pages, and one by id.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};

use super::types::{ApplicationTemplate, ApplicationTemplatePage};
use crate::{
    director::context::caches,
    errors::{ApiResult, not_found},
    pagination::paginate,
    scalars::PageCursor,
    scopes::Scopes,
};

/// The template with uid `id`, unless it is being deleted.
pub fn template_by_id(
    ctx: &Context<'_>,
    id: &str,
) -> ApiResult<Arc<compass_crds::ApplicationTemplate>> {
    caches(ctx)
        .application_templates
        .by_uid(id)
        .filter(|t| t.metadata.deletion_timestamp.is_none())
        .ok_or_else(|| not_found("ApplicationTemplate", id))
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
        paginate(templates, first, after.as_ref().map(|c| c.0.as_str())).map(Into::into)
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
