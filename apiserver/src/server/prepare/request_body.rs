//! The request body checked against what the path addresses: the kind and version it must be,
//! and the part of the object that a write to the main resource or to a subresource may change.

use serde_json::{Value, json};

use super::super::{Subresource, Target};
use crate::{
    errors::{ApiError, ApiResult},
    registry::Behaviour,
};

/// The body must be of the kind and version the path addresses. Like kube-apiserver, a body
/// without `apiVersion` or `kind` takes them from the path (typed clients such as the Python
/// client leave them out).
pub(super) fn check_type(target: &Target, object: &mut Value) -> ApiResult<()> {
    let info = &target.served.info;
    let Some(map) = object.as_object_mut() else {
        return Err(ApiError::bad_request(
            "the request body must be a JSON object",
        ));
    };
    let kind = map
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let api_version = map
        .get("apiVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    if kind.is_empty() {
        map.insert("kind".into(), json!(info.kind));
    } else if kind != info.kind {
        return Err(ApiError::bad_request(format!(
            "the kind of the object ({kind}) does not match the kind on the URL ({})",
            info.kind
        )));
    }
    if api_version.is_empty() {
        map.insert("apiVersion".into(), json!(info.api_version()));
    } else if api_version != info.api_version() {
        return Err(ApiError::bad_request(format!(
            "the API version in the data ({api_version}) does not match the expected API version ({})",
            info.api_version()
        )));
    }
    Ok(())
}

/// Keeps writes to the main resource away from `status` (when the status subresource exists),
/// and writes to a subresource away from everything else.
pub(super) fn scope_to_subresource(
    target: &Target,
    current: Option<&Value>,
    new: Value,
) -> ApiResult<Value> {
    match target.subresource {
        Some(subresource) => {
            let Some(current) = current else {
                return Err(ApiError::not_found(
                    target.served.info.qualified_resource(),
                    target.name.as_deref().unwrap_or_default(),
                ));
            };
            let mut scoped = current.clone();
            match subresource {
                Subresource::Status => scoped["status"] = new["status"].clone(),
                Subresource::Finalize => {
                    scoped["spec"]["finalizers"] = new["spec"]["finalizers"].clone()
                }
                // Token requests are answered before any write is prepared.
                Subresource::Token => {
                    return Err(ApiError::method_not_allowed(
                        "the token subresource only takes creates",
                    ));
                }
            }
            if let Some(map) = scoped.as_object_mut() {
                map.retain(|_, v| !v.is_null());
            }
            scoped["metadata"]["managedFields"] = new["metadata"]["managedFields"].clone();
            scoped["metadata"]["resourceVersion"] = new["metadata"]["resourceVersion"].clone();
            Ok(scoped)
        }
        None if target.served.info.status_subresource
            && target.served.behaviour != Behaviour::CustomResourceDefinition =>
        {
            let mut new = new;
            match current.map(|c| &c["status"]).filter(|s| !s.is_null()) {
                Some(status) => new["status"] = status.clone(),
                None => {
                    if let Some(map) = new.as_object_mut() {
                        map.remove("status");
                    }
                }
            }
            Ok(new)
        }
        None => Ok(new),
    }
}
