//! Strategic merge patch (`application/strategic-merge-patch+json`) for the server's built-in
//! kinds, as kubectl (`apply`, `label`, `annotate`, `patch`) and client-go produce it and as
//! apimachinery's `strategicpatch.StrategicMergeMapPatch` applies it.
//!
//! Maps merge like a JSON merge patch. Lists replace, except those whose Go types declare a
//! patch strategy (see [`strategy`]). Directives steer the merge and never reach the result:
//! - `$patch: replace | delete | merge` in a map or as a list item;
//! - `$retainKeys: [..]` drops live members not listed;
//! - `$deleteFromPrimitiveList/<field>: [..]` removes values from a merging primitive list;
//! - `$setElementOrder/<field>: [..]` fixes the order of a list after merging.

mod list;
mod strategy;

use serde_json::{Map, Value};

use super::PatchError;

const PATCH: &str = "$patch";
const RETAIN_KEYS: &str = "$retainKeys";
const SET_ELEMENT_ORDER: &str = "$setElementOrder";
const DELETE_FROM_PRIMITIVE_LIST: &str = "$deleteFromPrimitiveList";

/// Applies a strategic merge patch to an object of one of the built-in kinds; the kind is read
/// from the target's `kind`, which selects the list strategies.
///
/// A patch that is not a JSON object, or that uses an unknown directive, is
/// [`PatchError::Malformed`].
pub fn strategic_merge_patch(target: &Value, patch: &Value) -> Result<Value, PatchError> {
    let Value::Object(patch) = patch else {
        return Err(PatchError::Malformed(format!(
            "json: cannot unmarshal {} into Go value of type map[string]interface {{}}",
            super::go_json_kind(patch)
        )));
    };
    let kind = [target.get("kind"), patch.get("kind")]
        .into_iter()
        .flatten()
        .find_map(Value::as_str)
        .unwrap_or_default();
    let original = target.as_object().cloned().unwrap_or_default();
    let merged = Merger { kind }.merge_map(original, patch, &mut Vec::new())?;
    // `$patch: delete` at the top leaves nothing, as in apimachinery.
    Ok(Value::Object(merged.unwrap_or_default()))
}

/// A directive key of a patch map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Directive<'a> {
    Patch,
    RetainKeys,
    SetElementOrder(&'a str),
    DeleteFromPrimitiveList(&'a str),
}

/// Classifies a key: `Ok(None)` for ordinary fields.
fn directive(key: &str) -> Result<Option<Directive<'_>>, PatchError> {
    if !key.starts_with('$') {
        return Ok(None);
    }
    let parallel = |prefix: &str, error: &str| match key.strip_prefix(prefix) {
        Some(rest) => match rest.strip_prefix('/') {
            Some(field) if !field.is_empty() => Ok(Some(field)),
            _ => Err(PatchError::Malformed(error.to_owned())),
        },
        None => Ok(None),
    };
    if let Some(field) = parallel(
        SET_ELEMENT_ORDER,
        "invalid patch format of setElementOrder list",
    )? {
        return Ok(Some(Directive::SetElementOrder(field)));
    }
    if let Some(field) = parallel(
        DELETE_FROM_PRIMITIVE_LIST,
        "invalid patch format of primitive list",
    )? {
        return Ok(Some(Directive::DeleteFromPrimitiveList(field)));
    }
    match key {
        PATCH => Ok(Some(Directive::Patch)),
        RETAIN_KEYS => Ok(Some(Directive::RetainKeys)),
        // JSON Schema keywords: CRD schemas carry them as ordinary members.
        "$ref" | "$schema" => Ok(None),
        _ => Err(PatchError::Malformed(format!(
            "unknown strategic merge patch directive \"{key}\""
        ))),
    }
}

/// The error for a `$patch` value that is not a known directive.
fn unknown_patch_type(value: &Value, map: &Map<String, Value>) -> PatchError {
    let value = value
        .as_str()
        .map_or_else(|| value.to_string(), str::to_owned);
    PatchError::Malformed(format!(
        "unknown patch type: {value} in map: {}",
        Value::Object(map.clone())
    ))
}

/// One patch application; carries the kind that selects list strategies.
struct Merger<'a> {
    kind: &'a str,
}

