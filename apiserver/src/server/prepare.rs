//! Turns a requested object into the object to store, the way kube-apiserver does on every write:
//! subresource rules, system metadata, unknown fields, defaulting, kind rules, validation,
//! managed fields, generation, and recognising a write that changes nothing.

use std::time::Instant;

use serde_json::{Value, json};

use super::{Subresource, Target, admission, convert, query::FieldValidation};
use crate::{
    apply,
    errors::{ApiError, ApiResult, FieldError},
    registry::Behaviour,
};

/// What kind of write is being prepared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteKind {
    /// POST, or server-side apply creating the object.
    Create,
    /// PUT.
    Update,
    /// A merge, JSON or strategic patch.
    Patch,
    /// Server-side apply on an existing object (managed fields already computed).
    Apply,
    /// Server-side apply creating the object (managed fields already computed).
    ApplyCreate,
}

/// Options of one write request.
pub struct WriteOptions<'a> {
    /// Who is writing, for managed fields.
    pub manager: &'a str,
    /// How unknown fields are handled.
    pub field_validation: FieldValidation,
    /// The time of the write, RFC 3339.
    pub now: &'a str,
    /// When validation must stop.
    pub deadline: Option<Instant>,
}

/// The outcome of preparing a write.
pub enum Prepared {
    /// Nothing changes: answer with the current object and store nothing.
    Unchanged,
    /// Store this object (in storage form).
    Store(Value),
    /// The object's last finalizer is gone while it is being deleted: remove it.
    Remove(Value),
}

/// Prepares `new` (in the request's version) for storing over `current` (in the request's
/// version, `None` for creates). Returns the outcome and warnings for the client.
pub fn prepare(
    target: &Target,
    current: Option<&Value>,
    mut new: Value,
    kind: WriteKind,
    options: &WriteOptions<'_>,
) -> ApiResult<(Prepared, Vec<String>)> {
    let served = &target.served;
    check_type(target, &mut new)?;
    new = scope_to_subresource(target, current, new)?;
    set_system_metadata(target, current, &mut new, kind, options.now)?;

    let mut warnings = Vec::new();
    let unknown = match &served.validator {
        Some(validator) => validator.prune(&mut new),
        None => admission::prune_builtin(served.behaviour, &mut new).map_err(|e| {
            ApiError::bad_request(format!(
                "{} in version \"{}\" cannot be handled as a {}: {e}",
                served.info.kind, served.info.version, served.info.kind
            ))
        })?,
    };
    if !unknown.is_empty() {
        match options.field_validation {
            FieldValidation::Strict => {
                let list: Vec<String> = unknown
                    .iter()
                    .map(|p| format!("unknown field \"{p}\""))
                    .collect();
                return Err(ApiError::bad_request(format!(
                    "{kind} in version \"{version}\" cannot be handled as a {kind}: strict decoding error: {}",
                    list.join(", "),
                    kind = served.info.kind,
                    version = served.info.version,
                )));
            }
            FieldValidation::Warn => {
                warnings.extend(unknown.iter().map(|p| format!("unknown field \"{p}\"")))
            }
            FieldValidation::Ignore => {}
        }
    }
    if let Some(validator) = &served.validator {
        validator.apply_defaults(&mut new);
    }

    let mut errors = admission::admit_builtin(served.behaviour, current, &mut new, options.now);
    errors.extend(admission::validate_metadata(served.behaviour, &new));
    check_finalizers(current, &new, &mut errors);
    if let Some(validator) = &served.validator {
        errors.extend(validator.validate_within(&new, current, options.deadline));
    }
    if !errors.is_empty() {
        let name = new["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        return Err(ApiError::invalid(
            served.info.qualified_kind(),
            &name,
            &errors,
        ));
    }

    if !matches!(kind, WriteKind::Apply | WriteKind::ApplyCreate) {
        let request = apply::UpdateRequest {
            manager: options.manager,
            api_version: &served.info.api_version(),
            time: options.now,
            subresource: target.subresource.map(Subresource::name),
            rules: &served.merge_rules,
        };
        apply::record_update(current, &mut new, &request);
    }
    if tracks_generation(served.behaviour)
        && let Some(current) = current
        && content_changed(current, &new)
    {
        let generation = current["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        new["metadata"]["generation"] = json!(generation);
    }

    if let Some(current) = current
        && same_object(current, &new)
    {
        return Ok((Prepared::Unchanged, warnings));
    }
    let deleting = !new["metadata"]["deletionTimestamp"].is_null();
    let finalized = new["metadata"]["finalizers"]
        .as_array()
        .is_none_or(Vec::is_empty);
    let stored = convert::to_storage(served, new);
    if deleting && finalized && served.behaviour != Behaviour::Namespace {
        return Ok((Prepared::Remove(stored), warnings));
    }
    Ok((Prepared::Store(stored), warnings))
}

