//! Tests of server-side apply and field ownership, driven through the public functions the way
//! the request handlers call them.

mod apply;
mod flow;
mod update;

use serde_json::{Value, json};

use super::{ApplyRequest, Conflicts, MergeRules, UpdateRequest, apply, record_update};

/// The group-version of the test kind.
pub(super) const GV: &str = "compass.kyma-project.io/v1alpha1";

/// Times of successive requests.
pub(super) const T1: &str = "2026-01-01T10:00:00Z";
pub(super) const T2: &str = "2026-01-01T10:01:00Z";
pub(super) const T3: &str = "2026-01-01T10:02:00Z";
pub(super) const T4: &str = "2026-01-01T10:03:00Z";

/// Rules of a kind with every list and map flavour, and a status.
pub(super) fn rules() -> MergeRules {
    MergeRules::from_schema(Some(&json!({
        "type": "object",
        "properties": {
            "spec": {"type": "object", "properties": {
                "description": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "items": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["name"],
                    "items": {"type": "object", "properties": {
                        "name": {"type": "string"}, "value": {"type": "string"}
                    }}
                },
                "tags": {"type": "array", "x-kubernetes-list-type": "set",
                         "items": {"type": "string"}},
                "args": {"type": "array", "items": {"type": "string"}},
                "auth": {"type": "object", "x-kubernetes-map-type": "atomic", "properties": {
                    "user": {"type": "string"}, "token": {"type": "string"}
                }}
            }},
            "status": {"type": "object", "properties": {
                "phase": {"type": "string"},
                "observedGeneration": {"type": "integer"},
                "conditions": {
                    "type": "array",
                    "x-kubernetes-list-type": "map",
                    "x-kubernetes-list-map-keys": ["type"],
                    "items": {"type": "object"}
                }
            }}
        }
    })))
}

/// An Application named `a` with this spec.
pub(super) fn app(spec: Value) -> Value {
    json!({
        "apiVersion": GV,
        "kind": "Application",
        "metadata": {"name": "a", "namespace": "default"},
        "spec": spec
    })
}

/// Applies `config` to `live` as `manager` at `time`.
pub(super) fn apply_as(
    live: Option<&Value>,
    config: &Value,
    manager: &str,
    force: bool,
    time: &str,
) -> Result<Value, Conflicts> {
    let rules = rules();
    let request = ApplyRequest {
        manager,
        force,
        api_version: GV,
        time,
        subresource: None,
        rules: &rules,
    };
    apply(live, config, &request)
}

/// Applies a status configuration through `/status` as `manager`, forcing as controllers do.
pub(super) fn apply_status(live: &Value, status: Value, manager: &str, time: &str) -> Value {
    let rules = rules();
    let request = ApplyRequest {
        manager,
        force: true,
        api_version: GV,
        time,
        subresource: Some("status"),
        rules: &rules,
    };
    let config = json!({
        "apiVersion": GV, "kind": "Application",
        "metadata": {"name": "a", "namespace": "default"},
        "status": status
    });
    apply(Some(live), &config, &request).expect("forced applies never conflict")
}

/// Records a non-apply write of `new` over `old` as `manager` at `time`.
pub(super) fn update_as(old: Option<&Value>, mut new: Value, manager: &str, time: &str) -> Value {
    let rules = rules();
    let request = UpdateRequest {
        manager,
        api_version: GV,
        time,
        subresource: None,
        rules: &rules,
    };
    record_update(old, &mut new, &request);
    new
}

/// The `managedFields` entry of `manager` with `operation`.
pub(super) fn entry<'a>(object: &'a Value, manager: &str, operation: &str) -> Option<&'a Value> {
    object["metadata"]["managedFields"]
        .as_array()?
        .iter()
        .find(|e| e["manager"] == manager && e["operation"] == operation)
}

/// The `fieldsV1` of that entry, or `null` when there is none.
pub(super) fn fields(object: &Value, manager: &str, operation: &str) -> Value {
    entry(object, manager, operation).map_or(Value::Null, |e| e["fieldsV1"].clone())
}

/// `(manager, operation)` of every entry, in stored order.
pub(super) fn managers(object: &Value) -> Vec<(String, String)> {
    object["metadata"]["managedFields"]
        .as_array()
        .map(|all| {
            all.iter()
                .map(|e| {
                    let text = |k: &str| e[k].as_str().unwrap_or_default().to_owned();
                    (text("manager"), text("operation"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The object without `managedFields`, to compare contents.
pub(super) fn content(object: &Value) -> Value {
    let mut copy = object.clone();
    if let Some(meta) = copy["metadata"].as_object_mut() {
        meta.remove("managedFields");
    }
    copy
}
