//! The compiled form of a structural schema: one [`Node`] per schema node, with its type, value
//! checks, list and map semantics, default and CEL rules resolved once, when the schema is loaded.

use std::collections::BTreeMap;

use regex::Regex;
use serde_json::Value;

use super::cel::{self, CelRule};
use super::child;
use crate::errors::FieldError;

/// The `type` of a schema node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    Object,
    Array,
    String,
    Integer,
    Number,
    Boolean,
}

impl Kind {
    /// Every `type` a structural schema may name, in the order kube-apiserver lists them.
    pub(super) const NAMES: [&'static str; 6] =
        ["array", "boolean", "integer", "number", "object", "string"];

    pub(super) fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "object" => Self::Object,
            "array" => Self::Array,
            "string" => Self::String,
            "integer" => Self::Integer,
            "number" => Self::Number,
            "boolean" => Self::Boolean,
            _ => return None,
        })
    }

    pub(super) fn name(self) -> &'static str {
        match self {
            Self::Object => "object",
            Self::Array => "array",
            Self::String => "string",
            Self::Integer => "integer",
            Self::Number => "number",
            Self::Boolean => "boolean",
        }
    }

    /// Whether `value` (not null) has this type. `integer` accepts integral JSON numbers only.
    pub(super) fn matches(self, value: &Value) -> bool {
        match self {
            Self::Object => value.is_object(),
            Self::Array => value.is_array(),
            Self::String => value.is_string(),
            Self::Integer => value.is_i64() || value.is_u64(),
            Self::Number => value.is_number(),
            Self::Boolean => value.is_boolean(),
        }
    }
}

/// What `additionalProperties` allows for keys not named in `properties`.
#[derive(Debug)]
pub(super) enum Additional {
    /// Absent or `false`: unknown keys are pruned.
    Closed,
    /// `true`: any key, with a value kube-apiserver prunes as if it had no schema.
    Any,
    /// A schema every other value must satisfy.
    Schema(Box<Node>),
}

/// `x-kubernetes-list-type`.
#[derive(Debug, PartialEq)]
pub(super) enum ListType {
    Atomic,
    Set,
    Map(Vec<String>),
}

/// A numeric bound: its value, its text as written in the schema, and whether it is exclusive.
#[derive(Debug)]
pub(super) struct Bound {
    pub value: f64,
    pub text: String,
    pub exclusive: bool,
}

/// The value validations of a node, as kube-openapi checks them.
#[derive(Debug, Default)]
pub(super) struct Checks {
    pub required: Vec<String>,
    pub enumeration: Option<Vec<Value>>,
    pub pattern: Option<(String, Regex)>,
    pub format: Option<String>,
    pub min_length: Option<u64>,
    pub max_length: Option<u64>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub multiple_of: Option<(f64, String)>,
    pub min_items: Option<u64>,
    pub max_items: Option<u64>,
    pub min_properties: Option<u64>,
    pub max_properties: Option<u64>,
    pub all_of: Vec<Node>,
    pub any_of: Vec<Node>,
    pub one_of: Vec<Node>,
    pub not: Option<Box<Node>>,
}

/// One node of a compiled schema.
#[derive(Debug)]
pub(super) struct Node {
    pub kind: Option<Kind>,
    pub nullable: bool,
    pub int_or_string: bool,
    pub preserve_unknown: bool,
    pub embedded: bool,
    pub properties: BTreeMap<String, Node>,
    pub additional: Additional,
    pub items: Option<Box<Node>>,
    /// The default; a `null` default counts as none, as in kube-apiserver.
    pub default: Option<Value>,
    pub list_type: ListType,
    pub checks: Checks,
    pub rules: Vec<CelRule>,
    /// Whether this node or one below it has a transition rule (one using `oldSelf`).
    pub transition_below: bool,
}

