//! Structural pruning as kube-apiserver does it: fields a schema does not know are removed and
//! their paths recorded, except under `x-kubernetes-preserve-unknown-fields` and, in resources
//! (the root and embedded resources), `apiVersion`, `kind` and `metadata`.

use serde_json::Value;

use super::schema::{Additional, Node};
use super::{child, index};

const META_FIELDS: [&str; 3] = ["apiVersion", "kind", "metadata"];

/// The schema values under `additionalProperties` get: `None` for `additionalProperties: true`,
/// which kube-apiserver prunes as if there were no schema.
fn additional(node: &Node) -> Option<Option<&Node>> {
    match &node.additional {
        Additional::Closed => None,
        Additional::Any => Some(None),
        Additional::Schema(schema) => Some(Some(schema)),
    }
}

/// Prunes `value` against `node` (no schema at all when `None`), recording the path of every
/// removed field in `unknown`. `resource` marks the resource root or an embedded resource.
pub(super) fn prune(
    node: Option<&Node>,
    value: &mut Value,
    resource: bool,
    path: &str,
    unknown: &mut Vec<String>,
) {
    if let Some(node) = node.filter(|n| n.preserve_unknown) {
        return skip_prune(node, value, resource, path, unknown);
    }
    match value {
        Value::Object(map) => {
            let Some(node) = node else {
                unknown.extend(map.keys().map(|k| child(path, k)));
                map.clear();
                return;
            };
            let resource = resource || node.embedded;
            map.retain(|k, v| {
                if resource && META_FIELDS.contains(&k.as_str()) {
                    return true;
                }
                let at = child(path, k);
                if let Some(prop) = node.properties.get(k) {
                    prune(Some(prop), v, prop.embedded, &at, unknown);
                } else if let Some(schema) = additional(node) {
                    prune(schema, v, schema.is_some_and(|s| s.embedded), &at, unknown);
                } else {
                    unknown.push(at);
                    return false;
                }
                true
            });
        }
        Value::Array(items) => {
            let item = node.and_then(|n| n.items.as_deref());
            for (i, v) in items.iter_mut().enumerate() {
                prune(
                    item,
                    v,
                    item.is_some_and(|s| s.embedded),
                    &index(path, i),
                    unknown,
                );
            }
        }
        _ => {}
    }
}

/// Pruning below a node that preserves unknown fields: known fields are still pruned.
fn skip_prune(
    node: &Node,
    value: &mut Value,
    resource: bool,
    path: &str,
    unknown: &mut Vec<String>,
) {
    match value {
        Value::Object(map) => {
            let resource = resource || node.embedded;
            for (k, v) in map.iter_mut() {
                if resource && META_FIELDS.contains(&k.as_str()) {
                    continue;
                }
                let at = child(path, k);
                if let Some(prop) = node.properties.get(k) {
                    prune(Some(prop), v, prop.embedded, &at, unknown);
                } else if let Some(schema) = additional(node) {
                    prune(schema, v, schema.is_some_and(|s| s.embedded), &at, unknown);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = node.items.as_deref() {
                for (i, v) in items.iter_mut().enumerate() {
                    skip_prune(item, v, item.embedded, &index(path, i), unknown);
                }
            }
        }
        _ => {}
    }
}
