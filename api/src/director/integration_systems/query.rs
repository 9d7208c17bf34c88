//! Queries about integration systems: every one, in pages, and one by id.

use std::sync::Arc;

use async_graphql::{Context, ID, Object};

use super::types::{IntegrationSystem, IntegrationSystemPage};
use crate::{
    director::context::caches,
    errors::{ApiResult, not_found},
    pagination::paginate,
    scalars::PageCursor,
    scopes::Scopes,
};

/// The integration system with uid `id`, unless it is being deleted.
pub fn by_id(ctx: &Context<'_>, id: &str) -> ApiResult<Arc<compass_crds::IntegrationSystem>> {
    caches(ctx)
        .integration_systems
        .by_uid(id)
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .ok_or_else(|| not_found("IntegrationSystem", id))
}

/// Queries about integration systems.
#[derive(Default)]
pub struct IntegrationSystemQuery;

#[Object]
impl IntegrationSystemQuery {
    /// Every integration system, in id order.
    #[graphql(guard = "Scopes::query(\"integrationSystems\")")]
    async fn integration_systems(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<IntegrationSystemPage> {
        // `in_namespace` yields uid order, the order pages are cut in.
        let systems: Vec<(String, IntegrationSystem)> = caches(ctx)
            .integration_systems
            .in_namespace("")
            .into_iter()
            .filter(|s| s.metadata.deletion_timestamp.is_none())
            .map(|s| {
                (
                    s.metadata.uid.clone().unwrap_or_default(),
                    IntegrationSystem(s),
                )
            })
            .collect();
        paginate(systems, first, after.as_ref().map(|c| c.0.as_str())).map(Into::into)
    }

    /// The integration system with this id.
    #[graphql(guard = "Scopes::query(\"integrationSystem\")")]
    async fn integration_system(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<Option<IntegrationSystem>> {
        Ok(by_id(ctx, &id).ok().map(IntegrationSystem))
    }
}
