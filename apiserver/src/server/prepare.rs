//! Turns a requested object into the object to store, the way kube-apiserver does on every write:
//! subresource rules, system metadata, unknown fields, defaulting, kind rules, validation,
//! managed fields, generation, and recognising a write that changes nothing.

mod request_body;
mod system_metadata;

use std::time::Instant;

use serde_json::{Value, json};

use super::{Subresource, Target, admission, convert, query::FieldValidation};
use crate::{
    apply,
    errors::{ApiError, ApiResult, FieldError},
    object_eq::{equal_apart_from_metadata, equal_except, equal_members},
    registry::{Behaviour, Served},
};
use request_body::{check_type, scope_to_subresource};
use system_metadata::set_system_metadata;

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
    /// For a write prepared on a thread serving requests: CEL rules still running at this time
    /// stop, and the write comes to [`Prepared::HandedOff`].
    pub hand_off_at: Option<Instant>,
}

/// The outcome of preparing a write.
pub enum Prepared {
    /// Nothing changes: answer with the current object and store nothing.
    Unchanged,
    /// Store this object (in storage form).
    Store(Value),
    /// The object's last finalizer is gone while it is being deleted: remove it.
    Remove(Value),
    /// Its validation ran past [`WriteOptions::hand_off_at`]: nothing is decided, and the write
    /// is to be prepared again on a thread of its own.
    HandedOff,
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
    let warnings = drop_unknown_fields(served, &mut new, options.field_validation)?;
    if let Some(validator) = &served.validator {
        validator.apply_defaults(&mut new);
    }
    if !admit_and_validate(served, current, &mut new, options)? {
        return Ok((Prepared::HandedOff, warnings));
    }
    if !matches!(kind, WriteKind::Apply | WriteKind::ApplyCreate) {
        record_managed_fields(target, current, &mut new, options);
    }
    count_generation(served.behaviour, current, &mut new);
    Ok((outcome(served, current, new), warnings))
}

