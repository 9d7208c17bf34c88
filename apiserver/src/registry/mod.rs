//! What the server serves right now: the built-in kinds plus every served version of every CRD,
//! with their validators, merge rules, discovery documents and OpenAPI documents.
//!
//! Everything is held in an immutable [`Snapshot`], replaced as a whole when a CRD changes, so a
//! request reads one consistent view without holding a lock.

pub mod builtin;
pub mod crd;
pub mod discovery;

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, RwLock},
};

use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use serde_json::Value;

pub use builtin::Behaviour;

use crate::{
    apply::MergeRules, openapi::OpenApiDocuments, resource::ResourceInfo,
    validation::SchemaValidator,
};

/// One served version of one resource, with everything a request on it needs.
pub struct Served {
    /// Names, scope, subresources, schema and printer columns.
    pub info: ResourceInfo,
    /// Kind-specific behaviour.
    pub behaviour: Behaviour,
    /// Key the objects are stored under, shared by all versions of the resource.
    pub storage_key: String,
    /// The version objects are stored in.
    pub storage_version: String,
    /// Schema validation, for CRD-defined kinds.
    pub validator: Option<Arc<SchemaValidator>>,
    /// The storage version's schema when it has defaults: kube-apiserver applies them to every
    /// object it reads from storage, so a default added later, or one a version written through
    /// lacks, shows on reads.
    pub read_defaults: Option<Arc<SchemaValidator>>,
    /// How server-side apply merges lists and maps.
    pub merge_rules: Arc<MergeRules>,
    /// Extra fields (JSON paths without the leading dot) usable in field selectors.
    pub selectable_fields: Vec<String>,
}

/// A consistent view of everything served.
pub struct Snapshot {
    served: Vec<Arc<Served>>,
    by_path: HashMap<(String, String, String), Arc<Served>>,
    /// `/api`, `/apis` and every group-version's resource list.
    pub discovery: discovery::Documents,
    /// `/openapi/v3` documents.
    pub openapi: OpenApiDocuments,
}

impl Snapshot {
    /// The resource served at `group/version/plural`.
    pub fn lookup(&self, group: &str, version: &str, plural: &str) -> Option<Arc<Served>> {
        self.by_path
            .get(&(group.to_owned(), version.to_owned(), plural.to_owned()))
            .cloned()
    }

    /// Every served resource.
    pub fn served(&self) -> &[Arc<Served>] {
        &self.served
    }

    /// The resources of one storage key (all versions), storage version first.
    pub fn versions_of(&self, storage_key: &str) -> Vec<Arc<Served>> {
        let mut found: Vec<_> = self
            .served
            .iter()
            .filter(|s| s.storage_key == storage_key)
            .cloned()
            .collect();
        found.sort_by_key(|s| !s.info.storage_version);
        found
    }

    /// Distinct storage keys of namespaced resources: what a namespace can hold.
    pub fn namespaced_storage_keys(&self) -> Vec<String> {
        let mut keys: Vec<String> = self
            .served
            .iter()
            .filter(|s| s.info.namespaced)
            .map(|s| s.storage_key.clone())
            .collect();
        keys.sort();
        keys.dedup();
        keys
    }
}

/// Compiled validators, kept across rebuilds so an unchanged CRD is not compiled again.
type ValidatorCache = HashMap<(String, String), (Arc<Value>, Arc<SchemaValidator>)>;

