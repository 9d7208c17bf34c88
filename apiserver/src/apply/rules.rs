//! Merge rules: how each path of an object merges and is tracked, read from a structural schema
//! the way structured-merge-diff reads `x-kubernetes-*` extensions.

use std::collections::BTreeMap;

use serde_json::Value;

/// How lists and maps merge at each path, read from a structural schema
/// (`x-kubernetes-list-type` atomic|set|map with `x-kubernetes-list-map-keys`,
/// `x-kubernetes-map-type`, `x-kubernetes-struct-type`).
///
/// Defaults are those of Kubernetes: lists are atomic unless declared otherwise, objects are
/// granular. Without a schema (built-in kinds) every list is atomic and every object granular.
/// Object metadata always follows `ObjectMeta`: `metadata.finalizers` is a set,
/// `metadata.ownerReferences` a map keyed by `uid`, and the server-owned fields (`uid`,
/// `resourceVersion`, `generation`, timestamps, `managedFields`, ...) are never tracked.
#[derive(Clone, Debug)]
pub struct MergeRules {
    root: Shape,
}

/// The merge behaviour of one node of an object.
#[derive(Clone, Debug)]
pub(crate) enum Shape {
    /// Nothing is declared: objects are granular with deduced children, lists atomic.
    Deduced,
    /// Replaced and owned as a whole: scalars, atomic lists, atomic objects.
    Leaf,
    /// An object whose fields merge one by one; fields not listed use `other`.
    Object {
        /// Declared properties.
        fields: BTreeMap<String, Shape>,
        /// Shape of undeclared properties (`additionalProperties`).
        other: Box<Shape>,
    },
    /// An associative list: a set of scalars or a map keyed by some item fields.
    List {
        /// How items are identified.
        kind: ListKind,
        /// Shape of one item.
        item: Box<Shape>,
    },
    /// A field the field manager never tracks; `from_config` says whether an applied
    /// configuration may set it (`apiVersion`, `kind`, `metadata.name`) or the live value always
    /// stays (server-owned metadata).
    Ignored {
        /// Whether apply takes the value from the configuration.
        from_config: bool,
    },
}

/// How the items of an associative list are identified.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ListKind {
    /// `x-kubernetes-list-type: set`: items are scalars identified by value.
    Set,
    /// `x-kubernetes-list-type: map`: items are objects identified by these fields.
    Map(Vec<String>),
}

/// Shape of undeclared children of a deduced object.
static DEDUCED: Shape = Shape::Deduced;

/// `ObjectMeta` fields the server owns; apply keeps the live values and nobody owns them.
const SERVER_METADATA: [&str; 8] = [
    "uid",
    "resourceVersion",
    "generation",
    "creationTimestamp",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "managedFields",
    "selfLink",
];

// === impl MergeRules ===

impl MergeRules {
    /// Rules for objects validated by `schema` (a CRD version's `openAPIV3Schema`), or for a
    /// built-in kind when `schema` is `None`.
    pub fn from_schema(schema: Option<&Value>) -> Self {
        let (mut fields, other) = match schema.map(shape_of) {
            Some(Shape::Object { fields, other }) => (fields, other),
            _ => (BTreeMap::new(), Box::new(Shape::Deduced)),
        };
        for name in ["apiVersion", "kind"] {
            fields.insert(name.to_owned(), Shape::Ignored { from_config: true });
        }
        fields.insert("metadata".to_owned(), object_meta());
        Self {
            root: Shape::Object { fields, other },
        }
    }

    /// The shape of the whole object.
    pub(crate) fn root(&self) -> &Shape {
        &self.root
    }
}

impl Default for MergeRules {
    fn default() -> Self {
        Self::from_schema(None)
    }
}

// === impl Shape ===

impl Shape {
    /// Whether an object value at this node merges field by field.
    pub(crate) fn is_granular_object(&self) -> bool {
        matches!(self, Self::Deduced | Self::Object { .. })
    }

    /// The item kind and shape when this node is an associative list.
    pub(crate) fn as_list(&self) -> Option<(&ListKind, &Shape)> {
        match self {
            Self::List { kind, item } => Some((kind, item)),
            _ => None,
        }
    }

    /// The shape of property `name` of an object at this node.
    pub(crate) fn child(&self, name: &str) -> &Shape {
        match self {
            Self::Object { fields, other } => fields.get(name).unwrap_or(other),
            _ => &DEDUCED,
        }
    }
}

/// The rules `ObjectMeta` follows in kube-apiserver, whatever a CRD schema says about metadata.
fn object_meta() -> Shape {
    let mut fields = BTreeMap::new();
    for name in ["name", "namespace"] {
        fields.insert(name.to_owned(), Shape::Ignored { from_config: true });
    }
    for name in SERVER_METADATA {
        fields.insert(name.to_owned(), Shape::Ignored { from_config: false });
    }
    let set = Shape::List {
        kind: ListKind::Set,
        item: Box::new(Shape::Leaf),
    };
    fields.insert("finalizers".to_owned(), set);
    let owners = Shape::List {
        kind: ListKind::Map(vec!["uid".to_owned()]),
        item: Box::new(Shape::Deduced),
    };
    fields.insert("ownerReferences".to_owned(), owners);
    Shape::Object {
        fields,
        other: Box::new(Shape::Deduced),
    }
}

