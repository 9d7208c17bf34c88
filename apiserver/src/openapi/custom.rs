//! Component schemas of CRD-defined kinds, built from their `openAPIV3Schema` the way
//! kube-apiserver's CRD OpenAPI builder publishes them.

use serde_json::{Map, Value, json};

use super::{
    GVK_EXTENSION,
    components::{KindNames, Library, StandardFields, gvk, list_schema},
};
use crate::resource::ResourceInfo;

/// The component names of a CRD kind: the group reversed, then version and kind, so that
/// `compass.kyma-project.io/v1alpha1` `Application` becomes
/// `io.kyma-project.compass.v1alpha1.Application`.
pub(super) fn names(resource: &ResourceInfo) -> KindNames {
    let group = if resource.group.is_empty() {
        // Only a built-in kind the library does not know can get here with the core group.
        "io.k8s.api.core".to_string()
    } else {
        resource
            .group
            .split('.')
            .rev()
            .collect::<Vec<_>>()
            .join(".")
    };
    let prefix = format!("{group}.{}", resource.version);
    KindNames {
        kind: format!("{prefix}.{}", resource.kind),
        list: format!("{prefix}.{}", list_kind(resource)),
    }
}

/// The names and the schemas of a CRD kind and of its list kind.
pub(super) fn components(library: &Library, resource: &ResourceInfo) -> (KindNames, Value, Value) {
    let names = names(resource);
    let standard = library.standard();
    let kind = kind_schema(standard, resource);
    let list_kind = list_kind(resource);
    let list = list_schema(
        standard,
        &names.kind,
        &gvk(&resource.group, &resource.version, &list_kind),
        &format!("{list_kind} is a list of {}", resource.kind),
        &format!(
            "List of {}. More info: https://git.k8s.io/community/contributors/devel/api-conventions.md",
            resource.plural
        ),
    );
    (names, kind, list)
}

fn list_kind(resource: &ResourceInfo) -> String {
    if resource.list_kind.is_empty() {
        format!("{}List", resource.kind)
    } else {
        resource.list_kind.clone()
    }
}

/// The kind's schema: its `openAPIV3Schema` with every extension kept, `apiVersion` and `kind`
/// described as on built-in kinds, and `metadata` pointing at `ObjectMeta`. kube-apiserver drops
/// whatever the CRD says about `metadata` (at most `name` constraints) in favour of the full
/// `ObjectMeta`, and `kubectl explain` relies on finding it there.
fn kind_schema(standard: &StandardFields, resource: &ResourceInfo) -> Value {
    let mut schema = match resource.schema.as_deref() {
        Some(Value::Object(object)) => object.clone(),
        // A version without a schema keeps any field, as kube-apiserver treats it.
        _ => preserve_unknown_fields(),
    };
    schema
        .entry("type")
        .or_insert_with(|| Value::String("object".into()));
    let properties = schema
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    if !properties.is_object() {
        *properties = Value::Object(Map::new());
    }
    if let Value::Object(properties) = properties {
        properties.insert("apiVersion".into(), standard.api_version.clone());
        properties.insert("kind".into(), standard.kind.clone());
        properties.insert("metadata".into(), standard.object_metadata.clone());
    }
    schema.insert(
        GVK_EXTENSION.into(),
        json!([gvk(&resource.group, &resource.version, &resource.kind)]),
    );
    Value::Object(schema)
}

fn preserve_unknown_fields() -> Map<String, Value> {
    let mut schema = Map::new();
    schema.insert("type".into(), "object".into());
    schema.insert("x-kubernetes-preserve-unknown-fields".into(), true.into());
    schema
}
