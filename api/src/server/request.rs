//! Reading a GraphQL request off the wire within its bounds: the body's size (an oversized one
//! drained rather than cut, so the client reads the answer) and the number of operations in a
//! batch; the tenant a caller of the doors outside GraphQL acts in; and the error answers given
//! outside of execution.

use async_graphql::BatchRequest;
use axum::{
    body::Body,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

use super::Api;
use crate::{
    gateway::{Caller, resolve_tenant},
    state::external_id_tag,
};

/// The GraphQL request (or batch) in a body of at most the configured size, or the answer
/// refusing it.
pub(super) async fn graphql_request(api: &Api, body: Body) -> Result<BatchRequest, Response> {
    let Some(bytes) = read_bounded(body, api.max_body_bytes).await else {
        let message = format!(
            "the request body is larger than {} bytes",
            api.max_body_bytes
        );
        return Err(error_response(
            StatusCode::PAYLOAD_TOO_LARGE,
            "INVALID_INPUT",
            &message,
        ));
    };
    let request: BatchRequest = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(error) => {
            let message = format!("the request body is not a GraphQL request in JSON: {error}");
            return Err(error_response(
                StatusCode::BAD_REQUEST,
                "INVALID_INPUT",
                &message,
            ));
        }
    };
    if let BatchRequest::Batch(operations) = &request
        && operations.len() > api.limits.batch
    {
        let message = format!(
            "a batch may hold at most {} operations; this one holds {}",
            api.limits.batch,
            operations.len()
        );
        return Err(error_response(
            StatusCode::BAD_REQUEST,
            "INVALID_INPUT",
            &message,
        ));
    }
    Ok(request)
}

/// How much of an oversized body is read and discarded, and for how long, before the 413.
const DRAIN_BYTES: usize = 64 * 1024 * 1024;
const DRAIN_TIME: std::time::Duration = std::time::Duration::from_secs(10);

/// The body, if it is at most `limit` bytes. One declared larger is refused at once. One found
/// larger while reading (chunked) is not kept: the rest of it is read and discarded (within
/// [`DRAIN_BYTES`] and [`DRAIN_TIME`]) so that a client still sending receives the 413 instead
/// of a connection reset by a server that stopped reading.
pub(super) async fn read_bounded(body: Body, limit: usize) -> Option<bytes::Bytes> {
    use axum::body::HttpBody as _;
    use futures_util::StreamExt;
    // A declared Content-Length over the bound is refused on the header, before anything is
    // read; only a body of unknown length (chunked) is drained.
    if body.size_hint().lower() > limit as u64 {
        return None;
    }
    let mut stream = body.into_data_stream();
    let mut kept = bytes::BytesMut::new();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.ok()?;
        if kept.len() + chunk.len() > limit {
            let mut drained = kept.len() + chunk.len();
            let drain = async {
                while let Some(Ok(chunk)) = stream.next().await {
                    drained += chunk.len();
                    if drained > DRAIN_BYTES {
                        break;
                    }
                }
            };
            let _ = tokio::time::timeout(DRAIN_TIME, drain).await;
            return None;
        }
        kept.extend_from_slice(&chunk);
    }
    Some(kept.freeze())
}

/// An answer carrying one GraphQL error with a code, outside of execution.
pub(super) fn error_response(status: StatusCode, code: &str, message: &str) -> Response {
    let body = json!({ "errors": [{ "message": message, "extensions": { "code": code } }] });
    (status, axum::Json(body)).into_response()
}

/// The namespace of the tenant `caller` acts in, or the answer refusing it.
pub(super) fn tenant_namespace(api: &Api, caller: &Caller) -> Result<String, TenantNotFound> {
    let caches = api.gateway.caches();
    resolve_tenant(caller, |external| {
        caches.tenants.tagged(&external_id_tag(external))
    })
    .map(|scope| scope.namespace)
    .map_err(|error| TenantNotFound(error.message))
}

/// The tenant a caller names does not exist; answered as `400 TENANT_NOT_FOUND`.
pub(super) struct TenantNotFound(String);

impl IntoResponse for TenantNotFound {
    fn into_response(self) -> Response {
        error_response(StatusCode::BAD_REQUEST, "TENANT_NOT_FOUND", &self.0)
    }
}
