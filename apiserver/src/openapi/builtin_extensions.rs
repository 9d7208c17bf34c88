//! The list and patch extensions kube-apiserver publishes on built-in schemas and k8s-openapi
//! leaves out.
//!
//! They matter beyond cosmetics: a client-side `kubectl apply` of a built-in kind computes its
//! strategic merge patch from these documents, and without `x-kubernetes-patch-strategy: merge`
//! on `metadata.finalizers` or `metadata.ownerReferences` it would replace those lists whole
//! instead of merging them, unlike against kube-apiserver.

use std::collections::BTreeMap;

use serde_json::{Value, json};

/// Extensions set on one property of one component schema.
struct PropertyExtensions {
    component: String,
    property: &'static str,
    extensions: Value,
}

fn table() -> Vec<PropertyExtensions> {
    let set_merge = json!({
        "x-kubernetes-list-type": "set",
        "x-kubernetes-patch-strategy": "merge",
    });
    let atomic = json!({ "x-kubernetes-list-type": "atomic" });
    let map_by = |key: &str, patch: bool| {
        let mut extensions = json!({
            "x-kubernetes-list-map-keys": [key],
            "x-kubernetes-list-type": "map",
        });
        if patch {
            extensions["x-kubernetes-patch-merge-key"] = key.into();
            extensions["x-kubernetes-patch-strategy"] = "merge".into();
        }
        extensions
    };
    let meta = "io.k8s.apimachinery.pkg.apis.meta.v1";
    let crd = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1";
    let entries: Vec<(String, &'static str, Value)> = vec![
        (format!("{meta}.ObjectMeta"), "finalizers", set_merge),
        (
            format!("{meta}.ObjectMeta"),
            "ownerReferences",
            map_by("uid", true),
        ),
        (
            format!("{meta}.ObjectMeta"),
            "managedFields",
            atomic.clone(),
        ),
        (format!("{meta}.StatusDetails"), "causes", atomic.clone()),
        (
            format!("{meta}.LabelSelector"),
            "matchExpressions",
            atomic.clone(),
        ),
        (
            "io.k8s.api.core.v1.NamespaceSpec".into(),
            "finalizers",
            atomic.clone(),
        ),
        (
            "io.k8s.api.core.v1.NamespaceStatus".into(),
            "conditions",
            map_by("type", true),
        ),
        (
            format!("{crd}.CustomResourceDefinitionSpec"),
            "versions",
            atomic.clone(),
        ),
        (
            format!("{crd}.CustomResourceDefinitionStatus"),
            "conditions",
            map_by("type", false),
        ),
        (
            format!("{crd}.CustomResourceDefinitionStatus"),
            "storedVersions",
            atomic.clone(),
        ),
        (
            format!("{crd}.CustomResourceDefinitionNames"),
            "shortNames",
            atomic.clone(),
        ),
        (
            format!("{crd}.CustomResourceDefinitionNames"),
            "categories",
            atomic,
        ),
    ];
    entries
        .into_iter()
        .map(|(component, property, extensions)| PropertyExtensions {
            component,
            property,
            extensions,
        })
        .collect()
}

/// Adds the extensions of the table to the generated schemas. Entries whose component or
/// property is missing are skipped: the table must not break generation if k8s-openapi renames
/// something.
pub(super) fn apply(schemas: &mut BTreeMap<String, Value>) {
    for entry in table() {
        let property = schemas
            .get_mut(&entry.component)
            .and_then(|schema| schema.get_mut("properties"))
            .and_then(|properties| properties.get_mut(entry.property))
            .and_then(Value::as_object_mut);
        let (Some(property), Value::Object(extensions)) = (property, entry.extensions) else {
            continue;
        };
        property.extend(extensions);
    }
}
