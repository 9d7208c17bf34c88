//! Structural defaulting as kube-apiserver applies it, and the checks it makes on every `default`
//! when a schema is loaded (pruned, valid against its own schema).

use serde_json::Value;

use super::cel_budget::Budget;
use super::child;
use super::prune::prune;
use super::schema::{Additional, Node};
use super::walk::{Frame, walk};
use crate::errors::FieldError;

/// Whether a value should be replaced by the default of its schema: a `null` that the schema does
/// not allow, where the schema has a default.
fn replaceable_null(value: &Value, node: &Node) -> bool {
    value.is_null() && !node.nullable && node.default.is_some()
}

/// Applies defaults in place: a missing property whose schema has a default gets a copy of it,
/// and so does a non-nullable `null`. Recursion continues into the defaulted values, so defaults
/// nested in defaults apply as well. Nothing is created where the parent is missing.
pub(super) fn apply(node: &Node, value: &mut Value) {
    match value {
        Value::Object(map) => {
            for (name, prop) in &node.properties {
                let Some(default) = &prop.default else {
                    continue;
                };
                match map.get(name) {
                    Some(v) if !replaceable_null(v, prop) => {}
                    _ => {
                        map.insert(name.clone(), default.clone());
                    }
                }
            }
            for (name, v) in map.iter_mut() {
                if let Some(prop) = node.properties.get(name) {
                    apply(prop, v);
                } else if let Additional::Schema(additional) = &node.additional {
                    if replaceable_null(v, additional) {
                        v.clone_from(additional.default.as_ref().unwrap_or(&Value::Null));
                    }
                    apply(additional, v);
                }
            }
        }
        Value::Array(items) => {
            let Some(item) = &node.items else { return };
            for v in items {
                if replaceable_null(v, item) {
                    v.clone_from(item.default.as_ref().unwrap_or(&Value::Null));
                }
                apply(item, v);
            }
        }
        _ => {}
    }
}

/// Whether `node` or any node below it has a default.
pub(super) fn any_default(node: &Node) -> bool {
    node.default.is_some()
        || node.properties.values().any(any_default)
        || node.items.as_deref().is_some_and(any_default)
        || matches!(&node.additional, Additional::Schema(schema) if any_default(schema))
}

/// Removes the `null`s a schema neither allows nor defaults, as kube-apiserver does right after
/// pruning (`PruneNonNullableNullsWithoutDefaults`): a property or map value that is `null`, not
/// `nullable` and has no default is dropped. `null` list items and `null`s without a schema stay.
pub(super) fn prune_nulls(node: Option<&Node>, value: &mut Value) {
    match value {
        Value::Object(map) => {
            map.retain(|name, v| {
                !(v.is_null()
                    && field_schema(node, name).is_some_and(|s| !s.nullable && s.default.is_none()))
            });
            for (name, v) in map.iter_mut() {
                prune_nulls(field_schema(node, name), v);
            }
        }
        Value::Array(items) => {
            let item = node.and_then(|n| n.items.as_deref());
            for v in items {
                prune_nulls(item, v);
            }
        }
        _ => {}
    }
}

/// The schema of `name` in an object described by `node`: its property, else its
/// `additionalProperties` schema.
fn field_schema<'a>(node: Option<&'a Node>, name: &str) -> Option<&'a Node> {
    let node = node?;
    node.properties.get(name).or(match &node.additional {
        Additional::Schema(schema) => Some(schema),
        _ => None,
    })
}

/// Checks every default below `node` (at schema path `path`) as kube-apiserver does before it
/// accepts a schema: once defaulted, a default must have no unknown fields and must validate.
pub(super) fn check_defaults(node: &Node, path: &str, out: &mut Vec<FieldError>) {
    if let Some(default) = &node.default {
        let at = child(path, "default");
        let mut value = default.clone();
        apply(node, &mut value);
        let mut pruned = value.clone();
        prune(Some(node), &mut pruned, node.embedded, "", &mut Vec::new());
        if pruned != value {
            let detail = "must not have unknown fields";
            out.push(FieldError::invalid(at, default.clone(), detail));
        } else {
            let frame = Frame::inner(&at, node.embedded);
            walk(node, &value, None, frame, &mut Budget::new(None), out);
        }
    }
    for (name, prop) in &node.properties {
        check_defaults(prop, &child(path, &format!("properties[{name}]")), out);
    }
    if let Additional::Schema(additional) = &node.additional {
        check_defaults(additional, &child(path, "additionalProperties"), out);
    }
    if let Some(items) = &node.items {
        check_defaults(items, &child(path, "items"), out);
    }
}
