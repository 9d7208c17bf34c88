//! Field errors: one invalid field of an object, worded the way kube-apiserver words it, so that
//! `kubectl` users read the messages they know.

use std::fmt;

use serde_json::Value;

/// Kind of a [`FieldError`], as kube-apiserver classifies field validation failures.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldErrorKind {
    /// A referenced value was not found.
    NotFound,
    /// A required field is missing.
    Required,
    /// A value that must be unique is repeated.
    Duplicate,
    /// A value is not valid.
    Invalid,
    /// A value is not one of the supported values.
    NotSupported,
    /// A value is not allowed in this context.
    Forbidden,
    /// A value is longer than allowed.
    TooLong,
    /// A list or map has more entries than allowed.
    TooMany,
    /// The server failed while validating.
    Internal,
    /// A value has the wrong type.
    TypeInvalid,
}

impl FieldErrorKind {
    /// The `reason` of a `Status` cause for this kind.
    pub fn reason(self) -> &'static str {
        match self {
            Self::NotFound => "FieldValueNotFound",
            Self::Required => "FieldValueRequired",
            Self::Duplicate => "FieldValueDuplicate",
            Self::Invalid => "FieldValueInvalid",
            Self::NotSupported => "FieldValueNotSupported",
            Self::Forbidden => "FieldValueForbidden",
            Self::TooLong => "FieldValueTooLong",
            Self::TooMany => "FieldValueTooMany",
            Self::Internal => "InternalError",
            Self::TypeInvalid => "FieldValueTypeInvalid",
        }
    }

    /// How the kind reads in a message.
    fn label(self) -> &'static str {
        match self {
            Self::NotFound => "Not found",
            Self::Required => "Required value",
            Self::Duplicate => "Duplicate value",
            Self::Invalid | Self::TypeInvalid => "Invalid value",
            Self::NotSupported => "Unsupported value",
            Self::Forbidden => "Forbidden",
            Self::TooLong => "Too long",
            Self::TooMany => "Too many",
            Self::Internal => "Internal error",
        }
    }

    /// Whether messages of this kind leave out the offending value.
    fn omits_value(self) -> bool {
        matches!(
            self,
            Self::Required | Self::Forbidden | Self::TooLong | Self::Internal
        )
    }
}

/// One invalid field: where, what kind of failure, the offending value and an explanation.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldError {
    /// What failed.
    pub kind: FieldErrorKind,
    /// Path of the field, for example `spec.apiDefinitions[0].name`.
    pub field: String,
    /// The offending value; `None` leaves it out of the message.
    pub value: Option<Value>,
    /// Explanation for a person.
    pub detail: String,
}

impl FieldError {
    /// A field error of any kind.
    pub fn new(
        kind: FieldErrorKind,
        field: impl Into<String>,
        value: Option<Value>,
        detail: impl Into<String>,
    ) -> Self {
        Self {
            kind,
            field: field.into(),
            value,
            detail: detail.into(),
        }
    }

    /// A missing required field.
    pub fn required(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(FieldErrorKind::Required, field, None, detail)
    }

    /// An invalid value.
    pub fn invalid(field: impl Into<String>, value: Value, detail: impl Into<String>) -> Self {
        Self::new(FieldErrorKind::Invalid, field, Some(value), detail)
    }

    /// A value outside the supported set; `supported` are listed in the message.
    pub fn not_supported(field: impl Into<String>, value: Value, supported: &[Value]) -> Self {
        let list: Vec<String> = supported.iter().map(go_value).collect();
        let detail = format!("supported values: {}", list.join(", "));
        Self::new(FieldErrorKind::NotSupported, field, Some(value), detail)
    }

    /// A value not allowed here.
    pub fn forbidden(field: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::new(FieldErrorKind::Forbidden, field, None, detail)
    }

    /// A repeated value that must be unique.
    pub fn duplicate(field: impl Into<String>, value: Value) -> Self {
        Self::new(FieldErrorKind::Duplicate, field, Some(value), "")
    }

    /// The message body without the field path, as a `Status` cause carries it.
    pub fn body(&self) -> String {
        let mut body = match &self.value {
            Some(value) if !self.kind.omits_value() => {
                format!("{}: {}", self.kind.label(), go_value(value))
            }
            _ => self.kind.label().to_owned(),
        };
        if !self.detail.is_empty() {
            body.push_str(": ");
            body.push_str(&self.detail);
        }
        body
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field.is_empty() {
            f.write_str(&self.body())
        } else {
            write!(f, "{}: {}", self.field, self.body())
        }
    }
}

/// Formats a JSON value the way kube-apiserver prints a bad value: strings quoted, numbers and
/// booleans bare, objects and lists in Go's literal notation.
pub fn go_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Array(items) => {
            let items: Vec<String> = items.iter().map(go_value).collect();
            format!("[]interface {{}}{{{}}}", items.join(", "))
        }
        Value::Object(map) => {
            let entries: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}:{}",
                        serde_json::to_string(k).unwrap_or_default(),
                        go_value(v)
                    )
                })
                .collect();
            format!("map[string]interface {{}}{{{}}}", entries.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn field_errors_read_like_kube_apiserver() {
        let e = FieldError::invalid("spec.scenarios[0]", json!("a/b"), "must match '^x$'");
        assert_eq!(
            e.to_string(),
            r#"spec.scenarios[0]: Invalid value: "a/b": must match '^x$'"#
        );
        let e = FieldError::required("spec.externalId", "");
        assert_eq!(e.to_string(), "spec.externalId: Required value");
        let e = FieldError::not_supported("spec.type", json!("X"), &[json!("A"), json!("B")]);
        assert_eq!(
            e.to_string(),
            r#"spec.type: Unsupported value: "X": supported values: "A", "B""#
        );
        let e = FieldError::duplicate("spec.items[1]", json!({"name": "orders"}));
        assert_eq!(
            e.to_string(),
            r#"spec.items[1]: Duplicate value: map[string]interface {}{"name":"orders"}"#
        );
    }
}
