//! The ConfigMaps an application owns for fetched content: one per fetched child, written with
//! the content when a fetch succeeds, deleted when no child needs it any more, and collected with
//! the application by owner reference.

use std::collections::BTreeSet;

use compass_crds::{Application, ApplicationStatus, application::DefinitionStatus, ids::ChildKind};
use k8s_openapi::api::core::v1::ConfigMap;
use kube::{
    Api, Resource, ResourceExt,
    api::{DeleteParams, Patch, PatchParams},
};
use serde_json::json;

use super::{
    APPLICATION_LABEL, CHILD_ANNOTATION, FIELD_MANAGER, children::Child, fetch::Definitions,
};
use crate::controllers::{
    Context,
    error::{Error, Result},
};

/// Writes `content` into the child's ConfigMap, owned by the application.
pub async fn store(
    ctx: &Context,
    app: &Application,
    child: &Child<'_>,
    name: &str,
    content: String,
) -> Result<()> {
    let namespace = app.namespace().ok_or(Error::Missing("namespace"))?;
    let owner = app.controller_owner_ref(&()).ok_or(Error::Missing("uid"))?;
    let kind = match child.kind {
        ChildKind::ApiDefinition => "apiDefinition",
        ChildKind::EventDefinition => "eventDefinition",
        ChildKind::Document => "document",
        ChildKind::Webhook => "webhook",
    };
    let config_map = json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {
            "name": name,
            "labels": { APPLICATION_LABEL: app.name_any() },
            "annotations": { CHILD_ANNOTATION: format!("{kind}/{}", child.name) },
            "ownerReferences": [owner],
        },
        "data": { "content": content },
    });
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &namespace);
    api.patch(
        name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&config_map),
    )
    .await?;
    Ok(())
}

/// Deletes the ConfigMaps `previous` refers to and `current` no longer does.
pub async fn delete_unused(
    ctx: &Context,
    app: &Application,
    previous: &ApplicationStatus,
    current: &Definitions,
) -> Result<()> {
    let names = |lists: [&Vec<DefinitionStatus>; 3]| -> BTreeSet<String> {
        lists
            .into_iter()
            .flatten()
            .filter_map(|d| d.fetch.as_ref()?.config_map.clone())
            .collect()
    };
    let before = names([
        &previous.api_definitions,
        &previous.event_definitions,
        &previous.documents,
    ]);
    let after = names([
        &current.api_definitions,
        &current.event_definitions,
        &current.documents,
    ]);
    let Some(namespace) = app.namespace() else {
        return Ok(());
    };
    let api: Api<ConfigMap> = Api::namespaced(ctx.client.clone(), &namespace);
    for name in before.difference(&after) {
        match api.delete(name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.is_not_found() => {}
            Err(error) => return Err(error.into()),
        }
    }
    Ok(())
}