/// The body must be of the kind and version the path addresses. Like kube-apiserver, a body
/// without `apiVersion` or `kind` takes them from the path (typed clients such as the Python
/// client leave them out).
fn check_type(target: &Target, object: &mut Value) -> ApiResult<()> {
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
fn scope_to_subresource(target: &Target, current: Option<&Value>, new: Value) -> ApiResult<Value> {
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

/// Sets what only the server decides: uid, creation time, name from generateName, namespace,
/// generation; and checks what a client may not change.
fn set_system_metadata(
    target: &Target,
    current: Option<&Value>,
    new: &mut Value,
    kind: WriteKind,
    now: &str,
) -> ApiResult<()> {
    let info = &target.served.info;
    if !new["metadata"].is_object() {
        new["metadata"] = json!({});
    }
    let metadata = &mut new["metadata"];
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
    match current {
        None => {
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
        }
        Some(current) => {
            let old = &current["metadata"];
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
        }
    }
    super::object_meta::drop_empty_collections(metadata);
    Ok(())
}

/// No finalizer may be added to an object that is being deleted.
fn check_finalizers(current: Option<&Value>, new: &Value, errors: &mut Vec<FieldError>) {
    let Some(current) = current.filter(|c| !c["metadata"]["deletionTimestamp"].is_null()) else {
        return;
    };
    let old = current["metadata"]["finalizers"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if let Some(finalizers) = new["metadata"]["finalizers"].as_array()
        && finalizers.iter().any(|f| !old.contains(f))
    {
        errors.push(FieldError::forbidden(
            "metadata.finalizers",
            "no new finalizers can be added if the object is being deleted",
        ));
    }
}

/// Kinds whose `metadata.generation` counts changes of their desired state.
pub fn tracks_generation(behaviour: Behaviour) -> bool {
    matches!(
        behaviour,
        Behaviour::Custom | Behaviour::CustomResourceDefinition
    )
}

/// Whether anything but metadata and status differs.
fn content_changed(old: &Value, new: &Value) -> bool {
    let strip = |object: &Value| -> Value {
        let mut copy = object.clone();
        if let Some(map) = copy.as_object_mut() {
            map.remove("metadata");
            map.remove("status");
        }
        copy
    };
    strip(old) != strip(new)
}

/// Whether two versions of an object are the same, apart from the resourceVersion and the times
/// in managed fields.
fn same_object(old: &Value, new: &Value) -> bool {
    let normalize = |object: &Value| -> Value {
        let mut copy = object.clone();
        if let Some(metadata) = copy["metadata"].as_object_mut() {
            metadata.remove("resourceVersion");
            if let Some(Value::Array(entries)) = metadata.get_mut("managedFields") {
                for entry in entries {
                    if let Some(entry) = entry.as_object_mut() {
                        entry.remove("time");
                    }
                }
            }
        }
        copy
    };
    normalize(old) == normalize(new)
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
