//! What every resolver reaches for: the caller, the caches, the client, the caller's tenant (or
//! the namespace of integration systems' identities, which have none), and writes that wait until
//! the caches show them (so a caller reads its own writes).

use std::sync::Arc;

use async_graphql::Context;
use kube::{
    Api, Client, ResourceExt,
    api::{DeleteParams, Patch, PatchParams, PostParams},
};
use serde::Serialize;

use crate::{
    errors::{ApiResult, Code, error, from_kube, has_code},
    gateway::{Caller, TenantScope, resolve_tenant},
    state::{Cached, Shared},
    state::{Caches, external_id_tag},
};

/// Field manager of every write the Director makes.
pub const FIELD_MANAGER: &str = "compass-director";

/// The authenticated caller.
pub fn caller<'a>(ctx: &Context<'a>) -> ApiResult<&'a Caller> {
    ctx.data::<Caller>()
        .map_err(|_| error(Code::Unauthenticated, "unauthenticated"))
}

/// The caches.
pub fn caches<'a>(ctx: &Context<'a>) -> &'a Caches {
    ctx.data_unchecked::<Caches>()
}

/// The Kubernetes client.
pub fn client(ctx: &Context<'_>) -> Client {
    ctx.data_unchecked::<Client>().clone()
}

/// Namespace of the identities of integration systems, which belong to no tenant.
#[derive(Clone, Debug)]
pub struct SystemNamespace(pub String);

/// The namespace of the identities of integration systems.
pub fn system_namespace<'a>(ctx: &Context<'a>) -> &'a str {
    &ctx.data_unchecked::<SystemNamespace>().0
}

/// The tenant the caller acts in (from the `Tenant` header).
pub fn tenant(ctx: &Context<'_>) -> ApiResult<TenantScope> {
    let caches = caches(ctx);
    resolve_tenant(caller(ctx)?, |external| {
        caches.tenants.tagged(&external_id_tag(external))
    })
}

/// Creates `object` through `api` and returns it as the cache holds it once it does.
pub async fn create<K>(api: &Api<K>, cache: &Shared<K>, object: &K, what: &str) -> ApiResult<Arc<K>>
where
    K: Cached + Serialize,
{
    let created = api
        .create(&PostParams::default(), object)
        .await
        .map_err(|e| from_kube(e, what, &object.name_any()))?;
    settle(cache, &created).await
}

/// Applies a JSON merge patch to an object's spec or metadata, and returns the object as the
/// cache holds it once it does.
pub async fn merge<K>(
    api: &Api<K>,
    cache: &Shared<K>,
    name: &str,
    patch: &serde_json::Value,
    what: &str,
) -> ApiResult<Arc<K>>
where
    K: Cached + Serialize,
{
    let patched = api
        .patch(
            name,
            &PatchParams {
                field_manager: Some(FIELD_MANAGER.to_owned()),
                ..PatchParams::default()
            },
            &Patch::Merge(patch),
        )
        .await
        .map_err(|e| from_kube(e, what, name))?;
    settle(cache, &patched).await
}

/// Applies a merge patch only if the object is still at `resource_version` (compare-and-swap, for
/// read-modify-write edits of lists). A conflict is `Code::Conflict`: the caller may retry.
pub async fn merge_at<K>(
    api: &Api<K>,
    cache: &Shared<K>,
    name: &str,
    resource_version: &str,
    patch: &serde_json::Value,
    what: &str,
) -> ApiResult<Arc<K>>
where
    K: Cached + Serialize,
{
    let mut guarded = patch.clone();
    guarded["metadata"]["resourceVersion"] = serde_json::Value::String(resource_version.to_owned());
    merge(api, cache, name, &guarded, what).await
}

/// How often a guarded write is computed again after losing a race with another writer.
const WRITE_ATTEMPTS: usize = 5;

/// Writes the merge patch `change` computes from `current`, guarded by the resourceVersion it was
/// computed from. After a conflict (another writer got there first, often the operator writing a
/// status) the object is read again and the patch computed anew, so no concurrent change is lost
/// and none is refused for a write it did not conflict with. Returns the object before and after.
pub async fn merge_fresh<K>(
    api: &Api<K>,
    cache: &Shared<K>,
    mut current: Arc<K>,
    change: impl Fn(&K) -> ApiResult<serde_json::Value>,
    what: &str,
) -> ApiResult<(Arc<K>, Arc<K>)>
where
    K: Cached + Serialize,
{
    let name = current.name_any();
    for _ in 0..WRITE_ATTEMPTS {
        let patch = change(&current)?;
        let version = current.resource_version().unwrap_or_default();
        match merge_at(api, cache, &name, &version, &patch, what).await {
            Ok(after) => return Ok((current, after)),
            Err(e) if has_code(&e, Code::Conflict) => {
                let fresh = api
                    .get(&name)
                    .await
                    .map_err(|e| from_kube(e, what, &name))?;
                current = Arc::new(fresh);
            }
            Err(e) => return Err(e),
        }
    }
    Err(error(
        Code::Conflict,
        format!("{what} {name} kept changing while it was written; try again"),
    ))
}

/// Deletes an object and waits until the cache no longer holds it.
pub async fn delete<K>(
    api: &Api<K>,
    cache: &Shared<K>,
    namespace: &str,
    name: &str,
    what: &str,
) -> ApiResult<()>
where
    K: Cached + Serialize,
{
    api.delete(name, &DeleteParams::default())
        .await
        .map_err(|e| from_kube(e, what, name))?;
    cache.wait_gone(namespace, name).await;
    Ok(())
}

/// Waits for the cache to hold `written` (or newer) and returns the cached object.
async fn settle<K>(cache: &Shared<K>, written: &K) -> ApiResult<Arc<K>>
where
    K: Cached,
{
    let namespace = written.namespace().unwrap_or_default();
    let name = written.name_any();
    cache
        .wait_for(
            &namespace,
            &name,
            written.resource_version().as_deref().unwrap_or_default(),
        )
        .await;
    Ok(cache
        .get(&namespace, &name)
        .unwrap_or_else(|| Arc::new(written.clone())))
}
