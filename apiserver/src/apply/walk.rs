//! Walks over object values guided by merge rules: the fields a value sets, and what changed
//! between two values, as field sets.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::fieldset::{FieldSet, field_key};
use super::rules::{ListKind, Shape};

/// What changed between two values of an object.
#[derive(Debug, Default)]
pub(crate) struct Diff {
    /// Paths whose value changed or that appeared (structured-merge-diff's Modified ∪ Added),
    /// including list-map items and set values that appeared.
    pub(crate) changed: FieldSet,
    /// Paths that disappeared, including list-map items and set values.
    pub(crate) removed: FieldSet,
}

/// The path element identifying `item` in an associative list: `v:<json>` for a set,
/// `k:<json of the key fields>` for a map. `None` when a map item carries none of the keys, so
/// it cannot be identified (the schema validation of the caller rejects such objects).
pub(crate) fn item_key(item: &Value, kind: &ListKind) -> Option<String> {
    match kind {
        ListKind::Set => Some(prefixed_json("v:", item)),
        ListKind::Map(keys) => {
            let object = item.as_object()?;
            let fields: Map<String, Value> = keys
                .iter()
                .filter_map(|k| object.get(k).map(|v| (k.clone(), v.clone())))
                .collect();
            // serde_json keeps object keys sorted, which is the order structured-merge-diff
            // sorts key fields in, so equal keys always encode alike.
            (!fields.is_empty()).then(|| prefixed_json("k:", &Value::Object(fields)))
        }
    }
}

/// `prefix` followed by `value` in compact JSON, encoded straight into the string's buffer.
fn prefixed_json(prefix: &str, value: &Value) -> String {
    let mut bytes = prefix.as_bytes().to_vec();
    // NB: encoding a `Value` into memory cannot fail, and what it writes is UTF-8.
    serde_json::to_writer(&mut bytes, value).expect("a JSON value encodes");
    String::from_utf8(bytes).expect("JSON is UTF-8")
}

/// The fields `value` sets, as structured-merge-diff's `ToFieldSet` computes them: leaves,
/// atomic values, list-map items (as members, with their fields) and set values. Empty granular
/// objects and lists set nothing.
pub(crate) fn to_set(value: &Value, shape: &Shape) -> FieldSet {
    if matches!(shape, Shape::Ignored { .. }) {
        return FieldSet::default();
    }
    match value {
        Value::Object(map) if shape.is_granular_object() => {
            let mut set = FieldSet::default();
            for (name, child) in map {
                set.add(field_key(name), to_set(child, shape.child(name)));
            }
            set
        }
        Value::Array(items) => match shape.as_list() {
            Some((kind, item_shape)) => items_set(items, kind, item_shape),
            None => FieldSet::leaf(),
        },
        _ => FieldSet::leaf(),
    }
}

/// The fields of an associative list: each identifiable item as a member, with its fields.
fn items_set(items: &[Value], kind: &ListKind, item_shape: &Shape) -> FieldSet {
    let mut set = FieldSet::default();
    for item in items {
        let Some(key) = item_key(item, kind) else {
            continue;
        };
        let mut child = match kind {
            ListKind::Set => FieldSet::default(),
            ListKind::Map(_) => to_set(item, item_shape),
        };
        child.member = true;
        set.add(key, child);
    }
    set
}

/// What changed from `old` to `new` (either absent), like structured-merge-diff's `Compare`.
pub(crate) fn compare(old: Option<&Value>, new: Option<&Value>, shape: &Shape) -> Diff {
    if matches!(shape, Shape::Ignored { .. }) || (old.is_none() && new.is_none()) {
        return Diff::default();
    }
    if shape.is_granular_object()
        && let Some((old_map, new_map)) = both(old, new, Value::as_object)
        && !(is_empty_map(old_map) && is_empty_map(new_map))
    {
        return compare_objects(old_map, new_map, shape);
    }
    if let Some((kind, item)) = shape.as_list()
        && let Some((old_items, new_items)) = both(old, new, Value::as_array)
        // NB: two empty lists compare as leaves, which keeps `[]` apart from absent.
        && !(old_items.is_none_or(Vec::is_empty) && new_items.is_none_or(Vec::is_empty))
    {
        return compare_lists(old_items, new_items, kind, item);
    }
    let mut diff = Diff::default();
    match (old, new) {
        (None, Some(_)) => diff.changed.member = true,
        (Some(_), None) => diff.removed.member = true,
        (Some(a), Some(b)) if a != b => diff.changed.member = true,
        _ => {}
    }
    diff
}

/// Each side viewed through `view`, when every present side has that form.
fn both<'a, T>(
    old: Option<&'a Value>,
    new: Option<&'a Value>,
    view: fn(&'a Value) -> Option<&'a T>,
) -> Option<(Option<&'a T>, Option<&'a T>)> {
    let side = |v: Option<&'a Value>| match v {
        None => Some(None),
        Some(v) => view(v).map(Some),
    };
    Some((side(old)?, side(new)?))
}

