//! The bridge between `kubectl apply` and `kubectl apply --server-side`: kube-apiserver lets the
//! `kubectl` manager take over the fields client-side apply recorded in the
//! `kubectl.kubernetes.io/last-applied-configuration` annotation, and keeps that annotation up to
//! date, so users can switch to server-side apply without conflicts and back.

use serde_json::{Map, Value};

use super::fieldset::FieldSet;
use super::rules::Shape;
use super::walk::{compare, to_set};

/// The annotation client-side apply stores the applied configuration in.
pub const LAST_APPLIED_ANNOTATION: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The field manager `kubectl apply --server-side` uses; only it gets the bridge.
pub(crate) const KUBECTL: &str = "kubectl";

/// The total size kube-apiserver allows for all annotations of an object.
const MAX_ANNOTATIONS_BYTES: usize = 256 * 1024;

/// The fields `kubectl` may take over without a conflict: those of the last-applied
/// configuration whose value the live object still has. `None` when there is no usable
/// annotation (absent, unreadable, or written for another apiVersion).
pub(crate) fn allowed_conflicts(
    live: &Value,
    api_version: &str,
    shape: &Shape,
) -> Option<FieldSet> {
    let text = annotations(live)?.get(LAST_APPLIED_ANNOTATION)?.as_str()?;
    if text.is_empty() {
        return None;
    }
    let last: Value = serde_json::from_str(text).ok()?;
    if last["apiVersion"].as_str() != Some(api_version) {
        return None;
    }
    let diff = compare(Some(&last), Some(live), shape);
    // Fields the live object changed or lost since then are not client-side apply's any more.
    Some(
        to_set(&last, shape)
            .difference(&diff.changed)
            .difference(&diff.removed),
    )
}

/// After a successful server-side apply by `kubectl`, rewrites the annotation (when the object
/// has one) to the applied configuration, so a later client-side apply computes its three-way
/// patch from what is really applied. Like kube-apiserver, drops the annotation when it would
/// make the annotations too large.
pub(crate) fn refresh(object: &mut Value, config: &Value) {
    if annotations(object).is_none_or(|a| !a.contains_key(LAST_APPLIED_ANNOTATION)) {
        return;
    }
    let mut applied = config.clone();
    if let Some(own) = applied
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    {
        own.remove(LAST_APPLIED_ANNOTATION);
    }
    // Go's JSON encoder, which kube-apiserver writes the annotation with, ends it with a newline.
    let text = format!("{applied}\n");
    let Some(annotations) = object
        .pointer_mut("/metadata/annotations")
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    annotations.insert(LAST_APPLIED_ANNOTATION.to_owned(), Value::String(text));
    let size: usize = annotations
        .iter()
        .map(|(k, v)| k.len() + v.as_str().map_or(0, str::len))
        .sum();
    if size > MAX_ANNOTATIONS_BYTES {
        annotations.remove(LAST_APPLIED_ANNOTATION);
    }
}

fn annotations(object: &Value) -> Option<&Map<String, Value>> {
    object.pointer("/metadata/annotations")?.as_object()
}
