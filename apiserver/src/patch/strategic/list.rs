//! Lists in a strategic merge patch: replacing, merging primitives or keyed objects, list-item
//! directives, and the element order apimachinery settles on after a merge.

use serde_json::{Map, Value};

use super::{Merger, PATCH, unknown_patch_type};
use crate::patch::strategic::strategy::{ListStrategy, list_strategy};
use crate::patch::{PatchError, json_equal};

/// What identifies an item when lists merge or reorder: the merge key's value for objects, the
/// item itself for primitives. `None` for an object without its merge key.
fn identity<'v>(item: &'v Value, key: Option<&str>) -> Option<&'v Value> {
    match key {
        Some(key) => item.get(key),
        None => Some(item),
    }
}

/// Position of `item` in `order`, matched by identity.
fn position(order: &[Value], item: &Value, key: Option<&str>) -> Option<usize> {
    let id = identity(item, key)?;
    order.iter().position(|o| json_equal(o, id))
}

/// Whether a list item is an instruction (`{"$patch": ...}`) rather than data.
fn is_directive(item: &Value) -> bool {
    item.as_object().is_some_and(|m| m.contains_key(PATCH))
}

fn missing_merge_key(item: &Value, key: &str) -> PatchError {
    PatchError::Malformed(format!(
        "map: {item} does not contain declared merge key: {key}"
    ))
}

impl Merger<'_> {
    /// The strategy of the list at `path`.
    fn strategy(&self, path: &[String]) -> ListStrategy {
        list_strategy(self.kind, path)
    }

    /// Merges the patch list into the live list of the field at `path`.
    pub(super) fn merge_list(
        &self,
        original: Vec<Value>,
        patch: &[Value],
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        match self.strategy(path) {
            ListStrategy::Replace => self.fresh_items(patch, path),
            ListStrategy::Merge { key } => self.merge_lists(original, patch, key, path),
        }
    }

    /// Items taken from the patch as the new list: directive items dropped, nested directives
    /// and nulls stripped from object items.
    fn fresh_items(
        &self,
        patch: &[Value],
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        let mut items = Vec::with_capacity(patch.len());
        for item in patch {
            match item {
                Value::Object(map) if map.contains_key(PATCH) => {
                    if !matches!(map[PATCH].as_str(), Some("replace" | "delete" | "merge")) {
                        return Err(unknown_patch_type(&map[PATCH], map));
                    }
                }
                Value::Object(map) => {
                    if let Some(map) = self.merge_map(Map::new(), map, path)? {
                        items.push(Value::Object(map));
                    }
                }
                Value::Array(inner) => items.push(Value::Array(self.fresh_items(inner, path)?)),
                scalar => items.push(scalar.clone()),
            }
        }
        Ok(items)
    }

    /// A `patchStrategy:"merge"` list: list-item directives first, then the union (primitives)
    /// or the per-key merge (objects), then apimachinery's ordering.
    fn merge_lists(
        &self,
        mut original: Vec<Value>,
        patch: &[Value],
        key: Option<&'static str>,
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        let mut replace = false;
        let mut items = Vec::with_capacity(patch.len());
        for item in patch {
            let Some(map) = item.as_object().filter(|m| m.contains_key(PATCH)) else {
                items.push(item.clone());
                continue;
            };
            match map[PATCH].as_str() {
                Some("replace") => replace = true,
                Some("delete") => {
                    let key = key.ok_or_else(|| missing_merge_key(item, ""))?;
                    let id = map.get(key).ok_or_else(|| missing_merge_key(item, key))?;
                    original.retain(|o| !o.get(key).is_some_and(|v| json_equal(v, id)));
                }
                // Apimachinery rejects this; merging is what happens anyway.
                Some("merge") => {}
                _ => return Err(unknown_patch_type(&map[PATCH], map)),
            }
        }
        if replace {
            return self.fresh_items(&items, path);
        }
        if original.is_empty() && items.is_empty() {
            return Ok(original);
        }
        if original.iter().chain(&items).any(Value::is_array) {
            return Err(PatchError::Unprocessable(
                "lists of lists are not supported".to_owned(),
            ));
        }
        // The live order, by identity, before the merge changes anything.
        let server_order: Vec<Value> = original
            .iter()
            .filter_map(|o| identity(o, key).cloned())
            .collect();
        let merged = match key {
            None => union(original, &items)?,
            Some(key) => self.merge_keyed(original, &items, key, path)?,
        };
        let patch_order: Vec<Value> = items
            .iter()
            .filter_map(|i| identity(i, key).cloned())
            .collect();
        Ok(normalize_order(merged, &patch_order, &server_order, key))
    }

    /// Objects merge with the live item of the same key; new ones are appended.
    fn merge_keyed(
        &self,
        mut merged: Vec<Value>,
        items: &[Value],
        key: &str,
        path: &mut Vec<String>,
    ) -> Result<Vec<Value>, PatchError> {
        for item in items {
            let Value::Object(fields) = item else {
                return Err(missing_merge_key(item, key));
            };
            let id = fields
                .get(key)
                .ok_or_else(|| missing_merge_key(item, key))?;
            let live = merged
                .iter()
                .position(|m| m.get(key).is_some_and(|v| json_equal(v, id)));
            match live {
                Some(index) => {
                    let base = match std::mem::take(&mut merged[index]) {
                        Value::Object(map) => map,
                        _ => Map::new(),
                    };
                    let result = self.merge_map(base, fields, path)?.unwrap_or_default();
                    merged[index] = Value::Object(result);
                }
                None => {
                    let fresh = self
                        .merge_map(Map::new(), fields, path)?
                        .unwrap_or_default();
                    merged.push(Value::Object(fresh));
                }
            }
        }
        Ok(merged)
    }

    /// `$setElementOrder/<field>`: merges the list as usual, then puts the items the order list
    /// names in that order, keeping the other live items where they were relative to them.
    pub(super) fn merge_ordered_list(
        &self,
        original: &mut Map<String, Value>,
        patch: &Map<String, Value>,
        field: &str,
        order: &Value,
        path: &mut Vec<String>,
    ) -> Result<(), PatchError> {
        let malformed =
            || PatchError::Malformed("invalid patch format of setElementOrder list".to_owned());
        let Value::Array(order) = order else {
            return Err(malformed());
        };
        let patch_list = match patch.get(field) {
            None => None,
            Some(Value::Array(items)) => Some(items.as_slice()),
            Some(_) => return Err(malformed()),
        };
        // Only a live list takes part; any other live value is left alone or replaced below.
        let live = match original.get(field) {
            Some(Value::Array(_)) => match original.remove(field) {
                Some(Value::Array(items)) => Some(items),
                _ => None,
            },
            _ => None,
        };
        if live.is_none() && patch_list.is_none() {
            return Ok(());
        }
        path.push(field.to_owned());
        let key = match self.strategy(path) {
            ListStrategy::Merge { key } => key,
            ListStrategy::Replace => None,
        };
        let server_order: Vec<Value> = live
            .iter()
            .flatten()
            .filter_map(|i| identity(i, key).cloned())
            .collect();
        let merged = match patch_list {
            Some(items) => check_order(items, order, key)
                .and_then(|()| self.merge_list(live.unwrap_or_default(), items, path)),
            None => Ok(live.unwrap_or_default()),
        };
        path.pop();
        let merged = merged?;
        let order: Vec<Value> = order
            .iter()
            .filter_map(|o| identity(o, key).cloned())
            .collect();
        let result = normalize_order(merged, &order, &server_order, key);
        original.insert(field.to_owned(), Value::Array(result));
        Ok(())
    }
}

