//! Default eventing: which runtime receives an application's events, and at which URL. The
//! choice is `spec.eventing.defaultRuntime` while that runtime still shares a scenario with the
//! application, else the oldest runtime that does. Reading it never writes (the original labelled
//! the oldest runtime as a side effect of a query).

use std::sync::Arc;

use async_graphql::{Context, Object, SimpleObject};
use compass_crds::{Application, Runtime};
use serde_json::json;

use super::{edit::edit, owned::Owned};
use crate::{
    director::{
        context::{caches, tenant},
        event_service::event_service_url,
        lookup::{application_in, runtime_in},
        scenario_membership::{runtimes_sharing, share_one},
    },
    errors::{ApiResult, invalid},
    scopes::Scopes,
    state::Caches,
};

/// Where an application's events go.
#[derive(Clone, Debug, PartialEq, Eq, SimpleObject)]
pub struct ApplicationEventingConfiguration {
    /// The default eventing runtime's event service URL for the application
    /// (`<event service URL>/<application name>/v1/events`), or `""` when there is none.
    #[graphql(name = "defaultURL")]
    pub default_url: String,
}

/// The runtime that receives the application's events, if any: the chosen one while it shares a
/// scenario with the application, else the oldest one that does (by creation, then name).
pub fn default_runtime(caches: &Caches, application: &Application) -> Option<Arc<Runtime>> {
    let sharing = runtimes_sharing(caches, application);
    let chosen = application
        .spec
        .eventing
        .as_ref()
        .and_then(|e| e.default_runtime.as_deref());
    if let Some(chosen) = chosen {
        let found = sharing
            .values()
            .find(|r| r.metadata.name.as_deref() == Some(chosen));
        if let Some(found) = found {
            return Some(found.clone());
        }
    }
    sharing.into_values().min_by(|a, b| {
        let key = |r: &Runtime| {
            (
                r.metadata.creation_timestamp.as_ref().map(|t| t.0),
                r.metadata.name.clone(),
            )
        };
        key(a).cmp(&key(b))
    })
}

/// The eventing configuration an application has with `runtime` as its default.
fn with_runtime(
    runtime: Option<&Runtime>,
    application: &Application,
) -> ApplicationEventingConfiguration {
    let name = application.metadata.name.as_deref().unwrap_or_default();
    let base = runtime.and_then(event_service_url).unwrap_or_default();
    let default_url = match url::Url::parse(&base) {
        Ok(parsed) if parsed.host_str().is_some_and(|h| !h.is_empty()) => {
            format!("{}/{name}/v1/events", base.trim_end_matches('/'))
        }
        _ => String::new(),
    };
    ApplicationEventingConfiguration { default_url }
}

/// The application's eventing configuration.
pub fn configuration(
    caches: &Caches,
    application: &Application,
) -> ApplicationEventingConfiguration {
    with_runtime(default_runtime(caches, application).as_deref(), application)
}

/// Mutations choosing where applications' events go.
#[derive(Default)]
pub struct EventingMutation;

#[Object]
impl EventingMutation {
    /// Makes a runtime the application's default eventing runtime. It must share a scenario
    /// with the application.
    #[graphql(guard = "Scopes::mutation(\"setDefaultEventingForApplication\")")]
    async fn set_default_eventing_for_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "appID")] app_id: String,
        #[graphql(name = "runtimeID")] runtime_id: String,
    ) -> ApiResult<ApplicationEventingConfiguration> {
        let scope = tenant(ctx)?;
        let caches = caches(ctx);
        let application = application_in(caches, &scope.namespace, &app_id)?;
        let runtime = runtime_in(caches, &scope.namespace, &runtime_id)?;
        let runtime_name = runtime.metadata.name.clone().unwrap_or_default();
        if !share_one(&application, &runtime) {
            return Err(invalid(
                "runtimeID",
                format!(
                    "runtime {runtime_name} does not share a scenario with application {}",
                    application.metadata.name.as_deref().unwrap_or_default()
                ),
            ));
        }
        let patch = json!({ "spec": { "eventing": { "defaultRuntime": runtime_name } } });
        let (_, after) = edit(ctx, application, Owned::default(), |_| Ok(patch.clone())).await?;
        Ok(with_runtime(Some(&runtime), &after))
    }

    /// Forgets the application's choice of default eventing runtime (the oldest runtime sharing
    /// a scenario takes over) and returns the configuration as it was.
    #[graphql(guard = "Scopes::mutation(\"deleteDefaultEventingForApplication\")")]
    async fn delete_default_eventing_for_application(
        &self,
        ctx: &Context<'_>,
        #[graphql(name = "appID")] app_id: String,
    ) -> ApiResult<ApplicationEventingConfiguration> {
        let scope = tenant(ctx)?;
        let caches = caches(ctx);
        let application = application_in(caches, &scope.namespace, &app_id)?;
        let before = configuration(caches, &application);
        let patch = json!({ "spec": { "eventing": null } });
        edit(ctx, application, Owned::default(), |_| Ok(patch.clone())).await?;
        Ok(before)
    }
}
