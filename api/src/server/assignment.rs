//! The agents' push channel, a long poll: `GET /director/runtimes/{id}/assignment?after=<fingerprint>`
//! answers at once when what the runtime is assigned (its scenarios, and the applications
//! sharing them with their specs) differs from `after`, else as soon as it changes, or after
//! `wait` seconds (30 by default, at most 60) with `changed: false`. An agent then reads the
//! assignment itself with `applicationsForRuntime`. Allowed to whoever may read
//! `applicationsForRuntime`; a runtime watches only itself.

use std::{sync::Arc, time::Duration};

use axum::{
    Json,
    extract::{Path, Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use super::{Admitted, Api, error_response, request::tenant_namespace};
use crate::{director::assignment::fingerprint, gateway::ConsumerKind, scopes::OperationKind};

/// Path of the push channel, with the runtime's id.
pub const ASSIGNMENT_PATH: &str = "/director/runtimes/{id}/assignment";

/// Longest a poll is held.
const MOST_WAIT: u64 = 60;

/// The poll's parameters.
#[derive(Deserialize)]
pub(super) struct Poll {
    after: Option<String>,
    wait: Option<u64>,
}

/// Answers when the assignment of runtime `id` differs from `after`, or when `wait` passes.
pub(super) async fn assignment(
    State(api): State<Arc<Api>>,
    Admitted(caller): Admitted,
    Path(id): Path<String>,
    Query(poll): Query<Poll>,
) -> Response {
    let required = api
        .gateway
        .scopes()
        .required(OperationKind::Query, "applicationsForRuntime")
        .unwrap_or_default();
    let missing = required.iter().any(|s| !caller.scopes.contains(s));
    if missing || (caller.kind == ConsumerKind::Runtime && caller.id != id) {
        let message = format!(
            "insufficient scopes provided, required: {required:?}; a runtime watches only itself"
        );
        return error_response(StatusCode::FORBIDDEN, "INSUFFICIENT_SCOPES", &message);
    }
    let namespace = match tenant_namespace(&api, &caller) {
        Ok(namespace) => namespace,
        Err(refused) => return refused.into_response(),
    };
    let caches = api.gateway.caches().clone();
    let current = |caches: &crate::state::Caches| {
        let runtime = caches
            .runtimes
            .by_uid(&id)
            .filter(|r| r.metadata.namespace.as_deref() == Some(namespace.as_str()))?;
        Some(fingerprint(caches, &namespace, &runtime))
    };
    let Some(now) = current(&caches) else {
        let message = format!("Runtime not found [id={id}]");
        return error_response(StatusCode::NOT_FOUND, "NOT_FOUND", &message);
    };
    let after = poll.after.unwrap_or_default();
    if now != after {
        return Json(json!({ "fingerprint": now, "changed": true })).into_response();
    }
    let wait = Duration::from_secs(poll.wait.unwrap_or(30).min(MOST_WAIT));
    let differs = |caches: &crate::state::Caches| current(caches).is_none_or(|fp| fp != after);
    // A change of the runtime (its scenarios) or of any application may change the assignment.
    tokio::select! {
        _ = caches.applications.wait_within(wait, |_| differs(&caches)) => {}
        _ = caches.runtimes.wait_within(wait, |_| differs(&caches)) => {}
    }
    let fingerprint = current(&caches).unwrap_or_default();
    let changed = fingerprint != after;
    Json(json!({ "fingerprint": fingerprint, "changed": changed })).into_response()
}
