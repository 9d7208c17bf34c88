//! Validation of objects against structural OpenAPI schemas: types, formats, limits, list types, defaulting, pruning and CEL rules.
//!
//! [`SchemaValidator`] is what kube-apiserver builds from one version of a CRD: the
//! `openAPIV3Schema` checked for structurality and compiled once, then used per request in the
//! order kube-apiserver uses it — [`apply_defaults`](SchemaValidator::apply_defaults), then
//! [`prune`](SchemaValidator::prune), then [`validate`](SchemaValidator::validate) (with the
//! stored object on updates, for transition rules and ratcheting).
//!
//! CEL rules are parsed with the `cel` crate re-exported by kube-cel and evaluated with kube-cel's
//! Kubernetes function library. The compiled programs are syntax trees, `Send + Sync`, so a
//! validator can be shared behind an `Arc`; the evaluation context, which is not `Sync`, is built
//! once per thread. Values are converted to CEL here rather than by kube-cel, so that `oldSelf`
//! follows kube-apiserver's correlation rules and `optionalOldSelf` rules see a real optional.

mod cel;
mod cel_budget;
mod cel_cost;
mod cel_eval;
mod cel_regex;
mod cel_shape;
mod checks;
mod defaults;
mod extensions;
mod field_path;
mod formats;
mod junctors;
mod lists;
mod prune;
mod schema;
mod structural;
mod walk;

#[cfg(test)]
mod tests;

use std::{fmt, time::Instant};

use serde_json::Value;

use crate::errors::FieldError;
use schema::{Node, Place};
use walk::Frame;

/// A compiled structural schema (one CRD version). Send + Sync: share it behind an `Arc`.
pub struct SchemaValidator {
    root: Node,
    has_defaults: bool,
}

impl fmt::Debug for SchemaValidator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SchemaValidator").finish_non_exhaustive()
    }
}

impl SchemaValidator {
    /// Compiles an openAPIV3Schema. Rejects schemas kube-apiserver would reject as non-structural
    /// or with CEL rules that do not compile, and defaults that are not pruned or not valid. Error
    /// paths are relative to the schema root in kube-apiserver's style
    /// (`properties[spec].properties[replicas].type`), so the caller can prefix
    /// `spec.versions[0].schema.openAPIV3Schema.`.
    pub fn new(schema: &Value) -> Result<Self, Vec<FieldError>> {
        let mut errors = structural::check(schema);
        if !errors.is_empty() {
            return Err(sorted(errors));
        }
        let root = Node::compile(schema, &Place::root(), &mut errors);
        if errors.is_empty() {
            defaults::check_defaults(&root, "", &mut errors);
        }
        if errors.is_empty() {
            let has_defaults = defaults::any_default(&root);
            Ok(Self { root, has_defaults })
        } else {
            Err(sorted(errors))
        }
    }

    /// Applies `default`s in place, as kube-apiserver's structural defaulting does: a default
    /// applies only where the parent object exists, defaults inside defaults apply too, nullable
    /// `null`s are kept, and non-nullable `null`s with a default are defaulted.
    pub fn apply_defaults(&self, object: &mut Value) {
        defaults::apply(&self.root, object);
    }

    /// Whether any node of the schema has a `default`.
    pub(crate) fn has_defaults(&self) -> bool {
        self.has_defaults
    }

    /// Removes fields the schema does not know and returns their paths (`spec.provider`,
    /// `spec.items[0].foo`), sorted, for `unknown field "…"` errors or warnings. Honours
    /// `x-kubernetes-preserve-unknown-fields`, `additionalProperties` and
    /// `x-kubernetes-embedded-resource`; `apiVersion`, `kind` and `metadata` of the root and of
    /// embedded resources are never pruned, nor is anything inside the root's `metadata`.
    /// `null`s that are not nullable and have no default go too.
    pub fn prune(&self, object: &mut Value) -> Vec<String> {
        let mut unknown = Vec::new();
        prune::prune(Some(&self.root), object, true, "", &mut unknown);
        defaults::prune_nulls(Some(&self.root), object);
        unknown.sort();
        unknown
    }

    /// Validates a (defaulted, pruned) object. `old` is the stored object on updates: it feeds
    /// CEL transition rules (`oldSelf`) and validation ratcheting (errors on values unchanged
    /// from `old` at the same path are dropped, as kube-apiserver's CRDValidationRatcheting does).
    pub fn validate(&self, object: &Value, old: Option<&Value>) -> Vec<FieldError> {
        self.validate_within(object, old, None)
    }

    /// Like [`validate`](Self::validate), with CEL rules kept within kube-apiserver's cost
    /// budget (as every validation is) and stopped at `deadline`: each evaluation's cost is
    /// estimated from the object's actual sizes before it runs, one over the per-call limit is
    /// refused, and once the object's budget or the deadline is spent no further rule runs.
    pub(crate) fn validate_within(
        &self,
        object: &Value,
        old: Option<&Value>,
        deadline: Option<Instant>,
    ) -> Vec<FieldError> {
        // Without a time to hand off at, nothing is handed off.
        self.validate_or_hand_off(object, old, deadline, None)
            .unwrap_or_default()
    }

    /// Like [`validate_within`](Self::validate_within), for a write prepared on a thread serving
    /// requests: `None` when CEL rules were still running at `hand_off_at`, which stops them, so
    /// that the write is validated again on a thread of its own.
    pub(crate) fn validate_or_hand_off(
        &self,
        object: &Value,
        old: Option<&Value>,
        deadline: Option<Instant>,
        hand_off_at: Option<Instant>,
    ) -> Option<Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut budget = cel_budget::Budget::new(deadline).handing_off_at(hand_off_at);
        let frame = Frame::root("");
        walk::walk(&self.root, object, old, frame, &mut budget, &mut errors);
        (!budget.handed_off()).then_some(errors)
    }

    /// The estimated costs of the CEL rules against kube-apiserver's limits (10,000,000 per rule
    /// times the number of times it can run on one object, 100,000,000 for the whole schema), as
    /// kube-apiserver checks them when a CRD is written. Paths as for [`new`](Self::new); the
    /// schema's own total is reported at the empty path.
    pub(crate) fn check_cel_costs(&self) -> Vec<FieldError> {
        cel_budget::check_static(&self.root)
    }
}

/// Sorts schema errors as kube-apiserver does, so messages are stable.
fn sorted(mut errors: Vec<FieldError>) -> Vec<FieldError> {
    errors.sort_by_key(ToString::to_string);
    errors.dedup();
    errors
}

// The walks build a path for every value they visit, so these join their parts directly: going
// through `format!` took a twentieth of a create's CPU.

/// `path.name`, or `name` at the root.
fn child(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        concat(&[path, ".", name])
    }
}

/// `path[i]`.
fn index(path: &str, i: usize) -> String {
    concat(&[path, "[", itoa::Buffer::new().format(i), "]"])
}

/// `path[key]`, for a key of a map (`additionalProperties`).
fn key(path: &str, key: &str) -> String {
    concat(&[path, "[", key, "]"])
}

/// The parts joined, in one allocation of the exact length.
fn concat(parts: &[&str]) -> String {
    let mut joined = String::with_capacity(parts.iter().map(|p| p.len()).sum());
    for part in parts {
        joined.push_str(part);
    }
    joined
}
