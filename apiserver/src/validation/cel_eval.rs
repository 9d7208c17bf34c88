//! CEL rules at validation time: JSON values turned into CEL values the way kube-apiserver types
//! them (escaped field names, timestamps, durations, bytes, restricted object metadata), each rule
//! run with `self` and `oldSelf`, and failures turned into kube-apiserver's field errors.
//!
//! Compiled programs are plain syntax trees (`Send + Sync`) stored in the schema; the evaluation
//! context holding kube-cel's function library is built once per thread, because `cel::Context`
//! is not `Sync`.

use std::collections::HashMap;
use std::sync::Arc;

use base64::Engine;
use kube_cel::KubeCelExt;
use kube_cel::cel::objects::{Key, Map, OptionalValue};
use kube_cel::cel::{Context, Program, Value as Cel};
use serde_json::Value;

use super::cel::{CelRule, Reason};
use super::cel_budget::Budget;
use super::schema::{Additional, Kind, Node};
use crate::errors::FieldError;

thread_local! {
    static BASE: Context<'static> = {
        let mut base = Context::default().with_all();
        super::cel_regex::register(&mut base);
        base
    };
    static TIMESTAMP: Option<Program> = Program::compile("timestamp(v)").ok();
    static DURATION: Option<Program> = Program::compile("duration(v)").ok();
}

/// What to evaluate at one node.
pub(super) struct Target<'a> {
    pub node: &'a Node,
    pub value: &'a Value,
    pub old: Option<&'a Value>,
    pub path: &'a str,
    /// Whether `self` is a resource (the root, or an embedded resource): it then shows
    /// `apiVersion`, `kind` and only `name`/`generateName` of `metadata`.
    pub resource: bool,
    /// Whether the value is unchanged from the old object, so only transition rules run.
    pub ratcheted: bool,
}

/// Runs the node's rules within `budget` and adds the failures to `out`.
pub(super) fn run_rules(target: &Target<'_>, budget: &mut Budget, out: &mut Vec<FieldError>) {
    // Rules validate non-null values only; a nullable field is checked from its parent.
    if target.value.is_null() || budget.exhausted() {
        return;
    }
    // An old `null` is no comparable old value: transition rules need one.
    let old = target.old.filter(|o| !o.is_null());
    let rules: Vec<&CelRule> = target
        .node
        .rules
        .iter()
        .filter(|r| !target.ratcheted || r.transition)
        .filter(|r| !r.transition || old.is_some() || r.optional_old_self)
        .collect();
    if rules.is_empty() {
        return;
    }
    let this = to_cel(target.value, Some(target.node), target.resource);
    let previous = old.map(|o| to_cel(o, Some(target.node), target.resource));
    BASE.with(|base| {
        for rule in rules {
            match budget.charge(rule, target.node, target.value, old, target.path) {
                Ok(()) => {}
                Err(Some(refused)) => {
                    out.push(refused);
                    continue;
                }
                Err(None) => return,
            }
            let mut scope = base.new_inner_scope();
            scope.add_variable_from_value("self", this.clone());
            if rule.optional_old_self {
                let optional = match &previous {
                    Some(p) => OptionalValue::of(p.clone()),
                    None => OptionalValue::none(),
                };
                scope.add_variable_from_value("oldSelf", Cel::Opaque(Arc::new(optional)));
            } else if let Some(p) = &previous {
                scope.add_variable_from_value("oldSelf", p.clone());
            }
            if let Some(error) = evaluate(rule, &scope, target) {
                out.push(error);
            }
        }
    });
}

fn evaluate(rule: &CelRule, scope: &Context<'_>, target: &Target<'_>) -> Option<FieldError> {
    // Named only in a failure: most evaluations pass.
    let type_name = || Value::from(target.node.type_name(target.value));
    match rule.program.execute(scope) {
        Ok(Cel::Bool(true)) => None,
        Ok(_) => {
            let message = message(rule, scope);
            let at = rule.error_path(target.path);
            Some(match rule.reason {
                Reason::Invalid => FieldError::invalid(at, type_name(), message),
                Reason::Forbidden => FieldError::forbidden(at, message),
                Reason::Required => FieldError::required(at, message),
                Reason::Duplicate => FieldError::duplicate(at, type_name()),
            })
        }
        Err(e) => {
            let e = e.to_string();
            let detail = if e.starts_with("no such overload") {
                format!(
                    "'{e}': call arguments did not match a supported operator, function or macro signature for rule: {}",
                    rule.error_string()
                )
            } else {
                format!("{e} evaluating rule: {}", rule.error_string())
            };
            Some(FieldError::invalid(target.path, type_name(), detail))
        }
    }
}

