//! HTTP: the routes, behind the guard that authenticates and authorizes every request, and the
//! resource handler that turns a request into a get, list, watch, create, update, patch or
//! delete, a review, or a token.

use std::{sync::Arc, time::Instant};

use axum::{
    Router,
    body::{Body, Bytes, HttpBody as _},
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, Method, StatusCode, header, request::Parts},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
};
use http_body_util::BodyExt as _;
use serde_json::Value;

use super::{
    ServerState, Subresource, Target, delete, discovery, guard, path, protobuf,
    query::Query,
    read, reviews, table, watch,
    write::{self, Change, PatchType, Writer},
};
use crate::{
    auth::{service_account, user::UserInfo},
    errors::{ApiError, ApiResult},
    registry::Behaviour,
};

/// Largest request body accepted, as kube-apiserver's default `--max-request-bytes`.
const MAX_BODY: usize = 3 * 1024 * 1024;
/// Largest body of a write prepared on the thread serving its request, which then awaits its
/// commit there, and largest object such a write may change; larger ones, and any whose CEL
/// rules are still running after `ServerOptions::prepare_here_for`, are prepared on the blocking
/// pool. An Application of 2.3 KB takes about a tenth of a millisecond to prepare, less than
/// sending it to another thread and back costs the server in a burst of writes (see
/// `docs/benchmarks.md`).
const PREPARED_HERE_MAX: usize = 8 * 1024;
/// How long a client may take to send its body (kube-apiserver's request timeout).
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The router of the API server.
pub fn router(state: Arc<ServerState>) -> Router {
    Router::new()
        .route("/version", get(discovery::version))
        .route("/healthz", get(discovery::healthy))
        .route("/livez", get(discovery::healthy))
        .route("/readyz", get(discovery::healthy))
        .route("/api", get(discovery::api))
        .route("/apis", get(discovery::apis))
        .route("/api/v1", get(discovery::core_resources))
        .route("/apis/{group}", get(discovery::group))
        .route("/apis/{group}/{version}", get(discovery::group_resources))
        // kube-apiserver answers discovery with a trailing slash too, and the Python client's
        // get_code, get_api_versions and get_api_resources ask for those paths.
        .route("/version/", get(discovery::version))
        .route("/api/", get(discovery::api))
        .route("/apis/", get(discovery::apis))
        .route("/api/v1/", get(discovery::core_resources))
        .route("/apis/{group}/", get(discovery::group))
        .route("/apis/{group}/{version}/", get(discovery::group_resources))
        .route("/openapi/v2", get(discovery::openapi_v2))
        .route("/openapi/v3", get(discovery::openapi_index))
        .route("/openapi/v3/{*path}", get(discovery::openapi_document))
        .fallback(resource)
        .layer(middleware::from_fn_with_state(state.clone(), guard::guard))
        .with_state(state)
}

/// Every resource request.
async fn resource(State(state): State<Arc<ServerState>>, request: Request) -> Response {
    match handle(state, request).await {
        Ok(response) => response,
        Err(error) => error.into_response(),
    }
}

async fn handle(state: Arc<ServerState>, request: Request) -> ApiResult<Response> {
    let (parts, body) = request.into_parts();
    let parsed = path::parse(parts.uri.path()).ok_or_else(ApiError::no_route)?;
    let query = Query::parse(parts.uri.query());
    let target = resolve(&state, parsed)?;
    let headers = &parts.headers;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let method = parts.method.clone();
    let body = read_body(body).await?;
    let served = target.served.clone();
    let user = parts
        .extensions
        .get::<guard::Requester>()
        .map_or_else(|| Arc::new(UserInfo::anonymous()), |r| r.0.clone());
    if let Some(response) = answer_create_only(&state, &user, &target, &method, headers, &body)? {
        return Ok(response);
    }
    match (method.clone(), target.name.is_some()) {
        (Method::GET, true) => {
            let stored = read::get(&state, &target)?;
            if wants_table(headers) {
                let page = read::Page {
                    rv: stored.rv,
                    items: vec![stored],
                    continue_token: None,
                    remaining: None,
                };
                let include = table::IncludeObject::parse(query.get("includeObject"));
                return Ok(json(&table::table(&served, &page, include)));
            }
            Ok(json_bytes(read::encode(&served, &stored)))
        }
        (Method::GET, false) if target.subresource.is_none() => {
            if query.watch() {
                let table = wants_table(headers)
                    .then(|| table::IncludeObject::parse(query.get("includeObject")));
                return watch::watch(state, target, &query, table);
            }
            let page = read::list(&state, &target, &query)?;
            if wants_table(headers) {
                let include = table::IncludeObject::parse(query.get("includeObject"));
                return Ok(json(&table::table(&served, &page, include)));
            }
            Ok(json_bytes(read::list_body(&served, &page)))
        }
        (Method::POST, false) | (Method::PUT, true) | (Method::PATCH, true) => {
            write_request(&state, &parts, &user, user_agent, target, query, body).await
        }
        // Deleting commits, and a collection commits once per object: off the threads serving
        // others, as writes are. Nothing costly is prepared first, so the turn goes back at once.
        (Method::DELETE, true) => {
            let options = delete::DeleteOptions::parse(&body, &query)?;
            let object = state
                .off_thread(move |state, _, turn| {
                    turn.give_back();
                    delete::delete(state, &target, &options)
                })
                .await?;
            Ok(json(&object))
        }
        (Method::DELETE, false) if target.subresource.is_none() => {
            let options = delete::DeleteOptions::parse(&body, &query)?;
            let deleted = state
                .off_thread(move |state, _, turn| {
                    turn.give_back();
                    delete::delete_collection(state, &target, &query, &options)
                })
                .await?;
            Ok(json(&deleted))
        }
        (method, _) => Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource: {method}"
        ))),
    }
}

