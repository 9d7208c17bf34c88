//! The validation walk: every value of an object checked against its schema node, with the old
//! object's values correlated for transition rules and validation ratcheting, list types,
//! embedded resources, and the root's `metadata` limited to `name` and `generateName`.

use serde_json::{Map, Value};

use super::cel_budget::Budget;
use super::cel_eval::{self, Target};
use super::checks::{check_type, check_value};
use super::lists::{check_list, correlate};
use super::schema::{Additional, Node};
use super::{child, index, key};
use crate::errors::FieldError;

/// Where a value sits in the walk.
#[derive(Clone, Copy)]
pub(super) struct Frame<'a> {
    pub path: &'a str,
    /// Whether the value is the resource root (whose `metadata` the core validates).
    pub root: bool,
    /// Whether the value is a resource (the root or an embedded resource).
    pub resource: bool,
    /// Whether an enclosing value is unchanged from the old object.
    pub ratcheted: bool,
}

impl<'a> Frame<'a> {
    /// The frame of a resource root at `path`.
    pub(super) fn root(path: &'a str) -> Self {
        Self {
            path,
            root: true,
            resource: true,
            ratcheted: false,
        }
    }

    /// The same frame, inside an unchanged (ratcheted) value or not.
    fn ratcheted(self, ratcheted: bool) -> Self {
        Self { ratcheted, ..self }
    }

    /// The frame of a value inside a default or another non-root value.
    pub(super) fn inner(path: &'a str, resource: bool) -> Self {
        Self {
            path,
            root: false,
            resource,
            ratcheted: false,
        }
    }
}

/// Validates `value` (and `old`, its stored counterpart) against `node`, adding errors to `out`.
///
/// Ratcheting as kube-apiserver's CRDValidationRatcheting does it: where a value equals its
/// correlated old value, its schema errors and non-transition rule failures are dropped.
pub(super) fn walk(
    node: &Node,
    value: &Value,
    old: Option<&Value>,
    frame: Frame<'_>,
    budget: &mut Budget,
    out: &mut Vec<FieldError>,
) {
    let ratcheted = frame.ratcheted || old.is_some_and(|o| o == value);
    if ratcheted && !node.transition_below {
        return;
    }
    let path = frame.path;
    let mut here = Vec::new();
    let typed = check_type(node, value, path, &mut here);
    if typed && !ratcheted {
        check_value(node, value, path, &mut here);
        if let Value::Array(items) = value {
            check_list(node, items, path, &mut here);
        }
        if node.embedded && !frame.root {
            check_embedded(value, path, &mut here);
        }
    }
    if !ratcheted {
        out.append(&mut here);
    }
    if !typed {
        return;
    }
    let target = Target {
        node,
        value,
        old,
        path,
        resource: frame.resource,
        ratcheted,
    };
    cel_eval::run_rules(&target, budget, out);

    let frame = frame.ratcheted(ratcheted);
    match value {
        Value::Object(map) => walk_fields(node, map, old, frame, budget, out),
        Value::Array(items) => {
            let Some(item) = &node.items else { return };
            for (i, v) in items.iter().enumerate() {
                let at = index(path, i);
                let inner = Frame::inner(&at, item.embedded).ratcheted(ratcheted);
                walk(item, v, correlate(node, v, old), inner, budget, out);
            }
        }
        _ => {}
    }
}

/// Walks the declared properties and the map values of an object.
fn walk_fields(
    node: &Node,
    map: &Map<String, Value>,
    old: Option<&Value>,
    frame: Frame<'_>,
    budget: &mut Budget,
    out: &mut Vec<FieldError>,
) {
    for (name, prop) in &node.properties {
        let Some(v) = map.get(name) else { continue };
        let old_v = old.and_then(|o| o.get(name));
        if frame.root && name == "metadata" {
            root_metadata(prop, v, old_v, frame.ratcheted, out);
            continue;
        }
        let at = child(frame.path, name);
        let inner = Frame::inner(&at, prop.embedded).ratcheted(frame.ratcheted);
        walk(prop, v, old_v, inner, budget, out);
    }
    let Additional::Schema(additional) = &node.additional else {
        return;
    };
    for (name, v) in map
        .iter()
        .filter(|(k, _)| !node.properties.contains_key(*k))
    {
        let at = key(frame.path, name);
        let inner = Frame::inner(&at, additional.embedded).ratcheted(frame.ratcheted);
        let old_v = old.and_then(|o| o.get(name));
        walk(additional, v, old_v, inner, budget, out);
    }
}

/// The root's `metadata` may restrict `name` and `generateName` only; the rest is the core's.
fn root_metadata(
    node: &Node,
    value: &Value,
    old: Option<&Value>,
    ratcheted: bool,
    out: &mut Vec<FieldError>,
) {
    for field in ["name", "generateName"] {
        let (Some(sub), Some(v)) = (node.properties.get(field), value.get(field)) else {
            continue;
        };
        if ratcheted || old.and_then(|o| o.get(field)) == Some(v) {
            continue;
        }
        let at = child("metadata", field);
        if check_type(sub, v, &at, out) {
            check_value(sub, v, &at, out);
        }
    }
}

/// What kube-apiserver requires of an embedded resource: a `kind` and an `apiVersion`.
fn check_embedded(value: &Value, path: &str, out: &mut Vec<FieldError>) {
    let Some(map) = value.as_object() else { return };
    for field in ["apiVersion", "kind"] {
        let at = child(path, field);
        match map.get(field) {
            None => out.push(FieldError::required(at, "must not be empty")),
            Some(Value::String(s)) if s.is_empty() => {
                out.push(FieldError::invalid(
                    at,
                    Value::from(""),
                    "must not be empty",
                ));
            }
            Some(Value::String(s)) if field == "apiVersion" && s.matches('/').count() > 1 => {
                let detail = format!("unexpected GroupVersion string: {s}");
                out.push(FieldError::invalid(at, Value::from(s.as_str()), detail));
            }
            Some(Value::String(s)) if field == "kind" && !is_dns1035_label(&s.to_lowercase()) => {
                let detail = "may have mixed case, but should otherwise match: a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";
                out.push(FieldError::invalid(at, Value::from(s.as_str()), detail));
            }
            Some(Value::String(_)) => {}
            Some(other) => out.push(FieldError::invalid(at, other.clone(), "must be a string")),
        }
    }
}

fn is_dns1035_label(s: &str) -> bool {
    let bytes = s.as_bytes();
    !bytes.is_empty()
        && bytes.len() <= 63
        && bytes[0].is_ascii_lowercase()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
}
