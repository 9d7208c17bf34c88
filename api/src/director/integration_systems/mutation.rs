//! Mutations of integration systems: register, update (the description only) and unregister,
//! refused while applications of any tenant name the system.

use async_graphql::{Context, ID, Object};
use compass_crds::IntegrationSystemSpec;
use kube::{Api, api::ObjectMeta};
use serde_json::json;

use super::{inputs::IntegrationSystemInput, query::by_id, types::IntegrationSystem};
use crate::{
    director::{
        context::{caches, caller, client, create, delete, merge, tenant},
        names::refuse_rename,
    },
    errors::{ApiResult, Code, error},
    gateway::TenantAccess,
    scopes::Scopes,
};

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
