//! The agents' report: `PUT /director/runtimes/{id}/agent` with the agent's version, state,
//! application counts, last synchronisation and certificate expiry as JSON. Only the runtime's
//! own agent (its certificate or access token) may send it; it renews the runtime's heartbeat
//! and is kept on the heartbeat Lease, where the operator reads it into `status.agent`.

use std::sync::Arc;

use axum::{
    body::Body,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use compass_crds::AgentReport;

use super::{
    Admitted, Api, error_response,
    request::{read_bounded, tenant_namespace},
};
use crate::{director::runtimes::heartbeat, gateway::ConsumerKind};

/// Path of the agents' report, with the runtime's id.
pub const AGENT_REPORT_PATH: &str = "/director/runtimes/{id}/agent";

/// Largest report read: a report is a few hundred bytes.
const MOST_REPORT_BYTES: usize = 4096;

/// Keeps the report of runtime `id`'s agent and renews its heartbeat.
pub(super) async fn report(
    State(api): State<Arc<Api>>,
    Admitted(caller): Admitted,
    Path(id): Path<String>,
    body: Body,
) -> Response {
    if caller.kind != ConsumerKind::Runtime || caller.id != id {
        let message = "only the runtime's own agent reports on it";
        return error_response(StatusCode::FORBIDDEN, "INSUFFICIENT_SCOPES", message);
    }
    let namespace = match tenant_namespace(&api, &caller) {
        Ok(namespace) => namespace,
        Err(refused) => return refused.into_response(),
    };
    let Some(body) = read_bounded(body, MOST_REPORT_BYTES).await else {
        let message = format!("a report is at most {MOST_REPORT_BYTES} bytes");
        return error_response(StatusCode::PAYLOAD_TOO_LARGE, "INVALID_INPUT", &message);
    };
    let report = match AgentReport::from_json(&body) {
        Ok(report) => report,
        Err(message) => {
            return error_response(StatusCode::BAD_REQUEST, "INVALID_INPUT", &message);
        }
    };
    let runtime = api
        .caches
        .runtimes
        .by_uid(&id)
        .filter(|r| r.metadata.namespace.as_deref() == Some(namespace.as_str()));
    let Some(runtime) = runtime else {
        let message = format!("Runtime not found [id={id}]");
        return error_response(StatusCode::NOT_FOUND, "NOT_FOUND", &message);
    };
    let holder = caller.client_id.clone();
    let renewal = heartbeat::renew(
        api.client.clone(),
        &namespace,
        &runtime,
        holder,
        Some(&report),
    );
    match renewal.await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => {
            tracing::warn!(%error, runtime = %id, "Keeping the agent's report failed");
            let message = "the report could not be kept; send it again";
            error_response(StatusCode::SERVICE_UNAVAILABLE, "INTERNAL", message)
        }
    }
}