fn is_empty_map(map: Option<&Map<String, Value>>) -> bool {
    map.is_none_or(Map::is_empty)
}

fn compare_objects(
    old: Option<&Map<String, Value>>,
    new: Option<&Map<String, Value>>,
    shape: &Shape,
) -> Diff {
    let mut names: Vec<&String> = old.into_iter().flat_map(Map::keys).collect();
    names.extend(new.into_iter().flat_map(Map::keys));
    names.sort();
    names.dedup();
    let mut diff = Diff::default();
    for name in names {
        let child = compare(
            old.and_then(|m| m.get(name)),
            new.and_then(|m| m.get(name)),
            shape.child(name),
        );
        diff.attach(field_key(name), child);
    }
    diff
}

fn compare_lists(
    old: Option<&Vec<Value>>,
    new: Option<&Vec<Value>>,
    kind: &ListKind,
    item: &Shape,
) -> Diff {
    let old = index_items(old.map_or(&[][..], Vec::as_slice), kind);
    let new = index_items(new.map_or(&[][..], Vec::as_slice), kind);
    let mut keys: Vec<&String> = old.keys().chain(new.keys()).collect();
    keys.sort();
    keys.dedup();
    let mut diff = Diff::default();
    for key in keys {
        let (before, after) = (old.get(key).copied(), new.get(key).copied());
        let mut child = match kind {
            ListKind::Set => Diff::default(),
            ListKind::Map(_) => compare(before, after, item),
        };
        // The item itself appears or disappears as a whole, besides its fields.
        match (before, after) {
            (None, Some(_)) => child.changed.member = true,
            (Some(_), None) => child.removed.member = true,
            _ => {}
        }
        diff.attach(key.clone(), child);
    }
    diff
}

/// Items by path element; the first of duplicate items wins, unidentifiable items are skipped.
pub(crate) fn index_items<'a>(items: &'a [Value], kind: &ListKind) -> BTreeMap<String, &'a Value> {
    let mut index = BTreeMap::new();
    for item in items {
        if let Some(key) = item_key(item, kind) {
            index.entry(key).or_insert(item);
        }
    }
    index
}

// === impl Diff ===

impl Diff {
    fn attach(&mut self, key: String, child: Diff) {
        self.changed.add(key.clone(), child.changed);
        self.removed.add(key, child.removed);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::apply::MergeRules;

    fn rules() -> MergeRules {
        MergeRules::from_schema(Some(&json!({
            "type": "object",
            "properties": {"spec": {"type": "object", "properties": {
                "items": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "value": {"type": "string"}
                    }}
                },
                "tags": {"type": "array", "x-kubernetes-list-type": "set",
                         "items": {"type": "string"}},
                "args": {"type": "array", "items": {"type": "string"}}
            }}}
        })))
    }

    #[test]
    fn a_value_sets_leaves_items_and_set_values_but_not_server_metadata() {
        let object = json!({
            "apiVersion": "v1", "kind": "X",
            "metadata": {"name": "a", "uid": "u", "labels": {"app": "x"}, "finalizers": ["f"]},
            "spec": {"items": [{"name": "a", "value": "1"}], "tags": ["t"], "args": ["x"]}
        });
        let set = to_set(&object, rules().root());
        assert_eq!(
            set.to_fields_v1(),
            json!({
                "f:metadata": {"f:labels": {"f:app": {}}, "f:finalizers": {"v:\"f\"": {}}},
                "f:spec": {
                    "f:items": {"k:{\"name\":\"a\"}": {".": {}, "f:name": {}, "f:value": {}}},
                    "f:tags": {"v:\"t\"": {}},
                    "f:args": {}
                }
            })
        );
    }

    #[test]
    fn comparing_finds_changed_added_and_removed_items() {
        let old = json!({"spec": {"items": [{"name": "a", "value": "1"}, {"name": "b"}]}});
        let new = json!({"spec": {"items": [{"name": "a", "value": "2"}, {"name": "c"}]}});
        let diff = compare(Some(&old), Some(&new), rules().root());
        assert_eq!(
            diff.changed.to_fields_v1(),
            json!({"f:spec": {"f:items": {
                "k:{\"name\":\"a\"}": {"f:value": {}},
                "k:{\"name\":\"c\"}": {".": {}, "f:name": {}}
            }}})
        );
        assert_eq!(
            diff.removed.to_fields_v1(),
            json!({"f:spec": {"f:items": {"k:{\"name\":\"b\"}": {".": {}, "f:name": {}}}}})
        );
    }

    #[test]
    fn an_object_that_became_empty_is_a_removed_leaf_only_when_nothing_is_left() {
        let old = json!({"metadata": {"labels": {}}});
        let new = json!({"metadata": {}});
        let diff = compare(Some(&old), Some(&new), rules().root());
        assert_eq!(
            diff.removed.to_fields_v1(),
            json!({"f:metadata": {"f:labels": {}}})
        );
    }
}