/// The union of two primitive lists, without duplicates.
fn union(original: Vec<Value>, items: &[Value]) -> Result<Vec<Value>, PatchError> {
    let mut merged: Vec<Value> = Vec::with_capacity(original.len() + items.len());
    for item in original.into_iter().chain(items.iter().cloned()) {
        if item.is_object() {
            return Err(PatchError::Malformed(
                "cannot merge lists without merge key for type map".to_owned(),
            ));
        }
        if !merged.iter().any(|m| json_equal(m, &item)) {
            merged.push(item);
        }
    }
    Ok(merged)
}

/// Apimachinery's `normalizeElementOrder`: items named by `patch_order` are sorted by it, the
/// others ("server-only") by `server_order`, and the two runs are interleaved: a server-only
/// item goes first only while it sits before the next patch item in the live list. So new
/// items land before the remaining server-only items, as with kube-apiserver.
fn normalize_order(
    merged: Vec<Value>,
    patch_order: &[Value],
    server_order: &[Value],
    key: Option<&str>,
) -> Vec<Value> {
    let (mut named, mut server_only): (Vec<Value>, Vec<Value>) = merged
        .into_iter()
        .partition(|item| position(patch_order, item, key).is_some());
    named.sort_by_key(|item| position(patch_order, item, key).unwrap_or(usize::MAX));
    server_only.sort_by_key(|item| position(server_order, item, key).unwrap_or(usize::MAX));
    let mut result = Vec::with_capacity(named.len() + server_only.len());
    let mut named = named.into_iter().peekable();
    let mut server_only = server_only.into_iter().peekable();
    while let (Some(left), Some(right)) = (server_only.peek(), named.peek()) {
        let left_first = matches!(
            (position(server_order, left, key), position(server_order, right, key)),
            (Some(l), Some(r)) if l < r
        );
        let next = if left_first {
            server_only.next()
        } else {
            named.next()
        };
        result.extend(next);
    }
    result.extend(server_only);
    result.extend(named);
    result
}

/// Apimachinery's `validatePatchWithSetOrderList`: the patch items must appear in the order
/// list, in the same relative order.
fn check_order(items: &[Value], order: &[Value], key: Option<&str>) -> Result<(), PatchError> {
    let data: Vec<&Value> = items.iter().filter(|i| !is_directive(i)).collect();
    let mut next = 0;
    for entry in order {
        let Some(item) = data.get(next) else { break };
        let same = match (identity(item, key), identity(entry, key)) {
            (Some(a), Some(b)) => json_equal(a, b),
            _ => false,
        };
        if same {
            next += 1;
        }
    }
    if next < data.len() {
        return Err(PatchError::Malformed(format!(
            "the order in patch list {} doesn't match $setElementOrder list {}",
            Value::Array(items.to_vec()),
            Value::Array(order.to_vec())
        )));
    }
    Ok(())
}
