//! The error every API operation returns: an HTTP status code, a reason clients switch on and a
//! message, with one constructor per failure kube-apiserver reports.

use std::fmt;

use super::{FieldError, StatusCause, StatusDetails};

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
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

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