/// The registry: the current snapshot, rebuilt when CRDs change.
pub struct Registry {
    current: RwLock<Arc<Snapshot>>,
    validators: Mutex<ValidatorCache>,
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

impl Registry {
    /// A registry serving only the built-in kinds.
    pub fn new() -> Self {
        let registry = Self {
            current: RwLock::new(Arc::new(build(Vec::new(), None))),
            validators: Mutex::new(HashMap::new()),
        };
        registry.rebuild(&[]);
        registry
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Rebuilds the snapshot from the built-in kinds and the given CRDs (those that are not
    /// fully deleted; each must have passed [`crd::validate`]).
    pub fn rebuild(&self, crds: &[CustomResourceDefinition]) {
        let mut served: Vec<Arc<Served>> = builtin::builtin_resources()
            .into_iter()
            .map(|(info, behaviour)| {
                Arc::new(Served {
                    storage_key: builtin::storage_key(&info, behaviour),
                    storage_version: info.version.clone(),
                    info,
                    behaviour,
                    validator: None,
                    read_defaults: None,
                    merge_rules: Arc::new(MergeRules::from_schema(None)),
                    selectable_fields: Vec::new(),
                })
            })
            .collect();
        let mut cache = self.validators.lock().unwrap_or_else(|p| p.into_inner());
        let mut kept: ValidatorCache = HashMap::new();
        for definition in crds {
            // Validation refuses these; one stored before that rule never shadows a built-in.
            if builtin::is_builtin_group(&definition.spec.group) {
                continue;
            }
            let storage_version = definition
                .spec
                .versions
                .iter()
                .find(|v| v.storage)
                .map(|v| v.name.clone())
                .unwrap_or_default();
            let mut versions = Vec::new();
            for version in crd::served_versions(definition) {
                let cache_key = (
                    definition.metadata.name.clone().unwrap_or_default(),
                    version.info.version.clone(),
                );
                let validator = version.info.schema.as_ref().and_then(|schema| {
                    if let Some((cached_schema, validator)) = cache.get(&cache_key)
                        && cached_schema == schema
                    {
                        kept.insert(cache_key.clone(), (schema.clone(), validator.clone()));
                        return Some(validator.clone());
                    }
                    let validator = Arc::new(SchemaValidator::new(schema).ok()?);
                    kept.insert(cache_key.clone(), (schema.clone(), validator.clone()));
                    Some(validator)
                });
                versions.push((version, validator));
            }
            let read_defaults = versions
                .iter()
                .find(|(version, _)| version.info.version == storage_version)
                .and_then(|(_, validator)| validator.clone())
                .filter(|validator| validator.has_defaults());
            for (version, validator) in versions {
                let merge_rules = Arc::new(MergeRules::from_schema(version.info.schema.as_deref()));
                served.push(Arc::new(Served {
                    storage_key: version.info.storage_key(),
                    storage_version: storage_version.clone(),
                    info: version.info,
                    behaviour: Behaviour::Custom,
                    validator,
                    read_defaults: read_defaults.clone(),
                    merge_rules,
                    selectable_fields: version.selectable_fields,
                }));
            }
        }
        *cache = kept;
        drop(cache);
        let previous = self.snapshot();
        let snapshot = Arc::new(build(served, Some(&previous.openapi)));
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = snapshot;
    }
}

/// Builds a snapshot; OpenAPI documents of unchanged group-versions are reused from `previous`.
fn build(served: Vec<Arc<Served>>, previous: Option<&OpenApiDocuments>) -> Snapshot {
    let by_path = served
        .iter()
        .map(|s| {
            (
                (
                    s.info.group.clone(),
                    s.info.version.clone(),
                    s.info.plural.clone(),
                ),
                s.clone(),
            )
        })
        .collect();
    let infos: Vec<ResourceInfo> = served.iter().map(|s| s.info.clone()).collect();
    Snapshot {
        discovery: discovery::Documents::build(&infos),
        openapi: match previous {
            Some(previous) => previous.update(&infos),
            None => OpenApiDocuments::build(&infos),
        },
        served,
        by_path,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// A CRD with a storage version `v1` and a served `v1beta1`; `v1` defaults `spec.size` when
    /// `with_default`.
    fn crd(with_default: bool) -> CustomResourceDefinition {
        let mut size = json!({"type": "integer"});
        if with_default {
            size["default"] = json!(3);
        }
        let schema = |spec: Value| json!({"openAPIV3Schema": {"type": "object", "properties": {"spec": spec}}});
        let spec = json!({"type": "object", "properties": {"size": size}});
        let loose = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true});
        serde_json::from_value(json!({
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "gadgets.toys.example.com"},
            "spec": {
                "group": "toys.example.com",
                "scope": "Namespaced",
                "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget", "listKind": "GadgetList"},
                "versions": [
                    {"name": "v1", "served": true, "storage": true, "schema": schema(spec)},
                    {"name": "v1beta1", "served": true, "storage": false, "schema": schema(loose)},
                ],
            },
        }))
        .unwrap()
    }

    #[test]
    fn every_version_reads_with_the_defaults_of_the_storage_version() {
        let registry = Registry::new();
        registry.rebuild(&[crd(true)]);
        let snapshot = registry.snapshot();
        for version in ["v1", "v1beta1"] {
            let served = snapshot
                .lookup("toys.example.com", version, "gadgets")
                .unwrap();
            let defaults = served.read_defaults.as_ref().expect("storage defaults");
            let mut object =
                json!({"apiVersion": "toys.example.com/v1", "kind": "Gadget", "spec": {}});
            defaults.apply_defaults(&mut object);
            assert_eq!(object["spec"]["size"], 3, "{version}");
        }
    }

    #[test]
    fn a_storage_version_without_defaults_adds_nothing_on_read() {
        let registry = Registry::new();
        registry.rebuild(&[crd(false)]);
        let served = registry
            .snapshot()
            .lookup("toys.example.com", "v1beta1", "gadgets")
            .unwrap();
        assert!(served.read_defaults.is_none());
    }
}