/// A create, update or patch: prepared on the thread serving it when small enough (see
/// [`prepared_here`]), else off the threads serving others.
async fn write_request(
    state: &Arc<ServerState>,
    parts: &Parts,
    user: &Arc<UserInfo>,
    user_agent: Option<&str>,
    target: Target,
    query: Query,
    body: Bytes,
) -> ApiResult<Response> {
    write::refuse_workloads(state, &target)?;
    let (method, headers) = (&parts.method, &parts.headers);
    let here = if prepared_here(state, &target, &body) {
        let change = requested_change(method, headers, &body)?;
        let writer = Writer {
            user,
            user_agent,
            deadline: Some(Instant::now() + state.options.write_timeout),
            turn: None,
        };
        write::write_here(state, &target, change, &query, writer).await?
    } else {
        None
    };
    let written = match here {
        Some(written) => written,
        // Decoding and validation (CEL rules included) run off the threads serving others.
        None => {
            let (method, headers) = (method.clone(), headers.clone());
            let (user, user_agent) = (user.clone(), user_agent.map(str::to_owned));
            state
                .off_thread(move |state, deadline, turn| {
                    let change = requested_change(&method, &headers, &body)?;
                    let writer = Writer {
                        user: &user,
                        user_agent: user_agent.as_deref(),
                        deadline: Some(deadline),
                        turn: Some(turn),
                    };
                    write::write(state, &target, change, &query, writer)
                })
                .await?
        }
    };
    let status = if written.created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(written_response(written, status))
}

/// Whether a write is prepared on the thread serving it: a small body, changing a small object
/// if any (an update or a patch rebuilds and validates the whole object, whatever the size of its
/// body), of a kind whose writes change nothing of what is served (a CRD's write rebuilds it).
pub(super) fn prepared_here(state: &ServerState, target: &Target, body: &[u8]) -> bool {
    if body.len() > PREPARED_HERE_MAX
        || target.served.behaviour == Behaviour::CustomResourceDefinition
    {
        return false;
    }
    target.name.is_none()
        || read::get(state, target)
            .map_or(true, |stored| stored.packed.json_len() <= PREPARED_HERE_MAX)
}

/// Answers reviews and token requests, which store nothing and take nothing but a create;
/// `None` for every other request.
fn answer_create_only(
    state: &ServerState,
    user: &UserInfo,
    target: &Target,
    method: &Method,
    headers: &HeaderMap,
    body: &[u8],
) -> ApiResult<Option<Response>> {
    let review = match target.served.behaviour {
        Behaviour::Review(review) => Some(review),
        _ if target.subresource == Some(Subresource::Token) => None,
        _ => return Ok(None),
    };
    if method != Method::POST || (review.is_some() && target.name.is_some()) {
        return Err(ApiError::method_not_allowed(format!(
            "the server does not allow this method on the requested resource: {method}"
        )));
    }
    let object = decode_object(headers, body, true)?;
    let answered = match review {
        Some(review) => reviews::answer(state, user, target, review, object)?,
        None => service_account::issue(
            state.authenticator.signing_key(),
            &state.store,
            target.namespace.as_deref().unwrap_or_default(),
            target.name.as_deref().unwrap_or_default(),
            object,
        )?,
    };
    let mut response = json(&answered);
    *response.status_mut() = StatusCode::CREATED;
    Ok(Some(response))
}

