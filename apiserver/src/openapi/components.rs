//! Component schemas of the built-in kinds and of the meta types every document references,
//! generated once per process from k8s-openapi through schemars.

use std::{collections::BTreeMap, sync::OnceLock};

use k8s_openapi::{
    api::{authentication, authorization, coordination, core, events, rbac},
    apiextensions_apiserver::pkg::apis::apiextensions::v1 as apiextensions,
    apimachinery::pkg::{apis::meta::v1 as meta, runtime::RawExtension},
};
use schemars::{JsonSchema, SchemaGenerator, generate::SchemaSettings};
use serde_json::{Value, json};

use super::GVK_EXTENSION;
use crate::resource::ResourceInfo;

/// The prefix of every reference between component schemas.
pub(super) const REF_PREFIX: &str = "#/components/schemas/";

/// `metav1.ObjectMeta`, the `metadata` of every kind.
pub(super) const OBJECT_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta";
/// `metav1.ListMeta`, the `metadata` of every list.
pub(super) const LIST_META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta";
/// `metav1.Status`, the answer to deletes and errors.
pub(super) const STATUS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Status";
/// `metav1.DeleteOptions`, the body of deletes.
pub(super) const DELETE_OPTIONS: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions";
/// `metav1.Patch`, the body of patches.
pub(super) const PATCH: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.Patch";
/// `metav1.WatchEvent`, one line of a watch stream.
pub(super) const WATCH_EVENT: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.WatchEvent";
/// `metav1.APIResourceList`, the discovery document of a group-version.
pub(super) const API_RESOURCE_LIST: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.APIResourceList";

/// The schemas the operations of every document reference, whatever kinds it holds.
pub(super) const SHARED: &[&str] = &[
    OBJECT_META,
    LIST_META,
    STATUS,
    DELETE_OPTIONS,
    PATCH,
    WATCH_EVENT,
    API_RESOURCE_LIST,
];

/// A built-in kind whose schema comes from k8s-openapi; every built-in kind is at `v1`.
struct BuiltinKind {
    group: &'static str,
    kind: &'static str,
    /// Whether upstream lists `metadata` as required. k8s-openapi marks it required on every kind
    /// (its Rust field is not optional), but kube-apiserver only does so for core/v1 Event.
    metadata_required: bool,
}

impl BuiltinKind {
    /// The component name, for example `io.k8s.api.core.v1.Namespace`.
    fn component(&self) -> String {
        let package = match self.group {
            "" => "io.k8s.api.core.v1",
            "apiextensions.k8s.io" => "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1",
            group => {
                let short = group.split('.').next().unwrap_or(group);
                return format!("io.k8s.api.{short}.v1.{}", self.kind);
            }
        };
        format!("{package}.{}", self.kind)
    }
}

const fn builtin(group: &'static str, kind: &'static str) -> BuiltinKind {
    BuiltinKind {
        group,
        kind,
        metadata_required: false,
    }
}

const BUILTIN_KINDS: &[BuiltinKind] = &[
    builtin("", "Namespace"),
    builtin("", "Secret"),
    builtin("", "ConfigMap"),
    BuiltinKind {
        metadata_required: true,
        ..builtin("", "Event")
    },
    builtin("", "ServiceAccount"),
    builtin("events.k8s.io", "Event"),
    builtin("coordination.k8s.io", "Lease"),
    builtin("apiextensions.k8s.io", "CustomResourceDefinition"),
    builtin("rbac.authorization.k8s.io", "Role"),
    builtin("rbac.authorization.k8s.io", "ClusterRole"),
    builtin("rbac.authorization.k8s.io", "RoleBinding"),
    builtin("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    builtin("authorization.k8s.io", "SelfSubjectAccessReview"),
    builtin("authorization.k8s.io", "SubjectAccessReview"),
    builtin("authorization.k8s.io", "LocalSubjectAccessReview"),
    builtin("authorization.k8s.io", "SelfSubjectRulesReview"),
    builtin("authentication.k8s.io", "SelfSubjectReview"),
    builtin("authentication.k8s.io", "TokenReview"),
    builtin("authentication.k8s.io", "TokenRequest"),
];

/// The component names of one kind and its list kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct KindNames {
    /// The kind's component, for example `io.k8s.api.core.v1.Namespace`.
    pub kind: String,
    /// The list kind's component, for example `io.k8s.api.core.v1.NamespaceList`.
    pub list: String,
}

