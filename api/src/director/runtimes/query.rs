//! Queries about runtimes: the tenant's runtimes matching label filters, and one by id.

use async_graphql::{Context, ID, Object};

use super::types::{Runtime, RuntimePage};
use crate::{
    director::{
        context::{caches, tenant},
        labels,
        lookup::find_in,
    },
    errors::ApiResult,
    label_filter::{LabelFilter, compile},
    scalars::PageCursor,
    scopes::Scopes,
};

/// Queries about runtimes.
#[derive(Default)]
pub struct RuntimeQuery;

#[Object]
impl RuntimeQuery {
    /// The tenant's runtimes matching every filter, in id order.
    #[graphql(guard = "Scopes::query(\"runtimes\")")]
    async fn runtimes(
        &self,
        ctx: &Context<'_>,
        filter: Option<Vec<LabelFilter>>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<RuntimePage> {
        let scope = tenant(ctx)?;
        let filters = compile(filter.as_deref().unwrap_or_default())?;
        let after = after.as_ref().map(|c| c.0.as_str());
        let page = labels::page_matching(
            &caches(ctx).runtimes,
            &scope.namespace,
            &filters,
            &[],
            labels::of_runtime,
            (first, after),
        )?;
        Ok(page.map(Runtime).into())
    }

    /// The runtime with this id, if the tenant has it.
    #[graphql(guard = "Scopes::query(\"runtime\")")]
    async fn runtime(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Option<Runtime>> {
        let scope = tenant(ctx)?;
        Ok(find_in(&caches(ctx).runtimes, &scope.namespace, &id).map(Runtime))
    }
}
