//! What only the server decides about an object's metadata: its uid, creation time, name from
//! `generateName`, namespace and generation; and what a client may not change on an update.

use serde_json::{Value, json};

use super::{
    super::{Target, object_meta},
    WriteKind, tracks_generation,
};
use crate::errors::{ApiError, ApiResult};

/// Sets what only the server decides: uid, creation time, name from generateName, namespace,
/// generation; and checks what a client may not change.
pub(super) fn set_system_metadata(
    target: &Target,
    current: Option<&Value>,
    new: &mut Value,
    kind: WriteKind,
    now: &str,
) -> ApiResult<()> {
    if !new["metadata"].is_object() {
        new["metadata"] = json!({});
    }
    let metadata = &mut new["metadata"];
    place_as_addressed(target, metadata)?;
    match current {
        None => stamp_creation(target, metadata, kind, now)?,
        Some(current) => keep_system_fields(target, &current["metadata"], metadata)?,
    }
    object_meta::drop_empty_collections(metadata);
    Ok(())
}

/// The namespace and name the path addresses: a body naming others is refused, and one naming
/// none takes them from the path.
fn place_as_addressed(target: &Target, metadata: &mut Value) -> ApiResult<()> {
    let info = &target.served.info;
    match (&target.namespace, metadata["namespace"].as_str()) {
        (Some(path), Some(body)) if !body.is_empty() && body != path => {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
        (Some(path), _) if info.namespaced => metadata["namespace"] = json!(path),
        _ => {
            if let Some(map) = metadata.as_object_mut() {
                map.remove("namespace");
            }
        }
    }
    if let (Some(path), Some(body)) = (&target.name, metadata["name"].as_str())
        && body != path
    {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body}) does not match the name on the URL ({path})"
        )));
    }
    if let Some(path) = &target.name {
        metadata["name"] = json!(path);
    }
    Ok(())
}

/// A new object gets its uid, creation time and first generation, and a name from
/// `generateName` when it has none.
fn stamp_creation(
    target: &Target,
    metadata: &mut Value,
    kind: WriteKind,
    now: &str,
) -> ApiResult<()> {
    if metadata["resourceVersion"]
        .as_str()
        .is_some_and(|rv| !rv.is_empty())
        && kind == WriteKind::Create
    {
        return Err(ApiError::bad_request(
            "resourceVersion should not be set on objects to be created",
        ));
    }
    if metadata["name"].as_str().is_none_or(str::is_empty)
        && let Some(prefix) = metadata["generateName"].as_str()
    {
        metadata["name"] = json!(format!("{prefix}{}", random_suffix()));
    }
    metadata["uid"] = json!(uuid::Uuid::new_v4().to_string());
    metadata["creationTimestamp"] = json!(now);
    if let Some(map) = metadata.as_object_mut() {
        map.remove("resourceVersion");
        map.remove("deletionTimestamp");
        map.remove("deletionGracePeriodSeconds");
        map.remove("generation");
        map.remove("selfLink");
    }
    if tracks_generation(target.served.behaviour) {
        metadata["generation"] = json!(1);
    }
    Ok(())
}

/// An update keeps the fields only the server sets, and must be based on the object's uid and
/// (when the client names one) its current resourceVersion.
fn keep_system_fields(target: &Target, old: &Value, metadata: &mut Value) -> ApiResult<()> {
    let info = &target.served.info;
    if metadata["uid"]
        .as_str()
        .is_some_and(|uid| !uid.is_empty() && Some(uid) != old["uid"].as_str())
    {
        return Err(ApiError::conflict(
            info.qualified_resource(),
            old["name"].as_str().unwrap_or_default(),
            &format!(
                "Precondition failed: UID in precondition: {}, UID in object meta: {}",
                metadata["uid"].as_str().unwrap_or_default(),
                old["uid"].as_str().unwrap_or_default()
            ),
        ));
    }
    let requested = metadata["resourceVersion"].as_str().unwrap_or_default();
    if !requested.is_empty() && Some(requested) != old["resourceVersion"].as_str() {
        return Err(ApiError::stale(
            info.qualified_resource(),
            old["name"].as_str().unwrap_or_default(),
        ));
    }
    for field in [
        "uid",
        "creationTimestamp",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "generation",
        "resourceVersion",
    ] {
        match &old[field] {
            Value::Null => {
                if let Some(map) = metadata.as_object_mut() {
                    map.remove(field);
                }
            }
            value => metadata[field] = value.clone(),
        }
    }
    Ok(())
}

/// Five characters kube-apiserver would append to a generateName: consonants and digits that
/// cannot spell words.
fn random_suffix() -> String {
    const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut bytes = [0u8; 5];
    getrandom::fill(&mut bytes).unwrap_or_default();
    bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect()
}
