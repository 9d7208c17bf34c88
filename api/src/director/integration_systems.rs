//! Integration systems: global objects (cluster-scoped) that manage applications for many
//! tenants. Their queries and mutations need no tenant; one cannot be unregistered while an
//! application of any tenant names it.

use std::sync::Arc;

use async_graphql::{Context, ID, InputObject, Object, SimpleObject};
use compass_crds::{IntegrationSystemSpec, SubjectKind};
use kube::{Api, api::ObjectMeta};
use serde_json::json;

use super::{
    context::{caches, caller, client, create, delete, merge, tenant},
    runtimes::refuse_rename,
    system_auths::{SystemNamespace, auths_of},
    types::system::SystemAuth,
    validate,
};
use crate::{
    errors::{ApiResult, Code, error, not_found},
    gateway::TenantAccess,
    pagination::{PageInfo, paginate},
    scalars::PageCursor,
    scopes::Scopes,
};

/// A system that manages applications for many tenants.
#[derive(Clone)]
pub struct IntegrationSystem(pub Arc<compass_crds::IntegrationSystem>);

#[Object]
impl IntegrationSystem {
    /// Its id.
    async fn id(&self) -> ID {
        ID(self.0.metadata.uid.clone().unwrap_or_default())
    }

    /// Its name, unique across tenants.
    async fn name(&self) -> String {
        self.0.metadata.name.clone().unwrap_or_default()
    }

    /// What it is for.
    async fn description(&self) -> Option<String> {
        self.0.spec.description.clone()
    }

    /// Its client identities.
    async fn auths(&self, ctx: &Context<'_>) -> Option<Vec<SystemAuth>> {
        let namespace = &ctx.data_unchecked::<SystemNamespace>().0;
        Some(auths_of(
            caches(ctx),
            namespace,
            SubjectKind::IntegrationSystem,
            self.0.metadata.name.as_deref().unwrap_or_default(),
        ))
    }
}

/// A page of integration systems.
#[derive(SimpleObject)]
#[graphql(rename_fields = "camelCase")]
pub struct IntegrationSystemPage {
    /// The integration systems.
    pub data: Vec<IntegrationSystem>,
    /// Where the page is.
    pub page_info: PageInfo,
    /// How many there are.
    pub total_count: i32,
}

/// An integration system to register or update.
#[derive(Clone, Debug, InputObject)]
pub struct IntegrationSystemInput {
    /// Its name: a DNS-1123 subdomain of at most 36 characters, unique across tenants.
    pub name: String,
    /// What it is for.
    pub description: Option<String>,
}

impl IntegrationSystemInput {
    fn check(&self) -> ApiResult<()> {
        validate::name("in.name", &self.name)?;
        validate::optional_max_length(
            "in.description",
            self.description.as_deref(),
            validate::DESCRIPTION_MAX,
        )
    }
}

fn by_id(ctx: &Context<'_>, id: &str) -> ApiResult<Arc<compass_crds::IntegrationSystem>> {
    caches(ctx)
        .integration_systems
        .by_uid(id)
        .filter(|s| s.metadata.deletion_timestamp.is_none())
        .ok_or_else(|| not_found("IntegrationSystem", id))
}

/// Why the integration system `name` cannot go: the applications (namespace, name) naming it.
///
/// A caller limited to some tenants is told which applications of the tenant it acts in name
/// the system, and only that other tenants' applications do too: their names and namespaces are
/// not its to know (found by the hostile-tenant suite, `tests/tests/hostile_tenant.rs`).
fn in_use(ctx: &Context<'_>, name: &str, users: &[(String, String)]) -> ApiResult<String> {
    let own = match &caller(ctx)?.tenants {
        TenantAccess::All => None,
        TenantAccess::Only(_) => Some(tenant(ctx).ok().map(|scope| scope.namespace)),
    };
    let shown: Vec<String> = users
        .iter()
        .filter(|(namespace, _)| {
            own.as_ref()
                .is_none_or(|own| own.as_ref() == Some(namespace))
        })
        .map(|(namespace, application)| format!("{namespace}/{application}"))
        .collect();
    let listed = shown
        .iter()
        .take(10)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    let remedy = "unregister them or remove their integrationSystemID first";
    let others = "applications of other tenants";
    Ok(match (shown.len(), users.len() - shown.len()) {
        (count, 0) => format!(
            "integration system {name} is still used by {count} application(s) ({listed}); {remedy}"
        ),
        (0, _) => format!(
            "integration system {name} is still used by {others}; it can be unregistered once they no longer name it"
        ),
        (count, _) => format!(
            "integration system {name} is still used by {count} application(s) of your tenant ({listed}) and by {others}; {remedy}"
        ),
    })
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
        let page = paginate(systems, first, after.as_ref().map(|c| c.0.as_str()))?;
        Ok(IntegrationSystemPage {
            data: page.data,
            page_info: page.page_info,
            total_count: page.total_count,
        })
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

/// Mutations of integration systems.
#[derive(Default)]
pub struct IntegrationSystemMutation;

#[Object]
impl IntegrationSystemMutation {
    /// Registers an integration system.
    #[graphql(guard = "Scopes::mutation(\"registerIntegrationSystem\")")]
    async fn register_integration_system(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "in")] input: IntegrationSystemInput,
    ) -> ApiResult<IntegrationSystem> {
        input.check()?;
        let object = compass_crds::IntegrationSystem {
            metadata: ObjectMeta {
                name: Some(input.name),
                ..ObjectMeta::default()
            },
            spec: IntegrationSystemSpec {
                description: input.description,
            },
            status: None,
        };
        let api = Api::all(client(ctx));
        create(
            &api,
            &caches(ctx).integration_systems,
            &object,
            "IntegrationSystem",
        )
        .await
        .map(IntegrationSystem)
    }

    /// Updates an integration system's description. Its name cannot change.
    #[graphql(guard = "Scopes::mutation(\"updateIntegrationSystem\")")]
    async fn update_integration_system(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(name = "in")] input: IntegrationSystemInput,
    ) -> ApiResult<IntegrationSystem> {
        input.check()?;
        let current = by_id(ctx, &id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        refuse_rename("in.name", &name, &input.name)?;
        let patch = json!({ "spec": { "description": input.description } });
        let api = Api::all(client(ctx));
        merge(
            &api,
            &caches(ctx).integration_systems,
            &name,
            &patch,
            "IntegrationSystem",
        )
        .await
        .map(IntegrationSystem)
    }

    /// Unregisters an integration system and returns it as it was. Refused while applications
    /// of any tenant name it.
    #[graphql(guard = "Scopes::mutation(\"unregisterIntegrationSystem\")")]
    async fn unregister_integration_system(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<IntegrationSystem> {
        let current = by_id(ctx, &id)?;
        let name = current.metadata.name.clone().unwrap_or_default();
        let caches = caches(ctx);
        let users: Vec<(String, String)> = caches
            .applications
            .all()
            .iter()
            .filter(|a| a.spec.integration_system.as_deref() == Some(name.as_str()))
            .map(|a| {
                let namespace = a.metadata.namespace.clone().unwrap_or_default();
                (namespace, a.metadata.name.clone().unwrap_or_default())
            })
            .collect();
        if !users.is_empty() {
            return Err(error(Code::Conflict, in_use(ctx, &name, &users)?));
        }
        let api = Api::all(client(ctx));
        delete(
            &api,
            &caches.integration_systems,
            "",
            &name,
            "IntegrationSystem",
        )
        .await?;
        Ok(IntegrationSystem(current))
    }
}
