//! Queries about the caller, tenants and health.

use async_graphql::{Context, Object};

use super::types::{HealthCheckPage, Tenant, Viewer};
use crate::{
    director::{
        charged::{self, Charged},
        context::{caches, caller},
        enums::{HealthCheckType, ViewerType},
    },
    errors::ApiResult,
    gateway::ConsumerKind,
    pagination::{PageInfo, page_size},
    scalars::PageCursor,
    scopes::Scopes,
};

/// Queries about the caller, tenants and health.
#[derive(Default)]
pub struct SystemQuery;

#[Object]
impl SystemQuery {
    /// Who is calling.
    #[graphql(guard = "Scopes::query(\"viewer\")")]
    async fn viewer(&self, ctx: &Context<'_>) -> ApiResult<Viewer> {
        let caller = caller(ctx)?;
        let type_ = match caller.kind {
            ConsumerKind::User => ViewerType::User,
            ConsumerKind::Application => ViewerType::Application,
            ConsumerKind::Runtime => ViewerType::Runtime,
            ConsumerKind::IntegrationSystem => ViewerType::IntegrationSystem,
        };
        Ok(Viewer {
            id: async_graphql::ID(caller.id.clone()),
            type_,
        })
    }

    /// The tenants the caller may act in: every tenant for a caller allowed in all of them.
    #[graphql(guard = "Scopes::query(\"tenants\")")]
    async fn tenants(&self, ctx: &Context<'_>) -> ApiResult<Vec<Charged<Tenant>>> {
        let caller = caller(ctx)?;
        let mut tenants: Vec<Tenant> = caches(ctx)
            .tenants
            .all()
            .iter()
            .filter(|t| caller.may_use(&t.spec.external_id))
            .map(|t| Tenant {
                id: t.spec.external_id.clone(),
                internal_id: t.metadata.uid.clone().unwrap_or_default(),
                name: t
                    .spec
                    .display_name
                    .clone()
                    .or_else(|| t.metadata.name.clone()),
            })
            .collect();
        tenants.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(charged::each(tenants))
    }

    /// Health checks. Like the original, none are recorded yet: the page is empty. Each object's
    /// conditions report its state instead.
    #[graphql(guard = "Scopes::query(\"healthChecks\")")]
    async fn health_checks(
        &self,
        types: Option<Vec<HealthCheckType>>,
        origin: Option<async_graphql::ID>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<HealthCheckPage> {
        let _ = (types, origin);
        page_size(first)?;
        let start = after.map(|c| c.0).unwrap_or_default();
        Ok(HealthCheckPage {
            data: Vec::new(),
            page_info: PageInfo {
                start_cursor: PageCursor(start),
                end_cursor: PageCursor(String::new()),
                has_next_page: false,
            },
            total_count: 0,
        })
    }
}
