//! Metadata as kube-apiserver stores it. Every object's metadata passes through the typed
//! `ObjectMeta` there (custom resources too, when their metadata is coerced), whose maps and lists
//! are `omitempty`: removing the last label leaves no `labels` key, not `labels: {}`.

use serde_json::Value;

/// Fields of `ObjectMeta` that are maps or lists and are left out when empty.
///
/// NB: `managedFields` is not among them here: a request's `managedFields: []` asks to reset
/// them, which the field manager must still see; it stores no empty list itself.
const OMIT_EMPTY: [&str; 4] = ["labels", "annotations", "finalizers", "ownerReferences"];

/// Removes the empty or null maps and lists of `metadata`, as the `ObjectMeta` round trip does.
pub fn drop_empty_collections(metadata: &mut Value) {
    let Some(map) = metadata.as_object_mut() else {
        return;
    };
    for field in OMIT_EMPTY {
        let empty = match map.get(field) {
            Some(Value::Null) => true,
            Some(Value::Object(inner)) => inner.is_empty(),
            Some(Value::Array(inner)) => inner.is_empty(),
            _ => false,
        };
        if empty {
            map.remove(field);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn empty_and_null_labels_annotations_and_finalizers_are_dropped() {
        let mut metadata = json!({
            "name": "a",
            "labels": {},
            "annotations": null,
            "finalizers": [],
            "ownerReferences": [],
        });
        drop_empty_collections(&mut metadata);
        assert_eq!(metadata, json!({ "name": "a" }));
    }

    #[test]
    fn collections_with_entries_are_kept() {
        let mut metadata = json!({
            "name": "a",
            "labels": { "k": "v" },
            "finalizers": ["example.com/hold"],
        });
        let before = metadata.clone();
        drop_empty_collections(&mut metadata);
        assert_eq!(metadata, before);
    }
}
