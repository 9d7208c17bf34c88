//! JSON merge patch (RFC 7386): what `kubectl apply` (client-side), `kubectl patch --type merge`
//! and the Python client send as `application/merge-patch+json`.

use serde_json::{Map, Value};

/// RFC 7386 JSON merge patch: `null` deletes a member, objects merge recursively, and every other
/// value (arrays included) replaces the target.
///
/// A patch that is not an object replaces the whole target, as the RFC says; kube-apiserver
/// refuses such a patch for objects, so callers should answer 400 before calling this when the
/// patch is not a JSON object.
pub fn merge_patch(target: &Value, patch: &Value) -> Value {
    let mut result = target.clone();
    apply(&mut result, patch);
    result
}

/// Applies `patch` to `target` in place.
fn apply(target: &mut Value, patch: &Value) {
    let Value::Object(members) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let Value::Object(object) = target else {
        return;
    };
    for (key, value) in members {
        if value.is_null() {
            object.remove(key);
        } else {
            apply(object.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn null_deletes_a_member() {
        let target = json!({"metadata": {"labels": {"a": "1", "b": "2"}}, "spec": {"x": 1}});
        let patch = json!({"metadata": {"labels": {"a": null}}, "spec": null});
        assert_eq!(
            merge_patch(&target, &patch),
            json!({"metadata": {"labels": {"b": "2"}}})
        );
    }

    #[test]
    fn objects_merge_and_arrays_replace() {
        let target = json!({"spec": {"a": 1, "list": [1, 2, 3]}});
        let patch = json!({"spec": {"b": 2, "list": [4]}});
        assert_eq!(
            merge_patch(&target, &patch),
            json!({"spec": {"a": 1, "b": 2, "list": [4]}})
        );
    }

    #[test]
    fn nulls_inside_new_objects_are_dropped() {
        let target = json!({"spec": "scalar"});
        let patch = json!({"spec": {"a": null, "b": {"c": null, "d": 1}}});
        assert_eq!(
            merge_patch(&target, &patch),
            json!({"spec": {"b": {"d": 1}}})
        );
    }

    #[test]
    fn a_non_object_patch_replaces_the_target() {
        assert_eq!(merge_patch(&json!({"a": 1}), &json!([1])), json!([1]));
        assert_eq!(merge_patch(&json!({"a": 1}), &json!({})), json!({"a": 1}));
    }

    #[test]
    fn rfc_7386_appendix_example_holds() {
        let target = json!({
            "title": "Goodbye!",
            "author": {"givenName": "John", "familyName": "Doe"},
            "tags": ["example", "sample"],
            "content": "This will be unchanged"
        });
        let patch = json!({
            "title": "Hello!",
            "phoneNumber": "+01-123-456-7890",
            "author": {"familyName": null},
            "tags": ["example"]
        });
        assert_eq!(
            merge_patch(&target, &patch),
            json!({
                "title": "Hello!",
                "author": {"givenName": "John"},
                "tags": ["example"],
                "content": "This will be unchanged",
                "phoneNumber": "+01-123-456-7890"
            })
        );
    }
}
