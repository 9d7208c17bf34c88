//! What the client asked for (a new object, a replacement or a patch of some type), and the
//! object it asks to store, computed on the current one.

use serde_json::{Value, json};

use super::super::{Subresource, Target, prepare::WriteKind, query::Query};
use crate::{
    apply,
    errors::{ApiError, ApiResult},
    patch,
};

/// How a patch body is interpreted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PatchType {
    /// `application/merge-patch+json`.
    Merge,
    /// `application/json-patch+json`.
    Json,
    /// `application/strategic-merge-patch+json`.
    Strategic,
    /// `application/apply-patch+yaml`.
    Apply,
}

impl PatchType {
    /// The patch type of a `Content-Type`.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        match content_type.split(';').next().unwrap_or_default().trim() {
            "application/merge-patch+json" => Some(Self::Merge),
            "application/json-patch+json" => Some(Self::Json),
            "application/strategic-merge-patch+json" => Some(Self::Strategic),
            "application/apply-patch+yaml"
            | "application/apply-patch+json"
            | "application/apply-patch+cbor" => Some(Self::Apply),
            _ => None,
        }
    }
}

/// What the client asked for.
pub enum Change {
    /// POST: create this object.
    Create(Value),
    /// PUT: replace with this object.
    Update(Value),
    /// PATCH with a body of the given type.
    Patch(PatchType, Value),
}

/// The requested new object, and the kind of write it makes.
pub(super) fn compute(
    target: &Target,
    current: Option<&Value>,
    change: &Change,
    manager: &str,
    force: bool,
    now: &str,
) -> ApiResult<(Value, WriteKind)> {
    let served = &target.served;
    let missing = || {
        ApiError::not_found(
            served.info.qualified_resource(),
            target.name.as_deref().unwrap_or_default(),
        )
    };
    match change {
        Change::Create(object) => Ok((object.clone(), WriteKind::Create)),
        Change::Update(object) => {
            current.ok_or_else(missing)?;
            Ok((object.clone(), WriteKind::Update))
        }
        Change::Patch(PatchType::Merge, body) => {
            let current = current.ok_or_else(missing)?;
            Ok((patch::merge_patch(current, body), WriteKind::Patch))
        }
        Change::Patch(PatchType::Json, body) => {
            let current = current.ok_or_else(missing)?;
            let patched = patch::json_patch(current, body).map_err(ApiError::from)?;
            Ok((patched, WriteKind::Patch))
        }
        Change::Patch(PatchType::Strategic, body) => {
            let current = current.ok_or_else(missing)?;
            let patched = patch::strategic_merge_patch(current, body).map_err(ApiError::from)?;
            Ok((patched, WriteKind::Patch))
        }
        Change::Patch(PatchType::Apply, config) => {
            let mut config = config.clone();
            let subresource = target.subresource.map(Subresource::name);
            if subresource.is_some() {
                // Only the subresource's part of an applied configuration counts.
                let keep = config["status"].clone();
                config = json!({ "apiVersion": config["apiVersion"], "kind": config["kind"], "metadata": config["metadata"], "status": keep });
            } else if served.info.status_subresource
                && let Some(map) = config.as_object_mut()
            {
                map.remove("status");
            }
            if let Some(name) = &target.name {
                config["metadata"]["name"] = json!(name);
            }
            if current.is_none() && subresource.is_some() {
                return Err(missing());
            }
            let request = apply::ApplyRequest {
                manager,
                force,
                api_version: &served.info.api_version(),
                time: now,
                subresource,
                rules: &served.merge_rules,
            };
            let applied =
                apply::apply(current, &config, &request).map_err(|c| c.into_api_error())?;
            let kind = if current.is_some() {
                WriteKind::Apply
            } else {
                WriteKind::ApplyCreate
            };
            Ok((applied, kind))
        }
    }
}

/// The field manager of a write: `fieldManager`, or for non-apply writes the client's name from
/// its User-Agent, as kube-apiserver derives it.
pub(super) fn manager_name(
    query: &Query,
    user_agent: Option<&str>,
    change: &Change,
) -> ApiResult<String> {
    if let Some(manager) = query.field_manager()? {
        return Ok(manager.to_owned());
    }
    if let Change::Patch(PatchType::Apply, _) = change {
        return Err(ApiError::bad_request(
            "PatchOptions.meta.k8s.io \"\" is invalid: fieldManager: Required value: is required for apply patch",
        ));
    }
    let agent = user_agent.unwrap_or_default();
    let name = agent.split('/').next().unwrap_or_default();
    Ok(if name.is_empty() {
        "unknown".to_owned()
    } else {
        name.chars().take(128).collect()
    })
}
