//! JSON patch (RFC 6902), applied the way kube-apiserver applies `application/json-patch+json`
//! with evanphx/json-patch v4, including the quirks clients depend on.
//!
//! Quirks kept on purpose, because real clients rely on them or see them:
//! - `test` of an absent member against `null` passes when its parent exists.
//!   `kube::runtime::finalizer` sends `test /metadata/finalizers == null` on objects that have
//!   no finalizers yet.
//! - `replace` of an absent object member adds it (v4 only checks that the parent exists).
//! - Array indices may be negative, counting from the end.
//! - Numbers compare as floats, so `test 1` passes against `1.0`.

use serde_json::{Map, Value};

use super::pointer::{Pointer, existing_index, insertion_index};
use super::{PatchError, go_json_kind, json_equal};

/// Applies an RFC 6902 JSON patch (`add`, `remove`, `replace`, `move`, `copy`, `test`) to
/// `target`. The operations apply in order to a copy; the first one that fails stops the patch
/// with [`PatchError::Operation`], naming its index and path. A body that is not a list of
/// objects is [`PatchError::Malformed`].
pub fn json_patch(target: &Value, operations: &Value) -> Result<Value, PatchError> {
    let operations = decode(operations)?;
    let empty = Map::new();
    let mut doc = target.clone();
    for (index, operation) in operations.iter().enumerate() {
        // A `null` entry decodes to an empty operation in Go, which then has no kind.
        let operation = operation.as_object().unwrap_or(&empty);
        let kind = operation
            .get("op")
            .and_then(Value::as_str)
            .unwrap_or("unknown");
        apply(&mut doc, kind, operation).map_err(|message| PatchError::Operation {
            index,
            op: kind.to_owned(),
            message,
        })?;
    }
    Ok(doc)
}

/// Checks the shape of the body before anything applies, as `jsonpatch.DecodePatch` does.
fn decode(operations: &Value) -> Result<&[Value], PatchError> {
    let cannot = |value: &Value, into: &str| {
        PatchError::Malformed(format!(
            "json: cannot unmarshal {} into Go value of type {into}",
            go_json_kind(value)
        ))
    };
    match operations {
        // `null` decodes to an empty patch in Go.
        Value::Null => Ok(&[]),
        Value::Array(items) => match items.iter().find(|i| !i.is_object() && !i.is_null()) {
            Some(bad) => Err(cannot(bad, "jsonpatch.Operation")),
            None => Ok(items),
        },
        other => Err(cannot(other, "jsonpatch.Patch")),
    }
}

/// Applies one operation; the error is the evanphx/json-patch v4 wording.
fn apply(doc: &mut Value, kind: &str, operation: &Map<String, Value>) -> Result<(), String> {
    let member = |name: &str| {
        operation
            .get(name)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("{kind} operation failed to decode {name}: missing value"))
    };
    // A missing `value` is the same as `null` in v4.
    let value = || operation.get("value").cloned().unwrap_or(Value::Null);
    match kind {
        "add" => add(doc, member("path")?, value(), "add"),
        "remove" => remove(doc, member("path")?).map(drop),
        "replace" => replace(doc, member("path")?, value()),
        "move" => {
            let (from, path) = (member("from")?, member("path")?);
            let moved = take_from(doc, from, "move")?;
            add(doc, path, moved, "move")
        }
        "copy" => {
            let (from, path) = (member("from")?, member("path")?);
            let copied = copy_from(doc, from)?;
            add(doc, path, copied, "copy")
        }
        "test" => test(doc, member("path")?, &value()),
        other => Err(format!("Unexpected kind: {other}: unknown object type")),
    }
}

/// `add`, also the second half of `move` and `copy`, whose messages name the destination.
fn add(doc: &mut Value, path: &str, value: Value, kind: &str) -> Result<(), String> {
    let missing = || match kind {
        "add" => {
            format!("add operation does not apply: doc is missing path: \"{path}\": missing value")
        }
        _ => format!(
            "{kind} operation does not apply: doc is missing destination path: {path}: missing value"
        ),
    };
    let pointer = Pointer::parse(path).ok_or_else(missing)?;
    let parent = pointer.parent_mut(doc).ok_or_else(missing)?;
    let key = pointer.last();
    let inserted = match parent {
        Value::Object(map) => {
            map.insert(key.to_owned(), value);
            Ok(())
        }
        Value::Array(items) => {
            insertion_index(key, items.len()).map(|index| items.insert(index, value))
        }
        _ => Err(missing()),
    };
    inserted.map_err(|e| format!("error in {kind} for path: '{path}': {e}"))
}

