//! Merging an applied configuration into a live object, and removing the fields an applier
//! stopped applying.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::fieldset::FieldSet;
use super::rules::{ListKind, Shape};
use super::walk::{index_items, item_key};

/// Merges `config` into `live` (absent when creating): objects merge field by field, list-maps
/// by key (live items keep their order and merge with the configured item, new items are
/// appended in configuration order), sets by value, and everything else is replaced.
///
/// Returns `None` only for a node that stays absent (a server-owned field the live object lacks).
pub(crate) fn merge(live: Option<&Value>, config: &Value, shape: &Shape) -> Option<Value> {
    match shape {
        Shape::Ignored { from_config: true } => return Some(config.clone()),
        Shape::Ignored { from_config: false } => return live.cloned(),
        _ => {}
    }
    match config {
        Value::Object(fields) if shape.is_granular_object() => {
            let mut out = live.and_then(Value::as_object).cloned().unwrap_or_default();
            for (name, value) in fields {
                match merge(out.get(name), value, shape.child(name)) {
                    Some(merged) => out.insert(name.clone(), merged),
                    None => out.remove(name),
                };
            }
            Some(Value::Object(out))
        }
        Value::Array(items) => match shape.as_list() {
            Some((kind, item)) => {
                let live = live
                    .and_then(Value::as_array)
                    .map_or(&[][..], Vec::as_slice);
                Some(Value::Array(merge_items(live, items, kind, item)))
            }
            None => Some(config.clone()),
        },
        _ => Some(config.clone()),
    }
}

fn merge_items(live: &[Value], config: &[Value], kind: &ListKind, shape: &Shape) -> Vec<Value> {
    let configured = index_items(config, kind);
    let mut done = BTreeSet::new();
    let mut out = Vec::with_capacity(live.len().max(config.len()));
    for item in live {
        let key = item_key(item, kind);
        match key.as_ref().and_then(|k| configured.get(k)) {
            Some(wanted) => {
                out.extend(merge(Some(item), wanted, shape));
                done.extend(key);
            }
            None => out.push(item.clone()),
        }
    }
    for item in config {
        // Later duplicates of an item were already merged through the first one.
        let fresh = item_key(item, kind).is_none_or(|key| done.insert(key));
        if fresh {
            out.extend(merge(None, item, shape));
        }
    }
    out
}

/// The paths an applier stopped applying that may be removed from the object: those of
/// `dropped` nobody in `owned` claims. A field stays when someone owns it or anything below it;
/// a list item or set value stays only when someone owns the item itself, as
/// structured-merge-diff decides.
pub(crate) fn prunable(dropped: &FieldSet, owned: &FieldSet) -> FieldSet {
    let mut out = FieldSet::default();
    for (key, node) in &dropped.children {
        let child = match owned.children.get(key) {
            None => node.clone(),
            Some(claimed) if node.member && !claimed.member && !key.starts_with("f:") => {
                FieldSet::leaf()
            }
            Some(claimed) => {
                let mut rest = prunable(node, claimed);
                rest.member = false;
                rest
            }
        };
        out.add(key.clone(), child);
    }
    out
}

/// Removes the paths of `set` from `value`. Containers left empty stay as `{}` or `[]`, as
/// kube-apiserver leaves them; the key fields of a list-map item that stays are never removed.
pub(crate) fn remove(value: &mut Value, set: &FieldSet, shape: &Shape) {
    match value {
        Value::Object(fields) if shape.is_granular_object() => {
            remove_fields(fields, set, shape, &[]);
        }
        Value::Array(items) => {
            if let Some((kind, item_shape)) = shape.as_list() {
                remove_items(items, set, kind, item_shape);
            }
        }
        _ => {}
    }
}

fn remove_fields(fields: &mut Map<String, Value>, set: &FieldSet, shape: &Shape, keep: &[String]) {
    for (key, node) in &set.children {
        let Some(name) = key.strip_prefix("f:") else {
            continue;
        };
        if keep.iter().any(|k| k == name) {
            continue;
        }
        if node.member {
            fields.remove(name);
        } else if let Some(child) = fields.get_mut(name) {
            remove(child, node, shape.child(name));
        }
    }
}

