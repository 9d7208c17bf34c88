//! The `fieldPath` of a CEL rule: parsed and resolved against the rule's schema node when the
//! schema is loaded, as kube-apiserver's `ValidFieldPath` does, into the steps appended to the
//! node's path when the rule fails.

use serde_json::Value;

use super::cel::has_newlines;
use crate::errors::FieldError;

/// One step of a rule's `fieldPath`: a declared property or a map key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Segment {
    Child(String),
    Key(String),
}

/// Checks and resolves a rule's `fieldPath`, reporting the errors kube-apiserver reports.
pub(super) fn compile_field_path(
    schema: &Value,
    field_path: &str,
    at: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<Segment>> {
    if field_path.is_empty() {
        return Some(Vec::new());
    }
    let invalid = |detail: &str| FieldError::invalid(at, Value::from(field_path), detail);
    if field_path.trim().is_empty() {
        errors.push(invalid("fieldPath must be non-empty if specified"));
    } else if has_newlines(field_path) {
        errors.push(invalid("fieldPath must not contain line breaks"));
    } else if let Some(segments) = resolve_field_path(field_path, schema) {
        return Some(segments);
    } else {
        errors.push(invalid("fieldPath must be a valid path"));
    }
    None
}

/// Resolves a rule's `fieldPath` (`.a.b`, `.a['b.c']`) against the node's schema, as
/// kube-apiserver's `ValidFieldPath` does: names of declared properties become children,
/// names under `additionalProperties` become map keys.
pub(super) fn resolve_field_path(path: &str, mut schema: &Value) -> Option<Vec<Segment>> {
    let mut segments = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        let name = if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            rest = &after[end..];
            after[..end].to_owned()
        } else if let Some(after) = rest.strip_prefix("['") {
            let (name, used) = quoted(after)?;
            rest = after[used..].strip_prefix(']')?;
            name
        } else {
            return None;
        };
        if name.is_empty() {
            return None;
        }
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            schema = props.get(&name)?;
            segments.push(Segment::Child(name));
        } else if let Some(additional) =
            schema.get("additionalProperties").filter(|a| a.is_object())
        {
            schema = additional;
            segments.push(Segment::Key(name));
        } else {
            return None;
        }
    }
    Some(segments)
}

/// Reads a single-quoted string body up to its closing quote; returns it and the bytes used.
fn quoted(s: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => out.push(chars.next()?.1),
            '\'' => return Some((out, i + 1)),
            _ => out.push(c),
        }
    }
    None
}
