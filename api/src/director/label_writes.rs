//! Writes labels cause beyond the object labelled, shared by the kinds whose mutations cause
//! them: the patches of `set*Label` and `delete*Label`, the label definition a key gets on its
//! first use (a LabelDefinition object, as the original created one), and the removal of a key
//! from every application and runtime of a tenant when its definition is deleted with
//! `deleteRelatedLabels`.

use async_graphql::Context;
use compass_crds::{
    Application, LabelDefinition, LabelDefinitionSpec, Runtime,
    labels::{SCENARIOS_KEY, object_name_for},
};
use kube::{Api, api::ObjectMeta};
use serde_json::{Map, Value, json};

use super::{
    context::{caches, client, create, merge},
    labels::{LABEL_ARGUMENTS, check_value, definition},
};
use crate::{
    errors::{ApiResult, Code, has_code},
    state::label_tag,
};

/// The merge patch setting one label of an application or runtime to `value` (the arguments of
/// the `set*Label` mutations): `scenarios` sets the scenarios the object is in; any other key is
/// checked against its definition, and defined first if it has none.
pub async fn set_patch(
    ctx: &Context<'_>,
    namespace: &str,
    key: &str,
    value: &Value,
) -> ApiResult<Value> {
    Ok(
        match check_value(caches(ctx), namespace, LABEL_ARGUMENTS, key, value)? {
            Some(scenarios) => json!({ "spec": { "scenarios": scenarios } }),
            None => {
                define_missing(ctx, namespace, [key]).await?;
                json!({ "spec": { "labels": { key: value } } })
            }
        },
    )
}

/// The merge patch removing one label of an application or runtime. Removing `scenarios` takes
/// the object out of every scenario.
pub fn unset_patch(key: &str) -> Value {
    if key == SCENARIOS_KEY {
        json!({ "spec": { "scenarios": [] } })
    } else {
        json!({ "spec": { "labels": { key: null } } })
    }
}

/// A LabelDefinition object for `key` in a tenant namespace. Its name is derived from the key
/// (keys need not be valid object names); `spec.key` holds the key when the name differs.
pub fn new_definition(
    namespace: &str,
    key: &str,
    schema: Option<Map<String, Value>>,
) -> LabelDefinition {
    let name = object_name_for(key);
    let spec_key = (name != key).then(|| key.to_owned());
    LabelDefinition {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: Some(namespace.to_owned()),
            ..ObjectMeta::default()
        },
        spec: LabelDefinitionSpec {
            key: spec_key,
            schema,
        },
        status: None,
    }
}

/// Creates a label definition without a schema for every key that has none in the tenant, as
/// the original did on the first use of a key.
pub async fn define_missing<'k>(
    ctx: &Context<'_>,
    namespace: &str,
    keys: impl IntoIterator<Item = &'k str>,
) -> ApiResult<()> {
    let caches = caches(ctx);
    let api: Api<LabelDefinition> = Api::namespaced(client(ctx), namespace);
    for key in keys {
        if key == SCENARIOS_KEY || definition(caches, namespace, key).is_some() {
            continue;
        }
        let object = new_definition(namespace, key, None);
        match create(&api, &caches.label_definitions, &object, "LabelDefinition").await {
            Ok(_) => {}
            // Another request defined the key meanwhile.
            Err(e) if has_code(&e, Code::NotUnique) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Removes the label `key` from every application and runtime of the tenant that carries it.
pub async fn remove_everywhere(ctx: &Context<'_>, namespace: &str, key: &str) -> ApiResult<()> {
    let caches = caches(ctx);
    let patch = json!({ "spec": { "labels": { key: null } } });
    let tag = label_tag(namespace, key);
    let applications: Api<Application> = Api::namespaced(client(ctx), namespace);
    for application in caches.applications.tagged(&tag) {
        let name = application.metadata.name.clone().unwrap_or_default();
        merge(
            &applications,
            &caches.applications,
            &name,
            &patch,
            "Application",
        )
        .await?;
    }
    let runtimes: Api<Runtime> = Api::namespaced(client(ctx), namespace);
    for runtime in caches.runtimes.tagged(&tag) {
        let name = runtime.metadata.name.clone().unwrap_or_default();
        merge(&runtimes, &caches.runtimes, &name, &patch, "Runtime").await?;
    }
    Ok(())
}
