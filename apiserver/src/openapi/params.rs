//! The path and query parameters of the operations, named and typed as kube-apiserver declares
//! them. Every parameter is written inline: kubectl's check for `fieldValidation` reads the
//! PATCH operation's own parameter list and does not follow `components.parameters`.

use serde_json::{Value, json};

fn param(name: &str, location: &str, ty: &str, description: &str) -> Value {
    let mut param = json!({
        "name": name,
        "in": location,
        "description": description,
        "schema": { "type": ty },
    });
    if location == "path" {
        param["required"] = true.into();
    }
    param
}

/// `{name}` in item paths.
pub(super) fn name(kind: &str) -> Value {
    param("name", "path", "string", &format!("name of the {kind}"))
}

/// `{namespace}` in namespaced paths.
pub(super) fn namespace() -> Value {
    param(
        "namespace",
        "path",
        "string",
        "object name and auth scope, such as for teams and projects",
    )
}

/// `pretty`, accepted by every operation.
pub(super) fn pretty() -> Value {
    param(
        "pretty",
        "query",
        "string",
        "If 'true', then the output is pretty printed.",
    )
}

/// The parameters of create, update and patch: dry run, field manager and field validation.
pub(super) fn write() -> Vec<Value> {
    vec![
        param(
            "dryRun",
            "query",
            "string",
            "When present, modifications are not persisted. The only valid value is 'All': \
             process every stage of the request without storing the result.",
        ),
        param(
            "fieldManager",
            "query",
            "string",
            "The name of the actor making the change, recorded in managedFields. Required for \
             apply patches.",
        ),
        param(
            "fieldValidation",
            "query",
            "string",
            "How to treat unknown and duplicate fields in the request body: 'Ignore' drops them \
             silently, 'Warn' drops them and answers with a warning per field, 'Strict' fails \
             the request on the first one.",
        ),
    ]
}

/// The parameters of patch: those of [`write`] plus `force`.
pub(super) fn patch() -> Vec<Value> {
    let mut params = write();
    params.push(param(
        "force",
        "query",
        "boolean",
        "Apply patches only: take over fields owned by other managers instead of failing with a \
         conflict. Must be unset for other patch types.",
    ));
    params
}

/// The parameters of list and watch operations.
pub(super) fn list() -> Vec<Value> {
    vec![
        param(
            "allowWatchBookmarks",
            "query",
            "boolean",
            "Ask a watch for BOOKMARK events, which carry only a resourceVersion.",
        ),
        param(
            "continue",
            "query",
            "string",
            "The continue token of the previous page of a paged list.",
        ),
        param(
            "fieldSelector",
            "query",
            "string",
            "Restrict the objects returned by their fields. Defaults to everything.",
        ),
        param(
            "labelSelector",
            "query",
            "string",
            "Restrict the objects returned by their labels. Defaults to everything.",
        ),
        param(
            "limit",
            "query",
            "integer",
            "The largest number of objects to return in one page; the list carries a continue \
             token when more remain.",
        ),
        param(
            "resourceVersion",
            "query",
            "string",
            "The resourceVersion a list must be at least as new as, or a watch starts after.",
        ),
        param(
            "resourceVersionMatch",
            "query",
            "string",
            "How resourceVersion applies to a list: 'NotOlderThan' or 'Exact'.",
        ),
        param(
            "sendInitialEvents",
            "query",
            "boolean",
            "Start a watch with synthetic ADDED events for the current state.",
        ),
        param(
            "timeoutSeconds",
            "query",
            "integer",
            "How long a list or watch call may last, regardless of activity.",
        ),
        param(
            "watch",
            "query",
            "boolean",
            "Stream changes to the matching objects instead of listing them.",
        ),
    ]
}

/// The parameters of delete and delete-collection operations beyond [`list`].
pub(super) fn delete() -> Vec<Value> {
    vec![
        param(
            "dryRun",
            "query",
            "string",
            "When present, the deletion is not persisted. The only valid value is 'All'.",
        ),
        param(
            "gracePeriodSeconds",
            "query",
            "integer",
            "Seconds to wait before deleting; zero deletes immediately.",
        ),
        param(
            "orphanDependents",
            "query",
            "boolean",
            "Deprecated: use propagationPolicy. Whether dependents are orphaned.",
        ),
        param(
            "propagationPolicy",
            "query",
            "string",
            "How dependents are collected: 'Orphan', 'Background' or 'Foreground'.",
        ),
    ]
}