/// The property schemas every object and list shares, taken from the generated built-ins so that
/// CRD kinds describe them in the same words.
#[derive(Debug)]
pub(super) struct StandardFields {
    pub api_version: Value,
    pub kind: Value,
    pub object_metadata: Value,
    pub list_metadata: Value,
}

/// The built-in component schemas, keyed by component name.
#[derive(Debug)]
pub(super) struct Library {
    schemas: BTreeMap<String, Value>,
    standard: StandardFields,
}

/// The process-wide library; generating it takes a few milliseconds, so it is done once.
pub(super) fn library() -> &'static Library {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    LIBRARY.get_or_init(Library::generate)
}

// === impl Library ===

impl Library {
    fn generate() -> Self {
        let mut schemas: BTreeMap<String, Value> = generate_definitions().into_iter().collect();
        super::builtin_extensions::apply(&mut schemas);

        let namespace = &schemas["io.k8s.api.core.v1.Namespace"]["properties"];
        let standard = StandardFields {
            api_version: namespace["apiVersion"].clone(),
            kind: namespace["kind"].clone(),
            object_metadata: json!({
                "allOf": [{ "$ref": format!("{REF_PREFIX}{OBJECT_META}") }],
                "description": namespace["metadata"]["description"].clone(),
            }),
            list_metadata: json!({
                "allOf": [{ "$ref": format!("{REF_PREFIX}{LIST_META}") }],
                "description": schemas[STATUS]["properties"]["metadata"]["description"].clone(),
            }),
        };

        for builtin in BUILTIN_KINDS {
            let component = builtin.component();
            let Some(schema) = schemas.get_mut(&component) else {
                continue;
            };
            if !builtin.metadata_required {
                drop_required(schema, "metadata");
            }
            schema[GVK_EXTENSION] = json!([gvk(builtin.group, "v1", builtin.kind)]);
            let list_kind = format!("{}List", builtin.kind);
            let list = list_schema(
                &standard,
                &component,
                &gvk(builtin.group, "v1", &list_kind),
                &format!("{list_kind} is a list of {} objects.", builtin.kind),
                &format!("The {} objects in the list.", builtin.kind),
            );
            schemas.insert(format!("{component}List"), list);
        }
        Self { schemas, standard }
    }

    /// The schema of a component and its stored name.
    pub(super) fn get_key_value(&self, name: &str) -> Option<(&String, &Value)> {
        self.schemas.get_key_value(name)
    }

    /// The property schemas objects and lists share.
    pub(super) fn standard(&self) -> &StandardFields {
        &self.standard
    }

    /// The component of a built-in kind named by group and kind (at `v1`).
    pub(super) fn builtin_component(&self, group: &str, kind: &str) -> Option<String> {
        BUILTIN_KINDS
            .iter()
            .find(|b| b.group == group && b.kind == kind)
            .map(BuiltinKind::component)
    }

    /// The component names of a built-in kind, or `None` when its schema is not built in (CRD
    /// kinds, and built-in kinds this library does not know, which fall back to their own schema).
    pub(super) fn builtin_names(&self, resource: &ResourceInfo) -> Option<KindNames> {
        if !resource.builtin {
            return None;
        }
        BUILTIN_KINDS
            .iter()
            .find(|b| {
                b.group == resource.group && resource.version == "v1" && b.kind == resource.kind
            })
            .map(|b| KindNames {
                kind: b.component(),
                list: format!("{}List", b.component()),
            })
    }
}

