//! What the CEL cost estimate knows of a value: how large it can be (elements, bytes,
//! properties) and what its parts are, from a schema when a CRD is written or from the values at
//! hand before an evaluation.

use serde_json::Value;

use super::schema::{Additional, Kind, Node};

/// kube-apiserver's largest request: what sizes are estimated from when a schema sets no bound.
pub(super) const MAX_REQUEST_BYTES: u64 = 3 * 1024 * 1024;

/// What is known of a value: how large it can be, and of what its parts are made.
#[derive(Clone, Debug)]
pub(super) enum Shape<'a> {
    /// Any value the schema node allows.
    Schema(&'a Node),
    /// One of these values (at run time), typed by the node when there is one.
    Values(Vec<&'a Value>, Option<&'a Node>),
    /// A string of at most this many bytes.
    Str(u64),
    /// A list of at most this many elements.
    List(u64, Box<Shape<'a>>),
    /// A value of size one: a number, a boolean, a type.
    Scalar,
    /// Anything at all.
    Unknown,
}

// === impl Shape ===

impl<'a> Shape<'a> {
    /// How many elements (lists, maps), bytes (strings) or properties (objects) it can have.
    pub(super) fn size(&self) -> u64 {
        match self {
            Self::Schema(node) => schema_size(node),
            Self::Values(values, _) => values.iter().map(|v| value_size(v)).max().unwrap_or(0),
            Self::Str(n) | Self::List(n, _) => *n,
            Self::Scalar => 1,
            Self::Unknown => MAX_REQUEST_BYTES,
        }
    }

    /// How much there is to traverse in it, nested values included; at most what a request can
    /// hold.
    pub(super) fn weight(&self) -> u64 {
        let weight = match self {
            Self::Schema(node) => schema_weight(node),
            Self::Values(values, _) => values.iter().map(|v| value_weight(v)).max().unwrap_or(0),
            Self::Str(n) => *n,
            Self::List(n, element) => n.saturating_mul(element.weight().max(1)),
            Self::Scalar => 1,
            Self::Unknown => MAX_REQUEST_BYTES,
        };
        weight.min(MAX_REQUEST_BYTES)
    }

    pub(super) fn is_list(&self) -> bool {
        match self {
            Self::Schema(node) => node.kind == Some(Kind::Array),
            Self::Values(values, _) => values.iter().any(|v| v.is_array()),
            Self::List(..) => true,
            _ => false,
        }
    }

    pub(super) fn is_string(&self) -> bool {
        match self {
            Self::Schema(node) => node.kind == Some(Kind::String),
            Self::Values(values, _) => values.iter().any(|v| v.is_string()),
            Self::Str(_) => true,
            _ => false,
        }
    }

    pub(super) fn is_map(&self) -> bool {
        match self {
            Self::Schema(node) => node.kind == Some(Kind::Object),
            Self::Values(values, _) => values.iter().any(|v| v.is_object()),
            _ => false,
        }
    }

    /// A property of it.
    pub(super) fn field(&self, name: &str) -> Shape<'a> {
        match self {
            Self::Schema(node) => match child_node(node, name) {
                Some(child) => Self::Schema(child),
                None => Self::Unknown,
            },
            Self::Values(values, node) => {
                let children = values.iter().filter_map(|v| v.get(name)).collect();
                Self::Values(children, node.and_then(|n| child_node(n, name)))
            }
            _ => Self::Unknown,
        }
    }

    /// What iterating over it yields: the elements of a list, the keys of a map.
    pub(super) fn iterated(&self) -> Shape<'a> {
        match self {
            Self::Values(values, _) if values.iter().any(|v| v.is_object()) => {
                let longest = values
                    .iter()
                    .filter_map(|v| v.as_object())
                    .flat_map(|m| m.keys().map(|k| len(k)))
                    .max()
                    .unwrap_or(0);
                Self::Str(longest)
            }
            Self::Schema(node) if node.kind == Some(Kind::Object) => Self::Str(MAX_REQUEST_BYTES),
            other => other.indexed(),
        }
    }

    /// What indexing it yields: an element of a list, a value of a map.
    pub(super) fn indexed(&self) -> Shape<'a> {
        match self {
            Self::Schema(node) => match (&node.items, &node.additional) {
                (Some(items), _) => Self::Schema(items),
                (None, Additional::Schema(value)) => Self::Schema(value),
                _ => Self::Unknown,
            },
            Self::Values(values, node) => {
                let elements = values
                    .iter()
                    .flat_map(|v| match v {
                        Value::Array(items) => items.iter().collect::<Vec<_>>(),
                        Value::Object(map) => map.values().collect(),
                        _ => Vec::new(),
                    })
                    .collect();
                let element_node = node.and_then(|n| match (&n.items, &n.additional) {
                    (Some(items), _) => Some(items.as_ref()),
                    (None, Additional::Schema(value)) => Some(value.as_ref()),
                    _ => None,
                });
                Self::Values(elements, element_node)
            }
            Self::List(_, element) => (**element).clone(),
            _ => Self::Unknown,
        }
    }
}

