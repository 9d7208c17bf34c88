//! Structural-schema checks run when a schema is loaded: the rules kube-apiserver enforces before
//! it accepts a CRD version's `openAPIV3Schema`, on the raw JSON, worded as it words them.

use serde_json::Value;

use super::child;
use super::schema::Kind;
use crate::errors::FieldError;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Level {
    Root,
    Item,
    Field,
}

/// Context inherited down the schema.
#[derive(Clone, Default)]
struct Ctx {
    /// Why defaults are forbidden here (inside the root's `apiVersion`, `kind`, `metadata`).
    no_defaults: Option<String>,
    inside_meta: bool,
}

pub(super) const JUNCTORS: [&str; 3] = ["allOf", "anyOf", "oneOf"];
const UNSUPPORTED: [&str; 6] = [
    "$ref",
    "id",
    "definitions",
    "patternProperties",
    "additionalItems",
    "dependencies",
];

pub(super) fn get<'a>(s: &'a Value, key: &str) -> Option<&'a Value> {
    s.get(key)
}

fn str_of<'a>(s: &'a Value, key: &str) -> &'a str {
    s.get(key).and_then(Value::as_str).unwrap_or("")
}

fn flag(s: &Value, key: &str) -> bool {
    s.get(key).and_then(Value::as_bool).unwrap_or(false)
}

pub(super) fn props(s: &Value) -> impl Iterator<Item = (&String, &Value)> {
    s.get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

pub(super) fn prop_path(path: &str, name: &str) -> String {
    child(path, &format!("properties[{name}]"))
}

/// Checks that `schema` is a structural schema kube-apiserver would accept.
pub(super) fn check(schema: &Value) -> Vec<FieldError> {
    let mut out = Vec::new();
    if !schema.is_object() {
        out.push(FieldError::invalid(
            "",
            schema.clone(),
            "must be a schema object",
        ));
        return out;
    }
    node(schema, Level::Root, "", &Ctx::default(), &mut out);
    out
}

/// What the structural rules need to know about one node.
struct Facts<'a> {
    ty: &'a str,
    lvl: Level,
    embedded: bool,
    int_or_string: bool,
    preserve: bool,
}

fn node(s: &Value, lvl: Level, path: &str, ctx: &Ctx, out: &mut Vec<FieldError>) {
    if !s.is_object() {
        out.push(FieldError::invalid(
            path,
            s.clone(),
            "must be a schema object",
        ));
        return;
    }
    let facts = Facts {
        ty: str_of(s, "type"),
        lvl,
        embedded: flag(s, "x-kubernetes-embedded-resource"),
        int_or_string: flag(s, "x-kubernetes-int-or-string"),
        preserve: flag(s, "x-kubernetes-preserve-unknown-fields"),
    };
    shapes(s, path, out);
    type_rules(s, &facts, path, out);
    extension_rules(s, &facts, path, ctx, out);
    additional_rules(s, &facts, path, out);
    if lvl == Level::Root || facts.embedded {
        super::extensions::resource_fields(s, path, lvl == Level::Root, out);
    }
    if flag(s, "uniqueItems") {
        let detail =
            "uniqueItems cannot be set to true since the runtime complexity becomes quadratic";
        out.push(FieldError::forbidden(child(path, "uniqueItems"), detail));
    }
    super::extensions::lists(s, path, out);
    super::junctors::check(s, path, out);
    children(s, &facts, path, ctx, out);
}

/// `type`: a supported name, present unless the node is int-or-string or preserves unknown
/// fields, `object` at the root and for embedded resources, with `items` for arrays.
fn type_rules(s: &Value, facts: &Facts<'_>, path: &str, out: &mut Vec<FieldError>) {
    let (ty, at) = (facts.ty, child(path, "type"));
    if ty == "null" {
        let detail = "type cannot be set to null, use nullable as an alternative";
        out.push(FieldError::forbidden(&at, detail));
    } else if !ty.is_empty() && Kind::parse(ty).is_none() {
        let names: Vec<Value> = Kind::NAMES.iter().map(|n| Value::from(*n)).collect();
        out.push(FieldError::not_supported(&at, Value::from(ty), &names));
    }
    if ty == "array" && get(s, "items").is_none() {
        out.push(FieldError::required(
            child(path, "items"),
            "must be specified",
        ));
    }
    if facts.embedded && ty != "object" {
        let detail = "must be object if x-kubernetes-embedded-resource is true";
        out.push(if ty.is_empty() {
            FieldError::required(&at, detail)
        } else {
            FieldError::invalid(&at, Value::from(ty), detail)
        });
    } else if ty.is_empty() && !facts.int_or_string && !facts.preserve {
        let detail = match facts.lvl {
            Level::Root => "must not be empty at the root",
            Level::Item => "must not be empty for specified array items",
            Level::Field => "must not be empty for specified object fields",
        };
        out.push(FieldError::required(&at, detail));
    }
    if facts.lvl == Level::Root && !ty.is_empty() && ty != "object" {
        out.push(FieldError::invalid(
            &at,
            Value::from(ty),
            "must be object at the root",
        ));
    }
}

