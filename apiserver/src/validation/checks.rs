//! Value validations of one schema node (the part kube-apiserver delegates to kube-openapi):
//! type, enum, string, number, array and object limits, formats, and the `allOf`/`anyOf`/`oneOf`/
//! `not` junctors, worded as kube-apiserver words them (`spec.x in body should match '…'`).

use serde_json::Value;

use super::formats;
use super::schema::{Additional, Bound, Kind, Node, json_type};
use super::{child, index, key};
use crate::errors::{FieldError, FieldErrorKind};

/// How kube-openapi names a field in a message: its path, followed by `in body`.
fn subject(path: &str) -> String {
    if path.is_empty() {
        "body".to_owned()
    } else {
        format!("{path} in body")
    }
}

/// Checks the type of `value`. Returns whether the remaining checks should run: `false` for a
/// wrong type, and for `null` (which is either allowed or already reported).
pub(super) fn check_type(
    node: &Node,
    value: &Value,
    path: &str,
    out: &mut Vec<FieldError>,
) -> bool {
    let expected = if node.int_or_string {
        let ok = value.is_string() || value.is_i64() || value.is_u64();
        (!ok).then_some("integer,string")
    } else {
        node.kind.filter(|k| !k.matches(value)).map(Kind::name)
    };
    match expected {
        _ if value.is_null() && (node.nullable || expected.is_none()) => false,
        None => true,
        Some(expected) => {
            let actual = json_type(value);
            let detail = format!("{} must be of type {expected}: \"{actual}\"", subject(path));
            out.push(FieldError::new(
                FieldErrorKind::TypeInvalid,
                path,
                Some(Value::from(actual)),
                detail,
            ));
            false
        }
    }
}

/// Runs the node's own value validations on a value of the right type.
pub(super) fn check_value(node: &Node, value: &Value, path: &str, out: &mut Vec<FieldError>) {
    let checks = &node.checks;
    if let Some(allowed) = &checks.enumeration
        && !allowed.iter().any(|a| same(a, value))
    {
        out.push(FieldError::not_supported(path, value.clone(), allowed));
    }
    match value {
        Value::String(s) => check_string(node, s, value, path, out),
        Value::Number(_) => check_number(node, value, path, out),
        Value::Array(items) => {
            let n = items.len() as u64;
            if let Some(max) = checks.max_items.filter(|max| n > *max) {
                out.push(too_many(path, n, max));
            }
            if let Some(min) = checks.min_items.filter(|min| n < *min) {
                let detail = format!("{} should have at least {min} items", subject(path));
                out.push(FieldError::invalid(path, Value::from(n), detail));
            }
        }
        Value::Object(map) => {
            let n = map.len() as u64;
            if let Some(max) = checks.max_properties.filter(|max| n > *max) {
                out.push(too_many(path, n, max));
            }
            if let Some(min) = checks.min_properties.filter(|min| n < *min) {
                let detail = format!("{} should have at least {min} properties", subject(path));
                out.push(FieldError::invalid(path, Value::from(n), detail));
            }
            for name in checks.required.iter().filter(|k| !map.contains_key(*k)) {
                out.push(FieldError::required(child(path, name), ""));
            }
        }
        Value::Null | Value::Bool(_) => {}
    }
    check_junctors(node, value, path, out);
}

fn too_many(path: &str, actual: u64, max: u64) -> FieldError {
    let noun = if max == 1 { "item" } else { "items" };
    let detail = format!("must have at most {max} {noun}");
    FieldError::new(
        FieldErrorKind::TooMany,
        path,
        Some(Value::from(actual)),
        detail,
    )
}

/// JSON equality, with numbers compared by value (`1` equals `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn check_string(node: &Node, s: &str, value: &Value, path: &str, out: &mut Vec<FieldError>) {
    let checks = &node.checks;
    let chars = s.chars().count() as u64;
    if let Some(max) = checks.max_length.filter(|max| chars > *max) {
        let unit = if max == 1 { "byte" } else { "bytes" };
        let detail = format!("may not be more than {max} {unit}");
        out.push(FieldError::new(
            FieldErrorKind::TooLong,
            path,
            Some(value.clone()),
            detail,
        ));
    }
    if let Some(min) = checks.min_length.filter(|min| chars < *min) {
        let detail = format!("{} should be at least {min} chars long", subject(path));
        out.push(FieldError::invalid(path, value.clone(), detail));
    }
    if let Some((pattern, re)) = &checks.pattern
        && !re.is_match(s)
    {
        let detail = format!("{} should match '{pattern}'", subject(path));
        out.push(FieldError::invalid(path, value.clone(), detail));
    }
    if let Some(format) = &checks.format
        && formats::valid(format, s) == Some(false)
    {
        let detail = format!("{} must be of type {format}: \"{s}\"", subject(path));
        out.push(FieldError::invalid(path, value.clone(), detail));
    }
}

