//! Queries about applications: the tenant's applications matching label filters, one by id, and
//! those a runtime sees (sharing at least one scenario with it).

use async_graphql::{Context, ID, Object};

use super::types::{Application, ApplicationPage, labels_of};
use crate::{
    director::{
        context::{caches, caller, tenant},
        in_order::InOrder,
        labels::{INTEGRATION_SYSTEM_LABEL, NAME_LABEL, page_matching, uid_of},
        lookup::{find_in, runtime_in},
        scenario_membership::applications_sharing_window,
    },
    errors::{ApiResult, Code, error},
    gateway::ConsumerKind,
    label_filter::{LabelFilter, compile},
    pagination::paginate_window,
    scalars::PageCursor,
    scopes::Scopes,
};

/// Queries about applications.
#[derive(Default)]
pub struct ApplicationQuery;

#[Object]
impl ApplicationQuery {
    /// The tenant's applications matching every filter, in id order.
    #[graphql(guard = "Scopes::query(\"applications\")")]
    async fn applications(
        &self,
        ctx: &Context<'_>,
        filter: Option<Vec<LabelFilter>>,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<InOrder<ApplicationPage>> {
        let scope = tenant(ctx)?;
        let caches = caches(ctx);
        let filters = compile(filter.as_deref().unwrap_or_default())?;
        let derived = [NAME_LABEL, INTEGRATION_SYSTEM_LABEL];
        let after = after.as_ref().map(|c| c.0.as_str());
        let page = page_matching(
            &caches.applications,
            &scope.namespace,
            &filters,
            &derived,
            |a| labels_of(caches, a),
            (first, after),
        )?;
        Ok(InOrder(ApplicationPage::of(caches, page)))
    }

    /// The application with this id, if the tenant has it.
    #[graphql(guard = "Scopes::query(\"application\")")]
    async fn application(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<Option<InOrder<Application>>> {
        let scope = tenant(ctx)?;
        let found = find_in(&caches(ctx).applications, &scope.namespace, &id);
        Ok(found.map(|application| InOrder(Application::new(application))))
    }

    /// The applications a runtime sees: those of its tenant sharing at least one scenario with
    /// it, in id order. A runtime in no scenario sees none.
    #[graphql(guard = "Scopes::query(\"applicationsForRuntime\")")]
    async fn applications_for_runtime(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "runtimeID")] runtime_id: ID,
        #[graphql(default = 100)] first: Option<i32>,
        after: Option<PageCursor>,
    ) -> ApiResult<InOrder<ApplicationPage>> {
        let scope = tenant(ctx)?;
        own_assignment_only(ctx, &runtime_id)?;
        let caches = caches(ctx);
        let runtime = runtime_in(caches, &scope.namespace, &runtime_id)?;
        crate::director::runtimes::heartbeat::beat(ctx, &scope.namespace, &runtime).await;
        let window = |start: Option<&str>, take| {
            applications_sharing_window(caches, &scope.namespace, &runtime, start, take)
        };
        let after = after.as_ref().map(|c| c.0.as_str());
        let page = paginate_window(first, after, window, uid_of)?;
        Ok(InOrder(ApplicationPage::of(caches, page)))
    }
}

/// Refuses a runtime asking for another runtime's applications, as the push channel refuses it
/// another runtime's assignment: what an agent reads is meant for its own runtime.
fn own_assignment_only(ctx: &Context<'_>, runtime_id: &str) -> ApiResult<()> {
    match caller(ctx) {
        Ok(caller) if caller.kind == ConsumerKind::Runtime && caller.id != runtime_id => {
            Err(error(
                Code::InsufficientScopes,
                "insufficient scopes provided: a runtime reads only its own applications",
            ))
        }
        _ => Ok(()),
    }
}
