//! The non-resource endpoints: version, health, discovery (legacy and aggregated) and the
//! OpenAPI documents (v3, and the v2 document kubectl reads for List files).

use std::sync::Arc;

use axum::{
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Value, json};

use super::ServerState;
use crate::{errors::ApiError, openapi::v2};

/// The Kubernetes version the server reports: the API level of its built-in kinds.
const MAJOR: &str = "1";
const MINOR: &str = "33";

/// Media type of aggregated discovery.
const AGGREGATED: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

pub fn json_response(value: &Value) -> Response {
    body_response(
        serde_json::to_vec(value).unwrap_or_default(),
        "application/json",
    )
}

/// A response of `body` with its content type.
pub fn body_response(body: impl Into<axum::body::Body>, content_type: &'static str) -> Response {
    let mut response = Response::new(body.into());
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}

/// `GET /version`.
pub async fn version() -> Response {
    json_response(&json!({
        "major": MAJOR,
        "minor": MINOR,
        "gitVersion": git_version(),
        "gitCommit": "",
        "gitTreeState": "clean",
        "buildDate": "",
        "goVersion": "",
        "compiler": "rustc",
        "platform": format!("{}/{}", std::env::consts::OS, go_arch()),
    }))
}

/// The version string `/version` and the OpenAPI v2 document report.
fn git_version() -> String {
    format!("v{MAJOR}.{MINOR}.0-compass.{}", env!("CARGO_PKG_VERSION"))
}

/// `GET /openapi/v2`, as protobuf when the caller accepts it (kubectl asks for nothing else),
/// as JSON otherwise.
pub async fn openapi_v2(headers: HeaderMap) -> Response {
    let protobuf = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|accept| accept.to_str().ok())
        .any(|accept| accept.contains(v2::PROTOBUF) || accept.contains(v2::PROTOBUF_AS_ASKED));
    if protobuf {
        body_response(v2::protobuf(&git_version()), v2::PROTOBUF)
    } else {
        json_response(&v2::json(&git_version()))
    }
}

fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    }
}

/// `GET /healthz`, `/livez`, `/readyz`.
pub async fn healthy() -> impl IntoResponse {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "ok",
    )
}

fn wants_aggregated(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|accepted| accepted.contains("as=APIGroupDiscoveryList") && accepted.contains("v=v2"))
}

/// `GET /api`.
pub async fn api(State(state): State<Arc<ServerState>>, headers: HeaderMap) -> Response {
    let snapshot = state.registry.snapshot();
    if wants_aggregated(&headers) {
        return body_response(
            serde_json::to_vec(&snapshot.discovery.aggregated_core).unwrap_or_default(),
            AGGREGATED,
        );
    }
    json_response(&snapshot.discovery.api_versions)
}

/// `GET /apis`.
pub async fn apis(State(state): State<Arc<ServerState>>, headers: HeaderMap) -> Response {
    let snapshot = state.registry.snapshot();
    if wants_aggregated(&headers) {
        return body_response(
            serde_json::to_vec(&snapshot.discovery.aggregated_groups).unwrap_or_default(),
            AGGREGATED,
        );
    }
    json_response(&snapshot.discovery.group_list)
}

/// `GET /api/v1`.
pub async fn core_resources(State(state): State<Arc<ServerState>>) -> Response {
    resource_list(&state, "v1")
}

/// `GET /apis/{group}/{version}`.
pub async fn group_resources(
    State(state): State<Arc<ServerState>>,
    Path((group, version)): Path<(String, String)>,
) -> Response {
    resource_list(&state, &format!("{group}/{version}"))
}

/// `GET /apis/{group}`.
pub async fn group(State(state): State<Arc<ServerState>>, Path(group): Path<String>) -> Response {
    let snapshot = state.registry.snapshot();
    let found = snapshot.discovery.group_list["groups"]
        .as_array()
        .and_then(|groups| groups.iter().find(|g| g["name"] == group.as_str()))
        .cloned();
    match found {
        Some(mut entry) => {
            entry["kind"] = json!("APIGroup");
            entry["apiVersion"] = json!("v1");
            json_response(&entry)
        }
        None => ApiError::no_route().into_response(),
    }
}

fn resource_list(state: &ServerState, group_version: &str) -> Response {
    let snapshot = state.registry.snapshot();
    match snapshot.discovery.resource_lists.get(group_version) {
        Some(list) => json_response(list),
        None => ApiError::no_route().into_response(),
    }
}

/// `GET /openapi/v3`.
pub async fn openapi_index(State(state): State<Arc<ServerState>>) -> Response {
    json_response(state.registry.snapshot().openapi.index())
}

/// `GET /openapi/v3/{group-version path}`.
pub async fn openapi_document(
    State(state): State<Arc<ServerState>>,
    Path(path): Path<String>,
) -> Response {
    let snapshot = state.registry.snapshot();
    match snapshot.openapi.document(&path) {
        Some((document, hash)) => {
            let mut response = body_response(document.clone(), "application/json");
            if let Ok(etag) = HeaderValue::from_str(&format!("\"{hash}\"")) {
                response.headers_mut().insert(header::ETAG, etag);
            }
            response
        }
        None => ApiError::no_route().into_response(),
    }
}
