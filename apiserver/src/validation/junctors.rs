//! Structural rules for the junctors `allOf`, `anyOf`, `oneOf` and `not`: they may hold value
//! validations only (with kube-apiserver's two int-or-string exceptions), and every field they
//! mention must also be specified in the structural schema.

use serde_json::Value;

use super::child;
use super::structural::{JUNCTORS, get, prop_path, props};
use crate::errors::FieldError;

fn is_int_or_string_any_of(any_of: Option<&Value>) -> bool {
    let expected = serde_json::json!([{"type": "integer"}, {"type": "string"}]);
    any_of == Some(&expected)
}

/// `allOf`/`anyOf`/`oneOf`/`not` of a structural node: value validations only, and every field
/// they mention must be specified in the structural schema too.
/// Checks the junctors of a structural node.
pub(super) fn check(s: &Value, path: &str, out: &mut Vec<FieldError>) {
    let skip_any_of = is_int_or_string_any_of(get(s, "anyOf"));
    let first_all_of = get(s, "allOf").and_then(|a| a.get(0));
    let skip_first_all_of_any_of =
        is_int_or_string_any_of(first_all_of.and_then(|a| a.get("anyOf")));
    value_validation(s, path, skip_any_of, skip_first_all_of_any_of, out);
    completeness(s, s, path, path, out);
}

fn branches(v: &Value) -> impl Iterator<Item = (String, &Value)> {
    let lists = JUNCTORS.into_iter().flat_map(move |key| {
        let list = v.get(key).and_then(Value::as_array).into_iter().flatten();
        list.enumerate()
            .map(move |(i, b)| (format!("{key}[{i}]"), b))
    });
    lists.chain(v.get("not").map(|b| ("not".to_owned(), b)))
}

fn value_validation(
    v: &Value,
    path: &str,
    skip_any_of: bool,
    skip_all_of_any_of: bool,
    out: &mut Vec<FieldError>,
) {
    for (segment, branch) in branches(v) {
        if (skip_any_of && segment.starts_with("anyOf")) || !branch.is_object() {
            continue;
        }
        let skip_nested_any_of = skip_all_of_any_of && segment == "allOf[0]";
        nested(branch, &child(path, &segment), skip_nested_any_of, out);
    }
}

fn nested(v: &Value, path: &str, skip_any_of: bool, out: &mut Vec<FieldError>) {
    value_validation(v, path, skip_any_of, false, out);
    if let Some(items) = get(v, "items").filter(|i| i.is_object()) {
        nested(items, &child(path, "items"), false, out);
    }
    for (name, sub) in props(v) {
        nested(sub, &prop_path(path, name), false, out);
    }
    let forbidden = [
        ("type", "must be empty to be structural"),
        ("additionalProperties", "must be undefined to be structural"),
        ("default", "must be undefined to be structural"),
        ("title", "must be empty to be structural"),
        ("description", "must be empty to be structural"),
        ("nullable", "must be false to be structural"),
        (
            "x-kubernetes-preserve-unknown-fields",
            "must be false to be structural",
        ),
        (
            "x-kubernetes-embedded-resource",
            "must be false to be structural",
        ),
        (
            "x-kubernetes-int-or-string",
            "must be false to be structural",
        ),
        (
            "x-kubernetes-list-map-keys",
            "must be empty to be structural",
        ),
        (
            "x-kubernetes-list-type",
            "must be undefined to be structural",
        ),
        (
            "x-kubernetes-map-type",
            "must be undefined to be structural",
        ),
        ("x-kubernetes-validations", "must be empty to be structural"),
    ];
    for (key, detail) in forbidden {
        let set = match get(v, key) {
            None | Some(Value::Null) | Some(Value::Bool(false)) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        };
        if set {
            out.push(FieldError::forbidden(child(path, key), detail));
        }
    }
    if props(v).any(|(name, _)| name == "metadata") {
        let detail = "must not be specified in a nested context";
        out.push(FieldError::forbidden(prop_path(path, "metadata"), detail));
    }
}

fn completeness(v: &Value, s: &Value, spath: &str, vpath: &str, out: &mut Vec<FieldError>) {
    for (segment, branch) in branches(v) {
        complete(branch, Some(s), spath, &child(vpath, &segment), out);
    }
}

fn complete(v: &Value, s: Option<&Value>, spath: &str, vpath: &str, out: &mut Vec<FieldError>) {
    let Some(s) = s else {
        out.push(FieldError::required(
            spath,
            format!("because it is defined in {vpath}"),
        ));
        return;
    };
    completeness(v, s, spath, vpath, out);
    if let Some(items) = get(v, "items") {
        complete(
            items,
            get(s, "items"),
            &child(spath, "items"),
            &child(vpath, "items"),
            out,
        );
    }
    for (name, sub) in props(v) {
        let known = get(s, "properties").and_then(|p| p.get(name));
        complete(
            sub,
            known,
            &prop_path(spath, name),
            &prop_path(vpath, name),
            out,
        );
    }
}
