//! Server-side apply: merging applied configurations and tracking field ownership in
//! `metadata.managedFields`, with kube-apiserver's semantics (structured-merge-diff and its
//! field manager layers).
//!
//! # Contract with the caller
//!
//! - `live`/`old` and the results are whole objects as stored, including `metadata.managedFields`.
//!   The caller validates the result, sets server fields (uid, resourceVersion, generation,
//!   timestamps) and persists it; nothing here does IO.
//! - Main resource with a status subresource (`subresource: None`): strip `status` from the
//!   applied configuration (and keep the live `status` in `new` for updates) before calling, so
//!   no manager of the main resource claims status fields, as kube-apiserver's reset fields do.
//! - Status subresource (`subresource: Some("status")`): pass a configuration holding only
//!   `apiVersion`, `kind`, `metadata.name`/`namespace` and `status`, and for updates a `new`
//!   object that differs from `old` only in `status`; the entries are then recorded with
//!   `"subresource": "status"`.
//! - `metadata.managedFields` in an applied configuration is ignored (kube-apiserver rejects it
//!   with 400 before reaching the field manager; the caller should too).
//! - The applied configuration's `apiVersion` must be `ApplyRequest::api_version`; multi-version
//!   conversion happens before and after these calls.

mod conflict;
mod fieldset;
mod last_applied;
mod managers;
mod merge;
mod rules;
mod ssa;
mod update;
mod walk;

#[cfg(test)]
mod tests;

use serde_json::Value;

pub use conflict::Conflicts;
// The tests name these here; the server itself reaches them through their modules.
#[cfg(test)]
pub use last_applied::LAST_APPLIED_ANNOTATION;
#[cfg(test)]
pub use managers::Operation;
pub use rules::MergeRules;

use crate::object_eq::{equal_apart_from_metadata, equal_except};
use managers::{Managers, set_managed_fields};

/// A server-side apply request (`PATCH` with `application/apply-patch+yaml`).
#[derive(Clone, Copy, Debug)]
pub struct ApplyRequest<'a> {
    /// The `fieldManager` query parameter; required for apply, so never empty.
    pub manager: &'a str,
    /// The `force` query parameter: take over conflicting fields instead of failing.
    pub force: bool,
    /// The apiVersion of the configuration, recorded in `managedFields`.
    pub api_version: &'a str,
    /// RFC 3339 time (`2024-01-02T03:04:05Z`) for the `managedFields` entry.
    pub time: &'a str,
    /// `Some("status")` when applying through `/status`.
    pub subresource: Option<&'a str>,
    /// How the kind's lists and maps merge.
    pub rules: &'a MergeRules,
}

/// A non-apply write: create, update (`PUT`), or a merge, JSON or strategic merge patch.
#[derive(Clone, Copy, Debug)]
pub struct UpdateRequest<'a> {
    /// The `fieldManager` query parameter, or the user-agent prefix kube-apiserver derives when
    /// it is absent; empty is recorded as `unknown`.
    pub manager: &'a str,
    /// The apiVersion the client wrote with, recorded in `managedFields`.
    pub api_version: &'a str,
    /// RFC 3339 time for the `managedFields` entry.
    pub time: &'a str,
    /// `Some("status")` when writing through `/status`.
    pub subresource: Option<&'a str>,
    /// How the kind's lists and maps merge.
    pub rules: &'a MergeRules,
}

/// Server-side apply: merges `config` (the applied configuration, a full object with
/// `apiVersion`, `kind` and `metadata.name`) into `live` (`None` when creating), and returns the
/// new object with `metadata.managedFields` updated; or the conflicts.
///
/// The manager's applied field set becomes exactly the fields of `config`. Changing a field
/// another manager owns is a conflict unless `force` moves the ownership; setting it to the value
/// it has shares the ownership. Fields the manager applied before and now omits are removed
/// unless another manager owns them. Applying an unchanged configuration returns `live`
/// unchanged, timestamps included.
pub fn apply(
    live: Option<&Value>,
    config: &Value,
    request: &ApplyRequest<'_>,
) -> Result<Value, Conflicts> {
    ssa::apply(live, config, request)
}

/// Records a non-apply write by `request.manager` with operation `Update`: fields whose value
/// changed (or appeared) between `old` and `new` become owned by this manager's `Update` entry
/// and leave every other entry; removed fields leave every entry; entries left empty are dropped.
/// Mutates `new.metadata.managedFields`.
///
/// Like kube-apiserver: `managedFields` sent in `new` replace the stored ones (when they decode),
/// `[]` or `[{}]` resets them, a create (`old` is `None`) makes the manager own every field, and
/// an update of an object without `managedFields` stays untracked until its next apply.
pub fn record_update(old: Option<&Value>, new: &mut Value, request: &UpdateRequest<'_>) {
    update::record(old, new, request);
}

/// A copy of `object` without `metadata.managedFields`.
fn without_managed_fields(object: &Value) -> Value {
    let mut copy = object.clone();
    set_managed_fields(&mut copy, None);
    copy
}

/// Puts back the `managedFields` of `old` when a write changed nothing but timestamps, as
/// kube-apiserver's `IgnoreManagedFieldsTimestampsTransformer` does, so that a no-op write stays
/// a no-op (no new resourceVersion, no watch event).
fn keep_times_on_noop(old: Option<&Value>, new: &mut Value) {
    let Some(old) = old else {
        return;
    };
    if !equal_apart_from_metadata(old, new, |old, new| {
        equal_except(old, new, &["managedFields"])
    }) {
        return;
    }
    if let (Some(before), Some(after)) = (Managers::decode(old), Managers::decode(new))
        && before.same_ignoring_time(&after)
    {
        set_managed_fields(new, old.pointer("/metadata/managedFields").cloned());
    }
}
