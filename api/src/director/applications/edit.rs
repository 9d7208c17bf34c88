//! Changing an application by read-modify-write: every mutation of an application or its children
//! is a merge patch computed from the version read and written only if the object is still at
//! that version, with the Secrets and ConfigMaps the change needs created first and those it
//! dropped collected after.

use std::sync::Arc;

use async_graphql::Context;
use compass_crds::Application;
use kube::{Api, ResourceExt};
use serde_json::Value;

use super::owned::{self, Owned};
use crate::{
    director::{
        context::{caches, client, merge_fresh},
        integration_scope::{acting_system, check_owner},
    },
    errors::{ApiResult, Code, error},
};

/// Changes an application by read-modify-write: `change` turns the current object into a merge
/// patch, which is written only if the object is still at the version read; on a conflict the
/// newest version is read and `change` runs again. `owned` (Secrets and ConfigMaps the change
/// refers to) is created first, owned by the application, and deleted again if the change fails;
/// once it succeeded, the Secrets and ConfigMaps the Director made that the application no longer
/// refers to are deleted shortly after. Returns the application before and after the change.
///
/// An integration system may change only the applications that name it: every version the
/// change is computed from is checked ([`check_owner`]), so this is the one place that rule is
/// kept for every mutation of an application or its children.
pub async fn edit(
    ctx: &Context<'_>,
    application: Arc<Application>,
    owned: Owned,
    change: impl Fn(&Application) -> ApiResult<Value>,
) -> ApiResult<(Arc<Application>, Arc<Application>)> {
    let system = acting_system(ctx)?;
    check_owner(system.as_deref(), &application)?;
    let change = |current: &Application| {
        check_owner(system.as_deref(), current)?;
        change(current)
    };
    let namespace = application.namespace().unwrap_or_default();
    let owner = owned::owner_of(&application)?;
    owned.create(ctx, &namespace, Some(owner)).await?;
    let result = write(ctx, application, &change).await;
    match result {
        Ok((before, after)) => {
            owned::collect_garbage(ctx, &namespace, &before.spec, &after.spec);
            Ok((before, after))
        }
        Err(e) => {
            owned.discard(ctx, &namespace).await;
            Err(e)
        }
    }
}

/// Writes the change, reading the application again after each conflict.
async fn write(
    ctx: &Context<'_>,
    current: Arc<Application>,
    change: &impl Fn(&Application) -> ApiResult<Value>,
) -> ApiResult<(Arc<Application>, Arc<Application>)> {
    let namespace = current.namespace().unwrap_or_default();
    let api: Api<Application> = Api::namespaced(client(ctx), &namespace);
    let cache = &caches(ctx).applications;
    merge_fresh(&api, cache, current, change, "Application").await
}

/// Serializes part of a spec for a patch.
pub fn to_json(value: &impl serde::Serialize) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(|e| error(Code::Internal, e.to_string()))
}
