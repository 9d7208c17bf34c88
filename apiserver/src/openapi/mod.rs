//! The OpenAPI v3 documents kubectl reads to validate and explain objects: the root index at
//! `/openapi/v3` and one self-contained document per served group-version, shaped the way
//! kube-apiserver shapes them.
//!
//! `kubectl apply` looks in a group-version document for a PATCH operation tagged with the kind's
//! `x-kubernetes-group-version-kind` that takes a `fieldValidation` parameter; when it finds one it
//! sends `fieldValidation=Strict` and leaves validation to the server. `kubectl explain` finds the
//! kind through the paths, then the component schema carrying the same group-version-kind, and
//! walks its properties. Built-in kinds take their schemas from k8s-openapi; CRD-defined kinds
//! take their `openAPIV3Schema`.

mod builtin_extensions;
mod components;
mod custom;
mod params;
mod paths;
pub mod v2;

#[cfg(test)]
mod build_tests;
#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod kubectl_check;
#[cfg(test)]
mod tests;

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::Arc,
};

use bytes::Bytes;
use serde::Serialize;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha512};

use crate::resource::ResourceInfo;

use self::components::{Library, library};

/// The key of the extension that ties operations and component schemas to a kind.
pub const GVK_EXTENSION: &str = "x-kubernetes-group-version-kind";

/// The OpenAPI v3 documents of the resources the server currently serves. Cheap to clone.
#[derive(Clone, Debug)]
pub struct OpenApiDocuments {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    index: Value,
    documents: BTreeMap<String, GroupVersionDocument>,
}

/// One serialized group-version document and the hash clients see in its URL.
#[derive(Clone, Debug)]
struct GroupVersionDocument {
    /// The resources it was rendered from, sorted, to tell whether an update can reuse it.
    resources: Vec<ResourceInfo>,
    bytes: Bytes,
    hash: String,
}

impl OpenApiDocuments {
    /// Builds every document for the given served resources (built-in and CRD-defined, all
    /// versions). The same resources always give the same bytes and hashes.
    pub fn build(resources: &[ResourceInfo]) -> Self {
        Self::assemble(resources, None)
    }

    /// Like [`build`](Self::build), but reuses the documents of group-versions whose resources
    /// are unchanged since `self` was built; a CRD change then renders only its own
    /// group-version. The result is identical to a fresh build.
    pub fn update(&self, resources: &[ResourceInfo]) -> Self {
        Self::assemble(resources, Some(self))
    }

    fn assemble(resources: &[ResourceInfo], previous: Option<&Self>) -> Self {
        let library = library();
        let mut by_gv: BTreeMap<String, Vec<ResourceInfo>> = BTreeMap::new();
        for resource in resources {
            by_gv
                .entry(group_version_path(&resource.group, &resource.version))
                .or_default()
                .push(resource.clone());
        }

        let mut documents = BTreeMap::new();
        let mut index_paths = Map::new();
        for (gv_path, mut members) in by_gv {
            // Sort so that the order resources were registered in never changes the bytes.
            members.sort_by(|a, b| (&a.plural, &a.kind).cmp(&(&b.plural, &b.kind)));
            let reusable = previous
                .and_then(|p| p.inner.documents.get(&gv_path))
                .filter(|doc| doc.resources == members);
            let document = match reusable {
                Some(doc) => doc.clone(),
                None => {
                    let bytes = Bytes::from(render_group_version(library, &gv_path, &members));
                    let hash = hash_hex(&bytes);
                    GroupVersionDocument {
                        resources: members,
                        bytes,
                        hash,
                    }
                }
            };
            index_paths.insert(
                gv_path.clone(),
                json!({
                    "serverRelativeURL": format!("/openapi/v3/{gv_path}?hash={}", document.hash)
                }),
            );
            documents.insert(gv_path, document);
        }

        Self {
            inner: Arc::new(Inner {
                index: json!({ "paths": index_paths }),
                documents,
            }),
        }
    }

    /// The root index served at `/openapi/v3`:
    /// `{"paths": {"api/v1": {"serverRelativeURL": "/openapi/v3/api/v1?hash=<HASH>"}, ...}}`.
    pub fn index(&self) -> &Value {
        &self.inner.index
    }

