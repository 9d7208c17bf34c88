//! Applications: the `Application` type and its children (API and event definitions, documents,
//! webhooks, fetch requests), the queries and mutations of the original Director over Application
//! objects of the caller's tenant namespace, application templates, and default eventing.
//!
//! Children live inside their Application, so every child edit is a read-modify-write of one
//! list, guarded by the resourceVersion that was read ([`edit`]). Credentials and large content
//! go into Secrets and ConfigMaps the Application owns ([`owned`]).

mod api_mutation;
mod apis;
mod build;
mod children;
mod children_mutation;
mod content;
mod credentials;
mod eventing;
mod inputs;
mod mutation;
mod owned;
mod query;
mod template_input;
mod templates;
mod types;

use std::sync::Arc;

use async_graphql::Context;
use compass_crds::ids::{ChildKind, child_id};
use kube::{Api, ResourceExt};
use serde_json::Value;

pub use api_mutation::ApiMutation;
pub use apis::ApiDefinitionPage;
pub use children::{DocumentPage, EventDefinitionPage};
pub use children_mutation::ChildMutation;
pub use eventing::EventingMutation;
pub use mutation::ApplicationMutation;
pub use query::ApplicationQuery;
pub use templates::ApplicationTemplatePage;
pub use templates::{TemplateMutation, TemplateQuery};
pub use types::Application;
pub use types::ApplicationPage;

use super::context::{caches, client, find_in, merge_at};
use crate::{
    errors::{ApiResult, Code, error, from_kube, has_code, not_found},
    state::Caches,
};
use owned::Owned;

/// How often a read-modify-write is tried before the conflict is reported.
const EDIT_ATTEMPTS: usize = 5;

/// The application with uid `id` in the tenant namespace `namespace`.
fn application_in(
    caches: &Caches,
    namespace: &str,
    id: &str,
) -> ApiResult<Arc<compass_crds::Application>> {
    find_in(&caches.applications, namespace, id).ok_or_else(|| not_found("Application", id))
}

/// The names of an application's children of `kind`, in spec order.
fn child_names(application: &compass_crds::Application, kind: ChildKind) -> Vec<&str> {
    let spec = &application.spec;
    match kind {
        ChildKind::ApiDefinition => spec
            .api_definitions
            .iter()
            .map(|d| d.name.as_str())
            .collect(),
        ChildKind::EventDefinition => spec
            .event_definitions
            .iter()
            .map(|d| d.name.as_str())
            .collect(),
        ChildKind::Document => spec.documents.iter().map(|d| d.title.as_str()).collect(),
        ChildKind::Webhook => spec.webhooks.iter().map(|w| w.name.as_str()).collect(),
    }
}

/// The id of an application's child.
fn id_of(application: &compass_crds::Application, kind: ChildKind, name: &str) -> String {
    child_id(
        application.metadata.uid.as_deref().unwrap_or_default(),
        kind,
        name,
    )
    .to_string()
}

/// The application holding the child `id` of `kind` in the tenant, and the child's name.
fn child_in(
    caches: &Caches,
    namespace: &str,
    id: &str,
    kind: ChildKind,
    what: &str,
) -> ApiResult<(Arc<compass_crds::Application>, String)> {
    let application = caches
        .applications
        .by_extra(id)
        .filter(|a| a.metadata.namespace.as_deref() == Some(namespace))
        .filter(|a| a.metadata.deletion_timestamp.is_none())
        .ok_or_else(|| not_found(what, id))?;
    let name = child_names(&application, kind)
        .into_iter()
        .find(|name| id_of(&application, kind, name) == id)
        .map(str::to_owned)
        .ok_or_else(|| not_found(what, id))?;
    Ok((application, name))
}

/// Changes an application by read-modify-write: `change` turns the current object into a merge
/// patch, which is written only if the object is still at the version read; on a conflict the
/// newest version is read and `change` runs again. `owned` (Secrets and ConfigMaps the change
/// refers to) is created first, owned by the application, and deleted again if the change fails;
/// once it succeeded, the Secrets and ConfigMaps the Director made that the application no longer
/// refers to are deleted shortly after. Returns the application before and after the change.
async fn edit(
    ctx: &Context<'_>,
    application: Arc<compass_crds::Application>,
    owned: Owned,
    change: impl Fn(&compass_crds::Application) -> ApiResult<Value>,
) -> ApiResult<(
    Arc<compass_crds::Application>,
    Arc<compass_crds::Application>,
)> {
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

async fn write(
    ctx: &Context<'_>,
    mut current: Arc<compass_crds::Application>,
    change: &impl Fn(&compass_crds::Application) -> ApiResult<Value>,
) -> ApiResult<(
    Arc<compass_crds::Application>,
    Arc<compass_crds::Application>,
)> {
    let namespace = current.namespace().unwrap_or_default();
    let name = current.name_any();
    let api: Api<compass_crds::Application> = Api::namespaced(client(ctx), &namespace);
    let cache = &caches(ctx).applications;
    for _ in 0..EDIT_ATTEMPTS {
        let patch = change(&current)?;
        let version = current.resource_version().unwrap_or_default();
        match merge_at(&api, cache, &name, &version, &patch, "Application").await {
            Ok(after) => return Ok((current, after)),
            Err(e) if has_code(&e, Code::Conflict) => {
                current = Arc::new(
                    api.get(&name)
                        .await
                        .map_err(|e| from_kube(e, "Application", &name))?,
                );
            }
            Err(e) => return Err(e),
        }
    }
    Err(error(
        Code::Conflict,
        format!("application {name} kept changing while it was edited; try again"),
    ))
}

/// Serializes part of a spec for a patch.
fn to_json(value: &impl serde::Serialize) -> ApiResult<Value> {
    serde_json::to_value(value).map_err(|e| error(Code::Internal, e.to_string()))
}
