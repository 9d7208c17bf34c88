//! Fields of the Director's answer, read with errors that name them.

use serde_json::Value;

/// Longest label value.
const LABEL_VALUE_MAX: usize = 63;

/// The non-empty string `field` of `value`; `prefix` is its path, for the error.
pub(super) fn required<'a>(value: &'a Value, prefix: &str, field: &str) -> Result<&'a str, String> {
    match optional(value, prefix, field)? {
        Some(text) if !text.is_empty() => Ok(text),
        _ => Err(format!("{prefix}{field} is missing")),
    }
}

/// The string `field` of `value`, if present and not null.
pub(super) fn optional<'a>(
    value: &'a Value,
    prefix: &str,
    field: &str,
) -> Result<Option<&'a str>, String> {
    match value.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(_) => Err(format!("{prefix}{field} is not a string")),
    }
}

/// A required id that is also a valid label value (ids become labels): at most 63 characters,
/// letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit.
pub(super) fn label_value<'a>(
    value: &'a Value,
    prefix: &str,
    field: &str,
) -> Result<&'a str, String> {
    let id = required(value, prefix, field)?;
    let bytes = id.as_bytes();
    let valid = bytes.len() <= LABEL_VALUE_MAX
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        && bytes[0].is_ascii_alphanumeric()
        && bytes[bytes.len() - 1].is_ascii_alphanumeric();
    if valid {
        Ok(id)
    } else {
        Err(format!("{prefix}{field} {id:?} is not a valid label value"))
    }
}