/// Removes and returns the member or element a pointer names.
fn take(parent: &mut Value, key: &str) -> Result<Value, String> {
    match parent {
        Value::Object(map) => map
            .remove(key)
            .ok_or_else(|| format!("Unable to remove nonexistent key: {key}: missing value")),
        Value::Array(items) => existing_index(key, items.len()).map(|index| items.remove(index)),
        _ => Err(format!(
            "Unable to remove nonexistent key: {key}: missing value"
        )),
    }
}

/// Looks up the member or element a pointer names; `Ok(None)` for an absent object member.
fn get<'a>(parent: &'a Value, key: &str) -> Result<Option<&'a Value>, String> {
    match parent {
        Value::Object(map) => Ok(map.get(key)),
        Value::Array(items) => existing_index(key, items.len()).map(|index| items.get(index)),
        _ => Ok(None),
    }
}

fn remove(doc: &mut Value, path: &str) -> Result<Value, String> {
    let missing = || {
        format!("remove operation does not apply: doc is missing path: \"{path}\": missing value")
    };
    let pointer = Pointer::parse(path).ok_or_else(missing)?;
    let parent = pointer.parent_mut(doc).ok_or_else(missing)?;
    take(parent, pointer.last()).map_err(|e| format!("error in remove for path: '{path}': {e}"))
}

fn replace(doc: &mut Value, path: &str, value: Value) -> Result<(), String> {
    let missing =
        || format!("replace operation does not apply: doc is missing path: {path}: missing value");
    let pointer = Pointer::parse(path).ok_or_else(missing)?;
    if pointer.is_root() {
        if !value.is_object() && !value.is_array() {
            return Err("replace operation value must be object or array".to_owned());
        }
        *doc = value;
        return Ok(());
    }
    match pointer.parent_mut(doc).ok_or_else(missing)? {
        // NB: v4 checks only that the parent exists, so an absent member is added.
        Value::Object(map) => {
            map.insert(pointer.last().to_owned(), value);
            Ok(())
        }
        Value::Array(items) => {
            let index = existing_index(pointer.last(), items.len()).map_err(|_| {
                format!(
                    "replace operation does not apply: doc is missing key: {path}: missing value"
                )
            })?;
            items[index] = value;
            Ok(())
        }
        _ => Err(missing()),
    }
}

/// The first half of `move`.
fn take_from(doc: &mut Value, from: &str, kind: &str) -> Result<Value, String> {
    let missing = || {
        format!("{kind} operation does not apply: doc is missing from path: {from}: missing value")
    };
    let pointer = Pointer::parse(from).ok_or_else(missing)?;
    let parent = pointer.parent_mut(doc).ok_or_else(missing)?;
    take(parent, pointer.last()).map_err(|e| format!("error in {kind} for path: '{from}': {e}"))
}

/// The first half of `copy`.
fn copy_from(doc: &mut Value, from: &str) -> Result<Value, String> {
    let missing = || {
        format!("copy operation does not apply: doc is missing from path: {from}: missing value")
    };
    let pointer = Pointer::parse(from).ok_or_else(missing)?;
    let parent = pointer.parent_mut(doc).ok_or_else(missing)?;
    get(parent, pointer.last())
        .map_err(|e| format!("error in copy for from: '{from}': {e}"))?
        .cloned()
        .ok_or_else(missing)
}

fn test(doc: &mut Value, path: &str, expected: &Value) -> Result<(), String> {
    let failed = || format!("testing value {path} failed: test failed");
    let pointer = Pointer::parse(path).ok_or_else(|| {
        format!("test operation does not apply: is missing path: {path}: missing value")
    })?;
    if pointer.is_root() {
        return if json_equal(doc, expected) {
            Ok(())
        } else {
            Err(failed())
        };
    }
    let parent = pointer.parent_mut(doc).ok_or_else(|| {
        format!("test operation does not apply: is missing path: {path}: missing value")
    })?;
    let actual = get(parent, pointer.last())
        .map_err(|e| format!("error in test for path: '{path}': {e}"))?;
    // NB: an absent member and `null` are the same thing to v4 (a nil node), so testing an
    // absent member against `null` passes. kube-runtime's finalizer helper depends on it.
    let passes = match actual {
        None | Some(Value::Null) => expected.is_null(),
        Some(actual) => !expected.is_null() && json_equal(actual, expected),
    };
    if passes { Ok(()) } else { Err(failed()) }
}

#[cfg(test)]
mod tests;