/// Conflicting extensions, defaults where they are forbidden, and embedded resources.
fn extension_rules(s: &Value, facts: &Facts<'_>, path: &str, ctx: &Ctx, out: &mut Vec<FieldError>) {
    let at = |key: &str| child(path, key);
    if get(s, "default").is_some_and(|d| !d.is_null())
        && let Some(why) = &ctx.no_defaults
    {
        out.push(FieldError::forbidden(
            at("default"),
            format!("must not be set {why}"),
        ));
    }
    if ctx.inside_meta && facts.embedded {
        let detail = "must not be used inside of resource meta";
        out.push(FieldError::forbidden(
            at("x-kubernetes-embedded-resource"),
            detail,
        ));
    }
    let conflict = "must be false if x-kubernetes-int-or-string is true";
    for (set, key) in [
        (facts.preserve, "x-kubernetes-preserve-unknown-fields"),
        (facts.embedded, "x-kubernetes-embedded-resource"),
    ] {
        if facts.int_or_string && set {
            out.push(FieldError::invalid(at(key), Value::Bool(true), conflict));
        }
    }
    if get(s, "x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(false)) {
        let key = "x-kubernetes-preserve-unknown-fields";
        out.push(FieldError::invalid(
            at(key),
            Value::Bool(false),
            "must be true or undefined",
        ));
    }
    if facts.embedded && !facts.preserve && props(s).next().is_none() {
        let detail = "must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields";
        out.push(FieldError::required(at("properties"), detail));
    }
}

/// `additionalProperties`: not at the root, not on embedded resources, not next to `properties`.
fn additional_rules(s: &Value, facts: &Facts<'_>, path: &str, out: &mut Vec<FieldError>) {
    let Some(additional) = get(s, "additionalProperties") else {
        return;
    };
    let at = child(path, "additionalProperties");
    if facts.lvl == Level::Root {
        out.push(FieldError::forbidden(&at, "must not be used at the root"));
    }
    if facts.embedded {
        let detail = "must not be used if x-kubernetes-embedded-resource is set";
        out.push(FieldError::forbidden(&at, detail));
    }
    if props(s).next().is_some() && *additional != Value::Bool(true) {
        let detail = "additionalProperties and properties are mutual exclusive";
        out.push(FieldError::forbidden(&at, detail));
    }
}

/// Recurses into `properties`, `items` and `additionalProperties`.
fn children(s: &Value, facts: &Facts<'_>, path: &str, ctx: &Ctx, out: &mut Vec<FieldError>) {
    let resource = facts.lvl == Level::Root || facts.embedded;
    for (name, sub) in props(s) {
        let mut sub_ctx = ctx.clone();
        if resource && ["apiVersion", "kind", "metadata"].contains(&name.as_str()) {
            sub_ctx.inside_meta = true;
            if facts.lvl == Level::Root {
                sub_ctx.no_defaults = Some(format!("in top-level {name}"));
            }
        }
        node(sub, Level::Field, &prop_path(path, name), &sub_ctx, out);
    }
    if let Some(items) = get(s, "items").filter(|i| i.is_object()) {
        node(items, Level::Item, &child(path, "items"), ctx, out);
    }
    if let Some(additional) = get(s, "additionalProperties").filter(|a| a.is_object()) {
        node(
            additional,
            Level::Field,
            &child(path, "additionalProperties"),
            ctx,
            out,
        );
    }
}

/// The JSON type each keyword must have: keywords, a test, and how the test reads.
type Shape = (&'static [&'static str], fn(&Value) -> bool, &'static str);

const SHAPES: [Shape; 11] = [
    (
        &[
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "minProperties",
            "maxProperties",
        ],
        Value::is_u64,
        "a non-negative integer",
    ),
    (
        &["minimum", "maximum", "multipleOf"],
        Value::is_number,
        "a number",
    ),
    (
        &["type", "pattern", "format", "description", "title"],
        Value::is_string,
        "a string",
    ),
    (
        &["x-kubernetes-list-type", "x-kubernetes-map-type"],
        Value::is_string,
        "a string",
    ),
    (
        &[
            "exclusiveMinimum",
            "exclusiveMaximum",
            "nullable",
            "uniqueItems",
            "x-kubernetes-preserve-unknown-fields",
            "x-kubernetes-embedded-resource",
            "x-kubernetes-int-or-string",
        ],
        Value::is_boolean,
        "a boolean",
    ),
    (
        &["required", "x-kubernetes-list-map-keys"],
        |v| v.as_array().is_some_and(|a| a.iter().all(Value::is_string)),
        "a list of strings",
    ),
    (
        &["enum", "x-kubernetes-validations"],
        Value::is_array,
        "a list",
    ),
    (
        &JUNCTORS,
        |v| v.as_array().is_some_and(|a| a.iter().all(Value::is_object)),
        "a list of schemas",
    ),
    (
        &["properties"],
        |v| {
            v.as_object()
                .is_some_and(|m| m.values().all(Value::is_object))
        },
        "a map of schemas",
    ),
    (&["not"], Value::is_object, "a schema"),
    (
        &["additionalProperties"],
        |v| v.is_object() || v.is_boolean(),
        "a schema or a boolean",
    ),
];

/// Keyword types, and keywords structural schemas do not support.
fn shapes(s: &Value, path: &str, out: &mut Vec<FieldError>) {
    let at = |key: &str| child(path, key);
    for key in UNSUPPORTED.into_iter().filter(|k| get(s, k).is_some()) {
        out.push(FieldError::forbidden(
            at(key),
            format!("{key} is not supported"),
        ));
    }
    if get(s, "items").is_some_and(Value::is_array) {
        let detail = "items must be a schema object and not an array";
        out.push(FieldError::forbidden(at("items"), detail));
    }
    for (keys, ok, what) in SHAPES {
        for key in keys {
            if let Some(v) = get(s, key).filter(|v| !ok(v)) {
                out.push(FieldError::invalid(
                    at(key),
                    v.clone(),
                    format!("must be {what}"),
                ));
            }
        }
    }
}
