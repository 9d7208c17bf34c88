//! Finding one object of the caller's tenant by id: another tenant's objects, and objects being
//! deleted, do not exist for the caller. A runtime is named by id in runtime mutations and in
//! application resolvers alike (an API's per-runtime credentials, default eventing,
//! `applicationsForRuntime`), so its NOT_FOUND answer is made here once, as an application's.

use std::sync::Arc;

use compass_crds::{Application, Runtime};

use crate::{
    errors::{ApiResult, not_found},
    state::Caches,
    state::{Cached, Shared},
};

/// The object with uid `id` if it lives in `namespace` and is not being deleted.
pub fn find_in<K>(cache: &Shared<K>, namespace: &str, id: &str) -> Option<Arc<K>>
where
    K: Cached,
{
    cache
        .by_uid(id)
        .filter(|object| object.meta().namespace.as_deref().unwrap_or_default() == namespace)
        .filter(|object| object.meta().deletion_timestamp.is_none())
}

/// The runtime with uid `id` in the tenant namespace `namespace`, or `NOT_FOUND`.
pub fn runtime_in(caches: &Caches, namespace: &str, id: &str) -> ApiResult<Arc<Runtime>> {
    find_in(&caches.runtimes, namespace, id).ok_or_else(|| not_found("Runtime", id))
}

/// The application with uid `id` in the tenant namespace `namespace`, or `NOT_FOUND`.
pub fn application_in(caches: &Caches, namespace: &str, id: &str) -> ApiResult<Arc<Application>> {
    find_in(&caches.applications, namespace, id).ok_or_else(|| not_found("Application", id))
}