/// Where a node sits, for compile errors and for transition rules.
#[derive(Clone)]
pub(super) struct Place {
    /// Path of the node relative to the schema root, e.g. `properties[spec].items`.
    pub path: String,
    /// Path of the nearest enclosing schema whose children old and new values cannot be
    /// correlated through (atomic lists, sets, atomic maps); `oldSelf` is forbidden below it.
    pub uncorrelatable: Option<String>,
    /// Whether this node lies inside `allOf`/`anyOf`/`oneOf`/`not`, where only value checks apply.
    pub nested: bool,
}

impl Place {
    pub(super) fn root() -> Self {
        Self {
            path: String::new(),
            uncorrelatable: None,
            nested: false,
        }
    }

    fn child(&self, segment: &str) -> Self {
        Self {
            path: child(&self.path, segment),
            uncorrelatable: self.uncorrelatable.clone(),
            nested: self.nested,
        }
    }

    fn nested(&self, segment: &str) -> Self {
        Self {
            nested: true,
            ..self.child(segment)
        }
    }

    fn uncorrelatable_below(mut self, parent: &str) -> Self {
        self.uncorrelatable.get_or_insert_with(|| parent.to_owned());
        self
    }
}

fn flag(schema: &Value, key: &str) -> bool {
    schema.get(key).and_then(Value::as_bool).unwrap_or(false)
}

fn count(schema: &Value, key: &str) -> Option<u64> {
    schema.get(key).and_then(Value::as_u64)
}

fn bound(schema: &Value, key: &str, exclusive_key: &str) -> Option<Bound> {
    let number = schema.get(key).filter(|v| v.is_number())?;
    Some(Bound {
        value: number.as_f64()?,
        text: go_number(number.as_f64()?),
        exclusive: flag(schema, exclusive_key),
    })
}

/// A bound as kube-openapi prints it: Go's `%v` of a float64, so `1.0` reads `1`.
// NB: a CRD that went through typed JSONSchemaProps holds its bounds as floats (`1.0`).
fn go_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e21 {
        format!("{number:.0}")
    } else {
        number.to_string()
    }
}

impl Node {
    /// Compiles one schema node and everything below it. Problems kube-apiserver reports when it
    /// compiles a schema (bad patterns, CEL rules that do not compile) are added to `errors`;
    /// the structural rules are checked separately, on the raw schema.
    pub(super) fn compile(schema: &Value, place: &Place, errors: &mut Vec<FieldError>) -> Self {
        let list_type = list_type(schema);
        let properties = compile_properties(schema, place, errors);
        let additional = match schema.get("additionalProperties") {
            Some(Value::Bool(true)) => Additional::Any,
            Some(sub @ Value::Object(_)) => {
                let sub_place = place.child("additionalProperties");
                Additional::Schema(Box::new(Node::compile(sub, &sub_place, errors)))
            }
            _ => Additional::Closed,
        };
        let items = schema.get("items").filter(|i| i.is_object()).map(|sub| {
            let mut sub_place = place.child("items");
            if !matches!(list_type, ListType::Map(_)) && !place.nested {
                sub_place = sub_place.uncorrelatable_below(&place.path);
            }
            Box::new(Node::compile(sub, &sub_place, errors))
        });
        let checks = compile_checks(schema, place, errors);
        let rules = if place.nested {
            Vec::new()
        } else {
            cel::compile_rules(schema, place, errors)
        };
        let transition_below = rules.iter().any(|r| r.transition)
            || properties.values().any(|p| p.transition_below)
            || matches!(&additional, Additional::Schema(s) if s.transition_below)
            || items.as_ref().is_some_and(|i| i.transition_below);
        Self {
            kind: schema
                .get("type")
                .and_then(Value::as_str)
                .and_then(Kind::parse),
            nullable: flag(schema, "nullable"),
            int_or_string: flag(schema, "x-kubernetes-int-or-string"),
            preserve_unknown: flag(schema, "x-kubernetes-preserve-unknown-fields"),
            embedded: flag(schema, "x-kubernetes-embedded-resource"),
            properties,
            additional,
            items,
            default: schema.get("default").filter(|d| !d.is_null()).cloned(),
            list_type,
            checks,
            rules,
            transition_below,
        }
    }

