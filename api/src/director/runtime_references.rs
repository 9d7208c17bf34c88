//! What applications hold for a runtime: credentials set for it on their API definitions and
//! their choice of it as default eventing runtime. Unregistering the runtime clears both; that
//! runtime mutation writes Applications, so the write lives here rather than in either kind's
//! module.

use async_graphql::Context;
use compass_crds::Application;
use kube::Api;
use serde_json::json;

use super::context::{caches, client, merge_at};
use crate::errors::{ApiResult, Code, error, has_code};

/// Removes what applications of the tenant hold for a runtime that is gone: its per-runtime API
/// credentials and its choice as their default eventing runtime.
pub async fn forget(ctx: &Context<'_>, namespace: &str, runtime: &str) -> ApiResult<()> {
    let caches = caches(ctx);
    let api: Api<Application> = Api::namespaced(client(ctx), namespace);
    for application in caches.applications.in_namespace(namespace) {
        let holds_auth = application
            .spec
            .api_definitions
            .iter()
            .any(|d| d.runtime_auths.iter().any(|a| a.runtime == runtime));
        let default_eventing = application
            .spec
            .eventing
            .as_ref()
            .and_then(|e| e.default_runtime.as_deref())
            == Some(runtime);
        if !holds_auth && !default_eventing {
            continue;
        }
        let mut patch = json!({ "spec": {} });
        if holds_auth {
            let mut definitions = application.spec.api_definitions.clone();
            for definition in &mut definitions {
                definition.runtime_auths.retain(|a| a.runtime != runtime);
            }
            patch["spec"]["apiDefinitions"] = serde_json::to_value(definitions)
                .map_err(|e| error(Code::Internal, e.to_string()))?;
        }
        if default_eventing {
            patch["spec"]["eventing"] = json!({ "defaultRuntime": null });
        }
        let name = application.metadata.name.clone().unwrap_or_default();
        let resource_version = application
            .metadata
            .resource_version
            .clone()
            .unwrap_or_default();
        match merge_at(
            &api,
            &caches.applications,
            &name,
            &resource_version,
            &patch,
            "Application",
        )
        .await
        {
            Ok(_) => {}
            // Changed or gone meanwhile: the operator ignores entries naming a missing runtime.
            Err(e) if has_code(&e, Code::Conflict) || has_code(&e, Code::NotFound) => {
                tracing::debug!(
                    application = name,
                    runtime,
                    "left a stale runtime reference"
                );
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}