impl Merger<'_> {
    /// Merges `patch` into `original`, the map at `path`. `None` means `$patch: delete`: the map
    /// goes away.
    fn merge_map(
        &self,
        mut original: Map<String, Value>,
        patch: &Map<String, Value>,
        path: &mut Vec<String>,
    ) -> Result<Option<Map<String, Value>>, PatchError> {
        if let Some(value) = patch.get(PATCH) {
            match value.as_str() {
                Some("replace") => {
                    // The patch map, minus the directive, is the new value; merging it into
                    // nothing still strips nested directives and nulls.
                    let mut rest = patch.clone();
                    rest.remove(PATCH);
                    return self.merge_map(Map::new(), &rest, path);
                }
                Some("delete") => return Ok(None),
                // Merging is what happens anyway; apimachinery rejects the explicit form, we
                // accept it.
                Some("merge") => {}
                _ => return Err(unknown_patch_type(value, patch)),
            }
        }
        let mut directives = Vec::new();
        for key in patch.keys() {
            if let Some(found) = directive(key)? {
                directives.push((found, &patch[key]));
            }
        }
        if let Some((_, retain)) = directives.iter().find(|(d, _)| *d == Directive::RetainKeys) {
            retain_keys(&mut original, patch, retain)?;
        }
        // Lists with an order directive merge first, as apimachinery's mergePatchIntoOriginal
        // does, and are then left alone by the loop below.
        let mut ordered = Vec::new();
        for (found, order) in &directives {
            if let Directive::SetElementOrder(field) = *found {
                self.merge_ordered_list(&mut original, patch, field, order, path)?;
                ordered.push(field);
            }
        }
        for (key, value) in patch {
            if directive(key)?.is_some() || ordered.contains(&key.as_str()) {
                continue;
            }
            if value.is_null() {
                original.remove(key);
                continue;
            }
            path.push(key.clone());
            let merged = self.merge_value(original.remove(key), value, path);
            path.pop();
            if let Some(merged) = merged? {
                original.insert(key.clone(), merged);
            }
        }
        for (found, deletions) in &directives {
            if let Directive::DeleteFromPrimitiveList(field) = *found {
                delete_from_list(&mut original, field, deletions)?;
            }
        }
        Ok(Some(original))
    }

    /// Merges one patch value into the live value of its field (`None` when absent). `None`
    /// back means the field is removed.
    fn merge_value(
        &self,
        original: Option<Value>,
        patch: &Value,
        path: &mut Vec<String>,
    ) -> Result<Option<Value>, PatchError> {
        match patch {
            Value::Object(members) => {
                // A live value of another type is replaced: merge into an empty map.
                let base = match original {
                    Some(Value::Object(map)) => map,
                    _ => Map::new(),
                };
                Ok(self.merge_map(base, members, path)?.map(Value::Object))
            }
            Value::Array(items) => {
                let base = match original {
                    Some(Value::Array(live)) => live,
                    _ => Vec::new(),
                };
                self.merge_list(base, items, path)
                    .map(|l| Some(Value::Array(l)))
            }
            Value::Null => Ok(None),
            scalar => Ok(Some(scalar.clone())),
        }
    }
}

/// `$retainKeys`: every non-null patch member must be listed, and live members not listed go.
fn retain_keys(
    original: &mut Map<String, Value>,
    patch: &Map<String, Value>,
    retain: &Value,
) -> Result<(), PatchError> {
    let Value::Array(list) = retain else {
        return Err(PatchError::Malformed(
            "invalid patch format of retainKeys".to_owned(),
        ));
    };
    let kept = |key: &str| list.iter().any(|k| k.as_str() == Some(key));
    let stray = patch
        .iter()
        .any(|(k, v)| !v.is_null() && !k.starts_with('$') && !kept(k));
    if stray {
        return Err(PatchError::Unprocessable(
            "patch content doesn't match retainKeys list".to_owned(),
        ));
    }
    original.retain(|key, _| kept(key));
    Ok(())
}

/// `$deleteFromPrimitiveList/<field>`: removes the listed values from the live list.
fn delete_from_list(
    original: &mut Map<String, Value>,
    field: &str,
    deletions: &Value,
) -> Result<(), PatchError> {
    let Value::Array(deletions) = deletions else {
        return Err(PatchError::Malformed(
            "invalid patch format of primitive list".to_owned(),
        ));
    };
    if let Some(Value::Array(items)) = original.get_mut(field) {
        items.retain(|item| !deletions.iter().any(|d| super::json_equal(d, item)));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
