//! Errors as kube-apiserver reports them: field errors worded the way `kubectl` users know, and
//! `Status` objects with the codes, reasons and details clients switch on.

use std::fmt;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Value, json};

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

/// One cause of a failed request, as listed in `Status.details.causes`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct StatusCause {
    /// Machine-readable reason, for example `FieldValueInvalid`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reason: String,
    /// What is wrong.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub message: String,
    /// Path of the field at fault.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub field: String,
}

/// Extra data of a `Status`: which object, and why.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusDetails {
    /// Name of the object.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// API group of the object.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub group: String,
    /// Kind (or resource) of the object.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub kind: String,
    /// Individual causes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub causes: Vec<StatusCause>,
    /// Seconds after which the client may retry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_seconds: Option<u32>,
}

/// A failed request, answered with a `Status` object.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiError {
    /// HTTP status code.
    pub code: u16,
    /// Machine-readable reason, for example `NotFound`.
    pub reason: &'static str,
    /// What went wrong, for a person.
    pub message: String,
    /// Which object, and the causes. Boxed: errors travel in every `Result`, and most have none.
    pub details: Option<Box<StatusDetails>>,
}

/// Result of an API operation.
pub type ApiResult<T> = Result<T, ApiError>;

/// A group and resource (or kind), printed as `resource.group` the way messages name them.
#[derive(Clone, Copy, Debug)]
pub struct Qualified<'a> {
    /// API group; empty for the core group.
    pub group: &'a str,
    /// Resource (plural) or kind.
    pub name: &'a str,
}

impl fmt::Display for Qualified<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(self.name)
        } else {
            write!(f, "{}.{}", self.name, self.group)
        }
    }
}

