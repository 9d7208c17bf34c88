//! Errors of the Director API: the original's messages, each with a machine-readable
//! `extensions.code` so clients can tell kinds of failure apart without parsing text.

use async_graphql::ErrorExtensions;

/// What kind of failure an error is; the `extensions.code` of the GraphQL error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    /// The object does not exist in the caller's tenant.
    NotFound,
    /// The input breaks a rule; the message names the field and the rule.
    InvalidInput,
    /// An object of that name already exists.
    NotUnique,
    /// The `Tenant` header names no tenant.
    TenantNotFound,
    /// The operation needs a `Tenant` header.
    TenantRequired,
    /// The caller lacks a scope the operation requires.
    InsufficientScopes,
    /// The caller may not act in the tenant it named.
    TenantMismatch,
    /// The caller may not change this object (an integration system changing an application
    /// that does not name it).
    Forbidden,
    /// The caller is not authenticated.
    Unauthenticated,
    /// The operation is not available in this version.
    NotAvailable,
    /// The object changed or is held by other objects; retry or release it first.
    Conflict,
    /// The server failed.
    Internal,
}

impl Code {
    /// The code as clients see it.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotFound => "NOT_FOUND",
            Self::InvalidInput => "INVALID_INPUT",
            Self::NotUnique => "NOT_UNIQUE",
            Self::TenantNotFound => "TENANT_NOT_FOUND",
            Self::TenantRequired => "TENANT_REQUIRED",
            Self::InsufficientScopes => "INSUFFICIENT_SCOPES",
            Self::TenantMismatch => "TENANT_MISMATCH",
            Self::Forbidden => "FORBIDDEN",
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::NotAvailable => "NOT_AVAILABLE",
            Self::Conflict => "CONFLICT",
            Self::Internal => "INTERNAL",
        }
    }
}

/// A GraphQL error with a code.
pub fn error(code: Code, message: impl Into<String>) -> async_graphql::Error {
    async_graphql::Error::new(message)
        .extend_with(|_, extensions| extensions.set("code", code.as_str()))
}

/// Result of a resolver.
pub type ApiResult<T> = Result<T, async_graphql::Error>;

/// An invalid input, naming the field and the rule.
pub fn invalid(field: &str, rule: impl std::fmt::Display) -> async_graphql::Error {
    error(Code::InvalidInput, format!("Invalid data [{field}={rule}]"))
}

/// The object of kind `what` with `id` does not exist.
pub fn not_found(what: &str, id: &str) -> async_graphql::Error {
    error(
        Code::NotFound,
        format!("Object not found [object={what}; id={id}]"),
    )
}

/// A name already taken by another object of the same kind.
pub fn name_taken(what: &str, name: &str) -> async_graphql::Error {
    error(
        Code::NotUnique,
        format!("Object name is not unique [object={what}; name={name}]"),
    )
}

/// Maps a Kubernetes API failure to the error a client of the Director expects.
pub fn from_kube(error: kube::Error, what: &str, name: &str) -> async_graphql::Error {
    match &error {
        kube::Error::Api(status) if status.code == 404 => not_found(what, name),
        kube::Error::Api(status) if status.code == 409 && status.reason == "AlreadyExists" => {
            name_taken(what, name)
        }
        kube::Error::Api(status) if status.code == 409 => {
            self::error(Code::Conflict, status.message.clone())
        }
        kube::Error::Api(status) if status.code == 422 || status.code == 400 => self::error(
            Code::InvalidInput,
            format!("Invalid data: {}", status.message),
        ),
        kube::Error::Api(status) if status.code == 413 => self::error(
            Code::InvalidInput,
            format!(
                "Invalid data: the {what} would be larger than the API server stores: {}",
                status.message
            ),
        ),
        // The caller learns what failed, not how the server is built; the log has the rest.
        kube::Error::Api(status) => {
            tracing::warn!(%error, what, name, "Kubernetes API request failed");
            self::error(
                Code::Internal,
                format!(
                    "Internal Server Error: the API server answered {} ({})",
                    status.code, status.reason
                ),
            )
        }
        _ => {
            tracing::warn!(%error, what, name, "Kubernetes API request failed");
            self::error(
                Code::Internal,
                "Internal Server Error: the API server could not be reached",
            )
        }
    }
}

/// Whether `error` carries `code`.
pub fn has_code(error: &async_graphql::Error, code: Code) -> bool {
    error
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get("code"))
        .is_some_and(|value| *value == async_graphql::Value::from(code.as_str()))
}