/// Reads one node of a structural schema.
fn shape_of(schema: &Value) -> Shape {
    if schema["x-kubernetes-int-or-string"] == Value::Bool(true) {
        return Shape::Leaf;
    }
    let kind = schema["type"].as_str().unwrap_or("");
    if kind == "array" || (kind.is_empty() && schema.get("items").is_some()) {
        return list_shape(schema);
    }
    let has_properties =
        schema.get("properties").is_some() || schema.get("additionalProperties").is_some();
    if kind == "object" || (kind.is_empty() && has_properties) {
        return object_shape(schema);
    }
    match kind {
        // No type at all (for example `x-kubernetes-preserve-unknown-fields` alone): nothing is
        // known, so Kubernetes deduces the structure from the value.
        "" => Shape::Deduced,
        _ => Shape::Leaf,
    }
}

/// Reads an array schema; lists are atomic unless declared a set or a map.
fn list_shape(schema: &Value) -> Shape {
    let item = || Box::new(schema.get("items").map_or(Shape::Deduced, shape_of));
    match schema["x-kubernetes-list-type"].as_str() {
        Some("set") => Shape::List {
            kind: ListKind::Set,
            item: item(),
        },
        Some("map") => {
            let keys = schema["x-kubernetes-list-map-keys"]
                .as_array()
                .map(|keys| {
                    keys.iter()
                        .filter_map(|k| k.as_str().map(str::to_owned))
                        .collect::<Vec<_>>()
                })
                .unwrap_or_default();
            // NB: a map list without keys cannot identify items; kube-apiserver rejects such a
            // schema, so treating it as atomic only matters for schemas that slipped through.
            if keys.is_empty() {
                return Shape::Leaf;
            }
            Shape::List {
                kind: ListKind::Map(keys),
                item: item(),
            }
        }
        _ => Shape::Leaf,
    }
}

/// Reads an object schema; objects are granular unless declared atomic.
fn object_shape(schema: &Value) -> Shape {
    let atomic = |key: &str| schema[key].as_str() == Some("atomic");
    if atomic("x-kubernetes-map-type") || atomic("x-kubernetes-struct-type") {
        return Shape::Leaf;
    }
    let fields = schema["properties"]
        .as_object()
        .map(|props| {
            props
                .iter()
                .map(|(name, prop)| (name.clone(), shape_of(prop)))
                .collect()
        })
        .unwrap_or_default();
    let other = match schema.get("additionalProperties") {
        Some(extra @ Value::Object(_)) => shape_of(extra),
        _ => Shape::Deduced,
    };
    Shape::Object {
        fields,
        other: Box::new(other),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn spec_field<'a>(rules: &'a MergeRules, name: &str) -> &'a Shape {
        rules.root().child("spec").child(name)
    }

    #[test]
    fn schema_extensions_select_how_each_path_merges() {
        let rules = MergeRules::from_schema(Some(&json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {
                "atomicMap": {"type": "object", "x-kubernetes-map-type": "atomic"},
                "atomicStruct": {"type": "object", "x-kubernetes-struct-type": "atomic"},
                "plainList": {"type": "array", "items": {"type": "string"}},
                "set": {"type": "array", "x-kubernetes-list-type": "set",
                        "items": {"type": "string"}},
                "map": {"type": "array", "x-kubernetes-list-type": "map",
                        "x-kubernetes-list-map-keys": ["name", "port"],
                        "items": {"type": "object"}},
                "port": {"x-kubernetes-int-or-string": true},
                "free": {"type": "object", "x-kubernetes-preserve-unknown-fields": true}
            }}}
        })));
        for atomic in ["atomicMap", "atomicStruct", "plainList", "port"] {
            assert!(
                matches!(spec_field(&rules, atomic), Shape::Leaf),
                "{atomic}"
            );
        }
        let set = spec_field(&rules, "set")
            .as_list()
            .map(|(kind, _)| kind.clone());
        assert_eq!(set, Some(ListKind::Set));
        let map = spec_field(&rules, "map")
            .as_list()
            .map(|(kind, _)| kind.clone());
        assert_eq!(map, Some(ListKind::Map(vec!["name".into(), "port".into()])));
        assert!(spec_field(&rules, "free").is_granular_object());
        assert!(spec_field(&rules, "undeclared").is_granular_object());
    }

    #[test]
    fn object_meta_rules_apply_whatever_the_schema_says_about_metadata() {
        let rules = MergeRules::from_schema(Some(&json!({
            "type": "object",
            "properties": {"metadata": {"type": "object"}}
        })));
        let meta = rules.root().child("metadata");
        let finalizers = meta.child("finalizers").as_list().map(|(k, _)| k.clone());
        assert_eq!(finalizers, Some(ListKind::Set));
        let owners = meta
            .child("ownerReferences")
            .as_list()
            .map(|(k, _)| k.clone());
        assert_eq!(owners, Some(ListKind::Map(vec!["uid".into()])));
        assert!(matches!(
            meta.child("resourceVersion"),
            Shape::Ignored { from_config: false }
        ));
        assert!(matches!(
            rules.root().child("kind"),
            Shape::Ignored { from_config: true }
        ));
    }

    #[test]
    fn without_a_schema_objects_are_granular_and_lists_atomic() {
        let rules = MergeRules::default();
        let data = rules.root().child("data");
        assert!(data.is_granular_object());
        assert!(data.child("anything").as_list().is_none());
    }
}
