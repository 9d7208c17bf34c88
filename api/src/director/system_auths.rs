//! Client identities: the `auths` of applications, runtimes and integration systems, read from
//! SystemAuth objects, and `deleteSystemAuthFor*`, which checks the identity belongs to the kind
//! of object the mutation names, as the original did.

use async_graphql::{Context, ID, Object};
use compass_crds::SubjectKind;
use kube::Api;

use super::{
    context::{caches, client, delete, tenant},
    types::system::SystemAuth,
};
use crate::{
    errors::{ApiResult, invalid, not_found},
    scopes::Scopes,
    state::Caches,
};

/// Namespace of the identities of integration systems, which belong to no tenant.
#[derive(Clone, Debug)]
pub struct SystemNamespace(pub String);

/// The identities of one object, in uid order. Credentials issued by this API are not kept in
/// clear, so `auth` is empty: the Connector hands certificates to their holder only.
pub fn auths_of(
    caches: &Caches,
    namespace: &str,
    kind: SubjectKind,
    name: &str,
) -> Vec<SystemAuth> {
    caches
        .system_auths
        .in_namespace(namespace)
        .iter()
        .filter(|a| a.spec.subject.kind == kind && a.spec.subject.name == name)
        .map(|a| SystemAuth {
            id: a.metadata.uid.clone().unwrap_or_default(),
            auth: None,
        })
        .collect()
}

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
    let name = auth.metadata.name.clone().unwrap_or_default();
    let api = Api::namespaced(client(ctx), namespace);
    delete(&api, &caches.system_auths, namespace, &name, "SystemAuth").await?;
    Ok(SystemAuth {
        id: id.to_owned(),
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
        let namespace = ctx.data_unchecked::<SystemNamespace>().0.clone();
        delete_for(ctx, &namespace, &auth_id, SubjectKind::IntegrationSystem).await
    }
}
