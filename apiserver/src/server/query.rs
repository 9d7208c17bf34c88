//! Query parameters of resource requests, parsed once and checked the way kube-apiserver checks
//! them.

use std::collections::HashMap;

use crate::errors::{ApiError, ApiResult};

/// How unknown fields in a request body are handled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldValidation {
    /// Reject the request.
    Strict,
    /// Drop them and warn.
    Warn,
    /// Drop them silently.
    Ignore,
}

/// The query of a resource request.
#[derive(Clone, Debug, Default)]
pub struct Query {
    params: HashMap<String, String>,
}

impl Query {
    /// Parses a raw query string.
    pub fn parse(raw: Option<&str>) -> Self {
        let params = raw
            .map(|raw| {
                form_urlencoded::parse(raw.as_bytes())
                    .into_owned()
                    .collect()
            })
            .unwrap_or_default();
        Self { params }
    }

    /// A parameter's value, if present.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// A boolean parameter (`true`, `1`).
    pub fn flag(&self, name: &str) -> bool {
        matches!(self.get(name), Some("true" | "1"))
    }

    /// Whether this is a watch request.
    pub fn watch(&self) -> bool {
        self.flag("watch")
    }

    /// `limit`, if positive.
    pub fn limit(&self) -> ApiResult<Option<usize>> {
        match self.get("limit") {
            None | Some("") => Ok(None),
            Some(text) => {
                let limit: i64 = text
                    .parse()
                    .map_err(|_| ApiError::bad_request(format!("invalid limit: {text:?}")))?;
                Ok((limit > 0).then_some(limit as usize))
            }
        }
    }

    /// `timeoutSeconds`, if given.
    pub fn timeout_seconds(&self) -> ApiResult<Option<u64>> {
        self.get("timeoutSeconds")
            .filter(|t| !t.is_empty())
            .map(|t| {
                t.parse()
                    .map_err(|_| ApiError::bad_request(format!("invalid timeoutSeconds: {t:?}")))
            })
            .transpose()
    }

    /// `resourceVersion` as a number: `None` for unset or empty, `Some(0)` for "0".
    pub fn resource_version(&self) -> ApiResult<Option<u64>> {
        match self.get("resourceVersion") {
            None | Some("") => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("invalid resource version: {text:?}"))),
        }
    }

    /// `dryRun=All`.
    pub fn dry_run(&self) -> ApiResult<bool> {
        match self.get("dryRun") {
            None | Some("") => Ok(false),
            Some("All") => Ok(true),
            Some(other) => Err(ApiError::bad_request(format!(
                "Invalid dryRun value: {other:?}; supported values: \"All\""
            ))),
        }
    }

    /// `fieldValidation`, defaulting to `Warn` as kube-apiserver does.
    pub fn field_validation(&self) -> ApiResult<FieldValidation> {
        match self.get("fieldValidation") {
            None | Some("") | Some("Warn") => Ok(FieldValidation::Warn),
            Some("Strict") => Ok(FieldValidation::Strict),
            Some("Ignore") => Ok(FieldValidation::Ignore),
            Some(other) => Err(ApiError::bad_request(format!(
                "fieldValidation must be one of \"Ignore\", \"Warn\", or \"Strict\": {other:?}"
            ))),
        }
    }

    /// `fieldManager`, checked as kube-apiserver checks it.
    pub fn field_manager(&self) -> ApiResult<Option<&str>> {
        match self.get("fieldManager") {
            None | Some("") => Ok(None),
            Some(manager) if manager.len() > 128 || manager.chars().any(|c| c.is_control()) => {
                Err(ApiError::bad_request(
                    "fieldManager: Invalid value: must be at most 128 printable characters",
                ))
            }
            Some(manager) => Ok(Some(manager)),
        }
    }
}