/// The message of a failed rule: its `messageExpression` when that yields a usable string, else
/// its `message`, else `failed rule: <rule>`.
fn message(rule: &CelRule, scope: &Context<'_>) -> String {
    if let Some(program) = &rule.message_program
        && let Ok(Cel::String(s)) = program.execute(scope)
    {
        let s = s.trim();
        if !s.is_empty() && !s.contains('\n') && s.len() <= 5 * 1024 {
            return s.to_owned();
        }
    }
    match &rule.message {
        Some(message) => message.clone(),
        None => format!("failed rule: {}", rule.rule),
    }
}

/// Escapes a property name as kube-apiserver exposes it to CEL: reserved words as `__word__`,
/// and `_`, `.`, `-`, `/` spelled out.
pub(super) fn escape(name: &str) -> String {
    const RESERVED: [&str; 21] = [
        "true",
        "false",
        "null",
        "in",
        "as",
        "break",
        "const",
        "continue",
        "else",
        "for",
        "function",
        "if",
        "import",
        "let",
        "loop",
        "package",
        "namespace",
        "return",
        "var",
        "void",
        "while",
    ];
    if RESERVED.contains(&name) {
        return format!("__{name}__");
    }
    let mut escaped = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '_' => escaped.push_str("__"),
            '.' => escaped.push_str("__dot__"),
            '-' => escaped.push_str("__dash__"),
            '/' => escaped.push_str("__slash__"),
            c => escaped.push(c),
        }
    }
    escaped
}

fn key(k: &str) -> Key {
    Key::String(Arc::new(k.to_owned()))
}

fn string(s: &str) -> Cel {
    Cel::String(Arc::new(s.to_owned()))
}

/// Converts a JSON value to CEL, typed by its schema node when there is one.
pub(super) fn to_cel(value: &Value, node: Option<&Node>, resource: bool) -> Cel {
    match value {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => {
            if node.and_then(|n| n.kind) == Some(Kind::Number) {
                Cel::Float(n.as_f64().unwrap_or(f64::NAN))
            } else if let Some(i) = n.as_i64() {
                Cel::Int(i)
            } else if let Some(u) = n.as_u64() {
                Cel::UInt(u)
            } else {
                Cel::Float(n.as_f64().unwrap_or(f64::NAN))
            }
        }
        Value::String(s) => string_to_cel(s, node),
        Value::Array(items) => {
            let item_node = node.and_then(|n| n.items.as_deref());
            let items = items.iter().map(|v| to_cel(v, item_node, false)).collect();
            Cel::List(Arc::new(items))
        }
        Value::Object(map) => object_to_cel(map, node, resource),
    }
}

fn object_to_cel(map: &serde_json::Map<String, Value>, node: Option<&Node>, resource: bool) -> Cel {
    let additional = node.and_then(|n| match &n.additional {
        Additional::Schema(s) => Some(Some(s.as_ref())),
        Additional::Any => Some(None),
        Additional::Closed => None,
    });
    let is_map = additional.is_some() && node.is_some_and(|n| n.properties.is_empty());
    let mut out = HashMap::with_capacity(map.len() + 3);
    for (k, v) in map {
        if resource && k == "metadata" {
            out.insert(key(k), metadata_view(v));
            continue;
        }
        let sub = node.and_then(|n| n.properties.get(k).or(additional.flatten()));
        let name = if is_map { k.clone() } else { escape(k) };
        let embedded = sub.is_some_and(|s| s.embedded);
        out.insert(Key::String(Arc::new(name)), to_cel(v, sub, embedded));
    }
    if resource {
        out.entry(key("apiVersion")).or_insert_with(|| string(""));
        out.entry(key("kind")).or_insert_with(|| string(""));
        out.entry(key("metadata")).or_insert_with(|| {
            Cel::Map(Map {
                map: Arc::new(HashMap::new()),
            })
        });
    }
    Cel::Map(Map { map: Arc::new(out) })
}

/// The part of object metadata CEL rules see: `name` and `generateName`.
fn metadata_view(value: &Value) -> Cel {
    let mut out = HashMap::new();
    for field in ["name", "generateName"] {
        if let Some(s) = value.get(field).and_then(Value::as_str) {
            out.insert(key(field), string(s));
        }
    }
    Cel::Map(Map { map: Arc::new(out) })
}

fn string_to_cel(s: &str, node: Option<&Node>) -> Cel {
    let Some(node) = node.filter(|n| !n.int_or_string) else {
        return string(s);
    };
    let converter = match node.checks.format.as_deref() {
        Some("date-time") => &TIMESTAMP,
        Some("duration") => &DURATION,
        Some("byte") => {
            return base64::engine::general_purpose::STANDARD
                .decode(s)
                .map_or_else(|_| string(s), |bytes| Cel::Bytes(Arc::new(bytes)));
        }
        _ => return string(s),
    };
    let converted = converter.with(|program| {
        let program = program.as_ref()?;
        BASE.with(|base| {
            let mut scope = base.new_inner_scope();
            scope.add_variable_from_value("v", string(s));
            program.execute(&scope).ok()
        })
    });
    converted.unwrap_or_else(|| string(s))
}