    /// The type name kube-apiserver reports as the value of a failed CEL rule: the schema's
    /// `type`, or failing that the JSON type of the value.
    pub(super) fn type_name(&self, value: &Value) -> &'static str {
        self.kind.map_or_else(|| json_type(value), Kind::name)
    }
}

fn list_type(schema: &Value) -> ListType {
    match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
        Some("set") => ListType::Set,
        Some("map") => ListType::Map(
            schema
                .get("x-kubernetes-list-map-keys")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect(),
        ),
        _ => ListType::Atomic,
    }
}

/// Compiles `properties`; below an atomic map, old and new values are not correlated.
fn compile_properties(
    schema: &Value,
    place: &Place,
    errors: &mut Vec<FieldError>,
) -> BTreeMap<String, Node> {
    let Some(props) = schema.get("properties").and_then(Value::as_object) else {
        return BTreeMap::new();
    };
    let mut inner = place.clone();
    if schema.get("x-kubernetes-map-type").and_then(Value::as_str) == Some("atomic")
        && !place.nested
    {
        inner = inner.uncorrelatable_below(&place.path);
    }
    props
        .iter()
        .map(|(name, sub)| {
            let sub_place = inner.child(&format!("properties[{name}]"));
            (name.clone(), Node::compile(sub, &sub_place, errors))
        })
        .collect()
}

/// The JSON type of a value, named as kube-openapi names it in messages.
pub(super) fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn compile_checks(schema: &Value, place: &Place, errors: &mut Vec<FieldError>) -> Checks {
    let pattern = schema.get("pattern").and_then(Value::as_str).and_then(|p| {
        Regex::new(p)
            .map_err(|e| {
                let detail = format!("must be a valid regular expression, but isn't: {e}");
                let at = child(&place.path, "pattern");
                errors.push(FieldError::invalid(at, Value::from(p), detail));
            })
            .ok()
            .map(|re| (p.to_owned(), re))
    });
    let strings = |key: &str| -> Vec<String> {
        let list = schema
            .get(key)
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        list.filter_map(|k| k.as_str().map(str::to_owned)).collect()
    };
    Checks {
        required: strings("required"),
        enumeration: schema.get("enum").and_then(Value::as_array).cloned(),
        pattern,
        format: schema
            .get("format")
            .and_then(Value::as_str)
            .map(str::to_owned),
        min_length: count(schema, "minLength"),
        max_length: count(schema, "maxLength"),
        minimum: bound(schema, "minimum", "exclusiveMinimum"),
        maximum: bound(schema, "maximum", "exclusiveMaximum"),
        multiple_of: schema
            .get("multipleOf")
            .and_then(|m| m.as_f64())
            .map(|m| (m, go_number(m))),
        min_items: count(schema, "minItems"),
        max_items: count(schema, "maxItems"),
        min_properties: count(schema, "minProperties"),
        max_properties: count(schema, "maxProperties"),
        all_of: compile_branches(schema, "allOf", place, errors),
        any_of: compile_branches(schema, "anyOf", place, errors),
        one_of: compile_branches(schema, "oneOf", place, errors),
        not: schema
            .get("not")
            .filter(|n| n.is_object())
            .map(|sub| Box::new(Node::compile(sub, &place.nested("not"), errors))),
    }
}

/// Compiles the branches of a junctor; they hold value validations only.
fn compile_branches(
    schema: &Value,
    key: &str,
    place: &Place,
    errors: &mut Vec<FieldError>,
) -> Vec<Node> {
    let list = schema
        .get(key)
        .and_then(Value::as_array)
        .into_iter()
        .flatten();
    list.enumerate()
        .map(|(i, sub)| Node::compile(sub, &place.nested(&format!("{key}[{i}]")), errors))
        .collect()
}