fn check_number(node: &Node, value: &Value, path: &str, out: &mut Vec<FieldError>) {
    let Some(x) = value.as_f64() else { return };
    let checks = &node.checks;
    let mut fail = |detail: String| out.push(FieldError::invalid(path, value.clone(), detail));
    if let Some(Bound {
        value: min,
        text,
        exclusive,
    }) = &checks.minimum
    {
        if *exclusive && x <= *min {
            fail(format!("{} should be greater than {text}", subject(path)));
        } else if !*exclusive && x < *min {
            fail(format!(
                "{} should be greater than or equal to {text}",
                subject(path)
            ));
        }
    }
    if let Some(Bound {
        value: max,
        text,
        exclusive,
    }) = &checks.maximum
    {
        if *exclusive && x >= *max {
            fail(format!("{} should be less than {text}", subject(path)));
        } else if !*exclusive && x > *max {
            fail(format!(
                "{} should be less than or equal to {text}",
                subject(path)
            ));
        }
    }
    if let Some((factor, text)) = &checks.multiple_of
        && *factor > 0.0
    {
        let ratio = x / factor;
        if (ratio - ratio.round()).abs() > 1e-9 * ratio.abs().max(1.0) {
            fail(format!("{} should be a multiple of {text}", subject(path)));
        }
    }
}

/// Validates a value against a junctor branch, which holds value validations only.
fn branch_errors(branch: &Node, value: &Value, path: &str) -> Vec<FieldError> {
    let mut errors = Vec::new();
    validate_plain(branch, value, path, &mut errors);
    errors
}

fn check_junctors(node: &Node, value: &Value, path: &str, out: &mut Vec<FieldError>) {
    let checks = &node.checks;
    check_all_of(&checks.all_of, value, path, out);
    check_any_of(&checks.any_of, value, path, out);
    if !checks.one_of.is_empty() {
        let passed = checks
            .one_of
            .iter()
            .filter(|b| branch_errors(b, value, path).is_empty())
            .count();
        if passed != 1 {
            let more = if passed > 1 {
                format!(". Found {passed} valid alternatives")
            } else {
                String::new()
            };
            let detail = format!(
                "{} must validate one and only one schema (oneOf){more}",
                subject(path)
            );
            out.push(FieldError::invalid(path, value.clone(), detail));
        }
    }
    if checks
        .not
        .as_ref()
        .is_some_and(|not| branch_errors(not, value, path).is_empty())
    {
        let detail = format!("{} must not validate the schema (not)", subject(path));
        out.push(FieldError::invalid(path, value.clone(), detail));
    }
}

/// `allOf`: the errors of every failing branch, then the junctor's own error.
fn check_all_of(branches: &[Node], value: &Value, path: &str, out: &mut Vec<FieldError>) {
    let results: Vec<_> = branches
        .iter()
        .map(|b| branch_errors(b, value, path))
        .collect();
    let failed = results.iter().filter(|errors| !errors.is_empty()).count();
    out.extend(results.into_iter().flatten());
    if failed > 0 {
        let none = if failed == branches.len() {
            ". None validated"
        } else {
            ""
        };
        let detail = format!(
            "{} must validate all the schemas (allOf){none}",
            subject(path)
        );
        out.push(FieldError::invalid(path, value.clone(), detail));
    }
}

/// `anyOf`: when no branch passes, the junctor's error and the errors of the closest branch.
fn check_any_of(branches: &[Node], value: &Value, path: &str, out: &mut Vec<FieldError>) {
    let results: Vec<_> = branches
        .iter()
        .map(|b| branch_errors(b, value, path))
        .collect();
    if results.is_empty() || results.iter().any(Vec::is_empty) {
        return;
    }
    let detail = format!(
        "{} must validate at least one schema (anyOf)",
        subject(path)
    );
    out.push(FieldError::invalid(path, value.clone(), detail));
    out.extend(
        results
            .into_iter()
            .min_by_key(Vec::len)
            .into_iter()
            .flatten(),
    );
}

/// Value validation of a value and everything below it, without list types, CEL or ratcheting:
/// what kube-openapi does for one schema, used for junctor branches.
pub(super) fn validate_plain(node: &Node, value: &Value, path: &str, out: &mut Vec<FieldError>) {
    if !check_type(node, value, path, out) {
        return;
    }
    check_value(node, value, path, out);
    match value {
        Value::Object(map) => {
            for (name, v) in map {
                if let Some(prop) = node.properties.get(name) {
                    validate_plain(prop, v, &child(path, name), out);
                } else if let Additional::Schema(additional) = &node.additional {
                    validate_plain(additional, v, &key(path, name), out);
                }
            }
        }
        Value::Array(items) => {
            if let Some(item) = &node.items {
                for (i, v) in items.iter().enumerate() {
                    validate_plain(item, v, &index(path, i), out);
                }
            }
        }
        _ => {}
    }
}