fn remove_items(items: &mut Vec<Value>, set: &FieldSet, kind: &ListKind, shape: &Shape) {
    let keys = match kind {
        ListKind::Map(keys) => keys.as_slice(),
        ListKind::Set => &[],
    };
    items.retain_mut(|item| {
        let Some(node) = item_key(item, kind).and_then(|k| set.children.get(&k)) else {
            return true;
        };
        if node.member {
            return false;
        }
        if let Value::Object(fields) = item {
            remove_fields(fields, node, shape, keys);
        }
        true
    });
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
                    "items": {"type": "object"}
                },
                "tags": {"type": "array", "x-kubernetes-list-type": "set",
                         "items": {"type": "string"}},
                "args": {"type": "array", "items": {"type": "string"}}
            }}}
        })))
    }

    #[test]
    fn list_map_items_keep_live_order_and_new_items_are_appended() {
        let live = json!({"spec": {"items": [
            {"name": "b", "value": "1", "extra": true}, {"name": "a", "value": "1"}
        ]}});
        let config = json!({"spec": {"items": [{"name": "c"}, {"name": "a", "value": "2"}]}});
        let merged = merge(Some(&live), &config, rules().root()).unwrap();
        assert_eq!(
            merged["spec"]["items"],
            json!([
                {"name": "b", "value": "1", "extra": true},
                {"name": "a", "value": "2"},
                {"name": "c"}
            ])
        );
    }

    #[test]
    fn sets_union_and_atomic_lists_are_replaced() {
        let live = json!({"spec": {"tags": ["x", "y"], "args": ["1", "2"]}});
        let config = json!({"spec": {"tags": ["z", "x"], "args": ["3"]}});
        let merged = merge(Some(&live), &config, rules().root()).unwrap();
        assert_eq!(merged["spec"]["tags"], json!(["x", "y", "z"]));
        assert_eq!(merged["spec"]["args"], json!(["3"]));
    }

    #[test]
    fn server_owned_metadata_is_never_taken_from_the_configuration() {
        let live = json!({"metadata": {"name": "a", "uid": "u1", "resourceVersion": "7"}});
        let config = json!({"metadata": {"name": "a", "uid": "u2", "creationTimestamp": null}});
        let merged = merge(Some(&live), &config, rules().root()).unwrap();
        assert_eq!(
            merged["metadata"],
            json!({"name": "a", "uid": "u1", "resourceVersion": "7"})
        );
    }

    #[test]
    fn an_item_owned_only_below_by_someone_else_is_still_pruned() {
        let dropped = FieldSet::from_fields_v1(&json!({"f:spec": {"f:items": {
            "k:{\"name\":\"a\"}": {".": {}, "f:name": {}}
        }, "f:nested": {"f:x": {}}}}))
        .unwrap();
        let owned = FieldSet::from_fields_v1(&json!({"f:spec": {"f:items": {
            "k:{\"name\":\"a\"}": {"f:value": {}}
        }}}))
        .unwrap();
        let whole_item_and_field = FieldSet::from_fields_v1(&json!({"f:spec": {
            "f:items": {"k:{\"name\":\"a\"}": {}}, "f:nested": {"f:x": {}}
        }}))
        .unwrap();
        assert_eq!(prunable(&dropped, &owned), whole_item_and_field);
    }

    #[test]
    fn removing_keeps_key_fields_of_items_that_stay() {
        let mut value = json!({"spec": {"items": [{"name": "a", "value": "1"}], "tags": ["x"]}});
        let set = FieldSet::from_fields_v1(&json!({"f:spec": {
            "f:items": {"k:{\"name\":\"a\"}": {"f:name": {}, "f:value": {}}},
            "f:tags": {"v:\"x\"": {}}
        }}))
        .unwrap();
        remove(&mut value, &set, rules().root());
        assert_eq!(
            value,
            json!({"spec": {"items": [{"name": "a"}], "tags": []}})
        );
    }
}
