//! Queries and mutations about the caller, tenants, health and client identities.

use async_graphql::{Context, Object};

use super::{
    context::{caches, caller},
    enums::{HealthCheckType, ViewerType},
    types::system::{
        HealthCheckPage, OneTimeTokenForApplication, OneTimeTokenForRuntime, SystemAuth, Tenant,
        Viewer,
    },
};
use crate::{
    errors::{ApiResult, Code, error},
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
        Ok(Viewer {
            id: async_graphql::ID(caller(ctx)?.id.clone()),
            type_: ViewerType::User,
        })
    }

    /// The tenants the caller may act in: every tenant for a caller allowed in all of them.
    #[graphql(guard = "Scopes::query(\"tenants\")")]
    async fn tenants(&self, ctx: &Context<'_>) -> ApiResult<Vec<Tenant>> {
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
        Ok(tenants)
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

/// Mutations issuing client identities. The Connector issues one-time tokens and client
/// credentials in a later version; until then these answer `NOT_AVAILABLE` rather than hand out
/// credentials that would not work.
#[derive(Default)]
pub struct SystemMutation;

fn not_available(what: &str) -> async_graphql::Error {
    error(
        Code::NotAvailable,
        format!(
            "{what} is not available yet: the Connector that issues it comes in a later version"
        ),
    )
}

#[Object]
impl SystemMutation {
    /// A one-time token for a runtime's agent to pair with.
    #[graphql(guard = "Scopes::mutation(\"requestOneTimeTokenForRuntime\")")]
    async fn request_one_time_token_for_runtime(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<OneTimeTokenForRuntime> {
        let _ = id;
        Err(not_available("requestOneTimeTokenForRuntime"))
    }

    /// A one-time token for an application to pair with.
    #[graphql(guard = "Scopes::mutation(\"requestOneTimeTokenForApplication\")")]
    async fn request_one_time_token_for_application(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<OneTimeTokenForApplication> {
        let _ = id;
        Err(not_available("requestOneTimeTokenForApplication"))
    }

    /// OAuth client credentials for a runtime.
    #[graphql(guard = "Scopes::mutation(\"requestClientCredentialsForRuntime\")")]
    async fn request_client_credentials_for_runtime(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<SystemAuth> {
        let _ = id;
        Err(not_available("requestClientCredentialsForRuntime"))
    }

    /// OAuth client credentials for an application.
    #[graphql(guard = "Scopes::mutation(\"requestClientCredentialsForApplication\")")]
    async fn request_client_credentials_for_application(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<SystemAuth> {
        let _ = id;
        Err(not_available("requestClientCredentialsForApplication"))
    }

    /// OAuth client credentials for an integration system.
    #[graphql(guard = "Scopes::mutation(\"requestClientCredentialsForIntegrationSystem\")")]
    async fn request_client_credentials_for_integration_system(
        &self,
        id: async_graphql::ID,
    ) -> ApiResult<SystemAuth> {
        let _ = id;
        Err(not_available(
            "requestClientCredentialsForIntegrationSystem",
        ))
    }
}