    /// The document of one group-version (`api/v1`, `apis/compass.kyma-project.io/v1alpha1`; a
    /// leading `/` is ignored) as JSON bytes, and its hash: the uppercase hex SHA-512 of those
    /// bytes, which kube-apiserver also uses as the ETag. `None` for a group-version not served.
    pub fn document(&self, group_version_path: &str) -> Option<(&Bytes, &str)> {
        let key = group_version_path.trim_start_matches('/');
        self.inner
            .documents
            .get(key)
            .map(|doc| (&doc.bytes, doc.hash.as_str()))
    }

    /// The group-version paths that have a document, in the order of the index.
    #[cfg(test)]
    pub fn group_version_paths(&self) -> impl Iterator<Item = &str> {
        self.inner.documents.keys().map(String::as_str)
    }
}

impl Default for OpenApiDocuments {
    fn default() -> Self {
        Self::build(&[])
    }
}

/// The path of a group-version below `/openapi/v3/`: `api/v1` for the core group,
/// `apis/<group>/<version>` otherwise.
pub fn group_version_path(group: &str, version: &str) -> String {
    if group.is_empty() {
        format!("api/{version}")
    } else {
        format!("apis/{group}/{version}")
    }
}

/// The document as it is serialized; borrowing the component schemas spares a deep copy of each
/// shared schema per document, and the sorted maps make the bytes deterministic.
#[derive(Serialize)]
struct Document<'a> {
    openapi: &'static str,
    info: Value,
    paths: Map<String, Value>,
    components: Components<'a>,
}

#[derive(Serialize)]
struct Components<'a> {
    schemas: BTreeMap<&'a str, &'a Value>,
}

/// Renders the document of one group-version.
fn render_group_version(library: &Library, gv_path: &str, members: &[ResourceInfo]) -> Vec<u8> {
    let mut local: BTreeMap<String, Value> = BTreeMap::new();
    let mut roots: BTreeSet<String> = components::SHARED.iter().map(|s| s.to_string()).collect();
    let mut path_items = Map::new();
    path_items.insert(
        format!("/{gv_path}/"),
        paths::api_resources_path(&members[0]),
    );

    for resource in members {
        let builtin = library.builtin_names(resource);
        // Only built-in kinds take strategic merge patches, as with kube-apiserver.
        let strategic = builtin.is_some();
        let names = builtin.unwrap_or_else(|| {
            let (names, kind_schema, list_schema) = custom::components(library, resource);
            local.insert(names.kind.clone(), kind_schema);
            local.insert(names.list.clone(), list_schema);
            names
        });
        let subresources: Vec<paths::CreateOnly<'_>> = resource
            .create_subresources
            .iter()
            .filter_map(|info| {
                let component = library.builtin_component(&info.group, &info.kind)?;
                roots.insert(component.clone());
                Some(paths::CreateOnly { info, component })
            })
            .collect();
        paths::add_resource(&mut path_items, resource, &names, strategic, &subresources);
        roots.insert(names.kind);
        if !resource.create_only {
            roots.insert(names.list);
        }
    }

    let schemas = closure(library, &local, roots);
    let document = Document {
        openapi: "3.0.0",
        info: json!({ "title": "Kubernetes", "version": "unversioned" }),
        paths: path_items,
        components: Components { schemas },
    };
    // Serializing maps of strings and JSON values cannot fail.
    serde_json::to_vec(&document).unwrap_or_default()
}

/// Every schema the roots reference, directly or through other schemas, so that each document
/// stands alone as kube-apiserver's do.
fn closure<'a>(
    library: &'a Library,
    local: &'a BTreeMap<String, Value>,
    roots: BTreeSet<String>,
) -> BTreeMap<&'a str, &'a Value> {
    let mut found: BTreeMap<&'a str, &'a Value> = BTreeMap::new();
    let mut pending: Vec<String> = roots.into_iter().collect();
    while let Some(name) = pending.pop() {
        if found.contains_key(name.as_str()) {
            continue;
        }
        let entry = local
            .get_key_value(&name)
            .or_else(|| library.get_key_value(&name));
        // NB: a name with no schema is a dangling reference; kubectl tolerates those, so the
        // document is still served rather than failing every client.
        let Some((key, schema)) = entry else { continue };
        components::references(schema, &mut pending);
        found.insert(key.as_str(), schema);
    }
    found
}

/// Uppercase hex SHA-512, the form kube-apiserver uses for OpenAPI ETags and `hash=` parameters.
fn hash_hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let digest = Sha512::digest(bytes);
    let mut out = String::with_capacity(digest.len() * 2);
    for byte in digest {
        let _ = write!(out, "{byte:02X}");
    }
    out
}