impl ApiError {
    fn plain(code: u16, reason: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            reason,
            message: message.into(),
            details: None,
        }
    }

    fn about(
        code: u16,
        reason: &'static str,
        message: String,
        resource: Qualified<'_>,
        name: &str,
    ) -> Self {
        let details = StatusDetails {
            name: name.to_owned(),
            group: resource.group.to_owned(),
            kind: resource.name.to_owned(),
            ..StatusDetails::default()
        };
        Self {
            code,
            reason,
            message,
            details: Some(Box::new(details)),
        }
    }

    /// 404: the object does not exist.
    pub fn not_found(resource: Qualified<'_>, name: &str) -> Self {
        Self::about(
            404,
            "NotFound",
            format!("{resource} \"{name}\" not found"),
            resource,
            name,
        )
    }

    /// 404: no such resource or path.
    pub fn no_route() -> Self {
        Self::plain(
            404,
            "NotFound",
            "the server could not find the requested resource",
        )
    }

    /// 409: an object of that name exists.
    pub fn already_exists(resource: Qualified<'_>, name: &str) -> Self {
        let message = format!("{resource} \"{name}\" already exists");
        Self::about(409, "AlreadyExists", message, resource, name)
    }

    /// 409: the write was based on an outdated resourceVersion, or otherwise conflicts.
    pub fn conflict(resource: Qualified<'_>, name: &str, why: &str) -> Self {
        let message = format!("Operation cannot be fulfilled on {resource} \"{name}\": {why}");
        Self::about(409, "Conflict", message, resource, name)
    }

    /// 409 for an outdated resourceVersion, worded as kube-apiserver words it.
    pub fn stale(resource: Qualified<'_>, name: &str) -> Self {
        Self::conflict(
            resource,
            name,
            "the object has been modified; please apply your changes to the latest version and try again",
        )
    }

    /// 422: the object fails validation; one cause per field.
    pub fn invalid(kind: Qualified<'_>, name: &str, errors: &[FieldError]) -> Self {
        let mut seen = Vec::new();
        for error in errors {
            let text = error.to_string();
            if !seen.contains(&text) {
                seen.push(text);
            }
        }
        let summary = match seen.as_slice() {
            [one] => one.clone(),
            many => format!("[{}]", many.join(", ")),
        };
        let mut error = Self::about(
            422,
            "Invalid",
            format!("{kind} \"{name}\" is invalid: {summary}"),
            kind,
            name,
        );
        if let Some(details) = error.details.as_mut() {
            details.causes = errors
                .iter()
                .map(|e| StatusCause {
                    reason: e.kind.reason().to_owned(),
                    message: e.body(),
                    field: e.field.clone(),
                })
                .collect();
        }
        error
    }

    /// 400: the request cannot be understood.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::plain(400, "BadRequest", message)
    }

    /// 401: no valid credentials.
    pub fn unauthorized() -> Self {
        Self::plain(401, "Unauthorized", "Unauthorized")
    }

    /// 403: the caller may not do this.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::plain(403, "Forbidden", message)
    }

    /// 403 about one resource (and object, when `name` is not empty), worded as
    /// `<resource> "<name>" is forbidden: <why>`, with the details clients read.
    pub fn forbidden_about(resource: Qualified<'_>, name: &str, why: &str) -> Self {
        let message = if name.is_empty() {
            format!("{resource} is forbidden: {why}")
        } else {
            format!("{resource} \"{name}\" is forbidden: {why}")
        };
        Self::about(403, "Forbidden", message, resource, name)
    }

    /// 405: the verb is not supported on this resource.
    pub fn method_not_allowed(message: impl Into<String>) -> Self {
        Self::plain(405, "MethodNotAllowed", message)
    }

    /// 406: no acceptable representation.
    pub fn not_acceptable(message: impl Into<String>) -> Self {
        Self::plain(406, "NotAcceptable", message)
    }

    /// 410: the requested resourceVersion is older than the server still holds.
    pub fn expired(message: impl Into<String>) -> Self {
        Self::plain(410, "Expired", message)
    }

    /// 413: the body is too large.
    pub fn too_large(message: impl Into<String>) -> Self {
        Self::plain(413, "RequestEntityTooLarge", message)
    }

    /// 415: the body's content type is not supported here.
    pub fn unsupported_media_type(content_type: &str) -> Self {
        Self::plain(
            415,
            "UnsupportedMediaType",
            format!(
                "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml; got {content_type}"
            ),
        )
    }

    /// 500: the server failed.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::plain(
            500,
            "InternalError",
            format!("Internal error occurred: {}", message.into()),
        )
    }

    /// 503: the server cannot answer yet.
    pub fn unavailable(message: impl Into<String>) -> Self {
        Self::plain(503, "ServiceUnavailable", message)
    }

    /// 504: the request did not complete in the time it had.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::plain(504, "Timeout", message)
    }

    /// Adds causes to the error.
    pub fn with_causes(mut self, causes: Vec<StatusCause>) -> Self {
        self.details.get_or_insert_with(Box::default).causes = causes;
        self
    }

    /// The `Status` object.
    pub fn status(&self) -> Value {
        let mut status = json!({
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        });
        if let Some(details) = &self.details {
            status["details"] = serde_json::to_value(details).unwrap_or(Value::Null);
        }
        status
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ApiError {}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let code = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self.status()).unwrap_or_default();
        let mut response = (code, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        response
    }
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn invalid_lists_every_distinct_error_and_keeps_causes() {
        let errors = vec![
            FieldError::required("spec.a", ""),
            FieldError::invalid("spec.b", json!(3), "too big"),
            FieldError::required("spec.a", ""),
        ];
        let error = ApiError::invalid(
            Qualified {
                group: "g.io",
                name: "Thing",
            },
            "t",
            &errors,
        );
        assert_eq!(error.code, 422);
        assert_eq!(
            error.message,
            r#"Thing.g.io "t" is invalid: [spec.a: Required value, spec.b: Invalid value: 3: too big]"#
        );
        let status = error.status();
        assert_eq!(status["details"]["causes"][1]["field"], "spec.b");
        assert_eq!(
            status["details"]["causes"][1]["reason"],
            "FieldValueInvalid"
        );
    }

    #[test]
    fn not_found_names_the_qualified_resource() {
        let error = ApiError::not_found(
            Qualified {
                group: "",
                name: "namespaces",
            },
            "acme",
        );
        assert_eq!(error.message, r#"namespaces "acme" not found"#);
        assert_eq!(error.status()["details"]["kind"], "namespaces");
    }
}