/// Matches a parsed path against what is served.
fn resolve(state: &ServerState, parsed: path::ResourcePath) -> ApiResult<Target> {
    let snapshot = state.registry.snapshot();
    let served = snapshot
        .lookup(&parsed.group, &parsed.version, &parsed.plural)
        .ok_or_else(ApiError::no_route)?;
    if parsed.namespace.is_some() && !served.info.namespaced {
        return Err(ApiError::no_route());
    }
    if served.info.namespaced && parsed.namespace.is_none() && parsed.name.is_some() {
        return Err(ApiError::no_route());
    }
    let subresource = match parsed.subresource.as_deref() {
        None => None,
        Some("status") if served.info.status_subresource => Some(Subresource::Status),
        Some("finalize") if served.behaviour == Behaviour::Namespace => Some(Subresource::Finalize),
        Some("token") if served.behaviour == Behaviour::ServiceAccount => Some(Subresource::Token),
        Some(_) => return Err(ApiError::no_route()),
    };
    Ok(Target {
        served,
        namespace: parsed.namespace,
        name: parsed.name,
        subresource,
    })
}

async fn read_body(body: Body) -> ApiResult<Bytes> {
    let too_large = || ApiError::too_large(format!("the request body exceeds {MAX_BODY} bytes"));
    // A declared length over the bound is refused before anything is read, rather than waited
    // for: a client announcing a gigabyte would otherwise hold the connection as long as it likes.
    if body.size_hint().lower() > MAX_BODY as u64 {
        return Err(too_large());
    }
    let limited = http_body_util::Limited::new(body, MAX_BODY);
    match tokio::time::timeout(BODY_TIMEOUT, limited.collect()).await {
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(error)) if error.is::<http_body_util::LengthLimitError>() => Err(too_large()),
        Ok(Err(error)) => Err(ApiError::bad_request(format!(
            "reading the request body failed: {error}"
        ))),
        Err(_) => Err(ApiError::timeout(format!(
            "the request body did not arrive within {BODY_TIMEOUT:?}"
        ))),
    }
}

/// What a create, update or patch asks for.
fn requested_change(method: &Method, headers: &HeaderMap, body: &[u8]) -> ApiResult<Change> {
    if *method == Method::PATCH {
        let content_type = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let patch_type = PatchType::from_content_type(content_type)
            .ok_or_else(|| ApiError::unsupported_media_type(content_type))?;
        let patch = parse_body(body, patch_type == PatchType::Apply)?;
        return Ok(Change::Patch(patch_type, patch));
    }
    let create = *method == Method::POST;
    let object = decode_object(headers, body, create)?;
    Ok(if create {
        Change::Create(object)
    } else {
        Change::Update(object)
    })
}

/// The object in a create or update body: JSON, YAML, or protobuf from kubectl's generators.
fn decode_object(headers: &HeaderMap, body: &[u8], create: bool) -> ApiResult<Value> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json");
    if content_type.starts_with("application/vnd.kubernetes.protobuf") {
        let object = protobuf::decode(body).map_err(ApiError::bad_request)?;
        if !create && !protobuf::takes_updates(object["kind"].as_str().unwrap_or_default()) {
            return Err(ApiError::unsupported_media_type(content_type));
        }
        return Ok(object);
    }
    let yaml = content_type.starts_with("application/yaml");
    parse_body(body, yaml)
}

/// Parses a JSON body, or YAML when `yaml_allowed` (JSON is also valid YAML).
fn parse_body(body: &[u8], yaml_allowed: bool) -> ApiResult<Value> {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => Ok(value),
        Err(json_error) if yaml_allowed => serde_yaml::from_slice(body).map_err(|e| {
            ApiError::bad_request(format!("error decoding YAML: {e} (as JSON: {json_error})"))
        }),
        Err(error) => Err(ApiError::bad_request(format!(
            "the request body is not valid JSON: {error}"
        ))),
    }
}

fn wants_table(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|accepted| accepted.contains("as=Table") && accepted.contains("g=meta.k8s.io"))
}

fn json(value: &Value) -> Response {
    discovery::json_response(value)
}

fn json_bytes(bytes: Bytes) -> Response {
    discovery::body_response(bytes, "application/json")
}

fn written_response(written: write::Written, status: StatusCode) -> Response {
    let mut response = json_bytes(written.body);
    *response.status_mut() = status;
    for warning in written.warnings {
        let text = format!("299 - \"{}\"", warning.replace('"', "'"));
        if let Ok(value) = HeaderValue::from_str(&text) {
            response.headers_mut().append(header::WARNING, value);
        }
    }
    response
}
