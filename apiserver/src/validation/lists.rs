//! `x-kubernetes-list-type` at validation time: unique items of sets and unique keys of list-maps,
//! worded as kube-apiserver words them, and how items of an old list are matched to new ones
//! (by key for maps, by value for sets, not at all for atomic lists).

use serde_json::{Map, Value};

use super::schema::{ListType, Node};
use super::{child, index};
use crate::errors::FieldError;

/// Checks the uniqueness rules of the node's list type.
pub(super) fn check_list(node: &Node, items: &[Value], path: &str, out: &mut Vec<FieldError>) {
    match &node.list_type {
        ListType::Atomic => {}
        ListType::Set => {
            for (i, item) in items.iter().enumerate() {
                if items[..i].contains(item) {
                    out.push(FieldError::duplicate(index(path, i), item.clone()));
                }
            }
        }
        ListType::Map(keys) => {
            let required = node.items.as_ref().map(|i| i.checks.required.as_slice());
            check_map(keys, required.unwrap_or_default(), items, path, out);
        }
    }
}

/// Checks that list-map items are objects with unique keys. A missing key is reported here only
/// when the item schema does not already require it.
fn check_map(
    keys: &[String],
    required: &[String],
    items: &[Value],
    path: &str,
    out: &mut Vec<FieldError>,
) {
    let mut seen: Vec<Map<String, Value>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = index(path, i);
        let Some(object) = item.as_object() else {
            let detail = "must be an object for an array of list-type map";
            out.push(FieldError::invalid(at, item.clone(), detail));
            continue;
        };
        let mut key = Map::new();
        for name in keys {
            match object.get(name) {
                Some(v) => {
                    key.insert(name.clone(), v.clone());
                }
                None if required.contains(name) => {}
                None => out.push(FieldError::required(child(&at, name), "")),
            }
        }
        if key.len() != keys.len() {
            continue;
        }
        if seen.contains(&key) {
            out.push(FieldError::duplicate(at, Value::Object(key)));
        } else {
            seen.push(key);
        }
    }
}

/// The item of the old list that corresponds to `item`, if the list type allows matching.
pub(super) fn correlate<'a>(
    node: &Node,
    item: &Value,
    old: Option<&'a Value>,
) -> Option<&'a Value> {
    let old_items = old?.as_array()?;
    match &node.list_type {
        ListType::Atomic => None,
        ListType::Set => old_items.iter().find(|o| *o == item),
        ListType::Map(keys) => {
            let key_of = |v: &Value| -> Option<Vec<Value>> {
                keys.iter().map(|k| v.get(k).cloned()).collect()
            };
            let wanted = key_of(item)?;
            old_items
                .iter()
                .find(|o| key_of(o).as_ref() == Some(&wanted))
        }
    }
}