/// Removes the fields the kind does not have. Depending on the request's field validation they
/// fail the write, become warnings (returned) or go silently.
fn drop_unknown_fields(
    served: &Served,
    new: &mut Value,
    field_validation: FieldValidation,
) -> ApiResult<Vec<String>> {
    let mut warnings = Vec::new();
    let unknown = match &served.validator {
        Some(validator) => validator.prune(new),
        None => admission::prune_builtin(served.behaviour, new).map_err(|e| {
            ApiError::bad_request(format!(
                "{} in version \"{}\" cannot be handled as a {}: {e}",
                served.info.kind, served.info.version, served.info.kind
            ))
        })?,
    };
    if !unknown.is_empty() {
        match field_validation {
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
    Ok(warnings)
}

/// Applies the kind's own rules (which may change the object), then checks the metadata, the
/// finalizers and the schema; any failure makes the write `422 Invalid`, listing every one.
/// False when the validation was handed off (see [`WriteOptions::hand_off_at`]).
fn admit_and_validate(
    served: &Served,
    current: Option<&Value>,
    new: &mut Value,
    options: &WriteOptions<'_>,
) -> ApiResult<bool> {
    let mut errors = admission::admit_builtin(served.behaviour, current, new, options.now);
    errors.extend(admission::validate_metadata(served.behaviour, new));
    check_finalizers(current, new, &mut errors);
    if let Some(validator) = &served.validator {
        let at = options.hand_off_at;
        match validator.validate_or_hand_off(new, current, options.deadline, at) {
            Some(found) => errors.extend(found),
            None => return Ok(false),
        }
    }
    if errors.is_empty() {
        return Ok(true);
    }
    let name = new["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    Err(ApiError::invalid(
        served.info.qualified_kind(),
        &name,
        &errors,
    ))
}

/// Records which fields the writer changed in `managedFields` (server-side apply has done so
/// already).
fn record_managed_fields(
    target: &Target,
    current: Option<&Value>,
    new: &mut Value,
    options: &WriteOptions<'_>,
) {
    let served = &target.served;
    let request = apply::UpdateRequest {
        manager: options.manager,
        api_version: &served.info.api_version(),
        time: options.now,
        subresource: target.subresource.map(Subresource::name),
        rules: &served.merge_rules,
    };
    apply::record_update(current, new, &request);
}

/// A change of the desired state (anything but metadata and status) counts one generation, for
/// the kinds that track them.
fn count_generation(behaviour: Behaviour, current: Option<&Value>, new: &mut Value) {
    if tracks_generation(behaviour)
        && let Some(current) = current
        && content_changed(current, new)
    {
        let generation = current["metadata"]["generation"].as_i64().unwrap_or(0) + 1;
        new["metadata"]["generation"] = json!(generation);
    }
}

/// What to do with the prepared object: nothing when it is unchanged, remove it when its last
/// finalizer went while it is being deleted (a Namespace waits for its own cleanup), store it
/// otherwise.
fn outcome(served: &Served, current: Option<&Value>, new: Value) -> Prepared {
    if let Some(current) = current
        && same_object(current, &new)
    {
        return Prepared::Unchanged;
    }
    let deleting = !new["metadata"]["deletionTimestamp"].is_null();
    let finalized = new["metadata"]["finalizers"]
        .as_array()
        .is_none_or(Vec::is_empty);
    let stored = convert::to_storage(served, new);
    if deleting && finalized && served.behaviour != Behaviour::Namespace {
        return Prepared::Remove(stored);
    }
    Prepared::Store(stored)
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
    !equal_except(old, new, &["metadata", "status"])
}

/// Whether two versions of an object are the same, apart from the resourceVersion and the times
/// in managed fields.
fn same_object(old: &Value, new: &Value) -> bool {
    equal_apart_from_metadata(old, new, same_metadata)
}

/// Whether two `metadata` are the same, apart from the resourceVersion and the times in managed
/// fields.
fn same_metadata(old: &Value, new: &Value) -> bool {
    equal_members(
        old,
        new,
        &["resourceVersion"],
        |name, old, new| match name {
            "managedFields" => same_entries_apart_from_time(old, new),
            _ => old == new,
        },
    )
}

/// Whether two `managedFields` lists hold the same entries, apart from their times.
fn same_entries_apart_from_time(old: &Value, new: &Value) -> bool {
    match (old.as_array(), new.as_array()) {
        (Some(old), Some(new)) => {
            old.len() == new.len()
                && (old.iter().zip(new)).all(|(old, new)| equal_except(old, new, &["time"]))
        }
        _ => old == new,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(rv: &str, time: &str, spec: i64, ready: bool) -> Value {
        json!({
            "metadata": {
                "name": "a",
                "resourceVersion": rv,
                "generation": 1,
                "managedFields": [{"manager": "m", "operation": "Update", "time": time}],
            },
            "spec": {"replicas": spec},
            "status": {"ready": ready},
        })
    }

    #[test]
    fn an_object_is_the_same_whatever_its_resource_version_and_managed_fields_times() {
        let stored = object("1", "2026-01-01T00:00:00Z", 1, true);
        assert!(same_object(
            &stored,
            &object("2", "2026-12-06T00:00:00Z", 1, true)
        ));
        assert!(!same_object(
            &stored,
            &object("1", "2026-01-01T00:00:00Z", 2, true)
        ));
        assert!(!same_object(
            &stored,
            &object("1", "2026-01-01T00:00:00Z", 1, false)
        ));
        let mut renamed_manager = stored.clone();
        renamed_manager["metadata"]["managedFields"][0]["manager"] = json!("other");
        assert!(!same_object(&stored, &renamed_manager));
    }

    #[test]
    fn only_a_change_outside_metadata_and_status_changes_the_content() {
        let stored = object("1", "2026-01-01T00:00:00Z", 1, true);
        assert!(!content_changed(
            &stored,
            &object("2", "2026-12-06T00:00:00Z", 1, false)
        ));
        assert!(content_changed(
            &stored,
            &object("1", "2026-01-01T00:00:00Z", 2, true)
        ));
        let mut extended = stored.clone();
        extended["spec"]["extra"] = json!(null);
        assert!(content_changed(&stored, &extended));
    }
}