/// Runs schemars over every built-in kind and shared meta type, with `$ref`s pointing at
/// `#/components/schemas/` and `$ref` siblings moved into `allOf`, as kube-apiserver writes them.
fn generate_definitions() -> serde_json::Map<String, Value> {
    let mut generator: SchemaGenerator = SchemaSettings::openapi3().into_generator();
    register::<core::v1::Namespace>(&mut generator);
    register::<core::v1::Secret>(&mut generator);
    register::<core::v1::ConfigMap>(&mut generator);
    register::<core::v1::Event>(&mut generator);
    register::<events::v1::Event>(&mut generator);
    register::<coordination::v1::Lease>(&mut generator);
    register::<apiextensions::CustomResourceDefinition>(&mut generator);
    register::<core::v1::ServiceAccount>(&mut generator);
    register::<rbac::v1::Role>(&mut generator);
    register::<rbac::v1::ClusterRole>(&mut generator);
    register::<rbac::v1::RoleBinding>(&mut generator);
    register::<rbac::v1::ClusterRoleBinding>(&mut generator);
    register::<authorization::v1::SelfSubjectAccessReview>(&mut generator);
    register::<authorization::v1::SubjectAccessReview>(&mut generator);
    register::<authorization::v1::LocalSubjectAccessReview>(&mut generator);
    register::<authorization::v1::SelfSubjectRulesReview>(&mut generator);
    register::<authentication::v1::SelfSubjectReview>(&mut generator);
    register::<authentication::v1::TokenReview>(&mut generator);
    register::<authentication::v1::TokenRequest>(&mut generator);
    register::<meta::ObjectMeta>(&mut generator);
    register::<meta::ListMeta>(&mut generator);
    register::<meta::Status>(&mut generator);
    register::<meta::DeleteOptions>(&mut generator);
    register::<meta::Patch>(&mut generator);
    register::<meta::WatchEvent<RawExtension>>(&mut generator);
    register::<meta::APIResourceList>(&mut generator);
    generator.take_definitions(true)
}

fn register<T: JsonSchema>(generator: &mut SchemaGenerator) {
    // Only the side effect matters: the type and everything it references land in the
    // generator's definitions under their `io.k8s...` names.
    let _ = generator.subschema_for::<T>();
}

/// `{"group", "kind", "version"}`, the value of the group-version-kind extension. Keys and values
/// must match what operations carry exactly: kubectl compares them as maps.
pub(super) fn gvk(group: &str, version: &str, kind: &str) -> Value {
    json!({ "group": group, "kind": kind, "version": version })
}

/// The schema of a list kind whose items are the component `item`.
pub(super) fn list_schema(
    standard: &StandardFields,
    item: &str,
    list_gvk: &Value,
    description: &str,
    items_description: &str,
) -> Value {
    json!({
        "description": description,
        "type": "object",
        "required": ["items"],
        "properties": {
            "apiVersion": standard.api_version,
            "items": {
                "description": items_description,
                "type": "array",
                "items": { "$ref": format!("{REF_PREFIX}{item}") },
            },
            "kind": standard.kind,
            "metadata": standard.list_metadata,
        },
        GVK_EXTENSION: [list_gvk],
    })
}

fn drop_required(schema: &mut Value, field: &str) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(Value::Array(required)) = object.get_mut("required") {
        required.retain(|name| name != field);
        if required.is_empty() {
            object.remove("required");
        }
    }
}

/// Appends the component names `schema` references to `out`.
pub(super) fn references(schema: &Value, out: &mut Vec<String>) {
    match schema {
        Value::Object(object) => {
            for (key, value) in object {
                match (key.as_str(), value) {
                    ("$ref", Value::String(reference)) => {
                        if let Some(name) = reference.strip_prefix(REF_PREFIX) {
                            out.push(name.to_string());
                        }
                    }
                    _ => references(value, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| references(item, out)),
        _ => {}
    }
}