fn child_node<'a>(node: &'a Node, name: &str) -> Option<&'a Node> {
    node.properties.get(name).or(match &node.additional {
        Additional::Schema(value) => Some(value),
        _ => None,
    })
}

/// The largest size a schema allows, or what a request could hold without a bound.
fn schema_size(node: &Node) -> u64 {
    let checks = &node.checks;
    match node.kind {
        Some(Kind::Array) => checks.max_items.unwrap_or_else(|| {
            let element = node.items.as_deref().map_or(1, min_size);
            (MAX_REQUEST_BYTES - 2) / (element + 1)
        }),
        Some(Kind::String) => string_size(node),
        Some(Kind::Object) if node.properties.is_empty() => {
            checks.max_properties.unwrap_or_else(|| {
                let value = match &node.additional {
                    Additional::Schema(value) => min_size(value),
                    _ => 1,
                };
                // `"":` before each value and a comma after it.
                (MAX_REQUEST_BYTES - 2) / (value + 4)
            })
        }
        Some(Kind::Object) => node.properties.len() as u64,
        None if node.int_or_string => string_size(node),
        None => MAX_REQUEST_BYTES,
        _ => 1,
    }
}

fn string_size(node: &Node) -> u64 {
    if let Some(values) = &node.checks.enumeration {
        return values
            .iter()
            .filter_map(|v| v.as_str().map(len))
            .max()
            .unwrap_or(0);
    }
    node.checks.max_length.unwrap_or(MAX_REQUEST_BYTES - 2)
}

/// The fewest bytes a value of the node takes in a JSON request.
fn min_size(node: &Node) -> u64 {
    match node.kind {
        Some(Kind::String) => 2,
        Some(Kind::Boolean) => 4,
        Some(Kind::Array | Kind::Object) => 2,
        _ => 1,
    }
}

/// How much there is to traverse in any value the schema allows.
fn schema_weight(node: &Node) -> u64 {
    let size = schema_size(node);
    match node.kind {
        Some(Kind::Array) => {
            let element = node.items.as_deref().map_or(1, schema_weight);
            size.saturating_mul(element.max(1))
        }
        Some(Kind::Object) => {
            let properties: u64 = node
                .properties
                .values()
                .map(schema_weight)
                .fold(0, u64::saturating_add);
            let additional = match &node.additional {
                Additional::Schema(value) if node.properties.is_empty() => {
                    size.saturating_mul(schema_weight(value).max(1))
                }
                Additional::Any => MAX_REQUEST_BYTES,
                _ => 0,
            };
            properties.saturating_add(additional).max(1)
        }
        _ => size,
    }
    .min(MAX_REQUEST_BYTES)
}

fn value_size(value: &Value) -> u64 {
    match value {
        Value::Array(items) => items.len() as u64,
        Value::Object(map) => map.len() as u64,
        Value::String(s) => len(s),
        _ => 1,
    }
}

fn value_weight(value: &Value) -> u64 {
    match value {
        Value::Array(items) => items.iter().map(value_weight).sum::<u64>().max(1),
        Value::Object(map) => map
            .iter()
            .map(|(k, v)| len(k) + value_weight(v))
            .sum::<u64>()
            .max(1),
        Value::String(s) => len(s),
        _ => 1,
    }
}

pub(super) fn len(s: &str) -> u64 {
    s.len() as u64
}
