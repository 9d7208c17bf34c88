//! `deleteSystemAuthFor*`: removes a client identity, checking it belongs to the kind of object
//! the mutation names, as the original did.

use async_graphql::{Context, ID, Object};
use compass_crds::SubjectKind;
use kube::Api;

use super::types::SystemAuth;
use crate::{
    director::{
        context::{caches, client, delete, system_namespace, tenant},
        integration_scope::may_change,
    },
    errors::{ApiResult, invalid, not_found},
    scopes::Scopes,
};

/// Deletes the identity `id` of namespace `namespace`, which must belong to a `kind` object.
async fn delete_for(
    ctx: &Context<'_>,
    namespace: &str,
    id: &str,
    kind: SubjectKind,
) -> ApiResult<SystemAuth> {
    let caches = caches(ctx);
    let auth = caches
        .system_auths
        .by_uid(id)
        .filter(|a| a.metadata.namespace.as_deref() == Some(namespace))
        .ok_or_else(|| not_found("SystemAuth", id))?;
    if auth.spec.subject.kind != kind {
        return Err(invalid(
            "authID",
            format!(
                "system auth {id} belongs to {:?} {}, not to a {kind:?}; use deleteSystemAuthFor{:?}",
                auth.spec.subject.kind, auth.spec.subject.name, auth.spec.subject.kind
            ),
        ));
    }
    if kind == SubjectKind::Application
        && let Some(application) = caches.applications.get(namespace, &auth.spec.subject.name)
    {
        may_change(ctx, &application)?;
    }
    let name = auth.metadata.name.clone().unwrap_or_default();
    let api = Api::namespaced(client(ctx), namespace);
    delete(&api, &caches.system_auths, namespace, &name, "SystemAuth").await?;
    Ok(SystemAuth {
        id: ID(id.to_owned()),
        auth: None,
    })
}

/// Mutations removing client identities.
#[derive(Default)]
pub struct SystemAuthMutation;

#[Object]
impl SystemAuthMutation {
    /// Removes a runtime's client identity; its certificates and tokens stop working.
    #[graphql(guard = "Scopes::mutation(\"deleteSystemAuthForRuntime\")")]
    async fn delete_system_auth_for_runtime(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "authID")] auth_id: ID,
    ) -> ApiResult<SystemAuth> {
        let scope = tenant(ctx)?;
        delete_for(ctx, &scope.namespace, &auth_id, SubjectKind::Runtime).await
    }

    /// Removes an application's client identity; its certificates and tokens stop working.
    #[graphql(guard = "Scopes::mutation(\"deleteSystemAuthForApplication\")")]
    async fn delete_system_auth_for_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "authID")] auth_id: ID,
    ) -> ApiResult<SystemAuth> {
        let scope = tenant(ctx)?;
        delete_for(ctx, &scope.namespace, &auth_id, SubjectKind::Application).await
    }

    /// Removes an integration system's client identity; its credentials stop working.
    #[graphql(guard = "Scopes::mutation(\"deleteSystemAuthForIntegrationSystem\")")]
    async fn delete_system_auth_for_integration_system(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "authID")] auth_id: ID,
    ) -> ApiResult<SystemAuth> {
        let namespace = system_namespace(ctx);
        delete_for(ctx, namespace, &auth_id, SubjectKind::IntegrationSystem).await
    }
}
